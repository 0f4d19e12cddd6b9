/* wpictl-fixture.h: the built wpictl against a temporary data directory, for its tests
 *
 * Each test seeds a store, runs wpictl as a subprocess and checks its exit status, its
 * output (JSON parsed) and its effect on the store; the end-to-end tests also start the
 * headless service and wpi-sim's phones on loopback. test-wpictl and test-wpictl-service
 * share it.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "wpi-store.h"
#include "test-util-store.h"

G_BEGIN_DECLS

#define MAC_A      "00:1A:E8:12:34:56"
#define MAC_B      "00:1A:E8:AB:CD:EF"
#define MAC_NONE   "00:1A:E8:99:99:99"
#define SECRET     "s3cret-Pa55"
/* how long a test waits for wpictl or the store before it fails */
#define TEST_TIMEOUT_MS 20000

typedef struct {
  char      *tmp;         /* removed with everything in it */
  char      *data_dir;    /* tmp/data: the store */
  char      *xdg_data;    /* tmp/xdg: XDG_DATA_HOME of the subprocesses */
  WpiStore  *store;
  char      *out;         /* stdout and stderr of the last wpictl run */
  char      *err;
  JsonNode  *json;        /* out parsed, once asked for (ctl_json) */
  GPtrArray *json_lines;  /* out parsed line by line, once asked for (ctl_json_lines) */
} Fixture;

/* A test of func with a fresh Fixture, at /wpictl/path */
#define WPICTL_TEST_ADD(path, func) \
  g_test_add ("/wpictl/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

/* The built programs, found by wpictl_fixture_init() */
extern char *wpictl_path;
extern char *console_path;
extern char *sim_path;

#define get_job(fixture, id) test_util_store_job_get ((fixture)->store, id)
/* Waits for check() to hold (never a fixed sleep); fails the test after TEST_TIMEOUT_MS. */
#define wait_until(check, data, what) test_util_wait_until (check, data, TEST_TIMEOUT_MS, what)

/* What the end-to-end tests wait for, as the service writes it to its store */
typedef struct {
  WpiStore *store;
  guint     n_phones;
} PhonesWait;

/* The headless service and wpi-sim's phones, as the end-to-end tests run them */
typedef struct {
  char        *service_dir;
  char        *service_log;
  char        *sim_log;
  GSubprocess *service;
  GSubprocess *sim;
  WpiStore    *store;   /* the service's */
  guint        port;
  const char  *bind_prefix; /* set before the start: the phones listen on their own
                             * addresses under it and await a contact-me (a sweep's) */
} EndToEnd;

/* g_test_init(), then the paths of the built wpictl (which must exist), console and
 * wpi-sim; wpictl_fixture_cleanup() frees them */
void                 wpictl_fixture_init    (int    *argc,
                                             char ***argv);
void                 wpictl_fixture_cleanup (void);

void                 add_phone         (WpiStore   *store,
                                        const char *mac,
                                        const char *ip);
void                 fixture_setup     (Fixture       *fixture,
                                        gconstpointer  data);
void                 fixture_teardown  (Fixture       *fixture,
                                        gconstpointer  data);
/* name in the test's temporary directory */
char                *tmp_path          (Fixture    *fixture,
                                        const char *name);
/* name in the data directory (the store's) */
char                *data_path         (Fixture    *fixture,
                                        const char *name);
/* name with contents in the test's temporary directory; its path */
char                *write_source_file (Fixture    *fixture,
                                        const char *name,
                                        const char *contents);
GSubprocessLauncher *new_launcher      (Fixture *fixture);
/* argv: wpictl, --data-dir D unless data_dir is NULL, then the NULL-terminated args */
GSubprocess         *spawn_ctlv        (Fixture             *fixture,
                                        GSubprocessLauncher *launcher,
                                        const char          *data_dir,
                                        const char * const  *args);
/* wpictl --data-dir DATA ARGS..., left running */
GSubprocess         *spawn_ctl         (Fixture            *fixture,
                                        const char * const *args);
/* Waits for wpictl to exit, keeps its output in fixture->out and fixture->err (replacing
 * the last run's) and returns its exit status. */
int                  finish_ctl        (Fixture     *fixture,
                                        GSubprocess *process);
/* Runs wpictl --data-dir DATA ARGS... as finish_ctl() ends it. */
int                  run_ctl           (Fixture *fixture,
                                        ...);
/* An error is one line "wpictl: ..." on stderr */
void                 assert_error_line (const char *err,
                                        const char *expected_part);
/* Runs wpictl --data-dir DATA ARGS... and checks that it ends with status and the one
 * error line that holds expected_part. */
void                 assert_ctl_error  (Fixture    *fixture,
                                        int         status,
                                        const char *expected_part,
                                        ...);
void                 assert_contains   (const char *text,
                                        const char *part);
/* The last run's stdout as JSON, parsed once and kept until the next run */
JsonNode            *ctl_json          (Fixture *fixture);
JsonArray           *ctl_json_array    (Fixture *fixture);
JsonObject          *ctl_json_object   (Fixture *fixture);
/* Lines of JSON objects */
GPtrArray           *parse_json_lines  (const char *text);
/* The last run's stdout as lines of JSON objects, parsed once and kept until the next run */
GPtrArray           *ctl_json_lines    (Fixture *fixture);
gint64               parse_job_id      (const char *out);
guint                count_jobs        (Fixture *fixture);
/* Queues a job as the console would; its id */
gint64               enqueue_job       (Fixture            *fixture,
                                        const char         *mac,
                                        WpiJobKind          kind,
                                        const WpiStoreItem *items,
                                        guint               n_items);
const WpiStoreItem  *job_item          (const WpiJobRecord *job,
                                        guint               position);
/* Moves the job on as the service would (reason NULL but for a failure) */
void                 set_job_state     (Fixture     *fixture,
                                        gint64       id,
                                        WpiJobState  state,
                                        const char  *reason);
/* The job whose id wpictl printed: of kind, with the names and values in expected
 * (name, value, ..., NULL) as its items, in order */
void                 assert_queued_job (Fixture            *fixture,
                                        WpiJobKind          kind,
                                        const char * const *expected);
/* The id of the job wpictl queues, once it is newer than after_id. */
gint64               wait_for_new_job  (Fixture *fixture,
                                        gint64   after_id);

/* The phones, once all n_phones are in the store; NULL before */
GPtrArray           *poll_phones       (PhonesWait *wait);
/* Starts the headless service on free loopback ports (XDG_DATA_HOME the fixture's, its
 * log in a file), then wpi-sim with n_phones V3R3 phones that answer contact-mes on
 * their own ports and sim_args (NULL-terminated, or NULL); returns once every phone has
 * registered. */
void                 end_to_end_start  (EndToEnd           *e2e,
                                        Fixture            *fixture,
                                        guint               n_phones,
                                        const char * const *sim_args);
/* Stops both, each of which must end cleanly */
void                 end_to_end_stop   (EndToEnd *e2e);

G_END_DECLS
