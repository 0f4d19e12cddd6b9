/* wpi-service-models.c: the live phones and jobs models, and the traffic log
 *
 * Every change the service makes to a phone or a job goes through here, so that the
 * models a UI shows follow the store.
 */
#include "config.h"

#include "wpi-job.h"
#include "wpi-phone.h"
#include "wpi-service-private.h"

/* ---- Phones model ----------------------------------------------------- */

void
_wpi_service_refresh_phone (WpiService *self,
                            const char *mac)
{
  g_autoptr(WpiPhoneRecord) record = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;
  WpiPhone *phone;

  record = wpi_store_phone_get (self->store, mac, &error);
  if (record == NULL)
    return;
  pending = wpi_store_job_list_pending (self->store, mac, NULL);

  phone = g_hash_table_lookup (self->phone_by_mac, record->mac);
  if (phone == NULL)
    {
      phone = wpi_phone_new (record);
      g_hash_table_insert (self->phone_by_mac, g_strdup (record->mac), phone);
      g_list_store_append (self->phones, phone);
      g_object_unref (phone);
    }
  else
    wpi_phone_update (phone, record);
  wpi_phone_set_pending_jobs (phone, pending != NULL ? pending->len : 0);

  g_signal_emit (self, _wpi_service_signals[SIGNAL_PHONE_CHANGED], 0, phone);
}

void
_wpi_service_reload_phones (WpiService *self)
{
  g_autoptr(GPtrArray) records = wpi_store_phone_list (self->store, NULL);

  if (records == NULL)
    return;
  for (guint i = 0; i < records->len; i++)
    _wpi_service_refresh_phone (self, ((WpiPhoneRecord *) g_ptr_array_index (records, i))->mac);
}

void
_wpi_service_refresh_job (WpiService *self,
                          gint64      job_id)
{
  g_autoptr(WpiJobRecord) record = wpi_store_job_get (self->store, job_id, NULL);
  WpiJob *job;

  if (record == NULL)
    return;
  job = g_hash_table_lookup (self->job_by_id, &record->id);
  if (job == NULL)
    {
      job = wpi_job_new (record);
      g_hash_table_insert (self->job_by_id, g_memdup2 (&record->id, sizeof record->id), job);
      g_list_store_append (self->jobs, job);
      g_object_unref (job);
    }
  else
    wpi_job_update (job, record);
}

void
_wpi_service_reload_jobs (WpiService *self)
{
  g_autoptr(GPtrArray) records = wpi_store_job_list (self->store, NULL, NULL);

  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      WpiJobRecord *record = g_ptr_array_index (records, i);
      WpiJob *job = g_hash_table_lookup (self->job_by_id, &record->id);

      if (job != NULL)
        wpi_job_update (job, record);
      else
        {
          job = wpi_job_new (record);
          g_hash_table_insert (self->job_by_id, g_memdup2 (&record->id, sizeof record->id), job);
          g_list_store_append (self->jobs, job);
          g_object_unref (job);
        }
    }
}

void
_wpi_service_set_phone_state (WpiService    *self,
                              const char    *mac,
                              WpiPhoneState  state)
{
  g_autoptr(GError) error = NULL;

  if (!wpi_store_phone_set_state (self->store, mac, state, &error))
    g_warning ("Cannot store the state of %s: %s", mac, error->message);
}

gboolean
_wpi_service_set_job_state (WpiService   *self,
                            gint64        job_id,
                            WpiJobState   state,
                            const char   *reason,
                            GError      **error)
{
  if (!wpi_store_job_set_state (self->store, job_id, state, reason, error))
    return FALSE;
  _wpi_service_refresh_job (self, job_id);
  g_signal_emit (self, _wpi_service_signals[SIGNAL_JOB_CHANGED], 0, job_id, wpi_job_state_to_string (state));
  return TRUE;
}

/* An attempt changes what the live job shows (its count, its next try) */
gboolean
_wpi_service_record_job_attempt (WpiService  *self,
                                 gint64       job_id,
                                 gint64       next_attempt,
                                 GError     **error)
{
  if (!wpi_store_job_record_attempt (self->store, job_id, next_attempt, error))
    return FALSE;
  _wpi_service_refresh_job (self, job_id);
  return TRUE;
}

gint64
_wpi_service_log_traffic (WpiService       *self,
                          WpiTrafficRecord *record)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  if (record->time_us == 0)
    record->time_us = g_get_real_time ();
  /* The traffic log serves the inspector: a message it cannot keep still goes its way
   * (its part of the phone's transaction is rolled back alone) (issue 10 §3) */
  if (!wpi_store_traffic_append (self->store, record, &id, &error))
    {
      g_message ("Cannot log traffic: %s", error->message);
      return 0;
    }
  record->id = id;
  g_signal_emit (self, _wpi_service_signals[SIGNAL_TRAFFIC], 0, record);
  return id;
}

void
_wpi_service_security_event (WpiService *self,
                             const char *peer,
                             const char *mac,
                             const char *kind,
                             const char *detail)
{
  g_autoptr(GError) error = NULL;
  /* the claimed MAC and the detail may quote what a client sent (issue 10 §7) */
  g_autofree char *shown_mac = mac != NULL ? _wpi_service_log_escape (mac, WPI_LOG_VALUE_MAX_CHARS) : NULL;
  g_autofree char *shown_detail = _wpi_service_log_escape (detail, WPI_LOG_LINE_MAX_CHARS / 2);

  if (!wpi_store_security_event_add (self->store, g_get_real_time (), peer, shown_mac, kind, shown_detail,
                                     &error))
    g_warning ("Cannot store a security event: %s", error->message);
  _wpi_service_log (self, "SECURITY %s %s %s: %s", kind, shown_mac ? shown_mac : "-", peer ? peer : "-",
                    shown_detail);
  g_signal_emit (self, _wpi_service_signals[SIGNAL_SECURITY_EVENT], 0, kind, shown_mac, shown_detail);
}
