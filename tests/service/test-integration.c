/* test-integration.c: the real service and real simulated phones, over real sockets and TLS
 *
 * Every flow of protocol.md §7 end to end: a WpiService on 127.0.0.1 (in this process, or the
 * headless workpoint-console as a subprocess for the kill -9 test) and WpiSimPhones that listen
 * for contact-me on their own 127.1.x.y addresses and connect from them. The test only queues
 * jobs and changes what a user would change on a phone; everything else is the protocol. Each
 * wait is for a condition with a deadline, never a fixed sleep. This part: the flows;
 * test-integration-service.c: bad input, abusive clients, the simulator and the demo, the
 * headless console (integration-fixture.c: the shared fixture).
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
#include "integration-fixture.h"

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
  gint64   mark;       /* the traffic log's last message before the job */
  guint    target;     /* contact-mes sent */
  guint    answered;   /* solicited phone messages in the traffic log after mark */
} ContactWait;

/* The service logs a contact-me as it sends it; the phone's answer reaches the traffic log
 * later, so each count is waited for on its own */
static gboolean
contacted_enough (gpointer data)
{
  ContactWait *wait = data;

  return count_log (wait->f, "contact-me", mac_of (wait->watch)) >= wait->target &&
         count_traffic (wait->f, wait->watch, wait->mark, WPI_TRAFFIC_DIRECTION_IN, "solicited") >= wait->answered;
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
  ContactWait wait = { f, watch };
  gint64 id;

  g_object_set (f->service, "contact-initial-backoff", 0, NULL);   /* retry at each tick */
  phone_register (watch);
  wait.mark = last_traffic_id (f);
  wpi_sim_phone_set_in_call (watch->phone, TRUE);
  wpi_store_item_array_add (items, "auto-answer", FALSE, 0, "true");
  id = enqueue (f, watch, WPI_JOB_KIND_WRITE_ITEMS, items);
  job = job_wait (f, id, WPI_JOB_STATE_WAITING_BUSY);
  g_assert_false (wpi_sim_phone_get_pending_solicited (watch->phone));

  /* more contact-mes than it takes to call a silent phone unreachable, each answered busy */
  wait.target = WPI_CONTACT_MAX_FAILURES + 1;
  wait.answered = WPI_CONTACT_MAX_FAILURES;
  wait_until (contacted_enough, &wait, "repeated contact-mes, answered by the phone");
  g_clear_pointer (&job, wpi_job_record_free);
  job = job_get (f, id);
  g_assert_cmpstr (wpi_job_state_to_string (job->state), !=, "failed");
  g_assert_cmpuint (count_send_solicited (f, watch, wait.mark), ==, 0);

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

int
main (int   argc,
      char *argv[])
{
  integration_test_init (&argc, &argv);

  INTEGRATION_TEST_ADD ("/integration/start-up/unknown-phone", test_start_up_unknown);
  INTEGRATION_TEST_ADD ("/integration/read/solicited", test_read_solicited);
  INTEGRATION_TEST_ADD ("/integration/write/item-failures", test_write_item_failures);
  INTEGRATION_TEST_ADD ("/integration/busy/send-solicited", test_busy_send_solicited);
  INTEGRATION_TEST_ADD ("/integration/busy/old-firmware", test_busy_old_firmware);
  INTEGRATION_TEST_ADD ("/integration/busy/multiple-jobs", test_busy_multiple_jobs);
  INTEGRATION_TEST_ADD ("/integration/restart", test_restart);
  INTEGRATION_TEST_ADD ("/integration/factory-reset", test_factory_reset);
  INTEGRATION_TEST_ADD ("/integration/fragments/phone-max-items", test_phone_fragments_max_items);
  INTEGRATION_TEST_ADD ("/integration/fragments/phone-large", test_phone_fragments_large);
  INTEGRATION_TEST_ADD ("/integration/fragments/service-file-groups", test_service_fragments_files);
  INTEGRATION_TEST_ADD ("/integration/local-changes", test_local_changes);
  INTEGRATION_TEST_ADD ("/integration/file-deployment/single", test_file_deployment_single);
  INTEGRATION_TEST_ADD ("/integration/file-deployment/multiple", test_file_deployment_multiple);
  INTEGRATION_TEST_ADD ("/integration/software-deployment", test_software_deployment);
  INTEGRATION_TEST_ADD ("/integration/polling", test_polling);
  INTEGRATION_TEST_ADD ("/integration/phone-clean-up", test_phone_clean_up);

  return g_test_run ();
}
