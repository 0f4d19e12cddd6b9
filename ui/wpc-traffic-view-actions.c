/* wpc-traffic-view-actions.c: the traffic inspector's actions
 *
 * The context menus of list cells and details rows (Wireshark's Apply and Prepare as
 * Filter, Copy Value, Copy as Filter; issue 13 part 2), Follow Flow, the exports with
 * their file choosers, pause on Space and the pause button's state, and the keyboard
 * shortcuts of all of them.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-traffic-detail.h"
#include "wpc-traffic-view-private.h"
#include "wpc-toast.h"

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

  /* A failure stays in the status line; success is told once, by a toast (issue 12 §1) */
  g_clear_pointer (&self->export_message, g_free);
  if (error != NULL)
    self->export_message = g_strdup_printf (_("Export failed: %s"), error->message);
  else if (skipped > 0)
    /* Translators: the second number counts messages whose body could not be decoded */
    wpc_toast_show (GTK_WIDGET (self),
                    adw_toast_new_format (g_dngettext (GETTEXT_PACKAGE,
                                                       "%u message exported; %u not decoded were left out",
                                                       "%u messages exported; %u not decoded were left out",
                                                       written),
                                          written, skipped));
  else
    wpc_toast_show (GTK_WIDGET (self),
                    adw_toast_new_format (g_dngettext (GETTEXT_PACKAGE, "%u message exported",
                                                       "%u messages exported", written), written));
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
  else if (format == WPI_TRAFFIC_EXPORT_PCAPNG)
    {
      /* D29: HTTP over TCP for Wireshark */
      chooser = gtk_file_chooser_native_new (_("Export Messages as pcapng for Wireshark"),
                                             GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                             GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "traffic.pcapng");
    }
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

static void
follow_flow_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  WpiTrafficEntry *entry = self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  g_autofree char *text = NULL;

  if (entry == NULL || wpi_traffic_entry_get_flow (entry) == NULL)
    return;
  text = wpi_filter_build_equals ("flow", wpi_traffic_entry_get_flow (entry), NULL);
  if (text != NULL)
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

static void
export_pcapng_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  choose_export (WPC_TRAFFIC_VIEW (widget), WPI_TRAFFIC_EXPORT_PCAPNG);
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

/* ---- Context menus: where they open ---------------------------------------------------- */

gboolean
_wpc_traffic_view_popup_cell_menu (WpcTrafficView *self,
                                   guint           position,
                                   guint           column)
{
  g_autoptr(WpiTrafficEntry) entry = NULL;
  g_autofree char *filter_value = NULL;
  g_autofree char *copy_value = NULL;
  const char *field;

  if (self->filter_model == NULL || column >= N_COLUMNS)
    return FALSE;
  entry = g_list_model_get_item (G_LIST_MODEL (self->filter_model), position);
  if (entry == NULL)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, position);
  _wpc_traffic_view_cell_field (entry, column, &field, &filter_value, &copy_value);
  _wpc_traffic_view_set_context (self, field, filter_value, copy_value);
  return TRUE;
}

gboolean
_wpc_traffic_view_popup_detail_menu (WpcTrafficView *self,
                                     guint           row)
{
  g_autoptr(WpcTrafficDetail) node = _wpc_traffic_view_details_row_node (self, row);
  const char *value;

  if (node == NULL)
    return FALSE;
  gtk_single_selection_set_selected (self->details_selection, row);
  /* Copy Value copies the value itself (an item's, line breaks and all), else the line shown */
  value = wpc_traffic_detail_get_filter_value (node);
  if (value == NULL)
    value = wpc_traffic_detail_get_value (node);
  _wpc_traffic_view_set_context (self, wpc_traffic_detail_get_filter_field (node),
                                 wpc_traffic_detail_get_filter_value (node), value);
  return TRUE;
}

/* The list item of the widget at (x, y) in list, and the column (1-based, 0: none) of a
 * message list cell */
static GtkListItem *
list_item_at (GtkWidget *list,
              double     x,
              double     y,
              guint     *column)
{
  for (GtkWidget *widget = gtk_widget_pick (list, x, y, GTK_PICK_DEFAULT);
       widget != NULL && widget != list;
       widget = gtk_widget_get_parent (widget))
    {
      /* A click in a cell's padding picks the cell, whose child is ours. */
      GtkWidget *child = gtk_widget_get_first_child (widget);
      GtkWidget *marked = g_object_get_data (G_OBJECT (widget), "wpc-list-item") != NULL ? widget :
                          child != NULL && g_object_get_data (G_OBJECT (child), "wpc-list-item") != NULL ? child :
                          NULL;

      if (marked != NULL)
        {
          *column = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (marked), "wpc-column"));
          return g_object_get_data (G_OBJECT (marked), "wpc-list-item");
        }
    }
  return NULL;
}

static void
on_secondary_click (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    WpcTrafficView  *self)
{
  GtkWidget *list = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  guint column = 0;
  GtkListItem *item = list_item_at (list, x, y, &column);
  guint position = item != NULL ? gtk_list_item_get_position (item) : GTK_INVALID_LIST_POSITION;
  gboolean shown;

  if (position == GTK_INVALID_LIST_POSITION)
    return;
  if (list == GTK_WIDGET (self->details_list))
    shown = _wpc_traffic_view_popup_detail_menu (self, position);
  else
    shown = column > 0 && _wpc_traffic_view_popup_cell_menu (self, position, column - 1);
  if (!shown)
    return;
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  _wpc_traffic_view_show_context_menu (self, list, x, y);
}

static void
add_context_gesture (WpcTrafficView *self,
                     GtkWidget      *list)
{
  GtkGesture *gesture = gtk_gesture_click_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_SECONDARY);
  g_signal_connect (gesture, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (list, GTK_EVENT_CONTROLLER (gesture));
}

/* ---- Context menu: Wireshark's Apply/Prepare as Filter, Copy ------------------------ */

static const struct {
  const char       *name; /* the actions' target */
  WpiFilterCombine  how;
} combine_names[] = {
  { "selected", WPI_FILTER_COMBINE_REPLACE },
  { "not", WPI_FILTER_COMBINE_NOT },
  { "and", WPI_FILTER_COMBINE_AND },
  { "or", WPI_FILTER_COMBINE_OR },
  { "and-not", WPI_FILTER_COMBINE_AND_NOT },
  { "or-not", WPI_FILTER_COMBINE_OR_NOT },
};

void
_wpc_traffic_view_set_context (WpcTrafficView *self,
                               const char     *field,
                               const char     *filter_value,
                               const char     *copy_value)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->context_filter, g_free);
  g_clear_pointer (&self->context_value, g_free);
  if (field != NULL && filter_value != NULL)
    {
      self->context_filter = wpi_filter_build_equals (field, filter_value, &error);
      /* A value the field refuses, e.g. an address the phone wrote oddly */
      if (error != NULL)
        g_debug ("No filter for %s “%s”: %s", field, filter_value, error->message);
    }
  self->context_value = g_strdup (copy_value);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.apply-as-filter", self->context_filter != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.prepare-as-filter", self->context_filter != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.copy-as-filter", self->context_filter != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.copy-value",
                                 self->context_value != NULL && self->context_value[0] != '\0');
}

void
_wpc_traffic_view_show_context_menu (WpcTrafficView *self,
                                     GtkWidget      *widget,
                                     double          x,
                                     double          y)
{
  GdkRectangle point = { 0, 0, 1, 1 };
  double view_x = 0, view_y = 0;

  if (self->context_menu == NULL)
    {
      self->context_menu = gtk_popover_menu_new_from_model (self->context_menu_model);
      gtk_widget_set_parent (self->context_menu, GTK_WIDGET (self));
      gtk_widget_set_name (self->context_menu, "context-menu");
      gtk_popover_set_has_arrow (GTK_POPOVER (self->context_menu), FALSE);
      gtk_widget_set_halign (self->context_menu, GTK_ALIGN_START);
    }
  /* No pointer (the keyboard, a test): the middle of the widget */
  if (x < 0 || y < 0)
    {
      x = gtk_widget_get_width (widget) / 2.0;
      y = gtk_widget_get_height (widget) / 2.0;
    }
  if (gtk_widget_translate_coordinates (widget, GTK_WIDGET (self), x, y, &view_x, &view_y))
    {
      point.x = (int) view_x;
      point.y = (int) view_y;
    }
  gtk_popover_set_pointing_to (GTK_POPOVER (self->context_menu), &point);
  gtk_popover_popup (GTK_POPOVER (self->context_menu));
}

static gboolean
combine_from_name (const char       *name,
                   WpiFilterCombine *how)
{
  for (guint i = 0; i < G_N_ELEMENTS (combine_names); i++)
    if (g_strcmp0 (name, combine_names[i].name) == 0)
      {
        *how = combine_names[i].how;
        return TRUE;
      }
  return FALSE;
}

/* The context's test joined to what the entry holds */
static char *
context_filter_text (WpcTrafficView *self,
                     GVariant       *parameter)
{
  WpiFilterCombine how;

  if (self->context_filter == NULL || !combine_from_name (g_variant_get_string (parameter, NULL), &how))
    return NULL;
  return wpi_filter_combine (gtk_editable_get_text (GTK_EDITABLE (self->filter_entry)), how,
                             self->context_filter);
}

static void
apply_as_filter_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  g_autofree char *text = context_filter_text (self, parameter);

  if (text != NULL)
    wpc_traffic_view_apply_filter_text (self, text);
}

/* Prepare: the entry gets the text, to be edited and applied with Enter. */
static void
prepare_as_filter_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  g_autofree char *text = context_filter_text (self, parameter);

  if (text == NULL)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), text);
  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
  gtk_editable_set_position (GTK_EDITABLE (self->filter_entry), -1);
}

static void
copy_value_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);

  if (self->context_value != NULL)
    {
      gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->context_value);
      wpc_toast_show (widget, adw_toast_new (_("Value copied")));
    }
}

static void
copy_as_filter_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);

  if (self->context_filter != NULL)
    {
      gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->context_filter);
      wpc_toast_show (widget, adw_toast_new (_("Filter copied")));
    }
}

/* "No Messages Match"'s way back: every message again */
static void
clear_filter_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);

  (void) action_name;
  (void) parameter;

  wpc_traffic_view_apply_filter_text (self, "");
  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

static gboolean
is_within (GtkWidget *focus,
           GtkWidget *widget)
{
  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/* Shift+F10 or the Menu key: the context menu of the details row selected, else of the
 * selected message's Phone cell. */
static void
context_menu_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  guint row = self->details_selection != NULL ? gtk_single_selection_get_selected (self->details_selection)
                                              : GTK_INVALID_LIST_POSITION;
  guint position = self->selection != NULL ? gtk_single_selection_get_selected (self->selection)
                                           : GTK_INVALID_LIST_POSITION;

  if (is_within (focus, GTK_WIDGET (self->details_list)) && _wpc_traffic_view_popup_detail_menu (self, row))
    _wpc_traffic_view_show_context_menu (self, GTK_WIDGET (self->details_list), -1, -1);
  else if (is_within (focus, GTK_WIDGET (self->message_list)) &&
           _wpc_traffic_view_popup_cell_menu (self, position, 2 /* Phone */))
    _wpc_traffic_view_show_context_menu (self, GTK_WIDGET (self->message_list), -1, -1);
}

/* ---- Pause and auto-scroll ------------------------------------------------------------ */

/* The pause button says what it does now: pause a live capture, or resume a paused one. */
void
_wpc_traffic_view_update_pause_button (WpcTrafficView *self)
{
  const char *tooltip = self->paused ? _("Resume the live capture (Space)") : _("Pause the live capture (Space)");

  if (self->pause_button == NULL)
    return;
  gtk_button_set_icon_name (GTK_BUTTON (self->pause_button),
                            self->paused ? "media-playback-start-symbolic" : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->pause_button), tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pause_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  self->paused ? _("Resume live capture") : _("Pause live capture"), -1);
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
  gtk_widget_class_install_action (widget_class, "traffic.export-pcapng", NULL, export_pcapng_action);
  gtk_widget_class_install_property_action (widget_class, "traffic.pause", "paused");
  gtk_widget_class_install_property_action (widget_class, "traffic.auto-scroll", "auto-scroll");
  gtk_widget_class_install_action (widget_class, "traffic.apply-as-filter", "s", apply_as_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.prepare-as-filter", "s", prepare_as_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.copy-value", NULL, copy_value_action);
  gtk_widget_class_install_action (widget_class, "traffic.copy-as-filter", NULL, copy_as_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.clear-filter", NULL, clear_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.context-menu", NULL, context_menu_action);
  gtk_widget_class_install_property_action (widget_class, "traffic.reveal-secrets", "reveal-secrets");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "traffic.focus-filter", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "traffic.follow-flow", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "traffic.pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "traffic.export-xml", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "traffic.export-json", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "traffic.context-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "traffic.context-menu", NULL);
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

  add_context_gesture (self, GTK_WIDGET (self->message_list));
  add_context_gesture (self, GTK_WIDGET (self->details_list));
  _wpc_traffic_view_set_context (self, NULL, NULL, NULL);
  _wpc_traffic_view_update_pause_button (self);
}

void
_wpc_traffic_view_actions_dispose (WpcTrafficView *self)
{
  if (self->context_menu != NULL)
    gtk_popover_popdown (GTK_POPOVER (self->context_menu));
  g_clear_pointer (&self->context_menu, gtk_widget_unparent);
  g_clear_pointer (&self->context_filter, g_free);
  g_clear_pointer (&self->context_value, g_free);
}
