/* wpi-decode: decode WorkPoint Interface messages from files or stdin
 *
 * Each input holds one WPI XML document, or one HTTP request or response whose body
 * is one. Exit status: 0 when every input decoded, 2 when any did not (each failure
 * is one line "FILE:LINE:COL: reason" on stderr), 1 for a usage error.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>

#include <gio/gio.h>
#include <gio/gunixinputstream.h>

#include "wpi-codec.h"
#include "wpi-dump.h"
#include "wpi-rules.h"

static gboolean opt_json;
static gboolean opt_strict;
static gboolean opt_show_secrets;
static char *opt_dls_cert;
static GBytes *dls_certificate;
static char **opt_files;

static const GOptionEntry entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, "Print one JSON object per input, one per line (secrets masked as in the text)", NULL },
  { "strict", 0, 0, G_OPTION_ARG_NONE, &opt_strict, "Also check the guide's rules and warn on stderr", NULL },
  { "show-secrets", 0, 0, G_OPTION_ARG_NONE, &opt_show_secrets, "Show passwords, keys and PINs instead of <masked>", NULL },
  { "dls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_dls_cert, "Verify XML-DSig signed messages with this DLS certificate (PEM or DER)", "FILE" },
  { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt_files, NULL, "FILE…" },
  { NULL }
};

static GBytes *
read_input (const char  *path,
            GError     **error)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GOutputStream) memory = NULL;

  if (g_strcmp0 (path, "-") != 0)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
      g_autoptr(GFileInputStream) file_stream = g_file_read (file, NULL, error);

      if (file_stream == NULL)
        return NULL;
      stream = G_INPUT_STREAM (g_steal_pointer (&file_stream));
    }
  else
    stream = g_unix_input_stream_new (0, FALSE);

  memory = g_memory_output_stream_new_resizable ();
  if (g_output_stream_splice (memory, stream, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
    return NULL;
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

/* Errors from the codec read "LINE:COL: reason" relative to the body; shift the line
 * by the HTTP head so that it points into the file. */
static char *
located_message (const char *display_name,
                 const char *message,
                 int         line_offset)
{
  int line, column, consumed = 0;

  if (sscanf (message, "%d:%d: %n", &line, &column, &consumed) == 2 && consumed > 0)
    return g_strdup_printf ("%s:%d:%d: %s", display_name, line + line_offset, column,
                            message + consumed);
  return g_strdup_printf ("%s:1:1: %s", display_name, message);
}

/* One input's dump, built in out (one buffer for every input) and written with one
 * fwrite: not g_print, which would recode UTF-8 for a non-UTF-8 locale. */
static void
print_message (const char  *display_name,
               WpiHttpHead *head,
               WpiMessage  *message,
               GString     *out)
{
  WpiDumpFlags flags = opt_show_secrets ? WPI_DUMP_SHOW_SECRETS : WPI_DUMP_NONE;

  g_string_truncate (out, 0);
  if (opt_json)
    {
      wpi_message_dump_json (message, flags, out);
      g_string_append_c (out, '\n');
    }
  else
    {
      g_string_append_printf (out, "Input: %s\n", display_name);
      if (head != NULL)
        {
          g_string_append_printf (out, "Hypertext Transfer Protocol\n    %s\n", head->start_line);
          for (guint i = 0; i < head->headers->len; i++)
            g_string_append_printf (out, "    %s\n", (const char *) g_ptr_array_index (head->headers, i));
        }
      wpi_message_dump_tree (message, flags, out);
      g_string_append_c (out, '\n');
    }
  fwrite (out->str, 1, out->len, stdout);
}

static gboolean
decode_one (const char *path,
            GString    *out)
{
  const char *display_name = g_strcmp0 (path, "-") == 0 ? "<stdin>" : path;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(WpiHttpHead) head = NULL;
  g_autoptr(WpiMessage) message = NULL;
  g_autofree char *where = NULL;
  const char *data;
  gsize length, offset = 0;
  int line_offset = 0;

  bytes = read_input (path, &error);
  if (bytes == NULL)
    {
      fprintf (stderr, "%s:0:0: %s\n", display_name, error->message);
      return FALSE;
    }
  data = g_bytes_get_data (bytes, &length);

  head = wpi_http_head_parse (data, length, &error);
  if (error != NULL)
    {
      where = located_message (display_name, error->message, 0);
      fprintf (stderr, "%s\n", where);
      return FALSE;
    }
  if (head != NULL)
    {
      offset = head->body_offset;
      line_offset = head->body_line - 1;
    }

  /* A decoder shows what is on the wire, an empty nonce too (D20, R25) */
  message = wpi_message_parse_full (data + offset, length - offset, WPI_PARSE_KEEP_EMPTY_NONCE, &error);
  if (message == NULL)
    {
      where = located_message (display_name, error->message, line_offset);
      fprintf (stderr, "%s\n", where);
      return FALSE;
    }

  if (dls_certificate != NULL && wpi_message_get_signature (message) != NULL)
    wpi_signature_verify (wpi_message_get_signature (message), dls_certificate);
  print_message (display_name, head, message, out);

  if (opt_strict)
    {
      g_auto(GStrv) warnings = wpi_message_check_rules (message);

      for (guint i = 0; warnings[i] != NULL; i++)
        fprintf (stderr, "%s: warning: %s\n", display_name, warnings[i]);
    }

  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  static const char *stdin_only[] = { "-", NULL };
  g_autoptr(GString) out = g_string_sized_new (64 * 1024);
  const char * const *files;
  gboolean all_ok = TRUE;

  setlocale (LC_ALL, "");

  context = g_option_context_new ("[FILE…] — decode WorkPoint Interface messages");
  g_option_context_set_summary (context,
    "Each FILE holds one WorkpointMessage or DLSMessage, bare or with its HTTP head.\n"
    "With no FILE, or when FILE is -, read standard input.");
  g_option_context_set_description (context,
    "A signed message (XML-DSig) is decoded and its signature shown: the digest is\n"
    "checked always, the signature itself with --dls-cert.\n"
    "--strict names each rule a message breaks, and each deviation the decoder\n"
    "tolerated (R21-R28, decisions.md D20).\n"
    "Exit status: 0 when every input decoded, 2 when one did not (reported on stderr\n"
    "as FILE:LINE:COL: reason), 1 for a usage error.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("wpi-decode: %s\n", error->message);
      return 1;
    }

  if (opt_dls_cert != NULL)
    {
      char *contents = NULL;
      gsize size = 0;

      if (!g_file_get_contents (opt_dls_cert, &contents, &size, &error))
        {
          g_printerr ("wpi-decode: %s\n", error->message);
          return 1;
        }
      dls_certificate = g_bytes_new_take (contents, size);
    }

  files = opt_files != NULL ? (const char * const *) opt_files : stdin_only;
  for (guint i = 0; files[i] != NULL; i++)
    {
      if (!decode_one (files[i], out))
        all_ok = FALSE;
      fflush (stdout);
    }

  g_strfreev (opt_files);
  g_clear_pointer (&dls_certificate, g_bytes_unref);
  g_free (opt_dls_cert);
  return all_ok ? 0 : 2;
}
