/* wpi-bootstrap.c: preparing a phone's move to Secure Mode */
#include "config.h"

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
  g_autofree char *key_pem = NULL;
  g_autoptr(WpiClientCert) cert = NULL;
  g_autofree char *p12 = NULL;
  g_auto(GStrv) cas = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();
  g_autofree char *pin = NULL;
  g_autofree char *port = NULL;
  gint64 job_id = 0;

  g_return_val_if_fail (WPI_IS_STORE (store), 0);
  g_return_val_if_fail (WPI_IS_PKI (pki), 0);
  g_return_val_if_fail (options != NULL, 0);

  normal_mac = wpi_mac_normalize (mac, error);
  if (normal_mac == NULL)
    return 0;
  /* Only a phone the service knows can be bootstrapped: the job needs its record. */
  phone = wpi_store_phone_get (store, normal_mac, error);
  if (phone == NULL)
    return 0;

  key_pem = wpi_pki_generate_key_pem (pki, error);
  if (key_pem == NULL)
    return 0;
  cert = wpi_pki_issue_client_cert (pki, normal_mac, key_pem, error);
  if (cert == NULL)
    return 0;
  p12 = wpi_pki_export_client_p12_base64 (pki, cert, error);
  if (p12 == NULL)
    return 0;
  cas = wpi_pki_get_ca_pems (pki);
  port = g_strdup_printf ("%u", options->secure_port);

  if (options->with_pin)
    {
      g_autoptr(WpiBootstrapData) data = wpi_bootstrap_data_new (p12, (const char * const *) cas,
                                                                 options->secure_port);
      g_autofree char *sealed = NULL;
      g_autofree char *retries = g_strdup_printf ("%u", options->max_retries);

      pin = wpi_pin_generate (options->pin_length, error);
      if (pin == NULL)
        return 0;
      sealed = wpi_bundle_seal (data, pin, options->iterations, error);
      if (sealed == NULL)
        return 0;
      /* Flow B, step 2 */
      wpi_store_item_array_add (items, "goto-secure-mode", FALSE, 0, "pin");
      wpi_store_item_array_add (items, "secure-mode-data", FALSE, 0, sealed);
      wpi_store_item_array_add (items, "max-pin-retries", FALSE, 0, retries);
    }
  else
    {
      /* Flow A, step 2 */
      wpi_store_item_array_add (items, "goto-secure-mode", FALSE, 0, "nopin");
      wpi_store_item_array_add (items, "dls-client-certificate", FALSE, 0, p12);
      for (guint i = 0; cas[i] != NULL; i++)
        wpi_store_item_array_add (items, "dls-server-ca", TRUE, i, cas[i]);
      wpi_store_item_array_add (items, "dls-secure-port", FALSE, 0, port);
    }

  /* D9: the PIN is durable, with its job, before it is ever shown */
  if (!wpi_store_transaction_begin (store, error))
    return 0;
  if (!wpi_store_job_enqueue (store, normal_mac, WPI_JOB_KIND_BOOTSTRAP,
                              options->with_pin ? WPI_BOOTSTRAP_PARAMETER_PIN : WPI_BOOTSTRAP_PARAMETER_NOPIN,
                              (WpiStoreItem *) items->data, items->len, &job_id, error) ||
      (options->with_pin &&
       !wpi_store_pin_create (store, normal_mac, pin, options->max_retries, job_id, NULL, error)))
    {
      wpi_store_transaction_rollback (store);
      return 0;
    }
  if (!wpi_store_transaction_commit (store, error))
    return 0;

  if (pin_out != NULL)
    *pin_out = g_steal_pointer (&pin);
  return job_id;
}
