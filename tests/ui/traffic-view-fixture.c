/* traffic-view-fixture.c: the traffic inspector in the main window, over a real store,
 * on an Xvfb display with settings in a memory backend (test-ui-traffic-view.c) */
#include "config.h"

#include "wpi-codec.h"
#include "traffic-view-fixture.h"

/* ---- The log ---------------------------------------------------------------------- */

static const struct {
  const char *fixture; /* NULL: a body the codec refuses */
  const char *mac;
  const char *flow;
} log_messages[] = {
  { "01-startup-01-phone-start-up", MAC_A, "flow-1" },
  { "01-startup-02-service-readallitems", MAC_A, "flow-1" },
  { "01-startup-03-phone-reply-readallitems", MAC_A, "flow-1" },
  { "01-startup-04-service-cleanup", MAC_A, "flow-1" },
  { "15-busy-03-phone-solicited", MAC_B, "flow-2" },
  { "15-busy-04-service-writeitems", MAC_B, "flow-2" },
  { "15-busy-05-phone-reply-busy", MAC_B, "flow-2" },
  { "15-busy-06-service-cleanup-plain", MAC_B, "flow-2" },
  { "07-write-03-phone-solicited", MAC_B, "flow-3" },
  { "07-write-04-service-writeitems", MAC_B, "flow-3" },
  { "07-write-05-phone-reply-item-failures", MAC_B, "flow-3" },
  { "07-write-08-service-cleanup", MAC_B, "flow-3" },
  { "05-generic-03-phone-solicited", MAC_C, NULL },  /* refused: a security event */
  { NULL, NULL, NULL },                              /* refused by the codec */
};

G_STATIC_ASSERT (G_N_ELEMENTS (log_messages) == N_LOG);

/* A record as the service logs it: the summary from the parsed body. */
WpiTrafficRecord *
log_record (guint i)
{
  WpiTrafficRecord *record = wpi_traffic_record_new ();
  g_autoptr(WpiMessage) message = NULL;

  record->time_us = G_GINT64_CONSTANT (1700000000000000) + (gint64) i * 250000;
  record->port = 18443;
  record->peer = g_strdup (i == 12 ? "10.9.9.9:4000" : "192.168.10.41:50123");
  record->mac = g_strdup (log_messages[i].mac);
  record->flow_id = g_strdup (log_messages[i].flow);
  if (log_messages[i].fixture != NULL)
    {
      g_autofree char *name = g_strconcat (log_messages[i].fixture, ".xml", NULL);
      g_autoptr(GError) error = NULL;

      record->body = test_util_read_fixture (name);
      message = wpi_message_parse (g_bytes_get_data (record->body, NULL), g_bytes_get_size (record->body), &error);
      g_assert_no_error (error);
      record->direction = wpi_message_get_kind (message) == WPI_MESSAGE_KIND_WORKPOINT
                          ? WPI_TRAFFIC_DIRECTION_IN : WPI_TRAFFIC_DIRECTION_OUT;
      wpi_traffic_record_set_summary (record, message);
    }
  else
    {
      record->body = g_bytes_new_static ("<WorkpointMessage><Message", 26);
      record->error_code = WPI_CODEC_ERROR_MALFORMED;
      record->error_text = g_strdup ("1:27: malformed XML");
    }
  if (i == 12)
    {
      record->error_code = -1;
      record->error_text = g_strdup (SECURITY_DETAIL);
    }
  {
    const char *head = record->direction == WPI_TRAFFIC_DIRECTION_IN
      ? "POST /DeploymentService/LoginService HTTP/1.1\r\nHost: 192.168.10.2:18443\r\nContent-Type: text/xml\r\n"
      : "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n";

    record->headers = g_bytes_new_static (head, strlen (head));
  }
  return record;
}

gint64
store_record (WpiStore         *store,
              WpiTrafficRecord *record)
{
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  if (record->error_code < 0)
    {
      g_assert_true (wpi_store_security_event_add (store, record->time_us, record->peer, record->mac,
                                                   "secure-phone-on-default-port", record->error_text, &error));
      g_assert_no_error (error);
    }
  g_assert_true (wpi_store_traffic_append (store, record, &id, &error));
  g_assert_no_error (error);
  record->id = id;
  return id;
}

/* ---- Fixture -------------------------------------------------------------------- */

void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  gboolean fill = GPOINTER_TO_INT (user_data);

  fixture->tmp = test_util_make_tmp_dir ("test-ui-traffic-view");
  dir = g_build_filename (fixture->tmp, "store", NULL);
  fixture->store = wpi_store_open (dir, &error);
  g_assert_no_error (error);
  for (guint i = 0; fill && i < N_LOG; i++)
    {
      g_autoptr(WpiTrafficRecord) record = log_record (i);
      store_record (fixture->store, record);
    }

  fixture->settings = ui_test_memory_settings ();
  g_settings_set_int (fixture->settings, "window-width", 1200);
  g_settings_set_int (fixture->settings, "window-height", 800);
  fixture->window = g_object_new (WPC_TYPE_WINDOW, "settings", fixture->settings, NULL);
  fixture->view = wpc_window_get_traffic_view (fixture->window);
  g_assert_true (WPC_IS_TRAFFIC_VIEW (fixture->view));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-page", "s", "traffic"));
  gtk_window_present (GTK_WINDOW (fixture->window));
  wait_for (ui_test_widget_is_mapped_and_allocated, fixture->view, "the inspector to be shown");
}

static gboolean
no_scan_or_export (gpointer data)
{
  WpcTrafficView *view = data;
  WpiTrafficFilterModel *model = wpc_traffic_view_get_model (view);

  return !wpc_traffic_view_get_exporting (view) && (model == NULL || !wpi_traffic_filter_model_get_running (model));
}

void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  wait_for (no_scan_or_export, fixture->view, "the inspector to finish its work");
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->settings);
  test_util_remove_tree (fixture->tmp);
  g_free (fixture->tmp);
}

GListModel *
list_model (Fixture *fixture)
{
  GtkColumnView *list = GTK_COLUMN_VIEW (ui_test_find_widget (GTK_WIDGET (fixture->view), GTK_TYPE_COLUMN_VIEW, NULL));

  g_assert_nonnull (list);
  return G_LIST_MODEL (gtk_column_view_get_model (list));
}

static gboolean
scan_done (gpointer data)
{
  return !wpi_traffic_filter_model_get_running (wpc_traffic_view_get_model (data));
}

void
wait_for_filter (Fixture *fixture)
{
  wait_for (scan_done, fixture->view, "the filter to be applied");
}

guint
n_shown (Fixture *fixture)
{
  return g_list_model_get_n_items (list_model (fixture));
}

