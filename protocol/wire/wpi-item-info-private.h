/* wpi-item-info-private.h: building WpiItemInfo from a catalogue data row */
#pragma once

#include "wpi-item-info.h"

G_BEGIN_DECLS

/* Columns of protocol/data/items.tsv, in order */
typedef enum {
  WPI_ITEM_COLUMN_NAME,
  WPI_ITEM_COLUMN_CATEGORY,
  WPI_ITEM_COLUMN_TYPE,
  WPI_ITEM_COLUMN_VALUES,
  WPI_ITEM_COLUMN_DEFAULT,
  WPI_ITEM_COLUMN_INDEXED,
  WPI_ITEM_COLUMN_READ_ONLY,
  WPI_ITEM_COLUMN_SECRET,
  WPI_ITEM_COLUMN_SOURCE,
  WPI_ITEM_COLUMN_MAX_LENGTH,
  WPI_ITEM_N_COLUMNS,
} WpiItemColumn;

extern const char * const wpi_item_column_names[WPI_ITEM_N_COLUMNS + 1]; /* NULL-terminated */

/* fields holds WPI_ITEM_N_COLUMNS strings. The error (WPI_CATALOGUE_ERROR_INVALID_DATA)
 * names the column but not the line; the caller adds that. */
WpiItemInfo *wpi_item_info_new_from_fields (const char * const *fields,
                                            GError            **error);

G_END_DECLS
