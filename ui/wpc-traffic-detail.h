/* wpc-traffic-detail.h: one line of the inspector's details tree
 *
 * The tree of a message: its place in the log, the error that stopped it, the HTTP head,
 * the WPI attributes and the items with what the catalogue knows of them. Each node has
 * a title, a value and a note (a meaning or an explanation), a kind that the view turns
 * into a style, and its children.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-message.h"
#include "wpi-store.h"

G_BEGIN_DECLS

typedef enum {
  WPC_TRAFFIC_DETAIL_NORMAL,
  WPC_TRAFFIC_DETAIL_HEADING,
  WPC_TRAFFIC_DETAIL_ERROR,   /* a refused message, an item the phone rejected */
  WPC_TRAFFIC_DETAIL_WARNING, /* busy, an item not in the catalogue */
  WPC_TRAFFIC_DETAIL_SECRET,  /* a masked value */
} WpcTrafficDetailKind;

#define WPC_TYPE_TRAFFIC_DETAIL (wpc_traffic_detail_get_type ())

G_DECLARE_FINAL_TYPE (WpcTrafficDetail, wpc_traffic_detail, WPC, TRAFFIC_DETAIL, GObject)

const char           *wpc_traffic_detail_get_title    (WpcTrafficDetail *self);
const char           *wpc_traffic_detail_get_value    (WpcTrafficDetail *self);
const char           *wpc_traffic_detail_get_note     (WpcTrafficDetail *self);
WpcTrafficDetailKind  wpc_traffic_detail_get_kind     (WpcTrafficDetail *self);
/* NULL for a leaf. Transfer none. */
GListModel           *wpc_traffic_detail_get_children (WpcTrafficDetail *self);

/* What Apply as Filter makes of the node ("item.e164" and its value), or NULL when the
 * filter language has no field for it (a masked value has none either). */
const char           *wpc_traffic_detail_get_filter_field (WpcTrafficDetail *self);
const char           *wpc_traffic_detail_get_filter_value (WpcTrafficDetail *self);
/* Where the node is written in raw (the raw pane's text: headers, blank line, the
 * pretty-printed body): byte offsets [start, end). FALSE when it is not there. */
gboolean              wpc_traffic_detail_locate           (WpcTrafficDetail *self,
                                                           const char       *raw,
                                                           gsize            *start,
                                                           gsize            *end);

/* The tree of a message: record with its headers and body, message its parsed body or
 * NULL (parse_error says why, when the log has no error of its own), security_event as
 * the traffic model found it. Secret values are masked unless reveal_secrets.
 * A GListModel of WpcTrafficDetail. */
GListModel           *wpc_traffic_detail_build        (const WpiTrafficRecord *record,
                                                       WpiMessage             *message,
                                                       const GError           *parse_error,
                                                       gboolean                security_event,
                                                       gboolean                reveal_secrets);

/* Every node in depth-first order as "title: value (note)" lines, for tests and for the
 * clipboard. */
char                 *wpc_traffic_detail_to_text      (GListModel             *tree);

G_END_DECLS
