/* wpi-sweep.c: finding phones by sweeping an address range (issue 14 §2, D25) */
#include "config.h"

#include "wpi-phone.h"
#include "wpi-sweep.h"

/* How often a watched phones model is looked through for phones that called again (a
 * known phone's last-contact changes without items-changed) */
#define WATCH_INTERVAL_MS 250

typedef struct {
  WpiSweepResult result;
  guint8         tries;
  char          *detail;
  char          *mac;       /* the phone that called from this address */
} Entry;

typedef struct {
  guint  index;
  gint64 not_before;        /* monotonic: the contact gap after the first try ended */
} Retry;

struct _WpiSweep
{
  GObject           parent_instance;

  WpiAddressRange   range;
  guint             n_addresses;
  char             *dls_address;
  guint             dls_port;
  guint             rate;
  guint             concurrency;
  gboolean          allow_public;
  gboolean          confirmed;

  WpiContactClient *client;
  GCancellable     *cancellable;
  GMainContext     *context;
  GSource          *pace_source;
  Entry            *entries;
  guint             next_first;     /* the next address never tried */
  GQueue            retries;        /* Retry, in the order they fall due */
  guint             in_flight;
  gint64            next_send_at;   /* monotonic: the rate's next slot */
  gint64            started_real;   /* real time of start(), for matching phones */
  gboolean          started;
  gboolean          finished;

  guint             n_sent;
  guint             n_done;
  guint             n_answered;
  guint             n_refused;
  guint             n_no_answer;
  guint             n_registered;

  GListModel       *phones;
  GSource          *watch_source;
};

G_DEFINE_FINAL_TYPE (WpiSweep, wpi_sweep, G_TYPE_OBJECT)
G_DEFINE_QUARK (wpi-sweep-error-quark, wpi_sweep_error)

enum {
  PROP_0,
  PROP_RATE,
  PROP_CONCURRENCY,
  PROP_ALLOW_PUBLIC,
  PROP_CONFIRMED,
  PROP_N_ADDRESSES,
  PROP_N_SENT,
  PROP_N_DONE,
  PROP_N_ANSWERED,
  PROP_N_REFUSED,
  PROP_N_NO_ANSWER,
  PROP_N_REGISTERED,
  N_PROPS
};

enum {
  SIGNAL_ADDRESS_DONE,
  SIGNAL_PHONE_REGISTERED,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void sweep_pump (WpiSweep *self);

/* ---- the sweep ---------------------------------------------------------------------- */

static void
finish (WpiSweep *self,
        gboolean  cancelled)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  if (self->pace_source != NULL)
    {
      g_source_destroy (self->pace_source);
      g_clear_pointer (&self->pace_source, g_source_unref);
    }
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, cancelled);
}

static void
settle (WpiSweep       *self,
        guint           index,
        WpiSweepResult  result,
        const char     *detail)
{
  Entry *entry = &self->entries[index];

  entry->result = result;
  g_free (entry->detail);
  entry->detail = g_strdup (detail);
  self->n_done++;
  switch (result)
    {
    case WPI_SWEEP_RESULT_ANSWERED:
      self->n_answered++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ANSWERED]);
      break;
    case WPI_SWEEP_RESULT_REFUSED:
      self->n_refused++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_REFUSED]);
      break;
    case WPI_SWEEP_RESULT_NO_ANSWER:
      self->n_no_answer++;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_NO_ANSWER]);
      break;
    case WPI_SWEEP_RESULT_WAITING:
    default:
      g_assert_not_reached ();
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_DONE]);
  g_signal_emit (self, signals[SIGNAL_ADDRESS_DONE], 0, index);
  if (self->n_done == self->n_addresses)
    finish (self, FALSE);
}

typedef struct {
  WpiSweep *self;
  guint     index;
} Attempt;

static void
attempt_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Attempt *attempt = user_data;
  g_autoptr(WpiSweep) self = attempt->self;
  guint index = attempt->index;
  g_autoptr(GError) error = NULL;
  gboolean answered = wpi_contact_client_contact_finish (WPI_CONTACT_CLIENT (source), result,
                                                         &error);
  Entry *entry = &self->entries[index];

  g_free (attempt);
  self->in_flight--;
  /* cancelled: what comes back now is no result */
  if (self->finished)
    return;
  if (answered)
    settle (self, index, WPI_SWEEP_RESULT_ANSWERED, NULL);
  else if (g_error_matches (error, WPI_CONTACT_ERROR, WPI_CONTACT_ERROR_REFUSED))
    settle (self, index, WPI_SWEEP_RESULT_REFUSED, error->message);
  else if (entry->tries < WPI_SWEEP_MAX_TRIES)
    {
      /* the second try respects the phones' contact gap (D10), counted from the end of
       * the first (its connection may have been made a moment after it was asked for),
       * and waits here rather than in the client, where it would hold a slot */
      Retry *retry = g_new0 (Retry, 1);

      retry->index = index;
      retry->not_before = g_get_monotonic_time () + WPI_CONTACT_MIN_INTERVAL;
      g_queue_push_tail (&self->retries, retry);
      g_free (entry->detail);
      entry->detail = g_strdup (error->message);
    }
  else
    settle (self, index, WPI_SWEEP_RESULT_NO_ANSWER, error->message);
  sweep_pump (self);
}

static void
send_to (WpiSweep *self,
         guint     index)
{
  g_autofree char *address = wpi_address_range_nth (&self->range, index);
  g_autofree char *uri = wpi_contact_uri_for_address (address);
  Attempt *attempt = g_new0 (Attempt, 1);
  Entry *entry = &self->entries[index];

  entry->tries++;
  self->in_flight++;
  self->n_sent++;
  attempt->self = g_object_ref (self);
  attempt->index = index;
  wpi_contact_client_contact_async (self->client, uri, self->dls_address, self->dls_port,
                                    self->cancellable, attempt_done, attempt);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SENT]);
}

static gboolean
pace_cb (gpointer user_data)
{
  WpiSweep *self = user_data;

  g_clear_pointer (&self->pace_source, g_source_unref);
  sweep_pump (self);
  return G_SOURCE_REMOVE;
}

static void
pump_again_at (WpiSweep *self,
               gint64    when,
               gint64    now)
{
  guint delay_ms = (guint) MAX ((when - now + 999) / 1000, 0);

  if (self->pace_source != NULL)
    {
      g_source_destroy (self->pace_source);
      g_clear_pointer (&self->pace_source, g_source_unref);
    }
  self->pace_source = g_timeout_source_new (delay_ms);
  g_source_set_callback (self->pace_source, pace_cb, self, NULL);
  g_source_attach (self->pace_source, self->context);
}

/* The next address to try now: a new one first, so that the phones are found as soon as
 * the rate allows, then a retry whose gap is over; -1 with *wait_until set when only
 * retries are left and none is due. */
static gint64
next_index (WpiSweep *self,
            gint64    now,
            gint64   *wait_until)
{
  Retry *retry = g_queue_peek_head (&self->retries);

  *wait_until = 0;
  if (self->next_first < self->n_addresses)
    return self->next_first++;
  if (retry != NULL && retry->not_before <= now)
    {
      guint index = retry->index;

      g_free (g_queue_pop_head (&self->retries));
      return index;
    }
  if (retry != NULL)
    *wait_until = retry->not_before;
  return -1;
}

/* Sends what the rate and the concurrency allow now, and comes back when more may go */
static void
sweep_pump (WpiSweep *self)
{
  gint64 interval = G_USEC_PER_SEC / self->rate;

  while (!self->finished && self->in_flight < self->concurrency)
    {
      gint64 now = g_get_monotonic_time ();
      gint64 wait_until;
      gint64 index;

      if (now < self->next_send_at)
        {
          pump_again_at (self, self->next_send_at, now);
          return;
        }
      index = next_index (self, now, &wait_until);
      if (index < 0)
        {
          if (wait_until > 0)
            pump_again_at (self, wait_until, now);
          return;
        }
      /* a pause (no slot free, a retry not due) does not save up a burst */
      self->next_send_at = MAX (self->next_send_at, now - interval) + interval;
      send_to (self, (guint) index);
    }
}

static gboolean
check_allowed (WpiSweep  *self,
               GError   **error)
{
  g_autofree char *text = wpi_address_range_to_string (&self->range);

  if (self->started)
    {
      g_set_error (error, WPI_SWEEP_ERROR, WPI_SWEEP_ERROR_STARTED, "the sweep has begun already");
      return FALSE;
    }
  if (!self->allow_public && wpi_address_range_scope (&self->range) == WPI_ADDRESS_SCOPE_PUBLIC)
    {
      g_set_error (error, WPI_SWEEP_ERROR, WPI_SWEEP_ERROR_PUBLIC,
                   "%s holds public addresses; sweeps go to private and loopback ranges "
                   "unless the settings allow public ones (D25)", text);
      return FALSE;
    }
  if (!self->confirmed && self->n_addresses > WPI_SWEEP_CONFIRM_ABOVE)
    {
      g_set_error (error, WPI_SWEEP_ERROR, WPI_SWEEP_ERROR_NOT_CONFIRMED,
                   "%s holds %u addresses, more than %u: confirm the sweep", text,
                   self->n_addresses, WPI_SWEEP_CONFIRM_ABOVE);
      return FALSE;
    }
  return TRUE;
}

gboolean
wpi_sweep_start (WpiSweep  *self,
                 GError   **error)
{
  g_return_val_if_fail (WPI_IS_SWEEP (self), FALSE);

  if (!check_allowed (self, error))
    return FALSE;
  if (self->dls_address == NULL)
    {
      g_autofree char *first = wpi_address_range_nth (&self->range, 0);

      self->dls_address = wpi_contact_local_address_towards (first);
    }
  if (self->dls_address == NULL)
    {
      g_set_error (error, WPI_SWEEP_ERROR, WPI_SWEEP_ERROR_NO_ADDRESS,
                   "no address of this computer reaches the range");
      return FALSE;
    }

  self->started = TRUE;
  self->started_real = g_get_real_time ();
  self->context = g_main_context_ref_thread_default ();
  self->client = wpi_contact_client_new_with_connections (self->concurrency);
  self->cancellable = g_cancellable_new ();
  self->entries = g_new0 (Entry, self->n_addresses);
  self->next_send_at = g_get_monotonic_time ();
  sweep_pump (self);
  return TRUE;
}

void
wpi_sweep_cancel (WpiSweep *self)
{
  g_return_if_fail (WPI_IS_SWEEP (self));

  if (!self->started || self->finished)
    return;
  g_cancellable_cancel (self->cancellable);
  finish (self, TRUE);
}

gboolean
wpi_sweep_is_finished (WpiSweep *self)
{
  g_return_val_if_fail (WPI_IS_SWEEP (self), FALSE);

  return self->finished;
}

/* ---- phones that called --------------------------------------------------------------- */

void
wpi_sweep_note_phone (WpiSweep   *self,
                      const char *ip,
                      const char *mac,
                      gint64      last_contact)
{
  gint64 index;

  g_return_if_fail (WPI_IS_SWEEP (self));

  if (!self->started || mac == NULL || last_contact < self->started_real)
    return;
  index = wpi_address_range_index_of (&self->range, ip);
  if (index < 0 || self->entries[index].mac != NULL)
    return;
  self->entries[index].mac = g_strdup (mac);
  self->n_registered++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_REGISTERED]);
  g_signal_emit (self, signals[SIGNAL_PHONE_REGISTERED], 0, (guint) index, mac);
}

static void
note_phones (WpiSweep *self,
             guint     position,
             guint     n)
{
  for (guint i = position; i < position + n; i++)
    {
      g_autoptr(WpiPhone) phone = g_list_model_get_item (self->phones, i);

      wpi_sweep_note_phone (self, wpi_phone_get_ip (phone), wpi_phone_get_mac (phone),
                            wpi_phone_get_last_contact (phone));
    }
}

static void
phones_changed_cb (GListModel *phones,
                   guint       position,
                   guint       removed,
                   guint       added,
                   WpiSweep   *self)
{
  note_phones (self, position, added);
}

static gboolean
watch_cb (gpointer user_data)
{
  WpiSweep *self = user_data;

  note_phones (self, 0, g_list_model_get_n_items (self->phones));
  return G_SOURCE_CONTINUE;
}

void
wpi_sweep_watch_phones (WpiSweep   *self,
                        GListModel *phones)
{
  g_return_if_fail (WPI_IS_SWEEP (self));
  g_return_if_fail (G_IS_LIST_MODEL (phones));
  g_return_if_fail (self->phones == NULL);

  self->phones = g_object_ref (phones);
  g_signal_connect_object (phones, "items-changed", G_CALLBACK (phones_changed_cb), self, 0);
  self->watch_source = g_timeout_source_new (WATCH_INTERVAL_MS);
  g_source_set_callback (self->watch_source, watch_cb, self, NULL);
  g_source_attach (self->watch_source, g_main_context_get_thread_default ());
}

/* ---- getters -------------------------------------------------------------------------- */

guint
wpi_sweep_get_n_addresses (WpiSweep *self)
{
  g_return_val_if_fail (WPI_IS_SWEEP (self), 0);

  return self->n_addresses;
}

const WpiAddressRange *
wpi_sweep_get_range (WpiSweep *self)
{
  g_return_val_if_fail (WPI_IS_SWEEP (self), NULL);

  return &self->range;
}

const char *
wpi_sweep_get_dls_address (WpiSweep *self)
{
  g_return_val_if_fail (WPI_IS_SWEEP (self), NULL);

  return self->started ? self->dls_address : NULL;
}

WpiSweepResult
wpi_sweep_get_result (WpiSweep    *self,
                      guint        n,
                      guint       *tries,
                      const char **detail)
{
  const Entry *entry;

  g_return_val_if_fail (WPI_IS_SWEEP (self), WPI_SWEEP_RESULT_WAITING);
  g_return_val_if_fail (n < self->n_addresses, WPI_SWEEP_RESULT_WAITING);

  entry = self->entries != NULL ? &self->entries[n] : NULL;
  if (tries != NULL)
    *tries = entry != NULL ? entry->tries : 0;
  if (detail != NULL)
    *detail = entry != NULL ? entry->detail : NULL;
  return entry != NULL ? entry->result : WPI_SWEEP_RESULT_WAITING;
}

const char *
wpi_sweep_get_registered (WpiSweep *self,
                          guint     n)
{
  g_return_val_if_fail (WPI_IS_SWEEP (self), NULL);
  g_return_val_if_fail (n < self->n_addresses, NULL);

  return self->entries != NULL ? self->entries[n].mac : NULL;
}

WpiSweepCounts
wpi_sweep_get_counts (WpiSweep *self)
{
  WpiSweepCounts counts = { 0 };

  g_return_val_if_fail (WPI_IS_SWEEP (self), counts);

  counts.n_addresses = self->n_addresses;
  counts.n_sent = self->n_sent;
  counts.n_done = self->n_done;
  counts.n_answered = self->n_answered;
  counts.n_refused = self->n_refused;
  counts.n_no_answer = self->n_no_answer;
  counts.n_registered = self->n_registered;
  return counts;
}

const char *
wpi_sweep_result_to_string (WpiSweepResult result)
{
  switch (result)
    {
    case WPI_SWEEP_RESULT_ANSWERED:  return "answered";
    case WPI_SWEEP_RESULT_REFUSED:   return "refused";
    case WPI_SWEEP_RESULT_NO_ANSWER: return "no answer";
    case WPI_SWEEP_RESULT_WAITING:
    default:                         return "waiting";
    }
}

/* ---- the object ----------------------------------------------------------------------- */

WpiSweep *
wpi_sweep_new (const WpiAddressRange *range,
               const char            *dls_address,
               guint                  dls_port)
{
  WpiSweep *self;

  g_return_val_if_fail (range != NULL && range->first <= range->last, NULL);

  self = g_object_new (WPI_TYPE_SWEEP, NULL);
  self->range = *range;
  self->n_addresses = wpi_address_range_size (range);
  self->dls_address = g_strdup (dls_address);
  self->dls_port = dls_port;
  return self;
}

static void
wpi_sweep_dispose (GObject *object)
{
  WpiSweep *self = WPI_SWEEP (object);

  if (self->started && !self->finished)
    g_cancellable_cancel (self->cancellable);
  if (self->pace_source != NULL)
    g_source_destroy (self->pace_source);
  g_clear_pointer (&self->pace_source, g_source_unref);
  if (self->watch_source != NULL)
    g_source_destroy (self->watch_source);
  g_clear_pointer (&self->watch_source, g_source_unref);
  g_clear_object (&self->phones);

  G_OBJECT_CLASS (wpi_sweep_parent_class)->dispose (object);
}

static void
wpi_sweep_finalize (GObject *object)
{
  WpiSweep *self = WPI_SWEEP (object);

  for (guint i = 0; self->entries != NULL && i < self->n_addresses; i++)
    {
      g_free (self->entries[i].detail);
      g_free (self->entries[i].mac);
    }
  g_free (self->entries);
  g_queue_clear_full (&self->retries, g_free);
  g_free (self->dls_address);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (wpi_sweep_parent_class)->finalize (object);
}

static void
wpi_sweep_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  WpiSweep *self = WPI_SWEEP (object);

  switch (prop_id)
    {
    case PROP_RATE:          g_value_set_uint (value, self->rate); break;
    case PROP_CONCURRENCY:   g_value_set_uint (value, self->concurrency); break;
    case PROP_ALLOW_PUBLIC:  g_value_set_boolean (value, self->allow_public); break;
    case PROP_CONFIRMED:     g_value_set_boolean (value, self->confirmed); break;
    case PROP_N_ADDRESSES:   g_value_set_uint (value, self->n_addresses); break;
    case PROP_N_SENT:        g_value_set_uint (value, self->n_sent); break;
    case PROP_N_DONE:        g_value_set_uint (value, self->n_done); break;
    case PROP_N_ANSWERED:    g_value_set_uint (value, self->n_answered); break;
    case PROP_N_REFUSED:     g_value_set_uint (value, self->n_refused); break;
    case PROP_N_NO_ANSWER:   g_value_set_uint (value, self->n_no_answer); break;
    case PROP_N_REGISTERED:  g_value_set_uint (value, self->n_registered); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_sweep_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  WpiSweep *self = WPI_SWEEP (object);

  /* what the pump and the client are made with cannot change under them */
  if (self->started)
    {
      g_warning ("WpiSweep: %s is set before start()", pspec->name);
      return;
    }
  switch (prop_id)
    {
    case PROP_RATE:          self->rate = g_value_get_uint (value); break;
    case PROP_CONCURRENCY:   self->concurrency = g_value_get_uint (value); break;
    case PROP_ALLOW_PUBLIC:  self->allow_public = g_value_get_boolean (value); break;
    case PROP_CONFIRMED:     self->confirmed = g_value_get_boolean (value); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_sweep_class_init (WpiSweepClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = wpi_sweep_dispose;
  object_class->finalize = wpi_sweep_finalize;
  object_class->get_property = wpi_sweep_get_property;
  object_class->set_property = wpi_sweep_set_property;

  properties[PROP_RATE] = g_param_spec_uint ("rate", NULL, NULL, 1, WPI_SWEEP_MAX_RATE,
                                             WPI_SWEEP_DEFAULT_RATE, rw);
  properties[PROP_CONCURRENCY] = g_param_spec_uint ("concurrency", NULL, NULL, 1,
                                                    WPI_SWEEP_MAX_CONCURRENCY,
                                                    WPI_SWEEP_DEFAULT_CONCURRENCY, rw);
  properties[PROP_ALLOW_PUBLIC] = g_param_spec_boolean ("allow-public", NULL, NULL, FALSE, rw);
  properties[PROP_CONFIRMED] = g_param_spec_boolean ("confirmed", NULL, NULL, FALSE, rw);
  properties[PROP_N_ADDRESSES] = g_param_spec_uint ("n-addresses", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_SENT] = g_param_spec_uint ("n-sent", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_DONE] = g_param_spec_uint ("n-done", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_ANSWERED] = g_param_spec_uint ("n-answered", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_REFUSED] = g_param_spec_uint ("n-refused", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_NO_ANSWER] = g_param_spec_uint ("n-no-answer", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_N_REGISTERED] = g_param_spec_uint ("n-registered", NULL, NULL, 0, G_MAXUINT, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_ADDRESS_DONE] =
    g_signal_new ("address-done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_PHONE_REGISTERED] =
    g_signal_new ("phone-registered", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                  NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
wpi_sweep_init (WpiSweep *self)
{
  self->rate = WPI_SWEEP_DEFAULT_RATE;
  self->concurrency = WPI_SWEEP_DEFAULT_CONCURRENCY;
  g_queue_init (&self->retries);
}
