/* test-util-service.c: a WpiService for tests (see test-util-service.h) */
#include <string.h>
#include <time.h>

#include <gnutls/crypto.h>

#include "test-util-service.h"
#include "wpi-bootstrap.h"

WpiService *
test_util_service_new (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiService *service;

  test_util_install_pki (data_dir);
  service = wpi_service_new (data_dir, &error);
  g_assert_no_error (error);
  /* Loopback only, and never the real ports 18443/18444 */
  wpi_service_set_bind_address (service, "127.0.0.1");
  wpi_service_set_ports (service, 0, 0);
  /* Tests make no RSA keys they do not need */
  g_object_set (service, "bundle-spare-keys", 0, NULL);
  return service;
}

WpiService *
test_util_service_start (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiService *service = test_util_service_new (data_dir);

  g_assert_true (wpi_service_start (service, &error));
  g_assert_no_error (error);
  return service;
}

void
test_util_service_set_up (const char  *prefix,
                          char       **data_dir,
                          WpiService **service)
{
  *data_dir = test_util_make_tmp_dir (prefix);
  *service = test_util_service_start (*data_dir);
}

void
test_util_service_tear_down (char       **data_dir,
                             WpiService **service)
{
  if (*service != NULL)
    wpi_service_stop (*service);
  g_clear_object (service);
  test_util_remove_tree (*data_dir);
  g_clear_pointer (data_dir, g_free);
}

char *
test_util_service_uri (WpiService *service,
                       gboolean    secure)
{
  guint port = secure ? wpi_service_get_secure_port (service) : wpi_service_get_port (service);

  return g_strdup_printf ("https://127.0.0.1:%u", port);
}

gint64
test_util_service_enqueue (WpiService *service,
                           const char *mac,
                           WpiJobKind  kind,
                           GArray     *items)
{
  g_autoptr(GError) error = NULL;
  gint64 id = wpi_service_enqueue_job (service, mac, kind, NULL, items, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

WpiJobState
test_util_service_job_state (WpiService *service,
                             gint64      id,
                             char      **reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = wpi_store_job_get (wpi_service_get_store (service), id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (job);
  if (reason != NULL)
    {
      g_free (*reason);
      *reason = g_strdup (job->failure_reason);
    }
  return job->state;
}

typedef struct {
  WpiService *service;
  gint64      job_id;
} BootstrapJob;

static gboolean
bootstrap_ready (gpointer data)
{
  BootstrapJob *job = data;

  return wpi_service_bootstrap_is_ready (job->service, job->job_id);
}

gint64
test_util_service_prepare_bootstrap (WpiService *service,
                                     const char *mac,
                                     gboolean    with_pin,
                                     guint       max_retries,
                                     guint       iterations,
                                     char      **pin)
{
  WpiBootstrapOptions options;
  g_autoptr(GError) error = NULL;
  BootstrapJob job = { service, 0 };

  wpi_bootstrap_options_init (&options);
  options.with_pin = with_pin;
  if (max_retries > 0)
    options.max_retries = max_retries;
  options.secure_port = wpi_service_get_secure_port (service);
  g_object_set (service, "bundle-iterations", iterations, NULL);
  job.job_id = wpi_bootstrap_prepare (wpi_service_get_store (service), mac, &options, pin, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job.job_id, >, 0);

  /* The service learns of the job and builds its bundle on its workers */
  wpi_service_reload (service);
  test_util_service_wait_bootstrap_ready (service, job.job_id);
  return job.job_id;
}

void
test_util_service_wait_bootstrap_ready (WpiService *service,
                                        gint64      job_id)
{
  BootstrapJob job = { service, job_id };

  test_util_wait_until (bootstrap_ready, &job, 60 * 1000, "the bootstrap's bundle");
}

gnutls_x509_crt_t
test_util_parse_certificate (const char *pem)
{
  gnutls_x509_crt_t crt;
  gnutls_datum_t data = { (unsigned char *) pem, strlen (pem) };

  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_import (crt, &data, GNUTLS_X509_FMT_PEM), ==, 0);
  return crt;
}

static char *
datum_steal_string (gnutls_datum_t *datum)
{
  char *str = g_strndup ((const char *) datum->data, datum->size);

  gnutls_free (datum->data);
  return str;
}

void
test_util_make_self_signed (const char  *dn,
                            gboolean     ca,
                            char       **cert_pem,
                            char       **key_pem)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t out = { NULL, 0 };
  guint8 serial[8];
  time_t now = time (NULL);

  g_assert_cmpint (gnutls_rnd (GNUTLS_RND_NONCE, serial, sizeof serial), ==, 0);
  serial[0] = (serial[0] & 0x7f) | 0x40;   /* positive, and eight bytes long */
  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_generate2 (key, GNUTLS_PK_RSA, 2048, 0, NULL, 0), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_version (crt, 3), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_serial (crt, serial, sizeof serial), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_activation_time (crt, now - 3600), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_expiration_time (crt, now + 5 * 365 * 86400), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_dn (crt, dn, NULL), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key (crt, key), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_basic_constraints (crt, ca, -1), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_set_key_usage (crt, ca ? GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN
                                                          : GNUTLS_KEY_DIGITAL_SIGNATURE), ==, 0);
  g_assert_cmpint (gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0), ==, 0);

  g_assert_cmpint (gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out), ==, 0);
  *cert_pem = datum_steal_string (&out);
  g_assert_cmpint (gnutls_x509_privkey_export2 (key, GNUTLS_X509_FMT_PEM, &out), ==, 0);
  *key_pem = datum_steal_string (&out);

  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
}

GBytes *
test_util_make_pkcs12 (const char                  *cert_pem,
                       const char                  *key_pem,
                       const char                  *password,
                       gnutls_pkcs_encrypt_flags_t  cipher)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt = test_util_parse_certificate (cert_pem);
  gnutls_pkcs12_t p12;
  gnutls_pkcs12_bag_t cert_bag;
  gnutls_pkcs12_bag_t key_bag;
  gnutls_datum_t key_data = { (unsigned char *) key_pem, strlen (key_pem) };
  gnutls_datum_t key_der;
  gnutls_datum_t out;
  GBytes *bytes;

  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_import (key, &key_data, GNUTLS_X509_FMT_PEM), ==, 0);

  g_assert_cmpint (gnutls_pkcs12_init (&p12), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_bag_init (&cert_bag), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_bag_set_crt (cert_bag, crt), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_bag_encrypt (cert_bag, password, cipher), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_set_bag (p12, cert_bag), ==, 0);

  g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_DER, password, cipher, &key_der), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_bag_init (&key_bag), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_bag_set_data (key_bag, GNUTLS_BAG_PKCS8_ENCRYPTED_KEY, &key_der), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_set_bag (p12, key_bag), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_generate_mac2 (p12, GNUTLS_MAC_SHA256, password), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_export2 (p12, GNUTLS_X509_FMT_DER, &out), ==, 0);
  bytes = g_bytes_new (out.data, out.size);

  gnutls_free (out.data);
  gnutls_free (key_der.data);
  gnutls_pkcs12_bag_deinit (key_bag);
  gnutls_pkcs12_bag_deinit (cert_bag);
  gnutls_pkcs12_deinit (p12);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);
  return bytes;
}

WpiServiceHost *
test_util_service_host_new (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiServiceHost *host;

  test_util_install_pki (data_dir);
  host = wpi_service_host_new (data_dir, &error);
  g_assert_no_error (error);
  wpi_service_host_set_bind_address (host, "127.0.0.1");
  wpi_service_host_set_ports (host, 0, 0);
  return host;
}

WpiServiceHost *
test_util_service_host_start (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiServiceHost *host = test_util_service_host_new (data_dir);

  g_assert_true (wpi_service_host_start (host, &error));
  g_assert_no_error (error);
  return host;
}

char *
test_util_service_host_uri (WpiServiceHost *host,
                            gboolean        secure)
{
  guint port = secure ? wpi_service_host_get_secure_port (host) : wpi_service_host_get_port (host);

  return g_strdup_printf ("https://127.0.0.1:%u", port);
}

gboolean
test_util_phones_all_have (GListModel         *phones,
                           guint               n_phones,
                           TestUtilPhoneField  field)
{
  guint n = g_list_model_get_n_items (phones);

  if (n < n_phones)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);

      if (field (phone) == NULL)
        return FALSE;
    }
  return TRUE;
}
