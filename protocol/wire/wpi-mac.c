/* wpi-mac.c: the one MAC address normaliser */
#include "config.h"

#include <string.h>

#include "wpi-mac.h"

G_DEFINE_QUARK (wpi-mac-error-quark, wpi_mac_error)

/* The 12 digits of mac (white space around it already trimmed) into digits, upper
 * case; FALSE for anything but the accepted groupings. */
static gboolean
collect_digits (const char *mac,
                char        digits[13])
{
  guint n_digits = 0;
  guint n_separators = 0;
  char separator = '\0';

  for (const char *p = mac; *p != '\0'; p++)
    {
      guint group;

      if (g_ascii_isxdigit (*p))
        {
          if (n_digits == 12)
            return FALSE;
          digits[n_digits++] = g_ascii_toupper (*p);
          continue;
        }
      if (*p != ':' && *p != '-' && *p != '.')
        return FALSE;
      if (separator != '\0' && separator != *p)
        return FALSE;
      separator = *p;
      group = separator == '.' ? 4 : 2;
      /* each separator stands right after a whole group, one group per separator */
      if (n_digits == 0 || n_digits % group != 0 || n_digits / group != n_separators + 1)
        return FALSE;
      n_separators++;
    }
  digits[n_digits] = '\0';

  if (n_digits != 12)
    return FALSE;
  return separator == '\0' || n_separators == (separator == '.' ? 2u : 5u);
}

char *
wpi_mac_normalize (const char  *mac,
                   GError     **error)
{
  g_autofree char *trimmed = NULL;
  char digits[13];

  if (mac == NULL)
    {
      g_set_error_literal (error, WPI_MAC_ERROR, WPI_MAC_ERROR_INVALID, "No MAC address given");
      return NULL;
    }

  trimmed = g_strstrip (g_strdup (mac));
  if (!collect_digits (trimmed, digits))
    {
      g_set_error (error, WPI_MAC_ERROR, WPI_MAC_ERROR_INVALID,
                   "“%s” is not a MAC address (expected 12 hex digits, bare, in pairs "
                   "separated by “:” or “-”, or in groups of four separated by “.”)", mac);
      return NULL;
    }

  return g_strdup_printf ("%.2s:%.2s:%.2s:%.2s:%.2s:%.2s",
                          digits, digits + 2, digits + 4, digits + 6, digits + 8, digits + 10);
}

gboolean
wpi_mac_is_normal (const char *mac)
{
  g_autofree char *normal = mac != NULL ? wpi_mac_normalize (mac, NULL) : NULL;

  return normal != NULL && strcmp (normal, mac) == 0;
}
