/* wpc-point-phones-dialog.c: the DHCP option 43 for this console, with snippets (D26)
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-local-addresses.h"
#include "wpc-point-phones-dialog.h"
#include "wpc-toast.h"
#include "wpi-dhcp-option.h"

struct _WpcPointPhonesDialog
{
  GtkWindow      parent_instance;

  GtkDropDown   *address_dropdown;
  GtkLabel      *notice_label;
  GtkWidget     *snippet_box;

  GtkStringList *dls_addresses;
  guint          port;
};

G_DEFINE_FINAL_TYPE (WpcPointPhonesDialog, wpc_point_phones_dialog, GTK_TYPE_WINDOW)

/* A titled block of monospace text with a Copy button whose accessible name says what
 * it copies */
static GtkWidget *
create_copy_block (const char *title,
                   const char *text)
{
  GtkWidget *block = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *heading = gtk_label_new (title);
  GtkWidget *copy_button = gtk_button_new_with_mnemonic (_("_Copy"));
  GtkWidget *frame = gtk_frame_new (NULL);
  GtkWidget *label = gtk_label_new (text);
  /* Translators: accessible name of the button that copies e.g. the "Kea" snippet */
  g_autofree char *copy_name = g_strdup_printf (_("Copy %s"), title);

  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_set_hexpand (heading, TRUE);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (header), heading);

  gtk_accessible_update_property (GTK_ACCESSIBLE (copy_button), GTK_ACCESSIBLE_PROPERTY_LABEL, copy_name, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (copy_button), "point-phones.copy");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (copy_button), "s", text);
  gtk_box_append (GTK_BOX (header), copy_button);
  gtk_box_append (GTK_BOX (block), header);

  /* wrapped anywhere: a hex string has no spaces to break at */
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_margin_start (label, 6);
  gtk_widget_set_margin_end (label, 6);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_frame_set_child (GTK_FRAME (frame), label);
  gtk_box_append (GTK_BOX (block), frame);
  return block;
}

static void
show_notice (WpcPointPhonesDialog *self,
             const char           *text)
{
  gtk_label_set_text (self->notice_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->notice_label), text != NULL);
}

static void
show_address (WpcPointPhonesDialog *self,
              const char           *dls_address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) payload = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *hex_title = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->snippet_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->snippet_box), child);
  if (dls_address == NULL)
    return;

  payload = wpi_dhcp_option43_encode (dls_address, &error);
  if (payload == NULL)
    {
      show_notice (self, error->message);
      return;
    }
  show_notice (self, NULL);
  hex = wpi_dhcp_format_hex (payload, " ");
  /* Translators: %s is the console's address, e.g. "sdlp://192.0.2.2:18443" */
  hex_title = g_strdup_printf (_("Option 43 for %s (hex)"), dls_address);
  gtk_box_append (GTK_BOX (self->snippet_box), create_copy_block (hex_title, hex));
  for (guint i = 0; i < WPI_DHCP_N_SERVERS; i++)
    {
      g_autofree char *snippet = wpi_dhcp_server_snippet (i, payload, dls_address);

      gtk_box_append (GTK_BOX (self->snippet_box),
                      create_copy_block (wpi_dhcp_server_get_title (i), snippet));
    }
}

static void
on_address_selected (WpcPointPhonesDialog *self)
{
  guint position = gtk_drop_down_get_selected (self->address_dropdown);

  show_address (self, gtk_string_list_get_string (self->dls_addresses, position));
}

static void
load_addresses (WpcPointPhonesDialog *self,
                const char           *bind_address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) addresses = wpc_local_addresses_for_bind (bind_address, &error);

  if (addresses == NULL)
    {
      /* Translators: %s is the reason, e.g. "“foo” is not an IP address" */
      g_autofree char *text = g_strdup_printf (_("The listening address is not valid: %s. "
                                                 "Change it in Preferences."), error->message);
      show_notice (self, text);
      return;
    }
  for (guint i = 0; i < addresses->len; i++)
    {
      g_autofree char *url = wpc_local_addresses_sdlp_url (g_ptr_array_index (addresses, i), self->port);

      gtk_string_list_append (self->dls_addresses, url);
    }
  if (addresses->len == 0)
    show_notice (self, _("This computer has no network address that phones could reach. "
                         "Connect it to the phones’ network."));
  gtk_drop_down_set_model (self->address_dropdown, G_LIST_MODEL (self->dls_addresses));
  on_address_selected (self);
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WpcPointPhonesDialog *self = WPC_POINT_PHONES_DIALOG (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), g_variant_get_string (parameter, NULL));
  /* in the dialog's own overlay: the window's is behind this modal dialog (issue 12 §1) */
  wpc_toast_show (self->snippet_box, adw_toast_new (_("Copied")));
}

static void
wpc_point_phones_dialog_finalize (GObject *object)
{
  WpcPointPhonesDialog *self = WPC_POINT_PHONES_DIALOG (object);

  g_clear_object (&self->dls_addresses);

  G_OBJECT_CLASS (wpc_point_phones_dialog_parent_class)->finalize (object);
}

static void
wpc_point_phones_dialog_class_init (WpcPointPhonesDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = wpc_point_phones_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/workpoint/Console/wpc-point-phones-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcPointPhonesDialog, address_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WpcPointPhonesDialog, notice_label);
  gtk_widget_class_bind_template_child (widget_class, WpcPointPhonesDialog, snippet_box);
  gtk_widget_class_bind_template_callback (widget_class, on_address_selected);

  gtk_widget_class_install_action (widget_class, "point-phones.copy", "s", copy_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
wpc_point_phones_dialog_init (WpcPointPhonesDialog *self)
{
  self->dls_addresses = gtk_string_list_new (NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
}

WpcPointPhonesDialog *
wpc_point_phones_dialog_new (GtkWindow  *parent,
                             const char *bind_address,
                             guint       port)
{
  WpcPointPhonesDialog *self;

  g_return_val_if_fail (port > 0 && port <= G_MAXUINT16, NULL);

  self = g_object_new (WPC_TYPE_POINT_PHONES_DIALOG, "transient-for", parent, NULL);
  self->port = port;
  load_addresses (self, bind_address);
  return self;
}

GStrv
wpc_point_phones_dialog_get_dls_addresses (WpcPointPhonesDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->dls_addresses));

  g_return_val_if_fail (WPC_IS_POINT_PHONES_DIALOG (self), NULL);

  for (guint i = 0; i < n; i++)
    g_strv_builder_add (builder, gtk_string_list_get_string (self->dls_addresses, i));
  return g_strv_builder_end (builder);
}

void
wpc_point_phones_dialog_select (WpcPointPhonesDialog *self,
                                guint                 position)
{
  g_return_if_fail (WPC_IS_POINT_PHONES_DIALOG (self));

  gtk_drop_down_set_selected (self->address_dropdown, position);
}
