/* The CycleGAN generator for the CLI, the plug-in and the tiler: the graph builder of
 * engine/models/cyclegan.c as a tileable network (engine/tileable.c makes its plans in every
 * statistics mode), the parameters in one store shared by every plan of a model. */
#include "engine/generator.h"

#include "engine/models/cyclegan.h"
#include "engine/nn/analysis.h"

struct VksGenerator {
  VksContext *ctx;
  VksGeneratorConfig cfg;
  VksParamStore *store;
  VksTileable *net;
};

const VksGeneratorConfig *
vks_generator_config (const VksGenerator *gen)
{
  return &gen->cfg;
}

VksTileable *
vks_generator_tileable (VksGenerator *gen)
{
  return gen->net;
}

static VksNode
build (VksGraph *g, VksNode x, VksNode condition, VksInstanceNormHook hook, gpointer hook_data,
       gconstpointer model)
{
  (void) condition;
  return vks_cyclegan_generator_hooked (g, x, model, NULL, hook, hook_data);
}

VksGenerator *
vks_generator_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error)
{
  g_autoptr (VksGenerator) gen = g_new0 (VksGenerator, 1);
  gen->ctx = ctx;
  if (!vks_generator_config_from_checkpoint (ckpt, &gen->cfg, error))
    return NULL;
  /* Parameters do not depend on the size: a small network names them all. */
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "input", vks_shape (1, gen->cfg.input_nc, VKS_GENERATOR_MIN_SIDE,
                                               VKS_GENERATOR_MIN_SIDE));
  vks_cyclegan_generator_hooked (g, x, &gen->cfg, NULL, NULL, NULL);
  if (!vks_graph_check (g, error))
    return NULL;
  gen->store = vks_param_store_new (ctx, &g, 1, error);
  if (gen->store == NULL || !vks_param_store_load (gen->store, ckpt, NULL, error))
    return NULL;
  VksTileableSpec spec = {
    .build = build, .model = &gen->cfg, .input_nc = gen->cfg.input_nc,
    .output_nc = gen->cfg.output_nc, .grid = VKS_GENERATOR_GRID,
    .min_side = VKS_GENERATOR_MIN_SIDE, .instance_norm = gen->cfg.norm == VKS_NORM_INSTANCE,
    .verb = "Stylizing",
  };
  gen->net = vks_tileable_new (ctx, &spec, gen->store, error);
  if (gen->net == NULL)
    return NULL;
  return g_steal_pointer (&gen);
}

void
vks_generator_free (VksGenerator *gen)
{
  if (gen == NULL)
    return;
  vks_tileable_free (gen->net);
  vks_param_store_free (gen->store);
  g_free (gen);
}

gsize
vks_generator_stats_floats (const VksGenerator *gen)
{
  return vks_tileable_stats_floats (gen->net);
}

int
vks_generator_stats_channels (const VksGenerator *gen, int *channels)
{
  return vks_tileable_stats_channels (gen->net, channels);
}

gboolean
vks_generator_plan_bytes (VksGenerator *gen, int height, int width, VksNormStats stats,
                          VkDeviceSize *bytes, GError **error)
{
  return vks_tileable_plan_bytes (gen->net, height, width, stats, bytes, error);
}

VksGeneratorPlan *
vks_generator_plan_new_with_stats (VksGenerator *gen, int h, int w, VksNormStats stats,
                                   GError **error)
{
  return vks_tileable_plan_new (gen->net, h, w, stats, error);
}

VksGeneratorPlan *
vks_generator_plan_new (VksGenerator *gen, int h, int w, GError **error)
{
  return vks_tileable_plan_new (gen->net, h, w, VKS_NORM_STATS_OWN, error);
}

void
vks_generator_plan_set_stats (VksGeneratorPlan *plan, const float *stats)
{
  vks_tileable_plan_set_stats (plan, stats);
}

void
vks_generator_plan_set_corrections (VksGeneratorPlan *plan, const float *corrections)
{
  vks_tileable_plan_set_corrections (plan, corrections);
}

void
vks_generator_plan_get_stats (const VksGeneratorPlan *plan, float *stats)
{
  vks_tileable_plan_get_stats (plan, stats);
}

void
vks_generator_plan_set_region (VksGeneratorPlan *plan, int y0, int y1, int x0, int x1)
{
  vks_tileable_plan_set_region (plan, y0, y1, x0, x1);
}

gboolean
vks_generator_plan_run_until (VksGeneratorPlan *plan, const float *input, float *output,
                              VksKeepGoing keep_going, gpointer user_data, GError **error)
{
  return vks_tileable_plan_run_until (plan, input, output, keep_going, user_data, error);
}

gboolean
vks_generator_plan_run (VksGeneratorPlan *plan, const float *input, float *output, GError **error)
{
  return vks_tileable_plan_run_until (plan, input, output, NULL, NULL, error);
}

void
vks_generator_plan_free (VksGeneratorPlan *plan)
{
  vks_tileable_plan_free (plan);
}

double
vks_generator_flops (const VksGeneratorConfig *c, int height, int width)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "input", vks_shape (1, c->input_nc, height, width));
  VksNode y = vks_cyclegan_generator_hooked (g, x, c, NULL, NULL, NULL);
  return vks_graph_check (g, NULL) ? vks_graph_flops (g, y) : 0;
}
