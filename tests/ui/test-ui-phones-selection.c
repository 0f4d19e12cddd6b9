/* test-ui-phones-selection.c: the Phones view's details pane of the selected phone and
 * the actions on the selection, with the dialogs that queue their jobs (test-ui-phones.c
 * registers these tests; phones-view-fixture.c sets them up) */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "wpc-deploy-dialog.h"
#include "wpc-phone-details.h"
#include "wpc-phones-view.h"
#include "wpc-window.h"
#include "wpc-write-dialog.h"
#include "phones-view-fixture.h"

/* Actions on the selection and their dialogs ------------------------------------- */

static void
set_entry (GtkWidget  *row_root,
           const char *name,
           const char *text)
{
  GtkWidget *entry = ui_test_find_widget (row_root, GTK_TYPE_ENTRY, name);

  g_assert_nonnull (entry);
  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

#define click_ok ui_test_click_suggested

void
test_actions_follow_selection (Fixture *fixture)
{
  static const char * const actions[] = {
    "read-all", "read-items", "write-items", "contact-me", "restart", "factory-reset",
    "deploy-file", "deploy-firmware", "apply-profile",
  };
  GtkWidget *view = GTK_WIDGET (fixture->view);
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  register_all (fixture);
  gtk_selection_model_unselect_all (wpc_phones_view_get_selection (fixture->view));
  /* Nothing selected: every action on the selection is off, so are its buttons */
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_autofree char *name = g_strconcat ("phone.", actions[i], NULL);
      /* A disabled action does nothing: no dialog, no job */
      gtk_widget_activate_action (view, name, NULL);
      g_assert_null (ui_test_find_toplevel (WPC_TYPE_WRITE_DIALOG, NULL));
      g_assert_null (ui_test_find_toplevel (WPC_TYPE_DEPLOY_DIALOG, NULL));
      g_assert_null (ui_test_find_toplevel (GTK_TYPE_MESSAGE_DIALOG, NULL));
    }
  {
    g_autoptr(GPtrArray) none = jobs_of (fixture, phones[0].mac);
    g_assert_cmpuint (none->len, ==, 0);
  }
  ui_test_find_all (view, GTK_TYPE_BUTTON, NULL, buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (buttons, i);
      const char *action = gtk_actionable_get_action_name (GTK_ACTIONABLE (button));

      if (action != NULL && g_str_has_prefix (action, "phone.") && ui_test_is_shown (button))
        {
          g_assert_false (gtk_widget_is_sensitive (button));
          /* Reachable by keyboard once enabled */
          g_assert_true (gtk_widget_get_focusable (button));
        }
    }

  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  for (guint i = 0; i < buttons->len; i++)
    {
      GtkWidget *button = g_ptr_array_index (buttons, i);
      const char *action = gtk_actionable_get_action_name (GTK_ACTIONABLE (button));

      /* Not the selection's: Cancel of a bulk run, Clear Search of the no-match page */
      if (action != NULL && g_str_has_prefix (action, "phone.") && !g_str_equal (action, "phone.cancel-bulk") &&
          !g_str_equal (action, "phone.clear-search"))
        g_assert_true (gtk_widget_is_sensitive (button));
    }

  /* Ctrl+R reads all items of the selection */
  g_assert_true (ui_test_activate_shortcut (view, "<Control>r"));
  wait_for_job (fixture, phones[0].mac, WPI_JOB_KIND_READ_ALL);
}

void
test_write_dialog (Fixture *fixture)
{
  WpcWriteDialog *dialog;
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();
  g_autoptr(GPtrArray) jobs = NULL;
  const WpiJobRecord *job;
  const WpiStoreItem *item;
  const char *message;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[1].mac, NULL });
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control>e"));
  dialog = WPC_WRITE_DIALOG (wait_for_toplevel (WPC_TYPE_WRITE_DIALOG, NULL));
  g_assert_cmpint (wpc_write_dialog_get_mode (dialog), ==, WPC_WRITE_DIALOG_WRITE);
  {
    g_autofree char *text = ui_test_shown_text (GTK_WIDGET (dialog));
    g_assert_nonnull (strstr (text, "00:1A:E8:00:00:03 (4989700103)"));
  }

  /* One empty row to start with, nothing to send yet */
  g_assert_cmpuint (wpc_write_dialog_get_n_rows (dialog), ==, 1);
  g_assert_false (wpc_write_dialog_get_valid (dialog));
  ui_test_find_all (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX_ROW, NULL, rows);
  g_assert_cmpuint (rows->len, ==, 1);

  /* A value outside the enumeration: the row says why, OK stays off */
  set_entry (g_ptr_array_index (rows, 0), "name", "sip-transport-user");
  set_entry (g_ptr_array_index (rows, 0), "value", "7");
  g_assert_false (wpc_write_dialog_get_valid (dialog));
  message = wpc_write_dialog_get_row_message (dialog, 0);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "sip-transport-user"));
  {
    g_autofree char *text = ui_test_shown_text (GTK_WIDGET (dialog));
    g_assert_nonnull (strstr (text, message));
  }
  g_assert_null (wpc_write_dialog_get_items (dialog));
  ui_test_save_screenshot (GTK_WIDGET (dialog), "write-dialog-invalid.png");

  /* A good value: OK on, and the meaning shown */
  set_entry (g_ptr_array_index (rows, 0), "value", "2");
  g_assert_true (wpc_write_dialog_get_valid (dialog));
  g_assert_cmpstr (wpc_write_dialog_get_row_message (dialog, 0), ==, "Means: TLS");

  /* A second row: the wrong case of a known name, then an indexed item without index */
  wpc_write_dialog_add_row (dialog, "SIP-Transport-User", NULL, "1");
  g_assert_false (wpc_write_dialog_get_valid (dialog));
  g_assert_nonnull (strstr (wpc_write_dialog_get_row_message (dialog, 1), "“sip-transport-user”"));
  g_ptr_array_set_size (rows, 0);
  ui_test_find_all (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX_ROW, NULL, rows);
  g_assert_cmpuint (rows->len, ==, 2);
  set_entry (g_ptr_array_index (rows, 1), "name", "function-key-def");
  set_entry (g_ptr_array_index (rows, 1), "value", "8");
  g_assert_false (wpc_write_dialog_get_valid (dialog));
  g_assert_nonnull (strstr (wpc_write_dialog_get_row_message (dialog, 1), "needs an index"));
  set_entry (g_ptr_array_index (rows, 1), "index", "x");
  g_assert_nonnull (strstr (wpc_write_dialog_get_row_message (dialog, 1), "whole number"));
  set_entry (g_ptr_array_index (rows, 1), "index", "3");
  g_assert_true (wpc_write_dialog_get_valid (dialog));

  /* The same item twice is refused; an unknown item is allowed, with a note */
  wpc_write_dialog_add_row (dialog, "sip-transport-user", NULL, "0");
  g_assert_false (wpc_write_dialog_get_valid (dialog));
  g_assert_nonnull (strstr (wpc_write_dialog_get_row_message (dialog, 2), "already listed"));
  g_ptr_array_set_size (rows, 0);
  ui_test_find_all (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX_ROW, NULL, rows);
  set_entry (g_ptr_array_index (rows, 2), "name", "x-site-specific");
  g_assert_true (wpc_write_dialog_get_valid (dialog));
  g_assert_nonnull (strstr (wpc_write_dialog_get_row_message (dialog, 2), "catalogue"));
  ui_test_save_screenshot (GTK_WIDGET (dialog), "write-dialog-valid.png");

  /* OK asks first for the unknown item (D32); Write Anyway queues one write job with
   * exactly these items */
  click_ok (GTK_WINDOW (dialog));
  ui_test_respond (wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog"), "write");
  wait_for_toplevel_gone (WPC_TYPE_WRITE_DIALOG, NULL);
  wait_for_job (fixture, phones[1].mac, WPI_JOB_KIND_WRITE_ITEMS);
  jobs = jobs_of (fixture, phones[1].mac);
  job = find_job (jobs, WPI_JOB_KIND_WRITE_ITEMS);
  g_assert_nonnull (job);
  g_assert_cmpuint (job->items->len, ==, 3);
  item = job_item (job, "sip-transport-user");
  g_assert_cmpstr (item->value, ==, "2");
  g_assert_false (item->has_index);
  item = job_item (job, "function-key-def");
  g_assert_cmpstr (item->value, ==, "8");
  g_assert_true (item->has_index);
  g_assert_cmpint (item->index, ==, 3);
  item = job_item (job, "x-site-specific");
  g_assert_cmpstr (item->value, ==, "0");

  /* The other phones got nothing */
  g_clear_pointer (&jobs, g_ptr_array_unref);
  jobs = jobs_of (fixture, phones[0].mac);
  g_assert_cmpuint (jobs->len, ==, 0);
}

void
test_read_items_dialog (Fixture *fixture)
{
  WpcWriteDialog *dialog;
  g_autoptr(GPtrArray) jobs = NULL;
  const WpiJobRecord *job;
  GtkWidget *value;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[2].mac, NULL });
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control>i"));
  dialog = WPC_WRITE_DIALOG (wait_for_toplevel (WPC_TYPE_WRITE_DIALOG, NULL));
  g_assert_cmpint (wpc_write_dialog_get_mode (dialog), ==, WPC_WRITE_DIALOG_READ);
  /* Reading asks for names only */
  value = ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_ENTRY, "value");
  g_assert_false (ui_test_is_shown (value));

  wpc_write_dialog_add_row (dialog, "e164", "1", NULL);
  g_assert_false (wpc_write_dialog_get_valid (dialog));
  g_assert_nonnull (strstr (wpc_write_dialog_get_row_message (dialog, 1), "no index"));
  set_entry (ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX_ROW, NULL), "name", "sip-transport-user");
  wpc_write_dialog_add_row (dialog, "admin-pwd", NULL, NULL);
  g_assert_false (wpc_write_dialog_get_valid (dialog));
  {
    g_autoptr(GPtrArray) rows = g_ptr_array_new ();

    ui_test_find_all (GTK_WIDGET (dialog), GTK_TYPE_LIST_BOX_ROW, NULL, rows);
    set_entry (g_ptr_array_index (rows, 1), "index", "");
  }
  g_assert_true (wpc_write_dialog_get_valid (dialog));
  click_ok (GTK_WINDOW (dialog));
  wait_for_toplevel_gone (WPC_TYPE_WRITE_DIALOG, NULL);
  wait_for_job (fixture, phones[2].mac, WPI_JOB_KIND_READ_ITEMS);
  jobs = jobs_of (fixture, phones[2].mac);
  job = find_job (jobs, WPI_JOB_KIND_READ_ITEMS);
  g_assert_cmpuint (job->items->len, ==, 3);
  g_assert_nonnull (job_item (job, "sip-transport-user"));
  g_assert_nonnull (job_item (job, "e164"));
  g_assert_nonnull (job_item (job, "admin-pwd"));
}

static gboolean
file_job_queued (gpointer data)
{
  gpointer *args = data;
  g_autoptr(GPtrArray) jobs = jobs_of (args[0], args[1]);
  return find_job (jobs, GPOINTER_TO_INT (args[2])) != NULL;
}

void
test_deploy (Fixture *fixture)
{
  /* in the console's temporary directory: removed with it, whatever the outcome */
  g_autofree char *source_path = g_build_filename (fixture->console.data_dir, "Company logo.png", NULL);
  g_autofree char *served = NULL;
  g_autofree char *url = NULL;
  g_autoptr(GFile) source = g_file_new_for_path (source_path);
  g_autoptr(GPtrArray) selected = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  const WpiJobRecord *job;
  WpcDeployDialog *dialog;
  gpointer args[3] = { fixture, (gpointer) phones[0].mac, GINT_TO_POINTER (WPI_JOB_KIND_FILE_DEPLOYMENT) };
  guint status = 0;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  selected = wpc_phones_view_get_selected_phones (fixture->view);

  g_assert_true (g_file_set_contents (source_path, "PNG-ish", -1, &error));

  /* The dialog: Deploy only once a file and a type are chosen */
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control><Shift>f"));
  dialog = WPC_DEPLOY_DIALOG (wait_for_toplevel (WPC_TYPE_DEPLOY_DIALOG, NULL));
  g_assert_false (wpc_deploy_dialog_get_valid (dialog));
  wpc_deploy_dialog_set_file (dialog, source);
  g_assert_true (wpc_deploy_dialog_set_file_type (dialog, "LOGO"));
  g_assert_false (wpc_deploy_dialog_set_file_type (dialog, "APP"));
  g_assert_true (wpc_deploy_dialog_get_valid (dialog));
  ui_test_save_screenshot (GTK_WIDGET (dialog), "deploy-file-dialog.png");
  click_ok (GTK_WINDOW (dialog));
  wait_for_toplevel_gone (WPC_TYPE_DEPLOY_DIALOG, NULL);
  wait_for (file_job_queued, args, "the file deployment");

  jobs = jobs_of (fixture, phones[0].mac);
  job = find_job (jobs, WPI_JOB_KIND_FILE_DEPLOYMENT);
  url = g_strdup_printf ("https://127.0.0.1:%u/files/Company_logo.png", wpi_service_host_get_port (fixture->console.service));
  g_assert_cmpstr (job_item (job, "file-https-base-url")->value, ==, url);
  g_assert_cmpstr (job_item (job, "file-type")->value, ==, "LOGO");
  g_assert_cmpstr (job_item (job, "file-name")->value, ==, "Company_logo.png");

  /* The console serves the copy */
  served = g_build_filename (fixture->console.data_dir, "files", "Company_logo.png", NULL);
  g_assert_true (g_file_test (served, G_FILE_TEST_IS_REGULAR));
  body = https_request (fixture, "GET", "/files/Company_logo.png", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "PNG-ish", 7);

  /* Firmware: a software deployment with the version typed and normal priority */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "phone.deploy-firmware", NULL));
  dialog = WPC_DEPLOY_DIALOG (wait_for_toplevel (WPC_TYPE_DEPLOY_DIALOG, NULL));
  g_assert_true (wpc_deploy_dialog_get_firmware (dialog));
  wpc_deploy_dialog_set_file (dialog, source);
  gtk_editable_set_text (GTK_EDITABLE (ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_ENTRY, NULL)), "latest");
  g_assert_false (wpc_deploy_dialog_get_valid (dialog));
  {
    g_autofree char *text = ui_test_shown_text (GTK_WIDGET (dialog));
    g_assert_nonnull (strstr (text, "file-sw-version"));
  }
  gtk_editable_set_text (GTK_EDITABLE (ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_ENTRY, NULL)), "3.5.12.0");
  g_assert_true (wpc_deploy_dialog_get_valid (dialog));
  click_ok (GTK_WINDOW (dialog));
  args[2] = GINT_TO_POINTER (WPI_JOB_KIND_SOFTWARE_DEPLOYMENT);
  wait_for (file_job_queued, args, "the firmware deployment");
  g_clear_pointer (&jobs, g_ptr_array_unref);
  jobs = jobs_of (fixture, phones[0].mac);
  job = find_job (jobs, WPI_JOB_KIND_SOFTWARE_DEPLOYMENT);
  g_assert_cmpstr (job_item (job, "file-https-base-url")->value, ==, url);
  g_assert_cmpstr (job_item (job, "file-sw-type")->value, ==, "Siemens SIP");
  g_assert_cmpstr (job_item (job, "file-sw-version")->value, ==, "3.5.12.0");
  g_assert_cmpstr (job_item (job, "file-priority")->value, ==, "normal");
}

void
test_apply_profile (Fixture *fixture)
{
  WpiStore *store = wpi_service_host_get_store (fixture->console.service);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  GtkWindow *dialog;
  const WpiJobRecord *job;
  g_autofree char *text = NULL;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[1].mac, NULL });

  /* No profile yet: the view says how to make one */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "phone.apply-profile", NULL));
  ui_test_wait_for_toast (GTK_WIDGET (fixture->view), "no profiles yet", WAIT_TIMEOUT_MS, "the profile hint");

  wpi_store_item_array_add (items, "sip-transport-user", FALSE, 0, "2");
  g_assert_true (wpi_store_profile_set (store, "office", (WpiStoreItem *) items->data, items->len, &error));
  g_assert_no_error (error);
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control><Shift>p"));
  dialog = wait_for_toplevel (GTK_TYPE_MESSAGE_DIALOG, "apply-profile-dialog");
  g_assert_nonnull (ui_test_find_widget (GTK_WIDGET (dialog), GTK_TYPE_DROP_DOWN, "profile"));
  gtk_dialog_response (GTK_DIALOG (dialog), GTK_RESPONSE_ACCEPT);
  wait_for_job (fixture, phones[1].mac, WPI_JOB_KIND_APPLY_PROFILE);
  jobs = jobs_of (fixture, phones[1].mac);
  job = find_job (jobs, WPI_JOB_KIND_APPLY_PROFILE);
  g_assert_cmpstr (job->parameter, ==, "office");
}

/* The details pane -------------------------------------------------------------- */

static void
on_show_traffic (WpcPhoneDetails *details,
                 gint64           id,
                 gint64          *received)
{
  *received = id;
}

static gboolean
inspector_selected (gpointer data)
{
  gpointer *args = data;
  Fixture *fixture = args[0];

  return wpc_traffic_view_get_selected_id (wpc_window_get_traffic_view (fixture->window)) == *(gint64 *) args[1];
}

void
test_details (Fixture *fixture)
{
  GtkWidget *details = ui_test_find_widget (GTK_WIDGET (fixture->view), WPC_TYPE_PHONE_DETAILS, NULL);
  g_autoptr(GPtrArray) expanders = g_ptr_array_new ();
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();
  GtkWidget *reveal;
  GtkWidget *sip = NULL;
  GtkWidget *security = NULL;
  g_autofree char *text = NULL;
  gint64 received = 0;
  gpointer args[2];

  register_all (fixture);
  g_assert_false (ui_test_is_shown (details));
  select_macs (fixture, (const char *[]) { phones[1].mac, NULL });
  g_assert_true (ui_test_is_shown (details));
  wait_for (details_loaded, details, "the details to be read");

  /* Identity */
  text = ui_test_shown_text (details);
  test_util_assert_contains_all (text, "4989700103", "OpenStage 40 · V3 R4.2.0", phones[1].mac, NULL);

  /* Items by category: SIP's value decoded, the password masked */
  ui_test_find_all (details, GTK_TYPE_EXPANDER, NULL, expanders);
  for (guint i = 0; i < expanders->len; i++)
    {
      GtkWidget *expander = g_ptr_array_index (expanders, i);

      if (g_str_equal (gtk_widget_get_name (expander), "sip"))
        sip = expander;
      if (g_str_equal (gtk_widget_get_name (expander), "security"))
        security = expander;
    }
  g_assert_nonnull (sip);
  g_assert_nonnull (security);
  g_assert_cmpstr (gtk_expander_get_label (GTK_EXPANDER (sip)), ==, "SIP (1)");
  gtk_expander_set_expanded (GTK_EXPANDER (sip), TRUE);
  gtk_expander_set_expanded (GTK_EXPANDER (security), TRUE);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (details);
  g_assert_nonnull (strstr (text, "sip-transport-user\n2 (TLS)"));
  g_assert_nonnull (strstr (text, "admin-pwd\n••••••••"));
  g_assert_null (strstr (text, "s3cret-admin"));

  /* Revealing needs the setting */
  reveal = ui_test_find_widget (details, GTK_TYPE_TOGGLE_BUTTON, NULL);
  g_assert_false (gtk_widget_is_sensitive (reveal));
  wpc_phone_details_set_secrets_revealed (WPC_PHONE_DETAILS (details), TRUE);
  g_assert_false (wpc_phone_details_get_secrets_revealed (WPC_PHONE_DETAILS (details)));
  g_settings_set_boolean (fixture->console.settings, "reveal-secrets-allowed", TRUE);
  g_assert_true (gtk_widget_is_sensitive (reveal));
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (reveal), TRUE);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (details);
  g_assert_nonnull (strstr (text, "admin-pwd\ns3cret-admin"));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-details.png");
  /* Turning the setting off hides them again at once */
  g_settings_set_boolean (fixture->console.settings, "reveal-secrets-allowed", FALSE);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (details);
  g_assert_null (strstr (text, "s3cret-admin"));

  /* A job appears with its state as soon as it is queued; with the jobs, who logged on */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(WpiStore) other = wpi_store_open (fixture->console.data_dir, &error);

    g_assert_true (wpi_store_phone_event_add (other, phones[1].mac, g_get_real_time (), "logon", "4989700200",
                                              NULL, &error));
    g_assert_no_error (error);
  }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "phone.restart", NULL));
  ui_test_wait_for_shown_text (details, "Restart · ", WAIT_TIMEOUT_MS, "the restart job in the details");
  ui_test_wait_for_shown_text (details, "Logon · 4989700200 · ", WAIT_TIMEOUT_MS, "the logon in the details");

  /* Its traffic, newest first, each message with a button to the inspector */
  ui_test_find_all (details, GTK_TYPE_BUTTON, "show-traffic", buttons);
  g_assert_cmpuint (buttons->len, ==, 4);   /* start-up, ReadAllItems, reply-to, CleanUp */
  g_signal_connect (details, "show-traffic", G_CALLBACK (on_show_traffic), &received);
  g_signal_emit_by_name (g_ptr_array_index (buttons, 0), "clicked");
  g_assert_cmpint (received, >, 0);
  {
    g_autoptr(WpiTrafficRecord) record = wpi_store_traffic_get (wpi_service_host_get_store (fixture->console.service),
                                                                received, NULL);
    g_assert_nonnull (record);
    g_assert_cmpstr (record->mac, ==, phones[1].mac);
    g_assert_cmpstr (record->action, ==, "CleanUp");
  }
  /* The window's inspector shows that message */
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "traffic");
  args[0] = fixture;
  args[1] = &received;
  wait_for (inspector_selected, args, "the inspector to select the message");
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-details-to-traffic.png");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "phones"));

  /* Scrolled down, then another phone: its details start at the top */
  {
    GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW (ui_test_find_widget (details, GTK_TYPE_SCROLLED_WINDOW, NULL));
    GtkAdjustment *vertical = gtk_scrolled_window_get_vadjustment (scroller);

    gtk_adjustment_set_value (vertical, gtk_adjustment_get_upper (vertical));
    g_assert_cmpfloat (gtk_adjustment_get_value (vertical), >, 0.0);
    select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
    g_assert_cmpfloat (gtk_adjustment_get_value (vertical), ==, 0.0);
  }

  /* More than one phone selected: a summary instead of one phone's details */
  select_macs (fixture, (const char *[]) { phones[0].mac, phones[1].mac, NULL });
  g_assert_false (ui_test_is_shown (details));
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (text, "2 phones selected"));
}

/* The location typed in the details lands in the store and the list's Location column;
 * one written by another process (as wpictl location does) shows too (issue 11 §3). */
void
test_location (Fixture *fixture)
{
  GtkWidget *details = ui_test_find_widget (GTK_WIDGET (fixture->view), WPC_TYPE_PHONE_DETAILS, NULL);
  GtkWidget *list = GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view));
  WpiStore *store = wpi_service_host_get_store (fixture->console.service);
  g_autoptr(WpiPhoneRecord) stored = NULL;
  g_autoptr(WpiPhoneRecord) other = wpi_phone_record_new (phones[2].mac);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  GtkWidget *entry;

  register_all (fixture);
  text = ui_test_shown_text (list);
  g_assert_nonnull (strstr (text, "Location"));
  select_macs (fixture, (const char *[]) { phones[1].mac, NULL });
  wait_for (details_loaded, details, "the details to be read");

  entry = ui_test_find_named (details, GTK_TYPE_ENTRY, "location-entry");
  gtk_editable_set_text (GTK_EDITABLE (entry), "  Room 2.14, 3rd floor ");
  g_signal_emit_by_name (entry, "activate");
  stored = wpi_store_phone_get (store, phones[1].mac, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (stored->location, ==, "Room 2.14, 3rd floor");
  ui_test_wait_for_shown_text (list, "Room 2.14, 3rd floor", WAIT_TIMEOUT_MS, "the typed location in the phone list");

  other->location = g_strdup ("Reception");
  g_assert_true (wpi_store_phone_upsert (store, other, WPI_PHONE_FIELD_LOCATION, NULL, &error));
  g_assert_no_error (error);
  ui_test_wait_for_shown_text (list, "Reception", WAIT_TIMEOUT_MS, "a location set elsewhere in the phone list");
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-location.png");
}
