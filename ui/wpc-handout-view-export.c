/* wpc-handout-view-export.c: handing the PINs out (issue 5 §3)
 *
 * Export CSV, Export PDF and Print produce the PINs still to be handed out, and only once
 * they are produced are the PINs recorded as handed out; Mark handed out records it
 * without a file. Files are written in a thread, never on the GTK thread (issue 8 §2);
 * the record is one short write on the owner's store connection, on the main context.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-handout-view-private.h"
#include "wpc-toast.h"

static gboolean
mark_entries (WpcHandoutView  *self,
              GPtrArray       *entries,
              GError         **error)
{
  gboolean ok = wpi_handout_mark_handed_out (wpi_service_host_get_store (self->service), entries, error);

  wpi_service_host_reload (self->service);
  wpc_handout_view_refresh (self);
  return ok;
}

static gboolean
check_ready (WpcHandoutView  *self,
             GPtrArray       *entries,
             GError         **error)
{
  if (self->service == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, _("The console has no service."));
      return FALSE;
    }
  if (entries->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No PIN is waiting to be handed out."));
      return FALSE;
    }
  return TRUE;
}

static WpiHandoutPaper
default_paper (void)
{
  g_autoptr(GtkPaperSize) size = gtk_paper_size_new (NULL);

  return g_str_equal (gtk_paper_size_get_name (size), GTK_PAPER_NAME_LETTER)
         ? WPI_HANDOUT_PAPER_LETTER : WPI_HANDOUT_PAPER_A4;
}

/* One export: what to write where, and the service whose store records the handout
 * (held, so that a file written as the view goes away is still recorded). */
typedef struct {
  WpiServiceHost  *service;
  GPtrArray       *entries;
  char            *path;
  gboolean         pdf;
  WpiHandoutPaper  paper;
} HandoutExport;

static void
handout_export_free (HandoutExport *export)
{
  g_clear_object (&export->service);
  g_clear_pointer (&export->entries, g_ptr_array_unref);
  g_free (export->path);
  g_free (export);
}

/* In a worker thread: the file only; the store is not touched here. */
static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  HandoutExport *export = task_data;
  GError *error = NULL;
  gboolean written;

  (void) source_object;
  (void) cancellable;

  if (g_task_return_error_if_cancelled (task))
    return;
  written = export->pdf ? wpi_handout_write_pdf (export->entries, export->path, export->paper, &error)
                        : wpi_handout_write_csv (export->entries, export->path, &error);
  if (written)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

#define SAVED_PATH_KEY "wpc-saved-path"

static void
on_file_shown (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(WpcHandoutView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (source), result, &error) && !self->disposed)
    /* Translators: %s says why, e.g. no application opens PDF files */
    wpc_toast_show (GTK_WIDGET (self), adw_toast_new_format (_("The file cannot be opened: %s"), error->message));
}

/* The toast's Open button: the file in the desktop's application for it (through the
 * portal where there is one, over the console's window) */
static void
on_open_clicked (AdwToast       *toast,
                 WpcHandoutView *self)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_object_get_data (G_OBJECT (toast), SAVED_PATH_KEY));
  g_autofree char *uri = g_file_get_uri (file);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  gtk_show_uri_full (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME, NULL,
                     on_file_shown, g_object_ref (self));
}

/* "PDF saved", with Open (issue 12 §1: a finished action is told by a toast, which goes) */
static void
show_saved_toast (WpcHandoutView *self,
                  const char     *path,
                  gboolean        pdf)
{
  AdwToast *toast = adw_toast_new (pdf ? _("PDF saved") : _("CSV saved"));

  adw_toast_set_button_label (toast, _("_Open"));
  g_object_set_data_full (G_OBJECT (toast), SAVED_PATH_KEY, g_strdup (path), g_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_open_clicked), self, 0);
  wpc_toast_show (GTK_WIDGET (self), toast);
}

/* Back on the main context: the file is there, so its PINs left the console. The write
 * is short and stays on the owner's connection (the store's single writer). */
static void
on_export_written (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  WpcHandoutView *self = g_task_get_source_object (task);
  HandoutExport *export = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean marked;

  (void) source;

  self->n_exports--;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!self->disposed)
        _wpc_handout_view_update_actions (self);
      g_task_return_error (task, error); /* nothing was written: nothing is marked */
      return;
    }

  marked = wpi_handout_mark_handed_out (wpi_service_host_get_store (export->service), export->entries, &error);
  wpi_service_host_reload (export->service);
  if (!self->disposed)
    {
      _wpc_handout_view_update_actions (self);
      wpc_handout_view_refresh (self);
      if (marked)
        show_saved_toast (self, export->path, export->pdf);
    }
  if (marked)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
export_async (WpcHandoutView      *self,
              GFile               *file,
              gboolean             pdf,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autoptr(GPtrArray) entries = _wpc_handout_view_get_pending_entries (self);
  g_autofree char *path = g_file_get_path (file);
  GError *error = NULL;
  GTask *write;
  HandoutExport *export;

  g_task_set_source_tag (task, pdf ? (gpointer) wpc_handout_view_export_pdf_async
                                   : (gpointer) wpc_handout_view_export_csv_async);
  /* Once the file is written its PINs must be recorded, whatever was cancelled meanwhile */
  g_task_set_check_cancellable (task, FALSE);
  if (!check_ready (self, entries, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (path == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Only local files can hold PINs."));
      return;
    }

  export = g_new0 (HandoutExport, 1);
  export->service = g_object_ref (self->service);
  export->entries = g_steal_pointer (&entries);
  export->path = g_steal_pointer (&path);
  export->pdf = pdf;
  export->paper = pdf ? default_paper () : WPI_HANDOUT_PAPER_A4;
  g_task_set_task_data (task, export, (GDestroyNotify) handout_export_free);

  write = g_task_new (NULL, cancellable, on_export_written, g_object_ref (task));
  g_task_set_source_tag (write, export_thread);
  g_task_set_check_cancellable (write, FALSE);
  g_task_set_task_data (write, export, NULL); /* owned by task, which outlives write */
  self->n_exports++;
  _wpc_handout_view_update_actions (self);
  g_task_run_in_thread (write, export_thread);
  g_object_unref (write);
}

/**
 * wpc_handout_view_export_csv_async:
 * @file: a local file, replaced when it exists
 * @cancellable: (nullable): stops the export before the file is written (once it is,
 *   its PINs are marked handed out anyway)
 *
 * Writes the PINs still to be handed out (of the selected rows, or of all without a
 * selection) as a CSV in a thread, then marks them handed out and refreshes the table.
 */
void
wpc_handout_view_export_csv_async (WpcHandoutView      *self,
                                   GFile               *file,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  export_async (self, file, FALSE, cancellable, callback, user_data);
}

/**
 * wpc_handout_view_export_csv_finish:
 *
 * Returns: TRUE when the file was written and its PINs marked handed out. An error
 *   writing the file leaves every PIN as it was; a stale PIN (WPI_HANDOUT_ERROR_STALE)
 *   leaves the file written and every PIN as it was.
 */
gboolean
wpc_handout_view_export_csv_finish (WpcHandoutView  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == wpc_handout_view_export_csv_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * wpc_handout_view_export_pdf_async:
 *
 * The same as wpc_handout_view_export_csv_async(), as a PDF of slips on the default
 * paper size.
 */
void
wpc_handout_view_export_pdf_async (WpcHandoutView      *self,
                                   GFile               *file,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (WPC_IS_HANDOUT_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  export_async (self, file, TRUE, cancellable, callback, user_data);
}

gboolean
wpc_handout_view_export_pdf_finish (WpcHandoutView  *self,
                                    GAsyncResult    *result,
                                    GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == wpc_handout_view_export_pdf_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
wpc_handout_view_mark_handed_out (WpcHandoutView  *self,
                                  GError         **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_handout_entry_free);

  g_return_val_if_fail (WPC_IS_HANDOUT_VIEW (self), FALSE);

  rows = _wpc_handout_view_get_target_rows (self);
  for (guint i = 0; i < rows->len; i++)
    {
      WpcHandoutRow *row = g_ptr_array_index (rows, i);
      if (row->pin->state == WPI_PIN_STATE_GENERATED)
        g_ptr_array_add (entries, wpi_handout_entry_new (row->pin->mac, NULL, NULL, NULL, row->pin->pin,
                                                         row->pin->job_id, row->pin->id));
    }
  if (!check_ready (self, entries, error))
    return FALSE;
  return mark_entries (self, entries, error);
}

void
_wpc_handout_view_mark_handed_out_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);
  g_autoptr(GError) error = NULL;

  g_autoptr(GPtrArray) rows = _wpc_handout_view_get_target_rows (self);
  guint n_generated = 0;

  (void) action_name;
  (void) parameter;

  for (guint i = 0; i < rows->len; i++)
    if (((WpcHandoutRow *) g_ptr_array_index (rows, i))->pin->state == WPI_PIN_STATE_GENERATED)
      n_generated++;
  if (!wpc_handout_view_mark_handed_out (self, &error))
    {
      _wpc_handout_view_show_error (self, error->message);
      return;
    }
  wpc_toast_show (widget, adw_toast_new_format (g_dngettext (GETTEXT_PACKAGE, "%u PIN marked handed out",
                                                             "%u PINs marked handed out", n_generated),
                                                n_generated));
}

static void
on_chooser_export_done (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (source);
  g_autoptr(GError) error = NULL;
  gboolean pdf = g_task_get_source_tag (G_TASK (result)) == wpc_handout_view_export_pdf_async;

  (void) user_data;

  /* Success was told by the toast ("PDF saved") */
  if (!(pdf ? wpc_handout_view_export_pdf_finish (self, result, &error)
            : wpc_handout_view_export_csv_finish (self, result, &error)) &&
      !self->disposed)
    _wpc_handout_view_show_error (self, error->message);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  WpcHandoutView *self = user_data;
  gboolean pdf = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "pdf"));
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    {
      if (pdf)
        wpc_handout_view_export_pdf_async (self, file, NULL, on_chooser_export_done, NULL);
      else
        wpc_handout_view_export_csv_async (self, file, NULL, on_chooser_export_done, NULL);
    }
  g_clear_object (&self->chooser);
  _wpc_handout_view_update_actions (self);
}

void
_wpc_handout_view_export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);
  gboolean pdf = g_str_equal (action_name, "handout.export-pdf");
  GtkRoot *root = gtk_widget_get_root (widget);

  (void) parameter;

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (pdf ? _("Export PIN Slips as PDF") : _("Export PINs as CSV"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), pdf ? "pins.pdf" : "pins.csv");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "pdf", GINT_TO_POINTER (pdf));
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
  _wpc_handout_view_update_actions (self);
}

static void
on_begin_print (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                gpointer           user_data)
{
  WpcHandoutView *self = user_data;

  gtk_print_operation_set_n_pages (operation,
                                   MAX (1, wpi_handout_get_n_pages (self->print_entries->len,
                                                                    gtk_print_context_get_width (context),
                                                                    gtk_print_context_get_height (context))));
}

static void
on_draw_page (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page,
              gpointer           user_data)
{
  WpcHandoutView *self = user_data;

  (void) operation;
  wpi_handout_draw_page (gtk_print_context_get_cairo_context (context),
                         gtk_print_context_get_width (context), gtk_print_context_get_height (context),
                         self->print_entries, page);
}

static void
on_print_done (GtkPrintOperation       *operation,
               GtkPrintOperationResult  result,
               gpointer                 user_data)
{
  WpcHandoutView *self = user_data;
  g_autoptr(GError) error = NULL;

  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      gtk_print_operation_get_error (operation, &error);
      _wpc_handout_view_show_error (self, error != NULL ? error->message : _("Printing failed."));
    }
  else if (result == GTK_PRINT_OPERATION_RESULT_APPLY &&
           !mark_entries (self, self->print_entries, &error))
    _wpc_handout_view_show_error (self, error->message);

  g_clear_pointer (&self->print_entries, g_ptr_array_unref);
  g_clear_object (&self->print_operation);
  _wpc_handout_view_update_actions (self);
}

void
_wpc_handout_view_print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WpcHandoutView *self = WPC_HANDOUT_VIEW (widget);
  g_autoptr(GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkPrintOperationResult result;

  (void) action_name;
  (void) parameter;

  if (self->print_operation != NULL)
    return;
  self->print_entries = _wpc_handout_view_get_pending_entries (self);
  if (!check_ready (self, self->print_entries, &error))
    {
      g_clear_pointer (&self->print_entries, g_ptr_array_unref);
      _wpc_handout_view_show_error (self, error->message);
      return;
    }

  self->print_operation = gtk_print_operation_new ();
  /* wpi_handout_draw_page() draws in points */
  gtk_print_operation_set_unit (self->print_operation, GTK_UNIT_POINTS);
  gtk_print_operation_set_allow_async (self->print_operation, TRUE);
  gtk_print_operation_set_job_name (self->print_operation, _("PIN slips"));
  g_signal_connect (self->print_operation, "begin-print", G_CALLBACK (on_begin_print), self);
  g_signal_connect (self->print_operation, "draw-page", G_CALLBACK (on_draw_page), self);
  g_signal_connect (self->print_operation, "done", G_CALLBACK (on_print_done), self);
  _wpc_handout_view_update_actions (self);

  result = gtk_print_operation_run (self->print_operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                                    GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, &error);
  /* Run synchronously after all (no async support here): "done" has not been emitted. */
  if (result != GTK_PRINT_OPERATION_RESULT_IN_PROGRESS && self->print_operation != NULL)
    on_print_done (self->print_operation, result, self);
}

void
_wpc_handout_view_dispose_handing_out (WpcHandoutView *self)
{
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  if (self->print_operation != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->print_operation, self);
      g_clear_object (&self->print_operation);
    }
  g_clear_pointer (&self->print_entries, g_ptr_array_unref);
}
