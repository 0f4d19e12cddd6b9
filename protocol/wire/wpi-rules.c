/* wpi-rules.c: checks of protocol.md §6 and §8 */
#include "config.h"

#include <string.h>

#include "wpi-catalogue.h"
#include "wpi-rules.h"

static void add_warning (GPtrArray *warnings, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
add_warning (GPtrArray  *warnings,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

static void
check_phone_message (WpiMessage *message,
                     GPtrArray  *warnings)
{
  const char *reason = wpi_message_get_reason_string (message);
  const char *action = wpi_message_get_action_string (message);
  const char *status = wpi_message_get_status_string (message);
  const char *fragment = wpi_message_get_fragment_string (message);
  WpiReason reason_value = wpi_message_get_reason (message);
  guint n_items = wpi_message_get_n_items (message);

  if (reason == NULL)
    add_warning (warnings, "R3.2: WorkpointMessage without ReasonForContact (p.28)");
  else if (reason_value == WPI_REASON_OTHER)
    add_warning (warnings, "R4.1: unknown ReasonForContact \"%s\" (p.28)", reason);

  if (reason_value == WPI_REASON_REPLY_TO)
    {
      if (action == NULL)
        add_warning (warnings, "R11: reply-to without an action attribute (p.29)");
      else if (wpi_message_get_action (message) == WPI_ACTION_OTHER)
        add_warning (warnings, "R11: reply-to answers unknown action \"%s\" (p.30)", action);
      if (status == NULL)
        add_warning (warnings, "R11: reply-to without a status attribute (p.29)");
    }
  else if (reason != NULL && (action != NULL || status != NULL))
    add_warning (warnings, "R11: action and status belong on reply-to only, not on %s (p.29)",
                 reason);

  if (status != NULL && wpi_message_get_status (message) == WPI_MESSAGE_STATUS_OTHER)
    add_warning (warnings, "R4.3: unknown message status \"%s\" (accepted, failed, busy) (p.29)",
                 status);
  if (wpi_message_get_status (message) == WPI_MESSAGE_STATUS_BUSY && n_items > 0)
    add_warning (warnings, "R14: a busy reply carries no items, this one has %u (p.46)", n_items);

  if (fragment != NULL && wpi_message_get_fragment (message) == WPI_FRAGMENT_OTHER)
    add_warning (warnings, "R4.3: unknown fragment value \"%s\" (next, final) (p.29)", fragment);
  if (wpi_message_has_max_items (message))
    {
      gint64 max_items = wpi_message_get_max_items (message);

      if (max_items == 0 || max_items < -1)
        add_warning (warnings, "R9: maxItems %" G_GINT64_FORMAT " is neither -1 nor positive (p.28)",
                     max_items);
    }

  for (guint i = 0; i < n_items; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);

      if (item->status != NULL && wpi_item_get_status (item) == WPI_ITEM_STATUS_OTHER)
        add_warning (warnings, "R4.3: item %s has unknown status \"%s\" (p.26)",
                     item->name, item->status);
    }
}

static void
check_service_message (WpiMessage *message,
                       GPtrArray  *warnings)
{
  const char *action = wpi_message_get_action_string (message);
  WpiAction action_value = wpi_message_get_action (message);
  guint n_items = wpi_message_get_n_items (message);

  if (action == NULL)
    add_warning (warnings, "R10: DLSMessage without an Action; exactly one is required (p.30)");
  else if (action_value == WPI_ACTION_OTHER)
    add_warning (warnings, "R10: unknown Action \"%s\" (p.30-31)", action);

  if (wpi_message_get_reason_string (message) != NULL || wpi_message_get_status_string (message) != NULL)
    add_warning (warnings, "R3.3: a DLSMessage carries no ReasonForContact (p.30)");
  if (wpi_message_has_max_items (message) || wpi_message_get_fragment_string (message) != NULL)
    add_warning (warnings, "R3.3: maxItems and fragment are not used in a DLSMessage (p.71)");

  if ((action_value == WPI_ACTION_READ_ALL_ITEMS || action_value == WPI_ACTION_GET_NEXT_FRAGMENT) &&
      n_items > 0)
    add_warning (warnings, "R4.2: %s takes no items, this one has %u (p.30-31)", action, n_items);
  if (action_value == WPI_ACTION_RESTART && n_items > 0 &&
      wpi_message_find_item (message, "restart-type", -1) == NULL)
    add_warning (warnings, "R20: Restart with items but no restart-type (p.51)");

  for (guint i = 0; i < n_items; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);

      /* The vendor's DLS marks items "secure"; known, so no warning (D20) */
      if (item->status != NULL && strcmp (item->status, "secure") != 0)
        add_warning (warnings, "R12: item %s has a status; item status comes only from phones (p.26)",
                     item->name);
      if (action_value == WPI_ACTION_READ_ITEMS && item->value[0] != '\0')
        add_warning (warnings, "R6.1: ReadItems names items with empty elements; %s has a value (p.43)",
                     item->name);
      if (strcmp (item->name, "goto-secure-mode") == 0 && action_value != WPI_ACTION_WRITE_ITEMS)
        add_warning (warnings, "R17: goto-secure-mode appears only in the bootstrapping WriteItems (p.62)");
    }
}

/* Software versions have one form per side (items.md §3.2): phones report "V3 R1.41.1",
 * the service's SoftwareDeployment names "1.4.9.0". */
static void
check_version_form (WpiMessage    *message,
                    const WpiItem *item,
                    GPtrArray     *warnings)
{
  gboolean phone = wpi_message_get_kind (message) == WPI_MESSAGE_KIND_WORKPOINT;

  if (!phone && strcmp (item->name, "file-sw-version") == 0 && item->value[0] == 'V')
    add_warning (warnings, "R28: file-sw-version \"%s\" is in the phone's form; the service names "
                           "versions dotted, like \"1.4.9.0\" (p.57)", item->value);
  else if (phone && strcmp (item->name, "software-version") == 0 && g_ascii_isdigit (item->value[0]))
    add_warning (warnings, "R28: software-version \"%s\" is in the service's form; phones report "
                           "\"V3 R1.41.1\" (p.38)", item->value);
}

/* Values against the catalogue (items.tsv), where it is sure of itself: R26 a value
 * outside an enumeration, R27 an indexed item without its index, R28 a version in neither
 * form. Other checks (lengths, index ranges, types of items whose type third parties
 * disagree on) stay with the editor, which refuses to write them. Items named without a
 * value (ReadItems) have nothing to check. */
static void
check_item_values (WpiMessage *message,
                   GPtrArray  *warnings)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  guint n_items = wpi_message_get_n_items (message);

  for (guint i = 0; i < n_items; i++)
    {
      const WpiItem *item = wpi_message_get_item (message, i);
      g_autoptr(GError) error = NULL;

      if (item->value[0] == '\0')
        continue;
      if (wpi_catalogue_validate_item (catalogue, item, &error))
        check_version_form (message, item, warnings);
      else if (g_error_matches (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION))
        add_warning (warnings, "R26: %s", error->message);
      else if (g_error_matches (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INDEX_REQUIRED))
        add_warning (warnings, "R27: %s", error->message);
      else if (g_error_matches (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INVALID_VERSION))
        add_warning (warnings, "R28: %s", error->message);
    }
}

/* A signature whose digest or value does not hold (D20, R22) */
static void
check_signature (WpiMessage *message,
                 GPtrArray  *warnings)
{
  WpiSignature *signature = wpi_message_get_signature (message);

  if (signature == NULL)
    return;
  if (wpi_signature_get_digest_state (signature) == WPI_DIGEST_DOES_NOT_MATCH)
    add_warning (warnings, "R22: the signed message does not match the signature's digest");
  else if (wpi_signature_get_digest_state (signature) == WPI_DIGEST_NOT_CHECKED)
    add_warning (warnings, "R22: the signature's digest cannot be checked: %s",
                 wpi_signature_get_problem (signature));
  if (wpi_signature_get_state (signature) == WPI_SIGNATURE_INVALID ||
      wpi_signature_get_state (signature) == WPI_SIGNATURE_CANNOT_CHECK)
    add_warning (warnings, "R22: signature %s: %s",
                 wpi_signature_state_to_string (wpi_signature_get_state (signature)),
                 wpi_signature_get_problem (signature));
}

char **
wpi_message_check_rules (WpiMessage *message)
{
  GPtrArray *warnings;
  const char * const *notes;

  g_return_val_if_fail (WPI_IS_MESSAGE (message), NULL);

  warnings = g_ptr_array_new ();

  /* What the parser tolerated comes first, in the order it met it */
  notes = wpi_message_get_reading_notes (message);
  for (guint i = 0; notes[i] != NULL; i++)
    g_ptr_array_add (warnings, g_strdup (notes[i]));
  check_signature (message, warnings);

  if (wpi_message_get_kind (message) == WPI_MESSAGE_KIND_WORKPOINT)
    check_phone_message (message, warnings);
  else
    check_service_message (message, warnings);
  check_item_values (message, warnings);

  g_ptr_array_add (warnings, NULL);
  return (char **) g_ptr_array_free (warnings, FALSE);
}
