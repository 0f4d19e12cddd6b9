/* test-ui-preferences.c: the Preferences window's network group, on a real (Xvfb)
 * display with settings in a memory backend.
 *
 * The ports and the listening address move a live service, so edits wait for Apply, a
 * mouse wheel over a port cannot change it, and Apply first names how many phones last
 * reached the console on a port that changes.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "wpc-preferences-window.h"
#include "wpi-phone.h"
#include "ui-test-util.h"

#define WAIT_TIMEOUT_MS 60000

static GtkWidget *
new_shown_window (GSettings  *settings,
                  GListModel *phones)
{
  GtkWidget *window = wpc_preferences_window_new (settings);

  wpc_preferences_window_set_phones (WPC_PREFERENCES_WINDOW (window), phones);
  gtk_window_present (GTK_WINDOW (window));
  test_util_wait_until (ui_test_widget_is_mapped_and_allocated, window, WAIT_TIMEOUT_MS,
                        "the preferences to be mapped");
  return window;
}

static gboolean
apply_is_enabled (GtkWidget *window)
{
  return gtk_widget_is_sensitive (ui_test_find_named (window, GTK_TYPE_BUTTON, "network_apply"));
}

/* Every scroll controller under @widget is handed a wheel turn, deepest first as GTK
 * delivers it; returns how many there were. */
static guint
scroll_over (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += scroll_over (child);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);
      gboolean handled = FALSE;

      if (!GTK_IS_EVENT_CONTROLLER_SCROLL (controller))
        continue;
      g_signal_emit_by_name (controller, "scroll", 0.0, -1.0, &handled);
      n++;
    }
  return n;
}

/* A wheel over a port, focused or not, changes neither the field nor the setting: a
 * port is no spin button. */
static void
test_preferences_scroll (void)
{
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = new_shown_window (settings, NULL);
  GtkWidget *port = ui_test_find_named (window, GTK_TYPE_WIDGET, "port");
  GtkWidget *secure_port = ui_test_find_named (window, GTK_TYPE_WIDGET, "secure_port");

  g_assert_false (GTK_IS_SPIN_BUTTON (port));
  g_assert_false (GTK_IS_SPIN_BUTTON (secure_port));
  for (guint i = 0; i < 5; i++)
    {
      scroll_over (port);
      scroll_over (secure_port);
    }
  gtk_widget_grab_focus (port);
  scroll_over (port);

  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 18443);
  g_assert_cmpuint (g_settings_get_uint (settings, "secure-port"), ==, 18444);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (port)), ==, "18443");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (secure_port)), ==, "18444");
  g_assert_false (apply_is_enabled (window));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Edits wait for Apply; Revert drops them; a port must be 1-65535. */
static void
test_preferences_apply (void)
{
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = new_shown_window (settings, NULL);
  GtkEditable *port = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "port"));
  GtkEditable *secure_port = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "secure_port"));
  GtkEditable *bind_address = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "bind_address"));
  GtkWidget *revert = ui_test_find_named (window, GTK_TYPE_BUTTON, "network_revert");
  GtkWidget *problem = ui_test_find_named (window, GTK_TYPE_LABEL, "network_problem");
  g_autofree char *address = NULL;

  g_assert_false (apply_is_enabled (window));
  g_assert_false (gtk_widget_is_sensitive (revert));

  gtk_editable_set_text (port, "20443");
  gtk_editable_set_text (bind_address, "127.0.0.1");
  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 18443);
  g_assert_true (apply_is_enabled (window));
  g_assert_true (gtk_widget_is_sensitive (revert));

  /* Revert shows the values in use again */
  g_assert_true (gtk_widget_activate_action (window, "preferences.revert-network", NULL));
  g_assert_cmpstr (gtk_editable_get_text (port), ==, "18443");
  g_assert_cmpstr (gtk_editable_get_text (bind_address), ==, "");
  g_assert_false (apply_is_enabled (window));

  /* Not a port: reported, cannot be applied */
  for (guint i = 0; i < 3; i++)
    {
      static const char * const invalid[] = { "0", "65536", "80a" };

      gtk_editable_set_text (secure_port, invalid[i]);
      g_assert_true (gtk_widget_get_visible (problem));
      g_assert_false (apply_is_enabled (window));
      gtk_widget_activate_action (window, "preferences.apply-network", NULL);
      g_assert_cmpuint (g_settings_get_uint (settings, "secure-port"), ==, 18444);
    }
  gtk_editable_set_text (secure_port, "18444");
  g_assert_false (gtk_widget_get_visible (problem));

  /* No phone known: Apply writes at once */
  gtk_editable_set_text (port, "20443");
  gtk_editable_set_text (secure_port, "65535");
  gtk_editable_set_text (bind_address, " 127.0.0.1 ");
  g_assert_true (gtk_widget_activate_action (window, "preferences.apply-network", NULL));
  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 20443);
  g_assert_cmpuint (g_settings_get_uint (settings, "secure-port"), ==, 65535);
  address = g_settings_get_string (settings, "bind-address");
  g_assert_cmpstr (address, ==, "127.0.0.1");
  g_assert_false (apply_is_enabled (window));

  /* A change made elsewhere shows when nothing is being edited */
  g_settings_set_uint (settings, "port", 21443);
  g_assert_cmpstr (gtk_editable_get_text (port), ==, "21443");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
add_phone (GListStore   *phones,
           const char   *mac,
           WpiPhoneMode  mode,
           gint64        last_contact_us)
{
  g_autoptr(WpiPhoneRecord) record = wpi_phone_record_new (mac);
  g_autoptr(WpiPhone) phone = NULL;

  record->mode = mode;
  record->last_contact_us = last_contact_us;
  phone = wpi_phone_new (record);
  g_list_store_append (phones, phone);
}

static GtkWidget *
find_apply_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (g_strcmp0 (gtk_widget_get_name (window), "network-apply-dialog") == 0 &&
          gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

/* Phones that last reached the console on a port that changes are counted by mode
 * before anything is written; Cancel keeps the port. */
static void
test_preferences_confirm (void)
{
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  g_autoptr(GListStore) phones = g_list_store_new (WPI_TYPE_PHONE);
  GtkWidget *window;
  GtkEditable *port;
  GtkEditable *secure_port;
  GtkWidget *dialog;
  g_autofree char *text = NULL;
  gint64 now = g_get_real_time ();

  add_phone (phones, "00:1a:e8:00:00:01", WPI_PHONE_MODE_DEFAULT, now);
  add_phone (phones, "00:1a:e8:00:00:02", WPI_PHONE_MODE_DEFAULT, now);
  add_phone (phones, "00:1a:e8:00:00:03", WPI_PHONE_MODE_DEFAULT, now - G_USEC_PER_SEC);
  add_phone (phones, "00:1a:e8:00:00:04", WPI_PHONE_MODE_DEFAULT, 0);  /* never called */
  add_phone (phones, "00:1a:e8:00:00:05", WPI_PHONE_MODE_SECURE, now);
  window = new_shown_window (settings, G_LIST_MODEL (phones));
  port = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "port"));
  secure_port = GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "secure_port"));

  gtk_editable_set_text (port, "20443");
  g_assert_true (gtk_widget_activate_action (window, "preferences.apply-network", NULL));
  dialog = find_apply_dialog ();
  g_assert_nonnull (dialog);
  text = ui_test_label_text (dialog);
  g_assert_nonnull (strstr (text, "3 phones are configured for port 18443 and will not reach "
                                  "the console until they are re-pointed."));
  g_assert_null (strstr (text, "18444"));
  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 18443);

  ui_test_respond (GTK_WINDOW (dialog), "cancel");
  g_assert_null (find_apply_dialog ());
  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 18443);
  g_assert_cmpstr (gtk_editable_get_text (port), ==, "20443");
  g_assert_true (apply_is_enabled (window));

  /* Both ports: each counted by its own mode */
  gtk_editable_set_text (secure_port, "20444");
  g_assert_true (gtk_widget_activate_action (window, "preferences.apply-network", NULL));
  dialog = find_apply_dialog ();
  g_assert_nonnull (dialog);
  g_clear_pointer (&text, g_free);
  text = ui_test_label_text (dialog);
  g_assert_nonnull (strstr (text, "3 phones are configured for port 18443"));
  g_assert_nonnull (strstr (text, "1 phone is configured for port 18444"));

  ui_test_respond (GTK_WINDOW (dialog), "apply");
  g_assert_cmpuint (g_settings_get_uint (settings, "port"), ==, 20443);
  g_assert_cmpuint (g_settings_get_uint (settings, "secure-port"), ==, 20444);
  g_assert_false (apply_is_enabled (window));

  /* Only the address changes: no port is lost, nothing to confirm */
  gtk_editable_set_text (GTK_EDITABLE (ui_test_find_named (window, GTK_TYPE_ENTRY, "bind_address")), "127.0.0.1");
  g_assert_true (gtk_widget_activate_action (window, "preferences.apply-network", NULL));
  g_assert_null (find_apply_dialog ());
  g_clear_pointer (&text, g_free);
  text = g_settings_get_string (settings, "bind-address");
  g_assert_cmpstr (text, ==, "127.0.0.1");

  gtk_window_destroy (GTK_WINDOW (window));
}

/* D19: the contact-me ranges are saved on Enter once every one parses, never while typed;
 * one that does not parse is shown and nothing is saved. */
static void
test_preferences_contact_allow (void)
{
  static const struct {
    const char *typed;
    const char *saved;     /* the setting afterwards, joined with "|" */
    gboolean    refused;
  } steps[] = {
    { "127.0.0.0/24", "127.0.0.0/24", FALSE },
    { "127.0.0.0/24, fd00::/64", "127.0.0.0/24|fd00::/64", FALSE },
    { "127.0.0.0/24, 127.0.0.0/33", "127.0.0.0/24|fd00::/64", TRUE },
    { "127.0.0.0/24 phones.example", "127.0.0.0/24|fd00::/64", TRUE },
    { " 10.0.0.0/8 ", "10.0.0.0/8", FALSE },
    { "", "", FALSE },
  };
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = new_shown_window (settings, NULL);
  GtkWidget *entry = ui_test_find_named (window, ADW_TYPE_ENTRY_ROW, "contact_me_allow");
  GtkWidget *problem = ui_test_find_named (window, GTK_TYPE_LABEL, "contact_allow_problem");

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_auto(GStrv) saved = NULL;
      g_autofree char *joined = NULL;

      g_test_message ("typed \"%s\"", steps[i].typed);
      gtk_editable_set_text (GTK_EDITABLE (entry), steps[i].typed);
      g_assert_true (gtk_widget_get_visible (problem) == steps[i].refused);
      if (i > 0)
        {
          g_auto(GStrv) before = g_settings_get_strv (settings, "contact-me-allow");
          g_autofree char *joined_before = g_strjoinv ("|", before);

          g_assert_cmpstr (joined_before, ==, steps[i - 1].saved);
        }
      g_signal_emit_by_name (entry, "entry-activated");
      saved = g_settings_get_strv (settings, "contact-me-allow");
      joined = g_strjoinv ("|", saved);
      g_assert_cmpstr (joined, ==, steps[i].saved);
      g_assert_true (gtk_widget_get_visible (problem) == steps[i].refused);
      g_assert_true (gtk_widget_has_css_class (entry, "error") == steps[i].refused);
    }

  /* a change made elsewhere shows */
  g_settings_set_strv (settings, "contact-me-allow", (const char * const[]) { "192.168.1.0/24", NULL });
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "192.168.1.0/24");

  gtk_window_destroy (GTK_WINDOW (window));
}

typedef struct {
  const char *widget;
  const char *key;
  guint       initial;   /* the schema's default */
  guint       min;
  guint       max;
  guint       typed;     /* set in the field, then in the settings */
  guint       set;
} SpinCase;

/* Spin buttons bound to ranged settings: the schema's default and range, and both ways
 * between the spin button and the setting */
static const SpinCase spin_cases[] = {
  { "traffic_max_megabytes", "traffic-max-megabytes", 1024, 16, 1048576, 64, 2048 },  /* issue 10 §3 */
  { "sweep_rate", "sweep-rate", 20, 1, 1000, 50, 5 },     /* issue 14, D25 */
};

static void
test_preferences_spin_settings (void)
{
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = new_shown_window (settings, NULL);
  GtkSwitch *allow_public = GTK_SWITCH (ui_test_find_named (window, GTK_TYPE_SWITCH, "sweep_allow_public"));

  for (guint i = 0; i < G_N_ELEMENTS (spin_cases); i++)
    {
      const SpinCase *c = &spin_cases[i];
      GtkSpinButton *spin = GTK_SPIN_BUTTON (ui_test_find_named (window, GTK_TYPE_SPIN_BUTTON, c->widget));
      double min, max;

      g_test_message ("%s", c->key);
      g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, c->initial);
      gtk_spin_button_get_range (spin, &min, &max);
      g_assert_cmpfloat (min, ==, c->min);
      g_assert_cmpfloat (max, ==, c->max);
      gtk_spin_button_set_value (spin, c->typed);
      g_assert_cmpuint (g_settings_get_uint (settings, c->key), ==, c->typed);
      g_settings_set_uint (settings, c->key, c->set);
      g_assert_cmpint (gtk_spin_button_get_value_as_int (spin), ==, c->set);
    }

  /* D25: public ranges are swept only when allowed */
  g_assert_false (gtk_switch_get_active (allow_public));
  gtk_switch_set_active (allow_public, TRUE);
  g_assert_true (g_settings_get_boolean (settings, "sweep-allow-public"));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The TLS key log (D30): off by default, the warning shown beside it, saved only when
 * entered (never while typed), a change made elsewhere shows, a failure is said. */
static void
test_preferences_tls_keylog (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                                 "Cannot open the TLS key log /nowhere/keys: No such file or directory");
  g_autofree char *saved = NULL;
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = new_shown_window (settings, NULL);
  g_autofree char *shown = NULL;
  GtkWidget *entry = ui_test_find_named (window, ADW_TYPE_ENTRY_ROW, "tls_keylog");
  GtkWidget *problem = ui_test_find_named (window, GTK_TYPE_LABEL, "tls_keylog_problem");

  /* The warning is shown on the key log's page, in the warning colour */
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), "traffic_page");
  shown = ui_test_shown_text (window);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_nonnull (strstr (shown, "read the phones' passwords"));
  g_assert_true (gtk_widget_has_css_class (ui_test_find_named (window, GTK_TYPE_LABEL, "tls_keylog_warning"), "warning"));
  g_assert_false (gtk_widget_get_visible (problem));

  gtk_editable_set_text (GTK_EDITABLE (entry), " /tmp/keys.log");
  saved = g_settings_get_string (settings, "tls-keylog-path");
  g_assert_cmpstr (saved, ==, "");
  g_signal_emit_by_name (entry, "entry-activated");
  g_clear_pointer (&saved, g_free);
  saved = g_settings_get_string (settings, "tls-keylog-path");
  g_assert_cmpstr (saved, ==, "/tmp/keys.log");

  g_settings_set_string (settings, "tls-keylog-path", "");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");

  wpc_preferences_window_set_tls_keylog_error (WPC_PREFERENCES_WINDOW (window), error);
  g_assert_true (gtk_widget_get_visible (problem));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (problem)), ==, error->message);
  wpc_preferences_window_set_tls_keylog_error (WPC_PREFERENCES_WINDOW (window), NULL);
  g_assert_false (gtk_widget_get_visible (problem));
  gtk_window_destroy (GTK_WINDOW (window));
}

static gboolean
has_error_icon (GtkWidget *row)
{
  g_autoptr(GPtrArray) images = g_ptr_array_new ();

  ui_test_find_all (row, GTK_TYPE_IMAGE, NULL, images);
  for (guint i = 0; i < images->len; i++)
    if (gtk_widget_has_css_class (g_ptr_array_index (images, i), "error"))
      return TRUE;
  return FALSE;
}

/* A CA the console cannot use is said in the CA row, with an error icon that goes with
 * the error (D23) */
static void
test_preferences_ca_error (void)
{
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "Cannot read /nowhere/ca.pem");
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = new_shown_window (settings, NULL);
  AdwActionRow *row = ADW_ACTION_ROW (ui_test_find_named (window, ADW_TYPE_ACTION_ROW, "ca_row"));

  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "console’s own CA"));
  g_assert_false (has_error_icon (GTK_WIDGET (row)));
  wpc_preferences_window_set_ca_error (WPC_PREFERENCES_WINDOW (window), error);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), error->message));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "still issued by the CA used before"));
  g_assert_true (has_error_icon (GTK_WIDGET (row)));
  wpc_preferences_window_set_ca_error (WPC_PREFERENCES_WINDOW (window), NULL);
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (row), "console’s own CA"));
  g_assert_false (has_error_icon (GTK_WIDGET (row)));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Every page, at the two screen sizes of issue 12 (as far as the test display allows),
 * light and dark; searching is on */
static void
test_preferences_pages (void)
{
  static const char * const pages[] = { "network_page", "secure_mode_page", "traffic_page", "rollout_page" };
  static const int sizes[][2] = { { 1024, 600 }, { 1920, 1080 } };
  static const AdwColorScheme schemes[] = { ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK };
  g_autoptr(GSettings) settings = ui_test_memory_settings ();
  GtkWidget *window = new_shown_window (settings, NULL);
  AdwStyleManager *style = adw_style_manager_get_default ();

  g_assert_true (adw_preferences_window_get_search_enabled (ADW_PREFERENCES_WINDOW (window)));
  for (guint p = 0; p < G_N_ELEMENTS (pages); p++)
    for (guint z = 0; z < G_N_ELEMENTS (sizes); z++)
      for (guint c = 0; c < G_N_ELEMENTS (schemes); c++)
        {
          g_autofree char *file = NULL;

          adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), pages[p]);
          g_assert_cmpstr (adw_preferences_window_get_visible_page_name (ADW_PREFERENCES_WINDOW (window)), ==,
                           pages[p]);
          adw_style_manager_set_color_scheme (style, schemes[c]);
          gtk_window_set_default_size (GTK_WINDOW (window), sizes[z][0], sizes[z][1]);
          ui_test_wait_for_paint (window, WAIT_TIMEOUT_MS);
          /* Named by the size it got: the display may be smaller than asked */
          file = g_strdup_printf ("preferences-%s-%dx%d-%s.png", pages[p], gtk_widget_get_width (window),
                                  gtk_widget_get_height (window), c == 0 ? "light" : "dark");
          ui_test_save_screenshot (window, file);
        }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/preferences/scroll", test_preferences_scroll);
  g_test_add_func ("/ui/preferences/apply", test_preferences_apply);
  g_test_add_func ("/ui/preferences/confirm", test_preferences_confirm);
  g_test_add_func ("/ui/preferences/contact-allow", test_preferences_contact_allow);
  g_test_add_func ("/ui/preferences/spin-settings", test_preferences_spin_settings);
  g_test_add_func ("/ui/preferences/tls-keylog", test_preferences_tls_keylog);

  g_test_add_func ("/ui/preferences/ca-error", test_preferences_ca_error);
  g_test_add_func ("/ui/preferences/pages", test_preferences_pages);
  return g_test_run ();
}
