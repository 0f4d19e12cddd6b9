/* wpi-bundle.h: the bootstrap items and the `secure-mode-data` bundle (decisions.md D8)
 *
 * The format, in full (it is the project's own reading of the guide, so it lives here
 * and nowhere else; another format would be another seal/open pair in this module):
 *
 * 1. Packed: a UTF-8 XML document whose root is a `WorkpointMessage`-style item list,
 *
 *      <?xml version="1.0" encoding="UTF-8"?>
 *      <ItemList xmlns="http://www.siemens.com/DLS">
 *        <Item name="dls-client-certificate">BASE64 PKCS#12 (D7)</Item>
 *        <Item name="dls-server-ca" index="0">-----BEGIN CERTIFICATE-----…</Item>
 *        <Item name="dls-server-ca" index="1">…</Item>
 *        <Item name="dls-secure-port">18444</Item>
 *      </ItemList>
 *
 *    holding exactly these items: one `dls-client-certificate`, one or more
 *    `dls-server-ca` with the indexes 0, 1, … in any order, one `dls-secure-port`
 *    (1..65535). The reader accepts the root with or without the namespace and
 *    refuses a DTD, entities, other items and elements inside an Item.
 * 2. Encrypted: the `openssl enc` format, "Salted__" + 8 random salt bytes + the
 *    AES-256-CBC ciphertext of the document with PKCS#7 padding. Key (32 bytes) and IV
 *    (16 bytes) are the 48 bytes of PBKDF2-HMAC-SHA256 over the PIN without its last 3
 *    characters (the TAN) and the salt, WPI_BUNDLE_DEFAULT_ITERATIONS iterations unless
 *    configured otherwise.
 * 3. Base64: standard alphabet with padding, no line breaks.
 *
 * So a stock command opens it:
 *   base64 -d | openssl enc -d -aes-256-cbc -pbkdf2 -iter 100000 -md sha256 -pass pass:<PIN minus last 3>
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* The bootstrap parameter of a phone's Secure Mode flow (D8) and the clean-up reason of a
 * refused TAN: both sides of the wire speak them. */
#define WPI_BOOTSTRAP_PARAMETER_PIN   "pin"
#define WPI_BOOTSTRAP_PARAMETER_NOPIN "nopin"
#define WPI_BOOTSTRAP_WRONG_TAN       "wrong TAN from device"

#define WPI_BUNDLE_DEFAULT_ITERATIONS 100000

/* The bootstrap items of protocol.md §7.15, the same for the no-PIN WriteItems and
 * inside the PIN bundle. */
typedef struct {
  char   *client_certificate; /* `dls-client-certificate`: base64 PKCS#12 (D7) */
  GStrv   server_cas;         /* `dls-server-ca`: PEM, the array position is the index */
  guint   secure_port;        /* `dls-secure-port` */
} WpiBootstrapData;

#define WPI_TYPE_BOOTSTRAP_DATA (wpi_bootstrap_data_get_type ())

GType             wpi_bootstrap_data_get_type (void) G_GNUC_CONST;
WpiBootstrapData *wpi_bootstrap_data_new      (const char              *client_certificate,
                                               const char * const      *server_cas,
                                               guint                    secure_port);
WpiBootstrapData *wpi_bootstrap_data_copy     (const WpiBootstrapData  *data);
/* Wipes the client certificate (it holds a private key) before freeing. */
void              wpi_bootstrap_data_free     (WpiBootstrapData        *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiBootstrapData, wpi_bootstrap_data_free)

#define WPI_BUNDLE_ERROR (wpi_bundle_error_quark ())

typedef enum {
  WPI_BUNDLE_ERROR_INVALID_DATA,    /* seal/pack: a missing or empty item, a bad port */
  WPI_BUNDLE_ERROR_INVALID_PIN,     /* a PIN not longer than its TAN */
  WPI_BUNDLE_ERROR_MALFORMED,       /* not base64, no "Salted__" header, bad length */
  WPI_BUNDLE_ERROR_WRONG_PIN,       /* padding or XML wrong after decryption */
  WPI_BUNDLE_ERROR_INVALID_CONTENT, /* an item list, but not exactly the bootstrap items */
  WPI_BUNDLE_ERROR_CRYPTO,          /* GnuTLS failed (random source, cipher, KDF) */
} WpiBundleError;

GQuark            wpi_bundle_error_quark      (void);

/* Step 1 alone, both ways. pack returns a NUL-terminated document. */
char             *wpi_bundle_pack             (const WpiBootstrapData  *data,
                                               gsize                   *length,
                                               GError                 **error);
WpiBootstrapData *wpi_bundle_unpack           (const char              *document,
                                               gsize                    length,
                                               GError                 **error);

/* The `secure-mode-data` value. iterations 0 means WPI_BUNDLE_DEFAULT_ITERATIONS. */
char             *wpi_bundle_seal             (const WpiBootstrapData  *data,
                                               const char              *pin,
                                               guint                    iterations,
                                               GError                 **error);
/* What a phone does with the PIN the user typed. A wrong PIN gives
 * WPI_BUNDLE_ERROR_WRONG_PIN. */
WpiBootstrapData *wpi_bundle_open             (const char              *secure_mode_data,
                                               const char              *pin,
                                               guint                    iterations,
                                               GError                 **error);

G_END_DECLS
