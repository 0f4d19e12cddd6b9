/* wpc-window.h: the main window: view switcher, views, status line */
#pragma once

#include <adwaita.h>

#include "wpc-application.h"
#include "wpc-handout-view.h"
#include "wpc-phones-view.h"
#include "wpc-status-bar.h"
#include "wpc-traffic-view.h"
#include "wpi-service.h"
#include "wpi-service-host.h"

G_BEGIN_DECLS

#define WPC_TYPE_WINDOW (wpc_window_get_type ())

/* Narrower than this, the view switcher moves from the header bar to a bar at the bottom */
#define WPC_WINDOW_NARROW_WIDTH 800

G_DECLARE_FINAL_TYPE (WpcWindow, wpc_window, WPC, WINDOW, AdwApplicationWindow)

WpcWindow    *wpc_window_new             (WpcApplication *application);
GSettings    *wpc_window_get_settings    (WpcWindow      *self);
WpcStatusBar *wpc_window_get_status_bar  (WpcWindow      *self);
WpcHandoutView *wpc_window_get_handout_view (WpcWindow    *self);
WpcTrafficView *wpc_window_get_traffic_view (WpcWindow    *self);
const char   *wpc_window_get_visible_view (WpcWindow     *self);
gboolean      wpc_window_get_demo_available (WpcWindow   *self);
void          wpc_window_set_demo_available (WpcWindow   *self,
                                             gboolean     demo_available);
void          wpc_window_set_service     (WpcWindow      *self,
                                          WpiServiceHost     *service);
WpiServiceHost   *wpc_window_get_service     (WpcWindow      *self);
void          wpc_window_set_service_error (WpcWindow    *self,
                                            const GError *error);
void          wpc_window_show_problem    (WpcWindow      *self,
                                          const char     *text);
WpcPhonesView *wpc_window_get_phones_view (WpcWindow     *self);
/* D31: closing with pending work (wpc-window-close.c) */
void          wpc_window_count_pending   (WpcWindow      *self,
                                          guint          *jobs,
                                          guint          *bootstraps);
void          wpc_window_request_quit    (WpcWindow      *self);
gboolean      wpc_window_get_in_background (WpcWindow    *self);

G_END_DECLS
