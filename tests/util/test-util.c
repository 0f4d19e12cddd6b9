/* test-util.c: what every test and benchmark needs and nothing in protocol/ offers */
#include <string.h>

#include <glib/gstdio.h>

#include "test-util.h"

void
test_util_remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        test_util_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

/* --- Waiting ------------------------------------------------------------------------ */

/* How often a wait looks at its condition when nothing else happens */
#define WAIT_TICK_MS 10

static gboolean
wait_tick (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
on_wait_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

void
test_util_wait_until_described (TestUtilCondition  condition,
                                TestUtilDescribe   describe,
                                gpointer           data,
                                guint              timeout_ms,
                                const char        *what)
{
  GMainContext *context = g_main_context_ref_thread_default ();
  g_autoptr(GSource) timeout = g_timeout_source_new (timeout_ms);
  g_autoptr(GSource) ticker = g_timeout_source_new (WAIT_TICK_MS);
  gboolean timed_out = FALSE;

  /* A source rather than a deadline check, so that a blocking iteration wakes up */
  g_source_set_callback (timeout, on_wait_timeout, &timed_out, NULL);
  g_source_attach (timeout, context);
  /* and a tick: what a store or another thread changes comes with no event here */
  g_source_set_callback (ticker, wait_tick, NULL, NULL);
  g_source_attach (ticker, context);
  while (!condition (data) && !timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (ticker);
  g_source_destroy (timeout);
  g_main_context_unref (context);

  if (timed_out)
    {
      g_autofree char *state = describe != NULL ? describe (data) : NULL;

      g_error ("Timed out after %u ms waiting for %s%s%s%s", timeout_ms, what,
               state != NULL ? " (" : "", state != NULL ? state : "", state != NULL ? ")" : "");
    }
}

void
test_util_wait_until (TestUtilCondition  condition,
                      gpointer           data,
                      guint              timeout_ms,
                      const char        *what)
{
  test_util_wait_until_described (condition, NULL, data, timeout_ms, what);
}

void
test_util_drain_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

gboolean
test_util_flag_is_set (gpointer flag)
{
  return *(const gboolean *) flag;
}

void
test_util_wait_for_flag (const gboolean *flag,
                         guint           timeout_ms,
                         const char     *what)
{
  test_util_wait_until (test_util_flag_is_set, (gpointer) flag, timeout_ms, what);
}

/* --- Places --------------------------------------------------------------------------- */

guint16
test_util_free_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_no_error (error);
  g_socket_bind (socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

char *
test_util_make_tmp_dir (const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *template = g_strconcat (prefix, "-XXXXXX", NULL);
  char *dir = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  return dir;
}

char *
test_util_read_file (const char *path,
                     gsize      *length)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, length, &error);
  g_assert_no_error (error);
  return contents;
}

GBytes *
test_util_read_fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", name, NULL);
  gsize length = 0;
  char *contents = test_util_read_file (path, &length);

  return g_bytes_new_take (contents, length);
}

/* --- Subprocesses --------------------------------------------------------------------- */

char *
test_util_built_program (const char *dir,
                         const char *name)
{
  char *path = g_test_build_filename (G_TEST_BUILT, "..", dir, name, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("No %s at %s: build it first", name, path);
  return path;
}

int
test_util_run (const char * const *argv,
               const char * const *envp,
               char             **out,
               char             **err)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new ((out != NULL ? G_SUBPROCESS_FLAGS_STDOUT_PIPE : G_SUBPROCESS_FLAGS_NONE) |
                               (err != NULL ? G_SUBPROCESS_FLAGS_STDERR_PIPE : G_SUBPROCESS_FLAGS_NONE));
  g_autoptr(GSubprocess) process = NULL;

  if (envp != NULL)
    g_subprocess_launcher_set_environ (launcher, (char **) envp);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    return -1;
  return g_subprocess_get_exit_status (process);
}

const char *
test_util_tshark_path (void)
{
  static char *path;

  if (path == NULL)
    path = g_find_program_in_path ("tshark");
  if (path == NULL)
    g_test_skip ("tshark is not installed (Debian package tshark, build-aux/setup installs it)");
  return path;
}

char *
test_util_tshark (const char *capture,
                  const char *first_arg,
                  ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *lua = g_test_build_filename (G_TEST_DIST, "..", "data", "wireshark", "wpi.lua", NULL);
  g_autofree char *err = NULL;
  g_auto(GStrv) err_lines = NULL;
  char *out = NULL;
  const char *tshark = test_util_tshark_path ();
  va_list args;
  int status;

  g_assert_nonnull (tshark);
  g_ptr_array_add (argv, g_strdup (tshark));
  g_ptr_array_add (argv, g_strdup ("-n"));
  g_ptr_array_add (argv, g_strdup ("-X"));
  g_ptr_array_add (argv, g_strconcat ("lua_script:", lua, NULL));
  g_ptr_array_add (argv, g_strdup ("-r"));
  g_ptr_array_add (argv, g_strdup (capture));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  status = test_util_run ((const char * const *) argv->pdata, NULL, &out, &err);
  err_lines = g_strsplit (err != NULL ? err : "", "\n", -1);
  for (guint i = 0; err_lines[i] != NULL; i++)
    if (err_lines[i][0] != '\0' && !g_str_has_prefix (err_lines[i], "Running as user \"root\""))
      g_error ("tshark warned: %s", err);
  g_assert_cmpint (status, ==, 0);
  return out;
}

guint
test_util_count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; p != NULL && *p != '\0'; p = strchr (p, '\n'), p = p != NULL ? p + 1 : NULL)
    n++;
  return n;
}

static void
on_process_exited (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

void
test_util_watch_exit (GSubprocess *process,
                      gboolean    *exited)
{
  *exited = FALSE;
  g_subprocess_wait_async (process, NULL, on_process_exited, exited);
}

GSubprocess *
test_util_headless_spawn (const char *program,
                          const char *data_dir,
                          guint       port,
                          guint       secure_port,
                          const char *log_path,
                          gboolean   *exited)
{
  return test_util_headless_spawn_limited (program, data_dir, port, secure_port, log_path, exited, 0, NULL);
}

GSubprocess *
test_util_headless_spawn_limited (const char         *program,
                                  const char         *data_dir,
                                  guint               port,
                                  guint               secure_port,
                                  const char         *log_path,
                                  gboolean           *exited,
                                  guint               max_files,
                                  const char * const *options)
{
  g_autofree char *limit = g_strdup_printf ("--nofile=%u:%u", max_files, max_files);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *port_text = g_strdup_printf ("%u", port);
  g_autofree char *secure_port_text = g_strdup_printf ("%u", secure_port);
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  /* a file, not a pipe: the service writes a line per flow and must never block on us */
  g_subprocess_launcher_set_stdout_file_path (launcher, log_path);
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "", TRUE);
  if (max_files > 0)
    g_strv_builder_add_many (argv, "prlimit", limit, "--", NULL);
  g_strv_builder_add_many (argv, program, "--headless", "--data-dir", data_dir, "--bind", "127.0.0.1",
                           "--port", port_text, "--secure-port", secure_port_text, NULL);
  if (options != NULL)
    g_strv_builder_addv (argv, (const char **) options);
  args = g_strv_builder_end (argv);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) args, &error);
  g_assert_no_error (error);
  if (exited != NULL)
    test_util_watch_exit (process, exited);
  return process;
}

#define SERVING "serving https://127.0.0.1:"

typedef struct {
  const char     *log_path;
  guint           port;      /* 0 until it serves, when any port will do */
  gboolean        any_port;
  const gboolean *exited;
} HeadlessWait;

static gboolean
headless_serving (gpointer data)
{
  HeadlessWait *wait = data;
  g_autofree char *text = NULL;
  const char *serving;
  guint port;

  if (wait->exited != NULL && *wait->exited)
    g_error ("the headless service exited at start; see %s", wait->log_path);
  if (!g_file_get_contents (wait->log_path, &text, NULL, NULL))
    return FALSE;
  for (serving = strstr (text, SERVING); serving != NULL; serving = strstr (serving + 1, SERVING))
    {
      port = (guint) g_ascii_strtoull (serving + strlen (SERVING), NULL, 10);
      if (port > 0 && (wait->any_port || port == wait->port))
        {
          wait->port = port;
          return TRUE;
        }
    }
  return FALSE;
}

guint
test_util_headless_wait_serving (const char     *log_path,
                                 guint           port,
                                 const gboolean *exited,
                                 guint           timeout_ms)
{
  g_autofree char *what = g_strdup_printf ("the headless service to listen (see %s)", log_path);
  HeadlessWait wait = { log_path, port, port == 0, exited };

  test_util_wait_until (headless_serving, &wait, timeout_ms, what);
  return wait.port;
}

/* --- Ready-made certificates ---------------------------------------------------------- */

char *
test_util_cert_path (const char *name)
{
  return g_build_filename (TEST_UTIL_CERT_DIR, name, NULL);
}

static char *
read_cert_file (const char *name)
{
  g_autofree char *path = test_util_cert_path (name);

  return test_util_read_file (path, NULL);
}

/* "00:1A:E8:12:34:56" -> "001AE8123456", the name of the phone's files */
static char *
mac_to_file_part (const char *mac)
{
  g_autoptr(GString) part = g_string_new (NULL);

  for (const char *c = mac; *c != '\0'; c++)
    if (g_ascii_isxdigit (*c))
      g_string_append_c (part, g_ascii_toupper (*c));
  g_assert_cmpuint (part->len, ==, 12);
  return g_string_free (g_steal_pointer (&part), FALSE);
}

static GTlsCertificate *
certificate_from_files (const char *cert_name,
                        const char *key_name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *cert = read_cert_file (cert_name);
  g_autofree char *key = read_cert_file (key_name);
  g_autofree char *pem = g_strconcat (key, cert, NULL);
  GTlsCertificate *certificate = g_tls_certificate_new_from_pem (pem, -1, &error);

  g_assert_no_error (error);
  return certificate;
}

GTlsCertificate *
test_util_server_certificate (void)
{
  return certificate_from_files ("server.crt", "server-key.pem");
}

GTlsCertificate *
test_util_phone_certificate (const char *mac)
{
  g_autofree char *part = mac_to_file_part (mac);
  g_autofree char *cert_name = g_strdup_printf ("phone-%s.crt", part);
  g_autofree char *key_name = g_strdup_printf ("phone-%s-key.pem", part);

  return certificate_from_files (cert_name, key_name);
}

/* WpiPki keeps every file 0600 in 0700 directories (wpi-pki.h) */
static void
write_private (const char *dir,
               const char *name,
               const char *contents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
}

void
test_util_install_phone_certificate (const char *pki_dir,
                                     const char *mac)
{
  g_autofree char *part = mac_to_file_part (mac);
  g_autofree char *cert_name = g_strdup_printf ("phone-%s.crt", part);
  g_autofree char *key_name = g_strdup_printf ("phone-%s-key.pem", part);
  g_autofree char *serial_name = g_strdup_printf ("phone-%s.serial", part);
  g_autofree char *cert = read_cert_file (cert_name);
  g_autofree char *key = read_cert_file (key_name);
  g_autofree char *current = g_strconcat (key, cert, NULL);
  g_autofree char *serial = g_strstrip (read_cert_file (serial_name));
  g_autofree char *history = g_strconcat (serial, ".crt", NULL);
  g_autofree char *phone_dir = g_build_filename (pki_dir, "clients", part, NULL);

  write_private (phone_dir, history, cert);
  write_private (phone_dir, "current.pem", current);
}

void
test_util_install_pki_directory (const char *pki_dir)
{
  g_autofree char *ca_key = read_cert_file ("ca-key.pem");
  g_autofree char *ca = read_cert_file ("ca.crt");
  g_autofree char *server_key = read_cert_file ("server-key.pem");
  g_autofree char *server = read_cert_file ("server.crt");
  g_autofree char *ca_pem = g_strconcat (ca_key, ca, NULL);
  g_autofree char *server_pem = g_strconcat (server_key, server, ca, NULL);

  write_private (pki_dir, "ca.pem", ca_pem);
  write_private (pki_dir, "ca.crt", ca);
  write_private (pki_dir, "server.pem", server_pem);
}

void
test_util_install_pki (const char *data_dir)
{
  g_autofree char *pki_dir = g_build_filename (data_dir, "pki", NULL);

  test_util_install_pki_directory (pki_dir);
}

void
test_util_assert_contains_all (const char *text,
                               const char *first,
                               ...)
{
  va_list args;

  va_start (args, first);
  for (const char *needle = first; needle != NULL; needle = va_arg (args, const char *))
    if (strstr (text, needle) == NULL)
      {
        g_autofree char *what = g_strdup_printf ("“%s” not found in:\n%s", needle, text);

        va_end (args);
        g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, what);
        return;
      }
  va_end (args);
}

GSocketConnection *
test_util_stalled_client_hello (const char *local_ip,
                                guint       port)
{
  /* a handshake record of 4 bytes: ClientHello (1), length 0x004000, and no more */
  static const guint8 record[] = { 0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x00, 0x40, 0x00 };
  g_autoptr(GInetAddress) local = g_inet_address_new_from_string (local_ip);
  g_autoptr(GSocketAddress) from = g_inet_socket_address_new (local, 0);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_assert_true (g_inet_address_get_is_loopback (local));
  g_socket_client_set_local_address (client, from);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)), record,
                             sizeof record, NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}
