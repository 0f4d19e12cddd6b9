/* wpi-bootstrap.h: preparing a phone's move to Secure Mode (protocol.md §7.15)
 *
 * Preparing makes the phone's client key and certificate, the WriteItems payload of
 * flow A (no PIN, decisions.md D7) or flow B (PIN, D8/D9), and queues it as a bootstrap
 * job; in flow B the PIN is stored with the job in the same transaction, so it is
 * durable before anyone can show, print or export it. The service then runs the job
 * like a write (waiting for a busy phone, D11) and finishes it when the phone starts up
 * on the secure port (and, with a PIN, answers the right TAN).
 */
#pragma once

#include "wpi-pki.h"
#include "wpi-store.h"

G_BEGIN_DECLS

#define WPI_BOOTSTRAP_PARAMETER_PIN   "pin"
#define WPI_BOOTSTRAP_PARAMETER_NOPIN "nopin"
#define WPI_BOOTSTRAP_WRONG_TAN       "wrong TAN from device"

typedef struct {
  gboolean  with_pin;
  guint     pin_length;     /* 8..20, D9 */
  guint     max_retries;    /* max-pin-retries */
  guint     secure_port;    /* dls-secure-port */
  guint     iterations;     /* PBKDF2 iterations of the bundle (D8) */
} WpiBootstrapOptions;

/* Defaults: with PIN, 12 digits, 3 retries, port 18444, 100,000 iterations. */
void      wpi_bootstrap_options_init (WpiBootstrapOptions        *options);

/* Prepares and queues the bootstrap of one phone. Returns the job id; with a PIN,
 * pin_out (if not NULL) gets the PIN, already committed. The store must not be inside a
 * transaction of the caller. */
gint64    wpi_bootstrap_prepare      (WpiStore                   *store,
                                      WpiPki                     *pki,
                                      const char                 *mac,
                                      const WpiBootstrapOptions  *options,
                                      char                      **pin_out,
                                      GError                    **error);

G_END_DECLS
