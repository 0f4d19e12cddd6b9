/* wpi-pki-server.c: the server certificate: the host's names, issuing and renewing it (see wpi-pki.h) */
#include "config.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "wpi-pki-private.h"

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
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not add “%s” to the server certificate", name);
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
  g_autofree char *path = _wpi_pki_path (self, SERVER_FILE, NULL);
  g_autofree char *key_pem = NULL;
  g_autofree char *cert_pem = NULL;
  g_autofree char *contents = NULL;
  const char *host_name = g_get_host_name ();
  guint8 serial[SERIAL_BYTES];
  gint64 now = _wpi_pki_now_seconds ();
  gint64 not_after = now + (gint64) SERVER_VALIDITY_DAYS * DAY_SECONDS;
  gint64 ca_not_after = gnutls_x509_crt_get_expiration_time (self->own_chain.certs[0]);
  int ret;

  if (key == NULL)
    {
      key = new_key = _wpi_pki_generate_key (self->key_bits, error);
      if (key == NULL)
        return FALSE;
    }

  if (!_wpi_pki_random_serial (self, serial, error))
    return FALSE;

  /* Never outlive the CA that vouches for it. */
  if (ca_not_after > now && not_after > ca_not_after)
    not_after = ca_not_after;

  /* X.509 caps a common name at 64 characters; the SANs are what clients check anyway. */
  if (host_name == NULL || host_name[0] == '\0' || strlen (host_name) > 64)
    host_name = "localhost";

  crt = _wpi_pki_new_cert (key, host_name, serial, now - BACKDATE_SECONDS, not_after, error);
  if (crt == NULL)
    return FALSE;

  if ((ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
                                                 GNUTLS_KEY_KEY_ENCIPHERMENT)) < 0 ||
      (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the server certificate");
      return FALSE;
    }

  for (guint i = 0; names[i] != NULL; i++)
    if (!add_san (crt, names[i], error))
      return FALSE;

  if (!_wpi_pki_sign_with (self->own_key, self->own_chain.certs[0], crt, error))
    return FALSE;

  key_pem = _wpi_pki_key_to_pem (key, error);
  if (key_pem == NULL || (cert_pem = _wpi_pki_crt_to_pem (crt, error)) == NULL)
    return FALSE;

  contents = g_strconcat (key_pem, cert_pem, self->own_chain_pem, NULL);
  gnutls_memset (key_pem, 0, strlen (key_pem));
  if (!_wpi_pki_write_private_file (path, contents, error))
    {
      _wpi_pki_free_secret (g_steal_pointer (&contents));
      return FALSE;
    }

  _wpi_pki_free_secret (self->server_pem);
  self->server_pem = g_steal_pointer (&contents);
  g_free (self->server_cert_pem);
  self->server_cert_pem = g_strconcat (cert_pem, self->own_chain_pem, NULL);
  /* Read the names back from the encoded certificate: GnuTLS 3.7 does not return the
   * SANs of a certificate built in memory. */
  {
    g_auto(CertList) issued = { NULL, 0 };

    if (!_wpi_pki_import_cert_list (cert_pem, strlen (cert_pem), &issued, "The server certificate", error))
      return FALSE;
    g_strfreev (self->server_names);
    self->server_names = crt_get_san_names (issued.certs[0]);
    _wpi_pki_remember_serial (self, issued.certs[0]);
  }

  g_debug ("Issued the server certificate for %u names", g_strv_length (self->server_names));
  return TRUE;
}

/* The server certificate is the own CA's whatever CA signs for the phones (see
 * install_ca() in wpi-pki-ca.c, D23). */
static gboolean
issued_by_own_ca (WpiPki            *self,
                  gnutls_x509_crt_t  crt)
{
  unsigned int status = 0;

  return gnutls_x509_crt_verify (crt, self->own_chain.certs, 1, 0, &status) >= 0 && status == 0;
}

/* Loads server.pem and re-issues it when it no longer fits (lock held). */
gboolean
_wpi_pki_ensure_server_cert (WpiPki    *self,
                             gboolean   force,
                             GError   **error)
{
  g_autofree char *path = _wpi_pki_path (self, SERVER_FILE, NULL);
  g_autofree char *contents = NULL;
  g_auto(gnutls_x509_privkey_t) key = NULL;
  g_auto(CertList) certs = { NULL, 0 };
  g_auto(GStrv) wanted = collect_local_names ();
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  contents = _wpi_pki_read_file_if_exists (path, &length, error);
  if (contents == NULL)
    {
      if (error != NULL && *error != NULL)
        return FALSE;
      return issue_server_cert (self, NULL, (const char * const *) wanted, error);
    }

  /* A damaged server file is only a nuisance: phones learn the new one on connect. */
  key = _wpi_pki_import_key (contents, length, NULL, path, &local_error);
  if (key == NULL || !_wpi_pki_import_cert_list (contents, length, &certs, path, &local_error) ||
      !_wpi_pki_key_matches_cert (key, certs.certs[0]))
    {
      g_warning ("Replacing the server certificate: %s",
                 local_error != NULL ? local_error->message : "key and certificate differ");
      _wpi_pki_free_secret (g_steal_pointer (&contents));
      return issue_server_cert (self, key, (const char * const *) wanted, error);
    }

  {
    g_auto(GStrv) have = crt_get_san_names (certs.certs[0]);
    gint64 not_after = gnutls_x509_crt_get_expiration_time (certs.certs[0]);

    if (force || !issued_by_own_ca (self, certs.certs[0]) ||
        not_after < _wpi_pki_now_seconds () + RENEW_BEFORE_SECONDS ||
        !names_cover ((const char * const *) have, (const char * const *) wanted))
      {
        g_debug ("Re-issuing the server certificate");
        _wpi_pki_free_secret (g_steal_pointer (&contents));
        return issue_server_cert (self, key, (const char * const *) wanted, error);
      }

    _wpi_pki_remember_serial (self, certs.certs[0]);
    _wpi_pki_free_secret (self->server_pem);
    self->server_pem = g_steal_pointer (&contents);
    g_free (self->server_cert_pem);
    self->server_cert_pem = _wpi_pki_cert_list_to_pem (&certs, error);
    g_strfreev (self->server_names);
    self->server_names = g_steal_pointer (&have);
  }

  return self->server_cert_pem != NULL;
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
