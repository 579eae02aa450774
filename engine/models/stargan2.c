/* StarGAN v2's four networks as graph builders (see stargan2.h). The reference's modules map to
 * nodes as follows: Conv2d -> vks_conv2d (a LeakyReLU directly after it fused), InstanceNorm2d
 * (affine) -> the fused instance norm times weight plus bias, AdaIN -> vks_adain_style,
 * F.avg_pool2d(x, 2) -> vks_avg_pool2, F.interpolate(nearest, x2) -> vks_upsample2, the
 * per-domain heads -> all heads side by side, then one row per sample picked by an embedding
 * lookup. */
#include "engine/models/stargan2.h"

#include <math.h>
#include <stdarg.h>

#include "engine/error.h"
#include "engine/nn/op.h"      /* vks_graph_ok, vks_graph_fail_code */

#define SLOPE 0.2f           /* nn.LeakyReLU(0.2) */
#define EPS 1e-5f            /* nn.InstanceNorm2d's */

typedef struct {
  VksGraph *g;
  const char *prefix;
  VksInstanceNormHook hook;   /* or NULL: the plain instance norm */
  gpointer hook_data;
} Builder;

/* The parameter named b->prefix + printf (format, ...): a state_dict key. */
#define param(b, shape, rank, ...) vks_param_printf ((b)->g, (b)->prefix, shape, rank, __VA_ARGS__)

/* InstanceNorm2d(affine=False), through the hook when there is one (the tiler's statistics). */
static VksNode
normalize (Builder *b, VksNode x)
{
  if (b->hook != NULL)
    return b->hook (b->g, x, VKS_ACT_NONE, VKS_NONE, b->hook_data);
  return vks_instance_norm (b->g, x, VKS_ACT_NONE, VKS_NONE);
}

/* nn.Conv2d(cin, cout, k, 1, pad) named `name`, with bias unless `bias` is FALSE. */
static VksNode
conv (Builder *b, VksNode x, const char *name, int cout, int k, int pad, gboolean bias,
      VksActivation act)
{
  if (!vks_graph_ok (b->g, &x, 1))
    return VKS_NONE;
  int cin = vks_graph_shape (b->g, x).c;
  VksConvAttrs a = { .stride = 1, .pad = pad, .act = act, .slope = SLOPE };
  VksNode w = param (b, vks_shape (cout, cin, k, k), 4, "%s.weight", name);
  VksNode bn = bias ? param (b, vks_shape (1, 1, 1, cout), 1, "%s.bias", name) : VKS_NONE;
  return vks_conv2d (b->g, x, w, bn, &a);
}

/* nn.Linear(in, out) named `name` on rows x [..][in]. */
static VksNode
linear (Builder *b, VksNode x, const char *name, int out, gboolean relu)
{
  if (!vks_graph_ok (b->g, &x, 1))
    return VKS_NONE;
  int in = vks_graph_shape (b->g, x).w;
  VksNode w = param (b, vks_shape (1, 1, out, in), 2, "%s.weight", name);
  VksNode bias = param (b, vks_shape (1, 1, 1, out), 1, "%s.bias", name);
  VksNode y = vks_linear (b->g, x, w, bias);
  return relu ? vks_relu (b->g, y) : y;
}

/* nn.InstanceNorm2d(c, affine=True) named `name`. */
static VksNode
instance_norm_affine (Builder *b, VksNode x, const char *name)
{
  if (!vks_graph_ok (b->g, &x, 1))
    return VKS_NONE;
  int c = vks_graph_shape (b->g, x).c;
  VksShape per_channel = vks_shape (1, c, 1, 1);
  VksNode w = param (b, vks_shape (1, 1, 1, c), 1, "%s.weight", name);
  VksNode bias = param (b, vks_shape (1, 1, 1, c), 1, "%s.bias", name);
  VksNode y = normalize (b, x);
  return vks_add (b->g, vks_mul (b->g, y, vks_reshape (b->g, w, per_channel)),
                  vks_reshape (b->g, bias, per_channel));
}

/* (shortcut + residual) / sqrt(2) */
static VksNode
unit_variance_sum (Builder *b, VksNode shortcut, VksNode residual)
{
  return vks_scale (b->g, vks_add (b->g, shortcut, residual), (float) (1.0 / sqrt (2.0)));
}

/* ResBlk(dim_in, dim_out, LeakyReLU(0.2), normalize, downsample) named `name`. */
static VksNode
res_blk (Builder *b, VksNode x, const char *name, int dim_out, gboolean normalize,
         gboolean downsample)
{
  if (!vks_graph_ok (b->g, &x, 1))
    return VKS_NONE;
  VksGraph *g = b->g;
  int dim_in = vks_graph_shape (g, x).c;
  g_autofree char *conv1 = g_strconcat (name, ".conv1", NULL);
  g_autofree char *conv2 = g_strconcat (name, ".conv2", NULL);
  g_autofree char *norm1 = g_strconcat (name, ".norm1", NULL);
  g_autofree char *norm2 = g_strconcat (name, ".norm2", NULL);
  g_autofree char *conv1x1 = g_strconcat (name, ".conv1x1", NULL);

  VksNode sc = x;
  if (dim_in != dim_out)
    sc = conv (b, sc, conv1x1, dim_out, 1, 0, FALSE, VKS_ACT_NONE);
  if (downsample)
    sc = vks_avg_pool2 (g, sc);

  VksNode r = normalize ? instance_norm_affine (b, x, norm1) : x;
  r = vks_leaky_relu (g, r, SLOPE);
  /* the activation after conv1 fuses into it only when nothing comes between */
  gboolean fuse = !downsample && !normalize;
  r = conv (b, r, conv1, dim_in, 3, 1, TRUE, fuse ? VKS_ACT_LEAKY_RELU : VKS_ACT_NONE);
  if (downsample)
    r = vks_avg_pool2 (g, r);
  if (normalize)
    r = instance_norm_affine (b, r, norm2);
  if (!fuse)
    r = vks_leaky_relu (g, r, SLOPE);
  r = conv (b, r, conv2, dim_out, 3, 1, TRUE, VKS_ACT_NONE);
  return unit_variance_sum (b, sc, r);
}

/* AdaIN(style_dim, c) named `name`: (1 + gamma) * InstanceNorm(x) + beta. */
static VksNode
adain (Builder *b, VksNode x, VksNode s, const char *name)
{
  if (!vks_graph_ok (b->g, &x, 1) || !vks_graph_ok (b->g, &s, 1))
    return VKS_NONE;
  int c = vks_graph_shape (b->g, x).c;
  int style_dim = vks_graph_shape (b->g, s).w;
  VksNode w = param (b, vks_shape (1, 1, 2 * c, style_dim), 2, "%s.fc.weight", name);
  VksNode bias = param (b, vks_shape (1, 1, 1, 2 * c), 1, "%s.fc.bias", name);
  if (b->hook == NULL)
    return vks_adain_style (b->g, x, s, w, bias, EPS);
  /* vks_adain_style's composition around the hook's norm */
  VksGraph *g = b->g;
  int n = vks_graph_shape (g, x).n;
  VksNode h = vks_reshape (g, vks_linear (g, s, w, bias), vks_shape (n, 2 * c, 1, 1));
  VksNode gamma = vks_slice_channels (g, h, 0, c), beta = vks_slice_channels (g, h, c, c);
  return vks_add (g, vks_mul (g, normalize (b, x), vks_add_scalar (g, gamma, 1.0f)), beta);
}

/* AdainResBlk(dim_in, dim_out, style_dim, w_hpf=0, upsample) named `name`. */
static VksNode
adain_res_blk (Builder *b, VksNode x, VksNode s, const char *name, int dim_out, gboolean upsample)
{
  if (!vks_graph_ok (b->g, &x, 1))
    return VKS_NONE;
  VksGraph *g = b->g;
  int dim_in = vks_graph_shape (g, x).c;
  g_autofree char *conv1 = g_strconcat (name, ".conv1", NULL);
  g_autofree char *conv2 = g_strconcat (name, ".conv2", NULL);
  g_autofree char *norm1 = g_strconcat (name, ".norm1", NULL);
  g_autofree char *norm2 = g_strconcat (name, ".norm2", NULL);
  g_autofree char *conv1x1 = g_strconcat (name, ".conv1x1", NULL);

  VksNode r = vks_leaky_relu (g, adain (b, x, s, norm1), SLOPE);
  if (upsample)
    r = vks_upsample2 (g, r);
  r = conv (b, r, conv1, dim_out, 3, 1, TRUE, VKS_ACT_NONE);
  r = vks_leaky_relu (g, adain (b, r, s, norm2), SLOPE);
  r = conv (b, r, conv2, dim_out, 3, 1, TRUE, VKS_ACT_NONE);

  VksNode sc = upsample ? vks_upsample2 (g, x) : x;
  if (dim_in != dim_out)
    sc = conv (b, sc, conv1x1, dim_out, 1, 0, FALSE, VKS_ACT_NONE);
  return unit_variance_sum (b, r, sc);
}

int
vks_stargan2_generator_downsamplings (const VksStarGan2Config *cfg)
{
  int log2 = 0;
  while ((1 << (log2 + 1)) <= cfg->img_size)
    log2++;
  return log2 - 4;
}

VksNode
vks_stargan2_generator (VksGraph *g, VksNode x, VksNode s, const VksStarGan2Config *cfg,
                        const char *prefix)
{
  return vks_stargan2_generator_hooked (g, x, s, cfg, prefix, NULL, NULL);
}

VksNode
vks_stargan2_generator_hooked (VksGraph *g, VksNode x, VksNode s, const VksStarGan2Config *cfg,
                               const char *prefix, VksInstanceNormHook hook, gpointer hook_data)
{
  Builder b = { g, prefix, hook, hook_data };
  int repeat = vks_stargan2_generator_downsamplings (cfg);
  int dims[VKS_STARGAN2_MAX_BLOCKS];    /* each encoder block's input width */
  int dim_in = cfg->dim_in;
  VksNode h = conv (&b, x, "from_rgb", dim_in, 3, 1, TRUE, VKS_ACT_NONE);
  int block = 0;
  for (int i = 0; i < repeat; i++, block++) {
    int dim_out = MIN (dim_in * 2, cfg->max_conv_dim);
    g_autofree char *name = g_strdup_printf ("encode.%d", block);
    h = res_blk (&b, h, name, dim_out, TRUE, TRUE);
    dims[block] = dim_in;
    dim_in = dim_out;
  }
  for (int i = 0; i < 2; i++, block++) {
    g_autofree char *name = g_strdup_printf ("encode.%d", block);
    h = res_blk (&b, h, name, dim_in, TRUE, FALSE);
    dims[block] = dim_in;
  }
  /* decode is the encoder's mirror image (the reference inserts each block at the front):
   * decode.0 and .1 are the bottleneck blocks, then the up-sampling blocks from the widest */
  int n_blocks = block;
  for (int d = 0; d < n_blocks; d++) {
    int e = n_blocks - 1 - d;   /* the encoder block it mirrors */
    g_autofree char *name = g_strdup_printf ("decode.%d", d);
    h = adain_res_blk (&b, h, s, name, dims[e], e < repeat);
  }
  h = instance_norm_affine (&b, h, "to_rgb.0");
  h = vks_leaky_relu (g, h, SLOPE);
  return conv (&b, h, "to_rgb.2", 3, 1, 0, TRUE, VKS_ACT_NONE);
}

void
vks_stargan2_domain_rows (const int *domains, int n, int num_domains, float *rows)
{
  for (int i = 0; i < n; i++)
    rows[i] = (float) ((gint64) i * num_domains + domains[i]);
}

/* out[idx, y] of heads[d] = [1][1][n][dim] each: side by side per sample, one row each. */
static VksNode
select_domain (VksGraph *g, const VksNode *heads, int n_heads, VksNode rows)
{
  if (!vks_graph_ok (g, heads, n_heads))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, heads[0]);
  VksNode all = vks_concat_dim (g, 3, heads, n_heads);
  all = vks_reshape (g, all, vks_shape (1, 1, s.h * n_heads, s.w));
  return vks_embedding (g, all, rows);
}

VksNode
vks_stargan2_mapping (VksGraph *g, VksNode z, VksNode rows, const VksStarGan2Config *cfg,
                      const char *prefix)
{
  Builder b = { g, prefix, NULL, NULL };
  int hidden = cfg->mapping_dim;
  VksNode h = z;
  for (int i = 0; i < 4; i++) {
    g_autofree char *name = g_strdup_printf ("shared.%d", 2 * i);
    h = linear (&b, h, name, hidden, TRUE);
  }
  g_autofree VksNode *heads = g_new (VksNode, cfg->num_domains);
  for (int d = 0; d < cfg->num_domains; d++) {
    VksNode u = h;
    for (int i = 0; i < 4; i++) {
      g_autofree char *name = g_strdup_printf ("unshared.%d.%d", d, 2 * i);
      u = linear (&b, u, name, i < 3 ? hidden : cfg->style_dim, i < 3);
    }
    heads[d] = u;
  }
  return select_domain (g, heads, cfg->num_domains, rows);
}

/* The style encoder's `shared` and the discriminator's `main` up to their last LeakyReLU:
 * conv, ResBlks down to 4x4, LeakyReLU, 4x4 valid conv, LeakyReLU. [n][dim][1][1]. */
static VksNode
downsampling_body (Builder *b, VksNode x, const VksStarGan2Config *cfg, const char *seq)
{
  if (!vks_graph_ok (b->g, &x, 1))
    return VKS_NONE;
  VksShape in = vks_graph_shape (b->g, x);
  if (in.c != 3 || in.h != cfg->img_size || in.w != cfg->img_size)
    return vks_graph_fail_code (b->g, VKS_ERROR_SHAPE, "this StarGAN v2 network reads RGB images "
                                "of %dx%d, not %d channels of %dx%d", cfg->img_size,
                                cfg->img_size, in.c, in.w, in.h);
  int repeat = vks_stargan2_generator_downsamplings (cfg) + 2;
  int dim_in = cfg->dim_in, dim_out = dim_in;
  g_autofree char *first = g_strdup_printf ("%s.0", seq);
  VksNode h = conv (b, x, first, dim_in, 3, 1, TRUE, VKS_ACT_NONE);
  for (int i = 0; i < repeat; i++) {
    dim_out = MIN (dim_in * 2, cfg->max_conv_dim);
    g_autofree char *name = g_strdup_printf ("%s.%d", seq, 1 + i);
    h = res_blk (b, h, name, dim_out, FALSE, TRUE);
    dim_in = dim_out;
  }
  h = vks_leaky_relu (b->g, h, SLOPE);
  g_autofree char *last = g_strdup_printf ("%s.%d", seq, repeat + 2);
  return conv (b, h, last, dim_out, 4, 0, TRUE, VKS_ACT_LEAKY_RELU);
}

VksNode
vks_stargan2_style_encoder (VksGraph *g, VksNode x, VksNode rows, const VksStarGan2Config *cfg,
                            const char *prefix)
{
  Builder b = { g, prefix, NULL, NULL };
  VksNode h = downsampling_body (&b, x, cfg, "shared");
  if (!vks_graph_ok (g, &h, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, h);
  h = vks_reshape (g, h, vks_shape (1, 1, s.n, s.c));
  g_autofree VksNode *heads = g_new (VksNode, cfg->num_domains);
  for (int d = 0; d < cfg->num_domains; d++) {
    g_autofree char *name = g_strdup_printf ("unshared.%d", d);
    heads[d] = linear (&b, h, name, cfg->style_dim, FALSE);
  }
  return select_domain (g, heads, cfg->num_domains, rows);
}

VksNode
vks_stargan2_discriminator (VksGraph *g, VksNode x, VksNode rows, const VksStarGan2Config *cfg,
                            const char *prefix)
{
  Builder b = { g, prefix, NULL, NULL };
  int repeat = vks_stargan2_generator_downsamplings (cfg) + 2;
  VksNode h = downsampling_body (&b, x, cfg, "main");
  g_autofree char *name = g_strdup_printf ("main.%d", repeat + 4);
  h = conv (&b, h, name, cfg->num_domains, 1, 0, TRUE, VKS_ACT_NONE);
  if (!vks_graph_ok (g, &h, 1))
    return VKS_NONE;
  /* out.view(n, -1)[idx, y]: the n x num_domains logits as rows of one value */
  VksShape s = vks_graph_shape (g, h);
  return vks_embedding (g, vks_reshape (g, h, vks_shape (1, 1, s.n * s.c, 1)), rows);
}
