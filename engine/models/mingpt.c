/* minGPT as a graph (see mingpt.h). Heads are column slices of the query / key / value rows
 * ([T][n_embd] = n_head blocks of head_size), attended separately (ops/attention.c) and
 * concatenated back in order, which is view(B, T, nh, hs).transpose(1, 2) and its inverse. */
#include "engine/models/mingpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
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

static VksNode
self_attention (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix, int layer, VksNode x)
{
  int c = cfg->n_embd, hs = c / cfg->n_head;
  VksNode k = linear (g, x, prefix, layer, "attn.key", c, c, TRUE);
  VksNode q = linear (g, x, prefix, layer, "attn.query", c, c, TRUE);
  VksNode v = linear (g, x, prefix, layer, "attn.value", c, c, TRUE);
  VksNode heads[MAX_HEADS];
  VksAttentionAttrs a = { .causal = TRUE };
  for (int h = 0; h < cfg->n_head; h++)
    heads[h] = vks_attention (g, vks_slice (g, q, 3, h * hs, hs), vks_slice (g, k, 3, h * hs, hs),
                              vks_slice (g, v, 3, h * hs, hs), &a);
  VksNode y = vks_concat_dim (g, 3, heads, cfg->n_head);
  return linear (g, y, prefix, layer, "attn.proj", c, c, TRUE);
}

VksNode
vks_mingpt_logits (VksGraph *g, const VksMinGptConfig *cfg, const char *prefix, VksNode indices)
{
  if (!vks_graph_ok (g, &indices, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, indices);
  int c = cfg->n_embd, t = s.w;
  if (s.n != 1 || s.h != 1 || t < 1 || t > cfg->block_size)
    return vks_graph_fail (g, "mingpt: indices must be [1, batch, 1, T] with T at most the block "
                           "size %d, not [%d, %d, %d, %d]", cfg->block_size, s.n, s.c, s.h, s.w);
  if (cfg->n_head < 1 || cfg->n_head > MAX_HEADS || c % cfg->n_head != 0)
    return vks_graph_fail (g, "mingpt: %d heads for %d channels", cfg->n_head, c);
  g_autofree char *tok = g_strconcat (prefix ? prefix : "", "tok_emb.weight", NULL);
  g_autofree char *pos = g_strconcat (prefix ? prefix : "", "pos_emb", NULL);
  VksNode emb = vks_embedding (g, vks_param (g, tok, vks_shape (1, 1, cfg->vocab_size, c)),
                               indices);
  VksNode x = vks_reshape (g, emb, vks_shape (1, s.c, t, c));
  VksNode p = vks_param_rank (g, pos, vks_shape (1, 1, cfg->block_size, c), 3);
  x = vks_add (g, x, vks_slice (g, p, 2, 0, t));
  for (int l = 0; l < cfg->n_layer; l++) {
    x = vks_add (g, x, self_attention (g, cfg, prefix, l, block_norm (g, x, prefix, l, "ln1", c)));
    VksNode h = linear (g, block_norm (g, x, prefix, l, "ln2", c), prefix, l, "mlp.0", 4 * c, c,
                        TRUE);
    x = vks_add (g, x, linear (g, vks_gelu (g, h), prefix, l, "mlp.2", c, 4 * c, TRUE));
  }
  g_autofree char *lw = g_strconcat (prefix ? prefix : "", "ln_f.weight", NULL);
  g_autofree char *lb = g_strconcat (prefix ? prefix : "", "ln_f.bias", NULL);
  g_autofree char *hw = g_strconcat (prefix ? prefix : "", "head.weight", NULL);
  x = layer_norm (g, x, lw, lb, c);
  return vks_linear (g, x, vks_param (g, hw, vks_shape (1, 1, cfg->vocab_size, c)), VKS_NONE);
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
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode in = vks_input (g, "idx", vks_shape (1, 1, 1, block));
  VksNode logits = vks_mingpt_logits (g, cfg, NULL, in);
  if (!vks_graph_check (g, error))
    return FALSE;
  VksPlanOptions options = { .readback = &logits, .n_readback = 1 };
  g_autoptr (VksPlan) plan = vks_plan_new (ctx, g, &logits, 1, &options, error);
  if (plan == NULL || !vks_plan_load_params (plan, g, ckpt, error))
    return FALSE;
  g_autofree float *seq = g_new0 (float, n + 1);
  g_autofree float *window = g_new0 (float, block);
  g_autofree float *out = g_new (float, (size_t) block * cfg->vocab_size);
  g_autofree double *scratch = g_new (double, 2 * (gsize) cfg->vocab_size);
  seq[0] = (float) sos;
  guint64 state = seed;
  for (int len = 1; len <= n; len++) {
    int start = MAX (0, len - block), t = len - start;
    memset (window, 0, block * sizeof *window);
    memcpy (window, seq + start, t * sizeof *window);
    if (!vks_plan_set (plan, in, window, error) || !vks_plan_run (plan, error) ||
        !vks_plan_get (plan, logits, out, error))
      return FALSE;
    double u = vks_mingpt_uniform (&state);
    seq[len] = (float) vks_mingpt_pick_scratch (out + (size_t) (t - 1) * cfg->vocab_size,
                                                cfg->vocab_size, temperature, top_k, u, scratch);
  }
  memcpy (tokens, seq + 1, n * sizeof *tokens);
  return TRUE;
}
