/* integration-fixture.h: the real service and simulated phones on 127.0.0.1, for the
 * integration tests
 *
 * A WpiService in the test's process (or the headless console as a subprocess) and
 * WpiSimPhones watched as they talk to it; helpers that queue jobs, wait for flows and
 * read the store and the traffic log. test-integration and test-integration-service
 * share it.
 */
#pragma once

#include <libsoup/soup.h>

#include "wpi-codec.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-sim-phone.h"
#include "test-util-service.h"
#include "test-util-sim.h"
#include "test-util-store.h"

G_BEGIN_DECLS

#define WAIT_SECONDS 60
#define BASE_MAC     "00:1A:E8:20:00:01"

typedef struct _Fixture Fixture;

typedef TestUtilPhoneWatch Watch;

struct _Fixture {
  char       *data_dir;
  WpiService *service;       /* in-process service; NULL while the headless one runs */
  WpiStore   *store;         /* the service's store, or the test's own connection to it */
  guint       port;
  char       *service_uri;
  GPtrArray  *watches;       /* of Watch */
  GPtrArray  *log;           /* the service's log lines */

  /* the headless service (kill -9 test) */
  GSubprocess *child;
  gboolean     child_exited;
  guint        secure_port;
  char        *child_log;
  guint        n_runs;
};

/* Iterates the main context (service and phones run there) until the condition holds;
 * conditions on the store change without an event of their own, test_util_wait_until
 * looks at them every few milliseconds too. */
#define wait_until(condition, data, what) \
  test_util_wait_until (condition, data, WAIT_SECONDS * 1000, what)

/* A test of func with a fresh Fixture, at path */
#define INTEGRATION_TEST_ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

/* g_test_init(), and simulated phones that trust any server */
void integration_test_init (int    *argc,
                            char ***argv);

#define job_get(f, id) test_util_store_job_get ((f)->store, id)
#define stored_phone(f, watch) test_util_store_phone_get ((f)->store, mac_of (watch))

void                fixture_set_up             (Fixture       *f,
                                                gconstpointer  data);
void                fixture_tear_down          (Fixture       *f,
                                                gconstpointer  data);
guint               count_log                  (Fixture    *f,
                                                const char *prefix,
                                                const char *mac);
Watch              *phone_add                  (Fixture        *f,
                                                WpiSimFirmware  firmware,
                                                gint64          max_items);
const char         *mac_of                     (Watch *watch);
/* Waits until the phone has finished n more flows than it had when `before` was taken. */
void                wait_flows_since           (Watch *watch,
                                                guint  before,
                                                guint  n);
void                wait_downloads             (Watch *watch,
                                                guint  n);
/* Waits for a successful flow opened with `reason` among the flows from position `from`
 * (failed attempts meanwhile, as while the service is down, do not count). */
void                wait_ok_flow               (Watch      *watch,
                                                const char *reason,
                                                guint       from);
const char         *last_reason                (Watch *watch);
const char         *last_detail                (Watch *watch);
/* Boots the phone and waits for its registration (start-up, ReadAllItems, CleanUp). */
void                phone_register             (Watch *watch);
gint64              enqueue                    (Fixture    *f,
                                                Watch      *watch,
                                                WpiJobKind  kind,
                                                GArray     *items);
/* Waits for the job to be in `state` (or in a final one, which then must be `state`). */
WpiJobRecord       *job_wait                   (Fixture     *f,
                                                gint64       id,
                                                WpiJobState  state);
const WpiStoreItem *job_item                   (WpiJobRecord *job,
                                                const char   *name,
                                                gint64        index);
/* The value the store holds for the phone, or NULL. */
char               *stored                     (Fixture    *f,
                                                Watch      *watch,
                                                const char *name,
                                                gint64      index);
/* The store holds exactly the phone's configuration: what a ReadAllItems returns (every item
 * but the two certificates, R13), each with the phone's value. */
void                assert_store_mirrors_phone (Fixture *f,
                                                Watch   *watch);
/* The phone's traffic, oldest first, without bodies. */
GPtrArray          *traffic                    (Fixture *f,
                                                Watch   *watch);
gboolean            traffic_is                 (WpiTrafficRecord    *record,
                                                WpiTrafficDirection  direction,
                                                const char          *reason_or_action);
/* How many messages of the phone went in (a reason) or out (an action) after message id `after`. */
guint               count_traffic              (Fixture             *f,
                                                Watch               *watch,
                                                gint64               after,
                                                WpiTrafficDirection  direction,
                                                const char          *reason_or_action);
gint64              last_traffic_id            (Fixture *f);
/* The service's messages to the phone with this Action after message id `after`, parsed from
 * the bodies the traffic log kept. */
GPtrArray          *sent_messages              (Fixture    *f,
                                                Watch      *watch,
                                                gint64      after,
                                                const char *action);
void                write_file                 (Fixture    *f,
                                                const char *name,
                                                gsize       size);
char               *file_url                   (Fixture    *f,
                                                const char *name);
gboolean            phone_has_file             (Watch      *watch,
                                                const char *name,
                                                const char *type,
                                                guint64     size);
/* The headless service has exited (kill -9 test) */
gboolean            child_gone                 (gpointer data);

G_END_DECLS
