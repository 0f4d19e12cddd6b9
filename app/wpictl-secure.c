/* wpictl-secure.c: Secure Mode: bootstrap, pins and revoke
 *
 * bootstrap queues each phone's job with its PIN (the service makes the phone's
 * certificate and bundle when it sends the job); the PINs go to a handout or the
 * terminal. pins lists them, revoke revokes a phone's certificates.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "wpi-bootstrap.h"
#include "wpi-handout.h"
#include "wpi-pin.h"
#include "wpi-pki.h"
#include "wpi-service.h"
#include "wpictl-private.h"

/* bootstrap --max-retries: the most wrong PINs a phone may be allowed */
#define MAX_PIN_RETRIES 99

/* What `bootstrap` reports while the bulk handout runs, and what ends it. */
typedef struct {
  GMainLoop        *loop;
  GCancellable     *cancellable;
  WpiHandoutResult *result;
  GError           *error;
  gboolean          interrupted;
} BootstrapRun;

static void
bootstrap_progress (guint                   done,
                    guint                   total,
                    const char             *mac,
                    const WpiHandoutEntry  *entry,
                    gpointer                user_data)
{
  fprintf (stderr, "%u/%u %s%s\n", done, total, mac, entry != NULL ? "" : " failed");
}

static void
bootstrap_prepared (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  BootstrapRun *run = user_data;

  run->result = wpi_handout_prepare_finish (result, &run->error);
  g_main_loop_quit (run->loop);
}

/* Ctrl+C or a kill: the handout stops between phones, so every phone is queued with
 * its PIN completely or not at all, and what was queued is still reported. */
static gboolean
bootstrap_interrupted (gpointer user_data)
{
  BootstrapRun *run = user_data;

  if (!run->interrupted)
    fprintf (stderr, "wpictl: interrupted; stopping after the phone in progress\n");
  run->interrupted = TRUE;
  g_cancellable_cancel (run->cancellable);
  return G_SOURCE_CONTINUE;
}

static gboolean
parse_paper (const char       *text,
             WpiHandoutPaper  *paper,
             GError          **error)
{
  if (text == NULL || g_ascii_strcasecmp (text, "a4") == 0)
    *paper = WPI_HANDOUT_PAPER_A4;
  else if (g_ascii_strcasecmp (text, "letter") == 0)
    *paper = WPI_HANDOUT_PAPER_LETTER;
  else
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "--paper takes a4 or letter, not “%s”", text);
      return FALSE;
    }
  return TRUE;
}

/* The handout's kind by its extension; its directory must exist before any PIN is made. */
static gboolean
check_handout_path (const char  *path,
                    gboolean    *is_pdf,
                    GError     **error)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_str_has_suffix (lower, ".pdf"))
    *is_pdf = TRUE;
  else if (g_str_has_suffix (lower, ".csv"))
    *is_pdf = FALSE;
  else
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "--handout takes a file ending in .pdf or .csv, not “%s”", path);
      return FALSE;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "No directory %s for the handout", dir);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "The handout %s is a directory", path);
      return FALSE;
    }
  return TRUE;
}

static guint
secure_port_setting (void)
{
  gint64 port = 0;

  /* the running service records the port it listens on; before that, the default */
  if (!wpi_store_setting_get_int (wpictl.store, "service-secure-port", WPI_DEFAULT_SECURE_PORT, &port, NULL) ||
      port < 1 || port > 65535)
    return WPI_DEFAULT_SECURE_PORT;
  return (guint) port;
}

static GStrv
select_phones (char   **args,
               GError **error)
{
  guint n_ways = (args[0] != NULL) + (wpictl_opt.all_phones != FALSE) + (wpictl_opt.default_mode != FALSE) +
                 (wpictl_opt.match != NULL);

  if (n_ways != 1)
    {
      g_set_error (error, WPICTL_ERROR, EXIT_USAGE,
                   "Name the phones one way: MAC…, --all, --default-mode or --match TEXT");
      return NULL;
    }
  if (wpictl_opt.all_phones)
    return wpi_handout_select_all (wpictl.store, error);
  if (wpictl_opt.default_mode)
    return wpi_handout_select_default_mode (wpictl.store, error);
  if (wpictl_opt.match != NULL)
    return wpi_handout_select_matching (wpictl.store, wpictl_opt.match, error);
  return wpi_handout_select_macs (wpictl.store, (const char * const *) args, error);
}

static void
print_queued (GPtrArray *entries,
              gboolean   show_pins)
{
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (show_pins ? 3 : 2, NULL);

  if (show_pins)
    wpc_ctl_table_add_row (table, "MAC", "JOB", "PIN");
  else
    wpc_ctl_table_add_row (table, "MAC", "JOB");
  for (guint i = 0; i < entries->len; i++)
    {
      const WpiHandoutEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *job = g_strdup_printf ("%" G_GINT64_FORMAT, entry->job_id);
      g_autofree char *pin = entry->pin != NULL ? wpi_handout_format_pin (entry->pin) : NULL;

      if (show_pins)
        wpc_ctl_table_add_row (table, entry->mac, job, pin);
      else
        wpc_ctl_table_add_row (table, entry->mac, job);
      if (pin != NULL)
        explicit_bzero (pin, strlen (pin));
    }
  wpc_ctl_table_print (table, stdout);
}

/* Everything is checked before the first key is made. Returns EXIT_OK, or the status
 * to exit with after saying why. */
/* A whole number from min to max; anything else (-5, 3.5, "three") is refused by name. */
static gboolean
parse_in_range (const char  *option,
                const char  *text,
                guint        min,
                guint        max,
                guint       *value,
                GError     **error)
{
  guint64 number = 0;

  if (!g_ascii_string_to_unsigned (text, 10, min, max, &number, NULL))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "%s takes %u to %u, not “%s”", option, min, max, text);
      return FALSE;
    }
  *value = (guint) number;
  return TRUE;
}

static int
check_bootstrap_options (WpiBootstrapOptions *options,
                         WpiHandoutPaper     *paper,
                         gboolean            *is_pdf)
{
  g_autoptr(GError) error = NULL;

  wpi_bootstrap_options_init (options);
  if (wpictl_opt.pin && wpictl_opt.nopin)
    return _wpictl_fail (EXIT_USAGE, "--pin and --nopin exclude each other");
  options->with_pin = !wpictl_opt.nopin;
  if (!options->with_pin && (wpictl_opt.pin_length != NULL || wpictl_opt.max_retries != NULL))
    return _wpictl_fail (EXIT_USAGE, "--pin-length and --max-retries are for a bootstrap with PIN, not --nopin");
  if (!options->with_pin && wpictl_opt.handout != NULL)
    return _wpictl_fail (EXIT_USAGE, "--handout is for PINs: a bootstrap with --nopin has none to hand out");
  if (!options->with_pin && wpictl_opt.show_pins)
    return _wpictl_fail (EXIT_USAGE, "--show-pins is for PINs: a bootstrap with --nopin has none");
  if (wpictl_opt.pin_length != NULL &&
      !parse_in_range ("--pin-length", wpictl_opt.pin_length, WPI_PIN_MIN_LENGTH, WPI_PIN_MAX_LENGTH,
                       &options->pin_length, &error))
    return _wpictl_fail_error (error);
  if (wpictl_opt.max_retries != NULL &&
      !parse_in_range ("--max-retries", wpictl_opt.max_retries, 1, MAX_PIN_RETRIES, &options->max_retries, &error))
    return _wpictl_fail_error (error);
  if (wpictl_opt.paper != NULL && wpictl_opt.handout == NULL)
    return _wpictl_fail (EXIT_USAGE, "--paper is for a PDF --handout");
  if (!parse_paper (wpictl_opt.paper, paper, &error) ||
      (wpictl_opt.handout != NULL && !check_handout_path (wpictl_opt.handout, is_pdf, &error)))
    return _wpictl_fail_error (error);
  if (wpictl_opt.paper != NULL && !*is_pdf)
    return _wpictl_fail (EXIT_USAGE, "--paper is for a PDF --handout, not a CSV");
  return EXIT_OK;
}

/* Queues the phones' jobs with their PINs (D9), reporting progress on stderr; Ctrl+C or
 * a kill stops it between phones (the caller holds the signals). NULL when it could not
 * start. */
static WpiHandoutResult *
prepare_phones (BootstrapRun               *run,
                WpiPki                     *pki,
                const char * const         *macs,
                const WpiBootstrapOptions  *options,
                GError                    **error)
{
  wpi_handout_prepare_async (wpictl.data_dir, pki, macs, options, run->cancellable,
                             bootstrap_progress, NULL, bootstrap_prepared, run);
  g_main_loop_run (run->loop);

  if (run->result == NULL)
    g_propagate_error (error, g_steal_pointer (&run->error));
  return g_steal_pointer (&run->result);
}

/* Each phone that could not be queued, on stderr; EXIT_JOB_FAILED if there is one. */
static int
report_failures (const WpiHandoutResult *result)
{
  int status = EXIT_OK;

  for (guint i = 0; i < result->failures->len; i++)
    {
      const WpiHandoutFailure *failure = g_ptr_array_index (result->failures, i);

      _wpictl_fail (EXIT_JOB_FAILED, "%s: %s", failure->mac, failure->error->message);
      status = EXIT_JOB_FAILED;
    }
  return status;
}

/* Writes the handout, prints the queued phones and marks the PINs handed out when they
 * were shown. FALSE when the handout could not be written (said on stderr); a failure
 * to mark raises status to EXIT_USAGE. */
static gboolean
hand_out_pins (const WpiHandoutResult     *result,
               const WpiBootstrapOptions  *options,
               gboolean                    is_pdf,
               WpiHandoutPaper             paper,
               int                        *status)
{
  g_autoptr(GError) error = NULL;
  gboolean shown = FALSE;

  /* The queued phones' PINs are committed whether or not the run was cancelled: they
   * go into the handout all the same, or nobody could type them. */
  if (wpictl_opt.handout != NULL && result->entries->len > 0)
    {
      gboolean written = is_pdf ? wpi_handout_write_pdf (result->entries, wpictl_opt.handout, paper, &error)
                                : wpi_handout_write_csv (result->entries, wpictl_opt.handout, &error);

      if (!written)
        {
          _wpictl_fail (EXIT_USAGE, "The handout was not written: %s", error->message);
          _wpictl_fail (EXIT_USAGE, "The %u queued phones' PINs are in the store: wpictl pins --show-pins",
                        result->entries->len);
          return FALSE;
        }
      shown = TRUE;
    }
  else if (wpictl_opt.show_pins && options->with_pin)
    shown = TRUE;

  print_queued (result->entries, wpictl_opt.show_pins);
  fflush (stdout);

  if (shown && !wpi_handout_mark_handed_out (wpictl.store, result->entries, &error))
    {
      _wpictl_fail (EXIT_USAGE, "The PINs were not marked handed out: %s", error->message);
      *status = MAX (*status, EXIT_USAGE);
    }

  if (wpictl_opt.handout != NULL && result->entries->len > 0)
    printf ("Handout %s: %u PIN%s\n", wpictl_opt.handout, result->entries->len,
            result->entries->len == 1 ? "" : "s");
  else if (options->with_pin && !wpictl_opt.show_pins && result->entries->len > 0)
    printf ("The PINs are not shown: pass --handout FILE or --show-pins, or see wpictl pins --show-pins\n");
  return TRUE;
}

int
_wpictl_cmd_bootstrap (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) pki = NULL;
  g_autoptr(WpiHandoutResult) result = NULL;
  g_auto(GStrv) macs = NULL;
  g_autofree char *pki_dir = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  BootstrapRun run = { loop, cancellable, NULL, NULL, FALSE };
  WpiBootstrapOptions options;
  WpiHandoutPaper paper = WPI_HANDOUT_PAPER_A4;
  gboolean is_pdf = FALSE;
  gboolean handed_out = FALSE;
  guint sigint_id, sigterm_id;
  int status;

  status = check_bootstrap_options (&options, &paper, &is_pdf);
  if (status != EXIT_OK)
    return status;

  if (!_wpictl_open_store (FALSE, &error) || (macs = select_phones (args, &error)) == NULL)
    return _wpictl_fail_error (error);
  if (macs[0] == NULL)
    return _wpictl_fail (EXIT_INVALID, "No phone selected");
  options.secure_port = secure_port_setting ();

  pki_dir = g_build_filename (wpictl.data_dir, "pki", NULL);
  if ((pki = wpi_pki_new (pki_dir, NULL, &error)) == NULL)
    return _wpictl_fail_error (error);

  /* Ctrl+C or a kill stops the queuing between phones; once it is over, the PINs queued
   * must reach the handout, so the signal is only noted until the handout is written */
  sigint_id = g_unix_signal_add (SIGINT, bootstrap_interrupted, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, bootstrap_interrupted, &run);
  result = prepare_phones (&run, pki, (const char * const *) macs, &options, &error);
  if (result != NULL)
    {
      status = report_failures (result);
      handed_out = hand_out_pins (result, &options, is_pdf, paper, &status);
    }
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  if (result == NULL)
    return _wpictl_fail_error (error);
  if (!handed_out)
    return EXIT_USAGE;

  if (result->cancelled)
    {
      _wpictl_fail (EXIT_INTERRUPTED, "Cancelled: %u of %u phones queued, the rest untouched",
                    result->entries->len, result->n_requested);
      return EXIT_INTERRUPTED;
    }
  printf ("%u of %u phones queued for Secure Mode (%s)\n", result->entries->len, result->n_requested,
          options.with_pin ? "with PIN" : "without PIN");
  return status;
}

static JsonNode *
pin_to_json (const WpiPinRecord *record)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *created = wpc_ctl_format_iso_time (record->created_us);
  g_autofree char *updated = wpc_ctl_format_iso_time (record->updated_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_int_value (builder, record->id);
  json_builder_set_member_name (builder, "mac");
  json_builder_add_string_value (builder, record->mac);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, wpi_pin_state_to_string (record->state));
  json_builder_set_member_name (builder, "reason");
  if (record->reason != NULL)
    json_builder_add_string_value (builder, record->reason);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "pin");
  json_builder_add_string_value (builder, wpictl_opt.show_pins ? record->pin : WPC_CTL_MASKED);
  json_builder_set_member_name (builder, "max_retries");
  json_builder_add_int_value (builder, record->max_retries);
  json_builder_set_member_name (builder, "job");
  if (record->job_id != 0)
    json_builder_add_int_value (builder, record->job_id);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "updated");
  json_builder_add_string_value (builder, updated);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

int
_wpictl_cmd_pins (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pins = NULL;
  gint64 now = g_get_real_time ();

  if (!_wpictl_open_store (FALSE, &error) ||
      (pins = wpi_store_pin_list (wpictl.store, !wpictl_opt.all_pins, &error)) == NULL)
    return _wpictl_fail_error (error);

  if (wpictl_opt.json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < pins->len; i++)
        json_array_add_element (array, pin_to_json (g_ptr_array_index (pins, i)));
      json_node_set_array (root, array);
      wpc_ctl_print_json (root, TRUE, stdout);
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (7, NULL);

      wpc_ctl_table_add_row (table, "MAC", "STATE", "PIN", "JOB", "CREATED", "UPDATED", "REASON");
      for (guint i = 0; i < pins->len; i++)
        {
          const WpiPinRecord *record = g_ptr_array_index (pins, i);
          g_autofree char *pin = wpictl_opt.show_pins ? wpi_handout_format_pin (record->pin)
                                                      : g_strdup (WPC_CTL_MASKED);
          g_autofree char *job = record->job_id != 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, record->job_id)
                                                     : NULL;
          g_autofree char *created = wpc_ctl_format_relative (record->created_us, now);
          g_autofree char *updated = wpc_ctl_format_relative (record->updated_us, now);

          wpc_ctl_table_add_row (table, record->mac, wpi_pin_state_to_string (record->state), pin,
                                 job, created, updated, record->reason);
          explicit_bzero (pin, strlen (pin));
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

int
_wpictl_cmd_revoke (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) phone_error = NULL;
  g_autoptr(WpiPki) pki = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autofree char *mac = NULL;
  g_autofree char *pki_dir = NULL;
  guint n_revoked = 0;

  if ((mac = _wpictl_normalize_mac (args[0], &error)) == NULL || !_wpictl_open_store (FALSE, &error))
    return _wpictl_fail_error (error);
  pki_dir = g_build_filename (wpictl.data_dir, "pki", NULL);
  /* a missing PKI has issued nothing: do not create a CA just to say so */
  if (!g_file_test (pki_dir, G_FILE_TEST_IS_DIR))
    return _wpictl_fail (EXIT_INVALID, "No certificate has been issued for %s (no PKI in %s)", mac, wpictl.data_dir);
  if ((pki = wpi_pki_new (pki_dir, NULL, &error)) == NULL ||
      !wpi_pki_revoke_mac (pki, mac, &n_revoked, &error))
    return _wpictl_fail_error (error);

  if (n_revoked == 0)
    printf ("%s: every certificate was already revoked\n", mac);
  else
    printf ("%s: %u certificate%s revoked; port %u refuses the phone from its next connection\n",
            mac, n_revoked, n_revoked == 1 ? "" : "s", secure_port_setting ());
  /* Revoking is about the certificates only: the store keeps what it knows */
  phone = wpi_store_phone_get (wpictl.store, mac, &phone_error);
  if (phone == NULL)
    printf ("The store has no record of the phone\n");
  else
    {
      printf ("The phone's record is left as it is (mode %s; its jobs and PINs unchanged)\n",
              wpi_phone_mode_to_string (phone->mode));
      if (phone->mode == WPI_PHONE_MODE_SECURE)
        printf ("To bring it back: factory-reset the phone, then wpictl bootstrap %s\n", mac);
    }
  return EXIT_OK;
}
