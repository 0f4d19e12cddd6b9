/* wpi-service-deadlines.c: flows that end without a CleanUp (decisions.md D22)
 *
 * A phone that goes silent, or restarts in the middle of a flow, never finishes it. Its
 * flow is closed: at the deadline (the service's flow-deadline, 60 s by default) without
 * a message, or at once when the same phone opens a new flow. The job it was running
 * goes back to pending with the attempt counted, or fails after WPI_FLOW_MAX_ATTEMPTS;
 * a configuration read that never completed is queued again, so nothing is left
 * in-progress for ever and no phone stays half read. What completes at the phone's next
 * start-up (a restart, a factory reset, a bootstrap waiting for its TAN) waits for it.
 */
#include "config.h"

#include "wpi-service-private.h"

/* A read of the phone's whole configuration (start-up with configuration-changed-flag,
 * local-changes without attached items) was cut short: it is queued as a read-all job,
 * which the phone's next flow runs first, whenever that comes. */
static void
requeue_configuration_read (WpiService *self,
                            Flow       *flow)
{
  g_autoptr(GError) error = NULL;
  gint64 job_id = 0;

  if (!wpi_store_job_enqueue (self->store, flow->mac, WPI_JOB_KIND_READ_ALL, NULL, NULL, 0,
                              &job_id, &error))
    {
      g_warning ("Cannot queue a new read of %s: %s", flow->mac, error->message);
      return;
    }
  _wpi_service_refresh_job (self, job_id);
  _wpi_service_log (self, "%s was never read completely: read-all job %" G_GINT64_FORMAT " queued",
                    flow->mac, job_id);
}

/* The job of a flow cut short: pending again with one more attempt, or failed once it
 * has had its share. A restart or factory reset is already on its way and completes at
 * the phone's next start-up. */
static void
requeue_job (WpiService   *self,
             WpiJobRecord *job,
             const char   *why)
{
  g_autoptr(GError) error = NULL;
  guint attempts = job->attempts + 1;

  if (job->kind == WPI_JOB_KIND_RESTART || job->kind == WPI_JOB_KIND_FACTORY_RESET)
    return;
  if (!_wpi_service_record_job_attempt (self, job->id, 0, &error))
    {
      g_warning ("Cannot count an attempt of job %" G_GINT64_FORMAT ": %s", job->id, error->message);
      return;
    }
  if (attempts >= WPI_FLOW_MAX_ATTEMPTS)
    {
      g_autofree char *reason = g_strdup_printf ("%s (attempt %u of %u)", why, attempts,
                                                 WPI_FLOW_MAX_ATTEMPTS);

      _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_FAILED, reason, NULL);
      _wpi_service_log (self, "job %" G_GINT64_FORMAT " %s for %s failed: %s", job->id,
                        wpi_job_kind_to_string (job->kind), job->mac, reason);
      return;
    }
  _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_QUEUED, NULL, NULL);
  _wpi_service_log (self, "job %" G_GINT64_FORMAT " %s for %s is pending again after attempt %u: %s",
                    job->id, wpi_job_kind_to_string (job->kind), job->mac, attempts, why);
}

/* D22: closes a flow that did not end with a CleanUp, logs why, and puts back what it
 * left unfinished. The flow is freed. */
void
_wpi_service_flow_cut_short (WpiService *self,
                             Flow       *flow,
                             const char *why)
{
  _wpi_service_log (self, "flow %s of %s closed: %s", flow->id, flow->mac, why);
  /* Flow B: the bundle is on the phone; its next start-up on the secure port asks for the
   * TAN again (§7.15 step 7). Pending again, the job would let that start-up through
   * without one, and send the bundle anew. */
  if (flow->step == STEP_TAN)
    _wpi_service_log (self, "job %" G_GINT64_FORMAT " bootstrap for %s waits for the TAN at the "
                      "phone's next start-up", flow->job->id, flow->mac);
  else if (flow->job != NULL)
    requeue_job (self, flow->job, why);
  else if (flow->step == STEP_REGISTRATION_READ)
    requeue_configuration_read (self, flow);
  _wpi_service_flow_close (self, flow);
}

/* D22: flows without a message for flow-deadline seconds are closed. */
void
_wpi_service_expire_flows (WpiService *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 deadline = (gint64) self->flow_deadline * G_TIME_SPAN_SECOND;
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  g_autofree char *why = g_strdup_printf ("no message for %u s (flow deadline, D22)", self->flow_deadline);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->flows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - ((Flow *) value)->last_activity > deadline)
      g_ptr_array_add (expired, value);

  for (guint i = 0; i < expired->len; i++)
    {
      Flow *flow = g_ptr_array_index (expired, i);
      g_autofree char *mac = g_strdup (flow->mac);

      _wpi_service_flow_cut_short (self, flow, why);
      _wpi_service_set_phone_state (self, mac, WPI_PHONE_STATE_IDLE);
      _wpi_service_refresh_phone (self, mac);
    }
}
