/* wpi-store-pins.c: PINs (decisions.md D9) */
#include "config.h"

#include <string.h>

#include "wpi-store-private.h"

/* ---- boxed record ---- */

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
  pin->mac = _wpi_store_column_strdup (stmt, 1);
  pin->pin = _wpi_store_column_strdup (stmt, 2);
  pin->state = _wpi_store_column_enum (stmt, 3, _wpi_store_pin_state_names, G_N_ELEMENTS (_wpi_store_pin_state_names),
                            WPI_PIN_STATE_FAILED);
  pin->reason = _wpi_store_column_strdup (stmt, 4);
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

  if (!_wpi_store_require_phone (self, mac, error))
    return FALSE;
  if (job_id != 0)
    {
      WpiJobState state;

      if (!_wpi_store_job_read_state (self, job_id, &state, error))
        return FALSE;
    }

  supersede = _wpi_store_prepare (self,
                             "UPDATE pins SET state = 're-issued', updated_us = ?2 WHERE mac = ?1 "
                             "AND state IN ('generated', 'handed-out', 'bundle-delivered', 'failed')",
                             error);
  insert = _wpi_store_prepare (self,
                          "INSERT INTO pins (mac, pin, max_retries, job_id, created_us, updated_us) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                          error);
  if (supersede == NULL || insert == NULL)
    return FALSE;

  _wpi_store_bind_text (supersede, 1, mac);
  sqlite3_bind_int64 (supersede, 2, now);
  if (!_wpi_store_run (self, supersede, "Cannot re-issue a PIN", error))
    return FALSE;

  _wpi_store_bind_text (insert, 1, mac);
  _wpi_store_bind_text (insert, 2, pin);
  sqlite3_bind_int64 (insert, 3, max_retries);
  _wpi_store_bind_int64_or_null (insert, 4, job_id, 0);
  sqlite3_bind_int64 (insert, 5, now);
  if (!_wpi_store_run (self, insert, "Cannot store a PIN", error))
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

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;
  len = pin != NULL ? strlen (pin) : 0;
  if (len < PIN_MIN_DIGITS || len > PIN_MAX_DIGITS)
    return _wpi_store_invalid (error, "A PIN has %d to %d digits, not %" G_GSIZE_FORMAT,
                    PIN_MIN_DIGITS, PIN_MAX_DIGITS, len);
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (pin[i]))
      /* the message does not quote the PIN: errors end up in logs */
      return _wpi_store_invalid (error, "A PIN has digits only");
  if (max_retries > G_MAXINT)
    return _wpi_store_invalid (error, "Invalid maximum of PIN retries %u", max_retries);

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

  stmt = _wpi_store_prepare (self, "SELECT " PIN_COLUMNS " FROM pins WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pin_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return pin_from_row (stmt);
  if (rc == SQLITE_DONE)
    _wpi_store_not_found (error, "No PIN %" G_GINT64_FORMAT, pin_id);
  else
    _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read a PIN");
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

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL)
    return NULL;
  stmt = _wpi_store_prepare (self,
                        "SELECT " PIN_COLUMNS " FROM pins WHERE mac = ?1 ORDER BY id DESC LIMIT 1",
                        error);
  if (stmt == NULL)
    return NULL;
  _wpi_store_bind_text (stmt, 1, normal);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return pin_from_row (stmt);
  if (rc == SQLITE_DONE)
    _wpi_store_not_found (error, "Phone %s has no PIN", normal);
  else
    _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read a PIN");
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
    stmt = _wpi_store_prepare (self,
                          "SELECT " PIN_COLUMNS " FROM pins "
                          "WHERE id IN (SELECT max (id) FROM pins GROUP BY mac) ORDER BY mac",
                          error);
  else
    stmt = _wpi_store_prepare (self, "SELECT " PIN_COLUMNS " FROM pins ORDER BY mac, id", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (pins, pin_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot list the PINs");
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
    g_autoptr(CachedStmt) read = _wpi_store_prepare (self, "SELECT state FROM pins WHERE id = ?1", error);
    int rc;

    if (read == NULL)
      return FALSE;
    sqlite3_bind_int64 (read, 1, pin_id);
    rc = sqlite3_step (read);
    if (rc == SQLITE_DONE)
      return _wpi_store_not_found (error, "No PIN %" G_GINT64_FORMAT, pin_id);
    if (rc != SQLITE_ROW)
      return _wpi_store_set_sqlite_error (self->db, rc, error, "Cannot read a PIN");
    current = _wpi_store_column_enum (read, 0, _wpi_store_pin_state_names, G_N_ELEMENTS (_wpi_store_pin_state_names),
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

  stmt = _wpi_store_prepare (self, "UPDATE pins SET state = ?2, reason = ?3, updated_us = ?4 WHERE id = ?1",
                        error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, pin_id);
  _wpi_store_bind_text (stmt, 2, wpi_pin_state_to_string (state));
  _wpi_store_bind_text (stmt, 3, reason);
  sqlite3_bind_int64 (stmt, 4, g_get_real_time ());
  return _wpi_store_run (self, stmt, "Cannot store a PIN's state", error);
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
    return _wpi_store_invalid (error, "Invalid PIN state %d", (int) state);
  if (state == WPI_PIN_STATE_FAILED && (reason == NULL || reason[0] == '\0'))
    return _wpi_store_invalid (error, "A failed PIN needs a reason");
  if (reason != NULL && !g_utf8_validate (reason, -1, NULL))
    return _wpi_store_invalid (error, "The reason is not valid UTF-8");

  STORE_WRITE (self, error, pin_set_state_in_transaction (self, pin_id, state, reason, error));
}

