/* wpi-catalogue.h: the WPI data-item catalogue
 *
 * Every item of the Developer's Guide (items.md, protocol.md) and of third-party code
 * that talks to real phones, with its category, value type, enumeration meanings,
 * ranges, index ranges, read-only and secret flags. The data is protocol/data/items.tsv,
 * compiled into the library as a GResource.
 *
 * The catalogue only annotates and validates: an item it does not know is allowed
 * everywhere (validate returns TRUE, describe returns NULL).
 *
 * Names are case-sensitive, as on the wire (`Canonical-dialing-*`, `MWI-*`, `XML-app-*`
 * carry capitals and the phone matches names exactly). No two catalogue names differ
 * only in case, so wpi_catalogue_lookup_ignore_case() can offer the right spelling
 * for a mistyped one.
 *
 * The catalogue is a GListModel of WpiItemInfo, in the order of the data file (by
 * name, ignoring case). It is immutable once loaded, so it may be used from any
 * thread.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-item-info.h"
#include "wpi-message.h"

G_BEGIN_DECLS

#define WPI_CATALOGUE_ERROR (wpi_catalogue_error_quark ())

typedef enum {
  WPI_CATALOGUE_ERROR_INVALID_DATA,      /* the catalogue data file itself is malformed */
  WPI_CATALOGUE_ERROR_READ_ONLY,         /* the phone refuses writes to this item */
  WPI_CATALOGUE_ERROR_INDEX_REQUIRED,    /* an indexed item without an index */
  WPI_CATALOGUE_ERROR_INDEX_NOT_ALLOWED, /* an index on an item that has none */
  WPI_CATALOGUE_ERROR_INDEX_OUT_OF_RANGE,
  WPI_CATALOGUE_ERROR_INVALID_TEXT,      /* not UTF-8, or a control character */
  WPI_CATALOGUE_ERROR_TOO_LONG,          /* over the item's maximum length */
  WPI_CATALOGUE_ERROR_INVALID_BOOLEAN,
  WPI_CATALOGUE_ERROR_INVALID_INTEGER,
  WPI_CATALOGUE_ERROR_OUT_OF_RANGE,      /* an integer or port outside its range */
  WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION,
  WPI_CATALOGUE_ERROR_INVALID_HOST,      /* dns type */
  WPI_CATALOGUE_ERROR_INVALID_IP,
  WPI_CATALOGUE_ERROR_INVALID_MAC,
  WPI_CATALOGUE_ERROR_INVALID_URI,
  WPI_CATALOGUE_ERROR_INVALID_BASE64,
  WPI_CATALOGUE_ERROR_INVALID_PEM,
  WPI_CATALOGUE_ERROR_INVALID_VERSION,
} WpiCatalogueError;

GQuark wpi_catalogue_error_quark (void);

/* The default resource path of the shipped data */
#define WPI_CATALOGUE_RESOURCE_PATH "/org/workpoint/Console/protocol/items.tsv"

#define WPI_TYPE_CATALOGUE (wpi_catalogue_get_type ())

G_DECLARE_FINAL_TYPE (WpiCatalogue, wpi_catalogue, WPI, CATALOGUE, GObject)

/* The shipped catalogue, loaded once on first use (thread-safe). Transfer none: it
 * lives until the process exits. */
WpiCatalogue        *wpi_catalogue_get_default       (void);

/* A catalogue from data in the items.tsv format (tests, or a site's own list).
 * Fails with WPI_CATALOGUE_ERROR_INVALID_DATA naming the line. */
WpiCatalogue        *wpi_catalogue_new_from_bytes    (GBytes       *data,
                                                      GError      **error);

guint                wpi_catalogue_get_n_items       (WpiCatalogue *self);
/* Exact, case-sensitive lookup; NULL for an unknown item. Transfer none. */
WpiItemInfo         *wpi_catalogue_lookup            (WpiCatalogue *self,
                                                      const char   *name);
/* ASCII case-insensitive lookup, for "did you mean" hints only: the phone itself
 * matches names exactly. */
WpiItemInfo         *wpi_catalogue_lookup_ignore_case (WpiCatalogue *self,
                                                      const char   *name);

/* A newly allocated meaning of value ("2" for sip-transport-user -> "TLS", "true" ->
 * "yes"), or NULL when the item is unknown or secret or the value has no listed meaning. */
char                *wpi_catalogue_describe_value    (WpiCatalogue *self,
                                                      const char   *name,
                                                      const char   *value);

/* Checks that value may be written to the item: not read-only, index present or absent
 * and in range as the item needs, value of the right type, in range, in the enumeration,
 * within the maximum length. TRUE for an unknown item. The error message names the item
 * and the value (secret values are shown as <masked>). */
gboolean             wpi_catalogue_validate          (WpiCatalogue *self,
                                                      const char   *name,
                                                      gboolean      has_index,
                                                      gint64        index,
                                                      const char   *value,
                                                      GError      **error);
/* The same for an item of a message */
gboolean             wpi_catalogue_validate_item     (WpiCatalogue  *self,
                                                      const WpiItem *item,
                                                      GError       **error);

/* Whether to mask the item's value. Catalogue items use their flag (a name in the
 * wrong case uses the flag of the right spelling). For an unknown name, to err on the
 * safe side, a dash-separated part "pwd", "passwd", "password", "pin", "tan",
 * "secret", "private", "credential(s)" or "certificate" (unless the name ends in
 * "-info") makes it secret. */
gboolean             wpi_catalogue_is_secret         (WpiCatalogue *self,
                                                      const char   *name);

/* Category ids in the order a UI should show them, NULL-terminated; every item's
 * category is one of them. Items the catalogue does not know belong in "other". */
const char * const  *wpi_catalogue_get_categories    (WpiCatalogue *self);
/* The translated title of a category id, or NULL for an unknown id */
const char          *wpi_catalogue_get_category_title (WpiCatalogue *self,
                                                      const char   *category);
/* A new list of the WpiItemInfo of one category, in catalogue order */
GListModel          *wpi_catalogue_list_category     (WpiCatalogue *self,
                                                      const char   *category);

G_END_DECLS
