/* `vkstyle generate`: images or textures from a GAN generator (DCGAN, InfoGAN) into PNG (or any
 * format GEGL writes) files. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/error.h"
#include "engine/texture.h"
#include "tools/cli.h"
#include "tools/generate-private.h"
#include "tools/image_io.h"

#define MAX_COUNT VKS_GENERATE_MAX_COUNT
#define GRID_PADDING 2   /* pixels between grid cells, black, as torchvision's make_grid */

static const char description[] =
  "Without --size, writes COUNT images of the model's native size (e.g. 64x64) from the latents\n"
  "of SEED (latent i depends only on SEED and i), or from the tensor z of a safetensors file\n"
  "(--latent: shape [N, L] or [N, L, 1, 1], L the generator's whole input: noise, then codes).\n"
  "With --size, writes textures of any size (the generator on a grid of latents); --tileable\n"
  "makes them repeat seamlessly. Several results go to OUT-0.png ... OUT-<N-1>.png, or into one\n"
  "image with --grid. InfoGAN codes: --code category=3 --code c1=0.5 (or the names the model\n"
  "gives them); categories count from 0, continuous codes lie in [-2, 2].\n"
  "Diffusion models (vkstyle.arch context_unet): --sampler ddim (default; --steps, default 25)\n"
  "or ddpm (every timestep), --context \"hero=1,food=0.5\" (class names or indices, 0=1),\n"
  "--guidance W (classifier-free, 0 = off), x_T from SEED or from tensor x [N, C, H, W] of\n"
  "--noise FILE.\n"
  "Files are replaced atomically: on any error they are left as they were.";

typedef struct {
  char *model, *device, *seed, *latent, *size;
  char **codes;
  int count;
  gboolean grid, tileable;
  /* diffusion models (generate_diffusion.c) */
  char *sampler, *context, *noise;
  int steps;
  double guidance;
} Options;

gboolean
vks_generate_parse_seed (const char *text, guint64 *seed, GError **error)
{
  return g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, seed, error);
}

static gboolean
parse_size (const char *text, int *w, int *h)
{
  char *end;
  gint64 a = g_ascii_strtoll (text, &end, 10);
  if (end == text || (*end != 'x' && *end != 'X'))
    return FALSE;
  const char *rest = end + 1;
  gint64 b = g_ascii_strtoll (rest, &end, 10);
  if (end == rest || *end != '\0' || a < 1 || b < 1 || a > G_MAXINT || b > G_MAXINT)
    return FALSE;
  *w = (int) a;
  *h = (int) b;
  return TRUE;
}

/* --code NAME=VALUE: "category" / the category's name, "c<i>" (from 1) / a continuous name. */
static gboolean
parse_codes (char **codes, const VksGanConfig *cfg, VksGanCodes *out, GError **error)
{
  memset (out, 0, sizeof *out);
  for (int i = 0; codes != NULL && codes[i] != NULL; i++) {
    const char *eq = strchr (codes[i], '=');
    g_autofree char *name = eq ? g_strndup (codes[i], eq - codes[i]) : g_strdup (codes[i]);
    const char *value = eq ? eq + 1 : "";
    char *end;
    double v = g_ascii_strtod (value, &end);
    gboolean number = *value != '\0' && *end == '\0' && isfinite (v);
    gboolean category = strcmp (name, "category") == 0 ||
                        (cfg->category_name[0] && strcmp (name, cfg->category_name) == 0);
    if (cfg->n_categories > 0 && category) {
      if (!number || v != floor (v) || v < 0 || v >= cfg->n_categories) {
        g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                     "--code %s: the category is a whole number from 0 to %d", codes[i],
                     cfg->n_categories - 1);
        return FALSE;
      }
      out->category = (int) v;
      continue;
    }
    int index = -1;
    for (int j = 0; j < cfg->n_continuous; j++) {
      g_autofree char *short_name = g_strdup_printf ("c%d", j + 1);
      if (strcmp (name, short_name) == 0 ||
          (cfg->continuous_names[j][0] && strcmp (name, cfg->continuous_names[j]) == 0))
        index = j;
    }
    if (index < 0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "--code %s: the model has no code \"%s\" (%d categories, %d continuous codes)",
                   codes[i], name, cfg->n_categories, cfg->n_continuous);
      return FALSE;
    }
    if (!number || v < -2.0 || v > 2.0) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                   "--code %s: a continuous code is a number from -2 to 2", codes[i]);
      return FALSE;
    }
    out->continuous[index] = v;
  }
  return TRUE;
}

/* z [N][L] from --latent; *count becomes N. */
static float *
read_latents (const char *path, const VksGanConfig *cfg, int *count, GError **error)
{
  g_autoptr (VksCheckpoint) ckpt = vks_checkpoint_load (path, error);
  if (ckpt == NULL)
    return NULL;
  const VksCheckpointTensor *z = vks_checkpoint_get_tensor (ckpt, "z");
  int latent = vks_gan_latent_size (cfg);
  gboolean ok = z != NULL && (z->ndim == 2 || (z->ndim == 4 && z->shape[2] == 1 &&
                                               z->shape[3] == 1)) &&
                z->shape[1] == latent && z->shape[0] >= 1 && z->shape[0] <= MAX_COUNT;
  if (!ok) {
    g_autofree char *shape = z ? vks_format_shape (z->ndim, z->shape) : g_strdup ("absent");
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "%s: tensor z must have shape [N, %d] or [N, %d, 1, 1] with N from 1 to %d "
                 "(it is %s)", path, latent, latent, MAX_COUNT, shape);
    return NULL;
  }
  *count = (int) z->shape[0];
  return g_memdup2 (z->data, z->n_elements * sizeof (float));
}

gboolean
vks_generate_save_rgb (const float *rgb, int w, int h, const char *path, GError **error)
{
  g_autoptr (VksImage) image = vks_image_new (w, h, babl_format ("R'G'B' u8"), error);
  if (image == NULL)
    return FALSE;
  memcpy (image->rgb, rgb, (size_t) w * h * 3 * sizeof (float));
  return vks_image_save (image, path, error);
}

/* count images of w x h into one grid of ceil(sqrt(count)) columns. */
static gboolean
save_grid (const float *rgb, int count, int w, int h, const char *path, GError **error)
{
  int cols = (int) ceil (sqrt (count)), rows = (count + cols - 1) / cols;
  int gw = cols * (w + GRID_PADDING) + GRID_PADDING, gh = rows * (h + GRID_PADDING) + GRID_PADDING;
  g_autoptr (VksImage) image = vks_image_new (gw, gh, babl_format ("R'G'B' u8"), error);
  if (image == NULL)
    return FALSE;
  for (int i = 0; i < count; i++) {
    int x0 = GRID_PADDING + i % cols * (w + GRID_PADDING);
    int y0 = GRID_PADDING + i / cols * (h + GRID_PADDING);
    for (int y = 0; y < h; y++)
      memcpy (image->rgb + ((size_t) (y0 + y) * gw + x0) * 3,
              rgb + ((size_t) i * h + y) * w * 3, (size_t) w * 3 * sizeof (float));
  }
  return vks_image_save (image, path, error);
}

static gboolean
run (const Options *o, const char *out, GError **error)
{
  int w = 0, h = 0, count = o->count;
  guint64 seed = 0;
  if (o->size != NULL && (!parse_size (o->size, &w, &h) || !vks_texture_check_size (w, h, error)))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE, "--size %s: expected WIDTHxHEIGHT",
                     o->size);
      return FALSE;
    }
  if (o->seed != NULL && !vks_generate_parse_seed (o->seed, &seed, error))
    return FALSE;
  if (!vks_image_check_output (out, error))
    return FALSE;
  g_autoptr (VksContext) ctx = vks_context_new (o->device, error);
  if (ctx == NULL)
    return FALSE;
  g_autoptr (VksTextureModel) model = vks_texture_model_load (ctx, o->model, error);
  if (model == NULL)
    return FALSE;
  const VksGanConfig *cfg = vks_texture_model_config (model);
  VksGanCodes codes;
  if (!parse_codes (o->codes, cfg, &codes, error))
    return FALSE;
  g_autofree float *z = NULL;
  if (o->latent != NULL && (z = read_latents (o->latent, cfg, &count, error)) == NULL)
    return FALSE;
  if (o->size == NULL) {
    w = h = cfg->image_size;
    if (z == NULL) {
      z = g_new (float, (size_t) count * vks_gan_latent_size (cfg));
      vks_gan_latents (cfg, seed, count, &codes, z);
    }
  }
  g_autofree float *rgb = g_try_new (float, (size_t) count * w * h * 3);
  if (rgb == NULL) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                 "not enough memory for %d images of %dx%d", count, w, h);
    return FALSE;
  }
  gboolean ok = TRUE;
  if (o->size == NULL) {
    ok = vks_texture_generate (model, count, z, rgb, vks_cli_progress, NULL, error);
  } else {
    for (int i = 0; ok && i < count; i++) {
      VksTextureOptions t = { .seed = seed + (guint64) i, .codes = &codes,
                              .tileable = o->tileable };
      ok = vks_texture_render (model, &t, w, h, rgb + (size_t) i * w * h * 3, vks_cli_progress,
                               NULL, error);
    }
  }
  vks_cli_progress_end ();
  if (!ok)
    return FALSE;
  return vks_generate_save_all (rgb, count, w, h, o->grid, out, error);
}

gboolean
vks_generate_save_all (const float *rgb, int count, int w, int h, gboolean grid,
                       const char *out, GError **error)
{
  if (count == 1 || grid)
    return count == 1 ? vks_generate_save_rgb (rgb, w, h, out, error)
                      : save_grid (rgb, count, w, h, out, error);
  for (int i = 0; i < count; i++) {
    g_autofree char *path = vks_cli_numbered_path (out, i);
    if (!vks_generate_save_rgb (rgb + (size_t) i * w * h * 3, w, h, path, error))
      return FALSE;
  }
  return TRUE;
}

static int
generate_diffusion (const Options *o, const char *out)
{
  if (o->latent || o->codes || o->size || o->tileable)
    return vks_cli_usage_error ("generate", "a diffusion model takes no --latent, --code, --size "
                                "or --tileable");
  if (!o->seed && !o->noise)
    return vks_cli_usage_error ("generate", "give --seed or --noise");
  if (o->noise && o->count != G_MININT)
    return vks_cli_usage_error ("generate", "--noise gives the images' count: no --count");
  if (o->count != G_MININT && (o->count < 1 || o->count > MAX_COUNT))
    return vks_cli_usage_error ("generate", "--count must be from 1 to %d", MAX_COUNT);
  if (o->steps < 0 || o->steps > 10000)
    return vks_cli_usage_error ("generate", "--steps must be from 1 to 10000");
  if (o->sampler && strcmp (o->sampler, "ddim") != 0 && strcmp (o->sampler, "ddpm") != 0)
    return vks_cli_usage_error ("generate", "--sampler is ddim or ddpm, not \"%s\"", o->sampler);
  if (!isfinite (o->guidance) || o->guidance < 0.0 || o->guidance > 100.0)
    return vks_cli_usage_error ("generate", "--guidance must be from 0 to 100");
  VksDiffusionArgs a = {
    .model = o->model, .device = o->device, .seed = o->seed, .sampler = o->sampler,
    .context = o->context, .noise = o->noise, .steps = o->steps,
    .count = o->count == G_MININT ? 1 : o->count, .guidance = o->guidance, .grid = o->grid,
  };
  vks_cli_gegl_init ();
  GError *error = NULL;
  gboolean ok = vks_generate_diffusion (&a, out, &error);
  gegl_exit ();
  return ok ? VKS_EXIT_OK : vks_cli_fail (error);
}

int
vks_cmd_generate (GStrv *args)
{
  Options o = { .count = G_MININT };   /* G_MININT: no --count given */
  g_auto (GStrv) files = NULL;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &o.model, "GAN generator (.safetensors)", "FILE" },
    { "seed", 's', 0, G_OPTION_ARG_STRING, &o.seed, "Seed of the latents (0 to 2^64-1)", "S" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &o.count, "Number of images (default 1)", "N" },
    { "latent", 0, 0, G_OPTION_ARG_FILENAME, &o.latent,
      "Latents from tensor z of a safetensors file instead of the seed", "FILE" },
    { "code", 'c', 0, G_OPTION_ARG_STRING_ARRAY, &o.codes, "InfoGAN code (repeatable)",
      "NAME=VALUE" },
    { "grid", 'g', 0, G_OPTION_ARG_NONE, &o.grid, "Several images into one grid", NULL },
    { "size", 0, 0, G_OPTION_ARG_STRING, &o.size, "Render a texture of this size", "WxH" },
    { "tileable", 't', 0, G_OPTION_ARG_NONE, &o.tileable, "Texture repeats seamlessly", NULL },
    { "sampler", 0, 0, G_OPTION_ARG_STRING, &o.sampler, "Diffusion: ddim or ddpm", "NAME" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &o.steps, "Diffusion: DDIM steps (default 25)", "N" },
    { "context", 0, 0, G_OPTION_ARG_STRING, &o.context, "Diffusion: class mix",
      "NAME=W,..." },
    { "guidance", 0, 0, G_OPTION_ARG_DOUBLE, &o.guidance,
      "Diffusion: classifier-free guidance scale (default 0: off)", "W" },
    { "noise", 0, 0, G_OPTION_ARG_FILENAME, &o.noise,
      "Diffusion: x_T from tensor x of a safetensors file", "FILE" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &o.device,
      "Vulkan device: index or part of its name (default: $VKSTYLE_DEVICE, else the first GPU, "
      "else the CPU)", "DEVICE" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  int status = VKS_EXIT_USAGE;
  if (!vks_cli_parse ("generate", "OUT", "Generate images or textures with a GAN generator.",
                      description, entries, args))
    goto out;
  guint n_files = files ? g_strv_length (files) : 0;
  if (!o.model)
    status = vks_cli_usage_error ("generate", "--model is required");
  else if (n_files != 1)
    status = vks_cli_usage_error ("generate", "expected one OUT file name, got %u", n_files);
  else if (vks_generate_is_diffusion (o.model))
    status = generate_diffusion (&o, files[0]);
  else if (o.sampler || o.steps || o.context || o.guidance != 0.0 || o.noise)
    status = vks_cli_usage_error ("generate", "--sampler, --steps, --context, --guidance and "
                                  "--noise are for diffusion models; %s is not one", o.model);
  else if (!o.seed == !o.latent)
    status = vks_cli_usage_error ("generate", "give either --seed or --latent");
  else if (o.latent && (o.size || o.codes || o.count != G_MININT))
    status = vks_cli_usage_error ("generate", "--latent is the whole generator input: it takes "
                                  "no --size, --code or --count");
  else if (o.count != G_MININT && (o.count < 1 || o.count > MAX_COUNT))
    status = vks_cli_usage_error ("generate", "--count must be from 1 to %d", MAX_COUNT);
  else if (o.tileable && !o.size)
    status = vks_cli_usage_error ("generate", "--tileable needs --size");
  else {
    o.count = o.count == G_MININT ? 1 : o.count;
    vks_cli_gegl_init ();
    GError *error = NULL;
    gboolean ok = run (&o, files[0], &error);
    gegl_exit ();
    status = ok ? VKS_EXIT_OK : vks_cli_fail (error);
  }
out:
  g_free (o.model);
  g_free (o.device);
  g_free (o.seed);
  g_free (o.latent);
  g_free (o.size);
  g_strfreev (o.codes);
  g_free (o.sampler);
  g_free (o.context);
  g_free (o.noise);
  return status;
}
