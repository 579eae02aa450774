#include "engine/winograd.h"

#include <string.h>

/* winograd.comp's push block (std430). */
typedef struct {
  int32_t in_h, in_w, in_plane, src_base, pad, tiles_w, t_begin, t_count, t_row4, xi_stride4;
  int32_t out_h, out_w, out_plane, dst_base;
  float slope;
  int32_t w_cin, w_cout, w_row4, w_base;
} WinoPush;

enum { STAGE_INPUT = 0, STAGE_OUTPUT = 1, STAGE_WEIGHTS = 2 };  /* winograd.comp STAGE */

/* The largest minTexelBufferOffsetAlignment Vulkan allows: M starts this aligned after V, so
 * scratch sizes need no context. */
#define VIEW_ALIGN 256

/* Weight transform G (6x3) for the points 0, 1, -1, 2, -2 and infinity. */
static const double G[VKS_WINO_ALPHA][3] = {
  { 1.0 / 4, 0, 0 },
  { -1.0 / 6, -1.0 / 6, -1.0 / 6 },
  { -1.0 / 6, 1.0 / 6, -1.0 / 6 },
  { 1.0 / 24, 1.0 / 12, 1.0 / 6 },
  { 1.0 / 24, -1.0 / 12, 1.0 / 6 },
  { 0, 0, 1 },
};

gboolean
vks_winograd_applies (const VksConvDesc *d)
{
  return !d->transposed && d->kh == 3 && d->kw == 3 && d->stride == 1 &&
         vks_conv_pad_y (d) == vks_conv_pad_x (d);
}

VkDeviceSize
vks_winograd_weight_floats (const VksConv *conv)
{
  return (VkDeviceSize) VKS_WINO_POINTS * conv->d.cin * conv->m_pad;
}

void
vks_winograd_pack (const VksConv *conv, const float *weight, float *u)
{
  const VksConvDesc *d = &conv->d;
  size_t row = (size_t) conv->m_pad, point = (size_t) d->cin * row;
  memset (u, 0, vks_winograd_weight_floats (conv) * sizeof (float));
  for (int m = 0; m < d->cout; m++)
    for (int ci = 0; ci < d->cin; ci++) {
      const float *g = weight + ((size_t) m * d->cin + ci) * 9;
      double gt[VKS_WINO_ALPHA][3];   /* G g */
      for (int a = 0; a < VKS_WINO_ALPHA; a++)
        for (int j = 0; j < 3; j++)
          gt[a][j] = G[a][0] * g[j] + G[a][1] * g[3 + j] + G[a][2] * g[6 + j];
      for (int a = 0; a < VKS_WINO_ALPHA; a++)
        for (int b = 0; b < VKS_WINO_ALPHA; b++) {
          double v = gt[a][0] * G[b][0] + gt[a][1] * G[b][1] + gt[a][2] * G[b][2];
          u[(a * VKS_WINO_ALPHA + b) * point + ci * row + m] = (float) v;
        }
    }
}

/* Bytes of V (input transform, [36][cin][tiles]) and M (products, [36][cout][tiles]) for a chunk
 * of `tiles` tiles (a multiple of CHUNK_TILES). */
static VkDeviceSize
v_bytes (const VksConv *conv, long tiles)
{
  VkDeviceSize b = (VkDeviceSize) VKS_WINO_POINTS * conv->d.cin * tiles * sizeof (float);
  return (b + VIEW_ALIGN - 1) / VIEW_ALIGN * VIEW_ALIGN;
}

static VkDeviceSize
m_bytes (const VksConv *conv, long tiles)
{
  return (VkDeviceSize) VKS_WINO_POINTS * conv->d.cout * tiles * sizeof (float);
}

/* Tiles are the GEMM's columns: chunks are whole multiples of what one GEMM invocation covers,
 * so its fetches stay inside the matrices. */
#define CHUNK_TILES(conv) (4L * (conv)->cols4)

/* Tiles per chunk that fit `bytes` of scratch, a multiple of CHUNK_TILES and at most all tiles
 * rounded up; 0 if not even CHUNK_TILES fit. */
static long
chunk_tiles (const VksConv *conv, long total, VkDeviceSize bytes)
{
  VkDeviceSize per_unit = (VkDeviceSize) VKS_WINO_POINTS * (conv->d.cin + conv->d.cout) *
                          CHUNK_TILES (conv) * sizeof (float);
  long units = (long) MIN ((VkDeviceSize) vks_ceil_div (total, CHUNK_TILES (conv)), bytes / per_unit);
  long chunk = units * CHUNK_TILES (conv);
  while (chunk > 0 && v_bytes (conv, chunk) + m_bytes (conv, chunk) > bytes)
    chunk -= CHUNK_TILES (conv);
  return chunk;
}

VkDeviceSize
vks_winograd_scratch_bytes (const VksConv *conv, int ho, int wo, VkDeviceSize budget)
{
  long total = vks_ceil_div (ho, VKS_WINO_TILE) * vks_ceil_div (wo, VKS_WINO_TILE);
  long chunk = chunk_tiles (conv, total, budget);
  if (chunk == 0)
    chunk = CHUNK_TILES (conv);
  return v_bytes (conv, chunk) + m_bytes (conv, chunk);
}

gboolean
vks_winograd_forward (VksRecorder *rec, const VksConv *conv, const VksTensor *x,
                      const VksTensor *y, const VksBuffer *scratch, VkDeviceSize scratch_offset,
                      VkDeviceSize scratch_bytes, GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  const VksConvDesc *d = &conv->d;
  int tiles_w = (int) vks_ceil_div (y->w, VKS_WINO_TILE);
  long total = vks_ceil_div (y->h, VKS_WINO_TILE) * tiles_w;
  long chunk = chunk_tiles (conv, total, scratch_bytes);
  if (chunk == 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "internal error: convolution scratch of %" G_GUINT64_FORMAT " bytes is too small",
                 (guint64) scratch_bytes);
    return FALSE;
  }
  const int32_t wg = (int32_t) ctx->workgroup_size;
  int32_t in_spec[] = { wg, STAGE_INPUT, d->reflect, VKS_ACT_NONE };
  int32_t out_spec[] = { wg, STAGE_OUTPUT, FALSE, d->act };
  int32_t gemm_spec[] = { wg, conv->rows, VKS_ACT_NONE, FALSE, conv->cols4 };
  VksPipeline *in_pipe = vks_pipeline_get (ctx, VKS_KERNEL_WINOGRAD, in_spec,
                                           G_N_ELEMENTS (in_spec), error);
  VksPipeline *out_pipe = in_pipe == NULL ? NULL
    : vks_pipeline_get (ctx, VKS_KERNEL_WINOGRAD, out_spec, G_N_ELEMENTS (out_spec), error);
  VksPipeline *gemm = out_pipe == NULL ? NULL
    : vks_pipeline_get (ctx, VKS_KERNEL_GEMM, gemm_spec, G_N_ELEMENTS (gemm_spec), error);
  if (gemm == NULL)
    return FALSE;

  int32_t t_row4 = (int32_t) (chunk / 4);
  VkDeviceSize vb = v_bytes (conv, chunk), mb = m_bytes (conv, chunk);
  VksView v_view = { scratch, scratch_offset, vb, VK_FORMAT_R32G32B32A32_SFLOAT };
  VksView m_view = { scratch, scratch_offset + vb, mb, VK_FORMAT_R32G32B32A32_SFLOAT };
  VksView x1 = { x->buf, x->offset, vks_tensor_bytes (x), VK_FORMAT_R32_SFLOAT };
  VksView y4 = { y->buf, y->offset, vks_tensor_bytes (y), VK_FORMAT_R32G32B32A32_SFLOAT };
  VksView y1 = { y->buf, y->offset, vks_tensor_bytes (y), VK_FORMAT_R32_SFLOAT };
  VksView bias = { conv->weights, conv->bias_offset, (VkDeviceSize) conv->m_pad * 4,
                   VK_FORMAT_R32_SFLOAT };
  VksView u_view = { conv->weights, conv->pass[0].a_offset,
                     vks_winograd_weight_floats (conv) * 4, VK_FORMAT_R32G32B32A32_SFLOAT };
  /* The input transform writes V through binding 2; bindings 1 and 3 are unused there. */
  VksView in_views[] = { x1, bias, v_view, y1 };
  VksView m1 = { scratch, scratch_offset + vb, mb, VK_FORMAT_R32_SFLOAT };
  VksView gemm_views[] = { u_view, v_view, bias, m_view, m1 };
  VksView out_views[] = { m_view, bias, y4, y1 };

  for (int img = 0; img < x->n; img++)
    for (long t_begin = 0; t_begin < total; t_begin += chunk) {
      int32_t t_count = (int32_t) MIN (chunk, total - t_begin);
      uint32_t gx = (uint32_t) vks_ceil_div (vks_ceil_div (t_count, 4), wg);
      WinoPush wp = {
        .in_h = x->h, .in_w = x->w, .in_plane = x->plane, .src_base = img * x->c * x->plane,
        .pad = d->pad, .tiles_w = tiles_w, .t_begin = (int32_t) t_begin, .t_count = t_count,
        .t_row4 = t_row4, .xi_stride4 = d->cin * t_row4,
        .out_h = y->h, .out_w = y->w, .out_plane = y->plane, .dst_base = img * y->c * y->plane,
        .slope = d->slope,
      };
      uint32_t in_groups[3] = { gx, (uint32_t) d->cin, 1 };
      if (!vks_recorder_dispatch (rec, in_pipe, in_views, &wp, sizeof wp, in_groups, error))
        return FALSE;

      /* 36 GEMMs M[xi] (cout x tiles) = U[xi] (cout x cin) * V[xi] (cin x tiles). */
      VksGemmPush gp = {
        .m = d->cout, .k = d->cin, .n_begin = 0, .n_count = t_count,
        .w_row4 = conv->m_pad / 4, .col_row4 = t_row4, .dst_base = 0, .dst_plane = 4 * t_row4,
        .a_batch4 = d->cin * conv->m_pad / 4, .b_batch4 = d->cin * t_row4,
        .dst_batch = d->cout * 4 * t_row4,
      };
      uint32_t gemm_groups[3] = { (uint32_t) vks_ceil_div (vks_ceil_div (t_count, 4), wg * conv->cols4),
                                  (uint32_t) (conv->m_pad / conv->rows), VKS_WINO_POINTS };
      if (!vks_recorder_dispatch (rec, gemm, gemm_views, &gp, sizeof gp, gemm_groups, error))
        return FALSE;

      wp.xi_stride4 = d->cout * t_row4;
      uint32_t out_groups[3] = { gx, (uint32_t) d->cout, 1 };
      if (!vks_recorder_dispatch (rec, out_pipe, out_views, &wp, sizeof wp, out_groups, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
vks_winograd_record_weights (VksRecorder *rec, const VksConv *conv, const VksBuffer *src,
                             VkDeviceSize src_offset, VkDeviceSize src_floats, VkDeviceSize first,
                             gboolean flipped, GError **error)
{
  VksContext *ctx = vks_recorder_context (rec);
  const VksConvDesc *d = &conv->d;
  g_return_val_if_fail (conv->algo == VKS_CONV_WINOGRAD && conv->weights != NULL, FALSE);
  g_return_val_if_fail (first + (VkDeviceSize) d->cin * d->cout * 9 <= src_floats, FALSE);
  if (src_floats > G_MAXINT32) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                 "%" G_GUINT64_FORMAT " floats of weights are too many for one view",
                 (guint64) src_floats);
    return FALSE;
  }
  const int32_t wg = (int32_t) ctx->workgroup_size;
  int32_t spec[] = { wg, STAGE_WEIGHTS, FALSE, VKS_ACT_NONE, flipped };
  VksPipeline *pipe = vks_pipeline_get (ctx, VKS_KERNEL_WINOGRAD, spec, G_N_ELEMENTS (spec), error);
  if (pipe == NULL)
    return FALSE;
  VkDeviceSize u_bytes = vks_winograd_weight_floats (conv) * sizeof (float);
  VksView w1 = { src, src_offset, src_floats * sizeof (float), VK_FORMAT_R32_SFLOAT };
  VksView u4 = { conv->weights, conv->pass[0].a_offset, u_bytes, VK_FORMAT_R32G32B32A32_SFLOAT };
  VksView u1 = { conv->weights, conv->pass[0].a_offset, u_bytes, VK_FORMAT_R32_SFLOAT };
  /* Bindings 1 and 3 are unused by this stage but need valid descriptors. */
  VksView views[] = { w1, w1, u4, u1 };
  WinoPush wp = {
    .w_cin = d->cin, .w_cout = d->cout, .w_row4 = conv->m_pad / 4, .w_base = (int32_t) first,
  };
  uint32_t groups[3] = { (uint32_t) vks_ceil_div (conv->m_pad / 4, wg), (uint32_t) d->cin, 1 };
  return vks_recorder_dispatch (rec, pipe, views, &wp, sizeof wp, groups, error);
}
