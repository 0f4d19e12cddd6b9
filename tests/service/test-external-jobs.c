/* test-external-jobs.c: a job that another process (wpictl) queues in the store reaches
 * the running service's models
 *
 * The service reloads when the store's data_version moves, which only commits of other
 * connections do. A job the service queues itself between such a commit and its next
 * look must not swallow the change: the other process's job would stay out of the
 * models (and out of the console's count of pending work, D31) until the next one.
 */
#include "config.h"

#include "wpi-job.h"
#include "test-util-service.h"
#include "test-util-store.h"

#define EXTERNAL_MAC "00:1A:E8:77:00:01"
#define OWN_MAC      "00:1A:E8:77:00:02"
#define WAIT_MS      (10 * 1000)

typedef struct {
  WpiService *service;
  gint64      id;
} JobWait;

static gboolean
service_knows_job (gpointer data)
{
  JobWait *wait = data;
  GListModel *jobs = wpi_service_get_jobs (wait->service);

  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr(WpiJob) job = g_list_model_get_item (jobs, i);

      if (wpi_job_get_id (job) == wait->id)
        return TRUE;
    }
  return FALSE;
}

static gboolean
service_knows_phones (gpointer service)
{
  return g_list_model_get_n_items (wpi_service_get_phones (service)) == 2;
}

static void
add_phone (WpiStore   *store,
           const char *mac)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (mac);
  g_autoptr(GError) error = NULL;

  wpi_store_phone_upsert (store, phone, 0, NULL, &error);
  g_assert_no_error (error);
}

static void
test_external_job_beside_own (void)
{
  g_autofree char *data_dir = NULL;
  g_autoptr(WpiService) service = NULL;
  g_autoptr(WpiStore) other = NULL;
  g_autoptr(GError) error = NULL;
  JobWait wait = { NULL, 0 };

  test_util_service_set_up ("wpi-external-jobs", &data_dir, &service);
  /* Phones without an address: their restarts stay pending */
  other = wpi_store_open (data_dir, &error);
  g_assert_no_error (error);
  add_phone (other, EXTERNAL_MAC);
  add_phone (other, OWN_MAC);
  test_util_wait_until (service_knows_phones, service, WAIT_MS, "the phones in the service's model");

  /* wpictl's commit, then the service's own job before its next look at the store */
  g_assert_true (wpi_store_job_enqueue (other, EXTERNAL_MAC, WPI_JOB_KIND_RESTART, NULL, NULL, 0, &wait.id, &error));
  g_assert_no_error (error);
  test_util_service_enqueue (service, OWN_MAC, WPI_JOB_KIND_RESTART, NULL);

  wait.service = service;
  test_util_wait_until (service_knows_job, &wait, WAIT_MS, "the other process's job in the service's model");
  g_clear_object (&other);
  test_util_service_tear_down (&data_dir, &service);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/service/external-jobs/beside-own", test_external_job_beside_own);
  return g_test_run ();
}
