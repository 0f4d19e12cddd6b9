/* wpc-headless.h: the provisioning service without a window
 *
 * `workpoint-console --headless` runs here, before GTK is touched, so it works on a
 * machine with no display.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when argv asks for --headless. */
gboolean wpc_headless_requested (int    argc,
                                 char **argv);
/* Runs until SIGINT or SIGTERM; returns the exit status. */
int      wpc_headless_run       (int    argc,
                                 char **argv);

G_END_DECLS
