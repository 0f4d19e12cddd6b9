/* test-ui-window.c: the main window, its menu, the empty state, the status line and the
 * preferences, on a real (Xvfb) display with settings in a memory backend.
 *
 * With WPC_SCREENSHOT_DIR set, each view is also saved there as a PNG for review.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <stdlib.h>

#include "wpc-application.h"
#include "wpc-empty-state.h"
#include "wpc-point-phones-dialog.h"
#include "wpc-handout-view.h"
#include "wpc-local-addresses.h"
#include "wpc-preferences-window.h"
#include "wpc-status-bar.h"
#include "wpc-toast.h"
#include "wpc-handout-view.h"
#include "wpc-traffic-view.h"
#include "wpc-window.h"
#include "wpi-phone.h"
#include "test-util-service.h"
#include "ui-test-util.h"

/* Generous: 20 demo phones register under AddressSanitizer on a busy 2-core machine */
#define WAIT_TIMEOUT_MS 120000

#define wait_for(condition, data, what) test_util_wait_until (condition, data, WAIT_TIMEOUT_MS, what)

/* Fixture: the console with its settings in memory, run as g_application_run() runs
 * it (so that it registers, starts up and unregisters as in real use); the test body
 * runs once the console's own activate handler has shown the window. ------------- */

typedef struct {
  UiTestConsole  console;
  WpcWindow     *window;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  ui_test_console_set_up (&fixture->console, "wpc-ui-window", 1000, 640);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  ui_test_console_tear_down (&fixture->console);
}

/* user_data: the test, a void (*) (Fixture *) */
static void
run_window_test (Fixture       *fixture,
                 gconstpointer  user_data)
{
  ui_test_console_run (&fixture->console, "test-ui-window", &fixture->window,
                       (UiTestConsoleFunc) user_data, fixture);
}

#define add_window_test(path, func) \
  g_test_add (path, Fixture, (gconstpointer) func, fixture_set_up, run_window_test, fixture_tear_down)

/* Tests ------------------------------------------------------------------------- */

/* The views, in the view switcher's order, with their symbolic icons (issue 12 §1) */
static const struct { const char *name, *title, *icon_name; } views[] = {
  { "phones", "Phones", "wpc-phone-symbolic" },
  { "pin-handout", "PIN handout", "wpc-secure-mode-symbolic" },
  { "traffic", "Traffic", "wpc-traffic-symbolic" },
};

static void
test_window_views (Fixture *fixture)
{
  GtkWidget *root = GTK_WIDGET (fixture->window);
  GtkWidget *title = ui_test_find_named (root, ADW_TYPE_VIEW_SWITCHER_TITLE, NULL);
  AdwViewStack *stack = adw_view_switcher_title_get_stack (ADW_VIEW_SWITCHER_TITLE (title));
  g_autoptr(GtkSelectionModel) pages = adw_view_stack_get_pages (stack);
  g_autoptr(GPtrArray) all_buttons = g_ptr_array_new ();
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  /* The title's switcher (the one shown of those its squeezer chooses from): one toggle
   * button a view, each named by its view's title */
  ui_test_find_all (title, GTK_TYPE_TOGGLE_BUTTON, NULL, all_buttons);
  for (guint i = 0; i < all_buttons->len; i++)
    if (ui_test_is_shown (g_ptr_array_index (all_buttons, i)))
      g_ptr_array_add (buttons, g_ptr_array_index (all_buttons, i));
  g_assert_cmpuint (buttons->len, ==, G_N_ELEMENTS (views));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (pages)), ==, G_N_ELEMENTS (views));
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autoptr(AdwViewStackPage) page = g_list_model_get_item (G_LIST_MODEL (pages), i);
      g_autofree char *text = ui_test_shown_text (g_ptr_array_index (buttons, i));

      g_assert_cmpstr (adw_view_stack_page_get_name (page), ==, views[i].name);
      g_assert_cmpstr (adw_view_stack_page_get_title (page), ==, views[i].title);
      g_assert_cmpstr (adw_view_stack_page_get_icon_name (page), ==, views[i].icon_name);
      g_assert_nonnull (strstr (text, views[i].title));
      g_assert_true (gtk_widget_get_focusable (g_ptr_array_index (buttons, i)));
    }

  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "phones");
  ui_test_save_screenshot (root, "window-phones.png");

  /* The handout and the inspector are built when first shown, not with the window
   * (start-up, issue 12) */
  g_assert_null (ui_test_find_widget (root, WPC_TYPE_HANDOUT_VIEW, NULL));
  g_assert_null (ui_test_find_widget (root, WPC_TYPE_TRAFFIC_VIEW, NULL));

  /* Clicking a switcher button shows its view; win.show-page does the same */
  for (guint i = G_N_ELEMENTS (views); i > 0; i--)
    {
      g_autofree char *file = g_strdup_printf ("window-%s.png", views[i - 1].name);

      gtk_toggle_button_set_active (g_ptr_array_index (buttons, i - 1), TRUE);
      g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, views[i - 1].name);
      g_assert_true (gtk_widget_activate_action (root, "win.show-page", "s", views[0].name));
      g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, views[0].name);
      g_assert_true (gtk_widget_activate_action (root, "win.show-page", "s", views[i - 1].name));
      g_assert_true (gtk_toggle_button_get_active (g_ptr_array_index (buttons, i - 1)));
      ui_test_save_screenshot (root, file);
    }

  g_assert_nonnull (ui_test_find_named (root, WPC_TYPE_HANDOUT_VIEW, NULL));
  g_assert_nonnull (ui_test_find_named (root, WPC_TYPE_TRAFFIC_VIEW, NULL));

  /* Alt+1..3 switch views. */
  g_assert_true (ui_test_activate_shortcut (root, "<Alt>2"));
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "pin-handout");
  g_assert_true (ui_test_activate_shortcut (root, "<Alt>3"));
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "traffic");
  g_assert_true (ui_test_activate_shortcut (root, "<Alt>1"));
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "phones");

  g_test_expect_message ("wpc", G_LOG_LEVEL_WARNING, "No view named*");
  gtk_widget_activate_action (root, "win.show-page", "s", "no-such-view");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "phones");
}

static void
test_window_primary_menu (Fixture *fixture)
{
  static const struct { const char *action; const char *accel; } expected[] = {
    { "app.preferences", "<Control>comma" },
    { "app.shortcuts", "<Control>question" },
    { "app.about", NULL },
    { "win.point-phones-here", NULL },
    /* the phone list (D24) and the demo, the window's own */
    { "win.import-phones", NULL },
    { "win.export-phones", NULL },
    { "win.start-demo", NULL },
  };
  GtkWidget *header_bar = ui_test_find_named (GTK_WIDGET (fixture->window), ADW_TYPE_HEADER_BAR, NULL);
  GtkWidget *menu_button = ui_test_find_widget (header_bar, GTK_TYPE_MENU_BUTTON, NULL);
  GMenuModel *menu;
  g_autoptr(GPtrArray) actions = g_ptr_array_new_with_free_func (g_free);

  g_assert_nonnull (menu_button);
  g_assert_true (gtk_menu_button_get_primary (GTK_MENU_BUTTON (menu_button)));
  g_assert_nonnull (gtk_widget_get_tooltip_text (menu_button));

  menu = gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (menu_button));
  g_assert_nonnull (menu);
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

      g_assert_nonnull (section);
      for (int j = 0; j < g_menu_model_get_n_items (section); j++)
        {
          char *action = NULL;
          g_autofree char *label = NULL;

          g_assert_true (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_ACTION, "s", &action));
          g_assert_true (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_LABEL, "s", &label));
          g_assert_cmpstr (label, !=, "");
          g_ptr_array_add (actions, action);
        }
    }

  g_assert_cmpuint (actions->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_auto(GStrv) accels = NULL;

      g_assert_cmpstr (g_ptr_array_index (actions, i), ==, expected[i].action);
      /* win. actions are the window's own (wpc-window.c), not the application's */
      if (g_str_has_prefix (expected[i].action, "app."))
        g_assert_true (g_action_group_has_action (G_ACTION_GROUP (fixture->console.application),
                                                  expected[i].action + strlen ("app.")));
      accels = gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->console.application),
                                                      expected[i].action);
      g_assert_cmpstr (accels[0], ==, expected[i].accel);
    }

  /* The popover opens and lists the entries. */
  gtk_menu_button_popup (GTK_MENU_BUTTON (menu_button));
  {
    GtkPopover *popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (menu_button));
    g_autofree char *text = NULL;

    g_assert_nonnull (popover);
    wait_for (ui_test_widget_is_mapped_and_allocated, popover, "the primary menu to open");
    text = ui_test_shown_text (GTK_WIDGET (popover));
    test_util_assert_contains_all (text, "Preferences", "Keyboard Shortcuts", "About Workpoint Console",
                                   "Point Phones Here", "Import Phone List…", NULL);
    ui_test_save_screenshot (GTK_WIDGET (popover), "primary-menu.png");
    gtk_menu_button_popdown (GTK_MENU_BUTTON (menu_button));
  }

  {
    g_auto(GStrv) quit_accels =
      gtk_application_get_accels_for_action (GTK_APPLICATION (fixture->console.application), "app.quit");
    g_assert_cmpstr (quit_accels[0], ==, "<Control>q");
  }

  /* Point Phones Here opens the DHCP option 43 dialog for the empty state's addresses (D26) */
  {
    GtkWindow *dialog;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.point-phones-here", NULL));
    dialog = ui_test_wait_for_toplevel (WPC_TYPE_POINT_PHONES_DIALOG, NULL, WAIT_TIMEOUT_MS);
    g_assert_nonnull (dialog);
    ui_test_wait_for_shown_text (GTK_WIDGET (dialog), "sdlp://127.0.0.1:18443", WAIT_TIMEOUT_MS, "the address");
    gtk_window_destroy (dialog);
  }
}

static void
test_window_preferences_action (Fixture *fixture)
{
  GtkWindow *preferences = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->console.application), "preferences", NULL);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (fixture->console.application)); l; l = l->next)
    if (WPC_IS_PREFERENCES_WINDOW (l->data))
      preferences = l->data;

  g_assert_nonnull (preferences);
  g_assert_true (gtk_window_get_transient_for (preferences) == GTK_WINDOW (fixture->window));
  g_assert_true (wpc_preferences_window_get_settings (WPC_PREFERENCES_WINDOW (preferences)) ==
                 fixture->console.settings);
  wait_for (ui_test_widget_is_mapped_and_allocated, preferences, "the preferences to be mapped");
  ui_test_save_screenshot (GTK_WIDGET (preferences), "preferences.png");

  /* A second activation presents the same window. */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->console.application), "preferences", NULL);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (fixture->console.application))), ==, 2);

  gtk_window_destroy (preferences);
}

static void
test_window_shortcuts_and_about (Fixture *fixture)
{
  GtkWindow *shortcuts;
  GtkWindow *about;
  g_autofree char *text = NULL;

  g_action_group_activate_action (G_ACTION_GROUP (fixture->console.application), "shortcuts", NULL);
  shortcuts = ui_test_find_toplevel (GTK_TYPE_SHORTCUTS_WINDOW, NULL);
  g_assert_nonnull (shortcuts);
  g_assert_true (gtk_window_get_transient_for (shortcuts) == GTK_WINDOW (fixture->window));
  wait_for (ui_test_widget_is_mapped_and_allocated, shortcuts, "the shortcuts window to be mapped");
  ui_test_save_screenshot (GTK_WIDGET (shortcuts), "shortcuts.png");
  gtk_window_destroy (shortcuts);

  /* About: what a technician pastes into a ticket is in its debug info */
  g_action_group_activate_action (G_ACTION_GROUP (fixture->console.application), "about", NULL);
  about = ui_test_find_toplevel (ADW_TYPE_ABOUT_WINDOW, NULL);
  g_assert_nonnull (about);
  g_assert_true (gtk_window_get_transient_for (about) == GTK_WINDOW (fixture->window));
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, WPC_VERSION);
  g_assert_cmpstr (adw_about_window_get_application_icon (ADW_ABOUT_WINDOW (about)), ==, WPC_APP_ID);
  g_assert_cmpstr (adw_about_window_get_website (ADW_ABOUT_WINDOW (about)), ==, WPC_WEBSITE_URL);
  g_assert_cmpstr (adw_about_window_get_issue_url (ADW_ABOUT_WINDOW (about)), ==, WPC_ISSUE_URL);
  g_assert_cmpint (adw_about_window_get_license_type (ADW_ABOUT_WINDOW (about)), ==, GTK_LICENSE_GPL_3_0);
  {
    g_auto(GStrv) urls = wpi_service_host_get_urls (fixture->console.service);

    g_assert_nonnull (urls[0]);
    test_util_assert_contains_all (adw_about_window_get_debug_info (ADW_ABOUT_WINDOW (about)),
                                   WPC_VERSION, fixture->console.data_dir, urls[0], NULL);
  }
  wait_for (ui_test_widget_is_mapped_and_allocated, about, "the about window to be mapped");
  text = ui_test_shown_text (GTK_WIDGET (about));
  g_assert_nonnull (strstr (text, "Workpoint Console"));
  ui_test_save_screenshot (GTK_WIDGET (about), "about.png");
  gtk_window_destroy (about);

  /* The app icon comes from the resource, so it exists uninstalled too. */
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                          WPC_APP_ID));
  g_assert_true (gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                          "wpc-phone-busy-symbolic"));
}

/* A stand-in for xdg-desktop-portal's Settings interface, on the test's own bus. */

#define PORTAL_BUS_NAME    "org.freedesktop.portal.Desktop"
#define PORTAL_OBJECT_PATH "/org/freedesktop/portal/desktop"
#define PORTAL_INTERFACE   "org.freedesktop.portal.Settings"

static const char portal_xml[] =
  "<node>"
  "  <interface name='" PORTAL_INTERFACE "'>"
  "    <method name='Read'>"
  "      <arg type='s' name='namespace' direction='in'/>"
  "      <arg type='s' name='key' direction='in'/>"
  "      <arg type='v' name='value' direction='out'/>"
  "    </method>"
  "    <signal name='SettingChanged'>"
  "      <arg type='s' name='namespace'/>"
  "      <arg type='s' name='key'/>"
  "      <arg type='v' name='value'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

/* The desktop's notification server (org.freedesktop.Notifications), on the same thread:
 * what the console says when it keeps running in the background (D31) */
#define NOTIFICATIONS_BUS_NAME    "org.freedesktop.Notifications"
#define NOTIFICATIONS_OBJECT_PATH "/org/freedesktop/Notifications"

static const char notifications_xml[] =
  "<node>"
  "  <interface name='" NOTIFICATIONS_BUS_NAME "'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' name='summary' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='as' direction='in'/><arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' name='id' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "    <signal name='ActionInvoked'><arg type='u'/><arg type='s'/></signal>"
  "    <signal name='NotificationClosed'><arg type='u'/><arg type='u'/></signal>"
  "  </interface>"
  "</node>";

/* The portal answers from a thread of its own: libadwaita reads it synchronously in
 * adw_init(), from the main thread, before any test runs. */
typedef struct {
  GMutex        lock;
  GCond         ready_cond;
  gboolean      ready;
  guint         reads;
  GMainContext *context;
  GMainLoop    *loop;
  char         *notification;   /* the last notification's summary, under lock */
} FakePortal;

static FakePortal fake_portal;

static void
portal_method_call (GDBusConnection       *connection,
                    const char            *sender,
                    const char            *object_path,
                    const char            *interface_name,
                    const char            *method_name,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation,
                    gpointer               user_data)
{
  FakePortal *portal = user_data;
  const char *namespace = NULL;
  const char *key = NULL;

  if (g_str_equal (interface_name, NOTIFICATIONS_BUS_NAME))
    {
      const char *summary = NULL;

      g_mutex_lock (&portal->lock);
      if (g_str_equal (method_name, "Notify"))
        {
          g_variant_get_child (parameters, 3, "&s", &summary);
          g_free (portal->notification);
          portal->notification = g_strdup (summary);
        }
      else
        g_clear_pointer (&portal->notification, g_free);
      g_mutex_unlock (&portal->lock);
      g_dbus_method_invocation_return_value (invocation, summary != NULL ? g_variant_new ("(u)", 1) : NULL);
      return;
    }

  g_variant_get (parameters, "(&s&s)", &namespace, &key);
  g_atomic_int_inc (&portal->reads);
  if (g_str_equal (namespace, "org.freedesktop.appearance") && g_str_equal (key, "color-scheme"))
    /* Read wraps the value in a second variant, as the real portal does; 0: no preference */
    g_dbus_method_invocation_return_value (invocation,
                                           g_variant_new ("(v)", g_variant_new_variant (g_variant_new_uint32 (0))));
  else
    g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.portal.Error.NotFound",
                                                "Requested setting not found");
}

/* Acquired, or lost: a test's subprocess finds its parent's portal on the bus. */
static void
on_portal_name_settled (GDBusConnection *connection,
                        const char      *name,
                        gpointer         user_data)
{
  FakePortal *portal = user_data;

  g_mutex_lock (&portal->lock);
  portal->ready = TRUE;
  g_cond_signal (&portal->ready_cond);
  g_mutex_unlock (&portal->lock);
}

static gpointer
run_fake_portal (gpointer data)
{
  static const GDBusInterfaceVTable vtable = { portal_method_call, NULL, NULL, { 0 } };
  FakePortal *portal = data;
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (portal_xml, NULL);
  g_autoptr(GDBusNodeInfo) notifications = g_dbus_node_info_new_for_xml (notifications_xml, NULL);
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

  g_main_context_push_thread_default (portal->context);
  g_assert_nonnull (bus);
  g_assert_cmpuint (g_dbus_connection_register_object (bus, PORTAL_OBJECT_PATH, node->interfaces[0],
                                                       &vtable, portal, NULL, NULL), !=, 0);
  g_assert_cmpuint (g_dbus_connection_register_object (bus, NOTIFICATIONS_OBJECT_PATH,
                                                       notifications->interfaces[0], &vtable, portal,
                                                       NULL, NULL), !=, 0);
  /* Before the portal's name, whose owning start_fake_portal() waits for */
  g_bus_own_name_on_connection (bus, NOTIFICATIONS_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                                NULL, NULL, NULL, NULL);
  g_bus_own_name_on_connection (bus, PORTAL_BUS_NAME, G_BUS_NAME_OWNER_FLAGS_NONE,
                                on_portal_name_settled, on_portal_name_settled, portal, NULL);
  g_main_loop_run (portal->loop);
  g_main_context_pop_thread_default (portal->context);
  return NULL;
}

/* Before ui_test_init(): the desktop's portal is there when libadwaita starts. */
static void
start_fake_portal (void)
{
  FakePortal *portal = &fake_portal;

  g_mutex_init (&portal->lock);
  g_cond_init (&portal->ready_cond);
  portal->context = g_main_context_new ();
  portal->loop = g_main_loop_new (portal->context, FALSE);
  g_thread_unref (g_thread_new ("fake-portal", run_fake_portal, portal));

  g_mutex_lock (&portal->lock);
  while (!portal->ready)
    if (!g_cond_wait_until (&portal->ready_cond, &portal->lock,
                            g_get_monotonic_time () + WAIT_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND))
      g_error ("the fake portal's bus name was neither acquired nor lost");
  g_mutex_unlock (&portal->lock);
}

static void
emit_color_scheme (GDBusConnection *bus,
                   guint32          color_scheme)
{
  /* SettingChanged carries the bare value. */
  g_dbus_connection_emit_signal (bus, NULL, PORTAL_OBJECT_PATH, PORTAL_INTERFACE, "SettingChanged",
                                 g_variant_new ("(ssv)", "org.freedesktop.appearance", "color-scheme",
                                                g_variant_new_uint32 (color_scheme)),
                                 NULL);
}

static gboolean
is_dark (gpointer data)
{
  return adw_style_manager_get_dark (adw_style_manager_get_default ());
}

static gboolean
is_light (gpointer data)
{
  return !is_dark (data);
}

/* The console follows the desktop's style as it changes (libadwaita's AdwStyleManager
 * reads and follows the portal; nothing of ours may override it). */
static void
test_window_dark_mode (Fixture *fixture)
{
  GDBusConnection *bus = g_application_get_dbus_connection (G_APPLICATION (fixture->console.application));

  g_assert_nonnull (bus);
  g_assert_cmpuint (g_atomic_int_get (&fake_portal.reads), >=, 1);
  g_assert_false (is_dark (NULL));

  emit_color_scheme (bus, 1);
  wait_for (is_dark, NULL, "the window to follow the portal's dark color scheme");
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "window-dark.png");

  emit_color_scheme (bus, 2);
  wait_for (is_light, NULL, "the window to follow the portal's light color scheme");
}

static void
test_window_empty_state (Fixture *fixture)
{
  GtkWidget *empty_state = ui_test_find_widget (GTK_WIDGET (fixture->window), WPC_TYPE_EMPTY_STATE, NULL);
  g_autofree char *text = NULL;
  const char * const *urls;

  g_assert_nonnull (empty_state);
  g_assert_true (ui_test_is_shown (empty_state));

  text = ui_test_shown_text (empty_state);
  test_util_assert_contains_all (text, "sdlp://127.0.0.1:18443", "18444", "DHCP option 43", NULL);
  urls = wpc_empty_state_get_sdlp_urls (WPC_EMPTY_STATE (empty_state));
  g_assert_cmpstrv (urls, ((const char *[]) { "sdlp://127.0.0.1:18443", NULL }));

  /* Settings reach the empty state through the application's properties. */
  g_settings_set_uint (fixture->console.settings, "port", 20443);
  ui_test_wait_for_shown_text (empty_state, "sdlp://127.0.0.1:20443", WAIT_TIMEOUT_MS,
                               "the new port in the empty state");
  g_assert_cmpuint (wpc_application_get_port (fixture->console.application), ==, 20443);

  g_settings_set_string (fixture->console.settings, "bind-address", "not-an-address");
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (empty_state);
  g_assert_null (strstr (text, "sdlp://"));
  g_assert_nonnull (strstr (text, "not-an-address"));
  g_assert_cmpstrv (wpc_empty_state_get_sdlp_urls (WPC_EMPTY_STATE (empty_state)),
                    ((const char *[]) { NULL }));

  g_settings_set_string (fixture->console.settings, "bind-address", "::1");
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (empty_state);
  g_assert_nonnull (strstr (text, "sdlp://[::1]:20443"));

  /* Command-line overrides win over the settings. */
  {
    GVariantDict *options = g_variant_dict_new (NULL);
    int status;

    g_variant_dict_insert (options, "port", "i", 30443);
    g_variant_dict_insert (options, "bind", "s", "192.0.2.9");
    g_signal_emit_by_name (fixture->console.application, "handle-local-options", options, &status);
    g_variant_dict_unref (options);
    g_assert_cmpint (status, ==, -1);
  }
  g_settings_set_uint (fixture->console.settings, "port", 18443);
  g_settings_set_string (fixture->console.settings, "bind-address", "");
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (empty_state);
  g_assert_nonnull (strstr (text, "sdlp://192.0.2.9:30443"));
  g_assert_cmpstrv (wpc_empty_state_get_sdlp_urls (WPC_EMPTY_STATE (empty_state)),
                    ((const char *[]) { "sdlp://192.0.2.9:30443", NULL }));
}

static void
test_window_size (Fixture *fixture)
{
  int width = 0;
  int height = 0;

  /* Restored from the settings (set in fixture_set_up)... */
  gtk_window_get_default_size (GTK_WINDOW (fixture->window), &width, &height);
  g_assert_cmpint (width, ==, 1000);
  g_assert_cmpint (height, ==, 640);

  /* ...and saved when the window is closed. */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1020, 660);
  gtk_window_close (GTK_WINDOW (fixture->window));
  g_assert_null (fixture->window);
  g_assert_cmpint (g_settings_get_int (fixture->console.settings, "window-width"), ==, 1020);
  g_assert_cmpint (g_settings_get_int (fixture->console.settings, "window-height"), ==, 660);
  g_assert_false (g_settings_get_boolean (fixture->console.settings, "window-maximized"));
}

static void
on_start_demo (WpcWindow *window,
               guint      phones,
               guint     *received)
{
  *received = phones;
}

static gboolean
widget_is_sensitive (gpointer data)
{
  return gtk_widget_is_sensitive (data);
}

static gboolean
widget_is_insensitive (gpointer data)
{
  return !gtk_widget_is_sensitive (data);
}

static gboolean
uint_is_nonzero (gpointer data)
{
  return *(guint *) data != 0;
}

/* The demo's phones listen on 127.1.x.y:8085; another demo on the machine may hold
 * those, and then the window says why the demo did not start. */
static gboolean
demo_started_or_refused (gpointer data)
{
  Fixture *fixture = data;
  GtkWidget *bar = ui_test_find_widget (GTK_WIDGET (fixture->window), GTK_TYPE_INFO_BAR, NULL);

  return g_list_model_get_n_items (wpi_service_host_get_phones (fixture->console.service)) == 20 ||
         gtk_info_bar_get_revealed (GTK_INFO_BAR (bar));
}

static void
test_window_start_demo (Fixture *fixture)
{
  GtkWidget *button = ui_test_find_button_with_label (GTK_WIDGET (fixture->window),
                                              "Start demo with 20 simulated phones");
  guint received = 0;

  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "win.start-demo");
  g_signal_connect (fixture->window, "start-demo", G_CALLBACK (on_start_demo), &received);

  /* On while the service listens; off when nobody can run a demo */
  g_assert_true (wpc_window_get_demo_available (fixture->window));
  wpc_window_set_demo_available (fixture->window, FALSE);
  wait_for (widget_is_insensitive, button, "the demo button to be insensitive");
  wpc_window_set_demo_available (fixture->window, TRUE);
  wait_for (widget_is_sensitive, button, "the demo button to become sensitive");

  /* Keyboard activation: the button shows itself pressed briefly, then clicks. */
  g_assert_true (gtk_widget_activate (button));
  wait_for (uint_is_nonzero, &received, "the start-demo signal");
  g_assert_cmpuint (received, ==, 20);

  /* The console runs the simulated phones against its own service (here in the test's
   * directory: a data directory handed in is never swapped for the demo one) */
  wait_for (demo_started_or_refused, fixture, "20 simulated phones to register");
  if (g_list_model_get_n_items (wpi_service_host_get_phones (fixture->console.service)) < 20)
    {
      g_autofree char *text = ui_test_shown_text (ui_test_find_widget (GTK_WIDGET (fixture->window), GTK_TYPE_INFO_BAR, NULL));

      g_assert_nonnull (strstr (text, "The demo cannot start: "));
      g_test_message ("demo refused: %s", text);
      /* It can be tried again */
      g_assert_true (wpc_window_get_demo_available (fixture->window));
      return;
    }
  g_assert_false (wpc_window_get_demo_available (fixture->window));
  g_assert_cmpstr (wpc_application_get_data_dir (fixture->console.application), ==, fixture->console.data_dir);
}

/* The tooltip of the status line's "Listening on …" */
static char *
listening_tooltip (WpcStatusBar *status_bar)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  ui_test_find_all (GTK_WIDGET (status_bar), GTK_TYPE_LABEL, NULL, labels);
  for (guint i = 0; i < labels->len; i++)
    if (g_str_has_prefix (gtk_label_get_text (g_ptr_array_index (labels, i)), "Listening on "))
      return g_strdup (gtk_widget_get_tooltip_text (g_ptr_array_index (labels, i)));
  g_error ("No “Listening on” label");
}

static void
test_window_status_bar (Fixture *fixture)
{
  WpcStatusBar *status_bar = wpc_window_get_status_bar (fixture->window);
  g_autofree char *text = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *tooltip = NULL;

  /* The window shows the service's values */
  g_assert_true (ui_test_is_shown (GTK_WIDGET (status_bar)));
  text = ui_test_shown_text (GTK_WIDGET (status_bar));
  expected = g_strdup_printf ("Listening on https://127.0.0.1:%u, https://127.0.0.1:%u\nNo phones\n",
                              wpi_service_host_get_port (fixture->console.service),
                              wpi_service_host_get_secure_port (fixture->console.service));
  g_assert_cmpstr (text, ==, expected);

  g_object_set (status_bar,
                "listening", "192.0.2.2:18443, 192.0.2.2:18444",
                "phones-known", 20,
                "phones-busy", 2,
                "phones-in-session", 1,
                "phones-default-mode", 3,
                NULL);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (status_bar));
  g_assert_cmpstr (text, ==,
                   "Listening on 192.0.2.2:18443, 192.0.2.2:18444\n"
                   "20 phones · 2 busy · 1 in session\n"
                   "3 phones in Default Mode\n");
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "window-status.png");

  /* The badge opens the PIN handout for the phones in Default Mode */
  {
    GtkWidget *handout = GTK_WIDGET (wpc_window_get_handout_view (fixture->window));
    GtkWidget *badge = ui_test_find_button_for_action (GTK_WIDGET (status_bar), "win.handout-default-mode");
    GtkDropDown *scope = GTK_DROP_DOWN (ui_test_find_widget (handout, GTK_TYPE_DROP_DOWN, NULL));

    gtk_drop_down_set_selected (scope, WPC_HANDOUT_SCOPE_ALL);
    g_signal_emit_by_name (badge, "clicked");
    g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "pin-handout");
    g_assert_cmpuint (gtk_drop_down_get_selected (scope), ==, WPC_HANDOUT_SCOPE_DEFAULT_MODE);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "phones"));
  }

  wpc_status_bar_set_phones_known (status_bar, 1);
  wpc_status_bar_set_phones_default_mode (status_bar, 1);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (status_bar));
  g_assert_nonnull (strstr (text, "1 phone · 2 busy"));
  g_assert_nonnull (strstr (text, "1 phone in Default Mode"));

  /* Every address: said in words, and the addresses phones can use in the tooltip */
  wpc_status_bar_set_listening (status_bar, "https://0.0.0.0:18443, https://0.0.0.0:18444");
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (status_bar));
  g_assert_nonnull (strstr (text, "Listening on all addresses, ports 18443, 18444\n"));
  g_assert_null (strstr (text, "0.0.0.0"));
  tooltip = listening_tooltip (status_bar);
  g_assert_true (g_str_has_prefix (tooltip, "Phones reach the console at:") ||
                 g_str_has_prefix (tooltip, "This computer has no address that phones can reach."));
  g_assert_null (strstr (tooltip, "0.0.0.0"));
  g_assert_null (strstr (tooltip, "127.0.0.1"));
  wpc_status_bar_set_listening (status_bar, "https://[::]:18443, https://127.0.0.1:18444");
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (status_bar));
  g_assert_nonnull (strstr (text, "Listening on all addresses, port 18443; https://127.0.0.1:18444\n"));

  wpc_status_bar_set_phones_default_mode (status_bar, 0);
  wpc_status_bar_set_listening (status_bar, NULL);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (status_bar));
  g_assert_null (strstr (text, "Default Mode"));
  g_assert_nonnull (strstr (text, "Not listening"));
}

static void
test_application_options (void)
{
  static const struct {
    const char *args;
    int         status;
  } cases[] = {
    /* (0 cannot be tested: GApplication drops integer options that are 0.) */
    { "--port=-1", 1 },
    { "--port=65536", 1 },
    { "--secure-port=-4", 1 },
    { "--port=18444", 1 },              /* same as the default secure port */
    { "--bind=example.org", 1 },
    { "--contact-allow=127.0.0.0/33", 1 },                          /* D19 */
    { "--contact-allow=127.0.0.0/24 --contact-allow=phones.example", 1 },
    { "--demo=-3", 1 },
    { "--demo=10001", 1 },
    { "--headless", 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSettings) settings = ui_test_memory_settings ();
      g_autoptr(WpcApplication) application = ui_test_application_new (settings, NULL);
      g_autofree char *command_line = g_strdup_printf ("workpoint-console %s", cases[i].args);
      g_auto(GStrv) argv = g_strsplit (command_line, " ", -1);

      g_test_message ("%s", command_line);
      g_assert_cmpint (g_application_run (G_APPLICATION (application),
                                          (int) g_strv_length (argv), argv),
                       ==, cases[i].status);
    }
}

static void
test_application_version (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(WpcApplication) application = wpc_application_new ();
      char *argv[] = { (char *) "workpoint-console", (char *) "--version", NULL };

      exit (g_application_run (G_APPLICATION (application), 2, argv));
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("* " WPC_VERSION "\n");
}

static void
test_application_overrides (void)
{
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  g_autoptr(WpcApplication) application = ui_test_application_new (settings, NULL);
  GVariantDict *options = g_variant_dict_new (NULL);
  int status;

  /* Without options the properties follow the settings. */
  g_settings_set_uint (settings, "secure-port", 28444);
  g_assert_cmpuint (wpc_application_get_secure_port (application), ==, 28444);
  g_assert_cmpuint (wpc_application_get_port (application), ==, 18443);
  g_assert_cmpstr (wpc_application_get_bind_address (application), ==, "");
  g_assert_cmpuint (wpc_application_get_demo_phones (application), ==, 0);
  g_assert_false (wpc_application_get_headless (application));
  g_assert_true (g_str_has_suffix (wpc_application_get_data_dir (application), "/workpoint-console"));

  g_variant_dict_insert (options, "port", "i", 30443);
  g_variant_dict_insert (options, "bind", "s", "127.0.0.1");
  g_variant_dict_insert (options, "demo", "i", 20);
  g_variant_dict_insert (options, "data-dir", "^ay", "/var/tmp/wpc-test");
  g_signal_emit_by_name (application, "handle-local-options", options, &status);
  g_variant_dict_unref (options);
  g_assert_cmpint (status, ==, -1);

  g_assert_cmpuint (wpc_application_get_port (application), ==, 30443);
  g_assert_cmpstr (wpc_application_get_bind_address (application), ==, "127.0.0.1");
  g_assert_cmpuint (wpc_application_get_demo_phones (application), ==, 20);
  g_assert_cmpstr (wpc_application_get_data_dir (application), ==, "/var/tmp/wpc-test");

  /* Overridden values stay for this run; the others keep following the settings. */
  g_settings_set_uint (settings, "port", 18000);
  g_settings_set_string (settings, "bind-address", "192.0.2.1");
  g_settings_set_uint (settings, "secure-port", 18001);
  g_assert_cmpuint (wpc_application_get_port (application), ==, 30443);
  g_assert_cmpstr (wpc_application_get_bind_address (application), ==, "127.0.0.1");
  g_assert_cmpuint (wpc_application_get_secure_port (application), ==, 18001);
}

static void
test_preferences_bindings (void)
{
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = wpc_preferences_window_new (settings);
  GtkEditable *port = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "port"));
  GtkEditable *secure_port = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "secure_port"));
  GtkSpinButton *pin_length = GTK_SPIN_BUTTON (ui_test_find_named (window, GTK_TYPE_SPIN_BUTTON, "pin_length"));
  GtkSpinButton *initial = GTK_SPIN_BUTTON (ui_test_find_named (window, GTK_TYPE_SPIN_BUTTON, "contact_me_initial_backoff"));
  GtkSpinButton *longest = GTK_SPIN_BUTTON (ui_test_find_named (window, GTK_TYPE_SPIN_BUTTON, "contact_me_max_backoff"));
  GtkSpinButton *retention = GTK_SPIN_BUTTON (ui_test_find_named (window, GTK_TYPE_SPIN_BUTTON, "traffic_retention_days"));
  GtkEditable *bind_address = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "bind_address"));
  GtkSwitch *reveal = GTK_SWITCH (ui_test_find_named (window, GTK_TYPE_SWITCH, "reveal_secrets_allowed"));
  GtkWidget *network_problem = ui_test_find_named (window, GTK_TYPE_LABEL, "network_problem");
  GtkWidget *backoff_problem = ui_test_find_named (window, GTK_TYPE_LABEL, "backoff_problem");
  g_autofree char *bind_setting = NULL;
  g_autofree char *text = NULL;
  double min, max;

  gtk_window_present (GTK_WINDOW (window));
  wait_for (ui_test_widget_is_mapped_and_allocated, window, "the preferences to be mapped");

  /* Values and ranges come from the schema (decisions D9, D10, D17). */
  g_assert_cmpstr (gtk_editable_get_text (port), ==, "18443");
  g_assert_cmpstr (gtk_editable_get_text (secure_port), ==, "18444");
  g_assert_cmpint (gtk_spin_button_get_value_as_int (pin_length), ==, 12);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (initial), ==, 30);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (longest), ==, 900);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (retention), ==, 30);
  gtk_spin_button_get_range (pin_length, &min, &max);
  g_assert_cmpfloat (min, ==, 8);
  g_assert_cmpfloat (max, ==, 20);
  g_assert_false (gtk_switch_get_active (reveal));
  g_assert_cmpstr (gtk_editable_get_text (bind_address), ==, "");

  /* Control -> setting (the network group waits for Apply: test-ui-preferences) */
  gtk_spin_button_set_value (pin_length, 16);
  g_assert_cmpuint (g_settings_get_uint (settings, "pin-length"), ==, 16);
  gtk_spin_button_set_value (retention, 7);
  g_assert_cmpuint (g_settings_get_uint (settings, "traffic-retention-days"), ==, 7);
  gtk_switch_set_active (reveal, TRUE);
  g_assert_true (g_settings_get_boolean (settings, "reveal-secrets-allowed"));

  /* Setting -> control */
  g_settings_set_uint (settings, "secure-port", 20444);
  g_assert_cmpstr (gtk_editable_get_text (secure_port), ==, "20444");
  g_settings_set_uint (settings, "contact-me-max-backoff", 600);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (longest), ==, 600);

  /* An invalid address is reported, and never stored. */
  g_assert_false (gtk_widget_get_visible (network_problem));
  gtk_editable_set_text (bind_address, "192.0.2.300");
  g_assert_true (gtk_widget_get_visible (network_problem));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (bind_address), "error"));
  g_assert_false (gtk_widget_is_sensitive (ui_test_find_named (window, GTK_TYPE_BUTTON, "network_apply")));
  gtk_widget_activate_action (window, "preferences.apply-network", NULL);
  bind_setting = g_settings_get_string (settings, "bind-address");
  g_assert_cmpstr (bind_setting, ==, "");
  gtk_editable_set_text (bind_address, "");
  g_assert_false (gtk_widget_get_visible (network_problem));

  /* Equal ports and an inverted back-off are reported. */
  gtk_editable_set_text (port, "20444");
  g_assert_true (gtk_widget_get_visible (network_problem));
  gtk_editable_set_text (port, "18443");
  g_assert_false (gtk_widget_get_visible (network_problem));
  g_assert_false (gtk_widget_get_visible (backoff_problem));
  gtk_spin_button_set_value (initial, 700);
  g_assert_true (gtk_widget_get_visible (backoff_problem));
  gtk_spin_button_set_value (initial, 60);
  g_assert_false (gtk_widget_get_visible (backoff_problem));

  /* The CA row shows the imported file and can go back to the own CA. */
  g_settings_set_string (settings, "ca-import-path", "/etc/ssl/wpc-ca.pem");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), "secure_mode_page");
  text = ui_test_shown_text (window);
  g_assert_nonnull (strstr (text, "/etc/ssl/wpc-ca.pem"));
  g_assert_true (gtk_widget_activate_action (window, "preferences.clear-ca", NULL));
  g_clear_pointer (&bind_setting, g_free);
  bind_setting = g_settings_get_string (settings, "ca-import-path");
  g_assert_cmpstr (bind_setting, ==, "");

  ui_test_save_screenshot (window, "preferences-edited.png");
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_local_addresses (void)
{
  g_autoptr(GInetAddress) ipv4 = g_inet_address_new_from_string ("192.0.2.2");
  g_autoptr(GInetAddress) ipv6 = g_inet_address_new_from_string ("2001:db8::5");
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) ipv4_only = NULL;
  g_autoptr(GPtrArray) bound = NULL;
  g_autoptr(GPtrArray) invalid = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url4 = wpc_local_addresses_sdlp_url (ipv4, 18443);
  g_autofree char *url6 = wpc_local_addresses_sdlp_url (ipv6, 1);

  g_assert_cmpstr (url4, ==, "sdlp://192.0.2.2:18443");
  g_assert_cmpstr (url6, ==, "sdlp://[2001:db8::5]:1");

  all = wpc_local_addresses_list (&error);
  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++)
    {
      GInetAddress *address = g_ptr_array_index (all, i);

      g_assert_false (g_inet_address_get_is_loopback (address));
      g_assert_false (g_inet_address_get_is_link_local (address));
      /* IPv4 first */
      if (i > 0 && g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4)
        g_assert_cmpint (g_inet_address_get_family (g_ptr_array_index (all, i - 1)), ==, G_SOCKET_FAMILY_IPV4);
    }

  ipv4_only = wpc_local_addresses_for_bind ("0.0.0.0", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ipv4_only->len, <=, all->len);
  for (guint i = 0; i < ipv4_only->len; i++)
    g_assert_cmpint (g_inet_address_get_family (g_ptr_array_index (ipv4_only, i)), ==, G_SOCKET_FAMILY_IPV4);

  bound = wpc_local_addresses_for_bind (" 127.0.0.1 ", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bound->len, ==, 1);
  g_assert_true (g_inet_address_get_is_loopback (g_ptr_array_index (bound, 0)));

  invalid = wpc_local_addresses_for_bind ("phones.example", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (invalid);
}

static gboolean
phones_listed (gpointer data)
{
  Fixture *fixture = data;

  return g_list_model_get_n_items (G_LIST_MODEL (wpc_phones_view_get_selection (
           wpc_window_get_phones_view (fixture->window)))) == 3;
}

/* The run ended and the table, read in a thread, shows its PINs */
static gboolean
handout_idle (gpointer data)
{
  return !wpc_handout_view_get_busy (data) && !wpc_handout_view_get_loading (data);
}

/* "Bootstrap to Secure Mode" on the Phones view's selection: the PIN handout, set to
 * exactly those phones. */
static void
test_window_bootstrap_selection (Fixture *fixture)
{
  static const char * const macs[] = { "00:1A:E8:00:00:01", "00:1A:E8:00:00:02", "00:1A:E8:00:00:03" };
  WpcPhonesView *phones_view = wpc_window_get_phones_view (fixture->window);
  WpcHandoutView *handout_view = wpc_window_get_handout_view (fixture->window);
  GtkSelectionModel *selection = wpc_phones_view_get_selection (phones_view);
  g_autoptr(GPtrArray) selected = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (macs); i++)
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (macs[i]);

      phone->e164 = g_strdup_printf ("+4989700%u", i + 1);
      wpi_store_phone_upsert (wpi_service_host_get_store (fixture->console.service), phone, WPI_PHONE_FIELD_E164,
                              NULL, &error);
      g_assert_no_error (error);
    }
  wpi_service_host_reload (fixture->console.service);
  wait_for (phones_listed, fixture, "3 phones in the list");

  /* Nothing selected: nothing to bootstrap */
  gtk_selection_model_unselect_all (selection);
  gtk_widget_activate_action (GTK_WIDGET (phones_view), "phone.bootstrap", NULL);
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "phones");

  gtk_selection_model_select_range (selection, 0, 2, TRUE);
  selected = wpc_phones_view_get_selected_phones (phones_view);
  g_assert_cmpuint (selected->len, ==, 2);
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (phones_view), "<Control><Shift>b"));
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "pin-handout");

  /* Generate makes PINs for the two selected phones only */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (handout_view), "handout.generate", NULL));
  wait_for (handout_idle, handout_view, "the handout to finish");
  g_assert_null (wpc_handout_view_get_failures_text (handout_view));
  g_assert_cmpuint (wpc_handout_view_get_n_pins (handout_view), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(WpiPinRecord) pin = wpc_handout_view_get_pin (handout_view, i);
      gboolean was_selected = FALSE;

      for (guint j = 0; j < selected->len; j++)
        was_selected |= g_str_equal (pin->mac, wpi_phone_get_mac (g_ptr_array_index (selected, j)));
      g_assert_true (was_selected);
    }
}

/* A console that opened its own service (no service handed in): the listening values
 * come from the settings, on free loopback ports. */
static void
fixture_set_up_own_service (Fixture       *fixture,
                            gconstpointer  user_data)
{
  fixture->console.data_dir = test_util_make_tmp_dir ("wpc-ui-window");
  fixture->console.settings = ui_test_memory_settings ();
  g_settings_set_string (fixture->console.settings, "bind-address", "127.0.0.1");
  g_settings_set_uint (fixture->console.settings, "port", test_util_free_port ());
  g_settings_set_uint (fixture->console.settings, "secure-port", test_util_free_port ());
  fixture->console.application = ui_test_application_new (fixture->console.settings, fixture->console.data_dir);
}

typedef struct {
  Fixture *fixture;
  guint    port;
} PortWait;

static gboolean
listens_on (gpointer data)
{
  PortWait *wait = data;
  WpiServiceHost *service = wpc_window_get_service (wait->fixture->window);
  const char *listening = wpc_status_bar_get_listening (wpc_window_get_status_bar (wait->fixture->window));
  g_autofree char *port_text = g_strdup_printf (":%u", wait->port);

  return wpi_service_host_get_port (service) == wait->port &&
         listening != NULL && strstr (listening, port_text) != NULL;
}

static gboolean
refused_to_listen (gpointer data)
{
  Fixture *fixture = data;
  GtkWidget *bar = ui_test_find_widget (GTK_WIDGET (fixture->window), GTK_TYPE_INFO_BAR, NULL);

  return wpi_service_host_get_port (wpc_window_get_service (fixture->window)) == 0 &&
         gtk_info_bar_get_revealed (GTK_INFO_BAR (bar));
}

/* Preferences change the ports while the console runs: the service moves there at once,
 * says so when a port is taken, and recovers on the next change. */
static void
test_window_relisten (Fixture *fixture)
{
  PortWait wait = { fixture, g_settings_get_uint (fixture->console.settings, "port") };
  g_autoptr(GSocketListener) squatter = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  GtkWidget *bar = ui_test_find_widget (GTK_WIDGET (fixture->window), GTK_TYPE_INFO_BAR, NULL);
  guint taken;

  wait_for (listens_on, &wait, "the service on its first port");

  wait.port = test_util_free_port ();
  g_settings_set_uint (fixture->console.settings, "port", wait.port);
  wait_for (listens_on, &wait, "the service on the new port");
  g_assert_false (gtk_info_bar_get_revealed (GTK_INFO_BAR (bar)));

  /* A port another program holds */
  taken = g_socket_listener_add_any_inet_port (squatter, NULL, &error);
  g_assert_no_error (error);
  g_settings_set_uint (fixture->console.settings, "port", taken);
  wait_for (refused_to_listen, fixture, "the refusal to be shown");
  {
    g_autofree char *text = ui_test_shown_text (bar);

    g_assert_nonnull (strstr (text, "not listening"));
  }

  wait.port = test_util_free_port ();
  g_settings_set_uint (fixture->console.settings, "port", wait.port);
  wait_for (listens_on, &wait, "the service on a free port again");
  g_assert_false (gtk_info_bar_get_revealed (GTK_INFO_BAR (bar)));
}

/* Preferences' imported CA is the CA the console's PKI signs with; clearing the key
 * brings the own CA back. The CA file is another console's ca.pem (key + certificate). */
typedef struct {
  WpiPki     *pki;
  const char *ca_pem;
} CaWait;

static gboolean
signs_with (gpointer data)
{
  CaWait *wait = data;
  g_autofree char *ca_pem = wpi_pki_get_ca_pem (wait->pki);

  return g_strcmp0 (ca_pem, wait->ca_pem) == 0;
}

static void
test_window_ca_import (Fixture *fixture)
{
  g_autofree char *other_dir = g_build_filename (fixture->console.data_dir, "other-pki", NULL);
  g_autofree char *other_file = g_build_filename (other_dir, "ca.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) other = wpi_pki_new (other_dir, NULL, &error);
  WpiPki *pki = wpi_service_host_get_pki (fixture->console.service);
  g_autofree char *own_ca = wpi_pki_get_ca_pem (pki);
  g_autofree char *other_ca = NULL;
  CaWait wait = { pki, NULL };

  g_assert_no_error (error);
  other_ca = wpi_pki_get_ca_pem (other);
  g_assert_cmpstr (own_ca, !=, other_ca);

  g_settings_set_string (fixture->console.settings, "ca-import-path", other_file);
  wait.ca_pem = other_ca;
  wait_for (signs_with, &wait, "the imported CA to sign");

  g_settings_reset (fixture->console.settings, "ca-import-path");
  wait.ca_pem = own_ca;
  wait_for (signs_with, &wait, "the own CA to sign again");
}

/* The switcher bar at the bottom shows when the title's switcher does not fit or the
 * window is narrower than WPC_WINDOW_NARROW_WIDTH: the libadwaita 1.2 pattern (reveal
 * bound to the title's title-visible) */
typedef struct {
  AdwViewSwitcherBar *bar;
  gboolean            revealed;
} BarWait;

static gboolean
bar_revealed_as_expected (gpointer data)
{
  BarWait *wait = data;

  /* Animations are off in tests: a hidden bar takes no height at once */
  return adw_view_switcher_bar_get_reveal (wait->bar) == wait->revealed &&
         (gtk_widget_get_height (GTK_WIDGET (wait->bar)) > 0) == wait->revealed;
}

/* The same screenshot in the dark style, "window-1024x600-dark.png" */
static void
save_dark_screenshot (GtkWidget  *root,
                      const char *name)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  g_autofree char *stem = g_strndup (name, strlen (name) - strlen (".png"));
  g_autofree char *dark_name = g_strconcat (stem, "-dark.png", NULL);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (adw_style_manager_get_dark (style));
  ui_test_wait_for_paint (root, WAIT_TIMEOUT_MS);
  ui_test_save_screenshot (root, dark_name);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

static void
test_window_switcher_bar (Fixture *fixture)
{
  static const struct { int width; int height; gboolean revealed; const char *screenshot; } sizes[] = {
    { 600, 768, TRUE, "window-600x768.png" },
    { 1920, 1080, FALSE, "window-1920x1080.png" },
    { 1024, 600, FALSE, "window-1024x600.png" },
  };
  GtkWidget *root = GTK_WIDGET (fixture->window);
  BarWait wait = { ADW_VIEW_SWITCHER_BAR (ui_test_find_named (root, ADW_TYPE_VIEW_SWITCHER_BAR, NULL)), FALSE };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *what = g_strdup_printf ("the switcher bar %s at %d px",
                                               sizes[i].revealed ? "revealed" : "hidden", sizes[i].width);

      gtk_window_set_default_size (GTK_WINDOW (fixture->window), sizes[i].width, sizes[i].height);
      wait.revealed = sizes[i].revealed;
      wait_for (bar_revealed_as_expected, &wait, what);
      ui_test_wait_for_paint (root, WAIT_TIMEOUT_MS);
      /* As narrow as the views allow, which is still under the narrow width */
      g_assert_cmpint (gtk_widget_get_width (root), <, sizes[i].revealed ? WPC_WINDOW_NARROW_WIDTH : G_MAXINT);
      ui_test_save_screenshot (root, sizes[i].screenshot);
      save_dark_screenshot (root, sizes[i].screenshot);
    }
}

/* A toast shown from any view appears in the window's overlay (wpc-toast.h) */
static void
test_window_toast (Fixture *fixture)
{
  GtkWidget *views_shown[] = {
    GTK_WIDGET (wpc_window_get_phones_view (fixture->window)),
    GTK_WIDGET (wpc_window_get_handout_view (fixture->window)),
    GTK_WIDGET (wpc_window_get_traffic_view (fixture->window)),
  };
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (fixture->window));

  g_assert_true (ADW_IS_TOAST_OVERLAY (content));
  for (guint i = 0; i < G_N_ELEMENTS (views_shown); i++)
    {
      AdwToast *toast = adw_toast_new (views[i].title);

      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s",
                                                 views[i].name));
      wpc_toast_show (views_shown[i], toast);
      g_assert_true (wpc_toast_get_last (content) == toast);
      ui_test_wait_for_shown_text (content, views[i].title, WAIT_TIMEOUT_MS, "the toast in the window");
    }
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "window-toast.png");
}

/* Closing with pending work (D31) ----------------------------------------------- */

static const char * const pending_macs[] = { "00:1A:E8:00:01:01", "00:1A:E8:00:01:02", "00:1A:E8:00:01:03" };

typedef struct {
  WpcWindow *window;
  guint      jobs;
} PendingWait;

static gboolean
pending_jobs_are (gpointer data)
{
  PendingWait *wait = data;
  guint jobs = 0;
  guint bootstraps = 0;

  wpc_window_count_pending (wait->window, &jobs, &bootstraps);
  if (g_test_verbose ())
    g_test_message ("pending: %u jobs, %u bootstraps", jobs, bootstraps);
  return jobs == wait->jobs && bootstraps == 0;
}

/* Restarts queued for phones the console cannot contact (no address): they stay pending */
static GArray *
queue_restarts (Fixture *fixture)
{
  WpiStore *store = wpi_service_host_get_store (fixture->console.service);
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  PendingWait wait = { fixture->window, G_N_ELEMENTS (pending_macs) };

  for (guint i = 0; i < G_N_ELEMENTS (pending_macs); i++)
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (pending_macs[i]);
      g_autoptr(GError) error = NULL;
      gint64 id;

      wpi_store_phone_upsert (store, phone, 0, NULL, &error);
      g_assert_no_error (error);
      id = wpi_service_host_enqueue_job (fixture->console.service, pending_macs[i], WPI_JOB_KIND_RESTART,
                                         NULL, NULL, &error);
      g_assert_no_error (error);
      g_array_append_val (ids, id);
    }
  wpi_service_host_reload (fixture->console.service);
  wait_for (pending_jobs_are, &wait, "the restarts to be pending");
  return ids;
}

static void
cancel_jobs (Fixture *fixture,
             GArray  *ids)
{
  WpiStore *store = wpi_service_host_get_store (fixture->console.service);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) error = NULL;

      wpi_store_job_cancel (store, g_array_index (ids, gint64, i), &error);
      g_assert_no_error (error);
    }
  wpi_service_host_reload (fixture->console.service);
}

/* Clicks the question's button for the response, as the user would */
static void
answer (AdwMessageDialog *dialog,
        const char       *response)
{
  GtkWidget *button =
    ui_test_find_button_with_label (GTK_WIDGET (dialog), adw_message_dialog_get_response_label (dialog, response));

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
close_dialog_gone (gpointer data)
{
  return ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL) == NULL;
}

/* Asks to close as the user would (close button, Ctrl+W, Ctrl+Q) and returns the question */
static AdwMessageDialog *
close_and_wait_for_question (Fixture    *fixture,
                             const char *way)
{
  GtkWindow *dialog;

  if (g_str_equal (way, "close-button"))
    gtk_window_close (GTK_WINDOW (fixture->window));
  else if (g_str_equal (way, "app.quit"))
    g_action_group_activate_action (G_ACTION_GROUP (fixture->console.application), "quit", NULL);
  else
    g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->window), way));

  dialog = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL, WAIT_TIMEOUT_MS);
  g_assert_nonnull (dialog);
  g_assert_nonnull (fixture->window);
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (fixture->window));
  return ADW_MESSAGE_DIALOG (dialog);
}

/* Closes that way and gives the question that answer */
static void
close_and_answer (Fixture    *fixture,
                  const char *way,
                  const char *response)
{
  answer (close_and_wait_for_question (fixture, way), response);
}

static void
test_window_close_pending (Fixture *fixture)
{
  static const char * const ways[] = { "close-button", "<Control>w", "app.quit" };
  static const struct { const char *id; const char *label; AdwResponseAppearance appearance; } responses[] = {
    { "cancel", "_Cancel", ADW_RESPONSE_DEFAULT },
    { "stop", "_Stop Service", ADW_RESPONSE_DESTRUCTIVE },
    { "background", "_Keep Running in Background", ADW_RESPONSE_SUGGESTED },
  };
  g_autoptr(GArray) ids = queue_restarts (fixture);

  /* Every way to close asks first; Cancel keeps the window and the service */
  for (guint i = 0; i < G_N_ELEMENTS (ways); i++)
    {
      AdwMessageDialog *dialog = close_and_wait_for_question (fixture, ways[i]);

      g_assert_nonnull (strstr (adw_message_dialog_get_body (dialog), "3 jobs are waiting for phones."));
      for (guint j = 0; j < G_N_ELEMENTS (responses); j++)
        {
          g_assert_true (adw_message_dialog_has_response (dialog, responses[j].id));
          g_assert_cmpstr (adw_message_dialog_get_response_label (dialog, responses[j].id), ==,
                           responses[j].label);
          g_assert_cmpint (adw_message_dialog_get_response_appearance (dialog, responses[j].id), ==,
                           responses[j].appearance);
        }
      if (i == 0)
        {
          wait_for (ui_test_widget_is_mapped_and_allocated, dialog, "the question to be mapped");
          ui_test_save_screenshot (GTK_WIDGET (dialog), "close-pending.png");
        }
      answer (dialog, "cancel");
      wait_for (close_dialog_gone, NULL, "the question to go");
      g_assert_nonnull (fixture->window);
      g_assert_true (gtk_widget_get_visible (GTK_WIDGET (fixture->window)));
      g_assert_false (wpc_window_get_in_background (fixture->window));
      g_assert_true (wpi_service_host_is_listening (fixture->console.service));
    }
  cancel_jobs (fixture, ids);
}

static gboolean
window_gone (gpointer data)
{
  Fixture *fixture = data;

  return fixture->window == NULL;
}

static gboolean
background_notification_shown (gpointer data)
{
  gboolean shown;

  g_mutex_lock (&fake_portal.lock);
  shown = g_strcmp0 (fake_portal.notification, "Workpoint Console is still provisioning phones") == 0;
  g_mutex_unlock (&fake_portal.lock);
  return shown;
}

/* Keep Running in Background: the window hides and the application stays held; shown
 * again it is back; hidden again, it closes by itself once the work is done */
static void
test_window_close_background (Fixture *fixture)
{
  g_autoptr(GArray) ids = queue_restarts (fixture);

  close_and_answer (fixture, "<Control>w", "background");
  wait_for (background_notification_shown, NULL, "the notification that the console keeps running");
  g_assert_nonnull (fixture->window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (fixture->window)));
  g_assert_true (wpc_window_get_in_background (fixture->window));
  g_assert_true (wpi_service_host_is_listening (fixture->console.service));

  /* The launcher (a second workpoint-console) and the notification's default action
   * (app.show-window) activate the application: the window again. Its class handler is
   * called alone: the test's own "activate" handler runs this test. */
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (fixture->console.application), "show-window"));
  G_APPLICATION_GET_CLASS (fixture->console.application)->activate (G_APPLICATION (fixture->console.application));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (fixture->window)));
  g_assert_false (wpc_window_get_in_background (fixture->window));

  close_and_answer (fixture, "close-button", "background");
  g_assert_true (wpc_window_get_in_background (fixture->window));

  /* The work done, the window closes and the hold goes: g_application_run() returns */
  cancel_jobs (fixture, ids);
  wait_for (window_gone, fixture, "the window to close once the work is done");
}

/* Stop Service closes as before; with nothing pending the window closes at once */
static void
test_window_close_stop (Fixture *fixture)
{
  g_autoptr(GArray) ids = queue_restarts (fixture);

  close_and_answer (fixture, "<Control>w", "stop");
  wait_for (window_gone, fixture, "the window to close");
  g_assert_cmpuint (ids->len, ==, G_N_ELEMENTS (pending_macs));
}

static void
test_window_close_nothing_pending (Fixture *fixture)
{
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->window), "<Control>w"));
  g_assert_null (fixture->window);
  g_assert_null (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL));
}

int
main (int   argc,
      char *argv[])
{
  start_fake_portal ();
  ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/local-addresses", test_local_addresses);
  g_test_add_func ("/ui/application/options", test_application_options);
  g_test_add_func ("/ui/application/overrides", test_application_overrides);
  g_test_add_func ("/ui/application/version", test_application_version);
  add_window_test ("/ui/window/views", test_window_views);
  add_window_test ("/ui/window/primary-menu", test_window_primary_menu);
  add_window_test ("/ui/window/preferences-action", test_window_preferences_action);
  add_window_test ("/ui/window/shortcuts-and-about", test_window_shortcuts_and_about);
  add_window_test ("/ui/window/empty-state", test_window_empty_state);
  add_window_test ("/ui/window/dark-mode", test_window_dark_mode);
  add_window_test ("/ui/window/start-demo", test_window_start_demo);
  add_window_test ("/ui/window/size", test_window_size);
  add_window_test ("/ui/window/status-bar", test_window_status_bar);
  add_window_test ("/ui/window/bootstrap-selection", test_window_bootstrap_selection);
  g_test_add ("/ui/window/relisten", Fixture, (gconstpointer) test_window_relisten,
              fixture_set_up_own_service, run_window_test, fixture_tear_down);
  add_window_test ("/ui/window/ca-import", test_window_ca_import);
  add_window_test ("/ui/window/switcher-bar", test_window_switcher_bar);
  add_window_test ("/ui/window/toast", test_window_toast);
  add_window_test ("/ui/window/close/pending", test_window_close_pending);
  add_window_test ("/ui/window/close/background", test_window_close_background);
  add_window_test ("/ui/window/close/stop", test_window_close_stop);
  add_window_test ("/ui/window/close/nothing-pending", test_window_close_nothing_pending);
  g_test_add_func ("/ui/preferences/bindings", test_preferences_bindings);

  return g_test_run ();
}
