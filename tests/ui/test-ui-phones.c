/* test-ui-phones.c: the Phones view wired to a real provisioning service
 *
 * Each test runs the console (WpcApplication) with a WpiServiceHost on 127.0.0.1, free
 * ports, in a temporary directory. Phones register as real ones do: a libsoup client in
 * this process posts their start-up and answers the service's ReadAllItems over HTTPS.
 * The view is then checked through its widgets, its models and the store.
 *
 * With WPC_SCREENSHOT_DIR set, the view and its dialogs are saved there as PNGs.
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <adwaita.h>
#include <libsoup/soup.h>

#include "wpc-application.h"
#include "wpc-deploy-dialog.h"
#include "wpc-phone-details.h"
#include "wpc-phones-view.h"
#include "wpc-shortcuts-window.h"
#include "wpc-window.h"
#include "wpc-write-dialog.h"
#include "wpi-codec.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-service-host.h"
#include "test-util-service.h"
#include "ui-test-util.h"

#define WAIT_TIMEOUT_MS 60000

typedef struct {
  const char *mac;
  const char *e164;
  const char *model;
  const char *firmware;
} PhoneSpec;

static const PhoneSpec phones[] = {
  { "00:1A:E8:00:00:02", "4989700102", "OpenStage 60", "V3 R5.12.0" },
  { "00:1A:E8:00:00:03", "4989700103", "OpenStage 40", "V3 R4.2.0" },
  { "00:1A:E8:00:00:01", "4989700101", "OpenStage 80", "V3 R5.12.0" },
};

typedef struct _Fixture Fixture;
typedef void (*PhonesTestFunc) (Fixture *fixture);

struct _Fixture {
  UiTestConsole   console;
  WpcWindow      *window;
  WpcPhonesView  *view;
  SoupSession    *session;
  PhonesTestFunc  test;
};

/* Waiting ------------------------------------------------------------------------ */

#define wait_for(condition, data, what) test_util_wait_until (condition, data, WAIT_TIMEOUT_MS, what)
#define wait_for_toplevel(type, name) ui_test_wait_for_toplevel (type, name, WAIT_TIMEOUT_MS)
#define wait_for_toplevel_gone(type, name) ui_test_wait_for_toplevel_gone (type, name, WAIT_TIMEOUT_MS)

/* Clicks the AdwMessageDialog's button labelled label ("_Cancel"), as the user would:
 * it responds and closes the dialog */
static void
respond (GtkWindow  *dialog,
         const char *label)
{
  GtkWidget *button = ui_test_find_button_with_label (GTK_WIDGET (dialog), label);

  g_assert_nonnull (button);
  g_signal_emit_by_name (button, "clicked");
}

/* Phones over HTTPS ---------------------------------------------------------------- */

static GBytes *
https_request (Fixture    *fixture,
               const char *method,
               const char *path,
               WpiMessage *message,
               char      **cookie,
               guint      *status)
{
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u%s", wpi_service_host_get_port (fixture->console.service), path);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(TestUtilReply) reply = NULL;

  if (message != NULL)
    {
      gsize length;
      char *xml = wpi_message_serialize (message, &length);

      body = g_bytes_new_take (xml, length);
    }
  reply = test_util_https_request (fixture->session, method, uri, body,
                                   cookie != NULL ? *cookie : NULL, NULL);
  g_assert_no_error (reply->error);
  if (cookie != NULL && reply->session_id != NULL)
    {
      g_free (*cookie);
      *cookie = g_strdup (reply->session_id);
    }
  if (status != NULL)
    *status = reply->status;
  return g_steal_pointer (&reply->body);
}

static WpiMessage *
exchange (Fixture    *fixture,
          WpiMessage *message,
          char      **cookie)
{
  g_autoptr(GError) error = NULL;
  guint status = 0;
  g_autoptr(GBytes) body = https_request (fixture, "POST", WPI_SERVICE_PATH, message, cookie, &status);
  WpiMessage *answer;

  g_assert_cmpuint (status, ==, 200);
  answer = wpi_message_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  return answer;
}

static WpiMessage *
phone_message (const PhoneSpec *spec,
               WpiReason        reason,
               const char      *nonce)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, nonce);

  wpi_message_set_reason (message, reason);
  wpi_message_add_item (message, "mac-addr", spec->mac);
  wpi_message_add_item (message, "e164", spec->e164);
  wpi_message_add_item (message, "device-type", spec->model);
  wpi_message_add_item (message, "software-version", spec->firmware);
  /* Nobody listens there: a contact-me for a queued job fails at once, harmlessly */
  wpi_message_add_item (message, "contact-me-uri", "http://127.0.0.1:1/contact_dls.html/ContactDLS");
  return message;
}

/* start-up, the service's ReadAllItems (for a phone it does not know yet) answered with
 * a few items, CleanUp */
static void
register_phone (Fixture         *fixture,
                const PhoneSpec *spec)
{
  g_autofree char *cookie = NULL;
  g_autoptr(WpiMessage) start_up = phone_message (spec, WPI_REASON_START_UP, "N1");
  g_autoptr(WpiMessage) answer = exchange (fixture, start_up, &cookie);
  g_autoptr(WpiMessage) reply = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;

  if (wpi_message_get_action (answer) == WPI_ACTION_CLEAN_UP)
    return;   /* known and unchanged: the start-up's items were enough */
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
  reply = phone_message (spec, WPI_REASON_REPLY_TO, "N1");
  wpi_message_set_action (reply, WPI_ACTION_READ_ALL_ITEMS);
  wpi_message_set_status_string (reply, "accepted");
  wpi_message_set_fragment (reply, WPI_FRAGMENT_FINAL);
  wpi_message_set_has_item_list (reply, TRUE);
  wpi_message_add_item (reply, "sip-transport-user", "2");
  wpi_message_add_item (reply, "admin-pwd", "s3cret-admin");
  wpi_message_add_indexed_item (reply, "function-key-def", 1, "8");
  clean_up = exchange (fixture, reply, &cookie);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
}

static gboolean
view_has_rows (gpointer data)
{
  gpointer *args = data;
  return g_list_model_get_n_items (G_LIST_MODEL (wpc_phones_view_get_selection (args[0]))) ==
         GPOINTER_TO_UINT (args[1]);
}

static void
wait_for_rows (Fixture *fixture,
               guint    rows)
{
  gpointer args[2] = { fixture->view, GUINT_TO_POINTER (rows) };

  wait_for (view_has_rows, args, "the phone list's rows");
}

/* Every phone shown has ended its flow: the service thread's last word on each (its
 * state back to idle) has reached the view */
static gboolean
rows_settled (gpointer data)
{
  Fixture *fixture = data;
  GListModel *rows = G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view));

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (rows, i);

      if (wpi_phone_get_state (phone) == WPI_PHONE_STATE_IN_SESSION ||
          wpi_phone_get_state (phone) == WPI_PHONE_STATE_UNKNOWN)
        return FALSE;
    }
  return TRUE;
}

static void
register_all (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (phones); i++)
    register_phone (fixture, &phones[i]);
  wait_for_rows (fixture, G_N_ELEMENTS (phones));
  wait_for (rows_settled, fixture, "the phones' flows to end");
}

static WpiPhone *
row_phone (Fixture *fixture,
           guint    position)
{
  g_autoptr(WpiPhone) phone = g_list_model_get_item (G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view)),
                                                     position);
  return phone;   /* the service's model keeps it */
}

static guint
row_of_mac (Fixture    *fixture,
            const char *mac)
{
  GListModel *rows = G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view));

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    if (g_str_equal (wpi_phone_get_mac (row_phone (fixture, i)), mac))
      return i;
  g_error ("%s is not shown", mac);
}

static void
select_macs (Fixture            *fixture,
             const char * const *macs)
{
  GtkSelectionModel *selection = wpc_phones_view_get_selection (fixture->view);

  gtk_selection_model_unselect_all (selection);
  for (guint i = 0; macs[i] != NULL; i++)
    gtk_selection_model_select_item (selection, row_of_mac (fixture, macs[i]), FALSE);
}

/* The jobs of one phone, with their items */
static GPtrArray *
jobs_of (Fixture    *fixture,
         const char *mac)
{
  WpiStore *store = wpi_service_host_get_store (fixture->console.service);
  WpiJobFilter filter = { .mac = mac };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) listed = wpi_store_job_list (store, &filter, &error);
  GPtrArray *jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_job_record_free);

  g_assert_no_error (error);
  for (guint i = 0; i < listed->len; i++)
    {
      WpiJobRecord *job = wpi_store_job_get (store, ((WpiJobRecord *) g_ptr_array_index (listed, i))->id, &error);

      g_assert_no_error (error);
      /* The jobs the view made; the service's own first read of a new phone is not one */
      if (g_strcmp0 (job->parameter, WPI_JOB_PARAMETER_REGISTRATION) == 0)
        {
          wpi_job_record_free (job);
          continue;
        }
      g_ptr_array_add (jobs, job);
    }
  return jobs;
}

static const WpiStoreItem *
job_item (const WpiJobRecord *job,
          const char         *name)
{
  for (guint i = 0; job->items != NULL && i < job->items->len; i++)
    if (g_str_equal (g_array_index (job->items, WpiStoreItem, i).name, name))
      return &g_array_index (job->items, WpiStoreItem, i);
  return NULL;
}

/* Fixture ------------------------------------------------------------------------ */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  ui_test_console_set_up (&fixture->console, "wpc-ui-phones", 1200, 720);
  fixture->session = test_util_https_session_new (NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_clear_object (&fixture->session);
  ui_test_console_tear_down (&fixture->console);
}

static void
run_phones_body (gpointer data)
{
  Fixture *fixture = data;

  fixture->view = wpc_window_get_phones_view (fixture->window);
  g_assert_true (wpc_window_get_service (fixture->window) == fixture->console.service);
  g_assert_true (wpc_phones_view_get_service (fixture->view) == fixture->console.service);

  fixture->test (fixture);

  fixture->view = NULL;
}

static void
run_phones_test (Fixture       *fixture,
                 gconstpointer  user_data)
{
  fixture->test = (PhonesTestFunc) user_data;
  ui_test_console_run (&fixture->console, "test-ui-phones", &fixture->window, run_phones_body, fixture);
}

#define add_phones_test(path, func) \
  g_test_add (path, Fixture, (gconstpointer) func, fixture_set_up, run_phones_test, fixture_tear_down)

/* Tests ------------------------------------------------------------------------- */

static void resize_window (Fixture  *fixture,
                           int       width,
                           int       height,
                           guint     shown,
                           gboolean  fill);

static gboolean
status_bar_counts (gpointer data)
{
  Fixture *fixture = data;
  WpcStatusBar *status_bar = wpc_window_get_status_bar (fixture->window);

  /* Each flow ends (the phone goes from in session to idle) just after its last answer */
  return wpc_status_bar_get_phones_known (status_bar) == G_N_ELEMENTS (phones) &&
         wpc_status_bar_get_phones_in_session (status_bar) == 0;
}

static void
test_list_shows_phones (Fixture *fixture)
{
  GtkWidget *empty_state = ui_test_find_widget (GTK_WIDGET (fixture->window), g_type_from_name ("WpcEmptyState"), NULL);
  WpcStatusBar *status_bar = wpc_window_get_status_bar (fixture->window);
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;

  /* No phone yet: the empty state explains how phones find the console */
  g_assert_true (ui_test_is_shown (empty_state));
  g_assert_false (ui_test_is_shown (GTK_WIDGET (fixture->view)));

  register_all (fixture);
  g_assert_true (ui_test_is_shown (GTK_WIDGET (fixture->view)));
  g_assert_false (ui_test_is_shown (empty_state));
  wait_for (status_bar_counts, fixture, "the status line's count");
  status = ui_test_shown_text (GTK_WIDGET (status_bar));
  test_util_assert_contains_all (status, "3 phones · 0 busy · 0 in session", "3 phones in Default Mode",
                                 "Listening on https://127.0.0.1:", NULL);

  /* Every phone's row shows its values, and the state as a word beside its icon (wide
   * enough for every column) */
  resize_window (fixture, 1920, 1080, 10, TRUE);
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  text = ui_test_shown_text (GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view)));
  for (guint i = 0; i < G_N_ELEMENTS (phones); i++)
    {
      test_util_assert_contains_all (text, phones[i].mac, phones[i].e164, phones[i].model, NULL);
    }
  test_util_assert_contains_all (text, "V3 R4.2.0", "127.0.0.1", "Idle", "Default", "Just now", NULL);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (text, "3 phones"));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-list.png");
}

static void
assert_order (Fixture            *fixture,
              const char * const *macs)
{
  for (guint i = 0; macs[i] != NULL; i++)
    g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, i)), ==, macs[i]);
}

static void
test_sorting (Fixture *fixture)
{
  GtkColumnView *column_view = wpc_phones_view_get_column_view (fixture->view);

  register_all (fixture);
  /* Registration order, unsorted */
  assert_order (fixture, (const char *[]) { phones[0].mac, phones[1].mac, phones[2].mac, NULL });

  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MAC),
                                  GTK_SORT_ASCENDING);
  assert_order (fixture, (const char *[]) { "00:1A:E8:00:00:01", "00:1A:E8:00:00:02", "00:1A:E8:00:00:03", NULL });

  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_NUMBER),
                                  GTK_SORT_DESCENDING);
  assert_order (fixture, (const char *[]) { "00:1A:E8:00:00:03", "00:1A:E8:00:00:02", "00:1A:E8:00:00:01", NULL });

  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MODEL),
                                  GTK_SORT_ASCENDING);
  assert_order (fixture, (const char *[]) { "00:1A:E8:00:00:03", "00:1A:E8:00:00:02", "00:1A:E8:00:00:01", NULL });

  /* V3 R4.2.0 before V3 R5.12.0; equal keys keep their order */
  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_FIRMWARE),
                                  GTK_SORT_ASCENDING);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, "00:1A:E8:00:00:03");

  /* The newest contact is the last registered phone */
  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_LAST_CONTACT),
                                  GTK_SORT_DESCENDING);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, phones[2].mac);

  /* Every column sorts */
  for (guint c = 0; c < WPC_PHONES_N_COLUMNS; c++)
    {
      GtkColumnViewColumn *column = wpc_phones_view_get_column (fixture->view, c);

      g_assert_nonnull (gtk_column_view_column_get_sorter (column));
      gtk_column_view_sort_by_column (column_view, column, GTK_SORT_ASCENDING);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view))), ==, 3);
    }
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-sorted.png");
}

static void
test_search (Fixture *fixture)
{
  static const struct { const char *text; guint rows; } searches[] = {
    { "700101", 1 }, { "R5.12", 2 },
    { "00:1a:e8:00:00:02", 1 }, { "001AE8000002", 1 },
    { "idle", 3 }, { "Default", 3 }, { "Secure", 0 },
    { "no such phone", 0 },
  };
  GtkWidget *entry = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_SEARCH_ENTRY, NULL);
  GListModel *rows = G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view));
  GtkWidget *no_match = ui_test_find_widget (GTK_WIDGET (fixture->view), ADW_TYPE_STATUS_PAGE, NULL);
  GtkWidget *list = GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view));
  g_autofree char *count = NULL;

  register_all (fixture);

  /* Ctrl+F puts the focus into the search */
  g_assert_nonnull (entry);
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control>f"));
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
    g_assert_true (focus == entry || gtk_widget_is_ancestor (focus, entry));
  }

  wpc_phones_view_set_search (fixture->view, "openstage 40");
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, "00:1A:E8:00:00:03");
  count = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (count, "1 of 3 phones"));

  /* Every column: number, firmware, MAC with or without colons, state word, mode word */
  for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
    {
      g_test_message ("search “%s”", searches[i].text);
      wpc_phones_view_set_search (fixture->view, searches[i].text);
      g_assert_cmpuint (g_list_model_get_n_items (rows), ==, searches[i].rows);
      /* No row left: the status page with what was typed, not a blank list (issue 12 §1) */
      g_assert_true (ui_test_is_shown (no_match) == (searches[i].rows == 0));
      g_assert_true (ui_test_is_shown (list) == (searches[i].rows > 0));
    }
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (no_match)), ==, "No Phones Match");
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (no_match)), "“no such phone”"));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-search-empty.png");

  /* Clear Search brings every phone back, the focus in the search */
  {
    GtkWidget *clear = ui_test_find_button_with_label (no_match, "_Clear Search");

    g_assert_true (gtk_widget_is_sensitive (clear));
    g_signal_emit_by_name (clear, "clicked");
  }
  g_assert_cmpstr (wpc_phones_view_get_search (fixture->view), ==, "");
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  g_assert_true (ui_test_is_shown (list));
  g_assert_false (ui_test_is_shown (no_match));

  /* Typing into the entry filters too (after the entry's short delay) */
  gtk_editable_set_text (GTK_EDITABLE (entry), "OpenStage 80");
  wait_for_rows (fixture, 1);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, "00:1A:E8:00:00:01");

  wpc_phones_view_set_search (fixture->view, "");
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
}

static gboolean
phone_has_firmware (gpointer data)
{
  gpointer *args = data;
  return g_strcmp0 (wpi_phone_get_firmware (args[0]), args[1]) == 0;
}

static void
test_selection_survives_updates (Fixture *fixture)
{
  GtkColumnView *column_view = wpc_phones_view_get_column_view (fixture->view);
  GtkSelectionModel *selection = wpc_phones_view_get_selection (fixture->view);
  PhoneSpec updated = phones[0];
  PhoneSpec newcomer = { "00:1A:E8:00:00:00", "4989700100", "OpenStage 15", "V3 R1.0.0" };
  g_autoptr(GPtrArray) selected = NULL;
  WpcPhoneDetails *details = WPC_PHONE_DETAILS (ui_test_find_widget (GTK_WIDGET (fixture->view), WPC_TYPE_PHONE_DETAILS, NULL));
  WpiPhone *phone;
  gpointer args[2];
  g_autofree char *text = NULL;

  register_all (fixture);
  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MAC),
                                  GTK_SORT_ASCENDING);
  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  g_assert_cmpuint (gtk_selection_model_is_selected (selection, 1), ==, TRUE);
  phone = row_phone (fixture, 1);
  g_assert_true (wpc_phone_details_get_phone (details) == phone);

  /* The selected phone starts up with new firmware; another phone appears before it */
  updated.firmware = "V3 R5.16.0";
  register_phone (fixture, &updated);
  args[0] = phone;
  args[1] = (gpointer) "V3 R5.16.0";
  wait_for (phone_has_firmware, args, "the new firmware");
  register_phone (fixture, &newcomer);
  wait_for_rows (fixture, 4);

  /* Still the same phone selected, now one row further down, its cell updated in place */
  selected = wpc_phones_view_get_selected_phones (fixture->view);
  g_assert_cmpuint (selected->len, ==, 1);
  g_assert_true (g_ptr_array_index (selected, 0) == phone);
  g_assert_true (gtk_selection_model_is_selected (selection, 2));
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, newcomer.mac);
  g_assert_true (wpc_phone_details_get_phone (details) == phone);
  resize_window (fixture, 1920, 1080, 10, TRUE);   /* the Firmware column shows */
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  text = ui_test_shown_text (GTK_WIDGET (column_view));
  g_assert_nonnull (strstr (text, "V3 R5.16.0"));
}

static gboolean
write_job_queued (gpointer data)
{
  gpointer *args = data;
  g_autoptr(GPtrArray) jobs = jobs_of (args[0], args[1]);

  for (guint i = 0; i < jobs->len; i++)
    if ((int) ((WpiJobRecord *) g_ptr_array_index (jobs, i))->kind == GPOINTER_TO_INT (args[2]))
      return TRUE;
  return FALSE;
}

static void
wait_for_job (Fixture    *fixture,
              const char *mac,
              WpiJobKind  kind)
{
  gpointer args[3] = { fixture, (gpointer) mac, GINT_TO_POINTER (kind) };

  wait_for (write_job_queued, args, "the job to be queued");
}

static const WpiJobRecord *
find_job (GPtrArray  *jobs,
          WpiJobKind  kind)
{
  for (guint i = 0; i < jobs->len; i++)
    if (((WpiJobRecord *) g_ptr_array_index (jobs, i))->kind == kind)
      return g_ptr_array_index (jobs, i);
  return NULL;
}

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

static void
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

static void
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

/* Answers the restart confirmation of n phones with Restart */
static void
confirm_restart (guint n)
{
  GtkWindow *dialog = wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "restart-dialog");
  g_autofree char *heading = g_strdup_printf ("Restart %u Phones?", n);

  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==, heading);
  respond (dialog, "_Restart");
  wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "restart-dialog");
}

static void
test_factory_reset_confirmation (Fixture *fixture)
{
  GtkWindow *dialog;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[0].mac, phones[2].mac, NULL });

  /* Cancel: nothing queued */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "phone.factory-reset", NULL));
  dialog = wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "factory-reset-dialog");
  respond (dialog, "_Cancel");
  wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "factory-reset-dialog");
  jobs = jobs_of (fixture, phones[0].mac);
  g_assert_cmpuint (jobs->len, ==, 0);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  /* The confirmation names each phone by MAC and number */
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control><Shift>Delete"));
  dialog = wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "factory-reset-dialog");
  text = ui_test_shown_text (GTK_WIDGET (dialog));
  test_util_assert_contains_all (text, "Factory Reset 2 Phones?", "00:1A:E8:00:00:02 (4989700102)",
                                 "00:1A:E8:00:00:01 (4989700101)", NULL);
  g_assert_null (strstr (text, phones[1].mac));
  ui_test_save_screenshot (GTK_WIDGET (dialog), "factory-reset-confirmation.png");

  g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (dialog)), ==, "cancel");
  respond (dialog, "_Factory Reset");
  wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "factory-reset-dialog");
  wait_for_job (fixture, phones[0].mac, WPI_JOB_KIND_FACTORY_RESET);
  wait_for_job (fixture, phones[2].mac, WPI_JOB_KIND_FACTORY_RESET);
  jobs = jobs_of (fixture, phones[1].mac);
  g_assert_cmpuint (jobs->len, ==, 0);
  ui_test_wait_for_toast (GTK_WIDGET (fixture->view), "Factory reset queued for 2 phones", WAIT_TIMEOUT_MS,
                          "the factory reset's toast");
}

/* Safe by default (issue 12 §2) ---------------------------------------------------- */

static gboolean not_busy (gpointer data);

typedef struct { Fixture *fixture; const char *mac; WpiPhoneState state; } PhoneStateWait;

static gboolean
phone_has_state (gpointer data)
{
  PhoneStateWait *wait = data;

  return wpi_phone_get_state (row_phone (wait->fixture, row_of_mac (wait->fixture, wait->mac))) == wait->state;
}

/* The phone's state as another process (the service of a phone in a call) stores it,
 * once the view shows it */
static void
set_phone_state (Fixture       *fixture,
                 const char    *mac,
                 WpiPhoneState  state)
{
  g_autoptr(WpiPhoneRecord) record = wpi_phone_record_new (mac);
  g_autoptr(GError) error = NULL;
  PhoneStateWait wait = { fixture, mac, state };

  record->state = state;
  g_assert_true (wpi_store_phone_upsert (wpi_service_host_get_store (fixture->console.service), record,
                                         WPI_PHONE_FIELD_STATE, NULL, &error));
  g_assert_no_error (error);
  wpi_service_host_reload (fixture->console.service);
  wait_for (phone_has_state, &wait, "the phone's state in the list");
}

static guint
count_jobs (Fixture    *fixture,
            const char *mac,
            WpiJobKind  kind)
{
  g_autoptr(GPtrArray) jobs = jobs_of (fixture, mac);
  guint n = 0;

  for (guint i = 0; i < jobs->len; i++)
    n += ((WpiJobRecord *) g_ptr_array_index (jobs, i))->kind == kind ? 1 : 0;
  return n;
}

/* Which restarts ask first: several phones, or one in a call; the question names the
 * count of phones and of calls; Cancel restarts nothing. */
static void
test_restart_confirmation (Fixture *fixture)
{
  static const struct {
    guint       selected[3];  /* indexes into phones[], G_MAXUINT ends */
    gboolean    busy_first;   /* the first selected phone is in a call */
    gboolean    shortcut;     /* Ctrl+Shift+R rather than the action */
    const char *heading;      /* NULL: no question, restarted at once */
    const char *calls;
    const char *response;     /* the button clicked */
  } cases[] = {
    { { 0, G_MAXUINT }, FALSE, TRUE, NULL, NULL, NULL },
    { { 0, 1, G_MAXUINT }, FALSE, TRUE, "Restart 2 Phones?", NULL, "_Cancel" },
    { { 1, G_MAXUINT }, TRUE, FALSE, "Restart 1 Phone?", "1 call will be dropped.", "_Cancel" },
    { { 1, 0, 2 }, TRUE, TRUE, "Restart 3 Phones?", "1 call will be dropped.", "_Restart" },
  };

  register_all (fixture);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const char *macs[4] = { NULL };
      guint before[G_N_ELEMENTS (phones)];
      GtkWindow *dialog;

      g_test_message ("case %u: %s", c, cases[c].heading != NULL ? cases[c].heading : "one idle phone");
      for (guint i = 0; i < G_N_ELEMENTS (phones); i++)
        {
          set_phone_state (fixture, phones[i].mac, WPI_PHONE_STATE_IDLE);
          before[i] = count_jobs (fixture, phones[i].mac, WPI_JOB_KIND_RESTART);
        }
      for (guint i = 0; i < 3 && cases[c].selected[i] != G_MAXUINT; i++)
        macs[i] = phones[cases[c].selected[i]].mac;
      if (cases[c].busy_first)
        set_phone_state (fixture, macs[0], WPI_PHONE_STATE_BUSY);
      select_macs (fixture, macs);

      if (cases[c].shortcut)
        g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control><Shift>r"));
      else
        g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "phone.restart", NULL));

      if (cases[c].heading == NULL)
        {
          g_assert_null (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG, "restart-dialog"));
          g_assert_cmpuint (count_jobs (fixture, macs[0], WPI_JOB_KIND_RESTART), ==, before[cases[c].selected[0]] + 1);
          continue;
        }
      dialog = wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "restart-dialog");
      g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (dialog)), ==, cases[c].heading);
      if (cases[c].calls != NULL)
        g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), cases[c].calls));
      else
        g_assert_null (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "dropped"));
      g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (dialog)), ==, "cancel");
      g_assert_cmpint (adw_message_dialog_get_response_appearance (ADW_MESSAGE_DIALOG (dialog), "confirm"), ==,
                       ADW_RESPONSE_DESTRUCTIVE);
      /* Nothing restarts while the question is open */
      for (guint i = 0; i < G_N_ELEMENTS (phones); i++)
        g_assert_cmpuint (count_jobs (fixture, phones[i].mac, WPI_JOB_KIND_RESTART), ==, before[i]);
      if (c == G_N_ELEMENTS (cases) - 1)
        ui_test_save_screenshot (GTK_WIDGET (dialog), "phones-restart-confirmation.png");
      respond (dialog, cases[c].response);
      wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "restart-dialog");
      /* Queued in slices of a few milliseconds: more than one under a sanitizer */
      wait_for (not_busy, fixture->view, "the restarts to be queued");
      for (guint i = 0; i < 3 && macs[i] != NULL; i++)
        g_assert_cmpuint (count_jobs (fixture, macs[i], WPI_JOB_KIND_RESTART), ==,
                          before[cases[c].selected[i]] + (g_str_equal (cases[c].response, "_Restart") ? 1 : 0));
    }
}

/* The toast of a bulk job offers Undo; Undo cancels the jobs not yet sent and says how
 * many had already gone (issue 12 §1) */
static void
test_undo_restart (Fixture *fixture)
{
  WpiStore *store = wpi_service_host_get_store (fixture->console.service);
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;
  const WpiJobRecord *sent;
  AdwToast *toast;

  register_all (fixture);
  gtk_selection_model_select_all (wpc_phones_view_get_selection (fixture->view));
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control><Shift>r"));
  confirm_restart (G_N_ELEMENTS (phones));
  toast = ui_test_wait_for_toast (GTK_WIDGET (fixture->view), "Restart queued for 3 phones", WAIT_TIMEOUT_MS,
                                  "the restart's toast");
  g_assert_cmpstr (adw_toast_get_button_label (toast), ==, "_Undo");

  /* One of them has gone to its phone meanwhile */
  jobs = jobs_of (fixture, phones[1].mac);
  sent = find_job (jobs, WPI_JOB_KIND_RESTART);
  g_assert_true (wpi_store_job_set_state (store, sent->id, WPI_JOB_STATE_IN_PROGRESS, NULL, &error));
  g_assert_no_error (error);

  g_signal_emit_by_name (toast, "button-clicked");
  ui_test_wait_for_toast (GTK_WIDGET (fixture->view), "2 jobs cancelled, 1 already sent", WAIT_TIMEOUT_MS,
                          "the undo's toast");
  for (guint i = 0; i < G_N_ELEMENTS (phones); i++)
    {
      g_autoptr(GPtrArray) after = jobs_of (fixture, phones[i].mac);
      const WpiJobRecord *job = find_job (after, WPI_JOB_KIND_RESTART);

      g_assert_cmpint (job->state, ==, i == 1 ? WPI_JOB_STATE_IN_PROGRESS : WPI_JOB_STATE_CANCELLED);
    }
}

/* Layout that adapts (issue 12 §4) ------------------------------------------------- */

static gboolean details_loaded (gpointer data);

/* The header of the column titled title, or NULL when the column is hidden */
static GtkWidget *
column_header (Fixture    *fixture,
               const char *title)
{
  GType title_type = g_type_from_name ("GtkColumnViewTitle");
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();

  ui_test_find_all (GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view)), title_type, NULL, headers);
  for (guint i = 0; i < headers->len; i++)
    {
      GtkWidget *header = g_ptr_array_index (headers, i);
      g_autofree char *text = ui_test_label_text (header);

      if (ui_test_is_shown (header) && g_str_equal (g_strstrip (text), title))
        return header;
    }
  return NULL;
}

static GtkWidget *
list_scroller (Fixture *fixture)
{
  return gtk_widget_get_ancestor (GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view)),
                                  GTK_TYPE_SCROLLED_WINDOW);
}

/* The column's header lies within the list's viewport, horizontally */
static gboolean
column_in_viewport (Fixture    *fixture,
                    const char *title)
{
  GtkWidget *header = column_header (fixture, title);
  GtkWidget *scroller = list_scroller (fixture);
  graphene_rect_t bounds;

  return header != NULL && gtk_widget_compute_bounds (header, scroller, &bounds) &&
         bounds.origin.x >= 0 && bounds.origin.x + bounds.size.width <= gtk_widget_get_width (scroller) + 0.5;
}

typedef struct { Fixture *fixture; int width; int height; guint shown; gboolean fill; } LayoutWait;

static const char * const column_titles[] = {
  "State", "MAC", "Number", "Model", "Location", "Firmware", "IP Address", "Mode", "Last Contact", "Pending",
};

/* The window has the size; the essential columns are in view; at least `shown` columns
 * show and, with fill, the last one ends at the viewport's right edge */
static gboolean
layout_settled (gpointer data)
{
  LayoutWait *wait = data;
  GtkWidget *window = GTK_WIDGET (wait->fixture->window);
  GtkWidget *scroller = list_scroller (wait->fixture);
  static const char * const essential[] = { "State", "MAC", "Number", "Mode" };
  GtkWidget *last = NULL;
  graphene_rect_t bounds;
  guint shown = 0;

  /* The window's own width leaves out what its frame (the CSD shadow) takes */
  if (gtk_widget_get_width (window) > wait->width || gtk_widget_get_width (window) < wait->width - 40 ||
      gtk_widget_get_height (window) > wait->height || gtk_widget_get_height (window) < wait->height - 40)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (essential); i++)
    if (!column_in_viewport (wait->fixture, essential[i]))
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (column_titles); i++)
    if (column_header (wait->fixture, column_titles[i]) != NULL)
      {
        last = column_header (wait->fixture, column_titles[i]);
        shown++;
      }
  if (shown < wait->shown)
    return FALSE;
  return !wait->fill ||
         (gtk_widget_compute_bounds (last, scroller, &bounds) &&
          bounds.origin.x + bounds.size.width >= gtk_widget_get_width (scroller) - 24);
}

static void
resize_window (Fixture  *fixture,
               int       width,
               int       height,
               guint     shown,
               gboolean  fill)
{
  LayoutWait wait = { fixture, width, height, shown, fill };

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), width, height);
  wait_for (layout_settled, &wait, "the window's new size and the columns fitted to it");
}

typedef struct { GtkColumnViewColumn *column; gboolean visible; } ColumnWait;

static gboolean
column_has_visibility (gpointer data)
{
  ColumnWait *wait = data;

  return gtk_column_view_column_get_visible (wait->column) == wait->visible;
}

/* At 1024x600 State, MAC, Number and Mode are within the list's viewport, less important
 * columns hidden; at 1920x1080 every column shows and together they fill the width;
 * the header menu shows a hidden column again, remembered in GSettings; the details
 * pane's width is remembered. Light and dark screenshots of both. */
static void
test_adaptive_layout (Fixture *fixture)
{
  static const struct { int width, height; guint shown; gboolean fill; const char *name; } sizes[] = {
    { 1024, 600, 4, FALSE, "phones-1024x600" },
    { 1920, 1080, G_N_ELEMENTS (column_titles), TRUE, "phones-1920x1080" },
  };
  AdwStyleManager *style = adw_style_manager_get_default ();
  GSettings *settings = fixture->console.settings;
  GtkColumnViewColumn *pending = wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_PENDING_JOBS);
  GtkPaned *paned = GTK_PANED (gtk_widget_get_ancestor (list_scroller (fixture), GTK_TYPE_PANED));
  g_auto(GStrv) shown_columns = NULL;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      resize_window (fixture, sizes[i].width, sizes[i].height, sizes[i].shown, sizes[i].fill);
      for (guint dark = 0; dark < 2; dark++)
        {
          g_autofree char *name = g_strdup_printf ("%s-%s.png", sizes[i].name, dark ? "dark" : "light");

          adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
          ui_test_save_screenshot (GTK_WIDGET (fixture->window), name);
        }
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  /* Narrow again: Pending Jobs is hidden; the header menu's check item shows it anyway */
  resize_window (fixture, 1024, 600, 4, FALSE);
  g_assert_false (gtk_column_view_column_get_visible (pending));
  g_assert_nonnull (gtk_column_view_column_get_header_menu (pending));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "column.pending-jobs", NULL));
  shown_columns = g_settings_get_strv (settings, "phones-columns-shown");
  g_assert_true (g_strv_contains ((const char * const *) shown_columns, "pending-jobs"));
  wait_for (column_has_visibility, (&(ColumnWait) { pending, TRUE }), "the column shown from its header menu");
  /* ...and hides it for good, however wide */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "column.pending-jobs", NULL));
  resize_window (fixture, 1920, 1080, G_N_ELEMENTS (column_titles) - 1, TRUE);
  wait_for (column_has_visibility, (&(ColumnWait) { pending, FALSE }), "the column hidden from its header menu");
  g_settings_reset (settings, "phones-columns-hidden");
  g_settings_reset (settings, "phones-columns-shown");

  /* A drag of the pane's handle is remembered as the details' width */
  gtk_paned_set_position (paned, gtk_widget_get_width (GTK_WIDGET (paned)) - 420);
  g_assert_cmpint (g_settings_get_int (settings, "phones-details-width"), ==, 420);
}

/* Ellipsized text has its full text as a tooltip; text that fits has none */
static void
test_ellipsized_tooltip (Fixture *fixture)
{
  GtkColumnViewColumn *mac = wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MAC);
  GtkWidget *list = GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view));
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GtkTooltip) tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  GtkWidget *mac_label = NULL;
  GtkWidget *number_label = NULL;
  gboolean shown = FALSE;

  register_all (fixture);
  gtk_column_view_column_set_fixed_width (mac, 60);
  ui_test_wait_for_paint (list, WAIT_TIMEOUT_MS);
  ui_test_find_all (list, GTK_TYPE_LABEL, NULL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_text (g_ptr_array_index (labels, i));

      if (g_str_equal (text, phones[0].mac))
        mac_label = g_ptr_array_index (labels, i);
      else if (g_str_equal (text, phones[0].e164))
        number_label = g_ptr_array_index (labels, i);
    }
  g_assert_nonnull (mac_label);
  g_assert_nonnull (number_label);

  g_signal_emit_by_name (mac_label, "query-tooltip", 1, 1, FALSE, tooltip, &shown);
  g_assert_true (shown);
  shown = TRUE;
  g_signal_emit_by_name (number_label, "query-tooltip", 1, 1, FALSE, tooltip, &shown);
  g_assert_false (shown);
}

/* Tab goes from the list to the details, Shift+Tab to the search; Space keeps a
 * selection of several phones */
static void
test_list_keys (Fixture *fixture)
{
  GtkWidget *list = GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view));
  GtkWidget *details = ui_test_find_widget (GTK_WIDGET (fixture->view), WPC_TYPE_PHONE_DETAILS, NULL);
  GtkWidget *entry = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_SEARCH_ENTRY, NULL);
  GtkSelectionModel *selection = wpc_phones_view_get_selection (fixture->view);
  g_autoptr(GtkBitset) selected = NULL;
  GtkWidget *focus;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  wait_for (details_loaded, details, "the details to be read");
  g_assert_true (gtk_widget_grab_focus (list));

  g_assert_true (ui_test_activate_shortcut (list, "Tab"));
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_true (gtk_widget_is_ancestor (focus, details));

  g_assert_true (gtk_widget_grab_focus (list));
  g_assert_true (ui_test_activate_shortcut (list, "<Shift>Tab|<Shift>ISO_Left_Tab"));
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_true (focus == entry || gtk_widget_is_ancestor (focus, entry));

  select_macs (fixture, (const char *[]) { phones[0].mac, phones[1].mac, NULL });
  g_assert_true (ui_test_activate_shortcut (list, "space"));
  selected = gtk_selection_model_get_selection (selection);
  g_assert_cmpuint (gtk_bitset_get_size (selected), ==, 2);
  /* With nothing selected, Space is the list's own: it selects */
  gtk_selection_model_unselect_all (selection);
  g_assert_false (ui_test_activate_shortcut (list, "space"));
}

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

/* Items, jobs and traffic are read in a thread (the UI never waits on SQL) */
static gboolean
details_loaded (gpointer data)
{
  return !wpc_phone_details_get_loading (WPC_PHONE_DETAILS (data));
}

static void
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
static void
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

static gboolean
not_busy (gpointer data)
{
  return !wpc_phones_view_get_busy (data);
}

static gboolean
phones_loaded (gpointer data)
{
  gpointer *args = data;
  return g_list_model_get_n_items (wpi_service_host_get_phones (args[0])) == GPOINTER_TO_UINT (args[1]);
}

static void
test_bulk_progress_and_cancel (Fixture *fixture)
{
  g_autoptr(WpiStore) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  GtkSelectionModel *selection = wpc_phones_view_get_selection (fixture->view);
  GtkWidget *progress = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_PROGRESS_BAR, NULL);
  const guint n = 200;
  gpointer args[2] = { fixture->console.service, GUINT_TO_POINTER (n) };
  g_autofree char *text = NULL;
  guint queued;

  /* Phones added by another process (as wpictl would): the service picks them up */
  other = wpi_store_open (fixture->console.data_dir, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_store_transaction_begin (other, &error));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *mac = g_strdup_printf ("00:1A:E8:10:%02X:%02X", i / 256, i % 256);
      g_autoptr(WpiPhoneRecord) record = wpi_phone_record_new (mac);

      record->ip = g_strdup ("127.0.0.1");
      g_assert_true (wpi_store_phone_upsert (other, record, WPI_PHONE_FIELD_IP, NULL, &error));
    }
  g_assert_true (wpi_store_transaction_commit (other, &error));
  wait_for (phones_loaded, args, "the service to load the phones");
  wait_for_rows (fixture, n);

  /* Restart for all of them: queued in steps with a progress bar, then cancelled */
  gtk_selection_model_select_all (selection);
  all = wpc_phones_view_get_selected_phones (fixture->view);
  g_assert_cmpuint (all->len, ==, n);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "phone.restart", NULL));
  confirm_restart (n);
  g_assert_true (wpc_phones_view_get_busy (fixture->view));
  g_assert_true (ui_test_is_shown (progress));
  /* No second batch while one runs */
  g_assert_false (gtk_widget_is_sensitive (ui_test_find_button_for_action (GTK_WIDGET (fixture->view), "phone.restart")));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-bulk-progress.png");
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "Escape"));
  g_assert_false (wpc_phones_view_get_busy (fixture->view));
  g_assert_false (ui_test_is_shown (progress));
  text = g_strdup (adw_toast_get_title (ui_test_wait_for_toast (GTK_WIDGET (fixture->view), "Restart stopped: queued for ",
                                                                WAIT_TIMEOUT_MS, "the stopped restart's toast")));

  /* Whole jobs only: what the message counts is what the store has */
  pending = wpi_store_job_list_pending (wpi_service_host_get_store (fixture->console.service), NULL, &error);
  g_assert_no_error (error);
  queued = pending->len;
  g_assert_cmpuint (queued, >, 0);
  g_assert_cmpuint (queued, <, n);
  {
    g_autofree char *expected = g_strdup_printf ("queued for %u of %u phones", queued, n);
    g_assert_nonnull (strstr (text, expected));
  }

  /* Without a cancel, every phone gets its job */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "phone.contact-me", NULL));
  wait_for (not_busy, fixture->view, "the jobs to be queued");
  g_clear_pointer (&pending, g_ptr_array_unref);
  pending = wpi_store_job_list_pending (wpi_service_host_get_store (fixture->console.service), NULL, &error);
  g_assert_cmpuint (pending->len, ==, queued + n);
  ui_test_wait_for_toast (GTK_WIDGET (fixture->view), "Read all items queued for 200 phones", WAIT_TIMEOUT_MS,
                          "the read's toast");
}

static gboolean
file_job_queued (gpointer data)
{
  gpointer *args = data;
  g_autoptr(GPtrArray) jobs = jobs_of (args[0], args[1]);
  return find_job (jobs, GPOINTER_TO_INT (args[2])) != NULL;
}

static void
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

static void
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

static void
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

static void
collect_shortcuts (GtkWidget  *root,
                   GHashTable *accelerators)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (root))
    {
      g_autofree char *accelerator = NULL;
      g_autoptr(GtkShortcutTrigger) trigger = NULL;

      g_object_get (root, "accelerator", &accelerator, NULL);
      trigger = gtk_shortcut_trigger_parse_string (accelerator);
      if (trigger != NULL)
        g_hash_table_add (accelerators, gtk_shortcut_trigger_to_string (trigger));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_shortcuts (child, accelerators);
}

/* Every shortcut of the view is in the Keyboard Shortcuts window */
static void
test_shortcuts_listed (void)
{
  GtkWidget *view = wpc_phones_view_new ();
  GtkWindow *shortcuts = wpc_shortcuts_window_new (NULL);
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) triggers = NULL;
  guint found = 0;

  g_object_ref_sink (view);
  collect_shortcuts (GTK_WIDGET (shortcuts), listed);
  triggers = ui_test_list_shortcuts (view);
  for (guint i = 0; triggers[i] != NULL; i++)
    {
      /* Menu and Shift+F10 are one entry */
      if (g_str_equal (triggers[i], "Menu"))
        continue;
      if (!g_hash_table_contains (listed, triggers[i]))
        g_error ("%s is not in the shortcuts window", triggers[i]);
      found++;
    }
  g_assert_cmpuint (found, >=, 12);
  gtk_window_destroy (shortcuts);
  g_object_unref (view);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/phones/shortcuts-listed", test_shortcuts_listed);
  add_phones_test ("/ui/phones/list", test_list_shows_phones);
  add_phones_test ("/ui/phones/sorting", test_sorting);
  add_phones_test ("/ui/phones/search", test_search);
  add_phones_test ("/ui/phones/selection-survives-updates", test_selection_survives_updates);
  add_phones_test ("/ui/phones/actions-follow-selection", test_actions_follow_selection);
  add_phones_test ("/ui/phones/write-dialog", test_write_dialog);
  add_phones_test ("/ui/phones/read-items-dialog", test_read_items_dialog);
  add_phones_test ("/ui/phones/factory-reset", test_factory_reset_confirmation);
  add_phones_test ("/ui/phones/restart-confirmation", test_restart_confirmation);
  add_phones_test ("/ui/phones/undo-restart", test_undo_restart);
  add_phones_test ("/ui/phones/adaptive-layout", test_adaptive_layout);
  add_phones_test ("/ui/phones/ellipsized-tooltip", test_ellipsized_tooltip);
  add_phones_test ("/ui/phones/list-keys", test_list_keys);
  add_phones_test ("/ui/phones/details", test_details);
  add_phones_test ("/ui/phones/location", test_location);
  add_phones_test ("/ui/phones/bulk", test_bulk_progress_and_cancel);
  add_phones_test ("/ui/phones/deploy", test_deploy);
  add_phones_test ("/ui/phones/apply-profile", test_apply_profile);

  return g_test_run ();
}
