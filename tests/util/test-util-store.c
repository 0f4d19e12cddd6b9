/* test-util-store.c: a WpiStore in a temporary directory (see test-util-store.h) */
#include "test-util-store.h"

WpiStore *
test_util_store_open (const char *dir)
{
  g_autoptr(GError) error = NULL;
  WpiStore *store = wpi_store_open (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

void
test_util_store_setup (TestUtilStore *fixture,
                       gconstpointer  data)
{
  g_autofree char *program = g_path_get_basename (g_get_prgname ());

  fixture->tmp = test_util_make_tmp_dir (program);
  fixture->dir = g_build_filename (fixture->tmp, "store", NULL);
  fixture->store = test_util_store_open (fixture->dir);
}

void
test_util_store_teardown (TestUtilStore *fixture,
                          gconstpointer  data)
{
  g_clear_object (&fixture->store);
  test_util_remove_tree (fixture->tmp);
  g_clear_pointer (&fixture->tmp, g_free);
  g_clear_pointer (&fixture->dir, g_free);
}

WpiTrafficRecord *
test_util_traffic_record_new (guint  i,
                              gint64 step_us)
{
  WpiTrafficRecord *record = wpi_traffic_record_new ();

  record->time_us = G_GINT64_CONSTANT (1700000000000000) + (gint64) i * step_us;
  record->direction = i % 2 == 0 ? WPI_TRAFFIC_DIRECTION_IN : WPI_TRAFFIC_DIRECTION_OUT;
  record->port = 18443;
  return record;
}

void
test_util_store_fill (WpiStore           *store,
                      TestUtilRecordFunc  make_record,
                      guint               first,
                      guint               n)
{
  g_autoptr(GError) error = NULL;

  for (guint done = 0; done < n; )
    {
      guint batch = MIN (10000, n - done);

      g_assert_true (wpi_store_transaction_begin (store, &error));
      g_assert_no_error (error);
      for (guint i = 0; i < batch; i++)
        {
          g_autoptr(WpiTrafficRecord) record = make_record (first + done + i);

          g_assert_true (wpi_store_traffic_append (store, record, NULL, &error));
          g_assert_no_error (error);
        }
      g_assert_true (wpi_store_transaction_commit (store, &error));
      g_assert_no_error (error);
      done += batch;
    }
}

WpiJobRecord *
test_util_store_job_get (WpiStore *store,
                         gint64    id)
{
  g_autoptr(GError) error = NULL;
  WpiJobRecord *job = wpi_store_job_get (store, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (job);
  return job;
}

WpiPhoneRecord *
test_util_store_phone_get (WpiStore   *store,
                           const char *mac)
{
  g_autoptr(GError) error = NULL;
  WpiPhoneRecord *phone = wpi_store_phone_get (store, mac, &error);

  g_assert_no_error (error);
  g_assert_nonnull (phone);
  return phone;
}

void
test_util_store_add_phone (WpiStore           *store,
                           const char         *mac,
                           const char         *e164,
                           const WpiStoreItem *items,
                           gsize               n_items)
{
  g_autoptr(GError) error = NULL;
  /* borrowed strings: upsert only reads the record */
  const WpiPhoneRecord record = { .mac = (char *) mac, .e164 = (char *) e164, .ip = (char *) "127.0.0.1" };

  if (!wpi_store_phone_upsert (store, &record, WPI_PHONE_FIELD_E164 | WPI_PHONE_FIELD_IP, NULL, &error) ||
      !wpi_store_phone_items_replace (store, mac, items, n_items, g_get_real_time (), 0, &error))
    g_error ("Could not add the phone %s: %s", mac, error->message);
}

/* The configurations test_util_store_seed_configs() stores (see the header) */
static const WpiStoreItem config_items_a[] = {
  { .name = (char *) "e164", .value = (char *) "100" },
  { .name = (char *) "sip-transport-user", .value = (char *) "1" },
  { .name = (char *) "admin-pwd", .value = (char *) "secret-1" },
  { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 1, .value = (char *) "One" },
  { .name = (char *) "configuration-changed-flag", .value = (char *) "true" },
};

static const WpiStoreItem config_items_b[] = {
  { .name = (char *) "e164", .value = (char *) "200" },
  { .name = (char *) "sip-transport-user", .value = (char *) "0" },
  { .name = (char *) "admin-pwd", .value = (char *) "secret-2" },
  { .name = (char *) "configuration-changed-flag", .value = (char *) "false" },
};

static const WpiStoreItem config_profile_items[] = {
  { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 1, .value = (char *) "Line {e164}" },
};

void
test_util_store_seed_configs (WpiStore *store)
{
  g_autoptr(GError) error = NULL;

  test_util_store_add_phone (store, TEST_UTIL_CONFIG_MAC_A, "100", config_items_a, G_N_ELEMENTS (config_items_a));
  test_util_store_add_phone (store, TEST_UTIL_CONFIG_MAC_B, "200", config_items_b, G_N_ELEMENTS (config_items_b));
  test_util_store_add_phone (store, TEST_UTIL_CONFIG_MAC_C, "300", config_items_a, G_N_ELEMENTS (config_items_a));
  if (!wpi_store_profile_set (store, TEST_UTIL_CONFIG_PROFILE, config_profile_items,
                              G_N_ELEMENTS (config_profile_items), &error))
    g_error ("Could not store the profile: %s", error->message);
}
