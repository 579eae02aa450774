#include "engine/backward.h"

#include "engine/winograd.h"

#include <string.h>


enum { NORM_BW_NORM = 0, NORM_BW_CHANNEL_SUM = 1, NORM_BW_REFLECT_FOLD = 2,
       NORM_BW_STATISTICS = 3 };  /* norm.comp MODE */

/* Register tile of gemm.comp's WEIGHT_GRAD mode: 8 rows of dW x 4 columns (32 vec4 accumulators,
 * the forward's budget), or 4 x 8 when dW has at most 4 rows (the last 7x7 layer's 3). Measured
 * with tests/bench_backward.c on lavapipe, CPU time: 8 x 4 takes 15-30 % less than 4 x 4 for
 * 128->128 3x3 at 32x32, 256->512 4x4 at 16x16, 128->256 4x4 s2 and 64->128 3x3 s2; 16 x 4 and
 * 8 x 8 (64 accumulators) take 2.5x as long (spills). */
static void
weight_grad_tile (int m, int *rows, int *cols4)
{
  *rows = m <= 4 ? 4 : 8;
  *cols4 = m <= 4 ? 2 : 1;
}

/* Vulkan's largest minTexelBufferOffsetAlignment: sub-regions of a scratch start this aligned. */
#define VIEW_ALIGN 256

static inline VkDeviceSize
align_view (VkDeviceSize bytes)
{
  return (bytes + VIEW_ALIGN - 1) / VIEW_ALIGN * VIEW_ALIGN;
}

static VksView
floats_view (const VksBuffer *buf, VkDeviceSize offset, VkDeviceSize floats)
{
  return (VksView) { buf, offset, floats * sizeof (float), VK_FORMAT_R32_SFLOAT };
}

static gboolean
same_shape (const VksTensor *a, const VksTensor *b)
{
  return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w;
}

/* --- normalisation and per-channel reductions ------------------------------------------ */

static gboolean
norm_backward_dispatch (VksRecorder *rec, int mode, gboolean affine, VksActivation act,
                        gboolean accumulate, const VksView views[6],
                        const VksNormBackwardPush *push, uint32_t gx, uint32_t gy, GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  /* the longest loop: a plane over all images, or the reflect fold's and statistics' plane */
  gint64 floats = MAX ((gint64) push->count * MAX (push->images, 1),
                       (gint64) push->in_h * push->in_w);
  int32_t spec[] = { (int32_t) vks_reduction_workgroup (ctx, floats), mode, affine, act,
                     accumulate };
  VksPipeline *pipe = vks_pipeline_get (ctx, VKS_KERNEL_NORM_BACKWARD, spec, G_N_ELEMENTS (spec),
                                        error);
  if (pipe == NULL)
    return FALSE;
  uint32_t groups[3] = { gx, gy, 1 };
  return vks_recorder_dispatch (rec, pipe, views, push, sizeof *push, groups, error);
}

gboolean
vks_norm_backward (VksRecorder *rec, const VksNorm *norm, const VksTensor *x, const VksTensor *dy,
                   const VksTensor *dx, const VksBuffer *dparams, VkDeviceSize dparams_offset,
                   gboolean accumulate, GError **error)
{
  g_return_val_if_fail (x->c == norm->channels && same_shape (x, dy) && same_shape (x, dx), FALSE);
  g_return_val_if_fail (!norm->affine || (norm->params != NULL && dparams != NULL), FALSE);
  if (!norm->instance) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "batch normalisation with running statistics has no backward pass (inference only)");
    return FALSE;
  }
  VksView x1 = vks_tensor_view (x, VK_FORMAT_R32_SFLOAT);
  VksView dx1 = vks_tensor_view (dx, VK_FORMAT_R32_SFLOAT);
  /* Bindings a mode does not use still need a valid descriptor: x, or dx for outputs. */
  VksView views[6] = {
    vks_tensor_view (x, VK_FORMAT_R32G32B32A32_SFLOAT),
    vks_tensor_view (dy, VK_FORMAT_R32G32B32A32_SFLOAT),
    norm->affine ? floats_view (norm->params, norm->params_offset, 2 * (VkDeviceSize) x->c) : x1,
    norm->affine ? floats_view (dparams, dparams_offset, 2 * (VkDeviceSize) x->c) : x1,
    vks_tensor_view (dx, VK_FORMAT_R32G32B32A32_SFLOAT),
    norm->affine ? floats_view (dparams, dparams_offset, 2 * (VkDeviceSize) x->c) : dx1,
  };
  VksNormBackwardPush push = {
    .channels = x->c, .count = x->h * x->w, .plane = x->plane, .images = x->n,
    .eps = norm->eps, .slope = norm->slope,
  };
  return norm_backward_dispatch (rec, NORM_BW_NORM, norm->affine, norm->act,
                                 accumulate && norm->affine, views, &push, (uint32_t) x->c, 1,
                                 error);
}

gboolean
vks_conv_backward_bias (VksRecorder *rec, const VksTensor *dy, const VksBuffer *db,
                        VkDeviceSize db_offset, gboolean accumulate, GError **error)
{
  VksView dy4 = vks_tensor_view (dy, VK_FORMAT_R32G32B32A32_SFLOAT);
  VksView dbv = floats_view (db, db_offset, (VkDeviceSize) dy->c);
  VksView views[6] = { dy4, dy4, dbv, dbv, dy4, dbv };
  VksNormBackwardPush push = {
    .channels = dy->c, .count = dy->h * dy->w, .plane = dy->plane, .images = dy->n,
  };
  return norm_backward_dispatch (rec, NORM_BW_CHANNEL_SUM, FALSE, VKS_ACT_NONE, accumulate, views,
                                 &push, (uint32_t) dy->c, 1, error);
}

gboolean
vks_norm_statistics_record (VksRecorder *rec, const VksTensor *x, const VksView *aux,
                            gboolean region, int shift, gboolean correct, const VksBuffer *dst,
                            VkDeviceSize dst_offset, GError **error)
{
  VksView rgba = vks_tensor_view (x, VK_FORMAT_R32G32B32A32_SFLOAT);
  VksView out = floats_view (dst, dst_offset, 2 * (VkDeviceSize) x->c);
  /* only src, params (aux) and dst1 are read or written; the others need valid descriptors */
  VksView views[6] = { rgba, rgba, aux ? *aux : out, out, rgba, out };
  VksNormBackwardPush push = {
    .channels = x->c, .count = x->h * x->w, .plane = x->plane, .images = 1,
    .in_h = x->h, .in_w = x->w, .region = region, .shift = shift, .out_at = 0,
    .correct = correct,
  };
  return norm_backward_dispatch (rec, NORM_BW_STATISTICS, FALSE, VKS_ACT_NONE, FALSE, views,
                                 &push, (uint32_t) x->c, 1, error);
}

/* --- convolution ------------------------------------------------------------------------ */

/* A 3x3 stride-1 plain convolution's input gradient is computed as a plain convolution with the
 * flipped kernel, unless the forward was forced to the direct algorithm (tests keep the
 * transposed path that way). */
static gboolean
flipped_applies (const VksConvDesc *f)
{
  return !f->transposed && f->kh == 3 && f->kw == 3 && f->stride == 1 &&
         (f->reflect || f->pad <= 2) && f->algo != VKS_CONV_DIRECT;
}

gboolean
vks_conv_backward_init (VksConvBackward *bw, const VksConv *conv, int h, int w, VksArena *weights,
                        GError **error)
{
  memset (bw, 0, sizeof *bw);
  const VksConvDesc *f = &conv->d;
  if (f->pad_h != 0 || f->pad_w != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "no backward pass for a convolution with "
                 "per-axis padding %dx%d", f->pad_h, f->pad_w);
    return FALSE;
  }
  bw->fwd = *f;
  bw->h = h;
  bw->w = w;
  if (!vks_conv_output_size (conv, h, w, &bw->ho, &bw->wo, error))
    return FALSE;
  VksConvDesc d = {
    .cin = f->cout, .cout = f->cin, .kh = f->kh, .kw = f->kw, .stride = f->stride,
    .pad = f->reflect ? 0 : f->pad, .algo = VKS_CONV_AUTO,
  };
  int want_h = h, want_w = w;
  if (flipped_applies (f)) {
    /* dx[i] = sum_k w[k] dy[i + p - k]: a plain convolution of dy with the kernel rotated by 180
     * degrees and padding 2 - p, so Winograd applies to it as to the forward (5x less CPU
     * time than the direct transposed convolution on lavapipe). Reflect padding: the
     * gradient of the padded input, as below. */
    d.stride = 1;
    d.pad = 2 - (f->reflect ? 0 : f->pad);
    want_h = h + (f->reflect ? 2 * f->pad : 0);
    want_w = w + (f->reflect ? 2 * f->pad : 0);
  } else if (!f->transposed) {
    /* Input rows the forward's stride left past its last window (at the bottom, right) still
     * get gradient through the padding-side taps: extra zero taps make the transposed
     * convolution's output reach them, per axis. */
    int ph = h + (f->reflect ? 2 * f->pad : 0), pw = w + (f->reflect ? 2 * f->pad : 0);
    d.transposed = TRUE;
    d.algo = VKS_CONV_DIRECT;
    d.kh = f->kh + (h + 2 * f->pad - f->kh) % f->stride;
    d.kw = f->kw + (w + 2 * f->pad - f->kw) % f->stride;
    want_h = ph;
    want_w = pw;
    if (f->stride > 2 || d.kh > VKS_MAX_KERNEL || d.kw > VKS_MAX_KERNEL) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "no backward pass for a %dx%d stride-%d convolution at %dx%d", f->kw, f->kh,
                   f->stride, w, h);
      return FALSE;
    }
  }
  if (!vks_conv_init (&bw->data, &d, weights, error))
    return FALSE;
  bw->data_kh = d.kh;
  bw->data_kw = d.kw;
  int dh, dw;
  if (!vks_conv_output_size (&bw->data, bw->ho, bw->wo, &dh, &dw, error))
    return FALSE;
  g_return_val_if_fail (dh == want_h && dw == want_w, FALSE);
  return TRUE;
}

void
vks_conv_backward_pack (const VksConvBackward *bw, const float *weight, guint8 *host)
{
  const VksConvDesc *f = &bw->fwd;
  if (!f->transposed && !bw->data.d.transposed) {
    /* w'[ci][co][ky][kx] = w[co][ci][2-ky][2-kx]: the flipped kernel, cin and cout swapped. */
    size_t taps = (size_t) f->kh * f->kw, n = (size_t) f->cout * f->cin * taps;
    float *flipped = g_new (float, n);
    for (int co = 0; co < f->cout; co++)
      for (int ci = 0; ci < f->cin; ci++)
        for (size_t t = 0; t < taps; t++)
          flipped[((size_t) ci * f->cout + co) * taps + t] =
            weight[((size_t) co * f->cin + ci) * taps + taps - 1 - t];
    vks_conv_pack (&bw->data, flipped, NULL, host);
    g_free (flipped);
    return;
  }
  if (f->transposed || (bw->data_kh == f->kh && bw->data_kw == f->kw)) {
    /* The same array, read as the other kind of convolution's layout (backward.h). */
    vks_conv_pack (&bw->data, weight, NULL, host);
    return;
  }
  int kh = bw->data_kh, kw = bw->data_kw;
  float *padded = g_new0 (float, (size_t) f->cout * f->cin * kh * kw);
  for (int oc = 0; oc < f->cout * f->cin; oc++)
    for (int ky = 0; ky < f->kh; ky++)
      memcpy (padded + ((size_t) oc * kh + ky) * kw, weight + ((size_t) oc * f->kh + ky) * f->kw,
              (size_t) f->kw * sizeof (float));
  vks_conv_pack (&bw->data, padded, NULL, host);
  g_free (padded);
}

/* The weight gradient's column matrix: im2col of the forward's input (plain convolution) or of
 * dy (transposed: dW[ci][co][k] pairs x[ci] at an input pixel with the dy pixels its taps wrote,
 * a plain stride-s gather over dy). */
typedef struct {
  int k;                   /* column-matrix rows */
  long columns;            /* per image */
  int grid_w;
} ColsGeometry;

static ColsGeometry
cols_geometry (const VksConvBackward *bw)
{
  const VksConvDesc *f = &bw->fwd;
  ColsGeometry g;
  if (!f->transposed) {
    g.k = f->cin * f->kh * f->kw;
    g.columns = (long) bw->ho * bw->wo;
    g.grid_w = bw->wo;
  } else {
    g.k = f->cout * f->kh * f->kw;
    g.columns = (long) bw->h * bw->w;
    g.grid_w = bw->w;
  }
  return g;
}

static VkDeviceSize
fold_bytes (const VksConvBackward *bw, int n)
{
  if (bw->fwd.transposed || !bw->fwd.reflect)
    return 0;
  VksTensor t = vks_tensor_shape (n, bw->fwd.cin, bw->h + 2 * bw->fwd.pad, bw->w + 2 * bw->fwd.pad);
  return align_view (vks_tensor_bytes (&t));
}

VkDeviceSize
vks_conv_backward_scratch_bytes (const VksConvBackward *bw, int n, VkDeviceSize budget)
{
  VkDeviceSize data = fold_bytes (bw, n) + vks_conv_scratch_bytes (&bw->data, n, bw->ho, bw->wo,
                                                                   budget);
  ColsGeometry g = cols_geometry (bw);
  VkDeviceSize row = (VkDeviceSize) vks_ceil_div (g.columns, 4) * 16;
  VkDeviceSize weight = MAX ((VkDeviceSize) g.k * 16, MIN ((VkDeviceSize) g.k * row, budget));
  /* as many whole images' column matrices side by side as the budget holds */
  VkDeviceSize images = MIN ((VkDeviceSize) MAX (n, 1), budget / ((VkDeviceSize) g.k * row));
  if (images >= 2)
    weight = images * g.k * row;
  return MAX (data, weight);
}

gboolean
vks_conv_backward_data (VksRecorder *rec, const VksConvBackward *bw, const VksTensor *dy,
                        const VksTensor *dx, const VksBuffer *scratch, VkDeviceSize scratch_offset,
                        VkDeviceSize scratch_bytes, GError **error)
{
  const VksConvDesc *f = &bw->fwd;
  g_return_val_if_fail (dy->c == f->cout && dy->h == bw->ho && dy->w == bw->wo &&
                        dx->c == f->cin && dx->h == bw->h && dx->w == bw->w && dx->n == dy->n,
                        FALSE);
  VkDeviceSize fold = fold_bytes (bw, dy->n);
  if (fold == 0)
    return vks_conv_forward (rec, &bw->data, dy, dx, scratch, scratch_offset, scratch_bytes, error);
  if (scratch_bytes < fold) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "internal error: convolution backward scratch of %" G_GUINT64_FORMAT
                 " bytes is too small", (guint64) scratch_bytes);
    return FALSE;
  }
  /* Gradient of the reflect-padded input, then each border pixel added onto the pixel it
   * mirrors. */
  VksTensor dxp = vks_tensor_shape (dy->n, f->cin, bw->h + 2 * f->pad, bw->w + 2 * f->pad);
  dxp.buf = (VksBuffer *) scratch;
  dxp.offset = scratch_offset;
  if (!vks_conv_forward (rec, &bw->data, dy, &dxp, scratch, scratch_offset + fold,
                         scratch_bytes - fold, error))
    return FALSE;
  VksView src1 = vks_tensor_view (&dxp, VK_FORMAT_R32_SFLOAT);
  VksView views[6] = {
    src1, vks_tensor_view (&dxp, VK_FORMAT_R32G32B32A32_SFLOAT), src1, src1,
    vks_tensor_view (dx, VK_FORMAT_R32G32B32A32_SFLOAT), vks_tensor_view (dx, VK_FORMAT_R32_SFLOAT),
  };
  VksNormBackwardPush push = {
    .channels = f->cin, .pad = f->pad, .in_h = bw->h, .in_w = bw->w, .src_plane = dxp.plane,
  };
  return norm_backward_dispatch (rec, NORM_BW_REFLECT_FOLD, FALSE, VKS_ACT_NONE, FALSE, views,
                                 &push, (uint32_t) f->cin, (uint32_t) dy->n, error);
}

gboolean
vks_conv_backward_weight (VksRecorder *rec, const VksConvBackward *bw, const VksTensor *x,
                          const VksTensor *dy, const VksBuffer *dw, VkDeviceSize dw_offset,
                          gboolean accumulate, const VksBuffer *scratch,
                          VkDeviceSize scratch_offset, VkDeviceSize scratch_bytes, GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  const VksConvDesc *f = &bw->fwd;
  g_return_val_if_fail (x->c == f->cin && x->h == bw->h && x->w == bw->w && dy->c == f->cout &&
                        dy->h == bw->ho && dy->w == bw->wo && dy->n == x->n, FALSE);
  /* Plain: dW[co][(ci,ky,kx)] = sum_j dy[co][j] cols_x[(ci,ky,kx)][j] over output pixels j.
   * Transposed: dW[ci][(co,ky,kx)] = sum_j x[ci][j] cols_dy[(co,ky,kx)][j] over input pixels j. */
  const VksTensor *src = f->transposed ? dy : x;    /* gathered into columns */
  const VksTensor *a = f->transposed ? x : dy;      /* the other factor, read along its planes */
  ColsGeometry g = cols_geometry (bw);
  int m = a->c;
  /* Whole images side by side in the column matrix, summed by one GEMM (see ops.c's
   * images_per_group), when at least one fits; else one image in column chunks. */
  long seg = vks_ceil_div (g.columns, 4) * 4;
  int group = (int) MIN ((VkDeviceSize) x->n, scratch_bytes / ((VkDeviceSize) g.k * seg * 4));
  long chunk = seg;
  if (group < 1) {
    group = 1;
    chunk = (long) (scratch_bytes / ((VkDeviceSize) g.k * 16)) * 4;
  }
  if (chunk < 4) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "internal error: convolution backward scratch of %" G_GUINT64_FORMAT
                 " bytes is too small", (guint64) scratch_bytes);
    return FALSE;
  }
  const int32_t wg = (int32_t) ctx->workgroup_size;
  int32_t im2col_spec[] = { wg, f->kh, f->kw, !f->transposed && f->reflect };
  int wg_rows, wg_cols4;
  weight_grad_tile (m, &wg_rows, &wg_cols4);
  int32_t gemm_spec[] = { wg, wg_rows, VKS_ACT_NONE, FALSE, wg_cols4, TRUE };
  VksPipeline *im2col = vks_pipeline_get (ctx, VKS_KERNEL_IM2COL, im2col_spec,
                                          G_N_ELEMENTS (im2col_spec), error);
  if (im2col == NULL)
    return FALSE;
  int32_t seg4 = (int32_t) (chunk / 4);
  int32_t col_row4 = seg4 * group;
  VksView cols = { scratch, scratch_offset, (VkDeviceSize) g.k * col_row4 * 16,
                   VK_FORMAT_R32G32B32A32_SFLOAT };
  VksView dwv = floats_view (dw, dw_offset, (VkDeviceSize) m * g.k);
  VksView gv[] = { vks_tensor_view (a, VK_FORMAT_R32G32B32A32_SFLOAT), cols, dwv, cols, dwv };
  VksView iv[] = { vks_tensor_view (src, VK_FORMAT_R32_SFLOAT), cols,
                   vks_tensor_view (src, VK_FORMAT_R32G32B32A32_SFLOAT) };
  VksIm2colPush ip = {
    .in_h = src->h, .in_w = src->w, .in_plane = src->plane, .grid_w = g.grid_w,
    .col_row4 = col_row4, .step_y = f->stride, .step_x = f->stride,
    .src_texels = (int32_t) (vks_tensor_bytes (src) / 16),
    .col_seg4 = seg4, .src_image = src->c * src->plane,
  };
  for (int t = 0; t < f->kh; t++)
    ip.off_y[t] = t - f->pad;
  for (int t = 0; t < f->kw; t++)
    ip.off_x[t] = t - f->pad;
  gboolean first = TRUE;
  for (int img0 = 0; img0 < x->n; img0 += group) {
    int images = MIN (group, x->n - img0);
    for (long n_begin = 0; n_begin < g.columns; n_begin += chunk) {
      int32_t n_count = (int32_t) MIN (chunk, g.columns - n_begin);
      ip.src_base = img0 * src->c * src->plane;
      ip.n_begin = (int32_t) n_begin;
      ip.n_count = n_count;
      ip.col_row4 = seg4 * images;
      uint32_t ig[3] = { (uint32_t) vks_ceil_div (ip.col_row4, wg), (uint32_t) g.k, 1 };
      if (!vks_recorder_dispatch (rec, im2col, iv, &ip, sizeof ip, ig, error))
        return FALSE;

      gemm_spec[3] = accumulate || !first;   /* BIAS: add the sum so far */
      first = FALSE;
      VksPipeline *gemm = vks_pipeline_get (ctx, VKS_KERNEL_GEMM, gemm_spec,
                                            G_N_ELEMENTS (gemm_spec), error);
      if (gemm == NULL)
        return FALSE;
      VksGemmPush gp = {
        .m = m, .k = g.k, .n_count = n_count, .w_row4 = a->plane / 4, .col_row4 = ip.col_row4,
        .a_batch4 = (int32_t) (((long) img0 * a->c * a->plane + n_begin) / 4),
        .dst_base = 0, .dst_plane = g.k,
        .col_seg4 = seg4, .images = images, .a_image4 = a->c * a->plane / 4,
      };
      uint32_t gg[3] = { (uint32_t) vks_ceil_div (vks_ceil_div (g.k, 4 * wg_cols4), wg),
                         (uint32_t) vks_ceil_div (m, wg_rows), 1 };
      if (!vks_recorder_dispatch (rec, gemm, gv, &gp, sizeof gp, gg, error))
        return FALSE;
    }
  }
  return TRUE;
}
