/* minGPT as a graph (see mingpt.h). Heads are column slices of the query / key / value rows
 * ([T][n_embd] = n_head blocks of head_size), attended separately (ops/attention.c) and
 * concatenated back in order, which is view(B, T, nh, hs).transpose(1, 2) and its inverse. */
#include "engine/models/mingpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/mingpt_cache.h"
#include "engine/nn/op.h"       /* vks_graph_fail */
#include "engine/nn/params.h"
#include "engine/nn/plan.h"

#define LN_EPS 1e-5f
#define MAX_HEADS 64

/* "<prefix>blocks.<layer>.<part>.<what>" */
static char *
name (const char *prefix, int layer, const char *part, const char *what)
{
  return g_strdup_printf ("%sblocks.%d.%s.%s", prefix ? prefix : "", layer, part, what);
}

static VksNode
linear (VksGraph *g, VksNode x, const char *prefix, int layer, const char *part, int out, int in,
        gboolean bias)
{
  g_autofree char *wn = name (prefix, layer, part, "weight");
  g_autofree char *bn = name (prefix, layer, part, "bias");
  VksNode w = vks_param (g, wn, vks_shape (1, 1, out, in));
  return vks_linear (g, x, w, bias ? vks_param (g, bn, vks_shape (1, 1, 1, out)) : VKS_NONE);
}

static VksNode
layer_norm (VksGraph *g, VksNode x, const char *wn, const char *bn, int c)
{
  return vks_layer_norm (g, x, 1, vks_param (g, wn, vks_shape (1, 1, 1, c)),
                         vks_param (g, bn, vks_shape (1, 1, 1, c)), LN_EPS);
}

static VksNode
block_norm (VksGraph *g, VksNode x, const char *prefix, int layer, const char *ln, int c)
{
  g_autofree char *wn = name (prefix, layer, ln, "weight");
  g_autofree char *bn = name (prefix, layer, ln, "bias");
  return layer_norm (g, x, wn, bn, c);
}

/* A step's keys (or values): the cache's rows before the step's position, the new row at it,
 * zeros after (keep and at are 0/1 columns [T][1]; x * 1 + 0 and 0 + x are exact). */
static VksNode
cached_rows (VksGraph *g, const VksMinGptStep *st, int layer, const char *what, VksNode row,
             int c)
{
  VksNode cache = vks_param_printf (g, st->cache_prefix, vks_shape (1, 1, st->tokens, c), 2,
                                    "%d.%s", layer, what);
  return vks_add (g, vks_mul (g, cache, st->keep), vks_mul (g, st->at, row));
}

static VksNode
self_attention (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix, int layer, VksNode x,
                const VksMinGptStep *st, VksNode *keys, VksNode *values)
{
  int c = cfg->n_embd, hs = c / cfg->n_head;
  VksNode k = linear (g, x, prefix, layer, "attn.key", c, c, TRUE);
  VksNode q = linear (g, x, prefix, layer, "attn.query", c, c, TRUE);
  VksNode v = linear (g, x, prefix, layer, "attn.value", c, c, TRUE);
  if (st != NULL) {
    k = cached_rows (g, st, layer, "key", k, c);
    v = cached_rows (g, st, layer, "value", v, c);
  }
  if (keys != NULL)
    keys[layer] = k, values[layer] = v;
  VksNode heads[MAX_HEADS];
  VksAttentionAttrs a = { .causal = st == NULL };
  for (int h = 0; h < cfg->n_head; h++) {
    VksNode qh = vks_slice (g, q, 3, h * hs, hs), kh = vks_slice (g, k, 3, h * hs, hs);
    VksNode vh = vks_slice (g, v, 3, h * hs, hs);
    heads[h] = st != NULL ? vks_attention_masked (g, qh, kh, vh, st->bias, &a)
                          : vks_attention (g, qh, kh, vh, &a);
  }
  VksNode y = vks_concat_dim (g, 3, heads, cfg->n_head);
  return linear (g, y, prefix, layer, "attn.proj", c, c, TRUE);
}

static gboolean
check_heads (VksGraph *g, const VksMinGptConfig *cfg)
{
  if (cfg->n_head >= 1 && cfg->n_head <= MAX_HEADS && cfg->n_embd % cfg->n_head == 0)
    return TRUE;
  vks_graph_fail (g, "mingpt: %d heads for %d channels", cfg->n_head, cfg->n_embd);
  return FALSE;
}

static VksNode
prefixed_param (VksGraph *g, const char *prefix, const char *what, VksShape s, int rank)
{
  g_autofree char *n = g_strconcat (prefix ? prefix : "", what, NULL);
  return vks_param_rank (g, n, s, rank);
}

/* The blocks, ln_f and the head on embedded rows x [1][1][T][n_embd]. */
static VksNode
blocks_and_head (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix, VksNode x,
                 const VksMinGptStep *st, VksNode *keys, VksNode *values)
{
  int c = cfg->n_embd;
  for (int l = 0; l < cfg->n_layer; l++) {
    x = vks_add (g, x, self_attention (g, cfg, prefix, l, block_norm (g, x, prefix, l, "ln1", c),
                                       st, keys, values));
    VksNode h = linear (g, block_norm (g, x, prefix, l, "ln2", c), prefix, l, "mlp.0", 4 * c, c,
                        TRUE);
    x = vks_add (g, x, linear (g, vks_gelu (g, h), prefix, l, "mlp.2", c, 4 * c, TRUE));
  }
  g_autofree char *lw = g_strconcat (prefix ? prefix : "", "ln_f.weight", NULL);
  g_autofree char *lb = g_strconcat (prefix ? prefix : "", "ln_f.bias", NULL);
  x = layer_norm (g, x, lw, lb, c);
  VksNode head = prefixed_param (g, prefix, "head.weight", vks_shape (1, 1, cfg->vocab_size, c),
                                 2);
  return vks_linear (g, x, head, VKS_NONE);
}

VksNode
vks_mingpt_logits_kv (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix,
                      VksNode indices, VksNode *keys, VksNode *values)
{
  if (!vks_graph_ok (g, &indices, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, indices);
  int c = cfg->n_embd, t = s.w;
  if (s.n != 1 || s.h != 1 || t < 1 || t > cfg->block_size)
    return vks_graph_fail (g, "mingpt: indices must be [1, batch, 1, T] with T at most the block "
                           "size %d, not [%d, %d, %d, %d]", cfg->block_size, s.n, s.c, s.h, s.w);
  if (keys != NULL && s.c != 1)
    return vks_graph_fail (g, "mingpt: keys and values of a batch of %d", s.c);
  if (!check_heads (g, cfg))
    return VKS_NONE;
  VksNode tok = prefixed_param (g, prefix, "tok_emb.weight", vks_shape (1, 1, cfg->vocab_size, c),
                                2);
  VksNode x = vks_reshape (g, vks_embedding (g, tok, indices), vks_shape (1, s.c, t, c));
  VksNode p = prefixed_param (g, prefix, "pos_emb", vks_shape (1, 1, cfg->block_size, c), 3);
  x = vks_add (g, x, vks_slice (g, p, 2, 0, t));
  return blocks_and_head (g, cfg, prefix, x, NULL, keys, values);
}

VksNode
vks_mingpt_logits (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix, VksNode indices)
{
  return vks_mingpt_logits_kv (g, cfg, prefix, indices, NULL, NULL);
}

VksNode
vks_mingpt_step_logits (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix,
                        const VksMinGptStep *st, VksNode *keys, VksNode *values)
{
  VksNode in[] = { st->token, st->position, st->keep, st->at, st->bias };
  if (!vks_graph_ok (g, in, G_N_ELEMENTS (in)))
    return VKS_NONE;
  int c = cfg->n_embd, t = st->tokens;
  if (t < 1 || t > cfg->block_size ||
      !vks_shape_equal (vks_graph_shape (g, st->token), vks_shape (1, 1, 1, 1)) ||
      !vks_shape_equal (vks_graph_shape (g, st->position), vks_shape (1, 1, 1, 1)) ||
      !vks_shape_equal (vks_graph_shape (g, st->keep), vks_shape (1, 1, t, 1)) ||
      !vks_shape_equal (vks_graph_shape (g, st->at), vks_shape (1, 1, t, 1)) ||
      !vks_shape_equal (vks_graph_shape (g, st->bias), vks_shape (1, 1, 1, t)))
    return vks_graph_fail (g, "mingpt step: inputs of %d tokens (block size %d) misshapen", t,
                           cfg->block_size);
  if (!check_heads (g, cfg))
    return VKS_NONE;
  VksNode tok = prefixed_param (g, prefix, "tok_emb.weight", vks_shape (1, 1, cfg->vocab_size, c),
                                2);
  VksNode p = prefixed_param (g, prefix, "pos_emb", vks_shape (1, 1, cfg->block_size, c), 3);
  VksNode x = vks_add (g, vks_embedding (g, tok, st->token), vks_embedding (g, p, st->position));
  return blocks_and_head (g, cfg, prefix, x, st, keys, values);
}

gboolean
vks_mingpt_config_read (const VksCheckpoint *ckpt, VksMinGptConfig *cfg, GError **error)
{
  memset (cfg, 0, sizeof *cfg);
  if (!vks_metadata_check_arch (ckpt, VKS_ARCH_MINGPT, "transformer", "minGPT transformer",
                                error) ||
      !vks_metadata_read_int (ckpt, "vkstyle.vocab_size", -1, 1, 65536, &cfg->vocab_size, error) ||
      !vks_metadata_read_int (ckpt, "vkstyle.block_size", -1, 1, 16384, &cfg->block_size, error) ||
      !vks_metadata_read_int (ckpt, "vkstyle.n_layer", -1, 1, 256, &cfg->n_layer, error) ||
      !vks_metadata_read_int (ckpt, "vkstyle.n_head", -1, 1, MAX_HEADS, &cfg->n_head, error) ||
      !vks_metadata_read_int (ckpt, "vkstyle.n_embd", -1, 1, 16384, &cfg->n_embd, error))
    return FALSE;
  int unmasked = 0;
  if (!vks_metadata_read_int (ckpt, "vkstyle.n_unmasked", 0, 0, 0, &unmasked, error))
    return FALSE;
  if (cfg->n_embd % cfg->n_head != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata: n_embd %d is not a multiple of n_head %d", cfg->n_embd, cfg->n_head);
    return FALSE;
  }
  return TRUE;
}

/* ---- sampling ---- */

static int
descending (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? 1 : x > y ? -1 : 0;
}

int
vks_mingpt_pick_scratch (const float *logits, int vocab, float temperature, int top_k, double u,
                         double *scratch)
{
  double *v = scratch, *sorted = scratch + vocab;
  double top = -INFINITY;
  for (int i = 0; i < vocab; i++) {
    v[i] = (double) logits[i] / temperature;
    top = MAX (top, v[i]);
  }
  double floor_value = -INFINITY;
  if (top_k > 0 && top_k < vocab) {
    memcpy (sorted, v, vocab * sizeof *v);
    qsort (sorted, vocab, sizeof *sorted, descending);
    floor_value = sorted[top_k - 1];
  }
  double total = 0;
  for (int i = 0; i < vocab; i++)
    total += v[i] < floor_value ? 0 : exp (v[i] - top);
  double cum = 0;
  for (int i = 0; i < vocab; i++) {
    cum += v[i] < floor_value ? 0 : exp (v[i] - top) / total;
    if (cum > u && v[i] >= floor_value)
      return i;
  }
  for (int i = vocab - 1; i > 0; i--)   /* u past the rounded total: the last kept token */
    if (v[i] >= floor_value)
      return i;
  return 0;
}

int
vks_mingpt_pick (const float *logits, int vocab, float temperature, int top_k, double u)
{
  g_autofree double *scratch = g_new (double, 2 * (gsize) vocab);
  return vks_mingpt_pick_scratch (logits, vocab, temperature, top_k, u, scratch);
}

/* SplitMix64 (Steele et al.), the generator engine/texture.c draws its latents from; the top 53
 * bits as a double in [0, 1) */
double
vks_mingpt_uniform (guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return ((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}

gboolean
vks_mingpt_sample (VksContext *ctx, const VksCheckpoint *ckpt, const VksMinGptConfig *cfg,
                   int sos, int n, float temperature, int top_k, guint64 seed, float *tokens,
                   GError **error)
{
  if (!(temperature > 0) || top_k < 0 || sos < 0 || sos >= cfg->vocab_size) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "sampling: temperature %g, top-k %d and sos "
                 "%d (temperature > 0, top-k >= 0, sos below %d)", temperature, top_k, sos,
                 cfg->vocab_size);
    return FALSE;
  }
  int block = cfg->block_size;
  g_autoptr (VksMinGptCache) cache = vks_mingpt_cache_new (ctx, ckpt, cfg, block, error);
  if (cache == NULL)
    return FALSE;
  g_autofree float *seq = g_new0 (float, n + 1);
  g_autofree float *window = g_new0 (float, block);
  g_autofree float *out = g_new (float, cfg->vocab_size);
  g_autofree double *scratch = g_new (double, 2 * (gsize) cfg->vocab_size);
  seq[0] = (float) sos;
  guint64 state = seed;
  for (int len = 1; len <= n; len++) {
    int start = MAX (0, len - block), t = len - start;
    memset (window, 0, block * sizeof *window);
    memcpy (window, seq + start, t * sizeof *window);
    if (!vks_mingpt_cache_logits (cache, window, t - 1, out, error))
      return FALSE;
    double u = vks_mingpt_uniform (&state);
    seq[len] = (float) vks_mingpt_pick_scratch (out, cfg->vocab_size, temperature, top_k, u,
                                                scratch);
  }
  memcpy (tokens, seq + 1, n * sizeof *tokens);
  return TRUE;
}
