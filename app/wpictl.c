/* wpictl: the command-line client of the provisioning service
 *
 * wpictl works on the store of a data directory, the same one a running service uses:
 * it queues jobs and reads state, and never talks WPI itself. The service checks the
 * store for new work every half second and acts on a job within a second; --wait
 * watches the store until the job is over.
 *
 * Exit status: 0 success; 1 usage error or a store that cannot be used; 2 something
 * named does not exist or a value is invalid (MAC, item, value, job state); 3 a job
 * waited for failed, was cancelled or had items refused; 4 the wait ended before the
 * job did.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixoutputstream.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <libintl.h>

#include "wpc-ctl-output.h"
#include "wpc-ctl-wait.h"
#include "wpi-bootstrap.h"
#include "wpi-catalogue.h"
#include "wpi-handout.h"
#include "wpi-pin.h"
#include "wpi-pki.h"
#include "wpi-service.h"
#include "wpi-store.h"

enum {
  EXIT_OK         = 0,
  EXIT_USAGE      = 1,
  EXIT_INVALID    = 2,
  EXIT_JOB_FAILED = 3,
  EXIT_TIMEOUT    = 4,
  /* bootstrap stopped by Ctrl+C: 128 + SIGINT, as a shell reports it */
  EXIT_INTERRUPTED = 130,
};

/* Errors of wpictl itself; the code is the exit status. */
#define CTL_ERROR (ctl_error_quark ())
static G_DEFINE_QUARK (wpictl-error-quark, ctl_error)

/* --wait without a value */
#define DEFAULT_WAIT_SECONDS 300.0
/* traffic without --limit: the newest this many */
#define DEFAULT_TRAFFIC_LIMIT 100
/* show: the newest jobs of the phone */
#define SHOW_JOBS_LIMIT 20
/* bootstrap --max-retries: the most wrong PINs a phone may be allowed */
#define MAX_PIN_RETRIES 99
/* text output: longer values are cut (JSON has them whole) */
#define TEXT_VALUE_CHARS 72

/* Where wpictl looks for the store when neither --data-dir nor WPC_DATA_DIR is given */
#define DATA_DIR_NAME "workpoint-console"

/* Placeholders a profile value may hold (the service fills them in per phone) and the
 * example phone they are checked with. */
static const struct {
  const char *placeholder;
  const char *example;
} placeholders[] = {
  { "{mac}", "00:1A:E8:00:00:01" },
  { "{e164}", "4989700100" },
  { "{ip}", "192.0.2.10" },
};

/* Options. Each command offers the ones its flags name (see commands[]). */
static char *opt_global_data_dir;
static char *opt_data_dir;
static gboolean opt_version;
static gboolean opt_json;
static gboolean opt_show_secrets;
static gboolean opt_wait;
static double opt_wait_seconds = DEFAULT_WAIT_SECONDS;
static gboolean opt_yes;
static char *opt_phone;
static char *opt_state;
static int opt_limit = -1;
static char *opt_type;
static char *opt_sw_version;
static gboolean opt_immediate;
static char *opt_url_base;
static char *opt_name;
static gboolean opt_none;
static gboolean opt_all_phones;
static gboolean opt_default_mode;
static char *opt_match;
static gboolean opt_pin;
static gboolean opt_nopin;
static int opt_pin_length = -1;
static int opt_max_retries = -1;
static char *opt_handout;
static char *opt_paper;
static gboolean opt_show_pins;
static gboolean opt_all_pins;

static char *data_dir;
static WpiStore *store;
static WpiCatalogue *catalogue;

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
} OptionFlags;

/* ---- errors ---- */

static int fail (int         status,
                 const char *format,
                 ...) G_GNUC_PRINTF (2, 3);

/* One line on stderr; returns the exit status to use. */
static int
fail (int         status,
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
  if (error->domain == CTL_ERROR)
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

static int
fail_error (const GError *error)
{
  return fail (exit_status_for (error), "%s", error->message);
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
static gboolean
open_store (gboolean   create,
            GError   **error)
{
  g_autofree char *path = g_build_filename (data_dir, WPI_STORE_DB_NAME, NULL);

  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID,
                   "No store in %s: start the service there (workpoint-console --headless "
                   "--data-dir %s) or pass --data-dir",
                   data_dir, data_dir);
      return FALSE;
    }
  store = wpi_store_open (data_dir, error);
  return store != NULL;
}

static char *
normalize_mac (const char  *text,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *mac = wpi_mac_normalize (text, &local_error);

  if (mac == NULL)
    g_set_error (error, CTL_ERROR, EXIT_INVALID, "“%s” is not a MAC address", text);
  return mac;
}

static WpiPhoneRecord *
get_phone (const char  *text,
           GError     **error)
{
  g_autofree char *mac = normalize_mac (text, error);

  if (mac == NULL)
    return NULL;
  return wpi_store_phone_get (store, mac, error);
}

static gboolean
parse_job_id (const char  *text,
              gint64      *job_id,
              GError     **error)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID, "“%s” is not a job number", text);
      return FALSE;
    }
  *job_id = (gint64) value;
  return TRUE;
}

/* ---- items ---- */

/* NAME or NAME[INDEX] */
static gboolean
parse_item_name (const char  *text,
                 gsize        length,
                 char       **name,
                 gboolean    *has_index,
                 gint64      *index,
                 GError     **error)
{
  g_autofree char *copy = g_strndup (text, length);
  char *bracket = strchr (copy, '[');
  guint64 value = 0;

  *has_index = FALSE;
  *index = 0;
  if (bracket != NULL)
    {
      gsize end = strlen (copy) - 1;

      if (copy[end] != ']')
        goto bad;
      copy[end] = '\0';
      if (!g_ascii_string_to_unsigned (bracket + 1, 10, 0, G_MAXINT64, &value, NULL))
        goto bad;
      *bracket = '\0';
      *has_index = TRUE;
      *index = (gint64) value;
    }
  if (copy[0] == '\0' || strpbrk (copy, "[]= \t\n") != NULL || !g_utf8_validate (copy, -1, NULL))
    goto bad;

  *name = g_steal_pointer (&copy);
  return TRUE;

bad:
  {
    g_autofree char *shown = g_strndup (text, length);

    g_set_error (error, CTL_ERROR, EXIT_INVALID,
                 "“%s” is not an item name (NAME or NAME[INDEX], the index a number)", shown);
  }
  return FALSE;
}

/* The phone matches names exactly: an unknown name that the catalogue knows in another
 * case is a typo. A name the catalogue does not know at all is let through: the
 * catalogue cannot list every item of every firmware. */
static gboolean
check_item_known (const char  *name,
                  GError     **error)
{
  WpiItemInfo *info;

  if (wpi_catalogue_lookup (catalogue, name) != NULL)
    return TRUE;
  info = wpi_catalogue_lookup_ignore_case (catalogue, name);
  if (info != NULL)
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID,
                   "Unknown item “%s”; did you mean “%s”? (names are case-sensitive)",
                   name, wpi_item_info_get_name (info));
      return FALSE;
    }
  return TRUE;
}

/* Checks an item to read: its name, and an index only where the item has one. */
static gboolean
check_item_to_read (const char  *name,
                    gboolean     has_index,
                    gint64       index,
                    GError     **error)
{
  WpiItemInfo *info;

  if (!check_item_known (name, error))
    return FALSE;
  info = wpi_catalogue_lookup (catalogue, name);
  if (info == NULL || !has_index)
    return TRUE;
  if (wpi_item_info_get_index_mode (info) == WPI_INDEX_MODE_NONE)
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID, "Item “%s” takes no index", name);
      return FALSE;
    }
  if (!wpi_item_info_index_is_valid (info, index))
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID,
                   "Index %" G_GINT64_FORMAT " of “%s” is outside %s",
                   index, name, wpi_item_info_get_index_ranges_string (info));
      return FALSE;
    }
  return TRUE;
}

/* NAME=VALUE or NAME[INDEX]=VALUE, validated against the catalogue; for a profile the
 * placeholders are filled in as for an example phone first. */
static gboolean
parse_assignment (const char  *text,
                  gboolean     profile,
                  GArray      *items,
                  GError     **error)
{
  const char *equals = strchr (text, '=');
  g_autofree char *name = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean has_index;
  gint64 index;
  const char *value;

  if (equals == NULL)
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID,
                   "“%s” is not NAME=VALUE or NAME[INDEX]=VALUE", text);
      return FALSE;
    }
  if (!parse_item_name (text, equals - text, &name, &has_index, &index, error))
    return FALSE;
  value = equals + 1;
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID, "The value of “%s” is not UTF-8", name);
      return FALSE;
    }
  if (!check_item_known (name, error))
    return FALSE;

  if (profile)
    {
      g_autoptr(GString) example = g_string_new (value);

      for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
        g_string_replace (example, placeholders[i].placeholder, placeholders[i].example, 0);
      if (!wpi_catalogue_validate (catalogue, name, has_index, index, example->str, &local_error))
        {
          if (strcmp (example->str, value) != 0)
            g_prefix_error (&local_error, "With the placeholders filled in for an example phone: ");
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  else if (!wpi_catalogue_validate (catalogue, name, has_index, index, value, error))
    return FALSE;

  wpi_store_item_array_add (items, name, has_index, index, value);
  return TRUE;
}

/* ---- jobs: showing and waiting ---- */

/* The job keeps every item the phone answered with, also those it was not asked for
 * (a phone puts its identity items in every message). What was asked for is what the
 * command reports on; NULL: everything. */
static gboolean
item_was_requested (GArray             *requested,
                    const WpiStoreItem *item)
{
  if (requested == NULL)
    return TRUE;
  for (guint i = 0; i < requested->len; i++)
    {
      const WpiStoreItem *wanted = &g_array_index (requested, WpiStoreItem, i);

      if (strcmp (wanted->name, item->name) == 0 && wanted->has_index == item->has_index &&
          (!item->has_index || wanted->index == item->index))
        return TRUE;
    }
  return FALSE;
}

static void
print_job_items (const WpiJobRecord *job,
                 GArray             *requested)
{
  gboolean reads = job->kind == WPI_JOB_KIND_READ_ITEMS;
  guint others = 0;

  for (guint i = 0; job->items != NULL && i < job->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, i);
      g_autofree char *name = NULL;
      g_autofree char *described = NULL;
      g_autofree char *value = NULL;
      const char *status = item->status;

      if (!item_was_requested (requested, item))
        {
          others++;
          continue;
        }
      name = wpc_ctl_format_item_name (item->name, item->has_index, item->index);
      described = wpc_ctl_describe_value (catalogue, item->name, item->value, opt_show_secrets);
      value = wpc_ctl_format_one_line (described, TEXT_VALUE_CHARS);

      if (status == NULL && !reads)
        status = job->state == WPI_JOB_STATE_DONE ? "accepted"
                 : wpi_job_state_is_final (job->state) ? "not applied" : "pending";

      if (reads && value == NULL)
        printf ("  %s: %s\n", name,
                status != NULL ? status
                : wpi_job_state_is_final (job->state) ? "no value returned" : "pending");
      else if (status != NULL)
        printf ("  %s = %s: %s\n", name, value != NULL ? value : "", status);
      else
        printf ("  %s = %s\n", name, value);
    }
  if (others > 0)
    printf ("  and %u more item%s the phone sent (wpictl job %" G_GINT64_FORMAT ")\n",
            others, others == 1 ? "" : "s", job->id);
}

static void
print_job_outcome (const WpiJobRecord *job,
                   GArray             *requested)
{
  printf ("job %" G_GINT64_FORMAT " %s for %s: %s", job->id, wpi_job_kind_to_string (job->kind),
          job->mac, wpi_job_state_to_string (job->state));
  if (job->failure_reason != NULL)
    printf (" (%s)", job->failure_reason);
  putchar ('\n');
  if (job->kind == WPI_JOB_KIND_READ_ALL && job->state == WPI_JOB_STATE_DONE)
    printf ("  every item read; see wpictl show %s\n", job->mac);
  print_job_items (job, requested);
}

/* Prints the jobs' ids (or JSON); with --wait, waits and prints how they ended.
 * requested: the items a single job was queued with, or NULL. */
static int
report_jobs (const gint64 *job_ids,
             guint         n_jobs,
             GArray       *requested)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  gboolean all_final = FALSE;
  int status = EXIT_OK;

  if (!opt_wait)
    {
      for (guint i = 0; i < n_jobs; i++)
        {
          if (opt_json)
            {
              g_autoptr(WpiJobRecord) job = wpi_store_job_get (store, job_ids[i], &error);
              g_autoptr(JsonNode) node = NULL;

              if (job == NULL)
                return fail_error (error);
              node = wpc_ctl_job_to_json (job, catalogue, opt_show_secrets);
              wpc_ctl_print_json (node, FALSE, stdout);
            }
          else
            printf ("%" G_GINT64_FORMAT "\n", job_ids[i]);
        }
      return EXIT_OK;
    }

  if (!opt_json)
    {
      for (guint i = 0; i < n_jobs; i++)
        printf ("%" G_GINT64_FORMAT "\n", job_ids[i]);
      fflush (stdout);
    }

  jobs = wpc_ctl_wait_for_jobs (store, job_ids, n_jobs,
                                (gint64) (opt_wait_seconds * G_USEC_PER_SEC), &all_final, &error);
  if (jobs == NULL)
    return fail_error (error);

  for (guint i = 0; i < jobs->len; i++)
    {
      const WpiJobRecord *job = g_ptr_array_index (jobs, i);
      int job_status = EXIT_OK;
      guint refused = 0, asked = 0;

      if (opt_json)
        {
          g_autoptr(JsonNode) node = wpc_ctl_job_to_json (job, catalogue, opt_show_secrets);
          wpc_ctl_print_json (node, FALSE, stdout);
        }
      else
        print_job_outcome (job, requested);
      fflush (stdout);

      for (guint j = 0; job->items != NULL && j < job->items->len; j++)
        {
          const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, j);

          if (item_was_requested (requested, item))
            {
              asked++;
              if (wpc_ctl_item_status_is_failure (item->status))
                refused++;
            }
        }

      if (!wpi_job_state_is_final (job->state))
        job_status = fail (EXIT_TIMEOUT, "Job %" G_GINT64_FORMAT " is still %s after %g s",
                           job->id, wpi_job_state_to_string (job->state), opt_wait_seconds);
      else if (job->state == WPI_JOB_STATE_FAILED)
        job_status = fail (EXIT_JOB_FAILED, "Job %" G_GINT64_FORMAT " failed: %s", job->id,
                           job->failure_reason ? job->failure_reason : "no reason given");
      else if (job->state == WPI_JOB_STATE_CANCELLED)
        job_status = fail (EXIT_JOB_FAILED, "Job %" G_GINT64_FORMAT " was cancelled", job->id);
      else if (refused > 0)
        job_status = fail (EXIT_JOB_FAILED, "Job %" G_GINT64_FORMAT ": the phone refused %u of %u items",
                           job->id, refused, asked);
      status = MAX (status, job_status);
    }
  /* the highest: a timeout (4) says more than a failure of another job (3) */
  return status;
}

static int
enqueue_and_report (const char  *mac,
                    WpiJobKind   kind,
                    const char  *parameter,
                    GArray      *items)
{
  g_autoptr(GError) error = NULL;
  gint64 job_id = 0;

  if (!wpi_store_job_enqueue (store, mac, kind, parameter,
                              items != NULL ? (WpiStoreItem *) items->data : NULL,
                              items != NULL ? items->len : 0, &job_id, &error))
    return fail_error (error);
  return report_jobs (&job_id, 1, items);
}

/* ---- commands ---- */

static int
cmd_phones (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) phones = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 now = g_get_real_time ();

  if (!open_store (FALSE, &error) ||
      (phones = wpi_store_phone_list (store, &error)) == NULL ||
      (pending = wpi_store_job_list_pending (store, NULL, &error)) == NULL)
    return fail_error (error);

  for (guint i = 0; i < pending->len; i++)
    {
      const char *mac = ((WpiJobRecord *) g_ptr_array_index (pending, i))->mac;
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, mac));

      g_hash_table_insert (counts, (gpointer) mac, GUINT_TO_POINTER (count + 1));
    }

  if (opt_json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < phones->len; i++)
        {
          const WpiPhoneRecord *phone = g_ptr_array_index (phones, i);

          json_array_add_element (array, wpc_ctl_phone_to_json (
            phone, GPOINTER_TO_UINT (g_hash_table_lookup (counts, phone->mac)), FALSE));
        }
      json_node_set_array (root, array);
      wpc_ctl_print_json (root, TRUE, stdout);
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (9, NULL);

      wpc_ctl_table_add_row (table, "MAC", "E164", "MODEL", "FIRMWARE", "IP", "MODE", "STATE",
                             "LAST CONTACT", "JOBS");
      for (guint i = 0; i < phones->len; i++)
        {
          const WpiPhoneRecord *phone = g_ptr_array_index (phones, i);
          g_autofree char *last = wpc_ctl_format_relative (phone->last_contact_us, now);
          g_autofree char *jobs = g_strdup_printf ("%u", GPOINTER_TO_UINT (g_hash_table_lookup (counts, phone->mac)));

          wpc_ctl_table_add_row (table, phone->mac, phone->e164, phone->device_type, phone->firmware,
                                 phone->ip, wpi_phone_mode_to_string (phone->mode),
                                 wpi_phone_state_to_string (phone->state), last, jobs);
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

static const char *
item_category (const WpiStoreItem *item)
{
  WpiItemInfo *info = wpi_catalogue_lookup (catalogue, item->name);

  return info != NULL ? wpi_item_info_get_category (info) : "other";
}

static void
print_jobs_table (GPtrArray  *jobs,
                  const char *indent,
                  gboolean    with_phone)
{
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (with_phone ? 8 : 7, indent);
  gint64 now = g_get_real_time ();

  if (with_phone)
    wpc_ctl_table_add_row (table, "ID", "PHONE", "KIND", "STATE", "CREATED", "ATTEMPTS", "NEXT", "DETAIL");
  else
    wpc_ctl_table_add_row (table, "ID", "KIND", "STATE", "CREATED", "ATTEMPTS", "NEXT", "DETAIL");

  for (guint i = 0; i < jobs->len; i++)
    {
      const WpiJobRecord *job = g_ptr_array_index (jobs, i);
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, job->id);
      g_autofree char *created = wpc_ctl_format_relative (job->created_us, now);
      g_autofree char *attempts = g_strdup_printf ("%u", job->attempts);
      g_autofree char *next = NULL;
      const char *detail = job->failure_reason != NULL ? job->failure_reason : job->parameter;

      if (!wpi_job_state_is_final (job->state))
        next = job->next_attempt_us == 0 ? g_strdup ("now") : wpc_ctl_format_relative (job->next_attempt_us, now);

      if (with_phone)
        wpc_ctl_table_add_row (table, id, job->mac, wpi_job_kind_to_string (job->kind),
                               wpi_job_state_to_string (job->state), created, attempts, next, detail);
      else
        wpc_ctl_table_add_row (table, id, wpi_job_kind_to_string (job->kind),
                               wpi_job_state_to_string (job->state), created, attempts, next, detail);
    }
  wpc_ctl_table_print (table, stdout);
}

static int
cmd_show (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  WpiJobFilter filter = { NULL, 0, SHOW_JOBS_LIMIT };
  const char * const *categories = wpi_catalogue_get_categories (catalogue);
  gint64 now = g_get_real_time ();

  if (!open_store (FALSE, &error) ||
      (phone = get_phone (args[0], &error)) == NULL ||
      (items = wpi_store_phone_items_list (store, phone->mac, &error)) == NULL ||
      (pending = wpi_store_job_list_pending (store, phone->mac, &error)) == NULL)
    return fail_error (error);
  filter.mac = phone->mac;
  if ((jobs = wpi_store_job_list (store, &filter, &error)) == NULL)
    return fail_error (error);

  if (opt_json)
    {
      g_autoptr(JsonNode) root = wpc_ctl_phone_to_json (phone, pending->len, TRUE);
      JsonObject *object = json_node_get_object (root);
      JsonArray *item_array = json_array_new ();
      JsonArray *job_array = json_array_new ();

      /* grouped by category, as in the text */
      for (guint c = 0; categories[c] != NULL; c++)
        for (guint i = 0; i < items->len; i++)
          {
            const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

            if (strcmp (item_category (item), categories[c]) == 0)
              json_array_add_element (item_array, wpc_ctl_item_to_json (item, catalogue, opt_show_secrets, TRUE));
          }
      for (guint i = 0; i < jobs->len; i++)
        json_array_add_element (job_array, wpc_ctl_job_to_json (g_ptr_array_index (jobs, i), catalogue,
                                                                opt_show_secrets));
      json_object_set_array_member (object, "items", item_array);
      json_object_set_array_member (object, "jobs", job_array);
      wpc_ctl_print_json (root, TRUE, stdout);
      return EXIT_OK;
    }

  {
    g_autoptr(WpcCtlTable) identity = wpc_ctl_table_new (2, "  ");
    g_autofree char *last = wpc_ctl_format_relative (phone->last_contact_us, now);
    g_autofree char *last_iso = wpc_ctl_format_iso_time (phone->last_contact_us);
    g_autofree char *last_full = last_iso != NULL ? g_strdup_printf ("%s (%s)", last, last_iso) : g_strdup (last);
    g_autofree char *pending_text = g_strdup_printf ("%u", pending->len);

    printf ("Phone %s\n", phone->mac);
    wpc_ctl_table_add_row (identity, "E.164", phone->e164);
    wpc_ctl_table_add_row (identity, "Model", phone->device_type);
    wpc_ctl_table_add_row (identity, "Firmware", phone->firmware);
    wpc_ctl_table_add_row (identity, "IP address", phone->ip);
    wpc_ctl_table_add_row (identity, "Contact-me URI", phone->contact_me_uri);
    wpc_ctl_table_add_row (identity, "Mode", wpi_phone_mode_to_string (phone->mode));
    wpc_ctl_table_add_row (identity, "State", wpi_phone_state_to_string (phone->state));
    wpc_ctl_table_add_row (identity, "Last contact", last_full);
    wpc_ctl_table_add_row (identity, "Location", phone->location);
    wpc_ctl_table_add_row (identity, "Profile", phone->profile);
    wpc_ctl_table_add_row (identity, "Pending jobs", pending_text);
    wpc_ctl_table_print (identity, stdout);
  }

  {
    /* one table, so that every category's columns line up */
    g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (3, "  ");

    for (guint c = 0; categories[c] != NULL; c++)
      {
        gboolean titled = FALSE;

        for (guint i = 0; i < items->len; i++)
          {
            const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);
            g_autofree char *name = NULL;
            g_autofree char *described = NULL;
            g_autofree char *value = NULL;
            g_autofree char *updated = NULL;

            if (strcmp (item_category (item), categories[c]) != 0)
              continue;
            if (!titled)
              wpc_ctl_table_add_section (table, wpi_catalogue_get_category_title (catalogue, categories[c]));
            titled = TRUE;
            name = wpc_ctl_format_item_name (item->name, item->has_index, item->index);
            described = wpc_ctl_describe_value (catalogue, item->name, item->value, opt_show_secrets);
            value = wpc_ctl_format_one_line (described, TEXT_VALUE_CHARS);
            updated = wpc_ctl_format_relative (item->updated_us, now);
            wpc_ctl_table_add_row (table, name, value != NULL && *value != '\0' ? value : "\"\"", updated);
          }
      }
    wpc_ctl_table_print (table, stdout);
  }
  if (items->len == 0)
    printf ("\nNo item values stored yet (wpictl read-all %s)\n", phone->mac);

  if (jobs->len > 0)
    {
      printf ("\nJobs%s\n", jobs->len == SHOW_JOBS_LIMIT ? " (the newest " G_STRINGIFY (SHOW_JOBS_LIMIT) ")" : "");
      print_jobs_table (jobs, "  ", FALSE);
    }
  return EXIT_OK;
}

/* Job commands check the phone first so that the error names it plainly. */
static WpiPhoneRecord *
open_for_job (const char  *mac_text,
              GError     **error)
{
  if (!open_store (FALSE, error))
    return NULL;
  return get_phone (mac_text, error);
}

static int
cmd_read (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  /* the arguments first: a mistyped item needs no store */
  for (guint i = 1; args[i] != NULL; i++)
    {
      g_autofree char *name = NULL;
      gboolean has_index;
      gint64 index;

      if (!parse_item_name (args[i], strlen (args[i]), &name, &has_index, &index, &error) ||
          !check_item_to_read (name, has_index, index, &error))
        return fail_error (error);
      wpi_store_item_array_add (items, name, has_index, index, NULL);
    }

  if ((phone = open_for_job (args[0], &error)) == NULL)
    return fail_error (error);
  return enqueue_and_report (phone->mac, WPI_JOB_KIND_READ_ITEMS, NULL, items);
}

static int
cmd_read_all (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = open_for_job (args[0], &error);

  if (phone == NULL)
    return fail_error (error);
  return enqueue_and_report (phone->mac, WPI_JOB_KIND_READ_ALL, NULL, NULL);
}

static int
cmd_write (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  for (guint i = 1; args[i] != NULL; i++)
    if (!parse_assignment (args[i], FALSE, items, &error))
      return fail_error (error);

  if ((phone = open_for_job (args[0], &error)) == NULL)
    return fail_error (error);
  return enqueue_and_report (phone->mac, WPI_JOB_KIND_WRITE_ITEMS, NULL, items);
}

static int
cmd_restart (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = open_for_job (args[0], &error);

  if (phone == NULL)
    return fail_error (error);
  return enqueue_and_report (phone->mac, WPI_JOB_KIND_RESTART, NULL, NULL);
}

static int
cmd_factory_reset (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;

  /* D15: a factory reset wipes the phone; it needs an explicit confirmation */
  if (!opt_yes)
    return fail (EXIT_USAGE, "A factory reset erases every setting of the phone; "
                             "confirm with: wpictl factory-reset %s --yes", args[0]);
  if ((phone = open_for_job (args[0], &error)) == NULL)
    return fail_error (error);
  return enqueue_and_report (phone->mac, WPI_JOB_KIND_FACTORY_RESET, NULL, NULL);
}

/* contact: the service contacts a phone when one of its pending jobs is due. So every
 * pending job waiting for a later attempt is brought forward to now, without counting
 * an attempt; a phone without pending jobs gets a read-all, which makes it call and
 * refreshes its values. A job in progress is left alone (the phone is in a session)
 * but still reported and waited for. */
static int
cmd_contact (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GArray) job_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 job_id = 0;

  if ((phone = open_for_job (args[0], &error)) == NULL)
    return fail_error (error);
  if (phone->ip == NULL && phone->contact_me_uri == NULL)
    return fail (EXIT_INVALID, "The service knows no address of %s to contact; "
                               "its jobs wait until the phone calls", phone->mac);

  /* one transaction: the service sees all of it or none */
  if (!wpi_store_transaction_begin (store, &error))
    return fail_error (error);
  if ((pending = wpi_store_job_list_pending (store, phone->mac, &error)) == NULL)
    goto failed;
  for (guint i = 0; i < pending->len; i++)
    {
      const WpiJobRecord *job = g_ptr_array_index (pending, i);

      if (job->state != WPI_JOB_STATE_IN_PROGRESS &&
          !wpi_store_job_reschedule (store, job->id, 0, &error))
        goto failed;
      g_array_append_val (job_ids, job->id);
    }
  if (pending->len == 0)
    {
      if (!wpi_store_job_enqueue (store, phone->mac, WPI_JOB_KIND_READ_ALL, NULL, NULL, 0, &job_id, &error))
        goto failed;
      g_array_append_val (job_ids, job_id);
    }
  if (!wpi_store_transaction_commit (store, &error))
    return fail_error (error);

  return report_jobs ((gint64 *) job_ids->data, job_ids->len, NULL);

failed:
  wpi_store_transaction_rollback (store);
  return fail_error (error);
}

/* A name the service's /files/ handler serves and a URL carries as it is. */
static gboolean
check_file_name (const char  *name,
                 GError     **error)
{
  gboolean ok = name[0] != '\0' && name[0] != '.' && strlen (name) <= 200;

  for (const char *p = name; ok && *p != '\0'; p++)
    ok = g_ascii_isalnum (*p) || strchr ("._+-", *p) != NULL;
  if (!ok)
    g_set_error (error, CTL_ERROR, EXIT_INVALID,
                 "The file name “%s” cannot be served as it is: choose another with --name "
                 "(letters, digits, “.”, “_”, “+”, “-”, not starting with “.”)", name);
  return ok;
}

/* https://ADDR:PORT/files/NAME, from --url-base or the address the service recorded. */
static char *
file_url (const char  *name,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *port = NULL;

  if (opt_url_base != NULL)
    {
      g_autofree char *base = g_strdup (opt_url_base);
      gsize length = strlen (base);

      while (length > 0 && base[length - 1] == '/')
        base[--length] = '\0';
      return g_strconcat (base, "/files/", name, NULL);
    }

  address = wpi_store_setting_get (store, "service-address", &local_error);
  if (local_error == NULL)
    port = wpi_store_setting_get (store, "service-port", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (address == NULL || port == NULL)
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID,
                   "The service has not recorded its address yet: start it "
                   "(workpoint-console --headless) or pass --url-base https://HOST:PORT");
      return NULL;
    }
  /* an IPv6 address goes in brackets */
  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("https://[%s]:%s/files/%s", address, port, name);
  return g_strdup_printf ("https://%s:%s/files/%s", address, port, name);
}

/* Copies source to DATA_DIR/files/NAME: into a temporary file (mode 0600, a name the
 * service does not serve), synced, then renamed, so a phone never fetches half a file. */
static gboolean
copy_into_files (const char  *source,
                 const char  *name,
                 GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (source);
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GOutputStream) output = NULL;
  g_autofree char *files_dir = g_build_filename (data_dir, "files", NULL);
  g_autofree char *target = g_build_filename (files_dir, name, NULL);
  g_autofree char *temp = g_strdup_printf ("%s/.%s.XXXXXX", files_dir, name);
  int fd, dir_fd;

  input = g_file_read (file, NULL, error);
  if (input == NULL)
    return FALSE;
  info = g_file_input_stream_query_info (input, G_FILE_ATTRIBUTE_STANDARD_TYPE, NULL, error);
  if (info == NULL)
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID, "%s is not a regular file", source);
      return FALSE;
    }

  if (g_mkdir_with_parents (files_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create %s: %s", files_dir, g_strerror (saved));
      return FALSE;
    }
  fd = g_mkstemp_full (temp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create a file in %s: %s", files_dir, g_strerror (saved));
      return FALSE;
    }
  output = g_unix_output_stream_new (fd, TRUE);

  if (g_output_stream_splice (output, G_INPUT_STREAM (input), G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE,
                              NULL, error) < 0)
    goto failed;
  if (fsync (fd) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot write %s: %s", target, g_strerror (saved));
      goto failed;
    }
  if (!g_output_stream_close (output, NULL, error))
    goto failed;
  if (g_rename (temp, target) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot move the copy to %s: %s", target, g_strerror (saved));
      goto failed;
    }
  /* the rename itself survives a crash once the directory is synced */
  dir_fd = open (files_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;

failed:
  g_unlink (temp);
  return FALSE;
}

static int
deploy (char       **args,
        WpiJobKind   kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autofree char *base_name = NULL;
  g_autofree char *url = NULL;
  const char *name;

  if (kind == WPI_JOB_KIND_FILE_DEPLOYMENT && opt_type == NULL)
    return fail (EXIT_USAGE, "deploy-file needs --type TYPE (MOH, PIC, LDAP, LOGO, SCREENSAVER, RINGTONE, DONGLE)");
  if (kind == WPI_JOB_KIND_SOFTWARE_DEPLOYMENT && opt_sw_version == NULL)
    return fail (EXIT_USAGE, "deploy-software needs --version VERSION (as 3.5.12.0)");

  base_name = g_path_get_basename (args[1]);
  name = opt_name != NULL ? opt_name : base_name;
  if (!check_file_name (name, &error))
    return fail_error (error);

  if ((phone = open_for_job (args[0], &error)) == NULL ||
      (url = file_url (name, &error)) == NULL)
    return fail_error (error);

  wpi_store_item_array_add (items, "file-https-base-url", FALSE, 0, url);
  if (kind == WPI_JOB_KIND_FILE_DEPLOYMENT)
    wpi_store_item_array_add (items, "file-type", FALSE, 0, opt_type);
  else
    {
      /* protocol.md §7.10: the guide's example also sends file-type APP */
      wpi_store_item_array_add (items, "file-sw-type", FALSE, 0, "Siemens SIP");
      wpi_store_item_array_add (items, "file-sw-version", FALSE, 0, opt_sw_version);
      wpi_store_item_array_add (items, "file-priority", FALSE, 0, opt_immediate ? "immediate" : "normal");
      wpi_store_item_array_add (items, "file-type", FALSE, 0, "APP");
    }
  wpi_store_item_array_add (items, "file-name", FALSE, 0, name);

  /* everything is checked before the file is copied */
  for (guint i = 0; i < items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

      if (!wpi_catalogue_validate (catalogue, item->name, item->has_index, item->index, item->value, &error))
        return fail_error (error);
    }

  if (!copy_into_files (args[1], name, &error))
    return fail_error (error);
  return enqueue_and_report (phone->mac, kind, NULL, items);
}

static int
cmd_deploy_file (char **args)
{
  return deploy (args, WPI_JOB_KIND_FILE_DEPLOYMENT);
}

static int
cmd_deploy_software (char **args)
{
  return deploy (args, WPI_JOB_KIND_SOFTWARE_DEPLOYMENT);
}

static int
cmd_jobs (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autofree char *mac = NULL;
  WpiJobFilter filter = { NULL, 0, 0 };

  if (opt_phone != NULL && (mac = normalize_mac (opt_phone, &error)) == NULL)
    return fail_error (error);
  filter.mac = mac;
  if (opt_state != NULL)
    {
      WpiJobState state;

      if (strcmp (opt_state, "pending") == 0)
        filter.state_mask = WPI_JOB_STATE_MASK_PENDING;
      else if (wpi_job_state_from_string (opt_state, &state))
        filter.state_mask = WPI_JOB_STATE_MASK (state);
      else
        return fail (EXIT_INVALID, "“%s” is not a job state (queued, contacting, in-progress, "
                                   "waiting-busy, done, failed, cancelled or pending)", opt_state);
    }
  if (opt_limit < -1)
    return fail (EXIT_INVALID, "--limit takes a number of jobs, 0 for all");
  filter.limit = opt_limit > 0 ? (guint) opt_limit : 0;

  if (!open_store (FALSE, &error))
    return fail_error (error);
  if (mac != NULL)
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (store, mac, &error);
      if (phone == NULL)
        return fail_error (error);
    }
  if ((jobs = wpi_store_job_list (store, &filter, &error)) == NULL)
    return fail_error (error);

  if (opt_json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < jobs->len; i++)
        json_array_add_element (array, wpc_ctl_job_to_json (g_ptr_array_index (jobs, i), catalogue,
                                                            opt_show_secrets));
      json_node_set_array (root, array);
      wpc_ctl_print_json (root, TRUE, stdout);
    }
  else
    print_jobs_table (jobs, NULL, TRUE);
  return EXIT_OK;
}

static int
cmd_job (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  gint64 job_id;

  if (!parse_job_id (args[0], &job_id, &error) ||
      !open_store (FALSE, &error) ||
      (job = wpi_store_job_get (store, job_id, &error)) == NULL)
    return fail_error (error);
  if (opt_wait)
    return report_jobs (&job_id, 1, NULL);
  if (opt_json)
    {
      g_autoptr(JsonNode) node = wpc_ctl_job_to_json (job, catalogue, opt_show_secrets);
      wpc_ctl_print_json (node, TRUE, stdout);
    }
  else
    print_job_outcome (job, NULL);
  return EXIT_OK;
}

static int
cmd_cancel (char **args)
{
  g_autoptr(GError) error = NULL;
  gint64 job_id;

  if (!parse_job_id (args[0], &job_id, &error) ||
      !open_store (FALSE, &error) ||
      !wpi_store_job_cancel (store, job_id, &error))
    return fail_error (error);
  printf ("job %" G_GINT64_FORMAT " cancelled\n", job_id);
  return EXIT_OK;
}

static int
cmd_profile_set (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  if (!g_utf8_validate (args[0], -1, NULL))
    return fail (EXIT_INVALID, "The profile name is not UTF-8");
  for (guint i = 1; args[i] != NULL; i++)
    if (!parse_assignment (args[i], TRUE, items, &error))
      return fail_error (error);

  if (!open_store (TRUE, &error) ||
      !wpi_store_profile_set (store, args[0], (WpiStoreItem *) items->data, items->len, &error))
    return fail_error (error);
  printf ("profile %s: %u item%s\n", args[0], items->len, items->len == 1 ? "" : "s");
  return EXIT_OK;
}

static int
cmd_profile_default (char **args)
{
  g_autoptr(GError) error = NULL;

  if ((args[0] == NULL) == !opt_none)
    return fail (EXIT_USAGE, "profile default needs either a profile NAME or --none");
  if (!open_store (TRUE, &error) ||
      !wpi_store_profile_set_default (store, args[0], &error))
    return fail_error (error);
  if (args[0] != NULL)
    printf ("default profile: %s\n", args[0]);
  else
    printf ("no default profile\n");
  return EXIT_OK;
}

static JsonNode *
profile_to_json (const WpiProfileRecord *profile)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *created = wpc_ctl_format_iso_time (profile->created_us);
  g_autofree char *updated = wpc_ctl_format_iso_time (profile->updated_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, profile->name);
  json_builder_set_member_name (builder, "default");
  json_builder_add_boolean_value (builder, profile->is_default);
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "updated");
  json_builder_add_string_value (builder, updated);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; profile->items != NULL && i < profile->items->len; i++)
    json_builder_add_value (builder, wpc_ctl_item_to_json (&g_array_index (profile->items, WpiStoreItem, i),
                                                          catalogue, opt_show_secrets, FALSE));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static int
cmd_profile_list (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GPtrArray) full = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_profile_record_free);
  gint64 now = g_get_real_time ();

  if (!open_store (FALSE, &error) || (profiles = wpi_store_profile_list (store, &error)) == NULL)
    return fail_error (error);
  for (guint i = 0; i < profiles->len; i++)
    {
      const WpiProfileRecord *listed = g_ptr_array_index (profiles, i);
      WpiProfileRecord *profile = wpi_store_profile_get (store, listed->name, &error);

      if (profile == NULL)
        return fail_error (error);
      g_ptr_array_add (full, profile);
    }

  if (opt_json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < full->len; i++)
        json_array_add_element (array, profile_to_json (g_ptr_array_index (full, i)));
      json_node_set_array (root, array);
      wpc_ctl_print_json (root, TRUE, stdout);
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (4, NULL);

      wpc_ctl_table_add_row (table, "NAME", "DEFAULT", "ITEMS", "UPDATED");
      for (guint i = 0; i < full->len; i++)
        {
          const WpiProfileRecord *profile = g_ptr_array_index (full, i);
          g_autofree char *count = g_strdup_printf ("%u", profile->items->len);
          g_autofree char *updated = wpc_ctl_format_relative (profile->updated_us, now);

          wpc_ctl_table_add_row (table, profile->name, profile->is_default ? "yes" : "no", count, updated);
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

static int
cmd_profile_show (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;

  if (!open_store (FALSE, &error) || (profile = wpi_store_profile_get (store, args[0], &error)) == NULL)
    return fail_error (error);

  if (opt_json)
    {
      g_autoptr(JsonNode) node = profile_to_json (profile);
      wpc_ctl_print_json (node, TRUE, stdout);
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (2, "  ");

      printf ("Profile %s%s\n", profile->name, profile->is_default ? " (default)" : "");
      for (guint i = 0; i < profile->items->len; i++)
        {
          const WpiStoreItem *item = &g_array_index (profile->items, WpiStoreItem, i);
          g_autofree char *name = wpc_ctl_format_item_name (item->name, item->has_index, item->index);
          g_autofree char *value = wpc_ctl_format_one_line (
            wpc_ctl_display_value (catalogue, item->name, item->value, opt_show_secrets), TEXT_VALUE_CHARS);

          wpc_ctl_table_add_row (table, name, value != NULL && *value != '\0' ? value : "\"\"");
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

static int
cmd_profile_apply (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;

  if ((phone = open_for_job (args[1], &error)) == NULL ||
      (profile = wpi_store_profile_get (store, args[0], &error)) == NULL)
    return fail_error (error);
  return enqueue_and_report (phone->mac, WPI_JOB_KIND_APPLY_PROFILE, profile->name, NULL);
}

static void
traffic_summary (const WpiTrafficRecord *record,
                 GString                *out)
{
  g_string_append (out, record->root != NULL ? record->root : "?");
  if (record->reason != NULL)
    g_string_append_printf (out, " %s", record->reason);
  if (record->action != NULL)
    g_string_append_printf (out, " %s", record->action);
  if (record->status != NULL)
    g_string_append_printf (out, " status=%s", record->status);
  if (record->fragment != NULL)
    g_string_append_printf (out, " fragment=%s", record->fragment);
  if (record->item_count >= 0)
    g_string_append_printf (out, ", %d item%s", record->item_count, record->item_count == 1 ? "" : "s");
  if (record->error_text != NULL)
    g_string_append_printf (out, ", error: %s", record->error_text);
}

static int
cmd_traffic (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *mac = NULL;
  guint limit = opt_limit >= 0 ? (guint) opt_limit : DEFAULT_TRAFFIC_LIMIT;
  guint first = 0;

  if (opt_limit < -1)
    return fail (EXIT_INVALID, "--limit takes a number of messages, 0 for all");
  if (opt_phone != NULL && (mac = normalize_mac (opt_phone, &error)) == NULL)
    return fail_error (error);
  if (!open_store (FALSE, &error))
    return fail_error (error);

  if (mac != NULL)
    {
      /* the newest `limit` of the phone: the store lists by id, so keep the tail */
      if ((records = wpi_store_traffic_list_by_mac (store, mac, 0, 0, &error)) == NULL)
        return fail_error (error);
      if (limit > 0 && records->len > limit)
        first = records->len - limit;
    }
  else
    {
      gint64 first_id, last_id;

      if (!wpi_store_traffic_get_bounds (store, &first_id, &last_id, &error))
        return fail_error (error);
      if (last_id == 0)
        records = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_traffic_record_free);
      else
        {
          gint64 start = limit > 0 ? MAX (first_id, last_id - (gint64) limit + 1) : first_id;
          guint count = (guint) MIN (last_id - start + 1, (gint64) G_MAXUINT);

          if ((records = wpi_store_traffic_get_range (store, start, count, &error)) == NULL)
            return fail_error (error);
        }
    }

  if (opt_json)
    {
      /* JSON lines, each with its parsed body, loaded one at a time */
      for (guint i = first; i < records->len; i++)
        {
          const WpiTrafficRecord *summary = g_ptr_array_index (records, i);
          g_autoptr(WpiTrafficRecord) record = wpi_store_traffic_get (store, summary->id, &error);
          g_autoptr(JsonNode) node = NULL;

          if (record == NULL)
            {
              /* deleted by retention since the listing: not an error */
              if (g_error_matches (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
                {
                  g_clear_error (&error);
                  continue;
                }
              return fail_error (error);
            }
          node = wpc_ctl_traffic_to_json (record, catalogue, opt_show_secrets);
          wpc_ctl_print_json (node, FALSE, stdout);
        }
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (7, NULL);

      wpc_ctl_table_add_row (table, "ID", "TIME", "DIR", "PORT", "PEER", "MAC", "MESSAGE");
      for (guint i = first; i < records->len; i++)
        {
          const WpiTrafficRecord *record = g_ptr_array_index (records, i);
          g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (record->time_us / G_USEC_PER_SEC);
          g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
          g_autofree char *time = local != NULL ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : NULL;
          g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, record->id);
          g_autofree char *port = g_strdup_printf ("%u", record->port);
          g_autoptr(GString) summary = g_string_new (NULL);

          traffic_summary (record, summary);
          wpc_ctl_table_add_row (table, id, time, wpi_traffic_direction_to_string (record->direction),
                                 port, record->peer, record->mac, summary->str);
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

/* ---- Secure Mode ---- */

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
      g_set_error (error, CTL_ERROR, EXIT_INVALID, "--paper takes a4 or letter, not “%s”", text);
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
      g_set_error (error, CTL_ERROR, EXIT_INVALID,
                   "--handout takes a file ending in .pdf or .csv, not “%s”", path);
      return FALSE;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID, "No directory %s for the handout", dir);
      return FALSE;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, CTL_ERROR, EXIT_INVALID, "The handout %s is a directory", path);
      return FALSE;
    }
  return TRUE;
}

static guint
secure_port_setting (void)
{
  gint64 port = 0;

  /* the running service records the port it listens on; before that, the default */
  if (!wpi_store_setting_get_int (store, "service-secure-port", WPI_DEFAULT_SECURE_PORT, &port, NULL) ||
      port < 1 || port > 65535)
    return WPI_DEFAULT_SECURE_PORT;
  return (guint) port;
}

static GStrv
select_phones (char   **args,
               GError **error)
{
  guint n_ways = (args[0] != NULL) + (opt_all_phones != FALSE) + (opt_default_mode != FALSE) +
                 (opt_match != NULL);

  if (n_ways != 1)
    {
      g_set_error (error, CTL_ERROR, EXIT_USAGE,
                   "Name the phones one way: MAC…, --all, --default-mode or --match TEXT");
      return NULL;
    }
  if (opt_all_phones)
    return wpi_handout_select_all (store, error);
  if (opt_default_mode)
    return wpi_handout_select_default_mode (store, error);
  if (opt_match != NULL)
    return wpi_handout_select_matching (store, opt_match, error);
  return wpi_handout_select_macs (store, (const char * const *) args, error);
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

static int
cmd_bootstrap (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) pki = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autoptr(WpiHandoutResult) result = NULL;
  g_auto(GStrv) macs = NULL;
  g_autofree char *pki_dir = NULL;
  WpiBootstrapOptions options;
  WpiHandoutPaper paper = WPI_HANDOUT_PAPER_A4;
  BootstrapRun run = { NULL, };
  gboolean is_pdf = FALSE;
  gboolean shown = FALSE;
  guint sigint_id, sigterm_id;
  int status = EXIT_OK;

  /* everything is checked before the first key is made */
  wpi_bootstrap_options_init (&options);
  if (opt_pin && opt_nopin)
    return fail (EXIT_USAGE, "--pin and --nopin exclude each other");
  options.with_pin = !opt_nopin;
  if (!options.with_pin && (opt_pin_length >= 0 || opt_max_retries >= 0))
    return fail (EXIT_USAGE, "--pin-length and --max-retries are for a bootstrap with PIN, not --nopin");
  if (!options.with_pin && opt_handout != NULL)
    return fail (EXIT_USAGE, "--handout is for PINs: a bootstrap with --nopin has none to hand out");
  if (!options.with_pin && opt_show_pins)
    return fail (EXIT_USAGE, "--show-pins is for PINs: a bootstrap with --nopin has none");
  if (opt_pin_length >= 0)
    {
      if (opt_pin_length < WPI_PIN_MIN_LENGTH || opt_pin_length > WPI_PIN_MAX_LENGTH)
        return fail (EXIT_INVALID, "--pin-length takes %d to %d digits, not %d",
                     WPI_PIN_MIN_LENGTH, WPI_PIN_MAX_LENGTH, opt_pin_length);
      options.pin_length = (guint) opt_pin_length;
    }
  if (opt_max_retries >= 0)
    {
      if (opt_max_retries < 1 || opt_max_retries > MAX_PIN_RETRIES)
        return fail (EXIT_INVALID, "--max-retries takes 1 to %d, not %d", MAX_PIN_RETRIES, opt_max_retries);
      options.max_retries = (guint) opt_max_retries;
    }
  if (opt_paper != NULL && opt_handout == NULL)
    return fail (EXIT_USAGE, "--paper is for a PDF --handout");
  if (!parse_paper (opt_paper, &paper, &error) ||
      (opt_handout != NULL && !check_handout_path (opt_handout, &is_pdf, &error)))
    return fail_error (error);
  if (opt_paper != NULL && !is_pdf)
    return fail (EXIT_USAGE, "--paper is for a PDF --handout, not a CSV");

  if (!open_store (FALSE, &error) || (macs = select_phones (args, &error)) == NULL)
    return fail_error (error);
  if (macs[0] == NULL)
    return fail (EXIT_INVALID, "No phone selected");
  options.secure_port = secure_port_setting ();

  pki_dir = g_build_filename (data_dir, "pki", NULL);
  if ((pki = wpi_pki_new (pki_dir, NULL, &error)) == NULL)
    return fail_error (error);

  loop = g_main_loop_new (NULL, FALSE);
  cancellable = g_cancellable_new ();
  run.loop = loop;
  run.cancellable = cancellable;
  sigint_id = g_unix_signal_add (SIGINT, bootstrap_interrupted, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, bootstrap_interrupted, &run);
  wpi_handout_prepare_async (data_dir, pki, (const char * const *) macs, &options, cancellable,
                             bootstrap_progress, NULL, bootstrap_prepared, &run);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  result = g_steal_pointer (&run.result);
  if (result == NULL)
    {
      g_propagate_error (&error, g_steal_pointer (&run.error));
      return fail_error (error);
    }

  for (guint i = 0; i < result->failures->len; i++)
    {
      const WpiHandoutFailure *failure = g_ptr_array_index (result->failures, i);

      fail (EXIT_JOB_FAILED, "%s: %s", failure->mac, failure->error->message);
      status = EXIT_JOB_FAILED;
    }

  /* The queued phones' PINs are committed whether or not the run was cancelled: they
   * go into the handout all the same, or nobody could type them. */
  if (opt_handout != NULL && result->entries->len > 0)
    {
      gboolean written = is_pdf ? wpi_handout_write_pdf (result->entries, opt_handout, paper, &error)
                                : wpi_handout_write_csv (result->entries, opt_handout, &error);

      if (!written)
        {
          fail (EXIT_USAGE, "The handout was not written: %s", error->message);
          fail (EXIT_USAGE, "The %u queued phones' PINs are in the store: wpictl pins --show-pins",
                result->entries->len);
          return EXIT_USAGE;
        }
      shown = TRUE;
    }
  else if (opt_show_pins && options.with_pin)
    shown = TRUE;

  print_queued (result->entries, opt_show_pins);
  fflush (stdout);

  if (shown && !wpi_handout_mark_handed_out (store, result->entries, &error))
    {
      fail (EXIT_USAGE, "The PINs were not marked handed out: %s", error->message);
      status = MAX (status, EXIT_USAGE);
    }

  if (opt_handout != NULL && result->entries->len > 0)
    printf ("Handout %s: %u PIN%s\n", opt_handout, result->entries->len,
            result->entries->len == 1 ? "" : "s");
  else if (options.with_pin && !opt_show_pins && result->entries->len > 0)
    printf ("The PINs are not shown: pass --handout FILE or --show-pins, or see wpictl pins --show-pins\n");

  if (result->cancelled)
    {
      fail (EXIT_INTERRUPTED, "Cancelled: %u of %u phones queued, the rest untouched",
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
  json_builder_add_string_value (builder, opt_show_pins ? record->pin : WPC_CTL_MASKED);
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

static int
cmd_pins (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pins = NULL;
  gint64 now = g_get_real_time ();

  if (!open_store (FALSE, &error) ||
      (pins = wpi_store_pin_list (store, !opt_all_pins, &error)) == NULL)
    return fail_error (error);

  if (opt_json)
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
          g_autofree char *pin = opt_show_pins ? wpi_handout_format_pin (record->pin)
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

static int
cmd_revoke (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) phone_error = NULL;
  g_autoptr(WpiPki) pki = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autofree char *mac = NULL;
  g_autofree char *pki_dir = NULL;
  guint n_revoked = 0;

  if ((mac = normalize_mac (args[0], &error)) == NULL || !open_store (FALSE, &error))
    return fail_error (error);
  pki_dir = g_build_filename (data_dir, "pki", NULL);
  /* a missing PKI has issued nothing: do not create a CA just to say so */
  if (!g_file_test (pki_dir, G_FILE_TEST_IS_DIR))
    return fail (EXIT_INVALID, "No certificate has been issued for %s (no PKI in %s)", mac, data_dir);
  if ((pki = wpi_pki_new (pki_dir, NULL, &error)) == NULL ||
      !wpi_pki_revoke_mac (pki, mac, &n_revoked, &error))
    return fail_error (error);

  if (n_revoked == 0)
    printf ("%s: every certificate was already revoked\n", mac);
  else
    printf ("%s: %u certificate%s revoked; port %u refuses the phone from its next connection\n",
            mac, n_revoked, n_revoked == 1 ? "" : "s", secure_port_setting ());
  /* Revoking is about the certificates only: the store keeps what it knows */
  phone = wpi_store_phone_get (store, mac, &phone_error);
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
    0, 0, OPT_JSON, cmd_phones },
  { "show", "MAC", "Show a phone: identity, every stored item value and its jobs",
    1, 1, OPT_JSON | OPT_SECRETS, cmd_show },
  { "read", "MAC ITEM…", "Read items from a phone (ITEM is NAME or NAME[INDEX])",
    2, G_MAXUINT, OPT_JSON | OPT_SECRETS | OPT_WAIT, cmd_read },
  { "read-all", "MAC", "Read every item of a phone",
    1, 1, OPT_JSON | OPT_SECRETS | OPT_WAIT, cmd_read_all },
  { "write", "MAC NAME=VALUE…", "Write items (NAME or NAME[INDEX]), checked against the catalogue",
    2, G_MAXUINT, OPT_JSON | OPT_SECRETS | OPT_WAIT, cmd_write },
  { "restart", "MAC", "Restart a phone",
    1, 1, OPT_JSON | OPT_WAIT, cmd_restart },
  { "factory-reset", "MAC --yes", "Reset a phone to factory settings",
    1, 1, OPT_JSON | OPT_WAIT | OPT_YES, cmd_factory_reset },
  { "contact", "MAC", "Have the service contact a phone now (its pending jobs become due; "
                      "without any, a read-all is queued)",
    1, 1, OPT_JSON | OPT_WAIT, cmd_contact },
  { "deploy-file", "MAC FILE --type TYPE", "Deploy a file (ring tone, logo, …) that the service serves",
    2, 2, OPT_JSON | OPT_WAIT | OPT_TYPE | OPT_NAME | OPT_URL_BASE, cmd_deploy_file },
  { "deploy-software", "MAC FILE --version VERSION", "Deploy a firmware image that the service serves",
    2, 2, OPT_JSON | OPT_WAIT | OPT_SWVERSION | OPT_IMMEDIATE | OPT_NAME | OPT_URL_BASE, cmd_deploy_software },
  { "jobs", "", "List jobs, the newest last",
    0, 0, OPT_JSON | OPT_SECRETS | OPT_PHONE | OPT_STATE | OPT_LIMIT, cmd_jobs },
  { "job", "JOB", "Show one job with its items' results",
    1, 1, OPT_JSON | OPT_SECRETS | OPT_WAIT, cmd_job },
  { "cancel", "JOB", "Cancel a pending job",
    1, 1, 0, cmd_cancel },
  { "profile set", "NAME NAME=VALUE…", "Create or replace a profile; values may hold {mac}, {e164}, {ip}",
    1, G_MAXUINT, 0, cmd_profile_set },
  { "profile default", "NAME | --none", "Make a profile the one new phones get",
    0, 1, OPT_NONE, cmd_profile_default },
  { "profile list", "", "List the profiles",
    0, 0, OPT_JSON | OPT_SECRETS, cmd_profile_list },
  { "profile show", "NAME", "Show a profile's items",
    1, 1, OPT_JSON | OPT_SECRETS, cmd_profile_show },
  { "profile apply", "NAME MAC", "Queue a profile's items for a phone",
    2, 2, OPT_JSON | OPT_SECRETS | OPT_WAIT, cmd_profile_apply },
  { "traffic", "", "Show the traffic log, the newest messages last",
    0, 0, OPT_JSON | OPT_SECRETS | OPT_PHONE | OPT_LIMIT, cmd_traffic },
  { "bootstrap", "MAC… | --all | --default-mode | --match TEXT",
    "Move phones into Secure Mode: make their certificates (and PINs) and queue the jobs",
    0, G_MAXUINT, OPT_SELECT | OPT_BOOTSTRAP | OPT_PINS, cmd_bootstrap },
  { "pins", "", "List each phone's bootstrap PIN and its state",
    0, 0, OPT_JSON | OPT_PINS | OPT_ALL_PINS, cmd_pins },
  { "revoke", "MAC", "Revoke a phone's certificates: the secure port refuses it",
    1, 1, 0, cmd_revoke },
};

static gboolean
parse_wait (const char  *option_name,
            const char  *value,
            gpointer     data,
            GError     **error)
{
  double seconds;
  char *end = NULL;

  opt_wait = TRUE;
  if (value == NULL)
    {
      opt_wait_seconds = DEFAULT_WAIT_SECONDS;
      return TRUE;
    }
  seconds = g_ascii_strtod (value, &end);
  if (end == value || *end != '\0' || !(seconds >= 0) || seconds > 365.0 * 24 * 3600)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--wait takes a number of seconds, not “%s”", value);
      return FALSE;
    }
  opt_wait_seconds = seconds;
  return TRUE;
}

#define DATA_DIR_HELP "The service's data directory (default: $WPC_DATA_DIR or $XDG_DATA_HOME/workpoint-console)"

static const GOptionEntry data_dir_entry =
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_data_dir, DATA_DIR_HELP, "DIR" };

static const struct {
  OptionFlags  flag;
  GOptionEntry entry;
} option_entries[] = {
  { OPT_JSON, { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print JSON", NULL } },
  { OPT_SECRETS, { "show-secrets", 0, 0, G_OPTION_ARG_NONE, &opt_show_secrets,
                   "Show passwords, keys and PINs instead of " WPC_CTL_MASKED, NULL } },
  { OPT_WAIT, { "wait", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer) parse_wait,
                "Wait until the job is over (at most SECONDS, default 300) and print the outcome",
                "SECONDS" } },
  { OPT_YES, { "yes", 0, 0, G_OPTION_ARG_NONE, &opt_yes, "Confirm the factory reset", NULL } },
  { OPT_PHONE, { "phone", 0, 0, G_OPTION_ARG_STRING, &opt_phone, "Only this phone's", "MAC" } },
  { OPT_STATE, { "state", 0, 0, G_OPTION_ARG_STRING, &opt_state,
                 "Only jobs in this state (queued, …, done, failed, cancelled, or pending)", "STATE" } },
  { OPT_LIMIT, { "limit", 0, 0, G_OPTION_ARG_INT, &opt_limit,
                 "Only the newest N (traffic: 100 unless given); 0 for all", "N" } },
  { OPT_TYPE, { "type", 0, 0, G_OPTION_ARG_STRING, &opt_type,
                "The file-type: MOH, PIC, LDAP, LOGO, SCREENSAVER, RINGTONE, DONGLE", "TYPE" } },
  { OPT_SWVERSION, { "version", 0, 0, G_OPTION_ARG_STRING, &opt_sw_version,
                     "The firmware's file-sw-version, e.g. 3.5.12.0", "VERSION" } },
  { OPT_IMMEDIATE, { "immediate", 0, 0, G_OPTION_ARG_NONE, &opt_immediate,
                     "Install even during a call (file-priority immediate)", NULL } },
  { OPT_NAME, { "name", 0, 0, G_OPTION_ARG_STRING, &opt_name,
                "The file's name on the service and the phone (default: FILE's)", "NAME" } },
  { OPT_URL_BASE, { "url-base", 0, 0, G_OPTION_ARG_STRING, &opt_url_base,
                    "Where phones reach the service, e.g. https://192.0.2.1:18443 "
                    "(default: the address the running service recorded)", "URL" } },
  { OPT_NONE, { "none", 0, 0, G_OPTION_ARG_NONE, &opt_none, "No default profile", NULL } },
  { OPT_SELECT, { "all", 0, 0, G_OPTION_ARG_NONE, &opt_all_phones, "Every phone the service knows", NULL } },
  { OPT_SELECT, { "default-mode", 0, 0, G_OPTION_ARG_NONE, &opt_default_mode,
                  "Every phone still in Default Mode", NULL } },
  { OPT_SELECT, { "match", 0, 0, G_OPTION_ARG_STRING, &opt_match,
                  "Phones whose MAC, number, model or location contain every word of TEXT", "TEXT" } },
  { OPT_BOOTSTRAP, { "pin", 0, 0, G_OPTION_ARG_NONE, &opt_pin,
                     "With a PIN typed on the phone (the default)", NULL } },
  { OPT_BOOTSTRAP, { "nopin", 0, 0, G_OPTION_ARG_NONE, &opt_nopin,
                     "Without PIN: the phone trusts the first server it gets the bundle from", NULL } },
  { OPT_BOOTSTRAP, { "pin-length", 0, 0, G_OPTION_ARG_INT, &opt_pin_length,
                     "Digits per PIN, 8 to 20 (default 12; the last 3 are the TAN)", "N" } },
  { OPT_BOOTSTRAP, { "max-retries", 0, 0, G_OPTION_ARG_INT, &opt_max_retries,
                     "Wrong PINs a phone allows before it gives up (default 3)", "N" } },
  { OPT_BOOTSTRAP, { "handout", 0, 0, G_OPTION_ARG_FILENAME, &opt_handout,
                     "Write the PINs to FILE: slips to cut out (.pdf) or a table (.csv)", "FILE" } },
  { OPT_BOOTSTRAP, { "paper", 0, 0, G_OPTION_ARG_STRING, &opt_paper,
                     "The PDF's paper: a4 (default) or letter", "SIZE" } },
  { OPT_PINS, { "show-pins", 0, 0, G_OPTION_ARG_NONE, &opt_show_pins,
                "Print the PINs instead of " WPC_CTL_MASKED, NULL } },
  { OPT_ALL_PINS, { "all", 0, 0, G_OPTION_ARG_NONE, &opt_all_pins,
                    "Every PIN ever made, not only each phone's newest", NULL } },
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
    "3 a job waited for failed, was cancelled or had items refused, or a phone could\n"
    "not be bootstrapped; 4 still pending when --wait ran out; 130 bootstrap interrupted.");
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
free_options (void)
{
  g_clear_pointer (&opt_global_data_dir, g_free);
  g_clear_pointer (&opt_data_dir, g_free);
  g_clear_pointer (&opt_phone, g_free);
  g_clear_pointer (&opt_state, g_free);
  g_clear_pointer (&opt_type, g_free);
  g_clear_pointer (&opt_sw_version, g_free);
  g_clear_pointer (&opt_url_base, g_free);
  g_clear_pointer (&opt_name, g_free);
  g_clear_pointer (&opt_match, g_free);
  g_clear_pointer (&opt_handout, g_free);
  g_clear_pointer (&opt_paper, g_free);
  g_clear_pointer (&data_dir, g_free);
  g_clear_object (&store);
}

static int
run (char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GOptionContext) command_context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = commands_description ();
  g_autofree char *command_name = NULL;
  g_autofree char *parameters = NULL;
  g_auto(GStrv) args = g_strdupv (argv);
  g_auto(GStrv) command_args = NULL;
  g_autoptr(GArray) entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));
  const GOptionEntry global_entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_global_data_dir, DATA_DIR_HELP, "DIR" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version", NULL },
    { NULL }
  };
  guint n_words, n_args;
  int found = -1;

  context = g_option_context_new ("COMMAND [ARGUMENT…] — control the Workpoint Console service");
  g_option_context_set_summary (context,
    "Queues jobs for phones and reads the state of the provisioning service through the\n"
    "store in its data directory; a running service acts on a new job within a second.");
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, global_entries, NULL);
  /* options after the command belong to the command */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse_strv (context, &args, &error))
    return fail (EXIT_USAGE, "%s", error->message);
  if (opt_version)
    {
      printf ("wpictl %s\n", WPC_VERSION);
      return EXIT_OK;
    }
  if (args[1] == NULL)
    return fail (EXIT_USAGE, "No command given (see wpictl --help)");

  /* "profile" takes a second word */
  n_words = strcmp (args[1], "profile") == 0 && args[2] != NULL ? 2 : 1;
  command_name = n_words == 2 ? g_strconcat (args[1], " ", args[2], NULL) : g_strdup (args[1]);
  for (guint i = 0; i < G_N_ELEMENTS (commands) && found < 0; i++)
    if (strcmp (commands[i].name, command_name) == 0)
      found = i;
  if (found < 0)
    {
      if (strcmp (args[1], "profile") == 0)
        return fail (EXIT_USAGE, "Unknown profile command “%s” (set, default, list, show, apply)",
                     args[2] != NULL ? args[2] : "");
      return fail (EXIT_USAGE, "Unknown command “%s” (see wpictl --help)", args[1]);
    }

  /* the command's own argv: "wpictl COMMAND", then what follows the command */
  command_args = g_new0 (char *, g_strv_length (args) + 1);
  command_args[0] = g_strdup_printf ("wpictl %s", command_name);
  for (guint i = 1 + n_words, j = 1; args[i] != NULL; i++, j++)
    command_args[j] = g_strdup (args[i]);

  g_array_append_val (entries, data_dir_entry);
  for (guint i = 0; i < G_N_ELEMENTS (option_entries); i++)
    if (commands[found].options & option_entries[i].flag)
      g_array_append_val (entries, option_entries[i].entry);
  parameters = g_strdup_printf ("%s — %s", commands[found].parameters, commands[found].summary);
  /* --help of the command says "wpictl read [OPTION…] MAC ITEM…" */
  g_set_prgname (command_args[0]);
  command_context = g_option_context_new (parameters);
  g_option_context_add_main_entries (command_context, (GOptionEntry *) entries->data, NULL);
  if (!g_option_context_parse_strv (command_context, &command_args, &error))
    return fail (EXIT_USAGE, "%s", error->message);

  n_args = g_strv_length (command_args) - 1;
  if (n_args < commands[found].min_args || n_args > commands[found].max_args)
    return fail (EXIT_USAGE, "Usage: wpictl %s %s", command_name, commands[found].parameters);

  if (opt_data_dir != NULL)
    data_dir = g_strdup (opt_data_dir);
  else if (opt_global_data_dir != NULL)
    data_dir = g_strdup (opt_global_data_dir);
  else
    data_dir = default_data_dir ();
  catalogue = wpi_catalogue_get_default ();

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
