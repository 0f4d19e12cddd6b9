/* bench-phones-view.c: the Phones view with 10,000 phones
 *
 * A GListStore of WpiPhone in the view, on a real (Xvfb) display: time to the first
 * frame, to sort by each column, to apply and clear a search, to scroll through the
 * list, to show a burst of state changes, and the resident memory. Every time is until
 * the frame that shows the result has been painted.
 *
 * Run with: meson test -C _build --suite bench bench-phones-view
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gtk/gtk.h>

#include "wpc-phones-view.h"
#include "wpi-phone.h"

#define N_PHONES        10000
#define SCROLL_STEPS    60
#define UPDATED_PHONES  1000

static const char * const models[] = { "OpenStage 15", "OpenStage 20", "OpenStage 40", "OpenStage 60", "OpenStage 80" };
static const char * const firmwares[] = { "V3 R1.41.1", "V3 R4.2.0", "V3 R5.12.0", "V3 R5.16.0" };
static const WpiPhoneState states[] = {
  WPI_PHONE_STATE_IDLE, WPI_PHONE_STATE_IDLE, WPI_PHONE_STATE_IDLE, WPI_PHONE_STATE_BUSY,
  WPI_PHONE_STATE_IN_SESSION, WPI_PHONE_STATE_UNREACHABLE, WPI_PHONE_STATE_UNKNOWN,
};

static const char * const column_names[WPC_PHONES_N_COLUMNS] = {
  "state", "MAC", "number", "model", "location", "firmware", "IP", "mode", "last contact", "pending jobs",
};

static long
vm_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  return line != NULL ? strtol (line + 6, NULL, 10) : -1;
}

static void
on_after_paint (GdkFrameClock *frame_clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

/* Runs the main loop until the widget's next frame has been painted; returns the ms
 * since start (g_get_monotonic_time units). */
static double
until_painted (GtkWidget *widget,
               gint64     start)
{
  GdkFrameClock *frame_clock = gtk_widget_get_frame_clock (widget);
  gboolean painted = FALSE;
  gulong handler;

  handler = g_signal_connect (frame_clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  gtk_widget_queue_draw (widget);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (frame_clock, handler);
  return (g_get_monotonic_time () - start) / 1000.0;
}

static GListStore *
make_phones (void)
{
  GListStore *store = g_list_store_new (WPI_TYPE_PHONE);
  g_autoptr(GPtrArray) phones = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 now = g_get_real_time ();
  GRand *rand = g_rand_new_with_seed (43);

  for (guint i = 0; i < N_PHONES; i++)
    {
      g_autofree char *mac = g_strdup_printf ("00:1A:E8:%02X:%02X:%02X", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
      g_autoptr(WpiPhoneRecord) record = wpi_phone_record_new (mac);
      WpiPhone *phone;

      record->e164 = g_strdup_printf ("49897%06u", g_rand_int_range (rand, 0, 1000000));
      record->device_type = g_strdup (models[g_rand_int_range (rand, 0, G_N_ELEMENTS (models))]);
      record->firmware = g_strdup (firmwares[g_rand_int_range (rand, 0, G_N_ELEMENTS (firmwares))]);
      record->ip = g_strdup_printf ("10.%u.%u.%u", g_rand_int_range (rand, 0, 4), g_rand_int_range (rand, 0, 256),
                                    g_rand_int_range (rand, 1, 255));
      record->mode = g_rand_boolean (rand) ? WPI_PHONE_MODE_SECURE : WPI_PHONE_MODE_DEFAULT;
      record->state = states[g_rand_int_range (rand, 0, G_N_ELEMENTS (states))];
      record->last_contact_us = now - g_rand_int_range (rand, 0, 86400) * G_USEC_PER_SEC;
      phone = wpi_phone_new (record);
      wpi_phone_set_pending_jobs (phone, g_rand_int_range (rand, 0, 4));
      g_ptr_array_add (phones, phone);
    }
  /* One items-changed, as a service loading its store would cause */
  g_list_store_splice (store, 0, 0, phones->pdata, phones->len);
  g_rand_free (rand);
  return store;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GListStore) phones = NULL;
  GtkWidget *window;
  GtkWidget *view;
  GtkColumnView *column_view;
  GtkAdjustment *vadjustment;
  GListModel *rows;
  long rss_start, rss_model, rss_shown, rss_end;
  gint64 start;
  double elapsed, slowest, total;

  gtk_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  rss_start = vm_rss_kib ();

  start = g_get_monotonic_time ();
  phones = make_phones ();
  printf ("model: %u phones built in %.1f ms\n", N_PHONES, (g_get_monotonic_time () - start) / 1000.0);
  rss_model = vm_rss_kib ();

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  view = wpc_phones_view_new ();
  gtk_window_set_child (GTK_WINDOW (window), view);
  column_view = wpc_phones_view_get_column_view (WPC_PHONES_VIEW (view));
  rows = G_LIST_MODEL (wpc_phones_view_get_selection (WPC_PHONES_VIEW (view)));

  start = g_get_monotonic_time ();
  wpc_phones_view_set_phones (WPC_PHONES_VIEW (view), G_LIST_MODEL (phones));
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (view))
    g_main_context_iteration (NULL, TRUE);
  elapsed = until_painted (view, start);
  printf ("first frame: %.1f ms\n", elapsed);
  rss_shown = vm_rss_kib ();

  for (guint c = 0; c < WPC_PHONES_N_COLUMNS; c++)
    {
      GtkColumnViewColumn *column = wpc_phones_view_get_column (WPC_PHONES_VIEW (view), c);
      double ascending, descending, sorted;

      start = g_get_monotonic_time ();
      gtk_column_view_sort_by_column (column_view, column, GTK_SORT_ASCENDING);
      sorted = (g_get_monotonic_time () - start) / 1000.0;
      ascending = until_painted (view, start);
      start = g_get_monotonic_time ();
      gtk_column_view_sort_by_column (column_view, column, GTK_SORT_DESCENDING);
      descending = until_painted (view, start);
      printf ("sort by %-12s: %6.1f ms ascending (sorted in %.1f ms), %6.1f ms descending\n",
              column_names[c], ascending, sorted, descending);
    }

  {
    static const char * const searches[] = { "OpenStage 40", "00:1A:E8:00:27:0F", "001AE800270F", "busy", "R5.1", "zzz", "" };

    for (guint i = 0; i < G_N_ELEMENTS (searches); i++)
      {
        double filtered;

        start = g_get_monotonic_time ();
        wpc_phones_view_set_search (WPC_PHONES_VIEW (view), searches[i]);
        filtered = (g_get_monotonic_time () - start) / 1000.0;
        elapsed = until_painted (view, start);
        printf ("search %-20s: %6.1f ms (filtered in %.1f ms), %5u rows\n",
                searches[i][0] ? searches[i] : "(cleared)", elapsed, filtered, g_list_model_get_n_items (rows));
      }
  }

  /* Scroll top to bottom in steps, a frame each */
  vadjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (column_view));
  slowest = 0;
  total = 0;
  for (guint i = 1; i <= SCROLL_STEPS; i++)
    {
      double upper = gtk_adjustment_get_upper (vadjustment) - gtk_adjustment_get_page_size (vadjustment);

      start = g_get_monotonic_time ();
      gtk_adjustment_set_value (vadjustment, upper * i / SCROLL_STEPS);
      elapsed = until_painted (view, start);
      slowest = MAX (slowest, elapsed);
      total += elapsed;
    }
  printf ("scroll: %u jumps across the list, %.1f ms per frame on average, %.1f ms the slowest\n",
          SCROLL_STEPS, total / SCROLL_STEPS, slowest);

  /* Page by page, as Page Down or a mouse wheel would */
  slowest = 0;
  total = 0;
  gtk_adjustment_set_value (vadjustment, 0);
  until_painted (view, g_get_monotonic_time ());
  for (guint i = 1; i <= SCROLL_STEPS; i++)
    {
      start = g_get_monotonic_time ();
      gtk_adjustment_set_value (vadjustment, gtk_adjustment_get_value (vadjustment) +
                                             gtk_adjustment_get_page_increment (vadjustment));
      elapsed = until_painted (view, start);
      slowest = MAX (slowest, elapsed);
      total += elapsed;
    }
  printf ("scroll: %u pages down, %.1f ms per frame on average, %.1f ms the slowest\n",
          SCROLL_STEPS, total / SCROLL_STEPS, slowest);

  /* A burst of state changes, as when many phones report at once */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < UPDATED_PHONES; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (G_LIST_MODEL (phones), i * (N_PHONES / UPDATED_PHONES));
      g_autoptr(WpiPhoneRecord) record = wpi_phone_record_copy (wpi_phone_get_record (phone));

      record->state = record->state == WPI_PHONE_STATE_BUSY ? WPI_PHONE_STATE_IDLE : WPI_PHONE_STATE_BUSY;
      record->last_contact_us = g_get_real_time ();
      wpi_phone_update (phone, record);
    }
  elapsed = until_painted (view, start);
  printf ("%u phones change state: %.1f ms until shown\n", UPDATED_PHONES, elapsed);

  gtk_selection_model_select_all (wpc_phones_view_get_selection (WPC_PHONES_VIEW (view)));
  start = g_get_monotonic_time ();
  elapsed = until_painted (view, start);
  printf ("select all: %.1f ms until shown\n", elapsed);

  rss_end = vm_rss_kib ();
  printf ("VmRSS: %ld KiB at start, %ld KiB with the model (+%ld), %ld KiB shown (+%ld), %ld KiB at the end\n",
          rss_start, rss_model, rss_model - rss_start, rss_shown, rss_shown - rss_model, rss_end);

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
