/* wpi-catalogue.c: loading the item catalogue and answering questions about items */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "wpi-catalogue.h"
#include "wpi-item-info-private.h"
#include "wpi-wire-resources.h"

struct _WpiCatalogue {
  GObject     parent_instance;

  GPtrArray  *items;          /* WpiItemInfo, in file order */
  GHashTable *by_name;        /* name -> WpiItemInfo (borrowed from items) */
  GHashTable *by_folded_name; /* ASCII lower-case name (owned) -> WpiItemInfo (borrowed) */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WpiCatalogue, wpi_catalogue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

G_DEFINE_QUARK (wpi-catalogue-error-quark, wpi_catalogue_error)

typedef struct {
  const char *id;
  const char *title;
} Category;

/* In the order a UI shows them: what identifies the phone first, odds and ends last */
static const Category categories[] = {
  { "identity", N_("Identity and Inventory") },
  { "provisioning", N_("Provisioning") },
  { "secure-mode", N_("Secure Mode") },
  { "certificates", N_("Certificates") },
  { "network", N_("Network") },
  { "registration", N_("Registration") },
  { "sip", N_("SIP") },
  { "speech", N_("Speech and Audio") },
  { "keys", N_("Keys and Lines") },
  { "display", N_("Display") },
  { "locale", N_("Locale and Dialling") },
  { "ldap", N_("LDAP Directory") },
  { "mobility", N_("Mobility") },
  { "security", N_("Security and Passwords") },
  { "diagnostics", N_("Diagnostics and SNMP") },
  { "files", N_("File Deployment") },
  { "deployment", N_("Software Deployment and Restart") },
  { "other", N_("Call Features and Other") },
};

static const char * const category_ids[] = {
  "identity", "provisioning", "secure-mode", "certificates", "network", "registration",
  "sip", "speech", "keys", "display", "locale", "ldap", "mobility", "security",
  "diagnostics", "files", "deployment", "other", NULL,
};

G_STATIC_ASSERT (G_N_ELEMENTS (categories) + 1 == G_N_ELEMENTS (category_ids));

static const Category *
find_category (const char *id)
{
  for (guint i = 0; id != NULL && i < G_N_ELEMENTS (categories); i++)
    {
      if (strcmp (categories[i].id, id) == 0)
        return &categories[i];
    }

  return NULL;
}

static GType
wpi_catalogue_get_item_type (GListModel *model)
{
  return WPI_TYPE_ITEM_INFO;
}

static guint
wpi_catalogue_list_get_n_items (GListModel *model)
{
  return WPI_CATALOGUE (model)->items->len;
}

static gpointer
wpi_catalogue_get_item (GListModel *model,
                        guint       position)
{
  WpiCatalogue *self = WPI_CATALOGUE (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = wpi_catalogue_get_item_type;
  iface->get_n_items = wpi_catalogue_list_get_n_items;
  iface->get_item = wpi_catalogue_get_item;
}

static void
wpi_catalogue_finalize (GObject *object)
{
  WpiCatalogue *self = WPI_CATALOGUE (object);

  g_clear_pointer (&self->by_folded_name, g_hash_table_unref);
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (wpi_catalogue_parent_class)->finalize (object);
}

static void
wpi_catalogue_class_init (WpiCatalogueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = wpi_catalogue_finalize;
}

static void
wpi_catalogue_init (WpiCatalogue *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->by_folded_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static gboolean
set_line_error (GError    **error,
                guint       line_number,
                const char *format,
                ...) G_GNUC_PRINTF (3, 4);

static gboolean
set_line_error (GError    **error,
                guint       line_number,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INVALID_DATA,
               "item catalogue, line %u: %s", line_number, message);
  return FALSE;
}

static gboolean
add_row (WpiCatalogue *self,
         char         *line,
         guint         line_number,
         GError      **error)
{
  g_auto(GStrv) fields = g_strsplit (line, "\t", -1);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(WpiItemInfo) info = NULL;
  g_autofree char *folded = NULL;
  WpiItemInfo *same_folded;
  const char *name;
  guint n_fields = g_strv_length (fields);

  if (n_fields != WPI_ITEM_N_COLUMNS)
    return set_line_error (error, line_number, "%u columns instead of %u",
                           n_fields, (guint) WPI_ITEM_N_COLUMNS);

  info = wpi_item_info_new_from_fields ((const char * const *) fields, &local_error);
  if (info == NULL)
    return set_line_error (error, line_number, "%s", local_error->message);

  name = wpi_item_info_get_name (info);
  if (find_category (wpi_item_info_get_category (info)) == NULL)
    return set_line_error (error, line_number, "“%s” has the unknown category “%s”",
                           name, wpi_item_info_get_category (info));
  if (g_hash_table_contains (self->by_name, name))
    return set_line_error (error, line_number, "“%s” is listed twice", name);

  /* Keeps the case-insensitive lookup unambiguous */
  folded = g_ascii_strdown (name, -1);
  same_folded = g_hash_table_lookup (self->by_folded_name, folded);
  if (same_folded != NULL)
    return set_line_error (error, line_number, "“%s” differs from “%s” only in case",
                           name, wpi_item_info_get_name (same_folded));

  g_hash_table_insert (self->by_name, (gpointer) name, info);
  g_hash_table_insert (self->by_folded_name, g_steal_pointer (&folded), info);
  g_ptr_array_add (self->items, g_steal_pointer (&info));

  return TRUE;
}

/* Tab-separated lines; the first line that is not empty and not a "#" comment is the
 * header, which must name the columns of wpi_item_column_names in order. */
static gboolean
wpi_catalogue_load (WpiCatalogue *self,
                    GBytes       *data,
                    GError      **error)
{
  gsize size;
  const char *bytes = g_bytes_get_data (data, &size);
  g_autofree char *text = NULL;
  g_autofree char *expected_header = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean have_header = FALSE;

  if (size > 0 && (memchr (bytes, '\0', size) != NULL || !g_utf8_validate_len (bytes, size, NULL)))
    return set_line_error (error, 1, "the data is not UTF-8 text");

  /* g_bytes_get_data() gives NULL for empty data */
  text = bytes != NULL ? g_strndup (bytes, size) : g_strdup ("");
  lines = g_strsplit (text, "\n", -1);
  expected_header = g_strjoinv ("\t", (char **) wpi_item_column_names);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize length = strlen (line);

      if (length > 0 && line[length - 1] == '\r')
        line[length - 1] = '\0';
      if (line[0] == '\0' || line[0] == '#')
        continue;

      if (!have_header)
        {
          if (strcmp (line, expected_header) != 0)
            return set_line_error (error, i + 1, "the header is not “%s”", expected_header);
          have_header = TRUE;
          continue;
        }

      if (!add_row (self, line, i + 1, error))
        return FALSE;
    }

  if (!have_header)
    return set_line_error (error, 1, "no header line");

  return TRUE;
}

WpiCatalogue *
wpi_catalogue_new_from_bytes (GBytes  *data,
                              GError **error)
{
  g_autoptr(WpiCatalogue) self = NULL;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (WPI_TYPE_CATALOGUE, NULL);
  if (!wpi_catalogue_load (self, data, error))
    return NULL;

  return g_steal_pointer (&self);
}

static WpiCatalogue *
load_default (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  WpiCatalogue *catalogue = NULL;

  /* Looked up in our own resource, not the global table: referencing wpi_get_resource()
   * is also what keeps the resource in a static link. */
  data = g_resource_lookup_data (wpi_get_resource (), WPI_CATALOGUE_RESOURCE_PATH,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (data != NULL)
    catalogue = wpi_catalogue_new_from_bytes (data, &error);

  if (catalogue == NULL)
    {
      /* The data is compiled in and tested, so this is a build bug. Carry on with an
       * empty catalogue: every item is then merely unknown, which is allowed. */
      g_critical ("Cannot load the item catalogue: %s", error->message);
      catalogue = g_object_new (WPI_TYPE_CATALOGUE, NULL);
    }

  return catalogue;
}

WpiCatalogue *
wpi_catalogue_get_default (void)
{
  static WpiCatalogue *default_catalogue;

  if (g_once_init_enter (&default_catalogue))
    g_once_init_leave (&default_catalogue, load_default ());

  return default_catalogue;
}

guint
wpi_catalogue_get_n_items (WpiCatalogue *self)
{
  g_return_val_if_fail (WPI_IS_CATALOGUE (self), 0);

  return self->items->len;
}

WpiItemInfo *
wpi_catalogue_lookup (WpiCatalogue *self,
                      const char   *name)
{
  g_return_val_if_fail (WPI_IS_CATALOGUE (self), NULL);

  if (name == NULL)
    return NULL;
  return g_hash_table_lookup (self->by_name, name);
}

WpiItemInfo *
wpi_catalogue_lookup_ignore_case (WpiCatalogue *self,
                                  const char   *name)
{
  g_autofree char *folded = NULL;

  g_return_val_if_fail (WPI_IS_CATALOGUE (self), NULL);

  if (name == NULL)
    return NULL;
  folded = g_ascii_strdown (name, -1);
  return g_hash_table_lookup (self->by_folded_name, folded);
}

char *
wpi_catalogue_describe_value (WpiCatalogue *self,
                              const char   *name,
                              const char   *value)
{
  WpiItemInfo *info;

  g_return_val_if_fail (WPI_IS_CATALOGUE (self), NULL);

  info = wpi_catalogue_lookup (self, name);
  if (info == NULL || value == NULL)
    return NULL;

  return wpi_item_info_describe_value (info, value);
}

gboolean
wpi_catalogue_validate (WpiCatalogue *self,
                        const char   *name,
                        gboolean      has_index,
                        gint64        index,
                        const char   *value,
                        GError      **error)
{
  WpiItemInfo *info;
  const char *ranges;

  g_return_val_if_fail (WPI_IS_CATALOGUE (self), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The catalogue annotates; it never stands between the user and a new item */
  info = wpi_catalogue_lookup (self, name);
  if (info == NULL)
    return TRUE;

  if (wpi_item_info_get_read_only (info) == WPI_READ_ONLY_YES)
    {
      g_set_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_READ_ONLY,
                   _("“%s” is read-only: the phone refuses to change it"), name);
      return FALSE;
    }

  ranges = wpi_item_info_get_index_ranges_string (info);
  switch (wpi_item_info_get_index_mode (info))
    {
    case WPI_INDEX_MODE_NONE:
      if (has_index)
        {
          g_autofree char *index_text = g_strdup_printf ("%" G_GINT64_FORMAT, index);

          g_set_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INDEX_NOT_ALLOWED,
                       _("“%s” takes no index, but has index %s"), name, index_text);
          return FALSE;
        }
      break;

    case WPI_INDEX_MODE_REQUIRED:
      if (!has_index)
        {
          if (ranges[0] != '\0')
            g_set_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INDEX_REQUIRED,
                         _("“%s” needs an index (%s)"), name, ranges);
          else
            g_set_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INDEX_REQUIRED,
                         _("“%s” needs an index"), name);
          return FALSE;
        }
      break;

    case WPI_INDEX_MODE_OPTIONAL:
    default:
      break;
    }

  if (has_index && !wpi_item_info_index_is_valid (info, index))
    {
      g_autofree char *index_text = g_strdup_printf ("%" G_GINT64_FORMAT, index);

      g_set_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INDEX_OUT_OF_RANGE,
                   _("“%s”: index %s is out of range %s"), name, index_text,
                   ranges[0] != '\0' ? ranges : "0..");
      return FALSE;
    }

  return wpi_item_info_validate_value (info, value, error);
}

gboolean
wpi_catalogue_validate_item (WpiCatalogue  *self,
                             const WpiItem *item,
                             GError       **error)
{
  g_return_val_if_fail (item != NULL, FALSE);

  return wpi_catalogue_validate (self, item->name, item->has_index, item->index,
                                 item->value != NULL ? item->value : "", error);
}

/* For names the catalogue does not know: the parts that mark credentials */
static gboolean
name_looks_secret (const char *name)
{
  static const char * const secret_parts[] = {
    "pwd", "passwd", "password", "pin", "tan", "secret", "private", "credential",
    "credentials", "certificate",
  };
  g_autofree char *folded = g_ascii_strdown (name, -1);
  g_auto(GStrv) parts = g_strsplit (folded, "-", -1);
  guint n_parts = g_strv_length (parts);

  for (guint i = 0; i < n_parts; i++)
    {
      for (guint j = 0; j < G_N_ELEMENTS (secret_parts); j++)
        {
          if (strcmp (parts[i], secret_parts[j]) != 0)
            continue;
          /* "...-certificate-info" describes a certificate; it holds no key */
          if (strcmp (parts[i], "certificate") == 0 && strcmp (parts[n_parts - 1], "info") == 0)
            continue;
          return TRUE;
        }
    }

  return FALSE;
}

gboolean
wpi_catalogue_is_secret (WpiCatalogue *self,
                         const char   *name)
{
  WpiItemInfo *info;

  g_return_val_if_fail (WPI_IS_CATALOGUE (self), TRUE);

  if (name == NULL)
    return FALSE;

  info = wpi_catalogue_lookup (self, name);
  if (info == NULL)
    info = wpi_catalogue_lookup_ignore_case (self, name);
  if (info != NULL)
    return wpi_item_info_is_secret (info);

  return name_looks_secret (name);
}

const char * const *
wpi_catalogue_get_categories (WpiCatalogue *self)
{
  g_return_val_if_fail (WPI_IS_CATALOGUE (self), NULL);

  return category_ids;
}

const char *
wpi_catalogue_get_category_title (WpiCatalogue *self,
                                  const char   *category)
{
  const Category *found;

  g_return_val_if_fail (WPI_IS_CATALOGUE (self), NULL);

  found = find_category (category);
  if (found == NULL)
    return NULL;
  return g_dgettext (GETTEXT_PACKAGE, found->title);
}

GListModel *
wpi_catalogue_list_category (WpiCatalogue *self,
                             const char   *category)
{
  GListStore *store;

  g_return_val_if_fail (WPI_IS_CATALOGUE (self), NULL);

  store = g_list_store_new (WPI_TYPE_ITEM_INFO);
  for (guint i = 0; category != NULL && i < self->items->len; i++)
    {
      WpiItemInfo *info = g_ptr_array_index (self->items, i);

      if (strcmp (wpi_item_info_get_category (info), category) == 0)
        g_list_store_append (store, info);
    }

  return G_LIST_MODEL (store);
}
