/* StarGAN v2 training on the device, as clovaai/stargan-v2's Solver.train iterates: per
 * iteration the discriminator step with a latent-guided fake, the one with a reference-guided
 * fake, the latent-guided generator step (which also steps the mapping network and style
 * encoder) and the reference-guided one (generator only), then the moving average (beta 0.999)
 * of the generator, mapping network and style encoder. Four torch.optim.Adam optimisers (lr
 * 1e-4, the mapping network's f_lr 1e-6; betas (0, 0.99); coupled L2 weight decay 1e-4), the
 * graphs of engine/models/stargan2_step.h, every plan reading one parameter store. */
#pragma once
#include "engine/context.h"
#include "engine/models/stargan2_step.h"
#include "engine/nn/optimizer.h"

/* The losses of one iteration, the reference's log keys: D/latent_real, D/latent_fake,
 * D/latent_reg, D/ref_*, G/latent_adv, G/latent_sty, G/latent_ds, G/latent_cyc, G/ref_*. */
#define VKS_SG2_N_LOSSES (2 * VKS_SG2_D_N + 2 * VKS_SG2_G_N)
extern const char *const vks_stargan2_loss_names[VKS_SG2_N_LOSSES];

typedef struct {
  VksStarGan2StepConfig step;
  double lr, f_lr, beta1, beta2, weight_decay;   /* 1e-4, 1e-6, 0, 0.99, 1e-4 */
  double ema_beta;                               /* 0.999 */
} VksStarGan2TrainOptions;

/* The reference's defaults around a step configuration. */
void vks_stargan2_train_options_default (VksStarGan2TrainOptions *o,
                                         const VksStarGan2StepConfig *step);

typedef struct VksStarGan2Trainer VksStarGan2Trainer;

VksStarGan2Trainer *vks_stargan2_trainer_new (VksContext *ctx, const VksStarGan2TrainOptions *o,
                                              GError **error);
void vks_stargan2_trainer_free (VksStarGan2Trainer *tr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksStarGan2Trainer, vks_stargan2_trainer_free)

/* Every parameter (all four networks) lives here, by its stargan2.h name. */
VksParamStore *vks_stargan2_trainer_store (VksStarGan2Trainer *tr);
/* The averaged parameters (the generator's, mapping network's and style encoder's) and the
 * node each has in the generator graph. */
VksEma *vks_stargan2_trainer_ema (VksStarGan2Trainer *tr);
const VksStarGan2Step *vks_stargan2_trainer_graphs (const VksStarGan2Trainer *tr);

/* The networks' starting values from ckpt (every parameter, stargan2.h names), and the moving
 * average's from its "<scope>ema.<name>" tensors (the reference's nets_ema is a copy of the
 * networks made before they are initialised, so the two differ). */
gboolean vks_stargan2_trainer_load_params (VksStarGan2Trainer *tr, const VksCheckpoint *ckpt,
                                           GError **error);
gboolean vks_stargan2_trainer_load_ema (VksStarGan2Trainer *tr, const VksCheckpoint *ckpt,
                                        const char *scope, GError **error);

/* One iteration's inputs: images [batch][3][S][S] in [-1, 1], domains, latents
 * [batch][latent_dim]. */
typedef struct {
  const float *x_real, *x_ref, *x_ref2;
  const int *y_org, *y_trg;
  const float *z, *z2;
} VksStarGan2Batch;

/* The four steps and the average; lambda_ds the diversity loss's weight this iteration. */
gboolean vks_stargan2_trainer_iteration (VksStarGan2Trainer *tr, const VksStarGan2Batch *b,
                                         double lambda_ds, float losses[VKS_SG2_N_LOSSES],
                                         GError **error);

/* The averaged networks as an inference checkpoint's tensors (stargan2.h: what `vkstyle apply
 * --domain` loads; the caller adds the metadata). */
gboolean vks_stargan2_trainer_export (VksStarGan2Trainer *tr, VksCheckpoint *ckpt,
                                      GError **error);
/* Parameters, the four optimisers' moments and step counts, the average. Load checks every
 * tensor before changing anything of each part. */
gboolean vks_stargan2_trainer_save_state (VksStarGan2Trainer *tr, VksCheckpoint *ckpt,
                                          GError **error);
gboolean vks_stargan2_trainer_load_state (VksStarGan2Trainer *tr, const VksCheckpoint *ckpt,
                                          GError **error);
