/* bench-pki.c: what a bulk PIN handout costs per phone (issue 4 §6).
 *
 * Measures N phones (default 50) step by step on one thread, then the whole pipeline
 * on every core, and extrapolates linearly to 500 phones. Run with
 *   meson test -C _build --benchmark --suite bench -v
 * or directly: _build/tests/bench-pki [N]
 */
#include "config.h"

#include <stdlib.h>

#include <glib/gstdio.h>

#include "wpi-bundle.h"
#include "wpi-pin.h"
#include "wpi-pki.h"
#include "test-util.h"

#define TARGET_PHONES 500

typedef struct {
  WpiPki *pki;
  guint   index;
  char   *key_pem;
  WpiClientCert *cert;
  char   *p12;
  char   *pin;
  char   *bundle;
} Phone;

static char *
phone_mac (guint index)
{
  return g_strdup_printf ("02:00:00:%02X:%02X:%02X", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff);
}

static void
check (GError *error)
{
  if (error != NULL)
    g_error ("%s", error->message);
}

static void
phone_clear (Phone *phone)
{
  g_free (phone->key_pem);
  g_clear_pointer (&phone->cert, wpi_client_cert_free);
  g_free (phone->p12);
  g_free (phone->pin);
  g_free (phone->bundle);
}

static void
step_key (Phone *phone)
{
  GError *error = NULL;

  phone->key_pem = wpi_pki_generate_key_pem (phone->pki, &error);
  check (error);
}

static void
step_cert (Phone *phone)
{
  g_autofree char *mac = phone_mac (phone->index);
  GError *error = NULL;

  phone->cert = wpi_pki_issue_client_cert (phone->pki, mac, phone->key_pem, &error);
  check (error);
}

static void
step_p12 (Phone *phone)
{
  GError *error = NULL;

  phone->p12 = wpi_pki_export_client_p12_base64 (phone->pki, phone->cert, &error);
  check (error);
}

static void
step_bundle (Phone *phone)
{
  g_auto(GStrv) cas = wpi_pki_get_ca_pems (phone->pki);
  g_autoptr(WpiBootstrapData) data = wpi_bootstrap_data_new (phone->p12, (const char * const *) cas, 18444);
  GError *error = NULL;

  phone->pin = wpi_pin_generate (WPI_PIN_DEFAULT_LENGTH, &error);
  check (error);
  phone->bundle = wpi_bundle_seal (data, phone->pin, 0, &error);
  check (error);
}

typedef void (*Step) (Phone *phone);

static double
time_step (Phone *phones,
           guint  n,
           Step   step)
{
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++)
    step (&phones[i]);

  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static void
report (const char *what,
        double      seconds,
        guint       n)
{
  g_print ("  %-34s %8.3f s for %u  %8.1f ms/phone  %8.1f s for %d (extrapolated)\n",
           what, seconds, n, 1000.0 * seconds / n, seconds * TARGET_PHONES / n, TARGET_PHONES);
}

static void
whole_phone (gpointer data,
             gpointer user_data)
{
  Phone *phone = data;

  step_key (phone);
  step_cert (phone);
  step_p12 (phone);
  step_bundle (phone);
}

int
main (int   argc,
      char *argv[])
{
  guint n = argc > 1 ? (guint) atoi (argv[1]) : 50;
  guint n_threads = g_get_num_processors ();
  g_autofree char *root = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(WpiPki) pki = NULL;
  g_autofree Phone *phones = NULL;
  GThreadPool *pool;
  GError *error = NULL;
  double keys, certs, p12s, bundles, parallel;
  gint64 start;

  if (n == 0)
    n = 50;

  root = test_util_make_tmp_dir ("wpi-bench-pki");
  dir = g_build_filename (root, "pki", NULL);

  start = g_get_monotonic_time ();
  pki = wpi_pki_new (dir, NULL, &error);
  check (error);
  g_print ("PKI benchmark, RSA-%u phone keys, %u phones per step\n", wpi_pki_get_key_bits (pki), n);
  g_print ("  %-34s %8.3f s\n", "CA + server certificate (once)",
           (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);

  phones = g_new0 (Phone, n);
  for (guint i = 0; i < n; i++)
    {
      phones[i].pki = pki;
      phones[i].index = i;
    }

  keys = time_step (phones, n, step_key);
  certs = time_step (phones, n, step_cert);
  p12s = time_step (phones, n, step_p12);
  bundles = time_step (phones, n, step_bundle);

  g_print ("One thread:\n");
  report ("key generation", keys, n);
  report ("certificate signing (+ files)", certs, n);
  report ("PKCS#12 export (D7)", p12s, n);
  report ("PIN + bundle sealing (D8)", bundles, n);
  report ("total", keys + certs + p12s + bundles, n);

  for (guint i = 0; i < n; i++)
    {
      phone_clear (&phones[i]);
      phones[i].index = n + i;
    }

  /* The handout runs off the main thread; with a pool it uses every core. */
  start = g_get_monotonic_time ();
  pool = g_thread_pool_new (whole_phone, NULL, n_threads, TRUE, &error);
  check (error);
  for (guint i = 0; i < n; i++)
    g_thread_pool_push (pool, &phones[i], NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  parallel = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  g_print ("%u threads (all steps per phone):\n", n_threads);
  report ("total", parallel, n);
  g_print ("The %d-phone figures are extrapolated linearly from %u phones, not measured.\n",
           TARGET_PHONES, n);

  for (guint i = 0; i < n; i++)
    phone_clear (&phones[i]);
  g_clear_object (&pki);
  test_util_remove_tree (root);

  return 0;
}
