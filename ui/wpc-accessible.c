/* wpc-accessible.c: accessible names GTK 4.8 gets wrong
 *
 * GTK 4.8 names a button with a mnemonic label ("_Generate") by its label property, raw
 * underscore included, followed by the text of the label it is labelled by: a screen
 * reader says "_Generate Generate". The label relation alone gives the right name.
 */
#include "config.h"

#include "wpc-accessible.h"

static gboolean
has_mnemonic_label (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget))
    return gtk_button_get_use_underline (GTK_BUTTON (widget)) && gtk_button_get_label (GTK_BUTTON (widget)) != NULL;
  if (GTK_IS_CHECK_BUTTON (widget))
    return gtk_check_button_get_use_underline (GTK_CHECK_BUTTON (widget)) &&
           gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)) != NULL;
  return FALSE;
}

/**
 * wpc_accessible_fix_mnemonic_names:
 * @root: a widget whose descendants (and itself) are built, e.g. after
 *   gtk_widget_init_template()
 *
 * Leaves buttons (and check buttons) with a mnemonic label named by that label only.
 * Give such a button no accessible label of its own in a template: this removes it.
 */
void
wpc_accessible_fix_mnemonic_names (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (has_mnemonic_label (root))
    gtk_accessible_reset_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL);
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    wpc_accessible_fix_mnemonic_names (child);
}
