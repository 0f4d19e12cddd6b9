/* wpc-preferences-window.c: the Preferences window, bound to the console's GSettings
 *
 * Most controls are bound to their key, so changes apply at once. Spin button ranges
 * come from the schema so they cannot disagree with it.
 *
 * The ports and the listening address are the exception: the service moves as soon as
 * they change, and phones provisioned for the old port do not follow. So they are plain
 * entries (no spin button a mouse wheel could turn), edits stay pending until Apply,
 * Revert shows the values in use again, and Apply first says how many phones last
 * reached the console on a port that changes. Values that are no port or no IP address
 * are never written; the problem is shown under the group.
 *
 * An AdwPreferencesWindow (issue 12 §1): pages Network, Secure Mode, Traffic and Rollout,
 * a row a setting, searchable; confirmations are AdwMessageDialogs.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-confirm-dialog.h"
#include "wpc-accessible.h"
#include "wpc-preferences-window.h"
#include "wpi-contact.h"
#include "wpi-phone.h"
#include "wpi-pki.h"

struct _WpcPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GtkEntry             *port;
  GtkEntry             *secure_port;
  GtkEntry             *bind_address;
  GtkSpinButton        *pin_length;
  AdwActionRow         *ca_row;
  GtkWidget            *ca_error_icon;
  GtkSpinButton        *contact_me_initial_backoff;
  GtkSpinButton        *contact_me_max_backoff;
  AdwEntryRow          *contact_me_allow;
  GtkSpinButton        *max_flows;
  GtkSpinButton        *sweep_rate;
  GtkSwitch            *sweep_allow_public;
  GtkSpinButton        *traffic_retention_days;
  GtkSpinButton        *traffic_max_megabytes;
  GtkSwitch            *reveal_secrets_allowed;
  AdwEntryRow          *tls_keylog;
  GtkLabel             *tls_keylog_problem;
  GtkLabel             *network_problem;
  GtkLabel             *backoff_problem;
  GtkLabel             *contact_allow_problem;

  GSettings            *settings;
  GListModel           *phones;          /* WpiPhone, the service's; NULL: none known */
  GtkFileChooserNative *ca_chooser;
  GtkWidget            *apply_dialog;    /* borrowed: destroys itself on response */
  gboolean              network_edited;  /* the fields differ from the settings */
  char                 *ca_error;   /* why the console could not use ca-import-path */
};

G_DEFINE_FINAL_TYPE (WpcPreferencesWindow, wpc_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_valid_bind_address (const char *text)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  g_autoptr(GInetAddress) address = NULL;

  if (trimmed[0] == '\0')
    return TRUE;

  address = g_inet_address_new_from_string (trimmed);
  return address != NULL;
}

/* A port as typed: digits only, 1-65535 */
static gboolean
parse_port (const char *text,
            guint      *port)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text));
  guint64 value;

  if (!g_ascii_string_to_unsigned (trimmed, 10, 1, 65535, &value, NULL))
    return FALSE;
  *port = (guint) value;
  return TRUE;
}

static void
set_invalid (GtkWidget *widget,
             gboolean   invalid)
{
  if (invalid)
    gtk_widget_add_css_class (widget, "error");
  else
    gtk_widget_remove_css_class (widget, "error");
  gtk_accessible_update_state (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_STATE_INVALID,
                               invalid ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE,
                               -1);
}

static void
show_problem (GtkLabel   *label,
              const char *problem)
{
  gtk_widget_set_visible (GTK_WIDGET (label), problem != NULL);
  gtk_label_set_text (label, problem != NULL ? problem : "");
}

/* The problem with the network fields as typed, or NULL when they can be applied */
static char *
network_problem (WpcPreferencesWindow *self)
{
  const char *address = gtk_editable_get_text (GTK_EDITABLE (self->bind_address));
  guint port = 0;
  guint secure_port = 0;
  gboolean port_valid = parse_port (gtk_editable_get_text (GTK_EDITABLE (self->port)), &port);
  gboolean secure_port_valid = parse_port (gtk_editable_get_text (GTK_EDITABLE (self->secure_port)), &secure_port);
  gboolean address_valid = is_valid_bind_address (address);

  set_invalid (GTK_WIDGET (self->port), !port_valid);
  set_invalid (GTK_WIDGET (self->secure_port), !secure_port_valid);
  set_invalid (GTK_WIDGET (self->bind_address), !address_valid);

  if (!port_valid || !secure_port_valid)
    return g_strdup (_("A port is a number from 1 to 65535. The console keeps listening on "
                       "the previous ports."));
  if (!address_valid)
    return g_strdup_printf (_("“%s” is not an IP address. The console keeps "
                              "listening on the previous address."),
                            address);
  if (port == secure_port)
    return g_strdup (_("The Default Mode port and the Secure Mode port must differ."));
  return NULL;
}

/* TRUE when a network field differs from its setting */
static gboolean
network_pending (WpcPreferencesWindow *self)
{
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->bind_address))));
  g_autofree char *address_setting = g_settings_get_string (self->settings, "bind-address");
  guint port = 0;
  guint secure_port = 0;

  if (!parse_port (gtk_editable_get_text (GTK_EDITABLE (self->port)), &port) ||
      !parse_port (gtk_editable_get_text (GTK_EDITABLE (self->secure_port)), &secure_port))
    return TRUE;
  return port != g_settings_get_uint (self->settings, "port") ||
         secure_port != g_settings_get_uint (self->settings, "secure-port") ||
         !g_str_equal (address, address_setting);
}

static void
update_problems (WpcPreferencesWindow *self)
{
  g_autofree char *problem = network_problem (self);
  gboolean pending = network_pending (self);

  self->network_edited = pending;
  show_problem (self->network_problem, problem);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.apply-network", pending && problem == NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.revert-network", pending);

  if (gtk_spin_button_get_value_as_int (self->contact_me_initial_backoff) >
      gtk_spin_button_get_value_as_int (self->contact_me_max_backoff))
    show_problem (self->backoff_problem,
                  _("The first retry waits longer than the longest wait, so every retry "
                    "waits the longest wait."));
  else
    show_problem (self->backoff_problem, NULL);
}

/* D19: the ranges as typed, commas or spaces between them. NULL, and in *bad the first
 * that is no range, when one does not parse. */
static GStrv
parse_contact_allow (const char  *text,
                     char       **bad)
{
  g_auto(GStrv) words = g_strsplit_set (text, ", \t\n", -1);
  g_autoptr(GStrvBuilder) ranges = g_strv_builder_new ();

  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autoptr(GInetAddressMask) mask = NULL;

      if (words[i][0] == '\0')
        continue;
      mask = wpi_contact_range_parse (words[i], NULL);
      if (mask == NULL)
        {
          if (bad != NULL)
            *bad = g_strdup (words[i]);
          return NULL;
        }
      g_strv_builder_add (ranges, words[i]);
    }
  return g_strv_builder_end (ranges);
}

/* Checked as typed; saved on Enter or when the field loses focus, never half-typed (a
 * prefix such as "10.0.0.0/1" on the way to "/16" would open a far wider range). */
static GStrv
check_contact_allow (WpcPreferencesWindow *self)
{
  g_autofree char *bad = NULL;
  g_auto(GStrv) ranges = parse_contact_allow (gtk_editable_get_text (GTK_EDITABLE (self->contact_me_allow)), &bad);
  g_autofree char *problem = NULL;

  set_invalid (GTK_WIDGET (self->contact_me_allow), ranges == NULL);
  if (ranges == NULL)
    problem = g_strdup_printf (_("“%s” is not an address range such as 192.168.1.0/24 or "
                                 "fd00::/64. Contact-me requests keep to the ranges saved before."),
                               bad);
  show_problem (self->contact_allow_problem, problem);
  return g_steal_pointer (&ranges);
}

static void
on_contact_allow_changed (WpcPreferencesWindow *self)
{
  g_strfreev (check_contact_allow (self));
}

static void
save_contact_allow (WpcPreferencesWindow *self)
{
  g_auto(GStrv) ranges = check_contact_allow (self);
  g_auto(GStrv) saved = g_settings_get_strv (self->settings, "contact-me-allow");

  if (ranges != NULL && !g_strv_equal ((const char * const *) ranges, (const char * const *) saved))
    g_settings_set_strv (self->settings, "contact-me-allow", (const char * const *) ranges);
}

/* The TLS key log (D30) takes effect when the path is entered (Enter or leaving the
 * field), never while it is typed: each half-typed path would be a file made 0600. */
static void
save_tls_keylog (WpcPreferencesWindow *self)
{
  g_autofree char *typed = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->tls_keylog))));
  g_autofree char *saved = g_settings_get_string (self->settings, "tls-keylog-path");

  if (!g_str_equal (typed, saved))
    g_settings_set_string (self->settings, "tls-keylog-path", typed);
}

static void
load_tls_keylog (WpcPreferencesWindow *self)
{
  g_autofree char *saved = g_settings_get_string (self->settings, "tls-keylog-path");

  if (!g_str_equal (saved, gtk_editable_get_text (GTK_EDITABLE (self->tls_keylog))))
    gtk_editable_set_text (GTK_EDITABLE (self->tls_keylog), saved);
}

/* The saved ranges, unless what is typed already says the same */
static void
load_contact_allow (WpcPreferencesWindow *self)
{
  g_auto(GStrv) saved = g_settings_get_strv (self->settings, "contact-me-allow");
  g_auto(GStrv) typed = parse_contact_allow (gtk_editable_get_text (GTK_EDITABLE (self->contact_me_allow)), NULL);
  g_autofree char *text = NULL;

  if (typed != NULL && g_strv_equal ((const char * const *) typed, (const char * const *) saved))
    return;
  text = g_strjoinv (", ", saved);
  gtk_editable_set_text (GTK_EDITABLE (self->contact_me_allow), text);
}

/* The CA row's subtitle says which CA signs, or why a file cannot be used */
static void
show_ca_status (WpcPreferencesWindow *self,
                const char           *text,
                gboolean              error)
{
  adw_action_row_set_subtitle (self->ca_row, text);
  /* A hidden prefix would still indent the title: the icon is there only with an error */
  if (error && gtk_widget_get_parent (self->ca_error_icon) == NULL)
    adw_action_row_add_prefix (self->ca_row, self->ca_error_icon);
  else if (!error && gtk_widget_get_parent (self->ca_error_icon) != NULL)
    adw_action_row_remove (self->ca_row, self->ca_error_icon);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->ca_row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
}

static void
update_ca (WpcPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "ca-import-path");
  gboolean imported = path[0] != '\0';

  if (self->ca_error != NULL)
    {
      g_autofree char *text = NULL;

      /* Translators: %s says why the CA file could not be used */
      text = g_strdup_printf (_("%s. Phone certificates are still issued by the CA used before."),
                              self->ca_error);
      show_ca_status (self, text, TRUE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.clear-ca", imported);
      return;
    }

  if (imported)
    {
      g_autofree char *text = NULL;

      /* Translators: %s is a file name */
      text = g_strdup_printf (_("Phone certificates are issued by the CA in %s"), path);
      show_ca_status (self, text, FALSE);
    }
  else
    show_ca_status (self, _("Phone certificates are issued by the console’s own CA"), FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "preferences.clear-ca", imported);
}

static void
on_ca_chooser_response (GtkNativeDialog      *chooser,
                        int                   response,
                        WpcPreferencesWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      g_autoptr(GError) error = NULL;

      /* A file that cannot sign is refused here, and the setting keeps its value */
      if (path != NULL && !wpi_pki_check_ca_file (path, &error))
        show_ca_status (self, error->message, TRUE);
      else if (path != NULL)
        g_settings_set_string (self->settings, "ca-import-path", path);
      else
        show_ca_status (self, _("Only a file on this computer can be imported."), TRUE);
    }

  g_clear_object (&self->ca_chooser);
}

static void
import_ca_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  WpcPreferencesWindow *self = WPC_PREFERENCES_WINDOW (widget);
  g_autoptr(GtkFileFilter) pem_filter = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all_filter = gtk_file_filter_new ();

  if (self->ca_chooser != NULL)
    return;

  self->ca_chooser = gtk_file_chooser_native_new (_("Import CA"), GTK_WINDOW (self),
                                                  GTK_FILE_CHOOSER_ACTION_OPEN,
                                                  _("_Import"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->ca_chooser), TRUE);

  gtk_file_filter_set_name (pem_filter, _("PEM certificates and keys"));
  gtk_file_filter_add_mime_type (pem_filter, "application/x-pem-file");
  gtk_file_filter_add_mime_type (pem_filter, "application/x-x509-ca-cert");
  gtk_file_filter_add_suffix (pem_filter, "pem");
  gtk_file_filter_add_suffix (pem_filter, "crt");
  gtk_file_filter_add_suffix (pem_filter, "key");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_chooser), pem_filter);

  gtk_file_filter_set_name (all_filter, _("All files"));
  gtk_file_filter_add_pattern (all_filter, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->ca_chooser), all_filter);

  g_signal_connect (self->ca_chooser, "response", G_CALLBACK (on_ca_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->ca_chooser));
}

static void
clear_ca_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  WpcPreferencesWindow *self = WPC_PREFERENCES_WINDOW (widget);

  g_settings_reset (self->settings, "ca-import-path");
}

/* Network: pending until Apply ----------------------------------------------------- */

static void
set_port_text (GtkEntry *entry,
               guint     port)
{
  g_autofree char *text = g_strdup_printf ("%u", port);

  gtk_editable_set_text (GTK_EDITABLE (entry), text);
}

/* Shows the values in use, dropping what was typed */
static void
load_network (WpcPreferencesWindow *self)
{
  g_autofree char *address = g_settings_get_string (self->settings, "bind-address");

  set_port_text (self->port, g_settings_get_uint (self->settings, "port"));
  set_port_text (self->secure_port, g_settings_get_uint (self->settings, "secure-port"));
  gtk_editable_set_text (GTK_EDITABLE (self->bind_address), address);
  update_problems (self);
}

/* A key changed elsewhere (wpictl, another window): show it, unless the user is editing */
static void
on_network_setting_changed (WpcPreferencesWindow *self)
{
  if (!self->network_edited && self->apply_dialog == NULL)
    load_network (self);
  else
    update_problems (self);
}

/* Phones whose provisioning points at the listener of mode (Default Mode: port, Secure
 * Mode: secure-port): those that have reached the console at least once. */
static guint
count_phones (WpcPreferencesWindow *self,
              WpiPhoneMode          mode)
{
  guint n = self->phones != NULL ? g_list_model_get_n_items (self->phones) : 0;
  guint count = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (self->phones, i);

      if (wpi_phone_get_mode (phone) == mode && wpi_phone_get_last_contact (phone) > 0)
        count++;
    }
  return count;
}

static void
append_lost_phones (GString    *text,
                    guint       count,
                    guint       port)
{
  if (count == 0)
    return;
  if (text->len > 0)
    g_string_append_c (text, ' ');
  /* Translators: e.g. "3 phones are configured for port 18443 and will not reach the
   * console until they are re-pointed." */
  g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE,
                                             "%u phone is configured for port %u and will not reach "
                                             "the console until it is re-pointed.",
                                             "%u phones are configured for port %u and will not reach "
                                             "the console until they are re-pointed.", count),
                          count, port);
}

/* What Apply would cost, or NULL when no phone is known to use a port that changes */
static char *
describe_lost_phones (WpcPreferencesWindow *self,
                      guint                 port,
                      guint                 secure_port)
{
  guint old_port = g_settings_get_uint (self->settings, "port");
  guint old_secure_port = g_settings_get_uint (self->settings, "secure-port");
  GString *text = g_string_new (NULL);

  if (port != old_port)
    append_lost_phones (text, count_phones (self, WPI_PHONE_MODE_DEFAULT), old_port);
  if (secure_port != old_secure_port)
    append_lost_phones (text, count_phones (self, WPI_PHONE_MODE_SECURE), old_secure_port);
  if (text->len == 0)
    return g_string_free (text, TRUE);
  g_string_append (text, "\n\n");
  g_string_append (text, _("Change their provisioning address (DHCP option 43 or the phone’s "
                           "web pages) to the new port."));
  return g_string_free (text, FALSE);
}

static void
write_network (WpcPreferencesWindow *self)
{
  g_autofree char *address = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->bind_address))));
  guint port;
  guint secure_port;

  if (!parse_port (gtk_editable_get_text (GTK_EDITABLE (self->port)), &port) ||
      !parse_port (gtk_editable_get_text (GTK_EDITABLE (self->secure_port)), &secure_port) ||
      !is_valid_bind_address (address))
    return;
  g_settings_set_uint (self->settings, "port", port);
  g_settings_set_uint (self->settings, "secure-port", secure_port);
  g_settings_set_string (self->settings, "bind-address", address);
  load_network (self);
}

static void
on_apply_dialog_response (AdwMessageDialog     *dialog,
                          const char           *response,
                          WpcPreferencesWindow *self)
{
  /* It closes itself */
  self->apply_dialog = NULL;
  if (g_str_equal (response, "apply"))
    write_network (self);
  else
    update_problems (self);
}

static void
apply_network_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WpcPreferencesWindow *self = WPC_PREFERENCES_WINDOW (widget);
  g_autofree char *problem = network_problem (self);
  g_autofree char *lost = NULL;
  guint port;
  guint secure_port;
  AdwMessageDialog *dialog;

  if (problem != NULL || self->apply_dialog != NULL ||
      !parse_port (gtk_editable_get_text (GTK_EDITABLE (self->port)), &port) ||
      !parse_port (gtk_editable_get_text (GTK_EDITABLE (self->secure_port)), &secure_port))
    return;
  lost = describe_lost_phones (self, port, secure_port);
  if (lost == NULL)
    {
      write_network (self);
      return;
    }

  dialog = ADW_MESSAGE_DIALOG (wpc_confirm_dialog_new (GTK_WINDOW (self), "network-apply-dialog",
                                                      _("Move the Console to Other Ports?"), lost,
                                                      "apply", _("_Apply"), ADW_RESPONSE_DESTRUCTIVE));
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_apply_dialog_response), self, 0);
  self->apply_dialog = GTK_WIDGET (dialog);
  gtk_widget_action_set_enabled (widget, "preferences.apply-network", FALSE);
  gtk_window_present (GTK_WINDOW (self->apply_dialog));
}

static void
revert_network_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  load_network (WPC_PREFERENCES_WINDOW (widget));
}

static void
bind_spin_button (WpcPreferencesWindow *self,
                  GtkSpinButton        *spin_button,
                  const char           *key)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaKey) schema_key = NULL;
  g_autoptr(GVariant) range = NULL;
  g_autoptr(GVariant) limits = NULL;
  const char *range_type = NULL;
  guint32 min;
  guint32 max;

  g_object_get (self->settings, "settings-schema", &schema, NULL);
  schema_key = g_settings_schema_get_key (schema, key);
  range = g_settings_schema_key_get_range (schema_key);
  g_variant_get (range, "(&sv)", &range_type, &limits);

  /* Every spin button key is a ranged "u" in the schema; say so loudly if that changes. */
  g_return_if_fail (g_str_equal (range_type, "range"));
  g_return_if_fail (g_variant_is_of_type (limits, G_VARIANT_TYPE ("(uu)")));
  g_variant_get (limits, "(uu)", &min, &max);

  gtk_spin_button_set_range (spin_button, min, max);
  g_settings_bind (self->settings, key,
                   gtk_spin_button_get_adjustment (spin_button), "value",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
wpc_preferences_window_constructed (GObject *object)
{
  WpcPreferencesWindow *self = WPC_PREFERENCES_WINDOW (object);
  GtkEventController *focus;

  G_OBJECT_CLASS (wpc_preferences_window_parent_class)->constructed (object);

  if (self->settings == NULL)
    self->settings = g_settings_new (WPC_APP_ID);

  bind_spin_button (self, self->pin_length, "pin-length");
  bind_spin_button (self, self->contact_me_initial_backoff, "contact-me-initial-backoff");
  bind_spin_button (self, self->contact_me_max_backoff, "contact-me-max-backoff");
  bind_spin_button (self, self->traffic_retention_days, "traffic-retention-days");
  bind_spin_button (self, self->max_flows, "max-flows");
  bind_spin_button (self, self->traffic_max_megabytes, "traffic-max-megabytes");
  bind_spin_button (self, self->sweep_rate, "sweep-rate");
  g_settings_bind (self->settings, "sweep-allow-public", self->sweep_allow_public, "active",
                   G_SETTINGS_BIND_DEFAULT);

  g_settings_bind (self->settings, "reveal-secrets-allowed",
                   self->reveal_secrets_allowed, "active",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->settings, "changed::ca-import-path",
                           G_CALLBACK (update_ca), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->bind_address, "changed",
                           G_CALLBACK (update_problems), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->port, "changed",
                           G_CALLBACK (update_problems), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->secure_port, "changed",
                           G_CALLBACK (update_problems), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::port",
                           G_CALLBACK (on_network_setting_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::secure-port",
                           G_CALLBACK (on_network_setting_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::bind-address",
                           G_CALLBACK (on_network_setting_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->contact_me_initial_backoff, "value-changed",
                           G_CALLBACK (update_problems), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->contact_me_max_backoff, "value-changed",
                           G_CALLBACK (update_problems), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->contact_me_allow, "changed",
                           G_CALLBACK (on_contact_allow_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->contact_me_allow, "entry-activated",
                           G_CALLBACK (save_contact_allow), self, G_CONNECT_SWAPPED);
  focus = gtk_event_controller_focus_new ();
  g_signal_connect_object (focus, "leave", G_CALLBACK (save_contact_allow), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->contact_me_allow), focus);
  g_signal_connect_object (self->settings, "changed::contact-me-allow",
                           G_CALLBACK (load_contact_allow), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->tls_keylog, "entry-activated", G_CALLBACK (save_tls_keylog), self, G_CONNECT_SWAPPED);
  focus = gtk_event_controller_focus_new ();
  g_signal_connect_object (focus, "leave", G_CALLBACK (save_tls_keylog), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->tls_keylog), focus);
  g_signal_connect_object (self->settings, "changed::tls-keylog-path",
                           G_CALLBACK (load_tls_keylog), self, G_CONNECT_SWAPPED);

  update_ca (self);
  load_network (self);
  load_contact_allow (self);
  load_tls_keylog (self);
}

static void
wpc_preferences_window_dispose (GObject *object)
{
  WpcPreferencesWindow *self = WPC_PREFERENCES_WINDOW (object);

  if (self->ca_chooser != NULL)
    {
      g_signal_handlers_disconnect_by_func (self->ca_chooser, on_ca_chooser_response, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->ca_chooser));
      g_clear_object (&self->ca_chooser);
    }

  if (self->apply_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->apply_dialog)));
  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->settings);
  g_clear_object (&self->phones);
  g_clear_pointer (&self->ca_error, g_free);
  g_clear_object (&self->ca_error_icon);

  G_OBJECT_CLASS (wpc_preferences_window_parent_class)->dispose (object);
}

static void
wpc_preferences_window_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  WpcPreferencesWindow *self = WPC_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_preferences_window_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  WpcPreferencesWindow *self = WPC_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_preferences_window_class_init (WpcPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = wpc_preferences_window_constructed;
  object_class->dispose = wpc_preferences_window_dispose;
  object_class->get_property = wpc_preferences_window_get_property;
  object_class->set_property = wpc_preferences_window_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, port);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, secure_port);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, bind_address);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, pin_length);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, ca_row);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, contact_me_initial_backoff);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, contact_me_max_backoff);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, traffic_retention_days);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, traffic_max_megabytes);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, reveal_secrets_allowed);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, network_problem);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, backoff_problem);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, contact_me_allow);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, tls_keylog);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, tls_keylog_problem);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, contact_allow_problem);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, max_flows);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, sweep_rate);
  gtk_widget_class_bind_template_child (widget_class, WpcPreferencesWindow, sweep_allow_public);

  gtk_widget_class_install_action (widget_class, "preferences.import-ca", NULL, import_ca_action);
  gtk_widget_class_install_action (widget_class, "preferences.clear-ca", NULL, clear_ca_action);
  gtk_widget_class_install_action (widget_class, "preferences.apply-network", NULL, apply_network_action);
  gtk_widget_class_install_action (widget_class, "preferences.revert-network", NULL, revert_network_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "window.close", NULL);
}

static void
wpc_preferences_window_init (WpcPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));
  self->ca_error_icon = g_object_ref_sink (gtk_image_new_from_icon_name ("dialog-warning-symbolic"));
  gtk_widget_add_css_class (self->ca_error_icon, "error");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->ca_error_icon), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Error"), -1);
}

/**
 * wpc_preferences_window_new:
 * @settings: (nullable): the settings to edit; %NULL for the console's own
 */
GtkWidget *
wpc_preferences_window_new (GSettings *settings)
{
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (WPC_TYPE_PREFERENCES_WINDOW, "settings", settings, NULL);
}

GSettings *
wpc_preferences_window_get_settings (WpcPreferencesWindow *self)
{
  g_return_val_if_fail (WPC_IS_PREFERENCES_WINDOW (self), NULL);
  return self->settings;
}

/**
 * wpc_preferences_window_set_phones:
 * @phones: (nullable): the service's model of WpiPhone
 *
 * The phones that Apply counts when a port changes.
 */
void
wpc_preferences_window_set_phones (WpcPreferencesWindow *self,
                                   GListModel           *phones)
{
  g_return_if_fail (WPC_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (phones == NULL || G_IS_LIST_MODEL (phones));

  g_set_object (&self->phones, phones);
}

/* The console could not use ca-import-path (NULL: it could): said under the CA row
 * until the key changes and the console tells again. */
void
wpc_preferences_window_set_ca_error (WpcPreferencesWindow *self,
                                     const GError         *error)
{
  g_return_if_fail (WPC_IS_PREFERENCES_WINDOW (self));

  g_clear_pointer (&self->ca_error, g_free);
  if (error != NULL)
    self->ca_error = g_strdup (error->message);
  update_ca (self);
}

/* The console could not write the key log of tls-keylog-path (NULL: it could, or it is
 * off): said under the key log row (D30). */
void
wpc_preferences_window_set_tls_keylog_error (WpcPreferencesWindow *self,
                                             const GError         *error)
{
  g_return_if_fail (WPC_IS_PREFERENCES_WINDOW (self));

  gtk_label_set_text (self->tls_keylog_problem, error != NULL ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->tls_keylog_problem), error != NULL);
}
