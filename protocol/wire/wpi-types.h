/* wpi-types.h: enumerations of the WorkPoint Interface (protocol.md §4)
 *
 * Every enumeration has an _OTHER value: a string the guide does not name is kept
 * verbatim by the message model and maps to _OTHER, never to an error.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  WPI_MESSAGE_KIND_WORKPOINT, /*< nick=WorkpointMessage >*/ /* phone -> service */
  WPI_MESSAGE_KIND_DLS,       /*< nick=DLSMessage >*/       /* service -> phone */
} WpiMessageKind;

/* ReasonForContact values, protocol.md §4.1 */
typedef enum {
  WPI_REASON_NONE,
  WPI_REASON_START_UP,
  WPI_REASON_LOCAL_CHANGES,
  WPI_REASON_INVENTORY_CHANGES,
  WPI_REASON_STATUS,
  WPI_REASON_SOLICITED,
  WPI_REASON_REPLY_TO,
  WPI_REASON_CLEAN_UP,
  WPI_REASON_OTHER,
} WpiReason;

/* Action values, protocol.md §4.2 */
typedef enum {
  WPI_ACTION_NONE,
  WPI_ACTION_READ_ALL_ITEMS,
  WPI_ACTION_READ_ITEMS,
  WPI_ACTION_WRITE_ITEMS,
  WPI_ACTION_RESTART,
  WPI_ACTION_FILE_DEPLOYMENT,
  WPI_ACTION_SOFTWARE_DEPLOYMENT,
  WPI_ACTION_CLEAN_UP,
  WPI_ACTION_GET_NEXT_FRAGMENT,
  WPI_ACTION_OTHER,
} WpiAction;

/* ReasonForContact@status, protocol.md §4.3 */
typedef enum {
  WPI_MESSAGE_STATUS_NONE,
  WPI_MESSAGE_STATUS_ACCEPTED,
  WPI_MESSAGE_STATUS_FAILED,
  WPI_MESSAGE_STATUS_BUSY,
  WPI_MESSAGE_STATUS_OTHER,
} WpiMessageStatus;

/* Item@status, protocol.md §4.3 */
typedef enum {
  WPI_ITEM_STATUS_NONE,
  WPI_ITEM_STATUS_FAILED,
  WPI_ITEM_STATUS_UNKNOWN_ITEM,
  WPI_ITEM_STATUS_READ_ONLY,
  WPI_ITEM_STATUS_INVALID_INDEX,
  WPI_ITEM_STATUS_UNEXPECTED_ITEM,
  WPI_ITEM_STATUS_NOT_SUPPORTED,
  WPI_ITEM_STATUS_INVALID_DATA,
  WPI_ITEM_STATUS_UNDEFINED_STATUS,
  WPI_ITEM_STATUS_OTHER,
} WpiItemStatus;

/* Message@fragment, protocol.md §4.3 */
typedef enum {
  WPI_FRAGMENT_NONE,
  WPI_FRAGMENT_NEXT,
  WPI_FRAGMENT_FINAL,
  WPI_FRAGMENT_OTHER,
} WpiFragment;

/* The wire strings. from_string() compares case-insensitively (the guide's diagrams
 * write "Busy"); to_string() returns NULL for _NONE and _OTHER. */
const char       *wpi_message_kind_to_string   (WpiMessageKind    kind);
WpiReason         wpi_reason_from_string       (const char       *str);
const char       *wpi_reason_to_string         (WpiReason         reason);
WpiAction         wpi_action_from_string       (const char       *str);
const char       *wpi_action_to_string         (WpiAction         action);
WpiMessageStatus  wpi_message_status_from_string (const char     *str);
const char       *wpi_message_status_to_string (WpiMessageStatus  status);
WpiItemStatus     wpi_item_status_from_string  (const char       *str);
const char       *wpi_item_status_to_string    (WpiItemStatus     status);
WpiFragment       wpi_fragment_from_string     (const char       *str);
const char       *wpi_fragment_to_string       (WpiFragment       fragment);

G_END_DECLS
