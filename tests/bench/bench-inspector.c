/* bench-inspector.c: the traffic inspector's models over a large log (run with
 * `meson test --suite bench`)
 *
 * Builds a store with 1,000,000 messages (transactions of 10,000), then prints:
 *  - open: store and model opened, item count, the first screen of 50 rows;
 *  - scrolling: screens of 50 rows at random positions (and the page reads they cost);
 *  - newest first (the cheap sort) and its first screen;
 *  - the filters of README.md and wpi-filter.h over every row, each the way before the
 *    item index (D28: every summary copied, bodies decoded) and with it (the columns the
 *    filter reads, the index), which must find the same messages;
 *  - the item index's cost (D28): two more logs of --compare-messages messages, written
 *    by turns a batch at a time, one without the index as before and one with it:
 *    the write cost per message and the bytes per message on disk;
 *  - resident memory (VmRSS, VmHWM from /proc/self/status) after each step.
 * Sizes are options, so a quick run is possible: bench-inspector --messages 100000.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "wpi-filter.h"
#include "wpi-traffic-filter-model-private.h"
#include "wpi-traffic-model.h"
#include "bench-util.h"
#include "test-util.h"

#define SCREEN 50

static int n_messages = 1000000;
static int batch_size = 10000;
static int scrolls = 1000;
static int compare_messages = 200000;
static gboolean indexed_only = FALSE;
static char *data_dir = NULL;

static GOptionEntry entries[] = {
  { "messages", 0, 0, G_OPTION_ARG_INT, &n_messages, "Messages in the log", "N" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &batch_size, "Messages per transaction", "N" },
  { "scrolls", 0, 0, G_OPTION_ARG_INT, &scrolls, "Random screens to read", "N" },
  { "compare-messages", 0, 0, G_OPTION_ARG_INT, &compare_messages,
    "Messages in each of the logs that compare the write cost and size of the item index", "N" },
  { "indexed-only", 0, 0, G_OPTION_ARG_NONE, &indexed_only,
    "Run the filters with the item index only (to profile it), not also the way before it", NULL },
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir,
    "Use (and keep) the store here; an existing log of the right size is reused", "DIR" },
  { NULL }
};

static double
ms_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / 1000.0;
}

/* A line of /proc/self/status in MB */
static double
status_mb (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, field);
  if (line == NULL)
    return -1;
  return g_ascii_strtoull (line + strlen (field) + 1, NULL, 10) / 1024.0;
}

static void
print_memory (const char *when)
{
  printf ("  memory %-34s VmRSS %7.1f MB   VmHWM %7.1f MB\n", when, status_mb ("VmRSS:"), status_mb ("VmHWM:"));
}

/* Message i: 2,000 phones, flows of four messages (phone request, service action, phone
 * reply, clean-up); every seventh reply busy; WriteItems carry sip-transport-user. */
/* The message's items, as the service has them from the message it decoded or sent */
static WpiMessage *
record_items (const WpiTrafficRecord *record,
              guint                   flow,
              guint                   phone)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, record->nonce);
  g_autofree char *e164 = g_strdup_printf ("49897%06u", phone);
  g_autofree char *transport = g_strdup_printf ("%u", flow % 3);
  g_autofree char *password = g_strdup_printf ("secret%u", flow);

  if (record->reason != NULL && g_str_equal (record->reason, "solicited"))
    {
      wpi_message_add_item (message, "mac-addr", record->mac);
      wpi_message_add_item (message, "e164", e164);
      wpi_message_add_item (message, "device-type", "OpenStage 60");
    }
  else if (record->action != NULL && g_str_equal (record->action, "WriteItems") && record->reason == NULL)
    {
      wpi_message_add_item (message, "sip-transport-user", transport);
      wpi_message_add_item (message, "admin-pwd", password);
    }
  return message;
}

static WpiTrafficRecord *
make_record (guint        i,
             WpiMessage **items)
{
  WpiTrafficRecord *record = wpi_traffic_record_new ();
  guint flow = i / 4;
  guint phone = flow % 2000;
  guint step = i % 4;
  GString *body = g_string_new (NULL);
  g_autofree char *nonce = g_strdup_printf ("%08X%08X%08X%08X", flow, phone, flow * 7, 0xC0FFEEu);

  record->time_us = G_GINT64_CONSTANT (1700000000000000) + (gint64) i * 20000;
  record->direction = step % 2 == 0 ? WPI_TRAFFIC_DIRECTION_IN : WPI_TRAFFIC_DIRECTION_OUT;
  record->port = 18443;
  record->peer = g_strdup_printf ("10.%u.%u.%u:%u", phone / 65536, (phone / 256) % 256, phone % 256,
                                  40000 + flow % 20000);
  record->mac = g_strdup_printf ("00:1A:E8:00:%02X:%02X", phone / 256, phone % 256);
  record->flow_id = g_strdup_printf ("%016X", flow * 2654435761u);
  record->nonce = g_strdup (nonce);

  switch (step)
    {
    case 0:
      record->root = g_strdup ("WorkpointMessage");
      record->reason = g_strdup ("solicited");
      g_string_append_printf (body, "<WorkpointMessage xmlns=\"http://www.siemens.com/DLS\"><Message nonce=\"%s\" "
                              "maxItems=\"-1\"><ReasonForContact>solicited</ReasonForContact><ItemList>"
                              "<Item name=\"mac-addr\">%s</Item><Item name=\"e164\">49897%06u</Item>"
                              "<Item name=\"device-type\">OpenStage 60</Item></ItemList></Message>"
                              "</WorkpointMessage>", nonce, record->mac, phone);
      record->item_count = 3;
      break;
    case 1:
      record->root = g_strdup ("DLSMessage");
      record->action = g_strdup ("WriteItems");
      g_string_append_printf (body, "<DLSMessage xmlns=\"http://www.siemens.com/DLS\"><Message nonce=\"%s\">"
                              "<Action>WriteItems</Action><ItemList><Item name=\"sip-transport-user\">%u</Item>"
                              "<Item name=\"admin-pwd\">secret%u</Item></ItemList></Message></DLSMessage>",
                              nonce, flow % 3, flow);
      record->item_count = 2;
      break;
    case 2:
      record->root = g_strdup ("WorkpointMessage");
      record->reason = g_strdup ("reply-to");
      record->action = g_strdup ("WriteItems");
      record->status = g_strdup (flow % 7 == 0 ? "busy" : "accepted");
      g_string_append_printf (body, "<WorkpointMessage xmlns=\"http://www.siemens.com/DLS\"><Message nonce=\"%s\" "
                              "maxItems=\"-1\" fragment=\"final\"><ReasonForContact status=\"%s\" "
                              "action=\"WriteItems\">reply-to</ReasonForContact><ItemList/></Message>"
                              "</WorkpointMessage>", nonce, record->status);
      record->item_count = 0;
      break;
    default:
      record->root = g_strdup ("DLSMessage");
      record->action = g_strdup ("CleanUp");
      g_string_append_printf (body, "<DLSMessage xmlns=\"http://www.siemens.com/DLS\"><Message nonce=\"%s\">"
                              "<Action>CleanUp</Action></Message></DLSMessage>", nonce);
      record->item_count = 0;
      break;
    }
  record->body = g_string_free_to_bytes (body);
  {
    static const char head[] = "POST /DeploymentService/LoginService HTTP/1.1\r\nContent-Type: text/xml\r\n";

    record->headers = g_bytes_new_static (head, strlen (head));
  }
  *items = record_items (record, flow, phone);
  return record;
}

/* Appends messages first..first + n - 1 in one transaction; the time the appends took,
 * with the item index built as the service builds it (D28) or without, as before. */
static gint64
append_batch (WpiStore *store,
              int       first,
              int       n,
              gboolean  with_index)
{
  g_autoptr(GError) error = NULL;
  gint64 spent = 0, start;

  if (!wpi_store_transaction_begin (store, &error))
    bench_die ("begin", error);
  for (int i = 0; i < n; i++)
    {
      g_autoptr(WpiMessage) items = NULL;
      g_autoptr(WpiTrafficRecord) record = make_record (first + i, &items);

      start = g_get_monotonic_time ();
      if (with_index)
        record->item_index = wpi_traffic_item_index_new (items);
      if (!wpi_store_traffic_append (store, record, NULL, &error))
        bench_die ("append", error);
      spent += g_get_monotonic_time () - start;
    }
  start = g_get_monotonic_time ();
  if (!wpi_store_transaction_commit (store, &error))
    bench_die ("commit", error);
  return spent + g_get_monotonic_time () - start;
}

static void
fill_store (WpiStore *store)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!wpi_store_traffic_set_limit (store, MAX (n_messages, 1), &error))
    bench_die ("limit", error);
  for (int done = 0; done < n_messages; done += batch_size)
    append_batch (store, done, MIN (batch_size, n_messages - done), TRUE);
  printf ("  built the log: %d messages in %.1f s\n", n_messages, ms_since (start) / 1000.0);
}

/* The bytes of a closed store's files */
static gint64
store_bytes (const char *dir)
{
  g_autoptr(GDir) files = g_dir_open (dir, 0, NULL);
  const char *name;
  gint64 total = 0;

  while (files != NULL && (name = g_dir_read_name (files)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GStatBuf st;

      if (g_stat (path, &st) == 0)
        total += st.st_size;
    }
  return total;
}

/* D28's costs: the same messages written to a log without the item index (as before)
 * and one with it, a batch to each by turns so that both see the same machine. */
static void
compare_write_cost (const char *parent)
{
  g_autofree char *old_dir = g_build_filename (parent, "compare-before", NULL);
  g_autofree char *new_dir = g_build_filename (parent, "compare-indexed", NULL);
  g_autoptr(WpiStore) old_store = NULL;
  g_autoptr(WpiStore) new_store = NULL;
  g_autoptr(GError) error = NULL;
  gint64 old_us = 0, new_us = 0, old_bytes, new_bytes;
  int n = MAX (compare_messages, 1);

  old_store = wpi_store_open (old_dir, &error);
  new_store = old_store != NULL ? wpi_store_open (new_dir, &error) : NULL;
  if (new_store == NULL)
    bench_die ("open", error);
  if (!wpi_store_traffic_set_limit (old_store, n, &error) || !wpi_store_traffic_set_limit (new_store, n, &error))
    bench_die ("limit", error);
  for (int done = 0; done < n; done += batch_size)
    {
      int batch = MIN (batch_size, n - done);

      old_us += append_batch (old_store, done, batch, FALSE);
      new_us += append_batch (new_store, done, batch, TRUE);
    }
  g_clear_object (&old_store);
  g_clear_object (&new_store);
  old_bytes = store_bytes (old_dir);
  new_bytes = store_bytes (new_dir);
  printf ("  item index (D28), %d messages each:\n", n);
  printf ("    write cost per message    before %7.2f us   with the index %7.2f us   %.2fx (goal <= 1.2x)\n",
          (double) old_us / n, (double) new_us / n, (double) new_us / MAX (old_us, 1));
  printf ("    size on disk per message  before %7.1f B    with the index %7.1f B    %.2fx (goal <= 1.3x)\n",
          (double) old_bytes / n, (double) new_bytes / n, (double) new_bytes / MAX (old_bytes, 1));
  test_util_remove_tree (old_dir);
  test_util_remove_tree (new_dir);
}

static void
read_screen (GListModel *model,
             guint       position)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = position; i < position + SCREEN && i < n; i++)
    {
      g_autoptr(WpiTrafficEntry) entry = g_list_model_get_item (model, i);

      if (entry == NULL || wpi_traffic_entry_is_missing (entry))
        bench_die ("a row is missing", NULL);
    }
}

/* The time one way took; *matches: what it found, *cpu_ms: the process's CPU time
 * meanwhile (the worker's and the list's), which a loaded machine does not inflate */
static double
time_filter (WpiTrafficFilterModel *model,
             WpiFilter             *filter,
             gboolean               use_index,
             double                *first_screen_ms,
             double                *cpu_ms,
             guint                 *matches)
{
  gint64 start, first_screen_us = 0;
  double cpu_start;

  wpi_traffic_filter_model_set_filter (model, NULL);
  _wpi_traffic_filter_model_set_use_index (model, use_index);
  start = g_get_monotonic_time ();
  cpu_start = bench_self_cpu_seconds ();
  wpi_traffic_filter_model_set_filter (model, filter);
  while (wpi_traffic_filter_model_get_running (model))
    {
      g_main_context_iteration (NULL, TRUE);
      /* When the list could first show a full screen of matches */
      if (first_screen_us == 0 && g_list_model_get_n_items (G_LIST_MODEL (model)) >= SCREEN)
        first_screen_us = g_get_monotonic_time () - start;
    }
  if (wpi_traffic_filter_model_get_error (model) != NULL)
    bench_die (wpi_filter_get_text (filter), (GError *) wpi_traffic_filter_model_get_error (model));
  *matches = g_list_model_get_n_items (G_LIST_MODEL (model));
  if (first_screen_us == 0)
    first_screen_us = g_get_monotonic_time () - start;
  *first_screen_ms = first_screen_us / 1000.0;
  *cpu_ms = (bench_self_cpu_seconds () - cpu_start) * 1000.0;
  read_screen (G_LIST_MODEL (model), 0);
  return ms_since (start);
}

/* The filter the way before the item index and with it (D28): same matches, the times */
static void
run_filter (WpiTrafficFilterModel *model,
            const char            *text)
{
  g_autoptr(WpiFilter) filter = NULL;
  g_autoptr(GError) error = NULL;
  double before_ms, indexed_ms, before_screen_ms, indexed_screen_ms, before_cpu_ms, indexed_cpu_ms;
  guint before_n, indexed_n;

  filter = wpi_filter_parse (text, WPI_FILTER_FLAGS_NONE, NULL, &error);
  if (filter == NULL)
    bench_die (text, error);
  indexed_ms = time_filter (model, filter, TRUE, &indexed_screen_ms, &indexed_cpu_ms, &indexed_n);
  if (indexed_only)
    before_ms = before_screen_ms = before_cpu_ms = 0, before_n = indexed_n;
  else
    before_ms = time_filter (model, filter, FALSE, &before_screen_ms, &before_cpu_ms, &before_n);
  if (before_n != indexed_n)
    bench_die ("the item index finds other messages than decoding", NULL);
  printf ("  filter %-72s %7u matches\n", text, indexed_n);
  printf ("    before the index %9.1f ms (CPU %8.1f ms, first screen %7.1f ms)   "
          "with it %8.1f ms (CPU %7.1f ms, first screen %6.1f ms)%s\n",
          before_ms, before_cpu_ms, before_screen_ms, indexed_ms, indexed_cpu_ms, indexed_screen_ms,
          indexed_ms <= 1000 ? "" : "   OVER 1 s");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the traffic inspector's models");
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = NULL;
  g_autoptr(WpiTrafficModel) model = NULL;
  g_autoptr(WpiTrafficFilterModel) filtered = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *tmp = NULL;
  gboolean keep = FALSE;
  gint64 first = 0, last = 0;
  gint64 start;
  guint loads, n;
  GRand *rand;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    bench_die ("options", error);
  setvbuf (stdout, NULL, _IOLBF, 0);

  if (data_dir != NULL)
    keep = TRUE;
  else
    {
      tmp = test_util_make_tmp_dir ("bench-inspector");
      data_dir = g_build_filename (tmp, "store", NULL);
    }

  printf ("bench-inspector: %d messages\n", n_messages);
  print_memory ("at start");

  /* The log, unless a kept one of this size is there */
  store = wpi_store_open (data_dir, &error);
  if (store == NULL)
    bench_die ("open", error);
  if (!wpi_store_traffic_get_bounds (store, &first, &last, &error))
    bench_die ("bounds", error);
  if (last - first + 1 != n_messages || first == 0)
    {
      if (first != 0)
        bench_die ("the data directory holds a log of another size", NULL);
      fill_store (store);
    }
  else
    printf ("  reusing the log in %s\n", data_dir);
  g_clear_object (&store);
  print_memory ("after building the log");

  /* Open: as the window does it */
  start = g_get_monotonic_time ();
  store = wpi_store_open (data_dir, &error);
  if (store == NULL)
    bench_die ("open", error);
  model = wpi_traffic_model_new (store, &error);
  if (model == NULL)
    bench_die ("model", error);
  filtered = wpi_traffic_filter_model_new (model);
  n = g_list_model_get_n_items (G_LIST_MODEL (filtered));
  read_screen (G_LIST_MODEL (filtered), 0);
  printf ("  open: store, model, %u items, first screen of %d    %9.1f ms  (%u page reads)\n", n, SCREEN,
          ms_since (start), wpi_traffic_model_get_page_loads (model));
  if (n != (guint) n_messages)
    bench_die ("the model counts the wrong number of messages", NULL);
  print_memory ("after opening");

  /* Scrolling to random positions */
  rand = g_rand_new_with_seed (42);
  loads = wpi_traffic_model_get_page_loads (model);
  start = g_get_monotonic_time ();
  for (int i = 0; i < scrolls; i++)
    {
      guint position = g_rand_int_range (rand, 0, MAX (1, (int) n - SCREEN));
      gint64 screen_start = g_get_monotonic_time ();
      double ms;

      read_screen (G_LIST_MODEL (filtered), position);
      ms = ms_since (screen_start);
      g_array_append_val (times, ms);
    }
  g_rand_free (rand);
  bench_sort_doubles (times);
  printf ("  scroll: %d random screens in %.1f ms: median %.3f ms, 99th %.3f ms, max %.3f ms  "
          "(%u page reads, %u pages cached)\n", scrolls, ms_since (start),
          bench_percentile (times, 50), bench_percentile (times, 99), bench_percentile (times, 100),
          wpi_traffic_model_get_page_loads (model) - loads, wpi_traffic_model_get_n_cached_pages (model));
  print_memory ("after scrolling");

  /* Newest first */
  start = g_get_monotonic_time ();
  wpi_traffic_filter_model_set_reversed (filtered, TRUE);
  read_screen (G_LIST_MODEL (filtered), 0);
  printf ("  sort: newest first and its first screen                  %9.1f ms\n", ms_since (start));
  wpi_traffic_filter_model_set_reversed (filtered, FALSE);

  /* Filters over every row: README.md's, wpi-filter.h's examples, follow flow */
  run_filter (filtered, "mac contains 1a:e8 and (status == busy or item.sip-transport-user == 2)");
  run_filter (filtered, "status == busy");
  print_memory ("after a summary filter");
  run_filter (filtered, "mac == 00:1A:E8:00:01:2C and dir == in");
  {
    g_autofree char *follow = NULL;
    g_autoptr(WpiTrafficEntry) entry = g_list_model_get_item (G_LIST_MODEL (model), n / 2);

    follow = g_strdup_printf ("flow == \"%s\"", wpi_traffic_entry_get_flow (entry));
    run_filter (filtered, follow);
  }
  run_filter (filtered, "item.sip-transport-user == 2");
  print_memory ("after an item filter");
  run_filter (filtered, "item.sip-transport-user == TLS");
  run_filter (filtered, "e164 ~ '^49897000' or error");
  run_filter (filtered, "e164 contains 4989700014");
  run_filter (filtered, "item matches \"^sip-\\w+\" and not dir == in");
  run_filter (filtered, "mac contains 1a:e8:00:01 and item.e164 ~ \"\\d+7$\"");
  wpi_traffic_filter_model_set_filter (filtered, NULL);
  print_memory ("at the end");

  g_clear_object (&filtered);
  g_clear_object (&model);
  g_clear_object (&store);

  {
    g_autofree char *parent = g_path_get_dirname (data_dir);

    compare_write_cost (parent);
  }
  print_memory ("after the write comparison");
  if (!keep)
    test_util_remove_tree (tmp);
  g_free (data_dir);
  return 0;
}
