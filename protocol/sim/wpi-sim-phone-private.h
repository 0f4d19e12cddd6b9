/* wpi-sim-phone-private.h: what the parts of WpiSimPhone share (internal)
 *
 * The phone is one GObject in five files, as gnome-text-editor splits its big classes:
 * wpi-sim-phone.c (the object, its properties and state, the public functions),
 * wpi-sim-phone-flows.c (the WPI flows: messages, transport, Actions, scheduling),
 * wpi-sim-phone-secure.c (certificates, the Secure Mode bootstrap, the PIN dialog, the TAN),
 * wpi-sim-phone-downloads.c (file and software deployment) and wpi-sim-phone-listener.c
 * (contact-me and DCMP polling). Everything here runs on the phones' one thread.
 */
#pragma once

#include <string.h>

#include <libsoup/soup.h>

#include "wpi-message.h"
#include "wpi-sim-events.h"
#include "wpi-sim-items.h"
#include "wpi-sim-phone.h"

G_BEGIN_DECLS

#define SIM_DEFAULT_SERVICE_PORT 18443

typedef struct _SimFlow SimFlow;

/* What Secure Mode needs (protocol.md §7.15): the phone's certificate with its private key,
 * the CAs it trusts for the service, the port. Shared by reference: a flow keeps what it
 * started with. */
typedef struct {
  gatomicrefcount  ref_count;
  GTlsCertificate *certificate;
  GTlsDatabase    *cas;
  guint            port;
} SimCredentials;

/* A PIN bootstrap between its CleanUp and the end of the PIN dialog. */
typedef struct {
  char    *secure_mode_data;
  guint    max_attempts;      /* `max-pin-retries`: wrong PINs allowed before giving up */
  guint    failures;
} PinRequest;

typedef struct {
  char    *name;
  char    *type;
  char    *status;  /* "ok" or "failed" */
  char    *date;    /* DD:MM:YYYY as in the guide's example */
  char    *time;    /* HH:MM:SS */
  guint64  size;
} SimFile;

struct _WpiSimPhone
{
  GObject             parent_instance;

  /* identity */
  char               *mac;
  char               *device_type;
  WpiSimFirmware      firmware;
  GUri               *service;          /* scheme, host and port of the configured service */
  char               *service_uri;
  char               *initial_e164;     /* until the item set exists */
  GInetSocketAddress *contact_address;
  char               *contact_uri;
  gboolean            bind_local;

  /* behaviour */
  gint64              max_items;
  double              busy_ratio;
  double              call_seconds;
  double              local_changes_interval;
  double              inventory_changes_interval;
  double              ignore_contact_ratio;
  double              poll_interval;
  char               *poll_uri;
  double              restart_seconds;
  double              retry_seconds;
  gboolean            keep_alive;      /* a flow on one connection (D18), not one per message */
  gboolean            await_contact;   /* no start-up of its own: it waits for a contact-me
                                        * to learn the service (a sweep, issue 14) */

  /* Secure Mode */
  WpiSimPhoneMode     mode;
  SimCredentials     *credentials;      /* in Secure Mode */
  SoupSession        *secure_session;   /* mutual TLS, trusting the credentials' CAs */
  char               *tan;              /* answer to bootstrapping-tan, until it was accepted */
  PinRequest         *pin_request;      /* the PIN dialog is open */
  char               *pin;              /* what the user types, from set_pin */
  char               *pins_file;
  double              pin_interval;
  guint               bundle_iterations;
  gboolean            wrong_tan;
  gboolean            pin_attempt_running;
  guint               pin_generation;   /* a finished attempt for an older request is void */
  guint               pin_timer;
  char               *pending_clean_up; /* cleanup-reason of a clean-up to send */

  /* item set and deployed files */
  WpiSimItems        *items;
  GPtrArray          *files;            /* of SimFile */
  GPtrArray          *changed;          /* of char *, "name" or "name\x1Findex", to report */

  /* run time */
  GRand              *rand;
  SoupSession        *session;
  SoupServer         *server;
  WpiSimListener     *listener;
  GCancellable       *cancellable;      /* everything; cancelled by stop */
  GCancellable       *download_cancellable; /* background downloads; a reboot cancels them */
  SimFlow            *flow;
  guint               n_operations;
  gboolean            started;
  WpiSimPhoneState    state;
  gboolean            in_call;
  gboolean            manual_call;
  gboolean            rebooting;
  gboolean            pending_startup;
  gboolean            pending_solicited;
  gboolean            pending_contact;
  char               *contact_target;   /* base URI of the requested call-back */
  char               *abort_reason;     /* answer the next Action with clean-up */
  gboolean            pending_local_changes;
  gboolean            pending_inventory;
  gboolean            polling;
  gint64              retry_not_before;
  guint               n_failures;
  guint               kick_timer;
  guint               retry_timer;
  guint               call_timer;
  guint               local_changes_timer;
  guint               inventory_timer;
  guint               poll_timer;
  guint               reboot_timer;
};

struct _SimFlow
{
  WpiSimPhone      *phone;              /* strong */
  WpiReason         reason;
  GUri             *endpoint;
  SoupSession      *session;            /* the phone's session for this mode */
  SimCredentials   *credentials;        /* Secure Mode: presented on every request */
  char              nonce[33];
  char             *cookie;             /* "JSESSIONID=...", from the first answer */
  GCancellable     *cancellable;
  GString          *trail;              /* actions received, for the log line */
  char             *last_word;
  guint             repeats;
  guint             n_messages;
  gint64            started;
  gint64            queued;             /* time spent waiting for a request slot */
  gboolean          consumed_solicited; /* started for a send-solicited indication */
  gboolean          clears_changed_flag;/* the service learns the whole configuration */
  GPtrArray        *reported;           /* local changes this flow reports (keys) */

  /* phone-side fragmentation of the current reply */
  GPtrArray        *reply_items;        /* of WpiItem *, owned */
  GPtrArray        *fragments;          /* of GPtrArray of borrowed WpiItem * */
  guint             next_fragment;
  char             *reply_action;
  WpiMessageStatus  reply_status;

  /* what happens when the flow is over */
  SimCredentials   *bootstrap;          /* goto-secure-mode=nopin accepted */
  PinRequest       *pin_bootstrap;      /* goto-secure-mode=pin accepted */
  gboolean          answered_tan;
  gboolean          tan_refused;        /* CleanUp: wrong TAN from device */
  gboolean          overloaded;         /* CleanUp overload: sent again later (D21) */
  gboolean          reboot;
  gboolean          factory_reset;
  char             *software_url;
  char             *software_version;
};

/* The properties; the other parts notify through _wpi_sim_phone_notify(). */
typedef enum {
  PROP_0,
  PROP_MAC,
  PROP_E164,
  PROP_DEVICE_TYPE,
  PROP_FIRMWARE,
  PROP_SOFTWARE_VERSION,
  PROP_SERVICE_URI,
  PROP_CONTACT_ADDRESS,
  PROP_CONTACT_URI,
  PROP_BIND_LOCAL,
  PROP_MAX_ITEMS,
  PROP_BUSY_RATIO,
  PROP_CALL_SECONDS,
  PROP_LOCAL_CHANGES_INTERVAL,
  PROP_INVENTORY_CHANGES_INTERVAL,
  PROP_IGNORE_CONTACT_RATIO,
  PROP_POLL_INTERVAL,
  PROP_POLL_URI,
  PROP_RESTART_SECONDS,
  PROP_RETRY_SECONDS,
  PROP_STATE,
  PROP_IN_CALL,
  PROP_IN_FLOW,
  PROP_PENDING_SOLICITED,
  PROP_PINS_FILE,
  PROP_PIN_INTERVAL,
  PROP_BUNDLE_ITERATIONS,
  PROP_KEEP_ALIVE,
  PROP_AWAIT_CONTACT,
  PROP_WRONG_TAN,
  PROP_MODE,
  PROP_SECURE_PORT,
  PROP_AWAITING_PIN,
  N_PROPS
} WpiSimPhoneProp;

/* "true" or "1", as a boolean item or form field says yes */
static inline gboolean
_wpi_sim_is_true (const char *value)
{
  return value != NULL && (g_ascii_strcasecmp (value, "true") == 0 || strcmp (value, "1") == 0);
}

/* wpi-sim-phone.c: the object and its state */
void          _wpi_sim_phone_notify                (WpiSimPhone      *self,
                                                    WpiSimPhoneProp   prop);
void          _wpi_sim_phone_emit_flow_started     (WpiSimPhone      *self,
                                                    WpiReason         reason);
void          _wpi_sim_phone_emit_flow_finished    (WpiSimPhone      *self,
                                                    WpiReason         reason,
                                                    gboolean          ok,
                                                    const char       *detail,
                                                    guint             n_messages,
                                                    gint64            duration);
void          _wpi_sim_phone_emit_download_finished (WpiSimPhone     *self,
                                                    const char       *name,
                                                    const char       *type,
                                                    gboolean          ok,
                                                    const char       *error_message);
void          _wpi_sim_phone_emit_pin_requested    (WpiSimPhone      *self);
void          _wpi_sim_phone_emit_pin_entered      (WpiSimPhone      *self,
                                                    gboolean          accepted,
                                                    guint             attempts_left);
/* "V3 R5.12.0" -> 305 for the running software version */
guint         _wpi_sim_phone_get_generation        (WpiSimPhone      *self);
void          _wpi_sim_phone_operation_begin       (WpiSimPhone      *self);
void          _wpi_sim_phone_operation_end         (WpiSimPhone      *self);
void          _wpi_sim_phone_update_state          (WpiSimPhone      *self);
void          _wpi_sim_phone_set_pending_solicited (WpiSimPhone      *self,
                                                    gboolean          pending);
void          _wpi_sim_phone_reboot                (WpiSimPhone      *self,
                                                    gboolean          factory_reset);

/* wpi-sim-phone-flows.c: the WPI flows */
/* The process-wide request limit (wpi_sim_set_max_requests()): func runs when a slot is
 * free; every request that entered leaves once its answer is in. */
void          _wpi_sim_phone_gate_enter            (GFunc             func,
                                                    gpointer          data,
                                                    gint64           *waited);
void          _wpi_sim_phone_gate_leave            (void);
GPtrArray    *_wpi_sim_item_array_new              (void);
GUri         *_wpi_sim_endpoint_for                (const char       *base_uri,
                                                    GError          **error);
void          _wpi_sim_phone_add_basic_items       (WpiSimPhone      *self,
                                                    GPtrArray        *items);
/* Runs the next pending flow from the main loop, never inside another flow's callback. */
void          _wpi_sim_phone_kick                  (WpiSimPhone      *self);
void          _wpi_sim_phone_flow_reply            (SimFlow          *flow,
                                                    const char       *action,
                                                    WpiMessageStatus  status,
                                                    GPtrArray        *items);
void          _wpi_sim_phone_flow_reply_empty      (SimFlow          *flow,
                                                    const char       *action,
                                                    WpiMessageStatus  status);
void          _wpi_sim_phone_flow_send_with_items  (SimFlow          *flow,
                                                    WpiReason         reason,
                                                    GPtrArray        *items);
void          _wpi_sim_phone_flow_trail_append     (SimFlow          *flow,
                                                    const char       *word);
void          _wpi_sim_phone_flow_finish           (SimFlow          *flow,
                                                    gboolean          ok,
                                                    const char       *detail);

/* wpi-sim-phone-secure.c: certificates, bootstrap, PIN, TAN (protocol.md §7.15) */
SimCredentials *_wpi_sim_credentials_ref           (SimCredentials   *credentials);
void          _wpi_sim_credentials_unref           (SimCredentials   *credentials);
void          _wpi_sim_pin_request_free            (PinRequest       *request);
char         *_wpi_sim_base_uri_for                (const char       *scheme,
                                                    const char       *host,
                                                    int               port);
SoupSession  *_wpi_sim_phone_session_new           (WpiSimPhone      *self,
                                                    GTlsDatabase     *database);
SoupSession  *_wpi_sim_phone_get_session           (WpiSimPhone      *self,
                                                    gboolean          secure);
GUri         *_wpi_sim_phone_prepare_request       (WpiSimPhone      *self,
                                                    GUri             *uri,
                                                    SoupSession     **session,
                                                    SimCredentials  **credentials);
void          _wpi_sim_message_set_credentials     (SoupMessage      *message,
                                                    SimCredentials   *credentials);
gboolean      _wpi_sim_is_bootstrap_item           (const char       *name);
gboolean      _wpi_sim_phone_flow_take_bootstrap   (SimFlow          *flow,
                                                    WpiMessage       *answer,
                                                    GPtrArray        *refused);
WpiItem      *_wpi_sim_phone_flow_answer_tan       (SimFlow          *flow);
void          _wpi_sim_phone_flow_bootstrap_done   (SimFlow          *flow);
void          _wpi_sim_phone_leave_secure_mode     (WpiSimPhone      *self);
void          _wpi_sim_phone_end_pin_request       (WpiSimPhone      *self);
void          _wpi_sim_phone_ask_pin               (WpiSimPhone      *self);
void          _wpi_sim_phone_schedule_pin          (WpiSimPhone      *self,
                                                    double            delay,
                                                    gboolean          ask);

/* wpi-sim-phone-downloads.c: file and software deployment */
void          _wpi_sim_phone_flow_handle_file_deployment     (SimFlow    *flow,
                                                              WpiMessage *answer);
void          _wpi_sim_phone_flow_handle_software_deployment (SimFlow    *flow,
                                                              WpiMessage *answer);
/* After the flow that accepted a SoftwareDeployment: fetch, then reboot into it. */
void          _wpi_sim_phone_download_software     (WpiSimPhone      *self,
                                                    const char       *url,
                                                    char             *version);

/* wpi-sim-phone-listener.c: contact-me and polling */
void          _wpi_sim_phone_set_contact_uri       (WpiSimPhone      *self);
gboolean      _wpi_sim_phone_listen                (WpiSimPhone      *self,
                                                    GError          **error);
void          _wpi_sim_phone_stop_listening        (WpiSimPhone      *self);
void          _wpi_sim_phone_poll                  (WpiSimPhone      *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimCredentials, _wpi_sim_credentials_unref)

G_END_DECLS
