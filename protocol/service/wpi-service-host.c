/* wpi-service-host.c: the provisioning service on a thread of its own */
#include "config.h"

#include "wpi-job.h"
#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-service-host.h"

/* The owner applies queued updates for at most this long per main-loop iteration, so
 * that a burst never holds back a frame (issue 8: no stall over 50 ms). */
#define FLUSH_SLICE_US 6000

/* The service's settings (GSettings keys in the console), forwarded to the worker */
enum {
  PROP_0,
  PROP_CONTACT_INITIAL_BACKOFF,
  PROP_CONTACT_MAX_BACKOFF,
  PROP_TRAFFIC_RETENTION_DAYS,
  PROP_FLOW_DEADLINE,
  PROP_MAX_FLOWS,
  PROP_CONTACT_ALLOW,
  PROP_TRAFFIC_MAX_MEGABYTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum {
  EVENT_PHONE,
  EVENT_JOB,
  EVENT_TRAFFIC,
  EVENT_JOB_CHANGED,
  EVENT_FLOW_FINISHED,
  EVENT_SECURITY_EVENT,
  EVENT_LOG,
  EVENT_LISTENING,
  EVENT_PIN_CHANGED,
} EventKind;

typedef struct {
  EventKind          kind;
  gpointer           source;        /* the worker's WpiPhone or WpiJob, a key only */
  WpiPhoneRecord    *phone;
  guint              pending_jobs;
  WpiJobRecord      *job;
  WpiTrafficRecord  *traffic;
  gint64             job_id;
  char              *strings[3];
  guint              port;
  guint              secure_port;
  GStrv              urls;
} Event;

struct _WpiServiceHost
{
  GObject        parent_instance;

  char          *data_dir;
  GMainContext  *owner_context;
  GMainContext  *worker_context;
  GThread       *thread;
  gint           quit;            /* atomic: the worker leaves its loop */

  /* The worker's: touched on the worker thread only */
  WpiService    *service;

  /* The owner's */
  WpiStore      *owner_store;
  WpiPki        *pki;             /* a reference to the service's; thread-safe */
  GListStore    *phones;
  GHashTable    *phone_by_mac;    /* MAC -> WpiPhone (borrowed from phones) */
  GListStore    *jobs;
  GHashTable    *job_by_id;       /* gint64* -> WpiJob (borrowed from jobs) */
  guint          port;
  guint          secure_port;
  GStrv          urls;
  guint          settings[N_PROPS];
  GStrv          contact_allow;   /* D19: the "contact-allow" setting as forwarded */

  /* Shared: the updates on their way from the worker to the owner */
  GMutex         lock;
  GQueue         events;
  GHashTable    *queued_snapshot; /* worker WpiPhone/WpiJob -> its unpublished Event */
  guint          n_published;     /* events at the head of the queue the owner may apply */
  GSource       *publish_source;  /* on the worker: publishes after the current dispatch */
  GSource       *flush_source;
};

G_DEFINE_FINAL_TYPE (WpiServiceHost, wpi_service_host, G_TYPE_OBJECT)


enum {
  SIGNAL_TRAFFIC,
  SIGNAL_PHONE_CHANGED,
  SIGNAL_JOB_CHANGED,
  SIGNAL_FLOW_FINISHED,
  SIGNAL_SECURITY_EVENT,
  SIGNAL_LOG,
  SIGNAL_LISTENING_CHANGED,
  SIGNAL_PIN_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
event_free (Event *event)
{
  g_clear_pointer (&event->phone, wpi_phone_record_free);
  g_clear_pointer (&event->job, wpi_job_record_free);
  g_clear_pointer (&event->traffic, wpi_traffic_record_free);
  for (guint i = 0; i < G_N_ELEMENTS (event->strings); i++)
    g_free (event->strings[i]);
  g_strfreev (event->urls);
  g_free (event);
}

/* ---- Calls from the owner to the worker ------------------------------------------ */

typedef void (*WorkerFunc) (WpiServiceHost *self,
                            gpointer        data);

typedef struct {
  WpiServiceHost *self;
  WorkerFunc      func;
  gpointer        data;
  GMutex          lock;
  GCond           cond;
  gboolean        done;
} WorkerCall;

static gboolean
worker_call_dispatch (gpointer user_data)
{
  WorkerCall *call = user_data;

  call->func (call->self, call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

/* Runs func on the worker and waits for it. High priority: it goes before the phones
 * waiting there, so a click is answered within one of the worker's steps. */
static void
worker_call (WpiServiceHost *self,
             WorkerFunc      func,
             gpointer        data)
{
  WorkerCall call = { self, func, data, { 0 }, { 0 }, FALSE };

  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  g_main_context_invoke_full (self->worker_context, G_PRIORITY_HIGH, worker_call_dispatch, &call, NULL);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

/* ---- Updates from the worker to the owner ---------------------------------------- */

static gboolean flush_events (gpointer user_data);

/* Called with the lock held */
static void
schedule_flush_locked (WpiServiceHost *self)
{
  if (self->flush_source != NULL)
    return;
  /* Below redraw and input: frames and clicks go first, updates fill the gaps */
  self->flush_source = g_idle_source_new ();
  g_source_set_priority (self->flush_source, G_PRIORITY_DEFAULT_IDLE);
  g_source_set_callback (self->flush_source, flush_events, self, NULL);
  g_source_set_static_name (self->flush_source, "[wpi] service host updates");
  g_source_attach (self->flush_source, self->owner_context);
}

/* Called with the lock held, on the worker */
static void
publish_locked (WpiServiceHost *self)
{
  guint length = g_queue_get_length (&self->events);

  if (self->n_published == length)
    return;
  self->n_published = length;
  g_hash_table_remove_all (self->queued_snapshot);
  schedule_flush_locked (self);
}

static gboolean
publish_on_worker (gpointer user_data)
{
  WpiServiceHost *self = user_data;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->publish_source, g_source_unref);
  publish_locked (self);
  g_mutex_unlock (&self->lock);
  return G_SOURCE_REMOVE;
}

/* What the service does while handling one message, it commits before that dispatch
 * returns; its signals come earlier, inside the transaction. The owner reads the store
 * on its own connections, so it must not hear of a change before the commit: events
 * reach it only once the worker's current dispatch has returned. Called with the lock
 * held, on the worker. */
static void
schedule_publish_locked (WpiServiceHost *self)
{
  if (self->publish_source != NULL)
    return;
  self->publish_source = g_idle_source_new ();
  g_source_set_priority (self->publish_source, G_PRIORITY_HIGH);
  g_source_set_callback (self->publish_source, publish_on_worker, self, NULL);
  g_source_set_static_name (self->publish_source, "[wpi] service host publish");
  g_source_attach (self->publish_source, self->worker_context);
}

static void
queue_event (WpiServiceHost *self,
             Event          *event)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->events, event);
  schedule_publish_locked (self);
  g_mutex_unlock (&self->lock);
}

/* A phone or job snapshot replaces the one still unpublished for the same object, in
 * its place: the owner sees the latest state, in the order the objects first changed. */
static void
queue_snapshot (WpiServiceHost *self,
                Event          *event)
{
  Event *queued;

  g_mutex_lock (&self->lock);
  queued = g_hash_table_lookup (self->queued_snapshot, event->source);
  if (queued != NULL)
    {
      g_clear_pointer (&queued->phone, wpi_phone_record_free);
      g_clear_pointer (&queued->job, wpi_job_record_free);
      queued->phone = g_steal_pointer (&event->phone);
      queued->job = g_steal_pointer (&event->job);
      queued->pending_jobs = event->pending_jobs;
      event_free (event);
    }
  else
    {
      g_hash_table_insert (self->queued_snapshot, event->source, event);
      g_queue_push_tail (&self->events, event);
      schedule_publish_locked (self);
    }
  g_mutex_unlock (&self->lock);
}

static void
on_worker_phone_notify (WpiPhone       *phone,
                        GParamSpec     *pspec,
                        WpiServiceHost *self)
{
  Event *event = g_new0 (Event, 1);

  event->kind = EVENT_PHONE;
  event->source = phone;
  event->phone = wpi_phone_record_copy (wpi_phone_get_record (phone));
  event->pending_jobs = wpi_phone_get_pending_jobs (phone);
  queue_snapshot (self, event);
}

static void
on_worker_job_notify (WpiJob         *job,
                      GParamSpec     *pspec,
                      WpiServiceHost *self)
{
  Event *event = g_new0 (Event, 1);

  event->kind = EVENT_JOB;
  event->source = job;
  event->job = wpi_job_record_copy (wpi_job_get_record (job));
  queue_snapshot (self, event);
}

/* The service's models only grow (phones and jobs are never removed while it runs). */
static void
on_worker_items_changed (GListModel     *model,
                         guint           position,
                         guint           removed,
                         guint           added,
                         WpiServiceHost *self)
{
  gboolean phones = model == wpi_service_get_phones (self->service);

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      if (phones)
        {
          g_signal_connect (item, "notify", G_CALLBACK (on_worker_phone_notify), self);
          on_worker_phone_notify (WPI_PHONE (item), NULL, self);
        }
      else
        {
          g_signal_connect (item, "notify", G_CALLBACK (on_worker_job_notify), self);
          on_worker_job_notify (WPI_JOB (item), NULL, self);
        }
    }
}

static void
on_worker_traffic (WpiService       *service,
                   WpiTrafficRecord *record,
                   WpiServiceHost   *self)
{
  Event *event = g_new0 (Event, 1);

  event->kind = EVENT_TRAFFIC;
  event->traffic = wpi_traffic_record_copy (record);
  queue_event (self, event);
}

static void
on_worker_job_changed (WpiService     *service,
                       gint64          job_id,
                       const char     *state,
                       WpiServiceHost *self)
{
  Event *event = g_new0 (Event, 1);

  event->kind = EVENT_JOB_CHANGED;
  event->job_id = job_id;
  event->strings[0] = g_strdup (state);
  queue_event (self, event);
}

static Event *
strings_event_new (EventKind   kind,
                   const char *a,
                   const char *b,
                   const char *c)
{
  Event *event = g_new0 (Event, 1);

  event->kind = kind;
  event->strings[0] = g_strdup (a);
  event->strings[1] = g_strdup (b);
  event->strings[2] = g_strdup (c);
  return event;
}

static void
on_worker_flow_finished (WpiService     *service,
                         const char     *mac,
                         const char     *reason,
                         const char     *outcome,
                         WpiServiceHost *self)
{
  queue_event (self, strings_event_new (EVENT_FLOW_FINISHED, mac, reason, outcome));
}

static void
on_worker_security_event (WpiService     *service,
                          const char     *kind,
                          const char     *mac,
                          const char     *detail,
                          WpiServiceHost *self)
{
  queue_event (self, strings_event_new (EVENT_SECURITY_EVENT, kind, mac, detail));
}

static void
on_worker_log (WpiService     *service,
               const char     *line,
               WpiServiceHost *self)
{
  queue_event (self, strings_event_new (EVENT_LOG, line, NULL, NULL));
}

static void
on_worker_pin_changed (WpiService     *service,
                       const char     *mac,
                       const char     *state,
                       WpiServiceHost *self)
{
  queue_event (self, strings_event_new (EVENT_PIN_CHANGED, mac, state, NULL));
}

static Event *
listening_event_new (WpiServiceHost *self)
{
  Event *event = g_new0 (Event, 1);

  event->kind = EVENT_LISTENING;
  event->port = wpi_service_get_port (self->service);
  event->secure_port = wpi_service_get_secure_port (self->service);
  event->urls = wpi_service_get_urls (self->service);
  return event;
}

static void
on_worker_listening_changed (WpiService     *service,
                             WpiServiceHost *self)
{
  queue_event (self, listening_event_new (self));
}

/* ---- Applying updates on the owner ------------------------------------------------ */

static void
apply_phone (WpiServiceHost *self,
             Event          *event,
             GPtrArray      *added)
{
  WpiPhone *phone = g_hash_table_lookup (self->phone_by_mac, event->phone->mac);

  if (phone == NULL)
    {
      phone = wpi_phone_new (event->phone);
      g_hash_table_insert (self->phone_by_mac, g_strdup (event->phone->mac), phone);
      g_ptr_array_add (added, phone);
    }
  else
    wpi_phone_update (phone, event->phone);
  wpi_phone_set_pending_jobs (phone, event->pending_jobs);
  g_signal_emit (self, signals[SIGNAL_PHONE_CHANGED], 0, phone);
}

static void
apply_job (WpiServiceHost *self,
           Event          *event,
           GPtrArray      *added)
{
  WpiJob *job = g_hash_table_lookup (self->job_by_id, &event->job->id);

  if (job == NULL)
    {
      job = wpi_job_new (event->job);
      g_hash_table_insert (self->job_by_id, g_memdup2 (&event->job->id, sizeof event->job->id), job);
      g_ptr_array_add (added, job);
    }
  else
    wpi_job_update (job, event->job);
}

static void
apply_listening (WpiServiceHost *self,
                 Event          *event)
{
  self->port = event->port;
  self->secure_port = event->secure_port;
  g_strfreev (self->urls);
  self->urls = g_steal_pointer (&event->urls);
}

static void
apply_event (WpiServiceHost *self,
             Event          *event,
             GPtrArray      *added_phones,
             GPtrArray      *added_jobs)
{
  switch (event->kind)
    {
    case EVENT_PHONE:
      apply_phone (self, event, added_phones);
      break;
    case EVENT_JOB:
      apply_job (self, event, added_jobs);
      break;
    case EVENT_TRAFFIC:
      g_signal_emit (self, signals[SIGNAL_TRAFFIC], 0, event->traffic);
      break;
    case EVENT_JOB_CHANGED:
      g_signal_emit (self, signals[SIGNAL_JOB_CHANGED], 0, event->job_id, event->strings[0]);
      break;
    case EVENT_FLOW_FINISHED:
      g_signal_emit (self, signals[SIGNAL_FLOW_FINISHED], 0,
                     event->strings[0], event->strings[1], event->strings[2]);
      break;
    case EVENT_SECURITY_EVENT:
      g_signal_emit (self, signals[SIGNAL_SECURITY_EVENT], 0,
                     event->strings[0], event->strings[1], event->strings[2]);
      break;
    case EVENT_LOG:
      g_signal_emit (self, signals[SIGNAL_LOG], 0, event->strings[0]);
      break;
    case EVENT_LISTENING:
      apply_listening (self, event);
      g_signal_emit (self, signals[SIGNAL_LISTENING_CHANGED], 0);
      break;
    case EVENT_PIN_CHANGED:
      g_signal_emit (self, signals[SIGNAL_PIN_CHANGED], 0, event->strings[0], event->strings[1]);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* New rows go into the models in one splice each: one items-changed for a slice of
 * new phones instead of one per phone. */
static void
splice_added (GListStore *store,
              GPtrArray  *added)
{
  if (added->len == 0)
    return;
  g_list_store_splice (store, g_list_model_get_n_items (G_LIST_MODEL (store)), 0,
                       added->pdata, added->len);
}

/* Applies queued updates for at most budget_us (-1: all of them); TRUE when some are
 * left. */
static gboolean
apply_events (WpiServiceHost *self,
              gint64          budget_us)
{
  g_autoptr(GPtrArray) added_phones = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) added_jobs = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 deadline = budget_us < 0 ? G_MAXINT64 : g_get_monotonic_time () + budget_us;
  gboolean more = TRUE;

  while (g_get_monotonic_time () < deadline)
    {
      Event *event;

      g_mutex_lock (&self->lock);
      event = self->n_published > 0 ? g_queue_pop_head (&self->events) : NULL;
      if (event != NULL)
        self->n_published--;
      more = self->n_published > 0;
      g_mutex_unlock (&self->lock);

      if (event == NULL)
        break;
      apply_event (self, event, added_phones, added_jobs);
      event_free (event);
      if (!more)
        break;
    }

  splice_added (self->phones, added_phones);
  splice_added (self->jobs, added_jobs);
  return more;
}

static gboolean
flush_events (gpointer user_data)
{
  WpiServiceHost *self = user_data;
  gboolean more = apply_events (self, FLUSH_SLICE_US);

  g_mutex_lock (&self->lock);
  /* more may have come meanwhile: keep the source while anything waits */
  more |= self->n_published > 0;
  if (!more)
    g_clear_pointer (&self->flush_source, g_source_unref);
  g_mutex_unlock (&self->lock);
  return more ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- The worker thread ------------------------------------------------------------ */

/* The worker opens the service (store, PKI; a new data directory generates keys) while
 * the owner goes on; wpi_service_host_open_finish() waits for it. */
struct _WpiServiceHostOpening {
  WpiServiceHost *self;
  GMutex          lock;
  GCond           cond;
  gboolean        ready;
  GError         *error;
};

static void
connect_worker_signals (WpiServiceHost *self)
{
  GListModel *phones = wpi_service_get_phones (self->service);
  GListModel *jobs = wpi_service_get_jobs (self->service);

  g_signal_connect (phones, "items-changed", G_CALLBACK (on_worker_items_changed), self);
  g_signal_connect (jobs, "items-changed", G_CALLBACK (on_worker_items_changed), self);
  on_worker_items_changed (phones, 0, 0, g_list_model_get_n_items (phones), self);
  on_worker_items_changed (jobs, 0, 0, g_list_model_get_n_items (jobs), self);

  g_signal_connect (self->service, "traffic", G_CALLBACK (on_worker_traffic), self);
  g_signal_connect (self->service, "job-changed", G_CALLBACK (on_worker_job_changed), self);
  g_signal_connect (self->service, "flow-finished", G_CALLBACK (on_worker_flow_finished), self);
  g_signal_connect (self->service, "security-event", G_CALLBACK (on_worker_security_event), self);
  g_signal_connect (self->service, "log", G_CALLBACK (on_worker_log), self);
  g_signal_connect (self->service, "listening-changed", G_CALLBACK (on_worker_listening_changed), self);
  g_signal_connect (self->service, "pin-changed", G_CALLBACK (on_worker_pin_changed), self);
}

static void
disconnect_model (GListModel     *model,
                  WpiServiceHost *self)
{
  guint n = g_list_model_get_n_items (model);

  g_signal_handlers_disconnect_by_data (model, self);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      g_signal_handlers_disconnect_by_data (item, self);
    }
}

static gpointer
worker_main (gpointer user_data)
{
  WpiServiceHostOpening *startup = user_data;
  WpiServiceHost *self = startup->self;
  GError *error = NULL;

  g_main_context_push_thread_default (self->worker_context);

  self->service = wpi_service_new (self->data_dir, &error);
  if (self->service != NULL)
    connect_worker_signals (self);

  g_mutex_lock (&startup->lock);
  startup->error = error;
  startup->ready = TRUE;
  g_cond_signal (&startup->cond);
  g_mutex_unlock (&startup->lock);
  /* startup belongs to the owner from here on */

  while (self->service != NULL && !g_atomic_int_get (&self->quit))
    g_main_context_iteration (self->worker_context, TRUE);

  if (self->service != NULL)
    {
      wpi_service_stop (self->service);
      disconnect_model (wpi_service_get_phones (self->service), self);
      disconnect_model (wpi_service_get_jobs (self->service), self);
      g_signal_handlers_disconnect_by_data (self->service, self);
      g_clear_object (&self->service);
    }
  /* what the service left behind (finished lookups, closed connections) */
  while (g_main_context_iteration (self->worker_context, FALSE))
    ;
  g_main_context_pop_thread_default (self->worker_context);
  return NULL;
}

static gboolean
wake_worker (gpointer user_data)
{
  return G_SOURCE_REMOVE;
}

static void
stop_worker (WpiServiceHost *self)
{
  if (self->thread == NULL)
    return;
  g_atomic_int_set (&self->quit, TRUE);
  g_main_context_invoke (self->worker_context, wake_worker, NULL);
  g_thread_join (g_steal_pointer (&self->thread));
}

/* ---- Settings --------------------------------------------------------------------- */

typedef struct {
  const char *name;
  guint       value;
} SettingCall;

static void
set_setting_on_worker (WpiServiceHost *self,
                       gpointer        data)
{
  SettingCall *call = data;

  g_object_set (self->service, call->name, call->value, NULL);
}

static void
set_contact_allow_on_worker (WpiServiceHost *self,
                             gpointer        data)
{
  g_object_set (self->service, "contact-allow", data, NULL);
}

static void
wpi_service_host_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  WpiServiceHost *self = WPI_SERVICE_HOST (object);
  SettingCall call;

  switch (prop_id)
    {
    case PROP_CONTACT_INITIAL_BACKOFF:
    case PROP_CONTACT_MAX_BACKOFF:
    case PROP_TRAFFIC_RETENTION_DAYS:
    case PROP_FLOW_DEADLINE:
    case PROP_MAX_FLOWS:
    case PROP_TRAFFIC_MAX_MEGABYTES:
      if (self->settings[prop_id] == g_value_get_uint (value))
        return;
      self->settings[prop_id] = g_value_get_uint (value);
      call.name = pspec->name;
      call.value = self->settings[prop_id];
      if (self->thread != NULL)
        worker_call (self, set_setting_on_worker, &call);
      g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_CONTACT_ALLOW:
      if (self->contact_allow != NULL && g_value_get_boxed (value) != NULL &&
          g_strv_equal ((const char * const *) self->contact_allow, g_value_get_boxed (value)))
        return;
      g_strfreev (self->contact_allow);
      self->contact_allow = g_value_dup_boxed (value);
      if (self->thread != NULL)
        worker_call (self, set_contact_allow_on_worker, self->contact_allow);
      g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_service_host_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  WpiServiceHost *self = WPI_SERVICE_HOST (object);

  switch (prop_id)
    {
    case PROP_CONTACT_INITIAL_BACKOFF:
    case PROP_CONTACT_MAX_BACKOFF:
    case PROP_TRAFFIC_RETENTION_DAYS:
    case PROP_FLOW_DEADLINE:
    case PROP_MAX_FLOWS:
    case PROP_TRAFFIC_MAX_MEGABYTES:
      g_value_set_uint (value, self->settings[prop_id]);
      break;
    case PROP_CONTACT_ALLOW:
      g_value_set_boxed (value, self->contact_allow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* ---- Object ----------------------------------------------------------------------- */

static void
wpi_service_host_dispose (GObject *object)
{
  WpiServiceHost *self = WPI_SERVICE_HOST (object);

  stop_worker (self);
  g_mutex_lock (&self->lock);
  if (self->flush_source != NULL)
    {
      g_source_destroy (self->flush_source);
      g_clear_pointer (&self->flush_source, g_source_unref);
    }
  if (self->publish_source != NULL)
    {
      g_source_destroy (self->publish_source);
      g_clear_pointer (&self->publish_source, g_source_unref);
    }
  g_hash_table_remove_all (self->queued_snapshot);
  g_queue_clear_full (&self->events, (GDestroyNotify) event_free);
  self->n_published = 0;
  g_mutex_unlock (&self->lock);

  g_clear_object (&self->owner_store);
  g_clear_object (&self->pki);

  G_OBJECT_CLASS (wpi_service_host_parent_class)->dispose (object);
}

static void
wpi_service_host_finalize (GObject *object)
{
  WpiServiceHost *self = WPI_SERVICE_HOST (object);

  g_clear_object (&self->phones);
  g_clear_object (&self->jobs);
  g_clear_pointer (&self->phone_by_mac, g_hash_table_unref);
  g_clear_pointer (&self->job_by_id, g_hash_table_unref);
  g_clear_pointer (&self->queued_snapshot, g_hash_table_unref);
  g_clear_pointer (&self->worker_context, g_main_context_unref);
  g_clear_pointer (&self->owner_context, g_main_context_unref);
  g_strfreev (self->urls);
  g_strfreev (self->contact_allow);
  g_free (self->data_dir);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (wpi_service_host_parent_class)->finalize (object);
}

static void
wpi_service_host_class_init (WpiServiceHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = wpi_service_host_dispose;
  object_class->finalize = wpi_service_host_finalize;
  object_class->set_property = wpi_service_host_set_property;
  object_class->get_property = wpi_service_host_get_property;

  /* The same properties as the service's (D10 back-off, traffic retention and budget,
   * D22 flow deadline, D21 overload, D19 contact-me ranges) */
  properties[PROP_CONTACT_INITIAL_BACKOFF] =
    g_param_spec_uint ("contact-initial-backoff", NULL, NULL, 0, G_MAXUINT, 30, rw);
  properties[PROP_CONTACT_MAX_BACKOFF] = g_param_spec_uint ("contact-max-backoff", NULL, NULL, 0, G_MAXUINT, 900, rw);
  properties[PROP_TRAFFIC_RETENTION_DAYS] =
    g_param_spec_uint ("traffic-retention-days", NULL, NULL, 0, 36500, 0, rw);
  properties[PROP_FLOW_DEADLINE] = g_param_spec_uint ("flow-deadline", NULL, NULL, 1, 86400, 60, rw);
  properties[PROP_MAX_FLOWS] =
    g_param_spec_uint ("max-flows", NULL, NULL, 0, G_MAXUINT, WPI_SERVICE_DEFAULT_MAX_FLOWS, rw);
  properties[PROP_CONTACT_ALLOW] = g_param_spec_boxed ("contact-allow", NULL, NULL, G_TYPE_STRV, rw);
  properties[PROP_TRAFFIC_MAX_MEGABYTES] =
    g_param_spec_uint ("traffic-max-megabytes", NULL, NULL, 1, G_MAXUINT / 2, WPI_SERVICE_TRAFFIC_MAX_MEGABYTES, rw);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The service's signals (wpi-service.c), in the order the service emitted them */
  signals[SIGNAL_TRAFFIC] =
    g_signal_new ("traffic", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, WPI_TYPE_TRAFFIC_RECORD | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_PHONE_CHANGED] =
    g_signal_new ("phone-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, WPI_TYPE_PHONE);
  signals[SIGNAL_JOB_CHANGED] =
    g_signal_new ("job-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_STRING);
  signals[SIGNAL_FLOW_FINISHED] =
    g_signal_new ("flow-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_SECURITY_EVENT] =
    g_signal_new ("security-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_LOG] =
    g_signal_new ("log", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_LISTENING_CHANGED] =
    g_signal_new ("listening-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_PIN_CHANGED] =
    g_signal_new ("pin-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
wpi_service_host_init (WpiServiceHost *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->events);
  self->queued_snapshot = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->phones = g_list_store_new (WPI_TYPE_PHONE);
  self->phone_by_mac = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->jobs = g_list_store_new (WPI_TYPE_JOB);
  self->job_by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->urls = g_new0 (char *, 1);
  self->settings[PROP_CONTACT_INITIAL_BACKOFF] = 30;
  self->settings[PROP_CONTACT_MAX_BACKOFF] = 900;
  self->settings[PROP_FLOW_DEADLINE] = 60;
  self->settings[PROP_MAX_FLOWS] = WPI_SERVICE_DEFAULT_MAX_FLOWS;
  self->settings[PROP_TRAFFIC_MAX_MEGABYTES] = WPI_SERVICE_TRAFFIC_MAX_MEGABYTES;
}

static void
get_pki_on_worker (WpiServiceHost *self,
                   gpointer        data)
{
  *(WpiPki **) data = g_object_ref (wpi_service_get_pki (self->service));
}

WpiServiceHostOpening *
wpi_service_host_open_begin (const char *data_dir)
{
  WpiServiceHostOpening *opening;
  WpiServiceHost *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (WPI_TYPE_SERVICE_HOST, NULL);
  self->data_dir = g_strdup (data_dir);
  self->owner_context = g_main_context_ref_thread_default ();
  self->worker_context = g_main_context_new ();

  opening = g_new0 (WpiServiceHostOpening, 1);
  opening->self = self;
  g_mutex_init (&opening->lock);
  g_cond_init (&opening->cond);
  self->thread = g_thread_new ("wpi-service", worker_main, opening);
  return opening;
}

WpiServiceHost *
wpi_service_host_open_finish (WpiServiceHostOpening  *opening,
                              GError                **error)
{
  g_autoptr(WpiServiceHost) self = NULL;
  GError *open_error;

  g_return_val_if_fail (opening != NULL, NULL);

  g_mutex_lock (&opening->lock);
  while (!opening->ready)
    g_cond_wait (&opening->cond, &opening->lock);
  g_mutex_unlock (&opening->lock);
  g_mutex_clear (&opening->lock);
  g_cond_clear (&opening->cond);
  self = opening->self;
  open_error = opening->error;
  g_free (opening);

  if (open_error != NULL)
    {
      g_propagate_error (error, open_error);
      g_thread_join (g_steal_pointer (&self->thread));
      return NULL;
    }

  worker_call (self, get_pki_on_worker, &self->pki);
  wpi_service_host_sync (self);
  return g_steal_pointer (&self);
}

WpiServiceHost *
wpi_service_host_new (const char  *data_dir,
                      GError     **error)
{
  g_return_val_if_fail (data_dir != NULL, NULL);

  return wpi_service_host_open_finish (wpi_service_host_open_begin (data_dir), error);
}

/* ---- Calls ------------------------------------------------------------------------ */

static void
set_bind_address_on_worker (WpiServiceHost *self,
                            gpointer        data)
{
  wpi_service_set_bind_address (self->service, data);
}

void
wpi_service_host_set_bind_address (WpiServiceHost *self,
                                   const char     *address)
{
  g_return_if_fail (WPI_IS_SERVICE_HOST (self));

  worker_call (self, set_bind_address_on_worker, (gpointer) address);
}

static void
set_ports_on_worker (WpiServiceHost *self,
                     gpointer        data)
{
  const guint *ports = data;

  wpi_service_set_ports (self->service, ports[0], ports[1]);
}

void
wpi_service_host_set_ports (WpiServiceHost *self,
                            guint           port,
                            guint           secure_port)
{
  guint ports[2] = { port, secure_port };

  g_return_if_fail (WPI_IS_SERVICE_HOST (self));

  worker_call (self, set_ports_on_worker, ports);
}

typedef struct {
  gboolean  ok;
  GError   *error;
  Event    *listening;
} StartCall;

static void
start_on_worker (WpiServiceHost *self,
                 gpointer        data)
{
  StartCall *call = data;

  call->ok = wpi_service_start (self->service, &call->error);
  call->listening = listening_event_new (self);
}

/* The listening state comes back with the call, and the owner applies it after every
 * update queued before it, so "listening-changed" keeps its order. */
static void
apply_listening_now (WpiServiceHost *self,
                     Event          *listening)
{
  wpi_service_host_sync (self);
  apply_listening (self, listening);
  event_free (listening);
}

gboolean
wpi_service_host_start (WpiServiceHost  *self,
                        GError         **error)
{
  StartCall call = { 0 };

  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), FALSE);

  worker_call (self, start_on_worker, &call);
  apply_listening_now (self, call.listening);
  if (!call.ok)
    g_propagate_error (error, call.error);
  return call.ok;
}

static void
stop_on_worker (WpiServiceHost *self,
                gpointer        data)
{
  wpi_service_stop (self->service);
  *(Event **) data = listening_event_new (self);
}

void
wpi_service_host_stop (WpiServiceHost *self)
{
  Event *listening = NULL;

  g_return_if_fail (WPI_IS_SERVICE_HOST (self));

  if (self->thread == NULL)
    return;
  worker_call (self, stop_on_worker, &listening);
  apply_listening_now (self, listening);
}

gboolean
wpi_service_host_is_listening (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), FALSE);

  return self->urls != NULL && self->urls[0] != NULL;
}

guint
wpi_service_host_get_port (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), 0);

  return self->port;
}

guint
wpi_service_host_get_secure_port (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), 0);

  return self->secure_port;
}

GStrv
wpi_service_host_get_urls (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), NULL);

  return g_strdupv (self->urls);
}

const char *
wpi_service_host_get_data_dir (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), NULL);

  return self->data_dir;
}

WpiStore *
wpi_service_host_get_store (WpiServiceHost *self)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), NULL);

  /* Opened on first use: the service opened (and migrated) the store already */
  if (self->owner_store == NULL)
    {
      self->owner_store = wpi_store_open (self->data_dir, &error);
      if (self->owner_store == NULL)
        g_warning ("Cannot open the store in %s: %s", self->data_dir, error->message);
    }
  return self->owner_store;
}

WpiPki *
wpi_service_host_get_pki (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), NULL);

  return self->pki;
}

GListModel *
wpi_service_host_get_phones (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), NULL);

  return G_LIST_MODEL (self->phones);
}

GListModel *
wpi_service_host_get_jobs (WpiServiceHost *self)
{
  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), NULL);

  return G_LIST_MODEL (self->jobs);
}

static gboolean
reload_on_worker (gpointer user_data)
{
  WpiServiceHost *self = user_data;

  if (self->service != NULL)
    wpi_service_reload (self->service);
  return G_SOURCE_REMOVE;
}

void
wpi_service_host_reload (WpiServiceHost *self)
{
  g_return_if_fail (WPI_IS_SERVICE_HOST (self));

  /* The worker is joined before the host is finalized, so the pointer outlives it */
  g_main_context_invoke_full (self->worker_context, G_PRIORITY_HIGH, reload_on_worker, self, NULL);
}

typedef struct {
  const char *mac;
  WpiJobKind  kind;
  const char *parameter;
  GArray     *items;
  gint64      job_id;
  GError     *error;
} EnqueueCall;

static void
enqueue_on_worker (WpiServiceHost *self,
                   gpointer        data)
{
  EnqueueCall *call = data;

  call->job_id = wpi_service_enqueue_job (self->service, call->mac, call->kind, call->parameter,
                                          call->items, &call->error);
}

gint64
wpi_service_host_enqueue_job (WpiServiceHost  *self,
                              const char      *mac,
                              WpiJobKind       kind,
                              const char      *parameter,
                              GArray          *items,
                              GError         **error)
{
  EnqueueCall call = { mac, kind, parameter, items, 0, NULL };

  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), 0);

  worker_call (self, enqueue_on_worker, &call);
  if (call.job_id == 0)
    g_propagate_error (error, call.error);
  return call.job_id;
}

typedef struct {
  const gint64 *job_ids;
  guint         n_job_ids;
  guint         n_cancelled;
  GError       *error;
} CancelCall;

static void
cancel_on_worker (WpiServiceHost *self,
                  gpointer        data)
{
  CancelCall *call = data;

  for (guint i = 0; i < call->n_job_ids; i++)
    {
      g_autoptr(GError) error = NULL;

      if (wpi_service_cancel_unsent_job (self->service, call->job_ids[i], &error))
        call->n_cancelled++;
      else if (!g_error_matches (error, WPI_STORE_ERROR, WPI_STORE_ERROR_STATE) &&
               !g_error_matches (error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
        {
          call->error = g_steal_pointer (&error);
          return;
        }
    }
}

gboolean
wpi_service_host_cancel_unsent_jobs (WpiServiceHost  *self,
                                     const gint64    *job_ids,
                                     guint            n_job_ids,
                                     guint           *n_cancelled,
                                     GError         **error)
{
  CancelCall call = { job_ids, n_job_ids, 0, NULL };

  g_return_val_if_fail (WPI_IS_SERVICE_HOST (self), FALSE);
  g_return_val_if_fail (job_ids != NULL || n_job_ids == 0, FALSE);

  worker_call (self, cancel_on_worker, &call);
  if (n_cancelled != NULL)
    *n_cancelled = call.n_cancelled;
  if (call.error != NULL)
    {
      g_propagate_error (error, call.error);
      return FALSE;
    }
  return TRUE;
}

static void
publish_now_on_worker (WpiServiceHost *self,
                       gpointer        data)
{
  g_mutex_lock (&self->lock);
  publish_locked (self);
  g_mutex_unlock (&self->lock);
}

void
wpi_service_host_sync (WpiServiceHost *self)
{
  g_return_if_fail (WPI_IS_SERVICE_HOST (self));

  /* Once the worker has run this call, everything it did before is published */
  if (self->thread != NULL)
    worker_call (self, publish_now_on_worker, NULL);
  apply_events (self, -1);
}
