/* wpi-signature.c: reading and checking the XML-DSig signature of a WPI message (D20)
 *
 * Only what a technician needs to see is implemented: one Reference, to the element with
 * that Id ("#DLSMessage", enveloping) or to the whole document ("", enveloped), the
 * canonicalisations of XML-DSig (C14N 1.0, 1.1, exclusive; with or without comments),
 * SHA-1/256/512 digests and RSA-SHA1/256/512 signatures.
 */
#include "config.h"

#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>

#include "wpi-libxml-private.h"
#include "wpi-signature.h"

struct _WpiSignature
{
  WpiSignatureForm   form;
  char              *signature_method;
  char              *digest_method;
  char              *reference;
  char              *digest_value;
  WpiDigestState     digest_state;
  WpiSignatureState  state;
  char              *problem;
  GBytes            *signed_info;       /* canonicalised SignedInfo, what was signed */
  GBytes            *signature_value;   /* decoded SignatureValue */
};

G_DEFINE_BOXED_TYPE (WpiSignature, wpi_signature, wpi_signature_copy, wpi_signature_free)

WpiSignature *
wpi_signature_copy (const WpiSignature *self)
{
  WpiSignature *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (WpiSignature, 1);
  *copy = *self;
  copy->signature_method = g_strdup (self->signature_method);
  copy->digest_method = g_strdup (self->digest_method);
  copy->reference = g_strdup (self->reference);
  copy->digest_value = g_strdup (self->digest_value);
  copy->problem = g_strdup (self->problem);
  copy->signed_info = self->signed_info ? g_bytes_ref (self->signed_info) : NULL;
  copy->signature_value = self->signature_value ? g_bytes_ref (self->signature_value) : NULL;
  return copy;
}

void
wpi_signature_free (WpiSignature *self)
{
  if (self == NULL)
    return;
  g_free (self->signature_method);
  g_free (self->digest_method);
  g_free (self->reference);
  g_free (self->digest_value);
  g_free (self->problem);
  g_clear_pointer (&self->signed_info, g_bytes_unref);
  g_clear_pointer (&self->signature_value, g_bytes_unref);
  g_free (self);
}

static void
set_problem (WpiSignature *self,
             const char   *problem)
{
  g_free (self->problem);
  self->problem = g_strdup (problem);
}

/* ---- Algorithms --------------------------------------------------------- */

typedef struct {
  const char            *uri;
  xmlC14NMode            mode;
  gboolean               with_comments;
} C14nAlgorithm;

static const C14nAlgorithm c14n_algorithms[] = {
  { "http://www.w3.org/TR/2001/REC-xml-c14n-20010315", XML_C14N_1_0, FALSE },
  { "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments", XML_C14N_1_0, TRUE },
  { "http://www.w3.org/2006/12/xml-c14n11", XML_C14N_1_1, FALSE },
  { "http://www.w3.org/2006/12/xml-c14n11#WithComments", XML_C14N_1_1, TRUE },
  { "http://www.w3.org/2001/10/xml-exc-c14n#", XML_C14N_EXCLUSIVE_1_0, FALSE },
  { "http://www.w3.org/2001/10/xml-exc-c14n#WithComments", XML_C14N_EXCLUSIVE_1_0, TRUE },
};

static const C14nAlgorithm *
find_c14n (const char *uri)
{
  for (guint i = 0; uri != NULL && i < G_N_ELEMENTS (c14n_algorithms); i++)
    if (strcmp (uri, c14n_algorithms[i].uri) == 0)
      return &c14n_algorithms[i];
  return NULL;
}

static gnutls_digest_algorithm_t
find_digest (const char *uri)
{
  static const struct { const char *uri; gnutls_digest_algorithm_t algorithm; } digests[] = {
    { "http://www.w3.org/2000/09/xmldsig#sha1", GNUTLS_DIG_SHA1 },
    { "http://www.w3.org/2001/04/xmlenc#sha256", GNUTLS_DIG_SHA256 },
    { "http://www.w3.org/2001/04/xmlenc#sha512", GNUTLS_DIG_SHA512 },
  };

  for (guint i = 0; uri != NULL && i < G_N_ELEMENTS (digests); i++)
    if (strcmp (uri, digests[i].uri) == 0)
      return digests[i].algorithm;
  return GNUTLS_DIG_UNKNOWN;
}

static gnutls_sign_algorithm_t
find_signature_algorithm (const char *uri)
{
  static const struct { const char *uri; gnutls_sign_algorithm_t algorithm; } signs[] = {
    { "http://www.w3.org/2000/09/xmldsig#rsa-sha1", GNUTLS_SIGN_RSA_SHA1 },
    { "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", GNUTLS_SIGN_RSA_SHA256 },
    { "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", GNUTLS_SIGN_RSA_SHA512 },
  };

  for (guint i = 0; uri != NULL && i < G_N_ELEMENTS (signs); i++)
    if (strcmp (uri, signs[i].uri) == 0)
      return signs[i].algorithm;
  return GNUTLS_SIGN_UNKNOWN;
}

/* ---- The document ------------------------------------------------------- */

static gboolean
is_dsig_element (xmlNode    *node,
                 const char *name)
{
  return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
         xmlStrcmp (node->ns->href, BAD_CAST WPI_DSIG_NAMESPACE) == 0 &&
         xmlStrcmp (node->name, BAD_CAST name) == 0;
}

static xmlNode *
dsig_child (xmlNode    *parent,
            const char *name)
{
  for (xmlNode *child = parent != NULL ? parent->children : NULL; child; child = child->next)
    if (is_dsig_element (child, name))
      return child;
  return NULL;
}

static char *
attribute (xmlNode    *node,
           const char *name)
{
  xmlChar *value = node != NULL ? xmlGetProp (node, BAD_CAST name) : NULL;
  char *result = value != NULL ? g_strdup ((const char *) value) : NULL;

  xmlFree (value);
  return result;
}

/* Element text with all white space removed (base64 is often wrapped) */
static char *
compact_text (xmlNode *node)
{
  xmlChar *text = node != NULL ? xmlNodeGetContent (node) : NULL;
  GString *out = g_string_new (NULL);

  for (const xmlChar *p = text; p != NULL && *p; p++)
    if (!g_ascii_isspace (*p))
      g_string_append_c (out, (char) *p);
  xmlFree (text);
  return g_string_free (out, FALSE);
}

static xmlNode *
find_by_id (xmlNode    *node,
            const char *id)
{
  for (; node != NULL; node = node->next)
    {
      xmlNode *found;

      if (node->type != XML_ELEMENT_NODE)
        continue;
      for (const char * const *name = (const char * const[]) { "Id", "ID", "id", NULL }; *name; name++)
        {
          g_autofree char *value = attribute (node, *name);

          if (g_strcmp0 (value, id) == 0)
            return node;
        }
      if ((found = find_by_id (node->children, id)) != NULL)
        return found;
    }
  return NULL;
}

/* ---- Canonicalisation --------------------------------------------------- */

typedef struct {
  xmlNode *apex;       /* the subtree to render */
  xmlNode *excluded;   /* a subtree to leave out (the enveloped Signature), or NULL */
} Subset;

static gboolean
is_inside (xmlNode *node,
           xmlNode *ancestor)
{
  for (; node != NULL; node = node->parent)
    if (node == ancestor)
      return TRUE;
  return FALSE;
}

static int
subset_is_visible (void       *user_data,
                   xmlNodePtr  node,
                   xmlNodePtr  parent)
{
  Subset *subset = user_data;
  /* libxml2 passes namespace nodes as xmlNs with their element as parent */
  xmlNode *where = node != NULL && node->type == XML_NAMESPACE_DECL ? parent : node;

  if (where == NULL)
    return 0;
  if (subset->excluded != NULL && is_inside (where, subset->excluded))
    return 0;
  return is_inside (where, subset->apex) ? 1 : 0;
}

static GBytes *
canonicalise (xmlDoc              *doc,
              Subset              *subset,
              const C14nAlgorithm *algorithm)
{
  xmlOutputBuffer *buffer = xmlAllocOutputBuffer (NULL);
  GBytes *result = NULL;

  if (buffer == NULL)
    return NULL;
  if (xmlC14NExecute (doc, subset_is_visible, subset, algorithm->mode, NULL,
                      algorithm->with_comments, buffer) >= 0)
    result = g_bytes_new (xmlOutputBufferGetContent (buffer), xmlOutputBufferGetSize (buffer));
  xmlOutputBufferClose (buffer);
  return result;
}

/* The Transforms of a Reference: the canonicalisation, and whether the enveloped
 * Signature is left out. Without a canonicalisation transform a node set becomes
 * octets by inclusive C14N 1.0 (XML-DSig §4.4.3.2). */
static const C14nAlgorithm *
read_transforms (xmlNode  *reference,
                 gboolean *enveloped,
                 char    **unknown)
{
  const C14nAlgorithm *algorithm = &c14n_algorithms[0];

  *enveloped = FALSE;
  for (xmlNode *transform = dsig_child (dsig_child (reference, "Transforms"), "Transform");
       transform != NULL; transform = transform->next)
    {
      g_autofree char *uri = NULL;

      if (!is_dsig_element (transform, "Transform"))
        continue;
      uri = attribute (transform, "Algorithm");
      if (g_strcmp0 (uri, WPI_DSIG_NAMESPACE "enveloped-signature") == 0)
        *enveloped = TRUE;
      else if (find_c14n (uri) != NULL)
        algorithm = find_c14n (uri);
      else if (*unknown == NULL)
        *unknown = g_steal_pointer (&uri);
    }
  return algorithm;
}

static void
check_digest (WpiSignature *self,
              xmlDoc       *doc,
              xmlNode      *signature,
              xmlNode      *reference)
{
  gnutls_digest_algorithm_t digest = find_digest (self->digest_method);
  const C14nAlgorithm *algorithm;
  C14nAlgorithm same_document;
  g_autofree char *unknown = NULL;
  g_autofree char *computed = NULL;
  g_autoptr(GBytes) octets = NULL;
  guint8 hash[64];
  Subset subset = { NULL, NULL };
  gboolean enveloped;

  self->digest_state = WPI_DIGEST_NOT_CHECKED;
  algorithm = read_transforms (reference, &enveloped, &unknown);
  if (unknown != NULL)
    {
      set_problem (self, "unknown transform");
      return;
    }
  if (digest == GNUTLS_DIG_UNKNOWN)
    {
      set_problem (self, "unknown digest method");
      return;
    }

  if (self->reference == NULL || self->reference[0] == '\0')
    subset.apex = xmlDocGetRootElement (doc);
  else if (self->reference[0] == '#')
    subset.apex = find_by_id (xmlDocGetRootElement (doc), self->reference + 1);
  if (subset.apex == NULL)
    {
      set_problem (self, "the reference names no element of the message");
      return;
    }
  if (enveloped)
    subset.excluded = signature;

  /* A same-document reference ("" or "#id") leaves comments out, whatever the
   * canonicalisation (XML-DSig §4.4.3.3) */
  same_document = *algorithm;
  same_document.with_comments = FALSE;
  octets = canonicalise (doc, &subset, &same_document);
  if (octets == NULL ||
      gnutls_hash_fast (digest, g_bytes_get_data (octets, NULL), g_bytes_get_size (octets), hash) < 0)
    {
      set_problem (self, "the referenced element cannot be canonicalised");
      return;
    }

  computed = g_base64_encode (hash, gnutls_hash_get_len (digest));
  self->digest_state = g_strcmp0 (computed, self->digest_value) == 0 ? WPI_DIGEST_MATCHES
                                                                      : WPI_DIGEST_DOES_NOT_MATCH;
}

/* What SignatureValue signs: SignedInfo, canonicalised as its CanonicalizationMethod says */
static void
read_signed_info (WpiSignature *self,
                  xmlDoc       *doc,
                  xmlNode      *signature,
                  xmlNode      *signed_info)
{
  g_autofree char *c14n_uri = attribute (dsig_child (signed_info, "CanonicalizationMethod"), "Algorithm");
  g_autofree char *value = compact_text (dsig_child (signature, "SignatureValue"));
  const C14nAlgorithm *algorithm = find_c14n (c14n_uri);
  Subset subset = { signed_info, NULL };

  if (algorithm != NULL)
    self->signed_info = canonicalise (doc, &subset, algorithm);
  if (value[0] != '\0')
    {
      gsize length = 0;
      guchar *decoded = g_base64_decode (value, &length);

      self->signature_value = g_bytes_new_take (decoded, length);
    }
}

static xmlNode *
find_signature (xmlNode          *root,
                WpiSignatureForm *form)
{
  if (is_dsig_element (root, "Signature"))
    {
      *form = WPI_SIGNATURE_FORM_ENVELOPING;
      return root;
    }
  *form = WPI_SIGNATURE_FORM_ENVELOPED;
  return dsig_child (root, "Signature");
}

WpiSignature *
wpi_signature_read (const char *data,
                    gsize       length)
{
  WpiSignature *self = NULL;
  xmlDoc *doc;
  xmlNode *signature, *signed_info, *reference;
  WpiSignatureForm form;

  g_return_val_if_fail (data != NULL, NULL);

  _wpi_libxml_init ();
  /* The codec has refused DTDs and entities already; no network either way. */
  doc = xmlReadMemory (data, (int) length, NULL, NULL,
                       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC);
  if (doc == NULL)
    return NULL;

  signature = find_signature (xmlDocGetRootElement (doc), &form);
  if (signature != NULL)
    {
      self = g_new0 (WpiSignature, 1);
      self->form = form;
      self->state = WPI_SIGNATURE_NOT_CHECKED;
      signed_info = dsig_child (signature, "SignedInfo");
      reference = dsig_child (signed_info, "Reference");
      self->signature_method = attribute (dsig_child (signed_info, "SignatureMethod"), "Algorithm");
      self->digest_method = attribute (dsig_child (reference, "DigestMethod"), "Algorithm");
      self->reference = attribute (reference, "URI");
      self->digest_value = compact_text (dsig_child (reference, "DigestValue"));
      if (reference != NULL)
        check_digest (self, doc, signature, reference);
      else
        {
          self->digest_state = WPI_DIGEST_NOT_CHECKED;
          set_problem (self, "SignedInfo has no Reference");
        }
      read_signed_info (self, doc, signature, signed_info);
    }

  xmlFreeDoc (doc);
  return self;
}

/* ---- Verification ------------------------------------------------------- */

static gboolean
import_public_key (GBytes          *certificate,
                   gnutls_pubkey_t *key)
{
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t datum = { (unsigned char *) g_bytes_get_data (certificate, NULL),
                           (unsigned int) g_bytes_get_size (certificate) };
  gboolean ok;

  if (gnutls_x509_crt_init (&crt) < 0)
    return FALSE;
  ok = (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_PEM) >= 0 ||
        gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER) >= 0) &&
       gnutls_pubkey_init (key) >= 0;
  if (ok && gnutls_pubkey_import_x509 (*key, crt, 0) < 0)
    {
      gnutls_pubkey_deinit (*key);
      ok = FALSE;
    }
  gnutls_x509_crt_deinit (crt);
  return ok;
}

static WpiSignatureState
cannot_check (WpiSignature *self,
              const char   *problem)
{
  set_problem (self, problem);
  return WPI_SIGNATURE_CANNOT_CHECK;
}

static WpiSignatureState
check_signature (WpiSignature *self,
                 GBytes       *certificate)
{
  gnutls_sign_algorithm_t algorithm = find_signature_algorithm (self->signature_method);
  gnutls_pubkey_t key = NULL;
  gnutls_datum_t data, value;
  int ret;

  if (algorithm == GNUTLS_SIGN_UNKNOWN)
    return cannot_check (self, "unknown signature method");
  if (self->signed_info == NULL)
    return cannot_check (self, "SignedInfo cannot be canonicalised");
  if (self->signature_value == NULL || g_bytes_get_size (self->signature_value) == 0)
    return cannot_check (self, "no SignatureValue");
  if (!import_public_key (certificate, &key))
    return cannot_check (self, "the certificate cannot be read");

  data.data = (unsigned char *) g_bytes_get_data (self->signed_info, NULL);
  data.size = g_bytes_get_size (self->signed_info);
  value.data = (unsigned char *) g_bytes_get_data (self->signature_value, NULL);
  value.size = g_bytes_get_size (self->signature_value);
  /* The vendor's DLS signs with RSA-SHA1; showing whether it holds is the point here. */
  ret = gnutls_pubkey_verify_data2 (key, algorithm, GNUTLS_VERIFY_ALLOW_SIGN_WITH_SHA1, &data, &value);
  gnutls_pubkey_deinit (key);
  if (ret < 0)
    {
      set_problem (self, "the signature does not verify with the certificate's key");
      return WPI_SIGNATURE_INVALID;
    }
  return WPI_SIGNATURE_VERIFIED;
}

gboolean
wpi_signature_verify (WpiSignature *self,
                      GBytes       *certificate)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (certificate != NULL, FALSE);

  self->state = check_signature (self, certificate);
  return self->state == WPI_SIGNATURE_VERIFIED;
}

/* ---- Accessors ---------------------------------------------------------- */

WpiSignatureForm
wpi_signature_get_form (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, WPI_SIGNATURE_FORM_ENVELOPING);
  return self->form;
}

const char *
wpi_signature_get_signature_method (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->signature_method;
}

const char *
wpi_signature_get_digest_method (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->digest_method;
}

const char *
wpi_signature_get_reference (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->reference;
}

const char *
wpi_signature_get_digest_value (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->digest_value;
}

WpiDigestState
wpi_signature_get_digest_state (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, WPI_DIGEST_NOT_CHECKED);
  return self->digest_state;
}

WpiSignatureState
wpi_signature_get_state (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, WPI_SIGNATURE_NOT_CHECKED);
  return self->state;
}

const char *
wpi_signature_get_problem (const WpiSignature *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->problem;
}

const char *
wpi_digest_state_to_string (WpiDigestState state)
{
  switch (state)
    {
    case WPI_DIGEST_MATCHES: return "matches";
    case WPI_DIGEST_DOES_NOT_MATCH: return "does not match";
    case WPI_DIGEST_NOT_CHECKED: return "not checked";
    default: return NULL;
    }
}

const char *
wpi_signature_state_to_string (WpiSignatureState state)
{
  switch (state)
    {
    case WPI_SIGNATURE_NOT_CHECKED: return "not checked";
    case WPI_SIGNATURE_VERIFIED: return "verified";
    case WPI_SIGNATURE_INVALID: return "invalid";
    case WPI_SIGNATURE_CANNOT_CHECK: return "cannot be checked";
    default: return NULL;
    }
}
