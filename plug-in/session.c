#include "config.h"

#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/session.h"

/* Long enough that dragging a slider does not start a run per step, short enough to feel live. */
#define PREVIEW_DELAY_MS 400

struct Session {
  const PixelRegion *region;
  Stylizer *stylizer;
  const SessionUi *ui_funcs;
  gpointer ui;

  GTask *job;                /* the running worker, or NULL */
  JobRequest job_request;    /* what it computes */
  JobRequest cached_request;
  float *cached_styled;      /* region-sized results for cached_request */
  int cached_n_results;
  char *cached_name;
  JobRequest failed_request; /* not retried by the preview until a setting changes */
  gboolean want_apply;       /* commit as soon as the result for the current settings exists */
  gboolean closing;
  gboolean applied;
  guint preview_timeout;
};

static void next_step (Session *s);

/* What the widgets ask for now; while previewing, only the first variation (the one the
 * preview shows), so that the preview of many variations costs one. */
static gboolean
current_request (Session *s, JobRequest *request)
{
  if (!s->ui_funcs->get_request (s->ui, request))
    return FALSE;
  if (!s->want_apply)
    request->variations = MIN (request->variations, 1);
  return TRUE;
}

Session *
session_new (const PixelRegion *region, Stylizer *stylizer, const SessionUi *ui_funcs,
             gpointer ui)
{
  Session *s = g_new0 (Session, 1);

  s->region = region;
  s->stylizer = stylizer;
  s->ui_funcs = ui_funcs;
  s->ui = ui;
  return s;
}

void
session_free (Session *s)
{
  if (s == NULL)
    return;
  /* the worker holds region and stylizer: the caller must have waited for `finished` */
  g_warn_if_fail (s->job == NULL);
  g_clear_handle_id (&s->preview_timeout, g_source_remove);
  job_request_clear (&s->job_request);
  job_request_clear (&s->cached_request);
  job_request_clear (&s->failed_request);
  g_free (s->cached_styled);
  g_free (s->cached_name);
  g_free (s);
}

gboolean
session_applied (const Session *s)
{
  return s->applied;
}

static void
show_state (Session *s)
{
  s->ui_funcs->show_state (s->ui, s->want_apply, s->job != NULL);
}

static void
remove_preview (Session *s)
{
  s->ui_funcs->remove_preview (s->ui);
}

static void
show_progress (double fraction, const char *message, gpointer user_data)
{
  Session *s = user_data;
  g_autofree char *text = stylizer_translate_progress (message);

  s->ui_funcs->show_progress (s->ui, CLAMP (fraction, 0.0, 1.0), text);
}

static void
job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Session *s = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (JobResult) job_result = job_finish (G_TASK (result), &error);

  (void) source;
  g_clear_object (&s->job);
  if (job_result != NULL)
    {
      job_request_copy (&s->cached_request, &s->job_request);
      g_free (s->cached_styled);
      g_free (s->cached_name);
      s->cached_styled = g_steal_pointer (&job_result->styled);
      s->cached_n_results = job_result->n_results;
      s->cached_name = g_steal_pointer (&job_result->style_name);
    }
  else if (!g_error_matches (error, VKS_ERROR, VKS_ERROR_CANCELLED))
    {
      g_autofree char *message = stylizer_describe_error_for (error, s->job_request.kind);

      job_request_copy (&s->failed_request, &s->job_request);
      s->want_apply = FALSE;
      if (!s->closing)
        s->ui_funcs->show_message (s->ui, message);
    }
  job_request_clear (&s->job_request);
  if (s->closing)
    {
      s->ui_funcs->finished (s->ui);
      return;
    }
  show_state (s);
  next_step (s);
}

static void
start_job (Session *s, const JobRequest *request)
{
  s->ui_funcs->show_message (s->ui, NULL);
  job_request_copy (&s->job_request, request);
  s->job = job_start (s->stylizer, s->region, request, show_progress, job_done, s);
  show_state (s);
  s->ui_funcs->show_progress (s->ui, 0.0, " ");
}

static void
cancel_job (Session *s)
{
  if (s->job == NULL || g_cancellable_is_cancelled (g_task_get_cancellable (s->job)))
    return;
  g_cancellable_cancel (g_task_get_cancellable (s->job));
  /* the engine notices between tiles, which may take a moment */
  s->ui_funcs->show_progress (s->ui, -1.0, _("Cancelling…"));
}

void
session_close (Session *s)
{
  if (s->closing)
    return;
  s->closing = TRUE;
  g_clear_handle_id (&s->preview_timeout, g_source_remove);
  remove_preview (s);
  /* the worker may be inside a tile for a while; the image is already as it was, so the user
   * does not wait for it, only this process does */
  if (s->job != NULL)
    cancel_job (s);
  else
    s->ui_funcs->finished (s->ui);
}

static void
commit (Session *s)
{
  g_autoptr (GError) error = NULL;

  remove_preview (s);
  if (!s->ui_funcs->commit (s->ui, s->cached_styled, s->cached_n_results, s->cached_name,
                           &error))
    {
      s->want_apply = FALSE;
      s->ui_funcs->show_message (s->ui, error ? error->message : _("The result could not be "
                                                                    "written."));
      show_state (s);
      return;
    }
  s->applied = TRUE;
  session_close (s);
}

/* Decides what to do now that something changed: commit, show a cached result, or compute. */
static void
next_step (Session *s)
{
  JobRequest request = { 0 };
  gboolean have_request, cached;

  if (s->closing)
    return;
  have_request = current_request (s, &request);
  cached = have_request && s->cached_styled != NULL
           && job_request_equal (&request, &s->cached_request);
  if (!have_request)
    s->want_apply = FALSE;
  else if (s->want_apply)
    {
      if (cached)
        commit (s);
      else if (s->job == NULL)
        start_job (s, &request);
    }
  else if (s->ui_funcs->get_preview (s->ui))
    {
      if (cached)
        s->ui_funcs->show_preview (s->ui, s->cached_styled, s->ui_funcs->get_strength (s->ui),
                                   s->cached_name);
      else if (s->job == NULL && !job_request_equal (&request, &s->failed_request))
        start_job (s, &request);
    }
  job_request_clear (&request);
}

void
session_start (Session *s)
{
  show_state (s);
  next_step (s);
}

static gboolean
preview_timeout (gpointer user_data)
{
  Session *s = user_data;

  s->preview_timeout = 0;
  next_step (s);
  return G_SOURCE_REMOVE;
}

void
session_changed (Session *s)
{
  JobRequest request = { 0 };

  if (s->closing)
    return;
  job_request_clear (&s->failed_request);
  s->ui_funcs->show_message (s->ui, NULL);
  if (s->job != NULL && !s->want_apply
      && (!current_request (s, &request)
          || !job_request_equal (&request, &s->job_request)))
    cancel_job (s);
  job_request_clear (&request);
  g_clear_handle_id (&s->preview_timeout, g_source_remove);
  if (s->ui_funcs->get_preview (s->ui))
    s->preview_timeout = g_timeout_add (PREVIEW_DELAY_MS, preview_timeout, s);
  show_state (s);
}

void
session_preview_toggled (Session *s)
{
  if (s->closing)
    return;
  if (s->ui_funcs->get_preview (s->ui))
    {
      job_request_clear (&s->failed_request);
      next_step (s);
      return;
    }
  g_clear_handle_id (&s->preview_timeout, g_source_remove);
  if (!s->want_apply)
    cancel_job (s);
  remove_preview (s);
}

void
session_apply (Session *s)
{
  if (s->closing || s->want_apply)
    return;
  s->want_apply = TRUE;
  g_clear_handle_id (&s->preview_timeout, g_source_remove);
  s->ui_funcs->show_message (s->ui, NULL);
  job_request_clear (&s->failed_request);
  show_state (s);
  next_step (s);
}

void
session_cancel (Session *s)
{
  if (s->want_apply && s->job != NULL)
    {
      s->want_apply = FALSE;
      cancel_job (s);
      show_state (s);
      return;
    }
  session_close (s);
}
