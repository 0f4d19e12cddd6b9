/* wpi-filter.c: the traffic inspector's display filter language */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "wpi-catalogue.h"
#include "wpi-codec.h"
#include "wpi-filter.h"

/* Parentheses and "not"s deeper than this are refused rather than recursed into. */
#define MAX_DEPTH 64

G_DEFINE_QUARK (wpi-filter-error-quark, wpi_filter_error)

/* ---- Fields -------------------------------------------------------------------- */

static const struct {
  const char     *name;
  WpiFilterField  field;
} field_names[] = {
  { "mac", WPI_FILTER_FIELD_MAC },
  { "e164", WPI_FILTER_FIELD_E164 },
  { "ip", WPI_FILTER_FIELD_IP },
  { "dir", WPI_FILTER_FIELD_DIR },
  { "port", WPI_FILTER_FIELD_PORT },
  { "reason", WPI_FILTER_FIELD_REASON },
  { "action", WPI_FILTER_FIELD_ACTION },
  { "status", WPI_FILTER_FIELD_STATUS },
  { "nonce", WPI_FILTER_FIELD_NONCE },
  { "flow", WPI_FILTER_FIELD_FLOW },
  { "item", WPI_FILTER_FIELD_ITEM },
  { "error", WPI_FILTER_FIELD_ERROR },
};

/* By WpiCodecError value */
static const char * const codec_error_names[] = {
  "empty", "too-large", "invalid-utf8", "dtd", "entity", "too-deep", "too-many-items",
  "malformed", "wrong-root", "missing-element", "missing-nonce", "invalid-attribute",
  "unexpected-content", "cannot-fragment",
};

const char *
wpi_filter_error_code_name (int error_code)
{
  if (error_code < 0)
    return "refused";
  if ((guint) error_code < G_N_ELEMENTS (codec_error_names))
    return codec_error_names[error_code];
  return NULL;
}

static gboolean
field_needs_body (WpiFilterField field)
{
  return field == WPI_FILTER_FIELD_E164 || field == WPI_FILTER_FIELD_ITEM ||
         field == WPI_FILTER_FIELD_ITEM_VALUE;
}

static gboolean
field_is_caseless (WpiFilterField field)
{
  return field == WPI_FILTER_FIELD_MAC || field == WPI_FILTER_FIELD_DIR ||
         field == WPI_FILTER_FIELD_REASON || field == WPI_FILTER_FIELD_ACTION ||
         field == WPI_FILTER_FIELD_STATUS;
}

/* ---- Syntax tree --------------------------------------------------------------- */

typedef enum {
  NODE_AND,
  NODE_OR,
  NODE_NOT,
  NODE_TEST,
} NodeKind;

typedef enum {
  OP_PRESENT,
  OP_EQ,
  OP_NE,
  OP_CONTAINS,
  OP_MATCHES,
} Op;

typedef struct _Node Node;

struct _Node {
  NodeKind        kind;
  gboolean        needs_body;
  Node           *left;      /* AND, OR, NOT */
  Node           *right;     /* AND, OR */
  WpiFilterField  field;     /* TEST */
  char           *item_name; /* ITEM_VALUE */
  Op              op;
  char           *value;     /* as compared: a MAC normalised, hex only for contains */
  gsize           value_len;
  guint           number;    /* port == N */
  GRegex         *regex;
};

static void
node_free (Node *node)
{
  if (node == NULL)
    return;
  node_free (node->left);
  node_free (node->right);
  g_free (node->item_name);
  g_free (node->value);
  g_clear_pointer (&node->regex, g_regex_unref);
  g_free (node);
}

struct _WpiFilter {
  gatomicrefcount  ref_count;
  char            *text;
  WpiFilterFlags   flags;
  Node            *root;
};

G_DEFINE_BOXED_TYPE (WpiFilter, wpi_filter, wpi_filter_ref, wpi_filter_unref)

WpiFilter *
wpi_filter_ref (WpiFilter *filter)
{
  g_return_val_if_fail (filter != NULL, NULL);
  g_atomic_ref_count_inc (&filter->ref_count);
  return filter;
}

void
wpi_filter_unref (WpiFilter *filter)
{
  g_return_if_fail (filter != NULL);

  if (!g_atomic_ref_count_dec (&filter->ref_count))
    return;
  node_free (filter->root);
  g_free (filter->text);
  g_free (filter);
}

const char *
wpi_filter_get_text (WpiFilter *filter)
{
  g_return_val_if_fail (filter != NULL, NULL);
  return filter->text;
}

WpiFilterFlags
wpi_filter_get_flags (WpiFilter *filter)
{
  g_return_val_if_fail (filter != NULL, WPI_FILTER_FLAGS_NONE);
  return filter->flags;
}

gboolean
wpi_filter_needs_body (WpiFilter *filter)
{
  g_return_val_if_fail (filter != NULL, FALSE);
  return filter->root->needs_body;
}

static gboolean
find_index_hint (Node            *node,
                 WpiFilterField  *field,
                 const char     **value)
{
  if (node->kind == NODE_AND)
    return find_index_hint (node->left, field, value) || find_index_hint (node->right, field, value);
  if (node->kind == NODE_TEST && node->op == OP_EQ &&
      (node->field == WPI_FILTER_FIELD_FLOW || node->field == WPI_FILTER_FIELD_MAC))
    {
      *field = node->field;
      *value = node->value;
      return TRUE;
    }
  return FALSE;
}

gboolean
wpi_filter_get_index_hint (WpiFilter       *filter,
                           WpiFilterField  *field,
                           const char     **value)
{
  WpiFilterField found_field = WPI_FILTER_FIELD_FLOW;
  const char *found_value = NULL;

  g_return_val_if_fail (filter != NULL, FALSE);

  if (!find_index_hint (filter->root, &found_field, &found_value))
    return FALSE;
  if (field != NULL)
    *field = found_field;
  if (value != NULL)
    *value = found_value;
  return TRUE;
}

/* ---- Tokens -------------------------------------------------------------------- */

typedef enum {
  TOK_END,
  TOK_LPAREN,
  TOK_RPAREN,
  TOK_EQ,
  TOK_NE,
  TOK_TILDE,
  TOK_BANG,
  TOK_AND_AND,
  TOK_OR_OR,
  TOK_WORD,
  TOK_STRING,
} TokenKind;

typedef struct {
  TokenKind   kind;
  const char *start; /* in the text */
  gsize       length;
  guint       position; /* 1-based character */
  char       *value;    /* WORD: the word; STRING: unquoted and unescaped */
} Token;

static void
token_clear (Token *token)
{
  g_free (token->value);
}

typedef struct {
  const char     *text;
  GArray         *tokens;
  guint           next;
  int             depth;
  WpiFilterFlags  flags;
  GError         *error;
  guint           error_position;
} Parser;

static guint
char_position (const char *text,
               const char *at)
{
  return (guint) g_utf8_pointer_to_offset (text, at) + 1;
}

static void G_GNUC_PRINTF (4, 5)
parser_fail (Parser     *parser,
             int         code,
             guint       position,
             const char *format,
             ...)
{
  va_list args;

  if (parser->error != NULL)
    return;
  va_start (args, format);
  parser->error = g_error_new_valist (WPI_FILTER_ERROR, code, format, args);
  va_end (args);
  parser->error_position = position;
}

static gboolean
is_word_char (gunichar c)
{
  return !g_unichar_isspace (c) && c != '(' && c != ')' && c != '"' && c != '\'' &&
         c != '=' && c != '!' && c != '~' && c != '&' && c != '|';
}

static gboolean
tokenize (Parser *parser)
{
  const char *p = parser->text;

  for (;;)
    {
      Token token = { 0 };
      gunichar c;

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);

      token.start = p;
      token.position = char_position (parser->text, p);
      c = g_utf8_get_char (p);

      if (c == '\0')
        {
          token.kind = TOK_END;
          g_array_append_val (parser->tokens, token);
          return TRUE;
        }

      if (c == '(' || c == ')' || c == '~')
        {
          token.kind = c == '(' ? TOK_LPAREN : c == ')' ? TOK_RPAREN : TOK_TILDE;
          p++;
        }
      else if (c == '=' || c == '!' || c == '&' || c == '|')
        {
          if (c == '=' && p[1] == '=')
            token.kind = TOK_EQ;
          else if (c == '!' && p[1] == '=')
            token.kind = TOK_NE;
          else if (c == '&' && p[1] == '&')
            token.kind = TOK_AND_AND;
          else if (c == '|' && p[1] == '|')
            token.kind = TOK_OR_OR;
          else if (c == '!')
            token.kind = TOK_BANG;
          else
            {
              const char *instead = c == '=' ? "==" : c == '&' ? "and" : "or";

              parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, token.position,
                           /* Translators: a filter error; the first %s is "=", "&" or "|" */
                           _("“%c” at %u is not an operator; write “%s”"), (char) c, token.position,
                           instead);
              return FALSE;
            }
          p += token.kind == TOK_BANG ? 1 : 2;
        }
      else if (c == '"' || c == '\'')
        {
          GString *value = g_string_new (NULL);
          char quote = (char) c;

          p++;
          while (*p != '\0' && *p != quote)
            {
              if (*p == '\\' && (p[1] == quote || p[1] == '\\' || p[1] == '"' || p[1] == '\''))
                p++;
              g_string_append_c (value, *p);
              p++;
            }
          if (*p == '\0')
            {
              g_string_free (value, TRUE);
              parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, token.position,
                           _("the string that starts at %u has no closing quote"), token.position);
              return FALSE;
            }
          p++;
          token.kind = TOK_STRING;
          token.value = g_string_free (value, FALSE);
        }
      else
        {
          while (*p != '\0' && is_word_char (g_utf8_get_char (p)))
            p = g_utf8_next_char (p);
          token.kind = TOK_WORD;
          token.value = g_strndup (token.start, p - token.start);
        }

      token.length = p - token.start;
      g_array_append_val (parser->tokens, token);
    }
}

static Token *
peek (Parser *parser)
{
  return &g_array_index (parser->tokens, Token, parser->next);
}

static Token *
advance (Parser *parser)
{
  Token *token = peek (parser);

  if (token->kind != TOK_END)
    parser->next++;
  return token;
}

static gboolean
is_keyword (const Token *token,
            const char  *keyword)
{
  return token->kind == TOK_WORD && g_ascii_strcasecmp (token->value, keyword) == 0;
}

static char *
token_text (const Token *token)
{
  if (token->kind == TOK_END)
    return g_strdup (_("the end of the filter"));
  return g_strdup_printf ("“%.*s”", (int) token->length, token->start);
}

/* ---- Parser -------------------------------------------------------------------- */

static Node *parse_or (Parser *parser);

static const char *
suggest_field (const char *word)
{
  for (guint i = 0; i < G_N_ELEMENTS (field_names); i++)
    {
      g_autofree char *lower = g_ascii_strdown (word, -1);

      if (g_str_has_prefix (field_names[i].name, lower) || g_str_has_prefix (lower, field_names[i].name))
        return field_names[i].name;
    }
  return NULL;
}

static gboolean
lookup_field (Parser      *parser,
              const Token *token,
              Node        *node)
{
  const char *word = token->value;

  if (g_ascii_strncasecmp (word, "item.", 5) == 0)
    {
      if (word[5] == '\0')
        {
          parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, token->position,
                       _("an item name must follow “item.” at %u"), token->position);
          return FALSE;
        }
      node->field = WPI_FILTER_FIELD_ITEM_VALUE;
      node->item_name = g_strdup (word + 5);
      return TRUE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (field_names); i++)
    if (g_ascii_strcasecmp (word, field_names[i].name) == 0)
      {
        node->field = field_names[i].field;
        return TRUE;
      }

  if (suggest_field (word) != NULL)
    parser_fail (parser, WPI_FILTER_ERROR_UNKNOWN_FIELD, token->position,
                 /* Translators: a filter error, e.g. unknown field “stat” at 1 (did you mean “status”?) */
                 _("unknown field “%s” at %u (did you mean “%s”?)"), word, token->position,
                 suggest_field (word));
  else
    parser_fail (parser, WPI_FILTER_ERROR_UNKNOWN_FIELD, token->position,
                 _("unknown field “%s” at %u"), word, token->position);
  return FALSE;
}

/* Upper-case hex digits only, for "mac contains". */
static char *
fold_mac (const char *text)
{
  GString *folded = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isxdigit (*p))
      g_string_append_c (folded, g_ascii_toupper (*p));
  return g_string_free (folded, FALSE);
}

/* Checks and prepares the value of a comparison. */
static gboolean
set_value (Parser      *parser,
           Node        *node,
           const Token *token)
{
  const char *value = token->value;

  if (node->op == OP_MATCHES)
    {
      g_autoptr(GError) error = NULL;
      GRegexCompileFlags flags = G_REGEX_OPTIMIZE;

      if (field_is_caseless (node->field))
        flags |= G_REGEX_CASELESS;
      node->regex = g_regex_new (value, flags, 0, &error);
      if (node->regex == NULL)
        {
          parser_fail (parser, WPI_FILTER_ERROR_INVALID_REGEX, token->position,
                       /* Translators: a filter error; the last %s is GLib's description */
                       _("invalid regular expression at %u: %s"), token->position, error->message);
          return FALSE;
        }
      node->value = g_strdup (value);
    }
  else if (node->field == WPI_FILTER_FIELD_MAC && node->op == OP_CONTAINS)
    {
      node->value = fold_mac (value);
      if (node->value[0] == '\0' || strspn (value, "0123456789abcdefABCDEF:-. ") != strlen (value))
        {
          parser_fail (parser, WPI_FILTER_ERROR_INVALID_VALUE, token->position,
                       _("“%s” at %u is not part of a MAC address"), value, token->position);
          return FALSE;
        }
    }
  else if (node->field == WPI_FILTER_FIELD_MAC)
    {
      node->value = wpi_mac_normalize (value, NULL);
      if (node->value == NULL)
        {
          parser_fail (parser, WPI_FILTER_ERROR_INVALID_VALUE, token->position,
                       _("“%s” at %u is not a MAC address"), value, token->position);
          return FALSE;
        }
    }
  else if (node->field == WPI_FILTER_FIELD_PORT && node->op != OP_CONTAINS)
    {
      guint64 port = 0;

      if (!g_ascii_string_to_unsigned (value, 10, 0, 65535, &port, NULL))
        {
          parser_fail (parser, WPI_FILTER_ERROR_INVALID_VALUE, token->position,
                       _("“%s” at %u is not a port number"), value, token->position);
          return FALSE;
        }
      node->number = (guint) port;
      node->value = g_strdup (value);
    }
  else if (node->field == WPI_FILTER_FIELD_DIR && node->op != OP_CONTAINS)
    {
      if (g_ascii_strcasecmp (value, "in") != 0 && g_ascii_strcasecmp (value, "out") != 0)
        {
          parser_fail (parser, WPI_FILTER_ERROR_INVALID_VALUE, token->position,
                       /* Translators: "in" and "out" are filter values, do not translate them */
                       _("“%s” at %u is not a direction: write “in” or “out”"), value, token->position);
          return FALSE;
        }
      node->value = g_ascii_strdown (value, -1);
    }
  else if (node->field == WPI_FILTER_FIELD_IP && node->op != OP_CONTAINS)
    {
      /* The service logs addresses as GInetAddress writes them. */
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (value);

      node->value = address != NULL ? g_inet_address_to_string (address) : g_strdup (value);
    }
  else
    node->value = g_strdup (value);

  node->value_len = strlen (node->value);
  return TRUE;
}

static Node *
parse_test (Parser *parser)
{
  Token *token = advance (parser);
  Token *op_token;
  Token *value_token;
  Node *node = g_new0 (Node, 1);

  node->kind = NODE_TEST;
  node->op = OP_PRESENT;
  if (!lookup_field (parser, token, node))
    {
      node_free (node);
      return NULL;
    }
  node->needs_body = field_needs_body (node->field);

  op_token = peek (parser);
  switch (op_token->kind)
    {
    case TOK_EQ: node->op = OP_EQ; break;
    case TOK_NE: node->op = OP_NE; break;
    case TOK_TILDE: node->op = OP_MATCHES; break;
    case TOK_WORD:
      if (is_keyword (op_token, "contains"))
        node->op = OP_CONTAINS;
      else if (is_keyword (op_token, "matches"))
        node->op = OP_MATCHES;
      else if (is_keyword (op_token, "and") || is_keyword (op_token, "or"))
        return node;
      else
        {
          g_autofree char *found = token_text (op_token);

          parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, op_token->position,
                       /* Translators: a filter error; %s is the text found, in quotes */
                       _("unexpected %s at %u: expected an operator (==, !=, contains, ~), “and” or “or”"),
                       found, op_token->position);
          node_free (node);
          return NULL;
        }
      break;
    case TOK_END:
    case TOK_LPAREN:
    case TOK_RPAREN:
    case TOK_BANG:
    case TOK_AND_AND:
    case TOK_OR_OR:
    case TOK_STRING:
    default:
      return node;
    }
  advance (parser);

  value_token = peek (parser);
  if (value_token->kind != TOK_WORD && value_token->kind != TOK_STRING)
    {
      g_autofree char *found = token_text (value_token);

      parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, value_token->position,
                   /* Translators: a filter error, e.g. expected a value after “==” at 8, found the end of the filter */
                   _("expected a value after “%.*s” at %u, found %s"), (int) op_token->length,
                   op_token->start, value_token->position, found);
      node_free (node);
      return NULL;
    }
  advance (parser);

  if (!set_value (parser, node, value_token))
    {
      node_free (node);
      return NULL;
    }
  return node;
}

static Node *
parse_unary (Parser *parser)
{
  Token *token = peek (parser);
  Node *node;

  if (parser->depth >= MAX_DEPTH)
    {
      parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, token->position,
                   _("the filter is nested too deeply at %u"), token->position);
      return NULL;
    }

  if (token->kind == TOK_BANG || is_keyword (token, "not"))
    {
      Node *operand;

      advance (parser);
      parser->depth++;
      operand = parse_unary (parser);
      parser->depth--;
      if (operand == NULL)
        return NULL;
      node = g_new0 (Node, 1);
      node->kind = NODE_NOT;
      node->left = operand;
      node->needs_body = operand->needs_body;
      return node;
    }

  if (token->kind == TOK_LPAREN)
    {
      Token *close;

      advance (parser);
      parser->depth++;
      node = parse_or (parser);
      parser->depth--;
      if (node == NULL)
        return NULL;
      close = peek (parser);
      if (close->kind != TOK_RPAREN)
        {
          if (close->kind == TOK_END)
            parser_fail (parser, WPI_FILTER_ERROR_UNBALANCED, token->position,
                         _("unbalanced parenthesis: “(” at %u is not closed"), token->position);
          else
            {
              g_autofree char *found = token_text (close);

              parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, close->position,
                           _("unexpected %s at %u: expected “and”, “or” or “)”"), found, close->position);
            }
          node_free (node);
          return NULL;
        }
      advance (parser);
      return node;
    }

  if (token->kind == TOK_WORD && !is_keyword (token, "and") && !is_keyword (token, "or") &&
      !is_keyword (token, "contains") && !is_keyword (token, "matches"))
    return parse_test (parser);

  if (token->kind == TOK_RPAREN && parser->depth == 0)
    parser_fail (parser, WPI_FILTER_ERROR_UNBALANCED, token->position,
                 _("unbalanced parenthesis: “)” at %u has no “(”"), token->position);
  else
    {
      g_autofree char *found = token_text (token);

      parser_fail (parser, WPI_FILTER_ERROR_SYNTAX, token->position,
                   /* Translators: a filter error, e.g. expected a field at 1, found “==” */
                   _("expected a field at %u, found %s"), token->position, found);
    }
  return NULL;
}

static Node *
binary (NodeKind  kind,
        Node     *left,
        Node     *right)
{
  Node *node = g_new0 (Node, 1);

  node->kind = kind;
  node->needs_body = left->needs_body || right->needs_body;
  /* Without side effects the operands can be swapped: the cheap one runs first. */
  if (left->needs_body && !right->needs_body)
    {
      node->left = right;
      node->right = left;
    }
  else
    {
      node->left = left;
      node->right = right;
    }
  return node;
}

static Node *
parse_and (Parser *parser)
{
  Node *left = parse_unary (parser);

  while (left != NULL && (peek (parser)->kind == TOK_AND_AND || is_keyword (peek (parser), "and")))
    {
      Node *right;

      advance (parser);
      right = parse_unary (parser);
      if (right == NULL)
        {
          node_free (left);
          return NULL;
        }
      left = binary (NODE_AND, left, right);
    }
  return left;
}

static Node *
parse_or (Parser *parser)
{
  Node *left = parse_and (parser);

  while (left != NULL && (peek (parser)->kind == TOK_OR_OR || is_keyword (peek (parser), "or")))
    {
      Node *right;

      advance (parser);
      right = parse_and (parser);
      if (right == NULL)
        {
          node_free (left);
          return NULL;
        }
      left = binary (NODE_OR, left, right);
    }
  return left;
}

WpiFilter *
wpi_filter_parse (const char      *text,
                  WpiFilterFlags   flags,
                  guint           *error_position,
                  GError         **error)
{
  Parser parser = { 0 };
  WpiFilter *filter = NULL;
  Node *root = NULL;
  const char *invalid = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parser.text = text;
  parser.flags = flags;
  parser.tokens = g_array_new (FALSE, TRUE, sizeof (Token));
  g_array_set_clear_func (parser.tokens, (GDestroyNotify) token_clear);

  if (!g_utf8_validate (text, -1, &invalid))
    parser_fail (&parser, WPI_FILTER_ERROR_SYNTAX, char_position (text, invalid),
                 _("the filter is not valid UTF-8 at %u"), char_position (text, invalid));
  else if (tokenize (&parser))
    {
      Token *first = peek (&parser);

      if (first->kind == TOK_END)
        parser_fail (&parser, WPI_FILTER_ERROR_EMPTY, 1, _("the filter is empty"));
      else
        root = parse_or (&parser);

      if (root != NULL && peek (&parser)->kind != TOK_END)
        {
          Token *extra = peek (&parser);

          if (extra->kind == TOK_RPAREN)
            parser_fail (&parser, WPI_FILTER_ERROR_UNBALANCED, extra->position,
                         _("unbalanced parenthesis: “)” at %u has no “(”"), extra->position);
          else
            {
              g_autofree char *found = token_text (extra);

              parser_fail (&parser, WPI_FILTER_ERROR_SYNTAX, extra->position,
                           _("unexpected %s at %u: expected “and”, “or” or the end of the filter"),
                           found, extra->position);
            }
          g_clear_pointer (&root, node_free);
        }
    }

  g_array_unref (parser.tokens);

  if (parser.error != NULL)
    {
      node_free (root);
      if (error_position != NULL)
        *error_position = parser.error_position;
      g_propagate_error (error, parser.error);
      return NULL;
    }

  filter = g_new0 (WpiFilter, 1);
  g_atomic_ref_count_init (&filter->ref_count);
  filter->text = g_strdup (text);
  filter->flags = flags;
  filter->root = root;
  return filter;
}

/* ---- Evaluation ---------------------------------------------------------------- */

typedef struct {
  const WpiTrafficRecord *record;
  const guint8           *index;       /* a complete item index (D28), or NULL */
  gsize                   index_size;
  WpiFilterMessageFunc    get_message;
  gpointer                user_data;
  gboolean                message_asked;
  WpiMessage             *message;
  WpiFilterFlags          flags;
} Subject;

/* Refused bodies and messages without items have nothing a body field looks at. */
static gboolean
subject_may_have_items (Subject *subject)
{
  return subject->record->error_text == NULL && subject->record->item_count != 0;
}

static WpiMessage *
subject_message (Subject *subject)
{
  if (!subject->message_asked)
    {
      subject->message_asked = TRUE;
      if (subject->get_message != NULL && subject_may_have_items (subject))
        subject->message = subject->get_message (subject->record, subject->user_data);
    }
  return subject->message;
}

/* The items of a message, from its index or else its decoded body */
typedef struct {
  Subject    *subject;
  WpiMessage *message;
  guint       position;
  gsize       offset;
} ItemIter;

/* FALSE when the message has no items to look at */
static gboolean
item_iter_init (ItemIter *iter,
                Subject  *subject)
{
  *iter = (ItemIter) { .subject = subject };
  if (subject->index != NULL)
    return subject_may_have_items (subject);
  iter->message = subject_message (subject);
  return iter->message != NULL;
}

static gboolean
item_iter_next (ItemIter    *iter,
                const char **name,
                const char **value)
{
  const WpiItem *item;

  if (iter->message == NULL)
    return wpi_traffic_item_index_next (iter->subject->index, iter->subject->index_size, &iter->offset,
                                        name, value);
  if (iter->position >= wpi_message_get_n_items (iter->message))
    return FALSE;
  item = wpi_message_get_item (iter->message, iter->position++);
  *name = item->name;
  *value = item->value;
  return TRUE;
}

/* The first value of the item called name, as wpi_message_get_item_value() gives it */
static const char *
subject_item_value (Subject    *subject,
                    const char *name)
{
  ItemIter iter;
  const char *item_name, *value;

  if (!item_iter_init (&iter, subject))
    return NULL;
  while (item_iter_next (&iter, &item_name, &value))
    if (strcmp (item_name, name) == 0)
      return value;
  return NULL;
}

static gboolean
contains_caseless (const char *haystack,
                   gsize       length,
                   const char *needle,
                   gsize       needle_length)
{
  if (needle_length == 0)
    return TRUE;
  for (gsize i = 0; i + needle_length <= length; i++)
    if (g_ascii_strncasecmp (haystack + i, needle, needle_length) == 0)
      return TRUE;
  return FALSE;
}

/* EQ, CONTAINS and MATCHES on one string; NE and PRESENT are handled by the caller. */
static gboolean
test_string (const Node *node,
             const char *str,
             gsize       length)
{
  gboolean caseless = field_is_caseless (node->field);

  switch (node->op)
    {
    case OP_EQ:
    case OP_NE:
      if (length != node->value_len)
        return FALSE;
      return caseless ? g_ascii_strncasecmp (str, node->value, length) == 0
                      : memcmp (str, node->value, length) == 0;
    case OP_CONTAINS:
      if (caseless)
        return contains_caseless (str, length, node->value, node->value_len);
      return node->value_len == 0 || g_strstr_len (str, length, node->value) != NULL;
    case OP_MATCHES:
      return g_regex_match_full (node->regex, str, length, 0, 0, NULL, NULL);
    case OP_PRESENT:
    default:
      return length > 0;
    }
}

static gboolean
test_optional_string (const Node *node,
                      const char *str)
{
  if (str == NULL)
    return FALSE;
  return test_string (node, str, strlen (str));
}

/* The address part of "address:port" (IPv6 addresses may be in brackets). */
static const char *
peer_address (const char *peer,
              gsize      *length)
{
  const char *colon;

  if (peer == NULL)
    return NULL;
  colon = strrchr (peer, ':');
  *length = colon != NULL ? (gsize) (colon - peer) : strlen (peer);
  if (*length >= 2 && peer[0] == '[' && peer[*length - 1] == ']')
    {
      *length -= 2;
      return peer + 1;
    }
  return peer;
}

static gboolean
test_item_value (const Node     *node,
                 const char     *name,
                 const char     *value,
                 WpiFilterFlags  flags)
{
  g_autofree char *meaning = NULL;

  if (node->op == OP_PRESENT)
    return TRUE;
  if (!(flags & WPI_FILTER_MATCH_SECRETS) && wpi_catalogue_is_secret (wpi_catalogue_get_default (), name))
    return FALSE;
  if (test_optional_string (node, value))
    return TRUE;
  if (node->op != OP_EQ && node->op != OP_NE)
    return FALSE;
  meaning = wpi_catalogue_describe_value (wpi_catalogue_get_default (), name, value);
  return meaning != NULL && g_ascii_strcasecmp (meaning, node->value) == 0;
}

/* item and item.NAME: whether one of the message's items passes */
static gboolean
test_items (const Node *node,
            Subject    *subject)
{
  ItemIter iter;
  const char *name, *value;

  if (!item_iter_init (&iter, subject))
    return FALSE;
  while (item_iter_next (&iter, &name, &value))
    {
      if (node->field == WPI_FILTER_FIELD_ITEM)
        {
          if (node->op == OP_PRESENT || test_optional_string (node, name))
            return TRUE;
        }
      else if (strcmp (name, node->item_name) == 0 && test_item_value (node, name, value, subject->flags))
        return TRUE;
    }
  return FALSE;
}

/* The field compared as EQ (for NE), CONTAINS, MATCHES or PRESENT. */
static gboolean
test_field (const Node *node,
            Subject    *subject)
{
  const WpiTrafficRecord *record = subject->record;

  switch (node->field)
    {
    case WPI_FILTER_FIELD_MAC:
      if (record->mac == NULL)
        return FALSE;
      if (node->op == OP_CONTAINS)
        {
          /* a store's MAC is normalised (17 characters): no allocation per message */
          char buffer[32];
          gsize length = 0;
          g_autofree char *folded = NULL;

          for (const char *p = record->mac; *p != '\0' && length < sizeof buffer - 1; p++)
            if (g_ascii_isxdigit (*p))
              buffer[length++] = g_ascii_toupper (*p);
          buffer[length] = '\0';
          if (strlen (record->mac) < sizeof buffer - 1)
            return strstr (buffer, node->value) != NULL;
          folded = fold_mac (record->mac);
          return strstr (folded, node->value) != NULL;
        }
      return test_optional_string (node, record->mac);

    case WPI_FILTER_FIELD_IP:
      {
        gsize length = 0;
        const char *address = peer_address (record->peer, &length);

        return address != NULL && test_string (node, address, length);
      }

    case WPI_FILTER_FIELD_DIR:
      return test_optional_string (node, wpi_traffic_direction_to_string (record->direction));

    case WPI_FILTER_FIELD_PORT:
      {
        char buffer[16];

        if (node->op == OP_PRESENT)
          return record->port != 0;
        if (node->op == OP_EQ || node->op == OP_NE)
          return record->port == node->number;
        g_snprintf (buffer, sizeof buffer, "%u", record->port);
        return test_optional_string (node, buffer);
      }

    case WPI_FILTER_FIELD_REASON:
      return test_optional_string (node, record->reason);
    case WPI_FILTER_FIELD_ACTION:
      return test_optional_string (node, record->action);
    case WPI_FILTER_FIELD_STATUS:
      return test_optional_string (node, record->status);
    case WPI_FILTER_FIELD_NONCE:
      return test_optional_string (node, record->nonce);
    case WPI_FILTER_FIELD_FLOW:
      return test_optional_string (node, record->flow_id);

    case WPI_FILTER_FIELD_ERROR:
      if (record->error_text == NULL)
        return FALSE;
      if (node->op == OP_PRESENT)
        return TRUE;
      if (test_optional_string (node, record->error_text))
        return TRUE;
      return (node->op == OP_EQ || node->op == OP_NE) &&
             g_ascii_strcasecmp (wpi_filter_error_code_name (record->error_code) ?: "", node->value) == 0;

    case WPI_FILTER_FIELD_E164:
      return test_optional_string (node, subject_item_value (subject, "e164"));

    case WPI_FILTER_FIELD_ITEM:
    case WPI_FILTER_FIELD_ITEM_VALUE:
      return test_items (node, subject);

    default:
      g_assert_not_reached ();
    }
}

static gboolean
evaluate (const Node *node,
          Subject    *subject)
{
  switch (node->kind)
    {
    case NODE_AND:
      return evaluate (node->left, subject) && evaluate (node->right, subject);
    case NODE_OR:
      return evaluate (node->left, subject) || evaluate (node->right, subject);
    case NODE_NOT:
      return !evaluate (node->left, subject);
    case NODE_TEST:
      return node->op == OP_NE ? !test_field (node, subject) : test_field (node, subject);
    default:
      g_assert_not_reached ();
    }
}

gboolean
wpi_filter_match_record (WpiFilter              *filter,
                         const WpiTrafficRecord *record,
                         WpiFilterMessageFunc    get_message,
                         gpointer                user_data)
{
  return wpi_filter_match_indexed (filter, record, NULL, 0, get_message, user_data);
}

gboolean
wpi_filter_match_indexed (WpiFilter              *filter,
                          const WpiTrafficRecord *record,
                          const guint8           *item_index,
                          gsize                   item_index_size,
                          WpiFilterMessageFunc    get_message,
                          gpointer                user_data)
{
  Subject subject = { 0 };

  g_return_val_if_fail (filter != NULL, FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  subject.record = record;
  /* an incomplete index lacks long values: the body answers (D28) */
  if (wpi_traffic_item_index_is_complete (item_index, item_index_size))
    {
      subject.index = item_index;
      subject.index_size = item_index_size;
    }
  subject.get_message = get_message;
  subject.user_data = user_data;
  subject.flags = filter->flags;
  return evaluate (filter->root, &subject);
}

static WpiTrafficFields
field_columns (WpiFilterField field)
{
  switch (field)
    {
    case WPI_FILTER_FIELD_MAC: return WPI_TRAFFIC_FIELD_MAC;
    case WPI_FILTER_FIELD_IP: return WPI_TRAFFIC_FIELD_PEER;
    case WPI_FILTER_FIELD_DIR: return WPI_TRAFFIC_FIELD_DIRECTION;
    case WPI_FILTER_FIELD_PORT: return WPI_TRAFFIC_FIELD_PORT;
    case WPI_FILTER_FIELD_REASON: return WPI_TRAFFIC_FIELD_REASON;
    case WPI_FILTER_FIELD_ACTION: return WPI_TRAFFIC_FIELD_ACTION;
    case WPI_FILTER_FIELD_STATUS: return WPI_TRAFFIC_FIELD_STATUS;
    case WPI_FILTER_FIELD_NONCE: return WPI_TRAFFIC_FIELD_NONCE;
    case WPI_FILTER_FIELD_FLOW: return WPI_TRAFFIC_FIELD_FLOW;
    case WPI_FILTER_FIELD_ERROR: return WPI_TRAFFIC_FIELD_ERROR;
    case WPI_FILTER_FIELD_E164:
    case WPI_FILTER_FIELD_ITEM:
    case WPI_FILTER_FIELD_ITEM_VALUE:
      /* whether there are items to look at, then the index */
      return WPI_TRAFFIC_FIELD_ERROR | WPI_TRAFFIC_FIELD_ITEM_COUNT | WPI_TRAFFIC_FIELD_ITEM_INDEX;
    default:
      g_assert_not_reached ();
    }
}

static WpiTrafficFields
node_columns (const Node *node)
{
  if (node == NULL)
    return 0;
  if (node->kind == NODE_TEST)
    return field_columns (node->field);
  return node_columns (node->left) | node_columns (node->right);
}

WpiTrafficFields
wpi_filter_get_fields (WpiFilter *filter)
{
  g_return_val_if_fail (filter != NULL, WPI_TRAFFIC_FIELD_ALL);
  return node_columns (filter->root);
}

typedef struct {
  WpiTrafficEntry *entry;
  WpiStore        *store;
} EntrySubject;

static WpiMessage *
entry_message (const WpiTrafficRecord *record,
               gpointer                user_data)
{
  EntrySubject *data = user_data;

  /* A body that does not parse has no items; the error is the entry's to show. */
  return wpi_traffic_entry_get_message (data->entry, data->store, NULL);
}

gboolean
wpi_filter_match_entry (WpiFilter       *filter,
                        WpiTrafficEntry *entry,
                        WpiStore        *store)
{
  EntrySubject data = { entry, store };

  g_return_val_if_fail (filter != NULL, FALSE);
  g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (entry), FALSE);

  if (wpi_traffic_entry_is_missing (entry))
    return FALSE;
  return wpi_filter_match_record (filter, wpi_traffic_entry_get_record (entry), entry_message, &data);
}
