/* One training iteration of taming-transformers' VQModel (taming/models/vqgan.py training_step
 * with taming/modules/losses/vqperceptual.py VQLPIPSWithDiscriminator, hinge loss), as
 * PyTorch Lightning 1.x runs a module with two optimisers: per batch the autoencoder step
 * (optimizer_idx 0: forward, backward, Adam step) and then the discriminator step
 * (optimizer_idx 1), which runs the autoencoder's forward again with its just-updated weights.
 *  - autoencoder step: xrec, qloss = VQModel(x); nll = mean(|x - xrec|) (perceptual weight 0:
 *    the engine has no LPIPS); g = -mean(D(xrec)) with D in training mode (its batch norms use
 *    the batch's statistics and move their running statistics); the adaptive weight
 *    d_weight = clamp(|dnll/dW| / (|dg/dW| + 1e-4), 0, 1e4) * disc_weight, W the decoder's
 *    conv_out.weight, detached; loss = nll + d_weight * disc_factor * g + codebook_weight * qloss,
 *    its gradient with respect to the encoder, decoder, quantiser and the two 1x1 convolutions.
 *  - discriminator step: d_loss = disc_factor * 0.5 (mean(relu(1 - D(x))) + mean(relu(1 +
 *    D(sg[xrec])))), D's two passes each moving the running statistics, in that order.
 * disc_factor is adopt_weight's: 0 before disc_start, the configured factor after; both steps run
 * in every iteration either way (Adam's step count advances with zero gradients, as there).
 * qloss is VectorQuantizer2's legacy form, taming's default with which the released models were
 * trained: mean((sg[zq] - z)^2) + beta mean((zq - sg[z])^2), beta 0.25.
 * Parameter names: the VQModel's state_dict keys, and the discriminator's under
 * "loss.discriminator." (NLayerDiscriminator "main.N", use_actnorm False: BatchNorm2d), i.e. the
 * Lightning checkpoint's. */
#pragma once
#include "engine/context.h"
#include "engine/models/vqgan.h"

#define VKS_VQGAN_DISC_PREFIX "loss.discriminator."

typedef struct {
  VksVqganConfig net;
  int disc_ndf, disc_layers;        /* taming's disc_ndf 64, disc_num_layers 3 */
  float codebook_weight, disc_weight;   /* lossconfig's codebook_weight (1), disc_weight */
  int batch, size;                  /* images [batch][in_channels][size][size] */
  int sample_count;                 /* images vks_vqgan_trainer_reconstruct takes (0: none) */
} VksVqganTrainConfig;

/* What an iteration reports (taming's log keys, without the split). */
typedef enum {
  VKS_VQ_LOSS_AE,          /* train/aeloss: the autoencoder step's loss */
  VKS_VQ_LOSS_NLL,         /* nll_loss = rec_loss (L1) */
  VKS_VQ_LOSS_QUANT,       /* quant_loss */
  VKS_VQ_LOSS_G,           /* g_loss */
  VKS_VQ_LOSS_D_WEIGHT,    /* d_weight */
  VKS_VQ_LOSS_DISC,        /* train/discloss */
  VKS_VQ_LOSS_LOGITS_REAL, /* logits_real, the mean */
  VKS_VQ_LOSS_LOGITS_FAKE,
  VKS_VQ_N_LOSSES
} VksVqganLoss;
extern const char *const vks_vqgan_loss_names[VKS_VQ_N_LOSSES];

typedef struct VksVqganTrainer VksVqganTrainer;

/* Parameters zero until loaded or initialised. */
VksVqganTrainer *vks_vqgan_trainer_new (VksContext *ctx, const VksVqganTrainConfig *cfg,
                                        GError **error);
void vks_vqgan_trainer_free (VksVqganTrainer *tr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksVqganTrainer, vks_vqgan_trainer_free)

/* Fresh weights as the reference's modules get them, drawn from uniform (values in [0, 1), one
 * call per value, parameters in name order) and normal (N(0, 1)): every convolution PyTorch's
 * default (kaiming_uniform a = sqrt(5): weight and bias uniform in +-1/sqrt(fan_in)),
 * GroupNorm (1, 0), the codebook uniform in +-1/n_embed (VectorQuantizer2), the discriminator's
 * weights_init (convolution weights N(0, 0.02), their biases PyTorch's default, batch norm
 * weights N(1, 0.02), biases 0), running mean 0, running variance 1. */
gboolean vks_vqgan_trainer_init (VksVqganTrainer *tr, double (*uniform) (gpointer),
                                 double (*normal) (gpointer), gpointer rng, GError **error);
/* The autoencoder from a VQGAN checkpoint (exactly the config's tensors), and the
 * discriminator's tensors named "main.N..." (as its own state_dict) from another or the same. */
gboolean vks_vqgan_trainer_load_model (VksVqganTrainer *tr, const VksCheckpoint *ckpt,
                                       GError **error);
gboolean vks_vqgan_trainer_load_discriminator (VksVqganTrainer *tr, const VksCheckpoint *ckpt,
                                               GError **error);
/* The autoencoder alone, with the VQGAN metadata: what `vkstyle vq` loads. */
gboolean vks_vqgan_trainer_save_model (VksVqganTrainer *tr, VksCheckpoint *ckpt, GError **error);
/* Every parameter, running statistics, both optimisers' moments and step counts (scopes "ae."
 * and "disc."); load checks every tensor before changing anything. */
gboolean vks_vqgan_trainer_save_state (VksVqganTrainer *tr, VksCheckpoint *ckpt, GError **error);
gboolean vks_vqgan_trainer_load_state (VksVqganTrainer *tr, const VksCheckpoint *ckpt,
                                       GError **error);

/* VQModel.forward's reconstruction of sample_count images [c][size][size] with the current
 * weights (one plan, made with the trainer, reading the same store). */
gboolean vks_vqgan_trainer_reconstruct (VksVqganTrainer *tr, const float *x, float *xrec,
                                        GError **error);

/* One iteration on x [batch][c][size][size] in [-1, 1] with learning rate lr for both
 * optimisers; indices (may be NULL): the autoencoder step's codes [batch][size/f][size/f];
 * xrec (may be NULL): its reconstruction. */
gboolean vks_vqgan_trainer_step (VksVqganTrainer *tr, const float *x, float disc_factor,
                                 double lr, float losses[VKS_VQ_N_LOSSES], float *indices,
                                 float *xrec, GError **error);
