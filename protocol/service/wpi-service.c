/* wpi-service.c: the provisioning service
 *
 * One HTTP request is one phone message. Everything a message changes (the traffic log,
 * the phone, its items, its jobs) is written in one store transaction before the answer
 * leaves, so a kill -9 at any moment loses nothing that a phone was told.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gnetworking.h>
#include <libsoup/soup.h>

#include "wpi-bootstrap.h"
#include "wpi-codec.h"
#include "wpi-contact.h"
#include "wpi-pin.h"
#include "wpi-fragment.h"
#include "wpi-job.h"
#include "wpi-phone.h"
#include "wpi-service.h"

#define FACTORY_RESET_PASSWORD "124816"
#define TICK_INTERVAL_MS       500
/* A client has this long to send its first bytes (the TLS ClientHello), and a connection is
 * dropped after this long without any progress. */
#define CONNECTION_TIMEOUT_S   10
/* A peer with more connections open than this is served after the others (a phone has one
 * or two at a time; what opens hundreds is not a phone, or many phones behind one NAT,
 * which then wait a little). */
#define BUSY_PEER_CONNECTIONS  4
/* Busy peers' handshakes run one at a time (each costs an RSA signature, milliseconds of
 * CPU); more than this many waiting and the newest is closed. */
#define BUSY_HANDSHAKES_WAITING 256
#define LISTEN_BACKLOG          1024

typedef enum {
  STEP_NONE,
  STEP_REGISTRATION_READ,   /* ReadAllItems of a new or changed phone */
  STEP_JOB,                 /* a message of the current job */
  STEP_JOB_VERIFY,          /* ReadAllItems that checks a multiple file deployment */
  STEP_TAN,                 /* ReadItems bootstrapping-tan on the secure port (flow B) */
  STEP_CLEAN_UP,            /* CleanUp sent; the flow is over */
} FlowStep;

typedef struct {
  char          *id;             /* JSESSIONID value and flow id in the traffic log */
  char          *mac;
  char          *peer;
  char          *peer_ip;
  guint          port;
  WpiPhoneMode   port_mode;
  WpiReason      opened_by;
  gint64         last_activity;
  gint64         max_items;      /* the phone's maxItems, -1: no limit */
  gboolean       send_solicited; /* firmware V3R3 or newer */
  gboolean       markup_safe;    /* firmware V2 or newer handles &lt; &gt; &amp; (D16) */
  GPtrArray     *fragments;      /* WpiItem copies received with fragment="next" */
  FlowStep       step;
  WpiAction      expected;       /* the action the phone's next reply-to must answer */
  WpiJobRecord  *job;
  GPtrArray     *outbox;         /* WpiMessage: the rest of a job split into several */
  GArray        *results;        /* WpiStoreItem results gathered over the job's parts */
  GHashTable    *handled_jobs;   /* job ids tried in this flow, so none runs twice */
  WpiMessage    *last_sent;      /* the service message the phone answers next */
  gboolean       busy;
} Flow;

struct _WpiService
{
  GObject           parent_instance;

  char             *data_dir;
  WpiStore         *store;
  WpiPki           *pki;
  WpiContactClient *contact;
  SoupServer       *server;
  SoupServer       *secure_server;
  GSocketService   *listener;        /* accepts for server */
  GSocketService   *secure_listener; /* accepts for secure_server */
  GPtrArray        *listen_urls;     /* "https://ADDR:PORT/" */
  GTlsCertificate  *certificate;
  GTlsDatabase     *database;
  GHashTable       *silent;          /* Silent: connections that have not spoken yet */
  GHashTable       *peer_certificates; /* "ip:port" -> PeerCertificate, secure connections */
  GHashTable       *connections_by_ip; /* "ip" -> open connections from it (GUINT_TO_POINTER) */
  GQueue            busy_handshakes;   /* Handshake: busy peers' handshakes, waiting their turn */
  gboolean          busy_handshaking;  /* one busy peer's handshake is running */
  char             *bind_address;
  guint             port;
  guint             secure_port;
  guint             bound_port;
  guint             bound_secure_port;
  GHashTable       *flows;         /* id -> Flow */
  GHashTable       *flow_by_mac;   /* mac -> Flow, borrowed */
  GListStore       *phones;        /* WpiPhone */
  GHashTable       *phone_by_mac;  /* mac -> WpiPhone, borrowed */
  GListStore       *jobs;          /* WpiJob, by id */
  GHashTable       *job_by_id;     /* gint64 id -> WpiJob, borrowed */
  GHashTable       *contacting;    /* mac set: a contact-me is on its way */
  GHashTable       *unanswered;    /* mac -> contact-mes sent since the phone last called in */
  GHashTable       *last_poll;     /* mac -> gint64 monotonic time of its last DCMP poll */
  GCancellable     *cancellable;
  GTimeSpan         backoff_base;
  GSource          *tick_source;
};

enum {
  SIGNAL_TRAFFIC,
  SIGNAL_PHONE_CHANGED,
  SIGNAL_JOB_CHANGED,
  SIGNAL_FLOW_FINISHED,
  SIGNAL_SECURITY_EVENT,
  SIGNAL_LOG,
  SIGNAL_LISTENING_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WpiService, wpi_service, G_TYPE_OBJECT)
G_DEFINE_QUARK (wpi-service-error-quark, wpi_service_error)

static void service_log (WpiService *self, const char *format, ...) G_GNUC_PRINTF (2, 3);
static GTlsCertificate *lookup_peer_certificate (WpiService *self, const char *peer_string);

static void
service_log (WpiService *self,
             const char *format,
             ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  g_debug ("%s", line);
  g_signal_emit (self, signals[SIGNAL_LOG], 0, line);
}

/* ---- Flows ------------------------------------------------------------ */

static void
flow_free (Flow *flow)
{
  g_free (flow->id);
  g_free (flow->mac);
  g_free (flow->peer);
  g_free (flow->peer_ip);
  g_clear_pointer (&flow->fragments, g_ptr_array_unref);
  g_clear_pointer (&flow->job, wpi_job_record_free);
  g_clear_pointer (&flow->outbox, g_ptr_array_unref);
  g_clear_pointer (&flow->results, g_array_unref);
  g_clear_pointer (&flow->handled_jobs, g_hash_table_unref);
  g_clear_object (&flow->last_sent);
  g_free (flow);
}

static char *
new_session_id (void)
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

static void
flow_set_firmware (Flow       *flow,
                   const char *version)
{
  int major, minor;

  parse_firmware (version, &major, &minor);
  flow->send_solicited = major > 3 || (major == 3 && minor >= 3);
  flow->markup_safe = major >= 2;
}

static Flow *
flow_new (WpiService   *self,
          const char   *mac,
          const char   *peer,
          const char   *peer_ip,
          guint         port,
          WpiPhoneMode  port_mode,
          WpiReason     opened_by)
{
  Flow *flow = g_new0 (Flow, 1);
  Flow *previous;

  flow->id = new_session_id ();
  flow->mac = g_strdup (mac);
  flow->peer = g_strdup (peer);
  flow->peer_ip = g_strdup (peer_ip);
  flow->port = port;
  flow->port_mode = port_mode;
  flow->opened_by = opened_by;
  flow->max_items = -1;
  flow->handled_jobs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  flow->last_activity = g_get_monotonic_time ();

  /* A phone runs one flow at a time: a new one replaces what it abandoned. */
  previous = g_hash_table_lookup (self->flow_by_mac, mac);
  if (previous != NULL)
    g_hash_table_remove (self->flows, previous->id);

  g_hash_table_insert (self->flows, flow->id, flow);
  g_hash_table_insert (self->flow_by_mac, flow->mac, flow);
  return flow;
}

static void
flow_close (WpiService *self,
            Flow       *flow)
{
  g_hash_table_remove (self->flow_by_mac, flow->mac);
  g_hash_table_remove (self->flows, flow->id);
}

static void
flow_reset_job (Flow *flow)
{
  g_clear_pointer (&flow->job, wpi_job_record_free);
  g_clear_pointer (&flow->outbox, g_ptr_array_unref);
  g_clear_pointer (&flow->results, g_array_unref);
}

/* ---- Phones model ----------------------------------------------------- */

static void
refresh_phone (WpiService *self,
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

  g_signal_emit (self, signals[SIGNAL_PHONE_CHANGED], 0, phone);
}

static void
reload_phones (WpiService *self)
{
  g_autoptr(GPtrArray) records = wpi_store_phone_list (self->store, NULL);

  if (records == NULL)
    return;
  for (guint i = 0; i < records->len; i++)
    refresh_phone (self, ((WpiPhoneRecord *) g_ptr_array_index (records, i))->mac);
}

static void
refresh_job (WpiService *self,
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

static void
reload_jobs (WpiService *self)
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

static void
set_phone_state (WpiService    *self,
                 const char    *mac,
                 WpiPhoneState  state)
{
  g_autoptr(GError) error = NULL;

  if (!wpi_store_phone_set_state (self->store, mac, state, &error))
    g_warning ("Cannot store the state of %s: %s", mac, error->message);
}

static gboolean
set_job_state (WpiService   *self,
               gint64        job_id,
               WpiJobState   state,
               const char   *reason,
               GError      **error)
{
  if (!wpi_store_job_set_state (self->store, job_id, state, reason, error))
    return FALSE;
  refresh_job (self, job_id);
  g_signal_emit (self, signals[SIGNAL_JOB_CHANGED], 0, job_id, wpi_job_state_to_string (state));
  return TRUE;
}

/* An attempt changes what the live job shows (its count, its next try) */
static gboolean
record_job_attempt (WpiService  *self,
                    gint64       job_id,
                    gint64       next_attempt,
                    GError     **error)
{
  if (!wpi_store_job_record_attempt (self->store, job_id, next_attempt, error))
    return FALSE;
  refresh_job (self, job_id);
  return TRUE;
}

/* ---- Traffic ---------------------------------------------------------- */

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

static gint64
log_traffic (WpiService       *self,
             WpiTrafficRecord *record)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  if (record->time_us == 0)
    record->time_us = g_get_real_time ();
  if (!wpi_store_traffic_append (self->store, record, &id, &error))
    {
      g_warning ("Cannot log traffic: %s", error->message);
      return 0;
    }
  record->id = id;
  g_signal_emit (self, signals[SIGNAL_TRAFFIC], 0, record);
  return id;
}

static void
security_event (WpiService *self,
                const char *peer,
                const char *mac,
                const char *kind,
                const char *detail)
{
  g_autoptr(GError) error = NULL;

  if (!wpi_store_security_event_add (self->store, g_get_real_time (), peer, mac, kind, detail, &error))
    g_warning ("Cannot store a security event: %s", error->message);
  service_log (self, "SECURITY %s %s %s: %s", kind, mac ? mac : "-", peer ? peer : "-", detail);
  g_signal_emit (self, signals[SIGNAL_SECURITY_EVENT], 0, kind, mac, detail);
}

/* ---- Building service messages ---------------------------------------- */

static WpiMessage *
reply_new (WpiMessage *request,
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

static char *
expand_placeholders (const char           *value,
                     const WpiPhoneRecord *phone)
{
  g_autoptr(GString) out = g_string_new (value);

  g_string_replace (out, "{mac}", phone->mac, 0);
  g_string_replace (out, "{e164}", phone->e164 ? phone->e164 : "", 0);
  g_string_replace (out, "{ip}", phone->ip ? phone->ip : "", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The messages a job sends, or NULL with the reason it cannot run. */
static GPtrArray *
job_build_messages (WpiService    *self,
                    Flow          *flow,
                    WpiJobRecord  *job,
                    GError       **error)
{
  g_autoptr(WpiMessage) holder = wpi_message_new (WPI_MESSAGE_KIND_DLS, NULL);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(WpiPhoneRecord) phone = NULL;
  GArray *source = job->items;
  g_autoptr(WpiProfileRecord) profile = NULL;
  WpiAction action;
  GPtrArray *messages;

  switch (job->kind)
    {
    case WPI_JOB_KIND_READ_ALL:
      messages = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (messages, reply_new (holder, WPI_ACTION_READ_ALL_ITEMS));
      return messages;

    case WPI_JOB_KIND_RESTART:
    case WPI_JOB_KIND_FACTORY_RESET:
      {
        WpiMessage *restart = wpi_message_new (WPI_MESSAGE_KIND_DLS, NULL);

        wpi_message_set_action (restart, WPI_ACTION_RESTART);
        if (job->kind == WPI_JOB_KIND_FACTORY_RESET)
          {
            /* D15 / R20 */
            wpi_message_add_item (restart, "restart-password", FACTORY_RESET_PASSWORD);
            wpi_message_add_item (restart, "restart-type", "FactoryReset");
          }
        messages = g_ptr_array_new_with_free_func (g_object_unref);
        g_ptr_array_add (messages, restart);
        return messages;
      }

    case WPI_JOB_KIND_READ_ITEMS:
      action = WPI_ACTION_READ_ITEMS;
      break;
    case WPI_JOB_KIND_WRITE_ITEMS:
      action = WPI_ACTION_WRITE_ITEMS;
      break;
    case WPI_JOB_KIND_FILE_DEPLOYMENT:
      action = WPI_ACTION_FILE_DEPLOYMENT;
      break;
    case WPI_JOB_KIND_SOFTWARE_DEPLOYMENT:
      action = WPI_ACTION_SOFTWARE_DEPLOYMENT;
      break;
    case WPI_JOB_KIND_APPLY_PROFILE:
      action = WPI_ACTION_WRITE_ITEMS;
      profile = wpi_store_profile_get (self->store, job->parameter, error);
      if (profile == NULL)
        return NULL;
      source = profile->items;
      phone = wpi_store_phone_get (self->store, job->mac, error);
      if (phone == NULL)
        return NULL;
      break;
    case WPI_JOB_KIND_BOOTSTRAP:
      /* The payload prepared by wpi_bootstrap_prepare(); D12 keeps it in one message */
      action = WPI_ACTION_WRITE_ITEMS;
      break;
    default:
      g_set_error (error, WPI_SERVICE_ERROR, WPI_SERVICE_ERROR_SETUP,
                   "the service cannot run %s jobs", wpi_job_kind_to_string (job->kind));
      return NULL;
    }

  for (guint i = 0; source != NULL && i < source->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (source, WpiStoreItem, i);
      g_autofree char *value = NULL;
      WpiItem *copy;

      if (action == WPI_ACTION_READ_ITEMS)
        value = g_strdup ("");
      else if (phone != NULL)
        value = expand_placeholders (item->value ? item->value : "", phone);
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

static GPtrArray *
message_items (WpiMessage *message)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);

  for (guint i = 0; i < wpi_message_get_n_items (message); i++)
    g_ptr_array_add (items, wpi_item_copy (wpi_message_get_item (message, i)));
  return items;
}

static gboolean
has_waiting_jobs (WpiService *self,
                  Flow       *flow)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, flow->mac, NULL);

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);

      if (job->state != WPI_JOB_STATE_IN_PROGRESS)
        return TRUE;
    }
  return FALSE;
}

static WpiMessage *
flow_clean_up (WpiService *self,
               Flow       *flow,
               WpiMessage *request,
               const char *reason)
{
  WpiMessage *reply = reply_new (request, WPI_ACTION_CLEAN_UP);

  if (reason != NULL)
    wpi_message_add_item (reply, "cleanup-reason", reason);
  /* §7.12, D11: a phone that can call back by itself is asked to as long as work waits */
  if (flow->send_solicited && has_waiting_jobs (self, flow))
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
static WpiMessage *
flow_next (WpiService *self,
           Flow       *flow,
           WpiMessage *request)
{
  g_autoptr(GPtrArray) pending = NULL;

  if (flow->outbox != NULL && flow->outbox->len > 0)
    return flow_send_outbox (flow, request);
  flow_reset_job (flow);

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
      g_hash_table_add (flow->handled_jobs, g_memdup2 (&job->id, sizeof job->id));

      messages = job_build_messages (self, flow, job, &error);
      if (messages == NULL)
        {
          service_log (self, "job %" G_GINT64_FORMAT " for %s failed: %s", job->id, job->mac, error->message);
          set_job_state (self, job->id, WPI_JOB_STATE_FAILED, error->message, NULL);
          continue;
        }
      if (!set_job_state (self, job->id, WPI_JOB_STATE_IN_PROGRESS, NULL, &error))
        {
          g_warning ("Cannot start job %" G_GINT64_FORMAT ": %s", job->id, error->message);
          continue;
        }

      flow->job = wpi_job_record_copy (job);
      flow->outbox = g_steal_pointer (&messages);
      flow->results = wpi_store_item_array_new ();
      return flow_send_outbox (flow, request);
    }

  return flow_clean_up (self, flow, request, NULL);
}

static void
record_results (WpiService *self,
                Flow       *flow,
                GPtrArray  *items)
{
  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);
      gboolean seen = FALSE;

      if (item->status == NULL && flow->job->kind != WPI_JOB_KIND_READ_ITEMS)
        continue;
      /* A phone repeats e164 and the like among its basic items and as the answer:
       * one result per item, the later one wins */
      for (guint j = 0; j < flow->results->len && !seen; j++)
        {
          WpiStoreItem *result = &g_array_index (flow->results, WpiStoreItem, j);

          if (strcmp (result->name, item->name) == 0 && result->has_index == item->has_index &&
              (!item->has_index || result->index == item->index))
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

static gboolean
finish_job (WpiService   *self,
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
  if (!set_job_state (self, flow->job->id, state, reason, error))
    return FALSE;
  service_log (self, "job %" G_GINT64_FORMAT " %s for %s: %s%s%s", flow->job->id,
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


/* ---- Secure Mode (protocol.md §7.15) ---------------------------------- */

static WpiJobRecord *
find_in_progress_job (WpiService *self,
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

static gboolean
set_current_pin_state (WpiService   *self,
                       const char   *mac,
                       WpiPinState   state,
                       const char   *reason,
                       GError      **error)
{
  g_autoptr(WpiPinRecord) pin = wpi_store_pin_get_current (self->store, mac, NULL);

  if (pin == NULL)
    return TRUE;
  return wpi_store_pin_set_state (self->store, pin->id, state, reason, error);
}

/* The phone gave up (PIN retries exceeded) or sent the wrong TAN: the bootstrap failed,
 * and re-issuing makes a new PIN and bundle. */
static gboolean
fail_bootstrap (WpiService  *self,
                const char  *mac,
                const char  *reason,
                GError     **error)
{
  g_autoptr(WpiJobRecord) job = find_in_progress_job (self, mac, WPI_JOB_KIND_BOOTSTRAP);

  if (job == NULL)
    return TRUE;
  if (!set_job_state (self, job->id, WPI_JOB_STATE_FAILED, reason, error))
    return FALSE;
  /* The certificate made for this bootstrap must not open the secure port */
  {
    g_autoptr(WpiClientCert) cert = wpi_pki_lookup_client_cert (self->pki, mac, NULL);

    if (cert != NULL)
      wpi_pki_revoke_serial (self->pki, cert->serial, NULL);
  }
  if (g_strcmp0 (job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0 &&
      !set_current_pin_state (self, mac, WPI_PIN_STATE_FAILED, reason, error))
    return FALSE;
  service_log (self, "bootstrap of %s failed: %s", mac, reason);
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
  if (!set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error) ||
      !mark_secure (self, flow->mac, error))
    return FALSE;
  if (g_strcmp0 (job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0 &&
      !set_current_pin_state (self, flow->mac, WPI_PIN_STATE_VERIFIED, NULL, error))
    return FALSE;
  service_log (self, "%s is in Secure Mode (%s)", flow->mac, job->parameter);
  return TRUE;
}

/* A start-up on the secure port: flow A is complete; flow B asks for the TAN first. */
static WpiMessage *
secure_start_up (WpiService  *self,
                 Flow        *flow,
                 WpiMessage  *request,
                 gboolean    *handled,
                 GError     **error)
{
  g_autoptr(WpiJobRecord) job = find_in_progress_job (self, flow->mac, WPI_JOB_KIND_BOOTSTRAP);
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
  reply = reply_new (request, WPI_ACTION_READ_ITEMS);
  wpi_message_add_item (reply, "bootstrapping-tan", "");
  return reply;
}

static WpiMessage *
flow_on_tan (WpiService  *self,
             Flow        *flow,
             WpiMessage  *request,
             GPtrArray   *items,
             GError     **error)
{
  g_autoptr(WpiPinRecord) pin = wpi_store_pin_get_current (self->store, flow->mac, NULL);
  const char *tan = NULL;

  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);
      if (strcmp (item->name, "bootstrapping-tan") == 0 && item->status == NULL)
        tan = item->value;
    }

  if (pin != NULL && tan != NULL && wpi_pin_tan_equal (wpi_pin_get_tan (pin->pin), tan))
    {
      if (!finish_bootstrap (self, flow, flow->job, error))
        return NULL;
      flow_reset_job (flow);
      return flow_next (self, flow, request);
    }

  /* §7.15 step 9: wrong TAN, CleanUp with the reason */
  if (!fail_bootstrap (self, flow->mac, WPI_BOOTSTRAP_WRONG_TAN, error))
    return NULL;
  flow_reset_job (flow);
  return flow_clean_up (self, flow, request, WPI_BOOTSTRAP_WRONG_TAN);
}

static WpiMessage *
flow_on_reply (WpiService  *self,
               Flow        *flow,
               WpiMessage  *request,
               GPtrArray   *items,
               gint64       traffic_id,
               GError     **error)
{
  WpiAction answered = wpi_message_get_action (request);
  WpiMessageStatus status = wpi_message_get_status (request);

  if (flow->expected == WPI_ACTION_NONE || answered != flow->expected)
    {
      g_autofree char *reason = g_strdup_printf ("reply-to answers %s, but %s was sent",
                                                 wpi_message_get_action_string (request) ?: "nothing",
                                                 wpi_action_to_string (flow->expected) ?: "nothing");
      service_log (self, "%s: %s", flow->mac, reason);
      if (flow->job != NULL &&
          !finish_job (self, flow, WPI_JOB_STATE_FAILED, reason, error))
        return NULL;
      flow_reset_job (flow);
      return flow_clean_up (self, flow, request, NULL);
    }

  /* Any answer but busy means the phone is not (or no longer) in a call: D11 */
  if (status != WPI_MESSAGE_STATUS_BUSY)
    flow->busy = FALSE;

  switch (flow->step)
    {
    case STEP_REGISTRATION_READ:
      if (status == WPI_MESSAGE_STATUS_ACCEPTED)
        {
          g_autoptr(GArray) values = items_to_store (items, FALSE);
          if (!wpi_store_phone_items_replace (self->store, flow->mac, (WpiStoreItem *) values->data,
                                              values->len, g_get_real_time (), traffic_id, error))
            return NULL;
        }
      return flow_next (self, flow, request);

    case STEP_JOB_VERIFY:
      {
        g_autoptr(GArray) values = items_to_store (items, FALSE);

        if (!wpi_store_phone_items_replace (self->store, flow->mac, (WpiStoreItem *) values->data,
                                            values->len, g_get_real_time (), traffic_id, error) ||
            !finish_job (self, flow, WPI_JOB_STATE_DONE, NULL, error))
          return NULL;
        return flow_next (self, flow, request);
      }

    case STEP_TAN:
      if (status != WPI_MESSAGE_STATUS_ACCEPTED)
        {
          if (!fail_bootstrap (self, flow->mac, "the phone did not answer the bootstrapping-tan", error))
            return NULL;
          flow_reset_job (flow);
          return flow_clean_up (self, flow, request, NULL);
        }
      return flow_on_tan (self, flow, request, items, error);

    case STEP_JOB:
      break;

    case STEP_NONE:
    case STEP_CLEAN_UP:
    default:
      return flow_clean_up (self, flow, request, NULL);
    }

  g_assert (flow->job != NULL);

  if (status == WPI_MESSAGE_STATUS_BUSY)
    {
      /* older firmware: contact-mes again with the D10 back-off, growing with each try */
      GTimeSpan delay = flow->send_solicited
                        ? WPI_FLOW_IDLE_TIMEOUT * 5
                        : MIN (MAX (self->backoff_base, 1) << MIN (flow->job->attempts, 5),
                               15 * G_TIME_SPAN_MINUTE);

      /* The job waits for the phone's call to end (D11): V3R3 phones call back by
       * themselves after the send-solicited CleanUp, older ones get contact-mes. */
      if (!set_job_state (self, flow->job->id, WPI_JOB_STATE_WAITING_BUSY, NULL, error) ||
          !record_job_attempt (self, flow->job->id, g_get_real_time () + delay, error))
        return NULL;
      service_log (self, "job %" G_GINT64_FORMAT " %s for %s: phone busy, waiting", flow->job->id,
                   wpi_job_kind_to_string (flow->job->kind), flow->mac);
      flow->busy = TRUE;
      flow_reset_job (flow);
      return flow_clean_up (self, flow, request, NULL);
    }

  if (status != WPI_MESSAGE_STATUS_ACCEPTED)
    {
      g_autofree char *reason = g_strdup_printf ("the phone answered %s with status %s",
                                                 wpi_message_get_action_string (request),
                                                 wpi_message_get_status_string (request) ?: "(none)");
      record_results (self, flow, items);
      if (!finish_job (self, flow, WPI_JOB_STATE_FAILED, reason, error))
        return NULL;
      return flow_next (self, flow, request);
    }

  record_results (self, flow, items);
  switch (flow->job->kind)
    {
    case WPI_JOB_KIND_READ_ALL:
      {
        g_autoptr(GArray) values = items_to_store (items, FALSE);
        if (!wpi_store_phone_items_replace (self->store, flow->mac, (WpiStoreItem *) values->data,
                                            values->len, g_get_real_time (), traffic_id, error))
          return NULL;
      }
      break;

    case WPI_JOB_KIND_READ_ITEMS:
      {
        g_autoptr(GArray) values = items_to_store (items, FALSE);
        if (values->len > 0 &&
            !wpi_store_phone_items_update (self->store, flow->mac, (WpiStoreItem *) values->data,
                                           values->len, g_get_real_time (), traffic_id, error))
          return NULL;
      }
      break;

    case WPI_JOB_KIND_WRITE_ITEMS:
    case WPI_JOB_KIND_APPLY_PROFILE:
      if (flow->last_sent != NULL &&
          !apply_written_values (self, flow, flow->last_sent, items, traffic_id, error))
        return NULL;
      break;

    default:
      break;
    }

  if (flow->outbox != NULL && flow->outbox->len > 0)
    return flow_send_outbox (flow, request);

  if (flow->job->kind == WPI_JOB_KIND_FILE_DEPLOYMENT)
    {
      /* Several files: the phone reports nothing, so check its inventory (R22) */
      flow->step = STEP_JOB_VERIFY;
      flow->expected = WPI_ACTION_READ_ALL_ITEMS;
      return reply_new (request, WPI_ACTION_READ_ALL_ITEMS);
    }
  if (flow->job->kind == WPI_JOB_KIND_BOOTSTRAP)
    {
      /* Done when the phone starts up on the secure port (§7.15 step 5/6) */
      if (g_strcmp0 (flow->job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0 &&
          !set_current_pin_state (self, flow->mac, WPI_PIN_STATE_BUNDLE_DELIVERED, NULL, error))
        return NULL;
      service_log (self, "job %" G_GINT64_FORMAT " bootstrap for %s: bundle delivered, waiting for "
                   "the phone on the secure port", flow->job->id, flow->mac);
      flow_reset_job (flow);
      return flow_next (self, flow, request);
    }
  if (flow->job->kind == WPI_JOB_KIND_SOFTWARE_DEPLOYMENT)
    {
      /* Done when the phone starts up with the new version (§7.10) */
      service_log (self, "job %" G_GINT64_FORMAT " software-deployment for %s: accepted, "
                   "waiting for the phone to restart", flow->job->id, flow->mac);
      if (flow->results->len > 0 &&
          !wpi_store_job_set_item_results (self->store, flow->job->id,
                                           (WpiStoreItem *) flow->results->data, flow->results->len,
                                           error))
        return NULL;
      flow_reset_job (flow);
      return flow_next (self, flow, request);
    }

  if (!finish_job (self, flow, WPI_JOB_STATE_DONE, NULL, error))
    return NULL;
  return flow_next (self, flow, request);
}

/* A `status` message: the result of a single-file deployment (§7.9). */
static WpiMessage *
flow_on_status (WpiService  *self,
                Flow        *flow,
                WpiMessage  *request,
                GPtrArray   *items,
                gint64       traffic_id,
                GError     **error)
{
  g_autoptr(GArray) values = items_to_store (items, FALSE);
  g_autoptr(GString) failed = g_string_new (NULL);

  if (values->len > 0 &&
      !wpi_store_phone_items_update (self->store, flow->mac, (WpiStoreItem *) values->data,
                                     values->len, g_get_real_time (), traffic_id, error))
    return NULL;

  if (flow->job == NULL || flow->job->kind != WPI_JOB_KIND_FILE_DEPLOYMENT)
    return flow_next (self, flow, request);

  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);

      if (strcmp (item->name, "file-deployment-status") == 0 && g_ascii_strcasecmp (item->value, "ok") != 0)
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
      if (!finish_job (self, flow, WPI_JOB_STATE_FAILED, reason, error))
        return NULL;
    }
  else if (!finish_job (self, flow, WPI_JOB_STATE_DONE, NULL, error))
    return NULL;

  return flow_next (self, flow, request);
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

  if (pending == NULL)
    return FALSE;

  for (guint i = 0; i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);

      if (job->state != WPI_JOB_STATE_IN_PROGRESS)
        continue;

      switch (job->kind)
        {
        case WPI_JOB_KIND_RESTART:
          if (!set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error))
            return FALSE;
          break;

        case WPI_JOB_KIND_FACTORY_RESET:
          if (!set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error))
            return FALSE;
          if (flow->port_mode == WPI_PHONE_MODE_DEFAULT)
            {
              /* D15: back in Default Mode, and its Secure Mode certificate is void */
              g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (flow->mac);
              phone->mode = WPI_PHONE_MODE_DEFAULT;
              if (!wpi_store_phone_upsert (self->store, phone, WPI_PHONE_FIELD_MODE, NULL, error))
                return FALSE;
              service_log (self, "%s is back in Default Mode after a factory reset", flow->mac);
            }
          break;

        case WPI_JOB_KIND_SOFTWARE_DEPLOYMENT:
          {
            const char *wanted = NULL;
            int want_major = -1, want_minor = -1, want_fix = -1, major = -2, minor = -2, fix = -2;
            const char *p;

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
              {
                if (!set_job_state (self, job->id, WPI_JOB_STATE_DONE, NULL, error))
                  return FALSE;
              }
            else
              {
                g_autofree char *reason = g_strdup_printf ("the phone restarted with %s, not %s",
                                                           version ? version : "no version", wanted);
                if (!set_job_state (self, job->id, WPI_JOB_STATE_FAILED, reason, error))
                  return FALSE;
              }
          }
          break;

        default:
          break;
        }
    }
  return TRUE;
}

static gboolean
is_true (const char *value)
{
  return value != NULL && g_ascii_strcasecmp (value, "true") == 0;
}

/* The first message of a flow: start-up, solicited, local-changes, inventory-changes,
 * status without a session, or the phone's own clean-up. */
static WpiMessage *
flow_on_opening (WpiService  *self,
                 Flow        *flow,
                 WpiMessage  *request,
                 GPtrArray   *items,
                 gboolean     phone_created,
                 gint64       traffic_id,
                 GError     **error)
{
  WpiReason reason = wpi_message_get_reason (request);
  g_autoptr(GArray) values = items_to_store (items, FALSE);

  /* What the phone volunteers is its current configuration */
  if (values->len > 0 &&
      !wpi_store_phone_items_update (self->store, flow->mac, (WpiStoreItem *) values->data,
                                     values->len, g_get_real_time (), traffic_id, error))
    return NULL;

  switch (reason)
    {
    case WPI_REASON_START_UP:
      if (!complete_reboot_jobs (self, flow, request, error))
        return NULL;
      if (flow->port_mode == WPI_PHONE_MODE_SECURE)
        {
          gboolean handled = FALSE;
          WpiMessage *reply = secure_start_up (self, flow, request, &handled, error);

          if (handled)
            return reply;
        }
      if (phone_created)
        {
          g_autoptr(WpiProfileRecord) profile = wpi_store_profile_get_default (self->store, NULL);
          gint64 registration_job = 0;
          gint64 profile_job = 0;

          /* The first read of a new phone is a job of its own, stored with the phone: should
           * this flow break off (the service killed, the phone gone), the next start-up no
           * longer looks new, and the job is what still says its configuration is unknown. */
          if (!wpi_store_job_enqueue (self->store, flow->mac, WPI_JOB_KIND_READ_ALL,
                                      WPI_JOB_PARAMETER_REGISTRATION, NULL, 0, &registration_job, error))
            return NULL;
          refresh_job (self, registration_job);
          /* A new phone gets the default profile, if one is set (issue 3 §1) */
          if (profile != NULL &&
              !wpi_store_job_enqueue (self->store, flow->mac, WPI_JOB_KIND_APPLY_PROFILE,
                                      profile->name, NULL, 0, &profile_job, error))
            return NULL;
          if (profile_job != 0)
            refresh_job (self, profile_job);
          return flow_next (self, flow, request);
        }
      if (is_true (wpi_message_get_item_value (request, "configuration-changed-flag")))
        {
          flow->step = STEP_REGISTRATION_READ;
          flow->expected = WPI_ACTION_READ_ALL_ITEMS;
          return reply_new (request, WPI_ACTION_READ_ALL_ITEMS);
        }
      return flow_next (self, flow, request);

    case WPI_REASON_LOCAL_CHANGES:
    case WPI_REASON_INVENTORY_CHANGES:
      /* V2R2+ attach the changed items (stored above); older phones only flag them */
      if (!is_true (wpi_message_get_item_value (request, "configuration-attached-flag")))
        {
          flow->step = STEP_REGISTRATION_READ;
          flow->expected = WPI_ACTION_READ_ALL_ITEMS;
          return reply_new (request, WPI_ACTION_READ_ALL_ITEMS);
        }
      return flow_next (self, flow, request);

    case WPI_REASON_CLEAN_UP:
      {
        const char *why = wpi_message_get_item_value (request, "cleanup-reason");
        service_log (self, "%s aborted the interaction: %s", flow->mac, why ? why : "no reason given");
        /* Flow C: the user ran out of PIN attempts */
        if (why != NULL && !fail_bootstrap (self, flow->mac, why, error))
          return NULL;
        return flow_clean_up (self, flow, request, NULL);
      }

    case WPI_REASON_SOLICITED:
    case WPI_REASON_STATUS:
    default:
      return flow_next (self, flow, request);
    }
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
  log_traffic (self, in);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
  service_log (self, "%s %s: HTTP %u: %s", in->peer, in->mac ? in->mac : "-", status, error_text);
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
  g_autoptr(WpiJobRecord) job = find_in_progress_job (self, mac, WPI_JOB_KIND_FACTORY_RESET);

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
      GTlsCertificate *peer_cert = lookup_peer_certificate (self, ex->peer);
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

  traffic_id = log_traffic (self, ex->in);

  if (flow == NULL)
    {
      flow = flow_new (self, mac, ex->peer, ex->peer_ip, ex->port, ex->port_mode, reason);
      ex->new_flow = TRUE;
    }
  ex->flow = flow;
  flow->last_activity = g_get_monotonic_time ();
  if (wpi_message_has_max_items (ex->request))
    flow->max_items = wpi_message_get_max_items (ex->request);
  flow_set_firmware (flow, update->firmware ? update->firmware : known ? known->firmware : NULL);
  g_hash_table_remove (self->contacting, mac);
  g_hash_table_remove (self->unanswered, mac);

  /* D13: collect fragments, apply them once the final one is here */
  items = message_items (ex->request);
  if (wpi_message_get_fragment (ex->request) == WPI_FRAGMENT_NEXT)
    {
      if (flow->fragments == NULL)
        flow->fragments = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);
      g_ptr_array_extend_and_steal (flow->fragments, g_steal_pointer (&items));
      ex->reply = reply_new (ex->request, WPI_ACTION_GET_NEXT_FRAGMENT);
      return TRUE;
    }
  if (flow->fragments != NULL)
    {
      g_ptr_array_extend_and_steal (flow->fragments, g_steal_pointer (&items));
      items = g_steal_pointer (&flow->fragments);
    }

  if (reason == WPI_REASON_REPLY_TO)
    ex->reply = flow_on_reply (self, flow, ex->request, items, traffic_id, error);
  else if (reason == WPI_REASON_STATUS && !ex->new_flow)
    ex->reply = flow_on_status (self, flow, ex->request, items, traffic_id, error);
  else if (reason == WPI_REASON_CLEAN_UP && !ex->new_flow)
    {
      const char *why = wpi_message_get_item_value (ex->request, "cleanup-reason");
      g_autofree char *text = g_strdup_printf ("the phone ended the interaction: %s",
                                               why ? why : "no reason given");
      if (flow->job != NULL && !finish_job (self, flow, WPI_JOB_STATE_FAILED, text, error))
        return FALSE;
      if (why != NULL && !fail_bootstrap (self, mac, why, error))
        return FALSE;
      flow_reset_job (flow);
      ex->reply = flow_clean_up (self, flow, ex->request, NULL);
    }
  else
    ex->reply = flow_on_opening (self, flow, ex->request, items, created, traffic_id, error);

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
        flow_close (self, ex.flow);
      respond_error (self, msg, in, SOUP_STATUS_INTERNAL_SERVER_ERROR, -1, error->message);
      return;
    }

  if (ex.reply == NULL)
    {
      if (ex.security)
        security_event (self, peer, in->mac, port_mode == WPI_PHONE_MODE_DEFAULT
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
  log_traffic (self, out);

  soup_server_message_set_response (msg, "text/xml; charset=utf-8", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&xml), xml_length);

  g_set_object (&ex.flow->last_sent, ex.reply);
  if (ex.flow->step == STEP_CLEAN_UP || wpi_message_get_action (ex.reply) == WPI_ACTION_RESTART)
    {
      g_autofree char *mac = g_strdup (ex.flow->mac);
      WpiReason opened_by = ex.flow->opened_by;
      gboolean busy = ex.flow->busy;

      flow_close (self, ex.flow);
      set_phone_state (self, mac, busy ? WPI_PHONE_STATE_BUSY : WPI_PHONE_STATE_IDLE);
      refresh_phone (self, mac);
      service_log (self, "flow %s %s from %s ended%s", wpi_reason_to_string (opened_by) ?: "?", mac,
                   peer, busy ? " (phone busy)" : "");
      g_signal_emit (self, signals[SIGNAL_FLOW_FINISHED], 0, mac, wpi_reason_to_string (opened_by),
                     busy ? "busy" : "ok");
    }
  else
    refresh_phone (self, ex.flow->mac);

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

static void
server_callback (SoupServer        *server,
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
  log_traffic (self, in);
  service_log (self, "%s -: HTTP %u: %s", in->peer, status, in->error_text);
  soup_server_message_set_status (msg, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
}

/* D5: refuse an oversized body from its Content-Length, before reading it; a chunked
 * body has no length to check up front and would have to be read to learn it, so it
 * is refused as such (phones send a Content-Length; protocol.md R5). */
static void
early_callback (SoupServer        *server,
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

/* Secure port: a client certificate that does not chain to our CA (or is revoked) is
 * refused during the handshake, and the refusal is a security event. */
static gboolean
accept_certificate (GTlsConnection       *connection,
                    GTlsCertificate      *certificate,
                    GTlsCertificateFlags  errors,
                    gpointer              user_data)
{
  WpiService *self = user_data;
  g_autoptr(GError) error = NULL;
  const char *peer = g_object_get_data (G_OBJECT (connection), "wpi-peer");

  if (wpi_pki_verify_peer (self->pki, certificate, NULL, NULL, &error))
    return TRUE;
  security_event (self, peer, NULL, "client-certificate", error->message);
  return FALSE;
}

/* ---- Accepting connections ------------------------------------------- */

/* glib-networking runs each TLS handshake in a thread of GLib's small shared pool, blocking
 * until the peer has sent its part. A client that connects and says nothing, or sends half a
 * record or random bytes whose first ones read as a long record, would hold a thread until
 * the socket times out, and a few hundred of them would leave no thread for the phones. So
 * a connection gets its handshake (and its thread) only once a whole first record that looks
 * like a ClientHello is there, with CONNECTION_TIMEOUT_S to send it; anything else is closed.
 * After that the socket's timeout ends a handshake or a request that stalls. Waiting costs
 * no thread. */
typedef struct {
  WpiService        *self;
  GSocketConnection *connection;
  gboolean           secure;
  GSource           *readable;
  GSource           *timeout;
  GSource           *recheck;      /* part of the record is there: look again shortly */
} Silent;

typedef enum {
  FIRST_RECORD_INCOMPLETE,
  FIRST_RECORD_COMPLETE,
  FIRST_RECORD_NOT_TLS,
} FirstRecord;

#define MAX_TLS_RECORD 18432   /* 2^14 bytes of plaintext plus room for expansion */

/* Peeks at what the client sent so far; nothing is consumed. */
static FirstRecord
first_record_state (GSocket *socket)
{
  guint8 header[5];
  GInputVector vector = { header, sizeof header };
  gint flags = G_SOCKET_MSG_PEEK;
  gssize n, available;
  gsize length;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, NULL);
  if (n <= 0)
    return FIRST_RECORD_NOT_TLS;   /* closed, or an error */
  available = g_socket_get_available_bytes (socket);

  if (header[0] == 0x16)
    {
      /* a TLS handshake record: 3.x, a plausible length */
      if (n < 5)
        return n >= 2 && header[1] != 0x03 ? FIRST_RECORD_NOT_TLS : FIRST_RECORD_INCOMPLETE;
      length = (header[3] << 8) | header[4];
      if (header[1] != 0x03 || header[2] > 0x04 || length == 0 || length > MAX_TLS_RECORD)
        return FIRST_RECORD_NOT_TLS;
      return available >= (gssize) (5 + length) ? FIRST_RECORD_COMPLETE : FIRST_RECORD_INCOMPLETE;
    }
  if (header[0] & 0x80)
    {
      /* the SSLv2-compatible ClientHello older TLS stacks (old firmware) may send */
      if (n < 3)
        return FIRST_RECORD_INCOMPLETE;
      length = ((header[0] & 0x7f) << 8) | header[1];
      if (header[2] != 0x01 || length < 9)
        return FIRST_RECORD_NOT_TLS;
      return available >= (gssize) (2 + length) ? FIRST_RECORD_COMPLETE : FIRST_RECORD_INCOMPLETE;
    }
  return FIRST_RECORD_NOT_TLS;
}

static void
silent_free (Silent *silent)
{
  if (silent->readable != NULL)
    {
      g_source_destroy (silent->readable);
      g_source_unref (silent->readable);
    }
  if (silent->timeout != NULL)
    {
      g_source_destroy (silent->timeout);
      g_source_unref (silent->timeout);
    }
  if (silent->recheck != NULL)
    {
      g_source_destroy (silent->recheck);
      g_source_unref (silent->recheck);
    }
  g_clear_object (&silent->connection);
  g_free (silent);
}

typedef struct {
  GWeakRef  service;
  char     *ip;
} ConnectionCount;

static void
connection_count_release (gpointer data)
{
  ConnectionCount *count = data;
  g_autoptr(WpiService) self = g_weak_ref_get (&count->service);

  if (self != NULL && self->connections_by_ip != NULL)
    {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_by_ip, count->ip));

      if (n <= 1)
        g_hash_table_remove (self->connections_by_ip, count->ip);
      else
        g_hash_table_insert (self->connections_by_ip, g_strdup (count->ip), GUINT_TO_POINTER (n - 1));
    }
  g_weak_ref_clear (&count->service);
  g_free (count->ip);
  g_free (count);
}

/* Counts the connection against its peer's address until the connection is freed. */
static guint
connection_count_add (WpiService        *self,
                      GSocketConnection *connection)
{
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  ConnectionCount *count;
  guint n;

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return 0;
  count = g_new0 (ConnectionCount, 1);
  g_weak_ref_init (&count->service, self);
  count->ip = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_by_ip, count->ip)) + 1;
  g_hash_table_insert (self->connections_by_ip, g_strdup (count->ip), GUINT_TO_POINTER (n));
  g_object_set_data_full (G_OBJECT (connection), "wpi-connection-count", count, connection_count_release);
  return n;
}

static guint
connection_count (WpiService        *self,
                  GSocketConnection *connection)
{
  ConnectionCount *count = g_object_get_data (G_OBJECT (connection), "wpi-connection-count");

  return count != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (self->connections_by_ip, count->ip)) : 0;
}

/* libsoup does not see the client certificate of a connection it did not set up itself:
 * the service keeps it, by the connection's peer address, for as long as the connection
 * lives. */
typedef struct {
  GTlsCertificate *certificate;
  gconstpointer    connection;   /* only compared: which connection it belongs to */
} PeerCertificate;

static void
peer_certificate_free (PeerCertificate *peer)
{
  g_clear_object (&peer->certificate);
  g_free (peer);
}

typedef struct {
  GWeakRef  service;
  char     *peer;
} PeerCertificateOwner;

static void
peer_certificate_owner_free (gpointer data)
{
  PeerCertificateOwner *owner = data;
  g_autoptr(WpiService) self = g_weak_ref_get (&owner->service);

  /* the connection is gone: its entry goes, unless a newer connection took the address */
  if (self != NULL && self->peer_certificates != NULL)
    {
      PeerCertificate *peer = g_hash_table_lookup (self->peer_certificates, owner->peer);

      if (peer != NULL && peer->connection == (gconstpointer) owner)
        g_hash_table_remove (self->peer_certificates, owner->peer);
    }
  g_weak_ref_clear (&owner->service);
  g_free (owner->peer);
  g_free (owner);
}

static void
remember_peer_certificate (WpiService     *self,
                           GTlsConnection *tls)
{
  const char *peer_string = g_object_get_data (G_OBJECT (tls), "wpi-peer");
  GTlsCertificate *certificate = g_tls_connection_get_peer_certificate (tls);
  PeerCertificateOwner *owner;
  PeerCertificate *peer;

  if (peer_string == NULL || certificate == NULL)
    return;
  owner = g_new0 (PeerCertificateOwner, 1);
  g_weak_ref_init (&owner->service, self);
  owner->peer = g_strdup (peer_string);
  peer = g_new0 (PeerCertificate, 1);
  peer->certificate = g_object_ref (certificate);
  peer->connection = owner;
  g_hash_table_replace (self->peer_certificates, g_strdup (peer_string), peer);
  g_object_set_data_full (G_OBJECT (tls), "wpi-peer-certificate", owner, peer_certificate_owner_free);
}

static GTlsCertificate *
lookup_peer_certificate (WpiService *self,
                         const char *peer_string)
{
  PeerCertificate *peer = g_hash_table_lookup (self->peer_certificates, peer_string);

  return peer != NULL ? peer->certificate : NULL;
}

typedef struct {
  GWeakRef        service;     /* a handshake does not keep a stopped service alive */
  GTlsConnection *tls;
  GSocketAddress *local;
  GSocketAddress *remote;
  gboolean        secure;
  gboolean        busy_peer;   /* holds the busy peers' turn while it runs */
} Handshake;

static void handshake_start (Handshake *handshake);

static void
handshake_free (Handshake *handshake)
{
  g_weak_ref_clear (&handshake->service);
  g_clear_object (&handshake->tls);
  g_clear_object (&handshake->local);
  g_clear_object (&handshake->remote);
  g_free (handshake);
}

static void
handshake_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Handshake *handshake = user_data;
  g_autoptr(WpiService) self = g_weak_ref_get (&handshake->service);
  SoupServer *server = self == NULL ? NULL : handshake->secure ? self->secure_server : self->server;
  g_autoptr(GError) error = NULL;

  if (handshake->busy_peer && self != NULL)
    {
      Handshake *next = g_queue_pop_head (&self->busy_handshakes);

      self->busy_handshaking = FALSE;
      if (next != NULL)
        handshake_start (next);
    }

  if (!g_tls_connection_handshake_finish (handshake->tls, result, &error) || server == NULL)
    {
      /* a refused client certificate is a security event already (accept_certificate) */
      g_io_stream_close (G_IO_STREAM (handshake->tls), NULL, NULL);
      handshake_free (handshake);
      return;
    }
  if (handshake->secure)
    remember_peer_certificate (self, handshake->tls);
  if (!soup_server_accept_iostream (server, G_IO_STREAM (handshake->tls), handshake->local,
                                    handshake->remote, &error))
    g_warning ("Cannot accept a connection: %s", error->message);
  handshake_free (handshake);
}

static void
hand_over (WpiService        *self,
           GSocketConnection *connection,
           gboolean           secure)
{
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  Handshake *handshake;

  g_socket_set_timeout (g_socket_connection_get_socket (connection), CONNECTION_TIMEOUT_S);
  /* as libsoup does for the sockets it accepts itself: an answer's headers and body must
   * not wait for the phone's delayed ACK */
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  /* The database at construction: g_tls_server_connection_new() would first build the
   * credentials from the default database, the whole system CA store, for every connection. */
  tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                        NULL, &error,
                        "base-io-stream", connection,
                        "certificate", self->certificate,
                        "database", self->database,
                        "authentication-mode", secure ? G_TLS_AUTHENTICATION_REQUIRED
                                                      : G_TLS_AUTHENTICATION_NONE,
                        "require-close-notify", FALSE,
                        NULL);
  if (tls == NULL)
    {
      g_warning ("Cannot set up TLS: %s", error->message);
      return;
    }

  handshake = g_new0 (Handshake, 1);
  g_weak_ref_init (&handshake->service, self);
  handshake->tls = G_TLS_CONNECTION (g_steal_pointer (&tls));
  handshake->local = g_socket_connection_get_local_address (connection, NULL);
  handshake->remote = g_socket_connection_get_remote_address (connection, NULL);
  handshake->secure = secure;
  if (secure)
    {
      g_autofree char *peer = NULL;

      if (G_IS_INET_SOCKET_ADDRESS (handshake->remote))
        {
          GInetSocketAddress *remote = G_INET_SOCKET_ADDRESS (handshake->remote);
          g_autofree char *ip = g_inet_address_to_string (g_inet_socket_address_get_address (remote));

          peer = g_strdup_printf ("%s:%u", ip, g_inet_socket_address_get_port (remote));
        }
      g_object_set_data_full (G_OBJECT (handshake->tls), "wpi-peer", g_steal_pointer (&peer), g_free);
      g_signal_connect_object (handshake->tls, "accept-certificate", G_CALLBACK (accept_certificate), self, 0);
    }
  handshake->busy_peer = connection_count (self, connection) > BUSY_PEER_CONNECTIONS;
  if (handshake->busy_peer && self->busy_handshaking)
    {
      if (self->busy_handshakes.length >= BUSY_HANDSHAKES_WAITING)
        {
          g_io_stream_close (G_IO_STREAM (handshake->tls), NULL, NULL);
          handshake_free (handshake);
          return;
        }
      g_queue_push_tail (&self->busy_handshakes, handshake);
      return;
    }
  handshake_start (handshake);
}

/* The bytes are there: the thread it takes will not wait long (and never longer than the
 * socket's timeout). A peer with many connections open gets one handshake at a time, and
 * GLib's pool, which runs waiting tasks by priority, puts that one behind the phones': so a
 * flood from one address costs at most one thread and a share of the CPU. */
static void
handshake_start (Handshake *handshake)
{
  g_autoptr(WpiService) self = g_weak_ref_get (&handshake->service);

  if (handshake->busy_peer)
    self->busy_handshaking = TRUE;
  g_tls_connection_handshake_async (handshake->tls, handshake->busy_peer ? G_PRIORITY_LOW : G_PRIORITY_DEFAULT,
                                    self->cancellable, handshake_done, handshake);
}

static gboolean silent_readable (GSocket *socket, GIOCondition condition, gpointer user_data);

static gboolean
silent_recheck (gpointer user_data)
{
  Silent *silent = user_data;
  GSocket *socket = g_socket_connection_get_socket (silent->connection);

  g_clear_pointer (&silent->recheck, g_source_unref);
  return silent_readable (socket, g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR),
                          silent);
}

static gboolean
silent_readable (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  Silent *silent = user_data;
  WpiService *self = silent->self;

  switch (first_record_state (socket))
    {
    case FIRST_RECORD_COMPLETE:
      hand_over (self, silent->connection, silent->secure);
      break;

    case FIRST_RECORD_INCOMPLETE:
      /* The bytes stay readable until the handshake reads them: instead of a source that
       * would fire at once again, a look in a moment. */
      if (silent->readable != NULL)
        {
          g_source_destroy (silent->readable);
          g_clear_pointer (&silent->readable, g_source_unref);
        }
      silent->recheck = g_timeout_source_new (20);
      g_source_set_callback (silent->recheck, silent_recheck, silent, NULL);
      g_source_attach (silent->recheck, g_main_context_get_thread_default ());
      return G_SOURCE_REMOVE;

    case FIRST_RECORD_NOT_TLS:
    default:
      g_io_stream_close (G_IO_STREAM (silent->connection), NULL, NULL);
      break;
    }
  g_hash_table_remove (self->silent, silent);
  return G_SOURCE_REMOVE;
}

static gboolean
silent_timeout (gpointer user_data)
{
  Silent *silent = user_data;

  g_io_stream_close (G_IO_STREAM (silent->connection), NULL, NULL);
  g_hash_table_remove (silent->self->silent, silent);
  return G_SOURCE_REMOVE;
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  WpiService *self = user_data;
  Silent *silent = g_new0 (Silent, 1);
  GSocket *socket = g_socket_connection_get_socket (connection);

  /* the peeks at the first record must never wait (the streams choose for themselves) */
  g_socket_set_blocking (socket, FALSE);
  connection_count_add (self, connection);
  silent->self = self;
  silent->connection = g_object_ref (connection);
  silent->secure = service == self->secure_listener;
  silent->readable = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (silent->readable, (GSourceFunc) (void (*) (void)) silent_readable, silent, NULL);
  g_source_attach (silent->readable, g_main_context_get_thread_default ());
  silent->timeout = g_timeout_source_new_seconds (CONNECTION_TIMEOUT_S);
  g_source_set_callback (silent->timeout, silent_timeout, silent, NULL);
  g_source_attach (silent->timeout, g_main_context_get_thread_default ());
  g_hash_table_add (self->silent, silent);
  return TRUE;
}

/* ---- Scheduler: contact-me and flow expiry ---------------------------- */

typedef struct {
  WpiService *self;
  char       *mac;
} ContactData;

static void
contact_data_free (ContactData *data)
{
  g_object_unref (data->self);
  g_free (data->mac);
  g_free (data);
}

static void
contact_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  ContactData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!wpi_contact_client_contact_finish (WPI_CONTACT_CLIENT (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        service_log (data->self, "contact-me %s: %s", data->mac, error->message);
      g_hash_table_remove (data->self->contacting, data->mac);
    }
  /* On success the phone's solicited flow clears the contacting mark. */
  contact_data_free (data);
}

/* The address the phone should call back: the local address that routes to it. */
static char *
local_address_towards (WpiService *self,
                       const char *phone_ip)
{
  g_autoptr(GInetAddress) target = g_inet_address_new_from_string (phone_ip);
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autoptr(GSocketAddress) local = NULL;

  if (self->bind_address != NULL && strcmp (self->bind_address, "0.0.0.0") != 0 &&
      strcmp (self->bind_address, "::") != 0)
    return g_strdup (self->bind_address);
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

static void
contact_phone (WpiService   *self,
               WpiPhoneRecord *phone,
               GPtrArray    *jobs)
{
  g_autofree char *uri = NULL;
  g_autofree char *callback = NULL;
  gint64 now = g_get_real_time ();
  guint attempts = 0;
  /* Only contact-mes the phone did not follow count here: one that calls back and says
   * busy (D11) is reachable however long its call lasts. The job's attempts, which also
   * count busy answers, set the back-off. */
  guint unanswered = GPOINTER_TO_UINT (g_hash_table_lookup (self->unanswered, phone->mac));
  ContactData *data;

  for (guint i = 0; i < jobs->len; i++)
    attempts = MAX (attempts, ((WpiJobRecord *) g_ptr_array_index (jobs, i))->attempts);

  /* D10: a phone that never answers is unreachable, not retried for ever */
  if (unanswered >= WPI_CONTACT_MAX_FAILURES)
    {
      g_autofree char *reason = g_strdup_printf ("phone unreachable: %u contact-mes unanswered", unanswered);

      for (guint i = 0; i < jobs->len; i++)
        set_job_state (self, ((WpiJobRecord *) g_ptr_array_index (jobs, i))->id,
                       WPI_JOB_STATE_FAILED, reason, NULL);
      set_phone_state (self, phone->mac, WPI_PHONE_STATE_UNREACHABLE);
      service_log (self, "%s: %s", phone->mac, reason);
      refresh_phone (self, phone->mac);
      /* a job queued later gets its own tries */
      g_hash_table_remove (self->unanswered, phone->mac);
      return;
    }

  uri = phone->contact_me_uri != NULL ? g_strdup (phone->contact_me_uri)
                                      : wpi_contact_uri_for_address (phone->ip);
  callback = local_address_towards (self, phone->ip);

  for (guint i = 0; i < jobs->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (jobs, i);
      GTimeSpan delay = MAX (self->backoff_base, 1) << MIN (job->attempts, 5);

      delay = MIN (delay, 15 * G_TIME_SPAN_MINUTE);
      if (job->state == WPI_JOB_STATE_QUEUED)
        set_job_state (self, job->id, WPI_JOB_STATE_CONTACTING, NULL, NULL);
      record_job_attempt (self, job->id, now + delay, NULL);
    }

  g_hash_table_add (self->contacting, g_strdup (phone->mac));
  g_hash_table_insert (self->unanswered, g_strdup (phone->mac), GUINT_TO_POINTER (unanswered + 1));
  data = g_new0 (ContactData, 1);
  data->self = g_object_ref (self);
  data->mac = g_strdup (phone->mac);
  service_log (self, "contact-me %s at %s (attempt %u)", phone->mac, uri, attempts + 1);
  wpi_contact_client_contact_async (self->contact, uri, callback, self->bound_port,
                                    self->cancellable, contact_done, data);
}

/* mac: only that phone's jobs (a job just queued), NULL: every phone's. Queuing jobs for
 * many phones one by one would otherwise read every pending job each time. */
static void
schedule_contacts (WpiService *self,
                   const char *mac)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, mac, NULL);
  g_autoptr(GHashTable) due = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                     (GDestroyNotify) g_ptr_array_unref);
  gint64 now = g_get_real_time ();
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);
      GPtrArray *list;
      gpointer polled;

      if (job->state == WPI_JOB_STATE_IN_PROGRESS || job->next_attempt_us > now ||
          g_hash_table_contains (self->flow_by_mac, job->mac) ||
          g_hash_table_contains (self->contacting, job->mac))
        continue;
      /* A phone polled within the last 10 minutes will see its work by polling (D14) */
      if (g_hash_table_lookup_extended (self->last_poll, job->mac, NULL, &polled) &&
          g_get_monotonic_time () - (gint64) GPOINTER_TO_SIZE (polled) < 10 * G_TIME_SPAN_MINUTE)
        continue;

      list = g_hash_table_lookup (due, job->mac);
      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (due, job->mac, list);
        }
      g_ptr_array_add (list, job);
    }

  g_hash_table_iter_init (&iter, due);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (self->store, key, NULL);

      if (phone == NULL || (phone->contact_me_uri == NULL && phone->ip == NULL))
        continue;   /* never heard of: it gets its jobs when it registers */
      contact_phone (self, phone, value);
    }
}

/* What a service that stopped without ending its flows (kill -9, power loss) left behind.
 * Its jobs in progress have nobody talking to the phone about them any more: they count as
 * a failed attempt and start again at once. Those that complete at the phone's next start-up
 * (restart, factory reset, firmware, bootstrap) wait for it instead. No phone is in a
 * session with a service that has just started. */
static void
recover_interrupted_flows (WpiService *self)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (self->store, NULL, NULL);
  g_autoptr(GPtrArray) phones = wpi_store_phone_list (self->store, NULL);

  for (guint i = 0; phones != NULL && i < phones->len; i++)
    {
      WpiPhoneRecord *phone = g_ptr_array_index (phones, i);

      if (phone->state == WPI_PHONE_STATE_IN_SESSION)
        {
          set_phone_state (self, phone->mac, WPI_PHONE_STATE_IDLE);
          refresh_phone (self, phone->mac);
        }
    }

  for (guint i = 0; pending != NULL && i < pending->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (pending, i);
      g_autoptr(GError) error = NULL;

      if (job->state != WPI_JOB_STATE_IN_PROGRESS || job->kind == WPI_JOB_KIND_RESTART ||
          job->kind == WPI_JOB_KIND_FACTORY_RESET || job->kind == WPI_JOB_KIND_SOFTWARE_DEPLOYMENT ||
          job->kind == WPI_JOB_KIND_BOOTSTRAP)
        continue;
      if (!set_job_state (self, job->id, WPI_JOB_STATE_QUEUED, NULL, &error) ||
          !record_job_attempt (self, job->id, 0, &error))
        {
          g_warning ("Cannot requeue job %" G_GINT64_FORMAT ": %s", job->id, error->message);
          continue;
        }
      service_log (self, "job %" G_GINT64_FORMAT " %s for %s was cut short by a stop of the service; "
                   "queued again", job->id, wpi_job_kind_to_string (job->kind), job->mac);
    }
}

static void
expire_flows (WpiService *self)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->flows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now - ((Flow *) value)->last_activity > WPI_FLOW_IDLE_TIMEOUT)
      g_ptr_array_add (expired, value);

  for (guint i = 0; i < expired->len; i++)
    {
      Flow *flow = g_ptr_array_index (expired, i);
      g_autofree char *mac = g_strdup (flow->mac);

      /* A job cut short goes back to the queue, unless it ends in a reboot */
      if (flow->job != NULL && flow->job->kind != WPI_JOB_KIND_RESTART &&
          flow->job->kind != WPI_JOB_KIND_FACTORY_RESET)
        set_job_state (self, flow->job->id, WPI_JOB_STATE_QUEUED, NULL, NULL);
      service_log (self, "flow of %s expired after %d s without a message", mac,
                   (int) (WPI_FLOW_IDLE_TIMEOUT / G_TIME_SPAN_SECOND));
      flow_close (self, flow);
      set_phone_state (self, mac, WPI_PHONE_STATE_IDLE);
      refresh_phone (self, mac);
    }
}

static gboolean
tick (gpointer user_data)
{
  WpiService *self = user_data;

  if (wpi_store_poll_external_change (self->store))
    {
      reload_phones (self);
      reload_jobs (self);
    }
  expire_flows (self);
  schedule_contacts (self, NULL);
  return G_SOURCE_CONTINUE;
}

/* ---- Object ----------------------------------------------------------- */

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
  g_clear_pointer (&self->peer_certificates, g_hash_table_unref);
  g_clear_pointer (&self->connections_by_ip, g_hash_table_unref);
  g_clear_pointer (&self->listen_urls, g_ptr_array_unref);
  g_clear_object (&self->phones);
  g_clear_pointer (&self->job_by_id, g_hash_table_unref);
  g_clear_object (&self->jobs);
  g_clear_object (&self->contact);
  g_clear_object (&self->pki);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_free (self->bind_address);
  g_free (self->data_dir);

  G_OBJECT_CLASS (wpi_service_parent_class)->finalize (object);
}

static void
wpi_service_class_init (WpiServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wpi_service_dispose;
  object_class->finalize = wpi_service_finalize;

  /* Every message in or out, as stored in the traffic log (with its id). */
  signals[SIGNAL_TRAFFIC] =
    g_signal_new ("traffic", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, WPI_TYPE_TRAFFIC_RECORD | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_PHONE_CHANGED] =
    g_signal_new ("phone-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, WPI_TYPE_PHONE);
  signals[SIGNAL_JOB_CHANGED] =
    g_signal_new ("job-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);
  /* mac, the reason that opened the flow, "ok" or "busy" */
  signals[SIGNAL_FLOW_FINISHED] =
    g_signal_new ("flow-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* kind, mac (or NULL), detail */
  signals[SIGNAL_SECURITY_EVENT] =
    g_signal_new ("security-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  /* One human-readable line per event, what the headless service prints */
  signals[SIGNAL_LOG] =
    g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  /* The service started or stopped listening: wpi_service_get_urls() changed */
  signals[SIGNAL_LISTENING_CHANGED] =
    g_signal_new ("listening-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
wpi_service_init (WpiService *self)
{
  self->flows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) flow_free);
  self->flow_by_mac = g_hash_table_new (g_str_hash, g_str_equal);
  self->phones = g_list_store_new (WPI_TYPE_PHONE);
  self->phone_by_mac = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->jobs = g_list_store_new (WPI_TYPE_JOB);
  self->job_by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->contacting = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->unanswered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->last_poll = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->silent = g_hash_table_new_full (g_direct_hash, g_direct_equal, (GDestroyNotify) silent_free, NULL);
  self->listen_urls = g_ptr_array_new_with_free_func (g_free);
  self->peer_certificates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                   (GDestroyNotify) peer_certificate_free);
  self->connections_by_ip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->contact = wpi_contact_client_new ();
  self->cancellable = g_cancellable_new ();
  self->port = WPI_DEFAULT_PORT;
  self->secure_port = WPI_DEFAULT_SECURE_PORT;
  self->backoff_base = 30 * G_TIME_SPAN_SECOND;
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

  reload_phones (self);
  reload_jobs (self);
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

void
wpi_service_set_contact_backoff_base (WpiService *self,
                                      GTimeSpan   base)
{
  g_return_if_fail (WPI_IS_SERVICE (self));

  self->backoff_base = base;
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
           GSocketService  *service,
           const char      *address,
           guint            port,
           GError         **error)
{
  GSocketListener *listener = G_SOCKET_LISTENER (service);
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

gboolean
wpi_service_start (WpiService  *self,
                   GError     **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (WPI_IS_SERVICE (self), FALSE);
  g_return_val_if_fail (self->server == NULL, FALSE);

  certificate = wpi_pki_get_server_certificate (self->pki, error);
  if (certificate == NULL)
    return FALSE;
  database = g_tls_file_database_new (wpi_pki_get_ca_path (self->pki), error);
  if (database == NULL)
    return FALSE;

  /* Our CA alone as the database also on the default port: glib-networking would
   * otherwise load the whole system CA store for every connection. The servers get their
   * connections with TLS already set up (hand_over()), from our own listeners. */
  self->certificate = g_steal_pointer (&certificate);
  self->database = g_steal_pointer (&database);
  self->server = soup_server_new ("server-header", "Workpoint-Console", NULL);
  self->secure_server = soup_server_new ("server-header", "Workpoint-Console", NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
  soup_server_add_handler (self->secure_server, NULL, server_callback, self, NULL);
  /* The early handler shares the default handler's path: a handler registered for a
   * path of its own would have no late callback and answer 500. */
  soup_server_add_early_handler (self->server, NULL, early_callback, self, NULL);
  soup_server_add_early_handler (self->secure_server, NULL, early_callback, self, NULL);
  self->listener = g_socket_service_new ();
  self->secure_listener = g_socket_service_new ();
  /* GLib's default backlog of 10 overflows when a thousand phones (or a few hundred
   * abusive clients) connect at once: the kernel drops their SYNs, they retry after 1 s */
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->listener), LISTEN_BACKLOG);
  g_socket_listener_set_backlog (G_SOCKET_LISTENER (self->secure_listener), LISTEN_BACKLOG);
  g_signal_connect (self->listener, "incoming", G_CALLBACK (on_incoming), self);
  g_signal_connect (self->secure_listener, "incoming", G_CALLBACK (on_incoming), self);

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

  /* wpictl builds file URLs and contact-me call-backs from these */
  {
    g_autofree char *port_text = g_strdup_printf ("%u", self->bound_port);
    g_autofree char *secure_text = g_strdup_printf ("%u", self->bound_secure_port);
    g_autofree char *address = self->bind_address && strcmp (self->bind_address, "0.0.0.0") != 0
                               ? g_strdup (self->bind_address) : local_address_towards (self, "192.0.2.1");

    wpi_store_setting_set (self->store, "service-port", port_text, NULL);
    wpi_store_setting_set (self->store, "service-secure-port", secure_text, NULL);
    wpi_store_setting_set (self->store, "service-address", address ? address : "127.0.0.1", NULL);
  }

  /* Every source of the service goes to the thread-default context it was started on,
   * which is a thread of its own under WpiServiceHost */
  self->tick_source = g_timeout_source_new (TICK_INTERVAL_MS);
  g_source_set_callback (self->tick_source, tick, self, NULL);
  g_source_attach (self->tick_source, g_main_context_get_thread_default ());
  service_log (self, "listening on %s ports %u (Default Mode) and %u (Secure Mode)",
               self->bind_address ? self->bind_address : "every address",
               self->bound_port, self->bound_secure_port);
  recover_interrupted_flows (self);
  tick (self);
  g_signal_emit (self, signals[SIGNAL_LISTENING_CHANGED], 0);
  return TRUE;
}

void
wpi_service_stop (WpiService *self)
{
  gboolean was_listening;

  g_return_if_fail (WPI_IS_SERVICE (self));

  was_listening = self->listener != NULL;
  if (self->tick_source != NULL)
    {
      g_source_destroy (self->tick_source);
      g_clear_pointer (&self->tick_source, g_source_unref);
    }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* stop() cancels the pending accept, so closing the sockets after it is no error */
  if (self->listener != NULL)
    {
      g_socket_service_stop (self->listener);
      g_socket_listener_close (G_SOCKET_LISTENER (self->listener));
    }
  if (self->secure_listener != NULL)
    {
      g_socket_service_stop (self->secure_listener);
      g_socket_listener_close (G_SOCKET_LISTENER (self->secure_listener));
    }
  g_clear_object (&self->listener);
  g_clear_object (&self->secure_listener);
  if (self->silent != NULL)
    g_hash_table_remove_all (self->silent);
  g_queue_clear_full (&self->busy_handshakes, (GDestroyNotify) handshake_free);
  self->busy_handshaking = FALSE;
  if (self->listen_urls != NULL)
    g_ptr_array_set_size (self->listen_urls, 0);
  g_clear_object (&self->certificate);
  g_clear_object (&self->database);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  if (self->secure_server != NULL)
    soup_server_disconnect (self->secure_server);
  g_clear_object (&self->server);
  g_clear_object (&self->secure_server);
  if (self->flows != NULL)
    {
      g_hash_table_remove_all (self->flow_by_mac);
      g_hash_table_remove_all (self->flows);
    }
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  if (was_listening)
    g_signal_emit (self, signals[SIGNAL_LISTENING_CHANGED], 0);
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

  reload_phones (self);
  reload_jobs (self);
  if (self->server != NULL)
    schedule_contacts (self, NULL);
}

GListModel *
wpi_service_get_jobs (WpiService *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE (self), NULL);
  return G_LIST_MODEL (self->jobs);
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
  /* our own commit need not wait for the next poll */
  wpi_store_poll_external_change (self->store);
  refresh_phone (self, mac);
  refresh_job (self, job_id);
  g_signal_emit (self, signals[SIGNAL_JOB_CHANGED], 0, job_id, wpi_job_state_to_string (WPI_JOB_STATE_QUEUED));
  if (self->server != NULL)
    schedule_contacts (self, mac);
  return job_id;
}
