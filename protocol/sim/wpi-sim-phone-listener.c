/* wpi-sim-phone-listener.c: contact-me and polling of a simulated phone
 *
 * The plain-HTTP listener on the phone's contact address (port 8085 on a real phone) that
 * the service's contact-me reaches (protocol.md §5, p.15), and the DCMP poll for phones the
 * service cannot reach (§7.14, D14).
 */
#include "config.h"

#include <string.h>

#include "wpi-sim-phone-private.h"

/* ---------------------------------------------------------------------------------------- */
/* Contact-me                                                                               */

void
_wpi_sim_phone_set_contact_uri (WpiSimPhone *self)
{
  g_autofree char *host = g_inet_address_to_string (
    g_inet_socket_address_get_address (self->contact_address));
  guint16 port = g_inet_socket_address_get_port (self->contact_address);
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, host, port,
                                     WPI_SIM_CONTACT_PATH, NULL, NULL);

  g_free (self->contact_uri);
  self->contact_uri = g_uri_to_string (uri);
  if (self->items != NULL)
    {
      wpi_sim_items_set_value (self->items, "contact-me-uri", self->contact_uri);
      wpi_sim_items_set_value (self->items, "ipaddress", host);
    }
}

static char *
contact_target_from_form (WpiSimPhone *self,
                          GHashTable  *form)
{
  const char *address = form ? g_hash_table_lookup (form, "dls_ip_addr") : NULL;
  const char *port_str = form ? g_hash_table_lookup (form, "dls_ip_port") : NULL;
  guint64 port = 0;
  int service_port = g_uri_get_port (self->service);

  if (address == NULL || *address == '\0')
    return NULL;
  /* the service names its default port; a phone in Secure Mode calls back on the secure one */
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE)
    port = self->credentials->port;
  else if (port_str == NULL || !g_ascii_string_to_unsigned (port_str, 10, 1, 65535, &port, NULL))
    port = service_port > 0 ? service_port : SIM_DEFAULT_SERVICE_PORT;
  return _wpi_sim_base_uri_for ("https", address, (int) port);
}

static void
contact_handler (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  WpiSimPhone *self = user_data;
  const char *method = soup_server_message_get_method (message);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  g_autoptr(GHashTable) form = NULL;
  const char *contact_me;

  if (strcmp (path, WPI_SIM_CONTACT_PATH) != 0)
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (strcmp (method, "POST") != 0 && strcmp (method, "GET") != 0)
    {
      soup_message_headers_replace (headers, "Allow", "GET, POST");
      soup_server_message_set_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (self->rebooting || !self->started)
    {
      soup_server_message_set_status (message, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  if (strcmp (method, "POST") == 0)
    {
      g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));
      gsize length;
      const char *data = g_bytes_get_data (body, &length);
      g_autofree char *text = g_strndup (data, length);

      form = soup_form_decode (text);
    }
  else if (query != NULL)
    form = g_hash_table_ref (query);

  /* the guide's answer: 204, text/html, Server: DlsClient (p.15); a busy phone answers too */
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
  soup_message_headers_replace (headers, "Content-Type", "text/html");

  contact_me = form ? g_hash_table_lookup (form, "ContactMe") : NULL;
  if (!_wpi_sim_is_true (contact_me))
    return;
  if (self->ignore_contact_ratio > 0 && g_rand_double (self->rand) < self->ignore_contact_ratio)
    return;

  g_free (self->contact_target);
  self->contact_target = contact_target_from_form (self, form);
  self->pending_contact = TRUE;
  _wpi_sim_phone_kick (self);
}

/* Opens the contact-me listener on the contact address. */
gboolean
_wpi_sim_phone_listen (WpiSimPhone  *self,
                       GError      **error)
{
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GInetSocketAddress) bound = NULL;

  server = soup_server_new ("server-header", "DlsClient", NULL);
  soup_server_add_handler (server, WPI_SIM_CONTACT_PATH, contact_handler, self, NULL);
  self->listener = wpi_sim_listener_new (self->contact_address, server, &bound, &local_error);
  if (self->listener == NULL)
    {
      g_autofree char *where = g_socket_connectable_to_string (
        G_SOCKET_CONNECTABLE (self->contact_address));

      g_set_error (error, local_error->domain, local_error->code,
                   "cannot listen for contact-me on %s: %s", where, local_error->message);
      return FALSE;
    }

  /* port 0 asked for any free port: learn which one */
  if (g_inet_socket_address_get_port (self->contact_address) == 0)
    {
      g_set_object (&self->contact_address, bound);
      _wpi_sim_phone_set_contact_uri (self);
      _wpi_sim_phone_notify (self, PROP_CONTACT_URI);
    }
  self->server = g_steal_pointer (&server);
  return TRUE;
}

void
_wpi_sim_phone_stop_listening (WpiSimPhone *self)
{
  g_clear_pointer (&self->listener, wpi_sim_listener_free);
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Polling (D14)                                                                            */

static void
poll_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SoupMessage) http = user_data;
  g_autoptr(WpiSimPhone) self = g_object_ref (g_object_get_data (G_OBJECT (http), "wpi-sim-phone"));
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  _wpi_sim_phone_gate_leave ();
  self->polling = FALSE;
  _wpi_sim_phone_operation_end (self);
  g_object_unref (self);   /* the reference the request held */

  /* D14: 202 = something waits, call in with `solicited` */
  if (body != NULL && soup_message_get_status (http) == SOUP_STATUS_ACCEPTED && self->started)
    {
      g_clear_pointer (&self->contact_target, g_free);
      self->pending_contact = TRUE;
      _wpi_sim_phone_kick (self);
    }
}

static void
poll_send_now (gpointer data,
               gpointer unused)
{
  SoupMessage *http = data;
  WpiSimPhone *self = g_object_get_data (G_OBJECT (http), "wpi-sim-phone");
  SoupSession *session = g_object_get_data (G_OBJECT (http), "wpi-sim-session");

  soup_session_send_and_read_async (session, http, G_PRIORITY_DEFAULT, self->cancellable,
                                    poll_done, http);
}

/* One DCMP poll, unless one or a flow is under way. */
void
_wpi_sim_phone_poll (WpiSimPhone *self)
{
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) target = NULL;
  g_autoptr(SimCredentials) credentials = NULL;
  g_autofree char *query = NULL;
  SoupSession *session = NULL;
  SoupMessage *http;

  if (!self->started || self->rebooting || self->polling || self->flow != NULL)
    return;
  base = g_uri_parse (self->poll_uri ?: self->service_uri, G_URI_FLAGS_NONE, NULL);
  if (base == NULL)
    return;

  query = g_strdup_printf ("device-id=%s", self->mac);
  uri = g_uri_build (G_URI_FLAGS_NONE, g_uri_get_scheme (base), NULL, g_uri_get_host (base),
                     g_uri_get_port (base), WPI_SIM_POLL_PATH, query, NULL);
  /* in Secure Mode the poll goes to the secure port too */
  target = _wpi_sim_phone_prepare_request (self, uri, &session, &credentials);
  http = soup_message_new_from_uri ("GET", target);
  _wpi_sim_message_set_credentials (http, credentials);
  /* the credentials live as long as the session that presents them (the phone's) */
  g_object_set_data_full (G_OBJECT (http), "wpi-sim-session", session, g_object_unref);
  g_object_set_data (G_OBJECT (http), "wpi-sim-phone", g_object_ref (self));
  self->polling = TRUE;
  _wpi_sim_phone_operation_begin (self);
  _wpi_sim_phone_gate_enter (poll_send_now, http, NULL);
}
