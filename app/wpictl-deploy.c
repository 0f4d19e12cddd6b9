/* wpictl-deploy.c: deploy-file and deploy-software
 *
 * The file is copied into the data directory, which the service serves under /files/,
 * and the job tells the phone where to fetch it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>

#include "wpictl-private.h"

/* A name the service's /files/ handler serves and a URL carries as it is. */
static gboolean
check_file_name (const char  *name,
                 GError     **error)
{
  gboolean ok = name[0] != '\0' && name[0] != '.' && strlen (name) <= 200;

  for (const char *p = name; ok && *p != '\0'; p++)
    ok = g_ascii_isalnum (*p) || strchr ("._+-", *p) != NULL;
  if (!ok)
    g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                 "The file name “%s” cannot be served as it is: choose another with --name "
                 "(letters, digits, “.”, “_”, “+”, “-”, not starting with “.”)", name);
  return ok;
}

/* https://ADDR:PORT/files/NAME, from --url-base or the address the service recorded. */
static char *
file_url (const char  *name,
          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *address = NULL;
  g_autofree char *port = NULL;

  if (wpictl_opt.url_base != NULL)
    {
      g_autofree char *base = g_strdup (wpictl_opt.url_base);
      gsize length = strlen (base);

      while (length > 0 && base[length - 1] == '/')
        base[--length] = '\0';
      return g_strconcat (base, "/files/", name, NULL);
    }

  address = wpi_store_setting_get (wpictl.store, "service-address", &local_error);
  if (local_error == NULL)
    port = wpi_store_setting_get (wpictl.store, "service-port", &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (address == NULL || port == NULL)
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "The service has not recorded its address yet: start it "
                   "(workpoint-console --headless) or pass --url-base https://HOST:PORT");
      return NULL;
    }
  /* an IPv6 address goes in brackets */
  if (strchr (address, ':') != NULL)
    return g_strdup_printf ("https://[%s]:%s/files/%s", address, port, name);
  return g_strdup_printf ("https://%s:%s/files/%s", address, port, name);
}

/* Whether path (resolved: links followed) names a file in the data directory whose contents
 * are secret: anything under pki/ (the CA's private key) or the store and its journals. */
static gboolean
is_secret_of_data_dir (const char *path)
{
  g_autofree char *real = realpath (path, NULL);
  g_autofree char *pki_path = g_build_filename (wpictl.data_dir, "pki", NULL);
  g_autofree char *db_path = g_build_filename (wpictl.data_dir, WPI_STORE_DB_NAME, NULL);
  g_autofree char *pki = realpath (pki_path, NULL);
  g_autofree char *data_dir = realpath (wpictl.data_dir, NULL);
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  struct stat file_info, db_info;

  if (real == NULL)
    return FALSE;   /* no such file: the copy says so */
  if (pki != NULL && (strcmp (real, pki) == 0 ||
                      (g_str_has_prefix (real, pki) && real[strlen (pki)] == '/')))
    return TRUE;
  dir = g_path_get_dirname (real);
  base = g_path_get_basename (real);
  if (data_dir != NULL && strcmp (dir, data_dir) == 0 && g_str_has_prefix (base, WPI_STORE_DB_NAME))
    return TRUE;
  /* another name (a hard link) of the store */
  return stat (real, &file_info) == 0 && stat (db_path, &db_info) == 0 &&
         file_info.st_dev == db_info.st_dev && file_info.st_ino == db_info.st_ino;
}

/* Copies source to DATA_DIR/files/NAME: into a temporary file (mode 0600, a name the
 * service does not serve), synced, then renamed, so a phone never fetches half a file. */
static gboolean
copy_into_files (const char  *source,
                 const char  *name,
                 GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (source);
  g_autoptr(GFileInputStream) input = NULL;
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GOutputStream) output = NULL;
  g_autofree char *files_dir = g_build_filename (wpictl.data_dir, "files", NULL);
  g_autofree char *target = g_build_filename (files_dir, name, NULL);
  g_autofree char *temp = g_strdup_printf ("%s/.%s.XXXXXX", files_dir, name);
  int fd, dir_fd;

  /* what /files/ serves, anyone on the network may fetch (issue 10 §6) */
  if (is_secret_of_data_dir (source))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "%s is the console's own (its keys or its store) and is never served", source);
      return FALSE;
    }
  input = g_file_read (file, NULL, error);
  if (input == NULL)
    return FALSE;
  info = g_file_input_stream_query_info (input, G_FILE_ATTRIBUTE_STANDARD_TYPE, NULL, error);
  if (info == NULL)
    return FALSE;
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "%s is not a regular file", source);
      return FALSE;
    }

  if (g_mkdir_with_parents (files_dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create %s: %s", files_dir, g_strerror (saved));
      return FALSE;
    }
  fd = g_mkstemp_full (temp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot create a file in %s: %s", files_dir, g_strerror (saved));
      return FALSE;
    }
  output = g_unix_output_stream_new (fd, TRUE);

  if (g_output_stream_splice (output, G_INPUT_STREAM (input), G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE,
                              NULL, error) < 0)
    goto failed;
  if (fsync (fd) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot write %s: %s", target, g_strerror (saved));
      goto failed;
    }
  if (!g_output_stream_close (output, NULL, error))
    goto failed;
  if (g_rename (temp, target) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot move the copy to %s: %s", target, g_strerror (saved));
      goto failed;
    }
  /* the rename itself survives a crash once the directory is synced */
  dir_fd = open (files_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;

failed:
  g_unlink (temp);
  return FALSE;
}

static int
deploy (char       **args,
        WpiJobKind   kind)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autofree char *base_name = NULL;
  g_autofree char *url = NULL;
  const char *name;

  if (kind == WPI_JOB_KIND_FILE_DEPLOYMENT && wpictl_opt.type == NULL)
    return _wpictl_fail (EXIT_USAGE, "deploy-file needs --type TYPE (MOH, PIC, LDAP, LOGO, SCREENSAVER, RINGTONE, DONGLE)");
  if (kind == WPI_JOB_KIND_SOFTWARE_DEPLOYMENT && wpictl_opt.sw_version == NULL)
    return _wpictl_fail (EXIT_USAGE, "deploy-software needs --version VERSION (as 3.5.12.0)");

  base_name = g_path_get_basename (args[1]);
  name = wpictl_opt.name != NULL ? wpictl_opt.name : base_name;
  if (!check_file_name (name, &error))
    return _wpictl_fail_error (error);

  if ((phone = _wpictl_open_for_job (args[0], &error)) == NULL ||
      (url = file_url (name, &error)) == NULL)
    return _wpictl_fail_error (error);

  wpi_store_item_array_add (items, "file-https-base-url", FALSE, 0, url);
  if (kind == WPI_JOB_KIND_FILE_DEPLOYMENT)
    wpi_store_item_array_add (items, "file-type", FALSE, 0, wpictl_opt.type);
  else
    {
      /* protocol.md §7.10: the guide's example also sends file-type APP */
      wpi_store_item_array_add (items, "file-sw-type", FALSE, 0, "Siemens SIP");
      wpi_store_item_array_add (items, "file-sw-version", FALSE, 0, wpictl_opt.sw_version);
      wpi_store_item_array_add (items, "file-priority", FALSE, 0, wpictl_opt.immediate ? "immediate" : "normal");
      wpi_store_item_array_add (items, "file-type", FALSE, 0, "APP");
    }
  wpi_store_item_array_add (items, "file-name", FALSE, 0, name);

  /* everything is checked before the file is copied */
  for (guint i = 0; i < items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

      if (!wpi_catalogue_validate (wpictl.catalogue, item->name, item->has_index, item->index, item->value, &error))
        return _wpictl_fail_error (error);
    }

  if (!copy_into_files (args[1], name, &error))
    return _wpictl_fail_error (error);
  return _wpictl_enqueue_and_report (phone->mac, kind, NULL, items);
}

int
_wpictl_cmd_deploy_file (char **args)
{
  return deploy (args, WPI_JOB_KIND_FILE_DEPLOYMENT);
}

int
_wpictl_cmd_deploy_software (char **args)
{
  return deploy (args, WPI_JOB_KIND_SOFTWARE_DEPLOYMENT);
}
