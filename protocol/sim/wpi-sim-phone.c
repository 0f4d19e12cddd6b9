/* wpi-sim-phone.c: one simulated OpenStage phone: the object, its state, the public API
 *
 * The other parts are wpi-sim-phone-flows.c, -secure.c, -downloads.c and -listener.c
 * (wpi-sim-phone-private.h).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "wpi-bundle.h"
#include "wpi-sim-enums.h"
#include "wpi-sim-phone-private.h"

enum {
  FLOW_STARTED,
  FLOW_FINISHED,
  DOWNLOAD_FINISHED,
  PIN_REQUESTED,
  PIN_ENTERED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WpiSimPhone, wpi_sim_phone, G_TYPE_OBJECT)
G_DEFINE_QUARK (wpi-sim-phone-error-quark, wpi_sim_phone_error)

static void phone_schedule_calls    (WpiSimPhone *self);
static void phone_schedule_periodic (WpiSimPhone *self);

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                            */

static const char * const device_types[] = {
  "OpenStage 15", "OpenStage 20", "OpenStage 40", "OpenStage 60", "OpenStage 80",
  "OpenScape Desk Phone CP400", "OpenScape Desk Phone CP600", NULL,
};

const char * const *
wpi_sim_device_types (void)
{
  return device_types;
}

gboolean
wpi_sim_firmware_from_string (const char      *name,
                              WpiSimFirmware  *firmware,
                              GError         **error)
{
  g_return_val_if_fail (name != NULL, FALSE);

  if (g_ascii_strcasecmp (name, "v1") == 0)
    *firmware = WPI_SIM_FIRMWARE_V1;
  else if (g_ascii_strcasecmp (name, "v2r2") == 0)
    *firmware = WPI_SIM_FIRMWARE_V2R2;
  else if (g_ascii_strcasecmp (name, "v3r3") == 0)
    *firmware = WPI_SIM_FIRMWARE_V3R3;
  else
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
                   "unknown firmware \"%s\" (expected v1, v2r2 or v3r3)", name);
      return FALSE;
    }
  return TRUE;
}

const char *
wpi_sim_firmware_to_version (WpiSimFirmware firmware)
{
  switch (firmware)
    {
    case WPI_SIM_FIRMWARE_V1:   return "V1 R4.9.0";
    case WPI_SIM_FIRMWARE_V2R2: return "V2 R2.30.0";
    case WPI_SIM_FIRMWARE_V3R3: return "V3 R5.12.0";
    default:                    g_return_val_if_reached (NULL);
    }
}

static gboolean
parse_number (const char *str,
              guint64     max,
              guint64    *out)
{
  return g_ascii_string_to_unsigned (str, 10, 0, max, out, NULL);
}

char *
wpi_sim_software_version_from_file_version (const char  *file_version,
                                            GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 numbers[4];

  g_return_val_if_fail (file_version != NULL, NULL);

  parts = g_strsplit (file_version, ".", -1);
  if (g_strv_length (parts) != 4)
    goto invalid;
  for (guint i = 0; i < 4; i++)
    if (!parse_number (parts[i], 9999, &numbers[i]))
      goto invalid;

  return g_strdup_printf ("V%" G_GUINT64_FORMAT " R%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT
                          ".%" G_GUINT64_FORMAT, numbers[0], numbers[1], numbers[2], numbers[3]);

invalid:
  g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
               "\"%s\" is not a file-sw-version like 3.5.12.0", file_version);
  return NULL;
}

/* "V3 R5.12.0" -> 305, so behaviour follows the running firmware, even after an upgrade. */
static guint
software_generation (const char *version)
{
  guint64 major = 0, release = 0;
  g_auto(GStrv) words = NULL;

  if (version == NULL)
    return 0;
  words = g_strsplit (version, " ", 2);
  if (g_strv_length (words) != 2 || (words[0][0] != 'V' && words[0][0] != 'v') ||
      (words[1][0] != 'R' && words[1][0] != 'r'))
    return 0;
  if (!parse_number (words[0] + 1, 99, &major))
    return 0;
  {
    g_autofree char *release_str = g_strndup (words[1] + 1, strcspn (words[1] + 1, "."));
    if (!parse_number (release_str, 99, &release))
      return 0;
  }
  return (guint) (major * 100 + release);
}

char *
wpi_sim_mac_add (const char  *base_mac,
                 guint64      offset,
                 GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 value = 0;

  g_return_val_if_fail (base_mac != NULL, NULL);

  parts = g_strsplit (base_mac, ":", -1);
  if (g_strv_length (parts) != 6)
    goto invalid;
  for (guint i = 0; i < 6; i++)
    {
      guint64 byte;

      if (strlen (parts[i]) != 2 || !g_ascii_string_to_unsigned (parts[i], 16, 0, 255, &byte, NULL))
        goto invalid;
      value = (value << 8) | byte;
    }
  if (offset > G_GUINT64_CONSTANT (0xFFFFFFFFFFFF) - value)
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
                   "%s + %" G_GUINT64_FORMAT " is past the last MAC address", base_mac, offset);
      return NULL;
    }
  value += offset;
  return g_strdup_printf ("%02X:%02X:%02X:%02X:%02X:%02X",
                          (guint) (value >> 40) & 0xFF, (guint) (value >> 32) & 0xFF,
                          (guint) (value >> 24) & 0xFF, (guint) (value >> 16) & 0xFF,
                          (guint) (value >> 8) & 0xFF, (guint) value & 0xFF);

invalid:
  g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
               "\"%s\" is not a MAC address like 00:1A:E8:00:00:01", base_mac);
  return NULL;
}

static void
sim_file_free (SimFile *file)
{
  g_free (file->name);
  g_free (file->type);
  g_free (file->status);
  g_free (file->date);
  g_free (file->time);
  g_free (file);
}

/* Exponentially distributed, so independent phones give a Poisson stream of events. */
static double
random_exponential (GRand  *rand,
                    double  mean)
{
  return -mean * log (1.0 - g_rand_double (rand));
}

/* ---------------------------------------------------------------------------------------- */
/* Notifications and signals for the other parts                                            */

void
_wpi_sim_phone_notify (WpiSimPhone     *self,
                       WpiSimPhoneProp  prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

void
_wpi_sim_phone_emit_flow_started (WpiSimPhone *self,
                                  WpiReason    reason)
{
  g_signal_emit (self, signals[FLOW_STARTED], 0, wpi_reason_to_string (reason));
}

void
_wpi_sim_phone_emit_flow_finished (WpiSimPhone *self,
                                   WpiReason    reason,
                                   gboolean     ok,
                                   const char  *detail,
                                   guint        n_messages,
                                   gint64       duration)
{
  g_signal_emit (self, signals[FLOW_FINISHED], 0, wpi_reason_to_string (reason), ok, detail,
                 n_messages, duration);
}

void
_wpi_sim_phone_emit_download_finished (WpiSimPhone *self,
                                       const char  *name,
                                       const char  *type,
                                       gboolean     ok,
                                       const char  *error_message)
{
  g_signal_emit (self, signals[DOWNLOAD_FINISHED], 0, name, type, ok, error_message);
}

void
_wpi_sim_phone_emit_pin_requested (WpiSimPhone *self)
{
  g_signal_emit (self, signals[PIN_REQUESTED], 0);
}

void
_wpi_sim_phone_emit_pin_entered (WpiSimPhone *self,
                                 gboolean     accepted,
                                 guint        attempts_left)
{
  g_signal_emit (self, signals[PIN_ENTERED], 0, accepted, attempts_left);
}

/* ---------------------------------------------------------------------------------------- */
/* State                                                                                    */

guint
_wpi_sim_phone_get_generation (WpiSimPhone *self)
{
  return software_generation (wpi_sim_items_get_value (self->items, "software-version"));
}

void
_wpi_sim_phone_operation_begin (WpiSimPhone *self)
{
  self->n_operations++;
}

void
_wpi_sim_phone_operation_end (WpiSimPhone *self)
{
  g_assert (self->n_operations > 0);
  /* An idle phone holds no session: each one keeps two sources on the main context for
   * its life, and GLib checks every source on every iteration, so two thousand idle phones
   * waiting to retry slowed every event of the busy ones (bench-service's overload run).
   * A flow, poll or download holds its own reference until it is over. */
  if (--self->n_operations == 0)
    {
      g_clear_object (&self->session);
      g_clear_object (&self->secure_session);
    }
}

void
_wpi_sim_phone_update_state (WpiSimPhone *self)
{
  WpiSimPhoneState state;

  if (self->rebooting)
    state = WPI_SIM_PHONE_STATE_REBOOTING;
  else if (self->flow != NULL)
    state = WPI_SIM_PHONE_STATE_IN_FLOW;
  else if (self->in_call)
    state = WPI_SIM_PHONE_STATE_IN_CALL;
  else
    state = WPI_SIM_PHONE_STATE_IDLE;

  if (state != self->state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

void
_wpi_sim_phone_set_pending_solicited (WpiSimPhone *self,
                                      gboolean     pending)
{
  if (self->pending_solicited == pending)
    return;
  self->pending_solicited = pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING_SOLICITED]);
}

static char *
item_key (const char *name,
          gint64      index)
{
  if (index < 0)
    return g_strdup (name);
  return g_strdup_printf ("%s\x1F%" G_GINT64_FORMAT, name, index);
}

/* ---------------------------------------------------------------------------------------- */
/* Reboot, calls and periodic behaviour                                                     */

static void
phone_set_in_call_internal (WpiSimPhone *self,
                            gboolean     in_call)
{
  if (self->in_call == in_call)
    return;
  self->in_call = in_call;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IN_CALL]);
  _wpi_sim_phone_update_state (self);
  if (!in_call)
    _wpi_sim_phone_kick (self);
}

static gboolean
reboot_done_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->reboot_timer = 0;
  self->rebooting = FALSE;
  self->pending_startup = TRUE;
  _wpi_sim_phone_update_state (self);
  phone_schedule_calls (self);
  _wpi_sim_phone_kick (self);
  /* the PIN dialog of an unfinished bootstrap shows again */
  if (self->pin_request != NULL)
    _wpi_sim_phone_ask_pin (self);
  return G_SOURCE_REMOVE;
}

void
_wpi_sim_phone_reboot (WpiSimPhone *self,
                       gboolean     factory_reset)
{
  self->rebooting = TRUE;
  wpi_sim_timer_clear (&self->call_timer);
  self->manual_call = FALSE;
  phone_set_in_call_internal (self, FALSE);
  /* the indication is not persistent (p.72) */
  _wpi_sim_phone_set_pending_solicited (self, FALSE);
  self->pending_contact = FALSE;
  g_clear_pointer (&self->contact_target, g_free);
  self->pending_inventory = FALSE;
  /* the start-up after the reboot carries configuration-changed-flag instead */
  if (self->changed->len > 0)
    wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
  g_ptr_array_set_size (self->changed, 0);
  self->pending_local_changes = FALSE;
  self->retry_not_before = 0;
  self->n_failures = 0;
  wpi_sim_timer_clear (&self->retry_timer);

  g_cancellable_cancel (self->download_cancellable);
  g_clear_object (&self->download_cancellable);
  self->download_cancellable = g_cancellable_new ();

  wpi_sim_timer_clear (&self->pin_timer);
  if (factory_reset)
    {
      /* D15: certificate, CAs and port are gone, and any bootstrap under way */
      _wpi_sim_phone_end_pin_request (self);
      g_clear_pointer (&self->pending_clean_up, g_free);
      _wpi_sim_phone_leave_secure_mode (self);
      wpi_sim_items_factory_reset (self->items);
      g_ptr_array_set_size (self->files, 0);
      /* the service's picture of this phone is stale now */
      wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_E164]);
    }

  _wpi_sim_phone_update_state (self);
  wpi_sim_timer_clear (&self->reboot_timer);
  self->reboot_timer = wpi_sim_timer_add (self->restart_seconds, reboot_done_cb, self);
}

static gboolean
call_timer_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->call_timer = 0;
  phone_set_in_call_internal (self, !self->in_call);
  phone_schedule_calls (self);
  return G_SOURCE_REMOVE;
}

/* Random calls: each lasts about call-seconds, the pauses between them are exponential with
 * a mean that keeps busy-ratio of the time in a call. */
static void
phone_schedule_calls (WpiSimPhone *self)
{
  double delay;

  wpi_sim_timer_clear (&self->call_timer);
  if (!self->started || self->rebooting || self->manual_call ||
      self->busy_ratio <= 0 || self->call_seconds <= 0)
    return;

  if (self->in_call)
    delay = self->call_seconds * (0.9 + 0.2 * g_rand_double (self->rand));
  else if (self->busy_ratio >= 1)
    delay = 0.01;
  else
    delay = random_exponential (self->rand,
                                self->call_seconds * (1 - self->busy_ratio) / self->busy_ratio);
  self->call_timer = wpi_sim_timer_add (delay, call_timer_cb, self);
}

/* At start, busy-ratio of the phones are already in a call, part-way through it. */
static void
phone_schedule_first_call (WpiSimPhone *self)
{
  if (self->busy_ratio <= 0 || self->call_seconds <= 0 || self->manual_call)
    return;
  if (g_rand_double (self->rand) < self->busy_ratio)
    {
      phone_set_in_call_internal (self, TRUE);
      wpi_sim_timer_clear (&self->call_timer);
      self->call_timer = wpi_sim_timer_add (self->call_seconds * g_rand_double (self->rand),
                                             call_timer_cb, self);
      return;
    }
  phone_schedule_calls (self);
}

static void
phone_make_random_local_change (WpiSimPhone *self)
{
  for (guint attempt = 0; attempt < 8; attempt++)
    {
      WpiSimItem *item = wpi_sim_items_pick_changeable (self->items, self->rand);
      g_autofree char *value = NULL;

      if (item == NULL)
        return;
      value = wpi_sim_items_plausible_change (self->items, item, self->rand);
      if (value == NULL)
        continue;
      wpi_sim_phone_change_item_locally (self, item->name, item->index, value, NULL);
      return;
    }
}

static double
periodic_delay (WpiSimPhone *self,
                double       interval,
                gboolean     first)
{
  /* spread the phones out: the first event anywhere in one interval, then interval ± 50 % */
  double factor = first ? g_rand_double (self->rand) : 0.5 + g_rand_double (self->rand);

  return interval * factor;
}

static gboolean local_changes_cb (gpointer user_data);
static gboolean inventory_cb     (gpointer user_data);
static gboolean poll_cb          (gpointer user_data);

static gboolean
local_changes_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->local_changes_timer =
    wpi_sim_timer_add (periodic_delay (self, self->local_changes_interval, FALSE),
                   local_changes_cb, self);
  if (!self->rebooting)
    phone_make_random_local_change (self);
  return G_SOURCE_REMOVE;
}

static gboolean
inventory_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->inventory_timer =
    wpi_sim_timer_add (periodic_delay (self, self->inventory_changes_interval, FALSE),
                   inventory_cb, self);
  if (!self->rebooting)
    wpi_sim_phone_change_inventory (self);
  return G_SOURCE_REMOVE;
}

static gboolean
poll_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->poll_timer = wpi_sim_timer_add (periodic_delay (self, self->poll_interval, FALSE),
                                     poll_cb, self);
  wpi_sim_phone_poll_now (self);
  return G_SOURCE_REMOVE;
}

static void
phone_schedule_periodic (WpiSimPhone *self)
{
  wpi_sim_timer_clear (&self->local_changes_timer);
  wpi_sim_timer_clear (&self->inventory_timer);
  wpi_sim_timer_clear (&self->poll_timer);
  if (!self->started)
    return;

  if (self->local_changes_interval > 0)
    self->local_changes_timer =
      wpi_sim_timer_add (periodic_delay (self, self->local_changes_interval, TRUE),
                     local_changes_cb, self);
  if (self->inventory_changes_interval > 0)
    self->inventory_timer =
      wpi_sim_timer_add (periodic_delay (self, self->inventory_changes_interval, TRUE),
                     inventory_cb, self);
  if (self->poll_interval > 0)
    self->poll_timer = wpi_sim_timer_add (periodic_delay (self, self->poll_interval, TRUE),
                                       poll_cb, self);
}

/* ---------------------------------------------------------------------------------------- */
/* Identity                                                                                 */

static const char *
part_number_for (const char *device_type)
{
  static const struct { const char *type; const char *part; } parts[] = {
    { "OpenStage 15", "S30817-S7401-A101-015" },
    { "OpenStage 20", "S30817-S7402-A101-015" },
    { "OpenStage 40", "S30817-S7403-A101-015" },
    { "OpenStage 60", "S30817-S7404-A101-015" },
    { "OpenStage 80", "S30817-S7405-A101-015" },
    { "OpenScape Desk Phone CP400", "L30250-F600-C427" },
    { "OpenScape Desk Phone CP600", "L30250-F600-C428" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (strcmp (parts[i].type, device_type) == 0)
      return parts[i].part;
  return "Unknown";
}

static gboolean
has_colour_display (const char *device_type)
{
  return strstr (device_type, "60") != NULL || strstr (device_type, "80") != NULL ||
         strstr (device_type, "CP600") != NULL;
}

/* The items every phone reports about itself (items.md §3); the catalogue adds the rest. */
static void
phone_init_items (WpiSimPhone *self,
                  const char  *e164)
{
  const guint fixed = WPI_SIM_ITEM_READ_ONLY | WPI_SIM_ITEM_KEEP_ON_RESET;
  const char *version = wpi_sim_firmware_to_version (self->firmware);
  gboolean v2 = self->firmware != WPI_SIM_FIRMWARE_V1;
  gboolean big = has_colour_display (self->device_type);
  g_autofree char *host = g_inet_address_to_string (
    g_inet_socket_address_get_address (self->contact_address));

  self->items = wpi_sim_items_new ();
  wpi_sim_items_add (self->items, "device-type", -1, self->device_type, fixed);
  wpi_sim_items_add (self->items, "related-device-type", -1, self->device_type, fixed);
  wpi_sim_items_add (self->items, "software-type", -1, "Siemens SIP", fixed);
  wpi_sim_items_add (self->items, "related-software-type", -1, "Siemens SIP", fixed);
  wpi_sim_items_add (self->items, "software-version", -1, version, fixed);
  wpi_sim_items_add (self->items, "related-software-version", -1, version, fixed);
  wpi_sim_items_add (self->items, "contact-me-uri", -1, "", fixed);
  wpi_sim_items_add (self->items, "mac-addr", -1, self->mac, fixed);
  wpi_sim_items_add (self->items, "configuration-changed-flag", -1, "false", fixed);
  wpi_sim_items_add (self->items, "part-number", -1, part_number_for (self->device_type), fixed);
  wpi_sim_items_add (self->items, "sip-mobility-state", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "e164", -1, e164, 0);
  wpi_sim_items_add (self->items, "basic-e164", -1, e164, WPI_SIM_ITEM_READ_ONLY);
  if (v2)
    {
      wpi_sim_items_add (self->items, "gigabit-ethernet-enabled", -1, big ? "true" : "false",
                         fixed);
      wpi_sim_items_add (self->items, "backlight-type", -1, big ? "1" : "0", fixed);
    }
  wpi_sim_items_add (self->items, "ipaddress", -1, host, fixed);
  wpi_sim_items_add (self->items, "dls-addr", -1, g_uri_get_host (self->service), 0);
  wpi_sim_items_add (self->items, "key-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "blf-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "slk-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "km15-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  _wpi_sim_phone_set_contact_uri (self);

  /* what the firmware generation does not have at all (p.33, p.40) */
  {
    static const char * const v1_lacks[] = {
      "user-pwd-unicode", "gigabit-ethernet-enabled", "backlight-type", NULL,
    };
    static const char * const v2_lacks[] = { "gigabit-ethernet", NULL };

    wpi_sim_items_fill_from_catalogue (self->items, self->device_type,
                                       v2 ? v2_lacks : v1_lacks, self->rand);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* GObject                                                                                  */

static void
wpi_sim_phone_dispose (GObject *object)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  wpi_sim_phone_stop (self);
  g_clear_object (&self->session);
  g_clear_object (&self->secure_session);

  G_OBJECT_CLASS (wpi_sim_phone_parent_class)->dispose (object);
}

static void
wpi_sim_phone_finalize (GObject *object)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  g_free (self->mac);
  g_free (self->device_type);
  g_clear_pointer (&self->service, g_uri_unref);
  g_free (self->service_uri);
  g_clear_object (&self->contact_address);
  g_free (self->contact_uri);
  g_free (self->poll_uri);
  g_clear_pointer (&self->items, wpi_sim_items_free);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->changed, g_ptr_array_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->download_cancellable);
  g_free (self->contact_target);
  g_clear_pointer (&self->credentials, _wpi_sim_credentials_unref);
  g_clear_pointer (&self->pin_request, _wpi_sim_pin_request_free);
  g_free (self->tan);
  g_free (self->pin);
  g_free (self->pins_file);
  g_free (self->pending_clean_up);
  g_free (self->abort_reason);

  G_OBJECT_CLASS (wpi_sim_phone_parent_class)->finalize (object);
}

static void
wpi_sim_phone_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  switch (prop_id)
    {
    case PROP_MAC:                        g_value_set_string (value, self->mac); break;
    case PROP_E164:                       g_value_set_string (value, wpi_sim_phone_get_e164 (self)); break;
    case PROP_DEVICE_TYPE:                g_value_set_string (value, self->device_type); break;
    case PROP_FIRMWARE:                   g_value_set_enum (value, self->firmware); break;
    case PROP_SOFTWARE_VERSION:           g_value_set_string (value, wpi_sim_phone_get_software_version (self)); break;
    case PROP_SERVICE_URI:                g_value_set_string (value, self->service_uri); break;
    case PROP_CONTACT_ADDRESS:            g_value_set_object (value, self->contact_address); break;
    case PROP_CONTACT_URI:                g_value_set_string (value, self->contact_uri); break;
    case PROP_BIND_LOCAL:                 g_value_set_boolean (value, self->bind_local); break;
    case PROP_MAX_ITEMS:                  g_value_set_int64 (value, self->max_items); break;
    case PROP_BUSY_RATIO:                 g_value_set_double (value, self->busy_ratio); break;
    case PROP_CALL_SECONDS:               g_value_set_double (value, self->call_seconds); break;
    case PROP_LOCAL_CHANGES_INTERVAL:     g_value_set_double (value, self->local_changes_interval); break;
    case PROP_INVENTORY_CHANGES_INTERVAL: g_value_set_double (value, self->inventory_changes_interval); break;
    case PROP_IGNORE_CONTACT_RATIO:       g_value_set_double (value, self->ignore_contact_ratio); break;
    case PROP_POLL_INTERVAL:              g_value_set_double (value, self->poll_interval); break;
    case PROP_POLL_URI:                   g_value_set_string (value, self->poll_uri); break;
    case PROP_RESTART_SECONDS:            g_value_set_double (value, self->restart_seconds); break;
    case PROP_RETRY_SECONDS:              g_value_set_double (value, self->retry_seconds); break;
    case PROP_KEEP_ALIVE:                 g_value_set_boolean (value, self->keep_alive); break;
    case PROP_AWAIT_CONTACT:              g_value_set_boolean (value, self->await_contact); break;
    case PROP_STATE:                      g_value_set_enum (value, self->state); break;
    case PROP_IN_CALL:                    g_value_set_boolean (value, self->in_call); break;
    case PROP_IN_FLOW:                    g_value_set_boolean (value, self->flow != NULL); break;
    case PROP_PENDING_SOLICITED:          g_value_set_boolean (value, self->pending_solicited); break;
    case PROP_PINS_FILE:                  g_value_set_string (value, self->pins_file); break;
    case PROP_PIN_INTERVAL:               g_value_set_double (value, self->pin_interval); break;
    case PROP_BUNDLE_ITERATIONS:          g_value_set_uint (value, self->bundle_iterations); break;
    case PROP_WRONG_TAN:                  g_value_set_boolean (value, self->wrong_tan); break;
    case PROP_MODE:                       g_value_set_enum (value, self->mode); break;
    case PROP_SECURE_PORT:                g_value_set_uint (value, wpi_sim_phone_get_secure_port (self)); break;
    case PROP_AWAITING_PIN:               g_value_set_boolean (value, self->pin_request != NULL); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_sim_phone_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  switch (prop_id)
    {
    /* construct-only */
    case PROP_MAC:         self->mac = g_ascii_strup (g_value_get_string (value), -1); break;
    /* later the service changes it with WriteItems */
    case PROP_E164:        self->initial_e164 = g_value_dup_string (value); break;
    case PROP_DEVICE_TYPE: self->device_type = g_value_dup_string (value); break;
    case PROP_FIRMWARE:    self->firmware = g_value_get_enum (value); break;
    case PROP_SERVICE_URI: self->service_uri = g_value_dup_string (value); break;
    case PROP_CONTACT_ADDRESS: self->contact_address = g_value_dup_object (value); break;

    /* behaviour; the periodic ones take effect at once */
    case PROP_BIND_LOCAL:           self->bind_local = g_value_get_boolean (value); break;
    case PROP_MAX_ITEMS:            self->max_items = g_value_get_int64 (value); break;
    case PROP_CALL_SECONDS:         self->call_seconds = g_value_get_double (value); break;
    case PROP_IGNORE_CONTACT_RATIO: self->ignore_contact_ratio = g_value_get_double (value); break;
    case PROP_RESTART_SECONDS:      self->restart_seconds = g_value_get_double (value); break;
    case PROP_RETRY_SECONDS:        self->retry_seconds = g_value_get_double (value); break;
    case PROP_KEEP_ALIVE:           self->keep_alive = g_value_get_boolean (value); break;
    case PROP_AWAIT_CONTACT:        self->await_contact = g_value_get_boolean (value); break;
    case PROP_BUSY_RATIO:
      self->busy_ratio = g_value_get_double (value);
      phone_schedule_calls (self);
      break;
    case PROP_LOCAL_CHANGES_INTERVAL:
      self->local_changes_interval = g_value_get_double (value);
      phone_schedule_periodic (self);
      break;
    case PROP_INVENTORY_CHANGES_INTERVAL:
      self->inventory_changes_interval = g_value_get_double (value);
      phone_schedule_periodic (self);
      break;
    case PROP_POLL_INTERVAL:
      self->poll_interval = g_value_get_double (value);
      phone_schedule_periodic (self);
      break;
    case PROP_POLL_URI:
      g_free (self->poll_uri);
      self->poll_uri = g_value_dup_string (value);
      break;

    /* Secure Mode */
    case PROP_PINS_FILE:
      g_free (self->pins_file);
      self->pins_file = g_value_dup_string (value);
      break;
    case PROP_PIN_INTERVAL:      self->pin_interval = g_value_get_double (value); break;
    case PROP_BUNDLE_ITERATIONS: self->bundle_iterations = g_value_get_uint (value); break;
    case PROP_WRONG_TAN:         self->wrong_tan = g_value_get_boolean (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_sim_phone_constructed (GObject *object)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);
  g_autoptr(GUri) service = NULL;

  G_OBJECT_CLASS (wpi_sim_phone_parent_class)->constructed (object);

  g_assert (self->mac != NULL && self->device_type != NULL && self->service_uri != NULL);
  if (self->contact_address == NULL)
    {
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

      self->contact_address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (loopback, 0));
    }

  service = g_uri_parse (self->service_uri, G_URI_FLAGS_NONE, NULL);
  if (service == NULL)
    {
      g_critical ("wpi-sim-phone: \"%s\" is not a URI", self->service_uri);
      service = g_uri_build (G_URI_FLAGS_NONE, "https", NULL, "127.0.0.1", SIM_DEFAULT_SERVICE_PORT,
                             "", NULL, NULL);
    }
  self->service = g_steal_pointer (&service);

  /* seeded from the MAC so a run can be repeated; nonces still differ between phones */
  self->rand = g_rand_new_with_seed (g_str_hash (self->mac) ^ g_random_int ());
  phone_init_items (self, self->initial_e164 ?: "");
  g_clear_pointer (&self->initial_e164, g_free);
}

static void
wpi_sim_phone_install_properties (GObjectClass *object_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  properties[PROP_MAC] = g_param_spec_string ("mac", NULL, NULL, NULL, co);
  properties[PROP_E164] = g_param_spec_string ("e164", NULL, NULL, NULL,
                                               co | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DEVICE_TYPE] = g_param_spec_string ("device-type", NULL, NULL, NULL, co);
  properties[PROP_FIRMWARE] = g_param_spec_enum ("firmware", NULL, NULL, WPI_TYPE_SIM_FIRMWARE,
                                                 WPI_SIM_FIRMWARE_V3R3, co);
  properties[PROP_SOFTWARE_VERSION] = g_param_spec_string ("software-version", NULL, NULL, NULL, ro);
  properties[PROP_SERVICE_URI] = g_param_spec_string ("service-uri", NULL, NULL, NULL, co);
  properties[PROP_CONTACT_ADDRESS] = g_param_spec_object ("contact-address", NULL, NULL,
                                                          G_TYPE_INET_SOCKET_ADDRESS, co);
  properties[PROP_CONTACT_URI] = g_param_spec_string ("contact-uri", NULL, NULL, NULL, ro);
  properties[PROP_BIND_LOCAL] = g_param_spec_boolean ("bind-local", NULL, NULL, FALSE, rw);
  properties[PROP_MAX_ITEMS] = g_param_spec_int64 ("max-items", NULL, NULL, -1, G_MAXINT32, -1, rw);
  properties[PROP_BUSY_RATIO] = g_param_spec_double ("busy-ratio", NULL, NULL, 0, 1, 0, rw);
  properties[PROP_CALL_SECONDS] = g_param_spec_double ("call-seconds", NULL, NULL, 0, G_MAXDOUBLE,
                                                       60, rw);
  properties[PROP_LOCAL_CHANGES_INTERVAL] =
    g_param_spec_double ("local-changes-interval", NULL, NULL, 0, G_MAXDOUBLE, 0, rw);
  properties[PROP_INVENTORY_CHANGES_INTERVAL] =
    g_param_spec_double ("inventory-changes-interval", NULL, NULL, 0, G_MAXDOUBLE, 0, rw);
  properties[PROP_IGNORE_CONTACT_RATIO] =
    g_param_spec_double ("ignore-contact-ratio", NULL, NULL, 0, 1, 0, rw);
  properties[PROP_POLL_INTERVAL] = g_param_spec_double ("poll-interval", NULL, NULL, 0,
                                                        G_MAXDOUBLE, 0, rw);
  properties[PROP_POLL_URI] = g_param_spec_string ("poll-uri", NULL, NULL, NULL, rw);
  properties[PROP_RESTART_SECONDS] = g_param_spec_double ("restart-seconds", NULL, NULL, 0,
                                                          G_MAXDOUBLE, 2, rw);
  properties[PROP_RETRY_SECONDS] = g_param_spec_double ("retry-seconds", NULL, NULL, 0.001,
                                                        G_MAXDOUBLE, 10, rw);
  /* Real phones say "Connection: close" on each message (protocol.md §2.1); clients such
   * as Node's keep one connection for a whole flow (D18) */
  properties[PROP_KEEP_ALIVE] = g_param_spec_boolean ("keep-alive", NULL, NULL, FALSE, rw);
  properties[PROP_AWAIT_CONTACT] = g_param_spec_boolean ("await-contact", NULL, NULL, FALSE, rw);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, WPI_TYPE_SIM_PHONE_STATE,
                                              WPI_SIM_PHONE_STATE_IDLE, ro);
  properties[PROP_IN_CALL] = g_param_spec_boolean ("in-call", NULL, NULL, FALSE, ro);
  properties[PROP_IN_FLOW] = g_param_spec_boolean ("in-flow", NULL, NULL, FALSE, ro);
  properties[PROP_PENDING_SOLICITED] = g_param_spec_boolean ("pending-solicited", NULL, NULL,
                                                             FALSE, ro);
  /* A handout CSV (wpi-handout-csv.h: mac and pin columns) read when the phone asks for its PIN */
  properties[PROP_PINS_FILE] = g_param_spec_string ("pins-file", NULL, NULL, NULL, rw);
  properties[PROP_PIN_INTERVAL] = g_param_spec_double ("pin-interval", NULL, NULL, 0.001,
                                                       G_MAXDOUBLE, WPI_SIM_DEFAULT_PIN_INTERVAL,
                                                       rw);
  /* PBKDF2 iterations of secure-mode-data (D8); the service's setting */
  properties[PROP_BUNDLE_ITERATIONS] = g_param_spec_uint ("bundle-iterations", NULL, NULL, 1,
                                                          G_MAXUINT, WPI_BUNDLE_DEFAULT_ITERATIONS,
                                                          rw);
  properties[PROP_WRONG_TAN] = g_param_spec_boolean ("wrong-tan", NULL, NULL, FALSE, rw);
  properties[PROP_MODE] = g_param_spec_enum ("mode", NULL, NULL, WPI_TYPE_SIM_PHONE_MODE,
                                             WPI_SIM_PHONE_MODE_DEFAULT, ro);
  properties[PROP_SECURE_PORT] = g_param_spec_uint ("secure-port", NULL, NULL, 0, 65535, 0, ro);
  properties[PROP_AWAITING_PIN] = g_param_spec_boolean ("awaiting-pin", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpi_sim_phone_install_signals (GObjectClass *klass)
{
  /* A flow begins: the ReasonForContact of its first message. */
  signals[FLOW_STARTED] = g_signal_new ("flow-started", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A flow ended: reason, ok, detail (the Actions received, or what went wrong), the number
   * of messages the phone sent, the duration in microseconds (without the time its requests
   * waited for the process-wide request limit). */
  signals[FLOW_FINISHED] = g_signal_new ("flow-finished", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_BOOLEAN,
                                         G_TYPE_STRING, G_TYPE_UINT, G_TYPE_INT64);
  /* A deployed file or software image was fetched: name (the version for software), type,
   * ok, error message or NULL. */
  signals[DOWNLOAD_FINISHED] = g_signal_new ("download-finished", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING,
                                             G_TYPE_BOOLEAN, G_TYPE_STRING);
  /* The phone shows its PIN dialog; a handler may call wpi_sim_phone_set_pin(). */
  signals[PIN_REQUESTED] = g_signal_new ("pin-requested", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  /* A PIN was typed: accepted (it opened secure-mode-data), attempts left. */
  signals[PIN_ENTERED] = g_signal_new ("pin-entered", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_UINT);
}

static void
wpi_sim_phone_class_init (WpiSimPhoneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wpi_sim_phone_dispose;
  object_class->finalize = wpi_sim_phone_finalize;
  object_class->get_property = wpi_sim_phone_get_property;
  object_class->set_property = wpi_sim_phone_set_property;
  object_class->constructed = wpi_sim_phone_constructed;

  wpi_sim_phone_install_properties (object_class);
  wpi_sim_phone_install_signals (object_class);
}

static void
wpi_sim_phone_init (WpiSimPhone *self)
{
  self->max_items = -1;
  self->call_seconds = 60;
  self->restart_seconds = 2;
  self->retry_seconds = 10;
  self->pin_interval = WPI_SIM_DEFAULT_PIN_INTERVAL;
  self->bundle_iterations = WPI_BUNDLE_DEFAULT_ITERATIONS;
  self->mode = WPI_SIM_PHONE_MODE_DEFAULT;
  self->state = WPI_SIM_PHONE_STATE_IDLE;
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_file_free);
  self->changed = g_ptr_array_new_with_free_func (g_free);
}

/* ---------------------------------------------------------------------------------------- */
/* Public API                                                                               */

WpiSimPhone *
wpi_sim_phone_new (const char         *mac,
                   const char         *e164,
                   const char         *device_type,
                   WpiSimFirmware      firmware,
                   const char         *service_uri,
                   GInetSocketAddress *contact_address)
{
  g_return_val_if_fail (mac != NULL, NULL);
  g_return_val_if_fail (device_type != NULL, NULL);
  g_return_val_if_fail (service_uri != NULL, NULL);

  return g_object_new (WPI_TYPE_SIM_PHONE,
                       "mac", mac,
                       "e164", e164,
                       "device-type", device_type,
                       "firmware", firmware,
                       "service-uri", service_uri,
                       "contact-address", contact_address,
                       NULL);
}

gboolean
wpi_sim_phone_start (WpiSimPhone  *self,
                     GError      **error)
{
  g_autoptr(GUri) endpoint = NULL;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);

  if (self->started)
    return TRUE;

  endpoint = _wpi_sim_endpoint_for (self->service_uri, error);
  if (endpoint == NULL || !_wpi_sim_phone_listen (self, error))
    return FALSE;

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->download_cancellable);
  self->download_cancellable = g_cancellable_new ();
  self->started = TRUE;
  self->rebooting = FALSE;
  /* a phone that does not know the service yet waits for a contact-me (issue 14) */
  self->pending_startup = !self->await_contact;
  self->retry_not_before = 0;
  self->n_failures = 0;
  _wpi_sim_phone_update_state (self);
  phone_schedule_first_call (self);
  phone_schedule_periodic (self);
  _wpi_sim_phone_kick (self);
  /* a PIN dialog open when the phone was stopped shows again */
  if (self->pin_request != NULL)
    _wpi_sim_phone_schedule_pin (self, 0, TRUE);
  return TRUE;
}

void
wpi_sim_phone_stop (WpiSimPhone *self)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  if (!self->started)
    return;
  self->started = FALSE;

  wpi_sim_timer_clear (&self->kick_timer);
  wpi_sim_timer_clear (&self->retry_timer);
  wpi_sim_timer_clear (&self->call_timer);
  wpi_sim_timer_clear (&self->local_changes_timer);
  wpi_sim_timer_clear (&self->inventory_timer);
  wpi_sim_timer_clear (&self->poll_timer);
  wpi_sim_timer_clear (&self->reboot_timer);
  wpi_sim_timer_clear (&self->pin_timer);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->download_cancellable);
  if (self->flow != NULL)
    g_cancellable_cancel (self->flow->cancellable);
  _wpi_sim_phone_stop_listening (self);
  self->pending_startup = FALSE;
  self->pending_contact = FALSE;
  self->pending_local_changes = FALSE;
  self->pending_inventory = FALSE;
  self->rebooting = FALSE;
  self->manual_call = FALSE;
  phone_set_in_call_internal (self, FALSE);
  _wpi_sim_phone_set_pending_solicited (self, FALSE);
  _wpi_sim_phone_update_state (self);
}

gboolean
wpi_sim_phone_has_operations (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);

  return self->n_operations > 0;
}

const char *
wpi_sim_phone_get_mac (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->mac;
}

const char *
wpi_sim_phone_get_e164 (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return wpi_sim_items_get_value (self->items, "e164");
}

const char *
wpi_sim_phone_get_device_type (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->device_type;
}

const char *
wpi_sim_phone_get_software_version (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return wpi_sim_items_get_value (self->items, "software-version");
}

const char *
wpi_sim_phone_get_contact_uri (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->contact_uri;
}

const char *
wpi_sim_phone_get_service_uri (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->service_uri;
}

WpiSimPhoneState
wpi_sim_phone_get_state (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), WPI_SIM_PHONE_STATE_IDLE);
  return self->state;
}

gboolean
wpi_sim_phone_get_in_call (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->in_call;
}

gboolean
wpi_sim_phone_get_in_flow (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->flow != NULL;
}

gboolean
wpi_sim_phone_get_pending_solicited (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->pending_solicited;
}

void
wpi_sim_phone_set_in_call (WpiSimPhone *self,
                           gboolean     in_call)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  wpi_sim_timer_clear (&self->call_timer);
  self->manual_call = in_call;
  phone_set_in_call_internal (self, in_call);
  if (!in_call)
    phone_schedule_calls (self);
}

const char *
wpi_sim_phone_get_item (WpiSimPhone *self,
                        const char  *name,
                        gint64       index)
{
  WpiSimItem *item;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  item = wpi_sim_items_lookup (self->items, name, index < 0 ? -1 : index);
  return item != NULL ? item->value : NULL;
}

static gboolean
check_item (WpiSimPhone  *self,
            const char   *name,
            gint64        index,
            const char   *value,
            gboolean      allow_read_only,
            GError      **error)
{
  g_autofree char *reason = NULL;
  WpiItemStatus status;

  status = wpi_sim_items_check_write (self->items, name, index >= 0, index, value, &reason);
  switch (status)
    {
    case WPI_ITEM_STATUS_NONE:
      return TRUE;
    case WPI_ITEM_STATUS_READ_ONLY:
      if (allow_read_only)
        return TRUE;
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_READ_ONLY,
                   "%s is read-only", name);
      return FALSE;
    case WPI_ITEM_STATUS_INVALID_INDEX:
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_INDEX,
                   "%s: %s", name, reason ?: "invalid index");
      return FALSE;
    case WPI_ITEM_STATUS_INVALID_DATA:
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_VALUE,
                   "%s: %s", name, reason ?: "invalid value");
      return FALSE;
    /* not an item of this phone, or an action parameter (wpi_sim_items_check_write()) */
    case WPI_ITEM_STATUS_UNKNOWN_ITEM:
    case WPI_ITEM_STATUS_FAILED:
    case WPI_ITEM_STATUS_UNEXPECTED_ITEM:
    case WPI_ITEM_STATUS_NOT_SUPPORTED:
    case WPI_ITEM_STATUS_UNDEFINED_STATUS:
    case WPI_ITEM_STATUS_OTHER:
    default:
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_UNKNOWN_ITEM,
                   "%s: %s", name, reason ?: "not an item of this phone");
      return FALSE;
    }
}

gboolean
wpi_sim_phone_set_item (WpiSimPhone  *self,
                        const char   *name,
                        gint64        index,
                        const char   *value,
                        GError      **error)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!check_item (self, name, index, value, TRUE, error))
    return FALSE;
  wpi_sim_items_store (self->items, name, index < 0 ? -1 : index, value);
  if (strcmp (name, "e164") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_E164]);
  else if (strcmp (name, "software-version") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOFTWARE_VERSION]);
  return TRUE;
}

guint
wpi_sim_phone_get_n_items (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), 0);
  return wpi_sim_items_get_n_items (self->items);
}

gboolean
wpi_sim_phone_change_item_locally (WpiSimPhone  *self,
                                   const char   *name,
                                   gint64        index,
                                   const char   *value,
                                   GError      **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!check_item (self, name, index, value, FALSE, error))
    return FALSE;
  wpi_sim_items_store (self->items, name, index < 0 ? -1 : index, value);
  wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
  if (strcmp (name, "e164") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_E164]);

  key = item_key (name, index < 0 ? -1 : index);
  if (!g_ptr_array_find_with_equal_func (self->changed, key, g_str_equal, NULL))
    g_ptr_array_add (self->changed, g_steal_pointer (&key));
  self->pending_local_changes = TRUE;
  _wpi_sim_phone_kick (self);
  return TRUE;
}

void
wpi_sim_phone_change_inventory (WpiSimPhone *self)
{
  const char *current;
  guint64 modules = 0;
  g_autofree char *value = NULL;

  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  /* plug in one more key module, up to two, then take them away again */
  current = wpi_sim_items_get_value (self->items, "key-modules");
  if (current != NULL)
    g_ascii_string_to_unsigned (current, 10, 0, 2, &modules, NULL);
  modules = (modules + 1) % 3;
  value = g_strdup_printf ("%" G_GUINT64_FORMAT, modules);
  wpi_sim_items_set_value (self->items, "key-modules", value);
  self->pending_inventory = TRUE;
  _wpi_sim_phone_kick (self);
}

void
wpi_sim_phone_abort_next_action (WpiSimPhone *self,
                                 const char  *reason)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));
  g_return_if_fail (reason != NULL);

  g_free (self->abort_reason);
  self->abort_reason = g_strdup (reason);
}

void
wpi_sim_phone_poll_now (WpiSimPhone *self)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  _wpi_sim_phone_poll (self);
}

guint
wpi_sim_phone_get_n_files (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), 0);
  return self->files->len;
}

gboolean
wpi_sim_phone_get_file (WpiSimPhone  *self,
                        guint         position,
                        const char  **name,
                        const char  **type,
                        const char  **status,
                        guint64      *size)
{
  SimFile *file;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);

  if (position >= self->files->len)
    return FALSE;
  file = g_ptr_array_index (self->files, position);
  if (name != NULL)
    *name = file->name;
  if (type != NULL)
    *type = file->type;
  if (status != NULL)
    *status = file->status;
  if (size != NULL)
    *size = file->size;
  return TRUE;
}

WpiSimPhoneMode
wpi_sim_phone_get_mode (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), WPI_SIM_PHONE_MODE_DEFAULT);
  return self->mode;
}

guint
wpi_sim_phone_get_secure_port (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), 0);
  return self->credentials != NULL ? self->credentials->port : 0;
}

gboolean
wpi_sim_phone_get_awaiting_pin (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->pin_request != NULL;
}

void
wpi_sim_phone_set_pin (WpiSimPhone *self,
                       const char  *pin)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  g_free (self->pin);
  self->pin = g_strdup (pin);
  /* a phone that waits for its PIN takes it now, from the main loop: this may run inside a
   * pin-requested handler */
  if (pin != NULL && self->pin_request != NULL && self->started && !self->pin_attempt_running)
    _wpi_sim_phone_schedule_pin (self, 0, FALSE);
}
