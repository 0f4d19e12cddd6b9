/* ui-test-util.c: what the widget tests share (see ui-test-util.h) */
#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <adwaita.h>
#include <gio/gsettingsbackend.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ui-test-util.h"
#include "wpc-toast.h"
#include "test-util-service.h"

/* Painting a frame on Xvfb under AddressSanitizer takes seconds at worst */
#define PAINT_TIMEOUT_MS 60000

void
ui_test_init (int    *argc,
              char ***argv)
{
  gtk_test_init (argc, argv, NULL);
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
}

GSettings *
ui_test_memory_settings (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  return g_settings_new_with_backend (WPC_APP_ID, backend);
}

WpcApplication *
ui_test_application_new (GSettings  *settings,
                         const char *data_dir)
{
  return g_object_new (WPC_TYPE_APPLICATION,
                       "application-id", WPC_APP_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/workpoint/Console",
                       "settings", settings,
                       "data-dir", data_dir,
                       NULL);
}

void
ui_test_console_set_up (UiTestConsole *console,
                        const char    *prefix,
                        int            window_width,
                        int            window_height)
{
  console->data_dir = test_util_make_tmp_dir (prefix);
  console->service = test_util_service_host_new (console->data_dir);
  console->settings = ui_test_memory_settings ();
  g_settings_set_string (console->settings, "bind-address", "127.0.0.1");
  g_settings_set_int (console->settings, "window-width", window_width);
  g_settings_set_int (console->settings, "window-height", window_height);
  console->application = ui_test_application_new (console->settings, NULL);
  wpc_application_set_service (console->application, console->service);
}

void
ui_test_console_tear_down (UiTestConsole *console)
{
  g_clear_object (&console->application);
  g_clear_object (&console->settings);
  g_clear_object (&console->service);
  test_util_remove_tree (console->data_dir);
  g_clear_pointer (&console->data_dir, g_free);
}

gboolean
ui_test_widget_is_mapped_and_allocated (gpointer widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

typedef struct {
  UiTestWindowFunc func;
  gpointer         data;
} WindowRun;

static void
on_activate (GApplication *application,
             WindowRun    *run)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  g_assert_nonnull (window);
  test_util_wait_until (ui_test_widget_is_mapped_and_allocated, window, PAINT_TIMEOUT_MS,
                        "the window to be mapped");
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  run->func (window, run->data);
  /* Closing the last window (dialogs a test left open go with it) ends g_application_run() */
  if (window != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (window), (gpointer *) &window);
      gtk_window_destroy (window);
    }
}

void
ui_test_run_application (WpcApplication   *application,
                         const char       *program,
                         UiTestWindowFunc  func,
                         gpointer          data)
{
  char *argv[] = { (char *) program, NULL };
  WindowRun run = { func, data };
  gulong handler = g_signal_connect_after (application, "activate", G_CALLBACK (on_activate), &run);

  g_assert_cmpint (g_application_run (G_APPLICATION (application), 1, argv), ==, 0);
  g_signal_handler_disconnect (application, handler);
}

typedef struct {
  UiTestConsole      *console;
  WpcWindow         **window;
  UiTestConsoleFunc   func;
  gpointer            data;
} ConsoleRun;

static void
run_in_console_window (GtkWindow *window,
                       gpointer   data)
{
  ConsoleRun *run = data;

  g_assert_true (WPC_IS_WINDOW (window));
  g_assert_true (wpc_window_get_settings (WPC_WINDOW (window)) == run->console->settings);
  *run->window = WPC_WINDOW (window);
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) run->window);

  run->func (run->data);

  if (*run->window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (*run->window), (gpointer *) run->window);
  *run->window = NULL;
}

void
ui_test_console_run (UiTestConsole      *console,
                     const char         *program,
                     WpcWindow         **window,
                     UiTestConsoleFunc   func,
                     gpointer            data)
{
  ConsoleRun run = { console, window, func, data };

  ui_test_run_application (console->application, program, run_in_console_window, &run);
}

gboolean
ui_test_is_shown (GtkWidget *widget)
{
  for (; widget != NULL; widget = gtk_widget_get_parent (widget))
    if (!gtk_widget_get_visible (widget) || !gtk_widget_get_child_visible (widget))
      return FALSE;
  return TRUE;
}

static void
collect_text (GtkWidget *root,
              gboolean   shown_only,
              GString   *text)
{
  if (shown_only && (!gtk_widget_get_visible (root) || !gtk_widget_get_child_visible (root)))
    return;
  if (GTK_IS_LABEL (root))
    g_string_append_printf (text, "%s\n", gtk_label_get_text (GTK_LABEL (root)));
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_text (child, shown_only, text);
}

char *
ui_test_shown_text (GtkWidget *root)
{
  GString *text = g_string_new (NULL);

  collect_text (root, TRUE, text);
  return g_string_free (text, FALSE);
}

typedef struct { GtkWidget *root; const char *part; } ShownText;

static gboolean
shows_text (gpointer data)
{
  ShownText *wait = data;
  g_autofree char *text = ui_test_shown_text (wait->root);

  return strstr (text, wait->part) != NULL;
}

void
ui_test_wait_for_shown_text (GtkWidget  *root,
                             const char *part,
                             guint       timeout_ms,
                             const char *what)
{
  test_util_wait_until (shows_text, (&(ShownText) { root, part }), timeout_ms, what);
}

static gboolean
toast_says (gpointer data)
{
  ShownText *wait = data;
  AdwToast *toast = wpc_toast_get_last (wait->root);

  return toast != NULL && strstr (adw_toast_get_title (toast), wait->part) != NULL;
}

AdwToast *
ui_test_wait_for_toast (GtkWidget  *source,
                        const char *part,
                        guint       timeout_ms,
                        const char *what)
{
  test_util_wait_until (toast_says, (&(ShownText) { source, part }), timeout_ms, what);
  return wpc_toast_get_last (source);
}

char *
ui_test_label_text (GtkWidget *root)
{
  GString *text = g_string_new (NULL);

  collect_text (root, FALSE, text);
  return g_string_free (text, FALSE);
}

static gboolean
widget_matches (gpointer    widget,
                GType       type,
                const char *name)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, type) &&
         (name == NULL || g_strcmp0 (gtk_widget_get_name (widget), name) == 0);
}

GtkWidget *
ui_test_find_widget (GtkWidget  *root,
                     GType       type,
                     const char *name)
{
  if (widget_matches (root, type, name))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = ui_test_find_widget (child, type, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

GtkWidget *
ui_test_find_named (GtkWidget  *root,
                    GType       type,
                    const char *name)
{
  GtkWidget *widget = ui_test_find_widget (root, type, name);

  if (widget == NULL)
    g_error ("No %s named %s", g_type_name (type), name ? name : "(any)");
  return widget;
}

void
ui_test_find_all (GtkWidget  *root,
                  GType       type,
                  const char *name,
                  GPtrArray  *found)
{
  if (widget_matches (root, type, name))
    g_ptr_array_add (found, root);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    ui_test_find_all (child, type, name, found);
}

/* The first GtkButton under root whose text (its label or its action's name, as get
 * gives it) is text, or NULL */
static GtkWidget *
find_button (GtkWidget    *root,
             const char *(*get) (gpointer button),
             const char   *text)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  ui_test_find_all (root, GTK_TYPE_BUTTON, NULL, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (get (buttons->pdata[i]), text) == 0)
      return buttons->pdata[i];
  return NULL;
}

static const char *
button_label (gpointer button)
{
  return gtk_button_get_label (button);
}

static const char *
button_action (gpointer button)
{
  return gtk_actionable_get_action_name (button);
}

GtkWidget *
ui_test_find_button_with_label (GtkWidget  *root,
                                const char *label)
{
  return find_button (root, button_label, label);
}

GtkWidget *
ui_test_find_button_for_action (GtkWidget  *root,
                                const char *action)
{
  GtkWidget *button = find_button (root, button_action, action);

  if (button == NULL)
    g_error ("No button for %s", action);
  return button;
}

GtkWindow *
ui_test_find_toplevel (GType       type,
                       const char *name)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (widget_matches (window, type, name))
        return window;
    }
  return NULL;
}

typedef struct {
  GType       type;
  const char *name;
  GtkWindow  *window;
} ToplevelWait;

static gboolean
toplevel_shown (gpointer data)
{
  ToplevelWait *wait = data;

  wait->window = ui_test_find_toplevel (wait->type, wait->name);
  return wait->window != NULL && gtk_widget_get_mapped (GTK_WIDGET (wait->window));
}

GtkWindow *
ui_test_wait_for_toplevel (GType       type,
                           const char *name,
                           guint       timeout_ms)
{
  ToplevelWait wait = { type, name, NULL };

  test_util_wait_until (toplevel_shown, &wait, timeout_ms, "a dialog");
  return wait.window;
}

static gboolean
toplevel_gone (gpointer data)
{
  ToplevelWait *wait = data;

  return ui_test_find_toplevel (wait->type, wait->name) == NULL;
}

void
ui_test_wait_for_toplevel_gone (GType       type,
                                const char *name,
                                guint       timeout_ms)
{
  ToplevelWait wait = { type, name, NULL };

  test_util_wait_until (toplevel_gone, &wait, timeout_ms, "the dialog to close");
}

/* Every GtkShortcut of the widget's own shortcut controllers, in their order */
static GPtrArray *
widget_shortcuts (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  GPtrArray *shortcuts = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        g_ptr_array_add (shortcuts, g_list_model_get_item (G_LIST_MODEL (controller), j));
    }
  return shortcuts;
}

static char *
shortcut_trigger (GtkShortcut *shortcut)
{
  return gtk_shortcut_trigger_to_string (gtk_shortcut_get_trigger (shortcut));
}

GStrv
ui_test_list_shortcuts (GtkWidget *widget)
{
  g_autoptr(GPtrArray) shortcuts = widget_shortcuts (widget);
  GPtrArray *triggers = g_ptr_array_new ();

  for (guint i = 0; i < shortcuts->len; i++)
    g_ptr_array_add (triggers, shortcut_trigger (g_ptr_array_index (shortcuts, i)));
  g_ptr_array_add (triggers, NULL);
  return (GStrv) g_ptr_array_free (triggers, FALSE);
}

gboolean
ui_test_activate_shortcut (GtkWidget  *widget,
                           const char *accelerator)
{
  g_autoptr(GPtrArray) shortcuts = widget_shortcuts (widget);
  g_autoptr(GtkShortcutTrigger) wanted = gtk_shortcut_trigger_parse_string (accelerator);
  /* GTK writes modifiers in its own order ("<Shift><Control>Delete"): compare in that form */
  g_autofree char *normalized = gtk_shortcut_trigger_to_string (wanted);

  for (guint i = 0; i < shortcuts->len; i++)
    {
      GtkShortcut *shortcut = g_ptr_array_index (shortcuts, i);
      g_autofree char *trigger = shortcut_trigger (shortcut);

      if (g_str_equal (trigger, normalized))
        return gtk_shortcut_action_activate (gtk_shortcut_get_action (shortcut),
                                             GTK_SHORTCUT_ACTION_EXCLUSIVE, widget,
                                             gtk_shortcut_get_arguments (shortcut));
    }
  return FALSE;
}

static void
on_after_paint (GdkFrameClock *frame_clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

void
ui_test_wait_for_paint (GtkWidget *widget,
                        guint      timeout_ms)
{
  GdkFrameClock *frame_clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong handler;

  g_assert_nonnull (frame_clock);
  handler = g_signal_connect (frame_clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  gtk_widget_queue_draw (widget);
  test_util_wait_for_flag (&painted, timeout_ms, "a frame to be painted");
  g_signal_handler_disconnect (frame_clock, handler);
}

static void
save_screenshot (GtkWidget  *widget,
                 GtkWidget  *popover,
                 const char *name)
{
  const char *dir = g_getenv ("WPC_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  if (dir == NULL)
    return;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  ui_test_wait_for_paint (widget, PAINT_TIMEOUT_MS);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  if (popover != NULL && gtk_widget_get_mapped (popover))
    {
      g_autoptr(GdkPaintable) over = gtk_widget_paintable_new (popover);
      GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (popover));
      double dx, dy;

      /* The popup's surface is placed relative to its parent's */
      gtk_native_get_surface_transform (GTK_NATIVE (popover), &dx, &dy);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (gdk_popup_get_position_x (GDK_POPUP (surface)) + dx,
                                                              gdk_popup_get_position_y (GDK_POPUP (surface)) + dy));
      gdk_paintable_snapshot (over, GDK_SNAPSHOT (snapshot), gtk_widget_get_width (popover),
                              gtk_widget_get_height (popover));
      gtk_snapshot_restore (snapshot);
    }
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("Saved %s", path);
}

void
ui_test_save_screenshot (GtkWidget  *widget,
                         const char *name)
{
  save_screenshot (widget, NULL, name);
}

void
ui_test_save_screenshot_with_popover (GtkWidget  *widget,
                                      GtkWidget  *popover,
                                      const char *name)
{
  save_screenshot (widget, popover, name);
}

void
ui_test_click_suggested (GtkWindow *dialog)
{
  GtkWidget *titlebar = gtk_window_get_titlebar (dialog);
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  /* An AdwWindow's titlebar is an empty placeholder: its header bar is in its content */
  ui_test_find_all (ADW_IS_WINDOW (dialog) ? GTK_WIDGET (dialog) : titlebar, GTK_TYPE_BUTTON, NULL, buttons);
  for (guint i = 0; i < buttons->len; i++)
    if (gtk_widget_has_css_class (g_ptr_array_index (buttons, i), "suggested-action"))
      {
        g_assert_true (gtk_widget_is_sensitive (g_ptr_array_index (buttons, i)));
        g_signal_emit_by_name (g_ptr_array_index (buttons, i), "clicked");
        return;
      }
  g_error ("No OK button");
}

void
ui_test_respond (GtkWindow  *message_dialog,
                 const char *response)
{
  g_assert_true (ADW_IS_MESSAGE_DIALOG (message_dialog));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (message_dialog), response));
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (message_dialog), response));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (message_dialog), response);
  gtk_window_close (message_dialog);
}

gboolean
ui_test_widget_is_hidden (gpointer widget)
{
  return !gtk_widget_get_visible (widget);
}

void
ui_test_present (GtkWindow *window)
{
  gtk_window_present (window);
  test_util_wait_until (ui_test_widget_is_mapped_and_allocated, window, 60000, "the window to be mapped");
}

void
ui_test_assert_toast (GtkWidget  *widget,
                      const char *title,
                      const char *button_label)
{
  AdwToast *toast = wpc_toast_get_last (widget);

  g_assert_nonnull (toast);
  g_assert_null (g_object_get_data (G_OBJECT (toast), "ui-test-asserted"));
  g_assert_cmpstr (adw_toast_get_title (toast), ==, title);
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, button_label);
  g_object_set_data (G_OBJECT (toast), "ui-test-asserted", GINT_TO_POINTER (TRUE));
}

void
ui_test_save_screenshots_at_sizes (GtkWindow  *window,
                                   const char *name)
{
  static const struct {
    int             width;
    int             height;
    AdwColorScheme  scheme;
    const char     *scheme_name;
  } shots[] = {
    { 1024, 600, ADW_COLOR_SCHEME_FORCE_LIGHT, "light" },
    { 1024, 600, ADW_COLOR_SCHEME_FORCE_DARK, "dark" },
    { 1920, 1080, ADW_COLOR_SCHEME_FORCE_LIGHT, "light" },
    { 1920, 1080, ADW_COLOR_SCHEME_FORCE_DARK, "dark" },
  };
  AdwStyleManager *style = adw_style_manager_get_default ();

  for (guint i = 0; i < G_N_ELEMENTS (shots); i++)
    {
      g_autofree char *file = g_strdup_printf ("%s-%dx%d-%s.png", name, shots[i].width, shots[i].height,
                                               shots[i].scheme_name);

      adw_style_manager_set_color_scheme (style, shots[i].scheme);
      gtk_window_set_default_size (window, shots[i].width, shots[i].height);
      /* one frame for the new size, one drawn at it */
      ui_test_wait_for_paint (GTK_WIDGET (window), 60000);
      ui_test_wait_for_paint (GTK_WIDGET (window), 60000);
      g_assert_cmpint (adw_style_manager_get_dark (style), ==, shots[i].scheme == ADW_COLOR_SCHEME_FORCE_DARK);
      ui_test_save_screenshot (GTK_WIDGET (window), file);
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

void
ui_test_save_screenshots_light_dark (GtkWidget  *widget,
                                     const char *name)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  g_autofree char *light = g_strdup_printf ("%s-light.png", name);
  g_autofree char *dark = g_strdup_printf ("%s-dark.png", name);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_LIGHT);
  ui_test_wait_for_paint (widget, 60000);
  ui_test_save_screenshot (widget, light);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  ui_test_wait_for_paint (widget, 60000);
  ui_test_save_screenshot (widget, dark);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}
