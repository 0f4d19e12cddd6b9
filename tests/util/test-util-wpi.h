/* test-util-wpi.h: helpers that speak WPI (wire layer + libsoup): an HTTPS client that
 * plays a phone, posting WorkpointMessages and returning the service's answer.
 */
#pragma once

#include <libsoup/soup.h>

#include "wpi-codec.h"
#include "test-util.h"

G_BEGIN_DECLS

/* How long one HTTPS exchange may take; generous for AddressSanitizer on 2 cores */
#define TEST_UTIL_HTTPS_TIMEOUT_MS 60000

typedef struct {
  guint    status;       /* the HTTP status; 0 when no answer came (see error) */
  GBytes  *body;         /* the answer's body, NULL with error */
  GError  *error;        /* the transport's: a refused TLS handshake, a reset connection */
  char    *set_cookie;   /* the whole Set-Cookie header, or NULL */
  char    *session_id;   /* the JSESSIONID in it, or NULL */
  guint64  connection_id; /* which of the session's connections carried it (libsoup's id) */
  gboolean closes;       /* the answer said "Connection: close" */
} TestUtilReply;

void test_util_reply_free (TestUtilReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestUtilReply, test_util_reply_free)

/* A session for a phone. ca_file NULL: it accepts any server certificate, as a phone in
 * Default Mode does (protocol.md §2.1); otherwise it trusts only the CAs in ca_file, e.g.
 * test_util_cert_path ("ca.crt") or wpi_pki_get_ca_path(). */
SoupSession   *test_util_https_session_new (const char      *ca_file);
/* The same, its connections made from local_ip (an address of 127.0.0.0/8, e.g.
 * "127.0.0.2": a second phone, or one that moved), or from any address when NULL. */
SoupSession   *test_util_https_session_new_from (const char *ca_file,
                                                 const char *local_ip);
/* How session's requests use connections (D18). libsoup's default: a POST on a connection
 * of its own; REUSE: every request on an idle open connection when there is one, as
 * phones and Node's keep-alive agent do; CLOSE: every request says "Connection: close". */
typedef enum {
  TEST_UTIL_CONNECTIONS_DEFAULT,
  TEST_UTIL_CONNECTIONS_REUSE,
  TEST_UTIL_CONNECTIONS_CLOSE,
} TestUtilConnections;
void           test_util_https_session_set_connections (SoupSession         *session,
                                                        TestUtilConnections  connections);

/* One request on this thread's main context (the service under test runs meanwhile).
 * body (text/xml), cookie (a JSESSIONID value) and client_certificate may be NULL. */
TestUtilReply *test_util_https_request     (SoupSession     *session,
                                            const char      *method,
                                            const char      *uri,
                                            GBytes          *body,
                                            const char      *cookie,
                                            GTlsCertificate *client_certificate);
/* Sends a message the test has prepared (a body stream, headers of its own) the same way */
TestUtilReply *test_util_https_send        (SoupSession     *session,
                                            SoupMessage     *msg);
/* The same in two steps, for requests that overlap: start one, do something else on this
 * thread's main context, then finish it (waits for the answer, frees pending).
 * test_util_https_is_done() is a TestUtilCondition. */
typedef struct _TestUtilPending TestUtilPending;
TestUtilPending *test_util_https_start     (SoupSession     *session,
                                            SoupMessage     *msg);
gboolean       test_util_https_is_done     (gpointer         pending);
TestUtilReply *test_util_https_finish      (TestUtilPending *pending);
/* POSTs a phone's WorkpointMessage. */
TestUtilReply *test_util_post_message      (SoupSession     *session,
                                            const char      *uri,
                                            WpiMessage      *message,
                                            const char      *cookie);
/* The answer as a WpiMessage, failing the test unless it came with status 200 and parses. */
WpiMessage    *test_util_reply_parse       (TestUtilReply   *reply);

/* --- A server that plays the service (or a phone's listener) ------------------------- */

/* A SoupServer listening on 127.0.0.1 at a port the kernel picks: HTTPS with certificate
 * (e.g. test_util_server_certificate()) and, unless NULL, database (to ask for client
 * certificates), or plain HTTP when certificate is NULL. *port (unless NULL) gets the
 * port. Fails the test (a benchmark aborts) when it cannot listen. */
SoupServer    *test_util_server_new        (GTlsCertificate   *certificate,
                                            GTlsDatabase      *database,
                                            guint             *port);
/* Answers msg with 200 OK and the serialized message as text/xml. */
void           test_util_server_respond    (SoupServerMessage *msg,
                                            WpiMessage        *answer);


/* What test_util_server_handle calls: the request's body, read whole (empty without one),
 * comes with it; soup_server_message_get_uri (msg) tells the path and query. */
typedef void (*TestUtilHandler) (SoupServerMessage *msg,
                                 GBytes            *body,
                                 gpointer           user_data);
/* Has server call handler for each request to path (and below it; NULL: every path). */
void           test_util_server_handle     (SoupServer        *server,
                                            const char        *path,
                                            TestUtilHandler    handler,
                                            gpointer           user_data);

/* A plain HTTP server (as a phone's contact-me listener) that answers every request with
 * status and counts them in *count; *port (unless NULL) gets its port. */
SoupServer    *test_util_counting_server_new (guint        status,
                                              guint       *count,
                                              guint       *port);

G_END_DECLS
