/* wpc-phones-view-private.h: what the parts of the Phones view share
 *
 * The view is split as gnome-text-editor splits EditorWindow: wpc-phones-view.c has the
 * class, its template, the models and the selection; wpc-phones-view-columns.c the cells,
 * sorters and search matching of the columns; wpc-phones-view-actions.c the actions on the
 * selection and the bulk queue behind them; wpc-phones-view-import.c the phone list's
 * import and export (D24); wpc-phones-view-layout.c what shows at which width.
 */
#pragma once

#include <adwaita.h>

#include "wpc-phone-details.h"
#include "wpc-phones-view.h"

G_BEGIN_DECLS

/* Jobs being queued for many phones (wpc-phones-view-actions.c) */
typedef struct _BulkJob BulkJob;

struct _WpcPhonesView
{
  GtkWidget            parent_instance;

  /* Template children: borrowed, the template owns them */
  GtkWidget           *box;
  GtkSearchEntry      *search_entry;
  GtkLabel            *count_label;
  GtkWidget           *progress_box;
  GtkProgressBar      *progress_bar;
  GtkStack            *list_stack;          /* the list, or the status page of no match */
  AdwStatusPage       *no_match_page;
  GtkScrolledWindow   *list_scroller;
  GtkPaned            *paned;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *columns[WPC_PHONES_N_COLUMNS];
  GtkStack            *details_stack;
  GtkLabel            *details_placeholder;
  WpcPhoneDetails     *details;
  GMenuModel          *phone_menu;

  /* Borrowed: a child of the view (gtk_widget_set_parent), unparented in dispose */
  GtkPopoverMenu      *context_menu;

  /* Owned */
  WpiServiceHost          *service;
  GSettings           *settings;
  GListModel          *phones;              /* the service's, or one set for a preview */
  GtkFilterListModel  *filter_model;
  GtkSortListModel    *sort_model;
  GtkMultiSelection   *selection;
  GtkFilter           *search_filter;
  char                *search;              /* case-folded, or NULL: every phone */
  GString             *search_buffer;       /* reused for each phone's text */
  GHashTable          *last_contact_labels; /* GtkLabel -> WpiPhone, both borrowed: the bound cells */
  BulkJob             *bulk;
  GSimpleActionGroup  *column_actions;      /* "column.<id>": the header menu's check items */
  GCancellable        *cancellable;         /* cancelled in dispose: the deployment copies */

  /* Plain values and sources */
  gboolean             column_resized[WPC_PHONES_N_COLUMNS];
  int                  hidden_widths[WPC_PHONES_N_COLUMNS]; /* a hidden column's width when shown */
  gboolean             setting_widths;
  guint                search_source;       /* applies the entry's text after typing */
  gint64               search_time;         /* "now" of the last-contact texts searched */
  guint                tick_source;
  guint                fit_source;          /* fits the columns to the list's width */
  gboolean             fitting;             /* the view, not the user, changes the columns */
  gboolean             details_width_restored;
};

/* wpc-phones-view.c */
void     _wpc_phones_view_show_message          (WpcPhonesView   *self,
                                                 GtkMessageType   type,
                                                 const char      *text);
void     _wpc_phones_view_notify_busy           (WpcPhonesView   *self);
guint    _wpc_phones_view_selection_size        (WpcPhonesView   *self);

/* wpc-phones-view-columns.c */
void     _wpc_phones_view_setup_columns         (WpcPhonesView   *self);
void     _wpc_phones_view_set_column_widths     (WpcPhonesView   *self);
const char *_wpc_phones_view_column_id          (WpcPhonesColumn  column);
gboolean _wpc_phones_view_refresh_last_contact  (gpointer         user_data);
gboolean _wpc_phones_view_match_search          (gpointer         item,
                                                 gpointer         user_data);

/* wpc-phones-view-layout.c */
void     _wpc_phones_view_setup_layout          (WpcPhonesView   *self);
void     _wpc_phones_view_queue_fit_columns     (WpcPhonesView   *self);
void     _wpc_phones_view_set_column_width      (WpcPhonesView   *self,
                                                 WpcPhonesColumn  column,
                                                 int              width);
void     _wpc_phones_view_layout_settings_changed (WpcPhonesView *self);
void     _wpc_phones_view_layout_dispose        (WpcPhonesView   *self);

/* wpc-phones-view-import.c */
void     _wpc_phones_view_import_class_init     (GtkWidgetClass  *widget_class);

/* wpc-phones-view-actions.c */
void     _wpc_phones_view_actions_class_init    (GtkWidgetClass  *widget_class);
void     _wpc_phones_view_actions_update        (WpcPhonesView   *self);
void     _wpc_phones_view_actions_dispose       (WpcPhonesView   *self);

/* wpc-phones-view-compare.c */
void     _wpc_phones_view_compare_class_init    (GtkWidgetClass  *widget_class);

G_END_DECLS
