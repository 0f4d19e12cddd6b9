/* test-util-service.c: a WpiService for tests (see test-util-service.h) */
#include "test-util-service.h"
#include "wpi-bootstrap.h"

WpiService *
test_util_service_new (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiService *service;

  test_util_install_pki (data_dir);
  service = wpi_service_new (data_dir, &error);
  g_assert_no_error (error);
  /* Loopback only, and never the real ports 18443/18444 */
  wpi_service_set_bind_address (service, "127.0.0.1");
  wpi_service_set_ports (service, 0, 0);
  return service;
}

WpiService *
test_util_service_start (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiService *service = test_util_service_new (data_dir);

  g_assert_true (wpi_service_start (service, &error));
  g_assert_no_error (error);
  return service;
}

char *
test_util_service_uri (WpiService *service,
                       gboolean    secure)
{
  guint port = secure ? wpi_service_get_secure_port (service) : wpi_service_get_port (service);

  return g_strdup_printf ("https://127.0.0.1:%u", port);
}

gint64
test_util_service_enqueue (WpiService *service,
                           const char *mac,
                           WpiJobKind  kind,
                           GArray     *items)
{
  g_autoptr(GError) error = NULL;
  gint64 id = wpi_service_enqueue_job (service, mac, kind, NULL, items, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

WpiJobState
test_util_service_job_state (WpiService *service,
                             gint64      id,
                             char      **reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiJobRecord) job = wpi_store_job_get (wpi_service_get_store (service), id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (job);
  if (reason != NULL)
    {
      g_free (*reason);
      *reason = g_strdup (job->failure_reason);
    }
  return job->state;
}

gint64
test_util_service_prepare_bootstrap (WpiService *service,
                                     const char *mac,
                                     gboolean    with_pin,
                                     guint       max_retries,
                                     guint       iterations,
                                     char      **pin)
{
  WpiBootstrapOptions options;
  g_autoptr(GError) error = NULL;
  gint64 id;

  wpi_bootstrap_options_init (&options);
  options.with_pin = with_pin;
  if (max_retries > 0)
    options.max_retries = max_retries;
  options.secure_port = wpi_service_get_secure_port (service);
  options.iterations = iterations;
  id = wpi_bootstrap_prepare (wpi_service_get_store (service), wpi_service_get_pki (service), mac,
                              &options, pin, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

WpiServiceHost *
test_util_service_host_new (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiServiceHost *host;

  test_util_install_pki (data_dir);
  host = wpi_service_host_new (data_dir, &error);
  g_assert_no_error (error);
  wpi_service_host_set_bind_address (host, "127.0.0.1");
  wpi_service_host_set_ports (host, 0, 0);
  return host;
}

WpiServiceHost *
test_util_service_host_start (const char *data_dir)
{
  g_autoptr(GError) error = NULL;
  WpiServiceHost *host = test_util_service_host_new (data_dir);

  g_assert_true (wpi_service_host_start (host, &error));
  g_assert_no_error (error);
  return host;
}

char *
test_util_service_host_uri (WpiServiceHost *host,
                            gboolean        secure)
{
  guint port = secure ? wpi_service_host_get_secure_port (host) : wpi_service_host_get_port (host);

  return g_strdup_printf ("https://127.0.0.1:%u", port);
}
