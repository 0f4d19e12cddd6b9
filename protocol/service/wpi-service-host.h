/* wpi-service-host.h: the provisioning service on a thread of its own
 *
 * A WpiService handles phones and commits to SQLite wherever its main context runs. In
 * the console that must not be the thread that draws the window: a burst of phones
 * would stall the UI, and a slow disk would stall the phones (doc/DESIGN.md, "Threads").
 * WpiServiceHost runs one WpiService on a worker thread with its own GMainContext and
 * store connection, and gives the thread that created it (the owner: the GTK thread)
 * what a UI needs there: mirrors of the phones and jobs models, the service's signals
 * re-emitted in order, the listening state, and calls that run on the worker.
 *
 * Updates are coalesced: a phone that changes ten times while the owner is busy drawing
 * is copied once, and the owner applies them in slices of a few milliseconds, so the
 * UI keeps its frame rate under a burst of a thousand phones.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-pki.h"
#include "wpi-store.h"

G_BEGIN_DECLS

#define WPI_TYPE_SERVICE_HOST (wpi_service_host_get_type ())

G_DECLARE_FINAL_TYPE (WpiServiceHost, wpi_service_host, WPI, SERVICE_HOST, GObject)

/* Starts the worker thread and opens the service there (data directory, store, PKI),
 * waiting for the outcome. Models and signals belong to the calling thread's
 * thread-default main context. */
WpiServiceHost *wpi_service_host_new              (const char      *data_dir,
                                                   GError         **error);

/* The same in two halves, so that the caller can do other work (a GUI's start-up) while
 * the worker opens the service: every begin is finished exactly once, on the same
 * thread, which then owns the host as above. */
typedef struct _WpiServiceHostOpening WpiServiceHostOpening;

WpiServiceHostOpening *wpi_service_host_open_begin  (const char             *data_dir);
WpiServiceHost        *wpi_service_host_open_finish (WpiServiceHostOpening  *opening,
                                                     GError                **error);

/* As wpi_service_set_bind_address() and wpi_service_set_ports(), before start(). */
void            wpi_service_host_set_bind_address (WpiServiceHost  *self,
                                                   const char      *address);
void            wpi_service_host_set_ports        (WpiServiceHost  *self,
                                                   guint            port,
                                                   guint            secure_port);
/* Start and stop listening, on the worker; they return once it has happened. */
gboolean        wpi_service_host_start            (WpiServiceHost  *self,
                                                   GError         **error);
void            wpi_service_host_stop             (WpiServiceHost  *self);
gboolean        wpi_service_host_is_listening     (WpiServiceHost  *self);

/* The listening state as of the last start, stop or "listening-changed". */
guint           wpi_service_host_get_port         (WpiServiceHost  *self);
guint           wpi_service_host_get_secure_port  (WpiServiceHost  *self);
GStrv           wpi_service_host_get_urls         (WpiServiceHost  *self);

const char     *wpi_service_host_get_data_dir     (WpiServiceHost  *self);
/* The owner thread's own connection to the service's store (WAL lets both work at
 * once): for the owner's short writes, such as committing a handout's PINs. */
WpiStore       *wpi_service_host_get_store        (WpiServiceHost  *self);
/* The service's PKI; its issuing functions are safe on any thread. */
WpiPki         *wpi_service_host_get_pki          (WpiServiceHost  *self);

/* Mirrors of wpi_service_get_phones() and wpi_service_get_jobs() on the owner. */
GListModel     *wpi_service_host_get_phones       (WpiServiceHost  *self);
GListModel     *wpi_service_host_get_jobs         (WpiServiceHost  *self);

/* Asks the service to re-read phones and jobs (after the owner wrote to the store). */
void            wpi_service_host_reload           (WpiServiceHost  *self);

/* wpi_service_enqueue_job() on the worker; returns the job id, 0 on error. */
gint64          wpi_service_host_enqueue_job      (WpiServiceHost  *self,
                                                   const char      *mac,
                                                   WpiJobKind       kind,
                                                   const char      *parameter,
                                                   GArray          *items,
                                                   GError         **error);

/* wpi_service_cancel_unsent_job() on the worker for each id, in one call, so that the
 * service sends none of them meanwhile. Returns how many were cancelled; the others had
 * already been sent or finished (or were unknown) and are left as they are. FALSE with
 * an error when the store failed: the jobs cancelled before stay cancelled. */
gboolean        wpi_service_host_cancel_unsent_jobs (WpiServiceHost  *self,
                                                     const gint64    *job_ids,
                                                     guint            n_job_ids,
                                                     guint           *n_cancelled,
                                                     GError         **error);

/* Blocks until every update the worker has produced so far has reached the owner's
 * models and signals (for tests and for a clean shutdown). */
void            wpi_service_host_sync             (WpiServiceHost  *self);

G_END_DECLS
