/* test-limits.c: the service within the descriptors it has (issue 10 §4)
 *
 * The headless service runs under a limit of 1,024 open descriptors (prlimit) while
 * 2,000 connections that never say a word arrive from one address: it stays up, keeps
 * to its budget of connections by closing the ones waiting longest, and still serves a
 * phone. Every socket is on 127.0.0.1.
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
                                              &exited, MAX_FILES);
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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/limits/descriptor-flood", test_descriptor_flood);
  return g_test_run ();
}
