/* wpi-store-private.h: what the parts of WpiStore share (wpi-store.c and wpi-store-*.c)
 *
 * wpi-store.c holds the core: opening and migrating, transactions, the change watch,
 * settings, and the SQLite plumbing below. Each wpi-store-<subject>.c holds the public
 * functions of one subject with its boxed record.
 */
#pragma once

#include <sqlite3.h>

#include "wpi-store.h"

G_BEGIN_DECLS

#define PENDING_STATES "('queued', 'contacting', 'in-progress', 'waiting-busy')"

struct _WpiStore {
  GObject     parent_instance;

  char       *data_dir;
  char       *path;
  sqlite3    *db;
  /* SQL text -> prepared statement, keyed by the address of the text: every query is
   * a string literal, so this avoids hashing a few hundred bytes per call */
  GHashTable *statements;
  guint       depth;        /* open transaction levels, the outermost first */
  int         schema_version;
  gint64      data_version; /* last PRAGMA data_version seen */
  GSource    *watch_source;
};

/* The strings stored for each enumeration, indexed by value (see wpi-store.h). */
extern const char *const _wpi_store_phone_mode_names[WPI_PHONE_MODE_SECURE + 1];
extern const char *const _wpi_store_phone_state_names[WPI_PHONE_STATE_UNREACHABLE + 1];
extern const char *const _wpi_store_job_kind_names[WPI_JOB_KIND_BOOTSTRAP + 1];
extern const char *const _wpi_store_job_state_names[WPI_JOB_STATE_CANCELLED + 1];
extern const char *const _wpi_store_pin_state_names[WPI_PIN_STATE_REISSUED + 1];
extern const char *const _wpi_store_direction_names[WPI_TRAFFIC_DIRECTION_OUT + 1];

/* A statement from the cache, reset and unbound when it goes out of scope. */
typedef sqlite3_stmt CachedStmt;

static inline void
cached_stmt_release (CachedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CachedStmt, cached_stmt_release)

/* SQLite plumbing */
gboolean    _wpi_store_set_sqlite_error  (sqlite3             *db,
                                          int                  rc,
                                          GError             **error,
                                          const char          *what);
CachedStmt *_wpi_store_prepare           (WpiStore            *self,
                                          const char          *sql,
                                          GError             **error);
gboolean    _wpi_store_run               (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          const char          *what,
                                          GError             **error);
gboolean    _wpi_store_run_sql           (WpiStore            *self,
                                          const char          *sql,
                                          GError             **error);
gboolean    _wpi_store_run_keyed_change  (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          const char          *what,
                                          const char          *missing,
                                          GError             **error);
void        _wpi_store_bind_text         (sqlite3_stmt        *stmt,
                                          int                  column,
                                          const char          *text);
void        _wpi_store_bind_int64_or_null (sqlite3_stmt       *stmt,
                                          int                  column,
                                          gint64               value,
                                          gint64               null_value);
char       *_wpi_store_column_strdup     (sqlite3_stmt        *stmt,
                                          int                  column);
int         _wpi_store_column_enum       (sqlite3_stmt        *stmt,
                                          int                  column,
                                          const char *const   *names,
                                          guint                n_names,
                                          int                  fallback);

/* Transactions */
gboolean    _wpi_store_begin             (WpiStore            *self,
                                          gboolean             write,
                                          GError             **error);
gboolean    _wpi_store_commit            (WpiStore            *self,
                                          GError             **error);
void        _wpi_store_rollback          (WpiStore            *self);

/* The common shape of a write: run body in a transaction (a savepoint when nested), so
 * that a failure leaves nothing behind. */
#define STORE_WRITE(self, error, body)                \
  G_STMT_START {                                      \
    if (!_wpi_store_begin ((self), TRUE, (error)))    \
      return FALSE;                                   \
    if (!(body))                                      \
      {                                               \
        _wpi_store_rollback (self);                   \
        return FALSE;                                 \
      }                                               \
    return _wpi_store_commit ((self), (error));       \
  } G_STMT_END

/* Validation: invalid() and not_found() set the error and return FALSE. */
char       *_wpi_store_normalize_mac     (const char          *mac,
                                          GError             **error);
gboolean    _wpi_store_invalid           (GError             **error,
                                          const char          *format,
                                          ...) G_GNUC_PRINTF (2, 3);
gboolean    _wpi_store_not_found         (GError             **error,
                                          const char          *format,
                                          ...) G_GNUC_PRINTF (2, 3);
gboolean    _wpi_store_validate_items    (const WpiStoreItem  *items,
                                          gsize                n_items,
                                          gboolean             need_values,
                                          gboolean             unique,
                                          GError             **error);

/* Items */
gint64      _wpi_store_item_idx          (const WpiStoreItem  *item);
GArray     *_wpi_store_item_array_copy   (const GArray        *items);
void        _wpi_store_item_from_row     (WpiStoreItem        *item,
                                          sqlite3_stmt        *stmt,
                                          int                  name_column,
                                          int                  idx_column,
                                          int                  value_column);

/* Checks the parts make of each other, inside the caller's transaction */
gboolean    _wpi_store_require_phone     (WpiStore            *self,
                                          const char          *mac,
                                          GError             **error);
gboolean    _wpi_store_require_profile   (WpiStore            *self,
                                          const char          *name,
                                          GError             **error);
gboolean    _wpi_store_job_read_state    (WpiStore            *self,
                                          gint64               job_id,
                                          WpiJobState         *state,
                                          GError             **error);

G_END_DECLS
