/* `vkstyle apply`: one image file through one style model into another image file. */
#include "engine/models/stargan2.h"
#include "engine/stylize.h"
#include "tools/cli.h"
#include "tools/cmd_apply_stargan2.h"
#include "tools/image_io.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char description[] =
  "INPUT may be any image GEGL reads (PNG, JPEG, TIFF, WebP, EXR, ...), 8 or 16 bits, grey or\n"
  "colour, with or without alpha. OUTPUT's extension chooses the format; its bit depth, grey or\n"
  "colour, and alpha follow INPUT where that format allows. Alpha passes through unchanged.\n"
  "OUTPUT is replaced atomically: on any error it is left as it was.\n"
  "\n"
  "A StarGAN v2 model (tools/convert_stargan2.py) translates INPUT into --domain (a name from\n"
  "the model, or its index) with the style of --reference IMAGE (any size: resized to the\n"
  "model's img_size for its style encoder), of latents from --seed S (--count N writes N\n"
  "variations, OUTPUT-0 ... OUTPUT-(N-1)), or of tensor z [1, latent_dim] of a safetensors file\n"
  "(--latent, used as it is). --psi P in [0, 1] moves a latent style towards the domain's mean\n"
  "style (1: unchanged). INPUT runs at its own size.";

/* Whether the model file says it is a StarGAN v2 model (its header only). A file that does not
 * read goes to the loader the options ask for, which words the error. */
static gboolean
is_stargan2 (const char *model, gboolean requested)
{
  g_autoptr (VksCheckpoint) header = vks_checkpoint_load_header (model, NULL);
  if (header == NULL)
    return requested;
  const char *arch = vks_checkpoint_get_metadata (header, "vkstyle.arch");
  return arch != NULL && strcmp (arch, VKS_ARCH_STARGAN2) == 0;
}

typedef struct {
  VksImage *image;
  VksContext *context;
  VksStyle *style;
} ApplyJob;

static void
apply_job_clear (ApplyJob *job)
{
  g_clear_pointer (&job->style, vks_style_free);
  g_clear_pointer (&job->context, vks_context_free);
  g_clear_pointer (&job->image, vks_image_free);
}

static gboolean
run (const char *model, const char *device, const char *input, const char *output, GError **error)
{
  ApplyJob job = { NULL, NULL, NULL };
  gint64 start = g_get_monotonic_time ();
  /* Cheapest and most likely mistakes first: a wrong output name should not cost a model run. */
  gboolean ok = vks_image_check_output (output, error) &&
                (job.image = vks_image_load (input, error)) != NULL &&
                (job.context = vks_context_new (device, error)) != NULL &&
                (job.style = vks_style_load (job.context, model, error)) != NULL &&
                vks_style_apply (job.style, job.image->rgb, job.image->rgb, job.image->width,
                                 job.image->height, vks_cli_progress, NULL, error);
  vks_cli_progress_end ();
  ok = ok && vks_image_save (job.image, output, error);
  if (ok && vks_cli_stderr_is_terminal ())
    fprintf (stderr, "%s: %dx%d, style \"%s\" on %s, %.1f s\n", output, job.image->width,
             job.image->height, vks_style_name (job.style), vks_context_device_name (job.context),
             (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC);
  apply_job_clear (&job);
  return ok;
}

int
vks_cmd_apply (GStrv *args)
{
  g_autofree char *model = NULL;
  g_autofree char *device = NULL;
  g_auto (GStrv) files = NULL;
  VksApplyStarGan2 sg = { .psi = NAN, .count = G_MININT };
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Style model (.safetensors)", "FILE" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
      "Vulkan device: index or part of its name (default: $VKSTYLE_DEVICE, else the first GPU, "
      "else the CPU)", "DEVICE" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &sg.domain,
      "StarGAN v2: the target domain (name or index)", "NAME" },
    { "reference", 0, 0, G_OPTION_ARG_FILENAME, &sg.reference,
      "StarGAN v2: take the style of this image", "IMAGE" },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &sg.seed,
      "StarGAN v2: styles from the latents of this seed (0 to 2^64-1)", "S" },
    { "latent", 0, 0, G_OPTION_ARG_FILENAME, &sg.latent,
      "StarGAN v2: the style of tensor z of this safetensors file", "FILE" },
    { "psi", 0, 0, G_OPTION_ARG_DOUBLE, &sg.psi,
      "StarGAN v2: truncation towards the mean style (0 to 1)", "P" },
    { "count", 'n', 0, G_OPTION_ARG_INT, &sg.count,
      "StarGAN v2 with --seed: number of variations", "N" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &files, NULL, NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  if (!vks_cli_parse ("apply", "INPUT OUTPUT", "Stylize the image INPUT and write it to OUTPUT.",
                      description, entries, args))
    return VKS_EXIT_USAGE;
  if (!model)
    return vks_cli_usage_error ("apply", "--model is required");
  guint n_files = files ? g_strv_length (files) : 0;
  if (n_files != 2)
    return vks_cli_usage_error ("apply", "expected INPUT and OUTPUT, got %u file name%s", n_files,
                                n_files == 1 ? "" : "s");

  gboolean stargan2 = is_stargan2 (model, vks_apply_stargan2_requested (&sg));
  g_autofree char *problem = NULL;
  int status = VKS_EXIT_OK;
  if (stargan2 && (problem = vks_apply_stargan2_usage (&sg)) != NULL)
    status = vks_cli_usage_error ("apply", "%s", problem);
  else if (!stargan2 && vks_apply_stargan2_requested (&sg))
    status = vks_cli_usage_error ("apply", "--domain, --reference, --seed, --latent, --psi and "
                                  "--count are for StarGAN v2 models; %s is not one", model);
  if (status == VKS_EXIT_OK) {
    vks_cli_gegl_init ();
    GError *error = NULL;
    gboolean ok = stargan2 ? vks_apply_stargan2_run (&sg, model, device, files[0], files[1], &error)
                           : run (model, device, files[0], files[1], &error);
    gegl_exit ();
    status = ok ? VKS_EXIT_OK : vks_cli_fail (error);
  }
  g_free (sg.domain);
  g_free (sg.reference);
  g_free (sg.seed);
  g_free (sg.latent);
  return status;
}
