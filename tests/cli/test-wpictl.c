/* test-wpictl.c: the built wpictl against a temporary data directory
 *
 * Each test seeds a store, runs wpictl as a subprocess and checks its exit status, its
 * output (JSON parsed) and its effect on the store. For --wait the test plays the
 * service's part in the store: it moves the job along as the service would, and
 * wpictl must notice within its polling interval. The fixture is wpictl-fixture.c;
 * the commands run against the service are in test-wpictl-service.c.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include "wpictl-fixture.h"

/* ---- usage ---- */

static void
test_usage_errors (Fixture       *fixture,
                   gconstpointer  data)
{
  assert_ctl_error (fixture, 1, "No command", NULL);
  assert_ctl_error (fixture, 1, "Unknown command “frobnicate”", "frobnicate", NULL);
  assert_ctl_error (fixture, 1, "Unknown profile command", "profile", "frob", NULL);
  assert_ctl_error (fixture, 1, "Usage: wpictl read MAC ITEM", "read", MAC_A, NULL);
  assert_ctl_error (fixture, 1, "Usage: wpictl phones", "phones", "extra", NULL);
  assert_ctl_error (fixture, 1, "--frob", "phones", "--frob", NULL);

  /* an option of another command */
  assert_ctl_error (fixture, 1, "--wait", "phones", "--wait", NULL);
  assert_ctl_error (fixture, 1, "--wait takes a number of seconds", "read-all", MAC_A, "--wait=soon", NULL);
  g_assert_cmpuint (count_jobs (fixture), ==, 0);

  g_assert_cmpint (run_ctl (fixture, "--version", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (fixture->out, "wpictl " WPC_VERSION));

  g_assert_cmpint (run_ctl (fixture, "--help", NULL), ==, 0);
  assert_contains (fixture->out, "deploy-software MAC FILE --version VERSION");
  assert_contains (fixture->out, "Exit status");
}

/* ---- data directory ---- */

static void
test_data_dir (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *empty = tmp_path (fixture, "empty");
  g_autofree char *empty_db = g_build_filename (empty, WPI_STORE_DB_NAME, NULL);
  g_autofree char *xdg_dir = g_build_filename (fixture->xdg_data, "workpoint-console", NULL);
  g_autoptr(WpiStore) xdg_store = NULL;
  const char *phones[] = { "phones", NULL };
  const char *phones_after[] = { "phones", "--data-dir", fixture->data_dir, NULL };

  /* no store there: an error, and none is created */
  assert_ctl_error (fixture, 2, "No store in", "--data-dir", empty, "phones", NULL);
  g_assert_false (g_file_test (empty_db, G_FILE_TEST_EXISTS));

  /* the default: XDG_DATA_HOME/workpoint-console */
  xdg_store = wpi_store_open (xdg_dir, &error);
  g_assert_no_error (error);
  add_phone (xdg_store, MAC_NONE, "127.0.0.9");
  {
    g_autoptr(GSubprocessLauncher) launcher = new_launcher (fixture);
    g_autoptr(GSubprocess) process = spawn_ctlv (fixture, launcher, NULL, phones);

    g_assert_cmpint (finish_ctl (fixture, process), ==, 0);
    assert_contains (fixture->out, MAC_NONE);
    g_assert_null (strstr (fixture->out, MAC_A));
  }

  /* WPC_DATA_DIR beats the default */
  {
    g_autoptr(GSubprocessLauncher) launcher = new_launcher (fixture);
    g_autoptr(GSubprocess) process = NULL;

    g_subprocess_launcher_setenv (launcher, "WPC_DATA_DIR", fixture->data_dir, TRUE);
    process = spawn_ctlv (fixture, launcher, NULL, phones);
    g_assert_cmpint (finish_ctl (fixture, process), ==, 0);
    assert_contains (fixture->out, MAC_A);
    g_assert_null (strstr (fixture->out, MAC_NONE));
  }

  /* --data-dir beats WPC_DATA_DIR, before or after the command */
  {
    g_autoptr(GSubprocessLauncher) launcher = new_launcher (fixture);
    g_autoptr(GSubprocess) process = NULL;

    g_subprocess_launcher_setenv (launcher, "WPC_DATA_DIR", empty, TRUE);
    process = spawn_ctlv (fixture, launcher, NULL, phones_after);
    g_assert_cmpint (finish_ctl (fixture, process), ==, 0);
    assert_contains (fixture->out, MAC_A);
  }
  {
    g_autoptr(GSubprocessLauncher) launcher = new_launcher (fixture);
    g_autoptr(GSubprocess) process = NULL;

    g_subprocess_launcher_setenv (launcher, "WPC_DATA_DIR", empty, TRUE);
    process = spawn_ctlv (fixture, launcher, fixture->data_dir, phones);
    g_assert_cmpint (finish_ctl (fixture, process), ==, 0);
    assert_contains (fixture->out, MAC_A);
  }
}

/* ---- phones and show ---- */

static void
test_phones (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  JsonObject *a, *b;
  gint64 job_id;

  enqueue_job (fixture, MAC_A, WPI_JOB_KIND_RESTART, NULL, 0);
  job_id = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_READ_ALL, NULL, 0);
  g_assert_true (wpi_store_job_cancel (fixture->store, job_id, &error));

  g_assert_cmpint (run_ctl (fixture, "phones", NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  g_assert_true (g_str_has_prefix (fixture->out, "MAC "));
  test_util_assert_contains_all (fixture->out, "LAST CONTACT", MAC_A, MAC_B, "OpenStage 60", "V3 R5.12.0",
                                 "1 min ago", "never", NULL);

  g_assert_cmpint (run_ctl (fixture, "phones", "--json", NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  a = json_array_get_object_element (array, 0);
  b = json_array_get_object_element (array, 1);
  g_assert_cmpstr (json_object_get_string_member (a, "mac"), ==, MAC_A);
  g_assert_cmpstr (json_object_get_string_member (a, "e164"), ==, "4989700141");
  g_assert_cmpstr (json_object_get_string_member (a, "model"), ==, "OpenStage 60");
  g_assert_cmpstr (json_object_get_string_member (a, "firmware"), ==, "V3 R5.12.0");
  g_assert_cmpstr (json_object_get_string_member (a, "ip"), ==, "127.0.0.1");
  g_assert_cmpstr (json_object_get_string_member (a, "mode"), ==, "default");
  g_assert_cmpstr (json_object_get_string_member (a, "state"), ==, "idle");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (a, "last_contact"), "Z"));
  g_assert_cmpint (json_object_get_int_member (a, "pending_jobs"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (b, "mac"), ==, MAC_B);
  g_assert_true (json_object_get_null_member (b, "e164"));
  g_assert_true (json_object_get_null_member (b, "last_contact"));
  g_assert_cmpstr (json_object_get_string_member (b, "state"), ==, "unknown");
  g_assert_cmpint (json_object_get_int_member (b, "pending_jobs"), ==, 0);
}

static void
test_show (Fixture       *fixture,
           gconstpointer  data)
{
  JsonObject *phone;
  JsonArray *items, *jobs, *events;
  gint64 job_id;
  gboolean saw_secret = FALSE, saw_enum = FALSE, saw_unknown = FALSE;

  job_id = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_RESTART, NULL, 0);
  /* a user's logon at the phone (mobility) */
  g_assert_true (wpi_store_phone_event_add (fixture->store, MAC_A, g_get_real_time (), "logon", "4989700200",
                                            "requested-items: userdata-call-log", NULL));

  /* any MAC form */
  g_assert_cmpint (run_ctl (fixture, "show", "00-1a-e8-12-34-56", NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  g_assert_true (g_str_has_prefix (fixture->out, "Phone " MAC_A "\n"));
  assert_contains (fixture->out, "Identity and Inventory");
  assert_contains (fixture->out, "Security and Passwords");
  assert_contains (fixture->out, "Call Features and Other");   /* the unknown item's category */
  test_util_assert_contains_all (fixture->out, "Keys and Lines", "function-key-def[1]", "31 (line)",
                                 "2 (TLS)", "<masked>", NULL);
  g_assert_null (strstr (fixture->out, SECRET));
  assert_contains (fixture->out, "restart");
  assert_contains (fixture->out, "\nEvents\n");
  assert_contains (fixture->out, "logon  4989700200  requested-items: userdata-call-log");
  /* the category comes before its items */
  g_assert_true (strstr (fixture->out, "SIP\n") < strstr (fixture->out, "sip-transport-user"));

  g_assert_cmpint (run_ctl (fixture, "show", "001ae8123456", "--show-secrets", NULL), ==, 0);
  assert_contains (fixture->out, SECRET);

  g_assert_cmpint (run_ctl (fixture, "show", MAC_A, "--json", NULL), ==, 0);
  phone = ctl_json_object (fixture);
  g_assert_cmpstr (json_object_get_string_member (phone, "mac"), ==, MAC_A);
  g_assert_cmpstr (json_object_get_string_member (phone, "contact_me_uri"), ==,
                   "http://127.0.0.1:8085/contact_dls.html/ContactDLS");
  g_assert_cmpint (json_object_get_int_member (phone, "pending_jobs"), ==, 1);
  items = json_object_get_array_member (phone, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 5);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      const char *name = json_object_get_string_member (item, "name");

      if (strcmp (name, "admin-pwd") == 0)
        {
          saw_secret = TRUE;
          g_assert_cmpstr (json_object_get_string_member (item, "value"), ==, "<masked>");
          g_assert_true (json_object_get_boolean_member (item, "secret"));
          g_assert_cmpstr (json_object_get_string_member (item, "category"), ==, "security");
        }
      else if (strcmp (name, "sip-transport-user") == 0)
        {
          saw_enum = TRUE;
          g_assert_cmpstr (json_object_get_string_member (item, "value"), ==, "2");
          g_assert_cmpstr (json_object_get_string_member (item, "meaning"), ==, "TLS");
          g_assert_true (json_object_get_null_member (item, "index"));
        }
      else if (strcmp (name, "x-vendor-thing") == 0)
        {
          saw_unknown = TRUE;
          g_assert_cmpstr (json_object_get_string_member (item, "category"), ==, "other");
          g_assert_true (json_object_get_null_member (item, "meaning"));
        }
      else if (strcmp (name, "function-key-def") == 0)
        g_assert_cmpint (json_object_get_int_member (item, "index"), ==, 1);
      g_assert_true (g_str_has_suffix (json_object_get_string_member (item, "updated"), "Z"));
    }
  g_assert_true (saw_secret && saw_enum && saw_unknown);
  jobs = json_object_get_array_member (phone, "jobs");
  g_assert_cmpuint (json_array_get_length (jobs), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (jobs, 0), "id"), ==, job_id);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (jobs, 0), "kind"), ==, "restart");
  events = json_object_get_array_member (phone, "events");
  g_assert_cmpuint (json_array_get_length (events), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (events, 0), "user"), ==, "4989700200");

  /* a phone without values */
  g_assert_cmpint (run_ctl (fixture, "show", MAC_B, NULL), ==, 0);
  assert_contains (fixture->out, "No item values stored yet");

  assert_ctl_error (fixture, 2, "No phone with MAC " MAC_NONE, "show", MAC_NONE, NULL);

  assert_ctl_error (fixture, 2, "“00:1A:E8:12:34” is not a MAC address", "show", "00:1A:E8:12:34", NULL);
}

/* ---- job commands ---- */

/* location: set, cleared, joined from several words, shown by show; refusals change nothing */
static void
test_location (Fixture       *fixture,
               gconstpointer  data)
{
  const struct {
    int         status;
    const char *output;     /* on stdout, or on stderr when status is not 0 */
    const char *stored;     /* MAC_B's location afterwards */
    const char *args[6];
  } cases[] = {
    { 0, MAC_B ": Room 2.14, 3rd floor", "Room 2.14, 3rd floor", { "location", MAC_B, "Room 2.14, 3rd floor" } },
    { 0, MAC_B ": no location", NULL, { "location", MAC_B, "" } },
    { 0, MAC_B ": Sales desk 4", "Sales desk 4", { "location", "00-1a-e8-ab-cd-ef", "Sales", " desk", "4 " } },
    { 2, "No phone with MAC " MAC_NONE, "Sales desk 4", { "location", MAC_NONE, "Hall" } },
    { 2, "not a MAC address", "Sales desk 4", { "location", "phone-1", "Hall" } },
    { 1, "Usage: wpictl location", "Sales desk 4", { "location", MAC_B } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = new_launcher (fixture);
      g_autoptr(GSubprocess) process = spawn_ctlv (fixture, launcher, fixture->data_dir, cases[i].args);
      g_autoptr(WpiPhoneRecord) phone = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("case %u: %s", i, cases[i].output);
      g_assert_cmpint (finish_ctl (fixture, process), ==, cases[i].status);
      if (cases[i].status == 0)
        {
          g_assert_cmpstr (fixture->err, ==, "");
          assert_contains (fixture->out, cases[i].output);
        }
      else
        {
          assert_error_line (fixture->err, cases[i].output);
        }
      phone = wpi_store_phone_get (fixture->store, MAC_B, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (phone->location, ==, cases[i].stored);
    }

  /* show tells it */
  g_assert_cmpint (run_ctl (fixture, "show", MAC_B, NULL), ==, 0);
  assert_contains (fixture->out, "Sales desk 4");
}

static void
test_read (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(WpiJobRecord) job = NULL;
  GPtrArray *lines;
  JsonObject *object;

  g_assert_cmpint (run_ctl (fixture, "read", "00:1a:e8:12:34:56", "e164", "function-key-def[3]",
                            "x-vendor-thing", NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpstr (job->mac, ==, MAC_A);
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_READ_ITEMS);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_QUEUED);
  g_assert_cmpuint (job->items->len, ==, 3);
  g_assert_cmpstr (job_item (job, 0)->name, ==, "e164");
  g_assert_false (job_item (job, 0)->has_index);
  g_assert_null (job_item (job, 0)->value);
  g_assert_cmpstr (job_item (job, 1)->name, ==, "function-key-def");
  g_assert_true (job_item (job, 1)->has_index);
  g_assert_cmpint (job_item (job, 1)->index, ==, 3);
  g_assert_cmpstr (job_item (job, 2)->name, ==, "x-vendor-thing");

  /* --json: the queued job */
  g_assert_cmpint (run_ctl (fixture, "read", MAC_A, "e164", "--json", NULL), ==, 0);
  lines = ctl_json_lines (fixture);
  g_assert_cmpuint (lines->len, ==, 1);
  object = json_node_get_object (lines->pdata[0]);
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "read-items");
  g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "queued");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "items")), ==, 1);
  g_assert_cmpuint (count_jobs (fixture), ==, 2);

  /* refused before anything is queued */
  assert_ctl_error (fixture, 2, "did you mean “e164”", "read", MAC_A, "E164", NULL);
  assert_ctl_error (fixture, 2, "takes no index", "read", MAC_A, "e164[1]", NULL);
  assert_ctl_error (fixture, 2, "outside", "read", MAC_A, "function-key-def[99999]", NULL);
  assert_ctl_error (fixture, 2, "not an item name", "read", MAC_A, "e164[x]", NULL);
  assert_ctl_error (fixture, 2, "appears twice", "read", MAC_A, "e164", "e164", NULL);
  assert_ctl_error (fixture, 2, "No phone", "read", MAC_NONE, "e164", NULL);
  assert_ctl_error (fixture, 2, "not a MAC address", "read", "phone-1", "e164", NULL);
  g_assert_cmpuint (count_jobs (fixture), ==, 2);
}

static void
test_write (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(WpiJobRecord) job = NULL;

  g_assert_cmpint (run_ctl (fixture, "write", MAC_A, "sip-transport-user=1",
                            "function-key-def[2]=31", "display-id=Reception = Desk", "x-vendor-thing=",
                            NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_WRITE_ITEMS);
  g_assert_cmpuint (job->items->len, ==, 4);
  g_assert_cmpstr (job_item (job, 0)->value, ==, "1");
  g_assert_cmpint (job_item (job, 1)->index, ==, 2);
  g_assert_cmpstr (job_item (job, 1)->value, ==, "31");
  g_assert_cmpstr (job_item (job, 2)->value, ==, "Reception = Desk");
  g_assert_cmpstr (job_item (job, 3)->value, ==, "");

  /* each refused with the catalogue's message, nothing queued */
  assert_ctl_error (fixture, 2, "sip-transport-user", "write", MAC_A, "sip-transport-user=7", NULL);
  assert_ctl_error (fixture, 2, "software-version", "write", MAC_A, "software-version=V3 R1.0.0", NULL);
  assert_ctl_error (fixture, 2, "function-key-def", "write", MAC_A, "function-key-def=31", NULL);
  assert_ctl_error (fixture, 2, "auto-answer", "write", MAC_A, "auto-answer=maybe", NULL);
  assert_ctl_error (fixture, 2, "is not NAME=VALUE", "write", MAC_A, "auto-answer", NULL);
  assert_ctl_error (fixture, 2, "did you mean “auto-answer”", "write", MAC_A, "Auto-Answer=true", NULL);
  /* a secret value is not repeated in the message */
  assert_ctl_error (fixture, 2, "admin-pwd", "write", MAC_A, "admin-pwd=" SECRET "\001", NULL);
  g_assert_null (strstr (fixture->err, SECRET));
  assert_ctl_error (fixture, 2, "not an item name", "write", MAC_B, "=1", NULL);
  g_assert_cmpuint (count_jobs (fixture), ==, 1);
}

static void
test_simple_jobs (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(WpiJobRecord) job = NULL;

  g_assert_cmpint (run_ctl (fixture, "read-all", MAC_B, NULL), ==, 0);
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_READ_ALL);
  g_assert_cmpstr (job->mac, ==, MAC_B);
  g_clear_pointer (&job, wpi_job_record_free);

  g_assert_cmpint (run_ctl (fixture, "restart", MAC_A, NULL), ==, 0);
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_RESTART);
  g_clear_pointer (&job, wpi_job_record_free);

  /* D15: not without a confirmation */
  assert_ctl_error (fixture, 1, "--yes", "factory-reset", MAC_A, NULL);
  g_assert_cmpstr (fixture->out, ==, "");
  g_assert_cmpuint (count_jobs (fixture), ==, 2);

  g_assert_cmpint (run_ctl (fixture, "factory-reset", MAC_A, "--yes", NULL), ==, 0);
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_FACTORY_RESET);
  g_clear_pointer (&job, wpi_job_record_free);

  assert_ctl_error (fixture, 2, "No phone", "restart", MAC_NONE, NULL);
  assert_ctl_error (fixture, 2, "not a MAC address", "read-all", "xyz", NULL);
  g_assert_cmpuint (count_jobs (fixture), ==, 3);
}

static void
test_contact (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  WpiStoreItem read[] = { { .name = "e164" } };
  gint64 waiting_id, running_id, id;
  g_auto(GStrv) ids = NULL;

  /* no pending job: a read-all makes the phone call */
  g_assert_cmpint (run_ctl (fixture, "contact", MAC_A, NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  id = parse_job_id (fixture->out);
  job = get_job (fixture, id);
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_READ_ALL);
  g_assert_true (wpi_store_job_cancel (fixture->store, id, &error));
  g_clear_pointer (&job, wpi_job_record_free);

  /* pending jobs waiting for a later attempt are brought forward, attempts unchanged;
   * one in progress is left alone */
  waiting_id = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_READ_ITEMS, read, 1);
  set_job_state (fixture, waiting_id, WPI_JOB_STATE_CONTACTING, NULL);
  g_assert_true (wpi_store_job_record_attempt (fixture->store, waiting_id,
                                               g_get_real_time () + 10 * G_TIME_SPAN_MINUTE, &error));
  running_id = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_RESTART, NULL, 0);
  set_job_state (fixture, running_id, WPI_JOB_STATE_IN_PROGRESS, NULL);
  g_assert_true (wpi_store_job_record_attempt (fixture->store, running_id, 12345, &error));
  g_assert_no_error (error);

  g_assert_cmpint (run_ctl (fixture, "contact", MAC_A, NULL), ==, 0);
  ids = g_strsplit (fixture->out, "\n", -1);
  g_assert_cmpuint (g_strv_length (ids), ==, 3);
  g_assert_cmpint (g_ascii_strtoll (ids[0], NULL, 10), ==, waiting_id);
  g_assert_cmpint (g_ascii_strtoll (ids[1], NULL, 10), ==, running_id);
  job = get_job (fixture, waiting_id);
  g_assert_cmpint (job->next_attempt_us, ==, 0);
  g_assert_cmpuint (job->attempts, ==, 1);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_CONTACTING);
  g_clear_pointer (&job, wpi_job_record_free);
  job = get_job (fixture, running_id);
  g_assert_cmpint (job->next_attempt_us, ==, 12345);
  g_clear_pointer (&job, wpi_job_record_free);
  g_assert_cmpuint (count_jobs (fixture), ==, 3);

  /* nowhere to send a contact-me */
  assert_ctl_error (fixture, 2, "knows no address", "contact", MAC_B, NULL);
  g_assert_cmpuint (count_jobs (fixture), ==, 3);
  assert_ctl_error (fixture, 2, "No phone", "contact", MAC_NONE, NULL);
}

/* ---- deployment ---- */

static void
assert_deployed (Fixture    *fixture,
                 const char *name,
                 const char *contents)
{
  g_autofree char *files_dir = data_path (fixture, "files");
  g_autofree char *path = g_build_filename (files_dir, name, NULL);
  g_autofree char *copied = NULL;
  GStatBuf st;

  g_assert_true (g_file_get_contents (path, &copied, NULL, NULL));
  g_assert_cmpstr (copied, ==, contents);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (files_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static guint
count_files (Fixture *fixture)
{
  g_autofree char *files_dir = data_path (fixture, "files");
  GDir *dir = g_dir_open (files_dir, 0, NULL);
  guint n = 0;

  if (dir == NULL)
    return 0;
  while (g_dir_read_name (dir) != NULL)
    n++;
  g_dir_close (dir);
  return n;
}

/* Records where the service listens (port NULL: as it is), as the running service
 * does in its store */
static void
set_service_address (Fixture    *fixture,
                     const char *address,
                     const char *port)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_store_setting_set (fixture->store, "service-address", address, &error));
  if (port != NULL)
    g_assert_true (wpi_store_setting_set (fixture->store, "service-port", port, &error));
  g_assert_no_error (error);
}

/* The console's own files are never copied where /files/ serves them to anyone
 * (issue 10 §6): not the CA's key under pki/, not the store, not through a link. */
static void
assert_secrets_not_deployed (Fixture *fixture)
{
  g_autofree char *pki_dir = g_build_filename (fixture->data_dir, "pki", NULL);
  g_autofree char *ca = g_build_filename (pki_dir, "ca.pem", NULL);
  g_autofree char *db = g_build_filename (fixture->data_dir, WPI_STORE_DB_NAME, NULL);
  g_autofree char *link = g_build_filename (fixture->tmp, "innocent.png", NULL);
  const char *secrets[] = { ca, db, link };
  guint n_files = count_files (fixture);

  g_assert_cmpint (g_mkdir_with_parents (pki_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (ca, "-----BEGIN PRIVATE KEY-----", -1, NULL));
  g_assert_cmpint (symlink (ca, link), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (secrets); i++)
    {
      g_test_message ("deploy-file %s", secrets[i]);
      g_assert_cmpint (run_ctl (fixture, "deploy-file", MAC_A, secrets[i], "--type", "LOGO",
                                "--name", "secret.png", "--url-base", "https://127.0.0.1:1", NULL), ==, 2);
      assert_error_line (fixture->err, "never served");
    }
  g_assert_cmpuint (count_files (fixture), ==, n_files);
}

static void
test_deploy_file (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(WpiJobRecord) job = NULL;
  g_autofree char *ring = write_source_file (fixture, "ring.wav", "RIFF ring tone");
  g_autofree char *spaced = write_source_file (fixture, "my ring.wav", "RIFF other");
  g_autofree char *missing = tmp_path (fixture, "missing.wav");

  /* the service has not recorded where it listens */
  assert_ctl_error (fixture, 2, "--url-base", "deploy-file", MAC_A, ring, "--type", "RINGTONE", NULL);
  g_assert_cmpuint (count_files (fixture), ==, 0);

  set_service_address (fixture, "127.0.0.1", "18443");

  g_assert_cmpint (run_ctl (fixture, "deploy-file", MAC_A, ring, "--type", "RINGTONE", NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  assert_queued_job (fixture, WPI_JOB_KIND_FILE_DEPLOYMENT, (const char *[]) {
    "file-https-base-url", "https://127.0.0.1:18443/files/ring.wav",
    "file-type", "RINGTONE",
    "file-name", "ring.wav",
    NULL });
  assert_deployed (fixture, "ring.wav", "RIFF ring tone");
  g_assert_cmpuint (count_files (fixture), ==, 1);   /* no temporary file left */

  /* another name, an IPv6 address, --url-base */
  set_service_address (fixture, "::1", NULL);
  g_assert_cmpint (run_ctl (fixture, "deploy-file", MAC_A, spaced, "--type", "LOGO",
                            "--name", "logo+1.png", NULL), ==, 0);
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpstr (job_item (job, 0)->value, ==, "https://[::1]:18443/files/logo+1.png");
  g_assert_cmpstr (job_item (job, 2)->value, ==, "logo+1.png");
  assert_deployed (fixture, "logo+1.png", "RIFF other");
  g_clear_pointer (&job, wpi_job_record_free);

  g_assert_cmpint (run_ctl (fixture, "deploy-file", MAC_A, ring, "--type", "MOH",
                            "--url-base", "https://pbx.example.net:8443/", NULL), ==, 0);
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpstr (job_item (job, 0)->value, ==, "https://pbx.example.net:8443/files/ring.wav");
  g_clear_pointer (&job, wpi_job_record_free);
  g_assert_cmpuint (count_jobs (fixture), ==, 3);

  /* refusals: nothing queued, nothing copied */
  assert_ctl_error (fixture, 1, "needs --type", "deploy-file", MAC_A, ring, NULL);
  assert_ctl_error (fixture, 2, "file-type", "deploy-file", MAC_A, ring, "--type", "MP3", "--name", "x.wav",
                    NULL);
  assert_ctl_error (fixture, 2, "--name", "deploy-file", MAC_A, spaced, "--type", "LOGO", NULL);
  assert_ctl_error (fixture, 2, "missing.wav", "deploy-file", MAC_A, missing, "--type", "LOGO", NULL);
  assert_ctl_error (fixture, 2, NULL, "deploy-file", MAC_A, fixture->tmp, "--type", "LOGO", "--name",
                    "dir.png", NULL);
  assert_ctl_error (fixture, 2, "file-https-base-url", "deploy-file", MAC_A, ring, "--type", "LOGO",
                    "--url-base", "not a url", "--name", "u.png", NULL);
  assert_ctl_error (fixture, 2, "No phone", "deploy-file", MAC_NONE, ring, "--type", "LOGO", "--name",
                    "n.png", NULL);
  g_assert_cmpuint (count_jobs (fixture), ==, 3);
  g_assert_cmpuint (count_files (fixture), ==, 2);
  assert_secrets_not_deployed (fixture);
}

static void
test_deploy_software (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(WpiJobRecord) job = NULL;
  g_autofree char *image = write_source_file (fixture, "OS_80_SIP_V3_R5_12_0.img", "firmware image");

  set_service_address (fixture, "192.0.2.1", "18443");

  g_assert_cmpint (run_ctl (fixture, "deploy-software", MAC_A, image, "--version", "3.5.12.0",
                            NULL), ==, 0);
  assert_queued_job (fixture, WPI_JOB_KIND_SOFTWARE_DEPLOYMENT, (const char *[]) {
    "file-https-base-url", "https://192.0.2.1:18443/files/OS_80_SIP_V3_R5_12_0.img",
    "file-sw-type", "Siemens SIP",
    "file-sw-version", "3.5.12.0",
    "file-priority", "normal",
    "file-type", "APP",
    "file-name", "OS_80_SIP_V3_R5_12_0.img",
    NULL });
  assert_deployed (fixture, "OS_80_SIP_V3_R5_12_0.img", "firmware image");

  g_assert_cmpint (run_ctl (fixture, "deploy-software", MAC_A, image, "--version", "3.5.12.0",
                            "--immediate", NULL), ==, 0);
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpstr (job_item (job, 3)->value, ==, "immediate");

  assert_ctl_error (fixture, 1, "needs --version", "deploy-software", MAC_A, image, NULL);
  assert_ctl_error (fixture, 2, "file-sw-version", "deploy-software", MAC_A, image, "--version", "new", NULL);
  g_assert_cmpuint (count_jobs (fixture), ==, 2);
}

/* ---- jobs, job, cancel ---- */

static void
test_jobs (Fixture       *fixture,
           gconstpointer  data)
{
  JsonArray *array;
  WpiStoreItem write[] = { { .name = "admin-pwd", .value = (char *) SECRET } };
  gint64 a1, a2, b1;

  a1 = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_WRITE_ITEMS, write, 1);
  a2 = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_RESTART, NULL, 0);
  b1 = enqueue_job (fixture, MAC_B, WPI_JOB_KIND_READ_ALL, NULL, 0);
  set_job_state (fixture, a2, WPI_JOB_STATE_FAILED, "phone unreachable");

  g_assert_cmpint (run_ctl (fixture, "jobs", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (fixture->out, "ID "));
  test_util_assert_contains_all (fixture->out, "write-items", "phone unreachable", MAC_B, NULL);

  g_assert_cmpint (run_ctl (fixture, "jobs", "--json", NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 0), "id"), ==, a1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 1), "state"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 1), "failure_reason"), ==,
                   "phone unreachable");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 2), "mac"), ==, MAC_B);

  g_assert_cmpint (run_ctl (fixture, "jobs", "--json", "--phone", "001AE8123456", "--state", "pending",
                            NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 0), "id"), ==, a1);

  g_assert_cmpint (run_ctl (fixture, "jobs", "--json", "--state", "failed", NULL), ==, 0);
  g_assert_cmpuint (json_array_get_length (ctl_json_array (fixture)), ==, 1);

  g_assert_cmpint (run_ctl (fixture, "jobs", "--json", "--limit", "2", NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (array, 1), "id"), ==, b1);

  assert_ctl_error (fixture, 2, "not a job state", "jobs", "--state", "sleeping", NULL);
  assert_ctl_error (fixture, 2, "No phone", "jobs", "--phone", MAC_NONE, NULL);
  assert_ctl_error (fixture, 2, "not a MAC address", "jobs", "--phone", "nope", NULL);

  /* one job, secrets masked unless asked */
  {
    g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, a1);
    JsonObject *job, *item;

    g_assert_cmpint (run_ctl (fixture, "job", id, NULL), ==, 0);
    assert_contains (fixture->out, "write-items for " MAC_A ": queued");
    assert_contains (fixture->out, "admin-pwd = <masked>: pending");
    g_assert_null (strstr (fixture->out, SECRET));

    g_assert_cmpint (run_ctl (fixture, "job", id, "--json", "--show-secrets", NULL), ==, 0);
    job = ctl_json_object (fixture);
    g_assert_cmpint (json_object_get_int_member (job, "id"), ==, a1);
    item = json_array_get_object_element (json_object_get_array_member (job, "items"), 0);
    g_assert_cmpstr (json_object_get_string_member (item, "value"), ==, SECRET);
    g_assert_true (json_object_get_null_member (item, "status"));
  }
  assert_ctl_error (fixture, 2, "No job 999", "job", "999", NULL);
  assert_ctl_error (fixture, 2, "not a job number", "job", "0", NULL);
}

static void
test_cancel (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *id_text = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  gint64 id;

  id = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_RESTART, NULL, 0);
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);

  g_assert_cmpint (run_ctl (fixture, "cancel", id_text, NULL), ==, 0);
  assert_contains (fixture->out, "cancelled");
  job = get_job (fixture, id);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_CANCELLED);

  assert_ctl_error (fixture, 2, "already cancelled", "cancel", id_text, NULL);
  assert_ctl_error (fixture, 2, "No job 4242", "cancel", "4242", NULL);
  assert_ctl_error (fixture, 2, "not a job number", "cancel", "last", NULL);
}

/* ---- profiles ---- */

static void
test_profiles (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;
  g_autoptr(WpiProfileRecord) default_profile = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  JsonArray *array;

  g_assert_cmpint (run_ctl (fixture, "profile", "set", "office", "display-id={e164}",
                            "sip-transport-user=2", "admin-pwd=" SECRET, NULL), ==, 0);
  assert_contains (fixture->out, "profile office: 3 items");
  profile = wpi_store_profile_get (fixture->store, "office", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (profile->items->len, ==, 3);
  g_assert_cmpstr (g_array_index (profile->items, WpiStoreItem, 0).value, ==, "{e164}");

  /* placeholders are checked as an example phone's values: {mac} is no integer */
  assert_ctl_error (fixture, 2, "placeholders", "profile", "set", "bad", "sip-transport-user={mac}", NULL);
  assert_ctl_error (fixture, 2, "mac-addr", "profile", "set", "bad", "mac-addr=00:1A:E8:00:00:01", NULL);
  g_assert_null (wpi_store_profile_get (fixture->store, "bad", NULL));

  g_assert_cmpint (run_ctl (fixture, "profile", "default", "office", NULL), ==, 0);
  default_profile = wpi_store_profile_get_default (fixture->store, &error);
  g_assert_nonnull (default_profile);
  g_assert_cmpstr (default_profile->name, ==, "office");

  assert_ctl_error (fixture, 2, "No profile named “nowhere”", "profile", "default", "nowhere", NULL);
  assert_ctl_error (fixture, 1, "--none", "profile", "default", NULL);

  g_assert_cmpint (run_ctl (fixture, "profile", "list", NULL), ==, 0);
  assert_contains (fixture->out, "office");
  assert_contains (fixture->out, "yes");

  g_assert_cmpint (run_ctl (fixture, "profile", "list", "--json", NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_true (json_object_get_boolean_member (json_array_get_object_element (array, 0), "default"));
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (
                       json_object_get_array_member (json_array_get_object_element (array, 0), "items"), 2),
                     "value"), ==, "<masked>");

  g_assert_cmpint (run_ctl (fixture, "profile", "show", "office", NULL), ==, 0);
  assert_contains (fixture->out, "Profile office (default)");
  assert_contains (fixture->out, "{e164}");
  g_assert_null (strstr (fixture->out, SECRET));

  g_assert_cmpint (run_ctl (fixture, "profile", "default", "--none", NULL), ==, 0);
  g_clear_pointer (&default_profile, wpi_profile_record_free);
  default_profile = wpi_store_profile_get_default (fixture->store, &error);
  g_assert_no_error (error);
  g_assert_null (default_profile);

  g_assert_cmpint (run_ctl (fixture, "profile", "apply", "office", MAC_A, NULL), ==, 0);
  job = get_job (fixture, parse_job_id (fixture->out));
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_APPLY_PROFILE);
  g_assert_cmpstr (job->parameter, ==, "office");
  assert_ctl_error (fixture, 2, "No profile", "profile", "apply", "nowhere", MAC_A, NULL);
  assert_ctl_error (fixture, 2, "No profile", "profile", "show", "nowhere", NULL);
}

/* ---- phone lists (D24) ---- */

static guint
count_phones (WpiStore *store)
{
  g_autoptr(GPtrArray) phones = wpi_store_phone_list (store, NULL);

  return phones != NULL ? phones->len : 0;
}

/* import: every problem with its line and column and nothing stored; a dry run that
 * stores nothing; an import that changes the phones; the same file again changing
 * nothing; an export without the secrets that imports back unchanged */
static void
test_import_export (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *bad = tmp_path (fixture, "bad.csv");
  g_autofree char *good = tmp_path (fixture, "good.csv");
  g_autofree char *exported = tmp_path (fixture, "export.csv");
  g_autofree char *export_text = NULL;
  g_autoptr(WpiPhoneRecord) expected = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (bad, "mac,sip-transport-user\n" MAC_A ",2\n" MAC_B ",7\nnope,1\n", -1, &error));
  g_assert_true (g_file_set_contents (good, "\xEF\xBB\xBFMAC;Number;Location;SIP-PWD;display-id-unicode\r\n"
                                      MAC_A ";;Lab;" SECRET ";Anna\r\n"
                                      MAC_B ";3002;Hall;;Ben\r\n"
                                      "00:1A:E8:00:00:C1;3003;\"Room 3; east\";;Cleo\r\n", -1, &error));
  g_assert_no_error (error);

  g_assert_cmpint (run_ctl (fixture, "import", bad, NULL), ==, 2);
  assert_contains (fixture->err, "line 3, column 2 (sip-transport-user)");
  assert_contains (fixture->err, "line 4, column 1 (mac)");
  assert_contains (fixture->err, "2 problems, nothing imported");

  g_assert_cmpint (run_ctl (fixture, "import", good, "--dry-run", NULL), ==, 0);
  assert_contains (fixture->out, "dry run, nothing stored: 1 added, 2 updated, 0 unchanged");
  g_assert_cmpuint (count_phones (fixture->store), ==, 2);

  g_assert_cmpint (run_ctl (fixture, "import", good, NULL), ==, 0);
  assert_contains (fixture->out, "added 00:1A:E8:00:00:C1 (line 4)");
  g_assert_null (strstr (fixture->out, SECRET));
  g_assert_cmpuint (count_phones (fixture->store), ==, 3);
  expected = test_util_store_phone_get (fixture->store, MAC_B);
  g_assert_true (expected->expected);
  /* MAC_A has called: what changed goes now, as a job */
  jobs = wpi_store_job_list_pending (fixture->store, MAC_A, &error);
  g_assert_cmpuint (jobs->len, ==, 1);
  g_assert_cmpstr (((WpiJobRecord *) g_ptr_array_index (jobs, 0))->parameter, ==, WPI_JOB_PARAMETER_IMPORT);

  g_assert_cmpint (run_ctl (fixture, "import", good, "--json", NULL), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (ctl_json (fixture)), "unchanged"), ==, 3);

  g_assert_cmpint (run_ctl (fixture, "phones", NULL), ==, 0);
  assert_contains (fixture->out, "expected");
  g_assert_cmpint (run_ctl (fixture, "export", exported, NULL), ==, 0);
  assert_contains (fixture->out, "3 phones exported");
  g_assert_true (g_file_get_contents (exported, &export_text, NULL, &error));
  assert_contains (export_text, MAC_B ",3002,Hall,,expected,default,,,Ben\r\n");
  g_assert_null (strstr (export_text, SECRET));
  g_assert_cmpint (run_ctl (fixture, "import", exported, NULL), ==, 0);
  assert_contains (fixture->out, "0 added, 0 updated, 3 unchanged");
}

/* A profile can be prepared before the service ever ran: that creates the store. */
static void
test_profile_creates_store (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autofree char *fresh = tmp_path (fixture, "fresh");
  g_autoptr(WpiStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;

  g_assert_cmpint (run_ctl (fixture, "--data-dir", fresh, "profile", "set", "p", "auto-answer=true",
                            NULL), ==, 0);
  store = wpi_store_open (fresh, &error);
  g_assert_no_error (error);
  profile = wpi_store_profile_get (store, "p", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_array_index (profile->items, WpiStoreItem, 0).value, ==, "true");
}

/* ---- traffic ---- */

static gint64
append_traffic_in_flow (Fixture             *fixture,
                        const char          *flow,
                        WpiTrafficDirection  direction,
                        const char          *mac,
                        const char          *body,
                        const char          *error_text)
{
  g_autoptr(WpiTrafficRecord) record = wpi_traffic_record_new ();
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  record->time_us = g_get_real_time ();
  record->direction = direction;
  record->port = 18443;
  record->peer = g_strdup ("127.0.0.1:40000");
  record->mac = g_strdup (mac);
  record->flow_id = g_strdup (flow);
  if (error_text == NULL && direction == WPI_TRAFFIC_DIRECTION_IN)
    {
      record->root = g_strdup ("WorkpointMessage");
      record->reason = g_strdup ("start-up");
      record->item_count = 3;
    }
  else if (error_text == NULL)
    {
      record->root = g_strdup ("DLSMessage");
      record->action = g_strdup ("CleanUp");
      record->item_count = 0;
    }
  record->error_text = g_strdup (error_text);
  record->error_code = error_text != NULL ? 7 : 0;
  record->body = g_bytes_new (body, strlen (body));
  g_assert_true (wpi_store_traffic_append (fixture->store, record, &id, &error));
  g_assert_no_error (error);
  return id;
}

static gint64
append_traffic (Fixture             *fixture,
                WpiTrafficDirection  direction,
                const char          *mac,
                const char          *body,
                const char          *error_text)
{
  return append_traffic_in_flow (fixture, "flow-1", direction, mac, body, error_text);
}

#define START_UP_BODY \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
  "<WorkpointMessage xmlns=\"http://www.siemens.com/DLS\"><Message nonce=\"AB12\" maxItems=\"50\">" \
  "<ReasonForContact>start-up</ReasonForContact><ItemList>" \
  "<Item name=\"mac-addr\">" MAC_A "</Item><Item name=\"admin-pwd\">" SECRET "</Item>" \
  "<Item name=\"function-key-def\" index=\"3\">31</Item>" \
  "</ItemList></Message></WorkpointMessage>"

#define CLEAN_UP_BODY \
  "<DLSMessage xmlns=\"http://www.siemens.com/DLS\"><Message nonce=\"AB12\">" \
  "<Action>CleanUp</Action></Message></DLSMessage>"

static void
test_traffic (Fixture       *fixture,
              gconstpointer  data)
{
  GPtrArray *lines;
  JsonObject *in, *outgoing, *bad, *item;
  JsonArray *items;
  gint64 in_id, out_id, bad_id;

  /* an empty log */
  g_assert_cmpint (run_ctl (fixture, "traffic", "--json", NULL), ==, 0);
  g_assert_cmpstr (fixture->out, ==, "");

  in_id = append_traffic (fixture, WPI_TRAFFIC_DIRECTION_IN, MAC_A, START_UP_BODY, NULL);
  out_id = append_traffic (fixture, WPI_TRAFFIC_DIRECTION_OUT, MAC_A, CLEAN_UP_BODY, NULL);
  append_traffic (fixture, WPI_TRAFFIC_DIRECTION_IN, MAC_B, START_UP_BODY, NULL);
  bad_id = append_traffic (fixture, WPI_TRAFFIC_DIRECTION_IN, NULL, "<WorkpointMessage><Message",
                           "1:27: premature end of data");

  g_assert_cmpint (run_ctl (fixture, "traffic", "--json", NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  lines = ctl_json_lines (fixture);
  g_assert_cmpuint (lines->len, ==, 4);
  in = json_node_get_object (lines->pdata[0]);
  outgoing = json_node_get_object (lines->pdata[1]);
  bad = json_node_get_object (lines->pdata[3]);

  /* the wpi-decode --json members */
  g_assert_cmpstr (json_object_get_string_member (in, "root"), ==, "WorkpointMessage");
  g_assert_cmpstr (json_object_get_string_member (in, "nonce"), ==, "AB12");
  g_assert_cmpint (json_object_get_int_member (in, "max_items"), ==, 50);
  g_assert_cmpstr (json_object_get_string_member (in, "reason"), ==, "start-up");
  g_assert_true (json_object_get_null_member (in, "action"));
  items = json_object_get_array_member (in, "items");
  g_assert_cmpuint (json_array_get_length (items), ==, 3);
  item = json_array_get_object_element (items, 1);
  g_assert_cmpstr (json_object_get_string_member (item, "name"), ==, "admin-pwd");
  g_assert_cmpstr (json_object_get_string_member (item, "value"), ==, "<masked>");
  item = json_array_get_object_element (items, 2);
  g_assert_cmpint (json_object_get_int_member (item, "index"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (item, "value"), ==, "31");
  g_assert_null (strstr (fixture->out, SECRET));
  /* and the log's own */
  g_assert_cmpint (json_object_get_int_member (in, "id"), ==, in_id);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (in, "time"), "Z"));
  g_assert_cmpstr (json_object_get_string_member (in, "direction"), ==, "in");
  g_assert_cmpint (json_object_get_int_member (in, "port"), ==, 18443);
  g_assert_cmpstr (json_object_get_string_member (in, "peer"), ==, "127.0.0.1:40000");
  g_assert_cmpstr (json_object_get_string_member (in, "mac"), ==, MAC_A);
  g_assert_cmpstr (json_object_get_string_member (in, "flow"), ==, "flow-1");
  g_assert_true (json_object_get_null_member (in, "error"));

  g_assert_cmpint (json_object_get_int_member (outgoing, "id"), ==, out_id);
  g_assert_cmpstr (json_object_get_string_member (outgoing, "root"), ==, "DLSMessage");
  g_assert_cmpstr (json_object_get_string_member (outgoing, "action"), ==, "CleanUp");
  g_assert_cmpstr (json_object_get_string_member (outgoing, "direction"), ==, "out");

  g_assert_cmpint (json_object_get_int_member (bad, "id"), ==, bad_id);
  g_assert_cmpstr (json_object_get_string_member (bad, "error"), ==, "1:27: premature end of data");
  g_assert_true (json_object_get_null_member (bad, "items"));
  g_assert_true (json_object_get_null_member (bad, "mac"));

  g_assert_cmpint (run_ctl (fixture, "traffic", "--json", "--show-secrets", "--phone", MAC_A, NULL), ==, 0);
  lines = ctl_json_lines (fixture);
  g_assert_cmpuint (lines->len, ==, 2);
  assert_contains (fixture->out, SECRET);

  /* the newest N, for every phone or one */
  g_assert_cmpint (run_ctl (fixture, "traffic", "--json", "--limit", "2", NULL), ==, 0);
  lines = ctl_json_lines (fixture);
  g_assert_cmpuint (lines->len, ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (lines->pdata[1]), "id"), ==, bad_id);
  g_assert_cmpint (run_ctl (fixture, "traffic", "--json", "--limit", "1", "--phone", MAC_A, NULL), ==, 0);
  lines = ctl_json_lines (fixture);
  g_assert_cmpuint (lines->len, ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (lines->pdata[0]), "id"), ==, out_id);

  g_assert_cmpint (run_ctl (fixture, "traffic", NULL), ==, 0);
  g_assert_true (g_str_has_prefix (fixture->out, "ID "));
  test_util_assert_contains_all (fixture->out, "WorkpointMessage start-up, 3 items",
                                 "DLSMessage CleanUp, 0 items", "error: 1:27: premature end of data", NULL);

  assert_ctl_error (fixture, 2, "not a MAC address", "traffic", "--phone", "zz", NULL);
  assert_ctl_error (fixture, 2, "--limit", "traffic", "--limit", "-5", NULL);
}

/* --jsonl and --pcapng: the console's exports, of a phone or a flow (D29) */
static void
test_traffic_export (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) lines = NULL;
  JsonObject *first;
  g_autofree char *text = NULL;
  g_autofree char *jsonl = g_build_filename (fixture->tmp, "a.jsonl", NULL);
  g_autofree char *pcapng = g_build_filename (fixture->tmp, "flow-2.pcapng", NULL);
  g_autofree char *nowhere = g_build_filename (fixture->tmp, "missing", "x.pcapng", NULL);

  append_traffic (fixture, WPI_TRAFFIC_DIRECTION_IN, MAC_A, START_UP_BODY, NULL);
  append_traffic (fixture, WPI_TRAFFIC_DIRECTION_OUT, MAC_A, CLEAN_UP_BODY, NULL);
  append_traffic_in_flow (fixture, "flow-2", WPI_TRAFFIC_DIRECTION_IN, MAC_B, START_UP_BODY, NULL);
  append_traffic_in_flow (fixture, "flow-2", WPI_TRAFFIC_DIRECTION_OUT, MAC_B, CLEAN_UP_BODY, NULL);

  /* a phone's messages as JSON lines with their context, secrets masked */
  g_assert_cmpint (run_ctl (fixture, "traffic", "--jsonl", jsonl, "--phone", MAC_A, NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  assert_contains (fixture->out, ": 2 messages");
  text = test_util_read_file (jsonl, NULL);
  g_assert_null (strstr (text, SECRET));
  lines = parse_json_lines (text);
  g_assert_cmpuint (lines->len, ==, 2);
  first = json_node_get_object (lines->pdata[0]);
  g_assert_cmpint (json_object_get_int_member (first, "number"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (first, "peer_address"), ==, "127.0.0.1");
  g_assert_cmpint (json_object_get_int_member (first, "peer_port"), ==, 40000);
  g_assert_cmpstr (json_object_get_string_member (first, "mac"), ==, MAC_A);
  g_assert_cmpstr (json_object_get_string_member (first, "flow"), ==, "flow-1");
  g_assert_cmpstr (json_object_get_string_member (first, "mode"), ==, "default");
  g_assert_cmpstr (json_object_get_string_member (first, "reason"), ==, "start-up");

  /* a flow as a capture: its one request, read by tshark and the dissector */
  g_assert_cmpint (run_ctl (fixture, "traffic", "--pcapng", pcapng, "--flow", "flow-2", NULL), ==, 0);
  assert_contains (fixture->out, ": 2 messages");
  if (test_util_tshark_path () != NULL)
    {
      g_autofree char *posts = test_util_tshark (pcapng, "-Y", "http.request.method == \"POST\"",
                                                 "-T", "fields", "-e", "wpi.reason", NULL);
      g_autofree char *actions = test_util_tshark (pcapng, "-Y", "wpi.action", "-T", "fields",
                                                   "-e", "wpi.action", NULL);

      g_assert_cmpstr (posts, ==, "start-up\n");
      g_assert_cmpstr (actions, ==, "CleanUp\n");
    }

  /* nothing that matches, an export beside --json, a file that cannot be written */
  assert_ctl_error (fixture, 2, "No messages of phone " MAC_B " in flow flow-1",
                    "traffic", "--pcapng", pcapng, "--flow", "flow-1", "--phone", MAC_B, NULL);
  assert_ctl_error (fixture, 1, "--jsonl FILE", "traffic", "--json", "--jsonl", jsonl, NULL);
  assert_ctl_error (fixture, 2, "Cannot export to", "traffic", "--pcapng", nowhere, NULL);
}

/* ---- --wait: the test moves the job as the service would ---- */

/* Starts wpictl ARGS (with --wait) and waits for the job it queues, newer than after_id */
static GSubprocess *
spawn_waiting (Fixture            *fixture,
               const char * const *args,
               gint64              after_id,
               gint64             *id)
{
  GSubprocess *process = spawn_ctl (fixture, args);

  *id = wait_for_new_job (fixture, after_id);
  return process;
}

static void
test_wait_read_done (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *args[] = { "read", MAC_A, "sip-transport-user", "admin-pwd", "x-gone", "--wait=30", NULL };
  /* like a real phone, it also sends its identity items, one of them refused: not
   * what was asked, so neither shown one by one nor a reason to fail */
  WpiStoreItem results[] = {
    { .name = "sip-transport-user", .value = (char *) "1" },
    { .name = "admin-pwd", .value = (char *) SECRET },
    { .name = "mac-addr", .value = (char *) MAC_A, .status = (char *) "accepted" },
    { .name = "user-pwd-unicode", .value = (char *) "", .status = (char *) "failed" },
    { .name = "x-gone", .status = (char *) "unknown item" },
  };
  gint64 id;
  g_autoptr(GSubprocess) process = spawn_waiting (fixture, args, 0, &id);
  g_autoptr(GError) error = NULL;

  set_job_state (fixture, id, WPI_JOB_STATE_CONTACTING, NULL);
  set_job_state (fixture, id, WPI_JOB_STATE_IN_PROGRESS, NULL);
  g_assert_true (wpi_store_job_set_item_results (fixture->store, id, results, 4, &error));
  set_job_state (fixture, id, WPI_JOB_STATE_DONE, NULL);
  g_assert_no_error (error);

  g_assert_cmpint (finish_ctl (fixture, process), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  g_assert_cmpint (parse_job_id (fixture->out), ==, id);
  test_util_assert_contains_all (fixture->out, "read-items for " MAC_A ": done",
                                 "sip-transport-user = 1 (TCP)", "admin-pwd = <masked>",
                                 "x-gone: no value returned", "and 2 more items the phone sent", NULL);
  g_assert_null (strstr (fixture->out, "mac-addr"));
  g_clear_object (&process);

  /* a refused item makes it exit 3 */
  {
    const char *again[] = { "read", MAC_A, "x-gone", "--wait", "--show-secrets", NULL };

    process = spawn_waiting (fixture, again, id, &id);
    g_assert_true (wpi_store_job_set_item_results (fixture->store, id, &results[4], 1, &error));
    set_job_state (fixture, id, WPI_JOB_STATE_DONE, NULL);
    g_assert_cmpint (finish_ctl (fixture, process), ==, 3);
    assert_contains (fixture->out, "x-gone: unknown item");
    assert_error_line (fixture->err, "refused 1 of 1 items");
    g_clear_object (&process);

    /* job --wait knows not what was asked: it shows every item */
    {
      g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id - 1);

      g_assert_cmpint (run_ctl (fixture, "job", id_text, "--wait=5", NULL), ==, 3);
      assert_contains (fixture->out, "mac-addr = " MAC_A ": accepted");
      assert_error_line (fixture->err, "refused 1 of 5 items");
    }
  }
}

/* A read whose answer lacked an item asked for: listed under its state, and job --wait
 * says which item and fails (issue 9 §3) */
static void
test_job_done_with_problems (Fixture       *fixture,
                             gconstpointer  data)
{
  WpiStoreItem asked[] = { { .name = "e164" }, { .name = "x-gone" } };
  WpiStoreItem answered[] = {
    { .name = "e164", .value = (char *) "4989700123", .status = (char *) "accepted" },
    { .name = "x-gone", .status = (char *) "no value returned" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *id_text = NULL;
  gint64 id;

  g_assert_true (wpi_store_job_enqueue (fixture->store, MAC_A, WPI_JOB_KIND_READ_ITEMS, NULL, asked, 2, &id, &error));
  g_assert_true (wpi_store_job_set_item_results (fixture->store, id, answered, 2, &error));
  g_assert_true (wpi_store_job_set_state (fixture->store, id, WPI_JOB_STATE_DONE_WITH_PROBLEMS,
                                          "the phone returned no value for 1 of the 2 items asked for", &error));
  g_assert_no_error (error);

  g_assert_cmpint (run_ctl (fixture, "jobs", "--state", "done-with-problems", NULL), ==, 0);
  assert_contains (fixture->out, "done-with-problems");
  assert_contains (fixture->out, "no value for 1 of the 2");

  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_assert_cmpint (run_ctl (fixture, "job", id_text, "--wait=5", NULL), ==, 3);
  assert_contains (fixture->out, "read-items for " MAC_A ": done-with-problems");
  assert_contains (fixture->out, "x-gone: no value returned");
  assert_error_line (fixture->err, "is done with problems: the phone returned no value");
}

static void
test_wait_write_failed (Fixture       *fixture,
                        gconstpointer  data)
{
  const char *args[] = { "write", MAC_A, "auto-answer=true", "--wait=30", NULL };
  gint64 id;
  g_autoptr(GSubprocess) process = spawn_waiting (fixture, args, 0, &id);
  g_autoptr(GError) error = NULL;

  set_job_state (fixture, id, WPI_JOB_STATE_WAITING_BUSY, NULL);
  set_job_state (fixture, id, WPI_JOB_STATE_FAILED, "phone unreachable: 6 contact-mes unanswered");
  g_assert_cmpint (finish_ctl (fixture, process), ==, 3);
  assert_contains (fixture->out, "write-items for " MAC_A ": failed (phone unreachable");
  assert_contains (fixture->out, "auto-answer = true (yes): not applied");
  assert_error_line (fixture->err, "failed: phone unreachable: 6 contact-mes unanswered");
  g_clear_object (&process);

  /* the items the phone refused; the rest accepted */
  {
    const char *two[] = { "write", MAC_A, "auto-answer=true", "display-id=Desk", "--wait=30", "--json", NULL };
    WpiStoreItem refused[] = { { .name = "display-id", .status = (char *) "read only" } };
    GPtrArray *lines;
    JsonArray *items;

    process = spawn_waiting (fixture, two, id, &id);
    g_assert_true (wpi_store_job_set_item_results (fixture->store, id, refused, 1, &error));
    set_job_state (fixture, id, WPI_JOB_STATE_DONE, NULL);
    g_assert_cmpint (finish_ctl (fixture, process), ==, 3);
    lines = ctl_json_lines (fixture);
    g_assert_cmpuint (lines->len, ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (lines->pdata[0]), "state"), ==, "done");
    items = json_object_get_array_member (json_node_get_object (lines->pdata[0]), "items");
    g_assert_true (json_object_get_null_member (json_array_get_object_element (items, 0), "status"));
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (items, 1), "status"), ==,
                     "read only");
    assert_error_line (fixture->err, "refused 1 of 2 items");
  }
}

static void
test_wait_cancelled_and_timeout (Fixture       *fixture,
                                 gconstpointer  data)
{
  const char *args[] = { "restart", MAC_A, "--wait=30", NULL };
  gint64 id;
  g_autoptr(GSubprocess) process = spawn_waiting (fixture, args, 0, &id);
  g_autoptr(GError) error = NULL;
  g_autofree char *id_text = NULL;

  g_assert_true (wpi_store_job_cancel (fixture->store, id, &error));
  g_assert_cmpint (finish_ctl (fixture, process), ==, 3);
  assert_error_line (fixture->err, "was cancelled");

  /* nobody moves the job: the wait ends at its deadline */
  g_assert_cmpint (run_ctl (fixture, "read-all", MAC_A, "--wait=0.3", NULL), ==, 4);
  assert_contains (fixture->out, "read-all for " MAC_A ": queued");
  assert_error_line (fixture->err, "is still queued after 0.3 s");
  id = parse_job_id (fixture->out);

  /* job --wait on a job that is over already answers at once */
  set_job_state (fixture, id, WPI_JOB_STATE_DONE, NULL);
  id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_assert_cmpint (run_ctl (fixture, "job", id_text, "--wait=0", NULL), ==, 0);
  assert_contains (fixture->out, "every item read; see wpictl show " MAC_A);
}

typedef struct {
  Fixture *fixture;
  gint64   id;
} JobRef;

static gboolean
check_job_due_now (gpointer user_data)
{
  JobRef *ref = user_data;
  g_autoptr(WpiJobRecord) job = wpi_store_job_get (ref->fixture->store, ref->id, NULL);

  return job != NULL && job->next_attempt_us == 0;
}

static void
test_wait_contact (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  const char *args[] = { "contact", MAC_A, "--wait=30", NULL };
  WpiStoreItem read[] = { { .name = "e164" } };
  WpiStoreItem result[] = { { .name = "e164", .value = (char *) "4989700999" } };
  gint64 first, second;
  g_autoptr(WpiJobRecord) job = NULL;

  first = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_READ_ITEMS, read, 1);
  g_assert_true (wpi_store_job_record_attempt (fixture->store, first, g_get_real_time () + G_TIME_SPAN_HOUR,
                                               &error));
  second = enqueue_job (fixture, MAC_A, WPI_JOB_KIND_RESTART, NULL, 0);
  g_assert_true (wpi_store_job_record_attempt (fixture->store, second, g_get_real_time () + G_TIME_SPAN_HOUR,
                                               &error));

  process = spawn_ctl (fixture, args);
  /* the service sees both due now and runs them */
  {
    JobRef ref = { fixture, second };
    wait_until (check_job_due_now, &ref, "wpictl to bring the jobs forward");
  }
  job = get_job (fixture, first);
  g_assert_cmpint (job->next_attempt_us, ==, 0);
  g_assert_true (wpi_store_job_set_item_results (fixture->store, first, result, 1, &error));
  set_job_state (fixture, first, WPI_JOB_STATE_DONE, NULL);
  set_job_state (fixture, second, WPI_JOB_STATE_DONE, NULL);

  g_assert_cmpint (finish_ctl (fixture, process), ==, 0);
  assert_contains (fixture->out, "e164 = 4989700999");
  assert_contains (fixture->out, "restart for " MAC_A ": done");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  wpictl_fixture_init (&argc, &argv);

  WPICTL_TEST_ADD ("usage-errors", test_usage_errors);
  WPICTL_TEST_ADD ("data-dir", test_data_dir);
  WPICTL_TEST_ADD ("phones", test_phones);
  WPICTL_TEST_ADD ("show", test_show);
  WPICTL_TEST_ADD ("location", test_location);
  WPICTL_TEST_ADD ("read", test_read);
  WPICTL_TEST_ADD ("write", test_write);
  WPICTL_TEST_ADD ("read-all-restart-factory-reset", test_simple_jobs);
  WPICTL_TEST_ADD ("contact", test_contact);
  WPICTL_TEST_ADD ("deploy-file", test_deploy_file);
  WPICTL_TEST_ADD ("deploy-software", test_deploy_software);
  WPICTL_TEST_ADD ("jobs", test_jobs);
  WPICTL_TEST_ADD ("cancel", test_cancel);
  WPICTL_TEST_ADD ("profiles", test_profiles);
  WPICTL_TEST_ADD ("profile-creates-store", test_profile_creates_store);
  WPICTL_TEST_ADD ("import-export", test_import_export);
  WPICTL_TEST_ADD ("traffic", test_traffic);
  WPICTL_TEST_ADD ("traffic-export", test_traffic_export);
  WPICTL_TEST_ADD ("wait/read-done", test_wait_read_done);
  WPICTL_TEST_ADD ("wait/write-failed", test_wait_write_failed);
  WPICTL_TEST_ADD ("job/done-with-problems", test_job_done_with_problems);
  WPICTL_TEST_ADD ("wait/cancelled-and-timeout", test_wait_cancelled_and_timeout);
  WPICTL_TEST_ADD ("wait/contact", test_wait_contact);

  status = g_test_run ();
  wpictl_fixture_cleanup ();
  return status;
}
