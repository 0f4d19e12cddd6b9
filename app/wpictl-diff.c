/* wpictl-diff.c: `wpictl diff` and `wpictl copy-settings` (issue 14 §4, D27)
 *
 * diff shows how a phone's last configuration differs from another phone's or a
 * profile's; copy-settings previews the write-items jobs that would make phones like
 * one phone and queues them only with --yes.
 */
#include "config.h"

#include <stdio.h>

#include "wpi-config-diff.h"
#include "wpictl-private.h"

static char *
difference_item_name (const WpiConfigDifference *difference)
{
  return wpc_ctl_format_item_name (difference->name, difference->has_index, difference->index);
}

/* A value for a table: decoded, masked unless --show-secrets, on one line */
static char *
table_value (const WpiConfigDifference *difference,
             const char                *value)
{
  g_autofree char *described = NULL;

  if (value == NULL)
    return NULL;
  described = wpc_ctl_describe_value (wpictl.catalogue, difference->name, value, wpictl_opt.show_secrets);
  return wpc_ctl_format_one_line (described, TEXT_VALUE_CHARS / 2);
}

static void
add_json_value (JsonBuilder               *builder,
                const char                *member,
                const WpiConfigDifference *difference,
                const char                *value)
{
  json_builder_set_member_name (builder, member);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, wpc_ctl_display_value (wpictl.catalogue, difference->name,
                                                                   value, wpictl_opt.show_secrets));
}

static JsonNode *
difference_to_json (const WpiConfigDifference *difference)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "category");
  json_builder_add_string_value (builder, difference->category);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, difference->name);
  json_builder_set_member_name (builder, "index");
  if (difference->has_index)
    json_builder_add_int_value (builder, difference->index);
  else
    json_builder_add_null_value (builder);
  add_json_value (builder, "value", difference, difference->target_value);
  add_json_value (builder, "other", difference, difference->source_value);
  json_builder_set_member_name (builder, "secret");
  json_builder_add_boolean_value (builder, difference->secret);
  json_builder_set_member_name (builder, "copied");
  json_builder_add_boolean_value (builder, difference->writable);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
print_differences_json (GPtrArray *differences)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
  g_autoptr(JsonArray) array = json_array_new ();

  for (guint i = 0; i < differences->len; i++)
    json_array_add_element (array, difference_to_json (g_ptr_array_index (differences, i)));
  json_node_set_array (root, array);
  wpc_ctl_print_json (root, TRUE, stdout);
}

/* Sections by category, in the order wpi_config_diff_items() sorted them */
static void
print_differences_text (GPtrArray  *differences,
                        const char *this_title,
                        const char *other_title)
{
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (3, "  ");
  const char *category = NULL;

  wpc_ctl_table_add_row (table, "ITEM", this_title, other_title);
  for (guint i = 0; i < differences->len; i++)
    {
      const WpiConfigDifference *difference = g_ptr_array_index (differences, i);
      g_autofree char *name = difference_item_name (difference);
      g_autofree char *value = table_value (difference, difference->target_value);
      g_autofree char *other = table_value (difference, difference->source_value);

      if (g_strcmp0 (category, difference->category) != 0)
        {
          category = difference->category;
          wpc_ctl_table_add_section (table, wpi_catalogue_get_category_title (wpictl.catalogue, category));
        }
      wpc_ctl_table_add_row (table, name, value, other);
    }
  wpc_ctl_table_print (table, stdout);
}

/* other is a phone the store knows, else a profile */
static GPtrArray *
compare (const char  *mac,
         const char  *other,
         gboolean    *other_is_phone,
         GError     **error)
{
  g_autofree char *other_mac = wpi_mac_normalize (other, NULL);
  g_autoptr(WpiPhoneRecord) other_phone = NULL;
  g_autoptr(WpiProfileRecord) profile = NULL;
  g_autoptr(GError) local_error = NULL;

  if (other_mac != NULL)
    other_phone = wpi_store_phone_get (wpictl.store, other_mac, NULL);
  *other_is_phone = other_phone != NULL;
  if (other_phone != NULL)
    return wpi_config_diff_phones (wpictl.store, wpictl.catalogue, other_mac, mac, error);

  profile = wpi_store_profile_get (wpictl.store, other, &local_error);
  if (profile == NULL)
    {
      if (g_error_matches (local_error, WPI_STORE_ERROR, WPI_STORE_ERROR_NOT_FOUND))
        g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "“%s” is neither a phone nor a profile", other);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return wpi_config_diff_profile (wpictl.store, wpictl.catalogue, other, mac, error);
}

int
_wpictl_cmd_diff (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) phone = NULL;
  g_autoptr(GPtrArray) differences = NULL;
  g_autofree char *other_title = NULL;
  gboolean other_is_phone = FALSE;

  if (!_wpictl_open_store (FALSE, &error) ||
      (phone = _wpictl_get_phone (args[0], &error)) == NULL ||
      (differences = compare (phone->mac, args[1], &other_is_phone, &error)) == NULL)
    return _wpictl_fail_error (error);

  if (wpictl_opt.json)
    {
      print_differences_json (differences);
      return EXIT_OK;
    }
  other_title = other_is_phone ? wpi_mac_normalize (args[1], NULL) : g_strdup_printf ("profile %s", args[1]);
  if (differences->len == 0)
    {
      printf ("%s has the settings of %s (identity items left out)\n", phone->mac, other_title);
      return EXIT_OK;
    }
  printf ("%s against %s: %u difference%s (identity items left out)\n\n", phone->mac, other_title,
          differences->len, differences->len == 1 ? "" : "s");
  print_differences_text (differences, phone->mac, other_title);
  return EXIT_OK;
}

/* ---- copy-settings ---- */

typedef struct {
  char      *mac;
  GArray    *items;       /* what its write-items job would carry */
  GPtrArray *differences;
} CopyPreview;

static void
copy_preview_free (CopyPreview *preview)
{
  g_free (preview->mac);
  g_clear_pointer (&preview->items, g_array_unref);
  g_clear_pointer (&preview->differences, g_ptr_array_unref);
  g_free (preview);
}

/* One CopyPreview per target; a target named twice or the source itself is refused */
static GPtrArray *
preview_copies (const char  *source_mac,
                char       **targets,
                GError     **error)
{
  g_autoptr(GPtrArray) previews = g_ptr_array_new_with_free_func ((GDestroyNotify) copy_preview_free);

  for (guint i = 0; targets[i] != NULL; i++)
    {
      g_autoptr(WpiPhoneRecord) target = _wpictl_get_phone (targets[i], error);
      CopyPreview *preview;

      if (target == NULL)
        return NULL;
      if (g_strcmp0 (target->mac, source_mac) == 0)
        {
          g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "%s is the phone the settings come from", target->mac);
          return NULL;
        }
      for (guint j = 0; j < previews->len; j++)
        if (g_strcmp0 (((CopyPreview *) g_ptr_array_index (previews, j))->mac, target->mac) == 0)
          {
            g_set_error (error, WPICTL_ERROR, EXIT_USAGE, "%s is named twice", target->mac);
            return NULL;
          }

      preview = g_new0 (CopyPreview, 1);
      preview->mac = g_strdup (target->mac);
      g_ptr_array_add (previews, preview);
      preview->differences = wpi_config_diff_phones (wpictl.store, wpictl.catalogue, source_mac, target->mac, error);
      if (preview->differences == NULL)
        return NULL;
      preview->items = wpi_config_diff_copy_items (preview->differences);
    }
  return g_steal_pointer (&previews);
}

static void
print_preview_text (const char *source_mac,
                    GPtrArray  *previews)
{
  g_autoptr(WpcCtlTable) table = wpc_ctl_table_new (3, "  ");

  printf ("Settings of %s for %u phone%s (identity and read-only items are never copied):\n",
          source_mac, previews->len, previews->len == 1 ? "" : "s");
  wpc_ctl_table_add_row (table, "ITEM", "NEW VALUE", "NOW");
  for (guint i = 0; i < previews->len; i++)
    {
      const CopyPreview *preview = g_ptr_array_index (previews, i);
      g_autofree char *title = preview->items->len == 0
        ? g_strdup_printf ("%s: nothing to change", preview->mac)
        : g_strdup_printf ("%s: %u item%s", preview->mac, preview->items->len, preview->items->len == 1 ? "" : "s");

      wpc_ctl_table_add_section (table, title);
      for (guint j = 0; j < preview->differences->len; j++)
        {
          const WpiConfigDifference *difference = g_ptr_array_index (preview->differences, j);
          g_autofree char *name = NULL;
          g_autofree char *value = NULL;
          g_autofree char *now = NULL;

          if (!difference->writable)
            continue;
          name = difference_item_name (difference);
          value = table_value (difference, difference->source_value);
          now = table_value (difference, difference->target_value);
          wpc_ctl_table_add_row (table, name, value, now);
        }
    }
  wpc_ctl_table_print (table, stdout);
}

static void
print_preview_json (GPtrArray *previews)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < previews->len; i++)
    {
      const CopyPreview *preview = g_ptr_array_index (previews, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "phone");
      json_builder_add_string_value (builder, preview->mac);
      json_builder_set_member_name (builder, "items");
      json_builder_begin_array (builder);
      for (guint j = 0; j < preview->items->len; j++)
        json_builder_add_value (builder, wpc_ctl_item_to_json (&g_array_index (preview->items, WpiStoreItem, j),
                                                              wpictl.catalogue, wpictl_opt.show_secrets, FALSE));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  wpc_ctl_print_json (root, TRUE, stdout);
}

int
_wpictl_cmd_copy_settings (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneRecord) source = NULL;
  g_autoptr(GPtrArray) previews = NULL;
  g_autoptr(GArray) job_ids = NULL;
  g_autoptr(GArray) queued = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) target_macs = g_ptr_array_new ();

  if (!_wpictl_open_store (FALSE, &error) ||
      (source = _wpictl_get_phone (args[0], &error)) == NULL ||
      (previews = preview_copies (source->mac, args + 1, &error)) == NULL)
    return _wpictl_fail_error (error);

  if (!wpictl_opt.yes)
    {
      if (wpictl_opt.json)
        print_preview_json (previews);
      else
        {
          print_preview_text (source->mac, previews);
          printf ("\nNothing queued: run again with --yes to queue the jobs.\n");
        }
      return EXIT_OK;
    }
  if (!wpictl_opt.json)
    print_preview_text (source->mac, previews);

  /* the jobs are made from the store as it is now, in one transaction (all or none) */
  for (guint i = 0; i < previews->len; i++)
    g_ptr_array_add (target_macs, ((CopyPreview *) g_ptr_array_index (previews, i))->mac);
  g_ptr_array_add (target_macs, NULL);
  if (!wpi_config_copy_enqueue (wpictl.store, wpictl.catalogue, source->mac,
                                (const char * const *) target_macs->pdata, &job_ids, &error))
    return _wpictl_fail_error (error);
  for (guint i = 0; i < job_ids->len; i++)
    if (g_array_index (job_ids, gint64, i) != 0)
      g_array_append_val (queued, g_array_index (job_ids, gint64, i));
  if (queued->len == 0)
    {
      if (!wpictl_opt.json)
        printf ("Nothing to queue: the phones have these settings already.\n");
      return EXIT_OK;
    }
  return _wpictl_report_jobs ((gint64 *) queued->data, queued->len, NULL);
}
