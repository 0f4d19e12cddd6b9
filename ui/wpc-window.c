/* wpc-window.c: the main window: view switcher, views, status line
 *
 * The views are pages of one GtkStack; `win.show-page` switches them by name so that the
 * keyboard shortcuts, the shortcuts window and the tests use the same path.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-empty-state.h"
#include "wpc-status-bar.h"
#include "wpc-handout-view.h"
#include "wpc-traffic-view.h"
#include "wpc-window.h"

struct _WpcWindow
{
  GtkApplicationWindow  parent_instance;

  GtkStack             *view_stack;
  GtkStack             *phones_stack;
  WpcEmptyState        *empty_state;
  WpcStatusBar         *status_bar;
  WpcHandoutView       *handout_view;
  WpcTrafficView       *traffic_view;
  GtkMenuButton        *primary_menu_button;

  GSettings            *settings;
  GBinding             *listening_bindings[3];
  gboolean              demo_available;
};

G_DEFINE_FINAL_TYPE (WpcWindow, wpc_window, GTK_TYPE_APPLICATION_WINDOW)

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

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WpcWindow *self = WPC_WINDOW (widget);
  const char *name = g_variant_get_string (parameter, NULL);

  if (gtk_stack_get_child_by_name (self->view_stack, name) == NULL)
    {
      g_warning ("No view named “%s”", name);
      return;
    }

  gtk_stack_set_visible_child_name (self->view_stack, name);
}

static void
start_demo_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  /* Only enabled while someone handles the signal (see WpcWindow:demo-available). */
  g_signal_emit (widget, signals[START_DEMO], 0, g_variant_get_uint32 (parameter));
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

static gboolean
wpc_window_close_request (GtkWindow *window)
{
  WpcWindow *self = WPC_WINDOW (window);
  gboolean maximized = gtk_window_is_maximized (window);

  /* The default size is the unmaximized one, so a maximized window keeps its old size. */
  if (!maximized)
    {
      int width = 0;
      int height = 0;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", maximized);

  return GTK_WINDOW_CLASS (wpc_window_parent_class)->close_request (window);
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

static void
wpc_window_constructed (GObject *object)
{
  WpcWindow *self = WPC_WINDOW (object);

  G_OBJECT_CLASS (wpc_window_parent_class)->constructed (object);

  if (self->settings == NULL)
    self->settings = g_settings_new (WPC_APP_ID);

  restore_window_state (self);
  bind_listening_values (self);
  wpc_traffic_view_set_settings (self->traffic_view, self->settings);
  wpc_handout_view_set_settings (self->handout_view, self->settings);
  g_signal_connect (self, "notify::application", G_CALLBACK (bind_listening_values), NULL);
}

static void
wpc_window_dispose (GObject *object)
{
  WpcWindow *self = WPC_WINDOW (object);

  for (guint i = 0; i < G_N_ELEMENTS (self->listening_bindings); i++)
    g_clear_pointer (&self->listening_bindings[i], g_binding_unbind);

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_WINDOW);
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
  g_type_ensure (WPC_TYPE_STATUS_BAR);
  g_type_ensure (WPC_TYPE_HANDOUT_VIEW);
  g_type_ensure (WPC_TYPE_TRAFFIC_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, phones_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, empty_state);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, status_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, handout_view);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, traffic_view);
  gtk_widget_class_bind_template_child (widget_class, WpcWindow, primary_menu_button);

  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.start-demo", "u", start_demo_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-page", "s", "phones");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-page", "s", "pin-handout");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-page", "s", "traffic");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
wpc_window_init (WpcWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.start-demo", FALSE);
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
  return self->handout_view;
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
  return self->traffic_view;
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
  return gtk_stack_get_visible_child_name (self->view_stack);
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
