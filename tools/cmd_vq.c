/* `vkstyle vq`: a VQGAN (taming VQModel, engine/models/vqgan.h) on image files: encode an image
 * to its code indices, decode indices to an image, or both (reconstruct); sample new images or
 * fill a masked region with its minGPT prior (engine/models/vq_fill.h). */
#include <string.h>

#include "engine/error.h"
#include "engine/model_spec.h"
#include "engine/models/mingpt.h"
#include "engine/models/vq_fill.h"
#include "engine/models/vqgan.h"
#include "tools/cli.h"
#include "tools/image_io.h"

#define CODES_ARCH "vqgan_codes"

static const char description[] =
  "encode IN OUT       IN image -> OUT.safetensors: tensor \"indices\" [h/f, w/f] of code\n"
  "                    numbers (f the model's down-sampling factor, 2^(levels - 1))\n"
  "decode IN OUT       IN.safetensors of indices (from encode, or any [h, w] tensor of\n"
  "                    whole numbers below the model's n_embed) -> OUT image\n"
  "reconstruct IN OUT  IN image -> encode -> decode -> OUT image\n"
  "sample OUT          a new image: codes drawn by the minGPT prior (--prior, converted with\n"
  "                    convert_taming.py --transformer) after its SOS token, row by row, each\n"
  "                    from the top --top-k tokens at --temperature (--top-k 1: greedy),\n"
  "                    --seed S; a (resolution / f)^2 grid of codes, then decoded\n"
  "fill IN OUT         IN with the region of --mask (an image of IN's size; pixels whose mean\n"
  "                    R'G'B' is above 0.5 are filled) drawn anew: IN is encoded, the codes\n"
  "                    whose cells hold mask pixels and the ring of codes around them are\n"
  "                    drawn again by the --prior in raster order, each from a window of\n"
  "                    codes around it (taming's sample_conditional.py; --top-k, --temperature,\n"
  "                    --seed as for sample), decoded and put in the mask, with a 2-pixel\n"
  "                    feathered edge; every pixel farther out stays as it was. --count N\n"
  "                    writes OUT-0 ... OUT-(N-1) with seeds S ... S+N-1\n"
  "An image whose sides are not multiples of f is extended by repeating its last row and\n"
  "column (fill: by mirroring), and the result cropped back (encode records the size for\n"
  "decode).\n"
  "Files are replaced atomically: on any error they are left as they were.";

/* packed R'G'B' [0, 1] of w x h -> planes [3][ph][pw] in [-1, 1], edges repeated */
static float *
to_planes (const VksImage *img, int pw, int ph)
{
  float *planes = g_new (float, (size_t) 3 * pw * ph);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < ph; y++)
      for (int x = 0; x < pw; x++) {
        int sy = MIN (y, img->height - 1), sx = MIN (x, img->width - 1);
        planes[((size_t) c * ph + y) * pw + x] =
          2.0f * img->rgb[((size_t) sy * img->width + sx) * 3 + c] - 1.0f;
      }
  return planes;
}

/* planes [3][ph][pw] in [-1, 1] -> a w x h 8-bit image file (the top-left w x h) */
static gboolean
save_planes (const float *planes, int pw, int ph, int w, int h, const char *path, GError **error)
{
  g_autoptr (VksImage) image = vks_image_new (w, h, babl_format ("R'G'B' u8"), error);
  if (image == NULL)
    return FALSE;
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < h; y++)
      for (int x = 0; x < w; x++) {
        float v = (planes[((size_t) c * ph + y) * pw + x] + 1.0f) * 0.5f;
        image->rgb[((size_t) y * w + x) * 3 + c] = CLAMP (v, 0.0f, 1.0f);
      }
  return vks_image_save (image, path, error);
}

static int
round_up (int v, int f)
{
  return (v + f - 1) / f * f;
}

static gboolean
load_model (const char *path, VksCheckpoint **ckpt, VksVqganConfig *cfg, GError **error)
{
  *ckpt = vks_checkpoint_load (path, error);
  if (*ckpt == NULL || !vks_vqgan_check_checkpoint (*ckpt, cfg, error)) {
    g_prefix_error (error, "%s: ", path);
    return FALSE;
  }
  if (cfg->in_channels != 3 || cfg->out_ch != 3) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT, "%s: a VQGAN of %d -> %d channels; "
                 "images need 3", path, cfg->in_channels, cfg->out_ch);
    return FALSE;
  }
  return TRUE;
}

static gboolean
encode (VksContext *ctx, const VksCheckpoint *ckpt, const VksVqganConfig *cfg, const char *in,
        const char *out, GError **error)
{
  g_autoptr (VksImage) img = vks_image_load (in, error);
  if (img == NULL)
    return FALSE;
  int f = vks_vqgan_factor (cfg);
  int pw = round_up (img->width, f), ph = round_up (img->height, f);
  g_autofree float *planes = to_planes (img, pw, ph);
  g_autofree float *codes = g_new (float, (size_t) (pw / f) * (ph / f));
  if (!vks_vqgan_run_encode (ctx, ckpt, cfg, planes, ph, pw, codes, error))
    return FALSE;
  g_autoptr (VksCheckpoint) file = vks_checkpoint_new ();
  vks_checkpoint_set_metadata (file, "vkstyle.arch", CODES_ARCH);
  g_autofree char *n = g_strdup_printf ("%d", cfg->n_embed);
  g_autofree char *w = g_strdup_printf ("%d", img->width);
  g_autofree char *h = g_strdup_printf ("%d", img->height);
  vks_checkpoint_set_metadata (file, "vkstyle.n_embed", n);
  vks_checkpoint_set_metadata (file, "vkstyle.width", w);
  vks_checkpoint_set_metadata (file, "vkstyle.height", h);
  int64_t shape[2] = { ph / f, pw / f };
  vks_checkpoint_add_tensor (file, "indices", 2, shape, codes);
  return vks_checkpoint_save (file, out, VKS_DTYPE_F32, error);
}

/* vkstyle.width / height of a codes file (the image before it was extended to a multiple of
 * f), else the codes' whole size */
static int
size_from (const VksCheckpoint *file, const char *key, int whole, int f)
{
  const char *s = vks_checkpoint_get_metadata (file, key);
  gint64 v = s ? g_ascii_strtoll (s, NULL, 10) : 0;
  return v > whole - f && v <= whole ? (int) v : whole;
}

static gboolean
decode (VksContext *ctx, const VksCheckpoint *ckpt, const VksVqganConfig *cfg, const char *in,
        const char *out, GError **error)
{
  g_autoptr (VksCheckpoint) file = vks_checkpoint_load (in, error);
  if (file == NULL)
    return FALSE;
  const VksCheckpointTensor *t = vks_checkpoint_get_tensor (file, "indices");
  if (t == NULL || t->ndim != 2 || t->shape[0] < 1 || t->shape[1] < 1 ||
      t->shape[0] * t->shape[1] > 16384) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_CHECKPOINT,
                 "%s: no tensor \"indices\" of shape [h, w] with at most 16384 codes", in);
    return FALSE;
  }
  int zh = (int) t->shape[0], zw = (int) t->shape[1], f = vks_vqgan_factor (cfg);
  g_autofree float *planes = g_new (float, (size_t) 3 * zh * f * zw * f);
  if (!vks_vqgan_run_decode (ctx, ckpt, cfg, t->data, zh, zw, planes, error)) {
    g_prefix_error (error, "%s: ", in);
    return FALSE;
  }
  return save_planes (planes, zw * f, zh * f, size_from (file, "vkstyle.width", zw * f, f),
                      size_from (file, "vkstyle.height", zh * f, f), out, error);
}

static gboolean
reconstruct (VksContext *ctx, const VksCheckpoint *ckpt, const VksVqganConfig *cfg,
             const char *in, const char *out, GError **error)
{
  g_autoptr (VksImage) img = vks_image_load (in, error);
  if (img == NULL)
    return FALSE;
  int f = vks_vqgan_factor (cfg);
  int pw = round_up (img->width, f), ph = round_up (img->height, f);
  g_autofree float *planes = to_planes (img, pw, ph);
  g_autofree float *rec = g_new (float, (size_t) 3 * pw * ph);
  return vks_vqgan_run_reconstruct (ctx, ckpt, cfg, planes, ph, pw, rec, error) &&
         save_planes (rec, pw, ph, img->width, img->height, out, error);
}

typedef struct {
  char *prior, *mask;
  guint64 seed;
  int top_k, count;
  double temperature;
} SampleOptions;

static gboolean
sample (VksContext *ctx, const VksCheckpoint *ckpt, const VksVqganConfig *cfg,
        const SampleOptions *so, const char *out, GError **error)
{
  g_autoptr (VksCheckpoint) prior = vks_checkpoint_load (so->prior, error);
  VksMinGptConfig pc;
  int sos = 0;
  if (prior == NULL || !vks_mingpt_config_read (prior, &pc, error) ||
      !vks_metadata_read_int (prior, "vkstyle.sos_token", 0, 0, 65535, &sos, error)) {
    g_prefix_error (error, "%s: ", so->prior);
    return FALSE;
  }
  int f = vks_vqgan_factor (cfg), side = MAX (1, cfg->resolution / f);
  int n = side * side;
  g_autofree float *codes = g_new (float, n);
  g_autofree float *planes = g_new (float, (size_t) 3 * n * f * f);
  if (!vks_mingpt_sample (ctx, prior, &pc, sos, n, (float) so->temperature, so->top_k, so->seed,
                          codes, error))
    return FALSE;
  if (!vks_vqgan_run_decode (ctx, ckpt, cfg, codes, side, side, planes, error)) {
    g_prefix_error (error, "the prior's codes: ");
    return FALSE;
  }
  return save_planes (planes, side * f, side * f, side * f, side * f, out, error);
}

/* The mask file as floats (mean R'G'B'), of the image's size. */
static float *
load_mask (const char *path, int width, int height, GError **error)
{
  g_autoptr (VksImage) m = vks_image_load (path, error);
  if (m == NULL) {
    g_prefix_error (error, "--mask: ");
    return NULL;
  }
  if (m->width != width || m->height != height) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "--mask %s is %dx%d, the image %dx%d", path,
                 m->width, m->height, width, height);
    return NULL;
  }
  float *mask = g_new (float, (gsize) width * height);
  for (gsize p = 0; p < (gsize) width * height; p++)
    mask[p] = (m->rgb[p * 3] + m->rgb[p * 3 + 1] + m->rgb[p * 3 + 2]) / 3.0f;
  return mask;
}

static gboolean
fill (VksContext *ctx, const VksCheckpoint *ckpt, const SampleOptions *so, const char *in,
      const char *out, GError **error)
{
  g_autoptr (VksCheckpoint) prior = vks_checkpoint_load (so->prior, error);
  if (prior == NULL) {
    g_prefix_error (error, "%s: ", so->prior);
    return FALSE;
  }
  g_autoptr (VksVqFill) filler = vks_vq_fill_new (ctx, ckpt, prior, error);
  if (filler == NULL) {
    g_prefix_error (error, "%s: ", so->prior);
    return FALSE;
  }
  g_autoptr (VksImage) img = vks_image_load (in, error);
  if (img == NULL)
    return FALSE;
  g_autofree float *mask = load_mask (so->mask, img->width, img->height, error);
  if (mask == NULL)
    return FALSE;
  gsize n = (gsize) img->width * img->height * 3;
  g_autofree float *original = g_memdup2 (img->rgb, n * sizeof *original);
  for (int i = 0; i < so->count; i++) {
    VksVqFillOptions o = { .seed = so->seed + (guint64) i, .top_k = so->top_k,
                           .temperature = (float) so->temperature, .cond_token = -1 };
    g_autofree char *path = so->count > 1 ? vks_cli_numbered_path (out, i) : g_strdup (out);
    gboolean ok = vks_vq_fill_image (filler, original, mask, img->rgb, img->width, img->height,
                                     &o, vks_cli_progress, NULL, error);
    vks_cli_progress_end ();
    if (!ok || !vks_image_save (img, path, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
run (const char *job, const char *model, const char *device, const char *in, const char *out,
     const SampleOptions *so, GError **error)
{
  gboolean image_out = strcmp (job, "encode") != 0;
  if (image_out && !vks_image_check_output (out, error))
    return FALSE;
  g_autoptr (VksCheckpoint) ckpt = NULL;
  VksVqganConfig cfg;
  if (!load_model (model, &ckpt, &cfg, error))
    return FALSE;
  g_autoptr (VksContext) ctx = vks_context_new (device, error);
  if (ctx == NULL)
    return FALSE;
  if (strcmp (job, "encode") == 0)
    return encode (ctx, ckpt, &cfg, in, out, error);
  if (strcmp (job, "decode") == 0)
    return decode (ctx, ckpt, &cfg, in, out, error);
  if (strcmp (job, "sample") == 0)
    return sample (ctx, ckpt, &cfg, so, out, error);
  if (strcmp (job, "fill") == 0)
    return fill (ctx, ckpt, so, in, out, error);
  return reconstruct (ctx, ckpt, &cfg, in, out, error);
}

int
vks_cmd_vq (GStrv *args)
{
  char *model = NULL, *device = NULL, *seed = NULL;
  SampleOptions so = { .top_k = 100, .temperature = 1.0, .count = 1 };
  g_auto (GStrv) files = NULL;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "VQGAN (.safetensors)", "FILE" },
    { "prior", 'p', 0, G_OPTION_ARG_FILENAME, &so.prior,
      "sample, fill: minGPT prior (.safetensors)", "FILE" },
    { "mask", 0, 0, G_OPTION_ARG_FILENAME, &so.mask, "fill: the region to fill (image; white: "
      "fill)", "FILE" },
    { "seed", 's', 0, G_OPTION_ARG_STRING, &seed, "sample, fill: seed (0 to 2^64-1, default 0)",
      "S" },
    { "top-k", 'k', 0, G_OPTION_ARG_INT, &so.top_k, "sample, fill: keep the K likeliest tokens "
      "(default 100; 0: all)", "K" },
    { "temperature", 't', 0, G_OPTION_ARG_DOUBLE, &so.temperature,
      "sample, fill: divide the logits by T (default 1)", "T" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &so.count, "fill: N fills of seeds S, S+1, ... as "
      "OUT-0 ... (default 1)", "N" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
      "Vulkan device: index or part of its name (default: $VKSTYLE_DEVICE, else the first GPU, "
      "else the CPU)", "DEVICE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  int status = VKS_EXIT_USAGE;
  if (!vks_cli_parse ("vq", "encode|decode|reconstruct|fill IN OUT | sample OUT",
                      "Encode images to VQGAN codes, decode, sample or fill codes.", description,
                      entries, args))
    goto out;
  guint n = files ? g_strv_length (files) : 0;
  gboolean sampling = n > 0 && strcmp (files[0], "sample") == 0;
  gboolean filling = n > 0 && strcmp (files[0], "fill") == 0;
  if (n == 0 || (strcmp (files[0], "encode") != 0 && strcmp (files[0], "decode") != 0 &&
                 strcmp (files[0], "reconstruct") != 0 && !sampling && !filling))
    status = vks_cli_usage_error ("vq", "expected encode, decode, reconstruct, sample or fill");
  else if (!model)
    status = vks_cli_usage_error ("vq", "--model is required");
  else if (!sampling && n != 3)
    status = vks_cli_usage_error ("vq", "%s takes IN and OUT, got %u file names", files[0],
                                  n - 1);
  else if (sampling && (n != 2 || !so.prior))
    status = vks_cli_usage_error ("vq", "sample takes --prior and one OUT file name");
  else if (filling && (!so.prior || !so.mask))
    status = vks_cli_usage_error ("vq", "fill takes --prior and --mask");
  else if (filling && (so.count < 1 || so.count > 1000))
    status = vks_cli_usage_error ("vq", "--count must be from 1 to 1000");
  else if ((sampling || filling) &&
           (so.top_k < 0 || !(so.temperature > 0 && so.temperature <= 100)))
    status = vks_cli_usage_error ("vq", "--top-k must be >= 0 and --temperature in (0, 100]");
  else if (seed && !g_ascii_string_to_unsigned (seed, 10, 0, G_MAXUINT64, &so.seed, NULL))
    status = vks_cli_usage_error ("vq", "--seed %s: expected a number from 0 to 2^64-1", seed);
  else {
    vks_cli_gegl_init ();
    GError *error = NULL;
    gboolean ok = run (files[0], model, device, sampling ? NULL : files[1], files[n - 1], &so,
                       &error);
    gegl_exit ();
    status = ok ? VKS_EXIT_OK : vks_cli_fail (error);
  }
out:
  g_free (model);
  g_free (device);
  g_free (seed);
  g_free (so.prior);
  g_free (so.mask);
  return status;
}
