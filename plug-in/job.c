#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/job.h"
#include "plug-in/diffusion-job.h"
#include "plug-in/models.h"
#include "plug-in/resample.h"

static float *
render_texture (Stylizer *stylizer, const PixelRegion *region, const JobRequest *request,
                VksProgressFunc progress, gpointer user_data, char **model_name, GError **error)
{
  gsize n_floats = (gsize) region->width * region->height * 3;
  g_autofree float *rgb = g_try_new (float, n_floats);

  if (rgb == NULL)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                   _("Not enough memory for a texture of %d × %d pixels."), region->width,
                   region->height);
      return NULL;
    }
  if (!stylizer_render_texture (stylizer, request->device, request->model_path,
                                (guint64) request->seed, request->tileable, request->codes, rgb,
                                region->width, region->height, progress, user_data, error))
    return NULL;
  *model_name = g_strdup (stylizer_texture_name (stylizer));
  return g_steal_pointer (&rgb);
}

/* Style from Reference's results: one per variation, each computed at the network size and
 * enlarged to the region's. Progress runs over all of them. */
typedef struct {
  VksProgressFunc func;
  gpointer user_data;
  int index, count;
} VariationProgress;

static gboolean
variation_progress (double fraction, const char *message, gpointer user_data)
{
  VariationProgress *p = user_data;

  return p->func == NULL
         || p->func ((p->index + CLAMP (fraction, 0.0, 1.0)) / p->count, message, p->user_data);
}

static float *
translate_reference (Stylizer *stylizer, const PixelRegion *region, const JobRequest *request,
                     VksProgressFunc progress, gpointer user_data, char **model_name,
                     GError **error)
{
  int n = job_request_n_results (request), width, height;
  gsize region_floats = (gsize) region->width * region->height * 3;
  g_autofree float *input = NULL, *output = NULL, *results = NULL;
  const float *reference = request->reference ? g_bytes_get_data (request->reference, NULL)
                                              : NULL;
  VariationProgress p = { progress, user_data, 0, n };

  pixel_region_network_size (region, request->scale, &width, &height);
  input = pixel_region_network_input (region, width, height);
  output = g_try_new (float, (gsize) width * height * 3);
  results = g_try_new (float, region_floats * n);
  if (output == NULL || results == NULL)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                   _("Not enough memory for %d results of %d × %d pixels."), n, region->width,
                   region->height);
      return NULL;
    }
  for (p.index = 0; p.index < n; p.index++)
    {
      g_autofree float *enlarged = NULL;

      if (!stylizer_translate_reference (stylizer, request->device, request->model_path,
                                         request->domain, reference, request->reference_width,
                                         request->reference_height, (guint64) request->seed,
                                         p.index, input, output, width, height,
                                         variation_progress, &p, error))
        return NULL;
      enlarged = resample_rgb (output, width, height, region->width, region->height);
      memcpy (results + region_floats * p.index, enlarged, region_floats * sizeof (float));
    }
  *model_name = g_strdup (stylizer_reference_name (stylizer));
  return g_steal_pointer (&results);
}

int
job_request_n_results (const JobRequest *request)
{
  if (request->kind == MODEL_KIND_DIFFUSION && request->diffusion.sprites)
    return MAX (1, request->diffusion.count);
  return request->kind == MODEL_KIND_REFERENCE ? MAX (1, request->variations) : 1;
}

float *
job_compute (Stylizer *stylizer, const PixelRegion *region, const JobRequest *request,
             VksProgressFunc progress, gpointer user_data, char **style_name, GError **error)
{
  int width, height;
  g_autofree float *input = NULL;

  if (request->kind == MODEL_KIND_TEXTURE)
    return render_texture (stylizer, region, request, progress, user_data, style_name, error);
  if (request->kind == MODEL_KIND_REFERENCE)
    return translate_reference (stylizer, region, request, progress, user_data, style_name,
                                error);
  if (request->kind == MODEL_KIND_DIFFUSION)
    return diffusion_job_compute (stylizer, region, request, progress, user_data, style_name,
                                  error);
  pixel_region_network_size (region, request->scale, &width, &height);
  input = pixel_region_network_input (region, width, height);
  /* in place: the engine allows rgb_out == rgb_in, which saves one network-sized buffer */
  if (!stylizer_run (stylizer, request->device, request->model_path, input, input, width, height,
                     progress, user_data, error))
    return NULL;
  *style_name = g_strdup (stylizer_style_name (stylizer));
  return resample_rgb (input, width, height, region->width, region->height);
}

gboolean
job_request_from_settings (JobRequest *request, const VkstyleSettings *settings,
                           const char *profile_dir, const char *plugin_dir, GError **error)
{
  char *path = models_resolve (MODEL_KIND_STYLE, settings->model, profile_dir, plugin_dir,
                               error);

  if (path == NULL)
    return FALSE;
  job_request_clear (request);
  request->model_path = path;
  request->device = g_strdup (settings->device);
  request->scale = settings->scale;
  return TRUE;
}

gboolean
job_request_from_texture_settings (JobRequest *request, const TextureSettings *settings,
                                   const char *profile_dir, const char *plugin_dir,
                                   GError **error)
{
  char *path = models_resolve (MODEL_KIND_TEXTURE, settings->model, profile_dir, plugin_dir,
                               error);

  if (path == NULL)
    return FALSE;
  job_request_clear (request);
  request->kind = MODEL_KIND_TEXTURE;
  request->model_path = path;
  request->device = g_strdup (settings->device);
  request->seed = settings->seed;
  request->tileable = settings->tileable != 0;
  request->codes = g_strdup (settings->codes);
  return TRUE;
}

gboolean
job_request_from_reference_settings (JobRequest *request, const ReferenceSettings *settings,
                                     const ReferenceImage *reference, const char *profile_dir,
                                     const char *plugin_dir, GError **error)
{
  char *path = models_resolve (MODEL_KIND_REFERENCE, settings->model, profile_dir, plugin_dir,
                               error);

  if (path == NULL)
    return FALSE;
  job_request_clear (request);
  request->kind = MODEL_KIND_REFERENCE;
  request->model_path = path;
  request->device = g_strdup (settings->device);
  request->scale = settings->scale;
  request->seed = settings->seed;
  request->domain = g_strdup (settings->domain);
  request->variations = settings->variations;
  if (reference != NULL)
    {
      request->reference = g_bytes_ref (reference->rgb);
      request->reference_width = reference->width;
      request->reference_height = reference->height;
    }
  return TRUE;
}

typedef struct {
  JobTextProgressFunc func;
  gpointer user_data;
} TextProgress;

static gboolean
translate_progress (double fraction, const char *message, gpointer user_data)
{
  TextProgress *progress = user_data;
  g_autofree char *text = stylizer_translate_progress (message);

  progress->func (CLAMP (fraction, 0.0, 1.0), text, progress->user_data);
  /* GIMP's own Cancel ends the plug-in process, which leaves the image unchanged too */
  return TRUE;
}

float *
job_run_request (Stylizer *stylizer, const PixelRegion *region, JobRequest *request,
                 JobTextProgressFunc progress, gpointer user_data, char **model_name,
                 GError **error)
{
  TextProgress text_progress = { progress, user_data };
  float *result = job_compute (stylizer, region, request, progress ? translate_progress : NULL,
                               &text_progress, model_name, error);

  job_request_clear (request);
  return result;
}

gboolean
job_request_equal (const JobRequest *a, const JobRequest *b)
{
  return a->kind == b->kind && g_strcmp0 (a->model_path, b->model_path) == 0
         && g_strcmp0 (a->device, b->device) == 0 && a->scale == b->scale && a->seed == b->seed
         && a->tileable == b->tileable && g_strcmp0 (a->codes, b->codes) == 0
         && g_strcmp0 (a->domain, b->domain) == 0
         /* the same reading of a layer: comparing its pixels would cost more than a run */
         && a->reference == b->reference && a->variations == b->variations
         && diffusion_request_equal (&a->diffusion, &b->diffusion);
}

void
job_request_copy (JobRequest *dest, const JobRequest *src)
{
  job_request_clear (dest);
  *dest = *src;
  dest->model_path = g_strdup (src->model_path);
  dest->device = g_strdup (src->device);
  dest->codes = g_strdup (src->codes);
  dest->domain = g_strdup (src->domain);
  dest->reference = src->reference ? g_bytes_ref (src->reference) : NULL;
}

void
job_request_clear (JobRequest *request)
{
  g_free (request->model_path);
  g_free (request->device);
  g_free (request->codes);
  g_free (request->domain);
  g_clear_pointer (&request->reference, g_bytes_unref);
  /* kind MODEL_KIND_STYLE (0), everything else empty */
  memset (request, 0, sizeof *request);
}

void
job_result_free (JobResult *result)
{
  if (result == NULL)
    return;
  g_free (result->styled);
  g_free (result->style_name);
  g_free (result);
}

typedef struct {
  Stylizer *stylizer;
  const PixelRegion *region;
  JobRequest request;
  JobProgressFunc progress;
  gpointer user_data;
} JobData;

static void
job_data_free (JobData *data)
{
  job_request_clear (&data->request);
  g_free (data);
}

typedef struct {
  GTask *task;
  double fraction;
  char *message;
} ProgressUpdate;

static gboolean
deliver_progress (gpointer user_data)
{
  ProgressUpdate *update = user_data;
  JobData *data = g_task_get_task_data (update->task);

  /* a cancelled job's late updates would overwrite what the next job shows, and once `done`
   * ran the receiver may be gone */
  if (!g_cancellable_is_cancelled (g_task_get_cancellable (update->task))
      && !g_task_get_completed (update->task))
    data->progress (update->fraction, update->message, data->user_data);
  return G_SOURCE_REMOVE;
}

static void
progress_update_free (gpointer user_data)
{
  ProgressUpdate *update = user_data;

  g_object_unref (update->task);
  g_free (update->message);
  g_free (update);
}

/* Runs in the worker: hands the update to the main thread and answers the engine's "go on?". */
static gboolean
worker_progress (double fraction, const char *message, gpointer user_data)
{
  GTask *task = user_data;
  JobData *data = g_task_get_task_data (task);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    return FALSE;
  if (data->progress != NULL)
    {
      ProgressUpdate *update = g_new0 (ProgressUpdate, 1);

      update->task = g_object_ref (task);
      update->fraction = fraction;
      update->message = g_strdup (message);
      g_main_context_invoke_full (g_task_get_context (task), G_PRIORITY_DEFAULT,
                                  deliver_progress, update, progress_update_free);
    }
  return TRUE;
}

static void
worker (GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
  JobData *data = task_data;
  GError *error = NULL;
  JobResult *result = g_new0 (JobResult, 1);

  (void) source_object;
  (void) cancellable;
  result->n_results = job_request_n_results (&data->request);
  result->styled = job_compute (data->stylizer, data->region, &data->request, worker_progress,
                                task, &result->style_name, &error);
  if (result->styled == NULL)
    {
      job_result_free (result);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, result, (GDestroyNotify) job_result_free);
}

GTask *
job_start (Stylizer *stylizer, const PixelRegion *region, const JobRequest *request,
           JobProgressFunc progress, GAsyncReadyCallback done, gpointer user_data)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GTask *task = g_task_new (NULL, cancellable, done, user_data);
  JobData *data = g_new0 (JobData, 1);

  data->stylizer = stylizer;
  data->region = region;
  job_request_copy (&data->request, request);
  data->progress = progress;
  data->user_data = user_data;
  g_task_set_task_data (task, data, (GDestroyNotify) job_data_free);
  /* a cancelled task still waits for the worker: stylizer and region stay in use until then */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, worker);
  return task;
}

JobResult *
job_finish (GTask *task, GError **error)
{
  return g_task_propagate_pointer (task, error);
}
