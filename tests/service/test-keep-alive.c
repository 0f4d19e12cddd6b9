/* test-keep-alive.c: what the service says about its connections (D18)
 *
 * The service closes each connection after its response (see wpi-service-http.c for
 * why it cannot keep them yet with libsoup 3.2.3); every response must say so, so that a
 * client does not write its next request into a closed connection. A POST without a
 * decimal Content-Length is a 400. A raw TLS client on a thread of its own sees the bytes.
 */
#include "config.h"

#include <string.h>

#include "test-util-service.h"

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
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_util_service_tear_down (&f->data_dir, &f->service);
}

static void
assert_answer (const char *response,
               const char *status_line)
{
  g_test_message ("%s", response);
  g_assert_true (g_str_has_prefix (response, status_line));
  /* D18: the service closed: the answer said so */
  g_assert_nonnull (strstr (response, "\r\nConnection: close\r\n"));
}

/* Two requests on one connection: the service answers the first, says it closes, and does */
static void
test_says_close (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *response = raw_exchange (f->service,
                                            "GET /dcmp/contact-me?device-id=001AE8000001 HTTP/1.1\r\nHost: x\r\n\r\n"
                                            "GET /dcmp/contact-me?device-id=001AE8000001 HTTP/1.1\r\nHost: x\r\n\r\n");

  assert_answer (response, "HTTP/1.1 200 ");
  g_assert_null (strstr (response + 1, "HTTP/1.1"));   /* one answer only */
}

/* D18: a POST's body length must be a decimal Content-Length; refused before reading */
static void
test_bad_content_length (Fixture       *f,
                         gconstpointer  data)
{
  /* ("+5" is refused too, but libsoup 3.2 then waits for the 5 bytes before it answers) */
  static const char *lengths[] = { NULL, "-5", "abc", "5x", "" };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autofree char *header = lengths[i] != NULL ? g_strdup_printf ("Content-Length: %s\r\n", lengths[i])
                                                   : g_strdup ("");
      g_autofree char *request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\n%s\r\n", WPI_SERVICE_PATH, header);
      g_autofree char *response = NULL;

      /* libsoup 3.2 complains of the length it then reads the body with */
      if (g_strcmp0 (lengths[i], "-5") == 0)
        g_test_expect_message ("GLib-GObject", G_LOG_LEVEL_WARNING, "*content-length*");
      response = raw_exchange (f->service, request);
      g_test_message ("Content-Length %s", lengths[i] ? lengths[i] : "(none)");
      if (g_strcmp0 (lengths[i], "-5") == 0)
        g_test_assert_expected_messages ();
      assert_answer (response, "HTTP/1.1 400 ");
    }
}

/* D5 still: a chunked body is 411, and the answer says the connection closes */
static void
test_early_refusals (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *chunked = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                                              WPI_SERVICE_PATH);
  g_autofree char *response = raw_exchange (f->service, chunked);

  assert_answer (response, "HTTP/1.1 411 ");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/keep-alive/says-close", Fixture, NULL, fixture_set_up, test_says_close, fixture_tear_down);
  g_test_add ("/keep-alive/bad-content-length", Fixture, NULL, fixture_set_up, test_bad_content_length,
              fixture_tear_down);
  g_test_add ("/keep-alive/early-refusals", Fixture, NULL, fixture_set_up, test_early_refusals, fixture_tear_down);
  return g_test_run ();
}
