/* wpi-service-flows.c: the flow engine (protocol.md §7, decisions.md D1-D17)
 *
 * A flow is one phone's conversation from its opening message to the CleanUp: the engine
 * picks the phone's next job, builds the service messages that carry it, and reads the
 * phone's answers into the store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wpi-bootstrap.h"
#include "wpi-config-diff.h"
#include "wpi-fragment.h"
#include "wpi-service-private.h"

#define FACTORY_RESET_PASSWORD "124816"
/* The status of a requested item the phone's answer left out (wpictl says the same) */
#define WPI_ITEM_STATUS_NO_VALUE "no value returned"

/* ---- Flows ------------------------------------------------------------ */

void
_wpi_service_flow_free (Flow *flow)
{
  g_free (flow->id);
  g_free (flow->mac);
  g_free (flow->peer);
  g_free (flow->peer_ip);
  g_free (flow->claimed_contact_uri);
  g_clear_pointer (&flow->fragments, g_ptr_array_unref);
  g_clear_pointer (&flow->job, wpi_job_record_free);
  g_clear_pointer (&flow->outbox, g_ptr_array_unref);
  g_clear_pointer (&flow->results, g_array_unref);
  g_clear_pointer (&flow->handled_jobs, g_hash_table_unref);
  g_clear_object (&flow->last_sent);
  g_free (flow);
}

/* A flow's id: its session cookie, and what ties its messages together in the traffic
 * log (D28) */
char *
_wpi_service_new_flow_id (void)
{
  GString *id = g_string_sized_new (32);

  for (int i = 0; i < 4; i++)
    g_string_append_printf (id, "%08X", g_random_int ());
  return g_string_free (id, FALSE);
}

/* "V3 R5.12.0" -> 3, 5. Unknown formats count as old firmware, the safe side of D11/D16. */
static void
parse_firmware (const char *version,
                int        *major,
                int        *minor)
{
  *major = 0;
  *minor = 0;
  if (version == NULL)
    return;
  while (*version && !g_ascii_isdigit (*version))
    version++;
  *major = atoi (version);
  version = strchr (version, 'R');
  if (version != NULL)
    *minor = atoi (version + 1);
}

void
_wpi_service_flow_set_firmware (Flow       *flow,
                                const char *version)
{
  int major, minor;

  parse_firmware (version, &major, &minor);
  flow->send_solicited = major > 3 || (major == 3 && minor >= 3);
  flow->markup_safe = major >= 2;
}

Flow *
_wpi_service_flow_new (WpiService   *self,
                       const char   *mac,
                       const char   *peer,
                       const char   *peer_ip,
                       guint         port,
                       WpiPhoneMode  port_mode,
                       WpiReason     opened_by)
{
  Flow *flow = g_new0 (Flow, 1);
  Flow *previous;

  flow->id = _wpi_service_new_flow_id ();
  flow->mac = g_strdup (mac);
  flow->peer = g_strdup (peer);
  flow->peer_ip = g_strdup (peer_ip);
  flow->port = port;
  flow->port_mode = port_mode;
  flow->opened_by = opened_by;
  flow->max_items = -1;
  flow->handled_jobs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  flow->last_activity = g_get_monotonic_time ();

  /* A phone runs one flow at a time: a new one closes what it abandoned (D22) */
  previous = g_hash_table_lookup (self->flow_by_mac, mac);
  if (previous != NULL)
    {
      g_autofree char *why = g_strdup_printf ("the phone opened a new flow (%s)",
                                              wpi_reason_to_string (opened_by) ?: "?");

      _wpi_service_flow_cut_short (self, previous, why);
    }

  g_hash_table_insert (self->flows, flow->id, flow);
  g_hash_table_insert (self->flow_by_mac, flow->mac, flow);
  return flow;
}

void
_wpi_service_flow_close (WpiService *self,
                         Flow       *flow)
{
  g_hash_table_remove (self->flow_by_mac, flow->mac);
  g_hash_table_remove (self->flows, flow->id);
}

void
_wpi_service_flow_reset_job (Flow *flow)
{
  g_clear_pointer (&flow->job, wpi_job_record_free);
  g_clear_pointer (&flow->outbox, g_ptr_array_unref);
  g_clear_pointer (&flow->results, g_array_unref);
}

/* ---- Building service messages ---------------------------------------- */

WpiMessage *
_wpi_service_reply_new (WpiMessage *request,
                        WpiAction   action)
{
  /* D2: the nonce of the message answered, character for character */
  WpiMessage *reply = wpi_message_new (WPI_MESSAGE_KIND_DLS, wpi_message_get_nonce (request));

  wpi_message_set_action (reply, action);
  return reply;
}

static gboolean
item_has_markup (const char *value)
{
  return value != NULL && strpbrk (value, "<>&") != NULL;
}

/* Splits items into as many messages of `action` as maxItems and 50 kB need (D12). */
static GPtrArray *
split_into_messages (Flow          *flow,
                     WpiAction      action,
                     GPtrArray     *items,
                     GError       **error)
{
  g_autoptr(GPtrArray) fragments = NULL;
  GPtrArray *messages;

  fragments = wpi_items_split (items, flow->max_items, WPI_MAX_MESSAGE_BYTES, error);
  if (fragments == NULL)
    return NULL;

  messages = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < fragments->len; i++)
    {
      GPtrArray *fragment = g_ptr_array_index (fragments, i);
      WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_DLS, NULL);

      wpi_message_set_action (message, action);
      wpi_message_set_has_item_list (message, TRUE);
      for (guint j = 0; j < fragment->len; j++)
        wpi_message_take_item (message, wpi_item_copy (g_ptr_array_index (fragment, j)));
      g_ptr_array_add (messages, message);
    }
  return messages;
}

static GPtrArray *
one_message (WpiAction action)
{
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_DLS, NULL);

  wpi_message_set_action (message, action);
  g_ptr_array_add (messages, message);
  return messages;
}

static GPtrArray *
factory_reset_message (void)
{
  GPtrArray *messages = one_message (WPI_ACTION_RESTART);

  /* D15 / R20 */
  wpi_message_add_item (g_ptr_array_index (messages, 0), "restart-password", FACTORY_RESET_PASSWORD);
  wpi_message_add_item (g_ptr_array_index (messages, 0), "restart-type", "FactoryReset");
  return messages;
}

/* The messages of `action` that carry the items, with the values this phone gets (a
 * profile's placeholders filled in for `phone`, none for a read). */
static GPtrArray *
item_messages (Flow                 *flow,
               WpiAction             action,
               GArray               *source,
               const WpiPhoneRecord *phone,
               GError              **error)
{
  g_autoptr(WpiMessage) holder = wpi_message_new (WPI_MESSAGE_KIND_DLS, NULL);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  for (guint i = 0; source != NULL && i < source->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (source, WpiStoreItem, i);
      g_autofree char *value = NULL;
      WpiItem *copy;

      if (action == WPI_ACTION_READ_ITEMS)
        value = g_strdup ("");
      else if (phone != NULL)
        value = wpi_config_expand_placeholders (item->value ? item->value : "", phone);
      else
        value = g_strdup (item->value ? item->value : "");

      if (!flow->markup_safe && item_has_markup (value))
        {
          g_set_error (error, WPI_SERVICE_ERROR, WPI_SERVICE_ERROR_SETUP,
                       "the value of %s contains <, > or &, which firmware older than V2 "
                       "cannot read (decisions.md D16)", item->name);
          return NULL;
        }

      copy = item->has_index ? wpi_message_add_indexed_item (holder, item->name, item->index, value)
                             : wpi_message_add_item (holder, item->name, value);
      g_ptr_array_add (items, copy);
    }

  return split_into_messages (flow, action, items, error);
}

static GPtrArray *
profile_messages (WpiService    *self,
                  Flow          *flow,
                  WpiJobRecord  *job,
                  GError       **error)
{
  g_autoptr(WpiProfileRecord) profile = wpi_store_profile_get (self->store, job->parameter, error);
  g_autoptr(WpiPhoneRecord) phone = NULL;

  if (profile == NULL)
    return NULL;
  phone = wpi_store_phone_get (self->store, job->mac, error);
  if (phone == NULL)
    return NULL;
  return item_messages (flow, WPI_ACTION_WRITE_ITEMS, profile->items, phone, error);
}

/* The messages a job sends, or NULL with the reason it cannot run. */
static GPtrArray *
job_build_messages (WpiService    *self,
                    Flow          *flow,
                    WpiJobRecord  *job,
                    GError       **error)
{
  switch (job->kind)
    {
    case WPI_JOB_KIND_READ_ALL:
      return one_message (WPI_ACTION_READ_ALL_ITEMS);
    case WPI_JOB_KIND_RESTART:
      return one_message (WPI_ACTION_RESTART);
    case WPI_JOB_KIND_FACTORY_RESET:
      return factory_reset_message ();
    case WPI_JOB_KIND_READ_ITEMS:
      return item_messages (flow, WPI_ACTION_READ_ITEMS, job->items, NULL, error);
    case WPI_JOB_KIND_WRITE_ITEMS:
      return item_messages (flow, WPI_ACTION_WRITE_ITEMS, job->items, NULL, error);
    case WPI_JOB_KIND_BOOTSTRAP:
      /* The recipe with its bundle (wpi-bootstrap.h); D12 keeps it in one message */
      return item_messages (flow, WPI_ACTION_WRITE_ITEMS, _wpi_service_bootstrap_items (self, job), NULL,
                            error);
    case WPI_JOB_KIND_FILE_DEPLOYMENT:
      return item_messages (flow, WPI_ACTION_FILE_DEPLOYMENT, job->items, NULL, error);
    case WPI_JOB_KIND_SOFTWARE_DEPLOYMENT:
      return item_messages (flow, WPI_ACTION_SOFTWARE_DEPLOYMENT, job->items, NULL, error);
    case WPI_JOB_KIND_APPLY_PROFILE:
      return profile_messages (self, flow, job, error);
    }
  g_set_error (error, WPI_SERVICE_ERROR, WPI_SERVICE_ERROR_SETUP,
               "the service cannot run %s jobs", wpi_job_kind_to_string (job->kind));
  return NULL;
}

/* ---- The flow engine -------------------------------------------------- */

static GArray *
items_to_store (GPtrArray *items,
                gboolean   with_status)
{
  GArray *out = wpi_store_item_array_new ();

  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);

      if (!with_status && item->status != NULL)
        continue;
      wpi_store_item_array_add (out, item->name, item->has_index, item->index, item->value);
      if (with_status)
        g_array_index (out, WpiStoreItem, out->len - 1).status = g_strdup (item->status);
    }
  return out;
}

GPtrArray *
_wpi_service_message_items (WpiMessage *message)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);

  for (guint i = 0; i < wpi_message_get_n_items (message); i++)
    g_ptr_array_add (items, wpi_item_copy (wpi_message_get_item (message, i)));
  return items;
}

/* Whether a job of the phone waits for a flow: a read-all job, or with read_all_only
 * FALSE one of any kind */
static gboolean
has_waiting_job (WpiService *self,
                 Flow       *flow,
                 gboolean    read_all_only)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, flow->mac, NULL);

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);

      /* a bootstrap whose bundle is not built yet gets a contact-me when it is */
      if (job->state != WPI_JOB_STATE_IN_PROGRESS && (!read_all_only || job->kind == WPI_JOB_KIND_READ_ALL) &&
          !_wpi_service_bootstrap_waits (self, job))
        return TRUE;
    }
  return FALSE;
}

WpiMessage *
_wpi_service_flow_clean_up (WpiService *self,
                            Flow       *flow,
                            WpiMessage *request,
                            const char *reason)
{
  WpiMessage *reply = _wpi_service_reply_new (request, WPI_ACTION_CLEAN_UP);

  if (reason != NULL)
    wpi_message_add_item (reply, "cleanup-reason", reason);
  /* §7.12, D11: a phone that can call back by itself is asked to as long as work waits */
  if (flow->send_solicited && has_waiting_job (self, flow, FALSE))
    wpi_message_add_item (reply, "send-solicited", "true");
  flow->step = STEP_CLEAN_UP;
  flow->expected = WPI_ACTION_NONE;
  return reply;
}

static WpiMessage *
flow_send_outbox (Flow       *flow,
                  WpiMessage *request)
{
  g_autoptr(WpiMessage) next = g_ptr_array_steal_index (flow->outbox, 0);

  wpi_message_set_nonce (next, wpi_message_get_nonce (request));
  flow->expected = wpi_message_get_action (next);
  flow->step = STEP_JOB;
  return g_steal_pointer (&next);
}

static gboolean
job_is_write (WpiJobKind kind)
{
  return kind == WPI_JOB_KIND_WRITE_ITEMS || kind == WPI_JOB_KIND_APPLY_PROFILE ||
         kind == WPI_JOB_KIND_SOFTWARE_DEPLOYMENT || kind == WPI_JOB_KIND_BOOTSTRAP;
}

/* Picks the next job of the phone and sends its first message, or ends the flow. */
WpiMessage *
_wpi_service_flow_next (WpiService *self,
                        Flow       *flow,
                        WpiMessage *request)
{
  g_autoptr(GPtrArray) pending = NULL;

  if (flow->outbox != NULL && flow->outbox->len > 0)
    return flow_send_outbox (flow, request);
  _wpi_service_flow_reset_job (flow);

  pending = wpi_store_job_list_pending (self->store, flow->mac, NULL);
  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) messages = NULL;

      if (job->state == WPI_JOB_STATE_IN_PROGRESS ||
          g_hash_table_contains (flow->handled_jobs, &job->id) ||
          (flow->busy && job_is_write (job->kind)))
        continue;
      /* Its bundle not built yet (it goes first now), or its PIN re-issued: the job stays
       * for a later flow, or is cancelled (wpi-service-secure.c) */
      if (job->kind == WPI_JOB_KIND_BOOTSTRAP && !_wpi_service_bootstrap_sendable (self, job))
        continue;
      g_hash_table_add (flow->handled_jobs, g_memdup2 (&job->id, sizeof job->id));

      messages = job_build_messages (self, flow, job, &error);
      if (messages == NULL)
        {
          _wpi_service_log (self, "job %" G_GINT64_FORMAT " for %s failed: %s", job->id, job->mac, error->message);
          _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_FAILED, error->message, NULL);
          continue;
        }
      if (!_wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_IN_PROGRESS, NULL, &error))
        {
          g_warning ("Cannot start job %" G_GINT64_FORMAT ": %s", job->id, error->message);
          continue;
        }

      flow->job = wpi_job_record_copy (job);
      flow->outbox = g_steal_pointer (&messages);
      flow->results = wpi_store_item_array_new ();
      return flow_send_outbox (flow, request);
    }

  return _wpi_service_flow_clean_up (self, flow, request, NULL);
}

static gboolean
same_item (const char *name,
           gboolean    has_index,
           gint64      index,
           const char *other_name,
           gboolean    other_has_index,
           gint64      other_index)
{
  return strcmp (name, other_name) == 0 && has_index == other_has_index &&
         (!has_index || index == other_index);
}

/* Whether the job asked for the item (a read-items job's list) */
static gboolean
job_requested (const WpiJobRecord *job,
               const char         *name,
               gboolean            has_index,
               gint64              index)
{
  for (guint i = 0; job->items != NULL && i < job->items->len; i++)
    {
      const WpiStoreItem *wanted = &g_array_index (job->items, WpiStoreItem, i);

      if (same_item (wanted->name, wanted->has_index, wanted->index, name, has_index, index))
        return TRUE;
    }
  return FALSE;
}

/* The phone's verdicts on the job's items. A read-items answer also carries the basic
 * items nobody asked for: they are stored as the phone's values, but are no results. */
static void
record_results (WpiService *self,
                Flow       *flow,
                GPtrArray  *items)
{
  gboolean reads = flow->job->kind == WPI_JOB_KIND_READ_ITEMS;

  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);
      gboolean seen = FALSE;

      if (reads ? !job_requested (flow->job, item->name, item->has_index, item->index)
                : item->status == NULL)
        continue;
      /* A phone repeats e164 and the like among its basic items and as the answer:
       * one result per item, the later one wins */
      for (guint j = 0; j < flow->results->len && !seen; j++)
        {
          WpiStoreItem *result = &g_array_index (flow->results, WpiStoreItem, j);

          if (same_item (result->name, result->has_index, result->index, item->name, item->has_index,
                         item->index))
            {
              g_free (result->value);
              result->value = g_strdup (item->value);
              g_free (result->status);
              result->status = g_strdup (item->status ? item->status : "accepted");
              seen = TRUE;
            }
        }
      if (seen)
        continue;
      wpi_store_item_array_add (flow->results, item->name, item->has_index, item->index, item->value);
      g_array_index (flow->results, WpiStoreItem, flow->results->len - 1).status =
        g_strdup (item->status ? item->status : "accepted");
    }
}

gboolean
_wpi_service_finish_job (WpiService   *self,
                         Flow         *flow,
                         WpiJobState   state,
                         const char   *reason,
                         GError      **error)
{
  if (flow->results != NULL && flow->results->len > 0 &&
      !wpi_store_job_set_item_results (self->store, flow->job->id,
                                       (WpiStoreItem *) flow->results->data, flow->results->len,
                                       error))
    return FALSE;
  if (!_wpi_service_set_job_state (self, flow->job->id, state, reason, error))
    return FALSE;
  _wpi_service_log (self, "job %" G_GINT64_FORMAT " %s for %s: %s%s%s", flow->job->id,
                    wpi_job_kind_to_string (flow->job->kind), flow->mac, wpi_job_state_to_string (state),
                    reason ? ": " : "", reason ? reason : "");
  return TRUE;
}

/* The values a WriteItems carried that the phone did not refuse are now its values. */
static gboolean
apply_written_values (WpiService  *self,
                      Flow        *flow,
                      WpiMessage  *sent,
                      GPtrArray   *refused,
                      gint64       traffic_id,
                      GError     **error)
{
  g_autoptr(GArray) accepted = wpi_store_item_array_new ();

  for (guint i = 0; i < wpi_message_get_n_items (sent); i++)
    {
      const WpiItem *item = wpi_message_get_item (sent, i);
      gboolean was_refused = FALSE;

      for (guint j = 0; j < refused->len && !was_refused; j++)
        {
          const WpiItem *r = g_ptr_array_index (refused, j);
          was_refused = strcmp (r->name, item->name) == 0 && r->has_index == item->has_index &&
                        (!r->has_index || r->index == item->index);
        }
      if (!was_refused)
        wpi_store_item_array_add (accepted, item->name, item->has_index, item->index, item->value);
    }
  if (accepted->len == 0)
    return TRUE;
  return wpi_store_phone_items_update (self->store, flow->mac, (WpiStoreItem *) accepted->data,
                                       accepted->len, g_get_real_time (), traffic_id, error);
}

/* The phone's whole configuration, from a ReadAllItems answer */
static gboolean
replace_phone_items (WpiService  *self,
                     Flow        *flow,
                     GPtrArray   *items,
                     gint64       traffic_id,
                     GError     **error)
{
  g_autoptr(GArray) values = items_to_store (items, FALSE);

  return wpi_store_phone_items_replace (self->store, flow->mac, (WpiStoreItem *) values->data,
                                        values->len, g_get_real_time (), traffic_id, error);
}

/* Some of the phone's items: what it reports or volunteers */
static gboolean
update_phone_items (WpiService  *self,
                    Flow        *flow,
                    GPtrArray   *items,
                    gint64       traffic_id,
                    GError     **error)
{
  g_autoptr(GArray) values = items_to_store (items, FALSE);

  return values->len == 0 ||
         wpi_store_phone_items_update (self->store, flow->mac, (WpiStoreItem *) values->data,
                                       values->len, g_get_real_time (), traffic_id, error);
}

/* The phone answered something other than what it was sent: the job fails, the flow ends. */
static WpiMessage *
reply_unexpected (WpiService  *self,
                  Flow        *flow,
                  WpiMessage  *request,
                  GError     **error)
{
  g_autofree char *reason = g_strdup_printf ("reply-to answers %s, but %s was sent",
                                             wpi_message_get_action_string (request) ?: "nothing",
                                             wpi_action_to_string (flow->expected) ?: "nothing");

  _wpi_service_log (self, "%s: %s", flow->mac, reason);
  if (flow->job != NULL &&
      !_wpi_service_finish_job (self, flow, WPI_JOB_STATE_FAILED, reason, error))
    return NULL;
  _wpi_service_flow_reset_job (flow);
  return _wpi_service_flow_clean_up (self, flow, request, NULL);
}

/* The phone is in a call: the job waits for it to end (D11). V3R3 phones call back by
 * themselves after the send-solicited CleanUp, older ones get contact-mes again with the
 * D10 back-off, growing with each try. */
static WpiMessage *
job_wait_busy (WpiService  *self,
               Flow        *flow,
               WpiMessage  *request,
               GError     **error)
{
  GTimeSpan delay = flow->send_solicited
                    ? WPI_FLOW_IDLE_TIMEOUT * 5
                    : _wpi_service_contact_backoff (self, flow->job->attempts + 1);

  if (!_wpi_service_set_job_state (self, flow->job->id, WPI_JOB_STATE_WAITING_BUSY, NULL, error) ||
      !_wpi_service_record_job_attempt (self, flow->job->id, g_get_real_time () + delay, error))
    return NULL;
  _wpi_service_log (self, "job %" G_GINT64_FORMAT " %s for %s: phone busy, waiting", flow->job->id,
                    wpi_job_kind_to_string (flow->job->kind), flow->mac);
  flow->busy = TRUE;
  _wpi_service_flow_reset_job (flow);
  return _wpi_service_flow_clean_up (self, flow, request, NULL);
}

/* What an accepted answer to a job's message says about the phone's items */
static gboolean
store_job_answer (WpiService  *self,
                  Flow        *flow,
                  GPtrArray   *items,
                  gint64       traffic_id,
                  GError     **error)
{
  switch (flow->job->kind)
    {
    case WPI_JOB_KIND_READ_ALL:
      return replace_phone_items (self, flow, items, traffic_id, error);
    case WPI_JOB_KIND_READ_ITEMS:
      return update_phone_items (self, flow, items, traffic_id, error);
    case WPI_JOB_KIND_WRITE_ITEMS:
    case WPI_JOB_KIND_APPLY_PROFILE:
      return flow->last_sent == NULL ||
             apply_written_values (self, flow, flow->last_sent, items, traffic_id, error);
    case WPI_JOB_KIND_RESTART:
    case WPI_JOB_KIND_FACTORY_RESET:
    case WPI_JOB_KIND_FILE_DEPLOYMENT:
    case WPI_JOB_KIND_SOFTWARE_DEPLOYMENT:
    case WPI_JOB_KIND_BOOTSTRAP:
      break;   /* what they report is in the job's results */
    }
  return TRUE;
}

/* A bootstrap is done when the phone starts up on the secure port (§7.15 step 5/6) */
static gboolean
bootstrap_delivered (WpiService  *self,
                     Flow        *flow,
                     GError     **error)
{
  if (g_strcmp0 (flow->job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0 &&
      !_wpi_service_set_current_pin_state (self, flow->mac, WPI_PIN_STATE_BUNDLE_DELIVERED, NULL, error))
    return FALSE;
  _wpi_service_log (self, "job %" G_GINT64_FORMAT " bootstrap for %s: bundle delivered, waiting for "
                    "the phone on the secure port", flow->job->id, flow->mac);
  return TRUE;
}

/* A software deployment is done when the phone starts up with the new version (§7.10) */
static gboolean
software_accepted (WpiService  *self,
                   Flow        *flow,
                   GError     **error)
{
  _wpi_service_log (self, "job %" G_GINT64_FORMAT " software-deployment for %s: accepted, "
                    "waiting for the phone to restart", flow->job->id, flow->mac);
  return flow->results->len == 0 ||
         wpi_store_job_set_item_results (self->store, flow->job->id,
                                         (WpiStoreItem *) flow->results->data, flow->results->len,
                                         error);
}

/* Each requested item the phone's answers did not return gets the status "no value
 * returned"; the number of them. */
static guint
mark_unreturned_items (Flow *flow)
{
  const GArray *requested = flow->job->items;
  guint missing = 0;

  for (guint i = 0; requested != NULL && i < requested->len; i++)
    {
      const WpiStoreItem *wanted = &g_array_index (requested, WpiStoreItem, i);
      gboolean returned = FALSE;

      for (guint j = 0; j < flow->results->len && !returned; j++)
        {
          const WpiStoreItem *result = &g_array_index (flow->results, WpiStoreItem, j);

          returned = same_item (result->name, result->has_index, result->index, wanted->name,
                                wanted->has_index, wanted->index);
        }
      if (returned)
        continue;
      wpi_store_item_array_add (flow->results, wanted->name, wanted->has_index, wanted->index, NULL);
      g_array_index (flow->results, WpiStoreItem, flow->results->len - 1).status =
        g_strdup (WPI_ITEM_STATUS_NO_VALUE);
      missing++;
    }
  return missing;
}

/* A read-items job is done when every requested item came back, done with problems when
 * some did not (issue 9 §3). */
static gboolean
finish_read_items (WpiService  *self,
                   Flow        *flow,
                   GError     **error)
{
  guint missing = mark_unreturned_items (flow);
  g_autofree char *reason = NULL;

  if (missing == 0)
    return _wpi_service_finish_job (self, flow, WPI_JOB_STATE_DONE, NULL, error);
  reason = g_strdup_printf ("the phone returned no value for %u of the %u items asked for", missing,
                            flow->job->items->len);
  return _wpi_service_finish_job (self, flow, WPI_JOB_STATE_DONE_WITH_PROBLEMS, reason, error);
}

/* The job's last message was accepted: done, or what completes it comes next. */
static WpiMessage *
job_after_last_message (WpiService  *self,
                        Flow        *flow,
                        WpiMessage  *request,
                        GError     **error)
{
  switch (flow->job->kind)
    {
    case WPI_JOB_KIND_FILE_DEPLOYMENT:
      /* Several files: the phone reports nothing, so check its inventory (R22) */
      flow->step = STEP_JOB_VERIFY;
      flow->expected = WPI_ACTION_READ_ALL_ITEMS;
      return _wpi_service_reply_new (request, WPI_ACTION_READ_ALL_ITEMS);
    case WPI_JOB_KIND_BOOTSTRAP:
      if (!bootstrap_delivered (self, flow, error))
        return NULL;
      break;
    case WPI_JOB_KIND_SOFTWARE_DEPLOYMENT:
      if (!software_accepted (self, flow, error))
        return NULL;
      break;
    case WPI_JOB_KIND_READ_ITEMS:
      if (!finish_read_items (self, flow, error))
        return NULL;
      break;
    case WPI_JOB_KIND_READ_ALL:
    case WPI_JOB_KIND_WRITE_ITEMS:
    case WPI_JOB_KIND_RESTART:
    case WPI_JOB_KIND_FACTORY_RESET:
    case WPI_JOB_KIND_APPLY_PROFILE:
      if (!_wpi_service_finish_job (self, flow, WPI_JOB_STATE_DONE, NULL, error))
        return NULL;
      break;
    }
  _wpi_service_flow_reset_job (flow);
  return _wpi_service_flow_next (self, flow, request);
}

/* The answer to a message of the current job */
static WpiMessage *
flow_on_job_reply (WpiService  *self,
                   Flow        *flow,
                   WpiMessage  *request,
                   GPtrArray   *items,
                   gint64       traffic_id,
                   GError     **error)
{
  WpiMessageStatus status = wpi_message_get_status (request);

  g_assert (flow->job != NULL);

  if (status == WPI_MESSAGE_STATUS_BUSY)
    return job_wait_busy (self, flow, request, error);

  record_results (self, flow, items);
  if (status != WPI_MESSAGE_STATUS_ACCEPTED)
    {
      g_autofree char *reason = g_strdup_printf ("the phone answered %s with status %s",
                                                 wpi_message_get_action_string (request),
                                                 wpi_message_get_status_string (request) ?: "(none)");
      if (!_wpi_service_finish_job (self, flow, WPI_JOB_STATE_FAILED, reason, error))
        return NULL;
      return _wpi_service_flow_next (self, flow, request);
    }

  if (!store_job_answer (self, flow, items, traffic_id, error))
    return NULL;
  if (flow->outbox != NULL && flow->outbox->len > 0)
    return flow_send_outbox (flow, request);
  return job_after_last_message (self, flow, request, error);
}

/* A reply-to: the answer to the service message the flow sent last */
WpiMessage *
_wpi_service_flow_on_reply (WpiService  *self,
                            Flow        *flow,
                            WpiMessage  *request,
                            GPtrArray   *items,
                            gint64       traffic_id,
                            GError     **error)
{
  WpiAction answered = wpi_message_get_action (request);
  WpiMessageStatus status = wpi_message_get_status (request);

  if (flow->expected == WPI_ACTION_NONE || answered != flow->expected)
    return reply_unexpected (self, flow, request, error);

  /* Any answer but busy means the phone is not (or no longer) in a call: D11 */
  if (status != WPI_MESSAGE_STATUS_BUSY)
    flow->busy = FALSE;

  switch (flow->step)
    {
    case STEP_REGISTRATION_READ:
      if (status == WPI_MESSAGE_STATUS_ACCEPTED &&
          !replace_phone_items (self, flow, items, traffic_id, error))
        return NULL;
      return _wpi_service_flow_next (self, flow, request);

    case STEP_JOB_VERIFY:
      if (!replace_phone_items (self, flow, items, traffic_id, error) ||
          !_wpi_service_finish_job (self, flow, WPI_JOB_STATE_DONE, NULL, error))
        return NULL;
      return _wpi_service_flow_next (self, flow, request);

    case STEP_TAN:
      return _wpi_service_flow_on_tan (self, flow, request, items, error);

    case STEP_JOB:
      return flow_on_job_reply (self, flow, request, items, traffic_id, error);

    case STEP_NONE:
    case STEP_CLEAN_UP:
      break;
    }
  return _wpi_service_flow_clean_up (self, flow, request, NULL);
}

/* A `status` message: the result of a single-file deployment (§7.9). */
WpiMessage *
_wpi_service_flow_on_status (WpiService  *self,
                             Flow        *flow,
                             WpiMessage  *request,
                             GPtrArray   *items,
                             gint64       traffic_id,
                             GError     **error)
{
  g_autoptr(GString) failed = g_string_new (NULL);

  if (!update_phone_items (self, flow, items, traffic_id, error))
    return NULL;

  if (flow->job == NULL || flow->job->kind != WPI_JOB_KIND_FILE_DEPLOYMENT)
    return _wpi_service_flow_next (self, flow, request);

  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);
      g_autofree char *status = _wpi_service_trimmed (item->value);

      if (strcmp (item->name, "file-deployment-status") == 0 &&
          g_ascii_strcasecmp (status != NULL ? status : "", "ok") != 0)
        {
          const WpiItem *name = NULL;

          for (guint j = 0; j < items->len && name == NULL; j++)
            {
              const WpiItem *other = g_ptr_array_index (items, j);
              if (strcmp (other->name, "file-deployment-name") == 0 &&
                  other->has_index == item->has_index && (!item->has_index || other->index == item->index))
                name = other;
            }
          g_string_append_printf (failed, "%s%s", failed->len ? ", " : "",
                                  name != NULL ? name->value : "file");
        }
      if (g_str_has_prefix (item->name, "file-deployment-"))
        {
          wpi_store_item_array_add (flow->results, item->name, item->has_index, item->index, item->value);
          g_array_index (flow->results, WpiStoreItem, flow->results->len - 1).status = g_strdup ("reported");
        }
    }

  if (failed->len > 0)
    {
      g_autofree char *reason = g_strdup_printf ("the phone could not deploy %s", failed->str);
      if (!_wpi_service_finish_job (self, flow, WPI_JOB_STATE_FAILED, reason, error))
        return NULL;
    }
  else if (!_wpi_service_finish_job (self, flow, WPI_JOB_STATE_DONE, NULL, error))
    return NULL;

  return _wpi_service_flow_next (self, flow, request);
}

/* D15: a factory reset puts the phone back in Default Mode, and its Secure Mode
 * certificate is void. */
static gboolean
complete_factory_reset (WpiService    *self,
                        Flow          *flow,
                        WpiJobRecord  *job,
                        GError       **error)
{
  g_autoptr(WpiPhoneRecord) phone = NULL;

  if (!_wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error))
    return FALSE;
  if (flow->port_mode != WPI_PHONE_MODE_DEFAULT)
    return TRUE;
  phone = wpi_phone_record_new (flow->mac);
  phone->mode = WPI_PHONE_MODE_DEFAULT;
  if (!wpi_store_phone_upsert (self->store, phone, WPI_PHONE_FIELD_MODE, NULL, error))
    return FALSE;
  _wpi_service_log (self, "%s is back in Default Mode after a factory reset", flow->mac);
  return TRUE;
}

/* A software deployment succeeded if the phone starts up with the version it was sent. */
static gboolean
complete_software_deployment (WpiService    *self,
                              WpiJobRecord  *job,
                              const char    *version,
                              GError       **error)
{
  const char *wanted = NULL;
  int want_major = -1, want_minor = -1, want_fix = -1, major = -2, minor = -2, fix = -2;
  const char *p;
  g_autofree char *reason = NULL;

  for (guint j = 0; job->items != NULL && j < job->items->len; j++)
    {
      const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, j);
      if (strcmp (item->name, "file-sw-version") == 0)
        wanted = item->value;
    }
  /* file-sw-version "3.5.12.0" is the phone's "V3 R5.12.0" (items.md §3.2) */
  if (wanted != NULL)
    sscanf (wanted, "%d.%d.%d", &want_major, &want_minor, &want_fix);
  if (version != NULL && (p = strchr (version, 'V')) != NULL)
    sscanf (p, "V%d R%d.%d", &major, &minor, &fix);

  if (wanted == NULL || (major == want_major && minor == want_minor && fix == want_fix))
    return _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error);
  reason = g_strdup_printf ("the phone restarted with %s, not %s", version ? version : "no version", wanted);
  return _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_FAILED, reason, error);
}

/* The phone ended the interaction in the middle of a flow: the job it was given failed, and
 * so did its bootstrap if the reason was the PIN (flow C). */
WpiMessage *
_wpi_service_flow_on_clean_up (WpiService  *self,
                               Flow        *flow,
                               WpiMessage  *request,
                               GError     **error)
{
  const char *why = wpi_message_get_item_value (request, "cleanup-reason");
  g_autofree char *text = g_strdup_printf ("the phone ended the interaction: %s",
                                           why ? why : "no reason given");

  if (flow->job != NULL && !_wpi_service_finish_job (self, flow, WPI_JOB_STATE_FAILED, text, error))
    return NULL;
  if (why != NULL && !_wpi_service_fail_bootstrap (self, flow->mac, why, error))
    return NULL;
  _wpi_service_flow_reset_job (flow);
  return _wpi_service_flow_clean_up (self, flow, request, NULL);
}

/* A start-up completes the jobs that end in a reboot (restart, factory reset, firmware). */
static gboolean
complete_reboot_jobs (WpiService  *self,
                      Flow        *flow,
                      WpiMessage  *request,
                      GError     **error)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, flow->mac, error);
  const char *version = wpi_message_get_item_value (request, "software-version");
  gboolean ok = TRUE;

  if (pending == NULL)
    return FALSE;

  for (guint i = 0; ok && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);

      if (job->state != WPI_JOB_STATE_IN_PROGRESS)
        continue;
      switch (job->kind)
        {
        case WPI_JOB_KIND_RESTART:
          ok = _wpi_service_set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error);
          break;
        case WPI_JOB_KIND_FACTORY_RESET:
          ok = complete_factory_reset (self, flow, job, error);
          break;
        case WPI_JOB_KIND_SOFTWARE_DEPLOYMENT:
          ok = complete_software_deployment (self, job, version, error);
          break;
        case WPI_JOB_KIND_READ_ALL:
        case WPI_JOB_KIND_READ_ITEMS:
        case WPI_JOB_KIND_WRITE_ITEMS:
        case WPI_JOB_KIND_FILE_DEPLOYMENT:
        case WPI_JOB_KIND_APPLY_PROFILE:
        case WPI_JOB_KIND_BOOTSTRAP:
          break;   /* a bootstrap completes in secure_start_up() */
        }
    }
  return ok;
}

static gboolean
is_true (const char *value)
{
  g_autofree char *trimmed = _wpi_service_trimmed (value);

  return trimmed != NULL && g_ascii_strcasecmp (trimmed, "true") == 0;
}

/* The first read of a new phone is a job of its own, stored with the phone: should this
 * flow break off (the service killed, the phone gone), the next start-up no longer looks
 * new, and the job is what still says its configuration is unknown. A new phone also gets
 * the default profile, if one is set (issue 3 §1). */
static gboolean
enqueue_registration (WpiService  *self,
                      Flow        *flow,
                      GError     **error)
{
  g_autoptr(WpiProfileRecord) profile = wpi_store_profile_get_default (self->store, NULL);
  gint64 registration_job = 0;
  gint64 profile_job = 0;

  if (!wpi_store_job_enqueue (self->store, flow->mac, WPI_JOB_KIND_READ_ALL,
                              WPI_JOB_PARAMETER_REGISTRATION, NULL, 0, &registration_job, error))
    return FALSE;
  _wpi_service_refresh_job (self, registration_job);
  if (profile != NULL &&
      !wpi_store_job_enqueue (self->store, flow->mac, WPI_JOB_KIND_APPLY_PROFILE,
                              profile->name, NULL, 0, &profile_job, error))
    return FALSE;
  if (profile_job != 0)
    _wpi_service_refresh_job (self, profile_job);
  return TRUE;
}

/* Reads the phone's whole configuration before its jobs run */
static WpiMessage *
flow_read_configuration (Flow       *flow,
                         WpiMessage *request)
{
  flow->step = STEP_REGISTRATION_READ;
  flow->expected = WPI_ACTION_READ_ALL_ITEMS;
  return _wpi_service_reply_new (request, WPI_ACTION_READ_ALL_ITEMS);
}

static WpiMessage *
flow_on_start_up (WpiService  *self,
                  Flow        *flow,
                  WpiMessage  *request,
                  gboolean     phone_created,
                  GError     **error)
{
  if (!complete_reboot_jobs (self, flow, request, error))
    return NULL;
  if (flow->port_mode == WPI_PHONE_MODE_SECURE)
    {
      gboolean handled = FALSE;
      WpiMessage *reply = _wpi_service_secure_start_up (self, flow, request, &handled, error);

      if (handled)
        return reply;
    }
  if (phone_created)
    {
      if (!enqueue_registration (self, flow, error))
        return NULL;
      return _wpi_service_flow_next (self, flow, request);
    }
  /* a read-all job already queued (a read cut short, D22) reads it just the same */
  if (is_true (wpi_message_get_item_value (request, "configuration-changed-flag")) &&
      !has_waiting_job (self, flow, TRUE))
    return flow_read_configuration (flow, request);
  return _wpi_service_flow_next (self, flow, request);
}

/* The phone aborted the interaction before it began */
static WpiMessage *
flow_on_opening_clean_up (WpiService  *self,
                          Flow        *flow,
                          WpiMessage  *request,
                          GError     **error)
{
  const char *why = wpi_message_get_item_value (request, "cleanup-reason");

  _wpi_service_log (self, "%s aborted the interaction: %s", flow->mac, why ? why : "no reason given");
  /* Flow C: the user ran out of PIN attempts */
  if (why != NULL && !_wpi_service_fail_bootstrap (self, flow->mac, why, error))
    return NULL;
  return _wpi_service_flow_clean_up (self, flow, request, NULL);
}

/* The first message of a flow: start-up, solicited, local-changes, inventory-changes,
 * status without a session, or the phone's own clean-up. */
WpiMessage *
_wpi_service_flow_on_opening (WpiService  *self,
                              Flow        *flow,
                              WpiMessage  *request,
                              GPtrArray   *items,
                              gboolean     phone_created,
                              gint64       traffic_id,
                              GError     **error)
{
  gboolean mobility = FALSE;

  /* before its items are stored: a mobility change is told from the stored state */
  if (wpi_message_get_reason (request) == WPI_REASON_INVENTORY_CHANGES &&
      !_wpi_service_note_mobility (self, flow, request, &mobility, error))
    return NULL;
  /* What the phone volunteers is its current configuration */
  if (!update_phone_items (self, flow, items, traffic_id, error))
    return NULL;

  switch (wpi_message_get_reason (request))
    {
    case WPI_REASON_START_UP:
      return flow_on_start_up (self, flow, request, phone_created, error);

    case WPI_REASON_LOCAL_CHANGES:
    case WPI_REASON_INVENTORY_CHANGES:
      /* V2R2+ attach the changed items (stored above); older phones only flag them. A
       * logon or logoff is answered without a read (wpi-service-mobility.c). */
      if (!mobility && !is_true (wpi_message_get_item_value (request, "configuration-attached-flag")))
        return flow_read_configuration (flow, request);
      return _wpi_service_flow_next (self, flow, request);

    case WPI_REASON_CLEAN_UP:
      return flow_on_opening_clean_up (self, flow, request, error);

    case WPI_REASON_SOLICITED:
    case WPI_REASON_STATUS:
    /* the HTTP layer routes reply-tos to flow_on_reply(); the others open a flow like a
     * solicited one */
    case WPI_REASON_REPLY_TO:
    case WPI_REASON_NONE:
    case WPI_REASON_OTHER:
      break;
    }
  return _wpi_service_flow_next (self, flow, request);
}
