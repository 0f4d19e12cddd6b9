/* test-mac.c: the one MAC normaliser (wpi-mac.h) takes every form any part of the
 * project used to take, and nothing else */
#include "config.h"

#include "wpi-mac.h"

static void
test_mac_good (void)
{
  static const char *const good[] = {
    "001ae8123456", "001AE8123456", "00-1a-e8-12-34-56", "00:1a:e8:12:34:56",
    "00:1A:E8:12:34:56", "  00:1a:e8:12:34:56\n", "001a.e812.3456", "001A.E812.3456",
    "\t001ae8123456 ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *mac = wpi_mac_normalize (good[i], &error);

      g_assert_no_error (error);
      g_assert_cmpstr (mac, ==, "00:1A:E8:12:34:56");
    }
  g_assert_true (wpi_mac_is_normal ("00:1A:E8:12:34:56"));
  g_assert_false (wpi_mac_is_normal ("00:1a:e8:12:34:56"));
  g_assert_false (wpi_mac_is_normal (NULL));
}

static void
test_mac_bad (void)
{
  static const char *const bad[] = {
    "", "001ae812345", "001ae81234567", "001ae812345g", "00:1a:e8:12:34", "00:1a-e8:12:34:56",
    "00:1a:e8:12:34:56:78", "0:01a:e8:12:34:56", "00.1a.e8.12.34.56", "00:1a:e8:12:34:5",
    "00 1a e8 12 34 56", "zz:zz:zz:zz:zz:zz", "00:1a:e8:12:34:56x", ":001AE8123456",
    "001AE8123456:", "001A:E8:12:34:56", "00::1AE8:12:34:56", "001A.E812.34.56", "0.01AE8123456",
    "001a.e812.3456.", "001a:e812:3456", "00:1a:e8:12:34:56\n00:1a:e8:12:34:57",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *mac = wpi_mac_normalize (bad[i], &error);

      g_assert_error (error, WPI_MAC_ERROR, WPI_MAC_ERROR_INVALID);
      g_assert_null (mac);
    }
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (wpi_mac_normalize (NULL, &error));
    g_assert_error (error, WPI_MAC_ERROR, WPI_MAC_ERROR_INVALID);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mac/good", test_mac_good);
  g_test_add_func ("/mac/bad", test_mac_bad);

  return g_test_run ();
}
