/* wpictl-private.h: what the parts of wpictl share
 *
 * wpictl.c parses the command line into wpictl_opt, sets up wpictl and runs one
 * command; the commands live in a file per subject (wpictl-phones.c, wpictl-jobs.c,
 * wpictl-deploy.c, wpictl-profiles.c, wpictl-traffic.c, wpictl-secure.c, wpictl-import.c,
 * wpictl-sweep.c), the item
 * arguments they take are parsed in wpictl-items.c.
 */
#pragma once

#include <gio/gio.h>

#include "wpc-ctl-output.h"
#include "wpi-catalogue.h"
#include "wpi-store.h"

G_BEGIN_DECLS

/* The exit status; see wpictl.c */
enum {
  EXIT_OK         = 0,
  EXIT_USAGE      = 1,
  EXIT_INVALID    = 2,
  EXIT_JOB_FAILED = 3,
  EXIT_TIMEOUT    = 4,
  /* bootstrap stopped by Ctrl+C: 128 + SIGINT, as a shell reports it */
  EXIT_INTERRUPTED = 130,
};

/* Errors of wpictl itself; the code is the exit status. */
#define WPICTL_ERROR (_wpictl_error_quark ())
GQuark _wpictl_error_quark (void);

/* text output: longer values are cut (JSON has them whole) */
#define TEXT_VALUE_CHARS 72

/* The options. Each command offers the ones its flags name (see commands[] in wpictl.c). */
typedef struct {
  char     *global_data_dir;
  char     *data_dir;
  gboolean  version;
  gboolean  json;
  gboolean  show_secrets;
  gboolean  wait;
  double    wait_seconds;
  gboolean  yes;
  char     *phone;
  char     *state;
  int       limit;
  char     *type;
  char     *sw_version;
  gboolean  immediate;
  char     *url_base;
  char     *name;
  gboolean  none;
  gboolean  all_phones;
  gboolean  default_mode;
  char     *match;
  gboolean  pin;
  gboolean  nopin;
  char     *pin_length;    /* numbers, checked by the command: any int would pass as "not given" */
  char     *max_retries;
  char     *handout;
  char     *paper;
  gboolean  show_pins;
  gboolean  all_pins;
  char     *flow;
  char     *jsonl;
  char     *pcapng;
  gboolean  dry_run;
  int       rate;          /* sweep: 0, the setting */
  int       concurrency;   /* sweep: 0, the default */
  char     *callback;      /* sweep: the address the phones are to call */
} WpictlOptions;

/* What the commands work on: the data directory chosen, its store once opened */
typedef struct {
  char         *data_dir;
  WpiStore     *store;
  WpiCatalogue *catalogue;
} WpictlContext;

extern WpictlOptions wpictl_opt;
extern WpictlContext wpictl;

/* wpictl.c: errors and the store */

/* One line on stderr; returns the exit status to use. */
int             _wpictl_fail               (int                  status,
                                            const char          *format,
                                            ...) G_GNUC_PRINTF (2, 3);
/* The error's message on stderr; returns the exit status it stands for. */
int             _wpictl_fail_error         (const GError        *error);
/* Only profile commands create a store: everything else needs a service's store. */
gboolean        _wpictl_open_store         (gboolean             create,
                                            GError             **error);
char           *_wpictl_normalize_mac      (const char          *text,
                                            GError             **error);
WpiPhoneRecord *_wpictl_get_phone          (const char          *text,
                                            GError             **error);
gboolean        _wpictl_parse_job_id       (const char          *text,
                                            gint64              *job_id,
                                            GError             **error);

/* wpictl-items.c: item arguments */

/* NAME or NAME[INDEX], the first length bytes of text */
gboolean        _wpictl_parse_item_name    (const char          *text,
                                            gsize                length,
                                            char               **name,
                                            gboolean            *has_index,
                                            gint64              *index,
                                            GError             **error);
gboolean        _wpictl_check_item_to_read (const char          *name,
                                            gboolean             has_index,
                                            gint64               index,
                                            GError             **error);
/* NAME=VALUE or NAME[INDEX]=VALUE, checked and added to items */
gboolean        _wpictl_parse_assignment   (const char          *text,
                                            gboolean             profile,
                                            GArray              *items,
                                            GError             **error);

/* wpictl-jobs.c: queueing jobs and reporting on them */

WpiPhoneRecord *_wpictl_open_for_job       (const char          *mac_text,
                                            GError             **error);
int             _wpictl_report_jobs        (const gint64        *job_ids,
                                            guint                n_jobs,
                                            GArray              *requested);
int             _wpictl_enqueue_and_report (const char          *mac,
                                            WpiJobKind           kind,
                                            const char          *parameter,
                                            GArray              *items);
void            _wpictl_print_job_outcome  (const WpiJobRecord  *job,
                                            GArray              *requested);
void            _wpictl_print_jobs_table   (GPtrArray           *jobs,
                                            const char          *indent,
                                            gboolean             with_phone);

/* The commands: args are the arguments after the command's name, NULL-terminated;
 * each returns the exit status. */
int _wpictl_cmd_phones          (char **args);
int _wpictl_cmd_show            (char **args);
int _wpictl_cmd_location        (char **args);
int _wpictl_cmd_read            (char **args);
int _wpictl_cmd_read_all        (char **args);
int _wpictl_cmd_write           (char **args);
int _wpictl_cmd_restart         (char **args);
int _wpictl_cmd_factory_reset   (char **args);
int _wpictl_cmd_contact         (char **args);
int _wpictl_cmd_deploy_file     (char **args);
int _wpictl_cmd_deploy_software (char **args);
int _wpictl_cmd_jobs            (char **args);
int _wpictl_cmd_job             (char **args);
int _wpictl_cmd_cancel          (char **args);
int _wpictl_cmd_profile_set     (char **args);
int _wpictl_cmd_profile_default (char **args);
int _wpictl_cmd_profile_list    (char **args);
int _wpictl_cmd_profile_show    (char **args);
int _wpictl_cmd_profile_apply   (char **args);
int _wpictl_cmd_traffic         (char **args);
int _wpictl_cmd_bootstrap       (char **args);
int _wpictl_cmd_pins            (char **args);
int _wpictl_cmd_revoke          (char **args);
int _wpictl_cmd_dhcp_option     (char **args);
int _wpictl_cmd_diff            (char **args);
int _wpictl_cmd_copy_settings   (char **args);
int _wpictl_cmd_import          (char **args);
int _wpictl_cmd_export          (char **args);
int _wpictl_cmd_sweep           (char **args);

G_END_DECLS
