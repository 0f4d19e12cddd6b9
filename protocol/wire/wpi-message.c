/* wpi-message.c: the WPI message model */
#include "config.h"

#include <string.h>

#include "wpi-message.h"

/* ---- WpiItem ---------------------------------------------------------- */

G_DEFINE_BOXED_TYPE (WpiItem, wpi_item, wpi_item_copy, wpi_item_free)

WpiItem *
wpi_item_new (const char *name,
              const char *value)
{
  WpiItem *item;

  g_return_val_if_fail (name != NULL, NULL);

  item = g_new0 (WpiItem, 1);
  item->name = g_strdup (name);
  item->value = g_strdup (value != NULL ? value : "");
  return item;
}

WpiItem *
wpi_item_new_indexed (const char *name,
                      gint64      index,
                      const char *value)
{
  WpiItem *item = wpi_item_new (name, value);

  item->index = index;
  item->has_index = TRUE;
  return item;
}

WpiItem *
wpi_item_copy (const WpiItem *item)
{
  WpiItem *copy;

  g_return_val_if_fail (item != NULL, NULL);

  copy = g_new0 (WpiItem, 1);
  copy->name = g_strdup (item->name);
  copy->value = g_strdup (item->value);
  copy->type = g_strdup (item->type);
  copy->status = g_strdup (item->status);
  copy->index = item->index;
  copy->has_index = item->has_index;
  return copy;
}

void
wpi_item_free (WpiItem *item)
{
  if (item == NULL)
    return;
  g_free (item->name);
  g_free (item->value);
  g_free (item->type);
  g_free (item->status);
  g_free (item);
}

gboolean
wpi_item_equal (const WpiItem *a,
                const WpiItem *b)
{
  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL)
    return FALSE;
  return g_strcmp0 (a->name, b->name) == 0 &&
         g_strcmp0 (a->value, b->value) == 0 &&
         g_strcmp0 (a->type, b->type) == 0 &&
         g_strcmp0 (a->status, b->status) == 0 &&
         a->has_index == b->has_index &&
         (!a->has_index || a->index == b->index);
}

void
wpi_item_set_status (WpiItem    *item,
                     const char *status)
{
  g_return_if_fail (item != NULL);

  if (item->status != status)
    {
      g_free (item->status);
      item->status = g_strdup (status);
    }
}

WpiItemStatus
wpi_item_get_status (const WpiItem *item)
{
  g_return_val_if_fail (item != NULL, WPI_ITEM_STATUS_NONE);

  return wpi_item_status_from_string (item->status);
}

/* ---- WpiMessage ------------------------------------------------------- */

struct _WpiMessage
{
  GObject         parent_instance;

  WpiMessageKind  kind;
  char           *nonce;
  gint64          max_items;
  gboolean        has_max_items;
  char           *fragment;
  char           *reason;
  char           *action;
  char           *status;
  GPtrArray      *items;          /* of WpiItem, owned */
  gboolean        has_item_list;
  GPtrArray      *reading_notes;  /* of char *, NULL-terminated; NULL when there are none */
  WpiSignature   *signature;
};

G_DEFINE_FINAL_TYPE (WpiMessage, wpi_message, G_TYPE_OBJECT)

static void
wpi_message_finalize (GObject *object)
{
  WpiMessage *self = WPI_MESSAGE (object);

  g_free (self->nonce);
  g_free (self->fragment);
  g_free (self->reason);
  g_free (self->action);
  g_free (self->status);
  g_ptr_array_unref (self->items);
  g_clear_pointer (&self->reading_notes, g_ptr_array_unref);
  g_clear_pointer (&self->signature, wpi_signature_free);

  G_OBJECT_CLASS (wpi_message_parent_class)->finalize (object);
}

static void
wpi_message_class_init (WpiMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = wpi_message_finalize;
}

static void
wpi_message_init (WpiMessage *self)
{
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);
}

WpiMessage *
wpi_message_new (WpiMessageKind  kind,
                 const char     *nonce)
{
  WpiMessage *self = g_object_new (WPI_TYPE_MESSAGE, NULL);

  self->kind = kind;
  self->nonce = g_strdup (nonce);
  return self;
}

WpiMessageKind
wpi_message_get_kind (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), WPI_MESSAGE_KIND_WORKPOINT);

  return self->kind;
}

static void
replace_string (char       **field,
                const char  *value)
{
  if (*field != value)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

const char *
wpi_message_get_nonce (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  return self->nonce;
}

void
wpi_message_set_nonce (WpiMessage *self,
                       const char *nonce)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  replace_string (&self->nonce, nonce);
}

gboolean
wpi_message_has_max_items (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), FALSE);

  return self->has_max_items;
}

gint64
wpi_message_get_max_items (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), -1);

  return self->has_max_items ? self->max_items : -1;
}

void
wpi_message_set_max_items (WpiMessage *self,
                           gint64      max_items)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  self->max_items = max_items;
  self->has_max_items = TRUE;
}

void
wpi_message_unset_max_items (WpiMessage *self)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  self->max_items = -1;
  self->has_max_items = FALSE;
}

const char *
wpi_message_get_fragment_string (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  return self->fragment;
}

WpiFragment
wpi_message_get_fragment (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), WPI_FRAGMENT_NONE);

  return wpi_fragment_from_string (self->fragment);
}

void
wpi_message_set_fragment_string (WpiMessage *self,
                                 const char *fragment)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  replace_string (&self->fragment, fragment);
}

void
wpi_message_set_fragment (WpiMessage  *self,
                          WpiFragment  fragment)
{
  wpi_message_set_fragment_string (self, wpi_fragment_to_string (fragment));
}

const char *
wpi_message_get_reason_string (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  return self->reason;
}

WpiReason
wpi_message_get_reason (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), WPI_REASON_NONE);

  return wpi_reason_from_string (self->reason);
}

void
wpi_message_set_reason_string (WpiMessage *self,
                               const char *reason)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  replace_string (&self->reason, reason);
}

void
wpi_message_set_reason (WpiMessage *self,
                        WpiReason   reason)
{
  wpi_message_set_reason_string (self, wpi_reason_to_string (reason));
}

const char *
wpi_message_get_action_string (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  return self->action;
}

WpiAction
wpi_message_get_action (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), WPI_ACTION_NONE);

  return wpi_action_from_string (self->action);
}

void
wpi_message_set_action_string (WpiMessage *self,
                               const char *action)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  replace_string (&self->action, action);
}

void
wpi_message_set_action (WpiMessage *self,
                        WpiAction   action)
{
  wpi_message_set_action_string (self, wpi_action_to_string (action));
}

const char *
wpi_message_get_status_string (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  return self->status;
}

WpiMessageStatus
wpi_message_get_status (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), WPI_MESSAGE_STATUS_NONE);

  return wpi_message_status_from_string (self->status);
}

void
wpi_message_set_status_string (WpiMessage *self,
                               const char *status)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  replace_string (&self->status, status);
}

void
wpi_message_set_status (WpiMessage       *self,
                        WpiMessageStatus  status)
{
  wpi_message_set_status_string (self, wpi_message_status_to_string (status));
}

gboolean
wpi_message_has_item_list (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), FALSE);

  return self->has_item_list || self->items->len > 0;
}

void
wpi_message_set_has_item_list (WpiMessage *self,
                               gboolean    has_item_list)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  self->has_item_list = !!has_item_list;
}

guint
wpi_message_get_n_items (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), 0);

  return self->items->len;
}

const WpiItem *
wpi_message_get_item (WpiMessage *self,
                      guint       position)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (position < self->items->len, NULL);

  return g_ptr_array_index (self->items, position);
}

void
wpi_message_take_item (WpiMessage *self,
                       WpiItem    *item)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));
  g_return_if_fail (item != NULL);

  g_ptr_array_add (self->items, item);
  self->has_item_list = TRUE;
}

WpiItem *
wpi_message_add_item (WpiMessage *self,
                      const char *name,
                      const char *value)
{
  WpiItem *item;

  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  item = wpi_item_new (name, value);
  wpi_message_take_item (self, item);
  return item;
}

WpiItem *
wpi_message_add_indexed_item (WpiMessage *self,
                              const char *name,
                              gint64      index,
                              const char *value)
{
  WpiItem *item;

  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  item = wpi_item_new_indexed (name, index, value);
  wpi_message_take_item (self, item);
  return item;
}

const WpiItem *
wpi_message_find_item (WpiMessage *self,
                       const char *name,
                       gint64      index)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (self->items, i);

      if (strcmp (item->name, name) != 0)
        continue;
      if (index >= 0 && (!item->has_index || item->index != index))
        continue;
      return item;
    }
  return NULL;
}

const char *
wpi_message_get_item_value (WpiMessage *self,
                            const char *name)
{
  const WpiItem *item = wpi_message_find_item (self, name, -1);

  return item != NULL ? item->value : NULL;
}

void
wpi_message_add_reading_note (WpiMessage *self,
                              const char *note)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));
  g_return_if_fail (note != NULL);

  if (self->reading_notes == NULL)
    self->reading_notes = g_ptr_array_new_null_terminated (2, g_free, TRUE);
  g_ptr_array_add (self->reading_notes, g_strdup (note));
}

const char * const *
wpi_message_get_reading_notes (WpiMessage *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (WPI_IS_MESSAGE (self), none);

  return self->reading_notes != NULL ? (const char * const *) self->reading_notes->pdata : none;
}

WpiSignature *
wpi_message_get_signature (WpiMessage *self)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (self), NULL);

  return self->signature;
}

void
wpi_message_take_signature (WpiMessage   *self,
                            WpiSignature *signature)
{
  g_return_if_fail (WPI_IS_MESSAGE (self));

  if (self->signature != signature)
    {
      g_clear_pointer (&self->signature, wpi_signature_free);
      self->signature = signature;
    }
}

gboolean
wpi_message_equal (WpiMessage *a,
                   WpiMessage *b)
{
  g_return_val_if_fail (WPI_IS_MESSAGE (a), FALSE);
  g_return_val_if_fail (WPI_IS_MESSAGE (b), FALSE);

  if (a == b)
    return TRUE;
  if (a->kind != b->kind ||
      g_strcmp0 (a->nonce, b->nonce) != 0 ||
      a->has_max_items != b->has_max_items ||
      (a->has_max_items && a->max_items != b->max_items) ||
      g_strcmp0 (a->fragment, b->fragment) != 0 ||
      g_strcmp0 (a->reason, b->reason) != 0 ||
      g_strcmp0 (a->action, b->action) != 0 ||
      g_strcmp0 (a->status, b->status) != 0 ||
      wpi_message_has_item_list (a) != wpi_message_has_item_list (b) ||
      a->items->len != b->items->len)
    return FALSE;

  for (guint i = 0; i < a->items->len; i++)
    if (!wpi_item_equal (g_ptr_array_index (a->items, i), g_ptr_array_index (b->items, i)))
      return FALSE;
  return TRUE;
}
