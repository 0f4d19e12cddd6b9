/* wpi-service-accept.c: accepting connections within the descriptors the process has
 *
 * GSocketService warns once per failed accept and tries again at once: out of
 * descriptors, a flood of connections became tens of thousands of warnings, and then GLib
 * aborted for want of a descriptor of its own (issue 10 §4). So the service accepts
 * itself, within a budget of connections taken from RLIMIT_NOFILE that keeps a reserve
 * for the store, the PKI, TLS and the console. At the budget the connection that matters
 * least gives way: a busy peer's handshake still waiting its turn, then the connection
 * that has been silent longest, then the oldest idle or unfinished HTTP connection; only
 * when there is none is the new one closed. An accept error is logged once per interval,
 * and accepting pauses for a moment instead of spinning.
 */
#include "config.h"

#include <sys/resource.h>

#include "wpi-service-private.h"

/* descriptors left for everything but the connections */
#define RESERVED_DESCRIPTORS     128
/* after a failed accept (EMFILE, ENFILE, ENOBUFS), the next one waits this long */
#define ACCEPT_RETRY_MS          100
/* a recurring problem is logged at most once per this interval, with a count */
#define PROBLEM_LOG_INTERVAL_US  (10 * G_USEC_PER_SEC)

typedef struct {
  GWeakRef         service;
  GSocketListener *listener;
  gboolean         secure;
  GCancellable    *cancellable;
} Acceptor;

static void acceptor_next (Acceptor *acceptor);

/* The soft limit raised to the hard one (a service holds a descriptor per phone); the
 * connections' budget is what it leaves after the reserve. */
guint
_wpi_service_connection_budget (void)
{
  struct rlimit limit;
  rlim_t soft;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return 1024 - RESERVED_DESCRIPTORS;
  if (limit.rlim_cur < limit.rlim_max)
    {
      struct rlimit raised = { limit.rlim_max, limit.rlim_max };

      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        limit.rlim_cur = limit.rlim_max;
    }
  soft = MIN (limit.rlim_cur, (rlim_t) G_MAXUINT);
  return soft > 2 * RESERVED_DESCRIPTORS ? (guint) soft - RESERVED_DESCRIPTORS : (guint) soft / 2;
}

/* Logs a problem that may recur thousands of times a second once per interval, saying
 * how often it happened since. */
void
_wpi_service_log_problem (WpiService     *self,
                          WpiProblemLog  *problem,
                          const char     *what)
{
  gint64 now = g_get_monotonic_time ();

  problem->count++;
  if (problem->logged_at != 0 && now - problem->logged_at < PROBLEM_LOG_INTERVAL_US)
    return;
  if (problem->count > 1)
    _wpi_service_log (self, "%s (%u times in the last %d s)", what, problem->count,
                      (int) (PROBLEM_LOG_INTERVAL_US / G_USEC_PER_SEC));
  else
    _wpi_service_log (self, "%s", what);
  problem->logged_at = now;
  problem->count = 0;
}

static guint
open_connections (WpiService *self)
{
  return g_hash_table_size (self->silent) + self->n_handshakes +
         (self->http != NULL ? wpi_http_server_get_n_connections (self->http) : 0);
}

/* Room for one more connection: TRUE when there was room or one gave way */
static gboolean
make_room (WpiService *self)
{
  g_autofree char *what = NULL;

  if (open_connections (self) < self->max_connections)
    return TRUE;
  if (!_wpi_service_shed_waiting_handshake (self) && !_wpi_service_shed_silent (self) &&
      (self->http == NULL || !wpi_http_server_shed_one (self->http)))
    return FALSE;
  what = g_strdup_printf ("at the limit of %u connections: the one waiting longest was closed",
                          self->max_connections);
  _wpi_service_log_problem (self, &self->shed_log, what);
  return TRUE;
}

static void
acceptor_free (Acceptor *acceptor)
{
  g_weak_ref_clear (&acceptor->service);
  g_clear_object (&acceptor->listener);
  g_clear_object (&acceptor->cancellable);
  g_free (acceptor);
}

static gboolean
acceptor_retry (gpointer user_data)
{
  acceptor_next (user_data);
  return G_SOURCE_REMOVE;
}

static void
accepted (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Acceptor *acceptor = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result,
                                                                             NULL, &error);
  g_autoptr(WpiService) self = g_weak_ref_get (&acceptor->service);
  GSource *retry;

  if (self == NULL || g_cancellable_is_cancelled (acceptor->cancellable))
    {
      acceptor_free (acceptor);
      return;
    }
  if (connection != NULL)
    {
      if (make_room (self))
        _wpi_service_on_incoming (self, connection, acceptor->secure);
      else
        {
          g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
          _wpi_service_log_problem (self, &self->over_budget_log,
                                    "connection refused: every one of the service's connections is busy");
        }
      acceptor_next (acceptor);
      return;
    }
  {
    g_autofree char *what = g_strdup_printf ("cannot accept a connection: %s", error->message);

    _wpi_service_log_problem (self, &self->accept_error_log, what);
  }
  retry = g_timeout_source_new (ACCEPT_RETRY_MS);
  g_source_set_callback (retry, acceptor_retry, acceptor, NULL);
  g_source_attach (retry, g_main_context_get_thread_default ());
  g_source_unref (retry);
}

static void
acceptor_next (Acceptor *acceptor)
{
  if (g_cancellable_is_cancelled (acceptor->cancellable))
    {
      acceptor_free (acceptor);
      return;
    }
  g_socket_listener_accept_async (acceptor->listener, acceptor->cancellable, accepted, acceptor);
}

/* Accepts on listener until the service stops (its cancellable) */
void
_wpi_service_accept_start (WpiService      *self,
                           GSocketListener *listener,
                           gboolean         secure)
{
  Acceptor *acceptor = g_new0 (Acceptor, 1);

  g_weak_ref_init (&acceptor->service, self);
  acceptor->listener = g_object_ref (listener);
  acceptor->secure = secure;
  acceptor->cancellable = g_object_ref (self->cancellable);
  acceptor_next (acceptor);
}
