/* test-traffic-export.c: the inspector's raw view (masking, pretty-printing) and its
 * exports (XML files with an index, JSON lines) */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "wpi-traffic-export.h"
#include "test-util-store.h"

#define WAIT_TIMEOUT_MS 30000

static char *
masked_text (const char *xml)
{
  g_autoptr(GBytes) body = g_bytes_new (xml, strlen (xml));
  g_autoptr(GBytes) masked = wpi_traffic_mask_body (body, WPI_DUMP_NONE);
  gsize length;
  const char *data = g_bytes_get_data (masked, &length);

  return g_strndup (data, length);
}

static void
test_secret_names (void)
{
  g_assert_true (wpi_traffic_item_is_secret ("secure-mode-data"));
  g_assert_true (wpi_traffic_item_is_secret ("dls-client-certificate"));
  g_assert_true (wpi_traffic_item_is_secret ("admin-pwd"));
  g_assert_true (wpi_traffic_item_is_secret ("user-pwd"));
  g_assert_true (wpi_traffic_item_is_secret ("my-site-password"));
  g_assert_false (wpi_traffic_item_is_secret ("e164"));
  g_assert_false (wpi_traffic_item_is_secret ("sip-transport-user"));
}

static void
test_mask_body (void)
{
  static const struct {
    const char *in;
    const char *out;
  } cases[] = {
    { "<Item name=\"admin-pwd\">123456</Item>", "<Item name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
    { "<Item name='admin-pwd' status=\"x\">1</Item >", "<Item name='admin-pwd' status=\"x\">" WPI_TRAFFIC_MASKED_VALUE "</Item >" },
    /* an attribute value with ">" in front of the name */
    { "<Item status=\"a>b\" name=\"admin-pwd\">x</Item>", "<Item status=\"a>b\" name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
    /* CDATA that holds what looks like the end tag */
    { "<Item name=\"admin-pwd\"><![CDATA[a</Item>b]]></Item><Item name=\"e164\">1</Item>",
      "<Item name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item><Item name=\"e164\">1</Item>" },
    /* a comment and references in the value */
    { "<Item name=\"admin-pwd\">a<!-- </Item> -->&amp;b</Item>", "<Item name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
    /* the name written with a character reference */
    { "<Item name=\"admin&#45;pwd\">x</Item>", "<Item name=\"admin&#45;pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
    { "<Item name=\"admin&#x2d;pwd\">x</Item>", "<Item name=\"admin&#x2d;pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
    /* a namespace prefix */
    { "<d:Item name=\"secure-mode-data\">QUJD</d:Item>", "<d:Item name=\"secure-mode-data\">" WPI_TRAFFIC_MASKED_VALUE "</d:Item>" },
    /* empty and self-closing stay, as do other items and the rest of a broken body */
    { "<Item name=\"admin-pwd\"></Item><Item name=\"admin-pwd\"/>", "<Item name=\"admin-pwd\"></Item><Item name=\"admin-pwd\"/>" },
    { "<Item name=\"e164\">123</Item><Item name=\"user-pwd\">s</Item><Item",
      "<Item name=\"e164\">123</Item><Item name=\"user-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item><Item" },
    { "no XML at all", "no XML at all" },
    /* cut short inside a secret: masked to the end */
    { "<Item name=\"e164\">1</Item><Item name=\"admin-pwd\">geh", "<Item name=\"e164\">1</Item><Item name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE },
    /* an Item left open does not swallow the next one */
    { "<Item name=\"e164\">1<Item name=\"admin-pwd\">s</Item>", "<Item name=\"e164\">1<Item name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
    /* not XML, but recognisably a secret */
    { "<Item name=admin-pwd>x</Item>", "<Item name=admin-pwd>" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
    /* an element inside a secret goes with it */
    { "<Item name=\"admin-pwd\">a<b>c</b></Item>", "<Item name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = masked_text (cases[i].in);

      g_test_message ("%s", cases[i].in);
      g_assert_cmpstr (out, ==, cases[i].out);
    }

  /* A secret behind a NUL byte */
  {
    static const char with_nul[] = "<A>\0<Item name=\"admin-pwd\">42</Item>";
    g_autoptr(GBytes) body = g_bytes_new_static (with_nul, sizeof with_nul - 1);
    g_autoptr(GBytes) masked = wpi_traffic_mask_body (body, WPI_DUMP_NONE);
    gsize length;
    const char *data = g_bytes_get_data (masked, &length);

    g_assert_null (memchr (data, '\0', length));
    g_assert_nonnull (g_strstr_len (data, length, WPI_TRAFFIC_MASKED_VALUE));
    g_assert_null (g_strstr_len (data, length, ">42<"));
  }

  /* The fixture with a client certificate: masked, everything else as it was */
  {
    g_autoptr(GBytes) body = test_util_read_fixture ("19-bootstrap-nopin-02-service-writeitems.xml");
    g_autoptr(GBytes) masked = wpi_traffic_mask_body (body, WPI_DUMP_NONE);
    g_autoptr(GBytes) shown = wpi_traffic_mask_body (body, WPI_DUMP_SHOW_SECRETS);
    g_autofree char *text = g_strndup (g_bytes_get_data (masked, NULL), g_bytes_get_size (masked));

    g_assert_true (g_bytes_equal (shown, body));
    g_assert_null (strstr (text, "MIIG5QIB"));
    g_assert_null (strstr (text, "BEGIN CERTIFICATE"));
    g_assert_nonnull (strstr (text, "<Item name=\"dls-client-certificate\">" WPI_TRAFFIC_MASKED_VALUE "</Item>"));
    g_assert_nonnull (strstr (text, "<Item name=\"goto-secure-mode\">nopin</Item>"));
    g_assert_true (g_str_has_prefix (text, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<DLSMessage"));
  }
}

static void
test_format_body (void)
{
  g_autoptr(GBytes) body = test_util_read_fixture ("07-write-05-phone-reply-item-failures.xml");
  g_autoptr(GBytes) startup = test_util_read_fixture ("01-startup-01-phone-start-up.xml");
  g_autofree char *text = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *revealed = NULL;
  gboolean pretty = FALSE;

  /* One element per line, indented, attributes as they were */
  text = wpi_traffic_format_body (body, WPI_DUMP_NONE, &pretty);
  g_assert_true (pretty);
  g_assert_nonnull (strstr (text, "\n  <Message nonce=\"3350F591D95F0A99681429A2C0A7659E\" maxItems=\"-1\" fragment=\"final\">\n"));
  g_assert_nonnull (strstr (text, "\n      <Item name=\"line-sip-uri\" status=\"invalid index\" index=\"2\"/>\n"));

  masked = wpi_traffic_format_body (startup, WPI_DUMP_NONE, &pretty);
  g_assert_true (pretty);
  g_assert_nonnull (strstr (masked, "<Item name=\"user-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>"));
  g_assert_null (strstr (masked, "Tor"));
  /* an empty secret stays empty */
  g_assert_nonnull (strstr (masked, "<Item name=\"user-pwd-unicode\" status=\"failed\"/>"));
  revealed = wpi_traffic_format_body (startup, WPI_DUMP_SHOW_SECRETS, &pretty);
  g_assert_nonnull (strstr (revealed, "<Item name=\"user-pwd\">Tür&amp;Tor&lt;7</Item>"));

  /* What the codec refuses is shown as it came, masked, made valid UTF-8 */
  {
    static const char broken[] = "<WorkpointMessage><Item name=\"admin-pwd\">geheim</Item>\xff<Item";
    g_autoptr(GBytes) bad = g_bytes_new_static (broken, sizeof broken - 1);
    g_autofree char *raw = wpi_traffic_format_body (bad, WPI_DUMP_NONE, &pretty);

    g_assert_false (pretty);
    g_assert_true (g_utf8_validate (raw, -1, NULL));
    g_assert_null (strstr (raw, "geheim"));
    g_assert_true (g_str_has_prefix (raw, "<WorkpointMessage><Item name=\"admin-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>"));
  }

  /* Entities are not expanded for display either: the codec refuses the body first */
  {
    static const char bomb[] = "<!DOCTYPE a [<!ENTITY x \"yyyyyyyy\">]><WorkpointMessage>&x;</WorkpointMessage>";
    g_autoptr(GBytes) bad = g_bytes_new_static (bomb, sizeof bomb - 1);
    g_autofree char *raw = wpi_traffic_format_body (bad, WPI_DUMP_NONE, &pretty);

    g_assert_false (pretty);
    g_assert_cmpstr (raw, ==, bomb);
  }

  {
    g_autofree char *none = wpi_traffic_format_body (NULL, WPI_DUMP_NONE, &pretty);
    g_assert_cmpstr (none, ==, "");
  }
}

/* Every file of the hostile corpus shows as valid UTF-8 text, quickly, without a
 * secret or an expanded entity. */
static void
test_format_hostile (void)
{
  g_autofree char *dir_path = g_test_build_filename (G_TEST_DIST, "hostile", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  guint files = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir_path, name, NULL);
      g_autoptr(GBytes) body = NULL;
      g_autofree char *text = NULL;
      char *data = NULL;
      gsize length = 0;
      gboolean pretty = TRUE;
      gint64 start;

      if (!g_str_has_suffix (name, ".xml"))
        continue;
      g_assert_true (g_file_get_contents (path, &data, &length, NULL));
      body = g_bytes_new_take (data, length);
      start = g_get_monotonic_time ();
      text = wpi_traffic_format_body (body, WPI_DUMP_NONE, &pretty);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
      g_assert_true (g_utf8_validate (text, -1, NULL));
      /* No entity was expanded: the text is never much longer than the body */
      g_assert_cmpuint (strlen (text), <=, 2 * length + 4096);
      files++;
    }
  g_assert_cmpuint (files, >, 50);
}

static void
test_format_headers (void)
{
  static const char head[] = "POST /DeploymentService/LoginService HTTP/1.1\r\nHost: a\r\nContent-Type: text/xml\r\n";
  g_autoptr(GBytes) bytes = g_bytes_new_static (head, sizeof head - 1);
  g_autofree char *text = wpi_traffic_format_headers (bytes);
  g_autofree char *none = wpi_traffic_format_headers (NULL);

  g_assert_cmpstr (text, ==, "POST /DeploymentService/LoginService HTTP/1.1\nHost: a\nContent-Type: text/xml\n");
  g_assert_cmpstr (none, ==, "");
}

/* ---- Export -------------------------------------------------------------------- */

typedef struct {
  TestUtilStore base;   /* the store in a temporary directory */
  GArray       *ids;
} Fixture;

static const char * const fixture_names[] = {
  "01-startup-01-phone-start-up",
  "01-startup-02-service-readallitems",
  "19-bootstrap-nopin-02-service-writeitems",
  NULL, /* a body the codec refused */
  "15-busy-05-phone-reply-busy",
};

/* The heads as the service logs them: without the blank line */
static const char phone_head[] = "POST /DeploymentService/LoginService HTTP/1.1\r\nHost: 192.0.2.10:18443\r\n"
                                 "Content-Type: text/xml\r\nContent-Length: 12\r\n";
static const char console_head[] = "HTTP/1.1 200 OK\r\nServer: Workpoint-Console\r\n"
                                   "Content-Type: text/xml; charset=utf-8\r\nContent-Length: 12\r\n";

/* Logs record with the head of its direction (unless it has one), its id kept in the
 * fixture */
static void
append_record (Fixture          *fixture,
               WpiTrafficRecord *record)
{
  gboolean in = record->direction == WPI_TRAFFIC_DIRECTION_IN;
  g_autoptr(GError) error = NULL;
  gint64 id = 0;

  if (record->headers == NULL)
    record->headers = in ? g_bytes_new_static (phone_head, strlen (phone_head))
                         : g_bytes_new_static (console_head, strlen (console_head));
  g_assert_true (wpi_store_traffic_append (fixture->base.store, record, &id, &error));
  g_assert_no_error (error);
  g_array_append_val (fixture->ids, id);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  test_util_store_setup (&fixture->base, data);
  fixture->ids = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < G_N_ELEMENTS (fixture_names); i++)
    {
      g_autoptr(WpiTrafficRecord) record = wpi_traffic_record_new ();
      g_autofree char *file = fixture_names[i] != NULL ? g_strconcat (fixture_names[i], ".xml", NULL) : NULL;

      record->time_us = G_GINT64_CONSTANT (1700000000123456) + i;
      record->direction = i == 1 || i == 2 ? WPI_TRAFFIC_DIRECTION_OUT : WPI_TRAFFIC_DIRECTION_IN;
      record->port = 18443;
      record->peer = g_strdup ("192.168.1.2:5000");
      record->mac = g_strdup ("00:1A:E8:3C:52:71");
      record->flow_id = g_strdup ("flow\twith a tab");
      if (file != NULL)
        record->body = test_util_read_fixture (file);
      else
        {
          record->body = g_bytes_new_static ("<WorkpointMessage>", 18);
          record->error_code = 7;
          record->error_text = g_strdup ("1:19: malformed XML");
        }
      append_record (fixture, record);
    }
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_array_unref (fixture->ids);
  test_util_store_teardown (&fixture->base, data);
}

static char *
read_text (GFile *file)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  g_file_load_contents (file, NULL, &contents, NULL, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* relative (a path with /) inside the fixture's temporary directory */
static GFile *
tmp_file (Fixture    *fixture,
          const char *relative)
{
  g_autoptr(GFile) tmp = g_file_new_for_path (fixture->base.tmp);

  return g_file_resolve_relative_path (tmp, relative);
}

static void
test_export_xml (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GFile) folder = tmp_file (fixture, "export/xml");
  g_autoptr(GFile) index = g_file_get_child (folder, "index.tsv");
  g_autoptr(GError) error = NULL;
  g_autofree char *index_text = NULL;
  g_auto(GStrv) lines = NULL;
  guint written = 0, skipped = 0;

  g_assert_true (wpi_traffic_export (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_XML, folder,
                                     WPI_DUMP_NONE, &written, &skipped, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, G_N_ELEMENTS (fixture_names));
  g_assert_cmpuint (skipped, ==, 0);

  index_text = read_text (index);
  lines = g_strsplit (index_text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 2 + G_N_ELEMENTS (fixture_names));
  g_assert_cmpstr (lines[0], ==, WPI_TRAFFIC_EXPORT_INDEX_HEADER);
  g_assert_cmpstr (lines[G_N_ELEMENTS (fixture_names) + 1], ==, "");
  {
    g_autoptr(GBytes) original = test_util_read_fixture ("01-startup-01-phone-start-up.xml");
    g_autofree char *expected = g_strdup_printf ("0000000001-in.xml\t1\t2023-11-14T22:13:20.123456Z\tin\t18443\t"
                                                 "default\t192.168.1.2:5000\t00:1A:E8:3C:52:71\tflow with a tab"
                                                 "\t\t\t\t\t\t\t%" G_GSIZE_FORMAT "\t",
                                                 g_bytes_get_size (original));

    g_assert_cmpstr (lines[1], ==, expected);
  }
  g_assert_true (g_str_has_suffix (lines[4], "\t1:19: malformed XML"));
  for (guint i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", -1);
      g_assert_cmpuint (g_strv_length (fields), ==, 17);
    }

  /* The bodies as they came, secrets masked */
  {
    g_autoptr(GFile) startup = g_file_get_child (folder, "0000000001-in.xml");
    g_autoptr(GFile) bootstrap = g_file_get_child (folder, "0000000003-out.xml");
    g_autoptr(GFile) broken = g_file_get_child (folder, "0000000004-in.xml");
    g_autofree char *startup_text = read_text (startup);
    g_autofree char *bootstrap_text = read_text (bootstrap);
    g_autofree char *broken_text = read_text (broken);

    g_assert_nonnull (strstr (startup_text, "<Item name=\"user-pwd\">" WPI_TRAFFIC_MASKED_VALUE "</Item>"));
    g_assert_nonnull (strstr (startup_text, "<Item name=\"e164\">4989700141</Item>"));
    g_assert_null (strstr (bootstrap_text, "MIIG5QIB"));
    g_assert_cmpstr (broken_text, ==, "<WorkpointMessage>");
  }

  /* Revealed: byte for byte */
  g_assert_true (wpi_traffic_export (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_XML, folder,
                                     WPI_DUMP_SHOW_SECRETS, &written, NULL, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GFile) startup = g_file_get_child (folder, "0000000001-in.xml");
    g_autoptr(GBytes) exported = g_file_load_bytes (startup, NULL, NULL, &error);
    g_autoptr(GBytes) original = test_util_read_fixture ("01-startup-01-phone-start-up.xml");

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (exported, original));
  }

  /* A folder that cannot be made */
  {
    g_autofree char *blocker_path = g_build_filename (fixture->base.tmp, "file", NULL);
    g_autoptr(GFile) blocker = g_file_new_for_path (blocker_path);
    g_autoptr(GFile) inside = g_file_get_child (blocker, "export");

    g_assert_true (g_file_set_contents (blocker_path, "x", 1, NULL));
    g_assert_false (wpi_traffic_export (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_XML, inside,
                                        WPI_DUMP_NONE, NULL, NULL, NULL, &error));
    g_assert_nonnull (error);
  }
}

static void
test_export_json (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GFile) file = tmp_file (fixture, "export.jsonl");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint written = 0, skipped = 0;
  guint line = 0;

  g_assert_true (wpi_traffic_export (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_JSON_LINES, file,
                                     WPI_DUMP_SHOW_SECRETS, &written, &skipped, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, G_N_ELEMENTS (fixture_names) - 1);
  g_assert_cmpuint (skipped, ==, 1);

  /* Revealed, each line is its context, then what wpi-decode --json prints for the fixture */
  text = read_text (file);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; i < G_N_ELEMENTS (fixture_names); i++)
    {
      g_autofree char *json_name = NULL;
      g_autoptr(GBytes) expected = NULL;
      g_autofree char *expected_text = NULL;
      g_autofree char *context = NULL;

      if (fixture_names[i] == NULL)
        continue;
      json_name = g_strconcat (fixture_names[i], ".json", NULL);
      expected = test_util_read_fixture (json_name);
      expected_text = g_strndup (g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
      g_strchomp (expected_text);
      context = g_strdup_printf ("{\"number\":%u,\"time\":\"2023-11-14T22:13:20.1234%02uZ\",\"direction\":\"%s\","
                                 "\"port\":18443,\"mode\":\"default\",\"peer_address\":\"192.168.1.2\","
                                 "\"peer_port\":5000,\"mac\":\"00:1A:E8:3C:52:71\",\"flow\":\"flow\\twith a tab\","
                                 "\"http_status\":%s,",
                                 i + 1, 56 + i, i == 1 || i == 2 ? "out" : "in", i == 1 || i == 2 ? "200" : "null");
      g_test_message ("line %u: %s", line, lines[line]);
      g_assert_true (g_str_has_prefix (lines[line], context));
      g_assert_cmpstr (lines[line] + strlen (context), ==, expected_text + 1);
      line++;
    }
  g_assert_cmpstr (lines[line], ==, "");

  /* Masked: secret values replaced, and still JSON */
  g_assert_true (wpi_traffic_export (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_JSON_LINES, file,
                                     WPI_DUMP_NONE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  g_clear_pointer (&lines, g_strfreev);
  text = read_text (file);
  lines = g_strsplit (text, "\n", -1);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonArray *items;
    gboolean found = FALSE;

    g_assert_true (json_parser_load_from_data (parser, lines[0], -1, &error));
    g_assert_no_error (error);
    items = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "items");
    for (guint i = 0; i < json_array_get_length (items); i++)
      {
        JsonObject *item = json_array_get_object_element (items, i);

        if (g_str_equal (json_object_get_string_member (item, "name"), "user-pwd"))
          {
            g_assert_cmpstr (json_object_get_string_member (item, "value"), ==, WPI_TRAFFIC_MASKED_VALUE);
            found = TRUE;
          }
      }
    g_assert_true (found);
  }
  g_assert_null (strstr (text, "Tor<7"));
  g_assert_null (strstr (text, "MIIG5QIB"));
}

/* Messages beside the fixture's for the capture: other phones, a message as a real
 * server writes it (R21), one signed (R22), one over IPv6 as the service writes the peer */
static const struct {
  WpiTrafficDirection  direction;
  const char          *peer;  /* as the service writes it */
  const char          *file;
} capture_extras[] = {
  { WPI_TRAFFIC_DIRECTION_IN, "192.168.1.2:5000", "01-startup-03-phone-reply-readallitems.xml" },
  { WPI_TRAFFIC_DIRECTION_OUT, "192.168.1.2:5000", "real-world/gemeinschaft5-writeitems-dlsmessage-case.xml" },
  { WPI_TRAFFIC_DIRECTION_OUT, "192.168.1.3:41000", "real-world/vendor-dls-signed.xml" },
  { WPI_TRAFFIC_DIRECTION_IN, "2001:db8::5:40000", "07-write-05-phone-reply-accepted.xml" },
  { WPI_TRAFFIC_DIRECTION_IN, "no address", "13-software-05-phone-start-up.xml" },
};

static void
add_capture_extras (Fixture *fixture)
{
  for (guint i = 0; i < G_N_ELEMENTS (capture_extras); i++)
    {
      g_autoptr(WpiTrafficRecord) record = test_util_traffic_record_new (10 + i, 100000);

      record->direction = capture_extras[i].direction;
      record->peer = g_strdup (capture_extras[i].peer);
      record->body = test_util_read_fixture (capture_extras[i].file);
      append_record (fixture, record);
    }
  {
    /* a head logged with a NUL byte first: a made-up one stands for it */
    g_autoptr(WpiTrafficRecord) record = test_util_traffic_record_new (20, 100000);

    record->peer = g_strdup ("192.168.1.4:46000");
    record->body = test_util_read_fixture ("06-read-03-phone-solicited.xml");
    record->headers = g_bytes_new_static ("\0POST / HTTP/1.1\r\n", 18);
    append_record (fixture, record);
  }
}

/* The capture opens in tshark without a warning, shows the phone's messages as HTTP
 * POSTs and, with the Lua dissector, finds the WPI fields; each packet has its comment. */
static void
test_export_pcapng (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GFile) file = tmp_file (fixture, "export.pcapng");
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GError) error = NULL;
  guint written = 0, skipped = 0;
  static const struct {
    const char *filter;
    const char *messages;   /* the log's messages it finds, by number */
  } filters[] = {
    { "http.request.method == \"POST\"", "1 4 5 6 9 10 11" },  /* every "in" message */
    { "http.request.uri == \"/DeploymentService/LoginService\" && wpi.reason == \"solicited\"", "11" },
    { "http.response.code == 200", "2 3 7 8" },
    /* the fixture's bootstrap and busy reply, Gemeinschaft's and the signed one, an accepted reply */
    { "wpi.action == \"WriteItems\"", "3 5 7 8 9" },
    { "wpi.item.name == \"sip-transport-user\"", "6 7" },  /* a reply to ReadAllItems, Gemeinschaft's */
    { "wpi.root == \"DlsMessage\" && wpi.nonce == \"6A1F0C2B9E4D7A3850B1C6E2F9D40A17\"", "7" },
    { "wpi.signed", "8" },
    { "wpi.item.name == \"e164\" && wpi.item.value == \"2002\"", "8" },
    { "wpi.item.index == 2", "6" },
    { "wpi.status == \"busy\"", "5" },
    { "wpi.reason == \"start-up\"", "1 10" },
    { "ip.src == 198.51.100.1 && wpi.reason == \"start-up\"", "10" },  /* logged without its address */
    { "ipv6 && http", "9" },
    { "tcp.analysis.flags || _ws.malformed || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\"", "" },
  };

  add_capture_extras (fixture);
  g_assert_true (wpi_traffic_export (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_PCAPNG, file,
                                     WPI_DUMP_SHOW_SECRETS, &written, &skipped, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, fixture->ids->len);
  g_assert_cmpuint (skipped, ==, 0);
  if (test_util_tshark_path () == NULL)
    return;

  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    {
      g_autofree char *out = test_util_tshark (path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                                               "-Y", filters[i].filter, "-T", "fields", "-e", "frame.comment", NULL);
      g_auto(GStrv) comments = g_strsplit (out, "\n", -1);
      GString *found = g_string_new (NULL);

      /* the message number from each frame's comment, "WPI #N ..." */
      for (guint j = 0; comments[j] != NULL && comments[j][0] != '\0'; j++)
        g_string_append_printf (found, "%s%" G_GUINT64_FORMAT, found->len > 0 ? " " : "",
                                g_ascii_strtoull (comments[j] + strlen ("WPI #"), NULL, 10));
      g_test_message ("%s: %s", filters[i].filter, found->str);
      g_assert_cmpstr (found->str, ==, filters[i].messages);
      g_string_free (found, TRUE);
    }

  /* every packet carries the summary of its message */
  {
    g_autofree char *all = test_util_tshark (path, "-T", "fields", "-e", "frame.number", NULL);
    g_autofree char *commented = test_util_tshark (path, "-Y", "frame.comment contains \"WPI #\"",
                                                   "-T", "fields", "-e", "frame.number", NULL);
    g_autofree char *comments = test_util_tshark (path, "-Y", "http.request", "-T", "fields", "-e", "frame.comment", NULL);

    g_assert_cmpuint (test_util_count_lines (commented), ==, test_util_count_lines (all));
    test_util_assert_contains_all (comments, "WPI #1 phone to console, 00:1A:E8:3C:52:71, flow flow with a tab: "
                                   "WorkpointMessage start-up, 17 items\n",
                                   "WPI #4 phone to console, 00:1A:E8:3C:52:71, flow flow with a tab: ?, "
                                   "error: 1:19: malformed XML\n",
                                   "WPI #9 phone to console, MAC unknown, flow -: WorkpointMessage reply-to WriteItems "
                                   "status=accepted", NULL);
  }

  /* masked by default: the password is not in the file */
  g_assert_true (wpi_traffic_export (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_PCAPNG, file,
                                     WPI_DUMP_NONE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *values = test_util_tshark (path, "-Y", "wpi.item.name == \"user-pwd\"", "-T", "fields",
                                                "-e", "wpi.item.value", NULL);

    g_assert_nonnull (strstr (values, WPI_TRAFFIC_MASKED_VALUE));
    g_assert_null (strstr (values, "Tor<7"));
  }
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
on_exported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;
  *out = g_object_ref (result);
}

static void
test_export_async (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GFile) folder = tmp_file (fixture, "async");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (WAIT_TIMEOUT_MS, on_timeout, &timed_out);
  guint written = 0;

  wpi_traffic_export_async (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_XML, folder, WPI_DUMP_NONE,
                            NULL, on_exported, &result);
  while (result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_assert_true (wpi_traffic_export_finish (result, &written, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (written, ==, G_N_ELEMENTS (fixture_names));
  g_clear_object (&result);

  /* Cancelled before it starts */
  g_cancellable_cancel (cancellable);
  wpi_traffic_export_async (fixture->base.store, fixture->ids, WPI_TRAFFIC_EXPORT_XML, folder, WPI_DUMP_NONE,
                            cancellable, on_exported, &result);
  while (result == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_assert_false (wpi_traffic_export_finish (result, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_source_remove (timeout);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/traffic-export/secret-names", test_secret_names);
  g_test_add_func ("/traffic-export/mask-body", test_mask_body);
  g_test_add_func ("/traffic-export/format-body", test_format_body);
  g_test_add_func ("/traffic-export/format-hostile", test_format_hostile);
  g_test_add_func ("/traffic-export/format-headers", test_format_headers);
#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/traffic-export/xml", test_export_xml);
  ADD ("/traffic-export/json", test_export_json);
  ADD ("/traffic-export/pcapng", test_export_pcapng);
  ADD ("/traffic-export/async", test_export_async);
#undef ADD

  return g_test_run ();
}
