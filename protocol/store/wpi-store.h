/* wpi-store.h: the durable state of the provisioning service (SQLite)
 *
 * One WpiStore is one connection to `workpoint.db` in a data directory. Several
 * connections, in one process or several (the service and `wpictl`), may use the same
 * store at once: the database runs in WAL mode with a busy timeout, and a connection
 * learns of another's commits through wpi_store_poll_external_change() or the
 * ::external-change signal.
 *
 * Durability: every write commits with synchronous=FULL before the call returns (or,
 * inside wpi_store_transaction_begin()/commit(), when the outermost commit returns), so
 * what a caller has been told is stored survives kill -9 and power loss.
 *
 * Every call that changes more than one row runs in one transaction; a call that fails
 * leaves the store as it was, also inside a caller's transaction (it rolls back to a
 * savepoint). Functions that take a MAC accept any form wpi_mac_normalize() accepts.
 *
 * Threads: a WpiStore belongs to the thread that uses it. Another thread opens its own
 * WpiStore on the same data directory (cheap; SQLite coordinates them).
 *
 * Rows come back as plain boxed structs owned by the caller. Lists of rows are
 * GPtrArrays that free their elements; lists of items are GArrays of WpiStoreItem that
 * clear their elements, and their ->data can be passed straight back as an input.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-mac.h"
#include "wpi-message.h"
#include "wpi-phone-list-csv.h"

G_BEGIN_DECLS

#define WPI_STORE_DB_NAME                 "workpoint.db"
/* The schema this build writes; an older store is migrated on open, a newer one refused. */
#define WPI_STORE_SCHEMA_VERSION          4
/* Setting: the most traffic messages kept (oldest deleted first). */
#define WPI_STORE_SETTING_TRAFFIC_LIMIT   "traffic-max-messages"
#define WPI_STORE_DEFAULT_TRAFFIC_LIMIT   1000000
/* Setting: the most bytes the traffic log keeps (oldest deleted first), counted as the
 * raw headers and bodies plus WPI_STORE_TRAFFIC_MESSAGE_BYTES a message for its summary
 * and index entries. The default suits a laptop (issue 10 §3). */
#define WPI_STORE_SETTING_TRAFFIC_MAX_BYTES "traffic-max-bytes"
#define WPI_STORE_DEFAULT_TRAFFIC_MAX_BYTES (G_GINT64_CONSTANT (1024) * 1024 * 1024)
#define WPI_STORE_TRAFFIC_MESSAGE_BYTES   256
#define WPI_STORE_DEFAULT_BUSY_TIMEOUT_MS 5000

#define WPI_STORE_ERROR (wpi_store_error_quark ())

typedef enum {
  WPI_STORE_ERROR_FAILED,    /* an SQLite error without a better code */
  WPI_STORE_ERROR_INVALID,   /* bad argument: MAC, enum value, empty name, ... */
  WPI_STORE_ERROR_NOT_FOUND, /* no such phone, job, profile, PIN, message */
  WPI_STORE_ERROR_STATE,     /* the change is not allowed from the current state */
  WPI_STORE_ERROR_BUSY,      /* another connection held the lock past the busy timeout */
  WPI_STORE_ERROR_IO,        /* disk full, I/O error, cannot open */
  WPI_STORE_ERROR_CORRUPT,   /* not a database, or a damaged one */
  WPI_STORE_ERROR_TOO_NEW,   /* the store was written by a newer schema */
} WpiStoreError;

GQuark wpi_store_error_quark (void);

/* Enumerations. The nicks are the strings stored in the database and shown by wpictl;
 * from_string() accepts exactly them and returns FALSE for anything else. */

typedef enum {
  WPI_PHONE_MODE_DEFAULT, /*< nick=default >*/
  WPI_PHONE_MODE_SECURE,  /*< nick=secure >*/
} WpiPhoneMode;

typedef enum {
  WPI_PHONE_STATE_UNKNOWN,     /*< nick=unknown >*/
  WPI_PHONE_STATE_IDLE,        /*< nick=idle >*/
  WPI_PHONE_STATE_BUSY,        /*< nick=busy >*/
  WPI_PHONE_STATE_IN_SESSION,  /*< nick=in-session >*/
  WPI_PHONE_STATE_UNREACHABLE, /*< nick=unreachable >*/
} WpiPhoneState;

typedef enum {
  WPI_JOB_KIND_READ_ALL,            /*< nick=read-all >*/
  WPI_JOB_KIND_READ_ITEMS,          /*< nick=read-items >*/
  WPI_JOB_KIND_WRITE_ITEMS,         /*< nick=write-items >*/
  WPI_JOB_KIND_RESTART,             /*< nick=restart >*/
  WPI_JOB_KIND_FACTORY_RESET,       /*< nick=factory-reset >*/
  WPI_JOB_KIND_FILE_DEPLOYMENT,     /*< nick=file-deployment >*/
  WPI_JOB_KIND_SOFTWARE_DEPLOYMENT, /*< nick=software-deployment >*/
  WPI_JOB_KIND_APPLY_PROFILE,       /*< nick=apply-profile >*/
  WPI_JOB_KIND_BOOTSTRAP,           /*< nick=bootstrap >*/
} WpiJobKind;

/* QUEUED, CONTACTING, IN_PROGRESS and WAITING_BUSY are pending; DONE, FAILED,
 * CANCELLED and DONE_WITH_PROBLEMS are final: a job never leaves them.
 * DONE_WITH_PROBLEMS: the phone answered, but not everything the job asked for (a
 * read-items answer that lacks requested items, issue 9 §3). */
typedef enum {
  WPI_JOB_STATE_QUEUED,       /*< nick=queued >*/
  WPI_JOB_STATE_CONTACTING,   /*< nick=contacting >*/
  WPI_JOB_STATE_IN_PROGRESS,  /*< nick=in-progress >*/
  WPI_JOB_STATE_WAITING_BUSY, /*< nick=waiting-busy >*/
  WPI_JOB_STATE_DONE,         /*< nick=done >*/
  WPI_JOB_STATE_FAILED,       /*< nick=failed >*/
  WPI_JOB_STATE_CANCELLED,    /*< nick=cancelled >*/
  WPI_JOB_STATE_DONE_WITH_PROBLEMS, /*< nick=done-with-problems >*/
} WpiJobState;

#define WPI_JOB_STATE_MASK(state) (1u << (state))
#define WPI_JOB_STATE_MASK_PENDING                                                 \
  (WPI_JOB_STATE_MASK (WPI_JOB_STATE_QUEUED) | WPI_JOB_STATE_MASK (WPI_JOB_STATE_CONTACTING) | \
   WPI_JOB_STATE_MASK (WPI_JOB_STATE_IN_PROGRESS) | WPI_JOB_STATE_MASK (WPI_JOB_STATE_WAITING_BUSY))

/* The PIN life cycle (issue 4). GENERATED < HANDED_OUT < BUNDLE_DELIVERED < VERIFIED only
 * move forward; FAILED may still become REISSUED; VERIFIED and REISSUED are final. */
typedef enum {
  WPI_PIN_STATE_GENERATED,        /*< nick=generated >*/
  WPI_PIN_STATE_HANDED_OUT,       /*< nick=handed-out >*/
  WPI_PIN_STATE_BUNDLE_DELIVERED, /*< nick=bundle-delivered >*/
  WPI_PIN_STATE_VERIFIED,         /*< nick=verified >*/
  WPI_PIN_STATE_FAILED,           /*< nick=failed >*/
  WPI_PIN_STATE_REISSUED,         /*< nick=re-issued >*/
} WpiPinState;

/* IN: phone -> service, OUT: service -> phone */
typedef enum {
  WPI_TRAFFIC_DIRECTION_IN,  /*< nick=in >*/
  WPI_TRAFFIC_DIRECTION_OUT, /*< nick=out >*/
} WpiTrafficDirection;

/* What an import did with a row of a phone list (D24) */
typedef enum {
  WPI_IMPORT_OUTCOME_ADDED,     /*< nick=added >*/
  WPI_IMPORT_OUTCOME_UPDATED,   /*< nick=updated >*/
  WPI_IMPORT_OUTCOME_UNCHANGED, /*< nick=unchanged >*/
} WpiImportOutcome;

/* The parameter of the write-items jobs an import makes (D24) */
#define WPI_JOB_PARAMETER_IMPORT "import"

/* Which fields of a WpiPhoneRecord wpi_store_phone_upsert() writes. */
typedef enum { /*< flags >*/
  WPI_PHONE_FIELD_NONE           = 0,
  WPI_PHONE_FIELD_E164           = 1 << 0,
  WPI_PHONE_FIELD_DEVICE_TYPE    = 1 << 1,
  WPI_PHONE_FIELD_FIRMWARE       = 1 << 2,
  WPI_PHONE_FIELD_IP             = 1 << 3,
  WPI_PHONE_FIELD_CONTACT_ME_URI = 1 << 4,
  WPI_PHONE_FIELD_MODE           = 1 << 5,
  WPI_PHONE_FIELD_STATE          = 1 << 6,
  WPI_PHONE_FIELD_LAST_CONTACT   = 1 << 7,
  WPI_PHONE_FIELD_LOCATION       = 1 << 8,
  WPI_PHONE_FIELD_PROFILE        = 1 << 9,
  WPI_PHONE_FIELD_ALL            = (1 << 10) - 1,
} WpiPhoneFields;

const char *wpi_phone_mode_to_string          (WpiPhoneMode          mode);
gboolean    wpi_phone_mode_from_string        (const char           *str,
                                               WpiPhoneMode         *mode);
const char *wpi_phone_state_to_string         (WpiPhoneState         state);
gboolean    wpi_phone_state_from_string       (const char           *str,
                                               WpiPhoneState        *state);
const char *wpi_job_kind_to_string            (WpiJobKind            kind);
gboolean    wpi_job_kind_from_string          (const char           *str,
                                               WpiJobKind           *kind);
const char *wpi_job_state_to_string           (WpiJobState           state);
gboolean    wpi_job_state_from_string         (const char           *str,
                                               WpiJobState          *state);
gboolean    wpi_job_state_is_final            (WpiJobState           state);
const char *wpi_pin_state_to_string           (WpiPinState           state);
gboolean    wpi_pin_state_from_string         (const char           *str,
                                               WpiPinState          *state);
const char *wpi_traffic_direction_to_string   (WpiTrafficDirection   direction);
gboolean    wpi_traffic_direction_from_string (const char           *str,
                                               WpiTrafficDirection  *direction);

/* An item as the store keeps it: a phone's last value, a job's payload and result, a
 * profile entry. As an input only name, has_index/index and value are read (and status
 * by wpi_store_job_set_item_results()); the strings are borrowed. */
typedef struct {
  char     *name;
  char     *value;      /* NULL: a job item that only names what to read */
  char     *status;     /* job items: the phone's verdict ("accepted", "read only", ...) or NULL */
  gint64    index;      /* meaningful only when has_index; never negative */
  gboolean  has_index;
  gint64    updated_us; /* phone items: when the value was stored (real time, µs) */
  gint64    traffic_id; /* phone items: the traffic message it came from, 0 if none */
} WpiStoreItem;

#define WPI_TYPE_STORE_ITEM (wpi_store_item_get_type ())
GType         wpi_store_item_get_type      (void) G_GNUC_CONST;
WpiStoreItem *wpi_store_item_new           (const char          *name,
                                            const char          *value);
WpiStoreItem *wpi_store_item_new_indexed   (const char          *name,
                                            gint64               index,
                                            const char          *value);
WpiStoreItem *wpi_store_item_copy          (const WpiStoreItem  *item);
void          wpi_store_item_free          (WpiStoreItem        *item);
/* Frees the strings of an item inside a GArray, not the item itself. */
void          wpi_store_item_clear         (WpiStoreItem        *item);
/* An empty GArray of WpiStoreItem that clears its elements; append with
 * wpi_store_item_array_add(), which copies the strings. */
GArray       *wpi_store_item_array_new     (void);
void          wpi_store_item_array_add     (GArray              *items,
                                            const char          *name,
                                            gboolean             has_index,
                                            gint64               index,
                                            const char          *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiStoreItem, wpi_store_item_free)

typedef struct {
  char          *mac;
  char          *e164;
  char          *device_type;
  char          *firmware;       /* software-version */
  char          *ip;
  char          *contact_me_uri;
  WpiPhoneMode   mode;
  WpiPhoneState  state;
  gint64         last_contact_us; /* 0: never */
  char          *location;        /* the label printed on a PIN slip */
  char          *profile;         /* name of the profile applied to it, or NULL */
  gint64         created_us;
  gint64         updated_us;
  gboolean       expected;        /* imported ahead, its import waits for its first
                                   * contact (D24); read only: upsert() ignores it */
} WpiPhoneRecord;

#define WPI_TYPE_PHONE_RECORD (wpi_phone_record_get_type ())
GType           wpi_phone_record_get_type (void) G_GNUC_CONST;
WpiPhoneRecord *wpi_phone_record_new      (const char           *mac);
WpiPhoneRecord *wpi_phone_record_copy     (const WpiPhoneRecord *record);
void            wpi_phone_record_free     (WpiPhoneRecord       *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiPhoneRecord, wpi_phone_record_free)

typedef struct {
  gint64       id;
  char        *mac;
  WpiJobKind   kind;
  WpiJobState  state;
  char        *parameter;       /* kind-specific: the profile of apply-profile, ... */
  char        *failure_reason;  /* the reason given with the last state change; always set when FAILED */
  gint64       created_us;
  gint64       updated_us;
  guint        attempts;
  gint64       next_attempt_us; /* 0: as soon as possible */
  GArray      *items;           /* WpiStoreItem in payload order, or NULL when not loaded */
} WpiJobRecord;

#define WPI_TYPE_JOB_RECORD (wpi_job_record_get_type ())
GType         wpi_job_record_get_type (void) G_GNUC_CONST;
WpiJobRecord *wpi_job_record_copy     (const WpiJobRecord *record);
void          wpi_job_record_free     (WpiJobRecord       *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiJobRecord, wpi_job_record_free)

typedef struct {
  char     *name;
  gboolean  is_default;
  gint64    created_us;
  gint64    updated_us;
  GArray   *items;      /* WpiStoreItem in the order given, values may hold {mac} etc.;
                         * NULL when not loaded */
} WpiProfileRecord;

#define WPI_TYPE_PROFILE_RECORD (wpi_profile_record_get_type ())
GType             wpi_profile_record_get_type (void) G_GNUC_CONST;
WpiProfileRecord *wpi_profile_record_copy     (const WpiProfileRecord *record);
void              wpi_profile_record_free     (WpiProfileRecord       *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiProfileRecord, wpi_profile_record_free)

/* One message in the traffic log. The store does no parsing: the summary columns are
 * what the codec decoded (NULL / -1 when unknown), error_code/error_text what it
 * refused (error_text NULL when it parsed). */
typedef struct {
  gint64               id;          /* assigned by the store: dense, increasing */
  gint64               time_us;
  WpiTrafficDirection  direction;
  guint                port;
  WpiPhoneMode         mode;        /* of the port it went through */
  char                *peer;        /* "address:port" */
  char                *mac;         /* normalised, or NULL when unknown */
  char                *flow_id;
  char                *root;        /* "WorkpointMessage", "DLSMessage" or what was there */
  char                *nonce;
  char                *reason;
  char                *action;
  char                *status;
  char                *fragment;
  gint                 item_count;  /* -1: unknown */
  gint64               size;        /* body bytes; on input -1 means the length of body */
  gint                 error_code;  /* meaningful only with error_text */
  char                *error_text;
  GBytes              *headers;     /* raw HTTP headers, or NULL */
  GBytes              *body;        /* raw body; NULL in range reads (load by id) */
  GBytes              *item_index;  /* D28: the items' names and values, from
                                     * wpi_traffic_item_index_new(); NULL when not indexed
                                     * (older messages, no items) and in reads */
} WpiTrafficRecord;

#define WPI_TYPE_TRAFFIC_RECORD (wpi_traffic_record_get_type ())
GType             wpi_traffic_record_get_type (void) G_GNUC_CONST;
/* item_count -1, size -1, everything else zero/NULL. */
WpiTrafficRecord *wpi_traffic_record_new      (void);
WpiTrafficRecord *wpi_traffic_record_copy     (const WpiTrafficRecord *record);
void              wpi_traffic_record_free     (WpiTrafficRecord       *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiTrafficRecord, wpi_traffic_record_free)
/* Fills the summary columns (root, nonce, reason, action, status, fragment, item_count)
 * from the decoded message, replacing what they held. */
void              wpi_traffic_record_set_summary (WpiTrafficRecord *record,
                                                  WpiMessage       *message);

/* The item index (D28): what the display filter's item fields need, kept with the
 * summary so that they are answered without decoding the body. NULL when the message
 * has no items. Values longer than WPI_TRAFFIC_INDEX_VALUE_MAX are left out; the index
 * is then incomplete and says so. */
#define WPI_TRAFFIC_INDEX_VALUE_MAX 256
GBytes           *wpi_traffic_item_index_new      (WpiMessage   *message);
/* Whether the bytes are an item index, and whether it holds every value. */
gboolean          wpi_traffic_item_index_is_valid (const guint8 *index,
                                                   gsize         size);
gboolean          wpi_traffic_item_index_is_complete (const guint8 *index,
                                                      gsize         size);
/* The next item of a valid index from *offset (0 to start); FALSE at its end. */
gboolean          wpi_traffic_item_index_next     (const guint8 *index,
                                                   gsize         size,
                                                   gsize        *offset,
                                                   const char  **name,
                                                   const char  **value);

/* The summary columns a scan reads (wpi_store_traffic_scan()); id is always read. */
typedef enum { /*< flags >*/
  WPI_TRAFFIC_FIELD_TIME       = 1 << 0,
  WPI_TRAFFIC_FIELD_DIRECTION  = 1 << 1,
  WPI_TRAFFIC_FIELD_PORT       = 1 << 2,
  WPI_TRAFFIC_FIELD_MODE       = 1 << 3,
  WPI_TRAFFIC_FIELD_PEER       = 1 << 4,
  WPI_TRAFFIC_FIELD_MAC        = 1 << 5,
  WPI_TRAFFIC_FIELD_FLOW       = 1 << 6,
  WPI_TRAFFIC_FIELD_ROOT       = 1 << 7,
  WPI_TRAFFIC_FIELD_NONCE      = 1 << 8,
  WPI_TRAFFIC_FIELD_REASON     = 1 << 9,
  WPI_TRAFFIC_FIELD_ACTION     = 1 << 10,
  WPI_TRAFFIC_FIELD_STATUS     = 1 << 11,
  WPI_TRAFFIC_FIELD_FRAGMENT   = 1 << 12,
  WPI_TRAFFIC_FIELD_ITEM_COUNT = 1 << 13,
  WPI_TRAFFIC_FIELD_SIZE       = 1 << 14,
  WPI_TRAFFIC_FIELD_ERROR      = 1 << 15, /* error_code and error_text */
  WPI_TRAFFIC_FIELD_ITEM_INDEX = 1 << 16,
  WPI_TRAFFIC_FIELD_ALL        = (1 << 17) - 1,
} WpiTrafficFields;

/* One row of a scan: the record's strings and item_index (NULL in record; passed apart)
 * are the store's, valid during the call only; fields not read are NULL / -1 / 0. */
typedef void (*WpiStoreTrafficScanFunc) (const WpiTrafficRecord *record,
                                         const guint8           *item_index,
                                         gsize                   item_index_size,
                                         gpointer                user_data);

typedef struct {
  gint64       id;
  char        *mac;
  char        *pin;         /* digits; the last 3 are the TAN (decisions.md D9) */
  WpiPinState  state;
  char        *reason;      /* why it FAILED */
  guint        max_retries; /* max-pin-retries sent with its bundle */
  gint64       job_id;      /* the bootstrap job, 0 if none */
  gint64       created_us;
  gint64       updated_us;
} WpiPinRecord;

#define WPI_TYPE_PIN_RECORD (wpi_pin_record_get_type ())
GType         wpi_pin_record_get_type (void) G_GNUC_CONST;
WpiPinRecord *wpi_pin_record_copy     (const WpiPinRecord *record);
void          wpi_pin_record_free     (WpiPinRecord       *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiPinRecord, wpi_pin_record_free)

typedef struct {
  gint64  id;
  gint64  time_us;
  char   *peer;
  char   *mac;    /* or NULL */
  char   *kind;   /* short machine name, e.g. "secure-phone-on-default-port" */
  char   *detail;
} WpiSecurityEvent;

/* Something a phone reported about its users: a mobility logon or logoff (items.md
 * §13.1). kind is "logon" or "logoff"; user the number of the user who logged on or
 * off, or NULL when the phone did not say. */
typedef struct {
  gint64  id;
  gint64  time_us;
  char   *mac;
  char   *kind;
  char   *user;
  char   *detail; /* e.g. the requested-items the phone listed, or NULL */
} WpiPhoneEvent;

#define WPI_TYPE_PHONE_EVENT (wpi_phone_event_get_type ())
GType          wpi_phone_event_get_type (void) G_GNUC_CONST;
WpiPhoneEvent *wpi_phone_event_copy     (const WpiPhoneEvent *event);
void           wpi_phone_event_free     (WpiPhoneEvent       *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiPhoneEvent, wpi_phone_event_free)

#define WPI_TYPE_SECURITY_EVENT (wpi_security_event_get_type ())
GType             wpi_security_event_get_type (void) G_GNUC_CONST;
WpiSecurityEvent *wpi_security_event_copy     (const WpiSecurityEvent *event);
void              wpi_security_event_free     (WpiSecurityEvent       *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiSecurityEvent, wpi_security_event_free)

typedef struct {
  const char *mac;        /* NULL: every phone */
  guint       state_mask; /* WPI_JOB_STATE_MASK() bits; 0: every state */
  guint       limit;      /* 0: no limit */
} WpiJobFilter;

#define WPI_TYPE_STORE (wpi_store_get_type ())

G_DECLARE_FINAL_TYPE (WpiStore, wpi_store, WPI, STORE, GObject)

/* Opens (creating the directory with mode 0700 and the database with mode 0600 when
 * missing) and migrates the store in data_dir. */
WpiStore   *wpi_store_open                 (const char   *data_dir,
                                            GError      **error);
/* The same for a store that one thread alone uses, from its opening to its last
 * reference (a worker's, D28): SQLite then takes no lock on each call. */
WpiStore   *wpi_store_open_single_thread   (const char   *data_dir,
                                            GError      **error);
const char *wpi_store_get_data_dir         (WpiStore     *self);
/* The path of the database file. */
const char *wpi_store_get_path             (WpiStore     *self);
int         wpi_store_get_schema_version   (WpiStore     *self);
void        wpi_store_set_busy_timeout     (WpiStore     *self,
                                            guint         timeout_ms);
/* PRAGMA integrity_check, foreign_key_check and the store's own links; the first
 * problem becomes the error. Reads the whole file: for tests and diagnostics. */
gboolean    wpi_store_check_integrity      (WpiStore     *self,
                                            GError      **error);

/* Another connection's commits (a job queued by wpictl). poll() is TRUE when one
 * happened since the last poll (or since open); it costs one cheap PRAGMA. With a watch
 * interval set (the service uses 250 ms to act on a new job within a second), the store
 * polls from the caller's thread-default main context and emits ::external-change; 0
 * stops it. */
gboolean    wpi_store_poll_external_change (WpiStore     *self);
void        wpi_store_set_watch_interval   (WpiStore     *self,
                                            guint         interval_ms);

/* Transactions nest: the outermost begin takes the write lock (BEGIN IMMEDIATE), inner
 * ones are savepoints. Every begin needs exactly one commit or rollback. If the
 * outermost commit fails, the whole transaction has been rolled back. */
gboolean    wpi_store_transaction_begin    (WpiStore     *self,
                                            GError      **error);
gboolean    wpi_store_transaction_commit   (WpiStore     *self,
                                            GError      **error);
void        wpi_store_transaction_rollback (WpiStore     *self);
gboolean    wpi_store_in_transaction       (WpiStore     *self);

typedef gboolean (*WpiStoreTransactionFunc) (WpiStore  *store,
                                             gpointer   user_data,
                                             GError   **error);
/* Runs func in a transaction: commit when it returns TRUE, rollback when FALSE. */
gboolean    wpi_store_run_in_transaction   (WpiStore                *self,
                                            WpiStoreTransactionFunc  func,
                                            gpointer                 user_data,
                                            GError                 **error);

/* Settings: NULL without an error when the key is not set; setting NULL deletes it. */
char       *wpi_store_setting_get          (WpiStore     *self,
                                            const char   *key,
                                            GError      **error);
gboolean    wpi_store_setting_set          (WpiStore     *self,
                                            const char   *key,
                                            const char   *value,
                                            GError      **error);
/* default_value when unset; WPI_STORE_ERROR_INVALID when set but not an integer. */
gboolean    wpi_store_setting_get_int      (WpiStore     *self,
                                            const char   *key,
                                            gint64        default_value,
                                            gint64       *value,
                                            GError      **error);
gboolean    wpi_store_setting_set_int      (WpiStore     *self,
                                            const char   *key,
                                            gint64        value,
                                            GError      **error);

/* Phones. upsert() inserts the phone or updates it; only the fields in `fields` are
 * written (a new phone gets defaults for the others: mode default, state unknown).
 * created: whether the phone was new. A profile must exist. */
gboolean        wpi_store_phone_upsert     (WpiStore              *self,
                                            const WpiPhoneRecord  *phone,
                                            WpiPhoneFields         fields,
                                            gboolean              *created,
                                            GError               **error);
WpiPhoneRecord *wpi_store_phone_get        (WpiStore              *self,
                                            const char            *mac,
                                            GError               **error);
/* WpiPhoneRecord, by MAC */
GPtrArray      *wpi_store_phone_list       (WpiStore              *self,
                                            GError               **error);
gboolean        wpi_store_phone_set_state  (WpiStore              *self,
                                            const char            *mac,
                                            WpiPhoneState          state,
                                            GError               **error);
/* Deletes the phone with its items, jobs and PINs (its traffic stays). */
gboolean        wpi_store_phone_delete     (WpiStore              *self,
                                            const char            *mac,
                                            GError               **error);

/* Imports a phone list (issue 14 §1, D24) in one transaction: all of it or, on an
 * error, nothing. A row gives the phone its number, location and profile (the profile
 * must exist: NOT_FOUND naming the row's line and column) and items; what a row does
 * not give stays as it is. A new phone, or one that never called, waits for its first
 * contact with its items pending (WpiPhoneRecord.expected); a phone that has called
 * gets a write-items job (parameter WPI_JOB_PARAMETER_IMPORT) of the items that
 * changed, and an apply-profile job for a changed profile. A row that changes nothing
 * is UNCHANGED, so importing a list again does nothing. outcomes (may be NULL): a
 * GArray of WpiImportOutcome, one per row. dry_run: everything is done and counted,
 * then rolled back. */
gboolean        wpi_store_phone_import     (WpiStore              *self,
                                            GPtrArray             *rows,
                                            gboolean               dry_run,
                                            GArray               **outcomes,
                                            GError               **error);
/* The service's part of the first contact: *items becomes the pending import's items
 * (WpiStoreItem, perhaps none) and the import stops pending; *items stays NULL when
 * nothing is pending. Call it in the transaction that queues the job. */
gboolean        wpi_store_phone_import_take (WpiStore             *self,
                                             const char           *mac,
                                             GArray              **items,
                                             GError              **error);

/* Every phone as a row of a phone list export (wpi_phone_list_to_csv()): number,
 * location, profile, state ("expected" for an expected phone), mode, firmware, model,
 * and its imported items but the secret ones. Imports back unchanged. */
GPtrArray      *wpi_store_phone_list_export (WpiStore             *self,
                                             GError              **error);

/* A phone's item values, stamped with time_us and the traffic message they came in
 * (0: none). replace() makes them the complete set (ReadAllItems); update() changes
 * only the given ones. Within one call a later duplicate of a name/index wins. */
gboolean      wpi_store_phone_items_replace (WpiStore           *self,
                                             const char         *mac,
                                             const WpiStoreItem *items,
                                             gsize               n_items,
                                             gint64              time_us,
                                             gint64              traffic_id,
                                             GError            **error);
gboolean      wpi_store_phone_items_update  (WpiStore           *self,
                                             const char         *mac,
                                             const WpiStoreItem *items,
                                             gsize               n_items,
                                             gint64              time_us,
                                             gint64              traffic_id,
                                             GError            **error);
/* WpiStoreItem by name, then index (the unindexed one first) */
GArray       *wpi_store_phone_items_list    (WpiStore           *self,
                                             const char         *mac,
                                             GError            **error);
WpiStoreItem *wpi_store_phone_item_get      (WpiStore           *self,
                                             const char         *mac,
                                             const char         *name,
                                             gboolean            has_index,
                                             gint64              index,
                                             GError            **error);

/* A phone's events (WpiPhoneEvent): the phone must exist; user and detail may be NULL.
 * list(): the newest `limit` (0: all) in the order they happened. */
gboolean      wpi_store_phone_event_add     (WpiStore           *self,
                                             const char         *mac,
                                             gint64              time_us,
                                             const char         *kind,
                                             const char         *user,
                                             const char         *detail,
                                             GError            **error);
GPtrArray    *wpi_store_phone_event_list    (WpiStore           *self,
                                             const char         *mac,
                                             guint               limit,
                                             GError            **error);

/* Jobs. The phone must exist; read-items and write-items need at least one item,
 * write-items a value for each; a name/index may appear once; apply-profile's parameter
 * must name a profile. */
gboolean      wpi_store_job_enqueue         (WpiStore           *self,
                                             const char         *mac,
                                             WpiJobKind          kind,
                                             const char         *parameter,
                                             const WpiStoreItem *items,
                                             gsize               n_items,
                                             gint64             *job_id,
                                             GError            **error);
/* With its items. */
WpiJobRecord *wpi_store_job_get             (WpiStore           *self,
                                             gint64              job_id,
                                             GError            **error);
/* The pending jobs of one phone (NULL: of every phone) in the order they were queued,
 * with their items. */
GPtrArray    *wpi_store_job_list_pending    (WpiStore           *self,
                                             const char         *mac,
                                             GError            **error);
/* WpiJobRecord by id, without items; filter may be NULL. */
GPtrArray    *wpi_store_job_list            (WpiStore           *self,
                                             const WpiJobFilter *filter,
                                             GError            **error);
/* A final state is never left (WPI_STORE_ERROR_STATE); FAILED needs a reason. The
 * reason (may be NULL) replaces the previous one. */
gboolean      wpi_store_job_set_state       (WpiStore           *self,
                                             gint64              job_id,
                                             WpiJobState         state,
                                             const char         *reason,
                                             GError            **error);
/* One more attempt made; the next one is due at next_attempt_us. */
gboolean      wpi_store_job_record_attempt  (WpiStore           *self,
                                             gint64              job_id,
                                             gint64              next_attempt_us,
                                             GError            **error);
/* Moves a pending job's next attempt without counting one (`wpictl contact` asks the
 * service to try now); a final job is WPI_STORE_ERROR_STATE. */
gboolean      wpi_store_job_reschedule      (WpiStore           *self,
                                             gint64              job_id,
                                             gint64              next_attempt_us,
                                             GError            **error);
/* Stores each result's status on the job item with its name and index (and its value
 * where the job had none, as for read-items). A result for an item the job did not
 * carry is appended, so nothing the phone said is lost. */
gboolean      wpi_store_job_set_item_results (WpiStore           *self,
                                              gint64              job_id,
                                              const WpiStoreItem *results,
                                              gsize               n_results,
                                              GError            **error);
/* A pending job becomes CANCELLED; a final one is WPI_STORE_ERROR_STATE. */
gboolean      wpi_store_job_cancel          (WpiStore           *self,
                                             gint64              job_id,
                                             GError            **error);

/* Profiles. set() creates the profile or replaces all its items. */
gboolean          wpi_store_profile_set         (WpiStore           *self,
                                                 const char         *name,
                                                 const WpiStoreItem *items,
                                                 gsize               n_items,
                                                 GError            **error);
/* With its items. */
WpiProfileRecord *wpi_store_profile_get         (WpiStore           *self,
                                                 const char         *name,
                                                 GError            **error);
/* WpiProfileRecord by name, without items */
GPtrArray        *wpi_store_profile_list        (WpiStore           *self,
                                                 GError            **error);
gboolean          wpi_store_profile_delete      (WpiStore           *self,
                                                 const char         *name,
                                                 GError            **error);
/* At most one profile is the default; NULL: none. */
gboolean          wpi_store_profile_set_default (WpiStore           *self,
                                                 const char         *name,
                                                 GError            **error);
/* With its items; NULL without an error when there is no default. */
WpiProfileRecord *wpi_store_profile_get_default (WpiStore           *self,
                                                 GError            **error);

/* Traffic log. append() assigns record->id (returned in id) and then deletes the oldest
 * messages past the limit and byte budget settings, at most a batch at a time (the newest
 * message stays, whatever its size). */
gboolean          wpi_store_traffic_append      (WpiStore               *self,
                                                 const WpiTrafficRecord *record,
                                                 gint64                 *id,
                                                 GError                **error);
/* Ids are dense: the messages are first_id..last_id (both 0 when there is none). */
gboolean          wpi_store_traffic_get_bounds  (WpiStore               *self,
                                                 gint64                 *first_id,
                                                 gint64                 *last_id,
                                                 GError                **error);
/* -1 on error */
gint64            wpi_store_traffic_count       (WpiStore               *self,
                                                 GError                **error);
/* Up to n messages with id >= first_id, by id, without headers and body. */
GPtrArray        *wpi_store_traffic_get_range   (WpiStore               *self,
                                                 gint64                  first_id,
                                                 guint                   n,
                                                 GError                **error);
/* One message with headers and body. */
WpiTrafficRecord *wpi_store_traffic_get         (WpiStore               *self,
                                                 gint64                  id,
                                                 GError                **error);
/* Up to limit (0: all) messages of a phone with id > after_id, by id, without bodies. */
GPtrArray        *wpi_store_traffic_list_by_mac (WpiStore               *self,
                                                 const char             *mac,
                                                 gint64                  after_id,
                                                 guint                   limit,
                                                 GError                **error);
/* Up to max_rows messages with first_id <= id <= last_id, by id, reading only the
 * fields asked for and handing each to func without copying it (the display filter's
 * scan, D28). *next_id: the id to go on from (> last_id when done). */
gboolean          wpi_store_traffic_scan        (WpiStore               *self,
                                                 gint64                  first_id,
                                                 gint64                  last_id,
                                                 guint                   max_rows,
                                                 WpiTrafficFields        fields,
                                                 WpiStoreTrafficScanFunc func,
                                                 gpointer                user_data,
                                                 gint64                 *next_id,
                                                 GError                **error);
/* Every message of a flow, by id, without bodies. */
GPtrArray        *wpi_store_traffic_list_by_flow (WpiStore              *self,
                                                  const char            *flow_id,
                                                  GError               **error);
/* Stores the limit setting (at least 1) and deletes down to it, in batches of their
 * own transactions (unless called inside one). */
gboolean          wpi_store_traffic_set_limit   (WpiStore               *self,
                                                 gint64                  limit,
                                                 GError                **error);
/* Stores the byte budget setting (at least WPI_STORE_TRAFFIC_MESSAGE_BYTES) and deletes
 * down to it, as set_limit() does. */
gboolean          wpi_store_traffic_set_max_bytes (WpiStore             *self,
                                                   gint64                max_bytes,
                                                   GError              **error);
/* The bytes the log holds as its budget counts them; -1 on error */
gint64            wpi_store_traffic_get_bytes   (WpiStore               *self,
                                                 GError                **error);
/* Deletes the oldest messages past the limit and the byte budget settings. */
gboolean          wpi_store_traffic_enforce_retention (WpiStore         *self,
                                                       GError          **error);
/* Deletes up to max_delete of the oldest messages logged before before_us (real time,
 * µs), in a transaction of its own (unless called inside one). Only a run from the
 * oldest goes, so the ids stay dense; *more: the batch was full, call again. */
gboolean          wpi_store_traffic_delete_before (WpiStore             *self,
                                                   gint64                before_us,
                                                   guint                 max_delete,
                                                   gboolean             *more,
                                                   GError              **error);

/* PINs (decisions.md D9: 8 to 20 digits). create() stores a new GENERATED PIN; the
 * phone's previous PIN, unless VERIFIED or already REISSUED, becomes REISSUED. It is
 * durable when create() returns, or, inside a transaction, when the outermost commit
 * returns: only then may the PIN be shown. */
gboolean      wpi_store_pin_create          (WpiStore     *self,
                                             const char   *mac,
                                             const char   *pin,
                                             guint         max_retries,
                                             gint64        job_id,
                                             gint64       *pin_id,
                                             GError      **error);
WpiPinRecord *wpi_store_pin_get             (WpiStore     *self,
                                             gint64        pin_id,
                                             GError      **error);
/* The phone's newest PIN. */
WpiPinRecord *wpi_store_pin_get_current     (WpiStore     *self,
                                             const char   *mac,
                                             GError      **error);
/* WpiPinRecord by MAC, then id: only each phone's newest, or every PIN ever made. */
GPtrArray    *wpi_store_pin_list            (WpiStore     *self,
                                             gboolean      current_only,
                                             GError      **error);
/* See WpiPinState for the allowed moves; an earlier step of the forward chain than the
 * current one (handed out after the bundle was delivered) is accepted and leaves the
 * state as it is. FAILED needs a reason. */
gboolean      wpi_store_pin_set_state       (WpiStore     *self,
                                             gint64        pin_id,
                                             WpiPinState   state,
                                             const char   *reason,
                                             GError      **error);

/* Security events: peer, mac and detail may be NULL, kind may not. A mac that is a MAC
 * is normalised; anything else a peer claimed is kept as it came. */
gboolean      wpi_store_security_event_add  (WpiStore     *self,
                                             gint64        time_us,
                                             const char   *peer,
                                             const char   *mac,
                                             const char   *kind,
                                             const char   *detail,
                                             GError      **error);
/* Up to limit (0: all) events with id > after_id, by id. */
GPtrArray    *wpi_store_security_event_list (WpiStore     *self,
                                             gint64        after_id,
                                             guint         limit,
                                             GError      **error);

G_END_DECLS
