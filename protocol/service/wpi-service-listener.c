/* wpi-service-listener.c: accepting connections
 *
 * The service accepts its connections itself and serves HTTP on them once TLS is set up
 * (wpi-http-server.c): a connection is admitted to a handshake only once its ClientHello is there, and
 * peers with many connections open wait their turn.
 */
#include "config.h"

#include <gio/gnetworking.h>

#include "wpi-service-private.h"
#include "wpi-tls-keylog.h"

/* A client has this long to send its first bytes (the TLS ClientHello), and a connection is
 * dropped after this long without any progress. */
#define CONNECTION_TIMEOUT_S   10
/* A handshake has this long once it runs: a phone needs well under a second even when a
 * thousand start at once (bench-service prints the longest), a client that sends a
 * complete first record and then stalls holds one of GLib's threads until then
 * (issue 10 §4) */
#define HANDSHAKE_DEADLINE_MS 5000
/* Busy peers' handshakes run one at a time (each costs an RSA signature, milliseconds of
 * CPU); more than this many waiting and the newest is closed. */
#define BUSY_HANDSHAKES_WAITING 256

/* Secure port: a client certificate that does not chain to our CA (or is revoked) is
 * refused during the handshake, and the refusal is a security event. */
static gboolean
accept_certificate (GTlsConnection       *connection,
                    GTlsCertificate      *certificate,
                    GTlsCertificateFlags  errors,
                    gpointer              user_data)
{
  WpiService *self = user_data;
  g_autoptr(GError) error = NULL;
  const char *peer = g_object_get_data (G_OBJECT (connection), "wpi-peer");

  if (wpi_pki_verify_peer (self->pki, certificate, NULL, NULL, &error))
    return TRUE;
  _wpi_service_security_event (self, peer, NULL, "client-certificate", error->message);
  return FALSE;
}

/* ---- Accepting connections ------------------------------------------- */

/* glib-networking runs each TLS handshake in a thread of GLib's small shared pool, blocking
 * until the peer has sent its part. A client that connects and says nothing, or sends half a
 * record or random bytes whose first ones read as a long record, would hold a thread until
 * the socket times out, and a few hundred of them would leave no thread for the phones. So
 * a connection gets its handshake (and its thread) only once a whole first record that looks
 * like a ClientHello is there, with CONNECTION_TIMEOUT_S to send it; anything else is closed.
 * After that the socket's timeout ends a handshake or a request that stalls. Waiting costs
 * no thread. */
typedef struct {
  WpiService        *self;
  GSocketConnection *connection;
  gboolean           secure;
  GSource           *readable;
  GSource           *timeout;
  GSource           *recheck;      /* part of the record is there: look again shortly */
  gint64             since;        /* accepted, monotonic µs */
} Silent;

typedef enum {
  FIRST_RECORD_INCOMPLETE,
  FIRST_RECORD_COMPLETE,
  FIRST_RECORD_NOT_TLS,
} FirstRecord;

#define MAX_TLS_RECORD 18432   /* 2^14 bytes of plaintext plus room for expansion */

/* Peeks at what the client sent so far; nothing is consumed. */
static FirstRecord
first_record_state (GSocket *socket)
{
  guint8 header[5];
  GInputVector vector = { header, sizeof header };
  gint flags = G_SOCKET_MSG_PEEK;
  gssize n, available;
  gsize length;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL);
  if (n <= 0)
    return FIRST_RECORD_NOT_TLS;   /* closed, or an error */
  available = g_socket_get_available_bytes (socket);

  if (header[0] == 0x16)
    {
      /* a TLS handshake record: 3.x, a plausible length */
      if (n < 5)
        return n >= 2 && header[1] != 0x03 ? FIRST_RECORD_NOT_TLS : FIRST_RECORD_INCOMPLETE;
      length = (header[3] << 8) | header[4];
      if (header[1] != 0x03 || header[2] > 0x04 || length == 0 || length > MAX_TLS_RECORD)
        return FIRST_RECORD_NOT_TLS;
      return available >= (gssize) (5 + length) ? FIRST_RECORD_COMPLETE : FIRST_RECORD_INCOMPLETE;
    }
  if (header[0] & 0x80)
    {
      /* the SSLv2-compatible ClientHello older TLS stacks (old firmware) may send */
      if (n < 3)
        return FIRST_RECORD_INCOMPLETE;
      length = ((header[0] & 0x7f) << 8) | header[1];
      if (header[2] != 0x01 || length < 9)
        return FIRST_RECORD_NOT_TLS;
      return available >= (gssize) (2 + length) ? FIRST_RECORD_COMPLETE : FIRST_RECORD_INCOMPLETE;
    }
  return FIRST_RECORD_NOT_TLS;
}

static void
silent_free (Silent *silent)
{
  if (silent->readable != NULL)
    {
      g_source_destroy (silent->readable);
      g_source_unref (silent->readable);
    }
  if (silent->timeout != NULL)
    {
      g_source_destroy (silent->timeout);
      g_source_unref (silent->timeout);
    }
  if (silent->recheck != NULL)
    {
      g_source_destroy (silent->recheck);
      g_source_unref (silent->recheck);
    }
  g_clear_object (&silent->connection);
  g_free (silent);
}

typedef struct {
  GWeakRef  service;
  char     *ip;
} ConnectionCount;

static void
connection_count_release (gpointer data)
{
  ConnectionCount *count = data;
  g_autoptr(WpiService) self = g_weak_ref_get (&count->service);

  if (self != NULL && self->connections_by_ip != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_by_ip, count->ip));

      if (n <= 1)
        g_hash_table_remove (self->connections_by_ip, count->ip);
      else
        g_hash_table_insert (self->connections_by_ip, g_strdup (count->ip), GUINT_TO_POINTER (n - 1));
    }
  g_weak_ref_clear (&count->service);
  g_free (count->ip);
  g_free (count);
}

/* Counts the connection against its peer's address until the connection is freed. */
static guint
connection_count_add (WpiService        *self,
                      GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  ConnectionCount *count;
  guint n;

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return 0;
  count = g_new0 (ConnectionCount, 1);
  g_weak_ref_init (&count->service, self);
  count->ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_by_ip, count->ip)) + 1;
  g_hash_table_insert (self->connections_by_ip, g_strdup (count->ip), GUINT_TO_POINTER (n));
  g_object_set_data_full (G_OBJECT (connection), "wpi-connection-count", count, connection_count_release);
  return n;
}

guint
_wpi_service_connection_count (WpiService        *self,
                               GSocketConnection *connection)
{
  ConnectionCount *count = g_object_get_data (G_OBJECT (connection), "wpi-connection-count");

  return count != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_by_ip, count->ip)) : 0;
}

/* libsoup does not see the client certificate of a connection it did not set up itself:
 * the service keeps it, by the connection's peer address, for as long as the connection
 * lives. */
typedef struct {
  GTlsCertificate *certificate;
  gconstpointer    connection;   /* only compared: which connection it belongs to */
} PeerCertificate;

static void
peer_certificate_free (PeerCertificate *peer)
{
  g_clear_object (&peer->certificate);
  g_free (peer);
}

typedef struct {
  GWeakRef  service;
  char     *peer;
} PeerCertificateOwner;

static void
peer_certificate_owner_free (gpointer data)
{
  PeerCertificateOwner *owner = data;
  g_autoptr(WpiService) self = g_weak_ref_get (&owner->service);

  /* the connection is gone: its entry goes, unless a newer connection took the address */
  if (self != NULL && self->peer_certificates != NULL)
    {
      PeerCertificate *peer = g_hash_table_lookup (self->peer_certificates, owner->peer);

      if (peer != NULL && peer->connection == (gconstpointer) owner)
        g_hash_table_remove (self->peer_certificates, owner->peer);
    }
  g_weak_ref_clear (&owner->service);
  g_free (owner->peer);
  g_free (owner);
}

static void
remember_peer_certificate (WpiService     *self,
                           GTlsConnection *tls)
{
  const char *peer_string = g_object_get_data (G_OBJECT (tls), "wpi-peer");
  GTlsCertificate *certificate = g_tls_connection_get_peer_certificate (tls);
  PeerCertificateOwner *owner;
  PeerCertificate *peer;

  if (peer_string == NULL || certificate == NULL)
    return;
  owner = g_new0 (PeerCertificateOwner, 1);
  g_weak_ref_init (&owner->service, self);
  owner->peer = g_strdup (peer_string);
  peer = g_new0 (PeerCertificate, 1);
  peer->certificate = g_object_ref (certificate);
  peer->connection = owner;
  g_hash_table_replace (self->peer_certificates, g_strdup (peer_string), peer);
  g_object_set_data_full (G_OBJECT (tls), "wpi-peer-certificate", owner, peer_certificate_owner_free);
}

GTlsCertificate *
_wpi_service_lookup_peer_certificate (WpiService *self,
                                      const char *peer_string)
{
  PeerCertificate *peer = g_hash_table_lookup (self->peer_certificates, peer_string);

  return peer != NULL ? peer->certificate : NULL;
}

typedef struct {
  GWeakRef        service;     /* a handshake does not keep a stopped service alive */
  GCancellable   *cancellable; /* the service's stop, or the deadline */
  GSource        *deadline;
  gint64          started;
  GTlsConnection *tls;
  GSocketConnection *connection;
  GSocketAddress *remote;
  gboolean        secure;
  gboolean        busy_peer;   /* holds the busy peers' turn while it runs */
  gint64          queued;      /* monotonic µs it began to wait behind the flows (D21), or 0 */
} Handshake;

static void handshake_start (Handshake *handshake);

static void
handshake_free (Handshake *handshake)
{
  g_autoptr(WpiService) self = g_weak_ref_get (&handshake->service);

  if (self != NULL)
    self->n_handshakes--;
  if (handshake->deadline != NULL)
    {
      g_source_destroy (handshake->deadline);
      g_source_unref (handshake->deadline);
    }
  g_clear_object (&handshake->cancellable);
  g_weak_ref_clear (&handshake->service);
  g_clear_object (&handshake->tls);
  g_clear_object (&handshake->connection);
  g_clear_object (&handshake->remote);
  g_free (handshake);
}

/* What a client that completes its handshake needs, against HANDSHAKE_DEADLINE_MS: each new
 * longest one from a quarter of a second on is logged (bench-service prints the last) */
static void
note_handshake_time (WpiService *self,
                     Handshake  *handshake)
{
  gint64 ms = (g_get_monotonic_time () - handshake->started) / 1000;

  if (ms > self->longest_handshake_ms && ms >= 250)
    _wpi_service_log (self, "a TLS handshake took %" G_GINT64_FORMAT " ms, the longest yet "
                      "(the deadline is %d ms)", ms, HANDSHAKE_DEADLINE_MS);
  self->longest_handshake_ms = MAX (self->longest_handshake_ms, ms);
}

static void
handshake_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Handshake *handshake = user_data;
  g_autoptr(WpiService) self = g_weak_ref_get (&handshake->service);
  g_autoptr(GError) error = NULL;

  if (self != NULL)
    g_hash_table_remove (self->handshakes, handshake);
  if (handshake->busy_peer && self != NULL)
    {
      Handshake *next = g_queue_pop_head (&self->busy_handshakes);

      self->busy_handshaking = FALSE;
      if (next != NULL)
        handshake_start (next);
    }

  if (!g_tls_connection_handshake_finish (handshake->tls, result, &error) || self == NULL ||
      self->http == NULL)
    {
      /* a refused client certificate is a security event already (accept_certificate) */
      g_io_stream_close (G_IO_STREAM (handshake->tls), NULL, NULL);
      handshake_free (handshake);
      return;
    }
  note_handshake_time (self, handshake);
  /* a key log that logs nothing is said once (D30) */
  wpi_tls_keylog_check_handshake ();
  if (handshake->secure)
    remember_peer_certificate (self, handshake->tls);
  /* D21: how long the phone waited for this, in line behind the flows and for the handshake */
  if (handshake->queued != 0)
    _wpi_service_set_overload_wait (handshake->connection, g_get_monotonic_time () - handshake->queued);
  wpi_http_server_accept (self->http, G_IO_STREAM (handshake->tls), handshake->connection,
                          handshake->secure);
  handshake_free (handshake);
}

static GIOStream *
tls_server_connection_new (WpiService         *self,
                           GSocketConnection  *connection,
                           gboolean            secure,
                           GError            **error)
{
  /* The database at construction: g_tls_server_connection_new() would first build the
   * credentials from the default database, the whole system CA store, for every connection. */
  return g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                         NULL, error,
                         "base-io-stream", connection,
                         "certificate", self->certificate,
                         "database", self->database,
                         "authentication-mode", secure ? G_TLS_AUTHENTICATION_REQUIRED
                                                       : G_TLS_AUTHENTICATION_NONE,
                         "require-close-notify", FALSE,
                         NULL);
}

/* Secure port: the peer's address goes with the connection, for the security event of a
 * refused certificate and for the HTTP layer's check of the certificate (D17). */
static void
watch_client_certificate (WpiService *self,
                          Handshake  *handshake)
{
  g_autofree char *peer = NULL;

  if (G_IS_INET_SOCKET_ADDRESS (handshake->remote))
    {
      GInetSocketAddress *remote = G_INET_SOCKET_ADDRESS (handshake->remote);
      g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (remote));

      peer = g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (remote));
    }
  g_object_set_data_full (G_OBJECT (handshake->tls), "wpi-peer", g_steal_pointer (&peer), g_free);
  g_signal_connect_object (handshake->tls, "accept-certificate", G_CALLBACK (accept_certificate), self, 0);
}

/* Handshakes that wait their turn, one at a time and behind the others: a peer holding more
 * connections than a phone does, and, while the service turns new flows away (D21), a peer
 * without a flow in progress, whose message will most likely be turned away. The flows
 * already admitted keep the CPU. */
static gboolean
handshake_waits_its_turn (WpiService        *self,
                          GSocketConnection *connection)
{
  ConnectionCount *count = g_object_get_data (G_OBJECT (connection), "wpi-connection-count");

  if (_wpi_service_connection_count (self, connection) > WPI_BUSY_PEER_CONNECTIONS)
    return TRUE;
  return count != NULL && _wpi_service_is_overloaded (self) &&
         !_wpi_service_ip_has_flow (self, count->ip);
}

static void
hand_over (WpiService        *self,
           GSocketConnection *connection,
           gboolean           secure)
{
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  Handshake *handshake;

  g_socket_set_timeout (g_socket_connection_get_socket (connection), CONNECTION_TIMEOUT_S);
  /* as libsoup does for the sockets it accepts itself: an answer's headers and body must
   * not wait for the phone's delayed ACK */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  tls = tls_server_connection_new (self, connection, secure, &error);
  if (tls == NULL)
    {
      g_warning ("Cannot set up TLS: %s", error->message);
      return;
    }

  handshake = g_new0 (Handshake, 1);
  self->n_handshakes++;
  g_weak_ref_init (&handshake->service, self);
  handshake->cancellable = g_cancellable_new ();
  handshake->tls = G_TLS_CONNECTION (g_steal_pointer (&tls));
  handshake->connection = g_object_ref (connection);
  handshake->remote = g_socket_connection_get_remote_address (connection, NULL);
  handshake->secure = secure;
  if (secure)
    watch_client_certificate (self, handshake);
  handshake->busy_peer = handshake_waits_its_turn (self, connection);
  if (handshake->busy_peer && self->busy_handshaking)
    {
      if (self->busy_handshakes.length >= BUSY_HANDSHAKES_WAITING)
        {
          g_io_stream_close (G_IO_STREAM (handshake->tls), NULL, NULL);
          handshake_free (handshake);
          return;
        }
      if (_wpi_service_is_overloaded (self))
        handshake->queued = g_get_monotonic_time ();
      g_queue_push_tail (&self->busy_handshakes, handshake);
      return;
    }
  handshake_start (handshake);
}

/* The bytes are there: the thread it takes will not wait long (and never longer than the
 * socket's timeout). A peer with many connections open gets one handshake at a time, and
 * GLib's pool, which runs waiting tasks by priority, puts that one behind the phones': so a
 * flood from one address costs at most one thread and a share of the CPU. */
static gboolean
handshake_expired (gpointer user_data)
{
  Handshake *handshake = user_data;

  g_clear_pointer (&handshake->deadline, g_source_unref);
  g_cancellable_cancel (handshake->cancellable);
  return G_SOURCE_REMOVE;
}

static void
handshake_start (Handshake *handshake)
{
  g_autoptr(WpiService) self = g_weak_ref_get (&handshake->service);

  if (handshake->busy_peer)
    self->busy_handshaking = TRUE;
  handshake->started = g_get_monotonic_time ();
  handshake->deadline = g_timeout_source_new (HANDSHAKE_DEADLINE_MS);
  g_source_set_callback (handshake->deadline, handshake_expired, handshake, NULL);
  g_source_attach (handshake->deadline, g_main_context_get_thread_default ());
  g_hash_table_add (self->handshakes, handshake);
  g_tls_connection_handshake_async (handshake->tls, handshake->busy_peer ? G_PRIORITY_LOW : G_PRIORITY_DEFAULT,
                                    handshake->cancellable, handshake_done, handshake);
}

/* At the budget of connections: a busy peer's handshake that still waits its turn goes
 * first (wpi-service-accept.c) */
gboolean
_wpi_service_shed_waiting_handshake (WpiService *self)
{
  Handshake *handshake = g_queue_pop_head (&self->busy_handshakes);

  if (handshake == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (handshake->tls), NULL, NULL);
  handshake_free (handshake);
  return TRUE;
}

/* Then the connection that has been silent longest */
gboolean
_wpi_service_shed_silent (WpiService *self)
{
  GHashTableIter iter;
  Silent *silent, *oldest = NULL;

  g_hash_table_iter_init (&iter, self->silent);
  while (g_hash_table_iter_next (&iter, (gpointer *) &silent, NULL))
    if (oldest == NULL || silent->since < oldest->since)
      oldest = silent;
  if (oldest == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (oldest->connection), NULL, NULL);
  g_hash_table_remove (self->silent, oldest);
  return TRUE;
}

static gboolean silent_readable (GSocket *socket, GIOCondition condition, gpointer user_data);

static gboolean
silent_recheck (gpointer user_data)
{
  Silent *silent = user_data;
  GSocket *socket = g_socket_connection_get_socket (silent->connection);

  g_clear_pointer (&silent->recheck, g_source_unref);
  return silent_readable (socket, g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR),
                          silent);
}

static gboolean
silent_readable (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  Silent *silent = user_data;
  WpiService *self = silent->self;

  switch (first_record_state (socket))
    {
    case FIRST_RECORD_COMPLETE:
      hand_over (self, silent->connection, silent->secure);
      break;

    case FIRST_RECORD_INCOMPLETE:
      /* The bytes stay readable until the handshake reads them: instead of a source that
       * would fire at once again, a look in a moment. */
      if (silent->readable != NULL)
        {
          g_source_destroy (silent->readable);
          g_clear_pointer (&silent->readable, g_source_unref);
        }
      silent->recheck = g_timeout_source_new (20);
      g_source_set_callback (silent->recheck, silent_recheck, silent, NULL);
      g_source_attach (silent->recheck, g_main_context_get_thread_default ());
      return G_SOURCE_REMOVE;

    case FIRST_RECORD_NOT_TLS:
    default:
      g_io_stream_close (G_IO_STREAM (silent->connection), NULL, NULL);
      break;
    }
  g_hash_table_remove (self->silent, silent);
  return G_SOURCE_REMOVE;
}

static gboolean
silent_timeout (gpointer user_data)
{
  Silent *silent = user_data;

  g_io_stream_close (G_IO_STREAM (silent->connection), NULL, NULL);
  g_hash_table_remove (silent->self->silent, silent);
  return G_SOURCE_REMOVE;
}

void
_wpi_service_on_incoming (WpiService        *self,
                          GSocketConnection *connection,
                          gboolean           secure)
{
  Silent *silent = g_new0 (Silent, 1);
  GSocket *socket = g_socket_connection_get_socket (connection);

  /* the peeks at the first record must never wait (the streams choose for themselves) */
  g_socket_set_blocking (socket, FALSE);
  connection_count_add (self, connection);
  silent->self = self;
  silent->connection = g_object_ref (connection);
  silent->secure = secure;
  silent->since = g_get_monotonic_time ();
  silent->readable = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (silent->readable, (GSourceFunc) (void (*) (void)) silent_readable, silent, NULL);
  g_source_attach (silent->readable, g_main_context_get_thread_default ());
  silent->timeout = g_timeout_source_new_seconds (CONNECTION_TIMEOUT_S);
  g_source_set_callback (silent->timeout, silent_timeout, silent, NULL);
  g_source_attach (silent->timeout, g_main_context_get_thread_default ());
  g_hash_table_add (self->silent, silent);
}

void
_wpi_service_listener_init (WpiService *self)
{
  self->silent = g_hash_table_new_full (g_direct_hash, g_direct_equal, (GDestroyNotify) silent_free, NULL);
  self->peer_certificates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                   (GDestroyNotify) peer_certificate_free);
  self->connections_by_ip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->handshakes = g_hash_table_new (NULL, NULL);
}

/* Closes the connections still waiting for their ClientHello or their turn to handshake. */
void
_wpi_service_listener_stop (WpiService *self)
{
  if (self->silent != NULL)
    g_hash_table_remove_all (self->silent);
  g_queue_clear_full (&self->busy_handshakes, (GDestroyNotify) handshake_free);
  self->busy_handshaking = FALSE;
  /* the running ones end through their cancellables, in handshake_done() */
  if (self->handshakes != NULL)
    {
      GHashTableIter iter;
      Handshake *handshake;

      g_hash_table_iter_init (&iter, self->handshakes);
      while (g_hash_table_iter_next (&iter, (gpointer *) &handshake, NULL))
        g_cancellable_cancel (handshake->cancellable);
    }
}
