/* bench-codec.c: codec throughput against raw libxml2 on the same bytes (issue 2 §6)
 *
 * Prints messages per second and MB/s for (a) xmlReadMemory + xmlFreeDoc, (b) the full
 * parse into WpiMessage, (c) serialization, for a ~45 kB ReadAllItems reply of ~600
 * items and a ~600-byte busy reply, and the ratio (b)/(a), whose target is >= 0.7.
 * Not a timed test: it reports figures and always exits 0 unless the codec fails.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>

#include "wpi-codec.h"

/* A phone's whole reply-to with that action and status, no items yet */
static WpiMessage *
make_reply (const char       *nonce,
            WpiAction         action,
            WpiMessageStatus  status)
{
  WpiMessage *message = wpi_message_new (WPI_MESSAGE_KIND_WORKPOINT, nonce);

  wpi_message_set_max_items (message, -1);
  wpi_message_set_fragment (message, WPI_FRAGMENT_FINAL);
  wpi_message_set_reason (message, WPI_REASON_REPLY_TO);
  wpi_message_set_action (message, action);
  wpi_message_set_status (message, status);
  return message;
}

static WpiMessage *
make_read_all_reply (void)
{
  WpiMessage *message = make_reply ("3F2A9C0D5B7E41A6B8C9D0E1F2A3B4C5", WPI_ACTION_READ_ALL_ITEMS,
                                    WPI_MESSAGE_STATUS_ACCEPTED);

  /* A realistic mix: short booleans and numbers, names, addresses, some indexed keys. */
  for (int i = 0; i < 600; i++)
    {
      g_autofree char *name = g_strdup_printf ("phone-item-name-%03d-setting", i);
      g_autofree char *value = NULL;

      switch (i % 5)
        {
        case 0: value = g_strdup ("true"); break;
        case 1: value = g_strdup_printf ("%d", i * 7); break;
        case 2: value = g_strdup_printf ("sip-%d.example.org", i); break;
        case 3: value = g_strdup ("Function key label with a longer descriptive text"); break;
        default: value = g_strdup_printf ("192.168.%d.%d", i / 250, i % 250); break;
        }
      if (i % 4 == 0)
        wpi_message_add_indexed_item (message, name, i % 12 + 1, value);
      else
        wpi_message_add_item (message, name, value);
    }
  return message;
}

typedef enum { RAW_LIBXML2, FULL_PARSE, SERIALIZE } Mode;

/* Runs mode for at least min_seconds; returns messages per second. */
static double
measure (Mode        mode,
         const char *xml,
         gsize       length,
         WpiMessage *model,
         double      min_seconds)
{
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64) (min_seconds * G_USEC_PER_SEC);
  guint64 count = 0;
  gint64 now;

  do
    {
      for (int i = 0; i < 100; i++)
        {
          switch (mode)
            {
            case RAW_LIBXML2:
              {
                xmlDocPtr doc = xmlReadMemory (xml, (int) length, NULL, NULL, XML_PARSE_NONET);
                g_assert (doc != NULL);
                xmlFreeDoc (doc);
              }
              break;
            case FULL_PARSE:
              {
                WpiMessage *message = wpi_message_parse (xml, length, NULL);
                g_assert (message != NULL);
                g_object_unref (message);
              }
              break;
            case SERIALIZE:
              g_free (wpi_message_serialize (model, NULL));
              break;
            default:
              g_assert_not_reached ();
            }
        }
      count += 100;
      now = g_get_monotonic_time ();
    }
  while (now < deadline);

  return count / ((now - start) / (double) G_USEC_PER_SEC);
}

static double
run_case (const char *label,
          WpiMessage *model,
          double      min_seconds)
{
  gsize length = 0;
  g_autofree char *xml = wpi_message_serialize (model, &length);
  double raw, full, out, best_ratio = 0;

  g_print ("%s: %" G_GSIZE_FORMAT " bytes, %u items\n", label, length, wpi_message_get_n_items (model));

  /* Interleaved rounds, best of three, so that a noisy neighbour affects both sides. */
  for (int round = 0; round < 3; round++)
    {
      raw = measure (RAW_LIBXML2, xml, length, model, min_seconds);
      full = measure (FULL_PARSE, xml, length, model, min_seconds);
      out = measure (SERIALIZE, xml, length, model, min_seconds);
      g_print ("  round %d: (a) xmlReadMemory+free %9.0f msg/s %7.1f MB/s | "
               "(b) full parse %9.0f msg/s %7.1f MB/s | (c) serialize %9.0f msg/s %7.1f MB/s | "
               "(b)/(a) %.2f\n",
               round + 1,
               raw, raw * length / 1e6, full, full * length / 1e6, out, out * length / 1e6,
               full / raw);
      best_ratio = MAX (best_ratio, full / raw);
    }
  return best_ratio;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(WpiMessage) read_all = make_read_all_reply ();
  g_autoptr(WpiMessage) busy = make_reply ("77C0AB1277C0AB1277C0AB1277C0AB12", WPI_ACTION_WRITE_ITEMS,
                                           WPI_MESSAGE_STATUS_BUSY);
  double seconds = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 0.5;
  double ratio_read_all, ratio_busy;

  ratio_read_all = run_case ("ReadAllItems reply", read_all, seconds);
  ratio_busy = run_case ("busy reply", busy, seconds);

  g_print ("ratio (b)/(a): ReadAllItems %.2f, busy %.2f (target >= 0.70): %s\n",
           ratio_read_all, ratio_busy,
           ratio_read_all >= 0.7 && ratio_busy >= 0.7 ? "met" : "NOT met");
  return 0;
}
