/* wpi-bootstrap.c: preparing a phone's move to Secure Mode */
#include "config.h"

#include <string.h>

#include "wpi-bootstrap.h"
#include "wpi-bundle.h"
#include "wpi-pin.h"

void
wpi_bootstrap_options_init (WpiBootstrapOptions *options)
{
  options->with_pin = TRUE;
  options->pin_length = WPI_PIN_DEFAULT_LENGTH;
  options->max_retries = WPI_PIN_DEFAULT_MAX_RETRIES;
  options->secure_port = 18444;
  options->iterations = WPI_BUNDLE_DEFAULT_ITERATIONS;
}

struct _WpiBootstrapPayload {
  char     *mac;
  char     *pin;          /* NULL without a PIN */
  guint     max_retries;
  GArray   *items;        /* WpiStoreItem: the WriteItems of flow A or B */
};

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
wpi_bootstrap_payload_free (WpiBootstrapPayload *payload)
{
  if (payload == NULL)
    return;

  /* The items hold the PKCS#12 with the phone's private key */
  for (guint i = 0; payload->items != NULL && i < payload->items->len; i++)
    wipe_string (g_array_index (payload->items, WpiStoreItem, i).value);
  g_clear_pointer (&payload->items, g_array_unref);
  wipe_string (payload->pin);
  g_free (payload->pin);
  g_free (payload->mac);
  g_free (payload);
}

const char *
wpi_bootstrap_payload_get_mac (const WpiBootstrapPayload *payload)
{
  g_return_val_if_fail (payload != NULL, NULL);

  return payload->mac;
}

const char *
wpi_bootstrap_payload_get_pin (const WpiBootstrapPayload *payload)
{
  g_return_val_if_fail (payload != NULL, NULL);

  return payload->pin;
}

/* Adds the time since *mark to *field and moves the mark on. */
static void
lap (gint64 *mark,
     gint64 *field)
{
  gint64 now = g_get_monotonic_time ();

  *field += now - *mark;
  *mark = now;
}

WpiBootstrapPayload *
wpi_bootstrap_payload_build (WpiPki                     *pki,
                             const char                 *mac,
                             const WpiBootstrapOptions  *options,
                             WpiBootstrapTimings        *timings,
                             GError                    **error)
{
  g_autoptr(WpiBootstrapPayload) payload = g_new0 (WpiBootstrapPayload, 1);
  WpiBootstrapTimings spent = { 0 };
  g_autofree char *key_pem = NULL;
  g_autoptr(WpiClientCert) cert = NULL;
  g_autofree char *p12 = NULL;
  g_auto(GStrv) cas = NULL;
  g_autofree char *port = NULL;
  gint64 mark;

  g_return_val_if_fail (WPI_IS_PKI (pki), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  payload->mac = wpi_mac_normalize (mac, error);
  if (payload->mac == NULL)
    return NULL;
  payload->items = wpi_store_item_array_new ();
  payload->max_retries = options->max_retries;

  mark = g_get_monotonic_time ();
  key_pem = wpi_pki_generate_key_pem (pki, error);
  lap (&mark, &spent.key_us);
  if (key_pem == NULL)
    return NULL;
  cert = wpi_pki_issue_client_cert (pki, payload->mac, key_pem, error);
  wipe_string (key_pem);
  lap (&mark, &spent.sign_us);
  if (cert == NULL)
    return NULL;
  p12 = wpi_pki_export_client_p12_base64 (pki, cert, error);
  lap (&mark, &spent.export_us);
  if (p12 == NULL)
    return NULL;
  cas = wpi_pki_get_ca_pems (pki);
  port = g_strdup_printf ("%u", options->secure_port);

  if (options->with_pin)
    {
      g_autoptr(WpiBootstrapData) data = wpi_bootstrap_data_new (p12, (const char * const *) cas,
                                                                 options->secure_port);
      g_autofree char *sealed = NULL;
      g_autofree char *retries = g_strdup_printf ("%u", options->max_retries);

      payload->pin = wpi_pin_generate (options->pin_length, error);
      if (payload->pin == NULL)
        return NULL;
      sealed = wpi_bundle_seal (data, payload->pin, options->iterations, error);
      lap (&mark, &spent.seal_us);
      if (sealed == NULL)
        return NULL;
      /* Flow B, step 2 */
      wpi_store_item_array_add (payload->items, "goto-secure-mode", FALSE, 0, "pin");
      wpi_store_item_array_add (payload->items, "secure-mode-data", FALSE, 0, sealed);
      wpi_store_item_array_add (payload->items, "max-pin-retries", FALSE, 0, retries);
    }
  else
    {
      /* Flow A, step 2 */
      wpi_store_item_array_add (payload->items, "goto-secure-mode", FALSE, 0, "nopin");
      wpi_store_item_array_add (payload->items, "dls-client-certificate", FALSE, 0, p12);
      for (guint i = 0; cas[i] != NULL; i++)
        wpi_store_item_array_add (payload->items, "dls-server-ca", TRUE, i, cas[i]);
      wpi_store_item_array_add (payload->items, "dls-secure-port", FALSE, 0, port);
    }
  wipe_string (p12);

  if (timings != NULL)
    wpi_bootstrap_timings_add (timings, &spent);

  return g_steal_pointer (&payload);
}

gint64
wpi_bootstrap_payload_commit (WpiStore                   *store,
                              const WpiBootstrapPayload  *payload,
                              gint64                     *pin_id,
                              WpiBootstrapTimings        *timings,
                              GError                    **error)
{
  gint64 start = g_get_monotonic_time ();
  gint64 job_id = 0;
  gint64 new_pin_id = 0;

  g_return_val_if_fail (WPI_IS_STORE (store), 0);
  g_return_val_if_fail (payload != NULL, 0);

  /* D9: the PIN is durable, with its job, before it is ever shown */
  if (!wpi_store_transaction_begin (store, error))
    return 0;
  if (!wpi_store_job_enqueue (store, payload->mac, WPI_JOB_KIND_BOOTSTRAP,
                              payload->pin != NULL ? WPI_BOOTSTRAP_PARAMETER_PIN : WPI_BOOTSTRAP_PARAMETER_NOPIN,
                              (WpiStoreItem *) payload->items->data, payload->items->len, &job_id, error) ||
      (payload->pin != NULL &&
       !wpi_store_pin_create (store, payload->mac, payload->pin, payload->max_retries, job_id,
                              &new_pin_id, error)))
    {
      wpi_store_transaction_rollback (store);
      return 0;
    }
  if (!wpi_store_transaction_commit (store, error))
    return 0;

  if (timings != NULL)
    timings->store_us += g_get_monotonic_time () - start;
  if (pin_id != NULL)
    *pin_id = new_pin_id;
  return job_id;
}

gint64
wpi_bootstrap_prepare (WpiStore                   *store,
                       WpiPki                     *pki,
                       const char                 *mac,
                       const WpiBootstrapOptions  *options,
                       char                      **pin_out,
                       GError                    **error)
{
  g_autofree char *normal_mac = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(WpiBootstrapPayload) payload = NULL;
  gint64 job_id;

  g_return_val_if_fail (WPI_IS_STORE (store), 0);
  g_return_val_if_fail (WPI_IS_PKI (pki), 0);
  g_return_val_if_fail (options != NULL, 0);

  normal_mac = wpi_mac_normalize (mac, error);
  if (normal_mac == NULL)
    return 0;
  /* Only a phone the service knows can be bootstrapped: the job needs its record, and
   * no certificate should be issued for a typo. */
  phone = wpi_store_phone_get (store, normal_mac, error);
  if (phone == NULL)
    return 0;

  payload = wpi_bootstrap_payload_build (pki, normal_mac, options, NULL, error);
  if (payload == NULL)
    return 0;
  job_id = wpi_bootstrap_payload_commit (store, payload, NULL, NULL, error);
  if (job_id == 0)
    return 0;

  if (pin_out != NULL)
    *pin_out = g_strdup (payload->pin);
  return job_id;
}
