/* wpi-sim-events.h: timers and listening sockets shared by all simulated phones (internal)
 *
 * GLib polls every source of a main context on every iteration, so a thousand phones with
 * a listening socket and a few timers each would make every event cost a thousand checks.
 * Here all phone timers live in one ordered set behind one GSource, and all listening
 * sockets in one epoll set behind one file descriptor: an event costs O(log n). Everything
 * belongs to the thread-default main context of the first caller; phones run on one thread.
 */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/* One-shot timer: func runs once, after seconds (0: on the next main-loop iteration); its
 * return value is ignored. Ids are never 0. */
guint     wpi_sim_timer_add      (double        seconds,
                                  GSourceFunc   func,
                                  gpointer      data);
void      wpi_sim_timer_remove   (guint         id);
/* Removes the timer *id names, if any, and sets *id to 0. */
void      wpi_sim_timer_clear    (guint        *id);

typedef struct _WpiSimListener WpiSimListener;

/* Listens on address (port 0: any free port) and hands each accepted connection to server
 * with soup_server_accept_iostream(). *bound receives the address actually bound. */
WpiSimListener *wpi_sim_listener_new  (GInetSocketAddress  *address,
                                       SoupServer          *server,
                                       GInetSocketAddress **bound,
                                       GError             **error);
void            wpi_sim_listener_free (WpiSimListener      *listener);

G_END_DECLS
