/* wpi-store-traffic.c: the traffic log and security events */
#include "config.h"

#include <string.h>

#include "wpi-store-private.h"

/* Past the limit, append() deletes this share of it at once (up to a cap), so the
 * deletions come in batches rather than one row per message. */
#define TRAFFIC_SLACK_DIVISOR   100
#define TRAFFIC_SLACK_MAX       1000
/* The most rows one retention step deletes: bounds the time a writer holds the lock. */
#define TRAFFIC_DELETE_BATCH    10000
/* Past the byte budget, append() deletes down to this much below it (a share of it,
 * up to a cap), for the same reason */
#define TRAFFIC_SLACK_BYTES_MAX (16 * 1024 * 1024)
/* The running sum of the raw headers' and bodies' lengths, kept with every write in the
 * same transaction; a store without it (older than the budget) is counted once. */
#define TRAFFIC_RAW_BYTES_KEY   "traffic-raw-bytes"
#define RAW_LENGTH              "ifnull(length(headers), 0) + ifnull(length(body), 0)"

/* ---- boxed records ---- */

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
  copy->item_index = record->item_index ? g_bytes_ref (record->item_index) : NULL;
  return copy;
}

/* The columns a decoded message fills (wpi_traffic_record_set_summary()) */
static void
clear_summary (WpiTrafficRecord *record)
{
  g_clear_pointer (&record->root, g_free);
  g_clear_pointer (&record->nonce, g_free);
  g_clear_pointer (&record->reason, g_free);
  g_clear_pointer (&record->action, g_free);
  g_clear_pointer (&record->status, g_free);
  g_clear_pointer (&record->fragment, g_free);
}

void
wpi_traffic_record_free (WpiTrafficRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->peer);
  g_free (record->mac);
  g_free (record->flow_id);
  clear_summary (record);
  g_free (record->error_text);
  g_clear_pointer (&record->headers, g_bytes_unref);
  g_clear_pointer (&record->body, g_bytes_unref);
  g_clear_pointer (&record->item_index, g_bytes_unref);
  g_free (record);
}

void
wpi_traffic_record_set_summary (WpiTrafficRecord *record,
                                WpiMessage       *message)
{
  clear_summary (record);
  record->root = g_strdup (wpi_message_kind_to_string (wpi_message_get_kind (message)));
  record->nonce = g_strdup (wpi_message_get_nonce (message));
  record->reason = g_strdup (wpi_message_get_reason_string (message));
  record->action = g_strdup (wpi_message_get_action_string (message));
  record->status = g_strdup (wpi_message_get_status_string (message));
  record->fragment = g_strdup (wpi_message_get_fragment_string (message));
  record->item_count = (gint) wpi_message_get_n_items (message);
}

G_DEFINE_BOXED_TYPE (WpiTrafficRecord, wpi_traffic_record, wpi_traffic_record_copy,
                     wpi_traffic_record_free)

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

/* ---- the item index (D28) ---- */

/* The first byte says whether every value is there; then each item as its name and its
 * value, each ended by a NUL (neither holds one: they come from XML). */
#define ITEM_INDEX_COMPLETE 'C'
#define ITEM_INDEX_PARTIAL  'P'

GBytes *
wpi_traffic_item_index_new (WpiMessage *message)
{
  guint n;
  GByteArray *index;
  gboolean complete = TRUE;

  g_return_val_if_fail (WPI_IS_MESSAGE (message), NULL);

  n = wpi_message_get_n_items (message);
  if (n == 0)
    return NULL;
  index = g_byte_array_sized_new (1 + n * 32);
  g_byte_array_append (index, (const guint8 *) "C", 1);
  for (guint i = 0; i < n; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);
      gsize value_length = strlen (item->value);

      g_byte_array_append (index, (const guint8 *) item->name, strlen (item->name) + 1);
      if (value_length > WPI_TRAFFIC_INDEX_VALUE_MAX)
        {
          /* a certificate or a file's content is no filter's business: decoded if asked */
          complete = FALSE;
          value_length = 0;
        }
      g_byte_array_append (index, (const guint8 *) item->value, value_length);
      g_byte_array_append (index, (const guint8 *) "", 1);
    }
  index->data[0] = complete ? ITEM_INDEX_COMPLETE : ITEM_INDEX_PARTIAL;
  return g_byte_array_free_to_bytes (index);
}

gboolean
wpi_traffic_item_index_is_valid (const guint8 *index,
                                 gsize         size)
{
  gsize strings = 0;

  if (index == NULL || size < 1 || (index[0] != ITEM_INDEX_COMPLETE && index[0] != ITEM_INDEX_PARTIAL))
    return FALSE;
  /* pairs of NUL-ended UTF-8 strings */
  for (gsize at = 1; at < size; strings++)
    {
      const guint8 *end = memchr (index + at, '\0', size - at);

      if (end == NULL || !g_utf8_validate ((const char *) index + at, end - (index + at), NULL))
        return FALSE;
      at = (gsize) (end - index) + 1;
    }
  return strings % 2 == 0;
}

gboolean
wpi_traffic_item_index_is_complete (const guint8 *index,
                                    gsize         size)
{
  return index != NULL && size >= 1 && index[0] == ITEM_INDEX_COMPLETE;
}

gboolean
wpi_traffic_item_index_next (const guint8 *index,
                             gsize         size,
                             gsize        *offset,
                             const char  **name,
                             const char  **value)
{
  gsize at = MAX (*offset, 1);
  const guint8 *end;

  if (index == NULL || at >= size)
    return FALSE;
  *name = (const char *) index + at;
  end = memchr (index + at, '\0', size - at);
  if (end == NULL || (gsize) (end - index) + 1 >= size)
    return FALSE;
  *value = (const char *) end + 1;
  end = memchr (end + 1, '\0', size - (end + 1 - index));
  if (end == NULL)
    return FALSE;
  *offset = (gsize) (end - index) + 1;
  return TRUE;
}

/* ---- traffic ---- */

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
  record->direction = STORE_COLUMN_ENUM (stmt, 2, _wpi_store_direction_names, WPI_TRAFFIC_DIRECTION_IN);
  record->port = (guint) sqlite3_column_int (stmt, 3);
  record->mode = STORE_COLUMN_ENUM (stmt, 4, _wpi_store_phone_mode_names, WPI_PHONE_MODE_DEFAULT);
  record->peer = _wpi_store_column_strdup (stmt, 5);
  record->mac = _wpi_store_column_strdup (stmt, 6);
  record->flow_id = _wpi_store_column_strdup (stmt, 7);
  record->root = _wpi_store_column_strdup (stmt, 8);
  record->nonce = _wpi_store_column_strdup (stmt, 9);
  record->reason = _wpi_store_column_strdup (stmt, 10);
  record->action = _wpi_store_column_strdup (stmt, 11);
  record->status = _wpi_store_column_strdup (stmt, 12);
  record->fragment = _wpi_store_column_strdup (stmt, 13);
  record->item_count = sqlite3_column_type (stmt, 14) == SQLITE_NULL
                       ? -1 : sqlite3_column_int (stmt, 14);
  record->size = sqlite3_column_int64 (stmt, 15);
  record->error_code = sqlite3_column_int (stmt, 16);
  record->error_text = _wpi_store_column_strdup (stmt, 17);
  if (with_bytes)
    {
      record->headers = column_bytes (stmt, 18);
      record->body = column_bytes (stmt, 19);
    }
  return record;
}

/* A WpiTrafficRecord without headers and body (a WpiStoreRowFunc) */
static gpointer
traffic_summary_from_row (sqlite3_stmt *stmt)
{
  return traffic_from_row (stmt, FALSE);
}

/* The id the query of one end of the log gives, 0 when the log is empty. Two queries
 * rather than one: SQLite answers a lone min() or max() from the b-tree's end, but a
 * query with both scans the table. */
static gboolean
traffic_end_id (WpiStore    *self,
                const char  *sql,
                gint64      *id,
                GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, sql, error);
  gboolean has_row = FALSE;

  if (stmt == NULL || !_wpi_store_step (self, stmt, &has_row, "Cannot count the traffic log", error))
    return FALSE;
  *id = has_row ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

#define TRAFFIC_FIRST_ID "SELECT id FROM traffic ORDER BY id ASC LIMIT 1"
#define TRAFFIC_LAST_ID  "SELECT id FROM traffic ORDER BY id DESC LIMIT 1"

static gboolean
traffic_bounds (WpiStore  *self,
                gint64    *first_id,
                gint64    *last_id,
                GError   **error)
{
  return traffic_end_id (self, TRAFFIC_FIRST_ID, first_id, error) &&
         traffic_end_id (self, TRAFFIC_LAST_ID, last_id, error);
}

static gint64
bytes_size (GBytes *bytes)
{
  return bytes != NULL ? (gint64) g_bytes_get_size (bytes) : 0;
}

/* The sum of one query's single value (0 without rows) */
static gboolean
traffic_sum (WpiStore    *self,
             const char  *sql,
             gint64       bound,
             gint64      *sum,
             GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self, sql, error);
  gboolean has_row = FALSE;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, bound);
  if (!_wpi_store_step (self, stmt, &has_row, "Cannot count the traffic log", error))
    return FALSE;
  *sum = has_row ? sqlite3_column_int64 (stmt, 0) : 0;
  return TRUE;
}

static gboolean
traffic_set_raw_bytes (WpiStore  *self,
                       gint64     bytes,
                       GError   **error)
{
  return wpi_store_setting_set_int (self, TRAFFIC_RAW_BYTES_KEY, MAX (bytes, 0), error);
}

/* store: inside a write transaction, a first count is kept, so that it is made once */
static gboolean
traffic_raw_bytes (WpiStore  *self,
                   gboolean   store,
                   gint64    *bytes,
                   GError   **error)
{
  if (!wpi_store_setting_get_int (self, TRAFFIC_RAW_BYTES_KEY, -1, bytes, error))
    return FALSE;
  if (*bytes >= 0)
    return TRUE;
  return traffic_sum (self, "SELECT CAST(total(" RAW_LENGTH ") AS INTEGER) FROM traffic_raw WHERE id >= ?1",
                      0, bytes, error) &&
         (!store || traffic_set_raw_bytes (self, *bytes, error));
}

/* Deletes the messages before end_id (the oldest ones), keeping the byte count. */
static gboolean
traffic_delete_front (WpiStore  *self,
                      gint64     end_id,
                      GError   **error)
{
  g_autoptr(CachedStmt) delete_summary = NULL;
  g_autoptr(CachedStmt) delete_raw = NULL;
  gint64 bytes, deleted;

  if (!traffic_raw_bytes (self, TRUE, &bytes, error) ||
      !traffic_sum (self, "SELECT CAST(total(" RAW_LENGTH ") AS INTEGER) FROM traffic_raw WHERE id < ?1",
                    end_id, &deleted, error))
    return FALSE;
  delete_summary = _wpi_store_prepare (self, "DELETE FROM traffic WHERE id < ?1", error);
  delete_raw = _wpi_store_prepare (self, "DELETE FROM traffic_raw WHERE id < ?1", error);
  if (delete_summary == NULL || delete_raw == NULL)
    return FALSE;
  sqlite3_bind_int64 (delete_summary, 1, end_id);
  sqlite3_bind_int64 (delete_raw, 1, end_id);
  return _wpi_store_run (self, delete_summary, "Cannot delete old traffic", error) &&
         _wpi_store_run (self, delete_raw, "Cannot delete old traffic", error) &&
         traffic_set_raw_bytes (self, bytes - deleted, error);
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
      if (!traffic_end_id (self, TRAFFIC_FIRST_ID, &first, error))
        return FALSE;
      last = known_last;
    }
  else if (!traffic_bounds (self, &first, &last, error))
    return FALSE;

  count = first > 0 && last > 0 ? last - first + 1 : 0;
  if (count <= limit)
    return TRUE;

  keep = limit - MIN (limit / TRAFFIC_SLACK_DIVISOR, TRAFFIC_SLACK_MAX);
  to_delete = count - keep;
  if (to_delete > max_delete)
    {
      to_delete = max_delete;
      *more = TRUE;
    }

  return traffic_delete_front (self, first + to_delete, error);
}

/* The first id to keep so that the log holds no more than max_bytes less a slack:
 * from the oldest, at most max_delete messages, never the newest one. */
static gboolean
traffic_bytes_cut (WpiStore  *self,
                   gint64     first,
                   gint64     last,
                   gint64     excess,
                   gint64     max_delete,
                   gint64    *end,
                   gboolean  *more,
                   GError   **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self,
                                                   "SELECT id, " RAW_LENGTH " FROM traffic_raw "
                                                   "WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3",
                                                   error);
  gint64 freed = 0;
  int rc = SQLITE_DONE;

  *end = first;
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, first);
  sqlite3_bind_int64 (stmt, 2, last);
  sqlite3_bind_int64 (stmt, 3, max_delete);
  while (freed < excess && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      *end = sqlite3_column_int64 (stmt, 0) + 1;
      freed += sqlite3_column_int64 (stmt, 1) + WPI_STORE_TRAFFIC_MESSAGE_BYTES;
    }
  if (freed < excess && rc != SQLITE_DONE)
    return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read the traffic log");
  *more = freed < excess && *end - first >= max_delete;
  return TRUE;
}

/* Deletes the oldest messages while the log holds more than its byte budget, down to a
 * slack below it, at most max_delete of them (issue 10 §3). */
static gboolean
traffic_trim_bytes (WpiStore  *self,
                    gint64     max_delete,
                    gboolean  *more,
                    GError   **error)
{
  gint64 max_bytes, raw, first, last, total, end;

  *more = FALSE;
  if (!wpi_store_setting_get_int (self, WPI_STORE_SETTING_TRAFFIC_MAX_BYTES,
                                  WPI_STORE_DEFAULT_TRAFFIC_MAX_BYTES, &max_bytes, error) ||
      !traffic_bounds (self, &first, &last, error) ||
      !traffic_raw_bytes (self, TRUE, &raw, error))
    return FALSE;
  if (last == 0)
    return TRUE;
  total = raw + (last - first + 1) * WPI_STORE_TRAFFIC_MESSAGE_BYTES;
  if (total <= max_bytes)
    return TRUE;
  if (!traffic_bytes_cut (self, first, last, total - max_bytes + MIN (max_bytes / TRAFFIC_SLACK_DIVISOR,
                                                                      TRAFFIC_SLACK_BYTES_MAX),
                          max_delete, &end, more, error))
    return FALSE;
  return end == first || traffic_delete_front (self, end, error);
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
  gint64 new_id, raw_bytes;
  gboolean more;

  if (size < 0)
    size = bytes_size (record->body);
  /* counted before the insert: a first count would include the new message */
  if (!traffic_raw_bytes (self, FALSE, &raw_bytes, error))
    return FALSE;

  summary = _wpi_store_prepare (self,
                                "INSERT INTO traffic (time_us, direction, port, mode, peer, mac, flow_id, "
                                "  root, nonce, reason, action, status, fragment, item_count, size, "
                                "  error_code, error_text, items) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                                "  ?15, ?16, ?17, ?18)",
                                error);
  raw = _wpi_store_prepare (self, "INSERT INTO traffic_raw (id, headers, body) VALUES (?1, ?2, ?3)",
                            error);
  if (summary == NULL || raw == NULL)
    return FALSE;

  sqlite3_bind_int64 (summary, 1, record->time_us);
  _wpi_store_bind_text (summary, 2, wpi_traffic_direction_to_string (record->direction));
  sqlite3_bind_int (summary, 3, (int) record->port);
  _wpi_store_bind_text (summary, 4, wpi_phone_mode_to_string (record->mode));
  _wpi_store_bind_text (summary, 5, record->peer);
  _wpi_store_bind_text (summary, 6, mac);
  _wpi_store_bind_text (summary, 7, record->flow_id);
  _wpi_store_bind_text (summary, 8, record->root);
  _wpi_store_bind_text (summary, 9, record->nonce);
  _wpi_store_bind_text (summary, 10, record->reason);
  _wpi_store_bind_text (summary, 11, record->action);
  _wpi_store_bind_text (summary, 12, record->status);
  _wpi_store_bind_text (summary, 13, record->fragment);
  _wpi_store_bind_int64_or_null (summary, 14, record->item_count < 0 ? -1 : record->item_count, -1);
  sqlite3_bind_int64 (summary, 15, size);
  /* a code means nothing without its text (0 is a valid codec code) */
  if (record->error_text != NULL)
    sqlite3_bind_int (summary, 16, record->error_code);
  else
    sqlite3_bind_null (summary, 16);
  _wpi_store_bind_text (summary, 17, record->error_text);
  bind_bytes (summary, 18, record->item_index);
  if (!_wpi_store_run (self, summary, "Cannot log a message", error))
    return FALSE;
  new_id = sqlite3_last_insert_rowid (self->db);

  sqlite3_bind_int64 (raw, 1, new_id);
  bind_bytes (raw, 2, record->headers);
  bind_bytes (raw, 3, record->body);
  if (!_wpi_store_run (self, raw, "Cannot log a message", error))
    return FALSE;

  if (!traffic_set_raw_bytes (self, raw_bytes + bytes_size (record->headers) + bytes_size (record->body), error))
    return FALSE;

  if (id != NULL)
    *id = new_id;
  return traffic_limit (self, &limit, error) &&
         traffic_trim (self, limit, TRAFFIC_DELETE_BATCH, new_id, &more, error) &&
         traffic_trim_bytes (self, TRAFFIC_DELETE_BATCH, &more, error);
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
    return _wpi_store_invalid (error, "Invalid traffic direction %d", (int) record->direction);
  if (wpi_phone_mode_to_string (record->mode) == NULL)
    return _wpi_store_invalid (error, "Invalid port mode %d", (int) record->mode);
  if (record->port > 65535)
    return _wpi_store_invalid (error, "Invalid port %u", record->port);
  if (record->mac != NULL && (mac = _wpi_store_normalize_mac (record->mac, error)) == NULL)
    return FALSE;
  /* summary fields come from a decoder that already insists on UTF-8; a raw
   * undecodable body goes in `body`, which is a BLOB */
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i] != NULL && !g_utf8_validate (texts[i], -1, NULL))
      return _wpi_store_invalid (error, "A traffic summary field is not valid UTF-8");
  if (record->item_index != NULL &&
      !wpi_traffic_item_index_is_valid (g_bytes_get_data (record->item_index, NULL),
                                        g_bytes_get_size (record->item_index)))
    return _wpi_store_invalid (error, "A traffic item index is not one (D28)");

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
  if (!_wpi_store_begin (self, FALSE, error))
    return FALSE;
  ok = traffic_bounds (self, &first, &last, error);
  _wpi_store_rollback (self);
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
  return _wpi_store_collect (self, stmt, traffic_summary_from_row,
                             (GDestroyNotify) wpi_traffic_record_free,
                             "Cannot read the traffic log", error);
}

GPtrArray *
wpi_store_traffic_get_range (WpiStore  *self,
                             gint64     first_id,
                             guint      n,
                             GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare (self,
                             "SELECT " TRAFFIC_SUMMARY_COLUMNS " FROM traffic WHERE id >= ?1 "
                             "ORDER BY id LIMIT ?2",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, first_id);
  sqlite3_bind_int64 (stmt, 2, n);
  return traffic_collect (self, stmt, error);
}

/* The columns of each scan field, in the order the query reads them */
static const struct {
  WpiTrafficFields  field;
  const char       *columns;
} scan_columns[] = {
  { WPI_TRAFFIC_FIELD_TIME, "time_us" },
  { WPI_TRAFFIC_FIELD_DIRECTION, "direction" },
  { WPI_TRAFFIC_FIELD_PORT, "port" },
  { WPI_TRAFFIC_FIELD_MODE, "mode" },
  { WPI_TRAFFIC_FIELD_PEER, "peer" },
  { WPI_TRAFFIC_FIELD_MAC, "mac" },
  { WPI_TRAFFIC_FIELD_FLOW, "flow_id" },
  { WPI_TRAFFIC_FIELD_ROOT, "root" },
  { WPI_TRAFFIC_FIELD_NONCE, "nonce" },
  { WPI_TRAFFIC_FIELD_REASON, "reason" },
  { WPI_TRAFFIC_FIELD_ACTION, "action" },
  { WPI_TRAFFIC_FIELD_STATUS, "status" },
  { WPI_TRAFFIC_FIELD_FRAGMENT, "fragment" },
  { WPI_TRAFFIC_FIELD_ITEM_COUNT, "item_count" },
  { WPI_TRAFFIC_FIELD_SIZE, "size" },
  { WPI_TRAFFIC_FIELD_ERROR, "error_code, error_text" },
  { WPI_TRAFFIC_FIELD_ITEM_INDEX, "items" },
};

/* The store's text of a column, borrowed until the next step */
#define BORROWED_TEXT(stmt, column) ((char *) sqlite3_column_text ((stmt), (column)))

/* One field of a scanned row from its column(s) at *column, which it moves past. */
static void
scan_read_field (sqlite3_stmt      *stmt,
                 WpiTrafficFields   field,
                 int               *column,
                 WpiTrafficRecord  *record,
                 const guint8     **index,
                 gsize             *index_size)
{
  int c = (*column)++;

  switch (field)
    {
    case WPI_TRAFFIC_FIELD_TIME: record->time_us = sqlite3_column_int64 (stmt, c); break;
    case WPI_TRAFFIC_FIELD_DIRECTION:
      record->direction = STORE_COLUMN_ENUM (stmt, c, _wpi_store_direction_names, WPI_TRAFFIC_DIRECTION_IN);
      break;
    case WPI_TRAFFIC_FIELD_PORT: record->port = (guint) sqlite3_column_int (stmt, c); break;
    case WPI_TRAFFIC_FIELD_MODE:
      record->mode = STORE_COLUMN_ENUM (stmt, c, _wpi_store_phone_mode_names, WPI_PHONE_MODE_DEFAULT);
      break;
    case WPI_TRAFFIC_FIELD_PEER: record->peer = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_MAC: record->mac = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_FLOW: record->flow_id = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_ROOT: record->root = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_NONCE: record->nonce = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_REASON: record->reason = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_ACTION: record->action = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_STATUS: record->status = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_FRAGMENT: record->fragment = BORROWED_TEXT (stmt, c); break;
    case WPI_TRAFFIC_FIELD_ITEM_COUNT:
      record->item_count = sqlite3_column_type (stmt, c) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, c);
      break;
    case WPI_TRAFFIC_FIELD_SIZE: record->size = sqlite3_column_int64 (stmt, c); break;
    case WPI_TRAFFIC_FIELD_ERROR:
      record->error_code = sqlite3_column_int (stmt, c);
      record->error_text = BORROWED_TEXT (stmt, (*column)++);
      break;
    case WPI_TRAFFIC_FIELD_ITEM_INDEX:
      /* blob first, then its size: the documented safe order */
      *index = sqlite3_column_blob (stmt, c);
      *index_size = (gsize) sqlite3_column_bytes (stmt, c);
      break;
    case WPI_TRAFFIC_FIELD_ALL:
    default:
      g_assert_not_reached ();
    }
}

static sqlite3_stmt *
scan_prepare (WpiStore          *self,
              WpiTrafficFields   fields,
              GError           **error)
{
  g_autoptr(GString) sql = g_string_new ("SELECT id");
  sqlite3_stmt *stmt = NULL;
  int rc;

  for (guint i = 0; i < G_N_ELEMENTS (scan_columns); i++)
    if (fields & scan_columns[i].field)
      g_string_append_printf (sql, ", %s", scan_columns[i].columns);
  g_string_append (sql, " FROM traffic WHERE id >= ?1 AND id <= ?2 ORDER BY id LIMIT ?3");
  rc = sqlite3_prepare_v2 (self->db, sql->str, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot prepare a traffic scan");
      return NULL;
    }
  return stmt;
}

gboolean
wpi_store_traffic_scan (WpiStore                *self,
                        gint64                   first_id,
                        gint64                   last_id,
                        guint                    max_rows,
                        WpiTrafficFields         fields,
                        WpiStoreTrafficScanFunc  func,
                        gpointer                 user_data,
                        gint64                  *next_id,
                        GError                 **error)
{
  sqlite3_stmt *stmt;
  gint64 next = last_id + 1;
  guint rows = 0;
  int rc;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  stmt = scan_prepare (self, fields, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, first_id);
  sqlite3_bind_int64 (stmt, 2, last_id);
  sqlite3_bind_int64 (stmt, 3, MAX (max_rows, 1));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WpiTrafficRecord record = { .item_count = -1 };
      const guint8 *index = NULL;
      gsize index_size = 0;
      int column = 1;

      record.id = sqlite3_column_int64 (stmt, 0);
      for (guint i = 0; i < G_N_ELEMENTS (scan_columns); i++)
        if (fields & scan_columns[i].field)
          scan_read_field (stmt, scan_columns[i].field, &column, &record, &index, &index_size);
      /* checked in full when written; here only what reading it relies on (a damaged
       * one is no index: the body answers) */
      if (index != NULL && (index_size < 1 || (index_size > 1 && index[index_size - 1] != '\0')))
        index = NULL;
      func (&record, index, index_size, user_data);
      rows++;
      next = record.id + 1;
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read the traffic log");
  /* fewer rows than asked for: the range is done */
  if (rows < MAX (max_rows, 1))
    next = last_id + 1;
  if (next_id != NULL)
    *next_id = next;
  return TRUE;
}

WpiTrafficRecord *
wpi_store_traffic_get (WpiStore  *self,
                       gint64     id,
                       GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare (self,
                             "SELECT " TRAFFIC_SUMMARY_COLUMNS ", headers, body "
                             "FROM traffic LEFT JOIN traffic_raw USING (id) WHERE id = ?1",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!_wpi_store_step_one (self, stmt, "Cannot read the traffic log", error,
                            "No message %" G_GINT64_FORMAT " in the traffic log", id))
    return NULL;
  return traffic_from_row (stmt, TRUE);
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

  stmt = _wpi_store_prepare_with_mac (self,
                                      "SELECT " TRAFFIC_SUMMARY_COLUMNS " FROM traffic "
                                      "WHERE mac = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
                                      mac, &normal, error);
  if (stmt == NULL)
    return NULL;
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
      _wpi_store_invalid (error, "No flow given");
      return NULL;
    }
  stmt = _wpi_store_prepare (self,
                             "SELECT " TRAFFIC_SUMMARY_COLUMNS " FROM traffic WHERE flow_id = ?1 "
                             "ORDER BY id",
                             error);
  if (stmt == NULL)
    return NULL;
  _wpi_store_bind_text (stmt, 1, flow_id);
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
      gboolean more_bytes = FALSE;

      if (!_wpi_store_begin (self, TRUE, error))
        return FALSE;
      if (!traffic_limit (self, &limit, error) ||
          !traffic_trim (self, limit, TRAFFIC_DELETE_BATCH, 0, &more, error) ||
          !traffic_trim_bytes (self, TRAFFIC_DELETE_BATCH, &more_bytes, error))
        {
          _wpi_store_rollback (self);
          return FALSE;
        }
      if (!_wpi_store_commit (self, error))
        return FALSE;
      more = more || more_bytes;
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
  stmt = _wpi_store_prepare (self,
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
    return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read the traffic log");
  return TRUE;
}

gboolean
wpi_store_traffic_delete_before (WpiStore  *self,
                                 gint64     before_us,
                                 guint      max_delete,
                                 gboolean  *more,
                                 GError   **error)
{
  gint64 first = 0, end = 0;
  gboolean ok;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (more != NULL, FALSE);

  *more = FALSE;
  if (!_wpi_store_begin (self, TRUE, error))
    return FALSE;
  ok = traffic_old_run (self, before_us, MAX (max_delete, 1), &first, &end, more, error);
  if (ok && end > first)
    ok = traffic_delete_front (self, end, error);
  if (!ok)
    {
      _wpi_store_rollback (self);
      return FALSE;
    }
  return _wpi_store_commit (self, error);
}

gboolean
wpi_store_traffic_set_limit (WpiStore  *self,
                             gint64     limit,
                             GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (limit < 1)
    return _wpi_store_invalid (error, "The traffic log must keep at least one message, not %" G_GINT64_FORMAT,
                               limit);
  return wpi_store_setting_set_int (self, WPI_STORE_SETTING_TRAFFIC_LIMIT, limit, error) &&
         wpi_store_traffic_enforce_retention (self, error);
}

gboolean
wpi_store_traffic_set_max_bytes (WpiStore  *self,
                                 gint64     max_bytes,
                                 GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (max_bytes < WPI_STORE_TRAFFIC_MESSAGE_BYTES)
    return _wpi_store_invalid (error, "The traffic log needs at least %d bytes, not %" G_GINT64_FORMAT,
                               WPI_STORE_TRAFFIC_MESSAGE_BYTES, max_bytes);
  return wpi_store_setting_set_int (self, WPI_STORE_SETTING_TRAFFIC_MAX_BYTES, max_bytes, error) &&
         wpi_store_traffic_enforce_retention (self, error);
}

gint64
wpi_store_traffic_get_bytes (WpiStore  *self,
                             GError   **error)
{
  gint64 first = 0, last = 0, raw = 0;
  gboolean ok;

  g_return_val_if_fail (WPI_IS_STORE (self), -1);

  /* from one snapshot */
  if (!_wpi_store_begin (self, FALSE, error))
    return -1;
  ok = traffic_bounds (self, &first, &last, error) && traffic_raw_bytes (self, FALSE, &raw, error);
  _wpi_store_rollback (self);
  if (!ok)
    return -1;
  return raw + (last > 0 ? last - first + 1 : 0) * WPI_STORE_TRAFFIC_MESSAGE_BYTES;
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
    return _wpi_store_invalid (error, "A security event needs a kind");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i] != NULL && !g_utf8_validate (texts[i], -1, NULL))
      return _wpi_store_invalid (error, "A security event field is not valid UTF-8");
  /* a spoofing phone may claim anything: keep what it claimed when it is no MAC */
  if (mac != NULL)
    normal = _wpi_store_normalize_mac (mac, NULL);

  stmt = _wpi_store_prepare (self,
                             "INSERT INTO security_events (time_us, peer, mac, kind, detail) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)",
                             error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, time_us);
  _wpi_store_bind_text (stmt, 2, peer);
  _wpi_store_bind_text (stmt, 3, normal != NULL ? normal : mac);
  _wpi_store_bind_text (stmt, 4, kind);
  _wpi_store_bind_text (stmt, 5, detail);
  STORE_WRITE (self, error, _wpi_store_run (self, stmt, "Cannot log a security event", error));
}

/* A WpiSecurityEvent (a WpiStoreRowFunc) */
static gpointer
security_event_from_row (sqlite3_stmt *stmt)
{
  WpiSecurityEvent *event = g_new0 (WpiSecurityEvent, 1);

  event->id = sqlite3_column_int64 (stmt, 0);
  event->time_us = sqlite3_column_int64 (stmt, 1);
  event->peer = _wpi_store_column_strdup (stmt, 2);
  event->mac = _wpi_store_column_strdup (stmt, 3);
  event->kind = _wpi_store_column_strdup (stmt, 4);
  event->detail = _wpi_store_column_strdup (stmt, 5);
  return event;
}

GPtrArray *
wpi_store_security_event_list (WpiStore  *self,
                               gint64     after_id,
                               guint      limit,
                               GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare (self,
                             "SELECT id, time_us, peer, mac, kind, detail FROM security_events "
                             "WHERE id > ?1 ORDER BY id LIMIT ?2",
                             error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_id);
  sqlite3_bind_int64 (stmt, 2, limit == 0 ? -1 : (gint64) limit);
  return _wpi_store_collect (self, stmt, security_event_from_row,
                             (GDestroyNotify) wpi_security_event_free,
                             "Cannot list the security events", error);
}

