/* wpc-write-dialog.c: the items to write to phones (or, without values, to read)
 *
 * Every change to a row re-checks all rows (a name/index may appear once), which is
 * cheap: a catalogue lookup and a value check per row.
 *
 * The value entry holds the value in every case; for an item with fixed choices a
 * drop-down of their meanings stands in its place and writes the chosen code into it, so
 * that validation and wpc_write_dialog_get_items() see one source.
 *
 * Escape closes the name's suggestion list first (GtkEntryCompletion handles it on the
 * entry); with none open it closes the dialog only when nothing was typed, and otherwise
 * asks, so that a stray Escape never loses typed items (issue 12 §3).
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpc-confirm-dialog.h"
#include "wpc-accessible.h"
#include "wpc-write-dialog.h"
#include "wpi-catalogue.h"
#include "wpi-store.h"

typedef struct {
  GtkWidget *row;
  GtkEntry  *name;
  GtkEntry  *index;
  GtkEntry  *value;
  GtkDropDown *choices;     /* the value's meanings, for items with fixed choices */
  GStrv        choice_codes; /* the wire value of each choice */
  WpiItemInfo *choices_for;  /* the item the choices are of (the catalogue keeps it) */
  gboolean     syncing;      /* the drop-down follows the entry: not a user's choice */
  GtkLabel  *message;
  char      *problem;   /* why the row cannot be sent, or NULL */
  gboolean   blank;
} Row;

struct _WpcWriteDialog
{
  AdwWindow           parent_instance;

  /* template */
  GtkButton          *ok_button;
  GtkLabel           *intro_label;
  GtkExpander        *targets_expander;
  GtkLabel           *targets_label;
  GtkListBox         *rows_box;
  GtkLabel           *status_label;

  WpcWriteDialogMode  mode;
  GPtrArray          *rows;        /* Row */
  GtkListStore       *names;       /* catalogue names, for completion */
  GtkSizeGroup       *name_sizes;  /* the rows' columns line up, entry or drop-down */
  GtkSizeGroup       *value_sizes;
  gboolean            valid;
  GtkWindow          *question;    /* the open AdwMessageDialog, if any */
};

G_DEFINE_FINAL_TYPE (WpcWriteDialog, wpc_write_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_VALID,
  N_PROPS
};

enum {
  APPLY,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
row_free (Row *row)
{
  g_free (row->problem);
  g_strfreev (row->choice_codes);
  g_free (row);
}

static void
set_row_message (Row        *row,
                 const char *text,
                 gboolean    problem)
{
  g_free (row->problem);
  row->problem = problem ? g_strdup (text) : NULL;

  gtk_label_set_text (row->message, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (row->message), text != NULL);
  if (problem)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row->message), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (row->message), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row->message), "error");
      gtk_widget_add_css_class (GTK_WIDGET (row->message), "dim-label");
    }
  /* The message describes the row to screen readers as well */
  gtk_accessible_update_property (GTK_ACCESSIBLE (row->name), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  text != NULL ? text : "", -1);
  if (problem)
    gtk_accessible_update_state (GTK_ACCESSIBLE (row->value), GTK_ACCESSIBLE_STATE_INVALID,
                                 GTK_ACCESSIBLE_INVALID_TRUE, -1);
  else
    gtk_accessible_reset_state (GTK_ACCESSIBLE (row->value), GTK_ACCESSIBLE_STATE_INVALID);
}

static const char *
entry_text (GtkEntry *entry)
{
  return gtk_editable_get_text (GTK_EDITABLE (entry));
}

/* Closed enumerations and booleans: a value outside the choices is always refused, so a
 * drop-down cannot hide a valid value. Open enumerations keep the entry (they take
 * unlisted codes). */
static gboolean
has_fixed_choices (WpiItemInfo *info)
{
  WpiValueType type = wpi_item_info_get_value_type (info);

  return type == WPI_VALUE_TYPE_BOOLEAN || (type == WPI_VALUE_TYPE_ENUM && !wpi_item_info_is_open_enum (info));
}

static void
fill_choices (Row         *row,
              WpiItemInfo *info)
{
  g_autoptr(GStrvBuilder) codes = g_strv_builder_new ();
  g_autoptr(GtkStringList) meanings = gtk_string_list_new (NULL);
  guint n = 0;

  if (wpi_item_info_get_value_type (info) == WPI_VALUE_TYPE_BOOLEAN)
    {
      /* Translators: the choices of a yes/no item in the Write Items dialog */
      gtk_string_list_append (meanings, C_("item value", "Yes"));
      g_strv_builder_add (codes, "true");
      gtk_string_list_append (meanings, C_("item value", "No"));
      g_strv_builder_add (codes, "false");
    }
  else
    {
      const WpiEnumValue *values = wpi_item_info_get_enum_values (info, &n);

      for (guint i = 0; i < n; i++)
        {
          gtk_string_list_append (meanings, values[i].meaning != NULL && values[i].meaning[0] != '\0'
                                            ? values[i].meaning : values[i].value);
          g_strv_builder_add (codes, values[i].value);
        }
    }
  g_strfreev (row->choice_codes);
  row->choice_codes = g_strv_builder_end (codes);
  row->syncing = TRUE;
  gtk_drop_down_set_model (row->choices, G_LIST_MODEL (meanings));
  gtk_drop_down_set_enable_search (row->choices, n > 10);
  row->syncing = FALSE;
}

/* Shows the drop-down in the value's place when the item has fixed choices, selecting
 * the entry's value (none when it is not one of them: the row's message says why). */
static void
update_choices (WpcWriteDialog *self,
                Row            *row,
                WpiItemInfo    *info)
{
  gboolean fixed = self->mode == WPC_WRITE_DIALOG_WRITE && info != NULL &&
                   !wpi_item_info_is_secret (info) && has_fixed_choices (info);
  guint selected = GTK_INVALID_LIST_POSITION;

  if (!fixed)
    info = NULL;
  if (info != row->choices_for)
    {
      row->choices_for = info;
      if (info != NULL)
        fill_choices (row, info);
    }
  gtk_widget_set_visible (GTK_WIDGET (row->choices), fixed);
  gtk_widget_set_visible (GTK_WIDGET (row->value), self->mode == WPC_WRITE_DIALOG_WRITE && !fixed);
  if (!fixed)
    return;

  for (guint i = 0; row->choice_codes[i] != NULL; i++)
    if (g_str_equal (row->choice_codes[i], entry_text (row->value)))
      selected = i;
  if (gtk_drop_down_get_selected (row->choices) != selected)
    {
      row->syncing = TRUE;
      gtk_drop_down_set_selected (row->choices, selected);
      row->syncing = FALSE;
    }
}

static void
on_choice_selected (GtkDropDown *choices,
                    GParamSpec  *pspec,
                    Row         *row)
{
  guint selected = gtk_drop_down_get_selected (choices);

  if (row->syncing || row->choice_codes == NULL || selected == GTK_INVALID_LIST_POSITION)
    return;
  /* The entry's "changed" re-checks the rows */
  gtk_editable_set_text (GTK_EDITABLE (row->value), row->choice_codes[selected]);
}

/* Reading checks only the index (there is no value): what is wrong with it, or NULL */
static char *
read_index_problem (WpiItemInfo *info,
                    gboolean     has_index,
                    gint64       index,
                    const char  *index_text)
{
  const char *name = wpi_item_info_get_name (info);
  WpiIndexMode index_mode = wpi_item_info_get_index_mode (info);
  const char *ranges = wpi_item_info_get_index_ranges_string (info);

  if (index_mode == WPI_INDEX_MODE_REQUIRED && !has_index)
    return g_strdup_printf (_("“%s” needs an index (%s)."), name, ranges[0] != '\0' ? ranges : "0..");
  if (index_mode == WPI_INDEX_MODE_NONE && has_index)
    return g_strdup_printf (_("“%s” takes no index."), name);
  if (has_index && !wpi_item_info_index_is_valid (info, index))
    /* Translators: an index and the ranges it must be in, e.g. "Index 0 is outside 1..9." */
    return g_strdup_printf (_("Index %s is outside %s."), index_text, ranges);
  return NULL;
}

/* Checks one row; key is set to "name\x1findex" for the duplicate check. */
static void
check_row (WpcWriteDialog *self,
           Row            *row,
           char          **key)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  g_autofree char *name = g_strstrip (g_strdup (entry_text (row->name)));
  g_autofree char *index_text = g_strstrip (g_strdup (entry_text (row->index)));
  const char *value = entry_text (row->value);
  g_autoptr(GError) error = NULL;
  WpiItemInfo *info;
  gboolean has_index = index_text[0] != '\0';
  gint64 index = 0;

  *key = NULL;
  row->blank = name[0] == '\0' && !has_index && value[0] == '\0';
  gtk_entry_set_visibility (row->value, !wpi_catalogue_is_secret (catalogue, name));
  info = wpi_catalogue_lookup (catalogue, name);
  update_choices (self, row, info);
  if (row->blank)
    {
      set_row_message (row, NULL, FALSE);
      return;
    }

  if (name[0] == '\0')
    {
      set_row_message (row, _("Enter the name of an item."), TRUE);
      return;
    }

  if (has_index && !g_ascii_string_to_signed (index_text, 10, 0, G_MAXINT64, &index, NULL))
    {
      set_row_message (row, _("The index is a whole number, 0 or more."), TRUE);
      return;
    }

  if (info == NULL)
    {
      WpiItemInfo *other = wpi_catalogue_lookup_ignore_case (catalogue, name);

      if (other != NULL)
        {
          /* The phone matches names exactly: a wrong case is an item it does not know */
          g_autofree char *text = g_strdup_printf (_("Item names are case-sensitive: did you mean “%s”?"),
                                                   wpi_item_info_get_name (other));
          set_row_message (row, text, TRUE);
          return;
        }
    }

  if (self->mode == WPC_WRITE_DIALOG_WRITE && row->choices_for != NULL && value[0] == '\0')
    {
      set_row_message (row, _("Choose a value."), TRUE);
      return;
    }
  if (self->mode == WPC_WRITE_DIALOG_WRITE)
    {
      if (!wpi_catalogue_validate (catalogue, name, has_index, index, value, &error))
        {
          set_row_message (row, error->message, TRUE);
          return;
        }
    }
  else if (info != NULL)
    {
      g_autofree char *text = read_index_problem (info, has_index, index, index_text);

      if (text != NULL)
        {
          set_row_message (row, text, TRUE);
          return;
        }
    }

  *key = has_index ? g_strdup_printf ("%s\x1f%" G_GINT64_FORMAT, name, index) : g_strdup (name);

  if (info == NULL && self->mode == WPC_WRITE_DIALOG_WRITE)
    /* Not the safeguard itself: Write asks first (D32) */
    set_row_message (row, _("Not in the item catalogue: its value cannot be checked; Write asks first."), FALSE);
  else if (info == NULL)
    set_row_message (row, _("Not in the item catalogue: asked for as typed."), FALSE);
  else if (self->mode == WPC_WRITE_DIALOG_WRITE && value[0] != '\0' && !wpi_item_info_is_secret (info))
    {
      g_autofree char *meaning = wpi_catalogue_describe_value (catalogue, name, value);
      g_autofree char *text = meaning != NULL ? g_strdup_printf (_("Means: %s"), meaning) : NULL;

      set_row_message (row, text, FALSE);
    }
  else
    set_row_message (row, NULL, FALSE);
}

static void
check_rows (WpcWriteDialog *self)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint filled = 0;
  guint problems = 0;
  gboolean valid;

  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);
      char *key = NULL;

      check_row (self, row, &key);
      if (key != NULL && !g_hash_table_add (seen, key))
        set_row_message (row, _("This item is already listed above."), TRUE);
      if (!row->blank)
        filled++;
      if (row->problem != NULL)
        problems++;
    }

  valid = filled > 0 && problems == 0;
  gtk_widget_set_sensitive (GTK_WIDGET (self->ok_button), valid);

  if (problems > 0)
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u row needs fixing",
                                                            "%u rows need fixing", problems), problems);
      gtk_label_set_text (self->status_label, text);
    }
  else if (filled == 0)
    gtk_label_set_text (self->status_label, _("Enter at least one item"));
  else
    {
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u item", "%u items", filled),
                                               filled);
      gtk_label_set_text (self->status_label, text);
    }

  if (self->valid != valid)
    {
      self->valid = valid;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALID]);
    }
}

/* Completion matches anywhere in the name: "transport" finds sip-transport-user */
static gboolean
match_name (GtkEntryCompletion *completion,
            const char         *key,
            GtkTreeIter        *iter,
            gpointer            user_data)
{
  g_autofree char *name = NULL;
  g_autofree char *folded = NULL;
  gboolean found;

  gtk_tree_model_get (gtk_entry_completion_get_model (completion), iter, 0, &name, -1);
  if (name == NULL)
    return FALSE;
  folded = g_utf8_casefold (name, -1);
  /* key is already case-folded by GtkEntryCompletion */
  found = strstr (folded, key) != NULL;
  return found;
}

static GtkWidget *
new_entry (const char *placeholder,
           const char *accessible_name,
           const char *widget_name)
{
  GtkWidget *entry = gtk_entry_new ();

  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_name, -1);
  gtk_widget_set_name (entry, widget_name);
  return entry;
}

static void
remove_row (WpcWriteDialog *self,
            Row            *row)
{
  gtk_list_box_remove (self->rows_box, row->row);
  g_ptr_array_remove (self->rows, row);
  if (self->rows->len == 0)
    wpc_write_dialog_add_row (self, NULL, NULL, NULL);
  check_rows (self);
}

static void
on_remove_clicked (GtkButton *button,
                   Row       *row)
{
  WpcWriteDialog *self = WPC_WRITE_DIALOG (gtk_widget_get_root (GTK_WIDGET (button)));

  remove_row (self, row);
}

static void
on_add_clicked (WpcWriteDialog *self)
{
  guint position = wpc_write_dialog_add_row (self, NULL, NULL, NULL);
  Row *row = g_ptr_array_index (self->rows, position);

  gtk_widget_grab_focus (GTK_WIDGET (row->name));
}

/* The suggestion list GtkEntryCompletion keeps as a child of its entry */
static GtkPopover *
suggestions_of (GtkEntry *entry)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (entry));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_POPOVER (child))
      return GTK_POPOVER (child);
  return NULL;
}

/* Closes every open suggestion list; TRUE when one was open */
static gboolean
close_suggestions (WpcWriteDialog *self)
{
  gboolean closed = FALSE;

  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);
      GtkPopover *suggestions = suggestions_of (row->name);

      if (suggestions != NULL && gtk_widget_get_visible (GTK_WIDGET (suggestions)))
        {
          gtk_popover_popdown (suggestions);
          closed = TRUE;
        }
    }
  return closed;
}

/* The list opens over the row below, never over this row's message under the fields
 * (issue 12 §3): it is placed above the entry. */
static void
place_suggestions (GtkEntry *name)
{
  GtkPopover *suggestions = suggestions_of (name);

  if (suggestions != NULL)
    gtk_popover_set_position (suggestions, GTK_POS_TOP);
}

static void
on_name_focus_leave (GtkEventControllerFocus *controller)
{
  /* The entry, not its Row: focus also leaves while the dialog is destroyed */
  GtkEntry *name = GTK_ENTRY (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (controller)));
  GtkPopover *suggestions = suggestions_of (name);

  if (suggestions != NULL && gtk_widget_get_visible (GTK_WIDGET (suggestions)))
    gtk_popover_popdown (suggestions);
}

static gboolean
has_typed_items (WpcWriteDialog *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    if (!((Row *) g_ptr_array_index (self->rows, i))->blank)
      return TRUE;
  return FALSE;
}

static gboolean
close_later (gpointer data)
{
  gtk_window_close (GTK_WINDOW (data));
  return G_SOURCE_REMOVE;
}

static gboolean
apply_later (gpointer data)
{
  WpcWriteDialog *self = data;

  /* The rows may have changed under the question: check them again */
  check_rows (self);
  if (self->valid)
    g_signal_emit (self, signals[APPLY], 0);
  return G_SOURCE_REMOVE;
}

static void
on_question_response (AdwMessageDialog *question,
                      const char       *response,
                      WpcWriteDialog   *self)
{
  GSourceFunc action = g_object_get_data (G_OBJECT (question), "wpc-action");

  /* Answered: it closes itself, and a new question may be asked */
  g_clear_weak_pointer (&self->question);
  /* The action runs once the question, transient for this dialog, has closed: closing
   * or applying may destroy this dialog */
  if (!g_str_equal (response, "cancel"))
    g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, action, g_object_ref (self), g_object_unref);
}

/* Asks over this dialog (AdwMessageDialog, async): Cancel, or the destructive choice
 * that runs action */
static void
ask (WpcWriteDialog *self,
     const char     *name,
     const char     *heading,
     const char     *body,
     const char     *choice,
     const char     *choice_label,
     GSourceFunc     action)
{
  GtkWidget *question = wpc_confirm_dialog_new (GTK_WINDOW (self), name, heading, body,
                                                choice, choice_label, ADW_RESPONSE_DESTRUCTIVE);

  g_object_set_data (G_OBJECT (question), "wpc-action", action);
  g_set_weak_pointer (&self->question, GTK_WINDOW (question));
  g_signal_connect_object (question, "response", G_CALLBACK (on_question_response), self, 0);
  gtk_window_present (GTK_WINDOW (question));
}

static gboolean
on_escape (GtkWidget *widget,
           GVariant  *args,
           gpointer   user_data)
{
  WpcWriteDialog *self = WPC_WRITE_DIALOG (widget);

  if (close_suggestions (self))
    return TRUE;
  if (!has_typed_items (self))
    {
      gtk_window_close (GTK_WINDOW (self));
      return TRUE;
    }
  /* Typed items are never lost to a stray Escape (issue 12 §3) */
  ask (self, "discard-items-dialog", _("Discard Typed Items?"),
       _("The items you typed are neither written nor kept."), "discard", _("_Discard"), close_later);
  return TRUE;
}

/* The names of the rows the catalogue does not know, or NULL when it knows all */
static char *
unknown_names (WpcWriteDialog *self)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  g_autoptr(GString) names = NULL;

  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);
      g_autofree char *name = g_strstrip (g_strdup (entry_text (row->name)));

      if (row->blank || wpi_catalogue_lookup (catalogue, name) != NULL)
        continue;
      if (names == NULL)
        names = g_string_new (NULL);
      else
        g_string_append (names, ", ");
      g_string_append_printf (names, "“%s”", name);
    }
  return names != NULL ? g_string_free (g_steal_pointer (&names), FALSE) : NULL;
}

static void
on_ok_clicked (WpcWriteDialog *self)
{
  g_autofree char *unknown = NULL;
  g_autofree char *body = NULL;

  check_rows (self);
  if (!self->valid || self->question != NULL)
    return;
  if (self->mode == WPC_WRITE_DIALOG_READ || (unknown = unknown_names (self)) == NULL)
    {
      g_signal_emit (self, signals[APPLY], 0);
      return;
    }

  /* D32: an item the catalogue does not know is written only when confirmed */
  body = g_strdup_printf (_("The item catalogue does not know %s. The phone may ignore or reject it, "
                            "and the console cannot check the value."), unknown);
  ask (self, "unknown-item-dialog",
       strchr (unknown, ',') != NULL ? _("Write Unknown Items?") : _("Write Unknown Item?"),
       body, "write", _("_Write Anyway"), apply_later);
}

/* Enter in the last field sends, as the default button would */
static void
on_entry_activate (GtkEntry       *entry,
                   WpcWriteDialog *self)
{
  on_ok_clicked (self);
}

/* The drop-down that stands in for the value of an item with fixed choices */
static GtkDropDown *
new_choices (void)
{
  GtkDropDown *choices = GTK_DROP_DOWN (gtk_drop_down_new (NULL, NULL));
  g_autoptr(GtkExpression) meaning = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");

  gtk_widget_set_name (GTK_WIDGET (choices), "choices");
  /* What its search (long lists) matches */
  gtk_drop_down_set_expression (choices, meaning);
  gtk_widget_set_hexpand (GTK_WIDGET (choices), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (choices), FALSE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (choices), _("The value, by its meaning"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (choices), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Value"), -1);
  return choices;
}

/* The catalogue's names as suggestions for a name entry, closed when focus moves on */
static void
add_suggestions (WpcWriteDialog *self,
                 GtkEntry       *name)
{
  GtkEntryCompletion *completion = gtk_entry_completion_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();

  gtk_entry_completion_set_model (completion, GTK_TREE_MODEL (self->names));
  gtk_entry_completion_set_text_column (completion, 0);
  gtk_entry_completion_set_match_func (completion, match_name, NULL, NULL);
  gtk_entry_set_completion (name, completion);
  g_object_unref (completion);
  place_suggestions (name);
  g_signal_connect (focus, "leave", G_CALLBACK (on_name_focus_leave), NULL);
  gtk_widget_add_controller (GTK_WIDGET (name), focus);
}

guint
wpc_write_dialog_add_row (WpcWriteDialog *self,
                          const char     *name,
                          const char     *index,
                          const char     *value)
{
  Row *row;
  GtkWidget *box;
  GtkWidget *fields;
  GtkWidget *remove;

  g_return_val_if_fail (WPC_IS_WRITE_DIALOG (self), 0);

  row = g_new0 (Row, 1);
  row->name = GTK_ENTRY (new_entry (_("Item name"), _("Item name"), "name"));
  row->index = GTK_ENTRY (new_entry (_("Index"), _("Index"), "index"));
  row->value = GTK_ENTRY (new_entry (_("Value"), _("Value"), "value"));
  row->message = GTK_LABEL (gtk_label_new (NULL));
  row->choices = new_choices ();
  gtk_widget_set_hexpand (GTK_WIDGET (row->name), TRUE);
  gtk_editable_set_width_chars (GTK_EDITABLE (row->index), 6);
  gtk_editable_set_max_width_chars (GTK_EDITABLE (row->index), 6);
  gtk_entry_set_input_purpose (row->index, GTK_INPUT_PURPOSE_DIGITS);
  gtk_widget_set_hexpand (GTK_WIDGET (row->value), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (row->value), self->mode == WPC_WRITE_DIALOG_WRITE);
  gtk_label_set_xalign (row->message, 0.0);
  gtk_label_set_wrap (row->message, TRUE);
  gtk_label_set_selectable (row->message, TRUE);
  gtk_widget_set_name (GTK_WIDGET (row->message), "message");
  gtk_widget_add_css_class (GTK_WIDGET (row->message), "caption");

  add_suggestions (self, row->name);

  remove = gtk_button_new_from_icon_name ("list-remove-symbolic");
  gtk_widget_add_css_class (remove, "flat");
  gtk_widget_set_tooltip_text (remove, _("Remove this item"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Remove item"), -1);
  g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_clicked), row);

  fields = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_append (GTK_BOX (fields), GTK_WIDGET (row->name));
  gtk_box_append (GTK_BOX (fields), GTK_WIDGET (row->index));
  gtk_box_append (GTK_BOX (fields), GTK_WIDGET (row->value));
  gtk_box_append (GTK_BOX (fields), GTK_WIDGET (row->choices));
  gtk_size_group_add_widget (self->name_sizes, GTK_WIDGET (row->name));
  gtk_size_group_add_widget (self->value_sizes, GTK_WIDGET (row->value));
  gtk_size_group_add_widget (self->value_sizes, GTK_WIDGET (row->choices));
  gtk_box_append (GTK_BOX (fields), remove);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_box_append (GTK_BOX (box), fields);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (row->message));

  row->row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row->row), FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row->row), box);
  gtk_list_box_append (self->rows_box, row->row);
  g_ptr_array_add (self->rows, row);

  if (name != NULL)
    gtk_editable_set_text (GTK_EDITABLE (row->name), name);
  if (index != NULL)
    gtk_editable_set_text (GTK_EDITABLE (row->index), index);
  if (value != NULL)
    gtk_editable_set_text (GTK_EDITABLE (row->value), value);

  g_signal_connect_swapped (row->name, "changed", G_CALLBACK (check_rows), self);
  g_signal_connect_swapped (row->index, "changed", G_CALLBACK (check_rows), self);
  g_signal_connect_swapped (row->value, "changed", G_CALLBACK (check_rows), self);
  g_signal_connect (row->choices, "notify::selected", G_CALLBACK (on_choice_selected), row);
  g_signal_connect (self->mode == WPC_WRITE_DIALOG_WRITE ? row->value : row->index, "activate",
                    G_CALLBACK (on_entry_activate), self);

  check_rows (self);
  return self->rows->len - 1;
}

static void
wpc_write_dialog_dispose (GObject *object)
{
  WpcWriteDialog *self = WPC_WRITE_DIALOG (object);

  /* A question about this dialog's rows goes with it */
  if (self->question != NULL)
    gtk_window_destroy (self->question);
  g_clear_weak_pointer (&self->question);
  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_WRITE_DIALOG);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_object (&self->names);
  g_clear_object (&self->name_sizes);
  g_clear_object (&self->value_sizes);

  G_OBJECT_CLASS (wpc_write_dialog_parent_class)->dispose (object);
}

static void
wpc_write_dialog_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  WpcWriteDialog *self = WPC_WRITE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_VALID:
      g_value_set_boolean (value, self->valid);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_write_dialog_class_init (WpcWriteDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_write_dialog_dispose;
  object_class->get_property = wpc_write_dialog_get_property;

  /** WpcWriteDialog:valid: every row is right and at least one is filled in */
  properties[PROP_VALID] =
    g_param_spec_boolean ("valid", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WpcWriteDialog::apply:
   *
   * The user confirmed valid rows; wpc_write_dialog_get_items() has them. The dialog
   * stays open: the handler closes it once the jobs are queued.
   */
  signals[APPLY] = g_signal_new ("apply", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-write-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcWriteDialog, ok_button);
  gtk_widget_class_bind_template_child (widget_class, WpcWriteDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, WpcWriteDialog, targets_expander);
  gtk_widget_class_bind_template_child (widget_class, WpcWriteDialog, targets_label);
  gtk_widget_class_bind_template_child (widget_class, WpcWriteDialog, rows_box);
  gtk_widget_class_bind_template_child (widget_class, WpcWriteDialog, status_label);
  gtk_widget_class_bind_template_callback (widget_class, on_ok_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_add_clicked);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, on_escape, NULL);
  /* A dialog to assistive technologies (an AdwWindow alone reads as a filler) */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_DIALOG);
}

static void
wpc_write_dialog_init (WpcWriteDialog *self)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  guint n = wpi_catalogue_get_n_items (catalogue);

  gtk_widget_init_template (GTK_WIDGET (self));
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));

  self->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  self->names = gtk_list_store_new (1, G_TYPE_STRING);
  self->name_sizes = gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL);
  self->value_sizes = gtk_size_group_new (GTK_SIZE_GROUP_HORIZONTAL);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiItemInfo) info = g_list_model_get_item (G_LIST_MODEL (catalogue), i);
      gtk_list_store_insert_with_values (self->names, NULL, -1, 0, wpi_item_info_get_name (info), -1);
    }
}

/**
 * wpc_write_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @targets: the phones it is for, one per line
 */
WpcWriteDialog *
wpc_write_dialog_new (GtkWindow          *parent,
                      WpcWriteDialogMode  mode,
                      const char         *targets)
{
  WpcWriteDialog *self = g_object_new (WPC_TYPE_WRITE_DIALOG, "transient-for", parent, NULL);

  self->mode = mode;
  if (mode == WPC_WRITE_DIALOG_READ)
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Read Items"));
      gtk_button_set_label (self->ok_button, _("_Read"));
      gtk_label_set_text (self->intro_label,
                          _("The phones are asked for these items. Their answers are stored and "
                            "appear in the phone details."));
    }
  else
    {
      gtk_window_set_title (GTK_WINDOW (self), _("Write Items"));
      gtk_button_set_label (self->ok_button, _("_Write"));
      gtk_label_set_text (self->intro_label,
                          _("Each item is written to every phone below. Names, indexes and values "
                            "are checked against the item catalogue as you type."));
    }
  gtk_expander_set_label (self->targets_expander, _("Phones"));
  gtk_expander_set_expanded (self->targets_expander, TRUE);
  gtk_label_set_text (self->targets_label, targets != NULL ? targets : "");
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->ok_button));
  wpc_write_dialog_add_row (self, NULL, NULL, NULL);
  /* Focus starts in the first field (issue 12 §3) */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (((Row *) g_ptr_array_index (self->rows, 0))->name));
  return self;
}

WpcWriteDialogMode
wpc_write_dialog_get_mode (WpcWriteDialog *self)
{
  g_return_val_if_fail (WPC_IS_WRITE_DIALOG (self), WPC_WRITE_DIALOG_WRITE);
  return self->mode;
}

guint
wpc_write_dialog_get_n_rows (WpcWriteDialog *self)
{
  g_return_val_if_fail (WPC_IS_WRITE_DIALOG (self), 0);
  return self->rows->len;
}

const char *
wpc_write_dialog_get_row_message (WpcWriteDialog *self,
                                  guint           row)
{
  Row *r;

  g_return_val_if_fail (WPC_IS_WRITE_DIALOG (self), NULL);
  g_return_val_if_fail (row < self->rows->len, NULL);

  r = g_ptr_array_index (self->rows, row);
  return gtk_widget_get_visible (GTK_WIDGET (r->message)) ? gtk_label_get_text (r->message) : NULL;
}

gboolean
wpc_write_dialog_get_valid (WpcWriteDialog *self)
{
  g_return_val_if_fail (WPC_IS_WRITE_DIALOG (self), FALSE);
  return self->valid;
}

/**
 * wpc_write_dialog_get_items:
 *
 * Returns: (transfer full) (nullable) (element-type WpiStoreItem): the items, or %NULL
 *   while a row is wrong or none is filled in
 */
GArray *
wpc_write_dialog_get_items (WpcWriteDialog *self)
{
  GArray *items;

  g_return_val_if_fail (WPC_IS_WRITE_DIALOG (self), NULL);

  check_rows (self);
  if (!self->valid)
    return NULL;

  items = wpi_store_item_array_new ();
  for (guint i = 0; i < self->rows->len; i++)
    {
      Row *row = g_ptr_array_index (self->rows, i);
      g_autofree char *name = NULL;
      g_autofree char *index_text = NULL;
      gint64 index = 0;

      if (row->blank)
        continue;
      name = g_strstrip (g_strdup (entry_text (row->name)));
      index_text = g_strstrip (g_strdup (entry_text (row->index)));
      if (index_text[0] != '\0')
        g_ascii_string_to_signed (index_text, 10, 0, G_MAXINT64, &index, NULL);
      wpi_store_item_array_add (items, name, index_text[0] != '\0', index,
                                self->mode == WPC_WRITE_DIALOG_WRITE ? entry_text (row->value) : NULL);
    }
  return items;
}
