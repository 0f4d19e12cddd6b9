/* test-settings.c: the service's settings do what they say
 *
 * contact-initial-backoff, contact-max-backoff, traffic-retention-days and
 * traffic-max-megabytes, changed on a running service, change what it does at once (D10,
 * the traffic log); and the console's GSettings keys reach them through
 * g_settings_bind(), bound as ui/wpc-application.c binds them.
 */
#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <libsoup/soup.h>

#include "wpi-service.h"
#include "test-util-service.h"

#define MAC          "00:1A:E8:AB:CD:01"
#define WAIT_TIMEOUT (20 * G_TIME_SPAN_SECOND)
/* contact_phone() takes the time before it stores the attempt: the delay seen through the
 * store is the back-off less the time between the two */
#define DELAY_SLACK  (500 * G_TIME_SPAN_MILLISECOND)

typedef struct {
  char       *data_dir;
  WpiService *service;
  SoupServer *target;     /* the phone's contact-me server: it answers 503 */
  guint       contacts;   /* contact-mes it received */
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  test_util_service_set_up ("wpi-settings", &f->data_dir, &f->service);

  f->target = test_util_counting_server_new (SOUP_STATUS_SERVICE_UNAVAILABLE, &f->contacts, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_util_service_tear_down (&f->data_dir, &f->service);
  soup_server_disconnect (f->target);
  g_clear_object (&f->target);
}

typedef gboolean (*Condition) (Fixture *f, gconstpointer data);

static gboolean
wait_for (Fixture       *f,
          Condition      condition,
          gconstpointer  data)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT;

  /* the service's tick wakes the loop twice a second */
  while (!condition (f, data) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return condition (f, data);
}

/* ---- Contact-me back-off (D10) ----------------------------------------- */

/* A phone whose contact-me server answers 503, with a job queued for it. */
static gint64
queue_job_for_unreachable_phone (Fixture *f)
{
  WpiStore *store = wpi_service_get_store (f->service);
  g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (MAC);
  g_autoptr(GSList) uris = soup_server_get_uris (f->target);
  g_autoptr(GError) error = NULL;
  gint64 id;

  phone->ip = g_strdup ("127.0.0.1");
  phone->contact_me_uri = g_strdup_printf ("http://127.0.0.1:%d/contact_dls.html/ContactDLS",
                                           g_uri_get_port (uris->data));
  g_slist_free_full (g_steal_pointer (&uris), (GDestroyNotify) g_uri_unref);
  wpi_store_phone_upsert (store, phone, WPI_PHONE_FIELD_IP | WPI_PHONE_FIELD_CONTACT_ME_URI, NULL, &error);
  g_assert_no_error (error);
  id = wpi_service_enqueue_job (f->service, MAC, WPI_JOB_KIND_READ_ALL, NULL, NULL, &error);
  g_assert_no_error (error);
  return id;
}

typedef struct {
  gint64 id;
  guint  attempts;
} AttemptWait;

static gboolean
attempts_reached (Fixture       *f,
                  gconstpointer  data)
{
  const AttemptWait *wait = data;
  g_autoptr(WpiJobRecord) job = wpi_store_job_get (wpi_service_get_store (f->service), wait->id, NULL);

  return job != NULL && job->attempts >= wait->attempts;
}

static gboolean
target_contacted (Fixture       *f,
                  gconstpointer  data)
{
  return f->contacts >= GPOINTER_TO_UINT (data);
}

/* The job's contact-me number `attempts` was made, and the next one is due `seconds` after it. */
static void
assert_retry_delay (Fixture *f,
                    gint64   id,
                    guint    attempts,
                    guint    seconds)
{
  AttemptWait wait = { id, attempts };
  g_autoptr(WpiJobRecord) job = NULL;
  GTimeSpan delay;

  g_assert_true (wait_for (f, attempts_reached, &wait));
  job = wpi_store_job_get (wpi_service_get_store (f->service), id, NULL);
  g_assert_cmpuint (job->attempts, ==, attempts);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_CONTACTING);
  /* the attempt is the job's last change: updated_us is when it was made */
  delay = job->next_attempt_us - job->updated_us;
  g_assert_cmpint (delay, <=, seconds * G_TIME_SPAN_SECOND);
  g_assert_cmpint (delay, >, seconds * G_TIME_SPAN_SECOND - DELAY_SLACK);
}

static void
test_contact_backoff (Fixture       *f,
                      gconstpointer  data)
{
  gint64 id = queue_job_for_unreachable_phone (f);
  g_autoptr(WpiJobRecord) job = NULL;

  /* D10's defaults: 30 s after the first contact-me */
  assert_retry_delay (f, id, 1, 30);
  g_assert_true (wait_for (f, target_contacted, GUINT_TO_POINTER (1)));

  /* A shorter first retry applies at once: the job that waited 30 s is due within 1 s,
   * and the retry after it waits 2 s (twice the new 1 s), not 60 s */
  g_object_set (f->service, "contact-initial-backoff", 1, NULL);
  job = wpi_store_job_get (wpi_service_get_store (f->service), id, NULL);
  g_assert_cmpint (job->next_attempt_us - g_get_real_time (), <=, G_TIME_SPAN_SECOND);
  assert_retry_delay (f, id, 2, 2);
  g_assert_true (wait_for (f, target_contacted, GUINT_TO_POINTER (2)));

  /* A lower cap: the third retry waits 1 s, not 4 s */
  g_object_set (f->service, "contact-max-backoff", 1, NULL);
  assert_retry_delay (f, id, 3, 1);
}

/* ---- Traffic retention ------------------------------------------------- */

/* A message logged age ago, with body (or none) */
static gint64
append_traffic_with_body (Fixture   *f,
                          GTimeSpan  age,
                          GBytes    *body)
{
  g_autoptr(WpiTrafficRecord) record = wpi_traffic_record_new ();
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  record->body = body != NULL ? g_bytes_ref (body) : NULL;
  record->time_us = g_get_real_time () - age;
  record->direction = WPI_TRAFFIC_DIRECTION_IN;
  record->port = 18443;
  record->mode = WPI_PHONE_MODE_DEFAULT;
  record->peer = g_strdup ("127.0.0.1:5060");
  record->mac = g_strdup (MAC);
  wpi_store_traffic_append (wpi_service_get_store (f->service), record, &id, &error);
  g_assert_no_error (error);
  return id;
}

static gint64
append_traffic (Fixture   *f,
                GTimeSpan  age)
{
  return append_traffic_with_body (f, age, NULL);
}

static gboolean
traffic_kept (Fixture *f,
              gint64   id)
{
  g_autoptr(WpiTrafficRecord) record = wpi_store_traffic_get (wpi_service_get_store (f->service), id, NULL);

  return record != NULL;
}

static gboolean
traffic_gone (Fixture       *f,
              gconstpointer  data)
{
  return !traffic_kept (f, *(const gint64 *) data);
}

static void
test_traffic_retention (Fixture       *f,
                        gconstpointer  data)
{
  gint64 old = append_traffic (f, 40 * G_TIME_SPAN_DAY);
  gint64 middle = append_traffic (f, 20 * G_TIME_SPAN_DAY);
  gint64 recent = append_traffic (f, G_TIME_SPAN_HOUR);
  guint days = G_MAXUINT;

  /* 0, the default: the log is kept by count only */
  g_object_get (f->service, "traffic-retention-days", &days, NULL);
  g_assert_cmpuint (days, ==, 0);
  g_assert_true (traffic_kept (f, old));

  g_object_set (f->service, "traffic-retention-days", 30, NULL);
  g_assert_true (wait_for (f, traffic_gone, &old));
  g_assert_true (traffic_kept (f, middle));
  g_assert_true (traffic_kept (f, recent));

  g_object_set (f->service, "traffic-retention-days", 10, NULL);
  g_assert_true (wait_for (f, traffic_gone, &middle));
  g_assert_true (traffic_kept (f, recent));
}

/* The store's running count of the log's bytes is what its messages hold */
static void
assert_bytes_counted (Fixture *f)
{
  WpiStore *store = wpi_service_get_store (f->service);
  g_autoptr(GError) error = NULL;
  gint64 first = 0, last = 0, bytes = 0;

  wpi_store_traffic_get_bounds (store, &first, &last, &error);
  g_assert_no_error (error);
  for (gint64 id = first; last > 0 && id <= last; id++)
    {
      g_autoptr(WpiTrafficRecord) record = wpi_store_traffic_get (store, id, &error);

      g_assert_no_error (error);
      bytes += WPI_STORE_TRAFFIC_MESSAGE_BYTES + (record->body != NULL ? g_bytes_get_size (record->body) : 0) +
               (record->headers != NULL ? g_bytes_get_size (record->headers) : 0);
    }
  g_assert_cmpint (wpi_store_traffic_get_bytes (store, NULL), ==, bytes);
}

/* Retention deletes in batches, from the oldest, and the ids stay dense. */
static void
test_traffic_retention_batches (Fixture       *f,
                                gconstpointer  data)
{
  WpiStore *store = wpi_service_get_store (f->service);
  g_autoptr(GError) error = NULL;
  gint64 first = 0, last = 0, recent;
  gboolean more = FALSE;
  guint batches = 0;
  g_autoptr(GBytes) body = g_bytes_new_static ("<WorkpointMessage/>", 19);

  for (guint i = 0; i < 5; i++)
    append_traffic_with_body (f, 40 * G_TIME_SPAN_DAY, body);
  recent = append_traffic_with_body (f, G_TIME_SPAN_HOUR, body);

  g_assert_true (wpi_store_traffic_delete_before (store, g_get_real_time () - 30 * G_TIME_SPAN_DAY, 2,
                                                  &more, &error));
  g_assert_no_error (error);
  g_assert_true (more);
  g_assert_cmpint (wpi_store_traffic_count (store, NULL), ==, 4);
  do
    {
      g_assert_true (wpi_store_traffic_delete_before (store, g_get_real_time () - 30 * G_TIME_SPAN_DAY, 2,
                                                      &more, &error));
      g_assert_no_error (error);
      batches++;
    }
  while (more && batches < 10);
  g_assert_false (more);
  wpi_store_traffic_get_bounds (store, &first, &last, &error);
  g_assert_no_error (error);
  g_assert_cmpint (first, ==, recent);
  g_assert_cmpint (last, ==, recent);
  assert_bytes_counted (f);
}

/* ---- Traffic byte budget (issue 10 §3) --------------------------------- */

/* A smaller budget deletes the oldest messages at once, and appends stay within it; the
 * newest message stays. */
static void
test_traffic_budget (Fixture       *f,
                     gconstpointer  data)
{
  WpiStore *store = wpi_service_get_store (f->service);
  g_autoptr(GError) error = NULL;
  const gint64 budget = 1024 * 1024;
  const gsize body_size = 64 * 1024;
  g_autofree char *text = g_strnfill (body_size, 'b');
  g_autoptr(GBytes) body = g_bytes_new_static (text, body_size);
  gint64 first = 0, last = 0;
  guint megabytes = 0;

  g_object_get (f->service, "traffic-max-megabytes", &megabytes, NULL);
  g_assert_cmpuint (megabytes, ==, WPI_SERVICE_TRAFFIC_MAX_MEGABYTES);
  for (guint i = 0; i < 40; i++)
    append_traffic_with_body (f, 0, body);
  g_assert_cmpint (wpi_store_traffic_get_bytes (store, NULL), >, 2 * budget);
  /* a store from before the budget has no running count: it is counted once */
  g_assert_true (wpi_store_setting_set (store, "traffic-raw-bytes", NULL, &error));
  assert_bytes_counted (f);

  g_object_set (f->service, "traffic-max-megabytes", 1, NULL);
  g_assert_cmpint (wpi_store_traffic_get_bytes (store, NULL), <=, budget);
  wpi_store_traffic_get_bounds (store, &first, &last, &error);
  g_assert_no_error (error);
  g_assert_cmpint (last, ==, 40);
  g_assert_cmpint (first, >, 1);
  assert_bytes_counted (f);

  for (guint i = 0; i < 40; i++)
    {
      g_assert_cmpint (append_traffic_with_body (f, 0, body), ==, 41 + i);
      g_assert_cmpint (wpi_store_traffic_get_bytes (store, NULL), <=, budget);
    }
  assert_bytes_counted (f);
}

/* ---- The console's GSettings keys -------------------------------------- */

/* The schema compiled in the build tree, the memory backend (GSETTINGS_BACKEND=memory for
 * the tests) and the bindings of ui/wpc-application.c; the GTK application itself is not
 * needed to see a key reach the property. */
static void
test_gsettings_binding (Fixture       *f,
                        gconstpointer  data)
{
  /* each console key and the service property it is bound to, with a value to set */
  const struct {
    const char *key;
    const char *property;
    guint       value;
  } bindings[] = {
    { "contact-me-initial-backoff", "contact-initial-backoff", 45 },
    { "contact-me-max-backoff", "contact-max-backoff", 600 },
    { "traffic-retention-days", "traffic-retention-days", 7 },
    { "traffic-max-megabytes", "traffic-max-megabytes", 64 },
    { "max-flows", "max-flows", 3 },   /* D21 */
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();
  g_autoptr(GSettings) settings = NULL;
  const char * const ranges[] = { "127.0.0.0/24", "fd00::/64", NULL };
  g_auto(GStrv) allow = NULL;

  source = g_settings_schema_source_new_from_directory (WPC_SCHEMA_DIR, NULL, FALSE, &error);
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (source, WPC_APP_ID, FALSE);
  g_assert_nonnull (schema);
  settings = g_settings_new_full (schema, backend, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (bindings); i++)
    {
      guint value = 0;

      g_test_message ("%s", bindings[i].key);
      g_settings_bind (settings, bindings[i].key, f->service, bindings[i].property, G_SETTINGS_BIND_GET);
      /* the schema's default arrives with the binding */
      g_object_get (f->service, bindings[i].property, &value, NULL);
      g_assert_cmpuint (value, ==, g_settings_get_uint (settings, bindings[i].key));

      g_settings_set_uint (settings, bindings[i].key, bindings[i].value);
      g_object_get (f->service, bindings[i].property, &value, NULL);
      g_assert_cmpuint (value, ==, bindings[i].value);
      g_settings_unbind (f->service, bindings[i].property);
    }

  /* D19: the contact-me ranges, a list */
  g_settings_bind (settings, "contact-me-allow", f->service, "contact-allow", G_SETTINGS_BIND_GET);
  g_object_get (f->service, "contact-allow", &allow, NULL);
  g_assert_true (allow == NULL || allow[0] == NULL);
  g_clear_pointer (&allow, g_strfreev);
  g_settings_set_strv (settings, "contact-me-allow", ranges);
  g_object_get (f->service, "contact-allow", &allow, NULL);
  g_assert_true (g_strv_equal ((const char * const *) allow, ranges));
  g_settings_unbind (f->service, "contact-allow");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/settings/contact-backoff", Fixture, NULL, fixture_set_up, test_contact_backoff,
              fixture_tear_down);
  g_test_add ("/settings/traffic-retention", Fixture, NULL, fixture_set_up, test_traffic_retention,
              fixture_tear_down);
  g_test_add ("/settings/traffic-retention-batches", Fixture, NULL, fixture_set_up,
              test_traffic_retention_batches, fixture_tear_down);
  g_test_add ("/settings/traffic-budget", Fixture, NULL, fixture_set_up, test_traffic_budget,
              fixture_tear_down);
  g_test_add ("/settings/gsettings-binding", Fixture, NULL, fixture_set_up, test_gsettings_binding,
              fixture_tear_down);
  return g_test_run ();
}
