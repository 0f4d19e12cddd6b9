/* wpi-service-secure.c: the Secure Mode bootstrap steps (protocol.md §7.15)
 *
 * Flow A (no PIN) ends when the phone starts up on the secure port; flow B (with a PIN)
 * then asks for the TAN, which proves the whole PIN was typed.
 */
#include "config.h"

#include <string.h>

#include "wpi-bootstrap.h"
#include "wpi-pin.h"
#include "wpi-service-private.h"

/* ---- Secure Mode (protocol.md §7.15) ---------------------------------- */

WpiJobRecord *
_wpi_service_find_in_progress_job (WpiService *self,
                                   const char *mac,
                                   WpiJobKind  kind)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, mac, NULL);

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);

      if (job->kind == kind && job->state == WPI_JOB_STATE_IN_PROGRESS)
        return wpi_job_record_copy (job);
    }
  return NULL;
}

gboolean
_wpi_service_set_current_pin_state (WpiService   *self,
                                    const char   *mac,
                                    WpiPinState   state,
                                    const char   *reason,
                                    GError      **error)
{
  g_autoptr(WpiPinRecord) pin = wpi_store_pin_get_current (self->store, mac, NULL);

  if (pin == NULL)
    return TRUE;
  if (!wpi_store_pin_set_state (self->store, pin->id, state, reason, error))
    return FALSE;
  g_signal_emit (self, _wpi_service_signals[SIGNAL_PIN_CHANGED], 0, mac, wpi_pin_state_to_string (state));
  return TRUE;
}

/* The phone gave up (PIN retries exceeded) or sent the wrong TAN: the bootstrap failed,
 * and re-issuing makes a new PIN and bundle. */
gboolean
_wpi_service_fail_bootstrap (WpiService  *self,
                             const char  *mac,
                             const char  *reason,
                             GError     **error)
{
  g_autoptr(WpiJobRecord) job = _wpi_service_find_in_progress_job (self, mac, WPI_JOB_KIND_BOOTSTRAP);

  if (job == NULL)
    return TRUE;
  if (!_wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_FAILED, reason, error))
    return FALSE;
  /* The certificate made for this bootstrap must not open the secure port */
  {
    g_autoptr(WpiClientCert) cert = wpi_pki_lookup_client_cert (self->pki, mac, NULL);

    if (cert != NULL)
      wpi_pki_revoke_serial (self->pki, cert->serial, NULL);
  }
  if (g_strcmp0 (job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0 &&
      !_wpi_service_set_current_pin_state (self, mac, WPI_PIN_STATE_FAILED, reason, error))
    return FALSE;
  _wpi_service_log (self, "bootstrap of %s failed: %s", mac, reason);
  return TRUE;
}

static gboolean
mark_secure (WpiService  *self,
             const char  *mac,
             GError     **error)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (mac);

  phone->mode = WPI_PHONE_MODE_SECURE;
  if (!wpi_store_phone_upsert (self->store, phone, WPI_PHONE_FIELD_MODE, NULL, error))
    return FALSE;
  /* The certificate it used to fetch this one is of no further use */
  wpi_pki_revoke_superseded (self->pki, mac, NULL, NULL);
  return TRUE;
}

static gboolean
finish_bootstrap (WpiService   *self,
                  Flow         *flow,
                  WpiJobRecord *job,
                  GError      **error)
{
  /* The job's state goes last: its job-changed signal tells the UI (on its own thread
   * and store connection) that the phone's mode and PIN are final too */
  if (!mark_secure (self, flow->mac, error))
    return FALSE;
  if (g_strcmp0 (job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0 &&
      !_wpi_service_set_current_pin_state (self, flow->mac, WPI_PIN_STATE_VERIFIED, NULL, error))
    return FALSE;
  if (!_wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error))
    return FALSE;
  _wpi_service_log (self, "%s is in Secure Mode (%s)", flow->mac, job->parameter);
  return TRUE;
}

/* A start-up on the secure port: flow A is complete; flow B asks for the TAN first. */
WpiMessage *
_wpi_service_secure_start_up (WpiService  *self,
                              Flow        *flow,
                              WpiMessage  *request,
                              gboolean    *handled,
                              GError     **error)
{
  g_autoptr(WpiJobRecord) job = _wpi_service_find_in_progress_job (self, flow->mac, WPI_JOB_KIND_BOOTSTRAP);
  WpiMessage *reply;

  *handled = FALSE;
  if (job == NULL)
    {
      /* A phone already in Secure Mode, back after a restart */
      if (!mark_secure (self, flow->mac, error))
        *handled = TRUE;
      return NULL;
    }

  if (g_strcmp0 (job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) != 0)
    {
      if (!finish_bootstrap (self, flow, job, error))
        *handled = TRUE;
      return NULL;
    }

  /* Flow B step 7: the TAN proves the whole PIN was typed */
  *handled = TRUE;
  flow->job = g_steal_pointer (&job);
  flow->results = wpi_store_item_array_new ();
  flow->step = STEP_TAN;
  flow->expected = WPI_ACTION_READ_ITEMS;
  reply = _wpi_service_reply_new (request, WPI_ACTION_READ_ITEMS);
  wpi_message_add_item (reply, "bootstrapping-tan", "");
  return reply;
}

/* Flow B step 8: the answer to the bootstrapping-tan ReadItems */
WpiMessage *
_wpi_service_flow_on_tan (WpiService  *self,
                          Flow        *flow,
                          WpiMessage  *request,
                          GPtrArray   *items,
                          GError     **error)
{
  g_autoptr(WpiPinRecord) pin = wpi_store_pin_get_current (self->store, flow->mac, NULL);
  g_autofree char *tan = NULL;

  if (wpi_message_get_status (request) != WPI_MESSAGE_STATUS_ACCEPTED)
    {
      if (!_wpi_service_fail_bootstrap (self, flow->mac, "the phone did not answer the bootstrapping-tan",
                                        error))
        return NULL;
      _wpi_service_flow_reset_job (flow);
      return _wpi_service_flow_clean_up (self, flow, request, NULL);
    }

  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);
      if (strcmp (item->name, "bootstrapping-tan") == 0 && item->status == NULL)
        {
          g_free (tan);
          tan = _wpi_service_trimmed (item->value);   /* a number: trimmed (issue 9 §1) */
        }
    }

  if (pin != NULL && tan != NULL && wpi_pin_tan_equal (wpi_pin_get_tan (pin->pin), tan))
    {
      if (!finish_bootstrap (self, flow, flow->job, error))
        return NULL;
      _wpi_service_flow_reset_job (flow);
      return _wpi_service_flow_next (self, flow, request);
    }

  /* §7.15 step 9: wrong TAN, CleanUp with the reason */
  if (!_wpi_service_fail_bootstrap (self, flow->mac, WPI_BOOTSTRAP_WRONG_TAN, error))
    return NULL;
  _wpi_service_flow_reset_job (flow);
  return _wpi_service_flow_clean_up (self, flow, request, WPI_BOOTSTRAP_WRONG_TAN);
}
