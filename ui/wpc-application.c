/* wpc-application.c: the console's AdwApplication: options, app actions, settings
 *
 * AdwApplication follows the desktop's light or dark style (the portal's color-scheme)
 * by itself, through AdwStyleManager.
 *
 * The listening options (--port, --secure-port, --bind) override the settings for this
 * run only: without them the properties follow GSettings live, with them they are
 * unbound and keep the given value. The service is opened and started with the values
 * in effect at start-up.
 */
#include "config.h"

#include <stdlib.h>

#include <glib/gi18n.h>

#include "wpc-application.h"
#include "wpc-preferences-window.h"
#include "wpc-shortcuts-window.h"
#include "wpc-window.h"
#include "wpc-phones-view.h"
#include "wpc-demo.h"
#include "wpc-first-frame.h"
#include "wpi-contact.h"
#include "wpi-service.h"
#include "wpi-service-host.h"
#include "wpi-tls-keylog.h"

#define MAX_DEMO_PHONES 10000


struct _WpcApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  char           *data_dir;
  char           *bind_address;
  GStrv           contact_allow;       /* --contact-allow: overrides contact-me-allow (D19) */
  guint           port;
  guint           secure_port;
  guint           demo_phones;
  gboolean        headless;

  WpiServiceHost     *service;             /* NULL when it could not be opened */
  WpiServiceHostOpening *service_opening;  /* opening while GTK starts; finished in startup */
  GError         *service_error;       /* why it is not open or not listening */
  gboolean        data_dir_chosen;     /* --data-dir, or a service handed in */
  gboolean        service_handed_in;   /* wpc_application_set_service(): its owner configures it */
  gboolean        demo_after_first_frame; /* --demo: its phones start once the window shows */
  GFile          *import_file;         /* --import: previewed in the Import dialog once shown */
  WpcDemo        *demo;                /* the demo's simulated phones, on their own thread */
  gboolean        service_started;     /* start-up opened or started the service */
  guint           relisten_source;     /* a change of ports or address waits to apply */
  GError         *ca_import_error;     /* why ca-import-path could not be used */
  char           *tls_keylog;          /* --tls-keylog: overrides tls-keylog-path (D30) */
  GError         *tls_keylog_error;    /* why the key log is not written */

  GtkWindow      *preferences_window;  /* weak */
  GCancellable   *cancellable;
};

G_DEFINE_FINAL_TYPE (WpcApplication, wpc_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_DEMO_PHONES,
  PROP_HEADLESS,
  PROP_DATA_DIR,
  PROP_PORT,
  PROP_SECURE_PORT,
  PROP_BIND_ADDRESS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "demo", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("Start a demo with N simulated phones"), N_("N") },
  { "headless", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Run the provisioning service without a window"), NULL },
  { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Keep the phone database, certificates and traffic log in DIR"), N_("DIR") },
  { "port", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("Listen for phones in Default Mode on PORT"), N_("PORT") },
  { "secure-port", 0, 0, G_OPTION_ARG_INT, NULL,
    N_("Listen for phones in Secure Mode on PORT"), N_("PORT") },
  { "bind", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Listen only on the IP address ADDR"), N_("ADDR") },
  { "contact-allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, NULL,
    N_("Also send contact-me requests into the address range CIDR (repeatable)"), N_("CIDR") },
  { "import", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Open the Import Phone List dialog with FILE (a CSV) previewed"), N_("FILE") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { "tls-keylog", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Append the TLS secrets of every session to FILE (0600) so that Wireshark decrypts a capture. "
       "WARNING: anyone with the file can read the phones' passwords in such a capture"), N_("FILE") },
  { NULL }
};

/* App actions -------------------------------------------------------------------- */

static WpcWindow *
main_window (WpcApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (WPC_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

/* Ctrl+Q goes through the window, which asks first while work is pending (D31) */
static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  WpcWindow *window = main_window (WPC_APPLICATION (user_data));

  if (window != NULL)
    wpc_window_request_quit (window);
  else
    g_application_quit (G_APPLICATION (user_data));
}

/* The "still provisioning" notification's default action (D31) */
static void
show_window_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  WpcApplication *self = WPC_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->preferences_window == NULL)
    {
      self->preferences_window = GTK_WINDOW (wpc_preferences_window_new (self->settings));
      wpc_preferences_window_set_ca_error (WPC_PREFERENCES_WINDOW (self->preferences_window),
                                           self->ca_import_error);
      wpc_preferences_window_set_tls_keylog_error (WPC_PREFERENCES_WINDOW (self->preferences_window),
                                                   self->tls_keylog_error);
      g_object_add_weak_pointer (G_OBJECT (self->preferences_window),
                                 (gpointer *) &self->preferences_window);
      gtk_window_set_application (self->preferences_window, GTK_APPLICATION (self));
      gtk_window_set_transient_for (self->preferences_window, parent);
      if (self->service != NULL)
        wpc_preferences_window_set_phones (WPC_PREFERENCES_WINDOW (self->preferences_window),
                                           wpi_service_host_get_phones (self->service));
    }

  gtk_window_present (self->preferences_window);
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  gtk_window_present (wpc_shortcuts_window_new (parent));
}

/* What a technician pastes into a ticket: version, data directory, listening addresses */
static char *
about_debug_info (WpcApplication *self)
{
  GString *info = g_string_new (NULL);
  g_auto(GStrv) urls = self->service != NULL ? wpi_service_host_get_urls (self->service) : NULL;

  g_string_append_printf (info, "Workpoint Console %s\n", WPC_VERSION);
  g_string_append_printf (info, "GTK %u.%u.%u, libadwaita %u.%u.%u, GLib %u.%u.%u\n",
                          gtk_get_major_version (), gtk_get_minor_version (), gtk_get_micro_version (),
                          adw_get_major_version (), adw_get_minor_version (), adw_get_micro_version (),
                          glib_major_version, glib_minor_version, glib_micro_version);
  g_string_append_printf (info, "Data directory: %s\n", wpc_application_get_data_dir (self));
  g_string_append_printf (info, "Ports: %u (Default Mode), %u (Secure Mode)\n",
                          self->port, self->secure_port);
  g_string_append_printf (info, "Bind address: %s\n",
                          self->bind_address != NULL && self->bind_address[0] != '\0'
                          ? self->bind_address : "all addresses");
  g_string_append (info, "Listening on:");
  if (urls == NULL || urls[0] == NULL)
    g_string_append (info, " not listening");
  for (guint i = 0; urls != NULL && urls[i] != NULL; i++)
    g_string_append_printf (info, "\n  %s", urls[i]);
  if (self->service_error != NULL)
    g_string_append_printf (info, "\nService error: %s", self->service_error->message);
  g_string_append_c (info, '\n');
  return g_string_free (info, FALSE);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  static const char *developers[] = { "Workpoint Console developers", NULL };
  WpcApplication *self = WPC_APPLICATION (user_data);
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  g_autofree char *debug_info = about_debug_info (self);
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "application-name", _("Workpoint Console"),
                        "application-icon", WPC_APP_ID,
                        "version", WPC_VERSION,
                        "developer-name", "Workpoint Console developers",
                        "developers", developers,
                        "comments", _("Provisioning service for OpenStage SIP phones: "
                                      "WorkPoint Interface, Secure Mode bootstrap with PINs, "
                                      "and a traffic inspector."),
                        "copyright", "© 2026 Workpoint Console developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "website", WPC_WEBSITE_URL,
                        "issue-url", WPC_ISSUE_URL,
                        "debug-info", debug_info,
                        "debug-info-filename", "workpoint-console-debug-info.txt",
                        /* Translators: your name and e-mail, one translator per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "preferences", preferences_action },
  { "shortcuts", shortcuts_action },
  { "about", about_action },
  { "show-window", show_window_action },
};

/* Options ------------------------------------------------------------------------ */

static gboolean
option_port (GVariantDict  *options,
             const char    *name,
             guint         *port,
             GError       **error)
{
  gint32 value;

  if (!g_variant_dict_lookup (options, name, "i", &value))
    return TRUE;

  if (value < 1 || value > G_MAXUINT16)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: the first %s is an option name: "port" or "secure-port" */
                   _("--%s must be a port number from 1 to 65535, not %d"),
                   name, value);
      return FALSE;
    }

  *port = (guint) value;
  return TRUE;
}

/* D19: --contact-allow, each one an address range; *ranges NULL when not given */
static gboolean
option_contact_allow (GVariantDict  *options,
                      GStrv         *ranges,
                      GError       **error)
{
  g_autoptr(GError) range_error = NULL;
  GPtrArray *parsed;

  if (!g_variant_dict_lookup (options, "contact-allow", "^as", ranges))
    return TRUE;
  parsed = wpi_contact_ranges_parse ((const char * const *) *ranges, &range_error);
  if (parsed == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   /* Translators: %s says which range does not parse and why */
                   _("--contact-allow: %s"), range_error->message);
      return FALSE;
    }
  g_ptr_array_unref (parsed);
  return TRUE;
}

static gboolean
apply_options (WpcApplication  *self,
               GVariantDict    *options,
               GError         **error)
{
  guint port = self->port;
  guint secure_port = self->secure_port;
  gint32 demo_phones;
  const char *bind_address = NULL;
  const char *data_dir = NULL;
  const char *tls_keylog = NULL;
  const char *import_path = NULL;
  g_auto(GStrv) contact_allow = NULL;

  if (!option_port (options, "port", &port, error) ||
      !option_port (options, "secure-port", &secure_port, error))
    return FALSE;

  if (port == secure_port)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("The Default Mode port and the Secure Mode port must differ (both are %u)"),
                   port);
      return FALSE;
    }

  if (g_variant_dict_lookup (options, "bind", "&s", &bind_address))
    {
      g_autoptr(GInetAddress) address = g_inet_address_new_from_string (bind_address);

      if (address == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--bind needs an IP address, not “%s”"), bind_address);
          return FALSE;
        }
    }

  if (!option_contact_allow (options, &contact_allow, error))
    return FALSE;

  if (g_variant_dict_lookup (options, "demo", "i", &demo_phones))
    {
      if (demo_phones < 1 || demo_phones > MAX_DEMO_PHONES)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("--demo needs a number of phones from 1 to %d, not %d"),
                       MAX_DEMO_PHONES, demo_phones);
          return FALSE;
        }
      self->demo_phones = (guint) demo_phones;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEMO_PHONES]);
    }

  if (g_variant_dict_lookup (options, "data-dir", "^&ay", &data_dir))
    {
      self->data_dir_chosen = TRUE;
      g_free (self->data_dir);
      self->data_dir = g_canonicalize_filename (data_dir, NULL);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA_DIR]);
    }

  if (g_variant_dict_lookup (options, "tls-keylog", "^&ay", &tls_keylog))
    {
      g_free (self->tls_keylog);
      self->tls_keylog = g_strdup (tls_keylog);
    }
  if (g_variant_dict_lookup (options, "import", "^&ay", &import_path))
    g_set_object (&self->import_file, g_file_new_for_commandline_arg (import_path));

  if (g_variant_dict_contains (options, "headless"))
    {
      self->headless = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HEADLESS]);
    }

  /* Overrides last, once all options are known to be valid. */
  if (g_variant_dict_contains (options, "port"))
    {
      g_settings_unbind (self, "port");
      g_object_set (self, "port", port, NULL);
    }
  if (g_variant_dict_contains (options, "secure-port"))
    {
      g_settings_unbind (self, "secure-port");
      g_object_set (self, "secure-port", secure_port, NULL);
    }
  if (bind_address != NULL)
    {
      g_settings_unbind (self, "bind-address");
      g_object_set (self, "bind-address", bind_address, NULL);
    }
  if (contact_allow != NULL)
    {
      g_strfreev (self->contact_allow);
      self->contact_allow = g_steal_pointer (&contact_allow);
    }

  return TRUE;
}

static int
wpc_application_handle_local_options (GApplication *application,
                                      GVariantDict *options)
{
  WpcApplication *self = WPC_APPLICATION (application);
  g_autoptr(GError) error = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", g_get_prgname (), WPC_VERSION);
      return EXIT_SUCCESS;
    }

  if (!apply_options (self, options, &error))
    {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      return EXIT_FAILURE;
    }

  if (self->headless)
    {
      /* Say so instead of opening a window the user asked not to get. */
      g_printerr ("%s: %s\n", g_get_prgname (),
                  _("--headless needs the provisioning service, which this build does not have yet"));
      return EXIT_FAILURE;
    }

  return G_APPLICATION_CLASS (wpc_application_parent_class)->handle_local_options (application, options);
}

/* Service ------------------------------------------------------------------------ */

/* Preferences' imported CA (ca-import-path) signs the phones' certificates, the
 * console's own CA when the key is empty (D23). The CA that stops signing stays
 * trusted, so that phones bootstrapped under it keep working until they are
 * bootstrapped again, and the server certificate stays with the own CA (install_ca()
 * in wpi-pki-ca.c). A file that cannot be used changes nothing and is said under the
 * CA row. */
static void
apply_ca_import (WpcApplication *self)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  WpiPki *pki;
  gboolean ok;

  if (self->service == NULL || self->settings == NULL)
    return;

  pki = wpi_service_host_get_pki (self->service);
  path = g_settings_get_string (self->settings, "ca-import-path");
  ok = path[0] != '\0' ? wpi_pki_import_ca_file (pki, path, &error) : wpi_pki_use_own_ca (pki, &error);
  if (!ok)
    g_message ("The CA in Preferences cannot be used: %s", error->message);

  g_clear_error (&self->ca_import_error);
  self->ca_import_error = g_steal_pointer (&error);
  if (self->preferences_window != NULL)
    wpc_preferences_window_set_ca_error (WPC_PREFERENCES_WINDOW (self->preferences_window),
                                         self->ca_import_error);
}

/* D30: --tls-keylog, else Preferences' tls-keylog-path ("" off). Before the service
 * starts, so that no session goes unlogged; a file that cannot be written changes
 * nothing and is said under the key log row. */
static void
apply_tls_keylog (WpcApplication *self)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (self->settings == NULL)
    return;
  path = self->tls_keylog != NULL ? g_strdup (self->tls_keylog)
                                  : g_settings_get_string (self->settings, "tls-keylog-path");
  if (!wpi_tls_keylog_set_file (path, &error))
    g_message ("The TLS key log is not written: %s", error->message);

  g_clear_error (&self->tls_keylog_error);
  self->tls_keylog_error = g_steal_pointer (&error);
  if (self->preferences_window != NULL)
    wpc_preferences_window_set_tls_keylog_error (WPC_PREFERENCES_WINDOW (self->preferences_window),
                                                 self->tls_keylog_error);
}

/* The service is opened and started here rather than in main() so that the window can
 * tell the user what went wrong: a store that does not open leaves the console without
 * phones, a port in use leaves it able to show (but not to reach) the stored ones. */
static void
start_service (WpcApplication *self)
{
  g_autoptr(GError) error = NULL;

  if (self->service == NULL)
    {
      WpiServiceHostOpening *opening = g_steal_pointer (&self->service_opening);

      self->service = opening != NULL
                      ? wpi_service_host_open_finish (opening, &error)
                      : wpi_service_host_new (wpc_application_get_data_dir (self), &error);
      if (self->service == NULL)
        {
          g_message ("Cannot open the data directory %s: %s",
                     wpc_application_get_data_dir (self), error->message);
          self->service_error = g_steal_pointer (&error);
          return;
        }
      wpi_service_host_set_bind_address (self->service,
                                    self->bind_address != NULL && self->bind_address[0] != '\0'
                                    ? self->bind_address : NULL);
      wpi_service_host_set_ports (self->service, self->port, self->secure_port);
      /* applied by the running service as they change (D10, the traffic log) */
      g_settings_bind (self->settings, "contact-me-initial-backoff", self->service,
                       "contact-initial-backoff", G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "contact-me-max-backoff", self->service,
                       "contact-max-backoff", G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "traffic-retention-days", self->service,
                       "traffic-retention-days", G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "max-flows", self->service, "max-flows", G_SETTINGS_BIND_GET);
      /* D19: --contact-allow stands for the setting in this run */
      if (self->contact_allow != NULL)
        g_object_set (self->service, "contact-allow", self->contact_allow, NULL);
      else
        g_settings_bind (self->settings, "contact-me-allow", self->service, "contact-allow",
                         G_SETTINGS_BIND_GET);
      g_settings_bind (self->settings, "traffic-max-megabytes", self->service,
                       "traffic-max-megabytes", G_SETTINGS_BIND_GET);
    }

  apply_ca_import (self);
  apply_tls_keylog (self);

  /* A service handed in by wpc_application_set_service() may already listen. */
  if (wpi_service_host_get_port (self->service) == 0 &&
      !wpi_service_host_start (self->service, &error))
    {
      g_message ("The provisioning service is not listening: %s", error->message);
      self->service_error = g_steal_pointer (&error);
    }
}

/* Demo ----------------------------------------------------------------------------- */

static gboolean
service_listens (WpcApplication *self)
{
  return self->service != NULL && wpi_service_host_get_port (self->service) != 0;
}

/* The empty state offers a demo unless one runs or --demo's is about to start */
static gboolean
demo_can_start (WpcApplication *self)
{
  return service_listens (self) && self->demo == NULL && !self->demo_after_first_frame;
}

static void
update_demo_available (WpcApplication *self)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  for (GList *l = windows; l != NULL; l = l->next)
    if (WPC_IS_WINDOW (l->data))
      wpc_window_set_demo_available (l->data, demo_can_start (self));
}

/* A demo keeps its simulated phones out of the real store (as the headless service
 * does): unless the user chose the data directory, the console moves to a demo one. */
static gboolean
use_demo_store (WpcApplication  *self,
                GError         **error)
{
  g_autofree char *demo_dir = NULL;
  g_autoptr(WpiServiceHost) demo_service = NULL;
  GList *windows;

  if (self->data_dir_chosen || self->demo_phones > 0)
    return TRUE;

  demo_dir = g_build_filename (g_get_user_data_dir (), GETTEXT_PACKAGE "-demo", NULL);
  demo_service = wpi_service_host_new (demo_dir, error);
  if (demo_service == NULL)
    return FALSE;
  wpi_service_host_set_bind_address (demo_service,
                                self->bind_address != NULL && self->bind_address[0] != '\0'
                                ? self->bind_address : NULL);
  wpi_service_host_set_ports (demo_service, self->port, self->secure_port);

  /* The ports pass from one service to the other; on failure they go back */
  wpi_service_host_stop (self->service);
  if (!wpi_service_host_start (demo_service, error))
    {
      g_autoptr(GError) restart_error = NULL;

      if (!wpi_service_host_start (self->service, &restart_error))
        g_message ("The provisioning service is not listening again: %s", restart_error->message);
      return FALSE;
    }

  g_set_object (&self->service, demo_service);
  g_free (self->data_dir);
  self->data_dir = g_steal_pointer (&demo_dir);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA_DIR]);

  windows = gtk_application_get_windows (GTK_APPLICATION (self));
  for (GList *l = windows; l != NULL; l = l->next)
    if (WPC_IS_WINDOW (l->data))
      wpc_window_set_service (l->data, self->service);
  return TRUE;
}

static gboolean
start_demo (WpcApplication  *self,
            guint            n_phones,
            GError         **error)
{
  if (self->demo != NULL)
    return TRUE;
  if (!service_listens (self))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                           _("the provisioning service is not listening"));
      return FALSE;
    }

  self->demo = wpc_demo_start (wpi_service_host_get_data_dir (self->service),
                               wpi_service_host_get_port (self->service), n_phones, error);
  update_demo_available (self);
  return self->demo != NULL;
}

static void
on_start_demo (WpcWindow      *window,
               guint           n_phones,
               WpcApplication *self)
{
  g_autoptr(GError) error = NULL;

  if (!use_demo_store (self, &error) || !start_demo (self, n_phones, &error))
    {
      /* Translators: %s is the reason */
      g_autofree char *text = g_strdup_printf (_("The demo cannot start: %s"), error->message);

      g_message ("%s", text);
      wpc_window_show_problem (window, text);
    }
  update_demo_available (self);
}

/* --demo: twenty simulated phones starting (a thread, sockets, their first messages)
 * would slow the window's first frame by a quarter (bench-startup), so they wait for it */
static void
start_demo_after_first_frame (GtkWindow *window,
                              gpointer   user_data)
{
  WpcApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  self->demo_after_first_frame = FALSE;
  if (self->service_error == NULL && !start_demo (self, self->demo_phones, &error))
    {
      /* Translators: %s is the reason */
      g_autofree char *text = g_strdup_printf (_("The demo cannot start: %s"), error->message);

      g_message ("%s", text);
      wpc_window_show_problem (WPC_WINDOW (window), text);
    }
  update_demo_available (self);
}

static void
stop_demo (WpcApplication *self)
{
  if (self->demo == NULL)
    return;
  /* Its phones' last exchanges finish before the service they talk to goes */
  wpc_demo_stop (self->demo);
  g_clear_object (&self->demo);
}

/* Listening ------------------------------------------------------------------------ */

static void
show_service_error (WpcApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (WPC_IS_WINDOW (l->data))
      wpc_window_set_service_error (l->data, self->service_error);
}

/* Preferences changed the ports or the address while the console runs: the service
 * moves there now (so does a demo, whose phones follow it) rather than at the next
 * start. A port that cannot be had is said as at start-up. */
static gboolean
relisten (gpointer data)
{
  WpcApplication *self = data;
  guint demo_phones = self->demo != NULL ? wpc_demo_get_n_phones (self->demo) : 0;
  g_autoptr(GError) error = NULL;

  self->relisten_source = 0;
  if (self->service == NULL)
    return G_SOURCE_REMOVE;

  stop_demo (self);
  wpi_service_host_stop (self->service);
  wpi_service_host_set_bind_address (self->service,
                                self->bind_address != NULL && self->bind_address[0] != '\0'
                                ? self->bind_address : NULL);
  wpi_service_host_set_ports (self->service, self->port, self->secure_port);
  g_clear_error (&self->service_error);
  if (!wpi_service_host_start (self->service, &error))
    {
      g_message ("The provisioning service is not listening: %s", error->message);
      self->service_error = g_steal_pointer (&error);
    }
  show_service_error (self);

  if (demo_phones > 0 && self->service_error == NULL && !start_demo (self, demo_phones, &error))
    {
      g_autofree char *text = g_strdup_printf (_("The demo cannot start: %s"), error->message);

      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
        if (WPC_IS_WINDOW (l->data))
          wpc_window_show_problem (l->data, text);
    }
  update_demo_available (self);
  return G_SOURCE_REMOVE;
}

/* Only for a service this application opened: one handed in (tests, other callers)
 * listens where its owner put it. */
static void
schedule_relisten (WpcApplication *self)
{
  if (!self->service_started || self->service_handed_in || self->relisten_source != 0)
    return;
  /* One move for the three values a single change of Preferences may touch */
  self->relisten_source = g_idle_add (relisten, self);
}

/* GApplication ------------------------------------------------------------------- */

static void
wpc_application_startup (GApplication *application)
{
  WpcApplication *self = WPC_APPLICATION (application);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *shortcuts_accels[] = { "<Control>question", NULL };

  /* Start-up to the first frame (issue 12): the service opens its store (in a new data
   * directory it makes its keys) on its own thread while GTK and libadwaita start. */
  if (self->service == NULL)
    self->service_opening = wpi_service_host_open_begin (wpc_application_get_data_dir (self));

  G_APPLICATION_CLASS (wpc_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.shortcuts", shortcuts_accels);

  /* AdwApplication loads style.css from the resource base path itself. */
  start_service (self);
  self->service_started = TRUE;
  /* --demo's phones start after the window's first frame (activate) */
  self->demo_after_first_frame = self->demo_phones > 0;
}

static void
wpc_application_shutdown (GApplication *application)
{
  WpcApplication *self = WPC_APPLICATION (application);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->relisten_source, g_source_remove);
  stop_demo (self);
  if (self->service != NULL)
    wpi_service_host_stop (self->service);

  G_APPLICATION_CLASS (wpc_application_parent_class)->shutdown (application);
}

static void
wpc_application_activate (GApplication *application)
{
  WpcApplication *self = WPC_APPLICATION (application);
  /* The console's window, also when hidden in the background (D31): a second
   * workpoint-console, or the notification, shows it again */
  GtkWindow *window = GTK_WINDOW (main_window (self));

  if (window == NULL)
    {
      window = GTK_WINDOW (wpc_window_new (self));
      wpc_window_set_service (WPC_WINDOW (window), self->service);
      wpc_window_set_service_error (WPC_WINDOW (window), self->service_error);
      g_signal_connect_object (window, "start-demo", G_CALLBACK (on_start_demo), self, 0);
      wpc_window_set_demo_available (WPC_WINDOW (window), demo_can_start (self));
      if (self->demo_after_first_frame)
        wpc_first_frame_connect (window, start_demo_after_first_frame, self);
      if (g_getenv ("WPC_BENCH_FIRST_FRAME") != NULL)
        wpc_first_frame_report (window);
    }

  gtk_window_present (window);
  if (self->import_file != NULL)
    {
      g_autoptr(GFile) file = g_steal_pointer (&self->import_file);

      wpc_phones_view_import_list (wpc_window_get_phones_view (WPC_WINDOW (window)), file);
    }
}

/* GObject ------------------------------------------------------------------------ */

/* Only once the service is open: start-up applies the key before it listens. */
static void
on_ca_import_path_changed (WpcApplication *self)
{
  if (self->service_started)
    apply_ca_import (self);
}

static void
wpc_application_constructed (GObject *object)
{
  WpcApplication *self = WPC_APPLICATION (object);

  G_OBJECT_CLASS (wpc_application_parent_class)->constructed (object);

  if (self->settings == NULL)
    self->settings = g_settings_new (WPC_APP_ID);

  g_settings_bind (self->settings, "port", self, "port", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "secure-port", self, "secure-port", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "bind-address", self, "bind-address", G_SETTINGS_BIND_GET);
  g_signal_connect_object (self->settings, "changed::ca-import-path",
                           G_CALLBACK (on_ca_import_path_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::tls-keylog-path",
                           G_CALLBACK (apply_tls_keylog), self, G_CONNECT_SWAPPED);
}

static void
wpc_application_dispose (GObject *object)
{
  WpcApplication *self = WPC_APPLICATION (object);

  if (self->settings != NULL)
    {
      g_settings_unbind (self, "port");
      g_settings_unbind (self, "secure-port");
      g_settings_unbind (self, "bind-address");
    }
  g_clear_handle_id (&self->relisten_source, g_source_remove);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->demo);
  g_clear_object (&self->service);
  g_clear_error (&self->service_error);
  g_clear_object (&self->import_file);
  g_clear_error (&self->ca_import_error);
  g_clear_error (&self->tls_keylog_error);
  g_clear_pointer (&self->tls_keylog, g_free);

  G_OBJECT_CLASS (wpc_application_parent_class)->dispose (object);
}

static void
wpc_application_finalize (GObject *object)
{
  WpcApplication *self = WPC_APPLICATION (object);

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->bind_address, g_free);
  g_clear_pointer (&self->contact_allow, g_strfreev);

  G_OBJECT_CLASS (wpc_application_parent_class)->finalize (object);
}

static void
wpc_application_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  WpcApplication *self = WPC_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_DEMO_PHONES:
      g_value_set_uint (value, self->demo_phones);
      break;
    case PROP_HEADLESS:
      g_value_set_boolean (value, self->headless);
      break;
    case PROP_DATA_DIR:
      g_value_set_string (value, wpc_application_get_data_dir (self));
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_SECURE_PORT:
      g_value_set_uint (value, self->secure_port);
      break;
    case PROP_BIND_ADDRESS:
      g_value_set_string (value, self->bind_address);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* TRUE when the value changed */
static gboolean
set_uint_property (WpcApplication *self,
                   guint          *field,
                   guint           value,
                   int             prop_id)
{
  if (*field == value)
    return FALSE;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static gboolean
set_string_property (WpcApplication *self,
                     char          **field,
                     const char     *value,
                     int             prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

static void
wpc_application_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  WpcApplication *self = WPC_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_DEMO_PHONES:
      set_uint_property (self, &self->demo_phones, g_value_get_uint (value), prop_id);
      break;
    case PROP_HEADLESS:
      if (self->headless != g_value_get_boolean (value))
        {
          self->headless = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_DATA_DIR:
      set_string_property (self, &self->data_dir, g_value_get_string (value), prop_id);
      break;
    case PROP_PORT:
      if (set_uint_property (self, &self->port, g_value_get_uint (value), prop_id))
        schedule_relisten (self);
      break;
    case PROP_SECURE_PORT:
      if (set_uint_property (self, &self->secure_port, g_value_get_uint (value), prop_id))
        schedule_relisten (self);
      break;
    case PROP_BIND_ADDRESS:
      if (set_string_property (self, &self->bind_address, g_value_get_string (value), prop_id))
        schedule_relisten (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_application_class_init (WpcApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *application_class = G_APPLICATION_CLASS (klass);

  object_class->constructed = wpc_application_constructed;
  object_class->dispose = wpc_application_dispose;
  object_class->finalize = wpc_application_finalize;
  object_class->get_property = wpc_application_get_property;
  object_class->set_property = wpc_application_set_property;

  application_class->handle_local_options = wpc_application_handle_local_options;
  application_class->startup = wpc_application_startup;
  application_class->shutdown = wpc_application_shutdown;
  application_class->activate = wpc_application_activate;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /** WpcApplication:demo-phones: simulated phones to start with (--demo N); 0 for none */
  properties[PROP_DEMO_PHONES] =
    g_param_spec_uint ("demo-phones", NULL, NULL, 0, MAX_DEMO_PHONES, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HEADLESS] =
    g_param_spec_boolean ("headless", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /** WpcApplication:data-dir: where the service keeps its store (--data-dir) */
  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /** WpcApplication:port: the Default Mode port in effect (setting, or --port); 0, which
   * only a program can set, lets the service pick a free port (tests) */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 18443,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /** WpcApplication:secure-port: the Secure Mode port in effect (setting, or --secure-port) */
  properties[PROP_SECURE_PORT] =
    g_param_spec_uint ("secure-port", NULL, NULL, 0, G_MAXUINT16, 18444,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /** WpcApplication:bind-address: the listening address in effect; "" for all */
  properties[PROP_BIND_ADDRESS] =
    g_param_spec_string ("bind-address", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpc_application_init (WpcApplication *self)
{
  self->port = 18443;
  self->secure_port = 18444;
  self->bind_address = g_strdup ("");
  self->cancellable = g_cancellable_new ();

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Provisioning service and console for OpenStage SIP phones."));
}

WpcApplication *
wpc_application_new (void)
{
  return g_object_new (WPC_TYPE_APPLICATION,
                       "application-id", WPC_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/workpoint/Console",
                       NULL);
}

/**
 * wpc_application_get_settings:
 *
 * Returns: (transfer none): the console's settings
 */
GSettings *
wpc_application_get_settings (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), NULL);
  return self->settings;
}

guint
wpc_application_get_demo_phones (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), 0);
  return self->demo_phones;
}

gboolean
wpc_application_get_headless (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), FALSE);
  return self->headless;
}

/**
 * wpc_application_get_data_dir:
 *
 * Returns: --data-dir, or else `$XDG_DATA_HOME/workpoint-console` (with --demo,
 *   `$XDG_DATA_HOME/workpoint-console-demo`, so that simulated phones stay out of the
 *   real store)
 */
const char *
wpc_application_get_data_dir (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), NULL);

  if (self->data_dir == NULL)
    self->data_dir = g_build_filename (g_get_user_data_dir (),
                                       self->demo_phones > 0 ? GETTEXT_PACKAGE "-demo" : GETTEXT_PACKAGE,
                                       NULL);
  return self->data_dir;
}

guint
wpc_application_get_port (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), 0);
  return self->port;
}

guint
wpc_application_get_secure_port (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), 0);
  return self->secure_port;
}

const char *
wpc_application_get_bind_address (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), NULL);
  return self->bind_address;
}

/**
 * wpc_application_set_service:
 * @service: (nullable): the provisioning service to show, opened by the caller
 *
 * Before the application starts up: use @service instead of opening the data directory
 * (tests, and callers that configure the service themselves). It is started at start-up
 * unless it listens already, and stopped at shutdown.
 */
void
wpc_application_set_service (WpcApplication *self,
                             WpiServiceHost     *service)
{
  g_return_if_fail (WPC_IS_APPLICATION (self));
  g_return_if_fail (service == NULL || WPI_IS_SERVICE_HOST (service));

  g_set_object (&self->service, service);
  self->data_dir_chosen = TRUE;
  self->service_handed_in = service != NULL;
  if (service != NULL)
    set_string_property (self, &self->data_dir, wpi_service_host_get_data_dir (service), PROP_DATA_DIR);
}

/**
 * wpc_application_get_service:
 *
 * Returns: (transfer none) (nullable): the provisioning service, or %NULL before start-up
 *   and when the data directory could not be opened
 */
WpiServiceHost *
wpc_application_get_service (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), NULL);
  return self->service;
}

/**
 * wpc_application_get_service_error:
 *
 * Returns: (transfer none) (nullable): why the service could not be opened or does not
 *   listen, or %NULL when it runs
 */
const GError *
wpc_application_get_service_error (WpcApplication *self)
{
  g_return_val_if_fail (WPC_IS_APPLICATION (self), NULL);
  return self->service_error;
}
