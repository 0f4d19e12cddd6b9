/* wpc-traffic-detail.c: one line of the inspector's details tree */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpi-catalogue.h"
#include "wpi-codec.h"
#include "wpi-filter.h"
#include "wpi-traffic-export.h"
#include "wpc-traffic-detail.h"

typedef enum {
  RAW_MATCH,   /* the needle itself */
  RAW_TAG,     /* from the needle to the end of its tag */
  RAW_ELEMENT, /* from the needle (a start tag) to the end of its element */
} WpcRawExtent;

struct _WpcTrafficDetail
{
  GObject               parent_instance;

  char                 *title;
  char                 *value;
  char                 *note;
  WpcTrafficDetailKind  kind;
  GListStore           *children;

  /* What Apply as Filter makes of the node: "FIELD == VALUE" */
  char                 *filter_field;
  char                 *filter_value;

  /* Where the node is in the raw pane: the occurrence-th match of raw_needle, to the
   * end of its start tag or of its element as raw_extent says */
  char                 *raw_needle;
  guint                 raw_occurrence;
  WpcRawExtent          raw_extent;
};

G_DEFINE_FINAL_TYPE (WpcTrafficDetail, wpc_traffic_detail, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_VALUE,
  PROP_NOTE,
  PROP_KIND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
wpc_traffic_detail_finalize (GObject *object)
{
  WpcTrafficDetail *self = WPC_TRAFFIC_DETAIL (object);

  g_free (self->title);
  g_free (self->value);
  g_free (self->note);
  g_free (self->filter_field);
  g_free (self->filter_value);
  g_free (self->raw_needle);
  g_clear_object (&self->children);

  G_OBJECT_CLASS (wpc_traffic_detail_parent_class)->finalize (object);
}

static void
wpc_traffic_detail_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  WpcTrafficDetail *self = WPC_TRAFFIC_DETAIL (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_VALUE:
      g_value_set_string (value, self->value);
      break;
    case PROP_NOTE:
      g_value_set_string (value, self->note);
      break;
    case PROP_KIND:
      g_value_set_int (value, self->kind);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_traffic_detail_class_init (WpcTrafficDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = wpc_traffic_detail_finalize;
  object_class->get_property = wpc_traffic_detail_get_property;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALUE] = g_param_spec_string ("value", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_NOTE] = g_param_spec_string ("note", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_KIND] = g_param_spec_int ("kind", NULL, NULL, WPC_TRAFFIC_DETAIL_NORMAL,
                                            WPC_TRAFFIC_DETAIL_SECRET, WPC_TRAFFIC_DETAIL_NORMAL,
                                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpc_traffic_detail_init (WpcTrafficDetail *self)
{
}

const char *
wpc_traffic_detail_get_title (WpcTrafficDetail *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), NULL);
  return self->title;
}

const char *
wpc_traffic_detail_get_value (WpcTrafficDetail *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), NULL);
  return self->value;
}

const char *
wpc_traffic_detail_get_note (WpcTrafficDetail *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), NULL);
  return self->note;
}

WpcTrafficDetailKind
wpc_traffic_detail_get_kind (WpcTrafficDetail *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), WPC_TRAFFIC_DETAIL_NORMAL);
  return self->kind;
}

GListModel *
wpc_traffic_detail_get_children (WpcTrafficDetail *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), NULL);
  return self->children != NULL ? G_LIST_MODEL (self->children) : NULL;
}

const char *
wpc_traffic_detail_get_filter_field (WpcTrafficDetail *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), NULL);
  return self->filter_field;
}

const char *
wpc_traffic_detail_get_filter_value (WpcTrafficDetail *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), NULL);
  return self->filter_value;
}

/* The end of the tag that starts at tag: after its '>' (libxml2 writes '>' in attribute
 * values as &gt;, so the first one ends it). */
static const char *
tag_end (const char *tag)
{
  const char *close = strchr (tag, '>');

  return close != NULL ? close + 1 : tag + strlen (tag);
}

static const char *
element_end (const char *start)
{
  const char *end = tag_end (start);
  g_autofree char *name = NULL;
  g_autofree char *closing = NULL;
  const char *found;
  gsize name_length = strcspn (start + 1, " \t\n/>");

  if (end - start >= 2 && end[-2] == '/')
    return end;
  name = g_strndup (start + 1, name_length);
  closing = g_strdup_printf ("</%s>", name);
  found = strstr (end, closing);
  return found != NULL ? found + strlen (closing) : end;
}

gboolean
wpc_traffic_detail_locate (WpcTrafficDetail *self,
                           const char       *raw,
                           gsize            *start,
                           gsize            *end)
{
  const char *found = raw;

  g_return_val_if_fail (WPC_IS_TRAFFIC_DETAIL (self), FALSE);
  g_return_val_if_fail (raw != NULL, FALSE);

  if (self->raw_needle == NULL || self->raw_needle[0] == '\0')
    return FALSE;
  for (guint i = 0; found != NULL && i <= self->raw_occurrence; i++)
    {
      if (i > 0)
        found += strlen (self->raw_needle);
      found = strstr (found, self->raw_needle);
    }
  if (found == NULL)
    return FALSE;
  *start = found - raw;
  switch (self->raw_extent)
    {
    case RAW_MATCH:
      *end = *start + strlen (self->raw_needle);
      break;
    case RAW_TAG:
      *end = tag_end (found) - raw;
      break;
    case RAW_ELEMENT:
      *end = element_end (found) - raw;
      break;
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

/* ---- Building the tree ------------------------------------------------------------ */

static void
set_filter (WpcTrafficDetail *node,
            const char       *field,
            const char       *value)
{
  if (value == NULL)
    return;
  g_free (node->filter_field);
  g_free (node->filter_value);
  node->filter_field = g_strdup (field);
  node->filter_value = g_strdup (value);
}

static void
set_raw (WpcTrafficDetail *node,
         WpcRawExtent      extent,
         guint             occurrence,
         const char       *needle)
{
  g_free (node->raw_needle);
  node->raw_needle = g_strdup (needle);
  node->raw_occurrence = occurrence;
  node->raw_extent = extent;
}

/* An attribute as the pretty-printed body writes it: name="value", escaped */
static void
set_raw_attribute (WpcTrafficDetail *node,
                   const char       *name,
                   const char       *value)
{
  g_autofree char *escaped = g_markup_escape_text (value, -1);
  g_autofree char *needle = g_strdup_printf ("%s=\"%s\"", name, escaped);

  set_raw (node, RAW_MATCH, 0, needle);
}

/* Appends a node to parent (a GListStore, or the node's children). */
static WpcTrafficDetail *
add_node (GListStore           *parent,
          WpcTrafficDetailKind  kind,
          const char           *title,
          const char           *value,
          const char           *note)
{
  g_autoptr(WpcTrafficDetail) node = g_object_new (WPC_TYPE_TRAFFIC_DETAIL, NULL);

  node->kind = kind;
  node->title = g_strdup (title);
  node->value = g_strdup (value);
  node->note = g_strdup (note);
  g_list_store_append (parent, node);
  return node; /* the store holds it */
}

static GListStore *
children_of (WpcTrafficDetail *node)
{
  if (node->children == NULL)
    node->children = g_list_store_new (WPC_TYPE_TRAFFIC_DETAIL);
  return node->children;
}

static const char *
codec_error_explanation (int code)
{
  switch (code)
    {
    case WPI_CODEC_ERROR_EMPTY: return _("The message has no body.");
    case WPI_CODEC_ERROR_TOO_LARGE: return _("The body is larger than 1 MiB; the console does not read it.");
    case WPI_CODEC_ERROR_INVALID_UTF8: return _("The body is not UTF-8 or holds a NUL byte.");
    case WPI_CODEC_ERROR_DTD: return _("The body declares a DTD, which WPI never does; refused for safety.");
    case WPI_CODEC_ERROR_ENTITY: return _("The body declares or uses an entity, which WPI never does; refused for safety.");
    case WPI_CODEC_ERROR_TOO_DEEP: return _("The XML is nested deeper than 16 levels.");
    case WPI_CODEC_ERROR_TOO_MANY_ITEMS: return _("The message has more than 10,000 items.");
    case WPI_CODEC_ERROR_MALFORMED: return _("The body is not well-formed XML: cut short, or broken syntax.");
    case WPI_CODEC_ERROR_WRONG_ROOT: return _("The root element is neither WorkpointMessage nor DLSMessage.");
    case WPI_CODEC_ERROR_MISSING_ELEMENT: return _("The Message element is missing.");
    case WPI_CODEC_ERROR_MISSING_NONCE: return _("The Message element has no nonce.");
    case WPI_CODEC_ERROR_INVALID_ATTRIBUTE: return _("maxItems or an index is not a number, or an Item has no name.");
    case WPI_CODEC_ERROR_UNEXPECTED_CONTENT: return _("An element stands where WPI allows none (inside an Item, a second Message).");
    case WPI_CODEC_ERROR_CANNOT_FRAGMENT: return _("Items that must stay together exceed a limit.");
    default: return NULL;
    }
}

static const char *
reason_meaning (WpiReason reason)
{
  switch (reason)
    {
    case WPI_REASON_START_UP: return _("registration after a start-up or reset");
    case WPI_REASON_LOCAL_CHANGES: return _("configuration changed on the phone");
    case WPI_REASON_INVENTORY_CHANGES: return _("inventory changed (key module, adapter)");
    case WPI_REASON_STATUS: return _("result of a file deployment");
    case WPI_REASON_SOLICITED: return _("call-back after a contact-me");
    case WPI_REASON_REPLY_TO: return _("answer to a console message");
    case WPI_REASON_CLEAN_UP: return _("the phone aborts the interaction");
    case WPI_REASON_OTHER: return _("not defined by the guide");
    case WPI_REASON_NONE:
    default: return NULL;
    }
}

static const char *
action_meaning (WpiAction action)
{
  switch (action)
    {
    case WPI_ACTION_READ_ALL_ITEMS: return _("send every item except certificates");
    case WPI_ACTION_READ_ITEMS: return _("send the items named");
    case WPI_ACTION_WRITE_ITEMS: return _("store the items given");
    case WPI_ACTION_RESTART: return _("reboot (factory reset with restart-type)");
    case WPI_ACTION_FILE_DEPLOYMENT: return _("download or delete files");
    case WPI_ACTION_SOFTWARE_DEPLOYMENT: return _("download a firmware image");
    case WPI_ACTION_CLEAN_UP: return _("end of the interaction");
    case WPI_ACTION_GET_NEXT_FRAGMENT: return _("send the next fragment");
    case WPI_ACTION_OTHER: return _("not defined by the guide");
    case WPI_ACTION_NONE:
    default: return NULL;
    }
}

static const char *
status_meaning (WpiMessageStatus status)
{
  switch (status)
    {
    case WPI_MESSAGE_STATUS_ACCEPTED: return _("action accepted; items may still have failed");
    case WPI_MESSAGE_STATUS_FAILED: return _("action not accepted or not supported");
    case WPI_MESSAGE_STATUS_BUSY: return _("the phone is in a call; the console tries again later");
    case WPI_MESSAGE_STATUS_OTHER: return _("not defined by the guide");
    case WPI_MESSAGE_STATUS_NONE:
    default: return NULL;
    }
}

static const char *
item_status_meaning (WpiItemStatus status)
{
  switch (status)
    {
    case WPI_ITEM_STATUS_FAILED: return _("the phone could not apply the item");
    case WPI_ITEM_STATUS_UNKNOWN_ITEM: return _("the phone does not know the item");
    case WPI_ITEM_STATUS_READ_ONLY: return _("the item cannot be written");
    case WPI_ITEM_STATUS_INVALID_INDEX: return _("the index is out of range");
    case WPI_ITEM_STATUS_UNEXPECTED_ITEM: return _("the item does not belong in this message");
    case WPI_ITEM_STATUS_NOT_SUPPORTED: return _("the phone does not support the item");
    case WPI_ITEM_STATUS_INVALID_DATA: return _("the phone refused the value");
    case WPI_ITEM_STATUS_UNDEFINED_STATUS: return _("the phone gave no reason");
    case WPI_ITEM_STATUS_OTHER: return _("not defined by the guide");
    case WPI_ITEM_STATUS_NONE:
    default: return NULL;
    }
}

static char *
format_time (gint64 time_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  g_autofree char *text = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : NULL;

  if (text == NULL)
    return g_strdup ("?");
  return g_strdup_printf ("%s.%06d", text, (int) (time_us % G_USEC_PER_SEC));
}

/* A refused message keeps only a prefix of its body (issue 10 §3); what the service sent
 * is kept whole, but for secrets it redacted, which makes it shorter too. */
static void
add_body_cut (GListStore             *children,
              const WpiTrafficRecord *record)
{
  gsize kept = record->body != NULL ? g_bytes_get_size (record->body) : 0;
  g_autofree char *kept_text = NULL;
  g_autofree char *size_text = NULL;
  g_autofree char *value = NULL;

  if (record->direction != WPI_TRAFFIC_DIRECTION_IN || record->body == NULL || record->size <= (gint64) kept)
    return;
  kept_text = g_format_size_full (kept, G_FORMAT_SIZE_IEC_UNITS);
  size_text = g_format_size_full (record->size, G_FORMAT_SIZE_LONG_FORMAT);
  /* Translators: "body cut at 64.0 KiB of 1.0 MB (1,048,576 bytes)" */
  value = g_strdup_printf (_("body cut at %s of %s"), kept_text, size_text);
  add_node (children, WPC_TRAFFIC_DETAIL_WARNING, _("Kept"), value,
            _("The console refused this message and kept only the start of its body."));
}

static void
add_frame (GListStore             *tree,
           const WpiTrafficRecord *record)
{
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, record->id);
  /* Translators: %s is the message's number in the traffic log */
  g_autofree char *title = g_strdup_printf (_("Message %s"), number);
  g_autofree char *time = format_time (record->time_us);
  g_autofree char *port = g_strdup_printf ("%u", record->port);
  g_autofree char *size = g_format_size_full (record->size, G_FORMAT_SIZE_LONG_FORMAT);
  g_autofree char *address = NULL;
  WpcTrafficDetail *frame;
  WpcTrafficDetail *node;
  GListStore *children;

  frame = add_node (tree, WPC_TRAFFIC_DETAIL_HEADING, title, time, NULL);
  children = children_of (frame);
  add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Time"), time, NULL);
  node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Direction"),
                   record->direction == WPI_TRAFFIC_DIRECTION_IN ? _("Phone to console") : _("Console to phone"), NULL);
  set_filter (node, "dir", record->direction == WPI_TRAFFIC_DIRECTION_IN ? "in" : "out");
  node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Peer"), record->peer, NULL);
  /* The filter's ip is the address without the port. */
  if (record->peer != NULL)
    {
      const char *colon = strrchr (record->peer, ':');

      address = colon != NULL ? g_strndup (record->peer, colon - record->peer) : g_strdup (record->peer);
      if (address[0] == '[' && g_str_has_suffix (address, "]"))
        {
          char *bare = g_strndup (address + 1, strlen (address) - 2);

          g_free (address);
          address = bare;
        }
      set_filter (node, "ip", address);
    }
  node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Port"), port,
                   record->mode == WPI_PHONE_MODE_SECURE ? _("Secure Mode") : _("Default Mode"));
  set_filter (node, "port", port);
  node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Phone"),
                   record->mac != NULL ? record->mac : _("unknown"), NULL);
  set_filter (node, "mac", record->mac);
  if (record->flow_id != NULL)
    set_filter (add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Flow"), record->flow_id, NULL),
                "flow", record->flow_id);
  add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Size"), size, NULL);
  add_body_cut (children, record);
}

static void
add_error (GListStore             *tree,
           const WpiTrafficRecord *record,
           WpiMessage             *message,
           const GError           *parse_error,
           gboolean                security_event)
{
  if (record->error_text != NULL && record->error_code < 0)
    {
      WpcTrafficDetail *node = add_node (tree, WPC_TRAFFIC_DETAIL_ERROR,
                                         security_event ? _("Security event") : _("Refused"),
                                         record->error_text,
                                         _("The console refused this message: the phone got an HTTP error and nothing else was stored."));

      set_filter (node, "error", "refused");
      if (security_event)
        add_node (children_of (node), WPC_TRAFFIC_DETAIL_ERROR, _("Logged"),
                  _("as a security event"), _("A phone’s identity or Secure Mode check failed."));
    }
  else if (record->error_text != NULL)
    {
      WpcTrafficDetail *node = add_node (tree, WPC_TRAFFIC_DETAIL_ERROR, _("Not decoded"), record->error_text,
                                         codec_error_explanation (record->error_code));
      const char *name = wpi_codec_error_code_to_string (record->error_code);

      set_filter (node, "error", wpi_filter_error_code_name (record->error_code));
      if (name != NULL)
        set_filter (add_node (children_of (node), WPC_TRAFFIC_DETAIL_ERROR, _("Code"), name, NULL),
                    "error", wpi_filter_error_code_name (record->error_code));
    }
  else if (message == NULL && parse_error != NULL)
    {
      const char *explanation = parse_error->domain == WPI_CODEC_ERROR
                                ? codec_error_explanation (parse_error->code) : NULL;

      add_node (tree, WPC_TRAFFIC_DETAIL_ERROR, _("Not decoded"), parse_error->message, explanation);
    }
}

static void
add_http (GListStore *tree,
          GBytes     *headers)
{
  g_autofree char *text = wpi_traffic_format_headers (headers);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  WpcTrafficDetail *node;
  GListStore *children;

  if (lines[0] == NULL || lines[0][0] == '\0')
    return;

  node = add_node (tree, WPC_TRAFFIC_DETAIL_HEADING, _("HTTP"), lines[0], NULL);
  set_raw (node, RAW_MATCH, 0, lines[0]);
  children = children_of (node);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (lines[i][0] == '\0')
        continue;
      if (colon == NULL)
        {
          set_raw (add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, lines[i], NULL, NULL), RAW_MATCH, 0, lines[i]);
          continue;
        }
      name = g_strndup (lines[i], colon - lines[i]);
      value = g_strstrip (g_strdup (colon + 1));
      set_raw (add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, name, value, NULL), RAW_MATCH, 0, lines[i]);
    }
}

static char *
one_line (const char *value)
{
  g_autoptr(GString) line = g_string_new (NULL);

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '\r')
        continue;
      g_string_append_c (line, *p == '\n' ? ' ' : *p);
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

/* The item's catalogue meaning, once on its own line: what its value means and the
 * category it belongs in. */
static char *
item_note (WpiCatalogue  *catalogue,
           WpiItemInfo   *info,
           const WpiItem *item)
{
  g_autofree char *meaning = wpi_catalogue_describe_value (catalogue, item->name, item->value);
  const char *category = wpi_catalogue_get_category_title (catalogue, wpi_item_info_get_category (info));

  if (meaning == NULL)
    return g_strdup (category);
  if (category == NULL)
    return g_steal_pointer (&meaning);
  /* Translators: an item's note in the details: the meaning of its value, then its
   * catalogue category, e.g. "TLS · SIP" */
  return g_strdup_printf (_("%s · %s"), meaning, category);
}

static void
add_item (GListStore    *items,
          guint          position,
          const WpiItem *item,
          gboolean       reveal_secrets)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  WpiItemInfo *info = wpi_catalogue_lookup (catalogue, item->name);
  g_autofree char *title = item->has_index
                           ? g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", item->name, item->index)
                           : g_strdup (item->name);
  gboolean masked = !reveal_secrets && item->value[0] != '\0' && wpi_traffic_item_is_secret (item->name);
  WpcTrafficDetailKind kind = WPC_TRAFFIC_DETAIL_NORMAL;
  g_autofree char *value = NULL;
  g_autofree char *note = NULL;
  g_autofree char *field = NULL;
  WpcTrafficDetail *node;
  WpcTrafficDetail *child = NULL;

  if (masked)
    {
      value = g_strdup (_("(masked)"));
      kind = WPC_TRAFFIC_DETAIL_SECRET;
    }
  else
    {
      g_autoptr(GError) invalid = NULL;

      value = one_line (item->value);
      if (info == NULL)
        note = g_strdup (_("not in the catalogue"));
      else if (item->value[0] != '\0' && !wpi_item_info_validate_value (info, item->value, &invalid))
        {
          /* Translators: %s explains why, e.g. "“7” is not one of 0, 1, 2" */
          g_clear_pointer (&note, g_free);
          note = g_strdup_printf (_("not valid for this item: %s"), invalid->message);
          kind = WPC_TRAFFIC_DETAIL_WARNING;
        }
      else
        note = item_note (catalogue, info, item);
    }
  if (item->status != NULL)
    kind = WPC_TRAFFIC_DETAIL_ERROR;

  node = add_node (items, kind, title, value, note);
  field = g_strconcat ("item.", item->name, NULL);
  /* A masked value is not offered: the filter could not match it anyway. */
  if (!masked)
    set_filter (node, field, item->value);
  /* The pretty-printed body has the items in message order (its ItemList precedes any
   * other element named Item...). */
  set_raw (node, RAW_ELEMENT, position, "<Item ");
  if (item->status != NULL)
    child = add_node (children_of (node), WPC_TRAFFIC_DETAIL_ERROR, _("Status"), item->status,
                      item_status_meaning (wpi_item_get_status (item)));
  if (child != NULL)
    set_raw (child, RAW_ELEMENT, position, "<Item ");
  if (item->type != NULL)
    set_raw (add_node (children_of (node), WPC_TRAFFIC_DETAIL_NORMAL, _("Type"), item->type, NULL),
             RAW_ELEMENT, position, "<Item ");
}

static void
add_message (GListStore *tree,
             WpiMessage *message,
             gboolean    reveal_secrets)
{
  WpiMessageKind kind = wpi_message_get_kind (message);
  WpcTrafficDetail *wpi;
  WpcTrafficDetail *node;
  GListStore *children;
  const char *str;
  guint n_items = wpi_message_get_n_items (message);

  wpi = add_node (tree, WPC_TRAFFIC_DETAIL_HEADING, _("WorkPoint Interface"), wpi_message_kind_to_string (kind),
                  kind == WPI_MESSAGE_KIND_WORKPOINT ? _("phone to console") : _("console to phone"));
  children = children_of (wpi);
  set_raw (wpi, RAW_TAG, 0, "<Message");
  node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Nonce"), wpi_message_get_nonce (message), NULL);
  set_filter (node, "nonce", wpi_message_get_nonce (message));
  if (wpi_message_get_nonce (message) != NULL)
    set_raw_attribute (node, "nonce", wpi_message_get_nonce (message));
  if (wpi_message_has_max_items (message))
    {
      g_autofree char *max_items = g_strdup_printf ("%" G_GINT64_FORMAT, wpi_message_get_max_items (message));

      node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, "maxItems", max_items,
                       wpi_message_get_max_items (message) == -1 ? _("no limit") : _("items per console message"));
      set_raw_attribute (node, "maxItems", max_items);
    }
  if ((str = wpi_message_get_fragment_string (message)) != NULL)
    set_raw_attribute (add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Fragment"), str,
                                 wpi_message_get_fragment (message) == WPI_FRAGMENT_NEXT ? _("more fragments follow") :
                                 wpi_message_get_fragment (message) == WPI_FRAGMENT_FINAL ? _("last fragment") : NULL),
                       "fragment", str);
  if ((str = wpi_message_get_reason_string (message)) != NULL)
    {
      node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Reason for contact"), str,
                       reason_meaning (wpi_message_get_reason (message)));
      set_filter (node, "reason", str);
      set_raw (node, RAW_ELEMENT, 0, "<ReasonForContact");
    }
  if ((str = wpi_message_get_action_string (message)) != NULL)
    {
      node = add_node (children, WPC_TRAFFIC_DETAIL_NORMAL, _("Action"), str,
                       action_meaning (wpi_message_get_action (message)));
      set_filter (node, "action", str);
      /* The phone's reply names the action in an attribute, the console's in an element. */
      if (kind == WPI_MESSAGE_KIND_WORKPOINT)
        set_raw_attribute (node, "action", str);
      else
        set_raw (node, RAW_ELEMENT, 0, "<Action");
    }
  if ((str = wpi_message_get_status_string (message)) != NULL)
    {
      WpiMessageStatus status = wpi_message_get_status (message);

      node = add_node (children, status == WPI_MESSAGE_STATUS_FAILED ? WPC_TRAFFIC_DETAIL_ERROR :
                                 status == WPI_MESSAGE_STATUS_BUSY ? WPC_TRAFFIC_DETAIL_WARNING : WPC_TRAFFIC_DETAIL_NORMAL,
                       _("Status"), str, status_meaning (status));
      set_filter (node, "status", str);
      set_raw_attribute (node, "status", str);
    }

  if (!wpi_message_has_item_list (message))
    add_node (tree, WPC_TRAFFIC_DETAIL_HEADING, _("Items"), _("no item list"), NULL);
  else
    {
      g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u item", "%u items", n_items), n_items);
      WpcTrafficDetail *items = add_node (tree, WPC_TRAFFIC_DETAIL_HEADING, _("Items"), count, NULL);

      set_raw (items, RAW_TAG, 0, "<ItemList");

      for (guint i = 0; i < n_items; i++)
        add_item (children_of (items), i, wpi_message_get_item (message, i), reveal_secrets);
    }
}

GListModel *
wpc_traffic_detail_build (const WpiTrafficRecord *record,
                          WpiMessage             *message,
                          const GError           *parse_error,
                          gboolean                security_event,
                          gboolean                reveal_secrets)
{
  GListStore *tree = g_list_store_new (WPC_TYPE_TRAFFIC_DETAIL);

  g_return_val_if_fail (record != NULL, G_LIST_MODEL (tree));

  add_frame (tree, record);
  add_error (tree, record, message, parse_error, security_event);
  add_http (tree, record->headers);
  if (message != NULL)
    add_message (tree, message, reveal_secrets);
  return G_LIST_MODEL (tree);
}

static void
append_text (GString    *text,
             GListModel *nodes,
             int         depth)
{
  for (guint i = 0; i < g_list_model_get_n_items (nodes); i++)
    {
      g_autoptr(WpcTrafficDetail) node = g_list_model_get_item (nodes, i);

      g_string_append_printf (text, "%*s%s", depth * 4, "", node->title);
      if (node->value != NULL)
        g_string_append_printf (text, ": %s", node->value);
      if (node->note != NULL)
        g_string_append_printf (text, " (%s)", node->note);
      g_string_append_c (text, '\n');
      if (node->children != NULL)
        append_text (text, G_LIST_MODEL (node->children), depth + 1);
    }
}

char *
wpc_traffic_detail_to_text (GListModel *tree)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (G_IS_LIST_MODEL (tree), NULL);

  append_text (text, tree, 0);
  return g_string_free (text, FALSE);
}
