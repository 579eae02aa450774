/* One run of a filter on a region: a stylization at a processing scale (shrink, run the network,
 * enlarge back), or a texture of the region's size. Touches no libgimp function, so the dialog can run it in a worker thread and stay responsive
 * (the engine reports progress only between tiles, which can be seconds apart on a CPU). */
#pragma once
#include <gio/gio.h>
#include "plug-in/diffusion-request.h"
#include "plug-in/region.h"
#include "plug-in/settings.h"
#include "plug-in/stylizer.h"

typedef struct {
  ModelKind kind;    /* which filter: Style Transfer, Neural Texture or Style from Reference */
  char *model_path;
  char *device;
  double scale;      /* style, reference */
  gint32 seed;       /* texture, reference */
  gboolean tileable; /* texture */
  char *codes;       /* texture: as the PDB argument (plug-in/codes.h), may be NULL */
  char *domain;      /* reference: a domain name or index */
  GBytes *reference; /* reference: the style source's R'G'B' floats, NULL: random styles */
  int reference_width, reference_height;
  int variations;    /* reference: results, one per latent of the seed (0 counts as 1) */
  DiffusionRequest diffusion; /* kind MODEL_KIND_DIFFUSION (seed above), diffusion-job.h */
} JobRequest;

/* How many results a request makes: `variations` for Style from Reference, the count of
 * Diffusion Sprites (images of the model's size, not the region's), else one. */
int job_request_n_results (const JobRequest *request);

/* Returns job_request_n_results region-sized R'G'B' images one after the other
 * (width*height*3 floats each, g_free), *model_name set to the loaded model's name (g_free).
 * The caller's thread does the work; progress as in vks_style_apply. A texture ignores the
 * region's pixels, only its size counts. */
float *job_compute (Stylizer *stylizer, const PixelRegion *region, const JobRequest *request,
                    VksProgressFunc progress, gpointer user_data, char **model_name,
                    GError **error);

/* Progress text for people: already translated (stylizer_translate_progress). */
typedef void (*JobTextProgressFunc) (double fraction, const char *text, gpointer user_data);

/* A run without a dialog (scripts, Filters › Repeat), in the caller's thread, of a request made
 * by one of the job_request_from_* functions below; clears it. Returns as job_compute. */
float *job_run_request (Stylizer *stylizer, const PixelRegion *region, JobRequest *request,
                        JobTextProgressFunc progress, gpointer user_data, char **model_name,
                        GError **error);

/* Called in the main thread with the engine's latest (untranslated) progress message. */
typedef void (*JobProgressFunc) (double fraction, const char *message, gpointer user_data);

typedef struct {
  float *styled;     /* n_results region-sized images */
  int n_results;
  char *style_name;
} JobResult;

void job_result_free (JobResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JobResult, job_result_free)

/* Runs job_compute in a worker thread. stylizer and region must stay untouched until `done`
 * runs (in the main thread), which happens even when cancelled: only then is the worker gone.
 * Cancel with g_cancellable_cancel (g_task_get_cancellable (task)). */
GTask *job_start (Stylizer *stylizer, const PixelRegion *region, const JobRequest *request,
                  JobProgressFunc progress, GAsyncReadyCallback done, gpointer user_data);
JobResult *job_finish (GTask *task, GError **error);

/* What `settings` ask for, with the model argument (a path or a style name) resolved to a file
 * in the folders of models_search_dirs. FALSE with a message when no such model exists. */
gboolean job_request_from_settings (JobRequest *request, const VkstyleSettings *settings,
                                    const char *profile_dir, const char *plugin_dir,
                                    GError **error);
gboolean job_request_from_texture_settings (JobRequest *request,
                                            const TextureSettings *settings,
                                            const char *profile_dir, const char *plugin_dir,
                                            GError **error);
/* `reference`: the pixels of settings->reference as the front end read them, NULL for none. */
gboolean job_request_from_reference_settings (JobRequest *request,
                                              const ReferenceSettings *settings,
                                              const ReferenceImage *reference,
                                              const char *profile_dir, const char *plugin_dir,
                                              GError **error);

gboolean job_request_equal (const JobRequest *a, const JobRequest *b);
void job_request_copy (JobRequest *dest, const JobRequest *src);
void job_request_clear (JobRequest *request);
