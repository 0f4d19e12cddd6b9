/* wpi-message.h: one WorkPoint Interface message, either direction
 *
 * A WorkpointMessage (phone -> service) carries a nonce, maxItems, fragment, a
 * ReasonForContact with optional action and status attributes, and items. A
 * DLSMessage (service -> phone) carries a nonce, one Action and items. Both share
 * this model: `action` is the ReasonForContact@action of a phone message and the
 * Action element of a service message. Every string is kept as received, so a
 * value the guide does not name survives a parse/serialize round trip.
 */
#pragma once

#include <glib-object.h>

#include "wpi-signature.h"
#include "wpi-types.h"

G_BEGIN_DECLS

#define WPI_NAMESPACE "http://www.siemens.com/DLS"

/* Limits of decisions.md D5 */
#define WPI_MAX_BODY_BYTES (1024 * 1024)
#define WPI_MAX_DEPTH      16
#define WPI_MAX_ITEMS      10000

typedef struct _WpiItem WpiItem;

struct _WpiItem {
  char     *name;
  char     *value;      /* never NULL: "" for an empty element */
  char     *type;       /* NULL when absent */
  char     *status;     /* NULL when absent; the raw string */
  gint64    index;      /* meaningful only when has_index */
  gboolean  has_index;
};

#define WPI_TYPE_ITEM (wpi_item_get_type ())

GType          wpi_item_get_type    (void) G_GNUC_CONST;
WpiItem       *wpi_item_new         (const char    *name,
                                     const char    *value);
WpiItem       *wpi_item_new_indexed (const char    *name,
                                     gint64         index,
                                     const char    *value);
WpiItem       *wpi_item_copy        (const WpiItem *item);
void           wpi_item_free        (WpiItem       *item);
gboolean       wpi_item_equal       (const WpiItem *a,
                                     const WpiItem *b);
void           wpi_item_set_status  (WpiItem       *item,
                                     const char    *status);
WpiItemStatus  wpi_item_get_status  (const WpiItem *item);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiItem, wpi_item_free)

#define WPI_TYPE_MESSAGE (wpi_message_get_type ())

G_DECLARE_FINAL_TYPE (WpiMessage, wpi_message, WPI, MESSAGE, GObject)

WpiMessage      *wpi_message_new                 (WpiMessageKind    kind,
                                                  const char       *nonce);
WpiMessageKind   wpi_message_get_kind            (WpiMessage       *self);
const char      *wpi_message_get_nonce           (WpiMessage       *self);
void             wpi_message_set_nonce           (WpiMessage       *self,
                                                  const char       *nonce);

/* maxItems: has_max_items is FALSE when the attribute is absent (meaning unlimited). */
gboolean         wpi_message_has_max_items       (WpiMessage       *self);
gint64           wpi_message_get_max_items       (WpiMessage       *self);
void             wpi_message_set_max_items       (WpiMessage       *self,
                                                  gint64            max_items);
void             wpi_message_unset_max_items     (WpiMessage       *self);

const char      *wpi_message_get_fragment_string (WpiMessage       *self);
WpiFragment      wpi_message_get_fragment        (WpiMessage       *self);
void             wpi_message_set_fragment_string (WpiMessage       *self,
                                                  const char       *fragment);
void             wpi_message_set_fragment        (WpiMessage       *self,
                                                  WpiFragment       fragment);

const char      *wpi_message_get_reason_string   (WpiMessage       *self);
WpiReason        wpi_message_get_reason          (WpiMessage       *self);
void             wpi_message_set_reason_string   (WpiMessage       *self,
                                                  const char       *reason);
void             wpi_message_set_reason          (WpiMessage       *self,
                                                  WpiReason         reason);

const char      *wpi_message_get_action_string   (WpiMessage       *self);
WpiAction        wpi_message_get_action          (WpiMessage       *self);
void             wpi_message_set_action_string   (WpiMessage       *self,
                                                  const char       *action);
void             wpi_message_set_action          (WpiMessage       *self,
                                                  WpiAction         action);

const char      *wpi_message_get_status_string   (WpiMessage       *self);
WpiMessageStatus wpi_message_get_status          (WpiMessage       *self);
void             wpi_message_set_status_string   (WpiMessage       *self,
                                                  const char       *status);
void             wpi_message_set_status          (WpiMessage       *self,
                                                  WpiMessageStatus  status);

/* TRUE when the message had an <ItemList> element (empty or not). The busy reply has none. */
gboolean         wpi_message_has_item_list       (WpiMessage       *self);
void             wpi_message_set_has_item_list   (WpiMessage       *self,
                                                  gboolean          has_item_list);

guint            wpi_message_get_n_items         (WpiMessage       *self);
const WpiItem   *wpi_message_get_item            (WpiMessage       *self,
                                                  guint             position);
/* Adding an item implies an ItemList. The returned item belongs to the message. */
WpiItem         *wpi_message_add_item            (WpiMessage       *self,
                                                  const char       *name,
                                                  const char       *value);
WpiItem         *wpi_message_add_indexed_item    (WpiMessage       *self,
                                                  const char       *name,
                                                  gint64            index,
                                                  const char       *value);
void             wpi_message_take_item           (WpiMessage       *self,
                                                  WpiItem          *item);
/* First item with that name (and index, when index >= 0), or NULL. */
const WpiItem   *wpi_message_find_item           (WpiMessage       *self,
                                                  const char       *name,
                                                  gint64            index);
const char      *wpi_message_get_item_value      (WpiMessage       *self,
                                                  const char       *name);

/* What the codec tolerated while reading the message (D20): one line per deviation,
 * each naming its rule ("R21: ..."). wpi_message_check_rules() reports them first. They
 * and the signature describe how the message was written, so equality ignores them. */
void             wpi_message_add_reading_note    (WpiMessage       *self,
                                                  const char       *note);
/* NULL-terminated, never NULL; owned by the message */
const char * const *wpi_message_get_reading_notes (WpiMessage      *self);

/* The XML-DSig signature the message came with, or NULL (D20). Owned by the message. */
WpiSignature    *wpi_message_get_signature       (WpiMessage       *self);
void             wpi_message_take_signature      (WpiMessage       *self,
                                                  WpiSignature     *signature);

gboolean         wpi_message_equal               (WpiMessage       *a,
                                                  WpiMessage       *b);

G_END_DECLS
