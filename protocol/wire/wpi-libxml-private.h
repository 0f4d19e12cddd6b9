/* wpi-libxml-private.h: libxml2 made ready once, before any thread uses it
 *
 * libxml2 2.9 initialises its globals (the encoding handlers, the parser's tables) on
 * first use unless xmlInitParser() ran before: two threads that build bundles or parse
 * messages at once raced there (a crash in xmlDocDumpMemoryEnc, seen under ASan). Every
 * entry of the wire layer that calls libxml2 calls this first.
 */
#pragma once

#include <glib.h>
#include <libxml/parser.h>

G_BEGIN_DECLS

static inline void
_wpi_libxml_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      xmlInitParser ();
      g_once_init_leave (&initialized, 1);
    }
}

G_END_DECLS
