/* test-import.c: phones imported ahead are configured on their first contact (D24)
 *
 * A phone list of simulated phones is imported before they start; the phones list them
 * as expected; when the phones call, each gets the default profile and its imported
 * items as one write-items job (with busy phones among them, D11), and stops being
 * expected. The phones' own items are checked, not only the store.
 */
#include "config.h"

#include <unistd.h>

#include "wpi-simulator.h"
#include "test-util-service.h"
#include "test-util-sim.h"
#include "test-util-store.h"

#define N_PHONES     6
#define FIRST_MAC    0x500001                 /* 00:1A:E8:50:00:01 */
#define FIRST_E164   G_GUINT64_CONSTANT (4989700100001)   /* the simulator's default */
#define WAIT_MS      (90 * 1000)

typedef struct {
  WpiService   *service;
  WpiSimulator *simulator;
} Site;

/* Every phone holds the display name of its row and the profile's key label, and its
 * jobs are over */
static gboolean
phones_configured (gpointer data)
{
  Site *site = data;
  GListModel *phones = wpi_service_get_phones (site->service);

  if (g_list_model_get_n_items (phones) != N_PHONES)
    return FALSE;
  for (guint i = 0; i < N_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);
      WpiSimPhone *sim = wpi_simulator_lookup (site->simulator, wpi_phone_get_mac (phone));
      g_autofree char *desk = g_strdup_printf ("Desk %s", wpi_phone_get_e164 (phone));
      g_autofree char *line = g_strdup_printf ("Line %s", wpi_phone_get_e164 (phone));

      if (sim == NULL || wpi_phone_get_expected (phone) || wpi_phone_get_pending_jobs (phone) > 0 ||
          g_strcmp0 (wpi_sim_phone_get_item (sim, "display-id-unicode", -1), desk) != 0 ||
          g_strcmp0 (wpi_sim_phone_get_item (sim, "key-label-unicode", 1), line) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
set_default_profile (WpiStore *store)
{
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(GError) error = NULL;

  /* display-id-unicode is the import's: the row wins over the profile */
  wpi_store_item_array_add (items, "display-id-unicode", FALSE, 0, "Profile {e164}");
  wpi_store_item_array_add (items, "key-label-unicode", TRUE, 1, "Line {e164}");
  g_assert_true (wpi_store_profile_set (store, "site", (WpiStoreItem *) (void *) items->data, items->len, &error));
  g_assert_true (wpi_store_profile_set_default (store, "site", &error));
  g_assert_no_error (error);
}

static void
assert_all_expected (WpiService *service)
{
  GListModel *phones = wpi_service_get_phones (service);

  g_assert_cmpuint (g_list_model_get_n_items (phones), ==, N_PHONES);
  for (guint i = 0; i < N_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);

      g_assert_true (wpi_phone_get_expected (phone));
      g_assert_cmpstr (wpi_phone_get_state_nick (phone), ==, WPI_PHONE_STATE_NICK_EXPECTED);
    }
}

/* Each phone's import went as one write-items job, done */
static void
assert_one_import_job_each (WpiStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = wpi_store_job_list (store, NULL, &error);
  guint import_jobs = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < jobs->len; i++)
    {
      const WpiJobRecord *job = g_ptr_array_index (jobs, i);

      g_assert_cmpint (job->kind, !=, WPI_JOB_KIND_APPLY_PROFILE);
      if (job->kind != WPI_JOB_KIND_WRITE_ITEMS)
        continue;
      g_assert_cmpstr (job->parameter, ==, WPI_JOB_PARAMETER_IMPORT);
      g_assert_cmpint (job->state, ==, WPI_JOB_STATE_DONE);
      import_jobs++;
    }
  g_assert_cmpuint (import_jobs, ==, N_PHONES);
}

static void
test_import_first_contact (void)
{
  g_autofree char *data_dir = NULL;
  g_autoptr(WpiService) service = NULL;
  g_autofree char *csv = test_util_phone_list_csv (N_PHONES, FIRST_MAC, FIRST_E164);
  g_autofree char *uri = NULL;
  g_autofree char *prefix = g_strdup_printf ("127.%u", 90 + getpid () % 60);
  g_autoptr(GError) error = NULL;
  guint counts[3];
  Site site = { NULL, NULL };

  test_util_service_set_up ("test-import", &data_dir, &service);
  set_default_profile (wpi_service_get_store (service));
  test_util_store_import (wpi_service_get_store (service), csv, FALSE, counts);
  g_assert_cmpuint (counts[WPI_IMPORT_OUTCOME_ADDED], ==, N_PHONES);
  wpi_service_reload (service);
  assert_all_expected (service);

  uri = test_util_service_uri (service, FALSE);
  site.service = service;
  site.simulator = wpi_simulator_new (uri, N_PHONES);
  /* V3R3 phones: a busy one asks to be called back when its call ends (D11), which
   * keeps the test short */
  g_object_set (site.simulator, "bind-prefix", prefix, "base-mac", "00:1A:E8:50:00:01",
                "firmware-mix", "v3r3", "busy-ratio", 0.5, "call-seconds", 1.0, "retry-seconds", 0.2, NULL);
  test_util_simulator_log_failures (site.simulator);
  g_assert_true (wpi_simulator_start (site.simulator, &error));
  g_assert_no_error (error);
  test_util_wait_until (phones_configured, &site, WAIT_MS, "the imported phones to be configured");
  wpi_simulator_stop (site.simulator);
  test_util_wait_until (test_util_simulator_is_quiet, site.simulator, WAIT_MS, "the simulator to stop");

  assert_one_import_job_each (wpi_service_get_store (service));
  /* the list again: nothing to add or change, nothing queued */
  test_util_store_import (wpi_service_get_store (service), csv, FALSE, counts);
  g_assert_cmpuint (counts[WPI_IMPORT_OUTCOME_UNCHANGED], ==, N_PHONES);
  g_clear_object (&site.simulator);
  test_util_service_tear_down (&data_dir, &service);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_util_sim_init ();

  g_test_add_func ("/import/first-contact", test_import_first_contact);

  return g_test_run ();
}
