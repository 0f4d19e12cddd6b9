/* wpc-traffic-view-filter.c: the traffic inspector's display filter entry
 *
 * The entry shows a bad expression as the user types; Enter (or Apply) applies it to
 * the filter model, which scans in a worker thread.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-traffic-view-private.h"

/* ---- Filter ----------------------------------------------------------------------- */

static void
show_filter_error (WpcTrafficView *self,
                   const GError   *error)
{
  GtkWidget *entry = GTK_WIDGET (self->filter_entry);

  if (error == NULL)
    {
      gtk_widget_remove_css_class (entry, "error");
      gtk_widget_set_tooltip_text (entry, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->filter_error_label), FALSE);
      gtk_label_set_text (self->filter_error_label, "");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID);
      return;
    }

  gtk_widget_add_css_class (entry, "error");
  gtk_widget_set_tooltip_text (entry, error->message);
  gtk_label_set_text (self->filter_error_label, error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->filter_error_label), TRUE);
  gtk_accessible_update_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID,
                               GTK_ACCESSIBLE_INVALID_TRUE, -1);
}

static gboolean
text_is_blank (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

WpiFilter *
_wpc_traffic_view_parse_filter (WpcTrafficView  *self,
              const char      *text,
              GError         **error)
{
  /* With secrets revealed, a filter may look at them too. */
  return wpi_filter_parse (text, self->reveal_secrets ? WPI_FILTER_MATCH_SECRETS : WPI_FILTER_FLAGS_NONE,
                           NULL, error);
}

static void
on_filter_changed (WpcTrafficView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));
  g_autoptr(WpiFilter) filter = NULL;
  g_autoptr(GError) error = NULL;

  if (text_is_blank (text))
    {
      show_filter_error (self, NULL);
      return;
    }
  filter = _wpc_traffic_view_parse_filter (self, text, &error);
  show_filter_error (self, error);
}

void
_wpc_traffic_view_set_filter (WpcTrafficView *self,
            WpiFilter      *filter)
{
  self->select_after_filter = wpc_traffic_view_get_selected_id (self);
  if (filter != NULL)
    wpi_filter_ref (filter);
  g_clear_pointer (&self->filter, wpi_filter_unref);
  self->filter = filter;
  if (self->filter_model != NULL)
    wpi_traffic_filter_model_set_filter (self->filter_model, filter);
  _wpc_traffic_view_update_status (self);
}

gboolean
_wpc_traffic_view_apply_filter (WpcTrafficView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));
  g_autoptr(WpiFilter) filter = NULL;
  g_autoptr(GError) error = NULL;

  if (!text_is_blank (text))
    {
      filter = _wpc_traffic_view_parse_filter (self, text, &error);
      show_filter_error (self, error);
      if (filter == NULL)
        return FALSE;
    }
  else
    show_filter_error (self, NULL);

  _wpc_traffic_view_set_filter (self, filter);
  return TRUE;
}

static void
on_filter_activate (WpcTrafficView *self)
{
  _wpc_traffic_view_apply_filter (self);
}

/* ---- Public API -------------------------------------------------------------------- */

WpiFilter *
wpc_traffic_view_get_filter (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), NULL);
  return self->filter;
}

gboolean
wpc_traffic_view_apply_filter_text (WpcTrafficView *self,
                                    const char     *text)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), text);
  return _wpc_traffic_view_apply_filter (self);
}


/* ---- Class ------------------------------------------------------------------------- */

void
_wpc_traffic_view_class_filter_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_activate);
}
