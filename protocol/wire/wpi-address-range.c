/* wpi-address-range.c: IPv4 address ranges for a sweep (issue 14, D25) */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "wpi-address-range.h"

G_DEFINE_QUARK (wpi-address-range-error-quark, wpi_address_range_error)

typedef struct {
  guint32         network;
  guint           length;
  WpiAddressScope scope;
} Block;

/* Non-public blocks: a range inside one of them is not public. A range that spans two
 * holds the public addresses between them. */
static const Block private_blocks[] = {
  { 0x7f000000, 8, WPI_ADDRESS_SCOPE_LOOPBACK },   /* 127.0.0.0/8 */
  { 0x0a000000, 8, WPI_ADDRESS_SCOPE_PRIVATE },    /* 10.0.0.0/8 */
  { 0xac100000, 12, WPI_ADDRESS_SCOPE_PRIVATE },   /* 172.16.0.0/12 */
  { 0xc0a80000, 16, WPI_ADDRESS_SCOPE_PRIVATE },   /* 192.168.0.0/16 */
  { 0xa9fe0000, 16, WPI_ADDRESS_SCOPE_PRIVATE },   /* 169.254.0.0/16, link-local */
  { 0x64400000, 10, WPI_ADDRESS_SCOPE_PRIVATE },   /* 100.64.0.0/10, carrier NAT */
};

/* No phone has these: "this network", multicast and the reserved class E with broadcast */
static const Block not_unicast_blocks[] = {
  { 0x00000000, 8, 0 },
  { 0xe0000000, 4, 0 },
  { 0xf0000000, 4, 0 },
};

static guint32
block_mask (guint length)
{
  return length == 0 ? 0 : 0xffffffffu << (32 - length);
}

static gboolean
block_holds (const Block *block,
             guint32      first,
             guint32      last)
{
  guint32 mask = block_mask (block->length);

  return (first & mask) == block->network && (last & mask) == block->network;
}

static gboolean
block_touches (const Block *block,
               guint32      first,
               guint32      last)
{
  guint32 start = block->network;
  guint32 end = block->network | ~block_mask (block->length);

  return first <= end && last >= start;
}

static gboolean
address_parse (const char *text,
               guint32    *address)
{
  g_autoptr(GInetAddress) inet = g_inet_address_new_from_string (text);
  const guint8 *bytes;

  if (inet == NULL || g_inet_address_get_family (inet) != G_SOCKET_FAMILY_IPV4)
    return FALSE;
  bytes = g_inet_address_to_bytes (inet);
  *address = ((guint32) bytes[0] << 24) | ((guint32) bytes[1] << 16) |
             ((guint32) bytes[2] << 8) | bytes[3];
  return TRUE;
}

static gboolean
parse_cidr (const char  *address_text,
            const char  *length_text,
            guint32     *first,
            guint32     *last)
{
  guint64 length;
  guint32 address, mask;

  if (!address_parse (address_text, &address) ||
      !g_ascii_string_to_unsigned (length_text, 10, 0, 32, &length, NULL))
    return FALSE;
  mask = block_mask ((guint) length);
  *first = address & mask;
  *last = *first | ~mask;
  /* hosts only: the network and broadcast addresses of a /30 or wider are no phone's */
  if (length <= 30)
    {
      *first += 1;
      *last -= 1;
    }
  return TRUE;
}

/* "A-B" with B a whole address or the last octet only */
static gboolean
parse_first_last (const char *first_text,
                  const char *last_text,
                  guint32    *first,
                  guint32    *last)
{
  guint64 octet;

  if (!address_parse (first_text, first))
    return FALSE;
  if (strchr (last_text, '.') != NULL)
    return address_parse (last_text, last);
  if (!g_ascii_string_to_unsigned (last_text, 10, 0, 255, &octet, NULL))
    return FALSE;
  *last = (*first & 0xffffff00u) | (guint32) octet;
  return TRUE;
}

static gboolean
parse_syntax (const char *text,
              guint32    *first,
              guint32    *last)
{
  g_auto(GStrv) parts = NULL;

  if (strchr (text, '/') != NULL)
    {
      parts = g_strsplit (text, "/", 2);
      return parse_cidr (g_strstrip (parts[0]), g_strstrip (parts[1]), first, last);
    }
  if (strchr (text, '-') != NULL)
    {
      parts = g_strsplit (text, "-", 2);
      return parse_first_last (g_strstrip (parts[0]), g_strstrip (parts[1]), first, last);
    }
  if (!address_parse (text, first))
    return FALSE;
  *last = *first;
  return TRUE;
}

gboolean
wpi_address_range_parse (const char       *text,
                         WpiAddressRange  *range,
                         GError          **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  guint32 first = 0, last = 0;

  g_return_val_if_fail (range != NULL, FALSE);

  if (!parse_syntax (trimmed, &first, &last) || first > last)
    {
      g_set_error (error, WPI_ADDRESS_RANGE_ERROR, WPI_ADDRESS_RANGE_ERROR_SYNTAX,
                   "\"%s\" is not an IPv4 range such as 192.168.1.0/24, "
                   "192.168.1.10-192.168.1.99 or 192.168.1.10-99", trimmed);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (not_unicast_blocks); i++)
    if (block_touches (&not_unicast_blocks[i], first, last))
      {
        g_set_error (error, WPI_ADDRESS_RANGE_ERROR, WPI_ADDRESS_RANGE_ERROR_NOT_UNICAST,
                     "\"%s\" holds addresses no phone can have (0.0.0.0/8, multicast or "
                     "reserved)", trimmed);
        return FALSE;
      }
  if ((guint64) last - first + 1 > WPI_ADDRESS_RANGE_MAX_SIZE)
    {
      g_set_error (error, WPI_ADDRESS_RANGE_ERROR, WPI_ADDRESS_RANGE_ERROR_TOO_LARGE,
                   "\"%s\" holds %" G_GUINT64_FORMAT " addresses, more than the %u of a /16",
                   trimmed, (guint64) last - first + 1, WPI_ADDRESS_RANGE_MAX_SIZE);
      return FALSE;
    }
  range->first = first;
  range->last = last;
  return TRUE;
}

guint
wpi_address_range_size (const WpiAddressRange *range)
{
  return range->last - range->first + 1;
}

static char *
address_to_string (guint32 address)
{
  return g_strdup_printf ("%u.%u.%u.%u", address >> 24, (address >> 16) & 0xff,
                          (address >> 8) & 0xff, address & 0xff);
}

char *
wpi_address_range_nth (const WpiAddressRange *range,
                       guint                  n)
{
  if (n >= wpi_address_range_size (range))
    return NULL;
  return address_to_string (range->first + n);
}

gint64
wpi_address_range_index_of (const WpiAddressRange *range,
                            const char            *address)
{
  guint32 value;

  if (address == NULL || !address_parse (address, &value) ||
      value < range->first || value > range->last)
    return -1;
  return value - range->first;
}

WpiAddressScope
wpi_address_range_scope (const WpiAddressRange *range)
{
  for (guint i = 0; i < G_N_ELEMENTS (private_blocks); i++)
    if (block_holds (&private_blocks[i], range->first, range->last))
      return private_blocks[i].scope;
  return WPI_ADDRESS_SCOPE_PUBLIC;
}

char *
wpi_address_range_to_string (const WpiAddressRange *range)
{
  g_autofree char *first = address_to_string (range->first);
  g_autofree char *last = address_to_string (range->last);

  if (range->first == range->last)
    return g_steal_pointer (&first);
  return g_strdup_printf ("%s – %s", first, last);
}
