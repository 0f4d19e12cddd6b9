/* wpc-phones-view-layout.c: the Phones view adapts to its width (issue 12 §4)
 *
 * State, MAC, Number and Mode always show; the other columns show, most useful first,
 * while they fit in the list's width, so that a 1024x600 window needs no sideways
 * scrolling. The columns' header menu lets the user show a column anyway (the list then
 * scrolls) or hide it for good; the choice is kept in GSettings (phones-columns-shown,
 * phones-columns-hidden, by the WpiPhone property each column shows), as is the width of the details pane (phones-details-width).
 * When the list is wider than its columns, the text columns take the rest.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-phones-view-private.h"

#define SHOWN_KEY         "phones-columns-shown"
#define HIDDEN_KEY        "phones-columns-hidden"
#define DETAILS_WIDTH_KEY "phones-details-width"

/* The optional columns, the first to show when there is room first: what a technician
 * provisioning phones looks at most (which phone, where, is its work done) */
static const WpcPhonesColumn optional_columns[] = {
  WPC_PHONES_COLUMN_MODEL,
  WPC_PHONES_COLUMN_IP,
  WPC_PHONES_COLUMN_PENDING_JOBS,
  WPC_PHONES_COLUMN_LOCATION,
  WPC_PHONES_COLUMN_FIRMWARE,
  WPC_PHONES_COLUMN_LAST_CONTACT,
};

/* Never hidden for want of width */
static const gboolean essential[WPC_PHONES_N_COLUMNS] = {
  [WPC_PHONES_COLUMN_STATE] = TRUE,
  [WPC_PHONES_COLUMN_MAC] = TRUE,
  [WPC_PHONES_COLUMN_NUMBER] = TRUE,
  [WPC_PHONES_COLUMN_MODE] = TRUE,
};

static gboolean
listed_in (WpcPhonesView   *self,
           const char      *key,
           WpcPhonesColumn  column)
{
  g_auto(GStrv) ids = NULL;

  if (self->settings == NULL)
    return FALSE;
  ids = g_settings_get_strv (self->settings, key);
  return g_strv_contains ((const char * const *) ids, _wpc_phones_view_column_id (column));
}

/* GTK 4.8's column view still counts a hidden column's fixed width in the list's width
 * (an empty strip at its right end): a hidden column keeps its width here and has 0 in
 * GTK. */
static int
column_width (WpcPhonesView   *self,
              WpcPhonesColumn  column)
{
  if (!gtk_column_view_column_get_visible (self->columns[column]))
    return self->hidden_widths[column];
  return MAX (gtk_column_view_column_get_fixed_width (self->columns[column]), 0);
}

static void
set_fixed_width (WpcPhonesView   *self,
                 WpcPhonesColumn  column,
                 int              width)
{
  gboolean setting = self->setting_widths;

  /* Not the user's drag (on_column_width in wpc-phones-view-columns.c) */
  self->setting_widths = TRUE;
  gtk_column_view_column_set_fixed_width (self->columns[column], width);
  self->setting_widths = setting;
}

/* The width the column has when shown */
void
_wpc_phones_view_set_column_width (WpcPhonesView   *self,
                                   WpcPhonesColumn  column,
                                   int              width)
{
  if (gtk_column_view_column_get_visible (self->columns[column]))
    set_fixed_width (self, column, width);
  else
    self->hidden_widths[column] = width;
}

static void
set_column_visible (WpcPhonesView   *self,
                    WpcPhonesColumn  column,
                    gboolean         visible)
{
  if (gtk_column_view_column_get_visible (self->columns[column]) != visible)
    {
      if (visible)
        set_fixed_width (self, column, self->hidden_widths[column]);
      else
        {
          self->hidden_widths[column] = column_width (self, column);
          set_fixed_width (self, column, 0);
        }
      gtk_column_view_column_set_visible (self->columns[column], visible);
    }
  if (!essential[column])
    g_action_group_change_action_state (G_ACTION_GROUP (self->column_actions), _wpc_phones_view_column_id (column),
                                        g_variant_new_boolean (visible));
}

/* The first time the paned has a width: the details pane gets its remembered width */
static void
restore_details_width (WpcPhonesView *self)
{
  int paned_width = gtk_widget_get_width (GTK_WIDGET (self->paned));
  int saved;

  if (self->details_width_restored || paned_width <= 0)
    return;
  self->details_width_restored = TRUE;
  saved = self->settings != NULL ? g_settings_get_int (self->settings, DETAILS_WIDTH_KEY) : 0;
  if (saved > 0)
    gtk_paned_set_position (self->paned, MAX (paned_width - saved, 0));
}

static gboolean
fit_columns_idle (gpointer user_data)
{
  WpcPhonesView *self = user_data;
  int available = gtk_widget_get_width (GTK_WIDGET (self->list_scroller));
  gboolean visible[WPC_PHONES_N_COLUMNS] = { FALSE };
  int used = 0;

  self->fit_source = 0;
  restore_details_width (self);
  if (available <= 0)
    return G_SOURCE_REMOVE;

  for (guint c = 0; c < WPC_PHONES_N_COLUMNS; c++)
    {
      visible[c] = essential[c] || listed_in (self, SHOWN_KEY, c);
      if (visible[c])
        used += column_width (self, c);
    }
  for (guint i = 0; i < G_N_ELEMENTS (optional_columns); i++)
    {
      WpcPhonesColumn c = optional_columns[i];

      if (visible[c] || listed_in (self, HIDDEN_KEY, c) || used + column_width (self, c) > available)
        continue;
      visible[c] = TRUE;
      used += column_width (self, c);
    }
  self->fitting = TRUE;
  for (guint c = 0; c < WPC_PHONES_N_COLUMNS; c++)
    set_column_visible (self, c, visible[c]);
  self->fitting = FALSE;
  return G_SOURCE_REMOVE;
}

/* After the layout that changed the width, not inside it: a column shown or hidden
 * queues a resize of its own. At the default priority, not an idle one: while the main
 * context always had default-priority work (the widget tests' own service and phones
 * under AddressSanitizer), an idle-priority fit never ran, and a window grown to
 * 1920x1080 kept the columns fitted to its earlier 889 px. */
void
_wpc_phones_view_queue_fit_columns (WpcPhonesView *self)
{
  if (self->fit_source == 0)
    self->fit_source = g_idle_add_full (G_PRIORITY_DEFAULT, fit_columns_idle, self, NULL);
}

static void
strv_update (GSettings  *settings,
             const char *key,
             const char *id,
             gboolean    listed)
{
  g_auto(GStrv) ids = g_settings_get_strv (settings, key);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;

  for (guint i = 0; ids[i] != NULL; i++)
    if (!g_str_equal (ids[i], id))
      g_strv_builder_add (builder, ids[i]);
  if (listed)
    g_strv_builder_add (builder, id);
  updated = g_strv_builder_end (builder);
  g_settings_set_strv (settings, key, (const char * const *) updated);
}

/* The header menu's check item: the user's word is kept, then the columns fit again */
static void
on_column_action_change_state (GSimpleAction *action,
                               GVariant      *state,
                               WpcPhonesView *self)
{
  g_simple_action_set_state (action, state);
  if (!self->fitting && self->settings != NULL)
    {
      const char *id = g_action_get_name (G_ACTION (action));

      strv_update (self->settings, SHOWN_KEY, id, g_variant_get_boolean (state));
      strv_update (self->settings, HIDDEN_KEY, id, !g_variant_get_boolean (state));
      _wpc_phones_view_queue_fit_columns (self);
    }
}

static void
on_paned_position (WpcPhonesView *self)
{
  int paned_width = gtk_widget_get_width (GTK_WIDGET (self->paned));
  int details_width = paned_width - gtk_paned_get_position (self->paned);

  /* The details keep their width as the window resizes (resize-end-child is off), so
   * only a drag of the handle changes what is kept */
  if (!self->details_width_restored || self->settings == NULL || paned_width <= 0 || details_width <= 0)
    return;
  if (g_settings_get_int (self->settings, DETAILS_WIDTH_KEY) != details_width)
    g_settings_set_int (self->settings, DETAILS_WIDTH_KEY, details_width);
}

static GMenuModel *
columns_menu (WpcPhonesView *self)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) section = g_menu_new ();

  for (guint i = 0; i < G_N_ELEMENTS (optional_columns); i++)
    {
      WpcPhonesColumn c = optional_columns[i];
      g_autofree char *action = g_strconcat ("column.", _wpc_phones_view_column_id (c), NULL);

      g_menu_append (section, gtk_column_view_column_get_title (self->columns[c]), action);
    }
  g_menu_append_section (menu, _("Show Columns"), G_MENU_MODEL (section));
  return G_MENU_MODEL (menu);
}

void
_wpc_phones_view_setup_layout (WpcPhonesView *self)
{
  g_autoptr(GMenuModel) menu = NULL;

  self->column_actions = g_simple_action_group_new ();
  for (guint i = 0; i < G_N_ELEMENTS (optional_columns); i++)
    {
      g_autoptr(GSimpleAction) action =
        g_simple_action_new_stateful (_wpc_phones_view_column_id (optional_columns[i]), NULL, g_variant_new_boolean (TRUE));

      g_signal_connect (action, "change-state", G_CALLBACK (on_column_action_change_state), self);
      g_action_map_add_action (G_ACTION_MAP (self->column_actions), G_ACTION (action));
    }
  gtk_widget_insert_action_group (GTK_WIDGET (self), "column", G_ACTION_GROUP (self->column_actions));

  menu = columns_menu (self);
  for (guint c = 0; c < WPC_PHONES_N_COLUMNS; c++)
    gtk_column_view_column_set_header_menu (self->columns[c], menu);
  /* At 1920 the text columns take what the others leave */
  gtk_column_view_column_set_expand (self->columns[WPC_PHONES_COLUMN_MODEL], TRUE);
  gtk_column_view_column_set_expand (self->columns[WPC_PHONES_COLUMN_LOCATION], TRUE);

  g_signal_connect_object (gtk_scrolled_window_get_hadjustment (self->list_scroller), "notify::page-size",
                           G_CALLBACK (_wpc_phones_view_queue_fit_columns), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->paned, "notify::position", G_CALLBACK (on_paned_position), self,
                           G_CONNECT_SWAPPED);
}

/* The settings changed (set_settings) or were changed elsewhere */
void
_wpc_phones_view_layout_settings_changed (WpcPhonesView *self)
{
  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed::" SHOWN_KEY,
                               G_CALLBACK (_wpc_phones_view_queue_fit_columns), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::" HIDDEN_KEY,
                               G_CALLBACK (_wpc_phones_view_queue_fit_columns), self, G_CONNECT_SWAPPED);
    }
  self->details_width_restored = FALSE;
  _wpc_phones_view_queue_fit_columns (self);
}

void
_wpc_phones_view_layout_dispose (WpcPhonesView *self)
{
  g_clear_handle_id (&self->fit_source, g_source_remove);
  g_clear_object (&self->column_actions);
}
