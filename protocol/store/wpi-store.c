/* wpi-store.c: the durable state of the provisioning service (SQLite) */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wpi-store.h"

/* Past the limit, append() deletes this share of it at once (up to a cap), so the
 * deletions come in batches rather than one row per message. */
#define TRAFFIC_SLACK_DIVISOR   100
#define TRAFFIC_SLACK_MAX       1000
/* The most rows one retention step deletes: bounds the time a writer holds the lock. */
#define TRAFFIC_DELETE_BATCH    10000
#define JOURNAL_SIZE_LIMIT      (64 * 1024 * 1024)

#define PENDING_STATES "('queued', 'contacting', 'in-progress', 'waiting-busy')"

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
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == WPI_STORE_SCHEMA_VERSION);

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

static void wpi_store_initable_iface_init (GInitableIface *iface);

G_DEFINE_TYPE_WITH_CODE (WpiStore, wpi_store, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, wpi_store_initable_iface_init))

enum {
  PROP_0,
  PROP_DATA_DIR,
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

static const char *const phone_mode_names[] = { "default", "secure" };
static const char *const phone_state_names[] = {
  "unknown", "idle", "busy", "in-session", "unreachable",
};
static const char *const job_kind_names[] = {
  "read-all", "read-items", "write-items", "restart", "factory-reset",
  "file-deployment", "software-deployment", "apply-profile", "bootstrap",
};
static const char *const job_state_names[] = {
  "queued", "contacting", "in-progress", "waiting-busy", "done", "failed", "cancelled",
};
static const char *const pin_state_names[] = {
  "generated", "handed-out", "bundle-delivered", "verified", "failed", "re-issued",
};
static const char *const direction_names[] = { "in", "out" };

G_STATIC_ASSERT (G_N_ELEMENTS (phone_mode_names) == WPI_PHONE_MODE_SECURE + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (phone_state_names) == WPI_PHONE_STATE_UNREACHABLE + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (job_kind_names) == WPI_JOB_KIND_BOOTSTRAP + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (job_state_names) == WPI_JOB_STATE_CANCELLED + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (pin_state_names) == WPI_PIN_STATE_REISSUED + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (direction_names) == WPI_TRAFFIC_DIRECTION_OUT + 1);

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

DEFINE_ENUM_STRINGS (WpiPhoneMode, wpi_phone_mode, phone_mode_names)
DEFINE_ENUM_STRINGS (WpiPhoneState, wpi_phone_state, phone_state_names)
DEFINE_ENUM_STRINGS (WpiJobKind, wpi_job_kind, job_kind_names)
DEFINE_ENUM_STRINGS (WpiJobState, wpi_job_state, job_state_names)
DEFINE_ENUM_STRINGS (WpiPinState, wpi_pin_state, pin_state_names)
DEFINE_ENUM_STRINGS (WpiTrafficDirection, wpi_traffic_direction, direction_names)

gboolean
wpi_job_state_is_final (WpiJobState state)
{
  return state == WPI_JOB_STATE_DONE ||
         state == WPI_JOB_STATE_FAILED ||
         state == WPI_JOB_STATE_CANCELLED;
}

/* A column the CHECK constraints limit to the names; the fallback is never reached
 * unless someone edits the file by hand. */
static int
enum_column (sqlite3_stmt      *stmt,
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
static char *
store_normalize_mac (const char  *mac,
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

static GArray *
item_array_copy (const GArray *items)
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

WpiPhoneRecord *
wpi_phone_record_new (const char *mac)
{
  WpiPhoneRecord *record = g_new0 (WpiPhoneRecord, 1);

  record->mac = g_strdup (mac);
  return record;
}

WpiPhoneRecord *
wpi_phone_record_copy (const WpiPhoneRecord *record)
{
  WpiPhoneRecord *copy = g_memdup2 (record, sizeof *record);

  copy->mac = g_strdup (record->mac);
  copy->e164 = g_strdup (record->e164);
  copy->device_type = g_strdup (record->device_type);
  copy->firmware = g_strdup (record->firmware);
  copy->ip = g_strdup (record->ip);
  copy->contact_me_uri = g_strdup (record->contact_me_uri);
  copy->location = g_strdup (record->location);
  copy->profile = g_strdup (record->profile);
  return copy;
}

void
wpi_phone_record_free (WpiPhoneRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->mac);
  g_free (record->e164);
  g_free (record->device_type);
  g_free (record->firmware);
  g_free (record->ip);
  g_free (record->contact_me_uri);
  g_free (record->location);
  g_free (record->profile);
  g_free (record);
}

G_DEFINE_BOXED_TYPE (WpiPhoneRecord, wpi_phone_record, wpi_phone_record_copy, wpi_phone_record_free)

WpiJobRecord *
wpi_job_record_copy (const WpiJobRecord *record)
{
  WpiJobRecord *copy = g_memdup2 (record, sizeof *record);

  copy->mac = g_strdup (record->mac);
  copy->parameter = g_strdup (record->parameter);
  copy->failure_reason = g_strdup (record->failure_reason);
  copy->items = item_array_copy (record->items);
  return copy;
}

void
wpi_job_record_free (WpiJobRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->mac);
  g_free (record->parameter);
  g_free (record->failure_reason);
  g_clear_pointer (&record->items, g_array_unref);
  g_free (record);
}

G_DEFINE_BOXED_TYPE (WpiJobRecord, wpi_job_record, wpi_job_record_copy, wpi_job_record_free)

WpiProfileRecord *
wpi_profile_record_copy (const WpiProfileRecord *record)
{
  WpiProfileRecord *copy = g_memdup2 (record, sizeof *record);

  copy->name = g_strdup (record->name);
  copy->items = item_array_copy (record->items);
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

WpiTrafficRecord *
wpi_traffic_record_new (void)
{
  WpiTrafficRecord *record = g_new0 (WpiTrafficRecord, 1);

  record->item_count = -1;
  record->size = -1;
  return record;
}

WpiTrafficRecord *
wpi_traffic_record_copy (const WpiTrafficRecord *record)
{
  WpiTrafficRecord *copy = g_memdup2 (record, sizeof *record);

  copy->peer = g_strdup (record->peer);
  copy->mac = g_strdup (record->mac);
  copy->flow_id = g_strdup (record->flow_id);
  copy->root = g_strdup (record->root);
  copy->nonce = g_strdup (record->nonce);
  copy->reason = g_strdup (record->reason);
  copy->action = g_strdup (record->action);
  copy->status = g_strdup (record->status);
  copy->fragment = g_strdup (record->fragment);
  copy->error_text = g_strdup (record->error_text);
  copy->headers = record->headers ? g_bytes_ref (record->headers) : NULL;
  copy->body = record->body ? g_bytes_ref (record->body) : NULL;
  return copy;
}

void
wpi_traffic_record_free (WpiTrafficRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->peer);
  g_free (record->mac);
  g_free (record->flow_id);
  g_free (record->root);
  g_free (record->nonce);
  g_free (record->reason);
  g_free (record->action);
  g_free (record->status);
  g_free (record->fragment);
  g_free (record->error_text);
  g_clear_pointer (&record->headers, g_bytes_unref);
  g_clear_pointer (&record->body, g_bytes_unref);
  g_free (record);
}

G_DEFINE_BOXED_TYPE (WpiTrafficRecord, wpi_traffic_record, wpi_traffic_record_copy,
                     wpi_traffic_record_free)

WpiPinRecord *
wpi_pin_record_copy (const WpiPinRecord *record)
{
  WpiPinRecord *copy = g_memdup2 (record, sizeof *record);

  copy->mac = g_strdup (record->mac);
  copy->pin = g_strdup (record->pin);
  copy->reason = g_strdup (record->reason);
  return copy;
}

void
wpi_pin_record_free (WpiPinRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->mac);
  /* a PIN is a secret: do not leave it in freed memory */
  if (record->pin != NULL)
    memset (record->pin, 0, strlen (record->pin));
  g_free (record->pin);
  g_free (record->reason);
  g_free (record);
}

G_DEFINE_BOXED_TYPE (WpiPinRecord, wpi_pin_record, wpi_pin_record_copy, wpi_pin_record_free)

WpiSecurityEvent *
wpi_security_event_copy (const WpiSecurityEvent *event)
{
  WpiSecurityEvent *copy = g_memdup2 (event, sizeof *event);

  copy->peer = g_strdup (event->peer);
  copy->mac = g_strdup (event->mac);
  copy->kind = g_strdup (event->kind);
  copy->detail = g_strdup (event->detail);
  return copy;
}

void
wpi_security_event_free (WpiSecurityEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->peer);
  g_free (event->mac);
  g_free (event->kind);
  g_free (event->detail);
  g_free (event);
}

G_DEFINE_BOXED_TYPE (WpiSecurityEvent, wpi_security_event, wpi_security_event_copy,
                     wpi_security_event_free)

/* ---- SQLite plumbing ---- */

/* A statement from the cache, reset and unbound when it goes out of scope. */
typedef sqlite3_stmt CachedStmt;

static void
cached_stmt_release (CachedStmt *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CachedStmt, cached_stmt_release)

static int
error_code_for_sqlite (int rc)
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

static gboolean
set_sqlite_error (sqlite3     *db,
                  int          rc,
                  GError     **error,
                  const char  *what)
{
  const char *detail = db != NULL && sqlite3_errcode (db) == rc ? sqlite3_errmsg (db)
                                                                : sqlite3_errstr (rc);

  g_set_error (error, WPI_STORE_ERROR, error_code_for_sqlite (rc), "%s: %s", what, detail);
  return FALSE;
}

static CachedStmt *
store_prepare (WpiStore    *self,
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
      set_sqlite_error (self->db, rc, error, "Cannot prepare a store query");
      return NULL;
    }
  g_hash_table_insert (self->statements, (gpointer) sql, stmt);
  return stmt;
}

/* Runs a statement that returns no rows. */
static gboolean
stmt_run (WpiStore    *self,
          CachedStmt  *stmt,
          const char  *what,
          GError     **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return set_sqlite_error (self->db, rc, error, what);
  return TRUE;
}

static gboolean
run_sql (WpiStore    *self,
         const char  *sql,
         GError     **error)
{
  g_autoptr(CachedStmt) stmt = store_prepare (self, sql, error);

  return stmt != NULL && stmt_run (self, stmt, sql, error);
}

static void
bind_text (sqlite3_stmt *stmt,
           int           column,
           const char   *text)
{
  /* SQLITE_STATIC: the statement is reset before the string's owner can free it */
  if (text == NULL)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_text (stmt, column, text, -1, SQLITE_STATIC);
}

static void
bind_bytes (sqlite3_stmt *stmt,
            int           column,
            GBytes       *bytes)
{
  gsize size;
  gconstpointer data;

  if (bytes == NULL)
    {
      sqlite3_bind_null (stmt, column);
      return;
    }
  data = g_bytes_get_data (bytes, &size);
  /* an empty GBytes may have no data pointer, which SQLite would store as NULL */
  if (size == 0)
    sqlite3_bind_zeroblob (stmt, column, 0);
  else
    sqlite3_bind_blob64 (stmt, column, data, size, SQLITE_STATIC);
}

static void
bind_int64_or_null (sqlite3_stmt *stmt,
                    int           column,
                    gint64        value,
                    gint64        null_value)
{
  if (value == null_value)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_int64 (stmt, column, value);
}

static char *
column_strdup (sqlite3_stmt *stmt,
               int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static GBytes *
column_bytes (sqlite3_stmt *stmt,
              int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;
  /* blob first, then its size: the documented safe order */
  {
    const void *data = sqlite3_column_blob (stmt, column);
    int size = sqlite3_column_bytes (stmt, column);

    return g_bytes_new (data, size);
  }
}

/* ---- transactions ---- */

static gboolean
store_begin (WpiStore  *self,
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

  if (!run_sql (self, sql, error))
    return FALSE;
  self->depth++;
  return TRUE;
}

static gboolean
store_commit (WpiStore  *self,
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
    return run_sql (self, "RELEASE wpi_nested", error);

  if (!run_sql (self, "COMMIT", error))
    {
      if (!sqlite3_get_autocommit (self->db))
        run_sql (self, "ROLLBACK", NULL);
      return FALSE;
    }
  return TRUE;
}

static void
store_rollback (WpiStore *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (self->depth > 0);

  self->depth--;
  if (sqlite3_get_autocommit (self->db))
    return;

  if (self->depth == 0)
    {
      if (!run_sql (self, "ROLLBACK", &error))
        g_warning ("Cannot roll back a store transaction: %s", error->message);
    }
  else if (!run_sql (self, "ROLLBACK TO wpi_nested", &error) ||
           !run_sql (self, "RELEASE wpi_nested", &error))
    {
      g_warning ("Cannot roll back to a store savepoint: %s", error->message);
    }
}

gboolean
wpi_store_transaction_begin (WpiStore  *self,
                             GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  return store_begin (self, TRUE, error);
}

gboolean
wpi_store_transaction_commit (WpiStore  *self,
                              GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  return store_commit (self, error);
}

void
wpi_store_transaction_rollback (WpiStore *self)
{
  g_return_if_fail (WPI_IS_STORE (self));

  store_rollback (self);
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

  if (!store_begin (self, TRUE, error))
    return FALSE;
  if (!func (self, user_data, &local_error))
    {
      store_rollback (self);
      if (local_error == NULL)
        g_set_error_literal (&local_error, WPI_STORE_ERROR, WPI_STORE_ERROR_FAILED,
                             "The transaction was abandoned");
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return store_commit (self, error);
}

/* The common shape of a write: run body in a transaction (a savepoint when nested), so
 * that a failure leaves nothing behind. */
#define STORE_WRITE(self, error, body)                \
  G_STMT_START {                                      \
    if (!store_begin ((self), TRUE, (error)))         \
      return FALSE;                                   \
    if (!(body))                                      \
      {                                               \
        store_rollback (self);                        \
        return FALSE;                                 \
      }                                               \
    return store_commit ((self), (error));            \
  } G_STMT_END

/* ---- opening and migrating ---- */

static gboolean
read_pragma_int (WpiStore    *self,
                 const char  *sql,
                 gint64      *value,
                 GError     **error)
{
  g_autoptr(CachedStmt) stmt = store_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return set_sqlite_error (self->db, rc, error, sql);
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
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
      g_set_error (error, WPI_STORE_ERROR, error_code_for_sqlite (rc), "%s: %s", what,
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

  if (!store_begin (self, TRUE, error))
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

  if (!store_commit (self, error))
    return FALSE;
  self->schema_version = WPI_STORE_SCHEMA_VERSION;
  return TRUE;

fail:
  store_rollback (self);
  return FALSE;
}

/* The database holds PINs: create it 0600 before SQLite does (with the umask's 0644);
 * SQLite gives its -wal and -shm files the mode of the database. */
static gboolean
create_private_file (const char  *path,
                     GError     **error)
{
  struct stat st;
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  int saved_errno;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_IO, "Cannot open “%s”: %s",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  if (fstat (fd, &st) == 0 && (st.st_mode & 077) != 0)
    fchmod (fd, st.st_mode & 0700);
  close (fd);
  return TRUE;
}

static gboolean
wpi_store_initable_init (GInitable     *initable,
                         GCancellable  *cancellable,
                         GError       **error)
{
  WpiStore *self = WPI_STORE (initable);
  g_autofree char *journal_mode = NULL;
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
                        SQLITE_OPEN_EXRESCODE,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_autofree char *what = g_strdup_printf ("Cannot open the store “%s”", self->path);

      return set_sqlite_error (self->db, rc, error, what);
    }
  sqlite3_busy_timeout (self->db, WPI_STORE_DEFAULT_BUSY_TIMEOUT_MS);

  /* journal_mode answers with the mode in force: anything but "wal" means the file
   * system cannot do it (no shared memory), and concurrent use would not be safe. */
  {
    g_autoptr(CachedStmt) stmt = store_prepare (self, "PRAGMA journal_mode = WAL", error);
    gint64 deadline = g_get_monotonic_time () + WPI_STORE_DEFAULT_BUSY_TIMEOUT_MS * G_TIME_SPAN_MILLISECOND;

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

        return set_sqlite_error (self->db, rc, error, what);
      }
    journal_mode = column_strdup (stmt, 0);
  }
  if (g_strcmp0 (journal_mode, "wal") != 0)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_IO,
                   "The store “%s” cannot use write-ahead logging (journal mode “%s”)",
                   self->path, journal_mode);
      return FALSE;
    }

  {
    g_autofree char *pragmas = g_strdup_printf ("PRAGMA synchronous = FULL;"
                                                "PRAGMA foreign_keys = ON;"
                                                "PRAGMA trusted_schema = OFF;"
                                                "PRAGMA temp_store = MEMORY;"
                                                "PRAGMA cache_size = -16384;"
                                                "PRAGMA journal_size_limit = %d;",
                                                JOURNAL_SIZE_LIMIT);

    if (!exec_script (self, pragmas, "Cannot configure the store", error))
      return FALSE;
  }

  if (!store_migrate (self, error))
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

gboolean
wpi_store_check_integrity (WpiStore  *self,
                           GError   **error)
{
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  {
    g_autoptr(CachedStmt) stmt = store_prepare (self, "PRAGMA integrity_check", error);
    const char *verdict;

    if (stmt == NULL)
      return FALSE;
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_ROW)
      return set_sqlite_error (self->db, rc, error, "Cannot check the store");
    verdict = (const char *) sqlite3_column_text (stmt, 0);
    if (g_strcmp0 (verdict, "ok") != 0)
      {
        g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_CORRUPT,
                     "The store “%s” is damaged: %s", self->path, verdict);
        return FALSE;
      }
  }

  {
    g_autoptr(CachedStmt) stmt = store_prepare (self, "PRAGMA foreign_key_check", error);

    if (stmt == NULL)
      return FALSE;
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
      {
        g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_CORRUPT,
                     "The store “%s” is damaged: row %" G_GINT64_FORMAT " of “%s” refers "
                     "to a missing row of “%s”", self->path, (gint64) sqlite3_column_int64 (stmt, 1),
                     sqlite3_column_text (stmt, 0), sqlite3_column_text (stmt, 2));
        return FALSE;
      }
    if (rc != SQLITE_DONE)
      return set_sqlite_error (self->db, rc, error, "Cannot check the store");
  }

  /* the one link no foreign key guards (see the schema) */
  {
    g_autoptr(CachedStmt) stmt = store_prepare (self,
                                                "SELECT id FROM traffic_raw "
                                                "WHERE id NOT IN (SELECT id FROM traffic) LIMIT 1",
                                                error);

    if (stmt == NULL)
      return FALSE;
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
      {
        g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_CORRUPT,
                     "The store “%s” is damaged: raw bytes of traffic message %" G_GINT64_FORMAT
                     " without the message", self->path, (gint64) sqlite3_column_int64 (stmt, 0));
        return FALSE;
      }
    if (rc != SQLITE_DONE)
      return set_sqlite_error (self->db, rc, error, "Cannot check the store");
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

static gboolean
invalid (GError     **error,
         const char  *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError     **error,
         const char  *format,
         ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID,
                                                format, args));
  va_end (args);
  return FALSE;
}

static gboolean
not_found (GError     **error,
           const char  *format,
           ...) G_GNUC_PRINTF (2, 3);

static gboolean
not_found (GError     **error,
           const char  *format,
           ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND,
                                                format, args));
  va_end (args);
  return FALSE;
}

static gint64
item_idx (const WpiStoreItem *item)
{
  return item->has_index ? item->index : -1;
}

/* need_values: every item must carry a value; unique: a name/index at most once. */
static gboolean
validate_items (const WpiStoreItem  *items,
                gsize                n_items,
                gboolean             need_values,
                gboolean             unique,
                GError             **error)
{
  g_autoptr(GHashTable) seen = NULL;

  if (n_items > 0 && items == NULL)
    return invalid (error, "No items given");
  if (unique)
    seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (gsize i = 0; i < n_items; i++)
    {
      const WpiStoreItem *item = &items[i];

      if (item->name == NULL || item->name[0] == '\0')
        return invalid (error, "Item %" G_GSIZE_FORMAT " has no name", i + 1);
      if (!g_utf8_validate (item->name, -1, NULL) ||
          (item->value != NULL && !g_utf8_validate (item->value, -1, NULL)))
        return invalid (error, "Item “%s” is not valid UTF-8", item->name);
      if (item->has_index && item->index < 0)
        return invalid (error, "Item “%s” has a negative index %" G_GINT64_FORMAT,
                        item->name, item->index);
      if (need_values && item->value == NULL)
        return invalid (error, "Item “%s” has no value", item->name);
      if (seen != NULL)
        {
          char *key = g_strdup_printf ("%s\037%" G_GINT64_FORMAT, item->name, item_idx (item));

          if (!g_hash_table_add (seen, key))
            {
              if (item->has_index)
                return invalid (error, "Item “%s” with index %" G_GINT64_FORMAT
                                " appears twice", item->name, item->index);
              return invalid (error, "Item “%s” appears twice", item->name);
            }
        }
    }
  return TRUE;
}

static void
item_from_row (WpiStoreItem *item,
               sqlite3_stmt *stmt,
               int           name_column,
               int           idx_column,
               int           value_column)
{
  gint64 idx = sqlite3_column_int64 (stmt, idx_column);

  item->name = column_strdup (stmt, name_column);
  item->value = column_strdup (stmt, value_column);
  item->has_index = idx >= 0;
  item->index = idx >= 0 ? idx : 0;
}

/* Existence checks run inside the caller's transaction, so the answer holds until it
 * commits. */
static gboolean
phone_exists (WpiStore    *self,
              const char  *mac,
              gboolean    *exists,
              GError     **error)
{
  g_autoptr(CachedStmt) stmt = store_prepare (self, "SELECT 1 FROM phones WHERE mac = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, mac);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_sqlite_error (self->db, rc, error, "Cannot look up a phone");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
require_phone (WpiStore    *self,
               const char  *mac,
               GError     **error)
{
  gboolean exists = FALSE;

  if (!phone_exists (self, mac, &exists, error))
    return FALSE;
  if (!exists)
    return not_found (error, "No phone with MAC %s", mac);
  return TRUE;
}

static gboolean
profile_exists (WpiStore    *self,
                const char  *name,
                gboolean    *exists,
                GError     **error)
{
  g_autoptr(CachedStmt) stmt = store_prepare (self, "SELECT 1 FROM profiles WHERE name = ?1",
                                              error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, name);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return set_sqlite_error (self->db, rc, error, "Cannot look up a profile");
  *exists = rc == SQLITE_ROW;
  return TRUE;
}

static gboolean
require_profile (WpiStore    *self,
                 const char  *name,
                 GError     **error)
{
  gboolean exists = FALSE;

  if (!profile_exists (self, name, &exists, error))
    return FALSE;
  if (!exists)
    return not_found (error, "No profile named “%s”", name);
  return TRUE;
}

/* ---- settings ---- */

char *
wpi_store_setting_get (WpiStore    *self,
                       const char  *key,
                       GError     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = store_prepare (self, "SELECT value FROM settings WHERE key = ?1", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return column_strdup (stmt, 0);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self->db, rc, error, "Cannot read a setting");
  return NULL;
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
    return invalid (error, "A setting needs a name");
  if (value != NULL && !g_utf8_validate (value, -1, NULL))
    return invalid (error, "The value of setting “%s” is not valid UTF-8", key);

  if (value == NULL)
    stmt = store_prepare (self, "DELETE FROM settings WHERE key = ?1", error);
  else
    stmt = store_prepare (self,
                          "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, key);
  if (value != NULL)
    bind_text (stmt, 2, value);
  /* one statement, but still inside store_begin(): see there */
  STORE_WRITE (self, error, stmt_run (self, stmt, "Cannot store a setting", error));
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
    return invalid (error, "Setting “%s” is “%s”, not an integer", key, text);
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

/* ---- phones ---- */

#define PHONE_COLUMNS \
  "mac, e164, device_type, firmware, ip, contact_me_uri, mode, state, last_contact_us, " \
  "location, profile, created_us, updated_us"

static WpiPhoneRecord *
phone_from_row (sqlite3_stmt *stmt)
{
  WpiPhoneRecord *phone = wpi_phone_record_new (NULL);

  phone->mac = column_strdup (stmt, 0);
  phone->e164 = column_strdup (stmt, 1);
  phone->device_type = column_strdup (stmt, 2);
  phone->firmware = column_strdup (stmt, 3);
  phone->ip = column_strdup (stmt, 4);
  phone->contact_me_uri = column_strdup (stmt, 5);
  phone->mode = enum_column (stmt, 6, phone_mode_names, G_N_ELEMENTS (phone_mode_names),
                             WPI_PHONE_MODE_DEFAULT);
  phone->state = enum_column (stmt, 7, phone_state_names, G_N_ELEMENTS (phone_state_names),
                              WPI_PHONE_STATE_UNKNOWN);
  phone->last_contact_us = sqlite3_column_int64 (stmt, 8);
  phone->location = column_strdup (stmt, 9);
  phone->profile = column_strdup (stmt, 10);
  phone->created_us = sqlite3_column_int64 (stmt, 11);
  phone->updated_us = sqlite3_column_int64 (stmt, 12);
  return phone;
}

static gboolean
phone_upsert_in_transaction (WpiStore              *self,
                             const char            *mac,
                             const WpiPhoneRecord  *phone,
                             WpiPhoneFields         fields,
                             gboolean              *created,
                             GError               **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  gboolean exists = FALSE;
  gint64 now = g_get_real_time ();

  if (!phone_exists (self, mac, &exists, error))
    return FALSE;
  if ((fields & WPI_PHONE_FIELD_PROFILE) && phone->profile != NULL &&
      !require_profile (self, phone->profile, error))
    return FALSE;

  /* On insert the unselected fields get their defaults (bound below); on update each
   * column keeps its value unless its bit is in ?14. */
  stmt = store_prepare (self,
                        "INSERT INTO phones (" PHONE_COLUMNS ") "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) "
                        "ON CONFLICT (mac) DO UPDATE SET "
                        "  e164 = iif (?13 & 1, excluded.e164, e164),"
                        "  device_type = iif (?13 & 2, excluded.device_type, device_type),"
                        "  firmware = iif (?13 & 4, excluded.firmware, firmware),"
                        "  ip = iif (?13 & 8, excluded.ip, ip),"
                        "  contact_me_uri = iif (?13 & 16, excluded.contact_me_uri, contact_me_uri),"
                        "  mode = iif (?13 & 32, excluded.mode, mode),"
                        "  state = iif (?13 & 64, excluded.state, state),"
                        "  last_contact_us = iif (?13 & 128, excluded.last_contact_us, last_contact_us),"
                        "  location = iif (?13 & 256, excluded.location, location),"
                        "  profile = iif (?13 & 512, excluded.profile, profile),"
                        "  updated_us = excluded.updated_us",
                        error);
  if (stmt == NULL)
    return FALSE;

#define FIELD_TEXT(col, flag, member) \
  bind_text (stmt, col, (fields & (flag)) ? phone->member : NULL)
  bind_text (stmt, 1, mac);
  FIELD_TEXT (2, WPI_PHONE_FIELD_E164, e164);
  FIELD_TEXT (3, WPI_PHONE_FIELD_DEVICE_TYPE, device_type);
  FIELD_TEXT (4, WPI_PHONE_FIELD_FIRMWARE, firmware);
  FIELD_TEXT (5, WPI_PHONE_FIELD_IP, ip);
  FIELD_TEXT (6, WPI_PHONE_FIELD_CONTACT_ME_URI, contact_me_uri);
  bind_text (stmt, 7, wpi_phone_mode_to_string ((fields & WPI_PHONE_FIELD_MODE)
                                                ? phone->mode : WPI_PHONE_MODE_DEFAULT));
  bind_text (stmt, 8, wpi_phone_state_to_string ((fields & WPI_PHONE_FIELD_STATE)
                                                 ? phone->state : WPI_PHONE_STATE_UNKNOWN));
  bind_int64_or_null (stmt, 9, (fields & WPI_PHONE_FIELD_LAST_CONTACT) ? phone->last_contact_us : 0, 0);
  FIELD_TEXT (10, WPI_PHONE_FIELD_LOCATION, location);
  FIELD_TEXT (11, WPI_PHONE_FIELD_PROFILE, profile);
  sqlite3_bind_int64 (stmt, 12, now);
  sqlite3_bind_int (stmt, 13, (int) fields);
#undef FIELD_TEXT

  if (!stmt_run (self, stmt, "Cannot store a phone", error))
    return FALSE;
  if (created != NULL)
    *created = !exists;
  return TRUE;
}

gboolean
wpi_store_phone_upsert (WpiStore              *self,
                        const WpiPhoneRecord  *phone,
                        WpiPhoneFields         fields,
                        gboolean              *created,
                        GError               **error)
{
  g_autofree char *mac = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (phone != NULL, FALSE);

  mac = store_normalize_mac (phone->mac, error);
  if (mac == NULL)
    return FALSE;
  if ((fields & ~WPI_PHONE_FIELD_ALL) != 0)
    return invalid (error, "Unknown phone fields 0x%x", (guint) fields);
  if ((fields & WPI_PHONE_FIELD_MODE) && wpi_phone_mode_to_string (phone->mode) == NULL)
    return invalid (error, "Invalid phone mode %d", (int) phone->mode);
  if ((fields & WPI_PHONE_FIELD_STATE) && wpi_phone_state_to_string (phone->state) == NULL)
    return invalid (error, "Invalid phone state %d", (int) phone->state);

  STORE_WRITE (self, error,
               phone_upsert_in_transaction (self, mac, phone, fields, created, error));
}

WpiPhoneRecord *
wpi_store_phone_get (WpiStore    *self,
                     const char  *mac,
                     GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return NULL;
  stmt = store_prepare (self, "SELECT " PHONE_COLUMNS " FROM phones WHERE mac = ?1", error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, normal);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return phone_from_row (stmt);
  if (rc == SQLITE_DONE)
    not_found (error, "No phone with MAC %s", normal);
  else
    set_sqlite_error (self->db, rc, error, "Cannot read a phone");
  return NULL;
}

GPtrArray *
wpi_store_phone_list (WpiStore  *self,
                      GError   **error)
{
  g_autoptr(GPtrArray) phones = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_phone_record_free);
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = store_prepare (self, "SELECT " PHONE_COLUMNS " FROM phones ORDER BY mac", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (phones, phone_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error, "Cannot list the phones");
      return NULL;
    }
  return g_steal_pointer (&phones);
}

/* Runs a one-row UPDATE/DELETE; finding no row is a NOT_FOUND error saying missing. */
static gboolean
run_keyed_change (WpiStore    *self,
                  CachedStmt  *stmt,
                  const char  *what,
                  const char  *missing,
                  GError     **error)
{
  if (!stmt_run (self, stmt, what, error))
    return FALSE;
  if (sqlite3_changes (self->db) > 0)
    return TRUE;
  g_set_error_literal (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND, missing);
  return FALSE;
}

gboolean
wpi_store_phone_set_state (WpiStore       *self,
                           const char     *mac,
                           WpiPhoneState   state,
                           GError        **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  g_autofree char *missing = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;
  if (wpi_phone_state_to_string (state) == NULL)
    return invalid (error, "Invalid phone state %d", (int) state);

  stmt = store_prepare (self, "UPDATE phones SET state = ?2, updated_us = ?3 WHERE mac = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, normal);
  bind_text (stmt, 2, wpi_phone_state_to_string (state));
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  missing = g_strdup_printf ("No phone with MAC %s", normal);
  STORE_WRITE (self, error,
               run_keyed_change (self, stmt, "Cannot store a phone's state", missing, error));
}

gboolean
wpi_store_phone_delete (WpiStore    *self,
                        const char  *mac,
                        GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  g_autofree char *missing = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;

  /* One statement; SQLite runs the cascades inside it, so it is atomic as a whole. */
  stmt = store_prepare (self, "DELETE FROM phones WHERE mac = ?1", error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, normal);
  missing = g_strdup_printf ("No phone with MAC %s", normal);
  STORE_WRITE (self, error,
               run_keyed_change (self, stmt, "Cannot delete a phone", missing, error));
}

/* ---- phone items ---- */

static gboolean
phone_items_write (WpiStore            *self,
                   const char          *mac,
                   const WpiStoreItem  *items,
                   gsize                n_items,
                   gint64               time_us,
                   gint64               traffic_id,
                   gboolean             replace,
                   GError             **error)
{
  g_autoptr(CachedStmt) insert = NULL;

  if (!require_phone (self, mac, error))
    return FALSE;

  if (replace)
    {
      g_autoptr(CachedStmt) clear = store_prepare (self, "DELETE FROM phone_items WHERE mac = ?1",
                                                   error);

      if (clear == NULL)
        return FALSE;
      bind_text (clear, 1, mac);
      if (!stmt_run (self, clear, "Cannot replace a phone's items", error))
        return FALSE;
    }

  insert = store_prepare (self,
                          "INSERT INTO phone_items (mac, name, idx, value, updated_us, traffic_id) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                          "ON CONFLICT (mac, name, idx) DO UPDATE SET value = excluded.value, "
                          "  updated_us = excluded.updated_us, traffic_id = excluded.traffic_id",
                          error);
  if (insert == NULL)
    return FALSE;
  /* the same for every row: bound once, the rest rebound per row */
  bind_text (insert, 1, mac);
  sqlite3_bind_int64 (insert, 5, time_us);
  bind_int64_or_null (insert, 6, traffic_id, 0);
  for (gsize i = 0; i < n_items; i++)
    {
      bind_text (insert, 2, items[i].name);
      sqlite3_bind_int64 (insert, 3, item_idx (&items[i]));
      bind_text (insert, 4, items[i].value);
      if (!stmt_run (self, insert, "Cannot store a phone's item", error))
        return FALSE;
      sqlite3_reset (insert);
    }
  return TRUE;
}

static gboolean
phone_items_change (WpiStore            *self,
                    const char          *mac,
                    const WpiStoreItem  *items,
                    gsize                n_items,
                    gint64               time_us,
                    gint64               traffic_id,
                    gboolean             replace,
                    GError             **error)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL || !validate_items (items, n_items, TRUE, FALSE, error))
    return FALSE;

  STORE_WRITE (self, error,
               phone_items_write (self, normal, items, n_items, time_us, traffic_id,
                                  replace, error));
}

gboolean
wpi_store_phone_items_replace (WpiStore            *self,
                               const char          *mac,
                               const WpiStoreItem  *items,
                               gsize                n_items,
                               gint64               time_us,
                               gint64               traffic_id,
                               GError             **error)
{
  return phone_items_change (self, mac, items, n_items, time_us, traffic_id, TRUE, error);
}

gboolean
wpi_store_phone_items_update (WpiStore            *self,
                              const char          *mac,
                              const WpiStoreItem  *items,
                              gsize                n_items,
                              gint64               time_us,
                              gint64               traffic_id,
                              GError             **error)
{
  return phone_items_change (self, mac, items, n_items, time_us, traffic_id, FALSE, error);
}

static void
phone_item_from_row (WpiStoreItem *item,
                     sqlite3_stmt *stmt)
{
  item_from_row (item, stmt, 0, 1, 2);
  item->updated_us = sqlite3_column_int64 (stmt, 3);
  item->traffic_id = sqlite3_column_int64 (stmt, 4);
}

static GArray *
phone_items_list_in_transaction (WpiStore    *self,
                                 const char  *mac,
                                 GError     **error)
{
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  if (!require_phone (self, mac, error))
    return NULL;
  stmt = store_prepare (self,
                        "SELECT name, idx, value, updated_us, traffic_id FROM phone_items "
                        "WHERE mac = ?1 ORDER BY name, idx",
                        error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, mac);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_array_set_size (items, items->len + 1);
      phone_item_from_row (&g_array_index (items, WpiStoreItem, items->len - 1), stmt);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error, "Cannot read a phone's items");
      return NULL;
    }
  return g_steal_pointer (&items);
}

GArray *
wpi_store_phone_items_list (WpiStore    *self,
                            const char  *mac,
                            GError     **error)
{
  g_autofree char *normal = NULL;
  GArray *items;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL || !store_begin (self, FALSE, error))
    return NULL;
  items = phone_items_list_in_transaction (self, normal, error);
  /* a read: nothing to lose by rolling back */
  store_rollback (self);
  return items;
}

WpiStoreItem *
wpi_store_phone_item_get (WpiStore    *self,
                          const char  *mac,
                          const char  *name,
                          gboolean     has_index,
                          gint64       index,
                          GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return NULL;
  if (name == NULL || (has_index && index < 0))
    {
      invalid (error, "Invalid item name or index");
      return NULL;
    }

  stmt = store_prepare (self,
                        "SELECT name, idx, value, updated_us, traffic_id FROM phone_items "
                        "WHERE mac = ?1 AND name = ?2 AND idx = ?3",
                        error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, normal);
  bind_text (stmt, 2, name);
  sqlite3_bind_int64 (stmt, 3, has_index ? index : -1);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      WpiStoreItem *item = g_new0 (WpiStoreItem, 1);

      phone_item_from_row (item, stmt);
      return item;
    }
  if (rc == SQLITE_DONE)
    not_found (error, "Phone %s has no value for item “%s”", normal, name);
  else
    set_sqlite_error (self->db, rc, error, "Cannot read a phone's item");
  return NULL;
}

/* ---- jobs ---- */

#define JOB_COLUMNS \
  "id, mac, kind, state, parameter, failure_reason, created_us, updated_us, attempts, " \
  "next_attempt_us"

static WpiJobRecord *
job_from_row (sqlite3_stmt *stmt)
{
  WpiJobRecord *job = g_new0 (WpiJobRecord, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->mac = column_strdup (stmt, 1);
  job->kind = enum_column (stmt, 2, job_kind_names, G_N_ELEMENTS (job_kind_names),
                           WPI_JOB_KIND_READ_ALL);
  job->state = enum_column (stmt, 3, job_state_names, G_N_ELEMENTS (job_state_names),
                            WPI_JOB_STATE_FAILED);
  job->parameter = column_strdup (stmt, 4);
  job->failure_reason = column_strdup (stmt, 5);
  job->created_us = sqlite3_column_int64 (stmt, 6);
  job->updated_us = sqlite3_column_int64 (stmt, 7);
  job->attempts = (guint) sqlite3_column_int64 (stmt, 8);
  job->next_attempt_us = sqlite3_column_int64 (stmt, 9);
  return job;
}

static gboolean
job_load_items (WpiStore      *self,
                WpiJobRecord  *job,
                GError       **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  int rc;

  stmt = store_prepare (self,
                        "SELECT name, idx, value, status FROM job_items WHERE job_id = ?1 "
                        "ORDER BY pos",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WpiStoreItem *item;

      g_array_set_size (items, items->len + 1);
      item = &g_array_index (items, WpiStoreItem, items->len - 1);
      item_from_row (item, stmt, 0, 1, 2);
      item->status = column_strdup (stmt, 3);
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self->db, rc, error, "Cannot read a job's items");
  g_clear_pointer (&job->items, g_array_unref);
  job->items = g_steal_pointer (&items);
  return TRUE;
}

static gboolean
job_enqueue_in_transaction (WpiStore            *self,
                            const char          *mac,
                            WpiJobKind           kind,
                            const char          *parameter,
                            const WpiStoreItem  *items,
                            gsize                n_items,
                            gint64              *job_id,
                            GError             **error)
{
  g_autoptr(CachedStmt) insert_job = NULL;
  g_autoptr(CachedStmt) insert_item = NULL;
  gint64 now = g_get_real_time ();
  gint64 id;

  if (!require_phone (self, mac, error))
    return FALSE;
  if (kind == WPI_JOB_KIND_APPLY_PROFILE && !require_profile (self, parameter, error))
    return FALSE;

  insert_job = store_prepare (self,
                              "INSERT INTO jobs (mac, kind, parameter, created_us, updated_us) "
                              "VALUES (?1, ?2, ?3, ?4, ?4)",
                              error);
  if (insert_job == NULL)
    return FALSE;
  bind_text (insert_job, 1, mac);
  bind_text (insert_job, 2, wpi_job_kind_to_string (kind));
  bind_text (insert_job, 3, parameter);
  sqlite3_bind_int64 (insert_job, 4, now);
  if (!stmt_run (self, insert_job, "Cannot store a job", error))
    return FALSE;
  id = sqlite3_last_insert_rowid (self->db);

  insert_item = store_prepare (self,
                               "INSERT INTO job_items (job_id, pos, name, idx, value) "
                               "VALUES (?1, ?2, ?3, ?4, ?5)",
                               error);
  if (insert_item == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert_item, 1, id);
  for (gsize i = 0; i < n_items; i++)
    {
      sqlite3_bind_int64 (insert_item, 2, (gint64) i);
      bind_text (insert_item, 3, items[i].name);
      sqlite3_bind_int64 (insert_item, 4, item_idx (&items[i]));
      bind_text (insert_item, 5, items[i].value);
      if (!stmt_run (self, insert_item, "Cannot store a job's item", error))
        return FALSE;
      sqlite3_reset (insert_item);
    }

  if (job_id != NULL)
    *job_id = id;
  return TRUE;
}

gboolean
wpi_store_job_enqueue (WpiStore            *self,
                       const char          *mac,
                       WpiJobKind           kind,
                       const char          *parameter,
                       const WpiStoreItem  *items,
                       gsize                n_items,
                       gint64              *job_id,
                       GError             **error)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;
  if (wpi_job_kind_to_string (kind) == NULL)
    return invalid (error, "Invalid job kind %d", (int) kind);
  if (parameter != NULL && !g_utf8_validate (parameter, -1, NULL))
    return invalid (error, "The job's parameter is not valid UTF-8");
  if (!validate_items (items, n_items, kind == WPI_JOB_KIND_WRITE_ITEMS, TRUE, error))
    return FALSE;
  if ((kind == WPI_JOB_KIND_READ_ITEMS || kind == WPI_JOB_KIND_WRITE_ITEMS) && n_items == 0)
    return invalid (error, "A %s job needs at least one item", wpi_job_kind_to_string (kind));
  if (kind == WPI_JOB_KIND_APPLY_PROFILE && (parameter == NULL || parameter[0] == '\0'))
    return invalid (error, "An apply-profile job needs the profile's name");

  STORE_WRITE (self, error,
               job_enqueue_in_transaction (self, normal, kind, parameter, items, n_items,
                                           job_id, error));
}

static WpiJobRecord *
job_get_in_transaction (WpiStore  *self,
                        gint64     job_id,
                        gboolean   with_items,
                        GError   **error)
{
  g_autoptr(WpiJobRecord) job = NULL;

  {
    g_autoptr(CachedStmt) stmt = store_prepare (self, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
                                                error);
    int rc;

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, job_id);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      {
        not_found (error, "No job %" G_GINT64_FORMAT, job_id);
        return NULL;
      }
    if (rc != SQLITE_ROW)
      {
        set_sqlite_error (self->db, rc, error, "Cannot read a job");
        return NULL;
      }
    job = job_from_row (stmt);
  }

  if (with_items && !job_load_items (self, job, error))
    return NULL;
  return g_steal_pointer (&job);
}

WpiJobRecord *
wpi_store_job_get (WpiStore  *self,
                   gint64     job_id,
                   GError   **error)
{
  WpiJobRecord *job;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (!store_begin (self, FALSE, error))
    return NULL;
  job = job_get_in_transaction (self, job_id, TRUE, error);
  store_rollback (self);
  return job;
}

/* Collects the jobs stmt yields, with their items when asked. */
static GPtrArray *
job_collect (WpiStore    *self,
             CachedStmt  *stmt,
             gboolean     with_items,
             GError     **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_job_record_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (jobs, job_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error, "Cannot list jobs");
      return NULL;
    }
  /* stmt is done; loading items uses another statement */
  for (guint i = 0; with_items && i < jobs->len; i++)
    if (!job_load_items (self, g_ptr_array_index (jobs, i), error))
      return NULL;
  return g_steal_pointer (&jobs);
}

GPtrArray *
wpi_store_job_list_pending (WpiStore    *self,
                            const char  *mac,
                            GError     **error)
{
  g_autofree char *normal = NULL;
  GPtrArray *jobs = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (mac != NULL && (normal = store_normalize_mac (mac, error)) == NULL)
    return NULL;
  if (!store_begin (self, FALSE, error))
    return NULL;

  {
    g_autoptr(CachedStmt) stmt = NULL;

    if (normal != NULL)
      stmt = store_prepare (self,
                            "SELECT " JOB_COLUMNS " FROM jobs "
                            "WHERE mac = ?1 AND state IN " PENDING_STATES " ORDER BY id",
                            error);
    else
      stmt = store_prepare (self,
                            "SELECT " JOB_COLUMNS " FROM jobs "
                            "WHERE state IN " PENDING_STATES " ORDER BY id",
                            error);
    if (stmt != NULL)
      {
        if (normal != NULL)
          bind_text (stmt, 1, normal);
        jobs = job_collect (self, stmt, TRUE, error);
      }
  }

  store_rollback (self);
  return jobs;
}

/* 1 << the state's position in job_state_names, to test it against a mask in SQL */
#define JOB_STATE_BIT \
  "(CASE state WHEN 'queued' THEN 1 WHEN 'contacting' THEN 2 WHEN 'in-progress' THEN 4 " \
  "WHEN 'waiting-busy' THEN 8 WHEN 'done' THEN 16 WHEN 'failed' THEN 32 " \
  "WHEN 'cancelled' THEN 64 ELSE 0 END)"

GPtrArray *
wpi_store_job_list (WpiStore            *self,
                    const WpiJobFilter  *filter,
                    GError             **error)
{
  static const WpiJobFilter no_filter = { NULL, 0, 0 };
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (filter == NULL)
    filter = &no_filter;
  if (filter->mac != NULL && (normal = store_normalize_mac (filter->mac, error)) == NULL)
    return NULL;

  /* newest first so that LIMIT keeps the newest; put back in id order below */
  if (normal != NULL)
    stmt = store_prepare (self,
                          "SELECT " JOB_COLUMNS " FROM jobs WHERE mac = ?1 "
                          "AND (?2 = 0 OR ?2 & " JOB_STATE_BIT ") ORDER BY id DESC LIMIT ?3",
                          error);
  else
    stmt = store_prepare (self,
                          "SELECT " JOB_COLUMNS " FROM jobs "
                          "WHERE (?2 = 0 OR ?2 & " JOB_STATE_BIT ") ORDER BY id DESC LIMIT ?3",
                          error);
  if (stmt == NULL)
    return NULL;
  if (normal != NULL)
    bind_text (stmt, 1, normal);
  sqlite3_bind_int64 (stmt, 2, filter->state_mask);
  sqlite3_bind_int64 (stmt, 3, filter->limit == 0 ? -1 : (gint64) filter->limit);

  jobs = job_collect (self, stmt, FALSE, error);
  if (jobs == NULL)
    return NULL;
  for (guint i = 0, j = jobs->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = jobs->pdata[i];

      jobs->pdata[i] = jobs->pdata[j - 1];
      jobs->pdata[j - 1] = tmp;
    }
  return g_steal_pointer (&jobs);
}

static gboolean
job_read_state (WpiStore     *self,
                gint64        job_id,
                WpiJobState  *state,
                GError      **error)
{
  g_autoptr(CachedStmt) stmt = store_prepare (self, "SELECT state FROM jobs WHERE id = ?1", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return not_found (error, "No job %" G_GINT64_FORMAT, job_id);
  if (rc != SQLITE_ROW)
    return set_sqlite_error (self->db, rc, error, "Cannot read a job");
  *state = enum_column (stmt, 0, job_state_names, G_N_ELEMENTS (job_state_names),
                        WPI_JOB_STATE_FAILED);
  return TRUE;
}

static gboolean
job_set_state_in_transaction (WpiStore     *self,
                              gint64        job_id,
                              WpiJobState   state,
                              const char   *reason,
                              GError      **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  WpiJobState current;

  if (!job_read_state (self, job_id, &current, error))
    return FALSE;
  if (wpi_job_state_is_final (current))
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                   "Job %" G_GINT64_FORMAT " is already %s", job_id,
                   wpi_job_state_to_string (current));
      return FALSE;
    }

  stmt = store_prepare (self,
                        "UPDATE jobs SET state = ?2, failure_reason = ?3, updated_us = ?4 "
                        "WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  bind_text (stmt, 2, wpi_job_state_to_string (state));
  bind_text (stmt, 3, reason);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  return stmt_run (self, stmt, "Cannot store a job's state", error);
}

gboolean
wpi_store_job_set_state (WpiStore     *self,
                         gint64        job_id,
                         WpiJobState   state,
                         const char   *reason,
                         GError      **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (wpi_job_state_to_string (state) == NULL)
    return invalid (error, "Invalid job state %d", (int) state);
  if (state == WPI_JOB_STATE_FAILED && (reason == NULL || reason[0] == '\0'))
    return invalid (error, "A failed job needs a reason");
  if (reason != NULL && !g_utf8_validate (reason, -1, NULL))
    return invalid (error, "The reason is not valid UTF-8");

  STORE_WRITE (self, error, job_set_state_in_transaction (self, job_id, state, reason, error));
}

gboolean
wpi_store_job_cancel (WpiStore  *self,
                      gint64     job_id,
                      GError   **error)
{
  return wpi_store_job_set_state (self, job_id, WPI_JOB_STATE_CANCELLED, NULL, error);
}

gboolean
wpi_store_job_record_attempt (WpiStore  *self,
                              gint64     job_id,
                              gint64     next_attempt_us,
                              GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  g_autofree char *missing = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  stmt = store_prepare (self,
                        "UPDATE jobs SET attempts = attempts + 1, next_attempt_us = ?2, "
                        "updated_us = ?3 WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, next_attempt_us);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  missing = g_strdup_printf ("No job %" G_GINT64_FORMAT, job_id);
  STORE_WRITE (self, error, run_keyed_change (self, stmt, "Cannot store a job's attempt", missing, error));
}

static gboolean
job_reschedule_in_transaction (WpiStore  *self,
                               gint64     job_id,
                               gint64     next_attempt_us,
                               GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  WpiJobState current;

  if (!job_read_state (self, job_id, &current, error))
    return FALSE;
  if (wpi_job_state_is_final (current))
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                   "Job %" G_GINT64_FORMAT " is already %s", job_id,
                   wpi_job_state_to_string (current));
      return FALSE;
    }

  stmt = store_prepare (self,
                        "UPDATE jobs SET next_attempt_us = ?2, updated_us = ?3 WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, next_attempt_us);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return stmt_run (self, stmt, "Cannot reschedule a job", error);
}

gboolean
wpi_store_job_reschedule (WpiStore  *self,
                          gint64     job_id,
                          gint64     next_attempt_us,
                          GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (next_attempt_us < 0)
    return invalid (error, "Invalid time of the next attempt");

  STORE_WRITE (self, error, job_reschedule_in_transaction (self, job_id, next_attempt_us, error));
}

static gboolean
job_set_item_results_in_transaction (WpiStore            *self,
                                     gint64               job_id,
                                     const WpiStoreItem  *results,
                                     gsize                n_results,
                                     GError             **error)
{
  g_autoptr(CachedStmt) update = NULL;
  g_autoptr(CachedStmt) append = NULL;
  g_autoptr(CachedStmt) touch = NULL;
  WpiJobState state;

  if (!job_read_state (self, job_id, &state, error))
    return FALSE;

  update = store_prepare (self,
                          "UPDATE job_items SET status = ?4, value = coalesce (value, ?5) "
                          "WHERE job_id = ?1 AND name = ?2 AND idx = ?3",
                          error);
  append = store_prepare (self,
                          "INSERT INTO job_items (job_id, pos, name, idx, value, status) "
                          "SELECT ?1, coalesce (max (pos) + 1, 0), ?2, ?3, ?5, ?4 "
                          "FROM job_items WHERE job_id = ?1",
                          error);
  if (update == NULL || append == NULL)
    return FALSE;

  for (gsize i = 0; i < n_results; i++)
    {
      const WpiStoreItem *result = &results[i];

      sqlite3_bind_int64 (update, 1, job_id);
      bind_text (update, 2, result->name);
      sqlite3_bind_int64 (update, 3, item_idx (result));
      bind_text (update, 4, result->status);
      bind_text (update, 5, result->value);
      if (!stmt_run (self, update, "Cannot store a job item's result", error))
        return FALSE;
      sqlite3_reset (update);
      if (sqlite3_changes (self->db) > 0)
        continue;

      sqlite3_bind_int64 (append, 1, job_id);
      bind_text (append, 2, result->name);
      sqlite3_bind_int64 (append, 3, item_idx (result));
      bind_text (append, 4, result->status);
      bind_text (append, 5, result->value);
      if (!stmt_run (self, append, "Cannot store a job item's result", error))
        return FALSE;
      sqlite3_reset (append);
    }

  touch = store_prepare (self, "UPDATE jobs SET updated_us = ?2 WHERE id = ?1", error);
  if (touch == NULL)
    return FALSE;
  sqlite3_bind_int64 (touch, 1, job_id);
  sqlite3_bind_int64 (touch, 2, g_get_real_time ());
  return stmt_run (self, touch, "Cannot store a job", error);
}

gboolean
wpi_store_job_set_item_results (WpiStore            *self,
                                gint64               job_id,
                                const WpiStoreItem  *results,
                                gsize                n_results,
                                GError             **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (!validate_items (results, n_results, FALSE, TRUE, error))
    return FALSE;
  for (gsize i = 0; i < n_results; i++)
    if (results[i].status != NULL && !g_utf8_validate (results[i].status, -1, NULL))
      return invalid (error, "The status of item “%s” is not valid UTF-8", results[i].name);

  STORE_WRITE (self, error,
               job_set_item_results_in_transaction (self, job_id, results, n_results, error));
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

  upsert = store_prepare (self,
                          "INSERT INTO profiles (name, created_us, updated_us) VALUES (?1, ?2, ?2) "
                          "ON CONFLICT (name) DO UPDATE SET updated_us = excluded.updated_us",
                          error);
  clear = store_prepare (self, "DELETE FROM profile_items WHERE profile = ?1", error);
  insert = store_prepare (self,
                          "INSERT INTO profile_items (profile, pos, name, idx, value) "
                          "VALUES (?1, ?2, ?3, ?4, ?5)",
                          error);
  if (upsert == NULL || clear == NULL || insert == NULL)
    return FALSE;

  bind_text (upsert, 1, name);
  sqlite3_bind_int64 (upsert, 2, now);
  if (!stmt_run (self, upsert, "Cannot store a profile", error))
    return FALSE;
  bind_text (clear, 1, name);
  if (!stmt_run (self, clear, "Cannot store a profile", error))
    return FALSE;

  bind_text (insert, 1, name);
  for (gsize i = 0; i < n_items; i++)
    {
      sqlite3_bind_int64 (insert, 2, (gint64) i);
      bind_text (insert, 3, items[i].name);
      sqlite3_bind_int64 (insert, 4, item_idx (&items[i]));
      bind_text (insert, 5, items[i].value);
      if (!stmt_run (self, insert, "Cannot store a profile's item", error))
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
    return invalid (error, "A profile needs a name");
  if (!validate_items (items, n_items, TRUE, TRUE, error))
    return FALSE;

  STORE_WRITE (self, error, profile_set_in_transaction (self, name, items, n_items, error));
}

#define PROFILE_COLUMNS "name, is_default, created_us, updated_us"

static WpiProfileRecord *
profile_from_row (sqlite3_stmt *stmt)
{
  WpiProfileRecord *profile = g_new0 (WpiProfileRecord, 1);

  profile->name = column_strdup (stmt, 0);
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

  stmt = store_prepare (self,
                        "SELECT name, idx, value FROM profile_items WHERE profile = ?1 "
                        "ORDER BY pos",
                        error);
  if (stmt == NULL)
    return FALSE;
  bind_text (stmt, 1, profile->name);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_array_set_size (items, items->len + 1);
      item_from_row (&g_array_index (items, WpiStoreItem, items->len - 1), stmt, 0, 1, 2);
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self->db, rc, error, "Cannot read a profile's items");
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
      stmt = store_prepare (self, "SELECT " PROFILE_COLUMNS " FROM profiles WHERE name = ?1",
                            error);
    else
      stmt = store_prepare (self, "SELECT " PROFILE_COLUMNS " FROM profiles WHERE is_default = 1",
                            error);
    if (stmt == NULL)
      return NULL;
    if (name != NULL)
      bind_text (stmt, 1, name);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_DONE)
      {
        if (name != NULL)
          not_found (error, "No profile named “%s”", name);
        return NULL;
      }
    if (rc != SQLITE_ROW)
      {
        set_sqlite_error (self->db, rc, error, "Cannot read a profile");
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
      invalid (error, "No profile name given");
      return NULL;
    }
  if (!store_begin (self, FALSE, error))
    return NULL;
  profile = profile_get_in_transaction (self, name, error);
  store_rollback (self);
  return profile;
}

WpiProfileRecord *
wpi_store_profile_get_default (WpiStore  *self,
                               GError   **error)
{
  WpiProfileRecord *profile;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (!store_begin (self, FALSE, error))
    return NULL;
  profile = profile_get_in_transaction (self, NULL, error);
  store_rollback (self);
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

  stmt = store_prepare (self, "SELECT " PROFILE_COLUMNS " FROM profiles ORDER BY name", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (profiles, profile_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error, "Cannot list the profiles");
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

  if (!require_profile (self, name, error))
    return FALSE;

  /* a queued apply-profile job would otherwise fail later for a reason nobody sees now */
  in_use = store_prepare (self,
                          "SELECT id FROM jobs WHERE kind = 'apply-profile' AND parameter = ?1 "
                          "AND state IN " PENDING_STATES " LIMIT 1",
                          error);
  if (in_use == NULL)
    return FALSE;
  bind_text (in_use, 1, name);
  rc = sqlite3_step (in_use);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                   "Profile “%s” is still to be applied by job %" G_GINT64_FORMAT, name,
                   (gint64) sqlite3_column_int64 (in_use, 0));
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return set_sqlite_error (self->db, rc, error, "Cannot delete a profile");

  delete = store_prepare (self, "DELETE FROM profiles WHERE name = ?1", error);
  if (delete == NULL)
    return FALSE;
  bind_text (delete, 1, name);
  return stmt_run (self, delete, "Cannot delete a profile", error);
}

gboolean
wpi_store_profile_delete (WpiStore    *self,
                          const char  *name,
                          GError     **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (name == NULL)
    return invalid (error, "No profile name given");

  STORE_WRITE (self, error, profile_delete_in_transaction (self, name, error));
}

static gboolean
profile_set_default_in_transaction (WpiStore    *self,
                                    const char  *name,
                                    GError     **error)
{
  g_autoptr(CachedStmt) clear = NULL;
  g_autoptr(CachedStmt) mark = NULL;

  if (name != NULL && !require_profile (self, name, error))
    return FALSE;

  clear = store_prepare (self, "UPDATE profiles SET is_default = 0 WHERE is_default = 1", error);
  if (clear == NULL || !stmt_run (self, clear, "Cannot change the default profile", error))
    return FALSE;
  if (name == NULL)
    return TRUE;

  mark = store_prepare (self, "UPDATE profiles SET is_default = 1 WHERE name = ?1", error);
  if (mark == NULL)
    return FALSE;
  bind_text (mark, 1, name);
  return stmt_run (self, mark, "Cannot change the default profile", error);
}

gboolean
wpi_store_profile_set_default (WpiStore    *self,
                               const char  *name,
                               GError     **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  STORE_WRITE (self, error, profile_set_default_in_transaction (self, name, error));
}

/* ---- traffic ---- */

#define TRAFFIC_SUMMARY_COLUMNS \
  "id, time_us, direction, port, mode, peer, mac, flow_id, root, nonce, reason, action, " \
  "status, fragment, item_count, size, error_code, error_text"

static WpiTrafficRecord *
traffic_from_row (sqlite3_stmt *stmt,
                  gboolean      with_bytes)
{
  WpiTrafficRecord *record = wpi_traffic_record_new ();

  record->id = sqlite3_column_int64 (stmt, 0);
  record->time_us = sqlite3_column_int64 (stmt, 1);
  record->direction = enum_column (stmt, 2, direction_names, G_N_ELEMENTS (direction_names),
                                   WPI_TRAFFIC_DIRECTION_IN);
  record->port = (guint) sqlite3_column_int (stmt, 3);
  record->mode = enum_column (stmt, 4, phone_mode_names, G_N_ELEMENTS (phone_mode_names),
                              WPI_PHONE_MODE_DEFAULT);
  record->peer = column_strdup (stmt, 5);
  record->mac = column_strdup (stmt, 6);
  record->flow_id = column_strdup (stmt, 7);
  record->root = column_strdup (stmt, 8);
  record->nonce = column_strdup (stmt, 9);
  record->reason = column_strdup (stmt, 10);
  record->action = column_strdup (stmt, 11);
  record->status = column_strdup (stmt, 12);
  record->fragment = column_strdup (stmt, 13);
  record->item_count = sqlite3_column_type (stmt, 14) == SQLITE_NULL
                       ? -1 : sqlite3_column_int (stmt, 14);
  record->size = sqlite3_column_int64 (stmt, 15);
  record->error_code = sqlite3_column_int (stmt, 16);
  record->error_text = column_strdup (stmt, 17);
  if (with_bytes)
    {
      record->headers = column_bytes (stmt, 18);
      record->body = column_bytes (stmt, 19);
    }
  return record;
}

static gboolean
traffic_bounds (WpiStore  *self,
                gint64    *first_id,
                gint64    *last_id,
                GError   **error)
{
  /* two queries: SQLite answers a lone min() or max() from the b-tree's end, but a
   * query with both scans the table */
  static const char *const queries[] = {
    "SELECT id FROM traffic ORDER BY id ASC LIMIT 1",
    "SELECT id FROM traffic ORDER BY id DESC LIMIT 1",
  };
  gint64 *answers[] = { first_id, last_id };

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr(CachedStmt) stmt = store_prepare (self, queries[i], error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        *answers[i] = sqlite3_column_int64 (stmt, 0);
      else if (rc == SQLITE_DONE)
        *answers[i] = 0;
      else
        return set_sqlite_error (self->db, rc, error, "Cannot count the traffic log");
    }
  return TRUE;
}

/* Deletes the oldest messages past limit, at most max_delete of them. Once over the
 * limit it goes down to limit - slack, so that the following appends delete nothing.
 * known_last: the newest id when the caller just inserted it, else 0. */
static gboolean
traffic_trim (WpiStore  *self,
              gint64     limit,
              gint64     max_delete,
              gint64     known_last,
              gboolean  *more,
              GError   **error)
{
  g_autoptr(CachedStmt) delete_summary = NULL;
  g_autoptr(CachedStmt) delete_raw = NULL;
  gint64 first, last, count, keep, to_delete;

  *more = FALSE;
  if (known_last > 0)
    {
      g_autoptr(CachedStmt) stmt = store_prepare (self, "SELECT id FROM traffic ORDER BY id ASC LIMIT 1",
                                                  error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        return set_sqlite_error (self->db, rc, error, "Cannot count the traffic log");
      first = sqlite3_column_int64 (stmt, 0);
      last = known_last;
    }
  else if (!traffic_bounds (self, &first, &last, error))
    return FALSE;

  count = last > 0 ? last - first + 1 : 0;
  if (count <= limit)
    return TRUE;

  keep = limit - MIN (limit / TRAFFIC_SLACK_DIVISOR, TRAFFIC_SLACK_MAX);
  to_delete = count - keep;
  if (to_delete > max_delete)
    {
      to_delete = max_delete;
      *more = TRUE;
    }

  delete_summary = store_prepare (self, "DELETE FROM traffic WHERE id < ?1", error);
  delete_raw = store_prepare (self, "DELETE FROM traffic_raw WHERE id < ?1", error);
  if (delete_summary == NULL || delete_raw == NULL)
    return FALSE;
  sqlite3_bind_int64 (delete_summary, 1, first + to_delete);
  sqlite3_bind_int64 (delete_raw, 1, first + to_delete);
  return stmt_run (self, delete_summary, "Cannot delete old traffic", error) &&
         stmt_run (self, delete_raw, "Cannot delete old traffic", error);
}

static gboolean
traffic_limit (WpiStore  *self,
               gint64    *limit,
               GError   **error)
{
  if (!wpi_store_setting_get_int (self, WPI_STORE_SETTING_TRAFFIC_LIMIT,
                                  WPI_STORE_DEFAULT_TRAFFIC_LIMIT, limit, error))
    return FALSE;
  if (*limit < 1)
    *limit = 1;
  return TRUE;
}

static gboolean
traffic_append_in_transaction (WpiStore                *self,
                               const WpiTrafficRecord  *record,
                               const char              *mac,
                               gint64                  *id,
                               GError                 **error)
{
  g_autoptr(CachedStmt) summary = NULL;
  g_autoptr(CachedStmt) raw = NULL;
  gint64 limit;
  gint64 size = record->size;
  gint64 new_id;
  gboolean more;

  if (size < 0)
    size = record->body != NULL ? (gint64) g_bytes_get_size (record->body) : 0;

  summary = store_prepare (self,
                           "INSERT INTO traffic (time_us, direction, port, mode, peer, mac, flow_id, "
                           "  root, nonce, reason, action, status, fragment, item_count, size, "
                           "  error_code, error_text) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                           "  ?15, ?16, ?17)",
                           error);
  raw = store_prepare (self, "INSERT INTO traffic_raw (id, headers, body) VALUES (?1, ?2, ?3)",
                       error);
  if (summary == NULL || raw == NULL)
    return FALSE;

  sqlite3_bind_int64 (summary, 1, record->time_us);
  bind_text (summary, 2, wpi_traffic_direction_to_string (record->direction));
  sqlite3_bind_int (summary, 3, (int) record->port);
  bind_text (summary, 4, wpi_phone_mode_to_string (record->mode));
  bind_text (summary, 5, record->peer);
  bind_text (summary, 6, mac);
  bind_text (summary, 7, record->flow_id);
  bind_text (summary, 8, record->root);
  bind_text (summary, 9, record->nonce);
  bind_text (summary, 10, record->reason);
  bind_text (summary, 11, record->action);
  bind_text (summary, 12, record->status);
  bind_text (summary, 13, record->fragment);
  bind_int64_or_null (summary, 14, record->item_count < 0 ? -1 : record->item_count, -1);
  sqlite3_bind_int64 (summary, 15, size);
  /* a code means nothing without its text (0 is a valid codec code) */
  if (record->error_text != NULL)
    sqlite3_bind_int (summary, 16, record->error_code);
  else
    sqlite3_bind_null (summary, 16);
  bind_text (summary, 17, record->error_text);
  if (!stmt_run (self, summary, "Cannot log a message", error))
    return FALSE;
  new_id = sqlite3_last_insert_rowid (self->db);

  sqlite3_bind_int64 (raw, 1, new_id);
  bind_bytes (raw, 2, record->headers);
  bind_bytes (raw, 3, record->body);
  if (!stmt_run (self, raw, "Cannot log a message", error))
    return FALSE;

  if (id != NULL)
    *id = new_id;
  return traffic_limit (self, &limit, error) &&
         traffic_trim (self, limit, TRAFFIC_DELETE_BATCH, new_id, &more, error);
}

gboolean
wpi_store_traffic_append (WpiStore                *self,
                          const WpiTrafficRecord  *record,
                          gint64                  *id,
                          GError                 **error)
{
  g_autofree char *mac = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (record != NULL, FALSE);

  const char *texts[] = {
    record->peer, record->flow_id, record->root, record->nonce, record->reason,
    record->action, record->status, record->fragment, record->error_text,
  };

  if (wpi_traffic_direction_to_string (record->direction) == NULL)
    return invalid (error, "Invalid traffic direction %d", (int) record->direction);
  if (wpi_phone_mode_to_string (record->mode) == NULL)
    return invalid (error, "Invalid port mode %d", (int) record->mode);
  if (record->port > 65535)
    return invalid (error, "Invalid port %u", record->port);
  if (record->mac != NULL && (mac = store_normalize_mac (record->mac, error)) == NULL)
    return FALSE;
  /* summary fields come from a decoder that already insists on UTF-8; a raw
   * undecodable body goes in `body`, which is a BLOB */
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i] != NULL && !g_utf8_validate (texts[i], -1, NULL))
      return invalid (error, "A traffic summary field is not valid UTF-8");

  STORE_WRITE (self, error, traffic_append_in_transaction (self, record, mac, id, error));
}

gboolean
wpi_store_traffic_get_bounds (WpiStore  *self,
                              gint64    *first_id,
                              gint64    *last_id,
                              GError   **error)
{
  gint64 first, last;
  gboolean ok;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  /* both ends from one snapshot */
  if (!store_begin (self, FALSE, error))
    return FALSE;
  ok = traffic_bounds (self, &first, &last, error);
  store_rollback (self);
  if (!ok)
    return FALSE;
  if (first_id != NULL)
    *first_id = first;
  if (last_id != NULL)
    *last_id = last;
  return TRUE;
}

gint64
wpi_store_traffic_count (WpiStore  *self,
                         GError   **error)
{
  gint64 first, last;

  if (!wpi_store_traffic_get_bounds (self, &first, &last, error))
    return -1;
  return last > 0 ? last - first + 1 : 0;
}

static GPtrArray *
traffic_collect (WpiStore    *self,
                 CachedStmt  *stmt,
                 GError     **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_traffic_record_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, traffic_from_row (stmt, FALSE));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error, "Cannot read the traffic log");
      return NULL;
    }
  return g_steal_pointer (&records);
}

GPtrArray *
wpi_store_traffic_get_range (WpiStore  *self,
                             gint64     first_id,
                             guint      n,
                             GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = store_prepare (self,
                        "SELECT " TRAFFIC_SUMMARY_COLUMNS " FROM traffic WHERE id >= ?1 "
                        "ORDER BY id LIMIT ?2",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, first_id);
  sqlite3_bind_int64 (stmt, 2, n);
  return traffic_collect (self, stmt, error);
}

WpiTrafficRecord *
wpi_store_traffic_get (WpiStore  *self,
                       gint64     id,
                       GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = store_prepare (self,
                        "SELECT " TRAFFIC_SUMMARY_COLUMNS ", headers, body "
                        "FROM traffic LEFT JOIN traffic_raw USING (id) WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return traffic_from_row (stmt, TRUE);
  if (rc == SQLITE_DONE)
    not_found (error, "No message %" G_GINT64_FORMAT " in the traffic log", id);
  else
    set_sqlite_error (self->db, rc, error, "Cannot read the traffic log");
  return NULL;
}

GPtrArray *
wpi_store_traffic_list_by_mac (WpiStore    *self,
                               const char  *mac,
                               gint64       after_id,
                               guint        limit,
                               GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return NULL;
  stmt = store_prepare (self,
                        "SELECT " TRAFFIC_SUMMARY_COLUMNS " FROM traffic "
                        "WHERE mac = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                        error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, normal);
  sqlite3_bind_int64 (stmt, 2, after_id);
  sqlite3_bind_int64 (stmt, 3, limit == 0 ? -1 : (gint64) limit);
  return traffic_collect (self, stmt, error);
}

GPtrArray *
wpi_store_traffic_list_by_flow (WpiStore    *self,
                                const char  *flow_id,
                                GError     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (flow_id == NULL)
    {
      invalid (error, "No flow given");
      return NULL;
    }
  stmt = store_prepare (self,
                        "SELECT " TRAFFIC_SUMMARY_COLUMNS " FROM traffic WHERE flow_id = ?1 "
                        "ORDER BY id",
                        error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, flow_id);
  return traffic_collect (self, stmt, error);
}

gboolean
wpi_store_traffic_enforce_retention (WpiStore  *self,
                                     GError   **error)
{
  gboolean more = TRUE;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  /* one batch per transaction, so that other writers get the lock in between */
  while (more)
    {
      gint64 limit;

      if (!store_begin (self, TRUE, error))
        return FALSE;
      if (!traffic_limit (self, &limit, error) ||
          !traffic_trim (self, limit, TRAFFIC_DELETE_BATCH, 0, &more, error))
        {
          store_rollback (self);
          return FALSE;
        }
      if (!store_commit (self, error))
        return FALSE;
    }
  return TRUE;
}

/* The oldest run of messages logged before before_us, up to max_delete of them: [first,
 * *end). Only a run from the oldest goes, so that the ids stay dense. */
static gboolean
traffic_old_run (WpiStore  *self,
                 gint64     before_us,
                 gint64     max_delete,
                 gint64    *first,
                 gint64    *end,
                 gboolean  *more,
                 GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  gint64 last;
  int rc;

  if (!traffic_bounds (self, first, &last, error))
    return FALSE;
  *end = *first;
  if (last == 0)
    return TRUE;
  stmt = store_prepare (self,
                        "SELECT id FROM traffic WHERE id >= ?1 AND id < ?2 AND time_us >= ?3 "
                        "ORDER BY id LIMIT 1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, *first);
  sqlite3_bind_int64 (stmt, 2, *first + max_delete);
  sqlite3_bind_int64 (stmt, 3, before_us);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *end = sqlite3_column_int64 (stmt, 0);
  else if (rc == SQLITE_DONE)
    {
      *end = MIN (*first + max_delete, last + 1);
      *more = *end <= last;
    }
  else
    return set_sqlite_error (self->db, rc, error, "Cannot read the traffic log");
  return TRUE;
}

gboolean
wpi_store_traffic_delete_before (WpiStore  *self,
                                 gint64     before_us,
                                 guint      max_delete,
                                 gboolean  *more,
                                 GError   **error)
{
  g_autoptr(CachedStmt) delete_summary = NULL;
  g_autoptr(CachedStmt) delete_raw = NULL;
  gint64 first = 0, end = 0;
  gboolean ok;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (more != NULL, FALSE);

  *more = FALSE;
  if (!store_begin (self, TRUE, error))
    return FALSE;
  ok = traffic_old_run (self, before_us, MAX (max_delete, 1), &first, &end, more, error);
  if (ok && end > first)
    {
      delete_summary = store_prepare (self, "DELETE FROM traffic WHERE id < ?1", error);
      delete_raw = store_prepare (self, "DELETE FROM traffic_raw WHERE id < ?1", error);
      ok = delete_summary != NULL && delete_raw != NULL;
      if (ok)
        {
          sqlite3_bind_int64 (delete_summary, 1, end);
          sqlite3_bind_int64 (delete_raw, 1, end);
          ok = stmt_run (self, delete_summary, "Cannot delete old traffic", error) &&
               stmt_run (self, delete_raw, "Cannot delete old traffic", error);
        }
    }
  if (!ok)
    {
      store_rollback (self);
      return FALSE;
    }
  return store_commit (self, error);
}

gboolean
wpi_store_traffic_set_limit (WpiStore  *self,
                             gint64     limit,
                             GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (limit < 1)
    return invalid (error, "The traffic log must keep at least one message, not %" G_GINT64_FORMAT,
                    limit);
  return wpi_store_setting_set_int (self, WPI_STORE_SETTING_TRAFFIC_LIMIT, limit, error) &&
         wpi_store_traffic_enforce_retention (self, error);
}

/* ---- PINs ---- */

#define PIN_COLUMNS \
  "id, mac, pin, state, reason, max_retries, job_id, created_us, updated_us"

#define PIN_MIN_DIGITS 8
#define PIN_MAX_DIGITS 20

static WpiPinRecord *
pin_from_row (sqlite3_stmt *stmt)
{
  WpiPinRecord *pin = g_new0 (WpiPinRecord, 1);

  pin->id = sqlite3_column_int64 (stmt, 0);
  pin->mac = column_strdup (stmt, 1);
  pin->pin = column_strdup (stmt, 2);
  pin->state = enum_column (stmt, 3, pin_state_names, G_N_ELEMENTS (pin_state_names),
                            WPI_PIN_STATE_FAILED);
  pin->reason = column_strdup (stmt, 4);
  pin->max_retries = (guint) sqlite3_column_int64 (stmt, 5);
  pin->job_id = sqlite3_column_int64 (stmt, 6);
  pin->created_us = sqlite3_column_int64 (stmt, 7);
  pin->updated_us = sqlite3_column_int64 (stmt, 8);
  return pin;
}

static gboolean
pin_create_in_transaction (WpiStore    *self,
                           const char  *mac,
                           const char  *pin,
                           guint        max_retries,
                           gint64       job_id,
                           gint64      *pin_id,
                           GError     **error)
{
  g_autoptr(CachedStmt) supersede = NULL;
  g_autoptr(CachedStmt) insert = NULL;
  gint64 now = g_get_real_time ();

  if (!require_phone (self, mac, error))
    return FALSE;
  if (job_id != 0)
    {
      WpiJobState state;

      if (!job_read_state (self, job_id, &state, error))
        return FALSE;
    }

  supersede = store_prepare (self,
                             "UPDATE pins SET state = 're-issued', updated_us = ?2 WHERE mac = ?1 "
                             "AND state IN ('generated', 'handed-out', 'bundle-delivered', 'failed')",
                             error);
  insert = store_prepare (self,
                          "INSERT INTO pins (mac, pin, max_retries, job_id, created_us, updated_us) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                          error);
  if (supersede == NULL || insert == NULL)
    return FALSE;

  bind_text (supersede, 1, mac);
  sqlite3_bind_int64 (supersede, 2, now);
  if (!stmt_run (self, supersede, "Cannot re-issue a PIN", error))
    return FALSE;

  bind_text (insert, 1, mac);
  bind_text (insert, 2, pin);
  sqlite3_bind_int64 (insert, 3, max_retries);
  bind_int64_or_null (insert, 4, job_id, 0);
  sqlite3_bind_int64 (insert, 5, now);
  if (!stmt_run (self, insert, "Cannot store a PIN", error))
    return FALSE;
  if (pin_id != NULL)
    *pin_id = sqlite3_last_insert_rowid (self->db);
  return TRUE;
}

gboolean
wpi_store_pin_create (WpiStore    *self,
                      const char  *mac,
                      const char  *pin,
                      guint        max_retries,
                      gint64       job_id,
                      gint64      *pin_id,
                      GError     **error)
{
  g_autofree char *normal = NULL;
  gsize len;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;
  len = pin != NULL ? strlen (pin) : 0;
  if (len < PIN_MIN_DIGITS || len > PIN_MAX_DIGITS)
    return invalid (error, "A PIN has %d to %d digits, not %" G_GSIZE_FORMAT,
                    PIN_MIN_DIGITS, PIN_MAX_DIGITS, len);
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (pin[i]))
      /* the message does not quote the PIN: errors end up in logs */
      return invalid (error, "A PIN has digits only");
  if (max_retries > G_MAXINT)
    return invalid (error, "Invalid maximum of PIN retries %u", max_retries);

  STORE_WRITE (self, error,
               pin_create_in_transaction (self, normal, pin, max_retries, job_id, pin_id, error));
}

WpiPinRecord *
wpi_store_pin_get (WpiStore  *self,
                   gint64     pin_id,
                   GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = store_prepare (self, "SELECT " PIN_COLUMNS " FROM pins WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pin_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return pin_from_row (stmt);
  if (rc == SQLITE_DONE)
    not_found (error, "No PIN %" G_GINT64_FORMAT, pin_id);
  else
    set_sqlite_error (self->db, rc, error, "Cannot read a PIN");
  return NULL;
}

WpiPinRecord *
wpi_store_pin_get_current (WpiStore    *self,
                           const char  *mac,
                           GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = store_normalize_mac (mac, error);
  if (normal == NULL)
    return NULL;
  stmt = store_prepare (self,
                        "SELECT " PIN_COLUMNS " FROM pins WHERE mac = ?1 ORDER BY id DESC LIMIT 1",
                        error);
  if (stmt == NULL)
    return NULL;
  bind_text (stmt, 1, normal);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return pin_from_row (stmt);
  if (rc == SQLITE_DONE)
    not_found (error, "Phone %s has no PIN", normal);
  else
    set_sqlite_error (self->db, rc, error, "Cannot read a PIN");
  return NULL;
}

GPtrArray *
wpi_store_pin_list (WpiStore  *self,
                    gboolean   current_only,
                    GError   **error)
{
  g_autoptr(GPtrArray) pins = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_pin_record_free);
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  if (current_only)
    stmt = store_prepare (self,
                          "SELECT " PIN_COLUMNS " FROM pins "
                          "WHERE id IN (SELECT max (id) FROM pins GROUP BY mac) ORDER BY mac",
                          error);
  else
    stmt = store_prepare (self, "SELECT " PIN_COLUMNS " FROM pins ORDER BY mac, id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (pins, pin_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error, "Cannot list the PINs");
      return NULL;
    }
  return g_steal_pointer (&pins);
}

static gboolean
pin_state_in_chain (WpiPinState state)
{
  return state <= WPI_PIN_STATE_VERIFIED;
}

static gboolean
pin_set_state_in_transaction (WpiStore     *self,
                              gint64        pin_id,
                              WpiPinState   state,
                              const char   *reason,
                              GError      **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  WpiPinState current;

  {
    g_autoptr(CachedStmt) read = store_prepare (self, "SELECT state FROM pins WHERE id = ?1", error);
    int rc;

    if (read == NULL)
      return FALSE;
    sqlite3_bind_int64 (read, 1, pin_id);
    rc = sqlite3_step (read);
    if (rc == SQLITE_DONE)
      return not_found (error, "No PIN %" G_GINT64_FORMAT, pin_id);
    if (rc != SQLITE_ROW)
      return set_sqlite_error (self->db, rc, error, "Cannot read a PIN");
    current = enum_column (read, 0, pin_state_names, G_N_ELEMENTS (pin_state_names),
                           WPI_PIN_STATE_FAILED);
  }

  if (current != state)
    {
      gboolean allowed;

      if (current == WPI_PIN_STATE_VERIFIED || current == WPI_PIN_STATE_REISSUED)
        allowed = FALSE;
      else if (current == WPI_PIN_STATE_FAILED)
        allowed = state == WPI_PIN_STATE_REISSUED;
      else
        allowed = TRUE;

      if (!allowed)
        {
          g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                       "PIN %" G_GINT64_FORMAT " is %s and cannot become %s", pin_id,
                       wpi_pin_state_to_string (current), wpi_pin_state_to_string (state));
          return FALSE;
        }
      /* the handout may be printed after the bundle was delivered: keep the later step */
      if (pin_state_in_chain (state) && pin_state_in_chain (current) && state < current)
        return TRUE;
    }

  stmt = store_prepare (self, "UPDATE pins SET state = ?2, reason = ?3, updated_us = ?4 WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, pin_id);
  bind_text (stmt, 2, wpi_pin_state_to_string (state));
  bind_text (stmt, 3, reason);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  return stmt_run (self, stmt, "Cannot store a PIN's state", error);
}

gboolean
wpi_store_pin_set_state (WpiStore     *self,
                         gint64        pin_id,
                         WpiPinState   state,
                         const char   *reason,
                         GError      **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (wpi_pin_state_to_string (state) == NULL)
    return invalid (error, "Invalid PIN state %d", (int) state);
  if (state == WPI_PIN_STATE_FAILED && (reason == NULL || reason[0] == '\0'))
    return invalid (error, "A failed PIN needs a reason");
  if (reason != NULL && !g_utf8_validate (reason, -1, NULL))
    return invalid (error, "The reason is not valid UTF-8");

  STORE_WRITE (self, error, pin_set_state_in_transaction (self, pin_id, state, reason, error));
}

/* ---- security events ---- */

gboolean
wpi_store_security_event_add (WpiStore    *self,
                              gint64       time_us,
                              const char  *peer,
                              const char  *mac,
                              const char  *kind,
                              const char  *detail,
                              GError     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  g_autofree char *normal = NULL;
  const char *texts[] = { peer, mac, kind, detail };

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (kind == NULL || kind[0] == '\0')
    return invalid (error, "A security event needs a kind");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i] != NULL && !g_utf8_validate (texts[i], -1, NULL))
      return invalid (error, "A security event field is not valid UTF-8");
  /* a spoofing phone may claim anything: keep what it claimed when it is no MAC */
  if (mac != NULL)
    normal = store_normalize_mac (mac, NULL);

  stmt = store_prepare (self,
                        "INSERT INTO security_events (time_us, peer, mac, kind, detail) "
                        "VALUES (?1, ?2, ?3, ?4, ?5)",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, time_us);
  bind_text (stmt, 2, peer);
  bind_text (stmt, 3, normal != NULL ? normal : mac);
  bind_text (stmt, 4, kind);
  bind_text (stmt, 5, detail);
  STORE_WRITE (self, error, stmt_run (self, stmt, "Cannot log a security event", error));
}

GPtrArray *
wpi_store_security_event_list (WpiStore  *self,
                               gint64     after_id,
                               guint      limit,
                               GError   **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_security_event_free);
  g_autoptr(CachedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = store_prepare (self,
                        "SELECT id, time_us, peer, mac, kind, detail FROM security_events "
                        "WHERE id > ?1 ORDER BY id LIMIT ?2",
                        error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, limit == 0 ? -1 : (gint64) limit);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WpiSecurityEvent *event = g_new0 (WpiSecurityEvent, 1);

      event->id = sqlite3_column_int64 (stmt, 0);
      event->time_us = sqlite3_column_int64 (stmt, 1);
      event->peer = column_strdup (stmt, 2);
      event->mac = column_strdup (stmt, 3);
      event->kind = column_strdup (stmt, 4);
      event->detail = column_strdup (stmt, 5);
      g_ptr_array_add (events, event);
    }
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self->db, rc, error, "Cannot list the security events");
      return NULL;
    }
  return g_steal_pointer (&events);
}
