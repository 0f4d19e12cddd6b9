/* wpi-traffic-export-private.h: what the export's parts share */
#pragma once

#include "wpi-traffic-export.h"

G_BEGIN_DECLS

/* The body as the export writes it: masked unless flags show secrets, never NULL */
GBytes   *_wpi_traffic_export_body       (const WpiTrafficRecord *record,
                                          WpiDumpFlags            flags);

/* A peer as the service writes it ("a.b.c.d:port", "v6:port" or "[v6]:port") split in
 * its address (without brackets) and port; FALSE when it is neither */
gboolean  _wpi_traffic_split_peer        (const char             *peer,
                                          char                  **address,
                                          guint16                *port);

typedef struct _WpiTrafficPcapng WpiTrafficPcapng;

/* The messages as HTTP over TCP between the phone and the console (D29) */
WpiTrafficPcapng *_wpi_traffic_pcapng_new  (GOutputStream           *out,
                                            GCancellable            *cancellable,
                                            GError                 **error);
gboolean          _wpi_traffic_pcapng_add  (WpiTrafficPcapng        *self,
                                            const WpiTrafficRecord  *record,
                                            WpiDumpFlags             flags,
                                            GCancellable            *cancellable,
                                            GError                 **error);
void              _wpi_traffic_pcapng_free (WpiTrafficPcapng        *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiTrafficPcapng, _wpi_traffic_pcapng_free)

G_END_DECLS
