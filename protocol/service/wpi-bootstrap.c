/* wpi-bootstrap.c: preparing a phone's move to Secure Mode: the recipe, and the bundle
 * built from it */
#include "config.h"

#include <string.h>

#include "wpi-bootstrap.h"
#include "wpi-bundle.h"
#include "wpi-pin.h"

/* The items of a recipe that the bundle fills in (protocol.md §7.15) */
#define ITEM_GOTO        "goto-secure-mode"
#define ITEM_CERTIFICATE "dls-client-certificate"
#define ITEM_CA          "dls-server-ca"
#define ITEM_PORT        "dls-secure-port"
#define ITEM_SEALED      "secure-mode-data"
#define ITEM_RETRIES     "max-pin-retries"

void
wpi_bootstrap_options_init (WpiBootstrapOptions *options)
{
  options->with_pin = TRUE;
  options->pin_length = WPI_PIN_DEFAULT_LENGTH;
  options->max_retries = WPI_PIN_DEFAULT_MAX_RETRIES;
  options->secure_port = 18444;
}

void
wpi_bootstrap_timings_add (WpiBootstrapTimings       *sum,
                           const WpiBootstrapTimings *timings)
{
  sum->key_us += timings->key_us;
  sum->sign_us += timings->sign_us;
  sum->export_us += timings->export_us;
  sum->seal_us += timings->seal_us;
  sum->store_us += timings->store_us;
}

static void
wipe_string (char *str)
{
  if (str != NULL)
    explicit_bzero (str, strlen (str));
}

void
wpi_bootstrap_items_free (GArray *items)
{
  if (items == NULL)
    return;

  for (guint i = 0; i < items->len; i++)
    wipe_string (g_array_index (items, WpiStoreItem, i).value);
  g_array_unref (items);
}

/* ---- The recipe --------------------------------------------------------------------- */

/* Flow A: goto-secure-mode, the PKCS#12 to build, the port (the CAs come with the
 * bundle). Flow B: goto-secure-mode, secure-mode-data to build, max-pin-retries, and the
 * port, which goes into the bundle and not into the message. */
static GArray *
recipe_new (const WpiBootstrapOptions *options)
{
  GArray *recipe = wpi_store_item_array_new ();
  g_autofree char *port = g_strdup_printf ("%u", options->secure_port);

  if (options->with_pin)
    {
      g_autofree char *retries = g_strdup_printf ("%u", options->max_retries);

      wpi_store_item_array_add (recipe, ITEM_GOTO, FALSE, 0, WPI_BOOTSTRAP_PARAMETER_PIN);
      wpi_store_item_array_add (recipe, ITEM_SEALED, FALSE, 0, NULL);
      wpi_store_item_array_add (recipe, ITEM_RETRIES, FALSE, 0, retries);
    }
  else
    {
      wpi_store_item_array_add (recipe, ITEM_GOTO, FALSE, 0, WPI_BOOTSTRAP_PARAMETER_NOPIN);
      wpi_store_item_array_add (recipe, ITEM_CERTIFICATE, FALSE, 0, NULL);
    }
  wpi_store_item_array_add (recipe, ITEM_PORT, FALSE, 0, port);
  return recipe;
}

gboolean
wpi_bootstrap_job_needs_bundle (const WpiJobRecord *job)
{
  g_return_val_if_fail (job != NULL, FALSE);

  if (job->kind != WPI_JOB_KIND_BOOTSTRAP || job->items == NULL)
    return FALSE;
  for (guint i = 0; i < job->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, i);

      if (item->value == NULL &&
          (strcmp (item->name, ITEM_SEALED) == 0 || strcmp (item->name, ITEM_CERTIFICATE) == 0))
        return TRUE;
    }
  return FALSE;
}

/* A re-issued PIN voids the bootstrap it was made for: a job still waiting to be sent is
 * cancelled with it, so that its bundle never goes out. One already sent is left to
 * finish or fail at the phone (its TAN no longer matches). */
static gboolean
cancel_waiting_bootstraps (WpiStore    *store,
                           const char  *mac,
                           GError     **error)
{
  g_autoptr(GPtrArray) pending = wpi_store_job_list_pending (store, mac, error);

  if (pending == NULL)
    return FALSE;
  for (guint i = 0; i < pending->len; i++)
    {
      const WpiJobRecord *job = g_ptr_array_index (pending, i);

      if (job->kind == WPI_JOB_KIND_BOOTSTRAP && job->state != WPI_JOB_STATE_IN_PROGRESS &&
          !wpi_store_job_cancel (store, job->id, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
queue_in_transaction (WpiStore                   *store,
                      const char                 *mac,
                      const WpiBootstrapOptions  *options,
                      const char                 *pin,
                      gint64                     *job_id,
                      gint64                     *pin_id,
                      GError                    **error)
{
  g_autoptr(GArray) recipe = recipe_new (options);

  if (pin != NULL && !cancel_waiting_bootstraps (store, mac, error))
    return FALSE;
  if (!wpi_store_job_enqueue (store, mac, WPI_JOB_KIND_BOOTSTRAP,
                              pin != NULL ? WPI_BOOTSTRAP_PARAMETER_PIN : WPI_BOOTSTRAP_PARAMETER_NOPIN,
                              (WpiStoreItem *) recipe->data, recipe->len, job_id, error))
    return FALSE;
  return pin == NULL ||
         wpi_store_pin_create (store, mac, pin, options->max_retries, *job_id, pin_id, error);
}

gint64
wpi_bootstrap_queue (WpiStore                   *store,
                     const char                 *mac,
                     const WpiBootstrapOptions  *options,
                     char                      **pin_out,
                     gint64                     *pin_id,
                     GError                    **error)
{
  g_autofree char *pin = NULL;
  gint64 job_id = 0;
  gint64 new_pin_id = 0;

  g_return_val_if_fail (WPI_IS_STORE (store), 0);
  g_return_val_if_fail (mac != NULL, 0);
  g_return_val_if_fail (options != NULL, 0);

  if (options->with_pin && (pin = wpi_pin_generate (options->pin_length, error)) == NULL)
    return 0;

  /* D9: the PIN is durable, with its job, before it is ever shown */
  if (!wpi_store_transaction_begin (store, error))
    goto out;
  if (!queue_in_transaction (store, mac, options, pin, &job_id, &new_pin_id, error))
    {
      wpi_store_transaction_rollback (store);
      job_id = 0;
      goto out;
    }
  if (!wpi_store_transaction_commit (store, error))
    {
      job_id = 0;
      goto out;
    }

  if (pin_id != NULL)
    *pin_id = new_pin_id;
  if (pin_out != NULL)
    *pin_out = g_steal_pointer (&pin);

out:
  wipe_string (pin);
  return job_id;
}

gint64
wpi_bootstrap_prepare (WpiStore                   *store,
                       const char                 *mac,
                       const WpiBootstrapOptions  *options,
                       char                      **pin_out,
                       GError                    **error)
{
  g_autofree char *normal_mac = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;

  g_return_val_if_fail (WPI_IS_STORE (store), 0);
  g_return_val_if_fail (options != NULL, 0);
  g_return_val_if_fail (!wpi_store_in_transaction (store), 0);

  normal_mac = wpi_mac_normalize (mac, error);
  if (normal_mac == NULL)
    return 0;
  /* Only a phone the service knows can be bootstrapped: the job needs its record */
  phone = wpi_store_phone_get (store, normal_mac, error);
  if (phone == NULL)
    return 0;

  return wpi_bootstrap_queue (store, normal_mac, options, pin_out, NULL, error);
}

/* ---- The bundle ---------------------------------------------------------------------- */

/* Adds the time since *mark to *field and moves the mark on. */
static void
lap (gint64 *mark,
     gint64 *field)
{
  gint64 now = g_get_monotonic_time ();

  *field += now - *mark;
  *mark = now;
}

static const char *
recipe_value (const GArray *recipe,
              const char   *name)
{
  for (guint i = 0; i < recipe->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (recipe, WpiStoreItem, i);

      if (strcmp (item->name, name) == 0)
        return item->value;
    }
  return NULL;
}

/* The base64 PKCS#12 (D7) of a new certificate for mac, with key_pem or a new key */
static char *
build_p12 (WpiPki              *pki,
           const char          *mac,
           const char          *key_pem,
           WpiBootstrapTimings *spent,
           GError             **error)
{
  g_autofree char *new_key_pem = NULL;
  g_autoptr(WpiClientCert) cert = NULL;
  gint64 mark = g_get_monotonic_time ();
  char *p12;

  if (key_pem == NULL)
    {
      key_pem = new_key_pem = wpi_pki_generate_key_pem (pki, error);
      lap (&mark, &spent->key_us);
      if (key_pem == NULL)
        return NULL;
    }
  cert = wpi_pki_issue_client_cert (pki, mac, key_pem, error);
  wipe_string (new_key_pem);
  lap (&mark, &spent->sign_us);
  if (cert == NULL)
    return NULL;
  p12 = wpi_pki_export_client_p12_base64 (pki, cert, error);
  lap (&mark, &spent->export_us);
  return p12;
}

/* The recipe's items with the bundle in place of the item it lacks */
static GArray *
fill_recipe (const GArray              *recipe,
             const char                *sealed,
             const char                *p12,
             const char * const        *cas)
{
  GArray *items = wpi_store_item_array_new ();

  for (guint i = 0; i < recipe->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (recipe, WpiStoreItem, i);

      if (sealed != NULL && strcmp (item->name, ITEM_PORT) == 0)
        continue;   /* flow B: the port travels inside the bundle */
      if (strcmp (item->name, ITEM_SEALED) == 0 && item->value == NULL)
        wpi_store_item_array_add (items, item->name, FALSE, 0, sealed);
      else if (strcmp (item->name, ITEM_CERTIFICATE) == 0 && item->value == NULL)
        {
          /* Flow A, step 2: the PKCS#12, then every CA by its index */
          wpi_store_item_array_add (items, item->name, FALSE, 0, p12);
          for (guint j = 0; cas[j] != NULL; j++)
            wpi_store_item_array_add (items, ITEM_CA, TRUE, j, cas[j]);
        }
      else
        wpi_store_item_array_add (items, item->name, item->has_index, item->index, item->value);
    }
  return items;
}

GArray *
wpi_bootstrap_build_items (WpiPki               *pki,
                           const char           *mac,
                           const GArray         *recipe,
                           const char           *pin,
                           guint                 iterations,
                           const char           *key_pem,
                           WpiBootstrapTimings  *timings,
                           GError              **error)
{
  WpiBootstrapTimings spent = { 0 };
  g_autofree char *p12 = NULL;
  g_autofree char *sealed = NULL;
  g_auto(GStrv) cas = NULL;
  const char *port_text;
  guint64 port = 0;
  GArray *items;

  g_return_val_if_fail (WPI_IS_PKI (pki), NULL);
  g_return_val_if_fail (mac != NULL, NULL);
  g_return_val_if_fail (recipe != NULL, NULL);

  port_text = recipe_value (recipe, ITEM_PORT);
  if (port_text == NULL || !g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
    {
      g_set_error (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_DATA,
                   "The bootstrap of %s names no secure port", mac);
      return NULL;
    }

  p12 = build_p12 (pki, mac, key_pem, &spent, error);
  if (p12 == NULL)
    return NULL;
  cas = wpi_pki_get_ca_pems (pki);

  if (pin != NULL)
    {
      g_autoptr(WpiBootstrapData) data = wpi_bootstrap_data_new (p12, (const char * const *) cas, port);
      gint64 mark = g_get_monotonic_time ();

      /* Flow B, step 2: the no-PIN items, packed and sealed with the PIN (D8) */
      sealed = wpi_bundle_seal (data, pin, iterations, error);
      lap (&mark, &spent.seal_us);
      if (sealed == NULL)
        {
          wipe_string (p12);
          return NULL;
        }
    }

  items = fill_recipe (recipe, sealed, p12, (const char * const *) cas);
  wipe_string (p12);
  if (timings != NULL)
    wpi_bootstrap_timings_add (timings, &spent);
  return items;
}
