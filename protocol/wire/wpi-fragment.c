/* wpi-fragment.c: grouping and splitting item lists */
#include "config.h"

#include <string.h>

#include "wpi-codec.h"
#include "wpi-fragment.h"

/* Room for the root element, Message, Action and ItemList around the items */
#define ENVELOPE_BYTES 1024

void
wpi_item_group_free (WpiItemGroup *group)
{
  if (group == NULL)
    return;
  g_ptr_array_unref (group->items);
  g_free (group);
}

GPtrArray *
wpi_message_group_by_index (WpiMessage *message)
{
  GPtrArray *groups;
  g_autoptr(GHashTable) by_index = NULL;
  WpiItemGroup *unindexed = NULL;
  guint n_items;

  g_return_val_if_fail (WPI_IS_MESSAGE (message), NULL);

  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_group_free);
  by_index = g_hash_table_new (g_int64_hash, g_int64_equal);
  n_items = wpi_message_get_n_items (message);

  for (guint i = 0; i < n_items; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);
      WpiItemGroup *group;

      group = item->has_index ? g_hash_table_lookup (by_index, &item->index) : unindexed;
      if (group == NULL)
        {
          group = g_new0 (WpiItemGroup, 1);
          group->has_index = item->has_index;
          group->index = item->index;
          group->items = g_ptr_array_new ();
          g_ptr_array_add (groups, group);
          if (item->has_index)
            g_hash_table_insert (by_index, &group->index, group);
          else
            unindexed = group;
        }
      g_ptr_array_add (group->items, (gpointer) item);
    }

  return groups;
}

gboolean
wpi_item_is_bootstrap (const char *name)
{
  static const char * const names[] = {
    "goto-secure-mode", "secure-mode-data", "dls-client-certificate",
    "dls-server-ca", "dls-secure-port", "max-pin-retries",
  };

  g_return_val_if_fail (name != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static gsize
escaped_length (const char *str,
                gboolean    attribute)
{
  gsize length = 0;

  for (const char *p = str; *p; p++)
    {
      switch (*p)
        {
        case '&': length += 5; break;
        case '<': case '>': length += 4; break;
        case '\r': length += 5; break;
        case '"': length += attribute ? 6 : 1; break;
        case '\n': case '\t': length += attribute ? 5 : 1; break;
        default: length += 1; break;
        }
    }
  return length;
}

gsize
wpi_item_serialized_size (const WpiItem *item)
{
  /* '      <Item name=""></Item>\n' plus the optional attributes */
  gsize size = 30 + escaped_length (item->name, TRUE) + escaped_length (item->value, FALSE);

  if (item->has_index)
    size += 10 + 20;
  if (item->type != NULL)
    size += 8 + escaped_length (item->type, TRUE);
  if (item->status != NULL)
    size += 10 + escaped_length (item->status, TRUE);
  return size;
}

typedef struct {
  GPtrArray *items;   /* const WpiItem * */
  gsize      bytes;
} Unit;

static void
unit_free (Unit *unit)
{
  g_ptr_array_unref (unit->items);
  g_free (unit);
}

static Unit *
unit_new (GPtrArray  *units,
          GHashTable *by_key,
          char       *key)
{
  Unit *unit = g_new0 (Unit, 1);

  unit->items = g_ptr_array_new ();
  g_ptr_array_add (units, unit);
  if (key != NULL)
    g_hash_table_insert (by_key, key, unit);
  return unit;
}

/* Units are the pieces that cannot be split, in order of first appearance. */
static GPtrArray *
collect_units (GPtrArray *items)
{
  GPtrArray *units = g_ptr_array_new_with_free_func ((GDestroyNotify) unit_free);
  g_autoptr(GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (items, i);
      g_autofree char *key = NULL;
      Unit *unit = NULL;

      if (wpi_item_is_bootstrap (item->name))
        key = g_strdup ("bootstrap");
      else if (item->has_index && g_str_has_prefix (item->name, "file-"))
        key = g_strdup_printf ("file-%" G_GINT64_FORMAT, item->index);

      if (key != NULL)
        unit = g_hash_table_lookup (by_key, key);
      if (unit == NULL)
        unit = unit_new (units, by_key, g_steal_pointer (&key));

      g_ptr_array_add (unit->items, (gpointer) item);
      unit->bytes += wpi_item_serialized_size (item);
    }

  return units;
}

GPtrArray *
wpi_items_split (GPtrArray  *items,
                 gint64      max_items,
                 gsize       max_bytes,
                 GError    **error)
{
  g_autoptr(GPtrArray) fragments = NULL;
  g_autoptr(GPtrArray) units = NULL;
  GPtrArray *current;
  gsize budget, current_bytes = 0;

  g_return_val_if_fail (items != NULL, NULL);

  budget = max_bytes > 2 * ENVELOPE_BYTES ? max_bytes - ENVELOPE_BYTES : max_bytes / 2;
  fragments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  current = g_ptr_array_new ();
  g_ptr_array_add (fragments, current);
  units = collect_units (items);

  for (guint i = 0; i < units->len; i++)
    {
      Unit *unit = g_ptr_array_index (units, i);

      if ((max_items > 0 && unit->items->len > (guint64) max_items) || unit->bytes > budget)
        {
          const WpiItem *first = g_ptr_array_index (unit->items, 0);

          g_set_error (error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_CANNOT_FRAGMENT,
                       "%u items starting with %s (%" G_GSIZE_FORMAT " bytes) must travel in one "
                       "message, but the limit is %" G_GINT64_FORMAT " items and %" G_GSIZE_FORMAT
                       " bytes",
                       unit->items->len, first->name, unit->bytes, max_items, budget);
          return NULL;
        }

      if (current->len > 0 &&
          ((max_items > 0 && current->len + unit->items->len > (guint64) max_items) ||
           current_bytes + unit->bytes > budget))
        {
          current = g_ptr_array_new ();
          g_ptr_array_add (fragments, current);
          current_bytes = 0;
        }

      for (guint j = 0; j < unit->items->len; j++)
        g_ptr_array_add (current, g_ptr_array_index (unit->items, j));
      current_bytes += unit->bytes;
    }

  return g_steal_pointer (&fragments);
}
