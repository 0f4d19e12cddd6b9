/* wpc-phones-view-compare.c: the Phones view's "Compare With…" and "Copy Settings To…"
 * (issue 14 §4, D27)
 *
 * Both open a dialog that reads the store off the GTK thread; a copy's jobs reach the
 * view's job list through wpi_service_host_reload().
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-compare-dialog.h"
#include "wpc-copy-settings-dialog.h"
#include "wpc-phones-view-private.h"
#include "wpi-phone.h"
#include "wpi-service-host.h"

static GtkWindow *
parent_window (WpcPhonesView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
compare_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GPtrArray) phones = wpc_phones_view_get_selected_phones (self);
  WpcCompareDialog *dialog;

  if (phones->len != 1)
    {
      _wpc_phones_view_show_message (self, GTK_MESSAGE_INFO,
                                     _("Select one phone to compare with another phone or a profile."));
      return;
    }
  dialog = wpc_compare_dialog_new (parent_window (self), wpi_service_host_get_data_dir (self->service),
                                   wpi_phone_get_mac (g_ptr_array_index (phones, 0)), self->phones);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_copy_queued (WpcCopySettingsDialog *dialog,
                guint                  n_jobs,
                WpcPhonesView         *self)
{
  g_autofree char *text = NULL;

  if (self->service != NULL)
    wpi_service_host_reload (self->service);
  if (n_jobs == 0)
    text = g_strdup (_("The phones have these settings already: nothing was queued."));
  else
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Queued %u write-items job to copy the settings.",
                                         "Queued %u write-items jobs to copy the settings.", n_jobs),
                            n_jobs);
  _wpc_phones_view_show_message (self, GTK_MESSAGE_INFO, text);
}

static void
copy_settings_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GPtrArray) phones = wpc_phones_view_get_selected_phones (self);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) macs = NULL;
  WpcCopySettingsDialog *dialog;

  if (phones->len < 2)
    {
      _wpc_phones_view_show_message (self, GTK_MESSAGE_INFO,
                                     _("Select the phone to copy the settings of and the phones to copy them to."));
      return;
    }
  for (guint i = 0; i < phones->len; i++)
    g_strv_builder_add (builder, wpi_phone_get_mac (g_ptr_array_index (phones, i)));
  macs = g_strv_builder_end (builder);
  dialog = wpc_copy_settings_dialog_new (parent_window (self), wpi_service_host_get_data_dir (self->service),
                                         (const char * const *) macs);
  g_signal_connect_object (dialog, "queued", G_CALLBACK (on_copy_queued), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_wpc_phones_view_compare_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "phone.compare", NULL, compare_action);
  gtk_widget_class_install_action (widget_class, "phone.copy-settings", NULL, copy_settings_action);
}
