/* wpc-import-dialog.h: import a phone list (issue 14 §1, decisions.md D24)
 *
 * Asks for a CSV (GtkFileChooserNative), then previews it: each phone with what the
 * import would do to it (added, updated, unchanged), or every problem of the file with
 * its line and column. Import stays insensitive until the file has no problem. Reading,
 * checking (a dry run against the store) and importing run on a worker thread with a
 * store connection of its own: the UI never waits for the file or SQLite.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WPC_TYPE_IMPORT_DIALOG (wpc_import_dialog_get_type ())

G_DECLARE_FINAL_TYPE (WpcImportDialog, wpc_import_dialog, WPC, IMPORT_DIALOG, GtkWindow)

/* data_dir: the service's, whose store the phones go to */
WpcImportDialog *wpc_import_dialog_new            (GtkWindow       *parent,
                                                   const char      *data_dir);
/* Reads and previews file (NULL: none) */
void             wpc_import_dialog_set_file       (WpcImportDialog *self,
                                                   GFile           *file);
/* The preview is complete and may be imported */
gboolean         wpc_import_dialog_get_ready      (WpcImportDialog *self);
/* Nothing is being read, checked or imported */
gboolean         wpc_import_dialog_get_idle       (WpcImportDialog *self);
/* What the preview says in one line: "20 phones: 18 new, 2 updated, 0 unchanged" or
 * the count of problems */
const char      *wpc_import_dialog_get_summary    (WpcImportDialog *self);
/* The problems shown, one a line ("line 3, column 2 (sip-pwd): …"); "" when none */
const char      *wpc_import_dialog_get_problems   (WpcImportDialog *self);
/* Starts the import, as the Import button does; ::imported tells when it is stored */
void             wpc_import_dialog_import         (WpcImportDialog *self);

G_END_DECLS
