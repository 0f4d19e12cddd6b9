/* wpc-point-phones-dialog.h: "Point Phones Here", the DHCP option 43 for this console
 *
 * For each address phones can reach the console on (wpc-local-addresses.h, following
 * the listening-address setting): the DLS address, the option 43 payload in hex and the
 * configuration snippets for ISC dhcpd, Kea, dnsmasq and Windows Server, each with a
 * Copy button (D26). What it shows comes from wpi-dhcp-option.h, so the unit tests of
 * the wire layer check the bytes.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WPC_TYPE_POINT_PHONES_DIALOG (wpc_point_phones_dialog_get_type ())

G_DECLARE_FINAL_TYPE (WpcPointPhonesDialog, wpc_point_phones_dialog, WPC, POINT_PHONES_DIALOG, GtkWindow)

/* bind_address: the listening-address setting ("" or NULL: every address); port: the
 * Default Mode port */
WpcPointPhonesDialog *wpc_point_phones_dialog_new             (GtkWindow            *parent,
                                                               const char           *bind_address,
                                                               guint                 port);
/* The DLS addresses offered, in the order of the address list */
GStrv                 wpc_point_phones_dialog_get_dls_addresses (WpcPointPhonesDialog *self);
/* Shows the payload and snippets of the address at position */
void                  wpc_point_phones_dialog_select          (WpcPointPhonesDialog *self,
                                                               guint                 position);

G_END_DECLS
