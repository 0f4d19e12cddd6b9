/* test-util-sim.h: a simulated phone under test, with what it did counted (its flows,
 * downloads and states), for the tests that run WpiSimPhones against a service.
 */
#pragma once

#include "wpi-sim-phone.h"
#include "wpi-simulator.h"
#include "test-util.h"

G_BEGIN_DECLS

typedef struct {
  WpiSimPhone *phone;
  guint        n_started;
  guint        n_finished;
  guint        n_failed;
  GPtrArray   *reasons;        /* of char *, the reason of each finished flow */
  GPtrArray   *details;        /* of char *, its trail ("ReadAllItems,CleanUp") or failure */
  GArray      *oks;            /* of gboolean, whether it succeeded */
  const char  *last_detail;    /* the last of details, NULL before the first flow ends */
  guint        n_downloads;
  guint        n_downloads_ok;
  GArray      *states;         /* of WpiSimPhoneState, every state entered */
  gboolean     rebooted;       /* it entered WPI_SIM_PHONE_STATE_REBOOTING */
  guint        target;         /* free for a test's wait conditions */
} TestUtilPhoneWatch;

/* TRUE when the phone has no operation left (requests, PIN attempts): a TestUtilCondition */
gboolean            test_util_phone_is_quiet   (gpointer            phone);

/* TRUE when the WpiSimulator has nothing left in flight: a TestUtilCondition */
gboolean            test_util_simulator_is_quiet     (gpointer       simulator);
/* Logs each flow of the simulator's phones that fails, with g_test_message() */
void                test_util_simulator_log_failures (WpiSimulator  *simulator);

/* An OpenStage 60 with mac and e164 that registers at service_uri from a loopback address
 * of its own (wpi_simulator_address_for() "127.1" and address_index), so that the service
 * sees it as the peer as in a real network, and binds its requests there ("bind-local");
 * its contact port is any free one, so that parallel test programs never collide. */
WpiSimPhone        *test_util_sim_phone_new_on_loopback (const char     *mac,
                                                         const char     *e164,
                                                         WpiSimFirmware  firmware,
                                                         const char     *service_uri,
                                                         guint           address_index);

/* Watches phone (the watch owns it from now on); each flow and download is also logged
 * with g_test_message(). */
TestUtilPhoneWatch *test_util_phone_watch_new  (WpiSimPhone        *phone);
/* Stops the phone, waits up to timeout_ms until its operations have ended, frees all. */
void                test_util_phone_watch_free (TestUtilPhoneWatch *watch,
                                                guint               timeout_ms);

/* For a test program that runs simulated phones in its own process, as wpi-sim does: any
 * server certificate is accepted without loading the system CA store for every
 * connection, and the phones queue their requests (4 at once) so that a server in the
 * same process always finds one of GLib's TLS handshake threads. Call after g_test_init(). */
void                test_util_sim_init         (void);

/* "127.N" with N in first .. first + spread - 1 by the process id, so that parallel test
 * programs bind different loopback addresses */
char               *test_util_sim_bind_prefix  (guint               first,
                                                guint               spread);
/* A room of n_phones simulated phones that do not know the service yet (await-contact:
 * they call it only after a contact-me, e.g. a sweep's, issue 14), phone n listening on
 * port 8085 of address n * stride under bind_prefix, MACs from base_mac; started, with
 * failed flows logged. */
WpiSimulator       *test_util_sim_room_start   (const char         *service_uri,
                                                guint               n_phones,
                                                const char         *bind_prefix,
                                                guint               stride,
                                                const char         *base_mac);

G_END_DECLS
