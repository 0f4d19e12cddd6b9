/* wpi-config-diff.c: compare phones with phones and profiles, copy the differences (D27)
 */
#include "config.h"

#include <string.h>

#include "wpi-config-diff.h"

/* Whole categories that describe one phone, not its settings: what it is (MAC, numbers,
 * model, firmware, hardware) and its Secure Mode state; and the job parameters of file
 * and software deployment, which ReadAllItems reports but nobody configures (D27). */
static const char * const identity_categories[] = {
  "identity", "secure-mode", "files", "deployment",
};

/* Items of other categories that name, address or register one phone (D27) */
static const char * const identity_items[] = {
  "ipaddress", "hostname", "dhcp",                       /* its address, and how it gets one */
  "reg-number", "sip-user-id", "sip-pwd", "fully-qualified-phone-no", /* its registration */
  "display-id", "display-id-unicode",                    /* its own name on the display */
  "contact-me-uri", "cloud-pin-value",
};

void
wpi_config_difference_free (WpiConfigDifference *difference)
{
  if (difference == NULL)
    return;
  g_free (difference->name);
  g_free (difference->source_value);
  g_free (difference->target_value);
  g_free (difference);
}

gboolean
wpi_config_diff_is_identity (WpiCatalogue *catalogue,
                             const char   *name)
{
  WpiItemInfo *info = wpi_catalogue_lookup (catalogue, name);

  g_return_val_if_fail (name != NULL, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (identity_items); i++)
    if (strcmp (name, identity_items[i]) == 0)
      return TRUE;
  if (info == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (identity_categories); i++)
    if (strcmp (wpi_item_info_get_category (info), identity_categories[i]) == 0)
      return TRUE;
  return FALSE;
}

char *
wpi_config_expand_placeholders (const char           *value,
                                const WpiPhoneRecord *phone)
{
  g_autoptr(GString) out = g_string_new (value);

  g_string_replace (out, "{mac}", phone->mac, 0);
  g_string_replace (out, "{e164}", phone->e164 != NULL ? phone->e164 : "", 0);
  g_string_replace (out, "{ip}", phone->ip != NULL ? phone->ip : "", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* "name" or "name[index]": the key under which both sides meet */
static char *
item_key (const WpiStoreItem *item)
{
  if (item->has_index)
    return g_strdup_printf ("%s[%" G_GINT64_FORMAT "]", item->name, item->index);
  return g_strdup (item->name);
}

static GHashTable *
index_items (const WpiStoreItem *items,
             gsize               n_items)
{
  GHashTable *by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* a later duplicate wins, as in the store (wpi_store_phone_items_update) */
  for (gsize i = 0; i < n_items; i++)
    g_hash_table_insert (by_key, item_key (&items[i]), (gpointer) &items[i]);
  return by_key;
}

static guint
category_rank (WpiCatalogue *catalogue,
               const char   *category)
{
  const char * const *categories = wpi_catalogue_get_categories (catalogue);
  guint i;

  for (i = 0; categories[i] != NULL; i++)
    if (strcmp (categories[i], category) == 0)
      return i;
  return i;
}

static gint
compare_differences (gconstpointer a,
                     gconstpointer b,
                     gpointer      catalogue)
{
  const WpiConfigDifference *da = *(WpiConfigDifference **) a;
  const WpiConfigDifference *db = *(WpiConfigDifference **) b;
  guint rank_a = category_rank (catalogue, da->category);
  guint rank_b = category_rank (catalogue, db->category);
  int by_name;

  if (rank_a != rank_b)
    return rank_a < rank_b ? -1 : 1;
  by_name = strcmp (da->name, db->name);
  if (by_name != 0)
    return by_name;
  if (da->has_index != db->has_index)
    return da->has_index ? 1 : -1;
  return da->index < db->index ? -1 : da->index > db->index;
}

/* A copy writes only what the phone takes: a catalogue item, not read-only, with a
 * value the catalogue accepts (D27). Unknown items may be anything, read-only included. */
static gboolean
is_writable (WpiCatalogue       *catalogue,
             const WpiStoreItem *source)
{
  WpiItemInfo *info;

  if (source == NULL || source->value == NULL)
    return FALSE;
  info = wpi_catalogue_lookup (catalogue, source->name);
  if (info == NULL || wpi_item_info_get_read_only (info) == WPI_READ_ONLY_YES)
    return FALSE;
  return wpi_catalogue_validate (catalogue, source->name, source->has_index, source->index,
                                 source->value, NULL);
}

static WpiConfigDifference *
difference_new (WpiCatalogue       *catalogue,
                const WpiStoreItem *source,
                const WpiStoreItem *target)
{
  const WpiStoreItem *any = source != NULL ? source : target;
  WpiItemInfo *info = wpi_catalogue_lookup (catalogue, any->name);
  WpiConfigDifference *difference = g_new0 (WpiConfigDifference, 1);

  difference->category = info != NULL ? wpi_item_info_get_category (info) : "other";
  difference->name = g_strdup (any->name);
  difference->has_index = any->has_index;
  difference->index = any->index;
  difference->source_value = source != NULL ? g_strdup (source->value) : NULL;
  difference->target_value = target != NULL ? g_strdup (target->value) : NULL;
  difference->secret = wpi_catalogue_is_secret (catalogue, any->name);
  difference->writable = is_writable (catalogue, source);
  return difference;
}

static void
add_if_different (GPtrArray          *differences,
                  WpiCatalogue       *catalogue,
                  const WpiStoreItem *source,
                  const WpiStoreItem *target)
{
  const WpiStoreItem *any = source != NULL ? source : target;
  const char *source_value = source != NULL ? source->value : NULL;
  const char *target_value = target != NULL ? target->value : NULL;

  if (g_strcmp0 (source_value, target_value) == 0 || wpi_config_diff_is_identity (catalogue, any->name))
    return;
  g_ptr_array_add (differences, difference_new (catalogue, source, target));
}

GPtrArray *
wpi_config_diff_items (WpiCatalogue       *catalogue,
                       const WpiStoreItem *source,
                       gsize               n_source,
                       const WpiStoreItem *target,
                       gsize               n_target,
                       WpiConfigDiffFlags  flags)
{
  g_autoptr(GHashTable) source_by_key = index_items (source, n_source);
  g_autoptr(GHashTable) target_by_key = index_items (target, n_target);
  GPtrArray *differences = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_config_difference_free);
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (WPI_IS_CATALOGUE (catalogue), differences);

  g_hash_table_iter_init (&iter, source_by_key);
  while (g_hash_table_iter_next (&iter, &key, &value))
    add_if_different (differences, catalogue, value, g_hash_table_lookup (target_by_key, key));
  if ((flags & WPI_CONFIG_DIFF_SOURCE_ONLY) == 0)
    {
      g_hash_table_iter_init (&iter, target_by_key);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (!g_hash_table_contains (source_by_key, key))
          add_if_different (differences, catalogue, NULL, value);
    }

  g_ptr_array_sort_with_data (differences, compare_differences, catalogue);
  return differences;
}

static GArray *
phone_items (WpiStore    *store,
             const char  *mac,
             GError     **error)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (store, mac, error);

  if (phone == NULL)
    return NULL;
  return wpi_store_phone_items_list (store, mac, error);
}

GPtrArray *
wpi_config_diff_phones (WpiStore      *store,
                        WpiCatalogue  *catalogue,
                        const char    *source_mac,
                        const char    *target_mac,
                        GError       **error)
{
  g_autoptr(GArray) source = NULL;
  g_autoptr(GArray) target = NULL;

  if ((source = phone_items (store, source_mac, error)) == NULL ||
      (target = phone_items (store, target_mac, error)) == NULL)
    return NULL;
  return wpi_config_diff_items (catalogue, (WpiStoreItem *) source->data, source->len,
                                (WpiStoreItem *) target->data, target->len, WPI_CONFIG_DIFF_NONE);
}

GPtrArray *
wpi_config_diff_profile (WpiStore      *store,
                         WpiCatalogue  *catalogue,
                         const char    *profile_name,
                         const char    *target_mac,
                         GError       **error)
{
  g_autoptr(WpiProfileRecord) profile = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) target = NULL;
  g_autoptr(GArray) expanded = wpi_store_item_array_new ();

  if ((profile = wpi_store_profile_get (store, profile_name, error)) == NULL ||
      (phone = wpi_store_phone_get (store, target_mac, error)) == NULL ||
      (target = wpi_store_phone_items_list (store, target_mac, error)) == NULL)
    return NULL;

  for (guint i = 0; i < profile->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (profile->items, WpiStoreItem, i);
      g_autofree char *value = item->value != NULL ? wpi_config_expand_placeholders (item->value, phone) : NULL;

      wpi_store_item_array_add (expanded, item->name, item->has_index, item->index, value);
    }
  return wpi_config_diff_items (catalogue, (WpiStoreItem *) expanded->data, expanded->len,
                                (WpiStoreItem *) target->data, target->len,
                                WPI_CONFIG_DIFF_SOURCE_ONLY);
}

GArray *
wpi_config_diff_copy_items (GPtrArray *differences)
{
  GArray *items = wpi_store_item_array_new ();

  for (guint i = 0; i < differences->len; i++)
    {
      const WpiConfigDifference *difference = g_ptr_array_index (differences, i);

      if (difference->writable)
        wpi_store_item_array_add (items, difference->name, difference->has_index, difference->index,
                                  difference->source_value);
    }
  return items;
}

typedef struct {
  WpiCatalogue       *catalogue;
  const char         *source_mac;
  const char * const *target_macs;
  GArray             *job_ids;
} CopyRequest;

static gboolean
enqueue_copies (WpiStore  *store,
                gpointer   user_data,
                GError   **error)
{
  CopyRequest *request = user_data;
  g_autofree char *source_mac = wpi_mac_normalize (request->source_mac, NULL);

  for (guint i = 0; request->target_macs[i] != NULL; i++)
    {
      g_autofree char *target_mac = wpi_mac_normalize (request->target_macs[i], NULL);
      g_autoptr(GPtrArray) differences = NULL;
      g_autoptr(GArray) items = NULL;
      gint64 job_id = 0;

      if (source_mac != NULL && g_strcmp0 (source_mac, target_mac) == 0)
        {
          g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_INVALID,
                       "%s is the phone the settings come from", source_mac);
          return FALSE;
        }
      differences = wpi_config_diff_phones (store, request->catalogue, request->source_mac,
                                            request->target_macs[i], error);
      if (differences == NULL)
        return FALSE;
      items = wpi_config_diff_copy_items (differences);
      if (items->len > 0 &&
          !wpi_store_job_enqueue (store, target_mac, WPI_JOB_KIND_WRITE_ITEMS, NULL,
                                  (WpiStoreItem *) items->data, items->len, &job_id, error))
        return FALSE;
      g_array_append_val (request->job_ids, job_id);
    }
  return TRUE;
}

gboolean
wpi_config_copy_enqueue (WpiStore            *store,
                         WpiCatalogue        *catalogue,
                         const char          *source_mac,
                         const char * const  *target_macs,
                         GArray             **job_ids,
                         GError             **error)
{
  g_autoptr(GArray) ids = g_array_new (FALSE, TRUE, sizeof (gint64));
  CopyRequest request = { catalogue, source_mac, target_macs, ids };

  if (!wpi_store_run_in_transaction (store, enqueue_copies, &request, error))
    return FALSE;
  if (job_ids != NULL)
    *job_ids = g_steal_pointer (&ids);
  return TRUE;
}
