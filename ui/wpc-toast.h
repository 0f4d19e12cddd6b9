/* wpc-toast.h: transient feedback as libadwaita toasts (issue 12 §1) */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void      wpc_toast_show     (GtkWidget *source,
                              AdwToast  *toast);
AdwToast *wpc_toast_get_last (GtkWidget *source);

G_END_DECLS
