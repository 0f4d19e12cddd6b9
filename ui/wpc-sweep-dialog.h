/* wpc-sweep-dialog.h: find phones by sweeping an address range (issue 14 §2, D25)
 *
 * The technician types a range (checked as typed: its size, whether the settings allow it,
 * the confirmation a range above 1,024 addresses needs, asked when Start is pressed), starts the sweep, watches its
 * progress and may stop it; the list shows each address that answered or refused and the
 * phone that then registered from it. The contact-mes go out from the GTK thread's main
 * context without blocking it (WpiSweep is asynchronous); the phones are matched from the
 * service host's phones mirror. Closing the dialog stops the sweep.
 */
#pragma once

#include <gtk/gtk.h>

#include "wpi-service-host.h"
#include "wpi-sweep.h"

G_BEGIN_DECLS

#define WPC_TYPE_SWEEP_DIALOG (wpc_sweep_dialog_get_type ())

G_DECLARE_FINAL_TYPE (WpcSweepDialog, wpc_sweep_dialog, WPC, SWEEP_DIALOG, GtkWindow)

/* settings: the console's (sweep-rate, sweep-allow-public), or NULL for the defaults */
WpcSweepDialog *wpc_sweep_dialog_new       (GtkWindow       *parent,
                                            WpiServiceHost  *service,
                                            GSettings       *settings);
/* The sweep under way or last run, NULL before the first start */
WpiSweep       *wpc_sweep_dialog_get_sweep (WpcSweepDialog  *self);

G_END_DECLS
