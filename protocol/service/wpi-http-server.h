/* wpi-http-server.h: HTTP/1.1 over connections the service accepted itself
 *
 * The service accepts and handshakes its connections itself (wpi-service-listener.c);
 * this serves HTTP/1.1 on them: persistent connections with a keep-alive timeout and a
 * cap on requests (D18), a Content-Length checked before the body is read (D5), and
 * "Connection: close" on every response after which the connection closes.
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* D18: an open connection waits this long for its next request, and serves this many */
#define WPI_HTTP_KEEP_ALIVE_TIMEOUT_MS   10000
#define WPI_HTTP_MAX_REQUESTS            100
/* The head of a request (request line and headers) is at most this long */
#define WPI_HTTP_MAX_HEAD_BYTES          (64 * 1024)

typedef struct _WpiHttpServer WpiHttpServer;

/* One request and its response */
typedef struct {
  /* the connection */
  gboolean            secure;
  GSocketConnection  *connection;   /* the TCP connection under TLS */
  GSocketAddress     *remote;
  guint               sequence;     /* 1 for a connection's first request */
  /* the request */
  const char         *method;       /* interned: compare with SOUP_METHOD_* */
  char               *path;         /* decoded */
  char               *query;        /* as sent, or NULL */
  SoupHTTPVersion     version;
  SoupMessageHeaders *request_headers;
  GBytes             *request_body;
  goffset             content_length;  /* -1 when there is none */
  /* the response */
  guint               status;       /* 0 until a handler sets it */
  SoupMessageHeaders *response_headers;
  GBytes             *response_body;
  gboolean            close;        /* the connection closes after the response */
} WpiHttpExchange;

/* Called once the head is read (early: may answer, and then the body is never read) and
 * once the body is read (must answer). */
typedef void (*WpiHttpHandler) (WpiHttpExchange *exchange,
                                gpointer         user_data);

WpiHttpServer *wpi_http_server_new              (const char      *server_header,
                                                 WpiHttpHandler   early_handler,
                                                 WpiHttpHandler   handler,
                                                 gpointer         user_data);
void           wpi_http_server_free             (WpiHttpServer   *server);
void           wpi_http_server_set_keep_alive   (WpiHttpServer   *server,
                                                 guint            timeout_ms,
                                                 guint            max_requests);
void           wpi_http_server_accept           (WpiHttpServer   *server,
                                                 GIOStream       *stream,
                                                 GSocketConnection *connection,
                                                 gboolean         secure);
void           wpi_http_server_close_all        (WpiHttpServer   *server);
guint          wpi_http_server_get_n_connections (WpiHttpServer  *server);

void           wpi_http_exchange_set_status     (WpiHttpExchange *exchange,
                                                 guint            status);
void           wpi_http_exchange_set_response   (WpiHttpExchange *exchange,
                                                 guint            status,
                                                 const char      *content_type,
                                                 GBytes          *body);
GBytes        *wpi_http_exchange_format_request_head  (WpiHttpExchange *exchange);
GBytes        *wpi_http_exchange_format_response_head (WpiHttpExchange *exchange);

G_END_DECLS
