/* wpc-compare-dialog.h: "Compare With…", a phone's settings against another phone's or
 * a profile's (issue 14 §4, D27)
 *
 * The differences come from wpi-config-diff.h, computed off the GTK thread with a store
 * of their own (wpc-store-work.h), grouped by catalogue category; identity items are
 * left out and secret values masked until Reveal Secrets is on.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WPC_TYPE_COMPARE_DIALOG (wpc_compare_dialog_get_type ())

G_DECLARE_FINAL_TYPE (WpcCompareDialog, wpc_compare_dialog, WPC, COMPARE_DIALOG, GtkWindow)

/* phones: the WpiPhone list to choose the other phone from (mac itself is left out);
 * the profiles are read from the store in data_dir */
WpcCompareDialog *wpc_compare_dialog_new               (GtkWindow        *parent,
                                                        const char       *data_dir,
                                                        const char       *mac,
                                                        GListModel       *phones);
/* Compares with that phone or that profile; FALSE when it is not among the choices
 * (the profiles are there once the dialog is no longer busy) */
gboolean          wpc_compare_dialog_select_phone      (WpcCompareDialog *self,
                                                        const char       *mac);
gboolean          wpc_compare_dialog_select_profile    (WpcCompareDialog *self,
                                                        const char       *profile);
/* Loading choices or comparing (property "busy") */
gboolean          wpc_compare_dialog_get_busy          (WpcCompareDialog *self);
/* The differences of the last comparison; G_MAXUINT before one ended */
guint             wpc_compare_dialog_get_n_differences (WpcCompareDialog *self);

/* Fills box with the differences (WpiConfigDifference) under category headings, as
 * rows of item, this value, other value; secrets masked unless reveal; only the ones a
 * copy writes when writable_only. Shared with the Copy Settings dialog. */
void              wpc_config_differences_fill          (GtkBox           *box,
                                                        GPtrArray        *differences,
                                                        const char       *this_title,
                                                        const char       *other_title,
                                                        gboolean          reveal,
                                                        gboolean          writable_only);

G_END_DECLS
