/* wpi-handout.c: the PIN handout: bulk preparation, CSV, PDF slips */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "wpi-handout.h"
#include "wpi-pin.h"

/* ---- Failures, results ------------------------------------------------------------ */

G_DEFINE_BOXED_TYPE (WpiHandoutFailure, wpi_handout_failure,
                     wpi_handout_failure_copy, wpi_handout_failure_free)

static WpiHandoutFailure *
failure_new (const char *mac,
             GError     *error)
{
  WpiHandoutFailure *failure = g_new0 (WpiHandoutFailure, 1);

  failure->mac = g_strdup (mac);
  failure->error = error;
  return failure;
}

WpiHandoutFailure *
wpi_handout_failure_copy (const WpiHandoutFailure *failure)
{
  g_return_val_if_fail (failure != NULL, NULL);

  return failure_new (failure->mac, failure->error != NULL ? g_error_copy (failure->error) : NULL);
}

void
wpi_handout_failure_free (WpiHandoutFailure *failure)
{
  if (failure == NULL)
    return;

  g_free (failure->mac);
  g_clear_error (&failure->error);
  g_free (failure);
}

G_DEFINE_BOXED_TYPE (WpiHandoutResult, wpi_handout_result,
                     wpi_handout_result_copy, wpi_handout_result_free)

static WpiHandoutResult *
result_new (void)
{
  WpiHandoutResult *result = g_new0 (WpiHandoutResult, 1);

  result->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_handout_entry_free);
  result->failures = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_handout_failure_free);
  return result;
}

WpiHandoutResult *
wpi_handout_result_copy (const WpiHandoutResult *result)
{
  WpiHandoutResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = result_new ();
  for (guint i = 0; i < result->entries->len; i++)
    g_ptr_array_add (copy->entries, wpi_handout_entry_copy (g_ptr_array_index (result->entries, i)));
  for (guint i = 0; i < result->failures->len; i++)
    g_ptr_array_add (copy->failures, wpi_handout_failure_copy (g_ptr_array_index (result->failures, i)));
  copy->n_requested = result->n_requested;
  copy->cancelled = result->cancelled;
  copy->elapsed_us = result->elapsed_us;
  copy->timings = result->timings;
  return copy;
}

void
wpi_handout_result_free (WpiHandoutResult *result)
{
  if (result == NULL)
    return;

  g_ptr_array_unref (result->entries);
  g_ptr_array_unref (result->failures);
  g_free (result);
}

/* ---- Selecting phones ----------------------------------------------------------- */

typedef gboolean (*PhoneMatch) (const WpiPhoneRecord *phone,
                                gpointer              data);

static GStrv
select_phones (WpiStore    *store,
               PhoneMatch   match,
               gpointer     data,
               GError     **error)
{
  g_autoptr(GPtrArray) phones = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (WPI_IS_STORE (store), NULL);

  phones = wpi_store_phone_list (store, error);
  if (phones == NULL)
    return NULL;

  for (guint i = 0; i < phones->len; i++)
    {
      const WpiPhoneRecord *phone = g_ptr_array_index (phones, i);

      if (match == NULL || match (phone, data))
        g_strv_builder_add (builder, phone->mac);
    }

  return g_strv_builder_end (builder);
}

GStrv
wpi_handout_select_all (WpiStore  *store,
                        GError   **error)
{
  return select_phones (store, NULL, NULL, error);
}

static gboolean
phone_in_default_mode (const WpiPhoneRecord *phone,
                       gpointer              data)
{
  return phone->mode == WPI_PHONE_MODE_DEFAULT;
}

GStrv
wpi_handout_select_default_mode (WpiStore  *store,
                                 GError   **error)
{
  return select_phones (store, phone_in_default_mode, NULL, error);
}

static gboolean
field_contains (const char *field,
                const char *folded_word)
{
  g_autofree char *folded = NULL;

  if (field == NULL)
    return FALSE;
  folded = g_utf8_casefold (field, -1);
  return strstr (folded, folded_word) != NULL;
}

static gboolean
phone_matches_words (const WpiPhoneRecord *phone,
                     gpointer              data)
{
  GStrv words = data;
  g_autoptr(GString) bare_mac = g_string_new (NULL);

  /* "001AE8123456" as well, so that a MAC typed without colons matches */
  for (const char *p = phone->mac; *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (bare_mac, *p);

  for (guint i = 0; words[i] != NULL; i++)
    {
      if (*words[i] == '\0')
        continue;
      if (!field_contains (phone->mac, words[i]) &&
          !field_contains (bare_mac->str, words[i]) &&
          !field_contains (phone->e164, words[i]) &&
          !field_contains (phone->device_type, words[i]) &&
          !field_contains (phone->location, words[i]))
        return FALSE;
    }

  return TRUE;
}

GStrv
wpi_handout_select_matching (WpiStore    *store,
                             const char  *filter,
                             GError     **error)
{
  g_autofree char *folded = g_utf8_casefold (filter != NULL ? filter : "", -1);
  g_auto(GStrv) words = g_strsplit_set (g_strstrip (folded), " \t\n", -1);

  return select_phones (store, phone_matches_words, words, error);
}

GStrv
wpi_handout_select_macs (WpiStore            *store,
                         const char * const  *macs,
                         GError             **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (WPI_IS_STORE (store), NULL);

  for (guint i = 0; macs != NULL && macs[i] != NULL; i++)
    {
      g_autofree char *mac = wpi_mac_normalize (macs[i], NULL);
      g_autoptr(WpiPhoneRecord) phone = NULL;
      g_autoptr(GError) local_error = NULL;

      if (mac == NULL)
        {
          g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID,
                       "“%s” is not a MAC address", macs[i]);
          return NULL;
        }
      if (g_hash_table_contains (seen, mac))
        continue;

      phone = wpi_store_phone_get (store, mac, &local_error);
      if (phone == NULL)
        {
          if (g_error_matches (local_error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
            g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID,
                         "No phone with the MAC %s is known", mac);
          else
            g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      g_strv_builder_add (builder, mac);
      g_hash_table_add (seen, g_steal_pointer (&mac));
    }

  return g_strv_builder_end (builder);
}

/* ---- The bulk preparation --------------------------------------------------------- */

typedef struct {
  char                   *data_dir;
  WpiPki                 *pki;
  GStrv                   macs;
  WpiBootstrapOptions     options;
  WpiHandoutProgressFunc  progress;
  gpointer                progress_data;
  GMainContext           *context;   /* where progress goes; NULL: the running thread */
} HandoutRun;

static void
handout_run_free (HandoutRun *run)
{
  g_free (run->data_dir);
  g_clear_object (&run->pki);
  g_strfreev (run->macs);
  g_clear_pointer (&run->context, g_main_context_unref);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HandoutRun, handout_run_free)

static HandoutRun *
handout_run_new (const char                *data_dir,
                 WpiPki                    *pki,
                 const char * const        *macs,
                 const WpiBootstrapOptions *options,
                 WpiHandoutProgressFunc     progress,
                 gpointer                   progress_data)
{
  HandoutRun *run = g_new0 (HandoutRun, 1);

  run->data_dir = g_strdup (data_dir);
  run->pki = g_object_ref (pki);
  run->macs = g_strdupv ((GStrv) macs);
  if (run->macs == NULL)
    run->macs = g_new0 (char *, 1);
  run->options = *options;
  run->progress = progress;
  run->progress_data = progress_data;
  return run;
}

typedef struct {
  WpiHandoutProgressFunc  func;
  gpointer                data;
  guint                   done;
  guint                   total;
  char                   *mac;
  WpiHandoutEntry        *entry;
} ProgressCall;

static void
progress_call_free (gpointer data)
{
  ProgressCall *call = data;

  g_free (call->mac);
  g_clear_pointer (&call->entry, wpi_handout_entry_free);
  g_free (call);
}

static gboolean
progress_dispatch (gpointer data)
{
  ProgressCall *call = data;

  call->func (call->done, call->total, call->mac, call->entry, call->data);
  return G_SOURCE_REMOVE;
}

static void
report_progress (HandoutRun            *run,
                 guint                  done,
                 guint                  total,
                 const char            *mac,
                 const WpiHandoutEntry *entry)
{
  ProgressCall *call;
  GSource *source;

  if (run->progress == NULL)
    return;

  if (run->context == NULL)
    {
      run->progress (done, total, mac, entry, run->progress_data);
      return;
    }

  /* An idle source rather than g_main_context_invoke(), which could run the callback
   * right here on the worker thread. Sources of one priority run in the order they
   * were attached, so every report comes before GTask's return of the result. */
  call = g_new0 (ProgressCall, 1);
  call->func = run->progress;
  call->data = run->progress_data;
  call->done = done;
  call->total = total;
  call->mac = g_strdup (mac);
  call->entry = entry != NULL ? wpi_handout_entry_copy (entry) : NULL;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, progress_dispatch, call, progress_call_free);
  g_source_set_static_name (source, "[wpi] handout progress");
  g_source_attach (source, run->context);
  g_source_unref (source);
}

/* One phone through the builder pool */
typedef struct {
  guint                 slot;      /* its place in the run's list of known phones */
  const char           *mac;       /* owned by the run */
  WpiBootstrapPayload  *payload;
  GError               *error;
  WpiBootstrapTimings   timings;
  gboolean              skipped;   /* cancelled before it began */
} BuildJob;

static void
build_job_free (BuildJob *job)
{
  g_clear_pointer (&job->payload, wpi_bootstrap_payload_free);
  g_clear_error (&job->error);
  g_free (job);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BuildJob, build_job_free)

typedef struct {
  WpiPki                    *pki;
  const WpiBootstrapOptions *options;
  GCancellable              *cancellable;
  GAsyncQueue               *finished;   /* BuildJob */
} Builders;

static void
build_one (gpointer data,
           gpointer user_data)
{
  BuildJob *job = data;
  Builders *builders = user_data;

  if (g_cancellable_is_cancelled (builders->cancellable))
    job->skipped = TRUE;
  else
    job->payload = wpi_bootstrap_payload_build (builders->pki, job->mac, builders->options,
                                                &job->timings, &job->error);
  g_async_queue_push (builders->finished, job);
}

typedef struct {
  char            *given;
  char            *mac;     /* normalised, or NULL when `given` is not a MAC */
  WpiPhoneRecord  *phone;
} Target;

static void
target_clear (gpointer data)
{
  Target *target = data;

  g_free (target->given);
  g_free (target->mac);
  g_clear_pointer (&target->phone, wpi_phone_record_free);
}

static WpiHandoutResult *
handout_run (HandoutRun    *run,
             GCancellable  *cancellable,
             GError       **error)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(WpiStore) store = NULL;
  g_autoptr(WpiHandoutResult) result = NULL;
  g_autoptr(GArray) targets = g_array_new (FALSE, TRUE, sizeof (Target));
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) ready = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) slots = NULL;
  g_autoptr(GAsyncQueue) finished = NULL;
  Builders builders;
  GThreadPool *pool;
  guint n_threads;
  guint next = 0;
  guint in_flight = 0;
  guint done = 0;

  store = wpi_store_open (run->data_dir, error);
  if (store == NULL)
    return NULL;

  result = result_new ();
  g_array_set_clear_func (targets, target_clear);

  /* Each phone once; a string that is no MAC is a failure of its own */
  for (guint i = 0; run->macs[i] != NULL; i++)
    {
      Target target = { g_strdup (run->macs[i]), wpi_mac_normalize (run->macs[i], NULL), NULL };
      const char *key = target.mac != NULL ? target.mac : target.given;

      if (g_hash_table_contains (seen, key))
        {
          target_clear (&target);
          continue;
        }
      g_array_append_val (targets, target);
      g_hash_table_add (seen, (gpointer) key);
    }
  result->n_requested = targets->len;

  for (guint i = 0; i < targets->len; i++)
    {
      Target *target = &g_array_index (targets, Target, i);
      GError *local_error = NULL;

      if (target->mac == NULL)
        g_set_error (&local_error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID,
                     "“%s” is not a MAC address", target->given);
      else
        target->phone = wpi_store_phone_get (store, target->mac, &local_error);

      if (local_error != NULL)
        {
          g_ptr_array_add (result->failures,
                           failure_new (target->mac != NULL ? target->mac : target->given, local_error));
          report_progress (run, ++done, targets->len, target->given, NULL);
        }
      else
        {
          g_array_append_val (ready, i);
        }
    }

  /* One builder per core; this thread only commits, which is quick next to the
   * cryptography. A small window keeps cancelling prompt. */
  n_threads = CLAMP (g_get_num_processors (), 1, 16);
  finished = g_async_queue_new ();
  builders = (Builders) { run->pki, &run->options, cancellable, finished };
  pool = g_thread_pool_new (build_one, &builders, n_threads, FALSE, NULL);
  slots = g_ptr_array_new_full (ready->len, (GDestroyNotify) wpi_handout_entry_free);
  g_ptr_array_set_size (slots, ready->len);

  while (next < ready->len || in_flight > 0)
    {
      g_autoptr(BuildJob) job = NULL;
      const Target *target;
      g_autoptr(WpiHandoutEntry) entry = NULL;
      GError *local_error = NULL;
      gint64 job_id;
      gint64 pin_id = 0;

      while (next < ready->len && in_flight < 2 * n_threads && !g_cancellable_is_cancelled (cancellable))
        {
          BuildJob *new_job = g_new0 (BuildJob, 1);

          new_job->slot = next;
          new_job->mac = g_array_index (targets, Target, g_array_index (ready, guint, next)).mac;
          g_thread_pool_push (pool, new_job, NULL);
          next++;
          in_flight++;
        }
      if (in_flight == 0)
        break;   /* cancelled with nothing left in the pool */

      job = g_async_queue_pop (finished);
      in_flight--;
      wpi_bootstrap_timings_add (&result->timings, &job->timings);

      /* A payload that was built but not committed is dropped: after a cancel, no more
       * phones are queued. */
      if (job->skipped || g_cancellable_is_cancelled (cancellable))
        continue;

      target = &g_array_index (targets, Target, g_array_index (ready, guint, job->slot));
      if (job->error != NULL)
        {
          g_ptr_array_add (result->failures, failure_new (target->mac, g_steal_pointer (&job->error)));
          report_progress (run, ++done, targets->len, target->mac, NULL);
          continue;
        }

      job_id = wpi_bootstrap_payload_commit (store, job->payload, &pin_id, &result->timings, &local_error);
      if (job_id == 0)
        {
          g_ptr_array_add (result->failures, failure_new (target->mac, local_error));
          report_progress (run, ++done, targets->len, target->mac, NULL);
          continue;
        }

      entry = wpi_handout_entry_new (target->mac, target->phone->e164, target->phone->device_type,
                                     target->phone->location,
                                     wpi_bootstrap_payload_get_pin (job->payload), job_id, pin_id);
      report_progress (run, ++done, targets->len, target->mac, entry);
      g_ptr_array_index (slots, job->slot) = g_steal_pointer (&entry);
    }

  g_thread_pool_free (pool, FALSE, TRUE);

  /* The order the MACs were given, not the order the threads finished in */
  for (guint i = 0; i < slots->len; i++)
    if (g_ptr_array_index (slots, i) != NULL)
      g_ptr_array_add (result->entries, g_steal_pointer (&g_ptr_array_index (slots, i)));

  result->cancelled = done < targets->len;
  result->elapsed_us = g_get_monotonic_time () - start;

  return g_steal_pointer (&result);
}

static void
handout_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  HandoutRun *run = task_data;
  GError *error = NULL;
  WpiHandoutResult *result;

  result = handout_run (run, cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) wpi_handout_result_free);
}

void
wpi_handout_prepare_async (const char                 *data_dir,
                           WpiPki                     *pki,
                           const char * const         *macs,
                           const WpiBootstrapOptions  *options,
                           GCancellable               *cancellable,
                           WpiHandoutProgressFunc      progress,
                           gpointer                    progress_data,
                           GAsyncReadyCallback         callback,
                           gpointer                    user_data)
{
  g_autoptr(GTask) task = NULL;
  HandoutRun *run;

  g_return_if_fail (data_dir != NULL);
  g_return_if_fail (WPI_IS_PKI (pki));
  g_return_if_fail (options != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run = handout_run_new (data_dir, pki, macs, options, progress, progress_data);
  run->context = g_main_context_ref_thread_default ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, wpi_handout_prepare_async);
  g_task_set_name (task, "[wpi] handout");
  /* A cancelled run still returns what it queued: those PINs must be handed out */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, run, (GDestroyNotify) handout_run_free);
  g_task_run_in_thread (task, handout_thread);
}

WpiHandoutResult *
wpi_handout_prepare_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, wpi_handout_prepare_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

WpiHandoutResult *
wpi_handout_prepare (const char                 *data_dir,
                     WpiPki                     *pki,
                     const char * const         *macs,
                     const WpiBootstrapOptions  *options,
                     GCancellable               *cancellable,
                     WpiHandoutProgressFunc      progress,
                     gpointer                    progress_data,
                     GError                    **error)
{
  g_autoptr(HandoutRun) run = NULL;

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (WPI_IS_PKI (pki), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  run = handout_run_new (data_dir, pki, macs, options, progress, progress_data);
  return handout_run (run, cancellable, error);
}

/* ---- Handed out ------------------------------------------------------------------- */

static gboolean
mark_entry (WpiStore               *store,
            const WpiHandoutEntry  *entry,
            GError                **error)
{
  g_autoptr(WpiPinRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;

  if (entry->pin_id != 0)
    record = wpi_store_pin_get (store, entry->pin_id, &local_error);
  else
    record = wpi_store_pin_get_current (store, entry->mac, &local_error);

  if (record == NULL)
    {
      if (g_error_matches (local_error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
        {
          g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_STALE,
                       "The store holds no such PIN for %s", entry->mac);
          return FALSE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (g_strcmp0 (record->pin, entry->pin) != 0 || g_strcmp0 (record->mac, entry->mac) != 0)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_STALE,
                   "The PIN in the handout is not the stored PIN of %s", entry->mac);
      return FALSE;
    }
  if (record->state == WPI_PIN_STATE_FAILED || record->state == WPI_PIN_STATE_REISSUED)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_STALE,
                   "The PIN of %s is %s and can no longer be handed out",
                   entry->mac, wpi_pin_state_to_string (record->state));
      return FALSE;
    }

  return wpi_store_pin_set_state (store, record->id, WPI_PIN_STATE_HANDED_OUT, NULL, error);
}

static gboolean
mark_entries (WpiStore  *store,
              gpointer   user_data,
              GError   **error)
{
  GPtrArray *entries = user_data;

  for (guint i = 0; i < entries->len; i++)
    {
      const WpiHandoutEntry *entry = g_ptr_array_index (entries, i);

      if (entry->pin != NULL && !mark_entry (store, entry, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
wpi_handout_mark_handed_out (WpiStore   *store,
                             GPtrArray  *entries,
                             GError    **error)
{
  g_return_val_if_fail (WPI_IS_STORE (store), FALSE);
  g_return_val_if_fail (entries != NULL, FALSE);

  return wpi_store_run_in_transaction (store, mark_entries, entries, error);
}

/* ---- Slips ------------------------------------------------------------------------ */

/* A slip needs about this much room at full size; smaller slips are drawn scaled. */
#define SLIP_MIN_WIDTH   230.0
#define SLIP_MIN_HEIGHT  140.0
#define SLIP_FULL_WIDTH  250.0
#define SLIP_FULL_HEIGHT 135.0
#define SLIP_PADDING     12.0
#define PAGE_MARGIN      28.0   /* about 10 mm, where most printers can print */
#define CUT_MARK_GAP     3.0

void
wpi_handout_paper_get_size (WpiHandoutPaper  paper,
                            double          *width,
                            double          *height)
{
  switch (paper)
    {
    case WPI_HANDOUT_PAPER_LETTER:
      *width = 612;
      *height = 792;
      break;
    case WPI_HANDOUT_PAPER_A4:
    default:
      *width = 595;
      *height = 842;
      break;
    }
}

void
wpi_handout_layout (WpiHandoutLayout *layout,
                    double            width,
                    double            height)
{
  double inner_width;
  double inner_height;

  g_return_if_fail (layout != NULL);

  width = MAX (width, 1.0);
  height = MAX (height, 1.0);
  layout->page_width = width;
  layout->page_height = height;
  layout->margin = MIN (PAGE_MARGIN, MIN (width, height) * 0.05);
  inner_width = width - 2 * layout->margin;
  inner_height = height - 2 * layout->margin;
  layout->columns = MAX (1, (guint) (inner_width / SLIP_MIN_WIDTH));
  layout->rows = MAX (1, (guint) (inner_height / SLIP_MIN_HEIGHT));
  layout->slip_width = inner_width / layout->columns;
  layout->slip_height = inner_height / layout->rows;
}

guint
wpi_handout_layout_get_slips_per_page (const WpiHandoutLayout *layout)
{
  return layout->columns * layout->rows;
}

guint
wpi_handout_layout_get_n_pages (const WpiHandoutLayout *layout,
                                guint                   n_entries)
{
  guint per_page = wpi_handout_layout_get_slips_per_page (layout);

  return (n_entries + per_page - 1) / per_page;
}

void
wpi_handout_layout_get_slip_origin (const WpiHandoutLayout *layout,
                                    guint                   slot,
                                    double                 *x,
                                    double                 *y)
{
  /* Row by row, as one reads */
  *x = layout->margin + (slot % layout->columns) * layout->slip_width;
  *y = layout->margin + (slot / layout->columns % layout->rows) * layout->slip_height;
}

guint
wpi_handout_get_n_pages (guint  n_entries,
                         double width,
                         double height)
{
  WpiHandoutLayout layout;

  wpi_handout_layout (&layout, width, height);
  return wpi_handout_layout_get_n_pages (&layout, n_entries);
}

char *
wpi_handout_format_pin (const char *pin)
{
  GString *out;
  gsize length;

  g_return_val_if_fail (pin != NULL, NULL);

  length = strlen (pin);
  out = g_string_sized_new (length + length / 3 + 1);
  for (gsize i = 0; i < length; i++)
    {
      if (i > 0 && (length - i) % 3 == 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, pin[i]);
    }
  return g_string_free (out, FALSE);
}

/* Text layouts whose sizes are in cairo user units (points): the default resolution
 * of 96 dpi would scale every font by 4/3. */
static PangoLayout *
new_text (cairo_t    *cr,
          const char *family,
          double      size,
          gboolean    bold)
{
  PangoContext *context = pango_cairo_create_context (cr);
  PangoFontDescription *font = pango_font_description_new ();
  cairo_font_options_t *options = cairo_font_options_create ();
  PangoLayout *layout;

  /* Unhinted metrics: the same widths on screen, in the PDF and on paper */
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);
  pango_cairo_context_set_resolution (context, 72);

  layout = pango_layout_new (context);
  pango_font_description_set_family (font, family);
  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  g_object_unref (context);

  return layout;
}

/* Draws one line of text at x, y within width (ellipsized); returns its height. */
static double
draw_line (cairo_t     *cr,
           const char  *text,
           const char  *family,
           double       size,
           gboolean     bold,
           double       x,
           double       y,
           double       width,
           PangoAlignment alignment)
{
  g_autoptr(PangoLayout) layout = new_text (cr, family, size, bold);
  int text_height;

  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_alignment (layout, alignment);
  pango_layout_get_size (layout, NULL, &text_height);

  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);

  return (double) text_height / PANGO_SCALE;
}

void
wpi_handout_draw_slip (cairo_t               *cr,
                       const WpiHandoutEntry *entry,
                       double                 x,
                       double                 y,
                       double                 w,
                       double                 h)
{
  double scale;
  double inner;
  double line_y;
  double size;
  int pin_width;
  int pin_height;
  g_autofree char *title = NULL;
  g_autofree char *grouped = NULL;
  g_autoptr(PangoLayout) pin_layout = NULL;
  g_autoptr(PangoLayout) title_layout = NULL;
  int title_width;
  int title_height;
  const char *steps[3];

  g_return_if_fail (cr != NULL);
  g_return_if_fail (entry != NULL);

  cairo_save (cr);
  cairo_translate (cr, x, y);

  /* Content laid out for a full-size slip, shrunk into a smaller one */
  scale = MIN (1.0, MIN (w / SLIP_FULL_WIDTH, h / SLIP_FULL_HEIGHT));
  cairo_scale (cr, scale, scale);
  w /= scale;
  h /= scale;
  inner = w - 2 * SLIP_PADDING;
  line_y = SLIP_PADDING;

  cairo_set_source_rgb (cr, 0, 0, 0);

  /* The MAC in full on the left of the first line, the model in what is left of it */
  title = g_strdup_printf (_("MAC %s"), entry->mac);
  title_layout = new_text (cr, "Sans", 11, TRUE);
  pango_layout_set_text (title_layout, title, -1);
  pango_layout_get_size (title_layout, &title_width, &title_height);
  cairo_move_to (cr, SLIP_PADDING, line_y);
  pango_cairo_show_layout (cr, title_layout);
  if (entry->device_type != NULL && *entry->device_type != '\0' &&
      inner - (double) title_width / PANGO_SCALE > 24)
    draw_line (cr, entry->device_type, "Sans", 9, FALSE, SLIP_PADDING + (double) title_width / PANGO_SCALE + 8,
               line_y + 1.5, inner - (double) title_width / PANGO_SCALE - 8, PANGO_ALIGN_RIGHT);
  line_y += (double) title_height / PANGO_SCALE;

  if (entry->e164 != NULL && *entry->e164 != '\0')
    {
      g_autofree char *number = g_strdup_printf (_("Number %s"), entry->e164);

      line_y += draw_line (cr, number, "Sans", 9, FALSE, SLIP_PADDING, line_y, inner, PANGO_ALIGN_LEFT);
    }
  if (entry->location != NULL && *entry->location != '\0')
    {
      g_autofree char *location = g_strdup_printf (_("Location %s"), entry->location);

      line_y += draw_line (cr, location, "Sans", 9, FALSE, SLIP_PADDING, line_y, inner, PANGO_ALIGN_LEFT);
    }
  line_y += 4;

  if (entry->pin != NULL)
    {
      line_y += draw_line (cr, _("PIN"), "Sans", 8, FALSE, SLIP_PADDING, line_y, inner, PANGO_ALIGN_LEFT);

      /* As large as fits: a 20-digit PIN needs a smaller size than a 12-digit one */
      grouped = wpi_handout_format_pin (entry->pin);
      for (size = 24; ; size -= 1)
        {
          g_clear_object (&pin_layout);
          pin_layout = new_text (cr, "Monospace", size, TRUE);
          pango_layout_set_text (pin_layout, grouped, -1);
          pango_layout_get_size (pin_layout, &pin_width, &pin_height);
          if ((double) pin_width / PANGO_SCALE <= inner || size <= 8)
            break;
        }
      cairo_move_to (cr, SLIP_PADDING, line_y);
      pango_cairo_show_layout (cr, pin_layout);
      line_y += (double) pin_height / PANGO_SCALE + 4;
      explicit_bzero (grouped, strlen (grouped));

      steps[0] = _("1. Wait until the phone asks for the PIN.");
      steps[1] = _("2. Type the PIN shown above, then press OK.");
      steps[2] = _("3. The phone restarts in Secure Mode.");
    }
  else
    {
      line_y += draw_line (cr, _("No PIN needed"), "Sans", 16, TRUE, SLIP_PADDING, line_y, inner,
                           PANGO_ALIGN_LEFT) + 4;

      steps[0] = _("1. Leave the phone switched on and connected.");
      steps[1] = _("2. It receives its certificate from the console.");
      steps[2] = _("3. The phone restarts in Secure Mode.");
    }

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    line_y += draw_line (cr, steps[i], "Sans", 8, FALSE, SLIP_PADDING, line_y, inner, PANGO_ALIGN_LEFT);

  cairo_restore (cr);
}

static void
draw_cut_marks (cairo_t                *cr,
                const WpiHandoutLayout *layout)
{
  double left = layout->margin;
  double top = layout->margin;
  double right = left + layout->columns * layout->slip_width;
  double bottom = top + layout->rows * layout->slip_height;
  double mark = MAX (layout->margin - 2 * CUT_MARK_GAP, 0);
  const double dash[] = { 3, 3 };

  cairo_save (cr);
  cairo_set_line_width (cr, 0.5);

  /* Solid marks in the margins where every cut starts and ends */
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = 0; i <= layout->columns && mark > 0; i++)
    {
      double x = left + i * layout->slip_width;

      cairo_move_to (cr, x, top - CUT_MARK_GAP);
      cairo_line_to (cr, x, top - CUT_MARK_GAP - mark);
      cairo_move_to (cr, x, bottom + CUT_MARK_GAP);
      cairo_line_to (cr, x, bottom + CUT_MARK_GAP + mark);
    }
  for (guint i = 0; i <= layout->rows && mark > 0; i++)
    {
      double y = top + i * layout->slip_height;

      cairo_move_to (cr, left - CUT_MARK_GAP, y);
      cairo_line_to (cr, left - CUT_MARK_GAP - mark, y);
      cairo_move_to (cr, right + CUT_MARK_GAP, y);
      cairo_line_to (cr, right + CUT_MARK_GAP + mark, y);
    }
  cairo_stroke (cr);

  /* Light dashed lines along the cuts */
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
  for (guint i = 0; i <= layout->columns; i++)
    {
      cairo_move_to (cr, left + i * layout->slip_width, top);
      cairo_line_to (cr, left + i * layout->slip_width, bottom);
    }
  for (guint i = 0; i <= layout->rows; i++)
    {
      cairo_move_to (cr, left, top + i * layout->slip_height);
      cairo_line_to (cr, right, top + i * layout->slip_height);
    }
  cairo_stroke (cr);

  cairo_restore (cr);
}

void
wpi_handout_draw_page (cairo_t   *cr,
                       double     width,
                       double     height,
                       GPtrArray *entries,
                       guint      page)
{
  WpiHandoutLayout layout;
  guint per_page;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (entries != NULL);

  wpi_handout_layout (&layout, width, height);
  per_page = wpi_handout_layout_get_slips_per_page (&layout);
  if ((guint64) page * per_page >= entries->len)
    return;

  draw_cut_marks (cr, &layout);
  for (guint slot = 0; slot < per_page && page * per_page + slot < entries->len; slot++)
    {
      double x, y;

      wpi_handout_layout_get_slip_origin (&layout, slot, &x, &y);
      wpi_handout_draw_slip (cr, g_ptr_array_index (entries, page * per_page + slot),
                             x, y, layout.slip_width, layout.slip_height);
    }
}

static cairo_status_t
append_to_bytes (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static void
wipe_bytes (GByteArray *bytes)
{
  explicit_bzero (bytes->data, bytes->len);
  g_byte_array_unref (bytes);
}

gboolean
wpi_handout_write_pdf (GPtrArray        *entries,
                       const char       *path,
                       WpiHandoutPaper   paper,
                       GError          **error)
{
  GByteArray *pdf;
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  double width, height;
  guint n_pages;
  gboolean ok;

  g_return_val_if_fail (entries != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (entries->len == 0)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID,
                   "The handout holds no phones");
      return FALSE;
    }

  wpi_handout_paper_get_size (paper, &width, &height);
  n_pages = wpi_handout_get_n_pages (entries->len, width, height);

  /* Made in memory and written at once, so that the file is complete or absent */
  pdf = g_byte_array_new ();
  surface = cairo_pdf_surface_create_for_stream (append_to_bytes, pdf, width, height);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, _("PIN handout"));
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Workpoint Console");
  cr = cairo_create (surface);
  for (guint page = 0; page < n_pages; page++)
    {
      wpi_handout_draw_page (cr, width, height, entries, page);
      cairo_show_page (cr);
    }
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_DRAW,
                   "Could not make the PDF: %s", cairo_status_to_string (status));
      wipe_bytes (pdf);
      return FALSE;
    }

  ok = g_file_set_contents_full (path, (const char *) pdf->data, pdf->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error);
  wipe_bytes (pdf);
  return ok;
}
