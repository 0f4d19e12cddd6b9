/* wpi-traffic-export.h: logged messages as text for the inspector, and as files
 *
 * Secrets are masked unless WPI_DUMP_SHOW_SECRETS is given: the value of every item the
 * catalogue calls secret (wpi_catalogue_is_secret(): passwords, PINs, keys,
 * certificates, secure-mode-data, dls-client-certificate) becomes
 * WPI_TRAFFIC_MASKED_VALUE; an empty value stays empty.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-dump.h"
#include "wpi-store.h"

G_BEGIN_DECLS

#define WPI_TRAFFIC_MASKED_VALUE "[masked]"

/* Whether the inspector masks the item's value */
gboolean  wpi_traffic_item_is_secret     (const char    *name);

/* The body with the values of secret items replaced, everything else byte for byte as
 * it was (also in a body that is not well-formed XML, as far as its Item elements can
 * be recognised; NUL bytes, which no WPI body may hold, become spaces). */
GBytes   *wpi_traffic_mask_body          (GBytes        *body,
                                          WpiDumpFlags   flags);

/* The body as indented UTF-8 XML, secrets masked. A body the codec refuses is shown as
 * it came (masked as far as possible, invalid UTF-8 replaced) and pretty is set FALSE. */
char     *wpi_traffic_format_body        (GBytes        *body,
                                          WpiDumpFlags   flags,
                                          gboolean      *pretty);
/* One line: root, reason, action, status=, fragment=, item count and ", error: ..." for
 * a refused message ("WorkpointMessage start-up, 17 items"); a record whose summary
 * columns are empty (the store does no parsing) is summarised from its body. */
char     *wpi_traffic_format_summary     (const WpiTrafficRecord *record);
/* The HTTP head as UTF-8 text with "\n" line ends; "" for NULL */
char     *wpi_traffic_format_headers     (GBytes        *headers);

typedef enum {
  WPI_TRAFFIC_EXPORT_XML,        /* one .xml file per message and an index.tsv, in a folder */
  WPI_TRAFFIC_EXPORT_JSON_LINES, /* one file, a line per message: its context (number, time,
                                  * direction, port, mode, peer, phone, flow, HTTP status), then
                                  * the message in the wpi-decode --json schema (README) */
  WPI_TRAFFIC_EXPORT_PCAPNG,     /* one file, the messages as HTTP over TCP for Wireshark (D29) */
} WpiTrafficExportFormat;

/* The index.tsv's first line */
#define WPI_TRAFFIC_EXPORT_INDEX_HEADER \
  "file\tid\ttime\tdirection\tport\tmode\tpeer\tmac\tflow\troot\tnonce\treason\taction\tstatus\titems\tsize\terror"

/* Writes the messages with these ids (a GArray of gint64) read through store. XML:
 * destination is a folder (created if missing) that gets NNNNNNNNNN-in.xml /
 * -out.xml with the raw body and index.tsv. JSON lines: destination is the file; a
 * message whose body does not parse has no line and counts as skipped. pcapng:
 * destination is the file; every message is written (a refused one as it came). */
gboolean  wpi_traffic_export             (WpiStore                *store,
                                          GArray                  *ids,
                                          WpiTrafficExportFormat   format,
                                          GFile                   *destination,
                                          WpiDumpFlags             flags,
                                          guint                   *n_written,
                                          guint                   *n_skipped,
                                          GCancellable            *cancellable,
                                          GError                 **error);
/* The same in a worker thread with its own connection to the store's data directory */
void      wpi_traffic_export_async       (WpiStore                *store,
                                          GArray                  *ids,
                                          WpiTrafficExportFormat   format,
                                          GFile                   *destination,
                                          WpiDumpFlags             flags,
                                          GCancellable            *cancellable,
                                          GAsyncReadyCallback      callback,
                                          gpointer                 user_data);
gboolean  wpi_traffic_export_finish      (GAsyncResult            *result,
                                          guint                   *n_written,
                                          guint                   *n_skipped,
                                          GError                 **error);

G_END_DECLS
