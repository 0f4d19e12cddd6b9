/* wpi-traffic-export.c: logged messages as text for the inspector, and as files */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "wpi-catalogue.h"
#include "wpi-codec.h"
#include "wpi-traffic-export-private.h"

gboolean
wpi_traffic_item_is_secret (const char *name)
{
  /* Named explicitly as well: these two carry the phone's keys whatever the catalogue says. */
  return g_strcmp0 (name, "secure-mode-data") == 0 ||
         g_strcmp0 (name, "dls-client-certificate") == 0 ||
         wpi_catalogue_is_secret (wpi_catalogue_get_default (), name);
}

/* ---- Masking in the raw text ---------------------------------------------------- */

/* An Item element with content: its attributes (quoted values may hold ">"), then text,
 * CDATA sections, comments, references and anything else but the start of another Item,
 * up to </Item> or, in a body cut short, the end. Bytes, not characters: the body may not
 * be UTF-8. */
static const char item_pattern[] =
  "(<(?:[A-Za-z_][\\w.-]*:)?Item((?:\\s+[^\\s=/>]+\\s*=\\s*(?:\"[^\"]*\"|'[^']*'|[^\\s\"'>]+))*)\\s*>)"
  "((?:<!\\[CDATA\\[.*?\\]\\]>|<!--.*?-->|[^<]++|<(?!/?(?:[A-Za-z_][\\w.-]*:)?Item[\\s/>]))*+)"
  "(</(?:[A-Za-z_][\\w.-]*:)?Item\\s*>|\\z)";
static const char name_pattern[] = "(?:^|\\s)name\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s\"'>]+))";

static GRegex *
item_regex (void)
{
  static GRegex *regex;

  if (g_once_init_enter (&regex))
    g_once_init_leave (&regex, g_regex_new (item_pattern, G_REGEX_RAW | G_REGEX_DOTALL | G_REGEX_OPTIMIZE,
                                            0, NULL));
  return regex;
}

static GRegex *
name_regex (void)
{
  static GRegex *regex;

  if (g_once_init_enter (&regex))
    g_once_init_leave (&regex, g_regex_new (name_pattern, G_REGEX_RAW | G_REGEX_OPTIMIZE, 0, NULL));
  return regex;
}

/* An attribute value with XML's predefined and numeric references resolved */
static char *
unescape_attribute (const char *value)
{
  GString *out = g_string_new (NULL);
  static const struct { const char *name; char c; } predefined[] = {
    { "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' }, { "quot;", '"' }, { "apos;", '\'' },
  };

  for (const char *p = value; *p != '\0'; p++)
    {
      gboolean done = FALSE;

      if (*p != '&')
        {
          g_string_append_c (out, *p);
          continue;
        }
      for (guint i = 0; i < G_N_ELEMENTS (predefined) && !done; i++)
        if (g_str_has_prefix (p + 1, predefined[i].name))
          {
            g_string_append_c (out, predefined[i].c);
            p += strlen (predefined[i].name);
            done = TRUE;
          }
      if (!done && p[1] == '#')
        {
          char *end = NULL;
          gboolean hex = p[2] == 'x' || p[2] == 'X';
          guint64 c = g_ascii_strtoull (p + (hex ? 3 : 2), &end, hex ? 16 : 10);

          if (end != NULL && *end == ';' && c > 0 && c <= 0x10FFFF)
            {
              g_string_append_unichar (out, (gunichar) c);
              p = end;
              done = TRUE;
            }
        }
      if (!done)
        g_string_append_c (out, '&');
    }
  return g_string_free (out, FALSE);
}

static gboolean
mask_item (const GMatchInfo *match,
           GString          *result,
           gpointer          user_data)
{
  g_autofree char *start_tag = g_match_info_fetch (match, 1);
  g_autofree char *attributes = g_match_info_fetch (match, 2);
  g_autofree char *content = g_match_info_fetch (match, 3);
  g_autofree char *end_tag = g_match_info_fetch (match, 4);
  g_autoptr(GMatchInfo) name_match = NULL;
  g_autofree char *name = NULL;

  if (g_regex_match (name_regex (), attributes, 0, &name_match))
    {
      g_autofree char *double_quoted = g_match_info_fetch (name_match, 1);
      g_autofree char *single_quoted = g_match_info_fetch (name_match, 2);
      g_autofree char *unquoted = g_match_info_fetch (name_match, 3);
      const char *raw = double_quoted != NULL && double_quoted[0] != '\0' ? double_quoted :
                        single_quoted != NULL && single_quoted[0] != '\0' ? single_quoted : unquoted;

      name = unescape_attribute (raw != NULL ? raw : "");
    }

  g_string_append (result, start_tag);
  if (name != NULL && content[0] != '\0' && wpi_traffic_item_is_secret (name))
    g_string_append (result, WPI_TRAFFIC_MASKED_VALUE);
  else
    g_string_append (result, content);
  g_string_append (result, end_tag);
  return FALSE;
}

GBytes *
wpi_traffic_mask_body (GBytes       *body,
                       WpiDumpFlags  flags)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *masked = NULL;
  const char *data;
  gsize length;

  g_return_val_if_fail (body != NULL, NULL);

  data = g_bytes_get_data (body, &length);
  if ((flags & WPI_DUMP_SHOW_SECRETS) || length == 0)
    return g_bytes_ref (body);
  if (memchr (data, '\0', length) != NULL)
    {
      /* The codec refuses such a body, but an Item behind the NUL must not show either:
       * mask a copy with the NULs made spaces. */
      g_autofree char *copy = g_memdup2 (data, length);
      g_autoptr(GBytes) cleaned = NULL;

      for (gsize i = 0; i < length; i++)
        if (copy[i] == '\0')
          copy[i] = ' ';
      cleaned = g_bytes_new_take (g_steal_pointer (&copy), length);
      return wpi_traffic_mask_body (cleaned, flags);
    }
  if (g_strstr_len (data, length, "Item") == NULL)
    return g_bytes_ref (body);

  masked = g_regex_replace_eval (item_regex (), data, length, 0, 0, mask_item, NULL, &error);
  if (masked == NULL)
    {
      /* Never show what could not be checked. */
      g_warning ("Cannot mask the secrets of a message: %s", error->message);
      return g_bytes_new_static (WPI_TRAFFIC_MASKED_VALUE, strlen (WPI_TRAFFIC_MASKED_VALUE));
    }
  length = strlen (masked);
  return g_bytes_new_take (g_steal_pointer (&masked), length);
}

/* ---- Pretty printing ------------------------------------------------------------ */

static void
mask_tree (xmlNode *node)
{
  for (; node != NULL; node = node->next)
    {
      if (node->type != XML_ELEMENT_NODE)
        continue;
      if (xmlStrEqual (node->name, BAD_CAST "Item"))
        {
          xmlChar *name = xmlGetProp (node, BAD_CAST "name");
          xmlChar *content = xmlNodeGetContent (node);

          if (name != NULL && content != NULL && content[0] != '\0' &&
              wpi_traffic_item_is_secret ((const char *) name))
            xmlNodeSetContent (node, BAD_CAST WPI_TRAFFIC_MASKED_VALUE);
          xmlFree (name);
          xmlFree (content);
        }
      else
        mask_tree (node->children);
    }
}

static char *
raw_text (GBytes       *body,
          WpiDumpFlags  flags)
{
  g_autoptr(GBytes) masked = wpi_traffic_mask_body (body, flags);
  gsize length;
  const char *data = g_bytes_get_data (masked, &length);

  return g_utf8_make_valid (data != NULL ? data : "", length);
}

char *
wpi_traffic_format_body (GBytes       *body,
                         WpiDumpFlags  flags,
                         gboolean     *pretty)
{
  g_autoptr(WpiMessage) message = NULL;
  xmlDoc *doc;
  xmlChar *dump = NULL;
  int dump_length = 0;
  char *text;
  const char *data;
  gsize length;

  if (pretty != NULL)
    *pretty = FALSE;
  if (body == NULL)
    return g_strdup ("");

  data = g_bytes_get_data (body, &length);
  /* Only what the codec accepts (no DTD, no entities, bounded) reaches the tree parser. */
  message = wpi_message_parse (data, length, NULL);
  if (message == NULL)
    return raw_text (body, flags);

  doc = xmlReadMemory (data, (int) length, NULL, "UTF-8",
                       XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                       XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC | XML_PARSE_NOCDATA);
  if (doc == NULL)
    return raw_text (body, flags);

  if (!(flags & WPI_DUMP_SHOW_SECRETS))
    mask_tree (xmlDocGetRootElement (doc));
  xmlDocDumpFormatMemoryEnc (doc, &dump, &dump_length, "UTF-8", 1);
  xmlFreeDoc (doc);
  if (dump == NULL)
    return raw_text (body, flags);

  text = g_utf8_make_valid ((const char *) dump, dump_length);
  xmlFree (dump);
  if (pretty != NULL)
    *pretty = TRUE;
  return text;
}

char *
wpi_traffic_format_headers (GBytes *headers)
{
  g_autofree char *valid = NULL;
  g_auto(GStrv) lines = NULL;
  const char *data;
  gsize length;

  if (headers == NULL)
    return g_strdup ("");
  data = g_bytes_get_data (headers, &length);
  valid = g_utf8_make_valid (data != NULL ? data : "", length);
  lines = g_strsplit (valid, "\r\n", -1);
  return g_strjoinv ("\n", lines);
}

/* ---- Export --------------------------------------------------------------------- */

/* ISO 8601 in UTC with microseconds, or NULL */
static char *
format_time (gint64 time_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) exact = time != NULL ? g_date_time_add (time, time_us % G_USEC_PER_SEC) : NULL;

  return exact != NULL ? g_date_time_format_iso8601 (exact) : NULL;
}

/* A record whose summary columns were left empty (the store does no parsing), with
 * them decoded from its body; NULL when it has them or its body does not parse */
static WpiTrafficRecord *
decode_summary (const WpiTrafficRecord *record)
{
  g_autoptr(WpiMessage) message = NULL;
  WpiTrafficRecord *decoded;

  if (record->root != NULL || record->body == NULL ||
      (message = wpi_message_parse (g_bytes_get_data (record->body, NULL), g_bytes_get_size (record->body),
                                    NULL)) == NULL)
    return NULL;
  decoded = wpi_traffic_record_copy (record);
  wpi_traffic_record_set_summary (decoded, message);
  return decoded;
}

char *
wpi_traffic_format_summary (const WpiTrafficRecord *record)
{
  g_autoptr(WpiTrafficRecord) decoded = decode_summary (record);
  GString *out;

  if (decoded != NULL)
    record = decoded;
  out = g_string_new (record->root != NULL ? record->root : "?");

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
  return g_string_free (out, FALSE);
}

gboolean
_wpi_traffic_split_peer (const char  *peer,
                         char       **address,
                         guint16     *port)
{
  const char *colon = peer != NULL ? strrchr (peer, ':') : NULL;
  guint64 number = 0;
  gsize length;

  if (colon == NULL || colon == peer ||
      !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &number, NULL))
    return FALSE;
  length = (gsize) (colon - peer);
  if (peer[0] == '[' && length >= 2 && peer[length - 1] == ']')
    *address = g_strndup (peer + 1, length - 2);
  else
    *address = g_strndup (peer, length);
  *port = (guint16) number;
  return TRUE;
}

GBytes *
_wpi_traffic_export_body (const WpiTrafficRecord *record,
                          WpiDumpFlags            flags)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

  return wpi_traffic_mask_body (record->body != NULL ? record->body : empty, flags);
}

static void
append_tsv_field (GString    *line,
                  const char *value)
{
  g_string_append_c (line, '\t');
  for (const char *p = value != NULL ? value : ""; *p != '\0'; p++)
    g_string_append_c (line, *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
}

static char *
index_line (const char             *file,
            const WpiTrafficRecord *record)
{
  GString *line = g_string_new (file);
  g_autofree char *time_text = format_time (record->time_us);
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, record->id);
  g_autofree char *port = g_strdup_printf ("%u", record->port);
  g_autofree char *items = record->item_count >= 0 ? g_strdup_printf ("%d", record->item_count) : NULL;
  g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT, record->size);

  append_tsv_field (line, id);
  append_tsv_field (line, time_text);
  append_tsv_field (line, wpi_traffic_direction_to_string (record->direction));
  append_tsv_field (line, port);
  append_tsv_field (line, wpi_phone_mode_to_string (record->mode));
  append_tsv_field (line, record->peer);
  append_tsv_field (line, record->mac);
  append_tsv_field (line, record->flow_id);
  append_tsv_field (line, record->root);
  append_tsv_field (line, record->nonce);
  append_tsv_field (line, record->reason);
  append_tsv_field (line, record->action);
  append_tsv_field (line, record->status);
  append_tsv_field (line, items);
  append_tsv_field (line, size);
  append_tsv_field (line, record->error_text);
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}

static void
mask_json_items (JsonNode *node)
{
  JsonArray *items = json_object_get_array_member (json_node_get_object (node), "items");

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      const char *name = json_object_get_string_member_with_default (item, "name", NULL);
      const char *value = json_object_get_string_member_with_default (item, "value", NULL);

      if (value != NULL && value[0] != '\0' && wpi_traffic_item_is_secret (name))
        json_object_set_string_member (item, "value", WPI_TRAFFIC_MASKED_VALUE);
    }
}

/* The status code of a logged response head ("HTTP/1.1 200 OK"), or 0 */
static guint
http_status (const WpiTrafficRecord *record)
{
  const char *data;
  gsize length;
  guint64 status = 0;
  g_autofree char *line = NULL;
  const char *space;
  char code[4] = { 0 };

  if (record->direction != WPI_TRAFFIC_DIRECTION_OUT || record->headers == NULL)
    return 0;
  data = g_bytes_get_data (record->headers, &length);
  line = g_strndup (data, MIN (length, 64));
  if (!g_str_has_prefix (line, "HTTP/") || (space = strchr (line, ' ')) == NULL)
    return 0;
  g_strlcpy (code, space + 1, sizeof code);
  if (!g_ascii_string_to_unsigned (code, 10, 100, 599, &status, NULL))
    return 0;
  return (guint) status;
}

/* What a support engineer needs beside the message to read it alone (README: JSON
 * lines export), then the message's own members */
static JsonNode *
json_line_node (const WpiTrafficRecord *record,
                JsonObject             *message)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *time = format_time (record->time_us);
  g_autofree char *address = NULL;
  guint16 peer_port = 0;
  guint status = http_status (record);
  gboolean split = _wpi_traffic_split_peer (record->peer, &address, &peer_port);
  g_autoptr(GList) members = json_object_get_members (message);

#define SET_TEXT(name, text) \
  ((text) != NULL ? json_object_set_string_member (object, name, text) : json_object_set_null_member (object, name))
  json_object_set_int_member (object, "number", record->id);
  SET_TEXT ("time", time);
  SET_TEXT ("direction", wpi_traffic_direction_to_string (record->direction));
  json_object_set_int_member (object, "port", record->port);
  SET_TEXT ("mode", wpi_phone_mode_to_string (record->mode));
  SET_TEXT ("peer_address", split ? address : record->peer);
  if (split)
    json_object_set_int_member (object, "peer_port", peer_port);
  else
    json_object_set_null_member (object, "peer_port");
  SET_TEXT ("mac", record->mac);
  SET_TEXT ("flow", record->flow_id);
  if (status != 0)
    json_object_set_int_member (object, "http_status", status);
  else
    json_object_set_null_member (object, "http_status");
#undef SET_TEXT

  /* in the decoder's order (json_object_iter would follow the hash table's) */
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (object, l->data, json_object_dup_member (message, l->data));
  json_node_take_object (node, object);
  return node;
}

static gboolean
write_all (GOutputStream  *stream,
           const void     *data,
           gsize           length,
           GCancellable   *cancellable,
           GError        **error)
{
  return g_output_stream_write_all (stream, data, length, NULL, cancellable, error);
}

/* The stream the export writes through: the JSON lines file, or (XML) index.tsv in the
 * destination folder, created if missing, with its header written. */
static GOutputStream *
open_export (WpiTrafficExportFormat   format,
             GFile                   *destination,
             GCancellable            *cancellable,
             GError                 **error)
{
  g_autoptr(GFileOutputStream) file_stream = NULL;
  g_autoptr(GOutputStream) out = NULL;

  if (format == WPI_TRAFFIC_EXPORT_XML)
    {
      g_autoptr(GFile) index = g_file_get_child (destination, "index.tsv");
      g_autoptr(GError) local_error = NULL;

      if (!g_file_make_directory_with_parents (destination, cancellable, &local_error) &&
          !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      file_stream = g_file_replace (index, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, error);
    }
  else
    file_stream = g_file_replace (destination, NULL, FALSE, G_FILE_CREATE_NONE, cancellable, error);
  if (file_stream == NULL)
    return NULL;
  out = g_buffered_output_stream_new (G_OUTPUT_STREAM (file_stream));

  if (format == WPI_TRAFFIC_EXPORT_XML &&
      !write_all (out, WPI_TRAFFIC_EXPORT_INDEX_HEADER "\n", strlen (WPI_TRAFFIC_EXPORT_INDEX_HEADER "\n"),
                  cancellable, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* XML: the message's body, masked, in a file of its own, and its line in the index */
static gboolean
export_xml (GOutputStream           *index,
            GFile                   *destination,
            const WpiTrafficRecord  *record,
            WpiDumpFlags             flags,
            GCancellable            *cancellable,
            GError                 **error)
{
  g_autofree char *name = g_strdup_printf ("%010" G_GINT64_FORMAT "-%s.xml", record->id,
                                           wpi_traffic_direction_to_string (record->direction));
  g_autoptr(GFile) file = g_file_get_child (destination, name);
  g_autoptr(GBytes) body = _wpi_traffic_export_body (record, flags);
  g_autofree char *line = index_line (name, record);

  return g_file_replace_contents (file, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                  NULL, FALSE, G_FILE_CREATE_NONE, NULL, cancellable, error) &&
         write_all (index, line, strlen (line), cancellable, error);
}

/* JSON lines: the message's context and the parsed message on a line, its secrets
 * masked; a body that does not parse has no line (*skipped). */
static gboolean
export_json_line (GOutputStream           *out,
                  JsonGenerator           *generator,
                  const WpiTrafficRecord  *record,
                  WpiDumpFlags             flags,
                  gboolean                *skipped,
                  GCancellable            *cancellable,
                  GError                 **error)
{
  g_autoptr(WpiMessage) message = NULL;
  g_autoptr(JsonNode) decoded = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;

  *skipped = FALSE;
  if (record->body != NULL)
    message = wpi_message_parse (g_bytes_get_data (record->body, NULL),
                                 g_bytes_get_size (record->body), NULL);
  if (message == NULL)
    {
      *skipped = TRUE;
      return TRUE;
    }
  decoded = wpi_message_to_json_node (message);
  if (!(flags & WPI_DUMP_SHOW_SECRETS))
    mask_json_items (decoded);
  node = json_line_node (record, json_node_get_object (decoded));
  json_generator_set_root (generator, node);
  json = json_generator_to_data (generator, NULL);
  return write_all (out, json, strlen (json), cancellable, error) &&
         write_all (out, "\n", 1, cancellable, error);
}

gboolean
wpi_traffic_export (WpiStore                *store,
                    GArray                  *ids,
                    WpiTrafficExportFormat   format,
                    GFile                   *destination,
                    WpiDumpFlags             flags,
                    guint                   *n_written,
                    guint                   *n_skipped,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(WpiTrafficPcapng) pcapng = NULL;
  guint written = 0, skipped = 0;

  g_return_val_if_fail (WPI_IS_STORE (store), FALSE);
  g_return_val_if_fail (ids != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (destination), FALSE);

  out = open_export (format, destination, cancellable, error);
  if (out == NULL)
    return FALSE;
  generator = json_generator_new ();
  if (format == WPI_TRAFFIC_EXPORT_PCAPNG &&
      (pcapng = _wpi_traffic_pcapng_new (out, cancellable, error)) == NULL)
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      g_autoptr(WpiTrafficRecord) record = NULL;
      gboolean ok = FALSE, unparsed = FALSE;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      record = wpi_store_traffic_get (store, id, error);
      if (record == NULL)
        return FALSE;

      switch (format)
        {
        case WPI_TRAFFIC_EXPORT_XML:
          ok = export_xml (out, destination, record, flags, cancellable, error);
          break;
        case WPI_TRAFFIC_EXPORT_JSON_LINES:
          ok = export_json_line (out, generator, record, flags, &unparsed, cancellable, error);
          break;
        case WPI_TRAFFIC_EXPORT_PCAPNG:
          ok = _wpi_traffic_pcapng_add (pcapng, record, flags, cancellable, error);
          break;
        default:
          g_assert_not_reached ();
        }
      if (!ok)
        return FALSE;
      if (unparsed)
        skipped++;
      else
        written++;
    }

  if (!g_output_stream_close (out, cancellable, error))
    return FALSE;
  if (n_written != NULL)
    *n_written = written;
  if (n_skipped != NULL)
    *n_skipped = skipped;
  return TRUE;
}

typedef struct {
  char                   *data_dir;
  GArray                 *ids;
  WpiTrafficExportFormat  format;
  GFile                  *destination;
  WpiDumpFlags            flags;
  guint                   written;
  guint                   skipped;
} ExportJob;

static void
export_job_free (ExportJob *job)
{
  g_free (job->data_dir);
  g_array_unref (job->ids);
  g_object_unref (job->destination);
  g_free (job);
}

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportJob *job = task_data;
  g_autoptr(WpiStore) store = NULL;
  GError *error = NULL;

  store = wpi_store_open (job->data_dir, &error);
  if (store == NULL ||
      !wpi_traffic_export (store, job->ids, job->format, job->destination, job->flags,
                           &job->written, &job->skipped, cancellable, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
wpi_traffic_export_async (WpiStore                *store,
                          GArray                  *ids,
                          WpiTrafficExportFormat   format,
                          GFile                   *destination,
                          WpiDumpFlags             flags,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportJob *job;

  g_return_if_fail (WPI_IS_STORE (store));
  g_return_if_fail (ids != NULL);
  g_return_if_fail (G_IS_FILE (destination));

  job = g_new0 (ExportJob, 1);
  job->data_dir = g_strdup (wpi_store_get_data_dir (store));
  job->ids = g_array_ref (ids);
  job->format = format;
  job->destination = g_object_ref (destination);
  job->flags = flags;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, wpi_traffic_export_async);
  g_task_set_task_data (task, job, (GDestroyNotify) export_job_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
wpi_traffic_export_finish (GAsyncResult  *result,
                           guint         *n_written,
                           guint         *n_skipped,
                           GError       **error)
{
  ExportJob *job;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  job = g_task_get_task_data (G_TASK (result));
  if (n_written != NULL)
    *n_written = job->written;
  if (n_skipped != NULL)
    *n_skipped = job->skipped;
  return TRUE;
}
