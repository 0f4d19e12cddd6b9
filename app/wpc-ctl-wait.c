/* wpc-ctl-wait.c: waiting for the service to finish jobs */
#include "config.h"

#include "wpc-ctl-wait.h"

typedef struct {
  WpiStore   *store;
  GPtrArray  *jobs;      /* WpiJobRecord, in the order asked for */
  gint64      deadline;  /* monotonic */
  GMainLoop  *loop;
  GError     *error;
  gboolean    all_final;
} Waiter;

/* Rereads the jobs that are still pending; TRUE when the wait is over. */
static gboolean
waiter_check (Waiter *waiter)
{
  gboolean all_final = TRUE;

  for (guint i = 0; i < waiter->jobs->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (waiter->jobs, i);
      WpiJobRecord *fresh;

      if (wpi_job_state_is_final (job->state))
        continue;
      fresh = wpi_store_job_get (waiter->store, job->id, &waiter->error);
      if (fresh == NULL)
        return TRUE;
      /* replaces (and frees) the old record */
      g_ptr_array_index (waiter->jobs, i) = fresh;
      wpi_job_record_free (job);
      if (!wpi_job_state_is_final (fresh->state))
        all_final = FALSE;
    }

  waiter->all_final = all_final;
  return all_final || g_get_monotonic_time () >= waiter->deadline;
}

static gboolean
on_tick (gpointer user_data)
{
  Waiter *waiter = user_data;

  /* one cheap PRAGMA when nothing changed; the deadline is checked either way */
  if (!wpi_store_poll_external_change (waiter->store) &&
      g_get_monotonic_time () < waiter->deadline)
    return G_SOURCE_CONTINUE;

  if (!waiter_check (waiter))
    return G_SOURCE_CONTINUE;

  g_main_loop_quit (waiter->loop);
  return G_SOURCE_REMOVE;
}

GPtrArray *
wpc_ctl_wait_for_jobs (WpiStore      *store,
                       const gint64  *job_ids,
                       guint          n_jobs,
                       gint64         timeout_us,
                       gboolean      *all_final,
                       GError       **error)
{
  g_autoptr(GPtrArray) jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_job_record_free);
  g_autoptr(GMainContext) context = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GSource) tick = NULL;
  Waiter waiter = { 0 };

  g_return_val_if_fail (WPI_IS_STORE (store), NULL);

  for (guint i = 0; i < n_jobs; i++)
    {
      WpiJobRecord *job = wpi_store_job_get (store, job_ids[i], error);

      if (job == NULL)
        return NULL;
      g_ptr_array_add (jobs, job);
    }

  waiter.store = store;
  waiter.jobs = jobs;
  waiter.deadline = g_get_monotonic_time () + MAX (timeout_us, 0);
  waiter.all_final = TRUE;
  for (guint i = 0; i < jobs->len; i++)
    if (!wpi_job_state_is_final (((WpiJobRecord *) g_ptr_array_index (jobs, i))->state))
      waiter.all_final = FALSE;

  if (!waiter.all_final && timeout_us > 0)
    {
      /* A context of our own: nothing else of the process runs while we wait. The
       * first poll may report changes from before the jobs were read: harmless. */
      context = g_main_context_new ();
      g_main_context_push_thread_default (context);
      loop = g_main_loop_new (context, FALSE);
      waiter.loop = loop;
      tick = g_timeout_source_new (WPC_CTL_WAIT_INTERVAL_MS);
      g_source_set_callback (tick, on_tick, &waiter, NULL);
      g_source_attach (tick, context);
      g_main_loop_run (loop);
      g_source_destroy (tick);
      g_main_context_pop_thread_default (context);

      if (waiter.error != NULL)
        {
          g_propagate_error (error, waiter.error);
          return NULL;
        }
    }

  if (all_final != NULL)
    *all_final = waiter.all_final;
  return g_steal_pointer (&jobs);
}
