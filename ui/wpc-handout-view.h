/* wpc-handout-view.h: the PIN handout: generate, list, print and export bootstrap PINs */
#pragma once

#include <gtk/gtk.h>

#include "wpi-service.h"
#include "wpi-service-host.h"

G_BEGIN_DECLS

/* Which phones Generate prepares. */
typedef enum {
  WPC_HANDOUT_SCOPE_ALL,
  WPC_HANDOUT_SCOPE_DEFAULT_MODE,
  WPC_HANDOUT_SCOPE_MATCHING,
  WPC_HANDOUT_SCOPE_SELECTED,
} WpcHandoutScope;

#define WPC_TYPE_HANDOUT_VIEW (wpc_handout_view_get_type ())

G_DECLARE_FINAL_TYPE (WpcHandoutView, wpc_handout_view, WPC, HANDOUT_VIEW, GtkWidget)

GtkWidget  *wpc_handout_view_new               (void);
/* The service whose store, PKI and data directory the handout uses (NULL: none). */
void        wpc_handout_view_set_service       (WpcHandoutView      *self,
                                                WpiServiceHost          *service);
/* The PIN length default comes from the "pin-length" key, when the schema has it. */
void        wpc_handout_view_set_settings      (WpcHandoutView      *self,
                                                GSettings           *settings);
/* The phones selected elsewhere (the phones view), for WPC_HANDOUT_SCOPE_SELECTED. */
void        wpc_handout_view_set_selected_macs (WpcHandoutView      *self,
                                                const char * const  *macs);
void        wpc_handout_view_set_scope         (WpcHandoutView      *self,
                                                WpcHandoutScope      scope);
void        wpc_handout_view_set_filter_text   (WpcHandoutView      *self,
                                                const char          *text);
void        wpc_handout_view_set_with_pin      (WpcHandoutView      *self,
                                                gboolean             with_pin);
void        wpc_handout_view_set_pin_length    (WpcHandoutView      *self,
                                                guint                pin_length);
guint       wpc_handout_view_get_pin_length    (WpcHandoutView      *self);
/* TRUE while a Generate or Re-issue runs. */
gboolean    wpc_handout_view_get_busy          (WpcHandoutView      *self);
/* The failures of the last run, one "MAC: reason" per line, or NULL. */
const char *wpc_handout_view_get_failures_text (WpcHandoutView      *self);

/* The table: each phone's newest PIN, by MAC. */
guint        wpc_handout_view_get_n_pins       (WpcHandoutView      *self);
WpiPinRecord *wpc_handout_view_get_pin         (WpcHandoutView      *self,
                                                guint                position);
/* Re-reads the table from the store, in a thread (at most one read at a time). */
void        wpc_handout_view_refresh           (WpcHandoutView      *self);
/* TRUE while a read of the table is scheduled or under way. */
gboolean    wpc_handout_view_get_loading       (WpcHandoutView      *self);
/* Selects the table rows of these MACs (NULL or empty: none). */
void        wpc_handout_view_select_macs       (WpcHandoutView      *self,
                                                const char * const  *macs);

/* What the actions do once the file is chosen: write the PINs still to be handed out
 * (of the selected rows, or of all without a selection) in a thread, then, back on the
 * main context, mark them handed out and refresh the table. Nothing is marked when the
 * file could not be written (issue 8 §2: the UI never waits on files). */
void        wpc_handout_view_export_csv_async  (WpcHandoutView      *self,
                                                GFile               *file,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    wpc_handout_view_export_csv_finish (WpcHandoutView      *self,
                                                GAsyncResult        *result,
                                                GError             **error);
void        wpc_handout_view_export_pdf_async  (WpcHandoutView      *self,
                                                GFile               *file,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean    wpc_handout_view_export_pdf_finish (WpcHandoutView      *self,
                                                GAsyncResult        *result,
                                                GError             **error);
/* Marks the GENERATED PINs of the selected rows (or all) handed out. */
gboolean    wpc_handout_view_mark_handed_out   (WpcHandoutView      *self,
                                                GError             **error);

G_END_DECLS
