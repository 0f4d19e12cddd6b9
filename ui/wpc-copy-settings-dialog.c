/* wpc-copy-settings-dialog.c: preview and queue the copy of one phone's settings (D27)
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-compare-dialog.h"
#include "wpc-copy-settings-dialog.h"
#include "wpc-store-work.h"
#include "wpi-config-diff.h"

/* What one target's job would carry */
typedef struct {
  char      *mac;
  GPtrArray *differences; /* WpiConfigDifference; the writable ones are copied */
  guint      n_items;
} TargetPreview;

struct _WpcCopySettingsDialog
{
  GtkWindow        parent_instance;

  GtkDropDown     *source_dropdown;
  GtkLabel        *status_label;
  GtkBox          *preview_box;
  GtkWidget       *queue_button;
  GtkToggleButton *reveal_button;

  char            *data_dir;
  GStrv            macs;
  GPtrArray       *previews;    /* TargetPreview of the chosen source, or NULL */
  GCancellable    *cancellable; /* of the work under way; cancelled in dispose */
  guint            pending;
  gboolean         queueing;
};

G_DEFINE_FINAL_TYPE (WpcCopySettingsDialog, wpc_copy_settings_dialog, GTK_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum {
  QUEUED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
target_preview_free (TargetPreview *preview)
{
  g_free (preview->mac);
  g_clear_pointer (&preview->differences, g_ptr_array_unref);
  g_free (preview);
}

static const char *
source_mac (WpcCopySettingsDialog *self)
{
  guint position = gtk_drop_down_get_selected (self->source_dropdown);

  if (position == GTK_INVALID_LIST_POSITION || position >= g_strv_length (self->macs))
    return NULL;
  return self->macs[position];
}

/* The selection but the source */
static GStrv
target_macs (WpcCopySettingsDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *source = source_mac (self);

  for (guint i = 0; self->macs[i] != NULL; i++)
    if (g_strcmp0 (self->macs[i], source) != 0)
      g_strv_builder_add (builder, self->macs[i]);
  return g_strv_builder_end (builder);
}

static void
set_pending (WpcCopySettingsDialog *self,
             int                    change)
{
  gboolean was_busy = self->pending > 0;

  self->pending += change;
  gtk_widget_set_sensitive (self->queue_button,
                            self->pending == 0 && wpc_copy_settings_dialog_get_n_items (self) > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->source_dropdown), !self->queueing);
  if (was_busy != (self->pending > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* Preview ------------------------------------------------------------------------ */

static void
show_preview (WpcCopySettingsDialog *self)
{
  gboolean reveal = gtk_toggle_button_get_active (self->reveal_button);
  guint n_items = wpc_copy_settings_dialog_get_n_items (self);
  guint n_jobs = 0;
  g_autofree char *status = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->preview_box))) != NULL)
    gtk_box_remove (self->preview_box, child);
  for (guint i = 0; self->previews != NULL && i < self->previews->len; i++)
    {
      const TargetPreview *preview = g_ptr_array_index (self->previews, i);
      GtkWidget *items_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
      g_autofree char *title = preview->n_items == 0
        /* Translators: %s is a MAC address */
        ? g_strdup_printf (_("%s: nothing to change"), preview->mac)
        /* Translators: %s is a MAC address, %u how many items its job writes */
        : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u item", "%s: %u items", preview->n_items),
                           preview->mac, preview->n_items);
      GtkWidget *expander = gtk_expander_new (title);

      n_jobs += preview->n_items > 0;
      wpc_config_differences_fill (GTK_BOX (items_box), preview->differences, _("Now"), _("New value"),
                                   reveal, TRUE);
      gtk_widget_set_margin_start (items_box, 12);
      gtk_expander_set_child (GTK_EXPANDER (expander), items_box);
      gtk_expander_set_expanded (GTK_EXPANDER (expander), preview->n_items > 0 && self->previews->len <= 5);
      gtk_box_append (self->preview_box, expander);
    }

  if (self->previews == NULL)
    return;
  if (n_items == 0)
    status = g_strdup (_("The phones have these settings already: there is nothing to queue."));
  else
    {
      g_autofree char *jobs = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u write-items job will be queued",
                                                            "%u write-items jobs will be queued", n_jobs), n_jobs);
      g_autofree char *items = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "with %u item in all.",
                                                             "with %u items in all.", n_items), n_items);

      status = g_strdup_printf ("%s %s %s", jobs, items, _("Identity and read-only items are never copied."));
    }
  gtk_label_set_text (self->status_label, status);
}

static gpointer
preview_in_store (WpiStore      *store,
                  gpointer       data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  GStrv macs = data; /* the source, then the targets */
  g_autoptr(GPtrArray) previews = g_ptr_array_new_with_free_func ((GDestroyNotify) target_preview_free);

  for (guint i = 1; macs[i] != NULL; i++)
    {
      TargetPreview *preview = g_new0 (TargetPreview, 1);
      g_autoptr(GArray) items = NULL;

      preview->mac = g_strdup (macs[i]);
      g_ptr_array_add (previews, preview);
      preview->differences = wpi_config_diff_phones (store, wpi_catalogue_get_default (), macs[0], macs[i], error);
      if (preview->differences == NULL)
        return NULL;
      items = wpi_config_diff_copy_items (preview->differences);
      preview->n_items = items->len;
    }
  return g_steal_pointer (&previews);
}

static void
on_previewed (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(WpcCopySettingsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *previews = wpc_store_work_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      set_pending (self, -1);
      return;
    }
  self->previews = previews;
  set_pending (self, -1);
  if (previews == NULL)
    {
      /* Translators: %s says why */
      g_autofree char *text = g_strdup_printf (_("Could not compare the phones: %s"), error->message);
      gtk_label_set_text (self->status_label, text);
    }
  show_preview (self);
}

static void
preview_selected_source (WpcCopySettingsDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) targets = target_macs (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->previews, g_ptr_array_unref);
  show_preview (self);
  if (source_mac (self) == NULL)
    return;

  gtk_label_set_text (self->status_label, _("Comparing the phones…"));
  g_strv_builder_add (builder, source_mac (self));
  g_strv_builder_addv (builder, (const char **) targets);
  self->cancellable = g_cancellable_new ();
  set_pending (self, 1);
  wpc_store_work_async (self->data_dir, preview_in_store, g_strv_builder_end (builder), (GDestroyNotify) g_strfreev,
                        (GDestroyNotify) g_ptr_array_unref, self->cancellable, on_previewed, g_object_ref (self));
}

static void
on_source_selected (WpcCopySettingsDialog *self)
{
  if (self->macs != NULL && !self->queueing)
    preview_selected_source (self);
}

static void
on_reveal_toggled (WpcCopySettingsDialog *self)
{
  show_preview (self);
}

/* Queueing ------------------------------------------------------------------------ */

static gpointer
queue_in_store (WpiStore      *store,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  GStrv macs = data; /* the source, then the targets */
  GArray *job_ids = NULL;

  /* made from the store as it is now, in one transaction: all or none */
  if (!wpi_config_copy_enqueue (store, wpi_catalogue_get_default (), macs[0], (const char * const *) macs + 1,
                                &job_ids, error))
    return NULL;
  return job_ids;
}

static void
on_queued (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(WpcCopySettingsDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) job_ids = wpc_store_work_finish (result, &error);
  guint n_jobs = 0;

  self->queueing = FALSE;
  set_pending (self, -1);
  if (job_ids == NULL)
    {
      /* Translators: %s says why; nothing was queued */
      g_autofree char *text = g_strdup_printf (_("Nothing was queued: %s"), error->message);
      gtk_label_set_text (self->status_label, text);
      return;
    }
  for (guint i = 0; i < job_ids->len; i++)
    n_jobs += g_array_index (job_ids, gint64, i) != 0;
  g_signal_emit (self, signals[QUEUED], 0, n_jobs);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
on_queue_clicked (WpcCopySettingsDialog *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) targets = target_macs (self);

  g_strv_builder_add (builder, source_mac (self));
  g_strv_builder_addv (builder, (const char **) targets);
  self->queueing = TRUE;
  set_pending (self, 1);
  gtk_label_set_text (self->status_label, _("Queueing…"));
  /* not cancelled with the dialog: once asked for, the jobs are queued or not at all */
  wpc_store_work_async (self->data_dir, queue_in_store, g_strv_builder_end (builder), (GDestroyNotify) g_strfreev,
                        (GDestroyNotify) g_array_unref, NULL, on_queued, g_object_ref (self));
}

/* GObject ------------------------------------------------------------------------ */

static void
wpc_copy_settings_dialog_dispose (GObject *object)
{
  WpcCopySettingsDialog *self = WPC_COPY_SETTINGS_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_COPY_SETTINGS_DIALOG);

  G_OBJECT_CLASS (wpc_copy_settings_dialog_parent_class)->dispose (object);
}

static void
wpc_copy_settings_dialog_finalize (GObject *object)
{
  WpcCopySettingsDialog *self = WPC_COPY_SETTINGS_DIALOG (object);

  g_clear_pointer (&self->previews, g_ptr_array_unref);
  g_strfreev (self->macs);
  g_free (self->data_dir);

  G_OBJECT_CLASS (wpc_copy_settings_dialog_parent_class)->finalize (object);
}

static void
wpc_copy_settings_dialog_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  WpcCopySettingsDialog *self = WPC_COPY_SETTINGS_DIALOG (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, wpc_copy_settings_dialog_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_copy_settings_dialog_class_init (WpcCopySettingsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_copy_settings_dialog_dispose;
  object_class->finalize = wpc_copy_settings_dialog_finalize;
  object_class->get_property = wpc_copy_settings_dialog_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WpcCopySettingsDialog::queued:
   * @n_jobs: the write-items jobs queued (targets that agreed already get none)
   *
   * The jobs are in the store; the dialog closes after this.
   */
  signals[QUEUED] = g_signal_new ("queued", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/workpoint/Console/wpc-copy-settings-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcCopySettingsDialog, source_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WpcCopySettingsDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, WpcCopySettingsDialog, preview_box);
  gtk_widget_class_bind_template_child (widget_class, WpcCopySettingsDialog, queue_button);
  gtk_widget_class_bind_template_child (widget_class, WpcCopySettingsDialog, reveal_button);
  gtk_widget_class_bind_template_callback (widget_class, on_source_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_reveal_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_queue_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
wpc_copy_settings_dialog_init (WpcCopySettingsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

WpcCopySettingsDialog *
wpc_copy_settings_dialog_new (GtkWindow          *parent,
                              const char         *data_dir,
                              const char * const *macs)
{
  WpcCopySettingsDialog *self;
  g_autoptr(GtkStringList) titles = NULL;

  g_return_val_if_fail (data_dir != NULL && macs != NULL && g_strv_length ((GStrv) macs) >= 2, NULL);

  self = g_object_new (WPC_TYPE_COPY_SETTINGS_DIALOG, "transient-for", parent, NULL);
  self->data_dir = g_strdup (data_dir);
  self->macs = g_strdupv ((GStrv) macs);
  titles = gtk_string_list_new ((const char * const *) self->macs);
  /* selecting the first phone previews the copy from it (on_source_selected) */
  gtk_drop_down_set_model (self->source_dropdown, G_LIST_MODEL (titles));
  if (self->pending == 0)
    preview_selected_source (self);
  return self;
}

gboolean
wpc_copy_settings_dialog_set_source (WpcCopySettingsDialog *self,
                                     const char            *mac)
{
  g_return_val_if_fail (WPC_IS_COPY_SETTINGS_DIALOG (self), FALSE);

  for (guint i = 0; self->macs[i] != NULL; i++)
    if (g_strcmp0 (self->macs[i], mac) == 0)
      {
        if (gtk_drop_down_get_selected (self->source_dropdown) != i)
          gtk_drop_down_set_selected (self->source_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

gboolean
wpc_copy_settings_dialog_get_busy (WpcCopySettingsDialog *self)
{
  g_return_val_if_fail (WPC_IS_COPY_SETTINGS_DIALOG (self), FALSE);

  return self->pending > 0;
}

guint
wpc_copy_settings_dialog_get_n_items (WpcCopySettingsDialog *self)
{
  guint n_items = 0;

  g_return_val_if_fail (WPC_IS_COPY_SETTINGS_DIALOG (self), 0);

  for (guint i = 0; self->previews != NULL && i < self->previews->len; i++)
    n_items += ((TargetPreview *) g_ptr_array_index (self->previews, i))->n_items;
  return n_items;
}
