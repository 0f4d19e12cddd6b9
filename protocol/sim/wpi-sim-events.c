/* wpi-sim-events.c: timers and listening sockets shared by all simulated phones */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "wpi-sim-events.h"

#define MAX_EVENTS_PER_DISPATCH 64
#define MAX_ACCEPTS_PER_EVENT   32
#define LISTEN_BACKLOG          64

/* ---------------------------------------------------------------------------------------- */
/* Timers                                                                                   */

typedef struct {
  gint64      deadline;   /* monotonic, µs */
  guint       id;
  GSourceFunc func;
  gpointer    data;
} SimTimer;

static GSequence  *timer_queue;     /* of SimTimer, by deadline then id */
static GHashTable *timer_by_id;     /* id -> GSequenceIter */
static GSource    *timer_source;
static guint       timer_last_id;

static gint
timer_compare (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const SimTimer *x = a, *y = b;

  if (x->deadline != y->deadline)
    return x->deadline < y->deadline ? -1 : 1;
  return x->id < y->id ? -1 : x->id > y->id;
}

static void
timer_reschedule (void)
{
  GSequenceIter *first = g_sequence_get_begin_iter (timer_queue);

  g_source_set_ready_time (timer_source, g_sequence_iter_is_end (first)
                                         ? -1 : ((SimTimer *) g_sequence_get (first))->deadline);
}

static gboolean
timer_dispatch (GSource     *source,
                GSourceFunc  callback,
                gpointer     user_data)
{
  gint64 now = g_get_monotonic_time ();

  for (;;)
    {
      GSequenceIter *first = g_sequence_get_begin_iter (timer_queue);
      SimTimer *timer;
      GSourceFunc func;
      gpointer data;

      if (g_sequence_iter_is_end (first))
        break;
      timer = g_sequence_get (first);
      if (timer->deadline > now)
        break;
      /* off the queue before it runs: the callback may add or remove timers */
      func = timer->func;
      data = timer->data;
      g_hash_table_remove (timer_by_id, GUINT_TO_POINTER (timer->id));
      g_sequence_remove (first);
      func (data);
    }
  timer_reschedule ();
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {
  .dispatch = timer_dispatch,
};

static void
timers_init (void)
{
  g_autoptr(GMainContext) context = NULL;

  if (timer_source != NULL)
    return;
  timer_queue = g_sequence_new (g_free);
  timer_by_id = g_hash_table_new (NULL, NULL);
  timer_source = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_static_name (timer_source, "wpi-sim timers");
  context = g_main_context_ref_thread_default ();
  g_source_attach (timer_source, context);
}

guint
wpi_sim_timer_add (double      seconds,
                   GSourceFunc func,
                   gpointer    data)
{
  SimTimer *timer;

  g_return_val_if_fail (func != NULL, 0);

  timers_init ();
  timer = g_new (SimTimer, 1);
  if (++timer_last_id == 0)
    timer_last_id = 1;
  timer->id = timer_last_id;
  timer->deadline = g_get_monotonic_time () +
                    (seconds > 0 ? (gint64) MIN (seconds * G_USEC_PER_SEC, (double) G_MAXINT64 / 4)
                                 : 0);
  timer->func = func;
  timer->data = data;
  g_hash_table_insert (timer_by_id, GUINT_TO_POINTER (timer->id),
                       g_sequence_insert_sorted (timer_queue, timer, timer_compare, NULL));
  timer_reschedule ();
  return timer->id;
}

void
wpi_sim_timer_remove (guint id)
{
  GSequenceIter *iter;

  if (timer_by_id == NULL)
    return;
  iter = g_hash_table_lookup (timer_by_id, GUINT_TO_POINTER (id));
  if (iter == NULL)
    return;
  g_hash_table_remove (timer_by_id, GUINT_TO_POINTER (id));
  g_sequence_remove (iter);
  timer_reschedule ();
}

void
wpi_sim_timer_clear (guint *id)
{
  g_return_if_fail (id != NULL);

  if (*id != 0)
    wpi_sim_timer_remove (*id);
  *id = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Listening sockets                                                                        */

struct _WpiSimListener
{
  GSocket    *socket;
  SoupServer *server;      /* borrowed: the owner frees the listener first */
};

static int      epoll_fd = -1;
static GSource *listen_source;

static void
accept_all (WpiSimListener *listener)
{
  for (guint i = 0; i < MAX_ACCEPTS_PER_EVENT; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = g_socket_accept (listener->socket, NULL, &error);
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GSocketAddress) local = NULL;
      g_autoptr(GSocketAddress) remote = NULL;

      if (client == NULL)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            g_debug ("wpi-sim: accept: %s", error->message);
          return;
        }
      connection = g_socket_connection_factory_create_connection (client);
      local = g_socket_get_local_address (client, NULL);
      remote = g_socket_get_remote_address (client, NULL);
      if (!soup_server_accept_iostream (listener->server, G_IO_STREAM (connection), local, remote,
                                        &error))
        g_debug ("wpi-sim: cannot serve a contact-me connection: %s", error->message);
    }
}

static gboolean
listen_dispatch (GSource     *source,
                 GSourceFunc  callback,
                 gpointer     user_data)
{
  struct epoll_event events[MAX_EVENTS_PER_DISPATCH];
  int n;

  /* level-triggered: whatever is left over comes back on the next iteration */
  n = epoll_wait (epoll_fd, events, G_N_ELEMENTS (events), 0);
  for (int i = 0; i < n; i++)
    accept_all (events[i].data.ptr);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs listen_funcs = {
  .dispatch = listen_dispatch,
};

static gboolean
listeners_init (GError **error)
{
  g_autoptr(GMainContext) context = NULL;

  if (listen_source != NULL)
    return TRUE;
  epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
  if (epoll_fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "epoll_create1: %s", g_strerror (saved_errno));
      return FALSE;
    }
  listen_source = g_source_new (&listen_funcs, sizeof (GSource));
  g_source_set_static_name (listen_source, "wpi-sim listeners");
  g_source_add_unix_fd (listen_source, epoll_fd, G_IO_IN);
  context = g_main_context_ref_thread_default ();
  g_source_attach (listen_source, context);
  return TRUE;
}

WpiSimListener *
wpi_sim_listener_new (GInetSocketAddress  *address,
                      SoupServer          *server,
                      GInetSocketAddress **bound,
                      GError             **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) local = NULL;
  WpiSimListener *listener;
  struct epoll_event event = { .events = EPOLLIN };

  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (address), NULL);
  g_return_val_if_fail (SOUP_IS_SERVER (server), NULL);

  if (!listeners_init (error))
    return NULL;

  socket = g_socket_new (g_socket_address_get_family (G_SOCKET_ADDRESS (address)),
                         G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, FALSE);
  g_socket_set_listen_backlog (socket, LISTEN_BACKLOG);
  if (!g_socket_bind (socket, G_SOCKET_ADDRESS (address), TRUE, error) ||
      !g_socket_listen (socket, error))
    return NULL;
  local = g_socket_get_local_address (socket, error);
  if (local == NULL)
    return NULL;

  listener = g_new0 (WpiSimListener, 1);
  listener->socket = g_steal_pointer (&socket);
  listener->server = server;
  event.data.ptr = listener;
  if (epoll_ctl (epoll_fd, EPOLL_CTL_ADD, g_socket_get_fd (listener->socket), &event) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "epoll_ctl: %s", g_strerror (saved_errno));
      wpi_sim_listener_free (listener);
      return NULL;
    }
  if (bound != NULL)
    *bound = G_INET_SOCKET_ADDRESS (g_steal_pointer (&local));
  return listener;
}

void
wpi_sim_listener_free (WpiSimListener *listener)
{
  if (listener == NULL)
    return;
  /* closing the descriptor also takes it out of the epoll set */
  epoll_ctl (epoll_fd, EPOLL_CTL_DEL, g_socket_get_fd (listener->socket), NULL);
  g_socket_close (listener->socket, NULL);
  g_object_unref (listener->socket);
  g_free (listener);
}
