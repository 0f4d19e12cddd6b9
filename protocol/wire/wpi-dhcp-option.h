/* wpi-dhcp-option.h: DHCP option 43, the way phones find the console (D26)
 *
 * An OpenStage phone in Default Mode that gets DHCP option 43 ("vendor specific") with
 * the vendor name "Siemens" contacts the DLS address it carries. The layout follows the
 * OpenStage HFA Family Administration Manual (A31003-S2010-M100-18-76A9, §2.3.5.2 "Using
 * Option #43 'Vendor Specific'"): sub-options as code, length, value (RFC 2132 §8.4),
 *
 *   code 1  vendor name  "Siemens"                      01 07 53 69 65 6D 65 6E 73
 *   code 3  DLS address  "sdlp://192.168.2.19:18443"    03 19 73 64 6C 70 3A 2F 2F ...
 *
 * closed by the end code 255 (RFC 2132 §8.4; the optiPoint manual's "terminate option").
 * Code 4 (DLS host name) and code 2 (VLAN id) are not written: the console gives its
 * addresses, and VLAN discovery is the network's business.
 *
 * Pure functions: the payload and the configuration snippets for the usual DHCP
 * servers, so that what the console shows is what the unit tests check.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WPI_DHCP_ERROR (wpi_dhcp_error_quark ())

typedef enum {
  WPI_DHCP_ERROR_INVALID_ADDRESS, /* not an IP address */
  WPI_DHCP_ERROR_TOO_LONG,        /* a sub-option or the option over 255 bytes */
} WpiDhcpError;

GQuark wpi_dhcp_error_quark (void);

#define WPI_DHCP_OPTION_VENDOR_SPECIFIC 43
#define WPI_DHCP_VENDOR_NAME            "Siemens"

typedef enum {
  WPI_DHCP_SUBOPTION_VENDOR_NAME = 1,
  WPI_DHCP_SUBOPTION_VLAN_ID     = 2,
  WPI_DHCP_SUBOPTION_DLS_ADDRESS = 3,
  WPI_DHCP_SUBOPTION_DLS_HOST    = 4,
  WPI_DHCP_SUBOPTION_END         = 255,
} WpiDhcpSubOption;

/* The DHCP servers a snippet is written for, in the order a UI shows them */
typedef enum {
  WPI_DHCP_SERVER_ISC,
  WPI_DHCP_SERVER_KEA,
  WPI_DHCP_SERVER_DNSMASQ,
  WPI_DHCP_SERVER_WINDOWS,
} WpiDhcpServer;

#define WPI_DHCP_N_SERVERS 4

/* "sdlp://192.0.2.2:18443", "sdlp://[2001:db8::2]:18443"; NULL with
 * WPI_DHCP_ERROR_INVALID_ADDRESS when address is no IP address, port 0 is refused too. */
char       *wpi_dhcp_dls_address        (const char     *address,
                                         guint           port,
                                         GError        **error);
/* The option 43 value (without the option's own code and length) for a DLS address
 * such as wpi_dhcp_dls_address() makes; WPI_DHCP_ERROR_TOO_LONG past 255 bytes. */
GBytes     *wpi_dhcp_option43_encode    (const char     *dls_address,
                                         GError        **error);
/* "01:07:53:…" with the separator given ("" for none), upper case */
char       *wpi_dhcp_format_hex         (GBytes         *payload,
                                         const char     *separator);
/* A name for people: "ISC dhcpd", "Kea", "dnsmasq", "Windows Server" */
const char *wpi_dhcp_server_get_title   (WpiDhcpServer   server);
/* The lines to paste into the server's configuration (or shell, for Windows) that
 * send payload as option 43; dls_address is named in a comment. */
char       *wpi_dhcp_server_snippet     (WpiDhcpServer   server,
                                         GBytes         *payload,
                                         const char     *dls_address);

G_END_DECLS
