/* The bottom of the dialogs: the message area (problems, with what to do) and the progress bar,
 * and which controls are usable while a job runs. Plain GTK that GTK 2 and GTK 3 share, so the
 * two dialogs show a Session's state alike (session.h); each builds the widgets its own way. */
#pragma once
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <gtk/gtk.h>
#pragma GCC diagnostic pop
#include "plug-in/session.h"

typedef struct {
  GtkWidget *controls;       /* locked while Apply is under way */
  GtkWidget *apply_button;
  GtkWidget *message_box;    /* hidden when there is nothing to say */
  GtkWidget *message_label;
  GtkWidget *progress_bar;
} StatusWidgets;

/* Makes `box` the message area that status_show_message fills: `icon` (NULL for none), then
 * `label` wrapping and selectable (messages are advice people copy), hidden until there is
 * something to say; gtk_widget_show_all on the dialog leaves it hidden. Returns box. Each
 * toolkit aligns and sizes the two its own way before. */
GtkWidget *status_message_box_init (StatusWidgets *status, GtkWidget *box, GtkWidget *icon,
                                    GtkWidget *label);
/* NULL hides the message. */
void status_show_message (const StatusWidgets *status, const char *message);
/* fraction < 0 keeps the bar's; text already translated. */
void status_show_progress (const StatusWidgets *status, double fraction, const char *text);
/* applying / running as in SessionUi.show_state; have_model: Apply has something to apply. */
void status_show_state (const StatusWidgets *status, gboolean applying, gboolean running,
                        gboolean have_model);

/* Routes the dialog's buttons to `session`: Apply (GTK_RESPONSE_OK), Cancel, and closing the
 * window, which the session turns into removing the preview and waiting for the worker. Other
 * responses (GIMP 3's Reset) are left to the dialog. */
void status_connect_session (GtkWidget *dialog, Session *session);
