/* wpc-first-frame.h: the start-up benchmark's probe (tests/bench/bench-startup.c) */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void wpc_first_frame_report (GtkWindow *window);

G_END_DECLS
