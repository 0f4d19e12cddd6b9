/* wpc-empty-state.c: the Phones view before any phone has contacted the console
 *
 * Tells the technician what to put into DHCP option 43 (or the phones' web interface),
 * with the real addresses of this computer, and offers the demo. The addresses follow
 * the listening-address setting and network changes.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-empty-state.h"
#include "wpc-local-addresses.h"
#include "wpi-dhcp-option.h"

#define DEFAULT_PORT        18443
#define DEFAULT_SECURE_PORT 18444

struct _WpcEmptyState
{
  GtkWidget        parent_instance;

  GtkWidget       *status_page;
  GtkWidget       *address_box;
  GtkLabel        *ports_label;

  GNetworkMonitor *network_monitor;
  char           **sdlp_urls;
  char            *bind_address;
  guint            port;
  guint            secure_port;
};

G_DEFINE_FINAL_TYPE (WpcEmptyState, wpc_empty_state, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PORT,
  PROP_SECURE_PORT,
  PROP_BIND_ADDRESS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkWidget *
create_address_row (const char *sdlp_url)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (sdlp_url);
  GtkWidget *copy_button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  g_autofree char *copy_label = NULL;

  /* Not selectable: a selectable label takes the window's first focus and shows up
   * selected; the copy button is the keyboard's way to the text. */
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "title-4");
  gtk_box_append (GTK_BOX (row), label);

  /* Translators: accessible name of the button that copies "sdlp://192.0.2.2:18443" */
  copy_label = g_strdup_printf (_("Copy %s"), sdlp_url);
  gtk_widget_set_tooltip_text (copy_button, _("Copy"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, copy_label,
                                  -1);
  gtk_widget_set_valign (copy_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (copy_button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (copy_button), "empty-state.copy");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (copy_button), "s", sdlp_url);
  gtk_box_append (GTK_BOX (row), copy_button);

  return row;
}

/* The option 43 payload for the address, in hex as DHCP servers take it (D26); the
 * "Point Phones Here" dialog has it with the snippets and Copy buttons */
static GtkWidget *
create_payload_label (const char *sdlp_url)
{
  g_autoptr(GBytes) payload = wpi_dhcp_option43_encode (sdlp_url, NULL);
  g_autofree char *hex = NULL;
  g_autofree char *text = NULL;
  GtkWidget *label;

  if (payload == NULL)
    return NULL;
  hex = wpi_dhcp_format_hex (payload, " ");
  /* Translators: %s is the DHCP option's bytes in hex, "01 07 53 69 …" */
  text = g_strdup_printf (_("Option 43: %s"), hex);
  label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_widget_add_css_class (label, "caption");
  return label;
}

static GtkWidget *
create_notice (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  gtk_widget_add_css_class (label, "warning");
  return label;
}

static void
update_addresses (WpcEmptyState *self)
{
  g_autoptr(GPtrArray) addresses = NULL;
  g_autoptr(GStrvBuilder) urls = g_strv_builder_new ();
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->address_box)) != NULL)
    gtk_box_remove (GTK_BOX (self->address_box), child);

  addresses = wpc_local_addresses_for_bind (self->bind_address, &error);
  if (addresses == NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s is the reason, e.g. "“foo” is not an IP address" */
      text = g_strdup_printf (_("The listening address is not valid: %s. Change it in Preferences."),
                              error->message);
      gtk_box_append (GTK_BOX (self->address_box), create_notice (text));
    }
  else if (addresses->len == 0)
    {
      gtk_box_append (GTK_BOX (self->address_box),
                      create_notice (_("This computer has no network address that phones "
                                       "could reach. Connect it to the phones’ network.")));
    }
  else
    {
      for (guint i = 0; i < addresses->len; i++)
        {
          g_autofree char *url = wpc_local_addresses_sdlp_url (g_ptr_array_index (addresses, i),
                                                               self->port);

          GtkWidget *payload_label = create_payload_label (url);

          gtk_box_append (GTK_BOX (self->address_box), create_address_row (url));
          if (payload_label != NULL)
            gtk_box_append (GTK_BOX (self->address_box), payload_label);
          g_strv_builder_add (urls, url);
        }
    }

  g_strfreev (self->sdlp_urls);
  self->sdlp_urls = g_strv_builder_end (urls);
}

static void
update_ports (WpcEmptyState *self)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("The console listens on port %u for phones in Default Mode and "
                            "on port %u for phones in Secure Mode."),
                          self->port, self->secure_port);
  gtk_label_set_text (self->ports_label, text);
}

static void
on_network_changed (GNetworkMonitor *monitor,
                    gboolean         network_available,
                    WpcEmptyState   *self)
{
  update_addresses (self);
}

static void
copy_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                          g_variant_get_string (parameter, NULL));
}

static void
wpc_empty_state_dispose (GObject *object)
{
  WpcEmptyState *self = WPC_EMPTY_STATE (object);

  if (self->network_monitor != NULL)
    g_signal_handlers_disconnect_by_func (self->network_monitor, on_network_changed, self);
  g_clear_object (&self->network_monitor);

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_EMPTY_STATE);

  G_OBJECT_CLASS (wpc_empty_state_parent_class)->dispose (object);
}

static void
wpc_empty_state_finalize (GObject *object)
{
  WpcEmptyState *self = WPC_EMPTY_STATE (object);

  g_clear_pointer (&self->sdlp_urls, g_strfreev);
  g_clear_pointer (&self->bind_address, g_free);

  G_OBJECT_CLASS (wpc_empty_state_parent_class)->finalize (object);
}

static void
wpc_empty_state_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  WpcEmptyState *self = WPC_EMPTY_STATE (object);

  switch (prop_id)
    {
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

static void
wpc_empty_state_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  WpcEmptyState *self = WPC_EMPTY_STATE (object);

  switch (prop_id)
    {
    case PROP_PORT:
      wpc_empty_state_set_port (self, g_value_get_uint (value));
      break;
    case PROP_SECURE_PORT:
      wpc_empty_state_set_secure_port (self, g_value_get_uint (value));
      break;
    case PROP_BIND_ADDRESS:
      wpc_empty_state_set_bind_address (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_empty_state_class_init (WpcEmptyStateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_empty_state_dispose;
  object_class->finalize = wpc_empty_state_finalize;
  object_class->get_property = wpc_empty_state_get_property;
  object_class->set_property = wpc_empty_state_set_property;

  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 1, G_MAXUINT16, DEFAULT_PORT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECURE_PORT] =
    g_param_spec_uint ("secure-port", NULL, NULL, 1, G_MAXUINT16, DEFAULT_SECURE_PORT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BIND_ADDRESS] =
    g_param_spec_string ("bind-address", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-empty-state.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcEmptyState, status_page);
  gtk_widget_class_bind_template_child (widget_class, WpcEmptyState, address_box);
  gtk_widget_class_bind_template_child (widget_class, WpcEmptyState, ports_label);

  gtk_widget_class_install_action (widget_class, "empty-state.copy", "s", copy_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "wpc-empty-state");
}

static void
wpc_empty_state_init (WpcEmptyState *self)
{
  self->port = DEFAULT_PORT;
  self->secure_port = DEFAULT_SECURE_PORT;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->network_monitor = g_object_ref (g_network_monitor_get_default ());
  g_signal_connect (self->network_monitor, "network-changed",
                    G_CALLBACK (on_network_changed), self);

  update_addresses (self);
  update_ports (self);
}

GtkWidget *
wpc_empty_state_new (void)
{
  return g_object_new (WPC_TYPE_EMPTY_STATE, NULL);
}

guint
wpc_empty_state_get_port (WpcEmptyState *self)
{
  g_return_val_if_fail (WPC_IS_EMPTY_STATE (self), 0);
  return self->port;
}

/**
 * wpc_empty_state_set_port:
 * @port: the Default Mode port, the one that goes into DHCP option 43
 */
void
wpc_empty_state_set_port (WpcEmptyState *self,
                          guint          port)
{
  g_return_if_fail (WPC_IS_EMPTY_STATE (self));
  g_return_if_fail (port > 0 && port <= G_MAXUINT16);

  if (self->port != port)
    {
      self->port = port;
      update_addresses (self);
      update_ports (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
    }
}

guint
wpc_empty_state_get_secure_port (WpcEmptyState *self)
{
  g_return_val_if_fail (WPC_IS_EMPTY_STATE (self), 0);
  return self->secure_port;
}

void
wpc_empty_state_set_secure_port (WpcEmptyState *self,
                                 guint          secure_port)
{
  g_return_if_fail (WPC_IS_EMPTY_STATE (self));
  g_return_if_fail (secure_port > 0 && secure_port <= G_MAXUINT16);

  if (self->secure_port != secure_port)
    {
      self->secure_port = secure_port;
      update_ports (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECURE_PORT]);
    }
}

const char *
wpc_empty_state_get_bind_address (WpcEmptyState *self)
{
  g_return_val_if_fail (WPC_IS_EMPTY_STATE (self), NULL);
  return self->bind_address;
}

/**
 * wpc_empty_state_set_bind_address:
 * @bind_address: (nullable): the listening-address setting; empty or %NULL for all
 */
void
wpc_empty_state_set_bind_address (WpcEmptyState *self,
                                  const char    *bind_address)
{
  g_return_if_fail (WPC_IS_EMPTY_STATE (self));

  if (g_strcmp0 (self->bind_address, bind_address) != 0)
    {
      g_free (self->bind_address);
      self->bind_address = g_strdup (bind_address);
      update_addresses (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BIND_ADDRESS]);
    }
}

/**
 * wpc_empty_state_get_sdlp_urls:
 *
 * The DHCP option 43 values shown, one per reachable address; empty when there is none
 * or the listening address is invalid.
 *
 * Returns: (transfer none): the URLs
 */
const char * const *
wpc_empty_state_get_sdlp_urls (WpcEmptyState *self)
{
  g_return_val_if_fail (WPC_IS_EMPTY_STATE (self), NULL);
  return (const char * const *) self->sdlp_urls;
}
