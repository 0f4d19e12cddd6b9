/* wpc-copy-settings-dialog.h: "Copy Settings To…", make the selected phones like one of
 * them (issue 14 §4, D27)
 *
 * The technician picks the phone to copy from among the selection; the others are the
 * targets. The preview lists, per target, the items its write-items job would carry
 * (the writable differences, wpi-config-diff.h) before anything is queued; Queue Jobs
 * queues them all in one transaction, off the GTK thread, and emits ::queued.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WPC_TYPE_COPY_SETTINGS_DIALOG (wpc_copy_settings_dialog_get_type ())

G_DECLARE_FINAL_TYPE (WpcCopySettingsDialog, wpc_copy_settings_dialog, WPC, COPY_SETTINGS_DIALOG, GtkWindow)

/* macs: the selected phones, at least two; the first is the source until another is
 * chosen */
WpcCopySettingsDialog *wpc_copy_settings_dialog_new        (GtkWindow             *parent,
                                                            const char            *data_dir,
                                                            const char * const    *macs);
gboolean               wpc_copy_settings_dialog_set_source (WpcCopySettingsDialog *self,
                                                            const char            *mac);
/* Previewing or queueing (property "busy") */
gboolean               wpc_copy_settings_dialog_get_busy   (WpcCopySettingsDialog *self);
/* The items the jobs of the current preview would carry, over all targets */
guint                  wpc_copy_settings_dialog_get_n_items (WpcCopySettingsDialog *self);

G_END_DECLS
