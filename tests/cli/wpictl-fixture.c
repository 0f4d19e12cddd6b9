/* wpictl-fixture.c: running the built wpictl and seeding and reading its store (see
 * wpictl-fixture.h), and the headless service with wpi-sim's phones for the end-to-end
 * tests
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "wpictl-fixture.h"

char *wpictl_path;
char *console_path;
char *sim_path;

void
wpictl_fixture_init (int    *argc,
                     char ***argv)
{
  g_test_init (argc, argv, NULL);

  wpictl_path = g_test_build_filename (G_TEST_BUILT, "..", "app", "wpictl", NULL);
  if (!g_file_test (wpictl_path, G_FILE_TEST_IS_EXECUTABLE))
    g_error ("no wpictl at %s", wpictl_path);
  console_path = g_test_build_filename (G_TEST_BUILT, "..", "app", "workpoint-console", NULL);
  sim_path = g_test_build_filename (G_TEST_BUILT, "..", "app", "wpi-sim", NULL);
}

void
wpictl_fixture_cleanup (void)
{
  g_clear_pointer (&wpictl_path, g_free);
  g_clear_pointer (&console_path, g_free);
  g_clear_pointer (&sim_path, g_free);
}

/* ---- fixture ---- */

void
add_phone (WpiStore   *store,
           const char *mac,
           const char *ip)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (mac);
  g_autoptr(GError) error = NULL;
  WpiPhoneFields fields = WPI_PHONE_FIELD_NONE;

  if (ip != NULL)
    {
      phone->ip = g_strdup (ip);
      phone->contact_me_uri = g_strdup_printf ("http://%s:8085/contact_dls.html/ContactDLS", ip);
      phone->e164 = g_strdup ("4989700141");
      phone->device_type = g_strdup ("OpenStage 60");
      phone->firmware = g_strdup ("V3 R5.12.0");
      phone->state = WPI_PHONE_STATE_IDLE;
      phone->last_contact_us = g_get_real_time () - 90 * G_TIME_SPAN_SECOND;
      fields = WPI_PHONE_FIELD_IP | WPI_PHONE_FIELD_CONTACT_ME_URI | WPI_PHONE_FIELD_E164 |
               WPI_PHONE_FIELD_DEVICE_TYPE | WPI_PHONE_FIELD_FIRMWARE | WPI_PHONE_FIELD_STATE |
               WPI_PHONE_FIELD_LAST_CONTACT;
    }
  g_assert_true (wpi_store_phone_upsert (store, phone, fields, NULL, &error));
  g_assert_no_error (error);
}

void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  WpiStoreItem items[] = {
    { .name = "e164", .value = (char *) "4989700141" },
    { .name = "sip-transport-user", .value = (char *) "2" },
    { .name = "admin-pwd", .value = (char *) SECRET },
    { .name = "function-key-def", .has_index = TRUE, .index = 1, .value = (char *) "31" },
    { .name = "x-vendor-thing", .value = (char *) "abc" },
  };

  fixture->tmp = test_util_make_tmp_dir ("test-wpictl");
  fixture->data_dir = g_build_filename (fixture->tmp, "data", NULL);
  fixture->xdg_data = g_build_filename (fixture->tmp, "xdg", NULL);
  fixture->store = wpi_store_open (fixture->data_dir, &error);
  g_assert_no_error (error);

  add_phone (fixture->store, MAC_A, "127.0.0.1");
  add_phone (fixture->store, MAC_B, NULL);
  g_assert_true (wpi_store_phone_items_replace (fixture->store, MAC_A, items, G_N_ELEMENTS (items),
                                                g_get_real_time (), 0, &error));
  g_assert_no_error (error);
}

void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->store);
  test_util_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
  g_free (fixture->data_dir);
  g_free (fixture->xdg_data);
  g_clear_pointer (&fixture->out, g_free);
  g_clear_pointer (&fixture->err, g_free);
  g_clear_pointer (&fixture->json, json_node_unref);
  g_clear_pointer (&fixture->json_lines, g_ptr_array_unref);
}

/* ---- paths ---- */

/* name in the test's temporary directory */
char *
tmp_path (Fixture    *fixture,
          const char *name)
{
  return g_build_filename (fixture->tmp, name, NULL);
}

/* name in the data directory (the store's) */
char *
data_path (Fixture    *fixture,
           const char *name)
{
  return g_build_filename (fixture->data_dir, name, NULL);
}

/* name with contents in the test's temporary directory; its path */
char *
write_source_file (Fixture    *fixture,
                   const char *name,
                   const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = tmp_path (fixture, name);

  g_assert_true (g_file_set_contents (path, contents, -1, &error));
  g_assert_no_error (error);
  return path;
}

/* ---- running wpictl ---- */

GSubprocessLauncher *
new_launcher (Fixture *fixture)
{
  GSubprocessLauncher *launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);

  /* nothing of the user's: the default data directory is under the test's own dir */
  g_subprocess_launcher_unsetenv (launcher, "WPC_DATA_DIR");
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", fixture->xdg_data, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_setenv (launcher, "TZ", "UTC", TRUE);
  return launcher;
}

/* The strings up to the NULL in ap, NULL-terminated (the array does not own them) */
static GPtrArray *
collect_args (va_list ap)
{
  GPtrArray *args = g_ptr_array_new ();
  const char *arg;

  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  g_ptr_array_add (args, NULL);
  return args;
}

/* argv: wpictl, --data-dir D unless data_dir is NULL, then the NULL-terminated args */
GSubprocess *
spawn_ctlv (Fixture             *fixture,
            GSubprocessLauncher *launcher,
            const char          *data_dir,
            const char * const  *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, wpictl_path);
  if (data_dir != NULL)
    {
      g_ptr_array_add (argv, (char *) "--data-dir");
      g_ptr_array_add (argv, (char *) data_dir);
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

/* wpictl --data-dir DATA ARGS..., left running */
GSubprocess *
spawn_ctl (Fixture            *fixture,
           const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (fixture);

  return spawn_ctlv (fixture, launcher, fixture->data_dir, args);
}

/* Waits for wpictl to exit, keeps its output in fixture->out and fixture->err (replacing
 * the last run's) and returns its exit status. */
int
finish_ctl (Fixture     *fixture,
            GSubprocess *process)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&fixture->out, g_free);
  g_clear_pointer (&fixture->err, g_free);
  g_clear_pointer (&fixture->json, json_node_unref);
  g_clear_pointer (&fixture->json_lines, g_ptr_array_unref);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &fixture->out, &fixture->err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    g_error ("wpictl did not exit normally; stderr: %s", fixture->err);
  if (g_test_verbose ())
    g_printerr ("--- exit %d\n--- stdout\n%s--- stderr\n%s", g_subprocess_get_exit_status (process),
                fixture->out, fixture->err);
  return g_subprocess_get_exit_status (process);
}

static int
run_ctl_valist (Fixture *fixture,
                va_list  ap)
{
  g_autoptr(GPtrArray) args = collect_args (ap);
  g_autoptr(GSubprocess) process = spawn_ctl (fixture, (const char * const *) args->pdata);

  return finish_ctl (fixture, process);
}

/* Runs wpictl --data-dir DATA ARGS... as finish_ctl() ends it. */
int
run_ctl (Fixture *fixture,
         ...)
{
  va_list ap;
  int status;

  va_start (ap, fixture);
  status = run_ctl_valist (fixture, ap);
  va_end (ap);
  return status;
}

/* An error is one line "wpictl: ..." on stderr */
void
assert_error_line (const char *err,
                   const char *expected_part)
{
  g_assert_true (g_str_has_prefix (err, "wpictl: "));
  g_assert_true (g_str_has_suffix (err, "\n"));
  g_assert_true (strchr (err, '\n') == err + strlen (err) - 1);
  if (expected_part != NULL && strstr (err, expected_part) == NULL)
    g_error ("“%s” not in the error “%s”", expected_part, err);
}

/* Runs wpictl --data-dir DATA ARGS... and checks that it ends with status and the one
 * error line that holds expected_part. */
void
assert_ctl_error (Fixture    *fixture,
                  int         status,
                  const char *expected_part,
                  ...)
{
  va_list ap;

  va_start (ap, expected_part);
  g_assert_cmpint (run_ctl_valist (fixture, ap), ==, status);
  va_end (ap);
  assert_error_line (fixture->err, expected_part);
}

void
assert_contains (const char *text,
                 const char *part)
{
  if (strstr (text, part) == NULL)
    g_error ("“%s” not in:\n%s", part, text);
}

static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* The last run's stdout as JSON, parsed once and kept until the next run */
JsonNode *
ctl_json (Fixture *fixture)
{
  if (fixture->json == NULL)
    fixture->json = parse_json (fixture->out);
  return fixture->json;
}

JsonArray *
ctl_json_array (Fixture *fixture)
{
  g_assert_true (JSON_NODE_HOLDS_ARRAY (ctl_json (fixture)));
  return json_node_get_array (ctl_json (fixture));
}

JsonObject *
ctl_json_object (Fixture *fixture)
{
  g_assert_true (JSON_NODE_HOLDS_OBJECT (ctl_json (fixture)));
  return json_node_get_object (ctl_json (fixture));
}

/* Lines of JSON objects */
GPtrArray *
parse_json_lines (const char *text)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0')
      {
        JsonNode *node = parse_json (lines[i]);

        g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
        g_ptr_array_add (nodes, node);
      }
  return nodes;
}

/* The last run's stdout as lines of JSON objects, parsed once and kept until the next run */
GPtrArray *
ctl_json_lines (Fixture *fixture)
{
  if (fixture->json_lines == NULL)
    fixture->json_lines = parse_json_lines (fixture->out);
  return fixture->json_lines;
}

gint64
parse_job_id (const char *out)
{
  guint64 id = 0;
  g_autofree char *first = g_strndup (out, strcspn (out, "\n"));

  g_assert_true (g_ascii_string_to_unsigned (first, 10, 1, G_MAXINT64, &id, NULL));
  return (gint64) id;
}

guint
count_jobs (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = wpi_store_job_list (fixture->store, NULL, &error);

  g_assert_no_error (error);
  return jobs->len;
}


/* Queues a job as the console would; its id */
gint64
enqueue_job (Fixture            *fixture,
             const char         *mac,
             WpiJobKind          kind,
             const WpiStoreItem *items,
             guint               n_items)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  g_assert_true (wpi_store_job_enqueue (fixture->store, mac, kind, NULL, items, n_items, &id, &error));
  g_assert_no_error (error);
  return id;
}

const WpiStoreItem *
job_item (const WpiJobRecord *job,
          guint               position)
{
  g_assert_nonnull (job->items);
  g_assert_cmpuint (position, <, job->items->len);
  return &g_array_index (job->items, WpiStoreItem, position);
}

/* Moves the job on as the service would (reason NULL but for a failure) */
void
set_job_state (Fixture     *fixture,
               gint64       id,
               WpiJobState  state,
               const char  *reason)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_store_job_set_state (fixture->store, id, state, reason, &error));
  g_assert_no_error (error);
}

/* The job whose id wpictl printed: of kind, with the names and values in expected
 * (name, value, ..., NULL) as its items, in order */
void
assert_queued_job (Fixture            *fixture,
                   WpiJobKind          kind,
                   const char * const *expected)
{
  g_autoptr(WpiJobRecord) job = get_job (fixture, parse_job_id (fixture->out));
  guint n = g_strv_length ((char **) expected);

  g_assert_cmpint (job->kind, ==, kind);
  g_assert_cmpuint (n % 2, ==, 0);
  g_assert_cmpuint (job->items->len, ==, n / 2);
  for (guint i = 0; i < n / 2; i++)
    {
      g_assert_cmpstr (job_item (job, i)->name, ==, expected[2 * i]);
      g_assert_cmpstr (job_item (job, i)->value, ==, expected[2 * i + 1]);
    }
}

typedef struct {
  Fixture *fixture;
  gint64   after_id;
  gint64   found;
} NewJob;

static gboolean
check_new_job (gpointer user_data)
{
  NewJob *wait = user_data;
  WpiJobFilter filter = { NULL, 0, 1 };
  g_autoptr(GPtrArray) jobs = wpi_store_job_list (wait->fixture->store, &filter, NULL);

  if (jobs != NULL && jobs->len == 1 && ((WpiJobRecord *) jobs->pdata[0])->id > wait->after_id)
    wait->found = ((WpiJobRecord *) jobs->pdata[0])->id;
  return wait->found != 0;
}

/* The id of the job wpictl queues, once it is newer than after_id. */
gint64
wait_for_new_job (Fixture *fixture,
                  gint64   after_id)
{
  NewJob wait = { fixture, after_id, 0 };

  wait_until (check_new_job, &wait, "wpictl to queue a job");
  return wait.found;
}

/* ---- against the real service and simulated phones ---- */

static char *
read_file_or_empty (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    text = g_strdup ("");
  return text;
}

/* The phones, once all n_phones are in the store; NULL before */
GPtrArray *
poll_phones (PhonesWait *wait)
{
  g_autoptr(GPtrArray) phones = NULL;

  wpi_store_poll_external_change (wait->store);
  phones = wpi_store_phone_list (wait->store, NULL);
  if (phones == NULL || phones->len != wait->n_phones)
    return NULL;
  return g_steal_pointer (&phones);
}

/* every phone registered, read and idle */
static gboolean
check_phones_ready (gpointer user_data)
{
  PhonesWait *wait = user_data;
  g_autoptr(GPtrArray) phones = poll_phones (wait);
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (wait->store, NULL, NULL);

  if (phones == NULL || pending == NULL || pending->len > 0)
    return FALSE;
  for (guint i = 0; i < phones->len; i++)
    {
      const WpiPhoneRecord *phone = g_ptr_array_index (phones, i);
      g_autoptr(GArray) items = wpi_store_phone_items_list (wait->store, phone->mac, NULL);

      if (phone->state != WPI_PHONE_STATE_IDLE || items == NULL || items->len == 0)
        return FALSE;
    }
  return TRUE;
}

/* n free loopback TCP ports in a row, for the simulated phones' contact-me listeners */
static guint
free_port_run (guint n)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  for (guint attempt = 0; attempt < 50; attempt++)
    {
      g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
      g_autoptr(GSocketAddress) bound = NULL;
      GSocket *first = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      gboolean all_free = TRUE;
      guint port;

      g_ptr_array_add (sockets, first);
      g_assert_true (g_socket_bind (first, any, FALSE, NULL));
      bound = g_socket_get_local_address (first, NULL);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      if (port + n - 1 > 65535)
        continue;
      for (guint i = 1; i < n && all_free; i++)
        {
          g_autoptr(GSocketAddress) next = g_inet_socket_address_new (loopback, port + i);
          GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);

          g_ptr_array_add (sockets, socket);
          all_free = g_socket_bind (socket, next, FALSE, NULL);
        }
      if (all_free)
        return port;   /* they close here; the simulator binds them next */
    }
  g_error ("no %u free loopback ports in a row", n);
  return 0;
}

static void
stop_process (GSubprocess *process,
              const char  *name,
              const char  *log_path)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (process, SIGTERM);
  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    {
      g_autofree char *log = read_file_or_empty (log_path);
      g_error ("%s did not stop cleanly; its log:\n%s", name, log);
    }
}

/* Starts the headless service on free loopback ports (XDG_DATA_HOME the fixture's, its
 * log in a file), then wpi-sim with n_phones V3R3 phones that answer contact-mes on
 * their own ports and sim_args (NULL-terminated, or NULL); returns once every phone has
 * registered. */
void
end_to_end_start (EndToEnd           *e2e,
                  Fixture            *fixture,
                  guint               n_phones,
                  const char * const *sim_args)
{
  static const char * const common_sim_args[] = {
    "--firmware-mix", "v3r3", "--restart-seconds", "0.2", "--retry-seconds", "1",
  };
  g_autoptr(GSubprocessLauncher) service_launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocessLauncher) sim_launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  PhonesWait ready = { NULL, n_phones };
  const char *asan = g_getenv ("ASAN_OPTIONS");
  g_autofree char *options = NULL;

  e2e->service_dir = tmp_path (fixture, "service");
  e2e->service_log = tmp_path (fixture, "service.log");
  e2e->sim_log = tmp_path (fixture, "sim.log");

  g_subprocess_launcher_set_stdout_file_path (service_launcher, e2e->service_log);
  g_subprocess_launcher_setenv (service_launcher, "XDG_DATA_HOME", fixture->xdg_data, TRUE);
  e2e->service = g_subprocess_launcher_spawn (service_launcher, &error, console_path, "--headless",
                                              "--data-dir", e2e->service_dir, "--port", "0",
                                              "--secure-port", "0", "--bind", "127.0.0.1",
                                              "--flow-deadline", "60", NULL);
  g_assert_no_error (error);
  e2e->port = test_util_headless_wait_serving (e2e->service_log, 0, NULL, TEST_TIMEOUT_MS);
  e2e->store = wpi_store_open (e2e->service_dir, &error);
  g_assert_no_error (error);

  g_subprocess_launcher_set_stdout_file_path (sim_launcher, e2e->sim_log);
  /* Under AddressSanitizer, LeakSanitizer's tracer crashes at the simulator's exit after
   * TLS flows (signal 11 in the tracer, not in wpi-sim); the simulator is a tool here,
   * its leaks are test-sim's business. */
  options = g_strconcat (asan != NULL && *asan != '\0' ? asan : "", asan != NULL && *asan != '\0' ? ":" : "",
                         "detect_leaks=0", NULL);
  g_subprocess_launcher_setenv (sim_launcher, "ASAN_OPTIONS", options, TRUE);
  g_ptr_array_add (argv, g_strdup (sim_path));
  g_ptr_array_add (argv, g_strdup ("--phones"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", n_phones));
  g_ptr_array_add (argv, g_strdup ("--service"));
  g_ptr_array_add (argv, g_strdup_printf ("https://127.0.0.1:%u", e2e->port));
  if (e2e->bind_prefix != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--bind-prefix"));
      g_ptr_array_add (argv, g_strdup (e2e->bind_prefix));
      g_ptr_array_add (argv, g_strdup ("--await-contact"));
    }
  else
    {
      g_ptr_array_add (argv, g_strdup ("--contact-port-base"));
      g_ptr_array_add (argv, g_strdup_printf ("%u", free_port_run (n_phones)));
    }
  for (guint i = 0; i < G_N_ELEMENTS (common_sim_args); i++)
    g_ptr_array_add (argv, g_strdup (common_sim_args[i]));
  for (guint i = 0; sim_args != NULL && sim_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (sim_args[i]));
  g_ptr_array_add (argv, NULL);
  e2e->sim = g_subprocess_launcher_spawnv (sim_launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);

  ready.store = e2e->store;
  /* phones that await a contact-me register only after a sweep */
  if (e2e->bind_prefix == NULL)
    wait_until (check_phones_ready, &ready, "the phones to register");
}

/* Stops both, each of which must end cleanly */
void
end_to_end_stop (EndToEnd *e2e)
{
  stop_process (e2e->sim, "wpi-sim", e2e->sim_log);
  stop_process (e2e->service, "the service", e2e->service_log);
  g_clear_object (&e2e->sim);
  g_clear_object (&e2e->service);
  g_clear_object (&e2e->store);
  g_free (e2e->service_dir);
  g_free (e2e->service_log);
  g_free (e2e->sim_log);
}
