/* test-address-range.c: the sweep's address ranges (issue 14, D25) */
#include "config.h"

#include "wpi-address-range.h"

typedef struct {
  const char     *text;
  int             error;     /* -1: parses */
  const char     *first;
  const char     *last;
  guint           size;
  WpiAddressScope scope;
} RangeCase;

static const RangeCase range_cases[] = {
  /* CIDR: hosts only from /30 on, whole for /31 and /32 */
  { "192.168.1.0/24", -1, "192.168.1.1", "192.168.1.254", 254, WPI_ADDRESS_SCOPE_PRIVATE },
  { " 10.1.2.77/22 ", -1, "10.1.0.1", "10.1.3.254", 1022, WPI_ADDRESS_SCOPE_PRIVATE },
  { "127.3.0.0/30", -1, "127.3.0.1", "127.3.0.2", 2, WPI_ADDRESS_SCOPE_LOOPBACK },
  { "127.3.0.4/31", -1, "127.3.0.4", "127.3.0.5", 2, WPI_ADDRESS_SCOPE_LOOPBACK },
  { "172.16.5.9/32", -1, "172.16.5.9", "172.16.5.9", 1, WPI_ADDRESS_SCOPE_PRIVATE },
  { "169.254.0.0/16", -1, "169.254.0.1", "169.254.255.254", 65534, WPI_ADDRESS_SCOPE_PRIVATE },
  { "100.64.1.0/24", -1, "100.64.1.1", "100.64.1.254", 254, WPI_ADDRESS_SCOPE_PRIVATE },
  { "8.8.8.0/30", -1, "8.8.8.1", "8.8.8.2", 2, WPI_ADDRESS_SCOPE_PUBLIC },
  /* first-last, the last as a whole address or its last octet */
  { "10.0.0.5-10.0.0.80", -1, "10.0.0.5", "10.0.0.80", 76, WPI_ADDRESS_SCOPE_PRIVATE },
  { "10.0.0.5 - 80", -1, "10.0.0.5", "10.0.0.80", 76, WPI_ADDRESS_SCOPE_PRIVATE },
  { "10.0.255.250-10.1.0.3", -1, "10.0.255.250", "10.1.0.3", 10, WPI_ADDRESS_SCOPE_PRIVATE },
  { "192.168.1.7", -1, "192.168.1.7", "192.168.1.7", 1, WPI_ADDRESS_SCOPE_PRIVATE },
  /* a range across two private blocks holds the public addresses between them */
  { "172.31.255.0-192.168.0.10", WPI_ADDRESS_RANGE_ERROR_TOO_LARGE, NULL, NULL, 0, 0 },
  { "10.255.255.250-11.0.0.5", -1, "10.255.255.250", "11.0.0.5", 12, WPI_ADDRESS_SCOPE_PUBLIC },
  { "126.255.255.254-127.0.0.1", -1, "126.255.255.254", "127.0.0.1", 4, WPI_ADDRESS_SCOPE_PUBLIC },
  /* refused */
  { "", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "phones", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "192.168.1.0/33", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "192.168.1.0/", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "192.168.1.300", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "10.0.0.80-10.0.0.5", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "10.0.0.5-256", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "fd00::/64", WPI_ADDRESS_RANGE_ERROR_SYNTAX, NULL, NULL, 0, 0 },
  { "224.0.0.0/24", WPI_ADDRESS_RANGE_ERROR_NOT_UNICAST, NULL, NULL, 0, 0 },
  { "0.0.0.0/0", WPI_ADDRESS_RANGE_ERROR_NOT_UNICAST, NULL, NULL, 0, 0 },
  { "223.255.255.0-224.0.0.2", WPI_ADDRESS_RANGE_ERROR_NOT_UNICAST, NULL, NULL, 0, 0 },
  { "10.0.0.0/15", WPI_ADDRESS_RANGE_ERROR_TOO_LARGE, NULL, NULL, 0, 0 },
};

static void
test_range_parse (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (range_cases); i++)
    {
      const RangeCase *c = &range_cases[i];
      g_autoptr(GError) error = NULL;
      WpiAddressRange range = { 0, 0 };
      gboolean ok = wpi_address_range_parse (c->text, &range, &error);

      g_test_message ("%s", c->text);
      if (c->error >= 0)
        {
          g_assert_false (ok);
          g_assert_error (error, WPI_ADDRESS_RANGE_ERROR, c->error);
          continue;
        }
      g_assert_no_error (error);
      g_assert_true (ok);
      {
        g_autofree char *first = wpi_address_range_nth (&range, 0);
        g_autofree char *last = wpi_address_range_nth (&range, c->size - 1);

        g_assert_cmpstr (first, ==, c->first);
        g_assert_cmpstr (last, ==, c->last);
        g_assert_null (wpi_address_range_nth (&range, c->size));
        g_assert_cmpuint (wpi_address_range_size (&range), ==, c->size);
        g_assert_cmpint (wpi_address_range_scope (&range), ==, c->scope);
        g_assert_cmpint (wpi_address_range_index_of (&range, c->last), ==, c->size - 1);
      }
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
  g_test_add_func ("/address-range/parse", test_range_parse);
  g_test_add_func ("/address-range/index-of", test_range_index_of);
  return g_test_run ();
}
