/* wpi-sim-phone-flows.c: the WPI flows of a simulated phone
 *
 * One flow at a time (protocol.md §7): start-up, local-changes, inventory-changes,
 * solicited (contact-me, send-solicited, a poll) and the phone's own clean-up; the phone
 * answers each Action with a reply-to, fragments its own replies (§7.13), refuses writes in a
 * call and retries a failed flow later. Also the process-wide request limit that every
 * request of the phones (flows, downloads, polls) goes through.
 */
#include "config.h"

#include <string.h>

#include "wpi-bundle.h"
#include "wpi-codec.h"
#include "wpi-fragment.h"
#include "wpi-sim-phone-private.h"

#define MAX_RETRY_FACTOR 8

static void flow_send            (SimFlow     *flow,
                                  WpiMessage  *message);
static void phone_schedule_retry (WpiSimPhone *self);

static gboolean
attaches_changes (WpiSimPhone *self)
{
  return _wpi_sim_phone_get_generation (self) >= 202;
}

static gboolean
honours_send_solicited (WpiSimPhone *self)
{
  return _wpi_sim_phone_get_generation (self) >= 303;
}

/* Where the phone's flows go: the configured service, or in Secure Mode the same host on
 * the secure port (§7.15 step 7: every request uses mutual TLS on it). */
static char *
phone_service_base (WpiSimPhone *self)
{
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE)
    return _wpi_sim_base_uri_for ("https", g_uri_get_host (self->service), self->credentials->port);
  return g_strdup (self->service_uri);
}

GUri *
_wpi_sim_endpoint_for (const char  *base_uri,
                       GError     **error)
{
  g_autoptr(GUri) base = g_uri_parse (base_uri, G_URI_FLAGS_NONE, error);
  const char *scheme;

  if (base == NULL)
    return NULL;
  scheme = g_uri_get_scheme (base);
  if ((g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0) ||
      g_uri_get_host (base) == NULL || *g_uri_get_host (base) == '\0')
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not an https:// service address", base_uri);
      return NULL;
    }
  return g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (base),
                      g_uri_get_port (base) > 0 ? g_uri_get_port (base) : SIM_DEFAULT_SERVICE_PORT,
                      WPI_SIM_LOGIN_PATH, NULL, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* The process-wide request limit                                                           */

/* At most this many requests of all phones of the process at once. glib-networking runs
 * every TLS handshake in a thread of GLib's small shared pool, blocking on the peer; a
 * thousand phones starting together would fill the pool with handshakes that wait for a
 * server that is busy with other phones' handshakes, and everything crawls. Phones, like the
 * rest of GLib here, run on one thread, so this needs no lock. */
static guint   gate_limit = WPI_SIM_DEFAULT_MAX_REQUESTS;
static guint   gate_active;
static GQueue  gate_waiting = G_QUEUE_INIT;

typedef struct {
  GFunc    func;
  gpointer data;
  gint64  *waited;     /* where to add the time spent queued, or NULL */
  gint64   since;
} GateWaiter;

void
wpi_sim_set_max_requests (guint max_requests)
{
  gate_limit = max_requests;
}

guint
wpi_sim_get_max_requests (void)
{
  return gate_limit;
}

/* Runs func now when a slot is free, else when one frees up, in order. */
void
_wpi_sim_phone_gate_enter (GFunc    func,
                           gpointer data,
                           gint64  *waited)
{
  GateWaiter *waiter;

  if (gate_limit == 0 || gate_active < gate_limit)
    {
      gate_active++;
      func (data, NULL);
      return;
    }
  waiter = g_new (GateWaiter, 1);
  waiter->func = func;
  waiter->data = data;
  waiter->waited = waited;
  waiter->since = g_get_monotonic_time ();
  g_queue_push_tail (&gate_waiting, waiter);
}

void
_wpi_sim_phone_gate_leave (void)
{
  GateWaiter *waiter;

  g_assert (gate_active > 0);
  gate_active--;
  while ((gate_limit == 0 || gate_active < gate_limit) &&
         (waiter = g_queue_pop_head (&gate_waiting)) != NULL)
    {
      gate_active++;
      if (waiter->waited != NULL)
        *waiter->waited += g_get_monotonic_time () - waiter->since;
      waiter->func (waiter->data, NULL);
      g_free (waiter);
    }
}

/* A key of self->changed (item_key() in wpi-sim-phone.c) back to the item with the phone's
 * value; NULL when it is gone. */
static WpiItem *
item_from_key (WpiSimPhone *self,
               const char  *key)
{
  const char *separator = strchr (key, '\x1F');
  g_autofree char *name = separator ? g_strndup (key, separator - key) : g_strdup (key);
  gint64 index = separator ? g_ascii_strtoll (separator + 1, NULL, 10) : -1;
  WpiSimItem *item = wpi_sim_items_lookup (self->items, name, index);

  if (item == NULL)
    return NULL;
  return index < 0 ? wpi_item_new (name, item->value)
                   : wpi_item_new_indexed (name, index, item->value);
}

/* ---------------------------------------------------------------------------------------- */
/* Building the phone's messages                                                            */

static WpiMessage *
flow_message_new (SimFlow   *flow,
                  WpiReason  reason)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, flow->nonce);

  wpi_message_set_max_items (message, flow->phone->max_items);
  wpi_message_set_reason (message, reason);
  return message;
}

static void
add_failed (GPtrArray  *items,
            const char *name)
{
  WpiItem *item = wpi_item_new (name, "");

  wpi_item_set_status (item, "failed");
  g_ptr_array_add (items, item);
}

static void
add_stored_or_failed (WpiSimPhone *self,
                      GPtrArray   *items,
                      const char  *name)
{
  const char *value = wpi_sim_items_get_value (self->items, name);
  WpiItem *item = wpi_item_new (name, value ?: "");

  /* What the phone cannot report goes out empty with status "failed" (p.33, p.43). */
  if (value == NULL)
    wpi_item_set_status (item, "failed");
  g_ptr_array_add (items, item);
}

/* The basic data items of protocol.md §3.5, as the firmware generation sends them. */
void
_wpi_sim_phone_add_basic_items (WpiSimPhone *self,
                                GPtrArray   *items)
{
  static const char * const common[] = {
    "device-type", "related-device-type", "software-type", "related-software-type",
    "software-version", "related-software-version", "contact-me-uri", "mac-addr",
    "configuration-changed-flag", "part-number", "sip-mobility-state", "e164", "basic-e164",
    "user-pwd",
  };
  gboolean v2 = _wpi_sim_phone_get_generation (self) >= 200;

  for (guint i = 0; i < G_N_ELEMENTS (common); i++)
    add_stored_or_failed (self, items, common[i]);
  /* V1 cannot fill these and says so (p.33) */
  if (v2)
    add_stored_or_failed (self, items, "user-pwd-unicode");
  else
    add_failed (items, "user-pwd-unicode");
  add_stored_or_failed (self, items, "mobility-enabled");
  if (v2)
    {
      add_stored_or_failed (self, items, "gigabit-ethernet-enabled");
      add_stored_or_failed (self, items, "backlight-type");
    }
  else
    add_failed (items, "gigabit-ethernet");
}

GPtrArray *
_wpi_sim_item_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);
}

static void
add_file_inventory (WpiSimPhone *self,
                    GPtrArray   *items)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      SimFile *file = g_ptr_array_index (self->files, i);
      gint64 index = i + 1;

      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-name", index, file->name));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-type", index, file->type));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-status", index, file->status));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-date", index, file->date));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-time", index, file->time));
    }
}

/* Splits the phone's own reply at maxItems items and 50,000 bytes (protocol.md §7.13). */
static GPtrArray *
split_reply (GPtrArray *items,
             gint64     max_items)
{
  /* room for the envelope: root, Message, ReasonForContact, ItemList */
  const gsize budget = WPI_MAX_MESSAGE_BYTES - 1024;
  GPtrArray *fragments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *current = g_ptr_array_new ();
  gsize bytes = 0;

  g_ptr_array_add (fragments, current);
  for (guint i = 0; i < items->len; i++)
    {
      WpiItem *item = g_ptr_array_index (items, i);
      gsize size = wpi_item_serialized_size (item);

      if (current->len > 0 &&
          ((max_items > 0 && current->len >= (guint64) max_items) || bytes + size > budget))
        {
          current = g_ptr_array_new ();
          g_ptr_array_add (fragments, current);
          bytes = 0;
        }
      g_ptr_array_add (current, item);
      bytes += size;
    }
  return fragments;
}

static void
flow_send_fragment (SimFlow *flow)
{
  GPtrArray *fragment = g_ptr_array_index (flow->fragments, flow->next_fragment);
  g_autoptr(WpiMessage) message = flow_message_new (flow, WPI_REASON_REPLY_TO);
  gboolean last;

  flow->next_fragment++;
  last = flow->next_fragment >= flow->fragments->len;
  wpi_message_set_action_string (message, flow->reply_action);
  wpi_message_set_status (message, flow->reply_status);
  wpi_message_set_fragment (message, last ? WPI_FRAGMENT_FINAL : WPI_FRAGMENT_NEXT);
  wpi_message_set_has_item_list (message, TRUE);
  for (guint i = 0; i < fragment->len; i++)
    wpi_message_take_item (message, wpi_item_copy (g_ptr_array_index (fragment, i)));

  if (last)
    {
      g_clear_pointer (&flow->fragments, g_ptr_array_unref);
      g_clear_pointer (&flow->reply_items, g_ptr_array_unref);
    }
  flow_send (flow, message);
}

static void
flow_drop_fragments (SimFlow *flow)
{
  g_clear_pointer (&flow->fragments, g_ptr_array_unref);
  g_clear_pointer (&flow->reply_items, g_ptr_array_unref);
  flow->next_fragment = 0;
}

/* A reply-to; items NULL sends it without an ItemList (the busy reply), an empty array sends
 * <ItemList/>. */
void
_wpi_sim_phone_flow_reply (SimFlow          *flow,
                           const char       *action,
                           WpiMessageStatus  status,
                           GPtrArray        *items)
{
  flow_drop_fragments (flow);
  g_free (flow->reply_action);
  flow->reply_action = g_strdup (action);
  flow->reply_status = status;

  if (items == NULL)
    {
      g_autoptr(WpiMessage) message = flow_message_new (flow, WPI_REASON_REPLY_TO);

      wpi_message_set_action_string (message, action);
      wpi_message_set_status (message, status);
      wpi_message_set_fragment (message, WPI_FRAGMENT_FINAL);
      flow_send (flow, message);
      return;
    }

  flow->reply_items = g_ptr_array_ref (items);
  flow->fragments = split_reply (items, flow->phone->max_items);
  flow->next_fragment = 0;
  flow_send_fragment (flow);
}

/* A reply-to with an empty <ItemList/>. */
void
_wpi_sim_phone_flow_reply_empty (SimFlow          *flow,
                                 const char       *action,
                                 WpiMessageStatus  status)
{
  g_autoptr(GPtrArray) items = _wpi_sim_item_array_new ();

  _wpi_sim_phone_flow_reply (flow, action, status, items);
}

void
_wpi_sim_phone_flow_send_with_items (SimFlow   *flow,
                                     WpiReason  reason,
                                     GPtrArray *items)
{
  g_autoptr(WpiMessage) message = flow_message_new (flow, reason);

  for (guint i = 0; i < items->len; i++)
    wpi_message_take_item (message, wpi_item_copy (g_ptr_array_index (items, i)));
  flow_send (flow, message);
}

/* ---------------------------------------------------------------------------------------- */
/* The flow: HTTPS transport                                                                */

static SimFlow *
flow_new (WpiSimPhone *self,
          WpiReason    reason,
          GUri        *endpoint)
{
  SimFlow *flow = g_new0 (SimFlow, 1);

  flow->phone = g_object_ref (self);
  flow->reason = reason;
  flow->endpoint = g_uri_ref (endpoint);
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE)
    {
      flow->session = g_object_ref (_wpi_sim_phone_get_session (self, TRUE));
      flow->credentials = _wpi_sim_credentials_ref (self->credentials);
    }
  else
    flow->session = g_object_ref (_wpi_sim_phone_get_session (self, FALSE));
  /* A new nonce per flow, kept for the whole flow (protocol.md §8.2) */
  for (guint i = 0; i < 32; i++)
    flow->nonce[i] = "0123456789ABCDEF"[g_rand_int_range (self->rand, 0, 16)];
  flow->nonce[32] = '\0';
  flow->cancellable = g_cancellable_new ();
  flow->trail = g_string_new (NULL);
  flow->started = g_get_monotonic_time ();
  return flow;
}

static void
flow_free (SimFlow *flow)
{
  flow_drop_fragments (flow);
  g_clear_pointer (&flow->endpoint, g_uri_unref);
  g_clear_object (&flow->session);
  g_clear_pointer (&flow->credentials, _wpi_sim_credentials_unref);
  g_clear_pointer (&flow->bootstrap, _wpi_sim_credentials_unref);
  g_clear_pointer (&flow->pin_bootstrap, _wpi_sim_pin_request_free);
  g_clear_pointer (&flow->reported, g_ptr_array_unref);
  g_clear_pointer (&flow->cookie, g_free);
  g_clear_object (&flow->cancellable);
  g_string_free (flow->trail, TRUE);
  g_free (flow->last_word);
  g_free (flow->reply_action);
  g_free (flow->software_url);
  g_free (flow->software_version);
  g_clear_object (&flow->phone);
  g_free (flow);
}

/* "ReadAllItems,GetNextFragment*104,CleanUp": a repeated word is counted, not repeated. */
void
_wpi_sim_phone_flow_trail_append (SimFlow    *flow,
                                  const char *word)
{
  if (flow->last_word != NULL && strcmp (flow->last_word, word) == 0)
    {
      flow->repeats++;
      return;
    }
  if (flow->repeats > 1)
    g_string_append_printf (flow->trail, "*%u", flow->repeats);
  if (flow->trail->len > 0)
    g_string_append_c (flow->trail, ',');
  g_string_append (flow->trail, word);
  g_free (flow->last_word);
  flow->last_word = g_strdup (word);
  flow->repeats = 1;
}

static const char *
trail_finish (SimFlow *flow)
{
  if (flow->repeats > 1)
    g_string_append_printf (flow->trail, "*%u", flow->repeats);
  flow->repeats = 0;
  return flow->trail->str;
}

/* Keeps the session cookie of the first answer that sets one, preferring JSESSIONID. */
static void
flow_take_cookie (SimFlow     *flow,
                  SoupMessage *message)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  g_autofree char *first = NULL;

  if (flow->cookie != NULL)
    return;

  soup_message_headers_iter_init (&iter, soup_message_get_response_headers (message));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *pair = NULL;

      if (g_ascii_strcasecmp (name, "Set-Cookie") != 0)
        continue;
      pair = g_strstrip (g_strndup (value, strcspn (value, ";")));
      if (strchr (pair, '=') == NULL || pair[0] == '=')
        continue;
      if (g_str_has_prefix (pair, "JSESSIONID="))
        {
          flow->cookie = g_steal_pointer (&pair);
          return;
        }
      if (first == NULL)
        first = g_steal_pointer (&pair);
    }
  flow->cookie = g_steal_pointer (&first);
}

static void flow_handle (SimFlow    *flow,
                         WpiMessage *answer);

/* The service's answer as a DLSMessage of this flow; NULL with what is wrong in *detail. */
static WpiMessage *
answer_from_response (SimFlow      *flow,
                      SoupMessage  *http,
                      GBytes       *body,
                      char        **detail)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  guint status = soup_message_get_status (http);
  const char *content_type;
  const char *data;
  gsize length;

  if (status != SOUP_STATUS_OK)
    {
      *detail = g_strdup_printf ("HTTP %u %s", status, soup_message_get_reason_phrase (http) ?: "");
      return NULL;
    }
  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (http),
                                                        NULL);
  if (content_type != NULL && strstr (content_type, "xml") == NULL)
    {
      *detail = g_strdup_printf ("answer is %s, not XML", content_type);
      return NULL;
    }

  data = g_bytes_get_data (body, &length);
  answer = wpi_message_parse (data, length, &error);
  if (answer == NULL)
    *detail = g_strdup_printf ("answer is not a DLSMessage: %s", error->message);
  else if (wpi_message_get_kind (answer) != WPI_MESSAGE_KIND_DLS)
    *detail = g_strdup ("answer is a WorkpointMessage, not a DLSMessage");
  else if (g_strcmp0 (wpi_message_get_nonce (answer), flow->nonce) != 0)
    *detail = g_strdup_printf ("answer carries nonce %s, not ours (%s)",
                               wpi_message_get_nonce (answer), flow->nonce);
  else
    return g_steal_pointer (&answer);
  return NULL;
}

static void
flow_send_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(SoupMessage) http = SOUP_MESSAGE (user_data);
  SimFlow *flow = g_object_get_data (G_OBJECT (http), "wpi-sim-flow");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autofree char *detail = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  _wpi_sim_phone_gate_leave ();
  if (body == NULL)
    detail = g_strdup_printf ("no answer from %s: %s", g_uri_get_host (flow->endpoint),
                              error->message);
  else
    answer = answer_from_response (flow, http, body, &detail);
  if (answer != NULL)
    flow_take_cookie (flow, http);
  /* the exchange is over before the flow goes on or ends */
  g_clear_object (&http);
  if (answer == NULL)
    _wpi_sim_phone_flow_finish (flow, FALSE, detail);
  else
    flow_handle (flow, answer);
}

static void
flow_send_now (gpointer data,
               gpointer unused)
{
  SoupMessage *http = data;
  SimFlow *flow = g_object_get_data (G_OBJECT (http), "wpi-sim-flow");

  soup_session_send_and_read_async (flow->session, http, G_PRIORITY_DEFAULT,
                                    flow->cancellable, flow_send_done, http);
}

static void
flow_send (SimFlow    *flow,
           WpiMessage *message)
{
  SoupMessage *http;
  SoupMessageHeaders *headers;
  g_autoptr(GBytes) body = wpi_message_serialize_bytes (message);

  http = soup_message_new_from_uri ("POST", flow->endpoint);
  soup_message_set_request_body_from_bytes (http, "text/xml", body);
  headers = soup_message_get_request_headers (http);
  if (flow->cookie != NULL)
    soup_message_headers_replace (headers, "Cookie", flow->cookie);
  /* Real phones close the connection after each exchange (protocol.md §2.1); a
   * keep-alive client sends the flow's next message on the same connection (D18: libsoup
   * reuses a connection only for a message marked idempotent) */
  if (flow->phone->keep_alive)
    soup_message_add_flags (http, SOUP_MESSAGE_IDEMPOTENT);
  else
    soup_message_headers_replace (headers, "Connection", "close");
  _wpi_sim_message_set_credentials (http, flow->credentials);
  g_object_set_data (G_OBJECT (http), "wpi-sim-flow", flow);

  flow->n_messages++;
  _wpi_sim_phone_gate_enter (flow_send_now, http, &flow->queued);
}

/* ---------------------------------------------------------------------------------------- */
/* Actions                                                                                  */

static void
flow_handle_read_all (SimFlow *flow)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(GPtrArray) items = _wpi_sim_item_array_new ();
  guint n = wpi_sim_items_get_n_items (self->items);

  /* once this flow succeeds, the service knows the whole configuration */
  flow->clears_changed_flag = TRUE;
  for (guint i = 0; i < n; i++)
    {
      WpiSimItem *item = wpi_sim_items_get (self->items, i);

      if (item->flags & WPI_SIM_ITEM_NOT_IN_READ_ALL)
        continue;
      g_ptr_array_add (items, item->index < 0 ? wpi_item_new (item->name, item->value)
                                              : wpi_item_new_indexed (item->name, item->index,
                                                                      item->value));
    }
  add_file_inventory (self, items);
  _wpi_sim_phone_flow_reply (flow, "ReadAllItems", WPI_MESSAGE_STATUS_ACCEPTED, items);
}

static WpiItem *
item_new_maybe_indexed (const char *name,
                        gboolean    has_index,
                        gint64      index,
                        const char *value)
{
  return has_index ? wpi_item_new_indexed (name, index, value) : wpi_item_new (name, value);
}

/* file-deployment-*: from the deployed-file inventory; empty when there is no such file. */
static void
add_requested_file_item (WpiSimPhone   *self,
                         GPtrArray     *items,
                         const WpiItem *request)
{
  g_autoptr(GPtrArray) inventory = _wpi_sim_item_array_new ();
  gboolean found = FALSE;

  add_file_inventory (self, inventory);
  for (guint i = 0; i < inventory->len; i++)
    {
      WpiItem *item = g_ptr_array_index (inventory, i);

      if (strcmp (item->name, request->name) == 0 &&
          (!request->has_index || item->index == request->index))
        {
          g_ptr_array_add (items, wpi_item_copy (item));
          found = TRUE;
        }
    }
  if (!found)
    g_ptr_array_add (items, item_new_maybe_indexed (request->name, request->has_index,
                                                    request->index, ""));
}

/* One instance of an indexed item: stored, else the default of a valid index. */
static void
add_requested_instance (WpiSimPhone   *self,
                        GPtrArray     *items,
                        const WpiItem *request)
{
  WpiSimItem *stored = wpi_sim_items_lookup (self->items, request->name, request->index);
  const char *value = stored ? stored->value
                             : wpi_sim_items_default_value (self->items, request->name,
                                                            request->index);
  WpiItem *answer = wpi_item_new_indexed (request->name, request->index, value ?: "");

  if (value == NULL)
    {
      g_autoptr(GPtrArray) all = wpi_sim_items_lookup_all (self->items, request->name);
      gboolean known = all->len > 0 ||
                       wpi_sim_items_default_value (self->items, request->name, -1) != NULL;

      wpi_item_set_status (answer, known ? "invalid index" : "unknown item");
    }
  g_ptr_array_add (items, answer);
}

/* One item a ReadItems asks for; without an index: every instance the phone has, else the
 * item's default. */
static void
add_requested_item (WpiSimPhone   *self,
                    GPtrArray     *items,
                    const WpiItem *request)
{
  g_autoptr(GPtrArray) all = NULL;
  const char *value;
  WpiItem *answer;

  if (g_str_has_prefix (request->name, "file-deployment-"))
    {
      add_requested_file_item (self, items, request);
      return;
    }
  if (request->has_index)
    {
      add_requested_instance (self, items, request);
      return;
    }

  all = wpi_sim_items_lookup_all (self->items, request->name);
  for (guint i = 0; i < all->len; i++)
    {
      WpiSimItem *item = g_ptr_array_index (all, i);

      g_ptr_array_add (items, item_new_maybe_indexed (item->name, item->index >= 0, item->index,
                                                      item->value));
    }
  if (all->len > 0)
    return;
  value = wpi_sim_items_default_value (self->items, request->name, -1);
  answer = wpi_item_new (request->name, value ?: "");
  if (value == NULL)
    wpi_item_set_status (answer, "unknown item");
  g_ptr_array_add (items, answer);
}

static void
flow_handle_read_items (SimFlow    *flow,
                        WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(GPtrArray) items = _wpi_sim_item_array_new ();
  guint n = wpi_message_get_n_items (answer);

  _wpi_sim_phone_add_basic_items (self, items);
  for (guint i = 0; i < n; i++)
    {
      const WpiItem *request = wpi_message_get_item (answer, i);

      if (strcmp (request->name, "bootstrapping-tan") == 0)
        g_ptr_array_add (items, _wpi_sim_phone_flow_answer_tan (flow));
      else
        add_requested_item (self, items, request);
    }
  _wpi_sim_phone_flow_reply (flow, "ReadItems", WPI_MESSAGE_STATUS_ACCEPTED, items);
}

static void
flow_handle_write_items (SimFlow    *flow,
                         WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(GPtrArray) refused = _wpi_sim_item_array_new ();
  guint n = wpi_message_get_n_items (answer);
  gboolean e164_changed = FALSE;

  /* In a call the phone refuses the whole write (p.46): no ItemList at all */
  if (self->in_call)
    {
      _wpi_sim_phone_flow_reply (flow, "WriteItems", WPI_MESSAGE_STATUS_BUSY, NULL);
      return;
    }

  if (wpi_message_get_item_value (answer, "goto-secure-mode") != NULL &&
      !_wpi_sim_phone_flow_take_bootstrap (flow, answer, refused))
    {
      /* the bootstrap cannot work: fail the whole write, naming the items at fault */
      _wpi_sim_phone_flow_trail_append (flow, "bootstrap refused");
      _wpi_sim_phone_flow_reply (flow, "WriteItems", WPI_MESSAGE_STATUS_FAILED, refused);
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      const WpiItem *item = wpi_message_get_item (answer, i);
      g_autofree char *reason = NULL;
      WpiItemStatus status;

      if (flow->bootstrap != NULL || flow->pin_bootstrap != NULL)
        if (_wpi_sim_is_bootstrap_item (item->name))
          continue;

      status = wpi_sim_items_check_write (self->items, item->name, item->has_index, item->index,
                                          item->value, &reason);
      if (status == WPI_ITEM_STATUS_NONE)
        {
          wpi_sim_items_store (self->items, item->name, item->has_index ? item->index : -1,
                               item->value);
          if (strcmp (item->name, "e164") == 0)
            e164_changed = TRUE;
          continue;
        }

      {
        WpiItem *failed = item->has_index ? wpi_item_new_indexed (item->name, item->index, "")
                                          : wpi_item_new (item->name, "");

        wpi_item_set_status (failed, wpi_item_status_to_string (status));
        g_ptr_array_add (refused, failed);
      }
    }

  if (e164_changed)
    _wpi_sim_phone_notify (self, PROP_E164);
  _wpi_sim_phone_flow_reply (flow, "WriteItems", WPI_MESSAGE_STATUS_ACCEPTED, refused);
}

static void
flow_handle_restart (SimFlow    *flow,
                     WpiMessage *answer)
{
  const char *type = wpi_message_get_item_value (answer, "restart-type");

  if (type != NULL && g_ascii_strcasecmp (type, "FactoryReset") == 0)
    {
      const char *password = wpi_message_get_item_value (answer, "restart-password");

      if (g_strcmp0 (password, WPI_SIM_RESTART_PASSWORD) != 0)
        {
          _wpi_sim_phone_flow_reply_empty (flow, "Restart", WPI_MESSAGE_STATUS_FAILED);
          return;
        }
      flow->factory_reset = TRUE;
    }

  /* No reply: the phone reboots and registers again with start-up (p.50) */
  flow->reboot = TRUE;
  _wpi_sim_phone_flow_finish (flow, TRUE, NULL);
}

static void
flow_handle_clean_up (SimFlow    *flow,
                      WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;

  /* One indication however many arrive; a plain CleanUp does not cancel it (p.72) */
  if (_wpi_sim_is_true (wpi_message_get_item_value (answer, "send-solicited")) &&
      honours_send_solicited (self))
    _wpi_sim_phone_set_pending_solicited (self, TRUE);
  /* §7.15 step 9: the service did not take the TAN, the bootstrap is void */
  if (flow->answered_tan &&
      g_strcmp0 (wpi_message_get_item_value (answer, "cleanup-reason"), WPI_BOOTSTRAP_WRONG_TAN) == 0)
    flow->tan_refused = TRUE;
  /* D21, items.md §13: the service is overloaded; what the flow was to report is sent again
   * after the retry delay (phone_schedule_retry(): back-off with jitter) */
  if (g_strcmp0 (wpi_message_get_item_value (answer, "cleanup-reason"), "overload") == 0)
    {
      flow->overloaded = TRUE;
      _wpi_sim_phone_flow_finish (flow, FALSE, WPI_SIM_FLOW_OVERLOADED);
      return;
    }
  _wpi_sim_phone_flow_finish (flow, TRUE, NULL);
}

/* The phone aborts (wpi_sim_phone_abort_next_action()): its own clean-up carries no action
 * or status attribute, only the reason (p.83). */
static void
flow_send_own_clean_up (SimFlow *flow)
{
  g_autoptr(WpiMessage) clean_up = flow_message_new (flow, WPI_REASON_CLEAN_UP);
  g_autofree char *reason = g_steal_pointer (&flow->phone->abort_reason);

  _wpi_sim_phone_flow_trail_append (flow, "clean-up");
  wpi_message_add_item (clean_up, "cleanup-reason", reason);
  flow_send (flow, clean_up);
}

static void
flow_handle (SimFlow    *flow,
             WpiMessage *answer)
{
  const char *action_string = wpi_message_get_action_string (answer);
  WpiAction action = wpi_message_get_action (answer);

  _wpi_sim_phone_flow_trail_append (flow, action_string ?: "(no action)");
  if (action != WPI_ACTION_GET_NEXT_FRAGMENT)
    flow_drop_fragments (flow);

  if (flow->phone->abort_reason != NULL && action != WPI_ACTION_CLEAN_UP)
    {
      flow_send_own_clean_up (flow);
      return;
    }

  switch (action)
    {
    case WPI_ACTION_CLEAN_UP:
      flow_handle_clean_up (flow, answer);
      break;

    case WPI_ACTION_GET_NEXT_FRAGMENT:
      if (flow->fragments != NULL && flow->next_fragment < flow->fragments->len)
        flow_send_fragment (flow);
      else
        _wpi_sim_phone_flow_reply_empty (flow, "GetNextFragment", WPI_MESSAGE_STATUS_FAILED);
      break;

    case WPI_ACTION_READ_ALL_ITEMS:
      flow_handle_read_all (flow);
      break;

    case WPI_ACTION_READ_ITEMS:
      flow_handle_read_items (flow, answer);
      break;

    case WPI_ACTION_WRITE_ITEMS:
      flow_handle_write_items (flow, answer);
      break;

    case WPI_ACTION_RESTART:
      flow_handle_restart (flow, answer);
      break;

    case WPI_ACTION_FILE_DEPLOYMENT:
      _wpi_sim_phone_flow_handle_file_deployment (flow, answer);
      break;

    case WPI_ACTION_SOFTWARE_DEPLOYMENT:
      _wpi_sim_phone_flow_handle_software_deployment (flow, answer);
      break;

    case WPI_ACTION_NONE:
    case WPI_ACTION_OTHER:
    default:
      /* an Action this phone does not know: "failed", i.e. not supported (p.29) */
      _wpi_sim_phone_flow_reply_empty (flow, action_string ?: "", WPI_MESSAGE_STATUS_FAILED);
      break;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Flow life cycle and scheduling                                                           */

/* What the failed flow was to report is pending again; the phone retries later. */
static void
flow_failed (SimFlow *flow)
{
  WpiSimPhone *self = flow->phone;
  gboolean retry = FALSE;

  switch (flow->reason)
    {
    case WPI_REASON_START_UP:
      self->pending_startup = TRUE;
      retry = TRUE;
      break;
    case WPI_REASON_LOCAL_CHANGES:
      self->pending_local_changes = TRUE;
      for (guint i = 0; flow->reported != NULL && i < flow->reported->len; i++)
        {
          const char *key = g_ptr_array_index (flow->reported, i);

          if (!g_ptr_array_find_with_equal_func (self->changed, key, g_str_equal, NULL))
            g_ptr_array_add (self->changed, g_strdup (key));
        }
      retry = TRUE;
      break;
    case WPI_REASON_INVENTORY_CHANGES:
      self->pending_inventory = TRUE;
      retry = TRUE;
      break;
    case WPI_REASON_CLEAN_UP:
      /* pending_clean_up stays until the service heard it */
      retry = TRUE;
      break;
    /* a contact-me is not answered twice; the phone starts no flow with the others */
    case WPI_REASON_SOLICITED:
    case WPI_REASON_NONE:
    case WPI_REASON_STATUS:
    case WPI_REASON_REPLY_TO:
    case WPI_REASON_OTHER:
    default:
      break;
    }
  /* a contact-me turned away for overload is answered again later, as a solicited flow of
   * the phone's own (the vendor's phones resend their last message) */
  if (flow->overloaded && flow->reason == WPI_REASON_SOLICITED)
    {
      _wpi_sim_phone_set_pending_solicited (self, TRUE);
      retry = TRUE;
    }
  /* a failed reconnect keeps the indication (p.72) */
  if (flow->consumed_solicited)
    {
      _wpi_sim_phone_set_pending_solicited (self, TRUE);
      retry = TRUE;
    }
  if (retry)
    phone_schedule_retry (self);
}

void
_wpi_sim_phone_flow_finish (SimFlow    *flow,
                            gboolean    ok,
                            const char *detail)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(WpiSimPhone) hold = g_object_ref (self);
  /* what the service and the network took, not the simulator's own queue */
  gint64 duration = g_get_monotonic_time () - flow->started - flow->queued;

  g_assert (self->flow == flow);
  self->flow = NULL;

  if (ok)
    {
      self->n_failures = 0;
      self->retry_not_before = 0;
      if (flow->clears_changed_flag && self->changed->len == 0)
        wpi_sim_items_set_value (self->items, "configuration-changed-flag", "false");
      if (flow->reason == WPI_REASON_CLEAN_UP)
        g_clear_pointer (&self->pending_clean_up, g_free);
    }
  else if (self->started)
    flow_failed (flow);

  _wpi_sim_phone_emit_flow_finished (self, flow->reason, ok, ok ? trail_finish (flow) : detail,
                                     flow->n_messages, duration);

  if (self->started && ok)
    _wpi_sim_phone_flow_bootstrap_done (flow);
  if (self->started)
    {
      if (flow->reboot)
        _wpi_sim_phone_reboot (self, flow->factory_reset);
      else if (ok && flow->software_url != NULL)
        _wpi_sim_phone_download_software (self, flow->software_url,
                                          g_steal_pointer (&flow->software_version));
    }

  flow_free (flow);
  _wpi_sim_phone_operation_end (self);
  _wpi_sim_phone_update_state (self);
  _wpi_sim_phone_kick (self);
}

/* local-changes: the changed flag, and from V2R2 on the changed items themselves (p.40). */
static void
flow_add_local_changes (SimFlow   *flow,
                        GPtrArray *items)
{
  WpiSimPhone *self = flow->phone;

  if (attaches_changes (self))
    {
      g_autoptr(GPtrArray) changed = _wpi_sim_item_array_new ();
      g_autofree char *count = NULL;

      for (guint i = 0; i < self->changed->len; i++)
        {
          WpiItem *item = item_from_key (self, g_ptr_array_index (self->changed, i));

          if (item != NULL)
            g_ptr_array_add (changed, item);
        }
      count = g_strdup_printf ("%u", changed->len);
      flow->clears_changed_flag = TRUE;
      g_ptr_array_add (items, wpi_item_new ("configuration-attached-flag", "true"));
      g_ptr_array_add (items, wpi_item_new ("configuration-attached-number", count));
      g_ptr_array_extend_and_steal (items, g_steal_pointer (&changed));
    }
  /* reported now; back in the list should the flow fail */
  flow->reported = g_steal_pointer (&self->changed);
  self->changed = g_ptr_array_new_with_free_func (g_free);
}

/* The first message of a flow: the basic items and what the reason reports. */
static GPtrArray *
flow_first_items (SimFlow *flow)
{
  static const char * const modules[] = {
    "key-modules", "blf-modules", "slk-modules", "km15-modules",
  };
  WpiSimPhone *self = flow->phone;
  GPtrArray *items = _wpi_sim_item_array_new ();

  if (flow->reason == WPI_REASON_LOCAL_CHANGES)
    wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
  _wpi_sim_phone_add_basic_items (self, items);

  if (flow->reason == WPI_REASON_LOCAL_CHANGES)
    flow_add_local_changes (flow, items);
  if (flow->reason == WPI_REASON_CLEAN_UP)
    g_ptr_array_add (items, wpi_item_new ("cleanup-reason", self->pending_clean_up));
  if (flow->reason == WPI_REASON_INVENTORY_CHANGES)
    for (guint i = 0; i < G_N_ELEMENTS (modules); i++)
      add_stored_or_failed (self, items, modules[i]);
  return items;
}

static void
phone_start_flow (WpiSimPhone *self,
                  WpiReason    reason,
                  const char  *base_uri,
                  gboolean     consumed_solicited)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) endpoint = _wpi_sim_endpoint_for (base_uri, &error);
  g_autoptr(GPtrArray) items = NULL;
  SimFlow *flow;

  if (endpoint == NULL)
    {
      /* a contact-me named an address the phone cannot call */
      _wpi_sim_phone_emit_flow_finished (self, reason, FALSE, error->message, 0, 0);
      return;
    }

  flow = flow_new (self, reason, endpoint);
  flow->consumed_solicited = consumed_solicited;
  self->flow = flow;
  _wpi_sim_phone_operation_begin (self);
  _wpi_sim_phone_update_state (self);
  _wpi_sim_phone_emit_flow_started (self, reason);

  items = flow_first_items (flow);
  _wpi_sim_phone_flow_send_with_items (flow, reason, items);
}

/* What the phone has to report on its own, once a failed flow's retry delay is over. */
static void
phone_next_report (WpiSimPhone *self,
                   const char  *base)
{
  /* the indication waits for the end of the call (p.72) */
  if (self->pending_solicited && !self->in_call)
    {
      _wpi_sim_phone_set_pending_solicited (self, FALSE);
      phone_start_flow (self, WPI_REASON_SOLICITED, base, TRUE);
    }
  else if (self->pending_local_changes)
    {
      self->pending_local_changes = FALSE;
      phone_start_flow (self, WPI_REASON_LOCAL_CHANGES, base, FALSE);
    }
  else if (self->pending_inventory)
    {
      self->pending_inventory = FALSE;
      phone_start_flow (self, WPI_REASON_INVENTORY_CHANGES, base, FALSE);
    }
}

static void
phone_next_flow (WpiSimPhone *self)
{
  g_autofree char *base = NULL;
  gboolean may_retry;

  if (!self->started || self->rebooting || self->flow != NULL)
    return;
  may_retry = g_get_monotonic_time () >= self->retry_not_before;
  base = phone_service_base (self);

  /* nothing before the phone has registered */
  if (self->pending_startup)
    {
      if (may_retry)
        {
          self->pending_startup = FALSE;
          phone_start_flow (self, WPI_REASON_START_UP, base, FALSE);
        }
    }
  /* Flow C: the phone gave up on its PIN */
  else if (self->pending_clean_up != NULL)
    {
      if (may_retry)
        phone_start_flow (self, WPI_REASON_CLEAN_UP, base, FALSE);
    }
  /* the service asked: answered at once, retry delay or not */
  else if (self->pending_contact)
    {
      g_autofree char *target = g_steal_pointer (&self->contact_target);

      self->pending_contact = FALSE;
      phone_start_flow (self, WPI_REASON_SOLICITED, target ?: base, FALSE);
    }
  else if (may_retry)
    phone_next_report (self, base);
}

static gboolean
kick_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->kick_timer = 0;
  phone_next_flow (self);
  return G_SOURCE_REMOVE;
}

/* Deferred to the main loop so that a flow never starts inside another one's callback. */
void
_wpi_sim_phone_kick (WpiSimPhone *self)
{
  if (self->kick_timer == 0 && self->started)
    self->kick_timer = wpi_sim_timer_add (0, kick_cb, self);
}

static gboolean
retry_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->retry_timer = 0;
  phone_next_flow (self);
  return G_SOURCE_REMOVE;
}

static void
phone_schedule_retry (WpiSimPhone *self)
{
  double delay;
  guint factor;

  self->n_failures++;
  factor = MIN (1u << MIN (self->n_failures - 1, 8u), MAX_RETRY_FACTOR);
  delay = self->retry_seconds * factor * (0.75 + 0.5 * g_rand_double (self->rand));
  self->retry_not_before = g_get_monotonic_time () + (gint64) (delay * G_USEC_PER_SEC);
  wpi_sim_timer_clear (&self->retry_timer);
  self->retry_timer = wpi_sim_timer_add (delay, retry_cb, self);
}
