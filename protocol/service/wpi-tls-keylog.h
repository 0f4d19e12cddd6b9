/* wpi-tls-keylog.h: the NSS key log of the process's TLS sessions, for Wireshark (D30)
 *
 * Off by default. When a file is set, every TLS session GnuTLS starts from then on
 * writes its secrets there through gnutls_session_set_keylog_function() in the NSS
 * key log format ("CLIENT_RANDOM ...", the TLS 1.3 "*_TRAFFIC_SECRET ..." lines), so
 * that a capture taken on site (tcpdump, dumpcap) decrypts in Wireshark with
 * -o tls.keylog_file:FILE. Anyone with the file can read the phones' passwords in such
 * a capture: it is created 0600, never followed through a symbolic link, appended to.
 *
 * GIO's GTlsConnection does not hand out its gnutls_session_t, so the sessions are met
 * where GnuTLS makes them: this module defines gnutls_init(), which the program exports
 * in place of the library's (ELF symbol interposition; the program links GnuTLS, so the
 * linker exports it) and which calls GnuTLS's own. Process-wide, as the TLS backend
 * is: all services and clients of the process share one key log. D30 says why and
 * what it cannot do.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Starts (path) or stops (NULL or "") writing the key log. The file is opened here:
 * created 0600 if missing, appended to, refused when it is a symbolic link or not a
 * regular file, its mode narrowed to 0600 when it was wider. On an error nothing
 * changes. Thread-safe. */
gboolean    wpi_tls_keylog_set_file        (const char  *path,
                                            GError     **error);
/* The file being written, or NULL. Transfer full. */
char       *wpi_tls_keylog_dup_file        (void);
/* TLS sessions GnuTLS started in this process (whether logged or not) and those whose
 * secrets were written, since the program started */
guint       wpi_tls_keylog_get_n_sessions  (void);
guint       wpi_tls_keylog_get_n_logged    (void);
/* Called after a TLS handshake of this process: FALSE (and a warning, once) when a key
 * log is set but no session went through this module's gnutls_init(): another TLS
 * backend (GIO_USE_TLS=openssl) or a program built without the export. */
gboolean    wpi_tls_keylog_check_handshake (void);

/* The warning for --help and Preferences */
#define WPI_TLS_KEYLOG_WARNING \
  "Anyone with this file can decrypt a capture of the console's TLS traffic and read " \
  "the phones' passwords and keys in it. Off by default; use it only to take a trace, " \
  "then delete the file."

G_END_DECLS
