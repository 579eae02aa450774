/* A key/value cache for drawing tokens with minGPT (mingpt.h) one at a time: the logits at a
 * position of a window of tokens, reusing the keys and values of the window's positions before
 * it that earlier calls computed from the same tokens. Causal attention makes a position's keys
 * and values a function of the tokens up to it, so they stay valid as long as that prefix of
 * the window is unchanged; a sampler that appends one token per call then runs one token's
 * forward pass per call instead of the whole window's.
 *
 * Two plans over one parameter store (the prior's weights and the cache): a whole-window pass
 * (the first call, or where most of the window changed) that fills the cache, and a one-token
 * pass that reads it and writes its position's row back. Both compute the same sums in the same
 * order, so the logits do not depend on which one ran (tests/sampling). */
#pragma once
#include "engine/checkpoint.h"
#include "engine/context.h"
#include "engine/models/mingpt.h"

typedef struct VksMinGptCache VksMinGptCache;

/* For windows of `tokens` positions (1 .. block_size). The checkpoint is read here and may go
 * after. */
VksMinGptCache *vks_mingpt_cache_new (VksContext *ctx, const VksCheckpoint *ckpt,
                                      const VksMinGptConfig *cfg, int tokens, GError **error);
void vks_mingpt_cache_free (VksMinGptCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksMinGptCache, vks_mingpt_cache_free)

int vks_mingpt_cache_tokens (const VksMinGptCache *cache);

/* The logits (vocab_size floats) at position `at` of GPT.forward(window), window `tokens`
 * floats holding token numbers of which only window[0 .. at] matter. */
gboolean vks_mingpt_cache_logits (VksMinGptCache *cache, const float *window, int at,
                                  float *logits, GError **error);

/* How many passes of each kind ran since the cache was made (the tests and the measurements
 * read them). */
void vks_mingpt_cache_counts (const VksMinGptCache *cache, int *whole, int *steps);
