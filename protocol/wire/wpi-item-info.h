/* wpi-item-info.h: what the catalogue knows about one WPI data item
 *
 * A WpiItemInfo is immutable once the catalogue has loaded it and lives as long as
 * its catalogue (the default catalogue lives for the whole process), so pointers
 * returned by its getters stay valid. It is a GObject so that the catalogue can be
 * a GListModel of them for the UI.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Value types of the catalogue's `type` column (items.md §2.2 plus the encodings seen
 * in real traffic). The nick is the spelling in the data file. */
typedef enum {
  WPI_VALUE_TYPE_TEXT,     /*< nick=text >*/     /* any UTF-8 text without control characters */
  WPI_VALUE_TYPE_BOOLEAN,  /*< nick=boolean >*/  /* exactly "true" or "false" */
  WPI_VALUE_TYPE_INTEGER,  /*< nick=integer >*/  /* decimal, optionally within a range */
  WPI_VALUE_TYPE_ENUM,     /*< nick=enum >*/     /* one of a list of codes with meanings */
  WPI_VALUE_TYPE_PASSWORD, /*< nick=password >*/ /* text; always secret */
  WPI_VALUE_TYPE_BASE64,   /*< nick=base64 >*/   /* standard alphabet, line breaks tolerated */
  WPI_VALUE_TYPE_PEM,      /*< nick=pem >*/      /* one or more -----BEGIN/END----- blocks */
  WPI_VALUE_TYPE_DNS,      /*< nick=dns >*/      /* host name or IP address */
  WPI_VALUE_TYPE_IP,       /*< nick=ip >*/       /* IPv4 or IPv6 address */
  WPI_VALUE_TYPE_MAC,      /*< nick=mac >*/      /* XX:XX:XX:XX:XX:XX */
  WPI_VALUE_TYPE_URI,      /*< nick=uri >*/      /* absolute http or https URI with a host */
  WPI_VALUE_TYPE_UNICODE,  /*< nick=unicode >*/  /* text, length counted in characters */
  WPI_VALUE_TYPE_VERSION,  /*< nick=version >*/  /* "V3 R1.41.1" (phone) or "1.4.9.0" (service) */
  WPI_VALUE_TYPE_PORT,     /*< nick=port >*/     /* integer port, 1..65535 unless a range says otherwise */
} WpiValueType;

/* Whether an item takes the `index` attribute */
typedef enum {
  WPI_INDEX_MODE_NONE,     /*< nick=no >*/       /* never indexed */
  WPI_INDEX_MODE_REQUIRED, /*< nick=yes >*/      /* always indexed (keys, codecs, XML apps, ...) */
  WPI_INDEX_MODE_OPTIONAL, /*< nick=optional >*/ /* file-*: no index in single-file messages [p.53] */
} WpiIndexMode;

/* Whether the phone accepts writes. UNKNOWN: no source says; writes are allowed. */
typedef enum {
  WPI_READ_ONLY_NO,      /*< nick=no >*/
  WPI_READ_ONLY_YES,     /*< nick=yes >*/
  WPI_READ_ONLY_UNKNOWN, /*< nick=unknown >*/
} WpiReadOnly;

typedef struct {
  const char *value;   /* the wire value, e.g. "2" or "MOH" */
  const char *meaning; /* e.g. "TLS" */
} WpiEnumValue;

/* An inclusive range of valid indexes; last is G_MAXINT64 for "0.." */
typedef struct {
  gint64 first;
  gint64 last;
} WpiIndexRange;

#define WPI_TYPE_ITEM_INFO (wpi_item_info_get_type ())

G_DECLARE_FINAL_TYPE (WpiItemInfo, wpi_item_info, WPI, ITEM_INFO, GObject)

const char          *wpi_item_info_get_name          (WpiItemInfo *self);
/* A category id such as "sip"; wpi_catalogue_get_category_title() gives its title. */
const char          *wpi_item_info_get_category      (WpiItemInfo *self);
WpiValueType         wpi_item_info_get_value_type    (WpiItemInfo *self);

/* Enumerations only: the listed codes in file order. Open enumerations (the sources
 * list only some codes, e.g. function-key-def) also accept unlisted codes; when
 * every listed code is a number, an unlisted one must be a number too. */
const WpiEnumValue  *wpi_item_info_get_enum_values   (WpiItemInfo *self,
                                                      guint       *n_values);
gboolean             wpi_item_info_is_open_enum      (WpiItemInfo *self);
/* The meaning of a listed code, or NULL */
const char          *wpi_item_info_get_enum_meaning  (WpiItemInfo *self,
                                                      const char  *value);

/* Integers and ports: FALSE when no range is known (ports then use 1..65535).
 * An open end is G_MININT64 / G_MAXINT64. */
gboolean             wpi_item_info_get_range         (WpiItemInfo *self,
                                                      gint64      *min,
                                                      gint64      *max);
/* Maximum length in characters, 0 when unknown */
guint                wpi_item_info_get_max_length    (WpiItemInfo *self);
/* The factory default as documented, or NULL when none is known */
const char          *wpi_item_info_get_default_value (WpiItemInfo *self);

WpiIndexMode         wpi_item_info_get_index_mode    (WpiItemInfo *self);
gboolean             wpi_item_info_is_indexed        (WpiItemInfo *self);
/* Valid index ranges (NULL and 0 for items that are never indexed) */
const WpiIndexRange *wpi_item_info_get_index_ranges  (WpiItemInfo *self,
                                                      guint       *n_ranges);
/* The ranges as written in the data file, e.g. "1..9,1001..1009"; "" when any index goes */
const char          *wpi_item_info_get_index_ranges_string (WpiItemInfo *self);
gboolean             wpi_item_info_index_is_valid    (WpiItemInfo *self,
                                                      gint64       index);

WpiReadOnly          wpi_item_info_get_read_only     (WpiItemInfo *self);
/* TRUE for passwords, PINs, keys, certificates and secure-mode-data: mask the value. */
gboolean             wpi_item_info_is_secret         (WpiItemInfo *self);
/* Where the facts come from: guide pages (p.N), third parties (GS3, dmos, ...),
 * project decisions (D9), comma-separated. */
const char          *wpi_item_info_get_source        (WpiItemInfo *self);

/* Checks the value against the type, range, enumeration and maximum length (not the
 * index nor read-only; wpi_catalogue_validate() does all). An empty value means
 * "unset" and is accepted for text-like types, not for booleans, numbers and
 * enumerations. Errors are in WPI_CATALOGUE_ERROR. */
gboolean             wpi_item_info_validate_value    (WpiItemInfo *self,
                                                      const char  *value,
                                                      GError     **error);
/* A human-readable meaning of a value ("TLS", "yes"), or NULL. Never for secrets. */
char                *wpi_item_info_describe_value    (WpiItemInfo *self,
                                                      const char  *value);

const char          *wpi_value_type_to_string        (WpiValueType  type);
/* Returns FALSE for a name that is not a value type */
gboolean             wpi_value_type_from_string      (const char   *str,
                                                      WpiValueType *type);

G_END_DECLS
