/* wpi-codec-serialize.c: WpiMessage -> bytes, always in the canonical form
 *
 * Whatever form a message was read in (D20), it is written as the guide writes it:
 * the Siemens namespace, ReasonForContact in a WorkpointMessage, Action in a DLSMessage,
 * ItemList inside Message.
 */
#include "config.h"

#include <libxml/xmlwriter.h>

#include "wpi-libxml-private.h"
#include "wpi-codec.h"

/* ---- Serializer ------------------------------------------------------- */

static void
write_item (xmlTextWriterPtr  writer,
            const WpiItem    *item)
{
  xmlTextWriterStartElement (writer, BAD_CAST "Item");
  xmlTextWriterWriteAttribute (writer, BAD_CAST "name", BAD_CAST item->name);
  if (item->has_index)
    xmlTextWriterWriteFormatAttribute (writer, BAD_CAST "index", "%" G_GINT64_FORMAT, item->index);
  if (item->type != NULL)
    xmlTextWriterWriteAttribute (writer, BAD_CAST "type", BAD_CAST item->type);
  if (item->status != NULL)
    xmlTextWriterWriteAttribute (writer, BAD_CAST "status", BAD_CAST item->status);
  /* Writing an empty string keeps <Item name="x"></Item>, the guide's form for reads */
  xmlTextWriterWriteString (writer, BAD_CAST (item->value != NULL ? item->value : ""));
  xmlTextWriterFullEndElement (writer);
}

char *
wpi_message_serialize (WpiMessage *message,
                       gsize      *length)
{
  xmlBufferPtr buffer;
  xmlTextWriterPtr writer;
  WpiMessageKind kind;
  const char *fragment, *reason, *action, *status;
  guint n_items;
  char *result;

  g_return_val_if_fail (WPI_IS_MESSAGE (message), NULL);
  _wpi_libxml_init ();

  kind = wpi_message_get_kind (message);
  fragment = wpi_message_get_fragment_string (message);
  reason = wpi_message_get_reason_string (message);
  action = wpi_message_get_action_string (message);
  status = wpi_message_get_status_string (message);
  n_items = wpi_message_get_n_items (message);

  buffer = xmlBufferCreateSize (512 + n_items * 64);
  writer = xmlNewTextWriterMemory (buffer, 0);
  xmlTextWriterSetIndent (writer, 1);
  xmlTextWriterSetIndentString (writer, BAD_CAST "  ");

  xmlTextWriterStartDocument (writer, "1.0", "UTF-8", NULL);
  xmlTextWriterStartElement (writer, BAD_CAST wpi_message_kind_to_string (kind));
  xmlTextWriterWriteAttribute (writer, BAD_CAST "xmlns", BAD_CAST WPI_NAMESPACE);
  xmlTextWriterWriteAttribute (writer, BAD_CAST "xmlns:xsi",
                               BAD_CAST "http://www.w3.org/2001/XMLSchema-instance");
  xmlTextWriterWriteAttribute (writer, BAD_CAST "xsi:schemaLocation", BAD_CAST WPI_NAMESPACE);

  xmlTextWriterStartElement (writer, BAD_CAST "Message");
  xmlTextWriterWriteAttribute (writer, BAD_CAST "nonce",
                               BAD_CAST (wpi_message_get_nonce (message) ?: ""));
  if (wpi_message_has_max_items (message))
    xmlTextWriterWriteFormatAttribute (writer, BAD_CAST "maxItems", "%" G_GINT64_FORMAT,
                                       wpi_message_get_max_items (message));
  if (fragment != NULL)
    xmlTextWriterWriteAttribute (writer, BAD_CAST "fragment", BAD_CAST fragment);

  if (kind == WPI_MESSAGE_KIND_WORKPOINT || reason != NULL || status != NULL)
    {
      xmlTextWriterStartElement (writer, BAD_CAST "ReasonForContact");
      if (kind == WPI_MESSAGE_KIND_WORKPOINT && action != NULL)
        xmlTextWriterWriteAttribute (writer, BAD_CAST "action", BAD_CAST action);
      if (status != NULL)
        xmlTextWriterWriteAttribute (writer, BAD_CAST "status", BAD_CAST status);
      xmlTextWriterWriteString (writer, BAD_CAST (reason ?: ""));
      xmlTextWriterFullEndElement (writer);
    }
  if (kind == WPI_MESSAGE_KIND_DLS)
    xmlTextWriterWriteElement (writer, BAD_CAST "Action", BAD_CAST (action ?: ""));

  if (wpi_message_has_item_list (message))
    {
      xmlTextWriterStartElement (writer, BAD_CAST "ItemList");
      for (guint i = 0; i < n_items; i++)
        write_item (writer, wpi_message_get_item (message, i));
      xmlTextWriterEndElement (writer);
    }

  xmlTextWriterEndElement (writer);   /* Message */
  xmlTextWriterEndElement (writer);   /* root */
  xmlTextWriterEndDocument (writer);
  xmlFreeTextWriter (writer);

  if (length != NULL)
    *length = xmlBufferLength (buffer);
  result = g_strndup ((const char *) xmlBufferContent (buffer), xmlBufferLength (buffer));
  xmlBufferFree (buffer);
  return result;
}

GBytes *
wpi_message_serialize_bytes (WpiMessage *message)
{
  gsize length = 0;
  char *data = wpi_message_serialize (message, &length);

  return data != NULL ? g_bytes_new_take (data, length) : NULL;
}
