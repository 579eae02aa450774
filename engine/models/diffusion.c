/* The noise schedule, the loaded model and the DDPM / DDIM samplers (diffusion.h). */
#include "engine/models/diffusion.h"

#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/nn/param_store.h"
#include "engine/nn/plan.h"
#include "engine/texture-private.h"   /* vks_texture_normals: the documented generator */

/* ---- schedule ---- */

VksNoiseSchedule *
vks_noise_schedule_new (const VksUnetConfig *cfg)
{
  VksNoiseSchedule *s = g_new0 (VksNoiseSchedule, 1);
  int T = cfg->timesteps;
  s->timesteps = T;
  s->beta = g_new (double, T + 1);
  s->alpha = g_new (double, T + 1);
  s->alpha_bar = g_new (double, T + 1);
  double log_sum = 0.0;
  for (int i = 0; i <= T; i++) {
    s->beta[i] = (cfg->beta2 - cfg->beta1) * ((double) i / T) + cfg->beta1;
    s->alpha[i] = 1.0 - s->beta[i];
    log_sum += log (s->alpha[i]);
    s->alpha_bar[i] = exp (log_sum);
  }
  s->alpha_bar[0] = 1.0;
  return s;
}

void
vks_noise_schedule_free (VksNoiseSchedule *s)
{
  if (s == NULL)
    return;
  g_free (s->beta);
  g_free (s->alpha);
  g_free (s->alpha_bar);
  g_free (s);
}

/* ---- random streams ---- */

void
vks_diffusion_normals (guint64 seed, int domain, guint64 stream, int count, float *out)
{
  vks_texture_normals (seed, (guint64) domain, stream, count, out);
}

static int
image_size (const VksUnetConfig *cfg)
{
  return cfg->in_channels * cfg->height * cfg->height;
}

void
vks_diffusion_initial_noise (const VksUnetConfig *cfg, guint64 seed, int first, int n, float *x)
{
  int m = image_size (cfg);
  for (int i = 0; i < n; i++)
    vks_diffusion_normals (seed, VKS_DIFFUSION_INITIAL, (guint64) (first + i), m,
                           x + (size_t) i * m);
}

/* ---- the model ---- */

/* The step graph for a batch of n images, guided or not. */
typedef struct {
  VksGraph *graph;
  VksPlan *plan;
  int n;
  gboolean guided;
  VksNode x, t, c, z, ca, cc, cu, cs, next;
} StepPlan;

struct VksDiffusionModel {
  VksContext *ctx;
  VksUnetConfig cfg;
  VksNoiseSchedule *schedule;
  char *name, *description;
  VksParamStore *store;
  StepPlan step;
};

static void
step_plan_clear (StepPlan *s)
{
  g_clear_pointer (&s->plan, vks_plan_free);
  g_clear_pointer (&s->graph, vks_graph_free);
  s->n = 0;
}

void
vks_diffusion_model_free (VksDiffusionModel *model)
{
  if (model == NULL)
    return;
  step_plan_clear (&model->step);
  g_clear_pointer (&model->store, vks_param_store_free);
  vks_noise_schedule_free (model->schedule);
  g_free (model->name);
  g_free (model->description);
  g_free (model);
}

static VksGraph *
prototype (const VksUnetConfig *cfg)
{
  VksGraph *g = vks_graph_new ();
  int h = cfg->height;
  VksNode x = vks_input (g, "x", vks_shape (1, cfg->in_channels, h, h));
  VksNode t = vks_input (g, "t", vks_shape (1, 1, 1, 1));
  VksNode c = vks_input (g, "c", vks_shape (1, 1, 1, cfg->n_cfeat));
  vks_context_unet (g, x, t, c, cfg, FALSE, NULL, NULL);
  return g;
}

VksDiffusionModel *
vks_diffusion_model_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error)
{
  g_autoptr (VksDiffusionModel) model = g_new0 (VksDiffusionModel, 1);
  model->ctx = ctx;
  if (!vks_unet_config_from_checkpoint (ckpt, &model->cfg, error) ||
      !vks_unet_check_tensors (ckpt, &model->cfg, error))
    return NULL;
  g_autoptr (VksGraph) proto = prototype (&model->cfg);
  if (!vks_graph_check (proto, error) ||
      (model->store = vks_param_store_new (ctx, &proto, 1, error)) == NULL ||
      !vks_param_store_load (model->store, ckpt, NULL, error))
    return NULL;
  model->schedule = vks_noise_schedule_new (&model->cfg);
  const char *name = vks_checkpoint_get_metadata (ckpt, "vkstyle.name");
  const char *desc = vks_checkpoint_get_metadata (ckpt, "vkstyle.description");
  model->name = g_strdup (name ? name : "");
  model->description = g_strdup (desc ? desc : "");
  return g_steal_pointer (&model);
}

VksDiffusionModel *
vks_diffusion_model_load (VksContext *ctx, const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, &local);
  VksDiffusionModel *model = ckpt ? vks_diffusion_model_new (ctx, ckpt, &local) : NULL;
  if (model == NULL) {
    g_autofree char *base = g_path_get_basename (path);
    g_set_error (error, local->domain, local->code, "%s: %s", base, local->message);
    return NULL;
  }
  if (model->name[0] == '\0') {
    g_free (model->name);
    model->name = g_path_get_basename (path);
    char *dot = strrchr (model->name, '.');
    if (dot != NULL && dot != model->name)
      *dot = '\0';
  }
  return model;
}

const VksUnetConfig *
vks_diffusion_model_config (const VksDiffusionModel *model)
{
  return &model->cfg;
}

const VksNoiseSchedule *
vks_diffusion_model_schedule (const VksDiffusionModel *model)
{
  return model->schedule;
}

const char *
vks_diffusion_model_name (const VksDiffusionModel *model)
{
  return model->name;
}

const char *
vks_diffusion_model_description (const VksDiffusionModel *model)
{
  return model->description;
}

/* batched_gemm: 3x3 convolutions as im2col + GEMM, the whole batch in one dispatch per layer,
 * where inference takes Winograd, which runs image by image. Measured on lavapipe, device time of one step of
 * the n_feat 64 network: at 16x16, 4 images 269 vs 489 ms and 16 images 833 vs 2739 ms; one
 * image 154 vs 148 ms; at 32x32 Winograd stays ahead (16 images 1939 vs 2622 ms). */
static VksPlan *
new_plan (VksDiffusionModel *model, VksGraph *g, VksNode out, gboolean batched_gemm,
          GError **error)
{
  VksPlanOptions opts = { .params = model->store, .readback = &out, .n_readback = 1,
                          .conv_gemm = batched_gemm };
  return vks_plan_new (model->ctx, g, &out, 1, &opts, error);
}

gboolean
vks_diffusion_predict (VksDiffusionModel *model, int n, const float *x, const float *t,
                       const float *c, float *eps, GError **error)
{
  const VksUnetConfig *cfg = &model->cfg;
  int h = cfg->height;
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode xn = vks_input (g, "x", vks_shape (n, cfg->in_channels, h, h));
  VksNode tn = vks_input (g, "t", vks_shape (1, 1, n, 1));
  VksNode cn = c ? vks_input (g, "c", vks_shape (1, 1, n, cfg->n_cfeat)) : VKS_NONE;
  VksNode y = vks_context_unet (g, xn, tn, cn, cfg, FALSE, NULL, NULL);
  if (!vks_graph_check (g, error))
    return FALSE;
  g_autoptr (VksPlan) plan = new_plan (model, g, y, FALSE, error);
  return plan != NULL && vks_plan_set (plan, xn, x, error) && vks_plan_set (plan, tn, t, error) &&
         (c == NULL || vks_plan_set (plan, cn, c, error)) && vks_plan_run (plan, error) &&
         vks_plan_get (plan, y, eps, error);
}

/* x_next = ca x + cc eps(x, c) + cu eps(x, 0) + cs z: the network (on [x; x] with [c; 0] when
 * guided) and the update in one graph. */
static gboolean
use_step_plan (VksDiffusionModel *model, int n, gboolean guided, GError **error)
{
  StepPlan *s = &model->step;
  if (s->plan != NULL && s->n == n && s->guided == guided)
    return TRUE;
  step_plan_clear (s);
  const VksUnetConfig *cfg = &model->cfg;
  int h = cfg->height, nb = guided ? 2 * n : n;
  VksGraph *g = s->graph = vks_graph_new ();
  VksShape img = vks_shape (n, cfg->in_channels, h, h), one = vks_shape (1, 1, 1, 1);
  s->x = vks_input (g, "x", img);
  s->z = vks_input (g, "z", img);
  s->t = vks_input (g, "t", vks_shape (1, 1, nb, 1));
  s->c = vks_input (g, "c", vks_shape (1, 1, nb, cfg->n_cfeat));
  s->ca = vks_input (g, "ca", one);
  s->cc = vks_input (g, "cc", one);
  s->cs = vks_input (g, "cs", one);
  VksNode xs[2] = { s->x, s->x };
  VksNode xin = guided ? vks_concat_dim (g, 0, xs, 2) : s->x;
  VksNode eps = vks_context_unet (g, xin, s->t, s->c, cfg, FALSE, NULL, NULL);
  VksNode next = vks_add (g, vks_mul (g, s->ca, s->x),
                          vks_mul (g, s->cc, guided ? vks_slice (g, eps, 0, 0, n) : eps));
  if (guided) {
    s->cu = vks_input (g, "cu", one);
    next = vks_add (g, next, vks_mul (g, s->cu, vks_slice (g, eps, 0, n, n)));
  }
  s->next = vks_add (g, next, vks_mul (g, s->cs, s->z));
  gboolean batched_gemm = cfg->height <= 16 && nb >= 4;
  if (!vks_graph_check (g, error) ||
      (s->plan = new_plan (model, g, s->next, batched_gemm, error)) == NULL) {
    step_plan_clear (s);
    return FALSE;
  }
  s->n = n;
  s->guided = guided;
  return TRUE;
}

static int
ddim_stride (int t_start, int steps)
{
  return MAX (1, t_start / MAX (1, steps));
}

int
vks_diffusion_n_steps (const VksDiffusionModel *model, const VksSampleOptions *o)
{
  int T = model->cfg.timesteps;
  int t0 = o->t_start > 0 && o->t_start < T ? o->t_start : T;
  if (o->sampler == VKS_SAMPLER_DDPM)
    return t0;
  int k = ddim_stride (t0, o->steps);
  return (t0 + k - 1) / k;
}

static gboolean
set_scalar (VksPlan *plan, VksNode node, double v, GError **error)
{
  float f = (float) v;
  return vks_plan_set (plan, node, &f, error);
}

gboolean
vks_diffusion_sample (VksDiffusionModel *model, int n, float *x, const VksSampleOptions *o,
                      GError **error)
{
  const VksUnetConfig *cfg = &model->cfg;
  const VksNoiseSchedule *sch = model->schedule;
  int T = cfg->timesteps, m = image_size (cfg);
  int t0 = o->t_start > 0 && o->t_start < T ? o->t_start : T;
  gboolean guided = o->guidance != 0.0;
  if (n < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "no images to sample");
    return FALSE;
  }
  if (!use_step_plan (model, n, guided, error))
    return FALSE;
  StepPlan *s = &model->step;
  int nb = guided ? 2 * n : n;
  g_autofree float *c = g_new0 (float, (size_t) nb * cfg->n_cfeat);
  if (o->context != NULL)
    memcpy (c, o->context, sizeof (float) * n * cfg->n_cfeat);   /* [c; 0] when guided */
  g_autofree float *t = g_new (float, nb);
  g_autofree float *z = g_new0 (float, (size_t) n * m);
  if (!vks_plan_set (s->plan, s->c, c, error) || !vks_plan_set (s->plan, s->z, z, error))
    return FALSE;

  gboolean ddpm = o->sampler == VKS_SAMPLER_DDPM;
  int stride = ddpm ? 1 : ddim_stride (t0, o->steps);
  int n_steps = vks_diffusion_n_steps (model, o), step = 0;
  double w = o->guidance;
  for (int i = t0; i > 0; i -= stride) {
    double ab = sch->alpha_bar[i], ca, cb, cs = 0.0;
    if (ddpm) {
      /* the course's denoise_add_noise: (x - eps (1 - a) / sqrt(1 - abar)) / sqrt(a) + sqrt(b) z */
      double a = sch->alpha[i];
      ca = 1.0 / sqrt (a);
      cb = -(1.0 - a) / sqrt (1.0 - ab) / sqrt (a);
      if (i > 1) {
        cs = sqrt (sch->beta[i]);
        if (o->noise != NULL) {
          o->noise (i, n, z, o->noise_data);
        } else {
          for (int k = 0; k < n; k++)
            vks_diffusion_normals (o->seed, VKS_DIFFUSION_STEP, (guint64) i << 32 | (guint) (o->first + k),
                                   m, z + (size_t) k * m);
        }
        if (!vks_plan_set (s->plan, s->z, z, error))
          return FALSE;
      }
    } else {
      /* denoise_ddim: sqrt(abar') / sqrt(abar) (x - sqrt(1 - abar) eps) + sqrt(1 - abar') eps */
      double abp = sch->alpha_bar[MAX (i - stride, 0)];
      ca = sqrt (abp) / sqrt (ab);
      cb = sqrt (1.0 - abp) - ca * sqrt (1.0 - ab);
    }
    for (int k = 0; k < nb; k++)
      t[k] = (float) ((double) i / T);
    if (!vks_plan_set (s->plan, s->x, x, error) || !vks_plan_set (s->plan, s->t, t, error) ||
        !set_scalar (s->plan, s->ca, ca, error) ||
        !set_scalar (s->plan, s->cc, (1.0 + w) * cb, error) ||
        (guided && !set_scalar (s->plan, s->cu, -w * cb, error)) ||
        !set_scalar (s->plan, s->cs, cs, error) || !vks_plan_run (s->plan, error) ||
        !vks_plan_get (s->plan, s->next, x, error))
      return FALSE;
    step++;
    if (o->progress != NULL && !o->progress (step, n_steps, o->user_data)) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CANCELLED, "cancelled after step %d of %d", step,
                   n_steps);
      return FALSE;
    }
  }
  return TRUE;
}

void
vks_diffusion_noise_to (const VksDiffusionModel *model, int t, guint64 seed, int first, int n,
                        float *x)
{
  int m = image_size (&model->cfg);
  t = CLAMP (t, 0, model->cfg.timesteps);
  double ab = model->schedule->alpha_bar[t], sa = sqrt (ab), sn = sqrt (1.0 - ab);
  g_autofree float *z = g_new (float, m);
  for (int i = 0; i < n; i++) {
    vks_diffusion_normals (seed, VKS_DIFFUSION_VARY, (guint64) (first + i), m, z);
    float *xi = x + (size_t) i * m;
    for (int j = 0; j < m; j++)
      xi[j] = (float) (sa * xi[j] + sn * z[j]);
  }
}

/* ---- images ---- */

void
vks_diffusion_to_rgb (const VksUnetConfig *cfg, int n, const float *x, float *rgb)
{
  int h = cfg->height, m = image_size (cfg);
  for (int i = 0; i < n; i++)
    vks_texture_planar_to_rgb (x + (size_t) i * m, cfg->in_channels, h, h, 0, 0, h, h,
                               rgb + (size_t) i * h * h * 3, h);
}

void
vks_diffusion_from_rgb (const VksUnetConfig *cfg, int n, const float *rgb, float *x)
{
  int h = cfg->height, nc = cfg->in_channels, hw = h * h;
  for (int i = 0; i < n; i++)
    for (int p = 0; p < hw; p++) {
      const float *v = rgb + ((size_t) i * hw + p) * 3;
      for (int c = 0; c < nc; c++) {
        float u = nc == 3 ? v[c] : nc == 1 ? (v[0] + v[1] + v[2]) / 3.0f : v[MIN (c, 2)];
        x[((size_t) i * nc + c) * hw + p] = 2.0f * u - 1.0f;
      }
    }
}
