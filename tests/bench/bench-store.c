/* bench-store.c: WpiStore throughput (run with `meson test --suite bench`)
 *
 * Prints:
 *  - traffic log: appends one commit per message (as the service does) and 1,000,000 in
 *    transactions of 1,000, with rows/s and the database size;
 *  - 100-message range reads at random positions, as the inspector's list does (µs);
 *  - a 500-item ReadAllItems applied (phone upsert + replace-all in one transaction) for
 *    1,000 phones, first on empty phones and again over their existing items.
 * Sizes are options, so a quick run is possible: bench-store --traffic 100000.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <glib/gstdio.h>

#include "wpi-store.h"
#include "bench-util.h"
#include "test-util.h"

static int traffic_rows = 1000000;
static int single_commit_rows = 5000;
static int batch_size = 1000;
static int range_reads = 2000;
static int phones = 1000;
static int items_per_phone = 500;
static char *data_dir = NULL;

static GOptionEntry entries[] = {
  { "traffic", 0, 0, G_OPTION_ARG_INT, &traffic_rows, "Traffic rows to insert in batches", "N" },
  { "single", 0, 0, G_OPTION_ARG_INT, &single_commit_rows, "Traffic rows to insert one commit each", "N" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &batch_size, "Rows per transaction", "N" },
  { "reads", 0, 0, G_OPTION_ARG_INT, &range_reads, "Range reads to time", "N" },
  { "phones", 0, 0, G_OPTION_ARG_INT, &phones, "Phones for the ReadAllItems run", "N" },
  { "items", 0, 0, G_OPTION_ARG_INT, &items_per_phone, "Items per ReadAllItems", "N" },
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Store here (kept) instead of a temporary directory", "DIR" },
  { NULL }
};

static double
seconds_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / 1e6;
}

/* database plus write-ahead log, in MB */
static double
store_megabytes (const char *dir)
{
  static const char *const suffixes[] = { "", "-wal", "-shm" };
  double total = 0;

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s%s", dir, WPI_STORE_DB_NAME, suffixes[i]);
      struct stat st;

      if (g_stat (path, &st) == 0)
        total += st.st_size;
    }
  return total / (1024.0 * 1024.0);
}

static char *
mac_for (guint n)
{
  return g_strdup_printf ("00:1A:E8:%02X:%02X:%02X", (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

static const char request_headers[] =
  "POST /DeploymentService/LoginService HTTP/1.1\r\n"
  "Host: 192.0.2.1:18443\r\nContent-Type: text/xml\r\n"
  "Cookie: JSESSIONID=0123456789abcdef0123456789abcdef\r\n";

/* A plausible message: a WorkpointMessage or DLSMessage of 300 to 1,500 bytes. */
static WpiTrafficRecord *
make_message (GRand *rand,
              guint  n)
{
  WpiTrafficRecord *record = wpi_traffic_record_new ();
  gboolean out = n % 2 == 1;
  guint n_items = g_rand_int_range (rand, 1, 30);
  GString *body = g_string_new (NULL);

  g_string_append_printf (body,
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"http://www.siemens.com/DLS\">"
                          "<Message nonce=\"%016" G_GINT64_MODIFIER "x\" maxItems=\"-1\">",
                          out ? "DLSMessage" : "WorkpointMessage", (gint64) g_rand_int (rand) << 20 | n);
  g_string_append (body, out ? "<Action>WriteItems</Action><ItemList>"
                             : "<ReasonForContact action=\"WriteItems\" status=\"accepted\">reply-to</ReasonForContact><ItemList>");
  for (guint i = 0; i < n_items; i++)
    g_string_append_printf (body, "<Item name=\"setting-%u\">value %u of message %u</Item>", i, i, n);
  g_string_append_printf (body, "</ItemList></Message></%s>", out ? "DLSMessage" : "WorkpointMessage");

  record->time_us = g_get_real_time ();
  record->direction = out ? WPI_TRAFFIC_DIRECTION_OUT : WPI_TRAFFIC_DIRECTION_IN;
  record->port = 18443;
  record->mode = WPI_PHONE_MODE_DEFAULT;
  record->peer = g_strdup_printf ("192.0.2.%u:%u", n % 250, 40000 + n % 20000);
  record->mac = mac_for (n / 8 % 1000);
  record->flow_id = g_strdup_printf ("%032x", n / 8);
  record->root = g_strdup (out ? "DLSMessage" : "WorkpointMessage");
  record->nonce = g_strdup_printf ("%016x", n);
  record->reason = g_strdup (out ? NULL : "reply-to");
  record->action = g_strdup ("WriteItems");
  record->status = out ? NULL : g_strdup ("accepted");
  record->item_count = n_items;
  record->headers = g_bytes_new_static (request_headers, strlen (request_headers));
  record->body = g_string_free_to_bytes (body);
  return record;
}

/* Messages are made up front and cycled, so that the figures are the store's own. */
#define MESSAGE_POOL 4096

static void
append_traffic (WpiStore  *store,
                GPtrArray *pool,
                int        rows,
                int        per_transaction)
{
  g_autoptr(GError) error = NULL;

  for (int n = 0; n < rows; n += per_transaction)
    {
      if (per_transaction > 1 && !wpi_store_transaction_begin (store, &error))
        bench_die ("begin", error);
      for (int i = n; i < n + per_transaction && i < rows; i++)
        {
          WpiTrafficRecord *record = g_ptr_array_index (pool, i % pool->len);

          record->time_us++;
          if (!wpi_store_traffic_append (store, record, NULL, &error))
            bench_die ("traffic append", error);
        }
      if (per_transaction > 1 && !wpi_store_transaction_commit (store, &error))
        bench_die ("commit", error);
    }
}

static void
bench_traffic (const char *dir,
               GRand      *rand)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (dir, &error);
  g_autofree gint64 *times = NULL;
  g_autoptr(GPtrArray) pool = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_traffic_record_free);
  gint64 start, first, last, count;
  double elapsed, body_bytes = 0;

  if (store == NULL)
    bench_die ("open", error);
  for (guint i = 0; i < MESSAGE_POOL; i++)
    g_ptr_array_add (pool, make_message (rand, i));

  start = g_get_monotonic_time ();
  append_traffic (store, pool, single_commit_rows, 1);
  elapsed = seconds_since (start);
  printf ("traffic, one commit per message: %d rows in %.2f s = %.0f rows/s (%.0f µs per durable commit)\n",
          single_commit_rows, elapsed, single_commit_rows / elapsed, elapsed * 1e6 / single_commit_rows);

  start = g_get_monotonic_time ();
  append_traffic (store, pool, traffic_rows, batch_size);
  elapsed = seconds_since (start);
  count = wpi_store_traffic_count (store, &error);
  printf ("traffic, %d per transaction: %d rows in %.2f s = %.0f rows/s\n",
          batch_size, traffic_rows, elapsed, traffic_rows / elapsed);
  printf ("traffic log now holds %" G_GINT64_FORMAT " messages (limit %d; %d appended in all)\n",
          count, WPI_STORE_DEFAULT_TRAFFIC_LIMIT, traffic_rows + single_commit_rows);

  /* closing checkpoints the WAL into the database: the size is the settled one, and the
   * reads below measure reading, not the write-back of what was just written */
  g_clear_object (&store);
  printf ("database size with %" G_GINT64_FORMAT " messages: %.1f MB (%.0f bytes per message)\n",
          count, store_megabytes (dir), store_megabytes (dir) * 1024 * 1024 / MAX (count, 1));
  store = wpi_store_open (dir, &error);
  if (store == NULL)
    bench_die ("reopen", error);

  if (!wpi_store_traffic_get_bounds (store, &first, &last, &error))
    bench_die ("bounds", error);

  /* what the inspector does when scrolled to a random place */
  times = g_new (gint64, MAX (range_reads, 1));
  for (int i = 0; i < range_reads; i++)
    {
      gint64 offset = count > 100 ? g_rand_int_range (rand, 0, (gint32) MIN (count - 100, G_MAXINT32)) : 0;
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(GPtrArray) range = wpi_store_traffic_get_range (store, first + offset, 100, &error);

      times[i] = g_get_monotonic_time () - t0;
      if (range == NULL)
        bench_die ("range", error);
      if (range->len != MIN (100, (guint) count))
        bench_die ("range length", NULL);
    }
  if (range_reads > 0)
    {
      qsort (times, range_reads, sizeof *times, bench_compare_int64);
      printf ("range read of 100 messages at random offsets (%d reads): median %" G_GINT64_FORMAT
              " µs, p99 %" G_GINT64_FORMAT " µs, max %" G_GINT64_FORMAT " µs\n",
              range_reads, times[range_reads / 2], times[range_reads * 99 / 100], times[range_reads - 1]);
    }

  for (int i = 0; i < range_reads; i++)
    {
      gint64 id = first + (count > 1 ? g_rand_int_range (rand, 0, (gint32) MIN (count, G_MAXINT32)) : 0);
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(WpiTrafficRecord) record = wpi_store_traffic_get (store, id, &error);

      times[i] = g_get_monotonic_time () - t0;
      if (record == NULL)
        bench_die ("get", error);
      body_bytes += g_bytes_get_size (record->body);
    }
  if (range_reads > 0)
    {
      qsort (times, range_reads, sizeof *times, bench_compare_int64);
      printf ("one message with its raw bytes by id (%d reads, %.0f bytes average): median %"
              G_GINT64_FORMAT " µs, p99 %" G_GINT64_FORMAT " µs\n",
              range_reads, body_bytes / range_reads, times[range_reads / 2], times[range_reads * 99 / 100]);
    }

  {
    gint64 t0 = g_get_monotonic_time ();

    count = wpi_store_traffic_count (store, &error);
    printf ("traffic count: %" G_GINT64_FORMAT " in %" G_GINT64_FORMAT " µs\n", count,
            g_get_monotonic_time () - t0);
  }
}

static void
apply_read_all (WpiStore  *store,
                GArray    *items,
                int        n_phones,
                double    *elapsed)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  for (int p = 0; p < n_phones; p++)
    {
      g_autofree char *mac = mac_for (p);
      WpiPhoneRecord phone = {
        .mac = mac,
        .firmware = (char *) "V3 R5.2.0",
        .device_type = (char *) "OpenStage 60",
        .state = WPI_PHONE_STATE_IN_SESSION,
        .last_contact_us = g_get_real_time (),
      };

      /* one phone message, one transaction: as the service applies it */
      if (!wpi_store_transaction_begin (store, &error) ||
          !wpi_store_phone_upsert (store, &phone,
                                   WPI_PHONE_FIELD_FIRMWARE | WPI_PHONE_FIELD_DEVICE_TYPE |
                                   WPI_PHONE_FIELD_STATE | WPI_PHONE_FIELD_LAST_CONTACT,
                                   NULL, &error) ||
          !wpi_store_phone_items_replace (store, mac, (WpiStoreItem *) items->data, items->len,
                                          g_get_real_time (), p + 1, &error) ||
          !wpi_store_transaction_commit (store, &error))
        bench_die ("ReadAllItems", error);
    }
  *elapsed = seconds_since (start);
}

static void
bench_read_all (const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (dir, &error);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  double first, again;

  if (store == NULL)
    bench_die ("open", error);

  for (int i = 0; i < items_per_phone; i++)
    {
      g_autofree char *name = g_strdup_printf ("catalogue-item-%d", i / 4);
      g_autofree char *value = g_strdup_printf ("value of item %d, typically a short string", i);

      wpi_store_item_array_add (items, name, i % 4 != 0, i % 4, value);
    }

  apply_read_all (store, items, phones, &first);
  apply_read_all (store, items, phones, &again);
  printf ("ReadAllItems of %d items for %d phones, new phones: %.2f s (%.2f ms per phone, %.0f items/s)\n",
          items_per_phone, phones, first, first * 1000 / phones, (double) items_per_phone * phones / first);
  printf ("ReadAllItems of %d items for %d phones, replacing their items: %.2f s (%.2f ms per phone, %.0f items/s)\n",
          items_per_phone, phones, again, again * 1000 / phones, (double) items_per_phone * phones / again);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- WpiStore benchmark");
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240601);
  g_autofree char *tmp = NULL;
  g_autofree char *traffic_dir = NULL;
  g_autofree char *phones_dir = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    bench_die ("options", error);
  if (batch_size < 1 || traffic_rows < 0 || single_commit_rows < 0 || phones < 0 ||
      items_per_phone < 0 || range_reads < 0)
    bench_die ("options", NULL);

  if (data_dir == NULL)
    {
      tmp = test_util_make_tmp_dir ("bench-store");
    }
  traffic_dir = g_build_filename (data_dir ? data_dir : tmp, "traffic", NULL);
  phones_dir = g_build_filename (data_dir ? data_dir : tmp, "phones", NULL);

  printf ("SQLite %s, store in %s\n", sqlite3_libversion (), data_dir ? data_dir : tmp);
  bench_traffic (traffic_dir, rand);
  bench_read_all (phones_dir);

  if (tmp != NULL)
    test_util_remove_tree (tmp);
  g_free (data_dir);
  return 0;
}
