/* wpc-empty-state.h: the Phones view before any phone has contacted the console */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WPC_TYPE_EMPTY_STATE (wpc_empty_state_get_type ())

G_DECLARE_FINAL_TYPE (WpcEmptyState, wpc_empty_state, WPC, EMPTY_STATE, GtkWidget)

GtkWidget          *wpc_empty_state_new                 (void);
guint               wpc_empty_state_get_port            (WpcEmptyState *self);
void                wpc_empty_state_set_port            (WpcEmptyState *self,
                                                         guint          port);
guint               wpc_empty_state_get_secure_port     (WpcEmptyState *self);
void                wpc_empty_state_set_secure_port     (WpcEmptyState *self,
                                                         guint          secure_port);
const char         *wpc_empty_state_get_bind_address    (WpcEmptyState *self);
void                wpc_empty_state_set_bind_address    (WpcEmptyState *self,
                                                         const char    *bind_address);
const char * const *wpc_empty_state_get_sdlp_urls       (WpcEmptyState *self);

G_END_DECLS
