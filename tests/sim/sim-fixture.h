/* sim-fixture.h: a scripted provisioning service for the simulated phones' tests
 *
 * The test plays the provisioning service: an HTTPS libsoup server on 127.0.0.1 with a
 * certificate made here with GnuTLS, answering each phone message from a script and
 * recording what the phone sent; and phones under test, watched as they talk to it.
 */
#pragma once

#include <libsoup/soup.h>

#include "wpi-codec.h"
#include "wpi-sim-phone.h"
#include "test-util-sim.h"

G_BEGIN_DECLS

#define WAIT_SECONDS 20

/* ---------------------------------------------------------------------------------------- */
/* The scripted service                                                                     */

typedef struct {
  char       *reason;          /* expected ReasonForContact */
  char       *action;          /* expected ReasonForContact@action (reply-to), or NULL */
  char       *status;          /* expected ReasonForContact@status, or NULL */
  gboolean    follow_fragments;/* answer GetNextFragment while fragment="next" */
  guint       http_status;     /* answer with this status and no body instead */
  char       *raw_body;        /* answer with this body (200, text/xml) instead */
  WpiMessage *answer;          /* the DLSMessage; its nonce is filled in */
} Step;

typedef struct {
  WpiMessage *message;
  char       *cookie;          /* Cookie header or NULL */
  gsize       length;          /* body bytes */
} Received;

typedef struct {
  SoupServer *server;
  guint       port;
  char       *base_uri;
  GQueue      script;          /* of Step */
  GPtrArray  *received;        /* of Received */
  GHashTable *issued_cookies;  /* "JSESSIONID=..." */
  char       *flow_nonce;
  char       *flow_cookie;
  gboolean    clean_up_everything; /* script empty: answer CleanUp (for the simulator test) */
  GHashTable *files;           /* path -> GBytes */
  guint       n_file_gets;
  guint       poll_status;
  GPtrArray  *poll_ids;
  guint       n_unexpected;
} TestService;

/* Conditions on the phones change without a main-context event of their own: the wait
 * looks at them every few milliseconds too (test_util_wait_until). */
#define wait_until(condition, data, what) \
  test_util_wait_until (condition, data, WAIT_SECONDS * 1000, what)

typedef TestUtilPhoneWatch Watch;

/* Stops the phone and waits for its operations to end */
#define watch_free(watch) test_util_phone_watch_free (watch, WAIT_SECONDS * 1000)

TestService   *service_new        (void);
void           service_free       (TestService *svc);
WpiMessage    *answer_new         (WpiAction action);
Step          *expect             (TestService *svc,
                                   const char  *reason,
                                   const char  *action,
                                   const char  *status,
                                   WpiMessage  *answer);
void           expect_clean_up    (TestService *svc,
                                   const char  *reason,
                                   const char  *action,
                                   const char  *status);
Received      *received_at        (TestService *svc,
                                   guint        position);
Received      *last_received      (TestService *svc,
                                   guint        back);
Watch         *phone_new          (TestService    *svc,
                                   WpiSimFirmware  firmware);
/* Waits until the phone has finished n more flows than now. */
void           wait_flows         (Watch *watch,
                                   guint  n);
gboolean       downloads_finished (gpointer data);
void           start_phone        (TestService *svc,
                                   Watch       *watch);
/* Sends a contact-me request to the phone and checks the guide's answer (p.15): 204, no
 * body, text/html from "DlsClient". */
void           contact_exchange   (SoupMessage *msg);
/* POST (or GET) a contact-me to the phone and check the guide's 204 answer (p.15). */
void           send_contact_me    (TestService *svc,
                                   Watch       *watch,
                                   const char  *method,
                                   gboolean     with_address);
/* Contact-me, then wait for the whole solicited flow the script describes. */
void           contact_and_wait   (TestService *svc,
                                   Watch       *watch,
                                   guint        n_flows);
const char    *item_value         (WpiMessage *message,
                                   const char *name);
const WpiItem *find_item          (WpiMessage *message,
                                   const char *name,
                                   gint64      index);
void           assert_basic_items (Watch      *watch,
                                   WpiMessage *message);

G_END_DECLS
