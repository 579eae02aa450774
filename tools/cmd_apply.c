/* `vkstyle apply`: one image file through one style model into another image file. */
#include "engine/stylize.h"
#include "tools/cli.h"
#include "tools/image_io.h"

#include <stdio.h>

static const char description[] =
  "INPUT may be any image GEGL reads (PNG, JPEG, TIFF, WebP, EXR, ...), 8 or 16 bits, grey or\n"
  "colour, with or without alpha. OUTPUT's extension chooses the format; its bit depth, grey or\n"
  "colour, and alpha follow INPUT where that format allows. Alpha passes through unchanged.\n"
  "OUTPUT is replaced atomically: on any error it is left as it was.";

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
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Style model (.safetensors)", "FILE" },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &device,
      "Vulkan device: index or part of its name (default: $VKSTYLE_DEVICE, else the first GPU, "
      "else the CPU)", "DEVICE" },
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

  vks_cli_gegl_init ();
  GError *error = NULL;
  gboolean ok = run (model, device, files[0], files[1], &error);
  gegl_exit ();
  return ok ? VKS_EXIT_OK : vks_cli_fail (error);
}
