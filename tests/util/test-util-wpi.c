/* test-util-wpi.c: a phone's HTTPS client for tests (see test-util-wpi.h) */
#include <string.h>

#include "test-util-wpi.h"

#define ACCEPT_ANY_KEY "test-util-accept-any-certificate"
#define CONNECTIONS_KEY "test-util-connections"

void
test_util_reply_free (TestUtilReply *reply)
{
  g_clear_pointer (&reply->body, g_bytes_unref);
  g_clear_error (&reply->error);
  g_free (reply->set_cookie);
  g_free (reply->session_id);
  g_free (reply);
}

SoupSession *
test_util_https_session_new (const char *ca_file)
{
  return test_util_https_session_new_from (ca_file, NULL);
}

SoupSession *
test_util_https_session_new_from (const char *ca_file,
                                  const char *local_ip)
{
  g_autoptr(GInetAddress) address = local_ip != NULL ? g_inet_address_new_from_string (local_ip) : NULL;
  g_autoptr(GSocketAddress) local = address != NULL ? g_inet_socket_address_new (address, 0) : NULL;
  SoupSession *session = soup_session_new_with_options ("timeout", 10, "local-address", local, NULL);

  g_assert_true (local_ip == NULL || g_inet_address_get_is_loopback (address));

  if (ca_file != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTlsDatabase) database = g_tls_file_database_new (ca_file, &error);

      g_assert_no_error (error);
      soup_session_set_tls_database (session, database);
    }
  else
    g_object_set_data (G_OBJECT (session), ACCEPT_ANY_KEY, GINT_TO_POINTER (TRUE));
  return session;
}

void
test_util_https_session_set_connections (SoupSession         *session,
                                         TestUtilConnections  connections)
{
  g_object_set_data (G_OBJECT (session), CONNECTIONS_KEY, GINT_TO_POINTER (connections));
}

static gboolean
accept_any_certificate (SoupMessage          *msg,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  return TRUE;   /* a phone in Default Mode does not check the server (protocol.md §2.1) */
}

struct _TestUtilPending {
  TestUtilReply *reply;
  SoupMessage   *msg;
  gboolean       done;
};

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  TestUtilPending *pending = user_data;

  pending->reply->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                            &pending->reply->error);
  pending->done = TRUE;
}

static void
read_set_cookie (TestUtilReply *reply,
                 SoupMessage   *msg)
{
  const char *set_cookie = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                         "Set-Cookie");
  const char *value;

  if (set_cookie == NULL)
    return;
  reply->set_cookie = g_strdup (set_cookie);
  if (g_str_has_prefix (set_cookie, "JSESSIONID="))
    {
      value = set_cookie + strlen ("JSESSIONID=");
      reply->session_id = g_strndup (value, strcspn (value, ";"));
    }
}

TestUtilPending *
test_util_https_start (SoupSession *session,
                       SoupMessage *msg)
{
  TestUtilPending *pending = g_new0 (TestUtilPending, 1);

  pending->reply = g_new0 (TestUtilReply, 1);
  pending->msg = g_object_ref (msg);
  if (g_object_get_data (G_OBJECT (session), ACCEPT_ANY_KEY) != NULL)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
  switch ((TestUtilConnections) GPOINTER_TO_INT (g_object_get_data (G_OBJECT (session), CONNECTIONS_KEY)))
    {
    case TEST_UTIL_CONNECTIONS_REUSE:
      soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
      break;
    case TEST_UTIL_CONNECTIONS_CLOSE:
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Connection", "close");
      break;
    case TEST_UTIL_CONNECTIONS_DEFAULT:
    default:
      break;
    }
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, pending);
  return pending;
}

gboolean
test_util_https_is_done (gpointer pending)
{
  return ((TestUtilPending *) pending)->done;
}

TestUtilReply *
test_util_https_finish (TestUtilPending *pending)
{
  TestUtilReply *reply;

  test_util_wait_for_flag (&pending->done, TEST_UTIL_HTTPS_TIMEOUT_MS, "the service's answer");
  reply = pending->reply;
  if (reply->error == NULL)
    {
      reply->status = soup_message_get_status (pending->msg);
      reply->connection_id = soup_message_get_connection_id (pending->msg);
      reply->closes = soup_message_headers_header_contains (soup_message_get_response_headers (pending->msg),
                                                            "Connection", "close");
      read_set_cookie (reply, pending->msg);
    }
  g_object_unref (pending->msg);
  g_free (pending);
  return reply;
}

TestUtilReply *
test_util_https_send (SoupSession *session,
                      SoupMessage *msg)
{
  return test_util_https_finish (test_util_https_start (session, msg));
}

TestUtilReply *
test_util_https_request (SoupSession     *session,
                         const char      *method,
                         const char      *uri,
                         GBytes          *body,
                         const char      *cookie,
                         GTlsCertificate *client_certificate)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);

  g_assert_nonnull (msg);
  if (client_certificate != NULL)
    soup_message_set_tls_client_certificate (msg, client_certificate);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, "text/xml", body);
  if (cookie != NULL)
    {
      g_autofree char *header = g_strdup_printf ("JSESSIONID=%s", cookie);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", header);
    }
  return test_util_https_send (session, msg);
}

TestUtilReply *
test_util_post_message (SoupSession *session,
                        const char  *uri,
                        WpiMessage  *message,
                        const char  *cookie)
{
  gsize length = 0;
  char *xml = wpi_message_serialize (message, &length);
  g_autoptr(GBytes) body = g_bytes_new_take (xml, length);

  return test_util_https_request (session, "POST", uri, body, cookie, NULL);
}

WpiMessage *
test_util_reply_parse (TestUtilReply *reply)
{
  g_autoptr(GError) error = NULL;
  WpiMessage *answer;

  g_assert_no_error (reply->error);
  g_assert_cmpuint (reply->status, ==, 200);
  answer = wpi_message_parse (g_bytes_get_data (reply->body, NULL), g_bytes_get_size (reply->body), &error);
  g_assert_no_error (error);
  return answer;
}

SoupServer *
test_util_server_new (GTlsCertificate *certificate,
                      GTlsDatabase    *database,
                      guint           *port)
{
  SoupServer *server = soup_server_new ("tls-certificate", certificate, "tls-database", database, NULL);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  /* loopback only, IPv4: the tests and benchmarks never listen anywhere else */
  soup_server_listen_local (server, 0,
                            (certificate != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0) | SOUP_SERVER_LISTEN_IPV4_ONLY,
                            &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  g_assert_nonnull (uris);
  g_assert_cmpstr (g_uri_get_scheme (uris->data), ==, certificate != NULL ? "https" : "http");
  if (port != NULL)
    *port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return server;
}

void
test_util_server_respond (SoupServerMessage *msg,
                          WpiMessage        *answer)
{
  gsize length = 0;
  char *xml = wpi_message_serialize (answer, &length);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_TAKE, xml, length);
}

typedef struct {
  TestUtilHandler handler;
  gpointer        user_data;
} HandlerClosure;

static void
handler_trampoline (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  HandlerClosure *closure = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  closure->handler (msg, body, closure->user_data);
}

void
test_util_server_handle (SoupServer      *server,
                         const char      *path,
                         TestUtilHandler  handler,
                         gpointer         user_data)
{
  HandlerClosure *closure = g_new (HandlerClosure, 1);

  closure->handler = handler;
  closure->user_data = user_data;
  soup_server_add_handler (server, path, handler_trampoline, closure, g_free);
}

typedef struct {
  guint  status;
  guint *count;
} CountingClosure;

static void
count_and_answer (SoupServerMessage *msg,
                  GBytes            *body,
                  gpointer           user_data)
{
  CountingClosure *closure = user_data;

  (*closure->count)++;
  soup_server_message_set_status (msg, closure->status, NULL);
}

SoupServer *
test_util_counting_server_new (guint  status,
                               guint *count,
                               guint *port)
{
  SoupServer *server = test_util_server_new (NULL, NULL, port);
  CountingClosure *closure = g_new (CountingClosure, 1);

  closure->status = status;
  closure->count = count;
  g_object_set_data_full (G_OBJECT (server), "test-util-counting", closure, g_free);
  test_util_server_handle (server, NULL, count_and_answer, closure);
  return server;
}
