/* service-fixture.h: a scripted phone against a service on 127.0.0.1, for the service's tests
 *
 * A libsoup client in the test's process plays a phone message by message (protocol.md §7)
 * against a WpiService on the same main context, and checks the answers, the store and the
 * traffic log. test-service, test-service-overload and test-service-secure share it.
 */
#pragma once

#include <libsoup/soup.h>

#include "wpi-codec.h"
#include "wpi-job.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "test-util-service.h"
#include "test-util-store.h"

G_BEGIN_DECLS

#define MAC "00:1A:E8:12:34:56"
#define OTHER_MAC "00:1A:E8:12:34:57"
#define UNANSWERED_CONTACT_URI "http://127.0.0.1:1/contact_dls.html/ContactDLS"
#define WAIT_TIMEOUT (20 * G_TIME_SPAN_SECOND)

typedef struct {
  char        *data_dir;
  WpiService  *service;
  SoupSession *session;
  char        *cookie;
  char        *firmware;
  gint64       max_items;
  guint        last_status;
  char        *last_set_cookie;
  gboolean     secure;        /* talk to the Secure Mode port */
  GTlsCertificate *client_cert;
  GError      *transport_error;
  const char  *mac;           /* the phone that writes: MAC unless a test changes it */
  char        *contact_me_uri; /* what it reports; nobody listens at the default */
  const char  *e164;          /* the e164 it reports; NULL: its own, 4989700123 */
} Fixture;

/* A started service in a fresh data directory, and a phone (MAC, firmware V3R5) that does
 * not check the server's certificate, as phones in Default Mode do not */
void            fixture_set_up     (Fixture       *f,
                                    gconstpointer  data);
void            fixture_tear_down  (Fixture       *f,
                                    gconstpointer  data);

/* One HTTP exchange on port (0: the default or, with f->secure, the Secure Mode port); the
 * body of the answer. A refused TLS handshake leaves f->transport_error set and NULL. */
GBytes         *http               (Fixture    *f,
                                    const char *method,
                                    const char *path,
                                    const char *body,
                                    gsize       length,
                                    gboolean    with_cookie,
                                    guint       port);
/* A message of f->mac with reason; all but a reply-to carry the phone's identity items */
WpiMessage     *phone_message      (Fixture    *f,
                                    WpiReason   reason,
                                    const char *nonce);
/* A reply-to of action with status, in one fragment */
WpiMessage     *reply_to           (Fixture    *f,
                                    WpiAction   action,
                                    const char *status,
                                    const char *nonce);
/* Sends message and returns the service's answer, checking D2's nonce echo */
WpiMessage     *exchange           (Fixture    *f,
                                    WpiMessage *message);
/* Posts a message the service is expected to refuse; the HTTP status */
guint           post_refused       (Fixture    *f,
                                    WpiMessage *message,
                                    gboolean    with_cookie);
/* D28: pattern has a letter per message in the traffic log, the same letter for the
 * messages of one flow ("AAAABB": a flow of four, then another one of two) */
void            assert_flows       (Fixture    *f,
                                    const char *pattern);

/* MAC as the store has it */
WpiPhoneRecord *stored_phone       (Fixture *f);
WpiPhoneState   stored_phone_state (Fixture *f);
char           *stored_phone_ip    (Fixture *f);
/* MAC's start-up and registration read, to its CleanUp */
void            register_phone     (Fixture *f);
/* A WriteItems job for MAC of one or (name2 not NULL) two items; its id */
gint64          enqueue_write      (Fixture    *f,
                                    const char *name1,
                                    const char *value1,
                                    const char *name2,
                                    const char *value2);

#define job_state(f, id, reason) test_util_service_job_state ((f)->service, id, reason)

G_END_DECLS
