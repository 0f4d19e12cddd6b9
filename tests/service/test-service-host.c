/* test-service-host.c: the service on its own thread (WpiServiceHost) as the console
 * uses it: models and signals on the owner's context, calls that reach the worker */
#include "config.h"

#include <unistd.h>

#include <glib/gstdio.h>

#include "test-util-service.h"
#include "test-util-store.h"
#include "wpi-job.h"
#include "wpi-phone.h"
#include "wpi-service-host.h"
#include "wpi-simulator.h"

#define N_PHONES 12

typedef struct {
  char           *data_dir;
  WpiServiceHost *host;
  GThread        *owner;
  guint           phone_changed;
  guint           listening_changed;
  guint           log_lines;
  guint           phone_splices;
  GHashTable     *job_states;     /* job id -> last state seen by job-changed */
  gint64          job_id;         /* the job a test waits for */
  WpiSimulator   *simulator;      /* the phones of start_host_and_phones() */
  gboolean        wrong_thread;
} Fixture;

/* The service thread's news arrive on this context; 60 s is plenty on a loaded machine */
#define WAIT_TIMEOUT_MS 60000
#define wait_for(condition, f, what) test_util_wait_until (condition, f, WAIT_TIMEOUT_MS, what)

static void
check_thread (Fixture *f)
{
  if (g_thread_self () != f->owner)
    f->wrong_thread = TRUE;
}

static void
on_phone_changed (WpiServiceHost *host,
                  WpiPhone       *phone,
                  Fixture        *f)
{
  check_thread (f);
  f->phone_changed++;
}

static void
on_listening_changed (WpiServiceHost *host,
                      Fixture        *f)
{
  check_thread (f);
  f->listening_changed++;
}

static void
on_log (WpiServiceHost *host,
        const char     *line,
        Fixture        *f)
{
  check_thread (f);
  f->log_lines++;
}

static void
on_job_changed (WpiServiceHost *host,
                gint64          job_id,
                const char     *state,
                Fixture        *f)
{
  check_thread (f);
  g_hash_table_insert (f->job_states, g_memdup2 (&job_id, sizeof job_id), g_strdup (state));
}

static void
on_phones_changed (GListModel *model,
                   guint       position,
                   guint       removed,
                   guint       added,
                   Fixture    *f)
{
  check_thread (f);
  f->phone_splices++;
}

/* How the fixture opens the host: at once, or in halves with the owner busy between */
typedef enum {
  OPEN_AT_ONCE,
  OPEN_IN_HALVES,
} OpenWay;

static gboolean
store_file_exists (gpointer data)
{
  g_autofree char *path = g_build_filename (data, WPI_STORE_DB_NAME, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* wpi_service_host_open_begin() returns before the service is open: the worker creates
 * the store while the owner goes on (the console starts GTK meanwhile), which the owner
 * sees here before it finishes the opening. */
static WpiServiceHost *
open_host (const char  *data_dir,
           OpenWay      way,
           GError     **error)
{
  WpiServiceHostOpening *opening;

  if (way == OPEN_AT_ONCE)
    return wpi_service_host_new (data_dir, error);

  opening = wpi_service_host_open_begin (data_dir);
  if (g_file_test (data_dir, G_FILE_TEST_IS_DIR))
    wait_for (store_file_exists, (gpointer) data_dir, "the worker to create the store");
  return wpi_service_host_open_finish (opening, error);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->owner = g_thread_self ();
  f->data_dir = g_dir_make_tmp ("wpi-host-XXXXXX", &error);
  g_assert_no_error (error);
  f->job_states = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  f->host = open_host (f->data_dir, GPOINTER_TO_INT (data), &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->host);
  g_signal_connect (f->host, "phone-changed", G_CALLBACK (on_phone_changed), f);
  g_signal_connect (f->host, "listening-changed", G_CALLBACK (on_listening_changed), f);
  g_signal_connect (f->host, "log", G_CALLBACK (on_log), f);
  g_signal_connect (f->host, "job-changed", G_CALLBACK (on_job_changed), f);
  g_signal_connect (wpi_service_host_get_phones (f->host), "items-changed",
                    G_CALLBACK (on_phones_changed), f);
  wpi_service_host_set_bind_address (f->host, "127.0.0.1");
  wpi_service_host_set_ports (f->host, 0, 0);
}

static gboolean
simulator_quiet (gpointer data)
{
  Fixture *f = data;

  return wpi_simulator_is_quiet (f->simulator);
}

static void
stop_simulator (Fixture *f)
{
  wpi_simulator_stop (f->simulator);
  wait_for (simulator_quiet, f, "the simulator to stop");
  g_clear_object (&f->simulator);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->simulator != NULL)
    stop_simulator (f);
  g_clear_object (&f->host);
  g_assert_false (f->wrong_thread);
  g_clear_pointer (&f->job_states, g_hash_table_unref);
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
}

static char *
service_uri (Fixture *f)
{
  return g_strdup_printf ("https://127.0.0.1:%u", wpi_service_host_get_port (f->host));
}

static void
test_start_stop (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) urls = NULL;

  g_assert_false (wpi_service_host_is_listening (f->host));
  g_assert_true (wpi_service_host_start (f->host, &error));
  g_assert_no_error (error);
  g_assert_true (wpi_service_host_is_listening (f->host));
  g_assert_cmpuint (wpi_service_host_get_port (f->host), >, 0);
  g_assert_cmpuint (wpi_service_host_get_secure_port (f->host), >, 0);
  urls = wpi_service_host_get_urls (f->host);
  g_assert_nonnull (urls[0]);
  g_assert_true (g_str_has_prefix (urls[0], "https://127.0.0.1:"));

  /* the service's "listening on ..." line came over from the worker */
  wpi_service_host_sync (f->host);
  g_assert_cmpuint (f->log_lines, >, 0);

  wpi_service_host_stop (f->host);
  g_assert_false (wpi_service_host_is_listening (f->host));
  g_assert_nonnull (wpi_service_host_get_store (f->host));
  g_assert_nonnull (wpi_service_host_get_pki (f->host));
  g_assert_cmpstr (wpi_service_host_get_data_dir (f->host), ==, f->data_dir);
}

static gboolean
all_registered (gpointer data)
{
  Fixture *f = data;

  return test_util_phones_all_have (wpi_service_host_get_phones (f->host), N_PHONES, wpi_phone_get_firmware);
}

/* Starts the host, then N_PHONES simulated phones from base_mac against it (f->simulator,
 * stopped by the tear-down), and waits until all of them have registered. */
static void
start_host_and_phones (Fixture    *f,
                       const char *base_mac)
{
  g_autofree char *uri = NULL;
  g_autofree char *prefix = g_strdup_printf ("127.%u", 150 + getpid () % 60);
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_service_host_start (f->host, &error));
  g_assert_no_error (error);
  uri = service_uri (f);
  f->simulator = wpi_simulator_new (uri, N_PHONES);
  g_object_set (f->simulator, "bind-prefix", prefix, "base-mac", base_mac,
                "retry-seconds", 0.2, "busy-ratio", 0.0, NULL);
  g_assert_true (wpi_simulator_start (f->simulator, &error));
  g_assert_no_error (error);
  wait_for (all_registered, f, "the phones to register");
}

/* Phones registering on the worker show up in the owner's mirror, with what the store
 * holds, and the new rows arrive in fewer splices than phones */
static void
test_phones_mirrored (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  GListModel *phones = wpi_service_host_get_phones (f->host);

  start_host_and_phones (f, "00:1A:E8:40:00:01");

  records = wpi_store_phone_list (wpi_service_host_get_store (f->host), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (records->len, ==, N_PHONES);
  g_assert_cmpuint (g_list_model_get_n_items (phones), ==, N_PHONES);
  for (guint i = 0; i < N_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);
      WpiSimPhone *sim = wpi_simulator_lookup (f->simulator, wpi_phone_get_mac (phone));

      g_assert_nonnull (sim);
      g_assert_cmpstr (wpi_phone_get_firmware (phone), ==, wpi_sim_phone_get_software_version (sim));
    }
  g_assert_cmpuint (f->phone_changed, >=, N_PHONES);
  g_assert_cmpuint (f->phone_splices, <=, N_PHONES);
}

static gboolean
job_done (gpointer data)
{
  Fixture *f = data;

  const char *state = g_hash_table_lookup (f->job_states, &f->job_id);

  return g_strcmp0 (state, "done") == 0;
}

/* The state of job_id in the owner's mirror of the jobs, failing the test when the mirror
 * does not hold it */
static WpiJobState
mirrored_job_state (Fixture *f,
                    gint64   job_id)
{
  GListModel *jobs = wpi_service_host_get_jobs (f->host);

  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr(WpiJob) job = g_list_model_get_item (jobs, i);

      if (wpi_job_get_id (job) == job_id)
        return wpi_job_get_state (job);
    }
  g_error ("job %" G_GINT64_FORMAT " is not in the mirror", job_id);
}

/* A job queued from the owner runs on the worker, and both the job-changed signal and
 * the mirrored job follow it to "done" */
static void
test_enqueue (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhone) first = NULL;

  start_host_and_phones (f, "00:1A:E8:41:00:01");

  first = g_list_model_get_item (wpi_service_host_get_phones (f->host), 0);
  f->job_id = wpi_service_host_enqueue_job (f->host, wpi_phone_get_mac (first), WPI_JOB_KIND_READ_ALL,
                                            NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (f->job_id, >, 0);
  wait_for (job_done, f, "the read job to finish");

  wpi_service_host_sync (f->host);
  g_assert_cmpint (mirrored_job_state (f, f->job_id), ==, WPI_JOB_STATE_DONE);

  /* an unknown phone is refused on the worker, and the error comes back */
  g_assert_cmpint (wpi_service_host_enqueue_job (f->host, "not a mac", WPI_JOB_KIND_READ_ALL,
                                                 NULL, NULL, &error), ==, 0);
  g_assert_nonnull (error);
}

/* Each job of the cancel test is moved along these states before the cancel */
static const struct {
  WpiJobState path[2];  /* applied in order; QUEUED: stays as queued */
  gboolean    cancelled;
} cancel_cases[] = {
  { { WPI_JOB_STATE_QUEUED, WPI_JOB_STATE_QUEUED }, TRUE },
  { { WPI_JOB_STATE_CONTACTING, WPI_JOB_STATE_QUEUED }, TRUE },
  { { WPI_JOB_STATE_WAITING_BUSY, WPI_JOB_STATE_QUEUED }, TRUE },
  { { WPI_JOB_STATE_IN_PROGRESS, WPI_JOB_STATE_QUEUED }, FALSE },
  { { WPI_JOB_STATE_IN_PROGRESS, WPI_JOB_STATE_DONE }, FALSE },
  { { WPI_JOB_STATE_IN_PROGRESS, WPI_JOB_STATE_FAILED }, FALSE },
};

/* Undo of a queued job (issue 12 §1): only the jobs not yet sent are cancelled, the
 * store keeps them as cancelled, the others (and an unknown id) are left alone, and the
 * owner's mirror follows. The host does not listen, so nothing moves the jobs but the
 * test. */
static void
test_cancel_unsent (Fixture       *f,
                    gconstpointer  data)
{
  WpiStore *store = wpi_service_host_get_store (f->host);
  g_autoptr(GError) error = NULL;
  gint64 ids[G_N_ELEMENTS (cancel_cases) + 1];
  guint expected = 0;
  guint n_cancelled = 99;

  test_util_store_add_phone (store, "00:1A:E8:43:00:01", "4301", NULL, 0);
  for (guint i = 0; i < G_N_ELEMENTS (cancel_cases); i++)
    {
      ids[i] = wpi_service_host_enqueue_job (f->host, "00:1A:E8:43:00:01", WPI_JOB_KIND_RESTART,
                                             NULL, NULL, &error);
      g_assert_no_error (error);
      for (guint step = 0; step < G_N_ELEMENTS (cancel_cases[i].path); step++)
        if (cancel_cases[i].path[step] != WPI_JOB_STATE_QUEUED)
          {
            wpi_store_job_set_state (store, ids[i], cancel_cases[i].path[step], "test", &error);
            g_assert_no_error (error);
          }
      expected += cancel_cases[i].cancelled ? 1 : 0;
    }
  ids[G_N_ELEMENTS (cancel_cases)] = 999999;  /* unknown: skipped, not an error */

  g_assert_true (wpi_service_host_cancel_unsent_jobs (f->host, ids, G_N_ELEMENTS (ids), &n_cancelled, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_cancelled, ==, expected);

  wpi_service_host_reload (f->host);
  wpi_service_host_sync (f->host);
  for (guint i = 0; i < G_N_ELEMENTS (cancel_cases); i++)
    {
      g_autoptr(WpiJobRecord) job = test_util_store_job_get (store, ids[i]);

      if (cancel_cases[i].cancelled)
        {
          g_assert_cmpint (job->state, ==, WPI_JOB_STATE_CANCELLED);
          g_assert_cmpint (mirrored_job_state (f, ids[i]), ==, WPI_JOB_STATE_CANCELLED);
        }
      else
        g_assert_cmpint (job->state, !=, WPI_JOB_STATE_CANCELLED);
    }

  /* a second undo finds nothing left to cancel */
  g_assert_true (wpi_service_host_cancel_unsent_jobs (f->host, ids, G_N_ELEMENTS (ids), &n_cancelled, &error));
  g_assert_cmpuint (n_cancelled, ==, 0);
}

/* Any job that went back to pending (left in-progress) */
static gboolean
job_pending_again (gpointer data)
{
  Fixture *f = data;
  GHashTableIter iter;
  gpointer state;

  g_hash_table_iter_init (&iter, f->job_states);
  while (g_hash_table_iter_next (&iter, NULL, &state))
    if (g_str_equal (state, "queued") || g_str_equal (state, "contacting"))
      return TRUE;
  return FALSE;
}

/* flow-deadline reaches the worker's service (D22): a start-up whose registration read
 * is never answered expires within a second or two, not after the default minute */
static void
test_flow_deadline_forwarded (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autoptr(WpiMessage) start_up = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "F1");
  g_autoptr(TestUtilReply) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *uri = NULL;
  guint deadline = 0;

  g_object_set (f->host, "flow-deadline", 1, NULL);
  g_object_get (f->host, "flow-deadline", &deadline, NULL);
  g_assert_cmpuint (deadline, ==, 1);
  g_assert_true (wpi_service_host_start (f->host, &error));
  g_assert_no_error (error);

  wpi_message_set_reason (start_up, WPI_REASON_START_UP);
  wpi_message_add_item (start_up, "mac-addr", "00:1A:E8:42:00:01");
  base = service_uri (f);
  uri = g_strconcat (base, WPI_SERVICE_PATH, NULL);
  reply = test_util_post_message (session, uri, start_up, NULL);
  g_assert_cmpuint (reply->status, ==, 200);
  test_util_wait_until (job_pending_again, f, 20000, "the unanswered flow to expire");
}

/* A data directory that cannot be used is an error from new(), and no thread stays */
static void
test_bad_data_dir (gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("wpi-host-bad-XXXXXX", &error);
  g_autofree char *file = g_build_filename (dir, "not-a-dir", NULL);
  g_autoptr(WpiServiceHost) host = NULL;

  g_assert_true (g_file_set_contents (file, "x", 1, &error));
  host = open_host (file, GPOINTER_TO_INT (data), &error);
  g_assert_null (host);
  g_assert_nonnull (error);
  test_util_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/service-host/start-stop", Fixture, NULL, fixture_set_up, test_start_stop, fixture_tear_down);
  g_test_add ("/service-host/phones-mirrored", Fixture, NULL, fixture_set_up, test_phones_mirrored,
              fixture_tear_down);
  g_test_add ("/service-host/enqueue", Fixture, NULL, fixture_set_up, test_enqueue, fixture_tear_down);
  g_test_add ("/service-host/flow-deadline", Fixture, NULL, fixture_set_up, test_flow_deadline_forwarded,
              fixture_tear_down);
  g_test_add ("/service-host/cancel-unsent", Fixture, NULL, fixture_set_up, test_cancel_unsent, fixture_tear_down);
  g_test_add ("/service-host/opened-in-halves", Fixture, GINT_TO_POINTER (OPEN_IN_HALVES),
              fixture_set_up, test_start_stop, fixture_tear_down);
  g_test_add_data_func ("/service-host/bad-data-dir", GINT_TO_POINTER (OPEN_AT_ONCE), test_bad_data_dir);
  g_test_add_data_func ("/service-host/bad-data-dir-in-halves", GINT_TO_POINTER (OPEN_IN_HALVES),
                        test_bad_data_dir);

  return g_test_run ();
}
