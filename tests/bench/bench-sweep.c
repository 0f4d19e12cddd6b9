/* bench-sweep: find 200 phones in a /22 by sweep (issue 14 §2, D25)
 *
 *   bench-sweep [RATE]      (contact-mes a second, default 200)
 *
 * 200 simulated phones listen on every fifth address of a loopback /22 (1,022 hosts, the
 * service on its own thread as in the console, all in this process, 127.0.0.0/8 only).
 * 1. The floor, measured in the same run: the same 200 phones, knowing the service, start
 *    up unprompted against a fresh service; the time until every one is registered (its
 *    firmware stored) is what registering 200 phones costs without any sweep.
 * 2. The sweep: the phones do not know the service (await-contact); a sweep of the /22 at
 *    RATE. Measured: the time until it found all 200 (each called from its address), until
 *    all 200 are registered, and until every address has its result.
 * The rate's own minimum bounds the sweep from below as well: the last phone's contact-me
 * cannot leave before (its position) / RATE, all contact-mes (1,022 first tries and 822
 * second ones) not before their number / RATE. The sweep is as good as it can be when it
 * ends close to the larger of the rate's minimum and the unprompted start-up.
 * Figures are printed, not enforced: the program fails only when a phone is not found.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench-util.h"
#include "wpi-phone.h"
#include "wpi-service-host.h"
#include "wpi-simulator.h"
#include "wpi-sweep.h"
#include "test-util-service.h"
#include "test-util-sim.h"

#define N_PHONES      200
#define STRIDE        5
#define DEFAULT_RATE  200
#define WAIT_SECONDS  600

typedef struct {
  GListModel *phones;
  WpiSweep   *sweep;
  gint64      start;
  double      found_at;       /* seconds after the start; 0 until then */
  double      registered_at;
  double      settled_at;
} Run;

static double
since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

static gboolean
all_registered (gpointer data)
{
  Run *run = data;

  if (run->registered_at == 0 &&
      test_util_phones_all_have (run->phones, N_PHONES, wpi_phone_get_firmware))
    run->registered_at = since (run->start);
  return run->registered_at > 0 && (run->sweep == NULL || run->settled_at > 0);
}

static void
on_registered (WpiSweep   *sweep,
               GParamSpec *pspec,
               Run        *run)
{
  if (wpi_sweep_get_counts (sweep).n_registered == N_PHONES && run->found_at == 0)
    run->found_at = since (run->start);
}

static void
on_finished (WpiSweep *sweep,
             gboolean  cancelled,
             Run      *run)
{
  run->settled_at = since (run->start);
}

static void
stop_simulator (WpiSimulator *simulator)
{
  wpi_simulator_stop (simulator);
  if (!bench_wait_until (test_util_simulator_is_quiet, simulator, 60))
    bench_die ("the simulated phones did not stop", NULL);
}

/* 1: the same phones starting up on their own */
static double
unprompted_start_up (const char *prefix)
{
  g_autofree char *dir = test_util_make_tmp_dir ("bench-sweep-floor");
  g_autoptr(WpiServiceHost) host = test_util_service_host_start (dir);
  g_autofree char *uri = test_util_service_host_uri (host, FALSE);
  g_autoptr(WpiSimulator) simulator = wpi_simulator_new (uri, N_PHONES);
  g_autoptr(GError) error = NULL;
  Run run = { .phones = wpi_service_host_get_phones (host) };

  g_object_set (simulator, "bind-prefix", prefix, "address-stride", STRIDE,
                "base-mac", "00:1A:E8:50:00:01", "retry-seconds", 0.2, NULL);
  run.start = g_get_monotonic_time ();
  if (!wpi_simulator_start (simulator, &error))
    bench_die ("starting the phones", error);
  if (!bench_wait_until (all_registered, &run, WAIT_SECONDS))
    bench_die ("the phones did not all register unprompted", NULL);
  stop_simulator (simulator);
  wpi_service_host_stop (host);
  test_util_remove_tree (dir);
  return run.registered_at;
}

/* 2: the sweep; fills run */
static void
sweep_range (const char *prefix,
             guint       rate,
             Run        *run)
{
  g_autofree char *dir = test_util_make_tmp_dir ("bench-sweep");
  g_autoptr(WpiServiceHost) host = test_util_service_host_start (dir);
  g_autofree char *uri = test_util_service_host_uri (host, FALSE);
  g_autoptr(WpiSimulator) simulator = test_util_sim_room_start (uri, N_PHONES, prefix, STRIDE,
                                                                "00:1A:E8:60:00:01");
  g_autofree char *text = g_strdup_printf ("%s.0.0/22", prefix);
  g_autoptr(GError) error = NULL;
  WpiAddressRange range;

  if (!wpi_address_range_parse (text, &range, &error))
    bench_die (text, error);
  run->phones = wpi_service_host_get_phones (host);
  run->sweep = wpi_sweep_new (&range, "127.0.0.1", wpi_service_host_get_port (host));
  g_object_set (run->sweep, "rate", rate, NULL);
  g_signal_connect (run->sweep, "notify::n-registered", G_CALLBACK (on_registered), run);
  g_signal_connect (run->sweep, "finished", G_CALLBACK (on_finished), run);
  wpi_sweep_watch_phones (run->sweep, run->phones);
  run->start = g_get_monotonic_time ();
  if (!wpi_sweep_start (run->sweep, &error))
    bench_die ("starting the sweep", error);
  if (!bench_wait_until (all_registered, run, WAIT_SECONDS))
    bench_die ("the sweep did not register every phone", NULL);
  stop_simulator (simulator);
  wpi_service_host_stop (host);
  test_util_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  guint rate = argc > 1 ? (guint) atoi (argv[1]) : DEFAULT_RATE;
  g_autofree char *prefix = g_strdup_printf ("127.%u", 230 + (guint) getpid () % 20);
  guint n_addresses = 1022, last_phone = (N_PHONES - 1) * STRIDE;
  guint n_sends = n_addresses + (n_addresses - N_PHONES);
  double floor_unprompted;
  WpiSweepCounts counts;
  Run run = { 0 };

  if (rate < 1 || rate > WPI_SWEEP_MAX_RATE)
    {
      fprintf (stderr, "bench-sweep: RATE is 1 to %u\n", WPI_SWEEP_MAX_RATE);
      return 2;
    }
  test_util_sim_init ();
  bench_raise_file_limit ();

  floor_unprompted = unprompted_start_up (prefix);
  sweep_range (prefix, rate, &run);

  printf ("bench-sweep: %s.0.0/22, %u addresses, %u phones at every %uth, %u contact-mes/s, "
          "concurrency %u\n", prefix, n_addresses, N_PHONES, STRIDE, rate, WPI_SWEEP_DEFAULT_CONCURRENCY);
  counts = wpi_sweep_get_counts (run.sweep);
  printf ("  results: %u answered, %u refused, %u no answer; %u contact-mes sent; %u found\n",
          counts.n_answered, counts.n_refused, counts.n_no_answer, counts.n_sent, counts.n_registered);
  printf ("  all %u found:          %7.2f s   floor: last phone's contact-me at %u/%u = %.2f s\n",
          N_PHONES, run.found_at, last_phone, rate, (double) last_phone / rate);
  printf ("  all %u registered:     %7.2f s   floor: the same phones unprompted %.2f s\n",
          N_PHONES, run.registered_at, floor_unprompted);
  printf ("  every address settled:  %7.2f s   floor: %u contact-mes at %u/s = %.2f s\n",
          run.settled_at, n_sends, rate, (double) n_sends / rate);
  if (counts.n_registered != N_PHONES || counts.n_answered != N_PHONES)
    {
      fprintf (stderr, "bench-sweep: not every phone was found\n");
      g_clear_object (&run.sweep);
      return 1;
    }
  g_clear_object (&run.sweep);
  return 0;
}
