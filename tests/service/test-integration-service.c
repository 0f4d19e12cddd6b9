/* test-integration-service.c: the service as a whole, with real simulated phones
 *
 * Bad input and abusive clients while a real phone is registered (D5), wpi-sim's
 * simulator and the demo, the headless console's options, and a kill -9 of the headless
 * service in mid-flow with a clean restart (integration-fixture.c).
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
  integration_test_init (&argc, &argv);

  INTEGRATION_TEST_ADD ("/integration/bad-input", test_bad_input);
  INTEGRATION_TEST_ADD ("/integration/abusive-clients", test_abusive_clients);
  INTEGRATION_TEST_ADD ("/integration/simulator", test_simulator);
  INTEGRATION_TEST_ADD ("/integration/demo/address-in-use", test_demo_address_in_use);
  g_test_add_func ("/integration/headless/options", test_headless_options);
  g_test_add ("/integration/kill-restart", Fixture, GINT_TO_POINTER (1), fixture_set_up,
              test_kill_restart, fixture_tear_down);

  return g_test_run ();
}
