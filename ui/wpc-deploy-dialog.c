/* wpc-deploy-dialog.c: a file or a firmware image to deploy to phones */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-accessible.h"
#include "wpc-deploy-dialog.h"
#include "wpi-catalogue.h"

struct _WpcDeployDialog
{
  GtkWindow             parent_instance;

  /* template */
  GtkButton            *deploy_button;
  GtkLabel             *intro_label;
  GtkExpander          *targets_expander;
  GtkLabel             *targets_label;
  GtkLabel             *file_label;
  GtkWidget            *type_caption;
  GtkDropDown          *type_dropdown;
  GtkWidget            *version_caption;
  GtkEntry             *version_entry;
  GtkLabel             *message_label;
  GtkLabel             *note_label;

  gboolean              firmware;
  GFile                *file;
  GPtrArray            *file_types;  /* char *: the values behind type_dropdown's rows */
  GtkFileChooserNative *chooser;
  gboolean              valid;
};

G_DEFINE_FINAL_TYPE (WpcDeployDialog, wpc_deploy_dialog, GTK_TYPE_WINDOW)

enum {
  APPLY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
check (WpcDeployDialog *self)
{
  g_autoptr(GError) error = NULL;
  gboolean valid = self->file != NULL;

  if (self->firmware)
    {
      const char *version = gtk_editable_get_text (GTK_EDITABLE (self->version_entry));

      if (version[0] == '\0')
        valid = FALSE;
      else if (!wpi_catalogue_validate (wpi_catalogue_get_default (), "file-sw-version", FALSE, 0,
                                        version, &error))
        valid = FALSE;
    }
  else if (gtk_drop_down_get_selected (self->type_dropdown) == GTK_INVALID_LIST_POSITION)
    valid = FALSE;

  gtk_label_set_text (self->message_label, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), error != NULL);
  if (error != NULL)
    gtk_accessible_update_state (GTK_ACCESSIBLE (self->version_entry), GTK_ACCESSIBLE_STATE_INVALID,
                                 GTK_ACCESSIBLE_INVALID_TRUE, -1);
  else
    gtk_accessible_reset_state (GTK_ACCESSIBLE (self->version_entry), GTK_ACCESSIBLE_STATE_INVALID);

  self->valid = valid;
  gtk_widget_set_sensitive (GTK_WIDGET (self->deploy_button), valid);
}

static void
on_deploy_clicked (WpcDeployDialog *self)
{
  check (self);
  if (self->valid)
    g_signal_emit (self, signals[APPLY], 0);
}

static void
on_chooser_response (GtkNativeDialog *chooser,
                     int              response,
                     WpcDeployDialog *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      wpc_deploy_dialog_set_file (self, file);
    }
  g_clear_object (&self->chooser);
}

static void
on_choose_clicked (WpcDeployDialog *self)
{
  if (self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (self->firmware ? _("Choose a Firmware Image") : _("Choose a File"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (on_chooser_response), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* The file types a phone stores, from the catalogue's file-type enumeration. */
static void
fill_file_types (WpcDeployDialog *self)
{
  WpiItemInfo *info = wpi_catalogue_lookup (wpi_catalogue_get_default (), "file-type");
  g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
  const WpiEnumValue *values = NULL;
  guint n_values = 0;

  if (info != NULL)
    values = wpi_item_info_get_enum_values (info, &n_values);
  for (guint i = 0; i < n_values; i++)
    {
      g_autofree char *label = NULL;

      /* Firmware goes through Deploy Firmware, which adds what the phone needs for it */
      if (g_str_equal (values[i].value, "APP"))
        continue;
      label = values[i].meaning != NULL && values[i].meaning[0] != '\0'
              ? g_strdup_printf ("%s (%s)", values[i].meaning, values[i].value)
              : g_strdup (values[i].value);
      gtk_string_list_append (labels, label);
      g_ptr_array_add (self->file_types, g_strdup (values[i].value));
    }
  gtk_drop_down_set_model (self->type_dropdown, G_LIST_MODEL (labels));
}

static void
wpc_deploy_dialog_dispose (GObject *object)
{
  WpcDeployDialog *self = WPC_DEPLOY_DIALOG (object);

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_DEPLOY_DIALOG);
  g_clear_object (&self->file);
  g_clear_pointer (&self->file_types, g_ptr_array_unref);

  G_OBJECT_CLASS (wpc_deploy_dialog_parent_class)->dispose (object);
}

static void
wpc_deploy_dialog_class_init (WpcDeployDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_deploy_dialog_dispose;

  /**
   * WpcDeployDialog::apply:
   *
   * The user confirmed a valid choice. The handler closes the dialog.
   */
  signals[APPLY] = g_signal_new ("apply", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-deploy-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, deploy_button);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, targets_expander);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, targets_label);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, file_label);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, type_caption);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, type_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, version_caption);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, version_entry);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, WpcDeployDialog, note_label);
  gtk_widget_class_bind_template_callback (widget_class, check);
  gtk_widget_class_bind_template_callback (widget_class, on_deploy_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_choose_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
wpc_deploy_dialog_init (WpcDeployDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));

  self->file_types = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect_object (self->type_dropdown, "notify::selected", G_CALLBACK (check), self, G_CONNECT_SWAPPED);
}

/**
 * wpc_deploy_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @firmware: a firmware image (software deployment) rather than a file
 * @targets: the phones it is for, one per line
 */
WpcDeployDialog *
wpc_deploy_dialog_new (GtkWindow  *parent,
                       gboolean    firmware,
                       const char *targets)
{
  WpcDeployDialog *self = g_object_new (WPC_TYPE_DEPLOY_DIALOG, "transient-for", parent, NULL);

  self->firmware = firmware;
  gtk_widget_set_visible (self->type_caption, !firmware);
  gtk_widget_set_visible (GTK_WIDGET (self->type_dropdown), !firmware);
  gtk_widget_set_visible (self->version_caption, firmware);
  gtk_widget_set_visible (GTK_WIDGET (self->version_entry), firmware);
  if (firmware)
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Deploy Firmware"));
      gtk_label_set_text (self->intro_label,
                          _("The phones download the image and restart into it when they are idle. "
                            "Enter the version the image carries, as the phones report it "
                            "in dotted form."));
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Deploy File"));
      gtk_label_set_text (self->intro_label,
                          _("The phones download the file and keep it as the chosen type: a logo, "
                            "a ringer file, hold music and so on."));
      fill_file_types (self);
    }
  gtk_label_set_text (self->note_label,
                      _("The file is copied into the console’s data folder and served to the "
                        "phones over HTTPS by the console itself."));
  gtk_label_set_text (self->file_label, _("No file chosen"));
  gtk_expander_set_expanded (self->targets_expander, TRUE);
  gtk_label_set_text (self->targets_label, targets != NULL ? targets : "");
  check (self);
  return self;
}

gboolean
wpc_deploy_dialog_get_firmware (WpcDeployDialog *self)
{
  g_return_val_if_fail (WPC_IS_DEPLOY_DIALOG (self), FALSE);
  return self->firmware;
}

/**
 * wpc_deploy_dialog_get_file:
 *
 * Returns: (transfer none) (nullable): the chosen file
 */
GFile *
wpc_deploy_dialog_get_file (WpcDeployDialog *self)
{
  g_return_val_if_fail (WPC_IS_DEPLOY_DIALOG (self), NULL);
  return self->file;
}

void
wpc_deploy_dialog_set_file (WpcDeployDialog *self,
                            GFile           *file)
{
  g_return_if_fail (WPC_IS_DEPLOY_DIALOG (self));
  g_return_if_fail (file == NULL || G_IS_FILE (file));

  g_set_object (&self->file, file);
  if (file != NULL)
    {
      g_autofree char *name = g_file_get_parse_name (file);
      gtk_label_set_text (self->file_label, name);
    }
  else
    gtk_label_set_text (self->file_label, _("No file chosen"));
  check (self);
}

const char *
wpc_deploy_dialog_get_file_type (WpcDeployDialog *self)
{
  guint selected;

  g_return_val_if_fail (WPC_IS_DEPLOY_DIALOG (self), NULL);

  selected = gtk_drop_down_get_selected (self->type_dropdown);
  if (self->firmware || selected >= self->file_types->len)
    return NULL;
  return g_ptr_array_index (self->file_types, selected);
}

/* FALSE when the catalogue has no such file type */
gboolean
wpc_deploy_dialog_set_file_type (WpcDeployDialog *self,
                                 const char      *file_type)
{
  guint position;

  g_return_val_if_fail (WPC_IS_DEPLOY_DIALOG (self), FALSE);

  if (!g_ptr_array_find_with_equal_func (self->file_types, file_type, g_str_equal, &position))
    return FALSE;
  gtk_drop_down_set_selected (self->type_dropdown, position);
  return TRUE;
}

const char *
wpc_deploy_dialog_get_sw_version (WpcDeployDialog *self)
{
  g_return_val_if_fail (WPC_IS_DEPLOY_DIALOG (self), NULL);

  if (!self->firmware)
    return NULL;
  return gtk_editable_get_text (GTK_EDITABLE (self->version_entry));
}

gboolean
wpc_deploy_dialog_get_valid (WpcDeployDialog *self)
{
  g_return_val_if_fail (WPC_IS_DEPLOY_DIALOG (self), FALSE);
  return self->valid;
}
