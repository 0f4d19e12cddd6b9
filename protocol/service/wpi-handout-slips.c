/* wpi-handout-slips.c: the PIN handout's printed slips: page layout, one slip, cut marks
 * and the PDF, drawn with cairo and Pango (see wpi-handout.h) */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <cairo-pdf.h>
#include <pango/pangocairo.h>

#include "wpi-handout.h"

/* ---- Slips ------------------------------------------------------------------------ */

/* A slip needs about this much room at full size; smaller slips are drawn scaled. */
#define SLIP_MIN_WIDTH   230.0
/* 147 pt still gives five rows on A4 and on Letter */
#define SLIP_MIN_HEIGHT  147.0
#define SLIP_FULL_WIDTH  250.0
#define SLIP_FULL_HEIGHT 147.0
#define SLIP_PADDING     12.0
#define PAGE_MARGIN      28.0   /* about 10 mm, where most printers can print */
#define CUT_MARK_GAP     3.0

void
wpi_handout_paper_get_size (WpiHandoutPaper  paper,
                            double          *width,
                            double          *height)
{
  switch (paper)
    {
    case WPI_HANDOUT_PAPER_LETTER:
      *width = 612;
      *height = 792;
      break;
    case WPI_HANDOUT_PAPER_A4:
    default:
      *width = 595;
      *height = 842;
      break;
    }
}

void
wpi_handout_layout (WpiHandoutLayout *layout,
                    double            width,
                    double            height)
{
  double inner_width;
  double inner_height;

  g_return_if_fail (layout != NULL);

  width = MAX (width, 1.0);
  height = MAX (height, 1.0);
  layout->page_width = width;
  layout->page_height = height;
  layout->margin = MIN (PAGE_MARGIN, MIN (width, height) * 0.05);
  inner_width = width - 2 * layout->margin;
  inner_height = height - 2 * layout->margin;
  layout->columns = MAX (1, (guint) (inner_width / SLIP_MIN_WIDTH));
  layout->rows = MAX (1, (guint) (inner_height / SLIP_MIN_HEIGHT));
  layout->slip_width = inner_width / layout->columns;
  layout->slip_height = inner_height / layout->rows;
}

guint
wpi_handout_layout_get_slips_per_page (const WpiHandoutLayout *layout)
{
  return layout->columns * layout->rows;
}

guint
wpi_handout_layout_get_n_pages (const WpiHandoutLayout *layout,
                                guint                   n_entries)
{
  guint per_page = wpi_handout_layout_get_slips_per_page (layout);

  return (n_entries + per_page - 1) / per_page;
}

void
wpi_handout_layout_get_slip_origin (const WpiHandoutLayout *layout,
                                    guint                   slot,
                                    double                 *x,
                                    double                 *y)
{
  /* Row by row, as one reads */
  *x = layout->margin + (slot % layout->columns) * layout->slip_width;
  *y = layout->margin + (slot / layout->columns % layout->rows) * layout->slip_height;
}

guint
wpi_handout_get_n_pages (guint  n_entries,
                         double width,
                         double height)
{
  WpiHandoutLayout layout;

  wpi_handout_layout (&layout, width, height);
  return wpi_handout_layout_get_n_pages (&layout, n_entries);
}

char *
wpi_handout_format_pin (const char *pin)
{
  g_return_val_if_fail (pin != NULL, NULL);

  return wpi_handout_group_pin (pin);
}

/* Text layouts whose sizes are in cairo user units (points): the default resolution
 * of 96 dpi would scale every font by 4/3. */
static PangoLayout *
new_text (cairo_t    *cr,
          const char *family,
          double      size,
          gboolean    bold)
{
  PangoContext *context = pango_cairo_create_context (cr);
  PangoFontDescription *font = pango_font_description_new ();
  cairo_font_options_t *options = cairo_font_options_create ();
  PangoLayout *layout;

  /* Unhinted metrics: the same widths on screen, in the PDF and on paper */
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_NONE);
  pango_cairo_context_set_font_options (context, options);
  cairo_font_options_destroy (options);
  pango_cairo_context_set_resolution (context, 72);

  layout = pango_layout_new (context);
  pango_font_description_set_family (font, family);
  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  pango_font_description_set_weight (font, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  g_object_unref (context);

  return layout;
}

/* A slip is laid out first and drawn after, so that content taller than the slip (a
 * long model name or location wraps) is shrunk to fit rather than cut off. */
typedef struct {
  cairo_t    *cr;
  GPtrArray  *texts;   /* SlipText */
  double      inner;   /* the width inside the padding */
  double      y;       /* where the next text goes */
} Slip;

typedef struct {
  PangoLayout *layout;
  double       x;
  double       y;
} SlipText;

static void
slip_text_free (gpointer data)
{
  SlipText *text = data;

  g_object_unref (text->layout);
  g_free (text);
}

/* Adds text across the slip, wrapped on up to max_lines lines (1: ellipsized instead);
 * returns its layout, whose height is the caller's to add to slip->y. */
static PangoLayout *
slip_add (Slip           *slip,
          const char     *text,
          double          size,
          gboolean        bold,
          int             max_lines,
          PangoAlignment  alignment)
{
  SlipText *item = g_new0 (SlipText, 1);

  item->layout = new_text (slip->cr, "Sans", size, bold);
  item->x = SLIP_PADDING;
  item->y = slip->y;
  pango_layout_set_text (item->layout, text, -1);
  pango_layout_set_width (item->layout, (int) (slip->inner * PANGO_SCALE));
  pango_layout_set_ellipsize (item->layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_wrap (item->layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_height (item->layout, -MAX (max_lines, 1));
  pango_layout_set_alignment (item->layout, alignment);
  g_ptr_array_add (slip->texts, item);

  return item->layout;
}

static double
layout_height (PangoLayout *layout)
{
  int height;

  pango_layout_get_size (layout, NULL, &height);
  return (double) height / PANGO_SCALE;
}

/* Adds a paragraph across the slip and moves below it. */
static void
slip_add_line (Slip       *slip,
               const char *text,
               double      size,
               gboolean    bold,
               int         max_lines)
{
  slip->y += layout_height (slip_add (slip, text, size, bold, max_lines, PANGO_ALIGN_LEFT));
}

/* The MAC, then the model, number and location, each when known; a long model name or
 * location wraps rather than being cut short. */
static void
add_identity (Slip                  *slip,
              const WpiHandoutEntry *entry)
{
  g_autofree char *title = g_strdup_printf (_("MAC %s"), entry->mac);

  slip_add_line (slip, title, 11, TRUE, 1);
  if (entry->device_type != NULL && *entry->device_type != '\0')
    slip_add_line (slip, entry->device_type, 9, FALSE, 2);
  if (entry->e164 != NULL && *entry->e164 != '\0')
    {
      g_autofree char *number = g_strdup_printf (_("Number %s"), entry->e164);

      slip_add_line (slip, number, 9, FALSE, 1);
    }
  if (entry->location != NULL && *entry->location != '\0')
    {
      g_autofree char *location = g_strdup_printf (_("Location %s"), entry->location);

      slip_add_line (slip, location, 9, FALSE, 3);
    }
}

/* "PIN" with the date it was issued on the same line, then the PIN as large as fits: a
 * 20-digit PIN needs a smaller size than a 12-digit one. */
static void
add_pin (Slip                  *slip,
         const WpiHandoutEntry *entry)
{
  g_autofree char *grouped = wpi_handout_format_pin (entry->pin);
  g_autoptr(GDateTime) issued = NULL;
  SlipText *item;

  if (entry->issued_us > 0)
    issued = g_date_time_new_from_unix_local (entry->issued_us / G_USEC_PER_SEC);
  if (issued != NULL)
    {
      g_autofree char *date = g_date_time_format (issued, "%Y-%m-%d %H:%M");
      /* Translators: on a PIN slip, %s is the date and time the PIN was made */
      g_autofree char *text = g_strdup_printf (_("Issued %s"), date);

      slip_add (slip, text, 8, FALSE, 1, PANGO_ALIGN_RIGHT);
    }
  slip->y += layout_height (slip_add (slip, _("PIN"), 8, FALSE, 1, PANGO_ALIGN_LEFT));

  item = g_new0 (SlipText, 1);
  item->x = SLIP_PADDING;
  item->y = slip->y;
  for (double size = 24; ; size -= 1)
    {
      int width;

      g_clear_object (&item->layout);
      item->layout = new_text (slip->cr, "Monospace", size, TRUE);
      pango_layout_set_text (item->layout, grouped, -1);
      pango_layout_get_size (item->layout, &width, NULL);
      if ((double) width / PANGO_SCALE <= slip->inner || size <= 8)
        break;
    }
  g_ptr_array_add (slip->texts, item);
  explicit_bzero (grouped, strlen (grouped));
  slip->y += layout_height (item->layout) + 4;
}

/* What to type, how many tries the phone allows (max-pin-retries, D9) and what to do
 * when they are used up: the phone cannot go on with this PIN, only with a new one. */
static void
add_pin_steps (Slip                  *slip,
               const WpiHandoutEntry *entry)
{
  g_autofree char *tries = NULL;

  slip_add_line (slip, _("When the phone asks for the PIN, type all its digits and press OK. "
                         "The phone restarts in Secure Mode."), 8, FALSE, 2);
  slip->y += 2;
  if (entry->max_retries > 0)
    tries = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                          "The phone allows %u try. If it refuses the PIN, this slip "
                                          "no longer works: ask the console’s administrator for a new slip.",
                                          "The phone allows %u tries. If it still refuses the PIN after "
                                          "them, this slip no longer works: ask the console’s "
                                          "administrator for a new slip.",
                                          entry->max_retries),
                             entry->max_retries);
  else
    tries = g_strdup (_("If the phone refuses the PIN, this slip no longer works: ask the console’s "
                        "administrator for a new slip."));
  slip_add_line (slip, tries, 8, FALSE, 3);
}

void
wpi_handout_draw_slip (cairo_t               *cr,
                       const WpiHandoutEntry *entry,
                       double                 x,
                       double                 y,
                       double                 w,
                       double                 h)
{
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (slip_text_free);
  Slip slip;
  double scale;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (entry != NULL);

  cairo_save (cr);
  cairo_translate (cr, x, y);

  /* Content laid out for a full-size slip, shrunk into a smaller one */
  scale = MIN (1.0, MIN (w / SLIP_FULL_WIDTH, h / SLIP_FULL_HEIGHT));
  cairo_scale (cr, scale, scale);
  w /= scale;
  h /= scale;
  slip = (Slip) { cr, texts, w - 2 * SLIP_PADDING, SLIP_PADDING };

  add_identity (&slip, entry);
  slip.y += 4;
  if (entry->pin != NULL)
    {
      add_pin (&slip, entry);
      add_pin_steps (&slip, entry);
    }
  else
    {
      slip_add_line (&slip, _("No PIN needed"), 16, TRUE, 1);
      slip.y += 4;
      slip_add_line (&slip, _("Leave the phone switched on and connected: it receives its "
                              "certificate from the console and restarts in Secure Mode."), 8, FALSE, 3);
    }

  /* Too tall (wrapped lines): all of it smaller rather than into the next slip */
  if (slip.y + SLIP_PADDING > h)
    cairo_scale (cr, h / (slip.y + SLIP_PADDING), h / (slip.y + SLIP_PADDING));
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = 0; i < texts->len; i++)
    {
      const SlipText *text = g_ptr_array_index (texts, i);

      cairo_move_to (cr, text->x, text->y);
      pango_cairo_show_layout (cr, text->layout);
    }

  cairo_restore (cr);
}

static void
draw_cut_marks (cairo_t                *cr,
                const WpiHandoutLayout *layout)
{
  double left = layout->margin;
  double top = layout->margin;
  double right = left + layout->columns * layout->slip_width;
  double bottom = top + layout->rows * layout->slip_height;
  double mark = MAX (layout->margin - 2 * CUT_MARK_GAP, 0);
  const double dash[] = { 3, 3 };

  cairo_save (cr);
  cairo_set_line_width (cr, 0.5);

  /* Solid marks in the margins where every cut starts and ends */
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (guint i = 0; i <= layout->columns && mark > 0; i++)
    {
      double x = left + i * layout->slip_width;

      cairo_move_to (cr, x, top - CUT_MARK_GAP);
      cairo_line_to (cr, x, top - CUT_MARK_GAP - mark);
      cairo_move_to (cr, x, bottom + CUT_MARK_GAP);
      cairo_line_to (cr, x, bottom + CUT_MARK_GAP + mark);
    }
  for (guint i = 0; i <= layout->rows && mark > 0; i++)
    {
      double y = top + i * layout->slip_height;

      cairo_move_to (cr, left - CUT_MARK_GAP, y);
      cairo_line_to (cr, left - CUT_MARK_GAP - mark, y);
      cairo_move_to (cr, right + CUT_MARK_GAP, y);
      cairo_line_to (cr, right + CUT_MARK_GAP + mark, y);
    }
  cairo_stroke (cr);

  /* Light dashed lines along the cuts */
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_dash (cr, dash, G_N_ELEMENTS (dash), 0);
  for (guint i = 0; i <= layout->columns; i++)
    {
      cairo_move_to (cr, left + i * layout->slip_width, top);
      cairo_line_to (cr, left + i * layout->slip_width, bottom);
    }
  for (guint i = 0; i <= layout->rows; i++)
    {
      cairo_move_to (cr, left, top + i * layout->slip_height);
      cairo_line_to (cr, right, top + i * layout->slip_height);
    }
  cairo_stroke (cr);

  cairo_restore (cr);
}

void
wpi_handout_draw_page (cairo_t   *cr,
                       double     width,
                       double     height,
                       GPtrArray *entries,
                       guint      page)
{
  WpiHandoutLayout layout;
  guint per_page;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (entries != NULL);

  wpi_handout_layout (&layout, width, height);
  per_page = wpi_handout_layout_get_slips_per_page (&layout);
  if ((guint64) page * per_page >= entries->len)
    return;

  draw_cut_marks (cr, &layout);
  for (guint slot = 0; slot < per_page && page * per_page + slot < entries->len; slot++)
    {
      double x, y;

      wpi_handout_layout_get_slip_origin (&layout, slot, &x, &y);
      wpi_handout_draw_slip (cr, g_ptr_array_index (entries, page * per_page + slot),
                             x, y, layout.slip_width, layout.slip_height);
    }
}

static cairo_status_t
append_to_bytes (void                *closure,
                 const unsigned char *data,
                 unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static void
wipe_bytes (GByteArray *bytes)
{
  explicit_bzero (bytes->data, bytes->len);
  g_byte_array_unref (bytes);
}

gboolean
wpi_handout_write_pdf (GPtrArray        *entries,
                       const char       *path,
                       WpiHandoutPaper   paper,
                       GError          **error)
{
  GByteArray *pdf;
  cairo_surface_t *surface;
  cairo_t *cr;
  cairo_status_t status;
  double width, height;
  guint n_pages;
  gboolean ok;

  g_return_val_if_fail (entries != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (entries->len == 0)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID,
                   "The handout holds no phones");
      return FALSE;
    }

  wpi_handout_paper_get_size (paper, &width, &height);
  n_pages = wpi_handout_get_n_pages (entries->len, width, height);

  /* Made in memory and written at once, so that the file is complete or absent */
  pdf = g_byte_array_new ();
  surface = cairo_pdf_surface_create_for_stream (append_to_bytes, pdf, width, height);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE, _("PIN handout"));
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Workpoint Console");
  cr = cairo_create (surface);
  for (guint page = 0; page < n_pages; page++)
    {
      wpi_handout_draw_page (cr, width, height, entries, page);
      cairo_show_page (cr);
    }
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_DRAW,
                   "Could not make the PDF: %s", cairo_status_to_string (status));
      wipe_bytes (pdf);
      return FALSE;
    }

  ok = g_file_set_contents_full (path, (const char *) pdf->data, pdf->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error);
  wipe_bytes (pdf);
  return ok;
}
