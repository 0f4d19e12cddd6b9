/* wpc-ctl-output.c: how wpictl presents the store */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include "wpc-ctl-output.h"
#include "wpi-codec.h"
#include "wpi-dump.h"

char *
wpc_ctl_format_relative (gint64 time_us,
                         gint64 now_us)
{
  gint64 seconds;
  gboolean future;

  if (time_us == 0)
    return g_strdup ("never");

  future = time_us > now_us;
  seconds = (future ? time_us - now_us : now_us - time_us) / G_USEC_PER_SEC;
  if (seconds < 5)
    return g_strdup (future ? "now" : "just now");

#define RELATIVE(amount, unit) \
  (future ? g_strdup_printf ("in %" G_GINT64_FORMAT " %s", (gint64) (amount), unit) \
          : g_strdup_printf ("%" G_GINT64_FORMAT " %s ago", (gint64) (amount), unit))

  if (seconds < 60)
    return RELATIVE (seconds, "s");
  if (seconds < 60 * 60)
    return RELATIVE (seconds / 60, "min");
  if (seconds < 48 * 60 * 60)
    return RELATIVE (seconds / (60 * 60), "h");
  return RELATIVE (seconds / (24 * 60 * 60), "d");

#undef RELATIVE
}

char *
wpc_ctl_format_iso_time (gint64 time_us)
{
  g_autoptr(GDateTime) time = NULL;

  if (time_us == 0)
    return NULL;
  time = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  if (time == NULL)
    return NULL;
  time = g_date_time_add (time, time_us % G_USEC_PER_SEC);
  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%S.%fZ");
}

char *
wpc_ctl_format_item_name (const char *name,
                          gboolean    has_index,
                          gint64      index)
{
  if (!has_index)
    return g_strdup (name);
  return g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", name, index);
}

const char *
wpc_ctl_display_value (WpiCatalogue *catalogue,
                       const char   *name,
                       const char   *value,
                       gboolean      show_secrets)
{
  if (value == NULL || show_secrets || !wpi_catalogue_is_secret (catalogue, name))
    return value;
  return WPC_CTL_MASKED;
}

char *
wpc_ctl_describe_value (WpiCatalogue *catalogue,
                        const char   *name,
                        const char   *value,
                        gboolean      show_secrets)
{
  const char *shown = wpc_ctl_display_value (catalogue, name, value, show_secrets);
  g_autofree char *meaning = NULL;

  if (shown == NULL)
    return NULL;
  /* describe_value gives nothing for secrets, so a masked value stays masked */
  meaning = wpi_catalogue_describe_value (catalogue, name, value);
  if (meaning == NULL || strcmp (meaning, value) == 0)
    return g_strdup (shown);
  return g_strdup_printf ("%s (%s)", shown, meaning);
}

char *
wpc_ctl_format_one_line (const char *value,
                         guint       max_chars)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n_chars = 0;

  if (value == NULL)
    return NULL;

  for (const char *p = value; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (max_chars > 0 && n_chars >= max_chars)
        {
          g_string_append (out, "…");
          break;
        }
      if (*p == '\n')
        g_string_append (out, "\\n");
      else if (*p == '\r')
        g_string_append (out, "\\r");
      else if (*p == '\t')
        g_string_append (out, "\\t");
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      n_chars++;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

gboolean
wpc_ctl_item_status_is_failure (const char *status)
{
  /* The phone's own vocabulary (protocol.md §4.3); "accepted" and the service's
   * "reported" are OTHER and mean success. */
  switch (wpi_item_status_from_string (status))
    {
    case WPI_ITEM_STATUS_NONE:
    case WPI_ITEM_STATUS_OTHER:
      return FALSE;
    case WPI_ITEM_STATUS_FAILED:
    case WPI_ITEM_STATUS_UNKNOWN_ITEM:
    case WPI_ITEM_STATUS_READ_ONLY:
    case WPI_ITEM_STATUS_INVALID_INDEX:
    case WPI_ITEM_STATUS_UNEXPECTED_ITEM:
    case WPI_ITEM_STATUS_NOT_SUPPORTED:
    case WPI_ITEM_STATUS_INVALID_DATA:
    case WPI_ITEM_STATUS_UNDEFINED_STATUS:
    default:
      return TRUE;
    }
}

/* ---- tables ---- */

struct _WpcCtlTable {
  guint      n_columns;
  char      *indent;
  GPtrArray *rows;   /* GStrv: n_columns cells, or one cell for a section title */
};

WpcCtlTable *
wpc_ctl_table_new (guint       n_columns,
                   const char *indent)
{
  WpcCtlTable *table;

  g_return_val_if_fail (n_columns > 0, NULL);

  table = g_new0 (WpcCtlTable, 1);
  table->n_columns = n_columns;
  table->indent = g_strdup (indent != NULL ? indent : "");
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  return table;
}

gboolean
wpc_ctl_table_is_empty (WpcCtlTable *table)
{
  return table->rows->len == 0;
}

void
wpc_ctl_table_add_row (WpcCtlTable *table,
                       ...)
{
  char **row = g_new0 (char *, table->n_columns + 1);
  va_list args;

  va_start (args, table);
  for (guint i = 0; i < table->n_columns; i++)
    {
      const char *cell = va_arg (args, const char *);

      row[i] = g_strdup (cell != NULL && *cell != '\0' ? cell : "-");
    }
  va_end (args);
  g_ptr_array_add (table->rows, row);
}

void
wpc_ctl_table_add_section (WpcCtlTable *table,
                           const char  *title)
{
  char **row = g_new0 (char *, 2);

  row[0] = g_strdup (title);
  g_ptr_array_add (table->rows, row);
}

void
wpc_ctl_table_print (WpcCtlTable *table,
                     FILE        *out)
{
  g_autofree glong *widths = g_new0 (glong, table->n_columns);
  g_autoptr(GString) line = g_string_new (NULL);

  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);

      if (g_strv_length (row) != table->n_columns)
        continue;
      for (guint c = 0; c < table->n_columns; c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (row[c], -1));
    }

  for (guint r = 0; r < table->rows->len; r++)
    {
      char **row = g_ptr_array_index (table->rows, r);

      g_string_truncate (line, 0);
      if (g_strv_length (row) != table->n_columns)
        {
          /* a section: a blank line, then its title at the margin */
          g_string_append_printf (line, "\n%s\n", row[0]);
          fwrite (line->str, 1, line->len, out);
          continue;
        }
      g_string_append (line, table->indent);
      for (guint c = 0; c < table->n_columns; c++)
        {
          g_string_append (line, row[c]);
          if (c + 1 < table->n_columns)
            for (glong pad = g_utf8_strlen (row[c], -1); pad < widths[c] + 2; pad++)
              g_string_append_c (line, ' ');
        }
      g_string_append_c (line, '\n');
      fwrite (line->str, 1, line->len, out);
    }
}

void
wpc_ctl_table_free (WpcCtlTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->rows);
  g_free (table->indent);
  g_free (table);
}

/* ---- JSON ---- */

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_time (JsonBuilder *builder,
          const char  *member,
          gint64       time_us)
{
  g_autofree char *text = wpc_ctl_format_iso_time (time_us);

  add_string (builder, member, text);
}

static void
add_index (JsonBuilder *builder,
           gboolean     has_index,
           gint64       index)
{
  json_builder_set_member_name (builder, "index");
  if (has_index)
    json_builder_add_int_value (builder, index);
  else
    json_builder_add_null_value (builder);
}

JsonNode *
wpc_ctl_phone_to_json (const WpiPhoneRecord *phone,
                       guint                 pending_jobs,
                       gboolean              details)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "mac", phone->mac);
  add_string (builder, "e164", phone->e164);
  add_string (builder, "model", phone->device_type);
  add_string (builder, "firmware", phone->firmware);
  add_string (builder, "ip", phone->ip);
  add_string (builder, "mode", wpi_phone_mode_to_string (phone->mode));
  add_string (builder, "state", wpc_ctl_phone_state (phone));
  add_time (builder, "last_contact", phone->last_contact_us);
  json_builder_set_member_name (builder, "pending_jobs");
  json_builder_add_int_value (builder, pending_jobs);
  if (details)
    {
      add_string (builder, "contact_me_uri", phone->contact_me_uri);
      add_string (builder, "location", phone->location);
      add_string (builder, "profile", phone->profile);
      add_time (builder, "created", phone->created_us);
      add_time (builder, "updated", phone->updated_us);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
wpc_ctl_item_to_json (const WpiStoreItem *item,
                      WpiCatalogue       *catalogue,
                      gboolean            show_secrets,
                      gboolean            phone_item)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gboolean secret = wpi_catalogue_is_secret (catalogue, item->name);
  g_autofree char *meaning = NULL;

  if (item->value != NULL)
    meaning = wpi_catalogue_describe_value (catalogue, item->name, item->value);

  json_builder_begin_object (builder);
  add_string (builder, "name", item->name);
  add_index (builder, item->has_index, item->index);
  add_string (builder, "value", wpc_ctl_display_value (catalogue, item->name, item->value, show_secrets));
  add_string (builder, "meaning", meaning);
  json_builder_set_member_name (builder, "secret");
  json_builder_add_boolean_value (builder, secret);
  if (phone_item)
    {
      WpiItemInfo *info = wpi_catalogue_lookup (catalogue, item->name);

      add_string (builder, "category", info != NULL ? wpi_item_info_get_category (info) : "other");
      add_time (builder, "updated", item->updated_us);
    }
  else
    add_string (builder, "status", item->status);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
wpc_ctl_phone_event_to_json (const WpiPhoneEvent *event)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_time (builder, "time", event->time_us);
  add_string (builder, "kind", event->kind);
  add_string (builder, "user", event->user);
  add_string (builder, "detail", event->detail);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
wpc_ctl_job_to_json (const WpiJobRecord *job,
                     WpiCatalogue       *catalogue,
                     gboolean            show_secrets)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, job->id);
  add_string (builder, "mac", job->mac);
  add_string (builder, "kind", wpi_job_kind_to_string (job->kind));
  add_string (builder, "state", wpi_job_state_to_string (job->state));
  add_string (builder, "parameter", job->parameter);
  add_string (builder, "failure_reason", job->failure_reason);
  add_time (builder, "created", job->created_us);
  add_time (builder, "updated", job->updated_us);
  json_builder_set_member_name (builder, "attempts");
  json_builder_add_int_value (builder, job->attempts);
  add_time (builder, "next_attempt", job->next_attempt_us);
  if (job->items != NULL)
    {
      json_builder_set_member_name (builder, "items");
      json_builder_begin_array (builder);
      for (guint i = 0; i < job->items->len; i++)
        json_builder_add_value (builder,
                                wpc_ctl_item_to_json (&g_array_index (job->items, WpiStoreItem, i),
                                                      catalogue, show_secrets, FALSE));
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* The summary the store kept, for a body that does not parse: the same members as
 * wpi_message_to_json_node(), items null. */
static JsonNode *
summary_to_json (const WpiTrafficRecord *record)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string (builder, "root", record->root);
  add_string (builder, "nonce", record->nonce);
  json_builder_set_member_name (builder, "max_items");
  json_builder_add_null_value (builder);
  add_string (builder, "fragment", record->fragment);
  add_string (builder, "reason", record->reason);
  add_string (builder, "action", record->action);
  add_string (builder, "status", record->status);
  json_builder_set_member_name (builder, "items");
  json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
mask_message_items (JsonObject   *object,
                    WpiCatalogue *catalogue)
{
  JsonArray *items = json_object_get_array_member (object, "items");

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      const char *name = json_object_get_string_member_with_default (item, "name", NULL);

      if (name != NULL && wpi_catalogue_is_secret (catalogue, name) &&
          !json_object_get_null_member (item, "value"))
        json_object_set_string_member (item, "value", WPC_CTL_MASKED);
    }
}

JsonNode *
wpc_ctl_traffic_to_json (const WpiTrafficRecord *record,
                         WpiCatalogue           *catalogue,
                         gboolean                show_secrets)
{
  g_autoptr(WpiMessage) message = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autofree char *time = wpc_ctl_format_iso_time (record->time_us);
  const char *error_text = record->error_text;
  JsonNode *node;
  JsonObject *object;

  {
    gsize length = 0;
    const char *data = record->body != NULL ? g_bytes_get_data (record->body, &length) : NULL;

    message = wpi_message_parse (data != NULL ? data : "", length, &parse_error);
  }
  if (message != NULL)
    node = wpi_message_to_json_node (message);
  else
    node = summary_to_json (record);

  /* The store's own verdict wins; a body it took for good but that does not parse
   * here is reported too, rather than shown as if it had no items. */
  if (error_text == NULL && parse_error != NULL)
    error_text = parse_error->message;

  object = json_node_get_object (node);
  if (!show_secrets)
    mask_message_items (object, catalogue);
  json_object_set_int_member (object, "id", record->id);
  if (time != NULL)
    json_object_set_string_member (object, "time", time);
  else
    json_object_set_null_member (object, "time");
  json_object_set_string_member (object, "direction", wpi_traffic_direction_to_string (record->direction));
  json_object_set_int_member (object, "port", record->port);
#define SET_OPTIONAL(member, value) \
  ((value) != NULL ? json_object_set_string_member (object, member, value) \
                   : json_object_set_null_member (object, member))
  SET_OPTIONAL ("peer", record->peer);
  SET_OPTIONAL ("mac", record->mac);
  SET_OPTIONAL ("flow", record->flow_id);
  SET_OPTIONAL ("error", error_text);
#undef SET_OPTIONAL
  return node;
}

void
wpc_ctl_print_json (JsonNode *node,
                    gboolean  pretty,
                    FILE     *out)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;
  gsize length;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, pretty);
  json_generator_set_indent (generator, 2);
  text = json_generator_to_data (generator, &length);
  /* fwrite, not g_print: the bytes are UTF-8 whatever the locale */
  fwrite (text, 1, length, out);
  fputc ('\n', out);
}

const char *
wpc_ctl_phone_state (const WpiPhoneRecord *phone)
{
  return phone->expected ? "expected" : wpi_phone_state_to_string (phone->state);
}
