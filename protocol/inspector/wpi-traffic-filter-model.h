/* wpi-traffic-filter-model.h: the messages of a WpiTrafficModel a display filter lets through
 *
 * Without a filter the model shows its base model as it is. With one, it keeps the
 * sorted ids of the matching messages (8 bytes each, never the messages) and finds them
 * in a worker thread with its own connection to the store, so the window stays
 * responsive however long the log: matches appear in chunks as the scan proceeds
 * (WpiTrafficFilterModel:running, :progress), and setting another filter cancels the
 * scan. The scan reads summaries only, unless the filter looks at items; it asks the
 * store's index first when the filter requires a flow or a MAC ("flow == X and ...").
 * Messages the base model adds later (live traffic) are checked as they come; those it
 * drops for retention leave.
 *
 * Reversed shows the newest first (the only order a 1,000,000-message list can be put
 * in without reading it all).
 */
#pragma once

#include <gio/gio.h>

#include "wpi-filter.h"
#include "wpi-traffic-model.h"

G_BEGIN_DECLS

#define WPI_TYPE_TRAFFIC_FILTER_MODEL (wpi_traffic_filter_model_get_type ())

G_DECLARE_FINAL_TYPE (WpiTrafficFilterModel, wpi_traffic_filter_model, WPI, TRAFFIC_FILTER_MODEL, GObject)

WpiTrafficFilterModel *wpi_traffic_filter_model_new          (WpiTrafficModel       *model);
WpiTrafficModel       *wpi_traffic_filter_model_get_model    (WpiTrafficFilterModel *self);

/* NULL shows everything. */
void                   wpi_traffic_filter_model_set_filter   (WpiTrafficFilterModel *self,
                                                              WpiFilter             *filter);
WpiFilter             *wpi_traffic_filter_model_get_filter   (WpiTrafficFilterModel *self);

/* A scan is under way; progress is the part of the log it has read (0 to 1). */
gboolean               wpi_traffic_filter_model_get_running  (WpiTrafficFilterModel *self);
double                 wpi_traffic_filter_model_get_progress (WpiTrafficFilterModel *self);
/* Why the last scan failed (the store could not be opened or read), or NULL */
const GError          *wpi_traffic_filter_model_get_error    (WpiTrafficFilterModel *self);

gboolean               wpi_traffic_filter_model_get_reversed (WpiTrafficFilterModel *self);
void                   wpi_traffic_filter_model_set_reversed (WpiTrafficFilterModel *self,
                                                              gboolean               reversed);

/* The id at a position, 0 when out of range */
gint64                 wpi_traffic_filter_model_get_id       (WpiTrafficFilterModel *self,
                                                              guint                  position);
gboolean               wpi_traffic_filter_model_find         (WpiTrafficFilterModel *self,
                                                              gint64                 id,
                                                              guint                 *position);
/* The ids shown, oldest first, as a GArray of gint64 */
GArray                *wpi_traffic_filter_model_dup_ids     (WpiTrafficFilterModel *self);

G_END_DECLS
