/* wpc-import-dialog.c: import a phone list (decisions.md D24) */
#include "config.h"

#include <string.h>
#include <adwaita.h>
#include <glib/gi18n.h>

#include "wpc-accessible.h"
#include "wpc-confirm-dialog.h"
#include "wpc-import-dialog.h"
#include "wpi-phone-list-csv.h"
#include "wpi-store.h"

/* A preview shows this many phones; the summary counts them all */
#define PREVIEW_MAX_ROWS 1000

struct _WpcImportDialog
{
  GtkWindow             parent_instance;

  /* template */
  GtkButton            *import_button;
  GtkButton            *choose_button;
  GtkLabel             *file_label;
  GtkLabel             *summary_label;
  GtkWidget            *problems_window;
  GtkLabel             *problems_label;
  GtkListBox           *rows_list;

  char                 *data_dir;
  GFile                *file;
  WpiPhoneList         *list;       /* the file as read, once previewed without problems */
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  gboolean              busy;
  gboolean              ready;
  guint                 n_updated;      /* phones the previewed list changes */
  GtkWindow            *confirm_dialog; /* asking before those changes, while open */
};

G_DEFINE_FINAL_TYPE (WpcImportDialog, wpc_import_dialog, GTK_TYPE_WINDOW)

enum {
  IMPORTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- The worker: read, check, import -------------------------------------------- */

typedef struct {
  char         *data_dir;
  GFile        *file;       /* to read, or NULL: list is given */
  WpiPhoneList *list;
  gboolean      dry_run;
  GArray       *outcomes;   /* WpiImportOutcome, once the store has answered */
  char         *store_problem;
} ImportWork;

static void
import_work_free (gpointer data)
{
  ImportWork *work = data;

  g_free (work->data_dir);
  g_clear_object (&work->file);
  g_clear_pointer (&work->list, wpi_phone_list_free);
  g_clear_pointer (&work->outcomes, g_array_unref);
  g_free (work->store_problem);
  g_free (work);
}

/* A list without a store yet (the service never ran here) adds every phone */
static gboolean
store_outcomes (ImportWork    *work,
                GError       **error)
{
  g_autofree char *path = g_build_filename (work->data_dir, WPI_STORE_DB_NAME, NULL);
  g_autoptr(WpiStore) store = NULL;

  if (work->dry_run && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      WpiImportOutcome added = WPI_IMPORT_OUTCOME_ADDED;

      work->outcomes = g_array_new (FALSE, FALSE, sizeof (WpiImportOutcome));
      for (guint i = 0; i < work->list->rows->len; i++)
        g_array_append_val (work->outcomes, added);
      return TRUE;
    }
  store = wpi_store_open (work->data_dir, error);
  return store != NULL &&
         wpi_store_phone_import (store, work->list->rows, work->dry_run, &work->outcomes, error);
}

static void
import_work_run (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  ImportWork *work = task_data;
  g_autoptr(GError) error = NULL;

  if (work->list == NULL)
    {
      g_autofree char *text = NULL;
      gsize length = 0;

      if (!g_file_load_contents (work->file, cancellable, &text, &length, NULL, &error) ||
          (work->list = wpi_phone_list_parse (text, length, wpi_catalogue_get_default (), &error)) == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      explicit_bzero (text, length);   /* it may hold SIP passwords */
    }
  /* A store's refusal (a profile that does not exist) names its line like a problem */
  if (work->list->problems->len == 0 && !store_outcomes (work, &error))
    {
      if (!g_error_matches (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND) &&
          !g_error_matches (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      work->store_problem = g_strdup (error->message);
    }
  g_task_return_boolean (task, TRUE);
}

static void
start_work (WpcImportDialog     *self,
            ImportWork          *work,
            GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) task = NULL;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  work->data_dir = g_strdup (self->data_dir);
  self->busy = TRUE;
  task = g_task_new (self, self->cancellable, callback, NULL);
  g_task_set_task_data (task, work, import_work_free);
  g_task_run_in_thread (task, import_work_run);
}

/* ---- The preview ------------------------------------------------------------------ */

static const char *
outcome_label (WpiImportOutcome outcome)
{
  switch (outcome)
    {
    case WPI_IMPORT_OUTCOME_ADDED: return C_("import outcome", "New");
    case WPI_IMPORT_OUTCOME_UPDATED: return C_("import outcome", "Updated");
    case WPI_IMPORT_OUTCOME_UNCHANGED: return C_("import outcome", "Unchanged");
    default: return "";
    }
}

static void
add_cell (GtkBox     *box,
          const char *text,
          int         width_chars,
          const char *css_class)
{
  GtkWidget *label = gtk_label_new (text != NULL ? text : "—");

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_width_chars (GTK_LABEL (label), width_chars);
  gtk_widget_set_hexpand (label, width_chars == 0);   /* the last cell takes the rest */
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  gtk_box_append (box, label);
}

/* One phone: where it is in the file, who it is, and what the import does to it. Item
 * names only: the values may be passwords (never shown without Reveal). */
static GtkWidget *
preview_row (const WpiPhoneListRow *row,
             WpiImportOutcome       outcome)
{
  GtkBox *box = GTK_BOX (gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12));
  g_autofree char *line = g_strdup_printf (_("Line %u"), row->line);
  g_autoptr(GString) items = g_string_new (NULL);

  for (guint i = 0; i < row->items->len; i++)
    g_string_append_printf (items, "%s%s", i > 0 ? ", " : "", g_array_index (row->items, WpiPhoneListItem, i).name);
  gtk_widget_set_margin_start (GTK_WIDGET (box), 6);
  gtk_widget_set_margin_end (GTK_WIDGET (box), 6);
  gtk_widget_set_margin_top (GTK_WIDGET (box), 3);
  gtk_widget_set_margin_bottom (GTK_WIDGET (box), 3);
  add_cell (box, line, 8, "dim-label");
  add_cell (box, row->mac, 17, "monospace");
  add_cell (box, row->e164, 14, NULL);
  add_cell (box, row->location, 16, NULL);
  add_cell (box, outcome_label (outcome), 10, outcome == WPI_IMPORT_OUTCOME_UNCHANGED ? "dim-label" : "accent");
  add_cell (box, items->len > 0 ? items->str : NULL, 0, "dim-label");
  return GTK_WIDGET (box);
}

static void
clear_preview (WpcImportDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->rows_list))) != NULL)
    gtk_list_box_remove (self->rows_list, child);
  gtk_label_set_text (self->problems_label, "");
  gtk_widget_set_visible (self->problems_window, FALSE);
  g_clear_pointer (&self->list, wpi_phone_list_free);
  self->ready = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), FALSE);
}

static void
show_problems (WpcImportDialog *self,
               const char      *summary,
               const char      *problems)
{
  gtk_label_set_text (self->summary_label, summary);
  gtk_label_set_text (self->problems_label, problems);
  gtk_widget_set_visible (self->problems_window, problems[0] != '\0');
  gtk_accessible_update_state (GTK_ACCESSIBLE (self->problems_label), GTK_ACCESSIBLE_STATE_INVALID,
                               GTK_ACCESSIBLE_INVALID_TRUE, -1);
}

static void
show_outcomes (WpcImportDialog *self,
               ImportWork      *work)
{
  guint counts[3] = { 0, };
  g_autofree char *summary = NULL;

  for (guint i = 0; i < work->outcomes->len; i++)
    {
      WpiImportOutcome outcome = g_array_index (work->outcomes, WpiImportOutcome, i);

      counts[outcome]++;
      if (i < PREVIEW_MAX_ROWS)
        gtk_list_box_append (self->rows_list, preview_row (g_ptr_array_index (work->list->rows, i), outcome));
    }
  summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u phone: %u new, %u updated, %u unchanged",
                                          "%u phones: %u new, %u updated, %u unchanged", work->outcomes->len),
                             work->outcomes->len, counts[WPI_IMPORT_OUTCOME_ADDED],
                             counts[WPI_IMPORT_OUTCOME_UPDATED], counts[WPI_IMPORT_OUTCOME_UNCHANGED]);
  gtk_label_set_text (self->summary_label, summary);
  self->list = g_steal_pointer (&work->list);
  self->n_updated = counts[WPI_IMPORT_OUTCOME_UPDATED];
  self->ready = work->outcomes->len > 0;
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), self->ready);
}

static void
on_preview_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  WpcImportDialog *self = WPC_IMPORT_DIALOG (source);
  ImportWork *work = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->busy = FALSE;
          show_problems (self, _("The file cannot be read"), error->message);
        }
      return;
    }
  self->busy = FALSE;
  if (work->list->problems->len > 0)
    {
      g_autofree char *problems = wpi_phone_list_describe_problems (work->list, 0);
      g_autofree char *summary = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                               "%u problem: correct the file and choose it again",
                                                               "%u problems: correct the file and choose it again",
                                                               work->list->problems->len),
                                                  work->list->problems->len);

      show_problems (self, summary, problems);
    }
  else if (work->store_problem != NULL)
    show_problems (self, _("1 problem: correct the file and choose it again"), work->store_problem);
  else
    show_outcomes (self, work);
}

void
wpc_import_dialog_set_file (WpcImportDialog *self,
                            GFile           *file)
{
  ImportWork *work;

  g_return_if_fail (WPC_IS_IMPORT_DIALOG (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  g_set_object (&self->file, file);
  clear_preview (self);
  if (file == NULL)
    {
      gtk_label_set_text (self->file_label, _("No file chosen"));
      gtk_label_set_text (self->summary_label, "");
      return;
    }

  {
    g_autofree char *name = g_file_get_parse_name (file);

    gtk_label_set_text (self->file_label, name);
  }
  gtk_label_set_text (self->summary_label, _("Checking…"));
  work = g_new0 (ImportWork, 1);
  work->file = g_object_ref (file);
  work->dry_run = TRUE;
  start_work (self, work, on_preview_done);
}

/* ---- Importing -------------------------------------------------------------------- */

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     WpcImportDialog  *self)
{
  g_clear_weak_pointer (&self->confirm_dialog);
  if (g_str_equal (response, "import"))
    wpc_import_dialog_import (self);
  else
    gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), self->ready);
}

/* Adding phones takes nothing away; changing phones the console knows replaces what it
 * had for them, so that asks first (issue 12 §1) */
static void
on_import_clicked (WpcImportDialog *self)
{
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (!self->ready || self->busy || self->confirm_dialog != NULL)
    return;
  if (self->n_updated == 0)
    {
      wpc_import_dialog_import (self);
      return;
    }
  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Update %u Phone?", "Update %u Phones?",
                                          self->n_updated),
                             self->n_updated);
  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The list changes %u phone the console knows already: its number, "
                                       "location and items become what the file says (marked “updated” in "
                                       "the preview). The values it had are not kept.",
                                       "The list changes %u phones the console knows already: their number, "
                                       "location and items become what the file says (marked “updated” in "
                                       "the preview). The values they had are not kept.",
                                       self->n_updated),
                          self->n_updated);
  dialog = wpc_confirm_dialog_new (GTK_WINDOW (self), "import-confirm-dialog", heading, body,
                                   "import", _("_Update and Import"), ADW_RESPONSE_DESTRUCTIVE);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_confirm_response), self, 0);
  g_set_weak_pointer (&self->confirm_dialog, GTK_WINDOW (dialog));
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), FALSE);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_import_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  WpcImportDialog *self = WPC_IMPORT_DIALOG (source);
  ImportWork *work = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  guint counts[3] = { 0, };

  if (!g_task_propagate_boolean (G_TASK (result), &error) || work->store_problem != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self->busy = FALSE;
      /* nothing was stored (one transaction): the file may be chosen again */
      show_problems (self, _("Nothing was imported"), error != NULL ? error->message : work->store_problem);
      gtk_widget_set_sensitive (GTK_WIDGET (self->choose_button), TRUE);
      return;
    }
  self->busy = FALSE;
  for (guint i = 0; i < work->outcomes->len; i++)
    counts[g_array_index (work->outcomes, WpiImportOutcome, i)]++;
  g_signal_emit (self, signals[IMPORTED], 0, counts[WPI_IMPORT_OUTCOME_ADDED],
                 counts[WPI_IMPORT_OUTCOME_UPDATED], counts[WPI_IMPORT_OUTCOME_UNCHANGED]);
  gtk_window_destroy (GTK_WINDOW (self));
}

void
wpc_import_dialog_import (WpcImportDialog *self)
{
  ImportWork *work;

  g_return_if_fail (WPC_IS_IMPORT_DIALOG (self));

  if (!self->ready || self->busy)
    return;
  work = g_new0 (ImportWork, 1);
  work->list = g_steal_pointer (&self->list);
  self->ready = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->choose_button), FALSE);
  gtk_label_set_text (self->summary_label, _("Importing…"));
  start_work (self, work, on_import_done);
}

/* ---- The file chooser and the class ----------------------------------------------- */

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     WpcImportDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      wpc_import_dialog_set_file (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
on_choose_clicked (WpcImportDialog *self)
{
  g_autoptr(GtkFileFilter) csv = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose a Phone List"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (csv, _("Phone lists (CSV)"));
  gtk_file_filter_add_mime_type (csv, "text/csv");
  gtk_file_filter_add_suffix (csv, "csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), csv);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
wpc_import_dialog_dispose (GObject *object)
{
  WpcImportDialog *self = WPC_IMPORT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->confirm_dialog != NULL)
    {
      GtkWindow *dialog = self->confirm_dialog;

      g_clear_weak_pointer (&self->confirm_dialog);
      gtk_window_destroy (dialog);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_IMPORT_DIALOG);
  g_clear_object (&self->file);
  g_clear_pointer (&self->list, wpi_phone_list_free);
  g_clear_pointer (&self->data_dir, g_free);

  G_OBJECT_CLASS (wpc_import_dialog_parent_class)->dispose (object);
}

static void
wpc_import_dialog_class_init (WpcImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_import_dialog_dispose;

  /**
   * WpcImportDialog::imported:
   * @added: phones new to the console
   * @updated: phones the list changed
   * @unchanged: phones the list left as they were
   *
   * The list is stored (the dialog then closes itself).
   */
  signals[IMPORTED] = g_signal_new ("imported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcImportDialog, import_button);
  gtk_widget_class_bind_template_child (widget_class, WpcImportDialog, choose_button);
  gtk_widget_class_bind_template_child (widget_class, WpcImportDialog, file_label);
  gtk_widget_class_bind_template_child (widget_class, WpcImportDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, WpcImportDialog, problems_window);
  gtk_widget_class_bind_template_child (widget_class, WpcImportDialog, problems_label);
  gtk_widget_class_bind_template_child (widget_class, WpcImportDialog, rows_list);
  gtk_widget_class_bind_template_callback (widget_class, on_import_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
wpc_import_dialog_init (WpcImportDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));
  gtk_label_set_text (self->file_label, _("No file chosen"));
}

WpcImportDialog *
wpc_import_dialog_new (GtkWindow  *parent,
                       const char *data_dir)
{
  WpcImportDialog *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (WPC_TYPE_IMPORT_DIALOG, "transient-for", parent, NULL);
  self->data_dir = g_strdup (data_dir);
  return self;
}

gboolean
wpc_import_dialog_get_ready (WpcImportDialog *self)
{
  g_return_val_if_fail (WPC_IS_IMPORT_DIALOG (self), FALSE);
  return self->ready;
}

gboolean
wpc_import_dialog_get_idle (WpcImportDialog *self)
{
  g_return_val_if_fail (WPC_IS_IMPORT_DIALOG (self), FALSE);
  return !self->busy;
}

const char *
wpc_import_dialog_get_summary (WpcImportDialog *self)
{
  g_return_val_if_fail (WPC_IS_IMPORT_DIALOG (self), NULL);
  return gtk_label_get_text (self->summary_label);
}

const char *
wpc_import_dialog_get_problems (WpcImportDialog *self)
{
  g_return_val_if_fail (WPC_IS_IMPORT_DIALOG (self), NULL);
  return gtk_label_get_text (self->problems_label);
}
