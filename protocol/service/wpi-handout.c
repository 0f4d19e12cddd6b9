/* wpi-handout.c: the PIN handout: selecting phones, the bulk preparation, marking them
 * handed out (the slips are drawn in wpi-handout-slips.c) */
#include "config.h"

#include <string.h>

#include "wpi-handout.h"
#include "wpi-pin.h"

/* Phones queued in one transaction (see queue_batch()) */
#define HANDOUT_BATCH 64

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
  g_strfreev (run->macs);
  g_clear_pointer (&run->context, g_main_context_unref);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HandoutRun, handout_run_free)

static HandoutRun *
handout_run_new (const char                *data_dir,
                 const char * const        *macs,
                 const WpiBootstrapOptions *options,
                 WpiHandoutProgressFunc     progress,
                 gpointer                   progress_data)
{
  HandoutRun *run = g_new0 (HandoutRun, 1);

  run->data_dir = g_strdup (data_dir);
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

/* What one run builds up while it goes through its phones */
typedef struct {
  HandoutRun        *run;
  WpiStore          *store;
  WpiHandoutResult  *result;
  GArray            *targets;   /* Target, each phone once */
  GArray            *ready;     /* guint: index into targets of the phones to queue */
  guint              done;
} Handout;

/* Each phone once; a string that is no MAC is a failure of its own */
static void
collect_targets (Handout *handout)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char * const *macs = (const char * const *) handout->run->macs;

  for (guint i = 0; macs[i] != NULL; i++)
    {
      Target target = { g_strdup (macs[i]), wpi_mac_normalize (macs[i], NULL), NULL };
      const char *key = target.mac != NULL ? target.mac : target.given;

      if (g_hash_table_contains (seen, key))
        {
          target_clear (&target);
          continue;
        }
      g_array_append_val (handout->targets, target);
      g_hash_table_add (seen, (gpointer) key);
    }
  handout->result->n_requested = handout->targets->len;
}

static void
fail_target (Handout    *handout,
             const char *mac,
             const char *shown,
             GError     *error)
{
  g_ptr_array_add (handout->result->failures, failure_new (mac, error));
  report_progress (handout->run, ++handout->done, handout->targets->len, shown, NULL);
}

/* Only phones the store knows are queued */
static void
look_up_targets (Handout *handout)
{
  for (guint i = 0; i < handout->targets->len; i++)
    {
      Target *target = &g_array_index (handout->targets, Target, i);
      GError *local_error = NULL;

      if (target->mac == NULL)
        g_set_error (&local_error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID,
                     "“%s” is not a MAC address", target->given);
      else
        target->phone = wpi_store_phone_get (handout->store, target->mac, &local_error);

      if (local_error != NULL)
        fail_target (handout, target->mac != NULL ? target->mac : target->given, target->given,
                     local_error);
      else
        g_array_append_val (handout->ready, i);
    }
}

/* One phone's job and PIN, inside the batch's transaction; NULL with its failure */
static WpiHandoutEntry *
queue_target (Handout       *handout,
              const Target  *target,
              GError       **error)
{
  g_autofree char *pin = NULL;
  WpiHandoutEntry *entry;
  gint64 pin_id = 0;
  gint64 job_id;

  job_id = wpi_bootstrap_queue (handout->store, target->mac, &handout->run->options, &pin, &pin_id, error);
  if (job_id == 0)
    return NULL;
  entry = wpi_handout_entry_new (target->mac, target->phone->e164, target->phone->device_type,
                                 target->phone->location, pin, job_id, pin_id);
  if (pin != NULL)
    explicit_bzero (pin, strlen (pin));
  /* what the CSV and the slips tell besides the PIN (issue 11 §3) */
  if (entry->pin != NULL)
    entry->state = g_strdup (wpi_pin_state_to_string (WPI_PIN_STATE_GENERATED));
  entry->issued_us = g_get_real_time ();
  entry->max_retries = handout->run->options.max_retries;
  return entry;
}

/* Up to HANDOUT_BATCH phones from ready[first] on in one transaction: a commit (an fsync)
 * per phone would cost more than everything else. Their PINs are shown (progress) only
 * after the commit (D9); a failed commit fails them all. Returns how many it took. */
static guint
queue_batch (Handout      *handout,
             guint         first,
             GCancellable *cancellable)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_handout_entry_free);
  g_autoptr(GError) commit_error = NULL;
  gint64 start = g_get_monotonic_time ();
  guint last = MIN (first + HANDOUT_BATCH, handout->ready->len);
  guint n = 0;

  if (!wpi_store_transaction_begin (handout->store, &commit_error))
    last = first;
  for (guint i = first; i < last && !g_cancellable_is_cancelled (cancellable); i++, n++)
    {
      const Target *target = &g_array_index (handout->targets, Target, g_array_index (handout->ready, guint, i));
      GError *local_error = NULL;
      WpiHandoutEntry *entry = queue_target (handout, target, &local_error);

      if (entry == NULL)
        fail_target (handout, target->mac, target->mac, local_error);
      g_ptr_array_add (entries, entry);
    }
  if (commit_error == NULL)
    wpi_store_transaction_commit (handout->store, &commit_error);
  handout->result->timings.store_us += g_get_monotonic_time () - start;

  for (guint i = 0; i < entries->len; i++)
    {
      const Target *target = &g_array_index (handout->targets, Target, g_array_index (handout->ready, guint, first + i));
      WpiHandoutEntry *entry = g_ptr_array_index (entries, i);

      if (entry == NULL)
        continue;
      if (commit_error != NULL)
        fail_target (handout, target->mac, target->mac, g_error_copy (commit_error));
      else
        {
          report_progress (handout->run, ++handout->done, handout->targets->len, target->mac, entry);
          g_ptr_array_add (handout->result->entries, g_steal_pointer (&g_ptr_array_index (entries, i)));
        }
    }
  return n;
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
  g_autoptr(GArray) ready = g_array_new (FALSE, FALSE, sizeof (guint));
  Handout handout;

  store = wpi_store_open (run->data_dir, error);
  if (store == NULL)
    return NULL;

  result = result_new ();
  g_array_set_clear_func (targets, target_clear);
  handout = (Handout) { run, store, result, targets, ready, 0 };

  collect_targets (&handout);
  look_up_targets (&handout);
  /* Cancelling stops between phones; every phone queued is committed with its PIN */
  for (guint next = 0; next < ready->len && !g_cancellable_is_cancelled (cancellable);)
    next += queue_batch (&handout, next, cancellable);

  result->cancelled = handout.done < targets->len;
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
  g_return_if_fail (pki == NULL || WPI_IS_PKI (pki));
  g_return_if_fail (options != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run = handout_run_new (data_dir, macs, options, progress, progress_data);
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
  g_return_val_if_fail (pki == NULL || WPI_IS_PKI (pki), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  run = handout_run_new (data_dir, macs, options, progress, progress_data);
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
