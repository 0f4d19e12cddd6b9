/* wpi-dhcp-option.c: DHCP option 43 for OpenStage phones (D26)
 *
 * See wpi-dhcp-option.h for the layout and where it comes from.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "wpi-dhcp-option.h"

/* A DHCP option's length is one byte (RFC 2132 §2) */
#define MAX_OPTION_BYTES 255

G_DEFINE_QUARK (wpi-dhcp-error-quark, wpi_dhcp_error)

char *
wpi_dhcp_dls_address (const char  *address,
                      guint        port,
                      GError     **error)
{
  g_autoptr(GInetAddress) parsed = NULL;
  g_autofree char *host = NULL;

  g_return_val_if_fail (address != NULL, NULL);

  parsed = g_inet_address_new_from_string (address);
  if (parsed == NULL)
    {
      g_set_error (error, WPI_DHCP_ERROR, WPI_DHCP_ERROR_INVALID_ADDRESS,
                   _("“%s” is not an IP address"), address);
      return NULL;
    }
  if (port == 0 || port > G_MAXUINT16)
    {
      g_set_error (error, WPI_DHCP_ERROR, WPI_DHCP_ERROR_INVALID_ADDRESS,
                   _("%u is not a port"), port);
      return NULL;
    }
  /* the text GIO gives, so "::ffff:…" and upper-case IPv6 come out in one spelling */
  host = g_inet_address_to_string (parsed);
  if (g_inet_address_get_family (parsed) == G_SOCKET_FAMILY_IPV6)
    return g_strdup_printf ("sdlp://[%s]:%u", host, port);
  return g_strdup_printf ("sdlp://%s:%u", host, port);
}

static gboolean
append_suboption (GByteArray  *out,
                  guint8       code,
                  const char  *value,
                  GError     **error)
{
  gsize length = strlen (value);
  guint8 header[2] = { code, (guint8) length };

  /* the sub-option's header, its value and the end code all fit in the option */
  if (length > G_MAXUINT8 || out->len + 2 + length + 1 > MAX_OPTION_BYTES)
    {
      g_set_error (error, WPI_DHCP_ERROR, WPI_DHCP_ERROR_TOO_LONG,
                   _("“%s” is too long for DHCP option 43 (at most %u bytes in all)"),
                   value, MAX_OPTION_BYTES);
      return FALSE;
    }
  g_byte_array_append (out, header, sizeof header);
  g_byte_array_append (out, (const guint8 *) value, length);
  return TRUE;
}

GBytes *
wpi_dhcp_option43_encode (const char  *dls_address,
                          GError     **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  const guint8 end = WPI_DHCP_SUBOPTION_END;

  g_return_val_if_fail (dls_address != NULL, NULL);

  /* vendor first, then the address, as the manual's example (§2.3.5.2) */
  if (!append_suboption (out, WPI_DHCP_SUBOPTION_VENDOR_NAME, WPI_DHCP_VENDOR_NAME, error) ||
      !append_suboption (out, WPI_DHCP_SUBOPTION_DLS_ADDRESS, dls_address, error))
    return NULL;
  g_byte_array_append (out, &end, 1);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

char *
wpi_dhcp_format_hex (GBytes     *payload,
                     const char *separator)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (payload, &size);

  for (gsize i = 0; i < size; i++)
    {
      if (i > 0)
        g_string_append (out, separator);
      g_string_append_printf (out, "%02X", data[i]);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

const char *
wpi_dhcp_server_get_title (WpiDhcpServer server)
{
  switch (server)
    {
    case WPI_DHCP_SERVER_ISC:
      return "ISC dhcpd";
    case WPI_DHCP_SERVER_KEA:
      return "Kea";
    case WPI_DHCP_SERVER_DNSMASQ:
      return "dnsmasq";
    case WPI_DHCP_SERVER_WINDOWS:
      return "Windows Server";
    default:
      g_return_val_if_reached (NULL);
    }
}

/* Windows' PowerShell takes the bytes as a list: 0x01,0x07,… */
static char *
format_byte_list (GBytes *payload)
{
  g_autofree char *hex = wpi_dhcp_format_hex (payload, ",0x");

  return g_strconcat ("0x", hex, NULL);
}

char *
wpi_dhcp_server_snippet (WpiDhcpServer  server,
                         GBytes        *payload,
                         const char    *dls_address)
{
  g_autofree char *colons = wpi_dhcp_format_hex (payload, ":");
  g_autofree char *plain = wpi_dhcp_format_hex (payload, "");

  g_return_val_if_fail (payload != NULL && dls_address != NULL, NULL);

  switch (server)
    {
    case WPI_DHCP_SERVER_ISC:
      /* dhcpd.conf: the predefined option, a colon-separated hex string */
      return g_strdup_printf ("# OpenStage phones: vendor Siemens, DLS %s\n"
                              "option vendor-encapsulated-options %s;\n",
                              dls_address, colons);
    case WPI_DHCP_SERVER_KEA:
      /* kea-dhcp4.conf, in the subnet's or a client class's "option-data" */
      return g_strdup_printf ("// OpenStage phones: vendor Siemens, DLS %s\n"
                              "\"option-data\": [\n"
                              "  {\n"
                              "    \"code\": 43,\n"
                              "    \"name\": \"vendor-encapsulated-options\",\n"
                              "    \"csv-format\": false,\n"
                              "    \"data\": \"%s\"\n"
                              "  }\n"
                              "]\n",
                              dls_address, plain);
    case WPI_DHCP_SERVER_DNSMASQ:
      /* dnsmasq.conf: colon-separated hex is taken as raw bytes */
      return g_strdup_printf ("# OpenStage phones: vendor Siemens, DLS %s\n"
                              "dhcp-option=43,%s\n",
                              dls_address, colons);
    case WPI_DHCP_SERVER_WINDOWS:
      {
        g_autofree char *list = format_byte_list (payload);

        /* option 43 is predefined as binary data: PowerShell, or netsh on older servers */
        return g_strdup_printf ("# OpenStage phones: vendor Siemens, DLS %s\n"
                                "# add -ScopeId A.B.C.D to set it for the phones' scope only\n"
                                "Set-DhcpServerv4OptionValue -OptionId 43 -Value %s\n"
                                "# or: netsh dhcp server set optionvalue 043 BINARY %s\n",
                                dls_address, list, plain);
      }
    default:
      g_return_val_if_reached (NULL);
    }
}
