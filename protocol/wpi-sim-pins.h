/* wpi-sim-pins.h: the PINs a simulated user reads off a handout CSV (internal to the simulator)
 *
 * The handout CSV (issue 4 §3) has a header line and the columns mac, e164, model, location,
 * pin, quoted as RFC 4180 says. A phone that asks for its PIN looks itself up here at that
 * moment, so a handout printed after the simulator started is seen; the file is parsed again
 * only when it changed on disk.
 *
 * TODO: switch the reader to wpi_handout_read_csv() once the handout module is on main; the
 * cache by (device, inode, size, mtime) stays.
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

/* The whole table, MAC (normalised) -> PIN, for tests and for checking a file up front. */
GHashTable *wpi_sim_pins_read_csv (const char   *path,
                                   GError      **error);

G_END_DECLS
