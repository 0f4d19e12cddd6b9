/* bench-startup.c: the console's start-up, from process start to the first painted frame
 *
 * Starts the real workpoint-console again and again on the display (Xvfb under
 * run-with-display.sh) and times from just before the spawn to the moment the console's
 * main window has painted its first frame, which the console reports on stdout when
 * WPC_BENCH_FIRST_FRAME is set (see wpc-application.c). Both ends read CLOCK_MONOTONIC.
 *
 * Scenarios: a new, empty data directory each run (a first start); the same data directory
 * again (a restart with an empty store); and --demo 20 in a new data directory each run.
 * Each scenario has one warm-up run that is not counted, then the runs whose median,
 * minimum and maximum are printed. The console inherits the environment: under meson
 * that of the widget tests, with NO_AT_BRIDGE=1 (no AT-SPI bridge).
 *
 * Each scenario also starts, in turn with the console, a floor (bench-startup-floor: a bare
 * libadwaita window; WPC_BENCH_STARTUP_FLOOR) and, when WPC_BENCH_STARTUP_BASELINE names an
 * older build of the console, that build, so that a change is measured before and after in
 * the same run (issue 12 §5: at most 1.2 times the start-up before libadwaita).
 *
 * Run with: meson test -C _build --suite bench bench-startup
 *   (or tests/run-with-display.sh _build/tests/bench-startup _build/app/workpoint-console [RUNS])
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "bench-util.h"
#include "test-util.h"

#define DEFAULT_RUNS         10
#define FIRST_FRAME_TIMEOUT  (120 * G_USEC_PER_SEC)
#define EXIT_TIMEOUT_SECONDS 30
#define FIRST_FRAME_PREFIX   "first-frame "

typedef enum {
  SCENARIO_EMPTY,
  SCENARIO_RESTART,
  SCENARIO_DEMO,
} Scenario;

static const char * const scenario_names[] = {
  [SCENARIO_EMPTY] = "new empty data directory",
  [SCENARIO_RESTART] = "same data directory again",
  [SCENARIO_DEMO] = "--demo 20, new data directory",
};

static gboolean
remove_tree (const char  *path,
             GError     **error)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, error);
      const char *entry;

      if (dir == NULL)
        return FALSE;
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, entry, NULL);

          if (!remove_tree (child, error))
            return FALSE;
        }
    }
  if (g_remove (path) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot remove %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

/* Two ports that are free on 127.0.0.1 now, held together so that they differ */
static gboolean
free_ports (guint   *port,
            guint   *secure_port,
            GError **error)
{
  g_autoptr(GSocket) first = NULL;
  g_autoptr(GSocket) second = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) first_bound = NULL;
  g_autoptr(GSocketAddress) second_bound = NULL;

  first = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (first == NULL || !g_socket_bind (first, any_port, FALSE, error))
    return FALSE;
  second = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (second == NULL || !g_socket_bind (second, any_port, FALSE, error))
    return FALSE;
  first_bound = g_socket_get_local_address (first, error);
  second_bound = g_socket_get_local_address (second, error);
  if (first_bound == NULL || second_bound == NULL)
    return FALSE;
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (first_bound));
  *secure_port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (second_bound));
  return TRUE;
}

typedef struct {
  GMainContext *context;
  char         *line;
  GError       *error;
  gboolean      done;
} LineRead;

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, &read->error);
  read->done = TRUE;
  g_main_context_wakeup (read->context);
}

static gboolean
on_deadline (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The console's first-frame time (monotonic µs), or 0 and an error */
static gint64
read_first_frame (GSubprocess  *console,
                  GError      **error)
{
  g_autoptr(GDataInputStream) lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (console));
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GSource) deadline = g_timeout_source_new (FIRST_FRAME_TIMEOUT / 1000);
  gint64 first_frame = 0;

  g_source_set_callback (deadline, on_deadline, cancellable, NULL);
  g_source_attach (deadline, NULL);

  while (first_frame == 0)
    {
      LineRead read = { g_main_context_default (), NULL, NULL, FALSE };

      g_data_input_stream_read_line_async (lines, G_PRIORITY_DEFAULT, cancellable, on_line_read, &read);
      while (!read.done)
        g_main_context_iteration (NULL, TRUE);

      if (read.error != NULL)
        {
          if (g_error_matches (read.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                         "no first frame within %d s", (int) (FIRST_FRAME_TIMEOUT / G_USEC_PER_SEC));
          else
            g_propagate_prefixed_error (error, read.error, "reading the console's output: ");
          g_clear_error (&read.error);
          break;
        }
      if (read.line == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                               "the console exited before its first frame");
          break;
        }
      if (g_str_has_prefix (read.line, FIRST_FRAME_PREFIX))
        {
          const char *number = read.line + strlen (FIRST_FRAME_PREFIX);
          char *end = NULL;
          gint64 value = g_ascii_strtoll (number, &end, 10);

          if (end == number || *end != '\0' || value <= 0)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                         "the console reported a bad first frame: “%s”", read.line);
          else
            first_frame = value;
          g_free (read.line);
          break;
        }
      g_free (read.line);
    }

  g_source_destroy (deadline);
  return first_frame;
}

static gboolean
on_exit_deadline (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* SIGTERM, and SIGKILL if that has not ended it in time */
static void
end_console (GSubprocess *console)
{
  gboolean exited = FALSE;
  gboolean timed_out = FALSE;
  guint deadline;

  g_subprocess_send_signal (console, SIGTERM);
  test_util_watch_exit (console, &exited);
  deadline = g_timeout_add_seconds (EXIT_TIMEOUT_SECONDS, on_exit_deadline, &timed_out);
  while (!exited && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!exited)
    {
      g_printerr ("bench-startup: the console ignored SIGTERM for %d s; killing it\n", EXIT_TIMEOUT_SECONDS);
      g_subprocess_force_exit (console);
      while (!exited)
        g_main_context_iteration (NULL, TRUE);
    }
  else
    g_source_remove (deadline);
}

/* One start of the console with its home in home_dir; returns ms to the first frame, or
 * a negative number and an error */
static double
time_start (const char  *console_path,
            const char  *home_dir,
            Scenario     scenario,
            GError     **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) console = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *data_dir = g_build_filename (home_dir, "store", NULL);
  static const char * const xdg_dirs[] = { "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME" };
  guint port, secure_port;
  gint64 start, first_frame;

  if (!free_ports (&port, &secure_port, error))
    return -1;

  g_subprocess_launcher_setenv (launcher, "HOME", home_dir, TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (xdg_dirs); i++)
    {
      g_autofree char *lower = g_ascii_strdown (xdg_dirs[i], -1);
      g_autofree char *path = g_build_filename (home_dir, lower, NULL);

      g_subprocess_launcher_setenv (launcher, xdg_dirs[i], path, TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "WPC_BENCH_FIRST_FRAME", "1", TRUE);

  g_ptr_array_add (argv, g_strdup (console_path));
  g_ptr_array_add (argv, g_strdup ("--data-dir"));
  g_ptr_array_add (argv, g_strdup (data_dir));
  g_ptr_array_add (argv, g_strdup ("--bind"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1"));
  g_ptr_array_add (argv, g_strdup_printf ("--port=%u", port));
  g_ptr_array_add (argv, g_strdup_printf ("--secure-port=%u", secure_port));
  if (scenario == SCENARIO_DEMO)
    g_ptr_array_add (argv, g_strdup ("--demo=20"));
  g_ptr_array_add (argv, NULL);

  start = g_get_monotonic_time ();
  console = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, error);
  if (console == NULL)
    return -1;
  first_frame = read_first_frame (console, error);
  end_console (console);
  if (first_frame == 0)
    return -1;
  return (first_frame - start) / 1000.0;
}

/* The programs a scenario starts: the floor, the baseline console (an older build, to
 * compare before and after a change on the same machine in the same run), the console. */
typedef struct {
  const char *label;
  const char *path;
  GArray     *times;      /* ms, the runs after the warm-up */
  char       *home_dir;   /* kept between runs for SCENARIO_RESTART */
} Program;

static gboolean
start_program_once (Program     *program,
                    Scenario     scenario,
                    guint        run,
                    GError     **error)
{
  double elapsed;

  if (program->home_dir == NULL)
    {
      program->home_dir = g_dir_make_tmp ("wpc-bench-startup-XXXXXX", error);
      if (program->home_dir == NULL)
        return FALSE;
    }
  elapsed = time_start (program->path, program->home_dir, scenario, error);
  if (elapsed < 0)
    {
      g_prefix_error (error, "%s, %s, run %u: ", program->label, scenario_names[scenario], run);
      return FALSE;
    }
  if (run > 0)
    g_array_append_val (program->times, elapsed);
  if (scenario != SCENARIO_RESTART)
    {
      if (!remove_tree (program->home_dir, error))
        return FALSE;
      g_clear_pointer (&program->home_dir, g_free);
    }
  return TRUE;
}

static void
print_scenario (Scenario  scenario,
                Program  *programs,
                guint     n_programs)
{
  Program *console = &programs[n_programs - 1];
  double console_median;

  for (guint i = 0; i < n_programs; i++)
    bench_sort_doubles (programs[i].times);
  console_median = bench_median (console->times);
  for (guint i = 0; i < n_programs; i++)
    {
      Program *program = &programs[i];
      double median = bench_median (program->times);

      printf ("%-32s %-10s %9.1f %9.1f %9.1f", i == 0 ? scenario_names[scenario] : "",
              program->label, median, g_array_index (program->times, double, 0),
              g_array_index (program->times, double, program->times->len - 1));
      if (program != console)
        printf ("   console %.2fx of this", console_median / median);
      printf ("\n");
    }
  fflush (stdout);
}

/* The programs run in turn, run by run, so that a change in the machine's load during the
 * benchmark affects them alike. */
static gboolean
run_scenario (Program     *programs,
              guint        n_programs,
              Scenario     scenario,
              guint        runs,
              GError     **error)
{
  gboolean ok = TRUE;

  for (guint i = 0; i < n_programs; i++)
    programs[i].times = g_array_new (FALSE, FALSE, sizeof (double));

  /* run 0 is the warm-up */
  for (guint run = 0; run <= runs && ok; run++)
    for (guint i = 0; i < n_programs && ok; i++)
      ok = start_program_once (&programs[i], scenario, run, error);

  for (guint i = 0; i < n_programs; i++)
    {
      if (programs[i].home_dir != NULL && !remove_tree (programs[i].home_dir, ok ? error : NULL))
        ok = FALSE;
      g_clear_pointer (&programs[i].home_dir, g_free);
    }
  if (ok)
    print_scenario (scenario, programs, n_programs);
  for (guint i = 0; i < n_programs; i++)
    g_clear_pointer (&programs[i].times, g_array_unref);
  return ok;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  guint64 runs = DEFAULT_RUNS;
  Program programs[3];
  guint n_programs = 0;

  if (argc < 2 || argc > 3)
    {
      g_printerr ("usage: %s WORKPOINT-CONSOLE [RUNS]\n"
                  "  WPC_BENCH_STARTUP_FLOOR=PROGRAM: the floor (bench-startup-floor)\n"
                  "  WPC_BENCH_STARTUP_BASELINE=CONSOLE: an older build to compare with\n", argv[0]);
      return EXIT_FAILURE;
    }
  if (argc == 3 && (!g_ascii_string_to_unsigned (argv[2], 10, 1, 1000, &runs, &error)))
    {
      g_printerr ("bench-startup: RUNS: %s\n", error->message);
      return EXIT_FAILURE;
    }
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("bench-startup: needs a display; run it under tests/run-with-display.sh\n");
      return EXIT_FAILURE;
    }

  if (g_getenv ("WPC_BENCH_STARTUP_FLOOR") != NULL)
    programs[n_programs++] = (Program) { "floor", g_getenv ("WPC_BENCH_STARTUP_FLOOR") };
  if (g_getenv ("WPC_BENCH_STARTUP_BASELINE") != NULL)
    programs[n_programs++] = (Program) { "baseline", g_getenv ("WPC_BENCH_STARTUP_BASELINE") };
  programs[n_programs++] = (Program) { "console", argv[1] };

  printf ("start-up to the first painted frame, %u runs each after one warm-up run; floor: a bare "
          "libadwaita window\n", (guint) runs);
  printf ("%-32s %-10s %9s %9s %9s\n", "scenario", "program", "median ms", "min ms", "max ms");
  for (Scenario scenario = SCENARIO_EMPTY; scenario <= SCENARIO_DEMO; scenario++)
    if (!run_scenario (programs, n_programs, scenario, (guint) runs, &error))
      {
        g_printerr ("bench-startup: %s\n", error->message);
        return EXIT_FAILURE;
      }
  return EXIT_SUCCESS;
}
