/* test-util-store.h: a WpiStore in a temporary directory, as a GTest fixture. */
#pragma once

#include "wpi-store.h"
#include "test-util.h"

G_BEGIN_DECLS

typedef struct {
  char     *tmp;     /* the temporary directory, removed with everything in it */
  char     *dir;     /* tmp/store, the store's directory */
  WpiStore *store;   /* open on dir */
} TestUtilStore;

/* Opens the store in dir, failing the test when it cannot. */
WpiStore *test_util_store_open     (const char    *dir);
/* A fixture's setup and teardown (g_test_add with TestUtilStore or a struct that starts
 * with one): a new temporary directory named after the test program, the store open in it. */
void      test_util_store_setup    (TestUtilStore *fixture,
                                    gconstpointer  data);
void      test_util_store_teardown (TestUtilStore *fixture,
                                    gconstpointer  data);

/* The job id and the phone mac as the store holds them, failing the test on an error
 * or when there is none. */
WpiJobRecord   *test_util_store_job_get   (WpiStore   *store,
                                           gint64      id);
WpiPhoneRecord *test_util_store_phone_get (WpiStore   *store,
                                           const char *mac);
/* Adds (or updates) the phone mac with e164 and the IP address 127.0.0.1, its stored
 * items replaced by items, failing the test on an error. */
void            test_util_store_add_phone (WpiStore           *store,
                                           const char         *mac,
                                           const char         *e164,
                                           const WpiStoreItem *items,
                                           gsize               n_items);

/* Phones to compare and copy settings between (wpi-config-diff.h): A (e164 100) and C
 * (300) have the same settings, sip-transport-user 1 (TCP), admin-pwd "secret-1",
 * key-label-unicode[1] "One", configuration-changed-flag true (read-only); B (200) has
 * sip-transport-user 0, admin-pwd "secret-2", no key label and the flag false. The
 * profile "office" sets key-label-unicode[1] to "Line {e164}". */
#define TEST_UTIL_CONFIG_MAC_A   "00:1A:E8:00:00:0A"
#define TEST_UTIL_CONFIG_MAC_B   "00:1A:E8:00:00:0B"
#define TEST_UTIL_CONFIG_MAC_C   "00:1A:E8:00:00:0C"
#define TEST_UTIL_CONFIG_PROFILE "office"
void            test_util_store_seed_configs (WpiStore        *store);

/* Message i of a made-up traffic log, the rest left to the test: logged at
 * 1,700,000,000 s plus i steps of step_us, phone to service (in) for even i, service to
 * phone (out) for odd i, on the Default Mode port 18443. */
WpiTrafficRecord *test_util_traffic_record_new (guint i,
                                                gint64 step_us);

/* Record i of a test's made-up traffic log */
typedef WpiTrafficRecord *(*TestUtilRecordFunc) (guint i);

/* Appends make_record (i) for i from first to first + n - 1, in transactions of at most
 * 10,000 messages, failing the test on any error. */
void      test_util_store_fill     (WpiStore           *store,
                                    TestUtilRecordFunc  make_record,
                                    guint               first,
                                    guint               n);

G_END_DECLS
