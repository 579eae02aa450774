/* The FID Inception-v3 as a graph (see inception.h). torchvision's Inception3 with pytorch-fid's
 * patches: every BasicConv2d is conv (no bias) -> BatchNorm2d(eps=0.001) -> ReLU, here the conv
 * and the fused norm kernel (batch mode, running statistics, ReLU). The FID blocks' average
 * pools exclude the padding (TensorFlow's) and Mixed_7c's pool is a 3x3 max pool; pool3 is the
 * adaptive average pool to 1x1, i.e. the mean over each plane. */
#include "engine/models/inception.h"

#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/nn/op.h"      /* vks_graph_fail: the input check words its own error */
#include "engine/nn/params.h"
#include "engine/nn/plan.h"

/* BasicConv2d `block.name` (block may be NULL) with kernel kh x kw, stride and padding (ph, pw). */
static VksNode
basic_conv (VksGraph *g, VksNode x, const char *block, const char *name, int cout, int kh, int kw,
            int stride, int ph, int pw)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  g_autofree char *prefix = block ? g_strdup_printf ("%s.%s", block, name) : g_strdup (name);
  int cin = vks_graph_shape (g, x).c;
  g_autofree char *wn = g_strconcat (prefix, ".conv.weight", NULL);
  VksConvAttrs a = { .stride = stride, .pad_h = ph, .pad_w = pw };
  VksNode y = vks_conv2d (g, x, vks_param (g, wn, vks_shape (cout, cin, kh, kw)), VKS_NONE, &a);
  static const char *const bn[4] = { "weight", "bias", "running_mean", "running_var" };
  VksNode params[4];
  for (int i = 0; i < 4; i++) {
    g_autofree char *pn = g_strdup_printf ("%s.bn.%s", prefix, bn[i]);
    params[i] = vks_param (g, pn, vks_shape (1, 1, 1, cout));
  }
  VksNormAttrs na = { .instance = FALSE, .act = VKS_ACT_RELU, .eps = 0.001f };
  return vks_norm (g, y, &na, params, VKS_NONE);
}

static VksNode
conv1 (VksGraph *g, VksNode x, const char *block, const char *name, int cout)
{
  return basic_conv (g, x, block, name, cout, 1, 1, 1, 0, 0);
}

static VksNode
pool (VksGraph *g, VksNode x, int kernel, int stride, int pad, gboolean max)
{
  VksPoolAttrs a = { kernel, stride, pad, max, FALSE };
  return vks_pool2d (g, x, &a);
}

static VksNode
cat (VksGraph *g, VksNode a, VksNode b, VksNode c, VksNode d)
{
  VksNode xs[4] = { a, b, c, d };
  return vks_concat (g, xs, d == VKS_NONE ? 3 : 4);
}

/* FIDInceptionA */
static VksNode
block_a (VksGraph *g, VksNode x, const char *b, int pool_features)
{
  VksNode b1 = conv1 (g, x, b, "branch1x1", 64);
  VksNode b5 = conv1 (g, x, b, "branch5x5_1", 48);
  b5 = basic_conv (g, b5, b, "branch5x5_2", 64, 5, 5, 1, 2, 2);
  VksNode b3 = conv1 (g, x, b, "branch3x3dbl_1", 64);
  b3 = basic_conv (g, b3, b, "branch3x3dbl_2", 96, 3, 3, 1, 1, 1);
  b3 = basic_conv (g, b3, b, "branch3x3dbl_3", 96, 3, 3, 1, 1, 1);
  VksNode bp = conv1 (g, pool (g, x, 3, 1, 1, FALSE), b, "branch_pool", pool_features);
  return cat (g, b1, b5, b3, bp);
}

/* InceptionB (Mixed_6a) */
static VksNode
block_b (VksGraph *g, VksNode x, const char *b)
{
  VksNode b3 = basic_conv (g, x, b, "branch3x3", 384, 3, 3, 2, 0, 0);
  VksNode bd = conv1 (g, x, b, "branch3x3dbl_1", 64);
  bd = basic_conv (g, bd, b, "branch3x3dbl_2", 96, 3, 3, 1, 1, 1);
  bd = basic_conv (g, bd, b, "branch3x3dbl_3", 96, 3, 3, 2, 0, 0);
  return cat (g, b3, bd, pool (g, x, 3, 2, 0, TRUE), VKS_NONE);
}

/* 1x7 and 7x1 factorised convolutions keep the size: padding (0, 3) and (3, 0). */
static VksNode
conv_1x7 (VksGraph *g, VksNode x, const char *b, const char *name, int cout)
{
  return basic_conv (g, x, b, name, cout, 1, 7, 1, 0, 3);
}

static VksNode
conv_7x1 (VksGraph *g, VksNode x, const char *b, const char *name, int cout)
{
  return basic_conv (g, x, b, name, cout, 7, 1, 1, 3, 0);
}

/* FIDInceptionC */
static VksNode
block_c (VksGraph *g, VksNode x, const char *b, int c7)
{
  VksNode b1 = conv1 (g, x, b, "branch1x1", 192);
  VksNode b7 = conv1 (g, x, b, "branch7x7_1", c7);
  b7 = conv_1x7 (g, b7, b, "branch7x7_2", c7);
  b7 = conv_7x1 (g, b7, b, "branch7x7_3", 192);
  VksNode bd = conv1 (g, x, b, "branch7x7dbl_1", c7);
  bd = conv_7x1 (g, bd, b, "branch7x7dbl_2", c7);
  bd = conv_1x7 (g, bd, b, "branch7x7dbl_3", c7);
  bd = conv_7x1 (g, bd, b, "branch7x7dbl_4", c7);
  bd = conv_1x7 (g, bd, b, "branch7x7dbl_5", 192);
  VksNode bp = conv1 (g, pool (g, x, 3, 1, 1, FALSE), b, "branch_pool", 192);
  return cat (g, b1, b7, bd, bp);
}

/* InceptionD (Mixed_7a) */
static VksNode
block_d (VksGraph *g, VksNode x, const char *b)
{
  VksNode b3 = conv1 (g, x, b, "branch3x3_1", 192);
  b3 = basic_conv (g, b3, b, "branch3x3_2", 320, 3, 3, 2, 0, 0);
  VksNode b7 = conv1 (g, x, b, "branch7x7x3_1", 192);
  b7 = conv_1x7 (g, b7, b, "branch7x7x3_2", 192);
  b7 = conv_7x1 (g, b7, b, "branch7x7x3_3", 192);
  b7 = basic_conv (g, b7, b, "branch7x7x3_4", 192, 3, 3, 2, 0, 0);
  return cat (g, b3, b7, pool (g, x, 3, 2, 0, TRUE), VKS_NONE);
}

/* The 1x3 | 3x1 pair an E block concatenates after `x`. */
static VksNode
split_3 (VksGraph *g, VksNode x, const char *b, const char *name_a, const char *name_b)
{
  VksNode pair[2] = { basic_conv (g, x, b, name_a, 384, 1, 3, 1, 0, 1),
                      basic_conv (g, x, b, name_b, 384, 3, 1, 1, 1, 0) };
  return vks_concat (g, pair, 2);
}

/* FIDInceptionE_1 (average pool) and FIDInceptionE_2 (max pool). */
static VksNode
block_e (VksGraph *g, VksNode x, const char *b, gboolean max_pool)
{
  VksNode b1 = conv1 (g, x, b, "branch1x1", 320);
  VksNode b3 = split_3 (g, conv1 (g, x, b, "branch3x3_1", 384), b, "branch3x3_2a",
                        "branch3x3_2b");
  VksNode bd = conv1 (g, x, b, "branch3x3dbl_1", 448);
  bd = basic_conv (g, bd, b, "branch3x3dbl_2", 384, 3, 3, 1, 1, 1);
  bd = split_3 (g, bd, b, "branch3x3dbl_3a", "branch3x3dbl_3b");
  VksNode bp = conv1 (g, pool (g, x, 3, 1, 1, max_pool), b, "branch_pool", 192);
  return cat (g, b1, b3, bd, bp);
}

VksInceptionOutputs
vks_inception_fid (VksGraph *g, VksNode x)
{
  VksInceptionOutputs out = { VKS_NONE, VKS_NONE, VKS_NONE };
  if (!vks_graph_ok (g, &x, 1))
    return out;
  VksShape s = vks_graph_shape (g, x);
  if (s.c != 3 || s.h < VKS_INCEPTION_MIN_SIZE || s.w < VKS_INCEPTION_MIN_SIZE) {
    vks_graph_fail (g, "inception: the input must be [n, 3, h, w] with h, w >= %d, not "
                    "[%d, %d, %d, %d]", VKS_INCEPTION_MIN_SIZE, s.n, s.c, s.h, s.w);
    return out;
  }
  x = basic_conv (g, x, NULL, "Conv2d_1a_3x3", 32, 3, 3, 2, 0, 0);
  x = basic_conv (g, x, NULL, "Conv2d_2a_3x3", 32, 3, 3, 1, 0, 0);
  x = basic_conv (g, x, NULL, "Conv2d_2b_3x3", 64, 3, 3, 1, 1, 1);
  x = pool (g, x, 3, 2, 0, TRUE);
  x = conv1 (g, x, NULL, "Conv2d_3b_1x1", 80);
  x = basic_conv (g, x, NULL, "Conv2d_4a_3x3", 192, 3, 3, 1, 0, 0);
  x = pool (g, x, 3, 2, 0, TRUE);
  x = block_a (g, x, "Mixed_5b", 32);
  x = block_a (g, x, "Mixed_5c", 64);
  x = block_a (g, x, "Mixed_5d", 64);
  x = block_b (g, x, "Mixed_6a");
  x = block_c (g, x, "Mixed_6b", 128);
  x = block_c (g, x, "Mixed_6c", 160);
  x = block_c (g, x, "Mixed_6d", 160);
  x = block_c (g, x, "Mixed_6e", 192);
  x = block_d (g, x, "Mixed_7a");
  x = block_e (g, x, "Mixed_7b", FALSE);
  x = block_e (g, x, "Mixed_7c", TRUE);
  x = vks_mean_to (g, x, vks_shape (s.n, VKS_INCEPTION_FEATURES, 1, 1));
  out.pool3 = vks_reshape (g, x, vks_shape (1, 1, s.n, VKS_INCEPTION_FEATURES));
  VksNode w = vks_param (g, "fc.weight", vks_shape (1, 1, VKS_INCEPTION_CLASSES,
                                                    VKS_INCEPTION_FEATURES));
  VksNode b = vks_param (g, "fc.bias", vks_shape (1, 1, 1, VKS_INCEPTION_CLASSES));
  out.logits_unbiased = vks_linear (g, out.pool3, w, VKS_NONE);
  out.logits = vks_add (g, out.logits_unbiased, b);
  return out;
}

GPtrArray *
vks_inception_tensors (void)
{
  g_autoptr (VksGraph) g = vks_graph_new ();
  VksNode x = vks_input (g, "x", vks_shape (1, 3, VKS_INCEPTION_MIN_SIZE, VKS_INCEPTION_MIN_SIZE));
  vks_inception_fid (g, x);
  g_assert (vks_graph_check (g, NULL));
  return vks_graph_tensor_specs (g);
}

gboolean
vks_inception_check_checkpoint (const VksCheckpoint *ckpt, GError **error)
{
  if (!vks_metadata_check_arch (ckpt, VKS_ARCH_INCEPTION_FID, "network", "FID Inception-v3",
                                error))
    return FALSE;
  g_autoptr (GPtrArray) specs = vks_inception_tensors ();
  return vks_check_tensors (ckpt, specs, "network", "the FID Inception-v3", error);
}

/* ---- input and running ---- */

/* F.interpolate(bilinear, align_corners=False) along one axis: source coordinate
 * (dst + 0.5) * in / out - 0.5, clamped at 0. In double, as PyTorch's CPU kernel evidently does
 * (measured: float coordinates are 3.5e-6 off its output, double 2e-7: float blending only). */
typedef struct {
  int i0, i1;
  float l0, l1;
} Tap;

static void
linear_taps (int in, int out, Tap *taps)
{
  double scale = (double) in / out;
  for (int d = 0; d < out; d++) {
    double src = MAX (scale * (d + 0.5) - 0.5, 0.0);
    int i0 = (int) src;
    taps[d].i0 = i0;
    taps[d].i1 = i0 + (i0 < in - 1 ? 1 : 0);
    taps[d].l1 = (float) (src - i0);
    taps[d].l0 = (float) (1.0 - (src - i0));
  }
}

void
vks_inception_prepare_image (const float *rgb, int width, int height, float *out)
{
  const int size = VKS_INCEPTION_SIZE;
  Tap ty[VKS_INCEPTION_SIZE], tx[VKS_INCEPTION_SIZE];
  linear_taps (height, size, ty);
  linear_taps (width, size, tx);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < size; y++) {
      const float *r0 = rgb + (size_t) ty[y].i0 * width * 3 + c;
      const float *r1 = rgb + (size_t) ty[y].i1 * width * 3 + c;
      for (int x = 0; x < size; x++) {
        const Tap *t = &tx[x];
        float top = t->l0 * r0[3 * t->i0] + t->l1 * r0[3 * t->i1];
        float bottom = t->l0 * r1[3 * t->i0] + t->l1 * r1[3 * t->i1];
        float v = ty[y].l0 * top + ty[y].l1 * bottom;
        out[((size_t) c * size + y) * size + x] = 2.0f * v - 1.0f;
      }
    }
}

struct VksInception {
  VksGraph *graph;
  VksPlan *plan;
  VksNode input;
  VksInceptionOutputs out;
  int batch;
  float *scratch;           /* one batch of outputs, for a partial batch */
};

void
vks_inception_free (VksInception *net)
{
  if (net == NULL)
    return;
  g_clear_pointer (&net->plan, vks_plan_free);
  g_clear_pointer (&net->graph, vks_graph_free);
  g_free (net->scratch);
  g_free (net);
}

VksInception *
vks_inception_new (VksContext *ctx, const VksCheckpoint *ckpt, int batch, GError **error)
{
  g_return_val_if_fail (batch >= 1, NULL);
  if (!vks_inception_check_checkpoint (ckpt, error))
    return NULL;
  g_autoptr (VksInception) net = g_new0 (VksInception, 1);
  net->batch = batch;
  net->graph = vks_graph_new ();
  net->input = vks_input (net->graph, "x", vks_shape (batch, 3, VKS_INCEPTION_SIZE,
                                                      VKS_INCEPTION_SIZE));
  net->out = vks_inception_fid (net->graph, net->input);
  if (!vks_graph_check (net->graph, error))
    return NULL;
  /* the biased logits too: every checkpoint tensor is then part of the plan (loading sets all) */
  VksNode outputs[3] = { net->out.pool3, net->out.logits_unbiased, net->out.logits };
  VksPlanOptions options = { .readback = outputs, .n_readback = 3 };
  net->plan = vks_plan_new (ctx, net->graph, outputs, 3, &options, error);
  if (net->plan == NULL || !vks_plan_load_params (net->plan, net->graph, ckpt, error))
    return NULL;
  net->scratch = g_new (float, (size_t) batch * MAX (VKS_INCEPTION_FEATURES, VKS_INCEPTION_CLASSES));
  return g_steal_pointer (&net);
}

int
vks_inception_batch (const VksInception *net)
{
  return net->batch;
}

/* The first n rows of a [batch][width] output. */
static gboolean
get_rows (VksInception *net, VksNode node, int n, int width, float *dst, GError **error)
{
  if (dst == NULL)
    return TRUE;
  if (!vks_plan_get (net->plan, node, net->scratch, error))
    return FALSE;
  memcpy (dst, net->scratch, (size_t) n * width * sizeof (float));
  return TRUE;
}

gboolean
vks_inception_run (VksInception *net, const float *images, int n, float *pool3,
                   float *logits_unbiased, GError **error)
{
  g_return_val_if_fail (n >= 1 && n <= net->batch, FALSE);
  size_t image = (size_t) 3 * VKS_INCEPTION_SIZE * VKS_INCEPTION_SIZE;
  const float *src = images;
  g_autofree float *padded = NULL;
  if (n < net->batch) {
    /* a partial last batch: the rest of the plan's input is zeros, its outputs dropped */
    padded = g_new0 (float, image * net->batch);
    memcpy (padded, images, image * n * sizeof (float));
    src = padded;
  }
  return vks_plan_set (net->plan, net->input, src, error) && vks_plan_run (net->plan, error) &&
         get_rows (net, net->out.pool3, n, VKS_INCEPTION_FEATURES, pool3, error) &&
         get_rows (net, net->out.logits_unbiased, n, VKS_INCEPTION_CLASSES, logits_unbiased,
                   error);
}
