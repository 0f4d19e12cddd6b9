/* wpi-simulator.c: many simulated phones in one process */
#include "config.h"

#include <string.h>

#include "wpi-bundle.h"
#include "wpi-sim-events.h"
#include "wpi-simulator.h"

#define CONTACT_PORT 8085

struct _WpiSimulator
{
  GObject          parent_instance;

  char            *service_uri;
  guint            n_phones_wanted;
  char            *base_mac;
  char            *base_e164;
  char            *bind_prefix;
  guint            contact_port_base;
  char            *firmware_mix;
  double           arrival_rate;    /* phones started a second; 0: all at once */

  /* handed to every phone */
  gint64           max_items;
  double           busy_ratio;
  double           call_seconds;
  double           local_changes_interval;
  double           inventory_changes_interval;
  double           ignore_contact_ratio;
  double           poll_interval;
  char            *poll_uri;
  double           restart_seconds;
  double           retry_seconds;
  gboolean         keep_alive;
  gboolean         await_contact;
  guint            address_stride;  /* phone n at address n * stride under bind-prefix */
  char            *pins_file;
  double           pin_interval;
  guint            bundle_iterations;

  GListStore      *phones;
  GHashTable      *by_mac;          /* MAC -> WpiSimPhone (borrowed from phones) */
  guint            state_counts[WPI_SIM_PHONE_STATE_REBOOTING + 1];
  guint64          flows_ok;
  guint64          flows_failed;
  gboolean         started;
  guint            n_arrived;       /* phones started so far (arrival-rate) */
  gint64           arrival_start;   /* monotonic time of the first */
  guint            arrival_timer;
};

enum {
  PROP_0,
  PROP_SERVICE_URI,
  PROP_N_PHONES,
  PROP_BASE_MAC,
  PROP_BASE_E164,
  PROP_BIND_PREFIX,
  PROP_CONTACT_PORT_BASE,
  PROP_FIRMWARE_MIX,
  PROP_ARRIVAL_RATE,
  /* forwarded to the phones: keep in the order of phone_properties[] */
  PROP_MAX_ITEMS,
  PROP_BUSY_RATIO,
  PROP_CALL_SECONDS,
  PROP_LOCAL_CHANGES_INTERVAL,
  PROP_INVENTORY_CHANGES_INTERVAL,
  PROP_IGNORE_CONTACT_RATIO,
  PROP_POLL_INTERVAL,
  PROP_POLL_URI,
  PROP_RESTART_SECONDS,
  PROP_RETRY_SECONDS,
  PROP_PINS_FILE,
  PROP_PIN_INTERVAL,
  PROP_BUNDLE_ITERATIONS,
  PROP_KEEP_ALIVE,
  PROP_AWAIT_CONTACT,
  PROP_ADDRESS_STRIDE,
  /* counts */
  PROP_N_IDLE,
  PROP_N_IN_CALL,
  PROP_N_IN_FLOW,
  PROP_N_REBOOTING,
  PROP_FLOWS_OK,
  PROP_FLOWS_FAILED,
  N_PROPS
};

static const char * const phone_properties[] = {
  "max-items", "busy-ratio", "call-seconds", "local-changes-interval",
  "inventory-changes-interval", "ignore-contact-ratio", "poll-interval", "poll-uri",
  "restart-seconds", "retry-seconds", "pins-file", "pin-interval", "bundle-iterations", "keep-alive",
  "await-contact",
};

enum {
  FLOW_FINISHED,
  PIN_REQUESTED,
  PIN_ENTERED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];
static GQuark state_quark;

G_DEFINE_FINAL_TYPE (WpiSimulator, wpi_simulator, G_TYPE_OBJECT)

static const guint state_props[] = {
  [WPI_SIM_PHONE_STATE_IDLE] = PROP_N_IDLE,
  [WPI_SIM_PHONE_STATE_IN_CALL] = PROP_N_IN_CALL,
  [WPI_SIM_PHONE_STATE_IN_FLOW] = PROP_N_IN_FLOW,
  [WPI_SIM_PHONE_STATE_REBOOTING] = PROP_N_REBOOTING,
};

char *
wpi_simulator_address_for (const char  *bind_prefix,
                           guint        n,
                           GError     **error)
{
  g_auto(GStrv) octets = g_strsplit (bind_prefix, ".", -1);
  guint64 a, b;

  if (g_strv_length (octets) != 2 ||
      !g_ascii_string_to_unsigned (octets[0], 10, 0, 255, &a, NULL) ||
      !g_ascii_string_to_unsigned (octets[1], 10, 0, 255, &b, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "bind prefix \"%s\" is not two octets like 127.1", bind_prefix);
      return NULL;
    }
  if (n / 250 > 255)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "phone %u does not fit under %s (at most 64000 phones)", n, bind_prefix);
      return NULL;
    }
  return g_strdup_printf ("%u.%u.%u.%u", (guint) a, (guint) b, n / 250, n % 250 + 1);
}

static void
count_state (WpiSimulator     *self,
             WpiSimPhoneState  state,
             int               delta)
{
  self->state_counts[state] += delta;
  g_object_notify_by_pspec (G_OBJECT (self), properties[state_props[state]]);
}

static void
phone_state_changed (WpiSimPhone  *phone,
                     GParamSpec   *pspec,
                     WpiSimulator *self)
{
  WpiSimPhoneState old = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (phone), state_quark));
  WpiSimPhoneState state = wpi_sim_phone_get_state (phone);

  if (old == state)
    return;
  g_object_set_qdata (G_OBJECT (phone), state_quark, GUINT_TO_POINTER (state));
  count_state (self, old, -1);
  count_state (self, state, +1);
}

static void
phone_flow_finished (WpiSimPhone  *phone,
                     const char   *reason,
                     gboolean      ok,
                     const char   *detail,
                     guint         n_messages,
                     gint64        duration,
                     WpiSimulator *self)
{
  if (ok)
    self->flows_ok++;
  else
    self->flows_failed++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[ok ? PROP_FLOWS_OK : PROP_FLOWS_FAILED]);
  g_signal_emit (self, signals[FLOW_FINISHED], 0, phone, reason, ok, detail, n_messages, duration);
}

static void
phone_pin_requested (WpiSimPhone  *phone,
                     WpiSimulator *self)
{
  g_signal_emit (self, signals[PIN_REQUESTED], 0, phone);
}

static void
phone_pin_entered (WpiSimPhone  *phone,
                   gboolean      accepted,
                   guint         attempts_left,
                   WpiSimulator *self)
{
  g_signal_emit (self, signals[PIN_ENTERED], 0, phone, accepted, attempts_left);
}

static void
forward_to_phones (WpiSimulator *self,
                   const char   *property,
                   const GValue *value)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->phones));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiSimPhone) phone = g_list_model_get_item (G_LIST_MODEL (self->phones), i);

      g_object_set_property (G_OBJECT (phone), property, value);
    }
}

static void
apply_behaviour (WpiSimulator *self,
                 WpiSimPhone  *phone)
{
  g_object_set (phone,
                "max-items", self->max_items,
                "busy-ratio", self->busy_ratio,
                "call-seconds", self->call_seconds,
                "local-changes-interval", self->local_changes_interval,
                "inventory-changes-interval", self->inventory_changes_interval,
                "ignore-contact-ratio", self->ignore_contact_ratio,
                "poll-interval", self->poll_interval,
                "poll-uri", self->poll_uri,
                "restart-seconds", self->restart_seconds,
                "retry-seconds", self->retry_seconds,
                "pins-file", self->pins_file,
                "pin-interval", self->pin_interval,
                "bundle-iterations", self->bundle_iterations,
                "keep-alive", self->keep_alive,
                "await-contact", self->await_contact,
                NULL);
}

static char *
e164_add (const char  *base,
          guint        n,
          GError     **error)
{
  guint64 number;

  if (!g_ascii_string_to_unsigned (base, 10, 0, G_MAXUINT64 - G_MAXUINT, &number, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "base e164 \"%s\" is not a number", base);
      return NULL;
    }
  return g_strdup_printf ("%" G_GUINT64_FORMAT, number + n);
}

static gboolean
parse_firmware_mix (const char      *mix,
                    GArray          *firmwares,
                    GError         **error)
{
  g_auto(GStrv) names = g_strsplit (mix, ",", -1);

  for (guint i = 0; names[i] != NULL; i++)
    {
      WpiSimFirmware firmware;

      g_strstrip (names[i]);
      if (*names[i] == '\0')
        continue;
      if (!wpi_sim_firmware_from_string (names[i], &firmware, error))
        return FALSE;
      g_array_append_val (firmwares, firmware);
    }
  if (firmwares->len == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "the firmware mix \"%s\" names no firmware", mix);
      return FALSE;
    }
  return TRUE;
}

static WpiSimPhone *
create_phone (WpiSimulator  *self,
              guint          n,
              GArray        *firmwares,
              GError       **error)
{
  const char * const *types = wpi_sim_device_types ();
  g_autofree char *mac = NULL;
  g_autofree char *e164 = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) contact = NULL;
  WpiSimPhone *phone;
  gboolean own_address = self->contact_port_base == 0;
  guint port;

  mac = wpi_sim_mac_add (self->base_mac, n, error);
  if (mac == NULL)
    return NULL;
  e164 = e164_add (self->base_e164, n, error);
  if (e164 == NULL)
    return NULL;

  if (own_address)
    {
      /* a stride spreads the phones over a range, as in a room where not every address
       * is a phone (a sweep's tests, issue 14) */
      address = wpi_simulator_address_for (self->bind_prefix, n * self->address_stride, error);
      if (address == NULL)
        return NULL;
      port = CONTACT_PORT;
    }
  else
    {
      if ((guint64) self->contact_port_base + n > 65535)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "contact port %u + %u is past 65535", self->contact_port_base, n);
          return NULL;
        }
      address = g_strdup ("127.0.0.1");
      port = self->contact_port_base + n;
    }
  inet = g_inet_address_new_from_string (address);
  contact = g_inet_socket_address_new (inet, port);

  phone = wpi_sim_phone_new (mac, e164, types[n % g_strv_length ((GStrv) types)],
                             g_array_index (firmwares, WpiSimFirmware, n % firmwares->len),
                             self->service_uri, G_INET_SOCKET_ADDRESS (contact));
  /* with its own address a phone also calls from it, so the service sees distinct peers */
  g_object_set (phone, "bind-local", own_address, NULL);
  apply_behaviour (self, phone);
  return phone;
}

/* arrival-rate: starts the phones whose time has come (one that does not start is reported
 * as a failed start-up), then waits for the next */
static gboolean
arrive_cb (gpointer data)
{
  WpiSimulator *self = data;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->phones));
  double elapsed = (g_get_monotonic_time () - self->arrival_start) / (double) G_USEC_PER_SEC;
  guint due = MIN ((guint) (elapsed * self->arrival_rate) + 1, n);

  self->arrival_timer = 0;
  for (; self->n_arrived < due; self->n_arrived++)
    {
      g_autoptr(WpiSimPhone) phone = g_list_model_get_item (G_LIST_MODEL (self->phones), self->n_arrived);
      g_autoptr(GError) error = NULL;

      if (!wpi_sim_phone_start (phone, &error))
        g_signal_emit (self, signals[FLOW_FINISHED], 0, phone, "start-up", FALSE, error->message, 0, (gint64) 0);
    }
  if (self->n_arrived < n)
    self->arrival_timer = wpi_sim_timer_add ((self->n_arrived / self->arrival_rate) - elapsed,
                                             arrive_cb, self);
  return G_SOURCE_REMOVE;
}

gboolean
wpi_simulator_start (WpiSimulator  *self,
                     GError       **error)
{
  g_autoptr(GArray) firmwares = g_array_new (FALSE, FALSE, sizeof (WpiSimFirmware));
  g_autoptr(GPtrArray) created = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (WPI_IS_SIMULATOR (self), FALSE);

  if (self->started)
    return TRUE;
  if (!parse_firmware_mix (self->firmware_mix, firmwares, error))
    return FALSE;

  for (guint n = 0; n < self->n_phones_wanted; n++)
    {
      WpiSimPhone *phone = create_phone (self, n, firmwares, error);

      if (phone == NULL)
        return FALSE;
      g_ptr_array_add (created, phone);
    }

  /* with an arrival rate, the first phone now and the others as their time comes */
  for (guint n = 0; n < (self->arrival_rate > 0 ? MIN (created->len, 1) : created->len); n++)
    {
      WpiSimPhone *phone = g_ptr_array_index (created, n);

      if (!wpi_sim_phone_start (phone, error))
        {
          for (guint i = 0; i < n; i++)
            wpi_sim_phone_stop (g_ptr_array_index (created, i));
          return FALSE;
        }
    }

  for (guint n = 0; n < created->len; n++)
    {
      WpiSimPhone *phone = g_ptr_array_index (created, n);
      WpiSimPhoneState state = wpi_sim_phone_get_state (phone);

      g_object_set_qdata (G_OBJECT (phone), state_quark, GUINT_TO_POINTER (state));
      self->state_counts[state]++;
      g_signal_connect_object (phone, "notify::state", G_CALLBACK (phone_state_changed), self, 0);
      g_signal_connect_object (phone, "flow-finished", G_CALLBACK (phone_flow_finished), self, 0);
      g_signal_connect_object (phone, "pin-requested", G_CALLBACK (phone_pin_requested), self, 0);
      g_signal_connect_object (phone, "pin-entered", G_CALLBACK (phone_pin_entered), self, 0);
      g_hash_table_insert (self->by_mac, (gpointer) wpi_sim_phone_get_mac (phone), phone);
    }
  g_list_store_splice (self->phones, 0, 0, created->pdata, created->len);
  self->started = TRUE;
  if (self->arrival_rate > 0 && created->len > 1)
    {
      self->n_arrived = 1;
      self->arrival_start = g_get_monotonic_time ();
      self->arrival_timer = wpi_sim_timer_add (1 / self->arrival_rate, arrive_cb, self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PHONES]);
  for (guint s = 0; s < G_N_ELEMENTS (state_props); s++)
    g_object_notify_by_pspec (G_OBJECT (self), properties[state_props[s]]);
  return TRUE;
}

void
wpi_simulator_stop (WpiSimulator *self)
{
  guint n;

  g_return_if_fail (WPI_IS_SIMULATOR (self));

  wpi_sim_timer_clear (&self->arrival_timer);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->phones));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiSimPhone) phone = g_list_model_get_item (G_LIST_MODEL (self->phones), i);

      wpi_sim_phone_stop (phone);
    }
  self->started = FALSE;
}

gboolean
wpi_simulator_is_quiet (WpiSimulator *self)
{
  guint n;

  g_return_val_if_fail (WPI_IS_SIMULATOR (self), TRUE);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->phones));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiSimPhone) phone = g_list_model_get_item (G_LIST_MODEL (self->phones), i);

      if (wpi_sim_phone_has_operations (phone))
        return FALSE;
    }
  return TRUE;
}

GListModel *
wpi_simulator_get_phones (WpiSimulator *self)
{
  g_return_val_if_fail (WPI_IS_SIMULATOR (self), NULL);
  return G_LIST_MODEL (self->phones);
}

WpiSimPhone *
wpi_simulator_lookup (WpiSimulator *self,
                      const char   *mac)
{
  g_autofree char *upper = NULL;

  g_return_val_if_fail (WPI_IS_SIMULATOR (self), NULL);
  g_return_val_if_fail (mac != NULL, NULL);

  upper = g_ascii_strup (mac, -1);
  return g_hash_table_lookup (self->by_mac, upper);
}

guint
wpi_simulator_get_n_phones (WpiSimulator *self)
{
  g_return_val_if_fail (WPI_IS_SIMULATOR (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->phones));
}

guint
wpi_simulator_count_state (WpiSimulator     *self,
                           WpiSimPhoneState  state)
{
  g_return_val_if_fail (WPI_IS_SIMULATOR (self), 0);
  g_return_val_if_fail (state <= WPI_SIM_PHONE_STATE_REBOOTING, 0);
  return self->state_counts[state];
}

guint64
wpi_simulator_get_flows_ok (WpiSimulator *self)
{
  g_return_val_if_fail (WPI_IS_SIMULATOR (self), 0);
  return self->flows_ok;
}

guint64
wpi_simulator_get_flows_failed (WpiSimulator *self)
{
  g_return_val_if_fail (WPI_IS_SIMULATOR (self), 0);
  return self->flows_failed;
}

WpiSimulator *
wpi_simulator_new (const char *service_uri,
                   guint       n_phones)
{
  g_return_val_if_fail (service_uri != NULL, NULL);

  return g_object_new (WPI_TYPE_SIMULATOR,
                       "service-uri", service_uri,
                       "n-phones", n_phones,
                       NULL);
}

static void
wpi_simulator_dispose (GObject *object)
{
  WpiSimulator *self = WPI_SIMULATOR (object);

  if (self->phones != NULL)
    wpi_simulator_stop (self);
  g_clear_pointer (&self->by_mac, g_hash_table_unref);
  g_clear_object (&self->phones);

  G_OBJECT_CLASS (wpi_simulator_parent_class)->dispose (object);
}

static void
wpi_simulator_finalize (GObject *object)
{
  WpiSimulator *self = WPI_SIMULATOR (object);

  g_free (self->service_uri);
  g_free (self->base_mac);
  g_free (self->base_e164);
  g_free (self->bind_prefix);
  g_free (self->firmware_mix);
  g_free (self->poll_uri);
  g_free (self->pins_file);

  G_OBJECT_CLASS (wpi_simulator_parent_class)->finalize (object);
}

static void
wpi_simulator_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  WpiSimulator *self = WPI_SIMULATOR (object);

  switch (prop_id)
    {
    case PROP_SERVICE_URI:                g_value_set_string (value, self->service_uri); break;
    case PROP_N_PHONES:                   g_value_set_uint (value, self->started ? wpi_simulator_get_n_phones (self) : self->n_phones_wanted); break;
    case PROP_BASE_MAC:                   g_value_set_string (value, self->base_mac); break;
    case PROP_BASE_E164:                  g_value_set_string (value, self->base_e164); break;
    case PROP_BIND_PREFIX:                g_value_set_string (value, self->bind_prefix); break;
    case PROP_CONTACT_PORT_BASE:          g_value_set_uint (value, self->contact_port_base); break;
    case PROP_FIRMWARE_MIX:               g_value_set_string (value, self->firmware_mix); break;
    case PROP_ARRIVAL_RATE:               g_value_set_double (value, self->arrival_rate); break;
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
    case PROP_ADDRESS_STRIDE:             g_value_set_uint (value, self->address_stride); break;
    case PROP_PINS_FILE:                  g_value_set_string (value, self->pins_file); break;
    case PROP_PIN_INTERVAL:               g_value_set_double (value, self->pin_interval); break;
    case PROP_BUNDLE_ITERATIONS:          g_value_set_uint (value, self->bundle_iterations); break;
    case PROP_N_IDLE:                     g_value_set_uint (value, self->state_counts[WPI_SIM_PHONE_STATE_IDLE]); break;
    case PROP_N_IN_CALL:                  g_value_set_uint (value, self->state_counts[WPI_SIM_PHONE_STATE_IN_CALL]); break;
    case PROP_N_IN_FLOW:                  g_value_set_uint (value, self->state_counts[WPI_SIM_PHONE_STATE_IN_FLOW]); break;
    case PROP_N_REBOOTING:                g_value_set_uint (value, self->state_counts[WPI_SIM_PHONE_STATE_REBOOTING]); break;
    case PROP_FLOWS_OK:                   g_value_set_uint64 (value, self->flows_ok); break;
    case PROP_FLOWS_FAILED:               g_value_set_uint64 (value, self->flows_failed); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_simulator_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  WpiSimulator *self = WPI_SIMULATOR (object);

  switch (prop_id)
    {
    case PROP_SERVICE_URI:
      g_free (self->service_uri);
      self->service_uri = g_value_dup_string (value);
      return;
    case PROP_N_PHONES:
      self->n_phones_wanted = g_value_get_uint (value);
      return;
    case PROP_BASE_MAC:
      g_free (self->base_mac);
      self->base_mac = g_value_dup_string (value);
      return;
    case PROP_BASE_E164:
      g_free (self->base_e164);
      self->base_e164 = g_value_dup_string (value);
      return;
    case PROP_BIND_PREFIX:
      g_free (self->bind_prefix);
      self->bind_prefix = g_value_dup_string (value);
      return;
    case PROP_CONTACT_PORT_BASE:
      self->contact_port_base = g_value_get_uint (value);
      return;
    case PROP_FIRMWARE_MIX:
      g_free (self->firmware_mix);
      self->firmware_mix = g_value_dup_string (value);
      return;
    case PROP_ARRIVAL_RATE:
      self->arrival_rate = g_value_get_double (value);
      return;
    case PROP_ADDRESS_STRIDE:
      self->address_stride = g_value_get_uint (value);
      return;
    case PROP_MAX_ITEMS:                  self->max_items = g_value_get_int64 (value); break;
    case PROP_BUSY_RATIO:                 self->busy_ratio = g_value_get_double (value); break;
    case PROP_CALL_SECONDS:               self->call_seconds = g_value_get_double (value); break;
    case PROP_LOCAL_CHANGES_INTERVAL:     self->local_changes_interval = g_value_get_double (value); break;
    case PROP_INVENTORY_CHANGES_INTERVAL: self->inventory_changes_interval = g_value_get_double (value); break;
    case PROP_IGNORE_CONTACT_RATIO:       self->ignore_contact_ratio = g_value_get_double (value); break;
    case PROP_POLL_INTERVAL:              self->poll_interval = g_value_get_double (value); break;
    case PROP_POLL_URI:
      g_free (self->poll_uri);
      self->poll_uri = g_value_dup_string (value);
      break;
    case PROP_RESTART_SECONDS:            self->restart_seconds = g_value_get_double (value); break;
    case PROP_RETRY_SECONDS:              self->retry_seconds = g_value_get_double (value); break;
    case PROP_KEEP_ALIVE:                 self->keep_alive = g_value_get_boolean (value); break;
    case PROP_AWAIT_CONTACT:              self->await_contact = g_value_get_boolean (value); break;
    case PROP_PINS_FILE:
      g_free (self->pins_file);
      self->pins_file = g_value_dup_string (value);
      break;
    case PROP_PIN_INTERVAL:               self->pin_interval = g_value_get_double (value); break;
    case PROP_BUNDLE_ITERATIONS:          self->bundle_iterations = g_value_get_uint (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }

  /* a behaviour: running phones follow the change */
  forward_to_phones (self, phone_properties[prop_id - PROP_MAX_ITEMS], value);
}

static void
wpi_simulator_class_init (WpiSimulatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = wpi_simulator_dispose;
  object_class->finalize = wpi_simulator_finalize;
  object_class->get_property = wpi_simulator_get_property;
  object_class->set_property = wpi_simulator_set_property;

  properties[PROP_SERVICE_URI] = g_param_spec_string ("service-uri", NULL, NULL,
                                                      "https://127.0.0.1:18443", rw);
  properties[PROP_N_PHONES] = g_param_spec_uint ("n-phones", NULL, NULL, 0, 64000, 1,
                                                 rw | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BASE_MAC] = g_param_spec_string ("base-mac", NULL, NULL,
                                                   WPI_SIM_DEFAULT_BASE_MAC, rw);
  properties[PROP_BASE_E164] = g_param_spec_string ("base-e164", NULL, NULL,
                                                    WPI_SIM_DEFAULT_BASE_E164, rw);
  properties[PROP_BIND_PREFIX] = g_param_spec_string ("bind-prefix", NULL, NULL,
                                                      WPI_SIM_DEFAULT_BIND_PREFIX, rw);
  properties[PROP_CONTACT_PORT_BASE] = g_param_spec_uint ("contact-port-base", NULL, NULL,
                                                          0, 65535, 0, rw);
  properties[PROP_FIRMWARE_MIX] = g_param_spec_string ("firmware-mix", NULL, NULL,
                                                       "v1,v2r2,v3r3", rw);
  properties[PROP_ARRIVAL_RATE] = g_param_spec_double ("arrival-rate", NULL, NULL, 0, G_MAXDOUBLE, 0, rw);
  properties[PROP_MAX_ITEMS] = g_param_spec_int64 ("max-items", NULL, NULL, -1, G_MAXINT32, -1, rw);
  properties[PROP_BUSY_RATIO] = g_param_spec_double ("busy-ratio", NULL, NULL, 0, 1, 0, rw);
  properties[PROP_CALL_SECONDS] = g_param_spec_double ("call-seconds", NULL, NULL, 0,
                                                       G_MAXDOUBLE, 60, rw);
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
  properties[PROP_PINS_FILE] = g_param_spec_string ("pins-file", NULL, NULL, NULL, rw);
  properties[PROP_KEEP_ALIVE] = g_param_spec_boolean ("keep-alive", NULL, NULL, FALSE, rw);
  properties[PROP_AWAIT_CONTACT] = g_param_spec_boolean ("await-contact", NULL, NULL, FALSE, rw);
  properties[PROP_ADDRESS_STRIDE] = g_param_spec_uint ("address-stride", NULL, NULL, 1, 64000, 1, rw);
  properties[PROP_PIN_INTERVAL] = g_param_spec_double ("pin-interval", NULL, NULL, 0.001,
                                                       G_MAXDOUBLE, WPI_SIM_DEFAULT_PIN_INTERVAL,
                                                       rw);
  properties[PROP_BUNDLE_ITERATIONS] = g_param_spec_uint ("bundle-iterations", NULL, NULL, 1,
                                                          G_MAXUINT, WPI_BUNDLE_DEFAULT_ITERATIONS,
                                                          rw);
  properties[PROP_N_IDLE] = g_param_spec_uint ("n-idle", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_IN_CALL] = g_param_spec_uint ("n-in-call", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_IN_FLOW] = g_param_spec_uint ("n-in-flow", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_REBOOTING] = g_param_spec_uint ("n-rebooting", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_FLOWS_OK] = g_param_spec_uint64 ("flows-ok", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_FLOWS_FAILED] = g_param_spec_uint64 ("flows-failed", NULL, NULL, 0,
                                                       G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Any phone's flow-finished: phone, reason, ok, detail, n_messages, duration_us */
  signals[FLOW_FINISHED] = g_signal_new ("flow-finished", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 6, WPI_TYPE_SIM_PHONE, G_TYPE_STRING,
                                         G_TYPE_BOOLEAN, G_TYPE_STRING, G_TYPE_UINT,
                                         G_TYPE_INT64);
  /* Any phone's pin-requested (a handler may call wpi_sim_phone_set_pin() on it, e.g. with
   * the PIN the console handed out) and pin-entered: phone, accepted, attempts left */
  signals[PIN_REQUESTED] = g_signal_new ("pin-requested", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, WPI_TYPE_SIM_PHONE);
  signals[PIN_ENTERED] = g_signal_new ("pin-entered", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 3, WPI_TYPE_SIM_PHONE, G_TYPE_BOOLEAN,
                                       G_TYPE_UINT);

  state_quark = g_quark_from_static_string ("wpi-simulator-state");
}

static void
wpi_simulator_init (WpiSimulator *self)
{
  self->service_uri = g_strdup ("https://127.0.0.1:18443");
  self->n_phones_wanted = 1;
  self->base_mac = g_strdup (WPI_SIM_DEFAULT_BASE_MAC);
  self->base_e164 = g_strdup (WPI_SIM_DEFAULT_BASE_E164);
  self->bind_prefix = g_strdup (WPI_SIM_DEFAULT_BIND_PREFIX);
  self->address_stride = 1;
  self->firmware_mix = g_strdup ("v1,v2r2,v3r3");
  self->max_items = -1;
  self->call_seconds = 60;
  self->restart_seconds = 2;
  self->retry_seconds = 10;
  self->pin_interval = WPI_SIM_DEFAULT_PIN_INTERVAL;
  self->bundle_iterations = WPI_BUNDLE_DEFAULT_ITERATIONS;
  self->phones = g_list_store_new (WPI_TYPE_SIM_PHONE);
  self->by_mac = g_hash_table_new (g_str_hash, g_str_equal);
}
