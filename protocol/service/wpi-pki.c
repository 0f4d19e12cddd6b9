/* wpi-pki.c: the WpiPki object: opening the directory (GInitable), properties, the small
 * GnuTLS and file helpers the other parts share, and building certificates (see wpi-pki.h) */
#include "config.h"

#include "wpi-pki-private.h"

/* ---- WpiPki -------------------------------------------------------------- */

void
_wpi_pki_revoked_entry_free (gpointer data)
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

void
_wpi_pki_free_secret (char *secret)
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
  _wpi_pki_free_secret (cert->key_pem);
  g_free (cert);
}

/* ---- Small helpers ------------------------------------------------------- */

G_GNUC_PRINTF (4, 5)
void
_wpi_pki_set_gnutls_error (GError      **error,
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

gint64
_wpi_pki_now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

char *
_wpi_pki_normalize_mac_or_error (const char  *mac,
                                 GError     **error)
{
  char *normalized = wpi_mac_normalize (mac, NULL);

  if (normalized == NULL)
    g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_MAC,
                 "“%s” is not a MAC address", mac != NULL ? mac : "(null)");

  return normalized;
}

/* "00:1A:E8:12:34:56" -> "001AE8123456", the phone's directory name. */
char *
_wpi_pki_mac_to_dir_name (const char *normalized_mac)
{
  GString *name = g_string_new (NULL);

  for (const char *p = normalized_mac; *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (name, *p);

  return g_string_free (name, FALSE);
}

char *
_wpi_pki_bytes_to_hex (const guint8 *bytes,
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

GBytes *
_wpi_pki_hex_to_bytes (const char *hex)
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
char *
_wpi_pki_normalize_serial (const char *serial)
{
  g_autofree char *padded = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length;
  const guint8 *data;

  if (serial == NULL)
    return NULL;

  padded = strlen (serial) % 2 != 0 ? g_strconcat ("0", serial, NULL) : g_strdup (serial);
  bytes = _wpi_pki_hex_to_bytes (padded);
  if (bytes == NULL)
    return NULL;

  data = g_bytes_get_data (bytes, &length);
  return _wpi_pki_bytes_to_hex (data, length);
}

char *
_wpi_pki_crt_get_serial_hex (gnutls_x509_crt_t crt)
{
  guint8 serial[64];
  size_t size = sizeof serial;

  if (gnutls_x509_crt_get_serial (crt, serial, &size) < 0 || size == 0)
    return NULL;

  return _wpi_pki_bytes_to_hex (serial, size);
}

char *
_wpi_pki_crt_get_common_name (gnutls_x509_crt_t crt)
{
  char name[256];
  size_t size = sizeof name;

  if (gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, name, &size) < 0)
    return NULL;

  return g_strndup (name, size);
}

char *
_wpi_pki_datum_to_string (const gnutls_datum_t *datum)
{
  return g_strndup ((const char *) datum->data, datum->size);
}

char *
_wpi_pki_crt_to_pem (gnutls_x509_crt_t   crt,
                     GError            **error)
{
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  int ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &out);

  if (ret < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not encode a certificate");
      return NULL;
    }

  return _wpi_pki_datum_to_string (&out);
}

char *
_wpi_pki_key_to_pem (gnutls_x509_privkey_t   key,
                     GError                **error)
{
  g_auto(gnutls_datum_t) out = { NULL, 0 };
  char *pem;
  int ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                               GNUTLS_PKCS_PLAIN, &out);

  if (ret < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not encode a private key");
      return NULL;
    }

  pem = _wpi_pki_datum_to_string (&out);
  gnutls_memset (out.data, 0, out.size);

  return pem;
}

char *
_wpi_pki_cert_list_to_pem (const CertList  *list,
                           GError         **error)
{
  g_autoptr(GString) pem = g_string_new (NULL);

  for (unsigned int i = 0; i < list->n; i++)
    {
      g_autofree char *one = _wpi_pki_crt_to_pem (list->certs[i], error);

      if (one == NULL)
        return NULL;
      g_string_append (pem, one);
    }

  return g_string_free (g_steal_pointer (&pem), FALSE);
}

gboolean
_wpi_pki_import_cert_list (const char  *pem,
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
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_INVALID_INPUT, ret,
                                 "%s holds no readable PEM certificate", what);
      return FALSE;
    }

  return TRUE;
}

gnutls_x509_privkey_t
_wpi_pki_import_key (const char  *pem,
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
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not allocate a key");
      return NULL;
    }

  ret = gnutls_x509_privkey_import2 (key, &data, GNUTLS_X509_FMT_PEM, password, 0);
  if (ret == GNUTLS_E_DECRYPTION_FAILED)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_BAD_PASSWORD, ret,
                                 password == NULL ? "%s is encrypted and needs a password"
                                         : "The password does not open %s", what);
      return NULL;
    }
  if (ret < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_INVALID_INPUT, ret,
                                 "%s holds no readable private key", what);
      return NULL;
    }

  return g_steal_pointer (&key);
}

gnutls_x509_privkey_t
_wpi_pki_generate_key (guint     bits,
                       GError  **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  int ret;

  ret = gnutls_x509_privkey_init (&key);
  if (ret >= 0)
    ret = gnutls_x509_privkey_generate2 (key, GNUTLS_PK_RSA, bits, 0, NULL, 0);
  if (ret < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret,
                                 "Could not generate a %u-bit RSA key", bits);
      return NULL;
    }

  return g_steal_pointer (&key);
}

gboolean
_wpi_pki_key_matches_cert (gnutls_x509_privkey_t key,
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

gboolean
_wpi_pki_ensure_private_dir (const char  *path,
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
gboolean
_wpi_pki_write_private_file (const char  *path,
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
char *
_wpi_pki_read_file_if_exists (const char  *path,
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

char *
_wpi_pki_path (WpiPki     *self,
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

gboolean
_wpi_pki_random_serial (WpiPki  *self,
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
          _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not get random data");
          return FALSE;
        }

      /* Positive and without a leading zero byte, so its DER form is these 16 bytes. */
      serial[0] = (serial[0] & 0x7f) | 0x40;
      hex = _wpi_pki_bytes_to_hex (serial, SERIAL_BYTES);
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
gnutls_x509_crt_t
_wpi_pki_new_cert (gnutls_x509_privkey_t   key,
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
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret,
                                 "Could not build the certificate for “%s”", common_name);
      return NULL;
    }

  if (key_id_of (key, key_id, &key_id_size) &&
      (ret = gnutls_x509_crt_set_subject_key_id (crt, key_id, key_id_size)) < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not set the subject key ID");
      return NULL;
    }

  return g_steal_pointer (&crt);
}

/* Signs `crt` with `ca_key`, naming that key as the authority key. */
gboolean
_wpi_pki_sign_with (gnutls_x509_privkey_t   ca_key,
                    gnutls_x509_crt_t       ca_cert,
                    gnutls_x509_crt_t       crt,
                    GError                **error)
{
  guint8 ca_key_id[MAX_KEY_ID];
  size_t ca_key_id_size = sizeof ca_key_id;
  unsigned int critical;
  int ret;

  if (gnutls_x509_crt_get_subject_key_id (ca_cert, ca_key_id, &ca_key_id_size, &critical) < 0 &&
      !key_id_of (ca_key, ca_key_id, &ca_key_id_size))
    ca_key_id_size = 0;

  if (ca_key_id_size > 0 &&
      (ret = gnutls_x509_crt_set_authority_key_id (crt, ca_key_id, ca_key_id_size)) < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not set the authority key ID");
      return FALSE;
    }

  ret = gnutls_x509_crt_sign2 (crt, ca_cert, ca_key, GNUTLS_DIG_SHA256, 0);
  if (ret < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "The CA could not sign a certificate");
      return FALSE;
    }

  return TRUE;
}

/* Signs `crt` with the signing CA (lock held). */
gboolean
_wpi_pki_sign_with_ca (WpiPki             *self,
                       gnutls_x509_crt_t   crt,
                       GError            **error)
{
  return _wpi_pki_sign_with (self->ca_key, self->ca_chain.certs[0], crt, error);
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

  if (!_wpi_pki_ensure_private_dir (self->directory, error))
    return FALSE;

  ca_file = _wpi_pki_path (self, CA_FILE, NULL);
  contents = _wpi_pki_read_file_if_exists (ca_file, &length, error);
  if (contents == NULL)
    {
      /* Only a missing CA is created; a damaged one is an error, never replaced,
       * because phones in Secure Mode trust it. */
      if (error != NULL && *error != NULL)
        return FALSE;
      if (!_wpi_pki_create_ca (self, error))
        return FALSE;
    }
  else
    {
      gboolean ok = _wpi_pki_load_ca (self, contents, length, error);

      _wpi_pki_free_secret (g_steal_pointer (&contents));
      if (!ok)
        return FALSE;
    }

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  /* ca.crt is derived from ca.pem; rewrite it when it is missing or stale. */
  ca_crt = _wpi_pki_read_file_if_exists (self->ca_path, NULL, NULL);
  if (g_strcmp0 (ca_crt, self->ca_chain_pem) != 0 &&
      !_wpi_pki_write_private_file (self->ca_path, self->ca_chain_pem, error))
    return FALSE;

  /* _wpi_pki_ensure_crl() may rewrite crl.pem: not while another process revokes */
  if ((directory_fd = _wpi_pki_lock_directory (self, error)) < 0)
    return FALSE;
  loaded = _wpi_pki_load_revoked (self, error) &&
           _wpi_pki_load_client_serials (self, error) &&
           _wpi_pki_ensure_crl (self, error);
  _wpi_pki_unlock_directory (directory_fd);

  if (!loaded ||
      !_wpi_pki_load_own_ca (self, error) ||
      !_wpi_pki_load_retired (self, error) ||
      !_wpi_pki_rebuild_trust (self, error) ||
      !_wpi_pki_ensure_server_cert (self, FALSE, error))
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
  g_clear_pointer (&self->own_key, gnutls_x509_privkey_deinit);
  cert_list_clear (&self->own_chain);
  g_free (self->own_chain_pem);
  cert_list_clear (&self->retired);
  _wpi_pki_free_secret (self->server_pem);
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
  self->revoked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, _wpi_pki_revoked_entry_free);
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
