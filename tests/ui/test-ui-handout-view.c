/* test-ui-handout-view.c: the PIN handout view against a real service (127.0.0.1, free
 * ports) in a temporary data directory with three phones: Generate, the table and its
 * states, Mark handed out, Export CSV and PDF (asynchronous; a folder that cannot be
 * written marks nothing), Re-issue after its confirmation, what Print and Export act on
 * and why they cannot. Three phones keep the RSA work small. The table is read in a
 * thread (issue 8 §2): the tests wait for "loading" to end, never sleep.
 */
#include "config.h"

#include <unistd.h>

#include <glib/gstdio.h>
#include <adwaita.h>

#include "wpc-demo.h"
#include "wpi-handout.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-service-host.h"
#include "wpc-cell-label.h"
#include "wpc-handout-view.h"
#include "test-util-service.h"
#include "ui-test-util.h"

/* RSA keys for three phones, generous for sanitizer builds */
#define WAIT_TIMEOUT_MS 120000
/* The demo's phones in a call finish it first (30 s) before they take their bundle */
#define DEMO_TIMEOUT_MS 240000
#define DEMO_PHONES     6

static const char * const phone_macs[] = {
  "00:1A:E8:00:00:01", "00:1A:E8:00:00:02", "00:1A:E8:00:00:03", NULL,
};

typedef struct {
  char           *data_dir;
  WpiServiceHost     *service;
  WpiSimulator   *demo;
  GtkWidget      *window;
  WpcHandoutView *view;
} Fixture;

static gboolean
view_is_idle (gpointer view)
{
  return !wpc_handout_view_get_busy (view) && !wpc_handout_view_get_loading (view);
}

/* Runs the main loop until the view's run ended and its table shows the store; fails
 * the test after WAIT_TIMEOUT_MS. */
static void
wait_until_idle (WpcHandoutView *view)
{
  test_util_wait_until (view_is_idle, view, WAIT_TIMEOUT_MS, "the handout to finish");
}

static gboolean
view_is_loaded (gpointer view)
{
  return !wpc_handout_view_get_loading (view);
}

/* Runs the main loop until the table shows the store. */
static void
wait_until_loaded (WpcHandoutView *view)
{
  test_util_wait_until (view_is_loaded, view, WAIT_TIMEOUT_MS, "the table to be read");
}

/* An export under way: set by its callback */
typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} ExportResult;

static void
on_export_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  ExportResult *export = user_data;
  gboolean pdf = g_task_get_source_tag (G_TASK (result)) == wpc_handout_view_export_pdf_async;

  export->ok = pdf ? wpc_handout_view_export_pdf_finish (WPC_HANDOUT_VIEW (source), result, &export->error)
                   : wpc_handout_view_export_csv_finish (WPC_HANDOUT_VIEW (source), result, &export->error);
  export->done = TRUE;
}

/* Exports as the chooser's Export does, waits for it and for the table to follow. */
static gboolean
export_file_cancellable (WpcHandoutView  *view,
                         const char      *path,
                         gboolean         pdf,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  ExportResult export = { FALSE, FALSE, NULL };

  if (pdf)
    wpc_handout_view_export_pdf_async (view, file, cancellable, on_export_done, &export);
  else
    wpc_handout_view_export_csv_async (view, file, cancellable, on_export_done, &export);
  /* Never a result within the call: the file is written in a thread */
  g_assert_false (export.done);
  test_util_wait_for_flag (&export.done, WAIT_TIMEOUT_MS, "the export to finish");
  wait_until_loaded (view);
  g_assert_true (export.ok == (export.error == NULL));
  if (export.error != NULL)
    g_propagate_error (error, export.error);
  return export.ok;
}

static gboolean
export_file (WpcHandoutView  *view,
             const char      *path,
             gboolean         pdf,
             GError         **error)
{
  return export_file_cancellable (view, path, pdf, NULL, error);
}

/* The view in a window of its own, showing f->service */
static void
present_view (Fixture *f)
{
  f->window = gtk_window_new ();
  /* the smallest screen the console is made for (issue 11 §3) */
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 600);
  f->view = WPC_HANDOUT_VIEW (wpc_handout_view_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  gtk_window_present (GTK_WINDOW (f->window));
  wpc_handout_view_set_service (f->view, f->service);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  WpiStore *store;

  (void) data;

  f->data_dir = test_util_make_tmp_dir ("wpc-handout");
  f->service = test_util_service_host_start (f->data_dir);

  store = wpi_service_host_get_store (f->service);
  for (guint i = 0; phone_macs[i] != NULL; i++)
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (phone_macs[i]);

      phone->e164 = g_strdup_printf ("+4989700%u", i + 1);
      phone->device_type = g_strdup ("OpenStage 60");
      phone->location = g_strdup_printf ("Room %u", i + 1);
      wpi_store_phone_upsert (store, phone,
                              WPI_PHONE_FIELD_E164 | WPI_PHONE_FIELD_DEVICE_TYPE | WPI_PHONE_FIELD_LOCATION,
                              NULL, &error);
      g_assert_no_error (error);
    }
  wpi_service_host_reload (f->service);

  present_view (f);
  g_assert_true (wpc_handout_view_get_loading (f->view));
  wait_until_loaded (f->view);
}

static gboolean
demo_phones_registered (gpointer data)
{
  Fixture *f = data;

  return test_util_phones_all_have (wpi_service_host_get_phones (f->service), DEMO_PHONES,
                                    wpi_phone_get_device_type);
}

/* The console's own demo: simulated phones that register by themselves and type the
 * PIN the console made for them when asked. */
static void
fixture_set_up_demo (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  (void) data;

  f->data_dir = test_util_make_tmp_dir ("wpc-handout-demo");
  f->service = test_util_service_host_new (f->data_dir);
  /* A phone whose call outlasts a contact-me is tried again after 1 s, 2 s, 4 s ... rather
   * than D10's 30 s, 60 s, 120 s: the test waits for the phones, not for the back-off */
  g_object_set (f->service, "contact-initial-backoff", 1u, NULL);
  wpi_service_host_start (f->service, &error);
  g_assert_no_error (error);
  f->demo = wpc_demo_start_simulator (wpi_service_host_get_store (f->service), wpi_service_host_get_port (f->service),
                                     DEMO_PHONES, &error);
  g_assert_no_error (error);

  present_view (f);
  test_util_wait_until (demo_phones_registered, f, DEMO_TIMEOUT_MS, "the demo phones to register");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  (void) data;

  if (f->demo != NULL)
    wpi_simulator_stop (f->demo);
  g_clear_object (&f->demo);
  gtk_window_destroy (GTK_WINDOW (f->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  wpi_service_host_stop (f->service);
  g_clear_object (&f->service);
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
}

static WpiPinState
state_of (Fixture    *f,
          const char *mac)
{
  for (guint i = 0; i < wpc_handout_view_get_n_pins (f->view); i++)
    {
      g_autoptr(WpiPinRecord) pin = wpc_handout_view_get_pin (f->view, i);
      if (g_str_equal (pin->mac, mac))
        return pin->state;
    }
  g_error ("%s is not in the table", mac);
}

static char *
pin_of (Fixture    *f,
        const char *mac)
{
  for (guint i = 0; i < wpc_handout_view_get_n_pins (f->view); i++)
    {
      g_autoptr(WpiPinRecord) pin = wpc_handout_view_get_pin (f->view, i);
      if (g_str_equal (pin->mac, mac))
        return g_strdup (pin->pin);
    }
  g_error ("%s is not in the table", mac);
}

static void
generate (Fixture *f)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.generate", NULL));
  g_assert_true (wpc_handout_view_get_busy (f->view));
  wait_until_idle (f->view);
  g_assert_null (wpc_handout_view_get_failures_text (f->view));
}

static void
test_generate_mark_export (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) csv = NULL;
  g_autofree char *csv_path = g_build_filename (f->data_dir, "handout.csv", NULL);
  const char * const first[] = { phone_macs[0], NULL };

  (void) data;

  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 0);

  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_ALL);
  wpc_handout_view_set_pin_length (f->view, 10);
  generate (f);

  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 3);
  for (guint i = 0; phone_macs[i] != NULL; i++)
    {
      g_autofree char *pin = pin_of (f, phone_macs[i]);

      g_assert_cmpint (state_of (f, phone_macs[i]), ==, WPI_PIN_STATE_GENERATED);
      g_assert_cmpuint (strlen (pin), ==, 10);
    }

  /* Mark handed out: the selected row only */
  wpc_handout_view_select_macs (f->view, first);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.mark-handed-out", NULL));
  wait_until_loaded (f->view);
  g_assert_cmpint (state_of (f, phone_macs[0]), ==, WPI_PIN_STATE_HANDED_OUT);
  g_assert_cmpint (state_of (f, phone_macs[1]), ==, WPI_PIN_STATE_GENERATED);
  g_assert_cmpint (state_of (f, phone_macs[2]), ==, WPI_PIN_STATE_GENERATED);
  /* ... in the store too, not only in the table */
  {
    g_autoptr(WpiPinRecord) stored = wpi_store_pin_get_current (wpi_service_host_get_store (f->service),
                                                                phone_macs[0], &error);
    g_assert_no_error (error);
    g_assert_cmpint (stored->state, ==, WPI_PIN_STATE_HANDED_OUT);
  }

  /* Export CSV without a selection: every PIN still to be used, then all handed out */
  wpc_handout_view_select_macs (f->view, NULL);
  g_assert_true (export_file (f->view, csv_path, FALSE, &error));
  g_assert_no_error (error);
  csv = wpi_handout_read_csv (csv_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (csv), ==, 3);
  for (guint i = 0; phone_macs[i] != NULL; i++)
    {
      g_autofree char *pin = pin_of (f, phone_macs[i]);

      g_assert_cmpstr (g_hash_table_lookup (csv, phone_macs[i]), ==, pin);
      g_assert_cmpint (state_of (f, phone_macs[i]), ==, WPI_PIN_STATE_HANDED_OUT);
    }
  {
    g_autofree char *contents = NULL;

    g_file_get_contents (csv_path, &contents, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (contents, "mac,e164,model,location,state,issued,pin\r\n"));
    g_assert_nonnull (strstr (contents, "+49897002"));
    g_assert_nonnull (strstr (contents, "Room 3"));
  }

  /* Nothing generated is left: Mark handed out has nothing to do */
  g_assert_false (wpc_handout_view_mark_handed_out (f->view, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* Asks for a re-issue of the selected rows and answers its confirmation with response.
 * The confirmation names the phone, says the printed slip stops working and explains
 * the TAN in the words of a technician. */
static void
confirm_reissue (Fixture    *f,
                 const char *response)
{
  g_autofree char *text = NULL;
  GtkWindow *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.reissue", NULL));
  g_assert_false (wpc_handout_view_get_busy (f->view));
  dialog = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "reissue-dialog", WAIT_TIMEOUT_MS);
  /* A confirmation over the console, not a window of its own (issue 12 §1) */
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (f->window));
  g_assert_cmpstr (adw_message_dialog_get_close_response (ADW_MESSAGE_DIALOG (dialog)), ==, "cancel");
  g_assert_cmpint (adw_message_dialog_get_response_appearance (ADW_MESSAGE_DIALOG (dialog), "reissue"), ==,
                   ADW_RESPONSE_DESTRUCTIVE);
  text = ui_test_shown_text (GTK_WIDGET (dialog));
  g_assert_nonnull (strstr (text, "Re-issue the PIN of 1 Phone?"));
  g_assert_nonnull (strstr (text, phone_macs[1]));
  g_assert_nonnull (strstr (text, "stops working"));
  g_assert_nonnull (strstr (text, "wrong TAN from device"));
  g_assert_nonnull (strstr (text, "last three digits of the PIN"));
  ui_test_save_screenshots_light_dark (GTK_WIDGET (dialog), "handout-reissue-confirmation");
  ui_test_respond (dialog, response);
  ui_test_wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "reissue-dialog", WAIT_TIMEOUT_MS);
}

static void
test_reissue (Fixture       *f,
              gconstpointer  data)
{
  const char * const second[] = { phone_macs[1], NULL };
  g_autofree char *old_pin = NULL;
  g_autofree char *new_pin = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GError) error = NULL;
  guint reissued = 0;

  (void) data;

  /* Only the phones selected elsewhere, without... then with a PIN */
  wpc_handout_view_set_selected_macs (f->view, second);
  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_SELECTED);
  generate (f);
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 1);
  old_pin = pin_of (f, phone_macs[1]);

  /* Re-issue asks first, saying what becomes of the printed slip: Cancel keeps the PIN */
  wpc_handout_view_select_macs (f->view, second);
  confirm_reissue (f, "cancel");
  g_assert_false (wpc_handout_view_get_busy (f->view));
  wait_until_loaded (f->view);
  new_pin = pin_of (f, phone_macs[1]);
  g_assert_cmpstr (new_pin, ==, old_pin);
  g_clear_pointer (&new_pin, g_free);

  confirm_reissue (f, "reissue");
  g_assert_true (wpc_handout_view_get_busy (f->view));
  wait_until_idle (f->view);
  g_assert_null (wpc_handout_view_get_failures_text (f->view));

  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 1);
  g_assert_cmpint (state_of (f, phone_macs[1]), ==, WPI_PIN_STATE_GENERATED);
  new_pin = pin_of (f, phone_macs[1]);
  g_assert_cmpstr (new_pin, !=, old_pin);

  history = wpi_store_pin_list (wpi_service_host_get_store (f->service), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  for (guint i = 0; i < history->len; i++)
    if (((WpiPinRecord *) g_ptr_array_index (history, i))->state == WPI_PIN_STATE_REISSUED)
      reissued++;
  g_assert_cmpuint (reissued, ==, 1);

  /* Export PDF: the slips of the new PIN, which is then handed out */
  {
    g_autofree char *pdf_path = g_build_filename (f->data_dir, "handout.pdf", NULL);
    g_autofree char *contents = NULL;
    gsize length = 0;

    g_assert_true (export_file (f->view, pdf_path, TRUE, &error));
    g_assert_no_error (error);
    g_file_get_contents (pdf_path, &contents, &length, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (length, >, 4);
    g_assert_true (g_str_has_prefix (contents, "%PDF"));
    g_assert_cmpint (state_of (f, phone_macs[1]), ==, WPI_PIN_STATE_HANDED_OUT);
  }
}

static void
assert_all_generated (Fixture *f)
{
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 3);
  for (guint i = 0; phone_macs[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiPinRecord) stored = wpi_store_pin_get_current (wpi_service_host_get_store (f->service),
                                                                  phone_macs[i], &error);

      g_assert_no_error (error);
      g_assert_cmpint (stored->state, ==, WPI_PIN_STATE_GENERATED);
      g_assert_cmpint (state_of (f, phone_macs[i]), ==, WPI_PIN_STATE_GENERATED);
    }
}

/* An export to a folder that cannot be written (missing, or read-only when the test does
 * not run as root, who writes anywhere) fails with an error naming it, leaves no file
 * and marks nothing handed out; once the folder can be written the same export works. */
static void
test_export_unwritable (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->data_dir, "no-such-folder", NULL);
  g_autofree char *read_only = g_build_filename (f->data_dir, "read-only", NULL);
  const char *folders[] = { missing, read_only };
  const int codes[] = { G_FILE_ERROR_NOENT, G_FILE_ERROR_ACCES };

  (void) data;

  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_ALL);
  generate (f);
  assert_all_generated (f);
  g_assert_cmpint (g_mkdir (read_only, 0500), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      if (g_access (folders[i], F_OK) == 0 && g_access (folders[i], W_OK) == 0)
        {
          g_test_message ("%s can be written (running as root): not tried", folders[i]);
          continue;
        }
      for (guint pdf = 0; pdf <= 1; pdf++)
        {
          g_autofree char *path = g_build_filename (folders[i], pdf ? "pins.pdf" : "pins.csv", NULL);
          g_autoptr(GError) error = NULL;

          g_assert_false (export_file (f->view, path, pdf, &error));
          g_assert_error (error, G_FILE_ERROR, codes[i]);
          g_assert_nonnull (strstr (error->message, folders[i]));
          g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
          assert_all_generated (f);
        }
    }

  /* The folder made writable: an export cancelled before it starts writes nothing and
   * marks nothing; one that is not goes through and hands the PINs out */
  {
    g_autofree char *path = g_build_filename (missing, "pins.csv", NULL);
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();
    g_autoptr(GError) error = NULL;

    g_assert_cmpint (g_mkdir (missing, 0700), ==, 0);
    g_cancellable_cancel (cancellable);
    g_assert_false (export_file_cancellable (f->view, path, FALSE, cancellable, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
    assert_all_generated (f);

    g_assert_true (export_file (f->view, path, FALSE, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
    for (guint i = 0; phone_macs[i] != NULL; i++)
      g_assert_cmpint (state_of (f, phone_macs[i]), ==, WPI_PIN_STATE_HANDED_OUT);
  }
}

static void
on_loading_notify (GObject    *object,
                   GParamSpec *pspec,
                   guint      *n_notifies)
{
  (*n_notifies)++;
}

/* Refreshes asked for while the table is read make one more read after it, not one
 * each, and none is lost; the selection is kept by MAC. */
static void
test_refresh_coalesced (Fixture       *f,
                        gconstpointer  data)
{
  const char * const first[] = { phone_macs[0], NULL };
  g_autoptr(WpiPinRecord) second = NULL;
  g_autoptr(GError) error = NULL;
  guint n_notifies = 0;
  gulong handler;

  (void) data;

  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_ALL);
  generate (f);
  assert_all_generated (f);
  wpc_handout_view_select_macs (f->view, first);
  for (guint i = 0; i < wpc_handout_view_get_n_pins (f->view) && second == NULL; i++)
    {
      g_autoptr(WpiPinRecord) pin = wpc_handout_view_get_pin (f->view, i);

      if (g_str_equal (pin->mac, phone_macs[1]))
        second = g_steal_pointer (&pin);
    }
  g_assert_nonnull (second);

  handler = g_signal_connect (f->view, "notify::loading", G_CALLBACK (on_loading_notify), &n_notifies);
  wpc_handout_view_refresh (f->view);
  g_assert_true (wpc_handout_view_get_loading (f->view));
  /* Written while that read may already be past it: only a read after it sees it */
  g_assert_true (wpi_store_pin_set_state (wpi_service_host_get_store (f->service), second->id,
                                          WPI_PIN_STATE_HANDED_OUT, NULL, &error));
  g_assert_no_error (error);
  wpc_handout_view_refresh (f->view);
  wpc_handout_view_refresh (f->view);
  wait_until_loaded (f->view);
  g_signal_handler_disconnect (f->view, handler);

  /* One stretch of loading (on, off), whatever the number of reads */
  g_assert_cmpuint (n_notifies, ==, 2);
  g_assert_cmpint (state_of (f, phone_macs[1]), ==, WPI_PIN_STATE_HANDED_OUT);

  /* Still only the first phone is selected: Mark handed out touches it alone */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.mark-handed-out", NULL));
  wait_until_loaded (f->view);
  g_assert_cmpint (state_of (f, phone_macs[0]), ==, WPI_PIN_STATE_HANDED_OUT);
  g_assert_cmpint (state_of (f, phone_macs[2]), ==, WPI_PIN_STATE_GENERATED);
}

/* What Print, Export PDF and Export CSV show: whether they can run, the labels naming
 * what they act on, and a part of their tooltips (why they cannot, when they cannot) */
typedef struct {
  gboolean    enabled;
  const char *print_label;
  const char *pdf_label;
  const char *tooltip_part;
} HandingOut;

static void
assert_handing_out (Fixture          *f,
                    const HandingOut *expected)
{
  const char *actions[] = { "handout.print", "handout.export-pdf", "handout.export-csv" };
  const char *labels[] = { expected->print_label, expected->pdf_label, NULL };

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      GtkWidget *button = ui_test_find_button_for_action (GTK_WIDGET (f->view), actions[i]);
      const char *tooltip = gtk_widget_get_tooltip_text (button);

      if (labels[i] != NULL)
        g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, labels[i]);
      g_assert_true (gtk_widget_get_sensitive (button) == expected->enabled);
      g_assert_nonnull (tooltip);
      if (strstr (tooltip, expected->tooltip_part) == NULL)
        g_error ("“%s” not in the tooltip “%s” of %s", expected->tooltip_part, tooltip, actions[i]);
    }
}

static WpiPinRecord *
current_pin (Fixture    *f,
             const char *mac)
{
  g_autoptr(GError) error = NULL;
  WpiPinRecord *pin = wpi_store_pin_get_current (wpi_service_host_get_store (f->service), mac, &error);

  g_assert_no_error (error);
  return pin;
}

static void
test_actions_name_targets (Fixture       *f,
                           gconstpointer  data)
{
  const char * const first[] = { phone_macs[0], NULL };
  const char * const two[] = { phone_macs[0], phone_macs[1], NULL };
  g_autoptr(WpiPinRecord) verified = NULL;
  g_autoptr(WpiPinRecord) busy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  (void) data;

  assert_handing_out (f, &(HandingOut) { FALSE, "_Print…", "Export P_DF…", "No PINs yet" });

  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_ALL);
  generate (f);
  assert_handing_out (f, &(HandingOut) { TRUE, "_Print All…", "Export All as P_DF…",
                                         "the 3 PINs still to hand out" });
  wpc_handout_view_select_macs (f->view, two);
  assert_handing_out (f, &(HandingOut) { TRUE, "_Print 2 Slips…", "Export 2 as P_DF…",
                                         "the 2 PINs still to hand out" });
  ui_test_wait_for_paint (GTK_WIDGET (f->view), WAIT_TIMEOUT_MS);
  ui_test_save_screenshot (GTK_WIDGET (f->window), "handout-two-selected.png");

  /* A verified PIN cannot be handed out again: a selection of only that says so */
  verified = current_pin (f, phone_macs[0]);
  g_assert_true (wpi_store_pin_set_state (wpi_service_host_get_store (f->service), verified->id,
                                          WPI_PIN_STATE_VERIFIED, NULL, &error));
  g_assert_no_error (error);
  wpc_handout_view_refresh (f->view);
  wait_until_loaded (f->view);
  assert_handing_out (f, &(HandingOut) { TRUE, "_Print 1 Slip…", "Export 1 as P_DF…",
                                         "the 1 PIN still to hand out" });
  wpc_handout_view_select_macs (f->view, first);
  assert_handing_out (f, &(HandingOut) { FALSE, "_Print…", "Export P_DF…", "no PIN left to hand out" });
  text = ui_test_shown_text (GTK_WIDGET (f->view));
  g_assert_nonnull (strstr (text, "3 PINs · none of the selected left to hand out"));
  g_clear_pointer (&text, g_free);

  /* A PIN whose phone is in a call: its bootstrap waits, and the table says why */
  busy = current_pin (f, phone_macs[2]);
  g_assert_true (wpi_store_job_set_state (wpi_service_host_get_store (f->service), busy->job_id,
                                          WPI_JOB_STATE_WAITING_BUSY, "busy", &error));
  g_assert_no_error (error);
  wpc_handout_view_refresh (f->view);
  wait_until_loaded (f->view);
  ui_test_wait_for_paint (GTK_WIDGET (f->view), WAIT_TIMEOUT_MS);
  text = ui_test_shown_text (GTK_WIDGET (f->view));
  g_assert_nonnull (strstr (text, "Waiting: phone busy"));
  g_assert_nonnull (strstr (text, "TAN verified"));
  g_assert_nonnull (strstr (text, "Room 3"));
  ui_test_save_screenshot (GTK_WIDGET (f->window), "handout-1024x600.png");
}

static void
test_matching_none (Fixture       *f,
                    gconstpointer  data)
{
  AdwStatusPage *page = ADW_STATUS_PAGE (ui_test_find_widget (GTK_WIDGET (f->view), ADW_TYPE_STATUS_PAGE, NULL));
  GtkWidget *all_button;

  (void) data;

  /* No PIN yet: the status page says how to get one */
  g_assert_true (ui_test_is_shown (GTK_WIDGET (page)));
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "No PINs Yet");
  g_assert_nonnull (strstr (adw_status_page_get_description (page), "press Generate"));
  ui_test_save_screenshot (f->window, "handout-empty.png");

  /* A filter no phone matches: an explanation, no run, and a way to all phones */
  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_MATCHING);
  wpc_handout_view_set_filter_text (f->view, "no-such-phone");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.generate", NULL));
  g_assert_false (wpc_handout_view_get_busy (f->view));
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 0);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "No Phones in Scope");
  g_assert_nonnull (strstr (adw_status_page_get_description (page), "No phone matches the filter"));
  ui_test_save_screenshots_light_dark (f->window, "handout-no-phone-in-scope");
  all_button = ui_test_find_button_for_action (GTK_WIDGET (page), "handout.scope-all");
  g_assert_true (ui_test_is_shown (all_button));
  g_signal_emit_by_name (all_button, "clicked");
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "No PINs Yet");
  g_assert_false (ui_test_is_shown (all_button));

  /* ... and Generate for all phones fills the table, which hides the page */
  generate (f);
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 3);
  g_assert_false (ui_test_is_shown (GTK_WIDGET (page)));
}

static char *demo_macs[DEMO_PHONES];

static gboolean
five_verified (gpointer data)
{
  Fixture *f = data;
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(WpiPinRecord) pin = wpi_store_pin_get_current (wpi_service_host_get_store (f->service),
                                                             demo_macs[i], NULL);

      if (pin == NULL || pin->state != WPI_PIN_STATE_VERIFIED)
        return FALSE;
    }
  return TRUE;
}

static gboolean
five_verified_in_table (gpointer data)
{
  Fixture *f = data;

  if (wpc_handout_view_get_loading (f->view))
    return FALSE;
  for (guint i = 0; i < 5; i++)
    if (state_of (f, demo_macs[i]) != WPI_PIN_STATE_VERIFIED)
      return FALSE;
  return TRUE;
}

/* The issue's acceptance: a PIN handout for 5 of the demo's phones ends in 5 verified
 * phones in Secure Mode, and the table shows it; the sixth phone is untouched. */
static void
test_demo_five_verified (Fixture       *f,
                         gconstpointer  data)
{
  GListModel *phones = wpi_service_host_get_phones (f->service);
  const char *five[6] = { NULL };

  (void) data;

  for (guint i = 0; i < DEMO_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);

      demo_macs[i] = g_strdup (wpi_phone_get_mac (phone));
      g_assert_cmpint (wpi_phone_get_mode (phone), ==, WPI_PHONE_MODE_DEFAULT);
    }
  for (guint i = 0; i < 5; i++)
    five[i] = demo_macs[i];

  wpc_handout_view_set_selected_macs (f->view, five);
  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_SELECTED);
  wpc_handout_view_set_with_pin (f->view, TRUE);
  generate (f);
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 5);

  /* The technician hands the slips out; the phones' users type them */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.mark-handed-out", NULL));
  test_util_wait_until (five_verified, f, DEMO_TIMEOUT_MS, "5 verified TANs");

  /* The table follows the store by itself, as the service thread's news arrive */
  test_util_wait_until (five_verified_in_table, f, DEMO_TIMEOUT_MS, "the table to show 5 verified TANs");
  wpi_service_host_sync (f->service);
  for (guint i = 0; i < DEMO_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = NULL;

      for (guint j = 0; j < g_list_model_get_n_items (phones); j++)
        {
          g_autoptr(WpiPhone) candidate = g_list_model_get_item (phones, j);

          if (g_str_equal (wpi_phone_get_mac (candidate), demo_macs[i]))
            phone = g_steal_pointer (&candidate);
        }
      g_assert_nonnull (phone);
      g_assert_cmpint (wpi_phone_get_mode (phone), ==,
                       i < 5 ? WPI_PHONE_MODE_SECURE : WPI_PHONE_MODE_DEFAULT);
    }
  for (guint i = 0; i < DEMO_PHONES; i++)
    g_clear_pointer (&demo_macs[i], g_free);
}

/* --- Feedback: toasts, cell tooltips and names (issue 12 §1, §4, §5) ------------------ */

static void
mark_first_handed_out (Fixture *f)
{
  const char * const first[] = { phone_macs[0], NULL };

  wpc_handout_view_select_macs (f->view, first);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.mark-handed-out", NULL));
  wait_until_loaded (f->view);
}

static void
export_step (Fixture  *f,
             gboolean  pdf)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (f->data_dir, pdf ? "feedback.pdf" : "feedback.csv", NULL);

  wpc_handout_view_select_macs (f->view, NULL);
  g_assert_true (export_file (f->view, path, pdf, &error));
  g_assert_no_error (error);
}

static void
export_csv_step (Fixture *f)
{
  export_step (f, FALSE);
}

static void
export_pdf_step (Fixture *f)
{
  export_step (f, TRUE);
}

/* Each finished action says so in a toast, with Open where there is a file to open */
static void
test_toasts (Fixture       *f,
             gconstpointer  data)
{
  static const struct {
    void      (*run) (Fixture *f);
    const char *title;
    const char *button;
  } steps[] = {
    { mark_first_handed_out, "1 PIN marked handed out", NULL },
    { export_csv_step, "CSV saved", "_Open" },
    { export_pdf_step, "PDF saved", "_Open" },
  };

  (void) data;

  generate (f);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      steps[i].run (f);
      ui_test_assert_toast (GTK_WIDGET (f->view), steps[i].title, steps[i].button);
    }
}

/* Empty cells are read out by what they lack, not as "GtkLabel": what the e2e test found
 * in the Location column of the demo's phones, which have no location */
static void
test_empty_cells_named (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (phone_macs[0]);
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  guint n_unnamed = 0;

  (void) data;

  wpi_store_phone_upsert (wpi_service_host_get_store (f->service), phone, WPI_PHONE_FIELD_LOCATION, NULL, &error);
  g_assert_no_error (error);
  wpi_service_host_reload (f->service);
  generate (f);
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 3);
  ui_test_find_all (ui_test_find_widget (GTK_WIDGET (f->view), GTK_TYPE_COLUMN_VIEW, NULL), GTK_TYPE_LABEL, NULL,
                    labels);
  for (guint i = 0; i < labels->len; i++)
    {
      GtkLabel *label = g_ptr_array_index (labels, i);
      g_autofree char *problem = NULL;

      /* a cell with text is named by it (what the e2e test reads), an empty one by what it lacks */
      if (*gtk_label_get_text (label) != '\0')
        {
          problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                        gtk_label_get_text (label));
          g_assert_null (problem);
          continue;
        }
      problem = gtk_test_accessible_check_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                                    "No location");
      g_assert_null (problem);
      n_unnamed++;
    }
  g_assert_cmpuint (n_unnamed, ==, 1);
}

/* A cell cut off with "…" shows its whole text as its tooltip; one that fits, none */
static void
test_cell_tooltip (void)
{
  static const struct {
    const char *text;
    const char *extra;
    gboolean    ellipsized;
    const char *tooltip;
  } cells[] = {
    { "Waiting for the phone to end its call, then the bootstrap", NULL, TRUE,
      "Waiting for the phone to end its call, then the bootstrap" },
    { "Waiting for the phone to end its call, then the bootstrap", "more", TRUE,
      "Waiting for the phone to end its call, then the bootstrap\nmore" },
    { "OK", NULL, FALSE, NULL },
    { "OK", "Console to phone", FALSE, "Console to phone" },
  };
  GtkWidget *window = gtk_window_new ();
  GtkWidget *label = wpc_cell_label_new ();

  gtk_widget_set_size_request (label, 80, -1);
  gtk_widget_set_halign (label, GTK_ALIGN_START);
  gtk_window_set_child (GTK_WINDOW (window), label);
  gtk_window_set_default_size (GTK_WINDOW (window), 80, 40);
  gtk_window_present (GTK_WINDOW (window));
  test_util_wait_until (ui_test_widget_is_mapped_and_allocated, label, WAIT_TIMEOUT_MS, "the label to show");
  for (guint i = 0; i < G_N_ELEMENTS (cells); i++)
    {
      g_autofree char *tooltip = NULL;

      wpc_cell_label_set (GTK_LABEL (label), cells[i].text, cells[i].extra, NULL);
      ui_test_wait_for_paint (label, WAIT_TIMEOUT_MS);
      g_assert_cmpint (wpc_cell_label_is_ellipsized (GTK_LABEL (label)), ==, cells[i].ellipsized);
      tooltip = wpc_cell_label_dup_tooltip (GTK_LABEL (label));
      g_assert_cmpstr (tooltip, ==, cells[i].tooltip);
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The table with its PINs at the smallest and a large screen, light and dark, for review
 * (issue 12 §5); the columns that say which phone and its PIN stay in view at 1024x600 */
static void
test_screenshots (Fixture       *f,
                  gconstpointer  data)
{
  (void) data;

  generate (f);
  ui_test_save_screenshots_at_sizes (GTK_WINDOW (f->window), "handout");
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add ("/ui/handout/generate-mark-export", Fixture, NULL,
              fixture_set_up, test_generate_mark_export, fixture_tear_down);
  g_test_add ("/ui/handout/export-unwritable", Fixture, NULL,
              fixture_set_up, test_export_unwritable, fixture_tear_down);
  g_test_add ("/ui/handout/refresh-coalesced", Fixture, NULL,
              fixture_set_up, test_refresh_coalesced, fixture_tear_down);
  g_test_add ("/ui/handout/reissue", Fixture, NULL, fixture_set_up, test_reissue, fixture_tear_down);
  g_test_add ("/ui/handout/actions-name-targets", Fixture, NULL,
              fixture_set_up, test_actions_name_targets, fixture_tear_down);
  g_test_add ("/ui/handout/matching-none", Fixture, NULL, fixture_set_up, test_matching_none, fixture_tear_down);
  g_test_add ("/ui/handout/toasts", Fixture, NULL, fixture_set_up, test_toasts, fixture_tear_down);
  g_test_add ("/ui/handout/empty-cells-named", Fixture, NULL,
              fixture_set_up, test_empty_cells_named, fixture_tear_down);
  g_test_add_func ("/ui/handout/cell-tooltip", test_cell_tooltip);
  g_test_add ("/ui/handout/screenshots", Fixture, NULL, fixture_set_up, test_screenshots, fixture_tear_down);
  g_test_add ("/ui/handout/demo-five-verified", Fixture, NULL,
              fixture_set_up_demo, test_demo_five_verified, fixture_tear_down);

  return g_test_run ();
}
