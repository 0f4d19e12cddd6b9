/* wpc-traffic-view.c: the traffic inspector: message list, details tree, raw message
 *
 * Wireshark's three panes for WPI. The list is a GtkColumnView over a
 * WpiTrafficFilterModel over a WpiTrafficModel, so a log of a million messages opens
 * with a few hundred rows read and filters in a worker thread. The details tree and the
 * raw text are built for the selected message only, from its body read by id.
 *
 * Sorting: the log is in id order (which is time order), and only that order, forwards
 * or backwards, is cheap for a million rows; the No. and Time columns offer it, the
 * others do not sort.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpi-codec.h"
#include "wpi-filter.h"
#include "wpc-accessible.h"
#include "wpc-cell-label.h"
#include "wpc-traffic-detail.h"
#include "wpc-traffic-view-private.h"

static const struct {
  const char *title;
  int         fixed_width; /* -1: natural */
  gboolean    expand;
  gboolean    numeric;
} column_info[N_COLUMNS] = {
  /* Translators: column title, the message's number in the log */
  [COLUMN_NUMBER] = { N_("No."), 80, FALSE, TRUE },
  [COLUMN_TIME] = { N_("Time"), 110, FALSE, TRUE },
  /* The text columns take the width a large screen has (issue 12 §4) */
  [COLUMN_PHONE] = { N_("Phone"), 160, TRUE, FALSE },
  [COLUMN_DIRECTION] = { N_("Direction"), -1, FALSE, FALSE },
  [COLUMN_PORT] = { N_("Port/Mode"), 120, FALSE, FALSE },
  [COLUMN_REASON] = { N_("Reason/Action"), 200, TRUE, FALSE },
  [COLUMN_STATUS] = { N_("Status"), 110, FALSE, FALSE },
  [COLUMN_ITEMS] = { N_("Items"), -1, FALSE, TRUE },
  [COLUMN_SIZE] = { N_("Size"), 90, FALSE, TRUE },
};

/* The colours of a row, by what went wrong; the Status column says it in words too. */
static const char * const row_classes[] = {
  "wpc-traffic-error", "wpc-traffic-security", "wpc-traffic-refused", "wpc-traffic-busy",
  "wpc-traffic-failed", "wpc-traffic-missing",
};

static const char * const detail_classes[] = {
  [WPC_TRAFFIC_DETAIL_NORMAL] = NULL,
  [WPC_TRAFFIC_DETAIL_HEADING] = "wpc-detail-heading",
  [WPC_TRAFFIC_DETAIL_ERROR] = "wpc-detail-error",
  [WPC_TRAFFIC_DETAIL_WARNING] = "wpc-detail-warning",
  [WPC_TRAFFIC_DETAIL_SECRET] = "wpc-detail-secret",
};

G_DEFINE_FINAL_TYPE (WpcTrafficView, wpc_traffic_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PAUSED,
  PROP_AUTO_SCROLL,
  PROP_REVEAL_SECRETS,
  PROP_EXPORTING,
  N_PROPS
};

enum {
  EXPORT_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- Formatting ----------------------------------------------------------------- */

static char *
format_count (guint n)
{
  /* The locale's digit grouping: 1,000,000 / 1.000.000 */
  return g_strdup_printf ("%'u", n);
}

static const char *
entry_row_class (WpiTrafficEntry *entry)
{
  const char *status = wpi_traffic_entry_get_status (entry);

  if (wpi_traffic_entry_is_missing (entry))
    return "wpc-traffic-missing";
  if (wpi_traffic_entry_is_security_event (entry))
    return "wpc-traffic-security";
  if (wpi_traffic_entry_is_refused (entry))
    return "wpc-traffic-refused";
  if (wpi_traffic_entry_get_error_text (entry) != NULL)
    return "wpc-traffic-error";
  if (status != NULL && g_ascii_strcasecmp (status, "busy") == 0)
    return "wpc-traffic-busy";
  if (status != NULL && g_ascii_strcasecmp (status, "failed") == 0)
    return "wpc-traffic-failed";
  return NULL;
}

static char *
peer_address (const char *peer)
{
  const char *colon = peer != NULL ? strrchr (peer, ':') : NULL;

  if (peer == NULL)
    return NULL;
  return colon != NULL ? g_strndup (peer, colon - peer) : g_strdup (peer);
}

/* The text of a cell and, where more can be said, its tooltip. */
static char *
cell_text (WpiTrafficEntry  *entry,
           Column            column,
           char            **tooltip)
{
  const WpiTrafficRecord *record = wpi_traffic_entry_get_record (entry);

  *tooltip = NULL;
  if (wpi_traffic_entry_is_missing (entry) && column != COLUMN_NUMBER)
    return g_strdup (column == COLUMN_STATUS ? _("deleted") : "");

  switch (column)
    {
    case COLUMN_NUMBER:
      return g_strdup_printf ("%" G_GINT64_FORMAT, record->id);

    case COLUMN_TIME:
      {
        g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (record->time_us / G_USEC_PER_SEC);
        g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
        g_autofree char *clock = local != NULL ? g_date_time_format (local, "%H:%M:%S") : NULL;

        if (local == NULL)
          return g_strdup ("");
        *tooltip = g_date_time_format (local, "%x %X");
        return g_strdup_printf ("%s.%03d", clock, (int) (record->time_us % G_USEC_PER_SEC) / 1000);
      }

    case COLUMN_PHONE:
      *tooltip = g_strdup (record->peer);
      if (record->mac != NULL)
        return g_strdup (record->mac);
      return peer_address (record->peer);

    case COLUMN_DIRECTION:
      if (record->direction == WPI_TRAFFIC_DIRECTION_IN)
        {
          *tooltip = g_strdup (_("Phone to console"));
          /* Translators: direction of a message, phone to console; the arrow points
           * from the Phone column to the console (D28) */
          return g_strdup (_("→ In"));
        }
      *tooltip = g_strdup (_("Console to phone"));
      /* Translators: direction of a message, console to phone */
      return g_strdup (_("← Out"));

    case COLUMN_PORT:
      /* Translators: port and mode, e.g. "18443 · Default" */
      return g_strdup_printf (_("%u · %s"), record->port,
                              record->mode == WPI_PHONE_MODE_SECURE ? _("Secure") : _("Default"));

    case COLUMN_REASON:
      if (record->direction == WPI_TRAFFIC_DIRECTION_IN && record->reason != NULL)
        {
          if (record->action != NULL)
            return g_strdup_printf ("%s · %s", record->reason, record->action);
          return g_strdup (record->reason);
        }
      return g_strdup (record->action != NULL ? record->action : record->reason != NULL ? record->reason : "");

    case COLUMN_STATUS:
      if (record->error_text != NULL)
        {
          *tooltip = g_strdup (record->error_text);
          if (record->error_code < 0)
            return g_strdup (wpi_traffic_entry_is_security_event (entry) ? _("security event") : _("refused"));
          return g_strdup (wpi_filter_error_code_name (record->error_code) ?: _("error"));
        }
      return g_strdup (record->status != NULL ? record->status : "");

    case COLUMN_ITEMS:
      return record->item_count >= 0 ? g_strdup_printf ("%d", record->item_count) : g_strdup ("–");

    case COLUMN_SIZE:
      return g_format_size (record->size);

    case N_COLUMNS:
    default:
      g_assert_not_reached ();
    }
}

/* The field of a cell for the context menu: the filter test it stands for, when the
 * filter language has one, and the text a technician would copy (the whole peer, not
 * the shortened one). */
void
_wpc_traffic_view_cell_field (WpiTrafficEntry  *entry,
                              guint             column,
                              const char      **field,
                              char            **filter_value,
                              char            **copy_value)
{
  const WpiTrafficRecord *record = wpi_traffic_entry_get_record (entry);
  g_autofree char *tooltip = NULL;

  *field = NULL;
  *filter_value = NULL;
  *copy_value = cell_text (entry, column, &tooltip);
  if (wpi_traffic_entry_is_missing (entry))
    return;
  switch ((Column) column)
    {
    case COLUMN_PHONE:
      *field = record->mac != NULL ? "mac" : "ip";
      *filter_value = record->mac != NULL ? g_strdup (record->mac) : peer_address (record->peer);
      /* The filter's ip is an IPv6 address without its brackets */
      if (*filter_value != NULL && (*filter_value)[0] == '[' && g_str_has_suffix (*filter_value, "]"))
        {
          char *bare = g_strndup (*filter_value + 1, strlen (*filter_value) - 2);

          g_free (*filter_value);
          *filter_value = bare;
        }
      break;
    case COLUMN_DIRECTION:
      *field = "dir";
      *filter_value = g_strdup (record->direction == WPI_TRAFFIC_DIRECTION_IN ? "in" : "out");
      break;
    case COLUMN_PORT:
      *field = "port";
      *filter_value = g_strdup_printf ("%u", record->port);
      break;
    case COLUMN_REASON:
      /* The column shows the reason of a phone's message, else the action */
      *field = record->direction == WPI_TRAFFIC_DIRECTION_IN && record->reason != NULL ? "reason" : "action";
      *filter_value = g_strdup (g_str_equal (*field, "reason") ? record->reason : record->action);
      break;
    case COLUMN_STATUS:
      *field = record->error_text != NULL ? "error" : "status";
      *filter_value = g_strdup (record->error_text != NULL ? wpi_filter_error_code_name (record->error_code)
                                                           : record->status);
      break;
    case COLUMN_NUMBER:
    case COLUMN_TIME:
    case COLUMN_ITEMS:
    case COLUMN_SIZE:
    case N_COLUMNS:
    default:
      break;
    }
  if (*filter_value == NULL || (*filter_value)[0] == '\0')
    {
      *field = NULL;
      g_clear_pointer (filter_value, g_free);
    }
}

/* ---- Message list ------------------------------------------------------------------ */

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  user_data)
{
  Column column = GPOINTER_TO_UINT (user_data);
  /* Cut off with "…", the whole text is its tooltip (issue 12 §4) */
  GtkWidget *label = wpc_cell_label_new ();

  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), column_info[column].numeric ? 1.0 : 0.0);
  if (column_info[column].numeric)
    gtk_widget_add_css_class (label, "numeric");
  /* What a right-click on the cell finds (the list item outlives its child) */
  g_object_set_data (G_OBJECT (label), "wpc-list-item", list_item);
  g_object_set_data (G_OBJECT (label), "wpc-column", GUINT_TO_POINTER (column + 1));
  gtk_list_item_set_child (list_item, label);
}

static void
remove_row_class (GtkWidget *label)
{
  GtkWidget *cell = gtk_widget_get_parent (label);

  for (guint i = 0; i < G_N_ELEMENTS (row_classes); i++)
    {
      gtk_widget_remove_css_class (label, row_classes[i]);
      if (cell != NULL)
        gtk_widget_remove_css_class (cell, row_classes[i]);
    }
}

/* D28: the two sides of a flow told apart by colour too, as Wireshark's Follow Stream
 * does client and server (style.css) */
static void
set_direction_class (GtkWidget       *label,
                     WpiTrafficEntry *entry)
{
  gboolean in = wpi_traffic_entry_get_record (entry)->direction == WPI_TRAFFIC_DIRECTION_IN;

  gtk_widget_remove_css_class (label, in ? "wpc-traffic-out" : "wpc-traffic-in");
  gtk_widget_add_css_class (label, in ? "wpc-traffic-in" : "wpc-traffic-out");
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  Column column = GPOINTER_TO_UINT (user_data);
  WpiTrafficEntry *entry = gtk_list_item_get_item (list_item);
  GtkWidget *label = gtk_list_item_get_child (list_item);
  GtkWidget *cell = gtk_widget_get_parent (label);
  g_autofree char *tooltip = NULL;
  g_autofree char *text = cell_text (entry, column, &tooltip);
  const char *row_class = entry_row_class (entry);

  wpc_cell_label_set (GTK_LABEL (label), text, tooltip, _("Empty"));
  remove_row_class (label);
  if (row_class != NULL)
    {
      /* The cell's background is the row's colour; the label's class is for themes. */
      gtk_widget_add_css_class (label, row_class);
      if (cell != NULL)
        gtk_widget_add_css_class (cell, row_class);
    }
  if (column == COLUMN_DIRECTION && !wpi_traffic_entry_is_missing (entry))
    set_direction_class (label, entry);
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  remove_row_class (gtk_list_item_get_child (list_item));
}

static int
compare_ids (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  gint64 id_a = wpi_traffic_entry_get_id ((WpiTrafficEntry *) a);
  gint64 id_b = wpi_traffic_entry_get_id ((WpiTrafficEntry *) b);

  return id_a < id_b ? GTK_ORDERING_SMALLER : id_a > id_b ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static void scroll_to (WpcTrafficView *self,
                       guint           position);

static void
select_position (WpcTrafficView *self,
                 guint           position)
{
  gtk_single_selection_set_selected (self->selection, position);
  scroll_to (self, position);
}

static void
set_reversed (WpcTrafficView *self,
              gboolean        reversed)
{
  gint64 selected = wpc_traffic_view_get_selected_id (self);

  self->reversed = reversed;
  if (self->filter_model == NULL || wpi_traffic_filter_model_get_reversed (self->filter_model) == reversed)
    return;
  wpi_traffic_filter_model_set_reversed (self->filter_model, reversed);
  if (selected != 0)
    wpc_traffic_view_select_id (self, selected);
}

/* The column view only reports which sorter it would apply; the model is put in that
 * order itself. Comparing two probes with the view's sorter tells which way. */
static void
on_sorter_changed (GtkSorter       *sorter,
                   GtkSorterChange  change,
                   WpcTrafficView  *self)
{
  GtkOrdering order = gtk_sorter_compare (sorter, self->order_probes[0], self->order_probes[1]);

  set_reversed (self, order == GTK_ORDERING_LARGER);
}

static void
create_columns (WpcTrafficView *self)
{
  for (Column column = 0; column < N_COLUMNS; column++)
    {
      g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkColumnViewColumn) view_column = NULL;

      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GUINT_TO_POINTER (column));
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GUINT_TO_POINTER (column));
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), GUINT_TO_POINTER (column));
      view_column = gtk_column_view_column_new (_(column_info[column].title), g_object_ref (factory));
      gtk_column_view_column_set_resizable (view_column, TRUE);
      gtk_column_view_column_set_expand (view_column, column_info[column].expand);
      if (column_info[column].fixed_width > 0)
        gtk_column_view_column_set_fixed_width (view_column, column_info[column].fixed_width);
      if (column == COLUMN_NUMBER || column == COLUMN_TIME)
        gtk_column_view_column_set_sorter (view_column,
                                           GTK_SORTER (gtk_custom_sorter_new (compare_ids, NULL, NULL)));
      gtk_column_view_append_column (self->message_list, view_column);
      if (column == COLUMN_NUMBER)
        gtk_column_view_sort_by_column (self->message_list, view_column, GTK_SORT_ASCENDING);
    }

  g_signal_connect_object (gtk_column_view_get_sorter (self->message_list), "changed",
                           G_CALLBACK (on_sorter_changed), self, G_CONNECT_DEFAULT);
}

/* ---- Details ------------------------------------------------------------------------ */

static GListModel *
create_detail_children (gpointer item,
                        gpointer user_data)
{
  GListModel *children = wpc_traffic_detail_get_children (item);

  return children != NULL ? g_object_ref (children) : NULL;
}

static void
setup_detail (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *value = gtk_label_new (NULL);
  GtkWidget *note = gtk_label_new (NULL);

  gtk_widget_add_css_class (title, "wpc-detail-title");
  gtk_label_set_xalign (GTK_LABEL (value), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (value), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (value), TRUE);
  gtk_widget_add_css_class (value, "wpc-detail-value");
  gtk_label_set_xalign (GTK_LABEL (note), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (note), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (note, TRUE);
  gtk_widget_add_css_class (note, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), value);
  gtk_box_append (GTK_BOX (box), note);
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  g_object_set_data (G_OBJECT (expander), "wpc-list-item", list_item);
  gtk_list_item_set_child (list_item, expander);
}

static void
bind_detail (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  WpcTrafficDetail *node = gtk_tree_list_row_get_item (row);
  GtkWidget *box = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));
  GtkWidget *title = gtk_widget_get_first_child (box);
  GtkWidget *value = gtk_widget_get_next_sibling (title);
  GtkWidget *note = gtk_widget_get_next_sibling (value);
  WpcTrafficDetailKind kind = wpc_traffic_detail_get_kind (node);
  g_autofree char *accessible = NULL;
  const char *value_text = wpc_traffic_detail_get_value (node);
  const char *note_text = wpc_traffic_detail_get_note (node);

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  gtk_label_set_text (GTK_LABEL (title), wpc_traffic_detail_get_title (node));
  gtk_label_set_text (GTK_LABEL (value), value_text != NULL ? value_text : "");
  gtk_widget_set_tooltip_text (value, value_text);
  gtk_label_set_text (GTK_LABEL (note), note_text != NULL ? note_text : "");
  gtk_widget_set_visible (value, value_text != NULL);
  gtk_widget_set_visible (note, note_text != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (detail_classes); i++)
    if (detail_classes[i] != NULL)
      gtk_widget_remove_css_class (box, detail_classes[i]);
  if (detail_classes[kind] != NULL)
    gtk_widget_add_css_class (box, detail_classes[kind]);

  /* Read as one line by a screen reader */
  accessible = g_strjoin (" ", wpc_traffic_detail_get_title (node), value_text ? value_text : "",
                          note_text ? note_text : "", NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (expander), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  g_object_unref (node);
}

static void
unbind_detail (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (gtk_list_item_get_child (list_item)), NULL);
}

static void
set_raw_text (WpcTrafficView *self,
              const char     *text)
{
  self->syncing_raw = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->raw_view), text, -1);
  self->syncing_raw = FALSE;
}

static char *
dup_raw (WpcTrafficView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->raw_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

WpcTrafficDetail *
_wpc_traffic_view_details_row_node (WpcTrafficView *self,
                                    guint           row)
{
  g_autoptr(GtkTreeListRow) tree_row = NULL;

  if (self->details_selection == NULL)
    return NULL;
  tree_row = g_list_model_get_item (G_LIST_MODEL (self->details_selection), row);
  return tree_row != NULL ? gtk_tree_list_row_get_item (tree_row) : NULL;
}

/* Selecting a field highlights where the raw pane writes it (Wireshark's bytes pane). */
static void
on_detail_selected (WpcTrafficView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->raw_view);
  guint row = gtk_single_selection_get_selected (self->details_selection);
  g_autoptr(WpcTrafficDetail) node = _wpc_traffic_view_details_row_node (self, row);
  g_autofree char *raw = dup_raw (self);
  GtkTextMark *mark = gtk_text_buffer_get_mark (buffer, "wpc-highlight");
  GtkTextIter start, end;
  gsize start_byte, end_byte;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag (buffer, self->highlight_tag, &start, &end);
  if (node == NULL || !wpc_traffic_detail_locate (node, raw, &start_byte, &end_byte))
    return;
  gtk_text_buffer_get_iter_at_offset (buffer, &start, (int) g_utf8_pointer_to_offset (raw, raw + start_byte));
  gtk_text_buffer_get_iter_at_offset (buffer, &end, (int) g_utf8_pointer_to_offset (raw, raw + end_byte));
  gtk_text_buffer_apply_tag (buffer, self->highlight_tag, &start, &end);
  gtk_text_buffer_move_mark (buffer, mark, &start);
  gtk_text_view_scroll_to_mark (self->raw_view, mark, 0.0, FALSE, 0.0, 0.0);
}

/* And the reverse: a click in the raw text selects the narrowest field written there. */
static void
on_raw_cursor_moved (WpcTrafficView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->raw_view);
  g_autofree char *raw = NULL;
  guint n, best = GTK_INVALID_LIST_POSITION;
  gsize best_length = G_MAXSIZE;
  gsize cursor;
  int offset;

  if (self->syncing_raw || self->details_selection == NULL)
    return;
  g_object_get (buffer, "cursor-position", &offset, NULL);
  raw = dup_raw (self);
  cursor = g_utf8_offset_to_pointer (raw, offset) - raw;
  n = g_list_model_get_n_items (G_LIST_MODEL (self->details_selection));
  for (guint row = 0; row < n; row++)
    {
      g_autoptr(WpcTrafficDetail) node = _wpc_traffic_view_details_row_node (self, row);
      gsize start, end;

      if (wpc_traffic_detail_locate (node, raw, &start, &end) && start <= cursor && cursor < end &&
          end - start < best_length)
        {
          best = row;
          best_length = end - start;
        }
    }
  if (best == GTK_INVALID_LIST_POSITION)
    return;
  gtk_single_selection_set_selected (self->details_selection, best);
  gtk_widget_activate_action (GTK_WIDGET (self->details_list), "list.scroll-to-item", "u", best);
}

static void
set_details (WpcTrafficView *self,
             GListModel     *details)
{
  GtkTreeListModel *tree = NULL;

  if (self->details_selection != NULL)
    g_signal_handlers_disconnect_by_data (self->details_selection, self);
  g_clear_object (&self->details_selection);
  g_set_object (&self->details, details);
  if (details != NULL)
    {
      tree = gtk_tree_list_model_new (g_object_ref (details), FALSE, TRUE, create_detail_children, NULL, NULL);
      self->details_selection = gtk_single_selection_new (G_LIST_MODEL (tree));
      gtk_single_selection_set_autoselect (self->details_selection, FALSE);
      gtk_single_selection_set_can_unselect (self->details_selection, TRUE);
      gtk_single_selection_set_selected (self->details_selection, GTK_INVALID_LIST_POSITION);
      g_signal_connect_swapped (self->details_selection, "notify::selected", G_CALLBACK (on_detail_selected), self);
    }
  if (self->details_list != NULL)
    gtk_list_view_set_model (self->details_list, GTK_SELECTION_MODEL (self->details_selection));
}

void
_wpc_traffic_view_update_details (WpcTrafficView *self)
{
  WpiTrafficEntry *entry = self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  g_autoptr(WpiTrafficRecord) record = NULL;
  g_autoptr(WpiMessage) message = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) details = NULL;
  g_autofree char *headers = NULL;
  g_autofree char *body = NULL;
  g_autofree char *raw = NULL;
  WpiDumpFlags flags = self->reveal_secrets ? WPI_DUMP_SHOW_SECRETS : WPI_DUMP_NONE;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.follow-flow",
                                 entry != NULL && wpi_traffic_entry_get_flow (entry) != NULL);
  if (entry == NULL)
    {
      set_details (self, NULL);
      set_raw_text (self, "");
      return;
    }

  record = wpi_traffic_entry_load_record (entry, self->store, &error);
  if (record == NULL)
    {
      /* Deleted meanwhile: what the list knew, and why there is no more */
      record = wpi_traffic_record_copy (wpi_traffic_entry_get_record (entry));
    }
  else if (record->body != NULL)
    message = wpi_message_parse (g_bytes_get_data (record->body, NULL), g_bytes_get_size (record->body), &error);

  details = wpc_traffic_detail_build (record, message, error, wpi_traffic_entry_is_security_event (entry),
                                      self->reveal_secrets);
  set_details (self, details);

  headers = wpi_traffic_format_headers (record->headers);
  body = wpi_traffic_format_body (record->body, flags, NULL);
  raw = g_strconcat (headers, headers[0] != '\0' ? "\n" : "", body, NULL);
  set_raw_text (self, raw);
}

/* ---- Following the newest message ------------------------------------------------ */

/* GTK 4.8's list.scroll-to-item on the column view's inner list moves its rows but not
 * its adjustment when the rows near the target were never measured (a list not yet
 * shown, or just filled): the list then showed one row of 425, or none, until it was
 * scrolled. The list is scrolled by its adjustment instead. Rows are one line each, so
 * upper / n is a row's height; while heights are estimated the end can still move, so
 * the value is set again for a few frames. */
#define SCROLL_FRAMES 4
#define SCROLL_TO_NEWEST GTK_INVALID_LIST_POSITION

static double
scroll_target_value (WpcTrafficView *self,
                     GtkAdjustment  *adjustment,
                     guint           n)
{
  double lower = gtk_adjustment_get_lower (adjustment);
  double upper = gtk_adjustment_get_upper (adjustment);
  double page = gtk_adjustment_get_page_size (adjustment);
  double row = (upper - lower) / n;
  guint position = self->scroll_target;

  if (position == SCROLL_TO_NEWEST)
    position = self->reversed ? 0 : n - 1;
  /* The row in the middle of the page */
  return CLAMP (lower + position * row - (page - row) / 2, lower, MAX (lower, upper - page));
}

static gboolean
settle_scroll (GtkWidget     *widget,
               GdkFrameClock *frame_clock,
               gpointer       user_data)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (user_data);
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->message_list));
  guint n = self->filter_model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)) : 0;
  double value, target;

  if (adjustment == NULL || n == 0 || (self->scroll_target != SCROLL_TO_NEWEST && self->scroll_target >= n))
    goto done;
  /* Not shown yet, or not measured: the frames count once it is, and from the second
   * one, after a layout of the list as it is now (the adjustment of a list shown again
   * still measures its old rows, and a value there is one GTK cannot place). */
  if (!gtk_widget_get_mapped (widget) || gtk_adjustment_get_upper (adjustment) <= 0.0)
    {
      self->scroll_laid_out = FALSE;
      return G_SOURCE_CONTINUE;
    }
  if (!self->scroll_laid_out)
    {
      self->scroll_laid_out = TRUE;
      return G_SOURCE_CONTINUE;
    }

  value = gtk_adjustment_get_value (adjustment);
  /* Following the newest, a page or more from where it was put: the reader scrolled,
   * which wins. (A jump to a row does not ask: the list's first allocation after it is
   * shown resets the value, which the next frame puts right.) */
  if (self->scroll_target == SCROLL_TO_NEWEST && self->scroll_frames > 0 &&
      ABS (value - self->scroll_value) >= gtk_adjustment_get_page_size (adjustment))
    goto done;
  target = scroll_target_value (self, adjustment, n);
  if (value != target)
    gtk_adjustment_set_value (adjustment, target);
  self->scroll_value = gtk_adjustment_get_value (adjustment);
  if (++self->scroll_frames < SCROLL_FRAMES)
    return G_SOURCE_CONTINUE;

done:
  self->scroll_tick = 0;
  return G_SOURCE_REMOVE;
}

/* Scrolls the message list to position, or to the newest message (SCROLL_TO_NEWEST) */
static void
scroll_to (WpcTrafficView *self,
           guint           position)
{
  self->scroll_target = position;
  self->scroll_frames = 0;
  self->scroll_laid_out = FALSE;
  if (self->scroll_tick == 0)
    self->scroll_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->message_list), settle_scroll, self, NULL);
}

/* Live capture: a list scrolled to its newest message stays there as messages come
 * (a list scrolled elsewhere stays where the reader is), while auto-scroll is on. */
static void
maybe_follow_tail (WpcTrafficView *self,
                   guint           position,
                   guint           removed,
                   guint           added)
{
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->message_list));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  gboolean following = self->scroll_tick != 0 && self->scroll_target == SCROLL_TO_NEWEST;
  gboolean at_newest;

  if (!self->auto_scroll || added == 0 || removed > 0 || adjustment == NULL ||
      wpi_traffic_filter_model_get_running (self->filter_model))
    return;
  /* The adjustment still measures the list before the change. */
  if (self->reversed)
    at_newest = position == 0 && gtk_adjustment_get_value (adjustment) <= 0.0;
  else
    at_newest = position + added == n &&
                gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
                gtk_adjustment_get_upper (adjustment) - 1.0;
  /* Messages that come faster than frames: the list has not caught up yet */
  if (at_newest || following)
    scroll_to (self, SCROLL_TO_NEWEST);
}

/* A filtered list loses its selection; the message selected before is selected again
 * once the scan finds it (follow flow keeps the message in view). */
static void
on_filter_model_items_changed (WpcTrafficView *self,
                               guint           position,
                               guint           removed,
                               guint           added)
{
  guint selected;

  maybe_follow_tail (self, position, removed, added);

  if (self->select_after_filter == 0 || self->filter_model == NULL)
    return;
  if (wpi_traffic_filter_model_find (self->filter_model, self->select_after_filter, &selected))
    {
      self->select_after_filter = 0;
      select_position (self, selected);
    }
}

/* ---- Status ------------------------------------------------------------------------ */

/* A display filter that lets no message through says so, with its text and a way back
 * (issue 12 §1), instead of an empty list */
static void
update_no_match (WpcTrafficView *self,
                 gboolean        none_shown)
{
  gboolean no_match = none_shown && self->filter != NULL;

  if (no_match)
    {
      /* Translators: %s is the display filter, e.g. status == busy */
      g_autofree char *description = g_strdup_printf (_("No message matches the display filter “%s”."),
                                                      wpi_filter_get_text (self->filter));

      adw_status_page_set_description (self->no_match_page, description);
    }
  gtk_stack_set_visible_child_name (self->list_stack, no_match ? "no-match" : "list");
}

void
_wpc_traffic_view_update_status (WpcTrafficView *self)
{
  g_autofree char *count = NULL;
  g_autofree char *activity = NULL;
  guint shown = 0, total = 0, pending = 0;
  gboolean running = FALSE;
  gboolean has_messages;

  if (self->model != NULL)
    {
      total = g_list_model_get_n_items (G_LIST_MODEL (self->model));
      pending = wpi_traffic_model_get_n_pending (self->model);
      shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
      running = wpi_traffic_filter_model_get_running (self->filter_model);
    }
  has_messages = self->model != NULL && (total > 0 || pending > 0 || self->filter != NULL);
  gtk_stack_set_visible_child_name (self->stack, has_messages ? "messages" : "empty");
  update_no_match (self, shown == 0 && total > 0 && !running);

  if (self->filter == NULL)
    {
      g_autofree char *n = format_count (total);
      count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s message", "%s messages", total), n);
    }
  else
    {
      g_autofree char *n = format_count (shown);
      g_autofree char *of = format_count (total);
      /* Translators: "12 of 1,000,000 messages match the filter" */
      count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s of %s message matches the filter",
                                            "%s of %s messages match the filter", total), n, of);
    }
  gtk_label_set_text (self->count_label, count);

  gtk_widget_set_visible (GTK_WIDGET (self->filter_progress), running);
  if (running)
    gtk_progress_bar_set_fraction (self->filter_progress,
                                   wpi_traffic_filter_model_get_progress (self->filter_model));

  if (self->paused)
    activity = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Paused: %u new message", "Paused: %u new messages",
                                             pending), pending);
  else if (running)
    activity = g_strdup (_("Filtering…"));
  else if (self->exporting)
    activity = g_strdup (_("Exporting…"));
  else if (self->notice != NULL)
    activity = g_strdup (self->notice);
  else if (self->export_message != NULL)
    activity = g_strdup (self->export_message);
  gtk_label_set_text (self->activity_label, activity != NULL ? activity : "");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.export-xml", shown > 0 && !self->exporting);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.export-json", shown > 0 && !self->exporting);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.export-pcapng", shown > 0 && !self->exporting);
}

/* ---- Models ------------------------------------------------------------------------ */

static void
on_selected_item_changed (WpcTrafficView *self)
{
  _wpc_traffic_view_update_details (self);
}

static void
clear_models (WpcTrafficView *self)
{
  if (self->message_list != NULL)
    gtk_column_view_set_model (self->message_list, NULL);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  if (self->filter_model != NULL)
    g_signal_handlers_disconnect_by_data (self->filter_model, self);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->model);
}

void
wpc_traffic_view_set_store (WpcTrafficView *self,
                            WpiStore       *store)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));
  g_return_if_fail (store == NULL || WPI_IS_STORE (store));

  if (self->store == store)
    return;

  clear_models (self);
  g_set_object (&self->store, store);

  if (store != NULL)
    {
      self->model = wpi_traffic_model_new (store, &error);
      if (self->model == NULL)
        {
          g_warning ("Cannot read the traffic log: %s", error->message);
          gtk_label_set_text (self->activity_label, error->message);
        }
    }

  if (self->model != NULL)
    {
      wpi_traffic_model_set_paused (self->model, self->paused);
      self->filter_model = wpi_traffic_filter_model_new (self->model);
      wpi_traffic_filter_model_set_reversed (self->filter_model, self->reversed);
      wpi_traffic_filter_model_set_filter (self->filter_model, self->filter);
      self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filter_model)));
      gtk_single_selection_set_autoselect (self->selection, FALSE);
      gtk_single_selection_set_can_unselect (self->selection, TRUE);
      /* A new selection model selects its first item; nothing is chosen yet. */
      gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

      g_signal_connect_swapped (self->selection, "notify::selected-item",
                                G_CALLBACK (on_selected_item_changed), self);
      g_signal_connect_object (self->filter_model, "items-changed",
                               G_CALLBACK (on_filter_model_items_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_swapped (self->filter_model, "notify::n-items", G_CALLBACK (_wpc_traffic_view_update_status), self);
      g_signal_connect_swapped (self->filter_model, "notify::running", G_CALLBACK (_wpc_traffic_view_update_status), self);
      g_signal_connect_swapped (self->filter_model, "notify::progress", G_CALLBACK (_wpc_traffic_view_update_status), self);
      g_signal_connect_swapped (self->model, "notify::n-items", G_CALLBACK (_wpc_traffic_view_update_status), self);
      g_signal_connect_swapped (self->model, "notify::n-pending", G_CALLBACK (_wpc_traffic_view_update_status), self);
      gtk_column_view_set_model (self->message_list, GTK_SELECTION_MODEL (self->selection));
    }

  _wpc_traffic_view_update_details (self);
  _wpc_traffic_view_update_status (self);
}

WpiStore *
wpc_traffic_view_get_store (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), NULL);
  return self->store;
}

void
wpc_traffic_view_append (WpcTrafficView         *self,
                         const WpiTrafficRecord *record)
{
  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));
  g_return_if_fail (record != NULL);

  if (self->model != NULL)
    wpi_traffic_model_append (self->model, record);
}

/* ---- Settings ---------------------------------------------------------------------- */

static gboolean
reveal_allowed (WpcTrafficView *self)
{
  return self->settings != NULL && g_settings_get_boolean (self->settings, "reveal-secrets-allowed");
}

static void
on_reveal_allowed_changed (WpcTrafficView *self)
{
  gboolean allowed = reveal_allowed (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.reveal-secrets", allowed);
  if (!allowed)
    wpc_traffic_view_set_reveal_secrets (self, FALSE);
}

void
wpc_traffic_view_set_settings (WpcTrafficView *self,
                               GSettings      *settings)
{
  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_settings_unbind (self->main_paned, "position");
  g_settings_unbind (self->details_paned, "position");
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    {
      /* The panes stay where the technician left them (issue 12 §4) */
      g_settings_bind (settings, "traffic-list-height", self->main_paned, "position", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "traffic-details-width", self->details_paned, "position", G_SETTINGS_BIND_DEFAULT);
      g_signal_connect_swapped (settings, "changed::reveal-secrets-allowed",
                                G_CALLBACK (on_reveal_allowed_changed), self);
      g_signal_connect_swapped (settings, "changed::recent-filters",
                                G_CALLBACK (_wpc_traffic_view_update_recent), self);
    }
  on_reveal_allowed_changed (self);
  _wpc_traffic_view_update_recent (self);
}

/* ---- Export state ------------------------------------------------------------------ */

void
_wpc_traffic_view_set_exporting (WpcTrafficView *self,
               gboolean        exporting)
{
  self->exporting = exporting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORTING]);
  _wpc_traffic_view_update_status (self);
}

void
_wpc_traffic_view_emit_export_finished (WpcTrafficView *self,
                                        guint           written,
                                        guint           skipped,
                                        const GError   *error)
{
  g_signal_emit (self, signals[EXPORT_FINISHED], 0, written, skipped, error);
}

/* ---- Public API -------------------------------------------------------------------- */

GtkWidget *
wpc_traffic_view_new (void)
{
  return g_object_new (WPC_TYPE_TRAFFIC_VIEW, NULL);
}

WpiTrafficFilterModel *
wpc_traffic_view_get_model (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), NULL);
  return self->filter_model;
}

gboolean
wpc_traffic_view_get_paused (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);
  return self->paused;
}

void
wpc_traffic_view_set_paused (WpcTrafficView *self,
                             gboolean        paused)
{
  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));

  paused = !!paused;
  if (self->paused == paused)
    return;
  self->paused = paused;
  if (self->model != NULL)
    wpi_traffic_model_set_paused (self->model, paused);
  _wpc_traffic_view_update_status (self);
  _wpc_traffic_view_update_pause_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

gboolean
wpc_traffic_view_get_auto_scroll (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);
  return self->auto_scroll;
}

void
wpc_traffic_view_set_auto_scroll (WpcTrafficView *self,
                                  gboolean        auto_scroll)
{
  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));

  auto_scroll = !!auto_scroll;
  if (self->auto_scroll == auto_scroll)
    return;
  self->auto_scroll = auto_scroll;
  /* Turned on: to the newest message at once, and on from there */
  if (auto_scroll)
    scroll_to (self, SCROLL_TO_NEWEST);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_SCROLL]);
}

gboolean
wpc_traffic_view_get_reveal_secrets (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);
  return self->reveal_secrets;
}

void
wpc_traffic_view_set_reveal_secrets (WpcTrafficView *self,
                                     gboolean        reveal)
{
  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));

  reveal = !!reveal && reveal_allowed (self);
  if (self->reveal_secrets == reveal)
    {
      /* A refused request still tells the toggle button to show the real state. */
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVEAL_SECRETS]);
      return;
    }
  self->reveal_secrets = reveal;
  _wpc_traffic_view_update_details (self);
  /* A filter applied may have matched secrets, or may now be allowed to. */
  if (self->filter != NULL)
    {
      g_autoptr(WpiFilter) filter = _wpc_traffic_view_parse_filter (self, wpi_filter_get_text (self->filter), NULL);

      if (filter != NULL)
        _wpc_traffic_view_set_filter (self, filter);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVEAL_SECRETS]);
}

gint64
wpc_traffic_view_get_selected_id (WpcTrafficView *self)
{
  WpiTrafficEntry *entry;

  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), 0);

  if (self->selection == NULL)
    return 0;
  entry = gtk_single_selection_get_selected_item (self->selection);
  return entry != NULL ? wpi_traffic_entry_get_id (entry) : 0;
}

gboolean
wpc_traffic_view_select_id (WpcTrafficView *self,
                            gint64          id)
{
  guint position;

  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);

  if (self->filter_model == NULL || !wpi_traffic_filter_model_find (self->filter_model, id, &position))
    return FALSE;
  select_position (self, position);
  return TRUE;
}

/* Jumping in from a phone's recent traffic: the message is shown even when the filter
 * or a pause hides it (issue 13 part 2). A filter that hides it is cleared, and the
 * status line says which; it stays one click away among the recent filters. */
gboolean
wpc_traffic_view_show_message (WpcTrafficView *self,
                               gint64          id)
{
  g_autoptr(WpiTrafficEntry) entry = NULL;
  g_autofree char *hidden_by = NULL;

  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);

  if (self->model == NULL)
    return FALSE;
  if (wpc_traffic_view_select_id (self, id))
    return TRUE;
  entry = wpi_traffic_model_get_entry_by_id (self->model, id);
  if (entry == NULL && self->paused)
    {
      /* Logged after the pause: the capture resumes so that it is listed */
      wpc_traffic_view_set_paused (self, FALSE);
      entry = wpi_traffic_model_get_entry_by_id (self->model, id);
    }
  if (entry == NULL)
    return FALSE;
  if (wpc_traffic_view_select_id (self, id))
    return TRUE;
  if (self->filter == NULL)
    return FALSE;
  if (wpi_filter_match_entry (self->filter, entry, self->store))
    {
      /* A match the scan has not reached yet: selected when it has */
      self->select_after_filter = id;
      return TRUE;
    }

  hidden_by = g_strdup (wpi_filter_get_text (self->filter));
  wpc_traffic_view_apply_filter_text (self, "");
  g_free (self->notice);
  /* Translators: the status line after a jump from a phone's traffic; %s is the filter */
  self->notice = g_strdup_printf (_("The display filter “%s” hid this message: cleared"), hidden_by);
  _wpc_traffic_view_update_status (self);
  return wpc_traffic_view_select_id (self, id);
}

GListModel *
wpc_traffic_view_get_details (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), NULL);
  return self->details;
}

char *
wpc_traffic_view_dup_raw_text (WpcTrafficView *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), NULL);

  buffer = gtk_text_view_get_buffer (self->raw_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* ---- GObject ------------------------------------------------------------------------ */

static void
wpc_traffic_view_dispose (GObject *object)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (object);

  if (self->scroll_tick != 0 && self->message_list != NULL)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_list), self->scroll_tick);
  self->scroll_tick = 0;
  if (self->export_cancellable != NULL)
    g_cancellable_cancel (self->export_cancellable);
  if (self->export_chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->export_chooser, self);
      gtk_native_dialog_destroy (self->export_chooser);
      g_clear_object (&self->export_chooser);
    }
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (self->main_paned != NULL)
    g_settings_unbind (self->main_paned, "position");
  if (self->details_paned != NULL)
    g_settings_unbind (self->details_paned, "position");
  clear_models (self);
  set_details (self, NULL);
  _wpc_traffic_view_actions_dispose (self);
  _wpc_traffic_view_filter_dispose (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_TRAFFIC_VIEW);

  g_clear_object (&self->settings);
  g_clear_object (&self->store);
  g_clear_pointer (&self->filter, wpi_filter_unref);
  g_clear_pointer (&self->export_message, g_free);
  g_clear_pointer (&self->notice, g_free);
  g_clear_object (&self->order_probes[0]);
  g_clear_object (&self->order_probes[1]);

  G_OBJECT_CLASS (wpc_traffic_view_parent_class)->dispose (object);
}

static void
wpc_traffic_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_AUTO_SCROLL:
      g_value_set_boolean (value, self->auto_scroll);
      break;
    case PROP_REVEAL_SECRETS:
      g_value_set_boolean (value, self->reveal_secrets);
      break;
    case PROP_EXPORTING:
      g_value_set_boolean (value, self->exporting);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_traffic_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      wpc_traffic_view_set_paused (self, g_value_get_boolean (value));
      break;
    case PROP_AUTO_SCROLL:
      wpc_traffic_view_set_auto_scroll (self, g_value_get_boolean (value));
      break;
    case PROP_REVEAL_SECRETS:
      wpc_traffic_view_set_reveal_secrets (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_traffic_view_class_init (WpcTrafficViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_traffic_view_dispose;
  object_class->get_property = wpc_traffic_view_get_property;
  object_class->set_property = wpc_traffic_view_set_property;

  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTO_SCROLL] =
    g_param_spec_boolean ("auto-scroll", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVEAL_SECRETS] =
    g_param_spec_boolean ("reveal-secrets", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_EXPORTING] =
    g_param_spec_boolean ("exporting", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WpcTrafficView::export-finished:
   * @written: messages written
   * @skipped: messages left out (JSON lines: bodies that do not decode)
   * @error: (nullable): why the export failed
   */
  signals[EXPORT_FINISHED] =
    g_signal_new ("export-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_UINT, G_TYPE_ERROR);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "wpc-traffic-view");
  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-traffic-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, stack);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, list_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, no_match_page);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, main_paned);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, details_paned);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, filter_error_label);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, message_list);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, details_list);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, raw_view);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, filter_progress);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, activity_label);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, pause_button);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, recent_button);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, context_menu_model);
  _wpc_traffic_view_class_filter_init (widget_class);
  _wpc_traffic_view_class_actions_init (widget_class);
}

static void
wpc_traffic_view_init (WpcTrafficView *self)
{
  g_autoptr(WpiTrafficRecord) probe = wpi_traffic_record_new ();
  g_autoptr(GtkListItemFactory) detail_factory = gtk_signal_list_item_factory_new ();

  self->auto_scroll = TRUE;
  gtk_widget_init_template (GTK_WIDGET (self));
  /* its own: the window builds it after the window fixed the names it had then */
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));

  probe->id = 1;
  self->order_probes[0] = wpi_traffic_entry_new (probe);
  probe->id = 2;
  self->order_probes[1] = wpi_traffic_entry_new (probe);
  create_columns (self);

  g_signal_connect (detail_factory, "setup", G_CALLBACK (setup_detail), NULL);
  g_signal_connect (detail_factory, "bind", G_CALLBACK (bind_detail), NULL);
  g_signal_connect (detail_factory, "unbind", G_CALLBACK (unbind_detail), NULL);
  gtk_list_view_set_factory (self->details_list, detail_factory);

  {
    GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->raw_view);
    GtkTextIter start;

    /* The colour of a text search match, readable on light and dark themes */
    self->highlight_tag = gtk_text_buffer_create_tag (buffer, "wpc-highlight", "background", "#fce94f",
                                                      "foreground", "#2e3436", NULL);
    gtk_text_buffer_get_start_iter (buffer, &start);
    gtk_text_buffer_create_mark (buffer, "wpc-highlight", &start, TRUE);
    g_signal_connect_object (buffer, "notify::cursor-position", G_CALLBACK (on_raw_cursor_moved), self,
                             G_CONNECT_SWAPPED);
  }

  _wpc_traffic_view_actions_init (self);
  _wpc_traffic_view_filter_init (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.reveal-secrets", FALSE);
  _wpc_traffic_view_update_details (self);
  _wpc_traffic_view_update_status (self);
}

