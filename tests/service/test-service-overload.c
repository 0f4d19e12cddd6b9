/* test-service-overload.c: new flows turned away above max-flows, as the vendor's DLS does (D21)
 *
 * A scripted phone (service-fixture.h) against a service on 127.0.0.1 with a small max-flows:
 * who is turned away with CleanUp overload, what is stored of them (nothing), who gets a
 * place that frees up, and what the log says.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "service-fixture.h"

/* D21: with max-flows 1, other phones' start-ups while a flow is open are turned away with
 * CleanUp overload, before anything of them is stored: a known phone's job stays pending, a
 * new phone stays unknown. Once the flow is over, a start-up is admitted (and the new phone
 * registered). */
static WpiMessage *
start_up_of (Fixture    *f,
             const char *mac,
             const char *nonce)
{
  g_autoptr(WpiMessage) start_up = NULL;

  f->mac = mac;
  start_up = phone_message (f, WPI_REASON_START_UP, nonce);
  return exchange (f, start_up);
}

#define NEW_MAC "00:1A:E8:12:34:58"

static void
test_overload (Fixture       *f,
               gconstpointer  data)
{
  static const char * const turned_away[] = { OTHER_MAC, NEW_MAC };
  g_autoptr(WpiMessage) read_all = NULL;
  g_autoptr(WpiMessage) reply = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;
  g_autoptr(WpiMessage) admitted = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiPhoneRecord) registered = NULL;
  g_autofree char *first_cookie = NULL;
  WpiJobState state;
  gint64 id;

  g_object_set (f->service, "max-flows", 1u, NULL);
  f->mac = OTHER_MAC;
  register_phone (f);
  wpi_store_item_array_add (items, "e164", FALSE, 0, "43");
  id = test_util_service_enqueue (f->service, OTHER_MAC, WPI_JOB_KIND_WRITE_ITEMS, items);

  read_all = start_up_of (f, MAC, "A0");
  g_assert_cmpint (wpi_message_get_action (read_all), ==, WPI_ACTION_READ_ALL_ITEMS);
  first_cookie = g_strdup (f->cookie);

  for (guint i = 0; i < G_N_ELEMENTS (turned_away); i++)
    {
      g_autoptr(WpiMessage) refusal = start_up_of (f, turned_away[i], "B0");

      g_assert_cmpint (wpi_message_get_action (refusal), ==, WPI_ACTION_CLEAN_UP);
      g_assert_cmpstr (wpi_message_get_item_value (refusal, "cleanup-reason"), ==, "overload");
      g_assert_null (wpi_message_get_item_value (refusal, "send-solicited"));
    }
  state = job_state (f, id, NULL);
  g_assert_true (state == WPI_JOB_STATE_QUEUED || state == WPI_JOB_STATE_CONTACTING);
  g_assert_null (wpi_store_phone_get (wpi_service_get_store (f->service), NEW_MAC, NULL));

  /* the first phone's flow is over */
  f->mac = MAC;
  g_free (f->cookie);
  f->cookie = g_steal_pointer (&first_cookie);
  reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "A0");
  clean_up = exchange (f, reply);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);

  admitted = start_up_of (f, NEW_MAC, "C0");
  g_assert_cmpint (wpi_message_get_action (admitted), ==, WPI_ACTION_READ_ALL_ITEMS);
  registered = wpi_store_phone_get (wpi_service_get_store (f->service), NEW_MAC, NULL);
  g_assert_nonnull (registered);
  /* a turned-away start-up and its CleanUp are a flow of their own (D21, D28) */
  assert_flows (f, "AAAABBCCDDBBEE");
}

/* D21: while overloaded, the flow in progress goes first. A newcomer from 127.0.0.4 waits for
 * its handshake behind a stalled one from 127.0.0.3 (a cut ClientHello, held until its
 * deadline), while the admitted phone's next message, from its flow's address, is answered
 * at once. The newcomer is served in the end: admitted, as the flow was over by then and
 * nobody waits behind it. */
static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_TLS_HANDSHAKING)
    *(gboolean *) user_data = TRUE;
}

static TestUtilPending *
start_newcomer (Fixture     *f,
                SoupSession *session,
                const char  *mac)
{
  g_autoptr(WpiMessage) start_up = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u%s", wpi_service_get_port (f->service),
                                          WPI_SERVICE_PATH);
  const char *admitted_mac = f->mac;
  gboolean handshaking = FALSE;
  TestUtilPending *pending;

  f->mac = mac;
  start_up = phone_message (f, WPI_REASON_START_UP, "C0");
  f->mac = admitted_mac;
  body = wpi_message_serialize_bytes (start_up);
  msg = soup_message_new ("POST", uri);
  soup_message_set_request_body_from_bytes (msg, "text/xml", body);
  g_signal_connect (msg, "network-event", G_CALLBACK (on_network_event), &handshaking);
  pending = test_util_https_start (session, msg);
  test_util_wait_for_flag (&handshaking, WAIT_TIMEOUT / 1000, "the newcomer's handshake");
  g_signal_handlers_disconnect_by_data (msg, &handshaking);
  return pending;
}

/* The newcomer's start-up, its handshake queued behind a stalled one from 127.0.0.3 */
static TestUtilPending *
start_newcomer_behind_stall (Fixture            *f,
                             SoupSession        *session,
                             GSocketConnection **stalled)
{
  *stalled = test_util_stalled_client_hello ("127.0.0.3", wpi_service_get_port (f->service));
  test_util_drain_main_context ();
  return start_newcomer (f, session, NEW_MAC);
}

static WpiMessage *
newcomer_answer (TestUtilPending *pending)
{
  g_autoptr(TestUtilReply) late = test_util_https_finish (pending);

  return test_util_reply_parse (late);
}

/* max-flows 1, and MAC's flow in progress with a write-items job, so that it goes on after
 * the ReadAllItems */
static void
start_flow_with_job (Fixture *f)
{
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiMessage) read_all = NULL;

  g_object_set (f->service, "max-flows", 1u, NULL);
  read_all = start_up_of (f, MAC, "A0");
  g_assert_cmpint (wpi_message_get_action (read_all), ==, WPI_ACTION_READ_ALL_ITEMS);
  wpi_store_item_array_add (items, "e164", FALSE, 0, "43");
  test_util_service_enqueue (f->service, MAC, WPI_JOB_KIND_WRITE_ITEMS, items);
}

/* The flow's next answer: to the ReadAllItems (the job's WriteItems follows), else to the
 * WriteItems (the flow ends) */
static void
flow_with_job_goes_on (Fixture   *f,
                       WpiAction  answered,
                       WpiAction  expected)
{
  g_autoptr(WpiMessage) reply = reply_to (f, answered, "accepted", "A0");
  g_autoptr(WpiMessage) next = exchange (f, reply);

  g_assert_cmpint (wpi_message_get_action (next), ==, expected);
}

static void
test_overload_admitted_first (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(SoupSession) newcomer = test_util_https_session_new_from (NULL, "127.0.0.4");
  g_autoptr(GSocketConnection) stalled = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  TestUtilPending *pending;

  start_flow_with_job (f);
  pending = start_newcomer_behind_stall (f, newcomer, &stalled);
  flow_with_job_goes_on (f, WPI_ACTION_READ_ALL_ITEMS, WPI_ACTION_WRITE_ITEMS);
  g_assert_false (test_util_https_is_done (pending));
  flow_with_job_goes_on (f, WPI_ACTION_WRITE_ITEMS, WPI_ACTION_CLEAN_UP);
  g_assert_false (test_util_https_is_done (pending));

  answer = newcomer_answer (pending);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
}

/* D21: a place that frees up while flows are still in progress does not go to a phone
 * that waited long for it. With two flows in progress (max-flows 2), a newcomer from
 * 127.0.0.4 waits for its handshake behind a stalled one (held until its deadline); one flow
 * ends meanwhile. The newcomer, seconds late, is turned away although a place is free; a
 * phone that asks now gets the place. */
static void
test_overload_stale_wait (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(SoupSession) newcomer = test_util_https_session_new_from (NULL, "127.0.0.4");
  g_autoptr(GSocketConnection) stalled = NULL;
  g_autoptr(WpiMessage) first = NULL;
  g_autoptr(WpiMessage) second = NULL;
  g_autoptr(WpiMessage) reply = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiMessage) fresh = NULL;
  TestUtilPending *pending;

  g_object_set (f->service, "max-flows", 2u, NULL);
  first = start_up_of (f, MAC, "A0");
  g_assert_cmpint (wpi_message_get_action (first), ==, WPI_ACTION_READ_ALL_ITEMS);
  second = start_up_of (f, OTHER_MAC, "B0");
  g_assert_cmpint (wpi_message_get_action (second), ==, WPI_ACTION_READ_ALL_ITEMS);

  pending = start_newcomer_behind_stall (f, newcomer, &stalled);

  /* the second phone's flow ends: one place is free, one flow still in progress */
  reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "B0");
  clean_up = exchange (f, reply);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_false (test_util_https_is_done (pending));

  answer = newcomer_answer (pending);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpstr (wpi_message_get_item_value (answer, "cleanup-reason"), ==, "overload");
  g_assert_null (wpi_store_phone_get (wpi_service_get_store (f->service), NEW_MAC, NULL));

  fresh = start_up_of (f, NEW_MAC, "C0");
  g_assert_cmpint (wpi_message_get_action (fresh), ==, WPI_ACTION_READ_ALL_ITEMS);
}

/* D21: with no flow in progress, a phone that waited long in the line is still turned away
 * while others wait behind it: they, or a phone that connects now, get the place. While a
 * flow is in progress, the newcomer from 127.0.0.4 waits behind a stalled handshake from
 * 127.0.0.3, and a second stalled one from 127.0.0.5 joins the line behind it (the flow's
 * next exchange gave the service time to queue the newcomer first). The flow ends. When the
 * first stall's deadline lets the newcomer through, seconds late, it is turned away although
 * no flow is in progress; a phone that asks now is admitted. */
static void
test_overload_stale_wait_line (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(SoupSession) newcomer = test_util_https_session_new_from (NULL, "127.0.0.4");
  g_autoptr(GSocketConnection) stalled = NULL;
  g_autoptr(GSocketConnection) behind = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiMessage) fresh = NULL;
  TestUtilPending *pending;

  start_flow_with_job (f);
  pending = start_newcomer_behind_stall (f, newcomer, &stalled);
  flow_with_job_goes_on (f, WPI_ACTION_READ_ALL_ITEMS, WPI_ACTION_WRITE_ITEMS);
  behind = test_util_stalled_client_hello ("127.0.0.5", wpi_service_get_port (f->service));
  test_util_drain_main_context ();
  flow_with_job_goes_on (f, WPI_ACTION_WRITE_ITEMS, WPI_ACTION_CLEAN_UP);
  g_assert_false (test_util_https_is_done (pending));

  answer = newcomer_answer (pending);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpstr (wpi_message_get_item_value (answer, "cleanup-reason"), ==, "overload");
  g_assert_null (wpi_store_phone_get (wpi_service_get_store (f->service), NEW_MAC, NULL));

  fresh = start_up_of (f, "00:1A:E8:12:34:59", "C0");
  g_assert_cmpint (wpi_message_get_action (fresh), ==, WPI_ACTION_READ_ALL_ITEMS);
}

/* D21: the log names the first phone turned away and then counts the others, once a second
 * from the service's tick and at its stop. Every refusal is in the log once: a line of its
 * own or a count. Which of the two depends on how fast the machine runs the exchanges, so
 * the test checks the sum, and that five refusals in a row do not make five lines. */
typedef struct {
  guint own_lines;   /* refusals with a line of their own */
  guint counted;     /* refusals in the counts */
  guint expected;    /* refusals so far */
} OverloadLog;

static void
on_overload_log (WpiService  *service,
                 const char  *line,
                 OverloadLog *seen)
{
  guint count = 0;

  if (!g_str_has_prefix (line, "overload: "))
    return;
  if (strstr (line, " answered CleanUp (") != NULL && strstr (line, " of 00:1A:E8:") != NULL)
    seen->own_lines++;
  else if (sscanf (line, "overload: %u more new flow", &count) == 1)
    {
      g_assert_nonnull (strstr (line, "at max-flows 1"));
      g_assert_nonnull (strstr (line, "each one is in the traffic log"));
      seen->counted += count;
    }
  else
    g_error ("unexpected overload line: %s", line);
}

static gboolean
overload_logged (gpointer data)
{
  OverloadLog *seen = data;

  return seen->own_lines + seen->counted == seen->expected;
}

static void
test_overload_log (Fixture       *f,
                   gconstpointer  data)
{
  static const char * const macs[] = { OTHER_MAC, NEW_MAC, "00:1A:E8:12:34:59",
                                       "00:1A:E8:12:34:5A", "00:1A:E8:12:34:5B" };
  g_autoptr(WpiMessage) read_all = NULL;
  OverloadLog seen = { .expected = G_N_ELEMENTS (macs) };
  gulong handler;

  g_object_set (f->service, "max-flows", 1u, NULL);
  handler = g_signal_connect (f->service, "log", G_CALLBACK (on_overload_log), &seen);
  read_all = start_up_of (f, MAC, "A0");
  g_assert_cmpint (wpi_message_get_action (read_all), ==, WPI_ACTION_READ_ALL_ITEMS);

  for (guint i = 0; i < G_N_ELEMENTS (macs); i++)
    {
      g_autoptr(WpiMessage) refusal = start_up_of (f, macs[i], "B0");

      g_assert_cmpstr (wpi_message_get_item_value (refusal, "cleanup-reason"), ==, "overload");
    }
  g_assert_cmpuint (seen.own_lines, >=, 1);
  /* the tick counts the rest within a second or so */
  test_util_wait_until (overload_logged, &seen, WAIT_TIMEOUT / 1000, "the refusals' count in the log");
  g_assert_cmpuint (seen.own_lines, <, G_N_ELEMENTS (macs));

  /* one more, and the service stops before the tick counts it: the stop does */
  g_clear_object (&read_all);
  read_all = start_up_of (f, "00:1A:E8:12:34:5C", "C0");
  g_assert_cmpstr (wpi_message_get_item_value (read_all, "cleanup-reason"), ==, "overload");
  wpi_service_stop (f->service);
  g_assert_cmpuint (seen.own_lines + seen.counted, ==, G_N_ELEMENTS (macs) + 1);
  g_signal_handler_disconnect (f->service, handler);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/service/overload", test_overload);
  ADD ("/service/overload/admitted-first", test_overload_admitted_first);
  ADD ("/service/overload/stale-wait", test_overload_stale_wait);
  ADD ("/service/overload/stale-wait-line", test_overload_stale_wait_line);
  ADD ("/service/overload/log", test_overload_log);
#undef ADD

  return g_test_run ();
}
