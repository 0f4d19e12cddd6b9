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
#include "wpc-traffic-detail.h"
#include "wpc-traffic-view.h"

typedef enum {
  COLUMN_NUMBER,
  COLUMN_TIME,
  COLUMN_PHONE,
  COLUMN_DIRECTION,
  COLUMN_PORT,
  COLUMN_REASON,
  COLUMN_STATUS,
  COLUMN_ITEMS,
  COLUMN_SIZE,
  N_COLUMNS
} Column;

static const struct {
  const char *title;
  int         fixed_width; /* -1: natural */
  gboolean    expand;
  gboolean    numeric;
} column_info[N_COLUMNS] = {
  /* Translators: column title, the message's number in the log */
  [COLUMN_NUMBER] = { N_("No."), 80, FALSE, TRUE },
  [COLUMN_TIME] = { N_("Time"), 110, FALSE, TRUE },
  [COLUMN_PHONE] = { N_("Phone"), 160, FALSE, FALSE },
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

struct _WpcTrafficView
{
  GtkWidget              parent_instance;

  /* template */
  GtkStack              *stack;
  GtkEntry              *filter_entry;
  GtkLabel              *filter_error_label;
  GtkColumnView         *message_list;
  GtkListView           *details_list;
  GtkTextView           *raw_view;
  GtkLabel              *count_label;
  GtkProgressBar        *filter_progress;
  GtkLabel              *activity_label;

  GSettings             *settings;
  WpiStore              *store;
  WpiTrafficModel       *model;
  WpiTrafficFilterModel *filter_model;
  GtkSingleSelection    *selection;
  GListModel            *details;          /* the tree's root nodes */
  WpiFilter             *filter;           /* applied */
  gboolean               paused;
  gboolean               reveal_secrets;
  gboolean               reversed;
  gboolean               exporting;
  GCancellable          *export_cancellable;
  GtkNativeDialog       *export_chooser;
  char                  *export_message;   /* how the last export went */
  gint64                 select_after_filter;
  guint                  follow_tail_id;    /* an idle that scrolls to the newest message */
  guint                  follow_tail_tick;  /* and the frames that keep it there */
  guint                  follow_tail_frames;
  WpiTrafficEntry       *order_probes[2];
};

G_DEFINE_FINAL_TYPE (WpcTrafficView, wpc_traffic_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PAUSED,
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

static void update_status (WpcTrafficView *self);
static void update_details (WpcTrafficView *self);

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

/* ---- Message list ------------------------------------------------------------------ */

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  user_data)
{
  Column column = GPOINTER_TO_UINT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (label), column_info[column].numeric ? 1.0 : 0.0);
  if (column_info[column].numeric)
    gtk_widget_add_css_class (label, "numeric");
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

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_widget_set_tooltip_text (label, tooltip);
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

static GtkWidget *
internal_list_view (GtkColumnView *column_view)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (column_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      return child;
  return NULL;
}

static void
select_position (WpcTrafficView *self,
                 guint           position)
{
  GtkWidget *list = internal_list_view (self->message_list);

  gtk_single_selection_set_selected (self->selection, position);
  if (list != NULL)
    gtk_widget_activate_action (list, "list.scroll-to-item", "u", position);
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
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->raw_view), text, -1);
}

static void
set_details (WpcTrafficView *self,
             GListModel     *details)
{
  GtkTreeListModel *tree = NULL;

  g_set_object (&self->details, details);
  if (details != NULL)
    tree = gtk_tree_list_model_new (g_object_ref (details), FALSE, TRUE, create_detail_children, NULL, NULL);
  gtk_list_view_set_model (self->details_list,
                           tree != NULL ? GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (tree))) : NULL);
}

static void
update_details (WpcTrafficView *self)
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

static WpiFilter *
parse_filter (WpcTrafficView  *self,
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
  g_autoptr(WpiFilter) filter = NULL;
  g_autoptr(GError) error = NULL;

  if (text_is_blank (text))
    {
      show_filter_error (self, NULL);
      return;
    }
  filter = parse_filter (self, text, &error);
  show_filter_error (self, error);
}

static void
set_filter (WpcTrafficView *self,
            WpiFilter      *filter)
{
  self->select_after_filter = wpc_traffic_view_get_selected_id (self);
  if (filter != NULL)
    wpi_filter_ref (filter);
  g_clear_pointer (&self->filter, wpi_filter_unref);
  self->filter = filter;
  if (self->filter_model != NULL)
    wpi_traffic_filter_model_set_filter (self->filter_model, filter);
  update_status (self);
}

static gboolean
apply_filter (WpcTrafficView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));
  g_autoptr(WpiFilter) filter = NULL;
  g_autoptr(GError) error = NULL;

  if (!text_is_blank (text))
    {
      filter = parse_filter (self, text, &error);
      show_filter_error (self, error);
      if (filter == NULL)
        return FALSE;
    }
  else
    show_filter_error (self, NULL);

  set_filter (self, filter);
  return TRUE;
}

static void
on_filter_activate (WpcTrafficView *self)
{
  apply_filter (self);
}

/* A filtered list loses its selection; the message selected before is selected again
 * once the scan finds it (follow flow keeps the message in view). */
/* The list places rows by estimated heights until it has measured them, so the end
 * reached by scrolling to the last row can move; a few frames settle it. */
#define FOLLOW_TAIL_FRAMES 4

static gboolean
settle_tail (GtkWidget     *widget,
             GdkFrameClock *frame_clock,
             gpointer       user_data)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (user_data);
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->message_list));
  double end;

  if (adjustment != NULL)
    {
      double value = gtk_adjustment_get_value (adjustment);

      end = self->reversed ? gtk_adjustment_get_lower (adjustment)
                           : gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
      /* A page or more away: the reader scrolled, which wins. */
      if (ABS (end - value) >= gtk_adjustment_get_page_size (adjustment))
        self->follow_tail_frames = FOLLOW_TAIL_FRAMES;
      else if (value != end)
        gtk_adjustment_set_value (adjustment, end);
    }
  if (++self->follow_tail_frames < FOLLOW_TAIL_FRAMES)
    return G_SOURCE_CONTINUE;
  self->follow_tail_tick = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
follow_tail (gpointer data)
{
  WpcTrafficView *self = data;
  GtkWidget *list = internal_list_view (self->message_list);
  guint n = self->filter_model != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->filter_model)) : 0;

  self->follow_tail_id = 0;
  if (list == NULL || n == 0)
    return G_SOURCE_REMOVE;
  gtk_widget_activate_action (list, "list.scroll-to-item", "u", self->reversed ? 0 : n - 1);
  self->follow_tail_frames = 0;
  if (self->follow_tail_tick == 0)
    self->follow_tail_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->message_list), settle_tail, self, NULL);
  return G_SOURCE_REMOVE;
}

/* Live capture: a list scrolled to its newest message stays there as messages come
 * (a list scrolled elsewhere stays where the reader is). */
static void
maybe_follow_tail (WpcTrafficView *self,
                   guint           position,
                   guint           removed,
                   guint           added)
{
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->message_list));
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  gboolean at_newest;

  if (added == 0 || removed > 0 || self->follow_tail_id != 0 || adjustment == NULL ||
      wpi_traffic_filter_model_get_running (self->filter_model))
    return;
  /* The adjustment still measures the list before the change. */
  if (self->reversed)
    at_newest = position == 0 && gtk_adjustment_get_value (adjustment) <= 0.0;
  else
    at_newest = position + added == n &&
                gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
                gtk_adjustment_get_upper (adjustment) - 1.0;
  if (at_newest)
    self->follow_tail_id = g_idle_add_full (G_PRIORITY_LOW, follow_tail, self, NULL);
}

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

static void
update_status (WpcTrafficView *self)
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
  update_details (self);
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
      g_signal_connect_swapped (self->filter_model, "notify::n-items", G_CALLBACK (update_status), self);
      g_signal_connect_swapped (self->filter_model, "notify::running", G_CALLBACK (update_status), self);
      g_signal_connect_swapped (self->filter_model, "notify::progress", G_CALLBACK (update_status), self);
      g_signal_connect_swapped (self->model, "notify::n-items", G_CALLBACK (update_status), self);
      g_signal_connect_swapped (self->model, "notify::n-pending", G_CALLBACK (update_status), self);
      gtk_column_view_set_model (self->message_list, GTK_SELECTION_MODEL (self->selection));
    }

  update_details (self);
  update_status (self);
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
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    g_signal_connect_swapped (settings, "changed::reveal-secrets-allowed",
                              G_CALLBACK (on_reveal_allowed_changed), self);
  on_reveal_allowed_changed (self);
}

/* ---- Export ------------------------------------------------------------------------ */

static void
set_exporting (WpcTrafficView *self,
               gboolean        exporting)
{
  self->exporting = exporting;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPORTING]);
  update_status (self);
}

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(WpcTrafficView) self = user_data;
  g_autoptr(GError) error = NULL;
  guint written = 0, skipped = 0;

  wpi_traffic_export_finish (result, &written, &skipped, &error);
  g_clear_object (&self->export_cancellable);
  /* Disposed meanwhile: nothing left to show it in */
  if (self->activity_label == NULL)
    return;

  g_clear_pointer (&self->export_message, g_free);
  if (error != NULL)
    self->export_message = g_strdup_printf (_("Export failed: %s"), error->message);
  else
    {
      char *text = NULL;

      if (skipped > 0)
        /* Translators: the second number counts messages whose body could not be decoded */
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u message; %u not decoded were left out",
                                             "Exported %u messages; %u not decoded were left out", written),
                                written, skipped);
      else
        text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u message", "Exported %u messages",
                                             written), written);
      self->export_message = text;
    }
  set_exporting (self, FALSE);
  g_signal_emit (self, signals[EXPORT_FINISHED], 0, written, skipped, error);
}

void
wpc_traffic_view_export_to (WpcTrafficView         *self,
                            WpiTrafficExportFormat  format,
                            GFile                  *destination)
{
  g_autoptr(GArray) ids = NULL;

  g_return_if_fail (WPC_IS_TRAFFIC_VIEW (self));
  g_return_if_fail (G_IS_FILE (destination));
  g_return_if_fail (!self->exporting);

  if (self->filter_model == NULL)
    return;

  ids = wpi_traffic_filter_model_dup_ids (self->filter_model);
  self->export_cancellable = g_cancellable_new ();
  g_clear_pointer (&self->export_message, g_free);
  set_exporting (self, TRUE);
  wpi_traffic_export_async (self->store, ids, format, destination,
                            self->reveal_secrets ? WPI_DUMP_SHOW_SECRETS : WPI_DUMP_NONE,
                            self->export_cancellable, on_exported, g_object_ref (self));
}

gboolean
wpc_traffic_view_get_exporting (WpcTrafficView *self)
{
  g_return_val_if_fail (WPC_IS_TRAFFIC_VIEW (self), FALSE);
  return self->exporting;
}

static void
on_export_response (GtkNativeDialog *chooser,
                    int              response,
                    WpcTrafficView  *self)
{
  WpiTrafficExportFormat format = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "format"));

  if (response == GTK_RESPONSE_ACCEPT && !self->exporting)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));

      if (file != NULL)
        wpc_traffic_view_export_to (self, format, file);
    }
  g_signal_handlers_disconnect_by_data (chooser, self);
  g_clear_object (&self->export_chooser);
}

static void
choose_export (WpcTrafficView         *self,
               WpiTrafficExportFormat  format)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  if (self->export_chooser != NULL)
    return;

  if (format == WPI_TRAFFIC_EXPORT_XML)
    chooser = gtk_file_chooser_native_new (_("Export Messages as XML Files"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                           GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Export"), _("_Cancel"));
  else if (format == WPI_TRAFFIC_EXPORT_PCAPNG)
    {
      /* D29: HTTP over TCP for Wireshark */
      chooser = gtk_file_chooser_native_new (_("Export Messages as pcapng for Wireshark"),
                                             GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                             GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "traffic.pcapng");
    }
  else
    {
      chooser = gtk_file_chooser_native_new (_("Export Messages as JSON Lines"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                             GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
      gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "traffic.jsonl");
    }
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_object_set_data (G_OBJECT (chooser), "format", GINT_TO_POINTER (format));
  g_signal_connect (chooser, "response", G_CALLBACK (on_export_response), self);
  self->export_chooser = GTK_NATIVE_DIALOG (chooser);
  gtk_native_dialog_show (self->export_chooser);
}

/* ---- Actions ------------------------------------------------------------------------ */

static void
focus_filter_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->filter_entry));
}

static void
apply_filter_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  apply_filter (WPC_TRAFFIC_VIEW (widget));
}

static char *
quote_value (const char *value)
{
  GString *quoted = g_string_new ("\"");

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (quoted, '\\');
      g_string_append_c (quoted, *p);
    }
  g_string_append_c (quoted, '"');
  return g_string_free (quoted, FALSE);
}

static void
follow_flow_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  WpiTrafficEntry *entry = self->selection != NULL ? gtk_single_selection_get_selected_item (self->selection) : NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *text = NULL;

  if (entry == NULL || wpi_traffic_entry_get_flow (entry) == NULL)
    return;
  quoted = quote_value (wpi_traffic_entry_get_flow (entry));
  text = g_strdup_printf ("flow == %s", quoted);
  wpc_traffic_view_apply_filter_text (self, text);
}

static void
export_xml_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  choose_export (WPC_TRAFFIC_VIEW (widget), WPI_TRAFFIC_EXPORT_XML);
}

static void
export_json_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  choose_export (WPC_TRAFFIC_VIEW (widget), WPI_TRAFFIC_EXPORT_JSON_LINES);
}

static void
export_pcapng_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  choose_export (WPC_TRAFFIC_VIEW (widget), WPI_TRAFFIC_EXPORT_PCAPNG);
}

/* Space pauses, except where it types or presses: in the filter entry, on a button. */
static gboolean
on_space (GtkWidget *widget,
          GVariant  *args,
          gpointer   user_data)
{
  WpcTrafficView *self = WPC_TRAFFIC_VIEW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus != NULL && (GTK_IS_EDITABLE (focus) || GTK_IS_BUTTON (focus) ||
                        (GTK_IS_TEXT_VIEW (focus) && gtk_text_view_get_editable (GTK_TEXT_VIEW (focus)))))
    return FALSE;
  wpc_traffic_view_set_paused (self, !self->paused);
  return TRUE;
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
  return apply_filter (self);
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
  update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
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
  update_details (self);
  /* A filter applied may have matched secrets, or may now be allowed to. */
  if (self->filter != NULL)
    {
      g_autoptr(WpiFilter) filter = parse_filter (self, wpi_filter_get_text (self->filter), NULL);

      if (filter != NULL)
        set_filter (self, filter);
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

  g_clear_handle_id (&self->follow_tail_id, g_source_remove);
  if (self->follow_tail_tick != 0 && self->message_list != NULL)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->message_list), self->follow_tail_tick);
  self->follow_tail_tick = 0;
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
  clear_models (self);
  g_clear_object (&self->details);

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_TRAFFIC_VIEW);

  g_clear_object (&self->settings);
  g_clear_object (&self->store);
  g_clear_pointer (&self->filter, wpi_filter_unref);
  g_clear_pointer (&self->export_message, g_free);
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
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, filter_error_label);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, message_list);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, details_list);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, raw_view);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, filter_progress);
  gtk_widget_class_bind_template_child (widget_class, WpcTrafficView, activity_label);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_activate);

  gtk_widget_class_install_action (widget_class, "traffic.focus-filter", NULL, focus_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.apply-filter", NULL, apply_filter_action);
  gtk_widget_class_install_action (widget_class, "traffic.follow-flow", NULL, follow_flow_action);
  gtk_widget_class_install_action (widget_class, "traffic.export-xml", NULL, export_xml_action);
  gtk_widget_class_install_action (widget_class, "traffic.export-json", NULL, export_json_action);
  gtk_widget_class_install_action (widget_class, "traffic.export-pcapng", NULL, export_pcapng_action);
  gtk_widget_class_install_property_action (widget_class, "traffic.pause", "paused");
  gtk_widget_class_install_property_action (widget_class, "traffic.reveal-secrets", "reveal-secrets");

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "traffic.focus-filter", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "traffic.follow-flow", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "traffic.pause", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "traffic.export-xml", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "traffic.export-json", NULL);
}

static void
wpc_traffic_view_init (WpcTrafficView *self)
{
  g_autoptr(WpiTrafficRecord) probe = wpi_traffic_record_new ();
  g_autoptr(GtkListItemFactory) detail_factory = gtk_signal_list_item_factory_new ();
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));

  probe->id = 1;
  self->order_probes[0] = wpi_traffic_entry_new (probe);
  probe->id = 2;
  self->order_probes[1] = wpi_traffic_entry_new (probe);
  create_columns (self);

  g_signal_connect (detail_factory, "setup", G_CALLBACK (setup_detail), NULL);
  g_signal_connect (detail_factory, "bind", G_CALLBACK (bind_detail), NULL);
  g_signal_connect (detail_factory, "unbind", G_CALLBACK (unbind_detail), NULL);
  gtk_list_view_set_factory (self->details_list, detail_factory);

  controller = gtk_shortcut_controller_new ();
  gtk_event_controller_set_name (controller, "wpc-traffic-space");
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_space, 0),
                                                          gtk_callback_action_new (on_space, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "traffic.reveal-secrets", FALSE);
  update_details (self);
  update_status (self);
}
