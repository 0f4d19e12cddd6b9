/* wpi-pcapng.c: a pcapng file writer and synthesised TCP streams (D29) */
#include "config.h"

#include <string.h>

#include "wpi-pcapng.h"

#define BLOCK_SECTION_HEADER   0x0A0D0D0Au
#define BLOCK_INTERFACE        0x00000001u
#define BLOCK_ENHANCED_PACKET  0x00000006u
#define BYTE_ORDER_MAGIC       0x1A2B3C4Du
#define OPT_END                0
#define OPT_COMMENT            1
#define OPT_SHB_USERAPPL       4
#define OPT_IF_NAME            2
#define OPT_IF_TSRESOL         9
#define SNAPLEN                262144u

struct _WpiPcapngWriter {
  GOutputStream *out;
  guint          n_packets;
};

/* ---- Blocks -------------------------------------------------------------------- */

static void
put_u16 (GByteArray *block,
         guint16     value)
{
  guint16 le = GUINT16_TO_LE (value);

  g_byte_array_append (block, (const guint8 *) &le, 2);
}

static void
put_u32 (GByteArray *block,
         guint32     value)
{
  guint32 le = GUINT32_TO_LE (value);

  g_byte_array_append (block, (const guint8 *) &le, 4);
}

static void
pad_to_4 (GByteArray *block)
{
  static const guint8 zeros[3] = { 0 };

  if (block->len % 4 != 0)
    g_byte_array_append (block, zeros, 4 - block->len % 4);
}

/* An option; values longer than an option can hold are cut (a comment is text only) */
static void
put_option (GByteArray   *block,
            guint16       code,
            const guint8 *value,
            gsize         length)
{
  length = MIN (length, 0xFFF0);
  put_u16 (block, code);
  put_u16 (block, (guint16) length);
  g_byte_array_append (block, value, (guint) length);
  pad_to_4 (block);
}

static void
put_text_option (GByteArray *block,
                 guint16     code,
                 const char *text)
{
  if (text != NULL && text[0] != '\0')
    put_option (block, code, (const guint8 *) text, strlen (text));
}

/* A block of type with room for its total length, which finish_block fills in */
static GByteArray *
start_block (guint32 type)
{
  GByteArray *block = g_byte_array_sized_new (64);

  put_u32 (block, type);
  put_u32 (block, 0);
  return block;
}

static gboolean
finish_block (WpiPcapngWriter  *self,
              GByteArray       *block,
              GCancellable     *cancellable,
              GError          **error)
{
  guint32 total;
  gboolean ok;

  pad_to_4 (block);
  total = GUINT32_TO_LE (block->len + 4);
  memcpy (block->data + 4, &total, 4);
  g_byte_array_append (block, (const guint8 *) &total, 4);
  ok = g_output_stream_write_all (self->out, block->data, block->len, NULL, cancellable, error);
  g_byte_array_unref (block);
  return ok;
}

WpiPcapngWriter *
wpi_pcapng_writer_new (GOutputStream  *out,
                       const char     *section_comment,
                       GCancellable   *cancellable,
                       GError        **error)
{
  g_autoptr(WpiPcapngWriter) self = g_new0 (WpiPcapngWriter, 1);
  GByteArray *block;
  guint8 tsresol = 6; /* microseconds */

  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), NULL);
  self->out = g_object_ref (out);

  block = start_block (BLOCK_SECTION_HEADER);
  put_u32 (block, BYTE_ORDER_MAGIC);
  put_u16 (block, 1);
  put_u16 (block, 0);
  put_u32 (block, 0xFFFFFFFFu); /* section length unknown */
  put_u32 (block, 0xFFFFFFFFu);
  put_text_option (block, OPT_COMMENT, section_comment);
  put_text_option (block, OPT_SHB_USERAPPL, "Workpoint Console " WPC_VERSION);
  put_option (block, OPT_END, NULL, 0);
  if (!finish_block (self, block, cancellable, error))
    return NULL;

  block = start_block (BLOCK_INTERFACE);
  put_u16 (block, WPI_PCAPNG_LINKTYPE_RAW);
  put_u16 (block, 0);
  put_u32 (block, SNAPLEN);
  put_text_option (block, OPT_IF_NAME, "wpi-traffic-log");
  put_option (block, OPT_IF_TSRESOL, &tsresol, 1);
  put_option (block, OPT_END, NULL, 0);
  if (!finish_block (self, block, cancellable, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
wpi_pcapng_writer_add_packet (WpiPcapngWriter  *self,
                              gint64            time_us,
                              const guint8     *data,
                              gsize             length,
                              const char       *comment,
                              GCancellable     *cancellable,
                              GError          **error)
{
  GByteArray *block;
  guint64 stamp = (guint64) MAX (time_us, 0);

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (length <= SNAPLEN, FALSE);

  block = start_block (BLOCK_ENHANCED_PACKET);
  put_u32 (block, 0); /* the one interface */
  put_u32 (block, (guint32) (stamp >> 32));
  put_u32 (block, (guint32) stamp);
  put_u32 (block, (guint32) length);
  put_u32 (block, (guint32) length);
  g_byte_array_append (block, data, (guint) length);
  pad_to_4 (block);
  if (comment != NULL && comment[0] != '\0')
    {
      put_text_option (block, OPT_COMMENT, comment);
      put_option (block, OPT_END, NULL, 0);
    }
  self->n_packets++;
  return finish_block (self, block, cancellable, error);
}

guint
wpi_pcapng_writer_get_n_packets (WpiPcapngWriter *self)
{
  return self->n_packets;
}

void
wpi_pcapng_writer_free (WpiPcapngWriter *self)
{
  if (self == NULL)
    return;
  g_clear_object (&self->out);
  g_free (self);
}

/* ---- TCP over IPv4 / IPv6 ------------------------------------------------------ */

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10

typedef struct {
  guint8  address[16];
  guint16 port;
  guint32 next_seq;  /* the next sequence number this side sends */
} Endpoint;

struct _WpiTcpStream {
  gboolean  ipv6;
  Endpoint  client;
  Endpoint  server;
  gboolean  open;
  guint     n_connections;
  guint16   ip_id;
};

static gsize
address_length (const WpiTcpStream *self)
{
  return self->ipv6 ? 16 : 4;
}

WpiTcpStream *
wpi_tcp_stream_new (GInetSocketAddress *client,
                    GInetSocketAddress *server)
{
  GInetAddress *client_address = g_inet_socket_address_get_address (client);
  GInetAddress *server_address = g_inet_socket_address_get_address (server);
  WpiTcpStream *self;
  GSocketFamily family = g_inet_address_get_family (client_address);

  if (family != g_inet_address_get_family (server_address))
    return NULL;
  self = g_new0 (WpiTcpStream, 1);
  self->ipv6 = family == G_SOCKET_FAMILY_IPV6;
  memcpy (self->client.address, g_inet_address_to_bytes (client_address), address_length (self));
  memcpy (self->server.address, g_inet_address_to_bytes (server_address), address_length (self));
  self->client.port = g_inet_socket_address_get_port (client);
  self->server.port = g_inet_socket_address_get_port (server);
  return self;
}

void
wpi_tcp_stream_free (WpiTcpStream *self)
{
  g_free (self);
}

/* RFC 1071: the ones' complement sum, folded */
static guint32
checksum_add (guint32       sum,
              const guint8 *data,
              gsize         length)
{
  for (gsize i = 0; i + 1 < length; i += 2)
    sum += (guint32) (data[i] << 8 | data[i + 1]);
  if (length % 2 != 0)
    sum += (guint32) data[length - 1] << 8;
  return sum;
}

static guint16
checksum_fold (guint32 sum)
{
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  return (guint16) ~sum;
}

static void
put_be16 (guint8  *at,
          guint16  value)
{
  at[0] = (guint8) (value >> 8);
  at[1] = (guint8) value;
}

static void
put_be32 (guint8  *at,
          guint32  value)
{
  put_be16 (at, (guint16) (value >> 16));
  put_be16 (at + 2, (guint16) value);
}

/* The IP header (without checksum for IPv6, which has none) in front of a TCP segment */
static gsize
write_ip_header (WpiTcpStream   *self,
                 guint8         *packet,
                 const Endpoint *from,
                 const Endpoint *to,
                 gsize           tcp_length)
{
  gsize length = address_length (self);

  if (self->ipv6)
    {
      packet[0] = 0x60;
      put_be16 (packet + 4, (guint16) tcp_length);
      packet[6] = 6;   /* TCP */
      packet[7] = 64;  /* hop limit */
      memcpy (packet + 8, from->address, length);
      memcpy (packet + 24, to->address, length);
      return 40;
    }
  packet[0] = 0x45;
  put_be16 (packet + 2, (guint16) (20 + tcp_length));
  put_be16 (packet + 4, self->ip_id++);
  put_be16 (packet + 6, 0x4000); /* don't fragment */
  packet[8] = 64;
  packet[9] = 6;
  memcpy (packet + 12, from->address, length);
  memcpy (packet + 16, to->address, length);
  put_be16 (packet + 10, checksum_fold (checksum_add (0, packet, 20)));
  return 20;
}

static guint16
tcp_checksum (WpiTcpStream   *self,
              const Endpoint *from,
              const Endpoint *to,
              const guint8   *segment,
              gsize           length)
{
  gsize address_bytes = address_length (self);
  guint32 sum = 0;

  /* the pseudo-header: addresses, protocol, TCP length (RFC 9293 §3.1, RFC 8200 §8.1) */
  sum = checksum_add (sum, from->address, address_bytes);
  sum = checksum_add (sum, to->address, address_bytes);
  sum += 6;
  sum += (guint32) (length & 0xFFFF) + (guint32) (length >> 16);
  return checksum_fold (checksum_add (sum, segment, length));
}

static gboolean
emit_segment (WpiTcpStream     *self,
              WpiPcapngWriter  *writer,
              gboolean          from_client,
              guint8            flags,
              gint64            time_us,
              const guint8     *data,
              gsize             length,
              const char       *comment,
              GCancellable     *cancellable,
              GError          **error)
{
  Endpoint *from = from_client ? &self->client : &self->server;
  Endpoint *to = from_client ? &self->server : &self->client;
  guint8 packet[40 + 20 + WPI_TCP_SEGMENT_MAX] = { 0 };
  gsize ip_length = self->ipv6 ? 40 : 20;
  guint8 *tcp = packet + ip_length;

  g_assert (length <= WPI_TCP_SEGMENT_MAX);
  write_ip_header (self, packet, from, to, 20 + length);
  put_be16 (tcp, from->port);
  put_be16 (tcp + 2, to->port);
  put_be32 (tcp + 4, from->next_seq);
  put_be32 (tcp + 8, (flags & TCP_ACK) ? to->next_seq : 0);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  put_be16 (tcp + 14, 65535);
  if (length > 0)
    memcpy (tcp + 20, data, length);
  put_be16 (tcp + 16, tcp_checksum (self, from, to, tcp, 20 + length));

  /* SYN and FIN take a sequence number each */
  from->next_seq += (guint32) length + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
  return wpi_pcapng_writer_add_packet (writer, time_us, packet, ip_length + 20 + length, comment,
                                       cancellable, error);
}

/* Initial sequence numbers: any will do, but different per connection and side as a
 * real stack's, so that a merged capture does not mix connections up */
static guint32
initial_sequence (WpiTcpStream *self,
                  gboolean      client)
{
  guint32 hash = g_int_hash (&self->n_connections) * 2654435761u;

  hash ^= (guint32) self->client.port << 16 | self->server.port;
  return client ? hash : ~hash;
}

static gboolean
handshake (WpiTcpStream     *self,
           WpiPcapngWriter  *writer,
           gint64            time_us,
           const char       *comment,
           GCancellable     *cancellable,
           GError          **error)
{
  self->client.next_seq = initial_sequence (self, TRUE);
  self->server.next_seq = initial_sequence (self, FALSE);
  self->n_connections++;
  self->open = TRUE;
  /* just before the first data, in order */
  return emit_segment (self, writer, TRUE, TCP_SYN, time_us - 3, NULL, 0, comment, cancellable, error) &&
         emit_segment (self, writer, FALSE, TCP_SYN | TCP_ACK, time_us - 2, NULL, 0, comment, cancellable, error) &&
         emit_segment (self, writer, TRUE, TCP_ACK, time_us - 1, NULL, 0, comment, cancellable, error);
}

gboolean
wpi_tcp_stream_send (WpiTcpStream     *self,
                     WpiPcapngWriter  *writer,
                     gboolean          from_client,
                     gint64            time_us,
                     const guint8     *data,
                     gsize             length,
                     const char       *comment,
                     GCancellable     *cancellable,
                     GError          **error)
{
  gsize offset = 0;

  if (!self->open && !handshake (self, writer, time_us, comment, cancellable, error))
    return FALSE;
  do
    {
      gsize part = MIN (length - offset, (gsize) WPI_TCP_SEGMENT_MAX);
      guint8 flags = TCP_ACK | (offset + part == length ? TCP_PSH : 0);

      if (!emit_segment (self, writer, from_client, flags, time_us, data + offset, part, comment,
                         cancellable, error))
        return FALSE;
      offset += part;
    }
  while (offset < length);
  return TRUE;
}

gboolean
wpi_tcp_stream_close (WpiTcpStream     *self,
                      WpiPcapngWriter  *writer,
                      gboolean          from_client,
                      gint64            time_us,
                      const char       *comment,
                      GCancellable     *cancellable,
                      GError          **error)
{
  if (!self->open)
    return TRUE;
  self->open = FALSE;
  return emit_segment (self, writer, from_client, TCP_FIN | TCP_ACK, time_us + 1, NULL, 0, comment,
                       cancellable, error) &&
         emit_segment (self, writer, !from_client, TCP_FIN | TCP_ACK, time_us + 2, NULL, 0, comment,
                       cancellable, error) &&
         emit_segment (self, writer, from_client, TCP_ACK, time_us + 3, NULL, 0, comment, cancellable, error);
}
