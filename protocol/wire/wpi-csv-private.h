/* wpi-csv-private.h: the CSV reader and writer shared by the wire's CSV formats
 *
 * RFC 4180 as spreadsheets write it: the handout CSV (D9) and the phone list (D24) read
 * and write through these, so that both accept the same quirks (a UTF-8 BOM, CRLF,
 * quoted fields, Excel's semicolons).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  GPtrArray *fields;   /* char *, wiped when freed: they may hold PINs or passwords */
  guint      line;     /* where the record starts */
} WpiCsvRow;

/* The records of text, split at separator. LF, CRLF or CR ends a record outside quotes,
 * a quote inside an unquoted field is kept as it is, text after a closing quote is
 * appended. A quoted field left open is an error in domain/code naming its line. A
 * GArray of WpiCsvRow that clears its rows. */
GArray     *_wpi_csv_parse           (const char  *text,
                                      gsize        length,
                                      char         separator,
                                      GQuark       domain,
                                      gint         code,
                                      GError     **error);
/* The separator of the first record: ';' (Excel in locales with a decimal comma), '\t'
 * or ','; whichever occurs most outside quotes, ',' when none does. */
char        _wpi_csv_guess_separator (const char  *text,
                                      gsize        length);
/* Moves text past a UTF-8 byte order mark */
void        _wpi_csv_skip_bom        (const char **text,
                                      gsize       *length);
gboolean    _wpi_csv_row_is_empty    (const WpiCsvRow *row);
/* The field at column (0-based), "" past the end of the row */
const char *_wpi_csv_row_field       (const WpiCsvRow *row,
                                      guint            column);
/* Appends value (NULL: an empty field), quoted where it must be */
void        _wpi_csv_append_field    (GString     *out,
                                      const char  *value,
                                      char         separator);
/* Frees a string after overwriting it */
void        _wpi_csv_wipe_free       (gpointer     data);
void        _wpi_csv_wipe_gstring    (GString     *str);

G_END_DECLS
