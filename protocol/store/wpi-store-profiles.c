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

static gboolean
profile_exists (WpiStore    *self,
                const char  *name,
                gboolean    *exists,
                GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, "SELECT 1 FROM profiles WHERE name = ?1",
                                              error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  _wpi_store_bind_text (stmt, 1, name);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot look up a profile");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

gboolean
_wpi_store_require_profile (WpiStore    *self,
                 const char  *name,
                 GError     **error)
{
  gboolean exists = FALSE;

  if (!profile_exists (self, name, &exists, error))
    return FALSE;
  if (!exists)
    return _wpi_store_not_found (error, "No profile named “%s”", name);
  return TRUE;
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
  g_autoptr(CachedStmt) clear = NULL;
  g_autoptr(CachedStmt) insert = NULL;
  gint64 now = g_get_real_time ();

  upsert = _wpi_store_prepare (self,
                          "INSERT INTO profiles (name, created_us, updated_us) VALUES (?1, ?2, ?2) "
                          "ON CONFLICT (name) DO UPDATE SET updated_us = excluded.updated_us",
                          error);
  clear = _wpi_store_prepare (self, "DELETE FROM profile_items WHERE profile = ?1", error);
  insert = _wpi_store_prepare (self,
                          "INSERT INTO profile_items (profile, pos, name, idx, value) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)",
                          error);
  if (upsert == NULL || clear == NULL || insert == NULL)
    return FALSE;

  _wpi_store_bind_text (upsert, 1, name);
  sqlite3_bind_int64 (upsert, 2, now);
  if (!_wpi_store_run (self, upsert, "Cannot store a profile", error))
    return FALSE;
  _wpi_store_bind_text (clear, 1, name);
  if (!_wpi_store_run (self, clear, "Cannot store a profile", error))
    return FALSE;

  _wpi_store_bind_text (insert, 1, name);
  for (gsize i = 0; i < n_items; i++)
    {
      sqlite3_bind_int64 (insert, 2, (gint64) i);
      _wpi_store_bind_text (insert, 3, items[i].name);
      sqlite3_bind_int64 (insert, 4, _wpi_store_item_idx (&items[i]));
      _wpi_store_bind_text (insert, 5, items[i].value);
      if (!_wpi_store_run (self, insert, "Cannot store a profile's item", error))
        return FALSE;
      sqlite3_reset (insert);
    }
  return TRUE;
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

static WpiProfileRecord *
profile_from_row (sqlite3_stmt *stmt)
{
  WpiProfileRecord *profile = g_new0 (WpiProfileRecord, 1);

  profile->name = _wpi_store_column_strdup (stmt, 0);
  profile->is_default = sqlite3_column_int (stmt, 1) != 0;
  profile->created_us = sqlite3_column_int64 (stmt, 2);
  profile->updated_us = sqlite3_column_int64 (stmt, 3);
  return profile;
}

static gboolean
profile_load_items (WpiStore          *self,
                    WpiProfileRecord  *profile,
                    GError           **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  int rc;

  stmt = _wpi_store_prepare (self,
                        "SELECT name, idx, value FROM profile_items WHERE profile = ?1 "
                        "ORDER BY pos",
                        error);
  if (stmt == NULL)
    return FALSE;
  _wpi_store_bind_text (stmt, 1, profile->name);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_array_set_size (items, items->len + 1);
      _wpi_store_item_from_row (&g_array_index (items, WpiStoreItem, items->len - 1), stmt, 0, 1, 2);
    }
  if (rc != SQLITE_DONE)
    return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read a profile's items");
  g_clear_pointer (&profile->items, g_array_unref);
  profile->items = g_steal_pointer (&items);
  return TRUE;
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
    int rc;

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
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      {
        if (name != NULL)
          _wpi_store_not_found (error, "No profile named “%s”", name);
        return NULL;
      }
    if (rc != SQLITE_ROW)
      {
        _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read a profile");
        return NULL;
      }
    profile = profile_from_row (stmt);
  }

  if (!profile_load_items (self, profile, error))
    return NULL;
  return g_steal_pointer (&profile);
}

WpiProfileRecord *
wpi_store_profile_get (WpiStore    *self,
                       const char  *name,
                       GError     **error)
{
  WpiProfileRecord *profile;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (name == NULL)
    {
      _wpi_store_invalid (error, "No profile name given");
      return NULL;
    }
  if (!_wpi_store_begin (self, FALSE, error))
    return NULL;
  profile = profile_get_in_transaction (self, name, error);
  _wpi_store_rollback (self);
  return profile;
}

WpiProfileRecord *
wpi_store_profile_get_default (WpiStore  *self,
                               GError   **error)
{
  WpiProfileRecord *profile;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (!_wpi_store_begin (self, FALSE, error))
    return NULL;
  profile = profile_get_in_transaction (self, NULL, error);
  _wpi_store_rollback (self);
  return profile;
}

GPtrArray *
wpi_store_profile_list (WpiStore  *self,
                        GError   **error)
{
  g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_profile_record_free);
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare (self, "SELECT " PROFILE_COLUMNS " FROM profiles ORDER BY name", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (profiles, profile_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot list the profiles");
      return NULL;
    }
  return g_steal_pointer (&profiles);
}

static gboolean
profile_delete_in_transaction (WpiStore    *self,
                               const char  *name,
                               GError     **error)
{
  g_autoptr(CachedStmt) in_use = NULL;
  g_autoptr(CachedStmt) delete = NULL;
  int rc;

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
  rc = sqlite3_step (in_use);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                   "Profile “%s” is still to be applied by job %" G_GINT64_FORMAT, name,
                   (gint64) sqlite3_column_int64 (in_use, 0));
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot delete a profile");

  delete = _wpi_store_prepare (self, "DELETE FROM profiles WHERE name = ?1", error);
  if (delete == NULL)
    return FALSE;
  _wpi_store_bind_text (delete, 1, name);
  return _wpi_store_run (self, delete, "Cannot delete a profile", error);
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
  g_autoptr(CachedStmt) clear = NULL;
  g_autoptr(CachedStmt) mark = NULL;

  if (name != NULL && !_wpi_store_require_profile (self, name, error))
    return FALSE;

  clear = _wpi_store_prepare (self, "UPDATE profiles SET is_default = 0 WHERE is_default = 1", error);
  if (clear == NULL || !_wpi_store_run (self, clear, "Cannot change the default profile", error))
    return FALSE;
  if (name == NULL)
    return TRUE;

  mark = _wpi_store_prepare (self, "UPDATE profiles SET is_default = 1 WHERE name = ?1", error);
  if (mark == NULL)
    return FALSE;
  _wpi_store_bind_text (mark, 1, name);
  return _wpi_store_run (self, mark, "Cannot change the default profile", error);
}

gboolean
wpi_store_profile_set_default (WpiStore    *self,
                               const char  *name,
                               GError     **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  STORE_WRITE (self, error, profile_set_default_in_transaction (self, name, error));
}

