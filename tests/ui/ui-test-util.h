/* ui-test-util.h: what the widget tests share: finding widgets, reading what they show,
 * waiting on the main loop, pressing shortcuts and saving screenshots
 * (WPC_SCREENSHOT_DIR). GLib-only helpers are in tests/util/test-util.h.
 */
#pragma once

#include <adwaita.h>
#include <gtk/gtk.h>

#include "wpc-application.h"
#include "wpc-window.h"
#include "wpi-service-host.h"
#include "test-util.h"

G_BEGIN_DECLS

/* gtk_test_init(), with animations off: view changes cross-fade, and screenshots should
 * show the view, not the fade. */
void            ui_test_init              (int         *argc,
                                           char      ***argv);

/* Settings of the console's schema in a memory backend, nothing shared between tests */
GSettings      *ui_test_memory_settings   (void);
/* The console as the tests run it: not unique, its resources, these settings;
 * data_dir NULL unless it opens its own service there. */
WpcApplication *ui_test_application_new   (GSettings   *settings,
                                           const char  *data_dir);

/* The console as the window tests run it: its service (a WpiServiceHost, not started)
 * in a temporary directory of its own on free loopback ports, so that the tests neither
 * touch the user's data nor need port 18443; settings in memory, bound to loopback (the
 * empty state shows the same URL on every machine), with a window of the given size. */
typedef struct {
  char           *data_dir;
  WpiServiceHost *service;
  GSettings      *settings;
  WpcApplication *application;
} UiTestConsole;

void            ui_test_console_set_up    (UiTestConsole    *console,
                                           const char       *prefix,
                                           int               window_width,
                                           int               window_height);
void            ui_test_console_tear_down (UiTestConsole    *console);

/* What ui_test_run_application() runs in the application's window */
typedef void (*UiTestWindowFunc) (GtkWindow *window,
                                  gpointer   data);
/* Runs the application (g_application_run, argv { program }); once it has activated and
 * its window is mapped, calls func (window, data), then destroys the window unless func
 * did, which ends the run. Fails the test unless the run returns 0. */
void            ui_test_run_application   (WpcApplication   *application,
                                           const char       *program,
                                           UiTestWindowFunc  func,
                                           gpointer          data);

/* What ui_test_console_run() runs in the console's window */
typedef void (*UiTestConsoleFunc) (gpointer data);
/* Runs the console's application as ui_test_run_application() does; in its window (a
 * WpcWindow with the console's settings) sets *window, calls func (data), then clears
 * *window (at once, should func destroy the window). */
void            ui_test_console_run       (UiTestConsole    *console,
                                           const char       *program,
                                           WpcWindow       **window,
                                           UiTestConsoleFunc func,
                                           gpointer          data);

/* TRUE when the widget is mapped and has a size: a TestUtilCondition */
gboolean   ui_test_widget_is_mapped_and_allocated (gpointer     widget);
/* Waits until the text of the labels a user sees under root (ui_test_shown_text) holds
 * part; fails the test, naming what, after timeout_ms. */
void       ui_test_wait_for_shown_text   (GtkWidget   *root,
                                          const char  *part,
                                          guint        timeout_ms,
                                          const char  *what);
/* The widget and every ancestor visible and child-visible */
gboolean   ui_test_is_shown              (GtkWidget   *widget);
/* The text of every label under root that a user would see, one per line */
char      *ui_test_shown_text            (GtkWidget   *root);
/* The text of every label under root, shown or hidden, one per line */
char      *ui_test_label_text            (GtkWidget   *root);

/* The first widget under root (root included, depth first) of type and, unless NULL,
 * with that widget name; NULL when there is none. */
GtkWidget *ui_test_find_widget           (GtkWidget   *root,
                                          GType        type,
                                          const char  *name);
/* The same, failing the test when there is none */
GtkWidget *ui_test_find_named            (GtkWidget   *root,
                                          GType        type,
                                          const char  *name);
/* Every such widget, in the same order, appended to found */
void       ui_test_find_all              (GtkWidget   *root,
                                          GType        type,
                                          const char  *name,
                                          GPtrArray   *found);
/* The first GtkButton under root whose label is label */
GtkWidget *ui_test_find_button_with_label (GtkWidget  *root,
                                          const char  *label);
/* The first GtkButton under root for the action ("phone.restart"); fails the test when
 * there is none */
GtkWidget *ui_test_find_button_for_action (GtkWidget  *root,
                                          const char  *action);
/* A toplevel window (a dialog) of type and, unless NULL, that widget name, or NULL */
GtkWindow *ui_test_find_toplevel         (GType        type,
                                          const char  *name);
/* Waits until such a toplevel is mapped (and returns it), or until none is left. */
GtkWindow *ui_test_wait_for_toplevel     (GType        type,
                                          const char  *name,
                                          guint        timeout_ms);
void       ui_test_wait_for_toplevel_gone (GType       type,
                                          const char  *name,
                                          guint        timeout_ms);

/* Clicks the dialog's suggested action (its OK button) in its title bar, failing the
 * test when there is none or it is insensitive */
void       ui_test_click_suggested       (GtkWindow   *dialog);

/* The shortcuts among the widget's own controllers, as GTK writes their triggers
 * ("<Control>f"), in the order GTK tries them */
GStrv      ui_test_list_shortcuts        (GtkWidget   *widget);
/* Activates the shortcut for accelerator ("<Control>f") among the widget's own
 * controllers, as the key press would; FALSE when it has none for it. */
gboolean   ui_test_activate_shortcut     (GtkWidget   *widget,
                                          const char  *accelerator);

/* Waits for the widget's next frame to be painted (a widget paintable has nothing to
 * show before the first). */
void       ui_test_wait_for_paint        (GtkWidget   *widget,
                                          guint        timeout_ms);
/* Waits until the last toast shown from source's overlay (wpc_toast_get_last()) has a
 * title that contains part; returns that toast (borrowed). */
AdwToast  *ui_test_wait_for_toast        (GtkWidget   *source,
                                          const char  *part,
                                          guint        timeout_ms,
                                          const char  *what);
/* With WPC_SCREENSHOT_DIR set, saves the widget there as name (a PNG) for review. */
void       ui_test_save_screenshot       (GtkWidget   *widget,
                                          const char  *name);

/* The same with a popover that is open over the widget (a native of its own, which the
 * widget's snapshot leaves out) drawn where it is. */
void       ui_test_save_screenshot_with_popover (GtkWidget  *widget,
                                                 GtkWidget  *popover,
                                                 const char *name);

/* Asserts that the last toast shown from widget (wpc_toast_get_last) has this title and
 * button label (NULL: no button) and was not asserted before: a toast left from an
 * earlier step never passes for a later one. */
void       ui_test_assert_toast          (GtkWidget   *widget,
                                          const char  *title,
                                          const char  *button_label);

/* Saves the window as NAME-1024x600-light.png, -dark.png and the same at 1920x1080 (the
 * smallest screen and a large one, issue 12 §5), then gives the style back to the desktop */
void       ui_test_save_screenshots_at_sizes (GtkWindow  *window,
                                              const char *name);

/* Saves the widget as NAME-light.png and NAME-dark.png (a dialog: its size is its own) */
void       ui_test_save_screenshots_light_dark (GtkWidget  *widget,
                                                const char *name);

/* Answers an AdwMessageDialog as a click on the response's button does: the response,
 * then the dialog closes */
void       ui_test_respond               (GtkWindow   *message_dialog,
                                          const char  *response);
/* The widget hidden: a TestUtilCondition */
gboolean   ui_test_widget_is_hidden      (gpointer     widget);
/* Presents the window and waits until it is mapped and has a size */
void       ui_test_present               (GtkWindow   *window);

G_END_DECLS
