/* wpc-traffic-view-private.h: what the parts of the traffic inspector share
 *
 * The view is split as gnome-text-editor splits EditorWindow: wpc-traffic-view.c has the
 * class, its template, the message list, the details panes (with the raw pane's
 * highlighting), the scrolling, the status line and the models;
 * wpc-traffic-view-filter.c the display filter entry (clear, recent filters,
 * completion); wpc-traffic-view-actions.c the actions (context menus with Apply and
 * Prepare as Filter and Copy, Follow Flow, export, pause) and their shortcuts.
 */
#pragma once

#include <adwaita.h>

#include "wpi-filter.h"
#include "wpc-traffic-detail.h"
#include "wpc-traffic-view.h"

G_BEGIN_DECLS

/* The message list's columns */
typedef enum {
  COLUMN_NUMBER,
  COLUMN_TIME,
  COLUMN_PHONE,
  COLUMN_DIRECTION,
  COLUMN_PORT,
  COLUMN_REASON,
  COLUMN_STATUS,
  COLUMN_ITEMS,
  COLUMN_SIZE,
  N_COLUMNS
} Column;

struct _WpcTrafficView
{
  GtkWidget              parent_instance;

  /* template */
  GtkStack              *stack;
  GtkStack              *list_stack;       /* the list, or "No Messages Match" */
  AdwStatusPage         *no_match_page;
  GtkPaned              *main_paned;       /* positions kept in the settings (issue 12 §4) */
  GtkPaned              *details_paned;
  GtkEntry              *filter_entry;
  GtkLabel              *filter_error_label;
  GtkColumnView         *message_list;
  GtkListView           *details_list;
  GtkTextView           *raw_view;
  GtkLabel              *count_label;
  GtkProgressBar        *filter_progress;
  GtkLabel              *activity_label;
  GtkToggleButton       *pause_button;
  GtkMenuButton         *recent_button;
  GMenuModel            *context_menu_model;

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
  char                  *export_message;   /* why the last export failed (success is a toast) */
  char                  *notice;           /* a filter cleared to show a message */
  gint64                 select_after_filter;
  guint                  scroll_tick;       /* the frames that scroll the list (to a row) */
  guint                  scroll_target;     /* the row, or the newest */
  guint                  scroll_frames;
  double                 scroll_value;      /* the value last set */
  gboolean               scroll_laid_out;   /* the list was laid out since */
  WpiTrafficEntry       *order_probes[2];

  /* The details tree's rows and which one is selected; the raw pane highlights it. */
  GtkSingleSelection    *details_selection;
  GtkTextTag            *highlight_tag;
  gboolean               syncing_raw;      /* the raw pane's cursor moves by our hand */

  /* The field a context menu was opened on (issue 13 part 2) */
  GtkWidget             *context_menu;
  char                  *context_filter;   /* "FIELD == VALUE", NULL when it has no field */
  char                  *context_value;    /* what Copy Value copies */

  gboolean               auto_scroll;
  GMenu                 *recent_menu;      /* the recent filters, from the settings */
};

/* wpc-traffic-view.c */
/* The node of a details row (all rows expanded), NULL past the end. Transfer full. */
WpcTrafficDetail *_wpc_traffic_view_details_row_node (WpcTrafficView *self,
                                                     guint           row);
void       _wpc_traffic_view_update_status        (WpcTrafficView  *self);
void       _wpc_traffic_view_update_details       (WpcTrafficView  *self);
void       _wpc_traffic_view_set_exporting        (WpcTrafficView  *self,
                                                   gboolean         exporting);
void       _wpc_traffic_view_emit_export_finished (WpcTrafficView  *self,
                                                   guint            written,
                                                   guint            skipped,
                                                   const GError    *error);

/* The context menu's field, from a list cell: the filter field and value (NULL: none)
 * and what Copy Value copies */
void       _wpc_traffic_view_cell_field           (WpiTrafficEntry *entry,
                                                   guint            column,
                                                   const char     **field,
                                                   char           **filter_value,
                                                   char           **copy_value);

/* wpc-traffic-view-filter.c */
void       _wpc_traffic_view_filter_init          (WpcTrafficView  *self);
void       _wpc_traffic_view_filter_dispose       (WpcTrafficView  *self);
/* Keeps a filter applied among the recent ones (settings: recent-filters) */
void       _wpc_traffic_view_remember_filter      (WpcTrafficView  *self,
                                                   const char      *text);
void       _wpc_traffic_view_update_recent        (WpcTrafficView  *self);
void       _wpc_traffic_view_class_filter_init    (GtkWidgetClass  *widget_class);
WpiFilter *_wpc_traffic_view_parse_filter         (WpcTrafficView  *self,
                                                   const char      *text,
                                                   GError         **error);
void       _wpc_traffic_view_set_filter           (WpcTrafficView  *self,
                                                   WpiFilter       *filter);
gboolean   _wpc_traffic_view_apply_filter         (WpcTrafficView  *self);

/* wpc-traffic-view-actions.c */
/* Opens the context menu on a list cell (row position, column) or a details row, as a
 * right-click there does; FALSE when there is no such cell or row. Tests use them too. */
gboolean   _wpc_traffic_view_popup_cell_menu      (WpcTrafficView  *self,
                                                   guint            position,
                                                   guint            column);
gboolean   _wpc_traffic_view_popup_detail_menu    (WpcTrafficView  *self,
                                                   guint            row);
void       _wpc_traffic_view_class_actions_init   (GtkWidgetClass  *widget_class);
void       _wpc_traffic_view_actions_init         (WpcTrafficView  *self);
void       _wpc_traffic_view_actions_dispose      (WpcTrafficView  *self);
void       _wpc_traffic_view_update_pause_button  (WpcTrafficView  *self);
void       _wpc_traffic_view_set_context          (WpcTrafficView  *self,
                                                   const char      *field,
                                                   const char      *filter_value,
                                                   const char      *copy_value);
void       _wpc_traffic_view_show_context_menu    (WpcTrafficView  *self,
                                                   GtkWidget       *widget,
                                                   double           x,
                                                   double           y);

G_END_DECLS
