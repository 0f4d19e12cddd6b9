/* wpc-phone-format.c: how the console words phone states, modes, jobs and times */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpc-phone-format.h"

typedef struct {
  const char *nick;
  const char *label;
  const char *icon_name;
  int         rank;
} StateInfo;

/* Every state has an icon of its own and a word: colour is never the only difference. */
static const StateInfo states[] = {
  { "busy",        N_("Busy"),        "wpc-phone-busy-symbolic",      0 },
  { "in-session",  N_("In session"),  "emblem-synchronizing-symbolic", 1 },
  { "idle",        N_("Idle"),        "wpc-phone-symbolic",            2 },
  { "unreachable", N_("Unreachable"), "network-offline-symbolic",      3 },
  /* imported ahead, not called yet (D24) */
  { "expected",    N_("Expected"),    "document-open-recent-symbolic", 4 },
  { "unknown",     N_("Unknown"),     "dialog-question-symbolic",      5 },
};

static const StateInfo *
lookup_state (const char *state)
{
  for (guint i = 0; state != NULL && i < G_N_ELEMENTS (states); i++)
    if (strcmp (states[i].nick, state) == 0)
      return &states[i];
  return &states[G_N_ELEMENTS (states) - 1];
}

const char *
wpc_phone_state_label (const char *state)
{
  return _(lookup_state (state)->label);
}

const char *
wpc_phone_state_icon_name (const char *state)
{
  return lookup_state (state)->icon_name;
}

int
wpc_phone_state_rank (const char *state)
{
  return lookup_state (state)->rank;
}

const char *
wpc_phone_mode_label (const char *mode)
{
  /* Translators: a phone's mode; the phones' own menus call it "Default Mode" */
  if (g_strcmp0 (mode, "secure") == 0)
    return C_("phone mode", "Secure");
  return C_("phone mode", "Default");
}

const char *
wpc_phone_mode_icon_name (const char *mode)
{
  return g_strcmp0 (mode, "secure") == 0 ? "channel-secure-symbolic" : "channel-insecure-symbolic";
}

const char *
wpc_job_kind_label (WpiJobKind kind)
{
  switch (kind)
    {
    case WPI_JOB_KIND_READ_ALL: return _("Read all items");
    case WPI_JOB_KIND_READ_ITEMS: return _("Read items");
    case WPI_JOB_KIND_WRITE_ITEMS: return _("Write items");
    case WPI_JOB_KIND_RESTART: return _("Restart");
    case WPI_JOB_KIND_FACTORY_RESET: return _("Factory reset");
    case WPI_JOB_KIND_FILE_DEPLOYMENT: return _("Deploy file");
    case WPI_JOB_KIND_SOFTWARE_DEPLOYMENT: return _("Deploy firmware");
    case WPI_JOB_KIND_APPLY_PROFILE: return _("Apply profile");
    case WPI_JOB_KIND_BOOTSTRAP: return _("Bootstrap to Secure Mode");
    default: return wpi_job_kind_to_string (kind);
    }
}

const char *
wpc_job_state_label (WpiJobState state)
{
  switch (state)
    {
    case WPI_JOB_STATE_QUEUED: return C_("job state", "Queued");
    case WPI_JOB_STATE_CONTACTING: return C_("job state", "Contacting the phone");
    case WPI_JOB_STATE_IN_PROGRESS: return C_("job state", "In progress");
    case WPI_JOB_STATE_WAITING_BUSY: return C_("job state", "Waiting: phone busy");
    case WPI_JOB_STATE_DONE: return C_("job state", "Done");
    case WPI_JOB_STATE_FAILED: return C_("job state", "Failed");
    case WPI_JOB_STATE_CANCELLED: return C_("job state", "Cancelled");
    case WPI_JOB_STATE_DONE_WITH_PROBLEMS: return C_("job state", "Done with problems");
    default: return wpi_job_state_to_string (state);
    }
}

char *
wpc_format_relative_time (gint64 time_us,
                          gint64 now_us)
{
  gint64 seconds;

  if (time_us <= 0)
    return g_strdup (C_("last contact", "Never"));

  /* A clock that went back shows "just now" rather than a negative age. */
  seconds = MAX (now_us - time_us, 0) / G_USEC_PER_SEC;
  if (seconds < 5)
    return g_strdup (_("Just now"));
  if (seconds < 60)
    /* Translators: an age in seconds, e.g. "12 s ago" */
    return g_strdup_printf (_("%d s ago"), (int) seconds);
  if (seconds < 60 * 60)
    /* Translators: an age in minutes, e.g. "5 min ago" */
    return g_strdup_printf (_("%d min ago"), (int) (seconds / 60));
  if (seconds < 24 * 60 * 60)
    /* Translators: an age in hours, e.g. "3 h ago" */
    return g_strdup_printf (_("%d h ago"), (int) (seconds / (60 * 60)));

  seconds /= 24 * 60 * 60;
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%d day ago", "%d days ago", (gulong) seconds),
                          (int) seconds);
}

char *
wpc_format_time (gint64 time_us,
                 gint64 now_us)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) now = NULL;

  if (time_us <= 0)
    return g_strdup (C_("last contact", "Never"));

  time = g_date_time_new_from_unix_local (time_us / G_USEC_PER_SEC);
  now = g_date_time_new_from_unix_local (now_us / G_USEC_PER_SEC);
  if (time == NULL || now == NULL)
    return g_strdup ("?");

  if (g_date_time_get_year (time) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (time) == g_date_time_get_day_of_year (now))
    return g_date_time_format (time, "%H:%M:%S");
  return g_date_time_format (time, "%Y-%m-%d %H:%M");
}
