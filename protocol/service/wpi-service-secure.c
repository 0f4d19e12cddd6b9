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

/* ---- Bundles, built when needed (D7, D8) ---------------------------------------------- */

/* A job's bundle from the moment it is asked for until the job is final */
typedef struct {
  gint64               pin_id;   /* the PIN it is built from, 0 without PIN */
  WpiBootstrapBundle  *bundle;   /* NULL until built */
} BundleSlot;

static void
bundle_slot_free (gpointer data)
{
  BundleSlot *slot = data;

  wpi_bootstrap_bundle_free (slot->bundle);
  g_free (slot);
}

static gboolean
pin_is_usable (WpiPinState state)
{
  return state == WPI_PIN_STATE_GENERATED || state == WPI_PIN_STATE_HANDED_OUT ||
         state == WPI_PIN_STATE_BUNDLE_DELIVERED;
}

static void
forget_bundle (WpiService *self,
               gint64      job_id)
{
  if (self->builder != NULL)
    wpi_bootstrap_builder_forget (self->builder, job_id);
  g_hash_table_remove (self->bundles, &job_id);
}

/* The PIN a PIN bootstrap is sent with: the phone's current PIN, made for this job. A
 * PIN re-issued since voids the job (D9): it is cancelled, and no bundle of it is ever
 * sent. NULL then, and when the store cannot tell now. */
static WpiPinRecord *
job_pin (WpiService         *self,
         const WpiJobRecord *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPinRecord) pin = wpi_store_pin_get_current (self->store, job->mac, &error);

  if (pin == NULL && !g_error_matches (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
    {
      g_warning ("Cannot read the PIN of %s: %s", job->mac, error->message);
      return NULL;
    }
  if (pin != NULL && pin->job_id == job->id && pin_is_usable (pin->state))
    return g_steal_pointer (&pin);

  forget_bundle (self, job->id);
  _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_CANCELLED, "its PIN was re-issued", NULL);
  _wpi_service_log (self, "job %" G_GINT64_FORMAT " bootstrap for %s cancelled: its PIN was re-issued",
                    job->id, job->mac);
  return NULL;
}

static gboolean
is_pin_job (const WpiJobRecord *job)
{
  return g_strcmp0 (job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0;
}

static void
bundle_failed (WpiService         *self,
               WpiBootstrapBundle *bundle)
{
  g_autofree char *reason = g_strdup_printf ("its bundle could not be built: %s", bundle->error->message);

  _wpi_service_log (self, "job %" G_GINT64_FORMAT " bootstrap for %s failed: %s", bundle->job_id,
                    bundle->mac, reason);
  _wpi_service_set_job_state (self, bundle->job_id, WPI_JOB_STATE_FAILED, reason, NULL);
  if (bundle->pin_id != 0)
    _wpi_service_set_current_pin_state (self, bundle->mac, WPI_PIN_STATE_FAILED, reason, NULL);
}

/* On the service's thread, from the builders */
static void
on_bundle_built (WpiBootstrapBundle *bundle,
                 gpointer            user_data)
{
  WpiService *self = user_data;
  g_autoptr(WpiBootstrapBundle) owned = bundle;
  BundleSlot *slot = g_hash_table_lookup (self->bundles, &bundle->job_id);

  /* Cancelled or finished meanwhile: dropped */
  if (slot == NULL || slot->bundle != NULL)
    return;
  if (slot->pin_id != bundle->pin_id || bundle->items == NULL)
    {
      if (bundle->items == NULL)
        bundle_failed (self, bundle);
      g_hash_table_remove (self->bundles, &bundle->job_id);
      return;
    }
  slot->bundle = g_steal_pointer (&owned);
  /* Now the phone can be asked to call (§7.4) */
  if (self->http != NULL)
    _wpi_service_schedule_contacts (self, bundle->mac);
}

GHashTable *
_wpi_service_bundles_new (void)
{
  return g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, bundle_slot_free);
}

/* A builder per core, on the thread-default context of start() */
void
_wpi_service_bundles_start (WpiService *self)
{
  self->builder = wpi_bootstrap_builder_new (self->pki, 0, self->bundle_spare_keys, NULL,
                                             on_bundle_built, self);
}

/* Waits for the bundles being built; all are wiped, and built again after a start() */
void
_wpi_service_bundles_stop (WpiService *self)
{
  g_clear_pointer (&self->builder, wpi_bootstrap_builder_free);
  g_hash_table_remove_all (self->bundles);
}

/* TRUE for a bootstrap job whose bundle is not built yet: the phone is not asked to call
 * for it (contact-me, send-solicited, a poll's answer) until it is. */
gboolean
_wpi_service_bootstrap_waits (WpiService         *self,
                              const WpiJobRecord *job)
{
  BundleSlot *slot;

  if (!wpi_bootstrap_job_needs_bundle (job))
    return FALSE;
  slot = g_hash_table_lookup (self->bundles, &job->id);
  return slot == NULL || slot->bundle == NULL;
}

/* Asks the builders for a waiting job's bundle, from the PIN as committed; urgent when a
 * phone waits for it. */
void
_wpi_service_request_bundle (WpiService         *self,
                             const WpiJobRecord *job,
                             gboolean            urgent)
{
  g_autoptr(WpiPinRecord) pin = NULL;
  BundleSlot *slot;

  if (self->builder == NULL || !wpi_bootstrap_job_needs_bundle (job))
    return;
  slot = g_hash_table_lookup (self->bundles, &job->id);
  if (slot != NULL)
    {
      if (urgent && slot->bundle == NULL)
        wpi_bootstrap_builder_hurry (self->builder, job->id);
      return;
    }
  if (is_pin_job (job) && (pin = job_pin (self, job)) == NULL)
    return;

  slot = g_new0 (BundleSlot, 1);
  slot->pin_id = pin != NULL ? pin->id : 0;
  g_hash_table_insert (self->bundles, g_memdup2 (&job->id, sizeof job->id), slot);
  wpi_bootstrap_builder_request (self->builder, job->id, job->mac, job->items,
                                 pin != NULL ? pin->pin : NULL, slot->pin_id, self->bundle_iterations,
                                 urgent);
}

/* Right before a bootstrap job is sent: its PIN must be the one its bundle was built
 * from (else the job is cancelled or the bundle built again), and the bundle must be
 * there. If it is not yet, the phone is not kept waiting for it: the flow goes on without
 * the job and ends with CleanUp, and the phone gets a contact-me once its bundle is
 * ready. §7.15 puts no limit between the phone's message and step 2, but §7.4 lets the
 * service end any flow with CleanUp and start another one, and an answer held back for
 * the builders would keep the phone's HTTP request open, maybe beyond its timeout. */
gboolean
_wpi_service_bootstrap_sendable (WpiService         *self,
                                 const WpiJobRecord *job)
{
  g_autoptr(WpiPinRecord) pin = NULL;
  BundleSlot *slot;

  if (is_pin_job (job) && (pin = job_pin (self, job)) == NULL)
    return FALSE;
  if (!wpi_bootstrap_job_needs_bundle (job))
    return TRUE;   /* queued by an older version, with its whole payload */

  slot = g_hash_table_lookup (self->bundles, &job->id);
  if (slot != NULL && slot->bundle != NULL)
    {
      if (slot->bundle->pin_id == (pin != NULL ? pin->id : 0))
        return TRUE;
      forget_bundle (self, job->id);   /* built from another PIN: never sent */
    }
  _wpi_service_request_bundle (self, job, TRUE);
  /* the phone is reachable: it is contacted as soon as the bundle is ready */
  if (job->next_attempt_us != 0)
    wpi_store_job_reschedule (self->store, job->id, 0, NULL);
  return FALSE;
}

/* The items a sendable bootstrap job sends */
GArray *
_wpi_service_bootstrap_items (WpiService         *self,
                              const WpiJobRecord *job)
{
  BundleSlot *slot;

  if (!wpi_bootstrap_job_needs_bundle (job))
    return job->items;
  slot = g_hash_table_lookup (self->bundles, &job->id);
  return slot != NULL && slot->bundle != NULL ? slot->bundle->items : NULL;
}

/* The bundles of jobs no longer pending (done, failed, cancelled) go, wiped */
void
_wpi_service_prune_bundles (WpiService *self,
                            GPtrArray  *pending)
{
  g_autoptr(GHashTable) alive = NULL;
  GHashTableIter iter;
  gpointer key;

  if (g_hash_table_size (self->bundles) == 0 || pending == NULL)
    return;

  alive = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < pending->len; i++)
    g_hash_table_add (alive, &((WpiJobRecord *) g_ptr_array_index (pending, i))->id);

  g_hash_table_iter_init (&iter, self->bundles);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (alive, key))
      {
        if (self->builder != NULL)
          wpi_bootstrap_builder_forget (self->builder, *(gint64 *) key);
        g_hash_table_iter_remove (&iter);
      }
}
