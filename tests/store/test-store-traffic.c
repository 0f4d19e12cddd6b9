/* test-store-traffic.c: WpiStore's logs: the traffic log (D28) and phone events */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wpi-store.h"
#include "test-util.h"
#include "test-util-store.h"
#include "store-fixture.h"

/* ---- traffic ---- */

static void
test_traffic_append_and_read (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) range = NULL;
  g_autoptr(WpiTrafficRecord) full = NULL;
  gint64 first = -1, last = -1, id = 0, ids[1000];

  g_assert_true (wpi_store_traffic_get_bounds (store, &first, &last, &error));
  g_assert_cmpint (first, ==, 0);
  g_assert_cmpint (last, ==, 0);
  g_assert_cmpint (wpi_store_traffic_count (store, &error), ==, 0);

  g_assert_true (wpi_store_transaction_begin (store, &error));
  for (guint n = 0; n < G_N_ELEMENTS (ids); n++)
    {
      g_autoptr(WpiTrafficRecord) record = make_message (n);

      g_assert_true (wpi_store_traffic_append (store, record, &ids[n], &error));
      g_assert_no_error (error);
      if (n > 0)
        g_assert_cmpint (ids[n], ==, ids[n - 1] + 1);
    }
  g_assert_true (wpi_store_transaction_commit (store, &error));

  g_assert_true (wpi_store_traffic_get_bounds (store, &first, &last, &error));
  g_assert_cmpint (first, ==, ids[0]);
  g_assert_cmpint (last, ==, ids[999]);
  g_assert_cmpint (wpi_store_traffic_count (store, &error), ==, 1000);
  g_assert_cmpint (count_rows (store, "traffic"), ==, 1000);

  range = wpi_store_traffic_get_range (store, ids[500], 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (range->len, ==, 100);
  for (guint i = 0; i < range->len; i++)
    {
      WpiTrafficRecord *r = range->pdata[i];
      guint n = 500 + i;
      g_autofree char *nonce = g_strdup_printf ("%08x", n);

      g_assert_cmpint (r->id, ==, ids[n]);
      g_assert_cmpint (r->time_us, ==, 1700000000000000 + n);
      g_assert_cmpint (r->direction, ==, n % 2 ? WPI_TRAFFIC_DIRECTION_OUT : WPI_TRAFFIC_DIRECTION_IN);
      g_assert_cmpstr (r->nonce, ==, nonce);
      g_assert_cmpint (r->item_count, ==, n % 5 == 0 ? -1 : (int) (n % 7));
      g_assert_cmpstr (r->mac, ==, n % 3 == 0 ? MAC_A : NULL);
      g_assert_null (r->body);
      g_assert_null (r->headers);
      g_assert_cmpint (r->size, >, 40);
      g_assert_null (r->error_text);
    }
  g_clear_pointer (&range, g_ptr_array_unref);

  /* the tail: fewer than asked */
  range = wpi_store_traffic_get_range (store, ids[990], 100, &error);
  g_assert_cmpuint (range->len, ==, 10);
  g_clear_pointer (&range, g_ptr_array_unref);
  range = wpi_store_traffic_get_range (store, last + 1, 100, &error);
  g_assert_cmpuint (range->len, ==, 0);
  g_clear_pointer (&range, g_ptr_array_unref);

  full = wpi_store_traffic_get (store, ids[7], &error);
  g_assert_no_error (error);
  {
    gsize size;
    const char *body = g_bytes_get_data (full->body, &size);
    g_autofree char *expected = g_strdup_printf ("<WorkpointMessage><Message nonce=\"%08x\"/></WorkpointMessage>", 7);

    g_assert_cmpmem (body, size, expected, strlen (expected));
    g_assert_cmpint (full->size, ==, strlen (expected));
    g_assert_nonnull (full->headers);
    g_assert_true (g_str_has_prefix (g_bytes_get_data (full->headers, NULL), "POST /DeploymentService"));
    g_assert_cmpstr (full->action, ==, "ReadAllItems");
    g_assert_cmpstr (full->flow_id, ==, "flow-1");
  }
  g_assert_null (wpi_store_traffic_get (store, last + 5, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  range = wpi_store_traffic_list_by_mac (store, MAC_A, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (range->len, ==, 334);
  g_clear_pointer (&range, g_ptr_array_unref);
  range = wpi_store_traffic_list_by_mac (store, MAC_A, ids[300], 5, &error);
  g_assert_cmpuint (range->len, ==, 5);
  g_assert_cmpint (((WpiTrafficRecord *) range->pdata[0])->id, ==, ids[303]);
  g_clear_pointer (&range, g_ptr_array_unref);
  range = wpi_store_traffic_list_by_flow (store, "flow-10", &error);
  g_assert_cmpuint (range->len, ==, 4);
  g_assert_cmpint (((WpiTrafficRecord *) range->pdata[0])->id, ==, ids[40]);
  g_clear_pointer (&range, g_ptr_array_unref);

  /* an undecodable message: raw bytes and the error, empty body kept as empty */
  {
    g_autoptr(WpiTrafficRecord) bad = wpi_traffic_record_new ();
    g_autoptr(WpiTrafficRecord) back = NULL;
    static const guint8 raw[] = { '<', 'W', 0xff, 0x00, '>' };

    bad->time_us = 5;
    bad->port = 18444;
    bad->mode = WPI_PHONE_MODE_SECURE;
    bad->body = g_bytes_new_static (raw, sizeof raw);
    bad->headers = g_bytes_new_static ("", 0);
    bad->error_code = 0;
    bad->error_text = g_strdup ("1:3: not UTF-8");
    g_assert_true (wpi_store_traffic_append (store, bad, &id, &error));
    back = wpi_store_traffic_get (store, id, &error);
    g_assert_cmpint (back->size, ==, sizeof raw);
    g_assert_cmpmem (g_bytes_get_data (back->body, NULL), g_bytes_get_size (back->body), raw, sizeof raw);
    g_assert_nonnull (back->headers);
    g_assert_cmpuint (g_bytes_get_size (back->headers), ==, 0);
    g_assert_cmpstr (back->error_text, ==, "1:3: not UTF-8");
    g_assert_cmpint (back->error_code, ==, 0);
    g_assert_null (back->root);
    g_assert_cmpint (back->mode, ==, WPI_PHONE_MODE_SECURE);
  }

  /* bad input leaves the log alone */
  {
    g_autoptr(WpiTrafficRecord) bad = make_message (1);

    bad->direction = 2;
    g_assert_false (wpi_store_traffic_append (store, bad, &id, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
    bad->direction = WPI_TRAFFIC_DIRECTION_IN;
    bad->port = 70000;
    g_assert_false (wpi_store_traffic_append (store, bad, &id, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
    bad->port = 1;
    g_free (bad->mac);
    bad->mac = g_strdup ("phone");
    g_assert_false (wpi_store_traffic_append (store, bad, &id, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
  }
  g_assert_cmpint (wpi_store_traffic_count (store, &error), ==, 1001);
}

static void
test_traffic_retention (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  gint64 id = 0, first, last, count;

  g_assert_true (wpi_store_traffic_set_limit (store, 200, &error));
  g_assert_no_error (error);

  for (guint n = 0; n < 1000; n++)
    {
      g_autoptr(WpiTrafficRecord) record = make_message (n);

      g_assert_true (wpi_store_traffic_append (store, record, &id, &error));
      g_assert_no_error (error);
      count = wpi_store_traffic_count (store, &error);
      g_assert_cmpint (count, <=, 200);
      g_assert_cmpint (count, >, 0);
    }
  /* the newest survive, the ids stay dense, and the deletions came in batches */
  g_assert_true (wpi_store_traffic_get_bounds (store, &first, &last, &error));
  g_assert_cmpint (last, ==, id);
  count = wpi_store_traffic_count (store, &error);
  g_assert_cmpint (count_rows (store, "traffic"), ==, count);
  g_assert_cmpint (count_rows (store, "traffic_raw"), ==, count);
  g_assert_cmpint (raw_int (wpi_store_get_path (store), "SELECT max(id) - min(id) + 1 FROM traffic"), ==, count);
  g_assert_cmpint (count, >=, 198);

  /* lowering the limit deletes at once */
  g_assert_true (wpi_store_traffic_set_limit (store, 10, &error));
  g_assert_cmpint (wpi_store_traffic_count (store, &error), <=, 10);
  g_assert_true (wpi_store_traffic_get_bounds (store, NULL, &last, &error));
  g_assert_cmpint (last, ==, id);
  g_assert_false (wpi_store_traffic_set_limit (store, 0, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);

  /* a limit of one keeps exactly the last message, and ids keep growing */
  g_assert_true (wpi_store_traffic_set_limit (store, 1, &error));
  {
    g_autoptr(WpiTrafficRecord) record = make_message (5000);
    gint64 next = 0;

    g_assert_true (wpi_store_traffic_append (store, record, &next, &error));
    g_assert_cmpint (next, ==, id + 1);
    g_assert_cmpint (wpi_store_traffic_count (store, &error), ==, 1);
    g_assert_true (wpi_store_traffic_get_bounds (store, &first, &last, &error));
    g_assert_cmpint (first, ==, next);
  }
}

typedef struct {
  GString *seen;
} ScanSeen;

static void
scan_row (const WpiTrafficRecord *record,
          const guint8           *item_index,
          gsize                   item_index_size,
          gpointer                user_data)
{
  ScanSeen *seen = user_data;
  const char *name = NULL, *value = NULL;
  gsize offset = 0;

  /* "id:status:mac:first item=value;", with what the scan was not asked for unset */
  g_string_append_printf (seen->seen, "%" G_GINT64_FORMAT ":%s:%s:", record->id, record->status ?: "-",
                          record->mac ?: "-");
  if (wpi_traffic_item_index_next (item_index, item_index_size, &offset, &name, &value))
    g_string_append_printf (seen->seen, "%s=%s", name, value);
  g_string_append_c (seen->seen, ';');
}

/* The item index is stored with its message, a bad one refused with nothing stored, and
 * a scan reads the fields it is asked for, a batch at a time (D28). */
static void
test_traffic_item_index_and_scan (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "N1");
  ScanSeen seen = { g_string_new (NULL) };
  gint64 next_id = 0;

  wpi_message_add_item (message, "e164", "4989700141");
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(WpiTrafficRecord) record = test_util_traffic_record_new (i, 1000);

      record->status = g_strdup (i == 1 ? "busy" : NULL);
      record->mac = g_strdup (MAC_A);
      record->item_index = i != 2 ? wpi_traffic_item_index_new (message) : NULL;
      g_assert_true (wpi_store_traffic_append (store, record, NULL, &error));
      g_assert_no_error (error);
    }
  {
    g_autoptr(WpiTrafficRecord) bad = test_util_traffic_record_new (3, 1000);

    bad->item_index = g_bytes_new_static ("Ce164", 5);
    g_assert_false (wpi_store_traffic_append (store, bad, NULL, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
    g_assert_cmpint (wpi_store_traffic_count (store, NULL), ==, 3);
  }

  g_assert_true (wpi_store_traffic_scan (store, 1, 3, 2, WPI_TRAFFIC_FIELD_STATUS | WPI_TRAFFIC_FIELD_ITEM_INDEX,
                                         scan_row, &seen, &next_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (next_id, ==, 3);
  g_assert_true (wpi_store_traffic_scan (store, next_id, 3, 2, WPI_TRAFFIC_FIELD_MAC, scan_row, &seen, &next_id,
                                         &error));
  g_assert_cmpint (next_id, ==, 4);
  g_assert_cmpstr (seen.seen->str, ==, "1:-:-:e164=4989700141;2:busy:-:e164=4989700141;3:-:" MAC_A ":;");
  g_string_free (seen.seen, TRUE);
}

/* ---- phone events ---- */

static void
test_phone_events (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  static const struct {
    const char *kind;
    const char *user;
    const char *detail;
  } added[] = {
    { "logon", "4989700200", "requested-items: userdata-call-log" },
    { "logoff", "4989700200", NULL },
    { "logon", NULL, NULL },
  };

  add_phone (store, MAC_A);
  add_phone (store, MAC_B);
  for (guint i = 0; i < G_N_ELEMENTS (added); i++)
    {
      g_assert_true (wpi_store_phone_event_add (store, "001ae800000a", 1000 + i, added[i].kind,
                                                added[i].user, added[i].detail, &error));
      g_assert_no_error (error);
    }
  g_assert_false (wpi_store_phone_event_add (store, MAC_A, 1, "", NULL, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (wpi_store_phone_event_add (store, MAC_C, 1, "logon", NULL, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* the newest two, in the order they happened; none of another phone */
  events = wpi_store_phone_event_list (store, MAC_A, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  for (guint i = 0; i < events->len; i++)
    {
      const WpiPhoneEvent *event = g_ptr_array_index (events, i);

      g_assert_cmpstr (event->mac, ==, MAC_A);
      g_assert_cmpint (event->time_us, ==, 1001 + i);
      g_assert_cmpstr (event->kind, ==, added[i + 1].kind);
      g_assert_cmpstr (event->user, ==, added[i + 1].user);
      g_assert_cmpstr (event->detail, ==, added[i + 1].detail);
    }
  g_clear_pointer (&events, g_ptr_array_unref);
  events = wpi_store_phone_event_list (store, MAC_B, 0, &error);
  g_assert_cmpuint (events->len, ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  STORE_TEST_ADD ("traffic/append-and-read", test_traffic_append_and_read);
  STORE_TEST_ADD ("traffic/retention", test_traffic_retention);
  STORE_TEST_ADD ("traffic/item-index-and-scan", test_traffic_item_index_and_scan);
  STORE_TEST_ADD ("phone-events", test_phone_events);

  return g_test_run ();
}
