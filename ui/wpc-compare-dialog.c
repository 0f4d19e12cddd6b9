/* wpc-compare-dialog.c: a phone's settings against another phone's or a profile's (D27)
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-compare-dialog.h"
#include "wpc-store-work.h"
#include "wpi-config-diff.h"
#include "wpi-phone.h"

/* As the details pane masks a secret (wpc-phone-details.c) */
#define MASKED_VALUE "••••••••"

typedef struct {
  char     *key;     /* a MAC or a profile name */
  gboolean  profile;
} Choice;

struct _WpcCompareDialog
{
  GtkWindow        parent_instance;

  GtkLabel        *with_label;
  GtkDropDown     *other_dropdown;
  GtkLabel        *status_label;
  GtkBox          *differences_box;
  GtkToggleButton *reveal_button;

  char            *data_dir;
  char            *mac;
  GPtrArray       *choices;       /* Choice, in the dropdown's order */
  GtkStringList   *choice_titles;
  GPtrArray       *differences;   /* of the last comparison, or NULL */
  GCancellable    *cancellable;   /* of the work under way; cancelled in dispose */
  guint            pending;       /* store work under way */
};

G_DEFINE_FINAL_TYPE (WpcCompareDialog, wpc_compare_dialog, GTK_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
choice_free (Choice *choice)
{
  g_free (choice->key);
  g_free (choice);
}

/* Rendering ---------------------------------------------------------------------- */

static GtkWidget *
cell_label (const char *text,
            gboolean    dim)
{
  GtkWidget *label = gtk_label_new (text != NULL ? text : "—");

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 30);
  gtk_widget_set_hexpand (label, TRUE);
  if (dim || text == NULL)
    gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static char *
shown_value (const WpiConfigDifference *difference,
             const char                *value,
             gboolean                   reveal)
{
  g_autofree char *meaning = NULL;

  if (value == NULL)
    return NULL;
  if (difference->secret && !reveal)
    return g_strdup (MASKED_VALUE);
  meaning = wpi_catalogue_describe_value (wpi_catalogue_get_default (), difference->name, value);
  return meaning != NULL ? g_strdup_printf ("%s (%s)", value, meaning) : g_strdup (value);
}

static GtkWidget *
new_grid (const char *this_title,
          const char *other_title)
{
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_column_spacing (GTK_GRID (grid), 18);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 3);
  gtk_widget_set_margin_start (grid, 12);
  gtk_grid_attach (GTK_GRID (grid), cell_label (_("Item"), TRUE), 0, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), cell_label (this_title, TRUE), 1, 0, 1, 1);
  gtk_grid_attach (GTK_GRID (grid), cell_label (other_title, TRUE), 2, 0, 1, 1);
  return grid;
}

void
wpc_config_differences_fill (GtkBox     *box,
                             GPtrArray  *differences,
                             const char *this_title,
                             const char *other_title,
                             gboolean    reveal,
                             gboolean    writable_only)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  const char *category = NULL;
  GtkWidget *grid = NULL;
  GtkWidget *child;
  int row = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (box))) != NULL)
    gtk_box_remove (box, child);

  for (guint i = 0; differences != NULL && i < differences->len; i++)
    {
      const WpiConfigDifference *difference = g_ptr_array_index (differences, i);
      g_autofree char *name = NULL;
      g_autofree char *this_value = NULL;
      g_autofree char *other_value = NULL;

      if (writable_only && !difference->writable)
        continue;
      if (g_strcmp0 (category, difference->category) != 0)
        {
          GtkWidget *heading = gtk_label_new (wpi_catalogue_get_category_title (catalogue, difference->category));

          category = difference->category;
          gtk_label_set_xalign (GTK_LABEL (heading), 0);
          gtk_widget_add_css_class (heading, "heading");
          gtk_widget_set_margin_top (heading, 6);
          gtk_box_append (box, heading);
          grid = new_grid (this_title, other_title);
          gtk_box_append (box, grid);
          row = 1;
        }
      name = difference->has_index ? g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", difference->name, difference->index)
                                   : g_strdup (difference->name);
      this_value = shown_value (difference, difference->target_value, reveal);
      other_value = shown_value (difference, difference->source_value, reveal);
      gtk_grid_attach (GTK_GRID (grid), cell_label (name, FALSE), 0, row, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), cell_label (this_value, FALSE), 1, row, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), cell_label (other_value, FALSE), 2, row, 1, 1);
      row++;
    }
}

static const Choice *
selected_choice (WpcCompareDialog *self)
{
  guint position = gtk_drop_down_get_selected (self->other_dropdown);

  if (position == GTK_INVALID_LIST_POSITION || position >= self->choices->len)
    return NULL;
  return g_ptr_array_index (self->choices, position);
}

static void
show_differences (WpcCompareDialog *self)
{
  const Choice *choice = selected_choice (self);
  g_autofree char *other_title = NULL;

  if (choice == NULL || self->differences == NULL)
    {
      wpc_config_differences_fill (self->differences_box, NULL, NULL, NULL, FALSE, FALSE);
      return;
    }
  /* Translators: a column title, %s is a profile's name */
  other_title = choice->profile ? g_strdup_printf (_("Profile “%s”"), choice->key) : g_strdup (choice->key);
  wpc_config_differences_fill (self->differences_box, self->differences, self->mac, other_title,
                               gtk_toggle_button_get_active (self->reveal_button), FALSE);
  if (self->differences->len == 0)
    gtk_label_set_text (self->status_label, _("The settings are the same (identity items left out)."));
  else
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u difference (identity items left out)",
                                      "%u differences (identity items left out)", self->differences->len),
                         self->differences->len);
      gtk_label_set_text (self->status_label, text);
    }
}

/* Store work ---------------------------------------------------------------------- */

static void
set_pending (WpcCompareDialog *self,
             int               change)
{
  gboolean was_busy = self->pending > 0;

  self->pending += change;
  if (was_busy != (self->pending > 0))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static gpointer
compare_in_store (WpiStore      *store,
                  gpointer       data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  GStrv request = data; /* mac, key, "profile" or "phone" */

  if (g_str_equal (request[2], "profile"))
    return wpi_config_diff_profile (store, wpi_catalogue_get_default (), request[1], request[0], error);
  return wpi_config_diff_phones (store, wpi_catalogue_get_default (), request[1], request[0], error);
}

static void
on_compared (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(WpcCompareDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *differences = wpc_store_work_finish (result, &error);

  set_pending (self, -1);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_pointer (&self->differences, g_ptr_array_unref);
  self->differences = differences;
  if (differences == NULL)
    {
      /* Translators: %s says why, e.g. "no such phone" */
      g_autofree char *text = g_strdup_printf (_("Could not compare: %s"), error->message);
      gtk_label_set_text (self->status_label, text);
    }
  show_differences (self);
}

static void
compare_selected (WpcCompareDialog *self)
{
  const Choice *choice = selected_choice (self);
  GStrv request;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->differences, g_ptr_array_unref);
  show_differences (self);
  if (choice == NULL)
    {
      gtk_label_set_text (self->status_label, _("There is no other phone or profile to compare with."));
      return;
    }

  gtk_label_set_text (self->status_label, _("Comparing…"));
  self->cancellable = g_cancellable_new ();
  request = g_strdupv ((char *[]) { self->mac, choice->key, choice->profile ? "profile" : "phone", NULL });
  set_pending (self, 1);
  wpc_store_work_async (self->data_dir, compare_in_store, request, (GDestroyNotify) g_strfreev,
                        (GDestroyNotify) g_ptr_array_unref, self->cancellable, on_compared, g_object_ref (self));
}

static void
add_choice (WpcCompareDialog *self,
            const char       *key,
            gboolean          profile,
            const char       *title)
{
  Choice *choice = g_new0 (Choice, 1);

  choice->key = g_strdup (key);
  choice->profile = profile;
  g_ptr_array_add (self->choices, choice);
  gtk_string_list_append (self->choice_titles, title);
}

static gpointer
list_profiles_in_store (WpiStore      *store,
                        gpointer       data,
                        GCancellable  *cancellable,
                        GError       **error)
{
  return wpi_store_profile_list (store, error);
}

static void
on_profiles_listed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(WpcCompareDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) profiles = wpc_store_work_finish (result, &error);
  gboolean had_choices = self->choices->len > 0;

  set_pending (self, -1);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  for (guint i = 0; profiles != NULL && i < profiles->len; i++)
    {
      const WpiProfileRecord *profile = g_ptr_array_index (profiles, i);
      /* Translators: a choice in "Compare with", %s is a profile's name */
      g_autofree char *title = g_strdup_printf (_("Profile “%s”"), profile->name);

      add_choice (self, profile->name, TRUE, title);
    }
  if (error != NULL)
    gtk_label_set_text (self->status_label, error->message);
  else if (!had_choices && self->pending == 0)
    compare_selected (self);
}

static void
on_other_selected (WpcCompareDialog *self)
{
  if (self->choices != NULL && self->data_dir != NULL)
    compare_selected (self);
}

static void
on_reveal_toggled (WpcCompareDialog *self)
{
  show_differences (self);
}

/* GObject ------------------------------------------------------------------------ */

static void
wpc_compare_dialog_dispose (GObject *object)
{
  WpcCompareDialog *self = WPC_COMPARE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_COMPARE_DIALOG);

  G_OBJECT_CLASS (wpc_compare_dialog_parent_class)->dispose (object);
}

static void
wpc_compare_dialog_finalize (GObject *object)
{
  WpcCompareDialog *self = WPC_COMPARE_DIALOG (object);

  g_clear_pointer (&self->choices, g_ptr_array_unref);
  g_clear_object (&self->choice_titles);
  g_clear_pointer (&self->differences, g_ptr_array_unref);
  g_free (self->data_dir);
  g_free (self->mac);

  G_OBJECT_CLASS (wpc_compare_dialog_parent_class)->finalize (object);
}

static void
wpc_compare_dialog_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  WpcCompareDialog *self = WPC_COMPARE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, wpc_compare_dialog_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_compare_dialog_class_init (WpcCompareDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_compare_dialog_dispose;
  object_class->finalize = wpc_compare_dialog_finalize;
  object_class->get_property = wpc_compare_dialog_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-compare-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcCompareDialog, with_label);
  gtk_widget_class_bind_template_child (widget_class, WpcCompareDialog, other_dropdown);
  gtk_widget_class_bind_template_child (widget_class, WpcCompareDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, WpcCompareDialog, differences_box);
  gtk_widget_class_bind_template_child (widget_class, WpcCompareDialog, reveal_button);
  gtk_widget_class_bind_template_callback (widget_class, on_other_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_reveal_toggled);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
wpc_compare_dialog_init (WpcCompareDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

WpcCompareDialog *
wpc_compare_dialog_new (GtkWindow  *parent,
                        const char *data_dir,
                        const char *mac,
                        GListModel *phones)
{
  WpcCompareDialog *self;
  g_autofree char *title = NULL;
  g_autofree char *with = NULL;
  guint n_phones = phones != NULL ? g_list_model_get_n_items (phones) : 0;

  g_return_val_if_fail (data_dir != NULL && mac != NULL, NULL);

  self = g_object_new (WPC_TYPE_COMPARE_DIALOG, "transient-for", parent, NULL);
  self->data_dir = g_strdup (data_dir);
  self->mac = g_strdup (mac);
  self->choices = g_ptr_array_new_with_free_func ((GDestroyNotify) choice_free);
  self->choice_titles = gtk_string_list_new (NULL);

  /* Translators: the window title, %s is a MAC address */
  title = g_strdup_printf (_("Compare %s"), mac);
  gtk_window_set_title (GTK_WINDOW (self), title);
  /* Translators: %s is a MAC address; the underline marks the mnemonic */
  with = g_strdup_printf (_("Compare %s _with"), mac);
  gtk_label_set_text_with_mnemonic (self->with_label, with);

  for (guint i = 0; i < n_phones; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);
      const char *e164 = wpi_phone_get_e164 (phone);
      g_autofree char *phone_title = NULL;

      if (g_strcmp0 (wpi_phone_get_mac (phone), mac) == 0)
        continue;
      phone_title = e164 != NULL && e164[0] != '\0' ? g_strdup_printf ("%s (%s)", wpi_phone_get_mac (phone), e164)
                                                    : g_strdup (wpi_phone_get_mac (phone));
      add_choice (self, wpi_phone_get_mac (phone), FALSE, phone_title);
    }
  /* selecting the first choice compares with it (on_other_selected) */
  gtk_drop_down_set_model (self->other_dropdown, G_LIST_MODEL (self->choice_titles));
  if (self->choices->len > 0 && self->pending == 0)
    compare_selected (self);

  set_pending (self, 1);
  wpc_store_work_async (self->data_dir, list_profiles_in_store, NULL, NULL, (GDestroyNotify) g_ptr_array_unref,
                        NULL, on_profiles_listed, g_object_ref (self));
  return self;
}

static gboolean
select_choice (WpcCompareDialog *self,
               const char       *key,
               gboolean          profile)
{
  for (guint i = 0; i < self->choices->len; i++)
    {
      const Choice *choice = g_ptr_array_index (self->choices, i);

      if (choice->profile == profile && g_strcmp0 (choice->key, key) == 0)
        {
          if (gtk_drop_down_get_selected (self->other_dropdown) == i)
            compare_selected (self);
          else
            gtk_drop_down_set_selected (self->other_dropdown, i);
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
wpc_compare_dialog_select_phone (WpcCompareDialog *self,
                                 const char       *mac)
{
  g_return_val_if_fail (WPC_IS_COMPARE_DIALOG (self), FALSE);

  return select_choice (self, mac, FALSE);
}

gboolean
wpc_compare_dialog_select_profile (WpcCompareDialog *self,
                                   const char       *profile)
{
  g_return_val_if_fail (WPC_IS_COMPARE_DIALOG (self), FALSE);

  return select_choice (self, profile, TRUE);
}

gboolean
wpc_compare_dialog_get_busy (WpcCompareDialog *self)
{
  g_return_val_if_fail (WPC_IS_COMPARE_DIALOG (self), FALSE);

  return self->pending > 0;
}

guint
wpc_compare_dialog_get_n_differences (WpcCompareDialog *self)
{
  g_return_val_if_fail (WPC_IS_COMPARE_DIALOG (self), G_MAXUINT);

  return self->differences != NULL ? self->differences->len : G_MAXUINT;
}
