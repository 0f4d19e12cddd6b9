/* wpc-status-bar.c: the line at the bottom of the main window
 *
 * Shows where the service listens, how many phones it knows and in which state, and a
 * warning badge while phones are still in Default Mode (their traffic is only
 * server-authenticated until they are bootstrapped).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-local-addresses.h"
#include "wpc-status-bar.h"

struct _WpcStatusBar
{
  GtkWidget  parent_instance;

  GtkWidget *box;
  GtkLabel  *listening_label;
  GtkLabel  *counts_label;
  GtkWidget *default_mode_badge;
  GtkLabel  *default_mode_label;

  char      *listening;
  guint      phones_known;
  guint      phones_busy;
  guint      phones_in_session;
  guint      phones_default_mode;
};

G_DEFINE_FINAL_TYPE (WpcStatusBar, wpc_status_bar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LISTENING,
  PROP_PHONES_KNOWN,
  PROP_PHONES_BUSY,
  PROP_PHONES_IN_SESSION,
  PROP_PHONES_DEFAULT_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* "https://0.0.0.0:18443": the service listens on every address of this computer; *port
 * gets the port. */
static gboolean
url_on_every_address (const char *url,
                      gint       *port)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (g_strcmp0 (host, "0.0.0.0") != 0 && g_strcmp0 (host, "::") != 0)
    return FALSE;
  *port = g_uri_get_port (uri);
  return TRUE;
}

/* The addresses phones can reach the service at, one URL a line, for the tooltip */
static char *
reachable_urls (GArray *ports)
{
  g_autoptr(GPtrArray) addresses = wpc_local_addresses_list (NULL);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; addresses != NULL && i < addresses->len; i++)
    {
      GInetAddress *address = g_ptr_array_index (addresses, i);
      g_autofree char *ip = g_inet_address_to_string (address);
      gboolean v6 = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6;

      for (guint j = 0; j < ports->len; j++)
        g_string_append_printf (text, "\nhttps://%s%s%s:%d", v6 ? "[" : "", ip, v6 ? "]" : "",
                                g_array_index (ports, gint, j));
    }
  if (text->len == 0)
    return g_strdup (_("This computer has no address that phones can reach."));
  /* Translators: followed by one URL a line */
  return g_strconcat (_("Phones reach the console at:"), text->str, NULL);
}

/* "0.0.0.0" means nothing to a technician: listening on every address reads "all
 * addresses", and the tooltip lists them (issue 12 §4) */
static void
update_listening (WpcStatusBar *self)
{
  g_auto(GStrv) urls = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);
  g_autoptr(GString) all_ports = g_string_new (NULL);
  g_autoptr(GArray) ports = g_array_new (FALSE, FALSE, sizeof (gint));
  g_autofree char *text = NULL;
  g_autofree char *tooltip = NULL;

  if (self->listening == NULL || self->listening[0] == '\0')
    {
      gtk_label_set_text (self->listening_label, _("Not listening"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->listening_label), NULL);
      return;
    }
  urls = g_strsplit (self->listening, ", ", -1);
  for (guint i = 0; urls[i] != NULL; i++)
    {
      gint port = 0;

      if (url_on_every_address (urls[i], &port))
        {
          g_array_append_val (ports, port);
          g_string_append_printf (all_ports, "%s%d", all_ports->len > 0 ? ", " : "", port);
        }
      else
        g_string_append_printf (shown, "%s%s", shown->len > 0 ? ", " : "", urls[i]);
    }
  if (ports->len > 0)
    {
      /* Translators: %s lists ports, e.g. "18443, 18444" */
      g_autofree char *every = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "all addresses, port %s",
                                                             "all addresses, ports %s", ports->len),
                                                all_ports->str);

      g_string_prepend (shown, shown->len > 0 ? "; " : "");
      g_string_prepend (shown, every);
      tooltip = reachable_urls (ports);
    }
  /* Translators: %s lists addresses and ports, e.g. "https://192.0.2.2:18443, https://192.0.2.2:18444"
   * or "all addresses, ports 18443, 18444" */
  text = g_strdup_printf (_("Listening on %s"), shown->str);
  gtk_label_set_text (self->listening_label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->listening_label), tooltip);
}

static void
update_counts (WpcStatusBar *self)
{
  g_autofree char *text = NULL;

  if (self->phones_known == 0)
    text = g_strdup (_("No phones"));
  else
    {
      g_autofree char *known = NULL;
      g_autofree char *busy = NULL;
      g_autofree char *in_session = NULL;

      known = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u phone", "%u phones",
                                            self->phones_known),
                               self->phones_known);
      /* Translators: count of phones that answered "busy" */
      busy = g_strdup_printf (_("%u busy"), self->phones_busy);
      /* Translators: count of phones in a WPI session with the console right now */
      in_session = g_strdup_printf (_("%u in session"), self->phones_in_session);
      /* Translators: the three counts, e.g. "20 phones · 2 busy · 1 in session" */
      text = g_strdup_printf (_("%s · %s · %s"), known, busy, in_session);
    }

  gtk_label_set_text (self->counts_label, text);
}

static void
update_default_mode (WpcStatusBar *self)
{
  g_autofree char *text = NULL;

  gtk_widget_set_visible (self->default_mode_badge, self->phones_default_mode > 0);
  if (self->phones_default_mode == 0)
    return;

  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%u phone in Default Mode",
                                       "%u phones in Default Mode",
                                       self->phones_default_mode),
                          self->phones_default_mode);
  gtk_label_set_text (self->default_mode_label, text);
  /* a button around a box has no name of its own for screen readers */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->default_mode_badge),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  gtk_widget_set_tooltip_text (self->default_mode_badge,
                               _("These phones accept settings from any server that has a "
                                 "trusted certificate. Click to bootstrap them to Secure Mode in "
                                 "PIN handout."));
}

static void
wpc_status_bar_dispose (GObject *object)
{
  WpcStatusBar *self = WPC_STATUS_BAR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_STATUS_BAR);

  G_OBJECT_CLASS (wpc_status_bar_parent_class)->dispose (object);
}

static void
wpc_status_bar_finalize (GObject *object)
{
  WpcStatusBar *self = WPC_STATUS_BAR (object);

  g_clear_pointer (&self->listening, g_free);

  G_OBJECT_CLASS (wpc_status_bar_parent_class)->finalize (object);
}

static void
wpc_status_bar_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  WpcStatusBar *self = WPC_STATUS_BAR (object);

  switch (prop_id)
    {
    case PROP_LISTENING:
      g_value_set_string (value, self->listening);
      break;
    case PROP_PHONES_KNOWN:
      g_value_set_uint (value, self->phones_known);
      break;
    case PROP_PHONES_BUSY:
      g_value_set_uint (value, self->phones_busy);
      break;
    case PROP_PHONES_IN_SESSION:
      g_value_set_uint (value, self->phones_in_session);
      break;
    case PROP_PHONES_DEFAULT_MODE:
      g_value_set_uint (value, self->phones_default_mode);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_status_bar_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  WpcStatusBar *self = WPC_STATUS_BAR (object);

  switch (prop_id)
    {
    case PROP_LISTENING:
      wpc_status_bar_set_listening (self, g_value_get_string (value));
      break;
    case PROP_PHONES_KNOWN:
      wpc_status_bar_set_phones_known (self, g_value_get_uint (value));
      break;
    case PROP_PHONES_BUSY:
      wpc_status_bar_set_phones_busy (self, g_value_get_uint (value));
      break;
    case PROP_PHONES_IN_SESSION:
      wpc_status_bar_set_phones_in_session (self, g_value_get_uint (value));
      break;
    case PROP_PHONES_DEFAULT_MODE:
      wpc_status_bar_set_phones_default_mode (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_status_bar_class_init (WpcStatusBarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_status_bar_dispose;
  object_class->finalize = wpc_status_bar_finalize;
  object_class->get_property = wpc_status_bar_get_property;
  object_class->set_property = wpc_status_bar_set_property;

  properties[PROP_LISTENING] =
    g_param_spec_string ("listening", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PHONES_KNOWN] =
    g_param_spec_uint ("phones-known", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PHONES_BUSY] =
    g_param_spec_uint ("phones-busy", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PHONES_IN_SESSION] =
    g_param_spec_uint ("phones-in-session", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PHONES_DEFAULT_MODE] =
    g_param_spec_uint ("phones-default-mode", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-status-bar.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcStatusBar, box);
  gtk_widget_class_bind_template_child (widget_class, WpcStatusBar, listening_label);
  gtk_widget_class_bind_template_child (widget_class, WpcStatusBar, counts_label);
  gtk_widget_class_bind_template_child (widget_class, WpcStatusBar, default_mode_badge);
  gtk_widget_class_bind_template_child (widget_class, WpcStatusBar, default_mode_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "wpc-status-bar");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
wpc_status_bar_init (WpcStatusBar *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  update_listening (self);
  update_counts (self);
  update_default_mode (self);
}

GtkWidget *
wpc_status_bar_new (void)
{
  return g_object_new (WPC_TYPE_STATUS_BAR, NULL);
}

const char *
wpc_status_bar_get_listening (WpcStatusBar *self)
{
  g_return_val_if_fail (WPC_IS_STATUS_BAR (self), NULL);
  return self->listening;
}

/**
 * wpc_status_bar_set_listening:
 * @listening: (nullable): where the service listens, e.g. "192.0.2.2:18443, :18444";
 *   %NULL while it does not
 */
void
wpc_status_bar_set_listening (WpcStatusBar *self,
                              const char   *listening)
{
  g_return_if_fail (WPC_IS_STATUS_BAR (self));

  if (g_strcmp0 (self->listening, listening) != 0)
    {
      g_free (self->listening);
      self->listening = g_strdup (listening);
      update_listening (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LISTENING]);
    }
}

guint
wpc_status_bar_get_phones_known (WpcStatusBar *self)
{
  g_return_val_if_fail (WPC_IS_STATUS_BAR (self), 0);
  return self->phones_known;
}

void
wpc_status_bar_set_phones_known (WpcStatusBar *self,
                                 guint         count)
{
  g_return_if_fail (WPC_IS_STATUS_BAR (self));

  if (self->phones_known != count)
    {
      self->phones_known = count;
      update_counts (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHONES_KNOWN]);
    }
}

guint
wpc_status_bar_get_phones_busy (WpcStatusBar *self)
{
  g_return_val_if_fail (WPC_IS_STATUS_BAR (self), 0);
  return self->phones_busy;
}

void
wpc_status_bar_set_phones_busy (WpcStatusBar *self,
                                guint         count)
{
  g_return_if_fail (WPC_IS_STATUS_BAR (self));

  if (self->phones_busy != count)
    {
      self->phones_busy = count;
      update_counts (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHONES_BUSY]);
    }
}

guint
wpc_status_bar_get_phones_in_session (WpcStatusBar *self)
{
  g_return_val_if_fail (WPC_IS_STATUS_BAR (self), 0);
  return self->phones_in_session;
}

void
wpc_status_bar_set_phones_in_session (WpcStatusBar *self,
                                      guint         count)
{
  g_return_if_fail (WPC_IS_STATUS_BAR (self));

  if (self->phones_in_session != count)
    {
      self->phones_in_session = count;
      update_counts (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHONES_IN_SESSION]);
    }
}

guint
wpc_status_bar_get_phones_default_mode (WpcStatusBar *self)
{
  g_return_val_if_fail (WPC_IS_STATUS_BAR (self), 0);
  return self->phones_default_mode;
}

void
wpc_status_bar_set_phones_default_mode (WpcStatusBar *self,
                                        guint         count)
{
  g_return_if_fail (WPC_IS_STATUS_BAR (self));

  if (self->phones_default_mode != count)
    {
      self->phones_default_mode = count;
      update_default_mode (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHONES_DEFAULT_MODE]);
    }
}
