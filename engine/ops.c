#include "engine/ops.h"

#include "engine/winograd.h"

#include <string.h>

/* Push-constant blocks, laid out as the std430 blocks in the shaders. */

typedef struct {
  int32_t channels, count, plane, src_base, res_base, dst_base;
  float eps, slope;
} NormPush;

static VksView
weights_view (const VksBuffer *buf, VkDeviceSize offset, VkDeviceSize floats, VkFormat format)
{
  VkDeviceSize bytes = (floats * sizeof (float) + 15) / 16 * 16;
  return (VksView) { buf, offset, bytes, format };
}

/* --- convolution ------------------------------------------------------------------------ */

/* Winograd wins on lavapipe from 1->1 to 256->256 channels (2.5-4x less CPU time, measured with
 * tests/bench_conv.c) except with very few input channels, where the direct GEMM is short and
 * the output transform dominates (3->64: 1.6x slower). */
#define WINOGRAD_MIN_CIN 4

static int
rows_for (int cout)
{
  /* Enough accumulators per invocation to reuse each column fetch many times, but no more
   * padding rows than needed for narrow layers (the last layer has 3 output channels). */
  if (cout <= 4) return 4;
  if (cout <= 8) return 8;
  return VKS_GEMM_MAX_ROWS;
}

static void
plan_pass (VksConvPass *pass, const VksConvDesc *d, int phase_y, int phase_x)
{
  memset (pass, 0, sizeof *pass);
  pass->phase_y = phase_y;
  pass->phase_x = phase_x;
  if (!d->transposed) {
    pass->taps_y = d->kh;
    pass->taps_x = d->kw;
    for (int t = 0; t < d->kh; t++) {
      pass->tap_y[t] = t;
      pass->off_y[t] = t - vks_conv_pad_y (d);
    }
    for (int t = 0; t < d->kw; t++) {
      pass->tap_x[t] = t;
      pass->off_x[t] = t - vks_conv_pad_x (d);
    }
  } else {
    /* Output row oy = s*qy + phase gets input row iy = (oy + pad - ky) / s from every tap ky
     * for which that division is exact: iy = qy + (phase + pad - ky) / s. */
    int s = d->stride;
    for (int ky = 0; ky < d->kh; ky++)
      if (((phase_y + d->pad - ky) % s + s) % s == 0) {
        pass->tap_y[pass->taps_y] = ky;
        pass->off_y[pass->taps_y++] = (phase_y + d->pad - ky) / s;
      }
    for (int kx = 0; kx < d->kw; kx++)
      if (((phase_x + d->pad - kx) % s + s) % s == 0) {
        pass->tap_x[pass->taps_x] = kx;
        pass->off_x[pass->taps_x++] = (phase_x + d->pad - kx) / s;
      }
  }
  pass->k = d->cin * pass->taps_y * pass->taps_x;
}

/* Per-axis padding equal on both axes is plain padding, which Winograd and the backward passes
 * take; only truly per-axis padding stays per-axis. */
static VksConvDesc
canonical_padding (const VksConvDesc *d)
{
  VksConvDesc c = *d;
  if (c.pad_h == c.pad_w && c.pad_h != 0) {
    c.pad = c.pad_h;
    c.pad_h = c.pad_w = 0;
  }
  return c;
}

gboolean
vks_conv_init (VksConv *conv, const VksConvDesc *desc, VksArena *weights, GError **error)
{
  memset (conv, 0, sizeof *conv);
  VksConvDesc canonical = canonical_padding (desc);
  const VksConvDesc *d = &canonical;
  gboolean per_axis = d->pad_h != 0 || d->pad_w != 0;
  if (d->cin < 1 || d->cout < 1 || d->kh < 1 || d->kw < 1 || d->kh > VKS_MAX_KERNEL ||
      d->kw > VKS_MAX_KERNEL || d->stride < 1 || d->pad < 0 || d->pad >= MAX (d->kh, d->kw) + 1 ||
      d->pad_h < 0 || d->pad_w < 0 || d->pad_h >= d->kh + 1 || d->pad_w >= d->kw + 1 ||
      (per_axis && (d->transposed || d->reflect)) ||
      (d->transposed && (d->stride > 2 || d->reflect || d->kh < d->stride ||
                         d->kw < d->stride || d->output_pad >= d->stride)) ||
      (!d->transposed && (d->stride > 4 || d->output_pad != 0))) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "unsupported convolution: %d->%d channels, kernel %dx%d, stride %d, padding %dx%d%s",
                 d->cin, d->cout, d->kh, d->kw, d->stride, vks_conv_pad_y (d), vks_conv_pad_x (d),
                 d->transposed ? " (transposed)" : "");
    return FALSE;
  }
  if (d->algo == VKS_CONV_WINOGRAD && !vks_winograd_applies (d)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "Winograd convolution needs a 3x3 kernel with stride 1, not %dx%d stride %d%s",
                 d->kh, d->kw, d->stride, d->transposed ? " (transposed)" : "");
    return FALSE;
  }
  conv->d = *d;
  conv->rows = rows_for (d->cout);
  conv->m_pad = vks_ceil_div (d->cout, conv->rows) * conv->rows;
  conv->cols4 = VKS_GEMM_COLS4;
  /* Few output channels: the column matrix would cost far more to build than the product
   * (the generator's last 7x7 layer, 64 -> 3 at 256x256: 1.35 s with im2col, see
   * docs/performance.md), so the GEMM gathers its columns itself. Few input channels at
   * stride 1 (the first 7x7 layer, K = 147): reading each input row segment once per tap row
   * beats writing and reading a column matrix 49x the input's size. */
  gboolean implicit_applies = !d->transposed && (d->cout <= 4 || (d->cin <= 4 && d->stride == 1));
  if (d->algo == VKS_CONV_IMPLICIT && !implicit_applies) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "implicit convolution needs a plain convolution with at most 4 outputs, or at most 4 "
                 "inputs and stride 1");
    return FALSE;
  }
  conv->algo = d->algo != VKS_CONV_AUTO ? d->algo
             : vks_winograd_applies (d) && d->cin >= WINOGRAD_MIN_CIN ? VKS_CONV_WINOGRAD
             : implicit_applies ? VKS_CONV_IMPLICIT
                                : VKS_CONV_DIRECT;
  if (conv->algo == VKS_CONV_WINOGRAD) {
    conv->n_passes = 1;
    conv->pass[0].k = d->cin;
    conv->pass[0].a_offset = vks_arena_reserve (weights, vks_winograd_weight_floats (conv) * 4);
    conv->bias_offset = vks_arena_reserve (weights, (VkDeviceSize) conv->m_pad * 4);
    return TRUE;
  }
  int phases = d->transposed ? d->stride : 1;
  conv->n_passes = phases * phases;
  for (int py = 0; py < phases; py++)
    for (int px = 0; px < phases; px++) {
      VksConvPass *pass = &conv->pass[py * phases + px];
      plan_pass (pass, d, py, px);
      pass->a_offset = vks_arena_reserve (weights, (VkDeviceSize) pass->k * conv->m_pad * 4);
    }
  conv->bias_offset = vks_arena_reserve (weights, (VkDeviceSize) conv->m_pad * 4);
  return TRUE;
}

void
vks_conv_pack (const VksConv *conv, const float *weight, const float *bias, guint8 *host)
{
  const VksConvDesc *d = &conv->d;
  if (conv->algo == VKS_CONV_WINOGRAD)
    vks_winograd_pack (conv, weight, (float *) (host + conv->pass[0].a_offset));
  for (int p = 0; p < conv->n_passes && conv->algo != VKS_CONV_WINOGRAD; p++) {
    const VksConvPass *pass = &conv->pass[p];
    float *a = (float *) (host + pass->a_offset);
    memset (a, 0, (size_t) pass->k * conv->m_pad * sizeof (float));
    for (int ci = 0; ci < d->cin; ci++)
      for (int ty = 0; ty < pass->taps_y; ty++)
        for (int tx = 0; tx < pass->taps_x; tx++) {
          int k = (ci * pass->taps_y + ty) * pass->taps_x + tx;
          int ky = pass->tap_y[ty], kx = pass->tap_x[tx];
          for (int m = 0; m < d->cout; m++) {
            size_t src = d->transposed
              ? (((size_t) ci * d->cout + m) * d->kh + ky) * d->kw + kx
              : (((size_t) m * d->cin + ci) * d->kh + ky) * d->kw + kx;
            a[(size_t) k * conv->m_pad + m] = weight[src];
          }
        }
  }
  float *b = (float *) (host + conv->bias_offset);
  memset (b, 0, (size_t) conv->m_pad * sizeof (float));
  if (bias != NULL)
    memcpy (b, bias, (size_t) d->cout * sizeof (float));
}

gboolean
vks_conv_output_size (const VksConv *conv, int h, int w, int *ho, int *wo, GError **error)
{
  const VksConvDesc *d = &conv->d;
  if (d->transposed) {
    *ho = (h - 1) * d->stride - 2 * d->pad + d->kh + d->output_pad;
    *wo = (w - 1) * d->stride - 2 * d->pad + d->kw + d->output_pad;
  } else {
    int py = vks_conv_pad_y (d), px = vks_conv_pad_x (d);
    *ho = (h + 2 * py - d->kh) / d->stride + 1;
    *wo = (w + 2 * px - d->kw) / d->stride + 1;
    if (h + 2 * py < d->kh || w + 2 * px < d->kw)
      *ho = *wo = 0;
  }
  if (*ho < 1 || *wo < 1 || h < 1 || w < 1 || (d->reflect && (d->pad >= h || d->pad >= w))) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "a %dx%d input is too small for a %dx%d convolution with padding %dx%d", w, h,
                 d->kw, d->kh, vks_conv_pad_y (d), vks_conv_pad_x (d));
    return FALSE;
  }
  return TRUE;
}

static int
pass_grid (int out, int phase, int step)
{
  return out > phase ? (out - phase + step - 1) / step : 0;
}

/* A transposed convolution computes each output phase as a plain GEMM into its own contiguous
 * plane at the start of the scratch, then shuffle.comp interleaves the phases into the output:
 * scattering single floats to the strided pixels from the GEMM took 3x the GEMM's own time on
 * lavapipe (bench-conv 256->128 64x64: 1.21 s scattered, 0.37 s contiguous). Phase 0 has the
 * largest grid; every phase gets a plane of that size. */
static int
phase_plane_floats (const VksConv *conv, int ho, int wo)
{
  int s = conv->d.stride;
  return vks_plane_floats (pass_grid (ho, 0, s), pass_grid (wo, 0, s));
}

/* Rounded up to an alignment every device accepts for texel views (the column matrix follows). */
#define PHASE_REGION_ALIGN 4096

/* One image's phase planes (transposed convolutions; else 0). */
static VkDeviceSize
image_phase_bytes (const VksConv *conv, int ho, int wo)
{
  if (!conv->d.transposed)
    return 0;
  return (VkDeviceSize) conv->n_passes * conv->d.cout * phase_plane_floats (conv, ho, wo) *
         sizeof (float);
}

static VkDeviceSize
phase_region_bytes (const VksConv *conv, int ho, int wo, int images)
{
  VkDeviceSize bytes = image_phase_bytes (conv, ho, wo) * images;
  return (bytes + PHASE_REGION_ALIGN - 1) / PHASE_REGION_ALIGN * PHASE_REGION_ALIGN;
}

/* Columns of one pass for one image, padded to a multiple of what one GEMM invocation reads so
 * its fetches stay inside the column matrix (and, side by side, inside the image's segment). */
static long
pass_columns (const VksConv *conv, const VksConvPass *pass, int ho, int wo)
{
  int s = conv->d.transposed ? conv->d.stride : 1;
  return (long) pass_grid (ho, pass->phase_y, s) * pass_grid (wo, pass->phase_x, s);
}

static long
padded_columns (const VksConv *conv, long columns)
{
  long unit = 4L * conv->cols4;
  return vks_ceil_div (columns, unit) * unit;
}

/* Scratch for one whole image: its phase planes and the largest pass's column matrix (the
 * passes run one after another and reuse it). */
static VkDeviceSize
image_scratch_bytes (const VksConv *conv, int ho, int wo)
{
  VkDeviceSize cols = 0;
  for (int p = 0; p < conv->n_passes; p++)
    cols = MAX (cols, (VkDeviceSize) conv->pass[p].k *
                        padded_columns (conv, pass_columns (conv, &conv->pass[p], ho, wo)) * 4);
  return cols + image_phase_bytes (conv, ho, wo);
}

/* Images whose whole column matrices fit the scratch side by side: small images (a GAN's 4x4 to
 * 32x32 layers at batch 64) then cost two dispatches per pass instead of two per image, which
 * on lavapipe ran mostly idle workgroups (a DCGAN 32x32 batch-32 step: 6395 dispatches, now
 * 722). */
static int
images_per_group (const VksConv *conv, int n, int ho, int wo, VkDeviceSize scratch_bytes)
{
  VkDeviceSize per = image_scratch_bytes (conv, ho, wo);
  if (scratch_bytes <= PHASE_REGION_ALIGN || per == 0)
    return 1;
  VkDeviceSize fit = (scratch_bytes - PHASE_REGION_ALIGN) / per;
  return (int) CLAMP (fit, 1, (VkDeviceSize) n);
}

typedef struct {
  int32_t out_w, out_count, out_plane, dst_base, phase_plane, phase_stride;
  int32_t grid_w[2];
  int32_t dst_image, phase_image;
} ShufflePush;

static gboolean
record_shuffle (VksRecorder *rec, const VksConv *conv, const VksView *phases, const VksTensor *y,
                int img0, int images, GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  int32_t spec[] = { (int32_t) ctx->workgroup_size, conv->d.stride };
  VksPipeline *pipe = vks_pipeline_get (ctx, VKS_KERNEL_SHUFFLE, spec, G_N_ELEMENTS (spec), error);
  if (pipe == NULL)
    return FALSE;
  int plane = phase_plane_floats (conv, y->h, y->w);
  ShufflePush push = {
    .out_w = y->w, .out_count = y->h * y->w, .out_plane = y->plane,
    .dst_base = img0 * y->c * y->plane, .phase_plane = plane, .phase_stride = y->c * plane,
    .grid_w = { pass_grid (y->w, 0, conv->d.stride), pass_grid (y->w, 1, conv->d.stride) },
    .dst_image = y->c * y->plane, .phase_image = conv->n_passes * y->c * plane,
  };
  VksView views[] = { *phases, vks_tensor_view (y, VK_FORMAT_R32G32B32A32_SFLOAT) };
  uint32_t groups[3] = { (uint32_t) vks_ceil_div (y->plane / 4, ctx->workgroup_size),
                         (uint32_t) y->c, (uint32_t) images };
  return vks_recorder_dispatch (rec, pipe, views, &push, sizeof push, groups, error);
}

VkDeviceSize
vks_conv_scratch_bytes (const VksConv *conv, int n, int h, int w, VkDeviceSize budget)
{
  int ho, wo;
  if (!vks_conv_output_size (conv, h, w, &ho, &wo, NULL))
    return 0;
  if (conv->algo == VKS_CONV_WINOGRAD)
    return vks_winograd_scratch_bytes (conv, ho, wo, budget);
  if (conv->algo == VKS_CONV_IMPLICIT)
    return 0;
  /* One image at a time, in column chunks of at most the budget... */
  VkDeviceSize need = 0;
  for (int p = 0; p < conv->n_passes; p++) {
    const VksConvPass *pass = &conv->pass[p];
    long unit = 4L * conv->cols4;
    VkDeviceSize full = (VkDeviceSize) pass->k *
                        padded_columns (conv, pass_columns (conv, pass, ho, wo)) * 4;
    VkDeviceSize chunk = MAX ((VkDeviceSize) pass->k * unit * 4, MIN (full, budget));
    need = MAX (need, chunk);
  }
  need += phase_region_bytes (conv, ho, wo, 1);
  /* ...or as many whole images side by side as the budget holds. */
  VkDeviceSize per = image_scratch_bytes (conv, ho, wo);
  VkDeviceSize images = MIN ((VkDeviceSize) MAX (n, 1), budget / MAX (per, 1));
  if (images >= 2)
    need = MAX (need, PHASE_REGION_ALIGN + images * per);
  return need;
}

/* Where one GEMM pass writes: y itself, or (transposed) its phase plane in the scratch; image
 * img0 + i of the group at base + i * image_floats. */
typedef struct {
  VksView out4, out1;
  int32_t base, plane, image_floats;
} PassOutput;

/* One pass over images [img0, img0 + images): with several images, each one's whole column
 * matrix in its own segment of the rows; with one, in chunks of the columns the scratch holds. */
static gboolean
record_pass (VksRecorder *rec, const VksConv *conv, const VksConvPass *pass, const VksTensor *x,
             int img0, int images, int ho, int wo, const VksBuffer *scratch,
             VkDeviceSize scratch_offset, VkDeviceSize scratch_bytes, const PassOutput *out,
             GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  const VksConvDesc *d = &conv->d;
  const int32_t wg = (int32_t) ctx->workgroup_size;
  int s = d->transposed ? d->stride : 1;
  int grid_w = pass_grid (wo, pass->phase_x, s);
  long n_total = pass_columns (conv, pass, ho, wo);
  if (n_total == 0)
    return TRUE;
  long unit = 4L * conv->cols4;
  long chunk = padded_columns (conv, n_total);
  if (images == 1) {
    chunk = MIN (chunk, (long) (scratch_bytes / ((VkDeviceSize) pass->k * unit * 4)) * unit);
    if (chunk < unit) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                   "internal error: convolution scratch of %" G_GUINT64_FORMAT
                   " bytes is too small", (guint64) scratch_bytes);
      return FALSE;
    }
  }
  int32_t seg4 = (int32_t) (chunk / 4);
  int32_t col_row4 = seg4 * images;
  int32_t im2col_spec[] = { wg, pass->taps_y, pass->taps_x, d->reflect };
  int32_t gemm_spec[] = { wg, conv->rows, d->act, TRUE, conv->cols4 };
  VksPipeline *im2col = vks_pipeline_get (ctx, VKS_KERNEL_IM2COL, im2col_spec,
                                          G_N_ELEMENTS (im2col_spec), error);
  VksPipeline *gemm = vks_pipeline_get (ctx, VKS_KERNEL_GEMM, gemm_spec,
                                        G_N_ELEMENTS (gemm_spec), error);
  if (im2col == NULL || gemm == NULL)
    return FALSE;
  VksView cols = { scratch, scratch_offset, (VkDeviceSize) pass->k * col_row4 * 16,
                   VK_FORMAT_R32G32B32A32_SFLOAT };
  VksView wmat = weights_view (conv->weights, pass->a_offset, (VkDeviceSize) pass->k * conv->m_pad,
                               VK_FORMAT_R32G32B32A32_SFLOAT);
  VksView bias = weights_view (conv->weights, conv->bias_offset, conv->m_pad, VK_FORMAT_R32_SFLOAT);
  VksView iv[] = { vks_tensor_view (x, VK_FORMAT_R32_SFLOAT), cols,
                   vks_tensor_view (x, VK_FORMAT_R32G32B32A32_SFLOAT) };
  VksView gv[] = { wmat, cols, bias, out->out4, out->out1 };

  for (long n_begin = 0; n_begin < n_total; n_begin += chunk) {
    int32_t n_count = (int32_t) MIN (chunk, n_total - n_begin);
    VksIm2colPush ip = {
      .in_h = x->h, .in_w = x->w, .in_plane = x->plane,
      .src_base = img0 * x->c * x->plane,
      .grid_w = grid_w, .n_begin = (int32_t) n_begin, .n_count = n_count,
      .col_row4 = col_row4,
      .step_y = d->transposed ? 1 : d->stride, .step_x = d->transposed ? 1 : d->stride,
      .src_texels = (int32_t) (vks_tensor_bytes (x) / 16),
      .col_seg4 = seg4, .src_image = x->c * x->plane,
    };
    memcpy (ip.off_y, pass->off_y, sizeof ip.off_y);
    memcpy (ip.off_x, pass->off_x, sizeof ip.off_x);
    uint32_t ig[3] = { (uint32_t) vks_ceil_div (col_row4, wg), (uint32_t) pass->k, 1 };
    if (!vks_recorder_dispatch (rec, im2col, iv, &ip, sizeof ip, ig, error))
      return FALSE;

    VksGemmPush gp = {
      .m = d->cout, .k = pass->k, .n_begin = (int32_t) n_begin, .n_count = n_count,
      .w_row4 = conv->m_pad / 4, .col_row4 = col_row4,
      .dst_base = out->base, .dst_plane = out->plane,
      .slope = d->slope, .dst_batch = out->image_floats, .col_seg4 = seg4,
    };
    uint32_t gg[3] = { (uint32_t) vks_ceil_div (col_row4, wg * conv->cols4),
                       (uint32_t) (conv->m_pad / conv->rows), 1 };
    if (!vks_recorder_dispatch (rec, gemm, gv, &gp, sizeof gp, gg, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
record_implicit (VksRecorder *rec, const VksConv *conv, const VksTensor *x, const VksTensor *y,
                 GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  const VksConvDesc *d = &conv->d;
  const VksConvPass *pass = &conv->pass[0];
  const int32_t wg = (int32_t) ctx->workgroup_size;
  int32_t spec[] = { wg, conv->rows, d->act, TRUE, conv->cols4, FALSE, TRUE, d->reflect,
                     d->stride == 1 ? d->kw : 0 };
  VksPipeline *gemm = vks_pipeline_get (ctx, VKS_KERNEL_GEMM, spec, G_N_ELEMENTS (spec), error);
  if (gemm == NULL)
    return FALSE;
  VksView views[] = {
    weights_view (conv->weights, pass->a_offset, (VkDeviceSize) pass->k * conv->m_pad,
                  VK_FORMAT_R32G32B32A32_SFLOAT),
    vks_tensor_view (x, VK_FORMAT_R32G32B32A32_SFLOAT),
    weights_view (conv->weights, conv->bias_offset, conv->m_pad, VK_FORMAT_R32_SFLOAT),
    vks_tensor_view (y, VK_FORMAT_R32G32B32A32_SFLOAT),
    vks_tensor_view (y, VK_FORMAT_R32_SFLOAT),
  };
  int32_t n_total = y->h * y->w;
  int32_t texels = vks_ceil_div (n_total, 4);
  /* One image per workgroup row along z. */
  int most = (int) MIN (ctx->props.limits.maxComputeWorkGroupCount[2], (uint32_t) G_MAXINT);
  for (int img0 = 0; img0 < x->n; img0 += most) {
    VksGemmPush gp = {
      .m = d->cout, .k = pass->k, .n_begin = 0, .n_count = n_total,
      .w_row4 = conv->m_pad / 4,
      .dst_base = img0 * y->c * y->plane, .dst_plane = y->plane, .slope = d->slope,
      .dst_batch = y->c * y->plane,
      .in_h = x->h, .in_w = x->w, .in_plane = x->plane, .src_base = img0 * x->c * x->plane,
      .grid_w = y->w, .stride = d->stride, .pad = vks_conv_pad_y (d), .kh = d->kh, .kw = d->kw,
      .pad_x = vks_conv_pad_x (d), .src_image = x->c * x->plane,
    };
    uint32_t groups[3] = { (uint32_t) vks_ceil_div (texels, wg * conv->cols4),
                           (uint32_t) (conv->m_pad / conv->rows),
                           (uint32_t) MIN (most, x->n - img0) };
    if (!vks_recorder_dispatch (rec, gemm, views, &gp, sizeof gp, groups, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
vks_conv_forward (VksRecorder *rec, const VksConv *conv, const VksTensor *x, const VksTensor *y,
                  const VksBuffer *scratch, VkDeviceSize scratch_offset,
                  VkDeviceSize scratch_bytes, GError **error)
{
  const VksConvDesc *d = &conv->d;
  int ho, wo;
  if (!vks_conv_output_size (conv, x->h, x->w, &ho, &wo, error))
    return FALSE;
  g_return_val_if_fail (x->c == d->cin && y->c == d->cout && y->h == ho && y->w == wo &&
                        y->n == x->n && conv->weights != NULL, FALSE);
  if (conv->algo == VKS_CONV_WINOGRAD)
    return vks_winograd_forward (rec, conv, x, y, scratch, scratch_offset, scratch_bytes, error);
  if (conv->algo == VKS_CONV_IMPLICIT)
    return record_implicit (rec, conv, x, y, error);

  int group = images_per_group (conv, x->n, ho, wo, scratch_bytes);
  VkDeviceSize phase_bytes = phase_region_bytes (conv, ho, wo, group);
  VksView phases = { scratch, scratch_offset, phase_bytes, VK_FORMAT_R32_SFLOAT };
  int32_t phase_plane = d->transposed ? phase_plane_floats (conv, ho, wo) : 0;
  for (int img0 = 0; img0 < x->n; img0 += group) {
    int images = MIN (group, x->n - img0);
    for (int p = 0; p < conv->n_passes; p++) {
      PassOutput out = {
        vks_tensor_view (y, VK_FORMAT_R32G32B32A32_SFLOAT), vks_tensor_view (y, VK_FORMAT_R32_SFLOAT),
        img0 * y->c * y->plane, y->plane, y->c * y->plane,
      };
      if (d->transposed) {
        /* each group's images from the start of the phase region */
        out.out4 = phases;
        out.out4.format = VK_FORMAT_R32G32B32A32_SFLOAT;
        out.out1 = phases;
        out.plane = phase_plane;
        out.image_floats = conv->n_passes * d->cout * phase_plane;
        out.base = p * d->cout * phase_plane;
      }
      if (!record_pass (rec, conv, &conv->pass[p], x, img0, images, ho, wo, scratch,
                        scratch_offset + phase_bytes, scratch_bytes - phase_bytes, &out, error))
        return FALSE;
    }
    if (d->transposed && !record_shuffle (rec, conv, &phases, y, img0, images, error))
      return FALSE;
  }
  return TRUE;
}

/* --- normalisation --------------------------------------------------------------------- */

void
vks_norm_init (VksNorm *norm, int channels, gboolean instance, gboolean affine, VksActivation act,
               float slope, float eps, VksArena *weights)
{
  memset (norm, 0, sizeof *norm);
  norm->channels = channels;
  norm->instance = instance;
  norm->affine = affine;
  norm->act = act;
  norm->slope = slope;
  norm->eps = eps;
  if (affine || !instance)
    norm->params_offset = vks_arena_reserve (weights, (VkDeviceSize) channels * 4 * sizeof (float));
}

void
vks_norm_pack (const VksNorm *norm, const float *gamma, const float *beta, const float *mean,
               const float *var, guint8 *host)
{
  if (!norm->affine && norm->instance)
    return;
  float *p = (float *) (host + norm->params_offset);
  const float *src[4] = { gamma, beta, mean, var };
  const float dflt[4] = { 1.0f, 0.0f, 0.0f, 1.0f };
  for (int i = 0; i < 4; i++)
    for (int c = 0; c < norm->channels; c++)
      p[i * norm->channels + c] = src[i] ? src[i][c] : dflt[i];
}

gboolean
vks_norm_forward (VksRecorder *rec, const VksNorm *norm, const VksTensor *x,
                  const VksTensor *residual, const VksTensor *y, GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  g_return_val_if_fail (x->c == norm->channels && y->c == x->c && y->h == x->h && y->w == x->w &&
                        y->n == x->n, FALSE);
  g_return_val_if_fail (residual == NULL || (residual->c == x->c && residual->h == x->h &&
                                             residual->w == x->w && residual->n == x->n), FALSE);
  /* one workgroup per plane and image */
  gint64 floats = (gint64) x->h * x->w;
  int32_t spec[] = { (int32_t) vks_reduction_workgroup (ctx, floats), norm->instance,
                     norm->affine, norm->act, residual != NULL };
  VksPipeline *pipe = vks_pipeline_get (ctx, VKS_KERNEL_NORM, spec, G_N_ELEMENTS (spec), error);
  if (pipe == NULL)
    return FALSE;
  gboolean has_params = norm->affine || !norm->instance;
  VksView views[] = {
    vks_tensor_view (x, VK_FORMAT_R32G32B32A32_SFLOAT),
    vks_tensor_view (residual ? residual : x, VK_FORMAT_R32G32B32A32_SFLOAT),
    /* Unused bindings still need a valid descriptor: point them at x. */
    has_params ? weights_view (norm->params, norm->params_offset, 4 * (VkDeviceSize) norm->channels,
                               VK_FORMAT_R32_SFLOAT)
               : vks_tensor_view (x, VK_FORMAT_R32_SFLOAT),
    vks_tensor_view (y, VK_FORMAT_R32G32B32A32_SFLOAT),
  };
  NormPush push = {
    .channels = x->c, .count = x->h * x->w, .plane = x->plane,
    .eps = norm->eps, .slope = norm->slope,
  };
  uint32_t groups[3] = { (uint32_t) x->c, (uint32_t) x->n, 1 };
  return vks_recorder_dispatch (rec, pipe, views, &push, sizeof push, groups, error);
}
