/* wpi-sweep.h: finding phones by sweeping an address range (issue 14 §2, D25)
 *
 * A sweep sends a contact-me (D10 format: the console's address and port) to port 8085 of
 * every address of a range, so that the phones there, which do not yet know where the
 * console is, call the service (the guide's p.14 IP-range scan). It sends at most `rate`
 * contact-mes a second with at most `concurrency` under way, tries an address that did not
 * answer once more after the phones' contact gap (WPI_CONTACT_MIN_INTERVAL), and gives
 * each address a result: answered (the phone's contact-me server took it), refused (it
 * answered with an HTTP error) or no answer (nothing listened, or not in time).
 *
 * D25: a sweep goes only to the addresses the technician named, never to a URI a phone
 * reported, so the D19 guard does not apply; instead a range with any public address in it
 * is refused before anything is sent unless allow-public is set (the setting
 * sweep-allow-public), and one of more than WPI_SWEEP_CONFIRM_ABOVE addresses only runs
 * when confirmed.
 *
 * The phones that then call the service are matched to the addresses they call from: the
 * sweep watches a phones model (wpi_sweep_watch_phones(), e.g. a WpiServiceHost's mirror)
 * or is told of each (wpi_sweep_note_phone(), e.g. from the store). Everything runs on the
 * thread-default main context of the thread that calls start(); its signals come there:
 *   address-done (guint n)                  address n has its result
 *   phone-registered (guint n, char *mac)   a phone called from address n after the start
 *   finished (gboolean cancelled)           every address has its result, or cancel()
 * Progress is also in the read-only properties n-done, n-answered, n-refused, n-no-answer,
 * n-registered and n-sent, each with notify.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-address-range.h"
#include "wpi-contact.h"

G_BEGIN_DECLS

#define WPI_SWEEP_DEFAULT_RATE        20
#define WPI_SWEEP_DEFAULT_CONCURRENCY 50
#define WPI_SWEEP_MAX_RATE            1000
#define WPI_SWEEP_MAX_CONCURRENCY     500
/* Larger ranges need an explicit confirmation (issue 14: --yes, the dialog's question) */
#define WPI_SWEEP_CONFIRM_ABOVE       1024
/* A first try and, after no answer, one more */
#define WPI_SWEEP_MAX_TRIES           2

#define WPI_SWEEP_ERROR (wpi_sweep_error_quark ())

typedef enum {
  WPI_SWEEP_ERROR_PUBLIC,         /* D25: a public range without allow-public */
  WPI_SWEEP_ERROR_NOT_CONFIRMED,  /* more than WPI_SWEEP_CONFIRM_ABOVE, not confirmed */
  WPI_SWEEP_ERROR_NO_ADDRESS,     /* no address of the console's that the range reaches */
  WPI_SWEEP_ERROR_STARTED,        /* start() a second time */
} WpiSweepError;

typedef enum {
  WPI_SWEEP_RESULT_WAITING,    /* not tried yet, or under way */
  WPI_SWEEP_RESULT_ANSWERED,   /* its contact-me server took the contact-me */
  WPI_SWEEP_RESULT_REFUSED,    /* it answered with an HTTP error */
  WPI_SWEEP_RESULT_NO_ANSWER,  /* nothing listened, or not in time, twice */
} WpiSweepResult;

#define WPI_TYPE_SWEEP (wpi_sweep_get_type ())

G_DECLARE_FINAL_TYPE (WpiSweep, wpi_sweep, WPI, SWEEP, GObject)

GQuark          wpi_sweep_error_quark      (void);

/* dls_address: the console's address the phones are to call (NULL: the local address
 * that routes to the range); dls_port: the service's Default Mode port. Set rate,
 * concurrency, allow-public and confirmed before start(). */
WpiSweep       *wpi_sweep_new              (const WpiAddressRange *range,
                                            const char            *dls_address,
                                            guint                  dls_port);
/* Checks the range (D25) and begins; FALSE and an error, with nothing sent, when it may
 * not run. */
gboolean        wpi_sweep_start            (WpiSweep              *self,
                                            GError               **error);
/* Stops sending; contact-mes under way are abandoned, untried addresses stay WAITING.
 * "finished" (TRUE) is emitted unless the sweep had finished already. */
void            wpi_sweep_cancel           (WpiSweep              *self);
gboolean        wpi_sweep_is_finished      (WpiSweep              *self);

/* Matches the phones of a model of WpiPhone (its items and their last-contact) to the
 * addresses swept, from now until the sweep is dropped. */
void            wpi_sweep_watch_phones     (WpiSweep              *self,
                                            GListModel            *phones);
/* A phone mac called the service from ip at last_contact (real time, µs); counted when
 * ip is in the range, the call came after the start and the address has no phone yet. */
void            wpi_sweep_note_phone       (WpiSweep              *self,
                                            const char            *ip,
                                            const char            *mac,
                                            gint64                 last_contact);

guint           wpi_sweep_get_n_addresses  (WpiSweep              *self);
const WpiAddressRange *wpi_sweep_get_range (WpiSweep              *self);
/* The address the contact-mes name; NULL before start() */
const char     *wpi_sweep_get_dls_address  (WpiSweep              *self);
/* Address n's result, how often it was tried, and what the last try said (NULL when it
 * was answered or is waiting); detail is owned by the sweep. */
WpiSweepResult  wpi_sweep_get_result       (WpiSweep              *self,
                                            guint                  n,
                                            guint                 *tries,
                                            const char           **detail);
/* The MAC of the phone that called from address n, NULL when none has */
const char     *wpi_sweep_get_registered   (WpiSweep              *self,
                                            guint                  n);

/* The counts so far, as in the properties of the same names */
typedef struct {
  guint n_addresses;
  guint n_sent;        /* contact-mes sent, second tries included */
  guint n_done;        /* addresses with their result */
  guint n_answered;
  guint n_refused;
  guint n_no_answer;
  guint n_registered;  /* addresses a phone called from after the start */
} WpiSweepCounts;

WpiSweepCounts  wpi_sweep_get_counts       (WpiSweep              *self);

/* "answered", "refused", "no answer", "waiting": for wpictl and logs (not translated) */
const char     *wpi_sweep_result_to_string (WpiSweepResult         result);

G_END_DECLS
