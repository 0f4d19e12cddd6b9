/* wpi-service-imports.c: the first contact of a phone imported ahead (issue 14 §1, D24)
 *
 * An imported phone exists before it calls, so its first start-up does not look new:
 * what tells is its pending import. Its profile (the import's, else the default) and
 * the imported items become one write-items job, after the registration read, queued
 * in the transaction that takes the import; fragments and busy replies are handled as
 * for any job.
 */
#include "config.h"

#include <string.h>

#include "wpi-config-diff.h"
#include "wpi-phone.h"
#include "wpi-service-private.h"

/* The profile's items for this phone, then the imported ones, which win over the
 * profile's for the same name and index */
static GArray *
merge_items (const WpiProfileRecord *profile,
             const WpiPhoneRecord   *phone,
             const GArray           *imported)
{
  GArray *merged = wpi_store_item_array_new ();

  for (guint i = 0; profile != NULL && i < profile->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (profile->items, WpiStoreItem, i);
      g_autofree char *value = wpi_config_expand_placeholders (item->value ? item->value : "", phone);

      wpi_store_item_array_add (merged, item->name, item->has_index, item->index, value);
    }
  for (guint i = 0; i < imported->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (imported, WpiStoreItem, i);
      gboolean replaced = FALSE;

      for (guint j = 0; j < merged->len && !replaced; j++)
        {
          WpiStoreItem *have = &g_array_index (merged, WpiStoreItem, j);

          if (strcmp (have->name, item->name) == 0 && have->has_index == item->has_index &&
              (!have->has_index || have->index == item->index))
            {
              g_free (have->value);
              have->value = g_strdup (item->value);
              replaced = TRUE;
            }
        }
      if (!replaced)
        wpi_store_item_array_add (merged, item->name, item->has_index, item->index, item->value);
    }
  return merged;
}

/* Queues the registration read and the import's job; their ids in jobs */
static gboolean
enqueue_import_jobs (WpiService    *self,
                     const char    *mac,
                     const GArray  *imported,
                     gint64         jobs[2],
                     GError       **error)
{
  g_autoptr(WpiPhoneRecord) phone = wpi_store_phone_get (self->store, mac, error);
  g_autoptr(WpiProfileRecord) profile = NULL;
  g_autoptr(GArray) merged = NULL;
  g_autoptr(GError) profile_error = NULL;

  if (phone == NULL)
    return FALSE;
  if (phone->profile != NULL)
    profile = wpi_store_profile_get (self->store, phone->profile, &profile_error);
  else
    profile = wpi_store_profile_get_default (self->store, &profile_error);
  if (profile_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&profile_error));
      return FALSE;
    }

  merged = merge_items (profile, phone, imported);
  if (!wpi_store_job_enqueue (self->store, mac, WPI_JOB_KIND_READ_ALL, WPI_JOB_PARAMETER_REGISTRATION,
                              NULL, 0, &jobs[0], error))
    return FALSE;
  return merged->len == 0 ||
         wpi_store_job_enqueue (self->store, mac, WPI_JOB_KIND_WRITE_ITEMS, WPI_JOB_PARAMETER_IMPORT,
                                (const WpiStoreItem *) (void *) merged->data, merged->len, &jobs[1], error);
}

gboolean
_wpi_service_apply_import (WpiService  *self,
                           Flow        *flow,
                           GError     **error)
{
  g_autoptr(GArray) imported = NULL;
  WpiPhone *live = g_hash_table_lookup (self->phone_by_mac, flow->mac);
  gint64 jobs[2] = { 0, 0 };

  /* The live phone tells without a write lock on every flow; it follows the store's
   * imports (the console's reload, another process's within a second), and an import
   * it has not seen yet waits for the phone's next flow */
  if (live == NULL || !wpi_phone_get_expected (live))
    return TRUE;
  if (!wpi_store_transaction_begin (self->store, error))
    return FALSE;
  if (!wpi_store_phone_import_take (self->store, flow->mac, &imported, error) ||
      (imported != NULL && !enqueue_import_jobs (self, flow->mac, imported, jobs, error)))
    {
      wpi_store_transaction_rollback (self->store);
      return FALSE;
    }
  if (!wpi_store_transaction_commit (self->store, error))
    return FALSE;
  if (imported == NULL)
    return TRUE;

  _wpi_service_log (self, "%s called for the first time: its import is queued (%u imported items)",
                    flow->mac, imported->len);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    if (jobs[i] != 0)
      _wpi_service_refresh_job (self, jobs[i]);
  _wpi_service_refresh_phone (self, flow->mac);
  return TRUE;
}
