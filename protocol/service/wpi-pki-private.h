/* wpi-pki-private.h: what the parts of WpiPki share (wpi-pki.c, wpi-pki-ca.c,
 * wpi-pki-server.c, wpi-pki-client.c, wpi-pki-revocation.c): the instance struct, the
 * file names and limits, GnuTLS cleanup helpers and the internal _wpi_pki_* functions. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

#include "wpi-mac.h"
#include "wpi-pki.h"

#define CA_FILE          "ca.pem"
#define CA_CERT_FILE     "ca.crt"
#define OWN_CA_FILE      "own-ca.pem"
#define RETIRED_CA_FILE  "retired-ca.crt"
#define SERVER_FILE      "server.pem"
#define CRL_FILE         "crl.pem"
#define REVOKED_FILE     "revoked.tsv"
#define CLIENTS_DIR      "clients"
#define CURRENT_FILE     "current.pem"

#define DAY_SECONDS              (24 * 60 * 60)
/* Certificates start a day in the past so that a phone whose clock is a little behind
 * does not see them as not yet valid. */
#define BACKDATE_SECONDS         DAY_SECONDS
#define SERVER_VALIDITY_DAYS     (10 * 365)
#define RENEW_BEFORE_SECONDS     (30 * DAY_SECONDS)
#define CRL_VALIDITY_SECONDS     (365 * DAY_SECONDS)
#define SERIAL_BYTES             16
#define MAX_KEY_ID               64

G_BEGIN_DECLS

/* ---- GnuTLS cleanup helpers ---------------------------------------------- */

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crl_t, gnutls_x509_crl_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_pkcs12_t, gnutls_pkcs12_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_pkcs12_bag_t, gnutls_pkcs12_bag_deinit, NULL)

static inline void
datum_clear (gnutls_datum_t *datum)
{
  gnutls_free (datum->data);
  datum->data = NULL;
  datum->size = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (gnutls_datum_t, datum_clear)

/* A list of certificates as gnutls_x509_crt_list_import2() allocates it. */
typedef struct {
  gnutls_x509_crt_t *certs;
  unsigned int       n;
} CertList;

static inline void
cert_list_clear (CertList *list)
{
  for (unsigned int i = 0; i < list->n; i++)
    gnutls_x509_crt_deinit (list->certs[i]);
  gnutls_free (list->certs);
  list->certs = NULL;
  list->n = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CertList, cert_list_clear)

/* ---- WpiPki -------------------------------------------------------------- */

/* Which version of a file was seen: every write is a rename, so a new version has a new
 * inode, and the rest catches an inode reused at once. */
typedef struct {
  gboolean exists;
  dev_t    dev;
  ino_t    ino;
  off_t    size;
  gint64   mtime_ns;
} FileStamp;

struct _WpiPki
{
  GObject parent_instance;

  char *directory;
  char *ca_path;
  guint key_bits;
  guint client_validity_days;

  /* Everything below is guarded by the lock. */
  GMutex lock;
  gnutls_x509_privkey_t ca_key;
  CertList ca_chain;            /* certs[0] signs the phones' certificates and the CRL */
  char *ca_chain_pem;
  gnutls_x509_privkey_t own_key;  /* the console's own CA: signs the server certificate */
  CertList own_chain;
  char *own_chain_pem;
  CertList retired;             /* CAs that signed before: they verify, never sign */
  char *server_pem;             /* key + certificate + own CA chain */
  char *server_cert_pem;        /* certificate + own CA chain */
  GStrv server_names;
  GHashTable *revoked;          /* serial -> RevokedEntry */
  FileStamp revoked_stamp;      /* revoked.tsv as last read or written */
  GHashTable *serials;          /* every serial issued or revoked (set) */
  char *crl_pem;
  gnutls_x509_trust_list_t trust;
};

typedef struct {
  char   *mac;
  gint64  time;
} RevokedEntry;

/* wpi-pki.c */

char *_wpi_pki_bytes_to_hex (const guint8 *bytes,
                             gsize         length);

char *_wpi_pki_cert_list_to_pem (const CertList  *list,
                                 GError         **error);

char *_wpi_pki_crt_get_common_name (gnutls_x509_crt_t crt);

char *_wpi_pki_crt_get_serial_hex (gnutls_x509_crt_t crt);

char *_wpi_pki_crt_to_pem (gnutls_x509_crt_t   crt,
                           GError            **error);

char *_wpi_pki_datum_to_string (const gnutls_datum_t *datum);

gboolean _wpi_pki_ensure_private_dir (const char  *path,
                                      GError     **error);

void _wpi_pki_free_secret (char *secret);

gnutls_x509_privkey_t _wpi_pki_generate_key (guint     bits,
                                             GError  **error);

GBytes *_wpi_pki_hex_to_bytes (const char *hex);

gboolean _wpi_pki_import_cert_list (const char  *pem,
                                    gsize        length,
                                    CertList    *out,
                                    const char  *what,
                                    GError     **error);

gnutls_x509_privkey_t _wpi_pki_import_key (const char  *pem,
                                           gsize        length,
                                           const char  *password,
                                           const char  *what,
                                           GError     **error);

gboolean _wpi_pki_key_matches_cert (gnutls_x509_privkey_t key,
                                    gnutls_x509_crt_t     crt);

char *_wpi_pki_key_to_pem (gnutls_x509_privkey_t   key,
                           GError                **error);

char *_wpi_pki_mac_to_dir_name (const char *normalized_mac);

gnutls_x509_crt_t _wpi_pki_new_cert (gnutls_x509_privkey_t   key,
                                     const char             *common_name,
                                     const guint8           *serial,
                                     gint64                  not_before,
                                     gint64                  not_after,
                                     GError                **error);

char *_wpi_pki_normalize_mac_or_error (const char  *mac,
                                       GError     **error);

char *_wpi_pki_normalize_serial (const char *serial);

gint64 _wpi_pki_now_seconds (void);

char *_wpi_pki_path (WpiPki     *self,
                         const char *first,
                         ...);

gboolean _wpi_pki_random_serial (WpiPki  *self,
                                 guint8   serial[SERIAL_BYTES],
                                 GError **error);

char *_wpi_pki_read_file_if_exists (const char  *path,
                                    gsize       *length,
                                    GError     **error);

void _wpi_pki_revoked_entry_free (gpointer data);

G_GNUC_PRINTF (4, 5)
void _wpi_pki_set_gnutls_error (GError      **error,
                                WpiPkiError   code,
                                int           ret,
                                const char   *format,
                                ...);

gboolean _wpi_pki_sign_with (gnutls_x509_privkey_t   ca_key,
                              gnutls_x509_crt_t       ca_cert,
                              gnutls_x509_crt_t       crt,
                              GError                **error);

gboolean _wpi_pki_sign_with_ca (WpiPki             *self,
                                gnutls_x509_crt_t   crt,
                                GError            **error);

gboolean _wpi_pki_write_private_file (const char  *path,
                                      const char  *contents,
                                      GError     **error);

/* wpi-pki-ca.c */

gboolean _wpi_pki_create_ca (WpiPki  *self,
                             GError **error);

gboolean _wpi_pki_load_own_ca (WpiPki  *self,
                               GError **error);

gboolean _wpi_pki_load_retired (WpiPki  *self,
                                GError **error);

gboolean _wpi_pki_load_ca (WpiPki      *self,
                           const char  *contents,
                           gsize        length,
                           GError     **error);

void _wpi_pki_remember_serial (WpiPki            *self,
                               gnutls_x509_crt_t  crt);

/* wpi-pki-server.c */

gboolean _wpi_pki_ensure_server_cert (WpiPki    *self,
                                      gboolean   force,
                                      GError   **error);

/* wpi-pki-revocation.c */

gboolean _wpi_pki_ensure_crl (WpiPki  *self,
                              GError **error);

gboolean _wpi_pki_load_client_serials (WpiPki  *self,
                                       GError **error);

gboolean _wpi_pki_load_revoked (WpiPki  *self,
                                GError **error);

int _wpi_pki_lock_directory (WpiPki  *self,
                             GError **error);

gboolean _wpi_pki_rebuild_trust (WpiPki  *self,
                                 GError **error);

void _wpi_pki_unlock_directory (int fd);

G_END_DECLS
