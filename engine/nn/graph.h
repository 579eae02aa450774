/* Networks as graphs (engine v2). A model is a builder function that adds nodes to a VksGraph;
 * the same graph serves inference, training (vks_grad appends the backward pass as ordinary
 * nodes, so a gradient can be differentiated again) and the checkpoint's tensor list (the
 * parameters' names). Shapes are static and inferred when a node is made. A builder error is
 * sticky: the first one is kept, later constructors return VKS_NONE, and vks_graph_check reports
 * it, so builders need not test every call.
 *
 * Every tensor is 4-D, [n][c][h][w] in PyTorch's order; lower ranks are padded on the left with
 * 1s (a bias [c] is [1][1][1][c], a linear weight [out][in] is [1][1][out][in]). */
#pragma once
#include <glib.h>

#include "engine/ops.h"   /* VksActivation */

typedef int VksNode;       /* index into the graph; VKS_NONE: absent */
#define VKS_NONE (-1)

typedef struct {
  int n, c, h, w;
} VksShape;

static inline VksShape
vks_shape (int n, int c, int h, int w)
{
  return (VksShape) { n, c, h, w };
}

static inline long
vks_shape_elements (VksShape s)
{
  return (long) s.n * s.c * s.h * s.w;
}

static inline gboolean
vks_shape_equal (VksShape a, VksShape b)
{
  return a.n == b.n && a.c == b.c && a.h == b.h && a.w == b.w;
}

/* How a node's values lie in memory. PLANES: each (n, c) plane padded to a multiple of 4 floats
 * (engine/tensor.h, what convolutions and norms read); DENSE: PyTorch's contiguous order (what
 * parameters, matrix products and gathers use). The two coincide when h * w is a multiple of 4. */
typedef enum {
  VKS_LAYOUT_PLANES,
  VKS_LAYOUT_DENSE,
} VksLayout;

typedef struct VksGraph VksGraph;

VksGraph *vks_graph_new (void);
void vks_graph_free (VksGraph *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksGraph, vks_graph_free)

/* FALSE with the first builder error (a copy) if there was one. */
gboolean vks_graph_check (const VksGraph *g, GError **error);
int vks_graph_n_nodes (const VksGraph *g);
VksShape vks_graph_shape (const VksGraph *g, VksNode node);
/* The name of an input or parameter, else NULL. */
const char *vks_graph_name (const VksGraph *g, VksNode node);
/* The input or parameter of that name, or VKS_NONE. */
VksNode vks_graph_find (const VksGraph *g, const char *name);
/* Parameters in creation order (the checkpoint's tensor list); g_free the array. */
VksNode *vks_graph_params (const VksGraph *g, int *n_params);

/* Leaves: data given per run, and named parameters (their names are the state_dict keys). A
 * parameter asked for again with the same name and shape is the same node (a network applied
 * several times). */
VksNode vks_input (VksGraph *g, const char *name, VksShape shape);
VksNode vks_param (VksGraph *g, const char *name, VksShape shape);
/* The same with the checkpoint tensor's number of dimensions (its shape is the last `rank` of
 * `shape`); vks_param takes it from the leading 1s, which is ambiguous only for a tensor whose
 * first real dimension is 1 (Linear(in, 1).weight is [1][in]: rank 2). */
VksNode vks_param_rank (VksGraph *g, const char *name, VksShape shape, int rank);
/* vks_param_rank named prefix (may be NULL) + printf (format, ...): how the model builders spell
 * a state_dict key ("model.%d.weight" under "netG."). */
VksNode vks_param_printf (VksGraph *g, const char *prefix, VksShape shape, int rank,
                          const char *format, ...) G_GNUC_PRINTF (5, 6);
VksNode vks_param_vprintf (VksGraph *g, const char *prefix, VksShape shape, int rank,
                           const char *format, va_list args) G_GNUC_PRINTF (5, 0);
int vks_graph_param_rank (const VksGraph *g, VksNode param);

typedef struct {
  int stride, pad;
  /* Per-axis zero padding, Conv2d's padding=(pad_h, pad_w) (Inception's 1x7 / 7x1 layers), when
   * either is nonzero; else `pad` on both axes. Plain convolutions only, and (for now) without a
   * gradient when the two differ. */
  int pad_h, pad_w;
  gboolean reflect;        /* reflect padding (plain convolution only), else zeros */
  gboolean transposed;     /* ConvTranspose2d: weight [cin][cout][kh][kw] */
  int output_pad;          /* transposed only */
  VksActivation act;       /* applied after the bias, in the same kernel */
  float slope;             /* LeakyReLU's (> 0: the gradient reads the mask from the output) */
} VksConvAttrs;

static inline int
vks_conv_attrs_pad_y (const VksConvAttrs *a)
{
  return a->pad_h != 0 || a->pad_w != 0 ? a->pad_h : a->pad;
}

static inline int
vks_conv_attrs_pad_x (const VksConvAttrs *a)
{
  return a->pad_h != 0 || a->pad_w != 0 ? a->pad_w : a->pad;
}

/* Conv2d / ConvTranspose2d of x [n][cin][h][w] with weight [cout][cin][kh][kw] (transposed:
 * [cin][cout][kh][kw]) and bias [cout] (VKS_NONE: none), as PyTorch's, then attrs->act. */
VksNode vks_conv2d (VksGraph *g, VksNode x, VksNode weight, VksNode bias, const VksConvAttrs *a);
/* Batched matrix product over the last two dimensions; n and c are batch dimensions that
 * broadcast (size 1 against any). trans_a / trans_b use the transposed matrix. */
VksNode vks_matmul (VksGraph *g, VksNode a, VksNode b, gboolean trans_a, gboolean trans_b);
/* torch.nn.Linear on the rows of x [..][in]: x weight^T + bias, weight [out][in], bias [out]. */
VksNode vks_linear (VksGraph *g, VksNode x, VksNode weight, VksNode bias);

/* Element-wise, broadcasting like PyTorch (each dimension equal, or 1 on one side). */
VksNode vks_add (VksGraph *g, VksNode a, VksNode b);
VksNode vks_sub (VksGraph *g, VksNode a, VksNode b);
VksNode vks_mul (VksGraph *g, VksNode a, VksNode b);
VksNode vks_scale (VksGraph *g, VksNode x, float factor);
VksNode vks_square (VksGraph *g, VksNode x);
VksNode vks_leaky_relu (VksGraph *g, VksNode x, float slope);
VksNode vks_relu (VksGraph *g, VksNode x);
VksNode vks_tanh (VksGraph *g, VksNode x);
VksNode vks_div (VksGraph *g, VksNode a, VksNode b);
VksNode vks_add_scalar (VksGraph *g, VksNode x, float value);
/* Smooth functions; their gradient rules are ordinary nodes, so they differentiate again. */
VksNode vks_sigmoid (VksGraph *g, VksNode x);
VksNode vks_silu (VksGraph *g, VksNode x);              /* x * sigmoid(x) */
VksNode vks_gelu (VksGraph *g, VksNode x);              /* x * Phi(x), exact (erf) form */
VksNode vks_erf (VksGraph *g, VksNode x);
VksNode vks_exp (VksGraph *g, VksNode x);
VksNode vks_log (VksGraph *g, VksNode x);
VksNode vks_sqrt (VksGraph *g, VksNode x);
VksNode vks_rsqrt (VksGraph *g, VksNode x);             /* 1 / sqrt(x) */
VksNode vks_reciprocal (VksGraph *g, VksNode x);
VksNode vks_abs (VksGraph *g, VksNode x);      /* its gradient is sign(x): 0 at 0, as PyTorch */
VksNode vks_sign (VksGraph *g, VksNode x);

typedef struct {
  gboolean instance;       /* statistics of each plane; else batch norm with running statistics
                            * (inference) */
  gboolean affine;         /* instance only: not provided (compose it from primitives) */
  gboolean given;          /* statistics from a [2C] input (vks_norm_given) */
  VksActivation act;       /* after the normalisation */
  float slope, eps;
  gboolean residual;       /* set by vks_norm */
} VksNormAttrs;

/* y = act(norm(x)) + residual (residual may be VKS_NONE), as torch InstanceNorm2d(affine=False)
 * or BatchNorm2d.eval(); batch norm takes params = { weight, bias, running_mean, running_var }.
 * The instance norm has a gradient (first order). */
VksNode vks_norm (VksGraph *g, VksNode x, const VksNormAttrs *a, const VksNode *params,
                  VksNode residual);
VksNode vks_instance_norm (VksGraph *g, VksNode x, VksActivation act, VksNode residual);

/* For tiled inference, where an instance norm must use statistics of the whole image:
 * the per-channel mean and biased variance of image 0 of x as the instance norm takes them,
 * [1][1][1][2C] = mean[C], var[C]; over a rectangle when region is an input [1][1][1][4] (rows
 * y0, y1, columns x0, x1 at the network input's resolution, which is x's times 2^shift);
 * corrected when corrections ([2C]: offset[C], factor[C]) is given: mean + offset, var *
 * factor. No gradient. */
VksNode vks_norm_statistics (VksGraph *g, VksNode x, VksNode region, VksNode corrections,
                             int shift);
/* act((x - mean) / sqrt(var + eps)) + residual with mean, var from stats [2C]. No gradient. */
VksNode vks_norm_given (VksGraph *g, VksNode x, VksNode stats, VksActivation act, float slope,
                        VksNode residual);

/* 2x2 average pooling with stride 2 (torch AvgPool2d(2): odd last rows/columns dropped). */
VksNode vks_avg_pool2 (VksGraph *g, VksNode x);
/* 2x2 max pooling with stride 2 (torch MaxPool2d(2)); the gradient goes to each window's first
 * maximal element in row-major order, as PyTorch's. */
VksNode vks_max_pool2 (VksGraph *g, VksNode x);
/* torch MaxPool2d / AvgPool2d(kernel, stride, padding) with square windows and ceil_mode=False.
 * Max pooling never picks the padding (PyTorch's -inf); average pooling divides by kernel^2
 * (count_include_pad=True, PyTorch's default) or by the window's elements inside the input
 * (count_include_pad=False, TensorFlow's, which the FID Inception's blocks use). No gradient
 * yet: the FID network is inference only. */
typedef struct {
  int kernel, stride, pad;
  gboolean max;
  gboolean count_include_pad;
} VksPoolAttrs;
VksNode vks_pool2d (VksGraph *g, VksNode x, const VksPoolAttrs *a);
/* Nearest-neighbour upsampling x2 (torch Upsample(scale_factor=2)). */
VksNode vks_upsample2 (VksGraph *g, VksNode x);

/* Sums over the dimensions where `shape` is 1 (and x's is not); x's other dimensions must
 * equal shape's. vks_sum: everything, to [1][1][1][1]. */
VksNode vks_sum_to (VksGraph *g, VksNode x, VksShape shape);
VksNode vks_sum (VksGraph *g, VksNode x);
/* The same, divided by the number of terms (torch.mean over those dimensions). */
VksNode vks_mean_to (VksGraph *g, VksNode x, VksShape shape);
VksNode vks_mean (VksGraph *g, VksNode x);
/* torch.softmax(x, dim=-1): over w, max-subtracted; rows up to VKS_MAX_LOOP_ITERATIONS long
 * (16384). */
VksNode vks_softmax (VksGraph *g, VksNode x);
/* x repeated along its size-1 dimensions. */
VksNode vks_broadcast_to (VksGraph *g, VksNode x, VksShape shape);
/* The same elements in PyTorch order under another shape (a view where the layout allows). */
VksNode vks_reshape (VksGraph *g, VksNode x, VksShape shape);

/* torch.cat(xs, dim) of n >= 1 tensors equal outside `dim` (0 n, 1 c, 2 h, 3 w); vks_concat:
 * along c. A copy for now (placement in the planner would avoid it). */
VksNode vks_concat_dim (VksGraph *g, int dim, const VksNode *xs, int n);
VksNode vks_concat (VksGraph *g, const VksNode *xs, int n);
/* x.narrow(dim, begin, count); count 1 selects one index (the dimension stays, size 1). */
VksNode vks_slice (VksGraph *g, VksNode x, int dim, int begin, int count);
VksNode vks_slice_channels (VksGraph *g, VksNode x, int begin, int count);

/* torch.nn.functional.embedding: the rows of weight [1][1][num][dim] at the L indices (any
 * shape, PyTorch order; floats holding integers, exact to 2^24), as [1][1][L][dim]. An index
 * outside [0, num) gives a row of zeros (PyTorch raises). The weight gradient is a deterministic
 * scatter-add; L is at most 16384. */
VksNode vks_embedding (VksGraph *g, VksNode weight, VksNode indices);

/* Normalisations as PyTorch's (biased variance, eps inside the square root; PyTorch's default
 * eps is 1e-5). Layer, group and batch norm are composed of sums and element-wise nodes
 * (differentiable to any order); AdaIN uses vks_norm's fused instance norm (first order). Weight
 * and bias may be VKS_NONE (affine=False). Per-channel tensors may be [1][1][1][c] (a state_dict's
 * [c]) or [1][c][1][1].
 * LayerNorm over the last n_dims dimensions (1 to 3); weight and bias have x's shape with the
 * leading dimensions 1 (LayerNorm([c, h, w]) on [n][c][h][w]: n_dims 3, weight [1][c][h][w]). */
VksNode vks_layer_norm (VksGraph *g, VksNode x, int n_dims, VksNode weight, VksNode bias,
                        float eps);
/* GroupNorm(groups, c): statistics per sample and group of c / groups channels. */
VksNode vks_group_norm (VksGraph *g, VksNode x, int groups, VksNode weight, VksNode bias,
                        float eps);
/* StarGAN v2's AdaIN: (1 + gamma) * InstanceNorm(x) + beta, gamma and beta [n][c][1][1]. */
VksNode vks_adain (VksGraph *g, VksNode x, VksNode gamma, VksNode beta, float eps);
/* The same with gamma, beta = chunk(fc(style), 2) for a style code [1][1][n][s] and
 * fc Linear(s, 2c): StarGAN v2's AdaIN module whole. */
VksNode vks_adain_style (VksGraph *g, VksNode x, VksNode style, VksNode fc_weight,
                         VksNode fc_bias, float eps);

/* BatchNorm2d in training mode: y from the batch's statistics, and the running statistics'
 * update (running = (1 - momentum) * running + momentum * batch, the variance unbiased) as
 * nodes in the running tensors' shape, which the caller copies back after a run (VKS_NONE where
 * running_mean / running_var was VKS_NONE). */
typedef struct {
  VksNode y, running_mean, running_var;
} VksBatchNorm;
VksBatchNorm vks_batch_norm_train (VksGraph *g, VksNode x, VksNode weight, VksNode bias,
                                   VksNode running_mean, VksNode running_var, float momentum,
                                   float eps);
/* BatchNorm2d in evaluation mode: the running statistics, differentiable (a frozen norm inside
 * a network that is trained or differentiated); vks_norm's batch mode is the fused inference
 * kernel, without a gradient. */
VksNode vks_batch_norm_eval (VksGraph *g, VksNode x, VksNode weight, VksNode bias,
                             VksNode running_mean, VksNode running_var, float eps);

/* Appends the gradient of the scalar `loss` ([1][1][1][1]) with respect to each of wrt[0..n)
 * and stores the gradient nodes in grads (VKS_NONE where wrt[i] does not influence loss). The
 * gradient nodes are ordinary nodes: vks_grad can be applied to anything computed from them
 * (gradient penalties: R1, WGAN-GP). Contributions to a node's gradient are summed in a fixed
 * order, so a plan computes the same bits every run. An op without a rule is a builder error. */
void vks_grad (VksGraph *g, VksNode loss, const VksNode *wrt, int n, VksNode *grads);

/* ---- vector quantisation (ops/vq.c) and attention (ops/attention.c) ---- */
/* For each position of z [n][dim][h][w], the index of the nearest row of codebook
 * [1][1][codes][dim] by squared distance (the first on ties, as torch.argmin), as [n][1][h][w]
 * floats. No gradient (piecewise constant). At most VKS_MAX_LOOP_ITERATIONS codes. */
VksNode vks_vq_nearest (VksGraph *g, VksNode z, VksNode codebook);
/* The codebook rows at indices [n][1][h][w] as [n][dim][h][w] (an index outside the codebook
 * gives zeros); the codebook's gradient is a deterministic scatter-add over at most
 * VKS_MAX_LOOP_ITERATIONS positions. */
VksNode vks_vq_lookup (VksGraph *g, VksNode codebook, VksNode indices);
/* x, through which no gradient flows (torch's x.detach()). */
VksNode vks_stop_gradient (VksGraph *g, VksNode x);
/* taming's VectorQuantizer2 whole: the indices, the quantised z with the straight-through
 * gradient (z + sg[zq - z]), and the loss mean((sg[zq] - z)^2) + beta mean((zq - sg[z])^2)
 * (legacy: taming's default, beta on the codebook term) or beta mean((sg[zq] - z)^2) +
 * mean((zq - sg[z])^2) (the paper's, legacy=False: beta on the commitment term). */
typedef struct {
  VksNode indices, quantized, loss;
} VksVectorQuantized;
VksVectorQuantized vks_vector_quantize (VksGraph *g, VksNode z, VksNode codebook, float beta,
                                        gboolean legacy);

/* scores [..][queries][keys] where key j is visible to query i (j <= i + keys - queries), else
 * fill. */
VksNode vks_causal_mask (VksGraph *g, VksNode scores, float fill);
typedef struct {
  gboolean causal;
  /* q, k, v as [..][d][T] (a convolution's channels x pixels, taming's AttnBlock) and the
   * output [..][d_v][T_q]; else [..][T][d] and [..][T_q][d_v] (minGPT) */
  gboolean channels_first;
  float scale;             /* 0: 1 / sqrt(d) */
} VksAttentionAttrs;
/* softmax(q k^T * scale, causally masked) v over the last two dimensions, batched over n, c. */
VksNode vks_attention (VksGraph *g, VksNode q, VksNode k, VksNode v, const VksAttentionAttrs *a);
/* The same with bias added to the scaled scores instead of the causal mask (a->causal FALSE):
 * 0 where a query sees a key, -inf where not, written per run (a key/value cache's one query
 * over the keys so far). A visible score is s + 0 = s, so the attention equals the causally
 * masked one bit for bit. */
VksNode vks_attention_masked (VksGraph *g, VksNode q, VksNode k, VksNode v, VksNode bias,
                              const VksAttentionAttrs *a);
