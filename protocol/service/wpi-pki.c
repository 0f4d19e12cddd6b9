/* wpi-pki.c: the console's CA, server and client certificates (see wpi-pki.h) */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
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

/* ---- GnuTLS cleanup helpers ---------------------------------------------- */

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crt_t, gnutls_x509_crt_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_privkey_t, gnutls_x509_privkey_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_x509_crl_t, gnutls_x509_crl_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_pkcs12_t, gnutls_pkcs12_deinit, NULL)
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (gnutls_pkcs12_bag_t, gnutls_pkcs12_bag_deinit, NULL)

static void
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

static void
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
  CertList ca_chain;            /* certs[0] signs */
  char *ca_chain_pem;
  char *server_pem;             /* key + certificate + CA chain */
  char *server_cert_pem;        /* certificate + CA chain */
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


static void
revoked_entry_free (gpointer data)
{
  RevokedEntry *entry = data;

  g_free (entry->mac);
  g_free (entry);
}

enum {
  PROP_0,
  PROP_DIRECTORY,
  PROP_KEY_BITS,
  PROP_CLIENT_VALIDITY_DAYS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void wpi_pki_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WpiPki, wpi_pki, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, wpi_pki_initable_iface_init))

G_DEFINE_QUARK (wpi-pki-error-quark, wpi_pki_error)

/* ---- WpiClientCert ------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (WpiClientCert, wpi_client_cert, wpi_client_cert_copy, wpi_client_cert_free)

WpiClientCert *
wpi_client_cert_copy (const WpiClientCert *cert)
{
  WpiClientCert *copy;

  g_return_val_if_fail (cert != NULL, NULL);

  copy = g_new0 (WpiClientCert, 1);
  copy->mac = g_strdup (cert->mac);
  copy->serial = g_strdup (cert->serial);
  copy->cert_pem = g_strdup (cert->cert_pem);
  copy->key_pem = g_strdup (cert->key_pem);
  copy->not_before = cert->not_before;
  copy->not_after = cert->not_after;

  return copy;
}

static void
free_secret (char *secret)
{
  if (secret != NULL)
    gnutls_memset (secret, 0, strlen (secret));
  g_free (secret);
}

void
wpi_client_cert_free (WpiClientCert *cert)
{
  if (cert == NULL)
    return;

  g_free (cert->mac);
  g_free (cert->serial);
  g_free (cert->cert_pem);
  free_secret (cert->key_pem);
  g_free (cert);
}

/* ---- Small helpers ------------------------------------------------------- */

G_GNUC_PRINTF (4, 5)
static void
set_gnutls_error (GError      **error,
                  WpiPkiError   code,
                  int           ret,
                  const char   *format,
                  ...)
{
  g_autofree char *what = NULL;
  va_list args;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, WPI_PKI_ERROR, code, "%s: %s", what, gnutls_strerror (ret));
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static char *
normalize_mac_or_error (const char  *mac,
                        GError     **error)
{
  char *normalized = wpi_mac_normalize (mac, NULL);

  if (normalized == NULL)
    g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_MAC,
                 "“%s” is not a MAC address", mac != NULL ? mac : "(null)");

  return normalized;
}

/* "00:1A:E8:12:34:56" -> "001AE8123456", the phone's directory name. */
static char *
mac_to_dir_name (const char *normalized_mac)
{
  GString *name = g_string_new (NULL);

  for (const char *p = normalized_mac; *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (name, *p);

  return g_string_free (name, FALSE);
}

static char *
bytes_to_hex (const guint8 *bytes,
              gsize         length)
{
  static const char hex[] = "0123456789ABCDEF";
  char *str;
  gsize start = 0;

  /* The same serial may come with or without DER's leading zero bytes. */
  while (start + 1 < length && bytes[start] == 0)
    start++;

  str = g_malloc (2 * (length - start) + 1);
  for (gsize i = start; i < length; i++)
    {
      str[2 * (i - start)] = hex[bytes[i] >> 4];
      str[2 * (i - start) + 1] = hex[bytes[i] & 0xf];
    }
  str[2 * (length - start)] = '\0';

  return str;
}

static GBytes *
hex_to_bytes (const char *hex)
{
  gsize length = strlen (hex);
  g_autofree guint8 *bytes = NULL;

  if (length == 0 || length % 2 != 0 || length > 2 * 20 + 2)
    return NULL;

  bytes = g_malloc (length / 2);
  for (gsize i = 0; i < length / 2; i++)
    {
      int high = g_ascii_xdigit_value (hex[2 * i]);
      int low = g_ascii_xdigit_value (hex[2 * i + 1]);

      if (high < 0 || low < 0)
        return NULL;
      bytes[i] = (high << 4) | low;
    }

  return g_bytes_new_take (g_steal_pointer (&bytes), length / 2);
}

/* Upper-case hex without leading zero bytes, or NULL when not hex. */
static char *
normalize_serial (const char *serial)
{
  g_autofree char *padded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length;
  const guint8 *data;

  if (serial == NULL)
    return NULL;

  padded = strlen (serial) % 2 != 0 ? g_strconcat ("0", serial, NULL) : g_strdup (serial);
  bytes = hex_to_bytes (padded);
  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &length);
  return bytes_to_hex (data, length);
}

static char *
crt_get_serial_hex (gnutls_x509_crt_t crt)
{
  guint8 serial[64];
  size_t size = sizeof serial;

  if (gnutls_x509_crt_get_serial (crt, serial, &size) < 0 || size == 0)
    return NULL;

  return bytes_to_hex (serial, size);
}

static char *
crt_get_common_name (gnutls_x509_crt_t crt)
{
  char name[256];
  size_t size = sizeof name;

  if (gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &size) < 0)
    return NULL;

  return g_strndup (name, size);
}

static char *
datum_to_string (const gnutls_datum_t *datum)
{
  return g_strndup ((const char *) datum->data, datum->size);
}

static char *
crt_to_pem (gnutls_x509_crt_t   crt,
            GError            **error)
{
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  int ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out);

  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not encode a certificate");
      return NULL;
    }

  return datum_to_string (&out);
}

static char *
key_to_pem (gnutls_x509_privkey_t   key,
            GError                **error)
{
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  char *pem;
  int ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                               GNUTLS_PKCS_PLAIN, &out);

  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not encode a private key");
      return NULL;
    }

  pem = datum_to_string (&out);
  gnutls_memset (out.data, 0, out.size);

  return pem;
}

static char *
cert_list_to_pem (const CertList  *list,
                  GError         **error)
{
  g_autoptr(GString) pem = g_string_new (NULL);

  for (unsigned int i = 0; i < list->n; i++)
    {
      g_autofree char *one = crt_to_pem (list->certs[i], error);

      if (one == NULL)
        return NULL;
      g_string_append (pem, one);
    }

  return g_string_free (g_steal_pointer (&pem), FALSE);
}

static gboolean
import_cert_list (const char  *pem,
                  gsize        length,
                  CertList    *out,
                  const char  *what,
                  GError     **error)
{
  gnutls_datum_t data = { (unsigned char *) pem, length };
  int ret;

  if (length > G_MAXUINT)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT, "%s is too large", what);
      return FALSE;
    }

  ret = gnutls_x509_crt_list_import2 (&out->certs, &out->n, &data, GNUTLS_X509_FMT_PEM, 0);
  if (ret < 0)
    {
      out->certs = NULL;
      out->n = 0;
      set_gnutls_error (error, WPI_PKI_ERROR_INVALID_INPUT, ret,
                        "%s holds no readable PEM certificate", what);
      return FALSE;
    }

  return TRUE;
}

static gnutls_x509_privkey_t
import_key (const char  *pem,
            gsize        length,
            const char  *password,
            const char  *what,
            GError     **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  gnutls_datum_t data = { (unsigned char *) pem, length };
  int ret;

  ret = gnutls_x509_privkey_init (&key);
  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not allocate a key");
      return NULL;
    }

  ret = gnutls_x509_privkey_import2 (key, &data, GNUTLS_X509_FMT_PEM, password, 0);
  if (ret == GNUTLS_E_DECRYPTION_FAILED)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_BAD_PASSWORD, ret,
                        password == NULL ? "%s is encrypted and needs a password"
                                         : "The password does not open %s", what);
      return NULL;
    }
  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_INVALID_INPUT, ret,
                        "%s holds no readable private key", what);
      return NULL;
    }

  return g_steal_pointer (&key);
}

static gnutls_x509_privkey_t
generate_key (guint     bits,
              GError  **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  int ret;

  ret = gnutls_x509_privkey_init (&key);
  if (ret >= 0)
    ret = gnutls_x509_privkey_generate2 (key, GNUTLS_PK_RSA, bits, 0, NULL, 0);
  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret,
                        "Could not generate a %u-bit RSA key", bits);
      return NULL;
    }

  return g_steal_pointer (&key);
}

static gboolean
key_matches_cert (gnutls_x509_privkey_t key,
                  gnutls_x509_crt_t     crt)
{
  guint8 key_id[MAX_KEY_ID];
  guint8 cert_id[MAX_KEY_ID];
  size_t key_id_size = sizeof key_id;
  size_t cert_id_size = sizeof cert_id;

  if (gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA256, key_id, &key_id_size) < 0 ||
      gnutls_x509_crt_get_key_id (crt, GNUTLS_KEYID_USE_SHA256, cert_id, &cert_id_size) < 0)
    return FALSE;

  return key_id_size == cert_id_size && memcmp (key_id, cert_id, key_id_size) == 0;
}

/* ---- Files --------------------------------------------------------------- */

static gboolean
ensure_private_dir (const char  *path,
                    GError     **error)
{
  GStatBuf st;

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO,
                   "Could not create %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  /* A directory that existed before may be more open than it must be. */
  if (g_stat (path, &st) == 0 && (st.st_mode & 0777) != 0700 && g_chmod (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO,
                   "Could not make %s private: %s", path, g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

/* Temporary file (mode 0600) + fsync + rename, so a crash leaves the old or the new file. */
static gboolean
write_private_file (const char  *path,
                    const char  *contents,
                    GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Contents, NULL with no error when the file does not exist, NULL with an error otherwise. */
static char *
read_file_if_exists (const char  *path,
                     gsize       *length,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, length, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO, "%s", local_error->message);
      return NULL;
    }

  return contents;
}

static char *
pki_path (WpiPki     *self,
          const char *first,
          ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, self->directory);
  g_ptr_array_add (parts, (gpointer) first);
  va_start (args, first);
  for (const char *part = va_arg (args, const char *); part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

/* ---- Certificates -------------------------------------------------------- */

static gboolean
random_serial (WpiPki  *self,
               guint8   serial[SERIAL_BYTES],
               GError **error)
{
  /* 127 random bits; a collision with a known serial is only ever a theory, but
   * checking costs nothing. */
  for (guint attempt = 0; attempt < 16; attempt++)
    {
      g_autofree char *hex = NULL;
      int ret = gnutls_rnd (GNUTLS_RND_NONCE, serial, SERIAL_BYTES);

      if (ret < 0)
        {
          set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not get random data");
          return FALSE;
        }

      /* Positive and without a leading zero byte, so its DER form is these 16 bytes. */
      serial[0] = (serial[0] & 0x7f) | 0x40;
      hex = bytes_to_hex (serial, SERIAL_BYTES);
      if (!g_hash_table_contains (self->serials, hex))
        return TRUE;
    }

  g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_CRYPTO,
                       "The random source keeps repeating serial numbers");
  return FALSE;
}

static gboolean
key_id_of (gnutls_x509_privkey_t  key,
           guint8                 id[MAX_KEY_ID],
           size_t                *id_size)
{
  *id_size = MAX_KEY_ID;
  return gnutls_x509_privkey_get_key_id (key, GNUTLS_KEYID_USE_SHA1, id, id_size) >= 0;
}

/* The fields every certificate of ours has; the caller adds the extensions of its role. */
static gnutls_x509_crt_t
new_cert (gnutls_x509_privkey_t   key,
          const char             *common_name,
          const guint8           *serial,
          gint64                  not_before,
          gint64                  not_after,
          GError                **error)
{
  g_auto(gnutls_x509_crt_t) crt = NULL;
  guint8 key_id[MAX_KEY_ID];
  size_t key_id_size;
  int ret;

  if ((ret = gnutls_x509_crt_init (&crt)) < 0 ||
      (ret = gnutls_x509_crt_set_version (crt, 3)) < 0 ||
      (ret = gnutls_x509_crt_set_serial (crt, serial, SERIAL_BYTES)) < 0 ||
      (ret = gnutls_x509_crt_set_activation_time (crt, (time_t) not_before)) < 0 ||
      (ret = gnutls_x509_crt_set_expiration_time (crt, (time_t) not_after)) < 0 ||
      (ret = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                            common_name, strlen (common_name))) < 0 ||
      (ret = gnutls_x509_crt_set_key (crt, key)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret,
                        "Could not build the certificate for “%s”", common_name);
      return NULL;
    }

  if (key_id_of (key, key_id, &key_id_size) &&
      (ret = gnutls_x509_crt_set_subject_key_id (crt, key_id, key_id_size)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not set the subject key ID");
      return NULL;
    }

  return g_steal_pointer (&crt);
}

/* Signs `crt` with the CA (lock held), naming the CA's key as the authority key. */
static gboolean
sign_with_ca (WpiPki             *self,
              gnutls_x509_crt_t   crt,
              GError            **error)
{
  guint8 ca_key_id[MAX_KEY_ID];
  size_t ca_key_id_size = sizeof ca_key_id;
  unsigned int critical;
  int ret;

  if (gnutls_x509_crt_get_subject_key_id (self->ca_chain.certs[0], ca_key_id,
                                          &ca_key_id_size, &critical) < 0 &&
      !key_id_of (self->ca_key, ca_key_id, &ca_key_id_size))
    ca_key_id_size = 0;

  if (ca_key_id_size > 0 &&
      (ret = gnutls_x509_crt_set_authority_key_id (crt, ca_key_id, ca_key_id_size)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not set the authority key ID");
      return FALSE;
    }

  ret = gnutls_x509_crt_sign2 (crt, self->ca_chain.certs[0], self->ca_key, GNUTLS_DIG_SHA256, 0);
  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "The CA could not sign a certificate");
      return FALSE;
    }

  return TRUE;
}

/* ---- The CA -------------------------------------------------------------- */

/* Adds the serial of one of our certificates to the set new serials must avoid. */
static void
remember_serial (WpiPki            *self,
                 gnutls_x509_crt_t  crt)
{
  char *serial = crt_get_serial_hex (crt);

  if (serial != NULL)
    g_hash_table_add (self->serials, serial);
}

/* Installs a CA (lock held or not yet shared). Takes the key and the chain, also
 * on failure. */
static gboolean
set_ca (WpiPki                *self,
        gnutls_x509_privkey_t  key,
        CertList              *chain,
        GError               **error)
{
  g_autofree char *chain_pem = cert_list_to_pem (chain, error);

  if (chain_pem == NULL)
    {
      gnutls_x509_privkey_deinit (key);
      cert_list_clear (chain);
      return FALSE;
    }

  g_clear_pointer (&self->ca_key, gnutls_x509_privkey_deinit);
  cert_list_clear (&self->ca_chain);
  self->ca_key = key;
  self->ca_chain = *chain;
  chain->certs = NULL;
  chain->n = 0;
  g_free (self->ca_chain_pem);
  self->ca_chain_pem = g_steal_pointer (&chain_pem);
  remember_serial (self, self->ca_chain.certs[0]);

  return TRUE;
}

static gboolean
write_ca_files (WpiPki                 *self,
                gnutls_x509_privkey_t   key,
                const CertList         *chain,
                GError                **error)
{
  g_autofree char *path = pki_path (self, CA_FILE, NULL);
  g_autofree char *key_pem = key_to_pem (key, error);
  g_autofree char *chain_pem = NULL;
  g_autofree char *contents = NULL;
  gboolean ok;

  if (key_pem == NULL || (chain_pem = cert_list_to_pem (chain, error)) == NULL)
    return FALSE;

  contents = g_strconcat (key_pem, chain_pem, NULL);
  ok = write_private_file (path, contents, error) &&
       write_private_file (self->ca_path, chain_pem, error);
  gnutls_memset (key_pem, 0, strlen (key_pem));
  gnutls_memset (contents, 0, strlen (contents));

  return ok;
}

static gboolean
create_ca (WpiPki  *self,
           GError **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_auto(CertList) chain = { NULL, 0 };
  guint8 serial[SERIAL_BYTES];
  gint64 now = now_seconds ();
  int ret;

  key = generate_key (self->key_bits, error);
  if (key == NULL || !random_serial (self, serial, error))
    return FALSE;

  crt = new_cert (key, WPI_PKI_CA_COMMON_NAME, serial, now - BACKDATE_SECONDS,
                  now + (gint64) WPI_PKI_DEFAULT_CA_VALIDITY_DAYS * DAY_SECONDS, error);
  if (crt == NULL)
    return FALSE;

  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 1, 0)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0 ||
      (ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not create the CA certificate");
      return FALSE;
    }

  chain.certs = gnutls_malloc (sizeof (gnutls_x509_crt_t));
  chain.certs[0] = g_steal_pointer (&crt);
  chain.n = 1;

  if (!write_ca_files (self, key, &chain, error))
    return FALSE;

  g_debug ("Created the console CA in %s", self->directory);
  return set_ca (self, g_steal_pointer (&key), &chain, error);
}

/* Checks that a candidate CA can sign for us: a CA certificate, its key, in date. */
static gboolean
check_ca (gnutls_x509_privkey_t   key,
          const CertList         *chain,
          GError                **error)
{
  unsigned int critical = 0;
  unsigned int ca = 0;
  unsigned int key_usage = 0;
  int pathlen;
  int ret;

  if (chain->n == 0)
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                           "No CA certificate was given");
      return FALSE;
    }

  if (!key_matches_cert (key, chain->certs[0]))
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_KEY_MISMATCH,
                           "The private key does not belong to the CA certificate");
      return FALSE;
    }

  ret = gnutls_x509_crt_get_basic_constraints (chain->certs[0], &critical, &ca, &pathlen);
  if (ret < 0 || !ca)
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_A_CA,
                           "The certificate is not a CA certificate (basicConstraints CA:TRUE missing)");
      return FALSE;
    }

  ret = gnutls_x509_crt_get_key_usage (chain->certs[0], &key_usage, &critical);
  if (ret >= 0 && !(key_usage & GNUTLS_KEY_KEY_CERT_SIGN))
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_A_CA,
                           "The CA certificate's key usage does not allow signing certificates");
      return FALSE;
    }

  if (gnutls_x509_crt_get_expiration_time (chain->certs[0]) <= (time_t) now_seconds ())
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_A_CA,
                           "The CA certificate has expired");
      return FALSE;
    }

  return TRUE;
}

/* Puts the certificate that matches the key first; the others keep their order. */
static void
move_key_cert_first (gnutls_x509_privkey_t  key,
                     CertList              *chain)
{
  for (unsigned int i = 1; i < chain->n; i++)
    if (key_matches_cert (key, chain->certs[i]))
      {
        gnutls_x509_crt_t match = chain->certs[i];

        memmove (chain->certs + 1, chain->certs, i * sizeof (gnutls_x509_crt_t));
        chain->certs[0] = match;
        return;
      }
}

static gboolean
load_ca (WpiPki      *self,
         const char  *contents,
         gsize        length,
         GError     **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(CertList) chain = { NULL, 0 };
  g_autofree char *what = pki_path (self, CA_FILE, NULL);

  key = import_key (contents, length, NULL, what, error);
  if (key == NULL || !import_cert_list (contents, length, &chain, what, error))
    return FALSE;

  move_key_cert_first (key, &chain);
  if (!key_matches_cert (key, chain.certs[0]))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_KEY_MISMATCH,
                   "%s: the private key does not belong to the CA certificate", what);
      return FALSE;
    }

  return set_ca (self, g_steal_pointer (&key), &chain, error);
}

/* ---- Server certificate -------------------------------------------------- */

static void
add_name (GPtrArray  *names,
          const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (names, i), name) == 0)
      return;

  g_ptr_array_add (names, g_strdup (name));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Every name a phone may use for this host: localhost, the host name, every address. */
static GStrv
collect_local_names (void)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *host_name = g_get_host_name ();
  struct ifaddrs *addresses = NULL;

  add_name (names, "localhost");
  add_name (names, "127.0.0.1");
  add_name (names, "::1");
  if (host_name != NULL && host_name[0] != '\0' && !g_hostname_is_ip_address (host_name))
    add_name (names, host_name);

  if (getifaddrs (&addresses) == 0)
    {
      for (struct ifaddrs *ifa = addresses; ifa != NULL; ifa = ifa->ifa_next)
        {
          char text[INET6_ADDRSTRLEN];

          if (ifa->ifa_addr == NULL || !(ifa->ifa_flags & IFF_UP))
            continue;

          if (ifa->ifa_addr->sa_family == AF_INET)
            {
              const struct sockaddr_in *in = (const struct sockaddr_in *) (gpointer) ifa->ifa_addr;

              if (inet_ntop (AF_INET, &in->sin_addr, text, sizeof text) != NULL)
                add_name (names, text);
            }
          else if (ifa->ifa_addr->sa_family == AF_INET6)
            {
              const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) (gpointer) ifa->ifa_addr;

              /* A link-local address is only meaningful with its interface. */
              if (IN6_IS_ADDR_LINKLOCAL (&in6->sin6_addr))
                continue;
              if (inet_ntop (AF_INET6, &in6->sin6_addr, text, sizeof text) != NULL)
                add_name (names, text);
            }
        }
      freeifaddrs (addresses);
    }
  else
    {
      g_warning ("Could not list the network interfaces: %s", g_strerror (errno));
    }

  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);

  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static GStrv
crt_get_san_names (gnutls_x509_crt_t crt)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  for (unsigned int i = 0;; i++)
    {
      guint8 san[512];
      size_t size = sizeof san - 1;
      unsigned int type = 0;
      int ret = gnutls_x509_crt_get_subject_alt_name2 (crt, i, san, &size, &type, NULL);

      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        break;
      if (ret < 0)
        continue;

      if (type == GNUTLS_SAN_DNSNAME)
        {
          g_autofree char *dns_name = g_strndup ((const char *) san, size);

          add_name (names, dns_name);
        }
      else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16))
        {
          char text[INET6_ADDRSTRLEN];

          if (inet_ntop (size == 4 ? AF_INET : AF_INET6, san, text, sizeof text) != NULL)
            add_name (names, text);
        }
    }

  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);

  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static gboolean
names_cover (const char * const *have,
             const char * const *wanted)
{
  for (guint i = 0; wanted[i] != NULL; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; have[j] != NULL && !found; j++)
        found = g_ascii_strcasecmp (have[j], wanted[i]) == 0;
      if (!found)
        return FALSE;
    }

  return TRUE;
}

static gboolean
add_san (gnutls_x509_crt_t   crt,
         const char         *name,
         GError            **error)
{
  guint8 address[16];
  int ret;

  if (inet_pton (AF_INET, name, address) == 1)
    ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, address, 4,
                                                GNUTLS_FSAN_APPEND);
  else if (inet_pton (AF_INET6, name, address) == 1)
    ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, address, 16,
                                                GNUTLS_FSAN_APPEND);
  else
    {
      ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, name, strlen (name),
                                                  GNUTLS_FSAN_APPEND);
      if (ret < 0)
        {
          /* A host name GnuTLS will not encode is left out rather than failing. */
          g_warning ("Leaving “%s” out of the server certificate: %s", name, gnutls_strerror (ret));
          return TRUE;
        }
    }

  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not add “%s” to the server certificate", name);
      return FALSE;
    }

  return TRUE;
}

/* Issues the server certificate (lock held) for `names`, with `key` or a new key. */
static gboolean
issue_server_cert (WpiPki                 *self,
                   gnutls_x509_privkey_t   key,
                   const char * const     *names,
                   GError                **error)
{
  g_auto(gnutls_x509_privkey_t) new_key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_autofree char *path = pki_path (self, SERVER_FILE, NULL);
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *contents = NULL;
  const char *host_name = g_get_host_name ();
  guint8 serial[SERIAL_BYTES];
  gint64 now = now_seconds ();
  gint64 not_after = now + (gint64) SERVER_VALIDITY_DAYS * DAY_SECONDS;
  gint64 ca_not_after = gnutls_x509_crt_get_expiration_time (self->ca_chain.certs[0]);
  int ret;

  if (key == NULL)
    {
      key = new_key = generate_key (self->key_bits, error);
      if (key == NULL)
        return FALSE;
    }

  if (!random_serial (self, serial, error))
    return FALSE;

  /* Never outlive the CA that vouches for it. */
  if (ca_not_after > now && not_after > ca_not_after)
    not_after = ca_not_after;

  /* X.509 caps a common name at 64 characters; the SANs are what clients check anyway. */
  if (host_name == NULL || host_name[0] == '\0' || strlen (host_name) > 64)
    host_name = "localhost";

  crt = new_cert (key, host_name, serial, now - BACKDATE_SECONDS, not_after, error);
  if (crt == NULL)
    return FALSE;

  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                 GNUTLS_KEY_KEY_ENCIPHERMENT)) < 0 ||
      (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the server certificate");
      return FALSE;
    }

  for (guint i = 0; names[i] != NULL; i++)
    if (!add_san (crt, names[i], error))
      return FALSE;

  if (!sign_with_ca (self, crt, error))
    return FALSE;

  key_pem = key_to_pem (key, error);
  if (key_pem == NULL || (cert_pem = crt_to_pem (crt, error)) == NULL)
    return FALSE;

  contents = g_strconcat (key_pem, cert_pem, self->ca_chain_pem, NULL);
  gnutls_memset (key_pem, 0, strlen (key_pem));
  if (!write_private_file (path, contents, error))
    {
      free_secret (g_steal_pointer (&contents));
      return FALSE;
    }

  free_secret (self->server_pem);
  self->server_pem = g_steal_pointer (&contents);
  g_free (self->server_cert_pem);
  self->server_cert_pem = g_strconcat (cert_pem, self->ca_chain_pem, NULL);
  /* Read the names back from the encoded certificate: GnuTLS 3.7 does not return the
   * SANs of a certificate built in memory. */
  {
    g_auto(CertList) issued = { NULL, 0 };

    if (!import_cert_list (cert_pem, strlen (cert_pem), &issued, "The server certificate", error))
      return FALSE;
    g_strfreev (self->server_names);
    self->server_names = crt_get_san_names (issued.certs[0]);
    remember_serial (self, issued.certs[0]);
  }

  g_debug ("Issued the server certificate for %u names", g_strv_length (self->server_names));
  return TRUE;
}

static gboolean
issued_by_ca (WpiPki            *self,
              gnutls_x509_crt_t  crt)
{
  unsigned int status = 0;

  return gnutls_x509_crt_verify (crt, self->ca_chain.certs, 1, 0, &status) >= 0 && status == 0;
}

/* Loads server.pem and re-issues it when it no longer fits (lock held). */
static gboolean
ensure_server_cert (WpiPki    *self,
                    gboolean   force,
                    GError   **error)
{
  g_autofree char *path = pki_path (self, SERVER_FILE, NULL);
  g_autofree char *contents = NULL;
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(CertList) certs = { NULL, 0 };
  g_auto(GStrv) wanted = collect_local_names ();
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  contents = read_file_if_exists (path, &length, error);
  if (contents == NULL)
    {
      if (error != NULL && *error != NULL)
        return FALSE;
      return issue_server_cert (self, NULL, (const char * const *) wanted, error);
    }

  /* A damaged server file is only a nuisance: phones learn the new one on connect. */
  key = import_key (contents, length, NULL, path, &local_error);
  if (key == NULL || !import_cert_list (contents, length, &certs, path, &local_error) ||
      !key_matches_cert (key, certs.certs[0]))
    {
      g_warning ("Replacing the server certificate: %s",
                 local_error != NULL ? local_error->message : "key and certificate differ");
      free_secret (g_steal_pointer (&contents));
      return issue_server_cert (self, key, (const char * const *) wanted, error);
    }

  {
    g_auto(GStrv) have = crt_get_san_names (certs.certs[0]);
    gint64 not_after = gnutls_x509_crt_get_expiration_time (certs.certs[0]);

    if (force || !issued_by_ca (self, certs.certs[0]) ||
        not_after < now_seconds () + RENEW_BEFORE_SECONDS ||
        !names_cover ((const char * const *) have, (const char * const *) wanted))
      {
        g_debug ("Re-issuing the server certificate");
        free_secret (g_steal_pointer (&contents));
        return issue_server_cert (self, key, (const char * const *) wanted, error);
      }

    remember_serial (self, certs.certs[0]);
    free_secret (self->server_pem);
    self->server_pem = g_steal_pointer (&contents);
    g_free (self->server_cert_pem);
    self->server_cert_pem = cert_list_to_pem (&certs, error);
    g_strfreev (self->server_names);
    self->server_names = g_steal_pointer (&have);
  }

  return self->server_cert_pem != NULL;
}

/* ---- Revocation and trust ------------------------------------------------ */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char *
build_crl (WpiPki  *self,
           GError **error)
{
  g_auto(gnutls_x509_crl_t) crl = NULL;
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  g_autofree gpointer *serials = NULL;
  guint n_serials = 0;
  guint8 ca_key_id[MAX_KEY_ID];
  size_t ca_key_id_size = sizeof ca_key_id;
  unsigned int critical;
  gint64 now = now_seconds ();
  guint8 number[8];
  int ret;

  if ((ret = gnutls_x509_crl_init (&crl)) < 0 ||
      (ret = gnutls_x509_crl_set_version (crl, 2)) < 0 ||
      (ret = gnutls_x509_crl_set_this_update (crl, (time_t) now)) < 0 ||
      (ret = gnutls_x509_crl_set_next_update (crl, (time_t) (now + CRL_VALIDITY_SECONDS))) < 0)
    goto failed;

  /* Sorted, so the same revocations make the same list. */
  serials = g_hash_table_get_keys_as_array (self->revoked, &n_serials);
  qsort (serials, n_serials, sizeof (gpointer), compare_strings);
  for (guint i = 0; i < n_serials; i++)
    {
      const RevokedEntry *entry = g_hash_table_lookup (self->revoked, serials[i]);
      g_autofree char *padded = strlen (serials[i]) % 2 != 0 ? g_strconcat ("0", serials[i], NULL)
                                                             : g_strdup (serials[i]);
      g_autoptr(GBytes) serial = hex_to_bytes (padded);
      gsize size;
      const guint8 *data;

      if (serial == NULL)
        continue;
      data = g_bytes_get_data (serial, &size);
      ret = gnutls_x509_crl_set_crt_serial (crl, data, size, (time_t) entry->time);
      if (ret < 0)
        goto failed;
    }

  /* The CRL number only has to grow; the time does. */
  for (guint i = 0; i < sizeof number; i++)
    number[i] = (guint8) (((guint64) now) >> (8 * (sizeof number - 1 - i)));
  if ((ret = gnutls_x509_crl_set_number (crl, number, sizeof number)) < 0)
    goto failed;

  if (gnutls_x509_crt_get_subject_key_id (self->ca_chain.certs[0], ca_key_id,
                                          &ca_key_id_size, &critical) >= 0 &&
      (ret = gnutls_x509_crl_set_authority_key_id (crl, ca_key_id, ca_key_id_size)) < 0)
    goto failed;

  if ((ret = gnutls_x509_crl_sign2 (crl, self->ca_chain.certs[0], self->ca_key,
                                    GNUTLS_DIG_SHA256, 0)) < 0 ||
      (ret = gnutls_x509_crl_export2 (crl, GNUTLS_X509_FMT_PEM, &out)) < 0)
    goto failed;

  return datum_to_string (&out);

failed:
  set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the CRL");
  return NULL;
}

/* Rebuilds the trust list from the CA and CRL (lock held). Only the signing CA is an
 * anchor: trusting its issuers too would accept any certificate they sign. */
static gboolean
rebuild_trust (WpiPki  *self,
               GError **error)
{
  gnutls_x509_trust_list_t trust = NULL;
  g_autofree char *ca_pem = crt_to_pem (self->ca_chain.certs[0], error);
  gnutls_datum_t ca_datum;
  gnutls_datum_t crl_datum;
  int ret;

  if (ca_pem == NULL)
    return FALSE;

  ca_datum.data = (unsigned char *) ca_pem;
  ca_datum.size = strlen (ca_pem);
  crl_datum.data = (unsigned char *) self->crl_pem;
  crl_datum.size = strlen (self->crl_pem);

  ret = gnutls_x509_trust_list_init (&trust, 0);
  if (ret >= 0)
    ret = gnutls_x509_trust_list_add_trust_mem (trust, &ca_datum, &crl_datum, GNUTLS_X509_FMT_PEM,
                                                GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_FAIL_ON_INVALID_CRL, 0);
  if (ret < 0)
    {
      if (trust != NULL)
        gnutls_x509_trust_list_deinit (trust, 1);
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the trust list");
      return FALSE;
    }

  if (self->trust != NULL)
    gnutls_x509_trust_list_deinit (self->trust, 1);
  self->trust = trust;

  return TRUE;
}

static void
file_stamp_get (const char *path,
                FileStamp  *stamp)
{
  struct stat st;

  memset (stamp, 0, sizeof *stamp);
  if (g_stat (path, &st) != 0)
    return;
  stamp->exists = TRUE;
  stamp->dev = st.st_dev;
  stamp->ino = st.st_ino;
  stamp->size = st.st_size;
  stamp->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000) + st.st_mtim.tv_nsec;
}

static gboolean
file_stamp_equal (const FileStamp *a,
                  const FileStamp *b)
{
  return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino &&
         a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* Other processes on the same directory (the service, wpictl) revoke too: a
 * read-modify-write of the revoked list holds an exclusive flock() on the directory,
 * so that no revocation is lost. Returns the descriptor to close, or -1. */
static int
lock_directory (WpiPki  *self,
                GError **error)
{
  int fd = open (self->directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int saved_errno;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO, "Could not open %s: %s",
                   self->directory, g_strerror (saved_errno));
      return -1;
    }
  while (flock (fd, LOCK_EX) != 0)
    {
      if (errno == EINTR)
        continue;
      saved_errno = errno;
      close (fd);
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO, "Could not lock %s: %s",
                   self->directory, g_strerror (saved_errno));
      return -1;
    }
  return fd;
}

static void
unlock_directory (int fd)
{
  if (fd >= 0)
    close (fd);
}

static gboolean
write_revoked (WpiPki  *self,
               GError **error)
{
  g_autofree char *path = pki_path (self, REVOKED_FILE, NULL);
  g_autoptr(GString) contents = g_string_new (NULL);
  g_autofree gpointer *serials = NULL;
  guint n_serials = 0;

  serials = g_hash_table_get_keys_as_array (self->revoked, &n_serials);
  qsort (serials, n_serials, sizeof (gpointer), compare_strings);
  for (guint i = 0; i < n_serials; i++)
    {
      const RevokedEntry *entry = g_hash_table_lookup (self->revoked, serials[i]);

      g_string_append_printf (contents, "%s\t%s\t%" G_GINT64_FORMAT "\n",
                              (const char *) serials[i], entry->mac, entry->time);
    }

  if (!write_private_file (path, contents->str, error))
    return FALSE;
  file_stamp_get (path, &self->revoked_stamp);
  return TRUE;
}

/* After the revoked set changed (lock held): the list, then the CRL built from it. */
static gboolean
commit_revocations (WpiPki  *self,
                    GError **error)
{
  g_autofree char *crl_path = pki_path (self, CRL_FILE, NULL);
  g_autofree char *crl_pem = NULL;

  if (!write_revoked (self, error))
    return FALSE;

  crl_pem = build_crl (self, error);
  if (crl_pem == NULL || !write_private_file (crl_path, crl_pem, error))
    return FALSE;

  g_free (self->crl_pem);
  self->crl_pem = g_steal_pointer (&crl_pem);

  return rebuild_trust (self, error);
}

/* Reads revoked.tsv into a new set that replaces the one in memory (lock held). */
static gboolean
load_revoked (WpiPki  *self,
              GError **error)
{
  g_autofree char *path = pki_path (self, REVOKED_FILE, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GHashTable) revoked = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTableIter iter;
  gpointer serial_key;
  FileStamp stamp;

  /* The stamp before the contents: a file replaced in between is read again next time. */
  file_stamp_get (path, &stamp);
  revoked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, revoked_entry_free);
  contents = read_file_if_exists (path, NULL, error);
  if (contents == NULL && error != NULL && *error != NULL)
    return FALSE;

  lines = g_strsplit (contents != NULL ? contents : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      g_autofree char *serial = NULL;
      RevokedEntry *entry;
      gint64 time;

      if (lines[i][0] == '\0')
        continue;

      fields = g_strsplit (lines[i], "\t", -1);
      /* Never drop a revocation silently: a damaged list stops the PKI. */
      if (g_strv_length (fields) != 3 || (serial = normalize_serial (fields[0])) == NULL ||
          !g_ascii_string_to_signed (fields[2], 10, 0, G_MAXINT64, &time, NULL))
        {
          g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                       "%s:%u: not “SERIAL<TAB>MAC<TAB>TIME”", path, i + 1);
          return FALSE;
        }

      entry = g_new0 (RevokedEntry, 1);
      entry->mac = g_strdup (fields[1]);
      entry->time = time;
      g_hash_table_replace (revoked, g_steal_pointer (&serial), entry);
    }

  g_hash_table_iter_init (&iter, revoked);
  while (g_hash_table_iter_next (&iter, &serial_key, NULL))
    g_hash_table_add (self->serials, g_strdup (serial_key));
  g_hash_table_unref (self->revoked);
  self->revoked = g_steal_pointer (&revoked);
  self->revoked_stamp = stamp;

  return TRUE;
}

static gboolean ensure_crl (WpiPki  *self,
                            GError **error);

/* Another process may have revoked since this one last looked (wpictl revoke while the
 * service runs): reload the list, the CRL and the trust list when revoked.tsv is not
 * the version last read or written (lock held). A stat() when nothing changed.
 * directory_locked: the caller holds lock_directory() already (a second flock() of the
 * same process on another descriptor would wait for itself). */
static gboolean
refresh_revoked (WpiPki    *self,
                 gboolean   directory_locked,
                 GError   **error)
{
  g_autofree char *path = pki_path (self, REVOKED_FILE, NULL);
  FileStamp stamp;
  gboolean ok;
  int fd = -1;

  file_stamp_get (path, &stamp);
  if (file_stamp_equal (&stamp, &self->revoked_stamp))
    return TRUE;

  /* ensure_crl() may write crl.pem: not in the middle of another process's revocation */
  if (!directory_locked && (fd = lock_directory (self, error)) < 0)
    return FALSE;
  ok = load_revoked (self, error) && ensure_crl (self, error) && rebuild_trust (self, error);
  unlock_directory (fd);

  return ok;
}

/* The serials of every certificate issued for the phone in `dir_name`. */
static GPtrArray *
list_phone_serials (WpiPki     *self,
                    const char *dir_name)
{
  g_autofree char *path = pki_path (self, CLIENTS_DIR, dir_name, NULL);
  g_autoptr(GPtrArray) serials = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return g_steal_pointer (&serials);

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *base = NULL;
      char *serial;

      if (!g_str_has_suffix (name, ".crt"))
        continue;
      base = g_strndup (name, strlen (name) - 4);
      serial = normalize_serial (base);
      if (serial != NULL)
        g_ptr_array_add (serials, serial);
    }

  return g_steal_pointer (&serials);
}

static gboolean
load_client_serials (WpiPki  *self,
                     GError **error)
{
  g_autofree char *path = pki_path (self, CLIENTS_DIR, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!ensure_private_dir (path, error))
    return FALSE;

  dir = g_dir_open (path, 0, &local_error);
  if (dir == NULL)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autoptr(GPtrArray) serials = list_phone_serials (self, name);

      for (guint i = 0; i < serials->len; i++)
        g_hash_table_add (self->serials, g_strdup (g_ptr_array_index (serials, i)));
    }

  return TRUE;
}

/* Keeps crl.pem when it is the CA's and lists exactly the revoked serials. */
static gboolean
ensure_crl (WpiPki  *self,
            GError **error)
{
  g_autofree char *path = pki_path (self, CRL_FILE, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  contents = read_file_if_exists (path, &length, error);
  if (contents == NULL && error != NULL && *error != NULL)
    return FALSE;

  if (contents != NULL)
    {
      g_auto(gnutls_x509_crl_t) crl = NULL;
      gnutls_datum_t data = { (unsigned char *) contents, length };
      unsigned int status = 1;
      gboolean current = FALSE;

      if (gnutls_x509_crl_init (&crl) >= 0 &&
          gnutls_x509_crl_import (crl, &data, GNUTLS_X509_FMT_PEM) >= 0 &&
          gnutls_x509_crl_verify (crl, self->ca_chain.certs, 1, 0, &status) >= 0 && status == 0 &&
          gnutls_x509_crl_get_crt_count (crl) == (int) g_hash_table_size (self->revoked) &&
          gnutls_x509_crl_get_next_update (crl) > (time_t) (now_seconds () + RENEW_BEFORE_SECONDS))
        {
          current = TRUE;
          for (int i = 0; current && i < gnutls_x509_crl_get_crt_count (crl); i++)
            {
              guint8 serial[64];
              size_t size = sizeof serial;
              g_autofree char *hex = NULL;

              current = gnutls_x509_crl_get_crt_serial (crl, i, serial, &size, NULL) >= 0 &&
                        (hex = bytes_to_hex (serial, size)) != NULL &&
                        g_hash_table_contains (self->revoked, hex);
            }
        }

      if (current)
        {
          g_free (self->crl_pem);
          self->crl_pem = g_steal_pointer (&contents);
          return TRUE;
        }
    }

  g_free (self->crl_pem);
  self->crl_pem = build_crl (self, error);

  return self->crl_pem != NULL && write_private_file (path, self->crl_pem, error);
}

/* ---- GObject / GInitable ------------------------------------------------- */

static gboolean
wpi_pki_initable_init (GInitable     *initable,
                       GCancellable  *cancellable,
                       GError       **error)
{
  WpiPki *self = WPI_PKI (initable);
  g_autofree char *ca_file = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *ca_crt = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  gsize length = 0;
  gboolean loaded;
  int directory_fd;

  if (self->directory == NULL || self->directory[0] == '\0')
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO, "No PKI directory given");
      return FALSE;
    }

  locker = g_mutex_locker_new (&self->lock);

  if (!ensure_private_dir (self->directory, error))
    return FALSE;

  ca_file = pki_path (self, CA_FILE, NULL);
  contents = read_file_if_exists (ca_file, &length, error);
  if (contents == NULL)
    {
      /* Only a missing CA is created; a damaged one is an error, never replaced,
       * because phones in Secure Mode trust it. */
      if (error != NULL && *error != NULL)
        return FALSE;
      if (!create_ca (self, error))
        return FALSE;
    }
  else
    {
      gboolean ok = load_ca (self, contents, length, error);

      free_secret (g_steal_pointer (&contents));
      if (!ok)
        return FALSE;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* ca.crt is derived from ca.pem; rewrite it when it is missing or stale. */
  ca_crt = read_file_if_exists (self->ca_path, NULL, NULL);
  if (g_strcmp0 (ca_crt, self->ca_chain_pem) != 0 &&
      !write_private_file (self->ca_path, self->ca_chain_pem, error))
    return FALSE;

  /* ensure_crl() may rewrite crl.pem: not while another process revokes */
  if ((directory_fd = lock_directory (self, error)) < 0)
    return FALSE;
  loaded = load_revoked (self, error) &&
           load_client_serials (self, error) &&
           ensure_crl (self, error);
  unlock_directory (directory_fd);

  if (!loaded ||
      !rebuild_trust (self, error) ||
      !ensure_server_cert (self, FALSE, error))
    return FALSE;

  return TRUE;
}

static void
wpi_pki_initable_iface_init (GInitableIface *iface)
{
  iface->init = wpi_pki_initable_init;
}

static void
wpi_pki_finalize (GObject *object)
{
  WpiPki *self = WPI_PKI (object);

  g_free (self->directory);
  g_free (self->ca_path);
  g_clear_pointer (&self->ca_key, gnutls_x509_privkey_deinit);
  cert_list_clear (&self->ca_chain);
  g_free (self->ca_chain_pem);
  free_secret (self->server_pem);
  g_free (self->server_cert_pem);
  g_strfreev (self->server_names);
  g_hash_table_unref (self->revoked);
  g_hash_table_unref (self->serials);
  g_free (self->crl_pem);
  if (self->trust != NULL)
    gnutls_x509_trust_list_deinit (self->trust, 1);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (wpi_pki_parent_class)->finalize (object);
}

static void
wpi_pki_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  WpiPki *self = WPI_PKI (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      g_value_set_string (value, self->directory);
      break;
    case PROP_KEY_BITS:
      g_value_set_uint (value, wpi_pki_get_key_bits (self));
      break;
    case PROP_CLIENT_VALIDITY_DAYS:
      g_value_set_uint (value, wpi_pki_get_client_validity_days (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_pki_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  WpiPki *self = WPI_PKI (object);

  switch (prop_id)
    {
    case PROP_DIRECTORY:
      self->directory = g_value_dup_string (value);
      self->ca_path = self->directory != NULL ? g_build_filename (self->directory, CA_CERT_FILE, NULL) : NULL;
      break;
    case PROP_KEY_BITS:
      wpi_pki_set_key_bits (self, g_value_get_uint (value));
      break;
    case PROP_CLIENT_VALIDITY_DAYS:
      wpi_pki_set_client_validity_days (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_pki_class_init (WpiPkiClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = wpi_pki_finalize;
  object_class->get_property = wpi_pki_get_property;
  object_class->set_property = wpi_pki_set_property;

  properties[PROP_DIRECTORY] =
    g_param_spec_string ("directory", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_KEY_BITS] =
    g_param_spec_uint ("key-bits", NULL, NULL, 2048, 8192, WPI_PKI_DEFAULT_KEY_BITS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLIENT_VALIDITY_DAYS] =
    g_param_spec_uint ("client-validity-days", NULL, NULL, 1, 100 * 365,
                       WPI_PKI_DEFAULT_CLIENT_VALIDITY_DAYS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpi_pki_init (WpiPki *self)
{
  g_mutex_init (&self->lock);
  self->key_bits = WPI_PKI_DEFAULT_KEY_BITS;
  self->client_validity_days = WPI_PKI_DEFAULT_CLIENT_VALIDITY_DAYS;
  self->revoked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, revoked_entry_free);
  self->serials = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

WpiPki *
wpi_pki_new (const char    *directory,
             GCancellable  *cancellable,
             GError       **error)
{
  g_return_val_if_fail (directory != NULL, NULL);

  return g_initable_new (WPI_TYPE_PKI, cancellable, error, "directory", directory, NULL);
}

const char *
wpi_pki_get_directory (WpiPki *self)
{
  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  return self->directory;
}

guint
wpi_pki_get_key_bits (WpiPki *self)
{
  g_return_val_if_fail (WPI_IS_PKI (self), 0);

  return g_atomic_int_get (&self->key_bits);
}

void
wpi_pki_set_key_bits (WpiPki *self,
                      guint   key_bits)
{
  g_return_if_fail (WPI_IS_PKI (self));
  g_return_if_fail (key_bits >= 2048 && key_bits <= 8192);

  if ((guint) g_atomic_int_exchange (&self->key_bits, key_bits) != key_bits)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_BITS]);
}

guint
wpi_pki_get_client_validity_days (WpiPki *self)
{
  g_return_val_if_fail (WPI_IS_PKI (self), 0);

  return g_atomic_int_get (&self->client_validity_days);
}

void
wpi_pki_set_client_validity_days (WpiPki *self,
                                  guint   days)
{
  g_return_if_fail (WPI_IS_PKI (self));
  g_return_if_fail (days >= 1 && days <= 100 * 365);

  if ((guint) g_atomic_int_exchange (&self->client_validity_days, days) != days)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT_VALIDITY_DAYS]);
}

/* ---- CA accessors and import ---------------------------------------------- */

char *
wpi_pki_get_ca_pem (WpiPki *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  return g_strdup (self->ca_chain_pem);
}

GStrv
wpi_pki_get_ca_pems (WpiPki *self)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  for (unsigned int i = 0; i < self->ca_chain.n; i++)
    {
      g_autofree char *pem = crt_to_pem (self->ca_chain.certs[i], NULL);

      if (pem != NULL)
        g_strv_builder_add (builder, pem);
    }

  return g_strv_builder_end (builder);
}

const char *
wpi_pki_get_ca_path (WpiPki *self)
{
  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  return self->ca_path;
}

/* Makes `key` + `chain` the CA (lock not held), after checking them. */
static gboolean
install_ca (WpiPki                *self,
            gnutls_x509_privkey_t  key,
            CertList              *chain,
            GError               **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  gnutls_x509_privkey_t old_key;
  CertList old_chain;
  g_autofree char *old_chain_pem = NULL;
  g_autofree char *old_ca_file = NULL;
  g_autofree char *ca_file = NULL;
  gsize old_length = 0;

  move_key_cert_first (key, chain);
  if (!check_ca (key, chain, error))
    {
      gnutls_x509_privkey_deinit (key);
      return FALSE;
    }

  locker = g_mutex_locker_new (&self->lock);

  /* Keep the old CA to roll back to when writing or re-issuing fails. */
  ca_file = pki_path (self, CA_FILE, NULL);
  old_ca_file = read_file_if_exists (ca_file, &old_length, NULL);
  old_key = g_steal_pointer (&self->ca_key);
  old_chain = self->ca_chain;
  self->ca_chain.certs = NULL;
  self->ca_chain.n = 0;
  old_chain_pem = g_steal_pointer (&self->ca_chain_pem);

  if (!set_ca (self, key, chain, error) ||
      !write_ca_files (self, self->ca_key, &self->ca_chain, error) ||
      !ensure_crl (self, error) ||
      !rebuild_trust (self, error) ||
      !ensure_server_cert (self, TRUE, error))
    {
      g_clear_pointer (&self->ca_key, gnutls_x509_privkey_deinit);
      cert_list_clear (&self->ca_chain);
      g_free (self->ca_chain_pem);
      self->ca_key = old_key;
      self->ca_chain = old_chain;
      self->ca_chain_pem = g_steal_pointer (&old_chain_pem);
      if (old_ca_file != NULL)
        {
          write_private_file (ca_file, old_ca_file, NULL);
          write_private_file (self->ca_path, self->ca_chain_pem, NULL);
        }
      free_secret (g_steal_pointer (&old_ca_file));
      ensure_crl (self, NULL);
      rebuild_trust (self, NULL);
      ensure_server_cert (self, FALSE, NULL);
      return FALSE;
    }

  free_secret (g_steal_pointer (&old_ca_file));
  gnutls_x509_privkey_deinit (old_key);
  cert_list_clear (&old_chain);

  g_debug ("Imported a CA into %s", self->directory);
  return TRUE;
}

gboolean
wpi_pki_import_ca_pem (WpiPki      *self,
                       const char  *cert_pem,
                       const char  *key_pem,
                       const char  *password,
                       GError     **error)
{
  gnutls_x509_privkey_t key;
  g_auto(CertList) chain = { NULL, 0 };

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);
  g_return_val_if_fail (cert_pem != NULL, FALSE);
  g_return_val_if_fail (key_pem != NULL, FALSE);

  if (!import_cert_list (cert_pem, strlen (cert_pem), &chain, "The CA certificate", error))
    return FALSE;

  key = import_key (key_pem, strlen (key_pem), password, "the CA key", error);
  if (key == NULL)
    return FALSE;

  return install_ca (self, key, &chain, error);
}

gboolean
wpi_pki_import_ca_pkcs12 (WpiPki      *self,
                          GBytes      *pkcs12_der,
                          const char  *password,
                          GError     **error)
{
  g_auto(gnutls_pkcs12_t) p12 = NULL;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t *certs = NULL;
  unsigned int n_certs = 0;
  g_auto(CertList) chain = { NULL, 0 };
  gnutls_datum_t data;
  gsize size;
  int ret;

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);
  g_return_val_if_fail (pkcs12_der != NULL, FALSE);

  data.data = (unsigned char *) g_bytes_get_data (pkcs12_der, &size);
  data.size = size;

  if ((ret = gnutls_pkcs12_init (&p12)) < 0 ||
      (ret = gnutls_pkcs12_import (p12, &data, GNUTLS_X509_FMT_DER, 0)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_INVALID_INPUT, ret, "Not a PKCS#12 file");
      return FALSE;
    }

  ret = gnutls_pkcs12_verify_mac (p12, password != NULL ? password : "");
  if (ret == GNUTLS_E_MAC_VERIFY_FAILED)
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_BAD_PASSWORD,
                           "The password does not open the PKCS#12 file");
      return FALSE;
    }

  /* The chain comes back starting with the certificate of the key; a self-signed CA
   * is only included with this flag. */
  ret = gnutls_pkcs12_simple_parse (p12, password != NULL ? password : "", &key, &certs, &n_certs,
                                    NULL, NULL, NULL, GNUTLS_PKCS12_SP_INCLUDE_SELF_SIGNED);
  if (ret < 0)
    {
      set_gnutls_error (error,
                        ret == GNUTLS_E_DECRYPTION_FAILED ? WPI_PKI_ERROR_BAD_PASSWORD
                                                          : WPI_PKI_ERROR_INVALID_INPUT,
                        ret, "Could not read the key and certificate from the PKCS#12 file");
      return FALSE;
    }

  chain.certs = certs;
  chain.n = n_certs;
  if (key == NULL || n_certs == 0)
    {
      if (key != NULL)
        gnutls_x509_privkey_deinit (key);
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                           "The PKCS#12 file holds no key with its certificate");
      return FALSE;
    }

  return install_ca (self, key, &chain, error);
}

/* ---- Server accessors ------------------------------------------------------ */

GTlsCertificate *
wpi_pki_get_server_certificate (WpiPki  *self,
                                GError **error)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  return g_tls_certificate_new_from_pem (self->server_pem, -1, error);
}

char *
wpi_pki_get_server_cert_pem (WpiPki *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  return g_strdup (self->server_cert_pem);
}

GStrv
wpi_pki_get_server_names (WpiPki *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  return g_strdupv (self->server_names);
}

/* ---- Client certificates --------------------------------------------------- */

char *
wpi_pki_generate_key_pem (WpiPki  *self,
                          GError **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  key = generate_key (wpi_pki_get_key_bits (self), error);
  if (key == NULL)
    return NULL;

  return key_to_pem (key, error);
}

static WpiClientCert *
client_cert_from (gnutls_x509_crt_t       crt,
                  gnutls_x509_privkey_t   key,
                  GError                **error)
{
  g_autoptr(WpiClientCert) cert = g_new0 (WpiClientCert, 1);
  g_autofree char *common_name = crt_get_common_name (crt);

  cert->mac = wpi_mac_normalize (common_name, NULL);
  cert->serial = crt_get_serial_hex (crt);
  cert->cert_pem = crt_to_pem (crt, error);
  if (cert->cert_pem == NULL)
    return NULL;
  if (key != NULL && (cert->key_pem = key_to_pem (key, error)) == NULL)
    return NULL;
  cert->not_before = gnutls_x509_crt_get_activation_time (crt);
  cert->not_after = gnutls_x509_crt_get_expiration_time (crt);

  if (cert->mac == NULL || cert->serial == NULL)
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                           "The certificate names no phone or has no serial");
      return NULL;
    }

  return g_steal_pointer (&cert);
}

WpiClientCert *
wpi_pki_issue_client_cert (WpiPki      *self,
                           const char  *mac,
                           const char  *key_pem,
                           GError     **error)
{
  g_autofree char *normalized = NULL;
  g_autofree char *dir_name = NULL;
  g_autofree char *phone_dir = NULL;
  g_autofree char *serial_hex = NULL;
  g_autofree char *history_name = NULL;
  g_autofree char *history_path = NULL;
  g_autofree char *current_path = NULL;
  g_autofree char *current = NULL;
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_autoptr(WpiClientCert) cert = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  guint8 serial[SERIAL_BYTES];
  gint64 now = now_seconds ();
  gint64 not_after;
  gint64 ca_not_after;
  int ret;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  normalized = normalize_mac_or_error (mac, error);
  if (normalized == NULL)
    return NULL;

  /* The slow part, outside the lock. */
  if (key_pem != NULL)
    key = import_key (key_pem, strlen (key_pem), NULL, "the phone's key", error);
  else
    key = generate_key (wpi_pki_get_key_bits (self), error);
  if (key == NULL)
    return NULL;

  not_after = now + (gint64) wpi_pki_get_client_validity_days (self) * DAY_SECONDS;

  locker = g_mutex_locker_new (&self->lock);

  ca_not_after = gnutls_x509_crt_get_expiration_time (self->ca_chain.certs[0]);
  if (ca_not_after > now && not_after > ca_not_after)
    not_after = ca_not_after;

  if (!random_serial (self, serial, error))
    return NULL;

  crt = new_cert (key, normalized, serial, now - BACKDATE_SECONDS, not_after, error);
  if (crt == NULL)
    return NULL;

  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the client certificate");
      return NULL;
    }

  if (!sign_with_ca (self, crt, error))
    return NULL;

  cert = client_cert_from (crt, key, error);
  if (cert == NULL)
    return NULL;

  /* The history file first: a crash before current.pem is written leaves a
   * certificate that was never handed out, which revoke_mac still finds. */
  dir_name = mac_to_dir_name (normalized);
  phone_dir = pki_path (self, CLIENTS_DIR, dir_name, NULL);
  serial_hex = bytes_to_hex (serial, SERIAL_BYTES);
  history_name = g_strconcat (serial_hex, ".crt", NULL);
  history_path = g_build_filename (phone_dir, history_name, NULL);
  current_path = g_build_filename (phone_dir, CURRENT_FILE, NULL);
  current = g_strconcat (cert->key_pem, cert->cert_pem, NULL);

  if (!ensure_private_dir (phone_dir, error) ||
      !write_private_file (history_path, cert->cert_pem, error) ||
      !write_private_file (current_path, current, error))
    {
      free_secret (g_steal_pointer (&current));
      return NULL;
    }
  free_secret (g_steal_pointer (&current));

  g_hash_table_add (self->serials, g_steal_pointer (&serial_hex));

  return g_steal_pointer (&cert);
}

WpiClientCert *
wpi_pki_lookup_client_cert (WpiPki      *self,
                            const char  *mac,
                            GError     **error)
{
  g_autofree char *normalized = NULL;
  g_autofree char *dir_name = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(CertList) certs = { NULL, 0 };
  WpiClientCert *cert;
  gsize length = 0;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  normalized = normalize_mac_or_error (mac, error);
  if (normalized == NULL)
    return NULL;

  dir_name = mac_to_dir_name (normalized);
  path = pki_path (self, CLIENTS_DIR, dir_name, CURRENT_FILE, NULL);
  contents = read_file_if_exists (path, &length, error);
  if (contents == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND,
                     "No certificate has been issued for %s", normalized);
      return NULL;
    }

  key = import_key (contents, length, NULL, path, error);
  if (key == NULL || !import_cert_list (contents, length, &certs, path, error))
    {
      free_secret (g_steal_pointer (&contents));
      return NULL;
    }
  free_secret (g_steal_pointer (&contents));

  cert = client_cert_from (certs.certs[0], key, error);
  if (cert != NULL && g_strcmp0 (cert->mac, normalized) != 0)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                   "%s holds a certificate for %s", path, cert->mac);
      g_clear_pointer (&cert, wpi_client_cert_free);
    }

  return cert;
}

static gboolean
add_bag (gnutls_pkcs12_t      p12,
         gnutls_pkcs12_bag_t  bag,
         gboolean             encrypt,
         GError             **error)
{
  int ret;

  /* The empty password, as `certtool --to-p12 --empty-password` uses it: the bags
   * are encrypted with "" (not left plain), so OpenSSL's `-passin pass:` opens them. */
  if (encrypt && (ret = gnutls_pkcs12_bag_encrypt (bag, "", GNUTLS_PKCS_PBES2_AES_128)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not encrypt a PKCS#12 bag");
      return FALSE;
    }

  if ((ret = gnutls_pkcs12_set_bag (p12, bag)) < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not add a PKCS#12 bag");
      return FALSE;
    }

  return TRUE;
}

char *
wpi_pki_export_client_p12_base64 (WpiPki              *self,
                                  const WpiClientCert *cert,
                                  GError             **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(CertList) leaf = { NULL, 0 };
  g_auto(CertList) chain = { NULL, 0 };
  g_auto(gnutls_pkcs12_t) p12 = NULL;
  g_auto(gnutls_pkcs12_bag_t) cert_bag = NULL;
  g_auto(gnutls_pkcs12_bag_t) key_bag = NULL;
  g_auto(gnutls_datum_t) key_der = { NULL, 0 };
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  g_autofree char *ca_pem = NULL;
  guint8 key_id[MAX_KEY_ID];
  size_t key_id_size;
  gnutls_datum_t key_id_datum;
  int index;
  int ret;
  char *result;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);
  g_return_val_if_fail (cert != NULL, NULL);

  if (cert->key_pem == NULL)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND,
                   "The certificate of %s comes without its key", cert->mac);
      return NULL;
    }

  ca_pem = wpi_pki_get_ca_pem (self);
  key = import_key (cert->key_pem, strlen (cert->key_pem), NULL, "the phone's key", error);
  if (key == NULL ||
      !import_cert_list (cert->cert_pem, strlen (cert->cert_pem), &leaf, "the phone's certificate", error) ||
      !import_cert_list (ca_pem, strlen (ca_pem), &chain, "the CA certificate", error))
    return NULL;

  if (!key_matches_cert (key, leaf.certs[0]))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_KEY_MISMATCH,
                   "The key of %s does not belong to its certificate", cert->mac);
      return NULL;
    }

  /* The local key ID ties the certificate to its key, as certtool sets it. */
  key_id_size = sizeof key_id;
  if ((ret = gnutls_x509_crt_get_key_id (leaf.certs[0], GNUTLS_KEYID_USE_SHA1, key_id, &key_id_size)) < 0)
    goto failed;
  key_id_datum.data = key_id;
  key_id_datum.size = key_id_size;

  if ((ret = gnutls_pkcs12_init (&p12)) < 0 ||
      (ret = gnutls_pkcs12_bag_init (&cert_bag)) < 0 ||
      (ret = gnutls_pkcs12_bag_init (&key_bag)) < 0)
    goto failed;

  /* One encrypted bag for all certificates: each encryption costs a full PBKDF2 run. */
  if ((index = ret = gnutls_pkcs12_bag_set_crt (cert_bag, leaf.certs[0])) < 0 ||
      (ret = gnutls_pkcs12_bag_set_friendly_name (cert_bag, index, cert->mac)) < 0 ||
      (ret = gnutls_pkcs12_bag_set_key_id (cert_bag, index, &key_id_datum)) < 0)
    goto failed;
  for (unsigned int i = 0; i < chain.n; i++)
    if ((ret = gnutls_pkcs12_bag_set_crt (cert_bag, chain.certs[i])) < 0)
      goto failed;
  if (!add_bag (p12, cert_bag, TRUE, error))
    return NULL;

  /* The key as a shrouded key bag: PKCS#8 encrypted with the empty password. */
  if ((ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_DER, "",
                                                GNUTLS_PKCS_PBES2_AES_128, &key_der)) < 0 ||
      (index = ret = gnutls_pkcs12_bag_set_data (key_bag, GNUTLS_BAG_PKCS8_ENCRYPTED_KEY, &key_der)) < 0 ||
      (ret = gnutls_pkcs12_bag_set_friendly_name (key_bag, index, cert->mac)) < 0 ||
      (ret = gnutls_pkcs12_bag_set_key_id (key_bag, index, &key_id_datum)) < 0)
    goto failed;
  if (!add_bag (p12, key_bag, FALSE, error))
    return NULL;

  if ((ret = gnutls_pkcs12_generate_mac2 (p12, GNUTLS_MAC_SHA256, "")) < 0 ||
      (ret = gnutls_pkcs12_export2 (p12, GNUTLS_X509_FMT_DER, &out)) < 0)
    goto failed;

  result = g_base64_encode (out.data, out.size);
  gnutls_memset (out.data, 0, out.size);

  return result;

failed:
  set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the PKCS#12 file of %s", cert->mac);
  return NULL;
}

/* ---- Revocation ------------------------------------------------------------ */

/* Marks `serial` revoked in memory (lock held); FALSE when it already was. */
static gboolean
mark_revoked (WpiPki     *self,
              const char *serial,
              const char *mac)
{
  RevokedEntry *entry;

  if (g_hash_table_contains (self->revoked, serial))
    return FALSE;

  entry = g_new0 (RevokedEntry, 1);
  entry->mac = g_strdup (mac != NULL ? mac : "-");
  entry->time = now_seconds ();
  g_hash_table_replace (self->revoked, g_strdup (serial), entry);

  return TRUE;
}

static void
unmark_revoked (WpiPki    *self,
                GPtrArray *serials)
{
  for (guint i = 0; i < serials->len; i++)
    g_hash_table_remove (self->revoked, g_ptr_array_index (serials, i));
}

/* The MAC of the phone that got `serial`, by its history file (lock held). */
static char *
find_mac_of_serial (WpiPki     *self,
                    const char *serial)
{
  g_autofree char *path = pki_path (self, CLIENTS_DIR, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autofree char *file_name = g_strconcat (serial, ".crt", NULL);
  const char *name;

  if (dir == NULL)
    return NULL;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *candidate = pki_path (self, CLIENTS_DIR, name, file_name, NULL);

      if (g_file_test (candidate, G_FILE_TEST_EXISTS))
        return wpi_mac_normalize (name, NULL);
    }

  return NULL;
}

/* Both locks held. */
static gboolean
revoke_serial_locked (WpiPki      *self,
                      const char  *normalized,
                      GError     **error)
{
  g_autofree char *mac = NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new ();

  if (!refresh_revoked (self, TRUE, error))
    return FALSE;

  /* Another process may have issued it: its history file says so */
  mac = find_mac_of_serial (self, normalized);
  if (!g_hash_table_contains (self->serials, normalized) && mac == NULL)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND,
                   "The console never issued serial %s", normalized);
      return FALSE;
    }
  g_hash_table_add (self->serials, g_strdup (normalized));

  if (!mark_revoked (self, normalized, mac))
    return TRUE;
  g_ptr_array_add (added, (gpointer) normalized);

  if (!commit_revocations (self, error))
    {
      unmark_revoked (self, added);
      return FALSE;
    }

  return TRUE;
}

gboolean
wpi_pki_revoke_serial (WpiPki      *self,
                       const char  *serial,
                       GError     **error)
{
  g_autofree char *normalized = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  gboolean ok;
  int directory_fd;

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);

  normalized = normalize_serial (serial);
  if (normalized == NULL)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                   "“%s” is not a hexadecimal serial number", serial != NULL ? serial : "(null)");
      return FALSE;
    }

  locker = g_mutex_locker_new (&self->lock);
  if ((directory_fd = lock_directory (self, error)) < 0)
    return FALSE;
  ok = revoke_serial_locked (self, normalized, error);
  unlock_directory (directory_fd);

  return ok;
}

static char *
current_serial_of (WpiPki     *self,
                   const char *dir_name)
{
  g_autofree char *path = pki_path (self, CLIENTS_DIR, dir_name, CURRENT_FILE, NULL);
  g_autofree char *contents = NULL;
  g_auto(CertList) certs = { NULL, 0 };
  gsize length = 0;

  contents = read_file_if_exists (path, &length, NULL);
  if (contents == NULL || !import_cert_list (contents, length, &certs, path, NULL))
    {
      free_secret (g_steal_pointer (&contents));
      return NULL;
    }
  free_secret (g_steal_pointer (&contents));

  return crt_get_serial_hex (certs.certs[0]);
}

/* Both locks held. */
static gboolean
revoke_phone_locked (WpiPki      *self,
                     const char  *normalized,
                     gboolean     keep_current,
                     guint       *n_revoked,
                     GError     **error)
{
  g_autofree char *dir_name = mac_to_dir_name (normalized);
  g_autofree char *current = NULL;
  g_autoptr(GPtrArray) serials = NULL;
  g_autoptr(GPtrArray) added = g_ptr_array_new ();

  if (!refresh_revoked (self, TRUE, error))
    return FALSE;

  serials = list_phone_serials (self, dir_name);
  if (serials->len == 0)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND,
                   "No certificate has been issued for %s", normalized);
      return FALSE;
    }

  if (keep_current)
    current = current_serial_of (self, dir_name);

  for (guint i = 0; i < serials->len; i++)
    {
      const char *serial = g_ptr_array_index (serials, i);

      if (g_strcmp0 (serial, current) == 0)
        continue;
      if (mark_revoked (self, serial, normalized))
        g_ptr_array_add (added, (gpointer) serial);
    }

  if (added->len == 0)
    return TRUE;

  if (!commit_revocations (self, error))
    {
      unmark_revoked (self, added);
      return FALSE;
    }

  if (n_revoked != NULL)
    *n_revoked = added->len;

  return TRUE;
}

static gboolean
revoke_phone (WpiPki      *self,
              const char  *mac,
              gboolean     keep_current,
              guint       *n_revoked,
              GError     **error)
{
  g_autofree char *normalized = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  gboolean ok;
  int directory_fd;

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);

  if (n_revoked != NULL)
    *n_revoked = 0;

  normalized = normalize_mac_or_error (mac, error);
  if (normalized == NULL)
    return FALSE;

  locker = g_mutex_locker_new (&self->lock);
  if ((directory_fd = lock_directory (self, error)) < 0)
    return FALSE;
  ok = revoke_phone_locked (self, normalized, keep_current, n_revoked, error);
  unlock_directory (directory_fd);

  return ok;
}

gboolean
wpi_pki_revoke_mac (WpiPki      *self,
                    const char  *mac,
                    guint       *n_revoked,
                    GError     **error)
{
  return revoke_phone (self, mac, FALSE, n_revoked, error);
}

gboolean
wpi_pki_revoke_superseded (WpiPki      *self,
                           const char  *mac,
                           guint       *n_revoked,
                           GError     **error)
{
  return revoke_phone (self, mac, TRUE, n_revoked, error);
}

gboolean
wpi_pki_is_revoked (WpiPki     *self,
                    const char *serial)
{
  g_autofree char *normalized = normalize_serial (serial);
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);

  if (normalized == NULL)
    return FALSE;

  locker = g_mutex_locker_new (&self->lock);
  /* On a damaged list the revocations known so far still hold */
  refresh_revoked (self, FALSE, NULL);
  return g_hash_table_contains (self->revoked, normalized);
}

char *
wpi_pki_get_crl_pem (WpiPki *self)
{
  g_autoptr(GMutexLocker) locker = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  refresh_revoked (self, FALSE, NULL);
  return g_strdup (self->crl_pem);
}

/* ---- Peer verification ----------------------------------------------------- */

static gboolean
status_to_error (unsigned int   status,
                 GError       **error)
{
  g_auto(gnutls_datum_t) text = { NULL, 0 };
  g_autofree char *description = NULL;
  WpiPkiError code;

  if (status == 0)
    return TRUE;

  if (status & GNUTLS_CERT_REVOKED)
    code = WPI_PKI_ERROR_REVOKED;
  else if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
    code = WPI_PKI_ERROR_EXPIRED;
  else if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
    code = WPI_PKI_ERROR_WRONG_PURPOSE;
  else
    code = WPI_PKI_ERROR_UNTRUSTED;

  if (gnutls_certificate_verification_status_print (status, GNUTLS_CRT_X509, &text, 0) >= 0)
    description = datum_to_string (&text);

  g_set_error (error, WPI_PKI_ERROR, code, "The phone's certificate was refused: %s",
               description != NULL ? description : "verification failed");
  return FALSE;
}

gboolean
wpi_pki_verify_peer_pem (WpiPki      *self,
                         const char  *chain_pem,
                         const char  *expected_mac,
                         char       **out_mac,
                         GError     **error)
{
  g_auto(CertList) chain = { NULL, 0 };
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *common_name = NULL;
  g_autofree char *peer_mac = NULL;
  g_autofree char *wanted_mac = NULL;
  gnutls_typed_vdata_st purpose = {
    .type = GNUTLS_DT_KEY_PURPOSE_OID,
    .data = (unsigned char *) GNUTLS_KP_TLS_WWW_CLIENT,
  };
  unsigned int status = 0;
  int ret;

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);

  if (out_mac != NULL)
    *out_mac = NULL;

  if (chain_pem == NULL || strstr (chain_pem, "-----BEGIN CERTIFICATE-----") == NULL)
    {
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NO_CERTIFICATE,
                           "The phone presented no client certificate");
      return FALSE;
    }

  if (!import_cert_list (chain_pem, strlen (chain_pem), &chain, "The phone's certificate", error))
    return FALSE;

  if (expected_mac != NULL && (wanted_mac = normalize_mac_or_error (expected_mac, error)) == NULL)
    return FALSE;

  locker = g_mutex_locker_new (&self->lock);
  /* Fails closed: a revoked list that cannot be read refuses every phone */
  if (!refresh_revoked (self, FALSE, error))
    return FALSE;
  ret = gnutls_x509_trust_list_verify_crt2 (self->trust, chain.certs, chain.n, &purpose, 1,
                                            0, &status, NULL);
  if (ret < 0)
    {
      set_gnutls_error (error, WPI_PKI_ERROR_UNTRUSTED, ret, "The phone's certificate could not be verified");
      return FALSE;
    }
  if (!status_to_error (status, error))
    return FALSE;

  /* The CRL already said no, but the revoked set is the source of truth. */
  serial = crt_get_serial_hex (chain.certs[0]);
  if (serial == NULL || g_hash_table_contains (self->revoked, serial))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED,
                   "The phone's certificate (serial %s) is revoked", serial != NULL ? serial : "?");
      return FALSE;
    }
  g_clear_pointer (&locker, g_mutex_locker_free);

  common_name = crt_get_common_name (chain.certs[0]);
  peer_mac = wpi_mac_normalize (common_name, NULL);
  if (peer_mac == NULL)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_WRONG_MAC,
                   "The phone's certificate names no MAC address (CN “%s”)",
                   common_name != NULL ? common_name : "");
      return FALSE;
    }

  if (wanted_mac != NULL && !g_str_equal (peer_mac, wanted_mac))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_WRONG_MAC,
                   "The certificate belongs to %s, but the phone says it is %s",
                   peer_mac, wanted_mac);
      return FALSE;
    }

  if (out_mac != NULL)
    *out_mac = g_steal_pointer (&peer_mac);

  return TRUE;
}

gboolean
wpi_pki_verify_peer (WpiPki           *self,
                     GTlsCertificate  *peer,
                     const char       *expected_mac,
                     char            **out_mac,
                     GError          **error)
{
  g_autoptr(GString) chain_pem = g_string_new (NULL);

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);
  g_return_val_if_fail (peer == NULL || G_IS_TLS_CERTIFICATE (peer), FALSE);

  /* The issuers a phone sends along may be needed to reach the CA. */
  for (GTlsCertificate *cert = peer; cert != NULL; cert = g_tls_certificate_get_issuer (cert))
    {
      g_autofree char *pem = NULL;

      g_object_get (cert, "certificate-pem", &pem, NULL);
      if (pem != NULL)
        g_string_append (chain_pem, pem);
    }

  return wpi_pki_verify_peer_pem (self, chain_pem->str, expected_mac, out_mac, error);
}
