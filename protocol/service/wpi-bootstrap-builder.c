/* wpi-bootstrap-builder.c: the bootstrap bundles, built on worker threads (see
 * wpi-bootstrap-builder.h)
 *
 * Each task on the pool is a token: the thread that runs it takes the most pressing work
 * at that moment (an urgent request, one from the background, or a spare key to make),
 * so a request made urgent later still goes first, and nothing is ever built twice.
 */
#include "config.h"

#include <string.h>

#include "wpi-bootstrap-builder.h"

/* What every task on the pool carries: the work is in the builder's queues */
#define TOKEN GINT_TO_POINTER (1)

typedef struct {
  GList     link;        /* in `urgent` or `background`; data is the request */
  gint64    job_id;
  gint64    pin_id;
  char     *mac;
  GArray   *recipe;
  char     *pin;
  guint     iterations;
  gboolean  urgent;
} Request;

struct _WpiBootstrapBuilder
{
  WpiPki                *pki;
  GThreadPool           *pool;
  GMainContext          *context;
  WpiBootstrapBuiltFunc  built;
  gpointer               user_data;
  guint                  n_spare_keys;    /* the most kept in stock */

  GMutex                 lock;            /* guards everything below */
  GQueue                 urgent;          /* Request */
  GQueue                 background;      /* Request */
  GHashTable            *known;           /* job id -> its Request, NULL while being built */
  GQueue                 spare_keys;      /* PEM */
  guint                  keys_in_making;
  gboolean               stocking;        /* spare keys are made (after the first request) */
  gboolean               stopping;        /* free() has begun: no more tasks */
  GQueue                 finished;        /* WpiBootstrapBundle, to hand over on `context` */
  GSource               *hand_over;       /* the pending hand-over */
};

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

void
wpi_bootstrap_bundle_free (WpiBootstrapBundle *bundle)
{
  if (bundle == NULL)
    return;

  g_free (bundle->mac);
  wpi_bootstrap_items_free (bundle->items);
  g_clear_error (&bundle->error);
  g_free (bundle);
}

static void
request_free (Request *request)
{
  g_free (request->mac);
  wpi_bootstrap_items_free (request->recipe);
  wipe_free (request->pin);
  g_free (request);
}

/* ---- On the worker threads ----------------------------------------------------------- */

/* Called with the lock held, so that free() cannot stop the pool in between */
static void
push_token_locked (WpiBootstrapBuilder *self)
{
  if (!self->stopping)
    g_thread_pool_push (self->pool, TOKEN, NULL);
}

static Request *
take_request_locked (WpiBootstrapBuilder *self)
{
  GQueue *queue = !g_queue_is_empty (&self->urgent) ? &self->urgent : &self->background;
  GList *link = g_queue_pop_head_link (queue);

  if (link == NULL)
    return NULL;
  /* still known, as being built: asking again does not build it twice */
  g_hash_table_insert (self->known, g_memdup2 (&((Request *) link->data)->job_id, sizeof (gint64)), NULL);
  return link->data;
}

static gboolean
deliver (gpointer data)
{
  WpiBootstrapBuilder *self = data;
  GQueue finished = G_QUEUE_INIT;
  WpiBootstrapBundle *bundle;

  g_mutex_lock (&self->lock);
  finished = self->finished;
  g_queue_init (&self->finished);
  g_clear_pointer (&self->hand_over, g_source_unref);
  g_mutex_unlock (&self->lock);

  while ((bundle = g_queue_pop_head (&finished)) != NULL)
    self->built (bundle, self->user_data);
  return G_SOURCE_REMOVE;
}

static void
hand_over (WpiBootstrapBuilder *self,
           WpiBootstrapBundle  *bundle)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->known, &bundle->job_id);
  if (self->stopping)
    wpi_bootstrap_bundle_free (bundle);
  else
    {
      g_queue_push_tail (&self->finished, bundle);
      if (self->hand_over == NULL)
        {
          self->hand_over = g_idle_source_new ();
          g_source_set_priority (self->hand_over, G_PRIORITY_DEFAULT);
          g_source_set_callback (self->hand_over, deliver, self, NULL);
          g_source_set_static_name (self->hand_over, "[wpi] bootstrap bundles");
          g_source_attach (self->hand_over, self->context);
        }
    }
  g_mutex_unlock (&self->lock);
}

static void
build (WpiBootstrapBuilder *self,
       Request             *request,
       const char          *key_pem)
{
  WpiBootstrapBundle *bundle = g_new0 (WpiBootstrapBundle, 1);

  bundle->job_id = request->job_id;
  bundle->pin_id = request->pin_id;
  bundle->mac = g_strdup (request->mac);
  bundle->items = wpi_bootstrap_build_items (self->pki, request->mac, request->recipe, request->pin,
                                             request->iterations, key_pem, &bundle->timings,
                                             &bundle->error);
  request_free (request);
  hand_over (self, bundle);
}

static void
make_spare_key (WpiBootstrapBuilder *self)
{
  g_autoptr(GError) error = NULL;
  char *key = wpi_pki_generate_key_pem (self->pki, &error);

  if (key == NULL)
    g_warning ("Cannot make a key in advance: %s", error->message);
  g_mutex_lock (&self->lock);
  self->keys_in_making--;
  if (key != NULL)
    g_queue_push_tail (&self->spare_keys, key);
  g_mutex_unlock (&self->lock);
}

static void
work (gpointer data,
      gpointer user_data)
{
  WpiBootstrapBuilder *self = user_data;
  Request *request;
  char *key = NULL;
  gboolean make_key = FALSE;

  g_mutex_lock (&self->lock);
  request = take_request_locked (self);
  /* The keys in stock are for the phones that wait: the background makes its own */
  if (request != NULL && request->urgent)
    key = g_queue_pop_head (&self->spare_keys);
  else if (request == NULL && self->stocking &&
           self->spare_keys.length + self->keys_in_making < self->n_spare_keys)
    {
      self->keys_in_making++;
      make_key = TRUE;
    }
  g_mutex_unlock (&self->lock);

  if (request != NULL)
    {
      build (self, request, key);
      if (key != NULL)
        {
          wipe_free (key);
          g_mutex_lock (&self->lock);
          push_token_locked (self);   /* another key for the stock */
          g_mutex_unlock (&self->lock);
        }
    }
  else if (make_key)
    make_spare_key (self);
}

/* ---- On the owner's thread -------------------------------------------------------------- */

WpiBootstrapBuilder *
wpi_bootstrap_builder_new (WpiPki                *pki,
                           guint                  n_threads,
                           guint                  n_spare_keys,
                           GMainContext          *context,
                           WpiBootstrapBuiltFunc  built,
                           gpointer               user_data)
{
  WpiBootstrapBuilder *self;

  g_return_val_if_fail (WPI_IS_PKI (pki), NULL);
  g_return_val_if_fail (built != NULL, NULL);

  self = g_new0 (WpiBootstrapBuilder, 1);
  self->pki = g_object_ref (pki);
  self->context = context != NULL ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  self->built = built;
  self->user_data = user_data;
  self->n_spare_keys = n_spare_keys;
  g_mutex_init (&self->lock);
  self->known = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->pool = g_thread_pool_new (work, self, n_threads > 0 ? (gint) n_threads : (gint) g_get_num_processors (),
                                  FALSE, NULL);
  return self;
}

void
wpi_bootstrap_builder_request (WpiBootstrapBuilder *self,
                               gint64               job_id,
                               const char          *mac,
                               const GArray        *recipe,
                               const char          *pin,
                               gint64               pin_id,
                               guint                iterations,
                               gboolean             urgent)
{
  Request *request;

  g_return_if_fail (self != NULL);
  g_return_if_fail (mac != NULL && recipe != NULL);

  g_mutex_lock (&self->lock);
  if (g_hash_table_contains (self->known, &job_id))
    {
      g_mutex_unlock (&self->lock);
      return;
    }

  request = g_new0 (Request, 1);
  request->link.data = request;
  request->job_id = job_id;
  request->pin_id = pin_id;
  request->mac = g_strdup (mac);
  request->recipe = wpi_store_item_array_new ();
  for (guint i = 0; i < recipe->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (recipe, WpiStoreItem, i);

      wpi_store_item_array_add (request->recipe, item->name, item->has_index, item->index, item->value);
    }
  request->pin = g_strdup (pin);
  request->iterations = iterations;
  request->urgent = urgent;
  g_queue_push_tail_link (urgent ? &self->urgent : &self->background, &request->link);
  g_hash_table_insert (self->known, g_memdup2 (&job_id, sizeof job_id), request);

  push_token_locked (self);
  if (!self->stocking)
    {
      /* Bootstraps are under way: keep keys ready for the phones that will wait */
      self->stocking = TRUE;
      for (guint i = 0; i < self->n_spare_keys; i++)
        push_token_locked (self);
    }
  g_mutex_unlock (&self->lock);
}

void
wpi_bootstrap_builder_hurry (WpiBootstrapBuilder *self,
                             gint64               job_id)
{
  Request *request;

  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  request = g_hash_table_lookup (self->known, &job_id);
  if (request != NULL && !request->urgent)
    {
      g_queue_unlink (&self->background, &request->link);
      g_queue_push_tail_link (&self->urgent, &request->link);
      request->urgent = TRUE;
    }
  g_mutex_unlock (&self->lock);
}

void
wpi_bootstrap_builder_forget (WpiBootstrapBuilder *self,
                              gint64               job_id)
{
  Request *request;

  g_return_if_fail (self != NULL);

  g_mutex_lock (&self->lock);
  request = g_hash_table_lookup (self->known, &job_id);
  if (request != NULL)
    {
      g_queue_unlink (request->urgent ? &self->urgent : &self->background, &request->link);
      g_hash_table_remove (self->known, &job_id);
      request_free (request);
    }
  g_mutex_unlock (&self->lock);
}

guint
wpi_bootstrap_builder_get_n_waiting (WpiBootstrapBuilder *self)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);

  g_mutex_lock (&self->lock);
  n = self->urgent.length + self->background.length;
  g_mutex_unlock (&self->lock);
  return n;
}

guint
wpi_bootstrap_builder_get_n_spare_keys (WpiBootstrapBuilder *self)
{
  guint n;

  g_return_val_if_fail (self != NULL, 0);

  g_mutex_lock (&self->lock);
  n = self->spare_keys.length;
  g_mutex_unlock (&self->lock);
  return n;
}

void
wpi_bootstrap_builder_free (WpiBootstrapBuilder *self)
{
  GList *link;
  char *key;

  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_mutex_unlock (&self->lock);
  /* The bundles being built finish (and are dropped); no other task starts */
  g_thread_pool_free (self->pool, TRUE, TRUE);

  if (self->hand_over != NULL)
    {
      g_source_destroy (self->hand_over);
      g_clear_pointer (&self->hand_over, g_source_unref);
    }
  g_queue_clear_full (&self->finished, (GDestroyNotify) wpi_bootstrap_bundle_free);
  while ((link = g_queue_pop_head_link (&self->urgent)) != NULL ||
         (link = g_queue_pop_head_link (&self->background)) != NULL)
    request_free (link->data);
  while ((key = g_queue_pop_head (&self->spare_keys)) != NULL)
    wipe_free (key);
  g_hash_table_unref (self->known);
  g_mutex_clear (&self->lock);
  g_main_context_unref (self->context);
  g_object_unref (self->pki);
  g_free (self);
}
