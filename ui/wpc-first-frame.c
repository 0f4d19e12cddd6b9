/* wpc-first-frame.c: the start-up benchmark's probe
 *
 * Writes "first-frame US" on stdout once the window's first frame has been painted; US is
 * g_get_monotonic_time(), CLOCK_MONOTONIC, which the benchmark's clock shares. The console
 * calls it when WPC_BENCH_FIRST_FRAME is set; the benchmark's floor program always does,
 * so that both are timed to the same event.
 */
#include <stdio.h>

#include "wpc-first-frame.h"

static void
on_first_frame_painted (GdkFrameClock *frame_clock,
                        gpointer       user_data)
{
  printf ("first-frame %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  fflush (stdout);
  g_signal_handlers_disconnect_by_func (frame_clock, on_first_frame_painted, user_data);
}

static void
on_window_realized (GtkWidget *window,
                    gpointer   user_data)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (on_first_frame_painted), NULL);
  g_signal_handlers_disconnect_by_func (window, on_window_realized, user_data);
}

void
wpc_first_frame_report (GtkWindow *window)
{
  g_signal_connect (window, "realize", G_CALLBACK (on_window_realized), NULL);
}
