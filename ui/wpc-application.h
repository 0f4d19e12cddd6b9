/* wpc-application.h: the console's GtkApplication: options, app actions, settings */
#pragma once

#include <adwaita.h>

#include "wpi-service.h"
#include "wpi-service-host.h"

G_BEGIN_DECLS

#define WPC_TYPE_APPLICATION (wpc_application_get_type ())

G_DECLARE_FINAL_TYPE (WpcApplication, wpc_application, WPC, APPLICATION, AdwApplication)

WpcApplication *wpc_application_new              (void);
GSettings      *wpc_application_get_settings     (WpcApplication *self);
guint           wpc_application_get_demo_phones  (WpcApplication *self);
gboolean        wpc_application_get_headless     (WpcApplication *self);
const char     *wpc_application_get_data_dir     (WpcApplication *self);
guint           wpc_application_get_port         (WpcApplication *self);
guint           wpc_application_get_secure_port  (WpcApplication *self);
const char     *wpc_application_get_bind_address (WpcApplication *self);
void            wpc_application_set_service      (WpcApplication *self,
                                                  WpiServiceHost     *service);
WpiServiceHost     *wpc_application_get_service      (WpcApplication *self);
const GError   *wpc_application_get_service_error (WpcApplication *self);

G_END_DECLS
