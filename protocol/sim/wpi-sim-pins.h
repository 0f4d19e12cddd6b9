/* wpi-sim-pins.h: the PINs a simulated user reads off a handout CSV (internal to the simulator)
 *
 * A phone that asks for its PIN looks itself up in the handout CSV at that moment, so a
 * handout printed after the simulator started is seen; the file is read again (with
 * wpi_handout_read_csv()) only when it changed on disk.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The PIN listed for mac (any form wpi_mac_normalize() accepts) in the CSV at path. NULL
 * without an error when the file does not exist (yet) or does not list the phone; NULL with
 * an error when it exists but cannot be read or is not a handout CSV. A MAC listed twice
 * gets the PIN of its last row (a re-issued PIN appended to the file). */
char     *wpi_sim_pins_lookup     (const char   *path,
                                   const char   *mac,
                                   GError      **error);

G_END_DECLS
