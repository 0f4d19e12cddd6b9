/* wpc-first-frame.c: something to do once a window's first frame is on screen
 *
 * The console starts what can wait (the demo's phones) after its first frame, so that
 * the window comes up first (issue 12: start-up). The start-up benchmark's probe uses
 * the same hook: with WPC_BENCH_FIRST_FRAME set, the console writes "first-frame US" on
 * stdout, US being g_get_monotonic_time(), CLOCK_MONOTONIC, which the benchmark's clock
 * shares; the benchmark's floor program always does, so both are timed to one event.
 */
#include <stdio.h>

#include "wpc-first-frame.h"

typedef struct {
  GtkWindow        *window;      /* not a reference: the connections go with it */
  WpcFirstFrameFunc func;
  gpointer          user_data;
} FirstFrameCall;

static FirstFrameCall *
first_frame_call_new (GtkWindow         *window,
                      WpcFirstFrameFunc  func,
                      gpointer           user_data)
{
  FirstFrameCall *call = g_new0 (FirstFrameCall, 1);

  call->window = window;
  call->func = func;
  call->user_data = user_data;
  return call;
}

static void
first_frame_call_free (gpointer  data,
                       GClosure *closure)
{
  g_free (data);
}

static void
on_after_paint (GdkFrameClock  *frame_clock,
                FirstFrameCall *call)
{
  GtkWindow *window = call->window;
  WpcFirstFrameFunc func = call->func;
  gpointer user_data = call->user_data;

  /* frees call */
  g_signal_handlers_disconnect_by_func (frame_clock, on_after_paint, call);
  func (window, user_data);
}

/* call: taken; freed with the connection */
static void
connect_after_paint (FirstFrameCall *call)
{
  g_signal_connect_data (gtk_widget_get_frame_clock (GTK_WIDGET (call->window)), "after-paint",
                         G_CALLBACK (on_after_paint), call, first_frame_call_free, 0);
}

static void
on_window_realized (GtkWindow      *window,
                    FirstFrameCall *call)
{
  connect_after_paint (first_frame_call_new (window, call->func, call->user_data));
  /* frees call */
  g_signal_handlers_disconnect_by_func (window, on_window_realized, call);
}

void
wpc_first_frame_connect (GtkWindow         *window,
                         WpcFirstFrameFunc  func,
                         gpointer           user_data)
{
  FirstFrameCall *call;

  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (func != NULL);

  call = first_frame_call_new (window, func, user_data);
  if (gtk_widget_get_realized (GTK_WIDGET (window)))
    connect_after_paint (call);
  else
    /* a window destroyed before it is shown frees call with the connection */
    g_signal_connect_data (window, "realize", G_CALLBACK (on_window_realized), call,
                           first_frame_call_free, 0);
}

static void
print_first_frame (GtkWindow *window,
                   gpointer   user_data)
{
  printf ("first-frame %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  fflush (stdout);
}

void
wpc_first_frame_report (GtkWindow *window)
{
  wpc_first_frame_connect (window, print_first_frame, NULL);
}
