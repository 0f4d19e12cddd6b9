/* test-wpictl-service.c: wpictl with the headless service and wpi-sim's phones
 *
 * The end-to-end run against the service on loopback, Secure Mode's commands
 * (bootstrap with PIN handouts, revoke) and the sweep (issue 14 §2, D25), each against a
 * temporary data directory (wpictl-fixture.c).
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "wpi-bootstrap.h"
#include "wpi-handout.h"
#include "wpi-pki.h"
#include "wpictl-fixture.h"

static void
test_service (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *logo = write_source_file (fixture, "logo.png", "PNG logo bytes");
  g_autofree char *port_text = NULL;
  g_autofree char *address = NULL;
  GPtrArray *lines;
  EndToEnd e2e = { 0 };
  gboolean saw_write = FALSE, saw_solicited = FALSE;
  const char *mac_1 = "00:1A:E8:00:00:01";
  const char *mac_2 = "00:1A:E8:00:00:02";

  if (!g_file_test (console_path, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (sim_path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("workpoint-console (built with GTK) and wpi-sim are needed");
      return;
    }

  /* the headless service on free loopback ports, two V3R3 phones that answer
   * contact-mes on their own ports */
  end_to_end_start (&e2e, fixture, 2, NULL);

  /* it recorded where phones reach it, for deploy-file */
  address = wpi_store_setting_get (e2e.store, "service-address", &error);
  port_text = wpi_store_setting_get (e2e.store, "service-port", &error);
  g_assert_cmpstr (address, ==, "127.0.0.1");
  g_assert_cmpint (g_ascii_strtoll (port_text, NULL, 10), ==, e2e.port);

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "phones", "--json", NULL), ==, 0);
  g_assert_cmpuint (json_array_get_length (ctl_json_array (fixture)), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (ctl_json_array (fixture), 0),
                                                  "mac"), ==, mac_1);

  /* a read and a write, each done within the wait */
  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "read", mac_1, "sip-transport-user",
                            "--wait=30", NULL), ==, 0);
  assert_contains (fixture->out, "read-items for 00:1A:E8:00:00:01: done");
  assert_contains (fixture->out, "sip-transport-user = ");

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "write", mac_1, "display-id=Desk-1",
                            "--wait=30", NULL), ==, 0);
  assert_contains (fixture->out, "display-id = Desk-1: accepted");
  {
    g_autoptr(WpiStoreItem) item = wpi_store_phone_item_get (e2e.store, mac_1, "display-id", FALSE, 0, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (item->value, ==, "Desk-1");
  }

  /* a file the service serves and the phone fetches over HTTPS */
  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "deploy-file", mac_2, logo,
                            "--type", "LOGO", "--wait=30", NULL), ==, 0);
  assert_contains (fixture->out, "file-deployment for 00:1A:E8:00:00:02: done");

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "restart", mac_2, "--wait=30", NULL), ==, 0);
  assert_contains (fixture->out, "restart for 00:1A:E8:00:00:02: done");

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "contact", mac_1, "--wait=30", NULL), ==, 0);
  assert_contains (fixture->out, "read-all for 00:1A:E8:00:00:01: done");

  /* every message of it is in the log */
  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "traffic", "--json", "--limit", "0",
                            "--phone", mac_1, NULL), ==, 0);
  lines = ctl_json_lines (fixture);
  for (guint i = 0; i < lines->len; i++)
    {
      JsonObject *message = json_node_get_object (lines->pdata[i]);

      g_assert_cmpstr (json_object_get_string_member (message, "mac"), ==, mac_1);
      g_assert_true (json_object_get_null_member (message, "error"));
      saw_write |= g_strcmp0 (json_object_get_string_member (message, "action"), "WriteItems") == 0;
      saw_solicited |= g_strcmp0 (json_object_get_string_member (message, "reason"), "solicited") == 0;
    }
  g_assert_true (saw_write && saw_solicited);

  end_to_end_stop (&e2e);
}

/* ---- Secure Mode: bootstrap, pins, revoke ---- */

#define MAC_C "00:1A:E8:00:00:0C"

static gboolean
pki_exists (Fixture *fixture)
{
  g_autofree char *pki_dir = data_path (fixture, "pki");

  return g_file_test (pki_dir, G_FILE_TEST_EXISTS);
}

static WpiPinRecord *
current_pin (Fixture    *fixture,
             const char *mac)
{
  g_autoptr(GError) error = NULL;
  WpiPinRecord *record = wpi_store_pin_get_current (fixture->store, mac, &error);

  g_assert_no_error (error);
  return record;
}

/* Every entry of a handout is the phone's committed, handed-out PIN of a queued
 * bootstrap job with PIN. */
static void
assert_handout_matches_store (Fixture    *fixture,
                              GHashTable *handout,
                              guint       pin_length,
                              guint       max_retries)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, handout);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(WpiPinRecord) record = current_pin (fixture, key);
      g_autoptr(WpiJobRecord) job = NULL;

      g_assert_cmpstr (record->pin, ==, value);
      g_assert_cmpuint (strlen (record->pin), ==, pin_length);
      g_assert_cmpint (record->state, ==, WPI_PIN_STATE_HANDED_OUT);
      g_assert_cmpuint (record->max_retries, ==, max_retries);
      job = get_job (fixture, record->job_id);
      g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_BOOTSTRAP);
      g_assert_cmpstr (job->mac, ==, key);
      g_assert_cmpstr (job->parameter, ==, WPI_BOOTSTRAP_PARAMETER_PIN);
    }
}

static void
test_bootstrap_pin_csv (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *csv = tmp_path (fixture, "handout.csv");
  g_autoptr(GHashTable) handout = NULL;
  g_autoptr(GError) error = NULL;
  const char *macs[] = { MAC_A, MAC_B, MAC_C };
  GStatBuf st;
  JsonArray *array;

  add_phone (fixture->store, MAC_C, "127.0.0.3");
  g_assert_cmpint (run_ctl (fixture, "bootstrap", MAC_A, "00-1a-e8-ab-cd-ef", MAC_C,
                            "--pin", "--pin-length", "10", "--max-retries", "5",
                            "--handout", csv, NULL), ==, 0);
  /* progress on stderr, "n/total MAC", one line per phone */
  assert_contains (fixture->err, "1/3 ");
  assert_contains (fixture->err, "3/3 ");
  g_assert_null (strstr (fixture->err, "wpictl:"));
  assert_contains (fixture->out, "Handout ");
  assert_contains (fixture->out, "3 of 3 phones queued");

  g_assert_cmpint (g_stat (csv, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  handout = wpi_handout_read_csv (csv, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (handout), ==, 3);
  for (guint i = 0; i < G_N_ELEMENTS (macs); i++)
    {
      const char *pin = g_hash_table_lookup (handout, macs[i]);

      g_assert_nonnull (pin);
      /* never on stdout without --show-pins */
      g_assert_null (strstr (fixture->out, pin));
    }
  assert_handout_matches_store (fixture, handout, 10, 5);
  g_assert_cmpuint (count_jobs (fixture), ==, 3);

  /* pins: masked unless --show-pins */
  g_assert_cmpint (run_ctl (fixture, "pins", NULL), ==, 0);
  test_util_assert_contains_all (fixture->out, "MAC", "handed-out", "<masked>", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (macs); i++)
    {
      const char *pin = g_hash_table_lookup (handout, macs[i]);
      g_autofree char *tan = g_strdup (pin + strlen (pin) - 3);

      assert_contains (fixture->out, macs[i]);
      g_assert_null (strstr (fixture->out, pin));
      g_assert_null (strstr (fixture->out, tan));
    }

  g_assert_cmpint (run_ctl (fixture, "pins", "--show-pins", NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (macs); i++)
    {
      g_autofree char *grouped = wpi_handout_format_pin (g_hash_table_lookup (handout, macs[i]));

      assert_contains (fixture->out, grouped);
    }

  g_assert_cmpint (run_ctl (fixture, "pins", "--json", NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      const char *mac = json_object_get_string_member (object, "mac");
      g_autoptr(WpiPinRecord) record = current_pin (fixture, mac);

      g_assert_true (g_hash_table_contains (handout, mac));
      g_assert_cmpstr (json_object_get_string_member (object, "pin"), ==, "<masked>");
      g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "handed-out");
      g_assert_true (json_object_get_null_member (object, "reason"));
      g_assert_cmpint (json_object_get_int_member (object, "job"), ==, record->job_id);
      g_assert_nonnull (json_object_get_string_member (object, "created"));
      g_assert_nonnull (json_object_get_string_member (object, "updated"));
    }

  /* a failed PIN shows its reason; --all lists the re-issued one as well */
  {
    g_autoptr(WpiPinRecord) record = current_pin (fixture, MAC_A);

    g_assert_true (wpi_store_pin_set_state (fixture->store, record->id, WPI_PIN_STATE_FAILED,
                                            "password retries exceeded", &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (run_ctl (fixture, "pins", NULL), ==, 0);
  assert_contains (fixture->out, "password retries exceeded");

  g_assert_cmpint (run_ctl (fixture, "bootstrap", MAC_A, "--show-pins", NULL), ==, 0);
  {
    g_autoptr(WpiPinRecord) record = current_pin (fixture, MAC_A);
    g_autofree char *grouped = wpi_handout_format_pin (record->pin);

    /* shown on stdout, so handed out */
    assert_contains (fixture->out, grouped);
    g_assert_cmpuint (strlen (record->pin), ==, 12);
    g_assert_cmpint (record->state, ==, WPI_PIN_STATE_HANDED_OUT);
  }
  g_assert_cmpint (run_ctl (fixture, "pins", "--all", "--json", NULL), ==, 0);
  g_assert_cmpuint (json_array_get_length (ctl_json_array (fixture)), ==, 4);
}

/* A PDF holds NUL bytes: no string search */
static gboolean
bytes_contain (const char *data,
               gsize       length,
               const char *part)
{
  gsize part_length = strlen (part);

  for (gsize i = 0; i + part_length <= length; i++)
    if (memcmp (data + i, part, part_length) == 0)
      return TRUE;
  return FALSE;
}

static void
test_bootstrap_pdf (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *pdf = tmp_path (fixture, "slips.PDF");
  g_autofree char *contents = NULL;
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autoptr(GError) error = NULL;
  const char *macs[] = { MAC_A, MAC_B, MAC_C };
  gsize length = 0;

  add_phone (fixture->store, MAC_C, "127.0.0.3");
  g_assert_cmpint (run_ctl (fixture, "bootstrap", "--all", "--handout", pdf,
                            "--paper", "letter", NULL), ==, 0);
  assert_contains (fixture->err, "3/3 ");
  g_assert_true (g_file_get_contents (pdf, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (contents, "%PDF"));
  /* Letter: 612 × 792 points */
  g_assert_true (bytes_contain (contents, length, "/MediaBox [ 0 0 612 792 ]"));

  for (guint i = 0; i < G_N_ELEMENTS (macs); i++)
    {
      g_autoptr(WpiPinRecord) record = current_pin (fixture, macs[i]);

      g_assert_cmpint (record->state, ==, WPI_PIN_STATE_HANDED_OUT);
    }

  if (pdftotext != NULL)
    {
      const char *argv[] = { pdftotext, "-layout", pdf, "-", NULL };
      g_autofree char *text = NULL;
      int wait_status = 0;

      g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                                   &text, NULL, &wait_status, &error));
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
      for (guint i = 0; i < G_N_ELEMENTS (macs); i++)
        {
          g_autoptr(WpiPinRecord) record = current_pin (fixture, macs[i]);
          g_autofree char *grouped = wpi_handout_format_pin (record->pin);

          assert_contains (text, macs[i]);
          assert_contains (text, grouped);
        }
    }
  else
    g_test_message ("pdftotext not installed: the PDF's text is not checked");
}

static void
test_bootstrap_nopin (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPinRecord) record = NULL;
  g_autoptr(WpiJobRecord) job = NULL;
  g_autoptr(GPtrArray) jobs = NULL;

  g_assert_true (wpi_store_setting_set_int (fixture->store, "service-secure-port", 28444, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_ctl (fixture, "bootstrap", "--match", "openstage 60", "--nopin", NULL), ==, 0);
  assert_contains (fixture->err, "1/1 " MAC_A);
  assert_contains (fixture->out, "without PIN");

  jobs = wpi_store_job_list (fixture->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 1);
  /* the list leaves the items out */
  job = get_job (fixture, ((WpiJobRecord *) g_ptr_array_index (jobs, 0))->id);
  g_assert_cmpstr (job->mac, ==, MAC_A);
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_BOOTSTRAP);
  g_assert_cmpstr (job->parameter, ==, WPI_BOOTSTRAP_PARAMETER_NOPIN);
  /* the port the service recorded goes to the phone */
  {
    gboolean found = FALSE;

    for (guint i = 0; job->items != NULL && i < job->items->len; i++)
      {
        const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, i);

        if (strcmp (item->name, "dls-secure-port") == 0)
          {
            g_assert_cmpstr (item->value, ==, "28444");
            found = TRUE;
          }
        g_assert_cmpstr (item->name, !=, "secure-mode-data");
      }
    g_assert_true (found);
  }

  record = wpi_store_pin_get_current (fixture->store, MAC_A, &error);
  g_assert_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
  g_assert_null (record);
}

static void
test_bootstrap_invalid (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autofree char *csv = tmp_path (fixture, "handout.csv");
  g_autofree char *missing_dir = g_build_filename (fixture->tmp, "no-such-dir", "h.csv", NULL);
  const struct {
    int         status;
    const char *message;
    const char *args[8];
  } cases[] = {
    { 2, "--pin-length takes 8 to 20", { "bootstrap", MAC_A, "--pin-length", "7" } },
    { 2, "--pin-length takes 8 to 20", { "bootstrap", MAC_A, "--pin-length", "21" } },
    { 1, "--handout is for PINs", { "bootstrap", MAC_A, "--nopin", "--handout", csv } },
    { 1, "exclude each other", { "bootstrap", MAC_A, "--pin", "--nopin" } },
    { 2, "No phone with the MAC " MAC_NONE, { "bootstrap", MAC_A, MAC_NONE, "--handout", csv } },
    { 2, "not a MAC address", { "bootstrap", "phone-1" } },
    { 2, ".pdf or .csv", { "bootstrap", MAC_A, "--handout", "pins.txt" } },
    { 2, "No directory", { "bootstrap", MAC_A, "--handout", missing_dir } },
    { 2, "a4 or letter", { "bootstrap", MAC_A, "--handout", "x.pdf", "--paper", "a5" } },
    { 1, "--paper is for a PDF", { "bootstrap", MAC_A, "--handout", csv, "--paper", "a4" } },
    { 2, "--max-retries takes 1 to", { "bootstrap", MAC_A, "--max-retries", "0" } },
    { 2, "--max-retries takes 1 to", { "bootstrap", MAC_A, "--max-retries", "-5" } },
    { 2, "--max-retries takes 1 to", { "bootstrap", MAC_A, "--max-retries=-1" } },
    { 2, "--max-retries takes 1 to", { "bootstrap", MAC_A, "--max-retries", "three" } },
    { 2, "--pin-length takes 8 to 20", { "bootstrap", MAC_A, "--pin-length", "-5" } },
    { 1, "Name the phones one way", { "bootstrap" } },
    { 1, "Name the phones one way", { "bootstrap", MAC_A, "--all" } },
    { 2, "No phone selected", { "bootstrap", "--match", "no such phone" } },
    { 1, "Usage: wpictl revoke", { "revoke" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GSubprocess) process = spawn_ctl (fixture, cases[i].args);

      g_test_message ("case %u: %s", i, cases[i].message);
      g_assert_cmpint (finish_ctl (fixture, process), ==, cases[i].status);
      assert_error_line (fixture->err, cases[i].message);
      g_assert_cmpstr (fixture->out, ==, "");
    }

  /* nothing was made: no job, no PIN, not even a PKI */
  g_assert_cmpuint (count_jobs (fixture), ==, 0);
  g_assert_false (pki_exists (fixture));
  g_assert_false (g_file_test (csv, G_FILE_TEST_EXISTS));
}

/* Runs wpictl ARGS and sends it SIGINT once its progress shows the first phone done; its
 * exit status, its stdout in fixture->out and the rest of its stderr in *rest. */
static int
interrupt_after_first_phone (Fixture            *fixture,
                             const char * const *args,
                             char              **rest)
{
  g_autoptr(GSubprocess) process = spawn_ctl (fixture, args);
  g_autoptr(GDataInputStream) err_stream =
    g_data_input_stream_new (g_subprocess_get_stderr_pipe (process));
  g_autoptr(GError) error = NULL;
  int status;

  /* the first phone through: the run is under way */
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (err_stream, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "1/"))
        break;
    }
  g_subprocess_send_signal (process, SIGINT);
  *rest = g_data_input_stream_read_upto (err_stream, "", 0, NULL, NULL, &error);
  g_assert_no_error (error);
  {
    GInputStream *out_pipe = g_subprocess_get_stdout_pipe (process);
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GByteArray) all = g_byte_array_new ();

    while ((bytes = g_input_stream_read_bytes (out_pipe, 4096, NULL, &error)) != NULL &&
           g_bytes_get_size (bytes) > 0)
      {
        g_byte_array_append (all, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
        g_clear_pointer (&bytes, g_bytes_unref);
      }
    g_assert_no_error (error);
    g_byte_array_append (all, (const guint8 *) "", 1);
    g_free (fixture->out);
    fixture->out = g_strdup ((const char *) all->data);
  }
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  status = g_subprocess_get_exit_status (process);
  if (g_test_verbose ())
    g_printerr ("--- exit %d\n--- stdout\n%s--- stderr (rest)\n%s\n", status, fixture->out, *rest);
  return status;
}

/* Ctrl+C in the middle: every phone queued has its PIN in the handout, and no other
 * phone has a job or a PIN. */
static void
test_bootstrap_interrupt (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *csv = tmp_path (fixture, "handout.csv");
  const char *args[] = { "bootstrap", "--all", "--handout", csv, NULL };
  const guint n_phones = 60;
  g_autofree char *rest = NULL;
  int status;
  g_autoptr(GHashTable) handout = NULL;
  g_autoptr(GPtrArray) pins = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n_phones - 2; i++)
    {
      g_autofree char *mac = g_strdup_printf ("00:1A:E8:00:10:%02X", i);

      add_phone (fixture->store, mac, NULL);
    }

  status = interrupt_after_first_phone (fixture, args, &rest);

  pins = wpi_store_pin_list (fixture->store, TRUE, &error);
  g_assert_no_error (error);
  handout = wpi_handout_read_csv (csv, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (handout), ==, pins->len);
  g_assert_cmpuint (count_jobs (fixture), ==, pins->len);
  assert_handout_matches_store (fixture, handout, 12, 3);

  if (status == 130)
    {
      g_autofree char *expected = g_strdup_printf ("Cancelled: %u of %u phones queued", pins->len, n_phones);

      g_assert_cmpuint (pins->len, >=, 1);
      g_assert_cmpuint (pins->len, <, n_phones);
      assert_contains (rest, expected);
    }
  else
    {
      /* the signal came after the last phone */
      g_assert_cmpint (status, ==, 0);
      g_assert_cmpuint (pins->len, ==, n_phones);
    }
}

static void
test_revoke (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *pki_dir = data_path (fixture, "pki");
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) pki = NULL;
  g_autoptr(WpiClientCert) cert = NULL;
  g_autoptr(WpiClientCert) cert_b = NULL;
  g_autoptr(WpiPhoneRecord) before = NULL;
  g_autoptr(WpiPhoneRecord) after = NULL;

  /* no PKI yet: nothing to revoke, and none is created */
  assert_ctl_error (fixture, 2, "No certificate has been issued", "revoke", MAC_A, NULL);
  g_assert_false (pki_exists (fixture));

  g_assert_cmpint (run_ctl (fixture, "bootstrap", MAC_A, MAC_B, "--nopin", NULL), ==, 0);

  /* this process stands for the running service: its PKI is open before the revocation,
   * and it issued the phones' certificates when it built their bundles */
  pki = wpi_pki_new (pki_dir, NULL, &error);
  g_assert_no_error (error);
  cert = wpi_pki_issue_client_cert (pki, MAC_A, NULL, &error);
  g_assert_no_error (error);
  cert_b = wpi_pki_issue_client_cert (pki, MAC_B, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_verify_peer_pem (pki, cert->cert_pem, MAC_A, NULL, &error));
  g_assert_no_error (error);
  before = wpi_store_phone_get (fixture->store, MAC_A, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run_ctl (fixture, "revoke", "001ae8123456", NULL), ==, 0);
  g_assert_cmpstr (fixture->err, ==, "");
  assert_contains (fixture->out, MAC_A ": 1 certificate revoked");
  assert_contains (fixture->out, "left as it is");

  g_assert_true (wpi_pki_is_revoked (pki, cert->serial));
  g_assert_false (wpi_pki_verify_peer_pem (pki, cert->cert_pem, MAC_A, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_clear_error (&error);
  /* the other phone is untouched */
  g_assert_false (wpi_pki_is_revoked (pki, cert_b->serial));
  g_assert_true (wpi_pki_verify_peer_pem (pki, cert_b->cert_pem, MAC_B, NULL, &error));
  g_assert_no_error (error);

  after = wpi_store_phone_get (fixture->store, MAC_A, &error);
  g_assert_no_error (error);
  g_assert_cmpint (after->mode, ==, before->mode);
  g_assert_cmpint (after->state, ==, before->state);
  g_assert_cmpuint (count_jobs (fixture), ==, 2);

  /* again: nothing more to revoke */
  g_assert_cmpint (run_ctl (fixture, "revoke", MAC_A, NULL), ==, 0);
  assert_contains (fixture->out, "already revoked");

  assert_ctl_error (fixture, 2, "No certificate has been issued for " MAC_NONE, "revoke", MAC_NONE, NULL);
  assert_ctl_error (fixture, 2, "not a MAC address", "revoke", "xyz", NULL);
}

/* every phone's PIN verified and the phone in Secure Mode */
static gboolean
check_phones_secure (gpointer user_data)
{
  PhonesWait *wait = user_data;
  g_autoptr(GPtrArray) phones = poll_phones (wait);
  g_autoptr(GPtrArray) pins = wpi_store_pin_list (wait->store, TRUE, NULL);

  if (phones == NULL || pins == NULL || pins->len != wait->n_phones)
    return FALSE;
  for (guint i = 0; i < phones->len; i++)
    if (((WpiPhoneRecord *) g_ptr_array_index (phones, i))->mode != WPI_PHONE_MODE_SECURE)
      return FALSE;
  for (guint i = 0; i < pins->len; i++)
    if (((WpiPinRecord *) g_ptr_array_index (pins, i))->state != WPI_PIN_STATE_VERIFIED)
      return FALSE;
  return TRUE;
}

/* The issue's "done when", small: the headless service, simulated phones that read
 * their PINs from the handout CSV when they ask (it is written after the jobs are
 * queued), and wpictl bootstrap --all --pin --handout. */
static void
test_secure_end_to_end (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = tmp_path (fixture, "handout.csv");
  g_autoptr(GHashTable) handout = NULL;
  const guint n_phones = 3;
  EndToEnd e2e = { 0 };
  PhonesWait secure = { NULL, n_phones };
  JsonArray *array;

  if (!g_file_test (console_path, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (sim_path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("workpoint-console (built with GTK) and wpi-sim are needed");
      return;
    }

  end_to_end_start (&e2e, fixture, n_phones,
                    (const char * const[]) { "--pins", csv, "--pin-interval", "0.2", NULL });

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "bootstrap", "--all", "--pin",
                            "--handout", csv, NULL), ==, 0);
  assert_contains (fixture->err, "3/3 ");
  assert_contains (fixture->out, "3 of 3 phones queued");
  handout = wpi_handout_read_csv (csv, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (handout), ==, n_phones);

  secure.store = e2e.store;
  wait_until (check_phones_secure, &secure, "every phone to be verified and in Secure Mode");

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "pins", "--json", NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, n_phones);
  for (guint i = 0; i < n_phones; i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      g_assert_true (g_hash_table_contains (handout, json_object_get_string_member (object, "mac")));
      g_assert_cmpstr (json_object_get_string_member (object, "state"), ==, "verified");
    }

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "phones", "--json", NULL), ==, 0);
  array = ctl_json_array (fixture);
  g_assert_cmpuint (json_array_get_length (array), ==, n_phones);
  for (guint i = 0; i < n_phones; i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, i), "mode"), ==,
                     "secure");

  end_to_end_stop (&e2e);
}

/* ---- sweep (issue 14 §2, D25) ---- */

typedef struct {
  const char *args[6];
  int         status;
  const char *message;
} SweepRefusal;

/* Refused before anything is sent: a range that is none, a public one (D25), one above
 * 1,024 addresses without --yes, options out of range */
static const SweepRefusal sweep_refusals[] = {
  { { "sweep", "phones", NULL }, 2, "is not an IPv4 range" },
  { { "sweep", "8.8.8.0/30", NULL }, 2, "public addresses" },
  { { "sweep", "8.8.8.0/30", "--yes", NULL }, 2, "public addresses" },
  { { "sweep", "127.9.0.0/21", NULL }, 1, "confirm the sweep with --yes" },
  { { "sweep", "127.9.0.0/24", "--rate", "5000", NULL }, 1, "--rate takes 1 to 1000" },
  { { "sweep", "127.9.0.0/24", "--concurrency", "-1", NULL }, 1, "--concurrency takes 1 to" },
  { { "sweep", "127.9.0.0/24", "--callback", "console.local", NULL }, 1, "--callback takes an IP address" },
  { { "sweep", NULL }, 1, "Usage: wpictl sweep RANGE" },
};

static void
test_sweep_refusals (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* before the service recorded its port, a sweep has no call-back to name */
  g_assert_cmpint (run_ctl (fixture, "sweep", "127.9.0.1", NULL), ==, 2);
  assert_error_line (fixture->err, "has not recorded its port");

  g_assert_true (wpi_store_setting_set (fixture->store, "service-port", "18443", &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (sweep_refusals); i++)
    {
      const SweepRefusal *c = &sweep_refusals[i];
      g_autoptr(GSubprocess) process = spawn_ctl (fixture, c->args);

      g_test_message ("sweep %s", c->args[1] ? c->args[1] : "");
      g_assert_cmpint (finish_ctl (fixture, process), ==, c->status);
      assert_error_line (fixture->err, c->message);
      /* refused before the first contact-me */
      g_assert_null (strstr (fixture->err, "Sweeping"));
    }
}

/* The local address the phone at address index listens on has its contact-me port open */
static gboolean
check_contact_listening (gpointer user_data)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection =
    g_socket_client_connect_to_host (client, user_data, 8085, NULL, NULL);

  return connection != NULL;
}

/* Three phones that do not know the service, at every fifth address of P.0.1 - P.0.14:
 * the sweep finds and registers each, the rest no answer after two tries */
static void
test_sweep_service (Fixture       *fixture,
                    gconstpointer  data)
{
  const char * const sim_args[] = { "--address-stride", "5", NULL };
  g_autofree char *prefix = g_strdup_printf ("127.%u", 160 + (guint) getpid () % 40);
  g_autofree char *range = g_strdup_printf ("%s.0.0/28", prefix);
  g_autofree char *last_phone = g_strdup_printf ("%s.0.11", prefix);
  EndToEnd e2e = { .bind_prefix = prefix };
  JsonObject *root;
  JsonArray *addresses;

  if (!g_file_test (console_path, G_FILE_TEST_IS_EXECUTABLE) || !g_file_test (sim_path, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("workpoint-console (built with GTK) and wpi-sim are needed");
      return;
    }
  end_to_end_start (&e2e, fixture, 3, sim_args);
  wait_until (check_contact_listening, last_phone, "the phones to listen");

  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "sweep", range, "--rate", "100",
                            "--json", NULL), ==, 0);
  assert_contains (fixture->err, "the phones are to call 127.0.0.1");
  root = json_node_get_object (ctl_json (fixture));
  g_assert_cmpint (json_object_get_int_member (root, "registered"), ==, 3);
  addresses = json_object_get_array_member (root, "addresses");
  g_assert_cmpuint (json_array_get_length (addresses), ==, 14);
  for (guint n = 0; n < 14; n++)
    {
      JsonObject *entry = json_array_get_object_element (addresses, n);
      gboolean phone_here = n % 5 == 0;
      g_autofree char *mac = g_strdup_printf ("00:1A:E8:00:00:%02u", n / 5 + 1);

      g_assert_cmpstr (json_object_get_string_member (entry, "result"), ==, phone_here ? "answered" : "no answer");
      g_assert_cmpint (json_object_get_int_member (entry, "tries"), ==, phone_here ? 1 : 2);
      g_assert_cmpstr (json_object_get_string_member (entry, "mac"), ==, phone_here ? mac : NULL);
    }

  /* the text output lists the phones found */
  g_assert_cmpint (run_ctl (fixture, "--data-dir", e2e.service_dir, "sweep", last_phone, NULL), ==, 0);
  assert_contains (fixture->out, "answered  00:1A:E8:00:00:03");
  assert_contains (fixture->out, "1 addresses swept: 1 answered");
  end_to_end_stop (&e2e);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  wpictl_fixture_init (&argc, &argv);

  WPICTL_TEST_ADD ("service", test_service);
  WPICTL_TEST_ADD ("bootstrap/pin-csv", test_bootstrap_pin_csv);
  WPICTL_TEST_ADD ("bootstrap/pdf", test_bootstrap_pdf);
  WPICTL_TEST_ADD ("bootstrap/nopin", test_bootstrap_nopin);
  WPICTL_TEST_ADD ("bootstrap/invalid", test_bootstrap_invalid);
  WPICTL_TEST_ADD ("bootstrap/interrupt", test_bootstrap_interrupt);
  WPICTL_TEST_ADD ("revoke", test_revoke);
  WPICTL_TEST_ADD ("secure-end-to-end", test_secure_end_to_end);
  WPICTL_TEST_ADD ("sweep/refusals", test_sweep_refusals);
  WPICTL_TEST_ADD ("sweep/service", test_sweep_service);

  status = g_test_run ();
  wpictl_fixture_cleanup ();
  return status;
}
