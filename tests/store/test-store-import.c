/* test-store-import.c: phone lists imported ahead of the phones (D24): all or nothing,
 * idempotent, expected until the first contact, jobs for phones that called already */
#include "config.h"

#include <string.h>

#include "wpi-store.h"
#include "test-util-store.h"

#define MAC_1 "00:1A:E8:00:00:01"
#define MAC_2 "00:1A:E8:00:00:02"

static const char *const list_text =
  "mac;number;location;sip-user-id;sip-pwd\r\n"
  "00:1A:E8:00:00:01;3001;Room 1;3001;secret1\r\n"
  "00:1A:E8:00:00:02;3002;Room 2;3002;secret2\r\n";

static void
assert_counts (const guint counts[3],
               guint       added,
               guint       updated,
               guint       unchanged)
{
  g_assert_cmpuint (counts[WPI_IMPORT_OUTCOME_ADDED], ==, added);
  g_assert_cmpuint (counts[WPI_IMPORT_OUTCOME_UPDATED], ==, updated);
  g_assert_cmpuint (counts[WPI_IMPORT_OUTCOME_UNCHANGED], ==, unchanged);
}

static guint
count_phones (WpiStore *store)
{
  g_autoptr(GPtrArray) phones = wpi_store_phone_list (store, NULL);

  g_assert_nonnull (phones);
  return phones->len;
}

static guint
count_pending_jobs (WpiStore   *store,
                    const char *mac)
{
  g_autoptr(GPtrArray) jobs = wpi_store_job_list_pending (store, mac, NULL);

  g_assert_nonnull (jobs);
  return jobs->len;
}

/* Added, then the same list again changes nothing; a changed row updates that phone */
static void
test_import_idempotent (TestUtilStore *fixture,
                        gconstpointer  data)
{
  guint counts[3];
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(WpiPhoneRecord) other = NULL;

  test_util_store_import (fixture->store, list_text, FALSE, counts);
  assert_counts (counts, 2, 0, 0);
  phone = test_util_store_phone_get (fixture->store, MAC_1);
  g_assert_true (phone->expected);
  g_assert_cmpstr (phone->e164, ==, "3001");
  g_assert_cmpstr (phone->location, ==, "Room 1");
  g_assert_cmpint (phone->last_contact_us, ==, 0);
  /* nothing to do before the phone calls: no job would know where to go */
  g_assert_cmpuint (count_pending_jobs (fixture->store, MAC_1), ==, 0);

  test_util_store_import (fixture->store, list_text, FALSE, counts);
  assert_counts (counts, 0, 0, 2);

  test_util_store_import (fixture->store,
                          "MAC,Location,SIP-PWD\n"
                          "00:1A:E8:00:00:01,Room 1,secret1\n"
                          "00:1A:E8:00:00:02,Room 2b,secret2\n", FALSE, counts);
  assert_counts (counts, 0, 1, 1);
  other = test_util_store_phone_get (fixture->store, MAC_2);
  g_assert_cmpstr (other->location, ==, "Room 2b");
  g_assert_cmpstr (other->e164, ==, "3002");   /* not given: kept */
  g_assert_true (other->expected);
}

/* A dry run counts as the import would, and leaves the store as it was */
static void
test_import_dry_run (TestUtilStore *fixture,
                     gconstpointer  data)
{
  guint counts[3];

  test_util_store_import (fixture->store, list_text, TRUE, counts);
  assert_counts (counts, 2, 0, 0);
  g_assert_cmpuint (count_phones (fixture->store), ==, 0);
  test_util_store_import (fixture->store, list_text, FALSE, counts);
  assert_counts (counts, 2, 0, 0);
}

/* One bad row (a profile that does not exist) and nothing is stored, not even the rows
 * before it; the error names its line and column */
static void
test_import_all_or_nothing (TestUtilStore *fixture,
                            gconstpointer  data)
{
  static const char *const text =
    "mac,number,location,profile\n"
    "00:1A:E8:00:00:01,3001,Room 1,office\n"
    "00:1A:E8:00:00:02,3002,Room 2,nonesuch\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneList) list = wpi_phone_list_parse (text, strlen (text), wpi_catalogue_get_default (), &error);
  g_autoptr(GArray) no_items = wpi_store_item_array_new ();
  guint counts[3];

  g_assert_no_error (error);
  g_assert_cmpuint (list->problems->len, ==, 0);
  g_assert_true (wpi_store_profile_set (fixture->store, "office", (WpiStoreItem *) (void *) no_items->data, 0, &error));
  g_assert_no_error (error);
  test_util_store_import (fixture->store, "mac,location\n00:1A:E8:00:00:01,Lobby\n", FALSE, counts);

  g_assert_false (wpi_store_phone_import (fixture->store, list->rows, FALSE, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "line 3, column 4 (profile)"));
  g_assert_nonnull (strstr (error->message, "nonesuch"));
  g_assert_cmpuint (count_phones (fixture->store), ==, 1);
  {
    g_autoptr(WpiPhoneRecord) phone = test_util_store_phone_get (fixture->store, MAC_1);

    g_assert_cmpstr (phone->location, ==, "Lobby");
    g_assert_null (phone->profile);
  }
}

/* The service takes a pending import once: its items, and the phone stops being expected */
static void
test_import_take (TestUtilStore *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = NULL;
  g_autoptr(GArray) again = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  guint counts[3];

  test_util_store_import (fixture->store, list_text, FALSE, NULL);
  g_assert_true (wpi_store_phone_import_take (fixture->store, MAC_1, &items, &error));
  g_assert_no_error (error);
  g_assert_nonnull (items);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_cmpstr (g_array_index (items, WpiStoreItem, 0).name, ==, "sip-pwd");
  g_assert_cmpstr (g_array_index (items, WpiStoreItem, 0).value, ==, "secret1");
  phone = test_util_store_phone_get (fixture->store, MAC_1);
  g_assert_false (phone->expected);

  g_assert_true (wpi_store_phone_import_take (fixture->store, MAC_1, &again, &error));
  g_assert_no_error (error);
  g_assert_null (again);
  /* the list again: still nothing new for a phone whose import was applied */
  test_util_store_import (fixture->store, list_text, FALSE, counts);
  assert_counts (counts, 0, 0, 2);
}

/* A phone that has called gets what changed as a job of its own, at once */
static void
test_import_known_phone (TestUtilStore *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) known = wpi_phone_record_new (MAC_1);
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  const WpiJobRecord *job;
  guint counts[3];

  known->last_contact_us = g_get_real_time ();
  g_assert_true (wpi_store_phone_upsert (fixture->store, known, WPI_PHONE_FIELD_LAST_CONTACT, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GArray) items = wpi_store_item_array_new ();

    wpi_store_item_array_add (items, "sip-user-id", FALSE, 0, "3001");
    g_assert_true (wpi_store_phone_items_replace (fixture->store, MAC_1, (WpiStoreItem *) (void *) items->data,
                                                  items->len, 1, 0, &error));
    g_assert_no_error (error);
  }

  test_util_store_import (fixture->store, list_text, FALSE, counts);
  assert_counts (counts, 1, 1, 0);
  /* one job for the phone that called, none for the new one */
  g_assert_cmpuint (count_pending_jobs (fixture->store, MAC_2), ==, 0);
  g_assert_cmpuint (count_pending_jobs (fixture->store, MAC_1), ==, 1);
  jobs = wpi_store_job_list_pending (fixture->store, MAC_1, &error);
  job = g_ptr_array_index (jobs, 0);
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_WRITE_ITEMS);
  g_assert_cmpstr (job->parameter, ==, WPI_JOB_PARAMETER_IMPORT);
  /* sip-user-id is the phone's already: only the password goes */
  g_assert_cmpuint (job->items->len, ==, 1);
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 0).name, ==, "sip-pwd");
  phone = test_util_store_phone_get (fixture->store, MAC_1);
  g_assert_false (phone->expected);

  test_util_store_import (fixture->store, list_text, FALSE, counts);
  assert_counts (counts, 0, 0, 2);
  g_assert_cmpuint (count_pending_jobs (fixture->store, MAC_1), ==, 1);
}

/* The export names every phone with its state, leaves the passwords out, and imports
 * back without a change */
static void
test_import_export_round_trip (TestUtilStore *fixture,
                               gconstpointer  data)
{
  guint counts[3];
  g_autofree char *csv = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;

  test_util_store_import (fixture->store, list_text, FALSE, NULL);
  rows = wpi_store_phone_list_export (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 2);
  csv = wpi_phone_list_to_csv (rows);
  g_assert_true (g_str_has_prefix (csv, "mac,number,location,profile,state,mode,firmware,model,sip-user-id\r\n"));
  g_assert_nonnull (strstr (csv, "00:1A:E8:00:00:01,3001,Room 1,,expected,default,,,3001\r\n"));
  g_assert_null (strstr (csv, "secret"));
  test_util_store_import (fixture->store, csv, FALSE, counts);
  assert_counts (counts, 0, 0, 2);
}

int
main (int   argc,
      char *argv[])
{
  static const struct {
    const char *path;
    void      (*func) (TestUtilStore *, gconstpointer);
  } tests[] = {
    { "/store-import/idempotent", test_import_idempotent },
    { "/store-import/dry-run", test_import_dry_run },
    { "/store-import/all-or-nothing", test_import_all_or_nothing },
    { "/store-import/take", test_import_take },
    { "/store-import/known-phone", test_import_known_phone },
    { "/store-import/export-round-trip", test_import_export_round_trip },
  };

  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (tests); i++)
    g_test_add (tests[i].path, TestUtilStore, NULL, test_util_store_setup, tests[i].func,
                test_util_store_teardown);
  return g_test_run ();
}
