/* wpc-accessible.h: accessible names GTK 4.8 gets wrong */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void wpc_accessible_fix_mnemonic_names (GtkWidget *root);

G_END_DECLS
