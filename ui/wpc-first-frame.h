/* wpc-first-frame.h: something to do once a window's first frame is on screen; the
 * start-up benchmark's probe (tests/bench/bench-startup.c) */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef void (*WpcFirstFrameFunc) (GtkWindow *window,
                                   gpointer   user_data);

/* Calls func once, right after window's first frame has been painted. */
void wpc_first_frame_connect (GtkWindow         *window,
                              WpcFirstFrameFunc  func,
                              gpointer           user_data);

/* Writes "first-frame US" on stdout then (US: g_get_monotonic_time()). */
void wpc_first_frame_report  (GtkWindow         *window);

G_END_DECLS
