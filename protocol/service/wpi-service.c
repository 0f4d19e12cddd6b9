/* wpi-service.c: the provisioning service
 *
 * One HTTP request is one phone message. Everything a message changes (the traffic log,
 * the phone, its items, its jobs) is written in one store transaction before the answer
 * leaves, so a kill -9 at any moment loses nothing that a phone was told.
 *
 * This file has the object, its properties, start/stop and the public API; the other
 * parts are listed in wpi-service-private.h.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "wpi-job.h"
#include "wpi-phone.h"
#include "wpi-service-private.h"

#define TICK_INTERVAL_MS       500
#define LISTEN_BACKLOG          1024
/* Keys made in advance per core: enough for the phones that call while the builders
 * are busy with the background (wpi-bootstrap-builder.h) */
#define SPARE_KEYS_PER_CORE     2
#define MAX_SPARE_KEYS          16

guint _wpi_service_signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_CONTACT_INITIAL_BACKOFF,
  PROP_CONTACT_MAX_BACKOFF,
  PROP_TRAFFIC_RETENTION_DAYS,
  PROP_FLOW_DEADLINE,
  PROP_TRAFFIC_MAX_MEGABYTES,
  PROP_KEEP_ALIVE_TIMEOUT,
  PROP_CONTACT_ALLOW,
  PROP_MAX_FLOWS,
  PROP_BUNDLE_ITERATIONS,
  PROP_BUNDLE_SPARE_KEYS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (WpiService, wpi_service, G_TYPE_OBJECT)
G_DEFINE_QUARK (wpi-service-error-quark, wpi_service_error)

/* A character that could end a log line or disguise what follows it: C0 and C1
 * controls (newline, carriage return, escape sequences), the Unicode line and paragraph
 * separators and the bidirectional overrides. */
static gboolean
is_unsafe_in_log (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
         (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *
_wpi_service_log_escape (const char *value,
                         gsize       max_chars)
{
  g_autoptr(GString) out = NULL;
  const char *p = value;
  const char *end;
  gsize n_chars = 0;

  if (value == NULL)
    return g_strdup ("-");
  /* the common case: printable ASCII, short enough */
  for (end = value; *end >= 0x20 && *end < 0x7f; end++)
    ;
  if (*end == '\0' && (gsize) (end - value) <= max_chars)
    return g_strdup (value);
  end = value + strlen (value);
  out = g_string_sized_new (MIN ((gsize) (end - value), max_chars) + 16);
  while (p < end && n_chars < max_chars)
    {
      gunichar c = g_utf8_get_char_validated (p, end - p);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02x", (guchar) *p++);
          n_chars++;
          continue;
        }
      if (is_unsafe_in_log (c))
        g_string_append_printf (out, c < 0x100 ? "\\x%02x" : "\\u%04x", c);
      else
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      p = g_utf8_next_char (p);
      n_chars++;
    }
  if (p < end)
    g_string_append_printf (out, "… (%" G_GSIZE_FORMAT " bytes in all)", (gsize) (end - value));
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* One line, whatever the values formatted into it hold: each phone value should already
 * be escaped and cut by _wpi_service_log_escape(); the line is escaped again (which
 * changes nothing in a line that is safe) and cut, as a guard for a value that was not. */
void
_wpi_service_log (WpiService *self,
                  const char *format,
                  ...)
{
  g_autofree char *formatted = NULL;
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  formatted = g_strdup_vprintf (format, args);
  va_end (args);
  line = _wpi_service_log_escape (formatted, WPI_LOG_LINE_MAX_CHARS);

  g_debug ("%s", line);
  g_signal_emit (self, _wpi_service_signals[SIGNAL_LOG], 0, line);
}

/* ---- Object ----------------------------------------------------------- */

/* Sets *field and notifies; FALSE when nothing changed. */
static gboolean
set_uint_property (WpiService *self,
                   guint      *field,
                   guint       value,
                   guint       prop_id)
{
  if (*field == value)
    return FALSE;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

/* D19: the ranges a contact-me-uri on another host than the phone's may point into. A
 * range that does not parse is left out (the option parser and Preferences refuse it
 * before it gets here; a hand-edited setting only warns). */
static void
set_contact_allow (WpiService         *self,
                   const char * const *cidrs)
{
  g_autoptr(GPtrArray) ranges = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->contact_allow != NULL && cidrs != NULL &&
      g_strv_equal ((const char * const *) self->contact_allow, cidrs))
    return;
  for (guint i = 0; cidrs != NULL && cidrs[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      GInetAddressMask *mask = wpi_contact_range_parse (cidrs[i], &error);

      if (mask != NULL)
        g_ptr_array_add (ranges, mask);
      else
        g_warning ("contact-allow: %s; left out", error->message);
    }
  g_strfreev (self->contact_allow);
  self->contact_allow = g_strdupv ((char **) cidrs);
  g_clear_pointer (&self->contact_ranges, g_ptr_array_unref);
  self->contact_ranges = g_steal_pointer (&ranges);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT_ALLOW]);
}

static void
wpi_service_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  WpiService *self = WPI_SERVICE (object);

  switch (prop_id)
    {
    case PROP_CONTACT_INITIAL_BACKOFF:
      g_value_set_uint (value, self->contact_initial_backoff);
      break;
    case PROP_CONTACT_MAX_BACKOFF:
      g_value_set_uint (value, self->contact_max_backoff);
      break;
    case PROP_TRAFFIC_RETENTION_DAYS:
      g_value_set_uint (value, self->traffic_retention_days);
      break;
    case PROP_FLOW_DEADLINE:
      g_value_set_uint (value, self->flow_deadline);
      break;
    case PROP_TRAFFIC_MAX_MEGABYTES:
      g_value_set_uint (value, self->traffic_max_megabytes);
      break;
    case PROP_KEEP_ALIVE_TIMEOUT:
      g_value_set_uint (value, self->keep_alive_timeout_ms);
      break;
    case PROP_CONTACT_ALLOW:
      g_value_set_boxed (value, self->contact_allow);
      break;
    case PROP_MAX_FLOWS:
      g_value_set_uint (value, self->max_flows);
      break;
    case PROP_BUNDLE_ITERATIONS:
      g_value_set_uint (value, self->bundle_iterations);
      break;
    case PROP_BUNDLE_SPARE_KEYS:
      g_value_set_uint (value, self->bundle_spare_keys);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The byte budget is the store's setting, which append() and retention follow; a smaller
 * one deletes the oldest messages now (issue 10 §3). */
static void
apply_traffic_budget (WpiService *self)
{
  g_autoptr(GError) error = NULL;
  gint64 max_bytes = (gint64) self->traffic_max_megabytes * 1024 * 1024;

  if (self->store != NULL && !wpi_store_traffic_set_max_bytes (self->store, max_bytes, &error))
    g_message ("Cannot apply the traffic log's budget of %u MiB: %s", self->traffic_max_megabytes,
               error->message);
}

/* A running service applies a change at once: a phone waiting for a contact-me retry
 * waits no longer than the new back-off allows, and the traffic log is trimmed now. */
static void
wpi_service_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  WpiService *self = WPI_SERVICE (object);
  gboolean running = self->http != NULL;

  switch (prop_id)
    {
    case PROP_CONTACT_INITIAL_BACKOFF:
      if (set_uint_property (self, &self->contact_initial_backoff, g_value_get_uint (value), prop_id) &&
          running)
        _wpi_service_apply_contact_backoff (self);
      break;
    case PROP_CONTACT_MAX_BACKOFF:
      if (set_uint_property (self, &self->contact_max_backoff, g_value_get_uint (value), prop_id) &&
          running)
        _wpi_service_apply_contact_backoff (self);
      break;
    case PROP_TRAFFIC_RETENTION_DAYS:
      if (set_uint_property (self, &self->traffic_retention_days, g_value_get_uint (value), prop_id) &&
          running)
        {
          self->retention_due = 0;
          _wpi_service_enforce_traffic_retention (self);
        }
      break;
    case PROP_FLOW_DEADLINE:   /* the next tick applies it */
      set_uint_property (self, &self->flow_deadline, g_value_get_uint (value), prop_id);
      break;
    case PROP_TRAFFIC_MAX_MEGABYTES:
      if (set_uint_property (self, &self->traffic_max_megabytes, g_value_get_uint (value), prop_id) &&
          running)
        apply_traffic_budget (self);
      break;
    case PROP_KEEP_ALIVE_TIMEOUT:
      /* connections waiting already keep the timeout they were given */
      if (set_uint_property (self, &self->keep_alive_timeout_ms, g_value_get_uint (value), prop_id) &&
          self->http != NULL)
        wpi_http_server_set_keep_alive (self->http, self->keep_alive_timeout_ms, WPI_HTTP_MAX_REQUESTS);
      break;
    case PROP_CONTACT_ALLOW:
      set_contact_allow (self, g_value_get_boxed (value));
      break;
    case PROP_MAX_FLOWS:
      set_uint_property (self, &self->max_flows, g_value_get_uint (value), prop_id);
      break;
    case PROP_BUNDLE_ITERATIONS:
      /* bundles asked for already keep the count they were asked with */
      set_uint_property (self, &self->bundle_iterations, g_value_get_uint (value), prop_id);
      break;
    case PROP_BUNDLE_SPARE_KEYS:
      /* from the next start() on */
      set_uint_property (self, &self->bundle_spare_keys, g_value_get_uint (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_service_dispose (GObject *object)
{
  WpiService *self = WPI_SERVICE (object);

  wpi_service_stop (self);

  G_OBJECT_CLASS (wpi_service_parent_class)->dispose (object);
}

static void
wpi_service_finalize (GObject *object)
{
  WpiService *self = WPI_SERVICE (object);

  g_clear_pointer (&self->flow_by_mac, g_hash_table_unref);
  g_clear_pointer (&self->flows, g_hash_table_unref);
  g_clear_pointer (&self->phone_by_mac, g_hash_table_unref);
  g_clear_pointer (&self->contacting, g_hash_table_unref);
  g_clear_pointer (&self->unanswered, g_hash_table_unref);
  g_clear_pointer (&self->last_poll, g_hash_table_unref);
  g_clear_pointer (&self->silent, g_hash_table_unref);
  g_clear_pointer (&self->handshakes, g_hash_table_unref);
  g_clear_pointer (&self->peer_certificates, g_hash_table_unref);
  g_clear_pointer (&self->connections_by_ip, g_hash_table_unref);
  g_clear_pointer (&self->listen_urls, g_ptr_array_unref);
  g_clear_pointer (&self->bundles, g_hash_table_unref);
  g_clear_object (&self->phones);
  g_clear_pointer (&self->job_by_id, g_hash_table_unref);
  g_clear_object (&self->jobs);
  g_clear_object (&self->contact);
  g_clear_object (&self->pki);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_free (self->bind_address);
  g_free (self->data_dir);
  g_strfreev (self->contact_allow);
  g_clear_pointer (&self->contact_ranges, g_ptr_array_unref);

  G_OBJECT_CLASS (wpi_service_parent_class)->finalize (object);
}

static void
wpi_service_class_init (WpiServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wpi_service_dispose;
  object_class->finalize = wpi_service_finalize;
  object_class->get_property = wpi_service_get_property;
  object_class->set_property = wpi_service_set_property;

  /* D10: seconds before the first contact-me retry, twice as long for each further one
   * (0: no wait, for tests) */
  properties[PROP_CONTACT_INITIAL_BACKOFF] =
    g_param_spec_uint ("contact-initial-backoff", NULL, NULL,
                       0, G_MAXUINT, WPI_CONTACT_BACKOFF_INITIAL / G_TIME_SPAN_SECOND,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* D10: the longest wait between contact-me retries, in seconds */
  properties[PROP_CONTACT_MAX_BACKOFF] =
    g_param_spec_uint ("contact-max-backoff", NULL, NULL,
                       0, G_MAXUINT, WPI_CONTACT_BACKOFF_LONGEST / G_TIME_SPAN_SECOND,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Days a message stays in the traffic log; 0: it is kept by count only */
  properties[PROP_TRAFFIC_RETENTION_DAYS] =
    g_param_spec_uint ("traffic-retention-days", NULL, NULL, 0, 36500, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* D22: seconds a flow may go without a message before it is closed */
  properties[PROP_FLOW_DEADLINE] =
    g_param_spec_uint ("flow-deadline", NULL, NULL, 1, 86400, WPI_FLOW_IDLE_TIMEOUT / G_TIME_SPAN_SECOND,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The most the traffic log keeps, in MiB (issue 10 §3) */
  properties[PROP_TRAFFIC_MAX_MEGABYTES] =
    g_param_spec_uint ("traffic-max-megabytes", NULL, NULL, 1, G_MAXUINT / 2, WPI_SERVICE_TRAFFIC_MAX_MEGABYTES,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* D18: milliseconds an open connection waits for its next request (10 s); shorter in
   * tests. The socket's own timeout (10 s without progress) ends a longer wait anyway. */
  properties[PROP_KEEP_ALIVE_TIMEOUT] =
    g_param_spec_uint ("keep-alive-timeout", NULL, NULL, 1, WPI_HTTP_KEEP_ALIVE_TIMEOUT_MS,
                       WPI_HTTP_KEEP_ALIVE_TIMEOUT_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* D19: address ranges (CIDR) a contact-me-uri naming another host than the phone's
   * own address may point into; empty: none */
  properties[PROP_CONTACT_ALLOW] =
    g_param_spec_boxed ("contact-allow", NULL, NULL, G_TYPE_STRV,
                        G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* D21: flows in progress above which a new one is answered CleanUp overload; 0: no limit */
  properties[PROP_MAX_FLOWS] =
    g_param_spec_uint ("max-flows", NULL, NULL, 0, G_MAXUINT, WPI_SERVICE_DEFAULT_MAX_FLOWS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* D8: PBKDF2 iterations of secure-mode-data, which the phones must use too (100,000);
   * fewer in tests */
  properties[PROP_BUNDLE_ITERATIONS] =
    g_param_spec_uint ("bundle-iterations", NULL, NULL, 1, G_MAXUINT, WPI_BUNDLE_DEFAULT_ITERATIONS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* RSA keys made in advance for bootstrap bundles (two per core, at most 16); 0 in
   * tests, which make no keys they do not need */
  properties[PROP_BUNDLE_SPARE_KEYS] =
    g_param_spec_uint ("bundle-spare-keys", NULL, NULL, 0, MAX_SPARE_KEYS, SPARE_KEYS_PER_CORE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Every message in or out, as stored in the traffic log (with its id). */
  _wpi_service_signals[SIGNAL_TRAFFIC] =
    g_signal_new ("traffic", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, WPI_TYPE_TRAFFIC_RECORD | G_SIGNAL_TYPE_STATIC_SCOPE);
  _wpi_service_signals[SIGNAL_PHONE_CHANGED] =
    g_signal_new ("phone-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, WPI_TYPE_PHONE);
  _wpi_service_signals[SIGNAL_JOB_CHANGED] =
    g_signal_new ("job-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);
  /* mac, the reason that opened the flow, "ok" or "busy" */
  _wpi_service_signals[SIGNAL_FLOW_FINISHED] =
    g_signal_new ("flow-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* kind, mac (or NULL), detail */
  _wpi_service_signals[SIGNAL_SECURITY_EVENT] =
    g_signal_new ("security-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* One human-readable line per event, what the headless service prints */
  _wpi_service_signals[SIGNAL_LOG] =
    g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The service started or stopped listening: wpi_service_get_urls() changed */
  _wpi_service_signals[SIGNAL_LISTENING_CHANGED] =
    g_signal_new ("listening-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  /* mac, the PIN's new state (its nick): the service moved a phone's current PIN on */
  _wpi_service_signals[SIGNAL_PIN_CHANGED] =
    g_signal_new ("pin-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
wpi_service_init (WpiService *self)
{
  self->flows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) _wpi_service_flow_free);
  self->flow_by_mac = g_hash_table_new (g_str_hash, g_str_equal);
  self->phones = g_list_store_new (WPI_TYPE_PHONE);
  self->phone_by_mac = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->jobs = g_list_store_new (WPI_TYPE_JOB);
  self->job_by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->contacting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->unanswered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->last_poll = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->listen_urls = g_ptr_array_new_with_free_func (g_free);
  _wpi_service_listener_init (self);
  self->contact = wpi_contact_client_new ();
  self->cancellable = g_cancellable_new ();
  self->port = WPI_DEFAULT_PORT;
  self->secure_port = WPI_DEFAULT_SECURE_PORT;
  self->contact_initial_backoff = WPI_CONTACT_BACKOFF_INITIAL / G_TIME_SPAN_SECOND;
  self->flow_deadline = WPI_FLOW_IDLE_TIMEOUT / G_TIME_SPAN_SECOND;
  self->contact_max_backoff = WPI_CONTACT_BACKOFF_LONGEST / G_TIME_SPAN_SECOND;
  self->keep_alive_timeout_ms = WPI_HTTP_KEEP_ALIVE_TIMEOUT_MS;
  self->contact_ranges = g_ptr_array_new_with_free_func (g_object_unref);
  self->max_flows = WPI_SERVICE_DEFAULT_MAX_FLOWS;
  self->traffic_max_megabytes = WPI_SERVICE_TRAFFIC_MAX_MEGABYTES;
  self->bundles = _wpi_service_bundles_new ();
  self->bundle_iterations = WPI_BUNDLE_DEFAULT_ITERATIONS;
  self->bundle_spare_keys = MIN (SPARE_KEYS_PER_CORE * g_get_num_processors (), MAX_SPARE_KEYS);
}

WpiService *
wpi_service_new (const char  *data_dir,
                 GError     **error)
{
  g_autoptr(WpiService) self = g_object_new (WPI_TYPE_SERVICE, NULL);
  g_autofree char *pki_dir = NULL;
  g_autofree char *files_dir = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self->data_dir = g_strdup (data_dir);
  if (g_mkdir_with_parents (data_dir, 0700) != 0)
    {
      g_set_error (error, WPI_SERVICE_ERROR, WPI_SERVICE_ERROR_SETUP,
                   "cannot create the data directory %s: %s", data_dir, g_strerror (errno));
      return NULL;
    }
  self->store = wpi_store_open (data_dir, error);
  if (self->store == NULL)
    return NULL;
  pki_dir = g_build_filename (data_dir, "pki", NULL);
  self->pki = wpi_pki_new (pki_dir, NULL, error);
  if (self->pki == NULL)
    return NULL;
  files_dir = g_build_filename (data_dir, "files", NULL);
  g_mkdir_with_parents (files_dir, 0700);

  _wpi_service_reload_phones (self);
  _wpi_service_reload_jobs (self);
  return g_steal_pointer (&self);
}

void
wpi_service_set_bind_address (WpiService *self,
                              const char *address)
{
  g_return_if_fail (WPI_IS_SERVICE (self));

  g_free (self->bind_address);
  self->bind_address = g_strdup (address);
}

void
wpi_service_set_ports (WpiService *self,
                       guint       port,
                       guint       secure_port)
{
  g_return_if_fail (WPI_IS_SERVICE (self));

  self->port = port;
  self->secure_port = secure_port;
}

static void
add_listen_url (WpiService     *self,
                GSocketAddress *address)
{
  GInetAddress *inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  g_autofree char *host = g_inet_address_to_string (inet);
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (address));

  g_ptr_array_add (self->listen_urls,
                   g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
                   ? g_strdup_printf ("https://[%s]:%u/", host, port)
                   : g_strdup_printf ("https://%s:%u/", host, port));
}

/* Listens on the address (NULL: every address) and port (0: any free one); returns the port. */
static guint
listen_on (WpiService      *self,
           GSocketListener *listener,
           const char      *address,
           guint            port,
           GError         **error)
{
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GInetAddress) any4 = NULL;
  g_autoptr(GSocketAddress) url4 = NULL;

  if (address != NULL)
    {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (address);
      g_autoptr(GSocketAddress) socket_address = NULL;

      if (inet == NULL)
        {
          g_set_error (error, WPI_SERVICE_ERROR, WPI_SERVICE_ERROR_LISTEN,
                       "\"%s\" is not an IP address", address);
          return 0;
        }
      socket_address = g_inet_socket_address_new (inet, port);
      if (!g_socket_listener_add_address (listener, socket_address, G_SOCKET_TYPE_STREAM,
                                          G_SOCKET_PROTOCOL_TCP, NULL, &effective, error))
        return 0;
      add_listen_url (self, effective);
      return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
    }

  /* IPv6 and IPv4 where the system has both */
  if (port == 0)
    port = g_socket_listener_add_any_inet_port (listener, NULL, error);
  else if (!g_socket_listener_add_inet_port (listener, port, NULL, error))
    port = 0;
  if (port == 0)
    return 0;
  any4 = g_inet_address_new_any (G_SOCKET_FAMILY_IPV4);
  url4 = g_inet_socket_address_new (any4, port);
  add_listen_url (self, url4);
  return port;
}

/* One HTTP server for both ports, fed by listeners of our own (wpi-service-listener.c) */
static void
create_servers (WpiService *self)
{
  self->http = wpi_http_server_new ("Workpoint-Console", _wpi_service_http_early_handler,
                                    _wpi_service_http_handler, self);
  wpi_http_server_set_keep_alive (self->http, self->keep_alive_timeout_ms, WPI_HTTP_MAX_REQUESTS);
  self->listener = g_socket_listener_new ();
  self->secure_listener = g_socket_listener_new ();
  /* GLib's default backlog of 10 overflows when a thousand phones (or a few hundred
   * abusive clients) connect at once: the kernel drops their SYNs, they retry after 1 s */
  g_socket_listener_set_backlog (self->listener, LISTEN_BACKLOG);
  g_socket_listener_set_backlog (self->secure_listener, LISTEN_BACKLOG);
}

/* wpictl builds file URLs and contact-me call-backs from these */
static void
publish_address (WpiService *self)
{
  g_autofree char *port_text = g_strdup_printf ("%u", self->bound_port);
  g_autofree char *secure_text = g_strdup_printf ("%u", self->bound_secure_port);
  g_autofree char *address = self->bind_address && strcmp (self->bind_address, "0.0.0.0") != 0
                             ? g_strdup (self->bind_address)
                             : _wpi_service_local_address_towards (self, "192.0.2.1");

  wpi_store_setting_set (self->store, "service-port", port_text, NULL);
  wpi_store_setting_set (self->store, "service-secure-port", secure_text, NULL);
  wpi_store_setting_set (self->store, "service-address", address ? address : "127.0.0.1", NULL);
}

gboolean
wpi_service_start (WpiService  *self,
                   GError     **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (WPI_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (self->http == NULL, FALSE);

  certificate = wpi_pki_get_server_certificate (self->pki, error);
  if (certificate == NULL)
    return FALSE;
  database = g_tls_file_database_new (wpi_pki_get_ca_path (self->pki), error);
  if (database == NULL)
    return FALSE;

  /* Our CA alone as the database also on the default port: glib-networking would
   * otherwise load the whole system CA store for every connection. The servers get their
   * connections with TLS already set up (wpi-service-listener.c), from our own listeners. */
  self->certificate = g_steal_pointer (&certificate);
  self->database = g_steal_pointer (&database);
  create_servers (self);

  self->bound_port = listen_on (self, self->listener, self->bind_address, self->port, &local_error);
  if (self->bound_port == 0)
    {
      g_set_error (error, WPI_SERVICE_ERROR, WPI_SERVICE_ERROR_LISTEN, "cannot listen on port %u: %s",
                   self->port, local_error ? local_error->message : "no address");
      wpi_service_stop (self);
      return FALSE;
    }
  self->bound_secure_port = listen_on (self, self->secure_listener, self->bind_address, self->secure_port,
                                       &local_error);
  if (self->bound_secure_port == 0)
    {
      g_set_error (error, WPI_SERVICE_ERROR, WPI_SERVICE_ERROR_LISTEN, "cannot listen on port %u: %s",
                   self->secure_port, local_error ? local_error->message : "no address");
      wpi_service_stop (self);
      return FALSE;
    }

  publish_address (self);
  self->max_connections = _wpi_service_connection_budget ();
  _wpi_service_accept_start (self, self->listener, FALSE);
  _wpi_service_accept_start (self, self->secure_listener, TRUE);
  /* only now: the settings bound before start() are in, so a budget larger than the
   * default deletes nothing on the way */
  apply_traffic_budget (self);
  _wpi_service_bundles_start (self);

  /* Every source of the service goes to the thread-default context it was started on,
   * which is a thread of its own under WpiServiceHost (doc/DESIGN.md, "Threads") */
  self->tick_source = g_timeout_source_new (TICK_INTERVAL_MS);
  g_source_set_callback (self->tick_source, _wpi_service_tick, self, NULL);
  g_source_attach (self->tick_source, g_main_context_get_thread_default ());
  _wpi_service_log (self, "listening on %s ports %u (Default Mode) and %u (Secure Mode)",
                    self->bind_address ? self->bind_address : "every address",
                    self->bound_port, self->bound_secure_port);
  _wpi_service_recover_interrupted_flows (self);
  self->retention_due = 0;
  _wpi_service_tick (self);
  g_signal_emit (self, _wpi_service_signals[SIGNAL_LISTENING_CHANGED], 0);
  return TRUE;
}

void
wpi_service_stop (WpiService *self)
{
  gboolean was_listening;

  g_return_if_fail (WPI_IS_SERVICE (self));

  was_listening = self->listener != NULL;
  _wpi_service_overload_summary (self, TRUE);
  if (self->tick_source != NULL)
    {
      g_source_destroy (self->tick_source);
      g_clear_pointer (&self->tick_source, g_source_unref);
    }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* the cancellable ended the pending accepts, so closing the sockets after it is no error */
  if (self->listener != NULL)
    g_socket_listener_close (self->listener);
  if (self->secure_listener != NULL)
    g_socket_listener_close (self->secure_listener);
  g_clear_object (&self->listener);
  g_clear_object (&self->secure_listener);
  _wpi_service_listener_stop (self);
  if (self->listen_urls != NULL)
    g_ptr_array_set_size (self->listen_urls, 0);
  g_clear_object (&self->certificate);
  g_clear_object (&self->database);
  _wpi_service_bundles_stop (self);
  g_clear_pointer (&self->http, wpi_http_server_free);
  if (self->flows != NULL)
    {
      g_hash_table_remove_all (self->flow_by_mac);
      g_hash_table_remove_all (self->flows);
    }
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (was_listening)
    g_signal_emit (self, _wpi_service_signals[SIGNAL_LISTENING_CHANGED], 0);
}

guint
wpi_service_get_port (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), 0);
  return self->bound_port;
}

guint
wpi_service_get_secure_port (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), 0);
  return self->bound_secure_port;
}

GStrv
wpi_service_get_urls (WpiService *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (WPI_IS_SERVICE (self), NULL);

  for (guint i = 0; i < self->listen_urls->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->listen_urls, i));
  return g_strv_builder_end (builder);
}

WpiStore *
wpi_service_get_store (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), NULL);
  return self->store;
}

WpiPki *
wpi_service_get_pki (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), NULL);
  return self->pki;
}

const char *
wpi_service_get_data_dir (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), NULL);
  return self->data_dir;
}

GListModel *
wpi_service_get_phones (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), NULL);
  return G_LIST_MODEL (self->phones);
}

void
wpi_service_reload (WpiService *self)
{
  g_return_if_fail (WPI_IS_SERVICE (self));

  _wpi_service_reload_phones (self);
  _wpi_service_reload_jobs (self);
  if (self->http != NULL)
    _wpi_service_schedule_contacts (self, NULL);
}

GListModel *
wpi_service_get_jobs (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), NULL);
  return G_LIST_MODEL (self->jobs);
}

gboolean
wpi_service_bootstrap_is_ready (WpiService *self,
                                gint64      job_id)
{
  g_autoptr(WpiJobRecord) job = NULL;

  g_return_val_if_fail (WPI_IS_SERVICE (self), FALSE);

  job = wpi_store_job_get (self->store, job_id, NULL);
  return job != NULL && !wpi_job_state_is_final (job->state) && !_wpi_service_bootstrap_waits (self, job);
}

gint64
wpi_service_enqueue_job (WpiService  *self,
                         const char  *mac,
                         WpiJobKind   kind,
                         const char  *parameter,
                         GArray      *items,
                         GError     **error)
{
  gint64 job_id = 0;

  g_return_val_if_fail (WPI_IS_SERVICE (self), 0);

  if (!wpi_store_job_enqueue (self->store, mac, kind, parameter,
                              items ? (WpiStoreItem *) items->data : NULL, items ? items->len : 0,
                              &job_id, error))
    return 0;
  /* Our own commit does not move the store's data_version: polling here would only take
   * another process's commit from the next tick, which reloads for it (wpictl's job) */
  _wpi_service_refresh_phone (self, mac);
  _wpi_service_refresh_job (self, job_id);
  g_signal_emit (self, _wpi_service_signals[SIGNAL_JOB_CHANGED], 0, job_id, wpi_job_state_to_string (WPI_JOB_STATE_QUEUED));
  if (self->http != NULL)
    _wpi_service_schedule_contacts (self, mac);
  return job_id;
}

/* Check and cancel in one transaction: another process (wpictl) sees either the queued
 * job or the cancelled one. IN_PROGRESS is the one pending state whose message may
 * already be at the phone, as wpi-bootstrap.c's cancel_waiting_bootstraps() has it. */
static gboolean
cancel_unsent_in_transaction (WpiStore  *store,
                              gpointer   user_data,
                              GError   **error)
{
  gint64 job_id = *(const gint64 *) user_data;
  g_autoptr(WpiJobRecord) job = wpi_store_job_get (store, job_id, error);

  if (job == NULL)
    return FALSE;
  if ((WPI_JOB_STATE_MASK (job->state) & WPI_JOB_STATE_MASK_PENDING) == 0 ||
      job->state == WPI_JOB_STATE_IN_PROGRESS)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE,
                   "Job %" G_GINT64_FORMAT " has already been sent to its phone", job_id);
      return FALSE;
    }
  return wpi_store_job_cancel (store, job_id, error);
}

gboolean
wpi_service_cancel_unsent_job (WpiService  *self,
                               gint64       job_id,
                               GError     **error)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), FALSE);

  if (!wpi_store_run_in_transaction (self->store, cancel_unsent_in_transaction, &job_id, error))
    return FALSE;
  _wpi_service_refresh_job (self, job_id);
  g_signal_emit (self, _wpi_service_signals[SIGNAL_JOB_CHANGED], 0, job_id,
                 wpi_job_state_to_string (WPI_JOB_STATE_CANCELLED));
  return TRUE;
}
