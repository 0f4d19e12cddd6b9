/* wpi-bundle.c: the `secure-mode-data` bundle (decisions.md D8); the format is
 * described in wpi-bundle.h. Every cryptographic step is GnuTLS's. */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "wpi-libxml-private.h"
#include "wpi-bundle.h"
#include "wpi-pin.h"

#define ITEM_CLIENT_CERTIFICATE "dls-client-certificate"
#define ITEM_SERVER_CA          "dls-server-ca"
#define ITEM_SECURE_PORT        "dls-secure-port"
#define BUNDLE_NAMESPACE        "http://www.siemens.com/DLS"

#define SALT_MAGIC     "Salted__"
#define SALT_MAGIC_LEN 8
#define SALT_LEN       8
#define KEY_LEN        32
#define IV_LEN         16
#define BLOCK_LEN      16

/* A document far larger than any real bundle is refused before decryption. */
#define MAX_BUNDLE_BYTES (1024 * 1024)

G_DEFINE_QUARK (wpi-bundle-error-quark, wpi_bundle_error)

/* ---- WpiBootstrapData ---------------------------------------------------- */

G_DEFINE_BOXED_TYPE (WpiBootstrapData, wpi_bootstrap_data,
                     wpi_bootstrap_data_copy, wpi_bootstrap_data_free)

WpiBootstrapData *
wpi_bootstrap_data_new (const char         *client_certificate,
                        const char * const *server_cas,
                        guint               secure_port)
{
  WpiBootstrapData *data = g_new0 (WpiBootstrapData, 1);

  data->client_certificate = g_strdup (client_certificate);
  data->server_cas = server_cas != NULL ? g_strdupv ((char **) server_cas) : g_new0 (char *, 1);
  data->secure_port = secure_port;

  return data;
}

WpiBootstrapData *
wpi_bootstrap_data_copy (const WpiBootstrapData *data)
{
  g_return_val_if_fail (data != NULL, NULL);

  return wpi_bootstrap_data_new (data->client_certificate,
                                 (const char * const *) data->server_cas,
                                 data->secure_port);
}

void
wpi_bootstrap_data_free (WpiBootstrapData *data)
{
  if (data == NULL)
    return;

  if (data->client_certificate != NULL)
    gnutls_memset (data->client_certificate, 0, strlen (data->client_certificate));
  g_free (data->client_certificate);
  g_strfreev (data->server_cas);
  g_free (data);
}

/* ---- Packing ------------------------------------------------------------- */

static gboolean
check_data (const WpiBootstrapData  *data,
            GError                 **error)
{
  if (data->client_certificate == NULL || data->client_certificate[0] == '\0')
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_DATA,
                   "The bootstrap data has no %s", ITEM_CLIENT_CERTIFICATE);
      return FALSE;
    }

  if (data->server_cas == NULL || data->server_cas[0] == NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_DATA,
                   "The bootstrap data has no %s", ITEM_SERVER_CA);
      return FALSE;
    }

  for (guint i = 0; data->server_cas[i] != NULL; i++)
    if (data->server_cas[i][0] == '\0')
      {
        g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_DATA,
                     "%s[%u] is empty", ITEM_SERVER_CA, i);
        return FALSE;
      }

  if (data->secure_port < 1 || data->secure_port > 65535)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_DATA,
                   "%s %u is not a TCP port", ITEM_SECURE_PORT, data->secure_port);
      return FALSE;
    }

  return TRUE;
}

static void
add_item (xmlNodePtr  list,
          const char *name,
          gint64      index,
          const char *value)
{
  /* xmlNewTextChild escapes the value; xmlNewChild would not. */
  xmlNodePtr item = xmlNewTextChild (list, NULL, BAD_CAST "Item", BAD_CAST value);

  xmlNewProp (item, BAD_CAST "name", BAD_CAST name);
  if (index >= 0)
    {
      char index_str[24];

      g_snprintf (index_str, sizeof index_str, "%" G_GINT64_FORMAT, index);
      xmlNewProp (item, BAD_CAST "index", BAD_CAST index_str);
    }
}

char *
wpi_bundle_pack (const WpiBootstrapData  *data,
                 gsize                   *length,
                 GError                 **error)
{
  xmlDocPtr doc;
  xmlNodePtr list;
  xmlChar *dump = NULL;
  int dump_length = 0;
  char port_str[8];
  char *result;

  g_return_val_if_fail (data != NULL, NULL);

  if (!check_data (data, error))
    return NULL;

  _wpi_libxml_init ();
  doc = xmlNewDoc (BAD_CAST "1.0");
  list = xmlNewNode (NULL, BAD_CAST "ItemList");
  xmlSetNs (list, xmlNewNs (list, BAD_CAST BUNDLE_NAMESPACE, NULL));
  xmlDocSetRootElement (doc, list);

  add_item (list, ITEM_CLIENT_CERTIFICATE, -1, data->client_certificate);
  for (guint i = 0; data->server_cas[i] != NULL; i++)
    add_item (list, ITEM_SERVER_CA, i, data->server_cas[i]);
  g_snprintf (port_str, sizeof port_str, "%u", data->secure_port);
  add_item (list, ITEM_SECURE_PORT, -1, port_str);

  xmlDocDumpMemoryEnc (doc, &dump, &dump_length, "UTF-8");
  xmlFreeDoc (doc);

  /* The document holds a private key: copy it into GLib memory and wipe libxml's. */
  result = g_strndup ((const char *) dump, dump_length);
  gnutls_memset (dump, 0, dump_length);
  xmlFree (dump);

  if (length != NULL)
    *length = dump_length;

  return result;
}

static gboolean
is_named (xmlNodePtr  node,
          const char *name)
{
  if (node->type != XML_ELEMENT_NODE || !xmlStrEqual (node->name, BAD_CAST name))
    return FALSE;

  return node->ns == NULL || xmlStrEqual (node->ns->href, BAD_CAST BUNDLE_NAMESPACE);
}

/* The text of an Item, refusing anything but text (an element, an entity reference). */
static char *
item_text (xmlNodePtr   item,
           const char  *name,
           GError     **error)
{
  GString *text = g_string_new (NULL);

  for (xmlNodePtr child = item->children; child != NULL; child = child->next)
    {
      if (child->type != XML_TEXT_NODE && child->type != XML_CDATA_SECTION_NODE)
        {
          g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                       "Line %ld: item %s holds more than text", xmlGetLineNo (child), name);
          g_string_free (text, TRUE);
          return NULL;
        }
      if (child->content != NULL)
        g_string_append (text, (const char *) child->content);
    }

  return g_string_free (text, FALSE);
}

static gboolean
parse_uint (const char *str,
            guint64     max,
            guint64    *out)
{
  return g_ascii_string_to_unsigned (str, 10, 0, max, out, NULL) && str[0] != '+';
}

/* What the items of a bundle have given so far */
typedef struct {
  WpiBootstrapData *data;
  GPtrArray        *cas;         /* dls-server-ca by index; NULL where not (yet) given */
  gboolean          have_port;
} BundleItems;

static gboolean
add_server_ca (BundleItems  *items,
               xmlNodePtr    node,
               const char   *index_str,
               char        **value,
               GError      **error)
{
  guint64 index;

  if (index_str == NULL || !parse_uint (index_str, G_MAXUINT16, &index))
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s needs an index 0, 1, …", xmlGetLineNo (node), ITEM_SERVER_CA);
      return FALSE;
    }
  if (index >= items->cas->len)
    g_ptr_array_set_size (items->cas, index + 1);
  if (g_ptr_array_index (items->cas, index) != NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s index %s appears twice",
                   xmlGetLineNo (node), ITEM_SERVER_CA, index_str);
      return FALSE;
    }
  if ((*value)[0] == '\0')
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s[%s] is empty", xmlGetLineNo (node), ITEM_SERVER_CA, index_str);
      return FALSE;
    }
  g_ptr_array_index (items->cas, index) = g_steal_pointer (value);
  return TRUE;
}

static gboolean
set_client_certificate (BundleItems  *items,
                        xmlNodePtr    node,
                        char        **value,
                        GError      **error)
{
  if (items->data->client_certificate != NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s appears twice", xmlGetLineNo (node), ITEM_CLIENT_CERTIFICATE);
      return FALSE;
    }
  if ((*value)[0] == '\0')
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s is empty", xmlGetLineNo (node), ITEM_CLIENT_CERTIFICATE);
      return FALSE;
    }
  items->data->client_certificate = g_steal_pointer (value);
  return TRUE;
}

static gboolean
set_secure_port (BundleItems  *items,
                 xmlNodePtr    node,
                 char         *value,
                 GError      **error)
{
  guint64 port;

  if (items->have_port)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s appears twice", xmlGetLineNo (node), ITEM_SECURE_PORT);
      return FALSE;
    }
  g_strstrip (value);
  if (!parse_uint (value, 65535, &port) || port == 0)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s “%s” is not a TCP port",
                   xmlGetLineNo (node), ITEM_SECURE_PORT, value);
      return FALSE;
    }
  items->data->secure_port = port;
  items->have_port = TRUE;
  return TRUE;
}

/* One child of the ItemList: blanks and comments are skipped, an Item is taken. */
static gboolean
read_item (BundleItems  *items,
           xmlNodePtr    node,
           GError      **error)
{
  g_autofree char *name = NULL;
  g_autofree char *index_str = NULL;
  g_autofree char *value = NULL;

  if ((node->type == XML_TEXT_NODE && xmlIsBlankNode (node)) || node->type == XML_COMMENT_NODE)
    return TRUE;
  if (!is_named (node, "Item"))
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: unexpected content in ItemList", xmlGetLineNo (node));
      return FALSE;
    }

  name = (char *) xmlGetProp (node, BAD_CAST "name");
  index_str = (char *) xmlGetProp (node, BAD_CAST "index");
  if (name == NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: Item without a name", xmlGetLineNo (node));
      return FALSE;
    }

  value = item_text (node, name, error);
  if (value == NULL)
    return FALSE;

  if (g_str_equal (name, ITEM_SERVER_CA))
    return add_server_ca (items, node, index_str, &value, error);

  if (index_str != NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "Line %ld: %s takes no index", xmlGetLineNo (node), name);
      return FALSE;
    }

  if (g_str_equal (name, ITEM_CLIENT_CERTIFICATE))
    return set_client_certificate (items, node, &value, error);
  if (g_str_equal (name, ITEM_SECURE_PORT))
    return set_secure_port (items, node, value, error);

  g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
               "Line %ld: item %s does not belong in a bootstrap bundle",
               xmlGetLineNo (node), name);
  return FALSE;
}

/* Every item once, and the CA indexes without a gap */
static gboolean
check_items_complete (const BundleItems  *items,
                      GError            **error)
{
  if (items->data->client_certificate == NULL || items->cas->len == 0 || !items->have_port)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                   "The bundle lacks %s",
                   items->data->client_certificate == NULL ? ITEM_CLIENT_CERTIFICATE :
                   items->cas->len == 0 ? ITEM_SERVER_CA : ITEM_SECURE_PORT);
      return FALSE;
    }

  for (guint i = 0; i < items->cas->len; i++)
    if (g_ptr_array_index (items->cas, i) == NULL)
      {
        g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_CONTENT,
                     "%s index %u is missing (indexes must be 0, 1, …)", ITEM_SERVER_CA, i);
        return FALSE;
      }

  return TRUE;
}

/* Turns a parsed document into bootstrap data. A document that is no item list at all
 * is reported as `not_a_list_code`: after decryption that means a wrong PIN. */
static WpiBootstrapData *
data_from_document (xmlDocPtr        doc,
                    WpiBundleError   not_a_list_code,
                    GError         **error)
{
  g_autoptr(WpiBootstrapData) data = g_new0 (WpiBootstrapData, 1);
  g_autoptr(GPtrArray) cas = g_ptr_array_new_with_free_func (g_free);
  xmlNodePtr root = xmlDocGetRootElement (doc);
  BundleItems items = { data, cas, FALSE };

  if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      g_set_error_literal (error, WPI_BUNDLE_ERROR, not_a_list_code,
                           "The bundle holds a DTD");
      return NULL;
    }

  if (root == NULL || !is_named (root, "ItemList"))
    {
      g_set_error_literal (error, WPI_BUNDLE_ERROR, not_a_list_code,
                           "The bundle's root element is not ItemList");
      return NULL;
    }

  for (xmlNodePtr node = root->children; node != NULL; node = node->next)
    if (!read_item (&items, node, error))
      return NULL;

  if (!check_items_complete (&items, error))
    return NULL;

  g_ptr_array_add (cas, NULL);
  data->server_cas = (GStrv) g_ptr_array_free (g_steal_pointer (&cas), FALSE);

  return g_steal_pointer (&data);
}

static WpiBootstrapData *
unpack (const char      *document,
        gsize            length,
        WpiBundleError   not_a_list_code,
        GError         **error)
{
  xmlParserCtxtPtr context;
  xmlDocPtr doc;
  WpiBootstrapData *data;

  _wpi_libxml_init ();

  if (length > MAX_BUNDLE_BYTES || length > G_MAXINT)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_MALFORMED,
                   "The bundle is larger than %d bytes", MAX_BUNDLE_BYTES);
      return NULL;
    }

  if (!g_utf8_validate (document, length, NULL))
    {
      g_set_error_literal (error, WPI_BUNDLE_ERROR, not_a_list_code,
                           "The bundle is not UTF-8 text");
      return NULL;
    }

  /* No network, no entity substitution (the default), no error printing: the
   * document is checked for a DTD afterwards and errors go into the GError. */
  context = xmlNewParserCtxt ();
  if (context == NULL)
    g_error ("libxml2 could not allocate a parser");
  doc = xmlCtxtReadMemory (context, document, (int) length, NULL, "UTF-8",
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL)
    {
      const xmlError *xml_error = xmlCtxtGetLastError (context);
      g_autofree char *message = g_strdup (xml_error != NULL && xml_error->message != NULL ?
                                           xml_error->message : "not well-formed");

      g_set_error (error, WPI_BUNDLE_ERROR, not_a_list_code,
                   "The bundle is not an XML item list: line %d: %s",
                   xml_error != NULL ? xml_error->line : 0, g_strchomp (message));
      xmlFreeParserCtxt (context);
      return NULL;
    }
  xmlFreeParserCtxt (context);

  data = data_from_document (doc, not_a_list_code, error);
  xmlFreeDoc (doc);

  return data;
}

WpiBootstrapData *
wpi_bundle_unpack (const char  *document,
                   gsize        length,
                   GError     **error)
{
  g_return_val_if_fail (document != NULL, NULL);

  return unpack (document, length, WPI_BUNDLE_ERROR_INVALID_CONTENT, error);
}

/* ---- Encryption ---------------------------------------------------------- */

/* Key and IV as `openssl enc -pbkdf2 -md sha256` derives them. */
static gboolean
derive_key_iv (const char     *pin,
               const guint8   *salt,
               guint           iterations,
               guint8          key_iv[KEY_LEN + IV_LEN],
               GError        **error)
{
  g_autofree char *password = NULL;
  gnutls_datum_t password_datum;
  gnutls_datum_t salt_datum = { (unsigned char *) salt, SALT_LEN };
  int ret;

  if (pin == NULL || (password = wpi_pin_get_password (pin)) == NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_PIN,
                   "A PIN must be longer than its %d-digit TAN", WPI_PIN_TAN_LENGTH);
      return FALSE;
    }

  password_datum.data = (unsigned char *) password;
  password_datum.size = strlen (password);
  ret = gnutls_pbkdf2 (GNUTLS_MAC_SHA256, &password_datum, &salt_datum,
                       iterations != 0 ? iterations : WPI_BUNDLE_DEFAULT_ITERATIONS,
                       key_iv, KEY_LEN + IV_LEN);
  gnutls_memset (password, 0, password_datum.size);
  if (ret < 0)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_CRYPTO,
                   "PBKDF2 failed: %s", gnutls_strerror (ret));
      return FALSE;
    }

  return TRUE;
}

static gboolean
cipher_open (gnutls_cipher_hd_t  *cipher,
             guint8               key_iv[KEY_LEN + IV_LEN],
             GError             **error)
{
  gnutls_datum_t key = { key_iv, KEY_LEN };
  gnutls_datum_t iv = { key_iv + KEY_LEN, IV_LEN };
  int ret = gnutls_cipher_init (cipher, GNUTLS_CIPHER_AES_256_CBC, &key, &iv);

  gnutls_memset (key_iv, 0, KEY_LEN + IV_LEN);
  if (ret < 0)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_CRYPTO,
                   "AES-256-CBC is not available: %s", gnutls_strerror (ret));
      return FALSE;
    }

  return TRUE;
}

char *
wpi_bundle_seal (const WpiBootstrapData  *data,
                 const char              *pin,
                 guint                    iterations,
                 GError                 **error)
{
  g_autofree char *document = NULL;
  gsize document_length = 0;
  guint8 key_iv[KEY_LEN + IV_LEN];
  gnutls_cipher_hd_t cipher;
  g_autofree guint8 *sealed = NULL;
  size_t ciphertext_length;
  char *result;
  int ret;

  g_return_val_if_fail (data != NULL, NULL);

  if (pin == NULL || wpi_pin_get_tan (pin) == NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_PIN,
                   "A PIN must be longer than its %d-digit TAN", WPI_PIN_TAN_LENGTH);
      return NULL;
    }

  document = wpi_bundle_pack (data, &document_length, error);
  if (document == NULL)
    return NULL;

  /* PKCS#7 always pads, by a whole block when the length is already a multiple. */
  ciphertext_length = (document_length / BLOCK_LEN + 1) * BLOCK_LEN;
  sealed = g_malloc (SALT_MAGIC_LEN + SALT_LEN + ciphertext_length);
  memcpy (sealed, SALT_MAGIC, SALT_MAGIC_LEN);

  ret = gnutls_rnd (GNUTLS_RND_NONCE, sealed + SALT_MAGIC_LEN, SALT_LEN);
  if (ret < 0)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_CRYPTO,
                   "Could not get random data: %s", gnutls_strerror (ret));
      gnutls_memset (document, 0, document_length);
      return NULL;
    }

  if (!derive_key_iv (pin, sealed + SALT_MAGIC_LEN, iterations, key_iv, error) ||
      !cipher_open (&cipher, key_iv, error))
    {
      gnutls_memset (document, 0, document_length);
      return NULL;
    }

  ret = gnutls_cipher_encrypt3 (cipher, document, document_length,
                                sealed + SALT_MAGIC_LEN + SALT_LEN, &ciphertext_length,
                                GNUTLS_CIPHER_PADDING_PKCS7);
  gnutls_cipher_deinit (cipher);
  gnutls_memset (document, 0, document_length);
  if (ret < 0)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_CRYPTO,
                   "Encryption failed: %s", gnutls_strerror (ret));
      return NULL;
    }

  /* g_base64_encode writes no line breaks. */
  result = g_base64_encode (sealed, SALT_MAGIC_LEN + SALT_LEN + ciphertext_length);

  return result;
}

static gboolean
is_base64_text (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/' && *p != '=' && !g_ascii_isspace (*p))
      return FALSE;

  return TRUE;
}

/* The "Salted__" + salt + ciphertext bytes of secure-mode-data, checked for shape. */
static guint8 *
decode_sealed (const char  *secure_mode_data,
               gsize       *sealed_length,
               GError     **error)
{
  g_autofree guint8 *sealed = NULL;
  gsize ciphertext_length;

  if (strlen (secure_mode_data) > MAX_BUNDLE_BYTES * 4 / 3 + 4 || !is_base64_text (secure_mode_data))
    {
      g_set_error_literal (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_MALFORMED,
                           "secure-mode-data is not base64 text of a bundle");
      return NULL;
    }

  sealed = g_base64_decode (secure_mode_data, sealed_length);
  if (*sealed_length < SALT_MAGIC_LEN + SALT_LEN + BLOCK_LEN ||
      memcmp (sealed, SALT_MAGIC, SALT_MAGIC_LEN) != 0)
    {
      g_set_error_literal (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_MALFORMED,
                           "secure-mode-data does not start with the “Salted__” header");
      return NULL;
    }

  ciphertext_length = *sealed_length - SALT_MAGIC_LEN - SALT_LEN;
  if (ciphertext_length % BLOCK_LEN != 0)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_MALFORMED,
                   "The ciphertext (%" G_GSIZE_FORMAT " bytes) is not a whole number of AES blocks",
                   ciphertext_length);
      return NULL;
    }

  return g_steal_pointer (&sealed);
}

/* Decrypts and unpads; the plain text comes NUL-terminated, its length without the
 * padding in *plain_length. A wrong PIN shows as padding that does not check. */
static guint8 *
decrypt_sealed (const guint8  *sealed,
                gsize          sealed_length,
                const char    *pin,
                guint          iterations,
                gsize         *plain_length,
                GError       **error)
{
  gsize ciphertext_length = sealed_length - SALT_MAGIC_LEN - SALT_LEN;
  g_autofree guint8 *plain = NULL;
  guint8 key_iv[KEY_LEN + IV_LEN];
  gnutls_cipher_hd_t cipher;
  guint padding;
  guint bad_padding = 0;
  int ret;

  if (!derive_key_iv (pin, sealed + SALT_MAGIC_LEN, iterations, key_iv, error) ||
      !cipher_open (&cipher, key_iv, error))
    return NULL;

  /* Raw decryption and our own padding check: gnutls_cipher_decrypt3 in GnuTLS 3.7.9
   * looks only at the last byte, so a wrong PIN would pass it one time in 16. */
  plain = g_malloc (ciphertext_length + 1);
  ret = gnutls_cipher_decrypt2 (cipher, sealed + SALT_MAGIC_LEN + SALT_LEN, ciphertext_length,
                                plain, ciphertext_length);
  gnutls_cipher_deinit (cipher);
  if (ret < 0)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_CRYPTO,
                   "Decryption failed: %s", gnutls_strerror (ret));
      return NULL;
    }

  padding = plain[ciphertext_length - 1];
  if (padding == 0 || padding > BLOCK_LEN)
    bad_padding = 1;
  else
    for (guint i = 0; i < padding; i++)
      bad_padding |= plain[ciphertext_length - 1 - i] ^ padding;

  if (bad_padding != 0)
    {
      gnutls_memset (plain, 0, ciphertext_length);
      g_set_error_literal (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN,
                           "Wrong PIN: the bundle does not decrypt");
      return NULL;
    }

  *plain_length = ciphertext_length - padding;
  plain[*plain_length] = '\0';
  return g_steal_pointer (&plain);
}

WpiBootstrapData *
wpi_bundle_open (const char  *secure_mode_data,
                 const char  *pin,
                 guint        iterations,
                 GError     **error)
{
  g_autofree guint8 *sealed = NULL;
  gsize sealed_length = 0;
  g_autofree guint8 *plain = NULL;
  gsize plain_length = 0;
  WpiBootstrapData *data;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (secure_mode_data != NULL, NULL);

  if (pin == NULL || wpi_pin_get_tan (pin) == NULL)
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_PIN,
                   "A PIN must be longer than its %d-digit TAN", WPI_PIN_TAN_LENGTH);
      return NULL;
    }

  sealed = decode_sealed (secure_mode_data, &sealed_length, error);
  if (sealed == NULL)
    return NULL;
  plain = decrypt_sealed (sealed, sealed_length, pin, iterations, &plain_length, error);
  if (plain == NULL)
    return NULL;

  data = unpack ((const char *) plain, plain_length, WPI_BUNDLE_ERROR_WRONG_PIN, &local_error);
  gnutls_memset (plain, 0, plain_length);

  /* Garbage that happened to end in valid padding: to the user it is the same. */
  if (g_error_matches (local_error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN))
    {
      g_debug ("Bundle padding passed, content did not: %s", local_error->message);
      g_clear_error (&local_error);
      g_set_error_literal (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN,
                           "Wrong PIN: the bundle does not decrypt");
      return NULL;
    }
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));

  return data;
}
