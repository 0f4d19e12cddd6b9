/* wpc-demo.c: simulated phones against the console's own service */
#include "config.h"

#include "wpc-demo.h"

/* The demo's phones take 127.1.x.y, or when those are in use 127.2.x.y, ... 127.254.x.y */
#define DEMO_LAST_PREFIX_OCTET 254

static gboolean
ensure_demo_profile (WpiStore  *store,
                     GError   **error)
{
  g_autoptr(WpiProfileRecord) current = wpi_store_profile_get_default (store, error);
  g_autoptr(GArray) items = NULL;

  if (current != NULL)
    return TRUE;
  if (error != NULL && *error != NULL)
    return FALSE;

  items = wpi_store_item_array_new ();
  /* The phone shows its own number as its name, and key 1 is labelled */
  wpi_store_item_array_add (items, "display-id-unicode", FALSE, 0, "Demo {e164}");
  wpi_store_item_array_add (items, "key-label-unicode", TRUE, 1, "Line {e164}");
  return wpi_store_profile_set (store, WPC_DEMO_PROFILE, (WpiStoreItem *) items->data, items->len, error) &&
         wpi_store_profile_set_default (store, WPC_DEMO_PROFILE, error);
}

/* The demo's phones "type" the PIN the console made for them, as the person holding the
 * printed slip would. */
static void
on_pin_requested (WpiSimulator *simulator,
                  WpiSimPhone  *phone,
                  gpointer      user_data)
{
  WpiStore *store = user_data;
  g_autofree char *mac = NULL;
  g_autoptr(WpiPinRecord) pin = NULL;

  g_object_get (phone, "mac", &mac, NULL);
  pin = wpi_store_pin_get_current (store, mac, NULL);
  if (pin != NULL && pin->state != WPI_PIN_STATE_REISSUED && pin->state != WPI_PIN_STATE_FAILED)
    wpi_sim_phone_set_pin (phone, pin->pin);
}

WpiSimulator *
wpc_demo_start_simulator (WpiStore  *store,
                          guint      port,
                          guint      n_phones,
                          GError   **error)
{
  g_autoptr(WpiSimulator) simulator = NULL;
  g_autofree char *target = NULL;

  g_return_val_if_fail (WPI_IS_STORE (store), NULL);
  g_return_val_if_fail (port != 0, NULL);

  if (!ensure_demo_profile (store, error))
    return NULL;

  /* Phones and service share this process and GIO's handshake threads: keep the
   * phones' concurrent requests few so the service's own handshakes are not starved. */
  wpi_sim_set_max_requests (4);
  target = g_strdup_printf ("https://127.0.0.1:%u", port);

  /* Each phone listens for contact-me on its own loopback address under a prefix. Another
   * demo (or wpi-sim) may hold 127.1 already: the next free prefix serves as well. */
  for (guint octet = 1; ; octet++)
    {
      g_autofree char *prefix = g_strdup_printf ("127.%u", octet);
      g_autoptr(GError) local_error = NULL;

      g_clear_object (&simulator);
      simulator = wpi_simulator_new (target, n_phones);
      g_object_set (simulator, "busy-ratio", 0.25, "call-seconds", 30.0, "bind-prefix", prefix, NULL);
      g_signal_connect_object (simulator, "pin-requested", G_CALLBACK (on_pin_requested), store, 0);
      if (wpi_simulator_start (simulator, &local_error))
        return g_steal_pointer (&simulator);
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE) ||
          octet == DEMO_LAST_PREFIX_OCTET)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
}

/* ---- The demo on a thread of its own -------------------------------------------- */

/* How long stopping waits for the demo phones' last requests */
#define DEMO_QUIET_TIMEOUT_US (2 * G_USEC_PER_SEC)

struct _WpcDemo
{
  GObject       parent_instance;

  GThread      *thread;
  GMainContext *context;
  char         *data_dir;
  guint         port;
  guint         n_phones;
  gint          quit;       /* atomic */
};

G_DEFINE_FINAL_TYPE (WpcDemo, wpc_demo, G_TYPE_OBJECT)

typedef struct {
  WpcDemo  *self;
  GMutex    lock;
  GCond     cond;
  gboolean  ready;
  GError   *error;
} DemoStartup;

static void
demo_startup_done (DemoStartup *startup,
                   GError      *error)
{
  g_mutex_lock (&startup->lock);
  startup->error = error;
  startup->ready = TRUE;
  g_cond_signal (&startup->cond);
  g_mutex_unlock (&startup->lock);
}

/* The phones' TLS, XML and bundle work happens here, not on the console's GTK thread,
 * and the PINs they type are read through this thread's own store connection. */
static gpointer
demo_main (gpointer data)
{
  DemoStartup *startup = data;
  WpcDemo *self = startup->self;
  g_autoptr(WpiStore) store = NULL;
  g_autoptr(WpiSimulator) simulator = NULL;
  GError *error = NULL;
  gint64 deadline;

  g_main_context_push_thread_default (self->context);
  store = wpi_store_open (self->data_dir, &error);
  if (store != NULL)
    simulator = wpc_demo_start_simulator (store, self->port, self->n_phones, &error);
  demo_startup_done (startup, error);

  while (simulator != NULL && !g_atomic_int_get (&self->quit))
    g_main_context_iteration (self->context, TRUE);

  if (simulator != NULL)
    {
      wpi_simulator_stop (simulator);
      /* Its phones' last exchanges finish before the service they talk to goes */
      deadline = g_get_monotonic_time () + DEMO_QUIET_TIMEOUT_US;
      while (!wpi_simulator_is_quiet (simulator) && g_get_monotonic_time () < deadline)
        g_main_context_iteration (self->context, FALSE);
    }
  g_clear_object (&simulator);
  g_clear_object (&store);
  while (g_main_context_iteration (self->context, FALSE))
    ;
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_REMOVE;
}

void
wpc_demo_stop (WpcDemo *self)
{
  g_return_if_fail (WPC_IS_DEMO (self));

  if (self->thread == NULL)
    return;
  g_atomic_int_set (&self->quit, TRUE);
  g_main_context_invoke (self->context, wake, NULL);
  g_thread_join (g_steal_pointer (&self->thread));
}

static void
wpc_demo_dispose (GObject *object)
{
  wpc_demo_stop (WPC_DEMO (object));

  G_OBJECT_CLASS (wpc_demo_parent_class)->dispose (object);
}

static void
wpc_demo_finalize (GObject *object)
{
  WpcDemo *self = WPC_DEMO (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_free (self->data_dir);

  G_OBJECT_CLASS (wpc_demo_parent_class)->finalize (object);
}

static void
wpc_demo_class_init (WpcDemoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = wpc_demo_dispose;
  object_class->finalize = wpc_demo_finalize;
}

static void
wpc_demo_init (WpcDemo *self)
{
}

WpcDemo *
wpc_demo_start (const char  *data_dir,
                guint        port,
                guint        n_phones,
                GError     **error)
{
  g_autoptr(WpcDemo) self = NULL;
  DemoStartup startup = { 0 };

  g_return_val_if_fail (data_dir != NULL, NULL);
  g_return_val_if_fail (port != 0, NULL);

  self = g_object_new (WPC_TYPE_DEMO, NULL);
  self->data_dir = g_strdup (data_dir);
  self->port = port;
  self->n_phones = n_phones;
  self->context = g_main_context_new ();

  startup.self = self;
  g_mutex_init (&startup.lock);
  g_cond_init (&startup.cond);
  self->thread = g_thread_new ("wpc-demo", demo_main, &startup);
  g_mutex_lock (&startup.lock);
  while (!startup.ready)
    g_cond_wait (&startup.cond, &startup.lock);
  g_mutex_unlock (&startup.lock);
  g_mutex_clear (&startup.lock);
  g_cond_clear (&startup.cond);

  if (startup.error != NULL)
    {
      g_propagate_error (error, startup.error);
      g_thread_join (g_steal_pointer (&self->thread));
      return NULL;
    }
  return g_steal_pointer (&self);
}

guint
wpc_demo_get_n_phones (WpcDemo *self)
{
  g_return_val_if_fail (WPC_IS_DEMO (self), 0);

  return self->n_phones;
}
