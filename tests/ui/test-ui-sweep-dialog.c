/* test-ui-sweep-dialog.c: the Find Phones by Sweep dialog (issue 14 §2, D25), on a real
 * (Xvfb) display, with the service on its own thread and simulated phones on 127.0.0.0/8
 * that do not know the service.
 */
#include "config.h"

#include <adwaita.h>

#include <string.h>

#include <gtk/gtk.h>

#include "wpc-sweep-dialog.h"
#include "test-util-service.h"
#include "test-util-sim.h"
#include "ui-test-util.h"

#define WAIT_TIMEOUT_MS 60000

typedef struct {
  char           *data_dir;
  WpiServiceHost *service;
  GSettings      *settings;
  GtkWidget      *dialog;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->data_dir = test_util_make_tmp_dir ("test-ui-sweep");
  f->service = test_util_service_host_start (f->data_dir);
  f->settings = ui_test_memory_settings ();
  f->dialog = GTK_WIDGET (wpc_sweep_dialog_new (NULL, f->service, f->settings));
  gtk_window_present (GTK_WINDOW (f->dialog));
  test_util_wait_until (ui_test_widget_is_mapped_and_allocated, f->dialog, WAIT_TIMEOUT_MS,
                        "the dialog to be mapped");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->dialog));
  wpi_service_host_stop (f->service);
  g_clear_object (&f->service);
  g_clear_object (&f->settings);
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
}

static GtkWidget *
find (Fixture    *f,
      const char *name)
{
  return ui_test_find_named (f->dialog, GTK_TYPE_WIDGET, name);
}

static void
type_range (Fixture    *f,
            const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (find (f, "sweep_range")), text);
}

typedef struct {
  const char *range;
  gboolean    allow_public;
  gboolean    can_start;
  const char *message;
} ValidationCase;

/* Checked as typed: a range that is none, a public one unless the settings allow it (and
 * nothing is started here: no test sends outside 127.0.0.0/8); a range above 1,024
 * addresses can be started, after a confirmation (test_sweep_dialog_confirm_large) */
static const ValidationCase validation_cases[] = {
  { "", FALSE, FALSE, "" },
  { "phones", FALSE, FALSE, "is not an IPv4 range" },
  { "127.3.0.0/24", FALSE, TRUE, "254 addresses" },
  { "127.3.0.7", FALSE, TRUE, "1 address" },
  { "8.8.8.0/30", FALSE, FALSE, "public addresses" },
  { "8.8.8.0/30", TRUE, TRUE, "2 addresses" },
  { "127.3.0.0/21", FALSE, TRUE, "2046 addresses" },
};

static void
test_sweep_dialog_validation (Fixture       *f,
                              gconstpointer  data)
{
  GtkWidget *start = find (f, "sweep_start");
  GtkWidget *message = find (f, "sweep_message");

  for (guint i = 0; i < G_N_ELEMENTS (validation_cases); i++)
    {
      const ValidationCase *c = &validation_cases[i];

      g_test_message ("%s%s", c->range, c->allow_public ? " public allowed" : "");
      g_settings_set_boolean (f->settings, "sweep-allow-public", c->allow_public);
      type_range (f, c->range);
      g_assert_cmpint (gtk_widget_get_sensitive (start), ==, c->can_start);
      g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (message)), c->message));
    }
  g_assert_null (wpc_sweep_dialog_get_sweep (WPC_SWEEP_DIALOG (f->dialog)));

  /* without a listening service the phones would have nowhere to call */
  wpi_service_host_stop (f->service);
  type_range (f, "127.3.0.0/24");
  g_assert_false (gtk_widget_get_sensitive (start));
  g_assert_nonnull (strstr (gtk_label_get_text (GTK_LABEL (message)), "not running"));
}

/* Start on a range above 1,024 addresses asks first, over the sweep window, saying how
 * long it takes; Cancel starts nothing and leaves the range as typed */
static void
test_sweep_dialog_confirm_large (Fixture       *f,
                                 gconstpointer  data)
{
  GtkWidget *start = find (f, "sweep_start");
  g_autofree char *text = NULL;
  GtkWindow *dialog;

  g_settings_set_uint (f->settings, "sweep-rate", 20);
  type_range (f, "127.3.0.0/21");
  g_signal_emit_by_name (start, "clicked");
  dialog = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "sweep-confirm-dialog", WAIT_TIMEOUT_MS);
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (f->dialog));
  text = ui_test_shown_text (GTK_WIDGET (dialog));
  /* 2046 addresses at 20 a second: 103 s, about 2 minutes */
  test_util_assert_contains_all (text, "Sweep 2046 Addresses?", "127.3.0.1", "127.3.7.254", "about 2 minutes", NULL);
  ui_test_save_screenshots_light_dark (GTK_WIDGET (dialog), "sweep-confirm-dialog");
  /* one question at a time */
  g_assert_false (gtk_widget_get_sensitive (start));
  ui_test_respond (dialog, "cancel");
  ui_test_wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "sweep-confirm-dialog", WAIT_TIMEOUT_MS);
  g_assert_null (wpc_sweep_dialog_get_sweep (WPC_SWEEP_DIALOG (f->dialog)));
  g_assert_true (gtk_widget_get_sensitive (start));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (find (f, "sweep_range"))), ==, "127.3.0.0/21");

  /* Sweep All starts it (on loopback addresses), confirmed; Stop ends it at once */
  g_signal_emit_by_name (start, "clicked");
  dialog = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "sweep-confirm-dialog", WAIT_TIMEOUT_MS);
  ui_test_respond (dialog, "sweep");
  g_assert_nonnull (wpc_sweep_dialog_get_sweep (WPC_SWEEP_DIALOG (f->dialog)));
  g_assert_true (gtk_widget_get_visible (find (f, "sweep_stop")));
  g_signal_emit_by_name (find (f, "sweep_stop"), "clicked");
  g_assert_true (wpi_sweep_is_finished (wpc_sweep_dialog_get_sweep (WPC_SWEEP_DIALOG (f->dialog))));
}

static gboolean
sweep_is_done (gpointer data)
{
  Fixture *f = data;
  WpiSweep *sweep = wpc_sweep_dialog_get_sweep (WPC_SWEEP_DIALOG (f->dialog));

  return sweep != NULL && wpi_sweep_is_finished (sweep) && wpi_sweep_get_counts (sweep).n_registered == 3;
}

/* Three phones at every fourth address of P.0.1 - P.0.12: the list shows each with its
 * MAC, the progress all 12 addresses; Stop ends a sweep under way */
static void
test_sweep_dialog_run (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *prefix = test_util_sim_bind_prefix (100, 50);
  g_autofree char *uri = test_util_service_host_uri (f->service, FALSE);
  g_autoptr(WpiSimulator) simulator = test_util_sim_room_start (uri, 3, prefix, 4, "00:1A:E8:70:00:01");
  g_autofree char *range = g_strdup_printf ("%s.0.1-12", prefix);
  g_autofree char *large = g_strdup_printf ("%s.4.0/22", prefix);
  GtkWidget *stop = find (f, "sweep_stop");
  g_autofree char *shown = NULL;

  g_settings_set_uint (f->settings, "sweep-rate", 200);
  type_range (f, range);
  g_signal_emit_by_name (find (f, "sweep_start"), "clicked");
  g_assert_true (gtk_widget_get_visible (stop));
  g_assert_false (gtk_widget_get_sensitive (find (f, "sweep_range")));
  /* the service listens on 127.0.0.1 alone: the phones are to call that address */
  g_assert_cmpstr (wpi_sweep_get_dls_address (wpc_sweep_dialog_get_sweep (WPC_SWEEP_DIALOG (f->dialog))), ==,
                   "127.0.0.1");
  test_util_wait_until (sweep_is_done, f, WAIT_TIMEOUT_MS, "the sweep and three registrations");
  ui_test_wait_for_shown_text (f->dialog, "Phones registered: 3", WAIT_TIMEOUT_MS, "the summary");
  shown = ui_test_shown_text (f->dialog);
  test_util_assert_contains_all (shown, "12 of 12 addresses",
                                 "00:1A:E8:70:00:01", "00:1A:E8:70:00:02", "00:1A:E8:70:00:03",
                                 "No answer: 9", "Sweep finished", NULL);
  g_assert_false (gtk_widget_get_visible (stop));
  ui_test_save_screenshot (f->dialog, "sweep-dialog.png");

  /* a sweep of a /22 stopped at once */
  type_range (f, large);
  g_signal_emit_by_name (find (f, "sweep_start"), "clicked");
  g_assert_true (gtk_widget_get_visible (stop));
  g_signal_emit_by_name (stop, "clicked");
  g_assert_true (wpi_sweep_is_finished (wpc_sweep_dialog_get_sweep (WPC_SWEEP_DIALOG (f->dialog))));
  ui_test_wait_for_shown_text (f->dialog, "Sweep stopped", WAIT_TIMEOUT_MS, "the stop");
  g_assert_false (gtk_widget_get_visible (stop));
  g_assert_true (gtk_widget_get_sensitive (find (f, "sweep_range")));

  /* Closed, the window says what the sweep found over the console (a toast), once */
  {
    GtkWidget *console = gtk_window_new ();
    GtkWidget *overlay = adw_toast_overlay_new ();
    GtkWidget *dialog = g_object_ref (f->dialog);

    gtk_window_set_child (GTK_WINDOW (console), overlay);
    gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (console));
    gtk_window_close (GTK_WINDOW (dialog));
    ui_test_assert_toast (overlay, "Sweep ended: 0 phones registered", NULL);
    g_object_unref (dialog);
    f->dialog = console; /* for the tear-down */
  }

  wpi_simulator_stop (simulator);
  test_util_wait_until (test_util_simulator_is_quiet, simulator, WAIT_TIMEOUT_MS, "the phones to stop");
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);
  test_util_sim_init ();

  g_test_add ("/sweep-dialog/validation", Fixture, NULL, fixture_set_up, test_sweep_dialog_validation,
              fixture_tear_down);
  g_test_add ("/sweep-dialog/confirm-large", Fixture, NULL, fixture_set_up, test_sweep_dialog_confirm_large,
              fixture_tear_down);
  g_test_add ("/sweep-dialog/run", Fixture, NULL, fixture_set_up, test_sweep_dialog_run, fixture_tear_down);
  return g_test_run ();
}
