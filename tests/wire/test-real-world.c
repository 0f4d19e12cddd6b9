/* test-real-world.c: messages as real servers and phones write them (D20)
 *
 * Every file of tests/fixtures/real-world/ (its README.md says where each form comes
 * from) decodes as its MANIFEST describes: the message read, and the rules --strict
 * names for it, in order. Then what the table cannot say: the service's refusal of an
 * empty nonce, element order, the signature checked with a certificate, and wpi-decode
 * on a few of the files.
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "wpi-codec.h"
#include "wpi-dump.h"
#include "wpi-rules.h"
#include "test-util.h"

static WpiMessage *
decode_fixture (const char  *file,
                GError     **error)
{
  g_autofree char *name = g_build_filename ("real-world", file, NULL);
  g_autoptr(GBytes) bytes = test_util_read_fixture (name);
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  return wpi_message_parse_full (data, length, WPI_PARSE_KEEP_EMPTY_NONCE, error);
}

/* "R21 R27" from the warnings "R21: ...", "R27: ..." */
static char *
rule_names (char **warnings)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; warnings[i] != NULL; i++)
    {
      const char *colon = strchr (warnings[i], ':');

      g_assert_nonnull (colon);
      if (names->len > 0)
        g_string_append_c (names, ' ');
      g_string_append_len (names, warnings[i], colon - warnings[i]);
    }
  return g_string_free (names, FALSE);
}

/* One MANIFEST line: file, root, nonce, reason or action, items, NAME=VALUE, digest, rules */
static void
assert_manifest_line (char **fields)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) message = decode_fixture (fields[0], &error);
  g_auto(GStrv) warnings = NULL;
  g_autofree char *names = NULL;
  g_auto(GStrv) item = g_strsplit (fields[5], "=", 2);
  WpiSignature *signature;
  gboolean phone;

  g_test_message ("%s", fields[0]);
  g_assert_no_error (error);
  phone = wpi_message_get_kind (message) == WPI_MESSAGE_KIND_WORKPOINT;
  signature = wpi_message_get_signature (message);
  warnings = wpi_message_check_rules (message);
  names = rule_names (warnings);

  g_assert_cmpstr (wpi_message_kind_to_string (wpi_message_get_kind (message)), ==, fields[1]);
  g_assert_cmpstr (wpi_message_get_nonce (message), ==, strcmp (fields[2], "-") == 0 ? "" : fields[2]);
  g_assert_cmpstr (phone ? wpi_message_get_reason_string (message) : wpi_message_get_action_string (message),
                   ==, fields[3]);
  g_assert_cmpuint (wpi_message_get_n_items (message), ==, g_ascii_strtoull (fields[4], NULL, 10));
  if (item[1] != NULL)
    g_assert_cmpstr (wpi_message_get_item_value (message, item[0]), ==, item[1]);
  g_assert_cmpstr (signature ? wpi_digest_state_to_string (wpi_signature_get_digest_state (signature)) : "-",
                   ==, fields[6]);
  if (signature != NULL)
    g_assert_cmpint (wpi_signature_get_state (signature), ==, WPI_SIGNATURE_NOT_CHECKED);
  g_assert_cmpstr (names, ==, fields[7]);
}

/* Every file of the folder, as its MANIFEST describes it; every .xml is listed. */
static void
test_real_world_corpus (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "fixtures", "real-world", NULL);
  g_autofree char *path = g_build_filename (dir, "MANIFEST", NULL);
  g_autofree char *manifest = test_util_read_file (path, NULL);
  g_auto(GStrv) lines = g_strsplit (manifest, "\n", -1);
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GDir) folder = g_dir_open (dir, 0, NULL);
  const char *name;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = NULL;

      if (lines[i][0] == '#' || lines[i][0] == '\0')
        continue;
      fields = g_strsplit (lines[i], "\t", -1);
      g_assert_cmpuint (g_strv_length (fields), ==, 8);
      assert_manifest_line (fields);
      g_hash_table_add (listed, g_strdup (fields[0]));
    }

  g_assert_nonnull (folder);
  while ((name = g_dir_read_name (folder)) != NULL)
    if (g_str_has_suffix (name, ".xml") && !g_hash_table_contains (listed, name))
      g_test_fail_printf ("%s is not in the MANIFEST", name);
  g_assert_cmpuint (g_hash_table_size (listed), >=, 11);
}

/* The service reads with wpi_message_parse(): an empty nonce is refused (D5), and the
 * error says it is empty, not missing. */
static void
test_real_world_empty_nonce_refused (void)
{
  g_autoptr(GBytes) bytes = test_util_read_fixture ("real-world/writeup-phone-empty-nonce.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) message = NULL;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  message = wpi_message_parse (data, length, &error);
  g_assert_null (message);
  g_assert_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_MISSING_NONCE);
  g_assert_nonnull (strstr (error->message, "empty nonce"));
}

/* No order of elements changes what a message says (D20) */
static void
test_real_world_element_order (void)
{
  static const char * const orders[] = {
    "<DLSMessage><Message nonce=\"AB\"><Action>Restart</Action><ReasonForContact></ReasonForContact>"
    "<ItemList><Item name=\"restart-type\">factory-reset</Item></ItemList></Message></DLSMessage>",
    "<DLSMessage><Message nonce=\"AB\"><ReasonForContact></ReasonForContact><Action>Restart</Action>"
    "<ItemList><Item name=\"restart-type\">factory-reset</Item></ItemList></Message></DLSMessage>",
    "<DLSMessage><Message nonce=\"AB\"><ItemList><Item name=\"restart-type\">factory-reset</Item>"
    "</ItemList><ReasonForContact/><Action>Restart</Action></Message></DLSMessage>",
    "<DLSMessage><Message nonce=\"AB\"><Action>Restart</Action></Message>"
    "<ItemList><Item name=\"restart-type\">factory-reset</Item></ItemList></DLSMessage>",
  };
  g_autoptr(WpiMessage) first = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (orders); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiMessage) message = wpi_message_parse (orders[i], strlen (orders[i]), &error);

      g_assert_no_error (error);
      g_assert_cmpstr (wpi_message_get_action_string (message), ==, "Restart");
      if (first == NULL)
        first = g_object_ref (message);
      else
        g_assert_true (wpi_message_equal (first, message));
    }
}

/* The streamed JSON (wpi-decode --json) has the signature as json-glib's tree has it */
static void
assert_json_streamed_as_built (WpiMessage *message)
{
  g_autoptr(JsonNode) node = wpi_message_to_json_node (message);
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *built = NULL;
  g_autofree char *streamed = wpi_message_to_json (message);

  json_generator_set_root (generator, node);
  built = json_generator_to_data (generator, NULL);
  g_assert_cmpstr (streamed, ==, built);
}

/* The signature itself, with a certificate: the state it must come to */
static void
assert_verification (const char        *certificate_name,
                     WpiSignatureState  expected)
{
  g_autofree char *path = test_util_cert_path (certificate_name);
  gsize length = 0;
  char *pem = test_util_read_file (path, &length);
  g_autoptr(GBytes) certificate = g_bytes_new_take (pem, length);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiMessage) message = decode_fixture ("vendor-dls-signed.xml", &error);
  WpiSignature *signature;

  g_assert_no_error (error);
  signature = wpi_message_get_signature (message);
  g_assert_cmpint (wpi_signature_verify (signature, certificate), ==, expected == WPI_SIGNATURE_VERIFIED);
  g_assert_cmpint (wpi_signature_get_state (signature), ==, expected);
  assert_json_streamed_as_built (message);
}

/* The key that made it verifies it; the CA's key does not */
static void
test_real_world_signature_verified (void)
{
  assert_verification ("server.crt", WPI_SIGNATURE_VERIFIED);
  assert_verification ("ca.crt", WPI_SIGNATURE_INVALID);
}

/* wpi-decode: exit status, what --strict prints on stderr, the signature section */
typedef struct {
  const char *args[4];      /* options before the file; NULL-terminated */
  const char *file;
  int         status;
  const char *out;          /* a line stdout must contain, or NULL */
  const char *err;          /* a text stderr must contain, or NULL */
} CliCase;

static const CliCase cli_cases[] = {
  { { "--strict", NULL }, "gemeinschaft5-writeitems-dlsmessage-case.xml", 0,
    "WorkPoint Interface, DLSMessage (service to phone)",
    "gemeinschaft5-writeitems-dlsmessage-case.xml: warning: R21: root element <DlsMessage>" },
  { { "--strict", NULL }, "writeup-phone-empty-nonce.xml", 0, "        nonce: \n", "warning: R25: " },
  { { NULL }, "writeup-phone-empty-nonce.xml", 0, "ItemList: 5 items", NULL },
  { { "--strict", NULL }, "vendor-dls-signed-tampered.xml", 0,
    "DigestValue: AvE0/BCYbmHbWSo3z38Q0s0RxC4= (does not match)",
    "warning: R22: the signed message does not match the signature's digest" },
  { { "--dls-cert", "@server.crt", NULL }, "vendor-dls-signed.xml", 0, "signature: verified", NULL },
  { { "--json", NULL }, "vendor-dls-signed.xml", 0,
    "\"digest\":\"matches\",\"verification\":\"not checked\"", NULL },
  { { "--dls-cert", "/nonexistent/dls.crt", NULL }, "vendor-dls-signed.xml", 1, NULL, "wpi-decode: " },
};

static void
test_real_world_cli (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cli_cases); i++)
    {
      const CliCase *c = &cli_cases[i];
      g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_ptr_array_add (argv, g_strdup (WPI_DECODE_PATH));
      for (guint a = 0; c->args[a] != NULL; a++)
        g_ptr_array_add (argv, c->args[a][0] == '@' ? test_util_cert_path (c->args[a] + 1)
                                                    : g_strdup (c->args[a]));
      g_ptr_array_add (argv, g_test_build_filename (G_TEST_DIST, "fixtures", "real-world", c->file, NULL));
      g_ptr_array_add (argv, NULL);

      g_test_message ("wpi-decode %s %s", c->args[0] ? c->args[0] : "", c->file);
      g_assert_cmpint (test_util_run ((const char * const *) argv->pdata, NULL, &out, &err), ==, c->status);
      if (c->out != NULL)
        g_assert_nonnull (strstr (out, c->out));
      if (c->err != NULL)
        g_assert_nonnull (strstr (err, c->err));
      else
        g_assert_cmpstr (err, ==, "");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/real-world/corpus", test_real_world_corpus);
  g_test_add_func ("/real-world/empty-nonce-refused", test_real_world_empty_nonce_refused);
  g_test_add_func ("/real-world/element-order", test_real_world_element_order);
  g_test_add_func ("/real-world/signature-verified", test_real_world_signature_verified);
  g_test_add_func ("/real-world/cli", test_real_world_cli);

  return g_test_run ();
}
