/* wpi-traffic-filter-model.c: the messages of a WpiTrafficModel a display filter lets through */
#include "config.h"

#include "wpi-codec.h"
#include "wpi-traffic-filter-model-private.h"

/* Summary rows the worker reads at a time */
#define SCAN_BATCH 4096
/* How often the worker hands matches to the model at most */
#define SCAN_REPORT_INTERVAL_US (30 * G_TIME_SPAN_MILLISECOND)

/* What the worker shares with the model: the matches it found and has not handed over. */
typedef struct {
  gatomicrefcount  ref_count;
  GMutex           lock;
  GWeakRef         model;
  GArray          *pending;  /* gint64 ids, ascending */
  guint64          scanned;
  guint64          total;
  gboolean         drain_scheduled;
} ScanShared;

typedef struct {
  ScanShared *shared;
  char       *data_dir;
  WpiFilter  *filter;
  gint64      first_id;
  gint64      last_id;
  gboolean    use_index;
  GMainContext *context;
} ScanJob;

struct _WpiTrafficFilterModel
{
  GObject          parent_instance;

  WpiTrafficModel *model;
  WpiFilter       *filter;
  gboolean         reversed;

  /* With a filter: the matching ids the scan found, then those of messages added
   * while it ran (kept apart so the scan's later chunks go in front of them). */
  GArray          *ids;
  GArray          *live_ids;
  gint64           scan_last_id;   /* the scan covers ids up to this one */

  GCancellable    *cancellable;
  ScanShared      *shared;
  gboolean         running;
  double           progress;
  GError          *error;
  gboolean         use_index;      /* off: the scan decodes every body, as before D28 */
};

static void wpi_traffic_filter_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WpiTrafficFilterModel, wpi_traffic_filter_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      wpi_traffic_filter_model_list_model_init))

enum {
  PROP_0,
  PROP_MODEL,
  PROP_FILTER,
  PROP_RUNNING,
  PROP_PROGRESS,
  PROP_REVERSED,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static ScanShared *
scan_shared_ref (ScanShared *shared)
{
  g_atomic_ref_count_inc (&shared->ref_count);
  return shared;
}

static void
scan_shared_unref (ScanShared *shared)
{
  if (!g_atomic_ref_count_dec (&shared->ref_count))
    return;
  g_weak_ref_clear (&shared->model);
  g_mutex_clear (&shared->lock);
  g_array_unref (shared->pending);
  g_free (shared);
}

static void
scan_job_free (ScanJob *job)
{
  scan_shared_unref (job->shared);
  g_free (job->data_dir);
  wpi_filter_unref (job->filter);
  g_main_context_unref (job->context);
  g_free (job);
}

static guint
n_filtered (WpiTrafficFilterModel *self)
{
  return self->ids->len + self->live_ids->len;
}

static guint
n_items (WpiTrafficFilterModel *self)
{
  if (self->filter == NULL)
    return g_list_model_get_n_items (G_LIST_MODEL (self->model));
  return n_filtered (self);
}

/* Reports a change in id order, mirrored when reversed. */
static void
emit_changed (WpiTrafficFilterModel *self,
              guint                  old_n,
              guint                  position,
              guint                  removed,
              guint                  added)
{
  if (removed == 0 && added == 0)
    return;
  if (self->reversed)
    position = old_n - position - removed;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static gint64
id_at (WpiTrafficFilterModel *self,
       guint                  index)
{
  if (index < self->ids->len)
    return g_array_index (self->ids, gint64, index);
  return g_array_index (self->live_ids, gint64, index - self->ids->len);
}

/* The first index in the ascending ids whose id is >= id */
static guint
lower_bound (WpiTrafficFilterModel *self,
             gint64                 id)
{
  guint low = 0, high = n_filtered (self);

  while (low < high)
    {
      guint middle = low + (high - low) / 2;

      if (id_at (self, middle) < id)
        low = middle + 1;
      else
        high = middle;
    }
  return low;
}

static void
set_running (WpiTrafficFilterModel *self,
             gboolean               running,
             double                 progress)
{
  if (self->progress != progress)
    {
      self->progress = progress;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
    }
  if (self->running != running)
    {
      self->running = running;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
    }
}

/* ---- The worker ------------------------------------------------------------------ */

typedef struct {
  WpiStore   *store;
  WpiMessage *message;
} WorkerBodies;

static WpiMessage *
worker_message (const WpiTrafficRecord *record,
                gpointer                user_data)
{
  WorkerBodies *bodies = user_data;
  g_autoptr(WpiTrafficRecord) full = NULL;

  g_clear_object (&bodies->message);
  full = wpi_store_traffic_get (bodies->store, record->id, NULL);
  if (full == NULL || full->body == NULL)
    return NULL;
  bodies->message = wpi_message_parse (g_bytes_get_data (full->body, NULL),
                                       g_bytes_get_size (full->body), NULL);
  return bodies->message;
}

static gboolean drain_idle (gpointer data);

/* Hands the matches over: they go into the shared list, and the model's thread is asked
 * to take them (once per interval, so a fast scan does not flood the main loop). */
static void
worker_report (ScanJob *job,
               GArray  *found,
               guint64  scanned,
               gint64  *last_report_us,
               gboolean force)
{
  ScanShared *shared = job->shared;
  gint64 now = g_get_monotonic_time ();
  gboolean schedule = FALSE;

  if (!force && now - *last_report_us < SCAN_REPORT_INTERVAL_US)
    return;
  *last_report_us = now;

  g_mutex_lock (&shared->lock);
  if (found->len > 0)
    g_array_append_vals (shared->pending, found->data, found->len);
  shared->scanned = scanned;
  if (!shared->drain_scheduled)
    schedule = shared->drain_scheduled = TRUE;
  g_mutex_unlock (&shared->lock);
  g_array_set_size (found, 0);

  if (schedule)
    g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, drain_idle,
                                scan_shared_ref (shared), (GDestroyNotify) scan_shared_unref);
}

static gboolean
scan_records (ScanJob      *job,
              WorkerBodies *bodies,
              GPtrArray    *records,
              GArray       *found)
{
  for (guint i = 0; i < records->len; i++)
    {
      const WpiTrafficRecord *record = g_ptr_array_index (records, i);

      if (record->id < job->first_id || record->id > job->last_id)
        continue;
      if (wpi_filter_match_record (job->filter, record, worker_message, bodies))
        g_array_append_val (found, record->id);
    }
  g_clear_object (&bodies->message);
  return TRUE;
}

/* Every message, its whole summary read and item fields decoded from the body: the scan
 * before the item index (D28), kept for messages without one and to measure against. */
static gboolean
scan_decoding (ScanJob      *job,
               GTask        *task,
               WorkerBodies *bodies,
               GArray       *found,
               gint64       *last_report_us)
{
  g_autoptr(GError) error = NULL;

  for (gint64 id = job->first_id; id <= job->last_id; )
    {
      g_autoptr(GPtrArray) records = NULL;
      const WpiTrafficRecord *last;

      if (g_task_return_error_if_cancelled (task))
        return FALSE;
      records = wpi_store_traffic_get_range (bodies->store, id, SCAN_BATCH, &error);
      if (records == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return FALSE;
        }
      if (records->len == 0)
        break;
      scan_records (job, bodies, records, found);
      last = g_ptr_array_index (records, records->len - 1);
      id = last->id + 1;
      worker_report (job, found, MIN (last->id, job->last_id) - job->first_id + 1, last_report_us, FALSE);
    }
  return TRUE;
}

typedef struct {
  ScanJob      *job;
  WorkerBodies *bodies;
  GArray       *found;
} IndexedScan;

static void
scan_indexed_row (const WpiTrafficRecord *record,
                  const guint8           *item_index,
                  gsize                   item_index_size,
                  gpointer                user_data)
{
  IndexedScan *scan = user_data;

  if (wpi_filter_match_indexed (scan->job->filter, record, item_index, item_index_size, worker_message,
                                scan->bodies))
    g_array_append_val (scan->found, record->id);
}

/* Every message, reading only the summary columns the filter looks at and its item
 * index, without copying a row (D28). */
static gboolean
scan_indexed (ScanJob      *job,
              GTask        *task,
              WorkerBodies *bodies,
              GArray       *found,
              gint64       *last_report_us)
{
  g_autoptr(GError) error = NULL;
  IndexedScan scan = { job, bodies, found };
  WpiTrafficFields fields = wpi_filter_get_fields (job->filter);

  for (gint64 id = job->first_id; id <= job->last_id; )
    {
      gint64 next_id = id;

      if (g_task_return_error_if_cancelled (task))
        return FALSE;
      if (!wpi_store_traffic_scan (bodies->store, id, job->last_id, SCAN_BATCH, fields, scan_indexed_row,
                                   &scan, &next_id, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return FALSE;
        }
      g_clear_object (&bodies->message);
      id = next_id;
      worker_report (job, found, MIN (id - 1, job->last_id) - job->first_id + 1, last_report_us, FALSE);
    }
  return TRUE;
}

static void
scan_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ScanJob *job = task_data;
  g_autoptr(WpiStore) store = NULL;
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) error = NULL;
  WorkerBodies bodies = { 0 };
  WpiFilterField hint_field;
  const char *hint_value = NULL;
  gint64 last_report_us = 0;
  guint64 scanned = 0;

  /* this thread's alone, from here to its end */
  store = wpi_store_open_single_thread (job->data_dir, &error);
  if (store == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  bodies.store = store;

  if (wpi_filter_get_index_hint (job->filter, &hint_field, &hint_value) &&
      hint_field == WPI_FILTER_FIELD_FLOW)
    {
      /* A flow is a handful of messages, found through its index. */
      g_autoptr(GPtrArray) records = wpi_store_traffic_list_by_flow (store, hint_value, &error);

      if (records == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      scan_records (job, &bodies, records, found);
      scanned = job->last_id - job->first_id + 1;
    }
  else if (hint_value != NULL)
    {
      /* One phone's messages, through the MAC index, a batch at a time */
      gint64 after_id = job->first_id - 1;

      for (;;)
        {
          g_autoptr(GPtrArray) records = NULL;
          const WpiTrafficRecord *last;

          if (g_task_return_error_if_cancelled (task))
            return;
          records = wpi_store_traffic_list_by_mac (store, hint_value, after_id, SCAN_BATCH, &error);
          if (records == NULL)
            {
              g_task_return_error (task, g_steal_pointer (&error));
              return;
            }
          if (records->len == 0)
            break;
          scan_records (job, &bodies, records, found);
          last = g_ptr_array_index (records, records->len - 1);
          after_id = last->id;
          scanned = MIN (last->id, job->last_id) - job->first_id + 1;
          if (after_id >= job->last_id)
            break;
          worker_report (job, found, scanned, &last_report_us, FALSE);
        }
      scanned = job->last_id - job->first_id + 1;
    }
  else if (!(job->use_index ? scan_indexed (job, task, &bodies, found, &last_report_us)
                             : scan_decoding (job, task, &bodies, found, &last_report_us)))
    return;
  scanned = job->last_id - job->first_id + 1;

  if (g_task_return_error_if_cancelled (task))
    return;
  worker_report (job, found, scanned, &last_report_us, TRUE);
  g_task_return_boolean (task, TRUE);
}

/* ---- Taking the worker's results ---------------------------------------------------- */

static void
drain (WpiTrafficFilterModel *self)
{
  ScanShared *shared = self->shared;
  g_autoptr(GArray) taken = NULL;
  gint64 first_id = wpi_traffic_model_get_first_id (self->model);
  guint skip = 0;
  double progress;
  guint old_n;

  g_mutex_lock (&shared->lock);
  taken = g_steal_pointer (&shared->pending);
  shared->pending = g_array_new (FALSE, FALSE, sizeof (gint64));
  progress = shared->total > 0 ? (double) shared->scanned / shared->total : 1.0;
  shared->drain_scheduled = FALSE;
  g_mutex_unlock (&shared->lock);

  /* Messages deleted for retention since the scan read them */
  while (skip < taken->len && g_array_index (taken, gint64, skip) < first_id)
    skip++;

  if (taken->len > skip)
    {
      old_n = n_filtered (self);
      g_array_append_vals (self->ids, &g_array_index (taken, gint64, skip), taken->len - skip);
      emit_changed (self, old_n, self->ids->len - (taken->len - skip), 0, taken->len - skip);
    }
  if (self->running)
    set_running (self, TRUE, MIN (progress, 1.0));
}

static gboolean
drain_idle (gpointer data)
{
  ScanShared *shared = data;
  g_autoptr(WpiTrafficFilterModel) self = g_weak_ref_get (&shared->model);

  /* A scan that was cancelled has nothing more to say. */
  if (self != NULL && self->shared == shared)
    drain (self);
  return G_SOURCE_REMOVE;
}

static void
scan_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ScanShared *shared = user_data;
  g_autoptr(WpiTrafficFilterModel) self = g_weak_ref_get (&shared->model);
  g_autoptr(GError) error = NULL;
  gboolean ok = g_task_propagate_boolean (G_TASK (result), &error);

  if (self != NULL && self->shared == shared)
    {
      drain (self);
      if (!ok && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_warning ("Cannot filter the traffic log: %s", error->message);
          g_clear_error (&self->error);
          self->error = g_steal_pointer (&error);
        }
      /* The messages that came while the scan ran follow its results. */
      g_array_append_vals (self->ids, self->live_ids->data, self->live_ids->len);
      g_array_set_size (self->live_ids, 0);
      g_clear_object (&self->cancellable);
      g_clear_pointer (&self->shared, scan_shared_unref);
      set_running (self, FALSE, 1.0);
    }
  scan_shared_unref (shared);
}

static void
cancel_scan (WpiTrafficFilterModel *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->shared, scan_shared_unref);
}

/* Forgets the matches and, with a filter, scans the base model's messages again. */
static void
restart (WpiTrafficFilterModel *self,
         guint                  old_n)
{
  g_autoptr(GTask) task = NULL;
  ScanShared *shared;
  ScanJob *job;
  gint64 first_id = wpi_traffic_model_get_first_id (self->model);
  gint64 last_id = wpi_traffic_model_get_last_id (self->model);

  cancel_scan (self);
  g_array_set_size (self->ids, 0);
  g_array_set_size (self->live_ids, 0);
  g_clear_error (&self->error);
  self->scan_last_id = last_id;

  if (old_n > 0 || n_items (self) > 0)
    {
      /* The whole list changes: reversal does not matter. */
      g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, n_items (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
    }

  if (self->filter == NULL || first_id == 0)
    {
      set_running (self, FALSE, 1.0);
      return;
    }

  shared = g_new0 (ScanShared, 1);
  g_atomic_ref_count_init (&shared->ref_count);
  g_mutex_init (&shared->lock);
  g_weak_ref_init (&shared->model, self);
  shared->pending = g_array_new (FALSE, FALSE, sizeof (gint64));
  shared->total = last_id - first_id + 1;
  self->shared = shared;

  job = g_new0 (ScanJob, 1);
  job->shared = scan_shared_ref (shared);
  job->data_dir = g_strdup (wpi_store_get_data_dir (wpi_traffic_model_get_store (self->model)));
  job->filter = wpi_filter_ref (self->filter);
  job->first_id = first_id;
  job->last_id = last_id;
  job->use_index = self->use_index;
  job->context = g_main_context_ref_thread_default ();

  self->cancellable = g_cancellable_new ();
  /* No source object: a scan must not keep the model alive. */
  task = g_task_new (NULL, self->cancellable, scan_done, scan_shared_ref (shared));
  g_task_set_source_tag (task, restart);
  g_task_set_task_data (task, job, (GDestroyNotify) scan_job_free);
  set_running (self, TRUE, 0.0);
  g_task_run_in_thread (task, scan_thread);
}

void
_wpi_traffic_filter_model_set_use_index (WpiTrafficFilterModel *self,
                                         gboolean               use_index)
{
  g_return_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self));

  if (self->use_index == !!use_index)
    return;
  self->use_index = !!use_index;
  if (self->filter != NULL)
    restart (self, n_items (self));
}

/* ---- Following the base model ------------------------------------------------------- */

static gboolean
entry_matches (WpiTrafficFilterModel *self,
               gint64                 id)
{
  g_autoptr(WpiTrafficEntry) entry = wpi_traffic_model_get_entry_by_id (self->model, id);

  return entry != NULL &&
         wpi_filter_match_entry (self->filter, entry, wpi_traffic_model_get_store (self->model));
}

static void
drop_before (WpiTrafficFilterModel *self,
             gint64                 first_id)
{
  guint old_n = n_filtered (self);
  guint count = lower_bound (self, first_id);
  guint from_ids = MIN (count, self->ids->len);

  if (count == 0)
    return;
  g_array_remove_range (self->ids, 0, from_ids);
  if (count > from_ids)
    g_array_remove_range (self->live_ids, 0, count - from_ids);
  emit_changed (self, old_n, 0, count, 0);
}

static void
on_model_items_changed (GListModel            *model,
                        guint                  position,
                        guint                  removed,
                        guint                  added,
                        WpiTrafficFilterModel *self)
{
  guint n_base = g_list_model_get_n_items (model);
  gint64 first_id = wpi_traffic_model_get_first_id (self->model);

  if (self->filter == NULL)
    {
      emit_changed (self, n_base - added + removed, position, removed, added);
      return;
    }

  if (position == 0 && added == 0)
    {
      /* Retention */
      drop_before (self, first_id);
    }
  else if (removed == 0 && position + added == n_base)
    {
      /* New messages at the end */
      for (guint i = position; i < n_base; i++)
        {
          gint64 id = first_id + i;
          guint old_n;

          if (id <= self->scan_last_id && self->running)
            continue;
          if (!entry_matches (self, id))
            continue;
          old_n = n_filtered (self);
          if (self->running)
            g_array_append_val (self->live_ids, id);
          else
            g_array_append_val (self->ids, id);
          emit_changed (self, old_n, old_n, 0, 1);
        }
      self->scan_last_id = MAX (self->scan_last_id, first_id + n_base - 1);
    }
  else if (removed == 1 && added == 1 && !self->running)
    {
      /* One message logged again under the same id */
      gint64 id = first_id + position;
      guint index = lower_bound (self, id);
      gboolean shown = index < n_filtered (self) && id_at (self, index) == id;
      gboolean matches = entry_matches (self, id);
      guint old_n = n_filtered (self);

      if (shown && !matches)
        {
          g_array_remove_index (self->ids, index);
          emit_changed (self, old_n, index, 1, 0);
        }
      else if (!shown && matches)
        {
          g_array_insert_val (self->ids, index, id);
          emit_changed (self, old_n, index, 0, 1);
        }
      else if (shown)
        emit_changed (self, old_n, index, 1, 1);
    }
  else
    restart (self, n_filtered (self));
}

/* ---- API ---------------------------------------------------------------------------- */

WpiTrafficFilterModel *
wpi_traffic_filter_model_new (WpiTrafficModel *model)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (model), NULL);

  return g_object_new (WPI_TYPE_TRAFFIC_FILTER_MODEL, "model", model, NULL);
}

WpiTrafficModel *
wpi_traffic_filter_model_get_model (WpiTrafficFilterModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), NULL);
  return self->model;
}

void
wpi_traffic_filter_model_set_filter (WpiTrafficFilterModel *self,
                                     WpiFilter             *filter)
{
  guint old_n;

  g_return_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self));

  if (self->filter == filter)
    return;

  old_n = n_items (self);
  if (filter != NULL)
    wpi_filter_ref (filter);
  g_clear_pointer (&self->filter, wpi_filter_unref);
  self->filter = filter;
  restart (self, old_n);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILTER]);
}

WpiFilter *
wpi_traffic_filter_model_get_filter (WpiTrafficFilterModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), NULL);
  return self->filter;
}

gboolean
wpi_traffic_filter_model_get_running (WpiTrafficFilterModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), FALSE);
  return self->running;
}

double
wpi_traffic_filter_model_get_progress (WpiTrafficFilterModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), 0.0);
  return self->progress;
}

const GError *
wpi_traffic_filter_model_get_error (WpiTrafficFilterModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), NULL);
  return self->error;
}

gboolean
wpi_traffic_filter_model_get_reversed (WpiTrafficFilterModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), FALSE);
  return self->reversed;
}

void
wpi_traffic_filter_model_set_reversed (WpiTrafficFilterModel *self,
                                       gboolean               reversed)
{
  guint n;

  g_return_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self));

  reversed = !!reversed;
  if (self->reversed == reversed)
    return;
  self->reversed = reversed;
  n = n_items (self);
  if (n > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, n, n);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVERSED]);
}

static guint
index_of_position (WpiTrafficFilterModel *self,
                   guint                  position)
{
  return self->reversed ? n_items (self) - 1 - position : position;
}

gint64
wpi_traffic_filter_model_get_id (WpiTrafficFilterModel *self,
                                 guint                  position)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), 0);

  if (position >= n_items (self))
    return 0;
  if (self->filter == NULL)
    return wpi_traffic_model_get_first_id (self->model) + index_of_position (self, position);
  return id_at (self, index_of_position (self, position));
}

gboolean
wpi_traffic_filter_model_find (WpiTrafficFilterModel *self,
                               gint64                 id,
                               guint                 *position)
{
  guint index;

  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), FALSE);

  if (self->filter == NULL)
    {
      if (!wpi_traffic_model_get_position (self->model, id, &index))
        return FALSE;
    }
  else
    {
      index = lower_bound (self, id);
      if (index >= n_filtered (self) || id_at (self, index) != id)
        return FALSE;
    }
  if (position != NULL)
    *position = index_of_position (self, index);
  return TRUE;
}

GArray *
wpi_traffic_filter_model_dup_ids (WpiTrafficFilterModel *self)
{
  GArray *ids;

  g_return_val_if_fail (WPI_IS_TRAFFIC_FILTER_MODEL (self), NULL);

  ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), n_items (self));
  if (self->filter == NULL)
    {
      gint64 first_id = wpi_traffic_model_get_first_id (self->model);
      guint n = n_items (self);

      g_array_set_size (ids, n);
      for (guint i = 0; i < n; i++)
        g_array_index (ids, gint64, i) = first_id + i;
    }
  else
    {
      g_array_append_vals (ids, self->ids->data, self->ids->len);
      g_array_append_vals (ids, self->live_ids->data, self->live_ids->len);
    }
  return ids;
}

/* ---- GListModel ---------------------------------------------------------------------- */

static GType
wpi_traffic_filter_model_get_item_type (GListModel *model)
{
  return WPI_TYPE_TRAFFIC_ENTRY;
}

static guint
wpi_traffic_filter_model_get_n_items (GListModel *model)
{
  return n_items (WPI_TRAFFIC_FILTER_MODEL (model));
}

static gpointer
wpi_traffic_filter_model_get_item (GListModel *model,
                                   guint       position)
{
  WpiTrafficFilterModel *self = WPI_TRAFFIC_FILTER_MODEL (model);

  if (position >= n_items (self))
    return NULL;
  if (self->filter == NULL)
    return g_list_model_get_item (G_LIST_MODEL (self->model), index_of_position (self, position));
  return wpi_traffic_model_get_entry_by_id (self->model, id_at (self, index_of_position (self, position)));
}

static void
wpi_traffic_filter_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = wpi_traffic_filter_model_get_item_type;
  iface->get_n_items = wpi_traffic_filter_model_get_n_items;
  iface->get_item = wpi_traffic_filter_model_get_item;
}

/* ---- GObject ------------------------------------------------------------------------- */

static void
wpi_traffic_filter_model_constructed (GObject *object)
{
  WpiTrafficFilterModel *self = WPI_TRAFFIC_FILTER_MODEL (object);

  G_OBJECT_CLASS (wpi_traffic_filter_model_parent_class)->constructed (object);

  g_return_if_fail (WPI_IS_TRAFFIC_MODEL (self->model));
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (on_model_items_changed),
                           self, G_CONNECT_DEFAULT);
}

static void
wpi_traffic_filter_model_dispose (GObject *object)
{
  WpiTrafficFilterModel *self = WPI_TRAFFIC_FILTER_MODEL (object);

  cancel_scan (self);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (wpi_traffic_filter_model_parent_class)->dispose (object);
}

static void
wpi_traffic_filter_model_finalize (GObject *object)
{
  WpiTrafficFilterModel *self = WPI_TRAFFIC_FILTER_MODEL (object);

  g_clear_pointer (&self->filter, wpi_filter_unref);
  g_array_unref (self->ids);
  g_array_unref (self->live_ids);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (wpi_traffic_filter_model_parent_class)->finalize (object);
}

static void
wpi_traffic_filter_model_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  WpiTrafficFilterModel *self = WPI_TRAFFIC_FILTER_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_FILTER:
      g_value_set_boxed (value, self->filter);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_REVERSED:
      g_value_set_boolean (value, self->reversed);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, n_items (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_traffic_filter_model_set_property (GObject      *object,
                                       guint         prop_id,
                                       const GValue *value,
                                       GParamSpec   *pspec)
{
  WpiTrafficFilterModel *self = WPI_TRAFFIC_FILTER_MODEL (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      self->model = g_value_dup_object (value);
      break;
    case PROP_FILTER:
      wpi_traffic_filter_model_set_filter (self, g_value_get_boxed (value));
      break;
    case PROP_REVERSED:
      wpi_traffic_filter_model_set_reversed (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_traffic_filter_model_class_init (WpiTrafficFilterModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = wpi_traffic_filter_model_constructed;
  object_class->dispose = wpi_traffic_filter_model_dispose;
  object_class->finalize = wpi_traffic_filter_model_finalize;
  object_class->get_property = wpi_traffic_filter_model_get_property;
  object_class->set_property = wpi_traffic_filter_model_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, WPI_TYPE_TRAFFIC_MODEL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FILTER] =
    g_param_spec_boxed ("filter", NULL, NULL, WPI_TYPE_FILTER,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, 0.0, 1.0, 1.0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVERSED] =
    g_param_spec_boolean ("reversed", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpi_traffic_filter_model_init (WpiTrafficFilterModel *self)
{
  self->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->live_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->progress = 1.0;
  self->use_index = TRUE;
}
