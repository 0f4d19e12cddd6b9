/* test-ui-handout-view.c: the PIN handout view against a real service (127.0.0.1, free
 * ports) in a temporary data directory with three phones: Generate, the table and its
 * states, Mark handed out, Export CSV, Re-issue. Three phones keep the RSA work small.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "wpc-demo.h"
#include "wpi-handout.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-service-host.h"
#include "wpc-handout-view.h"
#include "test-util-service.h"

/* RSA keys for three phones, generous for sanitizer builds */
#define WAIT_TIMEOUT_MS 120000
/* The demo's phones in a call finish it first (30 s) before they take their bundle */
#define DEMO_TIMEOUT_MS 240000
#define DEMO_PHONES     6

static const char * const phone_macs[] = {
  "00:1A:E8:00:00:01", "00:1A:E8:00:00:02", "00:1A:E8:00:00:03", NULL,
};

typedef struct {
  char           *data_dir;
  WpiServiceHost     *service;
  WpiSimulator   *demo;
  GtkWidget      *window;
  WpcHandoutView *view;
} Fixture;

static gboolean
view_is_idle (gpointer view)
{
  return !wpc_handout_view_get_busy (view);
}

/* Runs the main loop until the view's run ended; fails the test after WAIT_TIMEOUT_MS. */
static void
wait_until_idle (WpcHandoutView *view)
{
  test_util_wait_until (view_is_idle, view, WAIT_TIMEOUT_MS, "the handout to finish");
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  WpiStore *store;

  (void) data;

  f->data_dir = test_util_make_tmp_dir ("wpc-handout");
  f->service = test_util_service_host_start (f->data_dir);

  store = wpi_service_host_get_store (f->service);
  for (guint i = 0; phone_macs[i] != NULL; i++)
    {
      g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (phone_macs[i]);

      phone->e164 = g_strdup_printf ("+4989700%u", i + 1);
      phone->device_type = g_strdup ("OpenStage 60");
      phone->location = g_strdup_printf ("Room %u", i + 1);
      wpi_store_phone_upsert (store, phone,
                              WPI_PHONE_FIELD_E164 | WPI_PHONE_FIELD_DEVICE_TYPE | WPI_PHONE_FIELD_LOCATION,
                              NULL, &error);
      g_assert_no_error (error);
    }
  wpi_service_host_reload (f->service);

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 600);
  f->view = WPC_HANDOUT_VIEW (wpc_handout_view_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  gtk_window_present (GTK_WINDOW (f->window));
  wpc_handout_view_set_service (f->view, f->service);
}

static gboolean
demo_phones_registered (gpointer data)
{
  Fixture *f = data;
  GListModel *phones = wpi_service_host_get_phones (f->service);
  guint n = g_list_model_get_n_items (phones);

  if (n < DEMO_PHONES)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);

      if (wpi_phone_get_device_type (phone) == NULL)
        return FALSE;
    }
  return TRUE;
}

/* The console's own demo: simulated phones that register by themselves and type the
 * PIN the console made for them when asked. */
static void
fixture_set_up_demo (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  (void) data;

  f->data_dir = test_util_make_tmp_dir ("wpc-handout-demo");
  f->service = test_util_service_host_new (f->data_dir);
  /* A phone whose call outlasts a contact-me is tried again after 1 s, 2 s, 4 s ... rather
   * than D10's 30 s, 60 s, 120 s: the test waits for the phones, not for the back-off */
  g_object_set (f->service, "contact-initial-backoff", 1u, NULL);
  wpi_service_host_start (f->service, &error);
  g_assert_no_error (error);
  f->demo = wpc_demo_start_simulator (wpi_service_host_get_store (f->service), wpi_service_host_get_port (f->service),
                                     DEMO_PHONES, &error);
  g_assert_no_error (error);

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1000, 600);
  f->view = WPC_HANDOUT_VIEW (wpc_handout_view_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->view));
  gtk_window_present (GTK_WINDOW (f->window));
  wpc_handout_view_set_service (f->view, f->service);
  test_util_wait_until (demo_phones_registered, f, DEMO_TIMEOUT_MS, "the demo phones to register");
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  (void) data;

  if (f->demo != NULL)
    wpi_simulator_stop (f->demo);
  g_clear_object (&f->demo);
  gtk_window_destroy (GTK_WINDOW (f->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  wpi_service_host_stop (f->service);
  g_clear_object (&f->service);
  test_util_remove_tree (f->data_dir);
  g_free (f->data_dir);
}

static WpiPinState
state_of (Fixture    *f,
          const char *mac)
{
  for (guint i = 0; i < wpc_handout_view_get_n_pins (f->view); i++)
    {
      g_autoptr(WpiPinRecord) pin = wpc_handout_view_get_pin (f->view, i);
      if (g_str_equal (pin->mac, mac))
        return pin->state;
    }
  g_error ("%s is not in the table", mac);
}

static char *
pin_of (Fixture    *f,
        const char *mac)
{
  for (guint i = 0; i < wpc_handout_view_get_n_pins (f->view); i++)
    {
      g_autoptr(WpiPinRecord) pin = wpc_handout_view_get_pin (f->view, i);
      if (g_str_equal (pin->mac, mac))
        return g_strdup (pin->pin);
    }
  g_error ("%s is not in the table", mac);
}

static void
generate (Fixture *f)
{
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.generate", NULL));
  g_assert_true (wpc_handout_view_get_busy (f->view));
  wait_until_idle (f->view);
  g_assert_null (wpc_handout_view_get_failures_text (f->view));
}

static void
test_generate_mark_export (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) csv = NULL;
  g_autoptr(GFile) csv_file = NULL;
  g_autofree char *csv_path = g_build_filename (f->data_dir, "handout.csv", NULL);
  const char * const first[] = { phone_macs[0], NULL };

  (void) data;

  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 0);

  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_ALL);
  wpc_handout_view_set_pin_length (f->view, 10);
  generate (f);

  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 3);
  for (guint i = 0; phone_macs[i] != NULL; i++)
    {
      g_autofree char *pin = pin_of (f, phone_macs[i]);

      g_assert_cmpint (state_of (f, phone_macs[i]), ==, WPI_PIN_STATE_GENERATED);
      g_assert_cmpuint (strlen (pin), ==, 10);
    }

  /* Mark handed out: the selected row only */
  wpc_handout_view_select_macs (f->view, first);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.mark-handed-out", NULL));
  g_assert_cmpint (state_of (f, phone_macs[0]), ==, WPI_PIN_STATE_HANDED_OUT);
  g_assert_cmpint (state_of (f, phone_macs[1]), ==, WPI_PIN_STATE_GENERATED);
  g_assert_cmpint (state_of (f, phone_macs[2]), ==, WPI_PIN_STATE_GENERATED);
  /* ... in the store too, not only in the table */
  {
    g_autoptr(WpiPinRecord) stored = wpi_store_pin_get_current (wpi_service_host_get_store (f->service),
                                                                phone_macs[0], &error);
    g_assert_no_error (error);
    g_assert_cmpint (stored->state, ==, WPI_PIN_STATE_HANDED_OUT);
  }

  /* Export CSV without a selection: every PIN still to be used, then all handed out */
  wpc_handout_view_select_macs (f->view, NULL);
  csv_file = g_file_new_for_path (csv_path);
  g_assert_true (wpc_handout_view_export_csv (f->view, csv_file, &error));
  g_assert_no_error (error);
  csv = wpi_handout_read_csv (csv_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (csv), ==, 3);
  for (guint i = 0; phone_macs[i] != NULL; i++)
    {
      g_autofree char *pin = pin_of (f, phone_macs[i]);

      g_assert_cmpstr (g_hash_table_lookup (csv, phone_macs[i]), ==, pin);
      g_assert_cmpint (state_of (f, phone_macs[i]), ==, WPI_PIN_STATE_HANDED_OUT);
    }
  {
    g_autofree char *contents = NULL;

    g_file_get_contents (csv_path, &contents, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (contents, "mac,e164,model,location,pin\r\n"));
    g_assert_nonnull (strstr (contents, "+49897002"));
    g_assert_nonnull (strstr (contents, "Room 3"));
  }

  /* Nothing generated is left: Mark handed out has nothing to do */
  g_assert_false (wpc_handout_view_mark_handed_out (f->view, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_reissue (Fixture       *f,
              gconstpointer  data)
{
  const char * const second[] = { phone_macs[1], NULL };
  g_autofree char *old_pin = NULL;
  g_autofree char *new_pin = NULL;
  g_autoptr(GPtrArray) history = NULL;
  g_autoptr(GError) error = NULL;
  guint reissued = 0;

  (void) data;

  /* Only the phones selected elsewhere, without... then with a PIN */
  wpc_handout_view_set_selected_macs (f->view, second);
  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_SELECTED);
  generate (f);
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 1);
  old_pin = pin_of (f, phone_macs[1]);

  wpc_handout_view_select_macs (f->view, second);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.reissue", NULL));
  g_assert_true (wpc_handout_view_get_busy (f->view));
  wait_until_idle (f->view);
  g_assert_null (wpc_handout_view_get_failures_text (f->view));

  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 1);
  g_assert_cmpint (state_of (f, phone_macs[1]), ==, WPI_PIN_STATE_GENERATED);
  new_pin = pin_of (f, phone_macs[1]);
  g_assert_cmpstr (new_pin, !=, old_pin);

  history = wpi_store_pin_list (wpi_service_host_get_store (f->service), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, 2);
  for (guint i = 0; i < history->len; i++)
    if (((WpiPinRecord *) g_ptr_array_index (history, i))->state == WPI_PIN_STATE_REISSUED)
      reissued++;
  g_assert_cmpuint (reissued, ==, 1);

  /* Export PDF: the slips of the new PIN, which is then handed out */
  {
    g_autofree char *pdf_path = g_build_filename (f->data_dir, "handout.pdf", NULL);
    g_autoptr(GFile) pdf_file = g_file_new_for_path (pdf_path);
    g_autofree char *contents = NULL;
    gsize length = 0;

    g_assert_true (wpc_handout_view_export_pdf (f->view, pdf_file, &error));
    g_assert_no_error (error);
    g_file_get_contents (pdf_path, &contents, &length, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (length, >, 4);
    g_assert_true (g_str_has_prefix (contents, "%PDF"));
    g_assert_cmpint (state_of (f, phone_macs[1]), ==, WPI_PIN_STATE_HANDED_OUT);
  }
}

static void
test_matching_none (Fixture       *f,
                    gconstpointer  data)
{
  (void) data;

  /* A filter no phone matches: an explanation, no run */
  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_MATCHING);
  wpc_handout_view_set_filter_text (f->view, "no-such-phone");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.generate", NULL));
  g_assert_false (wpc_handout_view_get_busy (f->view));
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 0);
}

static char *demo_macs[DEMO_PHONES];

static gboolean
five_verified (gpointer data)
{
  Fixture *f = data;
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(WpiPinRecord) pin = wpi_store_pin_get_current (wpi_service_host_get_store (f->service),
                                                             demo_macs[i], NULL);

      if (pin == NULL || pin->state != WPI_PIN_STATE_VERIFIED)
        return FALSE;
    }
  return TRUE;
}

static gboolean
table_five_verified (gpointer data)
{
  Fixture *f = data;

  for (guint i = 0; i < 5; i++)
    if (state_of (f, demo_macs[i]) != WPI_PIN_STATE_VERIFIED)
      return FALSE;
  return TRUE;
}

/* The issue's acceptance: a PIN handout for 5 of the demo's phones ends in 5 verified
 * phones in Secure Mode, and the table shows it; the sixth phone is untouched. */
static void
test_demo_five_verified (Fixture       *f,
                         gconstpointer  data)
{
  GListModel *phones = wpi_service_host_get_phones (f->service);
  const char *five[6] = { NULL };

  (void) data;

  for (guint i = 0; i < DEMO_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (phones, i);

      demo_macs[i] = g_strdup (wpi_phone_get_mac (phone));
      g_assert_cmpint (wpi_phone_get_mode (phone), ==, WPI_PHONE_MODE_DEFAULT);
    }
  for (guint i = 0; i < 5; i++)
    five[i] = demo_macs[i];

  wpc_handout_view_set_selected_macs (f->view, five);
  wpc_handout_view_set_scope (f->view, WPC_HANDOUT_SCOPE_SELECTED);
  wpc_handout_view_set_with_pin (f->view, TRUE);
  generate (f);
  g_assert_cmpuint (wpc_handout_view_get_n_pins (f->view), ==, 5);

  /* The technician hands the slips out; the phones' users type them */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "handout.mark-handed-out", NULL));
  test_util_wait_until (five_verified, f, DEMO_TIMEOUT_MS, "5 verified TANs");

  /* The table follows the store by itself, as the service thread's news arrive */
  test_util_wait_until (table_five_verified, f, DEMO_TIMEOUT_MS, "the table to show 5 verified PINs");
  wpi_service_host_sync (f->service);
  for (guint i = 0; i < DEMO_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = NULL;

      for (guint j = 0; j < g_list_model_get_n_items (phones); j++)
        {
          g_autoptr(WpiPhone) candidate = g_list_model_get_item (phones, j);

          if (g_str_equal (wpi_phone_get_mac (candidate), demo_macs[i]))
            phone = g_steal_pointer (&candidate);
        }
      g_assert_nonnull (phone);
      g_assert_cmpint (wpi_phone_get_mode (phone), ==,
                       i < 5 ? WPI_PHONE_MODE_SECURE : WPI_PHONE_MODE_DEFAULT);
    }
  for (guint i = 0; i < DEMO_PHONES; i++)
    g_clear_pointer (&demo_macs[i], g_free);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);

  g_test_add ("/ui/handout/generate-mark-export", Fixture, NULL,
              fixture_set_up, test_generate_mark_export, fixture_tear_down);
  g_test_add ("/ui/handout/reissue", Fixture, NULL, fixture_set_up, test_reissue, fixture_tear_down);
  g_test_add ("/ui/handout/matching-none", Fixture, NULL, fixture_set_up, test_matching_none, fixture_tear_down);
  g_test_add ("/ui/handout/demo-five-verified", Fixture, NULL,
              fixture_set_up_demo, test_demo_five_verified, fixture_tear_down);

  return g_test_run ();
}
