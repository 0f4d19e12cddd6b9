/* wpi-contact.h: the contact-me client (protocol.md §5, decisions.md D10)
 *
 * A contact-me is a plain-HTTP POST to the phone's port 8085 asking it to call the
 * service back with a `solicited` flow. Phones' web servers are fragile: the client
 * never sends two contact-mes to one phone within WPI_CONTACT_MIN_INTERVAL; a request
 * made sooner waits its turn instead of being sent.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WPI_CONTACT_PORT             8085
#define WPI_CONTACT_PATH             "/contact_dls.html/ContactDLS"
#define WPI_CONTACT_TIMEOUT_SECONDS  5
#define WPI_CONTACT_MIN_INTERVAL     (2 * G_TIME_SPAN_SECOND)

#define WPI_CONTACT_ERROR (wpi_contact_error_quark ())

typedef enum {
  WPI_CONTACT_ERROR_INVALID_URI,   /* not an http:// URI with a host */
  WPI_CONTACT_ERROR_UNANSWERED,    /* timeout, refused connection, network error */
  WPI_CONTACT_ERROR_REFUSED,       /* an HTTP status other than 204 */
  WPI_CONTACT_ERROR_NOT_ALLOWED,   /* D19: a target the phone's own address does not vouch for */
  WPI_CONTACT_ERROR_BAD_RANGE,     /* not an address range (CIDR) */
} WpiContactError;

#define WPI_TYPE_CONTACT_CLIENT (wpi_contact_client_get_type ())

G_DECLARE_FINAL_TYPE (WpiContactClient, wpi_contact_client, WPI, CONTACT_CLIENT, GObject)

GQuark            wpi_contact_error_quark          (void);

WpiContactClient *wpi_contact_client_new           (void);
/* The same with up to max_connections contact-mes under way at once (to different phones;
 * the default client has libsoup's 10): a sweep's concurrency (issue 14, D25). */
WpiContactClient *wpi_contact_client_new_with_connections (guint max_connections);

/* The address of this computer that routes to ip (what a contact-me names for the phone to
 * call back, D10), or NULL when none does; nothing is sent. */
char             *wpi_contact_local_address_towards (const char       *ip);

/* The URI for a phone: its contact-me-uri item when known, else built from its IP. */
char             *wpi_contact_uri_for_address      (const char          *ip_address);

/* D19: where a phone's contact-me may go. By default only to the address its last message
 * came from (source_ip), with the port and path of its contact-me-uri (trimmed; NULL: the
 * guide's port and path); a URI on another host only when that host is inside one of
 * allowed (GInetAddressMask, from wpi_contact_range_parse()). The URI to POST to, or NULL
 * and WPI_CONTACT_ERROR_NOT_ALLOWED (or _INVALID_URI). */
char             *wpi_contact_target               (const char          *contact_me_uri,
                                                    const char          *source_ip,
                                                    GPtrArray           *allowed,
                                                    GError             **error);
/* One address range as the technician writes it: "192.168.1.0/24", "fd00::/64", or a single
 * address. NULL and WPI_CONTACT_ERROR_BAD_RANGE when it is none. */
GInetAddressMask *wpi_contact_range_parse          (const char          *text,
                                                    GError             **error);
/* Every range of cidrs parsed (a GPtrArray of GInetAddressMask), or NULL and the error of
 * the first that does not parse. */
GPtrArray        *wpi_contact_ranges_parse         (const char * const  *cidrs,
                                                    GError             **error);

/* Sends to uri as given, unchecked. The service's scheduler passes only what
 * wpi_contact_target() allows (D19); the technician's sweep of a range (issue 14), the one
 * other source of targets, is to pass the addresses of the range the technician named. */
void              wpi_contact_client_contact_async (WpiContactClient    *self,
                                                    const char          *uri,
                                                    const char          *dls_address,
                                                    guint                dls_port,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean          wpi_contact_client_contact_finish (WpiContactClient   *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

/* D10 back-off after `failures` unanswered contact-mes (or busy answers): `initial`, then
 * twice as long each time, never longer than `longest`; 0 before the first failure.
 * D10's values give 30 s, 60 s, 120 s … 15 min. */
#define WPI_CONTACT_BACKOFF_INITIAL  (30 * G_TIME_SPAN_SECOND)
#define WPI_CONTACT_BACKOFF_LONGEST  (15 * G_TIME_SPAN_MINUTE)

GTimeSpan         wpi_contact_backoff              (GTimeSpan            initial,
                                                    GTimeSpan            longest,
                                                    guint                failures);

G_END_DECLS
