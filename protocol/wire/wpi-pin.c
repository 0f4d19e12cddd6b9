/* wpi-pin.c: bootstrap PINs (decisions.md D9) */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "wpi-pin.h"

G_DEFINE_QUARK (wpi-pin-error-quark, wpi_pin_error)

char *
wpi_pin_generate (guint    length,
                  GError **error)
{
  g_autofree char *pin = NULL;
  guint filled = 0;

  if (length < WPI_PIN_MIN_LENGTH || length > WPI_PIN_MAX_LENGTH)
    {
      g_set_error (error, WPI_PIN_ERROR, WPI_PIN_ERROR_INVALID_LENGTH,
                   "A PIN must have %d to %d digits, not %u",
                   WPI_PIN_MIN_LENGTH, WPI_PIN_MAX_LENGTH, length);
      return NULL;
    }

  pin = g_malloc0 (length + 1);
  while (filled < length)
    {
      guint8 random_bytes[32];
      int ret = gnutls_rnd (GNUTLS_RND_KEY, random_bytes, sizeof random_bytes);

      if (ret < 0)
        {
          g_set_error (error, WPI_PIN_ERROR, WPI_PIN_ERROR_RANDOM,
                       "Could not get random data: %s", gnutls_strerror (ret));
          return NULL;
        }

      /* Rejection sampling: 250 is the largest multiple of 10 below 256, so bytes
       * 250..255 would make 0..5 more likely than 6..9 if they were kept. */
      for (gsize i = 0; i < sizeof random_bytes && filled < length; i++)
        if (random_bytes[i] < 250)
          pin[filled++] = '0' + random_bytes[i] % 10;

      gnutls_memset (random_bytes, 0, sizeof random_bytes);
    }

  return g_steal_pointer (&pin);
}

const char *
wpi_pin_get_tan (const char *pin)
{
  gsize length;

  g_return_val_if_fail (pin != NULL, NULL);

  length = strlen (pin);
  if (length <= WPI_PIN_TAN_LENGTH)
    return NULL;

  return pin + length - WPI_PIN_TAN_LENGTH;
}

char *
wpi_pin_get_password (const char *pin)
{
  gsize length;

  g_return_val_if_fail (pin != NULL, NULL);

  length = strlen (pin);
  if (length <= WPI_PIN_TAN_LENGTH)
    return NULL;

  return g_strndup (pin, length - WPI_PIN_TAN_LENGTH);
}

gboolean
wpi_pin_tan_equal (const char *expected,
                   const char *received)
{
  gsize expected_length;
  gsize received_length;

  if (expected == NULL || received == NULL)
    return FALSE;

  expected_length = strlen (expected);
  if (expected_length == 0)
    return FALSE;

  received_length = strlen (received);

  /* Only the length may show in the timing; the content never does. */
  if (expected_length != received_length)
    {
      (void) gnutls_memcmp (expected, expected, expected_length);
      return FALSE;
    }

  return gnutls_memcmp (expected, received, expected_length) == 0;
}
