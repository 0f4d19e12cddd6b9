/* wpi-service-admission.c: whether a new flow is admitted under load (D21)
 *
 * Above max-flows flows in progress, a new start-up, solicited or local-changes flow is
 * answered CleanUp with cleanup-reason=overload, as the vendor's DLS does, instead of
 * queuing without bound. The phone retries on its own schedule (items.md §13); its pending
 * jobs stay pending, and a contact-me the refused solicited flow answered is sent again
 * after the D10 back-off. The other reasons (a status, the phone's own clean-up, inventory
 * changes) finish what is already under way and are always admitted.
 *
 * While overloaded, the flows in progress go first: a connection from an address without a
 * flow in progress waits for its TLS handshake behind them, one at a time, as a busy peer's
 * does (wpi-service-listener.c). Turning a phone away costs a handshake; without this, the
 * refusals took the CPU from the admitted flows and made them 3-4 times slower.
 *
 * Nor does a place that frees up go to a phone that already waited long in that line: while
 * flows are still in progress, a new flow on a connection that waited more than
 * OVERLOAD_STALE_WAIT_MS (in line and for its handshake) is turned away too, and the place
 * goes to a phone that connects now, as CoDel sheds what queued too long. Admitting the one
 * that waited hands its wait on as the flow's latency: in bench-service's overload run, the
 * admitted flows' p95 came down from about 2.5 to 2.1-2.2 times the sustainable run's.
 * The same holds when no flow is in progress by the time its message comes but others still
 * wait in the line: served one handshake at a time, its later ones waited for the ones ahead
 * of them, not for a place. In the overload run, 81 of the 100 slowest admitted start-ups
 * were such (20-60 ms in line, 5-7 ahead of them); shed too, the slowest start-ups' wait
 * (p99, from ClientHello to the message) fell from 32 to 17 ms. Only when the line is
 * empty, the rush is over, and whoever waited is admitted.
 *
 * The log names the first phone turned away, then counts: at 3 times the sustainable rate
 * the service turns away over a hundred phones a second, and a line for each buried every
 * other line of the log. Each one is still in the traffic log, as a flow of its own (D28).
 */
#include "config.h"

#include "wpi-service-private.h"

#define OVERLOAD_REASON "overload"
#define OVERLOAD_STALE_WAIT_MS 10   /* about two handshakes of the flows in progress */
#define OVERLOAD_WAIT_KEY "wpi-overload-wait"
#define OVERLOAD_SUMMARY_US G_USEC_PER_SEC   /* one count a second while it goes on */

/* Whether a new flow would be turned away now */
gboolean
_wpi_service_is_overloaded (WpiService *self)
{
  return self->max_flows != 0 && g_hash_table_size (self->flows) >= self->max_flows;
}

/* Whether a flow in progress came from ip: a connection from there most likely carries the
 * next message of work already admitted. At most max-flows flows to look at. */
gboolean
_wpi_service_ip_has_flow (WpiService *self,
                          const char *ip)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->flows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((Flow *) value)->peer_ip, ip) == 0)
      return TRUE;
  return FALSE;
}

/* waited: µs the connection's handshake waited behind the flows in progress */
void
_wpi_service_set_overload_wait (GSocketConnection *connection,
                                gint64             waited)
{
  if (waited > 0)
    g_object_set_data (G_OBJECT (connection), OVERLOAD_WAIT_KEY, GSIZE_TO_POINTER ((gsize) waited));
}

gint64
_wpi_service_get_overload_wait (GSocketConnection *connection)
{
  return (gint64) GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (connection), OVERLOAD_WAIT_KEY));
}

/* Whether other connections still wait in the line, or one's handshake runs: then a place
 * that is free goes to one of them, or to a phone that connects now, not to one that
 * waited long */
static gboolean
line_goes_on (WpiService *self)
{
  return self->busy_handshaking || self->busy_handshakes.length > 0;
}

static gboolean
reason_is_limited (WpiReason reason)
{
  switch (reason)
    {
    case WPI_REASON_START_UP:
    case WPI_REASON_SOLICITED:
    case WPI_REASON_LOCAL_CHANGES:
      return TRUE;
    case WPI_REASON_NONE:
    case WPI_REASON_INVENTORY_CHANGES:
    case WPI_REASON_REPLY_TO:
    case WPI_REASON_STATUS:
    case WPI_REASON_CLEAN_UP:
    case WPI_REASON_OTHER:
    default:
      return FALSE;
    }
}

/* Whether a phone turned away now gets a line of its own: the first after a quiet second
 * does, the others are counted until _wpi_service_overload_summary() */
static gboolean
overload_log_first (WpiService *self)
{
  gint64 now = g_get_monotonic_time ();

  if (self->overload_logged_at != 0 && now - self->overload_logged_at < OVERLOAD_SUMMARY_US)
    return FALSE;
  if (self->overload_no_place + self->overload_stale > 0)
    return FALSE;   /* a count is due first; the tick logs it */
  self->overload_logged_at = now;
  return TRUE;
}

/* The phones turned away since the last overload line, once a second from the service's
 * tick; now: at once (the service stops) */
void
_wpi_service_overload_summary (WpiService *self,
                               gboolean    now)
{
  guint total = self->overload_no_place + self->overload_stale;
  gint64 since = g_get_monotonic_time () - self->overload_logged_at;

  if (total == 0 || (!now && since < OVERLOAD_SUMMARY_US))
    return;
  _wpi_service_log (self, "overload: %u more new %s answered CleanUp in the last %.1f s "
                    "(%u at max-flows %u, %u after waiting over %d ms in line); "
                    "each one is in the traffic log", total, total == 1 ? "flow" : "flows",
                    since / (double) G_USEC_PER_SEC,
                    self->overload_no_place, self->max_flows, self->overload_stale,
                    OVERLOAD_STALE_WAIT_MS);
  self->overload_no_place = 0;
  self->overload_stale = 0;
  self->overload_logged_at = g_get_monotonic_time ();
}

/* request: the first message of a new flow of mac, on a connection whose handshake waited
 * that many µs behind the flows in progress. The CleanUp that turns it away, or NULL when
 * it is admitted. A flow the phone abandoned for this one does not count: this one
 * replaces it. No send-solicited: that would call the phone back at once, which is what an
 * overloaded service does not want. */
WpiMessage *
_wpi_service_overload_reply (WpiService *self,
                             gint64      waited,
                             const char *mac,
                             WpiMessage *request)
{
  guint in_progress = g_hash_table_size (self->flows) -
                      (g_hash_table_contains (self->flow_by_mac, mac) ? 1 : 0);
  const char *reason = wpi_reason_to_string (wpi_message_get_reason (request)) ?: "?";
  WpiMessage *reply;

  if (self->max_flows == 0 || !reason_is_limited (wpi_message_get_reason (request)))
    return NULL;
  if (in_progress >= self->max_flows)
    {
      if (!overload_log_first (self))
        self->overload_no_place++;
      else
        _wpi_service_log (self, "overload: %s of %s answered CleanUp (%u %s in progress, max-flows %u)",
                          reason, mac, in_progress, in_progress == 1 ? "flow" : "flows", self->max_flows);
    }
  else if (waited > OVERLOAD_STALE_WAIT_MS * 1000 && (in_progress > 0 || line_goes_on (self)))
    {
      if (!overload_log_first (self))
        self->overload_stale++;
      else
        _wpi_service_log (self, "overload: %s of %s answered CleanUp (its connection waited %"
                          G_GINT64_FORMAT " ms in line; %u %s in progress, others still waiting)",
                          reason, mac, waited / 1000, in_progress, in_progress == 1 ? "flow" : "flows");
    }
  else
    return NULL;
  reply = _wpi_service_reply_new (request, WPI_ACTION_CLEAN_UP);
  wpi_message_add_item (reply, "cleanup-reason", OVERLOAD_REASON);
  return reply;
}
