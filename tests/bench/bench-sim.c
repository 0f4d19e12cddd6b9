/* bench-sim: many simulated phones against a bare libsoup TLS server, in one process
 *
 * The server runs in its own thread and answers by rule, with fixed bodies: start-up ->
 * ReadAllItems, its reply -> WriteItems of 20 items, that reply -> CleanUp. The phones run
 * on the main thread, as in wpi-sim. Prints how long N phones take to be provisioned, flows
 * per second, p50/p99 flow latency, failures, CPU time of each side and peak RSS.
 *
 * Usage: bench-sim [N_PHONES]   (default 1000)
 */
#include "config.h"

#include <string.h>
#include <sys/resource.h>

#include <stdio.h>

#include <glib-unix.h>
#include <libsoup/soup.h>

#include "wpi-codec.h"
#include "wpi-simulator.h"
#include "bench-util.h"
#include "test-util-sim.h"
#include "test-util-wpi.h"

typedef struct {
  GMainLoop  *loop;
  SoupServer *server;
  guint       n_messages;
} Server;

static void
login_handler (SoupServerMessage *msg,
               GBytes            *body,
               gpointer           user_data)
{
  Server *server = user_data;
  g_autoptr(WpiMessage) request = NULL;
  g_autoptr(WpiMessage) answer = NULL;

  server->n_messages++;
  request = wpi_message_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL);
  if (request == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }
  answer = wpi_message_new (WPI_MESSAGE_KIND_DLS, wpi_message_get_nonce (request));
  if (wpi_message_get_reason (request) == WPI_REASON_START_UP)
    wpi_message_set_action (answer, WPI_ACTION_READ_ALL_ITEMS);
  else if (wpi_message_get_fragment (request) == WPI_FRAGMENT_NEXT)
    wpi_message_set_action (answer, WPI_ACTION_GET_NEXT_FRAGMENT);
  else if (wpi_message_get_action (request) == WPI_ACTION_READ_ALL_ITEMS)
    {
      wpi_message_set_action (answer, WPI_ACTION_WRITE_ITEMS);
      for (guint i = 1; i <= 8; i++)
        {
          g_autofree char *label = g_strdup_printf ("Bench %u", i);

          wpi_message_add_indexed_item (answer, "key-label", i, label);
          wpi_message_add_indexed_item (answer, "key-label-unicode", i, label);
        }
      wpi_message_add_item (answer, "auto-answer", "true");
      wpi_message_add_item (answer, "reg-addr", "sip.bench.example");
      wpi_message_add_item (answer, "reg-port", "5061");
      wpi_message_add_item (answer, "sntp-addr", "ntp.bench.example");
    }
  else
    wpi_message_set_action (answer, WPI_ACTION_CLEAN_UP);

  if (soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "Cookie") == NULL)
    soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                                 "JSESSIONID=0123456789ABCDEF0123456789ABCDEF; Path=/DeploymentService");
  test_util_server_respond (msg, answer);
}

static gboolean
server_stop (gpointer user_data)
{
  g_main_loop_quit (((Server *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

/* The server side, in a process of its own: phones and server in one process would share
 * GLib's pool of TLS handshake threads and wait on each other. Prints "PORT n", then on
 * SIGTERM "CPU seconds MESSAGES n" and exits. */
static int
run_server (void)
{
  Server server = { 0 };
  /* the ready-made RSA-2048 certificate (tests/util/certs), as the service's default kind */
  g_autoptr(GTlsCertificate) certificate = test_util_server_certificate ();
  guint port = 0;

  server.loop = g_main_loop_new (NULL, FALSE);
  server.server = test_util_server_new (certificate, NULL, &port);
  test_util_server_handle (server.server, "/DeploymentService/LoginService", login_handler,
                           &server);
  g_print ("PORT %u\n", port);
  fflush (stdout);

  g_unix_signal_add (SIGTERM, server_stop, &server);
  g_main_loop_run (server.loop);
  g_print ("CPU %.3f MESSAGES %u\n", bench_self_cpu_seconds (), server.n_messages);
  soup_server_disconnect (server.server);
  g_object_unref (server.server);
  g_main_loop_unref (server.loop);
  return 0;
}

typedef struct {
  GArray    *latencies;   /* of double, ms */
  guint      n_phones;
  guint      provisioned;
  guint      failed;
  GMainLoop *loop;
} Results;

static void
on_flow_finished (WpiSimulator *simulator,
                  WpiSimPhone  *phone,
                  const char   *reason,
                  gboolean      ok,
                  const char   *detail,
                  guint         n_messages,
                  gint64        duration,
                  Results      *results)
{
  double ms = duration / 1000.0;

  if (!ok)
    {
      results->failed++;
      g_printerr ("failed: %s %s: %s\n", wpi_sim_phone_get_mac (phone), reason, detail);
    }
  else if (g_strcmp0 (reason, "start-up") == 0)
    {
      g_array_append_val (results->latencies, ms);
      results->provisioned++;
    }
  if (results->provisioned + results->failed >= results->n_phones)
    g_main_loop_quit (results->loop);
}

int
main (int   argc,
      char *argv[])
{
  Results results = { 0 };
  g_autoptr(WpiSimulator) simulator = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GDataInputStream) child_out = NULL;
  g_autofree char *line = NULL;
  g_autofree char *service = NULL;
  g_autofree char *prefix = NULL;
  struct rusage usage;
  double wall, cpu_start, phones_cpu, server_cpu = 0;
  guint server_port = 0, server_messages = 0;
  gint64 start;
  guint n_phones;

  bench_raise_file_limit ();
  /* neither side verifies a certificate (see wpi_sim_accept_any_database()) */
  g_tls_backend_set_default_database (g_tls_backend_get_default (), wpi_sim_accept_any_database ());

  if (argc > 1 && strcmp (argv[1], "--server") == 0)
    return run_server ();
  n_phones = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 1000;

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, argv[0], "--server", NULL);
  if (child == NULL)
    g_error ("cannot start the server: %s", error->message);
  child_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
  line = bench_read_line (child_out, "the server process");
  if (sscanf (line, "PORT %u", &server_port) != 1)
    g_error ("unexpected from the server: %s", line);

  service = g_strdup_printf ("https://127.0.0.1:%u", server_port);
  prefix = g_strdup_printf ("127.%u", 200 + (guint) getpid () % 50);
  simulator = wpi_simulator_new (service, n_phones);
  g_object_set (simulator, "bind-prefix", prefix, "retry-seconds", 1.0, NULL);
  results.latencies = g_array_new (FALSE, FALSE, sizeof (double));
  results.n_phones = n_phones;
  results.loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (simulator, "flow-finished", G_CALLBACK (on_flow_finished), &results);

  cpu_start = bench_self_cpu_seconds ();
  start = g_get_monotonic_time ();
  if (!wpi_simulator_start (simulator, &error))
    g_error ("simulator: %s", error->message);
  if (n_phones > 0)
    {
      g_autoptr(WpiSimPhone) first = g_list_model_get_item (wpi_simulator_get_phones (simulator), 0);

      g_print ("bench-sim: %u phones listening on %s.x.y:8085, %u items each\n", n_phones, prefix,
               wpi_sim_phone_get_n_items (first));
      g_main_loop_run (results.loop);
    }
  wall = (g_get_monotonic_time () - start) / 1e6;
  phones_cpu = bench_self_cpu_seconds () - cpu_start;

  g_subprocess_send_signal (child, SIGTERM);
  g_free (line);
  line = bench_read_line (child_out, "the server process");
  if (sscanf (line, "CPU %lf MESSAGES %u", &server_cpu, &server_messages) != 2)
    g_error ("unexpected from the server: %s", line);
  g_subprocess_wait (child, NULL, NULL);

  bench_sort_doubles (results.latencies);
  getrusage (RUSAGE_SELF, &usage);
  g_print ("provisioned:     %u of %u phones (start-up, ReadAllItems, WriteItems of 20, CleanUp)\n",
           results.provisioned, n_phones);
  g_print ("failures:        %u\n", results.failed);
  g_print ("wall time:       %.2f s\n", wall);
  g_print ("flows/s:         %.0f   messages/s: %.0f\n", results.provisioned / wall,
           server_messages / wall);
  if (results.latencies->len > 0)
    g_print ("flow latency:    p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
             bench_percentile (results.latencies, 50), bench_percentile (results.latencies, 99),
             bench_percentile (results.latencies, 100));
  g_print ("CPU:             phones %.2f s (%.2f ms/flow), bare server %.2f s (%.2f ms/flow)\n",
           phones_cpu, phones_cpu * 1000 / MAX (results.provisioned, 1), server_cpu,
           server_cpu * 1000 / MAX (results.provisioned, 1));
  g_print ("peak RSS:        %.1f MB (the phones' process)\n", usage.ru_maxrss / 1024.0);

  wpi_simulator_stop (simulator);
  bench_wait_until (test_util_simulator_is_quiet, simulator, 5);
  g_array_unref (results.latencies);
  g_main_loop_unref (results.loop);
  return results.failed == 0 && results.provisioned == n_phones ? 0 : 1;
}
