#include "engine/cyclegan_train.h"

#include "engine/cyclegan_layers.h"
#include "engine/error.h"
#include "engine/optim.h"

#include <string.h>

const char *const vks_cyclegan_loss_names[VKS_N_LOSSES] = {
  "D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B",
};

/* Loss value slots on the device: the reported losses, then the discriminators' halves. */
enum { SLOT_D_A_REAL = VKS_N_LOSSES, SLOT_D_A_FAKE, SLOT_D_B_REAL, SLOT_D_B_FAKE, N_SLOTS };

/* Generator runs kept for the backward pass: G_A(real A), G_B(fake B), G_B(real B), G_A(fake A);
 * the identity runs reuse the first two once the cycle's backward is done. */
enum { RUN_FAKE_B, RUN_REC_A, RUN_FAKE_A, RUN_REC_B, N_G_RUNS };

struct VksCycleGan {
  VksContext *ctx;
  VksCycleGanOptions opts;
  VksTrainNet *net[VKS_N_NETS];
  VksNetRun g_run[N_G_RUNS], d_run;
  VksTensor image[VKS_N_IMAGES];   /* where each image lives on the device */
  VksTensor real_a, real_b, pooled_a, pooled_b, d_fake_a, d_fake_b, d_image, d_score;
  VkDeviceSize values_offset, loss_scratch_offset, hyper_device_offset;
  VksBuffer *arena;
  VksBuffer *upload_g, *upload_d, *hyper, *readback;
  VkDeviceSize readback_values;    /* offset of the loss values in readback */
  VksRecorder *rec_g, *rec_d;
};

static VksNetLayer *
layers_for (const VksCycleGanOptions *o, VksCycleGanNet which, int *n)
{
  if (which == VKS_NET_G_A || which == VKS_NET_G_B) {
    VksGeneratorConfig cfg = {
      .input_nc = which == VKS_NET_G_A ? o->input_nc : o->output_nc,
      .output_nc = which == VKS_NET_G_A ? o->output_nc : o->input_nc,
      .ngf = o->ngf, .n_blocks = o->n_blocks, .norm = VKS_NORM_INSTANCE,
    };
    return vks_generator_net_layers (&cfg, n);
  }
  /* D_A judges domain B (G_A's output), D_B domain A. */
  VksDiscriminatorConfig cfg = {
    .input_nc = which == VKS_NET_D_A ? o->output_nc : o->input_nc,
    .ndf = o->ndf, .n_layers = o->n_layers_d, .norm = VKS_NORM_INSTANCE,
  };
  return vks_patchgan_net_layers (&cfg, n);
}

void
vks_cyclegan_free (VksCycleGan *cg)
{
  if (cg == NULL)
    return;
  vks_recorder_free (cg->rec_g);
  vks_recorder_free (cg->rec_d);
  for (int i = 0; i < N_G_RUNS; i++)
    vks_net_run_clear (&cg->g_run[i]);
  vks_net_run_clear (&cg->d_run);
  for (int i = 0; i < VKS_N_NETS; i++)
    vks_train_net_free (cg->net[i]);
  vks_buffer_free (cg->ctx, cg->arena);
  vks_buffer_free (cg->ctx, cg->upload_g);
  vks_buffer_free (cg->ctx, cg->upload_d);
  vks_buffer_free (cg->ctx, cg->hyper);
  vks_buffer_free (cg->ctx, cg->readback);
  g_free (cg);
}

VksTrainNet *
vks_cyclegan_net (VksCycleGan *cg, VksCycleGanNet which)
{
  return cg->net[which];
}

gsize
vks_cyclegan_batch_floats (const VksCycleGan *cg)
{
  const VksCycleGanOptions *o = &cg->opts;
  return (gsize) o->batch * MAX (o->input_nc, o->output_nc) * o->height * o->width;
}

/* --- recording ------------------------------------------------------------------------- */

typedef struct {
  VksCycleGan *cg;
  VksRecorder *rec;
  GError **error;
} Ctx;

static gboolean
loss (Ctx *c, VksLossKind kind, float scale, float target, const VksTensor *target_tensor,
      const VksTensor *x, const VksTensor *dx, gboolean accumulate, int slot)
{
  VksLoss l = { kind, scale, target, target_tensor, accumulate };
  return vks_loss_record (c->rec, &l, x, dx, c->cg->arena,
                          c->cg->values_offset + (VkDeviceSize) slot * sizeof (float),
                          c->cg->arena, c->cg->loss_scratch_offset, c->error);
}

/* The GAN criterion of the reference (GANLoss): for `real` scores, the generator's view when
 * generator is set (hinge differs there). */
static gboolean
gan_loss (Ctx *c, const VksTensor *score, gboolean real, gboolean generator, float scale, int slot)
{
  VksLossKind kind;
  switch (c->cg->opts.gan_mode) {
  case VKS_GAN_LSGAN: kind = VKS_LOSS_MSE; break;
  case VKS_GAN_VANILLA: kind = VKS_LOSS_BCE_LOGITS; break;
  default:
    kind = generator ? VKS_LOSS_HINGE_GEN : real ? VKS_LOSS_HINGE_REAL : VKS_LOSS_HINGE_FAKE;
  }
  return loss (c, kind, scale, real ? 1.0f : 0.0f, NULL, score, &c->cg->d_score, FALSE, slot);
}

static gboolean
adam (Ctx *c, VksCycleGanNet which)
{
  VksTrainNet *net = c->cg->net[which];
  const VksBuffer *state = vks_train_net_state (net);
  VksAdamArrays a = {
    .param = state, .grad = state, .exp_avg = state, .exp_avg_sq = state,
    .param_offset = vks_train_net_region_offset (net, VKS_REGION_PARAMS),
    .grad_offset = vks_train_net_region_offset (net, VKS_REGION_GRADS),
    .exp_avg_offset = vks_train_net_region_offset (net, VKS_REGION_ADAM_M),
    .exp_avg_sq_offset = vks_train_net_region_offset (net, VKS_REGION_ADAM_V),
    .count = (long) vks_train_net_region_floats (net),
    .hyper = c->cg->hyper, .hyper_offset = 0,
    .hyper_device = c->cg->arena, .hyper_device_offset = c->cg->hyper_device_offset,
  };
  return vks_adam_record (c->rec, &a, c->error);
}

static void
clear_grads (Ctx *c, VksCycleGanNet which)
{
  VksTrainNet *net = c->cg->net[which];
  vks_recorder_fill (c->rec, vks_train_net_state (net),
                     vks_train_net_region_offset (net, VKS_REGION_GRADS),
                     vks_train_net_region_floats (net) * sizeof (float), 0);
}

static void
copy_tensor (VksRecorder *rec, const VksTensor *src, const VksBuffer *dst, VkDeviceSize offset)
{
  vks_recorder_copy (rec, src->buf, src->offset, dst, offset, vks_tensor_bytes (src));
}

static VkDeviceSize
image_readback_offset (const VksCycleGan *cg, VksCycleGanImage which)
{
  return (VkDeviceSize) which * vks_tensor_bytes (&cg->real_a);
}

/* One half of the generator objective: GAN loss of D(fake) and the cycle through the other
 * generator, back-propagated into the generator that made the fake. */
static gboolean
generator_half (Ctx *c, VksCycleGanNet g_fwd, VksCycleGanNet g_back, VksCycleGanNet d,
                int run_fake, int run_rec, const VksTensor *real, const VksTensor *d_fake,
                float lambda, int slot_gan, int slot_cycle)
{
  VksCycleGan *cg = c->cg;
  const VksTensor *fake = vks_net_run_output (&cg->g_run[run_fake]);
  const VksTensor *rec = vks_net_run_output (&cg->g_run[run_rec]);
  if (!vks_train_net_forward (c->rec, cg->net[d], &cg->d_run, fake, c->error) ||
      !gan_loss (c, vks_net_run_output (&cg->d_run), TRUE, TRUE, 1.0f, slot_gan) ||
      !vks_train_net_backward (c->rec, cg->net[d], &cg->d_run, &cg->d_score, d_fake, FALSE, FALSE,
                               c->error) ||
      !loss (c, VKS_LOSS_L1, lambda, 0, real, rec, &cg->d_image, FALSE, slot_cycle) ||
      !vks_train_net_backward (c->rec, cg->net[g_back], &cg->g_run[run_rec], &cg->d_image, d_fake,
                               TRUE, TRUE, c->error))
    return FALSE;
  return vks_train_net_backward (c->rec, cg->net[g_fwd], &cg->g_run[run_fake], d_fake, NULL,
                                 FALSE, TRUE, c->error);
}

/* idt = G(real of the target domain), L1 to it, back-propagated. */
static gboolean
identity (Ctx *c, VksCycleGanNet g, int run, const VksTensor *real, float scale, int slot,
          VksCycleGanImage image)
{
  VksCycleGan *cg = c->cg;
  if (!vks_train_net_forward (c->rec, cg->net[g], &cg->g_run[run], real, c->error))
    return FALSE;
  const VksTensor *idt = vks_net_run_output (&cg->g_run[run]);
  copy_tensor (c->rec, idt, cg->readback, image_readback_offset (cg, image));
  return loss (c, VKS_LOSS_L1, scale, 0, real, idt, &cg->d_image, FALSE, slot) &&
         vks_train_net_backward (c->rec, cg->net[g], &cg->g_run[run], &cg->d_image, NULL, FALSE,
                                 TRUE, c->error);
}

static gboolean
record_generator_step (VksCycleGan *cg, GError **error)
{
  const VksCycleGanOptions *o = &cg->opts;
  Ctx c = { cg, cg->rec_g, error };
  VkDeviceSize img = vks_tensor_bytes (&cg->real_a);
  vks_recorder_copy (c.rec, cg->upload_g, 0, cg->arena, cg->real_a.offset, img);
  vks_recorder_copy (c.rec, cg->upload_g, img, cg->arena, cg->real_b.offset, img);
  vks_recorder_fill (c.rec, cg->arena, cg->values_offset, N_SLOTS * sizeof (float), 0);
  for (int i = 0; i < VKS_N_NETS; i++)
    if (!vks_train_net_record_repack (c.rec, cg->net[i], error))
      return FALSE;
  clear_grads (&c, VKS_NET_G_A);
  clear_grads (&c, VKS_NET_G_B);

  VksNetRun *r = cg->g_run;
  if (!vks_train_net_forward (c.rec, cg->net[VKS_NET_G_A], &r[RUN_FAKE_B], &cg->real_a, error) ||
      !vks_train_net_forward (c.rec, cg->net[VKS_NET_G_B], &r[RUN_REC_A],
                              vks_net_run_output (&r[RUN_FAKE_B]), error) ||
      !vks_train_net_forward (c.rec, cg->net[VKS_NET_G_B], &r[RUN_FAKE_A], &cg->real_b, error) ||
      !vks_train_net_forward (c.rec, cg->net[VKS_NET_G_A], &r[RUN_REC_B],
                              vks_net_run_output (&r[RUN_FAKE_A]), error))
    return FALSE;
  const struct { VksCycleGanImage image; const VksTensor *t; } shown[] = {
    { VKS_IMG_REAL_A, &cg->real_a }, { VKS_IMG_REAL_B, &cg->real_b },
    { VKS_IMG_FAKE_B, vks_net_run_output (&r[RUN_FAKE_B]) },
    { VKS_IMG_REC_A, vks_net_run_output (&r[RUN_REC_A]) },
    { VKS_IMG_FAKE_A, vks_net_run_output (&r[RUN_FAKE_A]) },
    { VKS_IMG_REC_B, vks_net_run_output (&r[RUN_REC_B]) },
  };
  for (guint i = 0; i < G_N_ELEMENTS (shown); i++)
    copy_tensor (c.rec, shown[i].t, cg->readback, image_readback_offset (cg, shown[i].image));

  if (!generator_half (&c, VKS_NET_G_A, VKS_NET_G_B, VKS_NET_D_A, RUN_FAKE_B, RUN_REC_A,
                       &cg->real_a, &cg->d_fake_b, o->lambda_a, VKS_LOSS_G_A, VKS_LOSS_CYCLE_A) ||
      !generator_half (&c, VKS_NET_G_B, VKS_NET_G_A, VKS_NET_D_B, RUN_FAKE_A, RUN_REC_B,
                       &cg->real_b, &cg->d_fake_a, o->lambda_b, VKS_LOSS_G_B, VKS_LOSS_CYCLE_B))
    return FALSE;
  if (o->lambda_identity > 0 &&
      (!identity (&c, VKS_NET_G_A, RUN_FAKE_B, &cg->real_b,
                  o->lambda_b * o->lambda_identity, VKS_LOSS_IDT_A, VKS_IMG_IDT_A) ||
       !identity (&c, VKS_NET_G_B, RUN_REC_A, &cg->real_a,
                  o->lambda_a * o->lambda_identity, VKS_LOSS_IDT_B, VKS_IMG_IDT_B)))
    return FALSE;
  if (!adam (&c, VKS_NET_G_A) || !adam (&c, VKS_NET_G_B))
    return FALSE;
  vks_recorder_copy (c.rec, cg->arena, cg->values_offset, cg->readback, cg->readback_values,
                     N_SLOTS * sizeof (float));
  return vks_recorder_finish (c.rec, error);
}

/* The reference's backward_D_basic: (GAN(D(real), True) + GAN(D(fake), False)) * 0.5, each
 * half back-propagated right after its forward so one run's activations serve both. */
static gboolean
discriminator_half (Ctx *c, VksCycleGanNet d, const VksTensor *real, const VksTensor *fake,
                    int slot_real, int slot_fake)
{
  VksCycleGan *cg = c->cg;
  const VksTensor *inputs[2] = { real, fake };
  int slots[2] = { slot_real, slot_fake };
  for (int k = 0; k < 2; k++)
    if (!vks_train_net_forward (c->rec, cg->net[d], &cg->d_run, inputs[k], c->error) ||
        !gan_loss (c, vks_net_run_output (&cg->d_run), k == 0, FALSE, 0.5f, slots[k]) ||
        !vks_train_net_backward (c->rec, cg->net[d], &cg->d_run, &cg->d_score, NULL, FALSE, TRUE,
                                 c->error))
      return FALSE;
  return TRUE;
}

static gboolean
record_discriminator_step (VksCycleGan *cg, GError **error)
{
  Ctx c = { cg, cg->rec_d, error };
  VkDeviceSize img = vks_tensor_bytes (&cg->real_a);
  vks_recorder_copy (c.rec, cg->upload_d, 0, cg->arena, cg->pooled_b.offset, img);
  vks_recorder_copy (c.rec, cg->upload_d, img, cg->arena, cg->pooled_a.offset, img);
  vks_recorder_fill (c.rec, cg->arena, cg->values_offset, N_SLOTS * sizeof (float), 0);
  clear_grads (&c, VKS_NET_D_A);
  clear_grads (&c, VKS_NET_D_B);
  if (!discriminator_half (&c, VKS_NET_D_A, &cg->real_b, &cg->pooled_b, SLOT_D_A_REAL,
                           SLOT_D_A_FAKE) ||
      !discriminator_half (&c, VKS_NET_D_B, &cg->real_a, &cg->pooled_a, SLOT_D_B_REAL,
                           SLOT_D_B_FAKE) ||
      !adam (&c, VKS_NET_D_A) || !adam (&c, VKS_NET_D_B))
    return FALSE;
  vks_recorder_copy (c.rec, cg->arena, cg->values_offset, cg->readback, cg->readback_values,
                     N_SLOTS * sizeof (float));
  return vks_recorder_finish (c.rec, error);
}

/* --- setup ------------------------------------------------------------------------------ */

static VksTensor
reserve_tensor (VksArena *arena, VksTensor t)
{
  t.offset = vks_arena_reserve (arena, vks_tensor_bytes (&t));
  return t;
}

VksCycleGan *
vks_cyclegan_new (VksContext *ctx, const VksCycleGanOptions *opts, GError **error)
{
  g_autoptr (VksCycleGan) cg = g_new0 (VksCycleGan, 1);
  cg->ctx = ctx;
  cg->opts = *opts;
  const VksCycleGanOptions *o = &cg->opts;
  if (o->input_nc != o->output_nc) {
    /* The identity loss feeds B images to G_A: the reference requires equal channel counts. */
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "training needs as many input as output channels (%d, %d)", o->input_nc,
                 o->output_nc);
    return NULL;
  }
  /* Per-channel sums (norms, biases) loop over the batch's planes in one workgroup. */
  double loop = (double) o->batch * o->height * o->width / ctx->reduction_size;
  if (loop > VKS_MAX_LOOP_ITERATIONS) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "a batch of %d %dx%d crops is too large to train on this device (per-channel "
                 "sums would loop %.0f times; at most %d): use a smaller crop or batch size",
                 o->batch, o->width, o->height, loop, VKS_MAX_LOOP_ITERATIONS);
    return NULL;
  }
  for (int i = 0; i < VKS_N_NETS; i++) {
    int n = 0;
    VksNetLayer *layers = layers_for (o, i, &n);
    cg->net[i] = vks_train_net_new (ctx, layers, n, o->batch, o->height, o->width, error);
    vks_net_layers_free (layers, n);
    if (cg->net[i] == NULL)
      return NULL;
  }
  VksArena arena;
  vks_arena_init (&arena, ctx);
  for (int i = 0; i < VKS_N_NETS; i++)
    vks_train_net_reserve (cg->net[i], &arena);
  for (int i = 0; i < N_G_RUNS; i++)
    vks_net_run_reserve (cg->net[VKS_NET_G_A], &cg->g_run[i], &arena);
  vks_net_run_reserve (cg->net[VKS_NET_D_A], &cg->d_run, &arena);
  VksTensor img = vks_tensor_shape (o->batch, o->input_nc, o->height, o->width);
  VksTensor *images[] = { &cg->real_a, &cg->real_b, &cg->pooled_a, &cg->pooled_b, &cg->d_fake_a,
                          &cg->d_fake_b, &cg->d_image };
  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    *images[i] = reserve_tensor (&arena, img);
  cg->d_score = reserve_tensor (&arena, vks_train_net_output_shape (cg->net[VKS_NET_D_A]));
  cg->values_offset = vks_arena_reserve (&arena, N_SLOTS * sizeof (float));
  cg->loss_scratch_offset = vks_arena_reserve (&arena, VKS_LOSS_SCRATCH_BYTES);
  cg->hyper_device_offset = vks_arena_reserve (&arena, VKS_ADAM_HYPER_BYTES);

  VkDeviceSize img_bytes = vks_tensor_bytes (&img);
  cg->readback_values = VKS_N_IMAGES * img_bytes;
  cg->arena = vks_buffer_new (ctx, arena.size, VKS_MEMORY_DEVICE, "training activations", error);
  cg->upload_g = cg->arena ? vks_buffer_new (ctx, 2 * img_bytes, VKS_MEMORY_UPLOAD,
                                             "training images", error) : NULL;
  cg->upload_d = cg->upload_g ? vks_buffer_new (ctx, 2 * img_bytes, VKS_MEMORY_UPLOAD,
                                                "pooled images", error) : NULL;
  cg->hyper = cg->upload_d ? vks_buffer_new (ctx, VKS_ADAM_HYPER_BYTES, VKS_MEMORY_UPLOAD,
                                             "optimiser step", error) : NULL;
  cg->readback = cg->hyper ? vks_buffer_new (ctx, cg->readback_values + N_SLOTS * sizeof (float),
                                             VKS_MEMORY_READBACK, "training readback", error)
                           : NULL;
  if (cg->readback == NULL)
    return NULL;
  for (int i = 0; i < VKS_N_NETS; i++)
    vks_train_net_bind (cg->net[i], cg->arena);
  for (int i = 0; i < N_G_RUNS; i++)
    vks_net_run_bind (&cg->g_run[i], cg->arena);
  vks_net_run_bind (&cg->d_run, cg->arena);
  for (guint i = 0; i < G_N_ELEMENTS (images); i++)
    images[i]->buf = cg->arena;
  cg->d_score.buf = cg->arena;

  cg->rec_g = vks_recorder_new (ctx, error);
  cg->rec_d = cg->rec_g ? vks_recorder_new (ctx, error) : NULL;
  if (cg->rec_d == NULL)
    return NULL;
  /* Kernels read plane padding (multiplied by zero weights): keep it finite. */
  vks_recorder_fill (cg->rec_g, cg->arena, 0, VK_WHOLE_SIZE, 0);
  if (!vks_recorder_finish (cg->rec_g, error) || !vks_recorder_run (cg->rec_g, error))
    return NULL;
  vks_recorder_free (cg->rec_g);
  cg->rec_g = vks_recorder_new (ctx, error);
  if (cg->rec_g == NULL || !record_generator_step (cg, error) ||
      !record_discriminator_step (cg, error))
    return NULL;
  return g_steal_pointer (&cg);
}

/* --- running ---------------------------------------------------------------------------- */

static void
write_hyper (VksCycleGan *cg, double lr, int64_t t)
{
  VksAdamHyper h;
  vks_adam_hyper_fill (&h, lr, cg->opts.beta1, cg->opts.beta2, cg->opts.eps, t);
  memcpy (cg->hyper->mapped, &h, sizeof h);
}

static const float *
values (const VksCycleGan *cg)
{
  return (const float *) ((const guint8 *) cg->readback->mapped + cg->readback_values);
}

gboolean
vks_cyclegan_generator_step (VksCycleGan *cg, const float *real_a, const float *real_b, double lr,
                             int64_t t, float losses[VKS_N_LOSSES], GError **error)
{
  VkDeviceSize img = vks_tensor_bytes (&cg->real_a);
  vks_tensor_pack (&cg->real_a, real_a, cg->upload_g->mapped);
  vks_tensor_pack (&cg->real_b, real_b, (float *) ((guint8 *) cg->upload_g->mapped + img));
  write_hyper (cg, lr, t);
  if (!vks_recorder_run (cg->rec_g, error))
    return FALSE;
  const float *v = values (cg);
  static const VksCycleGanLoss g_losses[] = {
    VKS_LOSS_G_A, VKS_LOSS_CYCLE_A, VKS_LOSS_IDT_A, VKS_LOSS_G_B, VKS_LOSS_CYCLE_B, VKS_LOSS_IDT_B,
  };
  for (guint i = 0; i < G_N_ELEMENTS (g_losses); i++)
    losses[g_losses[i]] = v[g_losses[i]];
  return TRUE;
}

void
vks_cyclegan_image (const VksCycleGan *cg, VksCycleGanImage which, float *dst)
{
  const float *src = (const float *) ((const guint8 *) cg->readback->mapped
                                      + image_readback_offset (cg, which));
  vks_tensor_unpack (&cg->real_a, src, dst);
}

gboolean
vks_cyclegan_discriminator_step (VksCycleGan *cg, const float *pooled_fake_b,
                                 const float *pooled_fake_a, double lr, int64_t t,
                                 float losses[VKS_N_LOSSES], GError **error)
{
  VkDeviceSize img = vks_tensor_bytes (&cg->real_a);
  vks_tensor_pack (&cg->pooled_b, pooled_fake_b, cg->upload_d->mapped);
  vks_tensor_pack (&cg->pooled_a, pooled_fake_a, (float *) ((guint8 *) cg->upload_d->mapped + img));
  write_hyper (cg, lr, t);
  if (!vks_recorder_run (cg->rec_d, error))
    return FALSE;
  const float *v = values (cg);
  losses[VKS_LOSS_D_A] = v[SLOT_D_A_REAL] + v[SLOT_D_A_FAKE];
  losses[VKS_LOSS_D_B] = v[SLOT_D_B_REAL] + v[SLOT_D_B_FAKE];
  return TRUE;
}
