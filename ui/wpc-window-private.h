/* wpc-window-private.h: WpcWindow's instance and what its parts share
 *
 * wpc-window.c builds the window and its views; wpc-window-close.c asks before a close
 * would stop pending work, and runs the service in the background (D31).
 */
#pragma once

#include <adwaita.h>

#include "wpc-empty-state.h"
#include "wpc-window.h"

G_BEGIN_DECLS

struct _WpcWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  AdwHeaderBar         *header_bar;
  AdwViewSwitcherTitle *switcher_title;     /* owned: off the header bar when narrow */
  AdwWindowTitle       *narrow_title;       /* owned: the header bar's title when narrow */
  gboolean              narrow;             /* narrower than WPC_WINDOW_NARROW_WIDTH */
  AdwViewSwitcherBar   *switcher_bar;
  AdwViewStack         *view_stack;
  GtkStack             *phones_stack;
  WpcEmptyState        *empty_state;
  WpcPhonesView        *phones_view;
  WpcStatusBar         *status_bar;
  AdwBin               *handout_page;
  AdwBin               *traffic_page;
  WpcHandoutView       *handout_view;       /* NULL until first needed: ensure_handout_view() */
  WpcTrafficView       *traffic_view;       /* NULL until first needed: ensure_traffic_view() */
  GtkMenuButton        *primary_menu_button;
  GtkInfoBar           *service_error_bar;
  GtkLabel             *service_error_label;

  WpiServiceHost       *service;
  guint                 counts_source;

  GSettings            *settings;
  GBinding             *listening_bindings[3];
  gboolean              demo_available;

  /* D31: closing with pending work */
  AdwMessageDialog     *close_dialog;       /* weak; the question being asked */
  gboolean              close_confirmed;    /* "Stop Service" was chosen: close for real */
  gboolean              quit_requested;     /* app.quit asked: quit once closed */
  gboolean              in_background;      /* hidden, the application held */
  guint                 pending_source;     /* recount of the pending work, coalesced */
  guint                 pending_tick;       /* the recount once a second in the background */
  guint                 narrow_source;      /* the switcher moves after an allocation */
};

/* wpc-window-close.c */
gboolean _wpc_window_close_request    (WpcWindow *self);
void     _wpc_window_save_state       (WpcWindow *self);
void     _wpc_window_connect_jobs     (WpcWindow *self);
void     _wpc_window_leave_background (WpcWindow *self);

G_END_DECLS
