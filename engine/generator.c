#include "engine/generator.h"

#include <string.h>

/* Largest column-matrix chunk of one convolution: large enough that chunking costs only a few
 * extra dispatches, small enough to leave room for activations on small devices. */
#define SCRATCH_BUDGET (64u << 20)
#define NORM_EPS 1e-5f

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

struct VksGeneratorPlan {
  VksGenerator *gen;
  int h, w;
  VksBuffer *arena;
  VksBuffer *upload, *readback;
  VksTensor input, output;
  VksRecorder *rec;
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

static gboolean
record_layer (VksGeneratorPlan *plan, const Layer *l, const VksTensor *x, const VksTensor *y,
              const VksTensor *residual, VkDeviceSize scratch_offset, VkDeviceSize scratch_bytes,
              GError **error)
{
  if (!vks_conv_forward (plan->rec, &l->conv, x, y, plan->arena, scratch_offset, scratch_bytes,
                         error))
    return FALSE;
  return !l->has_norm || vks_norm_forward (plan->rec, &l->norm, y, residual, y, error);
}

VksGeneratorPlan *
vks_generator_plan_new (VksGenerator *gen, int h, int w, GError **error)
{
  const VksGeneratorConfig *c = &gen->cfg;
  VksContext *ctx = gen->ctx;
  if (h % 4 || w % 4 || h < VKS_GENERATOR_MIN_SIDE || w < VKS_GENERATOR_MIN_SIDE) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "the generator takes sides that are multiples of 4 and at least %d, not %dx%d",
                 VKS_GENERATOR_MIN_SIDE, w, h);
    return NULL;
  }
  /* Everything below computes sizes in 64 bits; this keeps h*w itself within int. */
  if ((gint64) h * w > (1 << 30)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a %dx%d image is too large to process in one piece", w, h);
    return NULL;
  }
  g_autoptr (VksGeneratorPlan) plan = g_new0 (VksGeneratorPlan, 1);
  plan->gen = gen;
  plan->h = h;
  plan->w = w;

  int ngf = c->ngf;
  VksTensor in = vks_tensor_shape (1, c->input_nc, h, w);
  VksTensor full = vks_tensor_shape (1, ngf, h, w);
  VksTensor half = vks_tensor_shape (1, 2 * ngf, h / 2, w / 2);
  VksTensor q[3];
  for (int i = 0; i < 3; i++)
    q[i] = vks_tensor_shape (1, 4 * ngf, h / 4, w / 4);
  VksTensor out = vks_tensor_shape (1, c->output_nc, h, w);

  /* Activations live in one arena. Liveness is simple enough to assign by hand: the
   * full-resolution tensor is reused by the last up-sampling, the half-resolution one by the
   * first, and the residual trunk ping-pongs between three quarter-resolution tensors. */
  VksArena arena;
  vks_arena_init (&arena, ctx);
  VkDeviceSize scratch_budget = MIN ((VkDeviceSize) SCRATCH_BUDGET,
                                     (VkDeviceSize) ctx->props.limits.maxTexelBufferElements * 16);
  VkDeviceSize scratch = 0;
  int lh = h, lw = w;
  for (guint i = 0; i < gen->n_layers; i++) {
    const VksConv *conv = &gen->layers[i].conv;
    scratch = MAX (scratch, vks_conv_scratch_bytes (conv, lh, lw, scratch_budget));
    int oh, ow;
    if (!vks_conv_output_size (conv, lh, lw, &oh, &ow, error))
      return NULL;
    lh = oh;
    lw = ow;
  }
  VkDeviceSize scratch_offset = vks_arena_reserve (&arena, scratch);
  VksTensor *all[] = { &in, &full, &half, &q[0], &q[1], &q[2], &out };
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    all[i]->offset = vks_arena_reserve (&arena, vks_tensor_bytes (all[i]));

  plan->arena = vks_buffer_new (ctx, arena.size, VKS_MEMORY_DEVICE, "activations", error);
  if (plan->arena == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    all[i]->buf = plan->arena;
  plan->upload = vks_buffer_new (ctx, vks_tensor_bytes (&in), VKS_MEMORY_UPLOAD, "image upload",
                                 error);
  plan->readback = plan->upload == NULL ? NULL
    : vks_buffer_new (ctx, vks_tensor_bytes (&out), VKS_MEMORY_READBACK, "image readback", error);
  if (plan->readback == NULL)
    return NULL;
  plan->input = in;
  plan->output = out;

  plan->rec = vks_recorder_new (ctx, error);
  if (plan->rec == NULL)
    return NULL;
  /* Kernels read plane padding and column-matrix tails and multiply them by zero weights:
   * harmless for finite values, NaN for the NaN fresh device memory may hold. Zeroing the arena
   * every run costs a memset and keeps the result independent of what was there before. */
  vks_recorder_fill (plan->rec, plan->arena, 0, VK_WHOLE_SIZE, 0);
  vks_recorder_copy (plan->rec, plan->upload, 0, plan->arena, in.offset, vks_tensor_bytes (&in));
  const Layer *L = gen->layers;
  int nb = c->n_blocks;
#define REC(layer, x, y, res) \
  if (!record_layer (plan, layer, x, y, res, scratch_offset, scratch, error)) return NULL
  REC (&L[0], &in, &full, NULL);
  REC (&L[1], &full, &half, NULL);
  REC (&L[2], &half, &q[0], NULL);
  for (int b = 0; b < nb; b++) {
    REC (&L[3 + 2 * b], &q[0], &q[1], NULL);
    REC (&L[4 + 2 * b], &q[1], &q[2], &q[0]);
    /* q[2] now holds x + block(x); rotate so the next block reads it as q[0]. */
    VksTensor t = q[0];
    q[0] = q[2];
    q[2] = t;
  }
  REC (&L[3 + 2 * nb], &q[0], &half, NULL);
  REC (&L[4 + 2 * nb], &half, &full, NULL);
  REC (&L[5 + 2 * nb], &full, &out, NULL);
#undef REC
  vks_recorder_copy (plan->rec, plan->arena, out.offset, plan->readback, 0,
                     vks_tensor_bytes (&out));
  if (!vks_recorder_finish (plan->rec, error))
    return NULL;
  return g_steal_pointer (&plan);
}

gboolean
vks_generator_plan_run (VksGeneratorPlan *plan, const float *input, float *output, GError **error)
{
  vks_tensor_pack (&plan->input, input, plan->upload->mapped);
  if (!vks_recorder_run (plan->rec, error))
    return FALSE;
  vks_tensor_unpack (&plan->output, plan->readback->mapped, output);
  return TRUE;
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
