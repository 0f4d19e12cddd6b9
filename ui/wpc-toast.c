/* wpc-toast.c: transient feedback as libadwaita toasts (issue 12 §1)
 *
 * A view shows a toast in the AdwToastOverlay around it (the window's), without knowing the
 * window. The last toast shown through an overlay is kept on it, so that a test (or the
 * accessibility tree's reader) can tell what the console said last. A view tested alone,
 * outside any overlay, keeps its last toast itself.
 */
#include "config.h"

#include "wpc-toast.h"

#define LAST_TOAST_KEY "wpc-last-toast"

static GObject *
toast_holder (GtkWidget *source)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (source, ADW_TYPE_TOAST_OVERLAY);

  return G_OBJECT (overlay != NULL ? overlay : source);
}

/* Takes ownership of toast (as adw_toast_overlay_add_toast() does). */
void
wpc_toast_show (GtkWidget *source,
                AdwToast  *toast)
{
  GtkWidget *overlay;

  g_return_if_fail (GTK_IS_WIDGET (source));
  g_return_if_fail (ADW_IS_TOAST (toast));

  overlay = gtk_widget_get_ancestor (source, ADW_TYPE_TOAST_OVERLAY);
  g_object_set_data_full (toast_holder (source), LAST_TOAST_KEY, g_object_ref (toast), g_object_unref);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (toast);
}

/* The last toast shown from source's overlay (or from source alone), or NULL. */
AdwToast *
wpc_toast_get_last (GtkWidget *source)
{
  g_return_val_if_fail (GTK_IS_WIDGET (source), NULL);

  return g_object_get_data (toast_holder (source), LAST_TOAST_KEY);
}
