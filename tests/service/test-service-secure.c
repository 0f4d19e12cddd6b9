/* test-service-secure.c: Secure Mode bootstrapping through the service (issue 4, D7-D9)
 *
 * A scripted phone (service-fixture.h) is handed its client certificate with and without a
 * PIN, answers with a wrong TAN, runs out of PIN retries, sees its PIN changed, and is
 * refused on the Secure Mode port without the right certificate.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "wpi-bootstrap.h"
#include "wpi-bundle.h"
#include "wpi-pin.h"
#include "service-fixture.h"

static GTlsCertificate *
phone_certificate (Fixture    *f,
                   const char *mac)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) cert = wpi_pki_lookup_client_cert (wpi_service_get_pki (f->service), mac, &error);
  g_autofree char *pem = NULL;
  GTlsCertificate *tls;

  g_assert_no_error (error);
  pem = g_strconcat (cert->cert_pem, cert->key_pem, NULL);
  tls = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  return tls;
}

/* the format is what is tested here, not the cost: 1,000 iterations */
#define prepare_bootstrap(f, with_pin, pin) \
  test_util_service_prepare_bootstrap ((f)->service, MAC, with_pin, 0, 1000, pin)

/* Steps 1-4 of flows A and B: the bootstrap WriteItems is delivered and accepted. */
static WpiMessage *
deliver_bootstrap (Fixture *f,
                   gint64   id)
{
  g_autoptr(WpiMessage) solicited = phone_message (f, WPI_REASON_SOLICITED, "B00757");
  WpiMessage *write = exchange (f, solicited);
  g_autoptr(WpiMessage) accepted = reply_to (f, WPI_ACTION_WRITE_ITEMS, "accepted", "B00757");
  g_autoptr(WpiMessage) clean_up = NULL;

  g_assert_cmpint (wpi_message_get_action (write), ==, WPI_ACTION_WRITE_ITEMS);
  clean_up = exchange (f, accepted);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_IN_PROGRESS);
  return write;
}

static void
test_bootstrap_nopin (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WpiMessage) write = NULL;
  g_autoptr(WpiMessage) start_up = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) traffic = NULL;
  g_autofree char *xml = NULL;
  gsize length;
  gint64 id;

  register_phone (f);
  id = prepare_bootstrap (f, FALSE, NULL);
  write = deliver_bootstrap (f, id);
  g_assert_cmpstr (wpi_message_get_item_value (write, "goto-secure-mode"), ==, "nopin");
  g_assert_nonnull (wpi_message_get_item_value (write, "dls-client-certificate"));
  g_assert_nonnull (wpi_message_find_item (write, "dls-server-ca", 0));
  g_assert_true (g_str_has_prefix (wpi_message_find_item (write, "dls-server-ca", 0)->value, "-----BEGIN CERTIFICATE-----"));
  g_assert_cmpuint (atoi (wpi_message_get_item_value (write, "dls-secure-port")), ==,
                    wpi_service_get_secure_port (f->service));

  /* the private key never reaches the traffic log */
  traffic = wpi_store_traffic_list_by_mac (wpi_service_get_store (f->service), MAC, 0, 0, NULL);
  for (guint i = 0; i < traffic->len; i++)
    {
      g_autoptr(WpiTrafficRecord) full =
        wpi_store_traffic_get (wpi_service_get_store (f->service),
                               ((WpiTrafficRecord *) g_ptr_array_index (traffic, i))->id, NULL);
      g_autofree char *text = g_strndup (g_bytes_get_data (full->body, NULL), g_bytes_get_size (full->body));
      g_assert_null (strstr (text, wpi_message_get_item_value (write, "dls-client-certificate")));
    }

  /* step 5: the phone on the secure port with its new certificate */
  f->secure = TRUE;
  f->client_cert = phone_certificate (f, MAC);
  start_up = phone_message (f, WPI_REASON_START_UP, "5EC0");
  wpi_message_add_item (start_up, "configuration-changed-flag", "false");
  answer = exchange (f, start_up);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
  phone = stored_phone (f);
  g_assert_cmpint (phone->mode, ==, WPI_PHONE_MODE_SECURE);

  /* D6: now the default port refuses it */
  f->secure = FALSE;
  g_clear_object (&start_up);
  start_up = phone_message (f, WPI_REASON_START_UP, "DEF0");
  xml = wpi_message_serialize (start_up, &length);
  body = http (f, "POST", WPI_SERVICE_PATH, xml, length, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 403);
}

static void
test_bootstrap_pin (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *pin = NULL;
  g_autoptr(WpiMessage) write = NULL;
  g_autoptr(WpiMessage) start_up = NULL;
  g_autoptr(WpiMessage) read_tan = NULL;
  g_autoptr(WpiMessage) tan_reply = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiBootstrapData) opened = NULL;
  g_autoptr(WpiPinRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  gboolean wrong = GPOINTER_TO_INT (data);
  gint64 id;

  register_phone (f);
  id = prepare_bootstrap (f, TRUE, &pin);
  g_assert_cmpuint (strlen (pin), ==, 12);
  record = wpi_store_pin_get_current (wpi_service_get_store (f->service), MAC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (record->pin, ==, pin);
  g_clear_pointer (&record, wpi_pin_record_free);

  write = deliver_bootstrap (f, id);
  g_assert_cmpstr (wpi_message_get_item_value (write, "goto-secure-mode"), ==, "pin");
  g_assert_cmpstr (wpi_message_get_item_value (write, "max-pin-retries"), ==, "3");
  opened = wpi_bundle_open (wpi_message_get_item_value (write, "secure-mode-data"), pin, 1000, &error);
  g_assert_no_error (error);
  g_assert_nonnull (opened->client_certificate);
  record = wpi_store_pin_get_current (wpi_service_get_store (f->service), MAC, NULL);
  g_assert_cmpint (record->state, ==, WPI_PIN_STATE_BUNDLE_DELIVERED);
  g_clear_pointer (&record, wpi_pin_record_free);

  f->secure = TRUE;
  f->client_cert = phone_certificate (f, MAC);
  start_up = phone_message (f, WPI_REASON_START_UP, "5EC1");
  read_tan = exchange (f, start_up);
  g_assert_cmpint (wpi_message_get_action (read_tan), ==, WPI_ACTION_READ_ITEMS);
  g_assert_nonnull (wpi_message_find_item (read_tan, "bootstrapping-tan", -1));
  /* the phone restarts before it answers: the TAN is asked again, never skipped (D22) */
  g_clear_object (&start_up);
  g_clear_object (&read_tan);
  start_up = phone_message (f, WPI_REASON_START_UP, "5EC2");
  read_tan = exchange (f, start_up);
  g_assert_cmpint (wpi_message_get_action (read_tan), ==, WPI_ACTION_READ_ITEMS);
  g_assert_nonnull (wpi_message_find_item (read_tan, "bootstrapping-tan", -1));
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_IN_PROGRESS);

  tan_reply = reply_to (f, WPI_ACTION_READ_ITEMS, "accepted", "5EC2");
  wpi_message_add_item (tan_reply, "bootstrapping-tan", wrong ? "000" : wpi_pin_get_tan (pin));
  if (wrong && g_str_equal (wpi_pin_get_tan (pin), "000"))
    wpi_message_get_item (tan_reply, 0)->value[0] = '1';
  answer = exchange (f, tan_reply);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_CLEAN_UP);
  record = wpi_store_pin_get_current (wpi_service_get_store (f->service), MAC, NULL);

  if (wrong)
    {
      g_autofree char *reason = NULL;
      g_assert_cmpstr (wpi_message_get_item_value (answer, "cleanup-reason"), ==, "wrong TAN from device");
      g_assert_cmpint (job_state (f, id, &reason), ==, WPI_JOB_STATE_FAILED);
      g_assert_cmpstr (reason, ==, "wrong TAN from device");
      g_assert_cmpint (record->state, ==, WPI_PIN_STATE_FAILED);
    }
  else
    {
      g_autoptr(WpiPhoneRecord) phone = stored_phone (f);
      g_assert_null (wpi_message_find_item (answer, "cleanup-reason", -1));
      g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
      g_assert_cmpint (record->state, ==, WPI_PIN_STATE_VERIFIED);
      g_assert_cmpint (phone->mode, ==, WPI_PHONE_MODE_SECURE);
    }
}

/* Flow C: the phone's clean-up after too many wrong PINs fails the job. */
static void
test_bootstrap_retries_exceeded (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *pin = NULL;
  g_autoptr(WpiMessage) write = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiPinRecord) record = NULL;
  g_autofree char *reason = NULL;
  gint64 id;

  register_phone (f);
  id = prepare_bootstrap (f, TRUE, &pin);
  write = deliver_bootstrap (f, id);

  clean_up = phone_message (f, WPI_REASON_CLEAN_UP, "C1EA");
  wpi_message_add_item (clean_up, "cleanup-reason", "password retries exceeded");
  answer = exchange (f, clean_up);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpint (job_state (f, id, &reason), ==, WPI_JOB_STATE_FAILED);
  g_assert_cmpstr (reason, ==, "password retries exceeded");
  record = wpi_store_pin_get_current (wpi_service_get_store (f->service), MAC, NULL);
  g_assert_cmpint (record->state, ==, WPI_PIN_STATE_FAILED);
}

/* D9: a bundle goes out only with the PIN it was built from, checked right before it is
 * sent. Here the PIN changes after the bundle was built, behind the handout's back, so
 * that only that check stands in the way: a new PIN for the same job has the bundle
 * built again (the phone gets CleanUp meanwhile, without send-solicited: there is nothing
 * it could fetch yet), a PIN of another bootstrap voids this one. */
/* The WriteItems' bundle opens with `pin` and not with `other` */
static void
assert_sealed_with (WpiMessage *write,
                    const char *pin,
                    const char *other)
{
  const char *sealed = wpi_message_get_item_value (write, "secure-mode-data");
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiBootstrapData) opened = wpi_bundle_open (sealed, pin, 1000, &error);

  g_assert_no_error (error);
  g_clear_pointer (&opened, wpi_bootstrap_data_free);
  opened = wpi_bundle_open (sealed, other, 1000, &error);
  g_assert_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN);
  g_assert_null (opened);
}

static void
test_bootstrap_pin_changed (Fixture       *f,
                            gconstpointer  data)
{
  gboolean same_job = GPOINTER_TO_INT (data);
  const char *new_pin = "987654321098";
  gint64 id;
  g_autofree char *old_pin = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(GError) error = NULL;

  register_phone (f);
  id = prepare_bootstrap (f, TRUE, &old_pin);
  wpi_store_pin_create (wpi_service_get_store (f->service), MAC, new_pin, 3, same_job ? id : 0, NULL,
                        &error);
  g_assert_no_error (error);

  {
    g_autoptr(WpiMessage) solicited = phone_message (f, WPI_REASON_SOLICITED, "1A7E");

    answer = exchange (f, solicited);
  }
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_CLEAN_UP);
  g_assert_null (wpi_message_find_item (answer, "send-solicited", -1));
  if (!same_job)
    {
      g_autofree char *reason = NULL;

      g_assert_cmpint (job_state (f, id, &reason), ==, WPI_JOB_STATE_CANCELLED);
      g_assert_cmpstr (reason, ==, "its PIN was re-issued");
      return;
    }

  g_assert_cmpint (job_state (f, id, NULL), !=, WPI_JOB_STATE_IN_PROGRESS);
  test_util_service_wait_bootstrap_ready (f->service, id);
  g_clear_object (&answer);
  answer = deliver_bootstrap (f, id);
  assert_sealed_with (answer, new_pin, old_pin);
}

/* D17: the secure port refuses a missing, foreign, revoked or other phone's certificate,
 * and logs each as a security event. */
static void
test_secure_port_refusals (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(WpiMessage) start_up = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(WpiClientCert) other = NULL;
  g_autofree char *other_pem = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *foreign_dir = NULL;
  g_autoptr(WpiPki) foreign = NULL;
  g_autoptr(WpiClientCert) foreign_cert = NULL;
  gsize length;

  register_phone (f);
  prepare_bootstrap (f, FALSE, NULL);
  start_up = phone_message (f, WPI_REASON_START_UP, "5EC2");
  xml = wpi_message_serialize (start_up, &length);
  f->secure = TRUE;

  /* no certificate: the handshake fails */
  body = http (f, "POST", WPI_SERVICE_PATH, xml, length, FALSE, 0);
  g_assert_null (body);
  g_assert_nonnull (f->transport_error);

  /* another phone's certificate */
  other = wpi_pki_issue_client_cert (wpi_service_get_pki (f->service), "00:1A:E8:00:00:99", NULL, &error);
  g_assert_no_error (error);
  other_pem = g_strconcat (other->cert_pem, other->key_pem, NULL);
  f->client_cert = g_tls_certificate_new_from_pem (other_pem, -1, &error);
  g_assert_no_error (error);
  body = http (f, "POST", WPI_SERVICE_PATH, xml, length, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 403);
  g_clear_pointer (&body, g_bytes_unref);

  /* a certificate from another CA */
  foreign_dir = g_build_filename (f->data_dir, "foreign-pki", NULL);
  foreign = wpi_pki_new (foreign_dir, NULL, &error);
  g_assert_no_error (error);
  foreign_cert = wpi_pki_issue_client_cert (foreign, MAC, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&f->client_cert);
  {
    g_autofree char *pem = g_strconcat (foreign_cert->cert_pem, foreign_cert->key_pem, NULL);
    f->client_cert = g_tls_certificate_new_from_pem (pem, -1, &error);
    g_assert_no_error (error);
  }
  body = http (f, "POST", WPI_SERVICE_PATH, xml, length, FALSE, 0);
  g_assert_true (body == NULL || f->last_status == 403);
  g_clear_pointer (&body, g_bytes_unref);

  /* its own certificate, revoked */
  g_clear_object (&f->client_cert);
  f->client_cert = phone_certificate (f, MAC);
  wpi_pki_revoke_mac (wpi_service_get_pki (f->service), MAC, NULL, &error);
  g_assert_no_error (error);
  body = http (f, "POST", WPI_SERVICE_PATH, xml, length, FALSE, 0);
  g_assert_true (body == NULL || f->last_status == 403);
  g_clear_pointer (&body, g_bytes_unref);

  events = wpi_store_security_event_list (wpi_service_get_store (f->service), 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, >=, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/service/secure/bootstrap-nopin", test_bootstrap_nopin);
  g_test_add ("/service/secure/bootstrap-pin", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up,
              test_bootstrap_pin, fixture_tear_down);
  g_test_add ("/service/secure/wrong-tan", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_bootstrap_pin, fixture_tear_down);
  ADD ("/service/secure/pin-retries-exceeded", test_bootstrap_retries_exceeded);
  g_test_add ("/service/secure/pin-changed/same-job", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_bootstrap_pin_changed, fixture_tear_down);
  g_test_add ("/service/secure/pin-changed/other-job", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up,
              test_bootstrap_pin_changed, fixture_tear_down);
  ADD ("/service/secure/refusals", test_secure_port_refusals);
#undef ADD

  return g_test_run ();
}
