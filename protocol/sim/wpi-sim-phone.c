/* wpi-sim-phone.c: one simulated OpenStage phone */
#include "config.h"

#include <math.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <libsoup/soup.h>

#include "wpi-bundle.h"
#include "wpi-bundle.h"
#include "wpi-codec.h"
#include "wpi-sim-enums.h"
#include "wpi-fragment.h"
#include "wpi-pin.h"
#include "wpi-sim-events.h"
#include "wpi-sim-items.h"
#include "wpi-sim-phone.h"
#include "wpi-sim-pins.h"

#define DEFAULT_SERVICE_PORT      18443
#define FILE_SIZE_LIMIT           (256 * 1024 * 1024)
#define HTTP_TIMEOUT_SECONDS      30
#define MAX_RETRY_FACTOR          8
#define PASSWORD_RETRIES_EXCEEDED "password retries exceeded"

typedef struct _SimFlow SimFlow;

/* What Secure Mode needs (protocol.md §7.15): the phone's certificate with its private key,
 * the CAs it trusts for the service, the port. Shared by reference: a flow keeps what it
 * started with. */
typedef struct {
  gatomicrefcount  ref_count;
  GTlsCertificate *certificate;
  GTlsDatabase    *cas;
  guint            port;
} SimCredentials;

/* A PIN bootstrap between its CleanUp and the end of the PIN dialog. */
typedef struct {
  char    *secure_mode_data;
  guint    max_attempts;      /* `max-pin-retries`: wrong PINs allowed before giving up */
  guint    failures;
} PinRequest;

typedef struct {
  char    *name;
  char    *type;
  char    *status;  /* "ok" or "failed" */
  char    *date;    /* DD:MM:YYYY as in the guide's example */
  char    *time;    /* HH:MM:SS */
  guint64  size;
} SimFile;

struct _WpiSimPhone
{
  GObject             parent_instance;

  /* identity */
  char               *mac;
  char               *device_type;
  WpiSimFirmware      firmware;
  GUri               *service;          /* scheme, host and port of the configured service */
  char               *service_uri;
  char               *initial_e164;     /* until the item set exists */
  GInetSocketAddress *contact_address;
  char               *contact_uri;
  gboolean            bind_local;

  /* behaviour */
  gint64              max_items;
  double              busy_ratio;
  double              call_seconds;
  double              local_changes_interval;
  double              inventory_changes_interval;
  double              ignore_contact_ratio;
  double              poll_interval;
  char               *poll_uri;
  double              restart_seconds;
  double              retry_seconds;

  /* Secure Mode */
  WpiSimPhoneMode     mode;
  SimCredentials     *credentials;      /* in Secure Mode */
  SoupSession        *secure_session;   /* mutual TLS, trusting the credentials' CAs */
  char               *tan;              /* answer to bootstrapping-tan, until it was accepted */
  PinRequest         *pin_request;      /* the PIN dialog is open */
  char               *pin;              /* what the user types, from set_pin */
  char               *pins_file;
  double              pin_interval;
  guint               bundle_iterations;
  gboolean            wrong_tan;
  gboolean            pin_attempt_running;
  guint               pin_generation;   /* a finished attempt for an older request is void */
  guint               pin_timer;
  char               *pending_clean_up; /* cleanup-reason of a clean-up to send */

  /* item set and deployed files */
  WpiSimItems        *items;
  GPtrArray          *files;            /* of SimFile */
  GPtrArray          *changed;          /* of char *, "name" or "name\x1Findex", to report */

  /* run time */
  GRand              *rand;
  SoupSession        *session;
  SoupServer         *server;
  WpiSimListener     *listener;
  GCancellable       *cancellable;      /* everything; cancelled by stop */
  GCancellable       *download_cancellable; /* background downloads; a reboot cancels them */
  SimFlow            *flow;
  guint               n_operations;
  gboolean            started;
  WpiSimPhoneState    state;
  gboolean            in_call;
  gboolean            manual_call;
  gboolean            rebooting;
  gboolean            pending_startup;
  gboolean            pending_solicited;
  gboolean            pending_contact;
  char               *contact_target;   /* base URI of the requested call-back */
  char               *abort_reason;     /* answer the next Action with clean-up */
  gboolean            pending_local_changes;
  gboolean            pending_inventory;
  gboolean            polling;
  gint64              retry_not_before;
  guint               n_failures;
  guint               kick_timer;
  guint               retry_timer;
  guint               call_timer;
  guint               local_changes_timer;
  guint               inventory_timer;
  guint               poll_timer;
  guint               reboot_timer;
};

struct _SimFlow
{
  WpiSimPhone      *phone;              /* strong */
  WpiReason         reason;
  GUri             *endpoint;
  SoupSession      *session;            /* the phone's session for this mode */
  SimCredentials   *credentials;        /* Secure Mode: presented on every request */
  char              nonce[33];
  char             *cookie;             /* "JSESSIONID=...", from the first answer */
  GCancellable     *cancellable;
  GString          *trail;              /* actions received, for the log line */
  char             *last_word;
  guint             repeats;
  guint             n_messages;
  gint64            started;
  gint64            queued;             /* time spent waiting for a request slot */
  gboolean          consumed_solicited; /* started for a send-solicited indication */
  gboolean          clears_changed_flag;/* the service learns the whole configuration */
  GPtrArray        *reported;           /* local changes this flow reports (keys) */

  /* phone-side fragmentation of the current reply */
  GPtrArray        *reply_items;        /* of WpiItem *, owned */
  GPtrArray        *fragments;          /* of GPtrArray of borrowed WpiItem * */
  guint             next_fragment;
  char             *reply_action;
  WpiMessageStatus  reply_status;

  /* what happens when the flow is over */
  SimCredentials   *bootstrap;          /* goto-secure-mode=nopin accepted */
  PinRequest       *pin_bootstrap;      /* goto-secure-mode=pin accepted */
  gboolean          answered_tan;
  gboolean          tan_refused;        /* CleanUp: wrong TAN from device */
  gboolean          reboot;
  gboolean          factory_reset;
  char             *software_url;
  char             *software_version;
};

enum {
  PROP_0,
  PROP_MAC,
  PROP_E164,
  PROP_DEVICE_TYPE,
  PROP_FIRMWARE,
  PROP_SOFTWARE_VERSION,
  PROP_SERVICE_URI,
  PROP_CONTACT_ADDRESS,
  PROP_CONTACT_URI,
  PROP_BIND_LOCAL,
  PROP_MAX_ITEMS,
  PROP_BUSY_RATIO,
  PROP_CALL_SECONDS,
  PROP_LOCAL_CHANGES_INTERVAL,
  PROP_INVENTORY_CHANGES_INTERVAL,
  PROP_IGNORE_CONTACT_RATIO,
  PROP_POLL_INTERVAL,
  PROP_POLL_URI,
  PROP_RESTART_SECONDS,
  PROP_RETRY_SECONDS,
  PROP_STATE,
  PROP_IN_CALL,
  PROP_IN_FLOW,
  PROP_PENDING_SOLICITED,
  PROP_PINS_FILE,
  PROP_PIN_INTERVAL,
  PROP_BUNDLE_ITERATIONS,
  PROP_WRONG_TAN,
  PROP_MODE,
  PROP_SECURE_PORT,
  PROP_AWAITING_PIN,
  N_PROPS
};

enum {
  FLOW_STARTED,
  FLOW_FINISHED,
  DOWNLOAD_FINISHED,
  PIN_REQUESTED,
  PIN_ENTERED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WpiSimPhone, wpi_sim_phone, G_TYPE_OBJECT)
G_DEFINE_QUARK (wpi-sim-phone-error-quark, wpi_sim_phone_error)

static void phone_kick              (WpiSimPhone *self);
static void phone_reboot            (WpiSimPhone *self,
                                     gboolean     factory_reset);
static void phone_schedule_calls    (WpiSimPhone *self);
static void phone_schedule_periodic (WpiSimPhone *self);
static void flow_send               (SimFlow     *flow,
                                     WpiMessage  *message);
static void flow_finish             (SimFlow     *flow,
                                     gboolean     ok,
                                     const char  *detail);
static void phone_try_pin           (WpiSimPhone *self);

/* ---------------------------------------------------------------------------------------- */
/* Small helpers                                                                            */

static const char * const device_types[] = {
  "OpenStage 15", "OpenStage 20", "OpenStage 40", "OpenStage 60", "OpenStage 80",
  "OpenScape Desk Phone CP400", "OpenScape Desk Phone CP600", NULL,
};

const char * const *
wpi_sim_device_types (void)
{
  return device_types;
}

gboolean
wpi_sim_firmware_from_string (const char      *name,
                              WpiSimFirmware  *firmware,
                              GError         **error)
{
  g_return_val_if_fail (name != NULL, FALSE);

  if (g_ascii_strcasecmp (name, "v1") == 0)
    *firmware = WPI_SIM_FIRMWARE_V1;
  else if (g_ascii_strcasecmp (name, "v2r2") == 0)
    *firmware = WPI_SIM_FIRMWARE_V2R2;
  else if (g_ascii_strcasecmp (name, "v3r3") == 0)
    *firmware = WPI_SIM_FIRMWARE_V3R3;
  else
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
                   "unknown firmware \"%s\" (expected v1, v2r2 or v3r3)", name);
      return FALSE;
    }
  return TRUE;
}

const char *
wpi_sim_firmware_to_version (WpiSimFirmware firmware)
{
  switch (firmware)
    {
    case WPI_SIM_FIRMWARE_V1:   return "V1 R4.9.0";
    case WPI_SIM_FIRMWARE_V2R2: return "V2 R2.30.0";
    case WPI_SIM_FIRMWARE_V3R3: return "V3 R5.12.0";
    default:                    g_return_val_if_reached (NULL);
    }
}

static gboolean
parse_number (const char *str,
              guint64     max,
              guint64    *out)
{
  return g_ascii_string_to_unsigned (str, 10, 0, max, out, NULL);
}

char *
wpi_sim_software_version_from_file_version (const char  *file_version,
                                            GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 numbers[4];

  g_return_val_if_fail (file_version != NULL, NULL);

  parts = g_strsplit (file_version, ".", -1);
  if (g_strv_length (parts) != 4)
    goto invalid;
  for (guint i = 0; i < 4; i++)
    if (!parse_number (parts[i], 9999, &numbers[i]))
      goto invalid;

  return g_strdup_printf ("V%" G_GUINT64_FORMAT " R%" G_GUINT64_FORMAT ".%" G_GUINT64_FORMAT
                          ".%" G_GUINT64_FORMAT, numbers[0], numbers[1], numbers[2], numbers[3]);

invalid:
  g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
               "\"%s\" is not a file-sw-version like 3.5.12.0", file_version);
  return NULL;
}

/* "V3 R5.12.0" -> 305, so behaviour follows the running firmware, even after an upgrade. */
static guint
software_generation (const char *version)
{
  guint64 major = 0, release = 0;
  g_auto(GStrv) words = NULL;

  if (version == NULL)
    return 0;
  words = g_strsplit (version, " ", 2);
  if (g_strv_length (words) != 2 || (words[0][0] != 'V' && words[0][0] != 'v') ||
      (words[1][0] != 'R' && words[1][0] != 'r'))
    return 0;
  if (!parse_number (words[0] + 1, 99, &major))
    return 0;
  {
    g_autofree char *release_str = g_strndup (words[1] + 1, strcspn (words[1] + 1, "."));
    if (!parse_number (release_str, 99, &release))
      return 0;
  }
  return (guint) (major * 100 + release);
}

char *
wpi_sim_mac_add (const char  *base_mac,
                 guint64      offset,
                 GError     **error)
{
  g_auto(GStrv) parts = NULL;
  guint64 value = 0;

  g_return_val_if_fail (base_mac != NULL, NULL);

  parts = g_strsplit (base_mac, ":", -1);
  if (g_strv_length (parts) != 6)
    goto invalid;
  for (guint i = 0; i < 6; i++)
    {
      guint64 byte;

      if (strlen (parts[i]) != 2 || !g_ascii_string_to_unsigned (parts[i], 16, 0, 255, &byte, NULL))
        goto invalid;
      value = (value << 8) | byte;
    }
  if (offset > G_GUINT64_CONSTANT (0xFFFFFFFFFFFF) - value)
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
                   "%s + %" G_GUINT64_FORMAT " is past the last MAC address", base_mac, offset);
      return NULL;
    }
  value += offset;
  return g_strdup_printf ("%02X:%02X:%02X:%02X:%02X:%02X",
                          (guint) (value >> 40) & 0xFF, (guint) (value >> 32) & 0xFF,
                          (guint) (value >> 24) & 0xFF, (guint) (value >> 16) & 0xFF,
                          (guint) (value >> 8) & 0xFF, (guint) value & 0xFF);

invalid:
  g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
               "\"%s\" is not a MAC address like 00:1A:E8:00:00:01", base_mac);
  return NULL;
}

static void
sim_file_free (SimFile *file)
{
  g_free (file->name);
  g_free (file->type);
  g_free (file->status);
  g_free (file->date);
  g_free (file->time);
  g_free (file);
}

/* Exponentially distributed, so independent phones give a Poisson stream of events. */
static double
random_exponential (GRand  *rand,
                    double  mean)
{
  return -mean * log (1.0 - g_rand_double (rand));
}

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

static SimCredentials *
sim_credentials_ref (SimCredentials *credentials)
{
  g_atomic_ref_count_inc (&credentials->ref_count);
  return credentials;
}

static void
sim_credentials_unref (SimCredentials *credentials)
{
  if (!g_atomic_ref_count_dec (&credentials->ref_count))
    return;
  g_clear_object (&credentials->certificate);
  g_clear_object (&credentials->cas);
  g_free (credentials);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimCredentials, sim_credentials_unref)

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

/* D7: the PKCS#12 with the empty password, read with GnuTLS. (glib-networking 2.74 reads it
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
  for (guint i = 0; data->server_cas != NULL && data->server_cas[i] != NULL; i++)
    {
      GTlsCertificate *ca = g_tls_certificate_new_from_pem (data->server_cas[i], -1, &local_error);

      if (ca == NULL)
        {
          g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL,
                       "dls-server-ca %u is not a PEM certificate: %s", i, local_error->message);
          return NULL;
        }
      g_ptr_array_add (cas->cas, ca);
    }
  if (cas->cas->len == 0)
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_PROTOCOL,
                   "no dls-server-ca: the phone would trust no server");
      return NULL;
    }

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

/* At most this many requests of all phones of the process at once. glib-networking runs
 * every TLS handshake in a thread of GLib's small shared pool, blocking on the peer; a
 * thousand phones starting together would fill the pool with handshakes that wait for a
 * server that is busy with other phones' handshakes, and everything crawls. Phones, like the
 * rest of GLib here, run on one thread, so this needs no lock. */
static guint   gate_limit = WPI_SIM_DEFAULT_MAX_REQUESTS;
static guint   gate_active;
static GQueue  gate_waiting = G_QUEUE_INIT;

typedef struct {
  GFunc    func;
  gpointer data;
  gint64  *waited;     /* where to add the time spent queued, or NULL */
  gint64   since;
} GateWaiter;

void
wpi_sim_set_max_requests (guint max_requests)
{
  gate_limit = max_requests;
}

guint
wpi_sim_get_max_requests (void)
{
  return gate_limit;
}

/* Runs func now when a slot is free, else when one frees up, in order. */
static void
gate_enter (GFunc    func,
            gpointer data,
            gint64  *waited)
{
  GateWaiter *waiter;

  if (gate_limit == 0 || gate_active < gate_limit)
    {
      gate_active++;
      func (data, NULL);
      return;
    }
  waiter = g_new (GateWaiter, 1);
  waiter->func = func;
  waiter->data = data;
  waiter->waited = waited;
  waiter->since = g_get_monotonic_time ();
  g_queue_push_tail (&gate_waiting, waiter);
}

static void
gate_leave (void)
{
  GateWaiter *waiter;

  g_assert (gate_active > 0);
  gate_active--;
  while ((gate_limit == 0 || gate_active < gate_limit) &&
         (waiter = g_queue_pop_head (&gate_waiting)) != NULL)
    {
      gate_active++;
      if (waiter->waited != NULL)
        *waiter->waited += g_get_monotonic_time () - waiter->since;
      waiter->func (waiter->data, NULL);
      g_free (waiter);
    }
}

static gboolean
is_true (const char *value)
{
  return value != NULL && (g_ascii_strcasecmp (value, "true") == 0 || strcmp (value, "1") == 0);
}

static guint
firmware_generation (WpiSimPhone *self)
{
  return software_generation (wpi_sim_items_get_value (self->items, "software-version"));
}

static gboolean
attaches_changes (WpiSimPhone *self)
{
  return firmware_generation (self) >= 202;
}

static gboolean
honours_send_solicited (WpiSimPhone *self)
{
  return firmware_generation (self) >= 303;
}

static void
phone_operation_begin (WpiSimPhone *self)
{
  self->n_operations++;
}

static void
phone_operation_end (WpiSimPhone *self)
{
  g_assert (self->n_operations > 0);
  self->n_operations--;
}

static void
phone_update_state (WpiSimPhone *self)
{
  WpiSimPhoneState state;

  if (self->rebooting)
    state = WPI_SIM_PHONE_STATE_REBOOTING;
  else if (self->flow != NULL)
    state = WPI_SIM_PHONE_STATE_IN_FLOW;
  else if (self->in_call)
    state = WPI_SIM_PHONE_STATE_IN_CALL;
  else
    state = WPI_SIM_PHONE_STATE_IDLE;

  if (state != self->state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

static void
phone_set_pending_solicited (WpiSimPhone *self,
                             gboolean     pending)
{
  if (self->pending_solicited == pending)
    return;
  self->pending_solicited = pending;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING_SOLICITED]);
}

static char *
base_uri_for (const char *scheme,
              const char *host,
              int         port)
{
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, host, port, "", NULL, NULL);

  return g_uri_to_string (uri);
}

static SoupSession *
phone_session_new (WpiSimPhone  *self,
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

/* Where the phone's flows go: the configured service, or in Secure Mode the same host on
 * the secure port (§7.15 step 7: every request uses mutual TLS on it). */
static char *
phone_service_base (WpiSimPhone *self)
{
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE)
    return base_uri_for ("https", g_uri_get_host (self->service), self->credentials->port);
  return g_strdup (self->service_uri);
}

static gboolean
is_service_host (WpiSimPhone *self,
                 GUri        *uri)
{
  int service_port = g_uri_get_port (self->service);
  int port = g_uri_get_port (uri);

  if (g_ascii_strcasecmp (g_uri_get_host (uri) ?: "", g_uri_get_host (self->service)) != 0)
    return FALSE;
  if (service_port <= 0)
    service_port = DEFAULT_SERVICE_PORT;
  return port == service_port || (self->credentials != NULL && port == (int) self->credentials->port);
}

/* How a request to uri goes out: in Secure Mode, whatever goes to the service goes to its
 * secure port with the phone's certificate (it never talks to the default port again);
 * anything else, and everything in Default Mode, trusts any server. Returns the URI to use. */
static GUri *
phone_prepare_request (WpiSimPhone      *self,
                       GUri             *uri,
                       SoupSession     **session,
                       SimCredentials  **credentials)
{
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE && is_service_host (self, uri))
    {
      *session = g_object_ref (self->secure_session);
      *credentials = sim_credentials_ref (self->credentials);
      return g_uri_build (G_URI_FLAGS_ENCODED, "https", NULL, g_uri_get_host (uri),
                          self->credentials->port, g_uri_get_path (uri), g_uri_get_query (uri),
                          NULL);
    }
  *session = g_object_ref (self->session);
  *credentials = NULL;
  return g_uri_ref (uri);
}

static void
message_set_credentials (SoupMessage    *message,
                         SimCredentials *credentials)
{
  if (credentials != NULL)
    soup_message_set_tls_client_certificate (message, credentials->certificate);
  else
    g_signal_connect (message, "accept-certificate", G_CALLBACK (accept_any_certificate), NULL);
}

static GUri *
endpoint_for (const char  *base_uri,
              GError     **error)
{
  g_autoptr(GUri) base = g_uri_parse (base_uri, G_URI_FLAGS_NONE, error);
  const char *scheme;

  if (base == NULL)
    return NULL;
  scheme = g_uri_get_scheme (base);
  if ((g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0) ||
      g_uri_get_host (base) == NULL || *g_uri_get_host (base) == '\0')
    {
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_ARGUMENT,
                   "\"%s\" is not an https:// service address", base_uri);
      return NULL;
    }
  return g_uri_build (G_URI_FLAGS_NONE, scheme, NULL, g_uri_get_host (base),
                      g_uri_get_port (base) > 0 ? g_uri_get_port (base) : DEFAULT_SERVICE_PORT,
                      WPI_SIM_LOGIN_PATH, NULL, NULL);
}

static char *
item_key (const char *name,
          gint64      index)
{
  if (index < 0)
    return g_strdup (name);
  return g_strdup_printf ("%s\x1F%" G_GINT64_FORMAT, name, index);
}

static WpiItem *
item_from_key (WpiSimPhone *self,
               const char  *key)
{
  const char *separator = strchr (key, '\x1F');
  g_autofree char *name = separator ? g_strndup (key, separator - key) : g_strdup (key);
  gint64 index = separator ? g_ascii_strtoll (separator + 1, NULL, 10) : -1;
  WpiSimItem *item = wpi_sim_items_lookup (self->items, name, index);

  if (item == NULL)
    return NULL;
  return index < 0 ? wpi_item_new (name, item->value)
                   : wpi_item_new_indexed (name, index, item->value);
}

/* ---------------------------------------------------------------------------------------- */
/* Building the phone's messages                                                            */

static WpiMessage *
flow_message_new (SimFlow   *flow,
                  WpiReason  reason)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, flow->nonce);

  wpi_message_set_max_items (message, flow->phone->max_items);
  wpi_message_set_reason (message, reason);
  return message;
}

static void
add_failed (GPtrArray  *items,
            const char *name)
{
  WpiItem *item = wpi_item_new (name, "");

  wpi_item_set_status (item, "failed");
  g_ptr_array_add (items, item);
}

static void
add_stored_or_failed (WpiSimPhone *self,
                      GPtrArray   *items,
                      const char  *name)
{
  const char *value = wpi_sim_items_get_value (self->items, name);
  WpiItem *item = wpi_item_new (name, value ?: "");

  /* What the phone cannot report goes out empty with status "failed" (p.33, p.43). */
  if (value == NULL)
    wpi_item_set_status (item, "failed");
  g_ptr_array_add (items, item);
}

/* The basic data items of protocol.md §3.5, as the firmware generation sends them. */
static void
add_basic_items (WpiSimPhone *self,
                 GPtrArray   *items)
{
  static const char * const common[] = {
    "device-type", "related-device-type", "software-type", "related-software-type",
    "software-version", "related-software-version", "contact-me-uri", "mac-addr",
    "configuration-changed-flag", "part-number", "sip-mobility-state", "e164", "basic-e164",
    "user-pwd",
  };
  gboolean v2 = firmware_generation (self) >= 200;

  for (guint i = 0; i < G_N_ELEMENTS (common); i++)
    add_stored_or_failed (self, items, common[i]);
  /* V1 cannot fill these and says so (p.33) */
  if (v2)
    add_stored_or_failed (self, items, "user-pwd-unicode");
  else
    add_failed (items, "user-pwd-unicode");
  add_stored_or_failed (self, items, "mobility-enabled");
  if (v2)
    {
      add_stored_or_failed (self, items, "gigabit-ethernet-enabled");
      add_stored_or_failed (self, items, "backlight-type");
    }
  else
    add_failed (items, "gigabit-ethernet");
}

static GPtrArray *
item_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_item_free);
}

static void
add_file_inventory (WpiSimPhone *self,
                    GPtrArray   *items)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      SimFile *file = g_ptr_array_index (self->files, i);
      gint64 index = i + 1;

      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-name", index, file->name));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-type", index, file->type));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-status", index, file->status));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-date", index, file->date));
      g_ptr_array_add (items, wpi_item_new_indexed ("file-deployment-time", index, file->time));
    }
}

/* Splits the phone's own reply at maxItems items and 50,000 bytes (protocol.md §7.13). */
static GPtrArray *
split_reply (GPtrArray *items,
             gint64     max_items)
{
  /* room for the envelope: root, Message, ReasonForContact, ItemList */
  const gsize budget = WPI_MAX_MESSAGE_BYTES - 1024;
  GPtrArray *fragments = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *current = g_ptr_array_new ();
  gsize bytes = 0;

  g_ptr_array_add (fragments, current);
  for (guint i = 0; i < items->len; i++)
    {
      WpiItem *item = g_ptr_array_index (items, i);
      gsize size = wpi_item_serialized_size (item);

      if (current->len > 0 &&
          ((max_items > 0 && current->len >= (guint64) max_items) || bytes + size > budget))
        {
          current = g_ptr_array_new ();
          g_ptr_array_add (fragments, current);
          bytes = 0;
        }
      g_ptr_array_add (current, item);
      bytes += size;
    }
  return fragments;
}

static void
flow_send_fragment (SimFlow *flow)
{
  GPtrArray *fragment = g_ptr_array_index (flow->fragments, flow->next_fragment);
  g_autoptr(WpiMessage) message = flow_message_new (flow, WPI_REASON_REPLY_TO);
  gboolean last;

  flow->next_fragment++;
  last = flow->next_fragment >= flow->fragments->len;
  wpi_message_set_action_string (message, flow->reply_action);
  wpi_message_set_status (message, flow->reply_status);
  wpi_message_set_fragment (message, last ? WPI_FRAGMENT_FINAL : WPI_FRAGMENT_NEXT);
  wpi_message_set_has_item_list (message, TRUE);
  for (guint i = 0; i < fragment->len; i++)
    wpi_message_take_item (message, wpi_item_copy (g_ptr_array_index (fragment, i)));

  if (last)
    {
      g_clear_pointer (&flow->fragments, g_ptr_array_unref);
      g_clear_pointer (&flow->reply_items, g_ptr_array_unref);
    }
  flow_send (flow, message);
}

static void
flow_drop_fragments (SimFlow *flow)
{
  g_clear_pointer (&flow->fragments, g_ptr_array_unref);
  g_clear_pointer (&flow->reply_items, g_ptr_array_unref);
  flow->next_fragment = 0;
}

/* A reply-to; items NULL sends it without an ItemList (the busy reply), an empty array sends
 * <ItemList/>. */
static void
flow_reply (SimFlow          *flow,
            const char       *action,
            WpiMessageStatus  status,
            GPtrArray        *items)
{
  flow_drop_fragments (flow);
  g_free (flow->reply_action);
  flow->reply_action = g_strdup (action);
  flow->reply_status = status;

  if (items == NULL)
    {
      g_autoptr(WpiMessage) message = flow_message_new (flow, WPI_REASON_REPLY_TO);

      wpi_message_set_action_string (message, action);
      wpi_message_set_status (message, status);
      wpi_message_set_fragment (message, WPI_FRAGMENT_FINAL);
      flow_send (flow, message);
      return;
    }

  flow->reply_items = g_ptr_array_ref (items);
  flow->fragments = split_reply (items, flow->phone->max_items);
  flow->next_fragment = 0;
  flow_send_fragment (flow);
}

static void
flow_send_with_items (SimFlow   *flow,
                      WpiReason  reason,
                      GPtrArray *items)
{
  g_autoptr(WpiMessage) message = flow_message_new (flow, reason);

  for (guint i = 0; i < items->len; i++)
    wpi_message_take_item (message, wpi_item_copy (g_ptr_array_index (items, i)));
  flow_send (flow, message);
}

/* ---------------------------------------------------------------------------------------- */
/* The flow: HTTPS transport                                                                */

static SimFlow *
flow_new (WpiSimPhone *self,
          WpiReason    reason,
          GUri        *endpoint)
{
  SimFlow *flow = g_new0 (SimFlow, 1);

  flow->phone = g_object_ref (self);
  flow->reason = reason;
  flow->endpoint = g_uri_ref (endpoint);
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE)
    {
      flow->session = g_object_ref (self->secure_session);
      flow->credentials = sim_credentials_ref (self->credentials);
    }
  else
    flow->session = g_object_ref (self->session);
  /* A new nonce per flow, kept for the whole flow (protocol.md §8.2) */
  for (guint i = 0; i < 32; i++)
    flow->nonce[i] = "0123456789ABCDEF"[g_rand_int_range (self->rand, 0, 16)];
  flow->nonce[32] = '\0';
  flow->cancellable = g_cancellable_new ();
  flow->trail = g_string_new (NULL);
  flow->started = g_get_monotonic_time ();
  return flow;
}

static void
pin_request_free (PinRequest *request)
{
  g_free (request->secure_mode_data);
  g_free (request);
}

static void
flow_free (SimFlow *flow)
{
  flow_drop_fragments (flow);
  g_clear_pointer (&flow->endpoint, g_uri_unref);
  g_clear_object (&flow->session);
  g_clear_pointer (&flow->credentials, sim_credentials_unref);
  g_clear_pointer (&flow->bootstrap, sim_credentials_unref);
  g_clear_pointer (&flow->pin_bootstrap, pin_request_free);
  g_clear_pointer (&flow->reported, g_ptr_array_unref);
  g_clear_pointer (&flow->cookie, g_free);
  g_clear_object (&flow->cancellable);
  g_string_free (flow->trail, TRUE);
  g_free (flow->last_word);
  g_free (flow->reply_action);
  g_free (flow->software_url);
  g_free (flow->software_version);
  g_clear_object (&flow->phone);
  g_free (flow);
}

/* "ReadAllItems,GetNextFragment*104,CleanUp": a repeated word is counted, not repeated. */
static void
trail_append (SimFlow    *flow,
              const char *word)
{
  if (flow->last_word != NULL && strcmp (flow->last_word, word) == 0)
    {
      flow->repeats++;
      return;
    }
  if (flow->repeats > 1)
    g_string_append_printf (flow->trail, "*%u", flow->repeats);
  if (flow->trail->len > 0)
    g_string_append_c (flow->trail, ',');
  g_string_append (flow->trail, word);
  g_free (flow->last_word);
  flow->last_word = g_strdup (word);
  flow->repeats = 1;
}

static const char *
trail_finish (SimFlow *flow)
{
  if (flow->repeats > 1)
    g_string_append_printf (flow->trail, "*%u", flow->repeats);
  flow->repeats = 0;
  return flow->trail->str;
}

/* Keeps the session cookie of the first answer that sets one, preferring JSESSIONID. */
static void
flow_take_cookie (SimFlow     *flow,
                  SoupMessage *message)
{
  SoupMessageHeadersIter iter;
  const char *name, *value;
  g_autofree char *first = NULL;

  if (flow->cookie != NULL)
    return;

  soup_message_headers_iter_init (&iter, soup_message_get_response_headers (message));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *pair = NULL;

      if (g_ascii_strcasecmp (name, "Set-Cookie") != 0)
        continue;
      pair = g_strstrip (g_strndup (value, strcspn (value, ";")));
      if (strchr (pair, '=') == NULL || pair[0] == '=')
        continue;
      if (g_str_has_prefix (pair, "JSESSIONID="))
        {
          flow->cookie = g_steal_pointer (&pair);
          return;
        }
      if (first == NULL)
        first = g_steal_pointer (&pair);
    }
  flow->cookie = g_steal_pointer (&first);
}

static void flow_handle (SimFlow    *flow,
                         WpiMessage *answer);

static void
flow_send_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  SoupMessage *http = SOUP_MESSAGE (user_data);
  SimFlow *flow = g_object_get_data (G_OBJECT (http), "wpi-sim-flow");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(WpiMessage) answer = NULL;
  g_autofree char *detail = NULL;
  const char *content_type;
  const char *data;
  gsize length;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  gate_leave ();
  if (body == NULL)
    {
      detail = g_strdup_printf ("no answer from %s: %s", g_uri_get_host (flow->endpoint),
                                error->message);
      goto fail;
    }

  status = soup_message_get_status (http);
  if (status != SOUP_STATUS_OK)
    {
      detail = g_strdup_printf ("HTTP %u %s", status, soup_message_get_reason_phrase (http) ?: "");
      goto fail;
    }

  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (http),
                                                        NULL);
  if (content_type != NULL && strstr (content_type, "xml") == NULL)
    {
      detail = g_strdup_printf ("answer is %s, not XML", content_type);
      goto fail;
    }

  data = g_bytes_get_data (body, &length);
  answer = wpi_message_parse (data, length, &error);
  if (answer == NULL)
    {
      detail = g_strdup_printf ("answer is not a DLSMessage: %s", error->message);
      goto fail;
    }
  if (wpi_message_get_kind (answer) != WPI_MESSAGE_KIND_DLS)
    {
      detail = g_strdup ("answer is a WorkpointMessage, not a DLSMessage");
      goto fail;
    }
  if (g_strcmp0 (wpi_message_get_nonce (answer), flow->nonce) != 0)
    {
      detail = g_strdup_printf ("answer carries nonce %s, not ours (%s)",
                                wpi_message_get_nonce (answer), flow->nonce);
      goto fail;
    }

  flow_take_cookie (flow, http);
  g_object_unref (http);
  flow_handle (flow, answer);
  return;

fail:
  g_object_unref (http);
  flow_finish (flow, FALSE, detail);
}

static void
flow_send_now (gpointer data,
               gpointer unused)
{
  SoupMessage *http = data;
  SimFlow *flow = g_object_get_data (G_OBJECT (http), "wpi-sim-flow");

  soup_session_send_and_read_async (flow->session, http, G_PRIORITY_DEFAULT,
                                    flow->cancellable, flow_send_done, http);
}

static void
flow_send (SimFlow    *flow,
           WpiMessage *message)
{
  SoupMessage *http;
  SoupMessageHeaders *headers;
  g_autoptr(GBytes) body = wpi_message_serialize_bytes (message);

  http = soup_message_new_from_uri ("POST", flow->endpoint);
  soup_message_set_request_body_from_bytes (http, "text/xml", body);
  headers = soup_message_get_request_headers (http);
  if (flow->cookie != NULL)
    soup_message_headers_replace (headers, "Cookie", flow->cookie);
  /* Real phones close the connection after each exchange (protocol.md §2.1) */
  soup_message_headers_replace (headers, "Connection", "close");
  message_set_credentials (http, flow->credentials);
  g_object_set_data (G_OBJECT (http), "wpi-sim-flow", flow);

  flow->n_messages++;
  gate_enter (flow_send_now, http, &flow->queued);
}

/* ---------------------------------------------------------------------------------------- */
/* Downloads over HTTPS (file and software deployment)                                      */

/* cancelled: the phone stopped or rebooted meanwhile, the result means nothing */
typedef void (*DownloadDone) (WpiSimPhone *self,
                              gboolean     ok,
                              gboolean     cancelled,
                              guint64      size,
                              const char  *error_message,
                              gpointer     user_data);

typedef struct {
  WpiSimPhone  *phone;          /* strong */
  gboolean      gated;          /* holds a request slot */
  SoupSession  *session;
  SimCredentials *credentials;  /* Secure Mode, from the service */
  SoupMessage  *http;
  GInputStream *stream;
  GCancellable *cancellable;
  guint64       size;
  guint8       *buffer;
  DownloadDone  done;
  gpointer      user_data;
} Download;

#define DOWNLOAD_BUFFER_SIZE (64 * 1024)

static void
download_complete (Download   *download,
                   gboolean    ok,
                   const char *error_message)
{
  WpiSimPhone *self = download->phone;

  if (download->gated)
    gate_leave ();
  download->done (self, ok, g_cancellable_is_cancelled (download->cancellable), download->size,
                  error_message, download->user_data);
  phone_operation_end (self);
  g_clear_object (&download->stream);
  g_clear_object (&download->http);
  g_clear_object (&download->session);
  g_clear_pointer (&download->credentials, sim_credentials_unref);
  g_clear_object (&download->cancellable);
  g_free (download->buffer);
  g_clear_object (&download->phone);
  g_free (download);
}

static void download_read (Download *download);

static void
download_read_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Download *download = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      download_complete (download, FALSE, error->message);
      return;
    }
  if (n == 0)
    {
      download_complete (download, TRUE, NULL);
      return;
    }
  download->size += n;
  if (download->size > FILE_SIZE_LIMIT)
    {
      download_complete (download, FALSE, "file too large");
      return;
    }
  download_read (download);
}

static void
download_read (Download *download)
{
  g_input_stream_read_async (download->stream, download->buffer, DOWNLOAD_BUFFER_SIZE,
                             G_PRIORITY_DEFAULT, download->cancellable,
                             download_read_done, download);
}

static void
download_send_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Download *download = user_data;
  g_autoptr(GError) error = NULL;
  guint status;

  download->stream = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (download->stream == NULL)
    {
      download_complete (download, FALSE, error->message);
      return;
    }
  status = soup_message_get_status (download->http);
  if (status != SOUP_STATUS_OK)
    {
      g_autofree char *message = g_strdup_printf ("HTTP %u %s", status,
                                                  soup_message_get_reason_phrase (download->http) ?: "");
      download_complete (download, FALSE, message);
      return;
    }
  download_read (download);
}

static void
download_send_now (gpointer data,
                   gpointer unused)
{
  Download *download = data;

  download->gated = TRUE;
  soup_session_send_async (download->session, download->http, G_PRIORITY_DEFAULT,
                           download->cancellable, download_send_done, download);
}

static void
download_start (WpiSimPhone  *self,
                const char   *url,
                GCancellable *cancellable,
                DownloadDone  done,
                gpointer      user_data)
{
  Download *download = g_new0 (Download, 1);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) target = NULL;

  download->phone = g_object_ref (self);
  download->cancellable = g_object_ref (cancellable);
  download->done = done;
  download->user_data = user_data;
  phone_operation_begin (self);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL ||
      (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "http") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_autofree char *message = g_strdup_printf ("\"%s\" is not an HTTPS URL", url);
      download_complete (download, FALSE, message);
      return;
    }

  download->buffer = g_malloc (DOWNLOAD_BUFFER_SIZE);
  target = phone_prepare_request (self, uri, &download->session, &download->credentials);
  download->http = soup_message_new_from_uri ("GET", target);
  /* other file servers go unchecked, as in Default Mode */
  message_set_credentials (download->http, download->credentials);
  gate_enter (download_send_now, download, NULL);
}

/* The file name a URL deploys: its last path segment, unescaped. */
static char *
file_name_from_url (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  g_autofree char *path = NULL;
  const char *slash;

  if (uri == NULL)
    return g_strdup (url);
  path = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  if (path == NULL)
    return g_strdup (g_uri_get_path (uri));
  slash = strrchr (path, '/');
  return g_strdup (slash != NULL ? slash + 1 : path);
}

static SimFile *
phone_find_file (WpiSimPhone *self,
                 const char  *name,
                 const char  *type,
                 guint       *position)
{
  for (guint i = 0; i < self->files->len; i++)
    {
      SimFile *file = g_ptr_array_index (self->files, i);

      /* a file is the pair (file-name, file-type) (p.55) */
      if (g_strcmp0 (file->name, name) == 0 &&
          (type == NULL || *type == '\0' || g_ascii_strcasecmp (file->type, type) == 0))
        {
          if (position != NULL)
            *position = i;
          return file;
        }
    }
  return NULL;
}

static SimFile *
phone_record_file (WpiSimPhone *self,
                   const char  *name,
                   const char  *type,
                   gboolean     ok,
                   guint64      size)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  SimFile *file = phone_find_file (self, name, type, NULL);

  if (file == NULL)
    {
      file = g_new0 (SimFile, 1);
      file->name = g_strdup (name);
      file->type = g_strdup (type ?: "");
      g_ptr_array_add (self->files, file);
    }
  g_free (file->status);
  g_free (file->date);
  g_free (file->time);
  file->status = g_strdup (ok ? "ok" : "failed");
  file->date = g_date_time_format (now, "%d:%m:%Y");
  file->time = g_date_time_format (now, "%H:%M:%S");
  file->size = size;
  return file;
}

static gboolean
phone_delete_file (WpiSimPhone *self,
                   const char  *name,
                   const char  *type)
{
  guint position;

  if (name == NULL || phone_find_file (self, name, type, &position) == NULL)
    return FALSE;
  g_ptr_array_remove_index (self->files, position);
  return TRUE;
}

/* ---------------------------------------------------------------------------------------- */
/* Actions                                                                                  */

static void
flow_handle_read_all (SimFlow *flow)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(GPtrArray) items = item_array_new ();
  guint n = wpi_sim_items_get_n_items (self->items);

  /* once this flow succeeds, the service knows the whole configuration */
  flow->clears_changed_flag = TRUE;
  for (guint i = 0; i < n; i++)
    {
      WpiSimItem *item = wpi_sim_items_get (self->items, i);

      if (item->flags & WPI_SIM_ITEM_NOT_IN_READ_ALL)
        continue;
      g_ptr_array_add (items, item->index < 0 ? wpi_item_new (item->name, item->value)
                                              : wpi_item_new_indexed (item->name, item->index,
                                                                      item->value));
    }
  add_file_inventory (self, items);
  flow_reply (flow, "ReadAllItems", WPI_MESSAGE_STATUS_ACCEPTED, items);
}

static void
add_requested_item (WpiSimPhone   *self,
                    GPtrArray     *items,
                    const WpiItem *request)
{
  WpiItem *answer;

  if (g_str_has_prefix (request->name, "file-deployment-"))
    {
      g_autoptr(GPtrArray) inventory = item_array_new ();
      gboolean found = FALSE;

      add_file_inventory (self, inventory);
      for (guint i = 0; i < inventory->len; i++)
        {
          WpiItem *item = g_ptr_array_index (inventory, i);

          if (strcmp (item->name, request->name) == 0 &&
              (!request->has_index || item->index == request->index))
            {
              g_ptr_array_add (items, wpi_item_copy (item));
              found = TRUE;
            }
        }
      if (!found)
        {
          answer = request->has_index ? wpi_item_new_indexed (request->name, request->index, "")
                                      : wpi_item_new (request->name, "");
          g_ptr_array_add (items, answer);
        }
      return;
    }

  if (request->has_index)
    {
      WpiSimItem *stored = wpi_sim_items_lookup (self->items, request->name, request->index);
      const char *value = stored ? stored->value
                                 : wpi_sim_items_default_value (self->items, request->name,
                                                                request->index);

      answer = wpi_item_new_indexed (request->name, request->index, value ?: "");
      if (value == NULL)
        {
          g_autoptr(GPtrArray) all = wpi_sim_items_lookup_all (self->items, request->name);
          gboolean known = all->len > 0 ||
                           wpi_sim_items_default_value (self->items, request->name, -1) != NULL;

          wpi_item_set_status (answer, known ? "invalid index" : "unknown item");
        }
      g_ptr_array_add (items, answer);
      return;
    }

  {
    g_autoptr(GPtrArray) all = wpi_sim_items_lookup_all (self->items, request->name);
    const char *value;

    if (all->len > 0)
      {
        for (guint i = 0; i < all->len; i++)
          {
            WpiSimItem *item = g_ptr_array_index (all, i);

            g_ptr_array_add (items, item->index < 0 ? wpi_item_new (item->name, item->value)
                                                    : wpi_item_new_indexed (item->name, item->index,
                                                                            item->value));
          }
        return;
      }
    value = wpi_sim_items_default_value (self->items, request->name, -1);
    answer = wpi_item_new (request->name, value ?: "");
    if (value == NULL)
      wpi_item_set_status (answer, "unknown item");
    g_ptr_array_add (items, answer);
  }
}

static void
flow_handle_read_items (SimFlow    *flow,
                        WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(GPtrArray) items = item_array_new ();
  guint n = wpi_message_get_n_items (answer);

  add_basic_items (self, items);
  for (guint i = 0; i < n; i++)
    {
      const WpiItem *request = wpi_message_get_item (answer, i);

      /* §7.15 step 8: the last 3 digits of the PIN that opened the bundle */
      if (strcmp (request->name, "bootstrapping-tan") == 0)
        {
          WpiItem *tan = wpi_item_new (request->name, self->tan ?: "");

          if (self->tan == NULL)
            wpi_item_set_status (tan, "failed");
          else
            flow->answered_tan = TRUE;
          g_ptr_array_add (items, tan);
          continue;
        }
      add_requested_item (self, items, request);
    }
  flow_reply (flow, "ReadItems", WPI_MESSAGE_STATUS_ACCEPTED, items);
}

/* The items of a bootstrap WriteItems (§7.15): the phone acts on them, it does not store
 * them as settings. */
static gboolean
is_bootstrap_item (const char *name)
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
      trail_append (flow, error->message);
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
      trail_append (flow, "no secure-mode-data");
      refuse_item (refused, "secure-mode-data", -1, WPI_ITEM_STATUS_INVALID_DATA);
      return FALSE;
    }
  if (retries != NULL && !g_ascii_string_to_unsigned (retries, 10, 0, 1000, &attempts, NULL))
    {
      trail_append (flow, "max-pin-retries is not a number");
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
static gboolean
flow_take_bootstrap (SimFlow    *flow,
                     WpiMessage *answer,
                     GPtrArray  *refused)
{
  const char *mode = wpi_message_get_item_value (answer, "goto-secure-mode");

  g_clear_pointer (&flow->bootstrap, sim_credentials_unref);
  g_clear_pointer (&flow->pin_bootstrap, pin_request_free);
  if (g_strcmp0 (mode, "nopin") == 0)
    return flow_take_nopin_bootstrap (flow, answer, refused);
  if (g_strcmp0 (mode, "pin") == 0)
    return flow_take_pin_bootstrap (flow, answer, refused);
  trail_append (flow, "goto-secure-mode is neither nopin nor pin");
  refuse_item (refused, "goto-secure-mode", -1, WPI_ITEM_STATUS_INVALID_DATA);
  return FALSE;
}

static void
flow_handle_write_items (SimFlow    *flow,
                         WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(GPtrArray) refused = item_array_new ();
  guint n = wpi_message_get_n_items (answer);
  gboolean e164_changed = FALSE;

  /* In a call the phone refuses the whole write (p.46): no ItemList at all */
  if (self->in_call)
    {
      flow_reply (flow, "WriteItems", WPI_MESSAGE_STATUS_BUSY, NULL);
      return;
    }

  if (wpi_message_get_item_value (answer, "goto-secure-mode") != NULL &&
      !flow_take_bootstrap (flow, answer, refused))
    {
      /* the bootstrap cannot work: fail the whole write, naming the items at fault */
      trail_append (flow, "bootstrap refused");
      flow_reply (flow, "WriteItems", WPI_MESSAGE_STATUS_FAILED, refused);
      return;
    }

  for (guint i = 0; i < n; i++)
    {
      const WpiItem *item = wpi_message_get_item (answer, i);
      g_autofree char *reason = NULL;
      WpiItemStatus status;

      if (flow->bootstrap != NULL || flow->pin_bootstrap != NULL)
        if (is_bootstrap_item (item->name))
          continue;

      status = wpi_sim_items_check_write (self->items, item->name, item->has_index, item->index,
                                          item->value, &reason);
      if (status == WPI_ITEM_STATUS_NONE)
        {
          wpi_sim_items_store (self->items, item->name, item->has_index ? item->index : -1,
                               item->value);
          if (strcmp (item->name, "e164") == 0)
            e164_changed = TRUE;
          continue;
        }

      {
        WpiItem *failed = item->has_index ? wpi_item_new_indexed (item->name, item->index, "")
                                          : wpi_item_new (item->name, "");

        wpi_item_set_status (failed, wpi_item_status_to_string (status));
        g_ptr_array_add (refused, failed);
      }
    }

  if (e164_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_E164]);
  flow_reply (flow, "WriteItems", WPI_MESSAGE_STATUS_ACCEPTED, refused);
}

static void
flow_handle_restart (SimFlow    *flow,
                     WpiMessage *answer)
{
  const char *type = wpi_message_get_item_value (answer, "restart-type");

  if (type != NULL && g_ascii_strcasecmp (type, "FactoryReset") == 0)
    {
      const char *password = wpi_message_get_item_value (answer, "restart-password");

      if (g_strcmp0 (password, WPI_SIM_RESTART_PASSWORD) != 0)
        {
          flow_reply (flow, "Restart", WPI_MESSAGE_STATUS_FAILED, item_array_new ());
          return;
        }
      flow->factory_reset = TRUE;
    }

  /* No reply: the phone reboots and registers again with start-up (p.50) */
  flow->reboot = TRUE;
  flow_finish (flow, TRUE, NULL);
}

typedef struct {
  SimFlow *flow;
  char    *name;
  char    *type;
} SingleFileJob;

static void
send_file_status (SimFlow    *flow,
                  SimFile    *file)
{
  g_autoptr(GPtrArray) items = item_array_new ();

  add_basic_items (flow->phone, items);
  /* the single-file status carries the result items without an index (p.54) */
  g_ptr_array_add (items, wpi_item_new ("file-deployment-name", file->name));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-type", file->type));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-status", file->status));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-date", file->date));
  g_ptr_array_add (items, wpi_item_new ("file-deployment-time", file->time));
  flow_send_with_items (flow, WPI_REASON_STATUS, items);
}

static void
single_file_downloaded (WpiSimPhone *self,
                        gboolean     ok,
                        gboolean     cancelled,
                        guint64      size,
                        const char  *error_message,
                        gpointer     user_data)
{
  SingleFileJob *job = user_data;
  SimFlow *flow = job->flow;

  if (cancelled)
    flow_finish (flow, FALSE, "stopped");
  else
    {
      SimFile *file = phone_record_file (self, job->name, job->type, ok, size);

      g_signal_emit (self, signals[DOWNLOAD_FINISHED], 0, job->name, job->type, ok,
                     error_message);
      if (!ok)
        trail_append (flow, "download failed");
      send_file_status (flow, file);
    }
  g_free (job->name);
  g_free (job->type);
  g_free (job);
}

static void
background_file_downloaded (WpiSimPhone *self,
                            gboolean     ok,
                            gboolean     cancelled,
                            guint64      size,
                            const char  *error_message,
                            gpointer     user_data)
{
  char **name_type = user_data;

  if (!cancelled)
    {
      phone_record_file (self, name_type[0], name_type[1], ok, size);
      g_signal_emit (self, signals[DOWNLOAD_FINISHED], 0, name_type[0], name_type[1], ok,
                     error_message);
    }
  g_strfreev (name_type);
}

static const char *
group_value (WpiItemGroup *group,
             const char   *name)
{
  for (guint i = 0; i < group->items->len; i++)
    {
      const WpiItem *item = g_ptr_array_index (group->items, i);

      if (strcmp (item->name, name) == 0)
        return item->value;
    }
  return NULL;
}

static void
flow_handle_file_deployment (SimFlow    *flow,
                             WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(GPtrArray) groups = wpi_message_group_by_index (answer);
  gboolean multiple = FALSE;

  for (guint i = 0; i < groups->len; i++)
    if (((WpiItemGroup *) g_ptr_array_index (groups, i))->has_index)
      multiple = TRUE;

  if (!multiple)
    {
      WpiItemGroup *group = groups->len > 0 ? g_ptr_array_index (groups, 0) : NULL;
      const char *url = group ? group_value (group, "file-https-base-url") : NULL;
      const char *type = group ? group_value (group, "file-type") : NULL;
      const char *action = group ? group_value (group, "file-action") : NULL;
      const char *name = group ? group_value (group, "file-name") : NULL;
      g_autofree char *file_name = NULL;
      SingleFileJob *job;

      file_name = (name != NULL && *name != '\0') ? g_strdup (name)
                  : url != NULL ? file_name_from_url (url) : g_strdup ("");

      if (action != NULL && g_ascii_strcasecmp (action, "delete") == 0)
        {
          gboolean ok = phone_delete_file (self, file_name, type);
          SimFile gone = { file_name, (char *) (type ?: ""), (char *) (ok ? "ok" : "failed"),
                           NULL, NULL, 0 };
          g_autoptr(GDateTime) now = g_date_time_new_now_local ();
          g_autofree char *date = g_date_time_format (now, "%d:%m:%Y");
          g_autofree char *time = g_date_time_format (now, "%H:%M:%S");

          gone.date = date;
          gone.time = time;
          send_file_status (flow, &gone);
          return;
        }

      if (url == NULL || *url == '\0')
        {
          /* FTP (file-server, file-path ...) is not simulated: report the failure */
          SimFile *file = phone_record_file (self, file_name, type, FALSE, 0);

          trail_append (flow, "no HTTPS URL");
          send_file_status (flow, file);
          return;
        }

      job = g_new0 (SingleFileJob, 1);
      job->flow = flow;
      job->name = g_steal_pointer (&file_name);
      job->type = g_strdup (type ?: "");
      download_start (self, url, flow->cancellable, single_file_downloaded, job);
      return;
    }

  /* Several files: accept, then work in the background; no status follows (p.55) */
  for (guint i = 0; i < groups->len; i++)
    {
      WpiItemGroup *group = g_ptr_array_index (groups, i);
      const char *url = group_value (group, "file-https-base-url");
      const char *type = group_value (group, "file-type");
      const char *action = group_value (group, "file-action");
      const char *name = group_value (group, "file-name");
      g_autofree char *file_name = NULL;

      if (!group->has_index)
        continue;
      file_name = (name != NULL && *name != '\0') ? g_strdup (name)
                  : url != NULL ? file_name_from_url (url) : NULL;
      if (file_name == NULL)
        continue;

      if (action != NULL && g_ascii_strcasecmp (action, "delete") == 0)
        phone_delete_file (self, file_name, type);
      else if (url == NULL || *url == '\0')
        phone_record_file (self, file_name, type, FALSE, 0);
      else
        {
          char **name_type = g_new0 (char *, 3);

          name_type[0] = g_steal_pointer (&file_name);
          name_type[1] = g_strdup (type ?: "");
          download_start (self, url, self->download_cancellable, background_file_downloaded,
                          name_type);
        }
    }
  flow_reply (flow, "FileDeployment", WPI_MESSAGE_STATUS_ACCEPTED, item_array_new ());
}

static void
flow_handle_software_deployment (SimFlow    *flow,
                                 WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;
  const char *priority = wpi_message_get_item_value (answer, "file-priority");
  const char *url = wpi_message_get_item_value (answer, "file-https-base-url");
  const char *file_version = wpi_message_get_item_value (answer, "file-sw-version");
  g_autofree char *version = NULL;

  /* "immediate" is the default (p.177); anything else waits for idle, so a call refuses it */
  if (self->in_call && priority != NULL && g_ascii_strcasecmp (priority, "immediate") != 0)
    {
      trail_append (flow, "refused in call");
      flow_reply (flow, "SoftwareDeployment", WPI_MESSAGE_STATUS_FAILED, item_array_new ());
      return;
    }
  if (file_version != NULL)
    version = wpi_sim_software_version_from_file_version (file_version, NULL);
  if (url == NULL || *url == '\0' || version == NULL)
    {
      trail_append (flow, url == NULL || *url == '\0' ? "no HTTPS URL" : "bad file-sw-version");
      flow_reply (flow, "SoftwareDeployment", WPI_MESSAGE_STATUS_FAILED, item_array_new ());
      return;
    }

  g_free (flow->software_url);
  g_free (flow->software_version);
  flow->software_url = g_strdup (url);
  flow->software_version = g_steal_pointer (&version);
  flow_reply (flow, "SoftwareDeployment", WPI_MESSAGE_STATUS_ACCEPTED, item_array_new ());
}

static void
flow_handle_clean_up (SimFlow    *flow,
                      WpiMessage *answer)
{
  WpiSimPhone *self = flow->phone;

  /* One indication however many arrive; a plain CleanUp does not cancel it (p.72) */
  if (is_true (wpi_message_get_item_value (answer, "send-solicited")) &&
      honours_send_solicited (self))
    phone_set_pending_solicited (self, TRUE);
  /* §7.15 step 9: the service did not take the TAN, the bootstrap is void */
  if (flow->answered_tan &&
      g_strcmp0 (wpi_message_get_item_value (answer, "cleanup-reason"), WPI_BOOTSTRAP_WRONG_TAN) == 0)
    flow->tan_refused = TRUE;
  flow_finish (flow, TRUE, NULL);
}

static void
flow_handle (SimFlow    *flow,
             WpiMessage *answer)
{
  const char *action_string = wpi_message_get_action_string (answer);
  WpiAction action = wpi_message_get_action (answer);

  trail_append (flow, action_string ?: "(no action)");
  if (action != WPI_ACTION_GET_NEXT_FRAGMENT)
    flow_drop_fragments (flow);

  if (flow->phone->abort_reason != NULL && action != WPI_ACTION_CLEAN_UP)
    {
      g_autoptr(WpiMessage) clean_up = flow_message_new (flow, WPI_REASON_CLEAN_UP);
      g_autofree char *reason = g_steal_pointer (&flow->phone->abort_reason);

      /* The phone's own clean-up: no action or status attribute, only the reason (p.83) */
      trail_append (flow, "clean-up");
      wpi_message_add_item (clean_up, "cleanup-reason", reason);
      flow_send (flow, clean_up);
      return;
    }

  switch (action)
    {
    case WPI_ACTION_CLEAN_UP:
      flow_handle_clean_up (flow, answer);
      break;

    case WPI_ACTION_GET_NEXT_FRAGMENT:
      if (flow->fragments != NULL && flow->next_fragment < flow->fragments->len)
        flow_send_fragment (flow);
      else
        flow_reply (flow, "GetNextFragment", WPI_MESSAGE_STATUS_FAILED, item_array_new ());
      break;

    case WPI_ACTION_READ_ALL_ITEMS:
      flow_handle_read_all (flow);
      break;

    case WPI_ACTION_READ_ITEMS:
      flow_handle_read_items (flow, answer);
      break;

    case WPI_ACTION_WRITE_ITEMS:
      flow_handle_write_items (flow, answer);
      break;

    case WPI_ACTION_RESTART:
      flow_handle_restart (flow, answer);
      break;

    case WPI_ACTION_FILE_DEPLOYMENT:
      flow_handle_file_deployment (flow, answer);
      break;

    case WPI_ACTION_SOFTWARE_DEPLOYMENT:
      flow_handle_software_deployment (flow, answer);
      break;

    case WPI_ACTION_NONE:
    case WPI_ACTION_OTHER:
    default:
      /* an Action this phone does not know: "failed", i.e. not supported (p.29) */
      flow_reply (flow, action_string ?: "", WPI_MESSAGE_STATUS_FAILED, item_array_new ());
      break;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Secure Mode: credentials, the PIN dialog (protocol.md §7.15)                             */

static void
phone_set_mode (WpiSimPhone     *self,
                WpiSimPhoneMode  mode)
{
  if (self->mode == mode)
    return;
  self->mode = mode;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
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

static void
phone_end_pin_request (WpiSimPhone *self)
{
  wpi_sim_timer_clear (&self->pin_timer);
  if (self->pin_request == NULL)
    return;
  g_clear_pointer (&self->pin_request, pin_request_free);
  /* an attempt still running belongs to this request: void */
  self->pin_generation++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AWAITING_PIN]);
}

/* §7.15 step 5/6: keep the credentials and start up on the secure port with them. */
static void
phone_enter_secure_mode (WpiSimPhone    *self,
                         SimCredentials *credentials)
{
  phone_end_pin_request (self);
  g_clear_pointer (&self->pending_clean_up, g_free);
  g_clear_pointer (&self->credentials, sim_credentials_unref);
  self->credentials = sim_credentials_ref (credentials);
  g_clear_object (&self->secure_session);
  self->secure_session = phone_session_new (self, credentials->cas);
  phone_set_secure_port_item (self);
  phone_set_mode (self, WPI_SIM_PHONE_MODE_SECURE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECURE_PORT]);

  self->pending_startup = TRUE;
  self->retry_not_before = 0;
  self->n_failures = 0;
  phone_kick (self);
}

/* Forgets certificate, CAs and port: a factory reset (D15), or a bootstrap whose TAN the
 * service refused. */
static void
phone_leave_secure_mode (WpiSimPhone *self)
{
  gboolean had_port = self->credentials != NULL;

  g_clear_pointer (&self->credentials, sim_credentials_unref);
  g_clear_object (&self->secure_session);
  g_clear_pointer (&self->tan, g_free);
  phone_set_secure_port_item (self);
  phone_set_mode (self, WPI_SIM_PHONE_MODE_DEFAULT);
  if (had_port)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECURE_PORT]);
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
  g_task_return_pointer (task, credentials, (GDestroyNotify) sim_credentials_unref);
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

static void phone_ask_pin (WpiSimPhone *self);

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
  phone_ask_pin (self);
  return G_SOURCE_REMOVE;
}

static void
phone_schedule_pin (WpiSimPhone *self,
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
  phone_end_pin_request (self);
  g_free (self->pending_clean_up);
  self->pending_clean_up = g_strdup (reason);
  phone_kick (self);
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
  PinRequest *request = self->pin_request;
  guint generation = self->pin_generation;
  guint left;

  self->pin_attempt_running = FALSE;
  phone_operation_end (self);
  credentials = g_task_propagate_pointer (G_TASK (result), &error);

  /* stopped, or a new bootstrap or a factory reset came meanwhile: the attempt is void */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || !self->started ||
      request == NULL || attempt->generation != generation)
    {
      if (self->started && request != NULL)
        phone_try_pin (self);
      return;
    }

  if (credentials != NULL)
    {
      const char *tan = wpi_pin_get_tan (attempt->pin);

      left = request->max_attempts - request->failures;
      g_free (self->tan);
      self->tan = self->wrong_tan ? make_wrong_tan (tan) : g_strdup (tan);
      phone_end_pin_request (self);
      g_signal_emit (self, signals[PIN_ENTERED], 0, TRUE, left);
      phone_enter_secure_mode (self, credentials);
      return;
    }

  if (g_error_matches (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_WRONG_PIN) ||
      g_error_matches (error, WPI_BUNDLE_ERROR, WPI_BUNDLE_ERROR_INVALID_PIN))
    {
      request->failures++;
      left = request->max_attempts - request->failures;
      g_signal_emit (self, signals[PIN_ENTERED], 0, FALSE, left);
      if (self->pin_request != request || self->pin_generation != generation)
        return;
      if (left == 0)
        {
          phone_abandon_pin_request (self, PASSWORD_RETRIES_EXCEEDED);
          return;
        }
      /* the dialog asks again; the user takes a moment, so a PIN that stays wrong does not
       * use up every attempt at once */
      phone_schedule_pin (self, self->pin_interval, TRUE);
      return;
    }

  /* the PIN opened it, or it is no bundle at all: this bootstrap cannot work */
  {
    g_autofree char *reason = g_strdup_printf ("invalid secure-mode-data: %s", error->message);

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
      phone_schedule_pin (self, self->pin_interval, FALSE);
      return;
    }

  attempt = g_new0 (PinAttempt, 1);
  attempt->secure_mode_data = g_strdup (self->pin_request->secure_mode_data);
  attempt->pin = g_steal_pointer (&pin);
  attempt->iterations = self->bundle_iterations;
  attempt->generation = self->pin_generation;
  self->pin_attempt_running = TRUE;
  phone_operation_begin (self);

  task = g_task_new (self, self->cancellable, pin_attempt_done, NULL);
  g_task_set_source_tag (task, phone_try_pin);
  g_task_set_task_data (task, attempt, (GDestroyNotify) pin_attempt_free);
  g_task_run_in_thread (task, pin_attempt_run);
}

/* The PIN dialog shows; a handler of pin-requested may type the PIN at once. */
static void
phone_ask_pin (WpiSimPhone *self)
{
  g_autoptr(WpiSimPhone) hold = g_object_ref (self);
  guint generation = self->pin_generation;

  if (!self->started || self->rebooting || self->pin_request == NULL)
    return;
  g_signal_emit (self, signals[PIN_REQUESTED], 0);
  if (self->pin_request != NULL && self->pin_generation == generation)
    phone_try_pin (self);
}

/* After the CleanUp of a PIN bootstrap (§7.15 step 5). Takes the request. */
static void
phone_request_pin (WpiSimPhone *self,
                   PinRequest  *request)
{
  phone_end_pin_request (self);
  g_clear_pointer (&self->pending_clean_up, g_free);
  self->pin_request = request;
  self->pin_generation++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AWAITING_PIN]);
  phone_ask_pin (self);
}

/* ---------------------------------------------------------------------------------------- */
/* Flow life cycle and scheduling                                                           */

static void
phone_schedule_retry (WpiSimPhone *self);

static void
software_downloaded (WpiSimPhone *self,
                     gboolean     ok,
                     gboolean     cancelled,
                     guint64      size,
                     const char  *error_message,
                     gpointer     user_data)
{
  g_autofree char *version = user_data;

  if (cancelled)
    return;
  g_signal_emit (self, signals[DOWNLOAD_FINISHED], 0, version, "APP", ok, error_message);
  if (!ok || !self->started)
    return;

  /* the new image runs after the reboot */
  wpi_sim_items_set_value (self->items, "software-version", version);
  wpi_sim_items_set_value (self->items, "related-software-version", version);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOFTWARE_VERSION]);
  phone_reboot (self, FALSE);
}

static void
flow_finish (SimFlow    *flow,
             gboolean    ok,
             const char *detail)
{
  WpiSimPhone *self = flow->phone;
  g_autoptr(WpiSimPhone) hold = g_object_ref (self);
  const char *reason = wpi_reason_to_string (flow->reason);
  /* what the service and the network took, not the simulator's own queue */
  gint64 duration = g_get_monotonic_time () - flow->started - flow->queued;

  g_assert (self->flow == flow);
  self->flow = NULL;

  if (ok)
    {
      self->n_failures = 0;
      self->retry_not_before = 0;
      if (flow->clears_changed_flag && self->changed->len == 0)
        wpi_sim_items_set_value (self->items, "configuration-changed-flag", "false");
      if (flow->reason == WPI_REASON_CLEAN_UP)
        g_clear_pointer (&self->pending_clean_up, g_free);
    }
  else if (self->started)
    {
      gboolean retry = FALSE;

      switch (flow->reason)
        {
        case WPI_REASON_START_UP:
          self->pending_startup = TRUE;
          retry = TRUE;
          break;
        case WPI_REASON_LOCAL_CHANGES:
          self->pending_local_changes = TRUE;
          for (guint i = 0; flow->reported != NULL && i < flow->reported->len; i++)
            {
              const char *key = g_ptr_array_index (flow->reported, i);

              if (!g_ptr_array_find_with_equal_func (self->changed, key, g_str_equal, NULL))
                g_ptr_array_add (self->changed, g_strdup (key));
            }
          retry = TRUE;
          break;
        case WPI_REASON_INVENTORY_CHANGES:
          self->pending_inventory = TRUE;
          retry = TRUE;
          break;
        case WPI_REASON_CLEAN_UP:
          /* pending_clean_up stays until the service heard it */
          retry = TRUE;
          break;
        default:
          break;
        }
      /* a failed reconnect keeps the indication (p.72) */
      if (flow->consumed_solicited)
        {
          phone_set_pending_solicited (self, TRUE);
          retry = TRUE;
        }
      if (retry)
        phone_schedule_retry (self);
    }

  g_signal_emit (self, signals[FLOW_FINISHED], 0, reason, ok,
                 ok ? trail_finish (flow) : detail, flow->n_messages, duration);

  if (self->started && ok)
    {
      if (flow->tan_refused)
        {
          /* back to Default Mode, and register there again */
          phone_leave_secure_mode (self);
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

  if (self->started)
    {
      if (flow->reboot)
        phone_reboot (self, flow->factory_reset);
      else if (ok && flow->software_url != NULL)
        download_start (self, flow->software_url, self->download_cancellable,
                        software_downloaded, g_steal_pointer (&flow->software_version));
    }

  flow_free (flow);
  phone_operation_end (self);
  phone_update_state (self);
  phone_kick (self);
}

static void
phone_start_flow (WpiSimPhone *self,
                  WpiReason    reason,
                  const char  *base_uri,
                  gboolean     consumed_solicited)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) endpoint = endpoint_for (base_uri, &error);
  g_autoptr(GPtrArray) items = item_array_new ();
  SimFlow *flow;

  if (endpoint == NULL)
    {
      /* a contact-me named an address the phone cannot call */
      g_signal_emit (self, signals[FLOW_FINISHED], 0, wpi_reason_to_string (reason), FALSE,
                     error->message, 0, (gint64) 0);
      return;
    }

  flow = flow_new (self, reason, endpoint);
  flow->consumed_solicited = consumed_solicited;
  self->flow = flow;
  phone_operation_begin (self);
  phone_update_state (self);
  g_signal_emit (self, signals[FLOW_STARTED], 0, wpi_reason_to_string (reason));

  if (reason == WPI_REASON_LOCAL_CHANGES)
    wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
  add_basic_items (self, items);

  if (reason == WPI_REASON_LOCAL_CHANGES && attaches_changes (self))
    {
      g_autoptr(GPtrArray) changed = item_array_new ();
      g_autofree char *count = NULL;

      for (guint i = 0; i < self->changed->len; i++)
        {
          WpiItem *item = item_from_key (self, g_ptr_array_index (self->changed, i));

          if (item != NULL)
            g_ptr_array_add (changed, item);
        }
      count = g_strdup_printf ("%u", changed->len);
      /* V2R2+: the changed items travel with the report (p.40) */
      flow->clears_changed_flag = TRUE;
      g_ptr_array_add (items, wpi_item_new ("configuration-attached-flag", "true"));
      g_ptr_array_add (items, wpi_item_new ("configuration-attached-number", count));
      g_ptr_array_extend_and_steal (items, g_steal_pointer (&changed));
    }
  if (reason == WPI_REASON_LOCAL_CHANGES)
    {
      /* reported now; back in the list should the flow fail */
      flow->reported = g_steal_pointer (&self->changed);
      self->changed = g_ptr_array_new_with_free_func (g_free);
    }

  if (reason == WPI_REASON_CLEAN_UP)
    g_ptr_array_add (items, wpi_item_new ("cleanup-reason", self->pending_clean_up));

  if (reason == WPI_REASON_INVENTORY_CHANGES)
    {
      static const char * const modules[] = {
        "key-modules", "blf-modules", "slk-modules", "km15-modules",
      };

      for (guint i = 0; i < G_N_ELEMENTS (modules); i++)
        add_stored_or_failed (self, items, modules[i]);
    }

  flow_send_with_items (flow, reason, items);
}

static void
phone_next_flow (WpiSimPhone *self)
{
  g_autofree char *base = NULL;
  gboolean may_retry;

  if (!self->started || self->rebooting || self->flow != NULL)
    return;
  may_retry = g_get_monotonic_time () >= self->retry_not_before;
  base = phone_service_base (self);

  /* nothing before the phone has registered */
  if (self->pending_startup)
    {
      if (may_retry)
        {
          self->pending_startup = FALSE;
          phone_start_flow (self, WPI_REASON_START_UP, base, FALSE);
        }
      return;
    }

  /* Flow C: the phone gave up on its PIN */
  if (self->pending_clean_up != NULL)
    {
      if (may_retry)
        phone_start_flow (self, WPI_REASON_CLEAN_UP, base, FALSE);
      return;
    }

  if (self->pending_contact)
    {
      g_autofree char *target = g_steal_pointer (&self->contact_target);

      self->pending_contact = FALSE;
      phone_start_flow (self, WPI_REASON_SOLICITED, target ?: base, FALSE);
      return;
    }

  if (!may_retry)
    return;

  /* the indication waits for the end of the call (p.72) */
  if (self->pending_solicited && !self->in_call)
    {
      phone_set_pending_solicited (self, FALSE);
      phone_start_flow (self, WPI_REASON_SOLICITED, base, TRUE);
      return;
    }

  if (self->pending_local_changes)
    {
      self->pending_local_changes = FALSE;
      phone_start_flow (self, WPI_REASON_LOCAL_CHANGES, base, FALSE);
      return;
    }

  if (self->pending_inventory)
    {
      self->pending_inventory = FALSE;
      phone_start_flow (self, WPI_REASON_INVENTORY_CHANGES, base, FALSE);
      return;
    }
}

static gboolean
kick_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->kick_timer = 0;
  phone_next_flow (self);
  return G_SOURCE_REMOVE;
}

/* Deferred to the main loop so that a flow never starts inside another one's callback. */
static void
phone_kick (WpiSimPhone *self)
{
  if (self->kick_timer == 0 && self->started)
    self->kick_timer = wpi_sim_timer_add (0, kick_cb, self);
}

static gboolean
retry_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->retry_timer = 0;
  phone_next_flow (self);
  return G_SOURCE_REMOVE;
}

static void
phone_schedule_retry (WpiSimPhone *self)
{
  double delay;
  guint factor;

  self->n_failures++;
  factor = MIN (1u << MIN (self->n_failures - 1, 8u), MAX_RETRY_FACTOR);
  delay = self->retry_seconds * factor * (0.75 + 0.5 * g_rand_double (self->rand));
  self->retry_not_before = g_get_monotonic_time () + (gint64) (delay * G_USEC_PER_SEC);
  wpi_sim_timer_clear (&self->retry_timer);
  self->retry_timer = wpi_sim_timer_add (delay, retry_cb, self);
}

/* ---------------------------------------------------------------------------------------- */
/* Reboot, calls and periodic behaviour                                                     */

static void
phone_set_in_call_internal (WpiSimPhone *self,
                            gboolean     in_call)
{
  if (self->in_call == in_call)
    return;
  self->in_call = in_call;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IN_CALL]);
  phone_update_state (self);
  if (!in_call)
    phone_kick (self);
}

static gboolean
reboot_done_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->reboot_timer = 0;
  self->rebooting = FALSE;
  self->pending_startup = TRUE;
  phone_update_state (self);
  phone_schedule_calls (self);
  phone_kick (self);
  /* the PIN dialog of an unfinished bootstrap shows again */
  if (self->pin_request != NULL)
    phone_ask_pin (self);
  return G_SOURCE_REMOVE;
}

static void
phone_reboot (WpiSimPhone *self,
              gboolean     factory_reset)
{
  self->rebooting = TRUE;
  wpi_sim_timer_clear (&self->call_timer);
  self->manual_call = FALSE;
  phone_set_in_call_internal (self, FALSE);
  /* the indication is not persistent (p.72) */
  phone_set_pending_solicited (self, FALSE);
  self->pending_contact = FALSE;
  g_clear_pointer (&self->contact_target, g_free);
  self->pending_inventory = FALSE;
  /* the start-up after the reboot carries configuration-changed-flag instead */
  if (self->changed->len > 0)
    wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
  g_ptr_array_set_size (self->changed, 0);
  self->pending_local_changes = FALSE;
  self->retry_not_before = 0;
  self->n_failures = 0;
  wpi_sim_timer_clear (&self->retry_timer);

  g_cancellable_cancel (self->download_cancellable);
  g_clear_object (&self->download_cancellable);
  self->download_cancellable = g_cancellable_new ();

  wpi_sim_timer_clear (&self->pin_timer);
  if (factory_reset)
    {
      /* D15: certificate, CAs and port are gone, and any bootstrap under way */
      phone_end_pin_request (self);
      g_clear_pointer (&self->pending_clean_up, g_free);
      phone_leave_secure_mode (self);
      wpi_sim_items_factory_reset (self->items);
      g_ptr_array_set_size (self->files, 0);
      /* the service's picture of this phone is stale now */
      wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_E164]);
    }

  phone_update_state (self);
  wpi_sim_timer_clear (&self->reboot_timer);
  self->reboot_timer = wpi_sim_timer_add (self->restart_seconds, reboot_done_cb, self);
}

static gboolean
call_timer_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->call_timer = 0;
  phone_set_in_call_internal (self, !self->in_call);
  phone_schedule_calls (self);
  return G_SOURCE_REMOVE;
}

/* Random calls: each lasts about call-seconds, the pauses between them are exponential with
 * a mean that keeps busy-ratio of the time in a call. */
static void
phone_schedule_calls (WpiSimPhone *self)
{
  double delay;

  wpi_sim_timer_clear (&self->call_timer);
  if (!self->started || self->rebooting || self->manual_call ||
      self->busy_ratio <= 0 || self->call_seconds <= 0)
    return;

  if (self->in_call)
    delay = self->call_seconds * (0.9 + 0.2 * g_rand_double (self->rand));
  else if (self->busy_ratio >= 1)
    delay = 0.01;
  else
    delay = random_exponential (self->rand,
                                self->call_seconds * (1 - self->busy_ratio) / self->busy_ratio);
  self->call_timer = wpi_sim_timer_add (delay, call_timer_cb, self);
}

/* At start, busy-ratio of the phones are already in a call, part-way through it. */
static void
phone_schedule_first_call (WpiSimPhone *self)
{
  if (self->busy_ratio <= 0 || self->call_seconds <= 0 || self->manual_call)
    return;
  if (g_rand_double (self->rand) < self->busy_ratio)
    {
      phone_set_in_call_internal (self, TRUE);
      wpi_sim_timer_clear (&self->call_timer);
      self->call_timer = wpi_sim_timer_add (self->call_seconds * g_rand_double (self->rand),
                                             call_timer_cb, self);
      return;
    }
  phone_schedule_calls (self);
}

static void
phone_make_random_local_change (WpiSimPhone *self)
{
  for (guint attempt = 0; attempt < 8; attempt++)
    {
      WpiSimItem *item = wpi_sim_items_pick_changeable (self->items, self->rand);
      g_autofree char *value = NULL;

      if (item == NULL)
        return;
      value = wpi_sim_items_plausible_change (self->items, item, self->rand);
      if (value == NULL)
        continue;
      wpi_sim_phone_change_item_locally (self, item->name, item->index, value, NULL);
      return;
    }
}

static double
periodic_delay (WpiSimPhone *self,
                double       interval,
                gboolean     first)
{
  /* spread the phones out: the first event anywhere in one interval, then interval ± 50 % */
  double factor = first ? g_rand_double (self->rand) : 0.5 + g_rand_double (self->rand);

  return interval * factor;
}

static gboolean local_changes_cb (gpointer user_data);
static gboolean inventory_cb     (gpointer user_data);
static gboolean poll_cb          (gpointer user_data);

static gboolean
local_changes_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->local_changes_timer =
    wpi_sim_timer_add (periodic_delay (self, self->local_changes_interval, FALSE),
                   local_changes_cb, self);
  if (!self->rebooting)
    phone_make_random_local_change (self);
  return G_SOURCE_REMOVE;
}

static gboolean
inventory_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->inventory_timer =
    wpi_sim_timer_add (periodic_delay (self, self->inventory_changes_interval, FALSE),
                   inventory_cb, self);
  if (!self->rebooting)
    wpi_sim_phone_change_inventory (self);
  return G_SOURCE_REMOVE;
}

static gboolean
poll_cb (gpointer user_data)
{
  WpiSimPhone *self = user_data;

  self->poll_timer = wpi_sim_timer_add (periodic_delay (self, self->poll_interval, FALSE),
                                     poll_cb, self);
  wpi_sim_phone_poll_now (self);
  return G_SOURCE_REMOVE;
}

static void
phone_schedule_periodic (WpiSimPhone *self)
{
  wpi_sim_timer_clear (&self->local_changes_timer);
  wpi_sim_timer_clear (&self->inventory_timer);
  wpi_sim_timer_clear (&self->poll_timer);
  if (!self->started)
    return;

  if (self->local_changes_interval > 0)
    self->local_changes_timer =
      wpi_sim_timer_add (periodic_delay (self, self->local_changes_interval, TRUE),
                     local_changes_cb, self);
  if (self->inventory_changes_interval > 0)
    self->inventory_timer =
      wpi_sim_timer_add (periodic_delay (self, self->inventory_changes_interval, TRUE),
                     inventory_cb, self);
  if (self->poll_interval > 0)
    self->poll_timer = wpi_sim_timer_add (periodic_delay (self, self->poll_interval, TRUE),
                                       poll_cb, self);
}

/* ---------------------------------------------------------------------------------------- */
/* Contact-me listener and polling                                                          */

static char *
contact_target_from_form (WpiSimPhone *self,
                          GHashTable  *form)
{
  const char *address = form ? g_hash_table_lookup (form, "dls_ip_addr") : NULL;
  const char *port_str = form ? g_hash_table_lookup (form, "dls_ip_port") : NULL;
  guint64 port = 0;
  int service_port = g_uri_get_port (self->service);

  if (address == NULL || *address == '\0')
    return NULL;
  /* the service names its default port; a phone in Secure Mode calls back on the secure one */
  if (self->mode == WPI_SIM_PHONE_MODE_SECURE)
    port = self->credentials->port;
  else if (port_str == NULL || !g_ascii_string_to_unsigned (port_str, 10, 1, 65535, &port, NULL))
    port = service_port > 0 ? service_port : DEFAULT_SERVICE_PORT;
  return base_uri_for ("https", address, (int) port);
}

static void
contact_handler (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  WpiSimPhone *self = user_data;
  const char *method = soup_server_message_get_method (message);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  g_autoptr(GHashTable) form = NULL;
  const char *contact_me;

  if (strcmp (path, WPI_SIM_CONTACT_PATH) != 0)
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (strcmp (method, "POST") != 0 && strcmp (method, "GET") != 0)
    {
      soup_message_headers_replace (headers, "Allow", "GET, POST");
      soup_server_message_set_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (self->rebooting || !self->started)
    {
      soup_server_message_set_status (message, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
      return;
    }

  if (strcmp (method, "POST") == 0)
    {
      g_autoptr(GBytes) body = soup_message_body_flatten (soup_server_message_get_request_body (message));
      gsize length;
      const char *data = g_bytes_get_data (body, &length);
      g_autofree char *text = g_strndup (data, length);

      form = soup_form_decode (text);
    }
  else if (query != NULL)
    form = g_hash_table_ref (query);

  /* the guide's answer: 204, text/html, Server: DlsClient (p.15); a busy phone answers too */
  soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
  soup_message_headers_replace (headers, "Content-Type", "text/html");

  contact_me = form ? g_hash_table_lookup (form, "ContactMe") : NULL;
  if (!is_true (contact_me))
    return;
  if (self->ignore_contact_ratio > 0 && g_rand_double (self->rand) < self->ignore_contact_ratio)
    return;

  g_free (self->contact_target);
  self->contact_target = contact_target_from_form (self, form);
  self->pending_contact = TRUE;
  phone_kick (self);
}

static void
poll_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(SoupMessage) http = user_data;
  g_autoptr(WpiSimPhone) self = g_object_ref (g_object_get_data (G_OBJECT (http), "wpi-sim-phone"));
  g_autoptr(GBytes) body = NULL;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  gate_leave ();
  self->polling = FALSE;
  phone_operation_end (self);
  g_object_unref (self);   /* the reference the request held */

  /* D14: 202 = something waits, call in with `solicited` */
  if (body != NULL && soup_message_get_status (http) == SOUP_STATUS_ACCEPTED && self->started)
    {
      g_clear_pointer (&self->contact_target, g_free);
      self->pending_contact = TRUE;
      phone_kick (self);
    }
}

static void
poll_send_now (gpointer data,
               gpointer unused)
{
  SoupMessage *http = data;
  WpiSimPhone *self = g_object_get_data (G_OBJECT (http), "wpi-sim-phone");
  SoupSession *session = g_object_get_data (G_OBJECT (http), "wpi-sim-session");

  soup_session_send_and_read_async (session, http, G_PRIORITY_DEFAULT, self->cancellable,
                                    poll_done, http);
}

void
wpi_sim_phone_abort_next_action (WpiSimPhone *self,
                                 const char  *reason)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));
  g_return_if_fail (reason != NULL);

  g_free (self->abort_reason);
  self->abort_reason = g_strdup (reason);
}

void
wpi_sim_phone_poll_now (WpiSimPhone *self)
{
  g_autoptr(GUri) base = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) target = NULL;
  g_autoptr(SimCredentials) credentials = NULL;
  g_autofree char *query = NULL;
  SoupSession *session = NULL;
  SoupMessage *http;

  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  if (!self->started || self->rebooting || self->polling || self->flow != NULL)
    return;
  base = g_uri_parse (self->poll_uri ?: self->service_uri, G_URI_FLAGS_NONE, NULL);
  if (base == NULL)
    return;

  query = g_strdup_printf ("device-id=%s", self->mac);
  uri = g_uri_build (G_URI_FLAGS_NONE, g_uri_get_scheme (base), NULL, g_uri_get_host (base),
                     g_uri_get_port (base), WPI_SIM_POLL_PATH, query, NULL);
  /* in Secure Mode the poll goes to the secure port too */
  target = phone_prepare_request (self, uri, &session, &credentials);
  http = soup_message_new_from_uri ("GET", target);
  message_set_credentials (http, credentials);
  /* the credentials live as long as the session that presents them (the phone's) */
  g_object_set_data_full (G_OBJECT (http), "wpi-sim-session", session, g_object_unref);
  g_object_set_data (G_OBJECT (http), "wpi-sim-phone", g_object_ref (self));
  self->polling = TRUE;
  phone_operation_begin (self);
  gate_enter (poll_send_now, http, NULL);
}

/* ---------------------------------------------------------------------------------------- */
/* Identity                                                                                 */

static const char *
part_number_for (const char *device_type)
{
  static const struct { const char *type; const char *part; } parts[] = {
    { "OpenStage 15", "S30817-S7401-A101-015" },
    { "OpenStage 20", "S30817-S7402-A101-015" },
    { "OpenStage 40", "S30817-S7403-A101-015" },
    { "OpenStage 60", "S30817-S7404-A101-015" },
    { "OpenStage 80", "S30817-S7405-A101-015" },
    { "OpenScape Desk Phone CP400", "L30250-F600-C427" },
    { "OpenScape Desk Phone CP600", "L30250-F600-C428" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    if (strcmp (parts[i].type, device_type) == 0)
      return parts[i].part;
  return "Unknown";
}

static gboolean
has_colour_display (const char *device_type)
{
  return strstr (device_type, "60") != NULL || strstr (device_type, "80") != NULL ||
         strstr (device_type, "CP600") != NULL;
}

static void
phone_set_contact_uri (WpiSimPhone *self)
{
  g_autofree char *host = g_inet_address_to_string (
    g_inet_socket_address_get_address (self->contact_address));
  guint16 port = g_inet_socket_address_get_port (self->contact_address);
  g_autoptr(GUri) uri = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, host, port,
                                     WPI_SIM_CONTACT_PATH, NULL, NULL);

  g_free (self->contact_uri);
  self->contact_uri = g_uri_to_string (uri);
  if (self->items != NULL)
    {
      wpi_sim_items_set_value (self->items, "contact-me-uri", self->contact_uri);
      wpi_sim_items_set_value (self->items, "ipaddress", host);
    }
}

/* The items every phone reports about itself (items.md §3); the catalogue adds the rest. */
static void
phone_init_items (WpiSimPhone *self,
                  const char  *e164)
{
  const guint fixed = WPI_SIM_ITEM_READ_ONLY | WPI_SIM_ITEM_KEEP_ON_RESET;
  const char *version = wpi_sim_firmware_to_version (self->firmware);
  gboolean v2 = self->firmware != WPI_SIM_FIRMWARE_V1;
  gboolean big = has_colour_display (self->device_type);
  g_autofree char *host = g_inet_address_to_string (
    g_inet_socket_address_get_address (self->contact_address));

  self->items = wpi_sim_items_new ();
  wpi_sim_items_add (self->items, "device-type", -1, self->device_type, fixed);
  wpi_sim_items_add (self->items, "related-device-type", -1, self->device_type, fixed);
  wpi_sim_items_add (self->items, "software-type", -1, "Siemens SIP", fixed);
  wpi_sim_items_add (self->items, "related-software-type", -1, "Siemens SIP", fixed);
  wpi_sim_items_add (self->items, "software-version", -1, version, fixed);
  wpi_sim_items_add (self->items, "related-software-version", -1, version, fixed);
  wpi_sim_items_add (self->items, "contact-me-uri", -1, "", fixed);
  wpi_sim_items_add (self->items, "mac-addr", -1, self->mac, fixed);
  wpi_sim_items_add (self->items, "configuration-changed-flag", -1, "false", fixed);
  wpi_sim_items_add (self->items, "part-number", -1, part_number_for (self->device_type), fixed);
  wpi_sim_items_add (self->items, "sip-mobility-state", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "e164", -1, e164, 0);
  wpi_sim_items_add (self->items, "basic-e164", -1, e164, WPI_SIM_ITEM_READ_ONLY);
  if (v2)
    {
      wpi_sim_items_add (self->items, "gigabit-ethernet-enabled", -1, big ? "true" : "false",
                         fixed);
      wpi_sim_items_add (self->items, "backlight-type", -1, big ? "1" : "0", fixed);
    }
  wpi_sim_items_add (self->items, "ipaddress", -1, host, fixed);
  wpi_sim_items_add (self->items, "dls-addr", -1, g_uri_get_host (self->service), 0);
  wpi_sim_items_add (self->items, "key-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "blf-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "slk-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  wpi_sim_items_add (self->items, "km15-modules", -1, "0", WPI_SIM_ITEM_READ_ONLY);
  phone_set_contact_uri (self);

  /* what the firmware generation does not have at all (p.33, p.40) */
  {
    static const char * const v1_lacks[] = {
      "user-pwd-unicode", "gigabit-ethernet-enabled", "backlight-type", NULL,
    };
    static const char * const v2_lacks[] = { "gigabit-ethernet", NULL };

    wpi_sim_items_fill_from_catalogue (self->items, self->device_type,
                                       v2 ? v2_lacks : v1_lacks, self->rand);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* GObject                                                                                  */

static void
wpi_sim_phone_dispose (GObject *object)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  wpi_sim_phone_stop (self);
  g_clear_object (&self->session);
  g_clear_object (&self->secure_session);

  G_OBJECT_CLASS (wpi_sim_phone_parent_class)->dispose (object);
}

static void
wpi_sim_phone_finalize (GObject *object)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  g_free (self->mac);
  g_free (self->device_type);
  g_clear_pointer (&self->service, g_uri_unref);
  g_free (self->service_uri);
  g_clear_object (&self->contact_address);
  g_free (self->contact_uri);
  g_free (self->poll_uri);
  g_clear_pointer (&self->items, wpi_sim_items_free);
  g_clear_pointer (&self->files, g_ptr_array_unref);
  g_clear_pointer (&self->changed, g_ptr_array_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->download_cancellable);
  g_free (self->contact_target);
  g_clear_pointer (&self->credentials, sim_credentials_unref);
  g_clear_pointer (&self->pin_request, pin_request_free);
  g_free (self->tan);
  g_free (self->pin);
  g_free (self->pins_file);
  g_free (self->pending_clean_up);
  g_free (self->abort_reason);

  G_OBJECT_CLASS (wpi_sim_phone_parent_class)->finalize (object);
}

static void
wpi_sim_phone_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  switch (prop_id)
    {
    case PROP_MAC:                        g_value_set_string (value, self->mac); break;
    case PROP_E164:                       g_value_set_string (value, wpi_sim_phone_get_e164 (self)); break;
    case PROP_DEVICE_TYPE:                g_value_set_string (value, self->device_type); break;
    case PROP_FIRMWARE:                   g_value_set_enum (value, self->firmware); break;
    case PROP_SOFTWARE_VERSION:           g_value_set_string (value, wpi_sim_phone_get_software_version (self)); break;
    case PROP_SERVICE_URI:                g_value_set_string (value, self->service_uri); break;
    case PROP_CONTACT_ADDRESS:            g_value_set_object (value, self->contact_address); break;
    case PROP_CONTACT_URI:                g_value_set_string (value, self->contact_uri); break;
    case PROP_BIND_LOCAL:                 g_value_set_boolean (value, self->bind_local); break;
    case PROP_MAX_ITEMS:                  g_value_set_int64 (value, self->max_items); break;
    case PROP_BUSY_RATIO:                 g_value_set_double (value, self->busy_ratio); break;
    case PROP_CALL_SECONDS:               g_value_set_double (value, self->call_seconds); break;
    case PROP_LOCAL_CHANGES_INTERVAL:     g_value_set_double (value, self->local_changes_interval); break;
    case PROP_INVENTORY_CHANGES_INTERVAL: g_value_set_double (value, self->inventory_changes_interval); break;
    case PROP_IGNORE_CONTACT_RATIO:       g_value_set_double (value, self->ignore_contact_ratio); break;
    case PROP_POLL_INTERVAL:              g_value_set_double (value, self->poll_interval); break;
    case PROP_POLL_URI:                   g_value_set_string (value, self->poll_uri); break;
    case PROP_RESTART_SECONDS:            g_value_set_double (value, self->restart_seconds); break;
    case PROP_RETRY_SECONDS:              g_value_set_double (value, self->retry_seconds); break;
    case PROP_STATE:                      g_value_set_enum (value, self->state); break;
    case PROP_IN_CALL:                    g_value_set_boolean (value, self->in_call); break;
    case PROP_IN_FLOW:                    g_value_set_boolean (value, self->flow != NULL); break;
    case PROP_PENDING_SOLICITED:          g_value_set_boolean (value, self->pending_solicited); break;
    case PROP_PINS_FILE:                  g_value_set_string (value, self->pins_file); break;
    case PROP_PIN_INTERVAL:               g_value_set_double (value, self->pin_interval); break;
    case PROP_BUNDLE_ITERATIONS:          g_value_set_uint (value, self->bundle_iterations); break;
    case PROP_WRONG_TAN:                  g_value_set_boolean (value, self->wrong_tan); break;
    case PROP_MODE:                       g_value_set_enum (value, self->mode); break;
    case PROP_SECURE_PORT:                g_value_set_uint (value, wpi_sim_phone_get_secure_port (self)); break;
    case PROP_AWAITING_PIN:               g_value_set_boolean (value, self->pin_request != NULL); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_sim_phone_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);

  switch (prop_id)
    {
    case PROP_MAC:
      self->mac = g_ascii_strup (g_value_get_string (value), -1);
      break;
    case PROP_E164:
      /* construct-time only: later the service changes it with WriteItems */
      self->initial_e164 = g_value_dup_string (value);
      break;
    case PROP_DEVICE_TYPE:
      self->device_type = g_value_dup_string (value);
      break;
    case PROP_FIRMWARE:
      self->firmware = g_value_get_enum (value);
      break;
    case PROP_SERVICE_URI:
      self->service_uri = g_value_dup_string (value);
      break;
    case PROP_CONTACT_ADDRESS:
      self->contact_address = g_value_dup_object (value);
      break;
    case PROP_BIND_LOCAL:
      self->bind_local = g_value_get_boolean (value);
      break;
    case PROP_MAX_ITEMS:
      self->max_items = g_value_get_int64 (value);
      break;
    case PROP_BUSY_RATIO:
      self->busy_ratio = g_value_get_double (value);
      phone_schedule_calls (self);
      break;
    case PROP_CALL_SECONDS:
      self->call_seconds = g_value_get_double (value);
      break;
    case PROP_LOCAL_CHANGES_INTERVAL:
      self->local_changes_interval = g_value_get_double (value);
      phone_schedule_periodic (self);
      break;
    case PROP_INVENTORY_CHANGES_INTERVAL:
      self->inventory_changes_interval = g_value_get_double (value);
      phone_schedule_periodic (self);
      break;
    case PROP_IGNORE_CONTACT_RATIO:
      self->ignore_contact_ratio = g_value_get_double (value);
      break;
    case PROP_POLL_INTERVAL:
      self->poll_interval = g_value_get_double (value);
      phone_schedule_periodic (self);
      break;
    case PROP_POLL_URI:
      g_free (self->poll_uri);
      self->poll_uri = g_value_dup_string (value);
      break;
    case PROP_RESTART_SECONDS:
      self->restart_seconds = g_value_get_double (value);
      break;
    case PROP_RETRY_SECONDS:
      self->retry_seconds = g_value_get_double (value);
      break;
    case PROP_PINS_FILE:
      g_free (self->pins_file);
      self->pins_file = g_value_dup_string (value);
      break;
    case PROP_PIN_INTERVAL:
      self->pin_interval = g_value_get_double (value);
      break;
    case PROP_BUNDLE_ITERATIONS:
      self->bundle_iterations = g_value_get_uint (value);
      break;
    case PROP_WRONG_TAN:
      self->wrong_tan = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_sim_phone_constructed (GObject *object)
{
  WpiSimPhone *self = WPI_SIM_PHONE (object);
  g_autoptr(GUri) service = NULL;

  G_OBJECT_CLASS (wpi_sim_phone_parent_class)->constructed (object);

  g_assert (self->mac != NULL && self->device_type != NULL && self->service_uri != NULL);
  if (self->contact_address == NULL)
    {
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

      self->contact_address = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (loopback, 0));
    }

  service = g_uri_parse (self->service_uri, G_URI_FLAGS_NONE, NULL);
  if (service == NULL)
    {
      g_critical ("wpi-sim-phone: \"%s\" is not a URI", self->service_uri);
      service = g_uri_build (G_URI_FLAGS_NONE, "https", NULL, "127.0.0.1", DEFAULT_SERVICE_PORT,
                             "", NULL, NULL);
    }
  self->service = g_steal_pointer (&service);

  /* seeded from the MAC so a run can be repeated; nonces still differ between phones */
  self->rand = g_rand_new_with_seed (g_str_hash (self->mac) ^ g_random_int ());
  phone_init_items (self, self->initial_e164 ?: "");
  g_clear_pointer (&self->initial_e164, g_free);
}

static void
wpi_sim_phone_class_init (WpiSimPhoneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;
  const GParamFlags co = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->dispose = wpi_sim_phone_dispose;
  object_class->finalize = wpi_sim_phone_finalize;
  object_class->get_property = wpi_sim_phone_get_property;
  object_class->set_property = wpi_sim_phone_set_property;
  object_class->constructed = wpi_sim_phone_constructed;

  properties[PROP_MAC] = g_param_spec_string ("mac", NULL, NULL, NULL, co);
  properties[PROP_E164] = g_param_spec_string ("e164", NULL, NULL, NULL,
                                               co | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DEVICE_TYPE] = g_param_spec_string ("device-type", NULL, NULL, NULL, co);
  properties[PROP_FIRMWARE] = g_param_spec_enum ("firmware", NULL, NULL, WPI_TYPE_SIM_FIRMWARE,
                                                 WPI_SIM_FIRMWARE_V3R3, co);
  properties[PROP_SOFTWARE_VERSION] = g_param_spec_string ("software-version", NULL, NULL, NULL, ro);
  properties[PROP_SERVICE_URI] = g_param_spec_string ("service-uri", NULL, NULL, NULL, co);
  properties[PROP_CONTACT_ADDRESS] = g_param_spec_object ("contact-address", NULL, NULL,
                                                          G_TYPE_INET_SOCKET_ADDRESS, co);
  properties[PROP_CONTACT_URI] = g_param_spec_string ("contact-uri", NULL, NULL, NULL, ro);
  properties[PROP_BIND_LOCAL] = g_param_spec_boolean ("bind-local", NULL, NULL, FALSE, rw);
  properties[PROP_MAX_ITEMS] = g_param_spec_int64 ("max-items", NULL, NULL, -1, G_MAXINT32, -1, rw);
  properties[PROP_BUSY_RATIO] = g_param_spec_double ("busy-ratio", NULL, NULL, 0, 1, 0, rw);
  properties[PROP_CALL_SECONDS] = g_param_spec_double ("call-seconds", NULL, NULL, 0, G_MAXDOUBLE,
                                                       60, rw);
  properties[PROP_LOCAL_CHANGES_INTERVAL] =
    g_param_spec_double ("local-changes-interval", NULL, NULL, 0, G_MAXDOUBLE, 0, rw);
  properties[PROP_INVENTORY_CHANGES_INTERVAL] =
    g_param_spec_double ("inventory-changes-interval", NULL, NULL, 0, G_MAXDOUBLE, 0, rw);
  properties[PROP_IGNORE_CONTACT_RATIO] =
    g_param_spec_double ("ignore-contact-ratio", NULL, NULL, 0, 1, 0, rw);
  properties[PROP_POLL_INTERVAL] = g_param_spec_double ("poll-interval", NULL, NULL, 0,
                                                        G_MAXDOUBLE, 0, rw);
  properties[PROP_POLL_URI] = g_param_spec_string ("poll-uri", NULL, NULL, NULL, rw);
  properties[PROP_RESTART_SECONDS] = g_param_spec_double ("restart-seconds", NULL, NULL, 0,
                                                          G_MAXDOUBLE, 2, rw);
  properties[PROP_RETRY_SECONDS] = g_param_spec_double ("retry-seconds", NULL, NULL, 0.001,
                                                        G_MAXDOUBLE, 10, rw);
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, WPI_TYPE_SIM_PHONE_STATE,
                                              WPI_SIM_PHONE_STATE_IDLE, ro);
  properties[PROP_IN_CALL] = g_param_spec_boolean ("in-call", NULL, NULL, FALSE, ro);
  properties[PROP_IN_FLOW] = g_param_spec_boolean ("in-flow", NULL, NULL, FALSE, ro);
  properties[PROP_PENDING_SOLICITED] = g_param_spec_boolean ("pending-solicited", NULL, NULL,
                                                             FALSE, ro);
  /* A handout CSV (mac,e164,model,location,pin) read when the phone asks for its PIN */
  properties[PROP_PINS_FILE] = g_param_spec_string ("pins-file", NULL, NULL, NULL, rw);
  properties[PROP_PIN_INTERVAL] = g_param_spec_double ("pin-interval", NULL, NULL, 0.001,
                                                       G_MAXDOUBLE, WPI_SIM_DEFAULT_PIN_INTERVAL,
                                                       rw);
  /* PBKDF2 iterations of secure-mode-data (D8); the service's setting */
  properties[PROP_BUNDLE_ITERATIONS] = g_param_spec_uint ("bundle-iterations", NULL, NULL, 1,
                                                          G_MAXUINT, WPI_BUNDLE_DEFAULT_ITERATIONS,
                                                          rw);
  properties[PROP_WRONG_TAN] = g_param_spec_boolean ("wrong-tan", NULL, NULL, FALSE, rw);
  properties[PROP_MODE] = g_param_spec_enum ("mode", NULL, NULL, WPI_TYPE_SIM_PHONE_MODE,
                                             WPI_SIM_PHONE_MODE_DEFAULT, ro);
  properties[PROP_SECURE_PORT] = g_param_spec_uint ("secure-port", NULL, NULL, 0, 65535, 0, ro);
  properties[PROP_AWAITING_PIN] = g_param_spec_boolean ("awaiting-pin", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A flow begins: the ReasonForContact of its first message. */
  signals[FLOW_STARTED] = g_signal_new ("flow-started", G_TYPE_FROM_CLASS (klass),
                                        G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                        G_TYPE_NONE, 1, G_TYPE_STRING);
  /* A flow ended: reason, ok, detail (the Actions received, or what went wrong), the number
   * of messages the phone sent, the duration in microseconds (without the time its requests
   * waited for the process-wide request limit). */
  signals[FLOW_FINISHED] = g_signal_new ("flow-finished", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 5, G_TYPE_STRING, G_TYPE_BOOLEAN,
                                         G_TYPE_STRING, G_TYPE_UINT, G_TYPE_INT64);
  /* A deployed file or software image was fetched: name (the version for software), type,
   * ok, error message or NULL. */
  signals[DOWNLOAD_FINISHED] = g_signal_new ("download-finished", G_TYPE_FROM_CLASS (klass),
                                             G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                             G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING,
                                             G_TYPE_BOOLEAN, G_TYPE_STRING);
  /* The phone shows its PIN dialog; a handler may call wpi_sim_phone_set_pin(). */
  signals[PIN_REQUESTED] = g_signal_new ("pin-requested", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 0);
  /* A PIN was typed: accepted (it opened secure-mode-data), attempts left. */
  signals[PIN_ENTERED] = g_signal_new ("pin-entered", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_UINT);
}

static void
wpi_sim_phone_init (WpiSimPhone *self)
{
  self->max_items = -1;
  self->call_seconds = 60;
  self->restart_seconds = 2;
  self->retry_seconds = 10;
  self->pin_interval = WPI_SIM_DEFAULT_PIN_INTERVAL;
  self->bundle_iterations = WPI_BUNDLE_DEFAULT_ITERATIONS;
  self->mode = WPI_SIM_PHONE_MODE_DEFAULT;
  self->state = WPI_SIM_PHONE_STATE_IDLE;
  self->files = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_file_free);
  self->changed = g_ptr_array_new_with_free_func (g_free);
}

/* ---------------------------------------------------------------------------------------- */
/* Public API                                                                               */

WpiSimPhone *
wpi_sim_phone_new (const char         *mac,
                   const char         *e164,
                   const char         *device_type,
                   WpiSimFirmware      firmware,
                   const char         *service_uri,
                   GInetSocketAddress *contact_address)
{
  g_return_val_if_fail (mac != NULL, NULL);
  g_return_val_if_fail (device_type != NULL, NULL);
  g_return_val_if_fail (service_uri != NULL, NULL);

  return g_object_new (WPI_TYPE_SIM_PHONE,
                       "mac", mac,
                       "e164", e164,
                       "device-type", device_type,
                       "firmware", firmware,
                       "service-uri", service_uri,
                       "contact-address", contact_address,
                       NULL);
}

gboolean
wpi_sim_phone_start (WpiSimPhone  *self,
                     GError      **error)
{
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GUri) endpoint = NULL;
  g_autoptr(GInetSocketAddress) bound = NULL;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);

  if (self->started)
    return TRUE;

  endpoint = endpoint_for (self->service_uri, error);
  if (endpoint == NULL)
    return FALSE;

  server = soup_server_new ("server-header", "DlsClient", NULL);
  soup_server_add_handler (server, WPI_SIM_CONTACT_PATH, contact_handler, self, NULL);
  self->listener = wpi_sim_listener_new (self->contact_address, server, &bound, &local_error);
  if (self->listener == NULL)
    {
      g_autofree char *where = g_socket_connectable_to_string (
        G_SOCKET_CONNECTABLE (self->contact_address));

      g_set_error (error, local_error->domain, local_error->code,
                   "cannot listen for contact-me on %s: %s", where, local_error->message);
      return FALSE;
    }

  /* port 0 asked for any free port: learn which one */
  if (g_inet_socket_address_get_port (self->contact_address) == 0)
    {
      g_set_object (&self->contact_address, bound);
      phone_set_contact_uri (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT_URI]);
    }
  self->server = g_steal_pointer (&server);

  /* Default Mode checks no certificate (and the default database would load the system CA
   * store for every connection) */
  if (self->session == NULL)
    self->session = phone_session_new (self, wpi_sim_accept_any_database ());
  if (self->credentials != NULL && self->secure_session == NULL)
    self->secure_session = phone_session_new (self, self->credentials->cas);

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  g_clear_object (&self->download_cancellable);
  self->download_cancellable = g_cancellable_new ();
  self->started = TRUE;
  self->rebooting = FALSE;
  self->pending_startup = TRUE;
  self->retry_not_before = 0;
  self->n_failures = 0;
  phone_update_state (self);
  phone_schedule_first_call (self);
  phone_schedule_periodic (self);
  phone_kick (self);
  /* a PIN dialog open when the phone was stopped shows again */
  if (self->pin_request != NULL)
    phone_schedule_pin (self, 0, TRUE);
  return TRUE;
}

void
wpi_sim_phone_stop (WpiSimPhone *self)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  if (!self->started)
    return;
  self->started = FALSE;

  wpi_sim_timer_clear (&self->kick_timer);
  wpi_sim_timer_clear (&self->retry_timer);
  wpi_sim_timer_clear (&self->call_timer);
  wpi_sim_timer_clear (&self->local_changes_timer);
  wpi_sim_timer_clear (&self->inventory_timer);
  wpi_sim_timer_clear (&self->poll_timer);
  wpi_sim_timer_clear (&self->reboot_timer);
  wpi_sim_timer_clear (&self->pin_timer);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->download_cancellable);
  if (self->flow != NULL)
    g_cancellable_cancel (self->flow->cancellable);
  g_clear_pointer (&self->listener, wpi_sim_listener_free);
  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
  self->pending_startup = FALSE;
  self->pending_contact = FALSE;
  self->pending_local_changes = FALSE;
  self->pending_inventory = FALSE;
  self->rebooting = FALSE;
  self->manual_call = FALSE;
  phone_set_in_call_internal (self, FALSE);
  phone_set_pending_solicited (self, FALSE);
  phone_update_state (self);
}

gboolean
wpi_sim_phone_has_operations (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);

  return self->n_operations > 0;
}

const char *
wpi_sim_phone_get_mac (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->mac;
}

const char *
wpi_sim_phone_get_e164 (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return wpi_sim_items_get_value (self->items, "e164");
}

const char *
wpi_sim_phone_get_device_type (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->device_type;
}

const char *
wpi_sim_phone_get_software_version (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return wpi_sim_items_get_value (self->items, "software-version");
}

const char *
wpi_sim_phone_get_contact_uri (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->contact_uri;
}

const char *
wpi_sim_phone_get_service_uri (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  return self->service_uri;
}

WpiSimPhoneState
wpi_sim_phone_get_state (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), WPI_SIM_PHONE_STATE_IDLE);
  return self->state;
}

gboolean
wpi_sim_phone_get_in_call (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->in_call;
}

gboolean
wpi_sim_phone_get_in_flow (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->flow != NULL;
}

gboolean
wpi_sim_phone_get_pending_solicited (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->pending_solicited;
}

void
wpi_sim_phone_set_in_call (WpiSimPhone *self,
                           gboolean     in_call)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  wpi_sim_timer_clear (&self->call_timer);
  self->manual_call = in_call;
  phone_set_in_call_internal (self, in_call);
  if (!in_call)
    phone_schedule_calls (self);
}

const char *
wpi_sim_phone_get_item (WpiSimPhone *self,
                        const char  *name,
                        gint64       index)
{
  WpiSimItem *item;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  item = wpi_sim_items_lookup (self->items, name, index < 0 ? -1 : index);
  return item != NULL ? item->value : NULL;
}

static gboolean
check_item (WpiSimPhone  *self,
            const char   *name,
            gint64        index,
            const char   *value,
            gboolean      allow_read_only,
            GError      **error)
{
  g_autofree char *reason = NULL;
  WpiItemStatus status;

  status = wpi_sim_items_check_write (self->items, name, index >= 0, index, value, &reason);
  switch (status)
    {
    case WPI_ITEM_STATUS_NONE:
      return TRUE;
    case WPI_ITEM_STATUS_READ_ONLY:
      if (allow_read_only)
        return TRUE;
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_READ_ONLY,
                   "%s is read-only", name);
      return FALSE;
    case WPI_ITEM_STATUS_INVALID_INDEX:
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_INDEX,
                   "%s: %s", name, reason ?: "invalid index");
      return FALSE;
    case WPI_ITEM_STATUS_INVALID_DATA:
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_INVALID_VALUE,
                   "%s: %s", name, reason ?: "invalid value");
      return FALSE;
    default:
      g_set_error (error, WPI_SIM_PHONE_ERROR, WPI_SIM_PHONE_ERROR_UNKNOWN_ITEM,
                   "%s: %s", name, reason ?: "not an item of this phone");
      return FALSE;
    }
}

gboolean
wpi_sim_phone_set_item (WpiSimPhone  *self,
                        const char   *name,
                        gint64        index,
                        const char   *value,
                        GError      **error)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!check_item (self, name, index, value, TRUE, error))
    return FALSE;
  wpi_sim_items_store (self->items, name, index < 0 ? -1 : index, value);
  if (strcmp (name, "e164") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_E164]);
  else if (strcmp (name, "software-version") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOFTWARE_VERSION]);
  return TRUE;
}

guint
wpi_sim_phone_get_n_items (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), 0);
  return wpi_sim_items_get_n_items (self->items);
}

gboolean
wpi_sim_phone_change_item_locally (WpiSimPhone  *self,
                                   const char   *name,
                                   gint64        index,
                                   const char   *value,
                                   GError      **error)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  if (!check_item (self, name, index, value, FALSE, error))
    return FALSE;
  wpi_sim_items_store (self->items, name, index < 0 ? -1 : index, value);
  wpi_sim_items_set_value (self->items, "configuration-changed-flag", "true");
  if (strcmp (name, "e164") == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_E164]);

  key = item_key (name, index < 0 ? -1 : index);
  if (!g_ptr_array_find_with_equal_func (self->changed, key, g_str_equal, NULL))
    g_ptr_array_add (self->changed, g_steal_pointer (&key));
  self->pending_local_changes = TRUE;
  phone_kick (self);
  return TRUE;
}

void
wpi_sim_phone_change_inventory (WpiSimPhone *self)
{
  const char *current;
  guint64 modules = 0;
  g_autofree char *value = NULL;

  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  /* plug in one more key module, up to two, then take them away again */
  current = wpi_sim_items_get_value (self->items, "key-modules");
  if (current != NULL)
    g_ascii_string_to_unsigned (current, 10, 0, 2, &modules, NULL);
  modules = (modules + 1) % 3;
  value = g_strdup_printf ("%" G_GUINT64_FORMAT, modules);
  wpi_sim_items_set_value (self->items, "key-modules", value);
  self->pending_inventory = TRUE;
  phone_kick (self);
}

guint
wpi_sim_phone_get_n_files (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), 0);
  return self->files->len;
}

gboolean
wpi_sim_phone_get_file (WpiSimPhone  *self,
                        guint         position,
                        const char  **name,
                        const char  **type,
                        const char  **status,
                        guint64      *size)
{
  SimFile *file;

  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);

  if (position >= self->files->len)
    return FALSE;
  file = g_ptr_array_index (self->files, position);
  if (name != NULL)
    *name = file->name;
  if (type != NULL)
    *type = file->type;
  if (status != NULL)
    *status = file->status;
  if (size != NULL)
    *size = file->size;
  return TRUE;
}

WpiSimPhoneMode
wpi_sim_phone_get_mode (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), WPI_SIM_PHONE_MODE_DEFAULT);
  return self->mode;
}

guint
wpi_sim_phone_get_secure_port (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), 0);
  return self->credentials != NULL ? self->credentials->port : 0;
}

gboolean
wpi_sim_phone_get_awaiting_pin (WpiSimPhone *self)
{
  g_return_val_if_fail (WPI_IS_SIM_PHONE (self), FALSE);
  return self->pin_request != NULL;
}

void
wpi_sim_phone_set_pin (WpiSimPhone *self,
                       const char  *pin)
{
  g_return_if_fail (WPI_IS_SIM_PHONE (self));

  g_free (self->pin);
  self->pin = g_strdup (pin);
  /* a phone that waits for its PIN takes it now, from the main loop: this may run inside a
   * pin-requested handler */
  if (pin != NULL && self->pin_request != NULL && self->started && !self->pin_attempt_running)
    phone_schedule_pin (self, 0, FALSE);
}
