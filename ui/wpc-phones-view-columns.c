/* wpc-phones-view-columns.c: the Phones view's columns: cells, sorters, search
 *
 * The service's model only emits items-changed for a new phone; a phone that changes
 * notifies its properties, and each bound cell follows the one property it shows through
 * a notify handler. So nothing is rebuilt, re-sorted or re-filtered while phones talk.
 *
 * Sized for 10,000 phones on GTK 4.8 (tests/bench-phones-view.c): sorters and the
 * search read the phones' fields in C, columns have fixed widths, and the last-contact
 * tooltip is built only when asked for.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpc-cell-label.h"
#include "wpc-phone-format.h"
#include "wpc-phones-view-private.h"
#include "wpi-phone.h"

/* Column texts --------------------------------------------------------------------- */

/* Stored nick of the state and mode, which is what the format helpers take */
static const char *
state_nick (WpiPhone *phone)
{
  return wpi_phone_get_state_nick (phone);
}

static const char *
mode_nick (WpiPhone *phone)
{
  return wpi_phone_mode_to_string (wpi_phone_get_mode (phone));
}

/* Set in the phone details or with wpictl location (issue 11 §3) */
static const char *
location_of (WpiPhone *phone)
{
  return wpi_phone_get_record (phone)->location;
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
    case WPC_PHONES_COLUMN_LOCATION: return g_strdup (location_of (phone));
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
  [WPC_PHONES_COLUMN_LOCATION] = "location",
  [WPC_PHONES_COLUMN_FIRMWARE] = "firmware",
  [WPC_PHONES_COLUMN_IP] = "ip",
  [WPC_PHONES_COLUMN_MODE] = "mode",
  [WPC_PHONES_COLUMN_LAST_CONTACT] = "last-contact",
  [WPC_PHONES_COLUMN_PENDING_JOBS] = "pending-jobs",
};

/* Also the column's id in the settings (wpc-phones-view-layout.c) */
const char *
_wpc_phones_view_column_id (WpcPhonesColumn column)
{
  g_return_val_if_fail (column < WPC_PHONES_N_COLUMNS, NULL);
  return column_properties[column];
}

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
    case WPC_PHONES_COLUMN_LOCATION: return compare_text (location_of (pa), location_of (pb));
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
    case WPC_PHONES_COLUMN_STATE:
    case WPC_PHONES_COLUMN_MAC:
    case WPC_PHONES_COLUMN_NUMBER:
    case WPC_PHONES_COLUMN_MODEL:
    case WPC_PHONES_COLUMN_LOCATION:
    case WPC_PHONES_COLUMN_FIRMWARE:
    case WPC_PHONES_COLUMN_IP:
    case WPC_PHONES_COLUMN_MODE:
      /* Texts, ranks and addresses: compared in C (compare_phones) */
      return GTK_SORTER (gtk_custom_sorter_new (compare_phones, GINT_TO_POINTER (column), NULL));
    case WPC_PHONES_N_COLUMNS:
    default:
      g_return_val_if_reached (NULL);
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
    case WPC_PHONES_COLUMN_LOCATION: value = location_of (phone); break;
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

/* One pass over the fields per phone, no GValue, no allocation for ASCII: a
 * GtkAnyFilter of one GtkStringFilter per column took 300-600 ms per keystroke with
 * 10,000 phones. */
gboolean
_wpc_phones_view_match_search (gpointer item,
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
  [WPC_PHONES_COLUMN_MODEL] = 15,      /* "OpenStage 60 T"; longer ones ellipsized, with a tooltip */
  [WPC_PHONES_COLUMN_LOCATION] = 12,   /* "Room 2.14" */
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
  GtkWidget *label = wpc_cell_label_new ();

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1.0 : 0.0);
  gtk_widget_add_css_class (label, "numeric");
  return label;
}

static GtkWidget *
new_icon_cell (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *image = gtk_image_new ();
  GtkWidget *label = wpc_cell_label_new ();

  /* The word beside it says the same; the icon is for scanning a long list. */
  g_object_set (image, "accessible-role", GTK_ACCESSIBLE_ROLE_PRESENTATION, NULL);
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
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
      /* its tooltip is the full time, not the cut-off text */
      child = gtk_label_new (NULL);
      gtk_label_set_ellipsize (GTK_LABEL (child), PANGO_ELLIPSIZE_END);
      gtk_label_set_xalign (GTK_LABEL (child), 0.0);
      gtk_widget_add_css_class (child, "numeric");
      gtk_widget_set_has_tooltip (child, TRUE);
      g_signal_connect (child, "query-tooltip", G_CALLBACK (on_last_contact_tooltip), NULL);
      break;
    case WPC_PHONES_COLUMN_MAC:
    case WPC_PHONES_COLUMN_NUMBER:
    case WPC_PHONES_COLUMN_MODEL:
    case WPC_PHONES_COLUMN_LOCATION:
    case WPC_PHONES_COLUMN_FIRMWARE:
    case WPC_PHONES_COLUMN_IP:
      child = new_cell_label (FALSE);
      break;
    case WPC_PHONES_N_COLUMNS:
    default:
      g_return_if_reached ();
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
gboolean
_wpc_phones_view_refresh_last_contact (gpointer user_data)
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
void
_wpc_phones_view_set_column_widths (WpcPhonesView *self)
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
        _wpc_phones_view_set_column_width (self, i, width);
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

void
_wpc_phones_view_setup_columns (WpcPhonesView *self)
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
}
