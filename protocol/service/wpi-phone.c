/* wpi-phone.c: a phone as the console shows it */
#include "config.h"

#include "wpi-phone.h"

struct _WpiPhone
{
  GObject         parent_instance;

  WpiPhoneRecord *record;
  guint           pending_jobs;
};

enum {
  PROP_0,
  PROP_MAC,
  PROP_E164,
  PROP_DEVICE_TYPE,
  PROP_FIRMWARE,
  PROP_IP,
  PROP_CONTACT_ME_URI,
  PROP_MODE,
  PROP_STATE,
  PROP_LAST_CONTACT,
  PROP_LOCATION,
  PROP_PROFILE,
  PROP_PENDING_JOBS,
  PROP_EXPECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (WpiPhone, wpi_phone, G_TYPE_OBJECT)

static void
wpi_phone_finalize (GObject *object)
{
  WpiPhone *self = WPI_PHONE (object);

  g_clear_pointer (&self->record, wpi_phone_record_free);

  G_OBJECT_CLASS (wpi_phone_parent_class)->finalize (object);
}

static void
wpi_phone_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  WpiPhone *self = WPI_PHONE (object);
  const WpiPhoneRecord *r = self->record;

  switch (prop_id)
    {
    case PROP_MAC: g_value_set_string (value, r->mac); break;
    case PROP_E164: g_value_set_string (value, r->e164); break;
    case PROP_DEVICE_TYPE: g_value_set_string (value, r->device_type); break;
    case PROP_FIRMWARE: g_value_set_string (value, r->firmware); break;
    case PROP_IP: g_value_set_string (value, r->ip); break;
    case PROP_CONTACT_ME_URI: g_value_set_string (value, r->contact_me_uri); break;
    case PROP_MODE: g_value_set_string (value, wpi_phone_mode_to_string (r->mode)); break;
    case PROP_STATE: g_value_set_string (value, wpi_phone_get_state_nick (self)); break;
    case PROP_LAST_CONTACT: g_value_set_int64 (value, r->last_contact_us); break;
    case PROP_LOCATION: g_value_set_string (value, r->location); break;
    case PROP_PROFILE: g_value_set_string (value, r->profile); break;
    case PROP_PENDING_JOBS: g_value_set_uint (value, self->pending_jobs); break;
    case PROP_EXPECTED: g_value_set_boolean (value, r->expected); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_phone_class_init (WpiPhoneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = wpi_phone_finalize;
  object_class->get_property = wpi_phone_get_property;

  properties[PROP_MAC] = g_param_spec_string ("mac", NULL, NULL, NULL, flags);
  properties[PROP_E164] = g_param_spec_string ("e164", NULL, NULL, NULL, flags);
  properties[PROP_DEVICE_TYPE] = g_param_spec_string ("device-type", NULL, NULL, NULL, flags);
  properties[PROP_FIRMWARE] = g_param_spec_string ("firmware", NULL, NULL, NULL, flags);
  properties[PROP_IP] = g_param_spec_string ("ip", NULL, NULL, NULL, flags);
  properties[PROP_CONTACT_ME_URI] = g_param_spec_string ("contact-me-uri", NULL, NULL, NULL, flags);
  /* mode and state as their stored nicks, which is what a UI filters and sorts by; an
   * expected phone's state is "expected" (wpi_phone_get_state_nick()) */
  properties[PROP_MODE] = g_param_spec_string ("mode", NULL, NULL, NULL, flags);
  properties[PROP_STATE] = g_param_spec_string ("state", NULL, NULL, NULL, flags);
  properties[PROP_LAST_CONTACT] = g_param_spec_int64 ("last-contact", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_LOCATION] = g_param_spec_string ("location", NULL, NULL, NULL, flags);
  properties[PROP_PROFILE] = g_param_spec_string ("profile", NULL, NULL, NULL, flags);
  properties[PROP_PENDING_JOBS] = g_param_spec_uint ("pending-jobs", NULL, NULL, 0, G_MAXUINT, 0, flags);
  /* imported ahead, not called yet (D24) */
  properties[PROP_EXPECTED] = g_param_spec_boolean ("expected", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpi_phone_init (WpiPhone *self)
{
}

WpiPhone *
wpi_phone_new (const WpiPhoneRecord *record)
{
  WpiPhone *self;

  g_return_val_if_fail (record != NULL && record->mac != NULL, NULL);

  self = g_object_new (WPI_TYPE_PHONE, NULL);
  self->record = wpi_phone_record_copy (record);
  return self;
}

const WpiPhoneRecord *
wpi_phone_get_record (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), NULL);

  return self->record;
}

void
wpi_phone_update (WpiPhone             *self,
                  const WpiPhoneRecord *record)
{
  g_autoptr(WpiPhoneRecord) old = NULL;

  g_return_if_fail (WPI_IS_PHONE (self));
  g_return_if_fail (record != NULL);

  old = g_steal_pointer (&self->record);
  self->record = wpi_phone_record_copy (record);

  g_object_freeze_notify (G_OBJECT (self));
#define NOTIFY_IF_STR(field, prop) \
  if (g_strcmp0 (old->field, record->field) != 0) g_object_notify_by_pspec (G_OBJECT (self), properties[prop])
  NOTIFY_IF_STR (e164, PROP_E164);
  NOTIFY_IF_STR (device_type, PROP_DEVICE_TYPE);
  NOTIFY_IF_STR (firmware, PROP_FIRMWARE);
  NOTIFY_IF_STR (ip, PROP_IP);
  NOTIFY_IF_STR (contact_me_uri, PROP_CONTACT_ME_URI);
  NOTIFY_IF_STR (location, PROP_LOCATION);
  NOTIFY_IF_STR (profile, PROP_PROFILE);
#undef NOTIFY_IF_STR
  if (old->mode != record->mode)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
  if (old->state != record->state)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  if (old->last_contact_us != record->last_contact_us)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_CONTACT]);
  if (old->expected != record->expected)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPECTED]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

const char *
wpi_phone_get_mac (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), NULL);
  return self->record->mac;
}

const char *
wpi_phone_get_e164 (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), NULL);
  return self->record->e164;
}

const char *
wpi_phone_get_device_type (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), NULL);
  return self->record->device_type;
}

const char *
wpi_phone_get_firmware (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), NULL);
  return self->record->firmware;
}

const char *
wpi_phone_get_ip (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), NULL);
  return self->record->ip;
}

WpiPhoneMode
wpi_phone_get_mode (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), WPI_PHONE_MODE_DEFAULT);
  return self->record->mode;
}

WpiPhoneState
wpi_phone_get_state (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), WPI_PHONE_STATE_UNKNOWN);
  return self->record->state;
}

gint64
wpi_phone_get_last_contact (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), 0);
  return self->record->last_contact_us;
}

gboolean
wpi_phone_get_expected (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), FALSE);
  return self->record->expected;
}

const char *
wpi_phone_get_state_nick (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), NULL);
  return self->record->expected ? WPI_PHONE_STATE_NICK_EXPECTED : wpi_phone_state_to_string (self->record->state);
}

guint
wpi_phone_get_pending_jobs (WpiPhone *self)
{
  g_return_val_if_fail (WPI_IS_PHONE (self), 0);
  return self->pending_jobs;
}

void
wpi_phone_set_pending_jobs (WpiPhone *self,
                            guint     pending_jobs)
{
  g_return_if_fail (WPI_IS_PHONE (self));

  if (self->pending_jobs != pending_jobs)
    {
      self->pending_jobs = pending_jobs;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING_JOBS]);
    }
}
