/* wpc-cell-label.h: table cells that say what they cut off and what they leave empty
 * (issue 12 §4 and §5) */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWidget *wpc_cell_label_new           (void);
void       wpc_cell_label_set           (GtkLabel   *label,
                                         const char *text,
                                         const char *tooltip,
                                         const char *empty_name);
gboolean   wpc_cell_label_is_ellipsized (GtkLabel   *label);
char      *wpc_cell_label_dup_tooltip   (GtkLabel   *label);

G_END_DECLS
