/* wpi-store-imports.c: phone lists imported ahead of the phones (issue 14 §1, D24) */
#include "config.h"

#include <string.h>

#include "wpi-store-private.h"

/* What a phone has now, to tell an unchanged row from a changed one */
typedef struct {
  WpiPhoneRecord *phone;        /* NULL: a new phone */
  GArray         *known_items;  /* the phone's item values, NULL for a new phone */
  GArray         *import_items; /* what an earlier import gave, NULL when none */
  gboolean        has_import;
} PhoneNow;

static void
phone_now_clear (PhoneNow *now)
{
  g_clear_pointer (&now->phone, wpi_phone_record_free);
  g_clear_pointer (&now->known_items, g_array_unref);
  g_clear_pointer (&now->import_items, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PhoneNow, phone_now_clear)

static void
import_item_from_row (WpiStoreItem *item,
                      sqlite3_stmt *stmt)
{
  _wpi_store_item_from_row (item, stmt, 0, 1, 2);
}

static gboolean
load_import_items (WpiStore    *self,
                   const char  *mac,
                   GArray     **items,
                   GError     **error)
{
  g_autoptr(CachedStmt) stmt = _wpi_store_prepare (self,
                                                   "SELECT name, idx, value FROM phone_import_items "
                                                   "WHERE mac = ?1 ORDER BY name, idx",
                                                   error);

  if (stmt == NULL)
    return FALSE;
  _wpi_store_bind_text (stmt, 1, mac);
  return _wpi_store_collect_items (self, stmt, import_item_from_row, items,
                                   "Cannot read a phone's import", error);
}

static gboolean
phone_now_load (WpiStore    *self,
                const char  *mac,
                PhoneNow    *now,
                GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  now->phone = wpi_store_phone_get (self, mac, &local_error);
  if (now->phone == NULL)
    {
      if (g_error_matches (local_error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  now->known_items = wpi_store_phone_items_list (self, mac, error);
  if (now->known_items == NULL)
    return FALSE;
  if (!_wpi_store_row_exists (self, "SELECT 1 FROM phone_imports WHERE mac = ?1", mac,
                              &now->has_import, "Cannot read a phone's import", error))
    return FALSE;
  return load_import_items (self, mac, &now->import_items, error);
}

static const WpiStoreItem *
find_item (GArray                 *items,
           const WpiPhoneListItem *wanted)
{
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

      if (item->has_index == wanted->has_index && (!item->has_index || item->index == wanted->index) &&
          strcmp (item->name, wanted->name) == 0)
        return item;
    }
  return NULL;
}

/* The row's items that differ from what the phone has: the earlier import's value, or
 * for an item no import gave, the phone's own */
static GArray *
changed_items (const WpiPhoneListRow *row,
               const PhoneNow        *now)
{
  GArray *changed = wpi_store_item_array_new ();

  for (guint i = 0; i < row->items->len; i++)
    {
      const WpiPhoneListItem *item = &g_array_index (row->items, WpiPhoneListItem, i);
      const WpiStoreItem *had = find_item (now->import_items, item);

      if (had == NULL)
        had = find_item (now->known_items, item);
      if (had == NULL || g_strcmp0 (had->value, item->value) != 0)
        wpi_store_item_array_add (changed, item->name, item->has_index, item->index, item->value);
    }
  return changed;
}

/* The fields the row gives that differ from the phone's */
static WpiPhoneFields
changed_fields (const WpiPhoneListRow *row,
                const WpiPhoneRecord  *phone)
{
  WpiPhoneFields fields = WPI_PHONE_FIELD_NONE;

  if (row->e164 != NULL && (phone == NULL || g_strcmp0 (row->e164, phone->e164) != 0))
    fields |= WPI_PHONE_FIELD_E164;
  if (row->location != NULL && (phone == NULL || g_strcmp0 (row->location, phone->location) != 0))
    fields |= WPI_PHONE_FIELD_LOCATION;
  if (row->profile != NULL && (phone == NULL || g_strcmp0 (row->profile, phone->profile) != 0))
    fields |= WPI_PHONE_FIELD_PROFILE;
  return fields;
}

static gboolean
store_import_items (WpiStore      *self,
                    const char    *mac,
                    gboolean       pending,
                    const GArray  *items,
                    GError       **error)
{
  g_autoptr(CachedStmt) head = NULL;
  g_autoptr(CachedStmt) insert = NULL;
  gint64 now = g_get_real_time ();

  /* pending only ever clears here when the service took the import */
  head = _wpi_store_prepare (self,
                             "INSERT INTO phone_imports (mac, pending, created_us, updated_us) "
                             "VALUES (?1, ?2, ?3, ?3) ON CONFLICT (mac) DO UPDATE SET "
                             "  pending = max (pending, excluded.pending), updated_us = excluded.updated_us",
                             error);
  if (head == NULL)
    return FALSE;
  _wpi_store_bind_text (head, 1, mac);
  sqlite3_bind_int (head, 2, pending ? 1 : 0);
  sqlite3_bind_int64 (head, 3, now);
  if (!_wpi_store_run (self, head, "Cannot store a phone's import", error))
    return FALSE;

  insert = _wpi_store_prepare (self,
                               "INSERT INTO phone_import_items (mac, name, idx, value) "
                               "VALUES (?1, ?2, ?3, ?4) "
                               "ON CONFLICT (mac, name, idx) DO UPDATE SET value = excluded.value",
                               error);
  if (insert == NULL)
    return FALSE;
  _wpi_store_bind_text (insert, 1, mac);
  return _wpi_store_insert_items (self, insert, (const WpiStoreItem *) (void *) items->data, items->len,
                                  0, 2, "Cannot store a phone's import", error);
}

/* A phone that has called already gets what changed as jobs now; one that has not gets
 * it all on its first contact (the service takes the pending import). */
static gboolean
import_row (WpiStore               *self,
            const WpiPhoneListRow  *row,
            WpiImportOutcome       *outcome,
            GError                **error)
{
  g_auto(PhoneNow) now = { NULL, };
  g_autoptr(GArray) items = NULL;
  g_autoptr(WpiPhoneRecord) update = wpi_phone_record_new (row->mac);
  WpiPhoneFields fields;
  gboolean contacted;

  if (row->profile != NULL && !_wpi_store_require_profile (self, row->profile, error))
    {
      g_prefix_error (error, "line %u, column %u (profile): ", row->line, row->profile_column);
      return FALSE;
    }
  if (!phone_now_load (self, row->mac, &now, error))
    return FALSE;

  fields = changed_fields (row, now.phone);
  items = changed_items (row, &now);
  contacted = now.phone != NULL && now.phone->last_contact_us != 0;
  *outcome = now.phone == NULL ? WPI_IMPORT_OUTCOME_ADDED : WPI_IMPORT_OUTCOME_UPDATED;
  /* a known phone named in a list for the first time becomes an imported one, expected
   * if it never called */
  if (now.phone != NULL && fields == WPI_PHONE_FIELD_NONE && items->len == 0 &&
      (now.has_import || contacted))
    {
      *outcome = WPI_IMPORT_OUTCOME_UNCHANGED;
      return TRUE;
    }

  update->e164 = g_strdup (row->e164);
  update->location = g_strdup (row->location);
  update->profile = g_strdup (row->profile);
  if (!wpi_store_phone_upsert (self, update, fields, NULL, error) ||
      !store_import_items (self, row->mac, !contacted, items, error))
    return FALSE;
  if (contacted && items->len > 0 &&
      !wpi_store_job_enqueue (self, row->mac, WPI_JOB_KIND_WRITE_ITEMS, WPI_JOB_PARAMETER_IMPORT,
                              (const WpiStoreItem *) (void *) items->data, items->len, NULL, error))
    return FALSE;
  if (contacted && (fields & WPI_PHONE_FIELD_PROFILE) &&
      !wpi_store_job_enqueue (self, row->mac, WPI_JOB_KIND_APPLY_PROFILE, row->profile, NULL, 0, NULL, error))
    return FALSE;
  return TRUE;
}

typedef struct {
  GPtrArray *rows;
  GArray    *outcomes;
} ImportRun;

static gboolean
import_rows (WpiStore  *self,
             gpointer   user_data,
             GError   **error)
{
  ImportRun *run = user_data;

  for (guint i = 0; i < run->rows->len; i++)
    {
      WpiImportOutcome outcome = WPI_IMPORT_OUTCOME_UNCHANGED;

      if (!import_row (self, g_ptr_array_index (run->rows, i), &outcome, error))
        return FALSE;
      g_array_append_val (run->outcomes, outcome);
    }
  return TRUE;
}

gboolean
wpi_store_phone_import (WpiStore   *self,
                        GPtrArray  *rows,
                        gboolean    dry_run,
                        GArray    **outcomes,
                        GError    **error)
{
  g_autoptr(GArray) result = g_array_new (FALSE, FALSE, sizeof (WpiImportOutcome));
  ImportRun run = { rows, result };
  gboolean ok;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (rows != NULL, FALSE);

  for (guint i = 0; i < rows->len; i++)
    {
      const WpiPhoneListRow *row = g_ptr_array_index (rows, i);

      if (!wpi_mac_is_normal (row->mac))
        return _wpi_store_invalid (error, "line %u: invalid MAC", row->line);
    }

  if (!_wpi_store_begin (self, TRUE, error))
    return FALSE;
  ok = import_rows (self, &run, error);
  if (!ok || dry_run)
    {
      /* a dry run did everything a real one does, and takes it back */
      _wpi_store_rollback (self);
      if (!ok)
        return FALSE;
    }
  else if (!_wpi_store_commit (self, error))
    return FALSE;

  if (outcomes != NULL)
    *outcomes = g_steal_pointer (&result);
  return TRUE;
}

static gboolean
import_take_in_transaction (WpiStore    *self,
                            const char  *mac,
                            GArray     **items,
                            GError     **error)
{
  gboolean pending = FALSE;

  if (!_wpi_store_row_exists (self, "SELECT 1 FROM phone_imports WHERE mac = ?1 AND pending = 1",
                              mac, &pending, "Cannot read a phone's import", error))
    return FALSE;
  if (!pending)
    return TRUE;
  if (!load_import_items (self, mac, items, error))
    return FALSE;
  return _wpi_store_run_with_key (self, "UPDATE phone_imports SET pending = 0 WHERE mac = ?1", mac,
                                  "Cannot store a phone's import", error);
}

gboolean
wpi_store_phone_import_take (WpiStore    *self,
                             const char  *mac,
                             GArray     **items,
                             GError     **error)
{
  g_autofree char *normal = NULL;

  g_return_val_if_fail (WPI_IS_STORE (self), FALSE);
  g_return_val_if_fail (items != NULL && *items == NULL, FALSE);

  normal = _wpi_store_normalize_mac (mac, error);
  if (normal == NULL)
    return FALSE;
  STORE_WRITE (self, error, import_take_in_transaction (self, normal, items, error));
}

/* One phone as an export row: its identity, where it is and how it is, and what its
 * import gave but the secrets (a file on a USB stick is no place for SIP passwords) */
static WpiPhoneListRow *
export_row (WpiStore              *self,
            const WpiPhoneRecord  *phone,
            GError               **error)
{
  g_autoptr(WpiPhoneListRow) row = wpi_phone_list_row_new (phone->mac);
  g_autoptr(GArray) items = NULL;
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();

  row->e164 = g_strdup (phone->e164);
  row->location = g_strdup (phone->location);
  row->profile = g_strdup (phone->profile);
  row->state = g_strdup (phone->expected ? "expected" : wpi_phone_state_to_string (phone->state));
  row->mode = g_strdup (wpi_phone_mode_to_string (phone->mode));
  row->firmware = g_strdup (phone->firmware);
  row->model = g_strdup (phone->device_type);
  if (!load_import_items (self, phone->mac, &items, error))
    return NULL;
  for (guint i = 0; i < items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

      if (!wpi_catalogue_is_secret (catalogue, item->name))
        wpi_phone_list_row_add_item (row, item->name, item->has_index, item->index, item->value);
    }
  return g_steal_pointer (&row);
}

GPtrArray *
wpi_store_phone_list_export (WpiStore  *self,
                             GError   **error)
{
  g_autoptr(GPtrArray) phones = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_phone_list_row_free);

  g_return_val_if_fail (WPI_IS_STORE (self), NULL);

  /* one read transaction: the phones and their imports as of one moment */
  if (!_wpi_store_begin (self, FALSE, error))
    return NULL;
  phones = wpi_store_phone_list (self, error);
  for (guint i = 0; phones != NULL && i < phones->len; i++)
    {
      WpiPhoneListRow *row = export_row (self, g_ptr_array_index (phones, i), error);

      if (row == NULL)
        break;
      g_ptr_array_add (rows, row);
    }
  if (phones == NULL || rows->len < phones->len)
    {
      _wpi_store_rollback (self);
      return NULL;
    }
  if (!_wpi_store_commit (self, error))
    return NULL;
  return g_steal_pointer (&rows);
}
