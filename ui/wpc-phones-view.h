/* wpc-phones-view.h: the Phones view: the phone list, its search, the details of the
 * selected phone and the actions on the selection */
#pragma once

#include <gtk/gtk.h>

#include "wpi-service.h"
#include "wpi-service-host.h"

G_BEGIN_DECLS

#define WPC_TYPE_PHONES_VIEW (wpc_phones_view_get_type ())

G_DECLARE_FINAL_TYPE (WpcPhonesView, wpc_phones_view, WPC, PHONES_VIEW, GtkWidget)

/* Column ids, in the order shown; wpc_phones_view_get_column() takes them. */
typedef enum {
  WPC_PHONES_COLUMN_STATE,
  WPC_PHONES_COLUMN_MAC,
  WPC_PHONES_COLUMN_NUMBER,
  WPC_PHONES_COLUMN_MODEL,
  WPC_PHONES_COLUMN_LOCATION,
  WPC_PHONES_COLUMN_FIRMWARE,
  WPC_PHONES_COLUMN_IP,
  WPC_PHONES_COLUMN_MODE,
  WPC_PHONES_COLUMN_LAST_CONTACT,
  WPC_PHONES_COLUMN_PENDING_JOBS,
  WPC_PHONES_N_COLUMNS
} WpcPhonesColumn;

GtkWidget           *wpc_phones_view_new              (void);

void                 wpc_phones_view_set_service      (WpcPhonesView   *self,
                                                       WpiServiceHost      *service);
WpiServiceHost          *wpc_phones_view_get_service      (WpcPhonesView   *self);
/* Shows a model of WpiPhone without a service (benchmarks, previews): no actions. */
void                 wpc_phones_view_set_phones       (WpcPhonesView   *self,
                                                       GListModel      *phones);
void                 wpc_phones_view_set_settings     (WpcPhonesView   *self,
                                                       GSettings       *settings);

/* The rows as shown: filtered, sorted, with the selection */
GtkSelectionModel   *wpc_phones_view_get_selection    (WpcPhonesView   *self);
GtkColumnView       *wpc_phones_view_get_column_view  (WpcPhonesView   *self);
GtkColumnViewColumn *wpc_phones_view_get_column       (WpcPhonesView   *self,
                                                       WpcPhonesColumn  column);
/* What the search entry holds; setting it filters as typing would. */
const char          *wpc_phones_view_get_search       (WpcPhonesView   *self);
void                 wpc_phones_view_set_search       (WpcPhonesView   *self,
                                                       const char      *text);
/* WpiPhone of the selection, in the order shown */
GPtrArray           *wpc_phones_view_get_selected_phones (WpcPhonesView *self);
gboolean             wpc_phones_view_get_busy         (WpcPhonesView   *self);

/* Queues a job for each phone, in steps on the main loop (progress bar, Cancel).
 * items: WpiStoreItem (may be NULL). FALSE with an error when nothing was started. */
gboolean             wpc_phones_view_queue_jobs       (WpcPhonesView   *self,
                                                       GPtrArray       *phones,
                                                       WpiJobKind       kind,
                                                       const char      *parameter,
                                                       GArray          *items,
                                                       GError         **error);
/* Copies file into DATA_DIR/files and queues its deployment (file_type: a file-type
 * value such as LOGO) or, with sw_version set, a firmware deployment. Asynchronous:
 * the copy runs first; errors show in the view. */
void                 wpc_phones_view_deploy           (WpcPhonesView   *self,
                                                       GPtrArray       *phones,
                                                       GFile           *file,
                                                       const char      *file_type,
                                                       const char      *sw_version);

/* The phone list (D24): the Import dialog, with file previewed at once unless NULL;
 * an export of every phone to file as CSV, asynchronous, its outcome shown in the view. */
void                 wpc_phones_view_import_list      (WpcPhonesView   *self,
                                                       GFile           *file);
void                 wpc_phones_view_export_list      (WpcPhonesView   *self,
                                                       GFile           *file);

G_END_DECLS
