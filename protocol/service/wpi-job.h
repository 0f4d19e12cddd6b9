/* wpi-job.h: a job as the console shows it
 *
 * A live GObject over the store's WpiJobRecord (without its items, which a details view
 * loads on demand with wpi_store_job_get()).
 */
#pragma once

#include <glib-object.h>

#include "wpi-store.h"

G_BEGIN_DECLS

#define WPI_TYPE_JOB (wpi_job_get_type ())

G_DECLARE_FINAL_TYPE (WpiJob, wpi_job, WPI, JOB, GObject)

WpiJob             *wpi_job_new        (const WpiJobRecord *record);
const WpiJobRecord *wpi_job_get_record (WpiJob             *self);
gint64              wpi_job_get_id     (WpiJob             *self);
const char         *wpi_job_get_mac    (WpiJob             *self);
WpiJobKind          wpi_job_get_kind   (WpiJob             *self);
WpiJobState         wpi_job_get_state  (WpiJob             *self);
/* Copies record (items are not kept) and notifies what changed. */
void                wpi_job_update     (WpiJob             *self,
                                        const WpiJobRecord *record);

G_END_DECLS
