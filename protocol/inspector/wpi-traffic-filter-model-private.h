/* wpi-traffic-filter-model-private.h: what the benchmark and the tests may switch */
#pragma once

#include "wpi-traffic-filter-model.h"

G_BEGIN_DECLS

/* Off: full scans read every summary and decode every body the filter's item fields
 * need, as before the item index (D28), to measure the index against. On by default. */
void _wpi_traffic_filter_model_set_use_index (WpiTrafficFilterModel *self,
                                              gboolean               use_index);

G_END_DECLS
