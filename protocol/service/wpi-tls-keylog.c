/* wpi-tls-keylog.c: the NSS key log of the process's TLS sessions (D30) */
#define _GNU_SOURCE /* dlvsym, RTLD_NEXT */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>

#include "wpi-tls-keylog.h"

/* The key log: the file descriptor (-1: off) and its path, under lock */
static GMutex keylog_lock;
static int    keylog_fd = -1;
static char  *keylog_path;
static gint   n_sessions;
static gint   n_logged;

gboolean
wpi_tls_keylog_set_file (const char  *path,
                         GError     **error)
{
  int fd = -1, old_fd;
  struct stat st;

  if (path != NULL && path[0] != '\0')
    {
      /* O_NOFOLLOW: a link planted where the file should be must not redirect the
       * secrets; 0600 whatever the umask says */
      fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
      if (fd < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot open the TLS key log %s: %s",
                       path, saved == ELOOP ? "it is a symbolic link" : g_strerror (saved));
          return FALSE;
        }
      if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) ||
          ((st.st_mode & 077) != 0 && fchmod (fd, 0600) != 0))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                       "Cannot use %s as the TLS key log: not a regular file only its owner can read", path);
          close (fd);
          return FALSE;
        }
    }

  g_mutex_lock (&keylog_lock);
  old_fd = keylog_fd;
  keylog_fd = fd;
  g_free (keylog_path);
  keylog_path = fd >= 0 ? g_strdup (path) : NULL;
  g_mutex_unlock (&keylog_lock);
  if (old_fd >= 0)
    close (old_fd);
  if (fd >= 0)
    g_message ("Writing the TLS key log to %s. %s", path, WPI_TLS_KEYLOG_WARNING);
  return TRUE;
}

char *
wpi_tls_keylog_dup_file (void)
{
  char *path;

  g_mutex_lock (&keylog_lock);
  path = g_strdup (keylog_path);
  g_mutex_unlock (&keylog_lock);
  return path;
}

guint
wpi_tls_keylog_get_n_sessions (void)
{
  return (guint) g_atomic_int_get (&n_sessions);
}

guint
wpi_tls_keylog_get_n_logged (void)
{
  return (guint) g_atomic_int_get (&n_logged);
}

gboolean
wpi_tls_keylog_check_handshake (void)
{
  static gsize warned;
  gboolean enabled;

  g_mutex_lock (&keylog_lock);
  enabled = keylog_fd >= 0;
  g_mutex_unlock (&keylog_lock);
  if (!enabled || g_atomic_int_get (&n_sessions) > 0)
    return TRUE;
  if (g_once_init_enter (&warned))
    {
      g_warning ("The TLS key log is set, but the TLS sessions do not go through GnuTLS's "
                 "gnutls_init() in this program (another GIO TLS backend?): nothing is logged (D30)");
      g_once_init_leave (&warned, 1);
    }
  return FALSE;
}

/* One NSS key log line: LABEL CLIENT_RANDOM SECRET, in hex, written whole (O_APPEND) */
static int
write_keylog_line (gnutls_session_t      session,
                   const char           *label,
                   const gnutls_datum_t *secret)
{
  gnutls_datum_t client_random = { NULL, 0 }, server_random = { NULL, 0 };
  GString *line;

  gnutls_session_get_random (session, &client_random, &server_random);
  line = g_string_new (label);
  g_string_append_c (line, ' ');
  for (guint i = 0; i < client_random.size; i++)
    g_string_append_printf (line, "%02x", client_random.data[i]);
  g_string_append_c (line, ' ');
  for (guint i = 0; i < secret->size; i++)
    g_string_append_printf (line, "%02x", secret->data[i]);
  g_string_append_c (line, '\n');

  g_mutex_lock (&keylog_lock);
  if (keylog_fd >= 0 && write (keylog_fd, line->str, line->len) != (gssize) line->len)
    g_warning ("Cannot write the TLS key log %s: %s", keylog_path, g_strerror (errno));
  g_mutex_unlock (&keylog_lock);

  /* the secret in memory no longer than needed */
  memset (line->str, 0, line->len);
  g_string_free (line, TRUE);
  return 0;
}

static int
keylog_function (gnutls_session_t      session,
                 const char           *label,
                 const gnutls_datum_t *secret)
{
  static const char first_label[] = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";

  /* a session counts once: at its first secret (TLS 1.2 has only CLIENT_RANDOM) */
  if (g_str_equal (label, first_label) || g_str_equal (label, "CLIENT_RANDOM"))
    g_atomic_int_inc (&n_logged);
  return write_keylog_line (session, label, secret);
}

typedef int (*GnutlsInitFunc) (gnutls_session_t *session, unsigned int flags);

/* GnuTLS's own gnutls_init, behind this one (the version every GnuTLS 3.4+ exports) */
static gpointer
lookup_real_gnutls_init (gpointer data)
{
  void *found = dlvsym (RTLD_NEXT, "gnutls_init", "GNUTLS_3_4");

  return found != NULL ? found : dlsym (RTLD_NEXT, "gnutls_init");
}

static GnutlsInitFunc
real_gnutls_init (void)
{
  static GOnce once = G_ONCE_INIT;

  return (GnutlsInitFunc) g_once (&once, lookup_real_gnutls_init, NULL);
}

/* Interposes GnuTLS's gnutls_init (see the header): every session of the process is
 * made here, and gets the key log function while a key log is set. Sessions made while
 * it is off keep GnuTLS's own (which honours SSLKEYLOGFILE). */
int gnutls_init (gnutls_session_t *session,
                 unsigned int      flags);

int
gnutls_init (gnutls_session_t *session,
             unsigned int      flags)
{
  GnutlsInitFunc real = real_gnutls_init ();
  gboolean enabled;
  int result;

  if (real == NULL)
    return GNUTLS_E_INTERNAL_ERROR;
  result = real (session, flags);
  if (result != GNUTLS_E_SUCCESS)
    return result;

  g_atomic_int_inc (&n_sessions);
  g_mutex_lock (&keylog_lock);
  enabled = keylog_fd >= 0;
  g_mutex_unlock (&keylog_lock);
  if (enabled)
    gnutls_session_set_keylog_function (*session, keylog_function);
  return result;
}
