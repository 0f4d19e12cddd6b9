/* wpc-confirm-dialog.c: the console's confirmations as AdwMessageDialog (issue 12 §1)
 *
 * One question over the window it is about, answered by Cancel or by the action named on
 * its button (GNOME HIG: "Dialogs"). Return and Escape both cancel: what a confirmation
 * guards is taken by a deliberate click, never by a key pressed for something else.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-confirm-dialog.h"

/* A dialog with the responses "cancel" and confirm_id, not shown yet: the caller connects
 * "response" and presents it. name is its widget name, for tests. */
GtkWidget *
wpc_confirm_dialog_new (GtkWindow             *parent,
                        const char            *name,
                        const char            *heading,
                        const char            *body,
                        const char            *confirm_id,
                        const char            *confirm_label,
                        AdwResponseAppearance  appearance)
{
  GtkWidget *dialog = adw_message_dialog_new (parent, heading, body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    confirm_id, confirm_label,
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), confirm_id, appearance);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  gtk_widget_set_name (dialog, name);
  return dialog;
}
