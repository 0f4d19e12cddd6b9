/* wpi-pcapng.h: a pcapng file writer and synthesised TCP streams (D29)
 *
 * WpiPcapngWriter writes one section (pcapng draft-ietf-opsawg-pcapng: Section Header,
 * one Interface Description of link type RAW, i.e. IPv4 or IPv6 packets, and Enhanced
 * Packet Blocks with an opt_comment each), microsecond time stamps, little-endian.
 *
 * WpiTcpStream makes the packets of one TCP connection between a client and a server
 * address: the three-way handshake when it is first used, then data segments of at most
 * WPI_TCP_SEGMENT_MAX bytes with sequence and acknowledgement numbers that follow each
 * other and correct IP and TCP checksums, so that Wireshark reassembles what was sent.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WPI_PCAPNG_LINKTYPE_RAW 101
#define WPI_TCP_SEGMENT_MAX     1400

typedef struct _WpiPcapngWriter WpiPcapngWriter;

/* Writes the section header (with comment and the application's name) and the
 * interface description. The writer does not close out. */
WpiPcapngWriter *wpi_pcapng_writer_new        (GOutputStream    *out,
                                               const char       *section_comment,
                                               GCancellable     *cancellable,
                                               GError          **error);
/* One Enhanced Packet Block; comment may be NULL */
gboolean         wpi_pcapng_writer_add_packet (WpiPcapngWriter  *self,
                                               gint64            time_us,
                                               const guint8     *data,
                                               gsize             length,
                                               const char       *comment,
                                               GCancellable     *cancellable,
                                               GError          **error);
guint            wpi_pcapng_writer_get_n_packets (WpiPcapngWriter *self);
void             wpi_pcapng_writer_free       (WpiPcapngWriter  *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiPcapngWriter, wpi_pcapng_writer_free)

typedef struct _WpiTcpStream WpiTcpStream;

/* A connection from client to server (both of one family); NULL when they differ. */
WpiTcpStream    *wpi_tcp_stream_new           (GInetSocketAddress *client,
                                               GInetSocketAddress *server);
/* Writes data as sent by the client (from_client) or the server, preceded by the
 * handshake on first use; every packet carries comment. */
gboolean         wpi_tcp_stream_send          (WpiTcpStream     *self,
                                               WpiPcapngWriter  *writer,
                                               gboolean          from_client,
                                               gint64            time_us,
                                               const guint8     *data,
                                               gsize             length,
                                               const char       *comment,
                                               GCancellable     *cancellable,
                                               GError          **error);
/* Closes the connection: FIN from the given side, the other's FIN, the last ACK; the
 * next send opens a new one with a new handshake. */
gboolean         wpi_tcp_stream_close         (WpiTcpStream     *self,
                                               WpiPcapngWriter  *writer,
                                               gboolean          from_client,
                                               gint64            time_us,
                                               const char       *comment,
                                               GCancellable     *cancellable,
                                               GError          **error);
void             wpi_tcp_stream_free          (WpiTcpStream     *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiTcpStream, wpi_tcp_stream_free)

G_END_DECLS
