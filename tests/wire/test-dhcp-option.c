/* test-dhcp-option.c: DHCP option 43 byte for byte as the OpenStage administration
 * manual gives it, and the snippets for the DHCP servers (D26) */
#include "config.h"

#include <string.h>

#include "wpi-dhcp-option.h"

/* OpenStage HFA Family Administration Manual A31003-S2010-M100-18-76A9, §2.3.5.2: the
 * vendor name tag and the DLS address tag of its example, then the end code. */
static const guint8 manual_example[] = {
  0x01, 0x07, 0x53, 0x69, 0x65, 0x6D, 0x65, 0x6E, 0x73,
  0x03, 0x19, 0x73, 0x64, 0x6C, 0x70, 0x3A, 0x2F, 0x2F, 0x31, 0x39, 0x32, 0x2E, 0x31,
  0x36, 0x38, 0x2E, 0x32, 0x2E, 0x31, 0x39, 0x3A, 0x31, 0x38, 0x34, 0x34, 0x33,
  0xFF,
};

static GBytes *
encode_manual_example (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = wpi_dhcp_dls_address ("192.168.2.19", 18443, &error);
  GBytes *payload;

  g_assert_no_error (error);
  g_assert_cmpstr (address, ==, "sdlp://192.168.2.19:18443");
  payload = wpi_dhcp_option43_encode (address, &error);
  g_assert_no_error (error);
  return payload;
}

static void
test_dhcp_manual_example (void)
{
  g_autoptr(GBytes) payload = encode_manual_example ();
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (payload, &size);
  g_autofree char *hex = wpi_dhcp_format_hex (payload, " ");

  g_assert_cmpmem (data, size, manual_example, sizeof manual_example);
  g_assert_true (g_str_has_prefix (hex, "01 07 53 69 65 6D 65 6E 73 03 19 73 64 6C 70 3A"));
  g_assert_true (g_str_has_suffix (hex, "34 34 33 FF"));
}

/* DLS addresses made from an address and a port */
static const struct {
  const char *address;
  guint       port;
  const char *expected; /* NULL: refused */
} address_cases[] = {
  { "192.0.2.2", 18443, "sdlp://192.0.2.2:18443" },
  { "2001:DB8::2", 18443, "sdlp://[2001:db8::2]:18443" },
  { "10.0.0.1", 1, "sdlp://10.0.0.1:1" },
  { "phones.example", 18443, NULL },
  { "192.0.2.256", 18443, NULL },
  { "", 18443, NULL },
  { "192.0.2.2", 0, NULL },
  { "192.0.2.2", 65536, NULL },
};

static void
test_dhcp_addresses (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (address_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *address = wpi_dhcp_dls_address (address_cases[i].address, address_cases[i].port, &error);

      g_assert_cmpstr (address, ==, address_cases[i].expected);
      if (address_cases[i].expected == NULL)
        g_assert_error (error, WPI_DHCP_ERROR, WPI_DHCP_ERROR_INVALID_ADDRESS);
      else
        g_assert_no_error (error);
    }
}

/* The length bytes follow the address, and nothing past 255 bytes is made */
static void
test_dhcp_lengths (void)
{
  for (gsize length = 1; length <= 260; length++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *address = g_strnfill (length, 'a');
      g_autoptr(GBytes) payload = wpi_dhcp_option43_encode (address, &error);
      /* 9 bytes vendor tag, 2 bytes address header, 1 end byte */
      gsize expected_size = 9 + 2 + length + 1;

      if (expected_size > 255)
        {
          g_assert_error (error, WPI_DHCP_ERROR, WPI_DHCP_ERROR_TOO_LONG);
          g_assert_null (payload);
          continue;
        }
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (payload), ==, expected_size);
      g_assert_cmpuint (((const guint8 *) g_bytes_get_data (payload, NULL))[9], ==, 3);
      g_assert_cmpuint (((const guint8 *) g_bytes_get_data (payload, NULL))[10], ==, length);
    }
}

static void
test_dhcp_snippets (void)
{
  g_autoptr(GBytes) payload = encode_manual_example ();
  const char *address = "sdlp://192.168.2.19:18443";
  static const struct {
    WpiDhcpServer  server;
    const char    *title;
    const char    *line;
  } cases[] = {
    { WPI_DHCP_SERVER_ISC, "ISC dhcpd",
      "option vendor-encapsulated-options 01:07:53:69:65:6D:65:6E:73:03:19:73:64:6C:70:3A:2F:2F:"
      "31:39:32:2E:31:36:38:2E:32:2E:31:39:3A:31:38:34:34:33:FF;\n" },
    { WPI_DHCP_SERVER_KEA, "Kea",
      "    \"data\": \"01075369656D656E7303197364"
      "6C703A2F2F3139322E3136382E322E31393A3138343433FF\"\n" },
    { WPI_DHCP_SERVER_DNSMASQ, "dnsmasq",
      "dhcp-option=43,01:07:53:69:65:6D:65:6E:73:03:19:73:64:6C:70:3A:2F:2F:31:39:32:2E:31:36:38:"
      "2E:32:2E:31:39:3A:31:38:34:34:33:FF\n" },
    { WPI_DHCP_SERVER_WINDOWS, "Windows Server",
      "Set-DhcpServerv4OptionValue -OptionId 43 -Value 0x01,0x07,0x53,0x69,0x65,0x6D,0x65,0x6E,"
      "0x73,0x03,0x19,0x73,0x64,0x6C,0x70,0x3A,0x2F,0x2F,0x31,0x39,0x32,0x2E,0x31,0x36,0x38,0x2E,"
      "0x32,0x2E,0x31,0x39,0x3A,0x31,0x38,0x34,0x34,0x33,0xFF\n" },
  };

  g_assert_cmpuint (G_N_ELEMENTS (cases), ==, WPI_DHCP_N_SERVERS);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *snippet = wpi_dhcp_server_snippet (cases[i].server, payload, address);

      g_assert_cmpstr (wpi_dhcp_server_get_title (cases[i].server), ==, cases[i].title);
      g_assert_nonnull (strstr (snippet, cases[i].line));
      /* the address is named for the reader */
      g_assert_nonnull (strstr (snippet, address));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dhcp/manual-example", test_dhcp_manual_example);
  g_test_add_func ("/dhcp/addresses", test_dhcp_addresses);
  g_test_add_func ("/dhcp/lengths", test_dhcp_lengths);
  g_test_add_func ("/dhcp/snippets", test_dhcp_snippets);

  return g_test_run ();
}
