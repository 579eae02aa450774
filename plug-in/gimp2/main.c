/* Entry point of the GIMP 2.10 plug-in: registers the filters of plug-in/filter.h in the PDB and
 * runs them in the three run modes. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "engine/error.h"
#include "plug-in/gimp2/dialog.h"
#include "plug-in/gimp2/last-values.h"
#include "plug-in/gimp2/target.h"
#include "plug-in/i18n.h"
#include "plug-in/job.h"
#include "plug-in/settings.h"
#include "plug-in/stylizer.h"

/* The arguments every image filter starts with, before its own (filter.h). */
#define N_IMAGE_ARGS 3
#define MAX_ARGS 16

static char *plugin_dir;         /* folder of this executable: weights/ and locale/ may be there */
static char *returned_message;   /* must outlive run(): libgimp sends it after we return */

static void query (void);
static void run (const gchar *name, gint n_params, const GimpParam *params,
                 gint *n_return_vals, GimpParam **return_vals);

const GimpPlugInInfo PLUG_IN_INFO = { NULL, NULL, query, run };

static GimpPDBArgType
pdb_type (FilterArgType type)
{
  switch (type)
    {
    case FILTER_ARG_STRING:
      return GIMP_PDB_STRING;
    case FILTER_ARG_DOUBLE:
      return GIMP_PDB_FLOAT;
    case FILTER_ARG_INT:
    case FILTER_ARG_BOOLEAN:
    default:
      return GIMP_PDB_INT32;
    }
}

static void
install_filter (const FilterInfo *filter)
{
  GimpParamDef args[MAX_ARGS] = {
    { GIMP_PDB_INT32, (gchar *) "run-mode",
      (gchar *) "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), "
                "RUN-WITH-LAST-VALS (2) }" },
    { GIMP_PDB_IMAGE, (gchar *) "image", (gchar *) "Input image" },
    { GIMP_PDB_DRAWABLE, (gchar *) "drawable",
      (gchar *) "Input drawable (RGB or grayscale, any precision)" },
  };
  g_return_if_fail (N_IMAGE_ARGS + filter->n_args <= MAX_ARGS);
  for (int i = 0; i < filter->n_args; i++)
    {
      const FilterArg *arg = &filter->args[i];

      args[N_IMAGE_ARGS + i].type = pdb_type (arg->type);
      args[N_IMAGE_ARGS + i].name = (gchar *) arg->name;
      /* 2.10 has no boolean: say what the INT32 means */
      args[N_IMAGE_ARGS + i].description =
          (gchar *) (arg->type == FILTER_ARG_BOOLEAN ? g_strconcat (arg->blurb, " (0 or 1)", NULL)
                                                     : arg->blurb);
    }
  gimp_install_procedure (filter->procedure, filter->blurb, filter->help, filter->author,
                          filter->copyright, filter->date, filter->menu_label,
                          filter->image_types, GIMP_PLUGIN, N_IMAGE_ARGS + filter->n_args, 0,
                          args, NULL);
  gimp_plugin_menu_register (filter->procedure, filter->menu_path);
  for (int i = 0; i < filter->n_args; i++)
    if (filter->args[i].type == FILTER_ARG_BOOLEAN)
      g_free (args[N_IMAGE_ARGS + i].description);
}

static void
query (void)
{
  g_autofree char *locale_dir = vkstyle_locale_dir (plugin_dir);

  gimp_plugin_domain_register (GETTEXT_PACKAGE, locale_dir);
  install_filter (&vkstyle_stylize_filter);
  install_filter (&vkstyle_texture_filter);
}

static void
report_to_gimp_progress (double fraction, const char *text, gpointer user_data)
{
  (void) user_data;
  gimp_progress_set_text (text);
  gimp_progress_update (fraction);
}

/* Without a dialog: resolve the model, stylize, write. */
static gboolean
run_without_dialog (const Target *target, const VkstyleSettings *settings, GError **error)
{
  g_autoptr (Stylizer) stylizer = stylizer_new ();
  g_autofree char *style_name = NULL;
  g_autofree float *styled = NULL;
  gboolean ok;

  gimp_progress_init (_("Style transfer"));
  styled = job_run_settings (stylizer, target->pixels, settings, gimp_directory (), plugin_dir,
                             report_to_gimp_progress, NULL, &style_name, error);
  ok = styled != NULL && target_commit (target, styled, settings->strength, settings->new_layer,
                                        style_name, error) >= 0;
  gimp_progress_end ();
  return ok;
}

static gboolean
texture_without_dialog (const Target *target, const TextureSettings *settings, GError **error)
{
  g_autoptr (Stylizer) stylizer = stylizer_new ();
  g_autofree char *model_name = NULL;
  g_autofree float *texture = NULL;
  gboolean ok;

  gimp_progress_init (_("Neural texture"));
  texture = job_run_texture_settings (stylizer, target->pixels, settings, gimp_directory (),
                                      plugin_dir, report_to_gimp_progress, NULL, &model_name,
                                      error);
  ok = texture != NULL && target_commit (target, texture, 100.0, FALSE, model_name, error) >= 0;
  gimp_progress_end ();
  return ok;
}

/* The filter's arguments after the image ones, whatever their types. */
static gboolean
values_from_params (const FilterInfo *filter, gint n_params, const GimpParam *params,
                    FilterValue *values, GError **error)
{
  if (n_params != N_IMAGE_ARGS + filter->n_args)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("%s takes %d arguments, %d were given."),
                   filter->procedure, N_IMAGE_ARGS + filter->n_args, n_params);
      return FALSE;
    }
  for (int i = 0; i < filter->n_args; i++)
    {
      const GimpParam *param = &params[N_IMAGE_ARGS + i];

      values[i].string = NULL;
      values[i].number = 0.0;
      switch (filter->args[i].type)
        {
        case FILTER_ARG_STRING:
          values[i].string = param->data.d_string;
          break;
        case FILTER_ARG_DOUBLE:
          values[i].number = param->data.d_float;
          break;
        case FILTER_ARG_INT:
          values[i].number = param->data.d_int32;
          break;
        case FILTER_ARG_BOOLEAN:
          values[i].number = param->data.d_int32 != 0;
          break;
        }
    }
  return TRUE;
}

/* What both filters check before they read the drawable, then the read. NULL with *status set
 * when there is nothing to do (SUCCESS) or the drawable cannot be used (with *error). */
static Target *
read_drawable (GimpRunMode run_mode, gint32 drawable, const char *indexed_message,
               GimpPDBStatusType *status, GError **error)
{
  Target *target;

  *status = GIMP_PDB_EXECUTION_ERROR;
  if (gimp_drawable_is_indexed (drawable))
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IMAGE, indexed_message);
      return NULL;
    }
  target = target_read (drawable, error);
  if (target == NULL && !(error && *error))
    {
      /* the selection lies beside this layer: nothing to change, like GIMP's own filters */
      if (run_mode == GIMP_RUN_INTERACTIVE)
        gimp_message (_("The selection does not cover any part of this layer."));
      *status = GIMP_PDB_SUCCESS;
    }
  return target;
}

static GimpPDBStatusType
run_mode_dispatch (GimpRunMode run_mode, gint32 drawable, gint n_params,
                   const GimpParam *params, GError **error)
{
  VkstyleSettings settings;
  FilterValue values[STYLIZE_N_ARGS];
  gboolean have_last;
  GimpPDBStatusType status;
  g_autoptr (Target) target = NULL;

  vkstyle_settings_init_defaults (&settings);
  have_last = last_values_load (&settings);
  if (run_mode == GIMP_RUN_NONINTERACTIVE
      && !(values_from_params (&vkstyle_stylize_filter, n_params, params, values, error)
           && vkstyle_settings_from_values (&settings, values, error)))
    return GIMP_PDB_CALLING_ERROR;
  if (run_mode == GIMP_RUN_WITH_LAST_VALS && !have_last)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Style Transfer has not been used yet: open it from the Filters menu "
                     "first."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  target = read_drawable (run_mode, drawable,
                          _("Indexed images cannot be stylized. Convert the image to RGB first "
                            "(Image ▸ Mode ▸ RGB)."), &status, error);
  if (target == NULL)
    return status;

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();

      if (!have_last)
        settings.scale = vkstyle_settings_first_run_scale (target->pixels->width,
                                                           target->pixels->height);
      if (!vkstyle_dialog_run (target, stylizer, plugin_dir, &settings))
        return GIMP_PDB_CANCEL;
      last_values_save (&settings);
      return GIMP_PDB_SUCCESS;
    }

  if (!run_without_dialog (target, &settings, error))
    return GIMP_PDB_EXECUTION_ERROR;
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return GIMP_PDB_SUCCESS;
}

static GimpPDBStatusType
texture_dispatch (GimpRunMode run_mode, gint32 drawable, gint n_params, const GimpParam *params,
                  GError **error)
{
  TextureSettings settings;
  FilterValue values[TEXTURE_N_ARGS];
  gboolean have_last;
  GimpPDBStatusType status;
  g_autoptr (Target) target = NULL;

  texture_settings_init_defaults (&settings);
  have_last = texture_last_values_load (&settings);
  if (run_mode == GIMP_RUN_NONINTERACTIVE
      && !(values_from_params (&vkstyle_texture_filter, n_params, params, values, error)
           && texture_settings_from_values (&settings, values, error)))
    return GIMP_PDB_CALLING_ERROR;
  if (run_mode == GIMP_RUN_WITH_LAST_VALS && !have_last)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO,
                   _("Neural Texture has not been used yet: open it from the Filters menu "
                     "first."));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  target = read_drawable (run_mode, drawable,
                          _("A texture cannot be rendered into an indexed image. Convert the "
                            "image to RGB first (Image ▸ Mode ▸ RGB)."), &status, error);
  if (target == NULL)
    return status;
  pixel_region_make_opaque (target->pixels);

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();

      if (!texture_dialog_run (target, stylizer, plugin_dir, &settings))
        return GIMP_PDB_CANCEL;
      texture_last_values_save (&settings);
      return GIMP_PDB_SUCCESS;
    }

  if (!texture_without_dialog (target, &settings, error))
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
  gboolean texture = g_strcmp0 (name, VKSTYLE_TEXTURE_PROC) == 0;
  g_autoptr (GError) error = NULL;
  GimpPDBStatusType status;

  gegl_init (NULL, NULL);
  status = (texture ? texture_dispatch : run_mode_dispatch) (run_mode, params[2].data.d_drawable,
                                                             n_params, params, &error);

  *n_return_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  if (status != GIMP_PDB_SUCCESS && error != NULL)
    {
      g_clear_pointer (&returned_message, g_free);
      returned_message = stylizer_describe_error_for (error, texture ? MODEL_KIND_TEXTURE
                                                                      : MODEL_KIND_STYLE);
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

int
main (int argc, char **argv)
{
  int status;

  plugin_dir = vkstyle_plugin_dir (argc > 0 ? argv[0] : NULL);
  vkstyle_i18n_init (plugin_dir);
  status = gimp_main (&PLUG_IN_INFO, argc, argv);
  g_free (plugin_dir);
  g_free (returned_message);
  return status;
}
