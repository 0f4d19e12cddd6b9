/* test-integration.c: the real service and real simulated phones, over real sockets and TLS
 *
 * Every flow of protocol.md §7 end to end: a WpiService on 127.0.0.1 (in this process, or the
 * headless workpoint-console as a subprocess for the kill -9 test) and WpiSimPhones that listen
 * for contact-me on their own 127.1.x.y addresses and connect from them. The test only queues
 * jobs and changes what a user would change on a phone; everything else is the protocol. Each
 * wait is for a condition with a deadline, never a fixed sleep.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "wpi-codec.h"
#include "wpc-demo.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-sim-phone.h"
#include "wpi-simulator.h"
#include "test-util-service.h"
#include "test-util-sim.h"
#include "test-util-store.h"

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

static gboolean child_gone (gpointer data);

/* Iterates the main context (service and phones run there) until the condition holds;
 * conditions on the store change without an event of their own, test_util_wait_until
 * looks at them every few milliseconds too. */
#define wait_until(condition, data, what) \
  test_util_wait_until (condition, data, WAIT_SECONDS * 1000, what)

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

static void
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

static void
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

static guint
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

static Watch *
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

static const char *
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
static void
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

static void
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
static void
wait_ok_flow (Watch      *watch,
              const char *reason,
              guint       from)
{
  OkWait wait = { watch, reason, from };

  wait_until (ok_flow_seen, &wait, reason);
}

static const char *
last_reason (Watch *watch)
{
  g_assert_cmpuint (watch->reasons->len, >, 0);
  return g_ptr_array_index (watch->reasons, watch->reasons->len - 1);
}

static const char *
last_detail (Watch *watch)
{
  g_assert_cmpuint (watch->details->len, >, 0);
  return g_ptr_array_index (watch->details, watch->details->len - 1);
}

/* Boots the phone and waits for its registration (start-up, ReadAllItems, CleanUp). */
static void
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

static gint64
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

#define job_get(f, id) test_util_store_job_get ((f)->store, id)

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
static WpiJobRecord *
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

static const WpiStoreItem *
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
static char *
stored (Fixture    *f,
        Watch      *watch,
        const char *name,
        gint64      index)
{
  g_autoptr(WpiStoreItem) item = wpi_store_phone_item_get (f->store, mac_of (watch), name, index >= 0,
                                                           MAX (index, 0), NULL);

  return item != NULL ? g_strdup (item->value) : NULL;
}

#define stored_phone(f, watch) test_util_store_phone_get ((f)->store, mac_of (watch))

/* The store holds exactly the phone's configuration: what a ReadAllItems returns (every item
 * but the two certificates, R13), each with the phone's value. */
static void
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
static GPtrArray *
traffic (Fixture *f,
         Watch   *watch)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = wpi_store_traffic_list_by_mac (f->store, mac_of (watch), 0, 0, &error);

  g_assert_no_error (error);
  return records;
}

static gboolean
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
static guint
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

static gint64
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
static GPtrArray *
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

static void
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

static char *
file_url (Fixture    *f,
          const char *name)
{
  /* the service serves DATA_DIR/files itself (issue 3 §1) */
  return g_strdup_printf ("https://127.0.0.1:%u/files/%s", f->port, name);
}

static gboolean
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

/* ---------------------------------------------------------------------------------------- */
/* §7.1 start-up                                                                            */

static void
test_start_up_unknown (Fixture       *f,
                       gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(WpiPhoneRecord) record = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(WpiPhone) listed = NULL;
  g_autofree char *ip = NULL;
  const char *flow_id;

  phone_register (watch);
  g_assert_cmpstr (last_detail (watch), ==, "ReadAllItems,CleanUp");

  record = stored_phone (f, watch);
  g_assert_cmpstr (record->e164, ==, wpi_sim_phone_get_e164 (watch->phone));
  g_assert_cmpstr (record->device_type, ==, "OpenStage 60");
  g_assert_cmpstr (record->firmware, ==, "V3 R5.12.0");
  g_assert_cmpstr (record->contact_me_uri, ==, wpi_sim_phone_get_contact_uri (watch->phone));
  /* the phone connected from its own address */
  ip = g_strndup (wpi_sim_phone_get_contact_uri (watch->phone) + strlen ("http://"),
                  strcspn (wpi_sim_phone_get_contact_uri (watch->phone) + strlen ("http://"), ":"));
  g_assert_cmpstr (record->ip, ==, ip);
  g_assert_cmpint (record->state, ==, WPI_PHONE_STATE_IDLE);
  g_assert_cmpint (record->mode, ==, WPI_PHONE_MODE_DEFAULT);
  g_assert_cmpint (record->last_contact_us, >, 0);
  assert_store_mirrors_phone (f, watch);

  /* the live model */
  g_assert_cmpuint (g_list_model_get_n_items (wpi_service_get_phones (f->service)), ==, 1);
  listed = g_list_model_get_item (wpi_service_get_phones (f->service), 0);
  g_assert_cmpstr (wpi_phone_get_mac (listed), ==, mac_of (watch));
  g_assert_cmpint (wpi_phone_get_state (listed), ==, WPI_PHONE_STATE_IDLE);

  /* the traffic log holds the four messages of the flow (§7.1), all of one flow */
  records = traffic (f, watch);
  g_assert_cmpuint (records->len, ==, 4);
  g_assert_true (traffic_is (g_ptr_array_index (records, 0), WPI_TRAFFIC_DIRECTION_IN, "start-up"));
  g_assert_true (traffic_is (g_ptr_array_index (records, 1), WPI_TRAFFIC_DIRECTION_OUT, "ReadAllItems"));
  g_assert_true (traffic_is (g_ptr_array_index (records, 2), WPI_TRAFFIC_DIRECTION_IN, "reply-to"));
  g_assert_true (traffic_is (g_ptr_array_index (records, 3), WPI_TRAFFIC_DIRECTION_OUT, "CleanUp"));
  flow_id = ((WpiTrafficRecord *) g_ptr_array_index (records, 1))->flow_id;
  g_assert_nonnull (flow_id);
  g_assert_cmpstr (((WpiTrafficRecord *) g_ptr_array_index (records, 3))->flow_id, ==, flow_id);
  g_assert_cmpint (((WpiTrafficRecord *) g_ptr_array_index (records, 2))->item_count, ==,
                   wpi_sim_phone_get_n_items (watch->phone) - 2);
}

/* ---------------------------------------------------------------------------------------- */
/* §7.5 solicited read                                                                      */

static void
test_read_solicited (Fixture       *f,
                     gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V2R2, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reg_addr = NULL;
  g_autofree char *reg_port = NULL;
  g_autofree char *codec = NULL;
  guint before;
  gint64 id;

  phone_register (watch);
  /* changed on the phone without a report: only a read shows it */
  g_assert_true (wpi_sim_phone_set_item (watch->phone, "reg-addr", -1, "sip2.example.net", &error));
  g_assert_true (wpi_sim_phone_set_item (watch->phone, "reg-port", -1, "5070", &error));
  g_assert_true (wpi_sim_phone_set_item (watch->phone, "codec-type", 2, "2", &error));
  g_assert_no_error (error);
  reg_addr = stored (f, watch, "reg-addr", -1);
  g_assert_cmpstr (reg_addr, !=, "sip2.example.net");

  wpi_store_item_array_add (items, "reg-addr", FALSE, 0, NULL);
  wpi_store_item_array_add (items, "reg-port", FALSE, 0, NULL);
  wpi_store_item_array_add (items, "codec-type", TRUE, 2, NULL);
  before = watch->n_finished;
  id = enqueue (f, watch, WPI_JOB_KIND_READ_ITEMS, items);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);

  /* contact-me, solicited, ReadItems, reply-to, CleanUp */
  wait_flows_since (watch, before, 1);
  g_assert_cmpstr (last_reason (watch), ==, "solicited");
  g_assert_cmpstr (last_detail (watch), ==, "ReadItems,CleanUp");
  g_assert_cmpuint (count_log (f, "contact-me", mac_of (watch)), >=, 1);

  g_clear_pointer (&reg_addr, g_free);
  reg_addr = stored (f, watch, "reg-addr", -1);
  reg_port = stored (f, watch, "reg-port", -1);
  codec = stored (f, watch, "codec-type", 2);
  g_assert_cmpstr (reg_addr, ==, "sip2.example.net");
  g_assert_cmpstr (reg_port, ==, "5070");
  g_assert_cmpstr (codec, ==, "2");
  /* the job keeps what was read */
  g_assert_cmpstr (job_item (job, "reg-addr", -1)->value, ==, "sip2.example.net");
  g_assert_cmpstr (job_item (job, "reg-addr", -1)->status, ==, "accepted");
  g_assert_cmpstr (job_item (job, "codec-type", 2)->value, ==, "2");
}

/* ---------------------------------------------------------------------------------------- */
/* §7.6, §7.16 write accepted with per-item failures                                        */

static void
test_write_item_failures (Fixture       *f,
                          gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  g_autofree char *auto_answer = NULL;
  g_autofree char *label = NULL;
  g_autofree char *device_type = NULL;
  gint64 id;

  phone_register (watch);
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  wpi_store_item_array_add (items, "key-label", TRUE, 3, "Reception");
  wpi_store_item_array_add (items, "device-type", FALSE, 0, "OpenStage 80");
  wpi_store_item_array_add (items, "socketed-headset-mode", FALSE, 0, "1");
  wpi_store_item_array_add (items, "codec-type", TRUE, 99, "1");
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);

  /* each refused item with the phone's verdict */
  g_assert_cmpstr (job_item (job, "device-type", -1)->status, ==, "read only");
  g_assert_cmpstr (job_item (job, "socketed-headset-mode", -1)->status, ==, "unknown item");
  g_assert_cmpstr (job_item (job, "codec-type", 99)->status, ==, "invalid index");
  g_assert_true (job_item (job, "auto-answer", -1)->status == NULL ||
                 g_str_equal (job_item (job, "auto-answer", -1)->status, "accepted"));

  /* what was accepted is on the phone and in the store; what was refused is in neither */
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "key-label", 3), ==, "Reception");
  auto_answer = stored (f, watch, "auto-answer", -1);
  label = stored (f, watch, "key-label", 3);
  device_type = stored (f, watch, "device-type", -1);
  g_assert_cmpstr (auto_answer, ==, "true");
  g_assert_cmpstr (label, ==, "Reception");
  g_assert_cmpstr (device_type, ==, "OpenStage 60");
  g_assert_null (stored (f, watch, "socketed-headset-mode", -1));
  g_assert_null (stored (f, watch, "codec-type", 99));
  assert_store_mirrors_phone (f, watch);
}

/* ---------------------------------------------------------------------------------------- */
/* §7.12, D11 busy phones                                                                    */

/* The CleanUps that asked the phone to call back by itself. */
static guint
count_send_solicited (Fixture *f,
                      Watch   *watch,
                      gint64   after)
{
  g_autoptr(GPtrArray) clean_ups = sent_messages (f, watch, after, "CleanUp");
  guint n = 0;

  for (guint i = 0; i < clean_ups->len; i++)
    if (g_strcmp0 (wpi_message_get_item_value (g_ptr_array_index (clean_ups, i), "send-solicited"),
                   "true") == 0)
      n++;
  return n;
}

static void
test_busy_send_solicited (Fixture       *f,
                          gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autofree char *auto_answer = NULL;
  guint contacts, started;
  gint64 id, mark;

  phone_register (watch);
  mark = last_traffic_id (f);
  wpi_sim_phone_set_in_call (watch->phone, TRUE);
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);

  /* refused busy: CleanUp + send-solicited, the job waits */
  g_clear_pointer (&job, wpi_job_record_free);
  job = job_wait (f, id, WPI_JOB_STATE_WAITING_BUSY);
  wait_flows_since (watch, 1, 1);
  g_assert_cmpstr (last_detail (watch), ==, "WriteItems,CleanUp");
  g_assert_true (wpi_sim_phone_get_pending_solicited (watch->phone));
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_IN, "reply-to"), ==, 1);
  g_assert_cmpuint (count_send_solicited (f, watch, mark), ==, 1);
  phone = stored_phone (f, watch);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_BUSY);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "false");

  /* the call ends: the phone reconnects by itself, no contact-me needed */
  contacts = count_log (f, "contact-me", mac_of (watch));
  started = watch->n_started;
  wpi_sim_phone_set_in_call (watch->phone, FALSE);
  g_clear_pointer (&job, wpi_job_record_free);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);
  wait_flows_since (watch, 2, 1);
  g_assert_cmpuint (watch->n_started, ==, started + 1);
  g_assert_cmpstr (last_reason (watch), ==, "solicited");
  g_assert_cmpstr (last_detail (watch), ==, "WriteItems,CleanUp");
  g_assert_cmpuint (count_log (f, "contact-me", mac_of (watch)), ==, contacts);
  g_assert_false (wpi_sim_phone_get_pending_solicited (watch->phone));
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
  auto_answer = stored (f, watch, "auto-answer", -1);
  g_assert_cmpstr (auto_answer, ==, "true");
  g_clear_pointer (&phone, wpi_phone_record_free);
  phone = stored_phone (f, watch);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_IDLE);
  /* the last CleanUp was a plain one */
  g_assert_cmpuint (count_send_solicited (f, watch, mark), ==, 1);
}

typedef struct {
  Fixture *f;
  Watch   *watch;
  guint    target;
} ContactWait;

static gboolean
contacted_enough (gpointer data)
{
  ContactWait *wait = data;

  return count_log (wait->f, "contact-me", mac_of (wait->watch)) >= wait->target;
}

/* D11: before V3R3 the phone is not asked to call back; contact-mes retry until it is idle,
 * however long the call lasts. */
static void
test_busy_old_firmware (Fixture       *f,
                        gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V2R2, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  ContactWait wait = { f, watch, 0 };
  gint64 id, mark;

  g_object_set (f->service, "contact-initial-backoff", 0, NULL);   /* retry at each tick */
  phone_register (watch);
  mark = last_traffic_id (f);
  wpi_sim_phone_set_in_call (watch->phone, TRUE);
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);
  job = job_wait (f, id, WPI_JOB_STATE_WAITING_BUSY);
  g_assert_false (wpi_sim_phone_get_pending_solicited (watch->phone));

  /* more contact-mes than it takes to call a silent phone unreachable, each answered busy */
  wait.target = WPI_CONTACT_MAX_FAILURES + 1;
  wait_until (contacted_enough, &wait, "repeated contact-mes");
  g_clear_pointer (&job, wpi_job_record_free);
  job = job_get (f, id);
  g_assert_cmpstr (wpi_job_state_to_string (job->state), !=, "failed");
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_IN, "solicited"), >=,
                    WPI_CONTACT_MAX_FAILURES);
  g_assert_cmpuint (count_send_solicited (f, watch, mark), ==, 0);

  wpi_sim_phone_set_in_call (watch->phone, FALSE);
  g_clear_pointer (&job, wpi_job_record_free);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
}

/* §7.12's multiple-jobs sequence: two writes queued while the phone is in a call, each
 * refusal answered with CleanUp + send-solicited; after the call one solicited connection,
 * and both writes land in order. */
static void
test_busy_multiple_jobs (Fixture       *f,
                         gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) first = wpi_store_item_array_new ();
  g_autoptr(GArray) second = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job1 = NULL;
  g_autoptr(WpiJobRecord) job2 = NULL;
  g_autoptr(GPtrArray) writes = NULL;
  guint started, finished;
  gint64 id1, id2, mark, after_call;

  phone_register (watch);
  mark = last_traffic_id (f);
  wpi_sim_phone_set_in_call (watch->phone, TRUE);

  /* job 1: contact-me, solicited, WriteItems, busy, CleanUp + send-solicited */
  wpi_store_item_array_add (first, "auto-answer", FALSE, 0, "true");
  wpi_store_item_array_add (first, "key-label", TRUE, 1, "First");
  id1 = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, first);
  job1 = job_wait (f, id1, WPI_JOB_STATE_WAITING_BUSY);
  wait_flows_since (watch, 1, 1);

  /* job 2: another contact-me; the phone is still busy, a second send-solicited */
  wpi_store_item_array_add (second, "key-label", TRUE, 1, "Second");
  wpi_store_item_array_add (second, "hot-line-warm-line-digits", FALSE, 0, "112");
  id2 = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, second);
  wait_flows_since (watch, 2, 1);
  g_assert_cmpuint (count_send_solicited (f, watch, mark), ==, 2);
  g_assert_true (wpi_sim_phone_get_pending_solicited (watch->phone));
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_IN, "solicited"), ==, 2);
  g_clear_pointer (&job1, wpi_job_record_free);
  job1 = job_get (f, id1);
  job2 = job_get (f, id2);
  g_assert_false (wpi_job_state_is_final (job1->state));
  g_assert_false (wpi_job_state_is_final (job2->state));
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "key-label", 1), !=, "Second");

  /* the call ends: one solicited connection answers both send-solicited CleanUps */
  after_call = last_traffic_id (f);
  started = watch->n_started;
  finished = watch->n_finished;
  wpi_sim_phone_set_in_call (watch->phone, FALSE);
  g_clear_pointer (&job1, wpi_job_record_free);
  g_clear_pointer (&job2, wpi_job_record_free);
  job1 = job_wait (f, id1, WPI_JOB_STATE_DONE);
  job2 = job_wait (f, id2, WPI_JOB_STATE_DONE);
  wait_flows_since (watch, finished, 1);
  test_util_drain_main_context ();
  g_assert_cmpuint (watch->n_started, ==, started + 1);
  g_assert_cmpuint (count_traffic (f, watch, after_call, WPI_TRAFFIC_DIRECTION_IN, "solicited"), ==, 1);
  g_assert_false (wpi_sim_phone_get_pending_solicited (watch->phone));
  g_assert_false (wpi_sim_phone_get_in_flow (watch->phone));
  /* job 1 first, then job 2, closed with a plain CleanUp */
  writes = sent_messages (f, watch, after_call, "WriteItems");
  g_assert_cmpuint (writes->len, ==, 2);
  g_assert_cmpstr (wpi_message_find_item (g_ptr_array_index (writes, 0), "key-label", 1)->value, ==, "First");
  g_assert_cmpstr (wpi_message_find_item (g_ptr_array_index (writes, 1), "key-label", 1)->value, ==, "Second");
  g_assert_cmpuint (count_send_solicited (f, watch, after_call), ==, 0);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "key-label", 1), ==, "Second");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "hot-line-warm-line-digits", -1), ==, "112");
  assert_store_mirrors_phone (f, watch);
}

/* ---------------------------------------------------------------------------------------- */
/* §7.7 restart, §7.8 factory reset                                                         */

static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(WpiJobRecord) job = NULL;
  gint64 id, mark;

  phone_register (watch);
  mark = last_traffic_id (f);
  id = enqueue (f, watch, WPI_JOB_KIND_RESTART, NULL);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);
  /* Restart ends the flow without a reply; the phone reboots and starts up */
  wait_flows_since (watch, 1, 2);
  g_assert_true (watch->rebooted);
  g_assert_cmpstr (g_ptr_array_index (watch->reasons, 1), ==, "solicited");
  g_assert_cmpstr (g_ptr_array_index (watch->details, 1), ==, "Restart");
  g_assert_cmpstr (g_ptr_array_index (watch->reasons, 2), ==, "start-up");
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_OUT, "Restart"), ==, 1);
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_IN, "start-up"), ==, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
}

typedef struct {
  Watch      *watch;
  const char *reason;
  guint       target;
} ReasonWait;

static guint
count_reason (Watch      *watch,
              const char *reason)
{
  guint n = 0;

  for (guint i = 0; i < watch->reasons->len; i++)
    if (g_str_equal (g_ptr_array_index (watch->reasons, i), reason))
      n++;
  return n;
}

static gboolean
reason_seen (gpointer data)
{
  ReasonWait *wait = data;

  return count_reason (wait->watch, wait->reason) >= wait->target;
}

static void
test_factory_reset (Fixture       *f,
                    gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) write = NULL;
  g_autoptr(WpiJobRecord) reset = NULL;
  g_autoptr(GPtrArray) restarts = NULL;
  g_autofree char *auto_answer = NULL;
  g_autofree char *label = NULL;
  ReasonWait wait = { watch, "start-up", 2 };
  gint64 id, mark;

  phone_register (watch);
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  wpi_store_item_array_add (items, "key-label", TRUE, 2, "Sales");
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);
  write = job_wait (f, id, WPI_JOB_STATE_DONE);
  auto_answer = stored (f, watch, "auto-answer", -1);
  g_assert_cmpstr (auto_answer, ==, "true");

  mark = last_traffic_id (f);
  id = enqueue (f, watch, WPI_JOB_KIND_FACTORY_RESET, NULL);
  reset = job_wait (f, id, WPI_JOB_STATE_DONE);
  restarts = sent_messages (f, watch, mark, "Restart");
  g_assert_cmpuint (restarts->len, ==, 1);
  g_assert_cmpstr (wpi_message_get_item_value (g_ptr_array_index (restarts, 0), "restart-type"), ==,
                   "FactoryReset");
  g_assert_cmpstr (wpi_message_get_item_value (g_ptr_array_index (restarts, 0), "restart-password"), ==,
                   "124816");

  /* the start-up after the reset says its configuration changed; the service reads it all */
  wait_until (reason_seen, &wait, "the start-up after the factory reset");
  g_assert_true (watch->rebooted);
  g_assert_cmpstr (last_detail (watch), ==, "ReadAllItems,CleanUp");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "false");
  g_clear_pointer (&auto_answer, g_free);
  auto_answer = stored (f, watch, "auto-answer", -1);
  label = stored (f, watch, "key-label", 2);
  g_assert_cmpstr (auto_answer, ==, "false");
  g_assert_cmpstr (label, !=, "Sales");
  assert_store_mirrors_phone (f, watch);
}

/* ---------------------------------------------------------------------------------------- */
/* §7.13 fragmentation                                                                      */

static void
test_phone_fragments_max_items (Fixture       *f,
                                gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, 5);
  g_autoptr(GPtrArray) records = NULL;
  guint n_items, replies = 0;

  phone_register (watch);
  n_items = wpi_sim_phone_get_n_items (watch->phone) - 2;
  g_assert_cmpuint (count_traffic (f, watch, 0, WPI_TRAFFIC_DIRECTION_OUT, "GetNextFragment"), ==,
                    (n_items + 4) / 5 - 1);
  records = traffic (f, watch);
  for (guint i = 0; i < records->len; i++)
    {
      WpiTrafficRecord *record = g_ptr_array_index (records, i);

      if (!traffic_is (record, WPI_TRAFFIC_DIRECTION_IN, "reply-to"))
        continue;
      replies++;
      g_assert_cmpint (record->item_count, <=, 5);
    }
  g_assert_cmpuint (replies, ==, (n_items + 4) / 5);
  /* applied once, when the final fragment came (D13) */
  assert_store_mirrors_phone (f, watch);
}

static void
test_phone_fragments_large (Fixture       *f,
                            gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *value = NULL;
  g_autofree char *seventh = NULL;
  guint fragments = 0;
  gint64 total = 0;

  /* fifteen alert texts of 14,000 characters: a ReadAllItems reply of over 200 kB */
  for (guint i = 1; i <= 15; i++)
    {
      g_autofree char *text = g_strnfill (14000, 'a' + i);

      g_assert_true (wpi_sim_phone_set_item (watch->phone, "alert", i, text, &error));
      g_assert_no_error (error);
    }
  phone_register (watch);

  records = traffic (f, watch);
  for (guint i = 0; i < records->len; i++)
    {
      WpiTrafficRecord *record = g_ptr_array_index (records, i);

      if (!traffic_is (record, WPI_TRAFFIC_DIRECTION_IN, "reply-to"))
        continue;
      fragments++;
      total += record->size;
      g_assert_cmpint (record->size, <=, 50000);
    }
  g_test_message ("ReadAllItems reply: %" G_GINT64_FORMAT " bytes in %u fragments", total, fragments);
  g_assert_cmpint (total, >=, 200000);
  g_assert_cmpuint (fragments, >=, 5);
  g_assert_cmpuint (count_traffic (f, watch, 0, WPI_TRAFFIC_DIRECTION_OUT, "GetNextFragment"), ==,
                    fragments - 1);
  seventh = stored (f, watch, "alert", 7);
  value = g_strnfill (14000, 'a' + 7);
  g_assert_cmpstr (seventh, ==, value);
  assert_store_mirrors_phone (f, watch);
}

/* D12: a multiple-file deployment to a phone with maxItems 5 goes out in several messages,
 * each holding whole files (the file-* items of one index never split). */
static void
test_service_fragments_files (Fixture       *f,
                              gconstpointer  data)
{
  static const struct { const char *name; const char *type; gsize size; } files[] = {
    { "logo.png", "LOGO", 3000 },
    { "ring.wav", "RINGTONE", 40000 },
    { "hold.mp3", "MOH", 120000 },
  };
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, 5);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(WpiJobRecord) read = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 id, mark;

  phone_register (watch);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *url = file_url (f, files[i].name);

      write_file (f, files[i].name, files[i].size);
      wpi_store_item_array_add (items, "file-https-base-url", TRUE, i + 1, url);
      wpi_store_item_array_add (items, "file-type", TRUE, i + 1, files[i].type);
      wpi_store_item_array_add (items, "file-name", TRUE, i + 1, files[i].name);
      wpi_store_item_array_add (items, "file-action", TRUE, i + 1, "deploy");
    }
  mark = last_traffic_id (f);
  id = enqueue (f, watch, WPI_JOB_KIND_FILE_DEPLOYMENT, items);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);

  messages = sent_messages (f, watch, mark, "FileDeployment");
  g_assert_cmpuint (messages->len, ==, G_N_ELEMENTS (files));
  for (guint i = 0; i < messages->len; i++)
    {
      WpiMessage *message = g_ptr_array_index (messages, i);
      const WpiItem *head = wpi_message_get_item (message, 0);

      g_assert_cmpuint (wpi_message_get_n_items (message), <=, 5);
      g_assert_cmpuint (wpi_message_get_n_items (message), ==, 4);
      g_assert_true (head->has_index);
      g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (head->index)));
      g_hash_table_add (seen, GINT_TO_POINTER (head->index));
      for (guint j = 0; j < wpi_message_get_n_items (message); j++)
        g_assert_cmpint (wpi_message_get_item (message, j)->index, ==, head->index);
    }

  /* the phone fetched every file from the service itself */
  wait_downloads (watch, G_N_ELEMENTS (files));
  g_assert_cmpuint (watch->n_downloads_ok, ==, G_N_ELEMENTS (files));
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    g_assert_true (phone_has_file (watch, files[i].name, files[i].type, files[i].size));

  /* R22: the inventory in a ReadAllItems lists them (under maxItems 5: in fragments) */
  read = job_wait (f, enqueue (f, watch, WPI_JOB_KIND_READ_ALL, NULL), WPI_JOB_STATE_DONE);
  /* in the order the downloads ended, which the concurrent downloads do not fix */
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *name = stored (f, watch, "file-deployment-name", i + 1);
      g_autofree char *status = stored (f, watch, "file-deployment-status", i + 1);

      g_assert_nonnull (name);
      g_assert_true (g_hash_table_add (listed, g_steal_pointer (&name)));
      g_assert_cmpstr (status, ==, "ok");
    }
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    g_assert_true (g_hash_table_contains (listed, files[i].name));
}

/* ---------------------------------------------------------------------------------------- */
/* §7.2 local changes, both firmware variants                                               */

static void
test_local_changes (Fixture       *f,
                    gconstpointer  data)
{
  Watch *old = phone_add (f, WPI_SIM_FIRMWARE_V1, -1);
  Watch *attaching = phone_add (f, WPI_SIM_FIRMWARE_V2R2, -1);
  g_autoptr(GError) error = NULL;
  g_autofree char *old_value = NULL;
  g_autofree char *new_value = NULL;
  gint64 mark;

  phone_register (old);
  phone_register (attaching);
  mark = last_traffic_id (f);

  /* up to V2R1: only the flag; the service reads everything */
  g_assert_true (wpi_sim_phone_change_item_locally (old->phone, "auto-answer", -1, "true", &error));
  g_assert_no_error (error);
  wait_flows_since (old, 1, 1);
  g_assert_cmpstr (last_reason (old), ==, "local-changes");
  g_assert_cmpstr (last_detail (old), ==, "ReadAllItems,CleanUp");
  old_value = stored (f, old, "auto-answer", -1);
  g_assert_cmpstr (old_value, ==, "true");
  g_assert_cmpuint (count_traffic (f, old, mark, WPI_TRAFFIC_DIRECTION_OUT, "ReadAllItems"), ==, 1);
  assert_store_mirrors_phone (f, old);
  /* the service knows everything now: the flag is clear again */
  g_assert_cmpstr (wpi_sim_phone_get_item (old->phone, "configuration-changed-flag", -1), ==, "false");

  /* V2R2 and later: the changed items travel with the report, no read needed */
  g_assert_true (wpi_sim_phone_change_item_locally (attaching->phone, "hot-line-warm-line-digits", -1,
                                                    "0815", &error));
  g_assert_no_error (error);
  wait_flows_since (attaching, 1, 1);
  g_assert_cmpstr (last_reason (attaching), ==, "local-changes");
  g_assert_cmpstr (last_detail (attaching), ==, "CleanUp");
  new_value = stored (f, attaching, "hot-line-warm-line-digits", -1);
  g_assert_cmpstr (new_value, ==, "0815");
  g_assert_cmpuint (count_traffic (f, attaching, mark, WPI_TRAFFIC_DIRECTION_OUT, "ReadAllItems"), ==, 0);
  g_assert_cmpuint (count_traffic (f, attaching, mark, WPI_TRAFFIC_DIRECTION_IN, "local-changes"), ==, 1);
  assert_store_mirrors_phone (f, attaching);
}

/* ---------------------------------------------------------------------------------------- */
/* §7.9 file deployment, §7.10 software deployment                                          */

static void
test_file_deployment_single (Fixture       *f,
                             gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(GArray) missing = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(WpiJobRecord) failed = NULL;
  g_autofree char *url = file_url (f, "logo.png");
  g_autofree char *missing_url = file_url (f, "missing.wav");
  g_autofree char *status = NULL;
  gint64 id, mark;

  phone_register (watch);
  write_file (f, "logo.png", 70000);
  wpi_store_item_array_add (items, "file-https-base-url", FALSE, 0, url);
  wpi_store_item_array_add (items, "file-type", FALSE, 0, "LOGO");
  wpi_store_item_array_add (items, "file-username", FALSE, 0, "phone");
  mark = last_traffic_id (f);
  id = enqueue (f, watch, WPI_JOB_KIND_FILE_DEPLOYMENT, items);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);

  /* FileDeployment, the download, then `status` in the same flow */
  wait_flows_since (watch, 1, 1);
  g_assert_cmpstr (last_detail (watch), ==, "FileDeployment,CleanUp");
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_IN, "status"), ==, 1);
  g_assert_true (phone_has_file (watch, "logo.png", "LOGO", 70000));
  g_assert_cmpstr (job_item (job, "file-deployment-status", -1)->value, ==, "ok");
  g_assert_cmpstr (job_item (job, "file-deployment-name", -1)->value, ==, "logo.png");
  status = stored (f, watch, "file-deployment-status", -1);
  g_assert_cmpstr (status, ==, "ok");

  /* a file the service does not have: status failed, the job fails with the file's name */
  wpi_store_item_array_add (missing, "file-https-base-url", FALSE, 0, missing_url);
  wpi_store_item_array_add (missing, "file-type", FALSE, 0, "RINGTONE");
  id = enqueue (f, watch, WPI_JOB_KIND_FILE_DEPLOYMENT, missing);
  failed = job_wait (f, id, WPI_JOB_STATE_FAILED);
  g_assert_nonnull (strstr (failed->failure_reason, "missing.wav"));
}

static void
test_file_deployment_multiple (Fixture       *f,
                               gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V2R2, -1);
  g_autoptr(GArray) deploy = wpi_store_item_array_new ();
  g_autoptr(GArray) remove = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(WpiJobRecord) removed = NULL;
  g_autoptr(GPtrArray) messages = NULL;
  g_autofree char *logo = file_url (f, "logo2.png");
  g_autofree char *ring = file_url (f, "ring2.wav");
  gint64 id, mark;

  phone_register (watch);
  write_file (f, "logo2.png", 1000);
  write_file (f, "ring2.wav", 200000);
  wpi_store_item_array_add (deploy, "file-https-base-url", TRUE, 1, logo);
  wpi_store_item_array_add (deploy, "file-type", TRUE, 1, "LOGO");
  wpi_store_item_array_add (deploy, "file-action", TRUE, 1, "deploy");
  wpi_store_item_array_add (deploy, "file-https-base-url", TRUE, 2, ring);
  wpi_store_item_array_add (deploy, "file-type", TRUE, 2, "RINGTONE");
  wpi_store_item_array_add (deploy, "file-action", TRUE, 2, "deploy");
  mark = last_traffic_id (f);
  id = enqueue (f, watch, WPI_JOB_KIND_FILE_DEPLOYMENT, deploy);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);
  /* one message, accepted; no status (p.55): the service reads the inventory */
  messages = sent_messages (f, watch, mark, "FileDeployment");
  g_assert_cmpuint (messages->len, ==, 1);
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_IN, "status"), ==, 0);
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_OUT, "ReadAllItems"), ==, 1);

  wait_downloads (watch, 2);
  g_assert_cmpuint (watch->n_downloads_ok, ==, 2);
  g_assert_true (phone_has_file (watch, "logo2.png", "LOGO", 1000));
  g_assert_true (phone_has_file (watch, "ring2.wav", "RINGTONE", 200000));

  /* delete one by (name, type), mixed with nothing else */
  wpi_store_item_array_add (remove, "file-name", TRUE, 1, "logo2.png");
  wpi_store_item_array_add (remove, "file-type", TRUE, 1, "LOGO");
  wpi_store_item_array_add (remove, "file-action", TRUE, 1, "delete");
  id = enqueue (f, watch, WPI_JOB_KIND_FILE_DEPLOYMENT, remove);
  removed = job_wait (f, id, WPI_JOB_STATE_DONE);
  g_assert_cmpuint (wpi_sim_phone_get_n_files (watch->phone), ==, 1);
  g_assert_true (phone_has_file (watch, "ring2.wav", "RINGTONE", 200000));
  /* the verification read after the deletion left the store with the phone's inventory */
  {
    g_autofree char *name = stored (f, watch, "file-deployment-name", 1);
    g_assert_cmpstr (name, ==, "ring2.wav");
    g_assert_null (stored (f, watch, "file-deployment-name", 2));
  }
}

static void
test_software_deployment (Fixture       *f,
                          gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V1, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(WpiPhoneRecord) record = NULL;
  g_autofree char *url = file_url (f, "OS_60_SIP_V3_R5_12_0.img");
  ReasonWait wait = { watch, "start-up", 2 };
  gint64 id;

  phone_register (watch);
  write_file (f, "OS_60_SIP_V3_R5_12_0.img", 300000);
  wpi_store_item_array_add (items, "file-https-base-url", FALSE, 0, url);
  wpi_store_item_array_add (items, "file-type", FALSE, 0, "APP");
  wpi_store_item_array_add (items, "file-sw-type", FALSE, 0, "Siemens SIP");
  wpi_store_item_array_add (items, "file-sw-version", FALSE, 0, "3.5.12.0");
  wpi_store_item_array_add (items, "file-priority", FALSE, 0, "normal");
  id = enqueue (f, watch, WPI_JOB_KIND_SOFTWARE_DEPLOYMENT, items);

  /* accepted, downloaded, rebooted into the new version: done at its start-up */
  job = job_wait (f, id, WPI_JOB_STATE_DONE);
  wait_until (reason_seen, &wait, "the start-up with the new firmware");
  g_assert_true (watch->rebooted);
  g_assert_cmpuint (watch->n_downloads_ok, ==, 1);
  g_assert_cmpstr (wpi_sim_phone_get_software_version (watch->phone), ==, "V3 R5.12.0");
  record = stored_phone (f, watch);
  g_assert_cmpstr (record->firmware, ==, "V3 R5.12.0");
}

/* ---------------------------------------------------------------------------------------- */
/* §7.14 polling, the phone's clean-up                                                      */

static void
test_polling (Fixture       *f,
              gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job = NULL;
  gint64 id;

  /* behind NAT: no contact-me ever arrives, the phone polls */
  g_object_set (watch->phone, "ignore-contact-ratio", 1.0, "poll-interval", 0.2, NULL);
  phone_register (watch);
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);
  job = job_wait (f, id, WPI_JOB_STATE_DONE);
  wait_flows_since (watch, 1, 1);
  g_assert_cmpstr (last_reason (watch), ==, "solicited");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
}

static void
test_phone_clean_up (Fixture       *f,
                     gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) aborted = NULL;
  g_autoptr(WpiJobRecord) done = NULL;
  gint64 id, mark;

  phone_register (watch);
  mark = last_traffic_id (f);
  wpi_sim_phone_abort_next_action (watch->phone, "user cancelled");
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);
  aborted = job_wait (f, id, WPI_JOB_STATE_FAILED);
  g_assert_cmpstr (aborted->failure_reason, ==, "the phone ended the interaction: user cancelled");
  wait_flows_since (watch, 1, 1);
  g_assert_cmpstr (last_detail (watch), ==, "WriteItems,clean-up,CleanUp");
  g_assert_cmpuint (count_traffic (f, watch, mark, WPI_TRAFFIC_DIRECTION_IN, "clean-up"), ==, 1);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "false");

  /* the phone is not harmed: the same write again lands */
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);
  done = job_wait (f, id, WPI_JOB_STATE_DONE);
  wait_ok_flow (watch, "solicited", 2);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
}

/* ---------------------------------------------------------------------------------------- */
/* D5 bad input, while a real phone is registered                                           */

static guint
send_raw (Fixture    *f,
          const char *method,
          const char *path,
          const char *body,
          gsize       length)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autofree char *uri = g_strdup_printf ("%s%s", f->service_uri, path);
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, length) : NULL;
  g_autoptr(TestUtilReply) reply = test_util_https_request (session, method, uri, bytes, NULL, NULL);

  g_assert_no_error (reply->error);
  if (reply->status >= 400)
    g_assert_cmpuint (g_bytes_get_size (reply->body), ==, 0);
  return reply->status;
}

/* The body as a stream of unknown length: libsoup sends it chunked */
static guint
send_chunked (Fixture    *f,
              const char *body)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autofree char *uri = g_strdup_printf ("%s%s", f->service_uri, WPI_SERVICE_PATH);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", uri);
  g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (g_strdup (body), -1, g_free);
  g_autoptr(TestUtilReply) reply = NULL;

  soup_message_set_request_body (msg, "text/xml", stream, -1);
  reply = test_util_https_send (session, msg);
  g_assert_no_error (reply->error);
  g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_request_headers (msg), "Transfer-Encoding"),
                   ==, "chunked");
  return reply->status;
}

static char *
phone_message_xml (Watch      *watch,
                   const char *opening,
                   guint       depth,
                   guint       n_items)
{
  GString *xml = g_string_new ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");

  g_string_append_printf (xml, "%s<WorkpointMessage xmlns=\"http://www.siemens.com/DLS\">"
                          "<Message nonce=\"0123456789ABCDEF0123456789ABCDEF\" maxItems=\"-1\">"
                          "<ReasonForContact>start-up</ReasonForContact><ItemList>"
                          "<Item name=\"mac-addr\">%s</Item><Item name=\"e164\">666</Item>",
                          opening ? opening : "", mac_of (watch));
  for (guint i = 0; i < n_items; i++)
    g_string_append_printf (xml, "<Item name=\"key-label\" index=\"%u\">x</Item>", i % 9 + 1);
  /* elements the protocol does not define are skipped, but not at any depth */
  for (guint i = 0; i < depth; i++)
    g_string_append (xml, "<Extension>");
  for (guint i = 0; i < depth; i++)
    g_string_append (xml, "</Extension>");
  g_string_append (xml, "</ItemList></Message></WorkpointMessage>");
  return g_string_free (xml, FALSE);
}

/* Posts each body the service must refuse with 400 (protocol.md §3, D20); the last one
 * stays in *reply_to for a chunked try. Their number. */
static guint
post_refused_bodies (Fixture  *f,
                     Watch    *watch,
                     char    **reply_to)
{
  g_autofree char *entity = phone_message_xml (watch, "<!DOCTYPE WorkpointMessage [<!ENTITY e \"666\">]>",
                                               0, 0);
  g_autofree char *dtd = phone_message_xml (watch, "<!DOCTYPE WorkpointMessage SYSTEM \"file:///etc/passwd\">",
                                            0, 0);
  g_autofree char *deep = phone_message_xml (watch, NULL, 17, 0);
  g_autofree char *many = phone_message_xml (watch, NULL, 0, WPI_MAX_ITEMS + 1);
  g_autofree char *reply = g_strdup ("<WorkpointMessage xmlns=\"http://www.siemens.com/DLS\">"
                                     "<Message nonce=\"0123456789ABCDEF0123456789ABCDEF\" fragment=\"final\">"
                                     "<ReasonForContact action=\"ReadAllItems\" status=\"accepted\">reply-to"
                                     "</ReasonForContact><ItemList><Item name=\"e164\">666</Item></ItemList>"
                                     "</Message></WorkpointMessage>");
  const struct { const char *what; const char *body; guint status; } cases[] = {
    { "malformed XML", "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>start-up", 400 },
    { "wrong root", "<DLSMessage xmlns=\"http://www.siemens.com/DLS\"><Message nonce=\"1\">"
                    "<Action>CleanUp</Action></Message></DLSMessage>", 400 },
    { "no nonce", "<WorkpointMessage><Message><ReasonForContact>start-up</ReasonForContact>"
                  "</Message></WorkpointMessage>", 400 },
    { "empty body", "", 400 },
    { "entity declaration", entity, 400 },
    { "DTD", dtd, 400 },
    { "nesting deeper than 16", deep, 400 },
    { "more than 10,000 items", many, 400 },
    { "reply-to without a session", reply, 400 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint status = send_raw (f, "POST", WPI_SERVICE_PATH, cases[i].body, strlen (cases[i].body));

      g_test_message ("%s: HTTP %u", cases[i].what, status);
      g_assert_cmpuint (status, ==, cases[i].status);
    }
  *reply_to = g_steal_pointer (&reply);
  return G_N_ELEMENTS (cases);
}

/* The service's one phone is the watched one, and its n_items items are as they were */
static void
assert_phone_unchanged (Fixture *f,
                        Watch   *watch,
                        guint    n_items)
{
  g_autoptr(WpiPhoneRecord) phone = stored_phone (f, watch);
  g_autoptr(GArray) items = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (wpi_service_get_phones (f->service)), ==, 1);
  g_assert_cmpstr (phone->e164, ==, wpi_sim_phone_get_e164 (watch->phone));
  items = wpi_store_phone_items_list (f->store, mac_of (watch), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, n_items);
  assert_store_mirrors_phone (f, watch);
}

/* The traffic log after mark: n messages, each with the error it was refused for */
static void
assert_refusals_logged (Fixture *f,
                        gint64   mark,
                        guint    n)
{
  g_autoptr(GPtrArray) logged = NULL;
  g_autoptr(GError) error = NULL;
  gint64 first_id, last_id;

  g_assert_true (wpi_store_traffic_get_bounds (f->store, &first_id, &last_id, &error));
  logged = wpi_store_traffic_get_range (f->store, mark + 1, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (logged->len, ==, n);
  for (guint i = 0; i < logged->len; i++)
    {
      WpiTrafficRecord *record = g_ptr_array_index (logged, i);

      g_assert_nonnull (record->error_text);
      g_test_message ("logged: %s", record->error_text);
    }
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(GArray) before = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  g_autofree char *reply_to = NULL;
  gint64 mark;
  guint n_refused;
  GError *error = NULL;

  phone_register (watch);
  before = wpi_store_phone_items_list (f->store, mac_of (watch), &error);
  g_assert_no_error (error);
  mark = last_traffic_id (f);
  n_refused = post_refused_bodies (f, watch, &reply_to);

  /* over 1 MiB: 413 */
  {
    g_autofree char *huge = g_strnfill (WPI_MAX_BODY_BYTES + 100, ' ');

    g_assert_cmpuint (send_raw (f, "POST", WPI_SERVICE_PATH, huge, strlen (huge)), ==, 413);
  }
  /* a chunked body, even a good one: its size is unknown until read, 411 */
  g_assert_cmpuint (send_chunked (f, reply_to), ==, 411);
  /* D1: other methods and paths */
  g_assert_cmpuint (send_raw (f, "GET", WPI_SERVICE_PATH, NULL, 0), ==, 405);
  g_assert_cmpuint (send_raw (f, "PUT", WPI_SERVICE_PATH, "x", 1), ==, 405);
  g_assert_cmpuint (send_raw (f, "POST", "/provisioningService", "<x/>", 4), ==, 404);

  /* nothing changed: the same phone, the same items */
  assert_phone_unchanged (f, watch, before->len);

  /* ... but the traffic log holds every refused message with the precise error */
  assert_refusals_logged (f, mark, n_refused + 2);

  /* and the phone is served as before */
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  job = job_wait (f, enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items), WPI_JOB_STATE_DONE);
  wait_ok_flow (watch, "solicited", 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Clients that are no phones: silent connections and garbage on the TLS port               */

static GSocketConnection *
connect_raw (Fixture *f)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection = g_socket_client_connect_to_host (client, "127.0.0.1", f->port,
                                                                   NULL, &error);

  g_assert_no_error (error);
  return connection;
}

/* More silent connections than GLib has handshake threads, and plain-text garbage: a phone
 * still registers, the garbage is closed as it arrives and never reaches the traffic log. */
static void
test_abusive_clients (Fixture       *f,
                      gconstpointer  data)
{
  static const char plain_http[] = "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  /* reads as the start of a 32 kB SSLv2 record: a handshake would wait for the rest */
  static const char long_record[] = "\x80\xff\x02\x03\x00garbage";
  Watch *watch = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  g_autoptr(GPtrArray) silent = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) noisy = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 40; i++)
    g_ptr_array_add (silent, connect_raw (f));
  for (guint i = 0; i < 10; i++)
    {
      GSocketConnection *connection = connect_raw (f);
      const char *garbage = i % 2 ? plain_http : long_record;
      gsize length = i % 2 ? strlen (plain_http) : sizeof long_record - 1;

      g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                                garbage, length, NULL, NULL, &error));
      g_assert_no_error (error);
      g_ptr_array_add (noisy, connection);
    }

  phone_register (watch);
  assert_store_mirrors_phone (f, watch);
  g_assert_cmpint (wpi_store_traffic_count (f->store, NULL), ==, 4);

  /* the garbage went before the phone did: by now the service has hung up on all of it */
  for (guint i = 0; i < noisy->len; i++)
    {
      GSocket *socket = g_socket_connection_get_socket (g_ptr_array_index (noisy, i));
      char byte;
      gssize n;

      g_assert_cmpint (g_socket_condition_check (socket, G_IO_IN | G_IO_HUP), !=, 0);
      n = g_socket_receive (socket, &byte, 1, NULL, NULL);
      g_assert_cmpint (n, <=, 0);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Many phones at once through WpiSimulator                                                 */

static gboolean
simulator_registered (gpointer data)
{
  WpiSimulator *simulator = data;

  return wpi_simulator_get_flows_ok (simulator) >= wpi_simulator_get_n_phones (simulator);
}

/* The demo's phones listen on 127.1.x.y:8085. With the first of those addresses held by
 * another process (here the test; or some other run already), the demo moves to the next
 * free prefix instead of failing: two demos can run on one machine. */
static void
test_demo_address_in_use (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GInetAddress) first_phone = g_inet_address_new_from_string ("127.1.0.1");
  g_autoptr(GSocketAddress) contact = g_inet_socket_address_new (first_phone, 8085);
  g_autoptr(GSocket) holder = NULL;
  g_autoptr(WpiSimulator) demo = NULL;
  g_autoptr(WpiSimPhone) phone = NULL;
  g_autoptr(GError) error = NULL;
  gboolean held;

  holder = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  held = g_socket_bind (holder, contact, FALSE, &error);
  if (!held)
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
  else
    {
      g_socket_listen (holder, &error);
      g_assert_no_error (error);
    }
  g_clear_error (&error);

  demo = wpc_demo_start_simulator (wpi_service_get_store (f->service), wpi_service_get_port (f->service), 2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (demo);
  phone = g_list_model_get_item (wpi_simulator_get_phones (demo), 0);
  g_assert_true (g_str_has_prefix (wpi_sim_phone_get_contact_uri (phone), "http://127."));
  /* Held by another test's demo instead, the address may have come free meanwhile */
  if (held)
    g_assert_false (g_str_has_prefix (wpi_sim_phone_get_contact_uri (phone), "http://127.1.0.1:"));
  wait_until (simulator_registered, demo, "the demo's 2 registrations");

  wpi_simulator_stop (demo);
  wait_until (test_util_simulator_is_quiet, demo, "the demo phones to finish");
}

static void
test_simulator (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(WpiSimulator) simulator = wpi_simulator_new (f->service_uri, 20);
  g_autofree char *prefix = g_strdup_printf ("127.%u", 20 + getpid () % 60);
  g_autoptr(GPtrArray) phones = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (simulator, "bind-prefix", prefix, "firmware-mix", "v1,v2r2,v3r3",
                "base-mac", "00:1A:E8:30:00:01", "retry-seconds", 0.2, NULL);
  test_util_simulator_log_failures (simulator);
  g_assert_true (wpi_simulator_start (simulator, &error));
  g_assert_no_error (error);
  wait_until (simulator_registered, simulator, "20 registrations");
  g_assert_cmpuint (wpi_simulator_get_flows_failed (simulator), ==, 0);

  phones = wpi_store_phone_list (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (phones->len, ==, 20);
  for (guint i = 0; i < phones->len; i++)
    {
      WpiPhoneRecord *record = g_ptr_array_index (phones, i);
      WpiSimPhone *phone = wpi_simulator_lookup (simulator, record->mac);
      g_autoptr(GArray) items = wpi_store_phone_items_list (f->store, record->mac, &error);

      g_assert_nonnull (phone);
      g_assert_cmpstr (record->firmware, ==, wpi_sim_phone_get_software_version (phone));
      g_assert_cmpuint (items->len, ==, wpi_sim_phone_get_n_items (phone) - 2);
    }
  wpi_simulator_stop (simulator);
  wait_until (test_util_simulator_is_quiet, simulator, "the simulator to stop");
}

/* The headless service refuses a --contact-allow that is no address range (D19), a
 * negative --max-flows (D21) and a key log it cannot write (D30) before it opens anything. */
static void
test_headless_options (void)
{
  static const struct {
    const char *option;
    const char *value;
    const char *complaint;
  } cases[] = {
    { "--contact-allow", "127.0.0.0/33", "\"127.0.0.0/33\" is not an address range" },
    { "--contact-allow", "phones.example", "\"phones.example\" is not an address range" },
    { "--max-flows", "-1", "--max-flows" },
    { "--tls-keylog", "/dev/null/keys.log", "Cannot open the TLS key log /dev/null/keys.log" },
  };
  const char *program = g_getenv ("WPI_HEADLESS_SERVICE");

  if (program == NULL)
    {
      g_test_skip ("the headless service is not built (no GTK)");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *data_dir = test_util_make_tmp_dir ("wpi-options");
      const char *argv[] = { program, "--headless", "--data-dir", data_dir, "--bind", "127.0.0.1",
                             "--port", "0", "--contact-allow", "127.0.0.0/24",
                             cases[i].option, cases[i].value, NULL };
      g_autofree char *err = NULL;

      g_test_message ("%s %s", cases[i].option, cases[i].value);
      g_assert_cmpint (test_util_run (argv, NULL, NULL, &err), ==, 1);
      g_assert_nonnull (strstr (err, cases[i].complaint));
      test_util_remove_tree (data_dir);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* kill -9 of the headless service in mid-flow, and a clean restart                         */

static void
headless_start (Fixture *f)
{
  g_free (f->child_log);
  f->child_log = g_strdup_printf ("%s/headless-%u.log", f->data_dir, ++f->n_runs);
  f->child = test_util_headless_spawn (g_getenv ("WPI_HEADLESS_SERVICE"), f->data_dir, f->port,
                                       f->secure_port, f->child_log, &f->child_exited);
  test_util_headless_wait_serving (f->child_log, f->port, &f->child_exited, WAIT_SECONDS * 1000);
}

static gboolean
child_gone (gpointer data)
{
  return ((Fixture *) data)->child_exited;
}

static void
headless_kill (Fixture *f)
{
  g_subprocess_send_signal (f->child, SIGKILL);
  wait_until (child_gone, f, "the service to die");
  g_assert_true (g_subprocess_get_if_signaled (f->child));
  g_assert_cmpint (g_subprocess_get_term_sig (f->child), ==, SIGKILL);
  g_clear_object (&f->child);
}

typedef struct {
  Fixture    *f;
  Watch      *watch;
  gint64      after;
  const char *action;
  guint       target;
} TrafficWait;

static gboolean
traffic_seen (gpointer data)
{
  TrafficWait *wait = data;

  return count_traffic (wait->f, wait->watch, wait->after, WPI_TRAFFIC_DIRECTION_OUT, wait->action)
         >= wait->target;
}

static void
assert_flow_cut (Fixture *f,
                 Watch   *watch,
                 gint64   after)
{
  g_autoptr(GPtrArray) records = traffic (f, watch);
  WpiTrafficRecord *last = g_ptr_array_index (records, records->len - 1);

  /* the kill came in mid-flow: nothing of it was closed */
  g_assert_cmpint (last->id, >, after);
  g_assert_cmpstr (last->action, !=, "CleanUp");
}

static void
test_kill_restart (Fixture       *f,
                   gconstpointer  data)
{
  Watch *a, *b;
  g_autoptr(GArray) first = wpi_store_item_array_new ();
  g_autoptr(GArray) busy_write = wpi_store_item_array_new ();
  g_autoptr(GArray) big_write = wpi_store_item_array_new ();
  g_autoptr(WpiJobRecord) job1 = NULL;
  g_autoptr(WpiJobRecord) job2 = NULL;
  g_autoptr(WpiJobRecord) job3 = NULL;
  g_autoptr(GArray) a_items = NULL;
  g_autoptr(GArray) a_after = NULL;
  g_autoptr(GError) error = NULL;
  TrafficWait cut = { f, NULL, 0, NULL, 0 };
  g_autofree char *value = NULL;
  gint64 id1, id2, id3, mark;
  guint finished;

  if (g_getenv ("WPI_HEADLESS_SERVICE") == NULL)
    {
      g_test_skip ("the headless service is not built (no GTK)");
      return;
    }

  f->port = test_util_free_port ();
  f->secure_port = test_util_free_port ();
  f->service_uri = g_strdup_printf ("https://127.0.0.1:%u", f->port);
  headless_start (f);
  f->store = wpi_store_open (f->data_dir, &error);
  g_assert_no_error (error);

  /* a phone registers and a write job completes: all of it acknowledged */
  a = phone_add (f, WPI_SIM_FIRMWARE_V3R3, -1);
  phone_register (a);
  wpi_store_item_array_add (first, "auto-answer", FALSE, 0, "true");
  wpi_store_item_array_add (first, "key-label", TRUE, 4, "Before the kill");
  id1 = enqueue (f, a, WPI_JOB_KIND_WRITE_ITEMS, first);
  job1 = job_wait (f, id1, WPI_JOB_STATE_DONE);

  /* a second write waits for the end of a call */
  wpi_sim_phone_set_in_call (a->phone, TRUE);
  wpi_store_item_array_add (busy_write, "hot-line-warm-line-digits", FALSE, 0, "4711");
  id2 = enqueue (f, a, WPI_JOB_KIND_WRITE_ITEMS, busy_write);
  job2 = job_wait (f, id2, WPI_JOB_STATE_WAITING_BUSY);
  a_items = wpi_store_phone_items_list (f->store, mac_of (a), &error);
  g_assert_no_error (error);

  /* kill 1: a new phone is half-way through its ReadAllItems in fragments of 5 */
  b = phone_add (f, WPI_SIM_FIRMWARE_V2R2, 5);
  mark = last_traffic_id (f);
  g_assert_true (wpi_sim_phone_start (b->phone, &error));
  g_assert_no_error (error);
  cut.watch = b;
  cut.after = mark;
  cut.action = "GetNextFragment";
  cut.target = 5;
  wait_until (traffic_seen, &cut, "the new phone's fragments");
  headless_kill (f);
  g_assert_true (wpi_store_check_integrity (f->store, &error));
  g_assert_no_error (error);
  assert_flow_cut (f, b, mark);

  /* nothing acknowledged is lost */
  g_clear_pointer (&job1, wpi_job_record_free);
  job1 = job_get (f, id1);
  g_assert_cmpint (job1->state, ==, WPI_JOB_STATE_DONE);
  g_clear_pointer (&job2, wpi_job_record_free);
  job2 = job_get (f, id2);
  g_assert_cmpint (job2->state, ==, WPI_JOB_STATE_WAITING_BUSY);
  a_after = wpi_store_phone_items_list (f->store, mac_of (a), &error);
  g_assert_cmpuint (a_after->len, ==, a_items->len);
  value = stored (f, a, "key-label", 4);
  g_assert_cmpstr (value, ==, "Before the kill");

  /* restart on the same directory and ports: the new phone registers in full, the busy
   * phone's write lands after its call */
  finished = b->n_finished;
  headless_start (f);
  wait_ok_flow (b, "start-up", finished);
  assert_store_mirrors_phone (f, b);
  wpi_sim_phone_set_in_call (a->phone, FALSE);
  g_clear_pointer (&job2, wpi_job_record_free);
  job2 = job_wait (f, id2, WPI_JOB_STATE_DONE);
  g_assert_cmpstr (wpi_sim_phone_get_item (a->phone, "hot-line-warm-line-digits", -1), ==, "4711");

  /* kill 2: a write of 60 items in 12 messages is half-way through */
  g_object_set (a->phone, "max-items", (gint64) 5, NULL);
  for (guint i = 1; i <= 9; i++)
    {
      g_autofree char *label = g_strdup_printf ("Key %u", i);
      g_autofree char *uri = g_strdup_printf ("sip:%u@example.net", 100 + i);

      wpi_store_item_array_add (big_write, "key-label", TRUE, i, label);
      wpi_store_item_array_add (big_write, "key-label-unicode", TRUE, i, label);
      wpi_store_item_array_add (big_write, "line-sip-uri", TRUE, i, uri);
      wpi_store_item_array_add (big_write, "key-label", TRUE, 300 + i, label);
      wpi_store_item_array_add (big_write, "key-label-unicode", TRUE, 300 + i, label);
      wpi_store_item_array_add (big_write, "key-label", TRUE, 1000 + i, label);
    }
  mark = last_traffic_id (f);
  id3 = enqueue (f, a, WPI_JOB_KIND_WRITE_ITEMS, big_write);
  cut.watch = a;
  cut.after = mark;
  cut.action = "WriteItems";
  cut.target = 3;
  wait_until (traffic_seen, &cut, "the write's first messages");
  headless_kill (f);
  g_assert_true (wpi_store_check_integrity (f->store, &error));
  g_assert_no_error (error);
  assert_flow_cut (f, a, mark);
  job3 = job_get (f, id3);
  g_assert_false (wpi_job_state_is_final (job3->state));

  /* after the restart the interrupted job runs again, to the end */
  finished = a->n_finished;
  headless_start (f);
  g_clear_pointer (&job3, wpi_job_record_free);
  job3 = job_wait (f, id3, WPI_JOB_STATE_DONE);
  wait_ok_flow (a, "solicited", finished);
  g_assert_cmpuint (count_traffic (f, a, mark, WPI_TRAFFIC_DIRECTION_OUT, "WriteItems"), >=,
                    3 + (big_write->len + 4) / 5);
  for (guint i = 0; i < big_write->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (big_write, WpiStoreItem, i);
      g_autofree char *now = stored (f, a, item->name, item->index);

      g_assert_cmpstr (wpi_sim_phone_get_item (a->phone, item->name, item->index), ==, item->value);
      g_assert_cmpstr (now, ==, item->value);
    }
  g_clear_pointer (&value, g_free);
  value = stored (f, a, "auto-answer", -1);
  g_assert_cmpstr (value, ==, "true");

  /* and it stops cleanly */
  g_subprocess_send_signal (f->child, SIGTERM);
  wait_until (child_gone, f, "the service to stop");
  g_assert_true (g_subprocess_get_if_exited (f->child));
  g_assert_cmpint (g_subprocess_get_exit_status (f->child), ==, 0);
  g_clear_object (&f->child);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* phones trust any server; their requests queue so that the server's handshakes
   * always find a thread of this process */
  test_util_sim_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/integration/start-up/unknown-phone", test_start_up_unknown);
  ADD ("/integration/read/solicited", test_read_solicited);
  ADD ("/integration/write/item-failures", test_write_item_failures);
  ADD ("/integration/busy/send-solicited", test_busy_send_solicited);
  ADD ("/integration/busy/old-firmware", test_busy_old_firmware);
  ADD ("/integration/busy/multiple-jobs", test_busy_multiple_jobs);
  ADD ("/integration/restart", test_restart);
  ADD ("/integration/factory-reset", test_factory_reset);
  ADD ("/integration/fragments/phone-max-items", test_phone_fragments_max_items);
  ADD ("/integration/fragments/phone-large", test_phone_fragments_large);
  ADD ("/integration/fragments/service-file-groups", test_service_fragments_files);
  ADD ("/integration/local-changes", test_local_changes);
  ADD ("/integration/file-deployment/single", test_file_deployment_single);
  ADD ("/integration/file-deployment/multiple", test_file_deployment_multiple);
  ADD ("/integration/software-deployment", test_software_deployment);
  ADD ("/integration/polling", test_polling);
  ADD ("/integration/phone-clean-up", test_phone_clean_up);
  ADD ("/integration/bad-input", test_bad_input);
  ADD ("/integration/abusive-clients", test_abusive_clients);
  ADD ("/integration/simulator", test_simulator);
  ADD ("/integration/demo/address-in-use", test_demo_address_in_use);
  g_test_add_func ("/integration/headless/options", test_headless_options);
  g_test_add ("/integration/kill-restart", Fixture, GINT_TO_POINTER (1), fixture_set_up,
              test_kill_restart, fixture_tear_down);
#undef ADD

  return g_test_run ();
}
