/* wpc-phone-details.c: everything the console knows about one phone
 *
 * The identity follows the WpiPhone's notifications. Items, jobs and traffic come from
 * the store; the service's signals for the shown phone schedule one refresh on idle, so
 * a busy flow costs one reload per main-loop turn. Reloads run in a thread (GTask) on a
 * read connection of their own, never the service's, so the window never waits on SQL;
 * selecting another phone cancels the load under way and its result is dropped; a change
 * while a load runs waits for it and reloads then. The item list is only rebuilt when its
 * contents changed, and a category's rows only once it is expanded, so a phone with
 * hundreds of items keeps its open categories and scroll position.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "wpc-phone-details.h"
#include "wpc-phone-format.h"
#include "wpi-catalogue.h"

#define MASKED_VALUE          "••••••••"
#define JOBS_SHOWN            10
#define EVENTS_SHOWN          10
#define JOB_RESULTS_SHOWN     20
#define TRAFFIC_SHOWN         15
#define TRAFFIC_FIRST_WINDOW  2000
#define REFRESH_SECONDS       5

typedef enum {
  REFRESH_ITEMS   = 1 << 0,
  REFRESH_JOBS    = 1 << 1,
  REFRESH_TRAFFIC = 1 << 2,
  REFRESH_ALL     = REFRESH_ITEMS | REFRESH_JOBS | REFRESH_TRAFFIC,
} RefreshFlags;

typedef enum {
  FIELD_MAC,
  FIELD_NUMBER,
  FIELD_MODEL,
  FIELD_FIRMWARE,
  FIELD_IP,
  FIELD_MODE,
  FIELD_STATE,
  FIELD_LAST_CONTACT,
  FIELD_LOCATION,
  FIELD_PROFILE,
  FIELD_CONTACT_ME_URI,
  FIELD_PENDING_JOBS,
  N_FIELDS
} Field;

static const char * const field_titles[N_FIELDS] = {
  N_("MAC"),
  N_("Number"),
  N_("Model"),
  N_("Firmware"),
  N_("IP address"),
  N_("Mode"),
  N_("State"),
  N_("Last contact"),
  N_("Location"),
  N_("Profile"),
  N_("Contact-me URI"),
  N_("Pending jobs"),
};

struct _WpcPhoneDetails
{
  GtkWidget        parent_instance;

  /* template */
  GtkWidget       *scroller;
  GtkLabel        *title_label;
  GtkLabel        *subtitle_label;
  GtkGrid         *identity_grid;
  GtkToggleButton *reveal_button;
  GtkLabel        *items_note;
  GtkWidget       *items_box;
  GtkWidget       *jobs_box;
  GtkWidget       *traffic_box;

  GtkLabel        *field_values[N_FIELDS];   /* NULL for the location, which is edited */
  GtkEntry        *location_entry;
  GtkEventController *location_focus;
  WpiServiceHost      *service;
  GSettings       *settings;
  WpiPhone        *phone;
  GArray          *items;          /* WpiStoreItem of the shown phone */
  char            *items_signature;
  GHashTable      *expanded;       /* category ids the user opened */
  GHashTable      *shown_jobs;     /* gint64 job ids in jobs_box */
  RefreshFlags     pending;
  GCancellable    *load_cancellable;
  guint            refresh_source;
  guint            tick_source;
};

G_DEFINE_FINAL_TYPE (WpcPhoneDetails, wpc_phone_details, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_PHONE,
  PROP_SECRETS_REVEALED,
  PROP_LOADING,
  N_PROPS
};

enum {
  SHOW_TRAFFIC,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule_refresh (WpcPhoneDetails *self, RefreshFlags flags);

static void
remove_children (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    gtk_box_remove (GTK_BOX (box), child);
}

static GtkWidget *
new_label (const char *text,
           gboolean    selectable)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_yalign (GTK_LABEL (label), 0.0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (label), selectable);
  return label;
}

static char *
item_display_name (const WpiStoreItem *item)
{
  if (item->has_index)
    return g_strdup_printf ("%s [%" G_GINT64_FORMAT "]", item->name, item->index);
  return g_strdup (item->name);
}

static gboolean
secrets_revealed (WpcPhoneDetails *self)
{
  return gtk_toggle_button_get_active (self->reveal_button) &&
         gtk_widget_get_sensitive (GTK_WIDGET (self->reveal_button));
}

/* The value as it may be shown: masked unless secrets are revealed (and allowed) */
static const char *
shown_value (WpcPhoneDetails *self,
             const char      *name,
             const char      *value)
{
  if (value == NULL)
    return "";
  if (value[0] != '\0' && wpi_catalogue_is_secret (wpi_catalogue_get_default (), name) &&
      !secrets_revealed (self))
    return MASKED_VALUE;
  return value;
}

/* Identity --------------------------------------------------------------------------- */

static void
set_field (WpcPhoneDetails *self,
           Field            field,
           const char      *value)
{
  gtk_label_set_text (self->field_values[field], value != NULL && value[0] != '\0' ? value : "—");
}

/* The stored location, unless the technician is typing a new one */
static void
show_location (WpcPhoneDetails *self,
               const char      *location)
{
  if (self->location_entry == NULL ||
      gtk_event_controller_focus_contains_focus (GTK_EVENT_CONTROLLER_FOCUS (self->location_focus)))
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->location_entry), location != NULL ? location : "");
}

/* Stores what was typed as the phone's location (issue 11 §3): the phone list, the
 * handout and the slips show it. The service re-reads the phone, whose notification
 * brings the new value back here. */
static void
commit_location (WpcPhoneDetails *self)
{
  g_autoptr(WpiPhoneRecord) record = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (self->phone == NULL || self->service == NULL || self->location_entry == NULL)
    return;
  text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->location_entry))));
  record = wpi_phone_record_copy (wpi_phone_get_record (self->phone));
  if (g_strcmp0 (record->location != NULL ? record->location : "", text) == 0)
    return;

  g_free (record->location);
  record->location = *text != '\0' ? g_steal_pointer (&text) : NULL;
  if (!wpi_store_phone_upsert (wpi_service_host_get_store (self->service), record,
                               WPI_PHONE_FIELD_LOCATION, NULL, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->location_entry), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->location_entry), error->message);
      return;
    }
  gtk_widget_remove_css_class (GTK_WIDGET (self->location_entry), "error");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->location_entry),
                               _("Where the phone is, printed on its PIN slip (Enter to keep)"));
  wpi_service_host_reload (self->service);
}

static GtkWidget *
new_location_entry (WpcPhoneDetails *self)
{
  GtkWidget *entry = gtk_entry_new ();

  self->location_entry = GTK_ENTRY (entry);
  gtk_widget_set_name (entry, "location-entry");
  gtk_entry_set_placeholder_text (self->location_entry, _("e.g. Room 2.14"));
  gtk_widget_set_tooltip_text (entry, _("Where the phone is, printed on its PIN slip (Enter to keep)"));
  g_signal_connect_swapped (entry, "activate", G_CALLBACK (commit_location), self);
  /* Leaving the field keeps what was typed too */
  self->location_focus = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (self->location_focus, "leave", G_CALLBACK (commit_location), self);
  gtk_widget_add_controller (entry, self->location_focus);
  return entry;
}

static void
update_last_contact (WpcPhoneDetails *self)
{
  gint64 now = g_get_real_time ();
  gint64 last = wpi_phone_get_last_contact (self->phone);
  g_autofree char *relative = wpc_format_relative_time (last, now);
  g_autofree char *absolute = wpc_format_time (last, now);
  g_autofree char *text = last > 0 ? g_strdup_printf ("%s (%s)", relative, absolute) : g_strdup (relative);

  set_field (self, FIELD_LAST_CONTACT, text);
}

static void
update_identity (WpcPhoneDetails *self)
{
  const WpiPhoneRecord *record;
  g_autofree char *pending = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *state = NULL;
  g_autofree char *mode = NULL;

  if (self->phone == NULL)
    return;

  record = wpi_phone_get_record (self->phone);
  gtk_label_set_text (self->title_label, record->e164 != NULL && record->e164[0] != '\0'
                                         ? record->e164 : record->mac);
  /* Translators: the phone's model and firmware, e.g. "OpenStage 60 · V3 R5.12.0" */
  subtitle = g_strdup_printf (_("%s · %s"),
                              record->device_type != NULL ? record->device_type : _("Unknown model"),
                              record->firmware != NULL ? record->firmware : _("unknown firmware"));
  gtk_label_set_text (self->subtitle_label, subtitle);

  g_object_get (self->phone, "state", &state, "mode", &mode, NULL);
  pending = g_strdup_printf ("%u", wpi_phone_get_pending_jobs (self->phone));
  set_field (self, FIELD_MAC, record->mac);
  set_field (self, FIELD_NUMBER, record->e164);
  set_field (self, FIELD_MODEL, record->device_type);
  set_field (self, FIELD_FIRMWARE, record->firmware);
  set_field (self, FIELD_IP, record->ip);
  set_field (self, FIELD_MODE, wpc_phone_mode_label (mode));
  set_field (self, FIELD_STATE, wpc_phone_state_label (state));
  show_location (self, record->location);
  set_field (self, FIELD_PROFILE, record->profile);
  set_field (self, FIELD_CONTACT_ME_URI, record->contact_me_uri);
  set_field (self, FIELD_PENDING_JOBS, pending);
  update_last_contact (self);
}

static gboolean
tick (gpointer user_data)
{
  WpcPhoneDetails *self = user_data;

  if (self->phone != NULL)
    update_last_contact (self);
  return G_SOURCE_CONTINUE;
}

/* Items ------------------------------------------------------------------------------ */

static const char *
item_category (WpiCatalogue *catalogue,
               const char   *name)
{
  WpiItemInfo *info = wpi_catalogue_lookup (catalogue, name);

  if (info == NULL)
    info = wpi_catalogue_lookup_ignore_case (catalogue, name);
  return info != NULL ? wpi_item_info_get_category (info) : "other";
}

static void
fill_category (WpcPhoneDetails *self,
               GtkExpander     *expander)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  const char *category = g_object_get_data (G_OBJECT (expander), "wpc-category");
  GtkWidget *grid = gtk_grid_new ();
  int row = 0;

  gtk_grid_set_row_spacing (GTK_GRID (grid), 4);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_widget_set_margin_start (grid, 18);
  gtk_widget_set_margin_top (grid, 6);
  gtk_widget_set_margin_bottom (grid, 6);

  for (guint i = 0; self->items != NULL && i < self->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (self->items, WpiStoreItem, i);
      g_autofree char *name = NULL;
      g_autofree char *meaning = NULL;
      GtkWidget *name_label;
      GtkWidget *value_label;
      const char *value;

      if (g_strcmp0 (item_category (catalogue, item->name), category) != 0)
        continue;

      name = item_display_name (item);
      value = shown_value (self, item->name, item->value);
      if (value == item->value)
        meaning = wpi_catalogue_describe_value (catalogue, item->name, item->value);

      name_label = new_label (name, TRUE);
      gtk_widget_add_css_class (name_label, "dim-label");
      value_label = new_label (value, TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (value_label), 40);
      gtk_widget_set_hexpand (value_label, TRUE);
      if (meaning != NULL)
        {
          /* "2 (TLS)": the wire value and what it means */
          g_autofree char *text = g_strdup_printf ("%s (%s)", value, meaning);
          gtk_label_set_text (GTK_LABEL (value_label), text);
        }
      gtk_accessible_update_relation (GTK_ACCESSIBLE (value_label),
                                      GTK_ACCESSIBLE_RELATION_LABELLED_BY, name_label, NULL, -1);
      gtk_grid_attach (GTK_GRID (grid), name_label, 0, row, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), value_label, 1, row, 1, 1);
      row++;
    }

  gtk_expander_set_child (expander, grid);
}

static void
on_expanded (GtkExpander     *expander,
             GParamSpec      *pspec,
             WpcPhoneDetails *self)
{
  const char *category = g_object_get_data (G_OBJECT (expander), "wpc-category");

  if (gtk_expander_get_expanded (expander))
    {
      g_hash_table_add (self->expanded, g_strdup (category));
      if (gtk_expander_get_child (expander) == NULL)
        fill_category (self, expander);
    }
  else
    g_hash_table_remove (self->expanded, category);
}

static void
rebuild_items (WpcPhoneDetails *self)
{
  WpiCatalogue *catalogue = wpi_catalogue_get_default ();
  const char * const *categories = wpi_catalogue_get_categories (catalogue);
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  gint64 newest = 0;

  remove_children (self->items_box);

  if (self->items == NULL || self->items->len == 0)
    {
      gtk_label_set_text (self->items_note,
                          _("No items read from this phone yet. Read All asks it for every item."));
      return;
    }

  for (guint i = 0; i < self->items->len; i++)
    {
      const WpiStoreItem *item = &g_array_index (self->items, WpiStoreItem, i);
      const char *category = item_category (catalogue, item->name);

      g_hash_table_insert (counts, (gpointer) category,
                           GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (counts, category)) + 1));
      newest = MAX (newest, item->updated_us);
    }

  {
    g_autofree char *when = wpc_format_time (newest, g_get_real_time ());
    g_autofree char *note = NULL;

    /* Translators: e.g. "245 items, last stored 14:03:12" */
    note = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u item, last stored %s",
                                         "%u items, last stored %s", self->items->len),
                            self->items->len, when);
    gtk_label_set_text (self->items_note, note);
  }

  for (guint c = 0; categories[c] != NULL; c++)
    {
      guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, categories[c]));
      g_autofree char *title = NULL;
      GtkWidget *expander;

      if (count == 0)
        continue;

      /* Translators: a category of items and how many the phone has, e.g. "SIP (12)" */
      title = g_strdup_printf (_("%s (%u)"), wpi_catalogue_get_category_title (catalogue, categories[c]), count);
      expander = gtk_expander_new (title);
      g_object_set_data_full (G_OBJECT (expander), "wpc-category", g_strdup (categories[c]), g_free);
      gtk_widget_set_name (expander, categories[c]);
      gtk_box_append (GTK_BOX (self->items_box), expander);
      if (g_hash_table_contains (self->expanded, categories[c]))
        {
          gtk_expander_set_expanded (GTK_EXPANDER (expander), TRUE);
          fill_category (self, GTK_EXPANDER (expander));
        }
      g_signal_connect_object (expander, "notify::expanded", G_CALLBACK (on_expanded), self, 0);
    }
}

/* Shows the items read; rebuilds the rows only when they changed. */
static void
apply_items (WpcPhoneDetails *self,
             GArray          *loaded,
             const GError    *error)
{
  g_autoptr(GArray) items = loaded != NULL ? g_array_ref (loaded) : NULL;
  g_autofree char *signature = NULL;
  gint64 newest = 0;
  gint64 newest_traffic = 0;

  if (items == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot read the items: %s"), error->message);

      remove_children (self->items_box);
      gtk_label_set_text (self->items_note, text);
      g_clear_pointer (&self->items_signature, g_free);
      return;
    }

  for (guint i = 0; i < items->len; i++)
    {
      newest = MAX (newest, g_array_index (items, WpiStoreItem, i).updated_us);
      newest_traffic = MAX (newest_traffic, g_array_index (items, WpiStoreItem, i).traffic_id);
    }
  signature = g_strdup_printf ("%u/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT, items->len, newest, newest_traffic);
  if (g_strcmp0 (signature, self->items_signature) == 0)
    return;

  g_free (self->items_signature);
  self->items_signature = g_steal_pointer (&signature);
  g_clear_pointer (&self->items, g_array_unref);
  self->items = g_steal_pointer (&items);
  rebuild_items (self);
}

static void
on_reveal_toggled (WpcPhoneDetails *self)
{
  if (self->items != NULL)
    rebuild_items (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECRETS_REVEALED]);
}

static void
on_reveal_allowed_changed (WpcPhoneDetails *self)
{
  gboolean allowed = self->settings != NULL &&
                     g_settings_get_boolean (self->settings, "reveal-secrets-allowed");

  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), allowed);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->reveal_button),
                               allowed ? _("Show passwords and keys in clear text")
                                       : _("Showing secrets is turned off in Preferences"));
  if (!allowed)
    gtk_toggle_button_set_active (self->reveal_button, FALSE);
  if (self->items != NULL)
    rebuild_items (self);
}

/* Jobs ------------------------------------------------------------------------------- */

static GtkWidget *
job_row (WpcPhoneDetails    *self,
         const WpiJobRecord *job)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *when = wpc_format_time (job->updated_us, g_get_real_time ());
  g_autofree char *header = NULL;
  GtkWidget *header_label;

  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, job->id);

  /* Translators: a job line: its number, kind, state and time, e.g. "#12 Write items · Done · 14:03:12" */
  header = g_strdup_printf (_("#%s %s · %s · %s"), id,
                            wpc_job_kind_label (job->kind), wpc_job_state_label (job->state), when);
  header_label = new_label (header, TRUE);
  gtk_widget_add_css_class (header_label, "heading");
  gtk_box_append (GTK_BOX (box), header_label);

  if (job->parameter != NULL)
    {
      /* Translators: what the job was given, e.g. a profile name */
      g_autofree char *text = g_strdup_printf (_("Parameter: %s"), job->parameter);
      gtk_box_append (GTK_BOX (box), new_label (text, TRUE));
    }

  if (job->failure_reason != NULL)
    {
      GtkWidget *reason = new_label (job->failure_reason, TRUE);

      if (job->state == WPI_JOB_STATE_FAILED)
        gtk_widget_add_css_class (reason, "error");
      gtk_box_append (GTK_BOX (box), reason);
    }

  for (guint i = 0; job->items != NULL && i < job->items->len && i < JOB_RESULTS_SHOWN; i++)
    {
      const WpiStoreItem *item = &g_array_index (job->items, WpiStoreItem, i);
      g_autofree char *name = item_display_name (item);
      g_autofree char *text = NULL;
      GtkWidget *line;

      if (item->value != NULL && item->status != NULL)
        /* Translators: an item of a job and the phone's verdict, e.g. "e164 = 123 → accepted" */
        text = g_strdup_printf (_("%s = %s → %s"), name, shown_value (self, item->name, item->value), item->status);
      else if (item->value != NULL)
        text = g_strdup_printf ("%s = %s", name, shown_value (self, item->name, item->value));
      else if (item->status != NULL)
        text = g_strdup_printf (_("%s → %s"), name, item->status);
      else
        text = g_strdup (name);

      line = new_label (text, TRUE);
      gtk_widget_set_margin_start (line, 12);
      gtk_widget_add_css_class (line, "caption");
      if (item->status != NULL && g_ascii_strcasecmp (item->status, "accepted") != 0)
        gtk_widget_add_css_class (line, "warning");
      gtk_box_append (GTK_BOX (box), line);
    }
  if (job->items != NULL && job->items->len > JOB_RESULTS_SHOWN)
    {
      guint more = job->items->len - JOB_RESULTS_SHOWN;
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "and %u more item",
                                                            "and %u more items", more), more);
      GtkWidget *line = new_label (text, FALSE);

      gtk_widget_set_margin_start (line, 12);
      gtk_widget_add_css_class (line, "dim-label");
      gtk_box_append (GTK_BOX (box), line);
    }
  return box;
}

/* The phone's newest jobs, newest first, each read whole (in the load's thread) */
static GPtrArray *
recent_jobs (WpiStore    *store,
             const char  *mac,
             GError     **error)
{
  WpiJobFilter filter = { 0 };
  g_autoptr(GPtrArray) jobs = NULL;
  GPtrArray *recent;

  filter.mac = mac;
  jobs = wpi_store_job_list (store, &filter, error);
  if (jobs == NULL)
    return NULL;
  recent = g_ptr_array_new_with_free_func ((GDestroyNotify) wpi_job_record_free);
  for (guint i = jobs->len; i > 0 && recent->len < JOBS_SHOWN; i--)
    {
      WpiJobRecord *listed = g_ptr_array_index (jobs, i - 1);
      WpiJobRecord *job = wpi_store_job_get (store, listed->id, NULL);

      g_ptr_array_add (recent, job != NULL ? job : wpi_job_record_copy (listed));
    }
  return recent;
}

static void
apply_jobs (WpcPhoneDetails *self,
            GPtrArray       *jobs,
            const GError    *error)
{
  remove_children (self->jobs_box);
  g_hash_table_remove_all (self->shown_jobs);
  if (jobs == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot read the jobs: %s"), error->message);
      gtk_box_append (GTK_BOX (self->jobs_box), new_label (text, TRUE));
      return;
    }
  if (jobs->len == 0)
    {
      GtkWidget *label = new_label (_("No jobs for this phone."), FALSE);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (self->jobs_box), label);
      return;
    }

  for (guint i = 0; i < jobs->len; i++)
    {
      WpiJobRecord *job = g_ptr_array_index (jobs, i);
      gint64 *id = g_new (gint64, 1);

      *id = job->id;
      g_hash_table_add (self->shown_jobs, id);
      gtk_box_append (GTK_BOX (self->jobs_box), job_row (self, job));
    }
}

/* Who logged on or off at the phone (mobility), newest first, under the jobs */
static void
apply_events (WpcPhoneDetails *self,
              GPtrArray       *events)
{
  GtkWidget *heading;

  if (events == NULL || events->len == 0)
    return;
  heading = new_label (_("Logons and logoffs"), FALSE);
  gtk_widget_add_css_class (heading, "heading");
  gtk_widget_set_margin_top (heading, 12);
  gtk_box_append (GTK_BOX (self->jobs_box), heading);
  for (guint i = events->len; i > 0; i--)
    {
      const WpiPhoneEvent *event = g_ptr_array_index (events, i - 1);
      g_autofree char *when = wpc_format_time (event->time_us, g_get_real_time ());
      const char *kind = g_strcmp0 (event->kind, "logon") == 0 ? _("Logon")
                         : g_strcmp0 (event->kind, "logoff") == 0 ? _("Logoff") : event->kind;
      /* Translators: a mobility event: what, who and when, e.g. "Logon · 4989700200 · 14:03:12" */
      g_autofree char *text = g_strdup_printf (_("%s · %s · %s"), kind,
                                               event->user ? event->user : _("unknown user"), when);

      gtk_box_append (GTK_BOX (self->jobs_box), new_label (text, TRUE));
    }
}

/* Traffic ---------------------------------------------------------------------------- */

static void
on_show_traffic_clicked (GtkButton       *button,
                         WpcPhoneDetails *self)
{
  gint64 id = *(gint64 *) g_object_get_data (G_OBJECT (button), "wpc-traffic-id");

  g_signal_emit (self, signals[SHOW_TRAFFIC], 0, id);
  /* The inspector, when the window has one, selects the message */
  gtk_widget_activate_action (GTK_WIDGET (self), "win.show-traffic", "x", id);
}

static GtkWidget *
traffic_row (WpcPhoneDetails        *self,
             const WpiTrafficRecord *record)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  g_autofree char *when = wpc_format_time (record->time_us, g_get_real_time ());
  g_autofree char *accessible = NULL;
  GString *text = g_string_new (when);
  GtkWidget *label;
  GtkWidget *button;
  gint64 *id = g_new (gint64, 1);

  g_string_append (text, " · ");
  g_string_append (text, record->direction == WPI_TRAFFIC_DIRECTION_IN ? _("from phone") : _("to phone"));
  if (record->reason != NULL)
    g_string_append_printf (text, " · %s", record->reason);
  if (record->action != NULL)
    g_string_append_printf (text, " · %s", record->action);
  if (record->status != NULL)
    g_string_append_printf (text, " · %s", record->status);
  if (record->item_count >= 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%d item", "%d items", (gulong) record->item_count),
                              record->item_count);
    }
  if (record->error_text != NULL)
    g_string_append_printf (text, " · %s", record->error_text);

  label = new_label (text->str, FALSE);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (label, "caption");
  if (record->error_text != NULL)
    gtk_widget_add_css_class (label, "error");
  else if (g_strcmp0 (record->status, "busy") == 0 || g_strcmp0 (record->status, "failed") == 0)
    gtk_widget_add_css_class (label, "warning");
  gtk_box_append (GTK_BOX (box), label);

  button = gtk_button_new_from_icon_name ("go-next-symbolic");
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Show this message in the traffic inspector"));
  g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, record->id);

  /* Translators: accessible name of the button beside a message; %s is its number */
  accessible = g_strdup_printf (_("Show message %s in Traffic"), number);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  *id = record->id;
  g_object_set_data_full (G_OBJECT (button), "wpc-traffic-id", id, g_free);
  gtk_widget_set_name (button, "show-traffic");
  g_signal_connect_object (button, "clicked", G_CALLBACK (on_show_traffic_clicked), self, 0);
  gtk_box_append (GTK_BOX (box), button);

  g_string_free (text, TRUE);
  return box;
}

/* The phone's newest messages. The store lists a phone's messages from an id on, so
 * look back over a window of the log that grows until enough are found. */
static GPtrArray *
recent_traffic (WpiStore    *store,
                const char  *mac,
                GError     **error)
{
  gint64 first = 0;
  gint64 last = 0;
  gint64 window = TRAFFIC_FIRST_WINDOW;

  if (!wpi_store_traffic_get_bounds (store, &first, &last, error))
    return NULL;

  while (TRUE)
    {
      gint64 after = MAX (last - window, first - 1);
      g_autoptr(GPtrArray) found = wpi_store_traffic_list_by_mac (store, mac, MAX (after, 0), 0, error);

      if (found == NULL)
        return NULL;
      if (found->len >= TRAFFIC_SHOWN || after <= first - 1)
        {
          if (found->len > TRAFFIC_SHOWN)
            g_ptr_array_remove_range (found, 0, found->len - TRAFFIC_SHOWN);
          return g_steal_pointer (&found);
        }
      window *= 8;
    }
}

static void
apply_traffic (WpcPhoneDetails *self,
               GPtrArray       *messages,
               const GError    *error)
{
  remove_children (self->traffic_box);
  if (messages == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cannot read the traffic log: %s"), error->message);
      gtk_box_append (GTK_BOX (self->traffic_box), new_label (text, TRUE));
      return;
    }
  if (messages->len == 0)
    {
      GtkWidget *label = new_label (_("No messages from or to this phone in the traffic log."), FALSE);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (GTK_BOX (self->traffic_box), label);
      return;
    }
  for (guint i = messages->len; i > 0; i--)
    gtk_box_append (GTK_BOX (self->traffic_box), traffic_row (self, g_ptr_array_index (messages, i - 1)));
}

/* Refresh ---------------------------------------------------------------------------- */

/* One load: what to read, for which phone, and what was read (or why not) */
typedef struct {
  char         *data_dir;
  char         *mac;
  RefreshFlags  flags;
  GArray       *items;
  GError       *items_error;
  GPtrArray    *jobs;
  GError       *jobs_error;
  GPtrArray    *events;        /* WpiPhoneEvent, loaded with the jobs; NULL if unreadable */
  GPtrArray    *traffic;
  GError       *traffic_error;
} DetailsLoad;

static void
details_load_free (DetailsLoad *load)
{
  g_free (load->data_dir);
  g_free (load->mac);
  g_clear_pointer (&load->items, g_array_unref);
  g_clear_error (&load->items_error);
  g_clear_pointer (&load->jobs, g_ptr_array_unref);
  g_clear_error (&load->jobs_error);
  g_clear_pointer (&load->events, g_ptr_array_unref);
  g_clear_pointer (&load->traffic, g_ptr_array_unref);
  g_clear_error (&load->traffic_error);
  g_free (load);
}

/* In a worker thread: a read connection of its own (SQLite WAL lets it read while the
 * service writes), so the service's store is never used from two threads. */
static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  DetailsLoad *load = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WpiStore) store = wpi_store_open (load->data_dir, &error);

  if (store == NULL)
    {
      load->items_error = g_error_copy (error);
      load->jobs_error = g_error_copy (error);
      load->traffic_error = g_error_copy (error);
      g_task_return_boolean (task, TRUE);
      return;
    }
  wpi_store_set_busy_timeout (store, 2000);
  if ((load->flags & REFRESH_ITEMS) && !g_cancellable_is_cancelled (cancellable))
    load->items = wpi_store_phone_items_list (store, load->mac, &load->items_error);
  if ((load->flags & REFRESH_JOBS) && !g_cancellable_is_cancelled (cancellable))
    {
      load->jobs = recent_jobs (store, load->mac, &load->jobs_error);
      load->events = wpi_store_phone_event_list (store, load->mac, EVENTS_SHOWN, NULL);
    }
  if ((load->flags & REFRESH_TRAFFIC) && !g_cancellable_is_cancelled (cancellable))
    load->traffic = recent_traffic (store, load->mac, &load->traffic_error);
  g_task_return_boolean (task, TRUE);
}

/* On the main context; a cancelled load (another phone, or the widget gone) shows nothing */
static void schedule_refresh (WpcPhoneDetails *self,
                              RefreshFlags     flags);

static void
on_loaded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  WpcPhoneDetails *self = WPC_PHONE_DETAILS (source);
  DetailsLoad *load = g_task_get_task_data (G_TASK (result));

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    return;
  g_clear_object (&self->load_cancellable);
  if (load->flags & REFRESH_ITEMS)
    apply_items (self, load->items, load->items_error);
  if (load->flags & REFRESH_JOBS)
    {
      apply_jobs (self, load->jobs, load->jobs_error);
      apply_events (self, load->events);
    }
  if (load->flags & REFRESH_TRAFFIC)
    apply_traffic (self, load->traffic, load->traffic_error);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  /* what changed while it ran */
  if (self->pending != 0)
    schedule_refresh (self, 0);
}

static void
cancel_load (WpcPhoneDetails *self)
{
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
}

static gboolean
run_refresh (gpointer user_data)
{
  WpcPhoneDetails *self = user_data;
  RefreshFlags flags;
  g_autoptr(GTask) task = NULL;
  DetailsLoad *load;

  self->refresh_source = 0;
  /* The load under way finishes first and on_loaded() starts the next: restarting it at
   * every job change anywhere kept a busy service's details blank for minutes */
  if (self->load_cancellable != NULL)
    return G_SOURCE_REMOVE;
  flags = self->pending;
  self->pending = 0;
  if (self->phone == NULL || self->service == NULL || flags == 0)
    return G_SOURCE_REMOVE;

  load = g_new0 (DetailsLoad, 1);
  load->data_dir = g_strdup (wpi_service_host_get_data_dir (self->service));
  load->mac = g_strdup (wpi_phone_get_mac (self->phone));
  load->flags = flags;
  self->load_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->load_cancellable, on_loaded, NULL);
  g_task_set_source_tag (task, run_refresh);
  g_task_set_task_data (task, load, (GDestroyNotify) details_load_free);
  g_task_run_in_thread (task, load_thread);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (WpcPhoneDetails *self,
                  RefreshFlags     flags)
{
  self->pending |= flags;
  if (self->refresh_source == 0)
    self->refresh_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE, run_refresh, self, NULL);
}

static void
on_phone_changed (WpiServiceHost      *service,
                  WpiPhone        *phone,
                  WpcPhoneDetails *self)
{
  if (phone == self->phone)
    schedule_refresh (self, REFRESH_ITEMS | REFRESH_JOBS);
}

static void
on_job_changed (WpiServiceHost      *service,
                gint64           job_id,
                const char      *state,
                WpcPhoneDetails *self)
{
  /* Whose job it is would take a store read on the main context: reload this phone's
   * jobs in the background instead, one load per main-loop turn at most. */
  if (self->phone != NULL)
    schedule_refresh (self, REFRESH_JOBS);
}

static void
on_traffic (WpiServiceHost             *service,
            const WpiTrafficRecord *record,
            WpcPhoneDetails        *self)
{
  if (self->phone != NULL && g_strcmp0 (record->mac, wpi_phone_get_mac (self->phone)) == 0)
    schedule_refresh (self, REFRESH_TRAFFIC);
}

/* GObject ---------------------------------------------------------------------------- */

static void
wpc_phone_details_map (GtkWidget *widget)
{
  WpcPhoneDetails *self = WPC_PHONE_DETAILS (widget);

  GTK_WIDGET_CLASS (wpc_phone_details_parent_class)->map (widget);
  tick (self);
  self->tick_source = g_timeout_add_seconds (REFRESH_SECONDS, tick, self);
}

static void
wpc_phone_details_unmap (GtkWidget *widget)
{
  WpcPhoneDetails *self = WPC_PHONE_DETAILS (widget);

  g_clear_handle_id (&self->tick_source, g_source_remove);
  GTK_WIDGET_CLASS (wpc_phone_details_parent_class)->unmap (widget);
}

static void
wpc_phone_details_dispose (GObject *object)
{
  WpcPhoneDetails *self = WPC_PHONE_DETAILS (object);

  wpc_phone_details_set_phone (self, NULL);
  wpc_phone_details_set_service (self, NULL);
  wpc_phone_details_set_settings (self, NULL);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  cancel_load (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), WPC_TYPE_PHONE_DETAILS);
  /* the location entry went with the identity grid */
  self->location_entry = NULL;
  self->location_focus = NULL;

  G_OBJECT_CLASS (wpc_phone_details_parent_class)->dispose (object);
}

static void
wpc_phone_details_finalize (GObject *object)
{
  WpcPhoneDetails *self = WPC_PHONE_DETAILS (object);

  g_clear_pointer (&self->items, g_array_unref);
  g_clear_pointer (&self->items_signature, g_free);
  g_clear_pointer (&self->expanded, g_hash_table_unref);
  g_clear_pointer (&self->shown_jobs, g_hash_table_unref);

  G_OBJECT_CLASS (wpc_phone_details_parent_class)->finalize (object);
}

static void
wpc_phone_details_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  WpcPhoneDetails *self = WPC_PHONE_DETAILS (object);

  switch (prop_id)
    {
    case PROP_PHONE:
      g_value_set_object (value, self->phone);
      break;
    case PROP_SECRETS_REVEALED:
      g_value_set_boolean (value, secrets_revealed (self));
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, wpc_phone_details_get_loading (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_phone_details_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  WpcPhoneDetails *self = WPC_PHONE_DETAILS (object);

  switch (prop_id)
    {
    case PROP_PHONE:
      wpc_phone_details_set_phone (self, g_value_get_object (value));
      break;
    case PROP_SECRETS_REVEALED:
      wpc_phone_details_set_secrets_revealed (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
wpc_phone_details_class_init (WpcPhoneDetailsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = wpc_phone_details_dispose;
  object_class->finalize = wpc_phone_details_finalize;
  object_class->get_property = wpc_phone_details_get_property;
  object_class->set_property = wpc_phone_details_set_property;

  widget_class->map = wpc_phone_details_map;
  widget_class->unmap = wpc_phone_details_unmap;

  properties[PROP_PHONE] =
    g_param_spec_object ("phone", NULL, NULL, WPI_TYPE_PHONE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SECRETS_REVEALED] =
    g_param_spec_boolean ("secrets-revealed", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /** WpcPhoneDetails:loading: items, jobs or traffic are being read for the phone shown */
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * WpcPhoneDetails::show-traffic:
   * @message_id: the traffic log id of the message
   *
   * The user asked to see a message of the phone in the traffic inspector. The pane
   * also activates `win.show-traffic` with the id, if the window has that action.
   */
  signals[SHOW_TRAFFIC] =
    g_signal_new ("show-traffic", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/workpoint/Console/wpc-phone-details.ui");
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, scroller);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, title_label);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, identity_grid);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, reveal_button);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, items_note);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, items_box);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, jobs_box);
  gtk_widget_class_bind_template_child (widget_class, WpcPhoneDetails, traffic_box);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "wpc-phone-details");
}

static void
wpc_phone_details_init (WpcPhoneDetails *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->expanded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* What a technician looks for first */
  g_hash_table_add (self->expanded, g_strdup ("identity"));
  self->shown_jobs = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i < N_FIELDS; i++)
    {
      GtkWidget *title = new_label (_(field_titles[i]), FALSE);
      GtkWidget *value = i == FIELD_LOCATION ? new_location_entry (self) : new_label ("—", TRUE);

      gtk_widget_add_css_class (title, "dim-label");
      gtk_widget_set_hexpand (value, TRUE);
      gtk_accessible_update_relation (GTK_ACCESSIBLE (value),
                                      GTK_ACCESSIBLE_RELATION_LABELLED_BY, title, NULL, -1);
      gtk_grid_attach (self->identity_grid, title, 0, (int) i, 1, 1);
      gtk_grid_attach (self->identity_grid, value, 1, (int) i, 1, 1);
      if (i != FIELD_LOCATION)
        self->field_values[i] = GTK_LABEL (value);
    }

  g_signal_connect_object (self->reveal_button, "toggled", G_CALLBACK (on_reveal_toggled),
                           self, G_CONNECT_SWAPPED);
  on_reveal_allowed_changed (self);
}

GtkWidget *
wpc_phone_details_new (void)
{
  return g_object_new (WPC_TYPE_PHONE_DETAILS, NULL);
}

void
wpc_phone_details_set_service (WpcPhoneDetails *self,
                               WpiServiceHost      *service)
{
  g_return_if_fail (WPC_IS_PHONE_DETAILS (self));
  g_return_if_fail (service == NULL || WPI_IS_SERVICE_HOST (service));

  if (self->service == service)
    return;

  if (self->service != NULL)
    g_signal_handlers_disconnect_by_data (self->service, self);
  g_set_object (&self->service, service);
  if (service != NULL)
    {
      g_signal_connect (service, "phone-changed", G_CALLBACK (on_phone_changed), self);
      g_signal_connect (service, "job-changed", G_CALLBACK (on_job_changed), self);
      g_signal_connect (service, "traffic", G_CALLBACK (on_traffic), self);
    }
  g_clear_pointer (&self->items_signature, g_free);
  /* the other service's load must not land */
  cancel_load (self);
  schedule_refresh (self, REFRESH_ALL);
}

void
wpc_phone_details_set_settings (WpcPhoneDetails *self,
                                GSettings       *settings)
{
  g_return_if_fail (WPC_IS_PHONE_DETAILS (self));
  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (self->settings == settings)
    return;

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_set_object (&self->settings, settings);
  if (settings != NULL)
    g_signal_connect_swapped (settings, "changed::reveal-secrets-allowed",
                              G_CALLBACK (on_reveal_allowed_changed), self);
  if (self->reveal_button != NULL)
    on_reveal_allowed_changed (self);
}

/**
 * wpc_phone_details_set_phone:
 * @phone: (nullable): the phone to show
 */
void
wpc_phone_details_set_phone (WpcPhoneDetails *self,
                             WpiPhone        *phone)
{
  g_return_if_fail (WPC_IS_PHONE_DETAILS (self));
  g_return_if_fail (phone == NULL || WPI_IS_PHONE (phone));

  if (self->phone == phone)
    return;

  if (self->phone != NULL)
    {
      /* A location being typed belongs to the phone it was typed for */
      commit_location (self);
      g_signal_handlers_disconnect_by_func (self->phone, update_identity, self);
    }
  g_set_object (&self->phone, phone);
  if (self->location_entry != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->location_entry),
                           phone != NULL && wpi_phone_get_record (phone)->location != NULL
                           ? wpi_phone_get_record (phone)->location : "");
  if (phone != NULL)
    g_signal_connect_swapped (phone, "notify", G_CALLBACK (update_identity), self);

  /* Another phone's details start at their top, not where the last one's were scrolled
   * to (issue 12 §4) */
  if (self->scroller != NULL)
    gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->scroller)), 0.0);
  /* The previous phone's load must not land on this one */
  cancel_load (self);
  g_clear_pointer (&self->items, g_array_unref);
  g_clear_pointer (&self->items_signature, g_free);
  if (self->reveal_button != NULL)
    {
      /* A revealed secret stays on the phone it was revealed for */
      gtk_toggle_button_set_active (self->reveal_button, FALSE);
      update_identity (self);
      remove_children (self->items_box);
      remove_children (self->jobs_box);
      remove_children (self->traffic_box);
      g_hash_table_remove_all (self->shown_jobs);
      schedule_refresh (self, REFRESH_ALL);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PHONE]);
}

/**
 * wpc_phone_details_get_phone:
 *
 * Returns: (transfer none) (nullable): the phone shown
 */
WpiPhone *
wpc_phone_details_get_phone (WpcPhoneDetails *self)
{
  g_return_val_if_fail (WPC_IS_PHONE_DETAILS (self), NULL);
  return self->phone;
}

gboolean
wpc_phone_details_get_secrets_revealed (WpcPhoneDetails *self)
{
  g_return_val_if_fail (WPC_IS_PHONE_DETAILS (self), FALSE);
  return secrets_revealed (self);
}

void
wpc_phone_details_set_secrets_revealed (WpcPhoneDetails *self,
                                        gboolean         revealed)
{
  g_return_if_fail (WPC_IS_PHONE_DETAILS (self));

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->reveal_button)))
    revealed = FALSE;
  gtk_toggle_button_set_active (self->reveal_button, revealed);
}

/**
 * wpc_phone_details_get_loading:
 *
 * Returns: whether a read of the store for the phone shown is scheduled or under way
 */
gboolean
wpc_phone_details_get_loading (WpcPhoneDetails *self)
{
  g_return_val_if_fail (WPC_IS_PHONE_DETAILS (self), FALSE);
  return self->refresh_source != 0 || self->load_cancellable != NULL;
}
