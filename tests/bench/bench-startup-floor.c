/* bench-startup-floor.c: the start-up floor for bench-startup
 *
 * The least a libadwaita application can do before its first frame: an AdwApplication whose
 * window holds a header bar and a label, reporting its first painted frame through the
 * console's own probe (ui/wpc-first-frame.c). It accepts and ignores
 * the console's options, so that bench-startup starts it exactly as it starts the console.
 */
#include <adwaita.h>

#include "wpc-first-frame.h"

static void
on_activate (GApplication *application,
             gpointer      user_data)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (application));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), gtk_label_new ("Workpoint Console"));
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 640);
  wpc_first_frame_report (GTK_WINDOW (window));
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) application =
    adw_application_new ("org.workpoint.BenchStartupFloor", G_APPLICATION_NON_UNIQUE);

  g_signal_connect (application, "activate", G_CALLBACK (on_activate), NULL);
  /* The console's options (--data-dir DIR, --port=N, ...) are not this program's. */
  return g_application_run (G_APPLICATION (application), 1, argv);
}
