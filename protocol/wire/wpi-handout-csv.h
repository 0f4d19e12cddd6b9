/* wpi-handout-csv.h: the PIN handout's CSV format and its entries
 *
 * The handout CSV is what a technician exports and a simulated user reads PINs from
 * (decisions.md D9): a format, so it lives with the wire formats where the simulator
 * can use it without the store or the service.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WPI_HANDOUT_ERROR (wpi_handout_error_quark ())

typedef enum {
  WPI_HANDOUT_ERROR_INVALID,    /* bad input: a MAC, a PIN, an empty selection */
  WPI_HANDOUT_ERROR_PARSE,      /* a handout CSV that cannot be read */
  WPI_HANDOUT_ERROR_DRAW,       /* cairo failed to make the PDF */
  WPI_HANDOUT_ERROR_STALE,      /* the PIN of an entry is no longer the phone's PIN */
} WpiHandoutError;

GQuark wpi_handout_error_quark (void);

/* One phone of a handout: its bootstrap job is queued and its PIN committed. */
typedef struct {
  char   *mac;          /* "00:1A:E8:12:34:56" */
  char   *e164;         /* the phone's number, or NULL */
  char   *device_type;  /* the model, or NULL */
  char   *location;     /* the label for the slip, or NULL */
  char   *pin;          /* NULL for a bootstrap without PIN */
  gint64  job_id;
  gint64  pin_id;       /* the PIN's record, 0 without PIN or when unknown */
  /* What the CSV and the slip tell besides the PIN (issue 11 §3); set after _new() */
  char   *state;        /* the PIN's state as the store names it ("generated"), or NULL */
  gint64  issued_us;    /* when the PIN was made (wall clock), 0 when unknown */
  guint   max_retries;  /* the wrong PINs the phone allows (max-pin-retries), 0: unknown */
} WpiHandoutEntry;

#define WPI_TYPE_HANDOUT_ENTRY (wpi_handout_entry_get_type ())

GType            wpi_handout_entry_get_type (void) G_GNUC_CONST;
/* All fields but mac may be NULL or 0; state, issued_us and max_retries start unset. */
WpiHandoutEntry *wpi_handout_entry_new      (const char             *mac,
                                             const char             *e164,
                                             const char             *device_type,
                                             const char             *location,
                                             const char             *pin,
                                             gint64                  job_id,
                                             gint64                  pin_id);
WpiHandoutEntry *wpi_handout_entry_copy     (const WpiHandoutEntry  *entry);
/* Wipes the PIN before freeing. */
void             wpi_handout_entry_free     (WpiHandoutEntry        *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiHandoutEntry, wpi_handout_entry_free)

/* --- CSV -------------------------------------------------------------------------- */

/* A header "mac,e164,model,location,state,issued,pin" and one line per entry (CRLF,
 * RFC 4180 quoting), written atomically with mode 0600. The PIN is grouped in threes
 * as on the slip ("076 334 477 974"), so that a spreadsheet keeps it as text with its
 * leading zeros; an entry without PIN has an empty pin. issued is the local time
 * "YYYY-MM-DD HH:MM", empty when unknown. The PIN stays last, for readers that take
 * the last field. */
gboolean          wpi_handout_write_csv      (GPtrArray                 *entries,
                                              const char                *path,
                                              GError                   **error);
/* "482 913 775 301": the digits in groups of three from the end, so that the TAN (the
 * last three) is a group of its own. */
char             *wpi_handout_group_pin      (const char                *pin);
/* MAC (normalised) -> PIN, from a handout CSV (the form above, or the older one with a
 * bare-digit PIN and no state or issued columns) or anything like it: RFC 4180 quotes,
 * CRLF or LF, a UTF-8 BOM, a header line naming "mac" and "pin" columns in any order
 * (without one the MAC is the first field and the PIN the last), MACs in any form,
 * PINs with spaces or dashes between the digits. Lines without a PIN are skipped; a
 * later line for the same MAC wins. A bad MAC or PIN is an error naming the line. */
GHashTable       *wpi_handout_read_csv       (const char                *path,
                                              GError                   **error);

G_END_DECLS
