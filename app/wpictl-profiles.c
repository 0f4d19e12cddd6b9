/* wpictl-profiles.c: the profile commands */
#include "config.h"

#include <stdio.h>

#include "wpictl-private.h"

int
_wpictl_cmd_profile_set (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) items = wpi_store_item_array_new ();

  if (!g_utf8_validate (args[0], -1, NULL))
    return _wpictl_fail (EXIT_INVALID, "The profile name is not UTF-8");
  for (guint i = 1; args[i] != NULL; i++)
    if (!_wpictl_parse_assignment (args[i], TRUE, items, &error))
      return _wpictl_fail_error (error);

  if (!_wpictl_open_store (TRUE, &error) ||
      !wpi_store_profile_set (wpictl.store, args[0], (WpiStoreItem *) items->data, items->len, &error))
    return _wpictl_fail_error (error);
  printf ("profile %s: %u item%s\n", args[0], items->len, items->len == 1 ? "" : "s");
  return EXIT_OK;
}

int
_wpictl_cmd_profile_default (char **args)
{
  g_autoptr(GError) error = NULL;

  if ((args[0] == NULL) == !wpictl_opt.none)
    return _wpictl_fail (EXIT_USAGE, "profile default needs either a profile NAME or --none");
  if (!_wpictl_open_store (TRUE, &error) ||
      !wpi_store_profile_set_default (wpictl.store, args[0], &error))
    return _wpictl_fail_error (error);
  if (args[0] != NULL)
    printf ("default profile: %s\n", args[0]);
  else
    printf ("no default profile\n");
  return EXIT_OK;
}

static JsonNode *
profile_to_json (const WpiProfileRecord *profile)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *created = wpc_ctl_format_iso_time (profile->created_us);
  g_autofree char *updated = wpc_ctl_format_iso_time (profile->updated_us);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, profile->name);
  json_builder_set_member_name (builder, "default");
  json_builder_add_boolean_value (builder, profile->is_default);
  json_builder_set_member_name (builder, "created");
  json_builder_add_string_value (builder, created);
  json_builder_set_member_name (builder, "updated");
  json_builder_add_string_value (builder, updated);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; profile->items != NULL && i < profile->items->len; i++)
    json_builder_add_value (builder, wpc_ctl_item_to_json (&g_array_index (profile->items, WpiStoreItem, i),
                                                          wpictl.catalogue, wpictl_opt.show_secrets, FALSE));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

int
_wpictl_cmd_profile_list (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) profiles = NULL;
  g_autoptr(GPtrArray) full = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_profile_record_free);
  gint64 now = g_get_real_time ();

  if (!_wpictl_open_store (FALSE, &error) || (profiles = wpi_store_profile_list (wpictl.store, &error)) == NULL)
    return _wpictl_fail_error (error);
  for (guint i = 0; i < profiles->len; i++)
    {
      const WpiProfileRecord *listed = g_ptr_array_index (profiles, i);
      WpiProfileRecord *profile = wpi_store_profile_get (wpictl.store, listed->name, &error);

      if (profile == NULL)
        return _wpictl_fail_error (error);
      g_ptr_array_add (full, profile);
    }

  if (wpictl_opt.json)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autoptr(JsonArray) array = json_array_new ();

      for (guint i = 0; i < full->len; i++)
        json_array_add_element (array, profile_to_json (g_ptr_array_index (full, i)));
      json_node_set_array (root, array);
      wpc_ctl_print_json (root, TRUE, stdout);
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (4, NULL);

      wpc_ctl_table_add_row (table, "NAME", "DEFAULT", "ITEMS", "UPDATED");
      for (guint i = 0; i < full->len; i++)
        {
          const WpiProfileRecord *profile = g_ptr_array_index (full, i);
          g_autofree char *count = g_strdup_printf ("%u", profile->items->len);
          g_autofree char *updated = wpc_ctl_format_relative (profile->updated_us, now);

          wpc_ctl_table_add_row (table, profile->name, profile->is_default ? "yes" : "no", count, updated);
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

int
_wpictl_cmd_profile_show (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;

  if (!_wpictl_open_store (FALSE, &error) || (profile = wpi_store_profile_get (wpictl.store, args[0], &error)) == NULL)
    return _wpictl_fail_error (error);

  if (wpictl_opt.json)
    {
      g_autoptr(JsonNode) node = profile_to_json (profile);
      wpc_ctl_print_json (node, TRUE, stdout);
    }
  else
    {
      g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (2, "  ");

      printf ("Profile %s%s\n", profile->name, profile->is_default ? " (default)" : "");
      for (guint i = 0; i < profile->items->len; i++)
        {
          const WpiStoreItem *item = &g_array_index (profile->items, WpiStoreItem, i);
          g_autofree char *name = wpc_ctl_format_item_name (item->name, item->has_index, item->index);
          g_autofree char *value = wpc_ctl_format_one_line (
            wpc_ctl_display_value (wpictl.catalogue, item->name, item->value, wpictl_opt.show_secrets), TEXT_VALUE_CHARS);

          wpc_ctl_table_add_row (table, name, value != NULL && *value != '\0' ? value : "\"\"");
        }
      wpc_ctl_table_print (table, stdout);
    }
  return EXIT_OK;
}

int
_wpictl_cmd_profile_apply (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;

  if ((phone = _wpictl_open_for_job (args[1], &error)) == NULL ||
      (profile = wpi_store_profile_get (wpictl.store, args[0], &error)) == NULL)
    return _wpictl_fail_error (error);
  return _wpictl_enqueue_and_report (phone->mac, WPI_JOB_KIND_APPLY_PROFILE, profile->name, NULL);
}
