/* wpictl-jobs.c: the job commands and how wpictl reports on jobs
 *
 * read, read-all, write, restart, factory-reset and contact queue jobs; jobs, job and
 * cancel look at them. With --wait every job command watches the store until its
 * jobs are over.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "wpc-ctl-wait.h"
#include "wpictl-private.h"

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
      described = wpc_ctl_describe_value (wpictl.catalogue, item->name, item->value, wpictl_opt.show_secrets);
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

void
_wpictl_print_job_outcome (const WpiJobRecord *job,
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

/* Without --wait: each job's id, or the job as JSON */
static int
print_job_ids (const gint64 *job_ids,
               guint         n_jobs)
{
  for (guint i = 0; i < n_jobs; i++)
    {
      if (wpictl_opt.json)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(WpiJobRecord) job = wpi_store_job_get (wpictl.store, job_ids[i], &error);
          g_autoptr(JsonNode) node = NULL;

          if (job == NULL)
            return _wpictl_fail_error (error);
          node = wpc_ctl_job_to_json (job, wpictl.catalogue, wpictl_opt.show_secrets);
          wpc_ctl_print_json (node, FALSE, stdout);
        }
      else
        printf ("%" G_GINT64_FORMAT "\n", job_ids[i]);
    }
  return EXIT_OK;
}

/* How a job waited for ended, said on stderr unless it succeeded */
static int
job_exit_status (const WpiJobRecord *job,
                 GArray             *requested)
{
  guint refused = 0, asked = 0;

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
    return _wpictl_fail (EXIT_TIMEOUT, "Job %" G_GINT64_FORMAT " is still %s after %g s",
                         job->id, wpi_job_state_to_string (job->state), wpictl_opt.wait_seconds);
  if (job->state == WPI_JOB_STATE_FAILED)
    return _wpictl_fail (EXIT_JOB_FAILED, "Job %" G_GINT64_FORMAT " failed: %s", job->id,
                         job->failure_reason ? job->failure_reason : "no reason given");
  if (job->state == WPI_JOB_STATE_CANCELLED)
    return _wpictl_fail (EXIT_JOB_FAILED, "Job %" G_GINT64_FORMAT " was cancelled", job->id);
  if (job->state == WPI_JOB_STATE_DONE_WITH_PROBLEMS)
    return _wpictl_fail (EXIT_JOB_FAILED, "Job %" G_GINT64_FORMAT " is done with problems: %s", job->id,
                         job->failure_reason ? job->failure_reason : "no reason given");
  if (refused > 0)
    return _wpictl_fail (EXIT_JOB_FAILED, "Job %" G_GINT64_FORMAT ": the phone refused %u of %u items",
                         job->id, refused, asked);
  return EXIT_OK;
}

/* Prints the jobs' ids (or JSON); with --wait, waits and prints how they ended.
 * requested: the items a single job was queued with, or NULL. */
int
_wpictl_report_jobs (const gint64 *job_ids,
                     guint         n_jobs,
                     GArray       *requested)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  gboolean all_final = FALSE;
  int status = EXIT_OK;

  if (!wpictl_opt.wait)
    return print_job_ids (job_ids, n_jobs);

  if (!wpictl_opt.json)
    {
      for (guint i = 0; i < n_jobs; i++)
        printf ("%" G_GINT64_FORMAT "\n", job_ids[i]);
      fflush (stdout);
    }

  jobs = wpc_ctl_wait_for_jobs (wpictl.store, job_ids, n_jobs,
                                (gint64) (wpictl_opt.wait_seconds * G_USEC_PER_SEC), &all_final, &error);
  if (jobs == NULL)
    return _wpictl_fail_error (error);

  for (guint i = 0; i < jobs->len; i++)
    {
      const WpiJobRecord *job = g_ptr_array_index (jobs, i);
      int job_status;

      if (wpictl_opt.json)
        {
          g_autoptr(JsonNode) node = wpc_ctl_job_to_json (job, wpictl.catalogue, wpictl_opt.show_secrets);
          wpc_ctl_print_json (node, FALSE, stdout);
        }
      else
        _wpictl_print_job_outcome (job, requested);
      fflush (stdout);

      job_status = job_exit_status (job, requested);
      /* the highest: a timeout (4) says more than a failure of another job (3) */
      status = MAX (status, job_status);
    }
  return status;
}

int
_wpictl_enqueue_and_report (const char  *mac,
                            WpiJobKind   kind,
                            const char  *parameter,
                            GArray      *items)
{
  g_autoptr(GError) error = NULL;
  gint64 job_id = 0;

  if (!wpi_store_job_enqueue (wpictl.store, mac, kind, parameter,
                              items != NULL ? (WpiStoreItem *) items->data : NULL,
                              items != NULL ? items->len : 0, &job_id, &error))
    return _wpictl_fail_error (error);
  return _wpictl_report_jobs (&job_id, 1, items);
}

void
_wpictl_print_jobs_table (GPtrArray  *jobs,
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

/* Job commands check the phone first so that the error names it plainly. */
WpiPhoneRecord *
_wpictl_open_for_job (const char  *mac_text,
                      GError     **error)
{
  if (!_wpictl_open_store (FALSE, error))
    return NULL;
  return _wpictl_get_phone (mac_text, error);
}

int
_wpictl_cmd_read (char **args)
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

      if (!_wpictl_parse_item_name (args[i], strlen (args[i]), &name, &has_index, &index, &error) ||
          !_wpictl_check_item_to_read (name, has_index, index, &error))
        return _wpictl_fail_error (error);
      wpi_store_item_array_add (items, name, has_index, index, NULL);
    }

  if ((phone = _wpictl_open_for_job (args[0], &error)) == NULL)
    return _wpictl_fail_error (error);
  return _wpictl_enqueue_and_report (phone->mac, WPI_JOB_KIND_READ_ITEMS, NULL, items);
}

int
_wpictl_cmd_read_all (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = _wpictl_open_for_job (args[0], &error);

  if (phone == NULL)
    return _wpictl_fail_error (error);
  return _wpictl_enqueue_and_report (phone->mac, WPI_JOB_KIND_READ_ALL, NULL, NULL);
}

int
_wpictl_cmd_write (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  for (guint i = 1; args[i] != NULL; i++)
    if (!_wpictl_parse_assignment (args[i], FALSE, items, &error))
      return _wpictl_fail_error (error);

  if ((phone = _wpictl_open_for_job (args[0], &error)) == NULL)
    return _wpictl_fail_error (error);
  return _wpictl_enqueue_and_report (phone->mac, WPI_JOB_KIND_WRITE_ITEMS, NULL, items);
}

int
_wpictl_cmd_restart (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = _wpictl_open_for_job (args[0], &error);

  if (phone == NULL)
    return _wpictl_fail_error (error);
  return _wpictl_enqueue_and_report (phone->mac, WPI_JOB_KIND_RESTART, NULL, NULL);
}

int
_wpictl_cmd_factory_reset (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;

  /* D15: a factory reset wipes the phone; it needs an explicit confirmation */
  if (!wpictl_opt.yes)
    return _wpictl_fail (EXIT_USAGE, "A factory reset erases every setting of the phone; "
                                     "confirm with: wpictl factory-reset %s --yes", args[0]);
  if ((phone = _wpictl_open_for_job (args[0], &error)) == NULL)
    return _wpictl_fail_error (error);
  return _wpictl_enqueue_and_report (phone->mac, WPI_JOB_KIND_FACTORY_RESET, NULL, NULL);
}

/* contact: the service contacts a phone when one of its pending jobs is due. So every
 * pending job waiting for a later attempt is brought forward to now, without counting
 * an attempt; a phone without pending jobs gets a read-all, which makes it call and
 * refreshes its values. A job in progress is left alone (the phone is in a session)
 * but still reported and waited for. */
int
_wpictl_cmd_contact (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GArray) job_ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 job_id = 0;

  if ((phone = _wpictl_open_for_job (args[0], &error)) == NULL)
    return _wpictl_fail_error (error);
  if (phone->ip == NULL && phone->contact_me_uri == NULL)
    return _wpictl_fail (EXIT_INVALID, "The service knows no address of %s to contact; "
                                       "its jobs wait until the phone calls", phone->mac);

  /* one transaction: the service sees all of it or none */
  if (!wpi_store_transaction_begin (wpictl.store, &error))
    return _wpictl_fail_error (error);
  if ((pending = wpi_store_job_list_pending (wpictl.store, phone->mac, &error)) == NULL)
    goto failed;
  for (guint i = 0; i < pending->len; i++)
    {
      const WpiJobRecord *job = g_ptr_array_index (pending, i);

      if (job->state != WPI_JOB_STATE_IN_PROGRESS &&
          !wpi_store_job_reschedule (wpictl.store, job->id, 0, &error))
        goto failed;
      g_array_append_val (job_ids, job->id);
    }
  if (pending->len == 0)
    {
      if (!wpi_store_job_enqueue (wpictl.store, phone->mac, WPI_JOB_KIND_READ_ALL, NULL, NULL, 0, &job_id, &error))
        goto failed;
      g_array_append_val (job_ids, job_id);
    }
  if (!wpi_store_transaction_commit (wpictl.store, &error))
    return _wpictl_fail_error (error);

  return _wpictl_report_jobs ((gint64 *) job_ids->data, job_ids->len, NULL);

failed:
  wpi_store_transaction_rollback (wpictl.store);
  return _wpictl_fail_error (error);
}

int
_wpictl_cmd_jobs (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autofree char *mac = NULL;
  WpiJobFilter filter = { NULL, 0, 0 };

  if (wpictl_opt.phone != NULL && (mac = _wpictl_normalize_mac (wpictl_opt.phone, &error)) == NULL)
    return _wpictl_fail_error (error);
  filter.mac = mac;
  if (wpictl_opt.state != NULL)
    {
      WpiJobState state;

      if (strcmp (wpictl_opt.state, "pending") == 0)
        filter.state_mask = WPI_JOB_STATE_MASK_PENDING;
      else if (wpi_job_state_from_string (wpictl_opt.state, &state))
        filter.state_mask = WPI_JOB_STATE_MASK (state);
      else
        return _wpictl_fail (EXIT_INVALID, "“%s” is not a job state (queued, contacting, in-progress, "
                                           "waiting-busy, done, failed, cancelled or pending)", wpictl_opt.state);
    }
  if (wpictl_opt.limit < -1)
    return _wpictl_fail (EXIT_INVALID, "--limit takes a number of jobs, 0 for all");
  filter.limit = wpictl_opt.limit > 0 ? (guint) wpictl_opt.limit : 0;

  if (!_wpictl_open_store (FALSE, &error))
    return _wpictl_fail_error (error);
  if (mac != NULL)
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (wpictl.store, mac, &error);
      if (phone == NULL)
        return _wpictl_fail_error (error);
    }
  if ((jobs = wpi_store_job_list (wpictl.store, &filter, &error)) == NULL)
    return _wpictl_fail_error (error);

  if (wpictl_opt.json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < jobs->len; i++)
        json_array_add_element (array, wpc_ctl_job_to_json (g_ptr_array_index (jobs, i), wpictl.catalogue,
                                                            wpictl_opt.show_secrets));
      json_node_set_array (root, array);
      wpc_ctl_print_json (root, TRUE, stdout);
    }
  else
    _wpictl_print_jobs_table (jobs, NULL, TRUE);
  return EXIT_OK;
}

int
_wpictl_cmd_job (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  gint64 job_id;

  if (!_wpictl_parse_job_id (args[0], &job_id, &error) ||
      !_wpictl_open_store (FALSE, &error) ||
      (job = wpi_store_job_get (wpictl.store, job_id, &error)) == NULL)
    return _wpictl_fail_error (error);
  if (wpictl_opt.wait)
    return _wpictl_report_jobs (&job_id, 1, NULL);
  if (wpictl_opt.json)
    {
      g_autoptr(JsonNode) node = wpc_ctl_job_to_json (job, wpictl.catalogue, wpictl_opt.show_secrets);
      wpc_ctl_print_json (node, TRUE, stdout);
    }
  else
    _wpictl_print_job_outcome (job, NULL);
  return EXIT_OK;
}

int
_wpictl_cmd_cancel (char **args)
{
  g_autoptr(GError) error = NULL;
  gint64 job_id;

  if (!_wpictl_parse_job_id (args[0], &job_id, &error) ||
      !_wpictl_open_store (FALSE, &error) ||
      !wpi_store_job_cancel (wpictl.store, job_id, &error))
    return _wpictl_fail_error (error);
  printf ("job %" G_GINT64_FORMAT " cancelled\n", job_id);
  return EXIT_OK;
}
