/* test-util-sim.c: a simulated phone under test (see test-util-sim.h) */
#include "test-util-sim.h"

#include <unistd.h>

static void
on_flow_started (WpiSimPhone        *phone,
                 const char         *reason,
                 TestUtilPhoneWatch *watch)
{
  watch->n_started++;
}

static void
on_flow_finished (WpiSimPhone        *phone,
                  const char         *reason,
                  gboolean            ok,
                  const char         *detail,
                  guint               n_messages,
                  gint64              duration,
                  TestUtilPhoneWatch *watch)
{
  g_test_message ("%s: %s %s, %u messages in %.1f ms (%s)", wpi_sim_phone_get_mac (phone), reason,
                  ok ? "ok" : "FAILED", n_messages, duration / 1000.0, detail);
  watch->n_finished++;
  if (!ok)
    watch->n_failed++;
  g_ptr_array_add (watch->reasons, g_strdup (reason));
  g_ptr_array_add (watch->details, g_strdup (detail));
  g_array_append_val (watch->oks, ok);
  watch->last_detail = g_ptr_array_index (watch->details, watch->details->len - 1);
}

static void
on_download_finished (WpiSimPhone        *phone,
                      const char         *name,
                      const char         *type,
                      gboolean            ok,
                      const char         *error_message,
                      TestUtilPhoneWatch *watch)
{
  g_test_message ("%s: download %s %s%s%s", wpi_sim_phone_get_mac (phone), name, ok ? "ok" : "failed",
                  error_message ? ": " : "", error_message ? error_message : "");
  watch->n_downloads++;
  if (ok)
    watch->n_downloads_ok++;
}

static void
on_state (WpiSimPhone        *phone,
          GParamSpec         *pspec,
          TestUtilPhoneWatch *watch)
{
  WpiSimPhoneState state = wpi_sim_phone_get_state (phone);

  g_array_append_val (watch->states, state);
  if (state == WPI_SIM_PHONE_STATE_REBOOTING)
    watch->rebooted = TRUE;
}

WpiSimPhone *
test_util_sim_phone_new_on_loopback (const char     *mac,
                                     const char     *e164,
                                     WpiSimFirmware  firmware,
                                     const char     *service_uri,
                                     guint           address_index)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *address = wpi_simulator_address_for ("127.1", address_index, &error);
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) contact = NULL;
  WpiSimPhone *phone;

  g_assert_no_error (error);
  inet = g_inet_address_new_from_string (address);
  contact = g_inet_socket_address_new (inet, 0);
  phone = wpi_sim_phone_new (mac, e164, "OpenStage 60", firmware, service_uri,
                             G_INET_SOCKET_ADDRESS (contact));
  g_object_set (phone, "bind-local", TRUE, NULL);
  return phone;
}

TestUtilPhoneWatch *
test_util_phone_watch_new (WpiSimPhone *phone)
{
  TestUtilPhoneWatch *watch = g_new0 (TestUtilPhoneWatch, 1);

  watch->phone = phone;
  watch->reasons = g_ptr_array_new_with_free_func (g_free);
  watch->details = g_ptr_array_new_with_free_func (g_free);
  watch->oks = g_array_new (FALSE, FALSE, sizeof (gboolean));
  watch->states = g_array_new (FALSE, FALSE, sizeof (WpiSimPhoneState));
  g_signal_connect (phone, "flow-started", G_CALLBACK (on_flow_started), watch);
  g_signal_connect (phone, "flow-finished", G_CALLBACK (on_flow_finished), watch);
  g_signal_connect (phone, "download-finished", G_CALLBACK (on_download_finished), watch);
  g_signal_connect (phone, "notify::state", G_CALLBACK (on_state), watch);
  return watch;
}

gboolean
test_util_phone_is_quiet (gpointer phone)
{
  return !wpi_sim_phone_has_operations (phone);
}

void
test_util_phone_watch_free (TestUtilPhoneWatch *watch,
                            guint               timeout_ms)
{
  wpi_sim_phone_stop (watch->phone);
  test_util_wait_until (test_util_phone_is_quiet, watch->phone, timeout_ms, "the phone's operations to end");
  g_signal_handlers_disconnect_by_data (watch->phone, watch);
  g_object_unref (watch->phone);
  g_ptr_array_unref (watch->reasons);
  g_ptr_array_unref (watch->details);
  g_array_unref (watch->oks);
  g_array_unref (watch->states);
  g_free (watch);
}

void
test_util_sim_init (void)
{
  g_tls_backend_set_default_database (g_tls_backend_get_default (), wpi_sim_accept_any_database ());
  wpi_sim_set_max_requests (4);
}

gboolean
test_util_simulator_is_quiet (gpointer simulator)
{
  return wpi_simulator_is_quiet (simulator);
}

static void
on_simulator_flow (WpiSimulator *simulator,
                   WpiSimPhone  *phone,
                   const char   *reason,
                   gboolean      ok,
                   const char   *detail,
                   guint         n_messages,
                   gint64        duration,
                   gpointer      user_data)
{
  if (!ok)
    g_test_message ("%s: %s failed: %s", wpi_sim_phone_get_mac (phone), reason, detail);
}

void
test_util_simulator_log_failures (WpiSimulator *simulator)
{
  g_signal_connect (simulator, "flow-finished", G_CALLBACK (on_simulator_flow), NULL);
}

char *
test_util_sim_bind_prefix (guint first,
                           guint spread)
{
  return g_strdup_printf ("127.%u", first + (guint) getpid () % spread);
}

WpiSimulator *
test_util_sim_room_start (const char *service_uri,
                          guint       n_phones,
                          const char *bind_prefix,
                          guint       stride,
                          const char *base_mac)
{
  WpiSimulator *simulator = wpi_simulator_new (service_uri, n_phones);
  g_autoptr(GError) error = NULL;

  g_object_set (simulator, "bind-prefix", bind_prefix, "address-stride", stride,
                "await-contact", TRUE, "base-mac", base_mac, "retry-seconds", 0.2, NULL);
  test_util_simulator_log_failures (simulator);
  if (!wpi_simulator_start (simulator, &error))
    g_error ("cannot start %u simulated phones under %s: %s", n_phones, bind_prefix,
             error->message);
  return simulator;
}
