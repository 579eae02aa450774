/* Textures of any size from a GAN generator (texture.h; the geometry is explained at the top of
 * texture.c): the plane of one seed rendered in pieces of the memory budget, and tileable
 * textures from a periodic latent grid. */
#include "engine/texture-private.h"

#include <math.h>
#include <string.h>

#include "engine/error.h"

typedef struct {
  VksTextureModel *model;
  const VksTextureOptions *options;
  int cell;                /* pixels per latent: image_size / 4 */
  int period_h, period_w;  /* of the latent grid, in cells; 0: not periodic */
  VksTextureProgress progress;
  char message[64];
} Field;

static int
floor_div (int a, int b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int
modulo (int a, int b)
{
  return ((a % b) + b) % b;
}

/* The latent window [*a, *a + *n) whose exact output rows cover [y0, y1): a window's rows
 * [a c, (a + n + 3) c) are exact but for 4 c - 1 at each end. */
static void
window (int y0, int y1, int cell, int *a, int *n)
{
  int margin = 4 * cell - 1;
  *a = floor_div (y0 - margin, cell);
  *n = -floor_div (-(y1 + margin), cell) - 3 - *a;
}

/* z [latent][gh][gw] of the cells from (ay, ax). */
static void
fill_window (const Field *f, int ay, int ax, int gh, int gw, float *z)
{
  const VksGanConfig *cfg = &f->model->cfg;
  int latent = vks_gan_latent_size (cfg);
  g_autofree float *v = g_new (float, latent);
  for (int y = 0; y < gh; y++)
    for (int x = 0; x < gw; x++) {
      int gy = ay + y, gx = ax + x;
      if (f->period_h > 0) {
        gy = modulo (gy, f->period_h);
        gx = modulo (gx, f->period_w);
      }
      guint64 stream = (guint64) (guint32) gy << 32 | (guint32) gx;
      vks_texture_normals (f->options->seed, VKS_TEXTURE_DOMAIN_CELL, stream, cfg->nz, v);
      vks_texture_put_codes (cfg, f->options->codes, v);
      for (int c = 0; c < latent; c++)
        z[((size_t) c * gh + y) * gw + x] = v[c];
    }
}

/* The latent grid of a piece of at most ph x pw pixels (pieces start at multiples of the cell,
 * so every full piece needs the same grid). */
static void
piece_grid (int ph, int pw, int cell, int *gh, int *gw)
{
  int a;
  window (0, ph, cell, &a, gh);
  window (0, pw, cell, &a, gw);
}

/* The largest piece side (a multiple of the cell, at most the region's) whose plan fits. */
static gboolean
choose_piece (Field *f, int h, int w, int *piece, GError **error)
{
  VkDeviceSize budget = vks_memory_budget (f->model->ctx);
  int side = (MAX (h, w) + f->cell - 1) / f->cell * f->cell, gh, gw;
  for (;;) {
    piece_grid (MIN (side, h), MIN (side, w), f->cell, &gh, &gw);
    if (vks_texture_plan_fits (f->model, 1, gh, gw, budget)) {
      *piece = side;
      return TRUE;
    }
    if (side == f->cell) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_TOO_LARGE,
                   "the generator does not fit the memory budget of %.0f MiB even for a %dx%d "
                   "piece", budget / 1048576.0, side, side);
      return FALSE;
    }
    side = MAX (f->cell, side / 2 / f->cell * f->cell);
  }
}

/* Rows [0, h) x columns [0, w) of the plane into rgb (rows `stride` pixels apart). */
static gboolean
render_plane (Field *f, int h, int w, float *rgb, int stride, GError **error)
{
  const VksGanConfig *cfg = &f->model->cfg;
  int piece, gh, gw;
  if (!choose_piece (f, h, w, &piece, error))
    return FALSE;
  piece_grid (MIN (piece, h), MIN (piece, w), f->cell, &gh, &gw);
  if (!vks_texture_use_plan (f->model, 1, gh, gw, error))
    return FALSE;
  int oh = (gh + 3) * f->cell, ow = (gw + 3) * f->cell;
  g_autofree float *z = g_new (float, (size_t) vks_gan_latent_size (cfg) * gh * gw);
  g_autofree float *out = g_new (float, (size_t) cfg->nc * oh * ow);
  int rows = (h + piece - 1) / piece, cols = (w + piece - 1) / piece;
  for (int py = 0; py < rows; py++)
    for (int px = 0; px < cols; px++) {
      int y0 = py * piece, x0 = px * piece, ay, ax, n;
      int ph = MIN (piece, h - y0), pw = MIN (piece, w - x0);
      window (y0, y0 + ph, f->cell, &ay, &n);
      window (x0, x0 + pw, f->cell, &ax, &n);
      f->progress.fraction = (double) (py * cols + px) / (rows * cols);
      g_snprintf (f->message, sizeof f->message, "Rendering texture piece %d/%d",
                  py * cols + px + 1, rows * cols);
      f->progress.message = f->message;
      if (vks_texture_cancelled (&f->progress, error))
        return FALSE;
      fill_window (f, ay, ax, gh, gw, z);
      if (!vks_texture_run_plan (f->model, z, out, &f->progress, error))
        return FALSE;
      vks_texture_planar_to_rgb (out, cfg->nc, oh, ow, y0 - ay * f->cell, x0 - ax * f->cell, ph,
                                 pw, rgb + ((size_t) y0 * stride + x0) * 3, stride);
    }
  return TRUE;
}

/* Catmull-Rom weights of the taps at -1, 0, 1, 2 for an offset t in [0, 1). */
static void
cubic_weights (double t, double wt[4])
{
  double t2 = t * t, t3 = t2 * t;
  wt[0] = 0.5 * (-t3 + 2 * t2 - t);
  wt[1] = 0.5 * (3 * t3 - 5 * t2 + 2);
  wt[2] = 0.5 * (-3 * t3 + 4 * t2 + t);
  wt[3] = 0.5 * (t3 - t2);
}

/* Resamples n_lines lines of `from` values (elements `step` floats apart within a line, lines
 * `line` floats apart, 3 channels each) periodically to `to` values: the ends wrap, so a
 * periodic signal stays periodic with the new length. */
static void
resample_periodic (const float *src, int from, float *dst, int to, int n_lines, size_t src_line,
                   size_t dst_line, size_t step)
{
  for (int i = 0; i < to; i++) {
    double s = (i + 0.5) * from / to - 0.5, wt[4];
    int i0 = (int) floor (s);
    cubic_weights (s - i0, wt);
    int tap[4];
    for (int k = 0; k < 4; k++)
      tap[k] = modulo (i0 - 1 + k, from);
    for (int l = 0; l < n_lines; l++)
      for (int c = 0; c < 3; c++) {
        double v = 0.0;
        for (int k = 0; k < 4; k++)
          v += wt[k] * src[l * src_line + tap[k] * step * 3 + c];
        dst[l * dst_line + i * step * 3 + c] = (float) CLAMP (v, 0.0, 1.0);
      }
  }
}

/* One period of the periodic plane, resampled to exactly width x height. */
static gboolean
render_tileable (Field *f, int width, int height, float *rgb, GError **error)
{
  f->period_h = MAX (1, (height + f->cell / 2) / f->cell);
  f->period_w = MAX (1, (width + f->cell / 2) / f->cell);
  int ph = f->period_h * f->cell, pw = f->period_w * f->cell;
  if (ph == height && pw == width)
    return render_plane (f, height, width, rgb, width, error);
  g_autofree float *period = g_try_new (float, (size_t) ph * pw * 3);
  g_autofree float *rows = g_try_new (float, (size_t) ph * width * 3);
  if (period == NULL || rows == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "out of memory for a %dx%d texture period", pw, ph);
    return FALSE;
  }
  if (!render_plane (f, ph, pw, period, pw, error))
    return FALSE;
  /* along each row, then along each column */
  resample_periodic (period, pw, rows, width, ph, (size_t) pw * 3, (size_t) width * 3, 1);
  resample_periodic (rows, ph, rgb, height, width, 3, 3, width);
  return TRUE;
}

gboolean
vks_texture_render (VksTextureModel *model, const VksTextureOptions *options, int width,
                    int height, float *rgb, VksProgressFunc progress, gpointer user_data,
                    GError **error)
{
  g_return_val_if_fail (model != NULL && options != NULL, FALSE);
  if (!vks_texture_check_size (width, height, error))
    return FALSE;
  g_return_val_if_fail (rgb != NULL, FALSE);
  Field f = {
    .model = model, .options = options, .cell = model->cfg.image_size / 4,
    .progress = { progress, user_data, 0.0, "Rendering texture", FALSE },
  };
  gboolean ok = options->tileable ? render_tileable (&f, width, height, rgb, error)
                                  : render_plane (&f, height, width, rgb, width, error);
  if (!ok)
    return FALSE;
  f.progress.fraction = 1.0;
  return !vks_texture_cancelled (&f.progress, error);
}
