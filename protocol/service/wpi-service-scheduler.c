/* wpi-service-scheduler.c: contact-me scheduling and the tick (D3, D10, D14, D22)
 *
 * A tick every half second: the store is checked for work another process queued,
 * idle flows expire, and phones with jobs due get a contact-me.
 */
#include "config.h"

#include <string.h>

#include "wpi-service-private.h"

/* Traffic retention deletes at most this many messages a tick, so that a first run over
 * a large log never holds the store (and the phones) for long; once nothing is left to
 * delete, it looks again after RETENTION_INTERVAL. */
#define RETENTION_BATCH     2000
#define RETENTION_INTERVAL  G_TIME_SPAN_HOUR

/* ---- Scheduler: contact-me and flow expiry ---------------------------- */

/* D10, with the service's contact-initial-backoff and contact-max-backoff */
GTimeSpan
_wpi_service_contact_backoff (WpiService *self,
                              guint       failures)
{
  return wpi_contact_backoff (self->contact_initial_backoff * G_TIME_SPAN_SECOND,
                              self->contact_max_backoff * G_TIME_SPAN_SECOND, failures);
}

/* The back-off changed: a job waiting for its next contact-me waits no longer than the
 * new back-off allows from now (a longer back-off applies from the next retry on). */
void
_wpi_service_apply_contact_backoff (WpiService *self)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, NULL, NULL);
  gint64 now = g_get_real_time ();

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);
      gint64 due = now + _wpi_service_contact_backoff (self, job->attempts);
      g_autoptr(GError) error = NULL;

      if (job->state != WPI_JOB_STATE_CONTACTING || job->next_attempt_us <= due)
        continue;
      if (!wpi_store_job_reschedule (self->store, job->id, due, &error))
        g_warning ("Cannot reschedule job %" G_GINT64_FORMAT ": %s", job->id, error->message);
      else
        _wpi_service_refresh_job (self, job->id);
    }
}

/* One batch of traffic older than traffic-retention-days goes; the rest at the following
 * ticks. A failure is only logged: trimming the log never stands in a phone's way. */
void
_wpi_service_enforce_traffic_retention (WpiService *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 before = g_get_real_time () - (gint64) self->traffic_retention_days * G_TIME_SPAN_DAY;
  g_autoptr(GError) error = NULL;
  gboolean more = FALSE;

  if (self->traffic_retention_days == 0 || now < self->retention_due)
    return;
  if (!wpi_store_traffic_delete_before (self->store, before, RETENTION_BATCH, &more, &error))
    {
      g_warning ("Cannot delete traffic older than %u days: %s", self->traffic_retention_days,
                 error->message);
      more = FALSE;
    }
  self->retention_due = more ? now : now + RETENTION_INTERVAL;
}

typedef struct {
  WpiService *self;
  char       *mac;
} ContactData;

static void
contact_data_free (ContactData *data)
{
  g_object_unref (data->self);
  g_free (data->mac);
  g_free (data);
}

static void
contact_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ContactData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!wpi_contact_client_contact_finish (WPI_CONTACT_CLIENT (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    _wpi_service_log (data->self, "contact-me %s: %s", data->mac, error->message);
  /* D10: only the phone's call answers a contact-me, not its 204. The mark covers the
   * request under way; the jobs' next attempt (set when it was sent) waits out the
   * back-off, and a phone that answers 204 but never calls is tried again and in the end
   * unreachable, instead of "contacting" for good. Its call clears the unanswered count. */
  g_hash_table_remove (data->self->contacting, data->mac);
  contact_data_free (data);
}

/* The address the phone should call back: the local address that routes to it. */
char *
_wpi_service_local_address_towards (WpiService *self,
                                    const char *phone_ip)
{
  if (self->bind_address != NULL && strcmp (self->bind_address, "0.0.0.0") != 0 &&
      strcmp (self->bind_address, "::") != 0)
    return g_strdup (self->bind_address);
  return wpi_contact_local_address_towards (phone_ip);
}

/* The service gives up on reaching the phone: its jobs fail with reason and it shows as
 * unreachable (D10 after unanswered contact-mes, D19 after a refused target). */
static void
give_up_on_phone (WpiService     *self,
                  WpiPhoneRecord *phone,
                  GPtrArray      *jobs,
                  const char     *reason)
{
  for (guint i = 0; i < jobs->len; i++)
    _wpi_service_set_job_state (self, ((WpiJobRecord *) g_ptr_array_index (jobs, i))->id,
                                WPI_JOB_STATE_FAILED, reason, NULL);
  _wpi_service_set_phone_state (self, phone->mac, WPI_PHONE_STATE_UNREACHABLE);
  _wpi_service_log (self, "%s: %s", phone->mac, reason);
  _wpi_service_refresh_phone (self, phone->mac);
}

/* D19: a contact-me the guard refuses is a security event, and retrying changes nothing
 * until the phone writes again or contact-allow changes. */
static void
refuse_contact (WpiService     *self,
                WpiPhoneRecord *phone,
                GPtrArray      *jobs,
                const char     *why)
{
  g_autofree char *reason = g_strdup_printf ("contact-me refused: %s", why);

  _wpi_service_security_event (self, phone->ip, phone->mac, "contact-me-refused", why);
  give_up_on_phone (self, phone, jobs, reason);
}

/* The URI the phone's contact-me goes to (D19), or NULL when the guard refuses it. For a
 * contact-me-uri that does not parse, the guide's port and path at the phone's address. */
static char *
contact_target (WpiService     *self,
                WpiPhoneRecord *phone,
                GPtrArray      *jobs)
{
  g_autoptr(GError) error = NULL;
  char *target = wpi_contact_target (phone->contact_me_uri, phone->ip, self->contact_ranges, &error);

  if (target != NULL)
    return target;
  if (g_error_matches (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_NOT_ALLOWED))
    {
      refuse_contact (self, phone, jobs, error->message);
      return NULL;
    }
  return phone->ip != NULL ? wpi_contact_uri_for_address (phone->ip) : NULL;
}

static void
contact_phone (WpiService   *self,
               WpiPhoneRecord *phone,
               GPtrArray    *jobs)
{
  g_autofree char *uri = NULL;
  g_autofree char *callback = NULL;
  gint64 now = g_get_real_time ();
  guint attempts = 0;
  /* Only contact-mes the phone did not follow count here: one that calls back and says
   * busy (D11) is reachable however long its call lasts. The job's attempts, which also
   * count busy answers, set the back-off. */
  guint unanswered = GPOINTER_TO_UINT (g_hash_table_lookup (self->unanswered, phone->mac));
  ContactData *data;

  for (guint i = 0; i < jobs->len; i++)
    attempts = MAX (attempts, ((WpiJobRecord *) g_ptr_array_index (jobs, i))->attempts);

  /* D10: a phone that never answers is unreachable, not retried for ever */
  if (unanswered >= WPI_CONTACT_MAX_FAILURES)
    {
      g_autofree char *reason = g_strdup_printf ("phone unreachable: %u contact-mes unanswered", unanswered);

      give_up_on_phone (self, phone, jobs, reason);
      /* a job queued later gets its own tries */
      g_hash_table_remove (self->unanswered, phone->mac);
      return;
    }

  uri = contact_target (self, phone, jobs);
  if (uri == NULL)
    return;
  callback = _wpi_service_local_address_towards (self, phone->ip);

  for (guint i = 0; i < jobs->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (jobs, i);
      GTimeSpan delay = _wpi_service_contact_backoff (self, job->attempts + 1);

      if (job->state == WPI_JOB_STATE_QUEUED)
        _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_CONTACTING, NULL, NULL);
      _wpi_service_record_job_attempt (self, job->id, now + delay, NULL);
    }

  g_hash_table_add (self->contacting, g_strdup (phone->mac));
  g_hash_table_insert (self->unanswered, g_strdup (phone->mac), GUINT_TO_POINTER (unanswered + 1));
  data = g_new0 (ContactData, 1);
  data->self = g_object_ref (self);
  data->mac = g_strdup (phone->mac);
  _wpi_service_log (self, "contact-me %s at %s (attempt %u)", phone->mac, uri, attempts + 1);
  wpi_contact_client_contact_async (self->contact, uri, callback, self->bound_port,
                                    self->cancellable, contact_done, data);
}

/* mac: only that phone's jobs (a job just queued), NULL: every phone's. Queuing jobs for
 * many phones one by one would otherwise read every pending job each time. */
void
_wpi_service_schedule_contacts (WpiService *self,
                                const char *mac)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, mac, NULL);
  g_autoptr(GHashTable) due = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                     (GDestroyNotify) g_ptr_array_unref);
  gint64 now = g_get_real_time ();
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);
      GPtrArray *list;
      gpointer polled;

      /* A bootstrap's bundle is built in the background first (D7, D8); its phone is
       * asked to call once it is ready */
      if (job->state != WPI_JOB_STATE_IN_PROGRESS && _wpi_service_bootstrap_waits (self, job))
        {
          _wpi_service_request_bundle (self, job, FALSE);
          continue;
        }
      if (job->state == WPI_JOB_STATE_IN_PROGRESS || job->next_attempt_us > now ||
          g_hash_table_contains (self->flow_by_mac, job->mac) ||
          g_hash_table_contains (self->contacting, job->mac))
        continue;
      /* A phone polled within the last 10 minutes will see its work by polling (D14) */
      if (g_hash_table_lookup_extended (self->last_poll, job->mac, NULL, &polled) &&
          g_get_monotonic_time () - (gint64) GPOINTER_TO_SIZE (polled) < 10 * G_TIME_SPAN_MINUTE)
        continue;

      list = g_hash_table_lookup (due, job->mac);
      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (due, job->mac, list);
        }
      g_ptr_array_add (list, job);
    }

  if (mac == NULL)
    _wpi_service_prune_bundles (self, pending);

  g_hash_table_iter_init (&iter, due);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (self->store, key, NULL);

      if (phone == NULL || (phone->contact_me_uri == NULL && phone->ip == NULL))
        continue;   /* never heard of: it gets its jobs when it registers */
      contact_phone (self, phone, value);
    }
}

/* What a service that stopped without ending its flows (kill -9, power loss) left behind.
 * Its jobs in progress have nobody talking to the phone about them any more: they count as
 * a failed attempt and start again at once. Those that complete at the phone's next start-up
 * (restart, factory reset, firmware, bootstrap) wait for it instead. No phone is in a
 * session with a service that has just started. */
void
_wpi_service_recover_interrupted_flows (WpiService *self)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, NULL, NULL);
  g_autoptr(GPtrArray) phones = wpi_store_phone_list (self->store, NULL);

  for (guint i = 0; phones != NULL && i < phones->len; i++)
    {
      WpiPhoneRecord *phone = g_ptr_array_index (phones, i);

      if (phone->state == WPI_PHONE_STATE_IN_SESSION)
        {
          _wpi_service_set_phone_state (self, phone->mac, WPI_PHONE_STATE_IDLE);
          _wpi_service_refresh_phone (self, phone->mac);
        }
    }

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);
      g_autoptr(GError) error = NULL;

      if (job->state != WPI_JOB_STATE_IN_PROGRESS || job->kind == WPI_JOB_KIND_RESTART ||
          job->kind == WPI_JOB_KIND_FACTORY_RESET || job->kind == WPI_JOB_KIND_SOFTWARE_DEPLOYMENT ||
          job->kind == WPI_JOB_KIND_BOOTSTRAP)
        continue;
      if (!_wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_QUEUED, NULL, &error) ||
          !_wpi_service_record_job_attempt (self, job->id, 0, &error))
        {
          g_warning ("Cannot requeue job %" G_GINT64_FORMAT ": %s", job->id, error->message);
          continue;
        }
      _wpi_service_log (self, "job %" G_GINT64_FORMAT " %s for %s was cut short by a stop of the service; "
                        "queued again", job->id, wpi_job_kind_to_string (job->kind), job->mac);
    }
}

gboolean
_wpi_service_tick (gpointer user_data)
{
  WpiService *self = user_data;

  if (wpi_store_poll_external_change (self->store))
    {
      _wpi_service_reload_phones (self);
      _wpi_service_reload_jobs (self);
    }
  _wpi_service_expire_flows (self);
  _wpi_service_schedule_contacts (self, NULL);
  _wpi_service_enforce_traffic_retention (self);
  _wpi_service_overload_summary (self, FALSE);
  return G_SOURCE_CONTINUE;
}
