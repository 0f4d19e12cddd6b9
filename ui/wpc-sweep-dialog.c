/* wpc-sweep-dialog.c: find phones by sweeping an address range (issue 14 §2, D25) */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "wpc-accessible.h"
#include "wpc-confirm-dialog.h"
#include "wpc-sweep-dialog.h"
#include "wpc-toast.h"

struct _WpcSweepDialog
{
  GtkWindow        parent_instance;

  /* template */
  GtkButton       *start_button;
  GtkButton       *stop_button;
  GtkEntry        *range_entry;
  GtkLabel        *message_label;
  GtkProgressBar  *progress_bar;
  GtkLabel        *summary_label;
  GtkListBox      *results_list;

  WpiServiceHost  *service;
  GSettings       *settings;
  WpiSweep        *sweep;
  GHashTable      *rows;      /* address index -> GtkListBoxRow, borrowed from the list */
  WpiAddressRange  range;     /* the range typed, when valid */
  gboolean         valid;
  GtkWindow       *confirm_dialog;  /* asking about a large range, while open */
};

G_DEFINE_FINAL_TYPE (WpcSweepDialog, wpc_sweep_dialog, GTK_TYPE_WINDOW)

static guint
setting_rate (WpcSweepDialog *self)
{
  return self->settings != NULL ? g_settings_get_uint (self->settings, "sweep-rate")
                                : WPI_SWEEP_DEFAULT_RATE;
}

static gboolean
setting_allow_public (WpcSweepDialog *self)
{
  return self->settings != NULL && g_settings_get_boolean (self->settings, "sweep-allow-public");
}

static gboolean
is_running (WpcSweepDialog *self)
{
  return self->sweep != NULL && !wpi_sweep_is_finished (self->sweep);
}

static void
show_message (WpcSweepDialog *self,
              const char     *text,
              gboolean        problem)
{
  gtk_label_set_text (self->message_label, text);
  if (problem)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
      gtk_accessible_update_state (GTK_ACCESSIBLE (self->range_entry), GTK_ACCESSIBLE_STATE_INVALID,
                                   GTK_ACCESSIBLE_INVALID_TRUE, -1);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
      gtk_accessible_reset_state (GTK_ACCESSIBLE (self->range_entry), GTK_ACCESSIBLE_STATE_INVALID);
    }
}

/* What the range typed allows; the message says why not, or what the sweep will do */
static gboolean
check_range (WpcSweepDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->range_entry));
  g_autoptr(GError) error = NULL;
  g_autofree char *span = NULL;
  g_autofree char *message = NULL;
  guint size, rate = setting_rate (self);

  if (*text == '\0')
    {
      show_message (self, "", FALSE);
      return FALSE;
    }
  if (!wpi_address_range_parse (text, &self->range, &error))
    {
      show_message (self, error->message, TRUE);
      return FALSE;
    }
  size = wpi_address_range_size (&self->range);
  span = wpi_address_range_to_string (&self->range);
  if (!setting_allow_public (self) && wpi_address_range_scope (&self->range) == WPI_ADDRESS_SCOPE_PUBLIC)
    {
      message = g_strdup_printf (_("%s holds public addresses. Sweeps go to private and loopback "
                                   "ranges unless Preferences › Sweep allows public ones."), span);
      show_message (self, message, TRUE);
      return FALSE;
    }
  message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u address (%s), %u contact-mes a second",
                                          "%u addresses (%s), %u contact-mes a second", size),
                             size, span, rate);
  show_message (self, message, FALSE);
  return TRUE;
}

static void
check (WpcSweepDialog *self)
{
  gboolean listening = self->service != NULL && wpi_service_host_is_listening (self->service);

  self->valid = check_range (self) && listening;
  if (!listening)
    show_message (self, _("The provisioning service is not running: phones would have nowhere to call."),
                  TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button),
                            self->valid && !is_running (self) && self->confirm_dialog == NULL);
}

static void
update_progress (WpcSweepDialog *self)
{
  WpiSweepCounts counts = wpi_sweep_get_counts (self->sweep);
  g_autofree char *progress = g_strdup_printf (_("%u of %u addresses"), counts.n_done, counts.n_addresses);
  g_autofree char *summary =
    g_strdup_printf (_("Answered: %u · Refused: %u · No answer: %u · Phones registered: %u"),
                     counts.n_answered, counts.n_refused, counts.n_no_answer, counts.n_registered);

  gtk_progress_bar_set_fraction (self->progress_bar,
                                 counts.n_addresses > 0 ? (double) counts.n_done / counts.n_addresses : 0);
  gtk_progress_bar_set_text (self->progress_bar, progress);
  gtk_label_set_text (self->summary_label, summary);
}

static GtkWidget *
row_label (GtkWidget  *box,
           const char *name,
           int         width_chars)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_name (label, name);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_width_chars (GTK_LABEL (label), width_chars);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "numeric");
  gtk_box_append (GTK_BOX (box), label);
  return label;
}

/* The row of address n: address, result, phone; made when first needed */
static GtkWidget *
row_for (WpcSweepDialog *self,
         guint           n)
{
  GtkWidget *row = g_hash_table_lookup (self->rows, GUINT_TO_POINTER (n));
  g_autofree char *address = NULL;
  GtkWidget *box;

  if (row != NULL)
    return row;
  address = wpi_address_range_nth (wpi_sweep_get_range (self->sweep), n);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_label_set_text (GTK_LABEL (row_label (box, "sweep_address", 15)), address);
  g_object_set_data (G_OBJECT (box), "result", row_label (box, "sweep_result", 12));
  g_object_set_data (G_OBJECT (box), "phone", row_label (box, "sweep_phone", 17));
  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_append (self->results_list, row);
  g_hash_table_insert (self->rows, GUINT_TO_POINTER (n), row);
  return row;
}

static void
set_row_text (GtkWidget  *row,
              const char *which,
              const char *text)
{
  GtkWidget *box = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (row));

  gtk_label_set_text (g_object_get_data (G_OBJECT (box), which), text);
}

static void
on_address_done (WpiSweep       *sweep,
                 guint           n,
                 WpcSweepDialog *self)
{
  const char *detail;
  WpiSweepResult result = wpi_sweep_get_result (sweep, n, NULL, &detail);

  update_progress (self);
  switch (result)
    {
    case WPI_SWEEP_RESULT_ANSWERED:
      set_row_text (row_for (self, n), "result", _("answered"));
      break;
    case WPI_SWEEP_RESULT_REFUSED:
      set_row_text (row_for (self, n), "result", _("refused"));
      gtk_widget_set_tooltip_text (row_for (self, n), detail);
      break;
    case WPI_SWEEP_RESULT_NO_ANSWER:
    case WPI_SWEEP_RESULT_WAITING:
    default:
      /* a range's many silent addresses are counted, not listed */
      break;
    }
}

static void
on_phone_registered (WpiSweep       *sweep,
                     guint           n,
                     const char     *mac,
                     WpcSweepDialog *self)
{
  set_row_text (row_for (self, n), "phone", mac);
  update_progress (self);
}

static void
set_running (WpcSweepDialog *self,
             gboolean        running)
{
  gtk_widget_set_visible (GTK_WIDGET (self->stop_button), running);
  gtk_widget_set_visible (GTK_WIDGET (self->start_button), !running);
  /* the entry is locked while the sweep runs: the keyboard goes to Stop, and back after */
  if (running)
    gtk_widget_grab_focus (GTK_WIDGET (self->stop_button));
  gtk_widget_set_sensitive (GTK_WIDGET (self->range_entry), !running);
  check (self);
  if (!running)
    gtk_widget_grab_focus (GTK_WIDGET (self->range_entry));
}

static void
on_finished (WpiSweep       *sweep,
             gboolean        cancelled,
             WpcSweepDialog *self)
{
  update_progress (self);
  set_running (self, FALSE);
  show_message (self, cancelled ? _("Sweep stopped; the addresses not tried yet were left out.")
                                : _("Sweep finished. Phones that answered go on registering while this "
                                    "window is open."),
                FALSE);
}

static void
forget_sweep (WpcSweepDialog *self)
{
  if (self->sweep == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->sweep, self);
  wpi_sweep_cancel (self->sweep);
  g_clear_object (&self->sweep);
}

/* The address the phones are to call: the service's own when it listens on one address
 * (Preferences' listening address), else NULL: the one that routes to the range */
static char *
callback_address (WpcSweepDialog *self)
{
  g_auto(GStrv) urls = wpi_service_host_get_urls (self->service);
  g_autoptr(GUri) uri = urls != NULL && urls[0] != NULL ? g_uri_parse (urls[0], G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (host == NULL || g_str_equal (host, "0.0.0.0") || g_str_equal (host, "::"))
    return NULL;
  return g_strdup (host);
}

/* The last sweep's rows (GTK 4.8 has no gtk_list_box_remove_all()) */
static void
clear_rows (WpcSweepDialog *self)
{
  GHashTableIter iter;
  gpointer row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, NULL, &row))
    {
      gtk_list_box_remove (self->results_list, row);
      g_hash_table_iter_remove (&iter);
    }
}

static void
start_sweep (WpcSweepDialog *self,
             gboolean        confirmed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiSweep) sweep = NULL;
  g_autofree char *callback = NULL;

  check (self);
  if (!self->valid || is_running (self))
    return;

  callback = callback_address (self);
  sweep = wpi_sweep_new (&self->range, callback, wpi_service_host_get_port (self->service));
  g_object_set (sweep, "rate", setting_rate (self), "allow-public", setting_allow_public (self),
                "confirmed", confirmed, NULL);
  g_signal_connect_object (sweep, "address-done", G_CALLBACK (on_address_done), self, 0);
  g_signal_connect_object (sweep, "phone-registered", G_CALLBACK (on_phone_registered), self, 0);
  g_signal_connect_object (sweep, "finished", G_CALLBACK (on_finished), self, 0);
  wpi_sweep_watch_phones (sweep, wpi_service_host_get_phones (self->service));
  if (!wpi_sweep_start (sweep, &error))
    {
      show_message (self, error->message, TRUE);
      return;
    }

  forget_sweep (self);
  self->sweep = g_steal_pointer (&sweep);
  clear_rows (self);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), TRUE);
  update_progress (self);
  set_running (self, TRUE);
}

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     WpcSweepDialog   *self)
{
  g_clear_weak_pointer (&self->confirm_dialog);
  check (self);
  if (g_str_equal (response, "sweep"))
    start_sweep (self, TRUE);
}

/* A large range is often a mistyped one: it takes a second look (issue 14, D25), asked
 * in a message dialog over the sweep window (issue 12 §1) */
static void
ask_large_range (WpcSweepDialog *self)
{
  guint size = wpi_address_range_size (&self->range);
  guint rate = MAX (setting_rate (self), 1);
  g_autofree char *span = wpi_address_range_to_string (&self->range);
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  heading = g_strdup_printf (_("Sweep %u Addresses?"), size);
  /* Translators: %s is the range, e.g. 10.1.0.0 – 10.1.255.254; then the rate and the minutes it takes */
  body = g_strdup_printf (_("The range %s is larger than a phone network usually is, and a mistyped range "
                            "sends contact-me requests to many machines that are not phones. At %u a second "
                            "the sweep takes about %u minutes."),
                          span, rate, (size / rate + 59) / 60);
  dialog = wpc_confirm_dialog_new (GTK_WINDOW (self), "sweep-confirm-dialog", heading, body,
                                   "sweep", _("_Sweep All"), ADW_RESPONSE_SUGGESTED);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_confirm_response), self, 0);
  g_set_weak_pointer (&self->confirm_dialog, GTK_WINDOW (dialog));
  check (self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_start_clicked (WpcSweepDialog *self)
{
  check (self);
  if (!self->valid || is_running (self) || self->confirm_dialog != NULL)
    return;
  if (wpi_address_range_size (&self->range) > WPI_SWEEP_CONFIRM_ABOVE)
    ask_large_range (self);
  else
    start_sweep (self, FALSE);
}

static void
on_stop_clicked (WpcSweepDialog *self)
{
  if (self->sweep != NULL)
    wpi_sweep_cancel (self->sweep);
}

/* The toast overlay inside window (depth first), or NULL */
static GtkWidget *
find_toast_overlay (GtkWidget *widget)
{
  if (ADW_IS_TOAST_OVERLAY (widget))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_toast_overlay (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Closing the window ends the sweep; what it found is told on the window below, once
 * (issue 12 §1: a finished action is a toast there, not a label in a closed window) */
static gboolean
wpc_sweep_dialog_close_request (GtkWindow *window)
{
  WpcSweepDialog *self = WPC_SWEEP_DIALOG (window);
  GtkWindow *parent = gtk_window_get_transient_for (window);
  GtkWidget *overlay = parent != NULL ? find_toast_overlay (GTK_WIDGET (parent)) : NULL;

  if (self->sweep != NULL && overlay != NULL)
    {
      WpiSweepCounts counts = wpi_sweep_get_counts (self->sweep);

      wpc_toast_show (overlay, adw_toast_new_format (g_dngettext (GETTEXT_PACKAGE,
                                                                  "Sweep ended: %u phone registered",
                                                                  "Sweep ended: %u phones registered",
                                                                  counts.n_registered),
                                                     counts.n_registered));
    }
  return GTK_WINDOW_CLASS (wpc_sweep_dialog_parent_class)->close_request (window);
}

static void
wpc_sweep_dialog_dispose (GObject *object)
{
  WpcSweepDialog *self = WPC_SWEEP_DIALOG (object);

  forget_sweep (self);
  if (self->confirm_dialog != NULL)
    {
      GtkWindow *dialog = self->confirm_dialog;

      g_clear_weak_pointer (&self->confirm_dialog);
      gtk_window_destroy (dialog);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_SWEEP_DIALOG);
  g_clear_object (&self->service);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->rows, g_hash_table_unref);

  G_OBJECT_CLASS (wpc_sweep_dialog_parent_class)->dispose (object);
}

static void
wpc_sweep_dialog_class_init (WpcSweepDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_sweep_dialog_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = wpc_sweep_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-sweep-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcSweepDialog, start_button);
  gtk_widget_class_bind_template_child (widget_class, WpcSweepDialog, stop_button);
  gtk_widget_class_bind_template_child (widget_class, WpcSweepDialog, range_entry);
  gtk_widget_class_bind_template_child (widget_class, WpcSweepDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, WpcSweepDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, WpcSweepDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, WpcSweepDialog, results_list);
  gtk_widget_class_bind_template_callback (widget_class, check);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_clicked);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
wpc_sweep_dialog_init (WpcSweepDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  wpc_accessible_fix_mnemonic_names (GTK_WIDGET (self));
  self->rows = g_hash_table_new (NULL, NULL);
}

WpcSweepDialog *
wpc_sweep_dialog_new (GtkWindow      *parent,
                      WpiServiceHost *service,
                      GSettings      *settings)
{
  WpcSweepDialog *self;

  g_return_val_if_fail (service == NULL || WPI_IS_SERVICE_HOST (service), NULL);
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  self = g_object_new (WPC_TYPE_SWEEP_DIALOG, "transient-for", parent, NULL);
  self->service = service != NULL ? g_object_ref (service) : NULL;
  self->settings = settings != NULL ? g_object_ref (settings) : NULL;
  if (self->settings != NULL)
    {
      g_signal_connect_object (self->settings, "changed::sweep-rate", G_CALLBACK (check), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->settings, "changed::sweep-allow-public", G_CALLBACK (check),
                               self, G_CONNECT_SWAPPED);
    }
  check (self);
  return self;
}

WpiSweep *
wpc_sweep_dialog_get_sweep (WpcSweepDialog *self)
{
  g_return_val_if_fail (WPC_IS_SWEEP_DIALOG (self), NULL);

  return self->sweep;
}
