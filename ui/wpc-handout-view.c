/* wpc-handout-view.c: the PIN handout (issue 5 §3)
 *
 * The Secure Mode workflow as one view: choose phones, Generate runs the bulk
 * preparation of wpi-handout.h off the main thread, and the table lists each phone's
 * newest PIN with its state, read in a thread on a store connection of its own (issue 8
 * §2). Print, Export PDF and Export CSV (wpc-handout-view-export.c) write the PINs still
 * to be handed out and then record that they were; this is the only view that shows PINs.
 */
#include "config.h"

#include <glib/gi18n.h>

#include <adwaita.h>

#include "wpc-accessible.h"
#include "wpc-cell-label.h"
#include "wpc-confirm-dialog.h"
#include "wpc-handout-view-private.h"

/* --- One table row: a PIN record and its phone's number and model ------------------ */

G_DEFINE_FINAL_TYPE (WpcHandoutRow, wpc_handout_row, G_TYPE_OBJECT)

static void
wpc_handout_row_finalize (GObject *object)
{
  WpcHandoutRow *self = WPC_HANDOUT_ROW (object);

  g_clear_pointer (&self->pin, wpi_pin_record_free);
  g_free (self->e164);
  g_free (self->device_type);
  g_free (self->location);
  G_OBJECT_CLASS (wpc_handout_row_parent_class)->finalize (object);
}

static void
wpc_handout_row_class_init (WpcHandoutRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = wpc_handout_row_finalize;
}

static void
wpc_handout_row_init (WpcHandoutRow *self)
{
}

/* PINs that a technician may still hand out: the phone has not used them yet. */
static gboolean
pin_state_is_pending (WpiPinState state)
{
  return state == WPI_PIN_STATE_GENERATED || state == WPI_PIN_STATE_HANDED_OUT ||
         state == WPI_PIN_STATE_BUNDLE_DELIVERED;
}

/* The state in words (never colour alone); a PIN still to be used whose phone is in a
 * call says so, as the bootstrap waits for the call to end. */
static char *
pin_state_describe (const WpcHandoutRow *row)
{
  const WpiPinRecord *pin = row->pin;

  if (row->waiting_busy && pin_state_is_pending (pin->state))
    return g_strdup (_("Waiting: phone busy"));

  switch (pin->state)
    {
    case WPI_PIN_STATE_GENERATED:
      return g_strdup (_("Generated"));
    case WPI_PIN_STATE_HANDED_OUT:
      return g_strdup (_("Handed out"));
    case WPI_PIN_STATE_BUNDLE_DELIVERED:
      return g_strdup (_("Bundle delivered"));
    case WPI_PIN_STATE_VERIFIED:
      return g_strdup (_("TAN verified"));
    case WPI_PIN_STATE_FAILED:
      /* Translators: a PIN's state, %s is why it failed */
      return g_strdup_printf (_("Failed: %s"), pin->reason != NULL ? pin->reason : "");
    case WPI_PIN_STATE_REISSUED:
      return g_strdup (_("Re-issued"));
    default:
      return g_strdup (wpi_pin_state_to_string (pin->state));
    }
}

/* --- The view ----------------------------------------------------------------------- */

typedef enum {
  COLUMN_MAC,
  COLUMN_NUMBER,
  COLUMN_MODEL,
  COLUMN_LOCATION,
  COLUMN_STATE,
  COLUMN_PIN,
  COLUMN_UPDATED,
  N_COLUMNS
} Column;

static const struct {
  const char *title;
  gboolean    expand;
} column_info[N_COLUMNS] = {
  [COLUMN_MAC] = { N_("MAC"), FALSE },
  [COLUMN_NUMBER] = { N_("Number"), FALSE },
  [COLUMN_MODEL] = { N_("Model"), FALSE },
  /* State and Location take the width a large screen has (issue 12 §4) */
  [COLUMN_LOCATION] = { N_("Location"), TRUE },
  [COLUMN_STATE] = { N_("State"), TRUE },
  [COLUMN_PIN] = { N_("PIN"), FALSE },
  [COLUMN_UPDATED] = { N_("Updated"), FALSE },
};

G_DEFINE_FINAL_TYPE (WpcHandoutView, wpc_handout_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_BUSY,
  PROP_LOADING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static WpiStore *
get_store (WpcHandoutView *self)
{
  return self->service != NULL ? wpi_service_host_get_store (self->service) : NULL;
}

void
_wpc_handout_view_show_error (WpcHandoutView *self,
            const char     *message)
{
  gtk_label_set_text (self->failures_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->failures_label), message != NULL && *message != '\0');
}

/* --- Reading the table (issue 8 §2: never on the GTK thread) ------------------------- */

/* In a worker thread: a read connection of its own (SQLite WAL lets it read while the
 * service writes), so the owner's store is never used from two threads. The rows are
 * made here too; the main context only swaps them in. */
static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  const char *data_dir = task_data;
  GError *error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (data_dir, &error);
  g_autoptr(GPtrArray) pins = NULL;
  g_autoptr(GPtrArray) phones = NULL;
  g_autoptr(GPtrArray) busy_jobs = NULL;
  g_autoptr(GHashTable) phone_by_mac = NULL;
  g_autoptr(GHashTable) busy_job_ids = g_hash_table_new (g_int64_hash, g_int64_equal);
  WpiJobFilter busy_filter = { NULL, WPI_JOB_STATE_MASK (WPI_JOB_STATE_WAITING_BUSY), 0 };
  GPtrArray *rows;

  (void) source_object;

  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  wpi_store_set_busy_timeout (store, 2000);
  pins = wpi_store_pin_list (store, TRUE, &error);
  if (pins != NULL && !g_cancellable_is_cancelled (cancellable))
    phones = wpi_store_phone_list (store, &error);
  if (phones != NULL && !g_cancellable_is_cancelled (cancellable))
    busy_jobs = wpi_store_job_list (store, &busy_filter, &error);
  if (pins == NULL || phones == NULL || busy_jobs == NULL)
    {
      if (error != NULL)
        g_task_return_error (task, error);
      else
        g_task_return_error_if_cancelled (task);
      return;
    }

  phone_by_mac = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < phones->len; i++)
    {
      WpiPhoneRecord *phone = g_ptr_array_index (phones, i);
      g_hash_table_insert (phone_by_mac, phone->mac, phone);
    }
  for (guint i = 0; i < busy_jobs->len; i++)
    g_hash_table_add (busy_job_ids, &((WpiJobRecord *) g_ptr_array_index (busy_jobs, i))->id);

  rows = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < pins->len; i++)
    {
      WpiPinRecord *pin = g_ptr_array_index (pins, i);
      WpiPhoneRecord *phone = g_hash_table_lookup (phone_by_mac, pin->mac);
      WpcHandoutRow *row = g_object_new (WPC_TYPE_HANDOUT_ROW, NULL);

      row->pin = wpi_pin_record_copy (pin);
      row->waiting_busy = pin->job_id != 0 && g_hash_table_contains (busy_job_ids, &pin->job_id);
      if (phone != NULL)
        {
          row->e164 = g_strdup (phone->e164);
          row->device_type = g_strdup (phone->device_type);
          row->location = g_strdup (phone->location);
        }
      g_ptr_array_add (rows, row);
    }
  g_task_return_pointer (task, rows, (GDestroyNotify) g_ptr_array_unref);
}

/* Swaps the rows in, keeping the selection by MAC. */
static void
apply_rows (WpcHandoutView *self,
            GPtrArray      *new_rows)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  g_autoptr(GHashTable) selected_macs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_old = g_list_model_get_n_items (G_LIST_MODEL (self->rows));

  for (guint i = 0; i < n_old; i++)
    if (gtk_bitset_contains (selected, i))
      {
        g_autoptr(WpcHandoutRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
        g_hash_table_add (selected_macs, g_strdup (row->pin->mac));
      }

  g_list_store_splice (self->rows, 0, n_old, new_rows->pdata, new_rows->len);

  for (guint i = 0; i < new_rows->len; i++)
    {
      WpcHandoutRow *row = g_ptr_array_index (new_rows, i);
      if (g_hash_table_contains (selected_macs, row->pin->mac))
        gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), i, FALSE);
    }

  _wpc_handout_view_update_actions (self);
}

/* Notifies "loading" when it changed. */
static void
update_loading (WpcHandoutView *self)
{
  gboolean loading = wpc_handout_view_get_loading (self);

  if (loading == self->loading_notified)
    return;
  self->loading_notified = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* A load whose result must not be shown (another service, the view gone). */
static void
cancel_load (WpcHandoutView *self)
{
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->reload_pending = FALSE;
}

static void start_load (WpcHandoutView *self);

/* On the main context: only the current load's result is shown; a refresh asked for
 * while it ran reads again now, once. */
static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (source);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  (void) user_data;

  if (g_task_get_cancellable (G_TASK (result)) != self->load_cancellable)
    return; /* stale: cancel_load() ran since */
  g_clear_object (&self->load_cancellable);

  rows = g_task_propagate_pointer (G_TASK (result), &error);
  if (rows != NULL)
    apply_rows (self, rows);
  else
    _wpc_handout_view_show_error (self, error->message);

  if (self->reload_pending)
    {
      self->reload_pending = FALSE;
      start_load (self);
    }
  update_loading (self);
}

static void
start_load (WpcHandoutView *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->service == NULL)
    {
      g_list_store_remove_all (self->rows);
      _wpc_handout_view_update_actions (self);
      return;
    }

  self->load_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->load_cancellable, on_loaded, NULL);
  g_task_set_source_tag (task, start_load);
  g_task_set_task_data (task, g_strdup (wpi_service_host_get_data_dir (self->service)), g_free);
  g_task_run_in_thread (task, load_thread);
}

/**
 * wpc_handout_view_refresh:
 *
 * Re-reads the table from the store in a thread; at most one read runs, and a refresh
 * asked for meanwhile reads once more after it. #WpcHandoutView:loading is TRUE until
 * the table shows the store.
 */
void
wpc_handout_view_refresh (WpcHandoutView *self)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));

  if (self->disposed)
    return;
  if (self->load_cancellable != NULL)
    self->reload_pending = TRUE;
  else
    start_load (self);
  update_loading (self);
}

static gboolean
refresh_idle (gpointer data)
{
  WpcHandoutView *self = data;

  self->refresh_idle_id = 0;
  wpc_handout_view_refresh (self);
  return G_SOURCE_REMOVE;
}

/* Jobs change in bursts (a flow touches several); one refresh per burst. */
static void
on_job_changed (WpcHandoutView *self)
{
  if (self->refresh_idle_id == 0)
    self->refresh_idle_id = g_idle_add (refresh_idle, self);
  update_loading (self);
}

/* The rows actions apply to: the selected ones, or every row without a selection. */
GPtrArray *
_wpc_handout_view_get_target_rows (WpcHandoutView *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  GPtrArray *rows = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  gboolean all = gtk_bitset_is_empty (selected);

  for (guint i = 0; i < n; i++)
    if (all || gtk_bitset_contains (selected, i))
      g_ptr_array_add (rows, g_list_model_get_item (G_LIST_MODEL (self->rows), i));
  return rows;
}

/* Handout entries for the target rows whose PIN is still to be used by the phone. */
GPtrArray *
_wpc_handout_view_get_pending_entries (WpcHandoutView *self)
{
  g_autoptr(GPtrArray) rows = _wpc_handout_view_get_target_rows (self);
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_handout_entry_free);

  for (guint i = 0; i < rows->len; i++)
    {
      WpcHandoutRow *row = g_ptr_array_index (rows, i);
      WpiHandoutEntry *entry;

      if (!pin_state_is_pending (row->pin->state))
        continue;
      entry = wpi_handout_entry_new (row->pin->mac, row->e164, row->device_type, row->location,
                                     row->pin->pin, row->pin->job_id, row->pin->id);
      entry->state = g_strdup (wpi_pin_state_to_string (row->pin->state));
      entry->issued_us = row->pin->created_us;
      entry->max_retries = row->pin->max_retries;
      g_ptr_array_add (entries, entry);
    }
  return entries;
}

/* What the handing-out actions act on: the target rows (the selection, or every row
 * without one) and how many of them hold a PIN still to hand out, or only generated. */
typedef struct {
  guint    n_rows;
  guint    n_pending;
  guint    n_generated;
  gboolean selection;
} HandoutTargets;

static void
count_targets (WpcHandoutView *self,
               HandoutTargets *targets)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  g_autoptr(GPtrArray) rows = _wpc_handout_view_get_target_rows (self);

  *targets = (HandoutTargets) { 0 };
  targets->n_rows = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  targets->selection = !gtk_bitset_is_empty (selected);
  for (guint i = 0; i < rows->len; i++)
    {
      WpcHandoutRow *row = g_ptr_array_index (rows, i);

      targets->n_pending += pin_state_is_pending (row->pin->state);
      targets->n_generated += row->pin->state == WPI_PIN_STATE_GENERATED;
    }
}

/* Why Print and Export cannot run, in words (issue 11 §3: never greyed out without a
 * reason); NULL when they can. */
static const char *
handing_out_blocked_reason (WpcHandoutView       *self,
                            const HandoutTargets *targets)
{
  if (self->service == NULL)
    return _("The console has no service.");
  if (self->cancellable != NULL)
    return _("Wait until the PINs are generated.");
  if (self->chooser != NULL || self->print_operation != NULL || self->n_exports > 0)
    return _("Another print or export is under way.");
  if (targets->n_rows == 0)
    return _("No PINs yet: choose the phones above and press Generate.");
  if (targets->n_pending == 0 && targets->selection)
    return _("The selected phones have no PIN left to hand out: a verified, failed or re-issued PIN "
             "cannot be used again. Re-issue gives a phone a new one.");
  if (targets->n_pending == 0)
    return _("Every PIN was used by its phone (verified, failed or re-issued): none is left to hand out.");
  return NULL;
}

/* One of Print, Export PDF and Export CSV: its label and tooltip (both taken), or its
 * plain label and the reason when it cannot run */
static void
set_button (GtkButton  *button,
            const char *plain_label,
            const char *reason,
            char       *label,
            char       *tooltip)
{
  gtk_button_set_label (button, reason != NULL ? plain_label : label);
  /* set_label() names the button by its raw label again (wpc-accessible.c) */
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (button));
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), reason != NULL ? reason : tooltip);
  g_free (label);
  g_free (tooltip);
}

/* "Print 4 Slips…" for a selection, "Print All…" without one, the number of PINs still
 * to hand out in the tooltip; the reason as the tooltip when they cannot run. */
static void
update_handing_out_buttons (WpcHandoutView       *self,
                            const HandoutTargets *targets,
                            const char           *reason)
{
  guint n = targets->n_pending;
  gboolean some = targets->selection;

  set_button (self->print_button, _("_Print…"), reason,
              some ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "_Print %u Slip…", "_Print %u Slips…", n), n)
                   : g_strdup (_("_Print All…")),
              g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Print the slip of the %u PIN still to hand out (Ctrl+P)",
                                            "Print the slips of the %u PINs still to hand out (Ctrl+P)", n), n));
  set_button (self->export_pdf_button, _("Export P_DF…"), reason,
              some ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Export %u as P_DF…", "Export %u as P_DF…", n), n)
                   : g_strdup (_("Export All as P_DF…")),
              g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Save the slip of the %u PIN still to hand out as a PDF (Ctrl+Shift+E)",
                                            "Save the slips of the %u PINs still to hand out as a PDF (Ctrl+Shift+E)",
                                            n), n));
  set_button (self->export_csv_button, _("Export C_SV…"), reason,
              some ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Export %u as C_SV…", "Export %u as C_SV…", n), n)
                   : g_strdup (_("Export All as C_SV…")),
              g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "Save the %u PIN still to hand out as a CSV file (Ctrl+E)",
                                            "Save the %u PINs still to hand out as a CSV file (Ctrl+E)", n), n));
}

/* Why the scope chosen holds no phone, in the words of its drop-down */
static const char *
describe_empty_scope (WpcHandoutScope scope)
{
  switch (scope)
    {
    case WPC_HANDOUT_SCOPE_DEFAULT_MODE:
      return _("No phone is in Default Mode: phones in Secure Mode have their certificate already.");
    case WPC_HANDOUT_SCOPE_MATCHING:
      return _("No phone matches the filter. Check the MAC, number, model or location typed above.");
    case WPC_HANDOUT_SCOPE_SELECTED:
      return _("No phone is selected in the phone list. Select phones there, or choose all phones.");
    case WPC_HANDOUT_SCOPE_ALL:
    default:
      return _("The console knows no phone yet. Point phones at it, or import a phone list, from the Phones view.");
    }
}

/* An empty table says why (issue 12 §1, AdwStatusPage): no PIN generated yet, or
 * Generate found no phone in the chosen scope (with a way out: all phones). */
static void
update_empty_page (WpcHandoutView *self,
                   gboolean        empty)
{
  WpcHandoutScope scope = gtk_drop_down_get_selected (self->scope_dropdown);
  gboolean no_scope = empty && self->nothing_in_scope;

  gtk_widget_set_visible (GTK_WIDGET (self->empty_page), empty);
  if (no_scope)
    {
      adw_status_page_set_icon_name (self->empty_page, "edit-find-symbolic");
      adw_status_page_set_title (self->empty_page, _("No Phones in Scope"));
      adw_status_page_set_description (self->empty_page, describe_empty_scope (scope));
    }
  else
    {
      adw_status_page_set_icon_name (self->empty_page, "dialog-password-symbolic");
      adw_status_page_set_title (self->empty_page, _("No PINs Yet"));
      adw_status_page_set_description (self->empty_page,
                                       _("Choose the phones above, with or without a PIN, and press Generate: "
                                         "each phone’s PIN shows here with its state until the phone has "
                                         "verified its TAN."));
    }
  gtk_widget_set_visible (self->empty_button, no_scope && scope != WPC_HANDOUT_SCOPE_ALL);
}

/* "3 PINs", and why nothing can be handed out when the PINs were all used */
static void
update_count (WpcHandoutView       *self,
              const HandoutTargets *targets)
{
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u PIN", "%u PINs", targets->n_rows),
                                           targets->n_rows);

  if (targets->n_rows > 0 && targets->n_pending == 0)
    {
      g_autofree char *count = g_steal_pointer (&text);

      /* Translators: "3 PINs · none left to hand out" below the PIN table */
      text = g_strdup_printf (targets->selection ? _("%s · none of the selected left to hand out")
                                                : _("%s · none left to hand out"),
                              count);
    }
  gtk_label_set_text (self->count_label, text);
  update_empty_page (self, targets->n_rows == 0);
}

void
_wpc_handout_view_update_actions (WpcHandoutView *self)
{
  gboolean ready = self->service != NULL && self->cancellable == NULL;
  HandoutTargets targets;
  const char *reason;

  count_targets (self, &targets);
  reason = handing_out_blocked_reason (self, &targets);
  update_count (self, &targets);
  update_handing_out_buttons (self, &targets, reason);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "handout.generate", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "handout.cancel", self->cancellable != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "handout.print", reason == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "handout.export-pdf", reason == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "handout.export-csv", reason == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "handout.mark-handed-out", ready && targets.n_generated > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "handout.reissue",
                                 ready && targets.selection && self->reissue_dialog == NULL);
}

/* --- Generate and Re-issue ---------------------------------------------------------- */

static void
on_prepare_progress (guint                  done,
                     guint                  total,
                     const char            *mac,
                     const WpiHandoutEntry *entry,
                     gpointer               user_data)
{
  WpcHandoutView *self = user_data;
  g_autofree char *text = NULL;

  (void) mac;
  (void) entry;

  if (self->progress_bar == NULL)
    return;
  /* Translators: progress of a PIN generation, "3 of 20 phones" */
  text = g_strdup_printf (_("%u of %u phones"), done, total);
  gtk_progress_bar_set_fraction (self->progress_bar, total > 0 ? (double) done / total : 1.0);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
on_prepare_finished (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(WpcHandoutView) self = user_data;
  g_autoptr(WpiHandoutResult) handout = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) failures = g_string_new (NULL);

  (void) source;

  handout = wpi_handout_prepare_finish (result, &error);
  g_clear_object (&self->cancellable);
  if (self->progress_box == NULL)
    return; /* disposed meanwhile */
  gtk_widget_set_visible (self->progress_box, FALSE);

  if (handout == NULL)
    g_string_append (failures, error->message);
  else
    {
      for (guint i = 0; i < handout->failures->len; i++)
        {
          WpiHandoutFailure *failure = g_ptr_array_index (handout->failures, i);
          if (failures->len > 0)
            g_string_append_c (failures, '\n');
          g_string_append_printf (failures, "%s: %s", failure->mac, failure->error->message);
        }
      if (handout->cancelled)
        {
          if (failures->len > 0)
            g_string_append_c (failures, '\n');
          /* Translators: after Cancel, %u phones got a PIN before it stopped */
          g_string_append_printf (failures, g_dngettext (GETTEXT_PACKAGE,
                                                         "Cancelled after %u phone.",
                                                         "Cancelled after %u phones.",
                                                         handout->entries->len),
                                  handout->entries->len);
        }
    }

  g_free (self->failures_text);
  self->failures_text = failures->len > 0 ? g_strdup (failures->str) : NULL;
  _wpc_handout_view_show_error (self, self->failures_text);

  if (self->service != NULL)
    wpi_service_host_reload (self->service);
  wpc_handout_view_refresh (self);
  g_object_notify (G_OBJECT (self), "busy");
}

static void
start_prepare (WpcHandoutView     *self,
               const char * const *macs)
{
  WpiBootstrapOptions options;
  guint secure_port;

  wpi_bootstrap_options_init (&options);
  options.with_pin = gtk_check_button_get_active (self->with_pin_check);
  options.pin_length = wpc_handout_view_get_pin_length (self);
  secure_port = wpi_service_host_get_secure_port (self->service);
  if (secure_port != 0)
    options.secure_port = secure_port;

  self->cancellable = g_cancellable_new ();
  g_free (self->failures_text);
  self->failures_text = NULL;
  _wpc_handout_view_show_error (self, NULL);
  gtk_progress_bar_set_fraction (self->progress_bar, 0.0);
  gtk_progress_bar_set_text (self->progress_bar, NULL);
  gtk_widget_set_visible (self->progress_box, TRUE);

  wpi_handout_prepare_async (wpi_service_host_get_data_dir (self->service), wpi_service_host_get_pki (self->service),
                             macs, &options, self->cancellable, on_prepare_progress, self,
                             on_prepare_finished, g_object_ref (self));
  _wpc_handout_view_update_actions (self);
  g_object_notify (G_OBJECT (self), "busy");
}

static GStrv
select_phones (WpcHandoutView  *self,
               GError         **error)
{
  WpiStore *store = get_store (self);

  switch ((WpcHandoutScope) gtk_drop_down_get_selected (self->scope_dropdown))
    {
    case WPC_HANDOUT_SCOPE_DEFAULT_MODE:
      return wpi_handout_select_default_mode (store, error);
    case WPC_HANDOUT_SCOPE_MATCHING:
      return wpi_handout_select_matching (store, gtk_editable_get_text (GTK_EDITABLE (self->filter_entry)), error);
    case WPC_HANDOUT_SCOPE_SELECTED:
      {
        const char * const empty[] = { NULL };
        return wpi_handout_select_macs (store, self->selected_macs != NULL
                                               ? (const char * const *) self->selected_macs : empty,
                                        error);
      }
    case WPC_HANDOUT_SCOPE_ALL:
    default:
      return wpi_handout_select_all (store, error);
    }
}

static void
generate_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) macs = NULL;

  (void) action_name;
  (void) parameter;

  if (self->service == NULL || self->cancellable != NULL)
    return;
  macs = select_phones (self, &error);
  if (macs == NULL)
    {
      _wpc_handout_view_show_error (self, error->message);
      return;
    }
  if (macs[0] == NULL)
    {
      self->nothing_in_scope = TRUE;
      /* An empty table says it on its status page; a full one in the error line */
      if (g_list_model_get_n_items (G_LIST_MODEL (self->rows)) > 0)
        _wpc_handout_view_show_error (self, _("No phone matches the choice."));
      _wpc_handout_view_update_actions (self);
      return;
    }
  self->nothing_in_scope = FALSE;
  start_prepare (self, (const char * const *) macs);
}

static void
on_reissue_response (AdwMessageDialog *dialog,
                     const char       *response,
                     WpcHandoutView   *self)
{
  const char * const *macs = g_object_get_data (G_OBJECT (dialog), "wpc-macs");

  /* AdwMessageDialog closes itself after "response" */
  g_clear_weak_pointer (&self->reissue_dialog);
  if (g_str_equal (response, "reissue") && self->service != NULL && self->cancellable == NULL)
    start_prepare (self, macs);
  else
    _wpc_handout_view_update_actions (self);
}

/* "00:1A:E8:00:00:01 (+4989700001): Handed out", a line per selected row */
static char *
describe_rows (GPtrArray *rows)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < rows->len; i++)
    {
      WpcHandoutRow *row = g_ptr_array_index (rows, i);
      g_autofree char *state = pin_state_describe (row);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (row->e164 != NULL)
        g_string_append_printf (text, "%s (%s): %s", row->pin->mac, row->e164, state);
      else
        g_string_append_printf (text, "%s: %s", row->pin->mac, state);
    }
  return g_string_free (text, FALSE);
}

/* A new PIN makes the old one useless, slip and all, and fails a phone where it is
 * being typed: the technician confirms first (issue 11 §3). */
static void
reissue_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *list = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *secondary = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  (void) action_name;
  (void) parameter;

  if (self->service == NULL || self->cancellable != NULL || self->reissue_dialog != NULL)
    return;
  rows = _wpc_handout_view_get_target_rows (self);
  if (gtk_bitset_is_empty (gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection))) ||
      rows->len == 0)
    return;
  for (guint i = 0; i < rows->len; i++)
    g_strv_builder_add (builder, ((WpcHandoutRow *) g_ptr_array_index (rows, i))->pin->mac);
  list = describe_rows (rows);

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Re-issue the PIN of %u Phone?",
                                          "Re-issue the PINs of %u Phones?", rows->len),
                             rows->len);
  /* Translators: %s lists the phones, one "MAC (number): state" per line */
  secondary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "The phone gets a new PIN, to be handed out on a new slip. "
                                            "The old PIN stops working at once: a slip already printed or "
                                            "handed out becomes useless, and if someone is typing the old "
                                            "PIN on the phone now, it ends with “wrong TAN from device” (the "
                                            "TAN is the last three digits of the PIN, which let the console "
                                            "check that the right person typed it).\n\n%s",
                                            "Each phone gets a new PIN, to be handed out on a new slip. "
                                            "The old PIN stops working at once: a slip already printed or "
                                            "handed out becomes useless, and a phone where someone is typing "
                                            "the old PIN now ends with “wrong TAN from device” (the TAN is "
                                            "the last three digits of the PIN, which let the console check "
                                            "that the right person typed it).\n\n%s",
                                            rows->len),
                               list);
  /* Return and Escape keep the old PIN: it takes a click to throw it away */
  dialog = wpc_confirm_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, "reissue-dialog", heading,
                                   secondary, "reissue", _("_Re-issue"), ADW_RESPONSE_DESTRUCTIVE);
  g_object_set_data_full (G_OBJECT (dialog), "wpc-macs", g_strv_builder_end (builder), (GDestroyNotify) g_strfreev);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_reissue_response), self, 0);
  /* weak: the dialog goes with its parent window too */
  g_set_weak_pointer (&self->reissue_dialog, GTK_WINDOW (dialog));
  _wpc_handout_view_update_actions (self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);

  (void) action_name;
  (void) parameter;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
focus_filter_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);

  (void) action_name;
  (void) parameter;

  gtk_drop_down_set_selected (self->scope_dropdown, WPC_HANDOUT_SCOPE_MATCHING);
  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

/* --- Template callbacks and the table ------------------------------------------------ */

static void
scope_all_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);

  (void) action_name;
  (void) parameter;

  gtk_drop_down_set_selected (self->scope_dropdown, WPC_HANDOUT_SCOPE_ALL);
}

static void
on_scope_changed (WpcHandoutView *self)
{
  if (self->nothing_in_scope)
    {
      self->nothing_in_scope = FALSE;
      _wpc_handout_view_show_error (self, NULL);
      _wpc_handout_view_update_actions (self);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->filter_entry),
                            gtk_drop_down_get_selected (self->scope_dropdown) == WPC_HANDOUT_SCOPE_MATCHING);
}

static void
on_with_pin_changed (WpcHandoutView *self)
{
  gboolean with_pin = gtk_check_button_get_active (self->with_pin_check);

  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_length_spin), with_pin);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_length_label), with_pin);
}

static void
on_selection_changed (WpcHandoutView *self)
{
  _wpc_handout_view_update_actions (self);
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  Column column = GPOINTER_TO_INT (user_data);
  GtkWidget *label = wpc_cell_label_new ();

  (void) factory;
  if (column == COLUMN_MAC || column == COLUMN_PIN)
    gtk_widget_add_css_class (label, "monospace");
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  Column column = GPOINTER_TO_INT (user_data);
  WpcHandoutRow *row = gtk_list_item_get_item (item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  g_autofree char *text = NULL;
  const char *empty_name = NULL;

  (void) factory;

  switch (column)
    {
    case COLUMN_MAC:
      text = g_strdup (row->pin->mac);
      break;
    case COLUMN_NUMBER:
      text = g_strdup (row->e164 != NULL ? row->e164 : "");
      empty_name = _("No number");
      break;
    case COLUMN_MODEL:
      text = g_strdup (row->device_type != NULL ? row->device_type : "");
      empty_name = _("Model unknown");
      break;
    case COLUMN_LOCATION:
      text = g_strdup (row->location != NULL ? row->location : "");
      empty_name = _("No location");
      break;
    case COLUMN_STATE:
      text = pin_state_describe (row);
      break;
    case COLUMN_PIN:
      text = row->pin->pin != NULL ? wpi_handout_format_pin (row->pin->pin) : g_strdup ("");
      empty_name = _("No PIN");
      break;
    case COLUMN_UPDATED:
      {
        g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (row->pin->updated_us / G_USEC_PER_SEC);
        text = time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S") : g_strdup ("");
      }
      break;
    case N_COLUMNS:
    default:
      g_assert_not_reached ();
    }
  /* An empty cell is read out by what it lacks, not as "GtkLabel" (issue 12 §5) */
  wpc_cell_label_set (label, text, NULL, empty_name != NULL ? empty_name : _("Empty"));
}

static void
setup_columns (WpcHandoutView *self)
{
  for (Column column = 0; column < N_COLUMNS; column++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) view_column = NULL;

      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (column));
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GINT_TO_POINTER (column));
      view_column = gtk_column_view_column_new (_(column_info[column].title), factory);
      gtk_column_view_column_set_expand (view_column, column_info[column].expand);
      gtk_column_view_column_set_resizable (view_column, TRUE);
      gtk_column_view_append_column (self->pin_list, view_column);
    }
}

/* --- Public API --------------------------------------------------------------------- */

GtkWidget *
wpc_handout_view_new (void)
{
  return g_object_new (WPC_TYPE_HANDOUT_VIEW, NULL);
}

void
wpc_handout_view_set_service (WpcHandoutView *self,
                              WpiServiceHost     *service)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));
  g_return_if_fail (service == NULL || WPI_IS_SERVICE_HOST (service));

  if (self->service == service)
    return;
  if (self->service != NULL)
    {
      g_clear_signal_handler (&self->job_changed_id, self->service);
      g_clear_signal_handler (&self->pin_changed_id, self->service);
    }
  g_set_object (&self->service, service);
  if (service != NULL)
    {
      self->job_changed_id = g_signal_connect_swapped (service, "job-changed", G_CALLBACK (on_job_changed), self);
      /* a PIN's state moves without its job's (bundle delivered, verified, failed) */
      self->pin_changed_id = g_signal_connect_swapped (service, "pin-changed", G_CALLBACK (on_job_changed), self);
    }
  /* Another service's PINs are neither shown nor acted on, not even until the read ends */
  cancel_load (self);
  g_list_store_remove_all (self->rows);
  _wpc_handout_view_update_actions (self);
  wpc_handout_view_refresh (self);
}

void
wpc_handout_view_set_settings (WpcHandoutView *self,
                               GSettings      *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;

  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (settings == NULL)
    return;
  g_object_get (settings, "settings-schema", &schema, NULL);
  if (schema != NULL && g_settings_schema_has_key (schema, "pin-length"))
    wpc_handout_view_set_pin_length (self, g_settings_get_uint (settings, "pin-length"));
}

void
wpc_handout_view_set_selected_macs (WpcHandoutView     *self,
                                    const char * const *macs)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));

  g_strfreev (self->selected_macs);
  self->selected_macs = g_strdupv ((char **) macs);
}

void
wpc_handout_view_set_scope (WpcHandoutView  *self,
                            WpcHandoutScope  scope)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));
  g_return_if_fail (scope <= WPC_HANDOUT_SCOPE_SELECTED);

  gtk_drop_down_set_selected (self->scope_dropdown, scope);
}

void
wpc_handout_view_set_filter_text (WpcHandoutView *self,
                                  const char     *text)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), text != NULL ? text : "");
}

void
wpc_handout_view_set_with_pin (WpcHandoutView *self,
                               gboolean        with_pin)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));

  gtk_check_button_set_active (self->with_pin_check, with_pin);
}

void
wpc_handout_view_set_pin_length (WpcHandoutView *self,
                                 guint           pin_length)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));

  gtk_spin_button_set_value (self->pin_length_spin, CLAMP (pin_length, 8, 20));
}

guint
wpc_handout_view_get_pin_length (WpcHandoutView *self)
{
  g_return_val_if_fail (WPC_IS_HANDOUT_VIEW (self), 0);

  return (guint) gtk_spin_button_get_value_as_int (self->pin_length_spin);
}

gboolean
wpc_handout_view_get_busy (WpcHandoutView *self)
{
  g_return_val_if_fail (WPC_IS_HANDOUT_VIEW (self), FALSE);

  return self->cancellable != NULL;
}

/**
 * wpc_handout_view_get_loading:
 *
 * Returns: whether a read of the table is scheduled or under way
 */
gboolean
wpc_handout_view_get_loading (WpcHandoutView *self)
{
  g_return_val_if_fail (WPC_IS_HANDOUT_VIEW (self), FALSE);

  return self->refresh_idle_id != 0 || self->load_cancellable != NULL;
}

const char *
wpc_handout_view_get_failures_text (WpcHandoutView *self)
{
  g_return_val_if_fail (WPC_IS_HANDOUT_VIEW (self), NULL);

  return self->failures_text;
}

guint
wpc_handout_view_get_n_pins (WpcHandoutView *self)
{
  g_return_val_if_fail (WPC_IS_HANDOUT_VIEW (self), 0);

  /* What the table shows, i.e. its model */
  return g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (self->pin_list)));
}

/**
 * wpc_handout_view_get_pin:
 *
 * Returns: (transfer full) (nullable): a copy of the PIN record of row @position
 */
WpiPinRecord *
wpc_handout_view_get_pin (WpcHandoutView *self,
                          guint           position)
{
  g_autoptr(WpcHandoutRow) row = NULL;

  g_return_val_if_fail (WPC_IS_HANDOUT_VIEW (self), NULL);

  row = g_list_model_get_item (G_LIST_MODEL (self->rows), position);
  return row != NULL ? wpi_pin_record_copy (row->pin) : NULL;
}

void
wpc_handout_view_select_macs (WpcHandoutView     *self,
                              const char * const *macs)
{
  guint n;

  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));

  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  if (macs == NULL)
    return;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->rows));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpcHandoutRow) row = g_list_model_get_item (G_LIST_MODEL (self->rows), i);
      if (g_strv_contains (macs, row->pin->mac))
        gtk_selection_model_select_item (GTK_SELECTION_MODEL (self->selection), i, FALSE);
    }
}

/* --- GObject ------------------------------------------------------------------------ */

/* A phone's location or number changes without a job or a PIN changing: the table is
 * read again whenever it comes into view, so that the slips name what the phone list
 * shows. */
static void
wpc_handout_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (wpc_handout_view_parent_class)->map (widget);
  wpc_handout_view_refresh (WPC_HANDOUT_VIEW (widget));
}

static void
wpc_handout_view_dispose (GObject *object)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (object);

  self->disposed = TRUE;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  cancel_load (self);
  g_clear_handle_id (&self->refresh_idle_id, g_source_remove);
  if (self->service != NULL)
    {
      g_clear_signal_handler (&self->job_changed_id, self->service);
      g_clear_signal_handler (&self->pin_changed_id, self->service);
    }
  g_clear_object (&self->service);
  _wpc_handout_view_dispose_handing_out (self);
  if (self->reissue_dialog != NULL)
    {
      GtkWindow *dialog = self->reissue_dialog;

      g_clear_weak_pointer (&self->reissue_dialog);
      gtk_window_destroy (dialog);
    }

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_HANDOUT_VIEW);
  /* The template's top box has no id, so dispose_template() leaves it */
  for (GtkWidget *child; (child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL;)
    gtk_widget_unparent (child);
  self->progress_box = NULL;
  self->progress_bar = NULL;

  G_OBJECT_CLASS (wpc_handout_view_parent_class)->dispose (object);
}

static void
wpc_handout_view_finalize (GObject *object)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  g_strfreev (self->selected_macs);
  g_free (self->failures_text);
  G_OBJECT_CLASS (wpc_handout_view_parent_class)->finalize (object);
}

static void
wpc_handout_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->cancellable != NULL);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, wpc_handout_view_get_loading (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_handout_view_class_init (WpcHandoutViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_handout_view_dispose;
  object_class->finalize = wpc_handout_view_finalize;
  object_class->get_property = wpc_handout_view_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /** WpcHandoutView:loading: the table is being read from the store (issue 8 §2) */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  widget_class->map = wpc_handout_view_map;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "wpc-handout-view");
  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-handout-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, scope_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, with_pin_check);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, pin_length_label);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, pin_length_spin);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, progress_box);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, failures_label);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, pin_list);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, empty_button);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, print_button);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, export_pdf_button);
  gtk_widget_class_bind_template_child (widget_class, WpcHandoutView, export_csv_button);
  gtk_widget_class_bind_template_callback (widget_class, on_scope_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_with_pin_changed);

  gtk_widget_class_install_action (widget_class, "handout.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "handout.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "handout.print", NULL, _wpc_handout_view_print_action);
  gtk_widget_class_install_action (widget_class, "handout.export-pdf", NULL, _wpc_handout_view_export_action);
  gtk_widget_class_install_action (widget_class, "handout.export-csv", NULL, _wpc_handout_view_export_action);
  gtk_widget_class_install_action (widget_class, "handout.mark-handed-out", NULL, _wpc_handout_view_mark_handed_out_action);
  gtk_widget_class_install_action (widget_class, "handout.reissue", NULL, reissue_action);
  gtk_widget_class_install_action (widget_class, "handout.focus-filter", NULL, focus_filter_action);
  gtk_widget_class_install_action (widget_class, "handout.scope-all", NULL, scope_all_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "handout.generate", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "handout.cancel", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "handout.print", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_E, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "handout.export-pdf", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "handout.export-csv", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "handout.mark-handed-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "handout.reissue", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "handout.focus-filter", NULL);
}

static void
wpc_handout_view_init (WpcHandoutView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* its own: the window builds it after the window fixed the names it had then */
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));

  self->rows = g_list_store_new (WPC_TYPE_HANDOUT_ROW);
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (g_object_ref (self->rows)));
  g_signal_connect_swapped (self->selection, "selection-changed", G_CALLBACK (on_selection_changed), self);
  gtk_column_view_set_model (self->pin_list, GTK_SELECTION_MODEL (self->selection));
  setup_columns (self);
  _wpc_handout_view_update_actions (self);
}
