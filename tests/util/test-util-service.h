/* test-util-service.h: a WpiService for tests, in a temporary data directory on free
 * loopback ports, with the ready-made PKI (certs/README.md) so that it generates no keys.
 */
#pragma once

#include <gnutls/pkcs12.h>

#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-service-host.h"
#include "test-util-wpi.h"

G_BEGIN_DECLS

/* A service in data_dir bound to 127.0.0.1 on ports the kernel picks, not yet started
 * (for settings that must come first). */
WpiService *test_util_service_new   (const char *data_dir);
/* The same, started. */
WpiService *test_util_service_start (const char *data_dir);
/* The service part of a test fixture: *data_dir gets a fresh temporary directory named
 * after prefix and *service the service started in it. tear_down stops the service (if
 * any) and removes the directory with everything in it, clearing both. */
void        test_util_service_set_up    (const char  *prefix,
                                         char       **data_dir,
                                         WpiService **service);
void        test_util_service_tear_down (char       **data_dir,
                                         WpiService **service);
/* "https://127.0.0.1:PORT" of its default (secure FALSE) or Secure Mode port */
char       *test_util_service_uri   (WpiService *service,
                                     gboolean    secure);

/* Queues a job of kind for mac with items (a WpiStoreItem array, or NULL), failing the
 * test unless the service takes it; returns its id. */
gint64      test_util_service_enqueue   (WpiService *service,
                                         const char *mac,
                                         WpiJobKind  kind,
                                         GArray     *items);
/* The job's state now; unless reason is NULL, *reason (freed first) gets its failure
 * reason or NULL. */
WpiJobState test_util_service_job_state (WpiService *service,
                                         gint64      id,
                                         char      **reason);

/* Prepares the bootstrap of mac to the service's Secure Mode port, with a PIN (returned
 * in *pin) or without; max_retries 0 keeps the default; iterations of the bundle's key
 * derivation (the service's bundle-iterations; a low count keeps tests quick). Returns
 * the job's id once the running service has built the job's bundle. */
gint64      test_util_service_prepare_bootstrap (WpiService *service,
                                                 const char *mac,
                                                 gboolean    with_pin,
                                                 guint       max_retries,
                                                 guint       iterations,
                                                 char      **pin);
/* Waits until the running service has built the bundle of a bootstrap job it knows. */
void        test_util_service_wait_bootstrap_ready (WpiService *service,
                                                    gint64      job_id);

/* A PEM certificate parsed with GnuTLS, failing the test when it does not parse;
 * gnutls_x509_crt_deinit() it. */
gnutls_x509_crt_t test_util_parse_certificate (const char *pem);

/* A self-signed certificate for dn made with GnuTLS directly, as a company CA made
 * outside the console is (RSA 2048, a random serial, five years): with ca it may sign
 * (CA:TRUE, keyCertSign), else not. g_free() *cert_pem and *key_pem (PEM). */
void        test_util_make_self_signed  (const char                  *dn,
                                         gboolean                     ca,
                                         char                       **cert_pem,
                                         char                       **key_pem);

/* A certificate and its key (PEM) as PKCS#12 (DER), the way GnuTLS tools make it: both
 * bags encrypted with password under cipher (e.g. GNUTLS_PKCS_PBES2_AES_256), a SHA-256
 * MAC with the same password. */
GBytes     *test_util_make_pkcs12       (const char                  *cert_pem,
                                         const char                  *key_pem,
                                         const char                  *password,
                                         gnutls_pkcs_encrypt_flags_t  cipher);

/* The same as the console runs it: the service on a thread of its own (WpiServiceHost) */
WpiServiceHost *test_util_service_host_new   (const char     *data_dir);
WpiServiceHost *test_util_service_host_start (const char     *data_dir);
char           *test_util_service_host_uri   (WpiServiceHost *host,
                                              gboolean        secure);

/* A field of a registered phone, e.g. wpi_phone_get_firmware */
typedef const char *(*TestUtilPhoneField) (WpiPhone *phone);
/* TRUE when phones (a host's mirror) holds at least n_phones phones and field is set for
 * each of them: every phone has registered and its start-up is stored */
gboolean        test_util_phones_all_have    (GListModel         *phones,
                                              guint               n_phones,
                                              TestUtilPhoneField  field);

G_END_DECLS
