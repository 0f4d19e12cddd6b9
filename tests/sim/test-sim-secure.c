/* test-sim-secure.c: simulated phones move to Secure Mode with the real service
 *
 * A WpiService (its own data directory, store and PKI, free ports on 127.0.0.1) and one
 * WpiSimPhone run on this thread's main context: bootstrap jobs queued with
 * wpi_bootstrap_prepare() reach the phone by contact-me, and the phone does what a real one
 * does (protocol.md §7.15): flow A, flow B with the PIN from wpi_sim_phone_set_pin(), from a
 * pin-requested handler or from a handout CSV written while it asks, a wrong TAN, PIN retries
 * running out, a factory reset, and a server its CAs did not sign. Every wait is for a
 * condition, with a deadline.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "wpi-bootstrap.h"
#include "wpi-codec.h"
#include "wpi-service.h"
#include "wpi-sim-phone.h"
#include "wpi-handout.h"
#include "wpi-sim-pins.h"
#include "test-util-service.h"
#include "test-util-sim.h"

#define MAC          "00:1A:E8:00:10:01"
#define WAIT_SECONDS 60
/* the format is tested in test-bundle; here a low count keeps the tests quick */
#define ITERATIONS   1000

typedef struct {
  char               *data_dir;
  WpiService         *service;
  WpiSimPhone        *phone;            /* the watch's */
  TestUtilPhoneWatch *watch;            /* its flows */
  guint               counted_from;     /* start_ups() counts the flows from this one on */
  char               *pin_for_handler;  /* the pin-requested handler types this */
  guint               pin_requests;
  guint               pins_accepted;
  guint               pins_wrong;
} Fixture;

#define WAIT_FOR(condition, what)                                                       \
  G_STMT_START {                                                                        \
    gint64 deadline_ = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;         \
    while (!(condition) && g_get_monotonic_time () < deadline_)                         \
      g_main_context_iteration (NULL, TRUE);                                            \
    if (!(condition))                                                                   \
      g_error ("timed out waiting for %s (last failed flow: %s)", what,                 \
               last_failure (f));                                                       \
  } G_STMT_END

static void
on_pin_requested (WpiSimPhone *phone,
                  Fixture     *f)
{
  f->pin_requests++;
  /* the console's demo: the simulated user types the PIN that was handed out */
  if (f->pin_for_handler != NULL)
    wpi_sim_phone_set_pin (phone, f->pin_for_handler);
}

static void
on_pin_entered (WpiSimPhone *phone,
                gboolean     accepted,
                guint        attempts_left,
                Fixture     *f)
{
  if (accepted)
    f->pins_accepted++;
  else
    f->pins_wrong++;
}

/* The start-up flows since f->counted_from that ended ok (or failed) */
static guint
start_ups (Fixture  *f,
           gboolean  ok)
{
  guint n = 0;

  for (guint i = f->counted_from; i < f->watch->n_finished; i++)
    if (g_str_equal (g_ptr_array_index (f->watch->reasons, i), "start-up") &&
        g_array_index (f->watch->oks, gboolean, i) == ok)
      n++;
  return n;
}

/* "reason: detail" of the last flow that failed, or "none" */
static char *
last_failure (Fixture *f)
{
  for (guint i = f->watch->n_finished; i > 0; i--)
    if (!g_array_index (f->watch->oks, gboolean, i - 1))
      return g_strdup_printf ("%s: %s", (char *) g_ptr_array_index (f->watch->reasons, i - 1),
                              (char *) g_ptr_array_index (f->watch->details, i - 1));
  return g_strdup ("none");
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;

  test_util_service_set_up ("wpi-sim-secure", &f->data_dir, &f->service);

  uri = g_strdup_printf ("https://127.0.0.1:%u", wpi_service_get_port (f->service));
  f->phone = wpi_sim_phone_new (MAC, "4989700100001", "OpenStage 60", WPI_SIM_FIRMWARE_V3R3,
                                uri, NULL);
  g_object_set (f->phone,
                "restart-seconds", 0.05,
                "retry-seconds", 0.2,
                "pin-interval", 0.05,
                "bundle-iterations", ITERATIONS,
                NULL);
  g_signal_connect (f->phone, "pin-requested", G_CALLBACK (on_pin_requested), f);
  g_signal_connect (f->phone, "pin-entered", G_CALLBACK (on_pin_entered), f);
  f->watch = test_util_phone_watch_new (f->phone);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  /* cancelled requests and a PIN attempt in its thread finish on the next iterations */
  test_util_phone_watch_free (g_steal_pointer (&f->watch), WAIT_SECONDS * 1000);
  f->phone = NULL;
  wpi_service_stop (f->service);
  g_clear_object (&f->service);
  test_util_drain_main_context ();
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
  g_free (f->pin_for_handler);
}

static WpiStore *
store (Fixture *f)
{
  return wpi_service_get_store (f->service);
}

static WpiPhoneMode
stored_mode (Fixture *f)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (store (f), MAC, NULL);

  g_assert_nonnull (phone);
  return phone->mode;
}

#define job_state(f, id, reason) test_util_service_job_state ((f)->service, id, reason)

static gboolean
job_finished (Fixture *f,
              gint64   id)
{
  WpiJobState state = job_state (f, id, NULL);

  return state == WPI_JOB_STATE_DONE || state == WPI_JOB_STATE_FAILED ||
         state == WPI_JOB_STATE_CANCELLED;
}

static gboolean
phone_idle (Fixture *f)
{
  return wpi_sim_phone_get_state (f->phone) == WPI_SIM_PHONE_STATE_IDLE;
}

/* Boots the phone and waits until the service knows it. */
static void
start_phone (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  wpi_sim_phone_start (f->phone, &error);
  g_assert_no_error (error);
  WAIT_FOR (start_ups (f, TRUE) > 0 && phone_idle (f), "the phone to register");
  g_assert_cmpint (wpi_sim_phone_get_mode (f->phone), ==, WPI_SIM_PHONE_MODE_DEFAULT);
  g_assert_cmpint (stored_mode (f), ==, WPI_PHONE_MODE_DEFAULT);
}

#define prepare_bootstrap(f, with_pin, max_retries, pin) \
  test_util_service_prepare_bootstrap ((f)->service, MAC, with_pin, max_retries, ITERATIONS, pin)

static gint64
enqueue (Fixture    *f,
         WpiJobKind  kind,
         const char *name,
         const char *value)
{
  g_autoptr(GArray) items = NULL;

  if (name != NULL)
    {
      items = wpi_store_item_array_new ();
      wpi_store_item_array_add (items, name, FALSE, 0, value);
    }
  return test_util_service_enqueue (f->service, MAC, kind, items);
}

static guint
count_security_events (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = wpi_store_security_event_list (store (f), 0, 0, &error);

  g_assert_no_error (error);
  return events->len;
}

/* Bootstraps without PIN and waits for the phone in Secure Mode, the job done. */
static void
bootstrap_nopin (Fixture *f)
{
  gint64 id = prepare_bootstrap (f, FALSE, 0, NULL);

  WAIT_FOR (job_finished (f, id) && phone_idle (f), "the no-PIN bootstrap");
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
  g_assert_cmpint (wpi_sim_phone_get_mode (f->phone), ==, WPI_SIM_PHONE_MODE_SECURE);
  g_assert_cmpuint (wpi_sim_phone_get_secure_port (f->phone), ==,
                    wpi_service_get_secure_port (f->service));
  g_assert_cmpint (stored_mode (f), ==, WPI_PHONE_MODE_SECURE);
  g_assert_cmpuint (f->pin_requests, ==, 0);
}

/* What the service received from the phone went through the Secure Mode port from the
 * first such message on: the phone never came back to the default port. */
static guint
assert_secure_after_switch (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) traffic = wpi_store_traffic_list_by_mac (store (f), MAC, 0, 0, &error);
  gboolean switched = FALSE;
  guint n_secure = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < traffic->len; i++)
    {
      WpiTrafficRecord *record = g_ptr_array_index (traffic, i);

      if (record->direction != WPI_TRAFFIC_DIRECTION_IN)
        continue;
      if (record->mode == WPI_PHONE_MODE_SECURE)
        {
          switched = TRUE;
          g_assert_cmpuint (record->port, ==, wpi_service_get_secure_port (f->service));
          n_secure++;
        }
      else
        g_assert_false (switched);
    }
  g_assert_true (switched);
  return n_secure;
}

/* A start-up with the phone's MAC on the default port, as a spoofed phone would send. */
static guint
post_to_default_port (Fixture *f)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autoptr(WpiMessage) start_up = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT,
                                                    "0123456789ABCDEF0123456789ABCDEF");
  g_autofree char *base = test_util_service_uri (f->service, FALSE);
  g_autofree char *uri = g_strdup_printf ("%s%s", base, WPI_SERVICE_PATH);
  g_autoptr(TestUtilReply) reply = NULL;

  wpi_message_set_reason (start_up, WPI_REASON_START_UP);
  wpi_message_add_item (start_up, "mac-addr", MAC);
  reply = test_util_post_message (session, uri, start_up, NULL);
  g_assert_no_error (reply->error);
  return reply->status;
}

/* Queues a job after which the phone starts up again (a restart, a factory reset) and
 * waits for it to be done and for that start-up. */
static void
run_job_with_start_up (Fixture    *f,
                       WpiJobKind  kind,
                       const char *what)
{
  gint64 id;

  f->counted_from = f->watch->n_finished;
  id = enqueue (f, kind, NULL, NULL);
  WAIT_FOR (job_finished (f, id) && start_ups (f, TRUE) > 0 && phone_idle (f), what);
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
}

/* ---- Flow A ---------------------------------------------------------------------------- */

static void
test_nopin (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *port = NULL;
  gint64 write;

  start_phone (f);
  bootstrap_nopin (f);
  port = g_strdup_printf ("%u", wpi_service_get_secure_port (f->service));
  g_assert_cmpstr (wpi_sim_phone_get_item (f->phone, "dls-secure-port", -1), ==, port);

  /* a later flow: contact-me, the call-back on the secure port, a write */
  write = enqueue (f, WPI_JOB_KIND_WRITE_ITEMS, "e164", "4989700777");
  WAIT_FOR (job_finished (f, write) && phone_idle (f), "the write in Secure Mode");
  g_assert_cmpint (job_state (f, write, NULL), ==, WPI_JOB_STATE_DONE);
  g_assert_cmpstr (wpi_sim_phone_get_e164 (f->phone), ==, "4989700777");

  /* a restart: it starts up in Secure Mode again */
  run_job_with_start_up (f, WPI_JOB_KIND_RESTART, "the restart in Secure Mode");
  g_assert_cmpint (wpi_sim_phone_get_mode (f->phone), ==, WPI_SIM_PHONE_MODE_SECURE);

  /* the start-up that completed the bootstrap, the solicited flow, the start-up after the
   * restart: all on the secure port, none refused */
  g_assert_cmpuint (assert_secure_after_switch (f), >=, 4);
  g_assert_cmpuint (count_security_events (f), ==, 0);

  /* D6: the default port refuses the phone's MAC now */
  g_assert_cmpuint (post_to_default_port (f), ==, SOUP_STATUS_FORBIDDEN);
  g_assert_cmpuint (count_security_events (f), ==, 1);
}

static void
count_request (SoupServerMessage *msg,
               GBytes            *body,
               gpointer           user_data)
{
  (*(guint *) user_data)++;
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

/* A phone in Secure Mode trusts only servers its CAs signed: another server on the secure
 * port, with a certificate of another CA (also naming 127.0.0.1), gets no request. */
static void
test_rogue_server (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *rogue_dir = g_build_filename (f->data_dir, "rogue-pki", NULL);
  g_autoptr(WpiPki) rogue_pki = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(SoupServer) rogue = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  guint rogue_requests = 0;

  start_phone (f);
  bootstrap_nopin (f);
  wpi_sim_phone_stop (f->phone);
  WAIT_FOR (!wpi_sim_phone_has_operations (f->phone), "the phone to stop");

  /* the service goes away and another server takes its secure port */
  wpi_service_stop (f->service);
  rogue_pki = wpi_pki_new (rogue_dir, NULL, &error);
  g_assert_no_error (error);
  certificate = wpi_pki_get_server_certificate (rogue_pki, &error);
  g_assert_no_error (error);
  rogue = soup_server_new ("tls-certificate", certificate, NULL);
  test_util_server_handle (rogue, NULL, count_request, &rogue_requests);
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  /* the port may still have connections in TIME_WAIT */
  g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, &error);
  g_assert_no_error (error);
  address = g_inet_socket_address_new (loopback, wpi_service_get_secure_port (f->service));
  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);
  soup_server_listen_socket (rogue, socket, SOUP_SERVER_LISTEN_HTTPS, &error);
  g_assert_no_error (error);

  /* power on: the start-up on the secure port fails in the handshake */
  f->counted_from = f->watch->n_finished;
  wpi_sim_phone_start (f->phone, &error);
  g_assert_no_error (error);
  WAIT_FOR (start_ups (f, FALSE) > 0, "the start-up against the rogue server to fail");
  {
    g_autofree char *failure = last_failure (f);

    g_test_message ("the phone's start-up failed: %s", failure);
  }
  g_assert_cmpuint (rogue_requests, ==, 0);
  g_assert_cmpint (wpi_sim_phone_get_mode (f->phone), ==, WPI_SIM_PHONE_MODE_SECURE);
  wpi_sim_phone_stop (f->phone);
  WAIT_FOR (!wpi_sim_phone_has_operations (f->phone), "the phone to stop");
  soup_server_disconnect (rogue);
}

/* A flow A WriteItems queued as a plain write, with a PKCS#12 of another form than the
 * service writes: one the phone cannot read (it refuses the write, the job fails), and
 * one with bags encrypted under the empty password as `certtool --to-p12
 * --empty-password` makes them, which the phone reads as well as the plain form (D7). */
typedef struct {
  gboolean         readable;
  WpiJobState      job_state;
  WpiSimPhoneMode  mode;
} P12Form;

static const P12Form p12_garbage = { FALSE, WPI_JOB_STATE_FAILED, WPI_SIM_PHONE_MODE_DEFAULT };
static const P12Form p12_encrypted_bags = { TRUE, WPI_JOB_STATE_DONE, WPI_SIM_PHONE_MODE_SECURE };

static char *
encrypted_bags_p12 (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) cert = wpi_pki_issue_client_cert (wpi_service_get_pki (f->service), MAC, NULL,
                                                             &error);
  g_autoptr(GBytes) der = NULL;

  g_assert_no_error (error);
  der = test_util_make_pkcs12 (cert->cert_pem, cert->key_pem, "", GNUTLS_PKCS_PBES2_AES_128);
  return g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
}

static void
test_p12_form (Fixture       *f,
               gconstpointer  data)
{
  const P12Form *form = data;
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autofree char *reason = NULL;
  g_autofree char *ca = wpi_pki_get_ca_pem (wpi_service_get_pki (f->service));
  g_autofree char *p12 = form->readable ? encrypted_bags_p12 (f) : g_strdup ("bm90IGEgUEtDUyMxMg==");
  g_autofree char *port = g_strdup_printf ("%u", wpi_service_get_secure_port (f->service));
  gint64 id;

  start_phone (f);
  wpi_store_item_array_add (items, "goto-secure-mode", FALSE, 0, "nopin");
  wpi_store_item_array_add (items, "dls-client-certificate", FALSE, 0, p12);
  wpi_store_item_array_add (items, "dls-server-ca", TRUE, 0, ca);
  wpi_store_item_array_add (items, "dls-secure-port", FALSE, 0, port);
  id = test_util_service_enqueue (f->service, MAC, WPI_JOB_KIND_WRITE_ITEMS, items);
  WAIT_FOR (job_finished (f, id) && phone_idle (f) && wpi_sim_phone_get_mode (f->phone) == form->mode,
            "the phone to use or refuse the PKCS#12");
  g_assert_cmpint (job_state (f, id, &reason), ==, form->job_state);
  if (!form->readable)
    g_assert_nonnull (strstr (reason, "failed"));
  else
    WAIT_FOR (stored_mode (f) == WPI_PHONE_MODE_SECURE, "the phone's start-up on the secure port");
}

/* ---- Flow B ---------------------------------------------------------------------------- */

typedef enum {
  PIN_FROM_SET_PIN,
  PIN_FROM_HANDLER,
  PIN_FROM_CSV_LATER,
} PinSource;

static void
write_handout (const char *path,
               const char *pin)
{
  g_autoptr(GError) error = NULL;
  /* RFC 4180 as the handout writes it: a header, quoted fields with commas, quotes and a
   * line break, CRLF line ends */
  g_autofree char *csv =
    g_strdup_printf ("mac,e164,model,location,pin\r\n"
                     "00:1A:E8:00:10:02,4989700100002,OpenStage 40,\"Room 2, \"\"East\"\"\",111111111111\r\n"
                     "%s,4989700100001,OpenStage 60,\"Room 1\r\nsecond line\",%s\r\n", MAC, pin);

  /* replaced at once, as the handout export does */
  g_file_set_contents (path, csv, -1, &error);
  g_assert_no_error (error);
}

static void
test_pin (Fixture       *f,
          gconstpointer  data)
{
  PinSource source = GPOINTER_TO_INT (data);
  g_autofree char *pin = NULL;
  g_autofree char *handout = g_build_filename (f->data_dir, "handout.csv", NULL);
  g_autoptr(WpiPinRecord) record = NULL;
  gint64 id;

  if (source == PIN_FROM_CSV_LATER)
    g_object_set (f->phone, "pins-file", handout, NULL);
  start_phone (f);
  /* one attempt only: waiting for the handout must not use it up */
  id = prepare_bootstrap (f, TRUE, source == PIN_FROM_CSV_LATER ? 1 : 0, &pin);

  switch (source)
    {
    case PIN_FROM_SET_PIN:
      wpi_sim_phone_set_pin (f->phone, pin);
      break;
    case PIN_FROM_HANDLER:
      f->pin_for_handler = g_strdup (pin);
      break;
    case PIN_FROM_CSV_LATER:
      WAIT_FOR (wpi_sim_phone_get_awaiting_pin (f->phone), "the phone to ask for its PIN");
      g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_IN_PROGRESS);
      write_handout (handout, pin);
      break;
    default:
      g_assert_not_reached ();
    }

  WAIT_FOR (job_finished (f, id) && phone_idle (f), "the PIN bootstrap");
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
  g_assert_cmpint (wpi_sim_phone_get_mode (f->phone), ==, WPI_SIM_PHONE_MODE_SECURE);
  g_assert_false (wpi_sim_phone_get_awaiting_pin (f->phone));
  g_assert_cmpint (stored_mode (f), ==, WPI_PHONE_MODE_SECURE);
  record = wpi_store_pin_get_current (store (f), MAC, NULL);
  g_assert_cmpint (record->state, ==, WPI_PIN_STATE_VERIFIED);
  g_assert_cmpuint (f->pin_requests, >=, 1);
  g_assert_cmpuint (f->pins_accepted, ==, 1);
  g_assert_cmpuint (f->pins_wrong, ==, 0);
  g_assert_cmpuint (assert_secure_after_switch (f), >=, 2);
}

/* The bootstrap job failed for reason, and the phone is left as it was: in Default Mode in
 * the store, its PIN failed, and no security event logged. */
static void
assert_bootstrap_failed (Fixture    *f,
                         gint64      id,
                         const char *reason)
{
  g_autofree char *job_reason = NULL;
  g_autoptr(WpiPinRecord) record = wpi_store_pin_get_current (store (f), MAC, NULL);

  g_assert_cmpint (job_state (f, id, &job_reason), ==, WPI_JOB_STATE_FAILED);
  g_assert_cmpstr (job_reason, ==, reason);
  g_assert_cmpint (stored_mode (f), ==, WPI_PHONE_MODE_DEFAULT);
  g_assert_cmpint (record->state, ==, WPI_PIN_STATE_FAILED);
  g_assert_cmpuint (count_security_events (f), ==, 0);
}

/* §7.15 step 9: the service refuses the TAN; the phone drops its credentials and registers
 * again in Default Mode. */
static void
test_wrong_tan (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *pin = NULL;
  gint64 id;

  g_object_set (f->phone, "wrong-tan", TRUE, NULL);
  start_phone (f);
  id = prepare_bootstrap (f, TRUE, 0, &pin);
  wpi_sim_phone_set_pin (f->phone, pin);

  f->counted_from = f->watch->n_finished;
  WAIT_FOR (job_finished (f, id) && start_ups (f, TRUE) >= 2 && phone_idle (f) &&
            wpi_sim_phone_get_mode (f->phone) == WPI_SIM_PHONE_MODE_DEFAULT,
            "the wrong TAN and the new registration");
  /* its registration on the default port was accepted: no security event */
  assert_bootstrap_failed (f, id, WPI_BOOTSTRAP_WRONG_TAN);
  g_assert_cmpuint (f->pins_accepted, ==, 1);
  g_assert_cmpuint (wpi_sim_phone_get_secure_port (f->phone), ==, 0);
}

/* Flow C: wrong PINs until none are left; the phone reports it and stays in Default Mode. */
static void
test_retries_exceeded (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *pin = NULL;
  g_autofree char *wrong = NULL;
  gint64 id;

  start_phone (f);
  id = prepare_bootstrap (f, TRUE, 2, &pin);
  wrong = g_strdup (pin);
  wrong[0] = wrong[0] == '9' ? '0' : wrong[0] + 1;
  wpi_sim_phone_set_pin (f->phone, wrong);

  WAIT_FOR (job_finished (f, id) && phone_idle (f), "the PIN attempts to run out");
  assert_bootstrap_failed (f, id, "password retries exceeded");
  g_assert_cmpuint (f->pins_wrong, ==, 2);
  g_assert_cmpuint (f->pins_accepted, ==, 0);
  g_assert_false (wpi_sim_phone_get_awaiting_pin (f->phone));
  g_assert_cmpint (wpi_sim_phone_get_mode (f->phone), ==, WPI_SIM_PHONE_MODE_DEFAULT);
}

/* D15: a factory reset in Secure Mode; the phone returns on the default port. */
static void
test_factory_reset (Fixture       *f,
                    gconstpointer  data)
{
  gint64 write;

  start_phone (f);
  bootstrap_nopin (f);

  run_job_with_start_up (f, WPI_JOB_KIND_FACTORY_RESET, "the factory reset");
  g_assert_cmpint (wpi_sim_phone_get_mode (f->phone), ==, WPI_SIM_PHONE_MODE_DEFAULT);
  g_assert_cmpuint (wpi_sim_phone_get_secure_port (f->phone), ==, 0);
  g_assert_cmpint (stored_mode (f), ==, WPI_PHONE_MODE_DEFAULT);

  /* and it works in Default Mode: contact-me, call-back on the default port */
  write = enqueue (f, WPI_JOB_KIND_WRITE_ITEMS, "e164", "4989700555");
  WAIT_FOR (job_finished (f, write) && phone_idle (f), "a write in Default Mode");
  g_assert_cmpint (job_state (f, write, NULL), ==, WPI_JOB_STATE_DONE);
  g_assert_cmpstr (wpi_sim_phone_get_e164 (f->phone), ==, "4989700555");
  g_assert_cmpuint (count_security_events (f), ==, 0);
}

/* ---- The handout CSV ------------------------------------------------------------------- */

static char *
write_temp (const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("wpi-pins-XXXXXX.csv", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
  return path;
}

static void
test_pins_csv (void)
{
  static const struct {
    const char *csv;
    const char *error;     /* part of the message */
  } bad[] = {
    { "mac,e164,model,location\n00:1A:E8:00:00:01,1,x,y\n", "no “pin” column" },
    { "mac,pin\n00:1A:E8:00:00:01,\"123\n", "line 2: a quoted field is not closed" },
    { "mac,pin\n00:1A:E8:00:00:01,12\"3\n", "line 2: the PIN of 00:1A:E8:00:00:01" },
    { "mac,pin\n00:1A:E8:00:00:01,\"123\"4\n", "line 2: the PIN of 00:1A:E8:00:00:01" },
    { "mac,pin\nnot-a-mac,123456789012\n", "line 2: the MAC field does not hold a MAC" },
    { "mac,pin\n00:1A:E8:00:00:01,\xff\n", "line 2: the PIN of 00:1A:E8:00:00:01" },
  };
  /* Lists without a PIN for anybody: no phone finds one, which is no error */
  static const char * const empty[] = { "", "mac,e164,pin\n00:1A:E8:00:00:01,1\n" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) table = NULL;
  g_autofree char *path = NULL;
  g_autofree char *pin = NULL;

  /* The simulated user reads the handout as the handout module writes and reads it */
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *bad_path = write_temp (bad[i].csv);
      g_autoptr(GHashTable) none = wpi_handout_read_csv (bad_path, &error);
      g_autofree char *no_pin = NULL;

      g_assert_null (none);
      g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE);
      if (strstr (error->message, bad[i].error) == NULL)
        g_error ("case %u: \"%s\" does not say \"%s\"", i, error->message, bad[i].error);
      g_clear_error (&error);
      /* a phone looking itself up gets the same error, not a PIN */
      no_pin = wpi_sim_pins_lookup (bad_path, "00:1A:E8:00:00:01", &error);
      g_assert_null (no_pin);
      g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE);
      g_clear_error (&error);
      g_unlink (bad_path);
    }
  for (guint i = 0; i < G_N_ELEMENTS (empty); i++)
    {
      g_autofree char *empty_path = write_temp (empty[i]);
      g_autofree char *no_pin = wpi_sim_pins_lookup (empty_path, "00:1A:E8:00:00:01", &error);

      g_assert_no_error (error);
      g_assert_null (no_pin);
      g_unlink (empty_path);
    }

  /* BOM, columns in another order, quoting, blank lines, no final line break, a MAC in
   * another spelling, a later line for the same phone, a phone without PIN */
  path = write_temp ("\xEF\xBB\xBFlocation,PIN,Mac\r\n"
                     "\"Hall, \"\"A\"\"\",123456789012,00:1a:e8:00:00:01\r\n"
                     "\r\n"
                     "\"two\nlines\",\"000000000001\",001AE8000002\n"
                     "x,,00:1A:E8:00:00:03\n"
                     "y,999999999999,00-1A-E8-00-00-01");
  table = wpi_handout_read_csv (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (table), ==, 2);
  g_assert_cmpstr (g_hash_table_lookup (table, "00:1A:E8:00:00:01"), ==, "999999999999");
  g_assert_cmpstr (g_hash_table_lookup (table, "00:1A:E8:00:00:02"), ==, "000000000001");

  pin = wpi_sim_pins_lookup (path, "00:1a:e8:00:00:02", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pin, ==, "000000000001");
  g_clear_pointer (&pin, g_free);
  pin = wpi_sim_pins_lookup (path, "00:1A:E8:00:00:03", &error);
  g_assert_no_error (error);
  g_assert_null (pin);

  /* a changed file is read again */
  g_file_set_contents (path, "mac,pin\n00:1A:E8:00:00:03,333333333333\n", -1, &error);
  g_assert_no_error (error);
  pin = wpi_sim_pins_lookup (path, "00:1A:E8:00:00:03", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pin, ==, "333333333333");
  g_clear_pointer (&pin, g_free);

  /* not printed yet: no PIN, no error */
  g_unlink (path);
  pin = wpi_sim_pins_lookup (path, "00:1A:E8:00:00:03", &error);
  g_assert_no_error (error);
  g_assert_null (pin);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* phones trust any server; their requests queue so that the server's handshakes
   * always find a thread of this process */
  test_util_sim_init ();

  g_test_add_func ("/sim-secure/pins-csv", test_pins_csv);
#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/sim-secure/nopin", test_nopin, NULL);
  ADD ("/sim-secure/rogue-server", test_rogue_server, NULL);
  ADD ("/sim-secure/p12/garbage", test_p12_form, &p12_garbage);
  ADD ("/sim-secure/p12/encrypted-bags", test_p12_form, &p12_encrypted_bags);
  ADD ("/sim-secure/pin/set-pin", test_pin, GINT_TO_POINTER (PIN_FROM_SET_PIN));
  ADD ("/sim-secure/pin/handler", test_pin, GINT_TO_POINTER (PIN_FROM_HANDLER));
  ADD ("/sim-secure/pin/csv-later", test_pin, GINT_TO_POINTER (PIN_FROM_CSV_LATER));
  ADD ("/sim-secure/wrong-tan", test_wrong_tan, NULL);
  ADD ("/sim-secure/retries-exceeded", test_retries_exceeded, NULL);
  ADD ("/sim-secure/factory-reset", test_factory_reset, NULL);
#undef ADD

  return g_test_run ();
}
