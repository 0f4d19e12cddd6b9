/* wpi-signature.h: the XML-DSig signature around or inside a WPI message (D20, rule R22)
 *
 * The vendor's DLS signs its DLSMessages: a <Signature> of the XML-DSig namespace whose
 * <Object Id="DLSMessage"> holds the message (enveloping), or a <Signature> inside the
 * message's root (enveloped). The codec decodes the message either way and attaches what
 * it read of the signature: the algorithms, the digest and whether the referenced element
 * still hashes to it. Whether the signature itself holds needs the DLS's certificate:
 * wpi_signature_verify() checks it when a caller has one; until then it is "not checked".
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define WPI_DSIG_NAMESPACE "http://www.w3.org/2000/09/xmldsig#"

typedef enum {
  WPI_SIGNATURE_FORM_ENVELOPING,  /* <Signature><Object><DLSMessage>…</Object></Signature> */
  WPI_SIGNATURE_FORM_ENVELOPED,   /* <DLSMessage>…<Signature>…</Signature></DLSMessage> */
} WpiSignatureForm;

typedef enum {
  WPI_DIGEST_MATCHES,
  WPI_DIGEST_DOES_NOT_MATCH,
  WPI_DIGEST_NOT_CHECKED,         /* unknown algorithm, no such reference: see the problem */
} WpiDigestState;

typedef enum {
  WPI_SIGNATURE_NOT_CHECKED,      /* no certificate given */
  WPI_SIGNATURE_VERIFIED,
  WPI_SIGNATURE_INVALID,          /* the certificate's key does not verify it */
  WPI_SIGNATURE_CANNOT_CHECK,     /* unknown algorithm, unreadable certificate or value */
} WpiSignatureState;

typedef struct _WpiSignature WpiSignature;

#define WPI_TYPE_SIGNATURE (wpi_signature_get_type ())

GType              wpi_signature_get_type             (void) G_GNUC_CONST;
WpiSignature      *wpi_signature_copy                 (const WpiSignature *self);
void               wpi_signature_free                 (WpiSignature       *self);

/* Reads the signature of a message document that the codec has already accepted (so it
 * holds no DTD and no entity). NULL when the document has no XML-DSig <Signature> at
 * its root or as a child of its root. */
WpiSignature      *wpi_signature_read                 (const char         *data,
                                                       gsize               length);

WpiSignatureForm   wpi_signature_get_form             (const WpiSignature *self);
/* Algorithm URIs as written; NULL when the element is missing */
const char        *wpi_signature_get_signature_method (const WpiSignature *self);
const char        *wpi_signature_get_digest_method    (const WpiSignature *self);
const char        *wpi_signature_get_reference        (const WpiSignature *self);
/* The DigestValue as written (base64) */
const char        *wpi_signature_get_digest_value     (const WpiSignature *self);
WpiDigestState     wpi_signature_get_digest_state     (const WpiSignature *self);
WpiSignatureState  wpi_signature_get_state            (const WpiSignature *self);
/* Why the digest or the signature could not be checked, or did not verify; NULL otherwise */
const char        *wpi_signature_get_problem          (const WpiSignature *self);

/* Verifies SignatureValue over the canonicalised SignedInfo with the key of certificate
 * (PEM or DER) and records the outcome: VERIFIED, INVALID or CANNOT_CHECK. Returns
 * TRUE for VERIFIED. */
gboolean           wpi_signature_verify               (WpiSignature       *self,
                                                       GBytes             *certificate);

const char        *wpi_digest_state_to_string         (WpiDigestState      state);
const char        *wpi_signature_state_to_string      (WpiSignatureState   state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiSignature, wpi_signature_free)

G_END_DECLS
