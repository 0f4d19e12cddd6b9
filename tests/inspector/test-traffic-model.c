/* test-traffic-model.c: WpiTrafficModel, the lazy list of the traffic log */
#include "config.h"

#include <glib/gstdio.h>

#include "wpi-codec.h"
#include "wpi-traffic-model.h"
#include "test-util-store.h"

#define BIG_LOG 100000

typedef TestUtilStore Fixture;   /* the store in a temporary directory */

/* Message i of a made-up log: phones take turns, every fourth message starts a flow. */
static WpiTrafficRecord *
make_record (guint i)
{
  WpiTrafficRecord *record = test_util_traffic_record_new (i, 1000);
  g_autofree char *body = NULL;

  record->mode = WPI_PHONE_MODE_DEFAULT;
  record->peer = g_strdup_printf ("10.0.%u.%u:5060", (i / 250) % 250, i % 250);
  record->mac = g_strdup_printf ("00:1A:E8:00:%02X:%02X", (i % 1000) / 256, (i % 1000) % 256);
  record->flow_id = g_strdup_printf ("flow-%u", i / 4);
  record->root = g_strdup (i % 2 == 0 ? "WorkpointMessage" : "DLSMessage");
  record->nonce = g_strdup_printf ("%032X", i);
  if (i % 2 == 0)
    {
      record->reason = g_strdup ("reply-to");
      record->status = g_strdup (i % 10 == 0 ? "busy" : "accepted");
      record->action = g_strdup ("WriteItems");
    }
  else
    record->action = g_strdup ("CleanUp");
  record->item_count = 1;
  body = g_strdup_printf ("<WorkpointMessage><Message nonce=\"%032X\"><ReasonForContact>reply-to"
                          "</ReasonForContact><ItemList><Item name=\"e164\">%" G_GUINT64_FORMAT "</Item></ItemList>"
                          "</Message></WorkpointMessage>", i, (guint64) 4989700000u + i);
  record->body = g_bytes_new (body, strlen (body));
  return record;
}

static WpiTrafficModel *
new_model (WpiStore *store)
{
  g_autoptr(GError) error = NULL;
  WpiTrafficModel *model = wpi_traffic_model_new (store, &error);

  g_assert_no_error (error);
  g_assert_nonnull (model);
  return model;
}

/* Logs a message as the service does: store, then the model hears of it. */
static gint64
log_message (WpiStore        *store,
             WpiTrafficModel *model,
             guint            i)
{
  g_autoptr(WpiTrafficRecord) record = make_record (i);
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_true (wpi_store_traffic_append (store, record, &id, &error));
  g_assert_no_error (error);
  record->id = id;
  wpi_traffic_model_append (model, record);
  return id;
}

typedef struct {
  guint position;
  guint removed;
  guint added;
  guint count;
} Change;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
  change->count++;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static WpiTrafficEntry *
item (WpiTrafficModel *model,
      guint            position)
{
  return g_list_model_get_item (G_LIST_MODEL (model), position);
}

/* A model over n records as make_record() logs them, none read yet */
static WpiTrafficModel *
filled_model (Fixture *fixture,
              guint    n)
{
  test_util_store_fill (fixture->store, make_record, 0, n);
  return new_model (fixture->store);
}

/* ---- Tests --------------------------------------------------------------------- */

static void
test_empty (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) model = new_model (fixture->store);
  Change change = { 0 };

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (model)) == WPI_TYPE_TRAFFIC_ENTRY);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), 0));
  g_assert_cmpint (wpi_traffic_model_get_first_id (model), ==, 0);
  g_assert_cmpint (wpi_traffic_model_get_last_id (model), ==, 0);
  g_assert_cmpuint (wpi_traffic_model_get_n_pending (model), ==, 0);

  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &change);
  log_message (fixture->store, model, 0);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  g_assert_cmpint (wpi_traffic_model_get_first_id (model), ==, 1);
}

/* The entry of make_record (0), as the list shows it: its summary, read through the
 * properties too, and no body until asked for */
static void
assert_first_summary (WpiTrafficEntry *first)
{
  g_autofree char *mac = NULL;
  g_autofree char *status = NULL;
  gint64 id = 0;
  WpiTrafficDirection direction;

  g_object_get (first, "id", &id, "mac", &mac, "status", &status, "direction", &direction, NULL);
  g_assert_cmpint (id, ==, 1);
  g_assert_cmpstr (mac, ==, "00:1A:E8:00:00:00");
  g_assert_cmpstr (status, ==, "busy");
  g_assert_cmpint (direction, ==, WPI_TRAFFIC_DIRECTION_IN);
  g_assert_cmpstr (wpi_traffic_entry_get_flow (first), ==, "flow-0");
  g_assert_cmpint (wpi_traffic_entry_get_item_count (first), ==, 1);
  g_assert_null (wpi_traffic_entry_get_record (first)->body);
}

/* 100,000 rows; only the pages that get_item() touches are read. */
static void
test_lazy_paging (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) model = filled_model (fixture, BIG_LOG);
  g_autoptr(WpiTrafficEntry) first = NULL;
  g_autoptr(WpiTrafficEntry) last = NULL;
  g_autoptr(WpiTrafficEntry) middle = NULL;
  guint positions[] = { 0, 1, 100, 255 };

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, BIG_LOG);
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, 0);
  g_assert_cmpuint (wpi_traffic_model_get_n_cached_pages (model), ==, 0);

  /* One page serves positions 0..255 */
  for (guint i = 0; i < G_N_ELEMENTS (positions); i++)
    {
      g_autoptr(WpiTrafficEntry) entry = item (model, positions[i]);

      g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, positions[i] + 1);
    }
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, 1);

  first = item (model, 0);
  assert_first_summary (first);

  middle = item (model, 256);
  g_assert_cmpint (wpi_traffic_entry_get_id (middle), ==, 257);
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, 2);

  last = item (model, BIG_LOG - 1);
  g_assert_cmpint (wpi_traffic_entry_get_id (last), ==, BIG_LOG);
  g_assert_cmpstr (wpi_traffic_entry_get_nonce (last), ==, "0000000000000000000000000001869F");
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, 3);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (model), BIG_LOG));

  /* Random access reads one page per distinct page, whatever the order */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(WpiTrafficEntry) entry = item (model, 50000 + i * 7);
      g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 50001 + i * 7);
    }
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, 4);
  g_assert_cmpuint (wpi_traffic_model_get_n_cached_pages (model), ==, 4);

  /* The cache is bounded: scrolling through 40 pages keeps 16 */
  for (guint page = 0; page < 40; page++)
    {
      g_autoptr(WpiTrafficEntry) entry = item (model, 10000 * 2 + page * WPI_TRAFFIC_MODEL_PAGE_SIZE);
      g_assert_nonnull (entry);
    }
  g_assert_cmpuint (wpi_traffic_model_get_n_cached_pages (model), ==, WPI_TRAFFIC_MODEL_DEFAULT_MAX_PAGES);
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, 44);

  /* The first page was evicted long ago: reading it again costs a load */
  g_clear_object (&first);
  first = item (model, 3);
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, 45);

  wpi_traffic_model_set_max_pages (model, 2);
  g_assert_cmpuint (wpi_traffic_model_get_n_cached_pages (model), ==, 2);
}

static void
test_body_on_demand (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) model = filled_model (fixture, 10);
  g_autoptr(WpiTrafficEntry) entry = item (model, 4);
  g_autoptr(WpiTrafficRecord) full = NULL;
  g_autoptr(GError) error = NULL;
  WpiMessage *message;

  full = wpi_traffic_entry_load_record (entry, fixture->store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (full->body);
  g_assert_cmpint (full->id, ==, 5);

  message = wpi_traffic_entry_get_message (entry, fixture->store, &error);
  g_assert_no_error (error);
  g_assert_nonnull (message);
  g_assert_cmpstr (wpi_message_get_item_value (message, "e164"), ==, "4989700004");
  /* Parsed once, then kept */
  g_assert_true (wpi_traffic_entry_get_message (entry, NULL, NULL) == message);
}

/* The entry of a body the codec refused as malformed, as the service logs it */
static WpiTrafficEntry *
malformed_entry (void)
{
  g_autoptr(WpiTrafficRecord) record = wpi_traffic_record_new ();

  record->id = 7;
  record->body = g_bytes_new_static ("<WorkpointMessage><Message", 26);
  record->error_code = WPI_CODEC_ERROR_MALFORMED;
  record->error_text = g_strdup ("1:27: malformed XML");
  return wpi_traffic_entry_new (record);
}

static void
test_bad_body (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(WpiTrafficEntry) entry = malformed_entry ();
  g_autoptr(GError) error = NULL;

  g_assert_null (wpi_traffic_entry_get_message (entry, NULL, &error));
  g_assert_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_MALFORMED);
  g_clear_error (&error);
  /* The failure is kept, too */
  g_assert_null (wpi_traffic_entry_get_message (entry, NULL, &error));
  g_assert_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_MALFORMED);
  g_assert_false (wpi_traffic_entry_is_refused (entry));

  /* No body and no store to read it from */
  {
    g_autoptr(WpiTrafficRecord) summary = wpi_traffic_record_new ();
    g_autoptr(WpiTrafficEntry) bare = NULL;
    g_autoptr(GError) bare_error = NULL;

    summary->id = 3;
    bare = wpi_traffic_entry_new (summary);
    g_assert_null (wpi_traffic_entry_load_record (bare, NULL, &bare_error));
    g_assert_error (bare_error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  }
}

static void
test_live_append (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) model = filled_model (fixture, 1000);
  Change change = { 0 };
  guint pending_notifies = 0;
  guint loads;
  gint64 id;

  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &change);

  id = log_message (fixture->store, model, 1000);
  g_assert_cmpint (id, ==, 1001);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 1000);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1001);

  /* The new message comes from memory, not from a page read */
  loads = wpi_traffic_model_get_page_loads (model);
  {
    g_autoptr(WpiTrafficEntry) entry = item (model, 1000);

    g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 1001);
    g_assert_cmpstr (wpi_traffic_entry_get_flow (entry), ==, "flow-250");
    /* The list keeps the summary only */
    g_assert_null (wpi_traffic_entry_get_record (entry)->body);
  }
  g_assert_cmpuint (wpi_traffic_model_get_page_loads (model), ==, loads);

  /* Paused: counted, not shown */
  wpi_traffic_model_set_paused (model, TRUE);
  g_assert_true (wpi_traffic_model_get_paused (model));
  change.count = 0;
  g_signal_connect (model, "notify::n-pending", G_CALLBACK (count_notify), &pending_notifies);
  for (guint i = 0; i < 3; i++)
    log_message (fixture->store, model, 1001 + i);
  g_assert_cmpuint (change.count, ==, 0);
  g_assert_cmpuint (pending_notifies, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1001);
  g_assert_cmpuint (wpi_traffic_model_get_n_pending (model), ==, 3);
  g_assert_cmpint (wpi_traffic_model_get_last_id (model), ==, 1001);

  /* Resumed: all at once */
  wpi_traffic_model_set_paused (model, FALSE);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 1001);
  g_assert_cmpuint (change.added, ==, 3);
  g_assert_cmpuint (wpi_traffic_model_get_n_pending (model), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1004);
  {
    g_autoptr(WpiTrafficEntry) entry = item (model, 1003);
    g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 1004);
  }

  /* Messages another connection logged come in with the next refresh */
  {
    g_autoptr(WpiStore) other = wpi_store_open (fixture->dir, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_nonnull (other);
    test_util_store_fill (other, make_record, 2000, 5);
    change.count = 0;
    g_assert_true (wpi_traffic_model_refresh (model, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (change.count, ==, 1);
    g_assert_cmpuint (change.position, ==, 1004);
    g_assert_cmpuint (change.added, ==, 5);
  }
}

static void
store_bounds (WpiStore *store,
              gint64   *first,
              gint64   *last)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_store_traffic_get_bounds (store, first, last, &error));
  g_assert_no_error (error);
}

/* Logs message *i (and counts on) with change reset to see what it alone changes; first
 * and last: the store's bounds after it */
static void
log_next (Fixture         *fixture,
          WpiTrafficModel *model,
          Change          *change,
          guint           *i,
          gint64          *first,
          gint64          *last)
{
  change->count = 0;
  log_message (fixture->store, model, (*i)++);
  store_bounds (fixture->store, first, last);
}

static void
test_retention (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) model = filled_model (fixture, 600);
  g_autoptr(GError) error = NULL;
  Change change = { 0 };
  gint64 first = 0, last = 0, old_first;
  guint i = 600;

  {
    /* Cache the first page, to see that it does not outlive retention */
    g_autoptr(WpiTrafficEntry) entry = item (model, 0);
    g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 1);
  }
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &change);

  /* The limit drops the oldest (down to a little under it: the store keeps slack) */
  g_assert_true (wpi_store_traffic_set_limit (fixture->store, 100, &error));
  g_assert_no_error (error);
  store_bounds (fixture->store, &first, &last);
  g_assert_cmpint (first, >, 500);
  g_assert_true (wpi_traffic_model_refresh (model, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, first - 1);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpint (wpi_traffic_model_get_first_id (model), ==, first);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, last - first + 1);
  {
    g_autoptr(WpiTrafficEntry) entry = item (model, 0);
    g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, first);
  }

  /* Appending past the limit moves the first id: removed at the front, added at the end */
  old_first = first;
  while (first == old_first)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (model));

      g_assert_cmpuint (i, <, 800);
      log_next (fixture, model, &change, &i, &first, &last);
      if (first == old_first)
        {
          g_assert_cmpuint (change.count, ==, 1);
          g_assert_cmpuint (change.position, ==, n);
          g_assert_cmpuint (change.added, ==, 1);
        }
      else
        {
          /* the last change is the addition; the removal came first */
          g_assert_cmpuint (change.count, ==, 2);
          g_assert_cmpuint (change.added, ==, 1);
          g_assert_cmpuint (change.position, ==, n - (first - old_first));
        }
    }
  g_assert_cmpint (wpi_traffic_model_get_first_id (model), ==, first);
  g_assert_cmpint (wpi_traffic_model_get_last_id (model), ==, last);

  /* Paused, retention still applies at the front; the new ones wait */
  wpi_traffic_model_set_paused (model, TRUE);
  old_first = first;
  while (first == old_first)
    {
      g_assert_cmpuint (i, <, 1000);
      log_next (fixture, model, &change, &i, &first, &last);
      if (first == old_first)
        g_assert_cmpuint (change.count, ==, 0);
    }
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, first - old_first);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpint (wpi_traffic_model_get_first_id (model), ==, first);
  g_assert_cmpuint (wpi_traffic_model_get_n_pending (model) + g_list_model_get_n_items (G_LIST_MODEL (model)),
                    ==, last - first + 1);
  g_assert_cmpuint (wpi_traffic_model_get_n_pending (model), >, 0);
  wpi_traffic_model_set_paused (model, FALSE);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, last - first + 1);
  g_assert_cmpuint (wpi_traffic_model_get_n_pending (model), ==, 0);
}

/* Rows another connection deleted before the model heard of it */
static void
test_missing_rows (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) model = filled_model (fixture, 300);
  g_autoptr(WpiStore) other = NULL;
  g_autoptr(WpiTrafficEntry) entry = NULL;
  g_autoptr(GError) error = NULL;

  other = wpi_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_store_traffic_set_limit (other, 10, &error));
  g_assert_no_error (error);

  entry = item (model, 0);
  g_assert_nonnull (entry);
  g_assert_true (wpi_traffic_entry_is_missing (entry));
  g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 1);
  g_assert_null (wpi_traffic_model_get_entry_by_id (model, 400));
}

static void
test_security_events (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) model = new_model (fixture->store);
  g_autoptr(GError) error = NULL;
  const char *detail = "00:1A:E8:00:00:01 is in Secure Mode but contacted the default port";
  guint positions[2];

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(WpiTrafficRecord) record = make_record (i);
      gint64 id = 0;

      g_free (record->peer);
      record->peer = g_strdup ("10.0.0.9:4000");
      record->error_code = -1;
      record->error_text = g_strdup (i == 0 ? detail : "reply-to names no open session");
      if (i == 0)
        {
          /* The service stores the event first, then logs the message. */
          g_assert_true (wpi_store_security_event_add (fixture->store, g_get_real_time (), record->peer,
                                                       record->mac, "secure-phone-on-default-port",
                                                       detail, &error));
          g_assert_no_error (error);
        }
      g_assert_true (wpi_store_traffic_append (fixture->store, record, &id, &error));
      g_assert_no_error (error);
      record->id = id;
      wpi_traffic_model_append (model, record);
      g_assert_true (wpi_traffic_model_get_position (model, id, &positions[i]));
    }

  {
    g_autoptr(WpiTrafficEntry) refused = item (model, positions[0]);
    g_autoptr(WpiTrafficEntry) other = item (model, positions[1]);
    gboolean security = FALSE;

    g_assert_true (wpi_traffic_entry_is_refused (refused));
    g_object_get (refused, "security-event", &security, NULL);
    g_assert_true (security);
    g_assert_true (wpi_traffic_entry_is_refused (other));
    g_assert_false (wpi_traffic_entry_is_security_event (other));
  }

  /* A new model finds the same from the store */
  {
    g_autoptr(WpiTrafficModel) reopened = new_model (fixture->store);
    g_autoptr(WpiTrafficEntry) refused = item (reopened, positions[0]);

    g_assert_true (wpi_traffic_entry_is_security_event (refused));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, test_util_store_setup, func, test_util_store_teardown)
  ADD ("/traffic-model/empty", test_empty);
  ADD ("/traffic-model/lazy-paging", test_lazy_paging);
  ADD ("/traffic-model/body-on-demand", test_body_on_demand);
  ADD ("/traffic-model/bad-body", test_bad_body);
  ADD ("/traffic-model/live-append", test_live_append);
  ADD ("/traffic-model/retention", test_retention);
  ADD ("/traffic-model/missing-rows", test_missing_rows);
  ADD ("/traffic-model/security-events", test_security_events);
#undef ADD

  return g_test_run ();
}
