/* test-wpictl-diff.c: wpictl diff, copy-settings and dhcp-option against a temporary
 * store (issue 14 §3 and §4, D26, D27) */
#include "config.h"

#include <string.h>

#include "wpi-store.h"
#include "test-util-store.h"

#define MAC_A TEST_UTIL_CONFIG_MAC_A
#define MAC_B TEST_UTIL_CONFIG_MAC_B
#define MAC_C TEST_UTIL_CONFIG_MAC_C

static char *wpictl_path;

static void
fixture_setup (TestUtilStore *fixture,
               gconstpointer  data)
{
  test_util_store_setup (fixture, data);
  test_util_store_seed_configs (fixture->store);
}

/* wpictl --data-dir DIR args..., its output in out and err */
static int
run_wpictl (TestUtilStore      *fixture,
            const char * const *args,
            char              **out,
            char              **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  int status;

  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  g_ptr_array_add (argv, wpictl_path);
  g_ptr_array_add (argv, (char *) "--data-dir");
  g_ptr_array_add (argv, fixture->dir);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  status = test_util_run ((const char * const *) argv->pdata, (const char * const *) envp, out, err);
  if (g_test_verbose ())
    g_printerr ("--- exit %d\n--- stdout\n%s--- stderr\n%s", status, *out, *err);
  return status;
}

static guint
count_pending_jobs (WpiStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = wpi_store_job_list_pending (store, NULL, &error);

  g_assert_no_error (error);
  return jobs->len;
}

/* Nothing here queues a job: diff never does, copy-settings not without --yes */
static void
test_wpictl_diff_output (TestUtilStore *fixture,
                         gconstpointer  data)
{
  static const struct {
    const char *args[6];
    int         status;
    const char *out_has[5];
    const char *out_lacks[3];
    const char *err_has;
  } cases[] = {
    { { "diff", MAC_B, MAC_A, NULL }, 0,
      { "4 differences", "SIP", "sip-transport-user", "1 (TCP)", "<masked>" },
      { "secret-1", "e164", "mac-addr" }, NULL },
    { { "diff", "--show-secrets", MAC_B, "00-1a-e8-00-00-0a", NULL }, 0,
      { "secret-1", "secret-2", "Security and Passwords", "Keys and Lines", NULL }, { NULL }, NULL },
    { { "diff", MAC_B, "office", NULL }, 0,
      { "profile office", "key-label-unicode[1]", "Line 200", "1 difference", NULL }, { "admin-pwd", NULL }, NULL },
    { { "diff", MAC_C, MAC_A, NULL }, 0, { "has the settings of", NULL }, { NULL }, NULL },
    { { "diff", "--json", MAC_B, MAC_A, NULL }, 0,
      { "\"category\" : \"sip\"", "\"copied\" : false", "\"other\" : \"<masked>\"", NULL }, { "secret-1", NULL }, NULL },
    { { "diff", MAC_B, "nowhere", NULL }, 2, { NULL }, { NULL }, "neither a phone nor a profile" },
    { { "diff", "00:1A:E8:99:99:99", MAC_A, NULL }, 2, { NULL }, { NULL }, "00:1A:E8:99:99:99" },
    { { "copy-settings", MAC_A, MAC_B, MAC_C, NULL }, 0,
      { MAC_B ": 3 items", MAC_C ": nothing to change", "Nothing queued", "<masked>", NULL },
      { "configuration-changed-flag", "secret-1", NULL }, NULL },
    { { "copy-settings", "--json", "--show-secrets", MAC_A, MAC_B, NULL }, 0,
      { "\"phone\" : \"" MAC_B "\"", "\"value\" : \"secret-1\"", NULL }, { "Nothing queued", NULL }, NULL },
    { { "copy-settings", MAC_A, MAC_A, NULL }, 2, { NULL }, { NULL }, "the phone the settings come from" },
    { { "copy-settings", MAC_A, MAC_B, "001ae800000b", NULL }, 1, { NULL }, { NULL }, "named twice" },
    { { "copy-settings", MAC_A, "nonsense", NULL }, 2, { NULL }, { NULL }, "not a MAC address" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_test_message ("case %u: %s", i, cases[i].args[0]);
      g_assert_cmpint (run_wpictl (fixture, cases[i].args, &out, &err), ==, cases[i].status);
      for (guint j = 0; j < G_N_ELEMENTS (cases[i].out_has) && cases[i].out_has[j] != NULL; j++)
        test_util_assert_contains_all (out, cases[i].out_has[j], NULL);
      for (guint j = 0; j < G_N_ELEMENTS (cases[i].out_lacks) && cases[i].out_lacks[j] != NULL; j++)
        if (strstr (out, cases[i].out_lacks[j]) != NULL)
          g_error ("case %u: “%s” in:\n%s", i, cases[i].out_lacks[j], out);
      if (cases[i].err_has != NULL)
        test_util_assert_contains_all (err, cases[i].err_has, NULL);
      else
        g_assert_cmpstr (err, ==, "");
    }
  g_assert_cmpuint (count_pending_jobs (fixture->store), ==, 0);
}

/* --yes queues one write-items job for the phone that differs, of the writable
 * differences only, and none for the phone that agrees */
static void
test_wpictl_copy_settings (TestUtilStore *fixture,
                           gconstpointer  data)
{
  const char *args[] = { "copy-settings", "--yes", MAC_A, MAC_B, MAC_C, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  const WpiJobRecord *job;
  static const char *const names[] = { "sip-transport-user", "key-label-unicode", "admin-pwd" };

  g_assert_cmpint (run_wpictl (fixture, args, &out, &err), ==, 0);
  g_assert_cmpstr (err, ==, "");
  jobs = wpi_store_job_list_pending (fixture->store, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jobs->len, ==, 1);
  job = g_ptr_array_index (jobs, 0);
  g_assert_cmpstr (job->mac, ==, MAC_B);
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_WRITE_ITEMS);
  g_assert_cmpuint (job->items->len, ==, G_N_ELEMENTS (names));
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpstr (g_array_index (job->items, WpiStoreItem, i).name, ==, names[i]);
  {
    g_autofree char *id_line = g_strdup_printf ("\n%" G_GINT64_FORMAT "\n", job->id);
    test_util_assert_contains_all (out, id_line, NULL);
  }
}

static void
test_wpictl_dhcp_option (TestUtilStore *fixture,
                         gconstpointer  data)
{
  static const struct {
    const char *args[3];
    int         status;
    const char *expected;
  } cases[] = {
    { { "dhcp-option", "192.168.2.19", NULL }, 0,
      "01 07 53 69 65 6D 65 6E 73 03 19 73 64 6C 70 3A 2F 2F 31 39 32 2E 31 36 38 2E 32 2E 31 39 3A 31 38 34 34 33 FF" },
    { { "dhcp-option", "192.168.2.19", NULL }, 0, "dhcp-option=43,01:07:53:69:65:6D:65:6E:73:03:19" },
    { { "dhcp-option", "2001:db8::5", NULL }, 0, "sdlp://[2001:db8::5]:18443" },
    { { "dhcp-option", "phones.example", NULL }, 2, "not an IP address" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (run_wpictl (fixture, cases[i].args, &out, &err), ==, cases[i].status);
      test_util_assert_contains_all (cases[i].status == 0 ? out : err, cases[i].expected, NULL);
    }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  wpictl_path = test_util_built_program ("app", "wpictl");

  g_test_add ("/wpictl/diff-output", TestUtilStore, NULL, fixture_setup, test_wpictl_diff_output,
              test_util_store_teardown);
  g_test_add ("/wpictl/copy-settings", TestUtilStore, NULL, fixture_setup, test_wpictl_copy_settings,
              test_util_store_teardown);
  g_test_add ("/wpictl/dhcp-option", TestUtilStore, NULL, fixture_setup, test_wpictl_dhcp_option,
              test_util_store_teardown);

  status = g_test_run ();
  g_free (wpictl_path);
  return status;
}
