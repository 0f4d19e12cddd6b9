/* wpi-store-sql.c: the SQLite plumbing the parts of WpiStore share
 *
 * Every query goes through the statement cache (_wpi_store_prepare()) and one of the
 * step helpers here, which map SQLite's result codes to WPI_STORE_ERROR, so that the
 * parts hold only their SQL, their bindings and their rows.
 */
#include "config.h"

#include "wpi-store-private.h"

/* ---- errors and the statement cache ---- */

/* The WpiStoreError for an SQLite result code. */
int
_wpi_store_error_code (int rc)
{
  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return WPI_STORE_ERROR_BUSY;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return WPI_STORE_ERROR_INVALID;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return WPI_STORE_ERROR_CORRUPT;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
      return WPI_STORE_ERROR_IO;
    default:
      return WPI_STORE_ERROR_FAILED;
    }
}

gboolean
_wpi_store_set_sqlite_error (sqlite3     *db,
                             int          rc,
                             GError     **error,
                             const char  *what)
{
  const char *detail = db != NULL && sqlite3_errcode (db) == rc ? sqlite3_errmsg (db)
                                                                : sqlite3_errstr (rc);

  g_set_error (error, WPI_STORE_ERROR, _wpi_store_error_code (rc), "%s: %s", what, detail);
  return FALSE;
}

CachedStmt *
_wpi_store_prepare (WpiStore    *self,
                    const char  *sql,
                    GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->statements, sql);
  int rc;

  if (stmt != NULL)
    return stmt;

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot prepare a store query");
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

/* Runs a statement that returns no rows. */
gboolean
_wpi_store_run (WpiStore    *self,
                CachedStmt  *stmt,
                const char  *what,
                GError     **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return _wpi_store_set_sqlite_error (self->db, rc, error, what);
  return TRUE;
}

gboolean
_wpi_store_run_sql (WpiStore    *self,
                    const char  *sql,
                    GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, sql, error);

  return stmt != NULL && _wpi_store_run (self, stmt, sql, error);
}

void
_wpi_store_bind_text (sqlite3_stmt *stmt,
                      int           column,
                      const char   *text)
{
  /* SQLITE_STATIC: the statement is reset before the string's owner can free it */
  if (text == NULL)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_text (stmt, column, text, -1, SQLITE_STATIC);
}

void
_wpi_store_bind_int64_or_null (sqlite3_stmt *stmt,
                               int           column,
                               gint64        value,
                               gint64        null_value)
{
  if (value == null_value)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_int64 (stmt, column, value);
}

char *
_wpi_store_column_strdup (sqlite3_stmt *stmt,
                          int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Runs a one-row UPDATE/DELETE; finding no row is a NOT_FOUND error saying missing. */
gboolean
_wpi_store_run_keyed_change (WpiStore    *self,
                             CachedStmt  *stmt,
                             const char  *what,
                             const char  *missing,
                             GError     **error)
{
  if (!_wpi_store_run (self, stmt, what, error))
    return FALSE;
  if (sqlite3_changes (self->db) > 0)
    return TRUE;
  g_set_error_literal (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND, missing);
  return FALSE;
}

/* ---- stepping ---- */

gboolean
_wpi_store_step (WpiStore    *self,
                 CachedStmt  *stmt,
                 gboolean    *has_row,
                 const char  *what,
                 GError     **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return _wpi_store_set_sqlite_error (self->db, rc, error, what);
  *has_row = rc == SQLITE_ROW;
  return TRUE;
}

gboolean
_wpi_store_step_one (WpiStore    *self,
                     CachedStmt  *stmt,
                     const char  *what,
                     GError     **error,
                     const char  *missing_format,
                     ...)
{
  gboolean has_row = FALSE;
  va_list args;

  if (!_wpi_store_step (self, stmt, &has_row, what, error) || has_row)
    return has_row;
  va_start (args, missing_format);
  g_propagate_error (error, g_error_new_valist (WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND,
                                                missing_format, args));
  va_end (args);
  return FALSE;
}

gboolean
_wpi_store_get_int64 (WpiStore    *self,
                      const char  *sql,
                      gint64      *value,
                      gint64       if_none,
                      const char  *what,
                      GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, sql, error);
  gboolean has_row = FALSE;

  if (stmt == NULL || !_wpi_store_step (self, stmt, &has_row, what, error))
    return FALSE;
  *value = has_row ? sqlite3_column_int64 (stmt, 0) : if_none;
  return TRUE;
}

gboolean
_wpi_store_run_with_key (WpiStore    *self,
                         const char  *sql,
                         const char  *key,
                         const char  *what,
                         GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  if (key != NULL)
    _wpi_store_bind_text (stmt, 1, key);
  return _wpi_store_run (self, stmt, what, error);
}

CachedStmt *
_wpi_store_prepare_with_mac (WpiStore     *self,
                             const char   *sql,
                             const char   *mac,
                             char        **normal,
                             GError      **error)
{
  CachedStmt *stmt;

  *normal = _wpi_store_normalize_mac (mac, error);
  if (*normal == NULL)
    return NULL;
  stmt = _wpi_store_prepare (self, sql, error);
  if (stmt != NULL)
    _wpi_store_bind_text (stmt, 1, *normal);
  return stmt;
}

gboolean
_wpi_store_row_exists (WpiStore    *self,
                       const char  *sql,
                       const char  *key,
                       gboolean    *exists,
                       const char  *what,
                       GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, sql, error);

  if (stmt == NULL)
    return FALSE;
  _wpi_store_bind_text (stmt, 1, key);
  return _wpi_store_step (self, stmt, exists, what, error);
}

GPtrArray *
_wpi_store_collect (WpiStore         *self,
                    CachedStmt       *stmt,
                    WpiStoreRowFunc   from_row,
                    GDestroyNotify    free_row,
                    const char       *what,
                    GError          **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_row);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wpi_store_set_sqlite_error (self->db, rc, error, what);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

gboolean
_wpi_store_collect_items (WpiStore             *self,
                          CachedStmt           *stmt,
                          WpiStoreItemRowFunc   from_row,
                          GArray              **items,
                          const char           *what,
                          GError              **error)
{
  g_autoptr(GArray) rows = wpi_store_item_array_new ();
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_array_set_size (rows, rows->len + 1);
      from_row (&g_array_index (rows, WpiStoreItem, rows->len - 1), stmt);
    }
  if (rc != SQLITE_DONE)
    return _wpi_store_set_sqlite_error (self->db, rc, error, what);
  g_clear_pointer (items, g_array_unref);
  *items = g_steal_pointer (&rows);
  return TRUE;
}

gboolean
_wpi_store_insert_items (WpiStore            *self,
                         CachedStmt          *stmt,
                         const WpiStoreItem  *items,
                         gsize                n_items,
                         int                  pos_param,
                         int                  name_param,
                         const char          *what,
                         GError             **error)
{
  for (gsize i = 0; i < n_items; i++)
    {
      if (pos_param > 0)
        sqlite3_bind_int64 (stmt, pos_param, (gint64) i);
      _wpi_store_bind_text (stmt, name_param, items[i].name);
      sqlite3_bind_int64 (stmt, name_param + 1, _wpi_store_item_idx (&items[i]));
      _wpi_store_bind_text (stmt, name_param + 2, items[i].value);
      if (!_wpi_store_run (self, stmt, what, error))
        return FALSE;
      /* reset only: the caller's bindings hold for every row */
      sqlite3_reset (stmt);
    }
  return TRUE;
}

/* ---- state machines ---- */

gboolean
_wpi_store_read_state (WpiStore                    *self,
                       const WpiStoreStateMachine  *machine,
                       gint64                       id,
                       int                         *state,
                       GError                     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, machine->read_sql, error);
  g_autofree char *what = NULL;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  what = g_strdup_printf ("Cannot read a %s", machine->noun);
  if (!_wpi_store_step_one (self, stmt, what, error, "No %s %" G_GINT64_FORMAT, machine->noun, id))
    return FALSE;
  *state = _wpi_store_column_enum (stmt, 0, machine->names, machine->n_names, machine->fallback);
  return TRUE;
}

static gboolean
set_state_in_transaction (WpiStore                    *self,
                          const WpiStoreStateMachine  *machine,
                          gint64                       id,
                          int                          state,
                          const char                  *reason,
                          GError                     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  g_autofree char *what = NULL;
  int current;

  if (!_wpi_store_read_state (self, machine, id, &current, error))
    return FALSE;
  switch (machine->check_move (id, current, state, error))
    {
    case WPI_STORE_MOVE_REFUSE:
      return FALSE;
    case WPI_STORE_MOVE_KEEP:
      return TRUE;
    case WPI_STORE_MOVE_WRITE:
    default:
      break;
    }

  stmt = _wpi_store_prepare (self, machine->update_sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  _wpi_store_bind_text (stmt, 2, machine->names[state]);
  _wpi_store_bind_text (stmt, 3, reason);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  what = g_strdup_printf ("Cannot store a %s's state", machine->noun);
  return _wpi_store_run (self, stmt, what, error);
}

gboolean
_wpi_store_set_state (WpiStore                    *self,
                      const WpiStoreStateMachine  *machine,
                      gint64                       id,
                      int                          state,
                      const char                  *reason,
                      GError                     **error)
{
  if ((guint) state >= machine->n_names)
    return _wpi_store_invalid (error, "Invalid %s state %d", machine->noun, state);
  if (state == machine->failed && (reason == NULL || reason[0] == '\0'))
    return _wpi_store_invalid (error, "A failed %s needs a reason", machine->noun);
  if (reason != NULL && !g_utf8_validate (reason, -1, NULL))
    return _wpi_store_invalid (error, "The reason is not valid UTF-8");

  STORE_WRITE (self, error, set_state_in_transaction (self, machine, id, state, reason, error));
}
