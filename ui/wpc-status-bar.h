/* wpc-status-bar.h: the line at the bottom of the main window
 *
 * The service sets its properties; the bar only formats them.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WPC_TYPE_STATUS_BAR (wpc_status_bar_get_type ())

G_DECLARE_FINAL_TYPE (WpcStatusBar, wpc_status_bar, WPC, STATUS_BAR, GtkWidget)

GtkWidget  *wpc_status_bar_new                 (void);
const char *wpc_status_bar_get_listening       (WpcStatusBar *self);
void        wpc_status_bar_set_listening       (WpcStatusBar *self,
                                                const char   *listening);
guint       wpc_status_bar_get_phones_known    (WpcStatusBar *self);
void        wpc_status_bar_set_phones_known    (WpcStatusBar *self,
                                                guint         count);
guint       wpc_status_bar_get_phones_busy     (WpcStatusBar *self);
void        wpc_status_bar_set_phones_busy     (WpcStatusBar *self,
                                                guint         count);
guint       wpc_status_bar_get_phones_in_session (WpcStatusBar *self);
void        wpc_status_bar_set_phones_in_session (WpcStatusBar *self,
                                                  guint         count);
guint       wpc_status_bar_get_phones_default_mode (WpcStatusBar *self);
void        wpc_status_bar_set_phones_default_mode (WpcStatusBar *self,
                                                    guint         count);

G_END_DECLS
