/* wpi-filter.h: the traffic inspector's display filter language
 *
 *   expression := expression ("or" | "||") expression
 *               | expression ("and" | "&&") expression
 *               | ("not" | "!") expression
 *               | "(" expression ")"
 *               | FIELD
 *               | FIELD ("==" | "!=" | "contains" | "~" | "matches") VALUE
 *
 * "not" binds tighter than "and", "and" tighter than "or"; keywords are
 * case-insensitive. A VALUE is a bare word (anything up to white space, a parenthesis,
 * a quote or an operator character: 00:1A:E8:12:34:56, busy, +4989700141) or a string
 * in double or single quotes, where \" \' and \\ stand for the character itself and any
 * other backslash stays as it is (so "\d+" reaches a regular expression unchanged).
 *
 * Fields: mac, e164, ip, dir, port, reason, action, status, nonce, flow, error, item
 * (the name of any item), item.NAME (the value of that item). A field alone is true when
 * it is present and not empty (item.NAME: when the message has that item). Fields with
 * several values (item, an indexed item.NAME) match when one value does; "!=" is
 * "not ==". Comparisons:
 *   mac       normalised: 001ae8123456 == 00:1A:E8:12:34:56; contains ignores case and
 *             separators
 *   dir       in (phone to service) or out
 *   port      a number
 *   reason, action, status, dir   case-insensitive
 *   ip        the peer's address (without the port)
 *   error     the error text, or its code: malformed, too-large, ... (codec errors) or
 *             refused (the service refused the message)
 *   item.NAME == also matches the catalogue's meaning of the value
 *             (item.sip-transport-user == TLS)
 * "~" takes a GRegex pattern, case-insensitive where "==" is.
 *
 * e164, item and item.NAME are answered from the traffic log's item index (D28), or the
 * message body where a message has none; everything else is in the summary columns. Secret item values (wpi_catalogue_is_secret()) never match
 * unless the filter was parsed with WPI_FILTER_MATCH_SECRETS, so a filter cannot be
 * used to guess a password the inspector masks.
 *
 * A WpiFilter is immutable and reference-counted; it may be used from several threads
 * at once.
 */
#pragma once

#include <glib-object.h>

#include "wpi-message.h"
#include "wpi-store.h"
#include "wpi-traffic-model.h"

G_BEGIN_DECLS

#define WPI_FILTER_ERROR (wpi_filter_error_quark ())

typedef enum {
  WPI_FILTER_ERROR_EMPTY,         /* nothing but white space */
  WPI_FILTER_ERROR_SYNTAX,        /* a token where it cannot be */
  WPI_FILTER_ERROR_UNKNOWN_FIELD,
  WPI_FILTER_ERROR_UNBALANCED,    /* a "(" not closed or a ")" not opened */
  WPI_FILTER_ERROR_INVALID_VALUE, /* not a MAC, port, direction */
  WPI_FILTER_ERROR_INVALID_REGEX,
} WpiFilterError;

GQuark wpi_filter_error_quark (void);

typedef enum { /*< flags >*/
  WPI_FILTER_FLAGS_NONE    = 0,
  WPI_FILTER_MATCH_SECRETS = 1 << 0, /* compare secret item values too */
} WpiFilterFlags;

typedef enum {
  WPI_FILTER_FIELD_MAC,
  WPI_FILTER_FIELD_E164,
  WPI_FILTER_FIELD_IP,
  WPI_FILTER_FIELD_DIR,
  WPI_FILTER_FIELD_PORT,
  WPI_FILTER_FIELD_REASON,
  WPI_FILTER_FIELD_ACTION,
  WPI_FILTER_FIELD_STATUS,
  WPI_FILTER_FIELD_NONCE,
  WPI_FILTER_FIELD_FLOW,
  WPI_FILTER_FIELD_ITEM,
  WPI_FILTER_FIELD_ITEM_VALUE,
  WPI_FILTER_FIELD_ERROR,
} WpiFilterField;

typedef struct _WpiFilter WpiFilter;

#define WPI_TYPE_FILTER (wpi_filter_get_type ())
GType       wpi_filter_get_type    (void) G_GNUC_CONST;

/* NULL with an error in WPI_FILTER_ERROR on a bad expression. The message says what
 * and where ("unknown field “stat” at 1"); error_position (may be NULL) receives the
 * same position: the 1-based character the problem starts at. */
WpiFilter  *wpi_filter_parse       (const char      *text,
                                    WpiFilterFlags   flags,
                                    guint           *error_position,
                                    GError         **error);
WpiFilter  *wpi_filter_ref         (WpiFilter       *filter);
void        wpi_filter_unref       (WpiFilter       *filter);
const char *wpi_filter_get_text    (WpiFilter       *filter);
WpiFilterFlags wpi_filter_get_flags (WpiFilter      *filter);

/* Whether evaluation may need the message body (e164, item, item.NAME). */
gboolean    wpi_filter_needs_body  (WpiFilter       *filter);

/* An equality every match must satisfy (a "flow == X" or "mac == X" that the whole
 * expression is "and"ed with), so that a caller can ask the store's index for the
 * candidates first. value is normalised (a MAC as wpi_mac_normalize() gives it) and
 * belongs to the filter. */
gboolean    wpi_filter_get_index_hint (WpiFilter      *filter,
                                       WpiFilterField *field,
                                       const char    **value);

/* Returns the record's parsed body, or NULL when it has none or it does not parse
 * (then no item matches). Transfer none. */
typedef WpiMessage *(*WpiFilterMessageFunc) (const WpiTrafficRecord *record,
                                             gpointer                user_data);

/* Evaluates the filter on a record's summary; get_message is called at most once, and
 * only when an item field must be looked at and the record may have items. */
gboolean    wpi_filter_match_record (WpiFilter              *filter,
                                     const WpiTrafficRecord *record,
                                     WpiFilterMessageFunc    get_message,
                                     gpointer                user_data);
/* The same with the message's item index (D28) as wpi_store_traffic_scan() gives it:
 * item fields are answered from a complete index; without one (messages logged before
 * it, long values left out) get_message decodes the body. */
gboolean    wpi_filter_match_indexed (WpiFilter             *filter,
                                      const WpiTrafficRecord *record,
                                      const guint8          *item_index,
                                      gsize                  item_index_size,
                                      WpiFilterMessageFunc   get_message,
                                      gpointer               user_data);
/* The summary fields evaluation reads (for wpi_store_traffic_scan()); id is always
 * there, get_message needs nothing else. */
WpiTrafficFields wpi_filter_get_fields (WpiFilter           *filter);
/* The same for an entry; its body is parsed (and kept in the entry) on demand, read
 * from store when the entry does not carry it. */
gboolean    wpi_filter_match_entry  (WpiFilter              *filter,
                                     WpiTrafficEntry        *entry,
                                     WpiStore               *store);

/* The codec error's short name as the "error" field knows it ("malformed"), or NULL. */
const char *wpi_filter_error_code_name (int error_code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiFilter, wpi_filter_unref)

G_END_DECLS
