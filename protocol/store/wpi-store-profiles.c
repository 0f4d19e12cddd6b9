/* wpi-store-profiles.c: profiles */
#include "config.h"

#include <string.h>

#include "wpi-store-private.h"

/* ---- boxed record ---- */

WpiProfileRecord *
wpi_profile_record_copy (const WpiProfileRecord *record)
{
  WpiProfileRecord *copy = g_memdup2 (record, sizeof *record);

  copy->name = g_strdup (record->name);
  copy->items = _wpi_store_item_array_copy (record->items);
  return copy;
}

void
wpi_profile_record_free (WpiProfileRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->name);
  g_clear_pointer (&record->items, g_array_unref);
  g_free (record);
}

G_DEFINE_BOXED_TYPE (WpiProfileRecord, wpi_profile_record, wpi_profile_record_copy,
                     wpi_profile_record_free)

/* Runs inside the caller's transaction, so the answer holds until it commits. */
gboolean
_wpi_store_require_profile (WpiStore    *self,
                            const char  *name,
                            GError     **error)
{
  gboolean exists = FALSE;

  if (!_wpi_store_row_exists (self, "SELECT 1 FROM profiles WHERE name = ?1", name, &exists,
                              "Cannot look up a profile", error))
    return FALSE;
  return exists || _wpi_store_not_found (error, "No profile named “%s”", name);
}

/* ---- profiles ---- */

static gboolean
profile_set_in_transaction (WpiStore            *self,
                            const char          *name,
                            const WpiStoreItem  *items,
                            gsize                n_items,
                            GError             **error)
{
  g_autoptr(CachedStmt) upsert = NULL;
  g_autoptr(CachedStmt) insert = NULL;

  upsert = _wpi_store_prepare (self,
                               "INSERT INTO profiles (name, created_us, updated_us) VALUES (?1, ?2, ?2) "
                               "ON CONFLICT (name) DO UPDATE SET updated_us = excluded.updated_us",
                               error);
  insert = _wpi_store_prepare (self,
                               "INSERT INTO profile_items (profile, pos, name, idx, value) "
                               "VALUES (?1, ?2, ?3, ?4, ?5)",
                               error);
  if (upsert == NULL || insert == NULL)
    return FALSE;

  _wpi_store_bind_text (upsert, 1, name);
  sqlite3_bind_int64 (upsert, 2, g_get_real_time ());
  if (!_wpi_store_run (self, upsert, "Cannot store a profile", error) ||
      !_wpi_store_run_with_key (self, "DELETE FROM profile_items WHERE profile = ?1", name,
                                "Cannot store a profile", error))
    return FALSE;

  _wpi_store_bind_text (insert, 1, name);
  return _wpi_store_insert_items (self, insert, items, n_items, 2, 3,
                                  "Cannot store a profile's item", error);
}

gboolean
wpi_store_profile_set (WpiStore            *self,
                       const char          *name,
                       const WpiStoreItem  *items,
                       gsize                n_items,
                       GError             **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (name == NULL || name[0] == '\0' || !g_utf8_validate (name, -1, NULL))
    return _wpi_store_invalid (error, "A profile needs a name");
  if (!_wpi_store_validate_items (items, n_items, TRUE, TRUE, error))
    return FALSE;

  STORE_WRITE (self, error, profile_set_in_transaction (self, name, items, n_items, error));
}

#define PROFILE_COLUMNS "name, is_default, created_us, updated_us"

/* A WpiProfileRecord without items (a WpiStoreRowFunc) */
static gpointer
profile_from_row (sqlite3_stmt *stmt)
{
  WpiProfileRecord *profile = g_new0 (WpiProfileRecord, 1);

  profile->name = _wpi_store_column_strdup (stmt, 0);
  profile->is_default = sqlite3_column_int (stmt, 1) != 0;
  profile->created_us = sqlite3_column_int64 (stmt, 2);
  profile->updated_us = sqlite3_column_int64 (stmt, 3);
  return profile;
}

static void
profile_item_from_row (WpiStoreItem *item,
                       sqlite3_stmt *stmt)
{
  _wpi_store_item_from_row (item, stmt, 0, 1, 2);
}

static gboolean
profile_load_items (WpiStore          *self,
                    WpiProfileRecord  *profile,
                    GError           **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  stmt = _wpi_store_prepare (self,
                             "SELECT name, idx, value FROM profile_items WHERE profile = ?1 "
                             "ORDER BY pos",
                             error);
  if (stmt == NULL)
    return FALSE;
  _wpi_store_bind_text (stmt, 1, profile->name);
  return _wpi_store_collect_items (self, stmt, profile_item_from_row, &profile->items,
                                   "Cannot read a profile's items", error);
}

/* name NULL: the default profile, which may not exist (NULL without an error). */
static WpiProfileRecord *
profile_get_in_transaction (WpiStore    *self,
                            const char  *name,
                            GError     **error)
{
  g_autoptr(WpiProfileRecord) profile = NULL;

  {
    g_autoptr(CachedStmt) stmt = NULL;
    gboolean has_row = FALSE;

    if (name != NULL)
      stmt = _wpi_store_prepare (self, "SELECT " PROFILE_COLUMNS " FROM profiles WHERE name = ?1",
                                 error);
    else
      stmt = _wpi_store_prepare (self, "SELECT " PROFILE_COLUMNS " FROM profiles WHERE is_default = 1",
                                 error);
    if (stmt == NULL)
      return NULL;
    if (name != NULL)
      _wpi_store_bind_text (stmt, 1, name);
    if (!_wpi_store_step (self, stmt, &has_row, "Cannot read a profile", error))
      return NULL;
    if (!has_row)
      {
        if (name != NULL)
          _wpi_store_not_found (error, "No profile named “%s”", name);
        return NULL;
      }
    profile = profile_from_row (stmt);
  }

  if (!profile_load_items (self, profile, error))
    return NULL;
  return g_steal_pointer (&profile);
}

/* With its items, from one snapshot. */
static WpiProfileRecord *
profile_get (WpiStore    *self,
             const char  *name,
             GError     **error)
{
  WpiProfileRecord *profile;

  if (!_wpi_store_begin (self, FALSE, error))
    return NULL;
  profile = profile_get_in_transaction (self, name, error);
  /* a read: nothing to lose by rolling back */
  _wpi_store_rollback (self);
  return profile;
}

WpiProfileRecord *
wpi_store_profile_get (WpiStore    *self,
                       const char  *name,
                       GError     **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (name == NULL)
    {
      _wpi_store_invalid (error, "No profile name given");
      return NULL;
    }
  return profile_get (self, name, error);
}

WpiProfileRecord *
wpi_store_profile_get_default (WpiStore  *self,
                               GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  return profile_get (self, NULL, error);
}

GPtrArray *
wpi_store_profile_list (WpiStore  *self,
                        GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare (self, "SELECT " PROFILE_COLUMNS " FROM profiles ORDER BY name", error);
  if (stmt == NULL)
    return NULL;
  return _wpi_store_collect (self, stmt, profile_from_row, (GDestroyNotify) wpi_profile_record_free,
                             "Cannot list the profiles", error);
}

static gboolean
profile_delete_in_transaction (WpiStore    *self,
                               const char  *name,
                               GError     **error)
{
  g_autoptr(CachedStmt) in_use = NULL;
  gboolean has_row = FALSE;

  if (!_wpi_store_require_profile (self, name, error))
    return FALSE;

  /* a queued apply-profile job would otherwise fail later for a reason nobody sees now */
  in_use = _wpi_store_prepare (self,
                               "SELECT id FROM jobs WHERE kind = 'apply-profile' AND parameter = ?1 "
                               "AND state IN " PENDING_STATES " LIMIT 1",
                               error);
  if (in_use == NULL)
    return FALSE;
  _wpi_store_bind_text (in_use, 1, name);
  if (!_wpi_store_step (self, in_use, &has_row, "Cannot delete a profile", error))
    return FALSE;
  if (has_row)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                   "Profile “%s” is still to be applied by job %" G_GINT64_FORMAT, name,
                   (gint64) sqlite3_column_int64 (in_use, 0));
      return FALSE;
    }

  return _wpi_store_run_with_key (self, "DELETE FROM profiles WHERE name = ?1", name,
                                  "Cannot delete a profile", error);
}

gboolean
wpi_store_profile_delete (WpiStore    *self,
                          const char  *name,
                          GError     **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (name == NULL)
    return _wpi_store_invalid (error, "No profile name given");

  STORE_WRITE (self, error, profile_delete_in_transaction (self, name, error));
}

static gboolean
profile_set_default_in_transaction (WpiStore    *self,
                                    const char  *name,
                                    GError     **error)
{
  const char *what = "Cannot change the default profile";

  if (name != NULL && !_wpi_store_require_profile (self, name, error))
    return FALSE;
  if (!_wpi_store_run_with_key (self, "UPDATE profiles SET is_default = 0 WHERE is_default = 1", NULL,
                                what, error))
    return FALSE;
  return name == NULL ||
         _wpi_store_run_with_key (self, "UPDATE profiles SET is_default = 1 WHERE name = ?1", name,
                                  what, error);
}

gboolean
wpi_store_profile_set_default (WpiStore    *self,
                               const char  *name,
                               GError     **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  STORE_WRITE (self, error, profile_set_default_in_transaction (self, name, error));
}

