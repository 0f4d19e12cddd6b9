/* wpi-codec.c: parse WPI messages (the serializer is wpi-codec-serialize.c)
 *
 * The parser drives libxml2's SAX2 interface and builds the WpiMessage directly,
 * with no intermediate DOM: it is both faster than a tree parse and the only way
 * to refuse a DOCTYPE or an entity declaration before libxml2 acts on it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "wpi-libxml-private.h"
#include "wpi-codec.h"

G_DEFINE_QUARK (wpi-codec-error-quark, wpi_codec_error)

const char *
wpi_codec_error_code_to_string (WpiCodecError code)
{
  switch (code)
    {
    case WPI_CODEC_ERROR_EMPTY: return "WPI_CODEC_ERROR_EMPTY";
    case WPI_CODEC_ERROR_TOO_LARGE: return "WPI_CODEC_ERROR_TOO_LARGE";
    case WPI_CODEC_ERROR_INVALID_UTF8: return "WPI_CODEC_ERROR_INVALID_UTF8";
    case WPI_CODEC_ERROR_DTD: return "WPI_CODEC_ERROR_DTD";
    case WPI_CODEC_ERROR_ENTITY: return "WPI_CODEC_ERROR_ENTITY";
    case WPI_CODEC_ERROR_TOO_DEEP: return "WPI_CODEC_ERROR_TOO_DEEP";
    case WPI_CODEC_ERROR_TOO_MANY_ITEMS: return "WPI_CODEC_ERROR_TOO_MANY_ITEMS";
    case WPI_CODEC_ERROR_MALFORMED: return "WPI_CODEC_ERROR_MALFORMED";
    case WPI_CODEC_ERROR_WRONG_ROOT: return "WPI_CODEC_ERROR_WRONG_ROOT";
    case WPI_CODEC_ERROR_MISSING_ELEMENT: return "WPI_CODEC_ERROR_MISSING_ELEMENT";
    case WPI_CODEC_ERROR_MISSING_NONCE: return "WPI_CODEC_ERROR_MISSING_NONCE";
    case WPI_CODEC_ERROR_INVALID_ATTRIBUTE: return "WPI_CODEC_ERROR_INVALID_ATTRIBUTE";
    case WPI_CODEC_ERROR_UNEXPECTED_CONTENT: return "WPI_CODEC_ERROR_UNEXPECTED_CONTENT";
    case WPI_CODEC_ERROR_CANNOT_FRAGMENT: return "WPI_CODEC_ERROR_CANNOT_FRAGMENT";
    default: return NULL;
    }
}

/* ---- Parser ----------------------------------------------------------- */

typedef enum {
  IN_DOCUMENT,
  IN_ROOT,
  IN_MESSAGE,
  IN_REASON,
  IN_ACTION,
  IN_ITEM_LIST,
  IN_ITEM,
  IN_IGNORED,      /* an element the protocol does not define: skipped with its subtree */
  IN_SIGNATURE,    /* an XML-DSig <Signature> around the message (D20, R22) */
  IN_SIGNATURE_OBJECT,
} ParseState;

typedef struct {
  xmlParserCtxtPtr  ctxt;
  WpiMessage       *message;
  GError           *error;
  ParseState        state;
  int               depth;
  int               ignored_depth;  /* depth of the ignored element that opened IN_IGNORED */
  ParseState        ignored_parent;
  ParseState        item_list_parent; /* IN_MESSAGE, or IN_ROOT for a sibling ItemList (R23) */
  WpiParseFlags     flags;
  gboolean          enveloping;     /* the root is an XML-DSig <Signature> (R22) */
  gboolean          enveloped;      /* a <Signature> is a child of the root (R22) */
  GString          *text;
  WpiItem          *item;           /* the Item being read */
  guint             n_items;
  gboolean          seen_message;
  gboolean          seen_reason;
  gboolean          seen_action;
  char             *reason_fragment;
  int               message_line;
  int               message_column;
} Parser;

static int
parser_line (Parser *parser)
{
  return parser->ctxt->input != NULL ? parser->ctxt->input->line : 1;
}

static int
parser_column (Parser *parser)
{
  return parser->ctxt->input != NULL ? MAX (parser->ctxt->input->col, 1) : 1;
}

static void parser_fail (Parser *parser, WpiCodecError code, int line, int column,
                         const char *format, ...) G_GNUC_PRINTF (5, 6);

/* Records the first error and stops libxml2, so nothing after the problem is read. */
static void
parser_fail (Parser        *parser,
             WpiCodecError  code,
             int            line,
             int            column,
             const char    *format,
             ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  if (parser->error != NULL)
    return;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  parser->error = g_error_new (WPI_CODEC_ERROR, code, "%d:%d: %s", line, column, reason);
  xmlStopParser (parser->ctxt);
}

#define parser_fail_here(parser, code, ...) \
  parser_fail (parser, code, parser_line (parser), parser_column (parser), __VA_ARGS__)

/* Attribute values: whitespace around them is dropped (the guide's examples wrap lines
 * inside attributes); for the nonce, which is an opaque token, every white space is.
 * Without entity substitution libxml2 hands "&amp;" and "&#38;" in an attribute over as
 * the five bytes "&#38;" (for its tree builder to re-parse); a literal '&' cannot occur
 * there otherwise, so those five bytes are the ampersand. */
static char *
attribute_dup (const xmlChar *begin,
               const xmlChar *end,
               gboolean       drop_inner_space)
{
  static const char ampersand[] = "&#38;";
  GString *str;

  /* The usual value, without an ampersand: the same result without the byte loop */
  if (!drop_inner_space && memchr (begin, '&', end - begin) == NULL)
    {
      while (begin < end && g_ascii_isspace (*begin))
        begin++;
      while (end > begin && g_ascii_isspace (end[-1]))
        end--;
      return g_strndup ((const char *) begin, end - begin);
    }

  str = g_string_sized_new (end - begin);
  for (const xmlChar *p = begin; p < end; p++)
    {
      if (drop_inner_space && g_ascii_isspace (*p))
        continue;
      if (*p == '&' && (gsize) (end - p) >= sizeof ampersand - 1 &&
          memcmp (p, ampersand, sizeof ampersand - 1) == 0)
        {
          g_string_append_c (str, '&');
          p += sizeof ampersand - 2;
          continue;
        }
      g_string_append_c (str, (char) *p);
    }
  if (!drop_inner_space)
    g_strstrip (str->str), str->len = strlen (str->str);
  return g_string_free (str, FALSE);
}

static gboolean
parse_integer (const char *str,
               gint64     *out)
{
  char *end = NULL;
  gint64 value;

  if (*str == '\0')
    return FALSE;
  errno = 0;
  value = g_ascii_strtoll (str, &end, 10);
  if (errno != 0 || end == str || *end != '\0')
    return FALSE;
  *out = value;
  return TRUE;
}

typedef struct {
  const xmlChar *localname;
  const xmlChar *prefix;
  const xmlChar *uri;
  const xmlChar *value;
  const xmlChar *end;
} SaxAttribute;

static const SaxAttribute *
find_attribute (const SaxAttribute *attributes,
                int                 n_attributes,
                const char         *name)
{
  for (int i = 0; i < n_attributes; i++)
    if (strcmp ((const char *) attributes[i].localname, name) == 0)
      return &attributes[i];
  return NULL;
}

static char *
attribute_value (const SaxAttribute *attributes,
                 int                 n_attributes,
                 const char         *name)
{
  const SaxAttribute *attribute = find_attribute (attributes, n_attributes, name);

  if (attribute == NULL)
    return NULL;
  return attribute_dup (attribute->value, attribute->end, FALSE);
}

/* Empty strings become NULL: an attribute that says nothing is no value. */
static char *
nonempty (char *str)
{
  if (str != NULL && *str == '\0')
    g_clear_pointer (&str, g_free);
  return str;
}

static void
start_message (Parser             *parser,
               const SaxAttribute *attributes,
               int                 n_attributes)
{
  const SaxAttribute *nonce = find_attribute (attributes, n_attributes, "nonce");
  g_autofree char *max_items = attribute_value (attributes, n_attributes, "maxItems");
  g_autofree char *fragment = nonempty (attribute_value (attributes, n_attributes, "fragment"));

  if (parser->seen_message)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_UNEXPECTED_CONTENT, "a second Message element");
      return;
    }
  parser->seen_message = TRUE;
  parser->message_line = parser_line (parser);
  parser->message_column = parser_column (parser);

  if (nonce != NULL)
    {
      g_autofree char *value = attribute_dup (nonce->value, nonce->end, TRUE);
      wpi_message_set_nonce (parser->message, value);
    }

  if (max_items != NULL)
    {
      gint64 value;

      if (!parse_integer (max_items, &value))
        {
          parser_fail_here (parser, WPI_CODEC_ERROR_INVALID_ATTRIBUTE,
                            "maxItems \"%s\" is not an integer", max_items);
          return;
        }
      wpi_message_set_max_items (parser->message, value);
    }

  wpi_message_set_fragment_string (parser->message, fragment);
}

static void
start_reason (Parser             *parser,
              const SaxAttribute *attributes,
              int                 n_attributes)
{
  g_autofree char *action = nonempty (attribute_value (attributes, n_attributes, "action"));
  g_autofree char *status = nonempty (attribute_value (attributes, n_attributes, "status"));

  if (parser->seen_reason)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_UNEXPECTED_CONTENT,
                        "a second ReasonForContact element");
      return;
    }
  parser->seen_reason = TRUE;
  parser->reason_fragment = nonempty (attribute_value (attributes, n_attributes, "fragment"));
  /* A DLSMessage's action is its Action element, whatever order the elements come in (D20) */
  if (wpi_message_get_kind (parser->message) == WPI_MESSAGE_KIND_WORKPOINT)
    wpi_message_set_action_string (parser->message, action);
  wpi_message_set_status_string (parser->message, status);
  g_string_truncate (parser->text, 0);
}

static void
start_item (Parser             *parser,
            const SaxAttribute *attributes,
            int                 n_attributes)
{
  g_autofree char *name = attribute_value (attributes, n_attributes, "name");
  g_autofree char *index = attribute_value (attributes, n_attributes, "index");
  WpiItem *item;

  if (++parser->n_items > WPI_MAX_ITEMS)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_TOO_MANY_ITEMS,
                        "more than %d items", WPI_MAX_ITEMS);
      return;
    }
  if (name == NULL || *name == '\0')
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_INVALID_ATTRIBUTE, "Item without a name");
      return;
    }

  item = g_new0 (WpiItem, 1);
  item->name = g_steal_pointer (&name);
  item->type = nonempty (attribute_value (attributes, n_attributes, "type"));
  item->status = nonempty (attribute_value (attributes, n_attributes, "status"));
  if (index != NULL)
    {
      if (!parse_integer (index, &item->index))
        {
          parser_fail_here (parser, WPI_CODEC_ERROR_INVALID_ATTRIBUTE,
                            "index \"%s\" of item %s is not an integer", index, item->name);
          wpi_item_free (item);
          return;
        }
      item->has_index = TRUE;
    }
  parser->item = item;
  g_string_truncate (parser->text, 0);
}

static void parser_note (Parser *parser, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Records a deviation the parser tolerated, for wpi_message_check_rules() (D20) */
static void
parser_note (Parser     *parser,
             const char *format,
             ...)
{
  g_autofree char *note = NULL;
  va_list args;

  va_start (args, format);
  note = g_strdup_vprintf (format, args);
  va_end (args);
  wpi_message_add_reading_note (parser->message, note);
}

static gboolean
is_dsig_element (const char    *name,
                 const xmlChar *uri,
                 const char    *expected)
{
  return strcmp (name, expected) == 0 && uri != NULL &&
         strcmp ((const char *) uri, WPI_DSIG_NAMESPACE) == 0;
}

/* The message's root: which of the two messages this is. Real servers write the name in
 * another case (<DlsMessage>), so any case is read (D20, R21). FALSE when name is none of
 * them. */
static gboolean
start_message_root (Parser     *parser,
                    const char *name)
{
  static const struct { const char *name; WpiMessageKind kind; } roots[] = {
    { "WorkpointMessage", WPI_MESSAGE_KIND_WORKPOINT },
    { "DLSMessage", WPI_MESSAGE_KIND_DLS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (roots); i++)
    {
      if (g_ascii_strcasecmp (name, roots[i].name) != 0)
        continue;
      parser->message = wpi_message_new (roots[i].kind, NULL);
      if (strcmp (name, roots[i].name) != 0)
        parser_note (parser, "R21: root element <%s> read as <%s>", name, roots[i].name);
      parser->state = IN_ROOT;
      return TRUE;
    }
  return FALSE;
}

static void
start_root (Parser        *parser,
            const char    *name,
            const xmlChar *uri)
{
  if (is_dsig_element (name, uri, "Signature"))
    {
      parser->enveloping = TRUE;
      parser->state = IN_SIGNATURE;
      return;
    }
  if (!start_message_root (parser, name))
    parser_fail_here (parser, WPI_CODEC_ERROR_WRONG_ROOT,
                      "root element is <%s>, expected <WorkpointMessage> or <DLSMessage>",
                      name);
}

/* A child of an XML-DSig <Object>: the signed message; anything else in it is skipped. */
static gboolean
start_signed_object_child (Parser     *parser,
                           const char *name)
{
  if (parser->message != NULL)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_UNEXPECTED_CONTENT,
                        "a second message <%s> in the signature", name);
      return TRUE;
    }
  return start_message_root (parser, name);
}

static void
start_action (Parser *parser)
{
  if (parser->seen_action)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_UNEXPECTED_CONTENT,
                        "a second Action element (a DLSMessage has exactly one)");
      return;
    }
  parser->seen_action = TRUE;
  g_string_truncate (parser->text, 0);
  parser->state = IN_ACTION;
}

/* A child of <Message>; FALSE for an element the protocol does not define there. */
static gboolean
start_message_child (Parser             *parser,
                     const char         *name,
                     const SaxAttribute *attributes,
                     int                 n_attributes)
{
  if (strcmp (name, "ReasonForContact") == 0)
    {
      start_reason (parser, attributes, n_attributes);
      parser->state = IN_REASON;
      return TRUE;
    }
  if (strcmp (name, "Action") == 0)
    {
      /* A phone names the action in ReasonForContact@action; an Action element of its
       * own would make the element order decide which one counts (D20). */
      if (wpi_message_get_kind (parser->message) == WPI_MESSAGE_KIND_WORKPOINT)
        {
          parser_note (parser, "R24: <Action> element in a WorkpointMessage ignored "
                               "(a phone names the action in ReasonForContact@action)");
          return FALSE;
        }
      start_action (parser);
      return TRUE;
    }
  if (strcmp (name, "ItemList") == 0)
    {
      wpi_message_set_has_item_list (parser->message, TRUE);
      parser->item_list_parent = IN_MESSAGE;
      parser->state = IN_ITEM_LIST;
      return TRUE;
    }
  return FALSE;
}

/* A child of the root: <Message>; also <ItemList>, which phones act on there too
 * (D20, R23), and an enveloped XML-DSig <Signature> (R22), which is read afterwards. */
static gboolean
start_root_child (Parser             *parser,
                  const char         *name,
                  const xmlChar      *uri,
                  const SaxAttribute *attributes,
                  int                 n_attributes)
{
  if (strcmp (name, "Message") == 0)
    {
      start_message (parser, attributes, n_attributes);
      parser->state = IN_MESSAGE;
      return TRUE;
    }
  if (strcmp (name, "ItemList") == 0)
    {
      parser_note (parser, "R23: <ItemList> beside <Message> instead of inside it; its items were read");
      wpi_message_set_has_item_list (parser->message, TRUE);
      parser->item_list_parent = IN_ROOT;
      parser->state = IN_ITEM_LIST;
      return TRUE;
    }
  if (is_dsig_element (name, uri, "Signature"))
    parser->enveloped = TRUE;
  return FALSE;
}

/* An element where the parser's state is; FALSE for one the protocol does not define
 * there, which the caller skips. */
static gboolean
start_known_element (Parser             *parser,
                     const char         *name,
                     const xmlChar      *uri,
                     const SaxAttribute *attributes,
                     int                 n_attributes)
{
  switch (parser->state)
    {
    case IN_DOCUMENT:
      start_root (parser, name, uri);
      return TRUE;

    case IN_SIGNATURE:
      if (!is_dsig_element (name, uri, "Object"))
        return FALSE;
      parser->state = IN_SIGNATURE_OBJECT;
      return TRUE;

    case IN_SIGNATURE_OBJECT:
      return start_signed_object_child (parser, name);

    case IN_ROOT:
      return start_root_child (parser, name, uri, attributes, n_attributes);

    case IN_MESSAGE:
      return start_message_child (parser, name, attributes, n_attributes);

    case IN_ITEM_LIST:
      if (strcmp (name, "Item") != 0)
        return FALSE;
      start_item (parser, attributes, n_attributes);
      parser->state = IN_ITEM;
      return TRUE;

    case IN_REASON:
    case IN_ACTION:
    case IN_ITEM:
      parser_fail_here (parser, WPI_CODEC_ERROR_UNEXPECTED_CONTENT,
                        "element <%s> inside a text-only element", name);
      return TRUE;

    case IN_IGNORED:
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

static void
sax_start_element (void           *user_data,
                   const xmlChar  *localname,
                   const xmlChar  *prefix,
                   const xmlChar  *uri,
                   int             n_namespaces,
                   const xmlChar **namespaces,
                   int             n_attributes,
                   int             n_defaulted,
                   const xmlChar **attributes)
{
  Parser *parser = user_data;
  const SaxAttribute *attrs = (const SaxAttribute *) (gpointer) attributes;
  const char *name = (const char *) localname;

  if (parser->error != NULL)
    return;

  if (++parser->depth > WPI_MAX_DEPTH)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_TOO_DEEP,
                        "elements nested deeper than %d levels", WPI_MAX_DEPTH);
      return;
    }

  if (start_known_element (parser, name, uri, attrs, n_attributes))
    return;

  /* An element the protocol does not define: tolerated and skipped, subtree and all. */
  parser->ignored_parent = parser->state;
  parser->ignored_depth = parser->depth;
  parser->state = IN_IGNORED;
}

static void
sax_end_element (void          *user_data,
                 const xmlChar *localname,
                 const xmlChar *prefix,
                 const xmlChar *uri)
{
  Parser *parser = user_data;

  if (parser->error != NULL)
    return;

  switch (parser->state)
    {
    case IN_IGNORED:
      if (parser->depth == parser->ignored_depth)
        parser->state = parser->ignored_parent;
      break;

    case IN_ROOT:
      parser->state = parser->enveloping ? IN_SIGNATURE_OBJECT : IN_DOCUMENT;
      break;

    case IN_SIGNATURE_OBJECT:
      parser->state = IN_SIGNATURE;
      break;

    case IN_SIGNATURE:
      parser->state = IN_DOCUMENT;
      break;

    case IN_MESSAGE:
      parser->state = IN_ROOT;
      break;

    case IN_REASON:
      g_strstrip (parser->text->str);
      if (wpi_message_get_kind (parser->message) == WPI_MESSAGE_KIND_DLS && *parser->text->str == '\0' &&
          wpi_message_get_status_string (parser->message) == NULL)
        parser_note (parser, "R24: empty <ReasonForContact> in a DLSMessage ignored");
      wpi_message_set_reason_string (parser->message,
                                     *parser->text->str ? parser->text->str : NULL);
      parser->state = IN_MESSAGE;
      break;

    case IN_ACTION:
      g_strstrip (parser->text->str);
      wpi_message_set_action_string (parser->message,
                                     *parser->text->str ? parser->text->str : NULL);
      parser->state = IN_MESSAGE;
      break;

    case IN_ITEM_LIST:
      parser->state = parser->item_list_parent;
      break;

    case IN_ITEM:
      g_free (parser->item->value);
      parser->item->value = g_strndup (parser->text->str, parser->text->len);
      wpi_message_take_item (parser->message, g_steal_pointer (&parser->item));
      parser->state = IN_ITEM_LIST;
      break;

    case IN_DOCUMENT:
    default:
      g_assert_not_reached ();
    }

  parser->depth--;
}

static void
sax_characters (void          *user_data,
                const xmlChar *chars,
                int            len)
{
  Parser *parser = user_data;

  if (parser->error != NULL)
    return;

  /* Text elsewhere (indentation between elements) carries no meaning. */
  if (parser->state == IN_ITEM || parser->state == IN_REASON || parser->state == IN_ACTION)
    g_string_append_len (parser->text, (const char *) chars, len);
}

static void
sax_internal_subset (void          *user_data,
                     const xmlChar *name,
                     const xmlChar *external_id,
                     const xmlChar *system_id)
{
  parser_fail_here ((Parser *) user_data, WPI_CODEC_ERROR_DTD,
                    "a DOCTYPE declaration is not allowed in a WPI message");
}

static void
sax_entity_decl (void          *user_data,
                 const xmlChar *name,
                 int            type,
                 const xmlChar *public_id,
                 const xmlChar *system_id,
                 xmlChar       *content)
{
  parser_fail_here ((Parser *) user_data, WPI_CODEC_ERROR_ENTITY,
                    "entity declaration \"%s\" is not allowed", (const char *) name);
}

/* Only XML's five predefined entities exist (libxml2 resolves them before asking). */
static xmlEntityPtr
sax_get_entity (void          *user_data,
                const xmlChar *name)
{
  parser_fail_here ((Parser *) user_data, WPI_CODEC_ERROR_ENTITY,
                    "reference to undefined entity \"&%s;\"", (const char *) name);
  return NULL;
}

static void
sax_structured_error (void        *user_data,
                      xmlErrorPtr  xml_error)
{
  Parser *parser = user_data;
  g_autofree char *message = NULL;
  WpiCodecError code = WPI_CODEC_ERROR_MALFORMED;

  /* Namespace problems (the guide's own examples wrap the xsi URI over two lines) do not
   * make a document ill-formed, and this parser ignores namespaces anyway. */
  if (xml_error == NULL || xml_error->level < XML_ERR_ERROR || xml_error->domain == XML_FROM_NAMESPACE)
    return;

  message = g_strdup (xml_error->message != NULL ? xml_error->message : "malformed XML");
  g_strstrip (message);

  switch (xml_error->code)
    {
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY:
    case XML_ERR_ENTITY_LOOP:
    case XML_ERR_ENTITY_PE_INTERNAL:
    case XML_ERR_ENTITY_BOUNDARY:
    case XML_ERR_ENTITYREF_SEMICOL_MISSING:
      code = WPI_CODEC_ERROR_ENTITY;
      break;
    case XML_ERR_INVALID_ENCODING:
      code = WPI_CODEC_ERROR_INVALID_UTF8;
      break;
    case XML_ERR_DOCTYPE_NOT_FINISHED:
    case XML_ERR_EXT_SUBSET_NOT_FINISHED:
      code = WPI_CODEC_ERROR_DTD;
      break;
    default:
      break;
    }

  parser_fail (parser, code, MAX (xml_error->line, 1), MAX (xml_error->int2, 1), "%s", message);
}

/* Where in the text a byte offset lies, for errors found before libxml2 runs. */
static void
offset_to_position (const char *data,
                    gsize       offset,
                    int        *line,
                    int        *column)
{
  *line = 1;
  *column = 1;
  for (gsize i = 0; i < offset; i++)
    {
      if (data[i] == '\n')
        (*line)++, *column = 1;
      else if (((guchar) data[i] & 0xC0) != 0x80)
        (*column)++;
    }
}

static gboolean
check_bytes (const char  *data,
             gsize        length,
             GError     **error)
{
  const char *end = NULL;
  gsize i;
  int line, column;

  if (length > WPI_MAX_BODY_BYTES)
    {
      g_set_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_TOO_LARGE,
                   "1:1: message of %" G_GSIZE_FORMAT " bytes exceeds the limit of %d bytes",
                   length, WPI_MAX_BODY_BYTES);
      return FALSE;
    }

  for (i = 0; i < length && g_ascii_isspace (data[i]); i++)
    ;
  if (i == length)
    {
      g_set_error_literal (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_EMPTY,
                           "1:1: empty message");
      return FALSE;
    }

  /* g_utf8_validate_len() stops at a NUL, so one check finds both problems. */
  if (!g_utf8_validate_len (data, length, &end))
    {
      gsize offset = end - data;

      offset_to_position (data, offset, &line, &column);
      if (data[offset] == '\0')
        g_set_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_INVALID_UTF8,
                     "%d:%d: NUL byte at offset %" G_GSIZE_FORMAT, line, column, offset);
      else
        g_set_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_INVALID_UTF8,
                     "%d:%d: invalid UTF-8 (byte 0x%02X at offset %" G_GSIZE_FORMAT ")",
                     line, column, (guchar) data[offset], offset);
      return FALSE;
    }

  return TRUE;
}

static void
check_complete (Parser *parser)
{
  WpiMessage *message = parser->message;
  int line = parser->message_line ? parser->message_line : parser_line (parser);
  int column = parser->message_line ? parser->message_column : parser_column (parser);

  if (message == NULL && parser->enveloping)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_MISSING_ELEMENT,
                        "the XML-DSig <Signature> holds no WorkpointMessage or DLSMessage in an <Object>");
      return;
    }
  if (message == NULL)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_EMPTY, "no root element");
      return;
    }
  if (!parser->seen_message)
    {
      parser_fail_here (parser, WPI_CODEC_ERROR_MISSING_ELEMENT,
                        "<%s> has no <Message> element",
                        wpi_message_kind_to_string (wpi_message_get_kind (message)));
      return;
    }
  if (wpi_message_get_nonce (message) == NULL)
    {
      parser_fail (parser, WPI_CODEC_ERROR_MISSING_NONCE, line, column,
                   "<Message> has no nonce attribute");
      return;
    }
  /* An empty nonce cannot bind a reply to its request (D5); a decoder still shows it. */
  if (*wpi_message_get_nonce (message) == '\0')
    {
      if (!(parser->flags & WPI_PARSE_KEEP_EMPTY_NONCE))
        {
          parser_fail (parser, WPI_CODEC_ERROR_MISSING_NONCE, line, column,
                       "<Message> has an empty nonce attribute (a usable nonce is required)");
          return;
        }
      parser_note (parser, "R25: <Message> has an empty nonce attribute; the service refuses such "
                           "a phone message (D5)");
    }
  /* A missing ReasonForContact or Action is tolerated here and reported by
   * wpi_message_check_rules(): the message is still worth showing in the inspector. */

  /* The guide's table puts fragment on ReasonForContact; its examples on Message. */
  if (wpi_message_get_fragment_string (message) == NULL && parser->reason_fragment != NULL)
    wpi_message_set_fragment_string (message, parser->reason_fragment);
}

/* The signature, read from a tree of the document once SAX accepted it (D20, R22) */
static void
attach_signature (Parser     *parser,
                  const char *data,
                  gsize       length)
{
  WpiSignature *signature = wpi_signature_read (data, length);

  if (signature == NULL)
    return;
  parser_note (parser, "R22: message signed with XML-DSig (%s); decoded, the signature is reported",
               wpi_signature_get_form (signature) == WPI_SIGNATURE_FORM_ENVELOPING
                 ? "enveloping: the message is inside <Signature><Object>"
                 : "enveloped: <Signature> inside the message");
  wpi_message_take_signature (parser->message, signature);
}

WpiMessage *
wpi_message_parse (const char  *data,
                   gsize        length,
                   GError     **error)
{
  return wpi_message_parse_full (data, length, WPI_PARSE_NONE, error);
}

WpiMessage *
wpi_message_parse_full (const char     *data,
                        gsize           length,
                        WpiParseFlags   flags,
                        GError        **error)
{
  xmlSAXHandler sax;
  Parser parser = { 0 };
  WpiMessage *result = NULL;

  _wpi_libxml_init ();
  parser.flags = flags;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_bytes (data, length, error))
    return NULL;

  memset (&sax, 0, sizeof sax);
  sax.initialized = XML_SAX2_MAGIC;
  sax.startElementNs = sax_start_element;
  sax.endElementNs = sax_end_element;
  sax.characters = sax_characters;
  sax.cdataBlock = sax_characters;
  sax.internalSubset = sax_internal_subset;
  sax.externalSubset = sax_internal_subset;
  sax.entityDecl = sax_entity_decl;
  sax.getEntity = sax_get_entity;
  sax.getParameterEntity = sax_get_entity;
  sax.serror = sax_structured_error;

  parser.ctxt = xmlCreateMemoryParserCtxt (data, (int) length);
  if (parser.ctxt == NULL)
    {
      g_set_error_literal (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_MALFORMED,
                           "1:1: cannot create an XML parser");
      return NULL;
    }
  /* Our handler replaces the default SAX2 tree builder; libxml2 frees ctxt->sax. */
  xmlFree (parser.ctxt->sax);
  parser.ctxt->sax = xmlMalloc (sizeof sax);
  memcpy (parser.ctxt->sax, &sax, sizeof sax);
  parser.ctxt->userData = &parser;
  /* No network, no entity substitution, no DTD loading; the body is UTF-8 whatever the
   * declaration claims (check_bytes() validated it). */
  xmlCtxtUseOptions (parser.ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC | XML_PARSE_NOERROR |
                                  XML_PARSE_NOWARNING);
  parser.text = g_string_sized_new (256);

  xmlParseDocument (parser.ctxt);

  if (parser.error == NULL && !parser.ctxt->wellFormed)
    parser_fail_here (&parser, WPI_CODEC_ERROR_MALFORMED, "malformed XML");
  if (parser.error == NULL)
    check_complete (&parser);
  if (parser.error == NULL && (parser.enveloping || parser.enveloped))
    attach_signature (&parser, data, length);

  if (parser.error != NULL)
    g_propagate_error (error, g_steal_pointer (&parser.error));
  else
    result = g_steal_pointer (&parser.message);

  g_clear_object (&parser.message);
  g_clear_pointer (&parser.item, wpi_item_free);
  g_free (parser.reason_fragment);
  g_string_free (parser.text, TRUE);
  xmlFreeParserCtxt (parser.ctxt);

  return result;
}
