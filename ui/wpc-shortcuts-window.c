/* wpc-shortcuts-window.c: the Keyboard Shortcuts window */
#include "config.h"

#include "wpc-shortcuts-window.h"
#include "wpc-window.h"

/**
 * wpc_shortcuts_window_new:
 * @parent: (nullable): the window it belongs to
 *
 * Returns: (transfer none): a new shortcuts window, owned by GTK's window list until
 *   it is closed
 */
GtkWindow *
wpc_shortcuts_window_new (GtkWindow *parent)
{
  g_autoptr(GtkBuilder) builder = NULL;
  GtkWindow *window;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  builder = gtk_builder_new_from_resource ("/org/workpoint/Console/wpc-shortcuts-window.ui");
  window = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));

  gtk_window_set_transient_for (window, parent);
  /* The shortcuts of the view on screen, besides the general ones */
  if (WPC_IS_WINDOW (parent))
    g_object_set (window, "view-name", wpc_window_get_visible_view (WPC_WINDOW (parent)), NULL);
  gtk_window_set_modal (window, parent != NULL);
  if (parent != NULL)
    gtk_window_set_application (window, gtk_window_get_application (parent));

  return window;
}
