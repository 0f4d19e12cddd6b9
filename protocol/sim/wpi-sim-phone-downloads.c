/* wpi-sim-phone-downloads.c: file and software deployment of a simulated phone
 *
 * FileDeployment (protocol.md §7.9) and SoftwareDeployment (§7.10) over HTTPS:
 * the phone fetches the file, records it in its deployed-file inventory and reports a single
 * file's status; a new software image runs after a reboot.
 */
#include "config.h"

#include <string.h>

#include "wpi-fragment.h"
#include "wpi-sim-phone-private.h"

#define FILE_SIZE_LIMIT (256 * 1024 * 1024)

/* cancelled: the phone stopped or rebooted meanwhile, the result means nothing */
typedef void (*DownloadDone) (WpiSimPhone *self,
                              gboolean     ok,
                              gboolean     cancelled,
                              guint64      size,
                              const char  *error_message,
                              gpointer     user_data);

typedef struct {
  WpiSimPhone  *phone;          /* strong */
  gboolean      gated;          /* holds a request slot */
  SoupSession  *session;
  SimCredentials *credentials;  /* Secure Mode, from the service */
  SoupMessage  *http;
  GInputStream *stream;
  GCancellable *cancellable;
  guint64       size;
  guint8       *buffer;
  DownloadDone  done;
  gpointer      user_data;
} Download;

#define DOWNLOAD_BUFFER_SIZE (64 * 1024)

static void
download_complete (Download   *download,
                   gboolean    ok,
                   const char *error_message)
{
  WpiSimPhone *self = download->phone;

  if (download->gated)
    _wpi_sim_phone_gate_leave ();
  download->done (self, ok, g_cancellable_is_cancelled (download->cancellable), download->size,
                  error_message, download->user_data);
  _wpi_sim_phone_operation_end (self);
  g_clear_object (&download->stream);
  g_clear_object (&download->http);
  g_clear_object (&download->session);
  g_clear_pointer (&download->credentials, _wpi_sim_credentials_unref);
  g_clear_object (&download->cancellable);
  g_free (download->buffer);
  g_clear_object (&download->phone);
  g_free (download);
}

static void download_read (Download *download);

static void
download_read_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Download *download = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      download_complete (download, FALSE, error->message);
      return;
    }
  if (n == 0)
    {
      download_complete (download, TRUE, NULL);
      return;
    }
  download->size += n;
  if (download->size > FILE_SIZE_LIMIT)
    {
      download_complete (download, FALSE, "file too large");
      return;
    }
  download_read (download);
}

static void
download_read (Download *download)
{
  g_input_stream_read_async (download->stream, download->buffer, DOWNLOAD_BUFFER_SIZE,
                             G_PRIORITY_DEFAULT, download->cancellable,
                             download_read_done, download);
}

static void
download_send_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Download *download = user_data;
  g_autoptr(GError) error = NULL;
  guint status;

  download->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (download->stream == NULL)
    {
      download_complete (download, FALSE, error->message);
      return;
    }
  status = soup_message_get_status (download->http);
  if (status != SOUP_STATUS_OK)
    {
      g_autofree char *message = g_strdup_printf ("HTTP %u %s", status,
                                                  soup_message_get_reason_phrase (download->http) ?: "");
      download_complete (download, FALSE, message);
      return;
    }
  download_read (download);
}

static void
download_send_now (gpointer data,
                   gpointer unused)
{
  Download *download = data;

  download->gated = TRUE;
  soup_session_send_async (download->session, download->http, G_PRIORITY_DEFAULT,
                           download->cancellable, download_send_done, download);
}

static void
download_start (WpiSimPhone  *self,
                const char   *url,
                GCancellable *cancellable,
                DownloadDone  done,
                gpointer      user_data)
{
  Download *download = g_new0 (Download, 1);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) target = NULL;

  download->phone = g_object_ref (self);
  download->cancellable = g_object_ref (cancellable);
  download->done = done;
  download->user_data = user_data;
  _wpi_sim_phone_operation_begin (self);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_autofree char *message = g_strdup_printf ("\"%s\" is not an HTTPS URL", url);
      download_complete (download, FALSE, message);
      return;
    }

  download->buffer = g_malloc (DOWNLOAD_BUFFER_SIZE);
  target = _wpi_sim_phone_prepare_request (self, uri, &download->session, &download->credentials);
  download->http = soup_message_new_from_uri ("GET", target);
  /* other file servers go unchecked, as in Default Mode */
  _wpi_sim_message_set_credentials (download->http, download->credentials);
  _wpi_sim_phone_gate_enter (download_send_now, download, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* The deployed-file inventory                                                              */

/* The file name a URL deploys: its last path segment, unescaped. */
static char *
file_name_from_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  g_autofree char *path = NULL;
  const char *slash;

  if (uri == NULL)
    return g_strdup (url);
  path = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  if (path == NULL)
    return g_strdup (g_uri_get_path (uri));
  slash = strrchr (path, '/');
  return g_strdup (slash != NULL ? slash + 1 : path);
}

static SimFile *
phone_find_file (WpiSimPhone *self,
                 const char  *name,
                 const char  *type,
                 guint       *position)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      SimFile *file = g_ptr_array_index (self->files, i);

      /* a file is the pair (file-name, file-type) (p.55) */
      if (g_strcmp0 (file->name, name) == 0 &&
          (type == NULL || *type == '\0' || g_ascii_strcasecmp (file->type, type) == 0))
        {
          if (position != NULL)
            *position = i;
          return file;
        }
    }
  return NULL;
}

static SimFile *
phone_record_file (WpiSimPhone *self,
                   const char  *name,
                   const char  *type,
                   gboolean     ok,
                   guint64      size)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  SimFile *file = phone_find_file (self, name, type, NULL);

  if (file == NULL)
    {
      file = g_new0 (SimFile, 1);
      file->name = g_strdup (name);
      file->type = g_strdup (type ?: "");
      g_ptr_array_add (self->files, file);
    }
  g_free (file->status);
  g_free (file->date);
  g_free (file->time);
  file->status = g_strdup (ok ? "ok" : "failed");
  file->date = g_date_time_format (now, "%d:%m:%Y");
  file->time = g_date_time_format (now, "%H:%M:%S");
  file->size = size;
  return file;
}

static gboolean
phone_delete_file (WpiSimPhone *self,
                   const char  *name,
                   const char  *type)
{
  guint position;

  if (name == NULL || phone_find_file (self, name, type, &position) == NULL)
    return FALSE;
  g_ptr_array_remove_index (self->files, position);
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* FileDeployment                                                                           */

typedef struct {
  SimFlow *flow;
  char    *name;
  char    *type;
} SingleFileJob;

static void
send_file_status (SimFlow    *flow,
                  SimFile    *file)
{
  g_autoptr(GPtrArray) items = _wpi_sim_item_array_new ();

  _wpi_sim_phone_add_basic_items (flow->phone, items);
  /* the single-file status carries the result items without an index (p.54) */
  g_ptr_array_add (items, wpi_item_new ("file-deployment-name", file->name));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-type", file->type));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-status", file->status));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-date", file->date));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-time", file->time));
  _wpi_sim_phone_flow_send_with_items (flow, WPI_REASON_STATUS, items);
}

static void
single_file_downloaded (WpiSimPhone *self,
                        gboolean     ok,
                        gboolean     cancelled,
                        guint64      size,
                        const char  *error_message,
                        gpointer     user_data)
{
  SingleFileJob *job = user_data;
  SimFlow *flow = job->flow;

  if (cancelled)
    _wpi_sim_phone_flow_finish (flow, FALSE, "stopped");
  else
    {
      SimFile *file = phone_record_file (self, job->name, job->type, ok, size);

      _wpi_sim_phone_emit_download_finished (self, job->name, job->type, ok,
                                             error_message);
      if (!ok)
        _wpi_sim_phone_flow_trail_append (flow, "download failed");
      send_file_status (flow, file);
    }
  g_free (job->name);
  g_free (job->type);
  g_free (job);
}

static void
background_file_downloaded (WpiSimPhone *self,
                            gboolean     ok,
                            gboolean     cancelled,
                            guint64      size,
                            const char  *error_message,
                            gpointer     user_data)
{
  char **name_type = user_data;

  if (!cancelled)
    {
      phone_record_file (self, name_type[0], name_type[1], ok, size);
      _wpi_sim_phone_emit_download_finished (self, name_type[0], name_type[1], ok,
                                             error_message);
    }
  g_strfreev (name_type);
}

static const char *
group_value (WpiItemGroup *group,
             const char   *name)
{
  for (guint i = 0; i < group->items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (group->items, i);

      if (strcmp (item->name, name) == 0)
        return item->value;
    }
  return NULL;
}

/* The name a FileDeployment gives a file: file-name, else the URL's last segment. */
static char *
group_file_name (WpiItemGroup *group)
{
  const char *name = group_value (group, "file-name");
  const char *url = group_value (group, "file-https-base-url");

  if (name != NULL && *name != '\0')
    return g_strdup (name);
  return url != NULL ? file_name_from_url (url) : NULL;
}

/* A delete of a single file: the status reports the outcome at once. */
static void
delete_single_file (SimFlow    *flow,
                    const char *file_name,
                    const char *type)
{
  gboolean ok = phone_delete_file (flow->phone, file_name, type);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%d:%m:%Y");
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
  SimFile gone = { (char *) file_name, (char *) (type ?: ""), (char *) (ok ? "ok" : "failed"),
                   date, time, 0 };

  send_file_status (flow, &gone);
}

/* One file: the flow waits for the download and reports its status (p.54). */
static void
deploy_single_file (SimFlow      *flow,
                    WpiItemGroup *group)
{
  WpiSimPhone *self = flow->phone;
  const char *url = group ? group_value (group, "file-https-base-url") : NULL;
  const char *type = group ? group_value (group, "file-type") : NULL;
  const char *action = group ? group_value (group, "file-action") : NULL;
  g_autofree char *file_name = group ? group_file_name (group) : NULL;
  SingleFileJob *job;

  if (file_name == NULL)
    file_name = g_strdup ("");
  if (action != NULL && g_ascii_strcasecmp (action, "delete") == 0)
    {
      delete_single_file (flow, file_name, type);
      return;
    }

  if (url == NULL || *url == '\0')
    {
      /* FTP (file-server, file-path ...) is not simulated: report the failure */
      SimFile *file = phone_record_file (self, file_name, type, FALSE, 0);

      _wpi_sim_phone_flow_trail_append (flow, "no HTTPS URL");
      send_file_status (flow, file);
      return;
    }

  job = g_new0 (SingleFileJob, 1);
  job->flow = flow;
  job->name = g_steal_pointer (&file_name);
  job->type = g_strdup (type ?: "");
  download_start (self, url, flow->cancellable, single_file_downloaded, job);
}

/* Several files: accept, then work in the background; no status follows (p.55) */
static void
deploy_files (SimFlow   *flow,
              GPtrArray *groups)
{
  WpiSimPhone *self = flow->phone;

  for (guint i = 0; i < groups->len; i++)
    {
      WpiItemGroup *group = g_ptr_array_index (groups, i);
      const char *url = group_value (group, "file-https-base-url");
      const char *type = group_value (group, "file-type");
      const char *action = group_value (group, "file-action");
      g_autofree char *file_name = NULL;

      if (!group->has_index || (file_name = group_file_name (group)) == NULL)
        continue;

      if (action != NULL && g_ascii_strcasecmp (action, "delete") == 0)
        phone_delete_file (self, file_name, type);
      else if (url == NULL || *url == '\0')
        phone_record_file (self, file_name, type, FALSE, 0);
      else
        {
          char **name_type = g_new0 (char *, 3);

          name_type[0] = g_steal_pointer (&file_name);
          name_type[1] = g_strdup (type ?: "");
          download_start (self, url, self->download_cancellable, background_file_downloaded,
                          name_type);
        }
    }
  _wpi_sim_phone_flow_reply_empty (flow, "FileDeployment", WPI_MESSAGE_STATUS_ACCEPTED);
}

void
_wpi_sim_phone_flow_handle_file_deployment (SimFlow    *flow,
                                            WpiMessage *answer)
{
  g_autoptr(GPtrArray) groups = wpi_message_group_by_index (answer);

  /* indexed items name several files (p.55) */
  for (guint i = 0; i < groups->len; i++)
    if (((WpiItemGroup *) g_ptr_array_index (groups, i))->has_index)
      {
        deploy_files (flow, groups);
        return;
      }
  deploy_single_file (flow, groups->len > 0 ? g_ptr_array_index (groups, 0) : NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* SoftwareDeployment                                                                       */

void
_wpi_sim_phone_flow_handle_software_deployment (SimFlow    *flow,
                                                WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;
  const char *priority = wpi_message_get_item_value (answer, "file-priority");
  const char *url = wpi_message_get_item_value (answer, "file-https-base-url");
  const char *file_version = wpi_message_get_item_value (answer, "file-sw-version");
  g_autofree char *version = NULL;

  /* "immediate" is the default (p.177); anything else waits for idle, so a call refuses it */
  if (self->in_call && priority != NULL && g_ascii_strcasecmp (priority, "immediate") != 0)
    {
      _wpi_sim_phone_flow_trail_append (flow, "refused in call");
      _wpi_sim_phone_flow_reply_empty (flow, "SoftwareDeployment", WPI_MESSAGE_STATUS_FAILED);
      return;
    }
  if (file_version != NULL)
    version = wpi_sim_software_version_from_file_version (file_version, NULL);
  if (url == NULL || *url == '\0' || version == NULL)
    {
      _wpi_sim_phone_flow_trail_append (flow, url == NULL || *url == '\0' ? "no HTTPS URL"
                                                                        : "bad file-sw-version");
      _wpi_sim_phone_flow_reply_empty (flow, "SoftwareDeployment", WPI_MESSAGE_STATUS_FAILED);
      return;
    }

  g_free (flow->software_url);
  g_free (flow->software_version);
  flow->software_url = g_strdup (url);
  flow->software_version = g_steal_pointer (&version);
  _wpi_sim_phone_flow_reply_empty (flow, "SoftwareDeployment", WPI_MESSAGE_STATUS_ACCEPTED);
}

static void
software_downloaded (WpiSimPhone *self,
                     gboolean     ok,
                     gboolean     cancelled,
                     guint64      size,
                     const char  *error_message,
                     gpointer     user_data)
{
  g_autofree char *version = user_data;

  if (cancelled)
    return;
  _wpi_sim_phone_emit_download_finished (self, version, "APP", ok, error_message);
  if (!ok || !self->started)
    return;

  /* the new image runs after the reboot */
  wpi_sim_items_set_value (self->items, "software-version", version);
  wpi_sim_items_set_value (self->items, "related-software-version", version);
  _wpi_sim_phone_notify (self, PROP_SOFTWARE_VERSION);
  _wpi_sim_phone_reboot (self, FALSE);
}

/* Takes version. A reboot or a stop cancels the download. */
void
_wpi_sim_phone_download_software (WpiSimPhone *self,
                                  const char  *url,
                                  char        *version)
{
  download_start (self, url, self->download_cancellable, software_downloaded, version);
}
