/* wpc-demo.h: simulated phones against the console's own service
 *
 * `workpoint-console --demo N` (and the empty state's "Start demo" button) run N
 * simulated OpenStage phones in the console's process, so that a newcomer sees phones,
 * busy and idle states, traffic and a PIN handout without hardware.
 */
#pragma once

#include "wpi-service.h"
#include "wpi-simulator.h"

G_BEGIN_DECLS

#define WPC_DEMO_PROFILE "demo"

/* Starts n phones against the service's default port, listening for contact-me on
 * 127.1.x.y:8085 (or 127.2, 127.3 ... when another demo holds those). A first demo run
 * also sets a default profile, so every new phone gets a WriteItems at registration:
 * phones in a call answer it "busy", which the console then shows. */
WpiSimulator *wpc_demo_start (WpiService  *service,
                              guint        n_phones,
                              GError     **error);

G_END_DECLS
