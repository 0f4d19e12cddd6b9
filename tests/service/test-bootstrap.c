/* test-bootstrap.c: the bootstrap bundles' builders (wpi-bootstrap-builder.h)
 *
 * A real store and the ready-made test PKI in a temporary directory; the jobs' recipes
 * come from wpi_bootstrap_prepare(). The builders make real RSA keys, so each test asks
 * for few bundles.
 */
#include "config.h"

#include <string.h>

#include "wpi-bootstrap-builder.h"
#include "wpi-pin.h"
#include "test-util-service.h"

#define WAIT_MS   (120 * 1000)
#define N_PHONES  4

typedef struct {
  char                *data_dir;
  WpiStore            *store;
  WpiPki              *pki;
  WpiBootstrapBuilder *builder;
  GPtrArray           *built;     /* WpiBootstrapBundle, in the order they came */
  GThread             *thread;    /* where they must come */
} Fixture;

static char *
phone_mac (guint index)
{
  return g_strdup_printf ("00:1A:E8:00:20:%02X", index);
}

static void
on_built (WpiBootstrapBundle *bundle,
          gpointer            user_data)
{
  Fixture *f = user_data;

  g_assert_true (g_thread_self () == f->thread);
  g_ptr_array_add (f->built, bundle);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *pki_dir = NULL;
  g_autoptr(GError) error = NULL;

  f->data_dir = test_util_make_tmp_dir ("wpi-bootstrap");
  test_util_install_pki (f->data_dir);
  pki_dir = g_build_filename (f->data_dir, "pki", NULL);
  f->pki = wpi_pki_new (pki_dir, NULL, &error);
  g_assert_no_error (error);
  f->store = wpi_store_open (f->data_dir, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_PHONES; i++)
    {
      g_autofree char *mac = phone_mac (i);
      g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (mac);

      wpi_store_phone_upsert (f->store, phone, WPI_PHONE_FIELD_MODE, NULL, &error);
      g_assert_no_error (error);
    }
  f->built = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_bootstrap_bundle_free);
  f->thread = g_thread_self ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->builder, wpi_bootstrap_builder_free);
  test_util_drain_main_context ();
  g_clear_pointer (&f->built, g_ptr_array_unref);
  g_clear_object (&f->store);
  g_clear_object (&f->pki);
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
}

/* The phone's bootstrap job as the store holds it, with its PIN (or without) */
static WpiJobRecord *
queue_job (Fixture   *f,
           guint      phone,
           gboolean   with_pin,
           char     **pin)
{
  g_autofree char *mac = phone_mac (phone);
  g_autoptr(GError) error = NULL;
  WpiBootstrapOptions options;
  WpiJobRecord *job;
  gint64 id;

  wpi_bootstrap_options_init (&options);
  options.with_pin = with_pin;
  id = wpi_bootstrap_prepare (f->store, mac, &options, pin, &error);
  g_assert_no_error (error);
  job = wpi_store_job_get (f->store, id, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_bootstrap_job_needs_bundle (job));
  return job;
}

static void
request (Fixture            *f,
         const WpiJobRecord *job,
         const char         *pin,
         gboolean            urgent)
{
  wpi_bootstrap_builder_request (f->builder, job->id, job->mac, job->items, pin, pin != NULL ? 1 : 0,
                                 1000, urgent);
}

typedef struct {
  Fixture *f;
  guint    n;
} Count;

static gboolean
n_built (gpointer data)
{
  Count *count = data;

  return count->f->built->len >= count->n;
}

static void
wait_built (Fixture *f,
            guint    n)
{
  Count count = { f, n };

  test_util_wait_until (n_built, &count, WAIT_MS, "the bundles");
}

static const char *
item_value (GArray     *items,
            const char *name)
{
  for (guint i = 0; i < items->len; i++)
    if (strcmp (g_array_index (items, WpiStoreItem, i).name, name) == 0)
      return g_array_index (items, WpiStoreItem, i).value;
  return NULL;
}

/* The recipes of flows A and B become their WriteItems (protocol.md §7.15 step 2) */
static void
test_build (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(WpiJobRecord) nopin = queue_job (f, 0, FALSE, NULL);
  g_autofree char *pin = NULL;
  g_autoptr(WpiJobRecord) with_pin = queue_job (f, 1, TRUE, &pin);
  g_autoptr(WpiBootstrapData) opened = NULL;
  g_autoptr(GError) error = NULL;
  const WpiBootstrapBundle *a, *b;

  f->builder = wpi_bootstrap_builder_new (f->pki, 2, 0, NULL, on_built, f);
  request (f, nopin, NULL, FALSE);
  request (f, with_pin, pin, FALSE);
  /* asked again while waiting or being built: still one bundle */
  request (f, nopin, NULL, TRUE);
  wait_built (f, 2);
  test_util_drain_main_context ();
  g_assert_cmpuint (f->built->len, ==, 2);

  a = g_ptr_array_index (f->built, 0);
  b = g_ptr_array_index (f->built, 1);
  if (a->job_id != nopin->id)
    {
      const WpiBootstrapBundle *first = a;

      a = b;
      b = first;
    }
  g_assert_no_error (a->error);
  g_assert_cmpstr (item_value (a->items, "goto-secure-mode"), ==, "nopin");
  g_assert_nonnull (item_value (a->items, "dls-client-certificate"));
  g_assert_true (g_str_has_prefix (item_value (a->items, "dls-server-ca"), "-----BEGIN CERTIFICATE-----"));
  g_assert_cmpstr (item_value (a->items, "dls-secure-port"), ==, "18444");
  g_assert_cmpint (a->pin_id, ==, 0);

  g_assert_no_error (b->error);
  g_assert_cmpint (b->job_id, ==, with_pin->id);
  g_assert_cmpint (b->pin_id, ==, 1);
  g_assert_cmpstr (item_value (b->items, "goto-secure-mode"), ==, "pin");
  g_assert_cmpstr (item_value (b->items, "max-pin-retries"), ==, "3");
  /* the port travels inside the bundle (D8), the PKCS#12 too */
  g_assert_null (item_value (b->items, "dls-secure-port"));
  g_assert_null (item_value (b->items, "dls-client-certificate"));
  opened = wpi_bundle_open (item_value (b->items, "secure-mode-data"), pin, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (opened->secure_port, ==, 18444);
  g_assert_nonnull (opened->client_certificate);
}

/* One builder, busy with the first of three background bundles: an urgent one comes
 * next, before the other two */
static void
test_urgent_first (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_job_record_free);
  const WpiBootstrapBundle *urgent = NULL;
  guint urgent_at = 0;

  for (guint i = 0; i < N_PHONES; i++)
    g_ptr_array_add (jobs, queue_job (f, i, FALSE, NULL));
  f->builder = wpi_bootstrap_builder_new (f->pki, 1, 0, NULL, on_built, f);
  for (guint i = 0; i < N_PHONES - 1; i++)
    request (f, g_ptr_array_index (jobs, i), NULL, FALSE);
  request (f, g_ptr_array_index (jobs, N_PHONES - 1), NULL, TRUE);
  wait_built (f, N_PHONES);

  for (guint i = 0; i < f->built->len; i++)
    {
      const WpiBootstrapBundle *bundle = g_ptr_array_index (f->built, i);

      g_assert_no_error (bundle->error);
      if (bundle->job_id == ((WpiJobRecord *) g_ptr_array_index (jobs, N_PHONES - 1))->id)
        {
          urgent = bundle;
          urgent_at = i;
        }
    }
  g_assert_nonnull (urgent);
  g_assert_cmpuint (urgent_at, <=, 1);
  g_assert_cmpuint (wpi_bootstrap_builder_get_n_waiting (f->builder), ==, 0);
}

static gboolean
has_spare_key (gpointer data)
{
  return wpi_bootstrap_builder_get_n_spare_keys (data) == 1;
}

/* A key made in advance goes to a phone that waits, and another takes its place; the
 * background makes its own */
static void
test_spare_keys (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(WpiJobRecord) background = queue_job (f, 0, FALSE, NULL);
  g_autoptr(WpiJobRecord) urgent = queue_job (f, 1, FALSE, NULL);
  const WpiBootstrapBundle *bundle;

  f->builder = wpi_bootstrap_builder_new (f->pki, 1, 1, NULL, on_built, f);
  g_assert_cmpuint (wpi_bootstrap_builder_get_n_spare_keys (f->builder), ==, 0);
  request (f, background, NULL, FALSE);
  wait_built (f, 1);
  test_util_wait_until (has_spare_key, f->builder, WAIT_MS, "a key in stock");
  bundle = g_ptr_array_index (f->built, 0);
  g_assert_cmpint (bundle->timings.key_us, >, 0);

  request (f, urgent, NULL, TRUE);
  wait_built (f, 2);
  bundle = g_ptr_array_index (f->built, 1);
  g_assert_no_error (bundle->error);
  g_assert_cmpint (bundle->job_id, ==, urgent->id);
  g_assert_cmpint (bundle->timings.key_us, ==, 0);
  test_util_wait_until (has_spare_key, f->builder, WAIT_MS, "the stock made up again");
}

/* Forgotten requests are not built; free() waits for the one being built and hands
 * nothing over after it */
static void
test_forget_and_free (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WpiJobRecord) first = queue_job (f, 0, FALSE, NULL);
  g_autoptr(WpiJobRecord) forgotten = queue_job (f, 1, FALSE, NULL);
  g_autoptr(WpiJobRecord) dropped = queue_job (f, 2, FALSE, NULL);

  f->builder = wpi_bootstrap_builder_new (f->pki, 1, 0, NULL, on_built, f);
  request (f, first, NULL, FALSE);
  request (f, forgotten, NULL, FALSE);
  wpi_bootstrap_builder_forget (f->builder, forgotten->id);
  wait_built (f, 1);
  test_util_drain_main_context ();
  g_assert_cmpuint (f->built->len, ==, 1);
  g_assert_cmpint (((WpiBootstrapBundle *) g_ptr_array_index (f->built, 0))->job_id, ==, first->id);
  g_assert_cmpuint (wpi_bootstrap_builder_get_n_waiting (f->builder), ==, 0);

  request (f, dropped, NULL, FALSE);
  g_clear_pointer (&f->builder, wpi_bootstrap_builder_free);
  test_util_drain_main_context ();
  g_assert_cmpuint (f->built->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/bootstrap/build", test_build);
  ADD ("/bootstrap/urgent-first", test_urgent_first);
  ADD ("/bootstrap/spare-keys", test_spare_keys);
  ADD ("/bootstrap/forget-and-free", test_forget_and_free);
#undef ADD

  return g_test_run ();
}
