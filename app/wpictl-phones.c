/* wpictl-phones.c: the phones, show and location commands */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "wpictl-private.h"

/* show: the newest jobs and events of the phone */
#define SHOW_JOBS_LIMIT 20
#define SHOW_EVENTS_LIMIT 20

int
_wpictl_cmd_phones (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) phones = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 now = g_get_real_time ();

  if (!_wpictl_open_store (FALSE, &error) ||
      (phones = wpi_store_phone_list (wpictl.store, &error)) == NULL ||
      (pending = wpi_store_job_list_pending (wpictl.store, NULL, &error)) == NULL)
    return _wpictl_fail_error (error);

  for (guint i = 0; i < pending->len; i++)
    {
      const char *mac = ((WpiJobRecord *) g_ptr_array_index (pending, i))->mac;
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, mac));

      g_hash_table_insert (counts, (gpointer) mac, GUINT_TO_POINTER (count + 1));
    }

  if (wpictl_opt.json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < phones->len; i++)
        {
          const WpiPhoneRecord *phone = g_ptr_array_index (phones, i);

          json_array_add_element (array, wpc_ctl_phone_to_json (
            phone, GPOINTER_TO_UINT (g_hash_table_lookup (counts, phone->mac)), FALSE));
        }
      json_node_set_array (root, array);
      wpc_ctl_print_json (root, TRUE, stdout);
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (9, NULL);

      wpc_ctl_table_add_row (table, "MAC", "E164", "MODEL", "FIRMWARE", "IP", "MODE", "STATE",
                             "LAST CONTACT", "JOBS");
      for (guint i = 0; i < phones->len; i++)
        {
          const WpiPhoneRecord *phone = g_ptr_array_index (phones, i);
          g_autofree char *last = wpc_ctl_format_relative (phone->last_contact_us, now);
          g_autofree char *jobs = g_strdup_printf ("%u", GPOINTER_TO_UINT (g_hash_table_lookup (counts, phone->mac)));

          wpc_ctl_table_add_row (table, phone->mac, phone->e164, phone->device_type, phone->firmware,
                                 phone->ip, wpi_phone_mode_to_string (phone->mode),
                                 wpc_ctl_phone_state (phone), last, jobs);
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

static const char *
item_category (const WpiStoreItem *item)
{
  WpiItemInfo *info = wpi_catalogue_lookup (wpictl.catalogue, item->name);

  return info != NULL ? wpi_item_info_get_category (info) : "other";
}

/* JSON: the phone's fields with its items (grouped by category, as in the text), its
 * newest jobs and events */
static void
print_show_json (const WpiPhoneRecord *phone,
                 GArray               *items,
                 guint                 n_pending,
                 GPtrArray            *jobs,
                 GPtrArray            *events)
{
  const char * const *categories = wpi_catalogue_get_categories (wpictl.catalogue);
  g_autoptr(JsonNode) root = wpc_ctl_phone_to_json (phone, n_pending, TRUE);
  JsonObject *object = json_node_get_object (root);
  JsonArray *item_array = json_array_new ();
  JsonArray *job_array = json_array_new ();
  JsonArray *event_array = json_array_new ();

  for (guint c = 0; categories[c] != NULL; c++)
    for (guint i = 0; i < items->len; i++)
      {
        const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);

        if (strcmp (item_category (item), categories[c]) == 0)
          json_array_add_element (item_array, wpc_ctl_item_to_json (item, wpictl.catalogue, wpictl_opt.show_secrets, TRUE));
      }
  for (guint i = 0; i < jobs->len; i++)
    json_array_add_element (job_array, wpc_ctl_job_to_json (g_ptr_array_index (jobs, i), wpictl.catalogue,
                                                            wpictl_opt.show_secrets));
  json_object_set_array_member (object, "items", item_array);
  json_object_set_array_member (object, "jobs", job_array);
  for (guint i = 0; i < events->len; i++)
    json_array_add_element (event_array, wpc_ctl_phone_event_to_json (g_ptr_array_index (events, i)));
  json_object_set_array_member (object, "events", event_array);
  wpc_ctl_print_json (root, TRUE, stdout);
}

/* Who logged on or off at the phone, and when (mobility, issue 9 §3) */
static void
print_events (GPtrArray *events)
{
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (4, "  ");

  printf ("\nEvents%s\n", events->len == SHOW_EVENTS_LIMIT ? " (the newest " G_STRINGIFY (SHOW_EVENTS_LIMIT) ")" : "");
  for (guint i = 0; i < events->len; i++)
    {
      const WpiPhoneEvent *event = g_ptr_array_index (events, i);
      g_autofree char *time = wpc_ctl_format_iso_time (event->time_us);

      wpc_ctl_table_add_row (table, time, event->kind, event->user ? event->user : "-",
                             event->detail ? event->detail : "");
    }
  wpc_ctl_table_print (table, stdout);
}

static void
print_identity (const WpiPhoneRecord *phone,
                guint                 n_pending,
                gint64                now)
{
  g_autoptr(WpcCtlTable) identity = wpc_ctl_table_new (2, "  ");
  g_autofree char *last = wpc_ctl_format_relative (phone->last_contact_us, now);
  g_autofree char *last_iso = wpc_ctl_format_iso_time (phone->last_contact_us);
  g_autofree char *last_full = last_iso != NULL ? g_strdup_printf ("%s (%s)", last, last_iso) : g_strdup (last);
  g_autofree char *pending_text = g_strdup_printf ("%u", n_pending);

  printf ("Phone %s\n", phone->mac);
  wpc_ctl_table_add_row (identity, "E.164", phone->e164);
  wpc_ctl_table_add_row (identity, "Model", phone->device_type);
  wpc_ctl_table_add_row (identity, "Firmware", phone->firmware);
  wpc_ctl_table_add_row (identity, "IP address", phone->ip);
  wpc_ctl_table_add_row (identity, "Contact-me URI", phone->contact_me_uri);
  wpc_ctl_table_add_row (identity, "Mode", wpi_phone_mode_to_string (phone->mode));
  wpc_ctl_table_add_row (identity, "State", wpc_ctl_phone_state (phone));
  wpc_ctl_table_add_row (identity, "Last contact", last_full);
  wpc_ctl_table_add_row (identity, "Location", phone->location);
  wpc_ctl_table_add_row (identity, "Profile", phone->profile);
  wpc_ctl_table_add_row (identity, "Pending jobs", pending_text);
  wpc_ctl_table_print (identity, stdout);
}

/* The items of one category under its title, none if it has no items */
static void
add_category_rows (WpcCtlTable *table,
                   GArray      *items,
                   const char  *category,
                   gint64       now)
{
  gboolean titled = FALSE;

  for (guint i = 0; i < items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (items, WpiStoreItem, i);
      g_autofree char *name = NULL;
      g_autofree char *described = NULL;
      g_autofree char *value = NULL;
      g_autofree char *updated = NULL;

      if (strcmp (item_category (item), category) != 0)
        continue;
      if (!titled)
        wpc_ctl_table_add_section (table, wpi_catalogue_get_category_title (wpictl.catalogue, category));
      titled = TRUE;
      name = wpc_ctl_format_item_name (item->name, item->has_index, item->index);
      described = wpc_ctl_describe_value (wpictl.catalogue, item->name, item->value, wpictl_opt.show_secrets);
      value = wpc_ctl_format_one_line (described, TEXT_VALUE_CHARS);
      updated = wpc_ctl_format_relative (item->updated_us, now);
      wpc_ctl_table_add_row (table, name, value != NULL && *value != '\0' ? value : "\"\"", updated);
    }
}

static void
print_items (GArray *items,
             gint64  now)
{
  const char * const *categories = wpi_catalogue_get_categories (wpictl.catalogue);
  /* one table, so that every category's columns line up */
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (3, "  ");

  for (guint c = 0; categories[c] != NULL; c++)
    add_category_rows (table, items, categories[c], now);
  wpc_ctl_table_print (table, stdout);
}

int
_wpictl_cmd_show (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GArray) items = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GPtrArray) events = NULL;
  WpiJobFilter filter = { NULL, 0, SHOW_JOBS_LIMIT };
  gint64 now = g_get_real_time ();

  if (!_wpictl_open_store (FALSE, &error) ||
      (phone = _wpictl_get_phone (args[0], &error)) == NULL ||
      (items = wpi_store_phone_items_list (wpictl.store, phone->mac, &error)) == NULL ||
      (pending = wpi_store_job_list_pending (wpictl.store, phone->mac, &error)) == NULL)
    return _wpictl_fail_error (error);
  filter.mac = phone->mac;
  if ((jobs = wpi_store_job_list (wpictl.store, &filter, &error)) == NULL ||
      (events = wpi_store_phone_event_list (wpictl.store, phone->mac, SHOW_EVENTS_LIMIT, &error)) == NULL)
    return _wpictl_fail_error (error);

  if (wpictl_opt.json)
    {
      print_show_json (phone, items, pending->len, jobs, events);
      return EXIT_OK;
    }

  print_identity (phone, pending->len, now);
  print_items (items, now);
  if (items->len == 0)
    printf ("\nNo item values stored yet (wpictl read-all %s)\n", phone->mac);

  if (jobs->len > 0)
    {
      printf ("\nJobs%s\n", jobs->len == SHOW_JOBS_LIMIT ? " (the newest " G_STRINGIFY (SHOW_JOBS_LIMIT) ")" : "");
      _wpictl_print_jobs_table (jobs, "  ", FALSE);
    }
  if (events->len > 0)
    print_events (events);
  return EXIT_OK;
}

/* location MAC TEXT…: the label a PIN slip and the phone list show (issue 11 §3). The
 * words are joined with one space, as the shell splits them; an empty TEXT clears it.
 * The running service picks the change up from the store. */
int
_wpictl_cmd_location (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 1; args[i] != NULL; i++)
    {
      g_autofree char *word = g_strstrip (g_strdup (args[i]));

      if (*word == '\0')
        continue;
      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, word);
    }
  if (!g_utf8_validate (text->str, -1, NULL))
    return _wpictl_fail (EXIT_INVALID, "The location is not UTF-8 text");
  if (!_wpictl_open_store (FALSE, &error) ||
      (phone = _wpictl_get_phone (args[0], &error)) == NULL)
    return _wpictl_fail_error (error);

  g_free (phone->location);
  phone->location = text->len > 0 ? g_strdup (text->str) : NULL;
  if (!wpi_store_phone_upsert (wpictl.store, phone, WPI_PHONE_FIELD_LOCATION, NULL, &error))
    return _wpictl_fail_error (error);

  if (phone->location != NULL)
    printf ("%s: %s\n", phone->mac, phone->location);
  else
    printf ("%s: no location\n", phone->mac);
  return EXIT_OK;
}
