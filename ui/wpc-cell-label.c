/* wpc-cell-label.c: table cells that say what they cut off and what they leave empty
 *
 * A cell of a narrow column ends in "…": its tooltip shows the whole text (issue 12 §4,
 * as Files and Settings do). An empty cell would be read out by a screen reader as its
 * type ("GtkLabel", GTK 4.8 falls back to it for a nameless accessible): it gets a name
 * that says what is missing instead (issue 12 §5).
 */
#include "config.h"

#include "wpc-cell-label.h"

#define EXTRA_TOOLTIP_KEY "wpc-cell-tooltip"

gboolean
wpc_cell_label_is_ellipsized (GtkLabel *label)
{
  g_return_val_if_fail (GTK_IS_LABEL (label), FALSE);

  return gtk_widget_get_width (GTK_WIDGET (label)) > 0 &&
         pango_layout_is_ellipsized (gtk_label_get_layout (label));
}

/* The cut-off text in full, then what the cell says besides (its own tooltip);
 * NULL when there is nothing to show. */
char *
wpc_cell_label_dup_tooltip (GtkLabel *label)
{
  const char *extra;

  g_return_val_if_fail (GTK_IS_LABEL (label), NULL);

  extra = g_object_get_data (G_OBJECT (label), EXTRA_TOOLTIP_KEY);
  if (wpc_cell_label_is_ellipsized (label))
    {
      const char *text = gtk_label_get_text (label);

      if (extra != NULL && g_strcmp0 (extra, text) != 0)
        return g_strdup_printf ("%s\n%s", text, extra);
      return g_strdup (text);
    }
  return g_strdup (extra);
}

static gboolean
on_query_tooltip (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard_mode,
                  GtkTooltip *tooltip)
{
  g_autofree char *text = wpc_cell_label_dup_tooltip (GTK_LABEL (widget));

  (void) x;
  (void) y;
  (void) keyboard_mode;

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

GtkWidget *
wpc_cell_label_new (void)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_has_tooltip (label, TRUE);
  g_signal_connect (label, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  return label;
}

/* tooltip: what more the cell has to say (NULL: nothing); empty_name: what a screen
 * reader reads for an empty cell, e.g. "No location". */
void
wpc_cell_label_set (GtkLabel   *label,
                    const char *text,
                    const char *tooltip,
                    const char *empty_name)
{
  g_return_if_fail (GTK_IS_LABEL (label));

  gtk_label_set_text (label, text != NULL ? text : "");
  g_object_set_data_full (G_OBJECT (label), EXTRA_TOOLTIP_KEY, g_strdup (tooltip), g_free);
  /* GtkLabel names itself by its text when the text changes; said again here, since a
   * cell bound to the same text again keeps the name it had for an empty one */
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  (text == NULL || *text == '\0') && empty_name != NULL ? empty_name
                                                                                        : gtk_label_get_text (label),
                                  -1);
}
