/* wpi-service-mobility.c: a user's logon and logoff, as inventory-changes report them
 *
 * With mobility a user logs on at any phone, which then carries the user's number
 * (e164) instead of its own (basic-e164), and logs off again. The phone tells its
 * provisioning server with an `inventory-changes` that carries `sip-mobility-state`
 * (0 logged on, 1 logged off, 2 interim; items.md §1) and, in the flows third-party
 * servers and simulators run, `requested-items` / `modified-items`: the user's data
 * blobs (`userdata-*`) the phone asks for or has changed (items.md §13.1, [3P:dmos]).
 *
 * The guide does not describe inventory-changes beyond its name [p.28]; protocol.md
 * §7.3 reads it like local-changes: the service may answer with any action or CleanUp.
 * The console keeps no users' data, so it records the logon or logoff as an event on
 * the phone (who, when) and answers with the phone's pending jobs or CleanUp, never a
 * ReadAllItems: the phone keeps the user's data it has, and a logon is not slowed by a
 * read of its whole configuration (what changed is attached to the message).
 */
#include "config.h"

#include <string.h>

#include "wpi-service-private.h"

/* A stored item of the phone, trimmed; NULL when it has none */
static char *
stored_value (WpiService *self,
              const char *mac,
              const char *name)
{
  g_autoptr(WpiStoreItem) item = wpi_store_phone_item_get (self->store, mac, name, FALSE, 0, NULL);

  return item != NULL ? _wpi_service_trimmed (item->value) : NULL;
}

static char *
message_value (WpiMessage *request,
               const char *name)
{
  g_autofree char *value = _wpi_service_trimmed (wpi_message_get_item_value (request, name));

  return value != NULL && *value != '\0' ? g_steal_pointer (&value) : NULL;
}

/* "requested-items: a,b; modified-items: c", or NULL when the phone listed neither */
static char *
listed_user_data (WpiMessage *request)
{
  static const char *const lists[] = { "requested-items", "modified-items" };
  g_autoptr(GString) detail = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autofree char *value = message_value (request, lists[i]);

      if (value != NULL)
        g_string_append_printf (detail, "%s%s: %s", detail->len > 0 ? "; " : "", lists[i], value);
    }
  return detail->len > 0 ? g_string_free (g_steal_pointer (&detail), FALSE) : NULL;
}

/* "logon", "logoff" or NULL: what the message says happened. The state the phone reports
 * decides; without one, a number other than the phone's own means a user is on it. */
static const char *
mobility_change (WpiMessage *request,
                 const char *state)
{
  g_autofree char *e164 = NULL;
  g_autofree char *basic = NULL;

  if (g_strcmp0 (state, "0") == 0)
    return "logon";
  if (g_strcmp0 (state, "1") == 0)
    return "logoff";
  if (state != NULL)
    return NULL;   /* 2: interim, the change is not over */
  e164 = message_value (request, "e164");
  basic = message_value (request, "basic-e164");
  if (e164 == NULL || basic == NULL)
    return NULL;
  return strcmp (e164, basic) != 0 ? "logon" : "logoff";
}

/* An inventory-changes is a mobility change when its sip-mobility-state differs from
 * the one stored for the phone, or when it lists user data; every phone reports a
 * state in its basic items, so the state alone says nothing. Runs before the message's
 * items are stored, so the stored ones are those from before. *mobility: it was one. */
gboolean
_wpi_service_note_mobility (WpiService  *self,
                            Flow        *flow,
                            WpiMessage  *request,
                            gboolean    *mobility,
                            GError     **error)
{
  g_autofree char *state = message_value (request, "sip-mobility-state");
  g_autofree char *previous_state = stored_value (self, flow->mac, "sip-mobility-state");
  g_autofree char *detail = listed_user_data (request);
  g_autofree char *user = NULL;
  const char *kind;

  *mobility = FALSE;
  if (detail == NULL && (state == NULL || previous_state == NULL || strcmp (state, previous_state) == 0))
    return TRUE;
  kind = mobility_change (request, state);
  if (kind == NULL)
    return TRUE;

  /* who: the number the phone has now after a logon, the one it had before a logoff */
  user = strcmp (kind, "logon") == 0 ? message_value (request, "e164")
                                     : stored_value (self, flow->mac, "e164");
  if (!wpi_store_phone_event_add (self->store, flow->mac, g_get_real_time (), kind, user, detail, error))
    return FALSE;
  *mobility = TRUE;
  _wpi_service_log (self, "%s: mobility %s of %s%s%s", flow->mac, kind, user ? user : "an unnamed user",
                    detail ? "; " : "", detail ? detail : "");
  return TRUE;
}
