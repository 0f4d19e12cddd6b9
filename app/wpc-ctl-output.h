/* wpc-ctl-output.h: how wpictl presents the store (tables, times, values, JSON)
 *
 * Text output is for people: aligned columns, relative times, decoded values. JSON
 * output is for scripts: the same fields with absolute times (ISO 8601, UTC) and
 * nulls where the store has nothing.
 */
#pragma once

#include <stdio.h>

#include <json-glib/json-glib.h>

#include "wpi-catalogue.h"
#include "wpi-store.h"

G_BEGIN_DECLS

/* What a secret value is printed as unless --show-secrets */
#define WPC_CTL_MASKED "<masked>"

/* "never" (0), "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", or "in 5 s". */
char      *wpc_ctl_format_relative      (gint64                  time_us,
                                         gint64                  now_us);
/* "2026-11-26T23:41:28.123Z", or NULL for 0 (never) */
char      *wpc_ctl_format_iso_time      (gint64                  time_us);
/* "name" or "name[3]" */
char      *wpc_ctl_format_item_name     (const char             *name,
                                         gboolean                has_index,
                                         gint64                  index);
/* The value to print: the value itself, or WPC_CTL_MASKED for a secret item unless
 * show_secrets. NULL stays NULL. */
const char *wpc_ctl_display_value       (WpiCatalogue           *catalogue,
                                         const char             *name,
                                         const char             *value,
                                         gboolean                show_secrets);
/* "value (meaning)" when the catalogue knows a meaning, else the display value */
char      *wpc_ctl_describe_value       (WpiCatalogue           *catalogue,
                                         const char             *name,
                                         const char             *value,
                                         gboolean                show_secrets);
/* A value on one line of a table: line breaks and tabs shown as \n and \t, cut to
 * max_chars characters with "…" when longer (0: no limit). */
char      *wpc_ctl_format_one_line      (const char             *value,
                                         guint                   max_chars);
/* Whether an item status names a refusal (read only, unknown item, ...) rather than
 * success or nothing. */
gboolean   wpc_ctl_item_status_is_failure (const char           *status);

/* Rows of cells; columns are padded to their widest cell (in characters), the last
 * column is not padded, every line starts with the indent. NULL or empty cells print
 * as "-". A header is just the first row. Only a single-column table would confuse a
 * row with a section, and none is made. */
typedef struct _WpcCtlTable WpcCtlTable;

WpcCtlTable *wpc_ctl_table_new          (guint                   n_columns,
                                         const char             *indent);
/* Exactly n_columns cells; the strings are copied. */
void       wpc_ctl_table_add_row        (WpcCtlTable            *table,
                                         ...);
/* A title on a line of its own after a blank line, at the margin; the columns of the
 * rows around it share their widths. */
void       wpc_ctl_table_add_section    (WpcCtlTable            *table,
                                         const char             *title);
gboolean   wpc_ctl_table_is_empty       (WpcCtlTable            *table);
void       wpc_ctl_table_print          (WpcCtlTable            *table,
                                         FILE                   *out);
void       wpc_ctl_table_free           (WpcCtlTable            *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpcCtlTable, wpc_ctl_table_free)

/* JSON objects. Items: {name, index, value, meaning, status, secret}; phone items add
 * category and updated. */
JsonNode  *wpc_ctl_phone_to_json        (const WpiPhoneRecord   *phone,
                                         guint                   pending_jobs,
                                         gboolean                details);
JsonNode  *wpc_ctl_job_to_json          (const WpiJobRecord     *job,
                                         WpiCatalogue           *catalogue,
                                         gboolean                show_secrets);
JsonNode  *wpc_ctl_item_to_json         (const WpiStoreItem     *item,
                                         WpiCatalogue           *catalogue,
                                         gboolean                show_secrets,
                                         gboolean                phone_item);
/* A phone's event (mobility logon or logoff): {time, kind, user, detail} */
JsonNode  *wpc_ctl_phone_event_to_json  (const WpiPhoneEvent    *event);
/* A traffic message with its body: the `wpi-decode --json` object of the parsed body
 * (or, when it does not parse, the store's summary with items null) plus id, time,
 * direction, port, peer, mac, flow and error. */
JsonNode  *wpc_ctl_traffic_to_json      (const WpiTrafficRecord *record,
                                         WpiCatalogue           *catalogue,
                                         gboolean                show_secrets);

/* Writes node and a line break: indented when pretty, else one line. */
void       wpc_ctl_print_json           (JsonNode               *node,
                                         gboolean                pretty,
                                         FILE                   *out);

/* The state's nick, or "expected" for a phone imported ahead that has not called (D24) */
const char *wpc_ctl_phone_state        (const WpiPhoneRecord   *phone);

G_END_DECLS
