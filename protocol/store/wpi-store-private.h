/* wpi-store-private.h: what the parts of WpiStore share (wpi-store.c and wpi-store-*.c)
 *
 * wpi-store.c holds the core: opening and migrating, transactions, the change watch,
 * settings, enumerations, items and validation; wpi-store-sql.c the SQLite plumbing
 * and the state-transition helper. Each wpi-store-<subject>.c holds the public
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
  gboolean    single_thread; /* one thread for life: SQLite takes no lock per call */
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
extern const char *const _wpi_store_job_state_names[WPI_JOB_STATE_DONE_WITH_PROBLEMS + 1];
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

/* SQLite plumbing (wpi-store-sql.c). Every helper that fails sets an error in
 * WPI_STORE_ERROR (the SQLite error mapped by _wpi_store_error_code(), with `what`
 * before SQLite's message) and returns FALSE or NULL. */
int         _wpi_store_error_code        (int                  rc);
gboolean    _wpi_store_set_sqlite_error  (sqlite3             *db,
                                          int                  rc,
                                          GError             **error,
                                          const char          *what);
/* The cached statement for sql, which must be a string literal (the cache is keyed by
 * its address); a g_autoptr(CachedStmt) resets it after use. */
CachedStmt *_wpi_store_prepare           (WpiStore            *self,
                                          const char          *sql,
                                          GError             **error);
/* Runs a statement to its end, or to its first row, which is ignored. */
gboolean    _wpi_store_run               (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          const char          *what,
                                          GError             **error);
gboolean    _wpi_store_run_sql           (WpiStore            *self,
                                          const char          *sql,
                                          GError             **error);
/* _wpi_store_run() of a one-row UPDATE/DELETE; no row changed is NOT_FOUND (missing). */
gboolean    _wpi_store_run_keyed_change  (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          const char          *what,
                                          const char          *missing,
                                          GError             **error);
/* One step: *has_row tells whether the statement gave a row. */
gboolean    _wpi_store_step              (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          gboolean            *has_row,
                                          const char          *what,
                                          GError             **error);
/* One step that must give a row: none is NOT_FOUND with the message missing_format. */
gboolean    _wpi_store_step_one          (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          const char          *what,
                                          GError             **error,
                                          const char          *missing_format,
                                          ...) G_GNUC_PRINTF (5, 6);
/* The first column of the first row of sql (a literal, without parameters), or
 * if_none when it gives no row. */
gboolean    _wpi_store_get_int64         (WpiStore            *self,
                                          const char          *sql,
                                          gint64              *value,
                                          gint64               if_none,
                                          const char          *what,
                                          GError             **error);
/* Prepares sql (a literal), binds key to ?1 unless it is NULL, and runs it. */
gboolean    _wpi_store_run_with_key      (WpiStore            *self,
                                          const char          *sql,
                                          const char          *key,
                                          const char          *what,
                                          GError             **error);
/* Normalises mac into *normal and prepares sql (a literal) with it bound to ?1. */
CachedStmt *_wpi_store_prepare_with_mac  (WpiStore            *self,
                                          const char          *sql,
                                          const char          *mac,
                                          char               **normal,
                                          GError             **error);
/* Whether sql (a literal), with key bound to ?1, gives a row. */
gboolean    _wpi_store_row_exists        (WpiStore            *self,
                                          const char          *sql,
                                          const char          *key,
                                          gboolean            *exists,
                                          const char          *what,
                                          GError             **error);

typedef gpointer (*WpiStoreRowFunc)     (sqlite3_stmt *stmt);
typedef void     (*WpiStoreItemRowFunc) (WpiStoreItem *item,
                                         sqlite3_stmt *stmt);
/* Every row of stmt made by from_row, in an array that frees them with free_row. */
GPtrArray  *_wpi_store_collect           (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          WpiStoreRowFunc      from_row,
                                          GDestroyNotify       free_row,
                                          const char          *what,
                                          GError             **error);
/* Every row of stmt made by from_row, in a wpi_store_item_array_new() that replaces
 * *items (unless there is an error). */
gboolean    _wpi_store_collect_items     (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          WpiStoreItemRowFunc  from_row,
                                          GArray             **items,
                                          const char          *what,
                                          GError             **error);
/* Runs stmt once per item, with the item's name, index (-1: none) and value bound to
 * ?name_param and the two after it and, unless pos_param is 0, its position to
 * ?pos_param; the caller binds the parameters that stay the same. */
gboolean    _wpi_store_insert_items      (WpiStore            *self,
                                          CachedStmt          *stmt,
                                          const WpiStoreItem  *items,
                                          gsize                n_items,
                                          int                  pos_param,
                                          int                  name_param,
                                          const char          *what,
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
/* A column the CHECK constraints limit to names; fallback if someone edited the file. */
int         _wpi_store_column_enum       (sqlite3_stmt        *stmt,
                                          int                  column,
                                          const char *const   *names,
                                          guint                n_names,
                                          int                  fallback);
#define STORE_COLUMN_ENUM(stmt, column, names, fallback) \
  _wpi_store_column_enum ((stmt), (column), (names), G_N_ELEMENTS (names), (fallback))

/* State machines: a row's state column and the moves allowed between its values (jobs
 * and PINs). */
typedef enum {
  WPI_STORE_MOVE_WRITE,  /* allowed: store the new state */
  WPI_STORE_MOVE_KEEP,   /* accepted, but the current state stays */
  WPI_STORE_MOVE_REFUSE, /* not allowed: the error is set */
} WpiStoreMove;

typedef struct {
  const char        *noun;       /* "job", "PIN": in the messages */
  const char        *read_sql;   /* ?1: id; gives the state */
  const char        *update_sql; /* ?1: id, ?2: state, ?3: reason, ?4: now */
  const char *const *names;
  guint              n_names;
  int                fallback;   /* for a state column with an unknown name */
  int                failed;     /* the state that needs a reason */
  WpiStoreMove     (*check_move) (gint64    id,
                                  int       current,
                                  int       next,
                                  GError  **error);
} WpiStoreStateMachine;

gboolean    _wpi_store_read_state        (WpiStore                    *self,
                                          const WpiStoreStateMachine  *machine,
                                          gint64                       id,
                                          int                         *state,
                                          GError                     **error);
/* Validates the state and reason, then moves the row as check_move() decides, in one
 * transaction; the reason (may be NULL) replaces the previous one. */
gboolean    _wpi_store_set_state         (WpiStore                    *self,
                                          const WpiStoreStateMachine  *machine,
                                          gint64                       id,
                                          int                          state,
                                          const char                  *reason,
                                          GError                     **error);

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

/* Validation: _wpi_store_fail() and its shorthands set the error and return FALSE. */
char       *_wpi_store_normalize_mac     (const char          *mac,
                                          GError             **error);
gboolean    _wpi_store_fail              (GError             **error,
                                          WpiStoreError        code,
                                          const char          *format,
                                          ...) G_GNUC_PRINTF (3, 4);
#define _wpi_store_invalid(error, ...) \
  _wpi_store_fail ((error), WPI_STORE_ERROR_INVALID, __VA_ARGS__)
#define _wpi_store_not_found(error, ...) \
  _wpi_store_fail ((error), WPI_STORE_ERROR_NOT_FOUND, __VA_ARGS__)
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
