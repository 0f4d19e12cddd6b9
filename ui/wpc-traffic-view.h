/* wpc-traffic-view.h: the traffic inspector: message list, details tree, raw message */
#pragma once

#include <gtk/gtk.h>

#include "wpi-store.h"
#include "wpi-traffic-export.h"
#include "wpi-traffic-filter-model.h"

G_BEGIN_DECLS

#define WPC_TYPE_TRAFFIC_VIEW (wpc_traffic_view_get_type ())

G_DECLARE_FINAL_TYPE (WpcTrafficView, wpc_traffic_view, WPC, TRAFFIC_VIEW, GtkWidget)

GtkWidget             *wpc_traffic_view_new                (void);

/* The store whose traffic log to show (NULL: none). The view reads it on the caller's
 * thread and opens its own connections to it for filtering and export. */
void                   wpc_traffic_view_set_store          (WpcTrafficView         *self,
                                                            WpiStore               *store);
WpiStore              *wpc_traffic_view_get_store          (WpcTrafficView         *self);
/* A message the store has just logged: connect it to the service's ::traffic signal. */
void                   wpc_traffic_view_append             (WpcTrafficView         *self,
                                                            const WpiTrafficRecord *record);

/* The settings with reveal-secrets-allowed (the window passes its own). Without
 * settings, secrets stay masked. */
void                   wpc_traffic_view_set_settings       (WpcTrafficView         *self,
                                                            GSettings              *settings);

/* What the list shows: NULL until a store is set. Transfer none. */
WpiTrafficFilterModel *wpc_traffic_view_get_model          (WpcTrafficView         *self);
/* The display filter applied, NULL for none */
WpiFilter             *wpc_traffic_view_get_filter         (WpcTrafficView         *self);
/* Sets the entry's text and applies it; FALSE (and the entry shows why) when invalid. */
gboolean               wpc_traffic_view_apply_filter_text  (WpcTrafficView         *self,
                                                            const char             *text);
gboolean               wpc_traffic_view_get_paused         (WpcTrafficView         *self);
void                   wpc_traffic_view_set_paused         (WpcTrafficView         *self,
                                                            gboolean                paused);
/* Live capture: the list follows new messages while it shows the newest (TRUE), or
 * never moves by itself. */
gboolean               wpc_traffic_view_get_auto_scroll    (WpcTrafficView         *self);
void                   wpc_traffic_view_set_auto_scroll    (WpcTrafficView         *self,
                                                            gboolean                auto_scroll);
gboolean               wpc_traffic_view_get_reveal_secrets (WpcTrafficView         *self);
/* Refused (stays FALSE) unless reveal-secrets-allowed is set. */
void                   wpc_traffic_view_set_reveal_secrets (WpcTrafficView         *self,
                                                            gboolean                reveal);

/* The id of the selected message, 0 for none; selecting one shows its details. */
gint64                 wpc_traffic_view_get_selected_id    (WpcTrafficView         *self);
gboolean               wpc_traffic_view_select_id          (WpcTrafficView         *self,
                                                            gint64                  id);
/* Selects the message as a jump from elsewhere (a phone's recent traffic) needs it:
 * resumes a paused capture that does not list it yet and clears a display filter
 * that hides it, saying so in the status line. FALSE when the log has no such message. */
gboolean               wpc_traffic_view_show_message       (WpcTrafficView         *self,
                                                            gint64                  id);
/* The details tree and the raw text of the selected message (for tests). */
GListModel            *wpc_traffic_view_get_details        (WpcTrafficView         *self);
char                  *wpc_traffic_view_dup_raw_text       (WpcTrafficView         *self);

/* What the export actions do after their file chooser: writes the messages shown.
 * WpcTrafficView:exporting is TRUE until it is done; ::export-finished tells how it went. */
void                   wpc_traffic_view_export_to          (WpcTrafficView         *self,
                                                            WpiTrafficExportFormat  format,
                                                            GFile                  *destination);
gboolean               wpc_traffic_view_get_exporting      (WpcTrafficView         *self);

G_END_DECLS
