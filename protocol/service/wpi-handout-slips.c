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
#define SLIP_MIN_HEIGHT  140.0
#define SLIP_FULL_WIDTH  250.0
#define SLIP_FULL_HEIGHT 135.0
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
  GString *out;
  gsize length;

  g_return_val_if_fail (pin != NULL, NULL);

  length = strlen (pin);
  out = g_string_sized_new (length + length / 3 + 1);
  for (gsize i = 0; i < length; i++)
    {
      if (i > 0 && (length - i) % 3 == 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, pin[i]);
    }
  return g_string_free (out, FALSE);
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

/* Draws one line of text at x, y within width (ellipsized); returns its height. */
static double
draw_line (cairo_t     *cr,
           const char  *text,
           const char  *family,
           double       size,
           gboolean     bold,
           double       x,
           double       y,
           double       width,
           PangoAlignment alignment)
{
  g_autoptr(PangoLayout) layout = new_text (cr, family, size, bold);
  int text_height;

  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_alignment (layout, alignment);
  pango_layout_get_size (layout, NULL, &text_height);

  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);

  return (double) text_height / PANGO_SCALE;
}

/* The MAC in full on the left of the first line, the model in what is left of it;
 * returns the height used. */
static double
draw_title (cairo_t               *cr,
            const WpiHandoutEntry *entry,
            double                 y,
            double                 inner)
{
  g_autofree char *title = g_strdup_printf (_("MAC %s"), entry->mac);
  g_autoptr(PangoLayout) title_layout = new_text (cr, "Sans", 11, TRUE);
  double title_width;
  int width;
  int height;

  pango_layout_set_text (title_layout, title, -1);
  pango_layout_get_size (title_layout, &width, &height);
  title_width = (double) width / PANGO_SCALE;
  cairo_move_to (cr, SLIP_PADDING, y);
  pango_cairo_show_layout (cr, title_layout);
  if (entry->device_type != NULL && *entry->device_type != '\0' && inner - title_width > 24)
    draw_line (cr, entry->device_type, "Sans", 9, FALSE, SLIP_PADDING + title_width + 8,
               y + 1.5, inner - title_width - 8, PANGO_ALIGN_RIGHT);

  return (double) height / PANGO_SCALE;
}

/* The number and the location, each when known; returns the height used. */
static double
draw_details (cairo_t               *cr,
              const WpiHandoutEntry *entry,
              double                 y,
              double                 inner)
{
  double used = 0;

  if (entry->e164 != NULL && *entry->e164 != '\0')
    {
      g_autofree char *number = g_strdup_printf (_("Number %s"), entry->e164);

      used += draw_line (cr, number, "Sans", 9, FALSE, SLIP_PADDING, y + used, inner, PANGO_ALIGN_LEFT);
    }
  if (entry->location != NULL && *entry->location != '\0')
    {
      g_autofree char *location = g_strdup_printf (_("Location %s"), entry->location);

      used += draw_line (cr, location, "Sans", 9, FALSE, SLIP_PADDING, y + used, inner, PANGO_ALIGN_LEFT);
    }

  return used;
}

/* The PIN as large as fits: a 20-digit PIN needs a smaller size than a 12-digit one.
 * Returns the height used. */
static double
draw_pin (cairo_t    *cr,
          const char *pin,
          double      y,
          double      inner)
{
  g_autofree char *grouped = wpi_handout_format_pin (pin);
  g_autoptr(PangoLayout) pin_layout = NULL;
  double used;
  int pin_width;
  int pin_height;

  used = draw_line (cr, _("PIN"), "Sans", 8, FALSE, SLIP_PADDING, y, inner, PANGO_ALIGN_LEFT);
  for (double size = 24; ; size -= 1)
    {
      g_clear_object (&pin_layout);
      pin_layout = new_text (cr, "Monospace", size, TRUE);
      pango_layout_set_text (pin_layout, grouped, -1);
      pango_layout_get_size (pin_layout, &pin_width, &pin_height);
      if ((double) pin_width / PANGO_SCALE <= inner || size <= 8)
        break;
    }
  cairo_move_to (cr, SLIP_PADDING, y + used);
  pango_cairo_show_layout (cr, pin_layout);
  explicit_bzero (grouped, strlen (grouped));

  return used + (double) pin_height / PANGO_SCALE + 4;
}

void
wpi_handout_draw_slip (cairo_t               *cr,
                       const WpiHandoutEntry *entry,
                       double                 x,
                       double                 y,
                       double                 w,
                       double                 h)
{
  double scale;
  double inner;
  double line_y;
  const char *steps[3];

  g_return_if_fail (cr != NULL);
  g_return_if_fail (entry != NULL);

  cairo_save (cr);
  cairo_translate (cr, x, y);

  /* Content laid out for a full-size slip, shrunk into a smaller one */
  scale = MIN (1.0, MIN (w / SLIP_FULL_WIDTH, h / SLIP_FULL_HEIGHT));
  cairo_scale (cr, scale, scale);
  w /= scale;
  h /= scale;
  inner = w - 2 * SLIP_PADDING;
  line_y = SLIP_PADDING;

  cairo_set_source_rgb (cr, 0, 0, 0);

  line_y += draw_title (cr, entry, line_y, inner);
  line_y += draw_details (cr, entry, line_y, inner);
  line_y += 4;

  if (entry->pin != NULL)
    {
      line_y += draw_pin (cr, entry->pin, line_y, inner);

      steps[0] = _("1. Wait until the phone asks for the PIN.");
      steps[1] = _("2. Type the PIN shown above, then press OK.");
      steps[2] = _("3. The phone restarts in Secure Mode.");
    }
  else
    {
      line_y += draw_line (cr, _("No PIN needed"), "Sans", 16, TRUE, SLIP_PADDING, line_y, inner,
                           PANGO_ALIGN_LEFT) + 4;

      steps[0] = _("1. Leave the phone switched on and connected.");
      steps[1] = _("2. It receives its certificate from the console.");
      steps[2] = _("3. The phone restarts in Secure Mode.");
    }

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    line_y += draw_line (cr, steps[i], "Sans", 8, FALSE, SLIP_PADDING, line_y, inner, PANGO_ALIGN_LEFT);

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
