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

#include "wpi-bundle.h"
#include "wpi-pki.h"
#include "wpi-store.h"

G_BEGIN_DECLS


typedef struct {
  gboolean  with_pin;
  guint     pin_length;     /* 8..20, D9 */
  guint     max_retries;    /* max-pin-retries */
  guint     secure_port;    /* dls-secure-port */
  guint     iterations;     /* PBKDF2 iterations of the bundle (D8) */
} WpiBootstrapOptions;

/* Defaults: with PIN, 12 digits, 3 retries, port 18444, 100,000 iterations. */
void      wpi_bootstrap_options_init (WpiBootstrapOptions        *options);

/* Prepares and queues the bootstrap of one phone: wpi_bootstrap_payload_build() and
 * wpi_bootstrap_payload_commit(), after checking that the store knows the phone.
 * Returns the job id; with a PIN, pin_out (if not NULL) gets the PIN, already
 * committed. The store must not be inside a transaction of the caller. */
gint64    wpi_bootstrap_prepare      (WpiStore                   *store,
                                      WpiPki                     *pki,
                                      const char                 *mac,
                                      const WpiBootstrapOptions  *options,
                                      char                      **pin_out,
                                      GError                    **error);

/* Where the time of preparations went, in µs (a bulk handout adds up many). */
typedef struct {
  gint64  key_us;     /* RSA key generation */
  gint64  sign_us;    /* certificate signing, with the PKI's files */
  gint64  export_us;  /* the PKCS#12 export (D7) */
  gint64  seal_us;    /* PIN generation and bundle encryption (D8); 0 without a PIN */
  gint64  store_us;   /* the transaction that queues the job with its PIN */
} WpiBootstrapTimings;

void      wpi_bootstrap_timings_add  (WpiBootstrapTimings        *sum,
                                      const WpiBootstrapTimings  *timings);

/* The two halves of a preparation, so that a bulk handout can build payloads on
 * several threads and commit them on the one thread that owns its store. */
typedef struct _WpiBootstrapPayload WpiBootstrapPayload;

/* Everything but the store: key, certificate (issued in the PKI and made the phone's
 * current one), PKCS#12, and with a PIN the PIN and its bundle. Safe on any thread.
 * A payload that is never committed leaves only that certificate behind, which is in
 * the phone's history and can be revoked. timings (may be NULL) get the stages added. */
WpiBootstrapPayload *wpi_bootstrap_payload_build  (WpiPki                     *pki,
                                                   const char                 *mac,
                                                   const WpiBootstrapOptions  *options,
                                                   WpiBootstrapTimings        *timings,
                                                   GError                    **error);
/* The normalised MAC. */
const char          *wpi_bootstrap_payload_get_mac (const WpiBootstrapPayload *payload);
/* The PIN, or NULL without one. It may be shown only after commit() succeeded. */
const char          *wpi_bootstrap_payload_get_pin (const WpiBootstrapPayload *payload);
/* Queues the job and stores the PIN with it in one transaction (D9). The phone must be
 * in the store. Returns the job id, 0 on error; pin_id (may be NULL) gets the PIN's
 * record id (0 without a PIN). The store must not be inside a transaction of the caller. */
gint64               wpi_bootstrap_payload_commit  (WpiStore                   *store,
                                                    const WpiBootstrapPayload  *payload,
                                                    gint64                     *pin_id,
                                                    WpiBootstrapTimings        *timings,
                                                    GError                    **error);
/* Wipes the PIN and the private key before freeing. */
void                 wpi_bootstrap_payload_free    (WpiBootstrapPayload        *payload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiBootstrapPayload, wpi_bootstrap_payload_free)

G_END_DECLS
