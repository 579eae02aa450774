/* StarGAN v2 inference (stargan2_net.h): one parameter store holding the checkpoint's EMA
 * networks, small plans for the style sources, and the generator as a tileable network
 * (engine/tileable.h) with the style code as its condition, so that images of any size go
 * through the CycleGAN path's whole-or-tiled application. */
#include "engine/models/stargan2_net.h"

#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/nn/plan.h"
#include "engine/texture-private.h"   /* vks_texture_normals */
#include "engine/tileable.h"

/* texture.c's stream families are 1 and 2 */
#define LATENT_STREAM_FAMILY 3
#define MEAN_STYLE_BATCH 500

/* One graph with its plan: inputs, the output, the batch size it was made for. */
typedef struct {
  VksGraph *graph;
  VksPlan *plan;
  VksNode x, rows, out;
  int n;
} Net;

struct VksStarGan2 {
  VksContext *ctx;
  VksStarGan2Config cfg;
  char **domains;
  VksParamStore *store;
  Net style;       /* style encoder, one image */
  Net mapping;     /* mapping network, `n` latents */
  VksTileable *generator;   /* condition: the style code */
};

static void
net_clear (Net *n)
{
  g_clear_pointer (&n->plan, vks_plan_free);
  g_clear_pointer (&n->graph, vks_graph_free);
}

void
vks_stargan2_free (VksStarGan2 *net)
{
  if (net == NULL)
    return;
  net_clear (&net->style);
  net_clear (&net->mapping);
  vks_tileable_free (net->generator);
  g_clear_pointer (&net->store, vks_param_store_free);
  g_strfreev (net->domains);
  g_free (net);
}

/* Plans n's graph (already built) against the store, reading `out` back after every run. */
static gboolean
net_plan (VksStarGan2 *net, Net *n, GError **error)
{
  if (!vks_graph_check (n->graph, error))
    return FALSE;
  VksPlanOptions options = { .params = net->store, .readback = &n->out, .n_readback = 1 };
  n->plan = vks_plan_new (net->ctx, n->graph, &n->out, 1, &options, error);
  return n->plan != NULL;
}

static VksNode
build_generator (VksGraph *g, VksNode x, VksNode style, VksInstanceNormHook hook,
                 gpointer hook_data, gconstpointer model)
{
  return vks_stargan2_generator_hooked (g, x, style, model, "generator.", hook, hook_data);
}

VksStarGan2 *
vks_stargan2_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error)
{
  g_autoptr (VksStarGan2) net = g_new0 (VksStarGan2, 1);
  net->ctx = ctx;
  if (!vks_stargan2_check_checkpoint (ckpt, &net->cfg, error))
    return NULL;
  net->domains = vks_stargan2_domains (ckpt, &net->cfg, error);
  const VksStarGan2Config *cfg = &net->cfg;
  int size = cfg->img_size;

  /* the style plan's graph also names the generator's and mapping network's parameters, so the
   * store made from it holds every inference tensor */
  Net *st = &net->style;
  st->graph = vks_graph_new ();
  st->x = vks_input (st->graph, "x", vks_shape (1, 3, size, size));
  st->rows = vks_input (st->graph, "rows", vks_shape (1, 1, 1, 1));
  st->out = vks_stargan2_style_encoder (st->graph, st->x, st->rows, cfg, "style_encoder.");
  VksNode z = vks_input (st->graph, "z", vks_shape (1, 1, 1, cfg->latent_dim));
  VksNode s = vks_stargan2_mapping (st->graph, z, st->rows, cfg, "mapping_network.");
  vks_stargan2_generator (st->graph, st->x, s, cfg, "generator.");
  if (!vks_graph_check (st->graph, error))
    return NULL;
  net->store = vks_param_store_new (ctx, &st->graph, 1, error);
  if (net->store == NULL || !vks_param_store_load (net->store, ckpt, NULL, error) ||
      !net_plan (net, st, error))
    return NULL;
  int grid = 1 << vks_stargan2_generator_downsamplings (cfg);
  VksTileableSpec spec = {
    .build = build_generator, .model = &net->cfg, .input_nc = 3, .output_nc = 3, .grid = grid,
    .min_side = grid, .condition_floats = cfg->style_dim, .instance_norm = TRUE,
    .verb = "Translating", .weights_outside_budget = TRUE,
  };
  net->generator = vks_tileable_new (ctx, &spec, net->store, error);
  if (net->generator == NULL)
    return NULL;
  return g_steal_pointer (&net);
}

VksStarGan2 *
vks_stargan2_load (VksContext *ctx, const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, &local);
  VksStarGan2 *net = ckpt != NULL ? vks_stargan2_new (ctx, ckpt, &local) : NULL;
  if (net == NULL) {
    g_autofree char *base = g_path_get_basename (path);
    g_set_error (error, local->domain, local->code, "%s: %s", base, local->message);
  }
  return net;
}

VksTileable *
vks_stargan2_generator_tileable (VksStarGan2 *net)
{
  return net->generator;
}

const VksStarGan2Config *
vks_stargan2_config (const VksStarGan2 *net)
{
  return &net->cfg;
}

const char *const *
vks_stargan2_domain_names (const VksStarGan2 *net)
{
  return (const char *const *) net->domains;
}

int
vks_stargan2_find_domain (const VksStarGan2 *net, const char *name, GError **error)
{
  for (int d = 0; d < net->cfg.num_domains; d++)
    if (strcmp (net->domains[d], name) == 0)
      return d;
  char *end = NULL;
  gint64 index = g_ascii_strtoll (name, &end, 10);
  if (*name != '\0' && g_ascii_isdigit (*name) && *end == '\0' && index >= 0 &&
      index < net->cfg.num_domains)
    return (int) index;
  g_autofree char *list = g_strjoinv (", ", net->domains);
  g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
               "no domain \"%s\": this model has %s (or their indices 0 to %d)", name, list,
               net->cfg.num_domains - 1);
  return -1;
}

static gboolean
check_domain (const VksStarGan2 *net, int domain, GError **error)
{
  if (domain >= 0 && domain < net->cfg.num_domains)
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "domain %d does not exist (0 to %d)", domain,
               net->cfg.num_domains - 1);
  return FALSE;
}

/* The mapping plan for n latents (made again only when n changes). */
static gboolean
mapping_for (VksStarGan2 *net, int n, GError **error)
{
  Net *m = &net->mapping;
  if (m->plan != NULL && m->n == n)
    return TRUE;
  net_clear (m);
  m->n = n;
  m->graph = vks_graph_new ();
  m->x = vks_input (m->graph, "z", vks_shape (1, 1, n, net->cfg.latent_dim));
  m->rows = vks_input (m->graph, "rows", vks_shape (1, 1, 1, n));
  m->out = vks_stargan2_mapping (m->graph, m->x, m->rows, &net->cfg, "mapping_network.");
  if (!net_plan (net, m, error)) {
    net_clear (m);
    return FALSE;
  }
  return TRUE;
}

/* Runs the mapping network on n latents, all of one domain. */
static gboolean
run_mapping (VksStarGan2 *net, const float *z, int n, int domain, float *styles, GError **error)
{
  if (!check_domain (net, domain, error) || !mapping_for (net, n, error))
    return FALSE;
  g_autofree int *domains = g_new (int, n);
  g_autofree float *rows = g_new (float, n);
  for (int i = 0; i < n; i++)
    domains[i] = domain;
  vks_stargan2_domain_rows (domains, n, net->cfg.num_domains, rows);
  Net *m = &net->mapping;
  return vks_plan_set (m->plan, m->x, z, error) && vks_plan_set (m->plan, m->rows, rows, error) &&
         vks_plan_run (m->plan, error) && vks_plan_get (m->plan, m->out, styles, error);
}

gboolean
vks_stargan2_style_from_latent (VksStarGan2 *net, const float *z, int domain, float *style,
                                GError **error)
{
  return run_mapping (net, z, 1, domain, style, error);
}

void
vks_stargan2_latent (const VksStarGan2 *net, guint64 seed, guint64 index, float *z)
{
  vks_texture_normals (seed, LATENT_STREAM_FAMILY, index, net->cfg.latent_dim, z);
}

gboolean
vks_stargan2_mean_style (VksStarGan2 *net, int domain, int count, float *style, GError **error)
{
  g_return_val_if_fail (count >= 1, FALSE);
  int latent = net->cfg.latent_dim, style_dim = net->cfg.style_dim;
  int batch = MIN (count, MEAN_STYLE_BATCH);
  g_autofree float *z = g_new (float, (gsize) batch * latent);
  g_autofree float *s = g_new (float, (gsize) batch * style_dim);
  g_autofree double *sum = g_new0 (double, style_dim);
  for (int done = 0; done < count; done += batch) {
    int n = MIN (batch, count - done);
    /* a last partial batch repeats its last latent; those rows are not summed */
    for (int i = 0; i < batch; i++) {
      guint64 index = (guint64) (done + MIN (i, n - 1));
      vks_stargan2_latent (net, VKS_STARGAN2_MEAN_STYLE_SEED, index, z + (gsize) i * latent);
    }
    if (!run_mapping (net, z, batch, domain, s, error))
      return FALSE;
    for (int i = 0; i < n; i++)
      for (int k = 0; k < style_dim; k++)
        sum[k] += s[(gsize) i * style_dim + k];
  }
  for (int k = 0; k < style_dim; k++)
    style[k] = (float) (sum[k] / count);
  /* the batch plan is not needed again for single latents */
  net_clear (&net->mapping);
  return TRUE;
}

/* ---- images ---- */

/* PIL's precompute_coeffs for the triangle filter (support 1): output i covers source centre
 * (i + 0.5) * scale, the filter widened by the scale when shrinking. */
static void
bilinear_taps (int in, int out, int *first, int *count, double *weights, int max_taps)
{
  double scale = (double) in / out;
  double fscale = MAX (scale, 1.0);
  double support = fscale;
  for (int i = 0; i < out; i++) {
    double center = (i + 0.5) * scale;
    int x0 = MAX (0, (int) floor (center - support + 0.5));
    int x1 = MIN (in, (int) floor (center + support + 0.5));
    double total = 0.0;
    int n = MIN (x1 - x0, max_taps);
    for (int k = 0; k < n; k++) {
      double d = fabs ((x0 + k - center + 0.5) / fscale);
      double w = d < 1.0 ? 1.0 - d : 0.0;
      weights[(gsize) i * max_taps + k] = w;
      total += w;
    }
    for (int k = 0; k < n; k++)
      weights[(gsize) i * max_taps + k] = total > 0 ? weights[(gsize) i * max_taps + k] / total
                                                    : 0.0;
    first[i] = x0;
    count[i] = n;
  }
}

void
vks_resize_bilinear_pil (const float *src, int src_width, int src_height, int channels,
                         float *dst, int dst_width, int dst_height)
{
  int tx_max = (int) ceil (MAX (1.0, (double) src_width / dst_width)) * 2 + 2;
  int ty_max = (int) ceil (MAX (1.0, (double) src_height / dst_height)) * 2 + 2;
  g_autofree int *fx = g_new (int, dst_width), *nx = g_new (int, dst_width);
  g_autofree int *fy = g_new (int, dst_height), *ny = g_new (int, dst_height);
  g_autofree double *wx = g_new0 (double, (gsize) dst_width * tx_max);
  g_autofree double *wy = g_new0 (double, (gsize) dst_height * ty_max);
  bilinear_taps (src_width, dst_width, fx, nx, wx, tx_max);
  bilinear_taps (src_height, dst_height, fy, ny, wy, ty_max);
  /* horizontal pass, then vertical, as PIL does */
  g_autofree float *mid = g_new (float, (gsize) src_height * dst_width * channels);
  for (int y = 0; y < src_height; y++)
    for (int x = 0; x < dst_width; x++)
      for (int c = 0; c < channels; c++) {
        double v = 0.0;
        for (int k = 0; k < nx[x]; k++)
          v += wx[(gsize) x * tx_max + k] *
               src[((gsize) y * src_width + fx[x] + k) * channels + c];
        mid[((gsize) y * dst_width + x) * channels + c] = (float) v;
      }
  for (int y = 0; y < dst_height; y++)
    for (int x = 0; x < dst_width; x++)
      for (int c = 0; c < channels; c++) {
        double v = 0.0;
        for (int k = 0; k < ny[y]; k++)
          v += wy[(gsize) y * ty_max + k] *
               mid[((gsize) (fy[y] + k) * dst_width + x) * channels + c];
        dst[((gsize) y * dst_width + x) * channels + c] = (float) v;
      }
}

static gboolean
check_image (int width, int height, GError **error)
{
  if (width >= 1 && height >= 1 && width <= (1 << 15) && height <= (1 << 15) &&
      (gint64) width * height <= (1 << 28))
    return TRUE;
  g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE, "cannot process a %dx%d image", width,
               height);
  return FALSE;
}

gboolean
vks_stargan2_style_from_image (VksStarGan2 *net, const float *rgb, int width, int height,
                               int domain, float *style, GError **error)
{
  if (!check_domain (net, domain, error) || !check_image (width, height, error))
    return FALSE;
  int size = net->cfg.img_size;
  gsize plane = (gsize) size * size;
  g_autofree float *resized = g_new (float, 3 * plane);
  g_autofree float *planar = g_new (float, 3 * plane);
  vks_resize_bilinear_pil (rgb, width, height, 3, resized, size, size);
  for (gsize i = 0; i < plane; i++)
    for (int c = 0; c < 3; c++)
      planar[c * plane + i] = resized[i * 3 + c] * 2.0f - 1.0f;
  float row;
  vks_stargan2_domain_rows (&domain, 1, net->cfg.num_domains, &row);
  Net *st = &net->style;
  return vks_plan_set (st->plan, st->x, planar, error) &&
         vks_plan_set (st->plan, st->rows, &row, error) && vks_plan_run (st->plan, error) &&
         vks_plan_get (st->plan, st->out, style, error);
}

gboolean
vks_stargan2_translate (VksStarGan2 *net, const float *rgb_in, float *rgb_out, int width,
                        int height, const float *style, VksProgressFunc progress,
                        gpointer user_data, GError **error)
{
  return check_image (width, height, error) &&
         vks_tileable_apply (net->generator, style, rgb_in, rgb_out, width, height, progress,
                             user_data, error);
}
