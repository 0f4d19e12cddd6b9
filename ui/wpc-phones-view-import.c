/* wpc-phones-view-import.c: the phone list in and out of the Phones view (D24)
 *
 * Import opens WpcImportDialog; once it has stored the list, the service re-reads its
 * phones, and the imported ones show as "Expected" until they call. Export writes every
 * phone (state, mode, firmware, location, the imported items but secrets) as a CSV that
 * imports back; the store is read on a worker thread with a connection of its own.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "wpc-import-dialog.h"
#include "wpc-phones-view-private.h"
#include "wpi-phone-list-csv.h"

static GtkWindow *
parent_window (WpcPhonesView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
on_imported (WpcImportDialog *dialog,
             guint            added,
             guint            updated,
             guint            unchanged,
             WpcPhonesView   *self)
{
  g_autofree char *text = NULL;

  if (self->service != NULL)
    wpi_service_host_reload (self->service);
  /* A toast is short: the Expected state explains itself in the list (its tooltip) */
  text = g_strdup_printf (_("Phone list imported: %u new, %u updated, %u unchanged"),
                          added, updated, unchanged);
  _wpc_phones_view_show_message (self, GTK_MESSAGE_INFO, text);
}

/**
 * wpc_phones_view_import_list:
 * @file: (nullable): the list to preview at once, or %NULL to let the user choose one
 *
 * Opens the Import Phone List dialog (nothing without a service).
 */
void
wpc_phones_view_import_list (WpcPhonesView *self,
                             GFile         *file)
{
  WpcImportDialog *dialog;

  g_return_if_fail (WPC_IS_PHONES_VIEW (self));

  if (self->service == NULL)
    return;
  dialog = wpc_import_dialog_new (parent_window (self), wpi_service_host_get_data_dir (self->service));
  g_signal_connect_object (dialog, "imported", G_CALLBACK (on_imported), self, 0);
  if (file != NULL)
    wpc_import_dialog_set_file (dialog, file);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_list_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  wpc_phones_view_import_list (WPC_PHONES_VIEW (widget), NULL);
}

/* ---- Export ------------------------------------------------------------------------ */

static void
export_run (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  GFile *file = task_data;
  const char *data_dir = g_object_get_data (G_OBJECT (task), "wpc-data-dir");
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (data_dir, &error);
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *csv = NULL;

  if (store == NULL || (rows = wpi_store_phone_list_export (store, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  csv = wpi_phone_list_to_csv (rows);
  if (!g_file_replace_contents (file, csv, strlen (csv), NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_int (task, rows->len);
}

static void
on_export_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (source);
  g_autoptr(GError) error = NULL;
  gssize n = g_task_propagate_int (G_TASK (result), &error);
  g_autofree char *text = NULL;

  if (n < 0)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf (_("The phone list could not be exported: %s"), error->message);
      _wpc_phones_view_show_message (self, GTK_MESSAGE_ERROR, text);
      return;
    }
  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u phone exported (without secrets).",
                                       "%u phones exported (without secrets).", (gulong) n),
                          (guint) n);
  _wpc_phones_view_show_message (self, GTK_MESSAGE_INFO, text);
}

/**
 * wpc_phones_view_export_list:
 * @file: where the CSV goes (replaced)
 *
 * Exports every phone as a phone list, asynchronously; the outcome shows in the view.
 */
void
wpc_phones_view_export_list (WpcPhonesView *self,
                             GFile         *file)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->service == NULL)
    return;
  task = g_task_new (self, self->cancellable, on_export_done, NULL);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "wpc-data-dir",
                          g_strdup (wpi_service_host_get_data_dir (self->service)), g_free);
  g_task_run_in_thread (task, export_run);
}

static void
on_export_chooser_response (GtkNativeDialog *chooser,
                            int              response,
                            WpcPhonesView   *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      wpc_phones_view_export_list (self, file);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
export_list_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  GtkFileChooserNative *chooser;

  if (self->service == NULL)
    return;
  chooser = gtk_file_chooser_native_new (_("Export Phone List"), parent_window (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "phones.csv");
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (on_export_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
_wpc_phones_view_import_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "phone.import-list", NULL, import_list_action);
  gtk_widget_class_install_action (widget_class, "phone.export-list", NULL, export_list_action);
}
