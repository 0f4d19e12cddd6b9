/* wpc-phones-view.c: the Phones view
 *
 * The list is a GtkColumnView over service phones -> filter (search) -> sort (column
 * headers) -> multi-selection. The selection and scroll position stay put while phones
 * talk: see wpc-phones-view-columns.c for how the cells follow their phones. The actions
 * on the selection are in wpc-phones-view-actions.c.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpc-accessible.h"
#include "wpc-phone-details.h"
#include "wpc-phone-format.h"
#include "wpc-phones-view-private.h"
#include "wpc-toast.h"
#include "wpi-phone.h"

#define LAST_CONTACT_REFRESH_SECONDS 5
#define SEARCH_DELAY_MS              150

G_DEFINE_FINAL_TYPE (WpcPhonesView, wpc_phones_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SERVICE,
  PROP_SETTINGS,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Managed shortcuts: they work anywhere in the window while the view is shown. Keep in
 * step with the menu in wpc-phones-view.ui and wpc-shortcuts-window.ui. */
static const struct {
  const char *trigger;
  const char *action;
} view_shortcuts[] = {
  { "<Control>f", "phone.find" },
  { "<Control>r", "phone.read-all" },
  { "<Control>i", "phone.read-items" },
  { "F5", "phone.contact-me" },
  { "<Control>e", "phone.write-items" },
  { "<Control><Shift>p", "phone.apply-profile" },
  { "<Control><Shift>b", "phone.bootstrap" },
  { "<Control><Shift>f", "phone.deploy-file" },
  { "<Control><Shift>u", "phone.deploy-firmware" },
  { "<Control><Shift>r", "phone.restart" },
  { "<Control><Shift>Delete", "phone.factory-reset" },
  { "Escape", "phone.cancel-bulk" },
  { "<Shift>F10", "phone.context-menu" },
  { "Menu", "phone.context-menu" },
};

/* Models ------------------------------------------------------------------------- */

static void
setup_models (WpcPhonesView *self)
{
  self->search_filter = GTK_FILTER (gtk_custom_filter_new (_wpc_phones_view_match_search, self, NULL));
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (self->search_filter));
  self->sort_model = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->filter_model)),
                                              g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (g_object_ref (self->sort_model)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
}

/* Selection, counts, details ----------------------------------------------------- */

guint
_wpc_phones_view_selection_size (WpcPhonesView *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));

  return (guint) gtk_bitset_get_size (selected);
}

static void
update_count (WpcPhonesView *self)
{
  guint total = self->phones != NULL ? g_list_model_get_n_items (self->phones) : 0;
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->sort_model));
  guint selected = _wpc_phones_view_selection_size (self);
  g_autofree char *phones = NULL;
  g_autofree char *text = NULL;

  if (shown == total)
    phones = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u phone", "%u phones", total), total);
  else
    /* Translators: phones left by the search, e.g. "5 of 20 phones" */
    phones = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u phone", "%u of %u phones", total),
                              shown, total);

  if (selected > 0)
    /* Translators: e.g. "20 phones, 2 selected" */
    text = g_strdup_printf (_("%s, %u selected"), phones, selected);
  else
    text = g_steal_pointer (&phones);
  gtk_label_set_text (self->count_label, text);
}

static void
update_details (WpcPhonesView *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  guint n = (guint) gtk_bitset_get_size (selected);

  if (n == 1)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (G_LIST_MODEL (self->selection),
                                                         gtk_bitset_get_minimum (selected));

      wpc_phone_details_set_phone (self->details, phone);
      gtk_stack_set_visible_child_name (self->details_stack, "details");
      return;
    }

  wpc_phone_details_set_phone (self->details, NULL);
  if (n == 0)
    gtk_label_set_text (self->details_placeholder,
                        _("Select a phone to see its items, jobs and traffic."));
  else
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "%u phone selected. Actions apply to all of them.",
                                      "%u phones selected. Actions apply to all of them.", n), n);
      gtk_label_set_text (self->details_placeholder, text);
    }
  gtk_stack_set_visible_child_name (self->details_stack, "placeholder");
}

static void
on_selection_changed (WpcPhonesView *self)
{
  update_details (self);
  update_count (self);
  _wpc_phones_view_actions_update (self);
}

/* A search that leaves no row shows a status page, not a blank list (issue 12 §1) */
static void
update_no_match (WpcPhonesView *self)
{
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  gboolean no_match = self->search != NULL && g_list_model_get_n_items (G_LIST_MODEL (self->sort_model)) == 0;

  if (no_match)
    {
      /* Translators: %s is what was typed in the search */
      g_autofree char *text = g_strdup_printf (_("No phone has “%s” in any column."), search);

      adw_status_page_set_description (self->no_match_page, text);
    }
  gtk_stack_set_visible_child_name (self->list_stack, no_match ? "no-match" : "list");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "phone.clear-search", search[0] != '\0');
}

static void
on_rows_changed (WpcPhonesView *self)
{
  update_count (self);
  update_no_match (self);
  /* Filtering may drop the phone whose details are shown from the selection */
  update_details (self);
  _wpc_phones_view_actions_update (self);
}

static char *
fold_search (const char *search)
{
  g_autofree char *folded = NULL;

  if (search == NULL || search[0] == '\0')
    return NULL;
  folded = g_utf8_casefold (search, -1);
  return g_utf8_normalize (folded, -1, G_NORMALIZE_ALL);
}

static void
apply_search (WpcPhonesView *self)
{
  g_autofree char *previous = g_steal_pointer (&self->search);
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  self->search = fold_search (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  self->search_time = g_get_real_time ();
  if (g_strcmp0 (previous, self->search) == 0)
    return;

  /* Typing on only narrows, deleting only widens: the filter model rechecks fewer rows */
  if (self->search != NULL && (previous == NULL || strstr (self->search, previous) != NULL))
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (previous != NULL && (self->search == NULL || strstr (previous, self->search) != NULL))
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  gtk_filter_changed (self->search_filter, change);
  update_no_match (self);
}

static gboolean
search_timeout (gpointer user_data)
{
  WpcPhonesView *self = user_data;

  self->search_source = 0;
  apply_search (self);
  return G_SOURCE_REMOVE;
}

/* GtkSearchEntry's own search-changed fires at once when the text becomes empty, which
 * it does for an instant when typed text replaces a selection or the text is set: the
 * whole list would be shown and dropped again, 10,000 rows. So the view waits a little
 * for typing, and one main-loop turn for a cleared entry. */
static void
on_search_text_changed (WpcPhonesView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  g_clear_handle_id (&self->search_source, g_source_remove);
  if (text[0] == '\0')
    self->search_source = g_idle_add (search_timeout, self);
  else
    self->search_source = g_timeout_add (SEARCH_DELAY_MS, search_timeout, self);
}

/* Messages and progress ------------------------------------------------------------ */

/* Feedback as a toast (issue 12 §1); an error stays until dismissed, as the HIG keeps
 * toasts for what may pass unnoticed. */
void
_wpc_phones_view_show_message (WpcPhonesView  *self,
                               GtkMessageType  type,
                               const char     *text)
{
  AdwToast *toast = adw_toast_new (text);

  if (type == GTK_MESSAGE_ERROR)
    {
      adw_toast_set_timeout (toast, 0);
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
    }
  wpc_toast_show (GTK_WIDGET (self), toast);
}

void
_wpc_phones_view_notify_busy (WpcPhonesView *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Search and context menu -------------------------------------------------------- */

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

static void
clear_search_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  wpc_phones_view_set_search (self, NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
context_menu_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_popover_set_pointing_to (GTK_POPOVER (self->context_menu), NULL);
  gtk_popover_popup (GTK_POPOVER (self->context_menu));
}

static void
on_secondary_click (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    WpcPhonesView   *self)
{
  GdkRectangle rect = { 0, 0, 1, 1 };
  double view_x = x;
  double view_y = y;

  gtk_widget_translate_coordinates (GTK_WIDGET (self->column_view), GTK_WIDGET (self), x, y, &view_x, &view_y);
  rect.x = (int) view_x;
  rect.y = (int) view_y;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->context_menu), &rect);
  gtk_popover_popup (GTK_POPOVER (self->context_menu));
}
/* Keys in the list ------------------------------------------------------------- */

/* Tab leaves the list for the details, Shift+Tab for the search, rather than moving
 * row by row (issue 12 §4) */
static gboolean
list_tab (GtkWidget *widget,
          GVariant  *args,
          gpointer   user_data)
{
  WpcPhonesView *self = user_data;

  if (g_variant_get_boolean (args))
    return gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  return gtk_widget_child_focus (GTK_WIDGET (self->details_stack), GTK_DIR_TAB_FORWARD);
}

/* Space on a row would select that row alone and drop the rest of the selection: with
 * a selection, Space keeps it (issue 12 §4); with none, it selects as usual. */
static gboolean
list_space (GtkWidget *widget,
            GVariant  *args,
            gpointer   user_data)
{
  WpcPhonesView *self = user_data;

  return _wpc_phones_view_selection_size (self) > 0;
}

static void
setup_list_keys (WpcPhonesView *self)
{
  GtkEventController *keys = gtk_shortcut_controller_new ();
  GtkShortcutController *controller = GTK_SHORTCUT_CONTROLLER (keys);

  /* Before the row that has the focus sees the key */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (controller,
                                        gtk_shortcut_new_with_arguments (gtk_shortcut_trigger_parse_string ("Tab"),
                                                                         gtk_callback_action_new (list_tab, self, NULL),
                                                                         "b", FALSE));
  gtk_shortcut_controller_add_shortcut (controller,
                                        gtk_shortcut_new_with_arguments (gtk_shortcut_trigger_parse_string ("<Shift>Tab|<Shift>ISO_Left_Tab"),
                                                                         gtk_callback_action_new (list_tab, self, NULL),
                                                                         "b", TRUE));
  gtk_shortcut_controller_add_shortcut (controller,
                                        gtk_shortcut_new (gtk_shortcut_trigger_parse_string ("space"),
                                                          gtk_callback_action_new (list_space, self, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), keys);
}

/* Service ------------------------------------------------------------------------ */

static void
set_phones (WpcPhonesView *self,
            GListModel    *phones)
{
  if (self->phones != NULL)
    g_signal_handlers_disconnect_by_func (self->phones, update_count, self);
  g_set_object (&self->phones, phones);
  if (phones != NULL)
    g_signal_connect_object (phones, "items-changed", G_CALLBACK (update_count), self, G_CONNECT_SWAPPED);
  gtk_filter_list_model_set_model (self->filter_model, phones);
  update_count (self);
}

void
wpc_phones_view_set_service (WpcPhonesView *self,
                             WpiServiceHost    *service)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (service == NULL || WPI_IS_SERVICE_HOST (service));

  if (!g_set_object (&self->service, service))
    return;

  wpc_phone_details_set_service (self->details, service);
  set_phones (self, service != NULL ? wpi_service_host_get_phones (service) : NULL);
  _wpc_phones_view_actions_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVICE]);
}

/**
 * wpc_phones_view_set_phones:
 * @phones: (nullable): a model of WpiPhone
 */
void
wpc_phones_view_set_phones (WpcPhonesView *self,
                            GListModel    *phones)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (phones == NULL || G_IS_LIST_MODEL (phones));

  wpc_phones_view_set_service (self, NULL);
  set_phones (self, phones);
}

void
wpc_phones_view_set_settings (WpcPhonesView *self,
                              GSettings     *settings)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (g_set_object (&self->settings, settings))
    {
      wpc_phone_details_set_settings (self->details, settings);
      _wpc_phones_view_layout_settings_changed (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
    }
}

/* GObject ------------------------------------------------------------------------ */

static void
wpc_phones_view_map (GtkWidget *widget)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  GTK_WIDGET_CLASS (wpc_phones_view_parent_class)->map (widget);

  self->setting_widths = TRUE;
  _wpc_phones_view_set_column_widths (self);
  self->setting_widths = FALSE;
  _wpc_phones_view_queue_fit_columns (self);
  _wpc_phones_view_refresh_last_contact (self);
  self->tick_source = g_timeout_add_seconds (LAST_CONTACT_REFRESH_SECONDS, _wpc_phones_view_refresh_last_contact, self);
}

static void
wpc_phones_view_unmap (GtkWidget *widget)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  g_clear_handle_id (&self->tick_source, g_source_remove);

  GTK_WIDGET_CLASS (wpc_phones_view_parent_class)->unmap (widget);
}

/* Measured and allocated by hand rather than by a GtkBinLayout: the context menu, a
 * popover, must be presented by its parent. */
static void
wpc_phones_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_widget_measure (self->box, orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
}

static void
wpc_phones_view_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_widget_allocate (self->box, width, height, baseline, NULL);
  /* A popover's parent places it */
  if (self->context_menu != NULL)
    gtk_popover_present (GTK_POPOVER (self->context_menu));
}

static void
wpc_phones_view_dispose (GObject *object)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  _wpc_phones_view_actions_dispose (self);
  _wpc_phones_view_layout_dispose (self);
  /* The column view's sorter changes as its columns go; nothing here needs to hear it */
  if (self->sort_model != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sort_model, self);
      gtk_sort_list_model_set_sorter (self->sort_model, NULL);
    }
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->search_source, g_source_remove);
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);
  if (self->context_menu != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->context_menu));
  self->context_menu = NULL;

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_PHONES_VIEW);

  if (self->phones != NULL)
    g_signal_handlers_disconnect_by_func (self->phones, update_count, self);
  g_clear_object (&self->phones);
  g_clear_object (&self->selection);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->service);
  g_clear_object (&self->settings);
  g_clear_object (&self->search_filter);
  g_clear_pointer (&self->search, g_free);
  if (self->search_buffer != NULL)
    g_string_free (g_steal_pointer (&self->search_buffer), TRUE);
  g_clear_pointer (&self->last_contact_labels, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (wpc_phones_view_parent_class)->dispose (object);
}

static void
wpc_phones_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      g_value_set_object (value, self->service);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->bulk != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_phones_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      wpc_phones_view_set_service (self, g_value_get_object (value));
      break;
    case PROP_SETTINGS:
      wpc_phones_view_set_settings (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_phones_view_class_init (WpcPhonesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_phones_view_dispose;
  object_class->get_property = wpc_phones_view_get_property;
  object_class->set_property = wpc_phones_view_set_property;

  widget_class->map = wpc_phones_view_map;
  widget_class->unmap = wpc_phones_view_unmap;
  widget_class->measure = wpc_phones_view_measure;
  widget_class->size_allocate = wpc_phones_view_size_allocate;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, WPI_TYPE_SERVICE_HOST,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /** WpcPhonesView:busy: jobs are being queued (the progress bar shows) */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (WPC_TYPE_PHONE_DETAILS);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-phones-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, box);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, progress_box);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, list_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, no_match_page);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, list_scroller);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, paned);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, column_view);
  gtk_widget_class_bind_template_child_full (widget_class, "state_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_STATE]));
  gtk_widget_class_bind_template_child_full (widget_class, "mac_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_MAC]));
  gtk_widget_class_bind_template_child_full (widget_class, "number_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_NUMBER]));
  gtk_widget_class_bind_template_child_full (widget_class, "model_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_MODEL]));
  gtk_widget_class_bind_template_child_full (widget_class, "location_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_LOCATION]));
  gtk_widget_class_bind_template_child_full (widget_class, "firmware_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_FIRMWARE]));
  gtk_widget_class_bind_template_child_full (widget_class, "ip_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_IP]));
  gtk_widget_class_bind_template_child_full (widget_class, "mode_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_MODE]));
  gtk_widget_class_bind_template_child_full (widget_class, "last_contact_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_LAST_CONTACT]));
  gtk_widget_class_bind_template_child_full (widget_class, "pending_jobs_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_PENDING_JOBS]));
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, details_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, details_placeholder);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, details);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, phone_menu);

  _wpc_phones_view_actions_class_init (widget_class);
  _wpc_phones_view_import_class_init (widget_class);
  gtk_widget_class_install_action (widget_class, "phone.find", NULL, find_action);
  gtk_widget_class_install_action (widget_class, "phone.clear-search", NULL, clear_search_action);
  gtk_widget_class_install_action (widget_class, "phone.context-menu", NULL, context_menu_action);

  gtk_widget_class_set_css_name (widget_class, "wpc-phones-view");
}

static void
wpc_phones_view_init (WpcPhonesView *self)
{
  GtkEventController *shortcuts;
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* its own: the window builds it after the window fixed the names it had then */
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->last_contact_labels = g_hash_table_new (NULL, NULL);
  self->search_buffer = g_string_sized_new (256);
  _wpc_phones_view_setup_columns (self);
  _wpc_phones_view_setup_layout (self);
  setup_models (self);
  setup_list_keys (self);

  g_signal_connect_object (self->selection, "selection-changed",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sort_model, "items-changed",
                           G_CALLBACK (on_rows_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "changed",
                           G_CALLBACK (on_search_text_changed), self, G_CONNECT_SWAPPED);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self->column_view));

  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_MANAGED);
  for (guint i = 0; i < G_N_ELEMENTS (view_shortcuts); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_shortcut_trigger_parse_string (view_shortcuts[i].trigger),
                                                            gtk_named_action_new (view_shortcuts[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  self->context_menu = GTK_POPOVER_MENU (gtk_popover_menu_new_from_model (self->phone_menu));
  gtk_popover_set_has_arrow (GTK_POPOVER (self->context_menu), FALSE);
  gtk_widget_set_halign (GTK_WIDGET (self->context_menu), GTK_ALIGN_START);
  gtk_widget_set_parent (GTK_WIDGET (self->context_menu), GTK_WIDGET (self));
  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), GTK_EVENT_CONTROLLER (click));

  update_count (self);
  update_details (self);
  update_no_match (self);
  _wpc_phones_view_actions_update (self);
}

GtkWidget *
wpc_phones_view_new (void)
{
  return g_object_new (WPC_TYPE_PHONES_VIEW, NULL);
}

/**
 * wpc_phones_view_get_service:
 *
 * Returns: (transfer none) (nullable): the service whose phones are shown
 */
WpiServiceHost *
wpc_phones_view_get_service (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return self->service;
}

/**
 * wpc_phones_view_get_selection:
 *
 * Returns: (transfer none): the rows as shown, filtered and sorted, with the selection
 */
GtkSelectionModel *
wpc_phones_view_get_selection (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}

/**
 * wpc_phones_view_get_column_view:
 *
 * Returns: (transfer none): the list
 */
GtkColumnView *
wpc_phones_view_get_column_view (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return self->column_view;
}

/**
 * wpc_phones_view_get_column:
 *
 * Returns: (transfer none): the column
 */
GtkColumnViewColumn *
wpc_phones_view_get_column (WpcPhonesView   *self,
                            WpcPhonesColumn  column)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  g_return_val_if_fail (column < WPC_PHONES_N_COLUMNS, NULL);
  return self->columns[column];
}

const char *
wpc_phones_view_get_search (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
}

/**
 * wpc_phones_view_set_search:
 *
 * Filters at once, without the entry's typing delay.
 */
void
wpc_phones_view_set_search (WpcPhonesView *self,
                            const char    *text)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
  g_clear_handle_id (&self->search_source, g_source_remove);
  apply_search (self);
}

/**
 * wpc_phones_view_get_selected_phones:
 *
 * Returns: (transfer full) (element-type WpiPhone): the selected phones in list order
 */
GPtrArray *
wpc_phones_view_get_selected_phones (WpcPhonesView *self)
{
  g_autoptr(GtkBitset) selected = NULL;
  GPtrArray *phones;
  GtkBitsetIter iter;
  guint position;

  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  phones = g_ptr_array_new_full ((guint) gtk_bitset_get_size (selected), g_object_unref);
  for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position);
       more;
       more = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (phones, g_list_model_get_item (G_LIST_MODEL (self->selection), position));
  return phones;
}

gboolean
wpc_phones_view_get_busy (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), FALSE);
  return self->bulk != NULL;
}
