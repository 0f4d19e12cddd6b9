/* wpc-store-work.h: store reads and writes off the GTK thread
 *
 * The UI never blocks on SQL: a dialog that needs the store hands a function to
 * wpc_store_work_async(), which runs it on a worker thread with a WpiStore of its own on
 * the service's data directory (wpi-store.h: a store belongs to the thread that uses
 * it) and reports on the caller's thread-default main context.
 */
#pragma once

#include <gio/gio.h>

#include "wpi-store.h"

G_BEGIN_DECLS

/* Runs on the worker; returns the result (NULL with error set on failure) */
typedef gpointer (*WpcStoreWorkFunc) (WpiStore      *store,
                                      gpointer       data,
                                      GCancellable  *cancellable,
                                      GError       **error);

void     wpc_store_work_async  (const char          *data_dir,
                                WpcStoreWorkFunc     func,
                                gpointer             data,
                                GDestroyNotify       data_free,
                                GDestroyNotify       result_free,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
/* The result func returned (transfer full), or NULL with the error */
gpointer wpc_store_work_finish (GAsyncResult        *result,
                                GError             **error);

G_END_DECLS
