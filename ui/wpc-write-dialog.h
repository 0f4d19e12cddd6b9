/* wpc-write-dialog.h: the items to write to phones (or, without values, to read)
 *
 * Rows of name, index and value, checked against the item catalogue as they are typed;
 * each row says what is wrong with it, and the dialog's button stays off until every
 * row is right. Items with fixed choices (closed enumerations, booleans) get a drop-down
 * of their meanings; writing an item the catalogue does not know asks first (D32).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

typedef enum {
  WPC_WRITE_DIALOG_WRITE,
  WPC_WRITE_DIALOG_READ,
} WpcWriteDialogMode;

#define WPC_TYPE_WRITE_DIALOG (wpc_write_dialog_get_type ())

G_DECLARE_FINAL_TYPE (WpcWriteDialog, wpc_write_dialog, WPC, WRITE_DIALOG, AdwWindow)

/* targets: the phones it is for, shown at the top */
WpcWriteDialog     *wpc_write_dialog_new        (GtkWindow          *parent,
                                                 WpcWriteDialogMode  mode,
                                                 const char         *targets);
WpcWriteDialogMode  wpc_write_dialog_get_mode   (WpcWriteDialog     *self);
/* A new row, filled in (each may be NULL); returns its position. */
guint               wpc_write_dialog_add_row    (WpcWriteDialog     *self,
                                                 const char         *name,
                                                 const char         *index,
                                                 const char         *value);
guint               wpc_write_dialog_get_n_rows (WpcWriteDialog     *self);
/* The message shown under a row: NULL when it is fine */
const char         *wpc_write_dialog_get_row_message (WpcWriteDialog *self,
                                                      guint           row);
gboolean            wpc_write_dialog_get_valid  (WpcWriteDialog     *self);
/* WpiStoreItem of the filled rows (values NULL when reading), or NULL while any row is
 * wrong */
GArray             *wpc_write_dialog_get_items  (WpcWriteDialog     *self);

G_END_DECLS
