/* wpc-traffic-view-private.h: what the parts of the traffic inspector share
 *
 * The view is split as gnome-text-editor splits EditorWindow: wpc-traffic-view.c has the
 * class, its template, the message list, the details panes, the status line and the
 * models; wpc-traffic-view-filter.c the display filter entry; wpc-traffic-view-actions.c
 * the actions (Follow Flow, export, pause on Space) and their shortcuts.
 */
#pragma once

#include "wpi-filter.h"
#include "wpc-traffic-view.h"

G_BEGIN_DECLS

struct _WpcTrafficView
{
  GtkWidget              parent_instance;

  /* template */
  GtkStack              *stack;
  GtkEntry              *filter_entry;
  GtkLabel              *filter_error_label;
  GtkColumnView         *message_list;
  GtkListView           *details_list;
  GtkTextView           *raw_view;
  GtkLabel              *count_label;
  GtkProgressBar        *filter_progress;
  GtkLabel              *activity_label;

  GSettings             *settings;
  WpiStore              *store;
  WpiTrafficModel       *model;
  WpiTrafficFilterModel *filter_model;
  GtkSingleSelection    *selection;
  GListModel            *details;          /* the tree's root nodes */
  WpiFilter             *filter;           /* applied */
  gboolean               paused;
  gboolean               reveal_secrets;
  gboolean               reversed;
  gboolean               exporting;
  GCancellable          *export_cancellable;
  GtkNativeDialog       *export_chooser;
  char                  *export_message;   /* how the last export went */
  gint64                 select_after_filter;
  guint                  follow_tail_id;    /* an idle that scrolls to the newest message */
  guint                  follow_tail_tick;  /* and the frames that keep it there */
  guint                  follow_tail_frames;
  WpiTrafficEntry       *order_probes[2];
};

/* wpc-traffic-view.c */
void       _wpc_traffic_view_update_status        (WpcTrafficView  *self);
void       _wpc_traffic_view_update_details       (WpcTrafficView  *self);
void       _wpc_traffic_view_set_exporting        (WpcTrafficView  *self,
                                                   gboolean         exporting);
void       _wpc_traffic_view_emit_export_finished (WpcTrafficView  *self,
                                                   guint            written,
                                                   guint            skipped,
                                                   const GError    *error);

/* wpc-traffic-view-filter.c */
void       _wpc_traffic_view_class_filter_init    (GtkWidgetClass  *widget_class);
WpiFilter *_wpc_traffic_view_parse_filter         (WpcTrafficView  *self,
                                                   const char      *text,
                                                   GError         **error);
void       _wpc_traffic_view_set_filter           (WpcTrafficView  *self,
                                                   WpiFilter       *filter);
gboolean   _wpc_traffic_view_apply_filter         (WpcTrafficView  *self);

/* wpc-traffic-view-actions.c */
void       _wpc_traffic_view_class_actions_init   (GtkWidgetClass  *widget_class);
void       _wpc_traffic_view_actions_init         (WpcTrafficView  *self);

G_END_DECLS
