/* wpi-dump.c: JSON and text renderings of WPI messages */
#include "config.h"

#include <string.h>

#include "wpi-catalogue.h"
#include "wpi-codec.h"
#include "wpi-dump.h"

void
wpi_http_head_free (WpiHttpHead *head)
{
  if (head == NULL)
    return;
  g_free (head->start_line);
  g_ptr_array_unref (head->headers);
  g_free (head);
}

static gboolean
looks_like_http (const char *data,
                 gsize       length)
{
  static const char * const starts[] = { "HTTP/", "POST ", "GET ", "PUT ", "HEAD " };

  for (guint i = 0; i < G_N_ELEMENTS (starts); i++)
    {
      gsize n = strlen (starts[i]);

      if (length >= n && memcmp (data, starts[i], n) == 0)
        return TRUE;
    }
  return FALSE;
}

WpiHttpHead *
wpi_http_head_parse (const char  *data,
                     gsize        length,
                     GError     **error)
{
  g_autoptr(WpiHttpHead) head = NULL;
  gsize pos = 0;
  int line = 1;

  if (!looks_like_http (data, length))
    return NULL;

  head = g_new0 (WpiHttpHead, 1);
  head->headers = g_ptr_array_new_with_free_func (g_free);

  while (pos < length)
    {
      const char *eol = memchr (data + pos, '\n', length - pos);
      gsize end, next;

      if (eol == NULL)
        break;
      end = eol - data;
      next = end + 1;
      if (end > pos && data[end - 1] == '\r')
        end--;
      line++;

      if (end == pos)
        {
          head->body_offset = next;
          head->body_line = line;
          return g_steal_pointer (&head);
        }

      if (head->start_line == NULL)
        head->start_line = g_strndup (data + pos, end - pos);
      else
        g_ptr_array_add (head->headers, g_strndup (data + pos, end - pos));
      pos = next;
    }

  g_set_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_MALFORMED,
               "%d:1: HTTP head without the blank line that ends it", line);
  return NULL;
}

/* ---- Secrets: one notion for every rendering ------------------------------------ */

/* The item's own catalogue entry (exact name), or NULL; looked up once per item. */
static WpiItemInfo *
item_info (const WpiItem *item)
{
  return wpi_catalogue_lookup (wpi_catalogue_get_default (), item->name);
}

/* Whether a dump shows the item's value as WPI_DUMP_MASKED_VALUE: a non-empty value of
 * an item wpi_catalogue_is_secret() calls secret, unless WPI_DUMP_SHOW_SECRETS. info is
 * item_info (item) when the caller has it, else NULL: then the catalogue looks the name
 * up, also in its other spelling and by its parts. */
static gboolean
item_value_masked (const WpiItem *item,
                   WpiItemInfo   *info,
                   WpiDumpFlags   flags)
{
  if ((flags & WPI_DUMP_SHOW_SECRETS) || item->value[0] == '\0')
    return FALSE;
  if (info != NULL)
    return wpi_item_info_is_secret (info);
  return wpi_catalogue_is_secret (wpi_catalogue_get_default (), item->name);
}

/* ---- JSON as a tree (the inspector's export, wpictl) ----------------------------- */

static void
add_optional_string (JsonBuilder *builder,
                     const char  *member,
                     const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* "signature", only for a signed message, so unsigned ones keep their schema (D20) */
static void
add_signature_json (JsonBuilder  *builder,
                    WpiSignature *signature)
{
  json_builder_set_member_name (builder, "signature");
  json_builder_begin_object (builder);
  add_optional_string (builder, "form",
                       wpi_signature_get_form (signature) == WPI_SIGNATURE_FORM_ENVELOPING ? "enveloping" : "enveloped");
  add_optional_string (builder, "reference", wpi_signature_get_reference (signature));
  add_optional_string (builder, "signature_method", wpi_signature_get_signature_method (signature));
  add_optional_string (builder, "digest_method", wpi_signature_get_digest_method (signature));
  add_optional_string (builder, "digest_value", wpi_signature_get_digest_value (signature));
  add_optional_string (builder, "digest", wpi_digest_state_to_string (wpi_signature_get_digest_state (signature)));
  add_optional_string (builder, "verification", wpi_signature_state_to_string (wpi_signature_get_state (signature)));
  add_optional_string (builder, "problem", wpi_signature_get_problem (signature));
  json_builder_end_object (builder);
}

JsonNode *
wpi_message_to_json_node (WpiMessage *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint n_items;

  g_return_val_if_fail (WPI_IS_MESSAGE (message), NULL);

  json_builder_begin_object (builder);
  add_optional_string (builder, "root", wpi_message_kind_to_string (wpi_message_get_kind (message)));
  add_optional_string (builder, "nonce", wpi_message_get_nonce (message));
  json_builder_set_member_name (builder, "max_items");
  if (wpi_message_has_max_items (message))
    json_builder_add_int_value (builder, wpi_message_get_max_items (message));
  else
    json_builder_add_null_value (builder);
  add_optional_string (builder, "fragment", wpi_message_get_fragment_string (message));
  add_optional_string (builder, "reason", wpi_message_get_reason_string (message));
  add_optional_string (builder, "action", wpi_message_get_action_string (message));
  add_optional_string (builder, "status", wpi_message_get_status_string (message));

  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  n_items = wpi_message_get_n_items (message);
  for (guint i = 0; i < n_items; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);

      json_builder_begin_object (builder);
      add_optional_string (builder, "name", item->name);
      json_builder_set_member_name (builder, "index");
      if (item->has_index)
        json_builder_add_int_value (builder, item->index);
      else
        json_builder_add_null_value (builder);
      add_optional_string (builder, "value", item->value);
      add_optional_string (builder, "status", item->status);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  if (wpi_message_get_signature (message) != NULL)
    add_signature_json (builder, wpi_message_get_signature (message));
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* ---- Appending to the output (both dumps) ---------------------------------------- */

/* g_string_append_len() as GLib 2.76 inlines it: the dump of a reply is a few thousand
 * short appends. */
static inline void
append_len (GString    *out,
            const char *bytes,
            gsize       length)
{
  if (G_LIKELY (out->len + length < out->allocated_len))
    {
      memcpy (out->str + out->len, bytes, length);
      out->len += length;
      out->str[out->len] = '\0';
    }
  else
    g_string_append_len (out, bytes, length);
}

static inline void
append_str (GString    *out,
            const char *str)
{
  append_len (out, str, strlen (str));
}

static void
append_int64 (GString *out,
              gint64   value)
{
  char digits[24];
  char *p = digits + sizeof digits;
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;

  do
    *--p = (char) ('0' + magnitude % 10);
  while ((magnitude /= 10) != 0);
  if (value < 0)
    *--p = '-';
  append_len (out, p, digits + sizeof digits - p);
}

/* ---- JSON streamed (wpi-decode --json) ------------------------------------------- */

/* Written straight into the output, no tree (issue 9 §1: building and freeing json-glib's
 * tree took twice as long as the parse), in json-glib's compact form byte for byte, so
 * that both paths print the same line. */

/* json-glib's escapes: the two-letter ones, \u00XX for other control characters and
 * DEL; UTF-8 as it is. (json-glib leaves 0x1F raw, which is not JSON; no XML body can
 * carry it, and here it is \u001f.) */
static void
json_append_string (GString    *out,
                    const char *value)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = value;
  const char *p;

  if (value == NULL)
    {
      append_len (out, "null", 4);
      return;
    }

  g_string_append_c (out, '"');
  for (p = value; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;
      char escape[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };
      gsize escape_length = 2;

      if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
        continue;
      switch (c)
        {
        case '"': case '\\': escape[1] = (char) c; break;
        case '\b': escape[1] = 'b'; break;
        case '\f': escape[1] = 'f'; break;
        case '\n': escape[1] = 'n'; break;
        case '\r': escape[1] = 'r'; break;
        case '\t': escape[1] = 't'; break;
        default: escape_length = 6; break;
        }
      append_len (out, run, p - run);
      append_len (out, escape, escape_length);
      run = p + 1;
    }
  append_len (out, run, p - run);
  g_string_append_c (out, '"');
}

/* ,"member": (the comma unless first) */
static void
json_append_member (GString    *out,
                    const char *member,
                    gboolean    first)
{
  if (!first)
    g_string_append_c (out, ',');
  g_string_append_c (out, '"');
  append_str (out, member);
  append_len (out, "\":", 2);
}

static void
json_append_item (GString       *out,
                  const WpiItem *item,
                  WpiDumpFlags   flags)
{
  gboolean masked = item_value_masked (item, NULL, flags);

  json_append_member (out, "name", TRUE);
  json_append_string (out, item->name);
  json_append_member (out, "index", FALSE);
  if (item->has_index)
    append_int64 (out, item->index);
  else
    append_len (out, "null", 4);
  json_append_member (out, "value", FALSE);
  json_append_string (out, masked ? WPI_DUMP_MASKED_VALUE : item->value);
  json_append_member (out, "status", FALSE);
  json_append_string (out, item->status);
}

static void
json_append_message (GString    *out,
                     WpiMessage *message)
{
  json_append_member (out, "root", TRUE);
  json_append_string (out, wpi_message_kind_to_string (wpi_message_get_kind (message)));
  json_append_member (out, "nonce", FALSE);
  json_append_string (out, wpi_message_get_nonce (message));
  json_append_member (out, "max_items", FALSE);
  if (wpi_message_has_max_items (message))
    append_int64 (out, wpi_message_get_max_items (message));
  else
    append_len (out, "null", 4);
  json_append_member (out, "fragment", FALSE);
  json_append_string (out, wpi_message_get_fragment_string (message));
  json_append_member (out, "reason", FALSE);
  json_append_string (out, wpi_message_get_reason_string (message));
  json_append_member (out, "action", FALSE);
  json_append_string (out, wpi_message_get_action_string (message));
  json_append_member (out, "status", FALSE);
  json_append_string (out, wpi_message_get_status_string (message));
}

static void
json_append_items (GString      *out,
                   WpiMessage   *message,
                   WpiDumpFlags  flags)
{
  guint n_items = wpi_message_get_n_items (message);

  json_append_member (out, "items", FALSE);
  g_string_append_c (out, '[');
  for (guint i = 0; i < n_items; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      json_append_item (out, wpi_message_get_item (message, i), flags);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

/* "signature", only for a signed message, as wpi_message_to_json_node() writes it (D20) */
static void
json_append_signature (GString      *out,
                       WpiSignature *signature)
{
  json_append_member (out, "signature", FALSE);
  g_string_append_c (out, '{');
  json_append_member (out, "form", TRUE);
  json_append_string (out, wpi_signature_get_form (signature) == WPI_SIGNATURE_FORM_ENVELOPING
                           ? "enveloping" : "enveloped");
  json_append_member (out, "reference", FALSE);
  json_append_string (out, wpi_signature_get_reference (signature));
  json_append_member (out, "signature_method", FALSE);
  json_append_string (out, wpi_signature_get_signature_method (signature));
  json_append_member (out, "digest_method", FALSE);
  json_append_string (out, wpi_signature_get_digest_method (signature));
  json_append_member (out, "digest_value", FALSE);
  json_append_string (out, wpi_signature_get_digest_value (signature));
  json_append_member (out, "digest", FALSE);
  json_append_string (out, wpi_digest_state_to_string (wpi_signature_get_digest_state (signature)));
  json_append_member (out, "verification", FALSE);
  json_append_string (out, wpi_signature_state_to_string (wpi_signature_get_state (signature)));
  json_append_member (out, "problem", FALSE);
  json_append_string (out, wpi_signature_get_problem (signature));
  g_string_append_c (out, '}');
}

void
wpi_message_dump_json (WpiMessage   *message,
                       WpiDumpFlags  flags,
                       GString      *out)
{
  g_return_if_fail (WPI_IS_MESSAGE (message));
  g_return_if_fail (out != NULL);

  g_string_append_c (out, '{');
  json_append_message (out, message);
  json_append_items (out, message, flags);
  if (wpi_message_get_signature (message) != NULL)
    json_append_signature (out, wpi_message_get_signature (message));
  g_string_append_c (out, '}');
}

char *
wpi_message_to_json (WpiMessage *message)
{
  GString *out;

  g_return_val_if_fail (WPI_IS_MESSAGE (message), NULL);

  out = g_string_sized_new (256 + 64 * wpi_message_get_n_items (message));
  wpi_message_dump_json (message, WPI_DUMP_SHOW_SECRETS, out);
  return g_string_free (out, FALSE);
}

/* ---- Text tree (wpi-decode) ------------------------------------------------------ */

static const char *
reason_meaning (WpiReason reason)
{
  switch (reason)
    {
    case WPI_REASON_START_UP: return "registration after a start-up or reset";
    case WPI_REASON_LOCAL_CHANGES: return "configuration changed on the phone";
    case WPI_REASON_INVENTORY_CHANGES: return "inventory changed (key module, adapter)";
    case WPI_REASON_STATUS: return "result of a file deployment";
    case WPI_REASON_SOLICITED: return "call-back after a contact-me";
    case WPI_REASON_REPLY_TO: return "answer to a service message";
    case WPI_REASON_CLEAN_UP: return "the phone aborts the interaction";
    case WPI_REASON_OTHER: return "not defined by the guide";
    case WPI_REASON_NONE:
    default: return NULL;
    }
}

static const char *
action_meaning (WpiAction action)
{
  switch (action)
    {
    case WPI_ACTION_READ_ALL_ITEMS: return "send every item except certificates";
    case WPI_ACTION_READ_ITEMS: return "send the items named";
    case WPI_ACTION_WRITE_ITEMS: return "store the items given";
    case WPI_ACTION_RESTART: return "reboot (factory reset with restart-type)";
    case WPI_ACTION_FILE_DEPLOYMENT: return "download or delete files";
    case WPI_ACTION_SOFTWARE_DEPLOYMENT: return "download a firmware image";
    case WPI_ACTION_CLEAN_UP: return "end of the interaction";
    case WPI_ACTION_GET_NEXT_FRAGMENT: return "send the next fragment";
    case WPI_ACTION_OTHER: return "not defined by the guide";
    case WPI_ACTION_NONE:
    default: return NULL;
    }
}

static const char *
status_meaning (WpiMessageStatus status)
{
  switch (status)
    {
    case WPI_MESSAGE_STATUS_ACCEPTED: return "action accepted; items may still have failed";
    case WPI_MESSAGE_STATUS_FAILED: return "action not accepted or not supported";
    case WPI_MESSAGE_STATUS_BUSY: return "phone is in a call";
    case WPI_MESSAGE_STATUS_OTHER: return "not defined by the guide";
    case WPI_MESSAGE_STATUS_NONE:
    default: return NULL;
    }
}

/* Plain appends, not printf: the text dump of a ReadAllItems reply is a few hundred lines
 * and printf's formatting was most of its cost (issue 9 §1). */
static void
append_indent (GString *out,
               int      indent)
{
  static const char spaces[] = "                ";

  g_assert (indent >= 0 && (gsize) indent < sizeof spaces);
  append_len (out, spaces, indent);
}

static void
append_field (GString    *out,
              int         indent,
              const char *label,
              const char *value,
              const char *meaning)
{
  append_indent (out, indent);
  append_str (out, label);
  append_len (out, ": ", 2);
  append_str (out, value != NULL ? value : "(null)");  /* as printf showed a message without a nonce */
  if (meaning != NULL)
    {
      append_len (out, " (", 2);
      append_str (out, meaning);
      g_string_append_c (out, ')');
    }
  g_string_append_c (out, '\n');
}

/* Multi-line values (PEM, scripts) continue on indented lines. */
static void
append_value (GString    *out,
              int         indent,
              const char *value)
{
  const char *line = value;
  const char *eol;

  g_string_append_c (out, '"');
  while ((eol = strchr (line, '\n')) != NULL)
    {
      append_len (out, line, eol + 1 - line);
      append_indent (out, indent);
      line = eol + 1;
    }
  append_str (out, line);
  g_string_append_c (out, '"');
}

static void
append_signature_tree (GString      *out,
                       WpiSignature *signature)
{
  WpiSignatureState state = wpi_signature_get_state (signature);
  const char *reference;

  g_string_append_printf (out, "    Signature: XML-DSig, %s\n",
                          wpi_signature_get_form (signature) == WPI_SIGNATURE_FORM_ENVELOPING
                            ? "enveloping (the message is inside it)" : "enveloped (inside the message)");
  reference = wpi_signature_get_reference (signature);
  append_field (out, 8, "Reference", reference == NULL ? "(none)" : reference[0] == '\0' ? "\"\"" : reference,
                reference != NULL && reference[0] == '\0' ? "the whole message" : NULL);
  append_field (out, 8, "SignatureMethod", wpi_signature_get_signature_method (signature) ?: "(none)", NULL);
  append_field (out, 8, "DigestMethod", wpi_signature_get_digest_method (signature) ?: "(none)", NULL);
  append_field (out, 8, "DigestValue", wpi_signature_get_digest_value (signature),
                wpi_digest_state_to_string (wpi_signature_get_digest_state (signature)));
  append_field (out, 8, "signature", wpi_signature_state_to_string (state),
                state == WPI_SIGNATURE_NOT_CHECKED ? "no DLS certificate given" : NULL);
  if (wpi_signature_get_problem (signature) != NULL)
    append_field (out, 8, "problem", wpi_signature_get_problem (signature), NULL);
}

/* The Message element: its attributes and the reason or action */
static void
append_message_section (GString    *out,
                        WpiMessage *message)
{
  WpiMessageKind kind = wpi_message_get_kind (message);
  const char *str;

  g_string_append_printf (out, "WorkPoint Interface, %s (%s)\n",
                          wpi_message_kind_to_string (kind),
                          kind == WPI_MESSAGE_KIND_WORKPOINT ? "phone to service" : "service to phone");
  if (wpi_message_get_signature (message) != NULL)
    append_signature_tree (out, wpi_message_get_signature (message));
  append_str (out, "    Message\n");
  append_field (out, 8, "nonce", wpi_message_get_nonce (message), NULL);
  if (wpi_message_has_max_items (message))
    {
      g_autofree char *max_items = g_strdup_printf ("%" G_GINT64_FORMAT, wpi_message_get_max_items (message));
      append_field (out, 8, "maxItems", max_items,
                    wpi_message_get_max_items (message) == -1 ? "no limit" : "items per service message");
    }
  if ((str = wpi_message_get_fragment_string (message)) != NULL)
    append_field (out, 8, "fragment", str,
                  wpi_message_get_fragment (message) == WPI_FRAGMENT_NEXT ? "more fragments follow" :
                  wpi_message_get_fragment (message) == WPI_FRAGMENT_FINAL ? "last fragment" : NULL);

  if ((str = wpi_message_get_reason_string (message)) != NULL)
    append_field (out, 4, "ReasonForContact", str, reason_meaning (wpi_message_get_reason (message)));
  if (kind == WPI_MESSAGE_KIND_WORKPOINT)
    {
      if ((str = wpi_message_get_action_string (message)) != NULL)
        append_field (out, 8, "action", str, action_meaning (wpi_message_get_action (message)));
    }
  else if ((str = wpi_message_get_action_string (message)) != NULL)
    append_field (out, 4, "Action", str, action_meaning (wpi_message_get_action (message)));
  if ((str = wpi_message_get_status_string (message)) != NULL)
    append_field (out, 8, "status", str, status_meaning (wpi_message_get_status (message)));
}

static void
append_item (GString       *out,
             const WpiItem *item,
             WpiDumpFlags   flags)
{
  WpiItemInfo *info = item_info (item);

  append_len (out, "        Item: ", 14);
  append_str (out, item->name);
  if (item->has_index)
    {
      g_string_append_c (out, '[');
      append_int64 (out, item->index);
      g_string_append_c (out, ']');
    }
  append_len (out, " = ", 3);
  if (item_value_masked (item, info, flags))
    append_str (out, WPI_DUMP_MASKED_VALUE);
  else
    {
      /* the catalogue gives no meaning for a secret, shown or not */
      g_autofree char *meaning = info != NULL ? wpi_item_info_describe_value (info, item->value) : NULL;

      append_value (out, 12, item->value);
      if (meaning != NULL)
        {
          append_len (out, " (", 2);
          append_str (out, meaning);
          g_string_append_c (out, ')');
        }
    }
  g_string_append_c (out, '\n');
  if (item->status != NULL)
    append_field (out, 12, "status", item->status, NULL);
  if (item->type != NULL)
    append_field (out, 12, "type", item->type, NULL);
}

static void
append_item_list_section (GString      *out,
                          WpiMessage   *message,
                          WpiDumpFlags  flags)
{
  guint n_items = wpi_message_get_n_items (message);

  if (!wpi_message_has_item_list (message))
    {
      append_str (out, "    ItemList: absent\n");
      return;
    }
  g_string_append_printf (out, "    ItemList: %u item%s\n", n_items, n_items == 1 ? "" : "s");
  for (guint i = 0; i < n_items; i++)
    append_item (out, wpi_message_get_item (message, i), flags);
}

void
wpi_message_dump_tree (WpiMessage   *message,
                       WpiDumpFlags  flags,
                       GString      *out)
{
  g_return_if_fail (WPI_IS_MESSAGE (message));
  g_return_if_fail (out != NULL);

  append_message_section (out, message);
  append_item_list_section (out, message, flags);
}
