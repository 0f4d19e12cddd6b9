/* test-filter.c: the display filter language (WpiFilter) and the filtered traffic list
 * (WpiTrafficFilterModel) */
#include "config.h"

#include <glib/gstdio.h>

#include "wpi-codec.h"
#include "wpi-filter.h"
#include "wpi-traffic-filter-model-private.h"
#include "test-util-store.h"

#define WAIT_TIMEOUT_MS 30000

/* ---- Parser --------------------------------------------------------------------- */

static void
test_parse_valid (void)
{
  static const char * const valid[] = {
    "mac == 00:1A:E8:12:34:56 and (status == busy or item.sip-transport-user == 2)",
    "MAC == 001ae8123456",
    "mac contains 1a:e8",
    "not error",
    "!error && dir == in",
    "dir == OUT || port == 18443",
    "reason contains start",
    "nonce ~ \"^[0-9A-F]+$\"",
    "nonce matches '\\d+'",
    "item",
    "item.e164",
    "item == sip-transport-user",
    "e164 == '+49 89 7001'",
    "ip == 127.0.0.1 and port != 18444",
    "ip == ::1",
    "error == malformed or error contains \"nonce\"",
    "flow == \"a b\\\"c\"",
    "((status == busy))",
    "not not status",
    "status == busy AND NOT reason == start-up",
    "action",
    "status == and",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiFilter) filter = wpi_filter_parse (valid[i], WPI_FILTER_FLAGS_NONE, NULL, &error);

      g_test_message ("%s", valid[i]);
      g_assert_no_error (error);
      g_assert_nonnull (filter);
      g_assert_cmpstr (wpi_filter_get_text (filter), ==, valid[i]);
    }
}

static void
test_parse_invalid (void)
{
  static const struct {
    const char *text;
    int         code;
    guint       position;
    const char *message;
  } invalid[] = {
    { "stat == busy", WPI_FILTER_ERROR_UNKNOWN_FIELD, 1,
      "unknown field “stat” at 1 (did you mean “status”?)" },
    { "status == busy or colour == red", WPI_FILTER_ERROR_UNKNOWN_FIELD, 19, "unknown field “colour” at 19" },
    { "(status == busy", WPI_FILTER_ERROR_UNBALANCED, 1, "unbalanced parenthesis: “(” at 1 is not closed" },
    { "dir == in and ((status == busy)", WPI_FILTER_ERROR_UNBALANCED, 15,
      "unbalanced parenthesis: “(” at 15 is not closed" },
    { "status == busy)", WPI_FILTER_ERROR_UNBALANCED, 15, "unbalanced parenthesis: “)” at 15 has no “(”" },
    { ")", WPI_FILTER_ERROR_UNBALANCED, 1, "unbalanced parenthesis: “)” at 1 has no “(”" },
    { "status ==", WPI_FILTER_ERROR_SYNTAX, 10,
      "expected a value after “==” at 10, found the end of the filter" },
    { "status == )", WPI_FILTER_ERROR_SYNTAX, 11, "expected a value after “==” at 11, found “)”" },
    { "status = busy", WPI_FILTER_ERROR_SYNTAX, 8, "“=” at 8 is not an operator; write “==”" },
    { "status == busy & dir == in", WPI_FILTER_ERROR_SYNTAX, 16, "“&” at 16 is not an operator; write “and”" },
    { "nonce ~ \"[0-9\"", WPI_FILTER_ERROR_INVALID_REGEX, 9, "invalid regular expression at 9: " },
    { "mac == 00:1A", WPI_FILTER_ERROR_INVALID_VALUE, 8, "“00:1A” at 8 is not a MAC address" },
    { "mac contains xyz", WPI_FILTER_ERROR_INVALID_VALUE, 14, "“xyz” at 14 is not part of a MAC address" },
    { "dir == sideways", WPI_FILTER_ERROR_INVALID_VALUE, 8,
      "“sideways” at 8 is not a direction: write “in” or “out”" },
    { "port == https", WPI_FILTER_ERROR_INVALID_VALUE, 9, "“https” at 9 is not a port number" },
    { "port == 70000", WPI_FILTER_ERROR_INVALID_VALUE, 9, "“70000” at 9 is not a port number" },
    { "", WPI_FILTER_ERROR_EMPTY, 1, "the filter is empty" },
    { "   ", WPI_FILTER_ERROR_EMPTY, 1, "the filter is empty" },
    { "status == busy and", WPI_FILTER_ERROR_SYNTAX, 19, "expected a field at 19, found the end of the filter" },
    { "status busy", WPI_FILTER_ERROR_SYNTAX, 8,
      "unexpected “busy” at 8: expected an operator (==, !=, contains, ~), “and” or “or”" },
    { "status == busy dir == in", WPI_FILTER_ERROR_SYNTAX, 16,
      "unexpected “dir” at 16: expected “and”, “or” or the end of the filter" },
    { "(status == busy dir)", WPI_FILTER_ERROR_SYNTAX, 17, "unexpected “dir” at 17: expected “and”, “or” or “)”" },
    { "()", WPI_FILTER_ERROR_SYNTAX, 2, "expected a field at 2, found “)”" },
    { "== busy", WPI_FILTER_ERROR_SYNTAX, 1, "expected a field at 1, found “==”" },
    { "item.", WPI_FILTER_ERROR_SYNTAX, 1, "an item name must follow “item.” at 1" },
    { "nonce == \"abc", WPI_FILTER_ERROR_SYNTAX, 10, "the string that starts at 10 has no closing quote" },
    { "status ~", WPI_FILTER_ERROR_SYNTAX, 9, "expected a value after “~” at 9, found the end of the filter" },
    /* Positions count characters, not bytes */
    { "status == \"für\" and größe", WPI_FILTER_ERROR_UNKNOWN_FIELD, 21, "unknown field “größe” at 21" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiFilter) filter = NULL;
      guint position = 0;

      g_test_message ("%s", invalid[i].text);
      filter = wpi_filter_parse (invalid[i].text, WPI_FILTER_FLAGS_NONE, &position, &error);
      g_assert_null (filter);
      g_assert_error (error, WPI_FILTER_ERROR, invalid[i].code);
      g_assert_cmpuint (position, ==, invalid[i].position);
      g_assert_true (g_str_has_prefix (error->message, invalid[i].message));
    }

  /* Deep nesting is refused, not recursed into */
  {
    g_autoptr(GString) deep = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    guint position = 0;

    for (guint i = 0; i < 1000; i++)
      g_string_append_c (deep, '(');
    g_string_append (deep, "status");
    for (guint i = 0; i < 1000; i++)
      g_string_append_c (deep, ')');
    g_assert_null (wpi_filter_parse (deep->str, WPI_FILTER_FLAGS_NONE, &position, &error));
    g_assert_error (error, WPI_FILTER_ERROR, WPI_FILTER_ERROR_SYNTAX);
    g_assert_cmpuint (position, ==, 65);
  }

  /* Not UTF-8 */
  {
    g_autoptr(GError) error = NULL;
    guint position = 0;

    g_assert_null (wpi_filter_parse ("status == \xff", WPI_FILTER_FLAGS_NONE, &position, &error));
    g_assert_error (error, WPI_FILTER_ERROR, WPI_FILTER_ERROR_SYNTAX);
    g_assert_cmpuint (position, ==, 11);
  }
}

static void
test_parse_properties (void)
{
  static const struct {
    const char *text;
    gboolean    needs_body;
    int         hint;  /* -1: none */
    const char *hint_value;
  } cases[] = {
    { "status == busy", FALSE, -1, NULL },
    { "mac == 001ae8123456", FALSE, WPI_FILTER_FIELD_MAC, "00:1A:E8:12:34:56" },
    { "mac == 00:1A:E8:12:34:56 and (status == busy or item.sip-transport-user == 2)", TRUE,
      WPI_FILTER_FIELD_MAC, "00:1A:E8:12:34:56" },
    { "dir == in and flow == abc and status", FALSE, WPI_FILTER_FIELD_FLOW, "abc" },
    { "flow == abc or status == busy", FALSE, -1, NULL },
    { "not flow == abc", FALSE, -1, NULL },
    { "flow != abc", FALSE, -1, NULL },
    { "e164", TRUE, -1, NULL },
    { "item", TRUE, -1, NULL },
    { "not item.x", TRUE, -1, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WpiFilter) filter = wpi_filter_parse (cases[i].text, WPI_FILTER_FLAGS_NONE, NULL, NULL);
      WpiFilterField field;
      const char *value = NULL;

      g_test_message ("%s", cases[i].text);
      g_assert_nonnull (filter);
      g_assert_cmpint (wpi_filter_needs_body (filter), ==, cases[i].needs_body);
      if (cases[i].hint < 0)
        g_assert_false (wpi_filter_get_index_hint (filter, &field, &value));
      else
        {
          g_assert_true (wpi_filter_get_index_hint (filter, &field, &value));
          g_assert_cmpint (field, ==, cases[i].hint);
          g_assert_cmpstr (value, ==, cases[i].hint_value);
        }
    }
}

/* ---- Evaluation on records in memory ------------------------------------------------- */

/* The phone's start-up (items e164, user-pwd, ...), a busy reply, an unparseable body,
 * a service message with sip-transport-user = 2, a refused message. */
static const struct {
  gint64             id;
  WpiTrafficDirection direction;
  guint              port;
  WpiPhoneMode       mode;
  const char        *peer;
  const char        *mac;
  const char        *flow_id;
  const char        *root;
  const char        *nonce;
  const char        *reason;
  const char        *action;
  const char        *status;
  int                item_count;
  int                error_code;
  const char        *error_text;
  const char        *fixture;   /* the body from tests/fixtures, or */
  const char        *body;      /* this one */
} samples[] = {
  { 1, WPI_TRAFFIC_DIRECTION_IN, 18443, WPI_PHONE_MODE_DEFAULT, "192.168.10.41:50123", "00:1A:E8:3C:52:71",
    "flow-a", "WorkpointMessage", "B7FFE4F479F30D2120FB74E9E5233172", "start-up", NULL, NULL, 17, 0, NULL,
    "01-startup-01-phone-start-up.xml", NULL },
  { 2, WPI_TRAFFIC_DIRECTION_IN, 18443, WPI_PHONE_MODE_DEFAULT, "192.168.10.41:50123", "00:1A:E8:12:34:56",
    "flow-b", "WorkpointMessage", "0123", "reply-to", "WriteItems", "Busy", 0, 0, NULL,
    "15-busy-05-phone-reply-busy.xml", NULL },
  { 3, WPI_TRAFFIC_DIRECTION_IN, 18444, WPI_PHONE_MODE_SECURE, "::1:4000", NULL,
    NULL, NULL, NULL, NULL, NULL, NULL, -1, WPI_CODEC_ERROR_MALFORMED, "1:27: malformed XML",
    NULL, "<WorkpointMessage><Message" },
  { 4, WPI_TRAFFIC_DIRECTION_OUT, 18443, WPI_PHONE_MODE_DEFAULT, "192.168.10.42:50200", "00:1A:E8:12:34:56",
    "flow-b", "DLSMessage", "0123", NULL, "WriteItems", NULL, 1, 0, NULL,
    NULL, "<DLSMessage><Message nonce=\"0123\"><Action>WriteItems</Action><ItemList>"
          "<Item name=\"sip-transport-user\">2</Item></ItemList></Message></DLSMessage>" },
  { 5, WPI_TRAFFIC_DIRECTION_IN, 18443, WPI_PHONE_MODE_DEFAULT, "10.1.1.1:4000", "00:1A:E8:00:00:05",
    NULL, "WorkpointMessage", "FFFF", "solicited", NULL, NULL, 3, -1,
    "00:1A:E8:00:00:05 is in Secure Mode but contacted the default port",
    NULL, "x" },
};

static GPtrArray *
sample_records (void)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_traffic_record_free);

  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      WpiTrafficRecord *r = wpi_traffic_record_new ();

      r->id = samples[i].id;
      r->direction = samples[i].direction;
      r->port = samples[i].port;
      r->mode = samples[i].mode;
      r->peer = g_strdup (samples[i].peer);
      r->mac = g_strdup (samples[i].mac);
      r->flow_id = g_strdup (samples[i].flow_id);
      r->root = g_strdup (samples[i].root);
      r->nonce = g_strdup (samples[i].nonce);
      r->reason = g_strdup (samples[i].reason);
      r->action = g_strdup (samples[i].action);
      r->status = g_strdup (samples[i].status);
      r->item_count = samples[i].item_count;
      r->error_code = samples[i].error_code;
      r->error_text = g_strdup (samples[i].error_text);
      if (samples[i].fixture != NULL)
        r->body = test_util_read_fixture (samples[i].fixture);
      else
        r->body = g_bytes_new_static (samples[i].body, strlen (samples[i].body));
      g_ptr_array_add (records, r);
    }
  return records;
}

typedef struct {
  guint       calls;
  WpiMessage *message;
} Bodies;

static WpiMessage *
parse_body (const WpiTrafficRecord *record,
            gpointer                user_data)
{
  Bodies *bodies = user_data;

  bodies->calls++;
  g_clear_object (&bodies->message);
  bodies->message = wpi_message_parse (g_bytes_get_data (record->body, NULL),
                                       g_bytes_get_size (record->body), NULL);
  return bodies->message;
}

/* The item index the service would have logged with the record (D28), or NULL */
static GBytes *
index_of (const WpiTrafficRecord *record)
{
  g_autoptr(WpiMessage) message = NULL;

  if (record->error_text != NULL || record->body == NULL)
    return NULL;
  message = wpi_message_parse (g_bytes_get_data (record->body, NULL), g_bytes_get_size (record->body), NULL);
  return message != NULL ? wpi_traffic_item_index_new (message) : NULL;
}

/* Which of the sample records match, as a string of ids ("124"): decoding the bodies,
 * and from the item index (D28), which must agree and decode nothing. */
static char *
matching (const char     *text,
          WpiFilterFlags  flags,
          guint          *body_calls)
{
  g_autoptr(GPtrArray) records = sample_records ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiFilter) filter = wpi_filter_parse (text, flags, NULL, &error);
  GString *ids = g_string_new (NULL);
  g_autoptr(GString) indexed_ids = g_string_new (NULL);
  Bodies bodies = { 0 };
  Bodies indexed_bodies = { 0 };

  g_assert_no_error (error);
  for (guint i = 0; i < records->len; i++)
    {
      const WpiTrafficRecord *record = g_ptr_array_index (records, i);
      g_autoptr(GBytes) index = index_of (record);

      if (wpi_filter_match_record (filter, record, parse_body, &bodies))
        g_string_append_printf (ids, "%" G_GINT64_FORMAT, record->id);
      if (wpi_filter_match_indexed (filter, record, index ? g_bytes_get_data (index, NULL) : NULL,
                                    index ? g_bytes_get_size (index) : 0, parse_body, &indexed_bodies))
        g_string_append_printf (indexed_ids, "%" G_GINT64_FORMAT, record->id);
    }
  g_clear_object (&bodies.message);
  g_clear_object (&indexed_bodies.message);
  g_assert_cmpstr (indexed_ids->str, ==, ids->str);
  g_assert_cmpuint (indexed_bodies.calls, ==, 0);
  if (body_calls != NULL)
    *body_calls = bodies.calls;
  return g_string_free (ids, FALSE);
}

static void
test_evaluate_records (void)
{
  static const struct { const char *text; const char *ids; } cases[] = {
    /* the example */
    { "mac == 00:1A:E8:12:34:56 and (status == busy or item.sip-transport-user == 2)", "24" },
    { "mac == 00-1a-e8-12-34-56", "24" },
    { "mac != 00:1A:E8:12:34:56", "135" },
    { "mac", "1245" },
    { "not mac", "3" },
    { "mac contains 3c52", "1" },
    { "mac contains 3C:52:7", "1" },
    { "mac ~ \"^00:1a:e8:12\"", "24" },
    { "status == busy", "2" },
    { "status == BUSY", "2" },
    { "status ~ ^bu", "2" },
    { "status", "2" },
    { "reason == start-up", "1" },
    { "reason contains REPLY", "2" },
    { "action == writeitems", "24" },
    { "dir == in", "1235" },
    { "dir == OUT", "4" },
    { "port == 18444", "3" },
    { "port != 18444", "1245" },
    { "port contains 444", "3" },
    { "ip == 192.168.10.41", "12" },
    { "ip contains 192.168.10.", "124" },
    { "ip == ::1", "3" },
    { "ip == 0:0::1", "3" },
    { "nonce == 0123", "24" },
    { "nonce ~ '^[0-9]+$'", "24" },
    { "flow == flow-b", "24" },
    { "flow", "124" },
    { "error", "35" },
    { "error == malformed", "3" },
    { "error == REFUSED", "5" },
    { "error contains \"Secure Mode\"", "5" },
    { "error == \"1:27: malformed XML\"", "3" },
    { "e164 == 4989700141", "1" },
    { "e164", "1" },
    { "item", "14" },
    { "item == user-pwd", "1" },
    { "item contains transport", "4" },
    { "item ~ '^mac-'", "1" },
    { "not item", "235" },
    { "item.e164", "1" },
    { "item.sip-transport-user == 2", "4" },
    /* the catalogue's meaning of the value */
    { "item.sip-transport-user == tls", "4" },
    { "item.sip-transport-user != TLS", "1235" },
    { "item.device-type contains Stage", "1" },
    { "item.user-pwd-unicode", "1" },
    /* a secret is there, but its value cannot be probed */
    { "item.user-pwd", "1" },
    { "item.user-pwd == \"Tür&Tor<7\"", "" },
    { "item.user-pwd contains T", "" },
    { "item.user-pwd ~ .", "" },
    { "status == busy or dir == out", "24" },
    { "not (status == busy or dir == out)", "135" },
    { "! status && ! error", "14" },
    { "dir == in and not error or dir == out", "124" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ids = NULL;

      g_test_message ("%s", cases[i].text);
      ids = matching (cases[i].text, WPI_FILTER_FLAGS_NONE, NULL);
      g_assert_cmpstr (ids, ==, cases[i].ids);
    }

  /* Secrets match when the caller may see them */
  {
    g_autofree char *ids = matching ("item.user-pwd == \"Tür&Tor<7\"", WPI_FILTER_MATCH_SECRETS, NULL);
    g_assert_cmpstr (ids, ==, "1");
  }
}

/* Only item fields read bodies, and only of records that can have items. */
static void
test_evaluate_lazily (void)
{
  static const struct { const char *text; guint calls; } cases[] = {
    { "mac == 00:1A:E8:12:34:56 or status or error or dir == in or port == 1 or ip contains 1", 0 },
    { "nonce ~ . and reason and action and flow", 0 },
    /* records 1 and 4 have items; 2 has none, 3 and 5 were refused */
    { "item", 2 },
    { "e164 == 1", 2 },
    /* the cheap side first, whatever the order written */
    { "item.e164 and status == busy", 0 },
    { "item.e164 and dir == out", 1 },
    { "item.e164 or dir == in", 1 },
    /* one body read per record, however many item fields */
    { "item.a or item.b or item.c or e164", 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *ids = NULL;
      guint calls = 0;

      g_test_message ("%s", cases[i].text);
      ids = matching (cases[i].text, WPI_FILTER_FLAGS_NONE, &calls);
      g_assert_cmpuint (calls, ==, cases[i].calls);
    }
}

/* An index without a long value (a certificate) is incomplete: the body answers */
static void
test_evaluate_incomplete_index (void)
{
  g_autoptr(WpiMessage) message = wpi_message_new (WPI_MESSAGE_KIND_DLS, "0123");
  g_autofree char *long_value = g_strnfill (WPI_TRAFFIC_INDEX_VALUE_MAX + 1, 'A');
  g_autoptr(GBytes) index = NULL;
  g_autoptr(WpiTrafficRecord) record = wpi_traffic_record_new ();
  g_autoptr(WpiFilter) filter = wpi_filter_parse ("item.dls-chunk ~ 'A{257}'", WPI_FILTER_FLAGS_NONE, NULL, NULL);
  g_autoptr(WpiFilter) names = wpi_filter_parse ("item == dls-chunk", WPI_FILTER_FLAGS_NONE, NULL, NULL);
  g_autofree char *xml = NULL;
  const char *name, *value;
  gsize length = 0, offset = 0;
  Bodies bodies = { 0 };

  wpi_message_set_action (message, WPI_ACTION_WRITE_ITEMS);
  wpi_message_add_item (message, "dls-chunk", long_value);
  wpi_message_add_item (message, "e164", "4989700141");
  index = wpi_traffic_item_index_new (message);
  g_assert_true (wpi_traffic_item_index_is_valid (g_bytes_get_data (index, NULL), g_bytes_get_size (index)));
  g_assert_false (wpi_traffic_item_index_is_complete (g_bytes_get_data (index, NULL), g_bytes_get_size (index)));
  /* the names stay, the long value does not */
  g_assert_true (wpi_traffic_item_index_next (g_bytes_get_data (index, NULL), g_bytes_get_size (index), &offset,
                                              &name, &value));
  g_assert_cmpstr (name, ==, "dls-chunk");
  g_assert_cmpstr (value, ==, "");

  xml = wpi_message_serialize (message, &length);
  record->item_count = 2;
  record->body = g_bytes_new (xml, length);
  g_assert_true (wpi_filter_match_indexed (filter, record, g_bytes_get_data (index, NULL), g_bytes_get_size (index),
                                           parse_body, &bodies));
  g_assert_true (wpi_filter_match_indexed (names, record, g_bytes_get_data (index, NULL), g_bytes_get_size (index),
                                           parse_body, &bodies));
  g_assert_cmpuint (bodies.calls, ==, 2);
  g_clear_object (&bodies.message);
}

/* What the store takes as an item index and what it refuses */
static void
test_item_index_validity (void)
{
  /* the bytes as written, without the literal's own NUL */
#define BYTES(literal) literal, sizeof (literal) - 1
  static const struct { const char *bytes; gsize size; gboolean valid; } cases[] = {
    { BYTES ("C"), TRUE },
    { BYTES ("Ce164\0" "49\0"), TRUE },
    { BYTES ("Pa\0\0b\0\0"), TRUE },
    { BYTES (""), FALSE },
    { BYTES ("X"), FALSE },
    { BYTES ("Ce164\0"), FALSE },          /* a name without a value */
    { BYTES ("Ce164\0" "49"), FALSE },     /* not ended */
    { BYTES ("Ce1\xff\0" "4\0"), FALSE }, /* not UTF-8 */
  };
#undef BYTES

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (wpi_traffic_item_index_is_valid ((const guint8 *) cases[i].bytes, cases[i].size), ==,
                       cases[i].valid);
    }
}

static void
test_error_code_names (void)
{
  g_assert_cmpstr (wpi_filter_error_code_name (WPI_CODEC_ERROR_MALFORMED), ==, "malformed");
  g_assert_cmpstr (wpi_filter_error_code_name (WPI_CODEC_ERROR_TOO_LARGE), ==, "too-large");
  g_assert_cmpstr (wpi_filter_error_code_name (WPI_CODEC_ERROR_CANNOT_FRAGMENT), ==, "cannot-fragment");
  g_assert_cmpstr (wpi_filter_error_code_name (-1), ==, "refused");
  g_assert_null (wpi_filter_error_code_name (1000));
}

/* ---- With a store --------------------------------------------------------------------- */

typedef TestUtilStore Fixture;   /* the store in a temporary directory */

/* The records logged as the service logs them */
static void
log_records (WpiStore  *store,
             GPtrArray *records)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < records->len; i++)
    g_assert_true (wpi_store_traffic_append (store, g_ptr_array_index (records, i), NULL, &error));
  g_assert_no_error (error);
}

static void
test_evaluate_entries (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) records = sample_records ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiFilter) filter =
    wpi_filter_parse ("mac == 00:1A:E8:12:34:56 and (status == busy or item.sip-transport-user == 2)"
                      " or e164 == 4989700141", WPI_FILTER_FLAGS_NONE, NULL, &error);
  g_autoptr(WpiTrafficModel) model = NULL;
  GString *ids = g_string_new (NULL);
  g_autofree char *result = NULL;

  g_assert_no_error (error);
  log_records (fixture->store, records);
  model = wpi_traffic_model_new (fixture->store, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (model)); i++)
    {
      g_autoptr(WpiTrafficEntry) entry = g_list_model_get_item (G_LIST_MODEL (model), i);

      /* The list's entries carry no body: it is read from the store when needed */
      g_assert_null (wpi_traffic_entry_get_record (entry)->body);
      if (wpi_filter_match_entry (filter, entry, fixture->store))
        g_string_append_printf (ids, "%" G_GINT64_FORMAT, wpi_traffic_entry_get_id (entry));
    }
  result = g_string_free (ids, FALSE);
  g_assert_cmpstr (result, ==, "124");

  /* The parsed body stays with the entry: the second look needs no store */
  {
    g_autoptr(WpiTrafficEntry) entry = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_autoptr(WpiFilter) e164 = wpi_filter_parse ("e164", WPI_FILTER_FLAGS_NONE, NULL, NULL);

    g_assert_true (wpi_filter_match_entry (e164, entry, fixture->store));
    g_assert_true (wpi_filter_match_entry (e164, entry, NULL));
  }
}

/* ---- WpiTrafficFilterModel -------------------------------------------------------------- */

/* Message i: phone i % 50, status busy for every seventh, an item "probe" = i % 100 */
static WpiTrafficRecord *
make_record (guint i)
{
  WpiTrafficRecord *record = test_util_traffic_record_new (i, 1000);
  g_autofree char *body = NULL;

  record->peer = g_strdup_printf ("10.0.0.%u:5060", i % 50);
  record->mac = g_strdup_printf ("00:1A:E8:00:00:%02X", i % 50);
  record->flow_id = g_strdup_printf ("flow-%u", i / 4);
  record->root = g_strdup ("WorkpointMessage");
  record->nonce = g_strdup_printf ("%08X", i);
  record->reason = g_strdup ("reply-to");
  record->status = g_strdup (i % 7 == 0 ? "busy" : "accepted");
  record->item_count = 1;
  body = g_strdup_printf ("<WorkpointMessage><Message nonce=\"%08X\"><ReasonForContact>reply-to"
                          "</ReasonForContact><ItemList><Item name=\"probe\">%u</Item></ItemList>"
                          "</Message></WorkpointMessage>", i, i % 100);
  record->body = g_bytes_new (body, strlen (body));
  /* every third message as logged before the item index (D28): it is decoded */
  if (i % 3 != 0)
    record->item_index = index_of (record);
  return record;
}

static gboolean
on_timeout (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_for_scan (WpiTrafficFilterModel *model)
{
  gboolean timed_out = FALSE;
  guint timeout = g_timeout_add (WAIT_TIMEOUT_MS, on_timeout, &timed_out);

  while (wpi_traffic_filter_model_get_running (model) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (timed_out);
  g_source_remove (timeout);
}

/* Checks the model's ids against a record-by-record evaluation of the filter. */
static void
assert_matches (WpiTrafficFilterModel *model,
                guint                  first,
                guint                  last,
                gboolean             (*expected) (guint i))
{
  g_autoptr(GArray) ids = wpi_traffic_filter_model_dup_ids (model);
  guint n = 0;

  for (guint i = first; i <= last; i++)
    if (expected (i))
      {
        g_assert_cmpuint (n, <, ids->len);
        g_assert_cmpint (g_array_index (ids, gint64, n), ==, (gint64) i + 1);
        n++;
      }
  g_assert_cmpuint (ids->len, ==, n);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
}

static gboolean
is_busy (guint i)
{
  return i % 7 == 0;
}

static gboolean
is_probe_42_or_busy_phone_3 (guint i)
{
  return i % 100 == 42 || (i % 50 == 3 && i % 7 == 0);
}

static gboolean
is_phone_3_probe_below_10 (guint i)
{
  return i % 50 == 3 && i % 100 < 10;
}

static gboolean
is_flow_7 (guint i)
{
  return i / 4 == 7;
}

typedef struct {
  guint changes;
  guint added;
  guint removed;
} Counter;

static void
count_changes (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               Counter    *counter)
{
  g_assert_cmpuint (position + added, <=, g_list_model_get_n_items (model));
  counter->changes++;
  counter->added += added;
  counter->removed += removed;
}

static void
test_filter_model (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) base = NULL;
  g_autoptr(WpiTrafficFilterModel) model = NULL;
  g_autoptr(GError) error = NULL;
  Counter counter = { 0 };
  const guint n = 20000;

  test_util_store_fill (fixture->store, make_record, 0, n);
  base = wpi_traffic_model_new (fixture->store, &error);
  g_assert_no_error (error);
  model = wpi_traffic_filter_model_new (base);
  g_signal_connect (model, "items-changed", G_CALLBACK (count_changes), &counter);

  /* No filter: the base model as it is */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
  g_assert_false (wpi_traffic_filter_model_get_running (model));
  g_assert_cmpint (wpi_traffic_filter_model_get_id (model, 5), ==, 6);

  /* A summary filter over every row, in the worker */
  {
    g_autoptr(WpiFilter) filter = wpi_filter_parse ("status == busy", WPI_FILTER_FLAGS_NONE, NULL, &error);
    guint loads = wpi_traffic_model_get_page_loads (base);

    wpi_traffic_filter_model_set_filter (model, filter);
    g_assert_true (wpi_traffic_filter_model_get_running (model));
    wait_for_scan (model);
    g_assert_cmpfloat (wpi_traffic_filter_model_get_progress (model), ==, 1.0);
    g_assert_null (wpi_traffic_filter_model_get_error (model));
    assert_matches (model, 0, n - 1, is_busy);
    /* The worker read through its own connection, not the model's page cache */
    g_assert_cmpuint (wpi_traffic_model_get_page_loads (base), ==, loads);
    /* Matches arrived in order; the list reported every one of them */
    g_assert_cmpuint (n + counter.added - counter.removed, ==, g_list_model_get_n_items (G_LIST_MODEL (model)));
    g_assert_cmpuint (counter.changes, >=, 2);
  }

  /* An item filter parses bodies in the worker */
  {
    g_autoptr(WpiFilter) filter = wpi_filter_parse ("item.probe == 42 or (mac == 00:1A:E8:00:00:03 and status == busy)",
                                                    WPI_FILTER_FLAGS_NONE, NULL, &error);
    g_autoptr(WpiTrafficEntry) entry = NULL;
    guint position = 0;

    g_assert_no_error (error);
    wpi_traffic_filter_model_set_filter (model, filter);
    wait_for_scan (model);
    assert_matches (model, 0, n - 1, is_probe_42_or_busy_phone_3);
    /* the same without the index, every body decoded (D28) */
    _wpi_traffic_filter_model_set_use_index (model, FALSE);
    wait_for_scan (model);
    assert_matches (model, 0, n - 1, is_probe_42_or_busy_phone_3);
    _wpi_traffic_filter_model_set_use_index (model, TRUE);
    wait_for_scan (model);
    entry = g_list_model_get_item (G_LIST_MODEL (model), 0);
    /* i = 42 (probe 42) comes first; the first busy phone 3 is i = 203 */
    g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 43);
    g_assert_true (wpi_traffic_filter_model_find (model, 143, &position));
    g_assert_cmpuint (position, ==, 1);
    g_assert_false (wpi_traffic_filter_model_find (model, 44, NULL));
  }

  /* The MAC index first, then the whole expression */
  {
    g_autoptr(WpiFilter) filter = wpi_filter_parse ("mac == 00:1a:e8:00:00:03 and item.probe ~ '^[0-9]$'",
                                                    WPI_FILTER_FLAGS_NONE, NULL, &error);

    g_assert_no_error (error);
    wpi_traffic_filter_model_set_filter (model, filter);
    wait_for_scan (model);
    assert_matches (model, 0, n - 1, is_phone_3_probe_below_10);
  }

  /* Follow a flow: the flow index */
  {
    g_autoptr(WpiFilter) filter = wpi_filter_parse ("flow == flow-7", WPI_FILTER_FLAGS_NONE, NULL, &error);

    wpi_traffic_filter_model_set_filter (model, filter);
    wait_for_scan (model);
    assert_matches (model, 0, n - 1, is_flow_7);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 4);
  }

  /* Reversed: newest first */
  wpi_traffic_filter_model_set_reversed (model, TRUE);
  g_assert_cmpint (wpi_traffic_filter_model_get_id (model, 0), ==, 32);
  g_assert_cmpint (wpi_traffic_filter_model_get_id (model, 3), ==, 29);
  {
    g_autoptr(WpiTrafficEntry) entry = g_list_model_get_item (G_LIST_MODEL (model), 0);
    guint position = 0;

    g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, 32);
    g_assert_true (wpi_traffic_filter_model_find (model, 30, &position));
    g_assert_cmpuint (position, ==, 2);
  }
  wpi_traffic_filter_model_set_filter (model, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, n);
  g_assert_cmpint (wpi_traffic_filter_model_get_id (model, 0), ==, n);
  {
    g_autoptr(WpiTrafficEntry) entry = g_list_model_get_item (G_LIST_MODEL (model), 0);
    g_assert_cmpint (wpi_traffic_entry_get_id (entry), ==, n);
  }
  wpi_traffic_filter_model_set_reversed (model, FALSE);
}

/* Replacing a filter while the worker runs: the old scan's results never show. */
static void
test_filter_model_cancel (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) base = NULL;
  g_autoptr(WpiTrafficFilterModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiFilter) slow = wpi_filter_parse ("item.probe == 1", WPI_FILTER_FLAGS_NONE, NULL, NULL);
  g_autoptr(WpiFilter) busy = wpi_filter_parse ("status == busy", WPI_FILTER_FLAGS_NONE, NULL, NULL);
  const guint n = 20000;

  test_util_store_fill (fixture->store, make_record, 0, n);
  base = wpi_traffic_model_new (fixture->store, &error);
  g_assert_no_error (error);
  model = wpi_traffic_filter_model_new (base);

  for (guint i = 0; i < 5; i++)
    {
      wpi_traffic_filter_model_set_filter (model, slow);
      /* let some of it through */
      g_main_context_iteration (NULL, FALSE);
      wpi_traffic_filter_model_set_filter (model, busy);
    }
  wait_for_scan (model);
  assert_matches (model, 0, n - 1, is_busy);

  /* Disposed while running: nothing is left behind */
  wpi_traffic_filter_model_set_filter (model, slow);
  g_clear_object (&model);
}

static guint retained_from;

static gboolean
is_busy_and_retained (guint i)
{
  return i >= retained_from && i % 7 == 0;
}

/* Live messages are checked as they come; retention drops matches at the front. */
static void
test_filter_model_live (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(WpiTrafficModel) base = NULL;
  g_autoptr(WpiTrafficFilterModel) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiFilter) filter = wpi_filter_parse ("status == busy", WPI_FILTER_FLAGS_NONE, NULL, NULL);
  g_autoptr(WpiFilter) items = wpi_filter_parse ("item.probe == 41", WPI_FILTER_FLAGS_NONE, NULL, NULL);
  gint64 first = 0, last = 0;
  guint i;

  test_util_store_fill (fixture->store, make_record, 0, 100);
  base = wpi_traffic_model_new (fixture->store, &error);
  g_assert_no_error (error);
  model = wpi_traffic_filter_model_new (base);
  wpi_traffic_filter_model_set_filter (model, filter);

  /* Appended while the scan runs, and after */
  for (i = 100; i < 140; i++)
    {
      g_autoptr(WpiTrafficRecord) record = make_record (i);

      g_assert_true (wpi_store_traffic_append (fixture->store, record, &record->id, &error));
      g_assert_no_error (error);
      wpi_traffic_model_append (base, record);
      if (i == 120)
        wait_for_scan (model);
    }
  wait_for_scan (model);
  assert_matches (model, 0, 139, is_busy);

  /* Paused: nothing new shows, filtered or not */
  wpi_traffic_model_set_paused (base, TRUE);
  {
    g_autoptr(WpiTrafficRecord) record = make_record (140);

    g_assert_true (wpi_store_traffic_append (fixture->store, record, &record->id, &error));
    wpi_traffic_model_append (base, record);
    assert_matches (model, 0, 139, is_busy);
  }
  wpi_traffic_model_set_paused (base, FALSE);
  assert_matches (model, 0, 140, is_busy);

  /* Retention */
  g_assert_true (wpi_store_traffic_set_limit (fixture->store, 100, &error));
  g_assert_true (wpi_traffic_model_refresh (base, &error));
  g_assert_no_error (error);
  g_assert_true (wpi_store_traffic_get_bounds (fixture->store, &first, &last, &error));
  g_assert_cmpint (first, >, 1);
  g_assert_cmpint (first, <, 100);
  retained_from = first - 1;
  assert_matches (model, 0, 140, is_busy_and_retained);

  /* A live message checked against an item filter reads its body from the store (the
   * probe 41 of i = 41 went with retention) */
  g_assert_cmpint (first, >, 42);
  wpi_traffic_filter_model_set_filter (model, items);
  wait_for_scan (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  for (i = 141; i < 170; i++)
    {
      g_autoptr(WpiTrafficRecord) record = make_record (i);

      g_assert_true (wpi_store_traffic_append (fixture->store, record, &record->id, &error));
      wpi_traffic_model_append (base, record);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 1);
  g_assert_cmpint (wpi_traffic_filter_model_get_id (model, 0), ==, 142);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/filter/parse/valid", test_parse_valid);
  g_test_add_func ("/filter/parse/invalid", test_parse_invalid);
  g_test_add_func ("/filter/parse/properties", test_parse_properties);
  g_test_add_func ("/filter/evaluate/records", test_evaluate_records);
  g_test_add_func ("/filter/evaluate/lazily", test_evaluate_lazily);
  g_test_add_func ("/filter/evaluate/error-code-names", test_error_code_names);
  g_test_add_func ("/filter/evaluate/incomplete-index", test_evaluate_incomplete_index);
  g_test_add_func ("/filter/item-index/validity", test_item_index_validity);
#define ADD(path, func) g_test_add (path, Fixture, NULL, test_util_store_setup, func, test_util_store_teardown)
  ADD ("/filter/evaluate/entries", test_evaluate_entries);
  ADD ("/filter/model/scan", test_filter_model);
  ADD ("/filter/model/cancel", test_filter_model_cancel);
  ADD ("/filter/model/live", test_filter_model_live);
#undef ADD

  return g_test_run ();
}
