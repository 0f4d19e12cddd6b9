/* wpc-demo.c: simulated phones against the console's own service */
#include "config.h"

#include "wpc-demo.h"

/* The demo's phones take 127.1.x.y, or when those are in use 127.2.x.y, ... 127.254.x.y */
#define DEMO_LAST_PREFIX_OCTET 254

static gboolean
ensure_demo_profile (WpiStore  *store,
                     GError   **error)
{
  g_autoptr(WpiProfileRecord) current = wpi_store_profile_get_default (store, error);
  g_autoptr(GArray) items = NULL;

  if (current != NULL)
    return TRUE;
  if (error != NULL && *error != NULL)
    return FALSE;

  items = wpi_store_item_array_new ();
  /* The phone shows its own number as its name, and key 1 is labelled */
  wpi_store_item_array_add (items, "display-id-unicode", FALSE, 0, "Demo {e164}");
  wpi_store_item_array_add (items, "key-label-unicode", TRUE, 1, "Line {e164}");
  return wpi_store_profile_set (store, WPC_DEMO_PROFILE, (WpiStoreItem *) items->data, items->len, error) &&
         wpi_store_profile_set_default (store, WPC_DEMO_PROFILE, error);
}

/* The demo's phones "type" the PIN the console made for them, as the person holding the
 * printed slip would. */
static void
on_pin_requested (WpiSimulator *simulator,
                  WpiSimPhone  *phone,
                  gpointer      user_data)
{
  WpiService *service = user_data;
  g_autofree char *mac = NULL;
  g_autoptr(WpiPinRecord) pin = NULL;

  g_object_get (phone, "mac", &mac, NULL);
  pin = wpi_store_pin_get_current (wpi_service_get_store (service), mac, NULL);
  if (pin != NULL && pin->state != WPI_PIN_STATE_REISSUED && pin->state != WPI_PIN_STATE_FAILED)
    wpi_sim_phone_set_pin (phone, pin->pin);
}

WpiSimulator *
wpc_demo_start (WpiService  *service,
                guint        n_phones,
                GError     **error)
{
  g_autoptr(WpiSimulator) simulator = NULL;
  g_autofree char *target = NULL;

  g_return_val_if_fail (WPI_IS_SERVICE (service), NULL);
  g_return_val_if_fail (wpi_service_get_port (service) != 0, NULL);

  if (!ensure_demo_profile (wpi_service_get_store (service), error))
    return NULL;

  /* Phones and service share this process and GIO's handshake threads: keep the
   * phones' concurrent requests few so the service's own handshakes are not starved. */
  wpi_sim_set_max_requests (4);
  target = g_strdup_printf ("https://127.0.0.1:%u", wpi_service_get_port (service));

  /* Each phone listens for contact-me on its own loopback address under a prefix. Another
   * demo (or wpi-sim) may hold 127.1 already: the next free prefix serves as well. */
  for (guint octet = 1; ; octet++)
    {
      g_autofree char *prefix = g_strdup_printf ("127.%u", octet);
      g_autoptr(GError) local_error = NULL;

      g_clear_object (&simulator);
      simulator = wpi_simulator_new (target, n_phones);
      g_object_set (simulator, "busy-ratio", 0.25, "call-seconds", 30.0, "bind-prefix", prefix, NULL);
      g_signal_connect_object (simulator, "pin-requested", G_CALLBACK (on_pin_requested), service, 0);
      if (wpi_simulator_start (simulator, &local_error))
        return g_steal_pointer (&simulator);
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) ||
          octet == DEMO_LAST_PREFIX_OCTET)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
}
