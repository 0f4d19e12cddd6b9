/* wpi-sim-pins.c: the PINs a simulated user reads off a handout CSV */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>

#include "wpi-sim-pins.h"
#include "wpi-store.h"

/* A handout of a few thousand phones is a few hundred kB; anything far bigger is not one. */
#define MAX_CSV_BYTES (64 * 1024 * 1024)

static gboolean
csv_error (GError     **error,
           const char  *path,
           guint        line,
           const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s line %u: %s", path, line, what);
  return FALSE;
}

/* RFC 4180: records end with CRLF or LF, fields are separated by commas, a field in double
 * quotes may hold commas, line breaks and "" for a quote. Blank lines are skipped. Each
 * record is a GPtrArray of strings; *lines (parallel) gets the line each record starts on. */
static GPtrArray *
csv_split (const char  *path,
           const char  *text,
           gsize        length,
           GArray      *lines,
           GError     **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  gsize pos = 0;
  guint line = 1;

  /* a byte-order mark, as spreadsheet programs write */
  if (length >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    pos = 3;

  while (pos < length)
    {
      g_autoptr(GPtrArray) record = g_ptr_array_new_with_free_func (g_free);
      guint start_line = line;

      for (;;)
        {
          g_autoptr(GString) field = g_string_new (NULL);

          if (pos < length && text[pos] == '"')
            {
              pos++;
              for (;;)
                {
                  if (pos >= length)
                    {
                      csv_error (error, path, start_line, "a quoted field is not closed");
                      return NULL;
                    }
                  if (text[pos] == '"')
                    {
                      if (pos + 1 < length && text[pos + 1] == '"')
                        {
                          g_string_append_c (field, '"');
                          pos += 2;
                          continue;
                        }
                      pos++;
                      break;
                    }
                  if (text[pos] == '\n')
                    line++;
                  g_string_append_c (field, text[pos++]);
                }
              if (pos < length && text[pos] != ',' && text[pos] != '\r' && text[pos] != '\n')
                {
                  csv_error (error, path, line, "text after the closing quote of a field");
                  return NULL;
                }
            }
          else
            {
              while (pos < length && text[pos] != ',' && text[pos] != '\r' && text[pos] != '\n')
                {
                  if (text[pos] == '"')
                    {
                      csv_error (error, path, line, "a quote inside a field that is not quoted");
                      return NULL;
                    }
                  g_string_append_c (field, text[pos++]);
                }
            }
          g_ptr_array_add (record, g_string_free (g_steal_pointer (&field), FALSE));

          if (pos < length && text[pos] == ',')
            {
              pos++;
              continue;
            }
          if (pos < length && text[pos] == '\r')
            pos++;
          if (pos < length && text[pos] == '\n')
            {
              pos++;
              line++;
            }
          else if (pos < length)
            {
              csv_error (error, path, line, "a carriage return without a line feed");
              return NULL;
            }
          break;
        }

      if (record->len == 1 && *(char *) g_ptr_array_index (record, 0) == '\0')
        continue;
      g_array_append_val (lines, start_line);
      g_ptr_array_add (records, g_steal_pointer (&record));
    }
  return g_steal_pointer (&records);
}

static int
find_column (GPtrArray  *header,
             const char *name)
{
  for (guint i = 0; i < header->len; i++)
    {
      g_autofree char *title = g_strstrip (g_strdup (g_ptr_array_index (header, i)));

      if (g_ascii_strcasecmp (title, name) == 0)
        return (int) i;
    }
  return -1;
}

GHashTable *
wpi_sim_pins_read_csv (const char  *path,
                       GError     **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GArray) lines = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GHashTable) table = NULL;
  gsize length;
  int mac_column, pin_column;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &text, &length, error))
    return NULL;
  if (length > MAX_CSV_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: %" G_GSIZE_FORMAT " bytes is too big for a handout", path, length);
      return NULL;
    }
  if (memchr (text, '\0', length) != NULL || !g_utf8_validate (text, length, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is not UTF-8 text", path);
      return NULL;
    }

  records = csv_split (path, text, length, lines, error);
  if (records == NULL)
    return NULL;
  if (records->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s is empty: a handout CSV starts with its header line", path);
      return NULL;
    }

  mac_column = find_column (g_ptr_array_index (records, 0), "mac");
  pin_column = find_column (g_ptr_array_index (records, 0), "pin");
  if (mac_column < 0 || pin_column < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "%s: the header line has no \"%s\" column (expected mac,e164,model,location,pin)",
                   path, mac_column < 0 ? "mac" : "pin");
      return NULL;
    }

  table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 1; i < records->len; i++)
    {
      GPtrArray *record = g_ptr_array_index (records, i);
      guint line = g_array_index (lines, guint, i);
      g_autofree char *mac = NULL;
      g_autofree char *pin = NULL;
      g_autoptr(GError) mac_error = NULL;

      if (record->len <= (guint) MAX (mac_column, pin_column))
        {
          g_autofree char *what = g_strdup_printf ("%u fields, but the header names %d", record->len,
                                                   MAX (mac_column, pin_column) + 1);
          csv_error (error, path, line, what);
          return NULL;
        }
      mac = wpi_mac_normalize (g_ptr_array_index (record, mac_column), &mac_error);
      if (mac == NULL)
        {
          csv_error (error, path, line, mac_error->message);
          return NULL;
        }
      pin = g_strstrip (g_strdup (g_ptr_array_index (record, pin_column)));
      /* a phone bootstrapped without PIN may be listed with none */
      if (*pin == '\0')
        continue;
      g_hash_table_replace (table, g_steal_pointer (&mac), g_steal_pointer (&pin));
    }
  return g_steal_pointer (&table);
}

/* One file, parsed again only when it changed: a thousand phones asking every two seconds
 * must not parse it a thousand times. */
static GMutex      cache_lock;
static char       *cache_path;
static struct stat cache_stat;
static GHashTable *cache_table;

static gboolean
same_file (const struct stat *a,
           const struct stat *b)
{
  return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

char *
wpi_sim_pins_lookup (const char  *path,
                     const char  *mac,
                     GError     **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autofree char *normal = NULL;
  struct stat info;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (mac != NULL, NULL);

  normal = wpi_mac_normalize (mac, error);
  if (normal == NULL)
    return NULL;

  if (stat (path, &info) != 0)
    {
      int saved = errno;

      /* not printed yet */
      if (saved == ENOENT)
        return NULL;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return NULL;
    }

  locker = g_mutex_locker_new (&cache_lock);
  if (cache_table == NULL || g_strcmp0 (cache_path, path) != 0 || !same_file (&cache_stat, &info))
    {
      GHashTable *table = wpi_sim_pins_read_csv (path, error);

      if (table == NULL)
        return NULL;
      g_clear_pointer (&cache_table, g_hash_table_unref);
      g_free (cache_path);
      cache_path = g_strdup (path);
      cache_stat = info;
      cache_table = table;
    }
  return g_strdup (g_hash_table_lookup (cache_table, normal));
}
