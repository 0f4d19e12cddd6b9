/* wpi-sim-phone-secure.c: Secure Mode of a simulated phone (protocol.md §7.15, D6-D9, D15)
 *
 * The certificates a phone trusts (none checked in Default Mode; in Secure Mode only the
 * `dls-server-ca` ones), the bootstrap WriteItems it accepts, the PIN its user types to open
 * `secure-mode-data` (D8) and the TAN it answers with.
 */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>

#include "wpi-bundle.h"
#include "wpi-pin.h"
#include "wpi-sim-phone-private.h"
#include "wpi-sim-pins.h"

#define HTTP_TIMEOUT_SECONDS      30
#define PASSWORD_RETRIES_EXCEEDED "password retries exceeded"

/* ---------------------------------------------------------------------------------------- */
/* Certificates                                                                             */

static gboolean
accept_any_certificate (SoupMessage          *message,
                        GTlsCertificate      *certificate,
                        GTlsCertificateFlags  errors,
                        gpointer              user_data)
{
  /* Default Mode: a phone does not authenticate the service (protocol.md §2.1). */
  return TRUE;
}

/* A certificate database that trusts every chain: a phone in Default Mode does not
 * authenticate the service (protocol.md §2.1), and unlike the system database this one costs
 * nothing per connection. */
#define ACCEPT_ANY_TYPE_DATABASE (accept_any_database_get_type ())
G_DECLARE_FINAL_TYPE (AcceptAnyDatabase, accept_any_database, ACCEPT_ANY, DATABASE, GTlsDatabase)

struct _AcceptAnyDatabase
{
  GTlsDatabase parent_instance;
};

G_DEFINE_FINAL_TYPE (AcceptAnyDatabase, accept_any_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
accept_any_verify_chain (GTlsDatabase             *database,
                         GTlsCertificate          *chain,
                         const char               *purpose,
                         GSocketConnectable       *identity,
                         GTlsInteraction          *interaction,
                         GTlsDatabaseVerifyFlags   flags,
                         GCancellable             *cancellable,
                         GError                  **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error) ? G_TLS_CERTIFICATE_GENERIC_ERROR
                                                                   : 0;
}

static void
accept_any_database_class_init (AcceptAnyDatabaseClass *klass)
{
  G_TLS_DATABASE_CLASS (klass)->verify_chain = accept_any_verify_chain;
}

static void
accept_any_database_init (AcceptAnyDatabase *self)
{
}

GTlsDatabase *
wpi_sim_accept_any_database (void)
{
  static GTlsDatabase *database;

  if (g_once_init_enter (&database))
    g_once_init_leave (&database, g_object_new (ACCEPT_ANY_TYPE_DATABASE, NULL));
  return database;
}

/* Secure Mode trusts the `dls-server-ca` certificates and nothing else: a chain is good when
 * one of them signed it and it names the host the phone called. Built from PEM in memory, as
 * the phone received it; GTlsFileDatabase would need a file. */
#define SIM_TYPE_CA_DATABASE (sim_ca_database_get_type ())
G_DECLARE_FINAL_TYPE (SimCaDatabase, sim_ca_database, SIM, CA_DATABASE, GTlsDatabase)

struct _SimCaDatabase
{
  GTlsDatabase  parent_instance;
  GPtrArray    *cas;   /* of GTlsCertificate */
};

G_DEFINE_FINAL_TYPE (SimCaDatabase, sim_ca_database, G_TYPE_TLS_DATABASE)

static GTlsCertificateFlags
sim_ca_verify_chain (GTlsDatabase             *database,
                     GTlsCertificate          *chain,
                     const char               *purpose,
                     GSocketConnectable       *identity,
                     GTlsInteraction          *interaction,
                     GTlsDatabaseVerifyFlags   flags,
                     GCancellable             *cancellable,
                     GError                  **error)
{
  SimCaDatabase *self = SIM_CA_DATABASE (database);
  GTlsCertificateFlags result = G_TLS_CERTIFICATE_UNKNOWN_CA;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return G_TLS_CERTIFICATE_GENERIC_ERROR;
  for (guint i = 0; i < self->cas->len; i++)
    {
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      GTlsCertificateFlags found = g_tls_certificate_verify (chain, identity,
                                                             g_ptr_array_index (self->cas, i));
      G_GNUC_END_IGNORE_DEPRECATIONS

      if (found == 0)
        return 0;
      /* report the most telling problem: a wrong name or date under a known CA */
      if ((found & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
        result = found;
    }
  return result;
}

static void
sim_ca_database_finalize (GObject *object)
{
  g_clear_pointer (&SIM_CA_DATABASE (object)->cas, g_ptr_array_unref);
  G_OBJECT_CLASS (sim_ca_database_parent_class)->finalize (object);
}

static void
sim_ca_database_class_init (SimCaDatabaseClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = sim_ca_database_finalize;
  G_TLS_DATABASE_CLASS (klass)->verify_chain = sim_ca_verify_chain;
}

static void
sim_ca_database_init (SimCaDatabase *self)
{
  self->cas = g_ptr_array_new_with_free_func (g_object_unref);
}

SimCredentials *
_wpi_sim_credentials_ref (SimCredentials *credentials)
{
  g_atomic_ref_count_inc (&credentials->ref_count);
  return credentials;
}

void
_wpi_sim_credentials_unref (SimCredentials *credentials)
{
  if (!g_atomic_ref_count_dec (&credentials->ref_count))
    return;
  g_clear_object (&credentials->certificate);
  g_clear_object (&credentials->cas);
  g_free (credentials);
}

static gboolean
append_pem (GString  *pem,
            int       ret,
            gnutls_datum_t *out)
{
  if (ret < 0)
    return FALSE;
  g_string_append_len (pem, (const char *) out->data, out->size);
  gnutls_memset (out->data, 0, out->size);
  gnutls_free (out->data);
  return TRUE;
}

/* D7: the PKCS#12 with the empty password, read with GnuTLS: plain bags as the service
 * writes them, or bags encrypted under the empty password as `certtool --to-p12
 * --empty-password` and older services make them. (glib-networking 2.74 reads it
 * with g_tls_certificate_new_from_pkcs12() too, but only with a NULL password; with ""
 * it warns that the certificate was set before the password.) */
static GTlsCertificate *
certificate_from_pkcs12 (const guchar  *der,
                         gsize          length,
                         GError       **error)
{
  gnutls_pkcs12_t p12 = NULL;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t *chain = NULL;
  unsigned int chain_size = 0;
  gnutls_datum_t data = { (unsigned char *) der, (unsigned int) length };
  gnutls_datum_t out = { NULL, 0 };
  g_autoptr(GString) pem = g_string_new (NULL);
  GTlsCertificate *certificate = NULL;
  const char *what = "not a PKCS#12 file";
  int ret;

  if ((ret = gnutls_pkcs12_init (&p12)) < 0 ||
      (ret = gnutls_pkcs12_import (p12, &data, GNUTLS_X509_FMT_DER, 0)) < 0)
    goto fail;
  what = "the empty password does not open it";
  if ((ret = gnutls_pkcs12_verify_mac (p12, "")) < 0 ||
      (ret = gnutls_pkcs12_simple_parse (p12, "", &key, &chain, &chain_size, NULL, NULL, NULL,
                                         0)) < 0)
    goto fail;
  what = "it holds no private key with a certificate";
  if (key == NULL || chain_size == 0)
    {
      ret = GNUTLS_E_INVALID_REQUEST;
      goto fail;
    }

  /* the certificate and its issuers, leaf first, then the key */
  what = "GnuTLS cannot encode it";
  for (unsigned int i = 0; i < chain_size; i++)
    if (!append_pem (pem, ret = gnutls_x509_crt_export2 (chain[i], GNUTLS_X509_FMT_PEM, &out), &out))
      goto fail;
  if (!append_pem (pem, ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                                 GNUTLS_PKCS_PLAIN, &out), &out))
    goto fail;
  certificate = g_tls_certificate_new_from_pem (pem->str, pem->len, error);
  goto out;

fail:
  g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL, "%s (%s)", what,
               gnutls_strerror (ret));
out:
  gnutls_memset (pem->str, 0, pem->len);
  for (unsigned int i = 0; i < chain_size; i++)
    gnutls_x509_crt_deinit (chain[i]);
  gnutls_free (chain);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);
  if (p12 != NULL)
    gnutls_pkcs12_deinit (p12);
  return certificate;
}

/* The `dls-server-ca` certificates, each in PEM; at least one. */
static gboolean
sim_ca_database_add_pems (SimCaDatabase  *self,
                          char          **pems,
                          GError        **error)
{
  for (guint i = 0; pems != NULL && pems[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      GTlsCertificate *ca = g_tls_certificate_new_from_pem (pems[i], -1, &local_error);

      if (ca == NULL)
        {
          g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL,
                       "dls-server-ca %u is not a PEM certificate: %s", i, local_error->message);
          return FALSE;
        }
      g_ptr_array_add (self->cas, ca);
    }
  if (self->cas->len == 0)
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL,
                   "no dls-server-ca: the phone would trust no server");
      return FALSE;
    }
  return TRUE;
}

/* What a phone makes of the bootstrap items (D7): the PKCS#12 opened with the empty
 * password, each CA parsed. Any failure names the item at fault. Safe in any thread. */
static SimCredentials *
sim_credentials_new (const WpiBootstrapData  *data,
                     const char             **bad_item,
                     GError                 **error)
{
  g_autoptr(SimCredentials) credentials = g_new0 (SimCredentials, 1);
  g_autoptr(SimCaDatabase) cas = g_object_new (SIM_TYPE_CA_DATABASE, NULL);
  g_autofree guchar *der = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;

  g_atomic_ref_count_init (&credentials->ref_count);
  *bad_item = "dls-client-certificate";
  if (data->client_certificate != NULL && *data->client_certificate != '\0')
    der = g_base64_decode (data->client_certificate, &length);
  if (length == 0)
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL,
                   "dls-client-certificate is empty or not base64");
      return NULL;
    }
  credentials->certificate = certificate_from_pkcs12 (der, length, &local_error);
  gnutls_memset (der, 0, length);
  if (credentials->certificate == NULL)
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL,
                   "dls-client-certificate: %s", local_error->message);
      return NULL;
    }

  *bad_item = "dls-server-ca";
  if (!sim_ca_database_add_pems (cas, data->server_cas, error))
    return NULL;

  *bad_item = "dls-secure-port";
  if (data->secure_port == 0 || data->secure_port > 65535)
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL,
                   "dls-secure-port %u is not a port", data->secure_port);
      return NULL;
    }

  *bad_item = NULL;
  credentials->cas = G_TLS_DATABASE (g_steal_pointer (&cas));
  credentials->port = data->secure_port;
  return g_steal_pointer (&credentials);
}

/* ---------------------------------------------------------------------------------------- */
/* Where a request goes                                                                     */

static gboolean
is_service_host (WpiSimPhone *self,
                 GUri        *uri)
{
  int service_port = g_uri_get_port (self->service);
  int port = g_uri_get_port (uri);

  if (g_ascii_strcasecmp (g_uri_get_host (uri) ?: "", g_uri_get_host (self->service)) != 0)
    return FALSE;
  if (service_port <= 0)
    service_port = SIM_DEFAULT_SERVICE_PORT;
  return port == service_port || (self->credentials != NULL && port == (int) self->credentials->port);
}

char *
_wpi_sim_base_uri_for (const char *scheme,
                       const char *host,
                       int         port)
{
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, host, port, "", NULL, NULL);

  return g_uri_to_string (uri);
}

SoupSession *
_wpi_sim_phone_session_new (WpiSimPhone  *self,
                            GTlsDatabase *database)
{
  g_autoptr(GSocketAddress) local = NULL;

  if (self->bind_local)
    local = g_inet_socket_address_new (g_inet_socket_address_get_address (self->contact_address), 0);
  return soup_session_new_with_options ("timeout", HTTP_TIMEOUT_SECONDS,
                                        "idle-timeout", 10,
                                        "max-conns", 16,
                                        "max-conns-per-host", 8,
                                        "local-address", local,
                                        "user-agent", NULL,
                                        /* phones talk to the service directly */
                                        "proxy-resolver", NULL,
                                        "tls-database", database,
                                        NULL);
}

/* The phone's session for the service in Default Mode (checking no certificate: the
 * default database would load the system CA store for every connection) or in Secure Mode
 * (trusting the credentials' CAs, which must be there), made when a request needs it and
 * dropped when the phone has nothing under way (_wpi_sim_phone_operation_end()). */
SoupSession *
_wpi_sim_phone_get_session (WpiSimPhone *self,
                            gboolean     secure)
{
  SoupSession **session = secure ? &self->secure_session : &self->session;

  g_assert (!secure || self->credentials != NULL);
  if (*session == NULL)
    *session = _wpi_sim_phone_session_new (self, secure ? self->credentials->cas
                                                        : wpi_sim_accept_any_database ());
  return *session;
}

/* How a request to uri goes out: in Secure Mode, whatever goes to the service goes to its
 * secure port with the phone's certificate (it never talks to the default port again);
 * anything else, and everything in Default Mode, trusts any server. Returns the URI to use. */
GUri *
_wpi_sim_phone_prepare_request (WpiSimPhone      *self,
                                GUri             *uri,
                                SoupSession     **session,
                                SimCredentials  **credentials)
{
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE && is_service_host (self, uri))
    {
      *session = g_object_ref (_wpi_sim_phone_get_session (self, TRUE));
      *credentials = _wpi_sim_credentials_ref (self->credentials);
      return g_uri_build (G_URI_FLAGS_ENCODED, "https", NULL, g_uri_get_host (uri),
                          self->credentials->port, g_uri_get_path (uri), g_uri_get_query (uri),
                          NULL);
    }
  *session = g_object_ref (_wpi_sim_phone_get_session (self, FALSE));
  *credentials = NULL;
  return g_uri_ref (uri);
}

void
_wpi_sim_message_set_credentials (SoupMessage    *message,
                                  SimCredentials *credentials)
{
  if (credentials != NULL)
    soup_message_set_tls_client_certificate (message, credentials->certificate);
  else
    g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* The bootstrap WriteItems                                                                 */

/* The items of a bootstrap WriteItems (§7.15): the phone acts on them, it does not store
 * them as settings. */
gboolean
_wpi_sim_is_bootstrap_item (const char *name)
{
  static const char * const names[] = {
    "goto-secure-mode", "dls-client-certificate", "dls-server-ca", "dls-secure-port",
    "secure-mode-data", "max-pin-retries",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (name, names[i]) == 0)
      return TRUE;
  return FALSE;
}

static void
refuse_item (GPtrArray     *refused,
             const char    *name,
             gint64         index,
             WpiItemStatus  status)
{
  WpiItem *item = index >= 0 ? wpi_item_new_indexed (name, index, "") : wpi_item_new (name, "");

  wpi_item_set_status (item, wpi_item_status_to_string (status));
  g_ptr_array_add (refused, item);
}

static int
compare_item_index (gconstpointer a,
                    gconstpointer b)
{
  const WpiItem *first = *(const WpiItem * const *) a;
  const WpiItem *second = *(const WpiItem * const *) b;

  return (first->index > second->index) - (first->index < second->index);
}

/* goto-secure-mode=nopin: the certificate, CAs and port must make working credentials. */
static gboolean
flow_take_nopin_bootstrap (SimFlow    *flow,
                           WpiMessage *answer,
                           GPtrArray  *refused)
{
  g_autoptr(GPtrArray) ca_items = g_ptr_array_new ();
  g_autoptr(GPtrArray) cas = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *port_text = wpi_message_get_item_value (answer, "dls-secure-port");
  const char *bad_item = NULL;
  WpiBootstrapData data = { 0 };
  guint64 port = 0;
  guint n = wpi_message_get_n_items (answer);

  for (guint i = 0; i < n; i++)
    {
      const WpiItem *item = wpi_message_get_item (answer, i);

      if (strcmp (item->name, "dls-server-ca") == 0)
        g_ptr_array_add (ca_items, (gpointer) item);
    }
  /* the index orders the CAs; the phone trusts each of them */
  g_ptr_array_sort (ca_items, compare_item_index);
  for (guint i = 0; i < ca_items->len; i++)
    g_ptr_array_add (cas, ((const WpiItem *) g_ptr_array_index (ca_items, i))->value);
  g_ptr_array_add (cas, NULL);

  if (port_text != NULL)
    g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL);
  data.client_certificate = (char *) wpi_message_get_item_value (answer, "dls-client-certificate");
  data.server_cas = (GStrv) cas->pdata;
  data.secure_port = (guint) port;

  flow->bootstrap = sim_credentials_new (&data, &bad_item, &error);
  if (flow->bootstrap == NULL)
    {
      _wpi_sim_phone_flow_trail_append (flow, error->message);
      refuse_item (refused, bad_item, -1, WPI_ITEM_STATUS_INVALID_DATA);
      return FALSE;
    }
  return TRUE;
}

/* goto-secure-mode=pin: the bundle is opened once the user typed the PIN. */
static gboolean
flow_take_pin_bootstrap (SimFlow    *flow,
                         WpiMessage *answer,
                         GPtrArray  *refused)
{
  const char *data = wpi_message_get_item_value (answer, "secure-mode-data");
  const char *retries = wpi_message_get_item_value (answer, "max-pin-retries");
  guint64 attempts = WPI_PIN_DEFAULT_MAX_RETRIES;

  if (data == NULL || *data == '\0')
    {
      _wpi_sim_phone_flow_trail_append (flow, "no secure-mode-data");
      refuse_item (refused, "secure-mode-data", -1, WPI_ITEM_STATUS_INVALID_DATA);
      return FALSE;
    }
  if (retries != NULL && !g_ascii_string_to_unsigned (retries, 10, 0, 1000, &attempts, NULL))
    {
      _wpi_sim_phone_flow_trail_append (flow, "max-pin-retries is not a number");
      refuse_item (refused, "max-pin-retries", -1, WPI_ITEM_STATUS_INVALID_DATA);
      return FALSE;
    }

  flow->pin_bootstrap = g_new0 (PinRequest, 1);
  flow->pin_bootstrap->secure_mode_data = g_strdup (data);
  /* the user gets at least one try */
  flow->pin_bootstrap->max_attempts = MAX ((guint) attempts, 1);
  return TRUE;
}

/* A WriteItems with goto-secure-mode (§7.15 step 2): checks the bootstrap set now and keeps
 * it for the end of the flow (step 4, the CleanUp). FALSE, with the items at fault in
 * refused, when it cannot work. */
gboolean
_wpi_sim_phone_flow_take_bootstrap (SimFlow    *flow,
                                    WpiMessage *answer,
                                    GPtrArray  *refused)
{
  const char *mode = wpi_message_get_item_value (answer, "goto-secure-mode");

  g_clear_pointer (&flow->bootstrap, _wpi_sim_credentials_unref);
  g_clear_pointer (&flow->pin_bootstrap, _wpi_sim_pin_request_free);
  if (g_strcmp0 (mode, "nopin") == 0)
    return flow_take_nopin_bootstrap (flow, answer, refused);
  if (g_strcmp0 (mode, "pin") == 0)
    return flow_take_pin_bootstrap (flow, answer, refused);
  _wpi_sim_phone_flow_trail_append (flow, "goto-secure-mode is neither nopin nor pin");
  refuse_item (refused, "goto-secure-mode", -1, WPI_ITEM_STATUS_INVALID_DATA);
  return FALSE;
}

/* ---------------------------------------------------------------------------------------- */
/* Secure Mode and the PIN dialog                                                           */

void
_wpi_sim_pin_request_free (PinRequest *request)
{
  g_free (request->secure_mode_data);
  g_free (request);
}

static void
phone_set_mode (WpiSimPhone     *self,
                WpiSimPhoneMode  mode)
{
  if (self->mode == mode)
    return;
  self->mode = mode;
  _wpi_sim_phone_notify (self, PROP_MODE);
}

static void
phone_set_secure_port_item (WpiSimPhone *self)
{
  WpiSimItem *item = wpi_sim_items_lookup (self->items, "dls-secure-port", -1);
  g_autofree char *port = NULL;

  if (item == NULL)
    return;
  if (self->credentials != NULL)
    port = g_strdup_printf ("%u", self->credentials->port);
  wpi_sim_items_set_value (self->items, "dls-secure-port", port ?: item->factory_value);
}

void
_wpi_sim_phone_end_pin_request (WpiSimPhone *self)
{
  wpi_sim_timer_clear (&self->pin_timer);
  if (self->pin_request == NULL)
    return;
  g_clear_pointer (&self->pin_request, _wpi_sim_pin_request_free);
  /* an attempt still running belongs to this request: void */
  self->pin_generation++;
  _wpi_sim_phone_notify (self, PROP_AWAITING_PIN);
}

/* §7.15 step 5/6: keep the credentials and start up on the secure port with them. */
static void
phone_enter_secure_mode (WpiSimPhone    *self,
                         SimCredentials *credentials)
{
  _wpi_sim_phone_end_pin_request (self);
  g_clear_pointer (&self->pending_clean_up, g_free);
  g_clear_pointer (&self->credentials, _wpi_sim_credentials_unref);
  self->credentials = _wpi_sim_credentials_ref (credentials);
  /* the next request builds the session that trusts the new CAs */
  g_clear_object (&self->secure_session);
  phone_set_secure_port_item (self);
  phone_set_mode (self, WPI_SIM_PHONE_MODE_SECURE);
  _wpi_sim_phone_notify (self, PROP_SECURE_PORT);

  self->pending_startup = TRUE;
  self->retry_not_before = 0;
  self->n_failures = 0;
  _wpi_sim_phone_kick (self);
}

/* Forgets certificate, CAs and port: a factory reset (D15), or a bootstrap whose TAN the
 * service refused. */
void
_wpi_sim_phone_leave_secure_mode (WpiSimPhone *self)
{
  gboolean had_port = self->credentials != NULL;

  g_clear_pointer (&self->credentials, _wpi_sim_credentials_unref);
  g_clear_object (&self->secure_session);
  g_clear_pointer (&self->tan, g_free);
  phone_set_secure_port_item (self);
  phone_set_mode (self, WPI_SIM_PHONE_MODE_DEFAULT);
  if (had_port)
    _wpi_sim_phone_notify (self, PROP_SECURE_PORT);
}

typedef struct {
  char   *secure_mode_data;
  char   *pin;
  guint   iterations;
  guint   generation;
} PinAttempt;

static void
pin_attempt_free (PinAttempt *attempt)
{
  g_free (attempt->secure_mode_data);
  g_free (attempt->pin);
  g_free (attempt);
}

/* In a worker thread: PBKDF2 with 100,000 iterations is tens of milliseconds, too long for
 * the thread that runs a thousand phones. */
static void
pin_attempt_run (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  PinAttempt *attempt = task_data;
  g_autoptr(WpiBootstrapData) data = NULL;
  g_autoptr(GError) error = NULL;
  SimCredentials *credentials;
  const char *bad_item = NULL;

  data = wpi_bundle_open (attempt->secure_mode_data, attempt->pin, attempt->iterations, &error);
  if (data == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  credentials = sim_credentials_new (data, &bad_item, &error);
  if (credentials == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, credentials, (GDestroyNotify) _wpi_sim_credentials_unref);
}

/* --wrong-tan: every digit one higher, so it never matches. */
static char *
make_wrong_tan (const char *tan)
{
  char *wrong = g_strdup (tan);

  for (char *p = wrong; *p != '\0'; p++)
    *p = g_ascii_isdigit (*p) ? (char) ('0' + (*p - '0' + 1) % 10) : '0';
  return wrong;
}

static void phone_try_pin (WpiSimPhone *self);

static gboolean
pin_retry_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->pin_timer = 0;
  phone_try_pin (self);
  return G_SOURCE_REMOVE;
}

static gboolean
pin_ask_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->pin_timer = 0;
  _wpi_sim_phone_ask_pin (self);
  return G_SOURCE_REMOVE;
}

void
_wpi_sim_phone_schedule_pin (WpiSimPhone *self,
                             double       delay,
                             gboolean     ask)
{
  wpi_sim_timer_clear (&self->pin_timer);
  self->pin_timer = wpi_sim_timer_add (delay, ask ? pin_ask_cb : pin_retry_cb, self);
}

/* The phone gives up on the bootstrap and says why (Flow C). */
static void
phone_abandon_pin_request (WpiSimPhone *self,
                           const char  *reason)
{
  _wpi_sim_phone_end_pin_request (self);
  g_free (self->pending_clean_up);
  self->pending_clean_up = g_strdup (reason);
  _wpi_sim_phone_kick (self);
}

/* The PIN opened secure-mode-data: the phone keeps its TAN and goes to Secure Mode. */
static void
pin_accepted (WpiSimPhone    *self,
              PinAttempt     *attempt,
              SimCredentials *credentials)
{
  PinRequest *request = self->pin_request;
  guint left = request->max_attempts - request->failures;
  const char *tan = wpi_pin_get_tan (attempt->pin);

  g_free (self->tan);
  self->tan = self->wrong_tan ? make_wrong_tan (tan) : g_strdup (tan);
  _wpi_sim_phone_end_pin_request (self);
  _wpi_sim_phone_emit_pin_entered (self, TRUE, left);
  phone_enter_secure_mode (self, credentials);
}

/* A wrong PIN uses up an attempt; after the last one the phone gives up (Flow C). */
static void
pin_refused (WpiSimPhone *self)
{
  PinRequest *request = self->pin_request;
  guint generation = self->pin_generation;
  guint left;

  request->failures++;
  left = request->max_attempts - request->failures;
  _wpi_sim_phone_emit_pin_entered (self, FALSE, left);
  /* a handler may have ended the dialog */
  if (self->pin_request != request || self->pin_generation != generation)
    return;
  if (left == 0)
    {
      phone_abandon_pin_request (self, PASSWORD_RETRIES_EXCEEDED);
      return;
    }
  /* the dialog asks again; the user takes a moment, so a PIN that stays wrong does not
   * use up every attempt at once */
  _wpi_sim_phone_schedule_pin (self, self->pin_interval, TRUE);
}

static void
pin_attempt_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  WpiSimPhone *self = WPI_SIM_PHONE (source);
  PinAttempt *attempt = g_task_get_task_data (G_TASK (result));
  g_autoptr(SimCredentials) credentials = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;

  self->pin_attempt_running = FALSE;
  _wpi_sim_phone_operation_end (self);
  credentials = g_task_propagate_pointer (G_TASK (result), &error);

  /* stopped, or a new bootstrap or a factory reset came meanwhile: the attempt is void */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->started ||
      self->pin_request == NULL || attempt->generation != self->pin_generation)
    {
      if (self->started && self->pin_request != NULL)
        phone_try_pin (self);
      return;
    }

  if (credentials != NULL)
    pin_accepted (self, attempt, credentials);
  else if (g_error_matches (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN) ||
           g_error_matches (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_PIN))
    pin_refused (self);
  else
    {
      /* the PIN opened it, or it is no bundle at all: this bootstrap cannot work */
      reason = g_strdup_printf ("invalid secure-mode-data: %s", error->message);
      phone_abandon_pin_request (self, reason);
    }
}

/* Where the user's PIN comes from: the one set, else the handout's line for this phone,
 * read now (a handout printed after the phone started asking is seen). */
static char *
phone_find_pin (WpiSimPhone *self)
{
  /* one message per problem with the file, not one per phone every few seconds */
  static char *last_problem;
  g_autoptr(GError) error = NULL;
  char *pin;

  if (self->pin != NULL)
    return g_strdup (self->pin);
  if (self->pins_file == NULL)
    return NULL;
  pin = wpi_sim_pins_lookup (self->pins_file, self->mac, &error);
  if (error != NULL && g_strcmp0 (last_problem, error->message) != 0)
    {
      g_message ("Cannot read PINs: %s", error->message);
      g_free (last_problem);
      last_problem = g_strdup (error->message);
    }
  return pin;
}

static void
phone_try_pin (WpiSimPhone *self)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *pin = NULL;
  PinAttempt *attempt;

  if (!self->started || self->rebooting || self->pin_request == NULL || self->pin_attempt_running)
    return;
  wpi_sim_timer_clear (&self->pin_timer);

  pin = phone_find_pin (self);
  if (pin == NULL)
    {
      /* nothing to type yet: look again later, without using up an attempt */
      _wpi_sim_phone_schedule_pin (self, self->pin_interval, FALSE);
      return;
    }

  attempt = g_new0 (PinAttempt, 1);
  attempt->secure_mode_data = g_strdup (self->pin_request->secure_mode_data);
  attempt->pin = g_steal_pointer (&pin);
  attempt->iterations = self->bundle_iterations;
  attempt->generation = self->pin_generation;
  self->pin_attempt_running = TRUE;
  _wpi_sim_phone_operation_begin (self);

  task = g_task_new (self, self->cancellable, pin_attempt_done, NULL);
  g_task_set_source_tag (task, phone_try_pin);
  g_task_set_task_data (task, attempt, (GDestroyNotify) pin_attempt_free);
  g_task_run_in_thread (task, pin_attempt_run);
}

/* The PIN dialog shows; a handler of pin-requested may type the PIN at once. */
void
_wpi_sim_phone_ask_pin (WpiSimPhone *self)
{
  g_autoptr(WpiSimPhone) hold = g_object_ref (self);
  guint generation = self->pin_generation;

  if (!self->started || self->rebooting || self->pin_request == NULL)
    return;
  _wpi_sim_phone_emit_pin_requested (self);
  if (self->pin_request != NULL && self->pin_generation == generation)
    phone_try_pin (self);
}

/* After the CleanUp of a PIN bootstrap (§7.15 step 5). Takes the request. */
static void
phone_request_pin (WpiSimPhone *self,
                   PinRequest  *request)
{
  _wpi_sim_phone_end_pin_request (self);
  g_clear_pointer (&self->pending_clean_up, g_free);
  self->pin_request = request;
  self->pin_generation++;
  _wpi_sim_phone_notify (self, PROP_AWAITING_PIN);
  _wpi_sim_phone_ask_pin (self);
}

/* ---------------------------------------------------------------------------------------- */
/* The TAN and the end of the bootstrap flow                                                */

/* §7.15 step 8: `bootstrapping-tan` is the last 3 digits of the PIN that opened the bundle;
 * "failed" when no PIN bootstrap is under way. */
WpiItem *
_wpi_sim_phone_flow_answer_tan (SimFlow *flow)
{
  WpiSimPhone *self = flow->phone;
  WpiItem *tan = wpi_item_new ("bootstrapping-tan", self->tan ?: "");

  if (self->tan == NULL)
    wpi_item_set_status (tan, "failed");
  else
    flow->answered_tan = TRUE;
  return tan;
}

/* After a flow that succeeded: the TAN's fate (step 9), then the bootstrap it accepted. */
void
_wpi_sim_phone_flow_bootstrap_done (SimFlow *flow)
{
  WpiSimPhone *self = flow->phone;

  if (flow->tan_refused)
    {
      /* back to Default Mode, and register there again */
      _wpi_sim_phone_leave_secure_mode (self);
      self->pending_startup = TRUE;
    }
  else if (flow->answered_tan)
    g_clear_pointer (&self->tan, g_free);   /* the bootstrap is complete */

  /* §7.15 step 4: the CleanUp ended the flow, now the phone acts on the bootstrap */
  if (flow->bootstrap != NULL)
    phone_enter_secure_mode (self, flow->bootstrap);
  else if (flow->pin_bootstrap != NULL)
    phone_request_pin (self, g_steal_pointer (&flow->pin_bootstrap));
}
