/* wpi-service-private.h: what the parts of WpiService share
 *
 * The service is one object in several files, cut along what each part does:
 *   wpi-service.c           the object, its properties, start/stop and the public API
 *   wpi-service-accept.c    accepting connections within the descriptors' budget
 *   wpi-service-listener.c  TLS admission: the ClientHello first, per-address limits
 *   wpi-http-server.c       HTTP/1.1 on the accepted connections (keep-alive, D18)
 *   wpi-service-http.c      the HTTP endpoints: the WPI POST, the DCMP poll, /files/
 *   wpi-service-flows.c     the flow engine and the service messages it builds
 *   wpi-service-secure.c    the Secure Mode bootstrap steps (protocol.md §7.15)
 *   wpi-service-scheduler.c contact-me scheduling, the tick, traffic retention
 *   wpi-service-deadlines.c flows that end without a CleanUp: deadline, restart (D22)
 *   wpi-service-mobility.c  mobility logon and logoff reported by inventory-changes
 *   wpi-service-admission.c D21: whether a new flow is admitted under load
 *   wpi-service-models.c    the live phones and jobs models, the traffic log
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "wpi-bootstrap-builder.h"
#include "wpi-codec.h"
#include "wpi-contact.h"
#include "wpi-http-server.h"
#include "wpi-service.h"

G_BEGIN_DECLS

/* A peer with more connections open than this is served after the others (a phone has
 * one or two at a time; what opens hundreds is not a phone, or many phones behind one
 * NAT, which then wait a little), and none of its connections stays open (D18). */
#define WPI_BUSY_PEER_CONNECTIONS  4

/* A problem that may recur thousands of times a second, logged once per interval */
typedef struct {
  gint64 logged_at;
  guint  count;
} WpiProblemLog;

/* Item values stay exact as the phone sent them (the decoder, the store, the traffic
 * log); what the service reads as a URI, address, port, number or flag is trimmed of
 * the white space and line breaks around it (issue 9 §1). NULL stays NULL. */
static inline char *
_wpi_service_trimmed (const char *value)
{
  return value != NULL ? g_strstrip (g_strdup (value)) : NULL;
}

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
  char          *claimed_contact_uri; /* a claim from a new address: applied when the flow
                                       * ends with a CleanUp (issue 10) */
  gboolean       claim;
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
  WpiHttpServer    *http;            /* both ports' connections; NULL when stopped */
  guint             keep_alive_timeout_ms;
  GSocketListener  *listener;        /* the default port's */
  GSocketListener  *secure_listener; /* the secure port's */
  guint             max_connections; /* within RLIMIT_NOFILE (wpi-service-accept.c) */
  guint             n_handshakes;    /* Handshakes running or waiting their turn */
  GHashTable       *handshakes;      /* Handshake: running, each with its deadline */
  gint64            longest_handshake_ms;
  WpiProblemLog     accept_error_log;
  WpiProblemLog     over_budget_log;
  WpiProblemLog     shed_log;
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
  guint             contact_initial_backoff; /* seconds (D10) */
  guint             contact_max_backoff;     /* seconds (D10) */
  guint             traffic_retention_days;  /* 0: the traffic log is kept by count only */
  guint             flow_deadline;           /* seconds without a message (D22) */
  guint             traffic_max_megabytes;   /* the traffic log's byte budget, in MiB */
  gint64            retention_due;           /* monotonic time of the next retention batch */
  GStrv             contact_allow;           /* D19: as set, for the property */
  GPtrArray        *contact_ranges;          /* D19: GInetAddressMask parsed from contact_allow */
  guint             max_flows;               /* D21: 0: no limit */
  gint64            overload_logged_at;      /* D21: monotonic µs of the last overload line */
  guint             overload_no_place;       /* D21: turned away since then, not yet logged: */
  guint             overload_stale;          /*      no place / waited too long */
  GSource          *tick_source;      /* on the thread-default context of start() */
  WpiBootstrapBuilder *builder;       /* bootstrap bundles (D7, D8); NULL when stopped */
  GHashTable       *bundles;          /* gint64 job id -> BundleSlot: asked for or built */
  guint             bundle_iterations; /* PBKDF2 iterations of secure-mode-data (D8) */
  guint             bundle_spare_keys; /* keys the builders make in advance */
};

enum {
  SIGNAL_TRAFFIC,
  SIGNAL_PHONE_CHANGED,
  SIGNAL_JOB_CHANGED,
  SIGNAL_FLOW_FINISHED,
  SIGNAL_SECURITY_EVENT,
  SIGNAL_LOG,
  SIGNAL_LISTENING_CHANGED,
  SIGNAL_PIN_CHANGED,
  N_SIGNALS
};

extern guint _wpi_service_signals[N_SIGNALS];

/* A refused message keeps only this much of its body in the traffic log, its size the
 * whole (issue 10 §3): a client that posts garbage fills no disk. */
#define WPI_REFUSED_BODY_KEPT_BYTES  (64 * 1024)

/* Log lines (the one-line-per-event log, stdout and the journal of the headless service)
 * hold values a phone chose: each is escaped and cut first, so that none forges a line. */
#define WPI_LOG_VALUE_MAX_CHARS   128
#define WPI_LOG_LINE_MAX_CHARS    1024

/* wpi-service.c */
void          _wpi_service_log                  (WpiService        *self,
                                                 const char        *format,
                                                 ...) G_GNUC_PRINTF (2, 3);
/* value (NULL: "-") with control characters, line separators and invalid UTF-8 as \xNN
 * or \uNNNN, cut after max_chars characters with the full size noted. Escaping twice
 * changes nothing more (the backslash itself is kept). */
char         *_wpi_service_log_escape           (const char        *value,
                                                 gsize              max_chars);

/* wpi-service-models.c */
void          _wpi_service_refresh_phone        (WpiService        *self,
                                                 const char        *mac);
void          _wpi_service_reload_phones        (WpiService        *self);
void          _wpi_service_refresh_job          (WpiService        *self,
                                                 gint64             job_id);
void          _wpi_service_reload_jobs          (WpiService        *self);
void          _wpi_service_set_phone_state      (WpiService        *self,
                                                 const char        *mac,
                                                 WpiPhoneState      state);
gboolean      _wpi_service_set_job_state        (WpiService        *self,
                                                 gint64             job_id,
                                                 WpiJobState        state,
                                                 const char        *reason,
                                                 GError           **error);
gboolean      _wpi_service_record_job_attempt   (WpiService        *self,
                                                 gint64             job_id,
                                                 gint64             next_attempt,
                                                 GError           **error);
gint64        _wpi_service_log_traffic          (WpiService        *self,
                                                 WpiTrafficRecord  *record);
void          _wpi_service_security_event       (WpiService        *self,
                                                 const char        *peer,
                                                 const char        *mac,
                                                 const char        *kind,
                                                 const char        *detail);

/* wpi-service-flows.c */
char         *_wpi_service_new_flow_id          (void);
void          _wpi_service_flow_free            (Flow              *flow);
Flow         *_wpi_service_flow_new             (WpiService        *self,
                                                 const char        *mac,
                                                 const char        *peer,
                                                 const char        *peer_ip,
                                                 guint              port,
                                                 WpiPhoneMode       port_mode,
                                                 WpiReason          opened_by);
void          _wpi_service_flow_close           (WpiService        *self,
                                                 Flow              *flow);
void          _wpi_service_flow_set_firmware    (Flow              *flow,
                                                 const char        *version);
void          _wpi_service_flow_reset_job       (Flow              *flow);
WpiMessage   *_wpi_service_reply_new            (WpiMessage        *request,
                                                 WpiAction          action);
GPtrArray    *_wpi_service_message_items        (WpiMessage        *message);
WpiMessage   *_wpi_service_flow_clean_up        (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 const char        *reason);
WpiMessage   *_wpi_service_flow_next            (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request);
gboolean      _wpi_service_finish_job           (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiJobState        state,
                                                 const char        *reason,
                                                 GError           **error);
WpiMessage   *_wpi_service_flow_on_reply        (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 GPtrArray         *items,
                                                 gint64             traffic_id,
                                                 GError           **error);
WpiMessage   *_wpi_service_flow_on_status       (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 GPtrArray         *items,
                                                 gint64             traffic_id,
                                                 GError           **error);
WpiMessage   *_wpi_service_flow_on_clean_up     (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 GError           **error);
WpiMessage   *_wpi_service_flow_on_opening      (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 GPtrArray         *items,
                                                 gboolean           phone_created,
                                                 gint64             traffic_id,
                                                 GError           **error);

/* wpi-service-imports.c: D24. Queues the registration read and the one write-items job
 * of a phone whose import waits for its first contact (nothing when none waits). */
gboolean      _wpi_service_apply_import         (WpiService        *self,
                                                 Flow              *flow,
                                                 GError           **error);

/* wpi-service-deadlines.c */
void          _wpi_service_flow_cut_short       (WpiService        *self,
                                                 Flow              *flow,
                                                 const char        *why);
void          _wpi_service_expire_flows         (WpiService        *self);

/* wpi-service-mobility.c */
gboolean      _wpi_service_note_mobility        (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 gboolean          *mobility,
                                                 GError           **error);

/* wpi-service-secure.c */
WpiJobRecord *_wpi_service_find_in_progress_job (WpiService        *self,
                                                 const char        *mac,
                                                 WpiJobKind         kind);
gboolean      _wpi_service_set_current_pin_state (WpiService       *self,
                                                  const char       *mac,
                                                  WpiPinState       state,
                                                  const char       *reason,
                                                  GError          **error);
gboolean      _wpi_service_fail_bootstrap       (WpiService        *self,
                                                 const char        *mac,
                                                 const char        *reason,
                                                 GError           **error);
WpiMessage   *_wpi_service_secure_start_up      (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 gboolean          *handled,
                                                 GError           **error);
WpiMessage   *_wpi_service_flow_on_tan          (WpiService        *self,
                                                 Flow              *flow,
                                                 WpiMessage        *request,
                                                 GPtrArray         *items,
                                                 GError           **error);
GHashTable   *_wpi_service_bundles_new          (void);
void          _wpi_service_bundles_start        (WpiService        *self);
void          _wpi_service_bundles_stop         (WpiService        *self);
gboolean      _wpi_service_bootstrap_waits      (WpiService        *self,
                                                 const WpiJobRecord *job);
void          _wpi_service_request_bundle       (WpiService        *self,
                                                 const WpiJobRecord *job,
                                                 gboolean           urgent);
gboolean      _wpi_service_bootstrap_sendable   (WpiService        *self,
                                                 const WpiJobRecord *job);
GArray       *_wpi_service_bootstrap_items      (WpiService        *self,
                                                 const WpiJobRecord *job);
void          _wpi_service_prune_bundles        (WpiService        *self,
                                                 GPtrArray         *pending);

/* wpi-service-http.c */
void          _wpi_service_http_handler         (WpiHttpExchange   *x,
                                                 gpointer           user_data);
void          _wpi_service_http_early_handler   (WpiHttpExchange   *x,
                                                 gpointer           user_data);

/* wpi-service-listener.c */
void          _wpi_service_listener_init        (WpiService        *self);
void          _wpi_service_listener_stop        (WpiService        *self);
void          _wpi_service_on_incoming          (WpiService        *self,
                                                 GSocketConnection *connection,
                                                 gboolean           secure);
gboolean      _wpi_service_shed_silent          (WpiService        *self);
gboolean      _wpi_service_shed_waiting_handshake (WpiService      *self);

/* wpi-service-accept.c */
guint         _wpi_service_connection_budget    (void);
void          _wpi_service_accept_start         (WpiService        *self,
                                                 GSocketListener   *listener,
                                                 gboolean           secure);
void          _wpi_service_log_problem          (WpiService        *self,
                                                 WpiProblemLog     *problem,
                                                 const char        *what);
guint         _wpi_service_connection_count     (WpiService        *self,
                                                 GSocketConnection *connection);
GTlsCertificate *_wpi_service_lookup_peer_certificate (WpiService  *self,
                                                       const char  *peer);

/* wpi-service-admission.c */
gboolean      _wpi_service_is_overloaded        (WpiService        *self);
gboolean      _wpi_service_ip_has_flow          (WpiService        *self,
                                                 const char        *ip);
void          _wpi_service_set_overload_wait    (GSocketConnection *connection,
                                                 gint64             waited);
gint64        _wpi_service_get_overload_wait    (GSocketConnection *connection);
WpiMessage   *_wpi_service_overload_reply       (WpiService        *self,
                                                 gint64             waited,
                                                 const char        *mac,
                                                 WpiMessage        *request);
void          _wpi_service_overload_summary     (WpiService        *self,
                                                 gboolean           now);

/* wpi-service-scheduler.c */
GTimeSpan     _wpi_service_contact_backoff      (WpiService        *self,
                                                 guint              failures);
void          _wpi_service_apply_contact_backoff (WpiService       *self);
void          _wpi_service_enforce_traffic_retention (WpiService   *self);
char         *_wpi_service_local_address_towards (WpiService       *self,
                                                  const char       *phone_ip);
void          _wpi_service_schedule_contacts    (WpiService        *self,
                                                 const char        *mac);
void          _wpi_service_recover_interrupted_flows (WpiService   *self);
gboolean      _wpi_service_tick                 (gpointer           user_data);

G_END_DECLS
