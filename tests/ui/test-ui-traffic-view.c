/* test-ui-traffic-view.c: the traffic inspector in the main window, over a real store,
 * on an Xvfb display with settings in a memory backend.
 *
 * With WPC_SCREENSHOT_DIR set, the inspector is also saved there as a PNG for review.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "wpi-catalogue.h"
#include "wpi-codec.h"
#include "wpc-cell-label.h"
#include "wpc-traffic-detail.h"
#include "wpc-traffic-view-private.h"
#include "traffic-view-fixture.h"

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
filter_entry (Fixture *fixture)
{
  GtkWidget *entry = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_ENTRY, NULL);

  g_assert_nonnull (entry);
  return entry;
}

static char *
details_text (Fixture *fixture)
{
  GListModel *details = wpc_traffic_view_get_details (fixture->view);

  g_assert_nonnull (details);
  return wpc_traffic_detail_to_text (details);
}

/* ---- Tests -------------------------------------------------------------------- */

static void
test_empty (Fixture       *fixture,
            gconstpointer  user_data)
{
  GtkStack *stack = GTK_STACK (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_STACK, NULL));
  g_autoptr(WpiTrafficRecord) record = log_record (0);
  g_autofree char *text = NULL;

  /* No store yet */
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (text, "No Messages Yet"));
  /* ... and where the phones must point for messages to come */
  g_assert_nonnull (strstr (text, "DLS address"));
  g_assert_nonnull (strstr (text, "Point Phones Here"));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "traffic-view-empty.png");
  g_assert_null (wpc_traffic_view_get_model (fixture->view));

  /* An empty log */
  wpc_traffic_view_set_store (fixture->view, fixture->store);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");
  g_assert_cmpuint (n_shown (fixture), ==, 0);

  /* The first message */
  store_record (fixture->store, record);
  wpc_traffic_view_append (fixture->view, record);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "messages");
  g_assert_cmpuint (n_shown (fixture), ==, 1);
}

static void
test_list (Fixture       *fixture,
           gconstpointer  user_data)
{
  GtkColumnView *list = GTK_COLUMN_VIEW (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL));
  GListModel *columns = gtk_column_view_get_columns (list);
  static const char * const titles[] = {
    "No.", "Time", "Phone", "Direction", "Port/Mode", "Reason/Action", "Status", "Items", "Size",
  };
  g_autofree char *text = NULL;

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);

  g_assert_cmpuint (g_list_model_get_n_items (columns), ==, G_N_ELEMENTS (titles));
  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      g_assert_cmpstr (gtk_column_view_column_get_title (column), ==, titles[i]);
    }

  /* Rows are drawn with their summary */
  ui_test_wait_for_shown_text (GTK_WIDGET (list), "security event", WAIT_TIMEOUT_MS, "the list to show its rows");
  text = ui_test_shown_text (GTK_WIDGET (list));
  test_util_assert_contains_all (text, MAC_A, "start-up", "reply-to · WriteItems", "busy", "malformed",
                                 "18443 · Default", NULL);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (text, "14 messages"));

  /* The newest first: No. sorted descending */
  {
    g_autoptr(GtkColumnViewColumn) number = g_list_model_get_item (columns, 0);
    g_autoptr(WpiTrafficEntry) first = NULL;

    gtk_column_view_sort_by_column (list, number, GTK_SORT_DESCENDING);
    first = g_list_model_get_item (list_model (fixture), 0);
    g_assert_cmpint (wpi_traffic_entry_get_id (first), ==, N_LOG);
    gtk_column_view_sort_by_column (list, number, GTK_SORT_ASCENDING);
    g_clear_object (&first);
    first = g_list_model_get_item (list_model (fixture), 0);
    g_assert_cmpint (wpi_traffic_entry_get_id (first), ==, 1);
  }

  g_assert_true (wpc_traffic_view_select_id (fixture->view, 7));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "traffic-view.png");
}

static void
test_filter (Fixture       *fixture,
             gconstpointer  user_data)
{
  GtkWidget *entry = filter_entry (fixture);
  g_autofree char *text = NULL;

  wpc_traffic_view_set_store (fixture->view, fixture->store);

  /* Checked as typed: red, with the reason */
  gtk_editable_set_text (GTK_EDITABLE (entry), "stat == busy");
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (entry), ==, "unknown field “stat” at 1 (did you mean “status”?)");
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (text, "unknown field “stat” at 1"));

  /* An invalid filter is not applied */
  g_signal_emit_by_name (entry, "activate");
  g_assert_null (wpc_traffic_view_get_filter (fixture->view));
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);

  gtk_editable_set_text (GTK_EDITABLE (entry), "(status == busy");
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (entry), ==, "unbalanced parenthesis: “(” at 1 is not closed");

  /* Valid: the mark goes; Enter applies */
  gtk_editable_set_text (GTK_EDITABLE (entry), "status == busy");
  g_assert_false (gtk_widget_has_css_class (entry, "error"));
  g_assert_null (gtk_widget_get_tooltip_text (entry));
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);
  g_signal_emit_by_name (entry, "activate");
  g_assert_nonnull (wpc_traffic_view_get_filter (fixture->view));
  wait_for_filter (fixture);
  g_assert_cmpuint (n_shown (fixture), ==, 1);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (text, "1 of 14 messages match the filter"));

  /* The example, and item fields (read from the bodies in the worker) */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view,
                                                     "mac == 00:1A:E8:12:34:56 and (status == busy or item.sip-transport-user == 2)"));
  wait_for_filter (fixture);
  g_assert_cmpuint (n_shown (fixture), ==, 1);
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "item.line-sip-uri or e164 == 4989700141"));
  wait_for_filter (fixture);
  {
    /* the phone's messages that carry its number, and the two with line-sip-uri */
    static const gint64 expected[] = { 1, 3, 5, 9, 10, 11 };
    g_autoptr(GArray) ids = wpi_traffic_filter_model_dup_ids (wpc_traffic_view_get_model (fixture->view));

    g_assert_cmpmem (ids->data, ids->len * sizeof (gint64), expected, sizeof expected);
  }
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "error"));
  wait_for_filter (fixture);
  g_assert_cmpuint (n_shown (fixture), ==, 2);

  /* Cleared: everything again */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, ""));
  g_assert_null (wpc_traffic_view_get_filter (fixture->view));
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);
  g_assert_false (wpc_traffic_view_apply_filter_text (fixture->view, "port == http"));
  g_assert_true (gtk_widget_has_css_class (entry, "error"));
}

static const char *
category_of (const char *item)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  WpiItemInfo *info = wpi_catalogue_lookup (catalogue, item);

  g_assert_nonnull (info);
  return wpi_catalogue_get_category_title (catalogue, wpi_item_info_get_category (info));
}

static void
test_details (Fixture       *fixture,
              gconstpointer  user_data)
{
  GtkWidget *reveal = find_button (GTK_WIDGET (fixture->view), "_Reveal Secrets");
  g_autofree char *details = NULL;
  g_autofree char *raw = NULL;

  wpc_traffic_view_set_store (fixture->view, fixture->store);

  /* The start-up: attributes, items with the catalogue's meanings, a masked password */
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 1));
  g_assert_cmpint (wpc_traffic_view_get_selected_id (fixture->view), ==, 1);
  details = details_text (fixture);
  test_util_assert_contains_all (details,
                                 "Message 1: ",
                                 "    Direction: Phone to console\n",
                                 "    Phone: " MAC_A "\n",
                                 "HTTP: POST /DeploymentService/LoginService HTTP/1.1\n",
                                 "    Host: 192.168.10.2:18443\n",
                                 "WorkPoint Interface: WorkpointMessage (phone to console)\n",
                                 "    Reason for contact: start-up (registration after a start-up or reset)\n",
                                 "Items: 17 items\n",
                                 "    user-pwd: (masked)\n",
                                 NULL);
  /* Each item's catalogue meaning once, on the item's own line: no "Category" child */
  {
    g_autofree char *e164 = g_strdup_printf ("    e164: 4989700141 (%s)\n", category_of ("e164"));
    g_autofree char *flag = g_strdup_printf ("    configuration-changed-flag: false (no · %s)\n",
                                             category_of ("configuration-changed-flag"));

    test_util_assert_contains_all (details, e164, flag, NULL);
    g_assert_null (strstr (details, "Category"));
  }
  g_assert_null (strstr (details, "Tür"));
  raw = wpc_traffic_view_dup_raw_text (fixture->view);
  g_assert_true (g_str_has_prefix (raw, "POST /DeploymentService/LoginService HTTP/1.1\nHost: 192.168.10.2:18443\n"));
  g_assert_nonnull (strstr (raw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<WorkpointMessage"));
  g_assert_nonnull (strstr (raw, "<Item name=\"user-pwd\">[masked]</Item>"));
  g_assert_null (strstr (raw, "Tor"));

  /* Reveal: only once the preferences allow it */
  g_assert_nonnull (reveal);
  g_assert_false (gtk_widget_get_sensitive (reveal));
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "traffic.reveal-secrets", NULL);
  g_assert_false (wpc_traffic_view_get_reveal_secrets (fixture->view));
  wpc_traffic_view_set_reveal_secrets (fixture->view, TRUE);
  g_assert_false (wpc_traffic_view_get_reveal_secrets (fixture->view));
  g_settings_set_boolean (fixture->settings, "reveal-secrets-allowed", TRUE);
  g_assert_true (gtk_widget_get_sensitive (reveal));
  g_signal_emit_by_name (reveal, "clicked");
  g_assert_true (wpc_traffic_view_get_reveal_secrets (fixture->view));
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (reveal)));
  g_clear_pointer (&raw, g_free);
  raw = wpc_traffic_view_dup_raw_text (fixture->view);
  g_assert_nonnull (strstr (raw, "<Item name=\"user-pwd\">Tür&amp;Tor&lt;7</Item>"));
  g_clear_pointer (&details, g_free);
  details = details_text (fixture);
  g_assert_nonnull (strstr (details, "    user-pwd: Tür&Tor<7 ("));
  /* Withdrawn: masked again at once */
  g_settings_set_boolean (fixture->settings, "reveal-secrets-allowed", FALSE);
  g_assert_false (wpc_traffic_view_get_reveal_secrets (fixture->view));
  g_assert_false (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (reveal)));
  g_assert_false (gtk_widget_get_sensitive (reveal));
  g_clear_pointer (&raw, g_free);
  raw = wpc_traffic_view_dup_raw_text (fixture->view);
  g_assert_null (strstr (raw, "Tor"));

  /* The phone's item verdicts, explained */
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 11));
  g_clear_pointer (&details, g_free);
  details = details_text (fixture);
  {
    g_autofree char *ldap = g_strdup_printf ("    ldap-user:  (%s)\n        Status: invalid data (the phone refused the value)\n",
                                             category_of ("ldap-user"));
    g_autofree char *uri = g_strdup_printf ("    line-sip-uri[2]:  (%s)\n        Status: invalid index (the index is out of range)\n",
                                            category_of ("line-sip-uri"));

    test_util_assert_contains_all (details, ldap, uri, NULL);
  }

  /* Busy */
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 7));
  g_clear_pointer (&details, g_free);
  details = details_text (fixture);
  g_assert_nonnull (strstr (details, "    Status: busy (the phone is in a call; the console tries again later)\n"));

  /* A security event */
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 13));
  g_clear_pointer (&details, g_free);
  details = details_text (fixture);
  g_assert_nonnull (strstr (details, "Security event: " SECURITY_DETAIL " (The console refused this message"));

  /* A body the codec refused */
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 14));
  g_clear_pointer (&details, g_free);
  details = details_text (fixture);
  g_assert_nonnull (strstr (details, "Not decoded: 1:27: malformed XML (The body is not well-formed XML"));
  g_assert_nonnull (strstr (details, "    Code: WPI_CODEC_ERROR_MALFORMED\n"));
  g_assert_null (strstr (details, "WorkPoint Interface"));
  g_clear_pointer (&raw, g_free);
  raw = wpc_traffic_view_dup_raw_text (fixture->view);
  g_assert_true (g_str_has_suffix (raw, "<WorkpointMessage><Message"));

  /* Nothing selected: nothing shown */
  gtk_single_selection_set_selected (GTK_SINGLE_SELECTION (list_model (fixture)), GTK_INVALID_LIST_POSITION);
  g_assert_null (wpc_traffic_view_get_details (fixture->view));
  g_clear_pointer (&raw, g_free);
  raw = wpc_traffic_view_dup_raw_text (fixture->view);
  g_assert_cmpstr (raw, ==, "");
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "traffic-view-nothing-selected.png");
}

static void
test_follow_flow (Fixture       *fixture,
                  gconstpointer  user_data)
{
  GtkWidget *view = GTK_WIDGET (fixture->view);
  GtkWidget *follow = find_button (view, "_Follow Flow");

  wpc_traffic_view_set_store (fixture->view, fixture->store);

  /* Nothing selected: nothing to follow */
  g_assert_nonnull (follow);
  g_assert_false (gtk_widget_get_sensitive (follow));

  g_assert_true (wpc_traffic_view_select_id (fixture->view, 7));
  g_assert_true (gtk_widget_get_sensitive (follow));
  g_assert_true (ui_test_activate_shortcut (view, "<Shift><Control>f"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (filter_entry (fixture))), ==, "flow == flow-2");
  wait_for_filter (fixture);
  g_assert_cmpuint (n_shown (fixture), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(WpiTrafficEntry) entry = g_list_model_get_item (list_model (fixture), i);

      g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 5 + i);
      g_assert_cmpstr (wpi_traffic_entry_get_flow (entry), ==, "flow-2");
    }
  /* The message followed stays selected */
  g_assert_cmpint (wpc_traffic_view_get_selected_id (fixture->view), ==, 7);
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "traffic-view-follow-flow.png");
  /* Followed from the phone's busy reply: both sides, told apart by arrow and colour (D28) */
  {
    g_autoptr(GPtrArray) labels = g_ptr_array_new ();
    guint in = 0, out = 0;

    ui_test_find_all (view, GTK_TYPE_LABEL, NULL, labels);
    for (guint i = 0; i < labels->len; i++)
      {
        GtkWidget *label = g_ptr_array_index (labels, i);
        const char *text = gtk_label_get_text (GTK_LABEL (label));

        if (!ui_test_is_shown (label))
          continue;
        if (g_str_equal (text, "→ In"))
          in += gtk_widget_has_css_class (label, "wpc-traffic-in") && !gtk_widget_has_css_class (label, "wpc-traffic-out");
        else if (g_str_equal (text, "← Out"))
          out += gtk_widget_has_css_class (label, "wpc-traffic-out") && !gtk_widget_has_css_class (label, "wpc-traffic-in");
      }
    g_assert_cmpuint (in, ==, 2);
    g_assert_cmpuint (out, ==, 2);
  }

  /* A message without a flow has nothing to follow */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "not flow"));
  wait_for_filter (fixture);
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 13));
  g_assert_false (gtk_widget_get_sensitive (follow));
}

static gboolean
is_focus_in (gpointer data)
{
  GtkWidget *widget = data;
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (widget));

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

static void
test_pause (Fixture       *fixture,
            gconstpointer  user_data)
{
  GtkWidget *view = GTK_WIDGET (fixture->view);
  GtkWidget *list = ui_test_find_widget (view, GTK_TYPE_COLUMN_VIEW, NULL);
  g_autofree char *text = NULL;
  guint next = 0;

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);

  /* Space pauses, except in the filter entry where it types */
  gtk_widget_grab_focus (GTK_WIDGET (filter_entry (fixture)));
  g_assert_false (ui_test_activate_shortcut (view, "space"));
  g_assert_false (wpc_traffic_view_get_paused (fixture->view));
  gtk_widget_grab_focus (list);
  g_assert_true (ui_test_activate_shortcut (view, "space"));
  g_assert_true (wpc_traffic_view_get_paused (fixture->view));

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(WpiTrafficRecord) record = log_record (next++);

      store_record (fixture->store, record);
      wpc_traffic_view_append (fixture->view, record);
    }
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);
  text = ui_test_shown_text (view);
  g_assert_nonnull (strstr (text, "Paused: 2 new messages"));

  /* Ctrl+E resumes: the two arrive */
  g_assert_true (ui_test_activate_shortcut (view, "<Control>e"));
  g_assert_false (wpc_traffic_view_get_paused (fixture->view));
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG + 2);

  /* Live messages pass the display filter too */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "dir == in"));
  wait_for_filter (fixture);
  {
    guint before = n_shown (fixture);
    g_autoptr(WpiTrafficRecord) in = log_record (0);
    g_autoptr(WpiTrafficRecord) out = log_record (1);

    store_record (fixture->store, in);
    wpc_traffic_view_append (fixture->view, in);
    store_record (fixture->store, out);
    wpc_traffic_view_append (fixture->view, out);
    g_assert_cmpuint (n_shown (fixture), ==, before + 1);
  }

  /* Ctrl+F: to the filter */
  gtk_widget_grab_focus (list);
  g_assert_true (ui_test_activate_shortcut (view, "<Control>f"));
  g_assert_true (is_focus_in (filter_entry (fixture)));
}

typedef struct {
  GtkAdjustment *adjustment;
  double         upper_before;
} TailWait;

static gboolean
scrolled_to_newest (gpointer data)
{
  TailWait *wait = data;
  GtkAdjustment *adjustment = wait->adjustment;

  return gtk_adjustment_get_upper (adjustment) > wait->upper_before &&
         gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 1.0;
}

static void
append_messages (Fixture *fixture,
                 guint    n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiTrafficRecord) record = log_record (i % 12);

      store_record (fixture->store, record);
      wpc_traffic_view_append (fixture->view, record);
    }
}

/* A list scrolled to the newest message follows the live capture; one scrolled
 * elsewhere stays. */
static void
test_follow_tail (Fixture       *fixture,
                  gconstpointer  user_data)
{
  GtkScrollable *list = GTK_SCROLLABLE (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL));
  TailWait wait = { 0 };

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  append_messages (fixture, 30);
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  wait.adjustment = gtk_scrollable_get_vadjustment (list);
  g_assert_nonnull (wait.adjustment);
  g_assert_cmpfloat (gtk_adjustment_get_value (wait.adjustment), ==, 0.0);
  g_assert_cmpfloat (gtk_adjustment_get_upper (wait.adjustment), >, gtk_adjustment_get_page_size (wait.adjustment));

  /* At the newest: follows */
  gtk_adjustment_set_value (wait.adjustment, gtk_adjustment_get_upper (wait.adjustment));
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  wait.upper_before = gtk_adjustment_get_upper (wait.adjustment);
  append_messages (fixture, 5);
  wait_for (scrolled_to_newest, &wait, "the list to follow the new messages");
  /* The view keeps the end in view for a few frames while row heights settle
   * (FOLLOW_TAIL_FRAMES); the reader scrolls away after that. */
  for (guint i = 0; i < 6; i++)
    ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);

  /* Elsewhere: stays */
  gtk_adjustment_set_value (wait.adjustment, 0.0);
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  append_messages (fixture, 5);
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  g_assert_cmpfloat (gtk_adjustment_get_value (wait.adjustment), ==, 0.0);
}

/* ---- The list's rows ---------------------------------------------------------------- */

/* The rows the message list shows: its No. cells inside its viewport */
static guint
n_rows_visible (Fixture *fixture)
{
  GtkWidget *list = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL);
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  guint n = 0;

  ui_test_find_all (list, GTK_TYPE_LABEL, NULL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      graphene_rect_t bounds;

      if (GPOINTER_TO_UINT (g_object_get_data (labels->pdata[i], "wpc-column")) == 1 &&
          gtk_widget_get_mapped (labels->pdata[i]) &&
          gtk_widget_get_child_visible (gtk_widget_get_parent (labels->pdata[i])) &&
          gtk_widget_compute_bounds (labels->pdata[i], list, &bounds) &&
          bounds.origin.y + bounds.size.height > 0 && bounds.origin.y < gtk_widget_get_height (list))
        n++;
    }
  return n;
}

/* Whether the No. cell of the message id is inside the list's viewport */
static gboolean
row_is_visible (Fixture *fixture,
                gint64   id)
{
  GtkWidget *list = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL);
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, id);

  ui_test_find_all (list, GTK_TYPE_LABEL, NULL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      graphene_rect_t bounds;

      if (GPOINTER_TO_UINT (g_object_get_data (labels->pdata[i], "wpc-column")) == 1 &&
          g_strcmp0 (gtk_label_get_text (labels->pdata[i]), number) == 0 &&
          gtk_widget_get_mapped (labels->pdata[i]) &&
          gtk_widget_compute_bounds (labels->pdata[i], list, &bounds) &&
          bounds.origin.y >= 0 && bounds.origin.y + bounds.size.height <= gtk_widget_get_height (list))
        return TRUE;
    }
  return FALSE;
}

static void
wait_for_frames (Fixture *fixture)
{
  for (guint i = 0; i < 6; i++)
    ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
}

/* After a popup closed: the crossing events and idles it leaves are handled while the
 * window is still there */
static void
settle_after_popup (Fixture *fixture)
{
  wait_for_frames (fixture);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* Issue 13: "the list showed 1 of 425 rows until it was scrolled". Selecting a message
 * (a jump from a phone's traffic, a filter that finds the selection again) scrolled
 * the list to rows it had never measured, and it showed one row or none. */
static void
test_rows_shown (Fixture       *fixture,
                 gconstpointer  user_data)
{
  static const struct { gboolean hidden; const char *filter; gint64 id; } cases[] = {
    { FALSE, NULL, 425 },
    { TRUE, NULL, 425 },
    { TRUE, NULL, 200 },
    { FALSE, "dir == in or dir == out", 420 },
    { TRUE, "dir == in or dir == out", 200 },
    { FALSE, "status == busy", 367 },
  };

  append_messages (fixture, 425); /* before the view has the store: only logged */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %s, %s, message %" G_GINT64_FORMAT, i, cases[i].hidden ? "hidden" : "shown",
                      cases[i].filter, cases[i].id);
      wpc_traffic_view_set_store (fixture->view, NULL);
      g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, ""));
      if (cases[i].hidden)
        g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "phones"));
      wpc_traffic_view_set_store (fixture->view, fixture->store);
      if (cases[i].filter != NULL)
        {
          g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, cases[i].filter));
          wait_for_filter (fixture);
        }
      g_assert_true (wpc_traffic_view_select_id (fixture->view, cases[i].id));
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "traffic"));
      wait_for_frames (fixture);
      /* A page of rows, the selected one among them */
      g_assert_cmpuint (n_rows_visible (fixture), >=, MIN (8, n_shown (fixture)));
      g_assert_true (row_is_visible (fixture, cases[i].id));
    }

  /* Messages faster than frames: the list keeps up with the newest */
  wpc_traffic_view_set_store (fixture->view, NULL);
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, ""));
  wpc_traffic_view_set_store (fixture->view, fixture->store);
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 425));
  wait_for_frames (fixture);
  for (guint i = 0; i < 40; i++)
    {
      append_messages (fixture, 1);
      g_main_context_iteration (NULL, FALSE);
    }
  wait_for_frames (fixture);
  g_assert_true (row_is_visible (fixture, 465));
  g_assert_cmpuint (n_rows_visible (fixture), >=, 8);
}

/* ---- Wireshark's conventions (issue 13 part 2) ------------------------------------- */

/* The details row whose title is title (rows of the selected message, all expanded) */
static guint
detail_row (Fixture    *fixture,
            const char *title)
{
  GtkListView *details = GTK_LIST_VIEW (ui_test_find_named (GTK_WIDGET (fixture->view), GTK_TYPE_LIST_VIEW,
                                                           "details_list"));
  GListModel *rows = G_LIST_MODEL (gtk_list_view_get_model (details));

  for (guint i = 0; rows != NULL && i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(GtkTreeListRow) row = g_list_model_get_item (rows, i);
      g_autoptr(WpcTrafficDetail) node = gtk_tree_list_row_get_item (row);

      if (g_strcmp0 (wpc_traffic_detail_get_title (node), title) == 0)
        return i;
    }
  g_error ("no details row “%s”", title);
}

static GtkSingleSelection *
details_selection (Fixture *fixture)
{
  GtkListView *details = GTK_LIST_VIEW (ui_test_find_named (GTK_WIDGET (fixture->view), GTK_TYPE_LIST_VIEW,
                                                           "details_list"));

  return GTK_SINGLE_SELECTION (gtk_list_view_get_model (details));
}

/* The text of the clipboard the view copies to (set in this process) */
static char *
clipboard_text (Fixture *fixture)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (fixture->view));
  GdkContentProvider *content = gdk_clipboard_get_content (clipboard);
  g_auto(GValue) value = G_VALUE_INIT;

  g_assert_nonnull (content);
  g_value_init (&value, G_TYPE_STRING);
  g_assert_true (gdk_content_provider_get_value (content, &value, NULL));
  return g_value_dup_string (&value);
}

static void
assert_copies (Fixture    *fixture,
               const char *action,
               const char *expected)
{
  g_autofree char *copied = NULL;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (fixture->view)), "(nothing)");
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), action, NULL);
  copied = clipboard_text (fixture);
  g_assert_cmpstr (copied, ==, expected != NULL ? expected : "(nothing)");
  /* What was copied is told by a toast (issue 12 §1) */
  if (expected != NULL)
    ui_test_assert_toast (GTK_WIDGET (fixture->view),
                          g_str_equal (action, "traffic.copy-value") ? "Value copied" : "Filter copied", NULL);
}

static gboolean
is_small_laptop_size (gpointer window)
{
  int width = 0, height = 0;

  gtk_window_get_default_size (window, &width, &height);
  return width == 1024 && height == 600 && gtk_widget_get_width (window) <= 1024 &&
         gtk_widget_get_height (window) <= 600;
}

static gboolean
is_unmapped (gpointer widget)
{
  return !gtk_widget_get_mapped (widget);
}

/* Right-click on a list cell or a details row: Apply/Prepare as Filter, Copy Value,
 * Copy as Filter, with the value quoted so that it parses back */
static void
test_context_menu (Fixture       *fixture,
                   gconstpointer  user_data)
{
  static const struct {
    gint64      id;
    int         column;  /* a list cell, or -1: the details row named by row */
    const char *row;
    const char *value;   /* what Copy Value copies */
    const char *filter;  /* what Copy as Filter copies, NULL: none */
    guint       matches; /* messages shown after Apply as Filter > Selected */
  } cases[] = {
    { 1, 2, NULL, MAC_A, "mac == " MAC_A, 4 },
    { 7, 6, NULL, "busy", "status == busy", 1 },
    { 7, 4, NULL, "18443 · Default", "port == 18443", N_LOG },
    { 14, 6, NULL, "malformed", "error == malformed", 1 },
    { 14, 2, NULL, "192.168.10.41", "ip == 192.168.10.41", N_LOG - 1 },
    { 2, 0, NULL, "2", NULL, 0 },
    { 1, -1, "e164", "4989700141", "item.e164 == 4989700141", 5 },
    { 1, -1, "device-type", "OpenStage 60", "item.device-type == \"OpenStage 60\"", 4 },
    { 1, -1, "user-pwd", "(masked)", NULL, 0 },
    { 1, -1, "Nonce", "B7FFE4F479F30D2120FB74E9E5233172", "nonce == B7FFE4F479F30D2120FB74E9E5233172", 4 },
    { 5, -1, "Flow", "flow-2", "flow == flow-2", 4 },
  };
  GtkWidget *popover;

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint position;

      g_test_message ("case %u: %s", i, cases[i].value);
      g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, ""));
      if (cases[i].column >= 0)
        {
          g_assert_true (wpi_traffic_filter_model_find (wpc_traffic_view_get_model (fixture->view), cases[i].id,
                                                        &position));
          g_assert_true (_wpc_traffic_view_popup_cell_menu (fixture->view, position, cases[i].column));
          g_assert_cmpint (wpc_traffic_view_get_selected_id (fixture->view), ==, cases[i].id);
        }
      else
        {
          g_assert_true (wpc_traffic_view_select_id (fixture->view, cases[i].id));
          g_assert_true (_wpc_traffic_view_popup_detail_menu (fixture->view, detail_row (fixture, cases[i].row)));
        }
      /* Top left, away from Xvfb's pointer in the middle of the screen, which would hover
       * a submenu open */
      _wpc_traffic_view_show_context_menu (fixture->view, GTK_WIDGET (fixture->view), 10, 10);
      popover = ui_test_find_named (GTK_WIDGET (fixture->view), GTK_TYPE_POPOVER_MENU, "context-menu");
      g_assert_nonnull (popover);
      g_assert_true (gtk_widget_get_visible (popover));

      assert_copies (fixture, "traffic.copy-value", cases[i].value);
      assert_copies (fixture, "traffic.copy-as-filter", cases[i].filter);
      gtk_popover_popdown (GTK_POPOVER (popover));
      gtk_widget_activate_action (GTK_WIDGET (fixture->view), "traffic.apply-as-filter", "s", "selected");
      if (cases[i].filter == NULL)
        {
          /* Nothing to filter by: the entry stays as it was */
          g_assert_null (wpc_traffic_view_get_filter (fixture->view));
          continue;
        }
      g_assert_cmpstr (wpi_filter_get_text (wpc_traffic_view_get_filter (fixture->view)), ==, cases[i].filter);
      wait_for_filter (fixture);
      g_assert_cmpuint (n_shown (fixture), ==, cases[i].matches);
    }

  /* And / or / not: joined to what the entry holds; Prepare leaves it to Enter */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "dir == out or error"));
  wait_for_filter (fixture);
  g_assert_true (_wpc_traffic_view_popup_cell_menu (fixture->view, 0, 4)); /* the Port cell */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "traffic.prepare-as-filter", "s", "and-not");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (filter_entry (fixture))), ==,
                   "(dir == out or error) and not port == 18443");
  g_assert_cmpstr (wpi_filter_get_text (wpc_traffic_view_get_filter (fixture->view)), ==, "dir == out or error");
  g_assert_true (is_focus_in (filter_entry (fixture)));
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "mac == " MAC_B));
  wait_for_filter (fixture);
  g_assert_true (_wpc_traffic_view_popup_cell_menu (fixture->view, 2, 6)); /* message 7: busy */
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "traffic.apply-as-filter", "s", "and-not");
  g_assert_cmpstr (wpi_filter_get_text (wpc_traffic_view_get_filter (fixture->view)), ==,
                   "mac == " MAC_B " and not status == busy");
  wait_for_filter (fixture);
  g_assert_cmpuint (n_shown (fixture), ==, 7);

  /* From the keyboard: Shift+F10 on the details row selected */
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 9));
  gtk_single_selection_set_selected (details_selection (fixture), detail_row (fixture, "Phone"));
  gtk_widget_grab_focus (ui_test_find_named (GTK_WIDGET (fixture->view), GTK_TYPE_LIST_VIEW, "details_list"));
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Shift>F10"));
  g_assert_true (gtk_widget_get_visible (popover));
  assert_copies (fixture, "traffic.copy-as-filter", "mac == " MAC_B);
  gtk_popover_popdown (GTK_POPOVER (popover));

  /* The menu as a technician sees it, at the size of a small laptop */
  gtk_window_set_default_size (GTK_WINDOW (fixture->window), 1024, 600);
  wait_for (is_small_laptop_size, fixture->window, "the window to be 1024×600");
  wait_for_frames (fixture);
  g_assert_true (wpc_traffic_view_select_id (fixture->view, 9));
  g_assert_true (_wpc_traffic_view_popup_detail_menu (fixture->view, detail_row (fixture, "Reason for contact")));
  _wpc_traffic_view_show_context_menu (fixture->view, GTK_WIDGET (ui_test_find_named (GTK_WIDGET (fixture->view),
                                                                                       GTK_TYPE_LIST_VIEW,
                                                                                       "details_list")),
                                       60, 40);
  ui_test_save_screenshot_with_popover (GTK_WIDGET (fixture->window), popover, "traffic-view-context-menu.png");
  gtk_popover_popdown (GTK_POPOVER (popover));
  wait_for (is_unmapped, popover, "the context menu to close");
  settle_after_popup (fixture);
}

/* Selecting a field highlights its text in the raw pane, and the reverse */
static void
test_raw_highlight (Fixture       *fixture,
                    gconstpointer  user_data)
{
  static const struct { gint64 id; const char *row; const char *highlighted; } cases[] = {
    { 1, "e164", "<Item name=\"e164\">4989700141</Item>" },
    { 1, "user-pwd", "<Item name=\"user-pwd\">[masked]</Item>" },
    { 1, "Nonce", "nonce=\"B7FFE4F479F30D2120FB74E9E5233172\"" },
    { 1, "Reason for contact", "<ReasonForContact>start-up</ReasonForContact>" },
    { 1, "Host", "Host: 192.168.10.2:18443" },
    { 2, "Action", "<Action>ReadAllItems</Action>" },
    { 11, "line-sip-uri[2]", "<Item name=\"line-sip-uri\" status=\"invalid index\" index=\"2\"/>" },
    { 11, "Action", "action=\"WriteItems\"" },
  };
  GtkTextView *raw_view = GTK_TEXT_VIEW (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_TEXT_VIEW, NULL));
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (raw_view);
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), "wpc-highlight");

  g_assert_nonnull (tag);
  wpc_traffic_view_set_store (fixture->view, fixture->store);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GtkSingleSelection *selection;
      GtkTextIter start, end;
      g_autofree char *highlighted = NULL;
      guint row;

      g_test_message ("message %" G_GINT64_FORMAT ", %s", cases[i].id, cases[i].row);
      g_assert_true (wpc_traffic_view_select_id (fixture->view, cases[i].id));
      selection = details_selection (fixture);
      row = detail_row (fixture, cases[i].row);

      /* Field to text */
      gtk_single_selection_set_selected (selection, row);
      gtk_text_buffer_get_start_iter (buffer, &start);
      g_assert_true (gtk_text_iter_starts_tag (&start, tag) || gtk_text_iter_forward_to_tag_toggle (&start, tag));
      end = start;
      g_assert_true (gtk_text_iter_forward_to_tag_toggle (&end, tag));
      highlighted = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      g_assert_cmpstr (highlighted, ==, cases[i].highlighted);

      /* Text to field: a click in the middle of it */
      gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
      gtk_text_iter_forward_chars (&start, g_utf8_strlen (highlighted, -1) / 2);
      gtk_text_buffer_place_cursor (buffer, &start);
      g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, row);
    }
}

/* The pause button says what it does; auto-scroll is a toggle */
static void
test_pause_and_auto_scroll (Fixture       *fixture,
                            gconstpointer  user_data)
{
  GtkWidget *pause = ui_test_find_button_for_action (GTK_WIDGET (fixture->view), "traffic.pause");
  GtkWidget *auto_scroll = ui_test_find_button_for_action (GTK_WIDGET (fixture->view), "traffic.auto-scroll");
  GtkScrollable *list = GTK_SCROLLABLE (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL));
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (list);
  g_autofree char *tooltip = NULL;

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (pause)), ==, "media-playback-pause-symbolic");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pause), ==, "Pause the live capture (Space)");
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "traffic.pause", NULL);
  g_assert_true (wpc_traffic_view_get_paused (fixture->view));
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (pause)));
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (pause)), ==, "media-playback-start-symbolic");
  g_assert_cmpstr (gtk_widget_get_tooltip_text (pause), ==, "Resume the live capture (Space)");
  wpc_traffic_view_set_paused (fixture->view, FALSE);
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (pause)), ==, "media-playback-pause-symbolic");

  /* On by default: at the newest, the list follows */
  g_assert_true (wpc_traffic_view_get_auto_scroll (fixture->view));
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (auto_scroll)));
  append_messages (fixture, 30);
  wait_for_frames (fixture);
  g_assert_true (row_is_visible (fixture, N_LOG + 30));

  /* Off: the list stays, even at the newest */
  g_signal_emit_by_name (auto_scroll, "clicked");
  g_assert_false (wpc_traffic_view_get_auto_scroll (fixture->view));
  append_messages (fixture, 20);
  wait_for_frames (fixture);
  g_assert_true (row_is_visible (fixture, N_LOG + 30));
  g_assert_false (row_is_visible (fixture, N_LOG + 50));

  /* On again: to the newest at once */
  g_signal_emit_by_name (auto_scroll, "clicked");
  g_assert_true (wpc_traffic_view_get_auto_scroll (fixture->view));
  wait_for_frames (fixture);
  g_assert_true (row_is_visible (fixture, N_LOG + 50));
  g_assert_cmpfloat (gtk_adjustment_get_value (adjustment), >, 0.0);
}

/* The filter entry: a clear button, the recent filters, completion of fields and items */
static void
test_filter_entry (Fixture       *fixture,
                   gconstpointer  user_data)
{
  GtkEntry *entry = GTK_ENTRY (filter_entry (fixture));
  GtkMenuButton *recent = GTK_MENU_BUTTON (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_MENU_BUTTON, NULL));
  g_auto(GStrv) kept = NULL;
  GMenuModel *menu;

  wpc_traffic_view_set_store (fixture->view, fixture->store);

  /* Clear: shown with text, and clears the filter applied */
  g_assert_null (gtk_entry_get_icon_name (entry, GTK_ENTRY_ICON_SECONDARY));
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "status == busy"));
  g_assert_cmpstr (gtk_entry_get_icon_name (entry, GTK_ENTRY_ICON_SECONDARY), ==, "edit-clear-symbolic");
  /* (while the filter still scans: its results must not reach the list after this) */
  g_signal_emit_by_name (entry, "icon-press", GTK_ENTRY_ICON_SECONDARY);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_null (wpc_traffic_view_get_filter (fixture->view));
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);

  /* Recent: newest first, each once, at most 10; a bad filter is not kept */
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *text = g_strdup_printf ("port == %u", 18000 + i);
      g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, text));
    }
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "port == 18005"));
  g_assert_false (wpc_traffic_view_apply_filter_text (fixture->view, "port == http"));
  kept = g_settings_get_strv (fixture->settings, "recent-filters");
  g_assert_cmpuint (g_strv_length (kept), ==, 10);
  g_assert_cmpstr (kept[0], ==, "port == 18005");
  g_assert_cmpstr (kept[1], ==, "port == 18011");
  g_assert_cmpstr (kept[6], ==, "port == 18006");
  g_assert_cmpstr (kept[7], ==, "port == 18004");
  g_assert_cmpstr (kept[9], ==, "port == 18002");
  menu = gtk_menu_button_get_menu_model (recent);
  g_assert_cmpint (g_menu_model_get_n_items (menu), ==, 10);
  gtk_widget_activate_action (GTK_WIDGET (fixture->view), "traffic.apply-recent", "s", kept[3]);
  g_assert_cmpstr (wpi_filter_get_text (wpc_traffic_view_get_filter (fixture->view)), ==, kept[3]);

  /* Completion: the word being typed, where a field may stand */
  {
    static const struct { const char *typed; const char *offered; const char *chosen; } cases[] = {
      { "sta", "status", "status" },
      { "mac == 1 and (ite", "item.sip-transport-user", "mac == 1 and (item.sip-transport-user" },
      { "!err", "error", "!error" },
      { "item.e16", "item.e164", "item.e164" },
      { "status == bu", NULL, NULL },
      { "mac contains e", NULL, NULL },
    };
    GtkEntryCompletion *completion;
    GtkTreeModel *model;

    G_GNUC_BEGIN_IGNORE_DEPRECATIONS
    completion = gtk_entry_get_completion (entry);
    g_assert_nonnull (completion);
    model = gtk_entry_completion_get_model (completion);
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        GtkTreeView *popup;
        GtkTreeModel *shown;
        GtkTreeIter iter;
        gboolean found = FALSE;
        gboolean handled = FALSE;

        g_test_message ("typed %s", cases[i].typed);
        gtk_editable_set_text (GTK_EDITABLE (entry), cases[i].typed);
        gtk_entry_completion_complete (completion);
        popup = GTK_TREE_VIEW (ui_test_find_widget (GTK_WIDGET (entry), GTK_TYPE_TREE_VIEW, NULL));
        g_assert_nonnull (popup);
        shown = gtk_tree_view_get_model (popup);
        for (gboolean valid = gtk_tree_model_get_iter_first (shown, &iter); valid && !found;
             valid = gtk_tree_model_iter_next (shown, &iter))
          {
            g_autofree char *name = NULL;

            gtk_tree_model_get (shown, &iter, 0, &name, -1);
            found = g_strcmp0 (name, cases[i].offered) == 0;
          }
        if (cases[i].offered == NULL)
          {
            g_assert_cmpint (gtk_tree_model_iter_n_children (shown, NULL), ==, 0);
            continue;
          }
        g_assert_true (found);
        /* Choosing replaces the word typed */
        g_assert_true (gtk_tree_model_get_iter_first (model, &iter));
        while (TRUE)
          {
            g_autofree char *name = NULL;

            gtk_tree_model_get (model, &iter, 0, &name, -1);
            if (g_strcmp0 (name, cases[i].offered) == 0)
              break;
            g_assert_true (gtk_tree_model_iter_next (model, &iter));
          }
        g_signal_emit_by_name (completion, "match-selected", model, &iter, &handled);
        g_assert_true (handled);
        g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, cases[i].chosen);
      }
    /* Closed before the window goes */
    gtk_editable_set_text (GTK_EDITABLE (entry), "");
    wait_for (is_unmapped, ui_test_find_widget (GTK_WIDGET (entry), GTK_TYPE_TREE_VIEW, NULL),
              "the completion to close");
    settle_after_popup (fixture);
    G_GNUC_END_IGNORE_DEPRECATIONS
  }
}

static gboolean
selects_5 (gpointer view)
{
  return wpc_traffic_view_get_selected_id (view) == 5;
}

/* A jump from a phone's recent traffic shows the message, whatever hid it */
static void
test_show_message (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_autofree char *text = NULL;
  g_autoptr(WpiTrafficRecord) record = log_record (0);

  wpc_traffic_view_set_store (fixture->view, fixture->store);

  /* A filter that hides it: cleared, and the status line says so */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "status == busy"));
  wait_for_filter (fixture);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "phones"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-traffic", "x", (gint64) 3));
  g_assert_cmpstr (wpc_window_get_visible_view (fixture->window), ==, "traffic");
  g_assert_cmpint (wpc_traffic_view_get_selected_id (fixture->view), ==, 3);
  g_assert_null (wpc_traffic_view_get_filter (fixture->view));
  ui_test_wait_for_shown_text (GTK_WIDGET (fixture->view), "The display filter “status == busy” hid this message: cleared",
                               WAIT_TIMEOUT_MS, "the status line to say why the filter went");
  wait_for_frames (fixture);
  g_assert_true (row_is_visible (fixture, 3));
  /* The next filter applied replaces the notice */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "dir == in"));
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_null (strstr (text, "hid this message"));

  /* A filter that shows it: kept */
  g_assert_true (wpc_traffic_view_show_message (fixture->view, 5));
  g_assert_cmpstr (wpi_filter_get_text (wpc_traffic_view_get_filter (fixture->view)), ==, "dir == in");
  wait_for (selects_5, fixture->view, "message 5 to be selected once the scan finds it");

  /* Logged during a pause: the capture resumes. (A filter applied during the pause
   * lists only what the list showed, and the rest when the pause ends.) */
  wait_for_filter (fixture);
  wpc_traffic_view_set_paused (fixture->view, TRUE);
  store_record (fixture->store, record);
  wpc_traffic_view_append (fixture->view, record);
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "dir == in or dir == out"));
  wait_for_filter (fixture);
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);
  g_assert_true (wpc_traffic_view_show_message (fixture->view, record->id));
  g_assert_false (wpc_traffic_view_get_paused (fixture->view));
  g_assert_cmpint (wpc_traffic_view_get_selected_id (fixture->view), ==, record->id);

  /* Not in the log: nothing changes */
  g_assert_false (wpc_traffic_view_show_message (fixture->view, 999));
  g_assert_cmpint (wpc_traffic_view_get_selected_id (fixture->view), ==, record->id);
}

typedef struct {
  guint   written;
  guint   skipped;
  GError *error;
  gboolean done;
} ExportResult;

static void
on_export_finished (WpcTrafficView *view,
                    guint           written,
                    guint           skipped,
                    const GError   *error,
                    ExportResult   *result)
{
  result->written = written;
  result->skipped = skipped;
  result->error = error != NULL ? g_error_copy (error) : NULL;
  result->done = TRUE;
}

static gboolean
export_done (gpointer data)
{
  return ((ExportResult *) data)->done;
}

static void
test_export (Fixture       *fixture,
             gconstpointer  user_data)
{
  g_autofree char *folder_path = g_build_filename (fixture->tmp, "xml", NULL);
  g_autofree char *json_path = g_build_filename (fixture->tmp, "traffic.jsonl", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (folder_path);
  g_autoptr(GFile) json = g_file_new_for_path (json_path);
  g_autofree char *index = NULL;
  g_autofree char *lines = NULL;
  g_autofree char *shown = NULL;
  ExportResult result = { 0 };

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  g_signal_connect (fixture->view, "export-finished", G_CALLBACK (on_export_finished), &result);

  /* The messages shown: flow-3 */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "flow == flow-3"));
  wait_for_filter (fixture);
  wpc_traffic_view_export_to (fixture->view, WPI_TRAFFIC_EXPORT_XML, folder);
  g_assert_true (wpc_traffic_view_get_exporting (fixture->view));
  wait_for (export_done, &result, "the XML export");
  g_assert_no_error (result.error);
  g_assert_cmpuint (result.written, ==, 4);
  g_assert_false (wpc_traffic_view_get_exporting (fixture->view));
  {
    g_autofree char *index_path = g_build_filename (folder_path, "index.tsv", NULL);
    g_autofree char *body_path = g_build_filename (folder_path, "0000000011-in.xml", NULL);
    g_autofree char *body = NULL;
    g_auto(GStrv) index_lines = NULL;

    g_assert_true (g_file_get_contents (index_path, &index, NULL, NULL));
    index_lines = g_strsplit (index, "\n", -1);
    g_assert_cmpuint (g_strv_length (index_lines), ==, 6);
    g_assert_true (g_str_has_prefix (index_lines[1], "0000000009-in.xml\t9\t"));
    g_assert_true (g_file_get_contents (body_path, &body, NULL, NULL));
    g_assert_nonnull (strstr (body, "invalid data"));
  }
  /* Said once, by a toast; the status line is free for what goes on (issue 12 §1) */
  ui_test_assert_toast (GTK_WIDGET (fixture->view), "4 messages exported", NULL);
  shown = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_null (strstr (shown, "exported"));

  /* JSON lines of everything: the body the codec refused is left out */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, ""));
  result.done = FALSE;
  wpc_traffic_view_export_to (fixture->view, WPI_TRAFFIC_EXPORT_JSON_LINES, json);
  wait_for (export_done, &result, "the JSON export");
  g_assert_no_error (result.error);
  g_assert_cmpuint (result.written, ==, N_LOG - 1);
  g_assert_cmpuint (result.skipped, ==, 1);
  {
    g_autofree char *told = g_strdup_printf ("%u messages exported; 1 not decoded were left out", (guint) N_LOG - 1);

    ui_test_assert_toast (GTK_WIDGET (fixture->view), told, NULL);
  }
  g_assert_true (g_file_get_contents (json_path, &lines, NULL, NULL));
  /* each line: the message's context, then the decoded message */
  g_assert_true (g_str_has_prefix (lines, "{\"number\":1,\"time\":"));
  g_assert_nonnull (strstr (lines, "\"root\":\"WorkpointMessage\",\"nonce\":\"B7FFE4F479F30D2120FB74E9E5233172\""));
  g_assert_null (strstr (lines, "Tor<7"));

  /* pcapng of the messages shown (Export as pcapng for Wireshark…): one flow (D29) */
  {
    g_autofree char *pcapng_path = g_build_filename (fixture->tmp, "flow-3.pcapng", NULL);
    g_autoptr(GFile) pcapng = g_file_new_for_path (pcapng_path);
    g_autofree char *bytes = NULL;
    gsize length = 0;

    g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "flow == flow-3"));
    wait_for_filter (fixture);
    result.done = FALSE;
    wpc_traffic_view_export_to (fixture->view, WPI_TRAFFIC_EXPORT_PCAPNG, pcapng);
    wait_for (export_done, &result, "the pcapng export");
    g_assert_no_error (result.error);
    g_assert_cmpuint (result.written, ==, 4);
    g_assert_true (g_file_get_contents (pcapng_path, &bytes, &length, NULL));
    g_assert_cmpuint (length, >, 28);
    g_assert_cmpmem (bytes, 4, "\x0a\x0d\x0d\x0a", 4);
    if (test_util_tshark_path () != NULL)
      {
        g_autofree char *comments = test_util_tshark (pcapng_path, "-Y", "http", "-T", "fields",
                                                      "-e", "frame.comment", NULL);

        g_assert_cmpuint (test_util_count_lines (comments), ==, 4);
        g_assert_nonnull (strstr (comments, "flow flow-3"));
      }
  }

  /* A destination that cannot be written */
  {
    g_autofree char *bad_path = g_build_filename (fixture->tmp, "missing", "dir", "x.jsonl", NULL);
    g_autoptr(GFile) bad = g_file_new_for_path (bad_path);

    result.done = FALSE;
    wpc_traffic_view_export_to (fixture->view, WPI_TRAFFIC_EXPORT_JSON_LINES, bad);
    wait_for (export_done, &result, "the failed export");
    g_assert_nonnull (result.error);
    g_clear_error (&result.error);
    g_clear_pointer (&shown, g_free);
    shown = ui_test_shown_text (GTK_WIDGET (fixture->view));
    g_assert_nonnull (strstr (shown, "Export failed: "));
  }
}

/* A refused message keeps a prefix of its body (issue 10 §3): the detail says so. What
 * the service sent, shorter for its redacted secrets, is no cut body. */
static void
test_detail_body_cut (void)
{
  g_autoptr(WpiTrafficRecord) record = wpi_traffic_record_new ();
  g_autofree char *prefix = g_strnfill (64 * 1024, 'x');
  const WpiTrafficDirection directions[] = { WPI_TRAFFIC_DIRECTION_IN, WPI_TRAFFIC_DIRECTION_OUT };

  record->body = g_bytes_new (prefix, 64 * 1024);
  record->size = 1048576;
  for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
    {
      g_autoptr(GListModel) tree = NULL;
      g_autofree char *text = NULL;

      record->direction = directions[i];
      tree = wpc_traffic_detail_build (record, NULL, NULL, FALSE, FALSE);
      text = wpc_traffic_detail_to_text (tree);
      g_test_message ("%s", text);
      /* g_format_size() puts a no-break space before the unit */
      g_assert_true ((strstr (text, "body cut at 64.0\u00a0KiB of 1.0\u00a0MB") != NULL) ==
                     (directions[i] == WPI_TRAFFIC_DIRECTION_IN));
    }
}

/* A display filter that matches nothing says so, with the filter, and Clear Filter shows
 * every message again (issue 12 §1) */
static void
test_no_match (Fixture       *fixture,
               gconstpointer  user_data)
{
  GtkWidget *page;
  GtkStack *list_stack;
  GtkWidget *clear;

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  wait_for_filter (fixture);
  page = ui_test_find_widget (GTK_WIDGET (fixture->view), ADW_TYPE_STATUS_PAGE, NULL);
  g_assert_nonnull (page);
  list_stack = GTK_STACK (gtk_widget_get_ancestor (ui_test_find_widget (GTK_WIDGET (fixture->view),
                                                                        GTK_TYPE_PANED, NULL),
                                                   GTK_TYPE_STACK));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (list_stack), ==, "list");

  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "status == no-such-status"));
  wait_for_filter (fixture);
  g_assert_cmpuint (n_shown (fixture), ==, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (list_stack), ==, "no-match");
  page = gtk_stack_get_visible_child (list_stack);
  g_assert_true (ADW_IS_STATUS_PAGE (page));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (page)), ==, "No Messages Match");
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (page)), "status == no-such-status"));
  ui_test_save_screenshots_light_dark (GTK_WIDGET (fixture->window), "traffic-view-no-match");

  clear = ui_test_find_button_for_action (page, "traffic.clear-filter");
  g_assert_true (ui_test_is_shown (clear));
  g_signal_emit_by_name (clear, "clicked");
  wait_for_filter (fixture);
  g_assert_null (wpc_traffic_view_get_filter (fixture->view));
  g_assert_cmpuint (n_shown (fixture), ==, N_LOG);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (list_stack), ==, "list");
}

/* The two panes of the view, the list's (vertical) then the details' */
static void
find_panes (GtkWidget *view,
            GtkPaned  *panes[2])
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  ui_test_find_all (view, GTK_TYPE_PANED, NULL, found);
  g_assert_cmpuint (found->len, ==, 2);
  panes[0] = g_ptr_array_index (found, 0);
  panes[1] = g_ptr_array_index (found, 1);
  g_assert_cmpint (gtk_orientable_get_orientation (GTK_ORIENTABLE (panes[0])), ==, GTK_ORIENTATION_VERTICAL);
}

/* Where the technician leaves the panes is where they are next time (issue 12 §4) */
static void
test_panes_remembered (Fixture       *fixture,
                       gconstpointer  user_data)
{
  /* the list's height, then the details' width; each moved to 250 + 50 * i */
  static const char * const keys[] = { "traffic-list-height", "traffic-details-width" };
  GtkPaned *panes[2];
  WpcWindow *again;

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  find_panes (GTK_WIDGET (fixture->view), panes);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_assert_cmpint (gtk_paned_get_position (panes[i]), !=, 250 + 50 * (int) i);
      gtk_paned_set_position (panes[i], 250 + 50 * (int) i);
      g_assert_cmpint (g_settings_get_int (fixture->settings, keys[i]), ==, 250 + 50 * (int) i);
    }

  /* The console started again with these settings */
  again = g_object_new (WPC_TYPE_WINDOW, "settings", fixture->settings, NULL);
  find_panes (GTK_WIDGET (wpc_window_get_traffic_view (again)), panes);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_cmpint (gtk_paned_get_position (panes[i]), ==, 250 + 50 * (int) i);
  gtk_window_destroy (GTK_WINDOW (again));
}

/* The label in the list showing text, or NULL */
static GtkLabel *
list_label_with_text (Fixture    *fixture,
                      const char *text)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  ui_test_find_all (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL), GTK_TYPE_LABEL,
                    NULL, labels);
  for (guint i = 0; i < labels->len; i++)
    if (g_str_equal (gtk_label_get_text (g_ptr_array_index (labels, i)), text))
      return g_ptr_array_index (labels, i);
  return NULL;
}

static gboolean
label_is_ellipsized (gpointer label)
{
  return wpc_cell_label_is_ellipsized (label);
}

/* A Status cell cut off with "…" shows the whole status and what it means as its tooltip;
 * one that fits, only what it means (issue 12 §4) */
static void
test_cell_tooltip (Fixture       *fixture,
                   gconstpointer  user_data)
{
  GtkColumnView *list = GTK_COLUMN_VIEW (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL));
  g_autoptr(GtkColumnViewColumn) status = g_list_model_get_item (gtk_column_view_get_columns (list), COLUMN_STATUS);
  g_autofree char *wide = NULL;
  g_autofree char *narrow = NULL;
  GtkLabel *label;

  wpc_traffic_view_set_store (fixture->view, fixture->store);
  /* the security event at the top, in view */
  g_assert_true (wpc_traffic_view_apply_filter_text (fixture->view, "mac == " MAC_C));
  wait_for_filter (fixture);
  ui_test_wait_for_shown_text (GTK_WIDGET (list), "security event", WAIT_TIMEOUT_MS, "the list to show its rows");
  label = list_label_with_text (fixture, "security event");
  g_assert_nonnull (label);
  gtk_column_view_column_set_fixed_width (status, 400);
  ui_test_wait_for_paint (GTK_WIDGET (fixture->window), WAIT_TIMEOUT_MS);
  g_assert_false (wpc_cell_label_is_ellipsized (label));
  wide = wpc_cell_label_dup_tooltip (label);
  g_assert_cmpstr (wide, ==, SECURITY_DETAIL);

  gtk_column_view_column_set_fixed_width (status, 40);
  wait_for (label_is_ellipsized, label, "the Status column to cut its text");
  narrow = wpc_cell_label_dup_tooltip (label);
  g_assert_cmpstr (narrow, ==, "security event\n" SECURITY_DETAIL);
}

/* The view with its messages and with no match, at the smallest and a large screen, light
 * and dark, for review (issue 12 §5) */
static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  user_data)
{
  wpc_traffic_view_set_store (fixture->view, fixture->store);
  wait_for_filter (fixture);
  ui_test_save_screenshots_at_sizes (GTK_WINDOW (fixture->window), "traffic");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkCssProvider) provider = NULL;

  /* libadwaita's styles, as the console has them (status pages, toasts) */
  ui_test_init (&argc, &argv);

  /* What the application does at start-up: its styles and icons */
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/org/workpoint/Console/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/org/workpoint/Console/icons");

#define ADD(path, func, fill) \
  g_test_add (path, Fixture, GINT_TO_POINTER (fill), fixture_set_up, func, fixture_tear_down)
  ADD ("/ui/traffic-view/empty", test_empty, FALSE);
  ADD ("/ui/traffic-view/list", test_list, TRUE);
  ADD ("/ui/traffic-view/filter", test_filter, TRUE);
  ADD ("/ui/traffic-view/details", test_details, TRUE);
  ADD ("/ui/traffic-view/follow-flow", test_follow_flow, TRUE);
  ADD ("/ui/traffic-view/pause", test_pause, TRUE);
  ADD ("/ui/traffic-view/follow-tail", test_follow_tail, TRUE);
  ADD ("/ui/traffic-view/export", test_export, TRUE);
  ADD ("/ui/traffic-view/rows-shown", test_rows_shown, FALSE);
  ADD ("/ui/traffic-view/context-menu", test_context_menu, TRUE);
  ADD ("/ui/traffic-view/raw-highlight", test_raw_highlight, TRUE);
  ADD ("/ui/traffic-view/pause-and-auto-scroll", test_pause_and_auto_scroll, TRUE);
  ADD ("/ui/traffic-view/filter-entry", test_filter_entry, TRUE);
  ADD ("/ui/traffic-view/show-message", test_show_message, TRUE);
  ADD ("/ui/traffic-view/no-match", test_no_match, TRUE);
  ADD ("/ui/traffic-view/panes-remembered", test_panes_remembered, TRUE);
  ADD ("/ui/traffic-view/screenshots", test_screenshots, TRUE);
  ADD ("/ui/traffic-view/cell-tooltip", test_cell_tooltip, TRUE);
#undef ADD
  g_test_add_func ("/ui/traffic-view/detail-body-cut", test_detail_body_cut);

  return g_test_run ();
}
