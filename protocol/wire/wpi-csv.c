/* wpi-csv.c: the CSV reader and writer shared by the wire's CSV formats */
#include "config.h"

#include <string.h>

#include "wpi-csv-private.h"

void
_wpi_csv_wipe_free (gpointer data)
{
  char *str = data;

  if (str != NULL)
    explicit_bzero (str, strlen (str));
  g_free (str);
}

void
_wpi_csv_wipe_gstring (GString *str)
{
  explicit_bzero (str->str, str->allocated_len);
  g_string_free (str, TRUE);
}

static void
csv_row_clear (gpointer data)
{
  WpiCsvRow *row = data;

  g_clear_pointer (&row->fields, g_ptr_array_unref);
}

typedef struct {
  GArray    *rows;
  GString   *field;
  GPtrArray *fields;
  gboolean   quoted;    /* the current field began with a quote */
  guint      row_line;
} CsvParser;

static void
end_field (CsvParser *parser)
{
  if (parser->fields == NULL)
    parser->fields = g_ptr_array_new_with_free_func (_wpi_csv_wipe_free);
  g_ptr_array_add (parser->fields, g_strndup (parser->field->str, parser->field->len));
  explicit_bzero (parser->field->str, parser->field->len);
  g_string_truncate (parser->field, 0);
  parser->quoted = FALSE;
}

static void
end_row (CsvParser *parser)
{
  WpiCsvRow row = { g_steal_pointer (&parser->fields), parser->row_line };

  g_array_append_val (parser->rows, row);
}

GArray *
_wpi_csv_parse (const char  *text,
                gsize        length,
                char         separator,
                GQuark       domain,
                gint         code,
                GError     **error)
{
  CsvParser parser = { NULL, g_string_new (NULL), NULL, FALSE, 1 };
  gboolean in_quotes = FALSE;
  guint line = 1;

  parser.rows = g_array_new (FALSE, TRUE, sizeof (WpiCsvRow));
  g_array_set_clear_func (parser.rows, csv_row_clear);

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (in_quotes)
        {
          if (c == '"' && i + 1 < length && text[i + 1] == '"')
            {
              g_string_append_c (parser.field, '"');
              i++;
            }
          else if (c == '"')
            {
              in_quotes = FALSE;
            }
          else
            {
              if (c == '\n')
                line++;
              g_string_append_c (parser.field, c);
            }
        }
      else if (c == '"' && parser.field->len == 0 && !parser.quoted)
        {
          in_quotes = parser.quoted = TRUE;
        }
      else if (c == separator)
        {
          end_field (&parser);
        }
      else if (c == '\r' || c == '\n')
        {
          if (c == '\r' && i + 1 < length && text[i + 1] == '\n')
            i++;
          end_field (&parser);
          end_row (&parser);
          line++;
          parser.row_line = line;
        }
      else
        {
          g_string_append_c (parser.field, c);
        }
    }

  if (in_quotes)
    {
      g_set_error (error, domain, code, "line %u: a quoted field is not closed", parser.row_line);
      g_clear_pointer (&parser.fields, g_ptr_array_unref);
      _wpi_csv_wipe_gstring (parser.field);
      g_array_unref (parser.rows);
      return NULL;
    }
  if (parser.field->len > 0 || parser.quoted || parser.fields != NULL)
    {
      end_field (&parser);
      end_row (&parser);
    }
  _wpi_csv_wipe_gstring (parser.field);

  return parser.rows;
}

char
_wpi_csv_guess_separator (const char *text,
                          gsize       length)
{
  static const char candidates[] = { ',', ';', '\t' };
  guint counts[G_N_ELEMENTS (candidates)] = { 0, };
  gboolean in_quotes = FALSE;
  guint best = 0;

  for (gsize i = 0; i < length; i++)
    {
      if (text[i] == '"')
        in_quotes = !in_quotes;
      else if (!in_quotes && (text[i] == '\n' || text[i] == '\r'))
        break;
      else if (!in_quotes)
        for (guint j = 0; j < G_N_ELEMENTS (candidates); j++)
          counts[j] += text[i] == candidates[j];
    }
  for (guint j = 1; j < G_N_ELEMENTS (candidates); j++)
    if (counts[j] > counts[best])
      best = j;
  return candidates[best];
}

void
_wpi_csv_skip_bom (const char **text,
                   gsize       *length)
{
  if (*length >= 3 && memcmp (*text, "\xEF\xBB\xBF", 3) == 0)
    {
      *text += 3;
      *length -= 3;
    }
}

gboolean
_wpi_csv_row_is_empty (const WpiCsvRow *row)
{
  for (guint i = 0; i < row->fields->len; i++)
    {
      const char *value = g_ptr_array_index (row->fields, i);

      for (const char *p = value; *p != '\0'; p++)
        if (!g_ascii_isspace (*p))
          return FALSE;
    }
  return TRUE;
}

const char *
_wpi_csv_row_field (const WpiCsvRow *row,
                    guint            column)
{
  return column < row->fields->len ? g_ptr_array_index (row->fields, column) : "";
}

void
_wpi_csv_append_field (GString    *out,
                       const char *value,
                       char        separator)
{
  char specials[] = { separator, '"', '\r', '\n', '\0' };

  if (value == NULL)
    return;

  /* RFC 4180: quote what holds a separator, a quote or a line break; spaces at the
   * ends too, as some readers trim them otherwise */
  if (strpbrk (value, specials) != NULL ||
      (*value != '\0' && (g_ascii_isspace (value[0]) || g_ascii_isspace (value[strlen (value) - 1]))))
    {
      g_string_append_c (out, '"');
      for (const char *p = value; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else
    {
      g_string_append (out, value);
    }
}
