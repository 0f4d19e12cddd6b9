/* bench-profile.h: the 20 items every phone gets in bench-service
 *
 * The service writes them as its default profile (a WriteItems job it queues itself when a
 * phone first registers, with {e164} expanded); bench-bare-server sends the same items as a
 * fixed body. Shared so that both write the same bytes.
 */
#pragma once

#include <glib.h>

typedef struct {
  const char *name;
  gint64      index;   /* -1: not indexed */
  const char *value;
} BenchProfileItem;

static const BenchProfileItem bench_profile[] = {
  { "key-label", 1, "Bench 1" },           { "key-label-unicode", 1, "Line {e164}" },
  { "key-label", 2, "Bench 2" },           { "key-label-unicode", 2, "Bench 2" },
  { "key-label", 3, "Bench 3" },           { "key-label-unicode", 3, "Bench 3" },
  { "key-label", 4, "Bench 4" },           { "key-label-unicode", 4, "Bench 4" },
  { "key-label", 5, "Bench 5" },           { "key-label-unicode", 5, "Bench 5" },
  { "key-label", 6, "Bench 6" },           { "key-label-unicode", 6, "Bench 6" },
  { "key-label", 7, "Bench 7" },           { "key-label-unicode", 7, "Bench 7" },
  { "key-label", 8, "Bench 8" },           { "key-label-unicode", 8, "Bench 8" },
  { "auto-answer", -1, "true" },           { "reg-addr", -1, "sip.bench.example" },
  { "reg-port", -1, "5061" },              { "sntp-addr", -1, "ntp.bench.example" },
};
