/* Neural fill with a VQGAN and its minGPT prior (issue 17; the engine of `vkstyle vq fill` and of
 * GIMP's Filters > Enhance > Neural Fill): the image is encoded to code indices, the codes near
 * the mask are drawn anew by the prior in raster order, each conditioned on the codes before it
 * in a sliding window of the code grid (taming-transformers' scripts/sample_conditional.py), and
 * the decoded codes replace the image inside the mask. */
#pragma once
#include "engine/context.h"
#include "engine/models/mingpt.h"
#include "engine/models/vqgan.h"
#include "engine/stylize.h"   /* VksProgressFunc */

/* Pixels outside the mask but within this many pixels of it (Chebyshev distance d) are blended
 * with weight 1 - d / (VKS_VQ_FILL_FEATHER + 1); farther ones are the input's, bit for bit. */
#define VKS_VQ_FILL_FEATHER 2

typedef struct VksVqFill VksVqFill;

typedef struct {
  guint64 seed;          /* the SplitMix64 stream: one uniform per drawn code, in raster order */
  int top_k;             /* keep the top_k likeliest codes (0: all; 1: greedy) */
  float temperature;     /* > 0 */
  int cond_token;        /* the prior's first token: < 0 for its vkstyle.sos_token, else a class
                            label of a class-conditional prior */
} VksVqFillOptions;

/* Both models checked (vqgan.h, mingpt.h) and matched: the prior's vocabulary must be the
 * codebook (taming's configs: SOS or class tokens share the codes' embeddings) or the codebook
 * and one more, a start token of its own; VKS_ERROR_CHECKPOINT otherwise. The checkpoints are
 * borrowed and must outlive the fill. The prior's plan is made on first use, for the window's
 * size, and kept. */
VksVqFill *vks_vq_fill_new (VksContext *ctx, const VksCheckpoint *vqgan,
                            const VksCheckpoint *prior, GError **error);
void vks_vq_fill_free (VksVqFill *fill);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksVqFill, vks_vq_fill_free)

const VksVqganConfig *vks_vq_fill_vqgan_config (const VksVqFill *fill);
const VksMinGptConfig *vks_vq_fill_prior_config (const VksVqFill *fill);
/* The side of the window the prior sees, floor(sqrt(block_size)) codes (the reference's 16 for
 * its 256-token blocks), before it is cut to the grid. */
int vks_vq_fill_window_side (const VksVqFill *fill);

/* The codes to draw anew, [zh][zw] with zh = ceil(height / factor), zw likewise: every code
 * whose factor x factor cell holds a mask value > 0.5, and the codes within
 * MAX(1, ceil(VKS_VQ_FILL_FEATHER / factor)) cells of one (Chebyshev), 1 set, others 0. Returns
 * how many are set. */
int vks_vq_fill_touched (const float *mask, int width, int height, int factor, guint8 *touched);

/* Draws the touched codes of the zh x zw grid `codes` (floats holding code numbers) anew in
 * raster order: for code (i, j) the prior reads the cond token and the window of wh x ww codes
 * (wh = min(zh, side), ww likewise) whose top row is clamp(i - side / 2, 0, zh - wh) (columns
 * the same), flattened row by row and cut before its last code, and its logits at (i, j)'s place
 * in the window, over the codebook only, give the code (vks_mingpt_pick). The other codes are
 * left as they are. Progress after each grid row with codes to draw; a FALSE from it stops with
 * VKS_ERROR_CANCELLED (codes then partly drawn). */
gboolean vks_vq_fill_codes (VksVqFill *fill, float *codes, const guint8 *touched, int zh, int zw,
                            const VksVqFillOptions *options, VksProgressFunc progress,
                            gpointer user_data, GError **error);

/* The fill of an image: rgb_in width x height packed R'G'B' floats in [0, 1], mask width x height
 * floats (> 0.5: to fill). The image is mirror-extended to multiples of the factor, encoded,
 * its touched codes drawn (vks_vq_fill_codes), decoded, cropped back, and blended: inside the
 * mask the decoded pixels ((y + 1) / 2 clamped to [0, 1]), in the feather a mix, elsewhere
 * rgb_in exactly. An empty mask copies rgb_in without running a model. rgb_out may equal
 * rgb_in; on error it is untouched. */
gboolean vks_vq_fill_image (VksVqFill *fill, const float *rgb_in, const float *mask,
                            float *rgb_out, int width, int height,
                            const VksVqFillOptions *options, VksProgressFunc progress,
                            gpointer user_data, GError **error);
