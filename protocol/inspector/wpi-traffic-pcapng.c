/* wpi-traffic-pcapng.c: the traffic log as a capture for Wireshark (D29)
 *
 * Each message becomes the HTTP request or response it was, in TCP segments between the
 * phone's address and port (the record's peer) and the console's (the address the phone
 * named in its Host header, on the record's port). A connection starts with a
 * handshake the first time its phone and port appear and ends after a response that
 * said "Connection: close" (D18). The messages went over TLS: the capture shows them in
 * the clear on the same ports, which the section comment says.
 */
#include "config.h"

#include <string.h>

#include "wpi-pcapng.h"
#include "wpi-traffic-export-private.h"

/* When the phone named no address of the console: documentation addresses (RFC 5737,
 * RFC 3849), never a real host */
#define FALLBACK_CONSOLE_IPV4 "192.0.2.1"
#define FALLBACK_CONSOLE_IPV6 "2001:db8::1"
/* the path phones post to (protocol.md §2.1), for a message logged without its head */
#define WPI_TRAFFIC_PCAPNG_PATH "/DeploymentService/LoginService"
/* and a message logged without a usable peer comes from here */
#define FALLBACK_PHONE        "198.51.100.1:0"

#define SECTION_COMMENT \
  "Workpoint Console traffic log export. These messages went over HTTPS (TLS on the " \
  "ports shown); they are shown here as plain HTTP on the same ports, decrypted by " \
  "the console. The TCP handshakes, sequence numbers and Content-Length headers are " \
  "made up to carry them; times, addresses, ports, HTTP heads and bodies are as " \
  "logged. Each packet's comment names its message in the log. "

struct _WpiTrafficPcapng {
  WpiPcapngWriter *writer;
  GHashTable      *streams; /* "peer port" -> WpiTcpStream */
};

WpiTrafficPcapng *
_wpi_traffic_pcapng_new (GOutputStream  *out,
                         GCancellable   *cancellable,
                         GError        **error)
{
  g_autoptr(WpiTrafficPcapng) self = g_new0 (WpiTrafficPcapng, 1);
  g_autofree char *comment = g_strconcat (SECTION_COMMENT, "Where the phone named no console address, the "
                                          "console is shown as " FALLBACK_CONSOLE_IPV4 " or "
                                          FALLBACK_CONSOLE_IPV6 "; a message logged without the phone's "
                                          "address comes from " FALLBACK_PHONE ".", NULL);

  self->streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) wpi_tcp_stream_free);
  self->writer = wpi_pcapng_writer_new (out, comment, cancellable, error);
  if (self->writer == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

void
_wpi_traffic_pcapng_free (WpiTrafficPcapng *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->writer, wpi_pcapng_writer_free);
  g_clear_pointer (&self->streams, g_hash_table_unref);
  g_free (self);
}

static GInetSocketAddress *
parse_peer (const char *peer)
{
  g_autofree char *host = NULL;
  g_autoptr(GInetAddress) address = NULL;
  guint16 port;

  if (!_wpi_traffic_split_peer (peer, &host, &port) ||
      (address = g_inet_address_new_from_string (host)) == NULL)
    return NULL;
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, port));
}

/* The value of a header in the logged head, or NULL */
static char *
head_value (GStrv       lines,
            const char *name)
{
  gsize name_length = strlen (name);

  for (guint i = 1; lines != NULL && lines[i] != NULL; i++)
    if (g_ascii_strncasecmp (lines[i], name, name_length) == 0 && lines[i][name_length] == ':')
      return g_strstrip (g_strdup (lines[i] + name_length + 1));
  return NULL;
}

/* The console's address as the phone named it in Host (an address, not a name) */
static GInetAddress *
console_address (GStrv          head,
                 GSocketFamily  family)
{
  g_autofree char *host = head_value (head, "Host");
  GInetAddress *address = NULL;

  if (host != NULL)
    {
      g_autoptr(GSocketConnectable) parsed = g_network_address_parse (host, 0, NULL);

      if (parsed != NULL)
        address = g_inet_address_new_from_string (g_network_address_get_hostname (G_NETWORK_ADDRESS (parsed)));
    }
  if (address != NULL && g_inet_address_get_family (address) == family)
    return address;
  g_clear_object (&address);
  return g_inet_address_new_from_string (family == G_SOCKET_FAMILY_IPV6 ? FALLBACK_CONSOLE_IPV6
                                                                      : FALLBACK_CONSOLE_IPV4);
}

/* The logged head split in lines, or one made up when none was logged (or what was
 * logged has no start line: a NUL byte first, an empty line) */
static GStrv
head_lines (const WpiTrafficRecord *record)
{
  g_autofree char *text = NULL;
  GStrv lines = NULL;

  if (record->headers != NULL && g_bytes_get_size (record->headers) > 0)
    {
      text = g_strndup (g_bytes_get_data (record->headers, NULL), g_bytes_get_size (record->headers));
      g_strdelimit (text, "\r", '\n');
      lines = g_strsplit (text, "\n", -1);
      if (lines[0] != NULL && lines[0][0] != '\0')
        return lines;
      g_strfreev (lines);
    }
  if (record->direction == WPI_TRAFFIC_DIRECTION_IN)
    return g_strsplit ("POST " WPI_TRAFFIC_PCAPNG_PATH " HTTP/1.1\nContent-Type: text/xml", "\n", -1);
  return g_strsplit ("HTTP/1.1 200 OK\nContent-Type: text/xml; charset=utf-8", "\n", -1);
}

/* The HTTP message: the logged head with Content-Length for the body as exported */
static GBytes *
http_message (GStrv   head,
              GBytes *body)
{
  GString *message = g_string_new (head[0]);

  g_string_append (message, "\r\n");
  for (guint i = 1; head[i] != NULL; i++)
    {
      if (head[i][0] == '\0' ||
          g_ascii_strncasecmp (head[i], "Content-Length:", 15) == 0 ||
          g_ascii_strncasecmp (head[i], "Transfer-Encoding:", 18) == 0)
        continue;
      g_string_append_printf (message, "%s\r\n", head[i]);
    }
  g_string_append_printf (message, "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", g_bytes_get_size (body));
  g_string_append_len (message, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body));
  return g_string_free_to_bytes (message);
}

static char *
packet_comment (const WpiTrafficRecord *record)
{
  g_autofree char *summary = wpi_traffic_format_summary (record);
  char *comment = g_strdup_printf ("WPI #%" G_GINT64_FORMAT " %s, %s, flow %s: %s", record->id,
                                   record->direction == WPI_TRAFFIC_DIRECTION_IN ? "phone to console"
                                                                                 : "console to phone",
                                   record->mac != NULL ? record->mac : "MAC unknown",
                                   record->flow_id != NULL ? record->flow_id : "-", summary);

  /* one line (an error text may quote what the phone sent) */
  for (char *p = comment; *p != '\0'; p++)
    if ((guchar) *p < 0x20)
      *p = ' ';
  return comment;
}

static WpiTcpStream *
lookup_stream (WpiTrafficPcapng       *self,
               const WpiTrafficRecord *record,
               GStrv                   head)
{
  g_autoptr(GInetSocketAddress) phone = parse_peer (record->peer);
  const char *peer = phone != NULL ? record->peer : FALLBACK_PHONE;
  g_autofree char *key = g_strdup_printf ("%s %u", peer, record->port);
  WpiTcpStream *stream;
  g_autoptr(GInetAddress) console = NULL;
  g_autoptr(GSocketAddress) server = NULL;

  if (phone == NULL)
    phone = parse_peer (FALLBACK_PHONE);
  stream = g_hash_table_lookup (self->streams, key);
  if (stream != NULL)
    return stream;
  /* a response's head names no Host: the console is then the fallback */
  console = console_address (record->direction == WPI_TRAFFIC_DIRECTION_IN ? head : NULL,
                             g_inet_address_get_family (g_inet_socket_address_get_address (phone)));
  server = g_inet_socket_address_new (console, (guint16) record->port);
  stream = wpi_tcp_stream_new (phone, G_INET_SOCKET_ADDRESS (server));
  if (stream != NULL)
    g_hash_table_insert (self->streams, g_steal_pointer (&key), stream);
  return stream;
}

gboolean
_wpi_traffic_pcapng_add (WpiTrafficPcapng        *self,
                         const WpiTrafficRecord  *record,
                         WpiDumpFlags             flags,
                         GCancellable            *cancellable,
                         GError                 **error)
{
  g_auto(GStrv) head = head_lines (record);
  g_autoptr(GBytes) body = _wpi_traffic_export_body (record, flags);
  g_autoptr(GBytes) message = http_message (head, body);
  g_autofree char *comment = packet_comment (record);
  g_autofree char *connection = NULL;
  gboolean from_phone = record->direction == WPI_TRAFFIC_DIRECTION_IN;
  WpiTcpStream *stream = lookup_stream (self, record, head);

  g_assert (stream != NULL); /* the console's address is of the phone's family */
  if (!wpi_tcp_stream_send (stream, self->writer, from_phone, record->time_us,
                            g_bytes_get_data (message, NULL), g_bytes_get_size (message), comment,
                            cancellable, error))
    return FALSE;

  connection = head_value (head, "Connection");
  if (!from_phone && connection != NULL && g_ascii_strcasecmp (connection, "close") == 0)
    return wpi_tcp_stream_close (stream, self->writer, FALSE, record->time_us, comment, cancellable, error);
  return TRUE;
}
