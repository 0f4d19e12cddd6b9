/* wpi-pin.h: bootstrap PINs (decisions.md D9)
 *
 * A PIN is digits only, because it is typed on a phone keypad. Its last 3 digits are
 * the TAN that the phone reads back as `bootstrapping-tan`; everything before them is
 * the password of the `secure-mode-data` bundle (wpi-bundle.h).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WPI_PIN_ERROR (wpi_pin_error_quark ())

typedef enum {
  WPI_PIN_ERROR_INVALID_LENGTH, /* asked for a length outside WPI_PIN_MIN..MAX_LENGTH */
  WPI_PIN_ERROR_RANDOM,         /* GnuTLS's random source failed */
} WpiPinError;

#define WPI_PIN_MIN_LENGTH      8
#define WPI_PIN_MAX_LENGTH      20
#define WPI_PIN_DEFAULT_LENGTH  12
#define WPI_PIN_TAN_LENGTH      3
#define WPI_PIN_DEFAULT_MAX_RETRIES 3

GQuark       wpi_pin_error_quark   (void);

/* `length` digits from gnutls_rnd (GNUTLS_RND_KEY), uniformly distributed. */
char        *wpi_pin_generate      (guint        length,
                                    GError     **error);

/* The last WPI_PIN_TAN_LENGTH characters, pointing into `pin`; NULL when the PIN is not
 * longer than the TAN. */
const char  *wpi_pin_get_tan       (const char  *pin);

/* Everything before the TAN (a new string); NULL when the PIN is not longer than the TAN. */
char        *wpi_pin_get_password  (const char  *pin);

/* Compares a TAN received from a phone with the expected one in time that does not
 * depend on where they differ. NULL never matches. */
gboolean     wpi_pin_tan_equal     (const char  *expected,
                                    const char  *received);

G_END_DECLS
