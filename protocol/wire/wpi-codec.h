/* wpi-codec.h: bytes <-> WpiMessage
 *
 * The parser is tolerant where the guide's own examples vary (namespace or none,
 * fragment on Message or on ReasonForContact, whitespace around ReasonForContact and
 * Action text and inside attribute values) and where real servers and phones write
 * otherwise (D20: root name case, an XML-DSig envelope, ItemList beside Message, element
 * order, empty elements; each noted with its rule R21-R25) and strict where safety needs it
 * (decisions.md D5): no DTD, no entities beyond XML's own, no network, bounded size,
 * depth and item count, valid UTF-8.
 */
#pragma once

#include "wpi-message.h"

G_BEGIN_DECLS

#define WPI_CODEC_ERROR (wpi_codec_error_quark ())

typedef enum {
  WPI_CODEC_ERROR_EMPTY,             /* no bytes, or only white space */
  WPI_CODEC_ERROR_TOO_LARGE,         /* over WPI_MAX_BODY_BYTES */
  WPI_CODEC_ERROR_INVALID_UTF8,      /* not UTF-8, or a NUL byte */
  WPI_CODEC_ERROR_DTD,               /* a DOCTYPE (internal subset or external) */
  WPI_CODEC_ERROR_ENTITY,            /* an entity declaration or a non-predefined entity */
  WPI_CODEC_ERROR_TOO_DEEP,          /* nesting over WPI_MAX_DEPTH */
  WPI_CODEC_ERROR_TOO_MANY_ITEMS,    /* over WPI_MAX_ITEMS */
  WPI_CODEC_ERROR_MALFORMED,         /* not well-formed XML (truncated, bad syntax) */
  WPI_CODEC_ERROR_WRONG_ROOT,        /* neither WorkpointMessage nor DLSMessage */
  WPI_CODEC_ERROR_MISSING_ELEMENT,   /* no Message element */
  WPI_CODEC_ERROR_MISSING_NONCE,     /* Message without a non-empty nonce (D2) */
  WPI_CODEC_ERROR_INVALID_ATTRIBUTE, /* maxItems or index not an integer, Item without name */
  WPI_CODEC_ERROR_UNEXPECTED_CONTENT,/* an element inside an Item, a duplicate Message */
  WPI_CODEC_ERROR_CANNOT_FRAGMENT,   /* items that must stay together exceed a limit */
} WpiCodecError;

GQuark       wpi_codec_error_quark          (void);
const char  *wpi_codec_error_code_to_string (WpiCodecError code);

typedef enum {
  WPI_PARSE_NONE             = 0,
  /* Return a message whose nonce attribute is empty (with reading note R25) instead of
   * failing with WPI_CODEC_ERROR_MISSING_NONCE: for decoders, never for the service (D5). */
  WPI_PARSE_KEEP_EMPTY_NONCE = 1 << 0,
} WpiParseFlags;

/* Parse one message. On failure the GError is in WPI_CODEC_ERROR and its message
 * reads "LINE:COLUMN: reason" (1-based), so a caller can prefix a file name. */
WpiMessage  *wpi_message_parse              (const char   *data,
                                             gsize         length,
                                             GError      **error);

/* The same, with flags. What the parser tolerated (D20) is in the message's reading
 * notes; an XML-DSig signature it came with is its signature. */
WpiMessage  *wpi_message_parse_full         (const char   *data,
                                             gsize         length,
                                             WpiParseFlags flags,
                                             GError      **error);

/* UTF-8 XML with the Siemens namespace and an XML declaration; items escaped by
 * libxml2. The result is NUL-terminated; length excludes the NUL. */
char        *wpi_message_serialize          (WpiMessage   *message,
                                             gsize        *length);
GBytes      *wpi_message_serialize_bytes    (WpiMessage   *message);

G_END_DECLS
