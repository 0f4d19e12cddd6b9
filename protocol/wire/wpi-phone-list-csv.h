/* wpi-phone-list-csv.h: the phone list a technician imports (pre-provisioned phones)
 *
 * A spreadsheet of the phones of a site (issue 14 §1, decisions.md D24): a header line
 * and one line a phone. Columns, matched ignoring case: `mac` (required), `number`,
 * `location`, `profile`, any catalogue item by its name (`sip-user-id`, `sip-pwd`,
 * `display-id-unicode`), an indexed one as `NAME[INDEX]`. The columns an export adds
 * (`state`, `mode`, `firmware`, `model`, `ip`, `last-contact`) are read and ignored,
 * so that an export imports back. Excel's forms work: a UTF-8 BOM, ';' or tab as the
 * separator, CRLF, quoted fields.
 *
 * Reading is pure: a buffer in, rows and problems out. Every problem names its line and
 * column (1-based, as a spreadsheet counts them); a list with problems must not be
 * stored at all.
 */
#pragma once

#include <glib-object.h>

#include "wpi-catalogue.h"

G_BEGIN_DECLS

#define WPI_PHONE_LIST_ERROR (wpi_phone_list_error_quark ())

typedef enum {
  WPI_PHONE_LIST_ERROR_TOO_LARGE, /* more than WPI_PHONE_LIST_MAX_SIZE bytes */
  WPI_PHONE_LIST_ERROR_INVALID,   /* the list has problems (the first is the message) */
} WpiPhoneListError;

GQuark wpi_phone_list_error_quark (void);

#define WPI_PHONE_LIST_MAX_SIZE (16 * 1024 * 1024)

/* An item value of a row; has_index FALSE: index is 0 */
typedef struct {
  char     *name;      /* as the catalogue spells it */
  char     *value;
  gint64    index;
  gboolean  has_index;
} WpiPhoneListItem;

/* One phone. NULL strings and absent items are "not given": an import leaves them as
 * they are. The informational fields are written by exports and ignored by imports. */
typedef struct {
  guint   line;            /* where the row starts, 0 for rows not read from a file */
  char   *mac;             /* normalised */
  char   *e164;
  char   *location;
  char   *profile;
  guint   profile_column;  /* 1-based column of the profile, 0 when the list has none */
  GArray *items;           /* WpiPhoneListItem, in column order */
  /* informational (export) */
  char   *state;
  char   *mode;
  char   *firmware;
  char   *model;
} WpiPhoneListRow;

#define WPI_TYPE_PHONE_LIST_ROW (wpi_phone_list_row_get_type ())
GType            wpi_phone_list_row_get_type (void) G_GNUC_CONST;
WpiPhoneListRow *wpi_phone_list_row_new      (const char            *mac);
WpiPhoneListRow *wpi_phone_list_row_copy     (const WpiPhoneListRow *row);
/* Wipes the item values (passwords) before freeing */
void             wpi_phone_list_row_free     (WpiPhoneListRow       *row);
void             wpi_phone_list_row_add_item (WpiPhoneListRow       *row,
                                              const char            *name,
                                              gboolean               has_index,
                                              gint64                 index,
                                              const char            *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiPhoneListRow, wpi_phone_list_row_free)

/* What is wrong at a place of the file: column 0 for the whole line */
typedef struct {
  guint  line;
  guint  column;
  char  *message;   /* "line 3, column 2 (sip-transport-user): …" */
} WpiPhoneListProblem;

typedef struct {
  GPtrArray *rows;      /* WpiPhoneListRow, in file order, one per MAC */
  GPtrArray *problems;  /* WpiPhoneListProblem, in file order; empty: the list may be stored */
  char       separator;
} WpiPhoneList;

void          wpi_phone_list_free           (WpiPhoneList  *list);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiPhoneList, wpi_phone_list_free)

/* Reads and validates a phone list: every value against catalogue (the item's type,
 * range, enumeration, index, read-only flag), the MACs (well-formed, each once). Only a
 * buffer over WPI_PHONE_LIST_MAX_SIZE is an error; everything else wrong in it is a
 * problem of the returned list. */
WpiPhoneList *wpi_phone_list_parse          (const char    *text,
                                             gsize          length,
                                             WpiCatalogue  *catalogue,
                                             GError       **error);
/* The problems as one text, a line each, at most max_lines (0: all) and a count of
 * the rest; for an error message. */
char         *wpi_phone_list_describe_problems (WpiPhoneList *list,
                                                guint         max_lines);

/* An export: the header `mac,number,location,profile,state,mode,firmware,model`, then
 * a column for each item any row has (`NAME` or `NAME[INDEX]`, in first-seen order),
 * CRLF line ends, quoted where needed. Secret items are the caller's to leave out. */
char         *wpi_phone_list_to_csv         (GPtrArray     *rows);

G_END_DECLS
