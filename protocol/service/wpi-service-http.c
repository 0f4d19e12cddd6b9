/* wpi-service-http.c: the HTTP endpoints
 *
 * The WPI POST (one phone message per request, handled in one store transaction), the
 * DCMP poll (D14) and the files for deployment; early refusals of oversized bodies (D5).
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wpi-service-private.h"

/* ---- Traffic records ------------------------------------------------- */

/* D28: what item filters need, kept with the summary */
static void
index_items (WpiTrafficRecord *record,
             WpiMessage       *message)
{
  g_clear_pointer (&record->item_index, g_bytes_unref);
  record->item_index = wpi_traffic_item_index_new (message);
}

/* ---- HTTP ------------------------------------------------------------- */

static char *
cookie_session_id (WpiHttpExchange   *x)
{
  const char *header = soup_message_headers_get_list (x->request_headers,
                                                      "Cookie");
  GHashTable *params;
  char *id;

  if (header == NULL)
    return NULL;
  params = soup_header_parse_semi_param_list (header);
  id = g_strdup (g_hash_table_lookup (params, "JSESSIONID"));
  soup_header_free_param_list (params);
  return id;
}

static char *
peer_string (WpiHttpExchange   *x,
             char             **ip_out)
{
  GSocketAddress *address = x->remote;
  g_autofree char *ip = NULL;
  guint port = 0;

  if (G_IS_INET_SOCKET_ADDRESS (address))
    {
      ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));
    }
  else
    ip = g_strdup ("unknown");
  if (ip_out != NULL)
    *ip_out = g_strdup (ip);
  return g_strdup_printf ("%s:%u", ip, port);
}

/* The error text may quote the phone (a codec error names an attribute's value): it is
 * kept and logged escaped, and cut (issue 10 §7); of the body a prefix is kept (§3). */
static void
respond_error (WpiService        *self,
               WpiHttpExchange   *x,
               WpiTrafficRecord  *in,
               guint              status,
               int                error_code,
               const char        *error_text)
{
  in->error_code = error_code;
  in->error_text = _wpi_service_log_escape (error_text, WPI_LOG_LINE_MAX_CHARS / 2);
  /* D28: a message refused outside any flow is an exchange of its own */
  if (in->flow_id == NULL)
    in->flow_id = _wpi_service_new_flow_id ();
  /* a prefix is enough to see what it was; in->size keeps the whole size */
  if (in->body != NULL && g_bytes_get_size (in->body) > WPI_REFUSED_BODY_KEPT_BYTES)
    {
      GBytes *prefix = g_bytes_new_from_bytes (in->body, 0, WPI_REFUSED_BODY_KEPT_BYTES);

      g_bytes_unref (in->body);
      in->body = prefix;
    }
  _wpi_service_log_traffic (self, in);
  wpi_http_exchange_set_status (x, status);
  wpi_http_exchange_set_response (x, x->status, NULL, NULL);
  _wpi_service_log (self, "%s %s: HTTP %u: %s", in->peer, in->mac ? in->mac : "-", status, in->error_text);
}

/* One phone message on its way through the service */
typedef struct {
  WpiService        *self;
  WpiHttpExchange   *x;
  WpiTrafficRecord  *in;
  WpiMessage        *request;
  WpiReason          reason;
  guint              port;
  WpiPhoneMode       port_mode;
  const char        *peer;
  const char        *peer_ip;
  char              *mac;
  char              *firmware;      /* as the phone reports it now, or as stored */
  gboolean           created;       /* the phone is new */
  char              *claim;         /* a known phone's MAC from a new address: what it is */
  char              *claimed_contact_uri;
  /* results */
  WpiMessage        *reply;
  Flow              *flow;
  gboolean           new_flow;
  gboolean           overloaded;    /* D21: turned away; the flow only carries the answer */
  guint              http_status;
  char              *refusal;
  const char        *security_kind; /* a refusal that is a security event: its kind */
} Exchange;

static void
exchange_clear (Exchange *ex)
{
  g_free (ex->mac);
  g_free (ex->firmware);
  g_free (ex->refusal);
  g_free (ex->claimed_contact_uri);
  g_free (ex->claim);
  g_clear_object (&ex->reply);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Exchange, exchange_clear)

/* The message is refused; returns FALSE for the caller to return. */
static gboolean
exchange_refuse (Exchange   *ex,
                 guint       http_status,
                 const char *security_kind,
                 char       *refusal)
{
  ex->http_status = http_status;
  ex->security_kind = security_kind;
  ex->refusal = refusal;
  return FALSE;
}

static gboolean
has_factory_reset_pending (WpiService *self,
                           const char *mac)
{
  g_autoptr(WpiJobRecord) job = _wpi_service_find_in_progress_job (self, mac, WPI_JOB_KIND_FACTORY_RESET);

  return job != NULL;
}

/* D2/D3: a reply-to (or a status, or a clean-up) belongs to an open flow, named by its
 * cookie. D4: the MAC names the phone; within a flow it must stay the same. */
static gboolean
exchange_identify (Exchange *ex)
{
  g_autofree char *session_id = cookie_session_id (ex->x);
  const char *mac_item = wpi_message_get_item_value (ex->request, "mac-addr");
  Flow *flow = session_id != NULL ? g_hash_table_lookup (ex->self->flows, session_id) : NULL;

  if (ex->reason == WPI_REASON_REPLY_TO && flow == NULL)
    return exchange_refuse (ex, SOUP_STATUS_BAD_REQUEST, NULL,
                            g_strdup (session_id ? "reply-to names no open session"
                                                 : "reply-to without a session cookie"));
  if (flow != NULL && ex->reason != WPI_REASON_REPLY_TO && ex->reason != WPI_REASON_STATUS &&
      ex->reason != WPI_REASON_CLEAN_UP)
    flow = NULL;   /* a new flow from the same phone */
  /* D28: the message is part of the flow its cookie names, even when it is refused
   * (a session used by another phone or address shows in that flow) */
  if (flow != NULL)
    {
      g_free (ex->in->flow_id);
      ex->in->flow_id = g_strdup (flow->id);
    }

  if (mac_item == NULL)
    {
      if (flow == NULL)
        return exchange_refuse (ex, SOUP_STATUS_BAD_REQUEST, NULL,
                                g_strdup ("the first message of a flow carries no mac-addr (D4)"));
      ex->mac = g_strdup (flow->mac);
    }
  else
    {
      ex->mac = wpi_mac_normalize (mac_item, NULL);
      if (ex->mac == NULL)
        {
          g_autofree char *shown = _wpi_service_log_escape (mac_item, WPI_LOG_VALUE_MAX_CHARS);

          return exchange_refuse (ex, SOUP_STATUS_BAD_REQUEST, NULL,
                                  g_strdup_printf ("mac-addr \"%s\" is not a MAC address", shown));
        }
      if (flow != NULL && strcmp (ex->mac, flow->mac) != 0)
        return exchange_refuse (ex, SOUP_STATUS_FORBIDDEN, "session-mac-mismatch",
                                g_strdup_printf ("session of %s used by a message from %s",
                                                 flow->mac, ex->mac));
    }
  /* D22: a flow is bound to the address it started from; its cookie alone is not enough */
  if (flow != NULL && g_strcmp0 (flow->peer_ip, ex->peer_ip) != 0)
    {
      return exchange_refuse (ex, SOUP_STATUS_FORBIDDEN, "session-from-other-address",
                              g_strdup_printf ("session of %s opened from %s used from %s (D22)",
                                               flow->mac, flow->peer_ip, ex->peer_ip));
    }
  ex->flow = flow;
  ex->in->mac = g_strdup (ex->mac);
  return TRUE;
}

/* D6: a phone in Secure Mode never talks on the default port, except the start-up after a
 * factory reset the console itself sent (D15). D17: on the secure port the client
 * certificate must name this phone. */
static gboolean
exchange_admit (Exchange             *ex,
                const WpiPhoneRecord *known)
{
  WpiService *self = ex->self;
  GTlsCertificate *peer_cert;
  g_autoptr(GError) cert_error = NULL;

  if (ex->port_mode == WPI_PHONE_MODE_DEFAULT)
    {
      if (known != NULL && known->mode == WPI_PHONE_MODE_SECURE &&
          !(ex->reason == WPI_REASON_START_UP && has_factory_reset_pending (self, ex->mac)))
        return exchange_refuse (ex, SOUP_STATUS_FORBIDDEN, "secure-phone-on-default-port",
                                g_strdup_printf ("%s is in Secure Mode but contacted the default port",
                                                 ex->mac));
      return TRUE;
    }

  peer_cert = _wpi_service_lookup_peer_certificate (self, ex->peer);
  if (peer_cert != NULL && wpi_pki_verify_peer (self->pki, peer_cert, ex->mac, NULL, &cert_error))
    return TRUE;
  return exchange_refuse (ex, SOUP_STATUS_FORBIDDEN, "client-certificate",
                          g_strdup_printf ("client certificate refused for %s: %s", ex->mac,
                                           cert_error ? cert_error->message : "no certificate"));
}

/* The phone's identity as it reports it (D4: e164 is a changeable label) */
static gboolean
exchange_store_phone (Exchange              *ex,
                      const WpiPhoneRecord  *known,
                      GError               **error)
{
  g_autoptr(WpiPhoneRecord) update = wpi_phone_record_new (ex->mac);
  WpiPhoneFields fields = WPI_PHONE_FIELD_LAST_CONTACT | WPI_PHONE_FIELD_IP | WPI_PHONE_FIELD_STATE;

  update->ip = g_strdup (ex->peer_ip);
  update->last_contact_us = g_get_real_time ();
  update->state = WPI_PHONE_STATE_IN_SESSION;
  /* trimmed: a contact-me-uri with a line break around it must still reach the phone */
#define TAKE(item_name, field, flag) \
  G_STMT_START { char *v = _wpi_service_trimmed (wpi_message_get_item_value (ex->request, item_name)); \
    if (v != NULL && *v != '\0') { update->field = v; fields |= flag; } else g_free (v); } G_STMT_END
  TAKE ("e164", e164, WPI_PHONE_FIELD_E164);
  TAKE ("device-type", device_type, WPI_PHONE_FIELD_DEVICE_TYPE);
  TAKE ("software-version", firmware, WPI_PHONE_FIELD_FIRMWARE);
  TAKE ("contact-me-uri", contact_me_uri, WPI_PHONE_FIELD_CONTACT_ME_URI);
#undef TAKE
  /* A new flow in Default Mode from another address than the known phone's is a claim on
   * its MAC: a phone that moved, or another device. Until the claim completes a flow, the
   * phone keeps its address and contact-me URI (contact-me goes there, D19), and the claim
   * is a security event (issue 10). */
  if (known != NULL && known->ip != NULL && g_strcmp0 (known->ip, ex->peer_ip) != 0 &&
      ex->flow == NULL && ex->port_mode == WPI_PHONE_MODE_DEFAULT)
    {
      ex->claim = g_strdup_printf ("%s, known at %s, writes from %s", ex->mac, known->ip, ex->peer_ip);
      ex->claimed_contact_uri = g_steal_pointer (&update->contact_me_uri);
      fields &= ~(WPI_PHONE_FIELD_IP | WPI_PHONE_FIELD_CONTACT_ME_URI);
    }
  if (!wpi_store_phone_upsert (ex->self->store, update, fields, &ex->created, error))
    return FALSE;
  ex->firmware = g_strdup (update->firmware ? update->firmware : known ? known->firmware : NULL);
  return TRUE;
}

/* The flow the message belongs to, or a new one. The phone called in: no contact-me is
 * on its way any more. */
static void
exchange_open_flow (Exchange *ex)
{
  WpiService *self = ex->self;

  if (ex->flow == NULL)
    {
      ex->flow = _wpi_service_flow_new (self, ex->mac, ex->peer, ex->peer_ip, ex->port, ex->port_mode,
                                        ex->reason);
      ex->new_flow = TRUE;
    }
  if (ex->claim != NULL)
    {
      ex->flow->claim = TRUE;
      g_free (ex->flow->claimed_contact_uri);
      ex->flow->claimed_contact_uri = g_strdup (ex->claimed_contact_uri);
    }
  ex->flow->last_activity = g_get_monotonic_time ();
  if (wpi_message_has_max_items (ex->request))
    ex->flow->max_items = wpi_message_get_max_items (ex->request);
  _wpi_service_flow_set_firmware (ex->flow, ex->firmware);
  g_hash_table_remove (self->contacting, ex->mac);
  g_hash_table_remove (self->unanswered, ex->mac);
}

/* D21: a new flow beyond max-flows is answered CleanUp overload before anything of it is
 * stored, so the phone comes back later as it was (a new one is registered then). The
 * phone did call: no contact-me is on its way any more; the next goes after the back-off. */
static gboolean
exchange_turn_away (Exchange *ex)
{
  WpiService *self = ex->self;
  gint64 waited;

  if (ex->flow != NULL)
    return FALSE;
  /* only a connection's first request waited for its handshake */
  waited = ex->x->sequence == 1 ? _wpi_service_get_overload_wait (ex->x->connection) : 0;
  ex->reply = _wpi_service_overload_reply (self, waited, ex->mac, ex->request);
  if (ex->reply == NULL)
    return FALSE;
  ex->flow = _wpi_service_flow_new (self, ex->mac, ex->peer, ex->peer_ip, ex->port, ex->port_mode,
                                    ex->reason);
  ex->new_flow = TRUE;
  ex->overloaded = TRUE;
  /* D28: the turned-away message and its CleanUp are one flow */
  g_free (ex->in->flow_id);
  ex->in->flow_id = g_strdup (ex->flow->id);
  _wpi_service_log_traffic (self, ex->in);
  g_hash_table_remove (self->contacting, ex->mac);
  g_hash_table_remove (self->unanswered, ex->mac);
  return TRUE;
}

/* D13: fragments are collected and applied once the final one is here. The items to act
 * on, or NULL while more are to come. */
static GPtrArray *
exchange_collect_fragments (Exchange *ex)
{
  Flow *flow = ex->flow;
  g_autoptr(GPtrArray) items = _wpi_service_message_items (ex->request);

  if (wpi_message_get_fragment (ex->request) == WPI_FRAGMENT_NEXT)
    {
      if (flow->fragments == NULL)
        flow->fragments = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);
      g_ptr_array_extend_and_steal (flow->fragments, g_steal_pointer (&items));
      return NULL;
    }
  if (flow->fragments != NULL)
    {
      g_ptr_array_extend_and_steal (flow->fragments, g_steal_pointer (&items));
      return g_steal_pointer (&flow->fragments);
    }
  return g_steal_pointer (&items);
}

/* The engine's answer to a complete message */
static WpiMessage *
exchange_dispatch (Exchange   *ex,
                   GPtrArray  *items,
                   gint64      traffic_id,
                   GError    **error)
{
  switch (ex->reason)
    {
    case WPI_REASON_REPLY_TO:
      return _wpi_service_flow_on_reply (ex->self, ex->flow, ex->request, items, traffic_id, error);
    case WPI_REASON_STATUS:
      if (!ex->new_flow)
        return _wpi_service_flow_on_status (ex->self, ex->flow, ex->request, items, traffic_id, error);
      break;
    case WPI_REASON_CLEAN_UP:
      if (!ex->new_flow)
        return _wpi_service_flow_on_clean_up (ex->self, ex->flow, ex->request, error);
      break;
    case WPI_REASON_NONE:
    case WPI_REASON_START_UP:
    case WPI_REASON_LOCAL_CHANGES:
    case WPI_REASON_INVENTORY_CHANGES:
    case WPI_REASON_SOLICITED:
    case WPI_REASON_OTHER:
      break;
    }
  return _wpi_service_flow_on_opening (ex->self, ex->flow, ex->request, items, ex->created, traffic_id,
                                       error);
}

/* Identity and Secure Mode checks, then the engine; runs inside one store transaction.
 * A refused message leaves ex->reply NULL and ex->refusal set, and changes nothing. */
static gboolean
exchange_run (WpiStore  *store,
              gpointer   user_data,
              GError   **error)
{
  Exchange *ex = user_data;
  g_autoptr(WpiPhoneRecord) known = NULL;
  g_autoptr(GPtrArray) items = NULL;
  gint64 traffic_id;

  ex->reason = wpi_message_get_reason (ex->request);
  if (!exchange_identify (ex))
    return TRUE;
  known = wpi_store_phone_get (store, ex->mac, NULL);
  if (!exchange_admit (ex, known))
    return TRUE;
  if (exchange_turn_away (ex))
    return TRUE;
  if (!exchange_store_phone (ex, known, error))
    return FALSE;

  /* the flow first: the phone's message is logged with it (D28) */
  exchange_open_flow (ex);
  g_free (ex->in->flow_id);
  ex->in->flow_id = g_strdup (ex->flow->id);
  traffic_id = _wpi_service_log_traffic (ex->self, ex->in);
  items = exchange_collect_fragments (ex);
  if (items == NULL)
    ex->reply = _wpi_service_reply_new (ex->request, WPI_ACTION_GET_NEXT_FRAGMENT);
  else
    ex->reply = exchange_dispatch (ex, items, traffic_id, error);
  return ex->reply != NULL;
}

/* The traffic log keeps what went out, except the bootstrap secrets: the PKCS#12 with
 * the phone's private key, and the PIN bundle (which a copy of the log would expose to
 * an offline PIN search). They stay in the job, in the 0600 store. */
static GBytes *
loggable_body (WpiMessage *reply,
               const char *xml,
               gsize       length,
               WpiMessage **logged)
{
  g_autoptr(WpiMessage) copy = NULL;
  gboolean secret = FALSE;
  char *redacted;
  gsize redacted_length = 0;

  for (guint i = 0; i < wpi_message_get_n_items (reply) && !secret; i++)
    {
      const char *name = wpi_message_get_item (reply, i)->name;
      secret = strcmp (name, "secure-mode-data") == 0 || strcmp (name, "dls-client-certificate") == 0;
    }
  if (!secret)
    {
      *logged = g_object_ref (reply);
      return g_bytes_new (xml, length);
    }

  copy = wpi_message_new (WPI_MESSAGE_KIND_DLS, wpi_message_get_nonce (reply));
  wpi_message_set_action_string (copy, wpi_message_get_action_string (reply));
  for (guint i = 0; i < wpi_message_get_n_items (reply); i++)
    {
      WpiItem *item = wpi_item_copy (wpi_message_get_item (reply, i));

      if (strcmp (item->name, "secure-mode-data") == 0 || strcmp (item->name, "dls-client-certificate") == 0)
        {
          g_autofree char *marker = g_strdup_printf ("(redacted in the log: %zu bytes)", strlen (item->value));
          g_free (item->value);
          item->value = g_steal_pointer (&marker);
        }
      wpi_message_take_item (copy, item);
    }
  redacted = wpi_message_serialize (copy, &redacted_length);
  *logged = g_steal_pointer (&copy);
  return g_bytes_new_take (redacted, redacted_length);
}

static WpiTrafficRecord *
traffic_in_new (WpiHttpExchange   *x,
                GBytes            *body,
                guint              port,
                WpiPhoneMode       port_mode,
                const char        *peer)
{
  WpiTrafficRecord *in = wpi_traffic_record_new ();

  in->time_us = g_get_real_time ();
  in->direction = WPI_TRAFFIC_DIRECTION_IN;
  in->port = port;
  in->mode = port_mode;
  in->peer = g_strdup (peer);
  in->headers = wpi_http_exchange_format_request_head (x);
  in->body = g_bytes_ref (body);
  in->size = g_bytes_get_size (body);
  return in;
}

/* A message that is no phone's is refused (D5: 400, empty body, nothing changes but the
 * traffic log). */
static WpiMessage *
parse_request (WpiService        *self,
               WpiHttpExchange   *x,
               WpiTrafficRecord  *in,
               GBytes            *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) request = wpi_message_parse (g_bytes_get_data (body, NULL),
                                                     g_bytes_get_size (body), &error);

  if (request == NULL)
    {
      respond_error (self, x, in, error->code == WPI_CODEC_ERROR_TOO_LARGE
                                    ? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE : SOUP_STATUS_BAD_REQUEST,
                     error->code, error->message);
      return NULL;
    }
  wpi_traffic_record_set_summary (in, request);
  index_items (in, request);
  if (wpi_message_get_kind (request) != WPI_MESSAGE_KIND_WORKPOINT)
    {
      respond_error (self, x, in, SOUP_STATUS_BAD_REQUEST, WPI_CODEC_ERROR_WRONG_ROOT,
                     "1:1: a phone sends WorkpointMessage, not DLSMessage");
      return NULL;
    }
  return g_steal_pointer (&request);
}

/* The answer, in the traffic log as it went out (but for the secrets) */
static void
respond_reply (WpiService        *self,
               WpiHttpExchange   *x,
               Exchange          *ex)
{
  SoupMessageHeaders *headers = x->response_headers;
  g_autoptr(WpiTrafficRecord) out = wpi_traffic_record_new ();
  g_autoptr(WpiMessage) logged = NULL;
  gsize xml_length = 0;
  char *xml = wpi_message_serialize (ex->reply, &xml_length);

  if (ex->new_flow)
    {
      g_autofree char *cookie = g_strdup_printf ("JSESSIONID=%s; Path=/DeploymentService; Secure; HttpOnly",
                                                 ex->flow->id);
      soup_message_headers_append (headers, "Set-Cookie", cookie);
    }
  wpi_http_exchange_set_response (x, SOUP_STATUS_OK, "text/xml; charset=utf-8",
                                  g_bytes_new_take (xml, xml_length));

  out->time_us = g_get_real_time ();
  out->direction = WPI_TRAFFIC_DIRECTION_OUT;
  out->port = ex->port;
  out->mode = ex->port_mode;
  out->peer = g_strdup (ex->peer);
  out->mac = g_strdup (ex->flow->mac);
  out->flow_id = g_strdup (ex->flow->id);
  wpi_traffic_record_set_summary (out, ex->reply);
  out->headers = wpi_http_exchange_format_response_head (x);
  out->size = xml_length;
  out->body = loggable_body (ex->reply, xml, xml_length, &logged);
  index_items (out, logged);   /* as logged: without the secrets */
  _wpi_service_log_traffic (self, out);
}

/* The claim on a MAC completed a flow: the phone is where it wrote from now */
static void
claim_completed (WpiService *self,
                 Flow       *flow)
{
  g_autoptr(WpiPhoneRecord) update = wpi_phone_record_new (flow->mac);
  WpiPhoneFields fields = WPI_PHONE_FIELD_IP;
  g_autoptr(GError) error = NULL;

  update->ip = g_strdup (flow->peer_ip);
  if (flow->claimed_contact_uri != NULL)
    {
      update->contact_me_uri = g_strdup (flow->claimed_contact_uri);
      fields |= WPI_PHONE_FIELD_CONTACT_ME_URI;
    }
  if (!wpi_store_phone_upsert (self->store, update, fields, NULL, &error))
    _wpi_service_log (self, "%s: the address it moved to is not stored: %s", flow->mac, error->message);
  else
    _wpi_service_log (self, "%s now writes from %s", flow->mac, flow->peer_ip);
}

/* A flow that ended (a CleanUp, or a restart the phone does not answer) is closed. */
static void
flow_after_reply (WpiService *self,
                  Flow       *flow,
                  WpiMessage *reply,
                  const char *peer)
{
  g_autofree char *mac = NULL;
  WpiReason opened_by = flow->opened_by;
  gboolean busy = flow->busy;

  g_set_object (&flow->last_sent, reply);
  if (flow->step != STEP_CLEAN_UP && wpi_message_get_action (reply) != WPI_ACTION_RESTART)
    {
      _wpi_service_refresh_phone (self, flow->mac);
      return;
    }

  mac = g_strdup (flow->mac);
  if (flow->claim && flow->step == STEP_CLEAN_UP)
    claim_completed (self, flow);
  _wpi_service_flow_close (self, flow);
  _wpi_service_set_phone_state (self, mac, busy ? WPI_PHONE_STATE_BUSY : WPI_PHONE_STATE_IDLE);
  _wpi_service_refresh_phone (self, mac);
  _wpi_service_log (self, "flow %s %s from %s ended%s", wpi_reason_to_string (opened_by) ?: "?", mac,
                    peer, busy ? " (phone busy)" : "");
  g_signal_emit (self, _wpi_service_signals[SIGNAL_FLOW_FINISHED], 0, mac,
                 wpi_reason_to_string (opened_by), busy ? "busy" : "ok");
}

static void
handle_wpi_post (WpiService        *self,
                 WpiHttpExchange   *x,
                 guint              port,
                 WpiPhoneMode       port_mode)
{
  g_autoptr(GBytes) body = g_bytes_ref (x->request_body);
  g_autofree char *peer_ip = NULL;
  g_autofree char *peer = peer_string (x, &peer_ip);
  g_autoptr(WpiTrafficRecord) in = traffic_in_new (x, body, port, port_mode, peer);
  g_autoptr(WpiMessage) request = parse_request (self, x, in, body);
  g_autoptr(GError) error = NULL;
  g_auto(Exchange) ex = { 0 };

  if (request == NULL)
    return;
  ex.self = self;
  ex.x = x;
  ex.in = in;
  ex.request = request;
  ex.port = port;
  ex.port_mode = port_mode;
  ex.peer = peer;
  ex.peer_ip = peer_ip;

  if (!wpi_store_run_in_transaction (self->store, exchange_run, &ex, &error))
    {
      /* Nothing of this message was stored; the phone may try again. */
      if (ex.new_flow && ex.flow != NULL)
        _wpi_service_flow_close (self, ex.flow);
      respond_error (self, x, in, SOUP_STATUS_INTERNAL_SERVER_ERROR, -1, error->message);
      return;
    }
  if (ex.reply == NULL)
    {
      if (ex.security_kind != NULL)
        _wpi_service_security_event (self, peer, ex.mac, ex.security_kind, ex.refusal);
      respond_error (self, x, in, ex.http_status, -1, ex.refusal);
      return;
    }
  /* after the transaction: the event is stored whether or not the flow goes on */
  if (ex.claim != NULL)
    _wpi_service_security_event (self, peer, ex.mac, "mac-claimed-from-other-address", ex.claim);
  respond_reply (self, x, &ex);
  if (ex.overloaded)
    _wpi_service_flow_close (self, ex.flow);
  else
    flow_after_reply (self, ex.flow, ex.reply, peer);
}

/* Whether a DCMP poll for phone is the phone's own (issue 10 §5): in Secure Mode, with its
 * certificate on the secure port; else from the address it last wrote from (the store's
 * ip). Anyone else could otherwise silence its contact-mes for 10 minutes, and learn from
 * 202 whether jobs wait for it. */
static gboolean
poll_is_the_phones (WpiService           *self,
                    WpiHttpExchange      *x,
                    const WpiPhoneRecord *phone,
                    const char           *peer,
                    const char           *peer_ip)
{
  g_autoptr(GInetAddress) known = NULL;
  g_autoptr(GInetAddress) from = NULL;
  GTlsCertificate *certificate;

  if (phone == NULL)
    return FALSE;
  if (x->secure)
    {
      certificate = _wpi_service_lookup_peer_certificate (self, peer);
      return phone->mode == WPI_PHONE_MODE_SECURE && certificate != NULL &&
             wpi_pki_verify_peer (self->pki, certificate, phone->mac, NULL, NULL);
    }
  known = phone->ip != NULL ? g_inet_address_new_from_string (phone->ip) : NULL;
  from = g_inet_address_new_from_string (peer_ip);
  return known != NULL && from != NULL && g_inet_address_equal (known, from);
}

static void
handle_poll (WpiService        *self,
             WpiHttpExchange   *x)
{
  GHashTable *query = soup_form_decode (x->query ?: "");
  const char *device = g_hash_table_lookup (query, "device-id");
  g_autofree char *mac = device ? wpi_mac_normalize (device, NULL) : NULL;
  g_autofree char *peer_ip = NULL;
  g_autofree char *peer = peer_string (x, &peer_ip);
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  gboolean waiting = FALSE;

  g_hash_table_unref (query);
  if (mac == NULL)
    {
      wpi_http_exchange_set_status (x, SOUP_STATUS_BAD_REQUEST);
      return;
    }
  phone = wpi_store_phone_get (self->store, mac, NULL);
  /* D6: a phone in Secure Mode never talks on the default port */
  if (phone != NULL && phone->mode == WPI_PHONE_MODE_SECURE && !x->secure)
    {
      _wpi_service_security_event (self, peer, mac, "secure-phone-on-default-port",
                                   "a DCMP poll for a phone in Secure Mode on the default port");
      wpi_http_exchange_set_status (x, SOUP_STATUS_FORBIDDEN);
      return;
    }
  if (!poll_is_the_phones (self, x, phone, peer, peer_ip))
    {
      _wpi_service_log (self, "%s %s: DCMP poll ignored: not from the phone", peer, mac);
      wpi_http_exchange_set_status (x, SOUP_STATUS_OK);
      return;
    }

  /* D14: a polling phone needs no contact-me */
  g_hash_table_insert (self->last_poll, g_strdup (mac), GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
  pending = wpi_store_job_list_pending (self->store, mac, NULL);
  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);

      /* a bootstrap waits for its bundle without the phone (wpi-service-secure.c) */
      if (job->state != WPI_JOB_STATE_IN_PROGRESS && !_wpi_service_bootstrap_waits (self, job))
        waiting = TRUE;
    }

  wpi_http_exchange_set_status (x, waiting ? SOUP_STATUS_ACCEPTED : SOUP_STATUS_OK);
  wpi_http_exchange_set_response (x, x->status, NULL, NULL);
}

/* The file name inside files/, opened without following a link at either step: a
 * symbolic link put there (to pki/ca.pem, the store, /etc/passwd) is not served, nor
 * is files/ itself when it is a link (issue 10 §6). -1 when there is no such file. */
static int
open_served_file (WpiService *self,
                  const char *name)
{
  g_autofree char *files_dir = g_build_filename (self->data_dir, "files", NULL);
  int dir_fd = open (files_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int fd;

  if (dir_fd < 0)
    return -1;
  /* O_NONBLOCK: a FIFO put there must not stall the service; fstat() refuses it next */
  fd = openat (dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  close (dir_fd);
  return fd;
}

/* Files for deployment, from DATA_DIR/files (issue 3: no separate file server needed):
 * regular files only, really inside files/ (issue 10 §6). */
static void
handle_file (WpiService        *self,
             WpiHttpExchange   *x,
             const char        *path)
{
  const char *name = path + strlen (WPI_FILES_PATH);
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  struct stat info;
  int fd;

  if (*name == '\0' || strchr (name, '/') != NULL || strcmp (name, "..") == 0 || name[0] == '.')
    {
      wpi_http_exchange_set_status (x, SOUP_STATUS_NOT_FOUND);
      return;
    }
  fd = open_served_file (self, name);
  if (fd >= 0 && fstat (fd, &info) == 0 && S_ISREG (info.st_mode))
    mapped = g_mapped_file_new_from_fd (fd, FALSE, NULL);
  if (fd >= 0)
    close (fd);   /* the mapping keeps what it needs */
  if (mapped == NULL)
    {
      wpi_http_exchange_set_status (x, SOUP_STATUS_NOT_FOUND);
      return;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  wpi_http_exchange_set_response (x, SOUP_STATUS_OK, "application/octet-stream", bytes);
}

void
_wpi_service_http_handler (WpiHttpExchange *x,
                           gpointer         user_data)
{
  WpiService *self = user_data;
  const char *method = x->method;
  const char *path = x->path;
  gboolean secure = x->secure;
  guint port = secure ? self->bound_secure_port : self->bound_port;

  /* D18: a peer with more connections open than a phone has keeps none of them open
   * (what one address holds stays bounded) */
  if (_wpi_service_connection_count (self, x->connection) > WPI_BUSY_PEER_CONNECTIONS)
    x->close = TRUE;
  if (strcmp (path, WPI_SERVICE_PATH) == 0)
    {
      if (method != SOUP_METHOD_POST)
        {
          wpi_http_exchange_set_status (x, SOUP_STATUS_METHOD_NOT_ALLOWED);
          soup_message_headers_replace (x->response_headers, "Allow", "POST");
          return;
        }
      handle_wpi_post (self, x, port, secure ? WPI_PHONE_MODE_SECURE : WPI_PHONE_MODE_DEFAULT);
      return;
    }
  /* D14 names the default port; a phone in Secure Mode polls where it talks, the secure
   * port (its certificate is checked by the TLS layer there) */
  if (strcmp (path, WPI_POLL_PATH) == 0)
    {
      if (method != SOUP_METHOD_GET)
        wpi_http_exchange_set_status (x, SOUP_STATUS_METHOD_NOT_ALLOWED);
      else
        handle_poll (self, x);
      return;
    }
  if (g_str_has_prefix (path, WPI_FILES_PATH) && (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD))
    {
      handle_file (self, x, path);
      return;
    }
  /* D1 */
  wpi_http_exchange_set_status (x, SOUP_STATUS_NOT_FOUND);
}

/* An early refusal is in the traffic log like every other bad message (D5), with the
 * headers: the body is never kept. The connection closes after the answer (D18): the
 * client may be sending a body it was not asked for. */
static void
refuse_unread (WpiService        *self,
               WpiHttpExchange   *x,
               guint              status,
               goffset            length,
               int                error_code,
               char              *reason)
{
  g_autoptr(WpiTrafficRecord) in = wpi_traffic_record_new ();
  gboolean secure = x->secure;

  in->time_us = g_get_real_time ();
  in->direction = WPI_TRAFFIC_DIRECTION_IN;
  in->port = secure ? self->bound_secure_port : self->bound_port;
  in->mode = secure ? WPI_PHONE_MODE_SECURE : WPI_PHONE_MODE_DEFAULT;
  in->peer = peer_string (x, NULL);
  in->headers = wpi_http_exchange_format_request_head (x);
  in->size = MAX (length, 0);
  in->error_code = error_code;
  in->error_text = reason;
  in->flow_id = _wpi_service_new_flow_id ();   /* an exchange of its own (D28) */
  _wpi_service_log_traffic (self, in);
  _wpi_service_log (self, "%s -: HTTP %u: %s", in->peer, status, in->error_text);
  wpi_http_exchange_set_status (x, status);
}

/* D5: refuse an oversized body from its Content-Length, before reading it; a chunked
 * body has no length to check up front and would have to be read to learn it, so it
 * is refused as such (phones send a Content-Length; protocol.md R5). D18: a POST without
 * a Content-Length, or any request with one that is not a decimal number, is a 400. */
void
_wpi_service_http_early_handler (WpiHttpExchange *x,
                                 gpointer         user_data)
{
  WpiService *self = user_data;
  SoupMessageHeaders *headers = x->request_headers;
  const char *length_text = soup_message_headers_get_list (headers, "Content-Length");
  const char *transfer = soup_message_headers_get_list (headers, "Transfer-Encoding");
  goffset length = x->content_length;
  /* the client's header values, as a log line may show them (issue 10 §7) */
  g_autofree char *shown_transfer = transfer ? _wpi_service_log_escape (transfer, WPI_LOG_VALUE_MAX_CHARS)
                                             : NULL;
  g_autofree char *shown_length = length_text ? _wpi_service_log_escape (length_text, WPI_LOG_VALUE_MAX_CHARS)
                                              : NULL;

  if (transfer != NULL && g_ascii_strcasecmp (transfer, "chunked") != 0)
    refuse_unread (self, x, SOUP_STATUS_NOT_IMPLEMENTED, -1, -1,
                   g_strdup_printf ("a Transfer-Encoding of \"%s\", which the service does not read",
                                    shown_transfer));
  else if (transfer != NULL)
    refuse_unread (self, x, SOUP_STATUS_LENGTH_REQUIRED, -1, WPI_CODEC_ERROR_TOO_LARGE,
                   g_strdup_printf ("a chunked body, whose size is not known before it is read "
                                    "(the limit is %d bytes)", WPI_MAX_BODY_BYTES));
  else if (length < 0 && (length_text != NULL || x->method == SOUP_METHOD_POST))
    refuse_unread (self, x, SOUP_STATUS_BAD_REQUEST, -1, -1,
                   length_text == NULL ? g_strdup ("a POST without a Content-Length")
                                       : g_strdup_printf ("a Content-Length of \"%s\", not a number of bytes",
                                                          shown_length));
  else if (length > WPI_MAX_BODY_BYTES)
    refuse_unread (self, x, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, length, WPI_CODEC_ERROR_TOO_LARGE,
                   g_strdup_printf ("a body of %" G_GOFFSET_FORMAT " bytes is over the limit of %d",
                                    length, WPI_MAX_BODY_BYTES));
}
