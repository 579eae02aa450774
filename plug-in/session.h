/* The behaviour of a filter dialog, without its widgets: when to compute (a pause after the last
 * change), the on-canvas preview, Apply with the result already computed or still to come,
 * Cancel during Apply (back to the dialog) or otherwise (close), errors not retried until a
 * setting changes. The GTK 2 and the GTK 3 dialogs of every filter (Style Transfer, Neural
 * Texture, Style from Reference: the JobRequest says which) drive one Session, so they behave
 * alike. The preview computes only the first of several variations; Apply computes them all. The work runs in a worker thread (job.h); all the
 * callbacks below run in the main thread. */
#pragma once
#include "plug-in/job.h"

typedef struct {
  /* What the widgets say now. FALSE when no model is chosen. */
  gboolean (*get_request) (gpointer ui, JobRequest *request);
  /* How much of the result the preview mixes over the original, in % (a texture: 100). */
  double (*get_strength) (gpointer ui);
  gboolean (*get_preview) (gpointer ui);
  /* Progress of the running job, text already translated; fraction < 0 keeps the bar's. */
  void (*show_progress) (gpointer ui, double fraction, const char *text);
  /* A problem to show in the dialog; NULL hides the last one. */
  void (*show_message) (gpointer ui, const char *message);
  /* applying: Apply was pressed and is not done (controls locked); running: a job runs. */
  void (*show_state) (gpointer ui, gboolean applying, gboolean running);
  void (*show_preview) (gpointer ui, const float *styled, double strength, const char *name);
  void (*remove_preview) (gpointer ui);
  /* Writes the n_results region-sized results (job.h) into the image. FALSE with an error keeps
   * the dialog open. */
  gboolean (*commit) (gpointer ui, const float *styled, int n_results, const char *name,
                      GError **error);
  /* The dialog is closed and no worker runs any more: leave the main loop. */
  void (*finished) (gpointer ui);
} SessionUi;

typedef struct Session Session;

Session *session_new (const PixelRegion *region, Stylizer *stylizer, const SessionUi *ui_funcs,
                      gpointer ui);
void session_free (Session *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_free)

/* The dialog is shown: starts the preview when it is on. */
void session_start (Session *session);
/* A setting changed: stop work for the old settings, preview the new ones after a pause. */
void session_changed (Session *session);
void session_preview_toggled (Session *session);
void session_apply (Session *session);
/* The Cancel button: during Apply it stops the run and returns to the dialog; else closes. */
void session_cancel (Session *session);
/* The window is closing: removes the preview; `finished` follows once the worker is gone. */
void session_close (Session *session);
/* TRUE after a successful commit. */
gboolean session_applied (const Session *session);
