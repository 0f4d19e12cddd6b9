/* wpi-handout.h: the PIN handout (issue 4 §3)
 *
 * A bulk handout selects phones, queues the bootstrap of each (wpi-bootstrap.h: the job
 * with its PIN, committed together) off the main thread, and gives back one
 * WpiHandoutEntry per queued phone. It builds no bundle: the service does that for each
 * phone by the time it sends the job (wpi-bootstrap-builder.h), so the PINs of 500
 * phones show at once. Only once committed are the PINs shown: as a CSV, as a PDF of
 * cut-out slips, or printed by the UI through the same drawing code, after which
 * wpi_handout_mark_handed_out() records that they left the console.
 *
 * PINs never go to a log: nothing here logs, and no error message carries a PIN.
 */
#pragma once

#include <cairo.h>
#include <gio/gio.h>

#include "wpi-bootstrap.h"
#include "wpi-handout-csv.h"
#include "wpi-pki.h"
#include "wpi-store.h"

G_BEGIN_DECLS


/* A phone that could not be prepared; the others went on. */
typedef struct {
  char    *mac;     /* as given when it is not a MAC */
  GError  *error;
} WpiHandoutFailure;

#define WPI_TYPE_HANDOUT_FAILURE (wpi_handout_failure_get_type ())

GType              wpi_handout_failure_get_type (void) G_GNUC_CONST;
WpiHandoutFailure *wpi_handout_failure_copy     (const WpiHandoutFailure *failure);
void               wpi_handout_failure_free     (WpiHandoutFailure       *failure);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiHandoutFailure, wpi_handout_failure_free)

/* What a bulk handout did. Also a cancelled run has a result: the phones queued
 * before the cancellation have committed PINs that still need handing out. */
typedef struct {
  GPtrArray           *entries;     /* WpiHandoutEntry, in the order the MACs were given */
  GPtrArray           *failures;    /* WpiHandoutFailure, in the order they happened */
  guint                n_requested; /* MACs given (a repeated MAC counts once) */
  gboolean             cancelled;   /* stopped early; the rest were not touched */
  gint64               elapsed_us;  /* wall-clock time of the whole run */
  WpiBootstrapTimings  timings;     /* the commits (store_us); no bundle is built here */
} WpiHandoutResult;

#define WPI_TYPE_HANDOUT_RESULT (wpi_handout_result_get_type ())

GType             wpi_handout_result_get_type (void) G_GNUC_CONST;
WpiHandoutResult *wpi_handout_result_copy     (const WpiHandoutResult *result);
void              wpi_handout_result_free     (WpiHandoutResult       *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiHandoutResult, wpi_handout_result_free)

/* After each phone: done of total phones are through (queued or failed); entry is
 * the queued phone (its PIN committed), NULL when it failed. */
typedef void (*WpiHandoutProgressFunc) (guint                   done,
                                        guint                   total,
                                        const char             *mac,
                                        const WpiHandoutEntry  *entry,
                                        gpointer                user_data);

/* --- Selecting phones ------------------------------------------------------------- */

/* Normalised MACs (a NULL-terminated array, maybe empty) in the store's order. */
GStrv   wpi_handout_select_all          (WpiStore            *store,
                                         GError             **error);
/* Phones still in Default Mode. */
GStrv   wpi_handout_select_default_mode (WpiStore            *store,
                                         GError             **error);
/* Phones that match every word of `filter` (case-insensitively, as a substring of the
 * MAC in either form "00:1A:E8:…" or "001AE8…", the number, the model or the
 * location). An empty filter matches every phone. */
GStrv   wpi_handout_select_matching     (WpiStore            *store,
                                         const char          *filter,
                                         GError             **error);
/* The given MACs in any form, normalised, each once, in the order given. A string that
 * is not a MAC, or a phone the store does not know, is an error naming it. */
GStrv   wpi_handout_select_macs         (WpiStore            *store,
                                         const char * const  *macs,
                                         GError             **error);

/* --- The bulk preparation --------------------------------------------------------- */

/* Queues the bootstrap of every phone in `macs` on another thread, which opens its own
 * WpiStore on data_dir and commits up to 64 phones a transaction. A MAC that is not one,
 * a phone the store does not know or any other failure is recorded for that phone and the
 * rest go on. Cancelling stops between phones: a phone is queued with its PIN completely
 * or not at all. progress (may be NULL) is called for each phone once its transaction has
 * committed, on the thread-default main context of the caller, never after callback;
 * progress_data must live until callback has run. `pki` is no longer used (the service
 * builds the bundles) and may be NULL. */
void              wpi_handout_prepare_async  (const char                 *data_dir,
                                              WpiPki                     *pki,
                                              const char * const         *macs,
                                              const WpiBootstrapOptions  *options,
                                              GCancellable               *cancellable,
                                              WpiHandoutProgressFunc      progress,
                                              gpointer                    progress_data,
                                              GAsyncReadyCallback         callback,
                                              gpointer                    user_data);
/* NULL only when the run could not start (the store did not open). */
WpiHandoutResult *wpi_handout_prepare_finish (GAsyncResult               *result,
                                              GError                    **error);
/* The same, blocking; progress is called on the calling thread. */
WpiHandoutResult *wpi_handout_prepare        (const char                 *data_dir,
                                              WpiPki                     *pki,
                                              const char * const         *macs,
                                              const WpiBootstrapOptions  *options,
                                              GCancellable               *cancellable,
                                              WpiHandoutProgressFunc      progress,
                                              gpointer                    progress_data,
                                              GError                    **error);

/* Every entry's PIN becomes HANDED_OUT (one transaction; entries without PIN are
 * skipped). Call it once a PDF, CSV or print job holding the PINs was produced. A PIN
 * that was re-issued or failed meanwhile is WPI_HANDOUT_ERROR_STALE and nothing
 * changes. */
gboolean          wpi_handout_mark_handed_out (WpiStore                  *store,
                                               GPtrArray                 *entries,
                                               GError                   **error);

/* --- Slips: PDF and printing ------------------------------------------------------ */

typedef enum {
  WPI_HANDOUT_PAPER_A4,     /* 595 × 842 pt */
  WPI_HANDOUT_PAPER_LETTER, /* 612 × 792 pt */
} WpiHandoutPaper;

void              wpi_handout_paper_get_size (WpiHandoutPaper            paper,
                                              double                    *width,
                                              double                    *height);

/* Slips on a page, in cairo user units, which are points (for GtkPrintOperation set
 * GTK_UNIT_POINTS): a grid of columns × rows slips inside the margins. */
typedef struct {
  double  page_width;
  double  page_height;
  double  margin;       /* around the grid, where the cut marks go */
  guint   columns;
  guint   rows;
  double  slip_width;
  double  slip_height;
} WpiHandoutLayout;

/* The grid for a page of width × height points (a printer's printable area or a whole
 * sheet); at least one slip per page. */
void              wpi_handout_layout        (WpiHandoutLayout          *layout,
                                             double                     width,
                                             double                     height);
guint             wpi_handout_layout_get_slips_per_page (const WpiHandoutLayout *layout);
guint             wpi_handout_layout_get_n_pages        (const WpiHandoutLayout *layout,
                                                         guint                   n_entries);
/* The top left corner of the slot-th slip of a page (0 … slips per page − 1). */
void              wpi_handout_layout_get_slip_origin    (const WpiHandoutLayout *layout,
                                                         guint                   slot,
                                                         double                 *x,
                                                         double                 *y);

/* Pages of slips for n_entries on a page of width × height points (0 for none). */
guint             wpi_handout_get_n_pages   (guint                     n_entries,
                                             double                    width,
                                             double                    height);
/* Page `page` (from 0) of the handout: its slips and the cut marks. For a PDF page or
 * GtkPrintOperation::draw-page (gtk_print_context_get_cairo_context(),
 * gtk_print_context_get_width()/height()). */
void              wpi_handout_draw_page     (cairo_t                  *cr,
                                             double                    width,
                                             double                    height,
                                             GPtrArray                *entries,
                                             guint                     page);
/* One slip in the rectangle x, y, w, h: MAC, number, model, location, the PIN in large
 * digits grouped for reading aloud, and what to type on the phone. */
void              wpi_handout_draw_slip     (cairo_t                  *cr,
                                             const WpiHandoutEntry    *entry,
                                             double                    x,
                                             double                    y,
                                             double                    w,
                                             double                    h);
/* "482 913 775 301": the digits in groups of three from the end, so that the TAN (the
 * last three) is a group of its own. */
char             *wpi_handout_format_pin    (const char               *pin);

/* The whole handout as a PDF on `paper`, written atomically with mode 0600. */
gboolean          wpi_handout_write_pdf     (GPtrArray                *entries,
                                             const char               *path,
                                             WpiHandoutPaper           paper,
                                             GError                  **error);

G_END_DECLS
