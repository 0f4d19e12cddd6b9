/* wpi-item-info.c: one catalogue entry, its parser and its value checks */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "wpi-catalogue.h"
#include "wpi-wire-enums.h"
#include "wpi-item-info-private.h"

/* Longer values are cut in error messages, so a 40 kB certificate stays readable */
#define MESSAGE_VALUE_MAX_CHARS 40

struct _WpiItemInfo {
  GObject        parent_instance;

  char          *name;
  char          *category;
  WpiValueType   value_type;

  /* Enumerations: enum_storage holds value, meaning, value, meaning, ...; enum_values
   * points into it. */
  char         **enum_storage;
  WpiEnumValue  *enum_values;
  guint          n_enum_values;
  gboolean       open_enum;
  gboolean       numeric_enum;

  gboolean       has_range;
  gint64         min;
  gint64         max;
  char          *range_string;

  guint          max_length;
  char          *default_value;

  WpiIndexMode   index_mode;
  WpiIndexRange *index_ranges;
  guint          n_index_ranges;
  char          *index_ranges_string;

  WpiReadOnly    read_only;
  gboolean       secret;
  char          *source;
};

G_DEFINE_FINAL_TYPE (WpiItemInfo, wpi_item_info, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_CATEGORY,
  PROP_VALUE_TYPE,
  PROP_INDEX_MODE,
  PROP_READ_ONLY,
  PROP_SECRET,
  PROP_DEFAULT_VALUE,
  PROP_SOURCE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const wpi_item_column_names[WPI_ITEM_N_COLUMNS + 1] = {
  "name", "category", "type", "values", "default", "indexed", "read_only", "secret",
  "source", "max_length", NULL,
};

/* In the order of WpiValueType */
static const char * const value_type_names[] = {
  "text", "boolean", "integer", "enum", "password", "base64", "pem", "dns", "ip", "mac",
  "uri", "unicode", "version", "port",
};

G_STATIC_ASSERT (G_N_ELEMENTS (value_type_names) == WPI_VALUE_TYPE_PORT + 1);

const char *
wpi_value_type_to_string (WpiValueType type)
{
  g_return_val_if_fail (type < G_N_ELEMENTS (value_type_names), NULL);

  return value_type_names[type];
}

gboolean
wpi_value_type_from_string (const char   *str,
                            WpiValueType *type)
{
  g_return_val_if_fail (type != NULL, FALSE);

  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (value_type_names); i++)
    {
      if (strcmp (str, value_type_names[i]) == 0)
        {
          *type = (WpiValueType) i;
          return TRUE;
        }
    }

  return FALSE;
}

static void
wpi_item_info_finalize (GObject *object)
{
  WpiItemInfo *self = WPI_ITEM_INFO (object);

  g_free (self->name);
  g_free (self->category);
  g_strfreev (self->enum_storage);
  g_free (self->enum_values);
  g_free (self->range_string);
  g_free (self->default_value);
  g_free (self->index_ranges);
  g_free (self->index_ranges_string);
  g_free (self->source);

  G_OBJECT_CLASS (wpi_item_info_parent_class)->finalize (object);
}

static void
wpi_item_info_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  WpiItemInfo *self = WPI_ITEM_INFO (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_CATEGORY:
      g_value_set_string (value, self->category);
      break;
    case PROP_VALUE_TYPE:
      g_value_set_enum (value, self->value_type);
      break;
    case PROP_INDEX_MODE:
      g_value_set_enum (value, self->index_mode);
      break;
    case PROP_READ_ONLY:
      g_value_set_enum (value, self->read_only);
      break;
    case PROP_SECRET:
      g_value_set_boolean (value, self->secret);
      break;
    case PROP_DEFAULT_VALUE:
      g_value_set_string (value, self->default_value);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpi_item_info_class_init (WpiItemInfoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = wpi_item_info_finalize;
  object_class->get_property = wpi_item_info_get_property;

  /* Read-only properties, so a UI can bind or sort by them (GtkPropertyExpression) */
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_CATEGORY] = g_param_spec_string ("category", NULL, NULL, NULL, flags);
  properties[PROP_VALUE_TYPE] = g_param_spec_enum ("value-type", NULL, NULL, WPI_TYPE_VALUE_TYPE,
                                                   WPI_VALUE_TYPE_TEXT, flags);
  properties[PROP_INDEX_MODE] = g_param_spec_enum ("index-mode", NULL, NULL, WPI_TYPE_INDEX_MODE,
                                                   WPI_INDEX_MODE_NONE, flags);
  properties[PROP_READ_ONLY] = g_param_spec_enum ("read-only", NULL, NULL, WPI_TYPE_READ_ONLY,
                                                  WPI_READ_ONLY_UNKNOWN, flags);
  properties[PROP_SECRET] = g_param_spec_boolean ("secret", NULL, NULL, FALSE, flags);
  properties[PROP_DEFAULT_VALUE] = g_param_spec_string ("default-value", NULL, NULL, NULL, flags);
  properties[PROP_SOURCE] = g_param_spec_string ("source", NULL, NULL, NULL, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
wpi_item_info_init (WpiItemInfo *self)
{
}

/* Parsing helpers */

/* A strict decimal: optional '-', digits, nothing else (no '+', no spaces). */
static gboolean
parse_int64 (const char *str,
             gsize       length,
             gint64     *out)
{
  const char *p = str;
  const char *end = str + length;
  gboolean negative = FALSE;
  guint64 magnitude = 0;

  if (p < end && *p == '-')
    {
      negative = TRUE;
      p++;
    }
  if (p == end)
    return FALSE;

  for (; p < end; p++)
    {
      guint digit;

      if (!g_ascii_isdigit (*p))
        return FALSE;
      digit = (guint) (*p - '0');
      if (magnitude > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      magnitude = magnitude * 10 + digit;
    }

  if (negative)
    {
      if (magnitude > (guint64) G_MAXINT64 + 1)
        return FALSE;
      *out = magnitude == (guint64) G_MAXINT64 + 1 ? G_MININT64 : -(gint64) magnitude;
    }
  else
    {
      if (magnitude > (guint64) G_MAXINT64)
        return FALSE;
      *out = (gint64) magnitude;
    }

  return TRUE;
}

/* "a..b", "a.." or "..b" */
static gboolean
parse_range (const char *str,
             gint64     *min,
             gint64     *max)
{
  const char *dots = strstr (str, "..");
  gsize tail_length;

  if (dots == NULL)
    return FALSE;
  tail_length = strlen (dots + 2);
  if (dots == str && tail_length == 0)
    return FALSE;

  *min = G_MININT64;
  *max = G_MAXINT64;
  if (dots > str && !parse_int64 (str, (gsize) (dots - str), min))
    return FALSE;
  if (tail_length > 0 && !parse_int64 (dots + 2, tail_length, max))
    return FALSE;

  return *min <= *max;
}

static gboolean
value_type_has_text (WpiValueType type)
{
  switch (type)
    {
    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_UNICODE:
      return TRUE;
    case WPI_VALUE_TYPE_BOOLEAN:
    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_ENUM:
    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_DNS:
    case WPI_VALUE_TYPE_IP:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_VERSION:
    case WPI_VALUE_TYPE_PORT:
      return FALSE;
    }
  g_return_val_if_reached (FALSE);
}

static gboolean
set_data_error (GError    **error,
                const char *column,
                const char *format,
                ...) G_GNUC_PRINTF (3, 4);

static gboolean
set_data_error (GError    **error,
                const char *column,
                const char *format,
                ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, WPI_CATALOGUE_ERROR, WPI_CATALOGUE_ERROR_INVALID_DATA,
               "column “%s”: %s", column, message);
  return FALSE;
}

static gboolean
parse_enum_values (WpiItemInfo *self,
                   const char  *values,
                   GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (values, "|", -1);
  guint n_parts = g_strv_length (parts);
  guint n = 0;

  if (n_parts > 0 && strcmp (parts[n_parts - 1], "...") == 0)
    {
      self->open_enum = TRUE;
      n_parts--;
    }
  if (n_parts == 0)
    return set_data_error (error, "values", "an enumeration needs at least one CODE=MEANING");

  self->enum_storage = g_new0 (char *, 2 * n_parts + 1);
  self->enum_values = g_new0 (WpiEnumValue, n_parts);
  self->numeric_enum = TRUE;

  for (guint i = 0; i < n_parts; i++)
    {
      const char *equals = strchr (parts[i], '=');
      char *code;
      gint64 number;

      if (equals == NULL || equals == parts[i] || equals[1] == '\0')
        return set_data_error (error, "values", "“%s” is not CODE=MEANING", parts[i]);

      code = g_strndup (parts[i], (gsize) (equals - parts[i]));
      for (guint j = 0; j < i; j++)
        {
          if (strcmp (self->enum_values[j].value, code) == 0)
            {
              set_data_error (error, "values", "code “%s” is listed twice", code);
              g_free (code);
              return FALSE;
            }
        }

      if (!parse_int64 (code, strlen (code), &number))
        self->numeric_enum = FALSE;

      self->enum_storage[n++] = code;
      self->enum_storage[n++] = g_strdup (equals + 1);
      self->enum_values[i].value = self->enum_storage[n - 2];
      self->enum_values[i].meaning = self->enum_storage[n - 1];
      self->n_enum_values = i + 1;
    }

  return TRUE;
}

static gboolean
parse_values (WpiItemInfo *self,
              const char  *values,
              GError     **error)
{
  switch (self->value_type)
    {
    case WPI_VALUE_TYPE_ENUM:
      return parse_enum_values (self, values, error);

    case WPI_VALUE_TYPE_BOOLEAN:
      if (values[0] != '\0' && strcmp (values, "true|false") != 0)
        return set_data_error (error, "values", "a boolean lists “true|false” or nothing, not “%s”",
                               values);
      return TRUE;

    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_PORT:
      if (values[0] == '\0')
        return TRUE;
      if (!parse_range (values, &self->min, &self->max))
        return set_data_error (error, "values", "“%s” is not a range MIN..MAX", values);
      self->has_range = TRUE;
      self->range_string = g_strdup (values);
      return TRUE;

    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_DNS:
    case WPI_VALUE_TYPE_IP:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_UNICODE:
    case WPI_VALUE_TYPE_VERSION:
      if (values[0] != '\0')
        return set_data_error (error, "values", "type “%s” takes no values, got “%s”",
                               wpi_value_type_to_string (self->value_type), values);
      return TRUE;
    }
  g_return_val_if_reached (TRUE);
}

static gboolean
parse_indexed (WpiItemInfo *self,
               const char  *indexed,
               GError     **error)
{
  const char *ranges = NULL;
  g_auto(GStrv) parts = NULL;

  if (strcmp (indexed, "no") == 0)
    {
      self->index_mode = WPI_INDEX_MODE_NONE;
      self->index_ranges_string = g_strdup ("");
      return TRUE;
    }
  else if (g_str_has_prefix (indexed, "yes"))
    {
      self->index_mode = WPI_INDEX_MODE_REQUIRED;
      ranges = indexed + strlen ("yes");
    }
  else if (g_str_has_prefix (indexed, "optional"))
    {
      self->index_mode = WPI_INDEX_MODE_OPTIONAL;
      ranges = indexed + strlen ("optional");
    }
  else
    {
      return set_data_error (error, "indexed", "“%s” is not no, yes [RANGES] or optional [RANGES]",
                             indexed);
    }

  if (*ranges == '\0')
    {
      /* No range known: any index the XML can carry (the guide uses 0 and 1 based ones) */
      self->index_ranges = g_new (WpiIndexRange, 1);
      self->index_ranges[0] = (WpiIndexRange) { 0, G_MAXINT64 };
      self->n_index_ranges = 1;
      self->index_ranges_string = g_strdup ("");
      return TRUE;
    }
  if (*ranges != ' ')
    return set_data_error (error, "indexed", "“%s” is not no, yes [RANGES] or optional [RANGES]",
                           indexed);
  ranges++;

  parts = g_strsplit (ranges, ",", -1);
  self->n_index_ranges = g_strv_length (parts);
  self->index_ranges = g_new0 (WpiIndexRange, self->n_index_ranges);
  for (guint i = 0; i < self->n_index_ranges; i++)
    {
      gint64 first, last;

      if (!parse_range (parts[i], &first, &last) || first < 0)
        return set_data_error (error, "indexed", "“%s” is not a range FIRST..LAST of indexes ≥ 0",
                               parts[i]);
      self->index_ranges[i] = (WpiIndexRange) { first, last };
    }
  self->index_ranges_string = g_strdup (ranges);

  return TRUE;
}

static gboolean
parse_fields (WpiItemInfo        *self,
              const char * const *fields,
              GError            **error)
{
  const char *read_only = fields[WPI_ITEM_COLUMN_READ_ONLY];
  const char *secret = fields[WPI_ITEM_COLUMN_SECRET];
  const char *max_length = fields[WPI_ITEM_COLUMN_MAX_LENGTH];
  const char *default_value = fields[WPI_ITEM_COLUMN_DEFAULT];
  g_autoptr(GError) local_error = NULL;

  if (fields[WPI_ITEM_COLUMN_NAME][0] == '\0')
    return set_data_error (error, "name", "empty item name");
  for (const char *p = fields[WPI_ITEM_COLUMN_NAME]; *p != '\0'; p++)
    {
      /* Names on the wire are ASCII words with dashes, e.g. "Canonical-lookup-local-code" */
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return set_data_error (error, "name", "“%s” is not an item name",
                               fields[WPI_ITEM_COLUMN_NAME]);
    }
  self->name = g_strdup (fields[WPI_ITEM_COLUMN_NAME]);

  if (fields[WPI_ITEM_COLUMN_CATEGORY][0] == '\0')
    return set_data_error (error, "category", "empty category");
  self->category = g_strdup (fields[WPI_ITEM_COLUMN_CATEGORY]);

  if (!wpi_value_type_from_string (fields[WPI_ITEM_COLUMN_TYPE], &self->value_type))
    return set_data_error (error, "type", "unknown value type “%s”", fields[WPI_ITEM_COLUMN_TYPE]);

  if (!parse_values (self, fields[WPI_ITEM_COLUMN_VALUES], error))
    return FALSE;

  if (!parse_indexed (self, fields[WPI_ITEM_COLUMN_INDEXED], error))
    return FALSE;

  if (strcmp (read_only, "no") == 0)
    self->read_only = WPI_READ_ONLY_NO;
  else if (strcmp (read_only, "yes") == 0)
    self->read_only = WPI_READ_ONLY_YES;
  else if (strcmp (read_only, "unknown") == 0)
    self->read_only = WPI_READ_ONLY_UNKNOWN;
  else
    return set_data_error (error, "read_only", "“%s” is not yes, no or unknown", read_only);

  if (strcmp (secret, "no") == 0)
    self->secret = FALSE;
  else if (strcmp (secret, "yes") == 0)
    self->secret = TRUE;
  else
    return set_data_error (error, "secret", "“%s” is not yes or no", secret);
  if (self->value_type == WPI_VALUE_TYPE_PASSWORD && !self->secret)
    return set_data_error (error, "secret", "a password must be secret");

  self->source = g_strdup (fields[WPI_ITEM_COLUMN_SOURCE]);

  if (max_length[0] != '\0')
    {
      gint64 length;

      if (!value_type_has_text (self->value_type) && self->value_type != WPI_VALUE_TYPE_URI)
        return set_data_error (error, "max_length", "type “%s” has no maximum length",
                               wpi_value_type_to_string (self->value_type));
      if (!parse_int64 (max_length, strlen (max_length), &length) || length < 1 || length > G_MAXINT)
        return set_data_error (error, "max_length", "“%s” is not a positive length", max_length);
      self->max_length = (guint) length;
    }

  /* A default must itself be a valid value: it catches typos in the data */
  if (default_value[0] != '\0')
    {
      if (!wpi_item_info_validate_value (self, default_value, &local_error))
        return set_data_error (error, "default", "%s", local_error->message);
      self->default_value = g_strdup (default_value);
    }

  return TRUE;
}

WpiItemInfo *
wpi_item_info_new_from_fields (const char * const *fields,
                               GError            **error)
{
  g_autoptr(WpiItemInfo) self = g_object_new (WPI_TYPE_ITEM_INFO, NULL);

  if (!parse_fields (self, fields, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* Getters */

const char *
wpi_item_info_get_name (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);

  return self->name;
}

const char *
wpi_item_info_get_category (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);

  return self->category;
}

WpiValueType
wpi_item_info_get_value_type (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), WPI_VALUE_TYPE_TEXT);

  return self->value_type;
}

const WpiEnumValue *
wpi_item_info_get_enum_values (WpiItemInfo *self,
                               guint       *n_values)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);

  if (n_values != NULL)
    *n_values = self->n_enum_values;
  return self->enum_values;
}

gboolean
wpi_item_info_is_open_enum (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), FALSE);

  return self->open_enum;
}

const char *
wpi_item_info_get_enum_meaning (WpiItemInfo *self,
                                const char  *value)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);
  g_return_val_if_fail (value != NULL, NULL);

  /* A handful of codes per item: a scan is as fast as a hash here */
  for (guint i = 0; i < self->n_enum_values; i++)
    {
      if (strcmp (self->enum_values[i].value, value) == 0)
        return self->enum_values[i].meaning;
    }

  return NULL;
}

gboolean
wpi_item_info_get_range (WpiItemInfo *self,
                         gint64      *min,
                         gint64      *max)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), FALSE);

  if (min != NULL)
    *min = self->min;
  if (max != NULL)
    *max = self->max;
  return self->has_range;
}

guint
wpi_item_info_get_max_length (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), 0);

  return self->max_length;
}

const char *
wpi_item_info_get_default_value (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);

  return self->default_value;
}

WpiIndexMode
wpi_item_info_get_index_mode (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), WPI_INDEX_MODE_NONE);

  return self->index_mode;
}

gboolean
wpi_item_info_is_indexed (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), FALSE);

  return self->index_mode != WPI_INDEX_MODE_NONE;
}

const WpiIndexRange *
wpi_item_info_get_index_ranges (WpiItemInfo *self,
                                guint       *n_ranges)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);

  if (n_ranges != NULL)
    *n_ranges = self->n_index_ranges;
  return self->index_ranges;
}

const char *
wpi_item_info_get_index_ranges_string (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);

  return self->index_ranges_string;
}

gboolean
wpi_item_info_index_is_valid (WpiItemInfo *self,
                              gint64       index)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), FALSE);

  for (guint i = 0; i < self->n_index_ranges; i++)
    {
      if (index >= self->index_ranges[i].first && index <= self->index_ranges[i].last)
        return TRUE;
    }

  return FALSE;
}

WpiReadOnly
wpi_item_info_get_read_only (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), WPI_READ_ONLY_UNKNOWN);

  return self->read_only;
}

gboolean
wpi_item_info_is_secret (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), TRUE);

  return self->secret;
}

const char *
wpi_item_info_get_source (WpiItemInfo *self)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);

  return self->source;
}

/* Value checks */

/* The value as an error message shows it: quoted, shortened, or masked */
static char *
quote_value (WpiItemInfo *self,
             const char  *value)
{
  if (self->secret)
    return g_strdup ("<masked>");
  if (!g_utf8_validate (value, -1, NULL))
    return g_strdup ("<not UTF-8>");
  if (g_utf8_strlen (value, -1) > MESSAGE_VALUE_MAX_CHARS)
    {
      g_autofree char *head = g_utf8_substring (value, 0, MESSAGE_VALUE_MAX_CHARS);

      return g_strdup_printf ("“%s…”", head);
    }

  return g_strdup_printf ("“%s”", value);
}

static gboolean
set_value_error (WpiItemInfo       *self,
                 GError           **error,
                 WpiCatalogueError  code,
                 const char        *value,
                 const char        *format,
                 ...) G_GNUC_PRINTF (5, 6);

/* "“item”: “value” <reason>" */
static gboolean
set_value_error (WpiItemInfo       *self,
                 GError           **error,
                 WpiCatalogueError  code,
                 const char        *value,
                 const char        *format,
                 ...)
{
  g_autofree char *quoted = quote_value (self, value);
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  /* Translators: item name, the value in quotes, then what is wrong with it */
  g_set_error (error, WPI_CATALOGUE_ERROR, code, _("“%s”: %s %s"), self->name, quoted, reason);
  return FALSE;
}

/* UTF-8 without control characters other than tab and line breaks: XML 1.0 cannot
 * carry the others, and the phone's parser would reject the whole message. */
static gboolean
is_valid_text (const char *value)
{
  if (!g_utf8_validate (value, -1, NULL))
    return FALSE;

  for (const guchar *p = (const guchar *) value; *p != '\0'; p++)
    {
      if ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') || *p == 0x7f)
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_valid_host_name (const char *value)
{
  gsize length = strlen (value);
  const char *label = value;
  gboolean all_digits = TRUE;

  /* A fully qualified name may end with the root's dot */
  if (length > 0 && value[length - 1] == '.')
    length--;
  if (length == 0 || length > 253)
    return FALSE;

  for (gsize i = 0; i <= length; i++)
    {
      if (i == length || value[i] == '.')
        {
          gsize label_length = (gsize) (&value[i] - label);

          if (label_length == 0 || label_length > 63 || label[0] == '-' || value[i - 1] == '-')
            return FALSE;
          label = &value[i + 1];
          continue;
        }

      /* Underscores are not DNS, but NetBIOS-style names carry them and phones cope */
      if (!g_ascii_isalnum (value[i]) && value[i] != '-' && value[i] != '_')
        return FALSE;
      if (!g_ascii_isdigit (value[i]))
        all_digits = FALSE;
    }

  /* Only digits and dots, but not an address: a mistyped IPv4 address, not a name */
  return !all_digits;
}

static gboolean
is_valid_mac (const char *value)
{
  if (strlen (value) != 17)
    return FALSE;

  for (guint i = 0; i < 17; i++)
    {
      if (i % 3 == 2 ? value[i] != ':' : !g_ascii_isxdigit (value[i]))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_valid_uri (const char *value)
{
  g_autoptr(GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *scheme;
  const char *host;

  if (uri == NULL)
    return FALSE;

  /* The phone fetches these itself: only the schemes it speaks, and a host to reach */
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  return (g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0)
         && host != NULL && host[0] != '\0'
         && strpbrk (value, " \t\r\n") == NULL;
}

/* Standard alphabet with correct padding; line breaks are tolerated because
 * certificates are often wrapped at 64 or 76 columns. */
static gboolean
is_valid_base64_length (const char *value,
                        gsize       length)
{
  gsize n_chars = 0;
  guint n_padding = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = value[i];

      if (c == '\r' || c == '\n')
        continue;
      if (c == '=')
        {
          if (++n_padding > 2)
            return FALSE;
        }
      else if (n_padding > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        {
          return FALSE;
        }
      n_chars++;
    }

  return n_chars > 0 && n_chars % 4 == 0;
}

static gboolean
is_valid_base64 (const char *value)
{
  return is_valid_base64_length (value, strlen (value));
}

/* One or more "-----BEGIN LABEL-----" base64 "-----END LABEL-----" blocks */
static gboolean
is_valid_pem (const char *value)
{
  g_auto(GStrv) lines = g_strsplit (value, "\n", -1);
  g_autofree char *label = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  guint n_blocks = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      gsize length = strlen (line);

      if (label == NULL)
        {
          if (length == 0)
            continue;
          if (!g_str_has_prefix (line, "-----BEGIN ") || !g_str_has_suffix (line, "-----")
              || length <= strlen ("-----BEGIN ") + strlen ("-----"))
            return FALSE;
          label = g_strndup (line + strlen ("-----BEGIN "),
                             length - strlen ("-----BEGIN ") - strlen ("-----"));
          g_string_truncate (body, 0);
        }
      else if (g_str_has_prefix (line, "-----END "))
        {
          g_autofree char *expected = g_strdup_printf ("-----END %s-----", label);

          if (strcmp (line, expected) != 0 || !is_valid_base64_length (body->str, body->len))
            return FALSE;
          g_clear_pointer (&label, g_free);
          n_blocks++;
        }
      else
        {
          g_string_append (body, line);
        }
    }

  return label == NULL && n_blocks > 0;
}

static const char *
skip_digits (const char *p)
{
  const char *start = p;

  while (g_ascii_isdigit (*p))
    p++;
  return p > start ? p : NULL;
}

/* "V3 R1.41.1" as phones report it, or "1.4.9.0" as file-sw-version carries it [p.57] */
static gboolean
is_valid_version (const char *value)
{
  const char *p = value;

  if (*p == 'V')
    {
      if ((p = skip_digits (p + 1)) == NULL || strncmp (p, " R", 2) != 0)
        return FALSE;
      if ((p = skip_digits (p + 2)) == NULL)
        return FALSE;
      while (*p == '.')
        {
          if ((p = skip_digits (p + 1)) == NULL)
            return FALSE;
        }
      return *p == '\0';
    }

  if ((p = skip_digits (p)) == NULL || *p != '.')
    return FALSE;
  while (*p == '.')
    {
      if ((p = skip_digits (p + 1)) == NULL)
        return FALSE;
    }
  return *p == '\0';
}

static gboolean
validate_integer (WpiItemInfo *self,
                  const char  *value,
                  GError     **error)
{
  gint64 number;
  gint64 min = self->min;
  gint64 max = self->max;

  if (!parse_int64 (value, strlen (value), &number))
    return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_INTEGER, value,
                            _("is not a whole number"));

  if (!self->has_range && self->value_type == WPI_VALUE_TYPE_PORT)
    {
      min = 1;
      max = 65535;
    }
  else if (!self->has_range)
    {
      return TRUE;
    }

  if (number < min || number > max)
    {
      /* The numbers as text: a translatable format cannot hold G_GINT64_FORMAT */
      char min_text[24], max_text[24];

      g_snprintf (min_text, sizeof min_text, "%" G_GINT64_FORMAT, min);
      g_snprintf (max_text, sizeof max_text, "%" G_GINT64_FORMAT, max);
      if (min == G_MININT64)
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_OUT_OF_RANGE, value,
                                _("is out of range: at most %s"), max_text);
      if (max == G_MAXINT64)
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_OUT_OF_RANGE, value,
                                _("is out of range: at least %s"), min_text);
      return set_value_error (self, error, WPI_CATALOGUE_ERROR_OUT_OF_RANGE, value,
                              _("is out of range %s..%s"), min_text, max_text);
    }

  return TRUE;
}

static gboolean
validate_enum (WpiItemInfo *self,
               const char  *value,
               GError     **error)
{
  g_autoptr(GString) choices = NULL;
  gint64 number;

  if (wpi_item_info_get_enum_meaning (self, value) != NULL)
    return TRUE;

  if (self->open_enum)
    {
      /* Unlisted codes may exist, but a numeric list still needs a number */
      if (self->numeric_enum && !parse_int64 (value, strlen (value), &number))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION, value,
                                _("is not a numeric code"));
      return TRUE;
    }

  choices = g_string_new (NULL);
  for (guint i = 0; i < self->n_enum_values; i++)
    {
      if (i > 0)
        g_string_append (choices, ", ");
      g_string_append_printf (choices, "%s (%s)", self->enum_values[i].value,
                              self->enum_values[i].meaning);
    }

  return set_value_error (self, error, WPI_CATALOGUE_ERROR_NOT_IN_ENUMERATION, value,
                          _("is not one of %s"), choices->str);
}

/* Empty means "unset" ("Default: NULL" in the guide's tables) for text-like items;
 * a boolean, number or code has no such value. */
static gboolean
validate_empty (WpiItemInfo *self,
                const char  *value,
                GError     **error)
{
  switch (self->value_type)
    {
    case WPI_VALUE_TYPE_BOOLEAN:
      return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_BOOLEAN, value,
                              _("is not true or false"));
    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_PORT:
      return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_INTEGER, value,
                              _("is not a whole number"));
    case WPI_VALUE_TYPE_ENUM:
      return validate_enum (self, value, error);
    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_DNS:
    case WPI_VALUE_TYPE_IP:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_UNICODE:
    case WPI_VALUE_TYPE_VERSION:
      return TRUE;
    }
  g_return_val_if_reached (TRUE);
}

/* The types whose values have a form of their own: addresses, encodings, versions */
static gboolean
validate_form (WpiItemInfo *self,
               const char  *value,
               GError     **error)
{
  switch (self->value_type)
    {
    case WPI_VALUE_TYPE_BASE64:
      if (!is_valid_base64 (value))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_BASE64, value,
                                _("is not base64"));
      return TRUE;

    case WPI_VALUE_TYPE_PEM:
      if (!is_valid_pem (value))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_PEM, value,
                                _("is not PEM (-----BEGIN …----- base64 -----END …-----)"));
      return TRUE;

    case WPI_VALUE_TYPE_DNS:
      if (!g_hostname_is_ip_address (value) && !is_valid_host_name (value))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_HOST, value,
                                _("is neither a host name nor an IP address"));
      return TRUE;

    case WPI_VALUE_TYPE_IP:
      if (!g_hostname_is_ip_address (value))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_IP, value,
                                _("is not an IPv4 or IPv6 address"));
      return TRUE;

    case WPI_VALUE_TYPE_MAC:
      if (!is_valid_mac (value))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_MAC, value,
                                _("is not a MAC address like 00:01:E3:25:E4:54"));
      return TRUE;

    case WPI_VALUE_TYPE_URI:
      if (!is_valid_uri (value))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_URI, value,
                                _("is not an http or https URI with a host"));
      return TRUE;

    case WPI_VALUE_TYPE_VERSION:
      if (!is_valid_version (value))
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_VERSION, value,
                                _("is not a version like “V3 R1.41.1” or “1.4.9.0”"));
      return TRUE;

    /* validate_value() checks these itself */
    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_BOOLEAN:
    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_ENUM:
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_UNICODE:
    case WPI_VALUE_TYPE_PORT:
      break;
    }
  g_return_val_if_reached (TRUE);
}

/* A value that is not empty, by its item's type */
static gboolean
validate_value (WpiItemInfo *self,
                const char  *value,
                GError     **error)
{
  switch (self->value_type)
    {
    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_UNICODE:
      return TRUE;

    case WPI_VALUE_TYPE_BOOLEAN:
      /* Phones send and expect lower case [items.md §2.2] */
      if (strcmp (value, "true") != 0 && strcmp (value, "false") != 0)
        return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_BOOLEAN, value,
                                _("is not true or false"));
      return TRUE;

    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_PORT:
      return validate_integer (self, value, error);

    case WPI_VALUE_TYPE_ENUM:
      return validate_enum (self, value, error);

    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_DNS:
    case WPI_VALUE_TYPE_IP:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_VERSION:
      return validate_form (self, value, error);
    }
  g_return_val_if_reached (TRUE);
}

gboolean
wpi_item_info_validate_value (WpiItemInfo *self,
                              const char  *value,
                              GError     **error)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!is_valid_text (value))
    return set_value_error (self, error, WPI_CATALOGUE_ERROR_INVALID_TEXT, value,
                            _("is not UTF-8 text or holds a control character"));

  if (value[0] == '\0')
    return validate_empty (self, value, error);

  if (self->max_length > 0 && g_utf8_strlen (value, -1) > (glong) self->max_length)
    return set_value_error (self, error, WPI_CATALOGUE_ERROR_TOO_LONG, value,
                            _("is longer than %u characters"), self->max_length);

  return validate_value (self, value, error);
}

char *
wpi_item_info_describe_value (WpiItemInfo *self,
                              const char  *value)
{
  g_return_val_if_fail (WPI_IS_ITEM_INFO (self), NULL);
  g_return_val_if_fail (value != NULL, NULL);

  if (self->secret)
    return NULL;

  switch (self->value_type)
    {
    case WPI_VALUE_TYPE_BOOLEAN:
      if (strcmp (value, "true") == 0)
        return g_strdup ("yes");
      if (strcmp (value, "false") == 0)
        return g_strdup ("no");
      return NULL;

    case WPI_VALUE_TYPE_ENUM:
      return g_strdup (wpi_item_info_get_enum_meaning (self, value));

    case WPI_VALUE_TYPE_TEXT:
    case WPI_VALUE_TYPE_INTEGER:
    case WPI_VALUE_TYPE_PASSWORD:
    case WPI_VALUE_TYPE_BASE64:
    case WPI_VALUE_TYPE_PEM:
    case WPI_VALUE_TYPE_DNS:
    case WPI_VALUE_TYPE_IP:
    case WPI_VALUE_TYPE_MAC:
    case WPI_VALUE_TYPE_URI:
    case WPI_VALUE_TYPE_UNICODE:
    case WPI_VALUE_TYPE_VERSION:
    case WPI_VALUE_TYPE_PORT:
      return NULL;
    }
  g_return_val_if_reached (NULL);
}
