/* wpc-window.c: the main window: view switcher, views, status line
 *
 * The views are pages of one GtkStack; `win.show-page` switches them by name so that the
 * keyboard shortcuts, the shortcuts window and the tests use the same path.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpc-accessible.h"
#include "wpc-empty-state.h"
#include "wpc-point-phones-dialog.h"
#include "wpc-phones-view.h"
#include "wpc-status-bar.h"
#include "wpc-handout-view.h"
#include "wpc-traffic-view.h"
#include "wpc-window-private.h"
#include "wpi-phone.h"

G_DEFINE_FINAL_TYPE (WpcWindow, wpc_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_DEMO_AVAILABLE,
  N_PROPS
};

enum {
  START_DEMO,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The phone list, the PIN handout and the traffic inspector are built when first shown
 * or asked for, not with the window: a fifth of the window's start-up to its first frame
 * went to building and measuring views nobody looks at yet (issue 12, bench-startup). */
static void
install_view (AdwBin     *page,
              GtkWidget  *view,
              const char *label)
{
  /* The view's page on the accessibility bus (AdwViewStack names none) */
  gtk_accessible_update_property (GTK_ACCESSIBLE (view), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  adw_bin_set_child (page, view);
}

static WpcPhonesView *
ensure_phones_view (WpcWindow *self)
{
  if (self->phones_view == NULL)
    {
      self->phones_view = WPC_PHONES_VIEW (wpc_phones_view_new ());
      wpc_phones_view_set_settings (self->phones_view, self->settings);
      wpc_phones_view_set_service (self->phones_view, self->service);
      install_view (self->phones_page, GTK_WIDGET (self->phones_view), _("Phones"));
    }
  return self->phones_view;
}

static WpcHandoutView *
ensure_handout_view (WpcWindow *self)
{
  if (self->handout_view == NULL)
    {
      self->handout_view = WPC_HANDOUT_VIEW (wpc_handout_view_new ());
      wpc_handout_view_set_settings (self->handout_view, self->settings);
      wpc_handout_view_set_service (self->handout_view, self->service);
      install_view (self->handout_page, GTK_WIDGET (self->handout_view), _("PIN handout"));
    }
  return self->handout_view;
}

static WpcTrafficView *
ensure_traffic_view (WpcWindow *self)
{
  if (self->traffic_view == NULL)
    {
      self->traffic_view = WPC_TRAFFIC_VIEW (wpc_traffic_view_new ());
      wpc_traffic_view_set_settings (self->traffic_view, self->settings);
      /* The traffic log so far comes from the store; what follows, from ::traffic */
      wpc_traffic_view_set_store (self->traffic_view,
                                  self->service != NULL ? wpi_service_host_get_store (self->service) : NULL);
      install_view (self->traffic_page, GTK_WIDGET (self->traffic_view), _("Traffic"));
    }
  return self->traffic_view;
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) == NULL)
    {
      g_warning ("No view named “%s”", name);
      return;
    }

  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

/* The Phones view's "Bootstrap to Secure Mode": the PIN handout, set to its selection */
static void
bootstrap_selection_action (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);

  /* Showing the handout hands it the selection (on_visible_view_changed) */
  wpc_handout_view_set_scope (ensure_handout_view (self), WPC_HANDOUT_SCOPE_SELECTED);
  adw_view_stack_set_visible_child_name (self->view_stack, "pin-handout");
}

/* The status bar's "N phones in Default Mode": the PIN handout, set to those phones
 * (issue 12 §4) */
static void
handout_default_mode_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);

  wpc_handout_view_set_scope (ensure_handout_view (self), WPC_HANDOUT_SCOPE_DEFAULT_MODE);
  adw_view_stack_set_visible_child_name (self->view_stack, "pin-handout");
}

static void
start_demo_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  /* Only enabled while someone handles the signal (see WpcWindow:demo-available). */
  g_signal_emit (widget, signals[START_DEMO], 0, g_variant_get_uint32 (parameter));
}

/* The phone list's import and export live in the Phones view (D24); the primary menu and
 * the empty state reach them through these */
static void
phone_list_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);

  gtk_widget_activate_action (GTK_WIDGET (ensure_phones_view (self)),
                              g_str_equal (action_name, "win.import-phones") ? "phone.import-list"
                                                                             : "phone.export-list",
                              NULL);
}

static void
restore_window_state (WpcWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  if (width > 0 && height > 0)
    gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

/* D31: with jobs or bootstraps pending, the window asks before it stops the service */
static gboolean
wpc_window_close_request (GtkWindow *window)
{
  if (!_wpc_window_close_request (WPC_WINDOW (window)))
    return TRUE;

  return GTK_WINDOW_CLASS (wpc_window_parent_class)->close_request (window);
}

/* libadwaita 1.2 has no breakpoints: on a narrow window the header bar shows the
 * window's title and the bottom bar the switcher; the bar also shows when the title's
 * switcher does not fit (its title-visible, the 1.2 pattern). Turning the title's
 * switcher off instead makes GTK allocate its squeezer's hidden children a negative
 * size. After the allocation, which must not change what it allocates. */
static gboolean
apply_narrow (gpointer user_data)
{
  WpcWindow *self = user_data;
  gboolean narrow = gtk_widget_get_width (GTK_WIDGET (self)) < WPC_WINDOW_NARROW_WIDTH;

  self->narrow_source = 0;
  if (narrow != self->narrow)
    {
      self->narrow = narrow;
      adw_header_bar_set_title_widget (self->header_bar, narrow ? GTK_WIDGET (self->narrow_title)
                                                                : GTK_WIDGET (self->switcher_title));
    }
  adw_view_switcher_bar_set_reveal (self->switcher_bar,
                                    narrow || adw_view_switcher_title_get_title_visible (self->switcher_title));
  return G_SOURCE_REMOVE;
}

static void
schedule_narrow (WpcWindow *self)
{
  if (self->narrow_source == 0)
    self->narrow_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, apply_narrow, self, NULL);
}

static void
wpc_window_size_allocate (GtkWidget *widget,
                          int        width,
                          int        height,
                          int        baseline)
{
  WpcWindow *self = WPC_WINDOW (widget);
  gboolean narrow = width < WPC_WINDOW_NARROW_WIDTH;

  GTK_WIDGET_CLASS (wpc_window_parent_class)->size_allocate (widget, width, height, baseline);

  if (narrow != self->narrow)
    schedule_narrow (self);
}

static void
on_visible_changed (WpcWindow *self)
{
  if (gtk_widget_get_visible (GTK_WIDGET (self)))
    _wpc_window_leave_background (self);
}

/* Where the listening values come from: the application's properties, which include
 * command-line overrides, or (for a window without a WpcApplication: tests, previews)
 * the settings. "application" is set after construction, so this follows its changes. */
static void
bind_listening_values (WpcWindow *self)
{
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));
  static const char * const names[] = { "port", "secure-port", "bind-address" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_clear_pointer (&self->listening_bindings[i], g_binding_unbind);
      g_settings_unbind (self->empty_state, names[i]);

      if (WPC_IS_APPLICATION (application))
        self->listening_bindings[i] = g_object_bind_property (application, names[i],
                                                              self->empty_state, names[i],
                                                              G_BINDING_SYNC_CREATE);
      else
        g_settings_bind (self->settings, names[i], self->empty_state, names[i], G_SETTINGS_BIND_GET);
    }
}

/* Service ------------------------------------------------------------------------ */

/* One pass over the phones per main-loop turn, however many of them changed */
static gboolean
update_phone_counts (gpointer user_data)
{
  WpcWindow *self = user_data;
  GListModel *phones = wpi_service_host_get_phones (self->service);
  guint n = g_list_model_get_n_items (phones);
  guint busy = 0;
  guint in_session = 0;
  guint default_mode = 0;

  self->counts_source = 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);

      switch (wpi_phone_get_state (phone))
        {
        case WPI_PHONE_STATE_BUSY: busy++; break;
        case WPI_PHONE_STATE_IN_SESSION: in_session++; break;
        case WPI_PHONE_STATE_UNKNOWN:
        case WPI_PHONE_STATE_IDLE:
        case WPI_PHONE_STATE_UNREACHABLE:
        default:
          break;
        }
      if (wpi_phone_get_mode (phone) == WPI_PHONE_MODE_DEFAULT)
        default_mode++;
    }

  g_object_set (self->status_bar,
                "phones-known", n,
                "phones-busy", busy,
                "phones-in-session", in_session,
                "phones-default-mode", default_mode,
                NULL);
  return G_SOURCE_REMOVE;
}

static void
schedule_phone_counts (WpcWindow *self)
{
  /* Before the next frame is drawn, so the counts match the list */
  if (self->counts_source == 0)
    self->counts_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, update_phone_counts, self, NULL);
}

static void
on_phones_changed (WpcWindow *self)
{
  gboolean any = g_list_model_get_n_items (wpi_service_host_get_phones (self->service)) > 0;

  if (any)
    ensure_phones_view (self);
  gtk_stack_set_visible_child_name (self->phones_stack, any ? "list" : "empty");
  schedule_phone_counts (self);
}

static void
update_listening (WpcWindow *self)
{
  g_auto(GStrv) urls = self->service != NULL ? wpi_service_host_get_urls (self->service) : NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    {
      gsize length = strlen (urls[i]);

      /* "https://192.0.2.2:18443/" is shown without the root path */
      if (length > 0 && urls[i][length - 1] == '/')
        urls[i][length - 1] = '\0';
      g_string_append_printf (text, "%s%s", i > 0 ? ", " : "", urls[i]);
    }
  wpc_status_bar_set_listening (self->status_bar, text->len > 0 ? text->str : NULL);
}

static void
on_service_traffic (WpcWindow              *self,
                    const WpiTrafficRecord *record)
{
  /* Not built yet: it reads this record from the store when it is */
  if (self->traffic_view != NULL)
    wpc_traffic_view_append (self->traffic_view, record);
}

/* From the phone details: the inspector selects the message */
static void
show_traffic_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, "traffic");
  wpc_traffic_view_show_message (ensure_traffic_view (self), g_variant_get_int64 (parameter));
}

/* The empty state's way to the Phones view's sweep (issue 14 §2) */
static void
sweep_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);

  gtk_widget_activate_action (GTK_WIDGET (ensure_phones_view (self)), "phone.sweep", NULL);
}

static void
disconnect_service (WpcWindow *self)
{
  if (self->service == NULL)
    return;
  g_signal_handlers_disconnect_by_data (wpi_service_host_get_phones (self->service), self);
  g_signal_handlers_disconnect_by_data (self->service, self);
  g_clear_handle_id (&self->counts_source, g_source_remove);
  g_clear_handle_id (&self->pending_source, g_source_remove);
  g_clear_handle_id (&self->pending_tick, g_source_remove);
  g_clear_object (&self->service);
}

static void
on_service_error_response (WpcWindow *self,
                           int        response)
{
  if (response == GTK_RESPONSE_CLOSE)
    gtk_info_bar_set_revealed (self->service_error_bar, FALSE);
}

/* The handout's "selected phones" are the Phones view's selection */
static void
sync_handout_selection (WpcWindow *self)
{
  g_autoptr(GPtrArray) phones = NULL;
  g_autoptr(GPtrArray) macs = NULL;

  /* No phone list yet: no phone to select */
  phones = self->phones_view != NULL ? wpc_phones_view_get_selected_phones (self->phones_view)
                                     : g_ptr_array_new ();
  macs = g_ptr_array_new_full (phones->len + 1, NULL);

  for (guint i = 0; i < phones->len; i++)
    g_ptr_array_add (macs, (gpointer) wpi_phone_get_mac (g_ptr_array_index (phones, i)));
  g_ptr_array_add (macs, NULL);
  wpc_handout_view_set_selected_macs (ensure_handout_view (self), (const char * const *) macs->pdata);
}

static void
on_visible_view_changed (WpcWindow *self)
{
  const char *name;

  /* The template's children go first when the window is disposed */
  if (self->phones_page == NULL || self->handout_page == NULL || self->traffic_page == NULL)
    return;
  name = adw_view_stack_get_visible_child_name (self->view_stack);
  if (g_strcmp0 (name, "pin-handout") == 0)
    sync_handout_selection (self);
  else if (g_strcmp0 (name, "traffic") == 0)
    ensure_traffic_view (self);
}

static void
wpc_window_constructed (GObject *object)
{
  WpcWindow *self = WPC_WINDOW (object);

  G_OBJECT_CLASS (wpc_window_parent_class)->constructed (object);

  if (self->settings == NULL)
    self->settings = g_settings_new (WPC_APP_ID);

  restore_window_state (self);
  bind_listening_values (self);
  g_signal_connect (self, "notify::application", G_CALLBACK (bind_listening_values), NULL);
}

static void
wpc_window_dispose (GObject *object)
{
  WpcWindow *self = WPC_WINDOW (object);

  for (guint i = 0; i < G_N_ELEMENTS (self->listening_bindings); i++)
    g_clear_pointer (&self->listening_bindings[i], g_binding_unbind);
  disconnect_service (self);
  g_clear_handle_id (&self->narrow_source, g_source_remove);
  g_clear_object (&self->switcher_title);
  g_clear_object (&self->narrow_title);
  if (gtk_window_get_application (GTK_WINDOW (self)) != NULL)
    _wpc_window_leave_background (self);
  if (self->close_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->close_dialog));

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_WINDOW);
  /* went with their pages */
  self->phones_view = NULL;
  self->handout_view = NULL;
  self->traffic_view = NULL;
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (wpc_window_parent_class)->dispose (object);
}

static void
wpc_window_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  WpcWindow *self = WPC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_DEMO_AVAILABLE:
      g_value_set_boolean (value, self->demo_available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_window_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  WpcWindow *self = WPC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_DEMO_AVAILABLE:
      wpc_window_set_demo_available (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The DHCP option 43 for the addresses the empty state shows (D26) */
static void
point_phones_here_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);
  g_autofree char *bind_address = NULL;
  guint port = 0;
  WpcPointPhonesDialog *dialog;

  g_object_get (self->empty_state, "bind-address", &bind_address, "port", &port, NULL);
  dialog = wpc_point_phones_dialog_new (GTK_WINDOW (self), bind_address, port);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
wpc_window_class_init (WpcWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = wpc_window_constructed;
  object_class->dispose = wpc_window_dispose;
  object_class->get_property = wpc_window_get_property;
  object_class->set_property = wpc_window_set_property;

  window_class->close_request = wpc_window_close_request;
  widget_class->size_allocate = wpc_window_size_allocate;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * WpcWindow:demo-available:
   *
   * Whether `win.start-demo` is enabled. It stays off until the provisioning service
   * (which runs the simulated phones) connects to #WpcWindow::start-demo and sets it.
   */
  properties[PROP_DEMO_AVAILABLE] =
    g_param_spec_boolean ("demo-available", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WpcWindow::start-demo:
   * @phones: how many simulated phones to start
   *
   * Emitted when `win.start-demo` is activated (the empty state's button).
   */
  signals[START_DEMO] =
    g_signal_new ("start-demo", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  g_type_ensure (WPC_TYPE_EMPTY_STATE);
  g_type_ensure (WPC_TYPE_PHONES_VIEW);
  g_type_ensure (WPC_TYPE_STATUS_BAR);
  g_type_ensure (WPC_TYPE_HANDOUT_VIEW);
  g_type_ensure (WPC_TYPE_TRAFFIC_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, phones_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, empty_state);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, handout_page);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, traffic_page);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, phones_page);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, service_error_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, service_error_label);
  gtk_widget_class_bind_template_callback (widget_class, on_service_error_response);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.bootstrap-selection", NULL, bootstrap_selection_action);
  gtk_widget_class_install_action (widget_class, "win.handout-default-mode", NULL, handout_default_mode_action);
  gtk_widget_class_install_action (widget_class, "win.start-demo", "u", start_demo_action);
  gtk_widget_class_install_action (widget_class, "win.show-traffic", "x", show_traffic_action);
  gtk_widget_class_install_action (widget_class, "win.point-phones-here", NULL, point_phones_here_action);
  gtk_widget_class_install_action (widget_class, "win.import-phones", NULL, phone_list_action);
  gtk_widget_class_install_action (widget_class, "win.export-phones", NULL, phone_list_action);
  gtk_widget_class_install_action (widget_class, "win.sweep", NULL, sweep_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-page", "s", "phones");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-page", "s", "pin-handout");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-page", "s", "traffic");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
wpc_window_init (WpcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-demo", FALSE);
  /* The selection cannot change while the handout is shown: taking it when the
   * handout is shown spares copying it at every change of the phone list */
  g_signal_connect_object (self->view_stack, "notify::visible-child",
                           G_CALLBACK (on_visible_view_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect (self, "notify::visible", G_CALLBACK (on_visible_changed), NULL);
  /* Both titles are kept while the other is shown (apply_narrow) */
  g_object_ref (self->switcher_title);
  self->narrow_title = g_object_ref_sink (ADW_WINDOW_TITLE (adw_window_title_new (_("Workpoint Console"), NULL)));
  g_signal_connect_object (self->switcher_title, "notify::title-visible", G_CALLBACK (schedule_narrow),
                           self, G_CONNECT_SWAPPED);
}

/**
 * wpc_window_new:
 * @application: the console; its settings and command-line overrides apply
 */
WpcWindow *
wpc_window_new (WpcApplication *application)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (application), NULL);

  return g_object_new (WPC_TYPE_WINDOW,
                       "application", application,
                       "settings", wpc_application_get_settings (application),
                       NULL);
}

GSettings *
wpc_window_get_settings (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), NULL);
  return self->settings;
}

/**
 * wpc_window_get_status_bar:
 *
 * Returns: (transfer none): the status line, whose properties the service sets
 */
WpcStatusBar *
wpc_window_get_status_bar (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), NULL);
  return self->status_bar;
}

/**
 * wpc_window_get_handout_view:
 *
 * Returns: (transfer none): the PIN handout, for wpc_handout_view_set_service()
 */
WpcHandoutView *
wpc_window_get_handout_view (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), NULL);

  return ensure_handout_view (self);
}

/**
 * wpc_window_get_traffic_view:
 *
 * Returns: (transfer none): the inspector, for the service to give its store
 * (wpc_traffic_view_set_store()) and its ::traffic signal (wpc_traffic_view_append())
 */
WpcTrafficView *
wpc_window_get_traffic_view (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), NULL);

  return ensure_traffic_view (self);
}

/**
 * wpc_window_get_visible_view:
 *
 * Returns: the name of the view shown: "phones", "pin-handout" or "traffic"
 */
const char *
wpc_window_get_visible_view (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

gboolean
wpc_window_get_demo_available (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), FALSE);
  return self->demo_available;
}

void
wpc_window_set_demo_available (WpcWindow *self,
                               gboolean   demo_available)
{
  g_return_if_fail (WPC_IS_WINDOW (self));

  demo_available = !!demo_available;
  if (self->demo_available != demo_available)
    {
      self->demo_available = demo_available;
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-demo", demo_available);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO_AVAILABLE]);
    }
}

/**
 * wpc_window_set_service:
 * @service: (nullable): the provisioning service whose phones the window shows
 *
 * The Phones view, the PIN handout, the traffic inspector, the status line and the choice between the
 * empty state and the phone list follow it from then on.
 */
void
wpc_window_set_service (WpcWindow  *self,
                        WpiServiceHost *service)
{
  g_return_if_fail (WPC_IS_WINDOW (self));
  g_return_if_fail (service == NULL || WPI_IS_SERVICE_HOST (service));

  if (self->service == service)
    return;

  disconnect_service (self);
  if (self->phones_view != NULL)
    wpc_phones_view_set_service (self->phones_view, service);
  if (self->handout_view != NULL)
    wpc_handout_view_set_service (self->handout_view, service);
  if (self->traffic_view != NULL)
    wpc_traffic_view_set_store (self->traffic_view, service != NULL ? wpi_service_host_get_store (service) : NULL);
  if (service != NULL)
    {
      self->service = g_object_ref (service);
      g_signal_connect_object (service, "traffic", G_CALLBACK (on_service_traffic), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (service, "listening-changed", G_CALLBACK (update_listening), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (wpi_service_host_get_phones (service), "items-changed",
                               G_CALLBACK (on_phones_changed), self, G_CONNECT_SWAPPED);
      /* State and mode changes come as notifications, which the service sums up here */
      g_signal_connect_object (service, "phone-changed",
                               G_CALLBACK (schedule_phone_counts), self, G_CONNECT_SWAPPED);
      _wpc_window_connect_jobs (self);
      on_phones_changed (self);
      g_clear_handle_id (&self->counts_source, g_source_remove);
      update_phone_counts (self);
    }
  else
    {
      gtk_stack_set_visible_child_name (self->phones_stack, "empty");
      g_object_set (self->status_bar, "phones-known", 0, "phones-busy", 0, "phones-in-session", 0,
                    "phones-default-mode", 0, NULL);
    }
  update_listening (self);
}

/**
 * wpc_window_get_service:
 *
 * Returns: (transfer none) (nullable): the service shown
 */
WpiServiceHost *
wpc_window_get_service (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), NULL);
  return self->service;
}

/**
 * wpc_window_set_service_error:
 * @error: (nullable): why the service is not open or not listening
 *
 * Shows the reason above the views; %NULL hides it.
 */
void
wpc_window_set_service_error (WpcWindow    *self,
                              const GError *error)
{
  g_autofree char *text = NULL;

  g_return_if_fail (WPC_IS_WINDOW (self));

  if (error == NULL)
    {
      gtk_info_bar_set_revealed (self->service_error_bar, FALSE);
      return;
    }

  if (self->service != NULL)
    /* Translators: %s is the reason, e.g. "cannot listen on port 18443: Address already in use" */
    text = g_strdup_printf (_("The console is not listening for phones: %s. The stored phones are "
                              "shown, but no phone can reach the console. Change the ports in "
                              "Preferences: the console moves to them at once."), error->message);
  else
    text = g_strdup_printf (_("The console cannot open its data: %s"), error->message);
  wpc_window_show_problem (self, text);
}

/**
 * wpc_window_show_problem:
 * @text: what went wrong, for the user
 *
 * Shows it in the bar above the views until the user closes it.
 */
void
wpc_window_show_problem (WpcWindow  *self,
                         const char *text)
{
  g_return_if_fail (WPC_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  gtk_label_set_text (self->service_error_label, text);
  gtk_info_bar_set_revealed (self->service_error_bar, TRUE);
}

/**
 * wpc_window_get_phones_view:
 *
 * Returns: (transfer none): the Phones view's list of phones
 */
WpcPhonesView *
wpc_window_get_phones_view (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), NULL);

  return ensure_phones_view (self);
}
