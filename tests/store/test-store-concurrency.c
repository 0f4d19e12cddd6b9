/* test-store-concurrency.c: WpiStore shared: two connections, concurrent writers, and a
 * writer killed (-9) between commits
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

/* ---- two connections ---- */

static void
on_external_change (WpiStore *store,
                    gpointer  user_data)
{
  guint *count = user_data;

  (*count)++;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_two_connections (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(WpiStore) service = open_store (fixture);
  g_autoptr(WpiStore) cli = open_store (fixture);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  WpiStoreItem items[] = { { .name = "display-name", .value = "x" } };
  gint64 job_id = 0;
  guint changes = 0;
  gboolean expired = FALSE;
  guint deadline;

  g_assert_false (wpi_store_poll_external_change (service));
  add_phone (service, MAC_A);
  /* our own commits are not external */
  g_assert_false (wpi_store_poll_external_change (service));
  g_assert_true (wpi_store_poll_external_change (cli));
  g_assert_false (wpi_store_poll_external_change (cli));

  /* the CLI queues a job; the service's watch notices it within a second */
  g_signal_connect (service, "external-change", G_CALLBACK (on_external_change), &changes);
  wpi_store_set_watch_interval (service, 100);
  g_assert_true (wpi_store_job_enqueue (cli, MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, items, 1, &job_id, &error));
  g_assert_no_error (error);
  deadline = g_timeout_add (1000, on_deadline, &expired);
  while (changes == 0 && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (changes, ==, 1);
  if (!expired)
    g_source_remove (deadline);
  jobs = wpi_store_job_list_pending (service, MAC_A, &error);
  g_assert_cmpuint (jobs->len, ==, 1);
  g_assert_cmpint (((WpiJobRecord *) jobs->pdata[0])->id, ==, job_id);
  wpi_store_set_watch_interval (service, 0);

  /* while one holds the write lock, the other waits up to its busy timeout and then
   * fails cleanly, changing nothing */
  g_assert_true (wpi_store_transaction_begin (service, &error));
  g_assert_true (wpi_store_job_set_state (service, job_id, WPI_JOB_STATE_IN_PROGRESS, NULL, &error));
  wpi_store_set_busy_timeout (cli, 50);
  g_assert_false (wpi_store_job_cancel (cli, job_id, &error));
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_BUSY);
  g_clear_error (&error);
  g_assert_false (wpi_store_in_transaction (cli));
  /* readers are not blocked by the writer, and see the last commit */
  {
    g_autoptr(WpiJobRecord) job = wpi_store_job_get (cli, job_id, &error);

    g_assert_no_error (error);
    g_assert_cmpint (job->state, ==, WPI_JOB_STATE_QUEUED);
  }
  g_assert_true (wpi_store_transaction_commit (service, &error));
  g_assert_true (wpi_store_job_cancel (cli, job_id, &error));
  g_assert_no_error (error);
  {
    g_autoptr(WpiJobRecord) job = wpi_store_job_get (service, job_id, &error);

    g_assert_cmpint (job->state, ==, WPI_JOB_STATE_CANCELLED);
  }
}

typedef struct {
  const char *dir;
  const char *mac;
  guint       n;
} WriterArgs;

static gpointer
concurrent_writer (gpointer data)
{
  WriterArgs *args = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (args->dir, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < args->n; i++)
    {
      g_autofree char *value = g_strdup_printf ("%u", i);
      WpiStoreItem items[] = {
        { .name = "counter", .value = value },
        { .name = "other", .value = value },
      };
      g_autoptr(WpiTrafficRecord) record = make_message (i);

      g_assert_true (wpi_store_transaction_begin (store, &error));
      g_assert_no_error (error);
      g_assert_true (wpi_store_job_enqueue (store, args->mac, WPI_JOB_KIND_WRITE_ITEMS, NULL, items, 2, NULL, &error));
      g_assert_true (wpi_store_phone_items_update (store, args->mac, items, 2, i, 0, &error));
      g_assert_true (wpi_store_traffic_append (store, record, NULL, &error));
      g_assert_true (wpi_store_transaction_commit (store, &error));
      g_assert_no_error (error);
    }
  return NULL;
}

static void
test_concurrent_writers (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(WpiStore) store = open_store (fixture);
  WriterArgs args[] = { { fixture->dir, MAC_A, 150 }, { fixture->dir, MAC_B, 150 } };
  GThread *threads[G_N_ELEMENTS (args)];
  g_autoptr(GError) error = NULL;

  add_phone (store, MAC_A);
  add_phone (store, MAC_B);
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    threads[i] = g_thread_new ("writer", concurrent_writer, &args[i]);
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (count_rows (store, "jobs"), ==, 300);
  g_assert_cmpint (count_rows (store, "job_items"), ==, 600);
  g_assert_cmpint (wpi_store_traffic_count (store, &error), ==, 300);
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    {
      g_autoptr(WpiStoreItem) item = wpi_store_phone_item_get (store, args[i].mac, "counter", FALSE, 0, &error);

      g_assert_cmpstr (item->value, ==, "149");
    }
  g_assert_true (wpi_store_check_integrity (store, &error));
}

/* ---- kill -9 ---- */

/* What the writer child reports through the pipe after each commit. */
typedef struct {
  guint32 round;
  guint32 seq;
  gint64  job_id;
} CommitReport;

#define KILL_ROUNDS       5
#define REPLACE_ALL_EVERY 7
#define N_ALL_ITEMS       500

static void
child_write_until_killed (const char *dir,
                          int         report_fd,
                          guint32     round)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (dir, &error);

  if (store == NULL)
    _exit (3);

  for (guint32 seq = 0;; seq++)
    {
      g_autofree char *value = g_strdup_printf ("r%u-%u", round, seq);
      WpiStoreItem job_items[] = {
        { .name = "display-name", .value = value },
        { .name = "file-name", .has_index = TRUE, .index = 1, .value = value },
        { .name = "file-name", .has_index = TRUE, .index = 2, .value = value },
      };
      WpiStoreItem counter[] = { { .name = "counter", .value = value } };
      g_autoptr(WpiTrafficRecord) record = make_message (seq);
      CommitReport report = { round, seq, 0 };

      if (!wpi_store_transaction_begin (store, &error) ||
          !wpi_store_job_enqueue (store, MAC_A, WPI_JOB_KIND_WRITE_ITEMS, NULL, job_items,
                                  G_N_ELEMENTS (job_items), &report.job_id, &error))
        _exit (4);
      /* now and then a whole ReadAllItems, the largest transaction there is */
      if (seq % REPLACE_ALL_EVERY == 0)
        {
          g_autoptr(GArray) all = make_items (N_ALL_ITEMS, value);

          wpi_store_item_array_add (all, "counter", FALSE, 0, value);
          if (!wpi_store_phone_items_replace (store, MAC_A, (WpiStoreItem *) all->data, all->len,
                                              seq, 0, &error))
            _exit (5);
        }
      else if (!wpi_store_phone_items_update (store, MAC_A, counter, 1, seq, 0, &error))
        _exit (6);
      if (!wpi_store_traffic_append (store, record, NULL, &error) ||
          !wpi_store_transaction_commit (store, &error))
        _exit (7);

      /* only now is it acknowledged */
      if (write (report_fd, &report, sizeof report) != sizeof report)
        _exit (8);
    }
}

static void
test_kill_9 (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GArray) reports = g_array_new (FALSE, FALSE, sizeof (CommitReport));
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(WpiStore) store = open_store (fixture);

    add_phone (store, MAC_A);
  }

  for (guint32 round = 0; round < KILL_ROUNDS; round++)
    {
      int fds[2];
      pid_t pid;
      int status = 0;
      guint kill_after = g_test_rand_int_range (10, 60);
      guint seen = 0;
      CommitReport last = { 0, };

      g_assert_cmpint (pipe (fds), ==, 0);
      /* no store is open here: a child must not inherit a live SQLite connection */
      pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          close (fds[0]);
          child_write_until_killed (fixture->dir, fds[1], round);
          _exit (9);
        }
      close (fds[1]);

      /* kill it mid-stream, then drain what it reported before it died */
      for (;;)
        {
          CommitReport report;
          ssize_t n = read (fds[0], &report, sizeof report);

          if (n == 0)
            break;
          if (n < 0 && errno == EINTR)
            continue;
          g_assert_cmpint (n, ==, sizeof report);
          g_array_append_val (reports, report);
          last = report;
          if (++seen == kill_after)
            g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
        }
      close (fds[0]);
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status));
      g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
      g_assert_cmpuint (seen, >=, kill_after);
      g_test_message ("round %u: killed after %u reported commits", round, seen);

      /* reopen: every reported commit is there, in full */
      {
        g_autoptr(WpiStore) store = open_store (fixture);
        g_autoptr(WpiStoreItem) counter = NULL;
        g_autoptr(GArray) all = NULL;
        g_autofree char *last_value = g_strdup_printf ("r%u-%u", round, last.seq);
        g_autofree char *next_value = g_strdup_printf ("r%u-%u", round, last.seq + 1);

        g_assert_true (wpi_store_check_integrity (store, &error));
        g_assert_no_error (error);

        for (guint i = 0; i < reports->len; i++)
          {
            CommitReport *r = &g_array_index (reports, CommitReport, i);
            g_autoptr(WpiJobRecord) job = wpi_store_job_get (store, r->job_id, &error);
            g_autofree char *value = g_strdup_printf ("r%u-%u", r->round, r->seq);

            g_assert_no_error (error);
            g_assert_cmpuint (job->items->len, ==, 3);
            for (guint k = 0; k < job->items->len; k++)
              g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, k).value, ==, value);
          }

        /* the last value is the last reported commit's, or the one after it that
         * committed just before the kill but was not reported */
        counter = wpi_store_phone_item_get (store, MAC_A, "counter", FALSE, 0, &error);
        g_assert_no_error (error);
        if (g_strcmp0 (counter->value, last_value) != 0)
          g_assert_cmpstr (counter->value, ==, next_value);

        /* a replace-all is all or nothing: the values of the full set ("rR-S-i")
         * all come from one transaction */
        all = wpi_store_phone_items_list (store, MAC_A, &error);
        g_assert_cmpuint (all->len, ==, N_ALL_ITEMS + 1);
        {
          g_autoptr(GHashTable) origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

          for (guint k = 0; k < all->len; k++)
            {
              const WpiStoreItem *item = &g_array_index (all, WpiStoreItem, k);

              if (g_str_equal (item->name, "counter"))
                continue;
              g_hash_table_add (origins, g_strndup (item->value, strrchr (item->value, '-') - item->value));
            }
          g_assert_cmpuint (g_hash_table_size (origins), ==, 1);
        }
      }
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  STORE_TEST_ADD ("concurrent/two-connections", test_two_connections);
  STORE_TEST_ADD ("concurrent/writers", test_concurrent_writers);
  STORE_TEST_ADD ("durability/kill-9", test_kill_9);

  return g_test_run ();
}
