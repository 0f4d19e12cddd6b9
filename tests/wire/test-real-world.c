/* test-real-world.c: messages as real servers and phones write them (D20)
 *
 * Every file of tests/fixtures/real-world/ (its README.md says where each form comes
 * from) decodes as described in one table: the message read, and the rules --strict
 * names for it, in order. Then what the table cannot say: the service's refusal of an
 * empty nonce, element order, the signature checked with a certificate, and wpi-decode
 * on a few of the files.
 */
#include "config.h"

#include <string.h>

#include "wpi-codec.h"
#include "wpi-rules.h"
#include "test-util.h"

typedef struct {
  const char     *file;
  WpiMessageKind  kind;
  const char     *nonce;
  const char     *what;          /* ReasonForContact of a phone message, Action of a service one */
  guint           n_items;
  const char     *item_name;     /* one item, its value exact as on the wire */
  const char     *item_value;
  WpiDigestState  digest;        /* only for signed files */
  gboolean        signed_message;
  const char     *rules;         /* the rule names --strict gives, in order, space-separated */
} RealWorldCase;

static const RealWorldCase real_world_cases[] = {
  { "gemeinschaft5-writeitems-dlsmessage-case.xml", WPI_MESSAGE_KIND_DLS,
    "6A1F0C2B9E4D7A3850B1C6E2F9D40A17", "WriteItems", 6, "display-id-unicode", "Empfang",
    0, FALSE, "R21 R27" },
  { "express-softwaredeployment-dlsmessage-case.xml", WPI_MESSAGE_KIND_DLS,
    "3C5E7A9B1D2F4068A0B2C4D6E8F01234", "SoftwareDeployment", 5, "file-sw-version", "3.5.12.0",
    0, FALSE, "R21" },
  { "express-filedeployment-bad-priority.xml", WPI_MESSAGE_KIND_DLS,
    "5566778899AABBCCDDEEFF0011223344", "FileDeployment", 3, "file-priority", "high",
    0, FALSE, "R26" },
  { "dlsir-writeitems-empty-reason.xml", WPI_MESSAGE_KIND_DLS,
    "9D8C7B6A5F4E3D2C1B0A998877665544", "WriteItems", 6, "vlan-method", "2",
    0, FALSE, "R24" },
  { "dlsir-reason-before-action.xml", WPI_MESSAGE_KIND_DLS,
    "11223344556677889900AABBCCDDEEFF", "ReadAllItems", 0, NULL, NULL,
    0, FALSE, "R24" },
  { "dlsir-softwaredeployment-phone-version.xml", WPI_MESSAGE_KIND_DLS,
    "0F1E2D3C4B5A69788796A5B4C3D2E1F0", "SoftwareDeployment", 5, "file-sw-version", "V3 R5.12.0",
    0, FALSE, "R24 R28" },
  { "vendor-dls-signed.xml", WPI_MESSAGE_KIND_DLS,
    "7E6D5C4B3A29180F7E6D5C4B3A291801", "WriteItems", 3, "e164", "2002",
    WPI_DIGEST_MATCHES, TRUE, "R22" },
  { "vendor-dls-signed-tampered.xml", WPI_MESSAGE_KIND_DLS,
    "7E6D5C4B3A29180F7E6D5C4B3A291801", "WriteItems", 3, "e164", "2009",
    WPI_DIGEST_DOES_NOT_MATCH, TRUE, "R22 R22" },
  { "vendor-dls-signed-enveloped.xml", WPI_MESSAGE_KIND_DLS,
    "2468ACE013579BDF2468ACE013579BDF", "ReadItems", 2, "software-version", "",
    WPI_DIGEST_MATCHES, TRUE, "R22" },
  { "writeup-phone-itemlist-sibling.xml", WPI_MESSAGE_KIND_WORKPOINT,
    "A1B2C3D4E5F60718293A4B5C6D7E8F90", "start-up", 6, "software-version", "V3 R1.41.1",
    0, FALSE, "R23" },
  { "writeup-phone-empty-nonce.xml", WPI_MESSAGE_KIND_WORKPOINT,
    "", "start-up", 5, "contact-me-uri", "http://127.0.0.2:8085/contact_dls.html/ContactDLS",
    0, FALSE, "R25" },
};

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

static void
assert_case (const RealWorldCase *c,
             WpiMessage          *message)
{
  WpiSignature *signature = wpi_message_get_signature (message);
  g_auto(GStrv) warnings = wpi_message_check_rules (message);
  g_autofree char *names = rule_names (warnings);
  const char *what = c->kind == WPI_MESSAGE_KIND_DLS ? wpi_message_get_action_string (message)
                                                      : wpi_message_get_reason_string (message);

  g_assert_cmpint (wpi_message_get_kind (message), ==, c->kind);
  g_assert_cmpstr (wpi_message_get_nonce (message), ==, c->nonce);
  g_assert_cmpstr (what, ==, c->what);
  g_assert_cmpuint (wpi_message_get_n_items (message), ==, c->n_items);
  if (c->item_name != NULL)
    g_assert_cmpstr (wpi_message_get_item_value (message, c->item_name), ==, c->item_value);
  g_assert_cmpint (signature != NULL, ==, c->signed_message);
  if (signature != NULL)
    {
      g_assert_cmpint (wpi_signature_get_digest_state (signature), ==, c->digest);
      g_assert_cmpint (wpi_signature_get_state (signature), ==, WPI_SIGNATURE_NOT_CHECKED);
    }
  g_assert_cmpstr (names, ==, c->rules);
}

static void
test_real_world_corpus (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (real_world_cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiMessage) message = decode_fixture (real_world_cases[i].file, &error);

      g_test_message ("%s", real_world_cases[i].file);
      g_assert_no_error (error);
      assert_case (&real_world_cases[i], message);
    }
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

/* The signature itself, with the certificate whose key made it and with another one */
static void
test_real_world_signature_verified (void)
{
  static const struct {
    const char        *certificate;
    WpiSignatureState  state;
  } checks[] = {
    { "server.crt", WPI_SIGNATURE_VERIFIED },
    { "ca.crt", WPI_SIGNATURE_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (checks); i++)
    {
      g_autofree char *path = test_util_cert_path (checks[i].certificate);
      g_autofree char *pem = NULL;
      gsize length = 0;
      g_autoptr(GBytes) certificate = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiMessage) message = decode_fixture ("vendor-dls-signed.xml", &error);
      WpiSignature *signature;

      g_assert_no_error (error);
      pem = test_util_read_file (path, &length);
      certificate = g_bytes_new (pem, length);
      signature = wpi_message_get_signature (message);
      g_assert_cmpint (wpi_signature_verify (signature, certificate), ==,
                       checks[i].state == WPI_SIGNATURE_VERIFIED);
      g_assert_cmpint (wpi_signature_get_state (signature), ==, checks[i].state);
    }
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
