#include "tests/reference/ref_graph.h"

#include <math.h>
#include <string.h>

#include "engine/nn/op.h"
#include "tests/reference/ref_vq.h"

typedef struct {
  int n, c, h, w;
} Dims;

static Dims
dims (const VksGraph *g, VksNode v)
{
  VksShape s = vks_graph_shape (g, v);
  return (Dims) { s.n, s.c, s.h, s.w };
}

static long
at (Dims d, int n, int c, int y, int x)
{
  return (((long) n * d.c + c) * d.h + y) * d.w + x;
}

/* Index along a broadcast dimension. */
static int
bc (int i, int size)
{
  return size == 1 ? 0 : i;
}

static int
reflect (int i, int size)
{
  if (i < 0)
    i = -i;
  if (i >= size)
    i = 2 * size - 2 - i;
  return i;
}

typedef enum { CONV_FORWARD, CONV_DATA, CONV_WEIGHT } ConvRole;

/* Every (x, w, y) index triple of a convolution's bilinear form sum y[yi] = w[wi] * x[xi]. */
static void
conv_pairs (const VksConvAttrs *a, Dims x, Dims w, Dims y, ConvRole role, const double *p,
            const double *q, double *out)
{
  int cin = x.c, cout = y.c;
  int pad_y = vks_conv_attrs_pad_y (a), pad_x = vks_conv_attrs_pad_x (a);
  for (int n = 0; n < x.n; n++)
    for (int ci = 0; ci < cin; ci++)
      for (int co = 0; co < cout; co++)
        for (int ky = 0; ky < w.h; ky++)
          for (int kx = 0; kx < w.w; kx++) {
            long wi = a->transposed ? at (w, ci, co, ky, kx) : at (w, co, ci, ky, kx);
            int outer_h = a->transposed ? x.h : y.h, outer_w = a->transposed ? x.w : y.w;
            for (int u = 0; u < outer_h; u++)
              for (int v = 0; v < outer_w; v++) {
                int iy, ix, oy, ox;
                if (a->transposed) {
                  iy = u, ix = v;
                  oy = u * a->stride - pad_y + ky, ox = v * a->stride - pad_x + kx;
                  if (oy < 0 || oy >= y.h || ox < 0 || ox >= y.w)
                    continue;
                } else {
                  oy = u, ox = v;
                  iy = u * a->stride - pad_y + ky, ix = v * a->stride - pad_x + kx;
                  if (a->reflect) {
                    iy = reflect (iy, x.h);
                    ix = reflect (ix, x.w);
                  } else if (iy < 0 || iy >= x.h || ix < 0 || ix >= x.w) {
                    continue;
                  }
                }
                long xi = at (x, n, ci, iy, ix), yi = at (y, n, co, oy, ox);
                if (role == CONV_FORWARD)        /* p = x, q = w */
                  out[yi] += q[wi] * p[xi];
                else if (role == CONV_DATA)      /* p = dy, q = w */
                  out[xi] += q[wi] * p[yi];
                else                             /* p = x, q = dy */
                  out[wi] += p[xi] * q[yi];
              }
          }
}

static void
eval_pointwise (const VksNodeInfo *info, Dims o, Dims da, Dims db, const double *a,
                const double *b, double *out)
{
  float s = info->attr.pw.scalar;
  for (int n = 0; n < o.n; n++)
    for (int c = 0; c < o.c; c++)
      for (int y = 0; y < o.h; y++)
        for (int x = 0; x < o.w; x++) {
          double va = a[at (da, bc (n, da.n), bc (c, da.c), bc (y, da.h), bc (x, da.w))];
          double vb = b ? b[at (db, bc (n, db.n), bc (c, db.c), bc (y, db.h), bc (x, db.w))] : 0;
          double r = va;
          switch (info->attr.pw.fn) {
          case VKS_PW_COPY: r = va; break;
          case VKS_PW_ADD: r = va + vb; break;
          case VKS_PW_SUB: r = va - vb; break;
          case VKS_PW_MUL: r = va * vb; break;
          case VKS_PW_SCALE: r = va * s; break;
          case VKS_PW_LEAKY_RELU: r = va >= 0 ? va : va * s; break;
          case VKS_PW_LEAKY_RELU_GRAD: r = va > 0 ? vb : vb * s; break;
          case VKS_PW_TANH: r = tanh (va); break;
          case VKS_PW_ADD_SCALAR: r = va + s; break;
          case VKS_PW_SIGMOID: r = 1 / (1 + exp (-va)); break;
          case VKS_PW_SILU: r = va / (1 + exp (-va)); break;
          case VKS_PW_GELU: r = 0.5 * va * (1 + erf (va / sqrt (2.0))); break;
          case VKS_PW_ERF: r = erf (va); break;
          case VKS_PW_EXP: r = exp (va); break;
          case VKS_PW_LOG: r = log (va); break;
          case VKS_PW_SQRT: r = sqrt (va); break;
          case VKS_PW_RSQRT: r = 1 / sqrt (va); break;
          case VKS_PW_RECIPROCAL: r = 1 / va; break;
          case VKS_PW_DIV: r = va / vb; break;
          case VKS_PW_ABS: r = fabs (va); break;
          case VKS_PW_SIGN: r = (va > 0) - (va < 0); break;
          }
          out[at (o, n, c, y, x)] = r;
        }
}

static void
eval_matmul (const VksNodeInfo *info, Dims o, Dims da, Dims db, const double *a, const double *b,
             double *out)
{
  gboolean ta = info->attr.matmul.trans_a, tb = info->attr.matmul.trans_b;
  int k_len = ta ? da.h : da.w;
  for (int n = 0; n < o.n; n++)
    for (int c = 0; c < o.c; c++)
      for (int i = 0; i < o.h; i++)
        for (int j = 0; j < o.w; j++) {
          double sum = 0;
          for (int k = 0; k < k_len; k++) {
            double va = ta ? a[at (da, bc (n, da.n), bc (c, da.c), k, i)]
                           : a[at (da, bc (n, da.n), bc (c, da.c), i, k)];
            double vb = tb ? b[at (db, bc (n, db.n), bc (c, db.c), j, k)]
                           : b[at (db, bc (n, db.n), bc (c, db.c), k, j)];
            sum += va * vb;
          }
          out[at (o, n, c, i, j)] = sum;
        }
}

static void
eval_sum_to (Dims o, Dims s, const double *x, double *out)
{
  for (int n = 0; n < s.n; n++)
    for (int c = 0; c < s.c; c++)
      for (int y = 0; y < s.h; y++)
        for (int xx = 0; xx < s.w; xx++)
          out[at (o, bc (n, o.n), bc (c, o.c), bc (y, o.h), bc (xx, o.w))] +=
            x[at (s, n, c, y, xx)];
}

static void
eval_pool (const VksNodeInfo *info, Dims o, Dims s, const double *x, double *out)
{
  double f = info->attr.pool.factor;
  for (int n = 0; n < o.n; n++)
    for (int c = 0; c < o.c; c++)
      for (int y = 0; y < o.h; y++)
        for (int xx = 0; xx < o.w; xx++) {
          double v;
          if (info->op == VKS_OP_AVG_POOL2)
            v = x[at (s, n, c, 2 * y, 2 * xx)] + x[at (s, n, c, 2 * y, 2 * xx + 1)] +
                x[at (s, n, c, 2 * y + 1, 2 * xx)] + x[at (s, n, c, 2 * y + 1, 2 * xx + 1)];
          else
            v = y / 2 < s.h && xx / 2 < s.w ? x[at (s, n, c, y / 2, xx / 2)] : 0;
          out[at (o, n, c, y, xx)] = f * v;
        }
}

static double
activate (double v, VksActivation act, double slope)
{
  switch (act) {
  case VKS_ACT_RELU: return v > 0 ? v : 0;
  case VKS_ACT_LEAKY_RELU: return v >= 0 ? v : v * slope;
  case VKS_ACT_TANH: return tanh (v);
  default: return v;
  }
}

static double
activate_grad (double v, VksActivation act, double slope)
{
  switch (act) {
  case VKS_ACT_RELU: return v > 0 ? 1 : 0;
  case VKS_ACT_LEAKY_RELU: return v > 0 ? 1 : slope;
  case VKS_ACT_TANH: return 1 - tanh (v) * tanh (v);
  default: return 1;
  }
}

/* Per plane: mean and 1 / sqrt(biased variance + eps), or the running statistics. */
static void
plane_stats (const VksNodeInfo *info, double *const *val, Dims o, const double *x, int n, int c,
             double *mean, double *inv_std)
{
  const VksNormAttrs *a = &info->attr.norm;
  long hw = (long) o.h * o.w;
  if (a->given) {
    const double *st = val[info->in[info->n_in - 1]];
    *mean = st[c];
    *inv_std = 1 / sqrt (st[o.c + c] + a->eps);
    return;
  }
  if (!a->instance) {
    const double *rm = val[info->in[info->n_in - 2]], *rv = val[info->in[info->n_in - 1]];
    *mean = rm[c];
    *inv_std = 1 / sqrt (rv[c] + a->eps);
    return;
  }
  const double *p = x + at (o, n, c, 0, 0);
  double m = 0, v = 0;
  for (long i = 0; i < hw; i++)
    m += p[i];
  m /= hw;
  for (long i = 0; i < hw; i++)
    v += (p[i] - m) * (p[i] - m);
  *mean = m;
  *inv_std = 1 / sqrt (v / hw + a->eps);
}

static void
eval_norm (const VksNodeInfo *info, double *const *val, Dims o, double *out)
{
  const VksNormAttrs *a = &info->attr.norm;
  const double *x = val[info->in[0]];
  const double *res = a->residual ? val[info->in[1]] : NULL;
  long hw = (long) o.h * o.w;
  for (int n = 0; n < o.n; n++)
    for (int c = 0; c < o.c; c++) {
      double mean, inv_std;
      plane_stats (info, val, o, x, n, c, &mean, &inv_std);
      double gamma = 1, beta = 0;
      if (!a->instance && !a->given) {
        gamma = val[info->in[info->n_in - 4]][c];
        beta = val[info->in[info->n_in - 3]][c];
      }
      for (long i = 0; i < hw; i++) {
        long k = at (o, n, c, 0, 0) + i;
        out[k] = activate (gamma * (x[k] - mean) * inv_std + beta, a->act, a->slope) +
                 (res ? res[k] : 0);
      }
    }
}

/* Instance norm's input gradient: g = dy * act'(xhat), dx = (g - mean g - xhat mean(g xhat)) / std */
static void
eval_norm_grad (const VksNodeInfo *info, double *const *val, Dims o, double *out)
{
  const VksNormAttrs *a = &info->attr.norm;
  const double *x = val[info->in[0]], *dy = val[info->in[1]];
  long hw = (long) o.h * o.w;
  double *gbuf = g_new (double, hw), *xhat = g_new (double, hw);
  for (int n = 0; n < o.n; n++)
    for (int c = 0; c < o.c; c++) {
      double mean, inv_std, mg = 0, mgx = 0;
      plane_stats (info, val, o, x, n, c, &mean, &inv_std);
      long base = at (o, n, c, 0, 0);
      for (long i = 0; i < hw; i++) {
        xhat[i] = (x[base + i] - mean) * inv_std;
        gbuf[i] = dy[base + i] * activate_grad (xhat[i], a->act, a->slope);
        mg += gbuf[i];
        mgx += gbuf[i] * xhat[i];
      }
      mg /= hw;
      mgx /= hw;
      for (long i = 0; i < hw; i++)
        out[base + i] = (gbuf[i] - mg - xhat[i] * mgx) * inv_std;
    }
  g_free (gbuf);
  g_free (xhat);
}

static void
eval_softmax (Dims s, const double *x, double *out)
{
  for (long row = 0; row < (long) s.n * s.c * s.h; row++) {
    const double *in = x + row * s.w;
    double m = in[0], sum = 0;
    for (int i = 1; i < s.w; i++)
      m = MAX (m, in[i]);
    for (int i = 0; i < s.w; i++)
      sum += exp (in[i] - m);
    for (int i = 0; i < s.w; i++)
      out[row * s.w + i] = exp (in[i] - m) / sum;
  }
}

/* The first maximal element (or NaN) of key's window (y, x), row-major: 0..3. */
static int
window_pick (Dims k, const double *key, int n, int c, int y, int x)
{
  int which = 0;
  double best = key[at (k, n, c, 2 * y, 2 * x)];
  for (int j = 1; j < 4; j++) {
    double v = key[at (k, n, c, 2 * y + j / 2, 2 * x + j % 2)];
    if (v > best || isnan (v))
      best = v, which = j;
  }
  return which;
}

/* MAX_POOL2 (o pooled, s = k) and MAX_POOL2_ROUTE (o = k, s pooled). */
static void
eval_max_pool (const VksNodeInfo *info, Dims o, Dims s, Dims k, const double *src,
               const double *key, double *out)
{
  gboolean route = info->op == VKS_OP_MAX_POOL2_ROUTE;
  Dims win = route ? s : o;
  for (int n = 0; n < win.n; n++)
    for (int c = 0; c < win.c; c++)
      for (int y = 0; y < win.h; y++)
        for (int x = 0; x < win.w; x++) {
          int j = window_pick (k, key, n, c, y, x);
          int ky = 2 * y + j / 2, kx = 2 * x + j % 2;
          if (route)
            out[at (o, n, c, ky, kx)] = src[at (s, n, c, y, x)];
          else
            out[at (o, n, c, y, x)] = src[at (s, n, c, ky, kx)];
        }
}

/* POOL2D: k x k windows, stride, zero padding that max pooling never picks and average pooling
 * counts only with count_include_pad. */
static void
eval_pool2d (const VksPoolAttrs *a, Dims o, Dims s, const double *x, double *out)
{
  for (int n = 0; n < o.n; n++)
    for (int c = 0; c < o.c; c++)
      for (int y = 0; y < o.h; y++)
        for (int xx = 0; xx < o.w; xx++) {
          double sum = 0, best = -INFINITY;
          int inside = 0;
          for (int ky = 0; ky < a->kernel; ky++)
            for (int kx = 0; kx < a->kernel; kx++) {
              int iy = y * a->stride - a->pad + ky, ix = xx * a->stride - a->pad + kx;
              if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w)
                continue;
              double v = x[at (s, n, c, iy, ix)];
              sum += v;
              inside++;
              if (v > best || isnan (v))
                best = v;
            }
          int count = a->count_include_pad ? a->kernel * a->kernel : inside;
          out[at (o, n, c, y, xx)] = a->max ? best : sum / count;
        }
}

static int
dim_of (Dims d, int dim)
{
  int sizes[4] = { d.n, d.c, d.h, d.w };
  return sizes[dim];
}

/* CONCAT: the inputs one after another along dim; SLICE: x from begin along dim. */
static void
eval_select (const VksGraph *g, const VksNodeInfo *info, double *const *val, Dims o, double *out)
{
  int dim = info->attr.select.dim;
  int offset = info->op == VKS_OP_SLICE ? -info->attr.select.begin : 0;
  for (int k = 0; k < info->n_in; k++) {
    Dims s = dims (g, info->in[k]);
    const double *x = val[info->in[k]];
    for (int n = 0; n < s.n; n++)
      for (int c = 0; c < s.c; c++)
        for (int y = 0; y < s.h; y++)
          for (int xx = 0; xx < s.w; xx++) {
            int i[4] = { n, c, y, xx };
            i[dim] += offset;
            if (i[dim] >= 0 && i[dim] < dim_of (o, dim))
              out[at (o, i[0], i[1], i[2], i[3])] = x[at (s, n, c, y, xx)];
          }
    offset += dim_of (s, dim);
  }
}

/* EMBEDDING (src = weight, o the rows) and EMBEDDING_GRAD (src = dy, o the weight's shape). */
static void
eval_embedding (const VksNodeInfo *info, Dims o, Dims s, long n_idx, const double *src,
                const double *idx, double *out)
{
  gboolean grad = info->op == VKS_OP_EMBEDDING_GRAD;
  int num = grad ? o.h : s.h, dim = o.w;
  for (long r = 0; r < n_idx; r++) {
    long i = (long) floor (idx[r] + 0.5);
    if (i < 0 || i >= num)
      continue;
    for (int j = 0; j < dim; j++) {
      if (grad)
        out[i * dim + j] += src[r * dim + j];
      else
        out[r * dim + j] = src[i * dim + j];
    }
  }
}

/* mean[C], var[C] of image 0 over the plane or the region (scaled by 2^-shift), corrected */
static void
eval_norm_stats (const VksNodeInfo *info, double *const *val, Dims x, double *out)
{
  int y0 = 0, y1 = x.h, x0 = 0, x1 = x.w;
  const double *aux = info->n_in == 2 ? val[info->in[1]] : NULL;
  if (info->attr.stats.region) {
    int sh = info->attr.stats.shift;
    y0 = (int) aux[0] >> sh, y1 = (int) aux[1] >> sh, x0 = (int) aux[2] >> sh, x1 = (int) aux[3] >> sh;
  }
  const double *src = val[info->in[0]];
  for (int c = 0; c < x.c; c++) {
    double m = 0, v = 0;
    long count = (long) MAX (y1 - y0, 0) * MAX (x1 - x0, 0);
    for (int yy = y0; yy < y1; yy++)
      for (int xx = x0; xx < x1; xx++)
        m += src[at (x, 0, c, yy, xx)];
    m = count > 0 ? m / count : 0;
    for (int yy = y0; yy < y1; yy++)
      for (int xx = x0; xx < x1; xx++)
        v += (src[at (x, 0, c, yy, xx)] - m) * (src[at (x, 0, c, yy, xx)] - m);
    v = count > 0 ? v / count : 0;
    if (info->attr.stats.correct) {
      m += aux[c];
      v *= aux[x.c + c];
    }
    out[c] = m;
    out[x.c + c] = v;
  }
}

double **
ref_graph_eval (const VksGraph *g, double *const *leaves)
{
  int count = vks_graph_n_nodes (g);
  double **val = g_new0 (double *, count);
  for (VksNode v = 0; v < count; v++) {
    const VksNodeInfo *info = vks_node_info (g, v);
    long len = vks_shape_elements (info->shape);
    double *out = val[v] = g_new0 (double, len);
    Dims o = dims (g, v);
    const double *in0 = info->n_in > 0 ? val[info->in[0]] : NULL;
    const double *in1 = info->n_in > 1 ? val[info->in[1]] : NULL;
    Dims d0 = info->n_in > 0 ? dims (g, info->in[0]) : o;
    Dims d1 = info->n_in > 1 ? dims (g, info->in[1]) : o;
    switch (info->op) {
    case VKS_OP_INPUT:
    case VKS_OP_PARAM:
      memcpy (out, leaves[v], len * sizeof (double));
      break;
    case VKS_OP_CONST:
      for (long i = 0; i < len; i++)
        out[i] = info->attr.value;
      break;
    case VKS_OP_CONV2D:
      conv_pairs (&info->attr.conv.a, d0, d1, o, CONV_FORWARD, in0, in1, out);
      if (info->n_in == 3)
        for (int n = 0; n < o.n; n++)
          for (int c = 0; c < o.c; c++)
            for (long i = 0; i < (long) o.h * o.w; i++)
              out[at (o, n, c, 0, 0) + i] += val[info->in[2]][c];
      for (long i = 0; i < len; i++)
        out[i] = activate (out[i], info->attr.conv.a.act, info->attr.conv.a.slope);
      break;
    case VKS_OP_CONV2D_DATA_GRAD:   /* in: dy, w; out: x-shaped */
      conv_pairs (&info->attr.conv.a, o, d1, d0, CONV_DATA, in0, in1, out);
      break;
    case VKS_OP_CONV2D_WEIGHT_GRAD: /* in: x, dy; out: w-shaped */
      conv_pairs (&info->attr.conv.a, d0, o, d1, CONV_WEIGHT, in0, in1, out);
      break;
    case VKS_OP_MATMUL:
      eval_matmul (info, o, d0, d1, in0, in1, out);
      break;
    case VKS_OP_POINTWISE:
      eval_pointwise (info, o, d0, d1, in0, info->n_in > 1 ? in1 : NULL, out);
      break;
    case VKS_OP_SUM_TO:
      eval_sum_to (o, d0, in0, out);
      break;
    case VKS_OP_AVG_POOL2:
    case VKS_OP_UPSAMPLE2:
      eval_pool (info, o, d0, in0, out);
      break;
    case VKS_OP_RESHAPE:
      memcpy (out, in0, len * sizeof (double));
      break;
    case VKS_OP_NORM:
      eval_norm (info, val, o, out);
      break;
    case VKS_OP_NORM_GRAD:
      eval_norm_grad (info, val, o, out);
      break;
    case VKS_OP_NORM_STATS:
      eval_norm_stats (info, val, d0, out);
      break;
    case VKS_OP_SOFTMAX:
      eval_softmax (d0, in0, out);
      break;
    case VKS_OP_MAX_POOL2:
    case VKS_OP_MAX_POOL2_ROUTE:
      eval_max_pool (info, o, d0, d1, in0, in1, out);
      break;
    case VKS_OP_POOL2D:
      eval_pool2d (&info->attr.pool.window, o, d0, in0, out);
      break;
    case VKS_OP_CONCAT:
    case VKS_OP_SLICE:
      eval_select (g, info, val, o, out);
      break;
    case VKS_OP_EMBEDDING:
    case VKS_OP_EMBEDDING_GRAD:
      eval_embedding (info, o, d0, vks_shape_elements (vks_graph_shape (g, info->in[1])), in0,
                      in1, out);
      break;
    case VKS_OP_VQ_NEAREST:
      ref_vq_nearest (d0.n, d0.c, (long) d0.h * d0.w, d1.h, in0, in1, out);
      break;
    case VKS_OP_VQ_LOOKUP:
      ref_vq_lookup (o.n, o.c, (long) o.h * o.w, d0.h, in0, in1, out);
      break;
    case VKS_OP_VQ_SCATTER:
      ref_vq_scatter (d0.n, d0.c, (long) d0.h * d0.w, o.h, in0, in1, out);
      break;
    case VKS_OP_STOP_GRADIENT:
      memcpy (out, in0, len * sizeof (double));
      break;
    case VKS_OP_CAUSAL_MASK:
      ref_causal_mask ((long) o.n * o.c, o.h, o.w, info->attr.value, in0, out);
      break;
    case VKS_OP_COUNT:
      g_assert_not_reached ();
    }
  }
  return val;
}

void
ref_graph_free (const VksGraph *g, double **values)
{
  if (values == NULL)
    return;
  for (int v = 0; v < vks_graph_n_nodes (g); v++)
    g_free (values[v]);
  g_free (values);
}
