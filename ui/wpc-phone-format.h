/* wpc-phone-format.h: how the console words phone states, modes, jobs and times
 *
 * Shared by the phone list and the details pane so that both say the same thing.
 */
#pragma once

#include <glib.h>

#include "wpi-store.h"

G_BEGIN_DECLS

/* By the stored nicks of WpiPhone:state and WpiPhone:mode (NULL counts as unknown) */
const char *wpc_phone_state_label      (const char    *state);
const char *wpc_phone_state_icon_name  (const char    *state);
/* Busy first, unknown last: the order of the state column */
int         wpc_phone_state_rank       (const char    *state);
const char *wpc_phone_mode_label       (const char    *mode);
const char *wpc_phone_mode_icon_name   (const char    *mode);

const char *wpc_job_kind_label         (WpiJobKind     kind);
const char *wpc_job_state_label        (WpiJobState    state);

/* "12 s ago", "5 min ago", "3 h ago", "2 days ago"; "Never" for 0. Times in µs of
 * g_get_real_time(). */
char       *wpc_format_relative_time   (gint64         time_us,
                                        gint64         now_us);
/* Local time: "14:03:12" today, "2026-11-25 14:03" on another day; "Never" for 0. */
char       *wpc_format_time            (gint64         time_us,
                                        gint64         now_us);

G_END_DECLS
