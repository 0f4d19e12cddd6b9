/* wpi-dump.h: presenting decoded messages (wpi-decode, the inspector's export)
 *
 * The JSON form is the one schema shared by `wpi-decode --json` and the inspector's
 * "JSON lines" export: root, nonce, max_items, fragment, reason, action, status, items.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "wpi-message.h"

G_BEGIN_DECLS

/* An HTTP request or response head in front of a WPI body, as captured on the wire. */
typedef struct {
  char       *start_line;   /* "POST /DeploymentService/LoginService HTTP/1.1" */
  GPtrArray  *headers;      /* of char *, "Name: value" as received */
  gsize       body_offset;  /* where the body starts in the input */
  int         body_line;    /* the 1-based line the body starts on */
} WpiHttpHead;

void         wpi_http_head_free         (WpiHttpHead  *head);

/* NULL with no error when the data does not start like an HTTP message; NULL with an
 * error when it does but the head is cut short. */
WpiHttpHead *wpi_http_head_parse        (const char   *data,
                                         gsize         length,
                                         GError      **error);

typedef enum {
  WPI_DUMP_NONE         = 0,
  WPI_DUMP_SHOW_SECRETS = 1 << 0,
} WpiDumpFlags;

/* What both dumps show for a non-empty secret value: an item wpi_catalogue_is_secret()
 * calls secret (passwords, PINs, keys, bundles) */
#define WPI_DUMP_MASKED_VALUE "<masked>"

/* The message as a JSON tree, every value as it is (callers mask what they must) */
JsonNode    *wpi_message_to_json_node   (WpiMessage   *message);
/* The same object as one line of compact JSON, without a line break, appended to out
 * as it is written (no tree); secret values are WPI_DUMP_MASKED_VALUE unless
 * WPI_DUMP_SHOW_SECRETS, as in wpi_message_dump_tree(). */
void         wpi_message_dump_json      (WpiMessage   *message,
                                         WpiDumpFlags  flags,
                                         GString      *out);
/* wpi_message_dump_json() with every value shown, as a new string */
char        *wpi_message_to_json        (WpiMessage   *message);

/* An indented tree like `tshark -V`, with catalogue annotations; secret values are
 * shown as WPI_DUMP_MASKED_VALUE unless WPI_DUMP_SHOW_SECRETS. */
void         wpi_message_dump_tree      (WpiMessage   *message,
                                         WpiDumpFlags  flags,
                                         GString      *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WpiHttpHead, wpi_http_head_free)

G_END_DECLS
