/* wpictl-items.c: the item arguments of write, read and profile set
 *
 * Names and values are checked against the catalogue before any store is opened, so
 * that a typo is reported as one.
 */
#include "config.h"

#include <string.h>

#include "wpictl-private.h"

/* Placeholders a profile value may hold (the service fills them in per phone) and the
 * example phone they are checked with. */
static const struct {
  const char *placeholder;
  const char *example;
} placeholders[] = {
  { "{mac}", "00:1A:E8:00:00:01" },
  { "{e164}", "4989700100" },
  { "{ip}", "192.0.2.10" },
};

/* NAME or NAME[INDEX] */
gboolean
_wpictl_parse_item_name (const char  *text,
                         gsize        length,
                         char       **name,
                         gboolean    *has_index,
                         gint64      *index,
                         GError     **error)
{
  g_autofree char *copy = g_strndup (text, length);
  char *bracket = strchr (copy, '[');
  guint64 value = 0;

  *has_index = FALSE;
  *index = 0;
  if (bracket != NULL)
    {
      gsize end = strlen (copy) - 1;

      if (copy[end] != ']')
        goto bad;
      copy[end] = '\0';
      if (!g_ascii_string_to_unsigned (bracket + 1, 10, 0, G_MAXINT64, &value, NULL))
        goto bad;
      *bracket = '\0';
      *has_index = TRUE;
      *index = (gint64) value;
    }
  if (copy[0] == '\0' || strpbrk (copy, "[]= \t\n") != NULL || !g_utf8_validate (copy, -1, NULL))
    goto bad;

  *name = g_steal_pointer (&copy);
  return TRUE;

bad:
  {
    g_autofree char *shown = g_strndup (text, length);

    g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                 "“%s” is not an item name (NAME or NAME[INDEX], the index a number)", shown);
  }
  return FALSE;
}

/* The phone matches names exactly: an unknown name that the catalogue knows in another
 * case is a typo. A name the catalogue does not know at all is let through: the
 * catalogue cannot list every item of every firmware. */
static gboolean
check_item_known (const char  *name,
                  GError     **error)
{
  WpiItemInfo *info;

  if (wpi_catalogue_lookup (wpictl.catalogue, name) != NULL)
    return TRUE;
  info = wpi_catalogue_lookup_ignore_case (wpictl.catalogue, name);
  if (info != NULL)
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "Unknown item “%s”; did you mean “%s”? (names are case-sensitive)",
                   name, wpi_item_info_get_name (info));
      return FALSE;
    }
  return TRUE;
}

/* Checks an item to read: its name, and an index only where the item has one. */
gboolean
_wpictl_check_item_to_read (const char  *name,
                            gboolean     has_index,
                            gint64       index,
                            GError     **error)
{
  WpiItemInfo *info;

  if (!check_item_known (name, error))
    return FALSE;
  info = wpi_catalogue_lookup (wpictl.catalogue, name);
  if (info == NULL || !has_index)
    return TRUE;
  if (wpi_item_info_get_index_mode (info) == WPI_INDEX_MODE_NONE)
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "Item “%s” takes no index", name);
      return FALSE;
    }
  if (!wpi_item_info_index_is_valid (info, index))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "Index %" G_GINT64_FORMAT " of “%s” is outside %s",
                   index, name, wpi_item_info_get_index_ranges_string (info));
      return FALSE;
    }
  return TRUE;
}

/* NAME=VALUE or NAME[INDEX]=VALUE, validated against the catalogue; for a profile the
 * placeholders are filled in as for an example phone first. */
gboolean
_wpictl_parse_assignment (const char  *text,
                          gboolean     profile,
                          GArray      *items,
                          GError     **error)
{
  const char *equals = strchr (text, '=');
  g_autofree char *name = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean has_index;
  gint64 index;
  const char *value;

  if (equals == NULL)
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID,
                   "“%s” is not NAME=VALUE or NAME[INDEX]=VALUE", text);
      return FALSE;
    }
  if (!_wpictl_parse_item_name (text, equals - text, &name, &has_index, &index, error))
    return FALSE;
  value = equals + 1;
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, WPICTL_ERROR, EXIT_INVALID, "The value of “%s” is not UTF-8", name);
      return FALSE;
    }
  if (!check_item_known (name, error))
    return FALSE;

  if (profile)
    {
      g_autoptr(GString) example = g_string_new (value);

      for (guint i = 0; i < G_N_ELEMENTS (placeholders); i++)
        g_string_replace (example, placeholders[i].placeholder, placeholders[i].example, 0);
      if (!wpi_catalogue_validate (wpictl.catalogue, name, has_index, index, example->str, &local_error))
        {
          if (strcmp (example->str, value) != 0)
            g_prefix_error (&local_error, "With the placeholders filled in for an example phone: ");
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
  else if (!wpi_catalogue_validate (wpictl.catalogue, name, has_index, index, value, error))
    return FALSE;

  wpi_store_item_array_add (items, name, has_index, index, value);
  return TRUE;
}
