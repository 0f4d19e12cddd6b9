/* wpi-config-diff.h: "make this phone like that one" (issue 14 §4, D27)
 *
 * Compares a phone's last configuration (its stored item values) with another phone's
 * or with a profile's items ({mac}, {e164}, {ip} filled in for the phone), item by
 * item, in the catalogue's category order. Identity items (what names, addresses or
 * registers one phone: MAC, numbers, IP address, model, firmware, Secure Mode state;
 * wpi_config_diff_is_identity()) are left out, so that a comparison shows settings
 * only and a copy never makes two phones one.
 *
 * The differences keep the real values; a caller masks the secret ones (->secret) when
 * it shows them. A copy is a write-items job per target of the differences it may
 * write (->writable): the source has a value, the catalogue knows the item, does not
 * call it read-only and accepts the value.
 */
#pragma once

#include "wpi-catalogue.h"
#include "wpi-store.h"

G_BEGIN_DECLS

typedef struct {
  const char *category;     /* catalogue category id ("other" for unknown items) */
  char       *name;
  gboolean    has_index;
  gint64      index;
  char       *source_value; /* NULL: the source (other phone, profile) has no value */
  char       *target_value; /* NULL: the compared phone has no value */
  gboolean    secret;       /* mask both values when showing them */
  gboolean    writable;     /* a copy writes source_value to the target */
} WpiConfigDifference;

void wpi_config_difference_free (WpiConfigDifference *difference);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiConfigDifference, wpi_config_difference_free)

typedef enum { /*< flags >*/
  WPI_CONFIG_DIFF_NONE        = 0,
  /* only the items the source names (a profile sets some items and leaves the rest) */
  WPI_CONFIG_DIFF_SOURCE_ONLY = 1 << 0,
} WpiConfigDiffFlags;

/* Whether name is an identity item (D27): never compared, never copied */
gboolean   wpi_config_diff_is_identity     (WpiCatalogue        *catalogue,
                                            const char          *name);

/* A profile value with {mac}, {e164} and {ip} of phone filled in ("" where the phone
 * has none), as the service writes it */
char      *wpi_config_expand_placeholders  (const char          *value,
                                            const WpiPhoneRecord *phone);

/* The differences of target against source, a GPtrArray of WpiConfigDifference in
 * category order, then name, then index (the unindexed one first); empty when they
 * agree. An item both lack or both have with the same value is no difference. */
GPtrArray *wpi_config_diff_items           (WpiCatalogue        *catalogue,
                                            const WpiStoreItem  *source,
                                            gsize                n_source,
                                            const WpiStoreItem  *target,
                                            gsize                n_target,
                                            WpiConfigDiffFlags   flags);

/* The store's items of target_mac against those of source_mac */
GPtrArray *wpi_config_diff_phones          (WpiStore            *store,
                                            WpiCatalogue        *catalogue,
                                            const char          *source_mac,
                                            const char          *target_mac,
                                            GError             **error);
/* The store's items of target_mac against the profile's, expanded for that phone;
 * only the items the profile sets */
GPtrArray *wpi_config_diff_profile         (WpiStore            *store,
                                            WpiCatalogue        *catalogue,
                                            const char          *profile,
                                            const char          *target_mac,
                                            GError             **error);

/* The write-items payload of a copy: the writable differences with the source's
 * values, a GArray of WpiStoreItem (empty when there is nothing to write). */
GArray    *wpi_config_diff_copy_items      (GPtrArray           *differences);

/* Queues a write-items job for each target that differs from source_mac in something
 * writable, all in one transaction (all or none). job_ids: one per target in order, 0
 * where nothing was to write. A target equal to the source, or unknown, is an error. */
gboolean   wpi_config_copy_enqueue         (WpiStore            *store,
                                            WpiCatalogue        *catalogue,
                                            const char          *source_mac,
                                            const char * const  *target_macs,
                                            GArray             **job_ids,
                                            GError             **error);

G_END_DECLS
