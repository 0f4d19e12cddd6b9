/* wpi-handout-csv.c: the PIN handout's CSV format and its entries */
#include "config.h"

#include <string.h>

#include "wpi-csv-private.h"
#include "wpi-handout-csv.h"
#include "wpi-mac.h"
#include "wpi-pin.h"

G_DEFINE_QUARK (wpi-handout-error-quark, wpi_handout_error)

/* A CSV larger than this is not a handout */
#define CSV_MAX_SIZE (16 * 1024 * 1024)

/* ---- Entries ---------------------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (WpiHandoutEntry, wpi_handout_entry,
                     wpi_handout_entry_copy, wpi_handout_entry_free)

WpiHandoutEntry *
wpi_handout_entry_new (const char *mac,
                       const char *e164,
                       const char *device_type,
                       const char *location,
                       const char *pin,
                       gint64      job_id,
                       gint64      pin_id)
{
  WpiHandoutEntry *entry;

  g_return_val_if_fail (mac != NULL, NULL);

  entry = g_new0 (WpiHandoutEntry, 1);
  entry->mac = g_strdup (mac);
  entry->e164 = g_strdup (e164);
  entry->device_type = g_strdup (device_type);
  entry->location = g_strdup (location);
  entry->pin = g_strdup (pin);
  entry->job_id = job_id;
  entry->pin_id = pin_id;

  return entry;
}

WpiHandoutEntry *
wpi_handout_entry_copy (const WpiHandoutEntry *entry)
{
  WpiHandoutEntry *copy;

  g_return_val_if_fail (entry != NULL, NULL);

  copy = wpi_handout_entry_new (entry->mac, entry->e164, entry->device_type, entry->location,
                                entry->pin, entry->job_id, entry->pin_id);
  copy->state = g_strdup (entry->state);
  copy->issued_us = entry->issued_us;
  copy->max_retries = entry->max_retries;
  return copy;
}

void
wpi_handout_entry_free (WpiHandoutEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->mac);
  g_free (entry->e164);
  g_free (entry->device_type);
  g_free (entry->location);
  g_free (entry->state);
  _wpi_csv_wipe_free (entry->pin);
  g_free (entry);
}

/* ---- CSV -------------------------------------------------------------------------- */

char *
wpi_handout_group_pin (const char *pin)
{
  GString *out;
  gsize length;

  g_return_val_if_fail (pin != NULL, NULL);

  length = strlen (pin);
  out = g_string_sized_new (length + length / 3 + 1);
  for (gsize i = 0; i < length; i++)
    {
      if (i > 0 && (length - i) % 3 == 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, pin[i]);
    }
  return g_string_free (out, FALSE);
}

/* Local time to the minute: what a technician compares with the date on a slip */
static char *
format_issued (gint64 issued_us)
{
  g_autoptr(GDateTime) time = NULL;

  if (issued_us <= 0)
    return NULL;
  time = g_date_time_new_from_unix_local (issued_us / G_USEC_PER_SEC);
  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M") : NULL;
}

/* One entry's line. A bare run of digits would lose its leading zeros in a
 * spreadsheet, and quoting does not stop that: the PIN goes grouped, as on the slip. */
static void
append_csv_entry (GString               *out,
                  const WpiHandoutEntry *entry)
{
  g_autofree char *issued = format_issued (entry->issued_us);
  char *grouped = entry->pin != NULL ? wpi_handout_group_pin (entry->pin) : NULL;
  const char *fields[] = {
    entry->mac, entry->e164, entry->device_type, entry->location, entry->state, issued, grouped,
  };

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      _wpi_csv_append_field (out, fields[i], ',');
    }
  g_string_append (out, "\r\n");
  _wpi_csv_wipe_free (grouped);
}

gboolean
wpi_handout_write_csv (GPtrArray   *entries,
                       const char  *path,
                       GError     **error)
{
  GString *out;
  gboolean ok;

  g_return_val_if_fail (entries != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  out = g_string_new ("mac,e164,model,location,state,issued,pin\r\n");
  for (guint i = 0; i < entries->len; i++)
    append_csv_entry (out, g_ptr_array_index (entries, i));

  ok = g_file_set_contents_full (path, out->str, out->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error);
  _wpi_csv_wipe_gstring (out);
  return ok;
}

static gboolean
field_is_name (const char *field,
               const char *name)
{
  g_autofree char *copy = g_strstrip (g_strdup (field));

  return g_ascii_strcasecmp (copy, name) == 0;
}

/* The digits of a PIN written with spaces or dashes between groups; NULL when there
 * are none; "" (not NULL) with *valid FALSE for anything else. */
static char *
clean_pin (const char *field,
           gboolean   *valid)
{
  GString *digits = g_string_new (NULL);

  *valid = TRUE;
  for (const char *p = field; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (digits, *p);
      else if (*p != ' ' && *p != '\t' && *p != '-')
        *valid = FALSE;
    }

  if (*valid && digits->len == 0)
    {
      _wpi_csv_wipe_gstring (digits);
      return NULL;
    }
  if (digits->len < WPI_PIN_MIN_LENGTH || digits->len > WPI_PIN_MAX_LENGTH)
    *valid = FALSE;

  return g_string_free (digits, FALSE);
}

/* The file's text without a spreadsheet's UTF-8 byte order mark */
static GMappedFile *
map_csv (const char   *path,
         const char  **text,
         gsize        *length,
         GError      **error)
{
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, error);

  if (file == NULL)
    return NULL;
  *text = g_mapped_file_get_contents (file);
  *length = g_mapped_file_get_length (file);
  if (*length > CSV_MAX_SIZE)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE,
                   "%s is too large for a handout", path);
      return NULL;
    }
  _wpi_csv_skip_bom (text, length);

  return g_steal_pointer (&file);
}

/* The first row is a header when it holds no MAC but names a "mac" column; then it
 * must name a "pin" column too. Sets *is_header and, for a header, the columns. */
static gboolean
read_header (const WpiCsvRow  *row,
             const char    *path,
             gboolean      *is_header,
             gint          *mac_column,
             gint          *pin_column,
             GError       **error)
{
  gint mac_named = -1;
  gint pin_named = -1;
  gboolean has_mac = FALSE;

  for (guint j = 0; j < row->fields->len; j++)
    {
      const char *field = g_ptr_array_index (row->fields, j);
      g_autofree char *normal = wpi_mac_normalize (field, NULL);

      has_mac |= normal != NULL;
      if (mac_named < 0 && field_is_name (field, "mac"))
        mac_named = j;
      if (pin_named < 0 && field_is_name (field, "pin"))
        pin_named = j;
    }

  *is_header = !has_mac && mac_named >= 0;
  if (!*is_header)
    return TRUE;
  if (pin_named < 0)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE,
                   "%s: the header line names no “pin” column", path);
      return FALSE;
    }
  *mac_column = mac_named;
  *pin_column = pin_named;
  return TRUE;
}

/* One phone's row into `pins`; a row without a PIN is a phone bootstrapped without one. */
static gboolean
read_pin_row (const WpiCsvRow  *row,
              const char    *path,
              gint           mac_column,
              gint           pin_column,
              GHashTable    *pins,
              GError       **error)
{
  const char *mac_field;
  const char *pin_field;
  g_autofree char *mac = NULL;
  char *pin;
  gboolean valid;

  mac_field = (guint) mac_column < row->fields->len ? g_ptr_array_index (row->fields, mac_column) : "";
  if (pin_column >= 0)
    pin_field = (guint) pin_column < row->fields->len ? g_ptr_array_index (row->fields, pin_column) : "";
  else
    pin_field = row->fields->len >= 2 ? g_ptr_array_index (row->fields, row->fields->len - 1) : "";

  /* The fields are not quoted in errors: in a muddled file they might be PINs */
  mac = wpi_mac_normalize (mac_field, NULL);
  if (mac == NULL)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE,
                   "%s, line %u: the MAC field does not hold a MAC address", path, row->line);
      return FALSE;
    }

  pin = clean_pin (pin_field, &valid);
  if (!valid)
    {
      _wpi_csv_wipe_free (pin);
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE,
                   "%s, line %u: the PIN of %s is not %d to %d digits",
                   path, row->line, mac, WPI_PIN_MIN_LENGTH, WPI_PIN_MAX_LENGTH);
      return FALSE;
    }
  if (pin != NULL)
    g_hash_table_replace (pins, g_steal_pointer (&mac), pin);

  return TRUE;
}

GHashTable *
wpi_handout_read_csv (const char  *path,
                      GError     **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GHashTable) pins = NULL;
  const char *text = NULL;
  gsize length = 0;
  gboolean header_seen = FALSE;
  gint mac_column = 0;
  gint pin_column = -1;   /* -1: the last field */

  g_return_val_if_fail (path != NULL, NULL);

  file = map_csv (path, &text, &length, error);
  if (file == NULL)
    return NULL;

  rows = _wpi_csv_parse (text, length, ',', WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE, error);
  if (rows == NULL)
    {
      g_prefix_error (error, "%s, ", path);
      return NULL;
    }

  pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, _wpi_csv_wipe_free);

  for (guint i = 0; i < rows->len; i++)
    {
      const WpiCsvRow *row = &g_array_index (rows, WpiCsvRow, i);
      gboolean is_header = FALSE;

      if (_wpi_csv_row_is_empty (row))
        continue;

      if (!header_seen)
        {
          header_seen = TRUE;
          if (!read_header (row, path, &is_header, &mac_column, &pin_column, error))
            return NULL;
          if (is_header)
            continue;
        }

      if (!read_pin_row (row, path, mac_column, pin_column, pins, error))
        return NULL;
    }

  return g_steal_pointer (&pins);
}
