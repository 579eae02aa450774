/* The CycleGAN generator for the CLI, the plug-in and the tiler: the graph builder of
 * engine/models/cyclegan.c planned once per input size, the parameters in one store shared by
 * every plan of a model. The tiler's statistics modes are the builder with each instance norm
 * replaced by a composition of measured and given statistics (vks_norm_statistics,
 * vks_norm_given). */
#include "engine/generator.h"

#include <string.h>

#include "engine/models/cyclegan.h"
#include "engine/nn/analysis.h"
#include "engine/nn/plan.h"

struct VksGenerator {
  VksContext *ctx;
  VksGeneratorConfig cfg;
  VksParamStore *store;
  int n_stats_layers;       /* instance norms, in network order */
  int *stats_channels;
};

struct VksGeneratorPlan {
  VksGenerator *gen;
  int h, w;
  VksNormStats stats;
  VksGraph *g;
  VksPlan *plan;
  VksNode x, y, region;
  VksNode *given;           /* per instance norm: statistics (GIVEN_MEASURE) or corrections
                             * (CORRECTED) the host sets */
  VksNode *measured;        /* per instance norm: what get_stats returns */
};

const VksGeneratorConfig *
vks_generator_config (const VksGenerator *gen)
{
  return &gen->cfg;
}

/* Builds the network for one size and statistics mode: each instance norm through `hook`. */
typedef struct {
  VksNormStats stats;
  int width;                /* of the network input, for the regions' scale */
  VksNode region;
  int n;                    /* instance norms so far */
  GArray *given, *measured, *channels;
} Build;

static VksNode
norm_hook (VksGraph *g, VksNode y, VksActivation act, VksNode residual, gpointer data)
{
  Build *b = data;
  if (y == VKS_NONE)   /* an earlier builder error: the graph reports it */
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, y);
  int k = b->n++;
  g_array_append_val (b->channels, s.c);
  VksNode given = VKS_NONE, measured = VKS_NONE, out;
  g_autofree char *name = NULL;
  switch (b->stats) {
  case VKS_NORM_STATS_RECORD:
    measured = vks_norm_statistics (g, y, VKS_NONE, VKS_NONE, 0);
    out = vks_norm_given (g, y, measured, act, 0.0f, residual);
    break;
  case VKS_NORM_STATS_CORRECTED:
    name = g_strdup_printf ("corrections.%d", k);
    given = vks_input (g, name, vks_shape (1, 1, 1, 2 * s.c));
    measured = vks_norm_statistics (g, y, VKS_NONE, given, 0);
    out = vks_norm_given (g, y, measured, act, 0.0f, residual);
    break;
  case VKS_NORM_STATS_GIVEN_MEASURE: {
    int shift = 0;
    while ((s.w << shift) < b->width)
      shift++;
    name = g_strdup_printf ("stats.%d", k);
    given = vks_input (g, name, vks_shape (1, 1, 1, 2 * s.c));
    measured = vks_norm_statistics (g, y, b->region, VKS_NONE, shift);
    out = vks_norm_given (g, y, given, act, 0.0f, residual);
    break;
  }
  default:
    out = vks_instance_norm (g, y, act, residual);
    break;
  }
  g_array_append_val (b->given, given);
  g_array_append_val (b->measured, measured);
  return out;
}

static void
build_clear (Build *b)
{
  g_array_free (b->given, TRUE);
  g_array_free (b->measured, TRUE);
  g_array_free (b->channels, TRUE);
}

static VksGraph *
build_network (const VksGeneratorConfig *cfg, int h, int w, VksNormStats stats, Build *b,
               VksNode *x, VksNode *y)
{
  *b = (Build) { .stats = cfg->norm == VKS_NORM_INSTANCE ? stats : VKS_NORM_STATS_OWN,
                 .width = w, .region = VKS_NONE };
  b->given = g_array_new (FALSE, FALSE, sizeof (VksNode));
  b->measured = g_array_new (FALSE, FALSE, sizeof (VksNode));
  b->channels = g_array_new (FALSE, FALSE, sizeof (int));
  VksGraph *g = vks_graph_new ();
  *x = vks_input (g, "input", vks_shape (1, cfg->input_nc, h, w));
  if (b->stats == VKS_NORM_STATS_GIVEN_MEASURE)
    b->region = vks_input (g, "region", vks_shape (1, 1, 1, 4));
  *y = vks_cyclegan_generator_hooked (g, *x, cfg, NULL, norm_hook, b);
  return g;
}

VksGenerator *
vks_generator_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error)
{
  g_autoptr (VksGenerator) gen = g_new0 (VksGenerator, 1);
  gen->ctx = ctx;
  if (!vks_generator_config_from_checkpoint (ckpt, &gen->cfg, error))
    return NULL;
  /* Parameters do not depend on the size: a small network names them all. */
  Build b;
  VksNode x, y;
  g_autoptr (VksGraph) g = build_network (&gen->cfg, VKS_GENERATOR_MIN_SIDE,
                                          VKS_GENERATOR_MIN_SIDE, VKS_NORM_STATS_RECORD, &b, &x,
                                          &y);
  gen->n_stats_layers = gen->cfg.norm == VKS_NORM_INSTANCE ? b.n : 0;
  gen->stats_channels = g_memdup2 (b.channels->data, MAX (b.n, 1) * sizeof (int));
  build_clear (&b);
  if (!vks_graph_check (g, error))
    return NULL;
  gen->store = vks_param_store_new (ctx, &g, 1, error);
  if (gen->store == NULL || !vks_param_store_load (gen->store, ckpt, NULL, error))
    return NULL;
  return g_steal_pointer (&gen);
}

void
vks_generator_free (VksGenerator *gen)
{
  if (gen == NULL)
    return;
  vks_param_store_free (gen->store);
  g_free (gen->stats_channels);
  g_free (gen);
}

gsize
vks_generator_stats_floats (const VksGenerator *gen)
{
  gsize n = 0;
  for (int i = 0; i < gen->n_stats_layers; i++)
    n += 2 * (gsize) gen->stats_channels[i];
  return n;
}

int
vks_generator_stats_channels (const VksGenerator *gen, int *channels)
{
  if (channels != NULL)
    memcpy (channels, gen->stats_channels, gen->n_stats_layers * sizeof (int));
  return gen->n_stats_layers;
}

static gboolean
check_size (int h, int w, GError **error)
{
  if (h % 4 || w % 4 || h < VKS_GENERATOR_MIN_SIDE || w < VKS_GENERATOR_MIN_SIDE) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "the generator takes sides that are multiples of 4 and at least %d, not %dx%d",
                 VKS_GENERATOR_MIN_SIDE, w, h);
    return FALSE;
  }
  /* sizes are computed in 64 bits from here on; this keeps h * w itself within int */
  if ((gint64) h * w > (1 << 30)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a %dx%d image is too large to process in one piece", w, h);
    return FALSE;
  }
  return TRUE;
}

/* The plan's outputs: the image, then each layer's measured statistics. */
static VksNode *
plan_outputs (VksNode y, const Build *b, int *n)
{
  VksNode *outs = g_new (VksNode, b->measured->len + 1);
  outs[0] = y;
  *n = 1;
  for (guint i = 0; i < b->measured->len; i++)
    if (g_array_index (b->measured, VksNode, i) != VKS_NONE)
      outs[(*n)++] = g_array_index (b->measured, VksNode, i);
  return outs;
}

gboolean
vks_generator_plan_bytes (VksGenerator *gen, int height, int width, VksNormStats stats,
                          VkDeviceSize *bytes, GError **error)
{
  if (!check_size (height, width, error))
    return FALSE;
  Build b;
  VksNode x, y;
  g_autoptr (VksGraph) g = build_network (&gen->cfg, height, width, stats, &b, &x, &y);
  int n = 0;
  g_autofree VksNode *outs = plan_outputs (y, &b, &n);
  build_clear (&b);
  VksPlanStats st;
  VksPlanOptions opts = { .params = gen->store };
  if (!vks_graph_check (g, error) ||
      !vks_plan_measure (gen->ctx, g, outs, n, &opts, &st, error))
    return FALSE;
  /* packed weights and their gather map; the input upload and the output readback */
  *bytes = st.arena_bytes + 2 * st.packed_bytes + 2 * st.leaf_bytes;
  return TRUE;
}

VksGeneratorPlan *
vks_generator_plan_new_with_stats (VksGenerator *gen, int h, int w, VksNormStats stats,
                                   GError **error)
{
  if (!check_size (h, w, error))
    return NULL;
  g_autoptr (VksGeneratorPlan) plan = g_new0 (VksGeneratorPlan, 1);
  plan->gen = gen;
  plan->h = h;
  plan->w = w;
  Build b;
  plan->g = build_network (&gen->cfg, h, w, stats, &b, &plan->x, &plan->y);
  plan->stats = b.stats;
  plan->region = b.region;
  plan->given = g_memdup2 (b.given->data, (b.given->len + 1) * sizeof (VksNode));
  plan->measured = g_memdup2 (b.measured->data, (b.measured->len + 1) * sizeof (VksNode));
  int n = 0;
  g_autofree VksNode *outs = plan_outputs (plan->y, &b, &n);
  build_clear (&b);
  VksPlanOptions opts = { .params = gen->store, .readback = outs, .n_readback = n };
  if (!vks_graph_check (plan->g, error))
    return NULL;
  plan->plan = vks_plan_new (gen->ctx, plan->g, outs, n, &opts, error);
  if (plan->plan == NULL)
    return NULL;
  if (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE)
    vks_generator_plan_set_region (plan, 0, h, 0, w);
  if (plan->stats == VKS_NORM_STATS_CORRECTED) {
    g_autofree float *identity = g_new0 (float, vks_generator_stats_floats (gen));
    for (gsize at = 0, l = 0; l < (gsize) gen->n_stats_layers; l++) {
      int ch = gen->stats_channels[l];
      for (int c = 0; c < ch; c++)
        identity[at + ch + c] = 1.0f;
      at += 2 * (gsize) ch;
    }
    vks_generator_plan_set_corrections (plan, identity);
  }
  return g_steal_pointer (&plan);
}

VksGeneratorPlan *
vks_generator_plan_new (VksGenerator *gen, int h, int w, GError **error)
{
  return vks_generator_plan_new_with_stats (gen, h, w, VKS_NORM_STATS_OWN, error);
}

/* Host statistics are packed: mean[C], var[C] per instance norm, in network order. */
static void
stats_copy (VksGeneratorPlan *plan, const VksNode *nodes, float *packed, gboolean to_plan)
{
  gsize at = 0;
  for (int i = 0; i < plan->gen->n_stats_layers; i++) {
    GError *error = NULL;
    gboolean ok = to_plan ? vks_plan_set (plan->plan, nodes[i], packed + at, &error)
                          : vks_plan_get (plan->plan, nodes[i], packed + at, &error);
    /* inputs and read-back outputs: host memory copies that cannot fail */
    g_assert_true (ok);
    at += 2 * (gsize) plan->gen->stats_channels[i];
  }
}

void
vks_generator_plan_set_stats (VksGeneratorPlan *plan, const float *stats)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE);
  stats_copy (plan, plan->given, (float *) stats, TRUE);
}

void
vks_generator_plan_set_corrections (VksGeneratorPlan *plan, const float *corrections)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_CORRECTED);
  stats_copy (plan, plan->given, (float *) corrections, TRUE);
}

void
vks_generator_plan_get_stats (const VksGeneratorPlan *plan, float *stats)
{
  g_return_if_fail (plan->stats != VKS_NORM_STATS_OWN);
  stats_copy ((VksGeneratorPlan *) plan, plan->measured, stats, FALSE);
}

void
vks_generator_plan_set_region (VksGeneratorPlan *plan, int y0, int y1, int x0, int x1)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE);
  g_return_if_fail (y0 % 4 == 0 && y1 % 4 == 0 && x0 % 4 == 0 && x1 % 4 == 0);
  g_return_if_fail (0 <= y0 && y0 <= y1 && y1 <= plan->h && 0 <= x0 && x0 <= x1 && x1 <= plan->w);
  float rect[4] = { (float) y0, (float) y1, (float) x0, (float) x1 };
  gboolean ok = vks_plan_set (plan->plan, plan->region, rect, NULL);
  g_assert_true (ok);
}

gboolean
vks_generator_plan_run_until (VksGeneratorPlan *plan, const float *input, float *output,
                              VksKeepGoing keep_going, gpointer user_data, GError **error)
{
  return vks_plan_set (plan->plan, plan->x, input, error) &&
         vks_plan_run_until (plan->plan, keep_going, user_data, error) &&
         vks_plan_get (plan->plan, plan->y, output, error);
}

gboolean
vks_generator_plan_run (VksGeneratorPlan *plan, const float *input, float *output, GError **error)
{
  return vks_generator_plan_run_until (plan, input, output, NULL, NULL, error);
}

void
vks_generator_plan_free (VksGeneratorPlan *plan)
{
  if (plan == NULL)
    return;
  vks_plan_free (plan->plan);
  vks_graph_free (plan->g);
  g_free (plan->given);
  g_free (plan->measured);
  g_free (plan);
}

double
vks_generator_flops (const VksGeneratorConfig *c, int height, int width)
{
  Build b;
  VksNode x, y;
  g_autoptr (VksGraph) g = build_network (c, height, width, VKS_NORM_STATS_OWN, &b, &x, &y);
  build_clear (&b);
  return vks_graph_check (g, NULL) ? vks_graph_flops (g, y) : 0;
}
