/* wpictl-dhcp.c: `wpictl dhcp-option`, what to put into DHCP option 43 (D26)
 *
 * The same payload and snippets as the console's "Point Phones Here" dialog, for one
 * address or for every address of this computer that phones can reach.
 */
#include "config.h"

#include <stdio.h>

#include "wpc-local-addresses.h"
#include "wpi-dhcp-option.h"
#include "wpi-service.h"
#include "wpictl-private.h"

/* The port the service recorded when it last started, else the default one */
static guint
service_port (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *port = NULL;
  guint64 value = 0;

  if (!_wpictl_open_store (FALSE, &error))
    return WPI_DEFAULT_PORT;
  port = wpi_store_setting_get (wpictl.store, "service-port", NULL);
  if (port == NULL || !g_ascii_string_to_unsigned (port, 10, 1, G_MAXUINT16, &value, NULL))
    return WPI_DEFAULT_PORT;
  return (guint) value;
}

static gboolean
print_for_address (const char  *address,
                   guint        port,
                   GError     **error)
{
  g_autofree char *dls_address = wpi_dhcp_dls_address (address, port, error);
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *hex = NULL;

  if (dls_address == NULL || (payload = wpi_dhcp_option43_encode (dls_address, error)) == NULL)
    return FALSE;
  hex = wpi_dhcp_format_hex (payload, " ");
  printf ("%s\n  option 43 (%" G_GSIZE_FORMAT " bytes): %s\n",
          dls_address, g_bytes_get_size (payload), hex);
  for (guint i = 0; i < WPI_DHCP_N_SERVERS; i++)
    {
      g_autofree char *snippet = wpi_dhcp_server_snippet (i, payload, dls_address);
      g_auto(GStrv) lines = g_strsplit (snippet, "\n", -1);

      printf ("\n  %s:\n", wpi_dhcp_server_get_title (i));
      for (guint j = 0; lines[j] != NULL; j++)
        if (lines[j][0] != '\0')
          printf ("    %s\n", lines[j]);
    }
  return TRUE;
}

int
_wpictl_cmd_dhcp_option (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) addresses = NULL;
  guint port = service_port ();

  if (args[0] != NULL)
    return print_for_address (args[0], port, &error) ? EXIT_OK
                                                     : _wpictl_fail (EXIT_INVALID, "%s", error->message);

  addresses = wpc_local_addresses_list (&error);
  if (addresses == NULL)
    return _wpictl_fail_error (error);
  if (addresses->len == 0)
    return _wpictl_fail (EXIT_INVALID, "This computer has no address phones can reach: "
                                       "connect it to the phones' network or name an ADDRESS");
  for (guint i = 0; i < addresses->len; i++)
    {
      g_autofree char *text = g_inet_address_to_string (g_ptr_array_index (addresses, i));

      if (i > 0)
        printf ("\n");
      if (!print_for_address (text, port, &error))
        return _wpictl_fail (EXIT_INVALID, "%s", error->message);
    }
  return EXIT_OK;
}
