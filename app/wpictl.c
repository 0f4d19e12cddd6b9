/* wpictl: the command-line client of the provisioning service
 *
 * wpictl works on the store of a data directory, the same one a running service uses:
 * it queues jobs and reads state, and never talks WPI itself. The service checks the
 * store for new work every half second and acts on a job within a second; --wait
 * watches the store until the job is over.
 *
 * Exit status: 0 success; 1 usage error or a store that cannot be used; 2 something
 * named does not exist or a value is invalid (MAC, item, value, job state); 3 a job
 * waited for failed, was cancelled, had items refused or is done with problems (items
 * not returned); 4 the wait ended before the
 * job did.
 */
#include "config.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libintl.h>

#include "wpi-handout.h"
#include "wpi-pki.h"
#include "wpictl-private.h"

G_DEFINE_QUARK (wpictl-error-quark, _wpictl_error)

/* --wait without a value */
#define DEFAULT_WAIT_SECONDS 300.0

/* Where wpictl looks for the store when neither --data-dir nor WPC_DATA_DIR is given */
#define DATA_DIR_NAME "workpoint-console"

WpictlOptions wpictl_opt = {
  .wait_seconds = DEFAULT_WAIT_SECONDS,
  .limit = -1,
};
WpictlContext wpictl;

/* The options a command offers */
typedef enum {
  OPT_JSON      = 1 << 0,
  OPT_SECRETS   = 1 << 1,
  OPT_WAIT      = 1 << 2,
  OPT_YES       = 1 << 3,
  OPT_PHONE     = 1 << 4,
  OPT_STATE     = 1 << 5,
  OPT_LIMIT     = 1 << 6,
  OPT_TYPE      = 1 << 7,
  OPT_SWVERSION = 1 << 8,
  OPT_IMMEDIATE = 1 << 9,
  OPT_URL_BASE  = 1 << 10,
  OPT_NAME      = 1 << 11,
  OPT_NONE      = 1 << 12,
  OPT_SELECT    = 1 << 13,
  OPT_BOOTSTRAP = 1 << 14,
  OPT_PINS      = 1 << 15,
  OPT_ALL_PINS  = 1 << 16,
  OPT_EXPORT    = 1 << 17,
  OPT_DRY_RUN   = 1 << 18,
  OPT_SWEEP     = 1 << 19,
} OptionFlags;

/* ---- errors ---- */

int
_wpictl_fail (int         status,
              const char *format,
              ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "wpictl: %s\n", message);
  return status;
}

static int
exit_status_for (const GError *error)
{
  if (error->domain == WPICTL_ERROR)
    return error->code;
  if (error->domain == WPI_CATALOGUE_ERROR ||
      g_error_matches (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID) ||
      g_error_matches (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_MAC) ||
      g_error_matches (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND))
    return EXIT_INVALID;
  if (error->domain == WPI_STORE_ERROR)
    {
      switch (error->code)
        {
        case WPI_STORE_ERROR_INVALID:
        case WPI_STORE_ERROR_NOT_FOUND:
        case WPI_STORE_ERROR_STATE:
          return EXIT_INVALID;
        default:
          return EXIT_USAGE;
        }
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE) ||
      g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return EXIT_INVALID;
  return EXIT_USAGE;
}

int
_wpictl_fail_error (const GError *error)
{
  return _wpictl_fail (exit_status_for (error), "%s", error->message);
}

/* ---- the store ---- */

static char *
default_data_dir (void)
{
  const char *env = g_getenv ("WPC_DATA_DIR");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), DATA_DIR_NAME, NULL);
}

/* Only profile commands create a store: everything else needs a service's store, and
 * a mistyped --data-dir should not leave an empty one behind. */
gboolean
_wpictl_open_store (gboolean   create,
                    GError   **error)
{
  g_autofree char *path = g_build_filename (wpictl.data_dir, WPI_STORE_DB_NAME, NULL);

  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "No store in %s: start the service there (workpoint-console --headless "
                   "--data-dir %s) or pass --data-dir",
                   wpictl.data_dir, wpictl.data_dir);
      return FALSE;
    }
  wpictl.store = wpi_store_open (wpictl.data_dir, error);
  return wpictl.store != NULL;
}

char *
_wpictl_normalize_mac (const char  *text,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *mac = wpi_mac_normalize (text, &local_error);

  if (mac == NULL)
    g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "“%s” is not a MAC address", text);
  return mac;
}

WpiPhoneRecord *
_wpictl_get_phone (const char  *text,
                   GError     **error)
{
  g_autofree char *mac = _wpictl_normalize_mac (text, error);

  if (mac == NULL)
    return NULL;
  return wpi_store_phone_get (wpictl.store, mac, error);
}

gboolean
_wpictl_parse_job_id (const char  *text,
                      gint64      *job_id,
                      GError     **error)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "“%s” is not a job number", text);
      return FALSE;
    }
  *job_id = (gint64) value;
  return TRUE;
}

/* ---- command line ---- */

typedef int (*CommandFunc) (char **args);

static const struct {
  const char  *name;
  const char  *parameters;
  const char  *summary;
  guint        min_args;
  guint        max_args;   /* G_MAXUINT: any */
  OptionFlags  options;
  CommandFunc  func;
} commands[] = {
  { "phones", "", "List the phones the service knows",
    0, 0, OPT_JSON, _wpictl_cmd_phones },
  { "show", "MAC", "Show a phone: identity, every stored item value and its jobs",
    1, 1, OPT_JSON | OPT_SECRETS, _wpictl_cmd_show },
  { "location", "MAC TEXT", "Set the phone's location, printed on its PIN slip (\"\" clears it)",
    2, G_MAXUINT, 0, _wpictl_cmd_location },
  { "read", "MAC ITEM…", "Read items from a phone (ITEM is NAME or NAME[INDEX])",
    2, G_MAXUINT, OPT_JSON | OPT_SECRETS | OPT_WAIT, _wpictl_cmd_read },
  { "read-all", "MAC", "Read every item of a phone",
    1, 1, OPT_JSON | OPT_SECRETS | OPT_WAIT, _wpictl_cmd_read_all },
  { "write", "MAC NAME=VALUE…", "Write items (NAME or NAME[INDEX]), checked against the catalogue",
    2, G_MAXUINT, OPT_JSON | OPT_SECRETS | OPT_WAIT, _wpictl_cmd_write },
  { "restart", "MAC", "Restart a phone",
    1, 1, OPT_JSON | OPT_WAIT, _wpictl_cmd_restart },
  { "factory-reset", "MAC --yes", "Reset a phone to factory settings",
    1, 1, OPT_JSON | OPT_WAIT | OPT_YES, _wpictl_cmd_factory_reset },
  { "contact", "MAC", "Have the service contact a phone now (its pending jobs become due; "
                      "without any, a read-all is queued)",
    1, 1, OPT_JSON | OPT_WAIT, _wpictl_cmd_contact },
  { "deploy-file", "MAC FILE --type TYPE", "Deploy a file (ring tone, logo, …) that the service serves",
    2, 2, OPT_JSON | OPT_WAIT | OPT_TYPE | OPT_NAME | OPT_URL_BASE, _wpictl_cmd_deploy_file },
  { "deploy-software", "MAC FILE --version VERSION", "Deploy a firmware image that the service serves",
    2, 2, OPT_JSON | OPT_WAIT | OPT_SWVERSION | OPT_IMMEDIATE | OPT_NAME | OPT_URL_BASE, _wpictl_cmd_deploy_software },
  { "jobs", "", "List jobs, the newest last",
    0, 0, OPT_JSON | OPT_SECRETS | OPT_PHONE | OPT_STATE | OPT_LIMIT, _wpictl_cmd_jobs },
  { "job", "JOB", "Show one job with its items' results",
    1, 1, OPT_JSON | OPT_SECRETS | OPT_WAIT, _wpictl_cmd_job },
  { "cancel", "JOB", "Cancel a pending job",
    1, 1, 0, _wpictl_cmd_cancel },
  { "profile set", "NAME NAME=VALUE…", "Create or replace a profile; values may hold {mac}, {e164}, {ip}",
    1, G_MAXUINT, 0, _wpictl_cmd_profile_set },
  { "profile default", "NAME | --none", "Make a profile the one new phones get",
    0, 1, OPT_NONE, _wpictl_cmd_profile_default },
  { "profile list", "", "List the profiles",
    0, 0, OPT_JSON | OPT_SECRETS, _wpictl_cmd_profile_list },
  { "profile show", "NAME", "Show a profile's items",
    1, 1, OPT_JSON | OPT_SECRETS, _wpictl_cmd_profile_show },
  { "profile apply", "NAME MAC", "Queue a profile's items for a phone",
    2, 2, OPT_JSON | OPT_SECRETS | OPT_WAIT, _wpictl_cmd_profile_apply },
  { "traffic", "", "Show the traffic log, the newest messages last",
    0, 0, OPT_JSON | OPT_SECRETS | OPT_PHONE | OPT_LIMIT | OPT_EXPORT, _wpictl_cmd_traffic },
  { "bootstrap", "MAC… | --all | --default-mode | --match TEXT",
    "Move phones into Secure Mode: queue the jobs with their PINs (the service makes the certificates)",
    0, G_MAXUINT, OPT_SELECT | OPT_BOOTSTRAP | OPT_PINS, _wpictl_cmd_bootstrap },
  { "pins", "", "List each phone's bootstrap PIN and its state",
    0, 0, OPT_JSON | OPT_PINS | OPT_ALL_PINS, _wpictl_cmd_pins },
  { "revoke", "MAC", "Revoke a phone's certificates: the secure port refuses it",
    1, 1, 0, _wpictl_cmd_revoke },
  { "dhcp-option", "[ADDRESS]", "Print the DHCP option 43 that sends phones to the service at ADDRESS "
                                "(default: each address of this computer), with snippets for DHCP servers",
    0, 1, 0, _wpictl_cmd_dhcp_option },
  { "diff", "MAC MAC|PROFILE", "Compare a phone's settings with another phone's or a profile's "
                               "(identity items left out)",
    2, 2, OPT_JSON | OPT_SECRETS, _wpictl_cmd_diff },
  { "copy-settings", "FROM TO… [--yes]", "Preview, and with --yes queue, write-items jobs that give "
                                         "the TO phones FROM's settings",
    2, G_MAXUINT, OPT_JSON | OPT_SECRETS | OPT_WAIT | OPT_YES, _wpictl_cmd_copy_settings },
  { "import", "FILE [--dry-run]", "Import a phone list (CSV: mac, number, location, profile, items); "
    "phones not yet seen wait as expected and are configured when they first call",
    1, 1, OPT_JSON | OPT_DRY_RUN, _wpictl_cmd_import },
  { "export", "FILE", "Export the phone list as CSV (state, mode, firmware, location; no secrets); "
    "\"-\" writes to standard output", 1, 1, 0, _wpictl_cmd_export },
  { "sweep", "RANGE", "Find phones: contact-me to every address of RANGE (192.168.1.0/24, "
                      "192.168.1.10-99) so that the phones there register with the service",
    1, 1, OPT_JSON | OPT_SWEEP, _wpictl_cmd_sweep },
};

static gboolean
parse_wait (const char  *option_name,
            const char  *value,
            gpointer     data,
            GError     **error)
{
  double seconds;
  char *end = NULL;

  wpictl_opt.wait = TRUE;
  if (value == NULL)
    {
      wpictl_opt.wait_seconds = DEFAULT_WAIT_SECONDS;
      return TRUE;
    }
  seconds = g_ascii_strtod (value, &end);
  if (end == value || *end != '\0' || !(seconds >= 0) || seconds > 365.0 * 24 * 3600)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--wait takes a number of seconds, not “%s”", value);
      return FALSE;
    }
  wpictl_opt.wait_seconds = seconds;
  return TRUE;
}

#define DATA_DIR_HELP "The service's data directory (default: $WPC_DATA_DIR or $XDG_DATA_HOME/workpoint-console)"

static const GOptionEntry data_dir_entry =
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &wpictl_opt.data_dir, DATA_DIR_HELP, "DIR" };

static const struct {
  OptionFlags  flag;
  GOptionEntry entry;
} option_entries[] = {
  { OPT_JSON, { "json", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.json, "Print JSON", NULL } },
  { OPT_SECRETS, { "show-secrets", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.show_secrets,
                   "Show passwords, keys and PINs instead of " WPC_CTL_MASKED, NULL } },
  { OPT_WAIT, { "wait", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer) parse_wait,
                "Wait until the job is over (at most SECONDS, default 300) and print the outcome",
                "SECONDS" } },
  { OPT_YES, { "yes", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.yes, "Confirm (factory-reset: the reset; copy-settings: queue the jobs)", NULL } },
  { OPT_PHONE, { "phone", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.phone, "Only this phone's", "MAC" } },
  { OPT_STATE, { "state", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.state,
                 "Only jobs in this state (queued, …, done, done-with-problems, failed, cancelled, or pending)", "STATE" } },
  { OPT_LIMIT, { "limit", 0, 0, G_OPTION_ARG_INT, &wpictl_opt.limit,
                 "Only the newest N (traffic: 100 unless given); 0 for all", "N" } },
  { OPT_TYPE, { "type", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.type,
                "The file-type: MOH, PIC, LDAP, LOGO, SCREENSAVER, RINGTONE, DONGLE", "TYPE" } },
  { OPT_SWVERSION, { "version", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.sw_version,
                     "The firmware's file-sw-version, e.g. 3.5.12.0", "VERSION" } },
  { OPT_IMMEDIATE, { "immediate", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.immediate,
                     "Install even during a call (file-priority immediate)", NULL } },
  { OPT_NAME, { "name", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.name,
                "The file's name on the service and the phone (default: FILE's)", "NAME" } },
  { OPT_URL_BASE, { "url-base", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.url_base,
                    "Where phones reach the service, e.g. https://192.0.2.1:18443 "
                    "(default: the address the running service recorded)", "URL" } },
  { OPT_NONE, { "none", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.none, "No default profile", NULL } },
  { OPT_SELECT, { "all", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.all_phones, "Every phone the service knows", NULL } },
  { OPT_SELECT, { "default-mode", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.default_mode,
                  "Every phone still in Default Mode", NULL } },
  { OPT_SELECT, { "match", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.match,
                  "Phones whose MAC, number, model or location contain every word of TEXT", "TEXT" } },
  { OPT_BOOTSTRAP, { "pin", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.pin,
                     "With a PIN typed on the phone (the default)", NULL } },
  { OPT_BOOTSTRAP, { "nopin", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.nopin,
                     "Without PIN: the phone trusts the first server it gets the bundle from", NULL } },
  { OPT_BOOTSTRAP, { "pin-length", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.pin_length,
                     "Digits per PIN, 8 to 20 (default 12; the last 3 are the TAN)", "N" } },
  { OPT_BOOTSTRAP, { "max-retries", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.max_retries,
                     "Wrong PINs a phone allows before it gives up (default 3)", "N" } },
  { OPT_BOOTSTRAP, { "handout", 0, 0, G_OPTION_ARG_FILENAME, &wpictl_opt.handout,
                     "Write the PINs to FILE: slips to cut out (.pdf) or a table (.csv)", "FILE" } },
  { OPT_BOOTSTRAP, { "paper", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.paper,
                     "The PDF's paper: a4 (default) or letter", "SIZE" } },
  { OPT_PINS, { "show-pins", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.show_pins,
                "Print the PINs instead of " WPC_CTL_MASKED, NULL } },
  { OPT_ALL_PINS, { "all", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.all_pins,
                    "Every PIN ever made, not only each phone's newest", NULL } },
  { OPT_EXPORT, { "flow", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.flow, "Only this flow's messages", "ID" } },
  { OPT_EXPORT, { "jsonl", 0, 0, G_OPTION_ARG_FILENAME, &wpictl_opt.jsonl,
                  "Write the messages to FILE as JSON lines, each with its context (all unless --limit)", "FILE" } },
  { OPT_EXPORT, { "pcapng", 0, 0, G_OPTION_ARG_FILENAME, &wpictl_opt.pcapng,
                  "Write the messages to FILE as a pcapng capture of HTTP for Wireshark (all unless --limit)",
                  "FILE" } },
  { OPT_DRY_RUN, { "dry-run", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.dry_run,
                   "Check the list and tell what it would change; store nothing", NULL } },
  { OPT_SWEEP, { "rate", 0, 0, G_OPTION_ARG_INT, &wpictl_opt.rate,
                 "Contact-mes a second (default: the console's setting, 20)", "N" } },
  { OPT_SWEEP, { "concurrency", 0, 0, G_OPTION_ARG_INT, &wpictl_opt.concurrency,
                 "Contact-mes under way at once (default 50)", "N" } },
  { OPT_SWEEP, { "yes", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.yes,
                 "Confirm a sweep of more than 1,024 addresses", NULL } },
  { OPT_SWEEP, { "wait", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer) parse_wait,
                 "Wait at most SECONDS (default 60) after the last contact-me for the phones "
                 "that answered to register", "SECONDS" } },
  { OPT_SWEEP, { "callback", 0, 0, G_OPTION_ARG_STRING, &wpictl_opt.callback,
                 "The address the phones are to call (default: this computer's address "
                 "towards the range)", "ADDRESS" } },
};

static char *
commands_description (void)
{
  g_autoptr(GString) text = g_string_new ("Commands:\n");

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (text, "  %s %s\n      %s\n", commands[i].name, commands[i].parameters,
                            commands[i].summary);
  g_string_append (text,
    "\n`wpictl COMMAND --help` shows a command's options. Job commands print the job's\n"
    "number; with --wait they wait for the service and print the outcome.\n"
    "\nExit status: 0 success; 1 usage error or unusable store; 2 not found or invalid;\n"
    "3 a job waited for failed, was cancelled, had items refused or not returned, or a\n"
    "phone could not be bootstrapped; 4 still pending when --wait ran out (a sweep: phones\n"
    "that answered did not register in time); 130 bootstrap or sweep interrupted.");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
free_options (void)
{
  g_clear_pointer (&wpictl_opt.global_data_dir, g_free);
  g_clear_pointer (&wpictl_opt.data_dir, g_free);
  g_clear_pointer (&wpictl_opt.phone, g_free);
  g_clear_pointer (&wpictl_opt.state, g_free);
  g_clear_pointer (&wpictl_opt.type, g_free);
  g_clear_pointer (&wpictl_opt.sw_version, g_free);
  g_clear_pointer (&wpictl_opt.url_base, g_free);
  g_clear_pointer (&wpictl_opt.name, g_free);
  g_clear_pointer (&wpictl_opt.match, g_free);
  g_clear_pointer (&wpictl_opt.handout, g_free);
  g_clear_pointer (&wpictl_opt.paper, g_free);
  g_clear_pointer (&wpictl_opt.flow, g_free);
  g_clear_pointer (&wpictl_opt.jsonl, g_free);
  g_clear_pointer (&wpictl_opt.pcapng, g_free);
  g_clear_pointer (&wpictl_opt.callback, g_free);
  g_clear_pointer (&wpictl.data_dir, g_free);
  g_clear_object (&wpictl.store);
}

/* The command args names ("profile" takes a second word), or -1; *n_words: how many
 * words its name has. */
static int
find_command (char **args,
              guint *n_words)
{
  g_autofree char *command_name = NULL;

  *n_words = strcmp (args[1], "profile") == 0 && args[2] != NULL ? 2 : 1;
  command_name = *n_words == 2 ? g_strconcat (args[1], " ", args[2], NULL) : g_strdup (args[1]);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (commands[i].name, command_name) == 0)
      return i;
  return -1;
}

/* The command's options out of its argv ("wpictl COMMAND", then what follows the
 * command); what remains are its arguments. */
static gboolean
parse_command_options (guint    command,
                       char  ***command_args,
                       GError **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  g_autofree char *parameters = NULL;

  g_array_append_val (entries, data_dir_entry);
  for (guint i = 0; i < G_N_ELEMENTS (option_entries); i++)
    if (commands[command].options & option_entries[i].flag)
      g_array_append_val (entries, option_entries[i].entry);
  parameters = g_strdup_printf ("%s — %s", commands[command].parameters, commands[command].summary);
  /* --help of the command says "wpictl read [OPTION…] MAC ITEM…" */
  g_set_prgname ((*command_args)[0]);
  context = g_option_context_new (parameters);
  g_option_context_add_main_entries (context, (GOptionEntry *) entries->data, NULL);
  return g_option_context_parse_strv (context, command_args, error);
}

/* The global options; FALSE with the exit status when wpictl is done already */
static gboolean
parse_global_options (char ***args,
                      int    *status)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = commands_description ();
  const GOptionEntry global_entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &wpictl_opt.global_data_dir, DATA_DIR_HELP, "DIR" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &wpictl_opt.version, "Print the version", NULL },
    { NULL }
  };

  context = g_option_context_new ("COMMAND [ARGUMENT…] — control the Workpoint Console service");
  g_option_context_set_summary (context,
    "Queues jobs for phones and reads the state of the provisioning service through the\n"
    "store in its data directory; a running service acts on a new job within a second.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, global_entries, NULL);
  /* options after the command belong to the command */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse_strv (context, args, &error))
    *status = _wpictl_fail (EXIT_USAGE, "%s", error->message);
  else if (wpictl_opt.version)
    {
      printf ("wpictl %s\n", WPC_VERSION);
      *status = EXIT_OK;
    }
  else if ((*args)[1] == NULL)
    *status = _wpictl_fail (EXIT_USAGE, "No command given (see wpictl --help)");
  else
    return TRUE;
  return FALSE;
}

static int
run (char **argv)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) args = g_strdupv (argv);
  g_auto(GStrv) command_args = NULL;
  guint n_words, n_args;
  int found, status;

  if (!parse_global_options (&args, &status))
    return status;

  found = find_command (args, &n_words);
  if (found < 0)
    {
      if (strcmp (args[1], "profile") == 0)
        return _wpictl_fail (EXIT_USAGE, "Unknown profile command “%s” (set, default, list, show, apply)",
                             args[2] != NULL ? args[2] : "");
      return _wpictl_fail (EXIT_USAGE, "Unknown command “%s” (see wpictl --help)", args[1]);
    }

  /* the command's own argv: "wpictl COMMAND", then what follows the command */
  command_args = g_new0 (char *, g_strv_length (args) + 1);
  command_args[0] = g_strdup_printf ("wpictl %s", commands[found].name);
  for (guint i = 1 + n_words, j = 1; args[i] != NULL; i++, j++)
    command_args[j] = g_strdup (args[i]);
  if (!parse_command_options (found, &command_args, &error))
    return _wpictl_fail (EXIT_USAGE, "%s", error->message);

  n_args = g_strv_length (command_args) - 1;
  if (n_args < commands[found].min_args || n_args > commands[found].max_args)
    return _wpictl_fail (EXIT_USAGE, "Usage: wpictl %s %s", commands[found].name, commands[found].parameters);

  if (wpictl_opt.data_dir != NULL)
    wpictl.data_dir = g_strdup (wpictl_opt.data_dir);
  else if (wpictl_opt.global_data_dir != NULL)
    wpictl.data_dir = g_strdup (wpictl_opt.global_data_dir);
  else
    wpictl.data_dir = default_data_dir ();
  wpictl.catalogue = wpi_catalogue_get_default ();

  return commands[found].func (command_args + 1);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  setlocale (LC_ALL, "");
  /* the catalogue's category titles are translated */
  bindtextdomain (GETTEXT_PACKAGE, WPC_LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");

  status = run (argv);
  fflush (stdout);
  free_options ();
  return status;
}
