/* wpc-local-addresses.h: the addresses by which phones can reach this computer
 *
 * GTK-free, so the service can use it for contact-me too.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GPtrArray *wpc_local_addresses_list      (GError       **error);
GPtrArray *wpc_local_addresses_for_bind  (const char    *bind_address,
                                          GError       **error);
char      *wpc_local_addresses_sdlp_url  (GInetAddress  *address,
                                          guint          port);

G_END_DECLS
