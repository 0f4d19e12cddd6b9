/* service-fixture.c: a scripted phone against a service on 127.0.0.1 (service-fixture.h) */
#include "config.h"

#include <string.h>

#include "service-fixture.h"

void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  test_util_service_set_up ("wpi-service", &f->data_dir, &f->service);
  /* phones in Default Mode do not check the server (protocol.md §2.1) */
  f->session = test_util_https_session_new (NULL);
  f->firmware = g_strdup ("V3 R5.12.0");
  f->max_items = -1;
  f->mac = MAC;
  f->contact_me_uri = g_strdup (UNANSWERED_CONTACT_URI);
}

void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_util_service_tear_down (&f->data_dir, &f->service);
  g_clear_object (&f->session);
  g_free (f->cookie);
  g_free (f->firmware);
  g_free (f->last_set_cookie);
  g_free (f->contact_me_uri);
  g_clear_object (&f->client_cert);
  g_clear_error (&f->transport_error);
}

/* One HTTP exchange; the service runs on this thread's main context meanwhile. */
GBytes *
http (Fixture    *f,
      const char *method,
      const char *path,
      const char *body,
      gsize       length,
      gboolean    with_cookie,
      guint       port)
{
  g_autofree char *uri = NULL;
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, length) : NULL;
  g_autoptr(TestUtilReply) reply = NULL;

  if (port == 0)
    port = f->secure ? wpi_service_get_secure_port (f->service) : wpi_service_get_port (f->service);
  uri = g_strdup_printf ("https://127.0.0.1:%u%s", port, path);
  reply = test_util_https_request (f->session, method, uri, bytes, with_cookie ? f->cookie : NULL,
                                   f->secure ? f->client_cert : NULL);
  g_clear_error (&f->transport_error);
  if (reply->error != NULL)
    {
      /* A refused TLS handshake: the caller checks f->transport_error */
      f->transport_error = g_steal_pointer (&reply->error);
      f->last_status = 0;
      return NULL;
    }

  f->last_status = reply->status;
  g_free (f->last_set_cookie);
  f->last_set_cookie = g_steal_pointer (&reply->set_cookie);
  if (reply->session_id != NULL)
    {
      g_free (f->cookie);
      f->cookie = g_steal_pointer (&reply->session_id);
    }
  return g_steal_pointer (&reply->body);
}

WpiMessage *
phone_message (Fixture    *f,
               WpiReason   reason,
               const char *nonce)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, nonce);

  wpi_message_set_max_items (message, f->max_items);
  wpi_message_set_reason (message, reason);
  if (reason != WPI_REASON_REPLY_TO)
    {
      wpi_message_add_item (message, "mac-addr", f->mac);
      wpi_message_add_item (message, "e164", f->e164 ? f->e164 : "4989700123");
      wpi_message_add_item (message, "device-type", "OpenStage 60");
      wpi_message_add_item (message, "software-version", f->firmware);
      wpi_message_add_item (message, "contact-me-uri", f->contact_me_uri);
    }
  return message;
}

WpiMessage *
reply_to (Fixture    *f,
          WpiAction   action,
          const char *status,
          const char *nonce)
{
  WpiMessage *message = phone_message (f, WPI_REASON_REPLY_TO, nonce);

  wpi_message_set_action (message, action);
  wpi_message_set_status_string (message, status);
  wpi_message_set_fragment (message, WPI_FRAGMENT_FINAL);
  if (g_strcmp0 (status, "busy") != 0)
    wpi_message_set_has_item_list (message, TRUE);
  return message;
}

/* Sends a phone message and returns the service's answer, checking D2's nonce echo. */
WpiMessage *
exchange (Fixture    *f,
          WpiMessage *message)
{
  g_autoptr(GError) error = NULL;
  gsize length;
  g_autofree char *xml = wpi_message_serialize (message, &length);
  g_autoptr(GBytes) body = http (f, "POST", WPI_SERVICE_PATH, xml, length,
                                 wpi_message_get_reason (message) != WPI_REASON_START_UP &&
                                 wpi_message_get_reason (message) != WPI_REASON_SOLICITED, 0);
  WpiMessage *answer;

  g_assert_cmpuint (f->last_status, ==, 200);
  answer = wpi_message_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  g_assert_cmpint (wpi_message_get_kind (answer), ==, WPI_MESSAGE_KIND_DLS);
  g_assert_cmpstr (wpi_message_get_nonce (answer), ==, wpi_message_get_nonce (message));
  return answer;
}

/* Posts a phone message the service is expected to refuse; the HTTP status. */
guint
post_refused (Fixture    *f,
              WpiMessage *message,
              gboolean    with_cookie)
{
  gsize length;
  g_autofree char *xml = wpi_message_serialize (message, &length);
  g_autoptr(GBytes) body = http (f, "POST", WPI_SERVICE_PATH, xml, length, with_cookie, 0);

  g_assert_cmpuint (f->last_status, !=, 200);
  return f->last_status;
}

/* D28: every message in the traffic log carries its flow. pattern has a letter per
 * message, the same letter for the messages of one flow ("AAAABB": a flow of four,
 * then another one of two). */
void
assert_flows (Fixture    *f,
              const char *pattern)
{
  g_autoptr(GPtrArray) records = wpi_store_traffic_get_range (wpi_service_get_store (f->service), 0, 1000, NULL);
  g_autoptr(GHashTable) flows = g_hash_table_new (g_direct_hash, g_direct_equal);   /* letter: flow */
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < records->len; i++)
    {
      const WpiTrafficRecord *record = g_ptr_array_index (records, i);

      g_test_message ("%u: %s %s %s %s", i, wpi_traffic_direction_to_string (record->direction),
                      record->reason ?: record->action ?: "-", record->error_text ?: "", record->flow_id ?: "NULL");
    }
  g_assert_cmpuint (records->len, ==, strlen (pattern));
  for (guint i = 0; i < records->len; i++)
    {
      const WpiTrafficRecord *record = g_ptr_array_index (records, i);
      gpointer letter = GINT_TO_POINTER ((int) pattern[i]);
      const char *flow = g_hash_table_lookup (flows, letter);

      g_assert_nonnull (record->flow_id);
      if (flow != NULL)
        g_assert_cmpstr (record->flow_id, ==, flow);
      else
        {
          /* another letter is another flow */
          g_assert_false (g_hash_table_contains (seen, record->flow_id));
          g_hash_table_insert (flows, letter, record->flow_id);
          g_hash_table_add (seen, record->flow_id);
        }
    }
}

WpiPhoneRecord *
stored_phone (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  WpiPhoneRecord *phone = wpi_store_phone_get (wpi_service_get_store (f->service), MAC, &error);

  g_assert_no_error (error);
  return phone;
}

WpiPhoneState
stored_phone_state (Fixture *f)
{
  g_autoptr(WpiPhoneRecord) phone = stored_phone (f);

  return phone->state;
}

char *
stored_phone_ip (Fixture *f)
{
  g_autoptr(WpiPhoneRecord) phone = stored_phone (f);

  return g_steal_pointer (&phone->ip);
}

void
register_phone (Fixture *f)
{
  g_autoptr(WpiMessage) start_up = phone_message (f, WPI_REASON_START_UP, "A0");
  g_autoptr(WpiMessage) answer = exchange (f, start_up);
  g_autoptr(WpiMessage) reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "A0");
  g_autoptr(WpiMessage) clean_up = NULL;

  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
  wpi_message_add_item (reply, "sip-transport-user", "0");
  wpi_message_add_indexed_item (reply, "function-key-def", 1, "8");
  clean_up = exchange (f, reply);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
}

gint64
enqueue_write (Fixture    *f,
               const char *name1,
               const char *value1,
               const char *name2,
               const char *value2)
{
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  wpi_store_item_array_add (items, name1, FALSE, 0, value1);
  if (name2 != NULL)
    wpi_store_item_array_add (items, name2, FALSE, 0, value2);
  return test_util_service_enqueue (f->service, MAC, WPI_JOB_KIND_WRITE_ITEMS, items);
}

#define job_state(f, id, reason) test_util_service_job_state ((f)->service, id, reason)
