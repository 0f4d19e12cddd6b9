/* wpi-sim: many simulated OpenStage phones against a provisioning service
 *
 * Logs one line per message flow (and per PIN typed, per change of mode) to stdout and a
 * summary on exit. Phones asked for a PIN (Secure Mode bootstrap with PIN) type the one given
 * with --pin MAC=PIN, else the one of their line in the handout CSV of --pins, read when the
 * phone asks. SIGINT or SIGTERM stops
 * the phones, waits (briefly) for their connections to close and exits with status 0;
 * exit status 1 is a usage or start-up error.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <glib-unix.h>
#include <gio/gio.h>

#include "wpi-bundle.h"
#include "wpi-simulator.h"
#include "wpi-mac.h"

#define SHUTDOWN_GRACE_MS 5000

static int opt_phones = 1;
static char *opt_service = NULL;
static char *opt_base_mac = NULL;
static char *opt_base_e164 = NULL;
static double opt_busy_ratio = 0;
static double opt_call_seconds = 60;
static gint64 opt_max_items = -1;
static double opt_local_changes_interval = 0;
static double opt_inventory_changes_interval = 0;
static double opt_ignore_contact_ratio = 0;
static double opt_poll_interval = 0;
static char *opt_poll_uri = NULL;
static int opt_contact_port_base = 0;
static char *opt_bind_prefix = NULL;
static int opt_address_stride = 1;
static gboolean opt_await_contact = FALSE;
static double opt_restart_seconds = 2;
static double opt_retry_seconds = 10;
static gboolean opt_keep_alive;
static char *opt_firmware_mix = NULL;
static double opt_duration = 0;
static int opt_max_requests = WPI_SIM_DEFAULT_MAX_REQUESTS;
static gboolean opt_quiet = FALSE;
static char **opt_pins = NULL;
static char *opt_pins_file = NULL;
static char **opt_wrong_tan = NULL;
static double opt_pin_interval = WPI_SIM_DEFAULT_PIN_INTERVAL;
static gint64 opt_bundle_iterations = WPI_BUNDLE_DEFAULT_ITERATIONS;

static const GOptionEntry entries[] = {
  { "phones", 'n', 0, G_OPTION_ARG_INT, &opt_phones, "Number of phones (default 1)", "N" },
  { "service", 's', 0, G_OPTION_ARG_STRING, &opt_service, "Provisioning service (default https://127.0.0.1:18443)", "URI" },
  { "base-mac", 0, 0, G_OPTION_ARG_STRING, &opt_base_mac, "MAC of phone 0; phone n gets base + n (default " WPI_SIM_DEFAULT_BASE_MAC ")", "MAC" },
  { "base-e164", 0, 0, G_OPTION_ARG_STRING, &opt_base_e164, "Number of phone 0; phone n gets base + n (default " WPI_SIM_DEFAULT_BASE_E164 ")", "NUMBER" },
  { "busy-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &opt_busy_ratio, "Share of phones in a call at any time, 0..1 (default 0)", "R" },
  { "call-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_call_seconds, "Length of a call (default 60)", "S" },
  { "max-items", 0, 0, G_OPTION_ARG_INT64, &opt_max_items, "maxItems the phones send and split their replies at (default -1)", "N" },
  { "local-changes-interval", 0, 0, G_OPTION_ARG_DOUBLE, &opt_local_changes_interval, "Mean seconds between local changes per phone (0: none)", "S" },
  { "inventory-changes-interval", 0, 0, G_OPTION_ARG_DOUBLE, &opt_inventory_changes_interval, "Mean seconds between inventory changes per phone (0: none)", "S" },
  { "ignore-contact-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &opt_ignore_contact_ratio, "Probability that a phone ignores a contact-me, 0..1", "R" },
  { "poll-interval", 0, 0, G_OPTION_ARG_DOUBLE, &opt_poll_interval, "Poll the service (DCMP) every S seconds (0: no polling)", "S" },
  { "poll-uri", 0, 0, G_OPTION_ARG_STRING, &opt_poll_uri, "Where to poll (default: the service address)", "URI" },
  { "contact-port-base", 0, 0, G_OPTION_ARG_INT, &opt_contact_port_base, "Contact-me on 127.0.0.1:(P + n) instead of own addresses", "P" },
  { "bind-prefix", 0, 0, G_OPTION_ARG_STRING, &opt_bind_prefix, "Phone n listens on PREFIX.(n/250).(n%250+1):8085 (default 127.1)", "PREFIX" },
  { "address-stride", 0, 0, G_OPTION_ARG_INT, &opt_address_stride, "Phone n listens at address number n*K under the prefix, spread over a range (default 1)", "K" },
  { "await-contact", 0, 0, G_OPTION_ARG_NONE, &opt_await_contact, "The phones do not know the service: no start-up until a contact-me (a sweep) names it", NULL },
  { "restart-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_restart_seconds, "How long a reboot takes (default 2)", "S" },
  { "retry-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_retry_seconds, "First retry delay after a failed flow (default 10)", "S" },
  { "keep-alive", 0, 0, G_OPTION_ARG_NONE, &opt_keep_alive, "Keep one connection for a whole flow, as Node's clients do, instead of Connection: close on each message as phones do", NULL },
  { "firmware-mix", 0, 0, G_OPTION_ARG_STRING, &opt_firmware_mix, "Firmware rotation (default v1,v2r2,v3r3)", "LIST" },
  { "max-requests", 0, 0, G_OPTION_ARG_INT, &opt_max_requests, "Requests of all phones under way at once (default 8, 0: no limit)", "N" },
  { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &opt_duration, "Stop after S seconds (default: run until SIGINT/SIGTERM)", "S" },
  { "pin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_pins, "The PIN phone MAC types when it asks for one (repeatable)", "MAC=PIN" },
  { "pins", 0, 0, G_OPTION_ARG_FILENAME, &opt_pins_file, "Handout CSV (mac,e164,model,location,state,issued,pin or the older mac,e164,model,location,pin) the phones read their PIN from when they ask", "FILE" },
  { "wrong-tan", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_wrong_tan, "Phone MAC answers a wrong bootstrapping-tan (repeatable)", "MAC" },
  { "pin-interval", 0, 0, G_OPTION_ARG_DOUBLE, &opt_pin_interval, "Seconds between two looks for a PIN not known yet (default 2)", "S" },
  { "bundle-iterations", 0, 0, G_OPTION_ARG_INT64, &opt_bundle_iterations, "PBKDF2 iterations of secure-mode-data, as the service uses (default 100000)", "N" },
  { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt_quiet, "Log failed flows only", NULL },
  { NULL }
};

typedef struct {
  GMainLoop    *loop;
  WpiSimulator *simulator;
  gint64        stop_started;
  guint         stop_source;
  guint         duration_source;
} App;

/* 1,000 phones hold 1,000 listening sockets plus their connections. */
static void
raise_fd_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0)
    return;
  if (limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
        g_printerr ("wpi-sim: cannot raise the open-file limit: %s\n", g_strerror (errno));
    }
}

static void
on_flow_finished (WpiSimulator *simulator,
                  WpiSimPhone  *phone,
                  const char   *reason,
                  gboolean      ok,
                  const char   *detail,
                  guint         n_messages,
                  gint64        duration,
                  App          *app)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *stamp = NULL;

  if (ok && opt_quiet)
    return;
  now = g_date_time_new_now_local ();
  stamp = g_date_time_format (now, "%H:%M:%S.%f");
  stamp[12] = '\0';   /* milliseconds */
  g_print ("%s %s %-17s %-6s %2u msg %6.1f ms  %s\n", stamp, wpi_sim_phone_get_mac (phone),
           reason ?: "?", ok ? "ok" : "FAILED", n_messages, duration / 1000.0, detail ?: "");
}

static void
print_line (WpiSimPhone *phone,
            const char  *text)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S.%f");

  stamp[12] = '\0';   /* milliseconds */
  g_print ("%s %s %s\n", stamp, wpi_sim_phone_get_mac (phone), text);
}

static void
on_pin_requested (WpiSimulator *simulator,
                  WpiSimPhone  *phone,
                  App          *app)
{
  if (!opt_quiet)
    print_line (phone, "asks for its PIN");
}

static void
on_pin_entered (WpiSimulator *simulator,
                WpiSimPhone  *phone,
                gboolean      accepted,
                guint         attempts_left,
                App          *app)
{
  g_autofree char *text = NULL;

  if (accepted && opt_quiet)
    return;
  text = accepted ? g_strdup ("PIN accepted")
                  : g_strdup_printf ("wrong PIN, %u attempt%s left", attempts_left,
                                     attempts_left == 1 ? "" : "s");
  print_line (phone, text);
}

static void
on_mode_changed (WpiSimPhone *phone,
                 GParamSpec  *pspec,
                 App         *app)
{
  g_autofree char *text = NULL;

  if (wpi_sim_phone_get_mode (phone) == WPI_SIM_PHONE_MODE_SECURE)
    text = g_strdup_printf ("in Secure Mode, port %u", wpi_sim_phone_get_secure_port (phone));
  else
    text = g_strdup ("back in Default Mode");
  print_line (phone, text);
}

/* "MAC=PIN" -> the phone and the PIN; FALSE with a message when it is not one. */
static gboolean
parse_pin_option (const char  *option,
                  char       **mac,
                  char       **pin,
                  GError     **error)
{
  const char *equals = strchr (option, '=');
  g_autofree char *mac_part = NULL;

  if (equals == NULL || equals[1] == '\0')
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--pin \"%s\" is not MAC=PIN", option);
      return FALSE;
    }
  mac_part = g_strndup (option, equals - option);
  *mac = wpi_mac_normalize (mac_part, error);
  if (*mac == NULL)
    return FALSE;
  *pin = g_strdup (equals + 1);
  return TRUE;
}

typedef struct {
  char *mac;
  char *pin;   /* NULL for --wrong-tan */
} PhoneOption;

static void
phone_option_free (PhoneOption *option)
{
  g_free (option->mac);
  g_free (option->pin);
  g_free (option);
}

/* --pin and --wrong-tan, checked before any phone starts. */
static GPtrArray *
parse_phone_options (GError **error)
{
  g_autoptr(GPtrArray) options = g_ptr_array_new_with_free_func ((GDestroyNotify) phone_option_free);

  for (guint i = 0; opt_pins != NULL && opt_pins[i] != NULL; i++)
    {
      PhoneOption *option = g_new0 (PhoneOption, 1);

      g_ptr_array_add (options, option);
      if (!parse_pin_option (opt_pins[i], &option->mac, &option->pin, error))
        return NULL;
    }
  for (guint i = 0; opt_wrong_tan != NULL && opt_wrong_tan[i] != NULL; i++)
    {
      PhoneOption *option = g_new0 (PhoneOption, 1);

      g_ptr_array_add (options, option);
      option->mac = wpi_mac_normalize (opt_wrong_tan[i], error);
      if (option->mac == NULL)
        return NULL;
    }
  return g_steal_pointer (&options);
}

/* They must name phones of this simulator. */
static gboolean
apply_phone_options (WpiSimulator  *simulator,
                     GPtrArray     *options,
                     GError       **error)
{
  for (guint i = 0; i < options->len; i++)
    {
      PhoneOption *option = g_ptr_array_index (options, i);
      WpiSimPhone *phone = wpi_simulator_lookup (simulator, option->mac);

      if (phone == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "%s: no simulated phone has the MAC %s",
                       option->pin != NULL ? "--pin" : "--wrong-tan", option->mac);
          return FALSE;
        }
      if (option->pin != NULL)
        wpi_sim_phone_set_pin (phone, option->pin);
      else
        g_object_set (phone, "wrong-tan", TRUE, NULL);
    }
  return TRUE;
}

static guint
count_secure (WpiSimulator *simulator)
{
  GListModel *phones = wpi_simulator_get_phones (simulator);
  guint n = g_list_model_get_n_items (phones);
  guint secure = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiSimPhone) phone = g_list_model_get_item (phones, i);

      if (wpi_sim_phone_get_mode (phone) == WPI_SIM_PHONE_MODE_SECURE)
        secure++;
    }
  return secure;
}

static gboolean
wait_quiet (gpointer user_data)
{
  App *app = user_data;

  if (wpi_simulator_is_quiet (app->simulator) ||
      g_get_monotonic_time () - app->stop_started > SHUTDOWN_GRACE_MS * 1000)
    {
      app->stop_source = 0;
      g_main_loop_quit (app->loop);
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
app_stop (App *app)
{
  if (app->stop_started != 0)
    return;
  app->stop_started = g_get_monotonic_time ();
  wpi_simulator_stop (app->simulator);
  app->stop_source = g_timeout_add (10, wait_quiet, app);
}

static gboolean
on_signal (gpointer user_data)
{
  app_stop (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_duration (gpointer user_data)
{
  App *app = user_data;

  app->duration_source = 0;
  app_stop (app);
  return G_SOURCE_REMOVE;
}

/* Ranges GOption cannot check; FALSE with the message printed. */
static gboolean
check_option_ranges (void)
{
  const char *problem = NULL;

  if (opt_phones < 0 || opt_phones > 64000)
    problem = "--phones must be between 0 and 64000";
  else if (opt_busy_ratio < 0 || opt_busy_ratio > 1 ||
           opt_ignore_contact_ratio < 0 || opt_ignore_contact_ratio > 1)
    problem = "--busy-ratio and --ignore-contact-ratio must be between 0 and 1";
  else if (opt_contact_port_base < 0 || opt_contact_port_base > 65535 || opt_call_seconds < 0 ||
           opt_local_changes_interval < 0 || opt_inventory_changes_interval < 0 ||
           opt_poll_interval < 0 || opt_restart_seconds < 0 || opt_retry_seconds <= 0 ||
           opt_max_items < -1 || opt_max_items == 0 || opt_max_items > G_MAXINT32 ||
           opt_max_requests < 0 || opt_pin_interval <= 0 || opt_address_stride < 1 ||
           opt_address_stride > 64000 || opt_bundle_iterations < 1 ||
           opt_bundle_iterations > G_MAXUINT)
    problem = "a port, interval or count is out of range (see --help)";
  if (problem != NULL)
    g_printerr ("wpi-sim: %s\n", problem);
  return problem == NULL;
}

/* The command line, all of it checked before any phone exists; NULL after printing why. */
static GPtrArray *
parse_options (int    *argc,
               char ***argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *phone_options;

  context = g_option_context_new ("- simulate OpenStage phones against a provisioning service");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("wpi-sim: %s\n", error->message);
      return NULL;
    }
  if (!check_option_ranges ())
    return NULL;
  phone_options = parse_phone_options (&error);
  if (phone_options == NULL)
    g_printerr ("wpi-sim: %s\n", error->message);
  return phone_options;
}

static void
free_options (void)
{
  g_free (opt_service);
  g_free (opt_base_mac);
  g_free (opt_base_e164);
  g_free (opt_poll_uri);
  g_free (opt_bind_prefix);
  g_free (opt_firmware_mix);
  g_strfreev (opt_pins);
  g_free (opt_pins_file);
  g_strfreev (opt_wrong_tan);
}

/* What the whole process needs before a thousand phones connect. */
static void
prepare_process (void)
{
  raise_fd_limit ();
  /* Phones verify no certificate; without this glib-networking loads the system CA store for
   * every connection, which would make the simulator, not the service, the bottleneck. */
  g_tls_backend_set_default_database (g_tls_backend_get_default (), wpi_sim_accept_any_database ());
  wpi_sim_set_max_requests (opt_max_requests);
}

static WpiSimulator *
simulator_new_from_options (void)
{
  WpiSimulator *simulator = wpi_simulator_new (opt_service ?: "https://127.0.0.1:18443",
                                               opt_phones);

  g_object_set (simulator,
                "base-mac", opt_base_mac ?: WPI_SIM_DEFAULT_BASE_MAC,
                "base-e164", opt_base_e164 ?: WPI_SIM_DEFAULT_BASE_E164,
                "bind-prefix", opt_bind_prefix ?: WPI_SIM_DEFAULT_BIND_PREFIX,
                "address-stride", (guint) opt_address_stride,
                "await-contact", opt_await_contact,
                "contact-port-base", (guint) opt_contact_port_base,
                "firmware-mix", opt_firmware_mix ?: "v1,v2r2,v3r3",
                "max-items", opt_max_items,
                "busy-ratio", opt_busy_ratio,
                "call-seconds", opt_call_seconds,
                "local-changes-interval", opt_local_changes_interval,
                "inventory-changes-interval", opt_inventory_changes_interval,
                "ignore-contact-ratio", opt_ignore_contact_ratio,
                "poll-interval", opt_poll_interval,
                "poll-uri", opt_poll_uri,
                "restart-seconds", opt_restart_seconds,
                "retry-seconds", opt_retry_seconds,
                "keep-alive", opt_keep_alive,
                "pins-file", opt_pins_file,
                "pin-interval", opt_pin_interval,
                "bundle-iterations", (guint) opt_bundle_iterations,
                NULL);
  return simulator;
}

/* Starts the phones with the logging handlers connected and --pin, --wrong-tan applied. */
static gboolean
app_start (App        *app,
           GPtrArray  *phone_options,
           GError    **error)
{
  WpiSimulator *simulator = app->simulator;
  GListModel *phones = wpi_simulator_get_phones (simulator);

  g_signal_connect (simulator, "flow-finished", G_CALLBACK (on_flow_finished), app);
  g_signal_connect (simulator, "pin-requested", G_CALLBACK (on_pin_requested), app);
  g_signal_connect (simulator, "pin-entered", G_CALLBACK (on_pin_entered), app);

  /* the phones only start talking once the main loop runs, so the PINs are in place first */
  if (!wpi_simulator_start (simulator, error) ||
      !apply_phone_options (simulator, phone_options, error))
    return FALSE;
  for (guint i = 0; i < wpi_simulator_get_n_phones (simulator); i++)
    {
      g_autoptr(WpiSimPhone) phone = g_list_model_get_item (phones, i);

      g_signal_connect (phone, "notify::mode", G_CALLBACK (on_mode_changed), app);
    }
  return TRUE;
}

/* Until SIGINT, SIGTERM or --duration, and the phones' connections closed (or the grace
 * period over). */
static void
app_run (App *app)
{
  guint sigint = g_unix_signal_add (SIGINT, on_signal, app);
  guint sigterm = g_unix_signal_add (SIGTERM, on_signal, app);

  if (opt_duration > 0)
    app->duration_source = g_timeout_add ((guint) (opt_duration * 1000), on_duration, app);

  g_main_loop_run (app->loop);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_clear_handle_id (&app->duration_source, g_source_remove);
  g_clear_handle_id (&app->stop_source, g_source_remove);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(WpiSimulator) simulator = NULL;
  g_autoptr(GPtrArray) phone_options = NULL;
  App app = { 0 };

  setlocale (LC_ALL, "");

  phone_options = parse_options (&argc, &argv);
  if (phone_options == NULL)
    return 1;

  prepare_process ();
  simulator = simulator_new_from_options ();
  loop = g_main_loop_new (NULL, FALSE);
  app.loop = loop;
  app.simulator = simulator;
  if (!app_start (&app, phone_options, &error))
    {
      g_printerr ("wpi-sim: %s\n", error->message);
      return 1;
    }
  g_print ("wpi-sim: %d phones against %s\n", opt_phones,
           opt_service ?: "https://127.0.0.1:18443");

  app_run (&app);

  g_print ("wpi-sim: %" G_GUINT64_FORMAT " flows ok, %" G_GUINT64_FORMAT " failed; "
           "%u of %u phones in Secure Mode\n",
           wpi_simulator_get_flows_ok (simulator), wpi_simulator_get_flows_failed (simulator),
           count_secure (simulator), wpi_simulator_get_n_phones (simulator));
  free_options ();
  return 0;
}
