/* bench-util.c: what the benchmarks share (see bench-util.h) */
#include <stdlib.h>
#include <sys/resource.h>

#include "bench-util.h"

void
bench_die (const char   *what,
           const GError *error)
{
  g_printerr ("%s: %s: %s\n", g_get_prgname () != NULL ? g_get_prgname () : "bench", what,
              error != NULL ? error->message : "failed");
  exit (1);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

int
bench_compare_int64 (gconstpointer a,
                     gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

void
bench_sort_doubles (GArray *values)
{
  g_array_sort (values, compare_doubles);
}

double
bench_percentile (GArray *sorted,
                  guint   p)
{
  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, double, MIN (sorted->len - 1, (sorted->len * p) / 100));
}

double
bench_median (GArray *sorted)
{
  guint middle = sorted->len / 2;

  if (sorted->len == 0)
    return 0;
  if (sorted->len % 2 == 1)
    return g_array_index (sorted, double, middle);
  return (g_array_index (sorted, double, middle - 1) + g_array_index (sorted, double, middle)) / 2;
}

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
bench_wait_until (BenchCondition condition,
                  gpointer       data,
                  guint          seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  /* a tick, so that a condition that changes without an event is seen */
  guint ticker = g_timeout_add (20, wake_up, NULL);
  gboolean ok = TRUE;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          ok = FALSE;
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (ticker);
  return ok;
}

void
bench_raise_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

double
bench_self_cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

char *
bench_read_line (GDataInputStream *input,
                 const char       *who)
{
  g_autoptr(GError) error = NULL;
  char *line = g_data_input_stream_read_line (input, NULL, NULL, &error);

  if (line == NULL)
    g_error ("%s said nothing%s%s", who, error ? ": " : "", error ? error->message : "");
  return line;
}
