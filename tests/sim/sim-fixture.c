/* sim-fixture.c: a scripted provisioning service and phones under test (see sim-fixture.h) */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "wpi-catalogue.h"
#include "test-util-wpi.h"
#include "sim-fixture.h"

/* ---------------------------------------------------------------------------------------- */
/* The scripted service                                                                     */

static void
step_free (Step *step)
{
  g_free (step->reason);
  g_free (step->action);
  g_free (step->status);
  g_free (step->raw_body);
  g_clear_object (&step->answer);
  g_free (step);
}

static void
received_free (Received *received)
{
  g_clear_object (&received->message);
  g_free (received->cookie);
  g_free (received);
}

static gboolean
is_flow_opener (WpiReason reason)
{
  return reason == WPI_REASON_START_UP || reason == WPI_REASON_SOLICITED ||
         reason == WPI_REASON_LOCAL_CHANGES || reason == WPI_REASON_INVENTORY_CHANGES;
}

static void
login_handler (SoupServerMessage *msg,
               GBytes            *body,
               gpointer           user_data)
{
  TestService *svc = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) request = NULL;
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  const char *cookie = soup_message_headers_get_one (request_headers, "Cookie");
  Received *received;
  Step *step;
  g_autofree char *xml = NULL;
  gsize length;

  g_assert_cmpstr (soup_server_message_get_method (msg), ==, "POST");
  g_assert_cmpstr (g_uri_get_path (soup_server_message_get_uri (msg)), ==, "/DeploymentService/LoginService");
  g_assert_cmpstr (soup_message_headers_get_content_type (request_headers, NULL), ==, "text/xml");

  request = wpi_message_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  g_assert_no_error (error);
  g_assert_cmpint (wpi_message_get_kind (request), ==, WPI_MESSAGE_KIND_WORKPOINT);
  /* protocol.md §8.2: 32 upper-case hex digits, the same for the whole flow */
  g_assert_cmpuint (strlen (wpi_message_get_nonce (request)), ==, 32);
  for (const char *p = wpi_message_get_nonce (request); *p; p++)
    g_assert_true (g_ascii_isxdigit (*p) && !g_ascii_islower (*p));
  /* R9: never more than 50 kB in one message */
  g_assert_cmpuint (g_bytes_get_size (body), <=, 50000);

  if (is_flow_opener (wpi_message_get_reason (request)))
    {
      g_assert_null (cookie);
      g_free (svc->flow_nonce);
      svc->flow_nonce = g_strdup (wpi_message_get_nonce (request));
      g_clear_pointer (&svc->flow_cookie, g_free);
    }
  else
    {
      /* a reply-to or status carries the flow's cookie and nonce */
      g_assert_nonnull (cookie);
      g_assert_cmpstr (cookie, ==, svc->flow_cookie);
      g_assert_cmpstr (wpi_message_get_nonce (request), ==, svc->flow_nonce);
    }

  received = g_new0 (Received, 1);
  received->message = g_object_ref (request);
  received->cookie = g_strdup (cookie);
  received->length = g_bytes_get_size (body);
  g_ptr_array_add (svc->received, received);

  step = g_queue_peek_head (&svc->script);
  if (step == NULL)
    {
      g_autoptr(WpiMessage) answer = NULL;

      if (!svc->clean_up_everything)
        {
          svc->n_unexpected++;
          g_test_message ("unexpected %s", wpi_message_get_reason_string (request));
          soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
          return;
        }
      answer = wpi_message_new (WPI_MESSAGE_KIND_DLS, wpi_message_get_nonce (request));
      wpi_message_set_action (answer, WPI_ACTION_CLEAN_UP);
      xml = wpi_message_serialize (answer, &length);
      goto respond;
    }

  g_assert_cmpstr (wpi_message_get_reason_string (request), ==, step->reason);
  if (step->action != NULL)
    g_assert_cmpstr (wpi_message_get_action_string (request), ==, step->action);
  if (step->status != NULL)
    g_assert_cmpstr (wpi_message_get_status_string (request), ==, step->status);

  if (step->follow_fragments && wpi_message_get_fragment (request) == WPI_FRAGMENT_NEXT)
    {
      g_autoptr(WpiMessage) next = wpi_message_new (WPI_MESSAGE_KIND_DLS,
                                                    wpi_message_get_nonce (request));

      wpi_message_set_action (next, WPI_ACTION_GET_NEXT_FRAGMENT);
      xml = wpi_message_serialize (next, &length);
      goto respond;
    }

  step = g_queue_pop_head (&svc->script);
  if (step->http_status != 0)
    {
      soup_server_message_set_status (msg, step->http_status, NULL);
      step_free (step);
      return;
    }
  if (step->raw_body != NULL)
    {
      xml = g_strdup (step->raw_body);
      length = strlen (xml);
    }
  else
    {
      wpi_message_set_nonce (step->answer, wpi_message_get_nonce (request));
      xml = wpi_message_serialize (step->answer, &length);
    }
  step_free (step);

respond:
  if (svc->flow_cookie == NULL)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *header = NULL;

      svc->flow_cookie = g_strdup_printf ("JSESSIONID=%s", id);
      header = g_strdup_printf ("%s; Path=/DeploymentService; Secure; HttpOnly", svc->flow_cookie);
      soup_message_headers_append (response_headers, "Set-Cookie", header);
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/xml", SOUP_MEMORY_TAKE, g_steal_pointer (&xml),
                                    length);
}

static void
files_handler (SoupServerMessage *msg,
               GBytes            *body,
               gpointer           user_data)
{
  TestService *svc = user_data;
  GBytes *content = g_hash_table_lookup (svc->files, g_uri_get_path (soup_server_message_get_uri (msg)));

  svc->n_file_gets++;
  if (content == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (content, NULL), g_bytes_get_size (content));
}

static void
poll_handler (SoupServerMessage *msg,
              GBytes            *body,
              gpointer           user_data)
{
  TestService *svc = user_data;
  const char *form = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr(GHashTable) query = NULL;

  g_assert_cmpstr (soup_server_message_get_method (msg), ==, "GET");
  g_assert_nonnull (form);
  query = g_uri_parse_params (form, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  g_assert_nonnull (query);
  g_ptr_array_add (svc->poll_ids, g_strdup (g_hash_table_lookup (query, "device-id")));
  soup_server_message_set_status (msg, svc->poll_status, NULL);
}

TestService *
service_new (void)
{
  TestService *svc = g_new0 (TestService, 1);
  g_autoptr(GTlsCertificate) certificate = test_util_server_certificate ();

  /* the ready-made server certificate: no key generated per test program */
  svc->server = test_util_server_new (certificate, NULL, &svc->port);
  test_util_server_handle (svc->server, "/DeploymentService/LoginService", login_handler, svc);
  test_util_server_handle (svc->server, "/files", files_handler, svc);
  test_util_server_handle (svc->server, "/dcmp/contact-me", poll_handler, svc);
  svc->base_uri = g_strdup_printf ("https://127.0.0.1:%u", svc->port);

  g_queue_init (&svc->script);
  svc->received = g_ptr_array_new_with_free_func ((GDestroyNotify) received_free);
  svc->files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  svc->poll_status = SOUP_STATUS_OK;
  svc->poll_ids = g_ptr_array_new_with_free_func (g_free);
  return svc;
}

void
service_free (TestService *svc)
{
  g_assert_cmpuint (svc->n_unexpected, ==, 0);
  g_assert_true (g_queue_is_empty (&svc->script));
  soup_server_disconnect (svc->server);
  g_object_unref (svc->server);
  g_queue_clear_full (&svc->script, (GDestroyNotify) step_free);
  g_ptr_array_unref (svc->received);
  g_hash_table_unref (svc->files);
  g_ptr_array_unref (svc->poll_ids);
  g_free (svc->base_uri);
  g_free (svc->flow_nonce);
  g_free (svc->flow_cookie);
  g_free (svc);
}

WpiMessage *
answer_new (WpiAction action)
{
  WpiMessage *answer = wpi_message_new (WPI_MESSAGE_KIND_DLS, "0");

  wpi_message_set_action (answer, action);
  return answer;
}

Step *
expect (TestService *svc,
        const char  *reason,
        const char  *action,
        const char  *status,
        WpiMessage  *answer)
{
  Step *step = g_new0 (Step, 1);

  step->reason = g_strdup (reason);
  step->action = g_strdup (action);
  step->status = g_strdup (status);
  step->answer = answer;
  g_queue_push_tail (&svc->script, step);
  return step;
}

void
expect_clean_up (TestService *svc,
                 const char  *reason,
                 const char  *action,
                 const char  *status)
{
  expect (svc, reason, action, status, answer_new (WPI_ACTION_CLEAN_UP));
}

Received *
received_at (TestService *svc,
             guint        position)
{
  g_assert_cmpuint (position, <, svc->received->len);
  return g_ptr_array_index (svc->received, position);
}

Received *
last_received (TestService *svc,
               guint        back)
{
  g_assert_cmpuint (back, <, svc->received->len);
  return g_ptr_array_index (svc->received, svc->received->len - 1 - back);
}


/* ---------------------------------------------------------------------------------------- */
/* Phones under test                                                                        */


static guint next_phone_number;

Watch *
phone_new (TestService    *svc,
           WpiSimFirmware  firmware)
{
  WpiSimPhone *phone;
  guint n = next_phone_number++;
  g_autofree char *mac = wpi_sim_mac_add ("00:1A:E8:10:00:01", n, NULL);
  g_autofree char *e164 = g_strdup_printf ("49897001%04u", n);

  phone = test_util_sim_phone_new_on_loopback (mac, e164, firmware, svc->base_uri,
                                               1000 + n + (getpid () % 20) * 100);
  g_object_set (phone,
                "restart-seconds", 0.05,
                "retry-seconds", 0.05,
                NULL);
  return test_util_phone_watch_new (phone);
}

static gboolean
flows_finished (gpointer data)
{
  Watch *watch = data;

  return watch->n_finished >= watch->target;
}

/* Waits until the phone has finished n more flows than now. */
void
wait_flows (Watch *watch,
            guint  n)
{
  watch->target = watch->n_finished + n;
  wait_until (flows_finished, watch, "flows to finish");
}

gboolean
downloads_finished (gpointer data)
{
  Watch *watch = data;

  return watch->n_downloads >= watch->target;
}

void
start_phone (TestService *svc,
             Watch       *watch)
{
  g_autoptr(GError) error = NULL;

  expect_clean_up (svc, "start-up", NULL, NULL);
  wpi_sim_phone_start (watch->phone, &error);
  g_assert_no_error (error);
  wait_flows (watch, 1);
  g_assert_cmpuint (watch->n_failed, ==, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Contact-me, as the service sends it                                                      */

/* Sends a contact-me request to the phone and checks the guide's answer (p.15): 204, no
 * body, text/html from "DlsClient". */
void
contact_exchange (SoupMessage *msg)
{
  g_autoptr(SoupSession) session = test_util_https_session_new (NULL);
  g_autoptr(TestUtilReply) reply = test_util_https_send (session, msg);
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  g_assert_no_error (reply->error);
  g_assert_cmpuint (reply->status, ==, 204);
  g_assert_cmpuint (g_bytes_get_size (reply->body), ==, 0);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Type"), ==, "text/html");
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Server"), ==, "DlsClient");
}

/* POST (or GET) a contact-me to the phone and check the guide's 204 answer (p.15). */
void
send_contact_me (TestService *svc,
                 Watch       *watch,
                 const char  *method,
                 gboolean     with_address)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autofree char *form = NULL;

  form = with_address ? g_strdup_printf ("ContactMe=true&dls_ip_addr=127.0.0.1&dls_ip_port=%u",
                                         svc->port)
                      : g_strdup ("ContactMe=true");
  if (g_str_equal (method, "GET"))
    {
      g_autofree char *uri = g_strdup_printf ("%s?%s", wpi_sim_phone_get_contact_uri (watch->phone),
                                              form);
      msg = soup_message_new ("GET", uri);
    }
  else
    {
      g_autoptr(GBytes) body = g_bytes_new (form, strlen (form));

      msg = soup_message_new ("POST", wpi_sim_phone_get_contact_uri (watch->phone));
      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded; charset=utf-8",
                                                body);
    }
  contact_exchange (msg);
}

/* Contact-me, then wait for the whole solicited flow the script describes. */
void
contact_and_wait (TestService *svc,
                  Watch       *watch,
                  guint        n_flows)
{
  send_contact_me (svc, watch, "POST", TRUE);
  wait_flows (watch, n_flows);
}

const char *
item_value (WpiMessage *message,
            const char *name)
{
  const WpiItem *item = wpi_message_find_item (message, name, -1);

  return item != NULL ? item->value : NULL;
}

const WpiItem *
find_item (WpiMessage *message,
           const char *name,
           gint64      index)
{
  guint n = wpi_message_get_n_items (message);

  for (guint i = 0; i < n; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);

      if (strcmp (item->name, name) == 0 &&
          (index < 0 ? !item->has_index : (item->has_index && item->index == index)))
        return item;
    }
  return NULL;
}

void
assert_basic_items (Watch      *watch,
                    WpiMessage *message)
{
  WpiSimPhone *phone = watch->phone;

  g_assert_cmpstr (item_value (message, "mac-addr"), ==, wpi_sim_phone_get_mac (phone));
  g_assert_cmpstr (item_value (message, "e164"), ==, wpi_sim_phone_get_e164 (phone));
  g_assert_cmpstr (item_value (message, "device-type"), ==, "OpenStage 60");
  g_assert_cmpstr (item_value (message, "contact-me-uri"), ==, wpi_sim_phone_get_contact_uri (phone));
  g_assert_cmpstr (item_value (message, "software-version"), ==,
                   wpi_sim_phone_get_software_version (phone));
  g_assert_nonnull (item_value (message, "configuration-changed-flag"));
  g_assert_cmpstr (item_value (message, "software-type"), ==, "Siemens SIP");
}
