/* integration-fixture.c: the real service and simulated phones on 127.0.0.1 (see
 * integration-fixture.h)
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "integration-fixture.h"

void
integration_test_init (int    *argc,
                       char ***argv)
{
  g_test_init (argc, argv, NULL);
  /* phones trust any server; their requests queue so that the server's handshakes
   * always find a thread of this process */
  test_util_sim_init ();
}

/* ---------------------------------------------------------------------------------------- */
/* The service                                                                              */

static void
on_service_log (WpiService *service,
                const char *line,
                Fixture    *f)
{
  g_test_message ("service: %s", line);
  g_ptr_array_add (f->log, g_strdup (line));
}

static void
service_start (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->service = test_util_service_new (f->data_dir);
  g_signal_connect (f->service, "log", G_CALLBACK (on_service_log), f);
  g_assert_true (wpi_service_start (f->service, &error));
  g_assert_no_error (error);
  f->store = g_object_ref (wpi_service_get_store (f->service));
  f->port = wpi_service_get_port (f->service);
  g_free (f->service_uri);
  f->service_uri = g_strdup_printf ("https://127.0.0.1:%u", f->port);
}

void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->data_dir = test_util_make_tmp_dir ("wpi-integration");
  f->watches = g_ptr_array_new ();
  f->log = g_ptr_array_new_with_free_func (g_free);
  if (data == NULL)
    service_start (f);
}

static gboolean
no_phone_in_flow (gpointer data)
{
  Fixture *f = data;

  for (guint i = 0; i < f->watches->len; i++)
    if (wpi_sim_phone_get_in_flow (((Watch *) g_ptr_array_index (f->watches, i))->phone))
      return FALSE;
  return TRUE;
}

void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  /* a job is done before its CleanUp reaches the phone: let the flows end */
  if (f->service != NULL || f->child != NULL)
    wait_until (no_phone_in_flow, f, "the phones' flows to end");
  for (guint i = 0; i < f->watches->len; i++)
    test_util_phone_watch_free (g_ptr_array_index (f->watches, i), WAIT_SECONDS * 1000);
  g_ptr_array_unref (f->watches);
  if (f->service != NULL)
    {
      wpi_service_stop (f->service);
      g_signal_handlers_disconnect_by_data (f->service, f);
      g_clear_object (&f->service);
    }
  if (f->child != NULL)
    {
      g_subprocess_force_exit (f->child);
      wait_until (child_gone, f, "the service to die");
      g_clear_object (&f->child);
    }
  g_clear_object (&f->store);
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
  g_free (f->service_uri);
  g_free (f->child_log);
  g_ptr_array_unref (f->log);
}

guint
count_log (Fixture    *f,
           const char *prefix,
           const char *mac)
{
  guint n = 0;

  for (guint i = 0; i < f->log->len; i++)
    {
      const char *line = g_ptr_array_index (f->log, i);

      if (g_str_has_prefix (line, prefix) && strstr (line, mac) != NULL)
        n++;
    }
  return n;
}

/* ---------------------------------------------------------------------------------------- */
/* Phones                                                                                   */

static guint next_phone_number;

Watch *
phone_add (Fixture        *f,
           WpiSimFirmware  firmware,
           gint64          max_items)
{
  Watch *watch;
  WpiSimPhone *phone;
  guint n = next_phone_number++;
  g_autofree char *mac = wpi_sim_mac_add (BASE_MAC, n, NULL);
  g_autofree char *e164 = g_strdup_printf ("49897002%04u", n);

  phone = test_util_sim_phone_new_on_loopback (mac, e164, firmware, f->service_uri,
                                               5000 + (getpid () % 20) * 300 + n);
  g_object_set (phone,
                "max-items", max_items,
                "restart-seconds", 0.05,
                "retry-seconds", 0.1,
                NULL);
  watch = test_util_phone_watch_new (phone);
  g_ptr_array_add (f->watches, watch);
  return watch;
}

const char *
mac_of (Watch *watch)
{
  return wpi_sim_phone_get_mac (watch->phone);
}

typedef struct {
  Watch *watch;
  guint  target;
} FlowWait;

static gboolean
flows_finished (gpointer data)
{
  FlowWait *wait = data;

  return wait->watch->n_finished >= wait->target;
}

/* Waits until the phone has finished n more flows than it had when `before` was taken. */
void
wait_flows_since (Watch *watch,
                  guint  before,
                  guint  n)
{
  FlowWait wait = { watch, before + n };

  wait_until (flows_finished, &wait, "the phone's flows");
}

static gboolean
downloads_finished (gpointer data)
{
  FlowWait *wait = data;

  return wait->watch->n_downloads >= wait->target;
}

void
wait_downloads (Watch *watch,
                guint  n)
{
  FlowWait wait = { watch, n };

  wait_until (downloads_finished, &wait, "the phone's downloads");
}

typedef struct {
  Watch      *watch;
  const char *reason;
  guint       from;     /* flows before this position do not count */
} OkWait;

static gboolean
ok_flow_seen (gpointer data)
{
  OkWait *wait = data;

  for (guint i = wait->from; i < wait->watch->reasons->len; i++)
    if (g_array_index (wait->watch->oks, gboolean, i) &&
        g_str_equal (g_ptr_array_index (wait->watch->reasons, i), wait->reason))
      return TRUE;
  return FALSE;
}

/* Waits for a successful flow opened with `reason` among the flows from position `from`
 * (failed attempts meanwhile, as while the service is down, do not count). */
void
wait_ok_flow (Watch      *watch,
              const char *reason,
              guint       from)
{
  OkWait wait = { watch, reason, from };

  wait_until (ok_flow_seen, &wait, reason);
}

const char *
last_reason (Watch *watch)
{
  g_assert_cmpuint (watch->reasons->len, >, 0);
  return g_ptr_array_index (watch->reasons, watch->reasons->len - 1);
}

const char *
last_detail (Watch *watch)
{
  g_assert_cmpuint (watch->details->len, >, 0);
  return g_ptr_array_index (watch->details, watch->details->len - 1);
}

/* Boots the phone and waits for its registration (start-up, ReadAllItems, CleanUp). */
void
phone_register (Watch *watch)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_sim_phone_start (watch->phone, &error));
  g_assert_no_error (error);
  wait_flows_since (watch, 0, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  g_assert_cmpstr (last_reason (watch), ==, "start-up");
}

/* ---------------------------------------------------------------------------------------- */
/* Jobs, items and traffic in the store                                                     */

gint64
enqueue (Fixture    *f,
         Watch      *watch,
         WpiJobKind  kind,
         GArray     *items)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  if (f->service != NULL)
    id = wpi_service_enqueue_job (f->service, mac_of (watch), kind, NULL, items, &error);
  else
    /* as wpictl does: straight into the store, the service notices the commit */
    wpi_store_job_enqueue (f->store, mac_of (watch), kind, NULL,
                           items ? (WpiStoreItem *) items->data : NULL, items ? items->len : 0,
                           &id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

typedef struct {
  Fixture     *f;
  gint64       id;
  WpiJobState  state;
} JobWait;

static gboolean
job_reached (gpointer data)
{
  JobWait *wait = data;
  g_autoptr(WpiJobRecord) job = job_get (wait->f, wait->id);

  return job->state == wait->state || wpi_job_state_is_final (job->state);
}

/* Waits for the job to be in `state` (or in a final one, which then must be `state`). */
WpiJobRecord *
job_wait (Fixture     *f,
          gint64       id,
          WpiJobState  state)
{
  JobWait wait = { f, id, state };
  g_autofree char *what = g_strdup_printf ("job %" G_GINT64_FORMAT " to be %s", id,
                                           wpi_job_state_to_string (state));
  WpiJobRecord *job;

  wait_until (job_reached, &wait, what);
  job = job_get (f, id);
  if (job->state != state)
    g_test_message ("job %" G_GINT64_FORMAT ": %s (%s)", id, wpi_job_state_to_string (job->state),
                    job->failure_reason ?: "no reason");
  g_assert_cmpstr (wpi_job_state_to_string (job->state), ==, wpi_job_state_to_string (state));
  return job;
}

const WpiStoreItem *
job_item (WpiJobRecord *job,
          const char   *name,
          gint64        index)
{
  for (guint i = 0; job->items != NULL && i < job->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, i);

      if (strcmp (item->name, name) == 0 &&
          (index < 0 ? !item->has_index : (item->has_index && item->index == index)))
        return item;
    }
  return NULL;
}

/* The value the store holds for the phone, or NULL. */
char *
stored (Fixture    *f,
        Watch      *watch,
        const char *name,
        gint64      index)
{
  g_autoptr(WpiStoreItem) item = wpi_store_phone_item_get (f->store, mac_of (watch), name, index >= 0,
                                                           MAX (index, 0), NULL);

  return item != NULL ? g_strdup (item->value) : NULL;
}

/* The store holds exactly the phone's configuration: what a ReadAllItems returns (every item
 * but the two certificates, R13), each with the phone's value. */
void
assert_store_mirrors_phone (Fixture *f,
                            Watch   *watch)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = wpi_store_phone_items_list (f->store, mac_of (watch), &error);

  guint n = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);
      const char *value = wpi_sim_phone_get_item (watch->phone, item->name,
                                                  item->has_index ? item->index : -1);

      /* a V2R2+ local-changes report describes itself with these; they are no setting */
      if (g_str_has_prefix (item->name, "configuration-attached-"))
        continue;
      n++;

      /* the phone clears this flag itself once a read succeeded: the store keeps what it said */
      if (g_str_equal (item->name, "configuration-changed-flag"))
        continue;
      if (g_strcmp0 (value, item->value) != 0)
        g_error ("%s[%" G_GINT64_FORMAT "]: the store has \"%s\", the phone \"%s\"", item->name,
                 item->has_index ? item->index : -1, item->value, value);
    }
  g_assert_cmpuint (n, ==, wpi_sim_phone_get_n_items (watch->phone) - 2);
}

/* The phone's traffic, oldest first, without bodies. */
GPtrArray *
traffic (Fixture *f,
         Watch   *watch)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = wpi_store_traffic_list_by_mac (f->store, mac_of (watch), 0, 0, &error);

  g_assert_no_error (error);
  return records;
}

gboolean
traffic_is (WpiTrafficRecord   *record,
            WpiTrafficDirection direction,
            const char         *reason_or_action)
{
  if (record->direction != direction)
    return FALSE;
  if (reason_or_action == NULL)
    return TRUE;
  return direction == WPI_TRAFFIC_DIRECTION_IN
         ? g_strcmp0 (record->reason, reason_or_action) == 0
         : g_strcmp0 (record->action, reason_or_action) == 0;
}

/* How many messages of the phone went in (a reason) or out (an action) after message id `after`. */
guint
count_traffic (Fixture             *f,
               Watch               *watch,
               gint64               after,
               WpiTrafficDirection  direction,
               const char          *reason_or_action)
{
  g_autoptr(GPtrArray) records = traffic (f, watch);
  guint n = 0;

  for (guint i = 0; i < records->len; i++)
    {
      WpiTrafficRecord *record = g_ptr_array_index (records, i);

      if (record->id > after && traffic_is (record, direction, reason_or_action))
        n++;
    }
  return n;
}

gint64
last_traffic_id (Fixture *f)
{
  gint64 first = 0, last = 0;
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_store_traffic_get_bounds (f->store, &first, &last, &error));
  g_assert_no_error (error);
  return last;
}

/* The service's messages to the phone with this Action after message id `after`, parsed from
 * the bodies the traffic log kept. */
GPtrArray *
sent_messages (Fixture    *f,
               Watch      *watch,
               gint64      after,
               const char *action)
{
  g_autoptr(GPtrArray) records = traffic (f, watch);
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < records->len; i++)
    {
      WpiTrafficRecord *record = g_ptr_array_index (records, i);
      g_autoptr(WpiTrafficRecord) full = NULL;
      g_autoptr(GError) error = NULL;
      WpiMessage *message;

      if (record->id <= after || !traffic_is (record, WPI_TRAFFIC_DIRECTION_OUT, action))
        continue;
      full = wpi_store_traffic_get (f->store, record->id, &error);
      g_assert_no_error (error);
      message = wpi_message_parse (g_bytes_get_data (full->body, NULL), g_bytes_get_size (full->body),
                                   &error);
      g_assert_no_error (error);
      g_ptr_array_add (messages, message);
    }
  return messages;
}

void
write_file (Fixture    *f,
            const char *name,
            gsize       size)
{
  g_autofree char *path = g_build_filename (f->data_dir, "files", name, NULL);
  g_autofree guint8 *data = g_malloc (size);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 13 + 7);
  g_assert_true (g_file_set_contents (path, (const char *) data, size, &error));
  g_assert_no_error (error);
}

char *
file_url (Fixture    *f,
          const char *name)
{
  /* the service serves DATA_DIR/files itself (issue 3 §1) */
  return g_strdup_printf ("https://127.0.0.1:%u/files/%s", f->port, name);
}

gboolean
phone_has_file (Watch      *watch,
                const char *name,
                const char *type,
                guint64     size)
{
  for (guint i = 0; i < wpi_sim_phone_get_n_files (watch->phone); i++)
    {
      const char *n, *t, *status;
      guint64 s;

      g_assert_true (wpi_sim_phone_get_file (watch->phone, i, &n, &t, &status, &s));
      if (g_strcmp0 (n, name) == 0 && g_strcmp0 (t, type) == 0)
        return g_strcmp0 (status, "ok") == 0 && s == size;
    }
  return FALSE;
}

/* The headless service has exited (kill -9 test) */
gboolean
child_gone (gpointer data)
{
  return ((Fixture *) data)->child_exited;
}

