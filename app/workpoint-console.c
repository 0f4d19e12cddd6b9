/* workpoint-console.c: main() of the console
 *
 * Run from the build tree, it takes the compiled schema and the translations from there,
 * so `_build/app/workpoint-console` works without installing.
 */
#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "wpc-application.h"
#include "wpc-headless.h"

static gboolean
running_uninstalled (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *exe_dir = NULL;

  if (exe == NULL)
    return FALSE;

  exe_dir = g_path_get_dirname (exe);
  return g_str_equal (exe_dir, WPC_BUILD_APP_DIR);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(WpcApplication) application = NULL;
  const char *locale_dir = WPC_LOCALEDIR;

  if (running_uninstalled ())
    {
      /* An explicit GSETTINGS_SCHEMA_DIR (tests, meson devenv) wins. */
      g_setenv ("GSETTINGS_SCHEMA_DIR", WPC_BUILD_SCHEMA_DIR, FALSE);
      locale_dir = WPC_BUILD_LOCALE_DIR;
    }

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_prgname ("workpoint-console");

  /* The headless service must not touch GTK: there may be no display at all. */
  if (wpc_headless_requested (argc, argv))
    return wpc_headless_run (argc, argv);

  g_set_application_name (_("Workpoint Console"));

  application = wpc_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}
