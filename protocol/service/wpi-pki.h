/* wpi-pki.h: the console's certificate authority, server certificate and per-phone
 * client certificates (issue 4 §1, decisions.md D7 and D17), all with GnuTLS.
 *
 * A WpiPki is bound to one directory (created mode 0700; every file in it 0600,
 * written atomically: temporary file, fsync, rename):
 *
 *   ca.pem                 CA private key + CA certificate chain (signing CA first)
 *   ca.crt                 the CA certificate chain alone (for a GTlsFileDatabase)
 *   own-ca.pem             the console's own CA (key + chain), also while another signs
 *   retired-ca.crt         CAs that signed before the current one: they still verify
 *   server.pem             server private key + server certificate + own CA chain
 *   crl.pem                the CRL of every revoked serial, signed by the CA
 *   revoked.tsv            revoked serials, one "SERIAL<TAB>MAC<TAB>UNIX-TIME" a line
 *   clients/MAC12/current.pem   the phone's current private key + certificate
 *   clients/MAC12/SERIAL.crt    every certificate ever issued for the phone
 *
 * MAC12 is the MAC as 12 upper-case hex digits; SERIAL is upper-case hex. Opening the
 * directory loads what is there and creates only what is missing, so a second open
 * never regenerates the CA. The server certificate is re-issued (with the same key)
 * when the host's addresses or name are no longer all in its SANs or when it is within
 * 30 days of expiry.
 *
 * Another CA (a company CA) can sign the phones' certificates instead of the console's
 * own (wpi_pki_import_ca_*()), and the own one can take over again
 * (wpi_pki_use_own_ca()). The CA that stops signing is retired, not forgotten: the
 * certificates it signed keep verifying, so that phones bootstrapped under it keep
 * working until they are bootstrapped again. The server certificate always comes from
 * the own CA, which `dls-server-ca` always lists, so every phone keeps trusting it (D23).
 *
 * Issuing a new certificate for a phone does not revoke the old one: a phone in
 * Secure Mode still needs it to fetch the new one. Revoke with wpi_pki_revoke_superseded()
 * once the phone has switched, or wpi_pki_revoke_mac() to lock the phone out.
 *
 * Serving: wpi_pki_get_server_certificate() for the SoupServer ("tls-certificate"),
 * G_TLS_AUTHENTICATION_REQUIRED and a g_tls_file_database_new (wpi_pki_get_ca_path ())
 * on the secure port. GIO hands every client certificate of a server connection to
 * "accept-certificate" (SoupServerMessage::accept-certificate in libsoup), also when it
 * found nothing wrong, and checks no revocation: answer that signal with
 * wpi_pki_verify_peer (pki, peer, NULL, ...), then check the MAC of each message with
 * wpi_pki_verify_peer (pki, peer, mac, ...).
 *
 * Several processes may open the same directory (the service, wpictl): a revocation
 * holds an flock() on the directory while it rewrites revoked.tsv and crl.pem, and
 * every instance reloads both when revoked.tsv changed before it verifies a peer or
 * answers wpi_pki_is_revoked(), so a phone revoked elsewhere is refused at once.
 *
 * All methods may be called from any thread.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WPI_PKI_DEFAULT_KEY_BITS             2048
#define WPI_PKI_DEFAULT_CA_VALIDITY_DAYS     (20 * 365)
#define WPI_PKI_DEFAULT_CLIENT_VALIDITY_DAYS (10 * 365)
#define WPI_PKI_CA_COMMON_NAME               "Workpoint Console CA"

#define WPI_PKI_ERROR (wpi_pki_error_quark ())

typedef enum {
  WPI_PKI_ERROR_IO,               /* a file or directory could not be read or written */
  WPI_PKI_ERROR_CRYPTO,           /* GnuTLS failed to generate, sign or encode */
  WPI_PKI_ERROR_INVALID_MAC,      /* not a MAC address */
  WPI_PKI_ERROR_INVALID_INPUT,    /* PEM or PKCS#12 data that does not parse */
  WPI_PKI_ERROR_BAD_PASSWORD,     /* the password does not open the key or PKCS#12 */
  WPI_PKI_ERROR_NOT_A_CA,         /* import: the certificate may not sign certificates */
  WPI_PKI_ERROR_KEY_MISMATCH,     /* import: the key does not belong to the certificate */
  WPI_PKI_ERROR_NOT_FOUND,        /* no certificate for that phone or serial */
  /* Peer verification, one code per reason (wpi_pki_verify_peer*) */
  WPI_PKI_ERROR_NO_CERTIFICATE,   /* the peer presented no certificate */
  WPI_PKI_ERROR_UNTRUSTED,        /* does not chain to the console's CA */
  WPI_PKI_ERROR_EXPIRED,          /* outside its validity period */
  WPI_PKI_ERROR_REVOKED,          /* revoked */
  WPI_PKI_ERROR_WRONG_PURPOSE,    /* not a TLS client certificate */
  WPI_PKI_ERROR_WRONG_MAC,        /* names another phone (or none) */
} WpiPkiError;

GQuark wpi_pki_error_quark (void);

/* One issued client certificate. */
typedef struct {
  char   *mac;        /* "00:1A:E8:12:34:56" */
  char   *serial;     /* upper-case hex */
  char   *cert_pem;
  char   *key_pem;    /* PKCS#8, unencrypted; NULL when only the certificate is known */
  gint64  not_before; /* Unix time */
  gint64  not_after;
} WpiClientCert;

#define WPI_TYPE_CLIENT_CERT (wpi_client_cert_get_type ())

GType          wpi_client_cert_get_type (void) G_GNUC_CONST;
WpiClientCert *wpi_client_cert_copy     (const WpiClientCert *cert);
/* Wipes the private key before freeing. */
void           wpi_client_cert_free     (WpiClientCert       *cert);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiClientCert, wpi_client_cert_free)

#define WPI_TYPE_PKI (wpi_pki_get_type ())

G_DECLARE_FINAL_TYPE (WpiPki, wpi_pki, WPI, PKI, GObject)

/* Opens (and on first use creates) the PKI in `directory`. GInitable: the properties
 * "key-bits" and "client-validity-days" can be given with g_initable_new(). */
WpiPki          *wpi_pki_new                    (const char     *directory,
                                                 GCancellable   *cancellable,
                                                 GError        **error);

const char      *wpi_pki_get_directory          (WpiPki         *self);
guint            wpi_pki_get_key_bits           (WpiPki         *self);
void             wpi_pki_set_key_bits           (WpiPki         *self,
                                                 guint           key_bits);
guint            wpi_pki_get_client_validity_days (WpiPki       *self);
void             wpi_pki_set_client_validity_days (WpiPki       *self,
                                                 guint           days);

/* --- The CA ----------------------------------------------------------------------- */

/* The signing CA's certificate chain as PEM, signing CA first. */
char            *wpi_pki_get_ca_pem             (WpiPki         *self);
/* `dls-server-ca`, one PEM certificate per element (element i is index i): the same
 * chain, then the console's own CA when another CA signs. */
GStrv            wpi_pki_get_ca_pems            (WpiPki         *self);
/* Path of ca.crt, e.g. for g_tls_file_database_new(). */
const char      *wpi_pki_get_ca_path            (WpiPki         *self);

/* Makes an existing CA, e.g. a company CA, sign the phones' certificates from now on.
 * `cert_pem` may hold the issuers of the CA after it; `key_pem` may be encrypted
 * (`password`, else NULL). The previous CA is retired: certificates it signed still
 * verify. The server certificate stays with the own CA. Importing the CA that signs
 * already changes nothing. On any error nothing changes. */
gboolean         wpi_pki_import_ca_pem          (WpiPki         *self,
                                                 const char     *cert_pem,
                                                 const char     *key_pem,
                                                 const char     *password,
                                                 GError        **error);
gboolean         wpi_pki_import_ca_pkcs12       (WpiPki         *self,
                                                 GBytes         *pkcs12_der,
                                                 const char     *password,
                                                 GError        **error);
/* The same from a file, as Preferences names it: PEM holding the certificate(s) and the
 * unencrypted key, or PKCS#12 with the empty password. */
gboolean         wpi_pki_import_ca_file         (WpiPki         *self,
                                                 const char     *path,
                                                 GError        **error);
/* Whether wpi_pki_import_ca_file() could import `path`, without importing it. */
gboolean         wpi_pki_check_ca_file          (const char     *path,
                                                 GError        **error);
/* The console's own CA signs again; the imported one is retired. */
gboolean         wpi_pki_use_own_ca             (WpiPki         *self,
                                                 GError        **error);

/* --- The server certificate ------------------------------------------------------- */

/* Server certificate (with the CA chain as issuer) and key, ready for a SoupServer. */
GTlsCertificate *wpi_pki_get_server_certificate (WpiPki         *self,
                                                 GError        **error);
/* The certificate chain PEM alone (no key). */
char            *wpi_pki_get_server_cert_pem    (WpiPki         *self);
/* Every DNS name and IP address in its SANs. */
GStrv            wpi_pki_get_server_names       (WpiPki         *self);

/* --- Client certificates ---------------------------------------------------------- */

/* A new private key of "key-bits" bits (RSA), PKCS#8 PEM. Slow; needs no lock, so
 * several threads can make keys at once. */
char            *wpi_pki_generate_key_pem       (WpiPki         *self,
                                                 GError        **error);

/* Issues a client certificate for `mac` (subject CN = "00:1A:E8:12:34:56", a unique
 * serial, digitalSignature, clientAuth, valid "client-validity-days") and makes it the
 * phone's current one. With key_pem NULL a new key is generated. */
WpiClientCert   *wpi_pki_issue_client_cert      (WpiPki         *self,
                                                 const char     *mac,
                                                 const char     *key_pem,
                                                 GError        **error);
/* The phone's current certificate and key, or WPI_PKI_ERROR_NOT_FOUND. */
WpiClientCert   *wpi_pki_lookup_client_cert     (WpiPki         *self,
                                                 const char     *mac,
                                                 GError        **error);

/* D7: base64 (no line breaks) of a PKCS#12 with the client certificate, its key (a plain
 * PKCS#8 key bag) and the CA chain, in bags that are not encrypted, with the integrity MAC
 * under the empty password: `openssl pkcs12 -passin pass: -nodes` opens it. */
char            *wpi_pki_export_client_p12_base64 (WpiPki              *self,
                                                   const WpiClientCert *cert,
                                                   GError             **error);

/* --- Revocation ------------------------------------------------------------------- */

gboolean         wpi_pki_revoke_serial          (WpiPki         *self,
                                                 const char     *serial,
                                                 GError        **error);
/* Revokes every certificate ever issued for the phone. n_revoked may be NULL. */
gboolean         wpi_pki_revoke_mac             (WpiPki         *self,
                                                 const char     *mac,
                                                 guint          *n_revoked,
                                                 GError        **error);
/* Revokes every certificate of the phone except its current one. */
gboolean         wpi_pki_revoke_superseded      (WpiPki         *self,
                                                 const char     *mac,
                                                 guint          *n_revoked,
                                                 GError        **error);
gboolean         wpi_pki_is_revoked             (WpiPki         *self,
                                                 const char     *serial);
char            *wpi_pki_get_crl_pem            (WpiPki         *self);

/* --- Peer verification ------------------------------------------------------------ */

/* Checks a phone's TLS client certificate chain (PEM, leaf first): it chains to the
 * console's CA, is within its validity, is not revoked, is meant for TLS clients and,
 * when expected_mac is not NULL, names that MAC. On success *out_mac (may be NULL)
 * receives the MAC the certificate names. Each failure has its own error code. */
gboolean         wpi_pki_verify_peer_pem        (WpiPki         *self,
                                                 const char     *chain_pem,
                                                 const char     *expected_mac,
                                                 char          **out_mac,
                                                 GError        **error);
/* The same for the peer certificate of a GTlsConnection (its issuers are included). */
gboolean         wpi_pki_verify_peer            (WpiPki           *self,
                                                 GTlsCertificate  *peer,
                                                 const char       *expected_mac,
                                                 char            **out_mac,
                                                 GError          **error);

G_END_DECLS
