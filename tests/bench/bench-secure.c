/* bench-secure: 500 phones into Secure Mode with PINs, end to end (issue 11 §1, §2)
 *
 *   bench-secure [N_PHONES]      (default 500)
 *
 * workpoint-console --headless on a fresh data directory, N simulated phones (this process)
 * registered in Default Mode. Then, as a technician does it:
 * 1. The handout: N PINs generated and committed (wpi_handout_prepare(), as the console's
 *    handout view does it), the PDF of the slips written, the PINs marked handed out, and the
 *    CSV the simulated users read their PINs from. Goal: at most 1 s.
 * 2. The service builds each phone's bundle on its workers and contacts the phone once it is
 *    ready; the simulated user types the PIN from the CSV, the phone decrypts its bundle,
 *    starts up on the secure port and answers the TAN. Measured: the time from the handout's
 *    start until every PIN is "verified" in the store, and the service's CPU (utime + stime
 *    from /proc) per phone over that time.
 * 3. The floor, measured in this process in the same run (thread CPU time, the mean of a
 *    few rounds): one RSA key generation of the PKI's size, one PBKDF2 of D8 (sealing a
 *    bundle), one PKCS#12 MAC under the empty password (D7): what no bundle can do without.
 *    Goal: the service's CPU per phone at most 1.3 times the floor.
 * Targets are printed, never enforced: the program fails only on errors (a phone not
 * verified in time, a service that did not start or stop).
 *
 * The program: $WPI_HEADLESS_SERVICE (meson sets it).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/pkcs12.h>

#include "bench-util.h"
#include "wpi-bundle.h"
#include "wpi-handout.h"
#include "wpi-simulator.h"
#include "test-util-sim.h"

#define DEFAULT_PHONES    500
#define FLOOR_ROUNDS      8
#define REGISTER_SECONDS  600
#define VERIFY_SECONDS    1800
/* the store is read this often while waiting for the PINs to be verified */
#define POLL_US           (250 * 1000)

static double
thread_cpu_seconds (void)
{
  struct timespec now;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

static double
since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / (double) G_USEC_PER_SEC;
}

/* ---- The floor -------------------------------------------------------------------------- */

typedef struct {
  double key;
  double kdf;
  double mac;
} Floor;

/* One PKCS#12 MAC over a bag with the CA certificate, as the phones' files carry (D7) */
static double
mac_seconds (const char *ca_pem)
{
  gnutls_datum_t pem = { (unsigned char *) ca_pem, strlen (ca_pem) };
  gnutls_x509_crt_t crt;
  gnutls_pkcs12_t p12;
  gnutls_pkcs12_bag_t bag;
  double start;
  double spent;

  if (gnutls_x509_crt_init (&crt) < 0 || gnutls_x509_crt_import (crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
      gnutls_pkcs12_init (&p12) < 0 || gnutls_pkcs12_bag_init (&bag) < 0 ||
      gnutls_pkcs12_bag_set_crt (bag, crt) < 0 || gnutls_pkcs12_set_bag (p12, bag) < 0)
    bench_die ("a PKCS#12 for the floor", NULL);
  start = thread_cpu_seconds ();
  if (gnutls_pkcs12_generate_mac2 (p12, GNUTLS_MAC_SHA256, "") < 0)
    bench_die ("the PKCS#12 MAC", NULL);
  spent = thread_cpu_seconds () - start;
  gnutls_pkcs12_bag_deinit (bag);
  gnutls_pkcs12_deinit (p12);
  gnutls_x509_crt_deinit (crt);
  return spent;
}

static void
measure_floor (WpiPki *pki,
               Floor  *floor)
{
  g_auto(GStrv) cas = wpi_pki_get_ca_pems (pki);
  g_autoptr(WpiBootstrapData) data = wpi_bootstrap_data_new ("TUlJQg==", (const char * const *) cas, 18444);
  GError *error = NULL;

  for (guint i = 0; i < FLOOR_ROUNDS; i++)
    {
      double start = thread_cpu_seconds ();
      g_autofree char *key = wpi_pki_generate_key_pem (pki, &error);
      g_autofree char *sealed = NULL;

      floor->key += thread_cpu_seconds () - start;
      if (key == NULL)
        bench_die ("a key for the floor", error);
      start = thread_cpu_seconds ();
      sealed = wpi_bundle_seal (data, "123456789012", WPI_BUNDLE_DEFAULT_ITERATIONS, &error);
      floor->kdf += thread_cpu_seconds () - start;
      if (sealed == NULL)
        bench_die ("a bundle for the floor", error);
      floor->mac += mac_seconds (cas[0]);
    }
  floor->key /= FLOOR_ROUNDS;
  floor->kdf /= FLOOR_ROUNDS;
  floor->mac /= FLOOR_ROUNDS;
}

/* ---- The phones ------------------------------------------------------------------------- */

typedef struct {
  guint     n_phones;
  WpiStore *store;        /* where the PINs are watched */
  gint64    next_poll;
  guint     verified;
} Run;

/* Each phone's start-up flow went through */
static gboolean
all_registered (gpointer data)
{
  WpiSimulator *simulator = data;

  return wpi_simulator_get_flows_ok (simulator) >= wpi_simulator_get_n_phones (simulator);
}

/* N new phones register in Default Mode, each from a loopback address of its own; the
 * simulated users read their PINs from the handout CSV once the phones ask for them */
static WpiSimulator *
register_phones (guint       port,
                 guint       n_phones,
                 const char *csv)
{
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u", port);
  g_autofree char *prefix = g_strdup_printf ("127.%u", 200 + (guint) getpid () % 50);
  WpiSimulator *simulator = wpi_simulator_new (uri, n_phones);
  GError *error = NULL;

  g_object_set (simulator, "bind-prefix", prefix, "base-mac", "00:1A:E8:90:00:01", "pins-file", csv,
                "retry-seconds", 1.0, "restart-seconds", 0.2, "pin-interval", 0.2, NULL);
  if (!wpi_simulator_start (simulator, &error))
    bench_die ("the simulated phones", error);
  if (!bench_wait_until (all_registered, simulator, REGISTER_SECONDS))
    bench_die ("the phones' registration", NULL);
  return simulator;
}

/* Every phone's current PIN verified; the store is read every POLL_US */
static gboolean
all_verified (gpointer data)
{
  Run *run = data;
  g_autoptr(GPtrArray) pins = NULL;

  if (g_get_monotonic_time () < run->next_poll)
    return FALSE;
  run->next_poll = g_get_monotonic_time () + POLL_US;
  pins = wpi_store_pin_list (run->store, TRUE, NULL);
  run->verified = 0;
  for (guint i = 0; pins != NULL && i < pins->len; i++)
    run->verified += ((WpiPinRecord *) g_ptr_array_index (pins, i))->state == WPI_PIN_STATE_VERIFIED;
  return run->verified >= run->n_phones;
}

/* ---- The handout ------------------------------------------------------------------------ */

/* What the technician does: PINs, the slips, handed out, the CSV for the simulated users.
 * Returns the seconds of the first three. */
static double
hand_out (const char *data_dir,
          WpiStore   *store,
          guint       secure_port,
          const char *csv)
{
  g_autofree char *pdf = g_build_filename (data_dir, "handout.pdf", NULL);
  g_autoptr(WpiHandoutResult) result = NULL;
  g_auto(GStrv) macs = NULL;
  WpiBootstrapOptions options;
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  double pins_s, pdf_s, total_s;

  wpi_bootstrap_options_init (&options);
  options.secure_port = secure_port;
  if ((macs = wpi_handout_select_default_mode (store, &error)) == NULL ||
      (result = wpi_handout_prepare (data_dir, NULL, (const char * const *) macs, &options, NULL, NULL,
                                     NULL, &error)) == NULL)
    bench_die ("the handout", error);
  if (result->failures->len > 0)
    bench_die ("a phone of the handout", ((WpiHandoutFailure *) g_ptr_array_index (result->failures, 0))->error);
  pins_s = since (start);
  if (!wpi_handout_write_pdf (result->entries, pdf, WPI_HANDOUT_PAPER_A4, &error))
    bench_die ("the PDF", error);
  pdf_s = since (start) - pins_s;
  if (!wpi_handout_mark_handed_out (store, result->entries, &error))
    bench_die ("marking handed out", error);
  total_s = since (start);
  if (!wpi_handout_write_csv (result->entries, csv, &error))
    bench_die ("the CSV", error);

  printf ("handout:  %u PINs %.3f s, PDF of the slips %.3f s, marked handed out: %.3f s in all "
          "(goal <= 1 s: %s)\n", result->entries->len, pins_s, pdf_s, total_s,
          total_s <= 1.0 ? "met" : "NOT met");
  fflush (stdout);
  return total_s;
}

int
main (int   argc,
      char *argv[])
{
  const char *program = g_getenv ("WPI_HEADLESS_SERVICE");
  guint n_phones = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : DEFAULT_PHONES;
  guint port = test_util_free_port ();
  guint secure_port = test_util_free_port ();
  gboolean exited = FALSE;
  g_autofree char *data_dir = test_util_make_tmp_dir ("bench-secure");
  g_autofree char *log_path = g_build_filename (data_dir, "headless.log", NULL);
  g_autofree char *csv = g_build_filename (data_dir, "handout.csv", NULL);
  g_autofree char *pki_dir = g_build_filename (data_dir, "pki", NULL);
  g_autoptr(GSubprocess) service = NULL;
  g_autoptr(WpiSimulator) simulator = NULL;
  g_autoptr(WpiPki) pki = NULL;
  GError *error = NULL;
  Run run = { n_phones, NULL, 0, 0 };
  Floor floor = { 0 };
  double cpu_before, service_cpu, phones_cpu, floor_s, verified_s;
  gint64 start;

  if (program == NULL || n_phones == 0 || n_phones > 10000)
    {
      fprintf (stderr, "bench-secure [N_PHONES]: set WPI_HEADLESS_SERVICE (meson test --suite bench does)\n");
      return 2;
    }
  bench_raise_file_limit ();
  /* as wpi-sim does: the phones check no certificate in Default Mode, load no system CAs */
  g_tls_backend_set_default_database (g_tls_backend_get_default (), wpi_sim_accept_any_database ());

  service = test_util_headless_spawn (program, data_dir, port, secure_port, log_path, &exited);
  test_util_headless_wait_serving (log_path, port, &exited, 120 * 1000);
  printf ("bench-secure: %u phones into Secure Mode with PINs (%u cores; the service's log: %s)\n",
          n_phones, g_get_num_processors (), log_path);
  fflush (stdout);
  simulator = register_phones (port, n_phones, csv);

  if ((pki = wpi_pki_new (pki_dir, NULL, &error)) == NULL ||
      (run.store = wpi_store_open (data_dir, &error)) == NULL)
    bench_die ("the service's data", error);
  measure_floor (pki, &floor);
  floor_s = floor.key + floor.kdf + floor.mac;

  /* 1 and 2 */
  cpu_before = bench_process_cpu_seconds (service);
  phones_cpu = bench_self_cpu_seconds ();
  start = g_get_monotonic_time ();
  hand_out (data_dir, run.store, secure_port, csv);
  if (!bench_wait_until (all_verified, &run, VERIFY_SECONDS))
    {
      printf ("ERROR: only %u of %u PINs verified after %d s (the service's log: %s)\n", run.verified,
              n_phones, VERIFY_SECONDS, log_path);
      return 1;
    }
  verified_s = since (start);
  service_cpu = bench_process_cpu_seconds (service) - cpu_before;
  phones_cpu = bench_self_cpu_seconds () - phones_cpu;

  printf ("verified: all %u PINs \"TAN verified\" %.1f s after the handout began (%.1f phones/s); "
          "%" G_GUINT64_FORMAT " failed flows on the way\n", n_phones, verified_s, n_phones / verified_s,
          wpi_simulator_get_flows_failed (simulator));
  printf ("floor:    %.1f ms a phone = RSA-%u key %.1f ms + PBKDF2 of D8 (%u iterations) %.1f ms "
          "+ PKCS#12 MAC %.1f ms (mean of %u)\n", floor_s * 1000, wpi_pki_get_key_bits (pki),
          floor.key * 1000, WPI_BUNDLE_DEFAULT_ITERATIONS, floor.kdf * 1000, floor.mac * 1000, FLOOR_ROUNDS);
  printf ("service:  CPU %.1f s = %.1f ms a phone, %.2f times the floor (goal <= 1.3: %s); "
          "the phones' CPU (this process) %.1f ms a phone\n", service_cpu, service_cpu * 1000 / n_phones,
          service_cpu / n_phones / floor_s, service_cpu / n_phones <= 1.3 * floor_s ? "met" : "NOT met",
          phones_cpu * 1000 / n_phones);
  fflush (stdout);

  wpi_simulator_stop (simulator);
  bench_wait_until (test_util_simulator_is_quiet, simulator, 10);
  g_subprocess_send_signal (service, SIGTERM);
  if (!g_subprocess_wait_check (service, NULL, &error))
    bench_die ("the service's exit", error);
  g_clear_object (&run.store);
  test_util_remove_tree (data_dir);
  printf ("bench-secure: no errors\n");
  return 0;
}
