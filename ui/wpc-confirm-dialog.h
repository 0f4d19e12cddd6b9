/* wpc-confirm-dialog.h: the console's confirmations as AdwMessageDialog (issue 12 §1) */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

GtkWidget *wpc_confirm_dialog_new (GtkWindow             *parent,
                                   const char            *name,
                                   const char            *heading,
                                   const char            *body,
                                   const char            *confirm_id,
                                   const char            *confirm_label,
                                   AdwResponseAppearance  appearance);

G_END_DECLS
