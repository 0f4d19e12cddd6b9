/* wpc-deploy-dialog.h: a file or a firmware image to deploy to phones
 *
 * Asks for the file (GtkFileChooserNative) and, for a file, its file-type; for
 * firmware, the version the image carries (file-sw-version), checked as typed.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WPC_TYPE_DEPLOY_DIALOG (wpc_deploy_dialog_get_type ())

G_DECLARE_FINAL_TYPE (WpcDeployDialog, wpc_deploy_dialog, WPC, DEPLOY_DIALOG, GtkWindow)

WpcDeployDialog *wpc_deploy_dialog_new           (GtkWindow       *parent,
                                                  gboolean         firmware,
                                                  const char      *targets);
gboolean         wpc_deploy_dialog_get_firmware  (WpcDeployDialog *self);
GFile           *wpc_deploy_dialog_get_file      (WpcDeployDialog *self);
void             wpc_deploy_dialog_set_file      (WpcDeployDialog *self,
                                                  GFile           *file);
/* A file deployment's file-type (LOGO, RINGTONE, ...); NULL for firmware */
const char      *wpc_deploy_dialog_get_file_type (WpcDeployDialog *self);
gboolean         wpc_deploy_dialog_set_file_type (WpcDeployDialog *self,
                                                  const char      *file_type);
/* The firmware version typed; NULL for a file deployment */
const char      *wpc_deploy_dialog_get_sw_version (WpcDeployDialog *self);
gboolean         wpc_deploy_dialog_get_valid     (WpcDeployDialog *self);

G_END_DECLS
