/* test-ui-phones-safety.c: the Phones view is safe by default (issue 12 §2): what
 * destroys or interrupts asks first, a bulk job can be undone, a bulk run shows its
 * progress and stops on Escape with whole jobs only (test-ui-phones.c registers these
 * tests; phones-view-fixture.c sets them up) */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "wpc-phones-view.h"
#include "wpc-window.h"
#include "phones-view-fixture.h"

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

static gboolean
not_busy (gpointer data)
{
  return !wpc_phones_view_get_busy (data);
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

void
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
void
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
void
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

static gboolean
phones_loaded (gpointer data)
{
  gpointer *args = data;
  return g_list_model_get_n_items (wpi_service_host_get_phones (args[0])) == GPOINTER_TO_UINT (args[1]);
}

void
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
