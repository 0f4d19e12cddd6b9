/* bench-util.h: what the benchmarks share: sorting and reading timings, waiting on the
 * main context with a deadline (a benchmark reports a timeout, it does not abort), and
 * giving up with a message.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Prints "PROGRAM: what: error" (or "failed") on stderr and exits with status 1. */
G_NORETURN void bench_die          (const char *what,
                                    const GError *error);

/* Orders two gint64 (for qsort() and g_array_sort()), smallest first. */
int      bench_compare_int64       (gconstpointer a,
                                    gconstpointer b);
/* Sorts an array of double, smallest first. */
void     bench_sort_doubles        (GArray     *values);
/* The p-th percentile (0 to 100) of a sorted array of double: the value at index
 * len * p / 100 (the last one for 100), or 0 when it is empty. */
double   bench_percentile          (GArray     *sorted,
                                    guint       p);
/* The median of a sorted array of double: the mean of the middle two for an even
 * length, 0 when it is empty. */
double   bench_median              (GArray     *sorted);

/* Raises this process's limit of open files to the hard limit (children inherit it):
 * a thousand phones or connections need more than the usual 1024. */
void     bench_raise_file_limit    (void);
/* User and system CPU time of this process so far, in seconds */
double   bench_self_cpu_seconds    (void);
/* The same of a running child, from /proc/PID/stat (utime + stime); ends the benchmark
 * when it cannot be read */
double   bench_process_cpu_seconds (GSubprocess *process);

typedef gboolean (*BenchCondition) (gpointer data);

/* Iterates the thread-default main context until condition (data) holds; FALSE when it
 * did not within seconds. */
gboolean bench_wait_until          (BenchCondition condition,
                                    gpointer       data,
                                    guint          seconds);

/* The next line a child process printed (the caller frees it); who says, in the error
 * that ends the benchmark when there is none, which child it was. */
char    *bench_read_line           (GDataInputStream *input,
                                    const char       *who);

G_END_DECLS
