/* wpi-pki-client.c: the phones' client certificates: issuing, looking up, PKCS#12 export (D7) (see wpi-pki.h) */
#include "config.h"

#include "wpi-pki-private.h"

/* ---- Client certificates --------------------------------------------------- */

char *
wpi_pki_generate_key_pem (WpiPki  *self,
                          GError **error)
{
  g_auto(gnutls_x509_privkey_t) key = NULL;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  key = _wpi_pki_generate_key (wpi_pki_get_key_bits (self), error);
  if (key == NULL)
    return NULL;

  return _wpi_pki_key_to_pem (key, error);
}

static WpiClientCert *
client_cert_from (gnutls_x509_crt_t       crt,
                  gnutls_x509_privkey_t   key,
                  GError                **error)
{
  g_autoptr(WpiClientCert) cert = g_new0 (WpiClientCert, 1);
  g_autofree char *common_name = _wpi_pki_crt_get_common_name (crt);

  cert->mac = wpi_mac_normalize (common_name, NULL);
  cert->serial = _wpi_pki_crt_get_serial_hex (crt);
  cert->cert_pem = _wpi_pki_crt_to_pem (crt, error);
  if (cert->cert_pem == NULL)
    return NULL;
  if (key != NULL && (cert->key_pem = _wpi_pki_key_to_pem (key, error)) == NULL)
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
  gint64 now = _wpi_pki_now_seconds ();
  gint64 not_after;
  gint64 ca_not_after;
  int ret;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);

  normalized = _wpi_pki_normalize_mac_or_error (mac, error);
  if (normalized == NULL)
    return NULL;

  /* The slow part, outside the lock. */
  if (key_pem != NULL)
    key = _wpi_pki_import_key (key_pem, strlen (key_pem), NULL, "the phone's key", error);
  else
    key = _wpi_pki_generate_key (wpi_pki_get_key_bits (self), error);
  if (key == NULL)
    return NULL;

  not_after = now + (gint64) wpi_pki_get_client_validity_days (self) * DAY_SECONDS;

  locker = g_mutex_locker_new (&self->lock);

  ca_not_after = gnutls_x509_crt_get_expiration_time (self->ca_chain.certs[0]);
  if (ca_not_after > now && not_after > ca_not_after)
    not_after = ca_not_after;

  if (!_wpi_pki_random_serial (self, serial, error))
    return NULL;

  crt = _wpi_pki_new_cert (key, normalized, serial, now - BACKDATE_SECONDS, not_after, error);
  if (crt == NULL)
    return NULL;

  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the client certificate");
      return NULL;
    }

  if (!_wpi_pki_sign_with_ca (self, crt, error))
    return NULL;

  cert = client_cert_from (crt, key, error);
  if (cert == NULL)
    return NULL;

  /* The history file first: a crash before current.pem is written leaves a
   * certificate that was never handed out, which revoke_mac still finds. */
  dir_name = _wpi_pki_mac_to_dir_name (normalized);
  phone_dir = _wpi_pki_path (self, CLIENTS_DIR, dir_name, NULL);
  serial_hex = _wpi_pki_bytes_to_hex (serial, SERIAL_BYTES);
  history_name = g_strconcat (serial_hex, ".crt", NULL);
  history_path = g_build_filename (phone_dir, history_name, NULL);
  current_path = g_build_filename (phone_dir, CURRENT_FILE, NULL);
  current = g_strconcat (cert->key_pem, cert->cert_pem, NULL);

  if (!_wpi_pki_ensure_private_dir (phone_dir, error) ||
      !_wpi_pki_write_private_file (history_path, cert->cert_pem, error) ||
      !_wpi_pki_write_private_file (current_path, current, error))
    {
      _wpi_pki_free_secret (g_steal_pointer (&current));
      return NULL;
    }
  _wpi_pki_free_secret (g_steal_pointer (&current));

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

  normalized = _wpi_pki_normalize_mac_or_error (mac, error);
  if (normalized == NULL)
    return NULL;

  dir_name = _wpi_pki_mac_to_dir_name (normalized);
  path = _wpi_pki_path (self, CLIENTS_DIR, dir_name, CURRENT_FILE, NULL);
  contents = _wpi_pki_read_file_if_exists (path, &length, error);
  if (contents == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND,
                     "No certificate has been issued for %s", normalized);
      return NULL;
    }

  key = _wpi_pki_import_key (contents, length, NULL, path, error);
  if (key == NULL || !_wpi_pki_import_cert_list (contents, length, &certs, path, error))
    {
      _wpi_pki_free_secret (g_steal_pointer (&contents));
      return NULL;
    }
  _wpi_pki_free_secret (g_steal_pointer (&contents));

  cert = client_cert_from (certs.certs[0], key, error);
  if (cert != NULL && g_strcmp0 (cert->mac, normalized) != 0)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                   "%s holds a certificate for %s", path, cert->mac);
      g_clear_pointer (&cert, wpi_client_cert_free);
    }

  return cert;
}

/* A DER buffer with the phone's private key in it: wiped before it is freed */
typedef gnutls_datum_t SecretDatum;

static void
secret_datum_clear (SecretDatum *datum)
{
  if (datum->data != NULL)
    gnutls_memset (datum->data, 0, datum->size);
  gnutls_free (datum->data);
  datum->data = NULL;
  datum->size = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SecretDatum, secret_datum_clear)

static gboolean
add_bag (gnutls_pkcs12_t      p12,
         gnutls_pkcs12_bag_t  bag,
         GError             **error)
{
  int ret;

  if ((ret = gnutls_pkcs12_set_bag (p12, bag)) < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not add a PKCS#12 bag");
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
  g_auto(SecretDatum) key_der = { NULL, 0 };
  g_auto(SecretDatum) out = { NULL, 0 };
  g_autofree char *ca_pem = NULL;
  guint8 key_id[MAX_KEY_ID];
  size_t key_id_size;
  gnutls_datum_t key_id_datum;
  int index;
  int ret;

  g_return_val_if_fail (WPI_IS_PKI (self), NULL);
  g_return_val_if_fail (cert != NULL, NULL);

  if (cert->key_pem == NULL)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND,
                   "The certificate of %s comes without its key", cert->mac);
      return NULL;
    }

  ca_pem = wpi_pki_get_ca_pem (self);
  key = _wpi_pki_import_key (cert->key_pem, strlen (cert->key_pem), NULL, "the phone's key", error);
  if (key == NULL ||
      !_wpi_pki_import_cert_list (cert->cert_pem, strlen (cert->cert_pem), &leaf, "the phone's certificate", error) ||
      !_wpi_pki_import_cert_list (ca_pem, strlen (ca_pem), &chain, "the CA certificate", error))
    return NULL;

  if (!_wpi_pki_key_matches_cert (key, leaf.certs[0]))
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

  /* D7: the bags stay plain. Encrypting them under the empty password protects nothing
   * and costs GnuTLS a PBKDF2 of 600,000 iterations each; the transport (TLS, or the D8
   * envelope) is what protects the key. */
  if ((index = ret = gnutls_pkcs12_bag_set_crt (cert_bag, leaf.certs[0])) < 0 ||
      (ret = gnutls_pkcs12_bag_set_friendly_name (cert_bag, index, cert->mac)) < 0 ||
      (ret = gnutls_pkcs12_bag_set_key_id (cert_bag, index, &key_id_datum)) < 0)
    goto failed;
  for (unsigned int i = 0; i < chain.n; i++)
    if ((ret = gnutls_pkcs12_bag_set_crt (cert_bag, chain.certs[i])) < 0)
      goto failed;
  if (!add_bag (p12, cert_bag, error))
    return NULL;

  /* The key as a plain PKCS#8 key bag (D7) */
  if ((ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_DER, NULL,
                                                GNUTLS_PKCS_PLAIN, &key_der)) < 0 ||
      (index = ret = gnutls_pkcs12_bag_set_data (key_bag, GNUTLS_BAG_PKCS8_KEY, &key_der)) < 0 ||
      (ret = gnutls_pkcs12_bag_set_friendly_name (key_bag, index, cert->mac)) < 0 ||
      (ret = gnutls_pkcs12_bag_set_key_id (key_bag, index, &key_id_datum)) < 0)
    goto failed;
  if (!add_bag (p12, key_bag, error))
    return NULL;

  /* The integrity MAC under the empty password, which OpenSSL's PKCS12_parse() checks */
  if ((ret = gnutls_pkcs12_generate_mac2 (p12, GNUTLS_MAC_SHA256, "")) < 0 ||
      (ret = gnutls_pkcs12_export2 (p12, GNUTLS_X509_FMT_DER, &out)) < 0)
    goto failed;

  return g_base64_encode (out.data, out.size);

failed:
  _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the PKCS#12 file of %s", cert->mac);
  return NULL;
}
