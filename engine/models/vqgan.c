/* taming's VQModel as graphs (see vqgan.h). Every Normalize is GroupNorm(32, eps 1e-6, affine),
 * every nonlinearity Swish (x * sigmoid(x)); ResnetBlocks have no time embedding (temb_ch 0) and
 * a 1x1 nin_shortcut where the channel count changes; AttnBlock is single-head attention over
 * the pixels with 1x1 q / k / v / proj_out; Downsample pads (0, 1, 0, 1) with zeros and applies
 * a 3x3 stride-2 convolution without padding; Upsample is nearest x2 then a 3x3 convolution. The
 * resolution at which attention blocks appear is counted from the config's resolution, as the
 * reference does, whatever the input size. */
#include "engine/models/vqgan.h"

#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/nn/op.h"       /* vks_graph_fail, vks_const */
#include "engine/nn/params.h"
#include "engine/nn/plan.h"

#define GROUPS 32
#define NORM_EPS 1e-6f
#define BETA 0.25f

/* ---- building blocks ---- */

static VksNode
conv (VksGraph *g, VksNode x, const char *prefix, int cout, int k, int stride, int pad)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  int cin = vks_graph_shape (g, x).c;
  g_autofree char *wn = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bn = g_strconcat (prefix, ".bias", NULL);
  VksConvAttrs a = { .stride = stride, .pad = pad };
  return vks_conv2d (g, x, vks_param (g, wn, vks_shape (cout, cin, k, k)),
                     vks_param (g, bn, vks_shape (1, 1, 1, cout)), &a);
}

static VksNode
normalize (VksGraph *g, VksNode x, const char *prefix)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  int c = vks_graph_shape (g, x).c;
  g_autofree char *wn = g_strconcat (prefix, ".weight", NULL);
  g_autofree char *bn = g_strconcat (prefix, ".bias", NULL);
  return vks_group_norm (g, x, GROUPS, vks_param (g, wn, vks_shape (1, 1, 1, c)),
                         vks_param (g, bn, vks_shape (1, 1, 1, c)), NORM_EPS);
}

static char *
sub (const char *prefix, const char *name)
{
  return g_strdup_printf ("%s.%s", prefix, name);
}

static VksNode
resnet_block (VksGraph *g, VksNode x, const char *prefix, int cout)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  int cin = vks_graph_shape (g, x).c;
  g_autofree char *n1 = sub (prefix, "norm1"), *c1 = sub (prefix, "conv1");
  g_autofree char *n2 = sub (prefix, "norm2"), *c2 = sub (prefix, "conv2");
  VksNode h = conv (g, vks_silu (g, normalize (g, x, n1)), c1, cout, 3, 1, 1);
  h = conv (g, vks_silu (g, normalize (g, h, n2)), c2, cout, 3, 1, 1);   /* dropout: eval */
  if (cin != cout) {
    g_autofree char *nin = sub (prefix, "nin_shortcut");
    x = conv (g, x, nin, cout, 1, 1, 0);
  }
  return vks_add (g, x, h);
}

static VksNode
attn_block (VksGraph *g, VksNode x, const char *prefix)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  g_autofree char *nn = sub (prefix, "norm");
  VksNode h = normalize (g, x, nn);
  static const char *const names[3] = { "q", "k", "v" };
  VksNode qkv[3];
  for (int i = 0; i < 3; i++) {
    g_autofree char *p = sub (prefix, names[i]);
    qkv[i] = vks_reshape (g, conv (g, h, p, s.c, 1, 1, 0), vks_shape (s.n, 1, s.c, s.h * s.w));
  }
  /* w_ = bmm(q^T, k) * c^-0.5, softmax over keys, h_ = bmm(v, w_^T) */
  VksAttentionAttrs a = { .channels_first = TRUE };
  VksNode y = vks_reshape (g, vks_attention (g, qkv[0], qkv[1], qkv[2], &a), s);
  g_autofree char *po = sub (prefix, "proj_out");
  return vks_add (g, x, conv (g, y, po, s.c, 1, 1, 0));
}

/* F.pad(x, (0, 1, 0, 1)) and a 3x3 stride-2 convolution: one zero column on the right and one
 * zero row at the bottom, by concatenation (the convolution's own padding is symmetric). */
static VksNode
downsample (VksGraph *g, VksNode x, const char *prefix)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  VksNode right[2] = { x, vks_const (g, vks_shape (s.n, s.c, s.h, 1), 0.0f) };
  x = vks_concat_dim (g, 3, right, 2);
  VksNode bottom[2] = { x, vks_const (g, vks_shape (s.n, s.c, 1, s.w + 1), 0.0f) };
  x = vks_concat_dim (g, 2, bottom, 2);
  g_autofree char *c = sub (prefix, "conv");
  return conv (g, x, c, s.c, 3, 2, 0);
}

static VksNode
upsample (VksGraph *g, VksNode x, const char *prefix)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  g_autofree char *c = sub (prefix, "conv");
  return conv (g, vks_upsample2 (g, x), c, vks_graph_shape (g, x).c, 3, 1, 1);
}

static gboolean
attends_at (const VksVqganConfig *cfg, int res)
{
  for (int i = 0; i < cfg->n_attn; i++)
    if (cfg->attn_resolutions[i] == res)
      return TRUE;
  return FALSE;
}

static VksNode
mid (VksGraph *g, VksNode h, const char *net)
{
  int c = vks_graph_ok (g, &h, 1) ? vks_graph_shape (g, h).c : 0;
  g_autofree char *b1 = g_strdup_printf ("%s.mid.block_1", net);
  g_autofree char *a1 = g_strdup_printf ("%s.mid.attn_1", net);
  g_autofree char *b2 = g_strdup_printf ("%s.mid.block_2", net);
  h = resnet_block (g, h, b1, c);
  h = attn_block (g, h, a1);
  return resnet_block (g, h, b2, c);
}

static VksNode
out_head (VksGraph *g, VksNode h, const char *net, int cout)
{
  g_autofree char *no = g_strdup_printf ("%s.norm_out", net);
  g_autofree char *co = g_strdup_printf ("%s.conv_out", net);
  return conv (g, vks_silu (g, normalize (g, h, no)), co, cout, 3, 1, 1);
}

static VksNode
encoder (VksGraph *g, const VksVqganConfig *cfg, VksNode x)
{
  VksNode h = conv (g, x, "encoder.conv_in", cfg->ch, 3, 1, 1);
  int res = cfg->resolution;
  for (int i = 0; i < cfg->n_levels; i++) {
    int cout = cfg->ch * cfg->ch_mult[i];
    for (int j = 0; j < cfg->num_res_blocks; j++) {
      g_autofree char *b = g_strdup_printf ("encoder.down.%d.block.%d", i, j);
      h = resnet_block (g, h, b, cout);
      if (attends_at (cfg, res)) {
        g_autofree char *a = g_strdup_printf ("encoder.down.%d.attn.%d", i, j);
        h = attn_block (g, h, a);
      }
    }
    if (i != cfg->n_levels - 1) {
      g_autofree char *d = g_strdup_printf ("encoder.down.%d.downsample", i);
      h = downsample (g, h, d);
      res /= 2;
    }
  }
  h = mid (g, h, "encoder");
  return out_head (g, h, "encoder", cfg->z_channels);
}

static VksNode
decoder (VksGraph *g, const VksVqganConfig *cfg, VksNode z)
{
  int top = cfg->n_levels - 1;
  VksNode h = conv (g, z, "decoder.conv_in", cfg->ch * cfg->ch_mult[top], 3, 1, 1);
  int res = cfg->resolution >> top;
  h = mid (g, h, "decoder");
  for (int i = top; i >= 0; i--) {
    int cout = cfg->ch * cfg->ch_mult[i];
    for (int j = 0; j <= cfg->num_res_blocks; j++) {
      g_autofree char *b = g_strdup_printf ("decoder.up.%d.block.%d", i, j);
      h = resnet_block (g, h, b, cout);
      if (attends_at (cfg, res)) {
        g_autofree char *a = g_strdup_printf ("decoder.up.%d.attn.%d", i, j);
        h = attn_block (g, h, a);
      }
    }
    if (i != 0) {
      g_autofree char *u = g_strdup_printf ("decoder.up.%d.upsample", i);
      h = upsample (g, h, u);
      res *= 2;
    }
  }
  return out_head (g, h, "decoder", cfg->out_ch);
}

static VksNode
codebook (VksGraph *g, const VksVqganConfig *cfg)
{
  return vks_param (g, "quantize.embedding.weight",
                    vks_shape (1, 1, cfg->n_embed, cfg->embed_dim));
}

int
vks_vqgan_factor (const VksVqganConfig *cfg)
{
  return 1 << (cfg->n_levels - 1);
}

VksVqganEncoded
vks_vqgan_encode (VksGraph *g, const VksVqganConfig *cfg, VksNode x)
{
  VksVqganEncoded out = { VKS_NONE, VKS_NONE, VKS_NONE, VKS_NONE };
  if (!vks_graph_ok (g, &x, 1))
    return out;
  VksShape s = vks_graph_shape (g, x);
  int f = vks_vqgan_factor (cfg);
  if (s.c != cfg->in_channels || s.h % f != 0 || s.w % f != 0) {
    vks_graph_fail (g, "vqgan: the input must be [n, %d, h, w] with h and w multiples of %d, not "
                    "[%d, %d, %d, %d]", cfg->in_channels, f, s.n, s.c, s.h, s.w);
    return out;
  }
  out.z = conv (g, encoder (g, cfg, x), "quant_conv", cfg->embed_dim, 1, 1, 0);
  VksVectorQuantized vq = vks_vector_quantize (g, out.z, codebook (g, cfg), BETA, TRUE);
  out.indices = vq.indices;
  out.quantized = vq.quantized;
  out.loss = vq.loss;
  return out;
}

VksNode
vks_vqgan_decode (VksGraph *g, const VksVqganConfig *cfg, VksNode quant)
{
  if (!vks_graph_ok (g, &quant, 1))
    return VKS_NONE;
  if (vks_graph_shape (g, quant).c != cfg->embed_dim)
    return vks_graph_fail (g, "vqgan: codes of %d channels, the model's have %d",
                           vks_graph_shape (g, quant).c, cfg->embed_dim);
  return decoder (g, cfg, conv (g, quant, "post_quant_conv", cfg->z_channels, 1, 1, 0));
}

VksNode
vks_vqgan_decode_indices (VksGraph *g, const VksVqganConfig *cfg, VksNode indices)
{
  return vks_vqgan_decode (g, cfg, vks_vq_lookup (g, codebook (g, cfg), indices));
}

/* ---- metadata ---- */

#define KEY(field) "vkstyle." field

/* "1,2,4": 1 to max plain decimal numbers in [min, lim]; "" is the empty list when allowed. */
static gboolean
read_list (const VksCheckpoint *ckpt, const char *key, gboolean allow_empty, int min, int lim,
           int *values, int *n, GError **error)
{
  const char *s = vks_checkpoint_get_metadata (ckpt, key);
  if (s == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "metadata lacks %s", key);
    return FALSE;
  }
  *n = 0;
  if (*s == '\0' && allow_empty)
    return TRUE;
  g_auto (GStrv) parts = g_strsplit (s, ",", -1);
  guint count = g_strv_length (parts);
  for (guint i = 0; i < MAX (count, 1); i++) {
    const char *p = i < count ? parts[i] : "";   /* "" splits into no parts: no number */
    gsize len = strlen (p);
    gboolean ok = *n < VKS_VQGAN_MAX_LEVELS && len > 0 && len <= 6 && (p[0] != '0' || len == 1);
    for (gsize k = 0; ok && k < len; k++)
      ok = g_ascii_isdigit (p[k]);
    int v = ok ? (int) g_ascii_strtoll (p, NULL, 10) : 0;
    if (!ok || v < min || v > lim) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "metadata %s is \"%s\", not a list of at most %d numbers between %d and %d "
                   "separated by commas", key, s, VKS_VQGAN_MAX_LEVELS, min, lim);
      return FALSE;
    }
    values[(*n)++] = v;
  }
  return TRUE;
}

static char *
format_list (const int *values, int n)
{
  GString *s = g_string_new (NULL);
  for (int i = 0; i < n; i++)
    g_string_append_printf (s, i ? ",%d" : "%d", values[i]);
  return g_string_free (s, FALSE);
}

gboolean
vks_vqgan_config_read (const VksCheckpoint *ckpt, VksVqganConfig *cfg, GError **error)
{
  memset (cfg, 0, sizeof *cfg);
  if (!vks_metadata_check_arch (ckpt, VKS_ARCH_VQGAN, "VQGAN", "VQGAN (taming VQModel)", error))
    return FALSE;
  const char *dz = vks_checkpoint_get_metadata (ckpt, KEY ("double_z"));
  if (dz != NULL && strcmp (dz, "false") != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "metadata " KEY ("double_z") " is "
                 "\"%s\": a VQModel's encoder has double_z false", dz);
    return FALSE;
  }
  if (!vks_metadata_read_int (ckpt, KEY ("in_channels"), 3, 1, 64, &cfg->in_channels, error) ||
      !vks_metadata_read_int (ckpt, KEY ("out_ch"), 3, 1, 64, &cfg->out_ch, error) ||
      !vks_metadata_read_int (ckpt, KEY ("ch"), -1, GROUPS, 1024, &cfg->ch, error) ||
      !vks_metadata_read_int (ckpt, KEY ("resolution"), -1, 1, 65536, &cfg->resolution, error) ||
      !vks_metadata_read_int (ckpt, KEY ("z_channels"), -1, 1, 4096, &cfg->z_channels, error) ||
      !vks_metadata_read_int (ckpt, KEY ("num_res_blocks"), -1, 1, 16, &cfg->num_res_blocks,
                              error) ||
      !vks_metadata_read_int (ckpt, KEY ("n_embed"), -1, 1, 16384, &cfg->n_embed, error) ||
      !vks_metadata_read_int (ckpt, KEY ("embed_dim"), -1, 1, 4096, &cfg->embed_dim, error) ||
      !read_list (ckpt, KEY ("ch_mult"), FALSE, 1, 64, cfg->ch_mult, &cfg->n_levels, error) ||
      !read_list (ckpt, KEY ("attn_resolutions"), TRUE, 1, 65536, cfg->attn_resolutions,
                  &cfg->n_attn, error))
    return FALSE;
  for (int i = 0; i < cfg->n_levels; i++)
    if ((long) cfg->ch * cfg->ch_mult[i] > 8192) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "metadata: level %d would have %ld channels, more than 8192", i,
                   (long) cfg->ch * cfg->ch_mult[i]);
      return FALSE;
    }
  if (cfg->ch % GROUPS != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "metadata " KEY ("ch") " is %d: GroupNorm(%d) needs a multiple of %d", cfg->ch,
                 GROUPS, GROUPS);
    return FALSE;
  }
  return TRUE;
}

void
vks_vqgan_config_write (const VksVqganConfig *cfg, VksCheckpoint *ckpt)
{
  vks_checkpoint_set_metadata (ckpt, "vkstyle.arch", VKS_ARCH_VQGAN);
  vks_checkpoint_set_metadata (ckpt, KEY ("double_z"), "false");
  vks_metadata_set_int (ckpt, KEY ("in_channels"), cfg->in_channels);
  vks_metadata_set_int (ckpt, KEY ("out_ch"), cfg->out_ch);
  vks_metadata_set_int (ckpt, KEY ("ch"), cfg->ch);
  vks_metadata_set_int (ckpt, KEY ("resolution"), cfg->resolution);
  vks_metadata_set_int (ckpt, KEY ("z_channels"), cfg->z_channels);
  vks_metadata_set_int (ckpt, KEY ("num_res_blocks"), cfg->num_res_blocks);
  vks_metadata_set_int (ckpt, KEY ("n_embed"), cfg->n_embed);
  vks_metadata_set_int (ckpt, KEY ("embed_dim"), cfg->embed_dim);
  g_autofree char *mult = format_list (cfg->ch_mult, cfg->n_levels);
  g_autofree char *attn = format_list (cfg->attn_resolutions, cfg->n_attn);
  vks_checkpoint_set_metadata (ckpt, KEY ("ch_mult"), mult);
  vks_checkpoint_set_metadata (ckpt, KEY ("attn_resolutions"), attn);
}

/* ---- tensor list ---- */

/* The whole model: encode at the config's resolution (a multiple of the factor, at least it),
 * decode its codes. */
static void
build_all (VksGraph *g, const VksVqganConfig *cfg)
{
  int f = vks_vqgan_factor (cfg);
  VksNode x = vks_input (g, "x", vks_shape (1, cfg->in_channels, f, f));
  VksVqganEncoded e = vks_vqgan_encode (g, cfg, x);
  vks_vqgan_decode (g, cfg, e.quantized);
}

GPtrArray *
vks_vqgan_tensors (const VksVqganConfig *cfg)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  build_all (g, cfg);
  GPtrArray *specs = vks_tensor_specs_new ();
  if (!vks_graph_check (g, NULL))
    return specs;
  int n = 0;
  g_autofree VksNode *params = vks_graph_params (g, &n);
  for (int i = 0; i < n; i++) {
    VksShape s = vks_graph_shape (g, params[i]);
    int rank = vks_graph_param_rank (g, params[i]);
    int64_t d[4] = { s.n, s.c, s.h, s.w };
    vks_tensor_specs_add (specs, g_strdup (vks_graph_name (g, params[i])), rank,
                          rank > 0 ? d[4 - rank] : 0, rank > 1 ? d[5 - rank] : 0,
                          rank > 2 ? d[6 - rank] : 0, rank > 3 ? d[3] : 0);
  }
  return specs;
}

gboolean
vks_vqgan_check_checkpoint (const VksCheckpoint *ckpt, VksVqganConfig *cfg, GError **error)
{
  if (!vks_vqgan_config_read (ckpt, cfg, error))
    return FALSE;
  g_autoptr (VksGraph) g = vks_graph_new ();
  build_all (g, cfg);
  if (!vks_graph_check (g, error)) {
    g_prefix_error (error, "the checkpoint's VQGAN config does not make a network: ");
    if (*error != NULL)
      (*error)->domain = VKS_ERROR, (*error)->code = VKS_ERROR_CHECKPOINT;
    return FALSE;
  }
  g_autoptr (GPtrArray) specs = vks_vqgan_tensors (cfg);
  return vks_check_tensors (ckpt, specs, "VQGAN", "the VQGAN of this config", error);
}

/* ---- running whole images ---- */

/* One graph from `in` to `out`, planned, parameters loaded, `in` set, run, `out` read. */
static gboolean
run_graph (VksContext *ctx, const VksCheckpoint *ckpt, VksGraph *g, VksNode in,
           const float *values, VksNode out, float *result, GError **error)
{
  if (!vks_graph_check (g, error))
    return FALSE;
  g_autoptr (VksPlan) plan = vks_plan_new (ctx, g, &out, 1, NULL, error);
  return plan != NULL && vks_plan_load_params (plan, g, ckpt, error) &&
         vks_plan_set (plan, in, values, error) && vks_plan_run (plan, error) &&
         vks_plan_get (plan, out, result, error);
}

gboolean
vks_vqgan_run_encode (VksContext *ctx, const VksCheckpoint *ckpt, const VksVqganConfig *cfg,
                      const float *image, int h, int w, float *indices, GError **error)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, cfg->in_channels, h, w));
  return run_graph (ctx, ckpt, g, x, image, vks_vqgan_encode (g, cfg, x).indices, indices, error);
}

gboolean
vks_vqgan_run_decode (VksContext *ctx, const VksCheckpoint *ckpt, const VksVqganConfig *cfg,
                      const float *indices, int zh, int zw, float *image, GError **error)
{
  for (long i = 0; i < (long) zh * zw; i++)
    if (!(indices[i] >= 0 && indices[i] < cfg->n_embed && indices[i] == (int) indices[i])) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                   "code %ld is %g, not one of the model's %d codes", i, indices[i], cfg->n_embed);
      return FALSE;
    }
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode idx = vks_input (g, "indices", vks_shape (1, 1, zh, zw));
  return run_graph (ctx, ckpt, g, idx, indices, vks_vqgan_decode_indices (g, cfg, idx), image,
                    error);
}

gboolean
vks_vqgan_run_reconstruct (VksContext *ctx, const VksCheckpoint *ckpt, const VksVqganConfig *cfg,
                           const float *image, int h, int w, float *out, GError **error)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, cfg->in_channels, h, w));
  VksNode y = vks_vqgan_decode (g, cfg, vks_vqgan_encode (g, cfg, x).quantized);
  return run_graph (ctx, ckpt, g, x, image, y, out, error);
}
