/* test-handout.c: the PIN handout on a real store and PKI in a temporary directory
 *
 * Bulk preparation (progress, failures, cancellation, 500 phones without a bundle built),
 * the store afterwards, the CSV both ways, the PDF read back with pdftotext/pdfinfo, and
 * a bulk handout killed with SIGKILL that must not lose a PIN it had shown.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairo.h>
#include <glib/gstdio.h>

#include "wpi-handout.h"
#include "wpi-pin.h"
#include "test-util.h"

#define WAIT_TIMEOUT (60 * G_TIME_SPAN_SECOND)
#define KILL_CHILD_ARG "--bulk-child"
#define KILL_PHONES 30
#define KILL_AFTER 8

static const char *self_path;

typedef struct {
  char     *data_dir;
  WpiStore *store;
  WpiPki   *pki;
} Fixture;

static char *
phone_mac (guint index)
{
  return g_strdup_printf ("00:1A:E8:00:%02X:%02X", (index >> 8) & 0xff, index & 0xff);
}

static WpiPki *
open_pki (const char *data_dir)
{
  g_autofree char *dir = g_build_filename (data_dir, "pki", NULL);
  g_autoptr(GError) error = NULL;
  WpiPki *pki = wpi_pki_new (dir, NULL, &error);

  g_assert_no_error (error);
  return pki;
}

static void
add_phone (WpiStore     *store,
           const char   *mac,
           const char   *e164,
           const char   *model,
           const char   *location,
           WpiPhoneMode  mode)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (mac);
  g_autoptr(GError) error = NULL;

  phone->e164 = g_strdup (e164);
  phone->device_type = g_strdup (model);
  phone->location = g_strdup (location);
  phone->mode = mode;
  wpi_store_phone_upsert (store, phone,
                          WPI_PHONE_FIELD_E164 | WPI_PHONE_FIELD_DEVICE_TYPE |
                          WPI_PHONE_FIELD_LOCATION | WPI_PHONE_FIELD_MODE,
                          NULL, &error);
  g_assert_no_error (error);
}

/* n phones 00:1A:E8:00:00:00 …, numbered +4989700000, half of them with a location */
static void
add_phones (Fixture *f,
            guint    n)
{
  g_autoptr(GError) error = NULL;

  /* one commit, not one fsync per phone */
  wpi_store_transaction_begin (f->store, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *mac = phone_mac (i);
      g_autofree char *e164 = g_strdup_printf ("+49897%05u", i);
      g_autofree char *location = g_strdup_printf ("Room %u.%02u", i / 10 + 1, i);

      add_phone (f->store, mac, e164, i % 2 ? "OpenStage 60" : "OpenStage 40",
                 i % 2 ? location : NULL, WPI_PHONE_MODE_DEFAULT);
    }
  wpi_store_transaction_commit (f->store, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->data_dir = test_util_make_tmp_dir ("wpi-handout");
  f->store = wpi_store_open (f->data_dir, &error);
  g_assert_no_error (error);
  f->pki = open_pki (f->data_dir);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  g_clear_object (&f->pki);
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
}

/* Every bootstrap job has exactly one PIN (unless it is a no-PIN one) and every PIN
 * its job: nothing half-written. Returns the number of bootstrap jobs. */
static guint
assert_jobs_and_pins_complete (WpiStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) jobs = wpi_store_job_list (store, NULL, &error);
  g_autoptr(GPtrArray) pins = NULL;
  g_autoptr(GHashTable) pin_jobs = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint n_bootstrap = 0;

  g_assert_no_error (error);
  pins = wpi_store_pin_list (store, FALSE, &error);
  g_assert_no_error (error);
  wpi_store_check_integrity (store, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < pins->len; i++)
    {
      WpiPinRecord *pin = g_ptr_array_index (pins, i);
      g_autoptr(WpiJobRecord) job = NULL;

      g_assert_cmpint (pin->job_id, >, 0);
      g_assert_false (g_hash_table_contains (pin_jobs, &pin->job_id));
      g_hash_table_add (pin_jobs, &pin->job_id);
      job = wpi_store_job_get (store, pin->job_id, &error);
      g_assert_no_error (error);
      g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_BOOTSTRAP);
      g_assert_cmpstr (job->mac, ==, pin->mac);
      g_assert_cmpstr (job->parameter, ==, WPI_BOOTSTRAP_PARAMETER_PIN);
    }

  for (guint i = 0; i < jobs->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (jobs, i);

      if (job->kind != WPI_JOB_KIND_BOOTSTRAP)
        continue;
      n_bootstrap++;
      if (g_strcmp0 (job->parameter, WPI_BOOTSTRAP_PARAMETER_PIN) == 0)
        g_assert_true (g_hash_table_contains (pin_jobs, &job->id));
    }

  return n_bootstrap;
}

/* The entry's job and PIN are in the store as the entry says. */
static WpiJobState
job_state (Fixture *f,
           gint64   id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = wpi_store_job_get (f->store, id, &error);

  g_assert_no_error (error);
  return job->state;
}

/* The handout queued its phones without building a bundle: the jobs hold their recipes
 * (wpi-bootstrap.h), no certificate was issued, no key generated */
static void
assert_no_bundle_built (Fixture                *f,
                        const WpiHandoutResult *result)
{
  g_assert_cmpint (result->timings.key_us, ==, 0);
  g_assert_cmpint (result->timings.sign_us, ==, 0);
  g_assert_cmpint (result->timings.export_us, ==, 0);
  for (guint i = 0; i < result->entries->len; i++)
    {
      const WpiHandoutEntry *entry = g_ptr_array_index (result->entries, i);
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiJobRecord) job = wpi_store_job_get (f->store, entry->job_id, &error);
      g_autoptr(WpiClientCert) cert = NULL;

      g_assert_no_error (error);
      g_assert_true (wpi_bootstrap_job_needs_bundle (job));
      cert = wpi_pki_lookup_client_cert (f->pki, entry->mac, &error);
      g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND);
      g_assert_null (cert);
    }
}

static void
assert_entry_stored (WpiStore              *store,
                     const WpiHandoutEntry *entry,
                     WpiPinState            state)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = wpi_store_job_get (store, entry->job_id, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (job->mac, ==, entry->mac);
  g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_BOOTSTRAP);
  g_assert_cmpint (job->state, ==, WPI_JOB_STATE_QUEUED);

  if (entry->pin != NULL)
    {
      g_autoptr(WpiPinRecord) pin = wpi_store_pin_get (store, entry->pin_id, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (pin->pin, ==, entry->pin);
      g_assert_cmpstr (pin->mac, ==, entry->mac);
      g_assert_cmpint (pin->job_id, ==, entry->job_id);
      g_assert_cmpint (pin->state, ==, state);
      g_assert_cmpstr (job->parameter, ==, WPI_BOOTSTRAP_PARAMETER_PIN);
    }
  else
    {
      g_assert_cmpint (entry->pin_id, ==, 0);
      g_assert_cmpstr (job->parameter, ==, WPI_BOOTSTRAP_PARAMETER_NOPIN);
    }
}

/* ---- Selection ------------------------------------------------------------------- */

static void
test_select (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) all = NULL;
  g_auto(GStrv) plain = NULL;
  g_auto(GStrv) matching = NULL;
  g_auto(GStrv) listed = NULL;
  const char *macs[] = { "001ae8000002", "00-1A-E8-00-00-01", "00:1a:e8:00:00:02", NULL };
  const char *unknown[] = { "00:1A:E8:00:00:01", "00:1A:E8:99:99:99", NULL };
  const char *invalid[] = { "00:1A:E8:00:00:01", "not-a-mac", NULL };

  add_phone (f->store, "00:1A:E8:00:00:01", "+498970001", "OpenStage 60", "Room 2.14", WPI_PHONE_MODE_DEFAULT);
  add_phone (f->store, "00:1A:E8:00:00:02", "+498970002", "OpenStage 40", "Reception", WPI_PHONE_MODE_SECURE);
  add_phone (f->store, "00:1A:E8:00:00:03", NULL, "OpenStage 60", NULL, WPI_PHONE_MODE_DEFAULT);

  all = wpi_handout_select_all (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (all), ==, 3);

  plain = wpi_handout_select_default_mode (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (plain), ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) plain, "00:1A:E8:00:00:01"));
  g_assert_true (g_strv_contains ((const char * const *) plain, "00:1A:E8:00:00:03"));

  /* Every word must match some field, in any case; MACs also without colons */
  matching = wpi_handout_select_matching (f->store, "openstage 60", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (matching), ==, 2);
  g_clear_pointer (&matching, g_strfreev);
  matching = wpi_handout_select_matching (f->store, "  ROOM   60 ", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (matching), ==, 1);
  g_assert_cmpstr (matching[0], ==, "00:1A:E8:00:00:01");
  g_clear_pointer (&matching, g_strfreev);
  matching = wpi_handout_select_matching (f->store, "1ae8000003", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (matching), ==, 1);
  g_assert_cmpstr (matching[0], ==, "00:1A:E8:00:00:03");
  g_clear_pointer (&matching, g_strfreev);
  matching = wpi_handout_select_matching (f->store, "+49897000", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (matching), ==, 2);
  g_clear_pointer (&matching, g_strfreev);
  matching = wpi_handout_select_matching (f->store, "reception 40 nowhere", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (matching), ==, 0);
  g_clear_pointer (&matching, g_strfreev);
  matching = wpi_handout_select_matching (f->store, "", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (matching), ==, 3);

  /* A list: normalised, each once, in the order given */
  listed = wpi_handout_select_macs (f->store, macs, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (listed), ==, 2);
  g_assert_cmpstr (listed[0], ==, "00:1A:E8:00:00:02");
  g_assert_cmpstr (listed[1], ==, "00:1A:E8:00:00:01");

  g_assert_null (wpi_handout_select_macs (f->store, unknown, &error));
  g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "00:1A:E8:99:99:99"));
  g_clear_error (&error);
  g_assert_null (wpi_handout_select_macs (f->store, invalid, &error));
  g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "not-a-mac"));
}

/* ---- Bulk preparation -------------------------------------------------------------- */

typedef struct {
  GThread          *thread;     /* where every report must arrive */
  guint             calls;
  guint             last_done;
  guint             total;
  guint             with_entry;
  GHashTable       *pins;       /* MAC -> PIN as reported */
  WpiHandoutResult *result;
  GError           *error;
  gboolean          finished;
  gboolean          report_after_finish;
} Progress;

static void
on_progress (guint                  done,
             guint                  total,
             const char            *mac,
             const WpiHandoutEntry *entry,
             gpointer               user_data)
{
  Progress *p = user_data;

  g_assert_true (g_thread_self () == p->thread);
  p->report_after_finish |= p->finished;
  p->calls++;
  g_assert_cmpuint (done, ==, p->last_done + 1);
  p->last_done = done;
  p->total = total;
  g_assert_nonnull (mac);
  if (entry != NULL)
    {
      g_assert_cmpstr (entry->mac, ==, mac);
      g_assert_cmpint (entry->job_id, >, 0);
      p->with_entry++;
      if (entry->pin != NULL)
        g_hash_table_insert (p->pins, g_strdup (mac), g_strdup (entry->pin));
    }
}

static void
on_prepared (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Progress *p = user_data;

  p->result = wpi_handout_prepare_finish (result, &p->error);
  p->finished = TRUE;
}

static void
wait_for (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*flag);
}

static WpiHandoutResult *
prepare_async (Fixture                   *f,
               const char * const        *macs,
               const WpiBootstrapOptions *options,
               Progress                  *p)
{
  p->thread = g_thread_self ();
  p->pins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  wpi_handout_prepare_async (f->data_dir, f->pki, macs, options, NULL, on_progress, p, on_prepared, p);
  wait_for (&p->finished);
  g_assert_no_error (p->error);
  g_assert_nonnull (p->result);
  /* Reports that were queued still run: spin until nothing is pending, then check */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (p->report_after_finish);
  return g_steal_pointer (&p->result);
}

/* The output of `tool path [last]` */
static char *
run_tool (const char *tool,
          const char *path,
          const char *last)
{
  const char *argv[] = { tool, path, last, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s %s failed: %s\n%s", tool, path, error->message, err);
  return g_steal_pointer (&out);
}

static char *
without_space (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

/* 2026-03-01 09:30 local time, in the middle of a day in every time zone's reach */
#define SAMPLE_ISSUED_US (G_GINT64_CONSTANT (1772357400) * G_USEC_PER_SEC)

/* "2026-03-01 09:30" as the CSV and the slips write entry's date */
static char *
issued_text (const WpiHandoutEntry *entry)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (entry->issued_us / G_USEC_PER_SEC);

  return g_date_time_format (time, "%Y-%m-%d %H:%M");
}

/* The text with every run of white space one space: pdftotext breaks lines where the
 * slip wraps them */
static char *
single_spaced (const char *text)
{
  g_auto(GStrv) words = g_strsplit_set (text, " \t\r\n\f", -1);
  GString *out = g_string_new (NULL);

  for (guint i = 0; words[i] != NULL; i++)
    if (*words[i] != '\0')
      {
        if (out->len > 0)
          g_string_append_c (out, ' ');
        g_string_append (out, words[i]);
      }
  return g_string_free (out, FALSE);
}

/* pdftotext finds every MAC and PIN (the PIN's groups joined again), location, date
 * issued and the tries the phone allows; pdfinfo the page size and count. */
static void
assert_pdf_holds (const char *path,
                  GPtrArray  *entries,
                  const char *page_size,
                  guint       n_pages)
{
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autofree char *pdfinfo = g_find_program_in_path ("pdfinfo");
  g_autofree char *text = NULL;
  g_autofree char *compact = NULL;
  g_autofree char *words = NULL;
  g_autofree char *info = NULL;
  const char *pages;
  struct stat st;

  /* poppler-utils (build-aux/debian-packages.txt) reads the PDF back */
  if (pdftotext == NULL || pdfinfo == NULL)
    {
      g_test_skip ("pdftotext or pdfinfo (poppler-utils) is missing: the PDF's text is not checked");
      return;
    }
  text = run_tool (pdftotext, path, "-");
  compact = without_space (text);
  words = single_spaced (text);
  info = run_tool (pdfinfo, path, NULL);
  pages = strstr (info, "Pages:");

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_nonnull (strstr (info, page_size));
  g_assert_nonnull (pages);
  g_assert_cmpuint (g_ascii_strtoull (pages + strlen ("Pages:"), NULL, 10), ==, n_pages);

  for (guint i = 0; i < entries->len; i++)
    {
      const WpiHandoutEntry *entry = g_ptr_array_index (entries, i);

      g_assert_nonnull (strstr (text, entry->mac));
      if (entry->pin != NULL)
        {
          g_autofree char *grouped = wpi_handout_format_pin (entry->pin);

          g_assert_nonnull (strstr (compact, entry->pin));
          g_assert_nonnull (strstr (text, grouped));
        }
      /* Wrapped, not cut short: pdftotext gives the words back with line breaks */
      if (entry->location != NULL)
        g_assert_nonnull (strstr (words, entry->location));
      if (entry->device_type != NULL)
        g_assert_nonnull (strstr (words, entry->device_type));
      if (entry->pin != NULL && entry->issued_us > 0)
        {
          g_autofree char *issued = issued_text (entry);

          g_assert_nonnull (strstr (text, issued));
        }
      /* How many tries the phone allows, and what to do when the PIN is refused */
      if (entry->pin != NULL && entry->max_retries > 0)
        {
          g_autofree char *tries = g_strdup_printf (entry->max_retries == 1 ? "allows %u try." : "allows %u tries.",
                                                    entry->max_retries);

          g_assert_nonnull (strstr (words, tries));
          g_assert_nonnull (strstr (words, "new slip"));
        }
    }
}

/* The PINs of the handout CSV at path, which must read without an error and hold n_pins */
static GHashTable *
read_pins (const char *path,
           guint       n_pins)
{
  g_autoptr(GError) error = NULL;
  GHashTable *pins = wpi_handout_read_csv (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (pins), ==, n_pins);
  return pins;
}

/* pins (read back from a CSV) holds each entry's PIN for its MAC */
static void
assert_pins_match (GHashTable *pins,
                   GPtrArray  *entries)
{
  for (guint i = 0; i < entries->len; i++)
    {
      const WpiHandoutEntry *entry = g_ptr_array_index (entries, i);

      g_assert_cmpstr (g_hash_table_lookup (pins, entry->mac), ==, entry->pin);
    }
}

static void
test_bulk (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GPtrArray) macs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(WpiHandoutResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = g_build_filename (f->data_dir, "handout.pdf", NULL);
  g_autofree char *csv = g_build_filename (f->data_dir, "handout.csv", NULL);
  g_autoptr(GHashTable) read_back = NULL;
  WpiBootstrapOptions options;
  Progress p = { 0 };

  add_phones (f, 10);
  for (guint i = 0; i < 10; i++)
    g_ptr_array_add (macs, phone_mac (9 - i));   /* backwards, to see the order kept */
  g_ptr_array_add (macs, g_strdup ("00-1a-e8-00-00-09"));   /* again, another form */
  g_ptr_array_add (macs, g_strdup ("00:1A:E8:77:77:77"));   /* not in the store */
  g_ptr_array_add (macs, g_strdup ("nonsense"));
  g_ptr_array_add (macs, NULL);

  wpi_bootstrap_options_init (&options);
  result = prepare_async (f, (const char * const *) macs->pdata, &options, &p);

  g_assert_false (result->cancelled);
  g_assert_cmpuint (result->n_requested, ==, 12);
  g_assert_cmpuint (p.calls, ==, 12);
  g_assert_cmpuint (p.total, ==, 12);
  g_assert_cmpuint (p.with_entry, ==, 10);
  g_assert_cmpuint (result->entries->len, ==, 10);
  g_assert_cmpuint (result->failures->len, ==, 2);
  assert_no_bundle_built (f, result);
  g_assert_cmpint (result->timings.store_us, >, 0);
  g_assert_cmpint (result->elapsed_us, >, 0);

  for (guint i = 0; i < result->failures->len; i++)
    {
      WpiHandoutFailure *failure = g_ptr_array_index (result->failures, i);

      if (g_strcmp0 (failure->mac, "00:1A:E8:77:77:77") == 0)
        g_assert_error (failure->error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND);
      else
        {
          g_assert_cmpstr (failure->mac, ==, "nonsense");
          g_assert_error (failure->error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID);
        }
    }

  for (guint i = 0; i < result->entries->len; i++)
    {
      const WpiHandoutEntry *entry = g_ptr_array_index (result->entries, i);
      g_autofree char *mac = phone_mac (9 - i);
      g_autofree char *e164 = g_strdup_printf ("+49897%05u", 9 - i);

      g_assert_cmpstr (entry->mac, ==, mac);
      g_assert_cmpstr (entry->e164, ==, e164);
      g_assert_cmpstr (entry->device_type, ==, (9 - i) % 2 ? "OpenStage 60" : "OpenStage 40");
      g_assert_true ((entry->location != NULL) == ((9 - i) % 2 == 1));
      g_assert_cmpuint (strlen (entry->pin), ==, WPI_PIN_DEFAULT_LENGTH);
      g_assert_cmpstr (g_hash_table_lookup (p.pins, entry->mac), ==, entry->pin);
      assert_entry_stored (f->store, entry, WPI_PIN_STATE_GENERATED);
    }
  g_assert_cmpuint (assert_jobs_and_pins_complete (f->store), ==, 10);

  /* The handout: PDF and CSV, then the PINs are handed out */
  wpi_handout_write_pdf (result->entries, pdf, WPI_HANDOUT_PAPER_A4, &error);
  g_assert_no_error (error);
  assert_pdf_holds (pdf, result->entries, "595 x 842 pts (A4)", 1);

  wpi_handout_write_csv (result->entries, csv, &error);
  g_assert_no_error (error);
  read_back = read_pins (csv, 10);
  assert_pins_match (read_back, result->entries);

  wpi_handout_mark_handed_out (f->store, result->entries, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < result->entries->len; i++)
    assert_entry_stored (f->store, g_ptr_array_index (result->entries, i), WPI_PIN_STATE_HANDED_OUT);

  g_hash_table_unref (p.pins);
}

static void
test_bulk_nopin (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(WpiHandoutResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) macs = NULL;
  g_autofree char *pdf = g_build_filename (f->data_dir, "nopin.pdf", NULL);
  g_autofree char *csv = g_build_filename (f->data_dir, "nopin.csv", NULL);
  g_autoptr(GHashTable) read_back = NULL;
  g_autoptr(GPtrArray) pins = NULL;
  WpiBootstrapOptions options;
  Progress p = { 0 };

  add_phones (f, 2);
  macs = wpi_handout_select_all (f->store, &error);
  g_assert_no_error (error);

  wpi_bootstrap_options_init (&options);
  options.with_pin = FALSE;
  result = prepare_async (f, (const char * const *) macs, &options, &p);
  g_assert_cmpuint (result->entries->len, ==, 2);
  g_assert_cmpuint (result->failures->len, ==, 0);
  assert_no_bundle_built (f, result);
  for (guint i = 0; i < result->entries->len; i++)
    {
      const WpiHandoutEntry *entry = g_ptr_array_index (result->entries, i);

      g_assert_null (entry->pin);
      assert_entry_stored (f->store, entry, WPI_PIN_STATE_GENERATED);
    }
  pins = wpi_store_pin_list (f->store, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pins->len, ==, 0);

  /* Slips say no PIN is needed; the CSV has empty PINs, which the reader skips */
  wpi_handout_write_pdf (result->entries, pdf, WPI_HANDOUT_PAPER_LETTER, &error);
  g_assert_no_error (error);
  assert_pdf_holds (pdf, result->entries, "612 x 792 pts (letter)", 1);
  wpi_handout_write_csv (result->entries, csv, &error);
  g_assert_no_error (error);
  read_back = read_pins (csv, 0);
  /* Nothing to mark */
  wpi_handout_mark_handed_out (f->store, result->entries, &error);
  g_assert_no_error (error);

  g_hash_table_unref (p.pins);
}

typedef struct {
  GCancellable *cancellable;
  guint         cancel_at;
  guint         calls;
  guint         entries;
} CancelAt;

static void
cancel_at_progress (guint                  done,
                    guint                  total,
                    const char            *mac,
                    const WpiHandoutEntry *entry,
                    gpointer               user_data)
{
  CancelAt *c = user_data;

  c->calls++;
  c->entries += entry != NULL;
  if (done == c->cancel_at)
    g_cancellable_cancel (c->cancellable);
}

/* Cancelled between phones (the progress of a batch comes after its commit, D9): the
 * phones before it are queued with their PINs, the others untouched, nothing in between.
 * More phones than one transaction takes, so that the cancel lands in the middle. */
#define CANCEL_PHONES 100

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_auto(GStrv) macs = NULL;
  g_autoptr(WpiHandoutResult) result = NULL;
  g_autoptr(GPtrArray) pins = NULL;
  g_autoptr(GError) error = NULL;
  WpiBootstrapOptions options;
  CancelAt c = { cancellable, 3, 0, 0 };

  add_phones (f, CANCEL_PHONES);
  macs = wpi_handout_select_default_mode (f->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (macs), ==, CANCEL_PHONES);

  /* The blocking form reports on this thread, so the cancel lands after the third
   * phone's report, before the next transaction */
  wpi_bootstrap_options_init (&options);
  result = wpi_handout_prepare (f->data_dir, f->pki, (const char * const *) macs, &options,
                                cancellable, cancel_at_progress, &c, &error);
  g_assert_no_error (error);
  g_assert_true (result->cancelled);
  g_assert_cmpuint (result->n_requested, ==, CANCEL_PHONES);
  g_assert_cmpuint (c.calls, ==, c.entries);
  g_assert_cmpuint (c.entries, >=, 3);
  g_assert_cmpuint (c.entries, <, CANCEL_PHONES);
  g_assert_cmpuint (result->entries->len, ==, c.entries);
  g_assert_cmpuint (result->failures->len, ==, 0);
  for (guint i = 0; i < result->entries->len; i++)
    assert_entry_stored (f->store, g_ptr_array_index (result->entries, i), WPI_PIN_STATE_GENERATED);

  g_assert_cmpuint (assert_jobs_and_pins_complete (f->store), ==, c.entries);
  pins = wpi_store_pin_list (f->store, FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pins->len, ==, c.entries);

  /* Cancelled before it began: nothing at all */
  g_clear_pointer (&result, wpi_handout_result_free);
  result = wpi_handout_prepare (f->data_dir, f->pki, (const char * const *) macs, &options,
                                cancellable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (result->cancelled);
  g_assert_cmpuint (result->entries->len, ==, 0);
  g_assert_cmpuint (assert_jobs_and_pins_complete (f->store), ==, c.entries);
}

/* Issue 11 §2: the PINs of 500 phones are committed and shown at once; no bundle is
 * built for them (the service does that when each phone needs its own). */
#define MANY_PHONES 500

static void
test_many (Fixture       *f,
           gconstpointer  data)
{
  g_auto(GStrv) macs = NULL;
  g_autoptr(WpiHandoutResult) result = NULL;
  g_autoptr(GError) error = NULL;
  WpiBootstrapOptions options;

  add_phones (f, MANY_PHONES);
  macs = wpi_handout_select_all (f->store, &error);
  g_assert_no_error (error);

  wpi_bootstrap_options_init (&options);
  result = wpi_handout_prepare (f->data_dir, f->pki, (const char * const *) macs, &options, NULL, NULL,
                                NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->entries->len, ==, MANY_PHONES);
  g_assert_cmpuint (result->failures->len, ==, 0);
  g_test_message ("%u PINs in %.3f s", MANY_PHONES, result->elapsed_us / (double) G_USEC_PER_SEC);
  assert_no_bundle_built (f, result);
  g_assert_cmpuint (assert_jobs_and_pins_complete (f->store), ==, MANY_PHONES);
}

static void
test_no_store (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *root = test_util_make_tmp_dir ("wpi-handout");
  g_autofree char *file = g_build_filename (root, "plain-file", NULL);
  g_autoptr(WpiPki) pki = NULL;
  g_autoptr(WpiHandoutResult) result = NULL;
  const char *macs[] = { "00:1A:E8:00:00:01", NULL };
  WpiBootstrapOptions options;

  g_assert_no_error (error);
  pki = open_pki (root);
  g_file_set_contents (file, "x", -1, &error);
  g_assert_no_error (error);

  /* A data directory that is a file: the run cannot start */
  wpi_bootstrap_options_init (&options);
  result = wpi_handout_prepare (file, pki, macs, &options, NULL, NULL, NULL, &error);
  g_assert_null (result);
  g_assert_nonnull (error);

  g_clear_object (&pki);
  test_util_remove_tree (root);
}

/* A PIN re-issued after the handout was made cannot be marked handed out. */
static void
test_mark_stale (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_handout_entry_free);
  g_autoptr(WpiPinRecord) first = NULL;
  g_autoptr(WpiPinRecord) second = NULL;
  g_autofree char *pin1 = NULL;
  g_autofree char *pin2 = NULL;
  WpiBootstrapOptions options;
  gint64 job1, job2;

  add_phones (f, 1);
  wpi_bootstrap_options_init (&options);
  job1 = wpi_bootstrap_prepare (f->store, "00:1A:E8:00:00:00", &options, &pin1, &error);
  g_assert_no_error (error);
  first = wpi_store_pin_get_current (f->store, "00:1A:E8:00:00:00", &error);
  g_assert_no_error (error);

  /* pin_id unknown: found as the phone's current PIN */
  g_ptr_array_add (entries, wpi_handout_entry_new ("00:1A:E8:00:00:00", NULL, NULL, NULL, pin1, job1, 0));
  wpi_handout_mark_handed_out (f->store, entries, &error);
  g_assert_no_error (error);

  job2 = wpi_bootstrap_prepare (f->store, "00:1A:E8:00:00:00", &options, &pin2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (job2, >, job1);
  /* The re-issue voided the bootstrap that was waiting: its bundle never goes out */
  g_assert_cmpint (job_state (f, job1), ==, WPI_JOB_STATE_CANCELLED);
  g_assert_cmpint (job_state (f, job2), ==, WPI_JOB_STATE_QUEUED);
  second = wpi_store_pin_get_current (f->store, "00:1A:E8:00:00:00", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (second->pin, ==, pin2);

  g_ptr_array_set_size (entries, 0);
  g_ptr_array_add (entries, wpi_handout_entry_new ("00:1A:E8:00:00:00", NULL, NULL, NULL, pin1, job1, first->id));
  g_assert_false (wpi_handout_mark_handed_out (f->store, entries, &error));
  g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_STALE);
  g_assert_null (strstr (error->message, pin1));
  g_clear_error (&error);

  /* Without pin_id the old PIN is not the current one either */
  g_ptr_array_set_size (entries, 0);
  g_ptr_array_add (entries, wpi_handout_entry_new ("00:1A:E8:00:00:00", NULL, NULL, NULL, pin1, job1, 0));
  g_assert_false (wpi_handout_mark_handed_out (f->store, entries, &error));
  g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_STALE);
  g_clear_error (&error);

  g_clear_pointer (&second, wpi_pin_record_free);
  second = wpi_store_pin_get_current (f->store, "00:1A:E8:00:00:00", &error);
  g_assert_no_error (error);
  g_assert_cmpint (second->state, ==, WPI_PIN_STATE_GENERATED);
}

/* ---- CSV --------------------------------------------------------------------------- */


/* A model name longer than a slip is wide, which must wrap rather than be cut short */
#define LONG_MODEL "OpenScape Desk Phone CP600 with OpenScape Key Module 600 and a long name"

static GPtrArray *
sample_entries (guint n)
{
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_handout_entry_free);
  static const char *locations[] = {
    "Room 2.14", "Sales, 3rd floor", "The \"quiet\" room", "Line one\nline two", " spaced ", NULL,
  };

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *mac = phone_mac (i);
      g_autofree char *e164 = i % 4 == 3 ? NULL : g_strdup_printf ("+49897%05u", i);
      g_autoptr(GError) error = NULL;
      /* Lengths 8 to 20, so that grouping and fitting see every case */
      g_autofree char *pin = wpi_pin_generate (WPI_PIN_MIN_LENGTH + i % (WPI_PIN_MAX_LENGTH - WPI_PIN_MIN_LENGTH + 1),
                                               &error);
      WpiHandoutEntry *entry;

      g_assert_no_error (error);
      /* The first PIN begins with a zero, which a bare number would lose */
      entry = wpi_handout_entry_new (mac, e164, i == 7 ? LONG_MODEL : i % 3 ? "OpenStage 60 T" : NULL,
                                     locations[i % G_N_ELEMENTS (locations)],
                                     i == 5 ? NULL : i == 0 ? "076334477974" : pin, 100 + i, 0);
      entry->issued_us = SAMPLE_ISSUED_US + i * G_USEC_PER_SEC * 60;
      entry->max_retries = 1 + i % 5;
      if (entry->pin != NULL)
        entry->state = g_strdup ("generated");
      g_ptr_array_add (entries, entry);
    }
  return entries;
}

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
test_csv (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = sample_entries (12);
  g_autofree char *path = g_build_filename (f->data_dir, "pins.csv", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GHashTable) pins = NULL;
  g_autoptr(GError) error = NULL;
  struct stat st;

  wpi_handout_write_csv (entries, path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (contents, "mac,e164,model,location,state,issued,pin\r\n"));
  g_assert_nonnull (strstr (contents, ",\"Sales, 3rd floor\","));
  g_assert_nonnull (strstr (contents, ",\"The \"\"quiet\"\" room\","));
  g_assert_nonnull (strstr (contents, ",\"Line one\nline two\","));
  g_assert_nonnull (strstr (contents, ",\" spaced \","));
  /* The PIN grouped as on the slip, so that a spreadsheet keeps its leading zero; the
   * state and the date it was issued before it */
  {
    g_autofree char *issued0 = issued_text (g_ptr_array_index (entries, 0));
    g_autofree char *issued5 = issued_text (g_ptr_array_index (entries, 5));
    g_autofree char *line0 = g_strdup_printf ("\r\n00:1A:E8:00:00:00,+4989700000,,Room 2.14,generated,%s,"
                                              "076 334 477 974\r\n", issued0);
    g_autofree char *line5 = g_strdup_printf ("\r\n00:1A:E8:00:00:05,+4989700005,OpenStage 60 T,,,%s,\r\n",
                                              issued5);

    g_assert_nonnull (strstr (contents, line0));
    g_assert_nonnull (strstr (contents, line5));
    g_assert_null (strstr (contents, "076334477974"));
  }

  pins = read_pins (path, 11);
  assert_pins_match (pins, entries);
  g_assert_cmpstr (g_hash_table_lookup (pins, "00:1A:E8:00:00:00"), ==, "076334477974");

  /* Overwriting replaces the file atomically and keeps it private */
  g_chmod (path, 0644);
  g_ptr_array_set_size (entries, 2);
  wpi_handout_write_csv (entries, path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_clear_pointer (&pins, g_hash_table_unref);
  pins = read_pins (path, 2);
}

static void
test_csv_read_forms (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->data_dir, "in.csv", NULL);
  g_autoptr(GHashTable) pins = NULL;
  g_autoptr(GError) error = NULL;
  /* each a parse error; the line it names and the PIN it must not show, if any */
  struct { const char *text; const char *line; const char *pin; } refused[] = {
    { "mac,pin\n00:1A:E8:00:00:01,\"123456789012\n", "line 2", "123456789012" },
    { "mac,pin\n00:1A:E8:00:00:01,123456789012\n123456789012,00:1A:E8:00:00:02\n", "line 3", "123456789012" },
    { "mac,pin\n00:1A:E8:00:00:01,1234567\n", NULL, "1234567" },
    { "mac,pin\n00:1A:E8:00:00:01,12345678x9\n", NULL, NULL },
    { "mac,e164\n00:1A:E8:00:00:01,+4989\n", NULL, NULL },
  };

  /* A spreadsheet's export: BOM, other column order, quoted everything, LF, PINs
   * grouped, MACs in every form, a blank line, a later line wins */
  write_text (path,
              "\xEF\xBB\xBF\"Location\",\"PIN\",\"Number\",\"MAC\"\n"
              "\"Room, 1\",\"482 913 775 301\",\"+49\",\"001ae8000001\"\n"
              "\n"
              "\"x\",\"1234-5678-9012\",\"\",\"00-1A-E8-00-00-02\"\n"
              "\"\",\"\",\"\",\"00:1a:e8:00:00:03\"\n"
              "y,11112222,,00:1A:E8:00:00:02");
  pins = read_pins (path, 2);
  g_assert_cmpstr (g_hash_table_lookup (pins, "00:1A:E8:00:00:01"), ==, "482913775301");
  g_assert_cmpstr (g_hash_table_lookup (pins, "00:1A:E8:00:00:02"), ==, "11112222");
  g_clear_pointer (&pins, g_hash_table_unref);

  /* No header: MAC first, PIN last; CRLF and a field with a quoted line break */
  write_text (path,
              "00:1A:E8:00:00:01,\"two\r\nlines\",123456789012\r\n"
              "00:1A:E8:00:00:02,98765432101234567890\r\n");
  pins = read_pins (path, 2);
  g_assert_cmpstr (g_hash_table_lookup (pins, "00:1A:E8:00:00:01"), ==, "123456789012");
  g_assert_cmpstr (g_hash_table_lookup (pins, "00:1A:E8:00:00:02"), ==, "98765432101234567890");
  g_clear_pointer (&pins, g_hash_table_unref);

  /* The handout CSV before issue 11: the PIN a bare number, no state or issued */
  write_text (path,
              "mac,e164,model,location,pin\r\n"
              "00:1A:E8:00:00:01,+4989,OpenStage 60 T,Room 1,076334477974\r\n"
              "00:1A:E8:00:00:02,,,,\r\n");
  pins = read_pins (path, 1);
  g_assert_cmpstr (g_hash_table_lookup (pins, "00:1A:E8:00:00:01"), ==, "076334477974");
  g_clear_pointer (&pins, g_hash_table_unref);

  /* An empty file is an empty handout */
  write_text (path, "");
  pins = read_pins (path, 0);
  g_clear_pointer (&pins, g_hash_table_unref);

  /* Errors name the line and never show a PIN */
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_test_message ("refused CSV %u", i);
      write_text (path, refused[i].text);
      g_assert_null (wpi_handout_read_csv (path, &error));
      g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_PARSE);
      if (refused[i].line != NULL)
        g_assert_nonnull (strstr (error->message, refused[i].line));
      if (refused[i].pin != NULL)
        g_assert_null (strstr (error->message, refused[i].pin));
      g_clear_error (&error);
    }

  g_unlink (path);
  g_assert_null (wpi_handout_read_csv (path, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* ---- Slips and PDF ----------------------------------------------------------------- */

static void
test_format_pin (void)
{
  struct { const char *pin; const char *grouped; } cases[] = {
    { "482913775301", "482 913 775 301" },
    { "12345678", "12 345 678" },
    { "1234567890", "1 234 567 890" },
    { "12345678901234567890", "12 345 678 901 234 567 890" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *grouped = wpi_handout_format_pin (cases[i].pin);

      g_assert_cmpstr (grouped, ==, cases[i].grouped);
    }
}

static void
test_layout (void)
{
  WpiHandoutLayout layout;
  double width, height;

  wpi_handout_paper_get_size (WPI_HANDOUT_PAPER_A4, &width, &height);
  g_assert_cmpfloat (width, ==, 595);
  g_assert_cmpfloat (height, ==, 842);
  wpi_handout_layout (&layout, width, height);
  g_assert_cmpuint (layout.columns, ==, 2);
  g_assert_cmpuint (layout.rows, ==, 5);
  g_assert_cmpuint (wpi_handout_layout_get_slips_per_page (&layout), ==, 10);
  g_assert_cmpuint (wpi_handout_layout_get_n_pages (&layout, 0), ==, 0);
  g_assert_cmpuint (wpi_handout_layout_get_n_pages (&layout, 10), ==, 1);
  g_assert_cmpuint (wpi_handout_layout_get_n_pages (&layout, 11), ==, 2);

  wpi_handout_paper_get_size (WPI_HANDOUT_PAPER_LETTER, &width, &height);
  g_assert_cmpfloat (width, ==, 612);
  g_assert_cmpfloat (height, ==, 792);
  wpi_handout_layout (&layout, width, height);
  g_assert_cmpuint (layout.columns * layout.rows, ==, 10);

  /* Every slip inside the page, none overlapping the next */
  for (guint slot = 0; slot < 10; slot++)
    {
      double x, y;

      wpi_handout_layout_get_slip_origin (&layout, slot, &x, &y);
      g_assert_cmpfloat (x, >=, layout.margin);
      g_assert_cmpfloat (y, >=, layout.margin);
      g_assert_cmpfloat (x + layout.slip_width, <=, width - layout.margin + 0.001);
      g_assert_cmpfloat (y + layout.slip_height, <=, height - layout.margin + 0.001);
    }

  /* A tiny printable area still gets one slip a page */
  g_assert_cmpuint (wpi_handout_get_n_pages (3, 100, 100), ==, 3);
}

/* What GtkPrintOperation::draw-page does: a cairo_t of the printable area. */
static void
test_draw_page (void)
{
  g_autoptr(GPtrArray) entries = sample_entries (11);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 540, 760);
  cairo_t *cr = cairo_create (surface);
  guint n_pages = wpi_handout_get_n_pages (entries->len, 540, 760);
  guint dark_before, dark_after;
  unsigned char *pixels;
  int stride;

  g_assert_cmpuint (n_pages, ==, 2);
  for (guint page = 0; page < n_pages + 1; page++)
    {
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_paint (cr);
      cairo_surface_flush (surface);
      pixels = cairo_image_surface_get_data (surface);
      stride = cairo_image_surface_get_stride (surface);
      dark_before = 0;
      for (int y = 0; y < 760; y++)
        for (int x = 0; x < 540; x++)
          dark_before += pixels[y * stride + 4 * x] < 128;

      wpi_handout_draw_page (cr, 540, 760, entries, page);
      g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
      cairo_surface_flush (surface);

      dark_after = 0;
      for (int y = 0; y < 760; y++)
        for (int x = 0; x < 540; x++)
          dark_after += pixels[y * stride + 4 * x] < 128;
      /* Pages with slips have ink; the page past the end stays blank */
      if (page < n_pages)
        g_assert_cmpuint (dark_after, >, dark_before + 1000);
      else
        g_assert_cmpuint (dark_after, ==, dark_before);
    }

  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static void
test_pdf (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = sample_entries (23);
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autofree char *a4 = g_build_filename (f->data_dir, "a4.pdf", NULL);
  g_autofree char *letter = g_build_filename (f->data_dir, "letter.pdf", NULL);
  g_autofree char *missing = g_build_filename (f->data_dir, "no-such-dir", "x.pdf", NULL);
  g_autoptr(GError) error = NULL;

  /* Locations with line breaks do not come back from pdftotext as they went in */
  for (guint i = 0; i < entries->len; i++)
    {
      WpiHandoutEntry *entry = g_ptr_array_index (entries, i);

      if (entry->location != NULL && strchr (entry->location, '\n') != NULL)
        g_clear_pointer (&entry->location, g_free);
      if (entry->location != NULL)
        {
          g_autofree char *stripped = g_strstrip (g_strdup (entry->location));

          g_free (entry->location);
          entry->location = g_steal_pointer (&stripped);
        }
    }

  wpi_handout_write_pdf (entries, a4, WPI_HANDOUT_PAPER_A4, &error);
  g_assert_no_error (error);
  assert_pdf_holds (a4, entries, "595 x 842 pts (A4)", 3);

  wpi_handout_write_pdf (entries, letter, WPI_HANDOUT_PAPER_LETTER, &error);
  g_assert_no_error (error);
  assert_pdf_holds (letter, entries, "612 x 792 pts (letter)", 3);

  g_assert_false (wpi_handout_write_pdf (none, a4, WPI_HANDOUT_PAPER_A4, &error));
  g_assert_error (error, WPI_HANDOUT_ERROR, WPI_HANDOUT_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (wpi_handout_write_pdf (entries, missing, WPI_HANDOUT_PAPER_A4, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

/* ---- kill -9 ------------------------------------------------------------------------ */

static void
child_progress (guint                  done,
                guint                  total,
                const char            *mac,
                const WpiHandoutEntry *entry,
                gpointer               user_data)
{
  g_autofree char *line = NULL;
  gsize length;
  gsize written = 0;

  if (entry == NULL || entry->pin == NULL)
    return;
  /* Shown enough: the parent kills the child here, in the middle of the handout */
  if (++*(guint *) user_data > KILL_AFTER)
    for (;;)
      pause ();

  /* The PIN is shown: straight to the pipe, no stdio buffer in between */
  line = g_strdup_printf ("%s %s %" G_GINT64_FORMAT "\n", entry->mac, entry->pin, entry->job_id);
  length = strlen (line);
  while (written < length)
    {
      ssize_t n = write (STDOUT_FILENO, line + written, length - written);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        _exit (3);
      written += n;
    }
}

static int
bulk_child (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) pki = open_pki (data_dir);
  g_autoptr(WpiStore) store = wpi_store_open (data_dir, &error);
  g_autoptr(WpiHandoutResult) result = NULL;
  g_auto(GStrv) macs = NULL;
  WpiBootstrapOptions options;
  guint shown = 0;

  if (store == NULL)
    g_error ("%s", error->message);
  macs = wpi_handout_select_all (store, &error);
  if (macs == NULL)
    g_error ("%s", error->message);
  g_clear_object (&store);

  wpi_bootstrap_options_init (&options);
  result = wpi_handout_prepare (data_dir, pki, (const char * const *) macs, &options, NULL,
                                child_progress, &shown, &error);
  if (result == NULL)
    g_error ("%s", error->message);
  return 0;
}

/* Reads one line from fd within the deadline; NULL at the end of the stream. */
static char *
read_line (int      fd,
           GString *buffer,
           gint64   deadline)
{
  for (;;)
    {
      char *newline = memchr (buffer->str, '\n', buffer->len);
      struct pollfd pfd = { fd, POLLIN, 0 };
      char chunk[256];
      ssize_t n;
      int timeout_ms;

      if (newline != NULL)
        {
          char *line = g_strndup (buffer->str, newline - buffer->str);

          g_string_erase (buffer, 0, newline - buffer->str + 1);
          return line;
        }

      timeout_ms = (int) MAX ((deadline - g_get_monotonic_time ()) / 1000, 0);
      g_assert_cmpint (poll (&pfd, 1, timeout_ms), ==, 1);
      n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >=, 0);
      if (n == 0)
        return NULL;
      g_string_append_len (buffer, chunk, n);
    }
}

static void
test_kill (Fixture       *f,
           gconstpointer  data)
{
  const char *argv[] = { self_path, KILL_CHILD_ARG, f->data_dir, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) buffer = g_string_new (NULL);
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(WpiStore) store = NULL;
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT;
  GPid pid;
  int out_fd;
  int status;

  add_phones (f, KILL_PHONES);
  /* The child opens them itself, as another process would */
  g_clear_object (&f->store);

  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, NULL, &out_fd, NULL, &error);
  g_assert_no_error (error);

  while (seen->len < KILL_AFTER)
    {
      g_autofree char *line = read_line (out_fd, buffer, deadline);

      g_assert_nonnull (line);
      g_ptr_array_add (seen, g_strsplit (line, " ", 3));
    }
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
  g_spawn_close_pid (pid);

  /* Whatever the child wrote before it died was shown as well */
  for (;;)
    {
      g_autofree char *line = read_line (out_fd, buffer, deadline);

      if (line == NULL)
        break;
      g_ptr_array_add (seen, g_strsplit (line, " ", 3));
    }
  close (out_fd);
  g_assert_cmpuint (seen->len, <, KILL_PHONES);

  store = wpi_store_open (f->data_dir, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < seen->len; i++)
    {
      char **fields = g_ptr_array_index (seen, i);
      g_autoptr(WpiPinRecord) pin = NULL;
      g_autoptr(WpiJobRecord) job = NULL;
      gint64 job_id;

      g_assert_cmpuint (g_strv_length (fields), ==, 3);
      job_id = g_ascii_strtoll (fields[2], NULL, 10);
      pin = wpi_store_pin_get_current (store, fields[0], &error);
      g_assert_no_error (error);
      g_assert_cmpstr (pin->pin, ==, fields[1]);
      g_assert_cmpint (pin->job_id, ==, job_id);
      job = wpi_store_job_get (store, job_id, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (job->mac, ==, fields[0]);
      g_assert_cmpint (job->kind, ==, WPI_JOB_KIND_BOOTSTRAP);
    }
  /* And the store holds nothing half-written: the phones of the transactions that had
   * committed, whose lines were not all written yet when the child died */
  g_assert_cmpuint (assert_jobs_and_pins_complete (store), >=, seen->len);
  g_assert_cmpuint (assert_jobs_and_pins_complete (store), <=, KILL_PHONES);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 3 && g_strcmp0 (argv[1], KILL_CHILD_ARG) == 0)
    return bulk_child (argv[2]);

  self_path = argv[0];
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/handout/select", Fixture, NULL, fixture_set_up, test_select, fixture_tear_down);
  g_test_add ("/handout/bulk", Fixture, NULL, fixture_set_up, test_bulk, fixture_tear_down);
  g_test_add ("/handout/bulk-nopin", Fixture, NULL, fixture_set_up, test_bulk_nopin, fixture_tear_down);
  g_test_add ("/handout/cancel", Fixture, NULL, fixture_set_up, test_cancel, fixture_tear_down);
  g_test_add ("/handout/many", Fixture, NULL, fixture_set_up, test_many, fixture_tear_down);
  g_test_add_func ("/handout/no-store", test_no_store);
  g_test_add ("/handout/mark-stale", Fixture, NULL, fixture_set_up, test_mark_stale, fixture_tear_down);
  g_test_add ("/handout/csv", Fixture, NULL, fixture_set_up, test_csv, fixture_tear_down);
  g_test_add ("/handout/csv-read-forms", Fixture, NULL, fixture_set_up, test_csv_read_forms, fixture_tear_down);
  g_test_add_func ("/handout/format-pin", test_format_pin);
  g_test_add_func ("/handout/layout", test_layout);
  g_test_add_func ("/handout/draw-page", test_draw_page);
  g_test_add ("/handout/pdf", Fixture, NULL, fixture_set_up, test_pdf, fixture_tear_down);
  g_test_add ("/handout/kill", Fixture, NULL, fixture_set_up, test_kill, fixture_tear_down);

  return g_test_run ();
}
