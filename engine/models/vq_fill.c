/* Neural fill (see vq_fill.h).
 *
 * Which codes are drawn anew: a code's f x f cell is where the decoder puts it, but each side
 * reaches further. The encoder's last 3x3 convolution (conv_out, at the code grid) and the
 * stride-2 downsamplings' 3x3 taps make a code next to the mask partly a summary of the masked
 * pixels, and the decoder's first 3x3 convolution (conv_in, also at the code grid) makes the
 * pixels of a cell read its 8 neighbours directly. Keeping the ring of codes around the mask
 * would leak the removed content back into the fill through those taps, so that ring (one code,
 * or as many as the feather needs so that every blended pixel is a drawn code's) is drawn too.
 * The receptive fields go on beyond it (the deeper 3x3s reach several codes, the mid-block
 * attention the whole grid) but with falling weight; following them would redraw whole images.
 *
 * Cost: the prior runs through a key/value cache (mingpt_cache.h) made once per window size:
 * where the window stays where it was (grids no larger than the window, and the rows of a
 * window whose columns are clamped at an edge), a drawn code costs one token's pass for each
 * position since the previous drawn code; where the window moves, one pass over the window. */
#include "engine/models/vq_fill.h"

#include <math.h>
#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/mingpt_cache.h"
#include "engine/nn/params.h"  /* vks_plan_load_params */
#include "engine/nn/plan.h"
#include "engine/stylize-private.h"   /* vks_style_read_region, vks_style_progress_report */

struct VksVqFill {
  VksContext *ctx;
  const VksCheckpoint *vqgan, *prior;
  VksVqganConfig vcfg;
  VksMinGptConfig pcfg;
  int sos;
  /* the prior for windows of cache's tokens, made on first use */
  VksMinGptCache *cache;
  float *window, *logits_out;
  double *pick_scratch;
};

VksVqFill *
vks_vq_fill_new (VksContext *ctx, const VksCheckpoint *vqgan, const VksCheckpoint *prior,
                 GError **error)
{
  VksVqganConfig vcfg;
  VksMinGptConfig pcfg;
  int sos = 0;
  if (!vks_vqgan_check_checkpoint (vqgan, &vcfg, error))
    return NULL;
  if (!vks_mingpt_config_read (prior, &pcfg, error) ||
      !vks_metadata_read_int (prior, "vkstyle.sos_token", 0, 0, 65535, &sos, error)) {
    g_prefix_error (error, "the prior: ");
    return NULL;
  }
  if (vcfg.in_channels != 3 || vcfg.out_ch != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "a VQGAN of %d -> %d channels; images "
                 "need 3", vcfg.in_channels, vcfg.out_ch);
    return NULL;
  }
  if (pcfg.vocab_size != vcfg.n_embed && pcfg.vocab_size != vcfg.n_embed + 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "the prior's vocabulary of %d tokens "
                 "does not match the VQGAN's %d codes (it must be %d, or %d with a start token "
                 "of its own): a prior trained on another VQGAN?", pcfg.vocab_size, vcfg.n_embed,
                 vcfg.n_embed, vcfg.n_embed + 1);
    return NULL;
  }
  if (sos >= pcfg.vocab_size) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "the prior: vkstyle.sos_token %d is "
                 "not below its vocabulary of %d tokens", sos, pcfg.vocab_size);
    return NULL;
  }
  VksVqFill *fill = g_new0 (VksVqFill, 1);
  fill->ctx = ctx;
  fill->vqgan = vqgan;
  fill->prior = prior;
  fill->vcfg = vcfg;
  fill->pcfg = pcfg;
  fill->sos = sos;
  fill->pick_scratch = g_new (double, 2 * (gsize) pcfg.vocab_size);
  return fill;
}

static void
drop_plan (VksVqFill *fill)
{
  g_clear_pointer (&fill->cache, vks_mingpt_cache_free);
  g_clear_pointer (&fill->window, g_free);
  g_clear_pointer (&fill->logits_out, g_free);
}

void
vks_vq_fill_free (VksVqFill *fill)
{
  if (fill == NULL)
    return;
  drop_plan (fill);
  g_free (fill->pick_scratch);
  g_free (fill);
}

const VksVqganConfig *
vks_vq_fill_vqgan_config (const VksVqFill *fill)
{
  return &fill->vcfg;
}

const VksMinGptConfig *
vks_vq_fill_prior_config (const VksVqFill *fill)
{
  return &fill->pcfg;
}

int
vks_vq_fill_window_side (const VksVqFill *fill)
{
  return (int) floor (sqrt ((double) fill->pcfg.block_size));
}

/* ---- which codes ---- */

int
vks_vq_fill_touched (const float *mask, int width, int height, int factor, guint8 *touched)
{
  int zh = (height + factor - 1) / factor, zw = (width + factor - 1) / factor;
  int reach = MAX (1, (VKS_VQ_FILL_FEATHER + factor - 1) / factor);
  g_autofree guint8 *cells = g_new0 (guint8, (gsize) zh * zw);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      if (mask[(gsize) y * width + x] > 0.5f)
        cells[(gsize) (y / factor) * zw + x / factor] = 1;
  int n = 0;
  for (int i = 0; i < zh; i++)
    for (int j = 0; j < zw; j++) {
      guint8 hit = 0;
      for (int a = MAX (0, i - reach); !hit && a <= MIN (zh - 1, i + reach); a++)
        for (int b = MAX (0, j - reach); !hit && b <= MIN (zw - 1, j + reach); b++)
          hit = cells[(gsize) a * zw + b];
      touched[(gsize) i * zw + j] = hit;
      n += hit;
    }
  return n;
}

/* ---- drawing codes ---- */

static gboolean
ensure_plan (VksVqFill *fill, int tokens, GError **error)
{
  if (fill->cache != NULL && vks_mingpt_cache_tokens (fill->cache) == tokens)
    return TRUE;
  drop_plan (fill);
  fill->cache = vks_mingpt_cache_new (fill->ctx, fill->prior, &fill->pcfg, tokens, error);
  if (fill->cache == NULL) {
    g_prefix_error (error, "the prior: ");
    return FALSE;
  }
  fill->window = g_new (float, tokens);
  fill->logits_out = g_new (float, fill->pcfg.vocab_size);
  return TRUE;
}

/* The first row (or column) of the window of `win` codes around position i of a grid of n:
 * i sits at win / 2 in it where the grid allows (sample_conditional.py's local_i for 16). */
static int
window_start (int i, int win, int n)
{
  return CLAMP (i - win / 2, 0, n - win);
}

/* The token the prior starts from; -1 and an error for options it cannot take. */
static int
check_options (const VksVqFill *fill, const VksVqFillOptions *o, GError **error)
{
  int cond = o->cond_token < 0 ? fill->sos : o->cond_token;
  if (!(o->temperature > 0) || o->top_k < 0 || cond >= fill->pcfg.vocab_size) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "fill: temperature %g, top-k %d and "
                 "conditioning token %d (temperature > 0, top-k >= 0, the token below %d)",
                 o->temperature, o->top_k, cond, fill->pcfg.vocab_size);
    return -1;
  }
  return cond;
}

static gboolean
draw (VksVqFill *fill, float *codes, const guint8 *touched, int zh, int zw,
      const VksVqFillOptions *o, VksStyleProgress *progress, double from, double to,
      GError **error)
{
  int cond = check_options (fill, o, error);
  if (cond < 0)
    return FALSE;
  if (zh < 1 || zw < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "fill: a grid of %d x %d codes", zh, zw);
    return FALSE;
  }
  int side = vks_vq_fill_window_side (fill);
  int wh = MIN (zh, side), ww = MIN (zw, side), tokens = wh * ww;
  int total = 0;
  for (gint64 k = 0; k < (gint64) zh * zw; k++)
    total += touched[k] != 0;
  if (total == 0)
    return TRUE;
  if (!ensure_plan (fill, tokens, error))
    return FALSE;
  int done = 0;
  guint64 state = o->seed;
  for (int i = 0; i < zh; i++) {
    const guint8 *row = touched + (gsize) i * zw;
    gboolean any = FALSE;
    for (int j = 0; j < zw && !any; j++)
      any = row[j] != 0;
    if (!any)
      continue;
    char message[64];
    g_snprintf (message, sizeof message, "Drawing codes: row %d of %d", i + 1, zh);
    if (!vks_style_progress_report (progress, from + (to - from) * done / total, message, error))
      return FALSE;
    int i0 = window_start (i, wh, zh);
    for (int j = 0; j < zw; j++) {
      if (!row[j])
        continue;
      int j0 = window_start (j, ww, zw);
      /* [cond, window codes...] cut before the last: the logits at k predict window code k */
      fill->window[0] = (float) cond;
      for (int k = 0; k + 1 < tokens; k++)
        fill->window[k + 1] = codes[(gsize) (i0 + k / ww) * zw + j0 + k % ww];
      int at = (i - i0) * ww + (j - j0);
      if (!vks_mingpt_cache_logits (fill->cache, fill->window, at, fill->logits_out, error))
        return FALSE;
      /* over the codebook only: a start token of the prior's own is never a code */
      codes[(gsize) i * zw + j] =
        (float) vks_mingpt_pick_scratch (fill->logits_out,
                                         fill->vcfg.n_embed, o->temperature, o->top_k,
                                         vks_mingpt_uniform (&state), fill->pick_scratch);
      done++;
    }
  }
  return TRUE;
}

gboolean
vks_vq_fill_codes (VksVqFill *fill, float *codes, const guint8 *touched, int zh, int zw,
                   const VksVqFillOptions *options, VksProgressFunc progress, gpointer user_data,
                   GError **error)
{
  VksStyleProgress report = { .func = progress, .user_data = user_data };
  if (!draw (fill, codes, touched, zh, zw, options, &report, 0.0, 1.0, error))
    return FALSE;
  vks_style_progress_report (&report, 1.0, "Done", NULL);
  return TRUE;
}

/* ---- whole images ---- */

/* The weight of the decoded image at (x, y): 1 in the mask, falling over the feather. */
static float
blend_weight (const float *mask, int width, int height, int x, int y)
{
  int best = VKS_VQ_FILL_FEATHER + 1;
  for (int dy = -VKS_VQ_FILL_FEATHER; dy <= VKS_VQ_FILL_FEATHER; dy++)
    for (int dx = -VKS_VQ_FILL_FEATHER; dx <= VKS_VQ_FILL_FEATHER; dx++) {
      int sx = x + dx, sy = y + dy;
      if (sx >= 0 && sy >= 0 && sx < width && sy < height &&
          mask[(gsize) sy * width + sx] > 0.5f)
        best = MIN (best, MAX (ABS (dx), ABS (dy)));
    }
  return 1.0f - (float) best / (VKS_VQ_FILL_FEATHER + 1);
}

static void
blend (const float *rgb_in, const float *mask, const float *decoded, int pw, int ph,
       float *rgb_out, int width, int height)
{
  gsize plane = (gsize) pw * ph;
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++) {
      float a = blend_weight (mask, width, height, x, y);
      gsize p = (gsize) y * width + x;
      for (int c = 0; c < 3; c++) {
        float in = rgb_in[p * 3 + c];
        float dec = CLAMP ((decoded[c * plane + (gsize) y * pw + x] + 1.0f) * 0.5f, 0.0f, 1.0f);
        /* a == 0 keeps the input's bits: no arithmetic on them */
        rgb_out[p * 3 + c] = a <= 0.0f ? in : a >= 1.0f ? dec : in + a * (dec - in);
      }
    }
}

gboolean
vks_vq_fill_image (VksVqFill *fill, const float *rgb_in, const float *mask, float *rgb_out,
                   int width, int height, const VksVqFillOptions *options,
                   VksProgressFunc progress, gpointer user_data, GError **error)
{
  VksStyleProgress report = { .func = progress, .user_data = user_data };
  if (width < 1 || height < 1) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "fill: an image of %d x %d", width, height);
    return FALSE;
  }
  /* before the empty-mask shortcut, so that options it cannot take are refused whatever the
   * mask holds rather than only when there is something to draw */
  if (check_options (fill, options, error) < 0)
    return FALSE;
  int f = vks_vqgan_factor (&fill->vcfg);
  int pw = (width + f - 1) / f * f, ph = (height + f - 1) / f * f, zh = ph / f, zw = pw / f;
  g_autofree guint8 *touched = g_new (guint8, (gsize) zh * zw);
  if (vks_vq_fill_touched (mask, width, height, f, touched) == 0) {
    if (rgb_out != rgb_in)
      memcpy (rgb_out, rgb_in, (gsize) width * height * 3 * sizeof *rgb_out);
    vks_style_progress_report (&report, 1.0, "Done", NULL);
    return TRUE;
  }
  if (!vks_style_progress_report (&report, 0.0, "Encoding", error))
    return FALSE;
  g_autofree float *planar = g_try_new (float, (gsize) 3 * pw * ph);
  g_autofree float *codes = g_try_new (float, (gsize) zh * zw);
  if (planar == NULL || codes == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE, "fill: not enough memory for %d x %d",
                 width, height);
    return FALSE;
  }
  vks_style_read_region (rgb_in, width, height, 0, 0, ph, pw, planar);
  if (!vks_vqgan_run_encode (fill->ctx, fill->vqgan, &fill->vcfg, planar, ph, pw, codes, error) ||
      !draw (fill, codes, touched, zh, zw, options, &report, 0.05, 0.95, error) ||
      !vks_style_progress_report (&report, 0.95, "Decoding", error) ||
      !vks_vqgan_run_decode (fill->ctx, fill->vqgan, &fill->vcfg, codes, zh, zw, planar, error))
    return FALSE;
  blend (rgb_in, mask, planar, pw, ph, rgb_out, width, height);
  vks_style_progress_report (&report, 1.0, "Done", NULL);
  return TRUE;
}
