/* wpictl-traffic.c: the traffic command */
#include "config.h"

#include <stdio.h>

#include "wpictl-private.h"
#include "wpi-traffic-export.h"

/* traffic without --limit: the newest this many */
#define DEFAULT_TRAFFIC_LIMIT 100

/* Keeps the last limit records (0: all) */
static GPtrArray *
keep_newest (GPtrArray *records,
             guint      limit)
{
  if (records != NULL && limit > 0 && records->len > limit)
    g_ptr_array_remove_range (records, 0, records->len - limit);
  return records;
}

/* The newest limit messages (0: all), of one phone and/or one flow or of every one,
 * oldest first */
static GPtrArray *
list_traffic (const char  *mac,
              const char  *flow,
              guint        limit,
              GError     **error)
{
  GPtrArray *records;
  gint64 first_id, last_id, start;
  guint count;

  if (flow != NULL)
    {
      records = wpi_store_traffic_list_by_flow (wpictl.store, flow, error);
      for (guint i = records != NULL ? records->len : 0; mac != NULL && i > 0; i--)
        {
          const WpiTrafficRecord *record = g_ptr_array_index (records, i - 1);

          if (g_strcmp0 (record->mac, mac) != 0)
            g_ptr_array_remove_index (records, i - 1);
        }
      return keep_newest (records, limit);
    }
  if (mac != NULL)
    /* the store lists a phone's messages by id: keep the tail */
    return keep_newest (wpi_store_traffic_list_by_mac (wpictl.store, mac, 0, 0, error), limit);

  if (!wpi_store_traffic_get_bounds (wpictl.store, &first_id, &last_id, error))
    return NULL;
  if (last_id == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_traffic_record_free);
  start = limit > 0 ? MAX (first_id, last_id - (gint64) limit + 1) : first_id;
  count = (guint) MIN (last_id - start + 1, (gint64) G_MAXUINT);
  return wpi_store_traffic_get_range (wpictl.store, start, count, error);
}

/* --jsonl / --pcapng: the console's own exports (README: Traffic exports; D29) */
static int
export_traffic (GPtrArray               *records,
                const char              *path,
                WpiTrafficExportFormat   format)
{
  g_autoptr(GArray) ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), records->len);
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr(GError) error = NULL;
  guint written = 0, skipped = 0;

  for (guint i = 0; i < records->len; i++)
    g_array_append_val (ids, ((const WpiTrafficRecord *) g_ptr_array_index (records, i))->id);
  if (!wpi_traffic_export (wpictl.store, ids, format, file,
                           wpictl_opt.show_secrets ? WPI_DUMP_SHOW_SECRETS : WPI_DUMP_NONE,
                           &written, &skipped, NULL, &error))
    return _wpictl_fail (EXIT_INVALID, "Cannot export to %s: %s", path, error->message);
  if (skipped > 0)
    g_print ("%s: %u message%s, %u left out (a body that does not parse has no JSON line)\n",
             path, written, written == 1 ? "" : "s", skipped);
  else
    g_print ("%s: %u message%s\n", path, written, written == 1 ? "" : "s");
  return EXIT_OK;
}

/* JSON lines, each with its parsed body, loaded one at a time */
static int
print_traffic_json (GPtrArray *records)
{
  for (guint i = 0; i < records->len; i++)
    {
      const WpiTrafficRecord *summary = g_ptr_array_index (records, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiTrafficRecord) record = wpi_store_traffic_get (wpictl.store, summary->id, &error);
      g_autoptr(JsonNode) node = NULL;

      if (record == NULL)
        {
          /* deleted by retention since the listing: not an error */
          if (g_error_matches (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
            continue;
          return _wpictl_fail_error (error);
        }
      node = wpc_ctl_traffic_to_json (record, wpictl.catalogue, wpictl_opt.show_secrets);
      wpc_ctl_print_json (node, FALSE, stdout);
    }
  return EXIT_OK;
}

static void
print_traffic_table (GPtrArray *records)
{
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (7, NULL);

  wpc_ctl_table_add_row (table, "ID", "TIME", "DIR", "PORT", "PEER", "MAC", "MESSAGE");
  for (guint i = 0; i < records->len; i++)
    {
      const WpiTrafficRecord *record = g_ptr_array_index (records, i);
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (record->time_us / G_USEC_PER_SEC);
      g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
      g_autofree char *time = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : NULL;
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, record->id);
      g_autofree char *port = g_strdup_printf ("%u", record->port);
      g_autofree char *summary = wpi_traffic_format_summary (record);

      wpc_ctl_table_add_row (table, id, time, wpi_traffic_direction_to_string (record->direction),
                             port, record->peer, record->mac, summary);
    }
  wpc_ctl_table_print (table, stdout);
}

int
_wpictl_cmd_traffic (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *mac = NULL;
  gboolean exporting = wpictl_opt.jsonl != NULL || wpictl_opt.pcapng != NULL;
  /* a file gets every message asked for; the screen the newest 100 */
  guint limit = wpictl_opt.limit >= 0 ? (guint) wpictl_opt.limit : exporting ? 0 : DEFAULT_TRAFFIC_LIMIT;
  int status = EXIT_OK;

  if (wpictl_opt.limit < -1)
    return _wpictl_fail (EXIT_INVALID, "--limit takes a number of messages, 0 for all");
  if (exporting && wpictl_opt.json)
    return _wpictl_fail (EXIT_USAGE, "--json prints to the terminal; --jsonl FILE writes the JSON lines export");
  if (wpictl_opt.phone != NULL && (mac = _wpictl_normalize_mac (wpictl_opt.phone, &error)) == NULL)
    return _wpictl_fail_error (error);
  if (wpictl_opt.flow != NULL && wpictl_opt.flow[0] == '\0')
    return _wpictl_fail (EXIT_INVALID, "--flow takes a flow id");
  if (!_wpictl_open_store (FALSE, &error) ||
      (records = list_traffic (mac, wpictl_opt.flow, limit, &error)) == NULL)
    return _wpictl_fail_error (error);

  if (exporting && records->len == 0)
    return _wpictl_fail (EXIT_INVALID, "No messages%s%s%s%s: nothing written",
                         mac != NULL ? " of phone " : "", mac != NULL ? mac : "",
                         wpictl_opt.flow != NULL ? " in flow " : "", wpictl_opt.flow != NULL ? wpictl_opt.flow : "");
  if (wpictl_opt.jsonl != NULL)
    status = export_traffic (records, wpictl_opt.jsonl, WPI_TRAFFIC_EXPORT_JSON_LINES);
  if (status == EXIT_OK && wpictl_opt.pcapng != NULL)
    status = export_traffic (records, wpictl_opt.pcapng, WPI_TRAFFIC_EXPORT_PCAPNG);
  if (exporting)
    return status;

  if (wpictl_opt.json)
    return print_traffic_json (records);
  print_traffic_table (records);
  return EXIT_OK;
}
