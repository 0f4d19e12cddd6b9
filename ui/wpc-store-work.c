/* wpc-store-work.c: store reads and writes off the GTK thread
 */
#include "config.h"

#include "wpc-store-work.h"

typedef struct {
  char             *data_dir;
  WpcStoreWorkFunc  func;
  gpointer          data;
  GDestroyNotify    data_free;
  GDestroyNotify    result_free;
} StoreWork;

static void
store_work_free (StoreWork *work)
{
  if (work->data_free != NULL)
    work->data_free (work->data);
  g_free (work->data_dir);
  g_free (work);
}

static void
run_store_work (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  StoreWork *work = task_data;
  g_autoptr(WpiStore) store = NULL;
  GError *error = NULL;
  gpointer result;

  store = wpi_store_open (work->data_dir, &error);
  if (store == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  result = work->func (store, work->data, cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, work->result_free);
}

void
wpc_store_work_async (const char          *data_dir,
                      WpcStoreWorkFunc     func,
                      gpointer             data,
                      GDestroyNotify       data_free,
                      GDestroyNotify       result_free,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  StoreWork *work = g_new0 (StoreWork, 1);

  work->data_dir = g_strdup (data_dir);
  work->func = func;
  work->data = data;
  work->data_free = data_free;
  work->result_free = result_free;
  g_task_set_source_tag (task, wpc_store_work_async);
  g_task_set_task_data (task, work, (GDestroyNotify) store_work_free);
  /* a cancelled dialog's answer is dropped, not shown */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, run_store_work);
}

gpointer
wpc_store_work_finish (GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
