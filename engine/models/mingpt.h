/* taming-transformers' minGPT (taming/modules/transformer/mingpt.py, GPT), the prior over VQGAN
 * code indices, as a graph builder: token + position embeddings, n_layer x (LayerNorm, causal
 * multi-head self-attention, LayerNorm, GELU MLP) with residuals, ln_f and the bias-free head.
 * Parameter names are its state_dict keys ("tok_emb.weight", "pos_emb",
 * "blocks.0.attn.query.weight", "blocks.0.mlp.0.bias", "head.weight", ...) under an optional
 * prefix (a Net2NetTransformer's "transformer."); the attention masks are buffers, not
 * parameters. Inference (dropout off); n_unmasked 0. */
#pragma once
#include "engine/checkpoint.h"
#include "engine/context.h"
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

/* The same, and the keys and values each layer attends to (keys, values: n_layer nodes each,
 * [1][1][T][n_embd]) for a key/value cache (mingpt_cache.h); batch 1. */
VksNode vks_mingpt_logits_kv (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix,
                              VksNode indices, VksNode *keys, VksNode *values);

/* One token's forward pass against cached keys and values of the positions before it, for a
 * window of `tokens` positions: the logits [1][1][1][vocab_size] at `position` equal
 * vks_mingpt_logits' at that position when the cache holds the keys and values of the same
 * tokens before it. The inputs are written per run. */
typedef struct {
  int tokens;              /* the window's length, at most block_size */
  VksNode token;           /* [1][1][1][1]: the token at the position */
  VksNode position;        /* [1][1][1][1]: its index, below tokens */
  VksNode keep, at;        /* [1][1][tokens][1]: 1 before the position / 1 at it, else 0 */
  VksNode bias;            /* [1][1][1][tokens]: 0 up to the position, -inf after it */
  const char *cache_prefix;  /* the cache parameters "<cache_prefix><layer>.key" / ".value",
                              * [tokens][n_embd] (not in any checkpoint) */
} VksMinGptStep;
/* keys, values (n_layer each, may be NULL): the rows each layer attended to, the cache with
 * this position's row written in, which the caller copies back into the cache. */
VksNode vks_mingpt_step_logits (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix,
                                const VksMinGptStep *step, VksNode *keys, VksNode *values);

/* The token that inverse-CDF sampling at the uniform u in [0, 1) picks from
 * softmax(top_k_logits(logits / temperature, top_k)): values below the top_k-th largest are
 * dropped (ties with it kept, as taming's top_k_logits; top_k 0: none dropped); in double. */
int vks_mingpt_pick (const float *logits, int vocab, float temperature, int top_k, double u);
/* The same with the caller's scratch of 2 * vocab doubles: no allocation per token. */
int vks_mingpt_pick_scratch (const float *logits, int vocab, float temperature, int top_k, double u,
                             double *scratch);
/* The sampler's stream: the next uniform in [0, 1) (the top 53 bits of SplitMix64 at *state). */
double vks_mingpt_uniform (guint64 *state);

/* Net2NetTransformer.sample for one sequence: n tokens after the context [sos], each from the
 * last position's logits (vks_mingpt_pick with the next uniform of SplitMix64(seed); top_k 1 is
 * greedy), the context cropped to the last block_size tokens once longer. Writes the n tokens
 * (floats). The context in a window of a whole block (causal attention makes the logits at a
 * position independent of the (zero) tokens after it), through a key/value cache
 * (mingpt_cache.h): one token's pass per token while the context fits the block. */
gboolean vks_mingpt_sample (VksContext *ctx, const VksCheckpoint *ckpt,
                            const VksMinGptConfig *cfg, int sos, int n, float temperature,
                            int top_k, guint64 seed, float *tokens, GError **error);
