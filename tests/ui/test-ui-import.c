/* test-ui-import.c: the Import Phone List dialog and the Expected state (D24)
 *
 * The dialog reached from the window's menu action: a file with problems lists each with
 * its line and column and cannot be imported; a good one previews every phone with what
 * the import does to it, without showing a password; Import stores it, and the phone
 * list shows the phones as "Expected". The same file again changes nothing; the export
 * names them expected and leaves the password out.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "wpc-import-dialog.h"
#include "wpc-phones-view.h"
#include "wpi-phone.h"
#include "ui-test-util.h"

#define WAIT_TIMEOUT_MS 60000
#define SECRET          "pa55-w0rd-x"

typedef struct {
  UiTestConsole  console;
  WpcWindow     *window;
} Fixture;

static const char *const bad_text =
  "mac;number;sip-transport-user\r\n"
  "00:1A:E8:00:00:01;3001;2\r\n"
  "00:1A:E8:00:00:02;3002;9\r\n";

static const char *const good_text =
  "\xEF\xBB\xBFMAC;Number;Location;sip-pwd;Display-Id-Unicode\r\n"
  "00:1A:E8:00:00:01;3001;Room 1;" SECRET ";Desk 3001\r\n"
  "00:1A:E8:00:00:02;3002;Room 2;" SECRET ";Desk 3002\r\n"
  "00:1A:E8:00:00:03;3003;Room 3;;Desk 3003\r\n";

/* The good list with Room 2 moved to Room 12: an update of a phone the console knows */
static const char *const moved_text =
  "\xEF\xBB\xBFMAC;Number;Location;sip-pwd;Display-Id-Unicode\r\n"
  "00:1A:E8:00:00:01;3001;Room 1;" SECRET ";Desk 3001\r\n"
  "00:1A:E8:00:00:02;3002;Room 12;" SECRET ";Desk 3002\r\n"
  "00:1A:E8:00:00:03;3003;Room 3;;Desk 3003\r\n";

static GFile *
write_list (Fixture    *fixture,
            const char *name,
            const char *text)
{
  g_autofree char *path = g_build_filename (fixture->console.data_dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static gboolean
dialog_idle (gpointer dialog)
{
  return wpc_import_dialog_get_idle (dialog);
}

/* Opens the dialog as the menu does and previews file */
static WpcImportDialog *
preview (Fixture *fixture,
         GFile   *file)
{
  WpcImportDialog *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.import-phones", NULL));
  dialog = WPC_IMPORT_DIALOG (ui_test_wait_for_toplevel (WPC_TYPE_IMPORT_DIALOG, NULL, WAIT_TIMEOUT_MS));
  g_assert_false (wpc_import_dialog_get_ready (dialog));
  wpc_import_dialog_set_file (dialog, file);
  test_util_wait_until (dialog_idle, dialog, WAIT_TIMEOUT_MS, "the preview");
  return dialog;
}

static gboolean
three_expected (gpointer data)
{
  GListModel *phones = data;
  guint expected = 0;

  for (guint i = 0; i < g_list_model_get_n_items (phones); i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);

      expected += wpi_phone_get_expected (phone);
    }
  return g_list_model_get_n_items (phones) == 3 && expected == 3;
}

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_EXISTS);
}

static void
check_problems (Fixture *fixture)
{
  g_autoptr(GFile) bad = write_list (fixture, "bad.csv", bad_text);
  WpcImportDialog *dialog = preview (fixture, bad);

  g_assert_false (wpc_import_dialog_get_ready (dialog));
  g_assert_nonnull (strstr (wpc_import_dialog_get_summary (dialog), "1 problem"));
  g_assert_nonnull (strstr (wpc_import_dialog_get_problems (dialog), "line 3, column 3 (sip-transport-user)"));
  ui_test_wait_for_shown_text (GTK_WIDGET (dialog), "line 3, column 3", WAIT_TIMEOUT_MS, "the problem shown");
  ui_test_save_screenshot (GTK_WIDGET (dialog), "import-dialog-problems.png");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
check_import (Fixture *fixture,
              GFile   *good)
{
  WpcImportDialog *dialog = preview (fixture, good);
  g_autofree char *shown = NULL;

  g_assert_true (wpc_import_dialog_get_ready (dialog));
  g_assert_cmpstr (wpc_import_dialog_get_summary (dialog), ==, "3 phones: 3 new, 0 updated, 0 unchanged");
  g_assert_cmpstr (wpc_import_dialog_get_problems (dialog), ==, "");
  shown = ui_test_shown_text (GTK_WIDGET (dialog));
  g_assert_nonnull (strstr (shown, "00:1A:E8:00:00:02"));
  g_assert_nonnull (strstr (shown, "sip-pwd"));
  g_assert_null (strstr (shown, SECRET));
  ui_test_save_screenshot (GTK_WIDGET (dialog), "import-dialog-preview.png");

  ui_test_click_suggested (GTK_WINDOW (dialog));
  ui_test_wait_for_toplevel_gone (WPC_TYPE_IMPORT_DIALOG, NULL, WAIT_TIMEOUT_MS);
  test_util_wait_until (three_expected, wpi_service_host_get_phones (fixture->console.service), WAIT_TIMEOUT_MS,
                        "three expected phones");
  ui_test_wait_for_shown_text (GTK_WIDGET (wpc_window_get_phones_view (fixture->window)), "Expected",
                               WAIT_TIMEOUT_MS, "the Expected state in the phone list");
}

static void
check_again_and_export (Fixture *fixture,
                        GFile   *good)
{
  WpcImportDialog *dialog = preview (fixture, good);
  g_autofree char *path = g_build_filename (fixture->console.data_dir, "export.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree char *text = NULL;

  g_assert_cmpstr (wpc_import_dialog_get_summary (dialog), ==, "3 phones: 0 new, 0 updated, 3 unchanged");
  gtk_window_destroy (GTK_WINDOW (dialog));

  wpc_phones_view_export_list (wpc_window_get_phones_view (fixture->window), file);
  test_util_wait_until (file_exists, path, WAIT_TIMEOUT_MS, "the export");
  ui_test_wait_for_toast (GTK_WIDGET (wpc_window_get_phones_view (fixture->window)), "3 phones exported",
                          WAIT_TIMEOUT_MS, "the export's outcome");
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "00:1A:E8:00:00:03,3003,Room 3,,expected,default,,,Desk 3003\r\n"));
  g_assert_null (strstr (text, SECRET));
}

static gboolean
phone_2_moved (gpointer data)
{
  WpiStore *store = data;
  g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (store, "00:1A:E8:00:00:02", NULL);

  return phone != NULL && g_strcmp0 (phone->location, "Room 12") == 0;
}

/* A list that changes known phones asks first: Cancel stores nothing and keeps the
 * preview; Update and Import stores it (issue 12 §1) */
static void
check_update_confirmed (Fixture *fixture)
{
  g_autoptr(GFile) moved = write_list (fixture, "moved.csv", moved_text);
  WpcImportDialog *dialog = preview (fixture, moved);
  WpiStore *store = wpi_service_host_get_store (fixture->console.service);
  GtkWindow *confirm;
  g_autofree char *text = NULL;

  g_assert_cmpstr (wpc_import_dialog_get_summary (dialog), ==, "3 phones: 0 new, 1 updated, 2 unchanged");
  ui_test_click_suggested (GTK_WINDOW (dialog));
  confirm = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "import-confirm-dialog", WAIT_TIMEOUT_MS);
  g_assert_true (gtk_window_get_transient_for (confirm) == GTK_WINDOW (dialog));
  text = ui_test_shown_text (GTK_WIDGET (confirm));
  test_util_assert_contains_all (text, "Update 1 Phone?", "not kept", NULL);
  ui_test_save_screenshots_light_dark (GTK_WIDGET (confirm), "import-confirm-dialog");
  ui_test_respond (confirm, "cancel");
  ui_test_wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "import-confirm-dialog", WAIT_TIMEOUT_MS);
  g_assert_true (wpc_import_dialog_get_ready (dialog));
  g_assert_false (phone_2_moved (store));

  ui_test_click_suggested (GTK_WINDOW (dialog));
  confirm = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "import-confirm-dialog", WAIT_TIMEOUT_MS);
  ui_test_respond (confirm, "import");
  ui_test_wait_for_toplevel_gone (WPC_TYPE_IMPORT_DIALOG, NULL, WAIT_TIMEOUT_MS);
  test_util_wait_until (phone_2_moved, store, WAIT_TIMEOUT_MS, "Room 12 stored");
}

static void
run_import (gpointer data)
{
  Fixture *fixture = data;
  g_autoptr(GFile) good = write_list (fixture, "good.csv", good_text);

  check_problems (fixture);
  check_import (fixture, good);
  check_again_and_export (fixture, good);
  check_update_confirmed (fixture);
}

static void
test_import_dialog (void)
{
  Fixture fixture = { { NULL, }, NULL };

  ui_test_console_set_up (&fixture.console, "wpc-ui-import", 1200, 720);
  ui_test_console_run (&fixture.console, "test-ui-import", &fixture.window, run_import, &fixture);
  ui_test_console_tear_down (&fixture.console);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/import/dialog", test_import_dialog);

  return g_test_run ();
}
