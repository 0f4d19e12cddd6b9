/* test-ui-write-dialog.c: the Write Items dialog on its own (issue 12 §3), on a real
 * (Xvfb) display: where focus starts, Escape and the item name's suggestion list, the
 * drop-down of an item's fixed choices, the validation texts, and the question before
 * an unknown item is written (D32). That the confirmed write reaches the service as a
 * job is checked by test-ui-phones' /ui/phones/write-dialog, which drives the dialog from
 * the Phones view.
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "wpc-write-dialog.h"
#include "wpi-catalogue.h"
#include "ui-test-util.h"

#define WAIT_TIMEOUT_MS 60000

typedef struct {
  WpcWriteDialog *dialog;
  guint           applied;  /* "apply" emissions */
} Fixture;

static void
on_apply (WpcWriteDialog *dialog,
          Fixture        *fixture)
{
  fixture->applied++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  fixture->dialog = wpc_write_dialog_new (NULL, WPC_WRITE_DIALOG_WRITE,
                                          "00:1A:E8:00:00:01 (4989700101)");
  g_signal_connect (fixture->dialog, "apply", G_CALLBACK (on_apply), fixture);
  ui_test_present (GTK_WINDOW (fixture->dialog));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  GtkWindow *question;

  while ((question = ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL)) != NULL)
    gtk_window_destroy (question);
  if (ui_test_find_toplevel (WPC_TYPE_WRITE_DIALOG, NULL) != NULL)
    gtk_window_destroy (GTK_WINDOW (fixture->dialog));
  ui_test_wait_for_toplevel_gone (WPC_TYPE_WRITE_DIALOG, NULL, WAIT_TIMEOUT_MS);
}

/* The widget of a row's field ("name", "index", "value", "choices", "message") */
static GtkWidget *
row_field (Fixture    *fixture,
           guint       row,
           GType       type,
           const char *field)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new ();

  ui_test_find_all (GTK_WIDGET (fixture->dialog), type, field, found);
  g_assert_cmpuint (row, <, found->len);
  return g_ptr_array_index (found, row);
}

static GtkEntry *
row_entry (Fixture    *fixture,
           guint       row,
           const char *field)
{
  return GTK_ENTRY (row_field (fixture, row, GTK_TYPE_ENTRY, field));
}

static GtkPopover *
suggestions (GtkEntry *entry)
{
  return GTK_POPOVER (ui_test_find_named (GTK_WIDGET (entry), GTK_TYPE_POPOVER, NULL));
}

/* Types into the first row's name as a user would (focus there, then text), and waits
 * for the suggestion list to open */
static GtkPopover *
type_name_with_suggestions (Fixture    *fixture,
                            const char *text)
{
  GtkEntry *name = row_entry (fixture, 0, "name");
  GtkPopover *popover;

  gtk_widget_grab_focus (GTK_WIDGET (name));
  gtk_editable_set_text (GTK_EDITABLE (name), text);
  popover = suggestions (name);
  test_util_wait_until (ui_test_widget_is_mapped_and_allocated, popover, WAIT_TIMEOUT_MS, "the suggestions to open");
  return popover;
}

static gboolean
press_escape (Fixture *fixture)
{
  return ui_test_activate_shortcut (GTK_WIDGET (fixture->dialog), "Escape");
}

static void
test_initial_focus (Fixture       *fixture,
                    gconstpointer  user_data)
{
  GtkWidget *focus = gtk_window_get_focus (GTK_WINDOW (fixture->dialog));
  GtkWidget *name = GTK_WIDGET (row_entry (fixture, 0, "name"));

  g_assert_nonnull (focus);
  g_assert_true (focus == name || gtk_widget_is_ancestor (focus, name));
  /* Read out as a dialog */
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (fixture->dialog)), ==,
                   GTK_ACCESSIBLE_ROLE_DIALOG);
}

static void
test_escape_closes_suggestions (Fixture       *fixture,
                                gconstpointer  user_data)
{
  GtkPopover *popover = type_name_with_suggestions (fixture, "transport");
  GtkWindow *question;

  g_assert_true (press_escape (fixture));
  test_util_wait_until (ui_test_widget_is_hidden, popover, WAIT_TIMEOUT_MS, "the suggestions to close");
  g_assert_nonnull (ui_test_find_toplevel (WPC_TYPE_WRITE_DIALOG, NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row_entry (fixture, 0, "name"))), ==, "transport");

  /* A second Escape, with typed text: the dialog asks, and Cancel keeps it all */
  g_assert_true (press_escape (fixture));
  question = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "discard-items-dialog", WAIT_TIMEOUT_MS);
  ui_test_respond (question, "cancel");
  g_assert_nonnull (ui_test_find_toplevel (WPC_TYPE_WRITE_DIALOG, NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row_entry (fixture, 0, "name"))), ==, "transport");

  /* Discard closes it */
  g_assert_true (press_escape (fixture));
  question = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "discard-items-dialog", WAIT_TIMEOUT_MS);
  ui_test_respond (question, "discard");
  ui_test_wait_for_toplevel_gone (WPC_TYPE_WRITE_DIALOG, NULL, WAIT_TIMEOUT_MS);
  g_assert_cmpuint (fixture->applied, ==, 0);
}

static void
test_escape_closes_empty_dialog (Fixture       *fixture,
                                 gconstpointer  user_data)
{
  g_assert_true (press_escape (fixture));
  ui_test_wait_for_toplevel_gone (WPC_TYPE_WRITE_DIALOG, NULL, WAIT_TIMEOUT_MS);
  g_assert_null (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG, NULL));
}

static void
test_focus_leaving_closes_suggestions (Fixture       *fixture,
                                       gconstpointer  user_data)
{
  GtkPopover *popover = type_name_with_suggestions (fixture, "transport");

  gtk_widget_grab_focus (GTK_WIDGET (row_entry (fixture, 0, "value")));
  test_util_wait_until (ui_test_widget_is_hidden, popover, WAIT_TIMEOUT_MS, "the suggestions to close");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row_entry (fixture, 0, "name"))), ==, "transport");
}

/* Where a widget is in its window's surface; a popover (a surface of its own) by where
 * its surface is placed in its parent's */
static graphene_rect_t
surface_bounds (GtkWidget *widget,
                GtkWindow *window)
{
  graphene_rect_t bounds;
  double x, y;

  if (GTK_IS_POPOVER (widget))
    {
      GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (widget));

      graphene_rect_init (&bounds, gdk_popup_get_position_x (GDK_POPUP (surface)),
                          gdk_popup_get_position_y (GDK_POPUP (surface)),
                          gdk_surface_get_width (surface), gdk_surface_get_height (surface));
      return bounds;
    }
  g_assert_true (gtk_widget_compute_bounds (widget, GTK_WIDGET (window), &bounds));
  gtk_native_get_surface_transform (GTK_NATIVE (window), &x, &y);
  graphene_rect_offset (&bounds, x, y);
  return bounds;
}

static void
test_suggestions_leave_message_visible (Fixture       *fixture,
                                        gconstpointer  user_data)
{
  /* A name that is no item yet: the row's message says so while suggestions are open */
  GtkPopover *popover = type_name_with_suggestions (fixture, "sip-transport");
  GtkWidget *message = row_field (fixture, 0, GTK_TYPE_LABEL, "message");
  graphene_rect_t popover_bounds, message_bounds;

  g_assert_true (ui_test_is_shown (message));
  popover_bounds = surface_bounds (GTK_WIDGET (popover), GTK_WINDOW (fixture->dialog));
  message_bounds = surface_bounds (message, GTK_WINDOW (fixture->dialog));
  g_assert_cmpfloat (popover_bounds.size.height, >, 0);
  g_assert_false (graphene_rect_intersection (&popover_bounds, &message_bounds, NULL));
  ui_test_save_screenshot_with_popover (GTK_WIDGET (fixture->dialog), GTK_WIDGET (popover),
                                        "write-dialog-suggestions.png");
}

typedef struct {
  const char *name;
  const char *choice;   /* the meaning chosen */
  const char *value;    /* what it writes */
} ChoiceCase;

static const ChoiceCase choice_cases[] = {
  { "sip-transport-user", "TLS", "2" },
  { "sip-transport-user", "UDP", "0" },
  { "auto-answer", "Yes", "true" },
  { "auto-answer", "No", "false" },
};

static guint
choice_position (GtkDropDown *choices,
                 const char  *meaning)
{
  GListModel *model = gtk_drop_down_get_model (choices);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_equal (gtk_string_list_get_string (GTK_STRING_LIST (model), i), meaning))
      return i;
  g_error ("No choice “%s”", meaning);
}

/* The drop-down lists what the catalogue lists, in its order */
static void
assert_choices_are_catalogue_meanings (GtkDropDown *choices,
                                       const char  *name)
{
  WpiItemInfo *info = wpi_catalogue_lookup (wpi_catalogue_get_default (), name);
  GListModel *model = gtk_drop_down_get_model (choices);
  const WpiEnumValue *values;
  guint n = 0;

  if (wpi_item_info_get_value_type (info) != WPI_VALUE_TYPE_ENUM)
    return;
  values = wpi_item_info_get_enum_values (info, &n);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (model), i), ==, values[i].meaning);
}

static void
test_fixed_choices (Fixture       *fixture,
                    gconstpointer  user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (choice_cases); i++)
    {
      const ChoiceCase *c = &choice_cases[i];
      GtkDropDown *choices = GTK_DROP_DOWN (row_field (fixture, 0, GTK_TYPE_DROP_DOWN, "choices"));
      g_autoptr(GArray) items = NULL;

      gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "value")), "");
      gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "name")), c->name);
      g_assert_true (ui_test_is_shown (GTK_WIDGET (choices)));
      g_assert_false (ui_test_is_shown (GTK_WIDGET (row_entry (fixture, 0, "value"))));
      assert_choices_are_catalogue_meanings (choices, c->name);

      gtk_drop_down_set_selected (choices, choice_position (choices, c->choice));
      g_assert_true (wpc_write_dialog_get_valid (fixture->dialog));
      items = wpc_write_dialog_get_items (fixture->dialog);
      g_assert_cmpuint (items->len, ==, 1);
      g_assert_cmpstr (g_array_index (items, WpiStoreItem, 0).value, ==, c->value);
      if (i == 0)
        ui_test_save_screenshot (GTK_WIDGET (fixture->dialog), "write-dialog-choices.png");
    }

  /* A free value again: the entry comes back */
  gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "name")), "e164");
  g_assert_false (ui_test_is_shown (row_field (fixture, 0, GTK_TYPE_DROP_DOWN, "choices")));
  g_assert_true (ui_test_is_shown (GTK_WIDGET (row_entry (fixture, 0, "value"))));
}

typedef struct {
  const char *name;
  const char *value;
  const char *message;  /* part of the row's message */
  gboolean    valid;
} ValueCase;

static const ValueCase value_cases[] = {
  { "sip-transport-user", "udp", "is not one of", FALSE },
  { "sip-transport-user", "2", "Means: TLS", TRUE },
  { "auto-answer", "maybe", "auto-answer", FALSE },
  { "dls-secure-port", "70000", "dls-secure-port", FALSE },
};

static void
test_free_values (Fixture       *fixture,
                  gconstpointer  user_data)
{
  for (guint i = 0; i < G_N_ELEMENTS (value_cases); i++)
    {
      const ValueCase *c = &value_cases[i];
      const char *message;

      gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "name")), c->name);
      gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "value")), c->value);
      message = wpc_write_dialog_get_row_message (fixture->dialog, 0);
      g_assert_nonnull (message);
      g_assert_nonnull (strstr (message, c->message));
      g_assert_cmpint (wpc_write_dialog_get_valid (fixture->dialog), ==, c->valid);
      ui_test_wait_for_shown_text (GTK_WIDGET (fixture->dialog), message, WAIT_TIMEOUT_MS, c->name);
    }
}

static gboolean
applied_once (gpointer data)
{
  return ((Fixture *) data)->applied == 1;
}

static void
test_unknown_item_asks (Fixture       *fixture,
                        gconstpointer  user_data)
{
  GtkWindow *question;
  g_autofree char *text = NULL;

  gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "name")), "x-site-specific");
  gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "value")), "7");
  g_assert_true (wpc_write_dialog_get_valid (fixture->dialog));

  /* Cancel: nothing is written, the dialog and its rows stay */
  ui_test_click_suggested (GTK_WINDOW (fixture->dialog));
  question = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog", WAIT_TIMEOUT_MS);
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (question)), ==, "Write Unknown Item?");
  text = g_strdup (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (question)));
  g_assert_nonnull (strstr (text, "“x-site-specific”"));
  g_assert_nonnull (strstr (text, "ignore or reject"));
  ui_test_save_screenshot (GTK_WIDGET (question), "write-dialog-unknown-item.png");
  ui_test_respond (question, "cancel");
  ui_test_wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog", WAIT_TIMEOUT_MS);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (fixture->applied, ==, 0);
  g_assert_nonnull (ui_test_find_toplevel (WPC_TYPE_WRITE_DIALOG, NULL));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (row_entry (fixture, 0, "value"))), ==, "7");

  /* Write Anyway: applied once */
  ui_test_click_suggested (GTK_WINDOW (fixture->dialog));
  question = ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog", WAIT_TIMEOUT_MS);
  ui_test_respond (question, "write");
  test_util_wait_until (applied_once, fixture, WAIT_TIMEOUT_MS, "the rows to be applied");
  ui_test_wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog", WAIT_TIMEOUT_MS);

  /* A known item alone is written without a question */
  gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "name")), "e164");
  ui_test_click_suggested (GTK_WINDOW (fixture->dialog));
  g_assert_cmpuint (fixture->applied, ==, 2);
  g_assert_null (ui_test_find_toplevel (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog"));
}

/* A question does not outlive the dialog it is about */
static void
test_question_goes_with_dialog (Fixture       *fixture,
                                gconstpointer  user_data)
{
  gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "name")), "x-site-specific");
  ui_test_click_suggested (GTK_WINDOW (fixture->dialog));
  ui_test_wait_for_toplevel (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog", WAIT_TIMEOUT_MS);
  gtk_window_destroy (GTK_WINDOW (fixture->dialog));
  ui_test_wait_for_toplevel_gone (ADW_TYPE_MESSAGE_DIALOG, "unknown-item-dialog", WAIT_TIMEOUT_MS);
  g_assert_cmpuint (fixture->applied, ==, 0);
}

/* The dialog with a row of each kind, light and dark, at its own size and large (a
 * 1024x600 screen holds its own size) */
static void
test_screenshots (Fixture       *fixture,
                  gconstpointer  user_data)
{
  static const AdwColorScheme schemes[] = { ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK };
  /* Its own size, and as large as a 1920x1080 screen allows */
  static const int sizes[][2] = { { 720, 460 }, { 1920, 1080 } };
  AdwStyleManager *style = adw_style_manager_get_default ();

  wpc_write_dialog_add_row (fixture->dialog, "sip-transport-user", NULL, "2");
  wpc_write_dialog_add_row (fixture->dialog, "sip-transport-user", NULL, "udp");
  wpc_write_dialog_add_row (fixture->dialog, "x-site-specific", "1", "7");
  gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "name")), "e164");
  gtk_editable_set_text (GTK_EDITABLE (row_entry (fixture, 0, "value")), "4989700101");
  for (guint s = 0; s < G_N_ELEMENTS (schemes); s++)
    for (guint z = 0; z < G_N_ELEMENTS (sizes); z++)
      {
        g_autofree char *file = NULL;

        adw_style_manager_set_color_scheme (style, schemes[s]);
        gtk_window_set_default_size (GTK_WINDOW (fixture->dialog), sizes[z][0], sizes[z][1]);
        ui_test_wait_for_paint (GTK_WIDGET (fixture->dialog), WAIT_TIMEOUT_MS);
        /* Named by the size it got: the display may be smaller than asked */
        file = g_strdup_printf ("write-dialog-%dx%d-%s.png", gtk_widget_get_width (GTK_WIDGET (fixture->dialog)),
                                gtk_widget_get_height (GTK_WIDGET (fixture->dialog)), s == 0 ? "light" : "dark");
        ui_test_save_screenshot (GTK_WIDGET (fixture->dialog), file);
      }
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

#define add_test(name, func) \
  g_test_add ("/ui/write-dialog/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  ui_test_init (&argc, &argv);
  add_test ("initial-focus", test_initial_focus);
  add_test ("escape-closes-suggestions", test_escape_closes_suggestions);
  add_test ("escape-closes-empty-dialog", test_escape_closes_empty_dialog);
  add_test ("focus-leaving-closes-suggestions", test_focus_leaving_closes_suggestions);
  add_test ("suggestions-leave-message-visible", test_suggestions_leave_message_visible);
  add_test ("fixed-choices", test_fixed_choices);
  add_test ("free-values", test_free_values);
  add_test ("unknown-item-asks", test_unknown_item_asks);
  add_test ("question-goes-with-dialog", test_question_goes_with_dialog);
  add_test ("screenshots", test_screenshots);
  return g_test_run ();
}
