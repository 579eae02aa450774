/* Plans of a tileable network (tileable.h) in each statistics mode: the model's builder with
 * each instance norm replaced by a composition of measured and given statistics
 * (vks_norm_statistics, vks_norm_given), so that every model the tiler takes gets the same
 * machinery. */
#include "engine/tileable.h"

#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/nn/analysis.h"
#include "engine/nn/plan.h"

struct VksTileable {
  VksContext *ctx;
  VksTileableSpec spec;
  VksParamStore *store;     /* borrowed */
  int n_stats_layers;       /* instance norms, in network order */
  int *stats_channels;
  int radius;               /* receptive field, input pixels per side */
  VksTileablePlan *whole;   /* vks_tileable_whole_plan's, for whole_h x whole_w */
  int whole_h, whole_w;
};

struct VksTileablePlan {
  VksTileable *net;
  int h, w;
  VksNormStats stats;
  VksGraph *g;
  VksPlan *plan;
  VksNode x, y, region, condition;
  VksNode *given;           /* per instance norm: statistics (GIVEN_MEASURE) or corrections
                             * (CORRECTED) the host sets */
  VksNode *measured;        /* per instance norm: what get_stats returns */
};

/* Builds the network for one size and statistics mode: each instance norm through `hook`. */
typedef struct {
  VksNormStats stats;       /* OWN: no hook, the builder's plain norms */
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
build_network (const VksTileableSpec *spec, int h, int w, VksNormStats stats, Build *b,
               VksNode *x, VksNode *condition, VksNode *y)
{
  *b = (Build) { .stats = spec->instance_norm ? stats : VKS_NORM_STATS_OWN, .width = w,
                 .region = VKS_NONE };
  b->given = g_array_new (FALSE, FALSE, sizeof (VksNode));
  b->measured = g_array_new (FALSE, FALSE, sizeof (VksNode));
  b->channels = g_array_new (FALSE, FALSE, sizeof (int));
  VksGraph *g = vks_graph_new ();
  *x = vks_input (g, "input", vks_shape (1, spec->input_nc, h, w));
  *condition = spec->condition_floats > 0
    ? vks_input (g, "condition", vks_shape (1, 1, 1, spec->condition_floats)) : VKS_NONE;
  if (b->stats == VKS_NORM_STATS_GIVEN_MEASURE)
    b->region = vks_input (g, "region", vks_shape (1, 1, 1, 4));
  /* Whole images take the builder's own norms (StarGAN v2's fused AdaIN among them). */
  *y = spec->build (g, *x, *condition, b->stats == VKS_NORM_STATS_OWN ? NULL : norm_hook, b,
                    spec->model);
  return g;
}

VksTileable *
vks_tileable_new (VksContext *ctx, const VksTileableSpec *spec, VksParamStore *store,
                  GError **error)
{
  g_return_val_if_fail (spec->grid > 0 && spec->min_side % spec->grid == 0, NULL);
  g_autoptr (VksTileable) net = g_new0 (VksTileable, 1);
  net->ctx = ctx;
  net->spec = *spec;
  net->store = store;
  Build b;
  VksNode x, condition, y;
  g_autoptr (VksGraph) g = build_network (spec, spec->min_side, spec->min_side,
                                          VKS_NORM_STATS_RECORD, &b, &x, &condition, &y);
  net->n_stats_layers = spec->instance_norm ? b.n : 0;
  net->stats_channels = g_memdup2 (b.channels->data, MAX (b.n, 1) * sizeof (int));
  build_clear (&b);
  if (!vks_graph_check (g, error))
    return NULL;
  net->radius = vks_graph_receptive_radius (g, x, y);
  if (net->radius < 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "this network mixes all pixels of its input: it cannot run in tiles");
    return NULL;
  }
  return g_steal_pointer (&net);
}

void
vks_tileable_free (VksTileable *net)
{
  if (net == NULL)
    return;
  vks_tileable_plan_free (net->whole);
  g_free (net->stats_channels);
  g_free (net);
}

const VksTileableSpec *
vks_tileable_spec (const VksTileable *net)
{
  return &net->spec;
}

VksContext *
vks_tileable_context (const VksTileable *net)
{
  return net->ctx;
}

int
vks_tileable_margin (const VksTileable *net)
{
  const char *env = g_getenv ("VKSTYLE_TILE_MARGIN");
  if (env != NULL && *env != '\0')
    return (int) CLAMP (strtol (env, NULL, 10), 0, 4096) / 4 * 4;
  /* The CycleGAN generator's radius, 15 + 8 x blocks, is where the tiled result's error was
   * measured to fall to float noise (docs/performance.md). */
  int grid = MAX (net->spec.grid, 4);
  return (net->radius + grid - 1) / grid * grid;
}

gsize
vks_tileable_stats_floats (const VksTileable *net)
{
  gsize n = 0;
  for (int i = 0; i < net->n_stats_layers; i++)
    n += 2 * (gsize) net->stats_channels[i];
  return n;
}

int
vks_tileable_stats_channels (const VksTileable *net, int *channels)
{
  if (channels != NULL)
    memcpy (channels, net->stats_channels, net->n_stats_layers * sizeof (int));
  return net->n_stats_layers;
}

static gboolean
check_size (const VksTileableSpec *spec, int h, int w, GError **error)
{
  if (h % spec->grid || w % spec->grid || h < spec->min_side || w < spec->min_side) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "the network takes sides that are multiples of %d and at least %d, not %dx%d",
                 spec->grid, spec->min_side, w, h);
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
vks_tileable_plan_bytes (VksTileable *net, int height, int width, VksNormStats stats,
                         VkDeviceSize *bytes, GError **error)
{
  if (!check_size (&net->spec, height, width, error))
    return FALSE;
  Build b;
  VksNode x, condition, y;
  g_autoptr (VksGraph) g = build_network (&net->spec, height, width, stats, &b, &x, &condition,
                                          &y);
  int n = 0;
  g_autofree VksNode *outs = plan_outputs (y, &b, &n);
  build_clear (&b);
  VksPlanStats st;
  VksPlanOptions opts = { .params = net->store };
  if (!vks_graph_check (g, error) ||
      !vks_plan_measure (net->ctx, g, outs, n, &opts, &st, error))
    return FALSE;
  /* packed weights and their gather map; the input upload and the output readback */
  *bytes = st.arena_bytes + 2 * st.packed_bytes + 2 * st.leaf_bytes;
  return TRUE;
}

VksTileablePlan *
vks_tileable_plan_new (VksTileable *net, int h, int w, VksNormStats stats, GError **error)
{
  if (!check_size (&net->spec, h, w, error))
    return NULL;
  g_autoptr (VksTileablePlan) plan = g_new0 (VksTileablePlan, 1);
  plan->net = net;
  plan->h = h;
  plan->w = w;
  Build b;
  plan->g = build_network (&net->spec, h, w, stats, &b, &plan->x, &plan->condition, &plan->y);
  plan->stats = b.stats;
  plan->region = b.region;
  plan->given = g_memdup2 (b.given->data, (b.given->len + 1) * sizeof (VksNode));
  plan->measured = g_memdup2 (b.measured->data, (b.measured->len + 1) * sizeof (VksNode));
  int n = 0;
  g_autofree VksNode *outs = plan_outputs (plan->y, &b, &n);
  build_clear (&b);
  VksPlanOptions opts = { .params = net->store, .readback = outs, .n_readback = n };
  if (!vks_graph_check (plan->g, error))
    return NULL;
  plan->plan = vks_plan_new (net->ctx, plan->g, outs, n, &opts, error);
  if (plan->plan == NULL)
    return NULL;
  if (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE)
    vks_tileable_plan_set_region (plan, 0, h, 0, w);
  if (plan->stats == VKS_NORM_STATS_CORRECTED) {
    g_autofree float *identity = g_new0 (float, vks_tileable_stats_floats (net));
    for (gsize at = 0, l = 0; l < (gsize) net->n_stats_layers; l++) {
      int ch = net->stats_channels[l];
      for (int c = 0; c < ch; c++)
        identity[at + ch + c] = 1.0f;
      at += 2 * (gsize) ch;
    }
    vks_tileable_plan_set_corrections (plan, identity);
  }
  return g_steal_pointer (&plan);
}

/* Host statistics are packed: mean[C], var[C] per instance norm, in network order. */
static void
stats_copy (VksTileablePlan *plan, const VksNode *nodes, float *packed, gboolean to_plan)
{
  gsize at = 0;
  for (int i = 0; i < plan->net->n_stats_layers; i++) {
    GError *error = NULL;
    gboolean ok = to_plan ? vks_plan_set (plan->plan, nodes[i], packed + at, &error)
                          : vks_plan_get (plan->plan, nodes[i], packed + at, &error);
    /* inputs and read-back outputs: host memory copies that cannot fail */
    g_assert_true (ok);
    at += 2 * (gsize) plan->net->stats_channels[i];
  }
}

void
vks_tileable_plan_set_stats (VksTileablePlan *plan, const float *stats)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE);
  stats_copy (plan, plan->given, (float *) stats, TRUE);
}

void
vks_tileable_plan_set_corrections (VksTileablePlan *plan, const float *corrections)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_CORRECTED);
  stats_copy (plan, plan->given, (float *) corrections, TRUE);
}

void
vks_tileable_plan_get_stats (const VksTileablePlan *plan, float *stats)
{
  g_return_if_fail (plan->stats != VKS_NORM_STATS_OWN);
  stats_copy ((VksTileablePlan *) plan, plan->measured, stats, FALSE);
}

void
vks_tileable_plan_set_region (VksTileablePlan *plan, int y0, int y1, int x0, int x1)
{
  int grid = plan->net->spec.grid;
  g_return_if_fail (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE);
  g_return_if_fail (y0 % grid == 0 && y1 % grid == 0 && x0 % grid == 0 && x1 % grid == 0);
  g_return_if_fail (0 <= y0 && y0 <= y1 && y1 <= plan->h && 0 <= x0 && x0 <= x1 && x1 <= plan->w);
  float rect[4] = { (float) y0, (float) y1, (float) x0, (float) x1 };
  gboolean ok = vks_plan_set (plan->plan, plan->region, rect, NULL);
  g_assert_true (ok);
}

void
vks_tileable_plan_set_condition (VksTileablePlan *plan, const float *condition)
{
  if (plan->condition == VKS_NONE)
    return;
  gboolean ok = vks_plan_set (plan->plan, plan->condition, condition, NULL);
  g_assert_true (ok);   /* an input: a host memory copy */
}

gboolean
vks_tileable_plan_run_until (VksTileablePlan *plan, const float *input, float *output,
                             VksKeepGoing keep_going, gpointer user_data, GError **error)
{
  return vks_plan_set (plan->plan, plan->x, input, error) &&
         vks_plan_run_until (plan->plan, keep_going, user_data, error) &&
         vks_plan_get (plan->plan, plan->y, output, error);
}

void
vks_tileable_plan_free (VksTileablePlan *plan)
{
  if (plan == NULL)
    return;
  vks_plan_free (plan->plan);
  vks_graph_free (plan->g);
  g_free (plan->given);
  g_free (plan->measured);
  g_free (plan);
}

gboolean
vks_tileable_has_whole_plan (const VksTileable *net, int height, int width)
{
  return net->whole != NULL && net->whole_h == height && net->whole_w == width;
}

VksTileablePlan *
vks_tileable_whole_plan (VksTileable *net, int height, int width, GError **error)
{
  if (vks_tileable_has_whole_plan (net, height, width))
    return net->whole;
  vks_tileable_drop_whole (net);
  net->whole = vks_tileable_plan_new (net, height, width, VKS_NORM_STATS_OWN, error);
  net->whole_h = height;
  net->whole_w = width;
  return net->whole;
}

void
vks_tileable_drop_whole (VksTileable *net)
{
  g_clear_pointer (&net->whole, vks_tileable_plan_free);
}
