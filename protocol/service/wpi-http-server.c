/* wpi-http-server.c: HTTP/1.1 over connections the service accepted itself
 *
 * libsoup 3.2's server keeps a connection open only when it accepted it itself, and
 * then never closes one that its client ends between two requests (the message waiting
 * for the next request has no completion callback yet: a descriptor left behind per
 * client). The service accepts its connections itself (to admit a handshake only once
 * its ClientHello is there), so it serves HTTP/1.1 on them here, with libsoup's header
 * parser and types. One connection reads one request at a time: head, then (once the
 * early handler let it) the body by its Content-Length, then the answer; the next
 * request may already be in the buffer (pipelining).
 */
#include "config.h"

#include <string.h>

#include "wpi-http-server.h"

#define READ_CHUNK             16384
/* A request, once its first byte is in, has this long to arrive whole (a client that
 * drips a byte now and then never trips the socket's timeout of no progress) */
#define REQUEST_DEADLINE_MS    30000
/* After an answer given before the body was read, what the client still sends is read
 * and dropped, this long and this much at most, before the connection closes: closing
 * with unread bytes would reset it, and the client could lose the answer (RFC 9112 §9.6) */
#define DRAIN_MS               5000
#define DRAIN_MAX_BYTES        (64 * 1024 * 1024)

struct _WpiHttpServer
{
  char           *server_header;
  WpiHttpHandler  early_handler;
  WpiHttpHandler  handler;
  gpointer        user_data;
  guint           keep_alive_timeout_ms;
  guint           max_requests;
  GHashTable     *connections;   /* Connection, one reference each */
};

typedef enum {
  STATE_HEAD,      /* waiting for (the rest of) a request head */
  STATE_BODY,      /* reading the body */
  STATE_WRITING,   /* the answer is being written */
  STATE_DRAINING,  /* an early answer is out: the rest of the request is dropped */
  STATE_CLOSING,
} State;

typedef struct {
  WpiHttpServer     *server;     /* NULL once the server let go of it */
  GIOStream         *stream;
  GSocketConnection *connection;
  GSocketAddress    *remote;
  gboolean           secure;
  GCancellable      *cancellable;
  GSource           *timer;
  GByteArray        *buffer;     /* read, not yet used */
  guint8            *chunk;
  gboolean           reading;
  gboolean           answered_early;  /* the request's body was never read */
  guint64            drained;
  State              state;
  guint              requests;   /* begun on this connection */
  WpiHttpExchange   *exchange;   /* the request being read or answered */
  gsize              head_length;
  GBytes            *out_head;
  GBytes            *out_body;
  GOutputVector      vectors[2];
} Connection;

static void connection_process (Connection *connection);
static void connection_read (Connection *connection);
static void connection_drain (Connection *connection);

/* ---- Exchanges -------------------------------------------------------- */

static WpiHttpExchange *
exchange_new (Connection *connection)
{
  WpiHttpExchange *exchange = g_new0 (WpiHttpExchange, 1);

  exchange->secure = connection->secure;
  exchange->connection = connection->connection;
  exchange->remote = connection->remote;
  exchange->sequence = connection->requests;
  exchange->request_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  exchange->response_headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  exchange->content_length = -1;
  exchange->version = SOUP_HTTP_1_1;
  return exchange;
}

static void
exchange_free (WpiHttpExchange *exchange)
{
  g_free (exchange->path);
  g_free (exchange->query);
  soup_message_headers_unref (exchange->request_headers);
  soup_message_headers_unref (exchange->response_headers);
  g_clear_pointer (&exchange->request_body, g_bytes_unref);
  g_clear_pointer (&exchange->response_body, g_bytes_unref);
  g_free (exchange);
}

void
wpi_http_exchange_set_status (WpiHttpExchange *exchange,
                              guint            status)
{
  exchange->status = status;
}

void
wpi_http_exchange_set_response (WpiHttpExchange *exchange,
                                guint            status,
                                const char      *content_type,
                                GBytes          *body)
{
  exchange->status = status;
  if (content_type != NULL)
    soup_message_headers_replace (exchange->response_headers, "Content-Type", content_type);
  g_clear_pointer (&exchange->response_body, g_bytes_unref);
  exchange->response_body = body != NULL ? g_bytes_ref (body) : NULL;
}

static void
append_header (const char *name,
               const char *value,
               gpointer    user_data)
{
  g_string_append_printf (user_data, "%s: %s\r\n", name, value);
}

GBytes *
wpi_http_exchange_format_request_head (WpiHttpExchange *exchange)
{
  GString *head = g_string_new (NULL);

  g_string_append_printf (head, "%s %s%s%s HTTP/1.%d\r\n", exchange->method ? exchange->method : "-",
                          exchange->path ? exchange->path : "-", exchange->query ? "?" : "",
                          exchange->query ? exchange->query : "",
                          exchange->version == SOUP_HTTP_1_0 ? 0 : 1);
  soup_message_headers_foreach (exchange->request_headers, append_header, head);
  return g_string_free_to_bytes (head);
}

/* RFC 9110 §6.4.1, §8.6: no body and no length for these */
static gboolean
status_has_body (guint status)
{
  return status >= 200 && status != SOUP_STATUS_NO_CONTENT && status != SOUP_STATUS_NOT_MODIFIED;
}

static void
append_response_head (GString         *head,
                      WpiHttpExchange *exchange,
                      const char      *server_header)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *date = soup_date_time_to_string (now, SOUP_DATE_HTTP);

  g_string_append_printf (head, "HTTP/1.1 %u %s\r\nDate: %s\r\n", exchange->status,
                          soup_status_get_phrase (exchange->status), date);
  if (server_header != NULL)
    g_string_append_printf (head, "Server: %s\r\n", server_header);
  soup_message_headers_foreach (exchange->response_headers, append_header, head);
  if (status_has_body (exchange->status))
    g_string_append_printf (head, "Content-Length: %" G_GSIZE_FORMAT "\r\n",
                            exchange->response_body ? g_bytes_get_size (exchange->response_body) : 0);
  if (exchange->close)
    g_string_append (head, "Connection: close\r\n");
}

GBytes *
wpi_http_exchange_format_response_head (WpiHttpExchange *exchange)
{
  GString *head = g_string_new (NULL);

  append_response_head (head, exchange, "Workpoint-Console");
  return g_string_free_to_bytes (head);
}

/* ---- Parsing ---------------------------------------------------------- */

/* Where the head ends: the index just past its blank line, and in head_length the length
 * without it (what soup_headers_parse_request() takes); 0 while it is not all there.
 * Lines end in "\n", with or without "\r" (RFC 9112 §2.2). */
static gsize
find_head_end (const guint8 *data,
               gsize         length,
               gsize        *head_length)
{
  for (gsize i = 0; i < length; i++)
    {
      gsize next;

      if (data[i] != '\n')
        continue;
      next = i + 1;
      if (next < length && data[next] == '\r')
        next++;
      if (next < length && data[next] == '\n')
        {
          *head_length = i + 1;
          return next + 1;
        }
    }
  return 0;
}

/* The request target: origin form ("/path?query") or absolute form; the path decoded,
 * and no ".." segment brought in by the decoding (as libsoup refuses it). */
static gboolean
parse_target (WpiHttpExchange *exchange,
              const char      *target)
{
  const char *path = target;
  const char *query;
  g_autofree char *decoded = NULL;

  if (g_str_has_prefix (target, "http://") || g_str_has_prefix (target, "https://"))
    {
      path = strchr (strstr (target, "://") + 3, '/');
      if (path == NULL)
        path = "/";
    }
  if (*path != '/')
    return FALSE;
  query = strchr (path, '?');
  decoded = g_uri_unescape_segment (path, query, NULL);
  if (decoded == NULL || strstr (decoded, "/../") != NULL || g_str_has_suffix (decoded, "/.."))
    return FALSE;
  exchange->path = g_steal_pointer (&decoded);
  exchange->query = query != NULL ? g_strdup (query + 1) : NULL;
  return TRUE;
}

/* A decimal number of bytes, nothing else (D18); -1 when it is not one. */
static goffset
parse_content_length (const char *text)
{
  guint64 length = 0;

  if (text == NULL || *text == '\0')
    return -1;
  for (const char *c = text; *c != '\0'; c++)
    {
      if (!g_ascii_isdigit (*c))
        return -1;
      if (length > (guint64) G_MAXINT64 / 10)
        return G_MAXINT64;   /* far over any limit */
      length = length * 10 + (guint64) (*c - '0');
    }
  return (goffset) length;
}

/* The head into the exchange; an HTTP status when it cannot be read */
static guint
parse_head (WpiHttpExchange *exchange,
            const char      *head,
            gsize            length)
{
  g_autofree char *method = NULL;
  g_autofree char *target = NULL;
  guint status = soup_headers_parse_request (head, (int) length, exchange->request_headers,
                                             &method, &target, &exchange->version);
  const char *length_text;

  if (status != SOUP_STATUS_OK)
    return status;
  exchange->method = g_intern_string (method);
  if (!parse_target (exchange, target))
    return SOUP_STATUS_BAD_REQUEST;
  length_text = soup_message_headers_get_list (exchange->request_headers, "Content-Length");
  exchange->content_length = parse_content_length (length_text);
  return SOUP_STATUS_OK;
}

/* D18: whether the connection may stay open after this request (RFC 9112 §9.3) */
static gboolean
request_wants_close (WpiHttpExchange *exchange)
{
  SoupMessageHeaders *headers = exchange->request_headers;

  if (exchange->version == SOUP_HTTP_1_0)
    return !soup_message_headers_header_contains (headers, "Connection", "keep-alive");
  return soup_message_headers_header_contains (headers, "Connection", "close");
}

/* ---- Connections ------------------------------------------------------ */

static void
connection_free (Connection *connection)
{
  g_assert (connection->timer == NULL);
  g_clear_pointer (&connection->exchange, exchange_free);
  g_clear_pointer (&connection->out_head, g_bytes_unref);
  g_clear_pointer (&connection->out_body, g_bytes_unref);
  g_clear_pointer (&connection->buffer, g_byte_array_unref);
  g_free (connection->chunk);
  g_clear_object (&connection->cancellable);
  g_clear_object (&connection->remote);
  g_clear_object (&connection->connection);
  g_clear_object (&connection->stream);
  g_free (connection);
}

static void
connection_stop_timer (Connection *connection)
{
  if (connection->timer != NULL)
    {
      g_source_destroy (connection->timer);
      g_clear_pointer (&connection->timer, g_source_unref);
    }
}

static gboolean
connection_timed_out (gpointer user_data)
{
  Connection *connection = user_data;

  g_clear_pointer (&connection->timer, g_source_unref);
  /* the pending read ends and closes the connection */
  g_cancellable_cancel (connection->cancellable);
  return G_SOURCE_REMOVE;
}

static void
connection_start_timer (Connection *connection,
                        guint       timeout_ms)
{
  connection_stop_timer (connection);
  connection->timer = g_timeout_source_new (timeout_ms);
  g_source_set_callback (connection->timer, connection_timed_out, connection, NULL);
  g_source_attach (connection->timer, g_main_context_get_thread_default ());
}

static void
connection_closed (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Connection *connection = user_data;

  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  connection_free (connection);
}

/* The end: the connection leaves the server and closes (a TLS close_notify, then the
 * socket). It is freed once that is done. */
static void
connection_close (Connection *connection)
{
  connection_stop_timer (connection);
  connection->state = STATE_CLOSING;
  if (connection->server != NULL)
    g_hash_table_steal (connection->server->connections, connection);
  connection->server = NULL;
  /* nothing of it is pending now: the close does not wait for anything */
  g_io_stream_close_async (connection->stream, G_PRIORITY_DEFAULT, NULL, connection_closed, connection);
}

static void
connection_written (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Connection *connection = user_data;
  gboolean written = g_output_stream_writev_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  WpiHttpServer *server = connection->server;
  gboolean close = !written || server == NULL || connection->exchange->close;

  g_clear_pointer (&connection->out_head, g_bytes_unref);
  g_clear_pointer (&connection->out_body, g_bytes_unref);
  g_clear_pointer (&connection->exchange, exchange_free);
  if (close && written && server != NULL && connection->answered_early)
    {
      /* the client learns at once that nothing more comes (a close_notify, then the
       * socket's write side shut), and sees the end of what it reads */
      g_output_stream_close (g_io_stream_get_output_stream (connection->stream), NULL, NULL);
      g_socket_shutdown (g_socket_connection_get_socket (connection->connection), FALSE, TRUE, NULL);
      connection->state = STATE_DRAINING;
      connection_start_timer (connection, DRAIN_MS);
      connection_drain (connection);
      return;
    }
  if (close)
    {
      connection_close (connection);
      return;
    }
  connection->state = STATE_HEAD;
  connection_start_timer (connection, server->keep_alive_timeout_ms);
  connection_process (connection);
}

/* The answer goes out in one write, head and body; HEAD's answer has the length of what
 * GET would send, and no body. */
static void
connection_respond (Connection *connection)
{
  WpiHttpExchange *exchange = connection->exchange;
  WpiHttpServer *server = connection->server;
  GString *head = g_string_new (NULL);
  guint n_vectors = 1;

  connection_stop_timer (connection);
  connection->state = STATE_WRITING;
  if (exchange->status == 0)
    exchange->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
  if (server->max_requests > 0 && connection->requests >= server->max_requests)
    exchange->close = TRUE;
  append_response_head (head, exchange, server->server_header);
  g_string_append (head, "\r\n");
  connection->out_head = g_string_free_to_bytes (head);
  connection->vectors[0].buffer = g_bytes_get_data (connection->out_head, &connection->vectors[0].size);
  if (exchange->response_body != NULL && status_has_body (exchange->status) &&
      exchange->method != SOUP_METHOD_HEAD)
    {
      connection->out_body = g_bytes_ref (exchange->response_body);
      connection->vectors[1].buffer = g_bytes_get_data (connection->out_body, &connection->vectors[1].size);
      n_vectors = 2;
    }
  g_output_stream_writev_all_async (g_io_stream_get_output_stream (connection->stream), connection->vectors,
                                    n_vectors, G_PRIORITY_DEFAULT, connection->cancellable,
                                    connection_written, connection);
}

/* An answer before the request was read whole: the connection closes after it, since
 * the rest of what the client sends is not read (RFC 9112 §9.6). */
static void
connection_refuse (Connection *connection,
                   guint       status)
{
  connection->exchange->status = status;
  connection->exchange->close = TRUE;
  connection->answered_early = TRUE;
  connection_respond (connection);
}

static void
interim_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Connection *connection = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL) ||
      connection->server == NULL)
    {
      connection_close (connection);
      return;
    }
  connection->state = STATE_BODY;
  connection_process (connection);
}

/* The head is in: the early handler may answer at once (D5); otherwise the body is read,
 * after a "100 Continue" to a client that waits for it (curl does, for a second). */
static void
connection_head_read (Connection *connection,
                      gsize       head_end)
{
  WpiHttpServer *server = connection->server;
  WpiHttpExchange *exchange = connection->exchange;
  SoupMessageHeaders *headers = exchange->request_headers;
  guint status = parse_head (exchange, (const char *) connection->buffer->data, connection->head_length);

  g_byte_array_remove_range (connection->buffer, 0, head_end);
  if (status != SOUP_STATUS_OK)
    {
      connection_refuse (connection, status);
      return;
    }
  exchange->close = request_wants_close (exchange);
  if (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_UNRECOGNIZED)
    {
      connection_refuse (connection, SOUP_STATUS_EXPECTATION_FAILED);
      return;
    }
  server->early_handler (exchange, server->user_data);
  if (exchange->status != 0)
    {
      exchange->close = TRUE;
      connection->answered_early = TRUE;
      connection_respond (connection);
      return;
    }
  if (soup_message_headers_get_expectations (headers) & SOUP_EXPECTATION_CONTINUE &&
      exchange->content_length > (goffset) connection->buffer->len)
    {
      static const char interim[] = "HTTP/1.1 100 Continue\r\n\r\n";

      connection->state = STATE_WRITING;
      g_output_stream_write_all_async (g_io_stream_get_output_stream (connection->stream), interim,
                                       strlen (interim), G_PRIORITY_DEFAULT, connection->cancellable,
                                       interim_written, connection);
      return;
    }
  connection->state = STATE_BODY;
  connection_process (connection);
}

static void
connection_dispatch (Connection *connection)
{
  WpiHttpServer *server = connection->server;
  WpiHttpExchange *exchange = connection->exchange;
  gsize length = MAX (exchange->content_length, 0);

  exchange->request_body = g_bytes_new (connection->buffer->data, length);
  g_byte_array_remove_range (connection->buffer, 0, length);
  server->handler (exchange, server->user_data);
  connection_respond (connection);
}

/* What is in the buffer moves the request on, or more is read */
static void
connection_process (Connection *connection)
{
  WpiHttpServer *server = connection->server;

  if (connection->state == STATE_HEAD)
    {
      gsize head_end;
      guint skip = 0;

      /* empty lines before a request are ignored (RFC 9112 §2.2) */
      while (skip < connection->buffer->len &&
             (connection->buffer->data[skip] == '\r' || connection->buffer->data[skip] == '\n'))
        skip++;
      g_byte_array_remove_range (connection->buffer, 0, skip);
      if (connection->buffer->len == 0)
        {
          connection_read (connection);
          return;
        }
      if (connection->exchange == NULL)
        {
          connection->requests++;
          connection->exchange = exchange_new (connection);
          connection_start_timer (connection, REQUEST_DEADLINE_MS);
        }
      head_end = find_head_end (connection->buffer->data, connection->buffer->len, &connection->head_length);
      if (head_end == 0)
        {
          if (connection->buffer->len > WPI_HTTP_MAX_HEAD_BYTES)
            connection_refuse (connection, 431 /* Request Header Fields Too Large, RFC 6585 */);
          else
            connection_read (connection);
          return;
        }
      connection_head_read (connection, head_end);
      return;
    }
  g_assert (connection->state == STATE_BODY && server != NULL);
  if ((goffset) connection->buffer->len >= MAX (connection->exchange->content_length, 0))
    connection_dispatch (connection);
  else
    connection_read (connection);
}

static void
connection_got_bytes (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  Connection *connection = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  connection->reading = FALSE;
  /* an error, the end of the stream (mid-request or not: nothing to answer), the
   * keep-alive timeout or the request deadline, or the server stopped */
  if (n <= 0 || connection->server == NULL)
    {
      connection_close (connection);
      return;
    }
  g_byte_array_append (connection->buffer, connection->chunk, n);
  connection_process (connection);
}

static void
connection_drained (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Connection *connection = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  connection->reading = FALSE;
  connection->drained += MAX (n, 0);
  if (n <= 0 || connection->drained > DRAIN_MAX_BYTES)
    connection_close (connection);
  else
    connection_drain (connection);
}

static void
connection_drain (Connection *connection)
{
  connection->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (connection->stream), connection->chunk,
                             READ_CHUNK, G_PRIORITY_LOW, connection->cancellable,
                             connection_drained, connection);
}

static void
connection_read (Connection *connection)
{
  connection->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (connection->stream), connection->chunk,
                             READ_CHUNK, G_PRIORITY_DEFAULT, connection->cancellable,
                             connection_got_bytes, connection);
}

/* ---- The server ------------------------------------------------------- */

WpiHttpServer *
wpi_http_server_new (const char     *server_header,
                     WpiHttpHandler  early_handler,
                     WpiHttpHandler  handler,
                     gpointer        user_data)
{
  WpiHttpServer *server = g_new0 (WpiHttpServer, 1);

  server->server_header = g_strdup (server_header);
  server->early_handler = early_handler;
  server->handler = handler;
  server->user_data = user_data;
  server->keep_alive_timeout_ms = WPI_HTTP_KEEP_ALIVE_TIMEOUT_MS;
  server->max_requests = WPI_HTTP_MAX_REQUESTS;
  server->connections = g_hash_table_new (NULL, NULL);
  return server;
}

void
wpi_http_server_set_keep_alive (WpiHttpServer *server,
                                guint          timeout_ms,
                                guint          max_requests)
{
  server->keep_alive_timeout_ms = timeout_ms;
  server->max_requests = max_requests;
}

void
wpi_http_server_accept (WpiHttpServer     *server,
                        GIOStream         *stream,
                        GSocketConnection *socket_connection,
                        gboolean           secure)
{
  Connection *connection = g_new0 (Connection, 1);

  connection->server = server;
  connection->stream = g_object_ref (stream);
  connection->connection = g_object_ref (socket_connection);
  connection->remote = g_socket_connection_get_remote_address (socket_connection, NULL);
  connection->secure = secure;
  connection->cancellable = g_cancellable_new ();
  connection->buffer = g_byte_array_new ();
  connection->chunk = g_malloc (READ_CHUNK);
  connection->state = STATE_HEAD;
  g_hash_table_add (server->connections, connection);
  connection_start_timer (connection, server->keep_alive_timeout_ms);
  connection_process (connection);
}

/* Every connection ends: what is pending is cancelled and closes it */
void
wpi_http_server_close_all (WpiHttpServer *server)
{
  GHashTableIter iter;
  Connection *connection;

  g_hash_table_iter_init (&iter, server->connections);
  while (g_hash_table_iter_next (&iter, (gpointer *) &connection, NULL))
    {
      connection->server = NULL;
      connection_stop_timer (connection);
      g_cancellable_cancel (connection->cancellable);
      g_hash_table_iter_steal (&iter);
    }
}

guint
wpi_http_server_get_n_connections (WpiHttpServer *server)
{
  return g_hash_table_size (server->connections);
}

void
wpi_http_server_free (WpiHttpServer *server)
{
  if (server == NULL)
    return;
  wpi_http_server_close_all (server);
  g_hash_table_unref (server->connections);
  g_free (server->server_header);
  g_free (server);
}
