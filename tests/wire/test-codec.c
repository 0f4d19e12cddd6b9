/* test-codec.c: the WPI message model, parser, serializer, fragmenting and rules */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "wpi-codec.h"
#include "wpi-dump.h"
#include "wpi-fragment.h"
#include "wpi-rules.h"

static WpiMessage *
parse_ok (const char *xml)
{
  g_autoptr(GError) error = NULL;
  WpiMessage *message = wpi_message_parse (xml, strlen (xml), &error);

  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
test_parse_start_up (void)
{
  const char *xml =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<WorkpointMessage xmlns=\"http://www.siemens.com/DLS\"\n"
    "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
    "    xsi:schemaLocation=\"http://www.siemens.com/DLS\">\n"
    "  <Message nonce=\"0A1B2C3D4E5F60718293A4B5C6D7E8F9\" maxItems=\"-1\">\n"
    "    <ReasonForContact>start-up</ReasonForContact>\n"
    "    <ItemList>\n"
    "      <Item name=\"mac-addr\">00:1A:E8:12:34:56</Item>\n"
    "      <Item name=\"e164\">4989700123</Item>\n"
    "      <Item name=\"gigabit-ethernet\" status=\"failed\"></Item>\n"
    "      <Item name=\"ldap-server-address\" index=\"1\">ldap.example.org</Item>\n"
    "    </ItemList>\n"
    "  </Message>\n"
    "</WorkpointMessage>\n";
  g_autoptr(WpiMessage) message = parse_ok (xml);
  const WpiItem *item;

  g_assert_cmpint (wpi_message_get_kind (message), ==, WPI_MESSAGE_KIND_WORKPOINT);
  g_assert_cmpstr (wpi_message_get_nonce (message), ==, "0A1B2C3D4E5F60718293A4B5C6D7E8F9");
  g_assert_true (wpi_message_has_max_items (message));
  g_assert_cmpint (wpi_message_get_max_items (message), ==, -1);
  g_assert_null (wpi_message_get_fragment_string (message));
  g_assert_cmpint (wpi_message_get_reason (message), ==, WPI_REASON_START_UP);
  g_assert_null (wpi_message_get_action_string (message));
  g_assert_cmpuint (wpi_message_get_n_items (message), ==, 4);
  g_assert_cmpstr (wpi_message_get_item_value (message, "mac-addr"), ==, "00:1A:E8:12:34:56");

  item = wpi_message_get_item (message, 2);
  g_assert_cmpstr (item->name, ==, "gigabit-ethernet");
  g_assert_cmpstr (item->value, ==, "");
  g_assert_cmpint (wpi_item_get_status (item), ==, WPI_ITEM_STATUS_FAILED);

  item = wpi_message_find_item (message, "ldap-server-address", 1);
  g_assert_nonnull (item);
  g_assert_true (item->has_index);
  g_assert_cmpint (item->index, ==, 1);
  g_assert_null (wpi_message_find_item (message, "ldap-server-address", 2));
}

/* The busy reply of protocol.md §7.12: no ItemList at all, and "Busy" style casing. */
static void
test_parse_busy_reply (void)
{
  g_autoptr(WpiMessage) message = parse_ok (
    "<WorkpointMessage xmlns=\"http://www.siemens.com/DLS\">\n"
    "  <Message nonce=\"77C0AB12\" maxItems=\"-1\" fragment=\"final\">\n"
    "    <ReasonForContact status=\"busy\" action=\"WriteItems\">reply-to</ReasonForContact>\n"
    "  </Message>\n"
    "</WorkpointMessage>");
  g_autofree char *json = NULL;

  g_assert_cmpint (wpi_message_get_reason (message), ==, WPI_REASON_REPLY_TO);
  g_assert_cmpint (wpi_message_get_action (message), ==, WPI_ACTION_WRITE_ITEMS);
  g_assert_cmpint (wpi_message_get_status (message), ==, WPI_MESSAGE_STATUS_BUSY);
  g_assert_cmpint (wpi_message_get_fragment (message), ==, WPI_FRAGMENT_FINAL);
  g_assert_false (wpi_message_has_item_list (message));

  json = wpi_message_to_json (message);
  g_assert_cmpstr (json, ==,
                   "{\"root\":\"WorkpointMessage\",\"nonce\":\"77C0AB12\",\"max_items\":-1,"
                   "\"fragment\":\"final\",\"reason\":\"reply-to\",\"action\":\"WriteItems\","
                   "\"status\":\"busy\",\"items\":[]}");

  g_assert_cmpint (wpi_message_status_from_string ("Busy"), ==, WPI_MESSAGE_STATUS_BUSY);
}

/* The guide's examples vary: no namespace, another namespace, fragment on
 * ReasonForContact, line breaks in attributes and around texts, no declaration. */
static void
test_parse_tolerant (void)
{
  g_autoptr(WpiMessage) no_ns = parse_ok (
    "<DLSMessage><Message nonce=\"AB\"><Action>ReadAllItems</Action></Message></DLSMessage>");
  g_autoptr(WpiMessage) other_ns = parse_ok (
    "<DLSMessage xmlns=\"http://mydomain/provisioning\"><Message nonce=\"AB\">"
    "<Action>\n   CleanUp\n  </Action><ItemList/></Message></DLSMessage>");
  g_autoptr(WpiMessage) rfc_fragment = parse_ok (
    "<WorkpointMessage><Message maxItems=\"5\" nonce=\"\n  5D3E\n  77AA\">"
    "<ReasonForContact fragment=\"next\"\n status=\"accepted\" action=\"ReadAllItems\">\n"
    "  reply-to\n</ReasonForContact><ItemList><Item name=\"x\"> kept  \n as is </Item></ItemList>"
    "</Message></WorkpointMessage>");
  g_autoptr(WpiMessage) latin1_claim = parse_ok (
    "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><WorkpointMessage><Message nonce=\"1\">"
    "<ReasonForContact>start-up</ReasonForContact><ItemList>"
    "<Item name=\"display-id-unicode\">Müller &amp; Söhne &lt;3&gt;</Item></ItemList>"
    "</Message></WorkpointMessage>");
  g_autoptr(WpiMessage) unknown = parse_ok (
    "<WorkpointMessage><Extension a=\"1\"><Deep><Deeper/></Deep></Extension>"
    "<Message nonce=\"1\"><Note>ignored</Note><ReasonForContact>future-reason</ReasonForContact>"
    "</Message></WorkpointMessage>");

  g_assert_cmpint (wpi_message_get_kind (no_ns), ==, WPI_MESSAGE_KIND_DLS);
  g_assert_cmpint (wpi_message_get_action (no_ns), ==, WPI_ACTION_READ_ALL_ITEMS);
  g_assert_false (wpi_message_has_item_list (no_ns));

  g_assert_cmpint (wpi_message_get_action (other_ns), ==, WPI_ACTION_CLEAN_UP);
  g_assert_true (wpi_message_has_item_list (other_ns));
  g_assert_cmpuint (wpi_message_get_n_items (other_ns), ==, 0);

  g_assert_cmpstr (wpi_message_get_nonce (rfc_fragment), ==, "5D3E77AA");
  g_assert_cmpint (wpi_message_get_max_items (rfc_fragment), ==, 5);
  g_assert_cmpstr (wpi_message_get_fragment_string (rfc_fragment), ==, "next");
  g_assert_cmpstr (wpi_message_get_reason_string (rfc_fragment), ==, "reply-to");
  g_assert_cmpstr (wpi_message_get_item_value (rfc_fragment, "x"), ==, " kept  \n as is ");

  g_assert_cmpstr (wpi_message_get_item_value (latin1_claim, "display-id-unicode"), ==,
                   "Müller & Söhne <3>");

  g_assert_cmpint (wpi_message_get_reason (unknown), ==, WPI_REASON_OTHER);
  g_assert_cmpstr (wpi_message_get_reason_string (unknown), ==, "future-reason");
}

/* Entity and character references in attribute values mean their characters, and a
 * message carrying them survives a round trip (found by fuzz-parser: "&amp;" in an
 * attribute came back as "&#38;"). */
static void
test_parse_attribute_references (void)
{
  g_autoptr(WpiMessage) message = parse_ok (
    "<WorkpointMessage><Message nonce=\"n&amp;m\" fragment=\"&#38;x&#x26;\">"
    "<ReasonForContact status=\"a&amp;&amp;b &lt;&gt;&quot;&apos;\">start-up</ReasonForContact>"
    "<ItemList><Item name=\"a&amp;b\" type=\"&#38;#38;\">x&amp;y</Item>"
    "<Item name=\"  padded \" index=\" 7\"/></ItemList>"
    "</Message></WorkpointMessage>");
  const WpiItem *item = wpi_message_get_item (message, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) again = NULL;
  gsize length = 0;
  g_autofree char *xml = NULL;

  g_assert_cmpstr (wpi_message_get_nonce (message), ==, "n&m");
  g_assert_cmpstr (wpi_message_get_fragment_string (message), ==, "&x&");
  g_assert_cmpstr (wpi_message_get_status_string (message), ==, "a&&b <>\"'");
  g_assert_cmpstr (item->name, ==, "a&b");
  g_assert_cmpstr (item->type, ==, "&#38;");
  g_assert_cmpstr (item->value, ==, "x&y");
  g_assert_cmpstr (wpi_message_get_item (message, 1)->name, ==, "padded");
  g_assert_cmpint (wpi_message_get_item (message, 1)->index, ==, 7);

  xml = wpi_message_serialize (message, &length);
  again = wpi_message_parse (xml, length, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_message_equal (message, again));
}

static void
test_parse_pem_value (void)
{
  const char *pem = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nQUJD\n-----END CERTIFICATE-----\n";
  g_autofree char *xml = g_strdup_printf (
    "<DLSMessage><Message nonce=\"9E01\"><Action>WriteItems</Action><ItemList>"
    "<Item name=\"goto-secure-mode\">nopin</Item>"
    "<Item name=\"dls-server-ca\" index=\"0\">%s</Item>"
    "</ItemList></Message></DLSMessage>", pem);
  g_autoptr(WpiMessage) message = parse_ok (xml);

  g_assert_cmpstr (wpi_message_find_item (message, "dls-server-ca", 0)->value, ==, pem);
}

static WpiMessage *
build_message (WpiMessageKind kind)
{
  WpiMessage *message = wpi_message_new (kind, "3F2A9C0D5B7E41A6B8C9D0E1F2A3B4C5");
  WpiItem *item;

  if (kind == WPI_MESSAGE_KIND_WORKPOINT)
    {
      wpi_message_set_max_items (message, -1);
      wpi_message_set_fragment (message, WPI_FRAGMENT_FINAL);
      wpi_message_set_reason (message, WPI_REASON_REPLY_TO);
      wpi_message_set_action (message, WPI_ACTION_WRITE_ITEMS);
      wpi_message_set_status (message, WPI_MESSAGE_STATUS_ACCEPTED);
    }
  else
    wpi_message_set_action (message, WPI_ACTION_WRITE_ITEMS);

  wpi_message_add_item (message, "display-id", "A <b> & \"c\" 'd' ü € \U0001F4DE");
  wpi_message_add_item (message, "empty", "");
  wpi_message_add_item (message, "spaces", "  leading and trailing  ");
  wpi_message_add_item (message, "lines", "line one\r\nline two\nline three\r");
  wpi_message_add_indexed_item (message, "file-name", 0, "ring.wav");
  wpi_message_add_indexed_item (message, "file-name", 20, "moh.wav");
  item = wpi_message_add_item (message, "device-type", "OpenStage 60");
  if (kind == WPI_MESSAGE_KIND_WORKPOINT)
    wpi_item_set_status (item, "read only");
  item->type = g_strdup ("text");
  return message;
}

static void
assert_round_trip (WpiMessage *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) parsed = NULL;
  g_autofree char *xml = NULL;
  gsize length = 0;

  xml = wpi_message_serialize (message, &length);
  g_assert_cmpuint (length, ==, strlen (xml));
  g_assert_true (g_str_has_prefix (xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
  g_assert_nonnull (strstr (xml, "xmlns=\"" WPI_NAMESPACE "\""));

  parsed = wpi_message_parse (xml, length, &error);
  g_assert_no_error (error);
  if (!wpi_message_equal (message, parsed))
    g_error ("round trip changed the message:\n%s", xml);
}

static void
test_round_trip (void)
{
  g_autoptr(WpiMessage) phone = build_message (WPI_MESSAGE_KIND_WORKPOINT);
  g_autoptr(WpiMessage) service = build_message (WPI_MESSAGE_KIND_DLS);
  g_autoptr(WpiMessage) busy = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "1");
  g_autoptr(WpiMessage) clean_up = wpi_message_new (WPI_MESSAGE_KIND_DLS, "2");
  g_autoptr(WpiMessage) odd = wpi_message_new (WPI_MESSAGE_KIND_DLS, "3");
  g_autofree char *xml = NULL;

  assert_round_trip (phone);
  assert_round_trip (service);

  wpi_message_set_reason (busy, WPI_REASON_REPLY_TO);
  wpi_message_set_status_string (busy, "busy");
  wpi_message_set_action_string (busy, "WriteItems");
  assert_round_trip (busy);

  wpi_message_set_action (clean_up, WPI_ACTION_CLEAN_UP);
  wpi_message_set_has_item_list (clean_up, TRUE);
  assert_round_trip (clean_up);
  /* An empty ReadItems-style item keeps its explicit end tag */
  wpi_message_add_item (clean_up, "send-solicited", "");
  xml = wpi_message_serialize (clean_up, NULL);
  g_assert_nonnull (strstr (xml, "<Item name=\"send-solicited\"></Item>"));

  /* Values the guide does not name survive, as do service-side oddities */
  wpi_message_set_action_string (odd, "FutureAction");
  wpi_message_set_max_items (odd, 7);
  wpi_message_set_fragment_string (odd, "later");
  wpi_message_set_status_string (odd, "maybe");
  assert_round_trip (odd);
}

/* Random messages: whatever the model holds (valid XML characters), a round trip keeps. */
static void
test_round_trip_random (void)
{
  static const char alphabet[] = "aZ09 <>&\"'\n\r\t;:=/#-_.üß€";

  for (int n = 0; n < 200; n++)
    {
      g_autoptr(WpiMessage) message = NULL;
      g_autofree char *nonce = g_strdup_printf ("%08X%08X", g_test_rand_int (), g_test_rand_int ());
      int n_items = g_test_rand_int_range (0, 40);

      message = wpi_message_new (g_test_rand_bit () ? WPI_MESSAGE_KIND_DLS : WPI_MESSAGE_KIND_WORKPOINT,
                                 nonce);
      if (wpi_message_get_kind (message) == WPI_MESSAGE_KIND_WORKPOINT)
        wpi_message_set_reason (message, g_test_rand_int_range (WPI_REASON_START_UP, WPI_REASON_OTHER));
      wpi_message_set_action (message, g_test_rand_int_range (WPI_ACTION_READ_ALL_ITEMS, WPI_ACTION_OTHER));
      if (g_test_rand_bit ())
        wpi_message_set_max_items (message, g_test_rand_int_range (-1, 100));
      for (int i = 0; i < n_items; i++)
        {
          g_autoptr(GString) value = g_string_new (NULL);
          g_autofree char *name = g_strdup_printf ("item-%d", g_test_rand_int_range (0, 50));
          int length = g_test_rand_int_range (0, 30);

          for (int c = 0; c < length; c++)
            {
              /* pick a whole UTF-8 character from the alphabet */
              const char *p = g_utf8_offset_to_pointer (alphabet,
                                g_test_rand_int_range (0, g_utf8_strlen (alphabet, -1)));
              g_string_append_len (value, p, g_utf8_next_char (p) - p);
            }
          if (g_test_rand_bit ())
            wpi_message_add_indexed_item (message, name, g_test_rand_int_range (0, 5000), value->str);
          else
            wpi_message_add_item (message, name, value->str);
        }
      assert_round_trip (message);
    }
}

typedef struct {
  const char    *name;
  const char    *xml;
  WpiCodecError  code;
} HostileCase;

static const HostileCase hostile_cases[] = {
  { "billion-laughs",
    "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
    "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>&lol3;</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_DTD },
  { "external-entity",
    "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>&xxe;</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_DTD },
  { "external-dtd",
    "<!DOCTYPE WorkpointMessage SYSTEM \"http://127.0.0.1:1/x.dtd\"><WorkpointMessage/>",
    WPI_CODEC_ERROR_DTD },
  { "undefined-entity",
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>&boom;</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_ENTITY },
  { "invalid-utf8",
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>\xC3\x28</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_INVALID_UTF8 },
  { "overlong-utf8",
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>\xC0\xAF</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_INVALID_UTF8 },
  { "truncated",
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>start-up</Reason",
    WPI_CODEC_ERROR_MALFORMED },
  { "truncated-in-attribute",
    "<WorkpointMessage><Message nonce=\"1",
    WPI_CODEC_ERROR_MALFORMED },
  { "missing-nonce",
    "<WorkpointMessage><Message maxItems=\"-1\"><ReasonForContact>start-up</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_MISSING_NONCE },
  { "empty-nonce",
    "<WorkpointMessage><Message nonce=\"  \"><ReasonForContact>start-up</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_MISSING_NONCE },
  { "empty", "", WPI_CODEC_ERROR_EMPTY },
  { "white-space", " \n\t\r\n", WPI_CODEC_ERROR_EMPTY },
  { "wrong-root", "<html><body/></html>", WPI_CODEC_ERROR_WRONG_ROOT },
  { "no-message", "<DLSMessage><Action>CleanUp</Action></DLSMessage>", WPI_CODEC_ERROR_MISSING_ELEMENT },
  { "element-in-item",
    "<DLSMessage><Message nonce=\"1\"><Action>WriteItems</Action><ItemList><Item name=\"a\"><b/></Item></ItemList></Message></DLSMessage>",
    WPI_CODEC_ERROR_UNEXPECTED_CONTENT },
  { "two-actions",
    "<DLSMessage><Message nonce=\"1\"><Action>WriteItems</Action><Action>Restart</Action></Message></DLSMessage>",
    WPI_CODEC_ERROR_UNEXPECTED_CONTENT },
  { "bad-max-items",
    "<WorkpointMessage><Message nonce=\"1\" maxItems=\"many\"><ReasonForContact>start-up</ReasonForContact></Message></WorkpointMessage>",
    WPI_CODEC_ERROR_INVALID_ATTRIBUTE },
  { "bad-index",
    "<DLSMessage><Message nonce=\"1\"><Action>WriteItems</Action><ItemList><Item name=\"a\" index=\"1x\">v</Item></ItemList></Message></DLSMessage>",
    WPI_CODEC_ERROR_INVALID_ATTRIBUTE },
  { "nameless-item",
    "<DLSMessage><Message nonce=\"1\"><Action>WriteItems</Action><ItemList><Item>v</Item></ItemList></Message></DLSMessage>",
    WPI_CODEC_ERROR_INVALID_ATTRIBUTE },
};

static void
assert_rejected (const char    *name,
                 const char    *data,
                 gsize          length,
                 WpiCodecError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) message = NULL;
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;
  int line = 0, column = 0;

  message = wpi_message_parse (data, length, &error);
  elapsed = g_get_monotonic_time () - start;

  g_test_message ("%s: %s (%" G_GINT64_FORMAT " µs)", name, error ? error->message : "accepted", elapsed);
  g_assert_null (message);
  g_assert_error (error, WPI_CODEC_ERROR, (int) code);
  g_assert_cmpint (sscanf (error->message, "%d:%d: ", &line, &column), ==, 2);
  g_assert_cmpint (line, >=, 1);
  g_assert_cmpint (column, >=, 1);
  /* The issue's bound; every rejection here is a single pass or less over the input. */
  g_assert_cmpint (elapsed, <, 100 * G_TIME_SPAN_MILLISECOND);
}

static void
test_hostile_inline (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (hostile_cases); i++)
    assert_rejected (hostile_cases[i].name, hostile_cases[i].xml, strlen (hostile_cases[i].xml),
                     hostile_cases[i].code);
}

static void
test_hostile_nul_byte (void)
{
  static const char xml[] = "<WorkpointMessage><Message nonce=\"1\">\0<ReasonForContact/></Message></WorkpointMessage>";
  g_autoptr(GError) error = NULL;

  assert_rejected ("nul-byte", xml, sizeof xml - 1, WPI_CODEC_ERROR_INVALID_UTF8);
  g_assert_null (wpi_message_parse (xml, sizeof xml - 1, &error));
  g_assert_true (g_str_has_prefix (error->message, "1:38: NUL byte"));
}

static void
test_hostile_generated (void)
{
  gsize big = 50 * 1024 * 1024;
  g_autofree char *huge = g_malloc (big);
  g_autoptr(GString) deep = g_string_new ("<WorkpointMessage><Message nonce=\"1\">");
  g_autoptr(GString) many = g_string_new ("<DLSMessage><Message nonce=\"1\"><Action>WriteItems</Action><ItemList>");

  memset (huge, ' ', big);
  memcpy (huge, "<WorkpointMessage>", 18);
  assert_rejected ("50-MiB", huge, big, WPI_CODEC_ERROR_TOO_LARGE);

  for (int i = 0; i < 10000; i++)
    g_string_append (deep, "<a>");
  assert_rejected ("nesting-10000", deep->str, deep->len, WPI_CODEC_ERROR_TOO_DEEP);

  for (int i = 0; i <= WPI_MAX_ITEMS; i++)
    g_string_append (many, "<Item name=\"x\"/>");
  g_string_append (many, "</ItemList></Message></DLSMessage>");
  assert_rejected ("10001-items", many->str, many->len, WPI_CODEC_ERROR_TOO_MANY_ITEMS);
}

/* The corpus of tests/hostile/, listed in its MANIFEST (file TAB error code name). */
static void
test_hostile_corpus (void)
{
  g_autofree char *manifest_path = g_test_build_filename (G_TEST_DIST, "hostile", "MANIFEST", NULL);
  g_autofree char *manifest = NULL;
  g_auto(GStrv) lines = NULL;
  guint checked = 0;

  if (!g_file_get_contents (manifest_path, &manifest, NULL, NULL))
    {
      g_test_skip ("no tests/hostile/MANIFEST");
      return;
    }

  lines = g_strsplit (manifest, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", 3);
      g_autofree char *path = NULL;
      g_autofree char *data = NULL;
      gsize length;
      int code = -1;

      if (lines[i][0] == '#' || g_strv_length (fields) < 2 || g_str_has_prefix (fields[0], "@"))
        continue;
      for (int c = WPI_CODEC_ERROR_EMPTY; c <= WPI_CODEC_ERROR_CANNOT_FRAGMENT; c++)
        if (g_strcmp0 (wpi_codec_error_code_to_string (c), g_strstrip (fields[1])) == 0)
          code = c;
      g_assert_cmpint (code, >=, 0);

      path = g_test_build_filename (G_TEST_DIST, "hostile", fields[0], NULL);
      g_assert_true (g_file_get_contents (path, &data, &length, NULL));
      assert_rejected (fields[0], data, length, code);
      checked++;
    }
  g_assert_cmpuint (checked, >, 0);
}

static void
test_group_by_index (void)
{
  g_autoptr(WpiMessage) message = wpi_message_new (WPI_MESSAGE_KIND_DLS, "1");
  g_autoptr(GPtrArray) groups = NULL;
  WpiItemGroup *group;

  wpi_message_add_indexed_item (message, "file-name", 2, "b");
  wpi_message_add_item (message, "a", "1");
  wpi_message_add_indexed_item (message, "file-name", 1, "a");
  wpi_message_add_indexed_item (message, "file-type", 2, "LOGO");
  wpi_message_add_item (message, "b", "2");

  groups = wpi_message_group_by_index (message);
  g_assert_cmpuint (groups->len, ==, 3);
  group = g_ptr_array_index (groups, 0);
  g_assert_true (group->has_index);
  g_assert_cmpint (group->index, ==, 2);
  g_assert_cmpuint (group->items->len, ==, 2);
  group = g_ptr_array_index (groups, 1);
  g_assert_false (group->has_index);
  g_assert_cmpuint (group->items->len, ==, 2);
  group = g_ptr_array_index (groups, 2);
  g_assert_cmpint (group->index, ==, 1);
}

static guint
count_items (GPtrArray *fragments)
{
  guint n = 0;

  for (guint i = 0; i < fragments->len; i++)
    n += ((GPtrArray *) g_ptr_array_index (fragments, i))->len;
  return n;
}

/* The message's items in order, as wpi_items_split() takes them (the message owns them) */
static GPtrArray *
message_items (WpiMessage *message)
{
  GPtrArray *items = g_ptr_array_new ();

  for (guint i = 0; i < wpi_message_get_n_items (message); i++)
    g_ptr_array_add (items, (gpointer) wpi_message_get_item (message, i));
  return items;
}

/* items split by max_items into fragments that together hold n_items */
static GPtrArray *
split_items (GPtrArray *items,
             gint64     max_items,
             guint      n_items)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *fragments = wpi_items_split (items, max_items, WPI_MAX_MESSAGE_BYTES, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (count_items (fragments), ==, n_items);
  return fragments;
}

/* A group of items larger than max_items cannot be sent */
static void
assert_cannot_split (GPtrArray *items,
                     gint64     max_items)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *fragments = wpi_items_split (items, max_items, WPI_MAX_MESSAGE_BYTES, &error);

  g_assert_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_CANNOT_FRAGMENT);
  g_assert_null (fragments);
}

static void
test_split (void)
{
  g_autoptr(WpiMessage) message = wpi_message_new (WPI_MESSAGE_KIND_DLS, "1");
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) fragments = NULL;
  g_autofree char *big_value = g_strnfill (20000, 'x');

  for (int f = 1; f <= 3; f++)
    {
      wpi_message_add_indexed_item (message, "file-https-base-url", f, "https://127.0.0.1/x");
      wpi_message_add_indexed_item (message, "file-type", f, "LOGO");
      wpi_message_add_item (message, "unrelated", "1");
      wpi_message_add_indexed_item (message, "file-action", f, "deploy");
    }
  items = message_items (message);

  /* maxItems 5: each file's three items stay in one fragment */
  fragments = split_items (items, 5, 12);
  for (guint i = 0; i < fragments->len; i++)
    {
      GPtrArray *fragment = g_ptr_array_index (fragments, i);
      g_autoptr(GHashTable) files = g_hash_table_new (g_int64_hash, g_int64_equal);

      g_assert_cmpuint (fragment->len, <=, 5);
      for (guint j = 0; j < fragment->len; j++)
        {
          const WpiItem *item = g_ptr_array_index (fragment, j);
          if (item->has_index)
            g_hash_table_add (files, (gpointer) &item->index);
        }
      /* every file in this fragment is complete here */
      for (guint j = 0; j < items->len; j++)
        {
          const WpiItem *item = g_ptr_array_index (items, j);
          if (item->has_index && g_hash_table_contains (files, &item->index))
            g_assert_true (g_ptr_array_find (fragment, item, NULL));
        }
    }
  g_clear_pointer (&fragments, g_ptr_array_unref);

  /* unlimited: one fragment */
  fragments = split_items (items, -1, 12);
  g_assert_cmpuint (fragments->len, ==, 1);
  g_clear_pointer (&fragments, g_ptr_array_unref);

  /* a group larger than maxItems cannot be sent */
  assert_cannot_split (items, 2);

  /* byte budget: three 20 kB values need two or more messages of 50 kB */
  g_ptr_array_set_size (items, 0);
  {
    g_autoptr(WpiMessage) large = wpi_message_new (WPI_MESSAGE_KIND_DLS, "1");

    for (int i = 0; i < 3; i++)
      g_ptr_array_add (items, wpi_message_add_item (large, "logo-data", big_value));
    fragments = split_items (items, -1, 3);
    g_assert_cmpuint (fragments->len, ==, 2);
    for (guint i = 0; i < fragments->len; i++)
      {
        GPtrArray *fragment = g_ptr_array_index (fragments, i);
        g_autoptr(WpiMessage) part = wpi_message_new (WPI_MESSAGE_KIND_DLS, "0123456789ABCDEF0123456789ABCDEF");
        gsize length = 0;
        g_autofree char *xml = NULL;

        wpi_message_set_action (part, WPI_ACTION_WRITE_ITEMS);
        for (guint j = 0; j < fragment->len; j++)
          wpi_message_take_item (part, wpi_item_copy (g_ptr_array_index (fragment, j)));
        xml = wpi_message_serialize (part, &length);
        g_assert_cmpuint (length, <=, WPI_MAX_MESSAGE_BYTES);
      }
  }
}

static void
test_split_bootstrap_set (void)
{
  g_autoptr(WpiMessage) message = wpi_message_new (WPI_MESSAGE_KIND_DLS, "1");
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) fragments = NULL;

  /* two plain items, then the five of the bootstrap set (index -1: none) */
  static const struct {
    const char *name;
    int         index;
    const char *value;
  } set[] = {
    { "e164", -1, "100" },
    { "goto-secure-mode", -1, "nopin" },
    { "dls-client-certificate", -1, "MIIB" },
    { "reg-addr", -1, "127.0.0.1" },
    { "dls-server-ca", 0, "PEM0" },
    { "dls-server-ca", 1, "PEM1" },
    { "dls-secure-port", -1, "18444" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (set); i++)
    {
      if (set[i].index < 0)
        wpi_message_add_item (message, set[i].name, set[i].value);
      else
        wpi_message_add_indexed_item (message, set[i].name, set[i].index, set[i].value);
    }
  items = message_items (message);
  fragments = split_items (items, 5, 7);
  for (guint i = 0; i < fragments->len; i++)
    {
      GPtrArray *fragment = g_ptr_array_index (fragments, i);
      guint bootstrap = 0;

      for (guint j = 0; j < fragment->len; j++)
        if (wpi_item_is_bootstrap (((const WpiItem *) g_ptr_array_index (fragment, j))->name))
          bootstrap++;
      g_assert_true (bootstrap == 0 || bootstrap == 5);
    }
  g_clear_pointer (&fragments, g_ptr_array_unref);

  assert_cannot_split (items, 4);
}

static gboolean
warnings_mention (char **warnings,
                  const char *needle)
{
  for (guint i = 0; warnings[i] != NULL; i++)
    if (strstr (warnings[i], needle) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_rules (void)
{
  g_autoptr(WpiMessage) reply = parse_ok (
    "<WorkpointMessage><Message nonce=\"1\"><ReasonForContact>reply-to</ReasonForContact></Message></WorkpointMessage>");
  g_autoptr(WpiMessage) no_action = parse_ok (
    "<DLSMessage><Message nonce=\"1\"><ItemList><Item name=\"a\" status=\"failed\"/></ItemList></Message></DLSMessage>");
  g_autoptr(WpiMessage) good = build_message (WPI_MESSAGE_KIND_WORKPOINT);
  g_auto(GStrv) reply_warnings = wpi_message_check_rules (reply);
  g_auto(GStrv) no_action_warnings = wpi_message_check_rules (no_action);
  g_auto(GStrv) good_warnings = wpi_message_check_rules (good);

  g_assert_true (warnings_mention (reply_warnings, "without an action"));
  g_assert_true (warnings_mention (reply_warnings, "without a status"));
  g_assert_true (warnings_mention (no_action_warnings, "R10"));
  g_assert_true (warnings_mention (no_action_warnings, "R12"));
  g_assert_cmpuint (g_strv_length (good_warnings), ==, 0);
}

static void
test_http_head (void)
{
  const char *request =
    "POST /DeploymentService/LoginService HTTP/1.1\r\n"
    "Host: 127.0.0.1:18443\r\n"
    "Content-Type: text/xml\r\n"
    "\r\n"
    "<WorkpointMessage>";
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiHttpHead) head = wpi_http_head_parse (request, strlen (request), &error);
  g_autoptr(WpiHttpHead) none = wpi_http_head_parse ("<DLSMessage/>", 13, &error);
  g_autoptr(WpiHttpHead) cut = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (head);
  g_assert_null (none);
  g_assert_cmpstr (head->start_line, ==, "POST /DeploymentService/LoginService HTTP/1.1");
  g_assert_cmpuint (head->headers->len, ==, 2);
  g_assert_cmpstr (request + head->body_offset, ==, "<WorkpointMessage>");
  g_assert_cmpint (head->body_line, ==, 5);

  cut = wpi_http_head_parse ("HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n", 41, &error);
  g_assert_null (cut);
  g_assert_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_MALFORMED);
}

/* wpi_message_to_json() writes the JSON itself (no tree); json-glib's generator over
 * wpi_message_to_json_node() is the reference, byte for byte: every ASCII byte but 0x1F
 * (which json-glib leaves raw, not JSON), UTF-8 of two to four bytes, integers at their
 * limits, absent members. */
static void
test_json_stream (void)
{
  static const gint64 indexes[] = { 0, 1, -1, 1301, G_MININT64, G_MAXINT64 };
  static const char * const values[] = {
    "", "plain", "quote \" backslash \\ slash /", "tab\tnew line\ncarriage return\r",
    "M\xc3\xbcller \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8", "\x7f",
  };
  g_autoptr(WpiMessage) full = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, "AB\"12");
  g_autoptr(WpiMessage) bare = wpi_message_new (WPI_MESSAGE_KIND_DLS, NULL);
  WpiMessage *messages[] = { full, bare };
  WpiItem *with_status = wpi_item_new ("with-status", "v");
  GString *ascii = g_string_new (NULL);

  for (int c = 0x01; c < 0x80; c++)
    if (c != 0x1f)
      g_string_append_c (ascii, (char) c);
  wpi_message_set_max_items (full, G_MININT64);
  wpi_message_set_fragment (full, WPI_FRAGMENT_NEXT);
  wpi_message_set_reason_string (full, "reply-to");
  wpi_message_set_action_string (full, "Read\\AllItems");
  wpi_message_set_status_string (full, "accepted\n");
  wpi_message_add_item (full, "every-ascii-byte", ascii->str);
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    wpi_message_add_indexed_item (full, "value", indexes[i % G_N_ELEMENTS (indexes)], values[i]);
  wpi_item_set_status (with_status, "failed");
  wpi_message_take_item (full, with_status);
  g_string_free (ascii, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(JsonNode) node = wpi_message_to_json_node (messages[i]);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *reference = NULL;
      g_autofree char *streamed = wpi_message_to_json (messages[i]);

      json_generator_set_root (generator, node);
      reference = json_generator_to_data (generator, NULL);
      g_assert_cmpstr (streamed, ==, reference);
    }

  /* 0x1F escaped, unlike json-glib */
  {
    g_autoptr(WpiMessage) unit_separator = wpi_message_new (WPI_MESSAGE_KIND_DLS, "\x1f");
    g_autofree char *json = wpi_message_to_json (unit_separator);

    g_assert_nonnull (strstr (json, "\"nonce\":\"\\u001f\""));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/codec/parse/start-up", test_parse_start_up);
  g_test_add_func ("/codec/parse/busy-reply", test_parse_busy_reply);
  g_test_add_func ("/codec/parse/tolerant", test_parse_tolerant);
  g_test_add_func ("/codec/parse/attribute-references", test_parse_attribute_references);
  g_test_add_func ("/codec/parse/pem-value", test_parse_pem_value);
  g_test_add_func ("/codec/round-trip/fixed", test_round_trip);
  g_test_add_func ("/codec/round-trip/random", test_round_trip_random);
  g_test_add_func ("/codec/hostile/inline", test_hostile_inline);
  g_test_add_func ("/codec/hostile/nul-byte", test_hostile_nul_byte);
  g_test_add_func ("/codec/hostile/generated", test_hostile_generated);
  g_test_add_func ("/codec/hostile/corpus", test_hostile_corpus);
  g_test_add_func ("/codec/fragment/group-by-index", test_group_by_index);
  g_test_add_func ("/codec/fragment/split", test_split);
  g_test_add_func ("/codec/fragment/bootstrap-set", test_split_bootstrap_set);
  g_test_add_func ("/codec/rules", test_rules);
  g_test_add_func ("/codec/http-head", test_http_head);
  g_test_add_func ("/codec/json-stream", test_json_stream);

  return g_test_run ();
}
