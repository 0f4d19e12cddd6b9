/* wpi-fragment.h: grouping and splitting item lists (protocol.md §7.13, decisions.md D12)
 *
 * The service must never send more than the phone's maxItems items, nor more than
 * 50,000 bytes, in one message, and items that belong together (one file's file-*
 * items, the whole Secure Mode bootstrap set) must travel in the same message.
 */
#pragma once

#include "wpi-message.h"

G_BEGIN_DECLS

#define WPI_MAX_MESSAGE_BYTES 50000

typedef struct {
  gboolean   has_index;
  gint64     index;
  GPtrArray *items;      /* of const WpiItem *, borrowed from the message */
} WpiItemGroup;

void       wpi_item_group_free        (WpiItemGroup  *group);

/* The items of a message grouped by index, groups in order of first appearance; the
 * items without an index form one group with has_index FALSE. */
GPtrArray *wpi_message_group_by_index (WpiMessage    *message);

/* TRUE for the items of the Secure Mode bootstrap set (goto-secure-mode, secure-mode-data,
 * dls-client-certificate, dls-server-ca, dls-secure-port, max-pin-retries). */
gboolean   wpi_item_is_bootstrap      (const char    *name);

/* Bytes an item takes in a serialized message, escaping included. */
gsize      wpi_item_serialized_size   (const WpiItem *item);

/* Splits items (const WpiItem *, borrowed) into fragments of at most max_items items
 * (max_items <= 0: no limit) and about max_bytes serialized bytes each (room for the
 * message envelope is kept), never separating items that belong together. Returns a
 * GPtrArray of GPtrArray of const WpiItem *, at least one (possibly empty) fragment.
 * Fails with WPI_CODEC_ERROR_CANNOT_FRAGMENT when one unit alone exceeds a limit. */
GPtrArray *wpi_items_split            (GPtrArray     *items,
                                       gint64         max_items,
                                       gsize          max_bytes,
                                       GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiItemGroup, wpi_item_group_free)

G_END_DECLS
