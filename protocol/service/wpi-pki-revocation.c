/* wpi-pki-revocation.c: revocation (revoked.tsv and the CRL, shared with other processes), the
 * trust list and the verification of a peer certificate (see wpi-pki.h) */
#include "config.h"

#include "wpi-pki-private.h"

/* ---- Revocation and trust ------------------------------------------------ */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

#define CRL_BACKDATE_SECONDS 60

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
  gint64 now = _wpi_pki_now_seconds ();
  guint8 number[8];
  int ret;

  if ((ret = gnutls_x509_crl_init (&crl)) < 0 ||
      (ret = gnutls_x509_crl_set_version (crl, 2)) < 0 ||
      /* A minute early: GnuTLS refuses a CRL "issued in the future" by its own clock,
       * time(), which glibc reads from the coarse clock, a few ms behind the one `now` came
       * from; in those ms after a second boundary the CRL would be refused now and then */
      (ret = gnutls_x509_crl_set_this_update (crl, (time_t) (now - CRL_BACKDATE_SECONDS))) < 0 ||
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
      g_autoptr(GBytes) serial = _wpi_pki_hex_to_bytes (padded);
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

  return _wpi_pki_datum_to_string (&out);

failed:
  _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the CRL");
  return NULL;
}

/* Adds a CA the console no longer signs with; its phones still verify (lock held). The
 * CRL of the signing CA lists every revoked serial, and the revoked set is checked
 * apart from it, so a retired CA needs no CRL of its own. */
static int
add_retired_trust (gnutls_x509_trust_list_t   trust,
                   gnutls_x509_crt_t          ca,
                   GError                   **error)
{
  g_autofree char *pem = _wpi_pki_crt_to_pem (ca, error);
  gnutls_datum_t datum;

  if (pem == NULL)
    return GNUTLS_E_INVALID_REQUEST;
  datum.data = (unsigned char *) pem;
  datum.size = strlen (pem);
  return gnutls_x509_trust_list_add_trust_mem (trust, &datum, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
}

/* Rebuilds the trust list from the CA and CRL (lock held). Only the signing CA (and the
 * retired ones, D23) are anchors: trusting their issuers too would accept
 * any certificate they sign. */
gboolean
_wpi_pki_rebuild_trust (WpiPki  *self,
                        GError **error)
{
  gnutls_x509_trust_list_t trust = NULL;
  g_autofree char *ca_pem = _wpi_pki_crt_to_pem (self->ca_chain.certs[0], error);
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
  for (unsigned int i = 0; ret >= 0 && i < self->retired.n; i++)
    ret = add_retired_trust (trust, self->retired.certs[i], NULL);
  if (ret < 0)
    {
      if (trust != NULL)
        gnutls_x509_trust_list_deinit (trust, 1);
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_CRYPTO, ret, "Could not build the trust list");
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
int
_wpi_pki_lock_directory (WpiPki  *self,
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

void
_wpi_pki_unlock_directory (int fd)
{
  if (fd >= 0)
    close (fd);
}

static gboolean
write_revoked (WpiPki  *self,
               GError **error)
{
  g_autofree char *path = _wpi_pki_path (self, REVOKED_FILE, NULL);
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

  if (!_wpi_pki_write_private_file (path, contents->str, error))
    return FALSE;
  file_stamp_get (path, &self->revoked_stamp);
  return TRUE;
}

/* After the revoked set changed (lock held): the list, then the CRL built from it. */
static gboolean
commit_revocations (WpiPki  *self,
                    GError **error)
{
  g_autofree char *crl_path = _wpi_pki_path (self, CRL_FILE, NULL);
  g_autofree char *crl_pem = NULL;

  if (!write_revoked (self, error))
    return FALSE;

  crl_pem = build_crl (self, error);
  if (crl_pem == NULL || !_wpi_pki_write_private_file (crl_path, crl_pem, error))
    return FALSE;

  g_free (self->crl_pem);
  self->crl_pem = g_steal_pointer (&crl_pem);

  return _wpi_pki_rebuild_trust (self, error);
}

/* Reads revoked.tsv into a new set that replaces the one in memory (lock held). */
gboolean
_wpi_pki_load_revoked (WpiPki  *self,
                       GError **error)
{
  g_autofree char *path = _wpi_pki_path (self, REVOKED_FILE, NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GHashTable) revoked = NULL;
  g_auto(GStrv) lines = NULL;
  GHashTableIter iter;
  gpointer serial_key;
  FileStamp stamp;

  /* The stamp before the contents: a file replaced in between is read again next time. */
  file_stamp_get (path, &stamp);
  revoked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, _wpi_pki_revoked_entry_free);
  contents = _wpi_pki_read_file_if_exists (path, NULL, error);
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
      if (g_strv_length (fields) != 3 || (serial = _wpi_pki_normalize_serial (fields[0])) == NULL ||
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

/* Another process may have revoked since this one last looked (wpictl revoke while the
 * service runs): reload the list, the CRL and the trust list when revoked.tsv is not
 * the version last read or written (lock held). A stat() when nothing changed.
 * directory_locked: the caller holds _wpi_pki_lock_directory() already (a second flock() of the
 * same process on another descriptor would wait for itself). */
static gboolean
refresh_revoked (WpiPki    *self,
                 gboolean   directory_locked,
                 GError   **error)
{
  g_autofree char *path = _wpi_pki_path (self, REVOKED_FILE, NULL);
  FileStamp stamp;
  gboolean ok;
  int fd = -1;

  file_stamp_get (path, &stamp);
  if (file_stamp_equal (&stamp, &self->revoked_stamp))
    return TRUE;

  /* _wpi_pki_ensure_crl() may write crl.pem: not in the middle of another process's revocation */
  if (!directory_locked && (fd = _wpi_pki_lock_directory (self, error)) < 0)
    return FALSE;
  ok = _wpi_pki_load_revoked (self, error) && _wpi_pki_ensure_crl (self, error) && _wpi_pki_rebuild_trust (self, error);
  _wpi_pki_unlock_directory (fd);

  return ok;
}

/* The serials of every certificate issued for the phone in `dir_name`. */
static GPtrArray *
list_phone_serials (WpiPki     *self,
                    const char *dir_name)
{
  g_autofree char *path = _wpi_pki_path (self, CLIENTS_DIR, dir_name, NULL);
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
      serial = _wpi_pki_normalize_serial (base);
      if (serial != NULL)
        g_ptr_array_add (serials, serial);
    }

  return g_steal_pointer (&serials);
}

gboolean
_wpi_pki_load_client_serials (WpiPki  *self,
                              GError **error)
{
  g_autofree char *path = _wpi_pki_path (self, CLIENTS_DIR, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!_wpi_pki_ensure_private_dir (path, error))
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
gboolean
_wpi_pki_ensure_crl (WpiPki  *self,
                     GError **error)
{
  g_autofree char *path = _wpi_pki_path (self, CRL_FILE, NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  contents = _wpi_pki_read_file_if_exists (path, &length, error);
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
          gnutls_x509_crl_get_next_update (crl) > (time_t) (_wpi_pki_now_seconds () + RENEW_BEFORE_SECONDS))
        {
          current = TRUE;
          for (int i = 0; current && i < gnutls_x509_crl_get_crt_count (crl); i++)
            {
              guint8 serial[64];
              size_t size = sizeof serial;
              g_autofree char *hex = NULL;

              current = gnutls_x509_crl_get_crt_serial (crl, i, serial, &size, NULL) >= 0 &&
                        (hex = _wpi_pki_bytes_to_hex (serial, size)) != NULL &&
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

  return self->crl_pem != NULL && _wpi_pki_write_private_file (path, self->crl_pem, error);
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
  entry->time = _wpi_pki_now_seconds ();
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
  g_autofree char *path = _wpi_pki_path (self, CLIENTS_DIR, NULL);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autofree char *file_name = g_strconcat (serial, ".crt", NULL);
  const char *name;

  if (dir == NULL)
    return NULL;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *candidate = _wpi_pki_path (self, CLIENTS_DIR, name, file_name, NULL);

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

  normalized = _wpi_pki_normalize_serial (serial);
  if (normalized == NULL)
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT,
                   "“%s” is not a hexadecimal serial number", serial != NULL ? serial : "(null)");
      return FALSE;
    }

  locker = g_mutex_locker_new (&self->lock);
  if ((directory_fd = _wpi_pki_lock_directory (self, error)) < 0)
    return FALSE;
  ok = revoke_serial_locked (self, normalized, error);
  _wpi_pki_unlock_directory (directory_fd);

  return ok;
}

static char *
current_serial_of (WpiPki     *self,
                   const char *dir_name)
{
  g_autofree char *path = _wpi_pki_path (self, CLIENTS_DIR, dir_name, CURRENT_FILE, NULL);
  g_autofree char *contents = NULL;
  g_auto(CertList) certs = { NULL, 0 };
  gsize length = 0;

  contents = _wpi_pki_read_file_if_exists (path, &length, NULL);
  if (contents == NULL || !_wpi_pki_import_cert_list (contents, length, &certs, path, NULL))
    {
      _wpi_pki_free_secret (g_steal_pointer (&contents));
      return NULL;
    }
  _wpi_pki_free_secret (g_steal_pointer (&contents));

  return _wpi_pki_crt_get_serial_hex (certs.certs[0]);
}

/* Both locks held. */
static gboolean
revoke_phone_locked (WpiPki      *self,
                     const char  *normalized,
                     gboolean     keep_current,
                     guint       *n_revoked,
                     GError     **error)
{
  g_autofree char *dir_name = _wpi_pki_mac_to_dir_name (normalized);
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

  normalized = _wpi_pki_normalize_mac_or_error (mac, error);
  if (normalized == NULL)
    return FALSE;

  locker = g_mutex_locker_new (&self->lock);
  if ((directory_fd = _wpi_pki_lock_directory (self, error)) < 0)
    return FALSE;
  ok = revoke_phone_locked (self, normalized, keep_current, n_revoked, error);
  _wpi_pki_unlock_directory (directory_fd);

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
  g_autofree char *normalized = _wpi_pki_normalize_serial (serial);
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
    description = _wpi_pki_datum_to_string (&text);

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

  if (!_wpi_pki_import_cert_list (chain_pem, strlen (chain_pem), &chain, "The phone's certificate", error))
    return FALSE;

  if (expected_mac != NULL && (wanted_mac = _wpi_pki_normalize_mac_or_error (expected_mac, error)) == NULL)
    return FALSE;

  locker = g_mutex_locker_new (&self->lock);
  /* Fails closed: a revoked list that cannot be read refuses every phone */
  if (!refresh_revoked (self, FALSE, error))
    return FALSE;
  ret = gnutls_x509_trust_list_verify_crt2 (self->trust, chain.certs, chain.n, &purpose, 1,
                                            0, &status, NULL);
  if (ret < 0)
    {
      _wpi_pki_set_gnutls_error (error, WPI_PKI_ERROR_UNTRUSTED, ret, "The phone's certificate could not be verified");
      return FALSE;
    }
  if (!status_to_error (status, error))
    return FALSE;

  /* The CRL already said no, but the revoked set is the source of truth. */
  serial = _wpi_pki_crt_get_serial_hex (chain.certs[0]);
  if (serial == NULL || g_hash_table_contains (self->revoked, serial))
    {
      g_set_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED,
                   "The phone's certificate (serial %s) is revoked", serial != NULL ? serial : "?");
      return FALSE;
    }
  g_clear_pointer (&locker, g_mutex_locker_free);

  common_name = _wpi_pki_crt_get_common_name (chain.certs[0]);
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
