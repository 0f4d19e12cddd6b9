/* wpi-job.c: a job as the console shows it */
#include "config.h"

#include "wpi-job.h"

struct _WpiJob
{
  GObject       parent_instance;

  WpiJobRecord *record;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_MAC,
  PROP_KIND,
  PROP_STATE,
  PROP_PARAMETER,
  PROP_FAILURE_REASON,
  PROP_CREATED,
  PROP_UPDATED,
  PROP_ATTEMPTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (WpiJob, wpi_job, G_TYPE_OBJECT)

static WpiJobRecord *
copy_without_items (const WpiJobRecord *record)
{
  WpiJobRecord *copy = wpi_job_record_copy (record);

  g_clear_pointer (&copy->items, g_array_unref);
  return copy;
}

static void
wpi_job_finalize (GObject *object)
{
  WpiJob *self = WPI_JOB (object);

  g_clear_pointer (&self->record, wpi_job_record_free);

  G_OBJECT_CLASS (wpi_job_parent_class)->finalize (object);
}

static void
wpi_job_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  const WpiJobRecord *r = WPI_JOB (object)->record;

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, r->id); break;
    case PROP_MAC: g_value_set_string (value, r->mac); break;
    case PROP_KIND: g_value_set_string (value, wpi_job_kind_to_string (r->kind)); break;
    case PROP_STATE: g_value_set_string (value, wpi_job_state_to_string (r->state)); break;
    case PROP_PARAMETER: g_value_set_string (value, r->parameter); break;
    case PROP_FAILURE_REASON: g_value_set_string (value, r->failure_reason); break;
    case PROP_CREATED: g_value_set_int64 (value, r->created_us); break;
    case PROP_UPDATED: g_value_set_int64 (value, r->updated_us); break;
    case PROP_ATTEMPTS: g_value_set_uint (value, r->attempts); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_job_class_init (WpiJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = wpi_job_finalize;
  object_class->get_property = wpi_job_get_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_MAC] = g_param_spec_string ("mac", NULL, NULL, NULL, flags);
  /* kind and state as their stored nicks */
  properties[PROP_KIND] = g_param_spec_string ("kind", NULL, NULL, NULL, flags);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, flags);
  properties[PROP_PARAMETER] = g_param_spec_string ("parameter", NULL, NULL, NULL, flags);
  properties[PROP_FAILURE_REASON] = g_param_spec_string ("failure-reason", NULL, NULL, NULL, flags);
  properties[PROP_CREATED] = g_param_spec_int64 ("created", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_UPDATED] = g_param_spec_int64 ("updated", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_ATTEMPTS] = g_param_spec_uint ("attempts", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpi_job_init (WpiJob *self)
{
}

WpiJob *
wpi_job_new (const WpiJobRecord *record)
{
  WpiJob *self;

  g_return_val_if_fail (record != NULL, NULL);

  self = g_object_new (WPI_TYPE_JOB, NULL);
  self->record = copy_without_items (record);
  return self;
}

const WpiJobRecord *
wpi_job_get_record (WpiJob *self)
{
  g_return_val_if_fail (WPI_IS_JOB (self), NULL);
  return self->record;
}

gint64
wpi_job_get_id (WpiJob *self)
{
  g_return_val_if_fail (WPI_IS_JOB (self), 0);
  return self->record->id;
}

const char *
wpi_job_get_mac (WpiJob *self)
{
  g_return_val_if_fail (WPI_IS_JOB (self), NULL);
  return self->record->mac;
}

WpiJobKind
wpi_job_get_kind (WpiJob *self)
{
  g_return_val_if_fail (WPI_IS_JOB (self), WPI_JOB_KIND_READ_ALL);
  return self->record->kind;
}

WpiJobState
wpi_job_get_state (WpiJob *self)
{
  g_return_val_if_fail (WPI_IS_JOB (self), WPI_JOB_STATE_QUEUED);
  return self->record->state;
}

void
wpi_job_update (WpiJob             *self,
                const WpiJobRecord *record)
{
  g_autoptr(WpiJobRecord) old = NULL;

  g_return_if_fail (WPI_IS_JOB (self));
  g_return_if_fail (record != NULL && record->id == self->record->id);

  old = g_steal_pointer (&self->record);
  self->record = copy_without_items (record);

  g_object_freeze_notify (G_OBJECT (self));
  if (old->state != record->state)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (g_strcmp0 (old->failure_reason, record->failure_reason) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILURE_REASON]);
  if (old->updated_us != record->updated_us)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPDATED]);
  if (old->attempts != record->attempts)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ATTEMPTS]);
  g_object_thaw_notify (G_OBJECT (self));
}
