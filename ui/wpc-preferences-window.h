/* wpc-preferences-window.h: the Preferences window, bound to the console's GSettings */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WPC_TYPE_PREFERENCES_WINDOW (wpc_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (WpcPreferencesWindow, wpc_preferences_window, WPC, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *wpc_preferences_window_new          (GSettings            *settings);
GSettings *wpc_preferences_window_get_settings (WpcPreferencesWindow *self);
/* The phones (WpiPhone) counted before a port change is applied */
void       wpc_preferences_window_set_phones   (WpcPreferencesWindow *self,
                                                GListModel           *phones);
void       wpc_preferences_window_set_ca_error (WpcPreferencesWindow *self,
                                                const GError         *error);
/* Why the TLS key log (tls-keylog-path, D30) is not written; NULL: it is, or it is off */
void       wpc_preferences_window_set_tls_keylog_error (WpcPreferencesWindow *self,
                                                        const GError         *error);

G_END_DECLS
