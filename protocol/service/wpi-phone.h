/* wpi-phone.h: a phone as the console shows it
 *
 * A live GObject over the store's WpiPhoneRecord, with properties a GtkColumnView can
 * bind, sort and filter on. The service updates it as the phone talks; "notify" tells
 * which property changed.
 */
#pragma once

#include <glib-object.h>

#include "wpi-store.h"

G_BEGIN_DECLS

#define WPI_TYPE_PHONE (wpi_phone_get_type ())

#define WPI_PHONE_STATE_NICK_EXPECTED "expected"

G_DECLARE_FINAL_TYPE (WpiPhone, wpi_phone, WPI, PHONE, GObject)

WpiPhone             *wpi_phone_new              (const WpiPhoneRecord *record);
const WpiPhoneRecord *wpi_phone_get_record       (WpiPhone             *self);
/* Copies what changed from record and notifies those properties only. */
void                  wpi_phone_update           (WpiPhone             *self,
                                                  const WpiPhoneRecord *record);
const char           *wpi_phone_get_mac          (WpiPhone             *self);
const char           *wpi_phone_get_e164         (WpiPhone             *self);
const char           *wpi_phone_get_device_type  (WpiPhone             *self);
const char           *wpi_phone_get_firmware     (WpiPhone             *self);
const char           *wpi_phone_get_ip           (WpiPhone             *self);
WpiPhoneMode          wpi_phone_get_mode         (WpiPhone             *self);
WpiPhoneState         wpi_phone_get_state        (WpiPhone             *self);
gint64                wpi_phone_get_last_contact (WpiPhone             *self);
/* Imported ahead, it has not called yet (D24) */
gboolean              wpi_phone_get_expected     (WpiPhone             *self);
/* The state's stored nick, or WPI_PHONE_STATE_NICK_EXPECTED for an expected phone:
 * what the phone list shows, sorts and filters by */
const char           *wpi_phone_get_state_nick   (WpiPhone             *self);
guint                 wpi_phone_get_pending_jobs (WpiPhone             *self);
void                  wpi_phone_set_pending_jobs (WpiPhone             *self,
                                                  guint                 pending_jobs);

G_END_DECLS
