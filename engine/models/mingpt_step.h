/* One training step of taming-transformers' minGPT prior as Net2NetTransformer.shared_step
 * runs it (taming/models/cond_transformer.py, unconditional: SOSProvider, pkeep 1): for a
 * batch of code sequences z [batch][length] (a VQGAN's indices in raster order), the input is
 * cat(sos, z)[:, :-1], the loss F.cross_entropy over every position against z, and
 * torch.optim.AdamW(betas (0.9, 0.95)) over configure_optimizers' two groups: the weights of
 * the Linear layers decay by 0.01, the biases, LayerNorm and embedding weights and pos_emb do
 * not. Parameter names: the GPT's state_dict keys (mingpt.h). */
#pragma once
#include "engine/context.h"
#include "engine/models/mingpt.h"

#define VKS_MINGPT_WEIGHT_DECAY 0.01

typedef struct {
  VksMinGptConfig net;
  int batch, length;        /* length <= block_size */
} VksMinGptTrainConfig;

typedef struct VksMinGptTrainer VksMinGptTrainer;

VksMinGptTrainer *vks_mingpt_trainer_new (VksContext *ctx, const VksMinGptTrainConfig *cfg,
                                          GError **error);
void vks_mingpt_trainer_free (VksMinGptTrainer *tr);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksMinGptTrainer, vks_mingpt_trainer_free)

/* GPT._init_weights: Linear and Embedding weights N(0, 0.02) from normal (N(0, 1), one call per
 * value, parameters in name order), biases 0, LayerNorm (1, 0), pos_emb 0. */
gboolean vks_mingpt_trainer_init (VksMinGptTrainer *tr, double (*normal) (gpointer),
                                  gpointer rng, GError **error);
/* The network's tensors by name (exactly its list), or into ckpt with its metadata and the
 * prior's SOS token (vkstyle.sos_token, what `vkstyle vq sample` starts from). */
gboolean vks_mingpt_trainer_load_model (VksMinGptTrainer *tr, const VksCheckpoint *ckpt,
                                        GError **error);
gboolean vks_mingpt_trainer_save_model (VksMinGptTrainer *tr, int sos, VksCheckpoint *ckpt,
                                        GError **error);
/* Parameters, AdamW's moments and step count; load checks every tensor first. */
gboolean vks_mingpt_trainer_save_state (VksMinGptTrainer *tr, VksCheckpoint *ckpt,
                                        GError **error);
gboolean vks_mingpt_trainer_load_state (VksMinGptTrainer *tr, const VksCheckpoint *ckpt,
                                        GError **error);

/* One step on codes [batch][length] (floats holding indices below vocab_size) after the SOS
 * token sos; *loss: the cross entropy before the update. */
gboolean vks_mingpt_trainer_step (VksMinGptTrainer *tr, const float *codes, int sos, double lr,
                                  float *loss, GError **error);
