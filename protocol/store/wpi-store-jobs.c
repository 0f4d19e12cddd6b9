/* wpi-store-jobs.c: the job queue */
#include "config.h"

#include <string.h>

#include "wpi-store-private.h"

/* ---- boxed record ---- */

WpiJobRecord *
wpi_job_record_copy (const WpiJobRecord *record)
{
  WpiJobRecord *copy = g_memdup2 (record, sizeof *record);

  copy->mac = g_strdup (record->mac);
  copy->parameter = g_strdup (record->parameter);
  copy->failure_reason = g_strdup (record->failure_reason);
  copy->items = _wpi_store_item_array_copy (record->items);
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

/* ---- jobs ---- */

#define JOB_COLUMNS \
  "id, mac, kind, state, parameter, failure_reason, created_us, updated_us, attempts, " \
  "next_attempt_us"

/* A WpiJobRecord without items (a WpiStoreRowFunc) */
static gpointer
job_from_row (sqlite3_stmt *stmt)
{
  WpiJobRecord *job = g_new0 (WpiJobRecord, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->mac = _wpi_store_column_strdup (stmt, 1);
  job->kind = STORE_COLUMN_ENUM (stmt, 2, _wpi_store_job_kind_names, WPI_JOB_KIND_READ_ALL);
  job->state = STORE_COLUMN_ENUM (stmt, 3, _wpi_store_job_state_names, WPI_JOB_STATE_FAILED);
  job->parameter = _wpi_store_column_strdup (stmt, 4);
  job->failure_reason = _wpi_store_column_strdup (stmt, 5);
  job->created_us = sqlite3_column_int64 (stmt, 6);
  job->updated_us = sqlite3_column_int64 (stmt, 7);
  job->attempts = (guint) sqlite3_column_int64 (stmt, 8);
  job->next_attempt_us = sqlite3_column_int64 (stmt, 9);
  return job;
}

static void
job_item_from_row (WpiStoreItem *item,
                   sqlite3_stmt *stmt)
{
  _wpi_store_item_from_row (item, stmt, 0, 1, 2);
  item->status = _wpi_store_column_strdup (stmt, 3);
}

static gboolean
job_load_items (WpiStore      *self,
                WpiJobRecord  *job,
                GError       **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  stmt = _wpi_store_prepare (self,
                             "SELECT name, idx, value, status FROM job_items WHERE job_id = ?1 "
                             "ORDER BY pos",
                             error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job->id);
  return _wpi_store_collect_items (self, stmt, job_item_from_row, &job->items,
                                   "Cannot read a job's items", error);
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

  if (!_wpi_store_require_phone (self, mac, error))
    return FALSE;
  if (kind == WPI_JOB_KIND_APPLY_PROFILE && !_wpi_store_require_profile (self, parameter, error))
    return FALSE;

  insert_job = _wpi_store_prepare (self,
                                   "INSERT INTO jobs (mac, kind, parameter, created_us, updated_us) "
                                   "VALUES (?1, ?2, ?3, ?4, ?4)",
                                   error);
  if (insert_job == NULL)
    return FALSE;
  _wpi_store_bind_text (insert_job, 1, mac);
  _wpi_store_bind_text (insert_job, 2, wpi_job_kind_to_string (kind));
  _wpi_store_bind_text (insert_job, 3, parameter);
  sqlite3_bind_int64 (insert_job, 4, now);
  if (!_wpi_store_run (self, insert_job, "Cannot store a job", error))
    return FALSE;
  id = sqlite3_last_insert_rowid (self->db);

  insert_item = _wpi_store_prepare (self,
                                    "INSERT INTO job_items (job_id, pos, name, idx, value) "
                                    "VALUES (?1, ?2, ?3, ?4, ?5)",
                                    error);
  if (insert_item == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert_item, 1, id);
  if (!_wpi_store_insert_items (self, insert_item, items, n_items, 2, 3,
                                "Cannot store a job's item", error))
    return FALSE;

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

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;
  if (wpi_job_kind_to_string (kind) == NULL)
    return _wpi_store_invalid (error, "Invalid job kind %d", (int) kind);
  if (parameter != NULL && !g_utf8_validate (parameter, -1, NULL))
    return _wpi_store_invalid (error, "The job's parameter is not valid UTF-8");
  if (!_wpi_store_validate_items (items, n_items, kind == WPI_JOB_KIND_WRITE_ITEMS, TRUE, error))
    return FALSE;
  if ((kind == WPI_JOB_KIND_READ_ITEMS || kind == WPI_JOB_KIND_WRITE_ITEMS) && n_items == 0)
    return _wpi_store_invalid (error, "A %s job needs at least one item", wpi_job_kind_to_string (kind));
  if (kind == WPI_JOB_KIND_APPLY_PROFILE && (parameter == NULL || parameter[0] == '\0'))
    return _wpi_store_invalid (error, "An apply-profile job needs the profile's name");

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
    g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self,
                                                     "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?1",
                                                     error);

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, job_id);
    if (!_wpi_store_step_one (self, stmt, "Cannot read a job", error,
                              "No job %" G_GINT64_FORMAT, job_id))
      return NULL;
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

  if (!_wpi_store_begin (self, FALSE, error))
    return NULL;
  job = job_get_in_transaction (self, job_id, TRUE, error);
  _wpi_store_rollback (self);
  return job;
}

/* Collects the jobs stmt yields, with their items when asked. */
static GPtrArray *
job_collect (WpiStore    *self,
             CachedStmt  *stmt,
             gboolean     with_items,
             GError     **error)
{
  g_autoptr(GPtrArray) jobs = _wpi_store_collect (self, stmt, job_from_row,
                                                  (GDestroyNotify) wpi_job_record_free,
                                                  "Cannot list jobs", error);

  /* stmt is done; loading items uses another statement */
  for (guint i = 0; jobs != NULL && with_items && i < jobs->len; i++)
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

  if (mac != NULL && (normal = _wpi_store_normalize_mac (mac, error)) == NULL)
    return NULL;
  if (!_wpi_store_begin (self, FALSE, error))
    return NULL;

  {
    g_autoptr(CachedStmt) stmt = NULL;

    if (normal != NULL)
      stmt = _wpi_store_prepare (self,
                                 "SELECT " JOB_COLUMNS " FROM jobs "
                                 "WHERE mac = ?1 AND state IN " PENDING_STATES " ORDER BY id",
                                 error);
    else
      stmt = _wpi_store_prepare (self,
                                 "SELECT " JOB_COLUMNS " FROM jobs "
                                 "WHERE state IN " PENDING_STATES " ORDER BY id",
                                 error);
    if (stmt != NULL)
      {
        if (normal != NULL)
          _wpi_store_bind_text (stmt, 1, normal);
        jobs = job_collect (self, stmt, TRUE, error);
      }
  }

  _wpi_store_rollback (self);
  return jobs;
}

/* 1 << the state's position in _wpi_store_job_state_names, to test it against a mask in SQL */
#define JOB_STATE_BIT \
  "(CASE state WHEN 'queued' THEN 1 WHEN 'contacting' THEN 2 WHEN 'in-progress' THEN 4 " \
  "WHEN 'waiting-busy' THEN 8 WHEN 'done' THEN 16 WHEN 'failed' THEN 32 " \
  "WHEN 'cancelled' THEN 64 WHEN 'done-with-problems' THEN 128 ELSE 0 END)"

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
  if (filter->mac != NULL && (normal = _wpi_store_normalize_mac (filter->mac, error)) == NULL)
    return NULL;

  /* newest first so that LIMIT keeps the newest; put back in id order below */
  if (normal != NULL)
    stmt = _wpi_store_prepare (self,
                               "SELECT " JOB_COLUMNS " FROM jobs WHERE mac = ?1 "
                               "AND (?2 = 0 OR ?2 & " JOB_STATE_BIT ") ORDER BY id DESC LIMIT ?3",
                               error);
  else
    stmt = _wpi_store_prepare (self,
                               "SELECT " JOB_COLUMNS " FROM jobs "
                               "WHERE (?2 = 0 OR ?2 & " JOB_STATE_BIT ") ORDER BY id DESC LIMIT ?3",
                               error);
  if (stmt == NULL)
    return NULL;
  if (normal != NULL)
    _wpi_store_bind_text (stmt, 1, normal);
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

/* A final state is never left. */
static WpiStoreMove
job_check_move (gint64                job_id,
                int                   current,
                G_GNUC_UNUSED int     next,
                GError              **error)
{
  if (!wpi_job_state_is_final ((WpiJobState) current))
    return WPI_STORE_MOVE_WRITE;
  g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
               "Job %" G_GINT64_FORMAT " is already %s", job_id,
               wpi_job_state_to_string ((WpiJobState) current));
  return WPI_STORE_MOVE_REFUSE;
}

static const WpiStoreStateMachine job_state_machine = {
  .noun = "job",
  .read_sql = "SELECT state FROM jobs WHERE id = ?1",
  .update_sql = "UPDATE jobs SET state = ?2, failure_reason = ?3, updated_us = ?4 WHERE id = ?1",
  .names = _wpi_store_job_state_names,
  .n_names = G_N_ELEMENTS (_wpi_store_job_state_names),
  .fallback = WPI_JOB_STATE_FAILED,
  .failed = WPI_JOB_STATE_FAILED,
  .check_move = job_check_move,
};

gboolean
_wpi_store_job_read_state (WpiStore     *self,
                           gint64        job_id,
                           WpiJobState  *state,
                           GError      **error)
{
  int value;

  if (!_wpi_store_read_state (self, &job_state_machine, job_id, &value, error))
    return FALSE;
  *state = (WpiJobState) value;
  return TRUE;
}

/* For changes that leave the state as it is: the job must still be pending. */
static gboolean
job_require_pending (WpiStore  *self,
                     gint64     job_id,
                     GError   **error)
{
  WpiJobState current;

  return _wpi_store_job_read_state (self, job_id, &current, error) &&
         job_check_move (job_id, current, current, error) == WPI_STORE_MOVE_WRITE;
}

gboolean
wpi_store_job_set_state (WpiStore     *self,
                         gint64        job_id,
                         WpiJobState   state,
                         const char   *reason,
                         GError      **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  return _wpi_store_set_state (self, &job_state_machine, job_id, (int) state, reason, error);
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

  stmt = _wpi_store_prepare (self,
                             "UPDATE jobs SET attempts = attempts + 1, next_attempt_us = ?2, "
                             "updated_us = ?3 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, next_attempt_us);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  missing = g_strdup_printf ("No job %" G_GINT64_FORMAT, job_id);
  STORE_WRITE (self, error,
               _wpi_store_run_keyed_change (self, stmt, "Cannot store a job's attempt", missing, error));
}

static gboolean
job_reschedule_in_transaction (WpiStore  *self,
                               gint64     job_id,
                               gint64     next_attempt_us,
                               GError   **error)
{
  g_autoptr(CachedStmt) stmt = NULL;

  if (!job_require_pending (self, job_id, error))
    return FALSE;

  stmt = _wpi_store_prepare (self,
                             "UPDATE jobs SET next_attempt_us = ?2, updated_us = ?3 WHERE id = ?1",
                             error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job_id);
  sqlite3_bind_int64 (stmt, 2, next_attempt_us);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time ());
  return _wpi_store_run (self, stmt, "Cannot reschedule a job", error);
}

gboolean
wpi_store_job_reschedule (WpiStore  *self,
                          gint64     job_id,
                          gint64     next_attempt_us,
                          GError   **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (next_attempt_us < 0)
    return _wpi_store_invalid (error, "Invalid time of the next attempt");

  STORE_WRITE (self, error, job_reschedule_in_transaction (self, job_id, next_attempt_us, error));
}

/* update and append in job_set_item_results_in_transaction() take the same
 * parameters: ?1 job, ?2 name, ?3 index, ?4 status, ?5 value. */
static gboolean
job_item_result_run (WpiStore            *self,
                     CachedStmt          *stmt,
                     gint64               job_id,
                     const WpiStoreItem  *result,
                     GError             **error)
{
  sqlite3_bind_int64 (stmt, 1, job_id);
  _wpi_store_bind_text (stmt, 2, result->name);
  sqlite3_bind_int64 (stmt, 3, _wpi_store_item_idx (result));
  _wpi_store_bind_text (stmt, 4, result->status);
  _wpi_store_bind_text (stmt, 5, result->value);
  if (!_wpi_store_run (self, stmt, "Cannot store a job item's result", error))
    return FALSE;
  sqlite3_reset (stmt);
  return TRUE;
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

  if (!_wpi_store_job_read_state (self, job_id, &state, error))
    return FALSE;

  update = _wpi_store_prepare (self,
                               "UPDATE job_items SET status = ?4, value = coalesce (value, ?5) "
                               "WHERE job_id = ?1 AND name = ?2 AND idx = ?3",
                               error);
  append = _wpi_store_prepare (self,
                               "INSERT INTO job_items (job_id, pos, name, idx, value, status) "
                               "SELECT ?1, coalesce (max (pos) + 1, 0), ?2, ?3, ?5, ?4 "
                               "FROM job_items WHERE job_id = ?1",
                               error);
  if (update == NULL || append == NULL)
    return FALSE;

  /* an update first; a result for an item the job did not carry is appended */
  for (gsize i = 0; i < n_results; i++)
    {
      if (!job_item_result_run (self, update, job_id, &results[i], error))
        return FALSE;
      if (sqlite3_changes (self->db) == 0 &&
          !job_item_result_run (self, append, job_id, &results[i], error))
        return FALSE;
    }

  touch = _wpi_store_prepare (self, "UPDATE jobs SET updated_us = ?2 WHERE id = ?1", error);
  if (touch == NULL)
    return FALSE;
  sqlite3_bind_int64 (touch, 1, job_id);
  sqlite3_bind_int64 (touch, 2, g_get_real_time ());
  return _wpi_store_run (self, touch, "Cannot store a job", error);
}

gboolean
wpi_store_job_set_item_results (WpiStore            *self,
                                gint64               job_id,
                                const WpiStoreItem  *results,
                                gsize                n_results,
                                GError             **error)
{
  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);

  if (!_wpi_store_validate_items (results, n_results, FALSE, TRUE, error))
    return FALSE;
  for (gsize i = 0; i < n_results; i++)
    if (results[i].status != NULL && !g_utf8_validate (results[i].status, -1, NULL))
      return _wpi_store_invalid (error, "The status of item “%s” is not valid UTF-8", results[i].name);

  STORE_WRITE (self, error,
               job_set_item_results_in_transaction (self, job_id, results, n_results, error));
}

