/* test-util.h: what every test and benchmark needs and nothing in protocol/ offers */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes path and everything under it; symbolic links are removed, not followed. */
void test_util_remove_tree (const char *path);

G_END_DECLS
