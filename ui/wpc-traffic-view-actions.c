/* wpc-traffic-view-actions.c: the traffic inspector's actions
 *
 * Follow Flow, the exports with their file choosers, pause on Space, and the keyboard
 * shortcuts of all of them.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-traffic-view-private.h"

/* ---- Export ------------------------------------------------------------------------ */

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(WpcTrafficView) self = user_data;
  g_autoptr(GError) error = NULL;
  guint written = 0, skipped = 0;

  wpi_traffic_export_finish (result, &written, &skipped, &error);
  g_clear_object (&self->export_cancellable);
  /* Disposed meanwhile: nothing left to show it in */
  if (self->activity_label == NULL)
    return;

  g_clear_pointer (&self->export_message, g_free);
  if (error != NULL)
    self->export_message = g_strdup_printf (_("Export failed: %s"), error->message);
  else
    {
      char *text = NULL;

      if (skipped > 0)
        /* Translators: the second number counts messages whose body could not be decoded */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u message; %u not decoded were left out",
                                             "Exported %u messages; %u not decoded were left out", written),
                                written, skipped);
      else
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u message", "Exported %u messages",
                                             written), written);
      self->export_message = text;
    }
  _wpc_traffic_view_set_exporting (self, FALSE);
  _wpc_traffic_view_emit_export_finished (self, written, skipped, error);
}

void
wpc_traffic_view_export_to (WpcTrafficView         *self,
                            WpiTrafficExportFormat  format,
                            GFile                  *destination)
{
  g_autoptr(GArray) ids = NULL;

  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (!self->exporting);

  if (self->filter_model == NULL)
    return;

  ids = wpi_traffic_filter_model_dup_ids (self->filter_model);
  self->export_cancellable = g_cancellable_new ();
  g_clear_pointer (&self->export_message, g_free);
  _wpc_traffic_view_set_exporting (self, TRUE);
  wpi_traffic_export_async (self->store, ids, format, destination,
                            self->reveal_secrets ? WPI_DUMP_SHOW_SECRETS : WPI_DUMP_NONE,
                            self->export_cancellable, on_exported, g_object_ref (self));
}

gboolean
wpc_traffic_view_get_exporting (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);
  return self->exporting;
}

static void
on_export_response (GtkNativeDialog *chooser,
                    int              response,
                    WpcTrafficView  *self)
{
  WpiTrafficExportFormat format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "format"));

  if (response == GTK_RESPONSE_ACCEPT && !self->exporting)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        wpc_traffic_view_export_to (self, format, file);
    }
  g_signal_handlers_disconnect_by_data (chooser, self);
  g_clear_object (&self->export_chooser);
}

static void
choose_export (WpcTrafficView         *self,
               WpiTrafficExportFormat  format)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  if (self->export_chooser != NULL)
    return;

  if (format == WPI_TRAFFIC_EXPORT_XML)
    chooser = gtk_file_chooser_native_new (_("Export Messages as XML Files"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                           GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Export"), _("_Cancel"));
  else
    {
      chooser = gtk_file_chooser_native_new (_("Export Messages as JSON Lines"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                             GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "traffic.jsonl");
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_object_set_data (G_OBJECT (chooser), "format", GINT_TO_POINTER (format));
  g_signal_connect (chooser, "response", G_CALLBACK (on_export_response), self);
  self->export_chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->export_chooser);
}

/* ---- Actions ------------------------------------------------------------------------ */

static void
focus_filter_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

static void
apply_filter_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  _wpc_traffic_view_apply_filter (WPC_TRAFFIC_VIEW (widget));
}

static char *
quote_value (const char *value)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

static void
follow_flow_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  WpiTrafficEntry *entry = self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *text = NULL;

  if (entry == NULL || wpi_traffic_entry_get_flow (entry) == NULL)
    return;
  quoted = quote_value (wpi_traffic_entry_get_flow (entry));
  text = g_strdup_printf ("flow == %s", quoted);
  wpc_traffic_view_apply_filter_text (self, text);
}

static void
export_xml_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  choose_export (WPC_TRAFFIC_VIEW (widget), WPI_TRAFFIC_EXPORT_XML);
}

static void
export_json_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  choose_export (WPC_TRAFFIC_VIEW (widget), WPI_TRAFFIC_EXPORT_JSON_LINES);
}

/* Space pauses, except where it types or presses: in the filter entry, on a button. */
static gboolean
on_space (GtkWidget *widget,
          GVariant  *args,
          gpointer   user_data)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_BUTTON (focus) ||
                        (GTK_IS_TEXT_VIEW (focus) && gtk_text_view_get_editable (GTK_TEXT_VIEW (focus)))))
    return FALSE;
  wpc_traffic_view_set_paused (self, !self->paused);
  return TRUE;
}

/* ---- Class ------------------------------------------------------------------------- */

void
_wpc_traffic_view_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "traffic.focus-filter", NULL, focus_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.apply-filter", NULL, apply_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.follow-flow", NULL, follow_flow_action);
  gtk_widget_class_install_action (widget_class, "traffic.export-xml", NULL, export_xml_action);
  gtk_widget_class_install_action (widget_class, "traffic.export-json", NULL, export_json_action);
  gtk_widget_class_install_property_action (widget_class, "traffic.pause", "paused");
  gtk_widget_class_install_property_action (widget_class, "traffic.reveal-secrets", "reveal-secrets");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "traffic.focus-filter", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "traffic.follow-flow", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "traffic.pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "traffic.export-xml", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "traffic.export-json", NULL);
}

void
_wpc_traffic_view_actions_init (WpcTrafficView *self)
{
  GtkEventController *controller;

  controller = gtk_shortcut_controller_new ();
  gtk_event_controller_set_name (controller, "wpc-traffic-space");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_space, 0),
                                                          gtk_callback_action_new (on_space, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
}
