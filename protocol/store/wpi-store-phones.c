/* wpi-store-phones.c: phones and their item values */
#include "config.h"

#include <string.h>

#include "wpi-store-private.h"

/* ---- boxed record ---- */

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

/* Existence checks run inside the caller's transaction, so the answer holds until it
 * commits. */
static gboolean
phone_exists (WpiStore    *self,
              const char  *mac,
              gboolean    *exists,
              GError     **error)
{
  return _wpi_store_row_exists (self, "SELECT 1 FROM phones WHERE mac = ?1", mac, exists,
                                "Cannot look up a phone", error);
}

gboolean
_wpi_store_require_phone (WpiStore    *self,
                          const char  *mac,
                          GError     **error)
{
  gboolean exists = FALSE;

  if (!phone_exists (self, mac, &exists, error))
    return FALSE;
  return exists || _wpi_store_not_found (error, "No phone with MAC %s", mac);
}

/* ---- phones ---- */

#define PHONE_COLUMNS \
  "mac, e164, device_type, firmware, ip, contact_me_uri, mode, state, last_contact_us, " \
  "location, profile, created_us, updated_us"

/* What a SELECT reads: the columns and whether an import waits for the phone's first
 * contact (D24) */
#define PHONE_SELECT_COLUMNS PHONE_COLUMNS ", " \
  "EXISTS (SELECT 1 FROM phone_imports i WHERE i.mac = phones.mac AND i.pending = 1)"

/* A WpiPhoneRecord (a WpiStoreRowFunc) */
static gpointer
phone_from_row (sqlite3_stmt *stmt)
{
  WpiPhoneRecord *phone = wpi_phone_record_new (NULL);

  phone->mac = _wpi_store_column_strdup (stmt, 0);
  phone->e164 = _wpi_store_column_strdup (stmt, 1);
  phone->device_type = _wpi_store_column_strdup (stmt, 2);
  phone->firmware = _wpi_store_column_strdup (stmt, 3);
  phone->ip = _wpi_store_column_strdup (stmt, 4);
  phone->contact_me_uri = _wpi_store_column_strdup (stmt, 5);
  phone->mode = STORE_COLUMN_ENUM (stmt, 6, _wpi_store_phone_mode_names, WPI_PHONE_MODE_DEFAULT);
  phone->state = STORE_COLUMN_ENUM (stmt, 7, _wpi_store_phone_state_names, WPI_PHONE_STATE_UNKNOWN);
  phone->last_contact_us = sqlite3_column_int64 (stmt, 8);
  phone->location = _wpi_store_column_strdup (stmt, 9);
  phone->profile = _wpi_store_column_strdup (stmt, 10);
  phone->created_us = sqlite3_column_int64 (stmt, 11);
  phone->updated_us = sqlite3_column_int64 (stmt, 12);
  phone->expected = sqlite3_column_int (stmt, 13) != 0;
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
      !_wpi_store_require_profile (self, phone->profile, error))
    return FALSE;

  /* On insert the unselected fields get their defaults (bound below); on update each
   * column keeps its value unless its bit is in ?14. */
  stmt = _wpi_store_prepare (self,
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
  _wpi_store_bind_text (stmt, col, (fields & (flag)) ? phone->member : NULL)
  _wpi_store_bind_text (stmt, 1, mac);
  FIELD_TEXT (2, WPI_PHONE_FIELD_E164, e164);
  FIELD_TEXT (3, WPI_PHONE_FIELD_DEVICE_TYPE, device_type);
  FIELD_TEXT (4, WPI_PHONE_FIELD_FIRMWARE, firmware);
  FIELD_TEXT (5, WPI_PHONE_FIELD_IP, ip);
  FIELD_TEXT (6, WPI_PHONE_FIELD_CONTACT_ME_URI, contact_me_uri);
  _wpi_store_bind_text (stmt, 7, wpi_phone_mode_to_string ((fields & WPI_PHONE_FIELD_MODE)
                                                ? phone->mode : WPI_PHONE_MODE_DEFAULT));
  _wpi_store_bind_text (stmt, 8, wpi_phone_state_to_string ((fields & WPI_PHONE_FIELD_STATE)
                                                 ? phone->state : WPI_PHONE_STATE_UNKNOWN));
  _wpi_store_bind_int64_or_null (stmt, 9,
                                 (fields & WPI_PHONE_FIELD_LAST_CONTACT) ? phone->last_contact_us : 0, 0);
  FIELD_TEXT (10, WPI_PHONE_FIELD_LOCATION, location);
  FIELD_TEXT (11, WPI_PHONE_FIELD_PROFILE, profile);
  sqlite3_bind_int64 (stmt, 12, now);
  sqlite3_bind_int (stmt, 13, (int) fields);
#undef FIELD_TEXT

  if (!_wpi_store_run (self, stmt, "Cannot store a phone", error))
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

  mac = _wpi_store_normalize_mac (phone->mac, error);
  if (mac == NULL)
    return FALSE;
  if ((fields & ~WPI_PHONE_FIELD_ALL) != 0)
    return _wpi_store_invalid (error, "Unknown phone fields 0x%x", (guint) fields);
  if ((fields & WPI_PHONE_FIELD_MODE) && wpi_phone_mode_to_string (phone->mode) == NULL)
    return _wpi_store_invalid (error, "Invalid phone mode %d", (int) phone->mode);
  if ((fields & WPI_PHONE_FIELD_STATE) && wpi_phone_state_to_string (phone->state) == NULL)
    return _wpi_store_invalid (error, "Invalid phone state %d", (int) phone->state);

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

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare_with_mac (self, "SELECT " PHONE_SELECT_COLUMNS " FROM phones WHERE mac = ?1",
                                      mac, &normal, error);
  if (stmt == NULL ||
      !_wpi_store_step_one (self, stmt, "Cannot read a phone", error, "No phone with MAC %s", normal))
    return NULL;
  return phone_from_row (stmt);
}

GPtrArray *
wpi_store_phone_list (WpiStore  *self,
                      GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare (self, "SELECT " PHONE_SELECT_COLUMNS " FROM phones ORDER BY mac", error);
  if (stmt == NULL)
    return NULL;
  return _wpi_store_collect (self, stmt, phone_from_row, (GDestroyNotify) wpi_phone_record_free,
                             "Cannot list the phones", error);
}

/* A one-row change of the phone normal, in a transaction. */
static gboolean
phone_run_change (WpiStore    *self,
                  CachedStmt  *stmt,
                  const char  *normal,
                  const char  *what,
                  GError     **error)
{
  g_autofree char *missing = g_strdup_printf ("No phone with MAC %s", normal);

  STORE_WRITE (self, error, _wpi_store_run_keyed_change (self, stmt, what, missing, error));
}

gboolean
wpi_store_phone_set_state (WpiStore       *self,
                           const char     *mac,
                           WpiPhoneState   state,
                           GError        **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  stmt = _wpi_store_prepare_with_mac (self,
                                      "UPDATE phones SET state = ?2, updated_us = ?3 WHERE mac = ?1",
                                      mac, &normal, error);
  if (stmt == NULL)
    return FALSE;
  if (wpi_phone_state_to_string (state) == NULL)
    return _wpi_store_invalid (error, "Invalid phone state %d", (int) state);
  _wpi_store_bind_text (stmt, 2, wpi_phone_state_to_string (state));
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return phone_run_change (self, stmt, normal, "Cannot store a phone's state", error);
}

gboolean
wpi_store_phone_delete (WpiStore    *self,
                        const char  *mac,
                        GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  /* One statement; SQLite runs the cascades inside it, so it is atomic as a whole. */
  stmt = _wpi_store_prepare_with_mac (self, "DELETE FROM phones WHERE mac = ?1", mac, &normal, error);
  if (stmt == NULL)
    return FALSE;
  return phone_run_change (self, stmt, normal, "Cannot delete a phone", error);
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

  if (!_wpi_store_require_phone (self, mac, error))
    return FALSE;

  if (replace &&
      !_wpi_store_run_with_key (self, "DELETE FROM phone_items WHERE mac = ?1", mac,
                                "Cannot replace a phone's items", error))
    return FALSE;

  insert = _wpi_store_prepare (self,
                               "INSERT INTO phone_items (mac, name, idx, value, updated_us, traffic_id) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                               "ON CONFLICT (mac, name, idx) DO UPDATE SET value = excluded.value, "
                               "  updated_us = excluded.updated_us, traffic_id = excluded.traffic_id",
                               error);
  if (insert == NULL)
    return FALSE;
  /* the same for every row: bound once, the rest rebound per row */
  _wpi_store_bind_text (insert, 1, mac);
  sqlite3_bind_int64 (insert, 5, time_us);
  _wpi_store_bind_int64_or_null (insert, 6, traffic_id, 0);
  return _wpi_store_insert_items (self, insert, items, n_items, 0, 2,
                                  "Cannot store a phone's item", error);
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

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL || !_wpi_store_validate_items (items, n_items, TRUE, FALSE, error))
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
  _wpi_store_item_from_row (item, stmt, 0, 1, 2);
  item->updated_us = sqlite3_column_int64 (stmt, 3);
  item->traffic_id = sqlite3_column_int64 (stmt, 4);
}

static GArray *
phone_items_list_in_transaction (WpiStore    *self,
                                 const char  *mac,
                                 GError     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;
  GArray *items = NULL;

  if (!_wpi_store_require_phone (self, mac, error))
    return NULL;
  stmt = _wpi_store_prepare (self,
                             "SELECT name, idx, value, updated_us, traffic_id FROM phone_items "
                             "WHERE mac = ?1 ORDER BY name, idx",
                             error);
  if (stmt == NULL)
    return NULL;
  _wpi_store_bind_text (stmt, 1, mac);
  if (!_wpi_store_collect_items (self, stmt, phone_item_from_row, &items, "Cannot read a phone's items",
                                 error))
    return NULL;
  return items;
}

GArray *
wpi_store_phone_items_list (WpiStore    *self,
                            const char  *mac,
                            GError     **error)
{
  g_autofree char *normal = NULL;
  GArray *items;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL || !_wpi_store_begin (self, FALSE, error))
    return NULL;
  items = phone_items_list_in_transaction (self, normal, error);
  /* a read: nothing to lose by rolling back */
  _wpi_store_rollback (self);
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
  WpiStoreItem *item;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL)
    return NULL;
  if (name == NULL || (has_index && index < 0))
    {
      _wpi_store_invalid (error, "Invalid item name or index");
      return NULL;
    }

  stmt = _wpi_store_prepare (self,
                             "SELECT name, idx, value, updated_us, traffic_id FROM phone_items "
                             "WHERE mac = ?1 AND name = ?2 AND idx = ?3",
                             error);
  if (stmt == NULL)
    return NULL;
  _wpi_store_bind_text (stmt, 1, normal);
  _wpi_store_bind_text (stmt, 2, name);
  sqlite3_bind_int64 (stmt, 3, has_index ? index : -1);
  if (!_wpi_store_step_one (self, stmt, "Cannot read a phone's item", error,
                            "Phone %s has no value for item “%s”", normal, name))
    return NULL;
  item = g_new0 (WpiStoreItem, 1);
  phone_item_from_row (item, stmt);
  return item;
}


/* ---- phone events ---- */

WpiPhoneEvent *
wpi_phone_event_copy (const WpiPhoneEvent *event)
{
  WpiPhoneEvent *copy = g_memdup2 (event, sizeof *event);

  copy->mac = g_strdup (event->mac);
  copy->kind = g_strdup (event->kind);
  copy->user = g_strdup (event->user);
  copy->detail = g_strdup (event->detail);
  return copy;
}

void
wpi_phone_event_free (WpiPhoneEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->mac);
  g_free (event->kind);
  g_free (event->user);
  g_free (event->detail);
  g_free (event);
}

G_DEFINE_BOXED_TYPE (WpiPhoneEvent, wpi_phone_event, wpi_phone_event_copy, wpi_phone_event_free)

static gboolean
phone_event_add_in_transaction (WpiStore    *self,
                                const char  *mac,
                                gint64       time_us,
                                const char  *kind,
                                const char  *user,
                                const char  *detail,
                                GError     **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  if (!_wpi_store_require_phone (self, mac, error))
    return FALSE;
  stmt = _wpi_store_prepare (self,
                             "INSERT INTO phone_events (mac, time_us, kind, user, detail) "
                             "VALUES (?1, ?2, ?3, ?4, ?5)",
                             error);
  if (stmt == NULL)
    return FALSE;
  _wpi_store_bind_text (stmt, 1, mac);
  sqlite3_bind_int64 (stmt, 2, time_us);
  _wpi_store_bind_text (stmt, 3, kind);
  _wpi_store_bind_text (stmt, 4, user);
  _wpi_store_bind_text (stmt, 5, detail);
  return _wpi_store_run (self, stmt, "Cannot store a phone's event", error);
}

gboolean
wpi_store_phone_event_add (WpiStore    *self,
                           const char  *mac,
                           gint64       time_us,
                           const char  *kind,
                           const char  *user,
                           const char  *detail,
                           GError     **error)
{
  g_autofree char *normal = NULL;
  const char *texts[] = { kind, user, detail };

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;
  if (kind == NULL || kind[0] == '\0')
    return _wpi_store_invalid (error, "A phone's event needs a kind");
  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i] != NULL && !g_utf8_validate (texts[i], -1, NULL))
      return _wpi_store_invalid (error, "A phone's event field is not valid UTF-8");

  STORE_WRITE (self, error,
               phone_event_add_in_transaction (self, normal, time_us, kind, user, detail, error));
}

/* A WpiPhoneEvent (a WpiStoreRowFunc) */
static gpointer
phone_event_from_row (sqlite3_stmt *stmt)
{
  WpiPhoneEvent *event = g_new0 (WpiPhoneEvent, 1);

  event->id = sqlite3_column_int64 (stmt, 0);
  event->time_us = sqlite3_column_int64 (stmt, 1);
  event->mac = _wpi_store_column_strdup (stmt, 2);
  event->kind = _wpi_store_column_strdup (stmt, 3);
  event->user = _wpi_store_column_strdup (stmt, 4);
  event->detail = _wpi_store_column_strdup (stmt, 5);
  return event;
}

GPtrArray *
wpi_store_phone_event_list (WpiStore    *self,
                            const char  *mac,
                            guint        limit,
                            GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL)
    return NULL;
  /* the newest `limit`, put back in the order they happened */
  stmt = _wpi_store_prepare (self,
                             "SELECT id, time_us, mac, kind, user, detail FROM ("
                             "  SELECT * FROM phone_events WHERE mac = ?1 ORDER BY id DESC LIMIT ?2"
                             ") ORDER BY id",
                             error);
  if (stmt == NULL)
    return NULL;
  _wpi_store_bind_text (stmt, 1, normal);
  sqlite3_bind_int64 (stmt, 2, limit == 0 ? -1 : (gint64) limit);
  return _wpi_store_collect (self, stmt, phone_event_from_row, (GDestroyNotify) wpi_phone_event_free,
                             "Cannot list a phone's events", error);
}
