/* Element-wise ops with broadcasting, constants, and layout conversion (shaders/pointwise.comp). */
#include "engine/nn/ops/ops.h"

#include <math.h>

static const char *
fn_name (VksPointwiseFn fn)
{
  static const char *names[] = { "copy", "add", "sub", "mul", "scale", "leaky_relu",
                                 "leaky_relu_grad", "tanh", "add_scalar", "sigmoid", "silu",
                                 "gelu", "erf", "exp", "log", "sqrt", "rsqrt", "reciprocal",
                                 "div", "abs", "sign" };
  return names[fn];
}

static gboolean
binary (VksPointwiseFn fn)
{
  return fn == VKS_PW_ADD || fn == VKS_PW_SUB || fn == VKS_PW_MUL || fn == VKS_PW_LEAKY_RELU_GRAD ||
         fn == VKS_PW_DIV;
}

static int
broadcast_dim (int a, int b)
{
  return a == b || b == 1 ? a : a == 1 ? b : -1;
}

VksNode
vks_pointwise (VksGraph *g, VksPointwiseFn fn, VksNode a, VksNode b, float scalar)
{
  VksNode in[2] = { a, b };
  int n_in = binary (fn) ? 2 : 1;
  if (!vks_graph_ok (g, in, n_in))
    return g->error ? VKS_NONE : vks_graph_fail (g, "%s: an input node is missing", fn_name (fn));
  const VksNodeInfo *ia = vks_node_info (g, a);
  VksShape s = ia->shape;
  if (n_in == 2) {
    VksShape t = vks_graph_shape (g, b);
    s = vks_shape (broadcast_dim (s.n, t.n), broadcast_dim (s.c, t.c), broadcast_dim (s.h, t.h),
                   broadcast_dim (s.w, t.w));
    if (s.n < 0 || s.c < 0 || s.h < 0 || s.w < 0)
      return vks_graph_fail (g, "%s: shapes [%d, %d, %d, %d] and [%d, %d, %d, %d] do not "
                             "broadcast", fn_name (fn), ia->shape.n, ia->shape.c, ia->shape.h,
                             ia->shape.w, t.n, t.c, t.h, t.w);
  }
  /* The result is laid out like the operand of its shape (PLANES if either is). */
  VksLayout layout = VKS_LAYOUT_DENSE;
  for (int i = 0; i < n_in; i++) {
    const VksNodeInfo *info = vks_node_info (g, in[i]);
    if (vks_shape_equal (info->shape, s) && info->layout == VKS_LAYOUT_PLANES)
      layout = VKS_LAYOUT_PLANES;
  }
  VksNodeInfo info = {
    .op = VKS_OP_POINTWISE,
    .n_in = n_in,
    .in = { a, n_in == 2 ? b : VKS_NONE },
    .shape = s,
    .layout = layout,
    .attr.pw = { fn, scalar },
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_add (VksGraph *g, VksNode a, VksNode b)
{
  return vks_pointwise (g, VKS_PW_ADD, a, b, 0.0f);
}

VksNode
vks_sub (VksGraph *g, VksNode a, VksNode b)
{
  return vks_pointwise (g, VKS_PW_SUB, a, b, 0.0f);
}

VksNode
vks_mul (VksGraph *g, VksNode a, VksNode b)
{
  return vks_pointwise (g, VKS_PW_MUL, a, b, 0.0f);
}

VksNode
vks_scale (VksGraph *g, VksNode x, float factor)
{
  return vks_pointwise (g, VKS_PW_SCALE, x, VKS_NONE, factor);
}

VksNode
vks_square (VksGraph *g, VksNode x)
{
  return vks_mul (g, x, x);
}

VksNode
vks_leaky_relu (VksGraph *g, VksNode x, float slope)
{
  return vks_pointwise (g, VKS_PW_LEAKY_RELU, x, VKS_NONE, slope);
}

VksNode
vks_relu (VksGraph *g, VksNode x)
{
  return vks_leaky_relu (g, x, 0.0f);
}

VksNode
vks_div (VksGraph *g, VksNode a, VksNode b)
{
  return vks_pointwise (g, VKS_PW_DIV, a, b, 0.0f);
}

VksNode
vks_add_scalar (VksGraph *g, VksNode x, float value)
{
  return vks_pointwise (g, VKS_PW_ADD_SCALAR, x, VKS_NONE, value);
}

/* The unary functions without a parameter. */
#define UNARY(name, fn)                                         \
  VksNode name (VksGraph *g, VksNode x)                         \
  {                                                             \
    return vks_pointwise (g, fn, x, VKS_NONE, 0.0f);            \
  }
UNARY (vks_tanh, VKS_PW_TANH)
UNARY (vks_sigmoid, VKS_PW_SIGMOID)
UNARY (vks_silu, VKS_PW_SILU)
UNARY (vks_gelu, VKS_PW_GELU)
UNARY (vks_erf, VKS_PW_ERF)
UNARY (vks_exp, VKS_PW_EXP)
UNARY (vks_log, VKS_PW_LOG)
UNARY (vks_sqrt, VKS_PW_SQRT)
UNARY (vks_rsqrt, VKS_PW_RSQRT)
UNARY (vks_reciprocal, VKS_PW_RECIPROCAL)
UNARY (vks_abs, VKS_PW_ABS)
UNARY (vks_sign, VKS_PW_SIGN)
#undef UNARY

VksNode
vks_broadcast_to (VksGraph *g, VksNode x, VksShape shape)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  VksShape s = vks_graph_shape (g, x);
  if ((s.n != shape.n && s.n != 1) || (s.c != shape.c && s.c != 1) ||
      (s.h != shape.h && s.h != 1) || (s.w != shape.w && s.w != 1))
    return vks_graph_fail (g, "broadcast_to: [%d, %d, %d, %d] does not broadcast to "
                           "[%d, %d, %d, %d]", s.n, s.c, s.h, s.w, shape.n, shape.c, shape.h,
                           shape.w);
  if (vks_shape_equal (s, shape))
    return x;
  VksNodeInfo info = {
    .op = VKS_OP_POINTWISE,
    .n_in = 1,
    .in = { x },
    .shape = shape,
    .layout = VKS_LAYOUT_PLANES,
    .attr.pw = { VKS_PW_COPY, 0.0f },
  };
  return vks_graph_add (g, &info);
}

static gboolean
same_storage (VksShape s, VksLayout a, VksLayout b)
{
  return a == b || (s.h * s.w) % 4 == 0;
}

VksNode
vks_as_layout (VksGraph *g, VksNode x, VksLayout layout)
{
  if (!vks_graph_ok (g, &x, 1))
    return VKS_NONE;
  const VksNodeInfo *ix = vks_node_info (g, x);
  if (same_storage (ix->shape, ix->layout, layout))
    return x;
  VksNodeInfo info = {
    .op = VKS_OP_POINTWISE,
    .n_in = 1,
    .in = { x },
    .shape = ix->shape,
    .layout = layout,
    .attr.pw = { VKS_PW_COPY, 0.0f },
  };
  return vks_graph_add (g, &info);
}

VksNode
vks_const (VksGraph *g, VksShape shape, float value)
{
  VksNodeInfo info = {
    .op = VKS_OP_CONST,
    .shape = shape,
    .layout = VKS_LAYOUT_DENSE,
    .attr.value = value,
  };
  return vks_graph_add (g, &info);
}

static VksNode
one_minus (VksGraph *g, VksNode x)
{
  return vks_sub (g, vks_const (g, vks_shape (1, 1, 1, 1), 1.0f), x);
}

/* f'(a) of a smooth unary function from its input a and output y, in ordinary nodes: the rule
 * differentiates again (gradient penalties through SiLU or GELU). */
static VksNode
derivative (VksGraph *g, VksPointwiseFn fn, VksNode a, VksNode y)
{
  switch (fn) {
  case VKS_PW_TANH:             /* 1 - y^2 */
    return one_minus (g, vks_square (g, y));
  case VKS_PW_SIGMOID:          /* y (1 - y) */
    return vks_mul (g, y, one_minus (g, y));
  case VKS_PW_SILU: {           /* s (1 + a (1 - s)), s = sigmoid(a) */
    VksNode s = vks_sigmoid (g, a);
    return vks_mul (g, s, vks_add_scalar (g, vks_mul (g, a, one_minus (g, s)), 1.0f));
  }
  case VKS_PW_GELU: {           /* Phi(a) + a phi(a), Phi(a) = (1 + erf(a / sqrt 2)) / 2 */
    VksNode cdf = vks_add_scalar (g, vks_scale (g, vks_erf (g, vks_scale (g, a, G_SQRT2 / 2)),
                                                0.5f), 0.5f);
    VksNode pdf = vks_scale (g, vks_exp (g, vks_scale (g, vks_square (g, a), -0.5f)),
                             (float) (1 / sqrt (2 * G_PI)));
    return vks_add (g, cdf, vks_mul (g, a, pdf));
  }
  case VKS_PW_ERF:              /* 2 / sqrt(pi) e^(-a^2) */
    return vks_scale (g, vks_exp (g, vks_scale (g, vks_square (g, a), -1.0f)),
                      (float) (2 / sqrt (G_PI)));
  case VKS_PW_EXP:
    return y;
  case VKS_PW_LOG:
    return vks_reciprocal (g, a);
  case VKS_PW_SQRT:             /* 1 / (2 y) */
    return vks_scale (g, vks_reciprocal (g, y), 0.5f);
  case VKS_PW_RSQRT:            /* -y^3 / 2 */
    return vks_scale (g, vks_mul (g, y, vks_square (g, y)), -0.5f);
  case VKS_PW_RECIPROCAL:       /* -y^2 */
    return vks_scale (g, vks_square (g, y), -1.0f);
  case VKS_PW_ABS:              /* sign(a), 0 at 0 as PyTorch's */
    return vks_sign (g, a);
  default:
    g_assert_not_reached ();
  }
}

static void
pointwise_backward (VksGraph *g, VksNode node, VksNode dy, const gboolean *wanted, VksNode *dx)
{
  const VksNodeInfo info = *vks_node_info (g, node);
  VksNode a = info.in[0], b = info.in[1];
  VksShape sa = vks_graph_shape (g, a);
  VksShape sb = info.n_in == 2 ? vks_graph_shape (g, b) : sa;
  float s = info.attr.pw.scalar;
  switch (info.attr.pw.fn) {
  case VKS_PW_COPY:
    dx[0] = vks_unbroadcast (g, dy, sa);
    break;
  case VKS_PW_ADD:
    dx[0] = wanted[0] ? vks_unbroadcast (g, dy, sa) : VKS_NONE;
    dx[1] = wanted[1] ? vks_unbroadcast (g, dy, sb) : VKS_NONE;
    break;
  case VKS_PW_SUB:
    dx[0] = wanted[0] ? vks_unbroadcast (g, dy, sa) : VKS_NONE;
    dx[1] = wanted[1] ? vks_unbroadcast (g, vks_scale (g, dy, -1.0f), sb) : VKS_NONE;
    break;
  case VKS_PW_MUL:
    dx[0] = wanted[0] ? vks_unbroadcast (g, vks_mul (g, dy, b), sa) : VKS_NONE;
    dx[1] = wanted[1] ? vks_unbroadcast (g, vks_mul (g, dy, a), sb) : VKS_NONE;
    break;
  case VKS_PW_SCALE:
    dx[0] = vks_scale (g, dy, s);
    break;
  case VKS_PW_LEAKY_RELU:
    dx[0] = vks_pointwise (g, VKS_PW_LEAKY_RELU_GRAD, a, dy, s);
    break;
  case VKS_PW_ADD_SCALAR:
    dx[0] = dy;
    break;
  case VKS_PW_DIV: {
    /* d(a/b) = da / b - db * y / b */
    VksNode q = vks_div (g, dy, b);
    dx[0] = wanted[0] ? vks_unbroadcast (g, q, sa) : VKS_NONE;
    dx[1] = wanted[1] ? vks_unbroadcast (g, vks_scale (g, vks_mul (g, q, node), -1.0f), sb)
                      : VKS_NONE;
    break;
  }
  case VKS_PW_TANH:
  case VKS_PW_SIGMOID:
  case VKS_PW_SILU:
  case VKS_PW_GELU:
  case VKS_PW_ERF:
  case VKS_PW_EXP:
  case VKS_PW_LOG:
  case VKS_PW_SQRT:
  case VKS_PW_RSQRT:
  case VKS_PW_RECIPROCAL:
  case VKS_PW_ABS:
    dx[0] = vks_mul (g, dy, derivative (g, info.attr.pw.fn, a, node));
    break;
  case VKS_PW_SIGN:
    break;
  case VKS_PW_LEAKY_RELU_GRAD:
    /* b * mask(a): the mask is piecewise constant in a, so a gets no gradient (almost
     * everywhere, as in PyTorch); b gets the same mask. */
    dx[1] = wanted[1] ? vks_pointwise (g, VKS_PW_LEAKY_RELU_GRAD, a, dy, s) : VKS_NONE;
    break;
  }
}

typedef struct {
  VksPushShape o, a, b;
  int32_t stored;
  float scalar;
} PointwisePush;

/* Whether an operand's four values at an output texel are one texel of it, or one value:
 * pointwise.comp's VEC4 form. */
static gboolean
vec4_operand (VksPlan *plan, VksNode x, const VksPushShape *o)
{
  VksPushShape s = vks_plan_push_shape (plan, x);
  return vks_plan_view (plan, x, VK_FORMAT_R32_SFLOAT).offset % 16 == 0 &&
         ((s.h == 1 && s.w == 1) || (s.h == o->h && s.w == o->w && s.plane == o->plane));
}

static gboolean
record_pointwise (VksPlan *plan, VksNode node, VksPointwiseFn fn, gboolean flat_a, VksNode a,
                  VksNode b, float scalar, GError **error)
{
  VksPushShape o = vks_plan_push_shape (plan, node);
  gboolean vec4 = !flat_a && o.plane % 4 == 0 && vec4_operand (plan, a, &o) &&
                  vec4_operand (plan, b, &o);
  int32_t spec[] = { 0, fn, flat_a, vec4 };
  VkFormat in_format = vec4 ? VK_FORMAT_R32G32B32A32_SFLOAT : VK_FORMAT_R32_SFLOAT;
  VksView views[] = {
    vks_plan_view (plan, a, in_format),
    vks_plan_view (plan, b, in_format),
    vks_plan_view (plan, node, VK_FORMAT_R32_SFLOAT),
    vks_plan_view (plan, node, VK_FORMAT_R32G32B32A32_SFLOAT),
  };
  VksTensor t = vks_plan_tensor (plan, node);
  long stored = (long) ((VkDeviceSize) t.n * t.c * t.plane + 3) / 4 * 4;
  PointwisePush push = {
    o, vks_plan_push_shape (plan, a), vks_plan_push_shape (plan, b), (int32_t) stored, scalar,
  };
  return vks_plan_dispatch (plan, VKS_KERNEL_POINTWISE, spec, G_N_ELEMENTS (spec), views, &push,
                            sizeof push, vec4 ? stored / 4 : stored, error);
}

static gboolean
pointwise_record (VksPlan *plan, VksNode node, GError **error)
{
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  VksNode b = info->n_in == 2 ? info->in[1] : info->in[0];
  return record_pointwise (plan, node, info->attr.pw.fn, FALSE, info->in[0], b,
                           info->attr.pw.scalar, error);
}

static gboolean
const_record (VksPlan *plan, VksNode node, GError **error)
{
  (void) error;
  const VksNodeInfo *info = vks_node_info (vks_plan_graph (plan), node);
  VksTensor t = vks_plan_tensor (plan, node);
  union { float f; uint32_t u; } bits = { info->attr.value };
  VkDeviceSize bytes = ((VkDeviceSize) vks_shape_elements (info->shape) + 3) / 4 * 16;
  vks_recorder_fill (vks_plan_recorder (plan), t.buf, t.offset, bytes, bits.u);
  return TRUE;
}

/* A reshape that is not a view: PLANES on either side, so the floats move. */
gboolean
vks_reshape_record (VksPlan *plan, VksNode node, GError **error)
{
  VksNode x = vks_node_info (vks_plan_graph (plan), node)->in[0];
  return record_pointwise (plan, node, VKS_PW_COPY, TRUE, x, x, 0.0f, error);
}

const VksOpClass vks_pointwise_class = { "pointwise", pointwise_backward, NULL, pointwise_record };
const VksOpClass vks_const_class = { "const", NULL, NULL, const_record };
