/* wpc-window.h: the main window: view switcher, views, status line */
#pragma once

#include <gtk/gtk.h>

#include "wpc-application.h"
#include "wpc-handout-view.h"
#include "wpc-phones-view.h"
#include "wpc-status-bar.h"
#include "wpc-traffic-view.h"
#include "wpi-service.h"
#include "wpi-service-host.h"

G_BEGIN_DECLS

#define WPC_TYPE_WINDOW (wpc_window_get_type ())

G_DECLARE_FINAL_TYPE (WpcWindow, wpc_window, WPC, WINDOW, GtkApplicationWindow)

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

G_END_DECLS
