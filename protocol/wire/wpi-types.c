/* wpi-types.c: wire strings of the WPI enumerations */
#include "config.h"

#include "wpi-types.h"

typedef struct {
  int         value;
  const char *wire;
} WireName;

static const WireName reason_names[] = {
  { WPI_REASON_START_UP, "start-up" },
  { WPI_REASON_LOCAL_CHANGES, "local-changes" },
  { WPI_REASON_INVENTORY_CHANGES, "inventory-changes" },
  { WPI_REASON_STATUS, "status" },
  { WPI_REASON_SOLICITED, "solicited" },
  { WPI_REASON_REPLY_TO, "reply-to" },
  { WPI_REASON_CLEAN_UP, "clean-up" },
};

static const WireName action_names[] = {
  { WPI_ACTION_READ_ALL_ITEMS, "ReadAllItems" },
  { WPI_ACTION_READ_ITEMS, "ReadItems" },
  { WPI_ACTION_WRITE_ITEMS, "WriteItems" },
  { WPI_ACTION_RESTART, "Restart" },
  { WPI_ACTION_FILE_DEPLOYMENT, "FileDeployment" },
  { WPI_ACTION_SOFTWARE_DEPLOYMENT, "SoftwareDeployment" },
  { WPI_ACTION_CLEAN_UP, "CleanUp" },
  { WPI_ACTION_GET_NEXT_FRAGMENT, "GetNextFragment" },
};

static const WireName message_status_names[] = {
  { WPI_MESSAGE_STATUS_ACCEPTED, "accepted" },
  { WPI_MESSAGE_STATUS_FAILED, "failed" },
  { WPI_MESSAGE_STATUS_BUSY, "busy" },
};

static const WireName item_status_names[] = {
  { WPI_ITEM_STATUS_FAILED, "failed" },
  { WPI_ITEM_STATUS_UNKNOWN_ITEM, "unknown item" },
  { WPI_ITEM_STATUS_READ_ONLY, "read only" },
  { WPI_ITEM_STATUS_INVALID_INDEX, "invalid index" },
  { WPI_ITEM_STATUS_UNEXPECTED_ITEM, "unexpected item" },
  { WPI_ITEM_STATUS_NOT_SUPPORTED, "not supported" },
  { WPI_ITEM_STATUS_INVALID_DATA, "invalid data" },
  { WPI_ITEM_STATUS_UNDEFINED_STATUS, "undefined status" },
};

static const WireName fragment_names[] = {
  { WPI_FRAGMENT_NEXT, "next" },
  { WPI_FRAGMENT_FINAL, "final" },
};

/* none_value for NULL/empty, other_value for a string the guide does not name */
static int
lookup_wire (const WireName *names,
             gsize           n_names,
             const char     *str,
             int             none_value,
             int             other_value)
{
  if (str == NULL || *str == '\0')
    return none_value;
  for (gsize i = 0; i < n_names; i++)
    if (g_ascii_strcasecmp (names[i].wire, str) == 0)
      return names[i].value;
  return other_value;
}

static const char *
lookup_value (const WireName *names,
              gsize           n_names,
              int             value)
{
  for (gsize i = 0; i < n_names; i++)
    if (names[i].value == value)
      return names[i].wire;
  return NULL;
}

const char *
wpi_message_kind_to_string (WpiMessageKind kind)
{
  return kind == WPI_MESSAGE_KIND_DLS ? "DLSMessage" : "WorkpointMessage";
}

WpiReason
wpi_reason_from_string (const char *str)
{
  return lookup_wire (reason_names, G_N_ELEMENTS (reason_names), str,
                      WPI_REASON_NONE, WPI_REASON_OTHER);
}

const char *
wpi_reason_to_string (WpiReason reason)
{
  return lookup_value (reason_names, G_N_ELEMENTS (reason_names), reason);
}

WpiAction
wpi_action_from_string (const char *str)
{
  return lookup_wire (action_names, G_N_ELEMENTS (action_names), str,
                      WPI_ACTION_NONE, WPI_ACTION_OTHER);
}

const char *
wpi_action_to_string (WpiAction action)
{
  return lookup_value (action_names, G_N_ELEMENTS (action_names), action);
}

WpiMessageStatus
wpi_message_status_from_string (const char *str)
{
  return lookup_wire (message_status_names, G_N_ELEMENTS (message_status_names), str,
                      WPI_MESSAGE_STATUS_NONE, WPI_MESSAGE_STATUS_OTHER);
}

const char *
wpi_message_status_to_string (WpiMessageStatus status)
{
  return lookup_value (message_status_names, G_N_ELEMENTS (message_status_names), status);
}

WpiItemStatus
wpi_item_status_from_string (const char *str)
{
  /* The guide's prose once writes "read-only" for the XML's "read only" */
  if (str != NULL && g_ascii_strcasecmp (str, "read-only") == 0)
    return WPI_ITEM_STATUS_READ_ONLY;
  return lookup_wire (item_status_names, G_N_ELEMENTS (item_status_names), str,
                      WPI_ITEM_STATUS_NONE, WPI_ITEM_STATUS_OTHER);
}

const char *
wpi_item_status_to_string (WpiItemStatus status)
{
  return lookup_value (item_status_names, G_N_ELEMENTS (item_status_names), status);
}

WpiFragment
wpi_fragment_from_string (const char *str)
{
  return lookup_wire (fragment_names, G_N_ELEMENTS (fragment_names), str,
                      WPI_FRAGMENT_NONE, WPI_FRAGMENT_OTHER);
}

const char *
wpi_fragment_to_string (WpiFragment fragment)
{
  return lookup_value (fragment_names, G_N_ELEMENTS (fragment_names), fragment);
}
