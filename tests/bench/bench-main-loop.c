/* bench-main-loop: does the console's main loop keep up while 1,000 phones register?
 *
 * The Phones view on a real (Xvfb) display shows the service's phones while `wpi-sim
 * --phones N` (a process of its own) registers N new phones at once. Two runs, each on
 * a fresh data directory:
 *   floor:  the service on the GTK thread's own main context, as the console ran it
 *           before issue 8;
 *   hosted: the service on a thread of its own (WpiServiceHost), as the console runs it.
 * Each run measures, from the sim's start until every phone is registered (its start-up
 * stored) and its registration read done (or two minutes after the last registration,
 * saying how many reads were done):
 *   - the longest main-loop stall: a 10 ms timeout source timestamps each dispatch, and a
 *     stall is the gap beyond those 10 ms (goal: none over 50 ms);
 *   - the frame times: intervals between the window's "after-paint" (p50, p95, max);
 *   - the time until the last phone shows.
 * Figures are printed, never enforced; the program fails only if the phones do not
 * register.
 *
 * Usage: bench-main-loop [N_PHONES]  (default 1000); $WPI_SIM names wpi-sim (meson sets it).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "bench-util.h"
#include "test-util-service.h"
#include "wpc-phones-view.h"
#include "wpi-job.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-service-host.h"

#define PROBE_INTERVAL_MS 10
#define RUN_TIMEOUT_S     600
#define READS_GRACE_S     120

typedef struct {
  gint64  last_probe;
  gint64  longest_stall_us;
  guint   stalls_over_50ms;
  gint64  last_paint;
  GArray *frame_us;        /* gint64 intervals between painted frames */
} Probe;

static gboolean
on_probe (gpointer user_data)
{
  Probe *probe = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 stall = now - probe->last_probe - PROBE_INTERVAL_MS * 1000;

  if (probe->last_probe != 0 && stall > probe->longest_stall_us)
    probe->longest_stall_us = stall;
  if (probe->last_probe != 0 && stall > 50000)
    probe->stalls_over_50ms++;
  probe->last_probe = now;
  return G_SOURCE_CONTINUE;
}

static void
on_after_paint (GdkFrameClock *clock,
                Probe         *probe)
{
  gint64 now = g_get_monotonic_time ();

  if (probe->last_paint != 0)
    {
      gint64 interval = now - probe->last_paint;

      g_array_append_val (probe->frame_us, interval);
    }
  probe->last_paint = now;
}

static double
percentile_ms (GArray *sorted,
               double  p)
{
  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, gint64, MIN (sorted->len - 1, (guint) (p * sorted->len))) / 1000.0;
}

static guint
count_jobs_done (GListModel *jobs)
{
  guint done = 0;

  for (guint i = 0; i < g_list_model_get_n_items (jobs); i++)
    {
      g_autoptr(WpiJob) job = g_list_model_get_item (jobs, i);

      done += wpi_job_get_state (job) == WPI_JOB_STATE_DONE;
    }
  return done;
}

static GSubprocess *
spawn_sim (guint port,
           guint n_phones,
           guint run)
{
  const char *sim = g_getenv ("WPI_SIM");
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u", port);
  g_autofree char *count = g_strdup_printf ("%u", n_phones);
  g_autofree char *prefix = g_strdup_printf ("127.%u", 200 + run * 10 + getpid () % 10);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  if (sim == NULL)
    g_error ("WPI_SIM is not set");
  /* Real phones are other machines: here they share the console's two cores, so they run
   * at a lower priority and the figures are the console's own */
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, "nice", "-n", "10", sim, "--phones", count,
                              "--service", uri, "--bind-prefix", prefix, "--quiet",
                              "--max-requests", "0", NULL);
  if (process == NULL)
    g_error ("cannot start %s: %s", sim, error->message);
  return process;
}

/* One run: the phones view shows phones; until jobs are all done. */
static void
measure (const char *label,
         GtkWidget  *view,
         GListModel *phones,
         GListModel *jobs,
         guint       port,
         guint       n_phones,
         guint       run)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (view);
  Probe probe = { 0, 0, 0, 0, g_array_new (FALSE, FALSE, sizeof (gint64)) };
  g_autoptr(GSubprocess) sim = NULL;
  gint64 start, deadline, registered = 0;
  guint probe_id;
  gulong paint_id;

  wpc_phones_view_set_phones (WPC_PHONES_VIEW (view), phones);
  probe_id = g_timeout_add (PROBE_INTERVAL_MS, on_probe, &probe);
  paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &probe);
  start = g_get_monotonic_time ();
  deadline = start + RUN_TIMEOUT_S * G_USEC_PER_SEC;
  sim = spawn_sim (port, n_phones, run);

  /* Until every phone has registered and its registration read is done, or READS_GRACE_S
   * after the last registration (a phone that gives up in mid-flow leaves its read behind) */
  while (g_get_monotonic_time () < deadline &&
         (registered == 0 || count_jobs_done (jobs) < n_phones) &&
         (registered == 0 || g_get_monotonic_time () < registered + READS_GRACE_S * G_USEC_PER_SEC))
    {
      /* the view keeps drawing: a frame per tick, as a busy list would */
      gtk_widget_queue_draw (view);
      g_main_context_iteration (NULL, TRUE);
      if (registered == 0 && test_util_phones_all_have (phones, n_phones, wpi_phone_get_firmware))
        registered = g_get_monotonic_time ();
    }

  g_source_remove (probe_id);
  g_signal_handler_disconnect (clock, paint_id);
  g_subprocess_force_exit (sim);
  g_subprocess_wait (sim, NULL, NULL);
  if (!test_util_phones_all_have (phones, n_phones, wpi_phone_get_firmware))
    {
      fprintf (stderr, "%s: only %u of %u phones registered in %d s\n", label,
               g_list_model_get_n_items (phones), n_phones, RUN_TIMEOUT_S);
      exit (1);
    }

  g_array_sort (probe.frame_us, bench_compare_int64);
  printf ("%-7s %u phones registered in %.1f s, %u registration reads done in %.1f s; longest "
          "main-loop stall %.1f ms, %u stalls over 50 ms; %u frames, frame time p50 %.1f ms, "
          "p95 %.1f ms, max %.1f ms\n",
          label, n_phones, (registered - start) / 1e6, count_jobs_done (jobs),
          (g_get_monotonic_time () - start) / 1e6,
          probe.longest_stall_us / 1000.0,
          probe.stalls_over_50ms, probe.frame_us->len, percentile_ms (probe.frame_us, 0.5),
          percentile_ms (probe.frame_us, 0.95), percentile_ms (probe.frame_us, 1.0));
  fflush (stdout);
  g_array_unref (probe.frame_us);
  wpc_phones_view_set_phones (WPC_PHONES_VIEW (view), NULL);
}

/* One run on a fresh data directory: the service on the GTK thread's own main context
 * (the floor), or hosted on a thread of its own; the run number is the sim's. */
static void
run (GtkWidget *view,
     guint      n_phones,
     gboolean   hosted)
{
  g_autofree char *dir = test_util_make_tmp_dir ("bench-main-loop");
  g_autoptr(WpiService) service = hosted ? NULL : test_util_service_start (dir);
  g_autoptr(WpiServiceHost) host = hosted ? test_util_service_host_start (dir) : NULL;

  if (hosted)
    measure ("hosted", view, wpi_service_host_get_phones (host), wpi_service_host_get_jobs (host),
             wpi_service_host_get_port (host), n_phones, 1);
  else
    measure ("floor", view, wpi_service_get_phones (service), wpi_service_get_jobs (service),
             wpi_service_get_port (service), n_phones, 0);
  if (host != NULL)
    wpi_service_host_stop (host);
  if (service != NULL)
    wpi_service_stop (service);
  g_clear_object (&host);
  g_clear_object (&service);
  test_util_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  guint n_phones = argc > 1 ? (guint) atoi (argv[1]) : 1000;
  GtkWidget *window;
  GtkWidget *view;

  gtk_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  view = wpc_phones_view_new ();
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (view))
    g_main_context_iteration (NULL, TRUE);

  printf ("bench-main-loop: %u phones registering at once; a stall is a 10 ms timer's lateness "
          "(goal: none over 50 ms with the service hosted)\n", n_phones);
  run (view, n_phones, FALSE);
  run (view, n_phones, TRUE);

  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
