/* test-service.c: the service engine over real HTTPS on 127.0.0.1
 *
 * A scripted phone (service-fixture.h) plays each flow of protocol.md §7 message by message
 * and checks every answer, the store and the traffic log. Overload (D21) is in
 * test-service-overload.c, Secure Mode (issue 4) in test-service-secure.c.
 */
#include "config.h"

#include <string.h>

#include "wpi-contact.h"
#include "service-fixture.h"

static void
test_start_up_unknown (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(WpiMessage) start_up = phone_message (f, WPI_REASON_START_UP, "3F2A9C0D5B7E41A6B8C9D0E1F2A3B4C5");
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiMessage) reply = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *phones = wpi_service_get_phones (f->service);

  answer = exchange (f, start_up);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
  /* D3 */
  g_assert_nonnull (f->last_set_cookie);
  g_assert_true (g_regex_match_simple ("^JSESSIONID=[0-9A-F]{32}; Path=/DeploymentService; Secure; HttpOnly$",
                                       f->last_set_cookie, 0, 0));
  g_assert_cmpuint (g_list_model_get_n_items (phones), ==, 1);
  {
    g_autoptr(WpiPhone) listed = g_list_model_get_item (phones, 0);
    g_assert_cmpstr (wpi_phone_get_mac (listed), ==, MAC);
    g_assert_cmpint (wpi_phone_get_state (listed), ==, WPI_PHONE_STATE_IN_SESSION);
  }

  reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "3F2A9C0D5B7E41A6B8C9D0E1F2A3B4C5");
  wpi_message_add_item (reply, "sip-transport-user", "2");
  wpi_message_add_indexed_item (reply, "function-key-def", 3, "8");
  clean_up = exchange (f, reply);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_null (f->last_set_cookie);   /* only the first answer of a flow sets it */

  phone = stored_phone (f);
  g_assert_cmpstr (phone->e164, ==, "4989700123");
  g_assert_cmpstr (phone->device_type, ==, "OpenStage 60");
  g_assert_cmpstr (phone->firmware, ==, "V3 R5.12.0");
  g_assert_cmpstr (phone->ip, ==, "127.0.0.1");
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_IDLE);
  g_assert_cmpint (phone->mode, ==, WPI_PHONE_MODE_DEFAULT);

  items = wpi_store_phone_items_list (wpi_service_get_store (f->service), MAC, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 2);
  g_assert_cmpint (wpi_store_traffic_count (wpi_service_get_store (f->service), NULL), ==, 4);

  /* A known phone whose configuration did not change is not read again (§7.1 step 2) */
  {
    g_autoptr(WpiMessage) again = phone_message (f, WPI_REASON_START_UP, "B1");
    g_autoptr(WpiMessage) answer2 = NULL;

    wpi_message_add_item (again, "configuration-changed-flag", "false");
    answer2 = exchange (f, again);
    g_assert_cmpint (wpi_message_get_action (answer2), ==, WPI_ACTION_CLEAN_UP);
  }
}

static void
test_write_with_item_failures (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(WpiMessage) solicited = NULL;
  g_autoptr(WpiMessage) write = NULL;
  g_autoptr(WpiMessage) reply = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(WpiStoreItem) value = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  register_phone (f);
  id = enqueue_write (f, "sip-transport-user", "2", "device-type", "OpenStage 80");

  solicited = phone_message (f, WPI_REASON_SOLICITED, "C2");
  write = exchange (f, solicited);
  g_assert_cmpint (wpi_message_get_action (write), ==, WPI_ACTION_WRITE_ITEMS);
  g_assert_cmpuint (wpi_message_get_n_items (write), ==, 2);
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_IN_PROGRESS);

  reply = reply_to (f, WPI_ACTION_WRITE_ITEMS, "accepted", "C2");
  wpi_item_set_status (wpi_message_add_item (reply, "device-type", ""), "read only");
  clean_up = exchange (f, reply);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_null (wpi_message_find_item (clean_up, "send-solicited", -1));

  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
  {
    /* the live jobs model followed the job through its life */
    GListModel *jobs = wpi_service_get_jobs (f->service);
    guint n_jobs = g_list_model_get_n_items (jobs);
    gboolean seen = FALSE;

    /* the registration read the service made for the new phone, and this write */
    g_assert_cmpuint (n_jobs, ==, 2);
    for (guint i = 0; i < n_jobs; i++)
      {
        g_autoptr(WpiJob) listed = g_list_model_get_item (jobs, i);

        if (wpi_job_get_id (listed) != id)
          {
            g_assert_cmpstr (wpi_job_get_record (listed)->parameter, ==, WPI_JOB_PARAMETER_REGISTRATION);
            g_assert_cmpint (wpi_job_get_state (listed), ==, WPI_JOB_STATE_DONE);
            continue;
          }
        g_assert_cmpint (wpi_job_get_state (listed), ==, WPI_JOB_STATE_DONE);
        seen = TRUE;
      }
    g_assert_true (seen);
  }
  job = wpi_store_job_get (wpi_service_get_store (f->service), id, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < job->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, i);
      if (strcmp (item->name, "device-type") == 0)
        g_assert_cmpstr (item->status, ==, "read only");
    }
  value = wpi_store_phone_item_get (wpi_service_get_store (f->service), MAC, "sip-transport-user", FALSE, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (value->value, ==, "2");
}

/* §7.5: a read; the phone repeats e164 among its basic items and as the answer. Items
 * nobody asked for (mac-addr) are the phone's values but no results; a requested item
 * the answer lacks makes the job done with problems (issue 9 §3). */
static void
test_read_items (Fixture       *f,
                 gconstpointer  data)
{
  static const struct {
    const char  *reg_addr;   /* what the phone answers for it; NULL: nothing */
    WpiJobState  state;
    const char  *reg_status;
  } cases[] = {
    { "sip.example.org", WPI_JOB_STATE_DONE, "accepted" },
    { NULL, WPI_JOB_STATE_DONE_WITH_PROBLEMS, "no value returned" },
  };
  WpiStore *store = wpi_service_get_store (f->service);

  register_phone (f);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) items = wpi_store_item_array_new ();
      g_autoptr(WpiMessage) solicited = phone_message (f, WPI_REASON_SOLICITED, "AE");
      g_autoptr(WpiMessage) read = NULL;
      g_autoptr(WpiMessage) reply = reply_to (f, WPI_ACTION_READ_ITEMS, "accepted", "AE");
      g_autoptr(WpiMessage) clean_up = NULL;
      g_autoptr(WpiJobRecord) job = NULL;
      g_autoptr(WpiStoreItem) volunteered = NULL;
      gint64 id;

      wpi_store_item_array_add (items, "e164", FALSE, 0, NULL);
      wpi_store_item_array_add (items, "reg-addr", FALSE, 0, NULL);
      id = test_util_service_enqueue (f->service, MAC, WPI_JOB_KIND_READ_ITEMS, items);
      read = exchange (f, solicited);
      g_assert_cmpint (wpi_message_get_action (read), ==, WPI_ACTION_READ_ITEMS);
      g_assert_cmpstr (wpi_message_get_item_value (read, "reg-addr"), ==, "");

      wpi_message_add_item (reply, "e164", "4989700123");
      wpi_message_add_item (reply, "mac-addr", MAC);
      wpi_message_add_item (reply, "e164", "4989700123");
      if (cases[i].reg_addr != NULL)
        wpi_message_add_item (reply, "reg-addr", cases[i].reg_addr);
      clean_up = exchange (f, reply);
      g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
      g_assert_cmpint (job_state (f, id, NULL), ==, cases[i].state);

      job = test_util_store_job_get (store, id);
      g_assert_cmpuint (job->items->len, ==, 2);   /* mac-addr is no result */
      g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 0).status, ==, "accepted");
      g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 1).value, ==, cases[i].reg_addr);
      g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, 1).status, ==, cases[i].reg_status);
      volunteered = wpi_store_phone_item_get (store, MAC, "mac-addr", FALSE, 0, NULL);
      g_assert_nonnull (volunteered);
    }
}

/* §7.12 with a V3R3 phone: busy, CleanUp + send-solicited, the call ends, the write lands. */
static void
test_busy_send_solicited (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(WpiMessage) solicited = NULL;
  g_autoptr(WpiMessage) write = NULL;
  g_autoptr(WpiMessage) busy = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  gint64 id;

  register_phone (f);
  id = enqueue_write (f, "e164", "4989700999", NULL, NULL);

  solicited = phone_message (f, WPI_REASON_SOLICITED, "D3");
  write = exchange (f, solicited);
  g_assert_cmpint (wpi_message_get_action (write), ==, WPI_ACTION_WRITE_ITEMS);
  busy = reply_to (f, WPI_ACTION_WRITE_ITEMS, "busy", "D3");
  clean_up = exchange (f, busy);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpstr (wpi_message_get_item_value (clean_up, "send-solicited"), ==, "true");
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_WAITING_BUSY);
  phone = stored_phone (f);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_BUSY);

  /* the call ends: one solicited connection */
  g_clear_object (&solicited);
  g_clear_object (&write);
  g_clear_object (&clean_up);
  solicited = phone_message (f, WPI_REASON_SOLICITED, "E4");
  write = exchange (f, solicited);
  g_assert_cmpint (wpi_message_get_action (write), ==, WPI_ACTION_WRITE_ITEMS);
  g_assert_cmpstr (wpi_message_get_item_value (write, "e164"), ==, "4989700999");
  {
    g_autoptr(WpiMessage) accepted = reply_to (f, WPI_ACTION_WRITE_ITEMS, "accepted", "E4");
    clean_up = exchange (f, accepted);
  }
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_null (wpi_message_find_item (clean_up, "send-solicited", -1));
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
  /* the busy reply and its CleanUp are of their flow (D28) */
  assert_flows (f, "AAAABBBBCCCC");
}

/* Older firmware is not asked to call back (D11): a plain CleanUp. */
static void
test_busy_old_firmware (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(WpiMessage) solicited = NULL;
  g_autoptr(WpiMessage) write = NULL;
  g_autoptr(WpiMessage) busy = NULL;
  g_autoptr(WpiMessage) clean_up = NULL;
  gint64 id;

  g_free (f->firmware);
  f->firmware = g_strdup ("V2 R2.30.0");
  register_phone (f);
  id = enqueue_write (f, "e164", "100", NULL, NULL);
  solicited = phone_message (f, WPI_REASON_SOLICITED, "F5");
  write = exchange (f, solicited);
  busy = reply_to (f, WPI_ACTION_WRITE_ITEMS, "busy", "F5");
  clean_up = exchange (f, busy);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_null (wpi_message_find_item (clean_up, "send-solicited", -1));
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_WAITING_BUSY);
}

/* D13: phone fragments are collected and applied when the final one arrives. */
static void
test_phone_fragments (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(WpiMessage) start_up = phone_message (f, WPI_REASON_START_UP, "0F");
  g_autoptr(WpiMessage) answer = exchange (f, start_up);
  g_autoptr(GArray) items = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
  for (int part = 0; part < 3; part++)
    {
      g_autoptr(WpiMessage) reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "0F");
      g_autoptr(WpiMessage) next = NULL;

      wpi_message_set_fragment (reply, part < 2 ? WPI_FRAGMENT_NEXT : WPI_FRAGMENT_FINAL);
      for (int i = 0; i < 5; i++)
        {
          g_autofree char *value = g_strdup_printf ("%d", part * 5 + i);
          wpi_message_add_indexed_item (reply, "line-sip-uri", part * 5 + i + 1, value);
        }
      next = exchange (f, reply);
      g_assert_cmpint (wpi_message_get_action (next), ==,
                       part < 2 ? WPI_ACTION_GET_NEXT_FRAGMENT : WPI_ACTION_CLEAN_UP);
      if (part < 2)
        {
          /* nothing of the reply is applied before the final fragment */
          g_autoptr(WpiStoreItem) early = wpi_store_phone_item_get (wpi_service_get_store (f->service),
                                                                    MAC, "line-sip-uri", TRUE, 1, NULL);
          g_assert_null (early);
        }
    }
  items = wpi_store_phone_items_list (wpi_service_get_store (f->service), MAC, &error);
  g_assert_no_error (error);
  /* ReadAllItems replaces the set: exactly the 15 items of the three fragments */
  g_assert_cmpuint (items->len, ==, 15);
}

/* D12: under maxItems 2 a write of five items goes out in three messages. */
static void
test_service_fragments (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autoptr(WpiMessage) solicited = NULL;
  g_autoptr(WpiMessage) next = NULL;
  guint messages = 0, total = 0;
  gint64 id;

  f->max_items = 2;
  register_phone (f);
  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *value = g_strdup_printf ("label %d", i);
      wpi_store_item_array_add (items, "key-label-unicode", TRUE, i, value);
    }
  id = test_util_service_enqueue (f->service, MAC, WPI_JOB_KIND_WRITE_ITEMS, items);

  solicited = phone_message (f, WPI_REASON_SOLICITED, "77");
  next = exchange (f, solicited);
  while (wpi_message_get_action (next) == WPI_ACTION_WRITE_ITEMS)
    {
      g_autoptr(WpiMessage) accepted = reply_to (f, WPI_ACTION_WRITE_ITEMS, "accepted", "77");

      g_assert_cmpuint (wpi_message_get_n_items (next), <=, 2);
      messages++;
      total += wpi_message_get_n_items (next);
      g_clear_object (&next);
      next = exchange (f, accepted);
    }
  g_assert_cmpint (wpi_message_get_action (next), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpuint (messages, ==, 3);
  g_assert_cmpuint (total, ==, 5);
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
}

/* D5, D1, D2: bad input gets a clear HTTP error and changes nothing but the log. */
static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  static const char *bodies[] = {
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>start-up",
    "<!DOCTYPE x [<!ENTITY a \"b\">]><WorkpointMessage/>",
    "<WorkpointMessage><Message><ReasonForContact>start-up</ReasonForContact></Message></WorkpointMessage>",
    "",
  };
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GPtrArray) traffic = NULL;
  WpiStore *store = wpi_service_get_store (f->service);
  g_autofree char *huge = NULL;
  g_autoptr(WpiMessage) reply = NULL;
  gsize length;
  g_autofree char *xml = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(GBytes) answer = http (f, "POST", WPI_SERVICE_PATH, bodies[i], strlen (bodies[i]), FALSE, 0);
      g_assert_cmpuint (f->last_status, ==, 400);
      g_assert_cmpuint (g_bytes_get_size (answer), ==, 0);
    }
  g_assert_cmpuint (g_list_model_get_n_items (wpi_service_get_phones (f->service)), ==, 0);
  traffic = wpi_store_traffic_get_range (store, 1, 100, NULL);
  g_assert_cmpuint (traffic->len, ==, G_N_ELEMENTS (bodies));
  for (guint i = 0; i < traffic->len; i++)
    g_assert_nonnull (((WpiTrafficRecord *) g_ptr_array_index (traffic, i))->error_text);

  body = http (f, "GET", WPI_SERVICE_PATH, NULL, 0, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 405);
  g_clear_pointer (&body, g_bytes_unref);
  body = http (f, "POST", "/provisioningService", "<x/>", 4, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 404);
  g_clear_pointer (&body, g_bytes_unref);

  huge = g_malloc0 (WPI_MAX_BODY_BYTES + 10);
  memset (huge, ' ', WPI_MAX_BODY_BYTES + 10);
  body = http (f, "POST", WPI_SERVICE_PATH, huge, WPI_MAX_BODY_BYTES + 10, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 413);
  g_clear_pointer (&body, g_bytes_unref);

  /* a reply-to without an open session (D2) */
  reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "99");
  xml = wpi_message_serialize (reply, &length);
  body = http (f, "POST", WPI_SERVICE_PATH, xml, length, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 400);
  g_assert_cmpuint (g_list_model_get_n_items (wpi_service_get_phones (f->service)), ==, 0);
  /* each refusal outside a flow is an exchange of its own (D28) */
  assert_flows (f, "ABCDEF");
}

/* D15: factory reset sends the password and type; the next start-up completes it. */
static void
test_factory_reset (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(WpiMessage) solicited = NULL;
  g_autoptr(WpiMessage) restart = NULL;
  g_autoptr(WpiMessage) start_up = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  gint64 id;

  register_phone (f);
  id = test_util_service_enqueue (f->service, MAC, WPI_JOB_KIND_FACTORY_RESET, NULL);

  solicited = phone_message (f, WPI_REASON_SOLICITED, "AB");
  restart = exchange (f, solicited);
  g_assert_cmpint (wpi_message_get_action (restart), ==, WPI_ACTION_RESTART);
  g_assert_cmpstr (wpi_message_get_item_value (restart, "restart-type"), ==, "FactoryReset");
  g_assert_cmpstr (wpi_message_get_item_value (restart, "restart-password"), ==, "124816");
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_IN_PROGRESS);

  start_up = phone_message (f, WPI_REASON_START_UP, "AC");
  wpi_message_add_item (start_up, "configuration-changed-flag", "true");
  answer = exchange (f, start_up);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
  g_assert_cmpint (job_state (f, id, NULL), ==, WPI_JOB_STATE_DONE);
}

/* D14 */
static void
test_polling (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GBytes) body = NULL;

  register_phone (f);
  body = http (f, "GET", WPI_POLL_PATH "?device-id=00:1a:e8:12:34:56", NULL, 0, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 200);
  enqueue_write (f, "e164", "5", NULL, NULL);
  g_clear_pointer (&body, g_bytes_unref);
  body = http (f, "GET", WPI_POLL_PATH "?device-id=00:1a:e8:12:34:56", NULL, 0, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 202);
}

/* D6: a phone in Secure Mode on the default port gets 403 and a security event. */
static void
test_secure_phone_on_default_port (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(WpiPhoneRecord) secure = wpi_phone_record_new (MAC);
  g_autoptr(WpiMessage) start_up = phone_message (f, WPI_REASON_START_UP, "EE");
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  gsize length;

  register_phone (f);
  secure->mode = WPI_PHONE_MODE_SECURE;
  wpi_store_phone_upsert (wpi_service_get_store (f->service), secure, WPI_PHONE_FIELD_MODE, NULL, &error);
  g_assert_no_error (error);

  xml = wpi_message_serialize (start_up, &length);
  body = http (f, "POST", WPI_SERVICE_PATH, xml, length, FALSE, 0);
  g_assert_cmpuint (f->last_status, ==, 403);
  events = wpi_store_security_event_list (wpi_service_get_store (f->service), 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((WpiSecurityEvent *) g_ptr_array_index (events, 0))->kind, ==, "secure-phone-on-default-port");
}

/* D10: the contact-me reaches the phone's listener with the call-back address, also when
 * the phone reported its contact-me-uri between line breaks. */
typedef struct {
  guint   requests;
  char   *form;
} ContactListener;

static void
contact_handler (SoupServerMessage *msg,
                 GBytes            *body,
                 gpointer           user_data)
{
  ContactListener *listener = user_data;

  listener->requests++;
  g_free (listener->form);
  listener->form = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* A phone's contact-me listener on loopback that answers 204; its URI */
static char *
start_contact_listener (SoupServer      *phone_server,
                        ContactListener *listener)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;
  char *uri;

  test_util_server_handle (phone_server, "/contact_dls.html/ContactDLS", contact_handler, listener);
  soup_server_listen_local (phone_server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (phone_server);
  uri = g_strdup_printf ("http://127.0.0.1:%d/contact_dls.html/ContactDLS", g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return uri;
}

static void
test_contact_me (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(SoupServer) phone_server = soup_server_new (NULL, NULL);
  g_autoptr(WpiPhoneRecord) record = NULL;
  ContactListener listener = { 0 };
  g_autofree char *uri = start_contact_listener (phone_server, &listener);
  gint64 deadline;
  gboolean contacted = FALSE;

  /* the phone reports it, with a line break around it when data says so (issue 9 §1) */
  g_free (f->contact_me_uri);
  f->contact_me_uri = data != NULL ? g_strdup_printf ("\n  %s\r\n", uri) : g_strdup (uri);
  register_phone (f);
  record = stored_phone (f);
  g_assert_cmpstr (record->contact_me_uri, ==, uri);

  enqueue_write (f, "e164", "42", NULL, NULL);
  deadline = g_get_monotonic_time () + WAIT_TIMEOUT;
  while (listener.requests == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  contacted = listener.requests == 1;
  g_assert_true (contacted);
  g_assert_nonnull (listener.form);
  g_assert_true (g_str_has_prefix (listener.form, "ContactMe=true&dls_ip_addr=127.0.0.1&dls_ip_port="));
  g_free (listener.form);
}

/* D10: a phone that never answers becomes unreachable and its jobs fail. data: the phone
 * answers each contact-me (204) but never calls back, which is no answer either: such a
 * phone stayed "contacting" for good, its jobs never tried again. */
static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(SoupServer) phone_server = soup_server_new (NULL, NULL);
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autofree char *reason = NULL;
  ContactListener listener = { 0 };
  gint64 deadline, id;

  g_object_set (f->service, "contact-initial-backoff", 0, NULL);   /* retry at each tick */
  if (data != NULL)
    {
      g_free (f->contact_me_uri);
      f->contact_me_uri = start_contact_listener (phone_server, &listener);
    }
  register_phone (f);   /* else its contact-me URI points at port 1: nobody listens */
  id = enqueue_write (f, "e164", "1", NULL, NULL);

  deadline = g_get_monotonic_time () + 3 * WAIT_TIMEOUT;
  while (job_state (f, id, NULL) != WPI_JOB_STATE_FAILED && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (job_state (f, id, &reason), ==, WPI_JOB_STATE_FAILED);
  g_assert_true (g_str_has_prefix (reason, "phone unreachable"));
  phone = stored_phone (f);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_UNREACHABLE);
  if (data != NULL)
    g_assert_cmpuint (listener.requests, ==, WPI_CONTACT_MAX_FAILURES);
  g_free (listener.form);
}

/* ---- Flows that end without a CleanUp (D22) ---------------------------- */

/* The read that registered the phone */
static gint64
registration_job (Fixture *f)
{
  g_autoptr(GPtrArray) jobs = wpi_store_job_list (wpi_service_get_store (f->service), NULL, NULL);

  for (guint i = 0; jobs != NULL && i < jobs->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (jobs, i);

      if (g_strcmp0 (job->parameter, WPI_JOB_PARAMETER_REGISTRATION) == 0)
        return job->id;
    }
  g_assert_not_reached ();
}

/* A new phone's start-up, answered with the registration read, which it leaves
 * unanswered for now */
static void
start_registration (Fixture    *f,
                    const char *nonce)
{
  g_autoptr(WpiMessage) start_up = phone_message (f, WPI_REASON_START_UP, nonce);
  g_autoptr(WpiMessage) read = exchange (f, start_up);

  g_assert_cmpint (wpi_message_get_action (read), ==, WPI_ACTION_READ_ALL_ITEMS);
}

/* A phone that restarts before it answers its registration read: each new start-up
 * closes the old flow at once, counts an attempt and reads again, until the limit. */
static void
test_restart_mid_flow (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(WpiMessage) stale = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "D1");
  WpiStore *store = wpi_service_get_store (f->service);
  g_autofree char *first_cookie = NULL;
  g_autofree char *reason = NULL;
  gint64 id;

  start_registration (f, "D1");
  first_cookie = g_strdup (f->cookie);
  id = registration_job (f);
  for (guint restarts = 1; restarts <= WPI_FLOW_MAX_ATTEMPTS; restarts++)
    {
      g_autoptr(WpiMessage) again = phone_message (f, WPI_REASON_START_UP, "D2");
      g_autoptr(WpiMessage) answer = exchange (f, again);
      g_autoptr(WpiJobRecord) job = test_util_store_job_get (store, id);
      gboolean last = restarts == WPI_FLOW_MAX_ATTEMPTS;

      g_assert_cmpuint (job->attempts, ==, restarts);
      g_assert_cmpint (job->state, ==, last ? WPI_JOB_STATE_FAILED : WPI_JOB_STATE_IN_PROGRESS);
      g_assert_cmpint (wpi_message_get_action (answer), ==,
                       last ? WPI_ACTION_CLEAN_UP : WPI_ACTION_READ_ALL_ITEMS);
    }
  job_state (f, id, &reason);
  g_assert_true (g_str_has_prefix (reason, "the phone opened a new flow (start-up)"));

  /* the first flow is closed: its cookie names no session any more */
  g_free (f->cookie);
  f->cookie = g_steal_pointer (&first_cookie);
  g_assert_cmpuint (post_refused (f, stale, TRUE), ==, 400);

  /* A configuration read cut short is queued: the next start-up reads the phone, even
   * one that says nothing changed; one that says it changed is read once, not twice. */
  {
    static const char *const changed_flags[] = { "true", " false\n", " true\n" };
    g_autoptr(WpiMessage) last = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "D5");
    g_autoptr(WpiMessage) clean_up = NULL;

    for (guint i = 0; i < G_N_ELEMENTS (changed_flags); i++)
      {
        g_autofree char *nonce = g_strdup_printf ("D%u", 3 + i);
        g_autoptr(WpiMessage) start_up = phone_message (f, WPI_REASON_START_UP, nonce);
        g_autoptr(WpiMessage) answer = NULL;

        wpi_message_add_item (start_up, "configuration-changed-flag", changed_flags[i]);
        answer = exchange (f, start_up);
        g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
      }
    clean_up = exchange (f, last);
    g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  }
}

typedef struct {
  Fixture     *f;
  gint64       id;
  WpiJobState  state;
} JobWatch;

static gboolean
job_left_state (gpointer data)
{
  JobWatch *watch = data;

  return job_state (watch->f, watch->id, NULL) != watch->state;
}

/* A flow without a message for flow-deadline seconds is closed; its job is pending again
 * with the attempt counted. */
static void
test_flow_deadline (Fixture       *f,
                    gconstpointer  data)
{
  JobWatch watch = { f, 0, WPI_JOB_STATE_IN_PROGRESS };
  g_autoptr(GBytes) poll = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(WpiMessage) solicited = phone_message (f, WPI_REASON_SOLICITED, "D5");
  g_autoptr(WpiMessage) late = reply_to (f, WPI_ACTION_WRITE_ITEMS, "accepted", "D5");
  g_autoptr(WpiMessage) write = NULL;

  register_phone (f);
  /* a phone that polls is not sent contact-mes (D14): the job stays as the deadline left it */
  poll = http (f, "GET", WPI_POLL_PATH "?device-id=" MAC, NULL, 0, FALSE, 0);
  g_object_set (f->service, "flow-deadline", 1, NULL);
  watch.id = enqueue_write (f, "e164", "7", NULL, NULL);
  write = exchange (f, solicited);
  g_assert_cmpint (wpi_message_get_action (write), ==, WPI_ACTION_WRITE_ITEMS);

  test_util_wait_until (job_left_state, &watch, 20000, "the flow's deadline");
  job = test_util_store_job_get (wpi_service_get_store (f->service), watch.id);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_QUEUED);
  g_assert_cmpuint (job->attempts, ==, 1);
  phone = stored_phone (f);
  g_assert_cmpint (phone->state, ==, WPI_PHONE_STATE_IDLE);
  g_assert_cmpuint (post_refused (f, late, TRUE), ==, 400);
}

/* A flow is bound to the address it started from: its cookie from elsewhere is refused
 * and logged as a security event; the phone's own flow goes on. */
static void
test_flow_bound_to_address (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(WpiMessage) reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "D6");
  g_autoptr(WpiMessage) clean_up = NULL;
  g_autoptr(SoupSession) own = NULL;
  g_autoptr(GPtrArray) events = NULL;

  start_registration (f, "D6");
  own = g_steal_pointer (&f->session);
  f->session = test_util_https_session_new_from (NULL, "127.0.0.2");
  g_assert_cmpuint (post_refused (f, reply, TRUE), ==, 403);
  events = wpi_store_security_event_list (wpi_service_get_store (f->service), 0, 0, NULL);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((WpiSecurityEvent *) g_ptr_array_index (events, 0))->kind, ==, "session-from-other-address");

  g_clear_object (&f->session);
  f->session = g_steal_pointer (&own);
  clean_up = exchange (f, reply);
  g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
  g_assert_cmpint (job_state (f, registration_job (f), NULL), ==, WPI_JOB_STATE_DONE);
  /* the session used from another address shows in that flow (D28) */
  assert_flows (f, "AAAAA");
}

/* A known phone's MAC from another address (issue 10): a security event, and the phone
 * keeps its address and contact-me URI until the claim has completed a flow */
static void
test_mac_claimed (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(WpiMessage) start_up = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiPhoneRecord) during = NULL;
  g_autoptr(WpiPhoneRecord) after = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autofree char *known_uri = NULL;

  register_phone (f);
  known_uri = g_strdup (f->contact_me_uri);
  enqueue_write (f, "auto-answer", "true", NULL, NULL);   /* so that the claim's flow goes on */
  g_clear_object (&f->session);
  f->session = test_util_https_session_new_from (NULL, "127.0.0.2");
  g_free (f->contact_me_uri);
  f->contact_me_uri = g_strdup ("http://127.0.0.2:8085/contact_dls.html/ContactDLS");
  start_up = phone_message (f, WPI_REASON_START_UP, "E1");
  answer = exchange (f, start_up);
  g_assert_cmpint (wpi_message_get_action (answer), !=, WPI_ACTION_CLEAN_UP);

  during = stored_phone (f);
  g_assert_cmpstr (during->ip, ==, "127.0.0.1");
  g_assert_cmpstr (during->contact_me_uri, ==, known_uri);
  events = wpi_store_security_event_list (wpi_service_get_store (f->service), 0, 0, NULL);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((WpiSecurityEvent *) g_ptr_array_index (events, 0))->kind, ==, "mac-claimed-from-other-address");

  /* the claim goes through a whole flow: now the phone is where it wrote from */
  for (guint step = 0; wpi_message_get_action (answer) != WPI_ACTION_CLEAN_UP; step++)
    {
      g_autoptr(WpiMessage) reply = reply_to (f, wpi_message_get_action (answer), "accepted", "E1");

      g_assert_cmpuint (step, <, 4);
      g_clear_object (&answer);
      answer = exchange (f, reply);
    }
  after = stored_phone (f);
  g_assert_cmpstr (after->ip, ==, "127.0.0.2");
  g_assert_cmpstr (after->contact_me_uri, ==, f->contact_me_uri);
}

/* ---- Mobility (items.md §13.1) ----------------------------------------- */

/* inventory-changes in a user's logon and logoff: each is an event on the phone, answered
 * without a read; the others are read as local changes are. */
static void
test_mobility (Fixture       *f,
               gconstpointer  data)
{
  static const struct {
    const char *state;      /* sip-mobility-state */
    const char *e164;
    const char *requested;  /* requested-items, or NULL */
    const char *event;      /* the event recorded, or NULL (the phone is read) */
    const char *user;
  } steps[] = {
    { "1", "4989700123", NULL, NULL, NULL },   /* the first state reported: no change */
    { "0", "4989700200", "userdata-call-log,userdata-phonebook", "logon", "4989700200" },
    { "0\n", "4989700200", NULL, NULL, NULL },   /* no change */
    { "1", "4989700123", NULL, "logoff", "4989700200" },
  };
  WpiStore *store = wpi_service_get_store (f->service);
  guint n_events = 0;

  register_phone (f);
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autoptr(WpiMessage) changes = NULL;
      g_autoptr(WpiMessage) answer = NULL;
      g_autoptr(GPtrArray) events = NULL;

      f->e164 = steps[i].e164;
      changes = phone_message (f, WPI_REASON_INVENTORY_CHANGES, "E1");
      wpi_message_add_item (changes, "basic-e164", "4989700123");
      wpi_message_add_item (changes, "sip-mobility-state", steps[i].state);
      if (steps[i].requested != NULL)
        wpi_message_add_item (changes, "requested-items", steps[i].requested);
      answer = exchange (f, changes);
      if (steps[i].event == NULL)
        {
          g_autoptr(WpiMessage) reply = reply_to (f, WPI_ACTION_READ_ALL_ITEMS, "accepted", "E1");
          g_autoptr(WpiMessage) clean_up = NULL;

          g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
          /* the whole configuration, with the state in it */
          wpi_message_add_item (reply, "e164", steps[i].e164);
          wpi_message_add_item (reply, "sip-mobility-state", steps[i].state);
          clean_up = exchange (f, reply);
          g_assert_cmpint (wpi_message_get_action (clean_up), ==, WPI_ACTION_CLEAN_UP);
        }
      else
        {
          g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_CLEAN_UP);
          n_events++;
        }

      events = wpi_store_phone_event_list (store, MAC, 0, NULL);
      g_assert_cmpuint (events->len, ==, n_events);
      if (steps[i].event != NULL)
        {
          const WpiPhoneEvent *event = g_ptr_array_index (events, n_events - 1);

          g_assert_cmpstr (event->kind, ==, steps[i].event);
          g_assert_cmpstr (event->user, ==, steps[i].user);
          g_assert_cmpint (event->time_us, >, 0);
          if (steps[i].requested != NULL)
            g_assert_nonnull (strstr (event->detail, steps[i].requested));
        }
    }
}

/* D19: a phone at 127.0.0.2 reporting a contact-me-uri; the contact-me goes there only when
 * the URI names the phone's own address, or another one inside contact-allow. */
typedef struct {
  const char *name;
  const char *uri_host;   /* where the phone says its contact-me server is */
  const char *uri_path;
  const char *allow;      /* contact-allow, or NULL */
  gboolean    contacted;  /* the server there gets the contact-me */
} GuardCase;

static const GuardCase guard_cases[] = {
  { "other-host-refused", "127.0.0.3", WPI_CONTACT_PATH, NULL, FALSE },
  { "other-host-allowed", "127.0.0.3", WPI_CONTACT_PATH, "127.0.0.0/24", TRUE },
  { "own-address-other-port-path", "127.0.0.2", "/other/contact-me", NULL, TRUE },
};

#define GUARD_PHONE_IP "127.0.0.2"

typedef struct {
  Fixture         *f;
  gint64           job;
  ContactListener *listener;
} GuardWait;

static gboolean
guard_settled (gpointer data)
{
  GuardWait *wait = data;

  return wait->listener->requests > 0 ||
         job_state (wait->f, wait->job, NULL) == WPI_JOB_STATE_FAILED;
}

/* A contact-me server on host, on a free port */
static SoupServer *
contact_server_on (const char      *host,
                   const char      *path,
                   ContactListener *listener,
                   guint           *port)
{
  SoupServer *server = soup_server_new (NULL, NULL);
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (host);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (address, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSList) uris = NULL;

  test_util_server_handle (server, path, contact_handler, listener);
  soup_server_listen (server, any_port, 0, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  *port = (guint) g_uri_get_port (uris->data);
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  return server;
}

/* The kinds of the security events stored so far, joined with "," */
static char *
security_event_kinds (Fixture *f)
{
  g_autoptr(GPtrArray) events = wpi_store_security_event_list (wpi_service_get_store (f->service), 0, 0, NULL);
  g_autoptr(GString) kinds = g_string_new (NULL);

  g_assert_nonnull (events);
  for (guint i = 0; i < events->len; i++)
    g_string_append_printf (kinds, "%s%s", i > 0 ? "," : "", ((WpiSecurityEvent *) g_ptr_array_index (events, i))->kind);
  return g_string_free (g_steal_pointer (&kinds), FALSE);
}

static void
test_contact_guard (Fixture       *f,
                    gconstpointer  data)
{
  const GuardCase *test = data;
  ContactListener listener = { 0 };
  GuardWait wait = { f, 0, &listener };
  g_autoptr(SoupServer) server = NULL;
  g_autofree char *events = NULL;
  g_autofree char *reason = NULL;
  g_autofree char *ip = NULL;
  guint port;

  server = contact_server_on (test->uri_host, test->uri_path, &listener, &port);
  g_free (f->contact_me_uri);
  /* with the spaces some firmware pads it with: the service trims them */
  f->contact_me_uri = g_strdup_printf (" http://%s:%u%s ", test->uri_host, port, test->uri_path);
  g_clear_object (&f->session);
  f->session = test_util_https_session_new_from (NULL, GUARD_PHONE_IP);
  if (test->allow != NULL)
    g_object_set (f->service, "contact-allow", (const char * const[]) { test->allow, NULL }, NULL);

  register_phone (f);
  ip = stored_phone_ip (f);
  g_assert_cmpstr (ip, ==, GUARD_PHONE_IP);
  wait.job = enqueue_write (f, "e164", "42", NULL, NULL);
  test_util_wait_until (guard_settled, &wait, 20000, "the contact-me or its refusal");

  events = security_event_kinds (f);
  g_assert_cmpuint (listener.requests, ==, test->contacted ? 1 : 0);
  g_assert_cmpstr (events, ==, test->contacted ? "" : "contact-me-refused");
  g_assert_true ((stored_phone_state (f) == WPI_PHONE_STATE_UNREACHABLE) == !test->contacted);
  if (!test->contacted)
    {
      g_assert_cmpint (job_state (f, wait.job, &reason), ==, WPI_JOB_STATE_FAILED);
      g_assert_true (g_str_has_prefix (reason, "contact-me refused"));
    }
  g_free (listener.form);
}

/* D19: the ranges as written; the rest refused with a message naming them */
static void
test_contact_ranges (void)
{
  static const char * const good[] = { "127.0.0.0/24", " 10.0.0.0/8 ", "127.0.0.3", "fd00::/64", "::1/128" };
  static const char * const bad[] = { "127.0.0.0/33", "127.0.0/24", "fd00::/129", "phones.example", "" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GInetAddressMask) mask = wpi_contact_range_parse (good[i], NULL);

      g_test_message ("range \"%s\"", good[i]);
      g_assert_nonnull (mask);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GInetAddressMask) mask = wpi_contact_range_parse (bad[i], &error);

      g_test_message ("not a range: \"%s\"", bad[i]);
      g_assert_null (mask);
      g_assert_error (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_BAD_RANGE);
      g_assert_nonnull (strstr (error->message, "is not an address range"));
    }
}

/* D19: where a contact-me goes, from the phone's address and its contact-me-uri */
static void
test_contact_targets (void)
{
  static const struct {
    const char *uri;
    const char *source;
    const char *allow;     /* one range, or NULL */
    const char *target;    /* NULL: refused */
  } targets[] = {
    { NULL, "127.0.0.2", NULL, "http://127.0.0.2:8085" WPI_CONTACT_PATH },
    { "http://127.0.0.2:9000/x?y=1", "127.0.0.2", NULL, "http://127.0.0.2:9000/x?y=1" },
    { "  http://127.0.0.2/x\n", "127.0.0.2", NULL, "http://127.0.0.2/x" },
    { "http://127.0.0.3:8085/x", "127.0.0.2", NULL, NULL },
    { "http://127.0.0.3:8085/x", "127.0.0.2", "127.0.0.0/24", "http://127.0.0.3:8085/x" },
    { "http://127.0.1.3:8085/x", "127.0.0.2", "127.0.0.0/24", NULL },
    { "http://localhost:8085/x", "127.0.0.2", "127.0.0.0/8", NULL },
    { "http://[::1]:8085/x", "::1", NULL, "http://[::1]:8085/x" },
    { "http://127.0.0.3:8085/x", NULL, NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      const char *allow[] = { targets[i].allow, NULL };
      g_autoptr(GPtrArray) ranges = wpi_contact_ranges_parse (allow, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *target = wpi_contact_target (targets[i].uri, targets[i].source, ranges, &error);

      g_test_message ("%s from %s", targets[i].uri, targets[i].source);
      g_assert_cmpstr (target, ==, targets[i].target);
      if (targets[i].target == NULL)
        g_assert_error (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_NOT_ALLOWED);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/service/start-up/unknown-phone", test_start_up_unknown);
  ADD ("/service/write/item-failures", test_write_with_item_failures);
  ADD ("/service/read/items", test_read_items);
  ADD ("/service/busy/send-solicited", test_busy_send_solicited);
  ADD ("/service/busy/old-firmware", test_busy_old_firmware);
  ADD ("/service/fragments/phone", test_phone_fragments);
  ADD ("/service/fragments/service", test_service_fragments);
  ADD ("/service/bad-input", test_bad_input);
  ADD ("/service/factory-reset", test_factory_reset);
  ADD ("/service/polling", test_polling);
  ADD ("/service/secure-phone-on-default-port", test_secure_phone_on_default_port);
  ADD ("/service/contact-me/sent", test_contact_me);
  g_test_add ("/service/contact-me/uri-between-line-breaks", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_contact_me, fixture_tear_down);
  ADD ("/service/deadline/restart-mid-flow", test_restart_mid_flow);
  ADD ("/service/deadline/expiry", test_flow_deadline);
  ADD ("/service/deadline/bound-to-address", test_flow_bound_to_address);
  ADD ("/service/mac-claimed", test_mac_claimed);
  ADD ("/service/mobility", test_mobility);
  ADD ("/service/contact-me/unreachable", test_unreachable);
  g_test_add ("/service/contact-me/answered-never-called", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_unreachable, fixture_tear_down);
  for (guint i = 0; i < G_N_ELEMENTS (guard_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/service/contact-me/guard/%s", guard_cases[i].name);

      g_test_add (path, Fixture, &guard_cases[i], fixture_set_up, test_contact_guard, fixture_tear_down);
    }
  g_test_add_func ("/service/contact-me/ranges", test_contact_ranges);
  g_test_add_func ("/service/contact-me/targets", test_contact_targets);
#undef ADD

  return g_test_run ();
}
