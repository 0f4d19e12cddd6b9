/* wpi-rules.h: the guide's rules for well-behaved messages (protocol.md §6, §8)
 *
 * A message can parse and still break a rule (a reply-to without status, a DLSMessage
 * without an Action). These checks say so; they never reject a message. They also name
 * what the codec tolerated while reading it (R21-R25, decisions.md D20), a signature that
 * does not hold (R22), and values the catalogue knows to be wrong (R26-R28).
 */
#pragma once

#include "wpi-message.h"

G_BEGIN_DECLS

/* One human-readable line per broken rule, each naming the rule ("R11: ..."), in a
 * NULL-terminated array; empty when the message follows every rule. */
char **wpi_message_check_rules (WpiMessage *message);

G_END_DECLS
