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
#include <time.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libsoup/soup.h>

#include "bench-profile.h"
#include "wpi-codec.h"

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

static GTlsCertificate *
make_certificate (char **pem_out)
{
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  guchar serial[8] = { 0x21, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x08 };
  char buffer[16384];
  size_t size;
  g_autoptr(GString) pem = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  time_t now = time (NULL);
  GTlsCertificate *certificate;

  /* RSA-2048, as the service's default server certificate */
  gnutls_x509_privkey_init (&key);
  gnutls_x509_privkey_generate (key, GNUTLS_PK_RSA, 2048, 0);
  gnutls_x509_crt_init (&crt);
  gnutls_x509_crt_set_version (crt, 3);
  gnutls_x509_crt_set_serial (crt, serial, sizeof serial);
  gnutls_x509_crt_set_activation_time (crt, now - 3600);
  gnutls_x509_crt_set_expiration_time (crt, now + 86400);
  gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, "127.0.0.1", 9);
  gnutls_x509_crt_set_key (crt, key);
  gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0);
  size = sizeof buffer;
  gnutls_x509_crt_export (crt, GNUTLS_X509_FMT_PEM, buffer, &size);
  g_string_append_len (pem, buffer, size);
  *pem_out = g_strndup (buffer, size);
  size = sizeof buffer;
  gnutls_x509_privkey_export_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, buffer, &size);
  g_string_append_len (pem, buffer, size);
  gnutls_x509_crt_deinit (crt);
  gnutls_x509_privkey_deinit (key);

  certificate = g_tls_certificate_new_from_pem (pem->str, pem->len, &error);
  if (certificate == NULL)
    g_error ("certificate: %s", error->message);
  return certificate;
}

static gboolean
contains (GBytes     *body,
          const char *needle)
{
  return g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body), needle) != NULL;
}

static void
login_handler (SoupServer        *soup_server,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  Server *server = user_data;
  g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
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
  g_autofree char *pem = NULL;
  g_autoptr(GTlsCertificate) certificate = make_certificate (&pem);
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(SoupServer) soup_server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ca_path = NULL;
  GSList *uris;
  int fd;

  /* Like the service: its own certificate as the TLS database, so that glib-networking does
   * not load the system CA store for every connection. */
  fd = g_file_open_tmp ("bench-bare-ca-XXXXXX.pem", &ca_path, &error);
  if (fd < 0 || !g_file_set_contents (ca_path, pem, -1, &error))
    g_error ("CA file: %s", error->message);
  close (fd);
  /* glib-networking reads the file again for each connection: it stays until the end */
  database = g_tls_file_database_new (ca_path, &error);
  if (database == NULL)
    g_error ("CA file: %s", error->message);

  template_init (&server.read_all, WPI_ACTION_READ_ALL_ITEMS, FALSE);
  template_init (&server.next_fragment, WPI_ACTION_GET_NEXT_FRAGMENT, FALSE);
  template_init (&server.write, WPI_ACTION_WRITE_ITEMS, TRUE);
  template_init (&server.clean_up, WPI_ACTION_CLEAN_UP, FALSE);

  server.loop = g_main_loop_new (NULL, FALSE);
  soup_server = soup_server_new ("tls-certificate", certificate, "tls-database", database, NULL);
  soup_server_add_handler (soup_server, "/DeploymentService/LoginService", login_handler, &server, NULL);
  if (!soup_server_listen_local (soup_server, 0, SOUP_SERVER_LISTEN_HTTPS | SOUP_SERVER_LISTEN_IPV4_ONLY,
                                 &error))
    g_error ("listen: %s", error->message);
  uris = soup_server_get_uris (soup_server);
  printf ("PORT %d\n", g_uri_get_port (uris->data));
  fflush (stdout);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_unix_signal_add (SIGTERM, on_sigterm, &server);
  g_main_loop_run (server.loop);

  printf ("MESSAGES %" G_GUINT64_FORMAT "\n", server.n_messages);
  fflush (stdout);
  soup_server_disconnect (soup_server);
  g_unlink (ca_path);
  template_clear (&server.read_all);
  template_clear (&server.next_fragment);
  template_clear (&server.write);
  template_clear (&server.clean_up);
  g_main_loop_unref (server.loop);
  return 0;
}
