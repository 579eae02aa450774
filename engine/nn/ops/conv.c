/* Convolutions and their two gradients, lowered to the engine's convolution kernels (ops.h,
 * backward.h: im2col + GEMM, implicit GEMM, Winograd, phase-split transposed convolution).
 *
 * The three ops are bilinear: with y = conv(x, w), D(dy, w) = dL/dx and W(x, dy) = dL/dw,
 *   <conv(x, w), dy> = <x, D(dy, w)> = <w, W(x, dy)>,
 * so the gradients of D and W are again conv, D and W of the same forward description, which
 * makes any order of differentiation possible (gradient penalties).
 *
 * The kernels read weights packed into their GEMM layouts. A node's weights may be computed in
 * the same plan (a gradient), so each node re-packs them right before it runs: one gather through
 * an index map made by the ordinary packing code on index-valued weights (as train_net.c does),
 * and one transform dispatch where Winograd applies. */
#include "engine/nn/ops/ops.h"

#include <string.h>

#include "engine/backward.h"
#include "engine/winograd.h"

/* Column-matrix chunk cap of one convolution, as in generator.c. */
#define SCRATCH_BUDGET (64u << 20)

typedef struct {
  VkDeviceSize offset, bytes;
} Range;

typedef struct {
  VksConv conv;            /* CONV2D: the forward */
  VksConvBackward bw;      /* DATA_GRAD: bw.data computes dx; WEIGHT_GRAD: geometry */
  const VksConv *packed;   /* which of the two reads packed weights (NULL: none) */
  gboolean flipped;        /* its Winograd weights come from the forward's, rotated */
  Range gather[2];
  int n_gather;
  gboolean shared;         /* reads the packed weights of an earlier node: packs nothing */
} ConvLowered;

static VksConvDesc
conv_desc (const VksNodeInfo *fwd, VksShape weight)
{
  const VksConvAttrs *a = &fwd->attr.conv.a;
  VksConvDesc d = {
    .cin = a->transposed ? weight.n : weight.c,
    .cout = a->transposed ? weight.c : weight.n,
    .kh = weight.h,
    .kw = weight.w,
    .stride = a->stride,
    .pad = a->pad,
    .pad_h = a->pad_h,
    .pad_w = a->pad_w,
    .reflect = a->reflect,
    .transposed = a->transposed,
    .output_pad = a->output_pad,
    .act = fwd->op == VKS_OP_CONV2D ? a->act : VKS_ACT_NONE,
    .slope = a->slope,
    .algo = VKS_CONV_AUTO,
  };
  return d;
}

static int
conv_out_size (const VksConvAttrs *a, int in, int k, int pad)
{
  if (a->transposed)
    return (in - 1) * a->stride - 2 * pad + k + a->output_pad;
  return in + 2 * pad < k ? 0 : (in + 2 * pad - k) / a->stride + 1;
}

static gboolean
per_axis_padding (const VksConvAttrs *a)
{
  return vks_conv_attrs_pad_y (a) != vks_conv_attrs_pad_x (a);
}

VksNode
vks_conv2d (VksGraph *g, VksNode x, VksNode weight, VksNode bias, const VksConvAttrs *a)
{
  VksNode in[3] = { x, weight, bias };
  if (!vks_graph_ok (g, in, bias == VKS_NONE ? 2 : 3))
    return g->error ? VKS_NONE : vks_graph_fail (g, "conv2d: an input node is missing");
  VksShape sx = vks_graph_shape (g, x), sw = vks_graph_shape (g, weight);
  int cin = a->transposed ? sw.n : sw.c, cout = a->transposed ? sw.c : sw.n;
  int pad_y = vks_conv_attrs_pad_y (a), pad_x = vks_conv_attrs_pad_x (a);
  if (sx.c != cin || a->stride < 1 || pad_y < 0 || pad_x < 0 || sw.h > VKS_MAX_KERNEL ||
      sw.w > VKS_MAX_KERNEL || (a->reflect && (a->transposed || a->pad >= sx.h ||
                                               a->pad >= sx.w)) ||
      ((a->pad_h != 0 || a->pad_w != 0) && (a->reflect || a->transposed)))
    return vks_graph_fail (g, "conv2d: a [%d, %d, %d, %d] input does not fit a [%d, %d, %d, %d] "
                           "weight with stride %d, padding %dx%d%s", sx.n, sx.c, sx.h, sx.w,
                           sw.n, sw.c, sw.h, sw.w, a->stride, pad_y, pad_x,
                           a->reflect ? " (reflect)" : a->transposed ? " (transposed)" : "");
  if (bias != VKS_NONE && vks_shape_elements (vks_graph_shape (g, bias)) != cout)
    return vks_graph_fail (g, "conv2d: the bias needs %d values", cout);
  if (a->act == VKS_ACT_LEAKY_RELU && a->slope <= 0.0f)
    return vks_graph_fail (g, "conv2d: a fused LeakyReLU needs a positive slope");
  VksNodeInfo info = {
    .op = VKS_OP_CONV2D,
    .n_in = bias == VKS_NONE ? 2 : 3,
    .in = { vks_as_layout (g, x, VKS_LAYOUT_PLANES), vks_as_layout (g, weight, VKS_LAYOUT_DENSE),
            bias == VKS_NONE ? VKS_NONE : vks_as_layout (g, bias, VKS_LAYOUT_DENSE) },
    .shape = vks_shape (sx.n, cout, conv_out_size (a, sx.h, sw.h, pad_y),
                        conv_out_size (a, sx.w, sw.w, pad_x)),
    .layout = VKS_LAYOUT_PLANES,
    .attr.conv = { *a, sx.h, sx.w },
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_conv2d_data_grad (VksGraph *g, VksNode dy, VksNode weight, const VksNodeInfo *fwd)
{
  VksShape sd = vks_graph_shape (g, dy);
  int cin = fwd->attr.conv.a.transposed ? vks_graph_shape (g, weight).n
                                        : vks_graph_shape (g, weight).c;
  VksNodeInfo info = {
    .op = VKS_OP_CONV2D_DATA_GRAD,
    .n_in = 2,
    .in = { vks_as_layout (g, dy, VKS_LAYOUT_PLANES), vks_as_layout (g, weight, VKS_LAYOUT_DENSE) },
    .shape = vks_shape (sd.n, cin, fwd->attr.conv.x_h, fwd->attr.conv.x_w),
    .layout = VKS_LAYOUT_PLANES,
    .attr.conv = fwd->attr.conv,
  };
  info.attr.conv.a.act = VKS_ACT_NONE;
  return vks_graph_add (g, &info);
}

VksNode
vks_conv2d_weight_grad (VksGraph *g, VksNode x, VksNode dy, VksShape weight_shape,
                        const VksNodeInfo *fwd)
{
  VksNodeInfo info = {
    .op = VKS_OP_CONV2D_WEIGHT_GRAD,
    .n_in = 2,
    .in = { vks_as_layout (g, x, VKS_LAYOUT_PLANES), vks_as_layout (g, dy, VKS_LAYOUT_PLANES) },
    .shape = weight_shape,
    .layout = VKS_LAYOUT_DENSE,
    .attr.conv = fwd->attr.conv,
  };
  info.attr.conv.a.act = VKS_ACT_NONE;
  return vks_graph_add (g, &info);
}

/* The gradient before a fused activation, from the node's output y: exact for ReLU, tanh and
 * LeakyReLU with a positive slope (the sign of y is the sign of the pre-activation). */
VksNode
vks_activation_grad (VksGraph *g, VksActivation act, float slope, VksNode y, VksNode dy)
{
  switch (act) {
  case VKS_ACT_RELU:
    return vks_pointwise (g, VKS_PW_LEAKY_RELU_GRAD, y, dy, 0.0f);
  case VKS_ACT_LEAKY_RELU:
    return vks_pointwise (g, VKS_PW_LEAKY_RELU_GRAD, y, dy, slope);
  case VKS_ACT_TANH: {
    VksNode one = vks_const (g, vks_shape (1, 1, 1, 1), 1.0f);
    return vks_mul (g, dy, vks_sub (g, one, vks_square (g, y)));
  }
  default:
    return dy;
  }
}

/* The forward description without its fused activation, for the gradients' convolutions. */
static VksNodeInfo
linear_part (const VksNodeInfo *info)
{
  VksNodeInfo plain = *info;
  plain.attr.conv.a.act = VKS_ACT_NONE;
  return plain;
}

static void
conv2d_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = linear_part (vks_node_info (g, node));
  const VksConvAttrs *a = &vks_node_info (g, node)->attr.conv.a;
  if (per_axis_padding (a)) {
    vks_graph_fail (g, "conv2d: no gradient for per-axis padding %dx%d yet", a->pad_h, a->pad_w);
    return;
  }
  dy = vks_activation_grad (g, a->act, a->slope, node, dy);
  VksShape sw = vks_graph_shape (g, info.in[1]);
  if (wanted[0])
    dx[0] = vks_conv2d_data_grad (g, dy, info.in[1], &info);
  if (wanted[1])
    dx[1] = vks_conv2d_weight_grad (g, info.in[0], dy, sw, &info);
  if (info.n_in == 3 && wanted[2]) {
    VksNode db = vks_sum_to (g, dy, vks_shape (1, info.shape.c, 1, 1));
    dx[2] = vks_reshape (g, db, vks_graph_shape (g, info.in[2]));
  }
}

/* D(dy, w): d/d dy = conv(g, w), d/dw = W(g, dy). */
static void
data_grad_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = linear_part (vks_node_info (g, node));
  if (wanted[0])
    dx[0] = vks_conv2d (g, dy, info.in[1], VKS_NONE, &info.attr.conv.a);
  if (wanted[1])
    dx[1] = vks_conv2d_weight_grad (g, dy, info.in[0], vks_graph_shape (g, info.in[1]), &info);
}

/* W(x, dy): d/dx = D(dy, g), d/d dy = conv(x, g). */
static void
weight_grad_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = linear_part (vks_node_info (g, node));
  if (wanted[0])
    dx[0] = vks_conv2d_data_grad (g, info.in[1], dy, &info);
  if (wanted[1])
    dx[1] = vks_conv2d (g, info.in[0], dy, VKS_NONE, &info.attr.conv.a);
}

/* The weight shape of any of the three nodes (the forward's description needs it). */
static VksShape
weight_shape (const VksGraph *g, VksNode node)
{
  const VksNodeInfo *info = vks_node_info (g, node);
  return info->op == VKS_OP_CONV2D_WEIGHT_GRAD ? info->shape : vks_graph_shape (g, info->in[1]);
}

/* Maps the packed region [begin, end) of `conv` to arena floats: the packing code places value
 * k + 1 where weight float k goes and w_count + c + 1 where bias float c goes. */
/* The same convolution with its packed regions `by` bytes lower: packing into a host image of
 * its own region only, not of the whole packed arena before it. */
static void
shift_packed (VksConv *conv, VkDeviceSize by)
{
  for (int p = 0; p < conv->n_passes; p++)
    conv->pass[p].a_offset -= by;
  conv->bias_offset -= by;
}

static void
build_map (VksPlan *plan, ConvLowered *l, VkDeviceSize begin, VkDeviceSize end, VksNode weight,
           VksNode bias, long w_count, int cout, gboolean data_grad)
{
  if (vks_plan_measuring (plan))   /* sizes only: the tiler asks this many times per image */
    return;
  float *host = g_malloc0 (end - begin);
  float *w = g_new (float, w_count);
  float *b = g_new (float, cout);
  for (long k = 0; k < w_count; k++)
    w[k] = (float) (k + 1);
  for (int c = 0; c < cout; c++)
    b[c] = (float) (w_count + c + 1);
  if (data_grad) {
    VksConvBackward local = l->bw;
    shift_packed (&local.data, begin);
    vks_conv_backward_pack (&local, w, (guint8 *) host);
  } else {
    VksConv local = l->conv;
    shift_packed (&local, begin);
    vks_conv_pack (&local, w, bias != VKS_NONE ? b : NULL, (guint8 *) host);
  }
  for (VkDeviceSize i = 0; i < (end - begin) / sizeof (float); i++) {
    long v = (long) host[i];
    VkDeviceSize at = begin / sizeof (float) + i;
    if (v > 0 && v <= w_count)
      vks_plan_map_element (plan, at, weight, v - 1);
    else if (v > w_count)
      vks_plan_map_element (plan, at, bias, v - 1 - w_count);
  }
  g_free (host);
  g_free (w);
  g_free (b);

  /* Gather all but the Winograd weights, which the node transforms instead. */
  VkDeviceSize cut_begin = end, cut_end = end;
  if (l->packed->algo == VKS_CONV_WINOGRAD) {
    VkDeviceSize align = vks_buffer_alignment (vks_plan_context (plan));
    cut_begin = l->packed->pass[0].a_offset;
    cut_end = cut_begin + vks_winograd_weight_floats (l->packed) * sizeof (float);
    cut_end = MIN ((cut_end + align - 1) / align * align, end);
  }
  if (cut_begin > begin)
    l->gather[l->n_gather++] = (Range) { begin, cut_begin - begin };
  if (end > cut_end)
    l->gather[l->n_gather++] = (Range) { cut_end, end - cut_end };
}

/* An earlier node of the plan that packs the same weights (and bias) the same way: a network
 * applied several times in one step (CycleGAN's generators run three times, a critic twice) then
 * packs each weight once per run, not once per application. The layout depends only on the op,
 * the attributes and the input size, and nodes are prepared and recorded in one order, so the
 * earlier node's gather has run when this one reads. */
static const ConvLowered *
same_packing (VksPlan *plan, VksNode node)
{
  const VksGraph *g = vks_plan_graph (plan);
  const VksNodeInfo *info = vks_node_info (g, node);
  for (VksNode v = 0; v < node; v++) {
    const VksNodeInfo *o = vks_node_info (g, v);
    const ConvLowered *l = o->op == info->op ? vks_plan_data (plan, v) : NULL;
    if (l == NULL || l->shared || o->n_in != info->n_in || o->in[1] != info->in[1] ||
        o->shape.n != info->shape.n ||
        (info->n_in == 3 && o->in[2] != info->in[2]) ||
        o->attr.conv.x_h != info->attr.conv.x_h || o->attr.conv.x_w != info->attr.conv.x_w ||
        memcmp (&o->attr.conv.a, &info->attr.conv.a, sizeof info->attr.conv.a) != 0)
      continue;
    return l;
  }
  return NULL;
}

static gboolean
conv_prepare (VksPlan *plan, VksNode node, GError **error)
{
  const VksGraph *g = vks_plan_graph (plan);
  const VksNodeInfo *info = vks_node_info (g, node);
  VksShape sw = weight_shape (g, node);
  VksConvDesc d = conv_desc (info, sw);
  /* Training: Winograd's forward and input gradient measured 3.8x and 10x PyTorch float32's
   * error against float64 (docs/performance.md, "Gradient error per convolution path"); im2col +
   * GEMM is within PyTorch's. Inference keeps Winograd (the error is far below 8 bits) unless
   * the plan asks for GEMM's one dispatch per batch. */
  if (vks_plan_conv_gemm (plan) && vks_winograd_applies (&d)) {
    VksConv probe;
    VksArena none;
    vks_arena_init (&none, vks_plan_context (plan));
    if (vks_conv_init (&probe, &d, &none, NULL) && probe.algo == VKS_CONV_WINOGRAD)
      d.algo = VKS_CONV_DIRECT;
  }
  ConvLowered *l = g_new0 (ConvLowered, 1);
  vks_plan_set_data (plan, node, l);
  const ConvLowered *earlier = info->op != VKS_OP_CONV2D_WEIGHT_GRAD ? same_packing (plan, node)
                                                                     : NULL;
  if (earlier != NULL) {
    *l = *earlier;
    l->packed = info->op == VKS_OP_CONV2D ? &l->conv : &l->bw.data;
    l->n_gather = 0;
    l->shared = TRUE;
    return TRUE;   /* the earlier node asked for the same scratch (same batch and size) */
  }
  VksArena *packed = vks_plan_packed_arena (plan);
  VksArena unused;
  vks_arena_init (&unused, vks_plan_context (plan));
  int x_h = info->attr.conv.x_h, x_w = info->attr.conv.x_w;
  int n = info->shape.n;
  VkDeviceSize align = vks_buffer_alignment (vks_plan_context (plan));
  VkDeviceSize begin = (packed->size + align - 1) / align * align;
  long w_count = vks_shape_elements (sw);
  /* the map is made by packing weights whose values are their indices, as floats */
  if (w_count + info->shape.c >= (1L << 24)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE, "a convolution of %ld weights is too "
                 "large to re-pack on the device (at most 2^24)", w_count);
    return FALSE;
  }
  /* the scratch is bound through R32F views too */
  VkDeviceSize budget = MIN ((VkDeviceSize) SCRATCH_BUDGET,
                             (VkDeviceSize) vks_plan_context (plan)->props.limits.maxTexelBufferElements
                             * sizeof (float));

  switch (info->op) {
  case VKS_OP_CONV2D:
    if (!vks_conv_init (&l->conv, &d, packed, error))
      return FALSE;
    l->packed = &l->conv;
    build_map (plan, l, begin, packed->size, info->in[1], info->n_in == 3 ? info->in[2] : VKS_NONE,
               w_count, d.cout, FALSE);
    vks_plan_need_scratch (plan, vks_conv_scratch_bytes (&l->conv, n, x_h, x_w, budget));
    return TRUE;
  case VKS_OP_CONV2D_DATA_GRAD:
    if (!vks_conv_init (&l->conv, &d, &unused, error) ||
        !vks_conv_backward_init (&l->bw, &l->conv, x_h, x_w, packed, error))
      return FALSE;
    l->packed = &l->bw.data;
    l->flipped = !d.transposed;
    build_map (plan, l, begin, packed->size, info->in[1], VKS_NONE, w_count, d.cout, TRUE);
    vks_plan_need_scratch (plan, vks_conv_backward_scratch_bytes (&l->bw, n, budget));
    return TRUE;
  default:   /* VKS_OP_CONV2D_WEIGHT_GRAD */
    if (!vks_conv_init (&l->conv, &d, &unused, error) ||
        !vks_conv_backward_init (&l->bw, &l->conv, x_h, x_w, &unused, error))
      return FALSE;
    vks_plan_need_scratch (plan, vks_conv_backward_scratch_bytes (&l->bw, n, budget));
    return TRUE;
  }
}

static gboolean
record_repack (VksPlan *plan, const VksNodeInfo *info, ConvLowered *l, GError **error)
{
  const VksBuffer *packed = vks_plan_packed_buffer (plan);
  l->conv.weights = packed;
  l->bw.data.weights = packed;
  if (l->shared)
    return TRUE;
  VksRecorder *rec = vks_plan_repack_recorder (plan, info->in + 1, info->n_in - 1, error);
  if (rec == NULL)
    return FALSE;
  for (int i = 0; i < l->n_gather; i++)
    if (!vks_plan_record_gather (plan, rec, l->gather[i].offset, l->gather[i].bytes, error))
      return FALSE;
  if (l->packed->algo != VKS_CONV_WINOGRAD)
    return TRUE;
  VkDeviceSize floats, first;
  const VksBuffer *src = vks_plan_node_buffer (plan, info->in[1], &floats, &first);
  return vks_winograd_record_weights (rec, l->packed, src, 0, floats, first, l->flipped, error);
}

static gboolean
conv_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  ConvLowered *l = vks_plan_data (plan, node);
  VksRecorder *rec = vks_plan_recorder (plan);
  const VksBuffer *scratch;
  VkDeviceSize scratch_offset, scratch_bytes;
  vks_plan_scratch (plan, &scratch, &scratch_offset, &scratch_bytes);
  VksTensor a = vks_plan_tensor (plan, info->in[0]);
  VksTensor b = vks_plan_tensor (plan, info->in[1]);
  VksTensor y = vks_plan_tensor (plan, node);
  switch (info->op) {
  case VKS_OP_CONV2D:
    return record_repack (plan, info, l, error) &&
           vks_conv_forward (rec, &l->conv, &a, &y, scratch, scratch_offset, scratch_bytes, error);
  case VKS_OP_CONV2D_DATA_GRAD:
    return record_repack (plan, info, l, error) &&
           vks_conv_backward_data (rec, &l->bw, &a, &y, scratch, scratch_offset, scratch_bytes,
                                   error);
  default:
    return vks_conv_backward_weight (rec, &l->bw, &a, &b, y.buf, y.offset, FALSE, scratch,
                                     scratch_offset, scratch_bytes, error);
  }
}

const VksOpClass vks_conv2d_class = { "conv2d", conv2d_backward, conv_prepare, conv_record };
const VksOpClass vks_conv2d_data_grad_class = { "conv2d_data_grad", data_grad_backward,
                                                conv_prepare, conv_record };
const VksOpClass vks_conv2d_weight_grad_class = { "conv2d_weight_grad", weight_grad_backward,
                                                  conv_prepare, conv_record };
