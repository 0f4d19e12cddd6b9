/* wpi-simulator.h: many simulated phones in one process
 *
 * A WpiSimulator numbers its phones 0..n-1: phone n gets MAC base-mac + n, e164 base-e164 + n,
 * a device type and firmware from the rotation, and a contact-me listener either on its own
 * loopback address (bind-prefix "127.1": 127.1.(n/250).(n%250+1):8085) or, when
 * contact-port-base is set, on 127.0.0.1:(contact-port-base + n). All phones share the
 * thread-default GMainContext; nothing the simulator does per event is linear in the number
 * of phones.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-sim-phone.h"

G_BEGIN_DECLS

#define WPI_SIM_DEFAULT_BASE_MAC   "00:1A:E8:00:00:01"
#define WPI_SIM_DEFAULT_BASE_E164  "4989700100001"
#define WPI_SIM_DEFAULT_BIND_PREFIX "127.1"

#define WPI_TYPE_SIMULATOR (wpi_simulator_get_type ())

G_DECLARE_FINAL_TYPE (WpiSimulator, wpi_simulator, WPI, SIMULATOR, GObject)

/* Every behaviour property of WpiSimPhone (max-items, busy-ratio, call-seconds,
 * local-changes-interval, inventory-changes-interval, ignore-contact-ratio, poll-interval,
 * poll-uri, restart-seconds, retry-seconds, pins-file, pin-interval, bundle-iterations,
 * await-contact) is also
 * a property of the simulator, handed to each phone it creates; plus n-phones, base-mac,
 * base-e164, bind-prefix, address-stride (phone n listens at address n * stride under
 * bind-prefix: spread over a range), contact-port-base, firmware-mix ("v1,v2r2,v3r3") and arrival-rate
 * (phones started a second, from wpi_simulator_start() on; 0, the default: all at once).
 *
 * Signals: flow-finished (phone, reason, ok, detail, n_messages, duration_us), and for Secure
 * Mode pin-requested (phone; a handler may answer with wpi_sim_phone_set_pin(), as the
 * console's demo does with the PIN it handed out) and pin-entered (phone, accepted,
 * attempts_left). Per-phone settings (a PIN, wrong-tan) go to the phone itself. */
WpiSimulator *wpi_simulator_new          (const char    *service_uri,
                                          guint          n_phones);

/* Creates the phones, opens their listeners and boots them. On failure nothing stays open. */
gboolean      wpi_simulator_start        (WpiSimulator  *self,
                                          GError       **error);
void          wpi_simulator_stop         (WpiSimulator  *self);
/* TRUE once no phone has a request, download or poll outstanding (after stop: safe to drop). */
gboolean      wpi_simulator_is_quiet     (WpiSimulator  *self);

/* The phones, a GListModel of WpiSimPhone in phone-number order. Transfer none. */
GListModel   *wpi_simulator_get_phones   (WpiSimulator  *self);
WpiSimPhone  *wpi_simulator_lookup       (WpiSimulator  *self,
                                          const char    *mac);

/* Counts, each also a property with notify */
guint         wpi_simulator_get_n_phones (WpiSimulator  *self);
guint         wpi_simulator_count_state  (WpiSimulator  *self,
                                          WpiSimPhoneState state);
guint64       wpi_simulator_get_flows_ok (WpiSimulator  *self);
guint64       wpi_simulator_get_flows_failed (WpiSimulator *self);

/* The loopback address of phone n under a prefix like "127.1"; NULL and an error when the
 * prefix is not two octets or n is past the 64,000 addresses it holds. */
char         *wpi_simulator_address_for  (const char    *bind_prefix,
                                          guint          n,
                                          GError       **error);

G_END_DECLS
