/* test-bundle.c: PINs (D9) and the secure-mode-data bundle (D8), including the stock
 * `openssl enc` command line in both directions. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "wpi-bundle.h"
#include "wpi-pin.h"
#include "test-util.h"

/* Fewer iterations where the test is about the format, not the cost. */
#define FAST_ITERATIONS 1000

static const char *test_pin = "123456789012";

static WpiBootstrapData *
sample_data (void)
{
  const char *cas[] = {
    "-----BEGIN CERTIFICATE-----\nMIIBfirst\n-----END CERTIFICATE-----\n",
    "-----BEGIN CERTIFICATE-----\nMIIBsecond & <third>\n-----END CERTIFICATE-----\n",
    NULL,
  };

  return wpi_bootstrap_data_new ("MIIKpQIBAzCCCm8GCSqGSIb3DQEHAaCCCmAEggpcMIIKWDCCBP8GCSqGSIb3DQEHBqCC",
                                 cas, 18444);
}

static void
assert_data_equal (const WpiBootstrapData *a,
                   const WpiBootstrapData *b)
{
  g_assert_cmpstr (a->client_certificate, ==, b->client_certificate);
  g_assert_cmpuint (a->secure_port, ==, b->secure_port);
  g_assert_true (g_strv_equal ((const char * const *) a->server_cas,
                               (const char * const *) b->server_cas));
}

/* ---- PIN ------------------------------------------------------------------ */

static void
test_pin_generate (void)
{
  guint lengths[] = { WPI_PIN_MIN_LENGTH, WPI_PIN_DEFAULT_LENGTH, WPI_PIN_MAX_LENGTH };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *pin = wpi_pin_generate (lengths[i], &error);

      g_assert_no_error (error);
      g_assert_cmpuint (strlen (pin), ==, lengths[i]);
      for (const char *p = pin; *p != '\0'; p++)
        g_assert_true (g_ascii_isdigit (*p));
    }
}

static void
test_pin_invalid_length (void)
{
  guint lengths[] = { 0, 3, WPI_PIN_MIN_LENGTH - 1, WPI_PIN_MAX_LENGTH + 1, 1000 };

  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *pin = wpi_pin_generate (lengths[i], &error);

      g_assert_error (error, WPI_PIN_ERROR, WPI_PIN_ERROR_INVALID_LENGTH);
      g_assert_null (pin);
    }
}

/* Every digit appears about equally often and PINs do not repeat. A modulo-biased
 * generator puts 0..5 about 4 % above 6..9; the bounds are wide enough that an
 * unbiased one never fails, and a broken one (constant, one digit missing) always does. */
static void
test_pin_distribution (void)
{
  guint counts[10] = { 0 };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const guint n_pins = 2000;

  for (guint i = 0; i < n_pins; i++)
    {
      g_autoptr(GError) error = NULL;
      char *pin = wpi_pin_generate (WPI_PIN_MAX_LENGTH, &error);

      g_assert_no_error (error);
      for (const char *p = pin; *p != '\0'; p++)
        counts[*p - '0']++;
      g_assert_false (g_hash_table_contains (seen, pin));
      g_hash_table_add (seen, pin);
    }

  for (guint digit = 0; digit < 10; digit++)
    {
      g_test_message ("digit %u: %u", digit, counts[digit]);
      g_assert_cmpuint (counts[digit], >, 3600);
      g_assert_cmpuint (counts[digit], <, 4400);
    }
}

static void
test_pin_tan (void)
{
  g_autofree char *password = wpi_pin_get_password (test_pin);
  g_autofree char *short_password = wpi_pin_get_password ("123");

  g_assert_cmpstr (wpi_pin_get_tan (test_pin), ==, "012");
  g_assert_cmpstr (password, ==, "123456789");
  g_assert_null (wpi_pin_get_tan ("123"));
  g_assert_null (short_password);
  g_assert_cmpstr (wpi_pin_get_tan ("1234"), ==, "234");

  g_assert_true (wpi_pin_tan_equal ("321", "321"));
  g_assert_false (wpi_pin_tan_equal ("321", "322"));
  g_assert_false (wpi_pin_tan_equal ("321", "921"));
  g_assert_false (wpi_pin_tan_equal ("321", "32"));
  g_assert_false (wpi_pin_tan_equal ("321", "3210"));
  g_assert_false (wpi_pin_tan_equal ("321", ""));
  g_assert_false (wpi_pin_tan_equal ("", ""));
  g_assert_false (wpi_pin_tan_equal ("321", NULL));
  g_assert_false (wpi_pin_tan_equal (NULL, "321"));
}

/* ---- Packing -------------------------------------------------------------- */

static void
test_pack_roundtrip (void)
{
  g_autoptr(WpiBootstrapData) data = sample_data ();
  g_autoptr(WpiBootstrapData) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *document = NULL;
  gsize length = 0;

  document = wpi_bundle_pack (data, &length, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (document), ==, length);
  test_util_assert_contains_all (document,
                                 "<ItemList xmlns=\"http://www.siemens.com/DLS\">",
                                 "<Item name=\"dls-client-certificate\">",
                                 "<Item name=\"dls-server-ca\" index=\"0\">",
                                 "<Item name=\"dls-server-ca\" index=\"1\">",
                                 "<Item name=\"dls-secure-port\">18444</Item>",
                                 NULL);
  /* libxml2 escaped the markup characters. */
  g_assert_nonnull (strstr (document, "MIIBsecond &amp; &lt;third&gt;"));

  back = wpi_bundle_unpack (document, length, &error);
  g_assert_no_error (error);
  assert_data_equal (data, back);
}

static void
test_pack_invalid (void)
{
  const char *cas[] = { "PEM", NULL };
  const char *empty_cas[] = { NULL };
  struct {
    const char         *certificate;
    const char * const *cas;
    guint               port;
  } cases[] = {
    { NULL, cas, 18444 },
    { "", cas, 18444 },
    { "P12", empty_cas, 18444 },
    { "P12", cas, 0 },
    { "P12", cas, 65536 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WpiBootstrapData) data = wpi_bootstrap_data_new (cases[i].certificate, cases[i].cas,
                                                                 cases[i].port);
      g_autoptr(GError) error = NULL;
      g_autofree char *document = wpi_bundle_pack (data, NULL, &error);
      g_autofree char *sealed = NULL;

      g_assert_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_DATA);
      g_assert_null (document);
      g_clear_error (&error);

      sealed = wpi_bundle_seal (data, test_pin, FAST_ITERATIONS, &error);
      g_assert_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_DATA);
      g_assert_null (sealed);
    }
}

static void
test_unpack_accepts (void)
{
  /* No namespace, indexes out of order, white space and a comment. */
  const char *document =
    "<?xml version=\"1.0\"?>\n"
    "<ItemList>\n"
    "  <!-- bootstrap -->\n"
    "  <Item name=\"dls-server-ca\" index=\"1\">B</Item>\n"
    "  <Item name=\"dls-secure-port\"> 443 </Item>\n"
    "  <Item name=\"dls-server-ca\" index=\"0\">A</Item>\n"
    "  <Item name=\"dls-client-certificate\"><![CDATA[P12]]></Item>\n"
    "</ItemList>\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiBootstrapData) data = wpi_bundle_unpack (document, strlen (document), &error);

  g_assert_no_error (error);
  g_assert_cmpstr (data->client_certificate, ==, "P12");
  g_assert_cmpuint (data->secure_port, ==, 443);
  g_assert_cmpuint (g_strv_length (data->server_cas), ==, 2);
  g_assert_cmpstr (data->server_cas[0], ==, "A");
  g_assert_cmpstr (data->server_cas[1], ==, "B");
}

#define CERT "<Item name=\"dls-client-certificate\">P12</Item>"
#define CA0  "<Item name=\"dls-server-ca\" index=\"0\">A</Item>"
#define PORT "<Item name=\"dls-secure-port\">18444</Item>"

static void
test_unpack_rejects (void)
{
  struct {
    const char     *document;
    WpiBundleError  code;
  } cases[] = {
    { "", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 PORT, WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<WorkpointMessage>" CERT CA0 PORT "</WorkpointMessage>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList xmlns=\"urn:other\">" CERT CA0 PORT "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CA0 PORT "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT PORT "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CERT CA0 PORT "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 CA0 PORT "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 PORT PORT "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT "<Item name=\"dls-server-ca\" index=\"1\">B</Item>" PORT "</ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT "<Item name=\"dls-server-ca\">B</Item>" PORT "</ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT "<Item name=\"dls-server-ca\" index=\"-1\">B</Item>" PORT "</ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 "<Item name=\"dls-secure-port\">0</Item></ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 "<Item name=\"dls-secure-port\">70000</Item></ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 "<Item name=\"dls-secure-port\">port</Item></ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 PORT "<Item name=\"admin-pwd\">x</Item></ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 PORT "<Other/></ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>" CERT CA0 PORT "<Item>x</Item></ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList><Item name=\"dls-client-certificate\"><b>P12</b></Item>" CA0 PORT "</ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList><Item name=\"dls-client-certificate\" index=\"0\">P12</Item>" CA0 PORT "</ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    /* A DTD, with or without an entity that would expand. */
    { "<!DOCTYPE ItemList [<!ENTITY e \"P12\">]><ItemList>"
      "<Item name=\"dls-client-certificate\">&e;</Item>" CA0 PORT "</ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<!DOCTYPE ItemList SYSTEM \"http://127.0.0.1:1/x.dtd\"><ItemList>" CERT CA0 PORT "</ItemList>",
      WPI_BUNDLE_ERROR_INVALID_CONTENT },
    { "<ItemList>\xff\xfe" CERT CA0 PORT "</ItemList>", WPI_BUNDLE_ERROR_INVALID_CONTENT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiBootstrapData) data = wpi_bundle_unpack (cases[i].document,
                                                            strlen (cases[i].document), &error);

      g_test_message ("case %u: %s", i, error != NULL ? error->message : "(accepted)");
      g_assert_error (error, WPI_BUNDLE_ERROR, (int) cases[i].code);
      g_assert_null (data);
    }
}

/* ---- Sealing -------------------------------------------------------------- */

static void
test_seal_open (void)
{
  g_autoptr(WpiBootstrapData) data = sample_data ();
  g_autoptr(WpiBootstrapData) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sealed = NULL;
  g_autofree char *sealed_again = NULL;
  g_autofree guint8 *raw = NULL;
  gsize raw_length = 0;

  sealed = wpi_bundle_seal (data, test_pin, FAST_ITERATIONS, &error);
  g_assert_no_error (error);
  g_assert_null (strchr (sealed, '\n'));
  g_assert_null (strchr (sealed, '\r'));

  raw = g_base64_decode (sealed, &raw_length);
  g_assert_cmpuint (raw_length, >=, 32);
  g_assert_cmpmem (raw, 8, "Salted__", 8);
  g_assert_cmpuint ((raw_length - 16) % 16, ==, 0);

  back = wpi_bundle_open (sealed, test_pin, FAST_ITERATIONS, &error);
  g_assert_no_error (error);
  assert_data_equal (data, back);

  /* A fresh salt every time. */
  sealed_again = wpi_bundle_seal (data, test_pin, FAST_ITERATIONS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sealed, !=, sealed_again);
}

/* The TAN is not part of the key: only the PIN minus its last 3 digits matters. */
static void
test_open_ignores_tan (void)
{
  g_autoptr(WpiBootstrapData) data = sample_data ();
  g_autoptr(WpiBootstrapData) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sealed = wpi_bundle_seal (data, "123456789012", FAST_ITERATIONS, &error);

  g_assert_no_error (error);
  back = wpi_bundle_open (sealed, "123456789999", FAST_ITERATIONS, &error);
  g_assert_no_error (error);
  assert_data_equal (data, back);
}

static void
test_open_wrong_pin (void)
{
  g_autoptr(WpiBootstrapData) data = sample_data ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sealed = wpi_bundle_seal (data, test_pin, FAST_ITERATIONS, &error);

  g_assert_no_error (error);

  /* Many wrong PINs: about one in 256 passes the padding check by chance and must
   * then be caught by the XML check. */
  for (guint i = 0; i < 300; i++)
    {
      g_autofree char *wrong = g_strdup_printf ("%09u012", 100000000 + i * 7919);
      g_autoptr(WpiBootstrapData) opened = NULL;

      if (g_str_equal (wrong, test_pin))
        continue;
      opened = wpi_bundle_open (sealed, wrong, FAST_ITERATIONS, &error);
      g_assert_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN);
      g_assert_true (g_str_has_prefix (error->message, "Wrong PIN"));
      g_assert_null (opened);
      g_clear_error (&error);
    }

  /* The right PIN with the wrong iteration count is a wrong key too. */
  {
    g_autoptr(WpiBootstrapData) opened = wpi_bundle_open (sealed, test_pin, FAST_ITERATIONS + 1, &error);

    g_assert_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN);
    g_assert_null (opened);
  }
}

static void
test_open_malformed (void)
{
  g_autoptr(WpiBootstrapData) data = sample_data ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sealed = wpi_bundle_seal (data, test_pin, FAST_ITERATIONS, &error);
  g_autofree char *not_salted = g_base64_encode ((const guint8 *) "Plain___12345678abcdefghijklmnop", 32);
  g_autofree char *truncated = NULL;
  g_autofree guint8 *raw = NULL;
  gsize raw_length = 0;
  struct {
    const char     *value;
    const char     *pin;
    WpiBundleError  code;
  } cases[] = {
    { "", test_pin, WPI_BUNDLE_ERROR_MALFORMED },
    { "not base64 at all!", test_pin, WPI_BUNDLE_ERROR_MALFORMED },
    { "U2FsdGVkX18=", test_pin, WPI_BUNDLE_ERROR_MALFORMED },
    { NULL /* not_salted */, test_pin, WPI_BUNDLE_ERROR_MALFORMED },
    { NULL /* truncated */, test_pin, WPI_BUNDLE_ERROR_MALFORMED },
    { NULL /* sealed */, "123", WPI_BUNDLE_ERROR_INVALID_PIN },
    { NULL /* sealed */, "", WPI_BUNDLE_ERROR_INVALID_PIN },
  };

  g_assert_no_error (error);
  raw = g_base64_decode (sealed, &raw_length);
  truncated = g_base64_encode (raw, raw_length - 5);
  cases[3].value = not_salted;
  cases[4].value = truncated;
  cases[5].value = sealed;
  cases[6].value = sealed;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WpiBootstrapData) opened = wpi_bundle_open (cases[i].value, cases[i].pin,
                                                            FAST_ITERATIONS, &error);

      g_test_message ("case %u: %s", i, error != NULL ? error->message : "(accepted)");
      g_assert_error (error, WPI_BUNDLE_ERROR, (int) cases[i].code);
      g_assert_null (opened);
      g_clear_error (&error);
    }

  /* Sealing needs a PIN longer than its TAN as well. */
  {
    g_autofree char *bad = wpi_bundle_seal (data, "999", FAST_ITERATIONS, &error);

    g_assert_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_PIN);
    g_assert_null (bad);
  }
}

/* ---- The stock command line ---------------------------------------------- */

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

static gboolean
run_shell (const char  *script,
           const char  *password,
           char       **out,
           char       **err)
{
  const char *argv[] = { "/bin/sh", "-c", script, NULL };
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "BUNDLE_PASSWORD", password, TRUE);
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                               out, err, &status, &error));
  g_assert_no_error (error);

  return g_spawn_check_wait_status (status, NULL);
}

static char *
write_temp (const char *dir,
            const char *name,
            const char *contents)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

static void
test_openssl_decrypts (void)
{
  g_autoptr(WpiBootstrapData) data = sample_data ();
  g_autoptr(GError) error = NULL;
  g_autofree char *sealed = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *script = NULL;
  g_autofree char *password = NULL;
  g_autofree char *wrong_password = NULL;
  g_autofree char *pin = NULL;
  g_autoptr(WpiBootstrapData) opened = NULL;
  char *out = NULL;
  char *err = NULL;

  if (!have_program ("openssl") || !have_program ("base64"))
    {
      g_test_skip ("openssl or base64 is not installed");
      return;
    }

  pin = wpi_pin_generate (WPI_PIN_DEFAULT_LENGTH, &error);
  g_assert_no_error (error);
  password = wpi_pin_get_password (pin);
  /* Change one digit of the password part for the wrong PIN. */
  wrong_password = g_strdup (password);
  wrong_password[0] = wrong_password[0] == '9' ? '0' : wrong_password[0] + 1;

  /* The default iteration count, as the decision's command line has it. */
  sealed = wpi_bundle_seal (data, pin, 0, &error);
  g_assert_no_error (error);

  /* Also check that what the phone would open is what we sealed. */
  opened = wpi_bundle_open (sealed, pin, WPI_BUNDLE_DEFAULT_ITERATIONS, &error);
  g_assert_no_error (error);
  assert_data_equal (data, opened);

  dir = test_util_make_tmp_dir ("wpi-bundle");
  path = write_temp (dir, "secure-mode-data.b64", sealed);

  script = g_strdup_printf ("base64 -d < '%s' | openssl enc -d -aes-256-cbc -pbkdf2 -iter 100000 "
                            "-md sha256 -pass env:BUNDLE_PASSWORD", path);

  g_assert_true (run_shell (script, password, &out, &err));
  g_test_message ("openssl: %s", err);
  test_util_assert_contains_all (out,
                                 "<Item name=\"dls-client-certificate\">",
                                 "<Item name=\"dls-server-ca\" index=\"0\">",
                                 "<Item name=\"dls-server-ca\" index=\"1\">",
                                 "<Item name=\"dls-secure-port\">18444</Item>",
                                 NULL);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* The exact command of decision D8, with the password on the command line. */
  {
    g_autofree char *literal = g_strdup_printf ("base64 -d < '%s' | openssl enc -d -aes-256-cbc "
                                                "-pbkdf2 -iter 100000 -md sha256 -pass pass:%s",
                                                path, password);

    g_assert_true (run_shell (literal, "", &out, &err));
    g_assert_nonnull (strstr (out, "dls-secure-port"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* A wrong PIN fails there too (a bad decrypt, or at worst garbage without the items). */
  if (run_shell (script, wrong_password, &out, &err))
    g_assert_null (strstr (out, "dls-secure-port"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  test_util_remove_tree (dir);
}

/* And the other way: what the stock command encrypts, the phone side opens. */
static void
test_openssl_encrypts (void)
{
  g_autoptr(WpiBootstrapData) data = sample_data ();
  g_autoptr(GError) error = NULL;
  g_autofree char *document = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *script = NULL;
  g_autoptr(WpiBootstrapData) opened = NULL;
  char *out = NULL;
  char *err = NULL;

  if (!have_program ("openssl"))
    {
      g_test_skip ("openssl is not installed");
      return;
    }

  document = wpi_bundle_pack (data, NULL, &error);
  g_assert_no_error (error);

  dir = test_util_make_tmp_dir ("wpi-bundle");
  path = write_temp (dir, "bundle.xml", document);

  script = g_strdup_printf ("openssl enc -e -aes-256-cbc -pbkdf2 -iter %d -md sha256 -A -base64 "
                            "-pass env:BUNDLE_PASSWORD -in '%s'", FAST_ITERATIONS, path);
  g_assert_true (run_shell (script, "123456789", &out, &err));
  g_strstrip (out);

  opened = wpi_bundle_open (out, test_pin, FAST_ITERATIONS, &error);
  g_assert_no_error (error);
  assert_data_equal (data, opened);

  g_free (out);
  g_free (err);
  test_util_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pin/generate", test_pin_generate);
  g_test_add_func ("/pin/invalid-length", test_pin_invalid_length);
  g_test_add_func ("/pin/distribution", test_pin_distribution);
  g_test_add_func ("/pin/tan", test_pin_tan);
  g_test_add_func ("/bundle/pack-roundtrip", test_pack_roundtrip);
  g_test_add_func ("/bundle/pack-invalid", test_pack_invalid);
  g_test_add_func ("/bundle/unpack-accepts", test_unpack_accepts);
  g_test_add_func ("/bundle/unpack-rejects", test_unpack_rejects);
  g_test_add_func ("/bundle/seal-open", test_seal_open);
  g_test_add_func ("/bundle/open-ignores-tan", test_open_ignores_tan);
  g_test_add_func ("/bundle/open-wrong-pin", test_open_wrong_pin);
  g_test_add_func ("/bundle/open-malformed", test_open_malformed);
  g_test_add_func ("/bundle/openssl-decrypts", test_openssl_decrypts);
  g_test_add_func ("/bundle/openssl-encrypts", test_openssl_encrypts);

  return g_test_run ();
}
