/* wpc-phones-view.c: the Phones view
 *
 * The list is a GtkColumnView over service phones -> filter (search) -> sort (column
 * headers) -> multi-selection. The service's model only emits items-changed for a new
 * phone; a phone that changes notifies its properties, and each bound cell follows the
 * one property it shows through a notify handler. So nothing is rebuilt, re-sorted or
 * re-filtered while phones talk, and the selection and scroll position stay put.
 *
 * Sized for 10,000 phones on GTK 4.8 (tests/bench-phones-view.c): sorters and the
 * search read the phones' fields in C, columns have fixed widths, and the last-contact
 * tooltip is built only when asked for.
 *
 * Actions on the selection are in the `phone.` group. Jobs for many phones are queued in
 * steps on the main loop, a few milliseconds at a time, with a progress bar and Cancel;
 * each job is one store call, so a cancelled run leaves whole jobs only.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpc-deploy-dialog.h"
#include "wpc-phone-details.h"
#include "wpc-phone-format.h"
#include "wpc-phones-view.h"
#include "wpc-write-dialog.h"
#include "wpi-catalogue.h"
#include "wpi-phone.h"

#define LAST_CONTACT_REFRESH_SECONDS 5
#define BULK_STEP_USEC               (8 * 1000)
#define CONFIRM_LIST_MAX             10
#define SEARCH_DELAY_MS              150

typedef struct {
  WpiJobKind  kind;
  char       *parameter;
  GArray     *items;
  GPtrArray  *macs;
  guint       next;
  guint       queued;
  guint       failed;
  char       *first_error;
  guint       source;
} BulkJob;

struct _WpcPhonesView
{
  GtkWidget            parent_instance;

  /* template */
  GtkWidget           *box;
  GtkSearchEntry      *search_entry;
  GtkLabel            *count_label;
  GtkInfoBar          *message_bar;
  GtkLabel            *message_label;
  GtkWidget           *progress_box;
  GtkProgressBar      *progress_bar;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *columns[WPC_PHONES_N_COLUMNS];
  GtkStack            *details_stack;
  GtkLabel            *details_placeholder;
  WpcPhoneDetails     *details;
  GMenuModel          *phone_menu;

  GtkPopoverMenu      *context_menu;
  WpiService          *service;
  GSettings           *settings;
  GListModel          *phones;
  GtkFilterListModel  *filter_model;
  GtkSortListModel    *sort_model;
  GtkMultiSelection   *selection;
  gboolean             column_resized[WPC_PHONES_N_COLUMNS];
  gboolean             setting_widths;
  GtkFilter           *search_filter;
  char                *search;              /* case-folded, or NULL: every phone */
  GString             *search_buffer;       /* reused for each phone's text */
  guint                search_source;       /* applies the entry's text after typing */
  gint64               search_time;         /* "now" of the last-contact texts searched */
  GHashTable          *last_contact_labels; /* GtkLabel -> WpiPhone, borrowed: the bound cells */
  guint                tick_source;
  BulkJob             *bulk;
  GCancellable        *cancellable;
};

G_DEFINE_FINAL_TYPE (WpcPhonesView, wpc_phones_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SERVICE,
  PROP_SETTINGS,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const selection_actions[] = {
  "phone.read-all",
  "phone.read-items",
  "phone.write-items",
  "phone.contact-me",
  "phone.restart",
  "phone.factory-reset",
  "phone.deploy-file",
  "phone.deploy-firmware",
  "phone.apply-profile",
  "phone.bootstrap",
};

/* Managed shortcuts: they work anywhere in the window while the view is shown. Keep in
 * step with the menu in wpc-phones-view.ui and wpc-shortcuts-window.ui. */
static const struct {
  const char *trigger;
  const char *action;
} view_shortcuts[] = {
  { "<Control>f", "phone.find" },
  { "<Control>r", "phone.read-all" },
  { "<Control>i", "phone.read-items" },
  { "F5", "phone.contact-me" },
  { "<Control>e", "phone.write-items" },
  { "<Control><Shift>p", "phone.apply-profile" },
  { "<Control><Shift>b", "phone.bootstrap" },
  { "<Control><Shift>f", "phone.deploy-file" },
  { "<Control><Shift>u", "phone.deploy-firmware" },
  { "<Control><Shift>r", "phone.restart" },
  { "<Control><Shift>Delete", "phone.factory-reset" },
  { "Escape", "phone.cancel-bulk" },
  { "<Shift>F10", "phone.context-menu" },
  { "Menu", "phone.context-menu" },
};

/* Column texts --------------------------------------------------------------------- */

/* Stored nick of the state and mode, which is what the format helpers take */
static const char *
state_nick (WpiPhone *phone)
{
  return wpi_phone_state_to_string (wpi_phone_get_state (phone));
}

static const char *
mode_nick (WpiPhone *phone)
{
  return wpi_phone_mode_to_string (wpi_phone_get_mode (phone));
}

/* What a cell of the column shows, as a new string */
static char *
column_text (WpiPhone        *phone,
             WpcPhonesColumn  column,
             gint64           now)
{
  switch (column)
    {
    case WPC_PHONES_COLUMN_STATE: return g_strdup (wpc_phone_state_label (state_nick (phone)));
    case WPC_PHONES_COLUMN_MAC: return g_strdup (wpi_phone_get_mac (phone));
    case WPC_PHONES_COLUMN_NUMBER: return g_strdup (wpi_phone_get_e164 (phone));
    case WPC_PHONES_COLUMN_MODEL: return g_strdup (wpi_phone_get_device_type (phone));
    case WPC_PHONES_COLUMN_FIRMWARE: return g_strdup (wpi_phone_get_firmware (phone));
    case WPC_PHONES_COLUMN_IP: return g_strdup (wpi_phone_get_ip (phone));
    case WPC_PHONES_COLUMN_MODE: return g_strdup (wpc_phone_mode_label (mode_nick (phone)));
    case WPC_PHONES_COLUMN_LAST_CONTACT: return wpc_format_relative_time (wpi_phone_get_last_contact (phone), now);
    case WPC_PHONES_COLUMN_PENDING_JOBS: return g_strdup_printf ("%u", wpi_phone_get_pending_jobs (phone));
    case WPC_PHONES_N_COLUMNS:
    default: g_return_val_if_reached (NULL);
    }
}

/* The WpiPhone property each column shows */
static const char * const column_properties[WPC_PHONES_N_COLUMNS] = {
  [WPC_PHONES_COLUMN_STATE] = "state",
  [WPC_PHONES_COLUMN_MAC] = "mac",
  [WPC_PHONES_COLUMN_NUMBER] = "e164",
  [WPC_PHONES_COLUMN_MODEL] = "device-type",
  [WPC_PHONES_COLUMN_FIRMWARE] = "firmware",
  [WPC_PHONES_COLUMN_IP] = "ip",
  [WPC_PHONES_COLUMN_MODE] = "mode",
  [WPC_PHONES_COLUMN_LAST_CONTACT] = "last-contact",
  [WPC_PHONES_COLUMN_PENDING_JOBS] = "pending-jobs",
};

/* Sorting ------------------------------------------------------------------------ */

/* Sorters compare the phones' fields directly. A GtkStringSorter builds a collation key
 * per phone (g_utf8_collate_key) and closure expressions marshal through GValues: with
 * 10,000 phones a click on a header took 150-600 ms that way, and takes 10-30 ms so.
 * The fields are ASCII (MACs, numbers, model names, versions); empty ones sort last. */
static int
compare_text (const char *a,
              const char *b)
{
  int result;

  if (a == NULL || a[0] == '\0' || b == NULL || b[0] == '\0')
    return (a == NULL || a[0] == '\0') - (b == NULL || b[0] == '\0');
  result = g_ascii_strcasecmp (a, b);
  return result != 0 ? result : strcmp (a, b);
}

/* 10.0.0.9 before 10.0.0.10: IPv4 as a number, anything else after it as text */
static gboolean
parse_ipv4 (const char *ip,
            guint32    *value)
{
  guint parts = 0;
  guint32 part = 0;
  gboolean digits = FALSE;

  *value = 0;
  for (const char *p = ip; p != NULL; p++)
    {
      if (g_ascii_isdigit (*p))
        {
          part = part * 10 + (guint32) (*p - '0');
          digits = TRUE;
          if (part > 255)
            return FALSE;
        }
      else if (*p == '.' || *p == '\0')
        {
          if (!digits || parts == 4)
            return FALSE;
          *value = (*value << 8) | part;
          parts++;
          part = 0;
          digits = FALSE;
          if (*p == '\0')
            return parts == 4;
        }
      else
        return FALSE;
    }
  return FALSE;
}

static int
compare_ip (const char *a,
            const char *b)
{
  guint32 va, vb;
  gboolean a4 = parse_ipv4 (a, &va);
  gboolean b4 = parse_ipv4 (b, &vb);

  if (a4 && b4)
    return (va > vb) - (va < vb);
  if (a4 != b4)
    return a4 ? -1 : 1;
  return compare_text (a, b);
}

static int
compare_phones (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  WpiPhone *pa = (WpiPhone *) a;
  WpiPhone *pb = (WpiPhone *) b;

  switch ((WpcPhonesColumn) GPOINTER_TO_INT (user_data))
    {
    case WPC_PHONES_COLUMN_STATE:
      {
        int ra = wpc_phone_state_rank (state_nick (pa));
        int rb = wpc_phone_state_rank (state_nick (pb));
        return (ra > rb) - (ra < rb);
      }
    case WPC_PHONES_COLUMN_MAC: return compare_text (wpi_phone_get_mac (pa), wpi_phone_get_mac (pb));
    case WPC_PHONES_COLUMN_NUMBER: return compare_text (wpi_phone_get_e164 (pa), wpi_phone_get_e164 (pb));
    case WPC_PHONES_COLUMN_MODEL: return compare_text (wpi_phone_get_device_type (pa), wpi_phone_get_device_type (pb));
    case WPC_PHONES_COLUMN_FIRMWARE: return compare_text (wpi_phone_get_firmware (pa), wpi_phone_get_firmware (pb));
    case WPC_PHONES_COLUMN_IP: return compare_ip (wpi_phone_get_ip (pa), wpi_phone_get_ip (pb));
    case WPC_PHONES_COLUMN_MODE:
      return (int) wpi_phone_get_mode (pa) - (int) wpi_phone_get_mode (pb);
    case WPC_PHONES_COLUMN_LAST_CONTACT:
    case WPC_PHONES_COLUMN_PENDING_JOBS:
    case WPC_PHONES_N_COLUMNS:
    default:
      g_return_val_if_reached (0);
    }
}

static GtkSorter *
column_sorter (WpcPhonesColumn column)
{
  switch (column)
    {
    case WPC_PHONES_COLUMN_LAST_CONTACT:
    case WPC_PHONES_COLUMN_PENDING_JOBS:
      /* Numbers: a key per phone, read once through the property */
      return GTK_SORTER (gtk_numeric_sorter_new (gtk_property_expression_new (WPI_TYPE_PHONE, NULL,
                                                                              column_properties[column])));
    default:
      return GTK_SORTER (gtk_custom_sorter_new (compare_phones, GINT_TO_POINTER (column), NULL));
    }
}

/* Search ------------------------------------------------------------------------- */

/* Appends what a cell of the column shows */
static void
append_column_text (GString         *text,
                    WpiPhone        *phone,
                    WpcPhonesColumn  column,
                    gint64           now)
{
  const char *value = NULL;

  switch (column)
    {
    case WPC_PHONES_COLUMN_STATE: value = wpc_phone_state_label (state_nick (phone)); break;
    case WPC_PHONES_COLUMN_MAC: value = wpi_phone_get_mac (phone); break;
    case WPC_PHONES_COLUMN_NUMBER: value = wpi_phone_get_e164 (phone); break;
    case WPC_PHONES_COLUMN_MODEL: value = wpi_phone_get_device_type (phone); break;
    case WPC_PHONES_COLUMN_FIRMWARE: value = wpi_phone_get_firmware (phone); break;
    case WPC_PHONES_COLUMN_IP: value = wpi_phone_get_ip (phone); break;
    case WPC_PHONES_COLUMN_MODE: value = wpc_phone_mode_label (mode_nick (phone)); break;
    case WPC_PHONES_COLUMN_PENDING_JOBS:
      g_string_append_printf (text, "%u", wpi_phone_get_pending_jobs (phone));
      return;
    case WPC_PHONES_COLUMN_LAST_CONTACT:
      {
        g_autofree char *age = wpc_format_relative_time (wpi_phone_get_last_contact (phone), now);
        g_string_append (text, age);
        return;
      }
    case WPC_PHONES_N_COLUMNS:
    default:
      g_return_if_reached ();
    }
  if (value != NULL)
    g_string_append (text, value);
}

/* Every column's text, as shown, joined by line breaks and case-folded into text. The
 * search matches a part of any one column (a line break is never typed into the entry).
 * A MAC also matches without colons, as it is often written. */
static const char *
search_text (GString  *text,
             WpiPhone *phone,
             gint64    now,
             char    **folded)
{
  gboolean ascii = TRUE;

  g_string_truncate (text, 0);
  for (guint c = 0; c < WPC_PHONES_N_COLUMNS; c++)
    {
      append_column_text (text, phone, c, now);
      g_string_append_c (text, '\n');
    }
  for (const char *p = wpi_phone_get_mac (phone); p != NULL && *p != '\0'; p++)
    if (*p != ':')
      g_string_append_c (text, *p);

  /* Phones report ASCII, and for ASCII folding is lowering the case in place */
  for (gsize i = 0; i < text->len && ascii; i++)
    ascii = (guchar) text->str[i] < 0x80;
  if (ascii)
    {
      for (gsize i = 0; i < text->len; i++)
        text->str[i] = g_ascii_tolower (text->str[i]);
      return text->str;
    }
  else
    {
      g_autofree char *casefolded = g_utf8_casefold (text->str, (gssize) text->len);
      *folded = g_utf8_normalize (casefolded, -1, G_NORMALIZE_ALL);
      return *folded;
    }
}

static char *
fold_search (const char *search)
{
  g_autofree char *folded = NULL;

  if (search == NULL || search[0] == '\0')
    return NULL;
  folded = g_utf8_casefold (search, -1);
  return g_utf8_normalize (folded, -1, G_NORMALIZE_ALL);
}

/* One pass over the fields per phone, no GValue, no allocation for ASCII: a
 * GtkAnyFilter of one GtkStringFilter per column took 300-600 ms per keystroke with
 * 10,000 phones. */
static gboolean
match_search (gpointer item,
              gpointer user_data)
{
  WpcPhonesView *self = user_data;
  g_autofree char *folded = NULL;

  if (self->search == NULL)
    return TRUE;
  return strstr (search_text (self->search_buffer, item, self->search_time, &folded), self->search) != NULL;
}

/* Cells -------------------------------------------------------------------------- */

#define CELL_PHONE_KEY   "wpc-phones-view-phone"
#define CELL_HANDLER_KEY "wpc-phones-view-handler"

/* Column widths in digit widths, plus room for an icon where there is one. Fixed
 * widths spare GTK 4.8's column view measuring every cell of a column for each layout,
 * which made scrolling through 10,000 phones stutter; the user can still resize them. */
static const int column_chars[WPC_PHONES_N_COLUMNS] = {
  [WPC_PHONES_COLUMN_STATE] = 8,
  [WPC_PHONES_COLUMN_MAC] = 15,
  [WPC_PHONES_COLUMN_NUMBER] = 14,     /* an E.164 number with its country code */
  [WPC_PHONES_COLUMN_MODEL] = 17,      /* "OpenScape Desk Phone…" at least */
  [WPC_PHONES_COLUMN_FIRMWARE] = 9,
  [WPC_PHONES_COLUMN_IP] = 12,
  [WPC_PHONES_COLUMN_MODE] = 7,
  [WPC_PHONES_COLUMN_LAST_CONTACT] = 11,
  [WPC_PHONES_COLUMN_PENDING_JOBS] = 8,
};

#define ICON_CELL_EXTRA 22   /* a 16 px icon and the box's spacing */
#define CELL_PADDING    12

static GtkWidget *
new_cell_label (gboolean numeric)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "numeric");
  return label;
}

static GtkWidget *
new_icon_cell (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *image = gtk_image_new ();
  GtkWidget *label = gtk_label_new (NULL);

  /* The word beside it says the same; the icon is for scanning a long list. */
  g_object_set (image, "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION, NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

static GtkLabel *
cell_label (GtkWidget *child)
{
  return GTK_IS_LABEL (child) ? GTK_LABEL (child) : GTK_LABEL (gtk_widget_get_last_child (child));
}

/* Writes the phone's value into the cell; GtkLabel and GtkImage ignore an unchanged value */
static void
update_cell (GtkWidget       *child,
             WpiPhone        *phone,
             WpcPhonesColumn  column)
{
  g_autofree char *text = column_text (phone, column, g_get_real_time ());

  gtk_label_set_label (cell_label (child), text != NULL ? text : "");
  if (column == WPC_PHONES_COLUMN_STATE)
    gtk_image_set_from_icon_name (GTK_IMAGE (gtk_widget_get_first_child (child)),
                                  wpc_phone_state_icon_name (state_nick (phone)));
  else if (column == WPC_PHONES_COLUMN_MODE)
    gtk_image_set_from_icon_name (GTK_IMAGE (gtk_widget_get_first_child (child)),
                                  wpc_phone_mode_icon_name (mode_nick (phone)));
}

static void
on_phone_notify (WpiPhone   *phone,
                 GParamSpec *pspec,
                 GtkWidget  *child)
{
  update_cell (child, phone, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (child), "wpc-column")));
}

/* The last contact's full time, built only when a tooltip is asked for */
static gboolean
on_last_contact_tooltip (GtkWidget  *label,
                         int         x,
                         int         y,
                         gboolean    keyboard,
                         GtkTooltip *tooltip,
                         gpointer    user_data)
{
  WpiPhone *phone = g_object_get_data (G_OBJECT (label), CELL_PHONE_KEY);
  g_autofree char *text = NULL;

  if (phone == NULL)
    return FALSE;
  text = wpc_format_time (wpi_phone_get_last_contact (phone), g_get_real_time ());
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
setup_cell (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  user_data)
{
  WpcPhonesColumn column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "wpc-column"));
  GtkWidget *child;

  switch (column)
    {
    case WPC_PHONES_COLUMN_STATE:
    case WPC_PHONES_COLUMN_MODE:
      child = new_icon_cell ();
      break;
    case WPC_PHONES_COLUMN_PENDING_JOBS:
      child = new_cell_label (TRUE);
      break;
    case WPC_PHONES_COLUMN_LAST_CONTACT:
      child = new_cell_label (FALSE);
      gtk_widget_set_has_tooltip (child, TRUE);
      g_signal_connect (child, "query-tooltip", G_CALLBACK (on_last_contact_tooltip), NULL);
      break;
    default:
      child = new_cell_label (FALSE);
    }
  g_object_set_data (G_OBJECT (child), "wpc-column", GINT_TO_POINTER (column));
  gtk_list_item_set_child (list_item, child);
}

/* A cell follows its phone through one notify handler for the property it shows */
static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           WpcPhonesView            *self)
{
  WpcPhonesColumn column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "wpc-column"));
  GtkWidget *child = gtk_list_item_get_child (list_item);
  WpiPhone *phone = gtk_list_item_get_item (list_item);
  g_autofree char *signal = g_strconcat ("notify::", column_properties[column], NULL);
  gulong handler;

  update_cell (child, phone, column);
  handler = g_signal_connect (phone, signal, G_CALLBACK (on_phone_notify), child);
  g_object_set_data (G_OBJECT (child), CELL_HANDLER_KEY, GSIZE_TO_POINTER (handler));
  g_object_set_data (G_OBJECT (child), CELL_PHONE_KEY, phone);
  if (column == WPC_PHONES_COLUMN_LAST_CONTACT)
    g_hash_table_insert (self->last_contact_labels, child, phone);
}

static void
unbind_cell (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             WpcPhonesView            *self)
{
  GtkWidget *child = gtk_list_item_get_child (list_item);
  WpiPhone *phone = g_object_get_data (G_OBJECT (child), CELL_PHONE_KEY);
  gulong handler = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (child), CELL_HANDLER_KEY));

  if (phone != NULL && handler != 0)
    g_signal_handler_disconnect (phone, handler);
  g_object_set_data (G_OBJECT (child), CELL_HANDLER_KEY, NULL);
  g_object_set_data (G_OBJECT (child), CELL_PHONE_KEY, NULL);
  if (self->last_contact_labels != NULL)
    g_hash_table_remove (self->last_contact_labels, child);
}

/* "12 s ago" ages without a notify: rewrite the bound cells only, not the rows. */
static gboolean
refresh_last_contact (gpointer user_data)
{
  WpcPhonesView *self = user_data;
  GHashTableIter iter;
  gpointer label, phone;

  g_hash_table_iter_init (&iter, self->last_contact_labels);
  while (g_hash_table_iter_next (&iter, &label, &phone))
    update_cell (label, phone, WPC_PHONES_COLUMN_LAST_CONTACT);
  return G_SOURCE_CONTINUE;
}

/* Columns ------------------------------------------------------------------------ */

/* In the font the list is drawn with; columns the user resized keep their width */
static void
set_column_widths (WpcPhonesView *self)
{
  PangoContext *context = gtk_widget_get_pango_context (GTK_WIDGET (self->column_view));
  PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);
  int digit = PANGO_PIXELS_CEIL (pango_font_metrics_get_approximate_digit_width (metrics));

  for (guint i = 0; i < WPC_PHONES_N_COLUMNS; i++)
    {
      int width = column_chars[i] * digit + CELL_PADDING;

      if (i == WPC_PHONES_COLUMN_STATE || i == WPC_PHONES_COLUMN_MODE)
        width += ICON_CELL_EXTRA;
      if (!self->column_resized[i])
        gtk_column_view_column_set_fixed_width (self->columns[i], width);
    }
  pango_font_metrics_unref (metrics);
}

static void
on_column_width (GtkColumnViewColumn *column,
                 GParamSpec          *pspec,
                 WpcPhonesView       *self)
{
  /* A width this view did not set came from the user dragging the header's edge */
  for (guint i = 0; i < WPC_PHONES_N_COLUMNS; i++)
    if (self->columns[i] == column && !self->setting_widths)
      self->column_resized[i] = TRUE;
}

static void
setup_columns (WpcPhonesView *self)
{
  for (guint i = 0; i < WPC_PHONES_N_COLUMNS; i++)
    {
      g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
      g_autoptr(GtkSorter) sorter = column_sorter (i);

      g_object_set_data (G_OBJECT (factory), "wpc-column", GINT_TO_POINTER (i));
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), self);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), self);
      g_signal_connect (factory, "unbind", G_CALLBACK (unbind_cell), self);
      gtk_column_view_column_set_factory (self->columns[i], factory);
      gtk_column_view_column_set_sorter (self->columns[i], sorter);
      g_signal_connect_object (self->columns[i], "notify::fixed-width", G_CALLBACK (on_column_width), self, 0);
    }

  self->search_filter = GTK_FILTER (gtk_custom_filter_new (match_search, self, NULL));
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (self->search_filter));
  self->sort_model = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->filter_model)),
                                              g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->selection = gtk_multi_selection_new (G_LIST_MODEL (g_object_ref (self->sort_model)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
}

/* Selection, counts, details ----------------------------------------------------- */

static guint
selection_size (WpcPhonesView *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));

  return (guint) gtk_bitset_get_size (selected);
}

static void
update_actions (WpcPhonesView *self)
{
  gboolean enabled = self->service != NULL && self->bulk == NULL && selection_size (self) > 0;

  for (guint i = 0; i < G_N_ELEMENTS (selection_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), selection_actions[i], enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "phone.cancel-bulk", self->bulk != NULL);
}

static void
update_count (WpcPhonesView *self)
{
  guint total = self->phones != NULL ? g_list_model_get_n_items (self->phones) : 0;
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->sort_model));
  guint selected = selection_size (self);
  g_autofree char *phones = NULL;
  g_autofree char *text = NULL;

  if (shown == total)
    phones = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u phone", "%u phones", total), total);
  else
    /* Translators: phones left by the search, e.g. "5 of 20 phones" */
    phones = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u phone", "%u of %u phones", total),
                              shown, total);

  if (selected > 0)
    /* Translators: e.g. "20 phones, 2 selected" */
    text = g_strdup_printf (_("%s, %u selected"), phones, selected);
  else
    text = g_steal_pointer (&phones);
  gtk_label_set_text (self->count_label, text);
}

static void
update_details (WpcPhonesView *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  guint n = (guint) gtk_bitset_get_size (selected);

  if (n == 1)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (G_LIST_MODEL (self->selection),
                                                         gtk_bitset_get_minimum (selected));

      wpc_phone_details_set_phone (self->details, phone);
      gtk_stack_set_visible_child_name (self->details_stack, "details");
      return;
    }

  wpc_phone_details_set_phone (self->details, NULL);
  if (n == 0)
    gtk_label_set_text (self->details_placeholder,
                        _("Select a phone to see its items, jobs and traffic."));
  else
    {
      g_autofree char *text =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "%u phone selected. Actions apply to all of them.",
                                      "%u phones selected. Actions apply to all of them.", n), n);
      gtk_label_set_text (self->details_placeholder, text);
    }
  gtk_stack_set_visible_child_name (self->details_stack, "placeholder");
}

static void
on_selection_changed (WpcPhonesView *self)
{
  update_details (self);
  update_count (self);
  update_actions (self);
}

static void
on_rows_changed (WpcPhonesView *self)
{
  update_count (self);
  /* Filtering may drop the phone whose details are shown from the selection */
  update_details (self);
  update_actions (self);
}

static void
apply_search (WpcPhonesView *self)
{
  g_autofree char *previous = g_steal_pointer (&self->search);
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

  self->search = fold_search (gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  self->search_time = g_get_real_time ();
  if (g_strcmp0 (previous, self->search) == 0)
    return;

  /* Typing on only narrows, deleting only widens: the filter model rechecks fewer rows */
  if (self->search != NULL && (previous == NULL || strstr (self->search, previous) != NULL))
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (previous != NULL && (self->search == NULL || strstr (previous, self->search) != NULL))
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  gtk_filter_changed (self->search_filter, change);
}

static gboolean
search_timeout (gpointer user_data)
{
  WpcPhonesView *self = user_data;

  self->search_source = 0;
  apply_search (self);
  return G_SOURCE_REMOVE;
}

/* GtkSearchEntry's own search-changed fires at once when the text becomes empty, which
 * it does for an instant when typed text replaces a selection or the text is set: the
 * whole list would be shown and dropped again, 10,000 rows. So the view waits a little
 * for typing, and one main-loop turn for a cleared entry. */
static void
on_search_text_changed (WpcPhonesView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  g_clear_handle_id (&self->search_source, g_source_remove);
  if (text[0] == '\0')
    self->search_source = g_idle_add (search_timeout, self);
  else
    self->search_source = g_timeout_add (SEARCH_DELAY_MS, search_timeout, self);
}

/* Messages and progress ------------------------------------------------------------ */

static void
show_message (WpcPhonesView  *self,
              GtkMessageType  type,
              const char     *text)
{
  gtk_info_bar_set_message_type (self->message_bar, type);
  gtk_label_set_text (self->message_label, text);
  gtk_info_bar_set_revealed (self->message_bar, TRUE);
}

static void
on_message_bar_response (WpcPhonesView *self,
                         int            response)
{
  if (response == GTK_RESPONSE_CLOSE)
    gtk_info_bar_set_revealed (self->message_bar, FALSE);
}

/* Bulk jobs ------------------------------------------------------------------------ */

static void
bulk_job_free (BulkJob *bulk)
{
  g_clear_handle_id (&bulk->source, g_source_remove);
  g_free (bulk->parameter);
  g_clear_pointer (&bulk->items, g_array_unref);
  g_ptr_array_unref (bulk->macs);
  g_free (bulk->first_error);
  g_free (bulk);
}

static void
bulk_update_progress (WpcPhonesView *self)
{
  BulkJob *bulk = self->bulk;
  g_autofree char *text = NULL;

  /* Translators: progress of queuing jobs, e.g. "Restart: 40 of 100 phones" */
  text = g_strdup_printf (_("%s: %u of %u phones"), wpc_job_kind_label (bulk->kind),
                          bulk->next, bulk->macs->len);
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_progress_bar_set_fraction (self->progress_bar, (double) bulk->next / bulk->macs->len);
}

static void
bulk_finish (WpcPhonesView *self,
             gboolean       cancelled)
{
  BulkJob *bulk = g_steal_pointer (&self->bulk);
  const char *kind = wpc_job_kind_label (bulk->kind);
  g_autofree char *text = NULL;
  GtkMessageType type = GTK_MESSAGE_INFO;

  if (cancelled)
    {
      /* Translators: e.g. "Restart cancelled: queued for 40 of 100 phones." */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s cancelled: queued for %u of %u phone.",
                                           "%s cancelled: queued for %u of %u phones.",
                                           bulk->macs->len),
                              kind, bulk->queued, bulk->macs->len);
      type = GTK_MESSAGE_WARNING;
    }
  else if (bulk->failed > 0)
    {
      /* Translators: e.g. "Restart: queued for 2 of 3 phones. 00:1A:E8:…: reason" */
      text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "%s: queued for %u of %u phone. %s",
                                           "%s: queued for %u of %u phones. %s",
                                           bulk->macs->len),
                              kind, bulk->queued, bulk->macs->len, bulk->first_error);
      type = GTK_MESSAGE_ERROR;
    }
  else
    /* Translators: e.g. "Restart: queued for 3 phones." */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: queued for %u phone.",
                                         "%s: queued for %u phones.", bulk->queued),
                            kind, bulk->queued);

  show_message (self, type, text);
  gtk_widget_set_visible (self->progress_box, FALSE);
  bulk_job_free (bulk);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* One slice of the queue: as many jobs as fit in a few milliseconds, so frames keep
 * coming (each job is a durable commit). */
static gboolean
bulk_run_slice (WpcPhonesView *self)
{
  BulkJob *bulk = self->bulk;
  gint64 deadline = g_get_monotonic_time () + BULK_STEP_USEC;

  do
    {
      const char *mac = g_ptr_array_index (bulk->macs, bulk->next);
      g_autoptr(GError) error = NULL;

      bulk->next++;
      if (wpi_service_enqueue_job (self->service, mac, bulk->kind, bulk->parameter, bulk->items, &error) > 0)
        bulk->queued++;
      else
        {
          bulk->failed++;
          if (bulk->first_error == NULL)
            bulk->first_error = g_strdup_printf ("%s: %s", mac, error->message);
        }
    }
  while (bulk->next < bulk->macs->len && g_get_monotonic_time () < deadline);

  return bulk->next >= bulk->macs->len;
}

static gboolean
bulk_step (gpointer user_data)
{
  WpcPhonesView *self = user_data;

  if (bulk_run_slice (self))
    {
      self->bulk->source = 0;
      bulk_finish (self, FALSE);
      return G_SOURCE_REMOVE;
    }
  bulk_update_progress (self);
  return G_SOURCE_CONTINUE;
}

/**
 * wpc_phones_view_queue_jobs:
 * @phones: (element-type WpiPhone): the phones
 * @items: (element-type WpiStoreItem) (nullable): the job's items
 */
gboolean
wpc_phones_view_queue_jobs (WpcPhonesView  *self,
                            GPtrArray      *phones,
                            WpiJobKind      kind,
                            const char     *parameter,
                            GArray         *items,
                            GError        **error)
{
  BulkJob *bulk;

  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), FALSE);
  g_return_val_if_fail (phones != NULL, FALSE);

  if (self->service == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("The provisioning service is not running"));
      return FALSE;
    }
  if (self->bulk != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("Other jobs are still being queued"));
      return FALSE;
    }
  if (phones->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No phone selected"));
      return FALSE;
    }

  bulk = g_new0 (BulkJob, 1);
  bulk->kind = kind;
  bulk->parameter = g_strdup (parameter);
  bulk->items = items != NULL ? g_array_ref (items) : NULL;
  /* MACs, not the phones: the list may change while the jobs are queued */
  bulk->macs = g_ptr_array_new_full (phones->len, g_free);
  for (guint i = 0; i < phones->len; i++)
    g_ptr_array_add (bulk->macs, g_strdup (wpi_phone_get_mac (g_ptr_array_index (phones, i))));
  self->bulk = bulk;

  gtk_info_bar_set_revealed (self->message_bar, FALSE);
  if (bulk_run_slice (self))
    {
      bulk_finish (self, FALSE);
      return TRUE;
    }

  bulk_update_progress (self);
  gtk_widget_set_visible (self->progress_box, TRUE);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  /* Below redraw priority, so the progress bar is drawn between slices */
  bulk->source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, bulk_step, self, NULL);
  return TRUE;
}

static void
queue_for_selection (WpcPhonesView *self,
                     GPtrArray     *phones,
                     WpiJobKind     kind,
                     const char    *parameter,
                     GArray        *items)
{
  g_autoptr(GError) error = NULL;

  if (!wpc_phones_view_queue_jobs (self, phones, kind, parameter, items, &error))
    show_message (self, GTK_MESSAGE_ERROR, error->message);
}

/* Actions ------------------------------------------------------------------------ */

static GtkWindow *
parent_window (WpcPhonesView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* "00:1A:E8:12:34:56 (4989700123)" per line, the first few of a long list */
static char *
describe_phones (GPtrArray *phones)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < phones->len && i < CONFIRM_LIST_MAX; i++)
    {
      WpiPhone *phone = g_ptr_array_index (phones, i);
      const char *e164 = wpi_phone_get_e164 (phone);

      if (i > 0)
        g_string_append_c (text, '\n');
      if (e164 != NULL && e164[0] != '\0')
        g_string_append_printf (text, "%s (%s)", wpi_phone_get_mac (phone), e164);
      else
        g_string_append (text, wpi_phone_get_mac (phone));
    }
  if (phones->len > CONFIRM_LIST_MAX)
    {
      guint more = phones->len - CONFIRM_LIST_MAX;

      g_string_append_c (text, '\n');
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "and %u more phone", "and %u more phones", more),
                              more);
    }
  return g_string_free (text, FALSE);
}

static void
simple_job_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GPtrArray) phones = wpc_phones_view_get_selected_phones (self);
  WpiJobKind kind;

  if (g_str_equal (action_name, "phone.restart"))
    kind = WPI_JOB_KIND_RESTART;
  else
    /* Contact me: a read-all job is what makes the service send a contact-me, and the
     * phone that calls back is asked for all its items. */
    kind = WPI_JOB_KIND_READ_ALL;

  queue_for_selection (self, phones, kind, NULL, NULL);
}

static void
on_factory_reset_response (GtkDialog     *dialog,
                           int            response,
                           WpcPhonesView *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");

  if (response == GTK_RESPONSE_ACCEPT)
    queue_for_selection (self, phones, WPI_JOB_KIND_FACTORY_RESET, NULL, NULL);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
factory_reset_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  GPtrArray *phones = wpc_phones_view_get_selected_phones (self);
  g_autofree char *list = describe_phones (phones);
  g_autofree char *secondary = NULL;
  GtkWidget *dialog;
  GtkWidget *button;

  dialog = gtk_message_dialog_new (parent_window (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_WARNING, GTK_BUTTONS_NONE,
                                   g_dngettext (GETTEXT_PACKAGE, "Factory Reset %u Phone?",
                                                "Factory Reset %u Phones?", phones->len),
                                   phones->len);
  /* Translators: %s lists the phones, one "MAC (number)" per line */
  secondary = g_strdup_printf (_("Every setting of these phones is erased and they restart with "
                                 "factory defaults. They will need to be provisioned again.\n\n%s"),
                               list);
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", secondary);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Factory Reset"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (button, "destructive-action");
  gtk_dialog_set_default_response (GTK_DIALOG (dialog), GTK_RESPONSE_CANCEL);
  gtk_widget_set_name (dialog, "factory-reset-dialog");
  g_object_set_data_full (G_OBJECT (dialog), "wpc-phones", phones, (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_factory_reset_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_items_dialog_apply (WpcWriteDialog *dialog,
                       WpcPhonesView  *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");
  g_autoptr(GArray) items = wpc_write_dialog_get_items (dialog);
  WpiJobKind kind = wpc_write_dialog_get_mode (dialog) == WPC_WRITE_DIALOG_READ
                    ? WPI_JOB_KIND_READ_ITEMS : WPI_JOB_KIND_WRITE_ITEMS;

  if (items == NULL)
    return;
  queue_for_selection (self, phones, kind, NULL, items);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
items_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  GPtrArray *phones = wpc_phones_view_get_selected_phones (self);
  g_autofree char *list = describe_phones (phones);
  WpcWriteDialogMode mode = g_str_equal (action_name, "phone.read-items")
                            ? WPC_WRITE_DIALOG_READ : WPC_WRITE_DIALOG_WRITE;
  WpcWriteDialog *dialog = wpc_write_dialog_new (parent_window (self), mode, list);

  g_object_set_data_full (G_OBJECT (dialog), "wpc-phones", phones, (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (dialog, "apply", G_CALLBACK (on_items_dialog_apply), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_profile_response (GtkDialog     *dialog,
                     int            response,
                     WpcPhonesView *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");
  GtkDropDown *choice = g_object_get_data (G_OBJECT (dialog), "wpc-choice");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      const char *profile = gtk_string_object_get_string (gtk_drop_down_get_selected_item (choice));
      queue_for_selection (self, phones, WPI_JOB_KIND_APPLY_PROFILE, profile, NULL);
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Bootstrapping needs a PIN choice, a handout and its slips: the window's PIN handout
 * view does that for the selection (win.bootstrap-selection). */
static void
bootstrap_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  if (!gtk_widget_activate_action (widget, "win.bootstrap-selection", NULL))
    g_warning ("No window to hand the bootstrap of the selection to");
}

static void
apply_profile_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) profiles = wpi_store_profile_list (wpi_service_get_store (self->service), &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GPtrArray *phones;
  g_autofree char *list = NULL;
  GtkWidget *dialog;
  GtkWidget *choice;
  GtkWidget *button;

  if (profiles == NULL)
    {
      show_message (self, GTK_MESSAGE_ERROR, error->message);
      return;
    }
  if (profiles->len == 0)
    {
      show_message (self, GTK_MESSAGE_INFO,
                    _("There are no profiles yet. Create one with “wpictl profile set”."));
      return;
    }
  for (guint i = 0; i < profiles->len; i++)
    gtk_string_list_append (names, ((WpiProfileRecord *) g_ptr_array_index (profiles, i))->name);

  phones = wpc_phones_view_get_selected_phones (self);
  list = describe_phones (phones);
  dialog = gtk_message_dialog_new (parent_window (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", _("Apply a Profile"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", list);
  choice = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (names)), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (choice), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Profile"), -1);
  gtk_widget_set_name (choice, "profile");
  gtk_box_append (GTK_BOX (gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (dialog))), choice);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Apply"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_set_name (dialog, "apply-profile-dialog");
  g_object_set_data (G_OBJECT (dialog), "wpc-choice", choice);
  g_object_set_data_full (G_OBJECT (dialog), "wpc-phones", phones, (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_profile_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_deploy_dialog_apply (WpcDeployDialog *dialog,
                        WpcPhonesView   *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");

  wpc_phones_view_deploy (self, phones, wpc_deploy_dialog_get_file (dialog),
                          wpc_deploy_dialog_get_file_type (dialog),
                          wpc_deploy_dialog_get_sw_version (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
deploy_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  GPtrArray *phones = wpc_phones_view_get_selected_phones (self);
  g_autofree char *list = describe_phones (phones);
  gboolean firmware = g_str_equal (action_name, "phone.deploy-firmware");
  WpcDeployDialog *dialog = wpc_deploy_dialog_new (parent_window (self), firmware, list);

  g_object_set_data_full (G_OBJECT (dialog), "wpc-phones", phones, (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (dialog, "apply", G_CALLBACK (on_deploy_dialog_apply), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_bulk_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  if (self->bulk != NULL)
    bulk_finish (self, TRUE);
}

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

static void
context_menu_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_popover_set_pointing_to (GTK_POPOVER (self->context_menu), NULL);
  gtk_popover_popup (GTK_POPOVER (self->context_menu));
}

static void
on_secondary_click (GtkGestureClick *gesture,
                    int              n_press,
                    double           x,
                    double           y,
                    WpcPhonesView   *self)
{
  GdkRectangle rect = { 0, 0, 1, 1 };
  double view_x = x;
  double view_y = y;

  gtk_widget_translate_coordinates (GTK_WIDGET (self->column_view), GTK_WIDGET (self), x, y, &view_x, &view_y);
  rect.x = (int) view_x;
  rect.y = (int) view_y;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->context_menu), &rect);
  gtk_popover_popup (GTK_POPOVER (self->context_menu));
}

/* Deployment --------------------------------------------------------------------- */

typedef struct {
  WpcPhonesView *self;
  GPtrArray     *phones;
  char          *name;
  char          *file_type;
  char          *sw_version;
} DeployData;

static void
deploy_data_free (DeployData *data)
{
  g_object_unref (data->self);
  g_ptr_array_unref (data->phones);
  g_free (data->name);
  g_free (data->file_type);
  g_free (data->sw_version);
  g_free (data);
}

/* The served name: what the service's /files/ handler accepts and a URL needs no
 * escaping for. */
static char *
served_file_name (GFile *file)
{
  g_autofree char *basename = g_file_get_basename (file);
  char *name = g_strdup (basename != NULL ? basename : "file");

  for (char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  if (name[0] == '.')
    name[0] = '_';
  return name;
}

static GArray *
deploy_items (WpcPhonesView  *self,
              DeployData     *data,
              GError        **error)
{
  WpiStore *store = wpi_service_get_store (self->service);
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  g_autofree char *address = wpi_store_setting_get (store, "service-address", NULL);
  g_autofree char *port = wpi_store_setting_get (store, "service-port", NULL);
  g_autofree char *url = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  if (address == NULL || port == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("The service has not listened yet, so there is no address for the file"));
      return NULL;
    }
  url = g_strdup_printf (strchr (address, ':') != NULL ? "https://[%s]:%s%s%s" : "https://%s:%s%s%s",
                         address, port, WPI_FILES_PATH, data->name);

  wpi_store_item_array_add (items, "file-https-base-url", FALSE, 0, url);
  wpi_store_item_array_add (items, "file-name", FALSE, 0, data->name);
  if (data->sw_version != NULL)
    {
      /* protocol.md §7.10: file-type APP as well, as the guide's own example sends */
      wpi_store_item_array_add (items, "file-type", FALSE, 0, "APP");
      wpi_store_item_array_add (items, "file-sw-type", FALSE, 0, "Siemens SIP");
      wpi_store_item_array_add (items, "file-sw-version", FALSE, 0, data->sw_version);
      wpi_store_item_array_add (items, "file-priority", FALSE, 0, "normal");
    }
  else
    wpi_store_item_array_add (items, "file-type", FALSE, 0, data->file_type);

  for (guint i = 0; i < items->len; i++)
    {
      WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

      if (!wpi_catalogue_validate (catalogue, item->name, FALSE, 0, item->value, error))
        return NULL;
    }
  return g_steal_pointer (&items);
}

/* The file is in DATA_DIR/files: queue the jobs that point the phones at it. */
static void
deploy_queue (DeployData *data)
{
  WpcPhonesView *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = NULL;

  if (self->service == NULL || (items = deploy_items (self, data, &error)) == NULL)
    {
      show_message (self, GTK_MESSAGE_ERROR,
                    error != NULL ? error->message : _("The provisioning service is not running"));
      deploy_data_free (data);
      return;
    }

  queue_for_selection (self, data->phones,
                       data->sw_version != NULL ? WPI_JOB_KIND_SOFTWARE_DEPLOYMENT : WPI_JOB_KIND_FILE_DEPLOYMENT,
                       NULL, items);
  deploy_data_free (data);
}

static void
on_deploy_copied (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DeployData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("Cannot copy the file for deployment: %s"), error->message);
          show_message (data->self, GTK_MESSAGE_ERROR, text);
        }
      deploy_data_free (data);
      return;
    }
  deploy_queue (data);
}

/**
 * wpc_phones_view_deploy:
 * @phones: (element-type WpiPhone): the phones
 * @file_type: (nullable): the file-type of a file deployment
 * @sw_version: (nullable): the firmware version; makes it a software deployment
 */
void
wpc_phones_view_deploy (WpcPhonesView *self,
                        GPtrArray     *phones,
                        GFile         *file,
                        const char    *file_type,
                        const char    *sw_version)
{
  g_autofree char *files_dir = NULL;
  g_autoptr(GFile) destination = NULL;
  DeployData *data;

  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (phones != NULL);
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (file_type != NULL || sw_version != NULL);

  if (self->service == NULL)
    {
      show_message (self, GTK_MESSAGE_ERROR, _("The provisioning service is not running"));
      return;
    }

  data = g_new0 (DeployData, 1);
  data->self = g_object_ref (self);
  data->phones = g_ptr_array_ref (phones);
  data->name = served_file_name (file);
  data->file_type = g_strdup (file_type);
  data->sw_version = g_strdup (sw_version);

  files_dir = g_build_filename (wpi_service_get_data_dir (self->service), "files", NULL);
  destination = g_file_new_build_filename (files_dir, data->name, NULL);
  if (g_file_equal (file, destination))
    {
      /* Already served: nothing to copy (a copy onto itself would fail) */
      deploy_queue (data);
      return;
    }
  g_file_copy_async (file, destination, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                     self->cancellable, NULL, NULL, on_deploy_copied, data);
}

/* Service ------------------------------------------------------------------------ */

static void
set_phones (WpcPhonesView *self,
            GListModel    *phones)
{
  if (self->phones != NULL)
    g_signal_handlers_disconnect_by_func (self->phones, update_count, self);
  g_set_object (&self->phones, phones);
  if (phones != NULL)
    g_signal_connect_object (phones, "items-changed", G_CALLBACK (update_count), self, G_CONNECT_SWAPPED);
  gtk_filter_list_model_set_model (self->filter_model, phones);
  update_count (self);
}

void
wpc_phones_view_set_service (WpcPhonesView *self,
                             WpiService    *service)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (service == NULL || WPI_IS_SERVICE (service));

  if (!g_set_object (&self->service, service))
    return;

  wpc_phone_details_set_service (self->details, service);
  set_phones (self, service != NULL ? wpi_service_get_phones (service) : NULL);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SERVICE]);
}

/**
 * wpc_phones_view_set_phones:
 * @phones: (nullable): a model of WpiPhone
 */
void
wpc_phones_view_set_phones (WpcPhonesView *self,
                            GListModel    *phones)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (phones == NULL || G_IS_LIST_MODEL (phones));

  wpc_phones_view_set_service (self, NULL);
  set_phones (self, phones);
}

void
wpc_phones_view_set_settings (WpcPhonesView *self,
                              GSettings     *settings)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (g_set_object (&self->settings, settings))
    {
      wpc_phone_details_set_settings (self->details, settings);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
    }
}

/* GObject ------------------------------------------------------------------------ */

static void
wpc_phones_view_map (GtkWidget *widget)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  GTK_WIDGET_CLASS (wpc_phones_view_parent_class)->map (widget);

  self->setting_widths = TRUE;
  set_column_widths (self);
  self->setting_widths = FALSE;
  refresh_last_contact (self);
  self->tick_source = g_timeout_add_seconds (LAST_CONTACT_REFRESH_SECONDS, refresh_last_contact, self);
}

static void
wpc_phones_view_unmap (GtkWidget *widget)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  g_clear_handle_id (&self->tick_source, g_source_remove);

  GTK_WIDGET_CLASS (wpc_phones_view_parent_class)->unmap (widget);
}

/* Measured and allocated by hand rather than by a GtkBinLayout: the context menu, a
 * popover, must be presented by its parent. */
static void
wpc_phones_view_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_widget_measure (self->box, orientation, for_size, minimum, natural, minimum_baseline, natural_baseline);
}

static void
wpc_phones_view_size_allocate (GtkWidget *widget,
                               int        width,
                               int        height,
                               int        baseline)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  gtk_widget_allocate (self->box, width, height, baseline, NULL);
  /* A popover's parent places it */
  if (self->context_menu != NULL)
    gtk_popover_present (GTK_POPOVER (self->context_menu));
}

static void
wpc_phones_view_dispose (GObject *object)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_pointer (&self->bulk, bulk_job_free);
  /* The column view's sorter changes as its columns go; nothing here needs to hear it */
  if (self->sort_model != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sort_model, self);
      gtk_sort_list_model_set_sorter (self->sort_model, NULL);
    }
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->search_source, g_source_remove);
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);
  if (self->context_menu != NULL)
    gtk_widget_unparent (GTK_WIDGET (self->context_menu));
  self->context_menu = NULL;

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_PHONES_VIEW);

  if (self->phones != NULL)
    g_signal_handlers_disconnect_by_func (self->phones, update_count, self);
  g_clear_object (&self->phones);
  g_clear_object (&self->selection);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->service);
  g_clear_object (&self->settings);
  g_clear_object (&self->search_filter);
  g_clear_pointer (&self->search, g_free);
  if (self->search_buffer != NULL)
    g_string_free (g_steal_pointer (&self->search_buffer), TRUE);
  g_clear_pointer (&self->last_contact_labels, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (wpc_phones_view_parent_class)->dispose (object);
}

static void
wpc_phones_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      g_value_set_object (value, self->service);
      break;
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->bulk != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_phones_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (object);

  switch (prop_id)
    {
    case PROP_SERVICE:
      wpc_phones_view_set_service (self, g_value_get_object (value));
      break;
    case PROP_SETTINGS:
      wpc_phones_view_set_settings (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_phones_view_class_init (WpcPhonesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_phones_view_dispose;
  object_class->get_property = wpc_phones_view_get_property;
  object_class->set_property = wpc_phones_view_set_property;

  widget_class->map = wpc_phones_view_map;
  widget_class->unmap = wpc_phones_view_unmap;
  widget_class->measure = wpc_phones_view_measure;
  widget_class->size_allocate = wpc_phones_view_size_allocate;

  properties[PROP_SERVICE] =
    g_param_spec_object ("service", NULL, NULL, WPI_TYPE_SERVICE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /** WpcPhonesView:busy: jobs are being queued (the progress bar shows) */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (WPC_TYPE_PHONE_DETAILS);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-phones-view.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, box);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, search_entry);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, count_label);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, message_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, message_label);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, progress_box);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, column_view);
  gtk_widget_class_bind_template_child_full (widget_class, "state_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_STATE]));
  gtk_widget_class_bind_template_child_full (widget_class, "mac_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_MAC]));
  gtk_widget_class_bind_template_child_full (widget_class, "number_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_NUMBER]));
  gtk_widget_class_bind_template_child_full (widget_class, "model_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_MODEL]));
  gtk_widget_class_bind_template_child_full (widget_class, "firmware_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_FIRMWARE]));
  gtk_widget_class_bind_template_child_full (widget_class, "ip_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_IP]));
  gtk_widget_class_bind_template_child_full (widget_class, "mode_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_MODE]));
  gtk_widget_class_bind_template_child_full (widget_class, "last_contact_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_LAST_CONTACT]));
  gtk_widget_class_bind_template_child_full (widget_class, "pending_jobs_column", FALSE,
                                             G_STRUCT_OFFSET (WpcPhonesView, columns[WPC_PHONES_COLUMN_PENDING_JOBS]));
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, details_stack);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, details_placeholder);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, details);
  gtk_widget_class_bind_template_child (widget_class, WpcPhonesView, phone_menu);
  gtk_widget_class_bind_template_callback (widget_class, on_message_bar_response);

  gtk_widget_class_install_action (widget_class, "phone.read-all", NULL, simple_job_action);
  gtk_widget_class_install_action (widget_class, "phone.contact-me", NULL, simple_job_action);
  gtk_widget_class_install_action (widget_class, "phone.restart", NULL, simple_job_action);
  gtk_widget_class_install_action (widget_class, "phone.read-items", NULL, items_action);
  gtk_widget_class_install_action (widget_class, "phone.write-items", NULL, items_action);
  gtk_widget_class_install_action (widget_class, "phone.factory-reset", NULL, factory_reset_action);
  gtk_widget_class_install_action (widget_class, "phone.apply-profile", NULL, apply_profile_action);
  gtk_widget_class_install_action (widget_class, "phone.bootstrap", NULL, bootstrap_action);
  gtk_widget_class_install_action (widget_class, "phone.deploy-file", NULL, deploy_action);
  gtk_widget_class_install_action (widget_class, "phone.deploy-firmware", NULL, deploy_action);
  gtk_widget_class_install_action (widget_class, "phone.cancel-bulk", NULL, cancel_bulk_action);
  gtk_widget_class_install_action (widget_class, "phone.find", NULL, find_action);
  gtk_widget_class_install_action (widget_class, "phone.context-menu", NULL, context_menu_action);

  gtk_widget_class_set_css_name (widget_class, "wpc-phones-view");
}

static void
wpc_phones_view_init (WpcPhonesView *self)
{
  GtkEventController *shortcuts;
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->last_contact_labels = g_hash_table_new (NULL, NULL);
  self->search_buffer = g_string_sized_new (256);
  setup_columns (self);

  g_signal_connect_object (self->selection, "selection-changed",
                           G_CALLBACK (on_selection_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sort_model, "items-changed",
                           G_CALLBACK (on_rows_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->search_entry, "changed",
                           G_CALLBACK (on_search_text_changed), self, G_CONNECT_SWAPPED);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self->column_view));

  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_set_scope (GTK_SHORTCUT_CONTROLLER (shortcuts), GTK_SHORTCUT_SCOPE_MANAGED);
  for (guint i = 0; i < G_N_ELEMENTS (view_shortcuts); i++)
    gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                          gtk_shortcut_new (gtk_shortcut_trigger_parse_string (view_shortcuts[i].trigger),
                                                            gtk_named_action_new (view_shortcuts[i].action)));
  gtk_widget_add_controller (GTK_WIDGET (self), shortcuts);

  self->context_menu = GTK_POPOVER_MENU (gtk_popover_menu_new_from_model (self->phone_menu));
  gtk_popover_set_has_arrow (GTK_POPOVER (self->context_menu), FALSE);
  gtk_widget_set_halign (GTK_WIDGET (self->context_menu), GTK_ALIGN_START);
  gtk_widget_set_parent (GTK_WIDGET (self->context_menu), GTK_WIDGET (self));
  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_secondary_click), self);
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), GTK_EVENT_CONTROLLER (click));

  update_count (self);
  update_details (self);
  update_actions (self);
}

GtkWidget *
wpc_phones_view_new (void)
{
  return g_object_new (WPC_TYPE_PHONES_VIEW, NULL);
}

/**
 * wpc_phones_view_get_service:
 *
 * Returns: (transfer none) (nullable): the service whose phones are shown
 */
WpiService *
wpc_phones_view_get_service (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return self->service;
}

/**
 * wpc_phones_view_get_selection:
 *
 * Returns: (transfer none): the rows as shown, filtered and sorted, with the selection
 */
GtkSelectionModel *
wpc_phones_view_get_selection (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}

/**
 * wpc_phones_view_get_column_view:
 *
 * Returns: (transfer none): the list
 */
GtkColumnView *
wpc_phones_view_get_column_view (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return self->column_view;
}

/**
 * wpc_phones_view_get_column:
 *
 * Returns: (transfer none): the column
 */
GtkColumnViewColumn *
wpc_phones_view_get_column (WpcPhonesView   *self,
                            WpcPhonesColumn  column)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  g_return_val_if_fail (column < WPC_PHONES_N_COLUMNS, NULL);
  return self->columns[column];
}

const char *
wpc_phones_view_get_search (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
}

/**
 * wpc_phones_view_set_search:
 *
 * Filters at once, without the entry's typing delay.
 */
void
wpc_phones_view_set_search (WpcPhonesView *self,
                            const char    *text)
{
  g_return_if_fail (WPC_IS_PHONES_VIEW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), text != NULL ? text : "");
  g_clear_handle_id (&self->search_source, g_source_remove);
  apply_search (self);
}

/**
 * wpc_phones_view_get_selected_phones:
 *
 * Returns: (transfer full) (element-type WpiPhone): the selected phones in list order
 */
GPtrArray *
wpc_phones_view_get_selected_phones (WpcPhonesView *self)
{
  g_autoptr(GtkBitset) selected = NULL;
  GPtrArray *phones;
  GtkBitsetIter iter;
  guint position;

  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), NULL);

  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  phones = g_ptr_array_new_full ((guint) gtk_bitset_get_size (selected), g_object_unref);
  for (gboolean more = gtk_bitset_iter_init_first (&iter, selected, &position);
       more;
       more = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (phones, g_list_model_get_item (G_LIST_MODEL (self->selection), position));
  return phones;
}

gboolean
wpc_phones_view_get_busy (WpcPhonesView *self)
{
  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), FALSE);
  return self->bulk != NULL;
}
