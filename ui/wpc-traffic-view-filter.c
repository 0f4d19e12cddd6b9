/* wpc-traffic-view-filter.c: the traffic inspector's display filter entry
 *
 * The entry shows a bad expression as the user types; Enter (or Apply) applies it to
 * the filter model, which scans in a worker thread. Like Wireshark's display filter
 * bar (issue 13 part 2) it has a clear button, the recent filters (kept in the
 * settings, newest first) and completion of field names and catalogue item names.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpi-catalogue.h"
#include "wpc-traffic-view-private.h"

/* How many recent filters the menu keeps */
#define MAX_RECENT_FILTERS 10

/* The entry's completion: its list column */
enum { COMPLETION_COLUMN_NAME };

/* ---- Filter ----------------------------------------------------------------------- */

static void
show_filter_error (WpcTrafficView *self,
                   const GError   *error)
{
  GtkWidget *entry = GTK_WIDGET (self->filter_entry);

  if (error == NULL)
    {
      gtk_widget_remove_css_class (entry, "error");
      gtk_widget_set_tooltip_text (entry, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->filter_error_label), FALSE);
      gtk_label_set_text (self->filter_error_label, "");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID);
      return;
    }

  gtk_widget_add_css_class (entry, "error");
  gtk_widget_set_tooltip_text (entry, error->message);
  gtk_label_set_text (self->filter_error_label, error->message);
  gtk_widget_set_visible (GTK_WIDGET (self->filter_error_label), TRUE);
  gtk_accessible_update_state (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_STATE_INVALID,
                               GTK_ACCESSIBLE_INVALID_TRUE, -1);
}

static gboolean
text_is_blank (const char *text)
{
  for (; *text != '\0'; text++)
    if (!g_ascii_isspace (*text))
      return FALSE;
  return TRUE;
}

WpiFilter *
_wpc_traffic_view_parse_filter (WpcTrafficView  *self,
              const char      *text,
              GError         **error)
{
  /* With secrets revealed, a filter may look at them too. */
  return wpi_filter_parse (text, self->reveal_secrets ? WPI_FILTER_MATCH_SECRETS : WPI_FILTER_FLAGS_NONE,
                           NULL, error);
}

static void
on_filter_changed (WpcTrafficView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));

  gtk_entry_set_icon_from_icon_name (self->filter_entry, GTK_ENTRY_ICON_SECONDARY,
                                     text[0] != '\0' ? "edit-clear-symbolic" : NULL);
  g_autoptr(WpiFilter) filter = NULL;
  g_autoptr(GError) error = NULL;

  if (text_is_blank (text))
    {
      show_filter_error (self, NULL);
      return;
    }
  filter = _wpc_traffic_view_parse_filter (self, text, &error);
  show_filter_error (self, error);
}

void
_wpc_traffic_view_set_filter (WpcTrafficView *self,
            WpiFilter      *filter)
{
  self->select_after_filter = wpc_traffic_view_get_selected_id (self);
  if (filter != NULL)
    wpi_filter_ref (filter);
  g_clear_pointer (&self->filter, wpi_filter_unref);
  self->filter = filter;
  if (self->filter_model != NULL)
    wpi_traffic_filter_model_set_filter (self->filter_model, filter);
  _wpc_traffic_view_update_status (self);
}

gboolean
_wpc_traffic_view_apply_filter (WpcTrafficView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));
  g_autoptr(WpiFilter) filter = NULL;
  g_autoptr(GError) error = NULL;

  if (!text_is_blank (text))
    {
      filter = _wpc_traffic_view_parse_filter (self, text, &error);
      show_filter_error (self, error);
      if (filter == NULL)
        return FALSE;
    }
  else
    show_filter_error (self, NULL);

  /* A filter the user applies replaces what the status line said of the last one */
  g_clear_pointer (&self->notice, g_free);
  _wpc_traffic_view_set_filter (self, filter);
  if (filter != NULL)
    _wpc_traffic_view_remember_filter (self, wpi_filter_get_text (filter));
  return TRUE;
}

/* ---- Clear button ------------------------------------------------------------------ */

static void
on_icon_press (WpcTrafficView       *self,
               GtkEntryIconPosition  position)
{
  if (position != GTK_ENTRY_ICON_SECONDARY)
    return;
  wpc_traffic_view_apply_filter_text (self, "");
  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

/* ---- Recent filters ------------------------------------------------------------------ */

void
_wpc_traffic_view_remember_filter (WpcTrafficView *self,
                                   const char     *text)
{
  g_auto(GStrv) recent = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) updated = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  guint kept = 1;

  if (self->settings == NULL || trimmed[0] == '\0')
    return;
  recent = g_settings_get_strv (self->settings, "recent-filters");
  /* Newest first, once, at most MAX_RECENT_FILTERS */
  g_strv_builder_add (builder, trimmed);
  for (guint i = 0; recent[i] != NULL && kept < MAX_RECENT_FILTERS; i++)
    if (!g_str_equal (recent[i], trimmed))
      {
        g_strv_builder_add (builder, recent[i]);
        kept++;
      }
  updated = g_strv_builder_end (builder);
  if (!g_strv_equal ((const char * const *) recent, (const char * const *) updated))
    g_settings_set_strv (self->settings, "recent-filters", (const char * const *) updated);
}

void
_wpc_traffic_view_update_recent (WpcTrafficView *self)
{
  g_auto(GStrv) recent = self->settings != NULL ? g_settings_get_strv (self->settings, "recent-filters") : NULL;
  guint n = recent != NULL ? g_strv_length (recent) : 0;

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; i < n && i < MAX_RECENT_FILTERS; i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (NULL, NULL);
      /* A label takes "_" for a mnemonic; a filter text keeps its own. */
      g_autoptr(GString) label = g_string_new (recent[i]);

      g_string_replace (label, "_", "__", 0);
      g_menu_item_set_label (item, label->str);
      g_menu_item_set_action_and_target_value (item, "traffic.apply-recent", g_variant_new_string (recent[i]));
      g_menu_append_item (self->recent_menu, item);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->recent_button), n > 0);
}

static void
apply_recent_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  wpc_traffic_view_apply_filter_text (WPC_TRAFFIC_VIEW (widget), g_variant_get_string (parameter, NULL));
}

/* ---- Completion -------------------------------------------------------------------- */

G_GNUC_BEGIN_IGNORE_DEPRECATIONS /* GtkEntryCompletion: deprecated in GTK 4.10 only */

/* Where the word being typed starts: after the last space, parenthesis or "!" */
static const char *
last_word (const char *text)
{
  const char *word = text;

  for (const char *p = text; *p != '\0'; p++)
    if (g_ascii_isspace (*p) || *p == '(' || *p == ')' || *p == '!' || *p == '&' || *p == '|')
      word = p + 1;
  return word;
}

/* Whether a field name may start at word: at the start, after "(", "!", "and", "or",
 * "not", "&&" or "||" (not where a value goes, after "==" or "contains") */
static gboolean
expects_field (const char *text,
               const char *word)
{
  g_autofree char *before = g_strchomp (g_strndup (text, word - text));
  gsize length = strlen (before);
  const char *last = last_word (before);

  if (length == 0)
    return TRUE;
  if (strchr ("(!&|", before[length - 1]) != NULL)
    return TRUE;
  return g_ascii_strcasecmp (last, "and") == 0 || g_ascii_strcasecmp (last, "or") == 0 ||
         g_ascii_strcasecmp (last, "not") == 0;
}

static gboolean
completion_match (GtkEntryCompletion *completion,
                  const char         *key,
                  GtkTreeIter        *iter,
                  gpointer            user_data)
{
  GtkTreeModel *model = gtk_entry_completion_get_model (completion);
  const char *word = last_word (key);
  g_autofree char *name = NULL;

  if (word[0] == '\0' || !expects_field (key, word))
    return FALSE;
  gtk_tree_model_get (model, iter, COMPLETION_COLUMN_NAME, &name, -1);
  return g_ascii_strncasecmp (name, word, strlen (word)) == 0 && g_ascii_strcasecmp (name, word) != 0;
}

static gboolean
on_completion_selected (GtkEntryCompletion *completion,
                        GtkTreeModel       *model,
                        GtkTreeIter        *iter,
                        WpcTrafficView     *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));
  g_autofree char *name = NULL;
  g_autofree char *completed = NULL;

  gtk_tree_model_get (model, iter, COMPLETION_COLUMN_NAME, &name, -1);
  /* The word typed is replaced, what came before it stays. */
  completed = g_strdup_printf ("%.*s%s", (int) (last_word (text) - text), text, name);
  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), completed);
  gtk_editable_set_position (GTK_EDITABLE (self->filter_entry), -1);
  return TRUE;
}

/* The filter's fields, then item.NAME for every item of the catalogue */
static GtkTreeModel *
completion_model (void)
{
  GtkListStore *store = gtk_list_store_new (1, G_TYPE_STRING);
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  const char * const *fields = wpi_filter_get_field_names ();
  const char * const *categories = wpi_catalogue_get_categories (catalogue);

  for (guint i = 0; fields[i] != NULL; i++)
    gtk_list_store_insert_with_values (store, NULL, -1, COMPLETION_COLUMN_NAME, fields[i], -1);
  for (guint c = 0; categories[c] != NULL; c++)
    {
      g_autoptr(GListModel) items = wpi_catalogue_list_category (catalogue, categories[c]);

      for (guint i = 0; i < g_list_model_get_n_items (items); i++)
        {
          g_autoptr(WpiItemInfo) info = g_list_model_get_item (items, i);
          g_autofree char *name = g_strconcat ("item.", wpi_item_info_get_name (info), NULL);

          gtk_list_store_insert_with_values (store, NULL, -1, COMPLETION_COLUMN_NAME, name, -1);
        }
    }
  return GTK_TREE_MODEL (store);
}

static void
set_up_completion (WpcTrafficView *self)
{
  g_autoptr(GtkEntryCompletion) completion = gtk_entry_completion_new ();
  g_autoptr(GtkTreeModel) model = completion_model ();

  gtk_entry_completion_set_model (completion, model);
  gtk_entry_completion_set_text_column (completion, COMPLETION_COLUMN_NAME);
  gtk_entry_completion_set_match_func (completion, completion_match, NULL, NULL);
  gtk_entry_completion_set_minimum_key_length (completion, 1);
  gtk_entry_completion_set_popup_single_match (completion, TRUE);
  g_signal_connect_object (completion, "match-selected", G_CALLBACK (on_completion_selected), self, 0);
  gtk_entry_set_completion (self->filter_entry, completion);
}

G_GNUC_END_IGNORE_DEPRECATIONS

void
_wpc_traffic_view_filter_init (WpcTrafficView *self)
{
  self->recent_menu = g_menu_new ();
  gtk_menu_button_set_menu_model (self->recent_button, G_MENU_MODEL (self->recent_menu));
  gtk_entry_set_icon_tooltip_text (self->filter_entry, GTK_ENTRY_ICON_SECONDARY, _("Clear the filter"));
  g_signal_connect_object (self->filter_entry, "icon-press", G_CALLBACK (on_icon_press), self, G_CONNECT_SWAPPED);
  set_up_completion (self);
  _wpc_traffic_view_update_recent (self);
}

void
_wpc_traffic_view_filter_dispose (WpcTrafficView *self)
{
  g_clear_object (&self->recent_menu);
}

static void
on_filter_activate (WpcTrafficView *self)
{
  _wpc_traffic_view_apply_filter (self);
}

/* ---- Public API -------------------------------------------------------------------- */

WpiFilter *
wpc_traffic_view_get_filter (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), NULL);
  return self->filter;
}

gboolean
wpc_traffic_view_apply_filter_text (WpcTrafficView *self,
                                    const char     *text)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  gtk_editable_set_text (GTK_EDITABLE (self->filter_entry), text);
  return _wpc_traffic_view_apply_filter (self);
}


/* ---- Class ------------------------------------------------------------------------- */

void
_wpc_traffic_view_class_filter_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_activate);
  gtk_widget_class_install_action (widget_class, "traffic.apply-recent", "s", apply_recent_action);
}
