#include <string.h>

#include "engine/models/diffusion_generate.h"

typedef struct {
  VksDiffusionProgress func;
  gpointer data;
  int done, total;
} BatchProgress;

static gboolean
batch_progress (int step, int n_steps, gpointer data)
{
  BatchProgress *p = data;
  (void) n_steps;
  return p->func == NULL || p->func (p->done + step, p->total, p->data);
}

static void
sample_options (const VksGenerateOptions *o, const float *batch_context, VksSampleOptions *so)
{
  *so = (VksSampleOptions) {
    .sampler = o->sampler, .steps = o->steps, .context = batch_context,
    .guidance = o->guidance, .seed = o->seed,
  };
}

int
vks_diffusion_generate_n_steps (const VksDiffusionModel *model, int count,
                                const VksGenerateOptions *options)
{
  VksSampleOptions so;
  sample_options (options, options->context, &so);
  int batches = (count + VKS_DIFFUSION_BATCH - 1) / VKS_DIFFUSION_BATCH;
  return vks_diffusion_n_steps (model, &so) * batches;
}

gboolean
vks_diffusion_generate (VksDiffusionModel *model, int count, float *x,
                        const VksGenerateOptions *options, GError **error)
{
  const VksUnetConfig *cfg = vks_diffusion_model_config (model);
  int m = cfg->in_channels * cfg->height * cfg->height;
  /* the sampler takes one context row per image of the batch */
  g_autofree float *c = NULL;
  if (options->context != NULL) {
    c = g_new (float, (size_t) VKS_DIFFUSION_BATCH * cfg->n_cfeat);
    for (int i = 0; i < VKS_DIFFUSION_BATCH; i++)
      memcpy (c + (size_t) i * cfg->n_cfeat, options->context, sizeof (float) * cfg->n_cfeat);
  }
  VksSampleOptions so;
  sample_options (options, c, &so);
  int n_steps = vks_diffusion_n_steps (model, &so);
  BatchProgress p = { options->progress, options->user_data, 0,
                      vks_diffusion_generate_n_steps (model, count, options) };
  so.progress = batch_progress;
  so.user_data = &p;
  for (int first = 0; first < count; first += VKS_DIFFUSION_BATCH) {
    so.first = first;
    if (!vks_diffusion_sample (model, MIN (VKS_DIFFUSION_BATCH, count - first),
                               x + (size_t) first * m, &so, error))
      return FALSE;
    p.done += n_steps;
  }
  return TRUE;
}
