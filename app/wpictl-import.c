/* wpictl-import.c: the import and export commands (phone lists, issue 14 §1, D24) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "wpictl-private.h"

static const char *const outcome_words[] = {
  [WPI_IMPORT_OUTCOME_ADDED] = "added",
  [WPI_IMPORT_OUTCOME_UPDATED] = "updated",
  [WPI_IMPORT_OUTCOME_UNCHANGED] = "unchanged",
};

/* The file's rows, or NULL after printing every problem (the exit status in *status) */
static WpiPhoneList *
read_list (const char *path,
           int        *status)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(WpiPhoneList) list = NULL;

  if (!g_file_get_contents (path, &text, &length, &error) ||
      (list = wpi_phone_list_parse (text, length, wpictl.catalogue, &error)) == NULL)
    {
      *status = _wpictl_fail (EXIT_INVALID, "%s: %s", path, error->message);
      return NULL;
    }
  explicit_bzero (text, length);   /* it may hold SIP passwords */
  if (list->problems->len > 0)
    {
      for (guint i = 0; i < list->problems->len; i++)
        fprintf (stderr, "%s: %s\n", path, ((WpiPhoneListProblem *) g_ptr_array_index (list->problems, i))->message);
      *status = _wpictl_fail (EXIT_INVALID, "%s: %u problem%s, nothing imported", path, list->problems->len,
                              list->problems->len == 1 ? "" : "s");
      return NULL;
    }
  return g_steal_pointer (&list);
}

static void
print_outcomes (WpiPhoneList *list,
                GArray       *outcomes,
                gboolean      dry_run)
{
  guint counts[G_N_ELEMENTS (outcome_words)] = { 0, };

  for (guint i = 0; i < outcomes->len; i++)
    counts[g_array_index (outcomes, WpiImportOutcome, i)]++;

  if (wpictl_opt.json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dry-run");
      json_builder_add_boolean_value (builder, dry_run);
      for (guint k = 0; k < G_N_ELEMENTS (outcome_words); k++)
        {
          json_builder_set_member_name (builder, outcome_words[k]);
          json_builder_add_int_value (builder, counts[k]);
        }
      json_builder_set_member_name (builder, "phones");
      json_builder_begin_array (builder);
      for (guint i = 0; i < outcomes->len; i++)
        {
          const WpiPhoneListRow *row = g_ptr_array_index (list->rows, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "mac");
          json_builder_add_string_value (builder, row->mac);
          json_builder_set_member_name (builder, "line");
          json_builder_add_int_value (builder, row->line);
          json_builder_set_member_name (builder, "outcome");
          json_builder_add_string_value (builder, outcome_words[g_array_index (outcomes, WpiImportOutcome, i)]);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      wpc_ctl_print_json (root, TRUE, stdout);
      return;
    }

  for (guint i = 0; i < outcomes->len; i++)
    {
      const WpiPhoneListRow *row = g_ptr_array_index (list->rows, i);
      WpiImportOutcome outcome = g_array_index (outcomes, WpiImportOutcome, i);

      if (outcome != WPI_IMPORT_OUTCOME_UNCHANGED)
        printf ("%s %s (line %u)\n", outcome_words[outcome], row->mac, row->line);
    }
  printf ("%s%u added, %u updated, %u unchanged\n", dry_run ? "dry run, nothing stored: " : "",
          counts[WPI_IMPORT_OUTCOME_ADDED], counts[WPI_IMPORT_OUTCOME_UPDATED],
          counts[WPI_IMPORT_OUTCOME_UNCHANGED]);
}

static gboolean
store_exists (void)
{
  g_autofree char *path = g_build_filename (wpictl.data_dir, WPI_STORE_DB_NAME, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* A dry run without a store: every phone is new, and no profile exists yet */
static GArray *
all_added (WpiPhoneList  *list,
           GError       **error)
{
  g_autoptr(GArray) outcomes = g_array_new (FALSE, FALSE, sizeof (WpiImportOutcome));

  for (guint i = 0; i < list->rows->len; i++)
    {
      const WpiPhoneListRow *row = g_ptr_array_index (list->rows, i);
      WpiImportOutcome added = WPI_IMPORT_OUTCOME_ADDED;

      if (row->profile != NULL)
        {
          g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                       "line %u, column %u (profile): No profile “%s” (there is no store in %s yet)",
                       row->line, row->profile_column, row->profile, wpictl.data_dir);
          return NULL;
        }
      g_array_append_val (outcomes, added);
    }
  return g_steal_pointer (&outcomes);
}

int
_wpictl_cmd_import (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiPhoneList) list = NULL;
  g_autoptr(GArray) outcomes = NULL;
  int status = EXIT_OK;

  list = read_list (args[0], &status);
  if (list == NULL)
    return status;
  /* a site's phones may be imported before the service ever ran there; a dry run
   * leaves no store behind */
  if (wpictl_opt.dry_run && !store_exists ())
    outcomes = all_added (list, &error);
  else if (_wpictl_open_store (!wpictl_opt.dry_run, &error))
    wpi_store_phone_import (wpictl.store, list->rows, wpictl_opt.dry_run, &outcomes, &error);
  if (outcomes == NULL)
    return _wpictl_fail_error (error);
  print_outcomes (list, outcomes, wpictl_opt.dry_run);
  return EXIT_OK;
}

int
_wpictl_cmd_export (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *csv = NULL;

  if (!_wpictl_open_store (FALSE, &error) ||
      (rows = wpi_store_phone_list_export (wpictl.store, &error)) == NULL)
    return _wpictl_fail_error (error);
  csv = wpi_phone_list_to_csv (rows);
  if (strcmp (args[0], "-") == 0)
    {
      fputs (csv, stdout);
      return EXIT_OK;
    }
  if (!g_file_set_contents_full (args[0], csv, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    return _wpictl_fail_error (error);
  printf ("%u phone%s exported to %s\n", rows->len, rows->len == 1 ? "" : "s", args[0]);
  return EXIT_OK;
}
