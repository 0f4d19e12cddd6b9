/* wpi-sim-items.c: the item set of a simulated phone */
#include "config.h"

#include <string.h>

#include "wpi-catalogue.h"
#include "wpi-sim-items.h"

/* Indexed items that are not keys get this many instances at most (XML applications,
 * lookup tables ...): enough to look real, few enough to keep ReadAllItems near 500 items. */
#define MAX_INSTANCES_PER_ITEM 8
#define MAX_XML_APP_INSTANCES  2

struct _WpiSimItems
{
  GPtrArray  *items;        /* of WpiSimItem *, in store order */
  GHashTable *by_key;       /* set of WpiSimItem * (borrowed), by name and index */
  GHashTable *known;        /* interned names of the phone's item set (catalogue and identity) */
  GArray     *changeable;   /* positions of items a random local change may pick */
  gboolean    changeable_valid;
};

static void
sim_item_free (WpiSimItem *item)
{
  g_free (item->value);
  g_free (item);
}

static guint
sim_item_hash (gconstpointer key)
{
  const WpiSimItem *item = key;

  return g_str_hash (item->name) + (guint) item->index * 31u;
}

static gboolean
sim_item_equal (gconstpointer a,
                gconstpointer b)
{
  const WpiSimItem *x = a, *y = b;

  return x->index == y->index && strcmp (x->name, y->name) == 0;
}

WpiSimItems *
wpi_sim_items_new (void)
{
  WpiSimItems *items = g_new0 (WpiSimItems, 1);

  items->items = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_item_free);
  items->by_key = g_hash_table_new (sim_item_hash, sim_item_equal);
  items->known = g_hash_table_new (g_str_hash, g_str_equal);
  items->changeable = g_array_new (FALSE, FALSE, sizeof (guint));
  return items;
}

void
wpi_sim_items_free (WpiSimItems *items)
{
  if (items == NULL)
    return;
  g_hash_table_unref (items->by_key);
  g_hash_table_unref (items->known);
  g_ptr_array_unref (items->items);
  g_array_unref (items->changeable);
  g_free (items);
}

WpiSimItem *
wpi_sim_items_add (WpiSimItems *items,
                   const char  *name,
                   gint64       index,
                   const char  *value,
                   guint        flags)
{
  WpiSimItem *item = wpi_sim_items_lookup (items, name, index);

  if (item == NULL)
    {
      item = g_new0 (WpiSimItem, 1);
      item->name = g_intern_string (name);
      item->index = index < 0 ? -1 : index;
      g_ptr_array_add (items->items, item);
      g_hash_table_add (items->by_key, item);
      g_hash_table_add (items->known, (gpointer) item->name);
    }
  g_free (item->value);
  item->value = g_strdup (value ?: "");
  item->factory_value = g_intern_string (value ?: "");
  item->flags = flags;
  items->changeable_valid = FALSE;
  return item;
}

WpiSimItem *
wpi_sim_items_lookup (WpiSimItems *items,
                      const char  *name,
                      gint64       index)
{
  WpiSimItem key = { .name = name, .index = index < 0 ? -1 : index };

  return g_hash_table_lookup (items->by_key, &key);
}

GPtrArray *
wpi_sim_items_lookup_all (WpiSimItems *items,
                          const char  *name)
{
  GPtrArray *all = g_ptr_array_new ();
  WpiSimItem *plain;

  /* a scan, but only for ReadItems of an indexed item without an index (rare) */
  plain = wpi_sim_items_lookup (items, name, -1);
  if (plain != NULL)
    {
      g_ptr_array_add (all, plain);
      return all;
    }
  if (!g_hash_table_contains (items->known, name))
    return all;
  for (guint i = 0; i < items->items->len; i++)
    {
      WpiSimItem *item = g_ptr_array_index (items->items, i);

      if (strcmp (item->name, name) == 0)
        g_ptr_array_add (all, item);
    }
  return all;
}

const char *
wpi_sim_items_get_value (WpiSimItems *items,
                         const char  *name)
{
  WpiSimItem *item = wpi_sim_items_lookup (items, name, -1);

  return item != NULL ? item->value : NULL;
}

void
wpi_sim_items_set_value (WpiSimItems *items,
                         const char  *name,
                         const char  *value)
{
  WpiSimItem *item = wpi_sim_items_lookup (items, name, -1);

  if (item == NULL || g_strcmp0 (item->value, value) == 0)
    return;
  g_free (item->value);
  item->value = g_strdup (value ?: "");
}

guint
wpi_sim_items_get_n_items (WpiSimItems *items)
{
  return items->items->len;
}

WpiSimItem *
wpi_sim_items_get (WpiSimItems *items,
                   guint        position)
{
  g_return_val_if_fail (position < items->items->len, NULL);
  return g_ptr_array_index (items->items, position);
}

void
wpi_sim_items_factory_reset (WpiSimItems *items)
{
  guint kept = 0;

  for (guint i = 0; i < items->items->len; i++)
    {
      WpiSimItem *item = g_ptr_array_index (items->items, i);

      if (item->flags & WPI_SIM_ITEM_ADDED)
        {
          g_hash_table_remove (items->by_key, item);
          sim_item_free (item);
          continue;
        }
      if (!(item->flags & WPI_SIM_ITEM_KEEP_ON_RESET))
        {
          g_free (item->value);
          item->value = g_strdup (item->factory_value);
        }
      items->items->pdata[kept++] = item;
    }
  /* the removed items were freed above; only shorten the array */
  items->items->len = kept;
  items->changeable_valid = FALSE;
}

/* ---------------------------------------------------------------------------------------- */
/* The catalogue                                                                            */

/* Items the catalogue lists that are not configuration a phone stores: parameters of an
 * Action (FileDeployment, SoftwareDeployment, Restart, CleanUp) and of a message. */
static gboolean
is_action_parameter (WpiItemInfo *info)
{
  const char *name = wpi_item_info_get_name (info);
  const char *category = wpi_item_info_get_category (info);

  if (strcmp (category, "deployment") == 0)
    return TRUE;
  if (strcmp (category, "files") == 0 && strcmp (name, "ringer-audio-file") != 0)
    return TRUE;
  return strcmp (name, "cleanup-reason") == 0 || strcmp (name, "send-solicited") == 0 ||
         strcmp (name, "configuration-attached-flag") == 0 ||
         strcmp (name, "configuration-attached-number") == 0;
}

/* Secure Mode bootstrapping items are commands, not settings: the phone acts on them
 * (wpi-sim-phone.c) and keeps none of them as an item. */
static gboolean
is_bootstrap_trigger (const char *name)
{
  return strcmp (name, "goto-secure-mode") == 0 || strcmp (name, "secure-mode-data") == 0;
}

static gboolean
is_open_scape (const char *device_type)
{
  return strstr (device_type, "OpenScape") != NULL;
}

/* Items a phone of this model does not have at all, so it answers "unknown item". */
static gboolean
model_lacks (const char *device_type,
             const char *name)
{
  /* the guide's unknown-item example writes this one (p.77) */
  if (strcmp (name, "socketed-headset-mode") == 0)
    return TRUE;
  /* SSH access exists on OpenScape Desk Phones only [pentagrid] */
  if (g_str_has_prefix (name, "ssh-") && !is_open_scape (device_type))
    return TRUE;
  return FALSE;
}

static guint
keys_of (const char *device_type)
{
  static const struct { const char *type; guint keys; } models[] = {
    { "OpenStage 15", 8 }, { "OpenStage 20", 6 }, { "OpenStage 40", 6 },
    { "OpenStage 60", 8 }, { "OpenStage 80", 9 },
    { "OpenScape Desk Phone CP400", 8 }, { "OpenScape Desk Phone CP600", 9 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    if (strcmp (models[i].type, device_type) == 0)
      return models[i].keys;
  return 6;
}

static gboolean
value_is_valid (WpiItemInfo *info,
                const char  *value)
{
  return value != NULL && wpi_item_info_validate_value (info, value, NULL);
}

/* Names with a recognisable role get a value a real installation would have. */
static const char *
plausible_by_name (const char *name)
{
  static const struct { const char *name; const char *value; } known[] = {
    { "reg-addr", "sip.example.net" },
    { "registrar-addr", "sip.example.net" },
    { "reg-port", "5060" },
    { "registrar-port", "5060" },
    { "reg-ttl", "3600" },
    { "sntp-addr", "pool.ntp.org" },
    { "sntp-tz-offset", "60" },
    { "country-iso", "DE" },
    { "language-iso", "de" },
    { "ldap-server-port", "389" },
    { "snmp-trap-port", "162" },
    { "qdc-collection-unit-port", "12010" },
    { "rtp-base-port", "5010" },
    { "daylight-save-minutes", "60" },
    { "l2qos-voice", "5" },
    { "l2qos-signalling", "3" },
    { "l3qos-voice", "46" },
    { "l3qos-signalling", "26" },
    { "initial-digit-timer", "30" },
    { "autodialtimer", "6" },
    { "ldap-max-responses", "25" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (known[i].name, name) == 0)
      return known[i].value;
  return NULL;
}

/* An integer or port without a documented default: 0 when its range allows it, else the
 * lowest value it allows. A port without a range takes 1..65535, as the catalogue validates
 * it, so it starts at 1 (0 would be refused); an integer without a range starts at 0. */
static char *
initial_number (WpiItemInfo *info)
{
  gint64 min = 0, max = 0;
  g_autofree char *text = NULL;

  if (!wpi_item_info_get_range (info, &min, &max) &&
      wpi_item_info_get_value_type (info) == WPI_VALUE_TYPE_PORT)
    {
      min = 1;
      max = 65535;
    }
  text = g_strdup_printf ("%" G_GINT64_FORMAT, (min <= 0 && max >= 0) ? 0 : min);
  return value_is_valid (info, text) ? g_steal_pointer (&text) : NULL;
}

/* The factory value of a catalogue item: its documented default, else a plausible value
 * for its type. NULL when nothing valid can be made (the item then stays uninstantiated). */
static char *
initial_value (WpiItemInfo *info,
               gint64       index)
{
  const char *value = wpi_item_info_get_default_value (info);
  const char *name = wpi_item_info_get_name (info);

  if (value_is_valid (info, value))
    return g_strdup (value);
  value = plausible_by_name (name);
  if (value_is_valid (info, value))
    return g_strdup (value);

  switch (wpi_item_info_get_value_type (info))
    {
    case WPI_VALUE_TYPE_BOOLEAN:
      return g_strdup ("false");

    case WPI_VALUE_TYPE_ENUM:
      {
        guint n = 0;
        const WpiEnumValue *values = wpi_item_info_get_enum_values (info, &n);

        return n > 0 ? g_strdup (values[0].value) : NULL;
      }

    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_PORT:
      return initial_number (info);

    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_UNICODE:
      if (g_str_has_prefix (name, "key-label") && index > 0)
        return g_strdup_printf ("Key %" G_GINT64_FORMAT, index);
      return g_strdup ("");

    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_DNS:
    case WPI_VALUE_TYPE_IP:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_VERSION:
    default:
      /* unset: an empty value is how a phone reports an address or password never set */
      return value_is_valid (info, "") ? g_strdup ("") : NULL;
    }
}

static void
add_catalogue_item (WpiSimItems *items,
                    WpiItemInfo *info,
                    gint64       index,
                    guint        flags,
                    const char  *value_override)
{
  g_autofree char *value = NULL;

  if (wpi_sim_items_lookup (items, wpi_item_info_get_name (info), index) != NULL)
    return;
  value = value_override != NULL && value_is_valid (info, value_override)
          ? g_strdup (value_override) : initial_value (info, index);
  if (value == NULL || (*value != '\0' && !value_is_valid (info, value)))
    return;
  wpi_sim_items_add (items, wpi_item_info_get_name (info), index, value, flags);
}

/* What the programmable keys of a phone do, key n taking entry (n - 1) % 9: the first is the
 * phone's line. A key reports the items every key has and those of its function only. */
static const struct {
  const char *code;          /* function-key-def */
  const char *label;
  const char *item_prefix;   /* the function's own items, or NULL */
} key_functions[] = {
  { "31", "Line",       "line-" },
  { "1",  "Speed dial", "select-dial" },
  { "30", "Repertory",  "repertory-dial" },
  { "6",  "Forwarding", "forwarding-" },
  { "59", "BLF",        "blf-" },
  { "63", "Send URL",   "send-url-" },
  { "25", "DND",        NULL },
  { "60", "XML app",    "FPK-app-name" },
  { "14", "Deflect",    "key-deflect-destination" },
};

static gboolean
is_common_key_item (const char *name)
{
  return strcmp (name, "function-key-def") == 0 || strcmp (name, "key-label") == 0 ||
         strcmp (name, "key-label-unicode") == 0 || strcmp (name, "locked-function-keys") == 0;
}

static void
add_key_item (WpiSimItems *items,
              WpiItemInfo *info,
              const char  *device_type,
              guint        flags)
{
  const char *name = wpi_item_info_get_name (info);
  guint n_keys = keys_of (device_type);

  for (guint key = 1; key <= n_keys; key++)
    {
      guint function = (key - 1) % G_N_ELEMENTS (key_functions);
      const char *prefix = key_functions[function].item_prefix;
      const char *value = NULL;

      if (!is_common_key_item (name) && (prefix == NULL || !g_str_has_prefix (name, prefix)))
        continue;
      if (strcmp (name, "function-key-def") == 0)
        value = key_functions[function].code;
      else if (g_str_has_prefix (name, "key-label"))
        value = key_functions[function].label;
      else if (strcmp (name, "line-primary") == 0)
        value = "true";
      add_catalogue_item (items, info, key, flags, value);
    }
}

/* How many instances of an indexed item this phone reports, and from which index. */
static void
add_indexed_item (WpiSimItems *items,
                  WpiItemInfo *info,
                  const char  *device_type,
                  guint        flags)
{
  const char *name = wpi_item_info_get_name (info);
  guint n_ranges = 0;
  const WpiIndexRange *ranges = wpi_item_info_get_index_ranges (info, &n_ranges);
  gint64 first, last, count;

  /* user data blobs and CA lists exist only once something was written */
  if (n_ranges == 0 || ranges[0].last == G_MAXINT64)
    return;

  first = ranges[0].first;
  last = ranges[0].last;
  if (strcmp (wpi_item_info_get_category (info), "keys") == 0 && first == 1)
    {
      add_key_item (items, info, device_type, flags);
      return;
    }
  if (g_str_has_prefix (name, "XML-app-"))
    count = MIN (last - first + 1, MAX_XML_APP_INSTANCES);
  else
    count = MIN (last - first + 1, MAX_INSTANCES_PER_ITEM);

  for (gint64 index = first; index < first + count; index++)
    add_catalogue_item (items, info, index, flags, NULL);
}

void
wpi_sim_items_fill_from_catalogue (WpiSimItems *items,
                                   const char  *device_type,
                                   const char * const *skip,
                                   GRand       *rand)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  guint n = wpi_catalogue_get_n_items (catalogue);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(WpiItemInfo) info = g_list_model_get_item (G_LIST_MODEL (catalogue), i);
      const char *name = wpi_item_info_get_name (info);
      guint flags = 0;

      if (is_action_parameter (info) || is_bootstrap_trigger (name) ||
          model_lacks (device_type, name) || (skip != NULL && g_strv_contains (skip, name)))
        continue;

      g_hash_table_add (items->known, (gpointer) g_intern_string (name));
      if (wpi_item_info_get_read_only (info) == WPI_READ_ONLY_YES)
        flags |= WPI_SIM_ITEM_READ_ONLY;
      if (wpi_item_info_is_secret (info))
        flags |= WPI_SIM_ITEM_SECRET;
      /* R13: certificates never travel in ReadAllItems; their -info items do */
      if (strcmp (wpi_item_info_get_category (info), "certificates") == 0 &&
          !g_str_has_suffix (name, "-info"))
        flags |= WPI_SIM_ITEM_NOT_IN_READ_ALL;

      if (wpi_item_info_is_indexed (info))
        add_indexed_item (items, info, device_type, flags);
      else
        add_catalogue_item (items, info, -1, flags, NULL);
    }
}

static void
set_reason (char       **reason,
            const char  *text)
{
  if (reason != NULL)
    *reason = g_strdup (text);
}

WpiItemStatus
wpi_sim_items_check_write (WpiSimItems  *items,
                           const char   *name,
                           gboolean      has_index,
                           gint64        index,
                           const char   *value,
                           char        **reason)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  WpiItemInfo *info;
  WpiSimItem *stored;
  g_autoptr(GError) error = NULL;

  if (!g_hash_table_contains (items->known, name))
    {
      info = wpi_catalogue_lookup (catalogue, name);
      if (info != NULL && is_action_parameter (info))
        {
          set_reason (reason, "an action parameter, not a setting");
          return WPI_ITEM_STATUS_UNEXPECTED_ITEM;
        }
      set_reason (reason, "not an item of this phone");
      return WPI_ITEM_STATUS_UNKNOWN_ITEM;
    }

  stored = wpi_sim_items_lookup (items, name, has_index ? index : -1);
  if (stored != NULL && (stored->flags & WPI_SIM_ITEM_READ_ONLY))
    {
      set_reason (reason, "read-only");
      return WPI_ITEM_STATUS_READ_ONLY;
    }

  info = wpi_catalogue_lookup (catalogue, name);
  if (info == NULL)
    {
      /* an identity item the catalogue does not list: the store knows its shape */
      if (has_index != (wpi_sim_items_lookup (items, name, -1) == NULL))
        {
          set_reason (reason, has_index ? "takes no index" : "needs an index");
          return WPI_ITEM_STATUS_INVALID_INDEX;
        }
      return WPI_ITEM_STATUS_NONE;
    }

  if (wpi_catalogue_validate (catalogue, name, has_index, index, value, &error))
    return WPI_ITEM_STATUS_NONE;

  if (reason != NULL)
    *reason = g_strdup (error->message);
  if (!g_error_matches (error, WPI_CATALOGUE_ERROR, error->code))
    return WPI_ITEM_STATUS_INVALID_DATA;
  switch ((WpiCatalogueError) error->code)
    {
    case WPI_CATALOGUE_ERROR_READ_ONLY:
      return WPI_ITEM_STATUS_READ_ONLY;
    case WPI_CATALOGUE_ERROR_INDEX_REQUIRED:
    case WPI_CATALOGUE_ERROR_INDEX_NOT_ALLOWED:
    case WPI_CATALOGUE_ERROR_INDEX_OUT_OF_RANGE:
      return WPI_ITEM_STATUS_INVALID_INDEX;
    case WPI_CATALOGUE_ERROR_INVALID_DATA:
    case WPI_CATALOGUE_ERROR_INVALID_TEXT:
    case WPI_CATALOGUE_ERROR_TOO_LONG:
    case WPI_CATALOGUE_ERROR_INVALID_BOOLEAN:
    case WPI_CATALOGUE_ERROR_INVALID_INTEGER:
    case WPI_CATALOGUE_ERROR_OUT_OF_RANGE:
    case WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION:
    case WPI_CATALOGUE_ERROR_INVALID_HOST:
    case WPI_CATALOGUE_ERROR_INVALID_IP:
    case WPI_CATALOGUE_ERROR_INVALID_MAC:
    case WPI_CATALOGUE_ERROR_INVALID_URI:
    case WPI_CATALOGUE_ERROR_INVALID_BASE64:
    case WPI_CATALOGUE_ERROR_INVALID_PEM:
    case WPI_CATALOGUE_ERROR_INVALID_VERSION:
    default:
      return WPI_ITEM_STATUS_INVALID_DATA;
    }
}

WpiSimItem *
wpi_sim_items_store (WpiSimItems *items,
                     const char  *name,
                     gint64       index,
                     const char  *value)
{
  WpiSimItem *item = wpi_sim_items_lookup (items, name, index);

  if (item == NULL)
    {
      /* a new instance of a known item, e.g. key 301 of a key module: gone after a reset */
      WpiItemInfo *info = wpi_catalogue_lookup (wpi_catalogue_get_default (), name);
      guint flags = WPI_SIM_ITEM_ADDED;

      if (info != NULL && wpi_item_info_is_secret (info))
        flags |= WPI_SIM_ITEM_SECRET;
      if (info != NULL && strcmp (wpi_item_info_get_category (info), "certificates") == 0 &&
          !g_str_has_suffix (name, "-info"))
        flags |= WPI_SIM_ITEM_NOT_IN_READ_ALL;
      /* not interned: a written value may be large and is the phone's own */
      item = wpi_sim_items_add (items, name, index, "", flags);
      g_free (item->value);
      item->value = g_strdup (value ?: "");
      return item;
    }
  g_free (item->value);
  item->value = g_strdup (value ?: "");
  return item;
}

const char *
wpi_sim_items_default_value (WpiSimItems *items,
                             const char  *name,
                             gint64       index)
{
  WpiItemInfo *info;
  const char *value;

  if (!g_hash_table_contains (items->known, name))
    return NULL;
  info = wpi_catalogue_lookup (wpi_catalogue_get_default (), name);
  if (info == NULL)
    return NULL;
  if (index < 0 ? wpi_item_info_get_index_mode (info) == WPI_INDEX_MODE_REQUIRED
                : !wpi_item_info_is_indexed (info) || !wpi_item_info_index_is_valid (info, index))
    return NULL;
  value = wpi_item_info_get_default_value (info);
  return value != NULL ? value : "";
}

/* ---------------------------------------------------------------------------------------- */
/* Local changes                                                                            */

static gboolean
is_changeable (WpiSimItem *item)
{
  WpiItemInfo *info;

  if (item->flags & (WPI_SIM_ITEM_READ_ONLY | WPI_SIM_ITEM_SECRET | WPI_SIM_ITEM_NOT_IN_READ_ALL |
                     WPI_SIM_ITEM_KEEP_ON_RESET))
    return FALSE;
  /* the number is the phone's identity for the service: users do not change it */
  if (strcmp (item->name, "e164") == 0 || strcmp (item->name, "dls-addr") == 0)
    return FALSE;
  info = wpi_catalogue_lookup (wpi_catalogue_get_default (), item->name);
  if (info == NULL || wpi_item_info_get_read_only (info) == WPI_READ_ONLY_YES)
    return FALSE;
  switch (wpi_item_info_get_value_type (info))
    {
    case WPI_VALUE_TYPE_BOOLEAN:
    case WPI_VALUE_TYPE_ENUM:
    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_PORT:
    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_UNICODE:
    case WPI_VALUE_TYPE_DNS:
    case WPI_VALUE_TYPE_IP:
      return TRUE;
    /* secrets, certificates and identities: not what a user types on the phone's menu */
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_VERSION:
    default:
      return FALSE;
    }
}

WpiSimItem *
wpi_sim_items_pick_changeable (WpiSimItems *items,
                               GRand       *rand)
{
  guint position;

  if (!items->changeable_valid)
    {
      g_array_set_size (items->changeable, 0);
      for (guint i = 0; i < items->items->len; i++)
        if (is_changeable (g_ptr_array_index (items->items, i)))
          g_array_append_val (items->changeable, i);
      items->changeable_valid = TRUE;
    }
  if (items->changeable->len == 0)
    return NULL;
  position = g_array_index (items->changeable, guint,
                            g_rand_int_range (rand, 0, items->changeable->len));
  return g_ptr_array_index (items->items, position);
}

char *
wpi_sim_items_plausible_change (WpiSimItems      *items,
                                const WpiSimItem *item,
                                GRand            *rand)
{
  WpiItemInfo *info = wpi_catalogue_lookup (wpi_catalogue_get_default (), item->name);
  g_autofree char *value = NULL;
  gint64 min, max;

  if (info == NULL)
    return NULL;

  switch (wpi_item_info_get_value_type (info))
    {
    case WPI_VALUE_TYPE_BOOLEAN:
      value = g_strdup (g_strcmp0 (item->value, "true") == 0 ? "false" : "true");
      break;

    case WPI_VALUE_TYPE_ENUM:
      {
        guint n = 0;
        const WpiEnumValue *values = wpi_item_info_get_enum_values (info, &n);

        if (n < 2)
          return NULL;
        for (guint attempt = 0; attempt < 8 && value == NULL; attempt++)
          {
            const char *candidate = values[g_rand_int_range (rand, 0, n)].value;

            if (g_strcmp0 (candidate, item->value) != 0)
              value = g_strdup (candidate);
          }
        break;
      }

    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_PORT:
      if (!wpi_item_info_get_range (info, &min, &max))
        {
          min = wpi_item_info_get_value_type (info) == WPI_VALUE_TYPE_PORT ? 1024 : 0;
          max = wpi_item_info_get_value_type (info) == WPI_VALUE_TYPE_PORT ? 65535 : 100;
        }
      min = MAX (min, -100000);
      max = MIN (max, 100000);
      if (max <= min)
        return NULL;
      value = g_strdup_printf ("%" G_GINT64_FORMAT,
                               min + (gint64) (g_rand_double (rand) * (double) (max - min + 1)));
      break;

    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_UNICODE:
      {
        guint max_length = wpi_item_info_get_max_length (info);

        value = g_strdup_printf ("user-%u", g_rand_int_range (rand, 1000, 10000));
        if (max_length > 0 && strlen (value) > max_length)
          value[max_length] = '\0';
        break;
      }

    case WPI_VALUE_TYPE_DNS:
      value = g_strdup_printf ("host%u.example.net", g_rand_int_range (rand, 1, 1000));
      break;

    case WPI_VALUE_TYPE_IP:
      value = g_strdup_printf ("10.%u.%u.%u", g_rand_int_range (rand, 0, 256),
                               g_rand_int_range (rand, 0, 256), g_rand_int_range (rand, 1, 255));
      break;

    /* never picked by is_changeable() */
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_VERSION:
    default:
      return NULL;
    }

  if (value == NULL || g_strcmp0 (value, item->value) == 0 || !value_is_valid (info, value))
    return NULL;
  return g_steal_pointer (&value);
}
