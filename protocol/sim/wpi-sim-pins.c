/* wpi-sim-pins.c: the PINs a simulated user reads off a handout CSV */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>

#include "wpi-handout-csv.h"
#include "wpi-mac.h"
#include "wpi-sim-pins.h"

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
      GHashTable *table = wpi_handout_read_csv (path, error);

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
