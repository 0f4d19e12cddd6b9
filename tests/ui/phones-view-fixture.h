/* phones-view-fixture.h: the console with a real provisioning service on 127.0.0.1 and
 * phones that register over HTTPS, for the Phones view's tests (test-ui-phones*.c) */
#pragma once

#include <libsoup/soup.h>

#include "wpc-phones-view.h"
#include "wpc-window.h"
#include "wpi-message.h"
#include "wpi-phone.h"
#include "wpi-service-host.h"
#include "wpi-store.h"
#include "ui-test-util.h"

G_BEGIN_DECLS

#define WAIT_TIMEOUT_MS 60000

#define wait_for(condition, data, what) test_util_wait_until (condition, data, WAIT_TIMEOUT_MS, what)
#define wait_for_toplevel(type, name) ui_test_wait_for_toplevel (type, name, WAIT_TIMEOUT_MS)
#define wait_for_toplevel_gone(type, name) ui_test_wait_for_toplevel_gone (type, name, WAIT_TIMEOUT_MS)

typedef struct {
  const char *mac;
  const char *e164;
  const char *model;
  const char *firmware;
} PhoneSpec;

/* The phones every test registers, in registration order (not sorted by MAC) */
extern const PhoneSpec phones[3];

typedef struct _Fixture Fixture;
typedef void (*PhonesTestFunc) (Fixture *fixture);

struct _Fixture {
  UiTestConsole   console;
  WpcWindow      *window;
  WpcPhonesView  *view;
  SoupSession    *session;
  PhonesTestFunc  test;
};

/* Phones over HTTPS */
GBytes             *https_request     (Fixture            *fixture,
                                       const char         *method,
                                       const char         *path,
                                       WpiMessage         *message,
                                       char              **cookie,
                                       guint              *status);
void                register_phone    (Fixture            *fixture,
                                       const PhoneSpec    *spec);
/* Registers phones[] and waits until the list shows them, their flows ended */
void                register_all      (Fixture            *fixture);

/* The list's rows and selection */
void                wait_for_rows     (Fixture            *fixture,
                                       guint               rows);
WpiPhone           *row_phone         (Fixture            *fixture,
                                       guint               position);
guint               row_of_mac        (Fixture            *fixture,
                                       const char         *mac);
void                select_macs       (Fixture            *fixture,
                                       const char * const *macs);
/* A TestUtilCondition on a WpcPhoneDetails */
gboolean            details_loaded    (gpointer            data);

/* The jobs the view queued in the store */
GPtrArray          *jobs_of           (Fixture            *fixture,
                                       const char         *mac);
const WpiStoreItem *job_item          (const WpiJobRecord *job,
                                       const char         *name);
const WpiJobRecord *find_job          (GPtrArray          *jobs,
                                       WpiJobKind          kind);
void                wait_for_job      (Fixture            *fixture,
                                       const char         *mac,
                                       WpiJobKind          kind);

/* Each test runs func (a PhonesTestFunc) in the console's window, fixture->view set */
void                fixture_set_up    (Fixture            *fixture,
                                       gconstpointer       user_data);
void                fixture_tear_down (Fixture            *fixture,
                                       gconstpointer       user_data);
void                run_phones_test   (Fixture            *fixture,
                                       gconstpointer       user_data);

#define add_phones_test(path, func) \
  g_test_add (path, Fixture, (gconstpointer) func, fixture_set_up, run_phones_test, fixture_tear_down)

/* The tests of the other parts, registered by main() in test-ui-phones.c in one order */

/* test-ui-phones-selection.c: the details pane and the actions on the selection */
void test_actions_follow_selection   (Fixture *fixture);
void test_write_dialog               (Fixture *fixture);
void test_read_items_dialog          (Fixture *fixture);
void test_details                    (Fixture *fixture);
void test_location                   (Fixture *fixture);
void test_deploy                     (Fixture *fixture);
void test_apply_profile              (Fixture *fixture);

/* test-ui-phones-safety.c: safe by default (issue 12 §2) */
void test_factory_reset_confirmation (Fixture *fixture);
void test_restart_confirmation       (Fixture *fixture);
void test_undo_restart               (Fixture *fixture);
void test_bulk_progress_and_cancel   (Fixture *fixture);

G_END_DECLS
