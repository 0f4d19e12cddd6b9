/* test-address-range.c: the sweep's address ranges (issue 14, D25) */
#include "config.h"

#include "wpi-address-range.h"

/* Each range that parses, as "TEXT = FIRST .. LAST (SIZE, SCOPE)" */
static const char * const valid_ranges[] = {
  /* CIDR: hosts only from /30 on, whole for /31 and /32 */
  "192.168.1.0/24 = 192.168.1.1 .. 192.168.1.254 (254, private)",
  " 10.1.2.77/22  = 10.1.0.1 .. 10.1.3.254 (1022, private)",
  "127.3.0.0/30 = 127.3.0.1 .. 127.3.0.2 (2, loopback)", "127.3.0.4/31 = 127.3.0.4 .. 127.3.0.5 (2, loopback)",
  "172.16.5.9/32 = 172.16.5.9 .. 172.16.5.9 (1, private)",
  "169.254.0.0/16 = 169.254.0.1 .. 169.254.255.254 (65534, private)",
  "100.64.1.0/24 = 100.64.1.1 .. 100.64.1.254 (254, private)", "8.8.8.0/30 = 8.8.8.1 .. 8.8.8.2 (2, public)",
  /* first-last, the last as a whole address or its last octet */
  "10.0.0.5-10.0.0.80 = 10.0.0.5 .. 10.0.0.80 (76, private)", "10.0.0.5 - 80 = 10.0.0.5 .. 10.0.0.80 (76, private)",
  "10.0.255.250-10.1.0.3 = 10.0.255.250 .. 10.1.0.3 (10, private)",
  "192.168.1.7 = 192.168.1.7 .. 192.168.1.7 (1, private)",
  /* a range across two private blocks holds the public addresses between them */
  "10.255.255.250-11.0.0.5 = 10.255.255.250 .. 11.0.0.5 (12, public)",
  "126.255.255.254-127.0.0.1 = 126.255.255.254 .. 127.0.0.1 (4, public)",
};

static const char * const scope_names[] = {
  [WPI_ADDRESS_SCOPE_LOOPBACK] = "loopback",
  [WPI_ADDRESS_SCOPE_PRIVATE] = "private",
  [WPI_ADDRESS_SCOPE_PUBLIC] = "public",
};

static void
test_range_valid (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (valid_ranges); i++)
    {
      g_auto(GStrv) parts = g_strsplit (valid_ranges[i], " = ", 2);
      g_autoptr(GError) error = NULL;
      g_autofree char *first = NULL;
      g_autofree char *last = NULL;
      g_autofree char *shown = NULL;
      WpiAddressRange range = { 0, 0 };
      guint size;

      g_test_message ("%s", valid_ranges[i]);
      g_assert_true (wpi_address_range_parse (parts[0], &range, &error));
      g_assert_no_error (error);
      size = wpi_address_range_size (&range);
      first = wpi_address_range_nth (&range, 0);
      last = wpi_address_range_nth (&range, size - 1);
      shown = g_strdup_printf ("%s .. %s (%u, %s)", first, last, size,
                               scope_names[wpi_address_range_scope (&range)]);
      g_assert_cmpstr (shown, ==, parts[1]);
      g_assert_null (wpi_address_range_nth (&range, size));
      g_assert_cmpint (wpi_address_range_index_of (&range, last), ==, size - 1);
    }
}

/* What does not parse, by the error it gets */
static const struct {
  int         error;
  const char *texts[9];
} refused_ranges[] = {
  { WPI_ADDRESS_RANGE_ERROR_SYNTAX, { "", "phones", "192.168.1.0/33", "192.168.1.0/", "192.168.1.300",
                                      "10.0.0.80-10.0.0.5", "10.0.0.5-256", "fd00::/64", NULL } },
  { WPI_ADDRESS_RANGE_ERROR_NOT_UNICAST, { "224.0.0.0/24", "0.0.0.0/0", "223.255.255.0-224.0.0.2", NULL } },
  { WPI_ADDRESS_RANGE_ERROR_TOO_LARGE, { "10.0.0.0/15", "172.31.255.0-192.168.0.10", NULL } },
};

static void
test_range_refused (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (refused_ranges); i++)
    for (guint j = 0; refused_ranges[i].texts[j] != NULL; j++)
      {
        g_autoptr(GError) error = NULL;
        WpiAddressRange range = { 0, 0 };

        g_test_message ("\"%s\"", refused_ranges[i].texts[j]);
        g_assert_false (wpi_address_range_parse (refused_ranges[i].texts[j], &range, &error));
        g_assert_error (error, WPI_ADDRESS_RANGE_ERROR, refused_ranges[i].error);
      }
}

static void
test_range_index_of (void)
{
  WpiAddressRange range;

  g_assert_true (wpi_address_range_parse ("127.3.0.0/22", &range, NULL));
  g_assert_cmpint (wpi_address_range_index_of (&range, "127.3.0.1"), ==, 0);
  g_assert_cmpint (wpi_address_range_index_of (&range, "127.3.1.0"), ==, 255);
  g_assert_cmpint (wpi_address_range_index_of (&range, "127.3.0.0"), ==, -1);
  g_assert_cmpint (wpi_address_range_index_of (&range, "127.3.4.1"), ==, -1);
  g_assert_cmpint (wpi_address_range_index_of (&range, "::1"), ==, -1);
  g_assert_cmpint (wpi_address_range_index_of (&range, NULL), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/address-range/valid", test_range_valid);
  g_test_add_func ("/address-range/refused", test_range_refused);
  g_test_add_func ("/address-range/index-of", test_range_index_of);
  return g_test_run ();
}
