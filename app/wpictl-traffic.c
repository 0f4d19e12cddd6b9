/* wpictl-traffic.c: the traffic command */
#include "config.h"

#include <stdio.h>

#include "wpictl-private.h"

/* traffic without --limit: the newest this many */
#define DEFAULT_TRAFFIC_LIMIT 100

static void
traffic_summary (const WpiTrafficRecord *record,
                 GString                *out)
{
  g_string_append (out, record->root != NULL ? record->root : "?");
  if (record->reason != NULL)
    g_string_append_printf (out, " %s", record->reason);
  if (record->action != NULL)
    g_string_append_printf (out, " %s", record->action);
  if (record->status != NULL)
    g_string_append_printf (out, " status=%s", record->status);
  if (record->fragment != NULL)
    g_string_append_printf (out, " fragment=%s", record->fragment);
  if (record->item_count >= 0)
    g_string_append_printf (out, ", %d item%s", record->item_count, record->item_count == 1 ? "" : "s");
  if (record->error_text != NULL)
    g_string_append_printf (out, ", error: %s", record->error_text);
}

/* The newest limit messages (0: all), of one phone or of every one, oldest first */
static GPtrArray *
list_traffic (const char  *mac,
              guint        limit,
              GError     **error)
{
  GPtrArray *records;
  gint64 first_id, last_id, start;
  guint count;

  if (mac != NULL)
    {
      /* the store lists a phone's messages by id: keep the tail */
      records = wpi_store_traffic_list_by_mac (wpictl.store, mac, 0, 0, error);
      if (records != NULL && limit > 0 && records->len > limit)
        g_ptr_array_remove_range (records, 0, records->len - limit);
      return records;
    }

  if (!wpi_store_traffic_get_bounds (wpictl.store, &first_id, &last_id, error))
    return NULL;
  if (last_id == 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_traffic_record_free);
  start = limit > 0 ? MAX (first_id, last_id - (gint64) limit + 1) : first_id;
  count = (guint) MIN (last_id - start + 1, (gint64) G_MAXUINT);
  return wpi_store_traffic_get_range (wpictl.store, start, count, error);
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
      g_autoptr(GString) summary = g_string_new (NULL);

      traffic_summary (record, summary);
      wpc_ctl_table_add_row (table, id, time, wpi_traffic_direction_to_string (record->direction),
                             port, record->peer, record->mac, summary->str);
    }
  wpc_ctl_table_print (table, stdout);
}

int
_wpictl_cmd_traffic (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *mac = NULL;
  guint limit = wpictl_opt.limit >= 0 ? (guint) wpictl_opt.limit : DEFAULT_TRAFFIC_LIMIT;

  if (wpictl_opt.limit < -1)
    return _wpictl_fail (EXIT_INVALID, "--limit takes a number of messages, 0 for all");
  if (wpictl_opt.phone != NULL && (mac = _wpictl_normalize_mac (wpictl_opt.phone, &error)) == NULL)
    return _wpictl_fail_error (error);
  if (!_wpictl_open_store (FALSE, &error) ||
      (records = list_traffic (mac, limit, &error)) == NULL)
    return _wpictl_fail_error (error);

  if (wpictl_opt.json)
    return print_traffic_json (records);
  print_traffic_table (records);
  return EXIT_OK;
}
