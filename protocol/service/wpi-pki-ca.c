/* wpi-pki-ca.c: the CA: creating the console's own, loading it, its accessors and importing
 * another one from PEM or PKCS#12 (see wpi-pki.h) */
#include "config.h"

#include "wpi-pki-private.h"

/* ---- The CA -------------------------------------------------------------- */

/* Adds the serial of one of our certificates to the set new serials must avoid. */
void
_wpi_pki_remember_serial (WpiPki            *self,
                          gnutls_x509_crt_t  crt)
{
  char *serial = _wpi_pki_crt_get_serial_hex (crt);

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
  g_autofree char *chain_pem = _wpi_pki_cert_list_to_pem (chain, error);

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
  _wpi_pki_remember_serial (self, self->ca_chain.certs[0]);

  return TRUE;
}

/* Key + chain in one private file, as ca.pem and own-ca.pem hold them. */
static gboolean
write_key_and_chain (const char             *path,
                     gnutls_x509_privkey_t   key,
                     const CertList         *chain,
                     GError                **error)
{
  g_autofree char *key_pem = _wpi_pki_key_to_pem (key, error);
  g_autofree char *chain_pem = NULL;
  g_autofree char *contents = NULL;
  gboolean ok;

  if (key_pem == NULL || (chain_pem = _wpi_pki_cert_list_to_pem (chain, error)) == NULL)
    return FALSE;

  contents = g_strconcat (key_pem, chain_pem, NULL);
  ok = _wpi_pki_write_private_file (path, contents, error);
  gnutls_memset (key_pem, 0, strlen (key_pem));
  gnutls_memset (contents, 0, strlen (contents));

  return ok;
}

static gboolean
write_ca_files (WpiPki                 *self,
                gnutls_x509_privkey_t   key,
                const CertList         *chain,
                GError                **error)
{
  g_autofree char *path = _wpi_pki_path (self, CA_FILE, NULL);
  g_autofree char *chain_pem = _wpi_pki_cert_list_to_pem (chain, error);

  return chain_pem != NULL &&
         write_key_and_chain (path, key, chain, error) &&
         _wpi_pki_write_private_file (self->ca_path, chain_pem, error);
}

gboolean
_wpi_pki_create_ca (WpiPki  *self,
                    GError **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(gnutls_x509_crt_t) crt = NULL;
  g_auto(CertList) chain = { NULL, 0 };
  guint8 serial[SERIAL_BYTES];
  gint64 now = _wpi_pki_now_seconds ();
  int ret;

  key = _wpi_pki_generate_key (self->key_bits, error);
  if (key == NULL || !_wpi_pki_random_serial (self, serial, error))
    return FALSE;

  crt = _wpi_pki_new_cert (key, WPI_PKI_CA_COMMON_NAME, serial, now - BACKDATE_SECONDS,
                           now + (gint64) WPI_PKI_DEFAULT_CA_VALIDITY_DAYS * DAY_SECONDS, error);
  if (crt == NULL)
    return FALSE;

  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 1, 0)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN)) < 0 ||
      (ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not create the CA certificate");
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

  if (!_wpi_pki_key_matches_cert (key, chain->certs[0]))
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

  if (gnutls_x509_crt_get_expiration_time (chain->certs[0]) <= (time_t) _wpi_pki_now_seconds ())
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
    if (_wpi_pki_key_matches_cert (key, chain->certs[i]))
      {
        gnutls_x509_crt_t match = chain->certs[i];

        memmove (chain->certs + 1, chain->certs, i * sizeof (gnutls_x509_crt_t));
        chain->certs[0] = match;
        return;
      }
}

/* A CA's key and certificates from PEM (one text may hold both), the certificate of the
 * key first. Only parsed: check_ca() says whether it may sign. */
static gboolean
parse_key_and_chain (const char             *cert_pem,
                     gsize                   cert_length,
                     const char             *key_pem,
                     gsize                   key_length,
                     const char             *password,
                     const char             *what,
                     gnutls_x509_privkey_t  *out_key,
                     CertList               *out_chain,
                     GError                **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(CertList) chain = { NULL, 0 };

  if (!_wpi_pki_import_cert_list (cert_pem, cert_length, &chain, what, error))
    return FALSE;
  key = _wpi_pki_import_key (key_pem, key_length, password, what, error);
  if (key == NULL)
    return FALSE;

  move_key_cert_first (key, &chain);
  if (!_wpi_pki_key_matches_cert (key, chain.certs[0]))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_KEY_MISMATCH,
                   "%s: the private key does not belong to the CA certificate", what);
      return FALSE;
    }

  *out_key = g_steal_pointer (&key);
  *out_chain = chain;
  chain = (CertList) { NULL, 0 };
  return TRUE;
}

gboolean
_wpi_pki_load_ca (WpiPki      *self,
                  const char  *contents,
                  gsize        length,
                  GError     **error)
{
  gnutls_x509_privkey_t key = NULL;
  g_auto(CertList) chain = { NULL, 0 };
  g_autofree char *what = _wpi_pki_path (self, CA_FILE, NULL);

  if (!parse_key_and_chain (contents, length, contents, length, NULL, what, &key, &chain, error))
    return FALSE;

  return set_ca (self, key, &chain, error);
}

/* Reads own-ca.pem, the console's own CA (lock not needed: the file never changes once
 * written). */
static gboolean
read_own_ca (WpiPki                 *self,
             gnutls_x509_privkey_t  *key,
             CertList               *chain,
             GError                **error)
{
  g_autofree char *path = _wpi_pki_path (self, OWN_CA_FILE, NULL);
  g_autoptr(GError) local_error = NULL;
  char *contents;
  gsize length = 0;
  gboolean ok;

  contents = _wpi_pki_read_file_if_exists (path, &length, &local_error);
  if (contents == NULL)
    {
      if (local_error == NULL)
        g_set_error (&local_error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND, "%s is missing", path);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  ok = parse_key_and_chain (contents, length, contents, length, NULL, "the file", key, chain, error);
  _wpi_pki_free_secret (contents);
  return ok;
}

/* The console's own CA (lock held or not yet shared). It signs the server certificate
 * whatever CA signs for the phones, because every phone the console bootstrapped trusts
 * it: wpi_pki_get_ca_pems() always lists it. The CA in ca.pem when own-ca.pem does not
 * exist yet (a new directory, or one from before it existed) is the own one. */
gboolean
_wpi_pki_load_own_ca (WpiPki  *self,
                      GError **error)
{
  g_autofree char *path = _wpi_pki_path (self, OWN_CA_FILE, NULL);
  gnutls_x509_privkey_t key = NULL;
  g_auto(CertList) chain = { NULL, 0 };
  char *chain_pem;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) &&
      !write_key_and_chain (path, self->ca_key, &self->ca_chain, error))
    return FALSE;

  if (!read_own_ca (self, &key, &chain, error))
    return FALSE;
  chain_pem = _wpi_pki_cert_list_to_pem (&chain, error);
  if (chain_pem == NULL)
    {
      gnutls_x509_privkey_deinit (key);
      return FALSE;
    }

  g_clear_pointer (&self->own_key, gnutls_x509_privkey_deinit);
  cert_list_clear (&self->own_chain);
  g_free (self->own_chain_pem);
  self->own_key = key;
  self->own_chain = chain;
  chain = (CertList) { NULL, 0 };
  self->own_chain_pem = chain_pem;
  _wpi_pki_remember_serial (self, self->own_chain.certs[0]);

  return TRUE;
}

/* retired-ca.crt: the CAs that signed for phones before the current one (lock held or
 * not yet shared). */
gboolean
_wpi_pki_load_retired (WpiPki  *self,
                       GError **error)
{
  g_autofree char *path = _wpi_pki_path (self, RETIRED_CA_FILE, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_auto(CertList) retired = { NULL, 0 };
  gsize length = 0;

  contents = _wpi_pki_read_file_if_exists (path, &length, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (contents != NULL && strstr (contents, "-----BEGIN") != NULL &&
      !_wpi_pki_import_cert_list (contents, length, &retired, path, error))
    return FALSE;

  cert_list_clear (&self->retired);
  self->retired = retired;
  retired = (CertList) { NULL, 0 };
  return TRUE;
}

/* When another CA starts signing (lock held): the one that signed until now is retired,
 * and the new one is no longer (switching back to a CA). */
static gboolean
retire_ca (WpiPki             *self,
           gnutls_x509_crt_t   old_ca,
           gnutls_x509_crt_t   new_ca,
           GError            **error)
{
  g_autofree char *path = _wpi_pki_path (self, RETIRED_CA_FILE, NULL);
  g_autoptr(GString) pem = g_string_new (NULL);
  g_auto(CertList) retired = { NULL, 0 };
  gboolean have_old = gnutls_x509_crt_equals (old_ca, new_ca);

  for (unsigned int i = 0; i < self->retired.n; i++)
    {
      g_autofree char *one = NULL;

      if (gnutls_x509_crt_equals (self->retired.certs[i], new_ca))
        continue;
      have_old |= gnutls_x509_crt_equals (self->retired.certs[i], old_ca);
      if ((one = _wpi_pki_crt_to_pem (self->retired.certs[i], error)) == NULL)
        return FALSE;
      g_string_append (pem, one);
    }
  if (!have_old)
    {
      g_autofree char *one = _wpi_pki_crt_to_pem (old_ca, error);

      if (one == NULL)
        return FALSE;
      g_string_append (pem, one);
    }

  if ((pem->len > 0 &&
       !_wpi_pki_import_cert_list (pem->str, pem->len, &retired, "The retired CAs", error)) ||
      !_wpi_pki_write_private_file (path, pem->str, error))
    return FALSE;

  cert_list_clear (&self->retired);
  self->retired = retired;
  retired = (CertList) { NULL, 0 };
  return TRUE;
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

/* `dls-server-ca`: the signing CA's chain, then the console's own CA when another CA
 * signs, because the own CA signs the server certificate (D23). */
GStrv
wpi_pki_get_ca_pems (WpiPki *self)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gboolean own_listed = FALSE;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  for (unsigned int i = 0; i < self->ca_chain.n; i++)
    {
      g_autofree char *pem = _wpi_pki_crt_to_pem (self->ca_chain.certs[i], NULL);

      own_listed |= gnutls_x509_crt_equals (self->ca_chain.certs[i], self->own_chain.certs[0]);
      if (pem != NULL)
        g_strv_builder_add (builder, pem);
    }
  if (!own_listed)
    {
      g_autofree char *pem = _wpi_pki_crt_to_pem (self->own_chain.certs[0], NULL);

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

/* Puts back the CA that signed before a failed install_ca() (lock held). */
static void
roll_back_ca (WpiPki                 *self,
              gnutls_x509_privkey_t   old_key,
              CertList               *old_chain,
              char                   *old_chain_pem,
              const char             *old_ca_file,
              const char             *old_retired_pem)
{
  g_autofree char *ca_file = _wpi_pki_path (self, CA_FILE, NULL);
  g_autofree char *retired_file = _wpi_pki_path (self, RETIRED_CA_FILE, NULL);

  g_clear_pointer (&self->ca_key, gnutls_x509_privkey_deinit);
  cert_list_clear (&self->ca_chain);
  g_free (self->ca_chain_pem);
  self->ca_key = old_key;
  self->ca_chain = *old_chain;
  *old_chain = (CertList) { NULL, 0 };
  self->ca_chain_pem = old_chain_pem;
  if (old_ca_file != NULL)
    {
      _wpi_pki_write_private_file (ca_file, old_ca_file, NULL);
      _wpi_pki_write_private_file (self->ca_path, self->ca_chain_pem, NULL);
    }
  if (old_retired_pem != NULL)
    _wpi_pki_write_private_file (retired_file, old_retired_pem, NULL);
  _wpi_pki_load_retired (self, NULL);
  _wpi_pki_ensure_crl (self, NULL);
  _wpi_pki_rebuild_trust (self, NULL);
}

/* Makes `key` + `chain` the CA that signs (lock not held), after checking them; takes
 * them, also on failure.
 *
 * The CA it replaces is retired, not forgotten: it signs nothing more, but certificates
 * it signed still verify, so that phones bootstrapped under it keep working until they
 * are bootstrapped again (they have its certificate and the console still admits
 * theirs); wpi_pki_revoke_mac() locks one out sooner. The server certificate stays
 * with the console's own CA, which every phone was given in `dls-server-ca`, so no
 * phone's trust in the console breaks (D23; protocol.md `dls-server-ca`, D17). */
static gboolean
install_ca (WpiPki                *self,
            gnutls_x509_privkey_t  key,
            CertList              *chain,
            GError               **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  gnutls_x509_privkey_t old_key;
  g_auto(CertList) old_chain = { NULL, 0 };
  char *old_chain_pem;
  g_autofree char *old_retired_pem = NULL;
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

  /* The console imports its CA again at every start: nothing to change then. */
  if (gnutls_x509_crt_equals (chain->certs[0], self->ca_chain.certs[0]))
    {
      gnutls_x509_privkey_deinit (key);
      return TRUE;
    }

  /* Keep the old CA to roll back to when writing fails. */
  ca_file = _wpi_pki_path (self, CA_FILE, NULL);
  old_ca_file = _wpi_pki_read_file_if_exists (ca_file, &old_length, NULL);
  old_retired_pem = _wpi_pki_cert_list_to_pem (&self->retired, NULL);
  if (!retire_ca (self, self->ca_chain.certs[0], chain->certs[0], error))
    {
      gnutls_x509_privkey_deinit (key);
      _wpi_pki_free_secret (g_steal_pointer (&old_ca_file));
      return FALSE;
    }
  old_key = g_steal_pointer (&self->ca_key);
  old_chain = self->ca_chain;
  self->ca_chain = (CertList) { NULL, 0 };
  old_chain_pem = g_steal_pointer (&self->ca_chain_pem);

  if (!set_ca (self, key, chain, error) ||
      !write_ca_files (self, self->ca_key, &self->ca_chain, error) ||
      !_wpi_pki_ensure_crl (self, error) ||
      !_wpi_pki_rebuild_trust (self, error))
    {
      roll_back_ca (self, old_key, &old_chain, old_chain_pem, old_ca_file, old_retired_pem);
      _wpi_pki_free_secret (g_steal_pointer (&old_ca_file));
      return FALSE;
    }

  _wpi_pki_free_secret (g_steal_pointer (&old_ca_file));
  gnutls_x509_privkey_deinit (old_key);
  g_free (old_chain_pem);

  g_debug ("A new CA signs in %s", self->directory);
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

  if (!_wpi_pki_import_cert_list (cert_pem, strlen (cert_pem), &chain, "The CA certificate", error))
    return FALSE;

  key = _wpi_pki_import_key (key_pem, strlen (key_pem), password, "the CA key", error);
  if (key == NULL)
    return FALSE;

  return install_ca (self, key, &chain, error);
}

/* The key and the chain (the key's certificate first) of a PKCS#12 file. */
static gboolean
parse_pkcs12 (GBytes                 *pkcs12_der,
              const char             *password,
              gnutls_x509_privkey_t  *out_key,
              CertList               *out_chain,
              GError                **error)
{
  g_auto(gnutls_pkcs12_t) p12 = NULL;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t *certs = NULL;
  unsigned int n_certs = 0;
  gnutls_datum_t data;
  gsize size;
  int ret;

  data.data = (unsigned char *) g_bytes_get_data (pkcs12_der, &size);
  data.size = size;

  if ((ret = gnutls_pkcs12_init (&p12)) < 0 ||
      (ret = gnutls_pkcs12_import (p12, &data, GNUTLS_X509_FMT_DER, 0)) < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_INVALID_INPUT, ret, "Not a PKCS#12 file");
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
      _wpi_pki_set_gnutls_error (error,
                                 ret == GNUTLS_E_DECRYPTION_FAILED ? WPI_PKI_ERROR_BAD_PASSWORD
                                                                   : WPI_PKI_ERROR_INVALID_INPUT,
                                 ret, "Could not read the key and certificate from the PKCS#12 file");
      return FALSE;
    }

  *out_chain = (CertList) { certs, n_certs };
  if (key == NULL || n_certs == 0)
    {
      if (key != NULL)
        gnutls_x509_privkey_deinit (key);
      g_set_error_literal (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                           "The PKCS#12 file holds no key with its certificate");
      return FALSE;
    }

  *out_key = key;
  return TRUE;
}

gboolean
wpi_pki_import_ca_pkcs12 (WpiPki      *self,
                          GBytes      *pkcs12_der,
                          const char  *password,
                          GError     **error)
{
  gnutls_x509_privkey_t key = NULL;
  g_auto(CertList) chain = { NULL, 0 };

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);
  g_return_val_if_fail (pkcs12_der != NULL, FALSE);

  if (!parse_pkcs12 (pkcs12_der, password, &key, &chain, error))
    return FALSE;

  return install_ca (self, key, &chain, error);
}

/* A CA file as Preferences names it (ca-import-path): PEM with the certificate(s) and
 * the unencrypted key, or PKCS#12 with the empty password. */
static gboolean
read_ca_file (const char             *path,
              gnutls_x509_privkey_t  *key,
              CertList               *chain,
              GError                **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) der = NULL;
  char *contents = NULL;
  gsize length = 0;
  gboolean ok;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }

  /* DER has a zero byte long before any text could start */
  if (strstr (contents, "-----BEGIN") != NULL)
    ok = parse_key_and_chain (contents, length, contents, length, NULL, path, key, chain, error);
  else
    {
      der = g_bytes_new_static (contents, length);
      ok = parse_pkcs12 (der, NULL, key, chain, error);
    }
  if (ok)
    {
      move_key_cert_first (*key, chain);
      ok = check_ca (*key, chain, error);
      if (!ok)
        {
          g_clear_pointer (key, gnutls_x509_privkey_deinit);
          cert_list_clear (chain);
        }
    }
  g_clear_pointer (&der, g_bytes_unref);
  _wpi_pki_free_secret (contents);
  if (!ok)
    g_prefix_error (error, "%s: ", path);

  return ok;
}

gboolean
wpi_pki_check_ca_file (const char  *path,
                       GError     **error)
{
  gnutls_x509_privkey_t key = NULL;
  g_auto(CertList) chain = { NULL, 0 };

  g_return_val_if_fail (path != NULL, FALSE);

  if (!read_ca_file (path, &key, &chain, error))
    return FALSE;
  gnutls_x509_privkey_deinit (key);
  return TRUE;
}

gboolean
wpi_pki_import_ca_file (WpiPki      *self,
                        const char  *path,
                        GError     **error)
{
  gnutls_x509_privkey_t key = NULL;
  g_auto(CertList) chain = { NULL, 0 };

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!read_ca_file (path, &key, &chain, error))
    return FALSE;

  return install_ca (self, key, &chain, error);
}

gboolean
wpi_pki_use_own_ca (WpiPki  *self,
                    GError **error)
{
  gnutls_x509_privkey_t key = NULL;
  g_auto(CertList) chain = { NULL, 0 };

  g_return_val_if_fail (WPI_IS_PKI (self), FALSE);

  if (!read_own_ca (self, &key, &chain, error))
    return FALSE;

  return install_ca (self, key, &chain, error);
}
