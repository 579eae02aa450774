#include "config.h"

#include "plug-in/gtk/status.h"

GtkWidget *
status_message_box_init (StatusWidgets *status, GtkWidget *box, GtkWidget *icon,
                         GtkWidget *label)
{
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (icon != NULL)
    gtk_box_pack_start (GTK_BOX (box), icon, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), label, TRUE, TRUE, 0);
  gtk_widget_show_all (box);
  gtk_widget_set_no_show_all (box, TRUE);
  gtk_widget_hide (box);
  status->message_box = box;
  status->message_label = label;
  return box;
}

void
status_show_message (const StatusWidgets *status, const char *message)
{
  if (message == NULL)
    {
      gtk_widget_hide (status->message_box);
      return;
    }
  gtk_label_set_text (GTK_LABEL (status->message_label), message);
  gtk_widget_show (status->message_box);
}

void
status_show_progress (const StatusWidgets *status, double fraction, const char *text)
{
  if (fraction >= 0.0)
    gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (status->progress_bar), fraction);
  /* never empty: an empty bar is thinner than one with text, and the dialog would jump */
  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (status->progress_bar), text[0] ? text : " ");
}

void
status_show_state (const StatusWidgets *status, gboolean applying, gboolean running,
                   gboolean have_model)
{
  gtk_widget_set_sensitive (status->controls, !applying);
  gtk_widget_set_sensitive (status->apply_button, !applying && have_model);
  /* greyed out while idle, so an empty bar does not look like something stuck */
  gtk_widget_set_sensitive (status->progress_bar, running);
  if (!running)
    {
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (status->progress_bar), 0.0);
      gtk_progress_bar_set_text (GTK_PROGRESS_BAR (status->progress_bar), " ");
    }
}

static void
on_response (GtkDialog *dialog, int response, Session *session)
{
  (void) dialog;
  if (response == GTK_RESPONSE_OK)
    session_apply (session);
  else if (response == GTK_RESPONSE_CANCEL)
    session_cancel (session);
  else if (response == GTK_RESPONSE_DELETE_EVENT)
    session_close (session);
}

static gboolean
on_delete (GtkWidget *widget, GdkEvent *event, Session *session)
{
  (void) widget;
  (void) event;
  session_close (session);
  return TRUE;  /* the session hides the window once nothing runs any more */
}

void
status_connect_session (GtkWidget *dialog, Session *session)
{
  g_signal_connect (dialog, "response", G_CALLBACK (on_response), session);
  g_signal_connect (dialog, "delete-event", G_CALLBACK (on_delete), session);
}
