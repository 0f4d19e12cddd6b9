/* wpc-headless.c: the provisioning service without a window */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "wpc-headless.h"
#include "wpi-tls-keylog.h"
#include "wpc-demo.h"
#include "wpi-contact.h"
#include "wpi-service.h"
#include "wpi-service-host.h"

gboolean
wpc_headless_requested (int    argc,
                        char **argv)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--headless") == 0)
      return TRUE;
  return FALSE;
}

static gboolean
on_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
on_log (WpiServiceHost *host,
        const char     *line,
        gpointer        user_data)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%H:%M:%S");

  fprintf (stdout, "%s %s\n", stamp, line);
  fflush (stdout);
}

/* The options' values that the parser itself does not check; FALSE (and a message) when one
 * is out of range. D19: every --contact-allow is a range, or the service does not start. */
static gboolean
check_options (int    demo,
               int    port,
               int    secure_port,
               int    flow_deadline,
               int    max_flows,
               char **contact_allow)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ranges = NULL;

  if (demo < 0 || demo > 5000)
    {
      fprintf (stderr, "workpoint-console: --demo takes 0 to 5000 phones\n");
      return FALSE;
    }
  if (port < 0 || port > 65535 || secure_port < 0 || secure_port > 65535)
    {
      fprintf (stderr, "workpoint-console: ports are 0 to 65535\n");
      return FALSE;
    }
  if (flow_deadline < 1 || flow_deadline > 86400)
    {
      fprintf (stderr, "workpoint-console: --flow-deadline takes 1 to 86400 seconds\n");
      return FALSE;
    }
  if (max_flows < 0)
    {
      fprintf (stderr, "workpoint-console: --max-flows takes 0 (no limit) or more flows\n");
      return FALSE;
    }
  ranges = wpi_contact_ranges_parse ((const char * const *) contact_allow, &error);
  if (ranges == NULL)
    fprintf (stderr, "workpoint-console: --contact-allow: %s\n", error->message);
  return ranges != NULL;
}

/* D30: --tls-keylog, opened before anything else so that every session is logged */
static gboolean
open_tls_keylog (const char *path)
{
  g_autoptr(GError) error = NULL;

  if (path == NULL || wpi_tls_keylog_set_file (path, &error))
    return TRUE;
  fprintf (stderr, "workpoint-console: %s\n", error->message);
  return FALSE;
}

int
wpc_headless_run (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiServiceHost) host = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *bind = NULL;
  g_autofree char *tls_keylog = NULL;
  gboolean headless = FALSE;
  g_auto(GStrv) contact_allow = NULL;
  int port = 18443, secure_port = 18444, demo = 0, flow_deadline = 60;
  int max_flows = WPI_SERVICE_DEFAULT_MAX_FLOWS;
  g_autoptr(WpcDemo) simulator = NULL;
  GOptionEntry entries[] = {
    { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, "Run the service without a window", NULL },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, "Where the store, certificates and files live", "DIR" },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, "Default Mode port (18443)", "PORT" },
    { "secure-port", 0, 0, G_OPTION_ARG_INT, &secure_port, "Secure Mode port (18444)", "PORT" },
    { "bind", 0, 0, G_OPTION_ARG_STRING, &bind, "Listen on this address only", "ADDR" },
    { "demo", 0, 0, G_OPTION_ARG_INT, &demo, "Also run N simulated phones against this service", "N" },
    { "flow-deadline", 0, 0, G_OPTION_ARG_INT, &flow_deadline,
      "Close a phone's flow after SECONDS without a message (60, D22)", "SECONDS" },
    { "contact-allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &contact_allow,
      "Also send contact-mes into this address range (D19; repeatable)", "CIDR" },
    { "max-flows", 0, 0, G_OPTION_ARG_INT, &max_flows,
      "Answer new flows CleanUp overload above N in progress (D21; 0: no limit)", "N" },
    { "tls-keylog", 0, 0, G_OPTION_ARG_FILENAME, &tls_keylog,
      "Append the TLS secrets of every session to FILE (NSS key log, 0600) for Wireshark. WARNING: "
      WPI_TLS_KEYLOG_WARNING " (D30)", "FILE" },
    { NULL }
  };
  g_auto(GStrv) urls = NULL;

  context = g_option_context_new ("— Workpoint Console provisioning service");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "workpoint-console: %s\n", error->message);
      return 1;
    }
  if (!check_options (demo, port, secure_port, flow_deadline, max_flows, contact_allow) ||
      !open_tls_keylog (tls_keylog))
    return 1;
  /* A demo keeps its simulated phones out of the real store */
  if (data_dir == NULL)
    data_dir = g_build_filename (g_get_user_data_dir (), demo > 0 ? "workpoint-console-demo" : "workpoint-console", NULL);

  /* The same service thread as the console's (doc/DESIGN.md, "Threads"); this thread only
   * prints what it reports */
  host = wpi_service_host_new (data_dir, &error);
  if (host == NULL)
    {
      fprintf (stderr, "workpoint-console: %s\n", error->message);
      return 1;
    }
  g_signal_connect (host, "log", G_CALLBACK (on_log), NULL);
  wpi_service_host_set_bind_address (host, bind);
  wpi_service_host_set_ports (host, port, secure_port);
  g_object_set (host, "flow-deadline", (guint) flow_deadline, NULL);
  g_object_set (host, "max-flows", (guint) max_flows, "contact-allow", contact_allow, NULL);
  if (!wpi_service_host_start (host, &error))
    {
      fprintf (stderr, "workpoint-console: %s\n", error->message);
      return 1;
    }

  urls = wpi_service_host_get_urls (host);
  for (guint i = 0; urls[i] != NULL; i++)
    fprintf (stdout, "serving %s\n", urls[i]);
  fprintf (stdout, "data directory %s\n", data_dir);
  fflush (stdout);

  if (demo > 0)
    {
      simulator = wpc_demo_start (data_dir, wpi_service_host_get_port (host), demo, &error);
      if (simulator == NULL)
        {
          fprintf (stderr, "workpoint-console: cannot start the demo phones: %s\n", error->message);
          return 1;
        }
      fprintf (stdout, "demo: %d simulated phones\n", demo);
      fflush (stdout);
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);

  if (simulator != NULL)
    wpc_demo_stop (simulator);
  wpi_service_host_stop (host);
  fprintf (stdout, "stopped\n");
  return 0;
}
