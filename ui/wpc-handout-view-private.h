/* wpc-handout-view-private.h: what the parts of the PIN handout view share
 *
 * The view is split as gnome-text-editor splits EditorWindow: wpc-handout-view.c has the
 * class, its template, the table (read in a thread, issue 8 §2), Generate and Re-issue;
 * wpc-handout-view-export.c hands the PINs out: Export CSV and PDF (written in a thread),
 * Print and Mark handed out.
 */
#pragma once

#include <adwaita.h>

#include "wpc-handout-view.h"
#include "wpi-handout.h"

G_BEGIN_DECLS

/* One table row: a PIN record and its phone's number and model */
#define WPC_TYPE_HANDOUT_ROW (wpc_handout_row_get_type ())
G_DECLARE_FINAL_TYPE (WpcHandoutRow, wpc_handout_row, WPC, HANDOUT_ROW, GObject)

struct _WpcHandoutRow
{
  GObject       parent_instance;
  WpiPinRecord *pin;
  char         *e164;
  char         *device_type;
  char         *location;
  gboolean      waiting_busy;  /* its bootstrap job waits for the phone to end a call */
};

struct _WpcHandoutView
{
  GtkWidget            parent_instance;

  GtkDropDown         *scope_dropdown;
  GtkSearchEntry      *filter_entry;
  GtkCheckButton      *with_pin_check;
  GtkLabel            *pin_length_label;
  GtkSpinButton       *pin_length_spin;
  GtkWidget           *progress_box;
  GtkProgressBar      *progress_bar;
  GtkLabel            *failures_label;
  GtkColumnView       *pin_list;
  GtkLabel            *count_label;
  AdwStatusPage       *empty_page;       /* issue 12 §1: no PIN yet, or no phone in scope */
  GtkWidget           *empty_button;
  GtkButton           *print_button;
  GtkButton           *export_pdf_button;
  GtkButton           *export_csv_button;
  GtkWindow           *reissue_dialog;   /* the confirmation while it is open */
  gboolean             nothing_in_scope; /* Generate found no phone in the chosen scope */

  WpiServiceHost      *service;
  gulong               job_changed_id;
  gulong               pin_changed_id;
  guint                refresh_idle_id;
  GCancellable        *load_cancellable;  /* non-NULL while the table is read */
  gboolean             reload_pending;    /* a refresh came during that read */
  gboolean             loading_notified;  /* "loading" as last notified */
  gboolean             disposed;
  GListStore          *rows;
  GtkMultiSelection   *selection;
  GStrv                selected_macs;

  GCancellable        *cancellable;   /* non-NULL while a run is going */
  char                *failures_text;
  GtkFileChooserNative *chooser;
  guint                n_exports;     /* exports writing their file */
  GtkPrintOperation   *print_operation;
  GPtrArray           *print_entries;
};


/* wpc-handout-view.c */
void       _wpc_handout_view_show_error              (WpcHandoutView *self,
                                                      const char     *message);
void       _wpc_handout_view_update_actions          (WpcHandoutView *self);
/* The rows actions apply to: the selected ones, or every row without a selection. */
GPtrArray *_wpc_handout_view_get_target_rows         (WpcHandoutView *self);
/* Handout entries of the target rows whose PIN the phone has still to use. */
GPtrArray *_wpc_handout_view_get_pending_entries     (WpcHandoutView *self);

/* wpc-handout-view-export.c */
void       _wpc_handout_view_export_action           (GtkWidget      *widget,
                                                      const char     *action_name,
                                                      GVariant       *parameter);
void       _wpc_handout_view_print_action            (GtkWidget      *widget,
                                                      const char     *action_name,
                                                      GVariant       *parameter);
void       _wpc_handout_view_mark_handed_out_action  (GtkWidget      *widget,
                                                      const char     *action_name,
                                                      GVariant       *parameter);
/* Closes the file chooser and forgets the print job (an export under way goes on). */
void       _wpc_handout_view_dispose_handing_out     (WpcHandoutView *self);

G_END_DECLS
