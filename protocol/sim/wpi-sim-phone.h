/* wpi-sim-phone.h: one simulated OpenStage phone, a real WPI client
 *
 * The phone talks HTTPS to a provisioning service exactly as a real phone would
 * (protocol.md §7, decisions.md): it registers with `start-up`, answers contact-me on
 * its own plain-HTTP listener, runs one message flow at a time, obeys the service's
 * Actions, fragments its own replies, refuses writes while in a call and honours
 * `send-solicited` when its firmware is V3R3 or newer. Everything runs on the thread-default
 * GMainContext of the thread that starts it.
 *
 * Secure Mode (protocol.md §7.15, decisions.md D6-D9, D15): a WriteItems with
 * `goto-secure-mode` is accepted and acted on after the CleanUp that ends its flow. Without
 * PIN the phone keeps the client certificate (D7), the CAs and the secure port and starts up
 * on that port. With PIN it asks for its PIN ("pin-requested"; the PIN comes from
 * wpi_sim_phone_set_pin() or the handout CSV of "pins-file", read at that moment, and while
 * it has none it asks again every "pin-interval" seconds without using up an attempt),
 * opens `secure-mode-data` with it (D8), counts each wrong PIN against `max-pin-retries`
 * (the number of attempts allowed) and, when none are left, reports `clean-up` with
 * `cleanup-reason=password retries exceeded` on the default port and stays in Default Mode;
 * with the right PIN it starts up on the secure port and answers `bootstrapping-tan` with
 * the PIN's last 3 digits. In Secure Mode every request goes to the secure port with mutual
 * TLS: the phone presents its certificate and trusts only servers its CAs signed (the
 * service's host and, for contact-me, the address the service names; downloads from the
 * service's default port move to the secure port, other file servers are fetched as in
 * Default Mode). It stays in Secure Mode across restarts; a factory reset forgets the
 * certificate, the CAs and the port. A CleanUp with `cleanup-reason=wrong TAN from device`
 * after the phone gave its TAN also takes it back to Default Mode, and it registers there
 * again.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WPI_SIM_LOGIN_PATH         "/DeploymentService/LoginService"
#define WPI_SIM_CONTACT_PATH       "/contact_dls.html/ContactDLS"
#define WPI_SIM_POLL_PATH          "/dcmp/contact-me"
#define WPI_SIM_RESTART_PASSWORD   "124816"

typedef enum {
  WPI_SIM_FIRMWARE_V1,    /*< nick=v1 >*/   /* V1 R4.9.0: plain local-changes, no send-solicited */
  WPI_SIM_FIRMWARE_V2R2,  /*< nick=v2r2 >*/ /* V2 R2.30.0: attaches changed items */
  WPI_SIM_FIRMWARE_V3R3,  /*< nick=v3r3 >*/ /* V3 R5.12.0: also honours send-solicited */
} WpiSimFirmware;

typedef enum {
  WPI_SIM_PHONE_STATE_IDLE,      /*< nick=idle >*/
  WPI_SIM_PHONE_STATE_IN_CALL,   /*< nick=in-call >*/
  WPI_SIM_PHONE_STATE_IN_FLOW,   /*< nick=in-flow >*/
  WPI_SIM_PHONE_STATE_REBOOTING, /*< nick=rebooting >*/
} WpiSimPhoneState;

typedef enum {
  WPI_SIM_PHONE_MODE_DEFAULT, /*< nick=default >*/
  WPI_SIM_PHONE_MODE_SECURE,  /*< nick=secure >*/
} WpiSimPhoneMode;

/* Seconds between two looks for a PIN that is not known yet */
#define WPI_SIM_DEFAULT_PIN_INTERVAL 2.0

#define WPI_SIM_PHONE_ERROR (wpi_sim_phone_error_quark ())

typedef enum {
  WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT, /* a bad MAC, URI, firmware name, version string ... */
  WPI_SIM_PHONE_ERROR_UNKNOWN_ITEM,     /* the phone has no such item */
  WPI_SIM_PHONE_ERROR_INVALID_INDEX,    /* index outside the item's range */
  WPI_SIM_PHONE_ERROR_INVALID_VALUE,    /* the catalogue refuses the value */
  WPI_SIM_PHONE_ERROR_READ_ONLY,        /* a local change to a read-only item */
  WPI_SIM_PHONE_ERROR_PROTOCOL,         /* the service broke the protocol (non-200, bad XML ...) */
  WPI_SIM_PHONE_ERROR_BUSY,             /* the phone cannot do that now (rebooting, stopped) */
} WpiSimPhoneError;

#define WPI_TYPE_SIM_PHONE (wpi_sim_phone_get_type ())

G_DECLARE_FINAL_TYPE (WpiSimPhone, wpi_sim_phone, WPI, SIM_PHONE, GObject)

GQuark            wpi_sim_phone_error_quark        (void);

/* Firmware of the mix: "v1", "v2r2", "v3r3" (case-insensitive). */
gboolean          wpi_sim_firmware_from_string     (const char        *name,
                                                    WpiSimFirmware    *firmware,
                                                    GError           **error);
const char       *wpi_sim_firmware_to_version      (WpiSimFirmware     firmware);
/* "3.5.12.0" (file-sw-version) -> "V3 R5.12.0" (software-version); NULL and an error when the
 * string is not four dot-separated numbers. */
char             *wpi_sim_software_version_from_file_version (const char  *file_version,
                                                              GError     **error);
/* The device types the simulator cycles through: OpenStage 15/20/40/60/80, CP400, CP600. */
const char * const *wpi_sim_device_types           (void);
/* MAC arithmetic for numbering phones: "00:1A:E8:00:00:01" + 5 = "00:1A:E8:00:00:06". */
char             *wpi_sim_mac_add                  (const char        *base_mac,
                                                    guint64            offset,
                                                    GError           **error);

/* How many HTTP(S) requests all phones of the process may have outstanding at once (0: no
 * limit). glib-networking performs each TLS handshake in a thread of GLib's shared pool,
 * blocking on the peer, so thousands of simultaneous handshakes starve the pool; the phones
 * queue instead. All phones of a process must run on one thread. */
#define WPI_SIM_DEFAULT_MAX_REQUESTS 8
void              wpi_sim_set_max_requests         (guint              max_requests);
guint             wpi_sim_get_max_requests         (void);

/* A GTlsDatabase that trusts every chain, as a phone in Default Mode does. The phones use it
 * for their own connections. glib-networking 2.74 builds a credentials object with the whole
 * system CA store for every connection (client or server) made while the process-wide default
 * database is the system one, about 10 ms of CPU each; a process that makes many connections
 * and verifies no certificate (wpi-sim) may install this one as the default with
 * g_tls_backend_set_default_database(). Transfer none. */
GTlsDatabase     *wpi_sim_accept_any_database      (void);

/* mac: upper-case colon-separated; service_uri: https://HOST:PORT (a path is ignored); the
 * contact address is where the contact-me listener binds (e.g. 127.1.0.1:8085). */
WpiSimPhone      *wpi_sim_phone_new                (const char        *mac,
                                                    const char        *e164,
                                                    const char        *device_type,
                                                    WpiSimFirmware     firmware,
                                                    const char        *service_uri,
                                                    GInetSocketAddress *contact_address);

/* Opens the contact-me listener and boots the phone (a start-up flow). With the bind-local
 * property set, its HTTPS connections leave from its contact address, as a real phone's would.
 * Behaviour is set with properties before or after start: max-items, busy-ratio,
 * call-seconds, local-changes-interval, inventory-changes-interval, ignore-contact-ratio,
 * poll-interval, poll-uri (default: the service's scheme, host and port), restart-seconds,
 * retry-seconds (0 disables a periodic behaviour); await-contact (a phone that does not know
 * the service yet: no start-up of its own, it calls where the first contact-me says).
 *
 * Secure Mode properties: pins-file (a handout CSV), pin-interval, bundle-iterations (the
 * PBKDF2 iterations of `secure-mode-data`, D8: the service's setting), wrong-tan (answer a
 * wrong `bootstrapping-tan`, for tests of the service); read-only: mode, secure-port,
 * awaiting-pin.
 *
 * Signals: flow-started (reason), flow-finished (reason, ok, detail, n_messages,
 * duration_us; a flow the service turned away with CleanUp overload ends not ok with the
 * detail WPI_SIM_FLOW_OVERLOADED and is tried again later), download-finished (name, type, ok, error), pin-requested (the phone shows
 * its PIN dialog: at the start of a PIN bootstrap, after a wrong PIN and after a reboot; a
 * handler may call wpi_sim_phone_set_pin()), pin-entered (accepted, attempts_left);
 * notify::state, ::in-call, ::pending-solicited, ::e164, ::software-version, ::mode,
 * ::awaiting-pin. */
#define WPI_SIM_FLOW_OVERLOADED "overload"

gboolean          wpi_sim_phone_start              (WpiSimPhone       *self,
                                                    GError           **error);
/* Closes the listener, cancels the running flow, downloads and timers. Idempotent. The
 * cancelled operations finish on the next main-loop iterations. */
void              wpi_sim_phone_stop               (WpiSimPhone       *self);
/* TRUE while a request, download or poll is outstanding. */
gboolean          wpi_sim_phone_has_operations     (WpiSimPhone       *self);

const char       *wpi_sim_phone_get_mac            (WpiSimPhone       *self);
const char       *wpi_sim_phone_get_e164           (WpiSimPhone       *self);
const char       *wpi_sim_phone_get_device_type    (WpiSimPhone       *self);
const char       *wpi_sim_phone_get_software_version (WpiSimPhone     *self);
const char       *wpi_sim_phone_get_contact_uri    (WpiSimPhone       *self);
const char       *wpi_sim_phone_get_service_uri    (WpiSimPhone       *self);
WpiSimPhoneState  wpi_sim_phone_get_state          (WpiSimPhone       *self);
gboolean          wpi_sim_phone_get_in_call        (WpiSimPhone       *self);
gboolean          wpi_sim_phone_get_in_flow        (WpiSimPhone       *self);
/* TRUE while a `send-solicited` indication waits for the phone to become idle. */
gboolean          wpi_sim_phone_get_pending_solicited (WpiSimPhone    *self);

/* Puts the phone into a call (no automatic end) or ends the call; ending it lets a pending
 * send-solicited indication or queued flow run. Random calls resume afterwards when the
 * busy ratio is above zero. */
void              wpi_sim_phone_set_in_call        (WpiSimPhone       *self,
                                                    gboolean           in_call);

/* Item access; index < 0 means the item without an index. get returns NULL for an item the
 * phone does not have. set stores the value as the phone's own (no report to the service);
 * it fails for an item outside the phone's item set or an index outside its range, and for a
 * value the catalogue refuses. */
const char       *wpi_sim_phone_get_item           (WpiSimPhone       *self,
                                                    const char        *name,
                                                    gint64             index);
gboolean          wpi_sim_phone_set_item           (WpiSimPhone       *self,
                                                    const char        *name,
                                                    gint64             index,
                                                    const char        *value,
                                                    GError           **error);
guint             wpi_sim_phone_get_n_items        (WpiSimPhone       *self);

/* What a user does on the phone's menu: change a writable item and report it with a
 * `local-changes` flow (V2R2+ attach the item; older firmware only set the changed flag). */
gboolean          wpi_sim_phone_change_item_locally (WpiSimPhone      *self,
                                                    const char        *name,
                                                    gint64             index,
                                                    const char        *value,
                                                    GError           **error);
/* A key module plugged in or removed: `inventory-changes` with the module items. */
void              wpi_sim_phone_change_inventory   (WpiSimPhone       *self);
/* The phone aborts the interaction from its side: the next Action the service sends (other
 * than CleanUp) is answered with a `clean-up` message carrying this cleanup-reason instead of
 * being carried out, as a real phone does after invalid XML or when the PIN retries run out
 * (protocol.md §4.1, p.13, p.83). */
void              wpi_sim_phone_abort_next_action  (WpiSimPhone       *self,
                                                    const char        *reason);
/* One DCMP poll now, regardless of the poll interval. */
void              wpi_sim_phone_poll_now           (WpiSimPhone       *self);

/* Secure Mode */
WpiSimPhoneMode   wpi_sim_phone_get_mode           (WpiSimPhone       *self);
/* The port of Secure Mode (`dls-secure-port`), 0 in Default Mode. */
guint             wpi_sim_phone_get_secure_port    (WpiSimPhone       *self);
/* TRUE while the phone waits for its PIN (a PIN bootstrap between its CleanUp and the right
 * PIN or the last wrong one). */
gboolean          wpi_sim_phone_get_awaiting_pin   (WpiSimPhone       *self);
/* The PIN the phone's user types when the phone asks (NULL: none, then the pins file is
 * read). A phone that waits for its PIN tries it at once. It takes precedence over the pins
 * file and stays set for later bootstraps. */
void              wpi_sim_phone_set_pin            (WpiSimPhone       *self,
                                                    const char        *pin);

/* Deployed-file inventory: n files, each with name, type and ok/failed status. */
guint             wpi_sim_phone_get_n_files        (WpiSimPhone       *self);
gboolean          wpi_sim_phone_get_file           (WpiSimPhone       *self,
                                                    guint              position,
                                                    const char       **name,
                                                    const char       **type,
                                                    const char       **status,
                                                    guint64           *size);

G_END_DECLS
