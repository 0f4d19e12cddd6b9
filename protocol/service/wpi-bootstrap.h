/* wpi-bootstrap.h: preparing a phone's move to Secure Mode (protocol.md §7.15)
 *
 * Preparing queues a bootstrap job and, in flow B, its PIN in the same transaction, so the
 * PIN is durable before anyone can show, print or export it (D9). That is all it does, so
 * that a handout for hundreds of phones shows its PINs at once: the job's items are a
 * recipe, the WriteItems of flow A (no PIN, D7) or flow B (PIN, D8) with the bundle left
 * out (an item without value). The service builds the bundle (the phone's key,
 * certificate, PKCS#12 and, with a PIN, the sealed secure-mode-data) on worker threads
 * (wpi-bootstrap-builder.h) by the time the job is sent, runs the job like a write
 * (waiting for a busy phone, D11) and finishes it when the phone starts up on the secure
 * port (and, with a PIN, answers the right TAN).
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
} WpiBootstrapOptions;

/* Defaults: with PIN, 12 digits, 3 retries, port 18444. */
void      wpi_bootstrap_options_init (WpiBootstrapOptions        *options);

/* Queues the bootstrap of one phone the store knows: its recipe and, with a PIN, a new
 * PIN, which re-issues the phone's previous one; an earlier bootstrap of the phone that
 * waits to be sent is cancelled with it (its bundle must never go out, D9). Works inside
 * a transaction of the caller (then the PIN may be shown only after the outermost
 * commit). Returns the job id, 0 on error; pin_out (may be NULL) gets the PIN and pin_id
 * (may be NULL) its record id (NULL and 0 without a PIN). */
gint64    wpi_bootstrap_queue        (WpiStore                   *store,
                                      const char                 *mac,
                                      const WpiBootstrapOptions  *options,
                                      char                      **pin_out,
                                      gint64                     *pin_id,
                                      GError                    **error);

/* wpi_bootstrap_queue() for a phone the store must know (a typo gets no job), in a
 * transaction of its own: the PIN is committed when it returns. */
gint64    wpi_bootstrap_prepare      (WpiStore                   *store,
                                      const char                 *mac,
                                      const WpiBootstrapOptions  *options,
                                      char                      **pin_out,
                                      GError                    **error);

/* Where the time of preparations went, in µs (summed over many phones). */
typedef struct {
  gint64  key_us;     /* RSA key generation (0 for a key made in advance) */
  gint64  sign_us;    /* certificate signing, with the PKI's files */
  gint64  export_us;  /* the PKCS#12 export (D7) */
  gint64  seal_us;    /* bundle: the PIN bundle's encryption (D8); handout: PIN generation */
  gint64  store_us;   /* handout: the transactions that queue the jobs with their PINs */
} WpiBootstrapTimings;

void      wpi_bootstrap_timings_add  (WpiBootstrapTimings        *sum,
                                      const WpiBootstrapTimings  *timings);

/* TRUE for a bootstrap job whose recipe still lacks its bundle. A job queued by an older
 * version carries its whole payload and needs none. */
gboolean  wpi_bootstrap_job_needs_bundle (const WpiJobRecord     *job);

/* The WriteItems of a job's recipe (WpiStoreItem) with its bundle built: the key
 * (key_pem, or a new one when NULL), a certificate issued in the PKI and made the phone's
 * current one, the PKCS#12 (D7) and, with a PIN (which must be the job's PIN as
 * committed), secure-mode-data sealed with `iterations` PBKDF2 iterations (D8). Safe on
 * any thread. A bundle that is never sent leaves only that certificate behind, in the
 * phone's history, where it can be revoked. timings (may be NULL) get the stages added.
 * Wipe the items (wpi_bootstrap_items_free()) when done: they hold the private key. */
GArray   *wpi_bootstrap_build_items  (WpiPki                     *pki,
                                      const char                 *mac,
                                      const GArray               *recipe,
                                      const char                 *pin,
                                      guint                       iterations,
                                      const char                 *key_pem,
                                      WpiBootstrapTimings        *timings,
                                      GError                    **error);
/* Wipes every value, then frees the array. */
void      wpi_bootstrap_items_free   (GArray                     *items);

G_END_DECLS
