/* test-catalogue.c: the WPI item catalogue (shipped data, lookups, describe, validate, secrets) */
#include "config.h"

#include <string.h>

#include "wpi-catalogue.h"
#include "wpi-wire-enums.h"

static WpiItemInfo *
lookup (const char *name)
{
  WpiItemInfo *info = wpi_catalogue_lookup (wpi_catalogue_get_default (), name);

  g_assert_nonnull (info);
  return info;
}

/* Every data row of the compiled-in file is in the catalogue, with its fields */
static void
test_shipped_rows (void)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  const char *bytes;
  gboolean header_seen = FALSE;
  guint n_rows = 0;
  gsize size;

  data = g_resources_lookup_data (WPI_CATALOGUE_RESOURCE_PATH, G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  g_assert_no_error (error);
  bytes = g_bytes_get_data (data, &size);
  text = g_strndup (bytes, size);
  lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;
      g_autoptr(WpiItemInfo) listed = NULL;
      WpiItemInfo *info;

      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      if (!header_seen)
        {
          g_assert_true (g_str_has_prefix (lines[i], "name\tcategory\ttype\t"));
          header_seen = TRUE;
          continue;
        }

      fields = g_strsplit (lines[i], "\t", -1);
      g_assert_cmpuint (g_strv_length (fields), ==, 10);
      info = wpi_catalogue_lookup (catalogue, fields[0]);
      if (info == NULL)
        {
          g_test_fail_printf ("line %u: item “%s” did not load", i + 1, fields[0]);
          continue;
        }

      g_assert_cmpstr (wpi_item_info_get_name (info), ==, fields[0]);
      g_assert_cmpstr (wpi_item_info_get_category (info), ==, fields[1]);
      g_assert_cmpstr (wpi_value_type_to_string (wpi_item_info_get_value_type (info)), ==, fields[2]);
      g_assert_cmpstr (wpi_item_info_get_default_value (info) ?: "", ==, fields[4]);
      g_assert_cmpint (wpi_item_info_is_indexed (info), ==, strcmp (fields[5], "no") != 0);
      g_assert_cmpint (wpi_item_info_get_read_only (info), ==,
                       strcmp (fields[6], "yes") == 0 ? WPI_READ_ONLY_YES
                       : strcmp (fields[6], "no") == 0 ? WPI_READ_ONLY_NO : WPI_READ_ONLY_UNKNOWN);
      g_assert_cmpint (wpi_item_info_is_secret (info), ==, strcmp (fields[7], "yes") == 0);
      g_assert_cmpstr (wpi_item_info_get_source (info), ==, fields[8]);

      /* The list model keeps the file order */
      listed = g_list_model_get_item (G_LIST_MODEL (catalogue), n_rows);
      g_assert_true (listed == info);
      n_rows++;
    }

  g_assert_true (header_seen);
  g_assert_cmpuint (n_rows, >=, 464);
  g_assert_cmpuint (wpi_catalogue_get_n_items (catalogue), ==, n_rows);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (catalogue)), ==, n_rows);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (catalogue)) == WPI_TYPE_ITEM_INFO);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (catalogue), n_rows));
}

static void
test_lookup (void)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  WpiItemInfo *info;
  const WpiEnumValue *values;
  const WpiIndexRange *ranges;
  guint n;
  gint64 min, max;

  g_assert_true (wpi_catalogue_get_default () == catalogue);

  info = lookup ("sip-transport-user");
  g_assert_cmpstr (wpi_item_info_get_category (info), ==, "sip");
  g_assert_cmpint (wpi_item_info_get_value_type (info), ==, WPI_VALUE_TYPE_ENUM);
  g_assert_cmpstr (wpi_item_info_get_default_value (info), ==, "0");
  g_assert_false (wpi_item_info_is_open_enum (info));
  values = wpi_item_info_get_enum_values (info, &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpstr (values[2].value, ==, "2");
  g_assert_cmpstr (values[2].meaning, ==, "TLS");

  info = lookup ("transaction-timer");
  g_assert_true (wpi_item_info_get_range (info, &min, &max));
  g_assert_cmpint (min, ==, 3700);
  g_assert_cmpint (max, ==, 32000);
  g_assert_false (wpi_item_info_get_range (lookup ("reg-ttl"), NULL, NULL));

  info = lookup ("key-label-unicode");
  g_assert_cmpint (wpi_item_info_get_index_mode (info), ==, WPI_INDEX_MODE_REQUIRED);
  g_assert_cmpuint (wpi_item_info_get_max_length (info), ==, 24);
  ranges = wpi_item_info_get_index_ranges (info, &n);
  g_assert_cmpuint (n, ==, 7);
  g_assert_cmpint (ranges[1].first, ==, 1001);
  g_assert_cmpint (ranges[1].last, ==, 1009);
  g_assert_cmpstr (wpi_item_info_get_index_ranges_string (info), ==,
                   "1..9,1001..1009,301..312,1301..1312,401..412,1401..1412,4002..4003");
  g_assert_true (wpi_item_info_index_is_valid (info, 4003));
  g_assert_false (wpi_item_info_index_is_valid (info, 10));

  info = lookup ("dls-server-ca");
  ranges = wpi_item_info_get_index_ranges (info, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (ranges[0].first, ==, 0);
  g_assert_cmpint (ranges[0].last, ==, G_MAXINT64);

  g_assert_cmpint (wpi_item_info_get_index_mode (lookup ("file-name")), ==, WPI_INDEX_MODE_OPTIONAL);
  g_assert_cmpint (wpi_item_info_get_index_mode (lookup ("e164")), ==, WPI_INDEX_MODE_NONE);
  g_assert_null (wpi_item_info_get_index_ranges (lookup ("e164"), &n));
  g_assert_cmpuint (n, ==, 0);
  g_assert_true (wpi_item_info_is_open_enum (lookup ("function-key-def")));

  /* Items the guide and third parties name, capitals included */
  lookup ("Canonical-dialing-dial-needs-intGWcode");
  lookup ("MWI-new-urgent-label");
  lookup ("XML-app-control-key");
  lookup ("socketed-headset-mode");
  lookup ("userdata-ring-tone-mp3");

  /* Names are exact; the case-insensitive lookup finds the right spelling */
  g_assert_null (wpi_catalogue_lookup (catalogue, "canonical-dialing-dial-needs-intgwcode"));
  info = wpi_catalogue_lookup_ignore_case (catalogue, "canonical-dialing-dial-needs-intgwcode");
  g_assert_nonnull (info);
  g_assert_cmpstr (wpi_item_info_get_name (info), ==, "Canonical-dialing-dial-needs-intGWcode");
  g_assert_true (wpi_catalogue_lookup_ignore_case (catalogue, "E164") == lookup ("e164"));

  g_assert_null (wpi_catalogue_lookup (catalogue, "no-such-item"));
  g_assert_null (wpi_catalogue_lookup_ignore_case (catalogue, "no-such-item"));
  g_assert_null (wpi_catalogue_lookup (catalogue, NULL));
  g_assert_null (wpi_catalogue_lookup (catalogue, ""));

  /* Properties, for UI bindings */
  {
    g_autofree char *name = NULL;
    WpiValueType type;
    gboolean secret;

    g_object_get (lookup ("admin-pwd"), "name", &name, "value-type", &type, "secret", &secret, NULL);
    g_assert_cmpstr (name, ==, "admin-pwd");
    g_assert_cmpint (type, ==, WPI_VALUE_TYPE_PASSWORD);
    g_assert_true (secret);
  }
}

static void
test_value_type_names (void)
{
  static const char * const names[] = {
    "text", "boolean", "integer", "enum", "password", "base64", "pem", "dns", "ip", "mac",
    "uri", "unicode", "version", "port",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      WpiValueType type;

      g_assert_true (wpi_value_type_from_string (names[i], &type));
      g_assert_cmpstr (wpi_value_type_to_string (type), ==, names[i]);
    }
  {
    WpiValueType type = WPI_VALUE_TYPE_TEXT;

    g_assert_false (wpi_value_type_from_string ("float", &type));
    g_assert_false (wpi_value_type_from_string (NULL, &type));
  }
}

static void
assert_describes (const char *name,
                  const char *value,
                  const char *expected)
{
  g_autofree char *meaning = wpi_catalogue_describe_value (wpi_catalogue_get_default (), name, value);

  g_assert_cmpstr (meaning, ==, expected);
}

static void
test_describe (void)
{
  assert_describes ("sip-transport-user", "2", "TLS");
  assert_describes ("sip-transport-user", "0", "UDP");
  assert_describes ("sip-transport-user", "7", NULL);
  assert_describes ("sip-transport-user", "", NULL);
  assert_describes ("forwarding-type", "8", "busy internal");
  assert_describes ("function-key-def", "59", "BLF");
  assert_describes ("function-key-def", "99", NULL);
  assert_describes ("file-type", "MOH", "music on hold");
  assert_describes ("file-type", "moh", NULL);
  assert_describes ("goto-secure-mode", "pin", "bootstrap with PIN");
  assert_describes ("sip-mobility-state", "1", "logged off");
  assert_describes ("auto-answer", "true", "yes");
  assert_describes ("auto-answer", "false", "no");
  assert_describes ("auto-answer", "maybe", NULL);
  assert_describes ("reg-port", "5060", NULL);
  assert_describes ("e164", "49897223337", NULL);
  /* Never a word about a secret, nor about items the catalogue does not know */
  assert_describes ("admin-pwd", "true", NULL);
  assert_describes ("no-such-item", "2", NULL);
  assert_describes ("Sip-Transport-User", "2", NULL);
  assert_describes ("sip-transport-user", NULL, NULL);
}

/* Validation: name, index (index < 0 means none), value, expected error code (-1: valid) */
typedef struct {
  const char *name;
  gint64      index;
  const char *value;
  int         code;
} ValidateCase;

static const ValidateCase validate_cases[] = {
  /* boolean */
  { "auto-answer", -1, "true", -1 },
  { "auto-answer", -1, "false", -1 },
  { "auto-answer", -1, "TRUE", WPI_CATALOGUE_ERROR_INVALID_BOOLEAN },
  { "auto-answer", -1, "1", WPI_CATALOGUE_ERROR_INVALID_BOOLEAN },
  { "auto-answer", -1, "", WPI_CATALOGUE_ERROR_INVALID_BOOLEAN },
  /* integer with and without a range */
  { "transaction-timer", -1, "3700", -1 },
  { "transaction-timer", -1, "32000", -1 },
  { "transaction-timer", -1, "3699", WPI_CATALOGUE_ERROR_OUT_OF_RANGE },
  { "transaction-timer", -1, "32001", WPI_CATALOGUE_ERROR_OUT_OF_RANGE },
  { "transaction-timer", -1, "fast", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "transaction-timer", -1, "4000 ", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "transaction-timer", -1, "+4000", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "transaction-timer", -1, "", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "sntp-tz-offset", -1, "-720", -1 },
  { "sntp-tz-offset", -1, "-721", WPI_CATALOGUE_ERROR_OUT_OF_RANGE },
  { "sntp-tz-offset", -1, "-", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "reg-ttl", -1, "99999", -1 },
  { "reg-ttl", -1, "-3", -1 },
  { "reg-ttl", -1, "1e3", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "reg-ttl", -1, "99999999999999999999", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "vlan-id", -1, "4095", -1 },
  { "vlan-id", -1, "4096", WPI_CATALOGUE_ERROR_OUT_OF_RANGE },
  /* port */
  { "reg-port", -1, "5060", -1 },
  { "reg-port", -1, "65535", -1 },
  { "reg-port", -1, "65536", WPI_CATALOGUE_ERROR_OUT_OF_RANGE },
  { "reg-port", -1, "sip", WPI_CATALOGUE_ERROR_INVALID_INTEGER },
  { "dls-secure-port", -1, "18444", -1 },
  { "dls-secure-port", -1, "0", WPI_CATALOGUE_ERROR_OUT_OF_RANGE },
  /* enumerations, closed and open */
  { "sip-transport-user", -1, "2", -1 },
  { "sip-transport-user", -1, "3", WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION },
  { "sip-transport-user", -1, "TLS", WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION },
  { "sip-transport-user", -1, "", WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION },
  { "goto-secure-mode", -1, "nopin", -1 },
  { "goto-secure-mode", -1, "PIN", WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION },
  { "function-key-def", 1, "3", -1 },
  { "function-key-def", 1, "99", -1 },
  { "function-key-def", 1, "repeat", WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION },
  { "file-type", 1, "RINGTONE", -1 },
  { "file-type", 1, "ringtone", WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION },
  { "file-priority", -1, "immediate", -1 },
  { "file-priority", -1, "1", WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION },
  /* text, unicode and their limits */
  { "e164", -1, "49897223337", -1 },
  { "e164", -1, "", -1 },
  { "e164", -1, "4989\001", WPI_CATALOGUE_ERROR_INVALID_TEXT },
  { "e164", -1, "\xff\xfe", WPI_CATALOGUE_ERROR_INVALID_TEXT },
  { "cleanup-reason", -1, "wrong TAN from device", -1 },
  { "alert", 1, "Ringer1^1^2^60", -1 },
  { "key-label-unicode", 1, "Repeat Dialling", -1 },
  { "key-label-unicode", 1, "üüüüüüüüüüüüüüüüüüüüüüüü", -1 },  /* 24 characters, 48 bytes */
  { "key-label-unicode", 1, "üüüüüüüüüüüüüüüüüüüüüüüüü", WPI_CATALOGUE_ERROR_TOO_LONG },
  { "MWI-new-label", -1, "12345678901234567", -1 },
  { "MWI-new-label", -1, "123456789012345678", WPI_CATALOGUE_ERROR_TOO_LONG },
  { "sip-pwd", -1, "s3cr3t", -1 },
  { "sip-pwd", -1, "", -1 },
  /* dns */
  { "reg-addr", -1, "sip.example.com", -1 },
  { "reg-addr", -1, "sip.example.com.", -1 },
  { "reg-addr", -1, "192.168.1.10", -1 },
  { "reg-addr", -1, "2001:db8::10", -1 },
  { "reg-addr", -1, "pbx_01", -1 },
  { "reg-addr", -1, "", -1 },
  { "reg-addr", -1, "sip example.com", WPI_CATALOGUE_ERROR_INVALID_HOST },
  { "reg-addr", -1, "-sip.example.com", WPI_CATALOGUE_ERROR_INVALID_HOST },
  { "reg-addr", -1, "sip..example.com", WPI_CATALOGUE_ERROR_INVALID_HOST },
  { "reg-addr", -1, "192.168.1.300", WPI_CATALOGUE_ERROR_INVALID_HOST },
  { "reg-addr", -1, "sip.example.com:5060", WPI_CATALOGUE_ERROR_INVALID_HOST },
  /* ip (ipaddress is not known to be read-only) */
  { "ipaddress", -1, "10.0.0.1", -1 },
  { "ipaddress", -1, "fe80::1", -1 },
  { "ipaddress", -1, "10.0.0", WPI_CATALOGUE_ERROR_INVALID_IP },
  { "ipaddress", -1, "phone.example.com", WPI_CATALOGUE_ERROR_INVALID_IP },
  /* uri */
  { "file-https-base-url", -1, "https://192.168.1.150/media/ringtone-phone.wav", -1 },
  { "file-https-base-url", 2, "https://files.example.net:8443/logo1.png", -1 },
  { "file-https-base-url", -1, "ftp://files.example.net/logo1.png", WPI_CATALOGUE_ERROR_INVALID_URI },
  { "file-https-base-url", -1, "https:///logo1.png", WPI_CATALOGUE_ERROR_INVALID_URI },
  { "file-https-base-url", -1, "logo1.png", WPI_CATALOGUE_ERROR_INVALID_URI },
  { "file-https-base-url", -1, "https://files.example.net/a b.png", WPI_CATALOGUE_ERROR_INVALID_URI },
  /* base64 and pem */
  { "secure-mode-data", -1, "U2FsdGVkX18AAAAAAAAAAA==", -1 },
  { "dls-client-certificate", -1, "TUlJ\nQg==", -1 },
  { "dls-client-certificate", -1, "TUlJQg=", WPI_CATALOGUE_ERROR_INVALID_BASE64 },
  { "dls-client-certificate", -1, "TUl=JQg=", WPI_CATALOGUE_ERROR_INVALID_BASE64 },
  { "secure-mode-data", -1, "not base64!", WPI_CATALOGUE_ERROR_INVALID_BASE64 },
  { "dls-server-ca", 0, "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n", -1 },
  { "dls-server-ca", 1, "\r\n-----BEGIN CERTIFICATE-----\r\nTUlJ\r\nQg==\r\n-----END CERTIFICATE-----\r\n"
                        "-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----", -1 },
  { "dls-server-ca", 0, "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END PRIVATE KEY-----\n",
    WPI_CATALOGUE_ERROR_INVALID_PEM },
  { "dls-server-ca", 0, "-----BEGIN CERTIFICATE-----\nTUlJQg==\n", WPI_CATALOGUE_ERROR_INVALID_PEM },
  { "dls-server-ca", 0, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    WPI_CATALOGUE_ERROR_INVALID_PEM },
  { "dls-server-ca", 0, "MIIB", WPI_CATALOGUE_ERROR_INVALID_PEM },
  /* version */
  { "file-sw-version", -1, "1.4.9.0", -1 },
  { "file-sw-version", -1, "V3 R1.41.1", -1 },
  { "file-sw-version", -1, "V3R1.41.1", WPI_CATALOGUE_ERROR_INVALID_VERSION },
  { "file-sw-version", -1, "1", WPI_CATALOGUE_ERROR_INVALID_VERSION },
  { "file-sw-version", -1, "1.4.x", WPI_CATALOGUE_ERROR_INVALID_VERSION },
  /* index presence and ranges */
  { "key-label-unicode", -1, "Label", WPI_CATALOGUE_ERROR_INDEX_REQUIRED },
  { "key-label-unicode", 9, "Label", -1 },
  { "key-label-unicode", 10, "Label", WPI_CATALOGUE_ERROR_INDEX_OUT_OF_RANGE },
  { "key-label-unicode", 1009, "Label", -1 },
  { "key-label-unicode", 1312, "Label", -1 },
  { "key-label-unicode", 4002, "Label", -1 },
  { "key-label-unicode", 0, "Label", WPI_CATALOGUE_ERROR_INDEX_OUT_OF_RANGE },
  { "Canonical-lookup-local-code", 6, "089", -1 },
  { "Canonical-lookup-local-code", 51, "089", WPI_CATALOGUE_ERROR_INDEX_OUT_OF_RANGE },
  { "trace-level", 0, "3", -1 },
  { "trace-level", 42, "3", WPI_CATALOGUE_ERROR_INDEX_OUT_OF_RANGE },
  { "dls-server-ca", -1, "MIIB", WPI_CATALOGUE_ERROR_INDEX_REQUIRED },
  { "ldap-server-address", 1, "ldap.example.com", -1 },
  { "ldap-server-address", 1000, "ldap.example.com", -1 },
  { "userdata-phonebook", 1, "QUJD", -1 },
  { "e164", 1, "4989", WPI_CATALOGUE_ERROR_INDEX_NOT_ALLOWED },
  { "file-name", -1, "ring.wav", -1 },
  { "file-name", 2, "ring.wav", -1 },
  /* read-only items are refused, items of unknown access are not */
  { "device-type", -1, "OpenStage 80", WPI_CATALOGUE_ERROR_READ_ONLY },
  { "mac-addr", -1, "00:01:E3:25:E4:54", WPI_CATALOGUE_ERROR_READ_ONLY },
  { "software-version", -1, "V3 R1.41.1", WPI_CATALOGUE_ERROR_READ_ONLY },
  { "file-deployment-status", 1, "ok", WPI_CATALOGUE_ERROR_READ_ONLY },
  { "autodialtimer", -1, "6", -1 },
  /* unknown items are allowed with any value and index */
  { "no-such-item", -1, "anything", -1 },
  { "no-such-item", 12, "", -1 },
  { "Sip-Transport-User", -1, "9", -1 },
};

static void
test_validate (void)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();

  for (guint i = 0; i < G_N_ELEMENTS (validate_cases); i++)
    {
      const ValidateCase *c = &validate_cases[i];
      g_autoptr(GError) error = NULL;
      gboolean valid;

      valid = wpi_catalogue_validate (catalogue, c->name, c->index >= 0, c->index, c->value, &error);
      if (c->code < 0)
        {
          if (!valid)
            g_test_fail_printf ("case %u: %s[%" G_GINT64_FORMAT "] = “%s” refused: %s", i,
                                c->name, c->index, c->value, error->message);
        }
      else
        {
          if (valid)
            {
              g_test_fail_printf ("case %u: %s[%" G_GINT64_FORMAT "] = “%s” accepted", i,
                                  c->name, c->index, c->value);
              continue;
            }
          g_assert_error (error, WPI_CATALOGUE_ERROR, c->code);
          /* Every message names the item */
          g_assert_nonnull (strstr (error->message, c->name));
        }
    }
}

/* Types that only read-only items have are checked through their WpiItemInfo */
static void
test_validate_value (void)
{
  struct {
    const char *name;
    const char *value;
    int         code;
  } cases[] = {
    { "mac-addr", "00:01:E3:25:E4:54", -1 },
    { "mac-addr", "00:01:e3:25:e4:54", -1 },
    { "mac-addr", "00-01-E3-25-E4-54", WPI_CATALOGUE_ERROR_INVALID_MAC },
    { "mac-addr", "0001E325E454", WPI_CATALOGUE_ERROR_INVALID_MAC },
    { "mac-addr", "00:01:E3:25:E4:5G", WPI_CATALOGUE_ERROR_INVALID_MAC },
    { "contact-me-uri", "http://192.168.1.243:8085/contact_dls.html/ContactDLS", -1 },
    { "contact-me-uri", "192.168.1.243:8085", WPI_CATALOGUE_ERROR_INVALID_URI },
    { "software-version", "V1 R4.9.0", -1 },
    { "software-version", "V1 R4.9.", WPI_CATALOGUE_ERROR_INVALID_VERSION },
    { "configuration-attached-number", "3", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean valid = wpi_item_info_validate_value (lookup (cases[i].name), cases[i].value, &error);

      if (cases[i].code < 0)
        {
          g_assert_no_error (error);
          g_assert_true (valid);
        }
      else
        {
          g_assert_error (error, WPI_CATALOGUE_ERROR, cases[i].code);
          g_assert_false (valid);
        }
    }
}

static void
test_validate_messages (void)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_value = g_strnfill (500, 'x');

  g_assert_false (wpi_catalogue_validate (catalogue, "sip-transport-user", FALSE, 0, "5", &error));
  g_assert_cmpstr (error->message, ==,
                   "“sip-transport-user”: “5” is not one of 0 (UDP), 1 (TCP), 2 (TLS)");
  g_clear_error (&error);

  g_assert_false (wpi_catalogue_validate (catalogue, "transaction-timer", FALSE, 0, "100", &error));
  g_assert_cmpstr (error->message, ==, "“transaction-timer”: “100” is out of range 3700..32000");
  g_clear_error (&error);

  g_assert_false (wpi_catalogue_validate (catalogue, "key-label-unicode", TRUE, 10, "x", &error));
  g_assert_nonnull (strstr (error->message, "index 10"));
  g_assert_nonnull (strstr (error->message, "1..9,1001..1009"));
  g_clear_error (&error);

  g_assert_false (wpi_catalogue_validate (catalogue, "device-type", FALSE, 0, "x", &error));
  g_assert_nonnull (strstr (error->message, "read-only"));
  g_clear_error (&error);

  /* A secret never appears in a message */
  g_assert_false (wpi_catalogue_validate (catalogue, "sip-pwd", FALSE, 0, "hunter2\001", &error));
  g_assert_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INVALID_TEXT);
  g_assert_null (strstr (error->message, "hunter2"));
  g_assert_nonnull (strstr (error->message, "<masked>"));
  g_clear_error (&error);

  /* A long value is cut short */
  g_assert_false (wpi_catalogue_validate (catalogue, "reg-port", FALSE, 0, long_value, &error));
  g_assert_cmpuint (strlen (error->message), <, 120);
  g_clear_error (&error);

  /* The WpiItem form */
  {
    WpiItem item = { .name = (char *) "key-label-unicode", .value = (char *) "Hold",
                     .index = 3, .has_index = TRUE };

    g_assert_true (wpi_catalogue_validate_item (catalogue, &item, &error));
    g_assert_no_error (error);
    item.has_index = FALSE;
    g_assert_false (wpi_catalogue_validate_item (catalogue, &item, &error));
    g_assert_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INDEX_REQUIRED);
  }
}

static void
test_secrets (void)
{
  static const char * const secret[] = {
    "admin-pwd", "admin-pwd-unicode", "user-pwd", "user-pwd-unicode", "restart-password",
    "secure-mode-data", "dls-client-certificate", "dls-server-ca", "wbm-server-certificate",
    "bootstrapping-tan", "bt-pin", "sip-pwd", "line-sip-pwd", "file-pwd", "ldap-pwd",
    "snmp-pwd", "ssh-password", "send-url-passwd", "cloud-pin-value",
    /* wrong case: the flag of the right spelling */
    "Admin-Pwd", "SECURE-MODE-DATA",
    /* unknown names that look like credentials */
    "sip-tls-pwd", "new-pin", "some-password", "client-private-key", "8021x-certificate",
    "radius-secret",
  };
  static const char * const plain[] = {
    "e164", "mac-addr", "sip-transport-user", "wbm-server-certificate-info", "key-label-unicode",
    "min-admin-passw-length", "fault-report-user-pwd", "max-pin-retries", "function-key-def",
    /* unknown names without a credential part */
    "no-such-item", "pinboard-enabled", "spin-rate", "sip-tls-certificate-info", "",
  };
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();

  for (guint i = 0; i < G_N_ELEMENTS (secret); i++)
    {
      if (!wpi_catalogue_is_secret (catalogue, secret[i]))
        g_test_fail_printf ("“%s” is not secret", secret[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (plain); i++)
    {
      if (wpi_catalogue_is_secret (catalogue, plain[i]))
        g_test_fail_printf ("“%s” is secret", plain[i]);
    }
  g_assert_false (wpi_catalogue_is_secret (catalogue, NULL));

  /* Every password is secret */
  for (guint i = 0; i < wpi_catalogue_get_n_items (catalogue); i++)
    {
      g_autoptr(WpiItemInfo) info = g_list_model_get_item (G_LIST_MODEL (catalogue), i);

      if (wpi_item_info_get_value_type (info) == WPI_VALUE_TYPE_PASSWORD)
        g_assert_true (wpi_item_info_is_secret (info));
    }
}

static void
test_categories (void)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  const char * const *categories = wpi_catalogue_get_categories (catalogue);
  guint total = 0;

  g_assert_cmpuint (g_strv_length ((char **) categories), ==, 18);
  for (guint i = 0; categories[i] != NULL; i++)
    {
      g_autoptr(GListModel) items = wpi_catalogue_list_category (catalogue, categories[i]);
      guint n = g_list_model_get_n_items (items);

      g_assert_nonnull (wpi_catalogue_get_category_title (catalogue, categories[i]));
      g_assert_cmpuint (n, >, 0);
      for (guint j = 0; j < n; j++)
        {
          g_autoptr(WpiItemInfo) info = g_list_model_get_item (items, j);

          g_assert_cmpstr (wpi_item_info_get_category (info), ==, categories[i]);
        }
      total += n;
    }

  /* Every item is in exactly one listed category */
  g_assert_cmpuint (total, ==, wpi_catalogue_get_n_items (catalogue));
  g_assert_cmpstr (wpi_catalogue_get_category_title (catalogue, "sip"), ==, "SIP");
  g_assert_null (wpi_catalogue_get_category_title (catalogue, "nonsense"));
  g_assert_null (wpi_catalogue_get_category_title (catalogue, NULL));
  {
    g_autoptr(GListModel) none = wpi_catalogue_list_category (catalogue, "nonsense");

    g_assert_cmpuint (g_list_model_get_n_items (none), ==, 0);
  }
}

/* Every item of ../shared/spec/items.tsv is in the shipped catalogue, in the same category,
 * with the same type (ports are integers there) */
static void
test_spec_items_present (void)
{
  const char *spec_dir = g_getenv ("WPI_SPEC_DIR");
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  guint n_checked = 0;

  if (spec_dir == NULL)
    {
      g_test_skip ("WPI_SPEC_DIR is not set");
      return;
    }
  path = g_build_filename (spec_dir, "items.tsv", NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("the spec folder is missing");
      return;
    }

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);

  for (guint i = 1; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit (lines[i], "\t", -1);
      WpiItemInfo *info;
      const char *type;

      if (lines[i][0] == '\0')
        continue;
      g_assert_cmpuint (g_strv_length (fields), >=, 3);

      info = wpi_catalogue_lookup (catalogue, fields[0]);
      if (info == NULL)
        {
          g_test_fail_printf ("%s:%u: “%s” is not in the catalogue", path, i + 1, fields[0]);
          continue;
        }
      g_assert_cmpstr (wpi_item_info_get_category (info), ==, fields[1]);
      type = wpi_value_type_to_string (wpi_item_info_get_value_type (info));
      if (strcmp (type, fields[2]) != 0 && !(strcmp (type, "port") == 0 && strcmp (fields[2], "integer") == 0))
        g_test_fail_printf ("%s:%u: “%s” is %s here, %s in the spec", path, i + 1, fields[0],
                            type, fields[2]);
      n_checked++;
    }

  g_assert_cmpuint (n_checked, >=, 463);
}

static void
assert_bad_data (const char *text,
                 const char *message_part)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiCatalogue) catalogue = wpi_catalogue_new_from_bytes (bytes, &error);

  g_assert_null (catalogue);
  g_assert_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INVALID_DATA);
  if (strstr (error->message, message_part) == NULL)
    g_test_fail_printf ("“%s” does not contain “%s”", error->message, message_part);
}

#define HEADER "name\tcategory\ttype\tvalues\tdefault\tindexed\tread_only\tsecret\tsource\tmax_length\n"

static void
test_bad_data (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(WpiCatalogue) catalogue = NULL;
  const char *good = "# comment\n\n" HEADER
                     "a-port\tsip\tport\t\t\tno\tno\tno\tx\t\r\n"
                     "b-mode\tsip\tenum\tx=ex|y=why|...\tx\tyes 1..3\tunknown\tno\tx\t\n";

  /* A minimal good file first, so the failures below are about their one fault */
  bytes = g_bytes_new_static (good, strlen (good));
  catalogue = wpi_catalogue_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (wpi_catalogue_get_n_items (catalogue), ==, 2);
  g_assert_true (wpi_catalogue_validate (catalogue, "b-mode", TRUE, 3, "z", NULL));
  g_assert_false (wpi_catalogue_validate (catalogue, "a-port", FALSE, 0, "0", NULL));

  assert_bad_data ("", "no header");
  assert_bad_data ("# only a comment\n", "no header");
  assert_bad_data ("name\ttype\n", "line 1: the header");
  assert_bad_data (HEADER "a\tsip\ttext\n", "line 2: 3 columns instead of 10");
  assert_bad_data (HEADER "a\tsip\tfloat\t\t\tno\tno\tno\tx\t\n", "line 2: column “type”");
  assert_bad_data (HEADER "a\tnowhere\ttext\t\t\tno\tno\tno\tx\t\n", "unknown category");
  assert_bad_data (HEADER "\tsip\ttext\t\t\tno\tno\tno\tx\t\n", "empty item name");
  assert_bad_data (HEADER "a b\tsip\ttext\t\t\tno\tno\tno\tx\t\n", "not an item name");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tno\tno\tno\tx\t\n"
                   "a\tsip\ttext\t\t\tno\tno\tno\tx\t\n", "line 3: “a” is listed twice");
  assert_bad_data (HEADER "Ab\tsip\ttext\t\t\tno\tno\tno\tx\t\n"
                   "aB\tsip\ttext\t\t\tno\tno\tno\tx\t\n", "only in case");
  assert_bad_data (HEADER "a\tsip\tinteger\t5..1\t\tno\tno\tno\tx\t\n", "not a range");
  assert_bad_data (HEADER "a\tsip\tinteger\tten\t\tno\tno\tno\tx\t\n", "not a range");
  assert_bad_data (HEADER "a\tsip\tenum\t0\t\tno\tno\tno\tx\t\n", "not CODE=MEANING");
  assert_bad_data (HEADER "a\tsip\tenum\t...\t\tno\tno\tno\tx\t\n", "at least one");
  assert_bad_data (HEADER "a\tsip\tenum\t0=a|0=b\t\tno\tno\tno\tx\t\n", "listed twice");
  assert_bad_data (HEADER "a\tsip\tboolean\tyes|no\t\tno\tno\tno\tx\t\n", "true|false");
  assert_bad_data (HEADER "a\tsip\ttext\tfoo\t\tno\tno\tno\tx\t\n", "takes no values");
  assert_bad_data (HEADER "a\tsip\tboolean\ttrue|false\tmaybe\tno\tno\tno\tx\t\n", "column “default”");
  assert_bad_data (HEADER "a\tsip\tinteger\t1..5\t9\tno\tno\tno\tx\t\n", "column “default”");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tsometimes\tno\tno\tx\t\n", "column “indexed”");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tyes -1..3\tno\tno\tx\t\n", "column “indexed”");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tyesno\tno\tno\tx\t\n", "column “indexed”");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tno\tmaybe\tno\tx\t\n", "column “read_only”");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tno\tno\tmaybe\tx\t\n", "column “secret”");
  assert_bad_data (HEADER "a\tsip\tpassword\t\t\tno\tno\tno\tx\t\n", "must be secret");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tno\tno\tno\tx\t0\n", "positive length");
  assert_bad_data (HEADER "a\tsip\tinteger\t\t\tno\tno\tno\tx\t5\n", "no maximum length");
  assert_bad_data (HEADER "a\tsip\ttext\t\t\tno\tno\tno\tx\t\n\xff\n", "not UTF-8");
}

static gpointer
get_default_in_thread (gpointer data)
{
  return wpi_catalogue_get_default ();
}

/* Run in a fresh process: the first call races in several threads */
static void
test_default_threads (void)
{
  if (g_test_subprocess ())
    {
      GThread *threads[8];
      WpiCatalogue *first;

      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("catalogue", get_default_in_thread, NULL);
      first = g_thread_join (threads[0]);
      g_assert_nonnull (first);
      for (guint i = 1; i < G_N_ELEMENTS (threads); i++)
        g_assert_true (g_thread_join (threads[i]) == first);
      g_assert_cmpuint (wpi_catalogue_get_n_items (first), >=, 464);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/catalogue/shipped-rows", test_shipped_rows);
  g_test_add_func ("/catalogue/lookup", test_lookup);
  g_test_add_func ("/catalogue/value-type-names", test_value_type_names);
  g_test_add_func ("/catalogue/describe", test_describe);
  g_test_add_func ("/catalogue/validate", test_validate);
  g_test_add_func ("/catalogue/validate-value", test_validate_value);
  g_test_add_func ("/catalogue/validate-messages", test_validate_messages);
  g_test_add_func ("/catalogue/secrets", test_secrets);
  g_test_add_func ("/catalogue/categories", test_categories);
  g_test_add_func ("/catalogue/spec-items-present", test_spec_items_present);
  g_test_add_func ("/catalogue/bad-data", test_bad_data);
  g_test_add_func ("/catalogue/default-threads", test_default_threads);

  return g_test_run ();
}
