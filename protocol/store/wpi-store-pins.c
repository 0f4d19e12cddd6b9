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

/* A WpiPinRecord (a WpiStoreRowFunc) */
static gpointer
pin_from_row (sqlite3_stmt *stmt)
{
  WpiPinRecord *pin = g_new0 (WpiPinRecord, 1);

  pin->id = sqlite3_column_int64 (stmt, 0);
  pin->mac = _wpi_store_column_strdup (stmt, 1);
  pin->pin = _wpi_store_column_strdup (stmt, 2);
  pin->state = STORE_COLUMN_ENUM (stmt, 3, _wpi_store_pin_state_names, WPI_PIN_STATE_FAILED);
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

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare (self, "SELECT " PIN_COLUMNS " FROM pins WHERE id = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pin_id);
  if (!_wpi_store_step_one (self, stmt, "Cannot read a PIN", error, "No PIN %" G_GINT64_FORMAT, pin_id))
    return NULL;
  return pin_from_row (stmt);
}

WpiPinRecord *
wpi_store_pin_get_current (WpiStore    *self,
                           const char  *mac,
                           GError     **error)
{
  g_autofree char *normal = NULL;
  g_autoptr(CachedStmt) stmt = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  stmt = _wpi_store_prepare_with_mac (self,
                                      "SELECT " PIN_COLUMNS " FROM pins WHERE mac = ?1 "
                                      "ORDER BY id DESC LIMIT 1",
                                      mac, &normal, error);
  if (stmt == NULL ||
      !_wpi_store_step_one (self, stmt, "Cannot read a PIN", error, "Phone %s has no PIN", normal))
    return NULL;
  return pin_from_row (stmt);
}

GPtrArray *
wpi_store_pin_list (WpiStore  *self,
                    gboolean   current_only,
                    GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

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
  return _wpi_store_collect (self, stmt, pin_from_row, (GDestroyNotify) wpi_pin_record_free,
                             "Cannot list the PINs", error);
}

static gboolean
pin_state_in_chain (WpiPinState state)
{
  return state <= WPI_PIN_STATE_VERIFIED;
}

/* VERIFIED and REISSUED are final; FAILED may only become REISSUED. An earlier step of
 * the forward chain than the current one is accepted and keeps the current state: the
 * handout may be printed after the bundle was delivered. */
static WpiStoreMove
pin_check_move (gint64    pin_id,
                int       current,
                int       next,
                GError  **error)
{
  gboolean allowed;

  if (current == next)
    return WPI_STORE_MOVE_WRITE;
  if (current == WPI_PIN_STATE_VERIFIED || current == WPI_PIN_STATE_REISSUED)
    allowed = FALSE;
  else if (current == WPI_PIN_STATE_FAILED)
    allowed = next == WPI_PIN_STATE_REISSUED;
  else
    allowed = TRUE;

  if (!allowed)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                   "PIN %" G_GINT64_FORMAT " is %s and cannot become %s", pin_id,
                   wpi_pin_state_to_string ((WpiPinState) current),
                   wpi_pin_state_to_string ((WpiPinState) next));
      return WPI_STORE_MOVE_REFUSE;
    }
  if (pin_state_in_chain (next) && pin_state_in_chain (current) && next < current)
    return WPI_STORE_MOVE_KEEP;
  return WPI_STORE_MOVE_WRITE;
}

static const WpiStoreStateMachine pin_state_machine = {
  .noun = "PIN",
  .read_sql = "SELECT state FROM pins WHERE id = ?1",
  .update_sql = "UPDATE pins SET state = ?2, reason = ?3, updated_us = ?4 WHERE id = ?1",
  .names = _wpi_store_pin_state_names,
  .n_names = G_N_ELEMENTS (_wpi_store_pin_state_names),
  .fallback = WPI_PIN_STATE_FAILED,
  .failed = WPI_PIN_STATE_FAILED,
  .check_move = pin_check_move,
};

gboolean
wpi_store_pin_set_state (WpiStore     *self,
                         gint64        pin_id,
                         WpiPinState   state,
                         const char   *reason,
                         GError      **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  return _wpi_store_set_state (self, &pin_state_machine, pin_id, (int) state, reason, error);
}
