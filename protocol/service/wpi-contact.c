/* wpi-contact.c: the contact-me client */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "wpi-contact.h"

struct _WpiContactClient
{
  GObject      parent_instance;

  SoupSession *session;
  GHashTable  *next_allowed;   /* host:port -> gint64 monotonic time of the next allowed send */
};

G_DEFINE_FINAL_TYPE (WpiContactClient, wpi_contact_client, G_TYPE_OBJECT)
G_DEFINE_QUARK (wpi-contact-error-quark, wpi_contact_error)

typedef struct {
  SoupMessage *message;
  GSource     *delay_source;   /* on the thread-default context of the caller */
} ContactTask;

static void
contact_task_free (ContactTask *task_data)
{
  if (task_data->delay_source != NULL)
    {
      g_source_destroy (task_data->delay_source);
      g_clear_pointer (&task_data->delay_source, g_source_unref);
    }
  g_clear_object (&task_data->message);
  g_free (task_data);
}

static void
wpi_contact_client_finalize (GObject *object)
{
  WpiContactClient *self = WPI_CONTACT_CLIENT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->next_allowed, g_hash_table_unref);

  G_OBJECT_CLASS (wpi_contact_client_parent_class)->finalize (object);
}

static void
wpi_contact_client_class_init (WpiContactClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = wpi_contact_client_finalize;
}

/* libsoup's own default for max-conns */
#define DEFAULT_MAX_CONNECTIONS 10

static SoupSession *
contact_session_new (guint max_connections)
{
  return soup_session_new_with_options ("timeout", WPI_CONTACT_TIMEOUT_SECONDS,
                                        "idle-timeout", WPI_CONTACT_TIMEOUT_SECONDS,
                                        "user-agent", "Workpoint-Console/" WPC_VERSION,
                                        /* a phone's contact-me server takes one
                                         * request at a time */
                                        "max-conns-per-host", 1,
                                        "max-conns", max_connections,
                                        NULL);
}

static void
wpi_contact_client_init (WpiContactClient *self)
{
  self->session = contact_session_new (DEFAULT_MAX_CONNECTIONS);
  self->next_allowed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

WpiContactClient *
wpi_contact_client_new (void)
{
  return g_object_new (WPI_TYPE_CONTACT_CLIENT, NULL);
}

WpiContactClient *
wpi_contact_client_new_with_connections (guint max_connections)
{
  WpiContactClient *self = wpi_contact_client_new ();

  g_return_val_if_fail (max_connections > 0, self);

  /* no request has gone out yet, so a session with the limit replaces the default one */
  g_clear_object (&self->session);
  self->session = contact_session_new (max_connections);
  return self;
}

char *
wpi_contact_local_address_towards (const char *ip)
{
  g_autoptr(GInetAddress) target = ip != NULL ? g_inet_address_new_from_string (ip) : NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  if (target == NULL)
    return NULL;
  /* connect() on a UDP socket only picks the route; nothing is sent */
  socket = g_socket_new (g_inet_address_get_family (target), G_SOCKET_TYPE_DATAGRAM,
                         G_SOCKET_PROTOCOL_UDP, NULL);
  remote = g_inet_socket_address_new (target, 9);
  if (socket == NULL || !g_socket_connect (socket, remote, NULL, NULL))
    return NULL;
  local = g_socket_get_local_address (socket, NULL);
  if (local == NULL)
    return NULL;
  return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (local)));
}

char *
wpi_contact_uri_for_address (const char *ip_address)
{
  g_return_val_if_fail (ip_address != NULL, NULL);

  if (strchr (ip_address, ':') != NULL)
    return g_strdup_printf ("http://[%s]:%d%s", ip_address, WPI_CONTACT_PORT, WPI_CONTACT_PATH);
  return g_strdup_printf ("http://%s:%d%s", ip_address, WPI_CONTACT_PORT, WPI_CONTACT_PATH);
}

/* "ADDRESS[/LENGTH]" split and checked here: GInetAddressMask itself warns (a critical
 * under G_DEBUG=fatal-warnings) at a length past the address's bits. */
static GInetAddressMask *
range_from_text (const char  *text,
                 GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, "/", 2);
  g_autoptr(GInetAddress) address = parts[0] != NULL ? g_inet_address_new_from_string (parts[0]) : NULL;
  guint64 length;

  if (address == NULL)
    return NULL;
  length = g_inet_address_get_native_size (address) * 8;
  if (parts[1] != NULL &&
      !g_ascii_string_to_unsigned (parts[1], 10, 0, length, &length, error))
    return NULL;
  return g_inet_address_mask_new (address, (guint) length, error);
}

GInetAddressMask *
wpi_contact_range_parse (const char  *text,
                         GError     **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autoptr(GError) local_error = NULL;
  GInetAddressMask *mask = range_from_text (trimmed, &local_error);

  if (mask == NULL)
    g_set_error (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_BAD_RANGE,
                 "\"%s\" is not an address range such as 192.168.1.0/24 or fd00::/64%s%s",
                 trimmed, local_error != NULL ? ": " : "",
                 local_error != NULL ? local_error->message : "");
  return mask;
}

GPtrArray *
wpi_contact_ranges_parse (const char * const  *cidrs,
                          GError             **error)
{
  g_autoptr(GPtrArray) ranges = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; cidrs != NULL && cidrs[i] != NULL; i++)
    {
      GInetAddressMask *mask = wpi_contact_range_parse (cidrs[i], error);

      if (mask == NULL)
        return NULL;
      g_ptr_array_add (ranges, mask);
    }
  return g_steal_pointer (&ranges);
}

static gboolean
host_in_ranges (GInetAddress *host,
                GPtrArray    *allowed)
{
  for (guint i = 0; allowed != NULL && i < allowed->len; i++)
    if (g_inet_address_mask_matches (g_ptr_array_index (allowed, i), host))
      return TRUE;
  return FALSE;
}

char *
wpi_contact_target (const char  *contact_me_uri,
                    const char  *source_ip,
                    GPtrArray   *allowed,
                    GError     **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (contact_me_uri != NULL ? contact_me_uri : ""));
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GInetAddress) source = source_ip != NULL ? g_inet_address_new_from_string (source_ip) : NULL;
  g_autoptr(GInetAddress) host = NULL;
  g_autoptr(GUri) target = NULL;

  if (*trimmed == '\0')
    {
      if (source == NULL)
        {
          g_set_error (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_INVALID_URI,
                       "neither a contact-me-uri nor an address the phone wrote from");
          return NULL;
        }
      return wpi_contact_uri_for_address (source_ip);
    }

  parsed = g_uri_parse (trimmed, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL || g_strcmp0 (g_uri_get_scheme (parsed), "http") != 0 ||
      g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_set_error (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_INVALID_URI,
                   "\"%s\" is not an http:// contact-me URI", trimmed);
      return NULL;
    }

  /* A host name is never looked up: it could name any address (D19) */
  host = g_inet_address_new_from_string (g_uri_get_host (parsed));
  if (host == NULL || source == NULL || !g_inet_address_equal (host, source))
    {
      if (host != NULL && host_in_ranges (host, allowed))
        return g_uri_to_string (parsed);
      g_set_error (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_NOT_ALLOWED,
                   "contact-me-uri %s names %s, not the address the phone wrote from (%s), "
                   "and no allowed range holds it (D19)", trimmed, g_uri_get_host (parsed),
                   source_ip != NULL ? source_ip : "none known");
      return NULL;
    }

  /* the source address itself, with the URI's port and path */
  target = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, source_ip,
                        g_uri_get_port (parsed) > 0 ? g_uri_get_port (parsed) : -1,
                        *g_uri_get_path (parsed) != '\0' ? g_uri_get_path (parsed) : "/",
                        g_uri_get_query (parsed), NULL);
  return g_uri_to_string (target);
}

GTimeSpan
wpi_contact_backoff (GTimeSpan initial,
                     GTimeSpan longest,
                     guint     failures)
{
  GTimeSpan delay = MAX (initial, 0);

  if (failures == 0)
    return 0;
  /* the doubling stops at the cap: no overflow however many failures */
  for (guint i = 1; i < failures && delay > 0 && delay < longest; i++)
    delay *= 2;
  return MIN (delay, MAX (longest, 0));
}

static void
send_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  ContactTask *task_data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_UNANSWERED,
                                 "no answer from %s: %s",
                                 g_uri_get_host (soup_message_get_uri (task_data->message)),
                                 error->message);
      return;
    }

  status = soup_message_get_status (task_data->message);
  /* The guide's phones answer 204; some firmware answers 200 with an empty page. */
  if (status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_OK)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_new_error (task, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_REFUSED,
                             "contact-me to %s answered HTTP %u %s",
                             g_uri_get_host (soup_message_get_uri (task_data->message)),
                             status, soup_message_get_reason_phrase (task_data->message) ?: "");
}

static void
send_now (GTask *task)
{
  WpiContactClient *self = g_task_get_source_object (task);
  ContactTask *task_data = g_task_get_task_data (task);

  soup_session_send_and_read_async (self->session, task_data->message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), send_done, task);
}

static gboolean
send_after_delay (gpointer user_data)
{
  GTask *task = user_data;
  ContactTask *task_data = g_task_get_task_data (task);

  g_clear_pointer (&task_data->delay_source, g_source_unref);
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return G_SOURCE_REMOVE;
    }
  send_now (task);
  return G_SOURCE_REMOVE;
}

void
wpi_contact_client_contact_async (WpiContactClient    *self,
                                  const char          *uri,
                                  const char          *dls_address,
                                  guint                dls_port,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GUri) parsed = NULL;
  g_autoptr(GString) form = NULL;
  g_autofree char *host_key = NULL;
  ContactTask *task_data;
  gint64 now, next;
  gpointer value;

  g_return_if_fail (WPI_IS_CONTACT_CLIENT (self));
  g_return_if_fail (uri != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, wpi_contact_client_contact_async);

  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL || g_strcmp0 (g_uri_get_scheme (parsed), "http") != 0 ||
      g_uri_get_host (parsed) == NULL || *g_uri_get_host (parsed) == '\0')
    {
      g_task_return_new_error (task, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_INVALID_URI,
                               "\"%s\" is not an http:// contact-me URI", uri);
      return;
    }

  form = g_string_new ("ContactMe=true");
  if (dls_address != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (dls_address, NULL, FALSE);
      g_string_append_printf (form, "&dls_ip_addr=%s&dls_ip_port=%u", escaped, dls_port);
    }

  task_data = g_new0 (ContactTask, 1);
  task_data->message = soup_message_new_from_uri ("POST", parsed);
  soup_message_set_request_body_from_bytes (task_data->message,
                                            "application/x-www-form-urlencoded; charset=utf-8",
                                            g_bytes_new (form->str, form->len));
  g_task_set_task_data (task, task_data, (GDestroyNotify) contact_task_free);

  /* Space contact-mes to one phone at least WPI_CONTACT_MIN_INTERVAL apart. */
  host_key = g_strdup_printf ("%s:%d", g_uri_get_host (parsed), g_uri_get_port (parsed));
  now = g_get_monotonic_time ();
  next = g_hash_table_lookup_extended (self->next_allowed, host_key, NULL, &value)
         ? (gint64) GPOINTER_TO_SIZE (value) : 0;
  if (next > now)
    {
      g_hash_table_replace (self->next_allowed, g_steal_pointer (&host_key),
                            GSIZE_TO_POINTER ((gsize) (next + WPI_CONTACT_MIN_INTERVAL)));
      /* the caller's context, not the global default: the service may run on a thread
       * of its own (WpiServiceHost) */
      task_data->delay_source = g_timeout_source_new ((next - now) / 1000 + 1);
      g_source_set_callback (task_data->delay_source, send_after_delay, g_object_ref (task), NULL);
      g_source_attach (task_data->delay_source, g_main_context_get_thread_default ());
      return;
    }
  g_hash_table_replace (self->next_allowed, g_steal_pointer (&host_key),
                        GSIZE_TO_POINTER ((gsize) (now + WPI_CONTACT_MIN_INTERVAL)));
  send_now (g_steal_pointer (&task));
}

gboolean
wpi_contact_client_contact_finish (WpiContactClient  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
