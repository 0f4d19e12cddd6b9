/* store-fixture.c: a fresh data directory for WpiStore, and SQL behind its back (see
 * store-fixture.h)
 */
#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "test-util.h"
#include "test-util-store.h"
#include "store-fixture.h"

void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->tmp = test_util_make_tmp_dir ("test-store");
  fixture->dir = g_build_filename (fixture->tmp, "data", "store", NULL);
}

void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  test_util_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture->dir);
}

WpiStore *
open_store (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  WpiStore *store = wpi_store_open (fixture->dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

void
add_phone (WpiStore   *store,
           const char *mac)
{
  g_autoptr(GError) error = NULL;
  WpiPhoneRecord phone = { .mac = (char *) mac };

  g_assert_true (wpi_store_phone_upsert (store, &phone, WPI_PHONE_FIELD_NONE, NULL, &error));
  g_assert_no_error (error);
}

/* An independent connection, to see what is really on disk. */
gint64
raw_int (const char *path,
         const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

char *
raw_text (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

gint64
count_rows (WpiStore   *store,
            const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);

  return raw_int (wpi_store_get_path (store), sql);
}

/* n items named item-000, item-000[1], item-001, ...: every other one an indexed instance
 * of the one before; values value_prefix-0, value_prefix-1, ... */
GArray *
make_items (guint       n,
            const char *value_prefix)
{
  GArray *items = wpi_store_item_array_new ();

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("item-%03u", i / 2);
      g_autofree char *value = g_strdup_printf ("%s-%u", value_prefix, i);

      /* every other item is an indexed instance of the one before */
      wpi_store_item_array_add (items, name, i % 2 == 1, i, value);
    }
  return items;
}

/* The traffic log's message n: its fields vary with n */
WpiTrafficRecord *
make_message (guint n)
{
  WpiTrafficRecord *record = wpi_traffic_record_new ();
  g_autofree char *body = g_strdup_printf ("<WorkpointMessage><Message nonce=\"%08x\"/></WorkpointMessage>", n);
  g_autofree char *headers = NULL;

  record->time_us = 1700000000000000 + n;
  record->direction = n % 2 ? WPI_TRAFFIC_DIRECTION_OUT : WPI_TRAFFIC_DIRECTION_IN;
  record->port = 18443;
  record->mode = WPI_PHONE_MODE_DEFAULT;
  record->peer = g_strdup ("127.0.0.1:40000");
  record->mac = g_strdup (n % 3 == 0 ? "00-1a-e8-00-00-0a" : NULL);
  record->flow_id = g_strdup_printf ("flow-%u", n / 4);
  record->root = g_strdup (n % 2 ? "DLSMessage" : "WorkpointMessage");
  record->nonce = g_strdup_printf ("%08x", n);
  record->reason = g_strdup ("start-up");
  record->action = n % 2 ? g_strdup ("ReadAllItems") : NULL;
  record->item_count = n % 5 == 0 ? -1 : (int) (n % 7);
  headers = g_strdup_printf ("POST /DeploymentService/LoginService HTTP/1.1\r\nX-N: %u\r\n", n);
  record->headers = g_bytes_new (headers, strlen (headers));
  record->body = g_bytes_new (body, strlen (body));
  return record;
}
