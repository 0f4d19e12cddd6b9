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

char *
wpi_message_to_json (WpiMessage *message)
{
  g_autoptr(JsonNode) node = wpi_message_to_json_node (message);
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static gboolean
wpi_dump_item_is_secret (const char *name)
{
  return wpi_catalogue_is_secret (wpi_catalogue_get_default (), name);
}

static char *
wpi_dump_describe_value (const char *name,
                         const char *value)
{
  return wpi_catalogue_describe_value (wpi_catalogue_get_default (), name, value);
}

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

static void
append_field (GString    *out,
              int         indent,
              const char *label,
              const char *value,
              const char *meaning)
{
  g_string_append_printf (out, "%*s%s: %s", indent, "", label, value);
  if (meaning != NULL)
    g_string_append_printf (out, " (%s)", meaning);
  g_string_append_c (out, '\n');
}

/* Multi-line values (PEM, scripts) continue on indented lines. */
static void
append_value (GString    *out,
              int         indent,
              const char *value)
{
  const char *line = value;

  g_string_append_c (out, '"');
  for (const char *p = value; *p; p++)
    {
      if (*p != '\n')
        continue;
      g_string_append_len (out, line, p - line);
      g_string_append_printf (out, "\n%*s", indent, "");
      line = p + 1;
    }
  g_string_append (out, line);
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

void
wpi_message_dump_tree (WpiMessage   *message,
                       WpiDumpFlags  flags,
                       GString      *out)
{
  WpiMessageKind kind;
  const char *str;
  guint n_items;

  g_return_if_fail (WPI_IS_MESSAGE (message));
  g_return_if_fail (out != NULL);

  kind = wpi_message_get_kind (message);
  g_string_append_printf (out, "WorkPoint Interface, %s (%s)\n",
                          wpi_message_kind_to_string (kind),
                          kind == WPI_MESSAGE_KIND_WORKPOINT ? "phone to service" : "service to phone");
  if (wpi_message_get_signature (message) != NULL)
    append_signature_tree (out, wpi_message_get_signature (message));
  g_string_append (out, "    Message\n");
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

  n_items = wpi_message_get_n_items (message);
  if (!wpi_message_has_item_list (message))
    {
      g_string_append (out, "    ItemList: absent\n");
      return;
    }
  g_string_append_printf (out, "    ItemList: %u item%s\n", n_items, n_items == 1 ? "" : "s");

  for (guint i = 0; i < n_items; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);
      g_autofree char *meaning = NULL;
      gboolean masked = !(flags & WPI_DUMP_SHOW_SECRETS) && item->value[0] != '\0' &&
                        wpi_dump_item_is_secret (item->name);

      g_string_append_printf (out, "        Item: %s", item->name);
      if (item->has_index)
        g_string_append_printf (out, "[%" G_GINT64_FORMAT "]", item->index);
      g_string_append (out, " = ");
      if (masked)
        g_string_append (out, "<masked>");
      else
        {
          append_value (out, 12, item->value);
          meaning = wpi_dump_describe_value (item->name, item->value);
          if (meaning != NULL)
            g_string_append_printf (out, " (%s)", meaning);
        }
      g_string_append_c (out, '\n');
      if (item->status != NULL)
        append_field (out, 12, "status", item->status, NULL);
      if (item->type != NULL)
        append_field (out, 12, "type", item->type, NULL);
    }
}
