/* test-store.c: WpiStore, the SQLite store of the provisioning service
 *
 * Opening and migrations, settings, phones and their items, jobs, profiles and PINs; the
 * traffic log and phone events are in test-store-traffic.c, two connections and a writer
 * killed mid-commit in test-store-concurrency.c (store-fixture.c: the shared fixture).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wpi-store.h"
#include "test-util.h"
#include "test-util-store.h"
#include "store-fixture.h"

/* ---- MAC and enumerations ---- */

static void
test_enum_strings (void)
{
  WpiJobKind kind;
  WpiJobState state;
  WpiPinState pin_state;
  WpiPhoneState phone_state;
  WpiPhoneMode mode;
  WpiTrafficDirection direction;

  for (int i = WPI_JOB_KIND_READ_ALL; i <= WPI_JOB_KIND_BOOTSTRAP; i++)
    {
      g_assert_true (wpi_job_kind_from_string (wpi_job_kind_to_string (i), &kind));
      g_assert_cmpint (kind, ==, i);
    }
  g_assert_cmpstr (wpi_job_kind_to_string (WPI_JOB_KIND_SOFTWARE_DEPLOYMENT), ==, "software-deployment");
  g_assert_null (wpi_job_kind_to_string (99));
  g_assert_null (wpi_job_kind_to_string (-1));
  g_assert_false (wpi_job_kind_from_string ("Read-All", &kind));
  g_assert_false (wpi_job_kind_from_string (NULL, &kind));

  g_assert_true (wpi_job_state_from_string ("waiting-busy", &state));
  g_assert_cmpint (state, ==, WPI_JOB_STATE_WAITING_BUSY);
  g_assert_true (wpi_job_state_is_final (WPI_JOB_STATE_CANCELLED));
  g_assert_true (wpi_job_state_from_string ("done-with-problems", &state));
  g_assert_cmpint (state, ==, WPI_JOB_STATE_DONE_WITH_PROBLEMS);
  g_assert_true (wpi_job_state_is_final (WPI_JOB_STATE_DONE_WITH_PROBLEMS));
  g_assert_false (wpi_job_state_is_final (WPI_JOB_STATE_IN_PROGRESS));
  g_assert_true (wpi_pin_state_from_string ("re-issued", &pin_state));
  g_assert_cmpint (pin_state, ==, WPI_PIN_STATE_REISSUED);
  g_assert_true (wpi_phone_state_from_string ("in-session", &phone_state));
  g_assert_cmpint (phone_state, ==, WPI_PHONE_STATE_IN_SESSION);
  g_assert_true (wpi_phone_mode_from_string ("secure", &mode));
  g_assert_cmpint (mode, ==, WPI_PHONE_MODE_SECURE);
  g_assert_true (wpi_traffic_direction_from_string ("out", &direction));
  g_assert_cmpint (direction, ==, WPI_TRAFFIC_DIRECTION_OUT);
  g_assert_false (wpi_traffic_direction_from_string ("sideways", &direction));
}

/* ---- opening and migrations ---- */

static void
test_open_creates_private_store (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autofree char *journal = NULL;
  struct stat st;

  g_assert_cmpint (g_stat (fixture->dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  g_assert_cmpint (g_stat (wpi_store_get_path (store), &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_str_has_suffix (wpi_store_get_path (store), "/" WPI_STORE_DB_NAME));
  g_assert_cmpstr (wpi_store_get_data_dir (store), ==, fixture->dir);

  g_assert_cmpint (wpi_store_get_schema_version (store), ==, WPI_STORE_SCHEMA_VERSION);
  g_assert_cmpint (raw_int (wpi_store_get_path (store), "PRAGMA user_version"), ==,
                   WPI_STORE_SCHEMA_VERSION);
  journal = raw_text (wpi_store_get_path (store), "PRAGMA journal_mode");
  g_assert_cmpstr (journal, ==, "wal");
}

static void
test_open_twice_keeps_version (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  gint64 tables;

  {
    g_autoptr(WpiStore) store = open_store (fixture);

    path = g_strdup (wpi_store_get_path (store));
    add_phone (store, MAC_A);
    g_assert_true (wpi_store_setting_set (store, "marker", "kept", &error));
    g_assert_no_error (error);
  }
  tables = raw_int (path, "SELECT count(*) FROM sqlite_schema");

  for (int round = 0; round < 2; round++)
    {
      g_autoptr(WpiStore) store = open_store (fixture);
      g_autoptr(WpiPhoneRecord) phone = NULL;
      g_autofree char *marker = NULL;

      g_assert_cmpint (wpi_store_get_schema_version (store), ==, WPI_STORE_SCHEMA_VERSION);
      g_assert_cmpint (raw_int (path, "PRAGMA user_version"), ==, WPI_STORE_SCHEMA_VERSION);
      /* no migration ran again: the schema is exactly as it was */
      g_assert_cmpint (raw_int (path, "SELECT count(*) FROM sqlite_schema"), ==, tables);
      phone = wpi_store_phone_get (store, MAC_A, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (phone->mac, ==, MAC_A);
      marker = wpi_store_setting_get (store, "marker", &error);
      g_assert_no_error (error);
      g_assert_cmpstr (marker, ==, "kept");
      g_assert_true (wpi_store_check_integrity (store, &error));
      g_assert_no_error (error);
    }
}

/* A store of schema version 1 (no phone_events, the job states of then) is migrated:
 * the jobs table is built anew, and nothing that refers to it loses its rows. */
static void
test_open_migrates_version_1 (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(WpiJobRecord) read = NULL;
  g_autoptr(WpiStore) store = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPinRecord) pin = NULL;
  WpiStoreItem items[] = { { .name = "e164" }, { .name = "software-version" } };
  gint64 read_id = 0, bootstrap_id = 0, deleted_id = 0, pin_id = 0, later_id = 0;

  {
    g_autoptr(WpiStore) old = open_store (fixture);

    path = g_strdup (wpi_store_get_path (old));
    add_phone (old, MAC_A);
    g_assert_true (wpi_store_job_enqueue (old, MAC_A, WPI_JOB_KIND_READ_ITEMS, NULL, items,
                                          G_N_ELEMENTS (items), &read_id, &error));
    g_assert_true (wpi_store_job_enqueue (old, MAC_A, WPI_JOB_KIND_BOOTSTRAP, "pin", NULL, 0,
                                          &bootstrap_id, &error));
    g_assert_true (wpi_store_pin_create (old, MAC_A, "123456789012", 3, bootstrap_id, &pin_id, &error));
    g_assert_true (wpi_store_job_enqueue (old, MAC_A, WPI_JOB_KIND_RESTART, NULL, NULL, 0,
                                          &deleted_id, &error));
    g_assert_no_error (error);
  }
  raw_exec (path, "PRAGMA foreign_keys = OFF; DELETE FROM jobs WHERE state = 'queued' AND kind = 'restart';"
                  "DROP TABLE phone_events; ALTER TABLE traffic DROP COLUMN items;"
                  "DROP TABLE phone_import_items; DROP TABLE phone_imports; PRAGMA user_version = 1;");

  store = open_store (fixture);
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), ==, WPI_STORE_SCHEMA_VERSION);
  read = wpi_store_job_get (store, read_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read->items->len, ==, G_N_ELEMENTS (items));
  pin = wpi_store_pin_get (store, pin_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pin->job_id, ==, bootstrap_id);
  /* AUTOINCREMENT still never reuses the deleted job's id */
  g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_READ_ALL, NULL, NULL, 0, &later_id, &error));
  g_assert_cmpint (later_id, >, deleted_id);
  g_assert_true (wpi_store_job_set_state (store, read_id, WPI_JOB_STATE_DONE_WITH_PROBLEMS, NULL, &error));
  g_assert_true (wpi_store_phone_event_add (store, MAC_A, 1, "logon", "4989700200", NULL, &error));
  g_assert_true (wpi_store_check_integrity (store, &error));
  g_assert_no_error (error);
  /* foreign keys are on again for the store's own work */
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM jobs"), ==, 3);
  g_assert_true (wpi_store_phone_delete (store, MAC_A, &error));
  g_assert_cmpint (count_rows (store, "jobs"), ==, 0);
  g_assert_cmpint (count_rows (store, "phone_events"), ==, 0);
}

/* A traffic log of schema version 2 (D28): no item index, and the phone's messages
 * without their flow. The migration gives each the flow of the console's answer, the
 * next message to that phone, when it came back to the same address with its nonce. */
static void
test_open_migrates_version_2 (Fixture       *fixture,
                              gconstpointer  data)
{
  static const struct {
    WpiTrafficDirection  direction;
    const char          *mac;
    const char          *nonce;
    const char          *peer;
    const char          *flow;       /* of the console's messages, as logged */
    const char          *error;
    const char          *expected;   /* after the migration */
  } log[] = {
    { WPI_TRAFFIC_DIRECTION_IN, MAC_A, "N1", "127.0.0.1:4000", NULL, NULL, "F1" },
    { WPI_TRAFFIC_DIRECTION_OUT, MAC_A, "N1", "127.0.0.1:4000", "F1", NULL, "F1" },
    { WPI_TRAFFIC_DIRECTION_IN, MAC_A, "N2", "127.0.0.1:4000", NULL, NULL, "F1" },
    { WPI_TRAFFIC_DIRECTION_IN, MAC_B, "M1", "127.0.0.2:4000", NULL, "refused", NULL },
    { WPI_TRAFFIC_DIRECTION_OUT, MAC_A, "N2", "127.0.0.1:4000", "F1", NULL, "F1" },
    /* answered by nothing: the next message to the phone answers another nonce */
    { WPI_TRAFFIC_DIRECTION_IN, MAC_A, "N3", "127.0.0.1:4000", NULL, NULL, NULL },
    { WPI_TRAFFIC_DIRECTION_IN, MAC_A, "N4", "127.0.0.1:4001", NULL, NULL, NULL },
    { WPI_TRAFFIC_DIRECTION_OUT, MAC_A, "N4", "127.0.0.1:4002", "F2", NULL, "F2" },
    { WPI_TRAFFIC_DIRECTION_IN, MAC_B, "M2", "127.0.0.2:4000", NULL, NULL, NULL },
  };
  g_autoptr(WpiStore) store = NULL;
  g_autoptr(GPtrArray) range = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(WpiStore) old = open_store (fixture);

    path = g_strdup (wpi_store_get_path (old));
    for (guint i = 0; i < G_N_ELEMENTS (log); i++)
      {
        g_autoptr(WpiTrafficRecord) record = test_util_traffic_record_new (i, 1000);

        record->direction = log[i].direction;
        record->mac = g_strdup (log[i].mac);
        record->nonce = g_strdup (log[i].nonce);
        record->peer = g_strdup (log[i].peer);
        /* as logged before D28: the console's messages alone had their flow */
        if (log[i].direction == WPI_TRAFFIC_DIRECTION_OUT)
          record->flow_id = g_strdup (log[i].flow);
        record->error_text = g_strdup (log[i].error);
        g_assert_true (wpi_store_traffic_append (old, record, NULL, &error));
        g_assert_no_error (error);
      }
  }
  raw_exec (path, "ALTER TABLE traffic DROP COLUMN items; DROP TABLE phone_import_items; DROP TABLE phone_imports;"
                  "PRAGMA user_version = 2;");

  store = open_store (fixture);
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), ==, WPI_STORE_SCHEMA_VERSION);
  range = wpi_store_traffic_get_range (store, 0, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (range->len, ==, G_N_ELEMENTS (log));
  for (guint i = 0; i < G_N_ELEMENTS (log); i++)
    {
      const WpiTrafficRecord *record = g_ptr_array_index (range, i);

      g_test_message ("message %u", i);
      g_assert_cmpstr (record->flow_id, ==, log[i].expected);
      g_assert_cmpstr (record->nonce, ==, log[i].nonce);
    }
  /* the old messages have no index; new ones may */
  g_assert_cmpint (raw_int (path, "SELECT count(*) FROM traffic WHERE items IS NOT NULL"), ==, 0);
}

static void
test_open_refuses_newer_schema (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(WpiStore) again = NULL;

  {
    g_autoptr(WpiStore) store = open_store (fixture);

    path = g_strdup (wpi_store_get_path (store));
  }
  raw_exec (path, "PRAGMA user_version = 99");

  again = wpi_store_open (fixture->dir, &error);
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_TOO_NEW);
  g_assert_null (again);
  /* and it left the newer store alone */
  g_assert_cmpint (raw_int (path, "PRAGMA user_version"), ==, 99);
}

static void
test_open_refuses_junk (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (fixture->dir, WPI_STORE_DB_NAME, NULL);
  g_autofree char *junk = g_strnfill (8192, 'x');
  g_autoptr(WpiStore) store = NULL;

  g_assert_cmpint (g_mkdir_with_parents (fixture->dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, junk, -1, &error));
  store = wpi_store_open (fixture->dir, &error);
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_CORRUPT);
  g_assert_null (store);
}

static gpointer
open_in_thread (gpointer data)
{
  const char *dir = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (dir, &error);

  g_assert_no_error (error);
  return GINT_TO_POINTER (wpi_store_get_schema_version (store));
}

/* SQLite's shared lock on a database (its unix VFS: 510 bytes from PENDING_BYTE + 2), as
 * another process sees it: a connection holds it while open in WAL mode, and a process
 * closing what it takes for the last connection checkpoints and deletes the WAL. */
#define SQLITE_SHARED_FIRST (0x40000000 + 2)
#define SQLITE_SHARED_SIZE  510

static gboolean
other_process_sees_shared_lock (const char *path)
{
  int status = 0;
  pid_t pid = fork ();

  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      /* only async-signal-safe calls in the child of a threaded process */
      struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                            .l_start = SQLITE_SHARED_FIRST, .l_len = SQLITE_SHARED_SIZE };
      int fd = open (path, O_RDWR | O_CLOEXEC);

      if (fd < 0 || fcntl (fd, F_GETLK, &lock) != 0)
        _exit (2);
      _exit (lock.l_type == F_UNLCK ? 1 : 0);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), !=, 2);
  return WEXITSTATUS (status) == 0;
}

/* Opening another connection in the same process must not drop the locks of the ones open
 * (a descriptor of the database closed outside SQLite drops them all) */
static void
test_open_keeps_locks (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *path = g_build_filename (fixture->dir, WPI_STORE_DB_NAME, NULL);
  g_autoptr(WpiStore) first = NULL;
  g_autoptr(GError) error = NULL;

  first = wpi_store_open (fixture->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (wpi_store_traffic_count (first, NULL), ==, 0);
  g_assert_true (other_process_sees_shared_lock (path));

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(WpiStore) another = wpi_store_open (fixture->dir, &error);

      g_assert_no_error (error);
      g_assert_cmpint (wpi_store_traffic_count (another, NULL), ==, 0);
    }
  g_assert_true (other_process_sees_shared_lock (path));
}

static void
test_open_concurrently (Fixture       *fixture,
                        gconstpointer  data)
{
  GThread *threads[6];

  /* several first opens racing to create and migrate the same fresh store */
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("opener", open_in_thread, fixture->dir);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_assert_cmpint (GPOINTER_TO_INT (g_thread_join (threads[i])), ==, WPI_STORE_SCHEMA_VERSION);
}

/* ---- settings and transactions ---- */

static void
test_settings (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  gint64 number = 0;

  value = wpi_store_setting_get (store, "absent", &error);
  g_assert_no_error (error);
  g_assert_null (value);

  g_assert_true (wpi_store_setting_get_int (store, "n", 42, &number, &error));
  g_assert_cmpint (number, ==, 42);
  g_assert_true (wpi_store_setting_set_int (store, "n", -7, &error));
  g_assert_true (wpi_store_setting_get_int (store, "n", 42, &number, &error));
  g_assert_cmpint (number, ==, -7);

  g_assert_true (wpi_store_setting_set (store, "n", "seven", &error));
  g_assert_false (wpi_store_setting_get_int (store, "n", 42, &number, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_true (wpi_store_setting_set (store, "n", NULL, &error));
  value = wpi_store_setting_get (store, "n", &error);
  g_assert_no_error (error);
  g_assert_null (value);

  g_assert_false (wpi_store_setting_set (store, "", "x", &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
}

static gboolean
add_two_phones_then_fail (WpiStore  *store,
                          gpointer   user_data,
                          GError   **error)
{
  add_phone (store, MAC_B);
  add_phone (store, MAC_C);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "changed my mind");
  return FALSE;
}

static gboolean
add_two_phones (WpiStore  *store,
                gpointer   user_data,
                GError   **error)
{
  add_phone (store, MAC_B);
  add_phone (store, MAC_C);
  return TRUE;
}

static void
test_transactions (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  WpiStoreItem items[] = { { .name = "display-name", .value = "x" } };
  gint64 job_id = 0;

  g_assert_false (wpi_store_in_transaction (store));

  /* a rollback takes everything back */
  g_assert_true (wpi_store_transaction_begin (store, &error));
  g_assert_true (wpi_store_in_transaction (store));
  add_phone (store, MAC_A);
  wpi_store_transaction_rollback (store);
  g_assert_false (wpi_store_in_transaction (store));
  g_assert_cmpint (count_rows (store, "phones"), ==, 0);

  /* nothing is visible to others before the outermost commit */
  g_assert_true (wpi_store_transaction_begin (store, &error));
  add_phone (store, MAC_A);
  g_assert_true (wpi_store_transaction_begin (store, &error));
  g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL,
                                        items, 1, &job_id, &error));
  g_assert_true (wpi_store_transaction_commit (store, &error));
  g_assert_cmpint (count_rows (store, "phones"), ==, 0);

  /* a failing call inside the transaction undoes only itself */
  g_assert_false (wpi_store_job_enqueue (store, MAC_B, WPI_JOB_KIND_WRITE_ITEMS, NULL,
                                         items, 1, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (wpi_store_transaction_commit (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (store, "phones"), ==, 1);
  g_assert_cmpint (count_rows (store, "jobs"), ==, 1);
  g_assert_cmpint (count_rows (store, "job_items"), ==, 1);

  /* the callback form */
  g_assert_false (wpi_store_run_in_transaction (store, add_two_phones_then_fail, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (store, "phones"), ==, 1);
  g_assert_true (wpi_store_run_in_transaction (store, add_two_phones, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (store, "phones"), ==, 3);
  g_assert_false (wpi_store_in_transaction (store));
}

/* ---- phones ---- */

static void
test_phones (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GPtrArray) phones = NULL;
  WpiPhoneRecord input = {
    .mac = (char *) "00-1a-e8-00-00-0b",
    .e164 = (char *) "+4989700712",
    .device_type = (char *) "OpenStage 60",
    .firmware = (char *) "V3 R5.2.0",
    .ip = (char *) "192.0.2.10",
    .contact_me_uri = (char *) "http://192.0.2.10:8085/contact_dls.html/ContactDLS",
    .mode = WPI_PHONE_MODE_SECURE,
    .state = WPI_PHONE_STATE_IDLE,
    .last_contact_us = 1700000000000000,
    .location = (char *) "Room 4.12",
  };
  gboolean created = FALSE;

  g_assert_true (wpi_store_phone_upsert (store, &input, WPI_PHONE_FIELD_ALL & ~WPI_PHONE_FIELD_PROFILE,
                                         &created, &error));
  g_assert_no_error (error);
  g_assert_true (created);

  phone = wpi_store_phone_get (store, "001ae800000b", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (phone->mac, ==, MAC_B);
  g_assert_cmpstr (phone->e164, ==, "+4989700712");
  g_assert_cmpstr (phone->device_type, ==, "OpenStage 60");
  g_assert_cmpstr (phone->firmware, ==, "V3 R5.2.0");
  g_assert_cmpstr (phone->ip, ==, "192.0.2.10");
  g_assert_cmpstr (phone->contact_me_uri, ==, "http://192.0.2.10:8085/contact_dls.html/ContactDLS");
  g_assert_cmpint (phone->mode, ==, WPI_PHONE_MODE_SECURE);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_IDLE);
  g_assert_cmpint (phone->last_contact_us, ==, 1700000000000000);
  g_assert_cmpstr (phone->location, ==, "Room 4.12");
  g_assert_null (phone->profile);
  g_assert_cmpint (phone->created_us, >, 0);
  g_clear_pointer (&phone, wpi_phone_record_free);

  /* a partial update touches only its fields */
  {
    WpiPhoneRecord update = {
      .mac = (char *) MAC_B,
      .ip = (char *) "192.0.2.11",
      .e164 = (char *) "ignored",
      .state = WPI_PHONE_STATE_BUSY,
    };

    g_assert_true (wpi_store_phone_upsert (store, &update,
                                           WPI_PHONE_FIELD_IP | WPI_PHONE_FIELD_STATE,
                                           &created, &error));
    g_assert_false (created);
  }
  phone = wpi_store_phone_get (store, MAC_B, &error);
  g_assert_cmpstr (phone->ip, ==, "192.0.2.11");
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_BUSY);
  g_assert_cmpstr (phone->e164, ==, "+4989700712");
  g_assert_cmpint (phone->mode, ==, WPI_PHONE_MODE_SECURE);
  g_assert_cmpstr (phone->location, ==, "Room 4.12");
  g_clear_pointer (&phone, wpi_phone_record_free);

  /* a new phone with no fields gets the defaults */
  add_phone (store, MAC_A);
  phone = wpi_store_phone_get (store, MAC_A, &error);
  g_assert_cmpint (phone->mode, ==, WPI_PHONE_MODE_DEFAULT);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_UNKNOWN);
  g_assert_cmpint (phone->last_contact_us, ==, 0);
  g_assert_null (phone->e164);
  g_clear_pointer (&phone, wpi_phone_record_free);

  g_assert_true (wpi_store_phone_set_state (store, "00:1a:e8:00:00:0a", WPI_PHONE_STATE_UNREACHABLE, &error));
  phone = wpi_store_phone_get (store, MAC_A, &error);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_UNREACHABLE);
  g_clear_pointer (&phone, wpi_phone_record_free);

  phones = wpi_store_phone_list (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (phones->len, ==, 2);
  g_assert_cmpstr (((WpiPhoneRecord *) phones->pdata[0])->mac, ==, MAC_A);
  g_assert_cmpstr (((WpiPhoneRecord *) phones->pdata[1])->mac, ==, MAC_B);

  /* bad input: an error and no change */
  {
    WpiPhoneRecord bad = { .mac = (char *) MAC_A, .mode = 7, .e164 = (char *) "x" };

    g_assert_false (wpi_store_phone_upsert (store, &bad, WPI_PHONE_FIELD_MODE | WPI_PHONE_FIELD_E164,
                                            NULL, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
    bad.mode = WPI_PHONE_MODE_DEFAULT;
    bad.state = -1;
    g_assert_false (wpi_store_phone_upsert (store, &bad, WPI_PHONE_FIELD_STATE, NULL, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
    bad.mac = (char *) "not-a-mac";
    g_assert_false (wpi_store_phone_upsert (store, &bad, WPI_PHONE_FIELD_E164, NULL, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
    bad.mac = (char *) MAC_A;
    bad.profile = (char *) "no such profile";
    g_assert_false (wpi_store_phone_upsert (store, &bad, WPI_PHONE_FIELD_PROFILE | WPI_PHONE_FIELD_E164,
                                            NULL, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_false (wpi_store_phone_set_state (store, MAC_A, 42, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
  }
  phone = wpi_store_phone_get (store, MAC_A, &error);
  g_assert_null (phone->e164);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_UNREACHABLE);
  g_clear_pointer (&phone, wpi_phone_record_free);

  g_assert_false (wpi_store_phone_set_state (store, MAC_C, WPI_PHONE_STATE_IDLE, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (wpi_store_phone_get (store, MAC_C, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* deleting takes its items and jobs along */
  {
    WpiStoreItem items[] = { { .name = "e164", .value = "1" } };

    g_assert_true (wpi_store_phone_items_replace (store, MAC_A, items, 1, 1, 0, &error));
    g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_READ_ALL, NULL, NULL, 0, NULL, &error));
    g_assert_true (wpi_store_pin_create (store, MAC_A, "123456789012", 3, 0, NULL, &error));
    g_assert_no_error (error);
  }
  g_assert_true (wpi_store_phone_delete (store, MAC_A, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (store, "phones"), ==, 1);
  g_assert_cmpint (count_rows (store, "phone_items"), ==, 0);
  g_assert_cmpint (count_rows (store, "jobs"), ==, 0);
  g_assert_cmpint (count_rows (store, "pins"), ==, 0);
  g_assert_false (wpi_store_phone_delete (store, MAC_A, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
}

/* ---- phone items ---- */

static void
test_items_replace_and_update (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) first = make_items (500, "a");
  g_autoptr(GArray) second = make_items (300, "b");
  g_autoptr(GArray) listed = NULL;
  g_autoptr(WpiStoreItem) item = NULL;

  add_phone (store, MAC_A);
  add_phone (store, MAC_B);

  g_assert_true (wpi_store_phone_items_replace (store, MAC_A, (WpiStoreItem *) first->data, first->len,
                                                1000, 17, &error));
  g_assert_no_error (error);
  g_assert_true (wpi_store_phone_items_replace (store, MAC_B, (WpiStoreItem *) second->data,
                                                second->len, 1000, 18, &error));
  listed = wpi_store_phone_items_list (store, MAC_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, 500);
  /* by name, the unindexed instance first */
  g_assert_cmpstr (g_array_index (listed, WpiStoreItem, 0).name, ==, "item-000");
  g_assert_false (g_array_index (listed, WpiStoreItem, 0).has_index);
  g_assert_cmpstr (g_array_index (listed, WpiStoreItem, 0).value, ==, "a-0");
  g_assert_true (g_array_index (listed, WpiStoreItem, 1).has_index);
  g_assert_cmpint (g_array_index (listed, WpiStoreItem, 1).index, ==, 1);
  g_assert_cmpstr (g_array_index (listed, WpiStoreItem, 1).value, ==, "a-1");
  g_assert_cmpint (g_array_index (listed, WpiStoreItem, 1).updated_us, ==, 1000);
  g_assert_cmpint (g_array_index (listed, WpiStoreItem, 1).traffic_id, ==, 17);
  g_clear_pointer (&listed, g_array_unref);

  /* partial update: only the given items change */
  {
    WpiStoreItem changes[] = {
      { .name = "item-010", .value = "changed" },
      { .name = "item-010", .has_index = TRUE, .index = 21, .value = "changed too" },
      { .name = "brand-new", .value = "new" },
      { .name = "brand-new", .value = "newer" }, /* a later duplicate wins */
    };

    g_assert_true (wpi_store_phone_items_update (store, MAC_A, changes, G_N_ELEMENTS (changes),
                                                 2000, 0, &error));
    g_assert_no_error (error);
  }
  item = wpi_store_phone_item_get (store, MAC_A, "item-010", FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (item->value, ==, "changed");
  g_assert_cmpint (item->updated_us, ==, 2000);
  g_assert_cmpint (item->traffic_id, ==, 0);
  g_clear_pointer (&item, wpi_store_item_free);
  item = wpi_store_phone_item_get (store, MAC_A, "item-010", TRUE, 21, &error);
  g_assert_cmpstr (item->value, ==, "changed too");
  g_clear_pointer (&item, wpi_store_item_free);
  item = wpi_store_phone_item_get (store, MAC_A, "brand-new", FALSE, 0, &error);
  g_assert_cmpstr (item->value, ==, "newer");
  g_clear_pointer (&item, wpi_store_item_free);
  item = wpi_store_phone_item_get (store, MAC_A, "item-011", FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (item->value, ==, "a-22");
  g_assert_cmpint (item->updated_us, ==, 1000);
  g_clear_pointer (&item, wpi_store_item_free);
  listed = wpi_store_phone_items_list (store, MAC_A, &error);
  g_assert_cmpuint (listed->len, ==, 501);
  g_clear_pointer (&listed, g_array_unref);

  /* replace-all drops what the new set lacks */
  g_assert_true (wpi_store_phone_items_replace (store, MAC_A, (WpiStoreItem *) second->data,
                                                second->len, 3000, 19, &error));
  listed = wpi_store_phone_items_list (store, MAC_A, &error);
  g_assert_cmpuint (listed->len, ==, 300);
  g_clear_pointer (&listed, g_array_unref);
  g_assert_null (wpi_store_phone_item_get (store, MAC_A, "brand-new", FALSE, 0, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* the other phone's items are its own */
  listed = wpi_store_phone_items_list (store, MAC_B, &error);
  g_assert_cmpuint (listed->len, ==, 300);
  g_assert_cmpint (g_array_index (listed, WpiStoreItem, 0).traffic_id, ==, 18);
  g_clear_pointer (&listed, g_array_unref);

  /* bad input anywhere in the set: an error and the old values intact */
  {
    g_autoptr(GArray) bad = make_items (500, "c");

    g_free (g_array_index (bad, WpiStoreItem, 250).name);
    g_array_index (bad, WpiStoreItem, 250).name = g_strdup ("");
    g_assert_false (wpi_store_phone_items_replace (store, MAC_A, (WpiStoreItem *) bad->data, bad->len,
                                                   4000, 0, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);

    g_free (g_array_index (bad, WpiStoreItem, 250).name);
    g_array_index (bad, WpiStoreItem, 250).name = g_strdup ("fine");
    g_array_index (bad, WpiStoreItem, 499).has_index = TRUE;
    g_array_index (bad, WpiStoreItem, 499).index = -3;
    g_assert_false (wpi_store_phone_items_replace (store, MAC_A, (WpiStoreItem *) bad->data, bad->len,
                                                   4000, 0, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);

    g_array_index (bad, WpiStoreItem, 499).index = 3;
    g_assert_false (wpi_store_phone_items_replace (store, MAC_C, (WpiStoreItem *) bad->data, bad->len,
                                                   4000, 0, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);

    g_free (g_array_index (bad, WpiStoreItem, 3).value);
    g_array_index (bad, WpiStoreItem, 3).value = NULL;
    g_assert_false (wpi_store_phone_items_update (store, MAC_A, (WpiStoreItem *) bad->data, bad->len,
                                                  4000, 0, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
  }
  listed = wpi_store_phone_items_list (store, MAC_A, &error);
  g_assert_cmpuint (listed->len, ==, 300);
  for (guint i = 0; i < listed->len; i++)
    {
      g_assert_true (g_str_has_prefix (g_array_index (listed, WpiStoreItem, i).value, "b-"));
      g_assert_cmpint (g_array_index (listed, WpiStoreItem, i).updated_us, ==, 3000);
    }
}

/* ---- jobs ---- */

static void
test_jobs_life_cycle (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  WpiStoreItem write[] = {
    { .name = "display-name", .value = "Reception" },
    { .name = "file-name", .has_index = TRUE, .index = 1, .value = "logo.png" },
    { .name = "file-name", .has_index = TRUE, .index = 2, .value = "ring.wav" },
  };
  WpiStoreItem read[] = { { .name = "e164" }, { .name = "software-version" } };
  gint64 write_id = 0, read_id = 0, restart_id = 0, other_id = 0;

  add_phone (store, MAC_A);
  add_phone (store, MAC_B);

  g_assert_true (wpi_store_job_enqueue (store, "00:1a:e8:00:00:0a", WPI_JOB_KIND_WRITE_ITEMS, NULL,
                                        write, G_N_ELEMENTS (write), &write_id, &error));
  g_assert_no_error (error);
  g_assert_true (wpi_store_job_enqueue (store, MAC_B, WPI_JOB_KIND_READ_ALL, NULL, NULL, 0,
                                        &other_id, &error));
  g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_READ_ITEMS, NULL,
                                        read, G_N_ELEMENTS (read), &read_id, &error));
  g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_RESTART, NULL, NULL, 0,
                                        &restart_id, &error));
  g_assert_no_error (error);
  g_assert_cmpint (write_id, <, other_id);
  g_assert_cmpint (other_id, <, read_id);
  g_assert_cmpint (read_id, <, restart_id);

  job = wpi_store_job_get (store, write_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (job->mac, ==, MAC_A);
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_WRITE_ITEMS);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_QUEUED);
  g_assert_cmpint (job->attempts, ==, 0);
  g_assert_cmpint (job->created_us, >, 0);
  g_assert_cmpuint (job->items->len, ==, 3);
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 0).name, ==, "display-name");
  g_assert_false (g_array_index (job->items, WpiStoreItem, 0).has_index);
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 2).value, ==, "ring.wav");
  g_assert_cmpint (g_array_index (job->items, WpiStoreItem, 2).index, ==, 2);
  g_assert_null (g_array_index (job->items, WpiStoreItem, 2).status);
  g_clear_pointer (&job, wpi_job_record_free);

  /* pending, in queue order, with items */
  jobs = wpi_store_job_list_pending (store, MAC_A, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 3);
  g_assert_cmpint (((WpiJobRecord *) jobs->pdata[0])->id, ==, write_id);
  g_assert_cmpint (((WpiJobRecord *) jobs->pdata[1])->id, ==, read_id);
  g_assert_cmpint (((WpiJobRecord *) jobs->pdata[2])->id, ==, restart_id);
  g_assert_cmpuint (((WpiJobRecord *) jobs->pdata[1])->items->len, ==, 2);
  g_assert_null (g_array_index (((WpiJobRecord *) jobs->pdata[1])->items, WpiStoreItem, 0).value);
  g_clear_pointer (&jobs, g_ptr_array_unref);
  jobs = wpi_store_job_list_pending (store, NULL, &error);
  g_assert_cmpuint (jobs->len, ==, 4);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  /* the write runs: contacting, busy, retried, in progress, results, done */
  g_assert_true (wpi_store_job_set_state (store, write_id, WPI_JOB_STATE_CONTACTING, NULL, &error));
  g_assert_true (wpi_store_job_set_state (store, write_id, WPI_JOB_STATE_WAITING_BUSY, "phone busy", &error));
  g_assert_true (wpi_store_job_record_attempt (store, write_id, 5000000, &error));
  g_assert_true (wpi_store_job_record_attempt (store, write_id, 6000000, &error));
  /* rescheduling moves the next attempt without counting one */
  g_assert_true (wpi_store_job_reschedule (store, write_id, 1000, &error));
  job = wpi_store_job_get (store, write_id, &error);
  g_assert_cmpuint (job->attempts, ==, 2);
  g_assert_cmpint (job->next_attempt_us, ==, 1000);
  g_clear_pointer (&job, wpi_job_record_free);
  g_assert_true (wpi_store_job_reschedule (store, write_id, 6000000, &error));
  g_assert_false (wpi_store_job_reschedule (store, write_id, -1, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (wpi_store_job_set_state (store, write_id, WPI_JOB_STATE_IN_PROGRESS, NULL, &error));
  g_assert_no_error (error);
  {
    WpiStoreItem results[] = {
      { .name = "display-name", .value = "Reception", .status = (char *) "accepted" },
      { .name = "file-name", .has_index = TRUE, .index = 2, .status = (char *) "invalid index" },
      { .name = "surprise", .status = (char *) "unexpected item" },
    };

    g_assert_true (wpi_store_job_set_item_results (store, write_id, results, G_N_ELEMENTS (results),
                                                   &error));
    g_assert_no_error (error);
  }
  g_assert_true (wpi_store_job_set_state (store, write_id, WPI_JOB_STATE_DONE, NULL, &error));
  job = wpi_store_job_get (store, write_id, &error);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_DONE);
  g_assert_cmpint (job->attempts, ==, 2);
  g_assert_cmpint (job->next_attempt_us, ==, 6000000);
  g_assert_cmpint (job->updated_us, >=, job->created_us);
  g_assert_cmpuint (job->items->len, ==, 4);
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 0).status, ==, "accepted");
  g_assert_null (g_array_index (job->items, WpiStoreItem, 1).status);
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 2).status, ==, "invalid index");
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 2).value, ==, "ring.wav");
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 3).name, ==, "surprise");
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 3).status, ==, "unexpected item");
  g_clear_pointer (&job, wpi_job_record_free);

  /* a read fills in the values it asked for */
  {
    WpiStoreItem results[] = {
      { .name = "e164", .value = "3125", .status = NULL },
      { .name = "software-version", .value = "V3 R5.2.0", .status = NULL },
    };

    g_assert_true (wpi_store_job_set_item_results (store, read_id, results, 2, &error));
  }
  job = wpi_store_job_get (store, read_id, &error);
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 0).value, ==, "3125");
  g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 1).value, ==, "V3 R5.2.0");
  g_clear_pointer (&job, wpi_job_record_free);

  /* a final state is final */
  g_assert_false (wpi_store_job_set_state (store, write_id, WPI_JOB_STATE_QUEUED, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (wpi_store_job_cancel (store, write_id, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE);
  g_clear_error (&error);

  /* failing needs a reason; cancel */
  g_assert_false (wpi_store_job_set_state (store, read_id, WPI_JOB_STATE_FAILED, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (wpi_store_job_set_state (store, read_id, WPI_JOB_STATE_FAILED, "wrong TAN from device", &error));
  g_assert_true (wpi_store_job_cancel (store, restart_id, &error));
  g_assert_no_error (error);
  job = wpi_store_job_get (store, read_id, &error);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_FAILED);
  g_assert_cmpstr (job->failure_reason, ==, "wrong TAN from device");
  g_clear_pointer (&job, wpi_job_record_free);

  jobs = wpi_store_job_list_pending (store, MAC_A, &error);
  g_assert_cmpuint (jobs->len, ==, 0);
  g_clear_pointer (&jobs, g_ptr_array_unref);

  /* listing with filters */
  jobs = wpi_store_job_list (store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 4);
  g_assert_cmpint (((WpiJobRecord *) jobs->pdata[0])->id, ==, write_id);
  g_assert_null (((WpiJobRecord *) jobs->pdata[0])->items);
  g_clear_pointer (&jobs, g_ptr_array_unref);
  {
    WpiJobFilter filter = { .mac = MAC_A, .state_mask = WPI_JOB_STATE_MASK (WPI_JOB_STATE_FAILED) |
                                                        WPI_JOB_STATE_MASK (WPI_JOB_STATE_CANCELLED) };

    jobs = wpi_store_job_list (store, &filter, &error);
    g_assert_cmpuint (jobs->len, ==, 2);
    g_assert_cmpint (((WpiJobRecord *) jobs->pdata[0])->id, ==, read_id);
    g_assert_cmpint (((WpiJobRecord *) jobs->pdata[1])->id, ==, restart_id);
    g_clear_pointer (&jobs, g_ptr_array_unref);

    filter.mac = NULL;
    filter.state_mask = WPI_JOB_STATE_MASK_PENDING;
    jobs = wpi_store_job_list (store, &filter, &error);
    g_assert_cmpuint (jobs->len, ==, 1);
    g_assert_cmpint (((WpiJobRecord *) jobs->pdata[0])->id, ==, other_id);
    g_clear_pointer (&jobs, g_ptr_array_unref);

    /* the limit keeps the newest */
    filter.state_mask = 0;
    filter.limit = 2;
    jobs = wpi_store_job_list (store, &filter, &error);
    g_assert_cmpuint (jobs->len, ==, 2);
    g_assert_cmpint (((WpiJobRecord *) jobs->pdata[0])->id, ==, read_id);
    g_assert_cmpint (((WpiJobRecord *) jobs->pdata[1])->id, ==, restart_id);
    g_clear_pointer (&jobs, g_ptr_array_unref);
  }

  g_assert_null (wpi_store_job_get (store, 9999, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (wpi_store_job_record_attempt (store, 9999, 0, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (wpi_store_job_reschedule (store, 9999, 0, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (wpi_store_job_reschedule (store, write_id, 0, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_false (wpi_store_job_set_item_results (store, 9999, write, 1, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static void
test_jobs_bad_input (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  WpiStoreItem good[] = { { .name = "display-name", .value = "x" } };
  WpiStoreItem twice[] = {
    { .name = "file-name", .has_index = TRUE, .index = 1, .value = "a" },
    { .name = "file-name", .has_index = TRUE, .index = 1, .value = "b" },
  };
  WpiStoreItem no_value[] = { { .name = "display-name" } };
  WpiStoreItem no_name[] = { { .name = NULL, .value = "x" } };
  WpiStoreItem bad_utf8[] = { { .name = "display-name", .value = (char *) "\xff\xfe" } };
  gint64 job_id = -1;

  /* no such phone, no MAC, no kind; items missing, repeated, without name or value, not
   * UTF-8; a profile missing or unknown */
  const struct {
    const char         *mac;
    int                 kind;
    const char         *profile;
    const WpiStoreItem *items;
    guint               n_items;
    int                 code;
  } refused[] = {
    { MAC_B, WPI_JOB_KIND_WRITE_ITEMS, NULL, good, 1, WPI_STORE_ERROR_NOT_FOUND },
    { "junk", WPI_JOB_KIND_WRITE_ITEMS, NULL, good, 1, WPI_STORE_ERROR_INVALID },
    { MAC_A, 99, NULL, good, 1, WPI_STORE_ERROR_INVALID },
    { MAC_A, -1, NULL, good, 1, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, NULL, 0, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_READ_ITEMS, NULL, NULL, 0, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, twice, 2, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, no_value, 1, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, no_name, 1, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, bad_utf8, 1, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_APPLY_PROFILE, NULL, NULL, 0, WPI_STORE_ERROR_INVALID },
    { MAC_A, WPI_JOB_KIND_APPLY_PROFILE, "nope", NULL, 0, WPI_STORE_ERROR_NOT_FOUND },
  };

  add_phone (store, MAC_A);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_test_message ("refusal %u", i);
      g_assert_false (wpi_store_job_enqueue (store, refused[i].mac, (WpiJobKind) refused[i].kind,
                                             refused[i].profile, refused[i].items, refused[i].n_items,
                                             &job_id, &error));
      g_assert_error (error, WPI_STORE_ERROR, refused[i].code);
      g_clear_error (&error);
    }

  g_assert_cmpint (job_id, ==, -1);
  g_assert_cmpint (count_rows (store, "jobs"), ==, 0);
  g_assert_cmpint (count_rows (store, "job_items"), ==, 0);

  g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, good, 1, &job_id, &error));
  g_assert_no_error (error);
  g_assert_false (wpi_store_job_set_state (store, job_id, 12, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (wpi_store_job_set_item_results (store, job_id, twice, 2, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  {
    g_autoptr(WpiJobRecord) job = wpi_store_job_get (store, job_id, &error);

    g_assert_cmpint (job->state, ==, WPI_JOB_STATE_QUEUED);
    g_assert_cmpuint (job->items->len, ==, 1);
    g_assert_null (g_array_index (job->items, WpiStoreItem, 0).status);
  }
}

/* ---- profiles ---- */

static void
test_profiles (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  WpiStoreItem office[] = {
    { .name = "display-id", .value = "{e164}" },
    { .name = "dls-server-ca", .has_index = TRUE, .index = 0, .value = "-----BEGIN CERTIFICATE-----" },
    { .name = "hostname", .value = "phone-{mac}" },
  };
  WpiStoreItem lobby[] = { { .name = "display-id", .value = "Lobby" } };
  gint64 job_id;

  g_assert_true (wpi_store_profile_set (store, "office", office, G_N_ELEMENTS (office), &error));
  g_assert_true (wpi_store_profile_set (store, "lobby", lobby, 1, &error));
  g_assert_no_error (error);

  profile = wpi_store_profile_get (store, "office", &error);
  g_assert_no_error (error);
  g_assert_false (profile->is_default);
  g_assert_cmpuint (profile->items->len, ==, 3);
  g_assert_cmpstr (g_array_index (profile->items, WpiStoreItem, 0).value, ==, "{e164}");
  g_assert_cmpint (g_array_index (profile->items, WpiStoreItem, 1).index, ==, 0);
  g_assert_true (g_array_index (profile->items, WpiStoreItem, 1).has_index);
  g_assert_cmpstr (g_array_index (profile->items, WpiStoreItem, 2).name, ==, "hostname");
  g_clear_pointer (&profile, wpi_profile_record_free);

  /* set replaces the items */
  g_assert_true (wpi_store_profile_set (store, "office", lobby, 1, &error));
  profile = wpi_store_profile_get (store, "office", &error);
  g_assert_cmpuint (profile->items->len, ==, 1);
  g_clear_pointer (&profile, wpi_profile_record_free);
  g_assert_true (wpi_store_profile_set (store, "office", office, G_N_ELEMENTS (office), &error));

  /* one default at a time */
  profile = wpi_store_profile_get_default (store, &error);
  g_assert_no_error (error);
  g_assert_null (profile);
  g_assert_true (wpi_store_profile_set_default (store, "lobby", &error));
  g_assert_true (wpi_store_profile_set_default (store, "office", &error));
  profile = wpi_store_profile_get_default (store, &error);
  g_assert_cmpstr (profile->name, ==, "office");
  g_assert_true (profile->is_default);
  g_assert_cmpuint (profile->items->len, ==, 3);
  g_clear_pointer (&profile, wpi_profile_record_free);
  profiles = wpi_store_profile_list (store, &error);
  g_assert_cmpuint (profiles->len, ==, 2);
  g_assert_cmpstr (((WpiProfileRecord *) profiles->pdata[0])->name, ==, "lobby");
  g_assert_false (((WpiProfileRecord *) profiles->pdata[0])->is_default);
  g_assert_true (((WpiProfileRecord *) profiles->pdata[1])->is_default);
  g_assert_null (((WpiProfileRecord *) profiles->pdata[1])->items);
  g_clear_pointer (&profiles, g_ptr_array_unref);
  g_assert_false (wpi_store_profile_set_default (store, "nope", &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  profile = wpi_store_profile_get_default (store, &error);
  g_assert_cmpstr (profile->name, ==, "office");
  g_clear_pointer (&profile, wpi_profile_record_free);

  /* bad input */
  g_assert_false (wpi_store_profile_set (store, "", lobby, 1, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  {
    WpiStoreItem dup[] = { { .name = "a", .value = "1" }, { .name = "a", .value = "2" } };

    g_assert_false (wpi_store_profile_set (store, "office", dup, 2, &error));
    g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
    g_clear_error (&error);
  }
  g_assert_null (wpi_store_profile_get (store, "nope", &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* a phone and a queued job use it: the job blocks the delete, the phone lets go */
  add_phone (store, MAC_A);
  {
    WpiPhoneRecord with_profile = { .mac = (char *) MAC_A, .profile = (char *) "office" };

    g_assert_true (wpi_store_phone_upsert (store, &with_profile, WPI_PHONE_FIELD_PROFILE, NULL, &error));
  }
  g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_APPLY_PROFILE, "office", NULL, 0,
                                        &job_id, &error));
  g_assert_false (wpi_store_profile_delete (store, "office", &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_true (wpi_store_job_cancel (store, job_id, &error));
  g_assert_true (wpi_store_profile_delete (store, "office", &error));
  g_assert_no_error (error);
  phone = wpi_store_phone_get (store, MAC_A, &error);
  g_assert_null (phone->profile);
  g_assert_cmpint (count_rows (store, "profile_items"), ==, 1);
  profile = wpi_store_profile_get_default (store, &error);
  g_assert_no_error (error);
  g_assert_null (profile);
  g_assert_false (wpi_store_profile_delete (store, "office", &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
}

/* ---- PINs ---- */

static void
test_pins (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPinRecord) pin = NULL;
  g_autoptr(GPtrArray) pins = NULL;
  gint64 first = 0, second = 0, third = 0, job_id = 0, other = 0;
  static const char *const bad_pins[] = { "1234567", "123456789012345678901", "12345678901a", "", " 12345678" };

  add_phone (store, MAC_A);
  add_phone (store, MAC_B);
  g_assert_true (wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_BOOTSTRAP, "pin", NULL, 0, &job_id, &error));

  for (guint i = 0; i < G_N_ELEMENTS (bad_pins); i++)
    {
      g_assert_false (wpi_store_pin_create (store, MAC_A, bad_pins[i], 3, 0, NULL, &error));
      g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
      /* a PIN never appears in an error message */
      if (bad_pins[i][0] != '\0')
        g_assert_null (strstr (error->message, bad_pins[i]));
      g_clear_error (&error);
    }
  g_assert_false (wpi_store_pin_create (store, MAC_C, "123456789012", 3, 0, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (wpi_store_pin_create (store, MAC_A, "123456789012", 3, 4242, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (count_rows (store, "pins"), ==, 0);

  g_assert_true (wpi_store_pin_create (store, "001ae800000a", "12345678", 3, job_id, &first, &error));
  g_assert_no_error (error);
  /* committed: another connection sees it at once */
  g_assert_cmpint (raw_int (wpi_store_get_path (store), "SELECT count(*) FROM pins WHERE pin = '12345678'"), ==, 1);

  pin = wpi_store_pin_get (store, first, &error);
  g_assert_cmpstr (pin->mac, ==, MAC_A);
  g_assert_cmpstr (pin->pin, ==, "12345678");
  g_assert_cmpint (pin->state, ==, WPI_PIN_STATE_GENERATED);
  g_assert_cmpint (pin->max_retries, ==, 3);
  g_assert_cmpint (pin->job_id, ==, job_id);
  g_clear_pointer (&pin, wpi_pin_record_free);

  /* forward, and a late handout does not move it back */
  g_assert_true (wpi_store_pin_set_state (store, first, WPI_PIN_STATE_BUNDLE_DELIVERED, NULL, &error));
  g_assert_true (wpi_store_pin_set_state (store, first, WPI_PIN_STATE_HANDED_OUT, NULL, &error));
  g_assert_no_error (error);
  pin = wpi_store_pin_get (store, first, &error);
  g_assert_cmpint (pin->state, ==, WPI_PIN_STATE_BUNDLE_DELIVERED);
  g_clear_pointer (&pin, wpi_pin_record_free);

  /* failing needs a reason; a failed PIN is re-issued by a new one */
  g_assert_false (wpi_store_pin_set_state (store, first, WPI_PIN_STATE_FAILED, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (wpi_store_pin_set_state (store, first, WPI_PIN_STATE_FAILED, "password retries exceeded", &error));
  g_assert_false (wpi_store_pin_set_state (store, first, WPI_PIN_STATE_VERIFIED, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_true (wpi_store_pin_create (store, MAC_A, "98765432109876543210", 5, 0, &second, &error));
  g_assert_no_error (error);
  pin = wpi_store_pin_get (store, first, &error);
  g_assert_cmpint (pin->state, ==, WPI_PIN_STATE_REISSUED);
  g_assert_cmpstr (pin->reason, ==, "password retries exceeded");
  g_clear_pointer (&pin, wpi_pin_record_free);

  /* verified is final and survives a later PIN */
  g_assert_true (wpi_store_pin_set_state (store, second, WPI_PIN_STATE_VERIFIED, NULL, &error));
  g_assert_false (wpi_store_pin_set_state (store, second, WPI_PIN_STATE_FAILED, "late", &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE);
  g_clear_error (&error);
  g_assert_true (wpi_store_pin_create (store, MAC_A, "111122223333", 3, 0, &third, &error));
  pin = wpi_store_pin_get (store, second, &error);
  g_assert_cmpint (pin->state, ==, WPI_PIN_STATE_VERIFIED);
  g_clear_pointer (&pin, wpi_pin_record_free);
  g_assert_true (wpi_store_pin_create (store, MAC_B, "444455556666", 3, 0, &other, &error));

  pin = wpi_store_pin_get_current (store, MAC_A, &error);
  g_assert_cmpint (pin->id, ==, third);
  g_assert_cmpstr (pin->pin, ==, "111122223333");
  g_clear_pointer (&pin, wpi_pin_record_free);
  g_assert_null (wpi_store_pin_get_current (store, MAC_C, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  pins = wpi_store_pin_list (store, TRUE, &error);
  g_assert_cmpuint (pins->len, ==, 2);
  g_assert_cmpint (((WpiPinRecord *) pins->pdata[0])->id, ==, third);
  g_assert_cmpint (((WpiPinRecord *) pins->pdata[1])->id, ==, other);
  g_clear_pointer (&pins, g_ptr_array_unref);
  pins = wpi_store_pin_list (store, FALSE, &error);
  g_assert_cmpuint (pins->len, ==, 4);
  g_clear_pointer (&pins, g_ptr_array_unref);

  g_assert_false (wpi_store_pin_set_state (store, third, 9, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (wpi_store_pin_set_state (store, 777, WPI_PIN_STATE_VERIFIED, NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
}

static void
test_security_events (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;

  g_assert_true (wpi_store_security_event_add (store, 10, "127.0.0.1:5000", "001ae800000a",
                                               "secure-phone-on-default-port", "403", &error));
  g_assert_true (wpi_store_security_event_add (store, 20, "127.0.0.1:5001", "not a mac",
                                               "bad-client-certificate", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (wpi_store_security_event_add (store, 30, NULL, NULL, "", NULL, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID);
  g_clear_error (&error);

  events = wpi_store_security_event_list (store, 0, 0, &error);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (((WpiSecurityEvent *) events->pdata[0])->mac, ==, MAC_A);
  g_assert_cmpstr (((WpiSecurityEvent *) events->pdata[1])->mac, ==, "not a mac");
  g_assert_cmpstr (((WpiSecurityEvent *) events->pdata[1])->kind, ==, "bad-client-certificate");
  g_assert_null (((WpiSecurityEvent *) events->pdata[1])->detail);
  g_clear_pointer (&events, g_ptr_array_unref);
  events = wpi_store_security_event_list (store, 1, 5, &error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpint (((WpiSecurityEvent *) events->pdata[0])->time_us, ==, 20);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/store/enum-strings", test_enum_strings);
  STORE_TEST_ADD ("open/creates-private-store", test_open_creates_private_store);
  STORE_TEST_ADD ("open/twice-keeps-version", test_open_twice_keeps_version);
  STORE_TEST_ADD ("open/migrates-version-1", test_open_migrates_version_1);
  STORE_TEST_ADD ("open/migrates-version-2", test_open_migrates_version_2);
  STORE_TEST_ADD ("open/refuses-newer-schema", test_open_refuses_newer_schema);
  STORE_TEST_ADD ("open/refuses-junk", test_open_refuses_junk);
  STORE_TEST_ADD ("open/concurrently", test_open_concurrently);
  STORE_TEST_ADD ("open/keeps-locks", test_open_keeps_locks);
  STORE_TEST_ADD ("settings", test_settings);
  STORE_TEST_ADD ("transactions", test_transactions);
  STORE_TEST_ADD ("phones", test_phones);
  STORE_TEST_ADD ("items/replace-and-update", test_items_replace_and_update);
  STORE_TEST_ADD ("jobs/life-cycle", test_jobs_life_cycle);
  STORE_TEST_ADD ("jobs/bad-input", test_jobs_bad_input);
  STORE_TEST_ADD ("profiles", test_profiles);
  STORE_TEST_ADD ("pins", test_pins);
  STORE_TEST_ADD ("security-events", test_security_events);

  return g_test_run ();
}
