/* test-sweep.c: finding phones by sweep (issue 14 §2, D25), on 127.0.0.0/8 only
 *
 * Simulated phones that do not know the service (await-contact) listen on addresses spread
 * over a loopback range; a sweep of the range must find each, have it register, and give
 * every other address "no answer" after exactly two tries. Listeners of the test's own
 * stand for a phone that refuses and for one that takes the connection but never answers.
 */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "wpi-sweep.h"
#include "test-util-service.h"
#include "test-util-sim.h"

#define WAIT_MS  60000
#define BASE_MAC "00:1A:E8:40:00:01"

typedef struct {
  char       *data_dir;
  WpiService *service;
  char       *service_uri;
  char       *prefix;       /* "127.N" of this process */
  gboolean    finished;
  gboolean    cancelled;
  guint       n_finished;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  test_util_service_set_up ("test-sweep", &f->data_dir, &f->service);
  f->service_uri = test_util_service_uri (f->service, FALSE);
  f->prefix = test_util_sim_bind_prefix (40, 60);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_util_service_tear_down (&f->data_dir, &f->service);
  g_free (f->service_uri);
  g_free (f->prefix);
}

static void
on_finished (WpiSweep *sweep,
             gboolean  cancelled,
             Fixture  *f)
{
  f->finished = TRUE;
  f->cancelled = cancelled;
  f->n_finished++;
}

/* A sweep of text (under the fixture's prefix) that calls the fixture's service back */
static WpiSweep *
sweep_new (Fixture    *f,
           const char *range_suffix,
           guint       rate)
{
  g_autofree char *text = g_strconcat (f->prefix, range_suffix, NULL);
  g_autoptr(GError) error = NULL;
  WpiAddressRange range;
  WpiSweep *sweep;

  g_assert_true (wpi_address_range_parse (text, &range, &error));
  g_assert_no_error (error);
  sweep = wpi_sweep_new (&range, "127.0.0.1", wpi_service_get_port (f->service));
  g_object_set (sweep, "rate", rate, NULL);
  g_signal_connect (sweep, "finished", G_CALLBACK (on_finished), f);
  return sweep;
}

static gboolean
sweep_registered_all (gpointer data)
{
  WpiSweepCounts counts = wpi_sweep_get_counts (data);

  return wpi_sweep_is_finished (data) && counts.n_registered == counts.n_answered;
}

/* Five phones at every third address of P.0.1 - P.0.30: answered and registered there;
 * the other 25 addresses no answer after two tries, and no phone */
static void
test_sweep_finds_phones (Fixture       *f,
                         gconstpointer  data)
{
  const guint n_phones = 5, stride = 3;
  g_autoptr(WpiSimulator) simulator = test_util_sim_room_start (f->service_uri, n_phones, f->prefix,
                                                                stride, BASE_MAC);
  g_autoptr(WpiSweep) sweep = sweep_new (f, ".0.0/27", 200);
  GListModel *phones = wpi_service_get_phones (f->service);
  g_autoptr(GError) error = NULL;

  test_util_drain_main_context ();
  g_assert_cmpuint (g_list_model_get_n_items (phones), ==, 0);   /* they await a contact-me */

  wpi_sweep_watch_phones (sweep, phones);
  g_assert_true (wpi_sweep_start (sweep, &error));
  g_assert_no_error (error);
  test_util_wait_until (sweep_registered_all, sweep, WAIT_MS, "the sweep and its registrations");
  g_assert_false (f->cancelled);
  g_assert_cmpuint (f->n_finished, ==, 1);

  g_assert_cmpuint (wpi_sweep_get_n_addresses (sweep), ==, 30);
  for (guint n = 0; n < 30; n++)
    {
      gboolean phone_here = n % stride == 0 && n / stride < n_phones;
      guint tries;
      const char *detail;
      WpiSweepResult result = wpi_sweep_get_result (sweep, n, &tries, &detail);
      WpiSimPhone *phone = phone_here ? g_list_model_get_item (wpi_simulator_get_phones (simulator), n / stride) : NULL;

      g_test_message ("address %u: %s, %u tries (%s)", n, wpi_sweep_result_to_string (result), tries,
                      detail != NULL ? detail : "");
      g_assert_cmpint (result, ==, phone_here ? WPI_SWEEP_RESULT_ANSWERED : WPI_SWEEP_RESULT_NO_ANSWER);
      g_assert_cmpuint (tries, ==, phone_here ? 1 : WPI_SWEEP_MAX_TRIES);
      g_assert_cmpstr (wpi_sweep_get_registered (sweep, n), ==, phone_here ? wpi_sim_phone_get_mac (phone) : NULL);
      g_clear_object (&phone);
    }
  g_assert_cmpuint (wpi_sweep_get_counts (sweep).n_registered, ==, n_phones);
  g_assert_cmpuint (wpi_sweep_get_counts (sweep).n_no_answer, ==, 30 - n_phones);
  g_assert_cmpuint (wpi_sweep_get_counts (sweep).n_sent, ==, n_phones + 2 * (30 - n_phones));
  g_assert_cmpuint (g_list_model_get_n_items (phones), ==, n_phones);

  wpi_simulator_stop (simulator);
  test_util_wait_until (test_util_simulator_is_quiet, simulator, WAIT_MS, "the phones to stop");
}

/* ---- listeners that stand for odd phones ------------------------------------------------ */

typedef struct {
  GSocketService *service;
  guint           hold_ms;      /* how long a connection stays open, unanswered */
  guint           n_open;
  guint           max_open;
  GArray         *accepted_at;  /* gint64 monotonic time of each connection; the
                                 * service holds it */
} MuteListener;

static gboolean
mute_close_cb (gpointer user_data)
{
  GSocketConnection *connection = user_data;
  MuteListener *mute = g_object_get_data (G_OBJECT (connection), "mute");

  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  mute->n_open--;
  g_object_unref (connection);
  return G_SOURCE_REMOVE;
}

static gboolean
mute_incoming (GSocketService    *service,
               GSocketConnection *connection,
               GObject           *source,
               MuteListener      *mute)
{
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (mute->accepted_at, now);
  mute->n_open++;
  mute->max_open = MAX (mute->max_open, mute->n_open);
  g_object_set_data (G_OBJECT (connection), "mute", mute);
  g_timeout_add (mute->hold_ms, mute_close_cb, g_object_ref (connection));
  return TRUE;
}

/* Takes connections on port 8085 of prefix.2.1 .. prefix.2.n and answers none: each
 * closes after hold_ms without a word */
static MuteListener *
mute_listener_new (const char *prefix,
                   guint       n,
                   guint       hold_ms)
{
  MuteListener *mute = g_new0 (MuteListener, 1);

  mute->service = g_socket_service_new ();
  mute->hold_ms = hold_ms;
  mute->accepted_at = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_object_set_data_full (G_OBJECT (mute->service), "accepted-at", mute->accepted_at,
                          (GDestroyNotify) g_array_unref);
  for (guint i = 1; i <= n; i++)
    {
      g_autofree char *text = g_strdup_printf ("%s.2.%u", prefix, i);
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (text);
      g_autoptr(GSocketAddress) where = g_inet_socket_address_new (address, WPI_CONTACT_PORT);
      g_autoptr(GError) error = NULL;

      g_socket_listener_add_address (G_SOCKET_LISTENER (mute->service), where,
                                     G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, NULL, &error);
      g_assert_no_error (error);
    }
  g_signal_connect (mute->service, "incoming", G_CALLBACK (mute_incoming), mute);
  g_socket_service_start (mute->service);
  return mute;
}

static gboolean
mute_is_idle (gpointer data)
{
  return ((MuteListener *) data)->n_open == 0;
}

static void
mute_listener_free (MuteListener *mute)
{
  test_util_wait_until (mute_is_idle, mute, WAIT_MS, "the mute connections to close");
  g_socket_service_stop (mute->service);
  g_socket_listener_close (G_SOCKET_LISTENER (mute->service));
  g_object_unref (mute->service);
  g_free (mute);
}

/* An address that takes the connection but never answers is tried exactly twice, the
 * second time no sooner than the phones' contact gap after the first */
static void
test_sweep_twice_at_most (Fixture       *f,
                          gconstpointer  data)
{
  MuteListener *mute = mute_listener_new (f->prefix, 1, 0);
  g_autoptr(WpiSweep) sweep = sweep_new (f, ".2.1", 20);
  g_autoptr(GError) error = NULL;
  guint tries;

  g_assert_true (wpi_sweep_start (sweep, &error));
  g_assert_no_error (error);
  test_util_wait_for_flag (&f->finished, WAIT_MS, "the sweep of one mute address");

  g_assert_cmpint (wpi_sweep_get_result (sweep, 0, &tries, NULL), ==, WPI_SWEEP_RESULT_NO_ANSWER);
  g_assert_cmpuint (tries, ==, 2);
  g_assert_cmpuint (mute->accepted_at->len, ==, 2);
  g_assert_cmpint (g_array_index (mute->accepted_at, gint64, 1) - g_array_index (mute->accepted_at, gint64, 0),
                   >=, WPI_CONTACT_MIN_INTERVAL);
  mute_listener_free (mute);
}

/* No more contact-mes under way than the concurrency, and no faster than the rate */
static void
test_sweep_bounded (Fixture       *f,
                    gconstpointer  data)
{
  const guint n = 8, concurrency = 2, rate = 20;
  MuteListener *mute = mute_listener_new (f->prefix, n, 300);
  g_autofree char *suffix = g_strdup_printf (".2.1-%u", n);
  g_autoptr(WpiSweep) sweep = sweep_new (f, suffix, rate);
  g_autoptr(GError) error = NULL;
  gint64 first, last;

  g_object_set (sweep, "concurrency", concurrency, NULL);
  g_assert_true (wpi_sweep_start (sweep, &error));
  g_assert_no_error (error);
  test_util_wait_for_flag (&f->finished, WAIT_MS, "the sweep of mute addresses");

  g_assert_cmpuint (mute->accepted_at->len, ==, 2 * n);
  g_assert_cmpuint (mute->max_open, ==, concurrency);
  /* the first tries alone: n sends at rate a second take (n - 1) / rate at least */
  first = g_array_index (mute->accepted_at, gint64, 0);
  last = g_array_index (mute->accepted_at, gint64, n - 1);
  g_assert_cmpint (last - first, >=, (n - 1) * G_USEC_PER_SEC / rate - 5000);
  g_assert_cmpuint (wpi_sweep_get_counts (sweep).n_no_answer, ==, n);
  mute_listener_free (mute);
}

static void
refuse_handler (SoupServer        *server,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  soup_server_message_set_status (message, SOUP_STATUS_FORBIDDEN, NULL);
}

/* A server that answers with an HTTP error refuses: one try, the status in the detail */
static void
test_sweep_refused (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autofree char *text = g_strdup_printf ("%s.3.1", f->prefix);
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (text);
  g_autoptr(GSocketAddress) where = g_inet_socket_address_new (address, WPI_CONTACT_PORT);
  g_autoptr(WpiSweep) sweep = sweep_new (f, ".3.1-2", 20);
  g_autoptr(GError) error = NULL;
  const char *detail;
  guint tries;

  soup_server_add_handler (server, NULL, refuse_handler, NULL, NULL);
  soup_server_listen (server, where, 0, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_sweep_start (sweep, &error));
  g_assert_no_error (error);
  test_util_wait_for_flag (&f->finished, WAIT_MS, "the sweep of a refusing server");

  g_assert_cmpint (wpi_sweep_get_result (sweep, 0, &tries, &detail), ==, WPI_SWEEP_RESULT_REFUSED);
  g_assert_cmpuint (tries, ==, 1);
  g_assert_nonnull (strstr (detail, "403"));
  g_assert_cmpint (wpi_sweep_get_result (sweep, 1, &tries, NULL), ==, WPI_SWEEP_RESULT_NO_ANSWER);
  g_assert_cmpuint (tries, ==, 2);
  soup_server_disconnect (server);
}

static gboolean
sweep_is_idle (gpointer data)
{
  return G_OBJECT (data)->ref_count == 1;
}

/* Cancel stops the sweep at once: "finished" (cancelled) once, nothing sent after it */
static void
test_sweep_cancel (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(WpiSweep) sweep = sweep_new (f, ".4.0/22", 100);
  g_autoptr(GError) error = NULL;
  guint n_sent, tries;

  g_assert_true (wpi_sweep_start (sweep, &error));
  g_assert_no_error (error);
  while (wpi_sweep_get_counts (sweep).n_sent < 10)
    g_main_context_iteration (NULL, TRUE);
  wpi_sweep_cancel (sweep);
  n_sent = wpi_sweep_get_counts (sweep).n_sent;
  g_assert_true (f->finished);
  g_assert_true (f->cancelled);

  /* the contact-mes under way come back cancelled (each holds the sweep); nothing new
   * goes out */
  test_util_wait_until (sweep_is_idle, sweep, WAIT_MS, "the contact-mes under way to end");
  g_assert_cmpuint (wpi_sweep_get_counts (sweep).n_sent, ==, n_sent);
  g_assert_cmpuint (f->n_finished, ==, 1);
  g_assert_cmpint (wpi_sweep_get_result (sweep, 1021, &tries, NULL), ==, WPI_SWEEP_RESULT_WAITING);
  g_assert_cmpuint (tries, ==, 0);
  wpi_sweep_cancel (sweep);
  g_assert_cmpuint (f->n_finished, ==, 1);
}

typedef struct {
  const char *range;
  gboolean    confirmed;
  int         error;       /* -1: starts */
} StartCase;

/* D25: a public range is refused before any packet, a range above 1,024 addresses needs
 * the confirmation. The public range is never started with allow-public here: no test
 * sends outside 127.0.0.0/8. */
static const StartCase start_cases[] = {
  { "8.8.8.0/30", FALSE, WPI_SWEEP_ERROR_PUBLIC },
  { "8.8.8.0/30", TRUE, WPI_SWEEP_ERROR_PUBLIC },
  { "126.255.255.254-127.0.0.1", TRUE, WPI_SWEEP_ERROR_PUBLIC },
  { "127.5.0.0/21", FALSE, WPI_SWEEP_ERROR_NOT_CONFIRMED },
  { "127.5.0.1-127.5.4.1", FALSE, WPI_SWEEP_ERROR_NOT_CONFIRMED },
  { "127.5.0.1-127.5.4.0", FALSE, -1 },    /* exactly 1,024 */
  { "127.5.0.0/21", TRUE, -1 },
};

static void
test_sweep_refusals (Fixture       *f,
                     gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (start_cases); i++)
    {
      const StartCase *c = &start_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiSweep) sweep = NULL;
      WpiAddressRange range;
      gboolean started;

      g_test_message ("%s%s", c->range, c->confirmed ? " confirmed" : "");
      g_assert_true (wpi_address_range_parse (c->range, &range, NULL));
      sweep = wpi_sweep_new (&range, "127.0.0.1", wpi_service_get_port (f->service));
      g_object_set (sweep, "confirmed", c->confirmed, NULL);
      started = wpi_sweep_start (sweep, &error);
      if (c->error >= 0)
        {
          g_assert_false (started);
          g_assert_error (error, WPI_SWEEP_ERROR, c->error);
          g_assert_cmpuint (wpi_sweep_get_counts (sweep).n_sent, ==, 0);
          g_assert_false (wpi_sweep_is_finished (sweep));
          continue;
        }
      g_assert_no_error (error);
      g_assert_true (started);
      g_assert_cmpuint (wpi_sweep_get_counts (sweep).n_sent, >, 0);
      wpi_sweep_cancel (sweep);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_util_sim_init ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/sweep/finds-phones", test_sweep_finds_phones);
  ADD ("/sweep/twice-at-most", test_sweep_twice_at_most);
  ADD ("/sweep/bounded", test_sweep_bounded);
  ADD ("/sweep/refused", test_sweep_refused);
  ADD ("/sweep/cancel", test_sweep_cancel);
  ADD ("/sweep/refusals", test_sweep_refusals);
#undef ADD
  return g_test_run ();
}
