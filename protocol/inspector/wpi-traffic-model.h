/* wpi-traffic-model.h: the traffic log as a lazy GListModel
 *
 * WpiTrafficModel lists the messages of a WpiStore's traffic log, oldest first, as
 * WpiTrafficEntry objects. It never loads the log whole: the number of items comes from
 * the log's bounds (ids are dense, so position = id - first id), and get_item() reads
 * the page of WPI_TRAFFIC_MODEL_PAGE_SIZE summary rows around the item on demand into a
 * small least-recently-used cache. Message bodies are read only when asked for, one
 * message at a time (wpi_traffic_entry_load_record(), wpi_traffic_entry_get_message()).
 *
 * Live traffic comes in through wpi_traffic_model_append() (the service's ::traffic
 * signal). Appending also re-reads the bounds, so rows the store deleted for retention
 * leave the front of the list. While paused, new messages are counted
 * (WpiTrafficModel:n-pending) but not added; resuming adds them all at once.
 *
 * A model and its entries belong to the thread of their store.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-message.h"
#include "wpi-store.h"

G_BEGIN_DECLS

/* Rows read per page, and pages kept: about 4,000 summaries, however long the log. */
#define WPI_TRAFFIC_MODEL_PAGE_SIZE        256
#define WPI_TRAFFIC_MODEL_DEFAULT_MAX_PAGES 16

#define WPI_TYPE_TRAFFIC_ENTRY (wpi_traffic_entry_get_type ())

G_DECLARE_FINAL_TYPE (WpiTrafficEntry, wpi_traffic_entry, WPI, TRAFFIC_ENTRY, GObject)

/* An entry for a record; the record is copied, with its headers and body if it has them. */
WpiTrafficEntry        *wpi_traffic_entry_new            (const WpiTrafficRecord *record);
/* The summary (and the raw bytes when the entry was made from a record that had them).
 * Transfer none. */
const WpiTrafficRecord *wpi_traffic_entry_get_record     (WpiTrafficEntry        *self);

gint64                  wpi_traffic_entry_get_id         (WpiTrafficEntry        *self);
gint64                  wpi_traffic_entry_get_time       (WpiTrafficEntry        *self);
WpiTrafficDirection     wpi_traffic_entry_get_direction  (WpiTrafficEntry        *self);
guint                   wpi_traffic_entry_get_port       (WpiTrafficEntry        *self);
WpiPhoneMode            wpi_traffic_entry_get_mode       (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_peer       (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_mac        (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_flow       (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_root       (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_nonce      (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_reason     (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_action     (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_status     (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_fragment   (WpiTrafficEntry        *self);
gint                    wpi_traffic_entry_get_item_count (WpiTrafficEntry        *self);
gint64                  wpi_traffic_entry_get_size       (WpiTrafficEntry        *self);
gint                    wpi_traffic_entry_get_error_code (WpiTrafficEntry        *self);
const char             *wpi_traffic_entry_get_error_text (WpiTrafficEntry        *self);
/* The service refused the message (error text without a codec error code: an identity
 * or Secure Mode check, HTTP 400/403/500) */
gboolean                wpi_traffic_entry_is_refused     (WpiTrafficEntry        *self);
/* The refusal was also logged as a security event (HTTP 403). Set by the model. */
gboolean                wpi_traffic_entry_is_security_event (WpiTrafficEntry     *self);
/* Not in the store any more (deleted for retention while the list still showed it) */
gboolean                wpi_traffic_entry_is_missing     (WpiTrafficEntry        *self);

/* The whole message, headers and body: the entry's own bytes when it has them, else
 * read from store. Transfer full. */
WpiTrafficRecord       *wpi_traffic_entry_load_record    (WpiTrafficEntry        *self,
                                                          WpiStore               *store,
                                                          GError                **error);
/* The body parsed, cached in the entry (so a filter that looks at items parses each
 * message once). NULL with an error when the body cannot be read or parsed; a message
 * the codec refused fails again with the same code. Transfer none. */
WpiMessage             *wpi_traffic_entry_get_message    (WpiTrafficEntry        *self,
                                                          WpiStore               *store,
                                                          GError                **error);

#define WPI_TYPE_TRAFFIC_MODEL (wpi_traffic_model_get_type ())

G_DECLARE_FINAL_TYPE (WpiTrafficModel, wpi_traffic_model, WPI, TRAFFIC_MODEL, GObject)

/* Reads the bounds of the log (two indexed look-ups), nothing else. */
WpiTrafficModel *wpi_traffic_model_new             (WpiStore               *store,
                                                    GError                **error);
WpiStore        *wpi_traffic_model_get_store       (WpiTrafficModel        *self);

/* A message the store has just logged (record->id set); see the introduction. */
void             wpi_traffic_model_append          (WpiTrafficModel        *self,
                                                    const WpiTrafficRecord *record);
/* Re-reads the bounds: rows deleted for retention leave the front, rows another
 * connection logged are added (or counted while paused). */
gboolean         wpi_traffic_model_refresh         (WpiTrafficModel        *self,
                                                    GError                **error);

gboolean         wpi_traffic_model_get_paused      (WpiTrafficModel        *self);
void             wpi_traffic_model_set_paused      (WpiTrafficModel        *self,
                                                    gboolean                paused);
/* Messages logged while paused, not yet shown */
guint            wpi_traffic_model_get_n_pending   (WpiTrafficModel        *self);

/* The ids shown: first_id .. first_id + n_items - 1 (first_id 0 when empty). */
gint64           wpi_traffic_model_get_first_id    (WpiTrafficModel        *self);
gint64           wpi_traffic_model_get_last_id     (WpiTrafficModel        *self);
/* The entry of a shown id, or NULL. Transfer full. */
WpiTrafficEntry *wpi_traffic_model_get_entry_by_id (WpiTrafficModel        *self,
                                                    gint64                  id);
gboolean         wpi_traffic_model_get_position    (WpiTrafficModel        *self,
                                                    gint64                  id,
                                                    guint                  *position);

/* The page cache: at least 1 page. Debug counters: pages read from the store since the
 * model was made, pages held now. */
void             wpi_traffic_model_set_max_pages   (WpiTrafficModel        *self,
                                                    guint                   max_pages);
guint            wpi_traffic_model_get_page_loads  (WpiTrafficModel        *self);
guint            wpi_traffic_model_get_n_cached_pages (WpiTrafficModel     *self);

G_END_DECLS
