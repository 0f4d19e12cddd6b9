/* test-ui-config-dialogs.c: Point Phones Here (D26), Compare With… and Copy Settings
 * To… (D27) as a technician uses them, on a seeded store of their own */
#include "config.h"

#include <adwaita.h>

#include <string.h>

#include "wpc-compare-dialog.h"
#include "wpc-copy-settings-dialog.h"
#include "wpc-point-phones-dialog.h"
#include "wpi-phone.h"
#include "test-util-store.h"
#include "ui-test-util.h"

#define WAIT_TIMEOUT_MS 20000

/* The option 43 a dialog offers: listening address, port, the DLS address offered ("":
 * none, the notice says why) and a part of what it shows */
static const char * const point_cases[][4] = {
  { "127.0.0.1", "18443", "sdlp://127.0.0.1:18443",
    "01 07 53 69 65 6D 65 6E 73 03 16 73 64 6C 70 3A 2F 2F 31 32 37 2E 30 2E 30 2E 31 3A 31 38 34 34 33 FF" },
  { "2001:db8::5", "20443", "sdlp://[2001:db8::5]:20443", "dhcp-option=43,01:07:53:69:65:6D:65:6E:73:03:1A" },
  { "not-an-ip", "18443", "", "The listening address is not valid" },
};

/* What comparing phone B with another phone or the profile shows: the other, whether it
 * is a profile, how many differences and a part of what is shown */
static const char * const compare_cases[][4] = {
  { TEST_UTIL_CONFIG_MAC_A, "phone", "4", "1 (TCP)" },
  { TEST_UTIL_CONFIG_PROFILE, "profile", "1", "Line 200" },
};

static void
on_text_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  if (*text == NULL)
    *text = g_strdup (error->message);
}

static gboolean
text_is_set (gpointer text)
{
  return *(char **) text != NULL;
}

/* Presses the button and returns what it put on the clipboard */
static char *
copy_with (GtkWidget *button)
{
  char *text = NULL;

  /* "clicked" at once: activate() would press the button for a moment first */
  g_signal_emit_by_name (button, "clicked");
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (button), NULL, on_text_read, &text);
  test_util_wait_until (text_is_set, &text, WAIT_TIMEOUT_MS, "the copied text");
  return text;
}

static void
test_point_phones (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (point_cases); i++)
    {
      WpcPointPhonesDialog *dialog = wpc_point_phones_dialog_new (NULL, point_cases[i][0],
                                                                  (guint) g_ascii_strtoull (point_cases[i][1], NULL, 10));
      g_auto(GStrv) addresses = wpc_point_phones_dialog_get_dls_addresses (dialog);
      g_autoptr(GPtrArray) buttons = g_ptr_array_new ();
      g_autofree char *text = NULL;

      gtk_window_present (GTK_WINDOW (dialog));
      test_util_wait_until (ui_test_widget_is_mapped_and_allocated, dialog, WAIT_TIMEOUT_MS, "the dialog");
      text = ui_test_shown_text (GTK_WIDGET (dialog));
      test_util_assert_contains_all (text, point_cases[i][3], NULL);
      ui_test_find_all (GTK_WIDGET (dialog), GTK_TYPE_BUTTON, NULL, buttons);
      if (point_cases[i][2][0] == '\0')
        g_assert_cmpuint (g_strv_length (addresses), ==, 0);
      else
        {
          g_autofree char *copied = NULL;

          g_assert_cmpstrv (addresses, ((const char *[]) { point_cases[i][2], NULL }));
          test_util_assert_contains_all (text, "ISC dhcpd", "Kea", "dnsmasq", "Windows Server",
                                         "option vendor-encapsulated-options", "\"csv-format\": false",
                                         "Set-DhcpServerv4OptionValue -OptionId 43", NULL);
          /* the payload's Copy, then one per DHCP server */
          copied = copy_with (ui_test_find_button_with_label (GTK_WIDGET (dialog), "_Copy"));
          g_assert_true (g_str_has_prefix (copied, "01 07 53 69 65 6D 65 6E 73 03"));
          g_assert_true (g_str_has_suffix (copied, " FF"));
          ui_test_assert_toast (ui_test_find_widget (GTK_WIDGET (dialog), ADW_TYPE_TOAST_OVERLAY, NULL), "Copied",
                                NULL);
        }
      gtk_window_destroy (GTK_WINDOW (dialog));
    }
}

static GListModel *
phones_model (WpiStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = wpi_store_phone_list (store, &error);
  GListStore *phones = g_list_store_new (WPI_TYPE_PHONE);

  g_assert_no_error (error);
  for (guint i = 0; i < records->len; i++)
    {
      g_autoptr(WpiPhone) phone = wpi_phone_new (g_ptr_array_index (records, i));
      g_list_store_append (phones, phone);
    }
  return G_LIST_MODEL (phones);
}

/* Neither dialog is reading or writing the store (their "busy") */
static gboolean
dialog_is_idle (gpointer dialog)
{
  gboolean busy = TRUE;

  g_object_get (dialog, "busy", &busy, NULL);
  return !busy;
}

static void
test_compare (TestUtilStore *fixture,
              gconstpointer  data)
{
  g_autoptr(GListModel) phones = phones_model (fixture->store);
  WpcCompareDialog *dialog = wpc_compare_dialog_new (NULL, fixture->dir, TEST_UTIL_CONFIG_MAC_B, phones);
  GtkWidget *reveal = ui_test_find_button_with_label (GTK_WIDGET (dialog), "_Reveal Secrets");

  gtk_window_present (GTK_WINDOW (dialog));
  test_util_wait_until (dialog_is_idle, dialog, WAIT_TIMEOUT_MS, "the profiles");
  for (guint i = 0; i < G_N_ELEMENTS (compare_cases); i++)
    {
      g_autofree char *text = NULL;

      gboolean profile = g_str_equal (compare_cases[i][1], "profile");

      g_assert_true (profile ? wpc_compare_dialog_select_profile (dialog, compare_cases[i][0])
                             : wpc_compare_dialog_select_phone (dialog, compare_cases[i][0]));
      test_util_wait_until (dialog_is_idle, dialog, WAIT_TIMEOUT_MS, "the comparison");
      g_assert_cmpuint (wpc_compare_dialog_get_n_differences (dialog), ==,
                        g_ascii_strtoull (compare_cases[i][2], NULL, 10));
      text = ui_test_shown_text (GTK_WIDGET (dialog));
      test_util_assert_contains_all (text, compare_cases[i][3], NULL);
      /* identity items are never shown */
      g_assert_null (strstr (text, "e164"));
    }

  /* the phone's own MAC is no choice; secrets are masked until revealed */
  g_assert_false (wpc_compare_dialog_select_phone (dialog, TEST_UTIL_CONFIG_MAC_B));
  g_assert_true (wpc_compare_dialog_select_phone (dialog, TEST_UTIL_CONFIG_MAC_A));
  test_util_wait_until (dialog_is_idle, dialog, WAIT_TIMEOUT_MS, "the comparison");
  ui_test_wait_for_shown_text (GTK_WIDGET (dialog), "Security and Passwords", WAIT_TIMEOUT_MS, "the secrets");
  {
    g_autofree char *masked = ui_test_shown_text (GTK_WIDGET (dialog));
    g_assert_null (strstr (masked, "secret-1"));
  }
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (reveal), TRUE);
  ui_test_wait_for_shown_text (GTK_WIDGET (dialog), "secret-1", WAIT_TIMEOUT_MS, "the revealed secret");
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
on_queued (WpcCopySettingsDialog *dialog,
           guint                  n_jobs,
           gpointer               user_data)
{
  *(guint *) user_data = n_jobs;
}

static gboolean
jobs_reported (gpointer user_data)
{
  return *(guint *) user_data != G_MAXUINT;
}

static void
test_copy_settings (TestUtilStore *fixture,
                    gconstpointer  data)
{
  const char *macs[] = { TEST_UTIL_CONFIG_MAC_A, TEST_UTIL_CONFIG_MAC_B, TEST_UTIL_CONFIG_MAC_C, NULL };
  WpcCopySettingsDialog *dialog = wpc_copy_settings_dialog_new (NULL, fixture->dir, macs);
  GtkWidget *queue = ui_test_find_button_with_label (GTK_WIDGET (dialog), "_Queue Jobs");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  guint n_jobs = G_MAXUINT;

  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  g_signal_connect (dialog, "queued", G_CALLBACK (on_queued), &n_jobs);
  gtk_window_present (GTK_WINDOW (dialog));
  test_util_wait_until (dialog_is_idle, dialog, WAIT_TIMEOUT_MS, "the preview");

  /* B differs in three writable items (the read-only flag is never copied), C in none */
  g_assert_cmpuint (wpc_copy_settings_dialog_get_n_items (dialog), ==, 3);
  ui_test_wait_for_shown_text (GTK_WIDGET (dialog), TEST_UTIL_CONFIG_MAC_B ": 3 items", WAIT_TIMEOUT_MS, "B");
  ui_test_wait_for_shown_text (GTK_WIDGET (dialog), TEST_UTIL_CONFIG_MAC_C ": nothing to change",
                               WAIT_TIMEOUT_MS, "C");
  {
    g_autofree char *text = ui_test_shown_text (GTK_WIDGET (dialog));
    g_assert_null (strstr (text, "configuration-changed-flag"));
    g_assert_null (strstr (text, "secret-1"));
  }
  /* nothing is queued before the technician asks */
  jobs = wpi_store_job_list_pending (fixture->store, NULL, &error);
  g_assert_cmpuint (jobs->len, ==, 0);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  g_assert_true (gtk_widget_get_sensitive (queue));
  g_signal_emit_by_name (queue, "clicked");
  test_util_wait_until (jobs_reported, &n_jobs, WAIT_TIMEOUT_MS, "the queued jobs");
  g_assert_cmpuint (n_jobs, ==, 1);
  g_assert_null (dialog);

  jobs = wpi_store_job_list_pending (fixture->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 1);
  g_assert_cmpstr (((WpiJobRecord *) g_ptr_array_index (jobs, 0))->mac, ==, TEST_UTIL_CONFIG_MAC_B);
  g_assert_cmpuint (((WpiJobRecord *) g_ptr_array_index (jobs, 0))->items->len, ==, 3);
}

static void
fixture_setup (TestUtilStore *fixture,
               gconstpointer  data)
{
  test_util_store_setup (fixture, data);
  test_util_store_seed_configs (fixture->store);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/point-phones", test_point_phones);
  g_test_add ("/ui/compare", TestUtilStore, NULL, fixture_setup, test_compare, test_util_store_teardown);
  g_test_add ("/ui/copy-settings", TestUtilStore, NULL, fixture_setup, test_copy_settings,
              test_util_store_teardown);

  return g_test_run ();
}
