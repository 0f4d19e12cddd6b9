/* phones-view-fixture.c: the console (WpcApplication) with a WpiServiceHost on 127.0.0.1,
 * free ports, in a temporary directory, for the Phones view's tests (test-ui-phones*.c).
 * Phones register as real ones do: a libsoup client in this process posts their start-up
 * and answers the service's ReadAllItems over HTTPS. */
#include "config.h"

#include "wpc-phone-details.h"
#include "wpi-codec.h"
#include "wpi-service.h"
#include "test-util-service.h"
#include "phones-view-fixture.h"

const PhoneSpec phones[3] = {
  { "00:1A:E8:00:00:02", "4989700102", "OpenStage 60", "V3 R5.12.0" },
  { "00:1A:E8:00:00:03", "4989700103", "OpenStage 40", "V3 R4.2.0" },
  { "00:1A:E8:00:00:01", "4989700101", "OpenStage 80", "V3 R5.12.0" },
};

/* Phones over HTTPS ---------------------------------------------------------------- */

GBytes *
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
void
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

/* The list's rows and selection ---------------------------------------------------- */

static gboolean
view_has_rows (gpointer data)
{
  gpointer *args = data;
  return g_list_model_get_n_items (G_LIST_MODEL (wpc_phones_view_get_selection (args[0]))) ==
         GPOINTER_TO_UINT (args[1]);
}

void
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

void
register_all (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (phones); i++)
    register_phone (fixture, &phones[i]);
  wait_for_rows (fixture, G_N_ELEMENTS (phones));
  wait_for (rows_settled, fixture, "the phones' flows to end");
}

WpiPhone *
row_phone (Fixture *fixture,
           guint    position)
{
  g_autoptr(WpiPhone) phone = g_list_model_get_item (G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view)),
                                                     position);
  return phone;   /* the service's model keeps it */
}

guint
row_of_mac (Fixture    *fixture,
            const char *mac)
{
  GListModel *rows = G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view));

  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    if (g_str_equal (wpi_phone_get_mac (row_phone (fixture, i)), mac))
      return i;
  g_error ("%s is not shown", mac);
}

void
select_macs (Fixture            *fixture,
             const char * const *macs)
{
  GtkSelectionModel *selection = wpc_phones_view_get_selection (fixture->view);

  gtk_selection_model_unselect_all (selection);
  for (guint i = 0; macs[i] != NULL; i++)
    gtk_selection_model_select_item (selection, row_of_mac (fixture, macs[i]), FALSE);
}

/* Items, jobs and traffic are read in a thread (the UI never waits on SQL) */
gboolean
details_loaded (gpointer data)
{
  return !wpc_phone_details_get_loading (WPC_PHONE_DETAILS (data));
}

/* Jobs in the store ---------------------------------------------------------------- */

/* The jobs of one phone, with their items */
GPtrArray *
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

const WpiStoreItem *
job_item (const WpiJobRecord *job,
          const char         *name)
{
  for (guint i = 0; job->items != NULL && i < job->items->len; i++)
    if (g_str_equal (g_array_index (job->items, WpiStoreItem, i).name, name))
      return &g_array_index (job->items, WpiStoreItem, i);
  return NULL;
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

void
wait_for_job (Fixture    *fixture,
              const char *mac,
              WpiJobKind  kind)
{
  gpointer args[3] = { fixture, (gpointer) mac, GINT_TO_POINTER (kind) };

  wait_for (write_job_queued, args, "the job to be queued");
}

const WpiJobRecord *
find_job (GPtrArray  *jobs,
          WpiJobKind  kind)
{
  for (guint i = 0; i < jobs->len; i++)
    if (((WpiJobRecord *) g_ptr_array_index (jobs, i))->kind == kind)
      return g_ptr_array_index (jobs, i);
  return NULL;
}

/* Fixture ------------------------------------------------------------------------ */

void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  ui_test_console_set_up (&fixture->console, "wpc-ui-phones", 1200, 720);
  fixture->session = test_util_https_session_new (NULL);
}

void
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

void
run_phones_test (Fixture       *fixture,
                 gconstpointer  user_data)
{
  fixture->test = (PhonesTestFunc) user_data;
  ui_test_console_run (&fixture->console, "test-ui-phones", &fixture->window, run_phones_body, fixture);
}
