/* wpc-shortcuts-window.h: the Keyboard Shortcuts window
 *
 * GtkShortcutsWindow cannot be subclassed (its class structure is private), so this is a
 * constructor for the window described in wpc-shortcuts-window.ui rather than a type.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GtkWindow *wpc_shortcuts_window_new (GtkWindow *parent);

G_END_DECLS
