/* test-pki.c: WpiPki on real files in a temporary directory, checked with GnuTLS,
 * GIO's TLS backend and the openssl command line.
 *
 * RSA key generation is the slow part, so the test makes few keys: one shared PKI
 * ("main") with two phones, one PKI of another CA, one external CA to import. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

#include "wpi-bundle.h"
#include "wpi-pki.h"
#include "test-util-service.h"

#define MAC1 "00:1A:E8:12:34:56"
#define MAC2 "00:1A:E8:AB:CD:EF"
#define MAC_OTHER "00:1A:E8:00:00:01"

typedef struct {
  char          *root;        /* temporary directory holding every PKI of the test */
  WpiPki        *pki;         /* root/main */
  WpiClientCert *phone1;      /* MAC1, issued by pki */
  WpiPki        *other_pki;   /* root/other: a different CA */
  WpiClientCert *other_phone; /* MAC1, issued by other_pki */
  WpiPki        *imported_pki; /* root/imported: takes the external CA */
  char          *external_ca_cert;
  char          *external_ca_key;
} Shared;

static Shared shared;

static char *
shared_path (const char *first,
             ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, shared.root);
  va_start (args, first);
  for (const char *part = first; part != NULL; part = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) part);
  va_end (args);
  g_ptr_array_add (parts, NULL);

  return g_build_filenamev ((char **) parts->pdata);
}

static WpiPki *
main_pki (void)
{
  if (shared.pki == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = shared_path ("main", NULL);

      shared.pki = wpi_pki_new (dir, NULL, &error);
      g_assert_no_error (error);
      shared.phone1 = wpi_pki_issue_client_cert (shared.pki, "00-1a-e8-12-34-56", NULL, &error);
      g_assert_no_error (error);
    }

  return shared.pki;
}

static WpiPki *
other_pki (void)
{
  if (shared.other_pki == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = shared_path ("other", NULL);

      shared.other_pki = wpi_pki_new (dir, NULL, &error);
      g_assert_no_error (error);
      shared.other_phone = wpi_pki_issue_client_cert (shared.other_pki, MAC1, NULL, &error);
      g_assert_no_error (error);
    }

  return shared.other_pki;
}

static char *
gnutls_datum_dup (gnutls_datum_t *datum)
{
  char *str = g_strndup ((const char *) datum->data, datum->size);

  gnutls_free (datum->data);
  return str;
}

/* A company CA made outside the console, with GnuTLS directly. */
static void
ensure_external_ca (void)
{
  if (shared.external_ca_cert == NULL)
    test_util_make_self_signed ("CN=Company Root CA,O=Example", TRUE,
                                &shared.external_ca_cert, &shared.external_ca_key);
}

static void
assert_mode (const char *path,
             guint       mode)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, mode);
}

static char *
crt_cn (gnutls_x509_crt_t crt)
{
  char name[256];
  size_t size = sizeof name;

  g_assert_cmpint (gnutls_x509_crt_get_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                                  name, &size), ==, 0);
  return g_strndup (name, size);
}

static gboolean
have_openssl (void)
{
  g_autofree char *path = g_find_program_in_path ("openssl");

  return path != NULL;
}

/* Runs openssl; returns whether it exited with 0. */
static gboolean
run_openssl (const char * const  *args,
             char               **out)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = -1;

  g_ptr_array_add (argv, "openssl");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("openssl %s: %s", args[0], err);

  return g_spawn_check_wait_status (status, NULL);
}

/* ---- Creation ------------------------------------------------------------- */

static void
test_create (void)
{
  WpiPki *pki = main_pki ();
  g_autofree char *dir = shared_path ("main", NULL);
  const char *files[] = { "ca.pem", "ca.crt", "server.pem", "crl.pem", NULL };
  g_autofree char *ca_pem = wpi_pki_get_ca_pem (pki);
  g_auto(GStrv) ca_pems = wpi_pki_get_ca_pems (pki);
  gnutls_x509_crt_t ca = test_util_parse_certificate (ca_pem);
  g_autofree char *cn = crt_cn (ca);
  unsigned int critical = 0;
  unsigned int is_ca = 0;
  unsigned int bits = 0;
  unsigned int key_usage = 0;
  int pathlen;
  gint64 validity;

  g_assert_cmpstr (wpi_pki_get_directory (pki), ==, dir);
  assert_mode (dir, 0700);
  for (guint i = 0; files[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (dir, files[i], NULL);

      assert_mode (path, 0600);
    }
  {
    g_autofree char *clients = g_build_filename (dir, "clients", NULL);

    assert_mode (clients, 0700);
  }
  {
    g_autofree char *ca_path = g_build_filename (dir, "ca.crt", NULL);

    g_assert_cmpstr (wpi_pki_get_ca_path (pki), ==, ca_path);
  }

  g_assert_cmpstr (cn, ==, WPI_PKI_CA_COMMON_NAME);
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (ca, &critical, &is_ca, &pathlen), >=, 0);
  g_assert_true (is_ca);
  g_assert_cmpint (gnutls_x509_crt_get_key_usage (ca, &key_usage, &critical), >=, 0);
  g_assert_true (key_usage & GNUTLS_KEY_KEY_CERT_SIGN);
  g_assert_cmpint (gnutls_x509_crt_get_pk_algorithm (ca, &bits), ==, GNUTLS_PK_RSA);
  g_assert_cmpuint (bits, ==, 2048);
  validity = gnutls_x509_crt_get_expiration_time (ca) - time (NULL);
  g_assert_cmpint (validity, >, (gint64) 20 * 365 * 86400 - 86400);
  g_assert_cmpint (validity, <, (gint64) 20 * 366 * 86400);

  g_assert_cmpuint (g_strv_length (ca_pems), ==, 1);
  g_assert_cmpstr (ca_pems[0], ==, ca_pem);

  gnutls_x509_crt_deinit (ca);
}

static time_t
mtime_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mtime;
}

static void
test_reopen (void)
{
  WpiPki *pki = main_pki ();
  g_autofree char *dir = shared_path ("main", NULL);
  g_autofree char *ca_file = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *server_file = g_build_filename (dir, "server.pem", NULL);
  g_autofree char *ca_before = NULL;
  g_autofree char *server_before = NULL;
  g_autofree char *ca_after = NULL;
  g_autofree char *server_after = NULL;
  g_autofree char *ca_pem = wpi_pki_get_ca_pem (pki);
  g_autofree char *server_pem = wpi_pki_get_server_cert_pem (pki);
  g_autoptr(WpiPki) again = NULL;
  g_autoptr(WpiClientCert) phone = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *again_ca_pem = NULL;
  g_autofree char *again_server_pem = NULL;
  time_t ca_mtime = mtime_of (ca_file);
  time_t server_mtime = mtime_of (server_file);

  g_file_get_contents (ca_file, &ca_before, NULL, NULL);
  g_file_get_contents (server_file, &server_before, NULL, NULL);

  again = wpi_pki_new (dir, NULL, &error);
  g_assert_no_error (error);

  again_ca_pem = wpi_pki_get_ca_pem (again);
  again_server_pem = wpi_pki_get_server_cert_pem (again);
  g_assert_cmpstr (again_ca_pem, ==, ca_pem);
  g_assert_cmpstr (again_server_pem, ==, server_pem);

  /* Not regenerated, not even rewritten. */
  g_file_get_contents (ca_file, &ca_after, NULL, NULL);
  g_file_get_contents (server_file, &server_after, NULL, NULL);
  g_assert_cmpstr (ca_before, ==, ca_after);
  g_assert_cmpstr (server_before, ==, server_after);
  g_assert_cmpint (mtime_of (ca_file), ==, ca_mtime);
  g_assert_cmpint (mtime_of (server_file), ==, server_mtime);

  /* The phone's certificate is found by the new instance too. */
  phone = wpi_pki_lookup_client_cert (again, MAC1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (phone->serial, ==, shared.phone1->serial);
  g_assert_cmpstr (phone->key_pem, ==, shared.phone1->key_pem);
}

static void
test_damaged_ca_is_an_error (void)
{
  g_autofree char *dir = shared_path ("damaged", NULL);
  g_autofree char *ca_file = g_build_filename (dir, "ca.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) pki = NULL;
  g_autofree char *contents = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (ca_file, "-----BEGIN PRIVATE KEY-----\ngarbage\n", -1, NULL));

  pki = wpi_pki_new (dir, NULL, &error);
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT);
  g_assert_null (pki);

  /* Never replaced behind the user's back. */
  g_file_get_contents (ca_file, &contents, NULL, NULL);
  g_assert_cmpstr (contents, ==, "-----BEGIN PRIVATE KEY-----\ngarbage\n");
  /* The directory was made private though. */
  assert_mode (dir, 0700);
}

/* ---- Server certificate --------------------------------------------------- */

/* A damaged server.pem is replaced (phones learn a server certificate on connect);
 * the CA stays. */
static void
test_damaged_server (void)
{
  g_autofree char *dir = shared_path ("damaged-server", NULL);
  g_autofree char *server_file = g_build_filename (dir, "server.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) first = wpi_pki_new (dir, NULL, &error);
  g_autoptr(WpiPki) second = NULL;
  g_autofree char *ca_first = NULL;
  g_autofree char *ca_second = NULL;
  g_autofree char *server_second = NULL;
  g_autoptr(GTlsCertificate) server = NULL;
  g_autoptr(GTlsCertificate) ca = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 18443);

  g_assert_no_error (error);
  ca_first = wpi_pki_get_ca_pem (first);
  g_assert_true (g_file_set_contents (server_file, "damaged", -1, NULL));

  g_test_expect_message ("wpi-service", G_LOG_LEVEL_WARNING, "Replacing the server certificate*");
  second = wpi_pki_new (dir, NULL, &error);
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  ca_second = wpi_pki_get_ca_pem (second);
  g_assert_cmpstr (ca_second, ==, ca_first);
  assert_mode (server_file, 0600);

  server = wpi_pki_get_server_certificate (second, &error);
  g_assert_no_error (error);
  ca = g_tls_certificate_new_from_pem (ca_second, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_tls_certificate_verify (server, identity, ca), ==, 0);
}

static void
test_server_certificate (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) server = wpi_pki_get_server_certificate (pki, &error);
  g_autoptr(GTlsCertificate) ca = NULL;
  g_autofree char *ca_pem = wpi_pki_get_ca_pem (pki);
  g_autofree char *server_pem = wpi_pki_get_server_cert_pem (pki);
  g_autofree char *private_key = NULL;
  g_auto(GStrv) names = wpi_pki_get_server_names (pki);
  gnutls_x509_crt_t crt = test_util_parse_certificate (server_pem);
  const char *identities[] = { "localhost", "127.0.0.1", NULL };
  unsigned int critical = 0;
  unsigned int key_usage = 0;
  char oid[128];
  size_t oid_size = sizeof oid;

  g_assert_no_error (error);
  g_assert_nonnull (server);
  g_object_get (server, "private-key-pem", &private_key, NULL);
  g_assert_nonnull (private_key);
  /* The chain goes along so that phones see the CA. */
  g_assert_nonnull (g_tls_certificate_get_issuer (server));

  g_assert_true (g_strv_contains ((const char * const *) names, "localhost"));
  g_assert_true (g_strv_contains ((const char * const *) names, "127.0.0.1"));
  g_assert_true (g_strv_contains ((const char * const *) names, g_get_host_name ()));

  ca = g_tls_certificate_new_from_pem (ca_pem, -1, &error);
  g_assert_no_error (error);

  for (guint i = 0; identities[i] != NULL; i++)
    {
      g_autoptr(GSocketConnectable) identity = g_network_address_new (identities[i], 18443);

      g_assert_cmpint (g_tls_certificate_verify (server, identity, ca), ==, 0);
    }

  g_assert_cmpint (gnutls_x509_crt_get_key_usage (crt, &key_usage, &critical), >=, 0);
  g_assert_true (key_usage & GNUTLS_KEY_DIGITAL_SIGNATURE);
  g_assert_cmpint (gnutls_x509_crt_get_key_purpose_oid (crt, 0, oid, &oid_size, NULL), ==, 0);
  g_assert_cmpstr (oid, ==, GNUTLS_KP_TLS_WWW_SERVER);

  gnutls_x509_crt_deinit (crt);
}

/* ---- Client certificates --------------------------------------------------- */

static void
test_client_issue (void)
{
  WpiPki *pki = main_pki ();
  WpiClientCert *phone = shared.phone1;
  g_autofree char *dir = shared_path ("main", "clients", "001AE8123456", NULL);
  g_autofree char *current = g_build_filename (dir, "current.pem", NULL);
  g_autofree char *history_name = g_strconcat (phone->serial, ".crt", NULL);
  g_autofree char *history = g_build_filename (dir, history_name, NULL);
  gnutls_x509_crt_t crt = test_util_parse_certificate (phone->cert_pem);
  g_autofree char *cn = crt_cn (crt);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) found = NULL;
  unsigned int critical = 0;
  unsigned int key_usage = 0;
  unsigned int is_ca = 1;
  int pathlen;
  char oid[128];
  size_t oid_size = sizeof oid;
  gint64 validity;

  (void) pki;
  g_assert_cmpstr (phone->mac, ==, MAC1);
  g_assert_cmpstr (cn, ==, MAC1);
  g_assert_nonnull (phone->key_pem);
  g_assert_true (g_str_has_prefix (phone->key_pem, "-----BEGIN PRIVATE KEY-----"));
  g_assert_cmpuint (strlen (phone->serial), ==, 32);

  g_assert_cmpint (gnutls_x509_crt_get_key_usage (crt, &key_usage, &critical), >=, 0);
  g_assert_cmpuint (key_usage, ==, GNUTLS_KEY_DIGITAL_SIGNATURE);
  g_assert_cmpint (gnutls_x509_crt_get_key_purpose_oid (crt, 0, oid, &oid_size, NULL), ==, 0);
  g_assert_cmpstr (oid, ==, GNUTLS_KP_TLS_WWW_CLIENT);
  g_assert_cmpint (gnutls_x509_crt_get_basic_constraints (crt, &critical, &is_ca, &pathlen), >=, 0);
  g_assert_false (is_ca);

  validity = phone->not_after - time (NULL);
  g_assert_cmpint (validity, >, (gint64) 10 * 365 * 86400 - 86400);
  g_assert_cmpint (validity, <=, (gint64) 10 * 365 * 86400);
  g_assert_cmpint (phone->not_after, ==, gnutls_x509_crt_get_expiration_time (crt));

  assert_mode (dir, 0700);
  assert_mode (current, 0600);
  assert_mode (history, 0600);

  found = wpi_pki_lookup_client_cert (shared.pki, "001ae8123456", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->serial, ==, phone->serial);
  g_assert_cmpstr (found->cert_pem, ==, phone->cert_pem);
  g_assert_cmpstr (found->key_pem, ==, phone->key_pem);

  gnutls_x509_crt_deinit (crt);
}

static void
test_client_errors (void)
{
  WpiPki *pki = main_pki ();
  const char *bad_macs[] = { "", "00:1A:E8:12:34", "00:1A:E8:12:34:56:78", "00:1A:E8:12:34:5G",
                             "00:1A-E8:12:34:56", ":001AE8123456", "001AE8123456:", "0:01A:E8:12:34:56",
                             "001A:E8:12:34:56", "00::1AE8:12:34:56", "001A.E812.34.56", "0.01AE8123456",
                             "00 1A E8 12 34 56", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) missing = NULL;

  for (guint i = 0; bad_macs[i] != NULL; i++)
    {
      g_autoptr(WpiClientCert) cert = wpi_pki_issue_client_cert (pki, bad_macs[i], shared.phone1->key_pem, &error);

      g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_MAC);
      g_assert_null (cert);
      g_clear_error (&error);
    }

  missing = wpi_pki_lookup_client_cert (pki, "02:00:00:00:00:99", &error);
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND);
  g_assert_null (missing);
  g_clear_error (&error);

  {
    g_autoptr(WpiClientCert) cert = wpi_pki_issue_client_cert (pki, MAC2, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", &error);

    g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT);
    g_assert_null (cert);
  }
}

static void
test_client_validity (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) cert = NULL;
  gint64 validity;

  wpi_pki_set_client_validity_days (pki, 30);
  g_assert_cmpuint (wpi_pki_get_client_validity_days (pki), ==, 30);
  /* Another phone, reusing a key to save generating one. */
  cert = wpi_pki_issue_client_cert (pki, MAC_OTHER, shared.phone1->key_pem, &error);
  wpi_pki_set_client_validity_days (pki, WPI_PKI_DEFAULT_CLIENT_VALIDITY_DAYS);
  g_assert_no_error (error);

  validity = cert->not_after - time (NULL);
  g_assert_cmpint (validity, >, 29 * 86400);
  g_assert_cmpint (validity, <=, 30 * 86400);
  g_assert_cmpstr (cert->serial, !=, shared.phone1->serial);
}

/* ---- Verification ---------------------------------------------------------- */

static void
test_verify_ok (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autofree char *mac = NULL;
  g_autofree char *mac2 = NULL;
  g_autoptr(GTlsCertificate) tls_cert = NULL;
  g_autofree char *ca_pem = wpi_pki_get_ca_pem (pki);
  g_autofree char *chain = g_strconcat (shared.phone1->cert_pem, ca_pem, NULL);
  g_autofree char *with_key = g_strconcat (shared.phone1->key_pem, shared.phone1->cert_pem, NULL);

  g_assert_true (wpi_pki_verify_peer_pem (pki, shared.phone1->cert_pem, "00:1a:e8:12:34:56", &mac, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (mac, ==, MAC1);

  /* Without an expected MAC, with the CA sent along. */
  g_assert_true (wpi_pki_verify_peer_pem (pki, chain, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Through a GTlsCertificate, as a GTlsConnection hands it over. */
  tls_cert = g_tls_certificate_new_from_pem (with_key, -1, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_verify_peer (pki, tls_cert, MAC1, &mac2, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (mac2, ==, MAC1);
}

static void
test_verify_wrong_mac (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  char *mac = (char *) "untouched";

  g_assert_false (wpi_pki_verify_peer_pem (pki, shared.phone1->cert_pem, MAC2, &mac, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_WRONG_MAC);
  g_assert_null (mac);
  g_clear_error (&error);

  g_assert_false (wpi_pki_verify_peer_pem (pki, shared.phone1->cert_pem, "not a mac", NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_MAC);
  g_clear_error (&error);

  /* A certificate of ours that names no phone: the server certificate. */
  {
    g_autofree char *server_pem = wpi_pki_get_server_cert_pem (pki);

    g_assert_false (wpi_pki_verify_peer_pem (pki, server_pem, NULL, NULL, &error));
    /* It is refused for its purpose (serverAuth only) before its name is looked at. */
    g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_WRONG_PURPOSE);
  }
}

static void
test_verify_no_certificate (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;

  g_assert_false (wpi_pki_verify_peer (pki, NULL, MAC1, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NO_CERTIFICATE);
  g_clear_error (&error);

  g_assert_false (wpi_pki_verify_peer_pem (pki, "", MAC1, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NO_CERTIFICATE);
  g_clear_error (&error);

  g_assert_false (wpi_pki_verify_peer_pem (pki, "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n",
                                           MAC1, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT);
}

static void
test_verify_other_ca (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autofree char *other_ca = NULL;
  g_autofree char *chain = NULL;

  other_pki ();
  other_ca = wpi_pki_get_ca_pem (shared.other_pki);
  chain = g_strconcat (shared.other_phone->cert_pem, other_ca, NULL);

  /* Same MAC, same subject, same CA name, but another CA key. */
  g_assert_false (wpi_pki_verify_peer_pem (pki, shared.other_phone->cert_pem, MAC1, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_UNTRUSTED);
  g_clear_error (&error);

  /* Sending the other CA along does not help. */
  g_assert_false (wpi_pki_verify_peer_pem (pki, chain, MAC1, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_UNTRUSTED);
  g_clear_error (&error);

  /* And the other way round. */
  g_assert_false (wpi_pki_verify_peer_pem (shared.other_pki, shared.phone1->cert_pem, MAC1, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_UNTRUSTED);
  g_clear_error (&error);

  g_assert_true (wpi_pki_verify_peer_pem (shared.other_pki, shared.other_phone->cert_pem, MAC1, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
crl_lists (const char *crl_pem,
           const char *serial)
{
  gnutls_x509_crl_t crl;
  gnutls_datum_t data = { (unsigned char *) crl_pem, strlen (crl_pem) };
  gboolean found = FALSE;

  g_assert_cmpint (gnutls_x509_crl_init (&crl), ==, 0);
  g_assert_cmpint (gnutls_x509_crl_import (crl, &data, GNUTLS_X509_FMT_PEM), ==, 0);
  for (int i = 0; i < gnutls_x509_crl_get_crt_count (crl); i++)
    {
      guint8 bytes[64];
      size_t size = sizeof bytes;
      g_autoptr(GString) hex = g_string_new (NULL);

      g_assert_cmpint (gnutls_x509_crl_get_crt_serial (crl, i, bytes, &size, NULL), ==, 0);
      for (size_t j = 0; j < size; j++)
        g_string_append_printf (hex, "%02X", bytes[j]);
      found |= g_str_equal (hex->str, serial);
    }
  gnutls_x509_crl_deinit (crl);

  return found;
}

static void
test_revoke (void)
{
  WpiPki *pki = main_pki ();
  g_autofree char *dir = shared_path ("main", NULL);
  g_autofree char *revoked_file = g_build_filename (dir, "revoked.tsv", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) phone2 = NULL;
  g_autoptr(WpiPki) again = NULL;
  g_autofree char *crl = NULL;
  g_autofree char *crl_again = NULL;
  guint n_revoked = 0;

  phone2 = wpi_pki_issue_client_cert (pki, MAC2, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_verify_peer_pem (pki, phone2->cert_pem, MAC2, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (wpi_pki_is_revoked (pki, phone2->serial));

  g_assert_true (wpi_pki_revoke_mac (pki, MAC2, &n_revoked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_revoked, ==, 1);
  g_assert_true (wpi_pki_is_revoked (pki, phone2->serial));
  {
    g_autofree char *lower = g_ascii_strdown (phone2->serial, -1);

    g_assert_true (wpi_pki_is_revoked (pki, lower));
  }

  g_assert_false (wpi_pki_verify_peer_pem (pki, phone2->cert_pem, MAC2, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_clear_error (&error);

  crl = wpi_pki_get_crl_pem (pki);
  g_assert_true (crl_lists (crl, phone2->serial));
  assert_mode (revoked_file, 0600);

  /* Revoking again changes nothing. */
  g_assert_true (wpi_pki_revoke_mac (pki, MAC2, &n_revoked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_revoked, ==, 0);
  g_assert_true (wpi_pki_revoke_serial (pki, phone2->serial, &error));
  g_assert_no_error (error);

  /* Persisted: a new instance refuses it as well. */
  again = wpi_pki_new (dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_is_revoked (again, phone2->serial));
  g_assert_false (wpi_pki_verify_peer_pem (again, phone2->cert_pem, MAC2, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_clear_error (&error);
  crl_again = wpi_pki_get_crl_pem (again);
  g_assert_cmpstr (crl_again, ==, crl);

  /* The first phone is untouched. */
  g_assert_true (wpi_pki_verify_peer_pem (again, shared.phone1->cert_pem, MAC1, NULL, &error));
  g_assert_no_error (error);

  /* Unknown serials and phones. */
  g_assert_false (wpi_pki_revoke_serial (pki, "0123456789ABCDEF", &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (wpi_pki_revoke_serial (pki, "xyz", &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  g_assert_false (wpi_pki_revoke_mac (pki, "02:00:00:00:00:99", NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND);
}

/* Re-issuing keeps the old certificate valid until the phone has switched. */
static void
test_revoke_superseded (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) first = NULL;
  g_autoptr(WpiClientCert) second = NULL;
  g_autoptr(WpiClientCert) current = NULL;
  const char *mac = "00:1A:E8:77:77:77";
  guint n_revoked = 0;

  first = wpi_pki_issue_client_cert (pki, mac, shared.phone1->key_pem, &error);
  g_assert_no_error (error);
  second = wpi_pki_issue_client_cert (pki, mac, shared.phone1->key_pem, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first->serial, !=, second->serial);

  current = wpi_pki_lookup_client_cert (pki, mac, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (current->serial, ==, second->serial);

  g_assert_true (wpi_pki_verify_peer_pem (pki, first->cert_pem, mac, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (wpi_pki_revoke_superseded (pki, mac, &n_revoked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_revoked, ==, 1);

  g_assert_false (wpi_pki_verify_peer_pem (pki, first->cert_pem, mac, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_clear_error (&error);
  g_assert_true (wpi_pki_verify_peer_pem (pki, second->cert_pem, mac, NULL, &error));
  g_assert_no_error (error);

  /* revoke_serial takes the serial in any case and with leading zeros. */
  {
    g_autofree char *lower = g_ascii_strdown (second->serial, -1);
    g_autofree char *padded = g_strconcat ("00", lower, NULL);

    g_assert_true (wpi_pki_revoke_serial (pki, padded, &error));
    g_assert_no_error (error);
    g_assert_true (wpi_pki_is_revoked (pki, second->serial));
  }
}

/* Two WpiPki on one directory stand for two processes (the service and wpictl): each
 * sees the other's revocations at its next check, and neither loses the other's. */
static void
test_revoke_other_instance (void)
{
  WpiPki *pki = main_pki ();
  g_autofree char *dir = shared_path ("main", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPki) service = NULL;
  g_autoptr(WpiPki) fresh = NULL;
  g_autoptr(WpiClientCert) a = NULL;
  g_autoptr(WpiClientCert) b = NULL;
  g_autofree char *crl = NULL;
  const char *mac_a = "00:1A:E8:55:55:01";
  const char *mac_b = "00:1A:E8:55:55:02";
  guint n_revoked = 0;

  /* the service's instance is open before the certificates exist */
  service = wpi_pki_new (dir, NULL, &error);
  g_assert_no_error (error);
  a = wpi_pki_issue_client_cert (pki, mac_a, shared.phone1->key_pem, &error);
  g_assert_no_error (error);
  b = wpi_pki_issue_client_cert (pki, mac_b, shared.phone1->key_pem, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_verify_peer_pem (service, a->cert_pem, mac_a, NULL, &error));
  g_assert_no_error (error);

  /* revoked by the other instance: refused by the service's at once */
  g_assert_true (wpi_pki_revoke_mac (pki, mac_a, &n_revoked, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_revoked, ==, 1);
  g_assert_true (wpi_pki_is_revoked (service, a->serial));
  g_assert_false (wpi_pki_verify_peer_pem (service, a->cert_pem, mac_a, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_clear_error (&error);
  crl = wpi_pki_get_crl_pem (service);
  g_assert_true (crl_lists (crl, a->serial));

  /* a serial the service's instance did not issue itself, revoked there: the first
   * revocation is kept in the list */
  g_assert_true (wpi_pki_revoke_serial (service, b->serial, &error));
  g_assert_no_error (error);
  g_assert_true (wpi_pki_is_revoked (pki, a->serial));
  g_assert_true (wpi_pki_is_revoked (pki, b->serial));
  g_assert_false (wpi_pki_verify_peer_pem (pki, b->cert_pem, mac_b, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_clear_error (&error);

  fresh = wpi_pki_new (dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_is_revoked (fresh, a->serial));
  g_assert_true (wpi_pki_is_revoked (fresh, b->serial));
  g_assert_true (wpi_pki_verify_peer_pem (service, shared.phone1->cert_pem, MAC1, NULL, &error));
  g_assert_no_error (error);
}

/* ---- PKCS#12 (D7) ---------------------------------------------------------- */

static char *
write_p12 (const char *name,
           const char *base64)
{
  g_autofree guint8 *der = NULL;
  gsize der_length = 0;
  char *path = shared_path (name, NULL);
  g_autoptr(GError) error = NULL;

  der = g_base64_decode (base64, &der_length);
  g_file_set_contents (path, (const char *) der, der_length, &error);
  g_assert_no_error (error);

  return path;
}

/* D7: no bag is encrypted (that would cost a PBKDF2 of 600,000 iterations for nothing);
 * returns how many plain PKCS#8 key bags there are. */
static guint
count_plain_key_bags (gnutls_pkcs12_t p12)
{
  guint n_keys = 0;

  for (int i = 0;; i++)
    {
      gnutls_pkcs12_bag_t bag;
      int ret;

      g_assert_cmpint (gnutls_pkcs12_bag_init (&bag), ==, 0);
      ret = gnutls_pkcs12_get_bag (p12, i, bag);
      if (ret == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
        {
          gnutls_pkcs12_bag_deinit (bag);
          break;
        }
      g_assert_cmpint (ret, ==, 0);
      for (int j = 0; j < gnutls_pkcs12_bag_get_count (bag); j++)
        {
          gnutls_pkcs12_bag_type_t type = gnutls_pkcs12_bag_get_type (bag, j);

          g_assert_cmpint (type, !=, GNUTLS_BAG_ENCRYPTED);
          g_assert_cmpint (type, !=, GNUTLS_BAG_PKCS8_ENCRYPTED_KEY);
          if (type == GNUTLS_BAG_PKCS8_KEY)
            n_keys++;
        }
      gnutls_pkcs12_bag_deinit (bag);
    }
  return n_keys;
}

static void
test_p12_export (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autofree char *base64 = wpi_pki_export_client_p12_base64 (pki, shared.phone1, &error);
  g_autofree guint8 *der = NULL;
  gsize der_length = 0;
  gnutls_pkcs12_t p12;
  gnutls_datum_t data;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t *chain = NULL;
  unsigned int chain_length = 0;
  g_autofree char *ca_pem = wpi_pki_get_ca_pem (pki);
  gnutls_x509_crt_t ca = test_util_parse_certificate (ca_pem);

  g_assert_no_error (error);
  g_assert_null (strchr (base64, '\n'));

  /* GnuTLS reads it back with the empty password: key, certificate and CA. */
  der = g_base64_decode (base64, &der_length);
  data.data = der;
  data.size = der_length;
  g_assert_cmpint (gnutls_pkcs12_init (&p12), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_import (p12, &data, GNUTLS_X509_FMT_DER, 0), ==, 0);
  g_assert_cmpint (gnutls_pkcs12_verify_mac (p12, ""), ==, 0);
  g_assert_cmpuint (count_plain_key_bags (p12), ==, 1);
  g_assert_cmpint (gnutls_pkcs12_simple_parse (p12, "", &key, &chain, &chain_length, NULL, NULL, NULL,
                                               GNUTLS_PKCS12_SP_INCLUDE_SELF_SIGNED), ==, 0);
  g_assert_cmpuint (chain_length, ==, 2);
  g_assert_true (gnutls_x509_crt_equals (chain[1], ca));
  {
    g_autofree char *cn = crt_cn (chain[0]);

    g_assert_cmpstr (cn, ==, MAC1);
  }

  for (unsigned int i = 0; i < chain_length; i++)
    gnutls_x509_crt_deinit (chain[i]);
  gnutls_free (chain);
  gnutls_x509_privkey_deinit (key);
  gnutls_pkcs12_deinit (p12);
  gnutls_x509_crt_deinit (ca);

  /* No key, no PKCS#12. */
  {
    g_autoptr(WpiClientCert) without_key = wpi_client_cert_copy (shared.phone1);
    g_autofree char *none = NULL;

    g_clear_pointer (&without_key->key_pem, g_free);
    none = wpi_pki_export_client_p12_base64 (pki, without_key, &error);
    g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_FOUND);
    g_assert_null (none);
  }
}

static void
test_p12_openssl (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autofree char *base64 = NULL;
  g_autofree char *p12_path = NULL;
  g_autofree char *cert_path = shared_path ("phone1.crt", NULL);
  g_autofree char *out = NULL;
  g_autofree char *subject = NULL;

  if (!have_openssl ())
    {
      g_test_skip ("openssl is not installed");
      return;
    }

  base64 = wpi_pki_export_client_p12_base64 (pki, shared.phone1, &error);
  g_assert_no_error (error);
  p12_path = write_p12 ("phone1.p12", base64);

  /* Decision D7's own command. */
  {
    const char *args[] = { "pkcs12", "-in", p12_path, "-passin", "pass:", "-nodes", NULL };

    g_assert_true (run_openssl (args, &out));
  }
  g_assert_nonnull (strstr (out, "-----BEGIN PRIVATE KEY-----"));
  subject = g_strdup_printf ("subject=CN = %s", MAC1);
  g_assert_nonnull (strstr (out, subject));
  g_assert_nonnull (strstr (out, "subject=CN = " WPI_PKI_CA_COMMON_NAME));
  g_assert_nonnull (strstr (out, "friendlyName: " MAC1));
  g_clear_pointer (&out, g_free);

  /* A wrong password is refused, so the MAC really is over the empty one. */
  {
    const char *args[] = { "pkcs12", "-in", p12_path, "-passin", "pass:x", "-nodes", NULL };

    g_assert_false (run_openssl (args, &out));
    g_clear_pointer (&out, g_free);
  }

  /* The certificate verifies against ca.crt as a TLS client certificate. */
  g_assert_true (g_file_set_contents (cert_path, shared.phone1->cert_pem, -1, NULL));
  {
    const char *args[] = { "verify", "-CAfile", wpi_pki_get_ca_path (pki), "-purpose", "sslclient",
                           cert_path, NULL };

    g_assert_true (run_openssl (args, &out));
    g_assert_nonnull (strstr (out, ": OK"));
    g_clear_pointer (&out, g_free);
  }

  /* The CRL, signed by the CA, read by openssl. */
  {
    g_autofree char *crl_path = shared_path ("main", "crl.pem", NULL);
    const char *args[] = { "crl", "-in", crl_path, "-CAfile", wpi_pki_get_ca_path (pki), "-noout", NULL };

    g_assert_true (run_openssl (args, &out));
  }
}

/* The D7 PKCS#12 inside a D8 bundle: what a phone finds after typing its PIN. */
static void
test_bundle_with_p12 (void)
{
  WpiPki *pki = main_pki ();
  g_autoptr(GError) error = NULL;
  g_autofree char *p12 = wpi_pki_export_client_p12_base64 (pki, shared.phone1, &error);
  g_auto(GStrv) cas = wpi_pki_get_ca_pems (pki);
  g_autoptr(WpiBootstrapData) data = wpi_bootstrap_data_new (p12, (const char * const *) cas, 18444);
  g_autofree char *sealed = wpi_bundle_seal (data, "987654321123", 1000, &error);
  g_autoptr(WpiBootstrapData) opened = NULL;

  g_assert_no_error (error);
  opened = wpi_bundle_open (sealed, "987654321123", 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened->client_certificate, ==, p12);
  g_assert_cmpstr (opened->server_cas[0], ==, cas[0]);
  g_assert_cmpuint (opened->secure_port, ==, 18444);
}

/* ---- Import ---------------------------------------------------------------- */

static WpiPki *
imported_pki (void)
{
  if (shared.imported_pki == NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = shared_path ("imported", NULL);

      shared.imported_pki = wpi_pki_new (dir, NULL, &error);
      g_assert_no_error (error);
    }

  return shared.imported_pki;
}

static void
test_import_pem (void)
{
  WpiPki *pki = imported_pki ();
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) before = NULL;
  g_autoptr(WpiClientCert) after = NULL;
  g_autofree char *ca_pem = NULL;
  g_autofree char *ca_file = NULL;
  g_autoptr(GTlsCertificate) server = NULL;
  g_autoptr(GTlsCertificate) ca = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("localhost", 18444);
  g_autofree char *server_before = wpi_pki_get_server_cert_pem (pki);
  g_autofree char *server_after = NULL;
  g_autofree char *own_ca = wpi_pki_get_ca_pem (pki);

  ensure_external_ca ();

  before = wpi_pki_issue_client_cert (pki, MAC1, shared.phone1->key_pem, &error);
  g_assert_no_error (error);

  g_assert_true (wpi_pki_import_ca_pem (pki, shared.external_ca_cert, shared.external_ca_key, NULL, &error));
  g_assert_no_error (error);

  ca_pem = wpi_pki_get_ca_pem (pki);
  g_assert_cmpstr (ca_pem, ==, shared.external_ca_cert);
  g_file_get_contents (wpi_pki_get_ca_path (pki), &ca_file, NULL, NULL);
  g_assert_cmpstr (ca_file, ==, shared.external_ca_cert);

  /* The server certificate stays with the console's own CA, which every phone was
   * given, and which dls-server-ca still lists after the imported chain. */
  server_after = wpi_pki_get_server_cert_pem (pki);
  g_assert_cmpstr (server_after, ==, server_before);
  server = wpi_pki_get_server_certificate (pki, &error);
  g_assert_no_error (error);
  ca = g_tls_certificate_new_from_pem (own_ca, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_tls_certificate_verify (server, identity, ca), ==, 0);
  {
    g_auto(GStrv) server_cas = wpi_pki_get_ca_pems (pki);

    g_assert_cmpuint (g_strv_length (server_cas), ==, 2);
    g_assert_cmpstr (server_cas[0], ==, shared.external_ca_cert);
    g_assert_cmpstr (server_cas[1], ==, own_ca);
  }

  /* Certificates of the replaced CA still count until their phones are bootstrapped
   * again (the CA is retired); new ones count too. */
  g_assert_true (wpi_pki_verify_peer_pem (pki, before->cert_pem, MAC1, NULL, &error));
  g_assert_no_error (error);

  after = wpi_pki_issue_client_cert (pki, MAC1, shared.phone1->key_pem, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_verify_peer_pem (pki, after->cert_pem, MAC1, NULL, &error));
  g_assert_no_error (error);

  /* And it stays imported. */
  {
    g_autofree char *dir = shared_path ("imported", NULL);
    g_autoptr(WpiPki) again = wpi_pki_new (dir, NULL, &error);
    g_autofree char *again_ca = NULL;

    g_assert_no_error (error);
    again_ca = wpi_pki_get_ca_pem (again);
    g_assert_cmpstr (again_ca, ==, shared.external_ca_cert);
    g_assert_true (wpi_pki_verify_peer_pem (again, after->cert_pem, MAC1, NULL, &error));
    g_assert_no_error (error);
  }
}

static void
test_import_pem_encrypted_key (void)
{
  WpiPki *pki = imported_pki ();
  g_autoptr(GError) error = NULL;
  gnutls_x509_privkey_t key;
  gnutls_datum_t data;
  gnutls_datum_t out;
  g_autofree char *encrypted = NULL;

  ensure_external_ca ();
  data.data = (unsigned char *) shared.external_ca_key;
  data.size = strlen (shared.external_ca_key);
  g_assert_cmpint (gnutls_x509_privkey_init (&key), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_import (key, &data, GNUTLS_X509_FMT_PEM), ==, 0);
  g_assert_cmpint (gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, "company secret",
                                                      GNUTLS_PKCS_PBES2_AES_256, &out), ==, 0);
  encrypted = gnutls_datum_dup (&out);
  gnutls_x509_privkey_deinit (key);

  g_assert_false (wpi_pki_import_ca_pem (pki, shared.external_ca_cert, encrypted, "wrong", &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_BAD_PASSWORD);
  g_clear_error (&error);

  g_assert_false (wpi_pki_import_ca_pem (pki, shared.external_ca_cert, encrypted, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  g_assert_true (wpi_pki_import_ca_pem (pki, shared.external_ca_cert, encrypted, "company secret", &error));
  g_assert_no_error (error);
}

static void
test_import_rejects (void)
{
  WpiPki *pki = imported_pki ();
  g_autoptr(GError) error = NULL;
  g_autofree char *ca_before = wpi_pki_get_ca_pem (pki);
  g_autofree char *server_before = wpi_pki_get_server_cert_pem (pki);
  g_autofree char *ca_after = NULL;
  g_autofree char *server_after = NULL;
  g_autofree char *main_ca = wpi_pki_get_ca_pem (main_pki ());

  ensure_external_ca ();

  /* A phone certificate with its own key is no CA. */
  g_assert_false (wpi_pki_import_ca_pem (pki, shared.phone1->cert_pem, shared.phone1->key_pem, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_NOT_A_CA);
  g_clear_error (&error);

  /* A CA with a key that is not its own. */
  g_assert_false (wpi_pki_import_ca_pem (pki, main_ca, shared.external_ca_key, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_KEY_MISMATCH);
  g_clear_error (&error);

  g_assert_false (wpi_pki_import_ca_pem (pki, "not pem", shared.external_ca_key, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  g_assert_false (wpi_pki_import_ca_pem (pki, shared.external_ca_cert, "not pem", NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT);
  g_clear_error (&error);

  {
    g_autoptr(GBytes) garbage = g_bytes_new_static ("\x30\x03\x02\x01\x03", 5);

    g_assert_false (wpi_pki_import_ca_pkcs12 (pki, garbage, "x", &error));
    g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_INVALID_INPUT);
    g_clear_error (&error);
  }

  /* Nothing changed. */
  ca_after = wpi_pki_get_ca_pem (pki);
  server_after = wpi_pki_get_server_cert_pem (pki);
  g_assert_cmpstr (ca_after, ==, ca_before);
  g_assert_cmpstr (server_after, ==, server_before);
}

/* A PKCS#12 with a password, made with GnuTLS the usual way (encrypted bags). */
static GBytes *
make_external_p12 (const char *password)
{
  return test_util_make_pkcs12 (shared.external_ca_cert, shared.external_ca_key, password,
                                GNUTLS_PKCS_PBES2_AES_256);
}

static void
test_import_pkcs12 (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = shared_path ("other", NULL);
  g_autoptr(GBytes) p12 = NULL;
  g_autofree char *ca_before = NULL;
  g_autofree char *ca_after = NULL;

  ensure_external_ca ();
  other_pki ();
  p12 = make_external_p12 ("p12 password");
  ca_before = wpi_pki_get_ca_pem (shared.other_pki);

  g_assert_false (wpi_pki_import_ca_pkcs12 (shared.other_pki, p12, "wrong", &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_BAD_PASSWORD);
  g_clear_error (&error);
  ca_after = wpi_pki_get_ca_pem (shared.other_pki);
  g_assert_cmpstr (ca_after, ==, ca_before);
  g_clear_pointer (&ca_after, g_free);

  g_assert_true (wpi_pki_import_ca_pkcs12 (shared.other_pki, p12, "p12 password", &error));
  g_assert_no_error (error);
  ca_after = wpi_pki_get_ca_pem (shared.other_pki);
  g_assert_cmpstr (ca_after, ==, shared.external_ca_cert);

  /* The other PKI's phone certificate still verifies there: its CA is retired, not
   * forgotten. */
  g_assert_true (wpi_pki_verify_peer_pem (shared.other_pki, shared.other_phone->cert_pem, MAC1, NULL, &error));
  g_assert_no_error (error);
}

/* ---- A real mutual TLS handshake on 127.0.0.1 ------------------------------- */

typedef struct {
  WpiPki          *pki;
  GError          *verify_error;
  GMainLoop       *loop;
  GTlsCertificate *server_cert;
  GTlsCertificate *client_cert;
  GTlsDatabase    *database;
  GIOStream       *server_tls;
  GIOStream       *client_tls;
  GError          *server_error;
  GError          *client_error;
  guint            pending;
  gboolean         timed_out;
} Handshake;

static void
handshake_step_done (Handshake *h)
{
  if (--h->pending == 0)
    g_main_loop_quit (h->loop);
}

static void
on_server_handshake (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Handshake *h = user_data;

  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &h->server_error);
  handshake_step_done (h);
}

static void
on_client_handshake (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Handshake *h = user_data;

  /* With TLS 1.3 the client finishes before the server has judged its certificate,
   * so only the server's verdict counts. */
  g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &h->client_error);
  handshake_step_done (h);
}

/* What the service does: GIO hands every client certificate of a server connection to
 * accept-certificate (also when it found no error), and the PKI decides. */
static gboolean
on_accept_certificate (GTlsConnection       *connection,
                       GTlsCertificate      *peer,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  Handshake *h = user_data;

  g_clear_error (&h->verify_error);
  return wpi_pki_verify_peer (h->pki, peer, NULL, NULL, &h->verify_error);
}

static void
on_accepted (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Handshake *h = user_data;
  g_autoptr(GSocketConnection) connection = NULL;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &h->server_error);
  if (connection == NULL)
    {
      handshake_step_done (h);
      return;
    }

  h->server_tls = g_tls_server_connection_new (G_IO_STREAM (connection), h->server_cert, &h->server_error);
  g_assert_no_error (h->server_error);
  g_object_set (h->server_tls, "authentication-mode", G_TLS_AUTHENTICATION_REQUIRED, NULL);
  g_tls_connection_set_database (G_TLS_CONNECTION (h->server_tls), h->database);
  g_signal_connect (h->server_tls, "accept-certificate", G_CALLBACK (on_accept_certificate), h);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (h->server_tls), G_PRIORITY_DEFAULT, NULL,
                                    on_server_handshake, h);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Handshake *h = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("127.0.0.1", 18444);

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &h->client_error);
  if (connection == NULL)
    {
      handshake_step_done (h);
      return;
    }

  h->client_tls = g_tls_client_connection_new (G_IO_STREAM (connection), identity, &h->client_error);
  g_assert_no_error (h->client_error);
  g_tls_connection_set_database (G_TLS_CONNECTION (h->client_tls), h->database);
  g_tls_connection_set_certificate (G_TLS_CONNECTION (h->client_tls), h->client_cert);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (h->client_tls), G_PRIORITY_DEFAULT, NULL,
                                    on_client_handshake, h);
}

static gboolean
on_handshake_timeout (gpointer user_data)
{
  Handshake *h = user_data;

  h->timed_out = TRUE;
  g_main_loop_quit (h->loop);
  return G_SOURCE_REMOVE;
}

/* Runs one handshake of a phone presenting `phone` against the server side of `pki`. */
static void
run_handshake (Handshake           *h,
               WpiPki              *pki,
               const WpiClientCert *phone)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *client_pem = g_strconcat (phone->key_pem, phone->cert_pem, NULL);
  guint timeout_id;

  h->pki = pki;
  h->loop = g_main_loop_new (NULL, FALSE);
  h->server_cert = wpi_pki_get_server_certificate (pki, &error);
  g_assert_no_error (error);
  h->client_cert = g_tls_certificate_new_from_pem (client_pem, -1, &error);
  g_assert_no_error (error);
  h->database = g_tls_file_database_new (wpi_pki_get_ca_path (pki), &error);
  g_assert_no_error (error);

  g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                                 NULL, (GSocketAddress **) &bound, &error);
  g_assert_no_error (error);

  h->pending = 2;
  g_socket_listener_accept_async (listener, NULL, on_accepted, h);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (bound), NULL, on_connected, h);

  timeout_id = g_timeout_add_seconds (30, on_handshake_timeout, h);
  g_main_loop_run (h->loop);
  g_assert_false (h->timed_out);
  g_source_remove (timeout_id);
}

static void
handshake_clear (Handshake *h)
{
  if (h->client_tls != NULL)
    g_io_stream_close (h->client_tls, NULL, NULL);
  if (h->server_tls != NULL)
    g_io_stream_close (h->server_tls, NULL, NULL);
  g_clear_object (&h->client_tls);
  g_clear_object (&h->server_tls);
  g_clear_object (&h->server_cert);
  g_clear_object (&h->client_cert);
  g_clear_object (&h->database);
  g_clear_error (&h->server_error);
  g_clear_error (&h->client_error);
  g_clear_error (&h->verify_error);
  g_clear_pointer (&h->loop, g_main_loop_unref);
}

static void
test_tls_handshake (void)
{
  WpiPki *pki = main_pki ();
  Handshake h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *mac = NULL;
  GTlsCertificate *peer;

  run_handshake (&h, pki, shared.phone1);
  g_assert_no_error (h.verify_error);
  g_assert_no_error (h.server_error);
  g_assert_no_error (h.client_error);

  /* Later, per message: the certificate names the MAC the message carries. */
  peer = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (h.server_tls));
  g_assert_nonnull (peer);
  g_assert_true (wpi_pki_verify_peer (pki, peer, MAC1, &mac, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (mac, ==, MAC1);
  g_assert_false (wpi_pki_verify_peer (pki, peer, MAC2, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_WRONG_MAC);

  handshake_clear (&h);
}

static void
test_tls_handshake_refused (void)
{
  WpiPki *pki = main_pki ();
  Handshake h = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiClientCert) revoked = NULL;

  /* A certificate from another CA. */
  other_pki ();
  run_handshake (&h, pki, shared.other_phone);
  g_assert_error (h.verify_error, WPI_PKI_ERROR, WPI_PKI_ERROR_UNTRUSTED);
  g_assert_error (h.server_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  handshake_clear (&h);

  /* A revoked one of ours (the key of phone 1 saves making one). */
  revoked = wpi_pki_issue_client_cert (pki, "00:1A:E8:55:55:55", shared.phone1->key_pem, &error);
  g_assert_no_error (error);
  g_assert_true (wpi_pki_revoke_mac (pki, revoked->mac, NULL, &error));
  g_assert_no_error (error);

  run_handshake (&h, pki, revoked);
  g_assert_error (h.verify_error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_assert_error (h.server_error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  handshake_clear (&h);
}

/* ---- Setup ----------------------------------------------------------------- */

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int result;

  g_test_init (&argc, &argv, NULL);

  shared.root = test_util_make_tmp_dir ("wpi-pki");

  g_test_add_func ("/pki/create", test_create);
  g_test_add_func ("/pki/reopen", test_reopen);
  g_test_add_func ("/pki/damaged-ca", test_damaged_ca_is_an_error);
  g_test_add_func ("/pki/server-certificate", test_server_certificate);
  g_test_add_func ("/pki/damaged-server", test_damaged_server);
  g_test_add_func ("/pki/client/issue", test_client_issue);
  g_test_add_func ("/pki/client/errors", test_client_errors);
  g_test_add_func ("/pki/client/validity", test_client_validity);
  g_test_add_func ("/pki/verify/ok", test_verify_ok);
  g_test_add_func ("/pki/verify/wrong-mac", test_verify_wrong_mac);
  g_test_add_func ("/pki/verify/no-certificate", test_verify_no_certificate);
  g_test_add_func ("/pki/verify/other-ca", test_verify_other_ca);
  g_test_add_func ("/pki/revoke/mac", test_revoke);
  g_test_add_func ("/pki/revoke/superseded", test_revoke_superseded);
  g_test_add_func ("/pki/revoke/other-instance", test_revoke_other_instance);
  g_test_add_func ("/pki/p12/export", test_p12_export);
  g_test_add_func ("/pki/p12/openssl", test_p12_openssl);
  g_test_add_func ("/pki/p12/in-bundle", test_bundle_with_p12);
  g_test_add_func ("/pki/tls/handshake", test_tls_handshake);
  g_test_add_func ("/pki/tls/refused", test_tls_handshake_refused);
  g_test_add_func ("/pki/import/pem", test_import_pem);
  g_test_add_func ("/pki/import/pem-encrypted-key", test_import_pem_encrypted_key);
  g_test_add_func ("/pki/import/rejects", test_import_rejects);
  g_test_add_func ("/pki/import/pkcs12", test_import_pkcs12);

  result = g_test_run ();

  g_clear_object (&shared.pki);
  g_clear_pointer (&shared.phone1, wpi_client_cert_free);
  g_clear_object (&shared.other_pki);
  g_clear_object (&shared.imported_pki);
  g_clear_pointer (&shared.other_phone, wpi_client_cert_free);
  g_free (shared.external_ca_cert);
  g_free (shared.external_ca_key);
  test_util_remove_tree (shared.root);
  g_free (shared.root);

  return result;
}
