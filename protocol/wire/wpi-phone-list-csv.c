/* wpi-phone-list-csv.c: the phone list a technician imports (decisions.md D24) */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "wpi-csv-private.h"
#include "wpi-mac.h"
#include "wpi-phone-list-csv.h"

G_DEFINE_QUARK (wpi-phone-list-error-quark, wpi_phone_list_error)

/* ---- Rows --------------------------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (WpiPhoneListRow, wpi_phone_list_row,
                     wpi_phone_list_row_copy, wpi_phone_list_row_free)

static void
phone_list_item_clear (gpointer data)
{
  WpiPhoneListItem *item = data;

  g_clear_pointer (&item->name, g_free);
  g_clear_pointer (&item->value, _wpi_csv_wipe_free);
}

WpiPhoneListRow *
wpi_phone_list_row_new (const char *mac)
{
  WpiPhoneListRow *row = g_new0 (WpiPhoneListRow, 1);

  row->mac = g_strdup (mac);
  row->items = g_array_new (FALSE, TRUE, sizeof (WpiPhoneListItem));
  g_array_set_clear_func (row->items, phone_list_item_clear);
  return row;
}

void
wpi_phone_list_row_add_item (WpiPhoneListRow *row,
                             const char      *name,
                             gboolean         has_index,
                             gint64           index,
                             const char      *value)
{
  WpiPhoneListItem item = { g_strdup (name), g_strdup (value), has_index ? index : 0, has_index };

  g_array_append_val (row->items, item);
}

WpiPhoneListRow *
wpi_phone_list_row_copy (const WpiPhoneListRow *row)
{
  WpiPhoneListRow *copy = wpi_phone_list_row_new (row->mac);

  copy->line = row->line;
  copy->e164 = g_strdup (row->e164);
  copy->location = g_strdup (row->location);
  copy->profile = g_strdup (row->profile);
  copy->profile_column = row->profile_column;
  copy->state = g_strdup (row->state);
  copy->mode = g_strdup (row->mode);
  copy->firmware = g_strdup (row->firmware);
  copy->model = g_strdup (row->model);
  for (guint i = 0; i < row->items->len; i++)
    {
      const WpiPhoneListItem *item = &g_array_index (row->items, WpiPhoneListItem, i);

      wpi_phone_list_row_add_item (copy, item->name, item->has_index, item->index, item->value);
    }
  return copy;
}

void
wpi_phone_list_row_free (WpiPhoneListRow *row)
{
  if (row == NULL)
    return;
  g_free (row->mac);
  g_free (row->e164);
  g_free (row->location);
  g_free (row->profile);
  g_free (row->state);
  g_free (row->mode);
  g_free (row->firmware);
  g_free (row->model);
  g_array_unref (row->items);
  g_free (row);
}

static void
problem_free (gpointer data)
{
  WpiPhoneListProblem *problem = data;

  g_free (problem->message);
  g_free (problem);
}

void
wpi_phone_list_free (WpiPhoneList *list)
{
  if (list == NULL)
    return;
  g_ptr_array_unref (list->rows);
  g_ptr_array_unref (list->problems);
  g_free (list);
}

/* ---- Columns ------------------------------------------------------------------------ */

typedef enum {
  COLUMN_IGNORED,
  COLUMN_MAC,
  COLUMN_NUMBER,
  COLUMN_LOCATION,
  COLUMN_PROFILE,
  COLUMN_STATE,
  COLUMN_MODE,
  COLUMN_FIRMWARE,
  COLUMN_MODEL,
  COLUMN_ITEM,
} ColumnKind;

typedef struct {
  ColumnKind  kind;
  char       *title;     /* the header as written, for messages */
  char       *name;      /* items: the catalogue's spelling */
  gint64      index;
  gboolean    has_index;
} Column;

static void
column_clear (gpointer data)
{
  Column *column = data;

  g_free (column->title);
  g_free (column->name);
}

/* The list's own columns, with the spellings a spreadsheet is likely to have */
static const struct {
  const char *title;
  ColumnKind  kind;
} named_columns[] = {
  { "mac", COLUMN_MAC },
  { "mac-addr", COLUMN_MAC },
  { "mac address", COLUMN_MAC },
  { "number", COLUMN_NUMBER },
  { "extension", COLUMN_NUMBER },
  { "e164", COLUMN_NUMBER },
  { "location", COLUMN_LOCATION },
  { "profile", COLUMN_PROFILE },
  { "state", COLUMN_STATE },
  { "mode", COLUMN_MODE },
  { "firmware", COLUMN_FIRMWARE },
  { "model", COLUMN_MODEL },
  { "ip", COLUMN_IGNORED },
  { "last-contact", COLUMN_IGNORED },
};

typedef struct {
  WpiCatalogue *catalogue;
  WpiPhoneList *list;
  GArray       *columns;   /* Column */
  GHashTable   *macs;      /* MAC -> line (GUINT_TO_POINTER) */
} Reader;

static void G_GNUC_PRINTF (5, 6)
add_problem (Reader     *reader,
             guint       line,
             guint       column,
             const char *title,
             const char *format,
             ...)
{
  WpiPhoneListProblem *problem = g_new0 (WpiPhoneListProblem, 1);
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  problem->line = line;
  problem->column = column;
  if (column == 0)
    problem->message = g_strdup_printf (_("line %u: %s"), line, text);
  else
    problem->message = g_strdup_printf (_("line %u, column %u (%s): %s"), line, column, title, text);
  g_ptr_array_add (reader->list->problems, problem);
}

/* "NAME[INDEX]" into its parts; FALSE when the brackets hold no index */
static gboolean
split_indexed_title (const char  *title,
                     char       **name,
                     gint64      *index,
                     gboolean    *has_index)
{
  const char *open = strchr (title, '[');
  gsize length = strlen (title);
  char *end = NULL;

  *has_index = FALSE;
  *index = 0;
  if (open == NULL)
    {
      *name = g_strdup (title);
      return TRUE;
    }
  *name = g_strndup (title, open - title);
  if (length < 3 || title[length - 1] != ']' || !g_ascii_isdigit (open[1]))
    return FALSE;
  *index = g_ascii_strtoll (open + 1, &end, 10);
  *has_index = TRUE;
  return end == title + length - 1 && *index >= 0 && *index < G_MAXINT32;
}

/* A header field as a column; an unknown name is a problem (a typo must not drop a
 * column of values silently). */
static Column
read_column (Reader     *reader,
             const char *field,
             guint       line,
             guint       number)
{
  Column column = { COLUMN_IGNORED, g_strstrip (g_strdup (field)), NULL, 0, FALSE };
  g_autofree char *name = NULL;
  WpiItemInfo *info;

  for (guint i = 0; i < G_N_ELEMENTS (named_columns); i++)
    if (g_ascii_strcasecmp (column.title, named_columns[i].title) == 0)
      {
        column.kind = named_columns[i].kind;
        return column;
      }

  if (!split_indexed_title (column.title, &name, &column.index, &column.has_index))
    add_problem (reader, line, number, column.title, _("the index in brackets is not a number"));
  else if ((info = wpi_catalogue_lookup_ignore_case (reader->catalogue, g_strstrip (name))) == NULL)
    add_problem (reader, line, number, column.title,
                 _("neither a column of the phone list (mac, number, location, profile) "
                   "nor a catalogue item"));
  else
    {
      column.kind = COLUMN_ITEM;
      column.name = g_strdup (wpi_item_info_get_name (info));
    }
  return column;
}

/* The header's columns, those with a problem ignored; FALSE (with a problem) when it
 * names no MAC column */
static gboolean
read_header (Reader          *reader,
             const WpiCsvRow *row)
{
  gboolean has_mac = FALSE;

  for (guint j = 0; j < row->fields->len; j++)
    {
      Column column = read_column (reader, g_ptr_array_index (row->fields, j), row->line, j + 1);

      g_array_append_val (reader->columns, column);
      has_mac |= column.kind == COLUMN_MAC;
    }
  /* a column named twice would make one value overwrite the other */
  for (guint j = 0; j < reader->columns->len; j++)
    for (guint k = 0; k < j; k++)
      {
        Column *a = &g_array_index (reader->columns, Column, j);
        Column *b = &g_array_index (reader->columns, Column, k);

        if (a->kind != COLUMN_IGNORED && a->kind == b->kind &&
            (a->kind != COLUMN_ITEM || (g_strcmp0 (a->name, b->name) == 0 &&
                                        a->has_index == b->has_index && a->index == b->index)))
          add_problem (reader, row->line, j + 1, a->title, _("the same column as column %u"), k + 1);
      }

  if (!has_mac)
    add_problem (reader, row->line, 0, NULL, _("the header line names no “mac” column"));
  /* the rows are still checked under the other columns, so that one pass finds all */
  return has_mac;
}

/* ---- Rows ---------------------------------------------------------------------------- */

/* A location is a label for people (slips, the phone list): any text but control
 * characters, of a reasonable length */
#define LOCATION_MAX_CHARS 200

static gboolean
location_is_valid (const char *text)
{
  if (!g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) > LOCATION_MAX_CHARS)
    return FALSE;
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

static void
replace_str (char       **field,
             const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static void
read_mac (Reader          *reader,
          WpiPhoneListRow *row,
          const Column    *column,
          guint            number,
          const char      *value)
{
  gpointer seen;

  row->mac = wpi_mac_normalize (value, NULL);
  if (row->mac == NULL)
    add_problem (reader, row->line, number, column->title, _("“%s” is not a MAC address"), value);
  else if (g_hash_table_lookup_extended (reader->macs, row->mac, NULL, &seen))
    add_problem (reader, row->line, number, column->title, _("%s is on line %u already"),
                 row->mac, GPOINTER_TO_UINT (seen));
  else
    g_hash_table_insert (reader->macs, g_strdup (row->mac), GUINT_TO_POINTER (row->line));
}

/* Checks value against the catalogue, as a problem at its cell */
static gboolean
check_item (Reader          *reader,
            const WpiCsvRow *csv_row,
            const Column    *column,
            guint            number,
            const char      *name,
            const char      *value)
{
  g_autoptr(GError) error = NULL;

  if (wpi_catalogue_validate (reader->catalogue, name, column->has_index, column->index, value, &error))
    return TRUE;
  add_problem (reader, csv_row->line, number, column->title, "%s", error->message);
  return FALSE;
}

static void
read_cell (Reader          *reader,
           const WpiCsvRow *csv_row,
           WpiPhoneListRow *row,
           guint            j)
{
  const Column *column = &g_array_index (reader->columns, Column, j);
  g_autofree char *value = g_strstrip (g_strdup (_wpi_csv_row_field (csv_row, j)));

  if (*value == '\0' && column->kind != COLUMN_MAC)
    {
      explicit_bzero (value, strlen (value));
      return;   /* not given: the import leaves it as it is */
    }
  switch (column->kind)
    {
    case COLUMN_MAC:
      read_mac (reader, row, column, j + 1, value);
      break;
    case COLUMN_NUMBER:
      if (check_item (reader, csv_row, column, j + 1, "e164", value))
        replace_str (&row->e164, value);
      break;
    case COLUMN_LOCATION:
      if (!location_is_valid (value))
        add_problem (reader, row->line, j + 1, column->title,
                     _("a location is text of at most %d characters without control characters"),
                     LOCATION_MAX_CHARS);
      else
        replace_str (&row->location, value);
      break;
    case COLUMN_PROFILE:
      replace_str (&row->profile, value);
      row->profile_column = j + 1;
      break;
    case COLUMN_STATE:
      replace_str (&row->state, value);
      break;
    case COLUMN_MODE:
      replace_str (&row->mode, value);
      break;
    case COLUMN_FIRMWARE:
      replace_str (&row->firmware, value);
      break;
    case COLUMN_MODEL:
      replace_str (&row->model, value);
      break;
    case COLUMN_ITEM:
      if (check_item (reader, csv_row, column, j + 1, column->name, value))
        wpi_phone_list_row_add_item (row, column->name, column->has_index, column->index, value);
      break;
    case COLUMN_IGNORED:
    default:
      break;
    }
  explicit_bzero (value, strlen (value));
}

static void
read_row (Reader          *reader,
          const WpiCsvRow *csv_row)
{
  g_autoptr(WpiPhoneListRow) row = wpi_phone_list_row_new (NULL);
  guint problems = reader->list->problems->len;

  row->line = csv_row->line;
  if (csv_row->fields->len > reader->columns->len)
    add_problem (reader, row->line, reader->columns->len + 1, _("no header"),
                 _("the line has %u fields, the header %u"), csv_row->fields->len, reader->columns->len);
  for (guint j = 0; j < reader->columns->len; j++)
    read_cell (reader, csv_row, row, j);
  if (reader->list->problems->len == problems)
    g_ptr_array_add (reader->list->rows, g_steal_pointer (&row));
}

WpiPhoneList *
wpi_phone_list_parse (const char    *text,
                      gsize          length,
                      WpiCatalogue  *catalogue,
                      GError       **error)
{
  g_autoptr(WpiPhoneList) list = g_new0 (WpiPhoneList, 1);
  g_autoptr(GArray) csv_rows = NULL;
  g_autoptr(GError) parse_error = NULL;
  Reader reader = { catalogue, list, NULL, NULL };
  gboolean header_read = FALSE;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (WPI_IS_CATALOGUE (catalogue), NULL);

  if (length > WPI_PHONE_LIST_MAX_SIZE)
    {
      g_set_error (error, WPI_PHONE_LIST_ERROR, WPI_PHONE_LIST_ERROR_TOO_LARGE,
                   _("A phone list is at most %d MiB"), WPI_PHONE_LIST_MAX_SIZE / (1024 * 1024));
      return NULL;
    }

  list->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_phone_list_row_free);
  list->problems = g_ptr_array_new_with_free_func (problem_free);
  _wpi_csv_skip_bom (&text, &length);
  list->separator = _wpi_csv_guess_separator (text, length);
  csv_rows = _wpi_csv_parse (text, length, list->separator, WPI_PHONE_LIST_ERROR,
                             WPI_PHONE_LIST_ERROR_INVALID, &parse_error);
  if (csv_rows == NULL)
    {
      WpiPhoneListProblem *problem = g_new0 (WpiPhoneListProblem, 1);

      problem->line = (guint) strtoul (parse_error->message + strlen ("line "), NULL, 10);
      problem->message = g_strdup (parse_error->message);
      g_ptr_array_add (list->problems, problem);
      return g_steal_pointer (&list);
    }

  reader.columns = g_array_new (FALSE, TRUE, sizeof (Column));
  g_array_set_clear_func (reader.columns, column_clear);
  reader.macs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < csv_rows->len; i++)
    {
      const WpiCsvRow *csv_row = &g_array_index (csv_rows, WpiCsvRow, i);

      if (_wpi_csv_row_is_empty (csv_row))
        continue;
      if (header_read)
        read_row (&reader, csv_row);
      else if (!read_header (&reader, csv_row))
        break;   /* without its columns no row can be read */
      header_read = TRUE;
    }
  if (!header_read && list->problems->len == 0)
    add_problem (&reader, 1, 0, NULL, _("the file is empty: a phone list needs a header line with a “mac” column"));

  g_array_unref (reader.columns);
  g_hash_table_unref (reader.macs);
  return g_steal_pointer (&list);
}

char *
wpi_phone_list_describe_problems (WpiPhoneList *list,
                                  guint         max_lines)
{
  GString *out = g_string_new (NULL);
  guint shown = list->problems->len;

  if (max_lines > 0 && shown > max_lines)
    shown = max_lines;
  for (guint i = 0; i < shown; i++)
    {
      const WpiPhoneListProblem *problem = g_ptr_array_index (list->problems, i);

      g_string_append_printf (out, "%s%s", i > 0 ? "\n" : "", problem->message);
    }
  if (shown < list->problems->len)
    g_string_append_printf (out, ngettext ("\n… and %u more problem", "\n… and %u more problems",
                                           list->problems->len - shown),
                            list->problems->len - shown);
  return g_string_free (out, FALSE);
}

/* ---- Export ------------------------------------------------------------------------- */

static char *
item_title (const WpiPhoneListItem *item)
{
  if (item->has_index)
    return g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", item->name, item->index);
  return g_strdup (item->name);
}

static const char *
row_item_value (const WpiPhoneListRow *row,
                const char            *title)
{
  for (guint i = 0; i < row->items->len; i++)
    {
      const WpiPhoneListItem *item = &g_array_index (row->items, WpiPhoneListItem, i);
      g_autofree char *own = item_title (item);

      if (g_strcmp0 (own, title) == 0)
        return item->value;
    }
  return NULL;
}

char *
wpi_phone_list_to_csv (GPtrArray *rows)
{
  g_autoptr(GPtrArray) titles = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new ("mac,number,location,profile,state,mode,firmware,model");

  for (guint i = 0; i < rows->len; i++)
    {
      const WpiPhoneListRow *row = g_ptr_array_index (rows, i);

      for (guint j = 0; j < row->items->len; j++)
        {
          char *title = item_title (&g_array_index (row->items, WpiPhoneListItem, j));

          if (g_ptr_array_find_with_equal_func (titles, title, g_str_equal, NULL))
            g_free (title);
          else
            g_ptr_array_add (titles, title);
        }
    }
  for (guint j = 0; j < titles->len; j++)
    {
      g_string_append_c (out, ',');
      _wpi_csv_append_field (out, g_ptr_array_index (titles, j), ',');
    }
  g_string_append (out, "\r\n");

  for (guint i = 0; i < rows->len; i++)
    {
      const WpiPhoneListRow *row = g_ptr_array_index (rows, i);
      const char *fields[] = {
        row->mac, row->e164, row->location, row->profile, row->state, row->mode, row->firmware, row->model,
      };

      for (guint j = 0; j < G_N_ELEMENTS (fields); j++)
        {
          if (j > 0)
            g_string_append_c (out, ',');
          _wpi_csv_append_field (out, fields[j], ',');
        }
      for (guint j = 0; j < titles->len; j++)
        {
          g_string_append_c (out, ',');
          _wpi_csv_append_field (out, row_item_value (row, g_ptr_array_index (titles, j)), ',');
        }
      g_string_append (out, "\r\n");
    }
  return g_string_free (out, FALSE);
}
