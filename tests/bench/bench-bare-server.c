/* bench-bare-server: the floor for bench-service, a bare libsoup TLS server
 *
 * It answers the simulated phones' provisioning flow with fixed DLSMessage bodies, choosing
 * by a few substring tests instead of parsing: start-up -> ReadAllItems, a fragment marked
 * "next" -> GetNextFragment, the ReadAllItems reply -> WriteItems of the same 20 items as
 * bench-service's default profile, anything else -> CleanUp. Only the nonce is copied in (the
 * phones check it) and the first answer sets a session cookie. No store, no log, no XML
 * parser: what is left is TLS, HTTP and the phones' bytes, on the same kind of certificate
 * (RSA-2048) and TLS database as the service.
 *
 * Usage: bench-bare-server   prints "PORT n" once it listens on 127.0.0.1, serves until
 *                            SIGTERM, then prints "MESSAGES n" and exits.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <libsoup/soup.h>

#include "bench-profile.h"
#include "wpi-codec.h"
#include "test-util-wpi.h"

#define NONCE_MARK "@@NONCE@@"

typedef struct {
  char *head;   /* the body up to the nonce */
  char *tail;   /* and after it */
} Template;

typedef struct {
  GMainLoop *loop;
  Template   read_all;
  Template   next_fragment;
  Template   write;
  Template   clean_up;
  guint64    n_messages;
} Server;

static void
template_init (Template  *template,
               WpiAction  action,
               gboolean   with_profile)
{
  g_autoptr(WpiMessage) message = wpi_message_new (WPI_MESSAGE_KIND_DLS, NONCE_MARK);
  g_autofree char *xml = NULL;
  char *mark;

  wpi_message_set_action (message, action);
  /* the same items as the service's default profile, {e164} left as it is */
  for (guint i = 0; with_profile && i < G_N_ELEMENTS (bench_profile); i++)
    {
      if (bench_profile[i].index < 0)
        wpi_message_add_item (message, bench_profile[i].name, bench_profile[i].value);
      else
        wpi_message_add_indexed_item (message, bench_profile[i].name, bench_profile[i].index,
                                      bench_profile[i].value);
    }
  xml = wpi_message_serialize (message, NULL);
  mark = strstr (xml, NONCE_MARK);
  g_assert (mark != NULL);
  template->head = g_strndup (xml, mark - xml);
  template->tail = g_strdup (mark + strlen (NONCE_MARK));
}

static void
template_clear (Template *template)
{
  g_free (template->head);
  g_free (template->tail);
}

static gboolean
contains (GBytes     *body,
          const char *needle)
{
  return g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body), needle) != NULL;
}

static void
login_handler (SoupServerMessage *msg,
               GBytes            *body,
               gpointer           user_data)
{
  Server *server = user_data;
  const char *data = g_bytes_get_data (body, NULL);
  gsize length = g_bytes_get_size (body);
  const char *nonce = g_strstr_len (data, MIN (length, 4096), "nonce=\"");
  const char *end;
  g_autofree char *nonce_value = NULL;
  Template *answer;
  char *xml;

  server->n_messages++;
  if (nonce == NULL || (end = memchr (nonce + 7, '"', MIN (64, length - (nonce + 7 - data)))) == NULL)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_BAD_REQUEST, NULL);
      return;
    }
  nonce_value = g_strndup (nonce + 7, end - (nonce + 7));

  if (contains (body, ">start-up<"))
    {
      answer = &server->read_all;
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Set-Cookie",
                                   "JSESSIONID=0123456789ABCDEF0123456789ABCDEF; "
                                   "Path=/DeploymentService; Secure; HttpOnly");
    }
  else if (contains (body, "fragment=\"next\""))
    answer = &server->next_fragment;
  else if (contains (body, "action=\"ReadAllItems\""))
    answer = &server->write;
  else
    answer = &server->clean_up;

  xml = g_strconcat (answer->head, nonce_value, answer->tail, NULL);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/xml; charset=utf-8", SOUP_MEMORY_TAKE, xml, strlen (xml));
}

static gboolean
on_sigterm (gpointer user_data)
{
  g_main_loop_quit (((Server *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  Server server = { 0 };
  /* the ready-made RSA-2048 certificate (tests/util/certs), as the service's default kind */
  g_autoptr(GTlsCertificate) certificate = test_util_server_certificate ();
  g_autofree char *ca_path = test_util_cert_path ("ca.crt");
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(SoupServer) soup_server = NULL;
  g_autoptr(GError) error = NULL;
  guint port = 0;

  /* Like the service: its own CA as the TLS database, so that glib-networking does not
   * load the system CA store for every connection. */
  database = g_tls_file_database_new (ca_path, &error);
  if (database == NULL)
    g_error ("CA file: %s", error->message);

  template_init (&server.read_all, WPI_ACTION_READ_ALL_ITEMS, FALSE);
  template_init (&server.next_fragment, WPI_ACTION_GET_NEXT_FRAGMENT, FALSE);
  template_init (&server.write, WPI_ACTION_WRITE_ITEMS, TRUE);
  template_init (&server.clean_up, WPI_ACTION_CLEAN_UP, FALSE);

  server.loop = g_main_loop_new (NULL, FALSE);
  soup_server = test_util_server_new (certificate, database, &port);
  test_util_server_handle (soup_server, "/DeploymentService/LoginService", login_handler, &server);
  printf ("PORT %u\n", port);
  fflush (stdout);

  g_unix_signal_add (SIGTERM, on_sigterm, &server);
  g_main_loop_run (server.loop);

  printf ("MESSAGES %" G_GUINT64_FORMAT "\n", server.n_messages);
  fflush (stdout);
  soup_server_disconnect (soup_server);
  template_clear (&server.read_all);
  template_clear (&server.next_fragment);
  template_clear (&server.write);
  template_clear (&server.clean_up);
  g_main_loop_unref (server.loop);
  return 0;
}
