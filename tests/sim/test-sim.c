/* test-sim.c: the phone simulator against a scripted service, over real sockets and TLS
 *
 * The test plays the provisioning service: an HTTPS libsoup server on 127.0.0.1 with a
 * certificate made here with GnuTLS, answering each phone message from a script and
 * recording what the phone sent. Phones listen for contact-me on their own 127.1.x.y
 * addresses. Every wait is for a condition, with a deadline. The scripted service and
 * the phones' watch are sim-fixture.c.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "wpi-catalogue.h"
#include "wpi-codec.h"
#include "wpi-sim-phone.h"
#include "wpi-simulator.h"
#include "test-util-sim.h"
#include "test-util-wpi.h"
#include "sim-fixture.h"

/* ---------------------------------------------------------------------------------------- */
/* Tests                                                                                    */

static void
test_helpers (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *mac = NULL;
  g_autofree char *version = NULL;
  g_autofree char *address = NULL;
  WpiSimFirmware firmware;

  mac = wpi_sim_mac_add ("00:1a:e8:00:00:ff", 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (mac, ==, "00:1A:E8:00:01:01");
  g_assert_null (wpi_sim_mac_add ("00:1A:E8:00:00", 1, &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (wpi_sim_mac_add ("FF:FF:FF:FF:FF:FF", 1, &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  version = wpi_sim_software_version_from_file_version ("3.5.12.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (version, ==, "V3 R5.12.0");
  g_assert_null (wpi_sim_software_version_from_file_version ("3.5.x.0", &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (wpi_sim_firmware_from_string ("V2R2", &firmware, &error));
  g_assert_cmpint (firmware, ==, WPI_SIM_FIRMWARE_V2R2);
  g_assert_false (wpi_sim_firmware_from_string ("v4", &firmware, &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  address = wpi_simulator_address_for ("127.1", 0, &error);
  g_assert_cmpstr (address, ==, "127.1.0.1");
  g_free (address);
  address = wpi_simulator_address_for ("127.1", 999, &error);
  g_assert_cmpstr (address, ==, "127.1.3.250");
  g_assert_null (wpi_simulator_address_for ("127", 1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_item_set (void)
{
  TestService *svc = service_new ();
  Watch *v1 = phone_new (svc, WPI_SIM_FIRMWARE_V1);
  Watch *v3 = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(GError) error = NULL;
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  guint n = wpi_sim_phone_get_n_items (v3->phone);

  /* several hundred items, every one valid for the catalogue */
  g_test_message ("%u items", n);
  g_assert_cmpuint (n, >=, 300);
  g_assert_cmpuint (n, <=, 1200);
  g_assert_cmpstr (wpi_sim_phone_get_item (v3->phone, "software-version", -1), ==, "V3 R5.12.0");
  g_assert_cmpstr (wpi_sim_phone_get_item (v1->phone, "software-version", -1), ==, "V1 R4.9.0");
  g_assert_cmpstr (wpi_sim_phone_get_item (v3->phone, "dls-chunk-size", -1), ==, "5492");
  g_assert_nonnull (wpi_sim_phone_get_item (v3->phone, "key-label", 1));
  g_assert_null (wpi_sim_phone_get_item (v3->phone, "key-label", 301));
  /* V1 has no user-pwd-unicode at all; V2+ no longer the old gigabit-ethernet */
  g_assert_null (wpi_sim_phone_get_item (v1->phone, "user-pwd-unicode", -1));
  g_assert_nonnull (wpi_sim_phone_get_item (v3->phone, "user-pwd-unicode", -1));
  g_assert_null (wpi_sim_phone_get_item (v3->phone, "gigabit-ethernet", -1));

  /* set_item: checked against the catalogue */
  g_assert_true (wpi_sim_phone_set_item (v3->phone, "codec-type", 2, "1", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (wpi_sim_phone_get_item (v3->phone, "codec-type", 2), ==, "1");
  g_assert_false (wpi_sim_phone_set_item (v3->phone, "codec-type", 7, "1", &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_INDEX);
  g_clear_error (&error);
  g_assert_false (wpi_sim_phone_set_item (v3->phone, "auto-answer", -1, "perhaps", &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_VALUE);
  g_clear_error (&error);
  g_assert_false (wpi_sim_phone_set_item (v3->phone, "no-such-item", -1, "1", &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_UNKNOWN_ITEM);
  g_clear_error (&error);
  g_assert_false (wpi_sim_phone_change_item_locally (v3->phone, "device-type", -1, "x", &error));
  g_assert_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_READ_ONLY);
  g_clear_error (&error);

  for (guint i = 0; i < 2; i++)
    {
      WpiSimPhone *phone = i == 0 ? v1->phone : v3->phone;
      const char *names[] = { "auto-answer", "sip-transport-user", "reg-port", "admin-pwd" };

      for (guint j = 0; j < G_N_ELEMENTS (names); j++)
        {
          const char *value = wpi_sim_phone_get_item (phone, names[j], -1);
          WpiItemInfo *info = wpi_catalogue_lookup (catalogue, names[j]);

          g_assert_nonnull (value);
          g_assert_nonnull (info);
          g_assert_true (wpi_item_info_validate_value (info, value, &error));
          g_assert_no_error (error);
        }
    }

  watch_free (v1);
  watch_free (v3);
  service_free (svc);
}

static void
test_start_up_read_all (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(GError) error = NULL;
  Received *start_up, *reply;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  expect (svc, "start-up", NULL, NULL, answer_new (WPI_ACTION_READ_ALL_ITEMS));
  expect_clean_up (svc, "reply-to", "ReadAllItems", "accepted");
  g_assert_true (wpi_sim_phone_start (watch->phone, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (wpi_sim_phone_get_contact_uri (watch->phone), "http://127.1."));
  g_assert_true (g_str_has_suffix (wpi_sim_phone_get_contact_uri (watch->phone),
                                   "/contact_dls.html/ContactDLS"));
  wait_flows (watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  g_assert_cmpstr (watch->last_detail, ==, "ReadAllItems,CleanUp");
  g_assert_cmpuint (svc->received->len, ==, 2);

  start_up = received_at (svc, 0);
  g_assert_cmpint (wpi_message_get_reason (start_up->message), ==, WPI_REASON_START_UP);
  g_assert_null (wpi_message_get_fragment_string (start_up->message));
  g_assert_cmpint (wpi_message_get_max_items (start_up->message), ==, -1);
  assert_basic_items (watch, start_up->message);
  g_assert_cmpstr (item_value (start_up->message, "configuration-changed-flag"), ==, "false");

  reply = received_at (svc, 1);
  g_assert_nonnull (reply->cookie);
  g_assert_cmpint (wpi_message_get_fragment (reply->message), ==, WPI_FRAGMENT_FINAL);
  g_assert_cmpuint (wpi_message_get_n_items (reply->message), ==,
                    wpi_sim_phone_get_n_items (watch->phone) - 2 /* the two certificates */);
  /* R13: no certificates in ReadAllItems */
  g_assert_null (find_item (reply->message, "wbm-server-certificate", -1));
  g_assert_null (find_item (reply->message, "dls-client-certificate", -1));
  g_assert_nonnull (find_item (reply->message, "wbm-server-certificate-info", -1));
  g_assert_nonnull (find_item (reply->message, "key-label", 8));
  g_assert_cmpstr (item_value (reply->message, "mac-addr"), ==, wpi_sim_phone_get_mac (watch->phone));
  /* no duplicates */
  for (guint i = 0; i < wpi_message_get_n_items (reply->message); i++)
    {
      const WpiItem *item = wpi_message_get_item (reply->message, i);
      g_autofree char *key = g_strdup_printf ("%s#%" G_GINT64_FORMAT, item->name,
                                              item->has_index ? item->index : -1);

      g_assert_false (g_hash_table_contains (names, key));
      g_hash_table_add (names, g_steal_pointer (&key));
    }
  g_assert_cmpint (wpi_sim_phone_get_state (watch->phone), ==, WPI_SIM_PHONE_STATE_IDLE);

  watch_free (watch);
  service_free (svc);
}

static void
test_contact_me (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V2R2);
  g_autoptr(WpiMessage) read = answer_new (WPI_ACTION_READ_ITEMS);
  Received *solicited, *reply;
  const WpiItem *item;

  start_phone (svc, watch);

  wpi_message_add_item (read, "reg-addr", "");
  wpi_message_add_item (read, "no-such-item", "");
  wpi_message_add_indexed_item (read, "codec-type", 1, "");
  wpi_message_add_indexed_item (read, "codec-type", 9, "");
  wpi_message_add_item (read, "key-label", "");
  expect (svc, "solicited", NULL, NULL, g_object_ref (read));
  expect_clean_up (svc, "reply-to", "ReadItems", "accepted");
  contact_and_wait (svc, watch, 1);
  g_assert_cmpstr (watch->last_detail, ==, "ReadItems,CleanUp");

  solicited = last_received (svc, 1);
  g_assert_cmpint (wpi_message_get_reason (solicited->message), ==, WPI_REASON_SOLICITED);
  assert_basic_items (watch, solicited->message);
  reply = last_received (svc, 0);
  assert_basic_items (watch, reply->message);
  g_assert_cmpstr (item_value (reply->message, "reg-addr"), ==, "sip.example.net");
  item = find_item (reply->message, "no-such-item", -1);
  g_assert_nonnull (item);
  g_assert_cmpstr (item->value, ==, "");
  g_assert_cmpstr (item->status, ==, "unknown item");
  item = find_item (reply->message, "codec-type", 1);
  g_assert_nonnull (item);
  g_assert_null (item->status);
  item = find_item (reply->message, "codec-type", 9);
  g_assert_cmpstr (item->status, ==, "invalid index");
  /* an indexed item named without index: every instance */
  g_assert_nonnull (find_item (reply->message, "key-label", 1));
  g_assert_nonnull (find_item (reply->message, "key-label", 8));

  /* GET with a query works too, and without dls_ip_addr the phone calls its service */
  expect_clean_up (svc, "solicited", NULL, NULL);
  send_contact_me (svc, watch, "GET", FALSE);
  wait_flows (watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);

  /* ContactMe=false: answered, no call-back */
  {
    g_autofree char *uri = g_strdup_printf ("%s?ContactMe=false",
                                            wpi_sim_phone_get_contact_uri (watch->phone));
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);

    contact_exchange (msg);
    test_util_drain_main_context ();
    g_assert_false (wpi_sim_phone_get_in_flow (watch->phone));
  }

  watch_free (watch);
  service_free (svc);
}

static void
test_ignore_contact (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  guint started;

  start_phone (svc, watch);
  g_object_set (watch->phone, "ignore-contact-ratio", 1.0, NULL);
  started = watch->n_started;
  send_contact_me (svc, watch, "POST", TRUE);
  /* the call-back would start from an idle callback: run them all */
  test_util_drain_main_context ();
  g_assert_cmpuint (watch->n_started, ==, started);
  g_assert_false (wpi_sim_phone_get_in_flow (watch->phone));

  watch_free (watch);
  service_free (svc);
}

static void
test_write_items (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(WpiMessage) write = answer_new (WPI_ACTION_WRITE_ITEMS);
  Received *reply;
  const WpiItem *item;

  start_phone (svc, watch);

  wpi_message_add_item (write, "auto-answer", "true");
  wpi_message_add_item (write, "device-type", "OpenStage 80");
  wpi_message_add_item (write, "socketed-headset-mode", "1");
  wpi_message_add_indexed_item (write, "codec-type", 99, "1");
  wpi_message_add_item (write, "sip-transport-user", "7");
  wpi_message_add_indexed_item (write, "key-label", 301, "Boss");
  wpi_message_add_item (write, "e164", "4930123456");
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect_clean_up (svc, "reply-to", "WriteItems", "accepted");
  contact_and_wait (svc, watch, 1);

  reply = last_received (svc, 0);
  g_assert_cmpint (wpi_message_get_fragment (reply->message), ==, WPI_FRAGMENT_FINAL);
  g_assert_true (wpi_message_has_item_list (reply->message));
  /* only the refused items, each with its verdict */
  g_assert_cmpuint (wpi_message_get_n_items (reply->message), ==, 4);
  item = find_item (reply->message, "device-type", -1);
  g_assert_cmpstr (item->status, ==, "read only");
  item = find_item (reply->message, "socketed-headset-mode", -1);
  g_assert_cmpstr (item->status, ==, "unknown item");
  item = find_item (reply->message, "codec-type", 99);
  g_assert_cmpstr (item->status, ==, "invalid index");
  item = find_item (reply->message, "sip-transport-user", -1);
  g_assert_cmpstr (item->status, ==, "invalid data");

  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "key-label", 301), ==, "Boss");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "device-type", -1), ==, "OpenStage 60");
  g_assert_cmpstr (wpi_sim_phone_get_e164 (watch->phone), ==, "4930123456");

  /* everything accepted: an empty <ItemList/>; the new e164 is used from now on */
  g_clear_object (&write);
  write = answer_new (WPI_ACTION_WRITE_ITEMS);
  wpi_message_add_item (write, "auto-answer", "false");
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect_clean_up (svc, "reply-to", "WriteItems", "accepted");
  contact_and_wait (svc, watch, 1);
  reply = last_received (svc, 0);
  g_assert_true (wpi_message_has_item_list (reply->message));
  g_assert_cmpuint (wpi_message_get_n_items (reply->message), ==, 0);
  g_assert_cmpstr (item_value (last_received (svc, 1)->message, "e164"), ==, "4930123456");

  watch_free (watch);
  service_free (svc);
}

static void
test_busy_send_solicited (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(WpiMessage) write = answer_new (WPI_ACTION_WRITE_ITEMS);
  g_autoptr(WpiMessage) clean_up_solicited = answer_new (WPI_ACTION_CLEAN_UP);
  Received *reply;
  guint started;

  start_phone (svc, watch);
  wpi_message_add_item (write, "auto-answer", "true");
  wpi_message_add_item (clean_up_solicited, "send-solicited", "true");

  wpi_sim_phone_set_in_call (watch->phone, TRUE);
  g_assert_cmpint (wpi_sim_phone_get_state (watch->phone), ==, WPI_SIM_PHONE_STATE_IN_CALL);

  /* job 1: refused busy, CleanUp + send-solicited */
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect (svc, "reply-to", "WriteItems", "busy", g_object_ref (clean_up_solicited));
  contact_and_wait (svc, watch, 1);
  reply = last_received (svc, 0);
  g_assert_cmpint (wpi_message_get_fragment (reply->message), ==, WPI_FRAGMENT_FINAL);
  g_assert_false (wpi_message_has_item_list (reply->message));
  g_assert_cmpuint (wpi_message_get_n_items (reply->message), ==, 0);
  g_assert_true (wpi_sim_phone_get_pending_solicited (watch->phone));
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "false");

  /* job 2: a plain CleanUp does not cancel the indication (p.72) */
  expect_clean_up (svc, "solicited", NULL, NULL);
  contact_and_wait (svc, watch, 1);
  g_assert_true (wpi_sim_phone_get_pending_solicited (watch->phone));

  /* job 3: busy again, a second send-solicited */
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect (svc, "reply-to", "WriteItems", "busy", g_object_ref (clean_up_solicited));
  contact_and_wait (svc, watch, 1);
  test_util_drain_main_context ();
  g_assert_false (wpi_sim_phone_get_in_flow (watch->phone));

  /* the call ends: exactly one solicited flow, in which the write succeeds */
  started = watch->n_started;
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect_clean_up (svc, "reply-to", "WriteItems", "accepted");
  wpi_sim_phone_set_in_call (watch->phone, FALSE);
  wait_flows (watch, 1);
  test_util_drain_main_context ();
  g_assert_cmpuint (watch->n_started, ==, started + 1);
  g_assert_false (wpi_sim_phone_get_pending_solicited (watch->phone));
  g_assert_false (wpi_sim_phone_get_in_flow (watch->phone));
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");
  g_assert_cmpuint (watch->n_failed, ==, 0);

  watch_free (watch);
  service_free (svc);
}

/* D21: a CleanUp overload is not the end of it: the phone sends the same report again after
 * its retry delay (back-off with jitter), a contact-me's solicited flow too. */
static void
test_overload (void)
{
  static const char * const reasons[] = { "start-up", "solicited" };

  for (guint i = 0; i < G_N_ELEMENTS (reasons); i++)
    {
      TestService *svc = service_new ();
      Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
      WpiMessage *overload = answer_new (WPI_ACTION_CLEAN_UP);
      gboolean solicited = g_str_equal (reasons[i], "solicited");
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", reasons[i]);
      if (solicited)
        start_phone (svc, watch);
      wpi_message_add_item (overload, "cleanup-reason", "overload");
      expect (svc, reasons[i], NULL, NULL, overload);
      expect_clean_up (svc, reasons[i], NULL, NULL);
      if (solicited)
        send_contact_me (svc, watch, "POST", TRUE);
      else
        g_assert_true (wpi_sim_phone_start (watch->phone, &error));
      g_assert_no_error (error);
      wait_flows (watch, 2);

      g_assert_cmpuint (watch->n_failed, ==, 1);
      g_assert_cmpstr (g_ptr_array_index (watch->details, watch->details->len - 2), ==,
                       WPI_SIM_FLOW_OVERLOADED);
      g_assert_true (g_array_index (watch->oks, gboolean, watch->oks->len - 1));
      g_assert_cmpstr (watch->last_detail, ==, "CleanUp");
      g_assert_cmpint (wpi_message_get_reason (last_received (svc, 0)->message), ==,
                       wpi_message_get_reason (last_received (svc, 1)->message));

      watch_free (watch);
      service_free (svc);
    }
}

static void
test_busy_old_firmware (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V2R2);
  g_autoptr(WpiMessage) write = answer_new (WPI_ACTION_WRITE_ITEMS);
  g_autoptr(WpiMessage) clean_up_solicited = answer_new (WPI_ACTION_CLEAN_UP);
  guint started;

  start_phone (svc, watch);
  wpi_message_add_item (write, "auto-answer", "true");
  wpi_message_add_item (clean_up_solicited, "send-solicited", "true");
  wpi_sim_phone_set_in_call (watch->phone, TRUE);

  /* before V3R3 send-solicited means nothing: no call-back after the call */
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect (svc, "reply-to", "WriteItems", "busy", g_object_ref (clean_up_solicited));
  contact_and_wait (svc, watch, 1);
  g_assert_false (wpi_sim_phone_get_pending_solicited (watch->phone));
  started = watch->n_started;
  wpi_sim_phone_set_in_call (watch->phone, FALSE);
  test_util_drain_main_context ();
  g_assert_cmpuint (watch->n_started, ==, started);

  watch_free (watch);
  service_free (svc);
}

static void
test_fragments (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  Step *step;
  guint total = 0, first;
  g_autoptr(GError) error = NULL;

  g_object_set (watch->phone, "max-items", (gint64) 5, NULL);
  start_phone (svc, watch);
  g_assert_cmpint (wpi_message_get_max_items (received_at (svc, 0)->message), ==, 5);

  /* maxItems 5: the ReadAllItems reply comes in fragments of 5, GetNextFragment between */
  first = svc->received->len;
  expect (svc, "solicited", NULL, NULL, answer_new (WPI_ACTION_READ_ALL_ITEMS));
  step = expect (svc, "reply-to", "ReadAllItems", "accepted", answer_new (WPI_ACTION_CLEAN_UP));
  step->follow_fragments = TRUE;
  contact_and_wait (svc, watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  for (guint i = first + 1; i < svc->received->len; i++)
    {
      WpiMessage *fragment = received_at (svc, i)->message;
      gboolean last = i == svc->received->len - 1;

      g_assert_cmpint (wpi_message_get_fragment (fragment), ==,
                       last ? WPI_FRAGMENT_FINAL : WPI_FRAGMENT_NEXT);
      g_assert_cmpuint (wpi_message_get_n_items (fragment), <=, 5);
      if (!last)
        g_assert_cmpuint (wpi_message_get_n_items (fragment), ==, 5);
      total += wpi_message_get_n_items (fragment);
    }
  g_assert_cmpuint (total, ==, wpi_sim_phone_get_n_items (watch->phone) - 2);
  g_assert_cmpuint (svc->received->len - first - 1, ==, (total + 4) / 5);

  /* without maxItems, a reply over 50,000 bytes is split by size */
  g_object_set (watch->phone, "max-items", (gint64) -1, NULL);
  {
    g_autofree char *big = g_strnfill (9000, 'x');
    const char *names[] = { "blf-code", "callback-busy-code", "callback-cancel-code",
                            "callback-ring-code", "cfu-ext-address", "deflect-destination",
                            "emergency-e164", "hot-line-warm-line-digits", "ldap-user",
                            "mwi-e164", "park-server", "pickup-group-uri" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_assert_true (wpi_sim_phone_set_item (watch->phone, names[i], -1, big, &error));
        g_assert_no_error (error);
      }
  }
  first = svc->received->len;
  expect (svc, "solicited", NULL, NULL, answer_new (WPI_ACTION_READ_ALL_ITEMS));
  step = expect (svc, "reply-to", "ReadAllItems", "accepted", answer_new (WPI_ACTION_CLEAN_UP));
  step->follow_fragments = TRUE;
  contact_and_wait (svc, watch, 1);
  total = 0;
  for (guint i = first + 1; i < svc->received->len; i++)
    {
      g_assert_cmpuint (received_at (svc, i)->length, <=, 50000);
      total += wpi_message_get_n_items (received_at (svc, i)->message);
    }
  g_assert_cmpuint (svc->received->len - first - 1, >=, 3);
  g_assert_cmpuint (total, ==, wpi_sim_phone_get_n_items (watch->phone) - 2);

  /* GetNextFragment with nothing to send: failed */
  expect (svc, "solicited", NULL, NULL, answer_new (WPI_ACTION_GET_NEXT_FRAGMENT));
  expect_clean_up (svc, "reply-to", "GetNextFragment", "failed");
  contact_and_wait (svc, watch, 1);

  watch_free (watch);
  service_free (svc);
}

static void
test_unknown_action (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(WpiMessage) odd = answer_new (WPI_ACTION_NONE);

  start_phone (svc, watch);
  wpi_message_set_action_string (odd, "MakeCoffee");
  expect (svc, "solicited", NULL, NULL, g_object_ref (odd));
  expect_clean_up (svc, "reply-to", "MakeCoffee", "failed");
  contact_and_wait (svc, watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);

  watch_free (watch);
  service_free (svc);
}

/* The phone's own clean-up (p.83): instead of the WriteItems, with the reason, in the flow */
static void
test_abort (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(WpiMessage) write = answer_new (WPI_ACTION_WRITE_ITEMS);
  Received *clean_up;

  start_phone (svc, watch);
  wpi_message_add_item (write, "auto-answer", "true");
  wpi_sim_phone_abort_next_action (watch->phone, "password retries exceeded");
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect_clean_up (svc, "clean-up", NULL, NULL);
  contact_and_wait (svc, watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  g_assert_cmpstr (watch->last_detail, ==, "WriteItems,clean-up,CleanUp");
  clean_up = last_received (svc, 0);
  g_assert_null (wpi_message_get_action_string (clean_up->message));
  g_assert_null (wpi_message_get_status_string (clean_up->message));
  g_assert_cmpstr (item_value (clean_up->message, "cleanup-reason"), ==, "password retries exceeded");
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "false");

  /* once only: the next write is carried out */
  expect (svc, "solicited", NULL, NULL, g_object_ref (write));
  expect_clean_up (svc, "reply-to", "WriteItems", "accepted");
  contact_and_wait (svc, watch, 1);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");

  watch_free (watch);
  service_free (svc);
}

static void
test_bad_answers (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(GError) error = NULL;
  Step *step;

  /* a 403 ends the start-up; the phone retries and registers */
  step = expect (svc, "start-up", NULL, NULL, NULL);
  step->http_status = SOUP_STATUS_FORBIDDEN;
  step = expect (svc, "start-up", NULL, NULL, NULL);
  step->raw_body = g_strdup ("<html>not a DLSMessage</html>");
  expect_clean_up (svc, "start-up", NULL, NULL);
  g_assert_true (wpi_sim_phone_start (watch->phone, &error));
  wait_flows (watch, 3);
  g_assert_cmpuint (watch->n_failed, ==, 2);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (watch->reasons, 0), "start-up"));

  /* an answer with somebody else's nonce ends the flow */
  step = expect (svc, "solicited", NULL, NULL, NULL);
  step->raw_body = g_strdup ("<DLSMessage xmlns=\"http://www.siemens.com/DLS\">"
                             "<Message nonce=\"00000000000000000000000000000000\">"
                             "<Action>CleanUp</Action></Message></DLSMessage>");
  contact_and_wait (svc, watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 3);
  g_assert_nonnull (strstr (watch->last_detail, "nonce"));

  watch_free (watch);
  service_free (svc);
}

static void
test_restart (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  gboolean rebooted = FALSE;

  start_phone (svc, watch);
  g_array_set_size (watch->states, 0);

  /* Restart gets no reply; the phone reboots and registers again */
  expect (svc, "solicited", NULL, NULL, answer_new (WPI_ACTION_RESTART));
  expect_clean_up (svc, "start-up", NULL, NULL);
  contact_and_wait (svc, watch, 2);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  g_assert_cmpstr (g_ptr_array_index (watch->reasons, watch->reasons->len - 1), ==, "start-up");
  for (guint i = 0; i < watch->states->len; i++)
    rebooted |= g_array_index (watch->states, WpiSimPhoneState, i) == WPI_SIM_PHONE_STATE_REBOOTING;
  g_assert_true (rebooted);

  watch_free (watch);
  service_free (svc);
}

static void
test_factory_reset (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(WpiMessage) wrong = answer_new (WPI_ACTION_RESTART);
  g_autoptr(WpiMessage) reset = answer_new (WPI_ACTION_RESTART);
  g_autoptr(GError) error = NULL;
  g_autofree char *e164 = NULL;
  Received *start_up;

  start_phone (svc, watch);
  e164 = g_strdup (wpi_sim_phone_get_e164 (watch->phone));
  g_assert_true (wpi_sim_phone_set_item (watch->phone, "auto-answer", -1, "true", &error));
  g_assert_true (wpi_sim_phone_set_item (watch->phone, "e164", -1, "4930999", &error));
  g_assert_true (wpi_sim_phone_set_item (watch->phone, "key-label", 302, "Module", &error));
  g_assert_no_error (error);

  /* a wrong password: failed, nothing happens */
  wpi_message_add_item (wrong, "restart-type", "FactoryReset");
  wpi_message_add_item (wrong, "restart-password", "111111");
  expect (svc, "solicited", NULL, NULL, g_object_ref (wrong));
  expect_clean_up (svc, "reply-to", "Restart", "failed");
  contact_and_wait (svc, watch, 1);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "true");

  /* the right one: every item back to its default, then start-up */
  wpi_message_add_item (reset, "restart-type", "FactoryReset");
  wpi_message_add_item (reset, "restart-password", "124816");
  expect (svc, "solicited", NULL, NULL, g_object_ref (reset));
  expect_clean_up (svc, "start-up", NULL, NULL);
  contact_and_wait (svc, watch, 2);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  g_assert_cmpstr (wpi_sim_phone_get_item (watch->phone, "auto-answer", -1), ==, "false");
  g_assert_cmpstr (wpi_sim_phone_get_e164 (watch->phone), ==, e164);
  g_assert_null (wpi_sim_phone_get_item (watch->phone, "key-label", 302));
  g_assert_cmpstr (wpi_sim_phone_get_software_version (watch->phone), ==, "V3 R5.12.0");
  start_up = last_received (svc, 0);
  g_assert_cmpint (wpi_message_get_reason (start_up->message), ==, WPI_REASON_START_UP);
  g_assert_cmpstr (item_value (start_up->message, "configuration-changed-flag"), ==, "true");
  g_assert_cmpstr (item_value (start_up->message, "e164"), ==, e164);

  watch_free (watch);
  service_free (svc);
}

static void
add_file (TestService *svc,
          const char  *path,
          gsize        size)
{
  guint8 *data = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) (i * 7);
  g_hash_table_insert (svc->files, g_strdup (path), g_bytes_new_take (data, size));
}

static void
test_file_deployment_single (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  g_autoptr(WpiMessage) deploy = answer_new (WPI_ACTION_FILE_DEPLOYMENT);
  g_autoptr(WpiMessage) missing = answer_new (WPI_ACTION_FILE_DEPLOYMENT);
  g_autofree char *url = NULL;
  g_autofree char *missing_url = NULL;
  Received *status;
  const char *name, *type, *result;
  guint64 size;

  start_phone (svc, watch);
  add_file (svc, "/files/logo.png", 70000);
  url = g_strdup_printf ("%s/files/logo.png", svc->base_uri);
  wpi_message_add_item (deploy, "file-https-base-url", url);
  wpi_message_add_item (deploy, "file-type", "LOGO");
  wpi_message_add_item (deploy, "file-username", "phone");

  /* the status comes in the same flow: same cookie, same nonce */
  expect (svc, "solicited", NULL, NULL, g_object_ref (deploy));
  expect_clean_up (svc, "status", NULL, NULL);
  contact_and_wait (svc, watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  g_assert_cmpuint (svc->n_file_gets, ==, 1);
  status = last_received (svc, 0);
  assert_basic_items (watch, status->message);
  g_assert_null (wpi_message_get_fragment_string (status->message));
  g_assert_cmpstr (item_value (status->message, "file-deployment-name"), ==, "logo.png");
  g_assert_cmpstr (item_value (status->message, "file-deployment-type"), ==, "LOGO");
  g_assert_cmpstr (item_value (status->message, "file-deployment-status"), ==, "ok");
  g_assert_cmpuint (strlen (item_value (status->message, "file-deployment-date")), ==, 10);
  g_assert_cmpuint (strlen (item_value (status->message, "file-deployment-time")), ==, 8);
  g_assert_cmpuint (wpi_sim_phone_get_n_files (watch->phone), ==, 1);
  g_assert_true (wpi_sim_phone_get_file (watch->phone, 0, &name, &type, &result, &size));
  g_assert_cmpstr (name, ==, "logo.png");
  g_assert_cmpuint (size, ==, 70000);

  /* a file the server does not have: status failed */
  missing_url = g_strdup_printf ("%s/files/missing.wav", svc->base_uri);
  wpi_message_add_item (missing, "file-https-base-url", missing_url);
  wpi_message_add_item (missing, "file-type", "RINGTONE");
  expect (svc, "solicited", NULL, NULL, g_object_ref (missing));
  expect_clean_up (svc, "status", NULL, NULL);
  contact_and_wait (svc, watch, 1);
  status = last_received (svc, 0);
  g_assert_cmpstr (item_value (status->message, "file-deployment-name"), ==, "missing.wav");
  g_assert_cmpstr (item_value (status->message, "file-deployment-status"), ==, "failed");

  watch_free (watch);
  service_free (svc);
}

static void
test_file_deployment_multiple (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V2R2);
  g_autoptr(WpiMessage) deploy = answer_new (WPI_ACTION_FILE_DEPLOYMENT);
  g_autoptr(WpiMessage) remove = answer_new (WPI_ACTION_FILE_DEPLOYMENT);
  g_autofree char *logo = NULL;
  g_autofree char *ring = NULL;
  Received *reply;

  start_phone (svc, watch);
  add_file (svc, "/files/logo.png", 1000);
  add_file (svc, "/files/ring.wav", 200000);
  logo = g_strdup_printf ("%s/files/logo.png", svc->base_uri);
  ring = g_strdup_printf ("%s/files/ring.wav", svc->base_uri);
  wpi_message_add_indexed_item (deploy, "file-https-base-url", 1, logo);
  wpi_message_add_indexed_item (deploy, "file-type", 1, "LOGO");
  wpi_message_add_indexed_item (deploy, "file-action", 1, "deploy");
  wpi_message_add_indexed_item (deploy, "file-https-base-url", 2, ring);
  wpi_message_add_indexed_item (deploy, "file-type", 2, "RINGTONE");
  wpi_message_add_indexed_item (deploy, "file-name", 2, "ring.wav");
  wpi_message_add_indexed_item (deploy, "file-action", 2, "deploy");

  /* accepted at once, downloaded in the background, no status (p.55) */
  expect (svc, "solicited", NULL, NULL, g_object_ref (deploy));
  expect_clean_up (svc, "reply-to", "FileDeployment", "accepted");
  contact_and_wait (svc, watch, 1);
  watch->target = 2;
  wait_until (downloads_finished, watch, "two downloads");
  g_assert_cmpuint (svc->n_file_gets, ==, 2);
  g_assert_cmpuint (wpi_sim_phone_get_n_files (watch->phone), ==, 2);

  /* the inventory is in ReadAllItems, indexed */
  expect (svc, "solicited", NULL, NULL, answer_new (WPI_ACTION_READ_ALL_ITEMS));
  expect_clean_up (svc, "reply-to", "ReadAllItems", "accepted");
  contact_and_wait (svc, watch, 1);
  reply = last_received (svc, 0);
  g_assert_nonnull (find_item (reply->message, "file-deployment-name", 1));
  g_assert_nonnull (find_item (reply->message, "file-deployment-name", 2));
  g_assert_cmpstr (find_item (reply->message, "file-deployment-status", 2)->value, ==, "ok");
  g_assert_null (find_item (reply->message, "file-deployment-name", 3));

  /* delete one by (name, type) */
  wpi_message_add_indexed_item (remove, "file-name", 1, "logo.png");
  wpi_message_add_indexed_item (remove, "file-type", 1, "LOGO");
  wpi_message_add_indexed_item (remove, "file-action", 1, "delete");
  expect (svc, "solicited", NULL, NULL, g_object_ref (remove));
  expect_clean_up (svc, "reply-to", "FileDeployment", "accepted");
  contact_and_wait (svc, watch, 1);
  g_assert_cmpuint (wpi_sim_phone_get_n_files (watch->phone), ==, 1);

  watch_free (watch);
  service_free (svc);
}

static void
test_software_deployment (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V1);
  g_autoptr(WpiMessage) deploy = answer_new (WPI_ACTION_SOFTWARE_DEPLOYMENT);
  g_autofree char *url = NULL;
  Received *start_up;

  start_phone (svc, watch);
  add_file (svc, "/files/OS_60_SIP_V3_R5_12_0.img", 300000);
  url = g_strdup_printf ("%s/files/OS_60_SIP_V3_R5_12_0.img", svc->base_uri);
  wpi_message_add_item (deploy, "file-https-base-url", url);
  wpi_message_add_item (deploy, "file-type", "APP");
  wpi_message_add_item (deploy, "file-sw-type", "Siemens SIP");
  wpi_message_add_item (deploy, "file-sw-version", "3.5.12.0");
  wpi_message_add_item (deploy, "file-priority", "normal");

  /* in a call, priority normal: refused */
  wpi_sim_phone_set_in_call (watch->phone, TRUE);
  expect (svc, "solicited", NULL, NULL, g_object_ref (deploy));
  expect_clean_up (svc, "reply-to", "SoftwareDeployment", "failed");
  contact_and_wait (svc, watch, 1);
  g_assert_cmpuint (svc->n_file_gets, ==, 0);
  wpi_sim_phone_set_in_call (watch->phone, FALSE);

  /* idle: accepted; after the CleanUp the image is fetched, the phone reboots into it */
  expect (svc, "solicited", NULL, NULL, g_object_ref (deploy));
  expect_clean_up (svc, "reply-to", "SoftwareDeployment", "accepted");
  expect_clean_up (svc, "start-up", NULL, NULL);
  contact_and_wait (svc, watch, 2);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  g_assert_cmpuint (svc->n_file_gets, ==, 1);
  start_up = last_received (svc, 0);
  g_assert_cmpint (wpi_message_get_reason (start_up->message), ==, WPI_REASON_START_UP);
  g_assert_cmpstr (item_value (start_up->message, "software-version"), ==, "V3 R5.12.0");
  g_assert_cmpstr (wpi_sim_phone_get_software_version (watch->phone), ==, "V3 R5.12.0");
  /* and it now behaves as V3: V2 items in its basic block */
  g_assert_nonnull (item_value (start_up->message, "gigabit-ethernet-enabled") ?:
                    item_value (start_up->message, "user-pwd-unicode"));

  watch_free (watch);
  service_free (svc);
}

static gboolean
polled (gpointer data)
{
  TestService *svc = data;

  return svc->poll_ids->len >= 1;
}

static void
test_polling (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  guint started;

  start_phone (svc, watch);

  /* 200: nothing waits */
  started = watch->n_started;
  wpi_sim_phone_poll_now (watch->phone);
  wait_until (polled, svc, "a poll");
  g_assert_cmpstr (g_ptr_array_index (svc->poll_ids, 0), ==, wpi_sim_phone_get_mac (watch->phone));
  g_assert_cmpuint (watch->n_started, ==, started);

  /* 202: a job waits, the phone calls in */
  svc->poll_status = SOUP_STATUS_ACCEPTED;
  expect (svc, "solicited", NULL, NULL, answer_new (WPI_ACTION_READ_ALL_ITEMS));
  expect_clean_up (svc, "reply-to", "ReadAllItems", "accepted");
  g_object_set (watch->phone, "poll-interval", 0.05, NULL);
  wait_flows (watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
  svc->poll_status = SOUP_STATUS_OK;

  watch_free (watch);
  service_free (svc);
}

static void
test_local_changes (void)
{
  TestService *svc = service_new ();
  Watch *v2 = phone_new (svc, WPI_SIM_FIRMWARE_V2R2);
  Watch *v1 = phone_new (svc, WPI_SIM_FIRMWARE_V1);
  g_autoptr(GError) error = NULL;
  Received *report;

  start_phone (svc, v2);
  start_phone (svc, v1);

  /* V2R2+: the changed items travel with the report */
  expect_clean_up (svc, "local-changes", NULL, NULL);
  g_assert_true (wpi_sim_phone_change_item_locally (v2->phone, "auto-answer", -1, "true", &error));
  g_assert_no_error (error);
  wait_flows (v2, 1);
  report = last_received (svc, 0);
  assert_basic_items (v2, report->message);
  g_assert_cmpstr (item_value (report->message, "configuration-changed-flag"), ==, "true");
  g_assert_cmpstr (item_value (report->message, "configuration-attached-flag"), ==, "true");
  g_assert_cmpstr (item_value (report->message, "configuration-attached-number"), ==, "1");
  g_assert_cmpstr (item_value (report->message, "auto-answer"), ==, "true");

  /* a report that fails is made again, with the same items */
  {
    Step *step = expect (svc, "local-changes", NULL, NULL, NULL);

    step->http_status = SOUP_STATUS_SERVICE_UNAVAILABLE;
  }
  expect_clean_up (svc, "local-changes", NULL, NULL);
  g_assert_true (wpi_sim_phone_change_item_locally (v2->phone, "hot-line-warm-line-digits", -1,
                                                    "112", &error));
  wait_flows (v2, 2);
  g_assert_cmpuint (v2->n_failed, ==, 1);
  report = last_received (svc, 0);
  g_assert_cmpstr (item_value (report->message, "configuration-attached-number"), ==, "1");
  g_assert_cmpstr (item_value (report->message, "hot-line-warm-line-digits"), ==, "112");

  /* V1: only the flag; the service reads everything */
  expect (svc, "local-changes", NULL, NULL, answer_new (WPI_ACTION_READ_ALL_ITEMS));
  expect_clean_up (svc, "reply-to", "ReadAllItems", "accepted");
  g_assert_true (wpi_sim_phone_change_item_locally (v1->phone, "auto-answer", -1, "true", &error));
  wait_flows (v1, 1);
  report = last_received (svc, 1);
  g_assert_cmpstr (item_value (report->message, "configuration-changed-flag"), ==, "true");
  g_assert_null (item_value (report->message, "configuration-attached-flag"));
  g_assert_null (item_value (report->message, "auto-answer"));
  g_assert_cmpstr (item_value (last_received (svc, 0)->message, "auto-answer"), ==, "true");

  /* read in full, the flag is clear again */
  expect_clean_up (svc, "solicited", NULL, NULL);
  contact_and_wait (svc, v1, 1);
  g_assert_cmpstr (item_value (last_received (svc, 0)->message, "configuration-changed-flag"), ==,
                   "false");

  /* random local changes on a timer are valid for the catalogue and reported */
  expect_clean_up (svc, "local-changes", NULL, NULL);
  g_object_set (v2->phone, "local-changes-interval", 0.05, NULL);
  wait_flows (v2, 1);
  g_object_set (v2->phone, "local-changes-interval", 0.0, NULL);
  report = last_received (svc, 0);
  g_assert_cmpint (wpi_message_get_reason (report->message), ==, WPI_REASON_LOCAL_CHANGES);
  g_assert_cmpstr (item_value (report->message, "configuration-attached-number"), ==, "1");
  {
    const WpiItem *changed = wpi_message_get_item (report->message,
                                                   wpi_message_get_n_items (report->message) - 1);

    g_assert_true (wpi_catalogue_validate_item (wpi_catalogue_get_default (), changed, &error));
    g_assert_no_error (error);
  }

  watch_free (v1);
  watch_free (v2);
  service_free (svc);
}

static void
test_inventory_changes (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  Received *report;

  start_phone (svc, watch);
  expect_clean_up (svc, "inventory-changes", NULL, NULL);
  wpi_sim_phone_change_inventory (watch->phone);
  wait_flows (watch, 1);
  report = last_received (svc, 0);
  assert_basic_items (watch, report->message);
  g_assert_cmpstr (item_value (report->message, "key-modules"), ==, "1");
  g_assert_nonnull (item_value (report->message, "blf-modules"));

  watch_free (watch);
  service_free (svc);
}

typedef struct {
  Watch *watch;
  guint  changes;
} CallWatch;

static void
on_in_call (WpiSimPhone *phone,
            GParamSpec  *pspec,
            CallWatch   *calls)
{
  calls->changes++;
}

static gboolean
calls_came_and_went (gpointer data)
{
  return ((CallWatch *) data)->changes >= 4;
}

static void
test_random_calls (void)
{
  TestService *svc = service_new ();
  Watch *watch = phone_new (svc, WPI_SIM_FIRMWARE_V3R3);
  CallWatch calls = { watch, 0 };

  /* always busy: in a call from the start, calls of 0.1 s back to back */
  g_object_set (watch->phone, "busy-ratio", 1.0, "call-seconds", 0.1, NULL);
  g_signal_connect (watch->phone, "notify::in-call", G_CALLBACK (on_in_call), &calls);
  start_phone (svc, watch);
  wait_until (calls_came_and_went, &calls, "calls to begin and end");

  /* a manual call has no end of its own; leaving it resumes the random ones */
  wpi_sim_phone_set_in_call (watch->phone, TRUE);
  calls.changes = 0;
  test_util_drain_main_context ();
  g_assert_true (wpi_sim_phone_get_in_call (watch->phone));
  g_object_set (watch->phone, "busy-ratio", 0.0, NULL);
  wpi_sim_phone_set_in_call (watch->phone, FALSE);
  g_assert_false (wpi_sim_phone_get_in_call (watch->phone));

  g_signal_handlers_disconnect_by_data (watch->phone, &calls);
  watch_free (watch);
  service_free (svc);
}

typedef struct {
  WpiSimulator *simulator;
  guint         target;
} SimulatorWait;

static gboolean
simulator_flows_done (gpointer data)
{
  SimulatorWait *wait = data;

  return wpi_simulator_get_flows_ok (wait->simulator) + wpi_simulator_get_flows_failed (wait->simulator)
         >= wait->target;
}

static void
test_simulator (void)
{
  TestService *svc = service_new ();
  g_autoptr(WpiSimulator) simulator = wpi_simulator_new (svc->base_uri, 14);
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = g_strdup_printf ("127.%u", 100 + getpid () % 150);
  g_autoptr(GHashTable) macs = g_hash_table_new (g_str_hash, g_str_equal);
  SimulatorWait wait = { simulator, 14 };
  GListModel *phones;
  guint counts = 0;

  svc->clean_up_everything = TRUE;
  g_object_set (simulator, "bind-prefix", prefix, "firmware-mix", "v1, v3r3", "busy-ratio", 0.5,
                "call-seconds", 30.0, NULL);
  g_assert_true (wpi_simulator_start (simulator, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (wpi_simulator_get_n_phones (simulator), ==, 14);

  wait_until (simulator_flows_done, &wait, "14 start-ups");
  g_assert_cmpuint (wpi_simulator_get_flows_failed (simulator), ==, 0);

  phones = wpi_simulator_get_phones (simulator);
  for (guint i = 0; i < g_list_model_get_n_items (phones); i++)
    {
      g_autoptr(WpiSimPhone) phone = g_list_model_get_item (phones, i);
      g_autofree char *address = wpi_simulator_address_for (prefix, i, NULL);
      g_autofree char *uri = g_strdup_printf ("http://%s:8085/contact_dls.html/ContactDLS", address);

      g_assert_cmpstr (wpi_sim_phone_get_contact_uri (phone), ==, uri);
      g_assert_false (g_hash_table_contains (macs, wpi_sim_phone_get_mac (phone)));
      g_hash_table_add (macs, (gpointer) wpi_sim_phone_get_mac (phone));
      g_assert_true (wpi_simulator_lookup (simulator, wpi_sim_phone_get_mac (phone)) == phone);
      g_assert_cmpstr (wpi_sim_phone_get_device_type (phone), ==, wpi_sim_device_types ()[i % 7]);
      g_assert_cmpstr (wpi_sim_phone_get_software_version (phone), ==,
                       i % 2 == 0 ? "V1 R4.9.0" : "V3 R5.12.0");
    }
  g_assert_nonnull (wpi_simulator_lookup (simulator, "00:1a:e8:00:00:0e"));
  g_assert_null (wpi_simulator_lookup (simulator, "00:1A:E8:00:00:0F"));

  for (WpiSimPhoneState s = WPI_SIM_PHONE_STATE_IDLE; s <= WPI_SIM_PHONE_STATE_REBOOTING; s++)
    counts += wpi_simulator_count_state (simulator, s);
  g_assert_cmpuint (counts, ==, 14);

  wpi_simulator_stop (simulator);
  wait_until (test_util_simulator_is_quiet, simulator, "the simulator to quiet down");
  service_free (svc);
}

/* arrival-rate: the phones start one after the other, not at once */
static void
test_simulator_arrivals (void)
{
  TestService *svc = service_new ();
  g_autoptr(WpiSimulator) simulator = wpi_simulator_new (svc->base_uri, 4);
  g_autoptr(GError) error = NULL;
  g_autofree char *prefix = g_strdup_printf ("127.%u", 100 + (getpid () + 1) % 150);
  SimulatorWait wait = { simulator, 4 };
  gint64 start = g_get_monotonic_time ();

  svc->clean_up_everything = TRUE;
  g_object_set (simulator, "bind-prefix", prefix, "arrival-rate", 5.0, NULL);
  g_assert_true (wpi_simulator_start (simulator, &error));
  g_assert_no_error (error);
  wait_until (simulator_flows_done, &wait, "4 start-ups");
  /* the last of the four arrives 3/5 s after the first */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 3 * G_USEC_PER_SEC / 5);
  g_assert_cmpuint (wpi_simulator_get_flows_failed (simulator), ==, 0);

  wpi_simulator_stop (simulator);
  wait_until (test_util_simulator_is_quiet, simulator, "the simulator to quiet down");
  service_free (svc);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* phones trust any server; their requests queue so that the server's handshakes
   * always find a thread of this process */
  test_util_sim_init ();

  g_test_add_func ("/sim/helpers", test_helpers);
  g_test_add_func ("/sim/item-set", test_item_set);
  g_test_add_func ("/sim/start-up-read-all", test_start_up_read_all);
  g_test_add_func ("/sim/contact-me", test_contact_me);
  g_test_add_func ("/sim/ignore-contact", test_ignore_contact);
  g_test_add_func ("/sim/write-items", test_write_items);
  g_test_add_func ("/sim/busy-send-solicited", test_busy_send_solicited);
  g_test_add_func ("/sim/overload", test_overload);
  g_test_add_func ("/sim/simulator-arrivals", test_simulator_arrivals);
  g_test_add_func ("/sim/busy-old-firmware", test_busy_old_firmware);
  g_test_add_func ("/sim/random-calls", test_random_calls);
  g_test_add_func ("/sim/fragments", test_fragments);
  g_test_add_func ("/sim/unknown-action", test_unknown_action);
  g_test_add_func ("/sim/abort", test_abort);
  g_test_add_func ("/sim/bad-answers", test_bad_answers);
  g_test_add_func ("/sim/restart", test_restart);
  g_test_add_func ("/sim/factory-reset", test_factory_reset);
  g_test_add_func ("/sim/file-deployment-single", test_file_deployment_single);
  g_test_add_func ("/sim/file-deployment-multiple", test_file_deployment_multiple);
  g_test_add_func ("/sim/software-deployment", test_software_deployment);
  g_test_add_func ("/sim/polling", test_polling);
  g_test_add_func ("/sim/local-changes", test_local_changes);
  g_test_add_func ("/sim/inventory-changes", test_inventory_changes);
  g_test_add_func ("/sim/simulator", test_simulator);

  return g_test_run ();
}
