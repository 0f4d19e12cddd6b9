/* wpi-sim-items.h: the item set of a simulated phone (internal to the simulator)
 *
 * An ordered store of (name, index) -> value with each item's factory value, backed by the
 * catalogue for what exists, what is read-only, which indexes are valid and which values a
 * write may set.
 */
#pragma once

#include <glib.h>

#include "wpi-types.h"

G_BEGIN_DECLS

typedef enum {
  WPI_SIM_ITEM_READ_ONLY     = 1 << 0, /* a write is refused with "read only" */
  WPI_SIM_ITEM_NOT_IN_READ_ALL = 1 << 1, /* certificates: never in ReadAllItems (R13) */
  WPI_SIM_ITEM_KEEP_ON_RESET = 1 << 2, /* hardware and firmware identity survive a factory reset */
  WPI_SIM_ITEM_SECRET        = 1 << 3, /* never picked for a random local change */
  WPI_SIM_ITEM_ADDED         = 1 << 4, /* created by a write: gone after a factory reset */
} WpiSimItemFlags;

/* Names and factory values are interned: a thousand phones share them. */
typedef struct {
  const char *name;
  gint64      index;          /* -1: no index */
  char       *value;
  const char *factory_value;
  guint       flags;          /* WpiSimItemFlags */
} WpiSimItem;

typedef struct _WpiSimItems WpiSimItems;

WpiSimItems      *wpi_sim_items_new             (void);
void              wpi_sim_items_free            (WpiSimItems      *items);

/* Appends an item (or replaces the value and flags of an existing one). */
WpiSimItem       *wpi_sim_items_add             (WpiSimItems      *items,
                                                 const char       *name,
                                                 gint64            index,
                                                 const char       *value,
                                                 guint             flags);
WpiSimItem       *wpi_sim_items_lookup          (WpiSimItems      *items,
                                                 const char       *name,
                                                 gint64            index);
/* Every instance of a name, in store order (of WpiSimItem *, borrowed). */
GPtrArray        *wpi_sim_items_lookup_all      (WpiSimItems      *items,
                                                 const char       *name);
const char       *wpi_sim_items_get_value       (WpiSimItems      *items,
                                                 const char       *name);
void              wpi_sim_items_set_value       (WpiSimItems      *items,
                                                 const char       *name,
                                                 const char       *value);
guint             wpi_sim_items_get_n_items     (WpiSimItems      *items);
WpiSimItem       *wpi_sim_items_get             (WpiSimItems      *items,
                                                 guint             position);
/* Every item back to its factory value, items created by writes removed; items flagged
 * KEEP_ON_RESET keep their value. */
void              wpi_sim_items_factory_reset   (WpiSimItems      *items);

/* Fills the configuration items from the catalogue: every item of the catalogue that a phone
 * stores, with its default or a plausible value for its type, indexed items with the indexes a
 * phone of this device type has. Identity items already in the store are left alone. */
void              wpi_sim_items_fill_from_catalogue (WpiSimItems  *items,
                                                 const char       *device_type,
                                                 const char * const *skip,
                                                 GRand            *rand);

/* What a WriteItems would answer for this item: WPI_ITEM_STATUS_NONE when it may be stored,
 * else unknown item / read only / invalid index / invalid data / not supported. */
WpiItemStatus     wpi_sim_items_check_write     (WpiSimItems      *items,
                                                 const char       *name,
                                                 gboolean          has_index,
                                                 gint64            index,
                                                 const char       *value,
                                                 char            **reason);
/* Stores a value that check_write accepted, creating the instance when needed. */
WpiSimItem       *wpi_sim_items_store           (WpiSimItems      *items,
                                                 const char       *name,
                                                 gint64            index,
                                                 const char       *value);
/* For an item the phone knows but has not instantiated at this (valid) index: the value it
 * reads as; NULL when the name or index is not valid at all. */
const char       *wpi_sim_items_default_value   (WpiSimItems      *items,
                                                 const char       *name,
                                                 gint64            index);
/* A different valid value for a random local change; NULL when none can be made. */
char             *wpi_sim_items_plausible_change (WpiSimItems     *items,
                                                 const WpiSimItem *item,
                                                 GRand            *rand);
/* A random writable, non-secret item for a local change, or NULL. */
WpiSimItem       *wpi_sim_items_pick_changeable (WpiSimItems      *items,
                                                 GRand            *rand);

G_END_DECLS
