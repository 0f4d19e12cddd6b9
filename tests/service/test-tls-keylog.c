/* test-tls-keylog.c: the TLS key log (D30): its file, and a capture of the service's
 * own TLS traffic on loopback (tcpdump) that Wireshark (tshark) decrypts with it */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wpi-tls-keylog.h"
#include "test-util-service.h"

#define CAPTURE_TIMEOUT_MS 20000

typedef struct {
  char       *data_dir;
  WpiService *service;
  char       *keylog;    /* data_dir/keys.log */
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  test_util_service_set_up ("test-tls-keylog", &f->data_dir, &f->service);
  f->keylog = g_build_filename (f->data_dir, "keys.log", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_tls_keylog_set_file (NULL, &error));
  g_free (f->keylog);
  test_util_service_tear_down (&f->data_dir, &f->service);
}

/* ---- The file -------------------------------------------------------------------- */

typedef enum {
  BEFORE_NOTHING,   /* no file yet */
  BEFORE_WIDE,      /* a file readable by everyone */
  BEFORE_SYMLINK,   /* a symbolic link to another file */
  BEFORE_DIRECTORY, /* a directory */
} Before;

static void
test_file (Fixture       *f,
           gconstpointer  data)
{
  static const struct {
    Before    before;
    gboolean  accepted;
  } cases[] = {
    { BEFORE_NOTHING, TRUE },
    { BEFORE_WIDE, TRUE },
    { BEFORE_SYMLINK, FALSE },
    { BEFORE_DIRECTORY, FALSE },
  };
  mode_t old_umask = umask (022);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s.%u", f->keylog, i);
      g_autofree char *target = g_strconcat (path, ".target", NULL);
      g_autofree char *current = NULL;
      g_autoptr(GError) error = NULL;
      struct stat st;

      switch (cases[i].before)
        {
        case BEFORE_NOTHING:
          break;
        case BEFORE_WIDE:
          g_assert_true (g_file_set_contents (path, "KEEP\n", -1, NULL));
          g_assert_cmpint (g_chmod (path, 0644), ==, 0);
          break;
        case BEFORE_SYMLINK:
          g_assert_true (g_file_set_contents (target, "", 0, NULL));
          g_assert_cmpint (symlink (target, path), ==, 0);
          break;
        case BEFORE_DIRECTORY:
          g_assert_cmpint (g_mkdir (path, 0700), ==, 0);
          break;
        default:
          g_assert_not_reached ();
        }

      g_test_message ("case %u", i);
      g_assert_true (wpi_tls_keylog_set_file (f->keylog, &error)); /* one that works first */
      g_assert_cmpint (wpi_tls_keylog_set_file (path, &error), ==, cases[i].accepted);
      current = wpi_tls_keylog_dup_file ();
      if (!cases[i].accepted)
        {
          /* refused: clearly, and the key log before it still in use */
          g_assert_nonnull (error);
          g_assert_nonnull (strstr (error->message, path));
          g_assert_cmpstr (current, ==, f->keylog);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpstr (current, ==, path);
      g_assert_cmpint (g_lstat (path, &st), ==, 0);
      g_assert_true (S_ISREG (st.st_mode));
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);
      if (cases[i].before == BEFORE_WIDE)
        {
          /* appended to, never truncated */
          g_autofree char *contents = NULL;

          g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
          g_assert_cmpstr (contents, ==, "KEEP\n");
        }
    }
  umask (old_umask);

  g_assert_true (wpi_tls_keylog_set_file (NULL, NULL));
  g_assert_null (wpi_tls_keylog_dup_file ());
}

/* ---- A capture on loopback -------------------------------------------------------- */

/* tcpdump on lo: -U --immediate-mode write each packet as it comes, so the test can
 * wait for what it needs in the file (dumpcap holds packets back until it ends) */
typedef struct {
  const char *path;
  gboolean    exited;
  gboolean    listening;   /* tcpdump said it captures */
  GString    *err;
} Capture;

static void
on_capture_line (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Capture *capture = user_data;
  g_autofree char *line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, NULL);

  if (line == NULL)
    return;
  g_string_append_printf (capture->err, "%s\n", line);
  if (strstr (line, "listening on ") != NULL)
    capture->listening = TRUE;
  g_data_input_stream_read_line_async (G_DATA_INPUT_STREAM (source), G_PRIORITY_DEFAULT, NULL,
                                       on_capture_line, capture);
}

static gboolean
capture_listening_or_ended (gpointer data)
{
  Capture *capture = data;

  return capture->exited || capture->listening;
}

/* A test that fails ends with g_error(): its capture must not outlive it */
static void
end_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

/* tcpdump on lo, only the service's port; NULL (test skipped) where there is no tcpdump
 * or capturing on lo is not allowed */
static GSubprocess *
start_capture (guint    port,
               Capture *capture)
{
  g_autofree char *tcpdump = g_find_program_in_path ("tcpdump");
  g_autofree char *filter = g_strdup_printf ("tcp port %u", port);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) err = NULL;
  GSubprocess *process;

  if (tcpdump == NULL)
    {
      g_test_skip ("tcpdump is not installed (build-aux/setup installs it)");
      return NULL;
    }
  /* -Z root: tcpdump keeps its user, so that the signal at the test's death stays set */
  g_subprocess_launcher_set_child_setup (launcher, end_with_parent, NULL, NULL);
  process = g_subprocess_launcher_spawn (launcher, &error, tcpdump, "-i", "lo", "-U", "--immediate-mode",
                                         "-Z", "root", "-w", capture->path, filter, NULL);
  g_assert_no_error (error);
  capture->err = g_string_new (NULL);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  g_data_input_stream_read_line_async (err, G_PRIORITY_DEFAULT, NULL, on_capture_line, capture);
  test_util_watch_exit (process, &capture->exited);
  test_util_wait_until (capture_listening_or_ended, capture, CAPTURE_TIMEOUT_MS, "tcpdump to capture on lo");
  if (capture->exited)
    {
      g_autofree char *message = g_strdup_printf ("tcpdump cannot capture on lo here (root or CAP_NET_RAW): %s",
                                                  capture->err->str);

      g_test_skip (message);
      g_clear_object (&process);
    }
  return process;
}

static void
stop_capture (GSubprocess *process,
              Capture     *capture)
{
  g_subprocess_send_signal (process, SIGTERM);
  test_util_wait_for_flag (&capture->exited, CAPTURE_TIMEOUT_MS, "tcpdump to end");
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_string_free (capture->err, TRUE);
}

/* The capture so far decrypted, until it holds the service's answer: path, then the
 * key log and decode-as options; tshark takes a while, so not on every tick */
static gboolean
answer_captured (gpointer data)
{
  const char * const *capture = data;
  static gint64 last_try;
  g_autofree char *answers = NULL;

  if (g_get_monotonic_time () - last_try < 200 * G_TIME_SPAN_MILLISECOND)
    return FALSE;
  last_try = g_get_monotonic_time ();
  answers = test_util_tshark (capture[0], "-o", capture[1], "-d", capture[2], "-Y", "http.response.code == 200", NULL);
  return answers[0] != '\0';
}

static void
post_start_up (WpiService *service)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autofree char *base = test_util_service_uri (service, FALSE);
  g_autofree char *uri = g_strconcat (base, WPI_SERVICE_PATH, NULL);
  g_autoptr(WpiMessage) start_up = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "5EC2E7");
  g_autoptr(TestUtilReply) reply = NULL;

  wpi_message_set_reason (start_up, WPI_REASON_START_UP);
  wpi_message_add_item (start_up, "mac-addr", TEST_UTIL_PHONE_MAC_1);
  wpi_message_add_item (start_up, "sip-transport-user", "keylog-test-user");
  reply = test_util_post_message (session, uri, start_up, NULL);
  g_assert_no_error (reply->error);
  g_assert_cmpuint (reply->status, ==, 200);
}

static void
test_capture (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *capture = g_build_filename (f->data_dir, "lo.pcapng", NULL);
  g_autofree char *keylog_option = g_strconcat ("tls.keylog_file:", f->keylog, NULL);
  g_autofree char *decode_as = g_strdup_printf ("tcp.port==%u,tls", wpi_service_get_port (f->service));
  g_autofree char *keys = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) tcpdump = NULL;
  Capture lo = { capture, FALSE, FALSE, NULL };
  const char *decrypt[] = { capture, keylog_option, decode_as };
  guint logged_before = wpi_tls_keylog_get_n_logged ();

  if (test_util_tshark_path () == NULL)
    return;
  tcpdump = start_capture (wpi_service_get_port (f->service), &lo);
  if (tcpdump == NULL)
    return;

  g_assert_true (wpi_tls_keylog_set_file (f->keylog, &error));
  g_assert_no_error (error);
  post_start_up (f->service);
  test_util_wait_until (answer_captured, decrypt, CAPTURE_TIMEOUT_MS, "the decrypted answer in the capture");
  stop_capture (tcpdump, &lo);

  /* the session's secrets, in the NSS format */
  g_assert_cmpuint (wpi_tls_keylog_get_n_logged (), >, logged_before);
  g_assert_true (g_file_get_contents (f->keylog, &keys, NULL, NULL));
  g_assert_true (g_str_has_prefix (keys, "CLIENT_") || g_str_has_prefix (keys, "SERVER_"));
  g_assert_true (g_str_has_suffix (keys, "\n"));

  /* without the key log, the capture shows no HTTP; with it, the phone's POST, decoded
   * (two passes: TLS records and HTTP reassembled whatever order the segments came in) */
  {
    g_autofree char *sealed = test_util_tshark (capture, "-d", decode_as, "-Y", "http", NULL);
    g_autofree char *posts = test_util_tshark (capture, "-2", "-o", keylog_option, "-d", decode_as,
                                               "-Y", "http.request.method == \"POST\"",
                                               "-T", "fields", "-e", "wpi.reason", NULL);
    g_autofree char *items = test_util_tshark (capture, "-2", "-o", keylog_option, "-d", decode_as,
                                               "-Y", "wpi.item.name == \"sip-transport-user\"",
                                               "-T", "fields", "-e", "wpi.item.value", NULL);

    if (g_strcmp0 (posts, "start-up\n") != 0)
      {
        g_autofree char *frames = test_util_tshark (capture, "-2", "-o", keylog_option, "-d", decode_as, NULL);

        g_test_message ("the capture decrypted:\n%s\nthe key log:\n%s", frames, keys);
      }
    g_assert_cmpstr (sealed, ==, "");
    g_assert_cmpstr (posts, ==, "start-up\n");
    g_assert_nonnull (strstr (items, "keylog-test-user"));
  }
}

/* Off: sessions are made as ever and nothing is written */
static void
test_off (Fixture       *f,
          gconstpointer  data)
{
  guint sessions = wpi_tls_keylog_get_n_sessions ();
  guint logged = wpi_tls_keylog_get_n_logged ();

  g_assert_null (wpi_tls_keylog_dup_file ());
  post_start_up (f->service);
  g_assert_cmpuint (wpi_tls_keylog_get_n_sessions (), >, sessions);
  g_assert_cmpuint (wpi_tls_keylog_get_n_logged (), ==, logged);
  g_assert_false (g_file_test (f->keylog, G_FILE_TEST_EXISTS));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/tls-keylog/file", test_file);
  ADD ("/tls-keylog/off", test_off);
  ADD ("/tls-keylog/capture", test_capture);
#undef ADD
  return g_test_run ();
}
