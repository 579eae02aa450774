/* Entry point of the GIMP 2.10 plug-in: registers plug-in-vkstyle in the PDB and runs it in the
 * three run modes. */
#include "config.h"

#include <locale.h>
#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "engine/error.h"
#include "plug-in/dialog.h"
#include "plug-in/job.h"
#include "plug-in/models.h"
#include "plug-in/render.h"
#include "plug-in/settings.h"
#include "plug-in/stylizer.h"

/* The first interactive run picks a processing scale that keeps the network at about this many
 * pixels on the long side: a CPU device takes minutes beyond that. */
#define FIRST_RUN_LONG_SIDE 1024.0

static char *plugin_dir;         /* folder of this executable: weights/ and locale/ may be there */
static char *locale_dir;
static char *returned_message;   /* must outlive run(): libgimp sends it after we return */

static void query (void);
static void run (const gchar *name, gint n_params, const GimpParam *params,
                 gint *n_return_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

static void
query (void)
{
  static const GimpParamDef args[] = {
    { GIMP_PDB_INT32, "run-mode",
      "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), RUN-WITH-LAST-VALS (2) }" },
    { GIMP_PDB_IMAGE, "image", "Input image" },
    { GIMP_PDB_DRAWABLE, "drawable", "Input drawable (RGB or grayscale, any precision)" },
    { GIMP_PDB_STRING, "model",
      "Style model: path of a .safetensors file, or the name of an installed style (its "
      "vkstyle.name metadata or its file name without extension)" },
    { GIMP_PDB_FLOAT, "strength",
      "How much of the style to blend over the original, 0 to 100 (%)" },
    { GIMP_PDB_FLOAT, "scale",
      "Processing scale, 0.05 to 1.0: the network runs on the region shrunk by this factor and "
      "the result is enlarged back (faster, larger brush strokes)" },
    { GIMP_PDB_INT32, "new-layer",
      "0: replace the drawable's pixels, 1: put the result on a new layer above it" },
    { GIMP_PDB_STRING, "device",
      "Vulkan device: an index or part of its name (\"llvmpipe\"); \"\" chooses automatically" },
  };

  gimp_plugin_domain_register (GETTEXT_PACKAGE, locale_dir);
  gimp_install_procedure (VKSTYLE_PROC,
                          N_("Repaint the image in the style of a trained model"),
                          "Neural style transfer computed with Vulkan: a CycleGAN generator "
                          "model (.safetensors) repaints the selection or the whole layer. "
                          "Works on RGB and grayscale drawables of any precision; alpha is kept.",
                          "vkstyle contributors", "vkstyle contributors (GPL-3.0-or-later)",
                          "2025", N_("Style _Transfer…"), "RGB*, GRAY*", GIMP_PLUGIN,
                          G_N_ELEMENTS (args), 0, args, NULL);
  gimp_plugin_menu_register (VKSTYLE_PROC, "<Image>/Filters/Artistic");
}

static void
set_first_run_scale (VkstyleSettings *settings, const RenderRegion *region)
{
  double long_side = MAX (region->width, region->height);

  if (long_side > FIRST_RUN_LONG_SIDE)
    /* whole percent, as the slider shows it */
    settings->scale = CLAMP (((int) (100.0 * FIRST_RUN_LONG_SIDE / long_side)) / 100.0,
                             VKSTYLE_SCALE_MIN, VKSTYLE_SCALE_MAX);
}

static gboolean
report_to_gimp_progress (double fraction, const char *message, gpointer user_data)
{
  g_autofree char *text = stylizer_translate_progress (message);

  (void) user_data;
  gimp_progress_set_text (text);
  gimp_progress_update (CLAMP (fraction, 0.0, 1.0));
  /* GIMP's own Cancel ends this process, which leaves the image unchanged too */
  return TRUE;
}

/* Without a dialog: resolve the model, stylize, write. */
static gboolean
run_without_dialog (const RenderRegion *region, const VkstyleSettings *settings,
                    GError **error)
{
  g_autoptr (Stylizer) stylizer = stylizer_new ();
  g_autofree char *style_name = NULL;
  g_autofree float *styled = NULL;
  JobRequest request = { 0 };
  gboolean ok;

  request.model_path = models_resolve (settings->model, plugin_dir, error);
  if (request.model_path == NULL)
    return FALSE;
  request.device = g_strdup (settings->device);
  request.scale = settings->scale;

  gimp_progress_init (_("Style transfer"));
  styled = job_stylize (stylizer, region, &request, report_to_gimp_progress, NULL, &style_name,
                        error);
  ok = styled != NULL && render_commit (region, styled, settings->strength,
                                        settings->new_layer, style_name, error) >= 0;
  gimp_progress_end ();
  job_request_clear (&request);
  return ok;
}

static gboolean
settings_from_params (VkstyleSettings *settings, gint n_params, const GimpParam *params,
                      GError **error)
{
  if (n_params != 8)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("plug-in-vkstyle takes 8 arguments, %d were given."), n_params);
      return FALSE;
    }
  return vkstyle_settings_set (settings, params[3].data.d_string, params[4].data.d_float,
                               params[5].data.d_float, params[6].data.d_int32,
                               params[7].data.d_string, error);
}

static GimpPDBStatusType
run_mode_dispatch (GimpRunMode run_mode, gint32 drawable, gint n_params,
                   const GimpParam *params, GError **error)
{
  VkstyleSettings settings;
  gboolean have_last;
  g_autoptr (RenderRegion) region = NULL;

  vkstyle_settings_init_defaults (&settings);
  have_last = vkstyle_settings_load_last (&settings);
  if (run_mode == GIMP_RUN_NONINTERACTIVE && !settings_from_params (&settings, n_params, params,
                                                                    error))
    return GIMP_PDB_CALLING_ERROR;
  if (run_mode == GIMP_RUN_WITH_LAST_VALS && !have_last)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Style Transfer has not been used yet: open it from the Filters menu "
                     "first."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  if (gimp_drawable_is_indexed (drawable))
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE,
                   _("Indexed images cannot be stylized. Convert the image to RGB first "
                     "(Image ▸ Mode ▸ RGB)."));
      return GIMP_PDB_EXECUTION_ERROR;
    }

  region = render_region_read (drawable, error);
  if (region == NULL)
    {
      if (error && *error)
        return GIMP_PDB_EXECUTION_ERROR;
      /* the selection lies beside this layer: nothing to change, like GIMP's own filters */
      if (run_mode == GIMP_RUN_INTERACTIVE)
        gimp_message (_("The selection does not cover any part of this layer."));
      return GIMP_PDB_SUCCESS;
    }

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();

      if (!have_last)
        set_first_run_scale (&settings, region);
      if (!vkstyle_dialog_run (region, stylizer, plugin_dir, &settings))
        return GIMP_PDB_CANCEL;
      vkstyle_settings_save_last (&settings);
      return GIMP_PDB_SUCCESS;
    }

  if (!run_without_dialog (region, &settings, error))
    return GIMP_PDB_EXECUTION_ERROR;
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return GIMP_PDB_SUCCESS;
}

static void
run (const gchar *name, gint n_params, const GimpParam *params, gint *n_return_vals,
     GimpParam **return_vals)
{
  static GimpParam values[2];
  GimpRunMode run_mode = params[0].data.d_int32;
  g_autoptr (GError) error = NULL;
  GimpPDBStatusType status;

  (void) name;
  gegl_init (NULL, NULL);
  status = run_mode_dispatch (run_mode, params[2].data.d_drawable, n_params, params, &error);

  *n_return_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  if (status != GIMP_PDB_SUCCESS && error != NULL)
    {
      g_clear_pointer (&returned_message, g_free);
      returned_message = stylizer_describe_error (error);
      if (returned_message == NULL)
        status = GIMP_PDB_CANCEL;
      else
        {
          /* a script gets the message as the error string; a person also sees it */
          if (run_mode != GIMP_RUN_NONINTERACTIVE)
            gimp_message (returned_message);
          *n_return_vals = 2;
          values[1].type = GIMP_PDB_STRING;
          values[1].data.d_string = returned_message;
        }
    }
  values[0].data.d_status = status;
}

/* The per-user install (README) puts locale/ beside the executable; a system install uses the
 * configured locale dir. */
static void
setup_i18n (const char *argv0)
{
  g_autofree char *dir = g_path_get_dirname (argv0);
  g_autofree char *local = NULL;

  plugin_dir = g_canonicalize_filename (dir, NULL);
  local = g_build_filename (plugin_dir, "locale", NULL);
  locale_dir = g_file_test (local, G_FILE_TEST_IS_DIR) ? g_steal_pointer (&local)
                                                       : g_strdup (VKSTYLE_LOCALEDIR);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, locale_dir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

int
main (int argc, char **argv)
{
  int status;

  setup_i18n (argc > 0 ? argv[0] : ".");
  status = gimp_main (&PLUG_IN_INFO, argc, argv);
  g_free (plugin_dir);
  g_free (locale_dir);
  g_free (returned_message);
  return status;
}
