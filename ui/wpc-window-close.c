/* wpc-window-close.c: closing the window while phones wait for the service (D31)
 *
 * Closing the window stops the service, and a job or bootstrap still pending would wait
 * until the console runs again. So when work is pending, the close button, Ctrl+W and
 * Ctrl+Q ask first: Cancel, Stop Service (close as before), or Keep Running in
 * Background (the application is held, the window hidden, a notification says so).
 * In the background the window comes back from the notification or the launcher; once
 * no work is pending it closes for real and the hold goes, so the console quits.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-window-private.h"
#include "wpi-job.h"

#define BACKGROUND_NOTIFICATION_ID "background"

/* Pending work: the jobs model's jobs in a pending state, bootstraps counted apart */
void
wpc_window_count_pending (WpcWindow *self,
                          guint     *jobs,
                          guint     *bootstraps)
{
  GListModel *model;
  guint n;

  g_return_if_fail (WPC_IS_WINDOW (self));

  *jobs = 0;
  *bootstraps = 0;
  if (self->service == NULL)
    return;

  model = wpi_service_host_get_jobs (self->service);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiJob) job = g_list_model_get_item (model, i);

      if ((WPI_JOB_STATE_MASK (wpi_job_get_state (job)) & WPI_JOB_STATE_MASK_PENDING) == 0)
        continue;
      if (wpi_job_get_kind (job) == WPI_JOB_KIND_BOOTSTRAP)
        (*bootstraps)++;
      else
        (*jobs)++;
    }
}

/* The window's size is the unmaximized one, so a maximized window keeps its old size. */
void
_wpc_window_save_state (WpcWindow *self)
{
  GtkWindow *window = GTK_WINDOW (self);
  gboolean maximized = gtk_window_is_maximized (window);

  if (!maximized)
    {
      int width = 0;
      int height = 0;

      gtk_window_get_default_size (window, &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
}

static GApplication *
window_application (WpcWindow *self)
{
  return G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
}

/* "3 jobs and 2 bootstraps" */
static char *
describe_pending (guint jobs,
                  guint bootstraps)
{
  g_autofree char *jobs_text =
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u job", "%u jobs", jobs), jobs);
  g_autofree char *bootstraps_text =
    g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u bootstrap", "%u bootstraps", bootstraps),
                     bootstraps);

  if (jobs > 0 && bootstraps > 0)
    /* Translators: "3 jobs and 2 bootstraps" */
    return g_strdup_printf (_("%s and %s"), jobs_text, bootstraps_text);
  return g_strdup (jobs > 0 ? jobs_text : bootstraps_text);
}

static void
send_background_notification (WpcWindow *self)
{
  g_autoptr(GNotification) notification =
    g_notification_new (_("Workpoint Console is still provisioning phones"));
  g_autoptr(GIcon) icon = g_themed_icon_new (WPC_APP_ID);

  g_notification_set_body (notification, _("The console closes by itself once the pending "
                                           "jobs and bootstraps are done. Open it to see them."));
  g_notification_set_icon (notification, icon);
  /* app.show-window brings this window back (wpc-application.c) */
  g_notification_set_default_action (notification, "app.show-window");
  g_application_send_notification (window_application (self), BACKGROUND_NOTIFICATION_ID,
                                   notification);
}

static gboolean recount_pending (gpointer user_data);

/* A reload (after a write to the store, e.g. jobs cancelled from wpictl) updates the jobs
 * without "job-changed": the hidden console also looks once a second */
static gboolean
recount_tick (gpointer user_data)
{
  WpcWindow *self = user_data;

  if (self->pending_source == 0)
    self->pending_source = g_idle_add (recount_pending, self);
  return G_SOURCE_CONTINUE;
}

static void
enter_background (WpcWindow *self)
{
  /* Without an application (a window made on its own) nothing runs in the background */
  if (self->in_background || window_application (self) == NULL)
    return;

  _wpc_window_save_state (self);
  self->in_background = TRUE;
  g_application_hold (window_application (self));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  send_background_notification (self);
  self->pending_tick = g_timeout_add_seconds (1, recount_tick, self);
}

/* Shown again (notification, launcher): the window is back in charge of the service */
void
_wpc_window_leave_background (WpcWindow *self)
{
  if (!self->in_background)
    return;

  self->in_background = FALSE;
  g_clear_handle_id (&self->pending_tick, g_source_remove);
  g_application_withdraw_notification (window_application (self), BACKGROUND_NOTIFICATION_ID);
  g_application_release (window_application (self));
}

static gboolean
recount_pending (gpointer user_data)
{
  WpcWindow *self = user_data;
  guint jobs;
  guint bootstraps;

  self->pending_source = 0;
  if (!self->in_background)
    return G_SOURCE_REMOVE;

  wpc_window_count_pending (self, &jobs, &bootstraps);
  if (jobs + bootstraps == 0)
    {
      /* The work is done: close for real while still held, so the close cannot ask */
      GApplication *application = g_object_ref (window_application (self));

      self->close_confirmed = TRUE;
      self->in_background = FALSE;
      g_clear_handle_id (&self->pending_tick, g_source_remove);
      g_application_withdraw_notification (application, BACKGROUND_NOTIFICATION_ID);
      gtk_window_destroy (GTK_WINDOW (self));
      g_application_release (application);
      g_object_unref (application);
    }
  return G_SOURCE_REMOVE;
}

static void
schedule_recount (WpcWindow *self)
{
  if (self->in_background && self->pending_source == 0)
    self->pending_source = g_idle_add (recount_pending, self);
}

/* Called when the service is set: a job's state changes come as "job-changed" */
void
_wpc_window_connect_jobs (WpcWindow *self)
{
  g_signal_connect_object (self->service, "job-changed", G_CALLBACK (schedule_recount), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (wpi_service_host_get_jobs (self->service), "items-changed",
                           G_CALLBACK (schedule_recount), self, G_CONNECT_SWAPPED);
}

/* From an idle: the question (destroyed with the window) finishes its response first */
static gboolean
stop_service (gpointer user_data)
{
  WpcWindow *self = user_data;
  GApplication *application = window_application (self);

  self->close_confirmed = TRUE;
  if (self->quit_requested && application != NULL)
    g_application_quit (application);
  else
    gtk_window_close (GTK_WINDOW (self));
  self->quit_requested = FALSE;
  return G_SOURCE_REMOVE;
}

static void
on_close_response (AdwMessageDialog *dialog,
                   const char       *response,
                   WpcWindow        *self)
{
  if (g_str_equal (response, "stop"))
    {
      g_idle_add_full (G_PRIORITY_HIGH_IDLE, stop_service, g_object_ref (self), g_object_unref);
      return;
    }
  self->quit_requested = FALSE;
  if (g_str_equal (response, "background"))
    enter_background (self);
}

static void
ask_before_closing (WpcWindow *self,
                    guint      jobs,
                    guint      bootstraps)
{
  g_autofree char *what = describe_pending (jobs, bootstraps);
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (self->close_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->close_dialog));
      return;
    }

  /* Translators: %s is "1 job" or "3 jobs and 2 bootstraps" */
  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%s is waiting for a phone. Stopping the service leaves it "
                                       "waiting until the console runs again; in the background "
                                       "the console finishes it and then quits.",
                                       "%s are waiting for phones. Stopping the service leaves them "
                                       "waiting until the console runs again; in the background "
                                       "the console finishes them and then quits.",
                                       jobs + bootstraps), what);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Keep Provisioning Phones?"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "stop", _("_Stop Service"),
                                    "background", _("_Keep Running in Background"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "stop", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "background", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "background");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_close_response), self, 0);

  self->close_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->close_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* TRUE: the window closes now (its state saved); FALSE: it asks first (D31) */
gboolean
_wpc_window_close_request (WpcWindow *self)
{
  guint jobs;
  guint bootstraps;

  wpc_window_count_pending (self, &jobs, &bootstraps);
  if (!self->close_confirmed && !self->in_background && jobs + bootstraps > 0)
    {
      ask_before_closing (self, jobs, bootstraps);
      return FALSE;
    }

  if (!self->in_background)
    _wpc_window_save_state (self);
  return TRUE;
}

/**
 * wpc_window_request_quit:
 *
 * Ctrl+Q: quits the application, unless pending work makes the window ask first (D31);
 * then "Stop Service" quits.
 */
void
wpc_window_request_quit (WpcWindow *self)
{
  GApplication *application;

  g_return_if_fail (WPC_IS_WINDOW (self));

  application = window_application (self);
  if (!gtk_widget_get_visible (GTK_WIDGET (self)) || _wpc_window_close_request (self))
    {
      if (application != NULL)
        g_application_quit (application);
      return;
    }
  self->quit_requested = TRUE;
}

/**
 * wpc_window_get_in_background:
 *
 * Returns: whether the window is hidden and the service kept running for pending work (D31)
 */
gboolean
wpc_window_get_in_background (WpcWindow *self)
{
  g_return_val_if_fail (WPC_IS_WINDOW (self), FALSE);
  return self->in_background;
}
