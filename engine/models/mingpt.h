/* taming-transformers' minGPT (taming/modules/transformer/mingpt.py, GPT), the prior over VQGAN
 * code indices, as a graph builder: token + position embeddings, n_layer x (LayerNorm, causal
 * multi-head self-attention, LayerNorm, GELU MLP) with residuals, ln_f and the bias-free head.
 * Parameter names are its state_dict keys ("tok_emb.weight", "pos_emb",
 * "blocks.0.attn.query.weight", "blocks.0.mlp.0.bias", "head.weight", ...) under an optional
 * prefix (a Net2NetTransformer's "transformer."); the attention masks are buffers, not
 * parameters. Inference (dropout off); n_unmasked 0. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/nn/graph.h"

#define VKS_ARCH_MINGPT "mingpt"

typedef struct {
  int vocab_size, block_size, n_layer, n_head, n_embd;
} VksMinGptConfig;

/* vkstyle.arch "mingpt" and vkstyle.<field> in range (n_embd a multiple of n_head). */
gboolean vks_mingpt_config_read (const VksCheckpoint *ckpt, VksMinGptConfig *cfg, GError **error);

/* Logits [1][batch][T][vocab_size] of GPT.forward(idx) for indices [1][batch][1][T] (floats
 * holding token numbers), T <= block_size. prefix may be NULL. */
VksNode vks_mingpt_logits (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix,
                           VksNode indices);
