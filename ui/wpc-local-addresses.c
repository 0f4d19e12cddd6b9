/* wpc-local-addresses.c: the addresses by which phones can reach this computer
 *
 * GIO has no interface enumeration, so getifaddrs() gives the raw list and GInetAddress
 * classifies and formats it.
 */
#include "config.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <glib/gi18n.h>

#include "wpc-local-addresses.h"

static gboolean
is_reachable_by_phones (GInetAddress *address)
{
  /* Loopback never leaves this computer; link-local addresses need a scope id that a
   * DHCP option cannot carry. */
  return !g_inet_address_get_is_loopback (address) &&
         !g_inet_address_get_is_link_local (address) &&
         !g_inet_address_get_is_any (address) &&
         !g_inet_address_get_is_multicast (address);
}

static gint
compare_addresses (gconstpointer a,
                   gconstpointer b)
{
  GInetAddress *address_a = *(GInetAddress **) a;
  GInetAddress *address_b = *(GInetAddress **) b;
  GSocketFamily family_a = g_inet_address_get_family (address_a);
  GSocketFamily family_b = g_inet_address_get_family (address_b);
  g_autofree char *text_a = NULL;
  g_autofree char *text_b = NULL;

  /* IPv4 first: that is what phones are usually configured with. */
  if (family_a != family_b)
    return family_a == G_SOCKET_FAMILY_IPV4 ? -1 : 1;

  if (g_inet_address_get_native_size (address_a) == g_inet_address_get_native_size (address_b))
    return memcmp (g_inet_address_to_bytes (address_a),
                   g_inet_address_to_bytes (address_b),
                   g_inet_address_get_native_size (address_a));

  text_a = g_inet_address_to_string (address_a);
  text_b = g_inet_address_to_string (address_b);
  return g_strcmp0 (text_a, text_b);
}

static gboolean
contains_address (GPtrArray    *addresses,
                  GInetAddress *address)
{
  for (guint i = 0; i < addresses->len; i++)
    if (g_inet_address_equal (g_ptr_array_index (addresses, i), address))
      return TRUE;
  return FALSE;
}

static GPtrArray *
list_family (GSocketFamily   only_family,
             GError        **error)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_object_unref);
  struct ifaddrs *interfaces = NULL;

  if (getifaddrs (&interfaces) != 0)
    {
      int saved_errno = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not list the network addresses of this computer: %s"),
                   g_strerror (saved_errno));
      return NULL;
    }

  for (struct ifaddrs *iface = interfaces; iface != NULL; iface = iface->ifa_next)
    {
      g_autoptr(GInetAddress) address = NULL;

      if (iface->ifa_addr == NULL || (iface->ifa_flags & IFF_UP) == 0)
        continue;

      if (iface->ifa_addr->sa_family == AF_INET)
        {
          const struct sockaddr_in *in4 = (const struct sockaddr_in *) (gpointer) iface->ifa_addr;
          address = g_inet_address_new_from_bytes ((const guint8 *) &in4->sin_addr,
                                                   G_SOCKET_FAMILY_IPV4);
        }
      else if (iface->ifa_addr->sa_family == AF_INET6)
        {
          const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) (gpointer) iface->ifa_addr;
          address = g_inet_address_new_from_bytes ((const guint8 *) &in6->sin6_addr,
                                                   G_SOCKET_FAMILY_IPV6);
        }
      else
        continue;

      if (only_family != G_SOCKET_FAMILY_INVALID &&
          g_inet_address_get_family (address) != only_family)
        continue;

      if (is_reachable_by_phones (address) && !contains_address (addresses, address))
        g_ptr_array_add (addresses, g_steal_pointer (&address));
    }

  freeifaddrs (interfaces);
  g_ptr_array_sort (addresses, compare_addresses);
  return g_steal_pointer (&addresses);
}

/**
 * wpc_local_addresses_list:
 *
 * Lists the addresses of the interfaces that are up, without loopback, link-local,
 * duplicates; IPv4 first, then IPv6, each in numeric order.
 *
 * Returns: (transfer full) (element-type GInetAddress): the addresses, possibly empty
 */
GPtrArray *
wpc_local_addresses_list (GError **error)
{
  return list_family (G_SOCKET_FAMILY_INVALID, error);
}

/**
 * wpc_local_addresses_for_bind:
 * @bind_address: (nullable): the listening address setting; empty or %NULL means all
 *
 * The addresses a listener bound to @bind_address can be reached on: every local address
 * for "" or "::", every IPv4 address for "0.0.0.0", else @bind_address itself (also when
 * it is loopback: the user chose it).
 *
 * Returns: (transfer full) (element-type GInetAddress): the addresses, or %NULL with
 *   %G_IO_ERROR_INVALID_ARGUMENT when @bind_address is no IP address
 */
GPtrArray *
wpc_local_addresses_for_bind (const char  *bind_address,
                              GError     **error)
{
  g_autoptr(GInetAddress) bound = NULL;
  g_autoptr(GPtrArray) addresses = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (bind_address != NULL ? bind_address : ""));

  if (trimmed[0] == '\0')
    return wpc_local_addresses_list (error);

  bound = g_inet_address_new_from_string (trimmed);
  if (bound == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an IP address"), trimmed);
      return NULL;
    }

  if (g_inet_address_get_is_any (bound))
    return list_family (g_inet_address_get_family (bound) == G_SOCKET_FAMILY_IPV4
                          ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_INVALID,
                        error);

  addresses = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (addresses, g_steal_pointer (&bound));
  return g_steal_pointer (&addresses);
}

/**
 * wpc_local_addresses_sdlp_url:
 * @address: an address of this computer
 * @port: the Default Mode port
 *
 * The value for DHCP option 43 (and the phones' DLS address field), e.g.
 * `sdlp://192.0.2.2:18443`; IPv6 addresses are bracketed as in URLs.
 *
 * Returns: (transfer full): the URL
 */
char *
wpc_local_addresses_sdlp_url (GInetAddress *address,
                              guint         port)
{
  g_autofree char *host = NULL;

  g_return_val_if_fail (G_IS_INET_ADDRESS (address), NULL);
  g_return_val_if_fail (port > 0 && port <= G_MAXUINT16, NULL);

  host = g_inet_address_to_string (address);
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("sdlp://[%s]:%u", host, port);
  return g_strdup_printf ("sdlp://%s:%u", host, port);
}
