/* Inside the graph engine: the node record and the op registry. Each op family lives in one file
 * of engine/nn/ops/ with its constructors, its gradient rule and its lowering to kernels; the
 * registry (ops/registry.c) has one row per op. */
#pragma once
#include "engine/error.h"
#include "engine/nn/graph.h"
#include "engine/recorder.h"

typedef enum {
  VKS_OP_INPUT,
  VKS_OP_PARAM,
  VKS_OP_CONST,              /* every element attr.value; DENSE */
  VKS_OP_CONV2D,             /* in: x, weight[, bias] */
  VKS_OP_CONV2D_DATA_GRAD,   /* in: dy, weight: the input gradient of a CONV2D */
  VKS_OP_CONV2D_WEIGHT_GRAD, /* in: x, dy: the weight gradient of a CONV2D */
  VKS_OP_MATMUL,             /* in: a, b */
  VKS_OP_POINTWISE,          /* in: 1 or 2, see VksPointwiseFn */
  VKS_OP_SUM_TO,             /* in: x */
  VKS_OP_AVG_POOL2,          /* in: x */
  VKS_OP_UPSAMPLE2,          /* in: x */
  VKS_OP_RESHAPE,            /* in: x; a view of x's storage when the layouts allow */
  VKS_OP_NORM,               /* in: x[, residual][, weight, bias, running mean, running var] */
  VKS_OP_NORM_GRAD,          /* in: x, dy: the input gradient of an instance NORM */
  VKS_OP_NORM_STATS,         /* in: x[, region or corrections]: mean[C], var[C] */
  VKS_OP_SOFTMAX,            /* in: x; over the last dimension */
  VKS_OP_MAX_POOL2,          /* in: values, key: values at each 2x2 window's pick of key */
  VKS_OP_MAX_POOL2_ROUTE,    /* in: dy, key: dy sent to each window's pick (key-shaped) */
  VKS_OP_CONCAT,             /* in: 1 to VKS_MAX_INPUTS, one after another along attr dim */
  VKS_OP_SLICE,              /* in: x; [begin, begin + size) along attr dim */
  VKS_OP_EMBEDDING,          /* in: weight [1][1][num][dim], indices: rows [1][1][L][dim] */
  VKS_OP_EMBEDDING_GRAD,     /* in: dy [1][1][L][dim], indices: scatter-add [1][1][num][dim] */
  VKS_OP_POOL2D,             /* in: x; general k x k max / average pooling (attr.pool.window) */
  /* vector quantisation and attention (ops/vq.c, ops/attention.c) */
  VKS_OP_VQ_NEAREST,         /* in: z, codebook: the nearest code's index per position */
  VKS_OP_VQ_LOOKUP,          /* in: codebook, indices: the codes in z's shape */
  VKS_OP_VQ_SCATTER,         /* in: dy (z-shaped), indices: the codebook's gradient */
  VKS_OP_STOP_GRADIENT,      /* in: x; x, with no gradient (torch's detach) */
  VKS_OP_CAUSAL_MASK,        /* in: scores [..][queries][keys]; attr.value where masked */
  VKS_OP_COUNT
} VksOpKind;

/* Values match shaders/pointwise.comp. */
typedef enum {
  VKS_PW_COPY = 0,           /* a (broadcast, or re-laid out) */
  VKS_PW_ADD = 1,
  VKS_PW_SUB = 2,
  VKS_PW_MUL = 3,
  VKS_PW_SCALE = 4,          /* a * scalar */
  VKS_PW_LEAKY_RELU = 5,     /* a >= 0 ? a : a * scalar */
  VKS_PW_LEAKY_RELU_GRAD = 6,/* b * (a > 0 ? 1 : scalar): the mask of LeakyReLU'(a) times b */
  VKS_PW_TANH = 7,
  VKS_PW_ADD_SCALAR = 8,     /* a + scalar */
  VKS_PW_SIGMOID = 9,
  VKS_PW_SILU = 10,          /* a * sigmoid(a) */
  VKS_PW_GELU = 11,          /* a * Phi(a), the erf form (PyTorch's default) */
  VKS_PW_ERF = 12,
  VKS_PW_EXP = 13,
  VKS_PW_LOG = 14,
  VKS_PW_SQRT = 15,
  VKS_PW_RSQRT = 16,
  VKS_PW_RECIPROCAL = 17,
  VKS_PW_DIV = 18,           /* a / b */
  VKS_PW_ABS = 19,
  VKS_PW_SIGN = 20,          /* -1, 0 or 1 (torch.sign); piecewise constant: no gradient */
} VksPointwiseFn;

#define VKS_MAX_INPUTS 6

typedef struct {
  VksOpKind op;
  int n_in;
  VksNode in[VKS_MAX_INPUTS];
  VksShape shape;
  VksLayout layout;
  char *name;                /* INPUT and PARAM */
  int rank;                  /* PARAM: the checkpoint tensor's number of dimensions */
  union {
    struct {
      VksConvAttrs a;
      int x_h, x_w;          /* the forward convolution's input size (DATA_GRAD's output) */
    } conv;
    struct {
      gboolean trans_a, trans_b;
    } matmul;
    struct {
      VksPointwiseFn fn;
      float scalar;
    } pw;
    struct {
      float factor;          /* AVG_POOL2: 0.25 averages; UPSAMPLE2: 1 copies; MAX_*: 1 */
      VksPoolAttrs window;   /* POOL2D */
    } pool;
    struct {
      int dim;               /* 0 n, 1 c, 2 h, 3 w */
      int begin;             /* SLICE */
    } select;
    float value;             /* CONST; CAUSAL_MASK's fill */
    VksNormAttrs norm;
    struct {
      gboolean region, correct;
      int shift;
    } stats;
  } attr;
} VksNodeInfo;

struct VksGraph {
  GArray *nodes;             /* of VksNodeInfo */
  GError *error;             /* the first builder error */
};

static inline VksNodeInfo *
vks_node_info (const VksGraph *g, VksNode node)
{
  return &g_array_index (g->nodes, VksNodeInfo, node);
}

/* Appends a node (inputs checked to exist; on a sticky error returns VKS_NONE). */
VksNode vks_graph_add (VksGraph *g, const VksNodeInfo *info);
/* Sets the sticky error (if none yet; VKS_ERROR_SHAPE, or `code`) and returns VKS_NONE. */
VksNode vks_graph_fail (VksGraph *g, const char *format, ...) G_GNUC_PRINTF (2, 3);
VksNode vks_graph_fail_code (VksGraph *g, VksErrorCode code, const char *format, ...)
  G_GNUC_PRINTF (3, 4);
/* TRUE if every node is valid (no sticky error, none VKS_NONE). */
gboolean vks_graph_ok (const VksGraph *g, const VksNode *nodes, int n);

VksNode vks_const (VksGraph *g, VksShape shape, float value);

/* Constructors of the nodes only gradient rules make. */
VksNode vks_conv2d_data_grad (VksGraph *g, VksNode dy, VksNode weight, const VksNodeInfo *fwd);
VksNode vks_conv2d_weight_grad (VksGraph *g, VksNode x, VksNode dy, VksShape weight_shape,
                                const VksNodeInfo *fwd);
VksNode vks_pointwise (VksGraph *g, VksPointwiseFn fn, VksNode a, VksNode b, float scalar);
/* dy through a fused activation, read from the activation's output y. */
VksNode vks_activation_grad (VksGraph *g, VksActivation act, float slope, VksNode y, VksNode dy);
VksNode vks_upsample2_to (VksGraph *g, VksNode x, int h, int w, float factor);
VksNode vks_avg_pool2_scaled (VksGraph *g, VksNode x, float factor);
/* x in the given layout (x itself, or a copy). */
VksNode vks_as_layout (VksGraph *g, VksNode x, VksLayout layout);
/* dx summed down to the shape of an input that was broadcast (x itself when equal). */
VksNode vks_unbroadcast (VksGraph *g, VksNode dx, VksShape shape);

/* ---- lowering (engine/nn/plan.c) ---- */
typedef struct VksPlan VksPlan;

/* Where a node's values are once planned. */
typedef struct {
  VkDeviceSize offset;       /* bytes into the arena */
  VkDeviceSize bytes;
  int plane;                 /* floats per (n, c) plane (PLANES), or h * w (DENSE) */
} VksSlot;

/* What lowering needs beyond the slots: a convolution's packed weights, scratch, its index
 * map. Filled by an op's `prepare` when the plan is laid out, used by `record`. */
typedef struct VksLowered VksLowered;

typedef struct {
  const char *name;
  /* Gradient contributions: dy is the gradient of node's output; fills dx[i] for each input i
   * with wanted[i] (VKS_NONE: none, the derivative is zero). NULL: the op has no gradient (a
   * builder error if one is needed). */
  void (*backward) (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx);
  /* Reserves what the node's lowering needs besides its output (packed weights, scratch);
   * NULL: nothing. Runs once per plan, before any buffer exists. */
  gboolean (*prepare) (VksPlan *plan, VksNode node, GError **error);
  /* Records the node's device work (NULL: nothing to run, e.g. leaves and views). */
  gboolean (*record) (VksPlan *plan, VksNode node, GError **error);
} VksOpClass;

const VksOpClass *vks_op_class (VksOpKind op);
