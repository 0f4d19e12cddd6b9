/* wpi-store.c: the durable state of the provisioning service (SQLite): opening and
 * migrating, transactions, the change watch, settings and the shared SQLite plumbing.
 * The subjects are in wpi-store-{phones,jobs,profiles,traffic,pins}.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wpi-store-private.h"

#define JOURNAL_SIZE_LIMIT      (64 * 1024 * 1024)

/* Migration N brings the schema from version N to N + 1. Applied in order, all in one
 * transaction with the version bump, so a store is never half-migrated. Never edit a
 * released migration: append a new one. */
static const char *const migrations[] = {
  /* 0 -> 1 */
  "CREATE TABLE settings ("
  "  key   TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),"
  "  value TEXT NOT NULL"
  ") WITHOUT ROWID;"

  "CREATE TABLE profiles ("
  "  name       TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),"
  "  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),"
  "  created_us INTEGER NOT NULL,"
  "  updated_us INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE UNIQUE INDEX profiles_one_default ON profiles (is_default) WHERE is_default = 1;"

  /* idx -1 stands for "no index": NULLs would be distinct in the primary key */
  "CREATE TABLE profile_items ("
  "  profile TEXT NOT NULL REFERENCES profiles (name) ON DELETE CASCADE ON UPDATE CASCADE,"
  "  pos     INTEGER NOT NULL,"
  "  name    TEXT NOT NULL CHECK (name <> ''),"
  "  idx     INTEGER NOT NULL DEFAULT -1 CHECK (idx >= -1),"
  "  value   TEXT NOT NULL,"
  "  PRIMARY KEY (profile, pos),"
  "  UNIQUE (profile, name, idx)"
  ") WITHOUT ROWID;"

  "CREATE TABLE phones ("
  "  mac             TEXT PRIMARY KEY NOT NULL CHECK (mac GLOB"
  "    '[0-9A-F][0-9A-F]:[0-9A-F][0-9A-F]:[0-9A-F][0-9A-F]:[0-9A-F][0-9A-F]:[0-9A-F][0-9A-F]:[0-9A-F][0-9A-F]'),"
  "  e164            TEXT,"
  "  device_type     TEXT,"
  "  firmware        TEXT,"
  "  ip              TEXT,"
  "  contact_me_uri  TEXT,"
  "  mode            TEXT NOT NULL DEFAULT 'default' CHECK (mode IN ('default', 'secure')),"
  "  state           TEXT NOT NULL DEFAULT 'unknown'"
  "                  CHECK (state IN ('unknown', 'idle', 'busy', 'in-session', 'unreachable')),"
  "  last_contact_us INTEGER,"
  "  location        TEXT,"
  "  profile         TEXT REFERENCES profiles (name) ON DELETE SET NULL ON UPDATE CASCADE,"
  "  created_us      INTEGER NOT NULL,"
  "  updated_us      INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX phones_by_profile ON phones (profile) WHERE profile IS NOT NULL;"

  "CREATE TABLE phone_items ("
  "  mac        TEXT NOT NULL REFERENCES phones (mac) ON DELETE CASCADE,"
  "  name       TEXT NOT NULL CHECK (name <> ''),"
  "  idx        INTEGER NOT NULL DEFAULT -1 CHECK (idx >= -1),"
  "  value      TEXT NOT NULL,"
  "  updated_us INTEGER NOT NULL,"
  "  traffic_id INTEGER,"
  "  PRIMARY KEY (mac, name, idx)"
  ") WITHOUT ROWID;"

  /* AUTOINCREMENT: a job id named by wpictl or a log line is never reused */
  "CREATE TABLE jobs ("
  "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  mac             TEXT NOT NULL REFERENCES phones (mac) ON DELETE CASCADE,"
  "  kind            TEXT NOT NULL CHECK (kind IN ('read-all', 'read-items', 'write-items',"
  "                    'restart', 'factory-reset', 'file-deployment', 'software-deployment',"
  "                    'apply-profile', 'bootstrap')),"
  "  parameter       TEXT,"
  "  state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'contacting',"
  "                    'in-progress', 'waiting-busy', 'done', 'failed', 'cancelled')),"
  "  failure_reason  TEXT,"
  "  created_us      INTEGER NOT NULL,"
  "  updated_us      INTEGER NOT NULL,"
  "  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
  "  next_attempt_us INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX jobs_by_phone ON jobs (mac, id);"
  "CREATE INDEX jobs_pending ON jobs (mac, id) WHERE state IN " PENDING_STATES ";"

  "CREATE TABLE job_items ("
  "  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,"
  "  pos    INTEGER NOT NULL,"
  "  name   TEXT NOT NULL CHECK (name <> ''),"
  "  idx    INTEGER NOT NULL DEFAULT -1 CHECK (idx >= -1),"
  "  value  TEXT,"
  "  status TEXT,"
  "  PRIMARY KEY (job_id, pos),"
  "  UNIQUE (job_id, name, idx)"
  ") WITHOUT ROWID;"

  "CREATE TABLE pins ("
  "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  mac         TEXT NOT NULL REFERENCES phones (mac) ON DELETE CASCADE,"
  "  pin         TEXT NOT NULL CHECK (length (pin) BETWEEN 8 AND 20 AND pin NOT GLOB '*[^0-9]*'),"
  "  state       TEXT NOT NULL DEFAULT 'generated' CHECK (state IN ('generated', 'handed-out',"
  "                'bundle-delivered', 'verified', 'failed', 're-issued')),"
  "  reason      TEXT,"
  "  max_retries INTEGER NOT NULL CHECK (max_retries >= 0),"
  "  job_id      INTEGER REFERENCES jobs (id) ON DELETE SET NULL,"
  "  created_us  INTEGER NOT NULL,"
  "  updated_us  INTEGER NOT NULL"
  ");"
  "CREATE INDEX pins_by_phone ON pins (mac, id);"
  "CREATE INDEX pins_by_job ON pins (job_id) WHERE job_id IS NOT NULL;"

  /* No foreign key on mac: the log keeps messages of phones never registered or since
   * deleted. The raw bytes live in traffic_raw under the same id, so that the summary
   * rows the inspector scrolls through stay small and dense (about 20 to a page). */
  "CREATE TABLE traffic ("
  "  id         INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time_us    INTEGER NOT NULL,"
  "  direction  TEXT NOT NULL CHECK (direction IN ('in', 'out')),"
  "  port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),"
  "  mode       TEXT NOT NULL CHECK (mode IN ('default', 'secure')),"
  "  peer       TEXT,"
  "  mac        TEXT,"
  "  flow_id    TEXT,"
  "  root       TEXT,"
  "  nonce      TEXT,"
  "  reason     TEXT,"
  "  action     TEXT,"
  "  status     TEXT,"
  "  fragment   TEXT,"
  "  item_count INTEGER,"
  "  size       INTEGER NOT NULL CHECK (size >= 0),"
  "  error_code INTEGER,"
  "  error_text TEXT"
  ");"
  /* always written and deleted together with its traffic row, by id range */
  "CREATE TABLE traffic_raw ("
  "  id      INTEGER PRIMARY KEY,"
  "  headers BLOB,"
  "  body    BLOB"
  ");"
  "CREATE INDEX traffic_by_mac ON traffic (mac, id) WHERE mac IS NOT NULL;"
  "CREATE INDEX traffic_by_flow ON traffic (flow_id, id) WHERE flow_id IS NOT NULL;"

  "CREATE TABLE security_events ("
  "  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time_us INTEGER NOT NULL,"
  "  peer    TEXT,"
  "  mac     TEXT,"
  "  kind    TEXT NOT NULL CHECK (kind <> ''),"
  "  detail  TEXT"
  ");",

  /* 1 -> 2: the job state done-with-problems (issue 9 §3). A CHECK cannot be altered:
   * the table is built anew (sqlite.org/lang_altertable.html, "other kinds of table
   * schema changes"; foreign keys are off while migrations run), keeping its ids and
   * its AUTOINCREMENT sequence. And the phones' events (mobility logon and logoff). */
  "CREATE TABLE jobs_new ("
  "  id              INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  mac             TEXT NOT NULL REFERENCES phones (mac) ON DELETE CASCADE,"
  "  kind            TEXT NOT NULL CHECK (kind IN ('read-all', 'read-items', 'write-items',"
  "                    'restart', 'factory-reset', 'file-deployment', 'software-deployment',"
  "                    'apply-profile', 'bootstrap')),"
  "  parameter       TEXT,"
  "  state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'contacting',"
  "                    'in-progress', 'waiting-busy', 'done', 'failed', 'cancelled',"
  "                    'done-with-problems')),"
  "  failure_reason  TEXT,"
  "  created_us      INTEGER NOT NULL,"
  "  updated_us      INTEGER NOT NULL,"
  "  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),"
  "  next_attempt_us INTEGER NOT NULL DEFAULT 0"
  ");"
  "INSERT INTO jobs_new SELECT id, mac, kind, parameter, state, failure_reason, created_us,"
  "  updated_us, attempts, next_attempt_us FROM jobs;"
  "DELETE FROM sqlite_sequence WHERE name = 'jobs_new';"
  "INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs_new', seq FROM sqlite_sequence"
  "  WHERE name = 'jobs';"
  "DROP TABLE jobs;"
  "ALTER TABLE jobs_new RENAME TO jobs;"
  "CREATE INDEX jobs_by_phone ON jobs (mac, id);"
  "CREATE INDEX jobs_pending ON jobs (mac, id) WHERE state IN " PENDING_STATES ";"

  "CREATE TABLE phone_events ("
  "  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  mac     TEXT NOT NULL REFERENCES phones (mac) ON DELETE CASCADE,"
  "  time_us INTEGER NOT NULL,"
  "  kind    TEXT NOT NULL CHECK (kind <> ''),"
  "  user    TEXT,"
  "  detail  TEXT"
  ");"
  "CREATE INDEX phone_events_by_phone ON phone_events (mac, id);",

  /* 2 -> 3 (D28): the item index of each message, so that item filters need no decoding
   * (NULL for the messages logged before it: those are decoded). And the flow of the
   * phone's messages, which was not logged: the console's answer to a message came on
   * the same connection's next message to the phone, with the same nonce (D2). */
  "ALTER TABLE traffic ADD COLUMN items BLOB;"
  "UPDATE traffic SET flow_id = ("
  "  SELECT CASE WHEN answer.nonce IS traffic.nonce AND answer.peer IS traffic.peer THEN answer.flow_id END FROM traffic AS answer"
  "  WHERE answer.mac = traffic.mac AND answer.id > traffic.id AND answer.direction = 'out'"
  "  ORDER BY answer.mac, answer.id LIMIT 1)"
  "WHERE direction = 'in' AND flow_id IS NULL AND mac IS NOT NULL AND error_text IS NULL;",
  /* 3 -> 4: phone lists imported ahead of the phones (issue 14 §1, D24). The number,
   * location and profile go to the phone itself; the items wait here, pending until
   * the service has made them the phone's first-contact job. Values are kept as a
   * profile's are (secrets among them, as in profile_items and job_items). */
  "CREATE TABLE phone_imports ("
  "  mac         TEXT PRIMARY KEY NOT NULL REFERENCES phones (mac) ON DELETE CASCADE,"
  "  pending     INTEGER NOT NULL DEFAULT 1 CHECK (pending IN (0, 1)),"
  "  created_us  INTEGER NOT NULL,"
  "  updated_us  INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE phone_import_items ("
  "  mac   TEXT NOT NULL REFERENCES phone_imports (mac) ON DELETE CASCADE,"
  "  name  TEXT NOT NULL CHECK (name <> ''),"
  "  idx   INTEGER NOT NULL DEFAULT -1 CHECK (idx >= -1),"
  "  value TEXT NOT NULL,"
  "  PRIMARY KEY (mac, name, idx)"
  ") WITHOUT ROWID;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == WPI_STORE_SCHEMA_VERSION);

static void wpi_store_initable_iface_init (GInitableIface *iface);

G_DEFINE_TYPE_WITH_CODE (WpiStore, wpi_store, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, wpi_store_initable_iface_init))

enum {
  PROP_0,
  PROP_DATA_DIR,
  PROP_SINGLE_THREAD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  EXTERNAL_CHANGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_QUARK (wpi-store-error-quark, wpi_store_error)

/* ---- enumerations ---- */

const char *const _wpi_store_phone_mode_names[] = { "default", "secure" };
const char *const _wpi_store_phone_state_names[] = {
  "unknown", "idle", "busy", "in-session", "unreachable",
};
const char *const _wpi_store_job_kind_names[] = {
  "read-all", "read-items", "write-items", "restart", "factory-reset",
  "file-deployment", "software-deployment", "apply-profile", "bootstrap",
};
const char *const _wpi_store_job_state_names[] = {
  "queued", "contacting", "in-progress", "waiting-busy", "done", "failed", "cancelled",
  "done-with-problems",
};
const char *const _wpi_store_pin_state_names[] = {
  "generated", "handed-out", "bundle-delivered", "verified", "failed", "re-issued",
};
const char *const _wpi_store_direction_names[] = { "in", "out" };

G_STATIC_ASSERT (G_N_ELEMENTS (_wpi_store_phone_mode_names) == WPI_PHONE_MODE_SECURE + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (_wpi_store_phone_state_names) == WPI_PHONE_STATE_UNREACHABLE + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (_wpi_store_job_kind_names) == WPI_JOB_KIND_BOOTSTRAP + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (_wpi_store_job_state_names) == WPI_JOB_STATE_DONE_WITH_PROBLEMS + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (_wpi_store_pin_state_names) == WPI_PIN_STATE_REISSUED + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (_wpi_store_direction_names) == WPI_TRAFFIC_DIRECTION_OUT + 1);

static const char *
enum_to_string (const char *const *names,
                guint              n_names,
                int                value)
{
  /* (guint) folds negative values into the out-of-range check */
  return (guint) value < n_names ? names[value] : NULL;
}

static gboolean
enum_from_string (const char *const *names,
                  guint              n_names,
                  const char        *str,
                  int               *value)
{
  if (str == NULL)
    return FALSE;
  for (guint i = 0; i < n_names; i++)
    {
      if (strcmp (names[i], str) == 0)
        {
          *value = (int) i;
          return TRUE;
        }
    }
  return FALSE;
}

#define DEFINE_ENUM_STRINGS(Type, prefix, names)                              \
  const char *                                                                \
  prefix##_to_string (Type value)                                             \
  {                                                                           \
    return enum_to_string (names, G_N_ELEMENTS (names), (int) value);         \
  }                                                                           \
  gboolean                                                                    \
  prefix##_from_string (const char *str,                                      \
                        Type       *value)                                    \
  {                                                                           \
    int v;                                                                    \
    if (!enum_from_string (names, G_N_ELEMENTS (names), str, &v))             \
      return FALSE;                                                           \
    *value = (Type) v;                                                        \
    return TRUE;                                                              \
  }

DEFINE_ENUM_STRINGS (WpiPhoneMode, wpi_phone_mode, _wpi_store_phone_mode_names)
DEFINE_ENUM_STRINGS (WpiPhoneState, wpi_phone_state, _wpi_store_phone_state_names)
DEFINE_ENUM_STRINGS (WpiJobKind, wpi_job_kind, _wpi_store_job_kind_names)
DEFINE_ENUM_STRINGS (WpiJobState, wpi_job_state, _wpi_store_job_state_names)
DEFINE_ENUM_STRINGS (WpiPinState, wpi_pin_state, _wpi_store_pin_state_names)
DEFINE_ENUM_STRINGS (WpiTrafficDirection, wpi_traffic_direction, _wpi_store_direction_names)

gboolean
wpi_job_state_is_final (WpiJobState state)
{
  return state == WPI_JOB_STATE_DONE ||
         state == WPI_JOB_STATE_FAILED ||
         state == WPI_JOB_STATE_CANCELLED ||
         state == WPI_JOB_STATE_DONE_WITH_PROBLEMS;
}

/* A column the CHECK constraints limit to the names; the fallback is never reached
 * unless someone edits the file by hand. */
int
_wpi_store_column_enum (sqlite3_stmt      *stmt,
                        int                column,
                        const char *const *names,
                        guint              n_names,
                        int                fallback)
{
  int value;

  if (enum_from_string (names, n_names, (const char *) sqlite3_column_text (stmt, column), &value))
    return value;
  return fallback;
}

/* ---- MAC addresses ---- */

/* wpi_mac_normalize() with the store's error domain, as the store's callers expect */
char *
_wpi_store_normalize_mac (const char  *mac,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *normal = wpi_mac_normalize (mac, &local_error);

  if (normal == NULL)
    g_set_error_literal (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID, local_error->message);
  return normal;
}

/* ---- boxed records ---- */

WpiStoreItem *
wpi_store_item_new (const char *name,
                    const char *value)
{
  WpiStoreItem *item = g_new0 (WpiStoreItem, 1);

  item->name = g_strdup (name);
  item->value = g_strdup (value);
  return item;
}

WpiStoreItem *
wpi_store_item_new_indexed (const char *name,
                            gint64      index,
                            const char *value)
{
  WpiStoreItem *item = wpi_store_item_new (name, value);

  item->index = index;
  item->has_index = TRUE;
  return item;
}

static void
store_item_copy_into (WpiStoreItem       *dest,
                      const WpiStoreItem *src)
{
  *dest = *src;
  dest->name = g_strdup (src->name);
  dest->value = g_strdup (src->value);
  dest->status = g_strdup (src->status);
}

WpiStoreItem *
wpi_store_item_copy (const WpiStoreItem *item)
{
  WpiStoreItem *copy = g_new0 (WpiStoreItem, 1);

  store_item_copy_into (copy, item);
  return copy;
}

void
wpi_store_item_clear (WpiStoreItem *item)
{
  g_clear_pointer (&item->name, g_free);
  g_clear_pointer (&item->value, g_free);
  g_clear_pointer (&item->status, g_free);
}

void
wpi_store_item_free (WpiStoreItem *item)
{
  if (item == NULL)
    return;
  wpi_store_item_clear (item);
  g_free (item);
}

G_DEFINE_BOXED_TYPE (WpiStoreItem, wpi_store_item, wpi_store_item_copy, wpi_store_item_free)

GArray *
wpi_store_item_array_new (void)
{
  GArray *items = g_array_new (FALSE, TRUE, sizeof (WpiStoreItem));

  g_array_set_clear_func (items, (GDestroyNotify) wpi_store_item_clear);
  return items;
}

void
wpi_store_item_array_add (GArray     *items,
                          const char *name,
                          gboolean    has_index,
                          gint64      index,
                          const char *value)
{
  WpiStoreItem item = {
    .name = g_strdup (name),
    .value = g_strdup (value),
    .has_index = has_index,
    .index = has_index ? index : 0,
  };

  g_array_append_val (items, item);
}

GArray *
_wpi_store_item_array_copy (const GArray *items)
{
  GArray *copy;

  if (items == NULL)
    return NULL;
  copy = wpi_store_item_array_new ();
  g_array_set_size (copy, items->len);
  for (guint i = 0; i < items->len; i++)
    store_item_copy_into (&g_array_index (copy, WpiStoreItem, i),
                          &g_array_index (items, WpiStoreItem, i));
  return copy;
}

/* ---- transactions ---- */

gboolean
_wpi_store_begin (WpiStore  *self,
                  gboolean   write,
                  GError   **error)
{
  const char *sql;

  /* SQLite rolled the caller's transaction back on its own (I/O error, disk full):
   * going on would commit the rest without the part that was lost */
  if (self->depth > 0 && sqlite3_get_autocommit (self->db))
    {
      g_set_error_literal (error, WPI_STORE_ERROR, WPI_STORE_ERROR_FAILED,
                           "The store transaction was rolled back after an earlier error");
      return FALSE;
    }

  if (self->depth == 0)
    /* IMMEDIATE takes the write lock up front: a deferred transaction that upgrades
     * later can fail with SQLITE_BUSY without the busy handler ever waiting. */
    sql = write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED";
  else
    sql = "SAVEPOINT wpi_nested";

  if (!_wpi_store_run_sql (self, sql, error))
    return FALSE;
  self->depth++;
  return TRUE;
}

gboolean
_wpi_store_commit (WpiStore  *self,
                   GError   **error)
{
  g_return_val_if_fail (self->depth > 0, FALSE);

  self->depth--;
  /* After some errors (I/O, disk full) SQLite has already rolled the whole transaction
   * back on its own; committing the remains would look like success. */
  if (sqlite3_get_autocommit (self->db))
    {
      g_set_error_literal (error, WPI_STORE_ERROR, WPI_STORE_ERROR_FAILED,
                           "The store transaction was rolled back after an earlier error");
      return FALSE;
    }

  if (self->depth > 0)
    return _wpi_store_run_sql (self, "RELEASE wpi_nested", error);

  if (!_wpi_store_run_sql (self, "COMMIT", error))
    {
      if (!sqlite3_get_autocommit (self->db))
        _wpi_store_run_sql (self, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

void
_wpi_store_rollback (WpiStore *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (self->depth > 0);

  self->depth--;
  if (sqlite3_get_autocommit (self->db))
    return;

  if (self->depth == 0)
    {
      if (!_wpi_store_run_sql (self, "ROLLBACK", &error))
        g_warning ("Cannot roll back a store transaction: %s", error->message);
    }
  else if (!_wpi_store_run_sql (self, "ROLLBACK TO wpi_nested", &error) ||
           !_wpi_store_run_sql (self, "RELEASE wpi_nested", &error))
    {
      g_warning ("Cannot roll back to a store savepoint: %s", error->message);
    }
}

gboolean
wpi_store_transaction_begin (WpiStore  *self,
                             GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  return _wpi_store_begin (self, TRUE, error);
}

gboolean
wpi_store_transaction_commit (WpiStore  *self,
                              GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  return _wpi_store_commit (self, error);
}

void
wpi_store_transaction_rollback (WpiStore *self)
{
  g_return_if_fail (WPI_IS_STORE (self));

  _wpi_store_rollback (self);
}

gboolean
wpi_store_in_transaction (WpiStore *self)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  return self->depth > 0;
}

gboolean
wpi_store_run_in_transaction (WpiStore                *self,
                              WpiStoreTransactionFunc  func,
                              gpointer                 user_data,
                              GError                 **error)
{
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (!_wpi_store_begin (self, TRUE, error))
    return FALSE;
  if (!func (self, user_data, &local_error))
    {
      _wpi_store_rollback (self);
      if (local_error == NULL)
        g_set_error_literal (&local_error, WPI_STORE_ERROR, WPI_STORE_ERROR_FAILED,
                             "The transaction was abandoned");
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return _wpi_store_commit (self, error);
}

/* ---- opening and migrating ---- */

static gboolean
read_pragma_int (WpiStore    *self,
                 const char  *sql,
                 gint64      *value,
                 GError     **error)
{
  return _wpi_store_get_int64 (self, sql, value, 0, sql, error);
}

static gboolean
exec_script (WpiStore    *self,
             const char  *sql,
             const char  *what,
             GError     **error)
{
  char *message = NULL;
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    {
      g_set_error (error, WPI_STORE_ERROR, _wpi_store_error_code (rc), "%s: %s", what,
                   message != NULL ? message : sqlite3_errstr (rc));
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_version (gint64    version,
               GError  **error)
{
  if (version > WPI_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_TOO_NEW,
                   "The store has schema version %" G_GINT64_FORMAT
                   ", newer than this program's %d; use a newer Workpoint Console",
                   version, WPI_STORE_SCHEMA_VERSION);
      return FALSE;
    }
  if (version < 0)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_CORRUPT,
                   "The store has an invalid schema version %" G_GINT64_FORMAT, version);
      return FALSE;
    }
  return TRUE;
}

/* No row may refer to a missing one once the migrations have run. */
static gboolean
check_foreign_keys (WpiStore  *self,
                    GError   **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, "PRAGMA foreign_key_check", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_CORRUPT,
                   "Cannot migrate the store: a row of %s refers to a missing row of %s",
                   (const char *) sqlite3_column_text (stmt, 0),
                   (const char *) sqlite3_column_text (stmt, 2));
      return FALSE;
    }
  return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot migrate the store");
}

static gboolean
store_migrate_locked (WpiStore  *self,
                      GError   **error)
{
  gint64 version;

  if (!_wpi_store_begin (self, TRUE, error))
    return FALSE;
  /* Read again under the write lock: another process may have migrated meanwhile. */
  if (!read_pragma_int (self, "PRAGMA user_version", &version, error) ||
      !check_version (version, error))
    goto fail;

  for (; version < WPI_STORE_SCHEMA_VERSION; version++)
    {
      /* an integer of ours, not input: no injection through this format */
      g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d", (int) version + 1);
      g_autofree char *what = g_strdup_printf ("Cannot migrate the store to schema version %d",
                                               (int) version + 1);

      if (!exec_script (self, migrations[version], what, error) ||
          !exec_script (self, bump, what, error))
        goto fail;
    }
  if (!check_foreign_keys (self, error))
    goto fail;

  return _wpi_store_commit (self, error);

fail:
  _wpi_store_rollback (self);
  return FALSE;
}

static gboolean
store_migrate (WpiStore  *self,
               GError   **error)
{
  gint64 version;

  if (!read_pragma_int (self, "PRAGMA user_version", &version, error) ||
      !check_version (version, error))
    return FALSE;
  if (version == WPI_STORE_SCHEMA_VERSION)
    {
      self->schema_version = version;
      return TRUE;
    }

  /* A migration that rebuilds a table drops the old one, which with foreign keys on
   * would cascade into the rows that refer to it; SQLite ignores this pragma inside a
   * transaction, so it is set around it, and the keys are checked before the commit. */
  if (!exec_script (self, "PRAGMA foreign_keys = OFF", "Cannot migrate the store", error))
    return FALSE;
  if (!store_migrate_locked (self, error))
    {
      exec_script (self, "PRAGMA foreign_keys = ON", "Cannot configure the store", NULL);
      return FALSE;
    }
  if (!exec_script (self, "PRAGMA foreign_keys = ON", "Cannot configure the store", error))
    return FALSE;
  self->schema_version = WPI_STORE_SCHEMA_VERSION;
  return TRUE;
}

/* The database holds PINs: create it 0600 before SQLite does (with the umask's 0644);
 * SQLite gives its -wal and -shm files the mode of the database.
 *
 * A database that exists is never opened here, only its mode checked by name: close() on
 * any descriptor of the file drops every POSIX lock this process holds on it, SQLite's
 * too, and SQLite does not notice (sqlite.org/howtocorrupt.html §2.2). The console opens
 * connections while others stay open; with its shared lock gone, a wpictl closing its
 * connection took itself for the last one, checkpointed and deleted the WAL under the
 * console: lost jobs, then "database disk image is malformed". New files are created under
 * a lock that every opening in this process takes, so no connection can be on the file
 * while its creator's descriptor closes. */
static gboolean
create_private_file (const char  *path,
                     GError     **error)
{
  static GMutex creating;
  struct stat st;
  int saved_errno = 0;
  int fd = -1;

  g_mutex_lock (&creating);
  if (g_lstat (path, &st) == 0)
    {
      if (S_ISREG (st.st_mode) && (st.st_mode & 077) != 0)
        g_chmod (path, st.st_mode & 0700);
    }
  else
    {
      fd = g_open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
      saved_errno = errno;
      if (fd >= 0)
        close (fd);
    }
  g_mutex_unlock (&creating);

  if (fd < 0 && saved_errno != 0 && saved_errno != EEXIST)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_IO, "Cannot open “%s”: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* journal_mode answers with the mode in force: anything but "wal" means the file system
 * cannot do it (no shared memory), and concurrent use would not be safe. */
static gboolean
store_enter_wal_mode (WpiStore  *self,
                      GError   **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, "PRAGMA journal_mode = WAL", error);
  gint64 deadline = g_get_monotonic_time () + WPI_STORE_DEFAULT_BUSY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;
  const char *journal_mode;
  int rc;

  if (stmt == NULL)
    return FALSE;
  /* Switching a new database to WAL needs an exclusive lock, and SQLite answers BUSY
   * without calling the busy handler when another connection is opening it at the
   * same moment (the service and wpictl starting on a new data directory): wait
   * here the way the busy handler would. */
  for (guint attempt = 0;; attempt++)
    {
      rc = sqlite3_step (stmt);
      if ((rc & 0xff) != SQLITE_BUSY || g_get_monotonic_time () > deadline)
        break;
      sqlite3_reset (stmt);
      g_usleep (MIN (1000u << MIN (attempt, 5u), 20000u));
    }
  if (rc != SQLITE_ROW)
    {
      g_autofree char *what = g_strdup_printf ("Cannot open the store “%s”", self->path);

      return _wpi_store_set_sqlite_error (self->db, rc, error, what);
    }
  journal_mode = (const char *) sqlite3_column_text (stmt, 0);
  if (g_strcmp0 (journal_mode, "wal") != 0)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_IO,
                   "The store “%s” cannot use write-ahead logging (journal mode “%s”)",
                   self->path, journal_mode);
      return FALSE;
    }
  return TRUE;
}

static gboolean
wpi_store_initable_init (GInitable     *initable,
                         GCancellable  *cancellable,
                         GError       **error)
{
  WpiStore *self = WPI_STORE (initable);
  g_autofree char *pragmas = NULL;
  int rc;

  if (self->data_dir == NULL || self->data_dir[0] == '\0')
    {
      g_set_error_literal (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID,
                           "No data directory given for the store");
      return FALSE;
    }
  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_IO,
                   "Cannot create the data directory “%s”: %s", self->data_dir,
                   g_strerror (saved_errno));
      return FALSE;
    }

  self->path = g_build_filename (self->data_dir, WPI_STORE_DB_NAME, NULL);
  if (!create_private_file (self->path, error))
    return FALSE;

  rc = sqlite3_open_v2 (self->path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW |
                        SQLITE_OPEN_EXRESCODE | (self->single_thread ? SQLITE_OPEN_NOMUTEX : 0),
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_autofree char *what = g_strdup_printf ("Cannot open the store “%s”", self->path);

      return _wpi_store_set_sqlite_error (self->db, rc, error, what);
    }
  sqlite3_busy_timeout (self->db, WPI_STORE_DEFAULT_BUSY_TIMEOUT_MS);
  if (!store_enter_wal_mode (self, error))
    return FALSE;

  pragmas = g_strdup_printf ("PRAGMA synchronous = FULL;"
                             "PRAGMA foreign_keys = ON;"
                             "PRAGMA trusted_schema = OFF;"
                             "PRAGMA temp_store = MEMORY;"
                             "PRAGMA cache_size = -16384;"
                             "PRAGMA journal_size_limit = %d;",
                             JOURNAL_SIZE_LIMIT);
  if (!exec_script (self, pragmas, "Cannot configure the store", error) ||
      !store_migrate (self, error))
    return FALSE;

  return read_pragma_int (self, "PRAGMA data_version", &self->data_version, error);
}

static void
wpi_store_initable_iface_init (GInitableIface *iface)
{
  iface->init = wpi_store_initable_init;
}

static void
wpi_store_dispose (GObject *object)
{
  WpiStore *self = WPI_STORE (object);

  wpi_store_set_watch_interval (self, 0);

  G_OBJECT_CLASS (wpi_store_parent_class)->dispose (object);
}

static void
wpi_store_finalize (GObject *object)
{
  WpiStore *self = WPI_STORE (object);

  if (self->depth > 0)
    g_critical ("WpiStore finalized inside a transaction; it is rolled back");

  /* statements first: sqlite3_close() refuses while any is alive */
  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->data_dir);
  g_free (self->path);

  G_OBJECT_CLASS (wpi_store_parent_class)->finalize (object);
}

static void
wpi_store_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  WpiStore *self = WPI_STORE (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;
    case PROP_SINGLE_THREAD:
      g_value_set_boolean (value, self->single_thread);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_store_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  WpiStore *self = WPI_STORE (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      g_free (self->data_dir);
      self->data_dir = g_value_dup_string (value);
      break;
    case PROP_SINGLE_THREAD:
      self->single_thread = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_store_class_init (WpiStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wpi_store_dispose;
  object_class->finalize = wpi_store_finalize;
  object_class->get_property = wpi_store_get_property;
  object_class->set_property = wpi_store_set_property;

  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SINGLE_THREAD] =
    g_param_spec_boolean ("single-thread", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WpiStore::external-change:
   *
   * Another connection (another process, or another WpiStore) committed a change.
   * Emitted from the watch (wpi_store_set_watch_interval()).
   */
  signals[EXTERNAL_CHANGE] =
    g_signal_new ("external-change", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
statement_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static void
wpi_store_init (WpiStore *self)
{
  self->statements = g_hash_table_new_full (NULL, NULL, NULL, statement_finalize);
}

WpiStore *
wpi_store_open (const char  *data_dir,
                GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (WPI_TYPE_STORE, NULL, error, "data-dir", data_dir, NULL);
}

WpiStore *
wpi_store_open_single_thread (const char  *data_dir,
                              GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (WPI_TYPE_STORE, NULL, error, "data-dir", data_dir, "single-thread", TRUE, NULL);
}

const char *
wpi_store_get_data_dir (WpiStore *self)
{
  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  return self->data_dir;
}

const char *
wpi_store_get_path (WpiStore *self)
{
  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  return self->path;
}

int
wpi_store_get_schema_version (WpiStore *self)
{
  g_return_val_if_fail (WPI_IS_STORE (self), -1);

  return self->schema_version;
}

void
wpi_store_set_busy_timeout (WpiStore *self,
                            guint     timeout_ms)
{
  g_return_if_fail (WPI_IS_STORE (self));

  sqlite3_busy_timeout (self->db, (int) MIN (timeout_ms, (guint) G_MAXINT));
}

static gboolean
store_damaged (WpiStore    *self,
               GError     **error,
               const char  *format,
               ...) G_GNUC_PRINTF (3, 4);

static gboolean
store_damaged (WpiStore    *self,
               GError     **error,
               const char  *format,
               ...)
{
  g_autofree char *problem = NULL;
  va_list args;

  va_start (args, format);
  problem = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_CORRUPT, "The store “%s” is damaged: %s",
               self->path, problem);
  return FALSE;
}

gboolean
wpi_store_check_integrity (WpiStore  *self,
                           GError   **error)
{
  const char *what = "Cannot check the store";
  gboolean has_row = FALSE;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  {
    g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, "PRAGMA integrity_check", error);
    const char *verdict;

    if (stmt == NULL || !_wpi_store_step (self, stmt, &has_row, what, error))
      return FALSE;
    verdict = has_row ? (const char *) sqlite3_column_text (stmt, 0) : "no verdict";
    if (g_strcmp0 (verdict, "ok") != 0)
      return store_damaged (self, error, "%s", verdict);
  }

  {
    g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, "PRAGMA foreign_key_check", error);

    if (stmt == NULL || !_wpi_store_step (self, stmt, &has_row, what, error))
      return FALSE;
    if (has_row)
      return store_damaged (self, error, "row %" G_GINT64_FORMAT " of “%s” refers to a missing "
                            "row of “%s”", (gint64) sqlite3_column_int64 (stmt, 1),
                            sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 2));
  }

  /* the one link no foreign key guards (see the schema) */
  {
    g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self,
                                                     "SELECT id FROM traffic_raw "
                                                     "WHERE id NOT IN (SELECT id FROM traffic) LIMIT 1",
                                                     error);

    if (stmt == NULL || !_wpi_store_step (self, stmt, &has_row, what, error))
      return FALSE;
    if (has_row)
      return store_damaged (self, error, "raw bytes of traffic message %" G_GINT64_FORMAT
                            " without the message", (gint64) sqlite3_column_int64 (stmt, 0));
  }
  return TRUE;
}

/* ---- change watch ---- */

gboolean
wpi_store_poll_external_change (WpiStore *self)
{
  g_autoptr(GError) error = NULL;
  gint64 version;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  /* data_version moves only for commits of other connections, never for our own */
  if (!read_pragma_int (self, "PRAGMA data_version", &version, &error))
    {
      g_warning ("Cannot poll the store for changes: %s", error->message);
      return FALSE;
    }
  if (version == self->data_version)
    return FALSE;
  self->data_version = version;
  return TRUE;
}

static gboolean
watch_tick (gpointer user_data)
{
  WpiStore *self = user_data;

  if (wpi_store_poll_external_change (self))
    g_signal_emit (self, signals[EXTERNAL_CHANGE], 0);
  return G_SOURCE_CONTINUE;
}

void
wpi_store_set_watch_interval (WpiStore *self,
                              guint     interval_ms)
{
  g_return_if_fail (WPI_IS_STORE (self));

  if (self->watch_source != NULL)
    {
      g_source_destroy (self->watch_source);
      g_clear_pointer (&self->watch_source, g_source_unref);
    }
  if (interval_ms == 0)
    return;

  /* the source holds no reference: dispose destroys it first */
  self->watch_source = g_timeout_source_new (interval_ms);
  g_source_set_callback (self->watch_source, watch_tick, self, NULL);
  g_source_set_static_name (self->watch_source, "[wpi] store watch");
  g_source_attach (self->watch_source, g_main_context_get_thread_default ());
}

/* ---- validation ---- */

gboolean
_wpi_store_fail (GError         **error,
                 WpiStoreError    code,
                 const char      *format,
                 ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (WPI_STORE_ERROR, code, format, args));
  va_end (args);
  return FALSE;
}

gint64
_wpi_store_item_idx (const WpiStoreItem *item)
{
  return item->has_index ? item->index : -1;
}

/* need_values: every item must carry a value; unique: a name/index at most once. */
gboolean
_wpi_store_validate_items (const WpiStoreItem  *items,
                           gsize                n_items,
                           gboolean             need_values,
                           gboolean             unique,
                           GError             **error)
{
  g_autoptr(GHashTable) seen = NULL;

  if (n_items > 0 && items == NULL)
    return _wpi_store_invalid (error, "No items given");
  if (unique)
    seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (gsize i = 0; i < n_items; i++)
    {
      const WpiStoreItem *item = &items[i];

      if (item->name == NULL || item->name[0] == '\0')
        return _wpi_store_invalid (error, "Item %" G_GSIZE_FORMAT " has no name", i + 1);
      if (!g_utf8_validate (item->name, -1, NULL) ||
          (item->value != NULL && !g_utf8_validate (item->value, -1, NULL)))
        return _wpi_store_invalid (error, "Item “%s” is not valid UTF-8", item->name);
      if (item->has_index && item->index < 0)
        return _wpi_store_invalid (error, "Item “%s” has a negative index %" G_GINT64_FORMAT,
                                   item->name, item->index);
      if (need_values && item->value == NULL)
        return _wpi_store_invalid (error, "Item “%s” has no value", item->name);
      if (seen != NULL)
        {
          char *key = g_strdup_printf ("%s\037%" G_GINT64_FORMAT, item->name, _wpi_store_item_idx (item));

          if (!g_hash_table_add (seen, key))
            {
              if (item->has_index)
                return _wpi_store_invalid (error, "Item “%s” with index %" G_GINT64_FORMAT
                                           " appears twice", item->name, item->index);
              return _wpi_store_invalid (error, "Item “%s” appears twice", item->name);
            }
        }
    }
  return TRUE;
}

void
_wpi_store_item_from_row (WpiStoreItem *item,
                          sqlite3_stmt *stmt,
                          int           name_column,
                          int           idx_column,
                          int           value_column)
{
  gint64 idx = sqlite3_column_int64 (stmt, idx_column);

  item->name = _wpi_store_column_strdup (stmt, name_column);
  item->value = _wpi_store_column_strdup (stmt, value_column);
  item->has_index = idx >= 0;
  item->index = idx >= 0 ? idx : 0;
}

/* ---- settings ---- */

char *
wpi_store_setting_get (WpiStore    *self,
                       const char  *key,
                       GError     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  gboolean has_row = FALSE;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = _wpi_store_prepare (self, "SELECT value FROM settings WHERE key = ?1", error);
  if (stmt == NULL)
    return NULL;
  _wpi_store_bind_text (stmt, 1, key);
  if (!_wpi_store_step (self, stmt, &has_row, "Cannot read a setting", error) || !has_row)
    return NULL;
  return _wpi_store_column_strdup (stmt, 0);
}

gboolean
wpi_store_setting_set (WpiStore    *self,
                       const char  *key,
                       const char  *value,
                       GError     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (key == NULL || key[0] == '\0')
    return _wpi_store_invalid (error, "A setting needs a name");
  if (value != NULL && !g_utf8_validate (value, -1, NULL))
    return _wpi_store_invalid (error, "The value of setting “%s” is not valid UTF-8", key);

  if (value == NULL)
    stmt = _wpi_store_prepare (self, "DELETE FROM settings WHERE key = ?1", error);
  else
    stmt = _wpi_store_prepare (self,
                               "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                               "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                               error);
  if (stmt == NULL)
    return FALSE;
  _wpi_store_bind_text (stmt, 1, key);
  if (value != NULL)
    _wpi_store_bind_text (stmt, 2, value);
  /* one statement, but still inside _wpi_store_begin(): see there */
  STORE_WRITE (self, error, _wpi_store_run (self, stmt, "Cannot store a setting", error));
}

gboolean
wpi_store_setting_get_int (WpiStore    *self,
                           const char  *key,
                           gint64       default_value,
                           gint64      *value,
                           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (value != NULL, FALSE);

  text = wpi_store_setting_get (self, key, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text == NULL)
    {
      *value = default_value;
      return TRUE;
    }
  if (!g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, value, NULL))
    return _wpi_store_invalid (error, "Setting “%s” is “%s”, not an integer", key, text);
  return TRUE;
}

gboolean
wpi_store_setting_set_int (WpiStore    *self,
                           const char  *key,
                           gint64       value,
                           GError     **error)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  return wpi_store_setting_set (self, key, text, error);
}

