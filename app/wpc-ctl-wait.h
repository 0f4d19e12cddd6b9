/* wpc-ctl-wait.h: waiting for the service to finish jobs (wpictl --wait)
 *
 * wpictl never talks to the service: it watches the store that the service writes.
 */
#pragma once

#include "wpi-store.h"

G_BEGIN_DECLS

/* How often the store is checked while waiting */
#define WPC_CTL_WAIT_INTERVAL_MS 100

/* Checks the jobs now and then every WPC_CTL_WAIT_INTERVAL_MS from a main loop (on a
 * main context of its own) until all are final or timeout_us has passed. Returns the
 * jobs as last read, with their items, in the order of job_ids; all_final says whether
 * every one reached a final state in time. NULL with an error when the store fails. */
GPtrArray *wpc_ctl_wait_for_jobs (WpiStore      *store,
                                  const gint64  *job_ids,
                                  guint          n_jobs,
                                  gint64         timeout_us,
                                  gboolean      *all_final,
                                  GError       **error);

G_END_DECLS
