/* wpi-bootstrap-builder.h: the bootstrap bundles, built on worker threads (D7, D8)
 *
 * A bootstrap job is queued with its PIN only (wpi-bootstrap.h); its bundle is built
 * here, off the GTK thread and off the service's thread, on a pool with a thread per
 * core: in the background, in the order asked, or urgently, before anything in the
 * background, for a phone that is about to get it. A bounded stock of RSA keys made in
 * advance keeps key generation out of an urgent bundle's way. Finished bundles are handed
 * to a callback on the main context given to new(), never after free().
 */
#pragma once

#include "wpi-bootstrap.h"

G_BEGIN_DECLS

/* A bundle as the service sends it, and the PIN it was built from */
typedef struct {
  gint64               job_id;
  gint64               pin_id;   /* the PIN record it was sealed with, 0 without PIN */
  char                *mac;
  GArray              *items;    /* WpiStoreItem: the job's WriteItems; NULL on error */
  GError              *error;    /* why it could not be built */
  WpiBootstrapTimings  timings;
} WpiBootstrapBundle;

/* Wipes the items (they hold the private key) before freeing. */
void                 wpi_bootstrap_bundle_free      (WpiBootstrapBundle   *bundle);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiBootstrapBundle, wpi_bootstrap_bundle_free)

/* bundle is the callee's */
typedef void (*WpiBootstrapBuiltFunc) (WpiBootstrapBundle *bundle,
                                       gpointer            user_data);

typedef struct _WpiBootstrapBuilder WpiBootstrapBuilder;

/* n_threads builders (0: one per core) sharing `pki`; up to n_spare_keys keys are made
 * in advance once the first bundle is asked for. built is called on `context`. */
WpiBootstrapBuilder *wpi_bootstrap_builder_new      (WpiPki               *pki,
                                                     guint                 n_threads,
                                                     guint                 n_spare_keys,
                                                     GMainContext         *context,
                                                     WpiBootstrapBuiltFunc built,
                                                     gpointer              user_data);
/* Builds the bundle of job_id from its recipe (the job's items) and, with a PIN, the PIN
 * as committed (pin_id its record). Nothing happens for a job asked for before whose
 * bundle has not been handed over yet. */
void                 wpi_bootstrap_builder_request  (WpiBootstrapBuilder  *self,
                                                     gint64                job_id,
                                                     const char           *mac,
                                                     const GArray         *recipe,
                                                     const char           *pin,
                                                     gint64                pin_id,
                                                     guint                 iterations,
                                                     gboolean              urgent);
/* A phone waits for job_id's bundle: it goes before the background, if no builder has
 * taken it yet. */
void                 wpi_bootstrap_builder_hurry    (WpiBootstrapBuilder  *self,
                                                     gint64                job_id);
/* Drops the request of job_id if no builder has taken it yet. */
void                 wpi_bootstrap_builder_forget   (WpiBootstrapBuilder  *self,
                                                     gint64                job_id);
/* Requests not taken by a builder yet, and keys in stock. */
guint                wpi_bootstrap_builder_get_n_waiting (WpiBootstrapBuilder *self);
guint                wpi_bootstrap_builder_get_n_spare_keys (WpiBootstrapBuilder *self);
/* Waits for the bundles being built and drops them and every request. */
void                 wpi_bootstrap_builder_free     (WpiBootstrapBuilder  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiBootstrapBuilder, wpi_bootstrap_builder_free)

G_END_DECLS
