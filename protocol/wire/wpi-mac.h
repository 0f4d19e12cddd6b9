/* wpi-mac.h: the one MAC address normaliser of the project
 *
 * Phones name themselves by MAC (decisions.md D4) in items, certificates, handout CSVs,
 * imports and on the command line; every one of those goes through wpi_mac_normalize(),
 * so a phone is the same phone whichever form it was written in.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WPI_MAC_ERROR (wpi_mac_error_quark ())

typedef enum {
  WPI_MAC_ERROR_INVALID,   /* not a MAC address in any accepted form */
} WpiMacError;

GQuark wpi_mac_error_quark (void);

/* "00:1A:E8:12:34:56" for 12 hex digits in either case, bare (`001ae8123456`), in pairs
 * separated consistently by ':' or '-' (`00-1a-e8-12-34-56`), or in quads separated by
 * '.' (`001a.e812.3456`); surrounding white space is ignored. Anything else is
 * WPI_MAC_ERROR_INVALID. */
char     *wpi_mac_normalize (const char  *mac,
                             GError     **error);

/* TRUE when mac is already in the normal form wpi_mac_normalize() returns. */
gboolean  wpi_mac_is_normal (const char  *mac);

G_END_DECLS
