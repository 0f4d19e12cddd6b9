/* test-hostile.c: the service under hostile clients on 127.0.0.0/8 (issue 10)
 *
 * Each test reproduces one abuse and asserts its bound: garbage posts grow the store by a
 * prefix each (§3), a spoofed DCMP poll changes nothing (§5), a link in files/ is not
 * served (§6), a forged log line does not appear (§7), and a session used with another
 * MAC is a security event of its own.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "wpi-service.h"
#include "test-util-service.h"

#define MAC          TEST_UTIL_PHONE_MAC_1
#define OTHER_MAC    TEST_UTIL_PHONE_MAC_2
/* the address the test's second client writes from: not the phone's */
#define STRANGER_IP  "127.0.0.2"
#define WAIT_MS      20000
/* what the service keeps of a refused body (WPI_REFUSED_BODY_KEPT_BYTES) */
#define KEPT_BYTES   (64 * 1024)

typedef struct {
  char        *data_dir;
  WpiService  *service;
  SoupSession *phone;      /* from 127.0.0.1, as the phone in the store */
  SoupSession *stranger;   /* from STRANGER_IP */
  GPtrArray   *log_lines;  /* what the service's "log" signal said */
  SoupServer  *contact;    /* the phone's contact-me listener */
  guint        contacts;   /* contact-mes it received */
} Fixture;

static void
on_log (WpiService *service,
        const char *line,
        Fixture    *f)
{
  g_ptr_array_add (f->log_lines, g_strdup (line));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  test_util_service_set_up ("wpi-hostile", &f->data_dir, &f->service);
  f->phone = test_util_https_session_new_from (NULL, "127.0.0.1");
  f->stranger = test_util_https_session_new_from (NULL, STRANGER_IP);
  f->log_lines = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->service, "log", G_CALLBACK (on_log), f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_util_service_tear_down (&f->data_dir, &f->service);
  g_clear_object (&f->phone);
  g_clear_object (&f->stranger);
  g_clear_pointer (&f->log_lines, g_ptr_array_unref);
  if (f->contact != NULL)
    soup_server_disconnect (f->contact);
  g_clear_object (&f->contact);
}

/* A request to the default port's path; the reply is the caller's */
static TestUtilReply *
request (Fixture     *f,
         SoupSession *session,
         const char  *method,
         const char  *path,
         GBytes      *body)
{
  g_autofree char *base = test_util_service_uri (f->service, FALSE);
  g_autofree char *uri = g_strconcat (base, path, NULL);

  return test_util_https_request (session, method, uri, body, NULL, NULL);
}

static WpiMessage *
start_up (const char *mac_addr)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "A1");

  wpi_message_set_reason (message, WPI_REASON_START_UP);
  wpi_message_add_item (message, "mac-addr", mac_addr);
  return message;
}

static GPtrArray *
security_events (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *events = wpi_store_security_event_list (wpi_service_get_store (f->service), 0, 0, &error);

  g_assert_no_error (error);
  return events;
}

/* ---- §7: log injection ------------------------------------------------------------- */

static void
test_forged_log_line (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *huge = g_strnfill (WPI_MAX_BODY_BYTES - 4096, 'A');
  const char *values[] = {
    "00:1A:E8:12:34:56\nFORGED 10.0.0.1:5060 00:1A:E8:00:00:01: flow ended",
    "x\r\nFORGED\u2028FORGED\x1b[2K",
    huge,
  };
  g_autoptr(GPtrArray) traffic = NULL;

  huge[1000] = '\n';
  memcpy (huge + 1001, "FORGED", 6);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(WpiMessage) message = start_up (values[i]);
      g_autofree char *uri = test_util_service_uri (f->service, FALSE);
      g_autofree char *post_uri = g_strconcat (uri, WPI_SERVICE_PATH, NULL);
      g_autoptr(TestUtilReply) reply = test_util_post_message (f->phone, post_uri, message, NULL);

      g_assert_cmpuint (reply->status, ==, 400);
    }

  g_assert_cmpuint (f->log_lines->len, >=, G_N_ELEMENTS (values));
  for (guint i = 0; i < f->log_lines->len; i++)
    {
      const char *line = g_ptr_array_index (f->log_lines, i);

      g_test_message ("log: %.200s", line);
      g_assert_null (strpbrk (line, "\r\n\x1b"));
      g_assert_null (strstr (line, "\u2028"));
      g_assert_false (g_str_has_prefix (line, "FORGED"));
      g_assert_cmpuint (strlen (line), <, 8192);
    }
  /* what the traffic log keeps of the refusal is escaped and cut as well */
  traffic = wpi_store_traffic_get_range (wpi_service_get_store (f->service), 1, 10, NULL);
  g_assert_cmpuint (traffic->len, ==, G_N_ELEMENTS (values));
  for (guint i = 0; i < traffic->len; i++)
    {
      const char *error_text = ((WpiTrafficRecord *) g_ptr_array_index (traffic, i))->error_text;

      g_assert_nonnull (error_text);
      g_assert_null (strpbrk (error_text, "\r\n"));
      g_assert_cmpuint (strlen (error_text), <, 8192);
    }
}

/* ---- A session used by another MAC ------------------------------------------------- */

static void
test_session_mac_mismatch (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(WpiMessage) opening = start_up (MAC);
  g_autoptr(WpiMessage) intruder = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "A1");
  g_autofree char *base = test_util_service_uri (f->service, FALSE);
  g_autofree char *uri = g_strconcat (base, WPI_SERVICE_PATH, NULL);
  g_autoptr(TestUtilReply) first = test_util_post_message (f->phone, uri, opening, NULL);
  g_autoptr(TestUtilReply) second = NULL;
  g_autoptr(GPtrArray) events = NULL;
  WpiSecurityEvent *event;

  g_assert_cmpuint (first->status, ==, 200);
  g_assert_nonnull (first->session_id);
  wpi_message_set_reason (intruder, WPI_REASON_REPLY_TO);
  wpi_message_set_action (intruder, WPI_ACTION_READ_ALL_ITEMS);
  wpi_message_set_status_string (intruder, "accepted");
  wpi_message_set_has_item_list (intruder, TRUE);
  wpi_message_add_item (intruder, "mac-addr", OTHER_MAC);
  second = test_util_post_message (f->stranger, uri, intruder, first->session_id);
  g_assert_cmpuint (second->status, ==, 403);

  events = security_events (f);
  g_assert_cmpuint (events->len, ==, 1);
  event = g_ptr_array_index (events, 0);
  g_assert_cmpstr (event->kind, ==, "session-mac-mismatch");
  g_assert_cmpstr (event->mac, ==, OTHER_MAC);
}

/* ---- §6: /files/ serves regular files inside files/ only --------------------------- */

static guint
get_status (Fixture    *f,
            const char *name)
{
  g_autofree char *path = g_strconcat (WPI_FILES_PATH, name, NULL);
  g_autoptr(TestUtilReply) reply = request (f, f->stranger, "GET", path, NULL);

  return reply->status;
}

static void
test_files_links (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *files = g_build_filename (f->data_dir, "files", NULL);
  g_autofree char *moved = g_build_filename (f->data_dir, "files.real", NULL);
  g_autofree char *secret = g_build_filename (f->data_dir, "pki", "secret.pem", NULL);
  g_autofree char *db = g_build_filename (f->data_dir, WPI_STORE_DB_NAME, NULL);
  const struct {
    const char *name;
    const char *link_to;   /* NULL: a regular file, "": a FIFO */
    guint       status;
  } cases[] = {
    { "ring.wav", NULL, 200 },
    { "ca.pem", secret, 404 },
    { "store.db", db, 404 },
    { "passwd", "/etc/passwd", 404 },
    { "pipe", "", 404 },
  };

  g_assert_true (g_file_set_contents (secret, "-----BEGIN PRIVATE KEY-----", -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (files, cases[i].name, NULL);

      if (cases[i].link_to == NULL)
        g_assert_true (g_file_set_contents (path, "RIFF", -1, NULL));
      else if (cases[i].link_to[0] == '\0')
        g_assert_cmpint (mkfifo (path, 0600), ==, 0);
      else
        g_assert_cmpint (symlink (cases[i].link_to, path), ==, 0);
    }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("GET %s", cases[i].name);
      g_assert_cmpuint (get_status (f, cases[i].name), ==, cases[i].status);
    }

  /* files/ itself a link: nothing under it is served */
  g_assert_cmpint (g_rename (files, moved), ==, 0);
  g_assert_cmpint (symlink (moved, files), ==, 0);
  g_assert_cmpuint (get_status (f, "ring.wav"), ==, 404);
}

/* ---- §5: a spoofed DCMP poll changes nothing ---------------------------------------- */

static guint
poll_status (Fixture     *f,
             SoupSession *session,
             const char  *mac)
{
  g_autofree char *path = g_strdup_printf ("%s?device-id=%s", WPI_POLL_PATH, mac);
  g_autoptr(TestUtilReply) reply = request (f, session, "GET", path, NULL);

  return reply->status;
}

/* A poll on the secure port with the ready-made certificate of cert_mac, from the
 * stranger's address, on a connection of its own (another's would carry its certificate) */
static guint
secure_poll_status (Fixture    *f,
                    const char *cert_mac,
                    const char *mac)
{
  g_autoptr(SoupSession) session = test_util_https_session_new_from (NULL, STRANGER_IP);
  g_autoptr(GTlsCertificate) certificate = test_util_phone_certificate (cert_mac);
  g_autofree char *base = test_util_service_uri (f->service, TRUE);
  g_autofree char *uri = g_strdup_printf ("%s%s?device-id=%s", base, WPI_POLL_PATH, mac);
  g_autoptr(TestUtilReply) reply = test_util_https_request (session, "GET", uri, NULL, NULL, certificate);

  g_assert_no_error (reply->error);
  return reply->status;
}

static gboolean
contacted (gpointer data)
{
  return ((Fixture *) data)->contacts > 0;
}

/* The phone as the store knows it: at 127.0.0.1, its contact-me listener there */
static void
store_phone (Fixture      *f,
             WpiPhoneMode  mode)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_phone_record_new (MAC);
  g_autoptr(GError) error = NULL;
  guint port = 0;

  if (f->contact == NULL)
    {
      f->contact = test_util_counting_server_new (SOUP_STATUS_NO_CONTENT, &f->contacts, &port);
      phone->contact_me_uri = g_strdup_printf ("http://127.0.0.1:%u/contact_dls.html/ContactDLS", port);
    }
  phone->ip = g_strdup ("127.0.0.1");
  phone->mode = mode;
  wpi_store_phone_upsert (wpi_service_get_store (f->service), phone,
                          WPI_PHONE_FIELD_IP | WPI_PHONE_FIELD_MODE |
                          (port != 0 ? WPI_PHONE_FIELD_CONTACT_ME_URI : 0), NULL, &error);
  g_assert_no_error (error);
}

static void
test_poll_spoofed (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GPtrArray) events = NULL;

  store_phone (f, WPI_PHONE_MODE_DEFAULT);
  g_assert_cmpuint (poll_status (f, f->stranger, MAC), ==, 200);
  g_assert_cmpuint (poll_status (f, f->stranger, OTHER_MAC), ==, 200);   /* no such phone */

  /* The stranger's poll did not silence the phone: its job's contact-me goes out */
  test_util_service_enqueue (f->service, MAC, WPI_JOB_KIND_READ_ALL, NULL);
  test_util_wait_until (contacted, f, WAIT_MS, "the contact-me to reach the phone");

  /* Nor does it learn that a job waits; the phone itself does (D14) */
  g_assert_cmpuint (poll_status (f, f->stranger, MAC), ==, 200);
  g_assert_cmpuint (poll_status (f, f->phone, MAC), ==, 202);

  /* D6: a phone in Secure Mode never polls on the default port */
  store_phone (f, WPI_PHONE_MODE_SECURE);
  g_assert_cmpuint (poll_status (f, f->phone, MAC), ==, 403);
  events = security_events (f);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((WpiSecurityEvent *) g_ptr_array_index (events, 0))->kind, ==,
                   "secure-phone-on-default-port");

  /* On the secure port its certificate makes the poll its own, from any address; another
   * phone's certificate does not */
  g_assert_cmpuint (secure_poll_status (f, OTHER_MAC, MAC), ==, 200);
  g_assert_cmpuint (secure_poll_status (f, MAC, MAC), ==, 202);
}

/* ---- §3: garbage posts keep a prefix each ----------------------------------------- */

static goffset
store_size (Fixture *f)
{
  const char *suffixes[] = { "", "-wal" };
  goffset size = 0;

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *path = g_strconcat (f->data_dir, "/", WPI_STORE_DB_NAME, suffixes[i], NULL);
      GStatBuf info;

      if (g_stat (path, &info) == 0)
        size += info.st_size;
    }
  return size;
}

static void
test_garbage_posts (Fixture       *f,
                    gconstpointer  data)
{
  const guint n_posts = 100;
  const gsize body_size = 256 * 1024;
  g_autofree char *garbage = g_strnfill (body_size, 'x');
  g_autoptr(GBytes) body = g_bytes_new_static (garbage, body_size);
  WpiStore *store = wpi_service_get_store (f->service);
  gint64 bytes_before = wpi_store_traffic_get_bytes (store, NULL);
  goffset size_before = store_size (f);
  /* the prefix, the request's head and the summary row of each */
  gint64 bound = n_posts * (gint64) (KEPT_BYTES + 4096 + WPI_STORE_TRAFFIC_MESSAGE_BYTES);
  g_autoptr(GPtrArray) traffic = NULL;

  for (guint i = 0; i < n_posts; i++)
    {
      g_autoptr(TestUtilReply) reply = request (f, f->stranger, "POST", WPI_SERVICE_PATH, body);

      g_assert_cmpuint (reply->status, ==, 400);
    }

  g_assert_cmpint (wpi_store_traffic_get_bytes (store, NULL) - bytes_before, <=, bound);
  /* the file with its journal: the WAL may hold a page twice */
  g_assert_cmpint (store_size (f) - size_before, <=, 2 * bound);

  traffic = wpi_store_traffic_get_range (store, 1, n_posts, NULL);
  g_assert_cmpuint (traffic->len, ==, n_posts);
  {
    g_autoptr(WpiTrafficRecord) last = wpi_store_traffic_get (store, n_posts, NULL);

    g_assert_cmpint (last->size, ==, body_size);
    g_assert_cmpuint (g_bytes_get_size (last->body), ==, KEPT_BYTES);
    g_assert_cmpmem (g_bytes_get_data (last->body, NULL), KEPT_BYTES, garbage, KEPT_BYTES);
  }
}

/* ---- §3: a traffic log that cannot keep a message fails no flow ------------------- */

static void
test_traffic_failure (Fixture       *f,
                      gconstpointer  data)
{
  WpiStore *store = wpi_service_get_store (f->service);
  g_autoptr(WpiMessage) message = start_up (MAC);
  g_autofree char *base = test_util_service_uri (f->service, FALSE);
  g_autofree char *uri = g_strconcat (base, WPI_SERVICE_PATH, NULL);
  g_autoptr(TestUtilReply) reply = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GError) error = NULL;

  /* every append fails: the budget setting does not read */
  g_assert_true (wpi_store_setting_set (store, WPI_STORE_SETTING_TRAFFIC_MAX_BYTES, "plenty", &error));
  reply = test_util_post_message (f->phone, uri, message, NULL);
  answer = test_util_reply_parse (reply);
  g_assert_cmpint (wpi_message_get_action (answer), ==, WPI_ACTION_READ_ALL_ITEMS);
  phone = wpi_store_phone_get (store, MAC, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (phone->ip, ==, "127.0.0.1");
  g_assert_cmpint (wpi_store_traffic_count (store, NULL), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/hostile/log/forged-line", test_forged_log_line);
  ADD ("/hostile/session-mac-mismatch", test_session_mac_mismatch);
  ADD ("/hostile/files/links", test_files_links);
  ADD ("/hostile/poll/spoofed", test_poll_spoofed);
  ADD ("/hostile/traffic/garbage-posts", test_garbage_posts);
  ADD ("/hostile/traffic/failure", test_traffic_failure);
#undef ADD
  return g_test_run ();
}
