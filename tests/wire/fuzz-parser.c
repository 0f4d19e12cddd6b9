/* fuzz-parser.c: libFuzzer target for the WPI parser
 *
 * Every input must either parse into a message that survives a serialize/parse round
 * trip unchanged, or fail with a WPI_CODEC_ERROR whose message starts "LINE:COL: ".
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "wpi-codec.h"
#include "wpi-dump.h"
#include "wpi-rules.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) message = wpi_message_parse ((const char *) data, size, &error);

  if (message == NULL)
    {
      int line, column;

      if (error == NULL || error->domain != WPI_CODEC_ERROR ||
          sscanf (error->message, "%d:%d: ", &line, &column) != 2)
        __builtin_trap ();
      return 0;
    }

  {
    g_autoptr(GError) again_error = NULL;
    g_autoptr(WpiMessage) again = NULL;
    g_autofree char *json = NULL;
    g_auto(GStrv) warnings = NULL;
    gsize length = 0;
    g_autofree char *xml = wpi_message_serialize (message, &length);

    again = wpi_message_parse (xml, length, &again_error);
    if (again == NULL || !wpi_message_equal (message, again))
      __builtin_trap ();

    json = wpi_message_to_json (message);
    warnings = wpi_message_check_rules (message);
  }
  return 0;
}
