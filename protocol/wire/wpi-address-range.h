/* wpi-address-range.h: an IPv4 address range as a technician writes it (issue 14, D25)
 *
 * "192.168.1.0/24", "10.0.0.5-10.0.0.80", "10.0.0.5-80" (the last octet only) or one
 * address. A CIDR block of /30 or wider stands for its hosts: its network and broadcast
 * addresses are left out, as no phone has them. IPv4 only: a sweep of an IPv6 /64 would
 * be 2^64 addresses, and phones there are found by their router advertisements anyway.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most addresses one range may hold (a /16): a sweep of more is a mistyped range */
#define WPI_ADDRESS_RANGE_MAX_SIZE 65536

#define WPI_ADDRESS_RANGE_ERROR (wpi_address_range_error_quark ())

typedef enum {
  WPI_ADDRESS_RANGE_ERROR_SYNTAX,       /* not CIDR, first-last or an address */
  WPI_ADDRESS_RANGE_ERROR_NOT_UNICAST,  /* 0.0.0.0/8, multicast, reserved, broadcast */
  WPI_ADDRESS_RANGE_ERROR_TOO_LARGE,    /* more than WPI_ADDRESS_RANGE_MAX_SIZE */
} WpiAddressRangeError;

/* Where a range lies (D25): a sweep goes to loopback and private ranges; one with any
 * public address in it only when the settings allow */
typedef enum {
  WPI_ADDRESS_SCOPE_LOOPBACK,   /* 127.0.0.0/8 */
  WPI_ADDRESS_SCOPE_PRIVATE,    /* RFC 1918, 169.254.0.0/16, 100.64.0.0/10 */
  WPI_ADDRESS_SCOPE_PUBLIC,     /* any other unicast address */
} WpiAddressScope;

typedef struct {
  guint32 first;   /* host byte order, inclusive */
  guint32 last;
} WpiAddressRange;

GQuark          wpi_address_range_error_quark (void);

/* FALSE and an error when text is no range this accepts; white space around is ignored. */
gboolean        wpi_address_range_parse       (const char            *text,
                                               WpiAddressRange       *range,
                                               GError               **error);
guint           wpi_address_range_size        (const WpiAddressRange *range);
/* The n-th address (0 is first) as dotted text; NULL past the end. */
char           *wpi_address_range_nth         (const WpiAddressRange *range,
                                               guint                  n);
/* The position of address (dotted text) in range, or -1 when it is not in it. */
gint64          wpi_address_range_index_of    (const WpiAddressRange *range,
                                               const char            *address);
/* The widest scope any address of range has: PUBLIC when one is public. */
WpiAddressScope wpi_address_range_scope       (const WpiAddressRange *range);
/* "192.168.1.1 – 192.168.1.254" */
char           *wpi_address_range_to_string   (const WpiAddressRange *range);

G_END_DECLS
