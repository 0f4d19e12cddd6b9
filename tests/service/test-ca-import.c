/* test-ca-import.c: Preferences' "Import CA" (ca-import-path) made real: a CA from a
 * PEM or PKCS#12 file signs the phones' certificates, the Secure Mode port admits them,
 * a bad file changes nothing, and phones of the CA that stops signing keep working
 * (D23; wpi-pki.h, install_ca() in wpi-pki-ca.c). The CAs are made here with GnuTLS. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <libsoup/soup.h>

#include "test-util-service.h"
#include "wpi-pki.h"
#include "wpi-service.h"

#define MAC1 "00:1A:E8:00:00:01"
#define MAC2 "00:1A:E8:00:00:02"
#define MAC3 "00:1A:E8:00:00:03"
#define WAIT_TIMEOUT_US (30 * G_USEC_PER_SEC)

/* A CA of the test's own: key and certificate as PEM */
typedef struct {
  char *cert_pem;
  char *key_pem;
  char *dn;
} TestCa;

static void
test_ca_clear (TestCa *ca)
{
  g_clear_pointer (&ca->cert_pem, g_free);
  g_clear_pointer (&ca->key_pem, g_free);
  g_clear_pointer (&ca->dn, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestCa, test_ca_clear)

static char *
datum_steal_string (gnutls_datum_t *datum)
{
  char *text = g_strndup ((const char *) datum->data, datum->size);

  gnutls_free (datum->data);
  datum->data = NULL;
  return text;
}

static char *
crt_dn (gnutls_x509_crt_t crt,
        gboolean          issuer)
{
  gnutls_datum_t dn = { NULL, 0 };

  g_assert_cmpint (issuer ? gnutls_x509_crt_get_issuer_dn2 (crt, &dn)
                          : gnutls_x509_crt_get_dn2 (crt, &dn), ==, 0);
  return datum_steal_string (&dn);
}

/* `ca_ok` FALSE makes a certificate that may not sign (no CA:TRUE). */
static void
make_ca (TestCa     *ca,
         const char *dn,
         gboolean    ca_ok)
{
  gnutls_x509_crt_t crt;

  test_util_make_self_signed (dn, ca_ok, &ca->cert_pem, &ca->key_pem);
  crt = test_util_parse_certificate (ca->cert_pem);
  ca->dn = crt_dn (crt, FALSE);
  gnutls_x509_crt_deinit (crt);
}

/* PKCS#12 with the empty password, as `certtool --to-p12 --empty-password` makes it */
static GBytes *
make_p12 (const TestCa *ca,
          const char   *password)
{
  return test_util_make_pkcs12 (ca->cert_pem, ca->key_pem, password, GNUTLS_PKCS_PBES2_AES_128);
}

/* ---- Fixture: a service on free loopback ports --------------------------------- */

typedef struct {
  char       *dir;
  WpiService *service;
  WpiPki     *pki;
  TestCa      company;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  test_util_service_set_up ("wpi-ca-import", &f->dir, &f->service);
  f->pki = wpi_service_get_pki (f->service);
  make_ca (&f->company, "CN=Company Phones CA,O=Example", TRUE);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_util_service_tear_down (&f->dir, &f->service);
  test_ca_clear (&f->company);
}

static char *
write_file (Fixture    *f,
            const char *name,
            const char *contents,
            gssize      length)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (f->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);
  return path;
}

static char *
pki_file (Fixture    *f,
          const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, "pki", name, NULL);
  char *contents = NULL;

  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

/* ---- A phone in Secure Mode ------------------------------------------------------ */

typedef struct {
  const char * const *server_cas;   /* what the phone was given as dls-server-ca */
  gboolean            server_trusted;
  gboolean            done;
  GError             *error;
  GBytes             *body;
} Exchange;

/* As the simulated phone does (wpi-sim-phone.c): the server's chain must come from one
 * of the dls-server-ca certificates. */
static gboolean
check_server (SoupMessage          *msg,
              GTlsCertificate      *certificate,
              GTlsCertificateFlags  errors,
              Exchange             *exchange)
{
  g_autoptr(GSocketConnectable) identity = g_network_address_new ("127.0.0.1", 0);

  for (guint i = 0; exchange->server_cas[i] != NULL; i++)
    {
      g_autoptr(GTlsCertificate) ca = g_tls_certificate_new_from_pem (exchange->server_cas[i], -1, NULL);

      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      if (ca != NULL && g_tls_certificate_verify (certificate, identity, ca) == 0)
        exchange->server_trusted = TRUE;
      G_GNUC_END_IGNORE_DEPRECATIONS
    }
  return exchange->server_trusted;
}

static void
exchange_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Exchange *exchange = user_data;

  exchange->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &exchange->error);
  exchange->done = TRUE;
}

/* One request on the Secure Mode port with the phone's certificate: TRUE when the
 * service admitted it (any HTTP answer), FALSE when the TLS handshake was refused. */
static gboolean
secure_request (Fixture             *f,
                const WpiClientCert *cert,
                const char * const  *server_cas,
                gboolean            *server_trusted)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *pem = g_strconcat (cert->key_pem, cert->cert_pem, NULL);
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u/", wpi_service_get_secure_port (f->service));
  g_autoptr(GTlsCertificate) client = NULL;
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
  g_autoptr(GError) error = NULL;
  Exchange exchange = { server_cas, FALSE, FALSE, NULL, NULL };
  gint64 deadline = g_get_monotonic_time () + WAIT_TIMEOUT_US;

  client = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  soup_message_set_tls_client_certificate (msg, client);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (check_server), &exchange);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, exchange_done, &exchange);
  while (!exchange.done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (exchange.done);

  *server_trusted = exchange.server_trusted;
  g_clear_pointer (&exchange.body, g_bytes_unref);
  if (exchange.error != NULL)
    {
      g_test_message ("refused: %s", exchange.error->message);
      g_clear_error (&exchange.error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
admitted (Fixture             *f,
          const WpiClientCert *cert)
{
  g_auto(GStrv) server_cas = wpi_pki_get_ca_pems (f->pki);
  gboolean server_trusted = FALSE;
  gboolean ok = secure_request (f, cert, (const char * const *) server_cas, &server_trusted);

  /* A phone bootstrapped now trusts the server it talks to */
  if (ok)
    g_assert_true (server_trusted);
  return ok;
}

/* ---- Checks ---------------------------------------------------------------------- */

static void
assert_issued_by (const WpiClientCert *cert,
                  const TestCa        *ca)
{
  gnutls_x509_crt_t crt = test_util_parse_certificate (cert->cert_pem);
  gnutls_x509_crt_t ca_crt = test_util_parse_certificate (ca->cert_pem);
  g_autofree char *issuer = crt_dn (crt, TRUE);
  unsigned int status = 1;

  g_assert_cmpstr (issuer, ==, ca->dn);
  g_assert_cmpint (gnutls_x509_crt_verify (crt, &ca_crt, 1, 0, &status), ==, 0);
  g_assert_cmpuint (status, ==, 0);
  gnutls_x509_crt_deinit (ca_crt);
  gnutls_x509_crt_deinit (crt);
}

static WpiClientCert *
issue (Fixture    *f,
       const char *mac)
{
  g_autoptr(GError) error = NULL;
  WpiClientCert *cert = wpi_pki_issue_client_cert (f->pki, mac, NULL, &error);

  g_assert_no_error (error);
  return cert;
}

static void
assert_verifies (WpiPki              *pki,
                 const WpiClientCert *cert)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_pki_verify_peer_pem (pki, cert->cert_pem, cert->mac, NULL, &error));
  g_assert_no_error (error);
}

/* The own CA as the PKI's first `dls-server-ca`: the CA that signs before any import */
static TestCa
own_ca (Fixture *f)
{
  g_autofree char *pem = wpi_pki_get_ca_pem (f->pki);
  gnutls_x509_crt_t crt = test_util_parse_certificate (pem);
  TestCa ca = { g_strdup (pem), NULL, crt_dn (crt, FALSE) };

  gnutls_x509_crt_deinit (crt);
  return ca;
}

/* ---- Tests ----------------------------------------------------------------------- */

static void
check_imported (Fixture      *f,
                const TestCa *own)
{
  g_autofree char *ca_pem = wpi_pki_get_ca_pem (f->pki);
  g_auto(GStrv) server_cas = wpi_pki_get_ca_pems (f->pki);

  g_assert_cmpstr (ca_pem, ==, f->company.cert_pem);
  /* dls-server-ca: the company CA, then the own CA that signs the server certificate */
  g_assert_cmpuint (g_strv_length (server_cas), ==, 2);
  g_assert_cmpstr (server_cas[0], ==, f->company.cert_pem);
  g_assert_cmpstr (server_cas[1], ==, own->cert_pem);

  /* a certificate issued now: signed by the company CA, and admitted */
  {
    g_autoptr(WpiClientCert) cert = issue (f, MAC2);

    assert_issued_by (cert, &f->company);
    assert_verifies (f->pki, cert);
    g_assert_true (admitted (f, cert));
  }
}

static void
test_import_pem (Fixture       *f,
                 gconstpointer  data)
{
  g_auto(TestCa) own = own_ca (f);
  g_autoptr(WpiClientCert) before = issue (f, MAC1);
  g_autofree char *contents = g_strconcat (f->company.cert_pem, f->company.key_pem, NULL);
  g_autofree char *path = write_file (f, "company.pem", contents, -1);
  g_autofree char *server_before = wpi_pki_get_server_cert_pem (f->pki);
  g_autofree char *server_after = NULL;
  g_autoptr(GError) error = NULL;

  assert_issued_by (before, &own);
  g_assert_true (admitted (f, before));

  g_assert_true (wpi_pki_check_ca_file (path, &error));
  g_assert_no_error (error);
  g_assert_true (wpi_pki_import_ca_file (f->pki, path, &error));
  g_assert_no_error (error);
  check_imported (f, &own);

  /* The phone bootstrapped before the import still gets in (retired CA), and the
   * server certificate it trusts did not change. */
  g_assert_true (admitted (f, before));
  server_after = wpi_pki_get_server_cert_pem (f->pki);
  g_assert_cmpstr (server_after, ==, server_before);
  {
    const char *old_phone_cas[] = { own.cert_pem, NULL };
    gboolean server_trusted = FALSE;

    g_assert_true (secure_request (f, before, old_phone_cas, &server_trusted));
    g_assert_true (server_trusted);
  }

  /* Importing the CA that signs already changes nothing (the console does it at every
   * start) */
  g_assert_true (wpi_pki_import_ca_file (f->pki, path, &error));
  g_assert_no_error (error);
  check_imported (f, &own);
}

static void
test_import_pkcs12 (Fixture       *f,
                    gconstpointer  data)
{
  g_auto(TestCa) own = own_ca (f);
  g_autoptr(GBytes) p12 = make_p12 (&f->company, "");
  g_autofree char *path = write_file (f, "company.p12", g_bytes_get_data (p12, NULL),
                                      g_bytes_get_size (p12));
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_pki_check_ca_file (path, &error));
  g_assert_no_error (error);
  g_assert_true (wpi_pki_import_ca_file (f->pki, path, &error));
  g_assert_no_error (error);
  check_imported (f, &own);
}

typedef struct {
  const char *name;
  int         code;
} BadFile;

static void
test_bad_file (Fixture       *f,
               gconstpointer  data)
{
  g_auto(TestCa) own = own_ca (f);
  g_auto(TestCa) not_a_ca = { NULL, NULL, NULL };
  g_autoptr(GBytes) locked_p12 = make_p12 (&f->company, "secret");
  g_autofree char *ca_file = pki_file (f, "ca.pem");
  g_autofree char *only_cert = g_strdup (f->company.cert_pem);
  g_autofree char *mismatch = NULL;
  g_autofree char *leaf = NULL;
  const BadFile files[] = {
    { "missing.pem", WPI_PKI_ERROR_IO },
    { "garbage.pem", WPI_PKI_ERROR_INVALID_INPUT },
    { "garbage.p12", WPI_PKI_ERROR_INVALID_INPUT },
    { "cert-only.pem", WPI_PKI_ERROR_INVALID_INPUT },
    { "mismatch.pem", WPI_PKI_ERROR_KEY_MISMATCH },
    { "leaf.pem", WPI_PKI_ERROR_NOT_A_CA },
    { "locked.p12", WPI_PKI_ERROR_BAD_PASSWORD },
  };

  make_ca (&not_a_ca, "CN=Not a CA", FALSE);
  mismatch = g_strconcat (f->company.cert_pem, not_a_ca.key_pem, NULL);
  leaf = g_strconcat (not_a_ca.cert_pem, not_a_ca.key_pem, NULL);
  g_free (write_file (f, "garbage.pem", "-----BEGIN CERTIFICATE-----\nnonsense\n", -1));
  g_free (write_file (f, "garbage.p12", "\x30\x82\x01\x00 not DER", 12));
  g_free (write_file (f, "cert-only.pem", only_cert, -1));
  g_free (write_file (f, "mismatch.pem", mismatch, -1));
  g_free (write_file (f, "leaf.pem", leaf, -1));
  g_free (write_file (f, "locked.p12", g_bytes_get_data (locked_p12, NULL), g_bytes_get_size (locked_p12)));

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (f->dir, files[i].name, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(WpiClientCert) cert = NULL;
      g_autofree char *ca_pem = NULL;
      g_autofree char *ca_file_after = NULL;
      g_autofree char *retired = NULL;

      g_test_message ("%s", files[i].name);
      g_assert_false (wpi_pki_check_ca_file (path, &error));
      g_assert_error (error, WPI_PKI_ERROR, files[i].code);
      /* The error names the file, for Preferences to show */
      g_assert_nonnull (strstr (error->message, files[i].name));
      g_clear_error (&error);

      g_assert_false (wpi_pki_import_ca_file (f->pki, path, &error));
      g_assert_error (error, WPI_PKI_ERROR, files[i].code);

      /* Nothing changed: the same CA signs, its files are the same, none is retired */
      ca_pem = wpi_pki_get_ca_pem (f->pki);
      g_assert_cmpstr (ca_pem, ==, own.cert_pem);
      ca_file_after = pki_file (f, "ca.pem");
      g_assert_cmpstr (ca_file_after, ==, ca_file);
      retired = pki_file (f, "retired-ca.crt");
      g_assert_null (retired);
      cert = issue (f, MAC1);
      assert_issued_by (cert, &own);
    }
}

static void
test_switch_back (Fixture       *f,
                  gconstpointer  data)
{
  g_auto(TestCa) own = own_ca (f);
  g_auto(TestCa) second = { NULL, NULL, NULL };
  g_autoptr(WpiClientCert) own_phone = issue (f, MAC1);
  g_autoptr(WpiClientCert) company_phone = NULL;
  g_autoptr(WpiClientCert) second_phone = NULL;
  g_autoptr(WpiClientCert) back_phone = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (wpi_pki_import_ca_pem (f->pki, f->company.cert_pem, f->company.key_pem, NULL, &error));
  g_assert_no_error (error);
  company_phone = issue (f, MAC2);
  assert_issued_by (company_phone, &f->company);

  /* Preferences cleared the key: the own CA signs again, both CAs' phones get in */
  g_assert_true (wpi_pki_use_own_ca (f->pki, &error));
  g_assert_no_error (error);
  back_phone = issue (f, MAC3);
  assert_issued_by (back_phone, &own);
  {
    g_autofree char *ca_pem = wpi_pki_get_ca_pem (f->pki);
    g_auto(GStrv) server_cas = wpi_pki_get_ca_pems (f->pki);

    g_assert_cmpstr (ca_pem, ==, own.cert_pem);
    g_assert_cmpuint (g_strv_length (server_cas), ==, 1);
  }
  g_assert_true (admitted (f, own_phone));
  g_assert_true (admitted (f, company_phone));
  g_assert_true (admitted (f, back_phone));

  /* Another CA after that: all three CAs' phones still verify */
  make_ca (&second, "CN=Second Company CA", TRUE);
  g_assert_true (wpi_pki_import_ca_pem (f->pki, second.cert_pem, second.key_pem, NULL, &error));
  g_assert_no_error (error);
  second_phone = issue (f, MAC3);
  assert_issued_by (second_phone, &second);
  assert_verifies (f->pki, own_phone);
  assert_verifies (f->pki, company_phone);
  assert_verifies (f->pki, back_phone);
  assert_verifies (f->pki, second_phone);

  /* So it stays when the directory is opened again (the service's next start) */
  {
    g_autofree char *pki_dir = g_build_filename (f->dir, "pki", NULL);
    g_autoptr(WpiPki) again = wpi_pki_new (pki_dir, NULL, &error);
    g_autofree char *ca_pem = NULL;

    g_assert_no_error (error);
    ca_pem = wpi_pki_get_ca_pem (again);
    g_assert_cmpstr (ca_pem, ==, second.cert_pem);
    assert_verifies (again, own_phone);
    assert_verifies (again, company_phone);

    /* A retired CA's phone can still be locked out */
    g_assert_true (wpi_pki_revoke_mac (again, MAC2, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (wpi_pki_verify_peer_pem (again, company_phone->cert_pem, MAC2, NULL, &error));
    g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
    g_clear_error (&error);
  }
  g_assert_false (wpi_pki_verify_peer_pem (f->pki, company_phone->cert_pem, MAC2, NULL, &error));
  g_assert_error (error, WPI_PKI_ERROR, WPI_PKI_ERROR_REVOKED);
  g_clear_error (&error);
  g_assert_false (admitted (f, company_phone));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/ca-import/pem", Fixture, NULL, fixture_set_up, test_import_pem, fixture_tear_down);
  g_test_add ("/ca-import/pkcs12", Fixture, NULL, fixture_set_up, test_import_pkcs12, fixture_tear_down);
  g_test_add ("/ca-import/bad-file", Fixture, NULL, fixture_set_up, test_bad_file, fixture_tear_down);
  g_test_add ("/ca-import/switch-back", Fixture, NULL, fixture_set_up, test_switch_back, fixture_tear_down);

  return g_test_run ();
}
