/* wpi-service-http.c: the HTTP endpoints
 *
 * The WPI POST (one phone message per request, handled in one store transaction), the
 * DCMP poll (D14) and the files for deployment; early refusals of oversized bodies (D5).
 */
#include "config.h"

#include <string.h>

#include "wpi-service-private.h"

/* ---- Traffic records ------------------------------------------------- */

static void
append_header (const char *name,
               const char *value,
               gpointer    user_data)
{
  g_string_append_printf (user_data, "%s: %s\r\n", name, value);
}

static GBytes *
request_head (SoupServerMessage *msg)
{
  GString *head = g_string_new (NULL);
  g_autofree char *path = g_uri_to_string_partial (soup_server_message_get_uri (msg),
                                                   G_URI_HIDE_PASSWORD);
  GUri *uri = soup_server_message_get_uri (msg);
  const char *query = g_uri_get_query (uri);

  g_free (g_steal_pointer (&path));
  g_string_append_printf (head, "%s %s%s%s HTTP/1.%d\r\n", soup_server_message_get_method (msg),
                          g_uri_get_path (uri), query ? "?" : "", query ? query : "",
                          soup_server_message_get_http_version (msg) == SOUP_HTTP_1_0 ? 0 : 1);
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), append_header, head);
  return g_string_free_to_bytes (head);
}

static GBytes *
response_head (SoupServerMessage *msg,
               guint              status)
{
  GString *head = g_string_new (NULL);

  g_string_append_printf (head, "HTTP/1.1 %u %s\r\n", status, soup_status_get_phrase (status));
  soup_message_headers_foreach (soup_server_message_get_response_headers (msg), append_header, head);
  return g_string_free_to_bytes (head);
}

static void
summarize (WpiTrafficRecord *record,
           WpiMessage       *message)
{
  record->root = g_strdup (wpi_message_kind_to_string (wpi_message_get_kind (message)));
  record->nonce = g_strdup (wpi_message_get_nonce (message));
  record->reason = g_strdup (wpi_message_get_reason_string (message));
  record->action = g_strdup (wpi_message_get_action_string (message));
  record->status = g_strdup (wpi_message_get_status_string (message));
  record->fragment = g_strdup (wpi_message_get_fragment_string (message));
  record->item_count = wpi_message_get_n_items (message);
}

/* ---- HTTP ------------------------------------------------------------- */

static char *
cookie_session_id (SoupServerMessage *msg)
{
  const char *header = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
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
peer_string (SoupServerMessage *msg,
             char             **ip_out)
{
  GSocketAddress *address = soup_server_message_get_remote_address (msg);
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

static void
respond_error (WpiService        *self,
               SoupServerMessage *msg,
               WpiTrafficRecord  *in,
               guint              status,
               int                error_code,
               const char        *error_text)
{
  in->error_code = error_code;
  in->error_text = g_strdup (error_text);
  _wpi_service_log_traffic (self, in);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
  _wpi_service_log (self, "%s %s: HTTP %u: %s", in->peer, in->mac ? in->mac : "-", status, error_text);
}

typedef struct {
  WpiService        *self;
  SoupServerMessage *msg;
  WpiTrafficRecord  *in;
  WpiMessage        *request;
  guint              port;
  WpiPhoneMode       port_mode;
  char              *peer;
  char              *peer_ip;
  /* results */
  WpiMessage        *reply;
  Flow              *flow;
  gboolean           new_flow;
  guint              http_status;
  char              *refusal;
  gboolean           security;
} Exchange;

static gboolean
has_factory_reset_pending (WpiService *self,
                           const char *mac)
{
  g_autoptr(WpiJobRecord) job = _wpi_service_find_in_progress_job (self, mac, WPI_JOB_KIND_FACTORY_RESET);

  return job != NULL;
}

/* Identity and Secure Mode checks, then the engine; runs inside one store transaction. */
static gboolean
exchange_run (WpiStore  *store,
              gpointer   user_data,
              GError   **error)
{
  Exchange *ex = user_data;
  WpiService *self = ex->self;
  WpiReason reason = wpi_message_get_reason (ex->request);
  g_autofree char *session_id = cookie_session_id (ex->msg);
  g_autoptr(WpiPhoneRecord) known = NULL;
  g_autoptr(WpiPhoneRecord) update = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *mac = NULL;
  const char *mac_item;
  Flow *flow = session_id != NULL ? g_hash_table_lookup (self->flows, session_id) : NULL;
  gboolean created = FALSE;
  WpiPhoneFields fields = WPI_PHONE_FIELD_LAST_CONTACT | WPI_PHONE_FIELD_IP | WPI_PHONE_FIELD_STATE;
  gint64 traffic_id;

  /* D2/D3: a reply-to (or a status) belongs to an open flow, named by its cookie */
  if (reason == WPI_REASON_REPLY_TO && flow == NULL)
    {
      ex->http_status = SOUP_STATUS_BAD_REQUEST;
      ex->refusal = g_strdup (session_id ? "reply-to names no open session"
                                         : "reply-to without a session cookie");
      return TRUE;
    }
  if (flow != NULL && reason != WPI_REASON_REPLY_TO && reason != WPI_REASON_STATUS &&
      reason != WPI_REASON_CLEAN_UP)
    flow = NULL;   /* a new flow from the same phone */

  mac_item = wpi_message_get_item_value (ex->request, "mac-addr");
  if (mac_item != NULL)
    {
      mac = wpi_mac_normalize (mac_item, NULL);
      if (mac == NULL)
        {
          ex->http_status = SOUP_STATUS_BAD_REQUEST;
          ex->refusal = g_strdup_printf ("mac-addr \"%s\" is not a MAC address", mac_item);
          return TRUE;
        }
      if (flow != NULL && strcmp (mac, flow->mac) != 0)
        {
          ex->http_status = SOUP_STATUS_FORBIDDEN;
          ex->security = TRUE;
          ex->refusal = g_strdup_printf ("session of %s used by a message from %s", flow->mac, mac);
          return TRUE;
        }
    }
  else if (flow != NULL)
    mac = g_strdup (flow->mac);
  else
    {
      ex->http_status = SOUP_STATUS_BAD_REQUEST;
      ex->refusal = g_strdup ("the first message of a flow carries no mac-addr (D4)");
      return TRUE;
    }
  ex->in->mac = g_strdup (mac);

  known = wpi_store_phone_get (self->store, mac, NULL);

  /* D6: a phone in Secure Mode never talks on the default port, except the start-up
   * after a factory reset the console itself sent (D15) */
  if (known != NULL && known->mode == WPI_PHONE_MODE_SECURE && ex->port_mode == WPI_PHONE_MODE_DEFAULT &&
      !(reason == WPI_REASON_START_UP && has_factory_reset_pending (self, mac)))
    {
      ex->http_status = SOUP_STATUS_FORBIDDEN;
      ex->security = TRUE;
      ex->refusal = g_strdup_printf ("%s is in Secure Mode but contacted the default port", mac);
      return TRUE;
    }
  /* D17: on the secure port the client certificate must name this phone */
  if (ex->port_mode == WPI_PHONE_MODE_SECURE)
    {
      GTlsCertificate *peer_cert = _wpi_service_lookup_peer_certificate (self, ex->peer);
      g_autoptr(GError) cert_error = NULL;

      if (peer_cert == NULL ||
          !wpi_pki_verify_peer (self->pki, peer_cert, mac, NULL, &cert_error))
        {
          ex->http_status = SOUP_STATUS_FORBIDDEN;
          ex->security = TRUE;
          ex->refusal = g_strdup_printf ("client certificate refused for %s: %s", mac,
                                         cert_error ? cert_error->message : "no certificate");
          return TRUE;
        }
    }

  /* The phone's identity as it reports it (D4: e164 is a changeable label) */
  update = wpi_phone_record_new (mac);
  update->ip = g_strdup (ex->peer_ip);
  update->last_contact_us = g_get_real_time ();
  update->state = WPI_PHONE_STATE_IN_SESSION;
#define TAKE(item_name, field, flag) \
  G_STMT_START { const char *v = wpi_message_get_item_value (ex->request, item_name); \
    if (v != NULL && *v != '\0') { update->field = g_strdup (v); fields |= flag; } } G_STMT_END
  TAKE ("e164", e164, WPI_PHONE_FIELD_E164);
  TAKE ("device-type", device_type, WPI_PHONE_FIELD_DEVICE_TYPE);
  TAKE ("software-version", firmware, WPI_PHONE_FIELD_FIRMWARE);
  TAKE ("contact-me-uri", contact_me_uri, WPI_PHONE_FIELD_CONTACT_ME_URI);
#undef TAKE
  if (!wpi_store_phone_upsert (self->store, update, fields, &created, error))
    return FALSE;

  traffic_id = _wpi_service_log_traffic (self, ex->in);

  if (flow == NULL)
    {
      flow = _wpi_service_flow_new (self, mac, ex->peer, ex->peer_ip, ex->port, ex->port_mode, reason);
      ex->new_flow = TRUE;
    }
  ex->flow = flow;
  flow->last_activity = g_get_monotonic_time ();
  if (wpi_message_has_max_items (ex->request))
    flow->max_items = wpi_message_get_max_items (ex->request);
  _wpi_service_flow_set_firmware (flow, update->firmware ? update->firmware : known ? known->firmware : NULL);
  g_hash_table_remove (self->contacting, mac);
  g_hash_table_remove (self->unanswered, mac);

  /* D13: collect fragments, apply them once the final one is here */
  items = _wpi_service_message_items (ex->request);
  if (wpi_message_get_fragment (ex->request) == WPI_FRAGMENT_NEXT)
    {
      if (flow->fragments == NULL)
        flow->fragments = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);
      g_ptr_array_extend_and_steal (flow->fragments, g_steal_pointer (&items));
      ex->reply = _wpi_service_reply_new (ex->request, WPI_ACTION_GET_NEXT_FRAGMENT);
      return TRUE;
    }
  if (flow->fragments != NULL)
    {
      g_ptr_array_extend_and_steal (flow->fragments, g_steal_pointer (&items));
      items = g_steal_pointer (&flow->fragments);
    }

  if (reason == WPI_REASON_REPLY_TO)
    ex->reply = _wpi_service_flow_on_reply (self, flow, ex->request, items, traffic_id, error);
  else if (reason == WPI_REASON_STATUS && !ex->new_flow)
    ex->reply = _wpi_service_flow_on_status (self, flow, ex->request, items, traffic_id, error);
  else if (reason == WPI_REASON_CLEAN_UP && !ex->new_flow)
    {
      const char *why = wpi_message_get_item_value (ex->request, "cleanup-reason");
      g_autofree char *text = g_strdup_printf ("the phone ended the interaction: %s",
                                               why ? why : "no reason given");
      if (flow->job != NULL && !_wpi_service_finish_job (self, flow, WPI_JOB_STATE_FAILED, text, error))
        return FALSE;
      if (why != NULL && !_wpi_service_fail_bootstrap (self, mac, why, error))
        return FALSE;
      _wpi_service_flow_reset_job (flow);
      ex->reply = _wpi_service_flow_clean_up (self, flow, ex->request, NULL);
    }
  else
    ex->reply = _wpi_service_flow_on_opening (self, flow, ex->request, items, created, traffic_id, error);

  return ex->reply != NULL;
}

/* The traffic log keeps what went out, except the bootstrap secrets: the PKCS#12 with
 * the phone's private key, and the PIN bundle (which a copy of the log would expose to
 * an offline PIN search). They stay in the job, in the 0600 store. */
static GBytes *
loggable_body (WpiMessage *reply,
               const char *xml,
               gsize       length)
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
    return g_bytes_new (xml, length);

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
  return g_bytes_new_take (redacted, redacted_length);
}

static void
handle_wpi_post (WpiService        *self,
                 SoupServerMessage *msg,
                 guint              port,
                 WpiPhoneMode       port_mode)
{
  g_autoptr(WpiTrafficRecord) in = wpi_traffic_record_new ();
  g_autoptr(WpiTrafficRecord) out = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) request = NULL;
  g_autofree char *peer_ip = NULL;
  g_autofree char *peer = peer_string (msg, &peer_ip);
  g_autofree char *xml = NULL;
  gsize xml_length = 0;
  Exchange ex = { 0 };
  SoupMessageBody *request_body = soup_server_message_get_request_body (msg);

  body = soup_message_body_flatten (request_body);
  in->time_us = g_get_real_time ();
  in->direction = WPI_TRAFFIC_DIRECTION_IN;
  in->port = port;
  in->mode = port_mode;
  in->peer = g_strdup (peer);
  in->headers = request_head (msg);
  in->body = g_bytes_ref (body);
  in->size = g_bytes_get_size (body);

  request = wpi_message_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (request == NULL)
    {
      /* D5: 400, empty body, nothing changes but the traffic log */
      respond_error (self, msg, in, error->code == WPI_CODEC_ERROR_TOO_LARGE
                                     ? SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE : SOUP_STATUS_BAD_REQUEST,
                     error->code, error->message);
      return;
    }
  summarize (in, request);
  if (wpi_message_get_kind (request) != WPI_MESSAGE_KIND_WORKPOINT)
    {
      respond_error (self, msg, in, SOUP_STATUS_BAD_REQUEST, WPI_CODEC_ERROR_WRONG_ROOT,
                     "1:1: a phone sends WorkpointMessage, not DLSMessage");
      return;
    }

  ex.self = self;
  ex.msg = msg;
  ex.in = in;
  ex.request = request;
  ex.port = port;
  ex.port_mode = port_mode;
  ex.peer = peer;
  ex.peer_ip = peer_ip;

  if (!wpi_store_run_in_transaction (self->store, exchange_run, &ex, &error))
    {
      /* Nothing of this message was stored; the phone may try again. */
      g_clear_object (&ex.reply);
      if (ex.new_flow && ex.flow != NULL)
        _wpi_service_flow_close (self, ex.flow);
      respond_error (self, msg, in, SOUP_STATUS_INTERNAL_SERVER_ERROR, -1, error->message);
      return;
    }

  if (ex.reply == NULL)
    {
      if (ex.security)
        _wpi_service_security_event (self, peer, in->mac, port_mode == WPI_PHONE_MODE_DEFAULT
                                                         ? "secure-phone-on-default-port" : "client-certificate",
                                     ex.refusal);
      respond_error (self, msg, in, ex.http_status, -1, ex.refusal);
      g_free (ex.refusal);
      return;
    }

  /* The answer */
  xml = wpi_message_serialize (ex.reply, &xml_length);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Content-Type",
                                "text/xml; charset=utf-8");
  if (ex.new_flow)
    {
      g_autofree char *cookie = g_strdup_printf ("JSESSIONID=%s; Path=/DeploymentService; Secure; HttpOnly",
                                                 ex.flow->id);
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie", cookie);
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);

  out = wpi_traffic_record_new ();
  out->time_us = g_get_real_time ();
  out->direction = WPI_TRAFFIC_DIRECTION_OUT;
  out->port = port;
  out->mode = port_mode;
  out->peer = g_strdup (peer);
  out->mac = g_strdup (ex.flow->mac);
  out->flow_id = g_strdup (ex.flow->id);
  summarize (out, ex.reply);
  out->headers = response_head (msg, SOUP_STATUS_OK);
  out->size = xml_length;
  out->body = loggable_body (ex.reply, xml, xml_length);
  _wpi_service_log_traffic (self, out);

  soup_server_message_set_response (msg, "text/xml; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&xml), xml_length);

  g_set_object (&ex.flow->last_sent, ex.reply);
  if (ex.flow->step == STEP_CLEAN_UP || wpi_message_get_action (ex.reply) == WPI_ACTION_RESTART)
    {
      g_autofree char *mac = g_strdup (ex.flow->mac);
      WpiReason opened_by = ex.flow->opened_by;
      gboolean busy = ex.flow->busy;

      _wpi_service_flow_close (self, ex.flow);
      _wpi_service_set_phone_state (self, mac, busy ? WPI_PHONE_STATE_BUSY : WPI_PHONE_STATE_IDLE);
      _wpi_service_refresh_phone (self, mac);
      _wpi_service_log (self, "flow %s %s from %s ended%s", wpi_reason_to_string (opened_by) ?: "?", mac,
                        peer, busy ? " (phone busy)" : "");
      g_signal_emit (self, _wpi_service_signals[SIGNAL_FLOW_FINISHED], 0, mac, wpi_reason_to_string (opened_by),
                     busy ? "busy" : "ok");
    }
  else
    _wpi_service_refresh_phone (self, ex.flow->mac);

  g_object_unref (ex.reply);
}

static void
handle_poll (WpiService        *self,
             SoupServerMessage *msg)
{
  GHashTable *query = soup_form_decode (g_uri_get_query (soup_server_message_get_uri (msg)) ?: "");
  const char *device = g_hash_table_lookup (query, "device-id");
  g_autofree char *mac = device ? wpi_mac_normalize (device, NULL) : NULL;
  g_autoptr(GPtrArray) pending = NULL;
  gboolean waiting = FALSE;

  g_hash_table_unref (query);
  if (mac == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }

  /* D14: a polling phone needs no contact-me */
  g_hash_table_insert (self->last_poll, g_strdup (mac), GSIZE_TO_POINTER ((gsize) g_get_monotonic_time ()));
  pending = wpi_store_job_list_pending (self->store, mac, NULL);
  for (guint i = 0; pending != NULL && i < pending->len; i++)
    if (((WpiJobRecord *) g_ptr_array_index (pending, i))->state != WPI_JOB_STATE_IN_PROGRESS)
      waiting = TRUE;

  soup_server_message_set_status (msg, waiting ? SOUP_STATUS_ACCEPTED : SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

/* Files for deployment, from DATA_DIR/files (issue 3: no separate file server needed). */
static void
handle_file (WpiService        *self,
             SoupServerMessage *msg,
             const char        *path)
{
  const char *name = path + strlen (WPI_FILES_PATH);
  g_autofree char *file_path = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (*name == '\0' || strchr (name, '/') != NULL || strcmp (name, "..") == 0 || name[0] == '.')
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  file_path = g_build_filename (self->data_dir, "files", name, NULL);
  mapped = g_mapped_file_new (file_path, FALSE, NULL);
  if (mapped == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  bytes = g_mapped_file_get_bytes (mapped);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg), bytes);
  soup_message_headers_set_content_type (soup_server_message_get_response_headers (msg),
                                         "application/octet-stream", NULL);
}

void
_wpi_service_server_callback (SoupServer        *server,
                              SoupServerMessage *msg,
                              const char        *path,
                              GHashTable        *query,
                              gpointer           user_data)
{
  WpiService *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  gboolean secure = server == self->secure_server;
  guint port = secure ? self->bound_secure_port : self->bound_port;

  if (strcmp (path, WPI_SERVICE_PATH) == 0)
    {
      if (method != SOUP_METHOD_POST)
        {
          soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
          soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", "POST");
          return;
        }
      handle_wpi_post (self, msg, port, secure ? WPI_PHONE_MODE_SECURE : WPI_PHONE_MODE_DEFAULT);
      return;
    }
  /* D14 names the default port; a phone in Secure Mode polls where it talks, the secure
   * port (its certificate is checked by the TLS layer there) */
  if (strcmp (path, WPI_POLL_PATH) == 0)
    {
      if (method != SOUP_METHOD_GET)
        soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      else
        handle_poll (self, msg);
      return;
    }
  if (g_str_has_prefix (path, WPI_FILES_PATH) && (method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD))
    {
      handle_file (self, msg, path);
      return;
    }
  /* D1 */
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* An early refusal is in the traffic log like every other bad message (D5), with the
 * headers: the body is never read. */
static void
refuse_unread (WpiService        *self,
               SoupServer        *server,
               SoupServerMessage *msg,
               guint              status,
               goffset            length,
               char              *reason)
{
  g_autoptr(WpiTrafficRecord) in = wpi_traffic_record_new ();
  gboolean secure = server == self->secure_server;

  in->time_us = g_get_real_time ();
  in->direction = WPI_TRAFFIC_DIRECTION_IN;
  in->port = secure ? self->bound_secure_port : self->bound_port;
  in->mode = secure ? WPI_PHONE_MODE_SECURE : WPI_PHONE_MODE_DEFAULT;
  in->peer = peer_string (msg, NULL);
  in->headers = request_head (msg);
  in->size = MAX (length, 0);
  in->error_code = WPI_CODEC_ERROR_TOO_LARGE;
  in->error_text = reason;
  _wpi_service_log_traffic (self, in);
  _wpi_service_log (self, "%s -: HTTP %u: %s", in->peer, status, in->error_text);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
}

/* D5: refuse an oversized body from its Content-Length, before reading it; a chunked
 * body has no length to check up front and would have to be read to learn it, so it
 * is refused as such (phones send a Content-Length; protocol.md R5). */
void
_wpi_service_early_callback (SoupServer        *server,
                             SoupServerMessage *msg,
                             const char        *path,
                             GHashTable        *query,
                             gpointer           user_data)
{
  WpiService *self = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  goffset length = soup_message_headers_get_content_length (headers);

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    refuse_unread (self, server, msg, SOUP_STATUS_LENGTH_REQUIRED, -1,
                   g_strdup_printf ("a chunked body, whose size is not known before it is read "
                                    "(the limit is %d bytes)", WPI_MAX_BODY_BYTES));
  else if (length > WPI_MAX_BODY_BYTES)
    refuse_unread (self, server, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, length,
                   g_strdup_printf ("a body of %" G_GOFFSET_FORMAT " bytes is over the limit of %d",
                                    length, WPI_MAX_BODY_BYTES));
}
