/* wpc-demo.h: simulated phones against the console's own service
 *
 * `workpoint-console --demo N` (and the empty state's "Start demo" button) run N
 * simulated OpenStage phones in the console's process, so that a newcomer sees phones,
 * busy and idle states, traffic and a PIN handout without hardware.
 */
#pragma once

#include "wpi-simulator.h"
#include "wpi-store.h"

G_BEGIN_DECLS

#define WPC_DEMO_PROFILE "demo"

/* Starts n phones against the service's Default Mode port on 127.0.0.1, on the calling
 * thread's context, listening for contact-me on 127.1.x.y:8085 (or 127.2, 127.3 ... when
 * another demo holds those). A first demo run also sets a default profile in store, so
 * every new phone gets a WriteItems at registration: phones in a call answer it "busy",
 * which the console then shows. The phones type the PINs store holds for them. */
WpiSimulator *wpc_demo_start_simulator (WpiStore  *store,
                                        guint      port,
                                        guint      n_phones,
                                        GError   **error);

/* The same on a thread of its own, with its own connection to the store in data_dir:
 * what the console runs, so that its GTK thread does none of the phones' work. */
#define WPC_TYPE_DEMO (wpc_demo_get_type ())

G_DECLARE_FINAL_TYPE (WpcDemo, wpc_demo, WPC, DEMO, GObject)

WpcDemo      *wpc_demo_start           (const char  *data_dir,
                                        guint        port,
                                        guint        n_phones,
                                        GError     **error);
guint         wpc_demo_get_n_phones    (WpcDemo     *self);
/* Stops the phones, lets their last exchanges finish (a few seconds at most) and joins
 * the thread. Disposing the demo does the same. */
void          wpc_demo_stop            (WpcDemo     *self);

G_END_DECLS
