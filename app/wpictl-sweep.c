/* wpictl-sweep.c: `wpictl sweep RANGE`, finding phones by sweep (issue 14 §2, D25)
 *
 * Unlike the other commands, a sweep talks to the phones itself: it sends the contact-mes
 * (plain HTTP to port 8085, naming the running service's address and port, which the
 * service recorded in its store) from this process, and watches the store for the phones
 * that then register with the service. The console's settings give the rate and whether
 * public ranges may be swept; the options override the rate.
 */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "wpi-service.h"
#include "wpi-sweep.h"
#include "wpictl-private.h"

/* How long the phones that answered get to register after the last contact-me, unless
 * --wait says otherwise */
#define REGISTRATION_WAIT_SECONDS 60.0
/* How often the store is read for phones that registered, and progress printed */
#define POLL_INTERVAL_MS 500

typedef struct {
  WpiSweep  *sweep;
  GMainLoop *loop;
  gint64     deadline;      /* monotonic end of the wait for registrations; 0 before */
  gint64     progress_at;   /* monotonic time of the next progress line */
  gboolean   interrupted;
  gboolean   timed_out;
} SweepRun;

/* The console's sweep settings, when its schema is installed (else the defaults) */
static void
read_settings (guint    *rate,
               gboolean *allow_public)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source != NULL
    ? g_settings_schema_source_lookup (source, WPC_APP_ID, TRUE) : NULL;
  g_autoptr(GSettings) settings = NULL;

  *rate = WPI_SWEEP_DEFAULT_RATE;
  *allow_public = FALSE;
  if (schema == NULL || !g_settings_schema_has_key (schema, "sweep-rate"))
    return;
  settings = g_settings_new_full (schema, NULL, NULL);
  *rate = g_settings_get_uint (settings, "sweep-rate");
  *allow_public = g_settings_get_boolean (settings, "sweep-allow-public");
}

static gboolean
service_port (guint   *port,
              GError **error)
{
  gint64 value = 0;

  if (!wpi_store_setting_get_int (wpictl.store, "service-port", 0, &value, error))
    return FALSE;
  if (value < 1 || value > 65535)
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "The service has not recorded its port yet: start it (workpoint-console "
                   "--headless) before a sweep, so that the phones have where to call");
      return FALSE;
    }
  *port = (guint) value;
  return TRUE;
}

/* Options over settings; FALSE with the message printed when one is out of range */
static gboolean
configure (WpiSweep *sweep,
           int      *status)
{
  guint rate;
  gboolean allow_public;

  read_settings (&rate, &allow_public);
  if (wpictl_opt.rate != 0)
    rate = (guint) wpictl_opt.rate;
  if (rate < 1 || rate > WPI_SWEEP_MAX_RATE || wpictl_opt.rate < 0)
    {
      *status = _wpictl_fail (EXIT_USAGE, "--rate takes 1 to %u contact-mes a second", WPI_SWEEP_MAX_RATE);
      return FALSE;
    }
  if (wpictl_opt.concurrency < 0 || wpictl_opt.concurrency > WPI_SWEEP_MAX_CONCURRENCY)
    {
      *status = _wpictl_fail (EXIT_USAGE, "--concurrency takes 1 to %u", WPI_SWEEP_MAX_CONCURRENCY);
      return FALSE;
    }
  g_object_set (sweep, "rate", rate, "allow-public", allow_public, "confirmed", wpictl_opt.yes, NULL);
  if (wpictl_opt.concurrency > 0)
    g_object_set (sweep, "concurrency", (guint) wpictl_opt.concurrency, NULL);
  return TRUE;
}

static void
print_progress (WpiSweep *sweep)
{
  WpiSweepCounts counts = wpi_sweep_get_counts (sweep);

  fprintf (stderr, "%u of %u addresses: %u answered, %u refused, %u no answer; %u registered\n",
           counts.n_done, counts.n_addresses, counts.n_answered, counts.n_refused,
           counts.n_no_answer, counts.n_registered);
}

/* The phones that called the service since the start, from the store */
static void
note_registrations (WpiSweep *sweep)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) phones = wpi_store_phone_list (wpictl.store, &error);

  if (phones == NULL)
    {
      g_printerr ("wpictl: cannot read the phones: %s\n", error->message);
      return;
    }
  for (guint i = 0; i < phones->len; i++)
    {
      const WpiPhoneRecord *phone = g_ptr_array_index (phones, i);

      wpi_sweep_note_phone (sweep, phone->ip, phone->mac, phone->last_contact_us);
    }
}

static gboolean
poll_cb (gpointer user_data)
{
  SweepRun *run = user_data;
  gint64 now = g_get_monotonic_time ();
  WpiSweepCounts counts;

  note_registrations (run->sweep);
  if (now >= run->progress_at)
    {
      print_progress (run->sweep);
      run->progress_at = now + 5 * G_USEC_PER_SEC;
    }
  if (run->deadline == 0)
    return G_SOURCE_CONTINUE;
  counts = wpi_sweep_get_counts (run->sweep);
  if (counts.n_registered >= counts.n_answered)
    g_main_loop_quit (run->loop);
  else if (now >= run->deadline)
    {
      run->timed_out = TRUE;
      g_main_loop_quit (run->loop);
    }
  return G_SOURCE_CONTINUE;
}

static void
on_finished (WpiSweep *sweep,
             gboolean  cancelled,
             SweepRun *run)
{
  double seconds = wpictl_opt.wait ? wpictl_opt.wait_seconds : REGISTRATION_WAIT_SECONDS;

  if (cancelled)
    {
      g_main_loop_quit (run->loop);
      return;
    }
  run->deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);
  poll_cb (run);
}

static gboolean
on_interrupt (gpointer user_data)
{
  SweepRun *run = user_data;

  run->interrupted = TRUE;
  wpi_sweep_cancel (run->sweep);
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
run_sweep (SweepRun *run)
{
  guint poll_id, sigint_id, sigterm_id;

  run->loop = g_main_loop_new (NULL, FALSE);
  g_signal_connect (run->sweep, "finished", G_CALLBACK (on_finished), run);
  poll_id = g_timeout_add (POLL_INTERVAL_MS, poll_cb, run);
  sigint_id = g_unix_signal_add (SIGINT, on_interrupt, run);
  sigterm_id = g_unix_signal_add (SIGTERM, on_interrupt, run);
  if (!wpi_sweep_is_finished (run->sweep))
    g_main_loop_run (run->loop);
  note_registrations (run->sweep);
  g_source_remove (poll_id);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_clear_pointer (&run->loop, g_main_loop_unref);
}

static void
print_text (WpiSweep *sweep)
{
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (4, "");
  WpiSweepCounts counts;

  wpc_ctl_table_add_row (table, "ADDRESS", "RESULT", "PHONE", "DETAIL");
  /* the addresses where something is: a /22's thousand "no answer" lines help nobody;
   * --json has every address */
  for (guint n = 0; n < wpi_sweep_get_n_addresses (sweep); n++)
    {
      const char *detail;
      WpiSweepResult result = wpi_sweep_get_result (sweep, n, NULL, &detail);
      const char *mac = wpi_sweep_get_registered (sweep, n);
      g_autofree char *address = NULL;

      if (result != WPI_SWEEP_RESULT_ANSWERED && result != WPI_SWEEP_RESULT_REFUSED && mac == NULL)
        continue;
      address = wpi_address_range_nth (wpi_sweep_get_range (sweep), n);
      wpc_ctl_table_add_row (table, address, wpi_sweep_result_to_string (result), mac,
                             result == WPI_SWEEP_RESULT_REFUSED ? detail : NULL);
    }
  wpc_ctl_table_print (table, stdout);
  counts = wpi_sweep_get_counts (sweep);
  printf ("%u addresses swept: %u answered, %u refused, %u no answer, %u not tried; "
          "%u phones registered\n", counts.n_addresses, counts.n_answered, counts.n_refused,
          counts.n_no_answer, counts.n_addresses - counts.n_done, counts.n_registered);
}

static void
add_member (JsonBuilder *builder,
            const char  *name,
            const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_json (WpiSweep *sweep)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_member (builder, "callback", wpi_sweep_get_dls_address (sweep));
  json_builder_set_member_name (builder, "registered");
  json_builder_add_int_value (builder, wpi_sweep_get_counts (sweep).n_registered);
  json_builder_set_member_name (builder, "addresses");
  json_builder_begin_array (builder);
  for (guint n = 0; n < wpi_sweep_get_n_addresses (sweep); n++)
    {
      g_autofree char *address = wpi_address_range_nth (wpi_sweep_get_range (sweep), n);
      const char *detail;
      guint tries;
      WpiSweepResult result = wpi_sweep_get_result (sweep, n, &tries, &detail);

      json_builder_begin_object (builder);
      add_member (builder, "address", address);
      add_member (builder, "result", wpi_sweep_result_to_string (result));
      json_builder_set_member_name (builder, "tries");
      json_builder_add_int_value (builder, tries);
      add_member (builder, "mac", wpi_sweep_get_registered (sweep, n));
      add_member (builder, "detail", detail);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  wpc_ctl_print_json (root, TRUE, stdout);
}

/* The error of a sweep that may not start, as wpictl's exit status */
static int
fail_start (const GError *error)
{
  if (g_error_matches (error, WPI_SWEEP_ERROR, WPI_SWEEP_ERROR_NOT_CONFIRMED))
    return _wpictl_fail (EXIT_USAGE, "%s with --yes", error->message);
  if (g_error_matches (error, WPI_SWEEP_ERROR, WPI_SWEEP_ERROR_PUBLIC))
    return _wpictl_fail (EXIT_INVALID, "%s", error->message);
  return _wpictl_fail (EXIT_USAGE, "%s", error->message);
}

int
_wpictl_cmd_sweep (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiSweep) sweep = NULL;
  WpiAddressRange range;
  SweepRun run = { 0 };
  guint port;
  int status;

  if (!wpi_address_range_parse (args[0], &range, &error))
    return _wpictl_fail (EXIT_INVALID, "%s", error->message);
  if (wpictl_opt.callback != NULL)
    {
      g_autoptr(GInetAddress) callback = g_inet_address_new_from_string (wpictl_opt.callback);

      /* the phones get it as dls_ip_addr: an address, never a name to look up */
      if (callback == NULL)
        return _wpictl_fail (EXIT_USAGE, "--callback takes an IP address, not “%s”", wpictl_opt.callback);
    }
  if (!_wpictl_open_store (FALSE, &error) || !service_port (&port, &error))
    return _wpictl_fail_error (error);

  sweep = wpi_sweep_new (&range, wpictl_opt.callback, port);
  if (!configure (sweep, &status))
    return status;
  if (!wpi_sweep_start (sweep, &error))
    return fail_start (error);
  fprintf (stderr, "Sweeping %u addresses; the phones are to call %s port %u\n",
           wpi_sweep_get_n_addresses (sweep), wpi_sweep_get_dls_address (sweep), port);

  run.sweep = sweep;
  run_sweep (&run);
  if (wpictl_opt.json)
    print_json (sweep);
  else
    print_text (sweep);
  if (run.interrupted)
    return _wpictl_fail (EXIT_INTERRUPTED, "Cancelled: the addresses not tried are left out");
  if (run.timed_out)
    {
      WpiSweepCounts counts = wpi_sweep_get_counts (sweep);

      return _wpictl_fail (EXIT_TIMEOUT, "%u phones answered but did not register in time",
                           counts.n_answered - counts.n_registered);
    }
  return EXIT_OK;
}
