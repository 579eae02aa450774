#include "engine/generator.h"

#include <string.h>

/* Largest column-matrix chunk of one convolution: large enough that chunking costs only a few
 * extra dispatches, small enough to leave room for activations on small devices. */
#define SCRATCH_BUDGET (64u << 20)
#define NORM_EPS 1e-5f
/* Work after which a plan's recording ends a segment, so that a run can be cancelled between
 * them (vks_generator_plan_run_until): about 0.1 s on lavapipe here, many segments of a few
 * milliseconds on a GPU. Splits fall between layers only. */
#define SEGMENT_FLOPS 4e9

typedef struct {
  VksConv conv;
  VksNorm norm;
  gboolean has_norm;
  char *prefix;            /* "model.4" or "model.10.conv_block.1" */
  int norm_index;          /* model.N of its norm layer (batch norm tensors) */
  char *norm_prefix;
} Layer;

struct VksGenerator {
  VksContext *ctx;
  VksGeneratorConfig cfg;
  guint n_layers;
  Layer *layers;           /* c7s1, down, down, 2 per block, up, up, c7s1 out */
  VksBuffer *weights;
};

const VksGeneratorConfig *
vks_generator_config (const VksGenerator *gen)
{
  return &gen->cfg;
}

static gboolean
add_layer (VksGenerator *gen, VksArena *arena, const char *prefix, const char *norm_prefix,
           const VksConvDesc *desc, GError **error)
{
  Layer *l = &gen->layers[gen->n_layers++];
  l->prefix = g_strdup (prefix);
  if (!vks_conv_init (&l->conv, desc, arena, error))
    return FALSE;
  if (norm_prefix != NULL) {
    gboolean instance = gen->cfg.norm == VKS_NORM_INSTANCE;
    l->has_norm = TRUE;
    l->norm_prefix = g_strdup (norm_prefix);
    /* ReLU follows every norm except the second one of a residual block. */
    gboolean relu = strstr (prefix, "conv_block.5") == NULL;
    vks_norm_init (&l->norm, desc->cout, instance, !instance, relu ? VKS_ACT_RELU : VKS_ACT_NONE,
                   0.0f, NORM_EPS, arena);
  }
  return TRUE;
}

static gboolean
build_layers (VksGenerator *gen, VksArena *arena, GError **error)
{
  const VksGeneratorConfig *c = &gen->cfg;
  int nb = c->n_blocks, ngf = c->ngf;
  gen->layers = g_new0 (Layer, 6 + 2 * nb);  /* 3 in, 2 per block, 3 out */
  char p[64], n[64];
#define CONV(ci, co, k, s, pd, refl, tr, ac) \
  (VksConvDesc) { .cin = ci, .cout = co, .kh = k, .kw = k, .stride = s, .pad = pd, \
                  .reflect = refl, .transposed = tr, .output_pad = tr ? 1 : 0, .act = ac }
  VksConvDesc d = CONV (c->input_nc, ngf, 7, 1, 3, TRUE, FALSE, VKS_ACT_NONE);
  if (!add_layer (gen, arena, "model.1", "model.2", &d, error))
    return FALSE;
  d = CONV (ngf, 2 * ngf, 3, 2, 1, FALSE, FALSE, VKS_ACT_NONE);
  if (!add_layer (gen, arena, "model.4", "model.5", &d, error))
    return FALSE;
  d = CONV (2 * ngf, 4 * ngf, 3, 2, 1, FALSE, FALSE, VKS_ACT_NONE);
  if (!add_layer (gen, arena, "model.7", "model.8", &d, error))
    return FALSE;
  for (int b = 0; b < nb; b++)
    for (int half = 0; half < 2; half++) {
      g_snprintf (p, sizeof p, "model.%d.conv_block.%d", 10 + b, half ? 5 : 1);
      g_snprintf (n, sizeof n, "model.%d.conv_block.%d", 10 + b, half ? 6 : 2);
      d = CONV (4 * ngf, 4 * ngf, 3, 1, 1, TRUE, FALSE, VKS_ACT_NONE);
      if (!add_layer (gen, arena, p, n, &d, error))
        return FALSE;
    }
  for (int u = 0; u < 2; u++) {
    g_snprintf (p, sizeof p, "model.%d", 10 + nb + 3 * u);
    g_snprintf (n, sizeof n, "model.%d", 11 + nb + 3 * u);
    int cin = (4 >> u) * ngf;
    d = CONV (cin, cin / 2, 3, 2, 1, FALSE, TRUE, VKS_ACT_NONE);
    if (!add_layer (gen, arena, p, n, &d, error))
      return FALSE;
  }
  g_snprintf (p, sizeof p, "model.%d", 17 + nb);
  d = CONV (ngf, c->output_nc, 7, 1, 3, TRUE, FALSE, VKS_ACT_TANH);
#undef CONV
  return add_layer (gen, arena, p, NULL, &d, error);
}

static const float *
tensor_data (const VksCheckpoint *ckpt, const char *prefix, const char *suffix)
{
  g_autofree char *name = g_strconcat (prefix, ".", suffix, NULL);
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (ckpt, name);
  return t != NULL ? t->data : NULL;
}

static gboolean
upload (VksContext *ctx, VksBuffer *dst, const void *data, VkDeviceSize size, GError **error)
{
  VksBuffer *staging = vks_buffer_new (ctx, size, VKS_MEMORY_UPLOAD, "model upload", error);
  if (staging == NULL)
    return FALSE;
  memcpy (staging->mapped, data, size);
  g_autoptr (VksRecorder) rec = vks_recorder_new (ctx, error);
  gboolean ok = rec != NULL;
  if (ok) {
    vks_recorder_copy (rec, staging, 0, dst, 0, size);
    ok = vks_recorder_finish (rec, error) && vks_recorder_run (rec, error);
  }
  vks_buffer_free (ctx, staging);
  return ok;
}

VksGenerator *
vks_generator_new (VksContext *ctx, const VksCheckpoint *ckpt, GError **error)
{
  g_autoptr (VksGenerator) gen = g_new0 (VksGenerator, 1);
  gen->ctx = ctx;
  if (!vks_generator_config_from_checkpoint (ckpt, &gen->cfg, error))
    return NULL;
  VksArena arena;
  vks_arena_init (&arena, ctx);
  if (!build_layers (gen, &arena, error))
    return NULL;

  g_autofree guint8 *host = g_try_malloc0 (arena.size);
  if (host == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY, "out of memory for %.0f MiB of weights",
                 arena.size / 1048576.0);
    return NULL;
  }
  for (guint i = 0; i < gen->n_layers; i++) {
    Layer *l = &gen->layers[i];
    vks_conv_pack (&l->conv, tensor_data (ckpt, l->prefix, "weight"),
                   tensor_data (ckpt, l->prefix, "bias"), host);
    if (l->has_norm)
      vks_norm_pack (&l->norm, tensor_data (ckpt, l->norm_prefix, "weight"),
                     tensor_data (ckpt, l->norm_prefix, "bias"),
                     tensor_data (ckpt, l->norm_prefix, "running_mean"),
                     tensor_data (ckpt, l->norm_prefix, "running_var"), host);
  }
  gen->weights = vks_buffer_new (ctx, arena.size, VKS_MEMORY_DEVICE, "model weights", error);
  if (gen->weights == NULL || !upload (ctx, gen->weights, host, arena.size, error))
    return NULL;
  for (guint i = 0; i < gen->n_layers; i++) {
    gen->layers[i].conv.weights = gen->weights;
    gen->layers[i].norm.params = gen->weights;
  }
  return g_steal_pointer (&gen);
}

void
vks_generator_free (VksGenerator *gen)
{
  if (gen == NULL)
    return;
  for (guint i = 0; i < gen->n_layers; i++) {
    g_free (gen->layers[i].prefix);
    g_free (gen->layers[i].norm_prefix);
  }
  g_free (gen->layers);
  vks_buffer_free (gen->ctx, gen->weights);
  g_free (gen);
}


enum { NORM_MODE_STATISTICS = 3 };  /* norm.comp MODE */

/* Where each piece of a plan lives: computed before anything is allocated, so that the limits
 * can be checked first and the tiler can size tiles without allocating. */
typedef struct {
  VksTensor in, full, half, q[3], out;
  VkDeviceSize scratch_offset, scratch;
  VkDeviceSize stats_offset, stats_bytes;  /* arena region of the norm statistics */
  VkDeviceSize region_at;                  /* GIVEN_MEASURE: y0, y1, x0, x1 as floats */
  VkDeviceSize *stats_at;                  /* per layer, relative to stats_offset (owned) */
  VkDeviceSize arena_bytes;
  VkDeviceSize upload_bytes, upload_stats;       /* input, then statistics (GIVEN) */
  VkDeviceSize readback_bytes, readback_stats;   /* output, then statistics (RECORD) */
} PlanLayout;

struct VksGeneratorPlan {
  VksGenerator *gen;
  int h, w;
  VksNormStats stats;
  gboolean upload_stats_used;   /* GIVEN, GIVEN_MEASURE, CORRECTED: the statistics region is
                                 * uploaded */
  PlanLayout lay;
  VksBuffer *arena;
  VksBuffer *upload, *readback;
  VksRecorder *rec;
  double unsplit_flops;         /* recorded since the last segment ended */
};

guint
vks_generator_plan_n_dispatches (const VksGeneratorPlan *plan)
{
  return vks_recorder_n_dispatches (plan->rec);
}

static gboolean
layer_has_stats (const VksGenerator *gen, const Layer *l)
{
  return l->has_norm && gen->cfg.norm == VKS_NORM_INSTANCE;
}

gsize
vks_generator_stats_floats (const VksGenerator *gen)
{
  gsize n = 0;
  for (guint i = 0; i < gen->n_layers; i++)
    if (layer_has_stats (gen, &gen->layers[i]))
      n += 2 * (gsize) gen->layers[i].norm.channels;
  return n;
}

int
vks_generator_stats_channels (const VksGenerator *gen, int *channels)
{
  int n = 0;
  for (guint i = 0; i < gen->n_layers; i++)
    if (layer_has_stats (gen, &gen->layers[i])) {
      if (channels != NULL)
        channels[n] = gen->layers[i].norm.channels;
      n++;
    }
  return n;
}

static VkDeviceSize
align_up (VkDeviceSize v, VkDeviceSize a)
{
  return (v + a - 1) / a * a;
}

/* The largest device-local heap (lavapipe: system memory), where the arena goes. */
static VkDeviceSize
device_heap_bytes (const VksContext *ctx)
{
  return ctx->memory_props.memoryHeaps[ctx->device_heap].size;
}

static gboolean
too_large (GError **error, int h, int w, const char *what, double need, double limit,
           const char *unit, const char *limit_name)
{
  g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
               "a %dx%d image needs %.0f %s for %s; this device allows %.0f (%s)", w, h, need,
               unit, what, limit, limit_name);
  return FALSE;
}

static void
plan_layout_clear (PlanLayout *lay)
{
  g_clear_pointer (&lay->stats_at, g_free);
}

static gboolean
plan_layout (VksGenerator *gen, int h, int w, VksNormStats stats, PlanLayout *lay, GError **error)
{
  const VksGeneratorConfig *c = &gen->cfg;
  VksContext *ctx = gen->ctx;
  memset (lay, 0, sizeof *lay);
  if (h % 4 || w % 4 || h < VKS_GENERATOR_MIN_SIDE || w < VKS_GENERATOR_MIN_SIDE) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "the generator takes sides that are multiples of 4 and at least %d, not %dx%d",
                 VKS_GENERATOR_MIN_SIDE, w, h);
    return FALSE;
  }
  /* Everything below computes sizes in 64 bits; this keeps h*w itself within int. */
  if ((gint64) h * w > (1 << 30)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a %dx%d image is too large to process in one piece", w, h);
    return FALSE;
  }
  const VkPhysicalDeviceLimits *limits = &ctx->props.limits;
  /* Convolutions gather their input and the transposed ones scatter their phases through R32F
   * views, one texel per float: that, not RGBA32F, is the binding limit that bites first. */
  VkDeviceSize max_texels = limits->maxTexelBufferElements;
  int ngf = c->ngf;
  lay->in = vks_tensor_shape (1, c->input_nc, h, w);
  lay->full = vks_tensor_shape (1, ngf, h, w);
  lay->half = vks_tensor_shape (1, 2 * ngf, h / 2, w / 2);
  for (int i = 0; i < 3; i++)
    lay->q[i] = vks_tensor_shape (1, 4 * ngf, h / 4, w / 4);
  lay->out = vks_tensor_shape (1, c->output_nc, h, w);
  VksTensor *all[] = { &lay->in, &lay->full, &lay->half, &lay->q[0], &lay->q[1], &lay->q[2],
                       &lay->out };
  static const char *const names[] = { "the input", "a full-resolution activation",
                                       "a half-resolution activation",
                                       "a quarter-resolution activation", "", "", "the output" };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (vks_tensor_bytes (all[i]) / sizeof (float) > max_texels)
      return too_large (error, h, w, names[i], vks_tensor_bytes (all[i]) / sizeof (float),
                        max_texels, "texels", "maxTexelBufferElements");
  /* The norm statistics loop over a full-resolution plane, one float per iteration. */
  double loop = (double) h * w / ctx->reduction_size;
  if (loop > VKS_MAX_LOOP_ITERATIONS)
    return too_large (error, h, w, "normalising a plane", loop, VKS_MAX_LOOP_ITERATIONS,
                      "loop iterations per invocation", "VKS_MAX_LOOP_ITERATIONS");

  /* Activations live in one arena. Liveness is simple enough to assign by hand: the
   * full-resolution tensor is reused by the last up-sampling, the half-resolution one by the
   * first, and the residual trunk ping-pongs between three quarter-resolution tensors. */
  VksArena arena;
  vks_arena_init (&arena, ctx);
  VkDeviceSize scratch_budget = MIN ((VkDeviceSize) SCRATCH_BUDGET, max_texels * sizeof (float));
  int lh = h, lw = w;
  for (guint i = 0; i < gen->n_layers; i++) {
    const VksConv *conv = &gen->layers[i].conv;
    lay->scratch = MAX (lay->scratch, vks_conv_scratch_bytes (conv, lh, lw, scratch_budget));
    int oh, ow;
    if (!vks_conv_output_size (conv, lh, lw, &oh, &ow, error))
      return FALSE;
    lh = oh;
    lw = ow;
  }
  if (lay->scratch / sizeof (float) > max_texels)
    return too_large (error, h, w, "the convolution scratch", lay->scratch / sizeof (float),
                      max_texels, "texels", "maxTexelBufferElements");
  lay->scratch_offset = vks_arena_reserve (&arena, lay->scratch);
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    all[i]->offset = vks_arena_reserve (&arena, vks_tensor_bytes (all[i]));

  if (c->norm != VKS_NORM_INSTANCE)
    stats = VKS_NORM_STATS_OWN;
  if (stats != VKS_NORM_STATS_OWN) {
    /* Each layer's block (gamma, beta, mean, var: the batch-norm parameter layout norm.comp
     * reads) starts on a view-aligned offset. */
    VksArena blocks;
    vks_arena_init (&blocks, ctx);
    lay->stats_at = g_new0 (VkDeviceSize, gen->n_layers);
    if (stats == VKS_NORM_STATS_GIVEN_MEASURE)
      lay->region_at = vks_arena_reserve (&blocks, 4 * sizeof (float));
    for (guint i = 0; i < gen->n_layers; i++)
      if (layer_has_stats (gen, &gen->layers[i]))
        lay->stats_at[i] = vks_arena_reserve (&blocks, 4 * sizeof (float) *
                                              (VkDeviceSize) gen->layers[i].norm.channels);
    lay->stats_bytes = blocks.size;
    lay->stats_offset = vks_arena_reserve (&arena, lay->stats_bytes);
  }
  lay->arena_bytes = arena.size;
  VkDeviceSize align = vks_buffer_alignment (ctx);
  lay->upload_bytes = vks_tensor_bytes (&lay->in);
  lay->readback_bytes = vks_tensor_bytes (&lay->out);
  if (stats != VKS_NORM_STATS_OWN && stats != VKS_NORM_STATS_RECORD) {
    lay->upload_stats = align_up (lay->upload_bytes, align);
    lay->upload_bytes = lay->upload_stats + lay->stats_bytes;
  }
  if (stats != VKS_NORM_STATS_OWN) {
    lay->readback_stats = align_up (lay->readback_bytes, align);
    lay->readback_bytes = lay->readback_stats + lay->stats_bytes;
  }

  VkDeviceSize one = MAX (lay->arena_bytes, MAX (lay->upload_bytes, lay->readback_bytes));
  if (one > ctx->max_allocation)
    return too_large (error, h, w, "one allocation", one / 1048576.0,
                      ctx->max_allocation / 1048576.0, "MiB", "maxMemoryAllocationSize");
  VkDeviceSize total = lay->arena_bytes + lay->upload_bytes + lay->readback_bytes;
  VkDeviceSize heap = device_heap_bytes (ctx);
  if (total > heap)
    return too_large (error, h, w, "its buffers", total / 1048576.0, heap / 1048576.0, "MiB",
                      "memory heap size");
  return TRUE;
}

gboolean
vks_generator_plan_bytes (VksGenerator *gen, int h, int w, VksNormStats stats, VkDeviceSize *bytes,
                          GError **error)
{
  PlanLayout lay;
  gboolean ok = plan_layout (gen, h, w, stats, &lay, error);
  if (ok)
    *bytes = lay.arena_bytes + lay.upload_bytes + lay.readback_bytes;
  plan_layout_clear (&lay);
  return ok;
}

/* Per-channel mean and variance of y into a statistics block (MODE_STATISTICS of norm.comp):
 * RECORD and CORRECTED plans over the whole plane into the mean and var the batch-norm mode
 * reads next, CORRECTED ones corrected by the block's gamma and beta slots (uploaded; the
 * non-affine batch-norm mode ignores them); GIVEN_MEASURE plans over the region into the gamma
 * and beta slots, so that the given statistics stay in use. */
static gboolean
record_statistics (VksGeneratorPlan *plan, const VksTensor *y, VkDeviceSize block,
                   GError **error)
{
  VksContext *ctx = plan->gen->ctx;
  int32_t spec[] = { (int32_t) ctx->reduction_size, NORM_MODE_STATISTICS, 0, 0, 0 };
  VksPipeline *pipe = vks_pipeline_get (ctx, VKS_KERNEL_NORM_BACKWARD, spec, G_N_ELEMENTS (spec),
                                        error);
  if (pipe == NULL)
    return FALSE;
  VksView stats = { plan->arena, block, 4 * sizeof (float) * (VkDeviceSize) y->c,
                    VK_FORMAT_R32_SFLOAT };
  VksView rgba = vks_tensor_view (y, VK_FORMAT_R32G32B32A32_SFLOAT);
  gboolean region = plan->stats == VKS_NORM_STATS_GIVEN_MEASURE;
  VksView rect = { plan->arena, plan->lay.stats_offset + plan->lay.region_at, 4 * sizeof (float),
                   VK_FORMAT_R32_SFLOAT };
  /* Only src, params (the region) and dst1 are used; the others need valid descriptors of the
   * right formats. */
  VksView views[6] = { rgba, rgba, region ? rect : stats, stats, rgba, stats };
  gboolean correct = plan->stats == VKS_NORM_STATS_CORRECTED;
  int shift = 0;
  while ((y->w << shift) < plan->w)
    shift++;
  VksNormBackwardPush push = { .channels = y->c, .count = y->h * y->w, .plane = y->plane, .images = 1,
                          .in_h = y->h, .in_w = y->w, .region = region, .shift = shift,
                          .out_at = region ? 0 : 2 * y->c, .correct = correct };
  uint32_t groups[3] = { (uint32_t) y->c, 1, 1 };
  return vks_recorder_dispatch (plan->rec, pipe, views, &push, sizeof push, groups, error);
}

static gboolean
record_layer (VksGeneratorPlan *plan, guint index, const VksTensor *x, const VksTensor *y,
              const VksTensor *residual, GError **error)
{
  const Layer *l = &plan->gen->layers[index];
  const PlanLayout *lay = &plan->lay;
  if (plan->unsplit_flops >= SEGMENT_FLOPS) {
    if (!vks_recorder_split (plan->rec, error))
      return FALSE;
    plan->unsplit_flops = 0;
  }
  const VksConvDesc *d = &l->conv.d;
  plan->unsplit_flops += 2.0 * d->cin * d->cout * d->kh * d->kw * y->h * y->w /
                         (d->transposed ? d->stride * d->stride : 1);
  if (!vks_conv_forward (plan->rec, &l->conv, x, y, plan->arena, lay->scratch_offset,
                         lay->scratch, error))
    return FALSE;
  if (!l->has_norm)
    return TRUE;
  if (plan->stats == VKS_NORM_STATS_OWN || !layer_has_stats (plan->gen, l))
    return vks_norm_forward (plan->rec, &l->norm, y, residual, y, error);
  /* The statistics come from the block: the batch-norm mode of the same shader. */
  VkDeviceSize block = lay->stats_offset + lay->stats_at[index];
  if (!record_statistics (plan, y, block, error))
    return FALSE;
  VksNorm given = l->norm;
  given.instance = FALSE;
  given.affine = FALSE;
  given.params = plan->arena;
  given.params_offset = block;
  return vks_norm_forward (plan->rec, &given, y, residual, y, error);
}

VksGeneratorPlan *
vks_generator_plan_new_with_stats (VksGenerator *gen, int h, int w, VksNormStats stats,
                                   GError **error)
{
  const VksGeneratorConfig *c = &gen->cfg;
  VksContext *ctx = gen->ctx;
  g_autoptr (VksGeneratorPlan) plan = g_new0 (VksGeneratorPlan, 1);
  plan->gen = gen;
  plan->h = h;
  plan->w = w;
  plan->stats = c->norm == VKS_NORM_INSTANCE ? stats : VKS_NORM_STATS_OWN;
  plan->upload_stats_used = plan->stats != VKS_NORM_STATS_OWN &&
                            plan->stats != VKS_NORM_STATS_RECORD;
  if (!plan_layout (gen, h, w, plan->stats, &plan->lay, error))
    return NULL;
  PlanLayout *lay = &plan->lay;

  plan->arena = vks_buffer_new (ctx, lay->arena_bytes, VKS_MEMORY_DEVICE, "activations", error);
  if (plan->arena == NULL)
    return NULL;
  VksTensor *all[] = { &lay->in, &lay->full, &lay->half, &lay->q[0], &lay->q[1], &lay->q[2],
                       &lay->out };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    all[i]->buf = plan->arena;
  plan->upload = vks_buffer_new (ctx, lay->upload_bytes, VKS_MEMORY_UPLOAD, "image upload",
                                 error);
  plan->readback = plan->upload == NULL ? NULL
    : vks_buffer_new (ctx, lay->readback_bytes, VKS_MEMORY_READBACK, "image readback", error);
  if (plan->readback == NULL)
    return NULL;
  if (plan->upload_stats_used)
    memset ((guint8 *) plan->upload->mapped + lay->upload_stats, 0, lay->stats_bytes);
  if (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE)
    vks_generator_plan_set_region (plan, 0, h, 0, w);
  if (plan->stats == VKS_NORM_STATS_CORRECTED) {
    gsize n = vks_generator_stats_floats (gen);
    g_autofree float *identity = g_new0 (float, n);
    for (gsize at = 0, l = 0; l < gen->n_layers; l++)
      if (layer_has_stats (gen, &gen->layers[l])) {
        int ch = gen->layers[l].norm.channels;
        for (int c = 0; c < ch; c++)
          identity[at + ch + c] = 1.0f;
        at += 2 * (gsize) ch;
      }
    vks_generator_plan_set_corrections (plan, identity);
  }

  plan->rec = vks_recorder_new (ctx, error);
  if (plan->rec == NULL)
    return NULL;
  /* Kernels read plane padding and column-matrix tails and multiply them by zero weights:
   * harmless for finite values, NaN for the NaN fresh device memory may hold. Zeroing the arena
   * every run costs a memset and keeps the result independent of what was there before. */
  vks_recorder_fill (plan->rec, plan->arena, 0, VK_WHOLE_SIZE, 0);
  VksTensor in = lay->in, out = lay->out, full = lay->full, half = lay->half;
  vks_recorder_copy (plan->rec, plan->upload, 0, plan->arena, in.offset, vks_tensor_bytes (&in));
  if (plan->upload_stats_used)
    vks_recorder_copy (plan->rec, plan->upload, lay->upload_stats, plan->arena, lay->stats_offset,
                       lay->stats_bytes);
  VksTensor q[3] = { lay->q[0], lay->q[1], lay->q[2] };
  int nb = c->n_blocks;
#define REC(layer, x, y, res) \
  if (!record_layer (plan, layer, x, y, res, error)) return NULL
  REC (0, &in, &full, NULL);
  REC (1, &full, &half, NULL);
  REC (2, &half, &q[0], NULL);
  for (int b = 0; b < nb; b++) {
    REC (3 + 2 * b, &q[0], &q[1], NULL);
    REC (4 + 2 * b, &q[1], &q[2], &q[0]);
    /* q[2] now holds x + block(x); rotate so the next block reads it as q[0]. */
    VksTensor t = q[0];
    q[0] = q[2];
    q[2] = t;
  }
  REC (3 + 2 * nb, &q[0], &half, NULL);
  REC (4 + 2 * nb, &half, &full, NULL);
  REC (5 + 2 * nb, &full, &out, NULL);
#undef REC
  vks_recorder_copy (plan->rec, plan->arena, out.offset, plan->readback, 0,
                     vks_tensor_bytes (&out));
  if (plan->stats != VKS_NORM_STATS_OWN)
    vks_recorder_copy (plan->rec, plan->arena, lay->stats_offset, plan->readback,
                       lay->readback_stats, lay->stats_bytes);
  if (!vks_recorder_finish (plan->rec, error))
    return NULL;
  return g_steal_pointer (&plan);
}

VksGeneratorPlan *
vks_generator_plan_new (VksGenerator *gen, int h, int w, GError **error)
{
  return vks_generator_plan_new_with_stats (gen, h, w, VKS_NORM_STATS_OWN, error);
}

/* Host statistics are packed (mean[C], var[C] per layer); device blocks hold gamma, beta, mean,
 * var, each block aligned. `slot` is where in a block mean[C], var[C] are: 2 (mean, var) or 0
 * (GIVEN_MEASURE's region statistics in the gamma and beta slots). */
static void
stats_copy (const VksGeneratorPlan *plan, guint8 *blocks, float *packed, gboolean to_blocks,
            int slot)
{
  const VksGenerator *gen = plan->gen;
  gsize at = 0;
  for (guint i = 0; i < gen->n_layers; i++) {
    const Layer *l = &gen->layers[i];
    if (!layer_has_stats (gen, l))
      continue;
    gsize ch = l->norm.channels;
    float *block = (float *) (blocks + plan->lay.stats_at[i]);
    if (to_blocks)
      memcpy (block + slot * ch, packed + at, 2 * ch * sizeof (float));
    else
      memcpy (packed + at, block + slot * ch, 2 * ch * sizeof (float));
    at += 2 * ch;
  }
}

void
vks_generator_plan_set_stats (VksGeneratorPlan *plan, const float *stats)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE);
  stats_copy (plan, (guint8 *) plan->upload->mapped + plan->lay.upload_stats, (float *) stats,
              TRUE, 2);
}

void
vks_generator_plan_set_corrections (VksGeneratorPlan *plan, const float *corrections)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_CORRECTED);
  stats_copy (plan, (guint8 *) plan->upload->mapped + plan->lay.upload_stats,
              (float *) corrections, TRUE, 0);
}

void
vks_generator_plan_get_stats (const VksGeneratorPlan *plan, float *stats)
{
  g_return_if_fail (plan->stats != VKS_NORM_STATS_OWN);
  stats_copy (plan, (guint8 *) plan->readback->mapped + plan->lay.readback_stats, stats, FALSE,
              plan->stats == VKS_NORM_STATS_GIVEN_MEASURE ? 0 : 2);
}

void
vks_generator_plan_set_region (VksGeneratorPlan *plan, int y0, int y1, int x0, int x1)
{
  g_return_if_fail (plan->stats == VKS_NORM_STATS_GIVEN_MEASURE);
  g_return_if_fail (y0 % 4 == 0 && y1 % 4 == 0 && x0 % 4 == 0 && x1 % 4 == 0);
  g_return_if_fail (0 <= y0 && y0 <= y1 && y1 <= plan->h && 0 <= x0 && x0 <= x1 && x1 <= plan->w);
  float *rect = (float *) ((guint8 *) plan->upload->mapped + plan->lay.upload_stats +
                           plan->lay.region_at);
  rect[0] = (float) y0;
  rect[1] = (float) y1;
  rect[2] = (float) x0;
  rect[3] = (float) x1;
}

gboolean
vks_generator_plan_run_until (VksGeneratorPlan *plan, const float *input, float *output,
                              VksKeepGoing keep_going, gpointer user_data, GError **error)
{
  vks_tensor_pack (&plan->lay.in, input, plan->upload->mapped);
  if (!vks_recorder_run_until (plan->rec, keep_going, user_data, error))
    return FALSE;
  vks_tensor_unpack (&plan->lay.out, plan->readback->mapped, output);
  return TRUE;
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
  VksContext *ctx = plan->gen->ctx;
  vks_recorder_free (plan->rec);
  vks_buffer_free (ctx, plan->arena);
  vks_buffer_free (ctx, plan->upload);
  vks_buffer_free (ctx, plan->readback);
  plan_layout_clear (&plan->lay);
  g_free (plan);
}

double
vks_generator_flops (const VksGeneratorConfig *c, int h, int w)
{
  double hw = (double) h * w, ngf = c->ngf, f = 0;
  f += hw * ngf * c->input_nc * 49;                          /* c7s1 in */
  f += hw / 4 * 2 * ngf * ngf * 9;                            /* down 1 */
  f += hw / 16 * 4 * ngf * 2 * ngf * 9;                       /* down 2 */
  f += c->n_blocks * 2 * (hw / 16 * 4 * ngf * 4 * ngf * 9);   /* residual blocks */
  f += hw / 16 * 4 * ngf * 2 * ngf * 9;                       /* up 1 (input-side MACs) */
  f += hw / 4 * 2 * ngf * ngf * 9;                            /* up 2 */
  f += hw * c->output_nc * ngf * 49;                          /* c7s1 out */
  return 2 * f;
}
