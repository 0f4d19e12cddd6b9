/* store-fixture.h: a fresh data directory for WpiStore, and SQL behind its back
 *
 * test-store, test-store-traffic and test-store-concurrency share it: each test gets a
 * temporary directory for the store, and reads or changes the database file with a
 * connection of its own, to see what is really on disk.
 */
#pragma once

#include "wpi-store.h"

G_BEGIN_DECLS

#define MAC_A "00:1A:E8:00:00:0A"
#define MAC_B "00:1A:E8:00:00:0B"
#define MAC_C "00:1A:E8:00:00:0C"

typedef struct {
  char *tmp;      /* removed with everything in it */
  char *dir;      /* the store's data directory, inside tmp and not yet created */
} Fixture;

/* A test of func with a fresh Fixture, at /store/path */
#define STORE_TEST_ADD(path, func) \
  g_test_add ("/store/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

void              fixture_setup    (Fixture       *fixture,
                                    gconstpointer  data);
void              fixture_teardown (Fixture       *fixture,
                                    gconstpointer  data);
WpiStore         *open_store       (Fixture *fixture);
void              add_phone        (WpiStore   *store,
                                    const char *mac);
/* An independent connection, to see what is really on disk. */
gint64            raw_int          (const char *path,
                                    const char *sql);
char             *raw_text         (const char *path,
                                    const char *sql);
void              raw_exec         (const char *path,
                                    const char *sql);
gint64            count_rows       (WpiStore   *store,
                                    const char *table);
/* n items named item-000, item-000[1], item-001, ...: every other one an indexed instance
 * of the one before; values value_prefix-0, value_prefix-1, ... */
GArray           *make_items       (guint       n,
                                    const char *value_prefix);
/* The traffic log's message n: its fields vary with n */
WpiTrafficRecord *make_message     (guint n);

G_END_DECLS
