/* test-keep-alive.c: HTTP/1.1 connections as clients expect them (D18)
 *
 * A connection stays open for the next request (the guide, p.12) until the client says
 * "Connection: close", the keep-alive timeout passes or the cap on requests is reached;
 * every response after which the service closes says so. A whole flow runs on one
 * connection, 1,000 times in a row, and so does a client that closes after each request.
 * A POST without a decimal Content-Length is a 400. A raw TLS client on a thread of its
 * own sees the bytes; libsoup's client tells which connection carried each request.
 */
#include "config.h"

#include <string.h>

#include "test-util-service.h"
#include "test-util-wpi.h"

/* D18's cap, as the service applies it */
#define MAX_REQUESTS 100
/* 1,000 flows in a row, each way (issue 9 §2); a twentieth of them under AddressSanitizer,
 * which checks memory, not endurance, at several times the cost */
#ifdef __SANITIZE_ADDRESS__
#define N_FLOWS      50
#else
#define N_FLOWS      1000
#endif

typedef struct {
  guint16  port;
  char    *request;
  char    *response;   /* all the service sent until it closed */
} RawExchange;

static gboolean
accept_any_certificate (GTlsConnection       *connection,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  return TRUE;
}

/* Sends request on a new TLS connection and reads until the service closes it */
static void
raw_exchange_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  RawExchange *ex = task_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  GString *response = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  g_socket_client_set_timeout (client, 30);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", ex->port, NULL, &error);
  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (connection), NULL, &error);
  g_assert_no_error (error);
  /* a phone in Default Mode accepts any server certificate (protocol.md §2.1) */
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  g_output_stream_write_all (g_io_stream_get_output_stream (tls), ex->request, strlen (ex->request),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (tls), buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (response, buffer, n);
  ex->response = g_string_free (response, FALSE);
  g_task_return_boolean (task, TRUE);
}

static void
raw_exchange_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* The service's whole answer to request, on a connection of its own */
static char *
raw_exchange (WpiService *service,
              const char *request)
{
  RawExchange ex = { 0 };
  g_autoptr(GTask) task = NULL;
  gboolean done = FALSE;
  g_autofree char *uri = test_util_service_uri (service, FALSE);
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);

  ex.port = g_uri_get_port (parsed);
  ex.request = (char *) request;
  task = g_task_new (NULL, NULL, raw_exchange_done, &done);
  g_task_set_task_data (task, &ex, NULL);
  g_task_run_in_thread (task, raw_exchange_thread);
  test_util_wait_for_flag (&done, TEST_UTIL_HTTPS_TIMEOUT_MS, "the service to answer and close");
  return ex.response;
}

typedef struct {
  char       *data_dir;
  WpiService *service;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  test_util_service_set_up ("wpi-keep-alive", &f->data_dir, &f->service);
  /* an idle connection closes soon: a raw client reads until the service closes */
  g_object_set (f->service, "keep-alive-timeout", 300, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_util_service_tear_down (&f->data_dir, &f->service);
}

/* The number of answers in response, each checked for its status line */
static guint
count_answers (const char *response,
               const char *status_line)
{
  guint n = 0;

  for (const char *answer = strstr (response, "HTTP/1.1 "); answer != NULL;
       answer = strstr (answer + 1, "HTTP/1.1 "))
    {
      g_assert_true (g_str_has_prefix (answer, status_line));
      n++;
    }
  return n;
}

static void
assert_answer (const char *response,
               const char *status_line)
{
  g_test_message ("%s", response);
  g_assert_cmpuint (count_answers (response, status_line), ==, 1);
  /* D18: the service closed: the answer said so */
  g_assert_nonnull (strstr (response, "\r\nConnection: close\r\n"));
}

#define POLL "GET /dcmp/contact-me?device-id=001AE8000001 HTTP/1.1\r\nHost: x\r\n\r\n"

/* Two requests at once on one connection: both answered, in order, and the connection
 * stays open until the keep-alive timeout, which the answers could not foresee */
static void
test_pipelined (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *response = raw_exchange (f->service, POLL "\r\n" POLL);

  g_assert_cmpuint (count_answers (response, "HTTP/1.1 200 "), ==, 2);
  g_assert_null (strstr (response, "Connection: close"));
}

/* The client's "Connection: close", and HTTP/1.0 without keep-alive, are honoured */
static void
test_client_closes (Fixture       *f,
                    gconstpointer  data)
{
  static const char *requests[] = {
    "GET /dcmp/contact-me?device-id=001AE8000001 HTTP/1.1\r\nConnection: close\r\n\r\n" POLL,
    "GET /dcmp/contact-me?device-id=001AE8000001 HTTP/1.0\r\n\r\n" POLL,
  };

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autofree char *response = raw_exchange (f->service, requests[i]);

      assert_answer (response, "HTTP/1.1 200 ");
    }
}

/* D18: at most MAX_REQUESTS on one connection; the last answer says it closes */
static void
test_cap (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GString) requests = g_string_new (NULL);
  g_autofree char *response = NULL;
  const char *close;

  for (guint i = 0; i < MAX_REQUESTS; i++)
    g_string_append (requests, POLL);
  response = raw_exchange (f->service, requests->str);
  g_assert_cmpuint (count_answers (response, "HTTP/1.1 200 "), ==, MAX_REQUESTS);
  close = strstr (response, "\r\nConnection: close\r\n");
  g_assert_nonnull (close);
  g_assert_null (strstr (close, "HTTP/1.1"));   /* on the last answer only */
}

static void
got_informational (SoupMessage *msg,
                   gpointer     user_data)
{
  if (soup_message_get_status (msg) == SOUP_STATUS_CONTINUE)
    *(gboolean *) user_data = TRUE;
}

/* curl's "Expect: 100-continue": the service asks for the body, then answers */
static void
test_expect_continue (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autofree char *base = test_util_service_uri (f->service, FALSE);
  g_autofree char *uri = g_strconcat (base, WPI_SERVICE_PATH, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GBytes) body = g_bytes_new_static ("<x/>", 4);
  g_autoptr(TestUtilReply) reply = NULL;
  gboolean continued = FALSE;

  soup_message_headers_set_expectations (soup_message_get_request_headers (msg), SOUP_EXPECTATION_CONTINUE);
  soup_message_set_request_body_from_bytes (msg, "text/xml", body);
  g_signal_connect (msg, "got-informational", G_CALLBACK (got_informational), &continued);
  reply = test_util_https_send (session, msg);
  g_assert_no_error (reply->error);
  g_assert_true (continued);
  g_assert_cmpuint (reply->status, ==, SOUP_STATUS_BAD_REQUEST);   /* <x/> is no phone's */
}

/* D18: a POST's body length must be a decimal Content-Length; refused before reading */
static void
test_bad_content_length (Fixture       *f,
                         gconstpointer  data)
{
  static const char *lengths[] = { NULL, "-1", "-5", "abc", "5x", "", "+5", "5, 6" };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autofree char *header = lengths[i] != NULL ? g_strdup_printf ("Content-Length: %s\r\n", lengths[i])
                                                   : g_strdup ("");
      g_autofree char *request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n", WPI_SERVICE_PATH, header);
      g_autofree char *response = NULL;

      g_test_message ("Content-Length %s", lengths[i] ? lengths[i] : "(none)");
      response = raw_exchange (f->service, request);
      assert_answer (response, "HTTP/1.1 400 ");
    }
}

/* D5 still: a chunked body is 411, another transfer coding 501, a head that never ends
 * 431, a body over the limit 413, a path that climbs out 400; each answer says the
 * connection closes, and what the client sent after it is never answered */
static void
test_early_refusals (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *long_header = g_strnfill (70 * 1024, 'a');
  struct {
    const char *status;
    char       *request;
  } cases[] = {
    { "411", g_strdup_printf ("POST %s HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" POLL,
                              WPI_SERVICE_PATH) },
    { "501", g_strdup_printf ("POST %s HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n" POLL, WPI_SERVICE_PATH) },
    { "431", g_strdup_printf ("GET / HTTP/1.1\r\nX-Long: %s", long_header) },
    { "413", g_strdup_printf ("POST %s HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n<x/>", WPI_SERVICE_PATH) },
    { "400", g_strdup ("GET /files/%2e%2e/x HTTP/1.1\r\n\r\n" POLL) },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *status_line = g_strdup_printf ("HTTP/1.1 %s ", cases[i].status);
      g_autofree char *response = raw_exchange (f->service, cases[i].request);

      assert_answer (response, status_line);
      g_free (cases[i].request);
    }
}

/* ---- Whole flows, 1,000 times in a row ---------------------------------------------- */

static WpiMessage *
phone_message (const char *mac,
               WpiReason   reason,
               WpiAction   action)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "4B");

  wpi_message_set_reason (message, reason);
  if (reason == WPI_REASON_REPLY_TO)
    {
      wpi_message_set_action (message, action);
      wpi_message_set_status_string (message, "accepted");
      wpi_message_set_fragment (message, WPI_FRAGMENT_FINAL);
      wpi_message_set_has_item_list (message, TRUE);
    }
  wpi_message_add_item (message, "mac-addr", mac);
  if (reason == WPI_REASON_START_UP || action == WPI_ACTION_READ_ALL_ITEMS)
    {
      wpi_message_add_item (message, "device-type", "OpenStage 60");
      wpi_message_add_item (message, "software-version", "V3 R1.41.1");
    }
  return message;
}

/* Posts one phone message of a flow; returns the action the service answered with */
static WpiAction
flow_step (Fixture      *f,
           SoupSession  *session,
           WpiMessage   *message,
           char        **cookie,
           guint64      *connection_id,
           gboolean      closing)
{
  g_autofree char *base = test_util_service_uri (f->service, FALSE);
  g_autofree char *uri = g_strconcat (base, WPI_SERVICE_PATH, NULL);
  g_autoptr(TestUtilReply) reply = test_util_post_message (session, uri, message, *cookie);
  g_autoptr(WpiMessage) answer = test_util_reply_parse (reply);

  g_assert_cmpint (reply->closes, ==, closing);
  /* closing: every request on a connection of its own; otherwise all on the first one */
  if (closing)
    g_assert_cmpuint (reply->connection_id, !=, *connection_id);
  else if (*connection_id != 0)
    g_assert_cmpuint (reply->connection_id, ==, *connection_id);
  *connection_id = reply->connection_id;
  if (reply->session_id != NULL)
    {
      g_free (*cookie);
      *cookie = g_strdup (reply->session_id);
    }
  return wpi_message_get_action (answer);
}

/* start-up, reply-to, reply-to, CleanUp: a new phone is read, then given a job */
static void
run_flow (Fixture  *f,
          guint     n,
          gboolean  closing)
{
  g_autofree char *mac = g_strdup_printf ("001AE8%06X", n);
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiMessage) start_up = phone_message (mac, WPI_REASON_START_UP, WPI_ACTION_NONE);
  g_autoptr(WpiMessage) read_reply = phone_message (mac, WPI_REASON_REPLY_TO, WPI_ACTION_READ_ALL_ITEMS);
  g_autoptr(WpiMessage) write_reply = phone_message (mac, WPI_REASON_REPLY_TO, WPI_ACTION_WRITE_ITEMS);
  g_autofree char *cookie = NULL;
  guint64 connection_id = 0;

  test_util_https_session_set_connections (session, closing ? TEST_UTIL_CONNECTIONS_CLOSE
                                                            : TEST_UTIL_CONNECTIONS_REUSE);
  g_assert_cmpint (flow_step (f, session, start_up, &cookie, &connection_id, closing), ==,
                   WPI_ACTION_READ_ALL_ITEMS);
  /* the phone is known now; its job goes out in this flow */
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  test_util_service_enqueue (f->service, mac, WPI_JOB_KIND_WRITE_ITEMS, items);
  g_assert_cmpint (flow_step (f, session, read_reply, &cookie, &connection_id, closing), ==,
                   WPI_ACTION_WRITE_ITEMS);
  g_assert_cmpint (flow_step (f, session, write_reply, &cookie, &connection_id, closing), ==,
                   WPI_ACTION_CLEAN_UP);
}

static void
test_flows (Fixture       *f,
            gconstpointer  data)
{
  gboolean closing = GPOINTER_TO_INT (data);

  g_object_set (f->service, "keep-alive-timeout", 10000, NULL);
  for (guint n = 1; n <= N_FLOWS; n++)
    run_flow (f, n, closing);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/keep-alive/pipelined", Fixture, NULL, fixture_set_up, test_pipelined, fixture_tear_down);
  g_test_add ("/keep-alive/client-closes", Fixture, NULL, fixture_set_up, test_client_closes, fixture_tear_down);
  g_test_add ("/keep-alive/cap", Fixture, NULL, fixture_set_up, test_cap, fixture_tear_down);
  g_test_add ("/keep-alive/expect-continue", Fixture, NULL, fixture_set_up, test_expect_continue,
              fixture_tear_down);
  g_test_add ("/keep-alive/bad-content-length", Fixture, NULL, fixture_set_up, test_bad_content_length,
              fixture_tear_down);
  g_test_add ("/keep-alive/early-refusals", Fixture, NULL, fixture_set_up, test_early_refusals, fixture_tear_down);
  g_test_add ("/keep-alive/flows-on-one-connection", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up,
              test_flows, fixture_tear_down);
  g_test_add ("/keep-alive/flows-closing", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up, test_flows,
              fixture_tear_down);
  return g_test_run ();
}
