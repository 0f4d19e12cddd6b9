/* wpc-phones-view-actions.c: the Phones view's actions on the selection
 *
 * Read, write, contact-me, restart, factory reset, deploy, profile and bootstrap, in the
 * `phone.` group. Jobs for many phones are queued in steps on the main loop, a few
 * milliseconds at a time, with a progress bar and Cancel; each job is one store call, so
 * a cancelled run leaves whole jobs only.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "wpc-confirm-dialog.h"
#include "wpc-deploy-dialog.h"
#include "wpc-phone-format.h"
#include "wpc-phones-view-private.h"
#include "wpc-sweep-dialog.h"
#include "wpc-toast.h"
#include "wpc-write-dialog.h"
#include "wpi-catalogue.h"
#include "wpi-phone.h"

#define BULK_STEP_USEC   (8 * 1000)
#define CONFIRM_LIST_MAX 10

struct _BulkJob {
  WpiJobKind  kind;
  char       *parameter;
  GArray     *items;
  GPtrArray  *macs;
  GArray     *job_ids;   /* gint64: what Undo may cancel */
  guint       next;
  guint       queued;
  guint       failed;
  char       *first_error;
  guint       source;
};


static const char * const selection_actions[] = {
  "phone.read-all",
  "phone.read-items",
  "phone.write-items",
  "phone.contact-me",
  "phone.restart",
  "phone.factory-reset",
  "phone.deploy-file",
  "phone.deploy-firmware",
  "phone.apply-profile",
  "phone.bootstrap",
  "phone.compare",
  "phone.copy-settings",
};

/* The one place that enables and disables the actions: on the selection, the service and
 * the bulk queue */
void
_wpc_phones_view_actions_update (WpcPhonesView *self)
{
  gboolean enabled = self->service != NULL && self->bulk == NULL && _wpc_phones_view_selection_size (self) > 0;

  for (guint i = 0; i < G_N_ELEMENTS (selection_actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), selection_actions[i], enabled);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "phone.cancel-bulk", self->bulk != NULL);
}

/* Bulk jobs ------------------------------------------------------------------------ */

static void
bulk_job_free (BulkJob *bulk)
{
  g_clear_handle_id (&bulk->source, g_source_remove);
  g_free (bulk->parameter);
  g_clear_pointer (&bulk->items, g_array_unref);
  g_ptr_array_unref (bulk->macs);
  g_array_unref (bulk->job_ids);
  g_free (bulk->first_error);
  g_free (bulk);
}

static void
bulk_update_progress (WpcPhonesView *self)
{
  BulkJob *bulk = self->bulk;
  g_autofree char *text = NULL;

  /* Translators: progress of queuing jobs, e.g. "Restart: 40 of 100 phones" */
  text = g_strdup_printf (_("%s: %u of %u phones"), wpc_job_kind_label (bulk->kind),
                          bulk->next, bulk->macs->len);
  gtk_progress_bar_set_text (self->progress_bar, text);
  gtk_progress_bar_set_fraction (self->progress_bar, (double) bulk->next / bulk->macs->len);
}

/* Undo (issue 12 §1): cancels the jobs of a bulk run that have not gone to their phones
 * yet; the second toast says how many were cancelled and how many had already gone. */
static void
on_undo_clicked (AdwToast      *toast,
                 WpcPhonesView *self)
{
  GArray *job_ids = g_object_get_data (G_OBJECT (toast), "wpc-job-ids");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  guint cancelled = 0;
  guint gone;

  if (self->service == NULL)
    return;
  if (!wpi_service_host_cancel_unsent_jobs (self->service, (const gint64 *) (gpointer) job_ids->data,
                                            job_ids->len, &cancelled, &error))
    {
      text = g_strdup_printf (_("Cannot cancel the jobs: %s"), error->message);
      _wpc_phones_view_show_message (self, GTK_MESSAGE_ERROR, text);
      return;
    }
  gone = job_ids->len - cancelled;
  if (gone == 0)
    /* Translators: after Undo, e.g. "20 jobs cancelled" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u job cancelled", "%u jobs cancelled", cancelled),
                            cancelled);
  else
    /* Translators: after Undo, e.g. "18 jobs cancelled, 2 already sent" */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u job cancelled, %u already sent",
                                         "%u jobs cancelled, %u already sent", cancelled),
                            cancelled, gone);
  _wpc_phones_view_show_message (self, GTK_MESSAGE_INFO, text);
}

static char *
bulk_outcome_text (BulkJob  *bulk,
                   gboolean  cancelled)
{
  const char *kind = wpc_job_kind_label (bulk->kind);

  if (cancelled)
    /* Translators: e.g. "Restart stopped: queued for 40 of 100 phones" */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s stopped: queued for %u of %u phone",
                                         "%s stopped: queued for %u of %u phones", bulk->macs->len),
                            kind, bulk->queued, bulk->macs->len);
  if (bulk->failed > 0)
    /* Translators: e.g. "Restart queued for 2 of 3 phones. 00:1A:E8:…: reason" */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s queued for %u of %u phone. %s",
                                         "%s queued for %u of %u phones. %s", bulk->macs->len),
                            kind, bulk->queued, bulk->macs->len, bulk->first_error);
  /* Translators: e.g. "Restart queued for 20 phones" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s queued for %u phone",
                                       "%s queued for %u phones", bulk->queued),
                          kind, bulk->queued);
}

/* The outcome as a toast, with Undo while some of the jobs may not have gone yet; a
 * failure stays until dismissed (timeout 0), the HIG's toasts being for what may pass
 * unnoticed. */
static void
bulk_finish (WpcPhonesView *self,
             gboolean       cancelled)
{
  BulkJob *bulk = g_steal_pointer (&self->bulk);
  g_autofree char *text = bulk_outcome_text (bulk, cancelled);
  AdwToast *toast = adw_toast_new (text);

  if (bulk->failed > 0)
    {
      adw_toast_set_timeout (toast, 0);
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
    }
  if (bulk->job_ids->len > 0)
    {
      adw_toast_set_button_label (toast, _("_Undo"));
      g_object_set_data_full (G_OBJECT (toast), "wpc-job-ids", g_array_ref (bulk->job_ids),
                              (GDestroyNotify) g_array_unref);
      g_signal_connect_object (toast, "button-clicked", G_CALLBACK (on_undo_clicked), self, 0);
    }
  wpc_toast_show (GTK_WIDGET (self), toast);

  gtk_widget_set_visible (self->progress_box, FALSE);
  bulk_job_free (bulk);
  _wpc_phones_view_actions_update (self);
  _wpc_phones_view_notify_busy (self);
}

/* One slice of the queue: as many jobs as fit in a few milliseconds, so frames keep
 * coming (each job is a durable commit). */
static gboolean
bulk_run_slice (WpcPhonesView *self)
{
  BulkJob *bulk = self->bulk;
  gint64 deadline = g_get_monotonic_time () + BULK_STEP_USEC;

  do
    {
      const char *mac = g_ptr_array_index (bulk->macs, bulk->next);
      g_autoptr(GError) error = NULL;
      gint64 job_id;

      bulk->next++;
      job_id = wpi_service_host_enqueue_job (self->service, mac, bulk->kind, bulk->parameter, bulk->items, &error);
      if (job_id > 0)
        {
          bulk->queued++;
          g_array_append_val (bulk->job_ids, job_id);
        }
      else
        {
          bulk->failed++;
          if (bulk->first_error == NULL)
            bulk->first_error = g_strdup_printf ("%s: %s", mac, error->message);
        }
    }
  while (bulk->next < bulk->macs->len && g_get_monotonic_time () < deadline);

  return bulk->next >= bulk->macs->len;
}

static gboolean
bulk_step (gpointer user_data)
{
  WpcPhonesView *self = user_data;

  if (bulk_run_slice (self))
    {
      self->bulk->source = 0;
      bulk_finish (self, FALSE);
      return G_SOURCE_REMOVE;
    }
  bulk_update_progress (self);
  return G_SOURCE_CONTINUE;
}

/**
 * wpc_phones_view_queue_jobs:
 * @phones: (element-type WpiPhone): the phones
 * @items: (element-type WpiStoreItem) (nullable): the job's items
 */
gboolean
wpc_phones_view_queue_jobs (WpcPhonesView  *self,
                            GPtrArray      *phones,
                            WpiJobKind      kind,
                            const char     *parameter,
                            GArray         *items,
                            GError        **error)
{
  BulkJob *bulk;

  g_return_val_if_fail (WPC_IS_PHONES_VIEW (self), FALSE);
  g_return_val_if_fail (phones != NULL, FALSE);

  if (self->service == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("The provisioning service is not running"));
      return FALSE;
    }
  if (self->bulk != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("Other jobs are still being queued"));
      return FALSE;
    }
  if (phones->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No phone selected"));
      return FALSE;
    }

  bulk = g_new0 (BulkJob, 1);
  bulk->kind = kind;
  bulk->parameter = g_strdup (parameter);
  bulk->items = items != NULL ? g_array_ref (items) : NULL;
  /* MACs, not the phones: the list may change while the jobs are queued */
  bulk->macs = g_ptr_array_new_full (phones->len, g_free);
  bulk->job_ids = g_array_sized_new (FALSE, FALSE, sizeof (gint64), phones->len);
  for (guint i = 0; i < phones->len; i++)
    g_ptr_array_add (bulk->macs, g_strdup (wpi_phone_get_mac (g_ptr_array_index (phones, i))));
  self->bulk = bulk;

  if (bulk_run_slice (self))
    {
      bulk_finish (self, FALSE);
      return TRUE;
    }

  bulk_update_progress (self);
  gtk_widget_set_visible (self->progress_box, TRUE);
  _wpc_phones_view_actions_update (self);
  _wpc_phones_view_notify_busy (self);
  /* Below redraw priority, so the progress bar is drawn between slices */
  bulk->source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, bulk_step, self, NULL);
  return TRUE;
}

static void
queue_for_selection (WpcPhonesView *self,
                     GPtrArray     *phones,
                     WpiJobKind     kind,
                     const char    *parameter,
                     GArray        *items)
{
  g_autoptr(GError) error = NULL;

  if (!wpc_phones_view_queue_jobs (self, phones, kind, parameter, items, &error))
    _wpc_phones_view_show_message (self, GTK_MESSAGE_ERROR, error->message);
}

/* Actions ------------------------------------------------------------------------ */

static GtkWindow *
parent_window (WpcPhonesView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* A dialog that acts on phones (transfer full) once the user says so: they go with it */
static void
present_for_phones (WpcPhonesView *self,
                    GtkWidget     *dialog,
                    GPtrArray     *phones,
                    const char    *signal,
                    GCallback      callback)
{
  g_object_set_data_full (G_OBJECT (dialog), "wpc-phones", phones, (GDestroyNotify) g_ptr_array_unref);
  g_signal_connect_object (dialog, signal, callback, self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* "00:1A:E8:12:34:56 (4989700123)" per line, the first few of a long list */
static char *
describe_phones (GPtrArray *phones)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < phones->len && i < CONFIRM_LIST_MAX; i++)
    {
      WpiPhone *phone = g_ptr_array_index (phones, i);
      const char *e164 = wpi_phone_get_e164 (phone);

      if (i > 0)
        g_string_append_c (text, '\n');
      if (e164 != NULL && e164[0] != '\0')
        g_string_append_printf (text, "%s (%s)", wpi_phone_get_mac (phone), e164);
      else
        g_string_append (text, wpi_phone_get_mac (phone));
    }
  if (phones->len > CONFIRM_LIST_MAX)
    {
      guint more = phones->len - CONFIRM_LIST_MAX;

      g_string_append_c (text, '\n');
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "and %u more phone", "and %u more phones", more),
                              more);
    }
  return g_string_free (text, FALSE);
}

static guint
count_busy (GPtrArray *phones)
{
  guint busy = 0;

  for (guint i = 0; i < phones->len; i++)
    if (wpi_phone_get_state (g_ptr_array_index (phones, i)) == WPI_PHONE_STATE_BUSY)
      busy++;
  return busy;
}

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     WpcPhonesView    *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");
  WpiJobKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "wpc-job-kind"));

  if (g_str_equal (response, "confirm"))
    queue_for_selection (self, phones, kind, NULL, NULL);
}

/* Safe by default (issue 12 §2): a disruptive job asks first, in an AdwMessageDialog
 * whose default is Cancel; the phones are those selected when asked. */
static void
confirm_jobs (WpcPhonesView *self,
              GPtrArray     *phones,
              WpiJobKind     kind,
              const char    *heading,
              const char    *body,
              const char    *confirm_label,
              const char    *name)
{
  GtkWidget *dialog = wpc_confirm_dialog_new (parent_window (self), name, heading, body,
                                              "confirm", confirm_label, ADW_RESPONSE_DESTRUCTIVE);

  gtk_window_set_modal (GTK_WINDOW (dialog), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_object_set_data (G_OBJECT (dialog), "wpc-job-kind", GINT_TO_POINTER (kind));
  present_for_phones (self, dialog, g_ptr_array_ref (phones), "response", G_CALLBACK (on_confirm_response));
}

/* A restart drops the calls of busy phones: more than one phone, or a busy one, asks
 * first with how many calls drop; one idle phone restarts at once (issue 12 §2). */
static void
restart_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GPtrArray) phones = wpc_phones_view_get_selected_phones (self);
  guint busy = count_busy (phones);
  g_autofree char *heading = NULL;
  g_autofree char *list = NULL;
  g_autofree char *body = NULL;

  if (phones->len == 1 && busy == 0)
    {
      queue_for_selection (self, phones, WPI_JOB_KIND_RESTART, NULL, NULL);
      return;
    }

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Restart %u Phone?", "Restart %u Phones?", phones->len),
                             phones->len);
  list = describe_phones (phones);
  if (busy > 0)
    {
      /* Translators: %u counts the phones in a call; %s lists the phones */
      g_autofree char *calls = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u call will be dropped.",
                                                             "%u calls will be dropped.", busy), busy);
      body = g_strdup_printf ("%s\n\n%s", calls, list);
    }
  else
    body = g_strdup_printf ("%s\n\n%s", _("The phones are out of service while they restart."), list);
  confirm_jobs (self, phones, WPI_JOB_KIND_RESTART, heading, body, _("_Restart"), "restart-dialog");
}

/* Contact me: a read-all job is what makes the service send a contact-me, and the phone
 * that calls back is asked for all its items. */
static void
simple_job_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GPtrArray) phones = wpc_phones_view_get_selected_phones (self);

  queue_for_selection (self, phones, WPI_JOB_KIND_READ_ALL, NULL, NULL);
}

static void
factory_reset_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GPtrArray) phones = wpc_phones_view_get_selected_phones (self);
  g_autofree char *list = describe_phones (phones);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  guint busy = count_busy (phones);

  heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Factory Reset %u Phone?", "Factory Reset %u Phones?",
                                          phones->len),
                             phones->len);
  /* Translators: %s lists the phones, one "MAC (number)" per line */
  body = g_strdup_printf (_("Every setting of these phones is erased and they restart with "
                            "factory defaults. They will need to be provisioned again.\n\n%s"),
                          list);
  if (busy > 0)
    {
      g_autofree char *calls = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u call will be dropped.",
                                                             "%u calls will be dropped.", busy), busy);
      g_autofree char *with_calls = g_strdup_printf ("%s\n\n%s", calls, body);

      g_free (g_steal_pointer (&body));
      body = g_steal_pointer (&with_calls);
    }
  confirm_jobs (self, phones, WPI_JOB_KIND_FACTORY_RESET, heading, body, _("_Factory Reset"),
                "factory-reset-dialog");
}

static void
on_items_dialog_apply (WpcWriteDialog *dialog,
                       WpcPhonesView  *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");
  g_autoptr(GArray) items = wpc_write_dialog_get_items (dialog);
  WpiJobKind kind = wpc_write_dialog_get_mode (dialog) == WPC_WRITE_DIALOG_READ
                    ? WPI_JOB_KIND_READ_ITEMS : WPI_JOB_KIND_WRITE_ITEMS;

  if (items == NULL)
    return;
  queue_for_selection (self, phones, kind, NULL, items);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
items_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  GPtrArray *phones = wpc_phones_view_get_selected_phones (self);
  g_autofree char *list = describe_phones (phones);
  WpcWriteDialogMode mode = g_str_equal (action_name, "phone.read-items")
                            ? WPC_WRITE_DIALOG_READ : WPC_WRITE_DIALOG_WRITE;
  WpcWriteDialog *dialog = wpc_write_dialog_new (parent_window (self), mode, list);

  present_for_phones (self, GTK_WIDGET (dialog), phones, "apply", G_CALLBACK (on_items_dialog_apply));
}

static void
on_profile_response (GtkDialog     *dialog,
                     int            response,
                     WpcPhonesView *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");
  GtkDropDown *choice = g_object_get_data (G_OBJECT (dialog), "wpc-choice");

  if (response == GTK_RESPONSE_ACCEPT)
    {
      const char *profile = gtk_string_object_get_string (gtk_drop_down_get_selected_item (choice));
      queue_for_selection (self, phones, WPI_JOB_KIND_APPLY_PROFILE, profile, NULL);
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Bootstrapping needs a PIN choice, a handout and its slips: the window's PIN handout
 * view does that for the selection (win.bootstrap-selection). */
static void
bootstrap_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  if (!gtk_widget_activate_action (widget, "win.bootstrap-selection", NULL))
    g_warning ("No window to hand the bootstrap of the selection to");
}

static void
apply_profile_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) profiles = wpi_store_profile_list (wpi_service_host_get_store (self->service), &error);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GPtrArray *phones;
  g_autofree char *list = NULL;
  GtkWidget *dialog;
  GtkWidget *choice;
  GtkWidget *button;

  if (profiles == NULL)
    {
      _wpc_phones_view_show_message (self, GTK_MESSAGE_ERROR, error->message);
      return;
    }
  if (profiles->len == 0)
    {
      _wpc_phones_view_show_message (self, GTK_MESSAGE_INFO,
                    _("There are no profiles yet. Create one with “wpictl profile set”."));
      return;
    }
  for (guint i = 0; i < profiles->len; i++)
    gtk_string_list_append (names, ((WpiProfileRecord *) g_ptr_array_index (profiles, i))->name);

  phones = wpc_phones_view_get_selected_phones (self);
  list = describe_phones (phones);
  dialog = gtk_message_dialog_new (parent_window (self), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                   GTK_MESSAGE_QUESTION, GTK_BUTTONS_NONE, "%s", _("Apply a Profile"));
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", list);
  choice = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (names)), NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (choice), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Profile"), -1);
  gtk_widget_set_name (choice, "profile");
  gtk_box_append (GTK_BOX (gtk_message_dialog_get_message_area (GTK_MESSAGE_DIALOG (dialog))), choice);
  gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Cancel"), GTK_RESPONSE_CANCEL);
  button = gtk_dialog_add_button (GTK_DIALOG (dialog), _("_Apply"), GTK_RESPONSE_ACCEPT);
  gtk_widget_add_css_class (button, "suggested-action");
  gtk_widget_set_name (dialog, "apply-profile-dialog");
  g_object_set_data (G_OBJECT (dialog), "wpc-choice", choice);
  present_for_phones (self, dialog, phones, "response", G_CALLBACK (on_profile_response));
}

static void
on_deploy_dialog_apply (WpcDeployDialog *dialog,
                        WpcPhonesView   *self)
{
  GPtrArray *phones = g_object_get_data (G_OBJECT (dialog), "wpc-phones");

  wpc_phones_view_deploy (self, phones, wpc_deploy_dialog_get_file (dialog),
                          wpc_deploy_dialog_get_file_type (dialog),
                          wpc_deploy_dialog_get_sw_version (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
deploy_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  GPtrArray *phones = wpc_phones_view_get_selected_phones (self);
  g_autofree char *list = describe_phones (phones);
  gboolean firmware = g_str_equal (action_name, "phone.deploy-firmware");
  WpcDeployDialog *dialog = wpc_deploy_dialog_new (parent_window (self), firmware, list);

  present_for_phones (self, GTK_WIDGET (dialog), phones, "apply", G_CALLBACK (on_deploy_dialog_apply));
}

/* Issue 14 §2: phones that do not know the console yet, found by a sweep of a range */
static void
sweep_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);
  WpcSweepDialog *dialog = wpc_sweep_dialog_new (parent_window (self), self->service, self->settings);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_bulk_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  WpcPhonesView *self = WPC_PHONES_VIEW (widget);

  if (self->bulk != NULL)
    bulk_finish (self, TRUE);
}

/* Deployment --------------------------------------------------------------------- */

typedef struct {
  WpcPhonesView *self;
  GPtrArray     *phones;
  char          *name;
  char          *file_type;
  char          *sw_version;
} DeployData;

static void
deploy_data_free (DeployData *data)
{
  g_object_unref (data->self);
  g_ptr_array_unref (data->phones);
  g_free (data->name);
  g_free (data->file_type);
  g_free (data->sw_version);
  g_free (data);
}

/* The served name: what the service's /files/ handler accepts and a URL needs no
 * escaping for. */
static char *
served_file_name (GFile *file)
{
  g_autofree char *basename = g_file_get_basename (file);
  char *name = g_strdup (basename != NULL ? basename : "file");

  for (char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != '_')
      *p = '_';
  if (name[0] == '.')
    name[0] = '_';
  return name;
}

static GArray *
deploy_items (WpcPhonesView  *self,
              DeployData     *data,
              GError        **error)
{
  WpiStore *store = wpi_service_host_get_store (self->service);
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  g_autofree char *address = wpi_store_setting_get (store, "service-address", NULL);
  g_autofree char *port = wpi_store_setting_get (store, "service-port", NULL);
  g_autofree char *url = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  if (address == NULL || port == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                           _("The service has not listened yet, so there is no address for the file"));
      return NULL;
    }
  url = g_strdup_printf (strchr (address, ':') != NULL ? "https://[%s]:%s%s%s" : "https://%s:%s%s%s",
                         address, port, WPI_FILES_PATH, data->name);

  wpi_store_item_array_add (items, "file-https-base-url", FALSE, 0, url);
  wpi_store_item_array_add (items, "file-name", FALSE, 0, data->name);
  if (data->sw_version != NULL)
    {
      /* protocol.md §7.10: file-type APP as well, as the guide's own example sends */
      wpi_store_item_array_add (items, "file-type", FALSE, 0, "APP");
      wpi_store_item_array_add (items, "file-sw-type", FALSE, 0, "Siemens SIP");
      wpi_store_item_array_add (items, "file-sw-version", FALSE, 0, data->sw_version);
      wpi_store_item_array_add (items, "file-priority", FALSE, 0, "normal");
    }
  else
    wpi_store_item_array_add (items, "file-type", FALSE, 0, data->file_type);

  for (guint i = 0; i < items->len; i++)
    {
      WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

      if (!wpi_catalogue_validate (catalogue, item->name, FALSE, 0, item->value, error))
        return NULL;
    }
  return g_steal_pointer (&items);
}

/* The file is in DATA_DIR/files: queue the jobs that point the phones at it. */
static void
deploy_queue (DeployData *data)
{
  WpcPhonesView *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = NULL;

  if (self->service == NULL || (items = deploy_items (self, data, &error)) == NULL)
    {
      _wpc_phones_view_show_message (self, GTK_MESSAGE_ERROR,
                    error != NULL ? error->message : _("The provisioning service is not running"));
      deploy_data_free (data);
      return;
    }

  queue_for_selection (self, data->phones,
                       data->sw_version != NULL ? WPI_JOB_KIND_SOFTWARE_DEPLOYMENT : WPI_JOB_KIND_FILE_DEPLOYMENT,
                       NULL, items);
  deploy_data_free (data);
}

static void
on_deploy_copied (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  DeployData *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_copy_finish (G_FILE (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *text = g_strdup_printf (_("Cannot copy the file for deployment: %s"), error->message);
          _wpc_phones_view_show_message (data->self, GTK_MESSAGE_ERROR, text);
        }
      deploy_data_free (data);
      return;
    }
  deploy_queue (data);
}

/**
 * wpc_phones_view_deploy:
 * @phones: (element-type WpiPhone): the phones
 * @file_type: (nullable): the file-type of a file deployment
 * @sw_version: (nullable): the firmware version; makes it a software deployment
 */
void
wpc_phones_view_deploy (WpcPhonesView *self,
                        GPtrArray     *phones,
                        GFile         *file,
                        const char    *file_type,
                        const char    *sw_version)
{
  g_autofree char *files_dir = NULL;
  g_autoptr(GFile) destination = NULL;
  DeployData *data;

  g_return_if_fail (WPC_IS_PHONES_VIEW (self));
  g_return_if_fail (phones != NULL);
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (file_type != NULL || sw_version != NULL);

  if (self->service == NULL)
    {
      _wpc_phones_view_show_message (self, GTK_MESSAGE_ERROR, _("The provisioning service is not running"));
      return;
    }

  data = g_new0 (DeployData, 1);
  data->self = g_object_ref (self);
  data->phones = g_ptr_array_ref (phones);
  data->name = served_file_name (file);
  data->file_type = g_strdup (file_type);
  data->sw_version = g_strdup (sw_version);

  files_dir = g_build_filename (wpi_service_host_get_data_dir (self->service), "files", NULL);
  destination = g_file_new_build_filename (files_dir, data->name, NULL);
  if (g_file_equal (file, destination))
    {
      /* Already served: nothing to copy (a copy onto itself would fail) */
      deploy_queue (data);
      return;
    }
  g_file_copy_async (file, destination, G_FILE_COPY_OVERWRITE, G_PRIORITY_DEFAULT,
                     self->cancellable, NULL, NULL, on_deploy_copied, data);
}

void
_wpc_phones_view_actions_dispose (WpcPhonesView *self)
{
  g_clear_pointer (&self->bulk, bulk_job_free);
}

void
_wpc_phones_view_actions_class_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "phone.read-all", NULL, simple_job_action);
  gtk_widget_class_install_action (widget_class, "phone.contact-me", NULL, simple_job_action);
  gtk_widget_class_install_action (widget_class, "phone.restart", NULL, restart_action);
  gtk_widget_class_install_action (widget_class, "phone.read-items", NULL, items_action);
  gtk_widget_class_install_action (widget_class, "phone.write-items", NULL, items_action);
  gtk_widget_class_install_action (widget_class, "phone.factory-reset", NULL, factory_reset_action);
  gtk_widget_class_install_action (widget_class, "phone.apply-profile", NULL, apply_profile_action);
  gtk_widget_class_install_action (widget_class, "phone.bootstrap", NULL, bootstrap_action);
  gtk_widget_class_install_action (widget_class, "phone.deploy-file", NULL, deploy_action);
  gtk_widget_class_install_action (widget_class, "phone.deploy-firmware", NULL, deploy_action);
  gtk_widget_class_install_action (widget_class, "phone.cancel-bulk", NULL, cancel_bulk_action);
  _wpc_phones_view_compare_class_init (widget_class);
  gtk_widget_class_install_action (widget_class, "phone.sweep", NULL, sweep_action);
}
