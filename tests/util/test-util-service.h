/* test-util-service.h: a WpiService for tests, in a temporary data directory on free
 * loopback ports, with the ready-made PKI (certs/README.md) so that it generates no keys.
 */
#pragma once

#include "wpi-service.h"
#include "test-util-wpi.h"

G_BEGIN_DECLS

/* A service in data_dir bound to 127.0.0.1 on ports the kernel picks, not yet started
 * (for settings that must come first). */
WpiService *test_util_service_new   (const char *data_dir);
/* The same, started. */
WpiService *test_util_service_start (const char *data_dir);
/* "https://127.0.0.1:PORT" of its default (secure FALSE) or Secure Mode port */
char       *test_util_service_uri   (WpiService *service,
                                     gboolean    secure);

G_END_DECLS
