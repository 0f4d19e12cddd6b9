/* test-config-diff.c: comparing phones with phones and profiles, and the copy jobs made
 * of the differences (wpi-config-diff.h, D27) */
#include "config.h"

#include <string.h>

#include "wpi-config-diff.h"
#include "test-util-store.h"

#define MAC_SOURCE "00:1A:E8:00:00:01"
#define MAC_TARGET "00:1A:E8:00:00:02"
#define MAC_OTHER  "00:1A:E8:00:00:03"

/* The source phone's configuration; the target's differs as `target` below says */
static const WpiStoreItem source_items[] = {
  { .name = (char *) "mac-addr", .value = (char *) MAC_SOURCE },        /* identity */
  { .name = (char *) "e164", .value = (char *) "100" },                 /* identity */
  { .name = (char *) "ipaddress", .value = (char *) "192.0.2.1" },      /* identity */
  { .name = (char *) "sip-transport-user", .value = (char *) "2" },     /* sip: differs */
  { .name = (char *) "admin-pwd", .value = (char *) "secret-1" },       /* security, secret: differs */
  { .name = (char *) "country-iso", .value = (char *) "DE" },           /* locale: same */
  { .name = (char *) "language-iso", .value = (char *) "de" },          /* locale: target lacks */
  { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 2, .value = (char *) "Two" },
  { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 1, .value = (char *) "One" },
  { .name = (char *) "configuration-changed-flag", .value = (char *) "true" }, /* read-only */
  { .name = (char *) "x-vendor-thing", .value = (char *) "a" },         /* unknown to the catalogue */
  { .name = (char *) "sip-transport-user", .value = (char *) "1" },     /* not a duplicate: later wins */
};

static const WpiStoreItem target_items[] = {
  { .name = (char *) "mac-addr", .value = (char *) MAC_TARGET },
  { .name = (char *) "e164", .value = (char *) "200" },
  { .name = (char *) "ipaddress", .value = (char *) "192.0.2.2" },
  { .name = (char *) "sip-transport-user", .value = (char *) "0" },
  { .name = (char *) "admin-pwd", .value = (char *) "secret-2" },
  { .name = (char *) "country-iso", .value = (char *) "DE" },
  { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 1, .value = (char *) "Uno" },
  { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 2, .value = (char *) "Two" },
  { .name = (char *) "configuration-changed-flag", .value = (char *) "false" },
  { .name = (char *) "x-vendor-thing", .value = (char *) "b" },
  { .name = (char *) "sntp-addr", .value = (char *) "ntp.example" },  /* source lacks */
};

/* What the comparison of target against source is, in order: category, item, source
 * value, target value and flags ("s" secret, "w" written by a copy) */
static const char * const expected[][5] = {
  { "provisioning", "configuration-changed-flag", "true", "false", "" },
  { "sip", "sip-transport-user", "1", "0", "w" },
  { "keys", "key-label-unicode[1]", "One", "Uno", "w" },
  { "locale", "language-iso", "de", NULL, "w" },
  { "locale", "sntp-addr", NULL, "ntp.example", "" },
  { "security", "admin-pwd", "secret-1", "secret-2", "sw" },
  { "other", "x-vendor-thing", "a", "b", "" },
};

/* Which items are identity items (D27) */
static const struct {
  const char *name;
  gboolean    identity;
} identity_cases[] = {
  { "mac-addr", TRUE }, { "e164", TRUE }, { "ipaddress", TRUE }, { "hostname", TRUE },
  { "software-version", TRUE }, { "reg-number", TRUE }, { "sip-pwd", TRUE },
  { "secure-mode-data", TRUE }, { "file-name", TRUE }, { "display-id", TRUE },
  { "sip-transport-user", FALSE }, { "admin-pwd", FALSE }, { "vlan-id", FALSE },
  { "x-vendor-thing", FALSE },
};

typedef struct {
  TestUtilStore base;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  test_util_store_setup (&fixture->base, data);
  test_util_store_add_phone (fixture->base.store, MAC_SOURCE, "100", source_items, G_N_ELEMENTS (source_items));
  test_util_store_add_phone (fixture->base.store, MAC_TARGET, "200", target_items, G_N_ELEMENTS (target_items));
  test_util_store_add_phone (fixture->base.store, MAC_OTHER, "300", source_items, G_N_ELEMENTS (source_items));
}

static char *
difference_key (const WpiConfigDifference *difference)
{
  if (difference->has_index)
    return g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", difference->name, difference->index);
  return g_strdup (difference->name);
}

/* Grouping by category in catalogue order, identity left out, secrets flagged, only
 * writable ones marked for a copy */
static void
test_diff_phones (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) differences =
    wpi_config_diff_phones (fixture->base.store, wpi_catalogue_get_default (), MAC_SOURCE, MAC_TARGET, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (differences->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < differences->len; i++)
    {
      const WpiConfigDifference *difference = g_ptr_array_index (differences, i);
      g_autofree char *key = difference_key (difference);

      g_assert_cmpstr (difference->category, ==, expected[i][0]);
      g_assert_cmpstr (key, ==, expected[i][1]);
      g_assert_cmpstr (difference->source_value, ==, expected[i][2]);
      g_assert_cmpstr (difference->target_value, ==, expected[i][3]);
      g_assert_cmpint (difference->secret, ==, strchr (expected[i][4], 's') != NULL);
      g_assert_cmpint (difference->writable, ==, strchr (expected[i][4], 'w') != NULL);
    }
}

static void
test_diff_identity (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (identity_cases); i++)
    g_assert_cmpint (wpi_config_diff_is_identity (wpi_catalogue_get_default (), identity_cases[i].name), ==,
                     identity_cases[i].identity);
}

/* A profile: only its items, placeholders filled in for the compared phone */
static void
test_diff_profile (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) differences = NULL;
  const WpiStoreItem profile[] = {
    { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 1, .value = (char *) "Line {e164}" },
    { .name = (char *) "key-label-unicode", .has_index = TRUE, .index = 2, .value = (char *) "Two" },
    { .name = (char *) "sntp-addr", .value = (char *) "ntp-{mac}.example" },
    { .name = (char *) "e164", .value = (char *) "{e164}9" },
  };
  const WpiConfigDifference *first, *second;

  g_assert_true (wpi_store_profile_set (fixture->base.store, "office", profile, G_N_ELEMENTS (profile), &error));
  g_assert_no_error (error);
  differences = wpi_config_diff_profile (fixture->base.store, wpi_catalogue_get_default (), "office",
                                         MAC_TARGET, &error);
  g_assert_no_error (error);

  /* key 2 agrees, e164 is identity, the target's other items are none of the profile's */
  g_assert_cmpuint (differences->len, ==, 2);
  first = g_ptr_array_index (differences, 0);
  second = g_ptr_array_index (differences, 1);
  g_assert_cmpstr (first->name, ==, "key-label-unicode");
  g_assert_cmpstr (first->source_value, ==, "Line 200");
  g_assert_cmpstr (first->target_value, ==, "Uno");
  g_assert_cmpstr (second->name, ==, "sntp-addr");
  g_assert_cmpstr (second->source_value, ==, "ntp-" MAC_TARGET ".example");

  g_clear_pointer (&differences, g_ptr_array_unref);
  differences = wpi_config_diff_profile (fixture->base.store, wpi_catalogue_get_default (), "nope",
                                         MAC_TARGET, &error);
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_assert_null (differences);
}

static void
assert_job_items (WpiStore           *store,
                  gint64              job_id,
                  const char * const *keys,
                  const char * const *values)
{
  g_autoptr(WpiJobRecord) job = test_util_store_job_get (store, job_id);

  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_WRITE_ITEMS);
  g_assert_cmpuint (job->items->len, ==, g_strv_length ((char **) keys));
  for (guint i = 0; i < job->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, i);
      g_autofree char *key = item->has_index ? g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", item->name, item->index)
                                             : g_strdup (item->name);

      g_assert_cmpstr (key, ==, keys[i]);
      g_assert_cmpstr (item->value, ==, values[i]);
    }
}

/* Only the differences, only what may be written; a target that already agrees gets
 * no job */
static void
test_copy_jobs (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) job_ids = NULL;
  const char *targets[] = { MAC_TARGET, MAC_OTHER, NULL };
  const char *keys[] = { "sip-transport-user", "key-label-unicode[1]", "language-iso", "admin-pwd", NULL };
  const char *values[] = { "1", "One", "de", "secret-1", NULL };

  g_assert_true (wpi_config_copy_enqueue (fixture->base.store, wpi_catalogue_get_default (), MAC_SOURCE,
                                          targets, &job_ids, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (job_ids->len, ==, 2);
  g_assert_cmpint (g_array_index (job_ids, gint64, 1), ==, 0);
  assert_job_items (fixture->base.store, g_array_index (job_ids, gint64, 0), keys, values);
}

/* A bad target anywhere queues nothing at all */
static void
test_copy_refused (Fixture       *fixture,
                   gconstpointer  data)
{
  static const struct {
    const char *targets[3];
    int         code;
  } cases[] = {
    { { MAC_TARGET, "00:1A:E8:99:99:99", NULL }, WPI_STORE_ERROR_NOT_FOUND },
    { { MAC_TARGET, "001ae8000001", NULL }, WPI_STORE_ERROR_INVALID },
    { { MAC_TARGET, "not a mac", NULL }, WPI_STORE_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) job_ids = NULL;
      g_autoptr(GPtrArray) pending = NULL;

      g_assert_false (wpi_config_copy_enqueue (fixture->base.store, wpi_catalogue_get_default (), MAC_SOURCE,
                                               cases[i].targets, &job_ids, &error));
      g_assert_error (error, WPI_STORE_ERROR, cases[i].code);
      g_assert_null (job_ids);
      pending = wpi_store_job_list_pending (fixture->base.store, NULL, &error);
      g_assert_cmpuint (pending->len, ==, 0);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/config-diff/phones", Fixture, NULL, fixture_setup, test_diff_phones,
              (void (*) (Fixture *, gconstpointer)) test_util_store_teardown);
  g_test_add_func ("/config-diff/identity", test_diff_identity);
  g_test_add ("/config-diff/profile", Fixture, NULL, fixture_setup, test_diff_profile,
              (void (*) (Fixture *, gconstpointer)) test_util_store_teardown);
  g_test_add ("/config-diff/copy-jobs", Fixture, NULL, fixture_setup, test_copy_jobs,
              (void (*) (Fixture *, gconstpointer)) test_util_store_teardown);
  g_test_add ("/config-diff/copy-refused", Fixture, NULL, fixture_setup, test_copy_refused,
              (void (*) (Fixture *, gconstpointer)) test_util_store_teardown);

  return g_test_run ();
}
