/* test-ui-phones.c: the Phones view wired to a real provisioning service
 *
 * Each test runs the console with a service on 127.0.0.1 where phones register over
 * HTTPS (phones-view-fixture.c). The view is then checked through its widgets, its models
 * and the store. This part: the list (rows, sorting, search, the layout at each window
 * size, keys) and the Keyboard Shortcuts window; test-ui-phones-selection.c: the details
 * pane and the actions on the selection; test-ui-phones-safety.c: confirmations, Undo
 * and bulk runs (issue 12 §2). main() below registers them all, in one order.
 *
 * With WPC_SCREENSHOT_DIR set, the view and its dialogs are saved there as PNGs.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "wpc-phone-details.h"
#include "wpc-phones-view.h"
#include "wpc-shortcuts-window.h"
#include "wpc-window.h"
#include "phones-view-fixture.h"

/* Window size and the columns shown (issue 12 §4) ------------------------------------ */

/* The header of the column titled title, or NULL when the column is hidden */
static GtkWidget *
column_header (Fixture    *fixture,
               const char *title)
{
  GType title_type = g_type_from_name ("GtkColumnViewTitle");
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();

  ui_test_find_all (GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view)), title_type, NULL, headers);
  for (guint i = 0; i < headers->len; i++)
    {
      GtkWidget *header = g_ptr_array_index (headers, i);
      g_autofree char *text = ui_test_label_text (header);

      if (ui_test_is_shown (header) && g_str_equal (g_strstrip (text), title))
        return header;
    }
  return NULL;
}

static GtkWidget *
list_scroller (Fixture *fixture)
{
  return gtk_widget_get_ancestor (GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view)),
                                  GTK_TYPE_SCROLLED_WINDOW);
}

/* The column's header lies within the list's viewport, horizontally */
static gboolean
column_in_viewport (Fixture    *fixture,
                    const char *title)
{
  GtkWidget *header = column_header (fixture, title);
  GtkWidget *scroller = list_scroller (fixture);
  graphene_rect_t bounds;

  return header != NULL && gtk_widget_compute_bounds (header, scroller, &bounds) &&
         bounds.origin.x >= 0 && bounds.origin.x + bounds.size.width <= gtk_widget_get_width (scroller) + 0.5;
}

typedef struct { Fixture *fixture; int width; int height; guint shown; gboolean fill; } LayoutWait;

static const char * const column_titles[] = {
  "State", "MAC", "Number", "Model", "Location", "Firmware", "IP Address", "Mode", "Last Contact", "Pending",
};

/* The window has the size; the essential columns are in view; at least `shown` columns
 * show and, with fill, the last one ends at the viewport's right edge */
static gboolean
layout_settled (gpointer data)
{
  LayoutWait *wait = data;
  GtkWidget *window = GTK_WIDGET (wait->fixture->window);
  GtkWidget *scroller = list_scroller (wait->fixture);
  static const char * const essential[] = { "State", "MAC", "Number", "Mode" };
  GtkWidget *last = NULL;
  graphene_rect_t bounds;
  guint shown = 0;

  /* The window's own width leaves out what its frame (the CSD shadow) takes */
  if (gtk_widget_get_width (window) > wait->width || gtk_widget_get_width (window) < wait->width - 40 ||
      gtk_widget_get_height (window) > wait->height || gtk_widget_get_height (window) < wait->height - 40)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (essential); i++)
    if (!column_in_viewport (wait->fixture, essential[i]))
      return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (column_titles); i++)
    if (column_header (wait->fixture, column_titles[i]) != NULL)
      {
        last = column_header (wait->fixture, column_titles[i]);
        shown++;
      }
  if (shown < wait->shown)
    return FALSE;
  return !wait->fill ||
         (gtk_widget_compute_bounds (last, scroller, &bounds) &&
          bounds.origin.x + bounds.size.width >= gtk_widget_get_width (scroller) - 24);
}

/* For a layout wait that timed out: the sizes, then each column's title, width as set,
 * and header's extent in the list's viewport (or "hidden") */
static char *
describe_layout (gpointer data)
{
  LayoutWait *wait = data;
  GtkWidget *scroller = list_scroller (wait->fixture);
  GtkColumnView *column_view = wpc_phones_view_get_column_view (wait->fixture->view);
  GListModel *columns = gtk_column_view_get_columns (column_view);
  GString *state = g_string_new (NULL);

  g_string_append_printf (state, "window %dx%d, list viewport %d, list %d:",
                          gtk_widget_get_width (GTK_WIDGET (wait->fixture->window)),
                          gtk_widget_get_height (GTK_WIDGET (wait->fixture->window)),
                          gtk_widget_get_width (scroller), gtk_widget_get_width (GTK_WIDGET (column_view)));
  for (guint i = 0; i < g_list_model_get_n_items (columns); i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, i);
      const char *title = gtk_column_view_column_get_title (column);
      GtkWidget *header = column_header (wait->fixture, title);
      graphene_rect_t bounds;

      g_string_append_printf (state, " %s[%d]", title, gtk_column_view_column_get_fixed_width (column));
      if (header != NULL && gtk_widget_compute_bounds (header, scroller, &bounds))
        g_string_append_printf (state, " %.0f..%.0f", bounds.origin.x, bounds.origin.x + bounds.size.width);
      else
        g_string_append (state, " hidden");
    }
  return g_string_free (state, FALSE);
}

static void
resize_window (Fixture  *fixture,
               int       width,
               int       height,
               guint     shown,
               gboolean  fill)
{
  LayoutWait wait = { fixture, width, height, shown, fill };

  gtk_window_set_default_size (GTK_WINDOW (fixture->window), width, height);
  test_util_wait_until_described (layout_settled, describe_layout, &wait, WAIT_TIMEOUT_MS,
                                  "the window's new size and the columns fitted to it");
}

/* The list ----------------------------------------------------------------------- */

static gboolean
status_bar_counts (gpointer data)
{
  Fixture *fixture = data;
  WpcStatusBar *status_bar = wpc_window_get_status_bar (fixture->window);

  /* Each flow ends (the phone goes from in session to idle) just after its last answer */
  return wpc_status_bar_get_phones_known (status_bar) == G_N_ELEMENTS (phones) &&
         wpc_status_bar_get_phones_in_session (status_bar) == 0;
}

static void
test_list_shows_phones (Fixture *fixture)
{
  GtkWidget *empty_state = ui_test_find_widget (GTK_WIDGET (fixture->window), g_type_from_name ("WpcEmptyState"), NULL);
  WpcStatusBar *status_bar = wpc_window_get_status_bar (fixture->window);
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;

  /* No phone yet: the empty state explains how phones find the console */
  g_assert_true (ui_test_is_shown (empty_state));
  g_assert_false (ui_test_is_shown (GTK_WIDGET (fixture->view)));

  register_all (fixture);
  g_assert_true (ui_test_is_shown (GTK_WIDGET (fixture->view)));
  g_assert_false (ui_test_is_shown (empty_state));
  wait_for (status_bar_counts, fixture, "the status line's count");
  status = ui_test_shown_text (GTK_WIDGET (status_bar));
  test_util_assert_contains_all (status, "3 phones · 0 busy · 0 in session", "3 phones in Default Mode",
                                 "Listening on https://127.0.0.1:", NULL);

  /* Every phone's row shows its values, and the state as a word beside its icon (wide
   * enough for every column) */
  resize_window (fixture, 1920, 1080, 10, TRUE);
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  text = ui_test_shown_text (GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view)));
  for (guint i = 0; i < G_N_ELEMENTS (phones); i++)
    {
      test_util_assert_contains_all (text, phones[i].mac, phones[i].e164, phones[i].model, NULL);
    }
  test_util_assert_contains_all (text, "V3 R4.2.0", "127.0.0.1", "Idle", "Default", "Just now", NULL);
  g_clear_pointer (&text, g_free);
  text = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (text, "3 phones"));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-list.png");
}

static void
assert_order (Fixture            *fixture,
              const char * const *macs)
{
  for (guint i = 0; macs[i] != NULL; i++)
    g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, i)), ==, macs[i]);
}

static void
test_sorting (Fixture *fixture)
{
  GtkColumnView *column_view = wpc_phones_view_get_column_view (fixture->view);

  register_all (fixture);
  /* Registration order, unsorted */
  assert_order (fixture, (const char *[]) { phones[0].mac, phones[1].mac, phones[2].mac, NULL });

  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MAC),
                                  GTK_SORT_ASCENDING);
  assert_order (fixture, (const char *[]) { "00:1A:E8:00:00:01", "00:1A:E8:00:00:02", "00:1A:E8:00:00:03", NULL });

  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_NUMBER),
                                  GTK_SORT_DESCENDING);
  assert_order (fixture, (const char *[]) { "00:1A:E8:00:00:03", "00:1A:E8:00:00:02", "00:1A:E8:00:00:01", NULL });

  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MODEL),
                                  GTK_SORT_ASCENDING);
  assert_order (fixture, (const char *[]) { "00:1A:E8:00:00:03", "00:1A:E8:00:00:02", "00:1A:E8:00:00:01", NULL });

  /* V3 R4.2.0 before V3 R5.12.0; equal keys keep their order */
  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_FIRMWARE),
                                  GTK_SORT_ASCENDING);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, "00:1A:E8:00:00:03");

  /* The newest contact is the last registered phone */
  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_LAST_CONTACT),
                                  GTK_SORT_DESCENDING);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, phones[2].mac);

  /* Every column sorts */
  for (guint c = 0; c < WPC_PHONES_N_COLUMNS; c++)
    {
      GtkColumnViewColumn *column = wpc_phones_view_get_column (fixture->view, c);

      g_assert_nonnull (gtk_column_view_column_get_sorter (column));
      gtk_column_view_sort_by_column (column_view, column, GTK_SORT_ASCENDING);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view))), ==, 3);
    }
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-sorted.png");
}

static void
test_search (Fixture *fixture)
{
  static const struct { const char *text; guint rows; } searches[] = {
    { "700101", 1 }, { "R5.12", 2 },
    { "00:1a:e8:00:00:02", 1 }, { "001AE8000002", 1 },
    { "idle", 3 }, { "Default", 3 }, { "Secure", 0 },
    { "no such phone", 0 },
  };
  GtkWidget *entry = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_SEARCH_ENTRY, NULL);
  GListModel *rows = G_LIST_MODEL (wpc_phones_view_get_selection (fixture->view));
  GtkWidget *no_match = ui_test_find_widget (GTK_WIDGET (fixture->view), ADW_TYPE_STATUS_PAGE, NULL);
  GtkWidget *list = GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view));
  g_autofree char *count = NULL;

  register_all (fixture);

  /* Ctrl+F puts the focus into the search */
  g_assert_nonnull (entry);
  g_assert_true (ui_test_activate_shortcut (GTK_WIDGET (fixture->view), "<Control>f"));
  {
    GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
    g_assert_true (focus == entry || gtk_widget_is_ancestor (focus, entry));
  }

  wpc_phones_view_set_search (fixture->view, "openstage 40");
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 1);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, "00:1A:E8:00:00:03");
  count = ui_test_shown_text (GTK_WIDGET (fixture->view));
  g_assert_nonnull (strstr (count, "1 of 3 phones"));

  /* Every column: number, firmware, MAC with or without colons, state word, mode word */
  for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
    {
      g_test_message ("search “%s”", searches[i].text);
      wpc_phones_view_set_search (fixture->view, searches[i].text);
      g_assert_cmpuint (g_list_model_get_n_items (rows), ==, searches[i].rows);
      /* No row left: the status page with what was typed, not a blank list (issue 12 §1) */
      g_assert_true (ui_test_is_shown (no_match) == (searches[i].rows == 0));
      g_assert_true (ui_test_is_shown (list) == (searches[i].rows > 0));
    }
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (no_match)), ==, "No Phones Match");
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (no_match)), "“no such phone”"));
  ui_test_save_screenshot (GTK_WIDGET (fixture->window), "phones-search-empty.png");

  /* Clear Search brings every phone back, the focus in the search */
  {
    GtkWidget *clear = ui_test_find_button_with_label (no_match, "_Clear Search");

    g_assert_true (gtk_widget_is_sensitive (clear));
    g_signal_emit_by_name (clear, "clicked");
  }
  g_assert_cmpstr (wpc_phones_view_get_search (fixture->view), ==, "");
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
  g_assert_true (ui_test_is_shown (list));
  g_assert_false (ui_test_is_shown (no_match));

  /* Typing into the entry filters too (after the entry's short delay) */
  gtk_editable_set_text (GTK_EDITABLE (entry), "OpenStage 80");
  wait_for_rows (fixture, 1);
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, "00:1A:E8:00:00:01");

  wpc_phones_view_set_search (fixture->view, "");
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, 3);
}

static gboolean
phone_has_firmware (gpointer data)
{
  gpointer *args = data;
  return g_strcmp0 (wpi_phone_get_firmware (args[0]), args[1]) == 0;
}

static void
test_selection_survives_updates (Fixture *fixture)
{
  GtkColumnView *column_view = wpc_phones_view_get_column_view (fixture->view);
  GtkSelectionModel *selection = wpc_phones_view_get_selection (fixture->view);
  PhoneSpec updated = phones[0];
  PhoneSpec newcomer = { "00:1A:E8:00:00:00", "4989700100", "OpenStage 15", "V3 R1.0.0" };
  g_autoptr(GPtrArray) selected = NULL;
  WpcPhoneDetails *details = WPC_PHONE_DETAILS (ui_test_find_widget (GTK_WIDGET (fixture->view), WPC_TYPE_PHONE_DETAILS, NULL));
  WpiPhone *phone;
  gpointer args[2];
  g_autofree char *text = NULL;

  register_all (fixture);
  gtk_column_view_sort_by_column (column_view, wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MAC),
                                  GTK_SORT_ASCENDING);
  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  g_assert_cmpuint (gtk_selection_model_is_selected (selection, 1), ==, TRUE);
  phone = row_phone (fixture, 1);
  g_assert_true (wpc_phone_details_get_phone (details) == phone);

  /* The selected phone starts up with new firmware; another phone appears before it */
  updated.firmware = "V3 R5.16.0";
  register_phone (fixture, &updated);
  args[0] = phone;
  args[1] = (gpointer) "V3 R5.16.0";
  wait_for (phone_has_firmware, args, "the new firmware");
  register_phone (fixture, &newcomer);
  wait_for_rows (fixture, 4);

  /* Still the same phone selected, now one row further down, its cell updated in place */
  selected = wpc_phones_view_get_selected_phones (fixture->view);
  g_assert_cmpuint (selected->len, ==, 1);
  g_assert_true (g_ptr_array_index (selected, 0) == phone);
  g_assert_true (gtk_selection_model_is_selected (selection, 2));
  g_assert_cmpstr (wpi_phone_get_mac (row_phone (fixture, 0)), ==, newcomer.mac);
  g_assert_true (wpc_phone_details_get_phone (details) == phone);
  resize_window (fixture, 1920, 1080, 10, TRUE);   /* the Firmware column shows */
  ui_test_wait_for_paint (GTK_WIDGET (fixture->view), WAIT_TIMEOUT_MS);
  text = ui_test_shown_text (GTK_WIDGET (column_view));
  g_assert_nonnull (strstr (text, "V3 R5.16.0"));
}

/* Layout that adapts (issue 12 §4) ------------------------------------------------- */

typedef struct { GtkColumnViewColumn *column; gboolean visible; } ColumnWait;

static gboolean
column_has_visibility (gpointer data)
{
  ColumnWait *wait = data;

  return gtk_column_view_column_get_visible (wait->column) == wait->visible;
}

/* At 1024x600 State, MAC, Number and Mode are within the list's viewport, less important
 * columns hidden; at 1920x1080 every column shows and together they fill the width;
 * the header menu shows a hidden column again, remembered in GSettings; the details
 * pane's width is remembered. Light and dark screenshots of both. */
static void
test_adaptive_layout (Fixture *fixture)
{
  static const struct { int width, height; guint shown; gboolean fill; const char *name; } sizes[] = {
    { 1024, 600, 4, FALSE, "phones-1024x600" },
    { 1920, 1080, G_N_ELEMENTS (column_titles), TRUE, "phones-1920x1080" },
  };
  AdwStyleManager *style = adw_style_manager_get_default ();
  GSettings *settings = fixture->console.settings;
  GtkColumnViewColumn *pending = wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_PENDING_JOBS);
  GtkPaned *paned = GTK_PANED (gtk_widget_get_ancestor (list_scroller (fixture), GTK_TYPE_PANED));
  g_auto(GStrv) shown_columns = NULL;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      resize_window (fixture, sizes[i].width, sizes[i].height, sizes[i].shown, sizes[i].fill);
      for (guint dark = 0; dark < 2; dark++)
        {
          g_autofree char *name = g_strdup_printf ("%s-%s.png", sizes[i].name, dark ? "dark" : "light");

          adw_style_manager_set_color_scheme (style, dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
          ui_test_save_screenshot (GTK_WIDGET (fixture->window), name);
        }
    }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  /* Narrow again: Pending Jobs is hidden; the header menu's check item shows it anyway */
  resize_window (fixture, 1024, 600, 4, FALSE);
  g_assert_false (gtk_column_view_column_get_visible (pending));
  g_assert_nonnull (gtk_column_view_column_get_header_menu (pending));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "column.pending-jobs", NULL));
  shown_columns = g_settings_get_strv (settings, "phones-columns-shown");
  g_assert_true (g_strv_contains ((const char * const *) shown_columns, "pending-jobs"));
  wait_for (column_has_visibility, (&(ColumnWait) { pending, TRUE }), "the column shown from its header menu");
  /* ...and hides it for good, however wide */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->view), "column.pending-jobs", NULL));
  resize_window (fixture, 1920, 1080, G_N_ELEMENTS (column_titles) - 1, TRUE);
  wait_for (column_has_visibility, (&(ColumnWait) { pending, FALSE }), "the column hidden from its header menu");
  g_settings_reset (settings, "phones-columns-hidden");
  g_settings_reset (settings, "phones-columns-shown");

  /* A drag of the pane's handle is remembered as the details' width */
  gtk_paned_set_position (paned, gtk_widget_get_width (GTK_WIDGET (paned)) - 420);
  g_assert_cmpint (g_settings_get_int (settings, "phones-details-width"), ==, 420);
}

/* Ellipsized text has its full text as a tooltip; text that fits has none */
static void
test_ellipsized_tooltip (Fixture *fixture)
{
  GtkColumnViewColumn *mac = wpc_phones_view_get_column (fixture->view, WPC_PHONES_COLUMN_MAC);
  GtkWidget *list = GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view));
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  g_autoptr(GtkTooltip) tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
  GtkWidget *mac_label = NULL;
  GtkWidget *number_label = NULL;
  gboolean shown = FALSE;

  register_all (fixture);
  gtk_column_view_column_set_fixed_width (mac, 60);
  ui_test_wait_for_paint (list, WAIT_TIMEOUT_MS);
  ui_test_find_all (list, GTK_TYPE_LABEL, NULL, labels);
  for (guint i = 0; i < labels->len; i++)
    {
      const char *text = gtk_label_get_text (g_ptr_array_index (labels, i));

      if (g_str_equal (text, phones[0].mac))
        mac_label = g_ptr_array_index (labels, i);
      else if (g_str_equal (text, phones[0].e164))
        number_label = g_ptr_array_index (labels, i);
    }
  g_assert_nonnull (mac_label);
  g_assert_nonnull (number_label);

  g_signal_emit_by_name (mac_label, "query-tooltip", 1, 1, FALSE, tooltip, &shown);
  g_assert_true (shown);
  shown = TRUE;
  g_signal_emit_by_name (number_label, "query-tooltip", 1, 1, FALSE, tooltip, &shown);
  g_assert_false (shown);
}

/* Tab goes from the list to the details, Shift+Tab to the search; Space keeps a
 * selection of several phones */
static void
test_list_keys (Fixture *fixture)
{
  GtkWidget *list = GTK_WIDGET (wpc_phones_view_get_column_view (fixture->view));
  GtkWidget *details = ui_test_find_widget (GTK_WIDGET (fixture->view), WPC_TYPE_PHONE_DETAILS, NULL);
  GtkWidget *entry = ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_SEARCH_ENTRY, NULL);
  GtkSelectionModel *selection = wpc_phones_view_get_selection (fixture->view);
  g_autoptr(GtkBitset) selected = NULL;
  GtkWidget *focus;

  register_all (fixture);
  select_macs (fixture, (const char *[]) { phones[0].mac, NULL });
  wait_for (details_loaded, details, "the details to be read");
  g_assert_true (gtk_widget_grab_focus (list));

  g_assert_true (ui_test_activate_shortcut (list, "Tab"));
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_true (gtk_widget_is_ancestor (focus, details));

  g_assert_true (gtk_widget_grab_focus (list));
  g_assert_true (ui_test_activate_shortcut (list, "<Shift>Tab|<Shift>ISO_Left_Tab"));
  focus = gtk_root_get_focus (GTK_ROOT (fixture->window));
  g_assert_true (focus == entry || gtk_widget_is_ancestor (focus, entry));

  select_macs (fixture, (const char *[]) { phones[0].mac, phones[1].mac, NULL });
  g_assert_true (ui_test_activate_shortcut (list, "space"));
  selected = gtk_selection_model_get_selection (selection);
  g_assert_cmpuint (gtk_bitset_get_size (selected), ==, 2);
  /* With nothing selected, Space is the list's own: it selects */
  gtk_selection_model_unselect_all (selection);
  g_assert_false (ui_test_activate_shortcut (list, "space"));
}

/* Keyboard Shortcuts window ------------------------------------------------------ */

static void
collect_shortcuts (GtkWidget  *root,
                   GHashTable *accelerators)
{
  if (GTK_IS_SHORTCUTS_SHORTCUT (root))
    {
      g_autofree char *accelerator = NULL;
      g_autoptr(GtkShortcutTrigger) trigger = NULL;

      g_object_get (root, "accelerator", &accelerator, NULL);
      trigger = gtk_shortcut_trigger_parse_string (accelerator);
      if (trigger != NULL)
        g_hash_table_add (accelerators, gtk_shortcut_trigger_to_string (trigger));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_shortcuts (child, accelerators);
}

/* Every shortcut of the view is in the Keyboard Shortcuts window */
static void
test_shortcuts_listed (void)
{
  GtkWidget *view = wpc_phones_view_new ();
  GtkWindow *shortcuts = wpc_shortcuts_window_new (NULL);
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) triggers = NULL;
  guint found = 0;

  g_object_ref_sink (view);
  collect_shortcuts (GTK_WIDGET (shortcuts), listed);
  triggers = ui_test_list_shortcuts (view);
  for (guint i = 0; triggers[i] != NULL; i++)
    {
      /* Menu and Shift+F10 are one entry */
      if (g_str_equal (triggers[i], "Menu"))
        continue;
      if (!g_hash_table_contains (listed, triggers[i]))
        g_error ("%s is not in the shortcuts window", triggers[i]);
      found++;
    }
  g_assert_cmpuint (found, >=, 12);
  gtk_window_destroy (shortcuts);
  g_object_unref (view);
}

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);

  g_test_add_func ("/ui/phones/shortcuts-listed", test_shortcuts_listed);
  add_phones_test ("/ui/phones/list", test_list_shows_phones);
  add_phones_test ("/ui/phones/sorting", test_sorting);
  add_phones_test ("/ui/phones/search", test_search);
  add_phones_test ("/ui/phones/selection-survives-updates", test_selection_survives_updates);
  add_phones_test ("/ui/phones/actions-follow-selection", test_actions_follow_selection);
  add_phones_test ("/ui/phones/write-dialog", test_write_dialog);
  add_phones_test ("/ui/phones/read-items-dialog", test_read_items_dialog);
  add_phones_test ("/ui/phones/factory-reset", test_factory_reset_confirmation);
  add_phones_test ("/ui/phones/restart-confirmation", test_restart_confirmation);
  add_phones_test ("/ui/phones/undo-restart", test_undo_restart);
  add_phones_test ("/ui/phones/adaptive-layout", test_adaptive_layout);
  add_phones_test ("/ui/phones/ellipsized-tooltip", test_ellipsized_tooltip);
  add_phones_test ("/ui/phones/list-keys", test_list_keys);
  add_phones_test ("/ui/phones/details", test_details);
  add_phones_test ("/ui/phones/details-busy-service", test_details_busy_service);
  add_phones_test ("/ui/phones/location", test_location);
  add_phones_test ("/ui/phones/bulk", test_bulk_progress_and_cancel);
  add_phones_test ("/ui/phones/deploy", test_deploy);
  add_phones_test ("/ui/phones/apply-profile", test_apply_profile);

  return g_test_run ();
}
