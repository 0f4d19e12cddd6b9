/* wpi-traffic-model.c: the traffic log as a lazy GListModel */
#include "config.h"

#include "wpi-codec.h"
#include "wpi-store-enums.h"
#include "wpi-traffic-model.h"

/* Appended messages kept in memory beyond the page cache, so that the newest rows show
 * without a read even when the store's connection does not see them yet (the service
 * logs the request inside its transaction). */
#define RECENT_MAX 1024

/* ---- WpiTrafficEntry ------------------------------------------------------------ */

struct _WpiTrafficEntry
{
  GObject           parent_instance;

  WpiTrafficRecord *record;
  WpiMessage       *message;       /* the body parsed, once asked for */
  GError           *message_error; /* or why it could not be */
  gboolean          security_event;
  gboolean          missing;
};

G_DEFINE_FINAL_TYPE (WpiTrafficEntry, wpi_traffic_entry, G_TYPE_OBJECT)

enum {
  ENTRY_PROP_0,
  ENTRY_PROP_ID,
  ENTRY_PROP_TIME,
  ENTRY_PROP_DIRECTION,
  ENTRY_PROP_PORT,
  ENTRY_PROP_MODE,
  ENTRY_PROP_PEER,
  ENTRY_PROP_MAC,
  ENTRY_PROP_FLOW,
  ENTRY_PROP_ROOT,
  ENTRY_PROP_NONCE,
  ENTRY_PROP_REASON,
  ENTRY_PROP_ACTION,
  ENTRY_PROP_STATUS,
  ENTRY_PROP_FRAGMENT,
  ENTRY_PROP_ITEM_COUNT,
  ENTRY_PROP_SIZE,
  ENTRY_PROP_ERROR_CODE,
  ENTRY_PROP_ERROR_TEXT,
  ENTRY_PROP_REFUSED,
  ENTRY_PROP_SECURITY_EVENT,
  ENTRY_PROP_MISSING,
  ENTRY_N_PROPS
};

static GParamSpec *entry_properties[ENTRY_N_PROPS];

static void
wpi_traffic_entry_finalize (GObject *object)
{
  WpiTrafficEntry *self = WPI_TRAFFIC_ENTRY (object);

  g_clear_pointer (&self->record, wpi_traffic_record_free);
  g_clear_object (&self->message);
  g_clear_error (&self->message_error);

  G_OBJECT_CLASS (wpi_traffic_entry_parent_class)->finalize (object);
}

static void
wpi_traffic_entry_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  WpiTrafficEntry *self = WPI_TRAFFIC_ENTRY (object);
  const WpiTrafficRecord *r = self->record;

  switch (prop_id)
    {
    case ENTRY_PROP_ID: g_value_set_int64 (value, r->id); break;
    case ENTRY_PROP_TIME: g_value_set_int64 (value, r->time_us); break;
    case ENTRY_PROP_DIRECTION: g_value_set_enum (value, r->direction); break;
    case ENTRY_PROP_PORT: g_value_set_uint (value, r->port); break;
    case ENTRY_PROP_MODE: g_value_set_enum (value, r->mode); break;
    case ENTRY_PROP_PEER: g_value_set_string (value, r->peer); break;
    case ENTRY_PROP_MAC: g_value_set_string (value, r->mac); break;
    case ENTRY_PROP_FLOW: g_value_set_string (value, r->flow_id); break;
    case ENTRY_PROP_ROOT: g_value_set_string (value, r->root); break;
    case ENTRY_PROP_NONCE: g_value_set_string (value, r->nonce); break;
    case ENTRY_PROP_REASON: g_value_set_string (value, r->reason); break;
    case ENTRY_PROP_ACTION: g_value_set_string (value, r->action); break;
    case ENTRY_PROP_STATUS: g_value_set_string (value, r->status); break;
    case ENTRY_PROP_FRAGMENT: g_value_set_string (value, r->fragment); break;
    case ENTRY_PROP_ITEM_COUNT: g_value_set_int (value, r->item_count); break;
    case ENTRY_PROP_SIZE: g_value_set_int64 (value, r->size); break;
    case ENTRY_PROP_ERROR_CODE: g_value_set_int (value, r->error_code); break;
    case ENTRY_PROP_ERROR_TEXT: g_value_set_string (value, r->error_text); break;
    case ENTRY_PROP_REFUSED: g_value_set_boolean (value, wpi_traffic_entry_is_refused (self)); break;
    case ENTRY_PROP_SECURITY_EVENT: g_value_set_boolean (value, self->security_event); break;
    case ENTRY_PROP_MISSING: g_value_set_boolean (value, self->missing); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_property (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
}

static void
wpi_traffic_entry_class_init (WpiTrafficEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = wpi_traffic_entry_finalize;
  object_class->get_property = wpi_traffic_entry_get_property;

  entry_properties[ENTRY_PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  entry_properties[ENTRY_PROP_TIME] = g_param_spec_int64 ("time", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  entry_properties[ENTRY_PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL, WPI_TYPE_TRAFFIC_DIRECTION, WPI_TRAFFIC_DIRECTION_IN, flags);
  entry_properties[ENTRY_PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 0, 65535, 0, flags);
  entry_properties[ENTRY_PROP_MODE] =
    g_param_spec_enum ("mode", NULL, NULL, WPI_TYPE_PHONE_MODE, WPI_PHONE_MODE_DEFAULT, flags);
  entry_properties[ENTRY_PROP_PEER] = string_property ("peer");
  entry_properties[ENTRY_PROP_MAC] = string_property ("mac");
  entry_properties[ENTRY_PROP_FLOW] = string_property ("flow");
  entry_properties[ENTRY_PROP_ROOT] = string_property ("root");
  entry_properties[ENTRY_PROP_NONCE] = string_property ("nonce");
  entry_properties[ENTRY_PROP_REASON] = string_property ("reason");
  entry_properties[ENTRY_PROP_ACTION] = string_property ("action");
  entry_properties[ENTRY_PROP_STATUS] = string_property ("status");
  entry_properties[ENTRY_PROP_FRAGMENT] = string_property ("fragment");
  entry_properties[ENTRY_PROP_ITEM_COUNT] = g_param_spec_int ("item-count", NULL, NULL, -1, G_MAXINT, -1, flags);
  entry_properties[ENTRY_PROP_SIZE] = g_param_spec_int64 ("size", NULL, NULL, -1, G_MAXINT64, 0, flags);
  entry_properties[ENTRY_PROP_ERROR_CODE] = g_param_spec_int ("error-code", NULL, NULL, G_MININT, G_MAXINT, 0, flags);
  entry_properties[ENTRY_PROP_ERROR_TEXT] = string_property ("error-text");
  entry_properties[ENTRY_PROP_REFUSED] = g_param_spec_boolean ("refused", NULL, NULL, FALSE, flags);
  entry_properties[ENTRY_PROP_SECURITY_EVENT] = g_param_spec_boolean ("security-event", NULL, NULL, FALSE, flags);
  entry_properties[ENTRY_PROP_MISSING] = g_param_spec_boolean ("missing", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, ENTRY_N_PROPS, entry_properties);
}

static void
wpi_traffic_entry_init (WpiTrafficEntry *self)
{
}

/* Takes the record. */
static WpiTrafficEntry *
entry_new_take (WpiTrafficRecord *record)
{
  WpiTrafficEntry *self = g_object_new (WPI_TYPE_TRAFFIC_ENTRY, NULL);

  self->record = record;
  return self;
}

WpiTrafficEntry *
wpi_traffic_entry_new (const WpiTrafficRecord *record)
{
  g_return_val_if_fail (record != NULL, NULL);

  return entry_new_take (wpi_traffic_record_copy (record));
}

const WpiTrafficRecord *
wpi_traffic_entry_get_record (WpiTrafficEntry *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (self), NULL);
  return self->record;
}

#define ENTRY_GETTER(type, name, expr, fallback)                  \
  type                                                            \
  wpi_traffic_entry_get_##name (WpiTrafficEntry *self)            \
  {                                                               \
    g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (self), fallback); \
    return self->record->expr;                                    \
  }

ENTRY_GETTER (gint64, id, id, 0)
ENTRY_GETTER (gint64, time, time_us, 0)
ENTRY_GETTER (WpiTrafficDirection, direction, direction, WPI_TRAFFIC_DIRECTION_IN)
ENTRY_GETTER (guint, port, port, 0)
ENTRY_GETTER (WpiPhoneMode, mode, mode, WPI_PHONE_MODE_DEFAULT)
ENTRY_GETTER (const char *, peer, peer, NULL)
ENTRY_GETTER (const char *, mac, mac, NULL)
ENTRY_GETTER (const char *, flow, flow_id, NULL)
ENTRY_GETTER (const char *, root, root, NULL)
ENTRY_GETTER (const char *, nonce, nonce, NULL)
ENTRY_GETTER (const char *, reason, reason, NULL)
ENTRY_GETTER (const char *, action, action, NULL)
ENTRY_GETTER (const char *, status, status, NULL)
ENTRY_GETTER (const char *, fragment, fragment, NULL)
ENTRY_GETTER (gint, item_count, item_count, -1)
ENTRY_GETTER (gint64, size, size, 0)
ENTRY_GETTER (gint, error_code, error_code, 0)
ENTRY_GETTER (const char *, error_text, error_text, NULL)

gboolean
wpi_traffic_entry_is_refused (WpiTrafficEntry *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (self), FALSE);
  return self->record->error_text != NULL && self->record->error_code < 0;
}

gboolean
wpi_traffic_entry_is_security_event (WpiTrafficEntry *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (self), FALSE);
  return self->security_event;
}

gboolean
wpi_traffic_entry_is_missing (WpiTrafficEntry *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (self), FALSE);
  return self->missing;
}

WpiTrafficRecord *
wpi_traffic_entry_load_record (WpiTrafficEntry  *self,
                               WpiStore         *store,
                               GError          **error)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (self), NULL);
  g_return_val_if_fail (store == NULL || WPI_IS_STORE (store), NULL);

  if (self->record->body != NULL || self->record->headers != NULL)
    return wpi_traffic_record_copy (self->record);
  if (store == NULL)
    {
      g_set_error (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND,
                   "Message %" G_GINT64_FORMAT " has no body and no store to read it from",
                   self->record->id);
      return NULL;
    }
  return wpi_store_traffic_get (store, self->record->id, error);
}

WpiMessage *
wpi_traffic_entry_get_message (WpiTrafficEntry  *self,
                               WpiStore         *store,
                               GError          **error)
{
  g_autoptr(WpiTrafficRecord) full = NULL;
  g_autoptr(GError) local_error = NULL;
  GBytes *body;

  g_return_val_if_fail (WPI_IS_TRAFFIC_ENTRY (self), NULL);

  if (self->message == NULL && self->message_error == NULL)
    {
      body = self->record->body;
      if (body == NULL)
        {
          full = wpi_traffic_entry_load_record (self, store, &local_error);
          /* A failed read is not cached: the store may answer next time. */
          if (full == NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          body = full->body;
        }
      if (body == NULL)
        g_set_error_literal (&self->message_error, WPI_CODEC_ERROR, WPI_CODEC_ERROR_EMPTY,
                             "1:1: the message has no body");
      else
        self->message = wpi_message_parse (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                           &self->message_error);
    }

  if (self->message_error != NULL)
    {
      if (error != NULL)
        *error = g_error_copy (self->message_error);
      return NULL;
    }
  return self->message;
}

/* ---- WpiTrafficModel ------------------------------------------------------------ */

typedef struct {
  gint64     number;  /* holds ids number * PAGE_SIZE + 1 ... */
  GPtrArray *entries; /* by id - first id of the page; NULL where the store had none */
  GList      link;    /* in the LRU queue, data = the page */
} Page;

struct _WpiTrafficModel
{
  GObject     parent_instance;

  WpiStore   *store;
  /* Shown: first_id .. shown_last_id; known (shown or pending): up to last_id. When
   * nothing is shown, shown_last_id == first_id - 1. */
  gint64      first_id;
  gint64      shown_last_id;
  gint64      last_id;
  gboolean    paused;

  GHashTable *pages;       /* &page->number -> Page */
  GQueue      lru;         /* most recently used first */
  guint       max_pages;
  guint       page_loads;

  GHashTable *recent;      /* &record->id -> WpiTrafficEntry appended */
  GQueue      recent_ids;  /* of WpiTrafficEntry, oldest first (for eviction) */

  GHashTable *security_keys; /* "peer\ndetail" of every security event */
  gint64      security_after_id;
};

static void wpi_traffic_model_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WpiTrafficModel, wpi_traffic_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, wpi_traffic_model_list_model_init))

enum {
  PROP_0,
  PROP_STORE,
  PROP_PAUSED,
  PROP_N_PENDING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->entries);
  g_free (page);
}

static guint
n_shown (WpiTrafficModel *self)
{
  return self->shown_last_id >= self->first_id ? (guint) (self->shown_last_id - self->first_id + 1) : 0;
}

static guint
n_pending (WpiTrafficModel *self)
{
  if (self->last_id == 0)
    return 0;
  return self->last_id > self->shown_last_id ? (guint) (self->last_id - self->shown_last_id) : 0;
}

static char *
security_key (const char *peer,
              const char *detail)
{
  return g_strconcat (peer != NULL ? peer : "", "\n", detail != NULL ? detail : "", NULL);
}

/* Reads the security events logged since the last call. */
static void
load_security_events (WpiTrafficModel *self)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) events = wpi_store_security_event_list (self->store, self->security_after_id,
                                                                   1000, &error);
      if (events == NULL)
        {
          g_warning ("Cannot read the security events: %s", error->message);
          return;
        }
      if (events->len == 0)
        return;
      for (guint i = 0; i < events->len; i++)
        {
          const WpiSecurityEvent *event = g_ptr_array_index (events, i);

          g_hash_table_add (self->security_keys, security_key (event->peer, event->detail));
          self->security_after_id = MAX (self->security_after_id, event->id);
        }
    }
}

static void
mark_security_event (WpiTrafficModel *self,
                     WpiTrafficEntry *entry)
{
  g_autofree char *key = NULL;

  if (!wpi_traffic_entry_is_refused (entry))
    return;
  key = security_key (entry->record->peer, entry->record->error_text);
  entry->security_event = g_hash_table_contains (self->security_keys, key);
}

static void
cache_touch (WpiTrafficModel *self,
             Page            *page)
{
  g_queue_unlink (&self->lru, &page->link);
  g_queue_push_head_link (&self->lru, &page->link);
}

static void
cache_trim (WpiTrafficModel *self)
{
  while (g_hash_table_size (self->pages) > self->max_pages)
    {
      GList *link = g_queue_pop_tail_link (&self->lru);
      Page *page = link->data;

      g_hash_table_remove (self->pages, &page->number);
    }
}

/* Pages have holes (NULL) where the store had no row. */
static void
entry_unref_if_set (gpointer entry)
{
  if (entry != NULL)
    g_object_unref (entry);
}

static Page *
page_load (WpiTrafficModel *self,
           gint64           number)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  gint64 start = number * WPI_TRAFFIC_MODEL_PAGE_SIZE + 1;
  Page *page;

  self->page_loads++;
  records = wpi_store_traffic_get_range (self->store, start, WPI_TRAFFIC_MODEL_PAGE_SIZE, &error);
  if (records == NULL)
    {
      g_warning ("Cannot read the traffic log: %s", error->message);
      return NULL;
    }

  page = g_hash_table_lookup (self->pages, &number);
  if (page == NULL)
    {
      page = g_new0 (Page, 1);
      page->number = number;
      page->link.data = page;
      g_hash_table_insert (self->pages, &page->number, page);
      g_queue_push_head_link (&self->lru, &page->link);
    }
  else
    cache_touch (self, page);

  g_clear_pointer (&page->entries, g_ptr_array_unref);
  page->entries = g_ptr_array_new_full (records->len, entry_unref_if_set);
  for (guint i = 0; i < records->len; i++)
    {
      WpiTrafficRecord *record = g_ptr_array_index (records, i);
      gint64 offset = record->id - start;
      WpiTrafficEntry *entry;

      if (offset >= WPI_TRAFFIC_MODEL_PAGE_SIZE)
        break;
      if ((guint) offset >= page->entries->len)
        g_ptr_array_set_size (page->entries, offset + 1);
      g_ptr_array_index (records, i) = NULL;
      entry = entry_new_take (record);
      mark_security_event (self, entry);
      g_ptr_array_index (page->entries, offset) = entry;
    }

  cache_trim (self);
  /* The page may have been the least recently used one; it is the most recent now. */
  return g_hash_table_lookup (self->pages, &number);
}

static WpiTrafficEntry *
page_get (Page   *page,
          gint64  id)
{
  gint64 offset = id - page->number * WPI_TRAFFIC_MODEL_PAGE_SIZE - 1;

  if (page->entries == NULL || offset < 0 || (guint64) offset >= page->entries->len)
    return NULL;
  return g_ptr_array_index (page->entries, offset);
}

static WpiTrafficEntry *
lookup_entry (WpiTrafficModel *self,
              gint64           id)
{
  gint64 number = (id - 1) / WPI_TRAFFIC_MODEL_PAGE_SIZE;
  WpiTrafficEntry *entry;
  Page *page;

  entry = g_hash_table_lookup (self->recent, &id);
  if (entry != NULL)
    return g_object_ref (entry);

  page = g_hash_table_lookup (self->pages, &number);
  if (page != NULL)
    {
      cache_touch (self, page);
      entry = page_get (page, id);
    }
  /* Not cached, or cached before the row was logged: read the page (again). */
  if (entry == NULL)
    {
      page = page_load (self, number);
      if (page != NULL)
        entry = page_get (page, id);
    }
  if (entry != NULL)
    return g_object_ref (entry);

  /* Deleted (retention by another connection) or unreadable: a placeholder keeps the
   * model's promise of an item at every position. */
  {
    WpiTrafficRecord *record = wpi_traffic_record_new ();
    WpiTrafficEntry *missing;

    record->id = id;
    record->size = 0;
    missing = entry_new_take (record);
    missing->missing = TRUE;
    return missing;
  }
}

static void
recent_add (WpiTrafficModel *self,
            WpiTrafficEntry *entry)
{
  WpiTrafficEntry *old = g_hash_table_lookup (self->recent, &entry->record->id);

  if (old != NULL)
    {
      g_queue_remove (&self->recent_ids, old);
      g_hash_table_remove (self->recent, &entry->record->id);
    }
  g_hash_table_insert (self->recent, &entry->record->id, g_object_ref (entry));
  g_queue_push_tail (&self->recent_ids, entry);

  while (self->recent_ids.length > RECENT_MAX)
    {
      WpiTrafficEntry *oldest = g_queue_pop_head (&self->recent_ids);
      g_hash_table_remove (self->recent, &oldest->record->id);
    }
}

/* Moves the shown range to the store's bounds (or what appends told of beyond them):
 * retention removes from the front, new rows are added at the end unless paused. */
static void
apply_bounds (WpiTrafficModel *self,
              gint64           store_first,
              gint64           store_last)
{
  guint old_n = n_shown (self);
  guint old_pending = n_pending (self);
  gint64 last = MAX (store_last, self->last_id);
  gint64 first = store_first;

  /* An empty store, unless appends told of rows its connection cannot see yet */
  if (first == 0 && last > 0)
    {
      WpiTrafficEntry *oldest = g_queue_peek_head (&self->recent_ids);

      first = self->first_id > 0 ? self->first_id : oldest != NULL ? oldest->record->id : last;
    }

  if (first == 0 ||
      (self->first_id > 0 && (first < self->first_id || last < self->shown_last_id)))
    {
      /* Not a move forward: the store was replaced or rolled back. Start again. */
      g_hash_table_remove_all (self->pages);
      g_queue_init (&self->lru);
      self->first_id = first;
      self->last_id = last;
      if (first == 0)
        self->shown_last_id = -1;
      else if (self->paused)
        self->shown_last_id = MAX (MIN (self->shown_last_id, last), first - 1);
      else
        self->shown_last_id = last;
      if (old_n > 0 || n_shown (self) > 0)
        g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, n_shown (self));
    }
  else
    {
      if (self->first_id == 0)
        {
          /* The first rows of an empty log */
          self->first_id = first;
          self->shown_last_id = first - 1;
        }
      else if (first > self->first_id)
        {
          guint removed = (guint) MIN ((gint64) old_n, first - self->first_id);

          self->first_id = first;
          self->shown_last_id = MAX (self->shown_last_id, first - 1);
          if (removed > 0)
            g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
        }

      self->last_id = last;
      if (!self->paused && self->last_id > self->shown_last_id)
        {
          guint n = n_shown (self);

          self->shown_last_id = self->last_id;
          g_list_model_items_changed (G_LIST_MODEL (self), n, 0, n_shown (self) - n);
        }
    }

  if (n_shown (self) != old_n)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  if (n_pending (self) != old_pending)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

gboolean
wpi_traffic_model_refresh (WpiTrafficModel  *self,
                           GError          **error)
{
  gint64 first = 0, last = 0;

  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), FALSE);

  if (!wpi_store_traffic_get_bounds (self->store, &first, &last, error))
    return FALSE;
  apply_bounds (self, first, last);
  return TRUE;
}

void
wpi_traffic_model_append (WpiTrafficModel        *self,
                          const WpiTrafficRecord *record)
{
  g_autoptr(WpiTrafficEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  gint64 first = 0, last = 0;
  WpiTrafficRecord *copy;
  Page *page;
  gint64 number;

  g_return_if_fail (WPI_IS_TRAFFIC_MODEL (self));
  g_return_if_fail (record != NULL);
  g_return_if_fail (record->id > 0);

  /* The store has the raw bytes; the list keeps summaries only. */
  copy = wpi_traffic_record_copy (record);
  g_clear_pointer (&copy->headers, g_bytes_unref);
  g_clear_pointer (&copy->body, g_bytes_unref);
  entry = entry_new_take (copy);
  if (wpi_traffic_entry_is_refused (entry))
    {
      /* The service stores the security event before it logs the refused message. */
      load_security_events (self);
      mark_security_event (self, entry);
    }
  recent_add (self, entry);

  /* An id seen before: the transaction that logged it was rolled back and the id reused. */
  number = (record->id - 1) / WPI_TRAFFIC_MODEL_PAGE_SIZE;
  page = g_hash_table_lookup (self->pages, &number);
  if (page != NULL && page_get (page, record->id) != NULL)
    {
      gint64 offset = record->id - number * WPI_TRAFFIC_MODEL_PAGE_SIZE - 1;

      g_object_unref (g_ptr_array_index (page->entries, offset));
      g_ptr_array_index (page->entries, offset) = g_object_ref (entry);
    }
  if (record->id >= self->first_id && record->id <= self->shown_last_id)
    g_list_model_items_changed (G_LIST_MODEL (self), (guint) (record->id - self->first_id), 1, 1);

  if (!wpi_store_traffic_get_bounds (self->store, &first, &last, &error))
    {
      g_warning ("Cannot read the traffic log's bounds: %s", error->message);
      first = self->first_id;
      last = self->last_id;
    }
  /* The store's connection may not see the row yet (another connection's open
   * transaction); the record says it is there. */
  apply_bounds (self, first, MAX (last, record->id));
}

gboolean
wpi_traffic_model_get_paused (WpiTrafficModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), FALSE);
  return self->paused;
}

void
wpi_traffic_model_set_paused (WpiTrafficModel *self,
                              gboolean         paused)
{
  g_return_if_fail (WPI_IS_TRAFFIC_MODEL (self));

  paused = !!paused;
  if (self->paused == paused)
    return;

  self->paused = paused;
  if (!paused && self->last_id > self->shown_last_id)
    {
      guint n = n_shown (self);

      self->shown_last_id = self->last_id;
      g_list_model_items_changed (G_LIST_MODEL (self), n, 0, n_shown (self) - n);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
}

guint
wpi_traffic_model_get_n_pending (WpiTrafficModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), 0);
  return n_pending (self);
}

gint64
wpi_traffic_model_get_first_id (WpiTrafficModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), 0);
  return n_shown (self) > 0 ? self->first_id : 0;
}

gint64
wpi_traffic_model_get_last_id (WpiTrafficModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), 0);
  return n_shown (self) > 0 ? self->shown_last_id : 0;
}

WpiTrafficEntry *
wpi_traffic_model_get_entry_by_id (WpiTrafficModel *self,
                                   gint64           id)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), NULL);

  if (n_shown (self) == 0 || id < self->first_id || id > self->shown_last_id)
    return NULL;
  return lookup_entry (self, id);
}

gboolean
wpi_traffic_model_get_position (WpiTrafficModel *self,
                                gint64           id,
                                guint           *position)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), FALSE);

  if (n_shown (self) == 0 || id < self->first_id || id > self->shown_last_id)
    return FALSE;
  if (position != NULL)
    *position = (guint) (id - self->first_id);
  return TRUE;
}

WpiStore *
wpi_traffic_model_get_store (WpiTrafficModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), NULL);
  return self->store;
}

void
wpi_traffic_model_set_max_pages (WpiTrafficModel *self,
                                 guint            max_pages)
{
  g_return_if_fail (WPI_IS_TRAFFIC_MODEL (self));

  self->max_pages = MAX (max_pages, 1);
  cache_trim (self);
}

guint
wpi_traffic_model_get_page_loads (WpiTrafficModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), 0);
  return self->page_loads;
}

guint
wpi_traffic_model_get_n_cached_pages (WpiTrafficModel *self)
{
  g_return_val_if_fail (WPI_IS_TRAFFIC_MODEL (self), 0);
  return g_hash_table_size (self->pages);
}

/* GListModel */

static GType
wpi_traffic_model_get_item_type (GListModel *model)
{
  return WPI_TYPE_TRAFFIC_ENTRY;
}

static guint
wpi_traffic_model_get_n_items (GListModel *model)
{
  return n_shown (WPI_TRAFFIC_MODEL (model));
}

static gpointer
wpi_traffic_model_get_item (GListModel *model,
                            guint       position)
{
  WpiTrafficModel *self = WPI_TRAFFIC_MODEL (model);

  if (position >= n_shown (self))
    return NULL;
  return lookup_entry (self, self->first_id + position);
}

static void
wpi_traffic_model_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = wpi_traffic_model_get_item_type;
  iface->get_n_items = wpi_traffic_model_get_n_items;
  iface->get_item = wpi_traffic_model_get_item;
}

/* GObject */

static void
wpi_traffic_model_finalize (GObject *object)
{
  WpiTrafficModel *self = WPI_TRAFFIC_MODEL (object);

  g_hash_table_destroy (self->pages);
  g_queue_clear (&self->recent_ids);
  g_hash_table_destroy (self->recent);
  g_hash_table_destroy (self->security_keys);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (wpi_traffic_model_parent_class)->finalize (object);
}

static void
wpi_traffic_model_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  WpiTrafficModel *self = WPI_TRAFFIC_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_N_PENDING:
      g_value_set_uint (value, n_pending (self));
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, n_shown (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_traffic_model_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  WpiTrafficModel *self = WPI_TRAFFIC_MODEL (object);

  switch (prop_id)
    {
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_PAUSED:
      wpi_traffic_model_set_paused (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_traffic_model_class_init (WpiTrafficModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = wpi_traffic_model_finalize;
  object_class->get_property = wpi_traffic_model_get_property;
  object_class->set_property = wpi_traffic_model_set_property;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, WPI_TYPE_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpi_traffic_model_init (WpiTrafficModel *self)
{
  self->pages = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, (GDestroyNotify) page_free);
  self->recent = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_object_unref);
  self->security_keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_pages = WPI_TRAFFIC_MODEL_DEFAULT_MAX_PAGES;
  self->shown_last_id = -1;
}

WpiTrafficModel *
wpi_traffic_model_new (WpiStore  *store,
                       GError   **error)
{
  g_autoptr(WpiTrafficModel) self = NULL;
  gint64 first = 0, last = 0;

  g_return_val_if_fail (WPI_IS_STORE (store), NULL);

  if (!wpi_store_traffic_get_bounds (store, &first, &last, error))
    return NULL;

  self = g_object_new (WPI_TYPE_TRAFFIC_MODEL, "store", store, NULL);
  self->first_id = first;
  self->last_id = last;
  self->shown_last_id = first > 0 ? last : -1;
  load_security_events (self);
  return g_steal_pointer (&self);
}
