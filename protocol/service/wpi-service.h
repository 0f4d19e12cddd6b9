/* wpi-service.h: the provisioning service
 *
 * The HTTPS endpoints phones talk to (Default Mode and Secure Mode ports), the flow
 * engine that answers them (protocol.md §7, decisions.md D1-D17), the job scheduler
 * that sends contact-mes, and the live models a UI shows. The console, the headless
 * service and the tests all run this same object on the thread's main context.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-pki.h"
#include "wpi-store.h"

G_BEGIN_DECLS

#define WPI_DEFAULT_PORT        18443
#define WPI_DEFAULT_SECURE_PORT 18444
#define WPI_SERVICE_PATH        "/DeploymentService/LoginService"
#define WPI_POLL_PATH           "/dcmp/contact-me"
#define WPI_FILES_PATH          "/files/"
/* The traffic log's default byte budget, in MiB: a laptop's disk (issue 10 §3) */
#define WPI_SERVICE_TRAFFIC_MAX_MEGABYTES 1024
/* D3, D22: an idle flow expires after this long (the default of flow-deadline) */
#define WPI_FLOW_IDLE_TIMEOUT   (60 * G_TIME_SPAN_SECOND)
/* D21: flows in progress before a new one is answered CleanUp overload. The load benchmark's
 * 1,000 phones starting at once (tests/bench/bench-service.c) are all admitted; more only
 * wait longer for their answers, as the service serves the flows in turn. */
#define WPI_SERVICE_DEFAULT_MAX_FLOWS 1000
/* A phone that ignored this many contact-mes in a row is unreachable (D10). */
#define WPI_CONTACT_MAX_FAILURES 6
/* A job whose flow was cut short (D22) when it had this many attempts (which count
 * contact-mes and busy answers too) fails instead of going back to pending. */
#define WPI_FLOW_MAX_ATTEMPTS   10

/* The parameter of the read-all job that registers a new phone */
#define WPI_JOB_PARAMETER_REGISTRATION "registration"

#define WPI_SERVICE_ERROR (wpi_service_error_quark ())

typedef enum {
  WPI_SERVICE_ERROR_LISTEN,   /* a port could not be opened */
  WPI_SERVICE_ERROR_SETUP,    /* data directory, store or certificates */
} WpiServiceError;

/* Properties, which a running service applies at once:
 *   contact-initial-backoff  guint seconds before the first contact-me retry, doubling
 *                            with each further one (D10: 30; 0: no wait)
 *   contact-max-backoff      guint seconds, the longest wait between retries (D10: 900)
 *   traffic-retention-days   guint, traffic older than this is deleted (0: the log is
 *                            kept by count only, see WPI_STORE_SETTING_TRAFFIC_LIMIT)
 *   flow-deadline            guint seconds a flow may go without a message before it is
 *                            closed and its job goes back to pending (D22: 60)
 *   contact-allow            GStrv of address ranges (CIDR) a contact-me-uri on another
 *                            host than the phone's own address may point into (D19)
 *   max-flows                guint, flows in progress above which a new start-up,
 *                            solicited or local-changes is answered CleanUp overload
 *                            (D21: WPI_SERVICE_DEFAULT_MAX_FLOWS; 0: no limit)
 *   traffic-max-megabytes    guint, the most MiB the traffic log keeps (oldest deleted
 *                            first; WPI_STORE_SETTING_TRAFFIC_MAX_BYTES)
 *   bundle-iterations        guint PBKDF2 iterations of secure-mode-data (D8: 100,000);
 *                            the phones must use the same
 *   bundle-spare-keys        guint RSA keys made in advance for bootstrap bundles (two per
 *                            core, at most 16), from the next start() on */
#define WPI_TYPE_SERVICE (wpi_service_get_type ())

G_DECLARE_FINAL_TYPE (WpiService, wpi_service, WPI, SERVICE, GObject)

GQuark      wpi_service_error_quark       (void);

/* Opens (creating on first run) the data directory, its store and its PKI. */
WpiService *wpi_service_new               (const char    *data_dir,
                                           GError       **error);
/* Bind address (NULL: every address), the Default Mode and Secure Mode ports (0: any
 * free port, see get_port()), before start(). */
void        wpi_service_set_bind_address  (WpiService    *self,
                                           const char    *address);
void        wpi_service_set_ports         (WpiService    *self,
                                           guint          port,
                                           guint          secure_port);
/* Seconds between checks of the store for work queued by another process (wpictl). */
gboolean    wpi_service_start             (WpiService    *self,
                                           GError       **error);
void        wpi_service_stop              (WpiService    *self);

guint       wpi_service_get_port          (WpiService    *self);
guint       wpi_service_get_secure_port   (WpiService    *self);
/* "https://ADDR:PORT" lines for every address the service listens on */
GStrv       wpi_service_get_urls          (WpiService    *self);
WpiStore   *wpi_service_get_store         (WpiService    *self);
WpiPki     *wpi_service_get_pki           (WpiService    *self);
const char *wpi_service_get_data_dir      (WpiService    *self);

/* Live models: WpiPhone by MAC in order of registration; updated as phones talk. */
GListModel *wpi_service_get_phones        (WpiService    *self);
/* WpiJob by id, every job in the store; updated as jobs change. */
GListModel *wpi_service_get_jobs          (WpiService    *self);

/* Re-reads phones and jobs after this process changed the store behind the service's
 * back (e.g. wpi_bootstrap_prepare() on its store); another process's changes are
 * noticed by themselves within a second. */
void        wpi_service_reload            (WpiService    *self);

/* TRUE when a pending job can be sent now: a bootstrap's bundle (D7, D8), which the
 * service builds on worker threads once it knows the job (wpi-bootstrap-builder.h), is
 * built. FALSE for a final or unknown job. */
gboolean    wpi_service_bootstrap_is_ready (WpiService   *self,
                                            gint64        job_id);

/* Queue a job (the same as wpictl does) and act on it at once. */
gint64      wpi_service_enqueue_job       (WpiService    *self,
                                           const char    *mac,
                                           WpiJobKind     kind,
                                           const char    *parameter,
                                           GArray        *items,
                                           GError       **error);

/* Cancels a job that has not been sent to its phone yet: pending and not in progress
 * (a contact-me may have gone, the job's own message has not). The store keeps it as
 * CANCELLED, checked and written in one transaction. A job already sent or finished is
 * WPI_STORE_ERROR_STATE, an unknown one WPI_STORE_ERROR_NOT_FOUND; either way the
 * store is unchanged. */
gboolean    wpi_service_cancel_unsent_job (WpiService    *self,
                                           gint64         job_id,
                                           GError       **error);

G_END_DECLS
