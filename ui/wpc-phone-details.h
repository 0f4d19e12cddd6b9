/* wpc-phone-details.h: everything the console knows about one phone
 *
 * Identity, the items of its last ReadAllItems grouped by catalogue category, its jobs
 * with their per-item results and its recent traffic; kept current from the service's
 * signals while it is shown.
 */
#pragma once

#include <gtk/gtk.h>

#include "wpi-phone.h"
#include "wpi-service.h"
#include "wpi-service-host.h"

G_BEGIN_DECLS

#define WPC_TYPE_PHONE_DETAILS (wpc_phone_details_get_type ())

G_DECLARE_FINAL_TYPE (WpcPhoneDetails, wpc_phone_details, WPC, PHONE_DETAILS, GtkWidget)

GtkWidget *wpc_phone_details_new                  (void);
void       wpc_phone_details_set_service          (WpcPhoneDetails *self,
                                                   WpiServiceHost      *service);
/* Its reveal-secrets-allowed key decides whether secrets can be shown at all. */
void       wpc_phone_details_set_settings         (WpcPhoneDetails *self,
                                                   GSettings       *settings);
void       wpc_phone_details_set_phone            (WpcPhoneDetails *self,
                                                   WpiPhone        *phone);
WpiPhone  *wpc_phone_details_get_phone            (WpcPhoneDetails *self);
gboolean   wpc_phone_details_get_secrets_revealed (WpcPhoneDetails *self);
/* Items, jobs or traffic are being read in the background for the phone shown */
gboolean   wpc_phone_details_get_loading          (WpcPhoneDetails *self);
/* Ignored (stays FALSE) unless the settings allow revealing secrets. */
void       wpc_phone_details_set_secrets_revealed (WpcPhoneDetails *self,
                                                   gboolean         revealed);

G_END_DECLS
