/* traffic-view-fixture.h: the traffic inspector in the main window over a real store with
 * a log of 14 messages, for test-ui-traffic-view.c */
#pragma once

#include "wpi-store.h"
#include "wpc-traffic-view-private.h"
#include "wpc-window.h"
#include "ui-test-util.h"

G_BEGIN_DECLS

#define WAIT_TIMEOUT_MS 20000

#define wait_for(condition, data, what) test_util_wait_until (condition, data, WAIT_TIMEOUT_MS, what)

#define MAC_A "00:1A:E8:3C:52:71"
#define MAC_B "00:1A:E8:12:34:56"
#define MAC_C "00:1A:E8:00:00:05"
#define SECURITY_DETAIL MAC_C " is in Secure Mode but contacted the default port"

/* The log's messages: three flows, a security event and a body the codec refuses */
#define N_LOG 14

typedef struct {
  char           *tmp;
  WpiStore       *store;
  GSettings      *settings;
  WpcWindow      *window;
  WpcTrafficView *view;
} Fixture;

/* A record as the service logs it (message i of the log): the summary from the parsed body */
WpiTrafficRecord *log_record        (guint             i);
gint64            store_record      (WpiStore         *store,
                                     WpiTrafficRecord *record);
/* user_data: TRUE fills the store with the log */
void              fixture_set_up    (Fixture          *fixture,
                                     gconstpointer     user_data);
void              fixture_tear_down (Fixture          *fixture,
                                     gconstpointer     user_data);
GListModel       *list_model        (Fixture          *fixture);
void              wait_for_filter   (Fixture          *fixture);
guint             n_shown           (Fixture          *fixture);

G_END_DECLS
