/* test-limits.c: the service within the descriptors it has (issue 10 §4)
 *
 * The headless service runs under a limit of 1,024 open descriptors (prlimit) while
 * 2,000 connections that never say a word arrive from one address: it stays up, keeps
 * to its budget of connections by closing the ones waiting longest, and still serves a
 * phone. A body over D5's limit is refused from its Content-Length and never gathered:
 * the service's peak memory stays where it was while a client pushes 256 MiB at it.
 * Every socket is on 127.0.0.1.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test-util-service.h"
#include "test-util-wpi.h"

#define MAX_FILES      1024
#define N_SILENT       2000
#define WAIT_MS        120000

/* A connection that never sends a byte: a socket left to connect on its own */
static int
connect_silently (guint port)
{
  struct sockaddr_in address = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  address.sin_family = AF_INET;
  address.sin_port = htons (port);
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &address, sizeof address) != 0)
    g_assert_cmpint (errno, ==, EINPROGRESS);
  return fd;
}

typedef struct {
  const char *log_path;
  const char *text;
} LogWait;

static gboolean
log_says (gpointer data)
{
  LogWait *wait = data;
  g_autofree char *log = NULL;

  return g_file_get_contents (wait->log_path, &log, NULL, NULL) && strstr (log, wait->text) != NULL;
}

/* The phone's start-up on a new connection: answered as any phone's */
static void
assert_phone_served (guint port)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u%s", port, WPI_SERVICE_PATH);
  g_autoptr(WpiMessage) start_up = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "5C");
  g_autoptr(TestUtilReply) reply = NULL;
  g_autoptr(WpiMessage) answer = NULL;

  wpi_message_set_reason (start_up, WPI_REASON_START_UP);
  wpi_message_add_item (start_up, "mac-addr", TEST_UTIL_PHONE_MAC_1);
  wpi_message_add_item (start_up, "device-type", "OpenStage 60");
  wpi_message_add_item (start_up, "software-version", "V3 R1.41.1");
  reply = test_util_post_message (session, uri, start_up, NULL);
  g_assert_no_error (reply->error);
  answer = test_util_reply_parse (reply);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
}

static void
test_descriptor_flood (void)
{
  const char *program = g_getenv ("WPI_HEADLESS_SERVICE");
  g_autofree char *prlimit = g_find_program_in_path ("prlimit");
  g_autofree char *data_dir = NULL;
  g_autofree char *log_path = NULL;
  g_autoptr(GSubprocess) service = NULL;
  struct rlimit limit;
  gboolean exited = FALSE;
  LogWait shed;
  int fds[N_SILENT];
  guint port;

  if (program == NULL || prlimit == NULL)
    {
      g_test_skip (program == NULL ? "the headless service is not built (no GTK)" : "prlimit is missing");
      return;
    }
  /* the test itself holds the 2,000 connections */
  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &limit), ==, 0);
  if (limit.rlim_max < N_SILENT + 256)
    {
      g_test_skip ("the test needs more descriptors than the hard limit allows");
      return;
    }
  limit.rlim_cur = limit.rlim_max;
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &limit), ==, 0);

  data_dir = test_util_make_tmp_dir ("wpi-limits");
  log_path = g_build_filename (data_dir, "headless.log", NULL);
  port = test_util_free_port ();
  service = test_util_headless_spawn_limited (program, data_dir, port, test_util_free_port (), log_path,
                                              &exited, MAX_FILES, NULL);
  test_util_headless_wait_serving (log_path, port, &exited, WAIT_MS);

  for (guint i = 0; i < N_SILENT; i++)
    fds[i] = connect_silently (port);
  shed = (LogWait) { log_path, "the one waiting longest was closed" };
  test_util_wait_until (log_says, &shed, WAIT_MS, "the service to keep to its budget of connections");
  g_assert_false (exited);

  assert_phone_served (port);
  g_assert_false (exited);

  for (guint i = 0; i < N_SILENT; i++)
    close (fds[i]);
  g_subprocess_send_signal (service, SIGTERM);
  test_util_wait_for_flag (&exited, WAIT_MS, "the service to stop");
  g_assert_true (g_subprocess_get_if_exited (service));
  g_assert_cmpint (g_subprocess_get_exit_status (service), ==, 0);
  test_util_remove_tree (data_dir);
}

/* VmHWM of the process, in KiB */
static guint64
peak_memory_kib (GSubprocess *process)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (process));
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "VmHWM:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10);
}

static gboolean
accept_any_certificate (GTlsConnection       *connection,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  return TRUE;
}

#define HUGE_BODY (256u * 1024 * 1024)

/* Sends the head of a 256 MiB POST and then the body, as fast as it goes, until the
 * service stops taking it; returns how much it took */
static void
push_huge_body (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  guint port = GPOINTER_TO_UINT (task_data);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *head = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %u\r\n\r\n",
                                           WPI_SERVICE_PATH, HUGE_BODY);
  g_autofree char *zeros = g_malloc0 (65536);
  GOutputStream *out;
  guint64 sent = 0;

  g_socket_client_set_timeout (client, 30);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  out = g_io_stream_get_output_stream (tls);
  g_assert_true (g_output_stream_write_all (out, head, strlen (head), NULL, NULL, &error));
  while (sent < HUGE_BODY && g_output_stream_write_all (out, zeros, 65536, NULL, NULL, NULL))
    sent += 65536;
  g_task_return_int (task, (gssize) MIN (sent, (guint64) G_MAXSSIZE));
}

static void
pushed (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_huge_body (void)
{
  const char *program = g_getenv ("WPI_HEADLESS_SERVICE");
  g_autofree char *data_dir = NULL;
  g_autofree char *log_path = NULL;
  g_autoptr(GSubprocess) service = NULL;
  g_autoptr(GTask) task = NULL;
  gboolean exited = FALSE, done = FALSE;
  guint64 before, after;
  guint port;

  if (program == NULL)
    {
      g_test_skip ("the headless service is not built (no GTK)");
      return;
    }
  data_dir = test_util_make_tmp_dir ("wpi-limits");
  log_path = g_build_filename (data_dir, "headless.log", NULL);
  port = test_util_free_port ();
  service = test_util_headless_spawn (program, data_dir, port, test_util_free_port (), log_path, &exited);
  test_util_headless_wait_serving (log_path, port, &exited, WAIT_MS);
  assert_phone_served (port);   /* TLS and the codec warmed up: what remains is the body */
  before = peak_memory_kib (service);

  task = g_task_new (NULL, NULL, pushed, &done);
  g_task_set_task_data (task, GUINT_TO_POINTER (port), NULL);
  g_task_run_in_thread (task, push_huge_body);
  test_util_wait_for_flag (&done, WAIT_MS, "the service to stop taking the body");
  after = peak_memory_kib (service);
  g_test_message ("peak memory %" G_GUINT64_FORMAT " KiB before, %" G_GUINT64_FORMAT " KiB after; "
                  "the client got %" G_GSSIZE_FORMAT " bytes of the body out", before, after,
                  g_task_propagate_int (task, NULL));
#ifndef __SANITIZE_ADDRESS__
  /* (AddressSanitizer keeps freed memory in quarantine: the peak says nothing there) */
  g_assert_cmpuint (after, <=, before + 8 * 1024);
#endif
  g_assert_false (exited);

  g_subprocess_send_signal (service, SIGTERM);
  test_util_wait_for_flag (&exited, WAIT_MS, "the service to stop");
  test_util_remove_tree (data_dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/limits/descriptor-flood", test_descriptor_flood);
  g_test_add_func ("/limits/huge-body", test_huge_body);
  return g_test_run ();
}
