/* Entry point of the GIMP 2.10 plug-in: registers the filters of plug-in/filter.h in the PDB and
 * runs them in the three run modes, each filter through the same steps (run_filter) with its
 * own settings blob (FrontFilter). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "engine/error.h"
#include "plug-in/gimp2/dialog.h"
#include "plug-in/gimp2/last-values.h"
#include "plug-in/gimp2/sprites.h"
#include "plug-in/gimp2/target.h"
#include "plug-in/i18n.h"
#include "plug-in/diffusion-job.h"
#include "plug-in/job.h"
#include "plug-in/settings.h"
#include "plug-in/stylizer.h"

/* The arguments every image filter starts with, before its own (filter.h). */
#define N_IMAGE_ARGS 3

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
    case FILTER_ARG_DRAWABLE:
      return GIMP_PDB_DRAWABLE;
    case FILTER_ARG_INT:
    case FILTER_ARG_BOOLEAN:
    default:
      return GIMP_PDB_INT32;
    }
}

static void
install_filter (const FilterInfo *filter)
{
  GimpParamDef args[FILTER_MAX_ARGS] = {
    { GIMP_PDB_INT32, (gchar *) "run-mode",
      (gchar *) "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), "
                "RUN-WITH-LAST-VALS (2) }" },
    { GIMP_PDB_IMAGE, (gchar *) "image", (gchar *) "Input image" },
    { GIMP_PDB_DRAWABLE, (gchar *) "drawable",
      (gchar *) "Input drawable (RGB or grayscale, any precision)" },
  };
  g_return_if_fail (N_IMAGE_ARGS + filter->n_args <= FILTER_MAX_ARGS);
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
  for (int i = 0; i < vkstyle_n_filters; i++)
    install_filter (vkstyle_filters[i]);
  sprites_install ();
}

static void
report_to_gimp_progress (double fraction, const char *text, gpointer user_data)
{
  (void) user_data;
  gimp_progress_set_text (text);
  gimp_progress_update (fraction);
}

/* ---- what differs between the filters: their settings blob and a few steps ---------------- */

typedef union {
  VkstyleSettings style;
  TextureSettings texture;
  ReferenceSettings reference;
  VariationSettings variation;
} AnySettings;

typedef struct {
  const FilterInfo *info;
  ModelKind kind;
  void (*init) (AnySettings *settings);
  gboolean (*load_last) (AnySettings *settings);
  void (*save_last) (const AnySettings *settings);
  gboolean (*from_values) (AnySettings *settings, const FilterValue *values, GError **error);
  /* Runs the dialog; have_last: the settings are the user's, not the defaults. */
  gboolean (*dialog) (const Target *target, Stylizer *stylizer, AnySettings *settings,
                      gboolean have_last);
  gboolean (*request) (const AnySettings *settings, JobRequest *request, GError **error);
  double (*strength) (const AnySettings *settings);
  gboolean (*new_layer) (const AnySettings *settings);
} FrontFilter;

static void
style_init (AnySettings *s)
{
  vkstyle_settings_init_defaults (&s->style);
}

static gboolean
style_load_last (AnySettings *s)
{
  return last_values_load (&s->style);
}

static void
style_save_last (const AnySettings *s)
{
  last_values_save (&s->style);
}

static gboolean
style_from_values (AnySettings *s, const FilterValue *values, GError **error)
{
  return vkstyle_settings_from_values (&s->style, values, error);
}

static gboolean
style_dialog (const Target *target, Stylizer *stylizer, AnySettings *s, gboolean have_last)
{
  if (!have_last)
    s->style.scale = vkstyle_settings_first_run_scale (target->pixels->width,
                                                       target->pixels->height);
  return vkstyle_dialog_run (target, stylizer, plugin_dir, &s->style);
}

static gboolean
style_request (const AnySettings *s, JobRequest *request, GError **error)
{
  return job_request_from_settings (request, &s->style, gimp_directory (), plugin_dir, error);
}

static double
style_strength (const AnySettings *s)
{
  return s->style.strength;
}

static gboolean
style_new_layer (const AnySettings *s)
{
  return s->style.new_layer != 0;
}

static void
texture_init (AnySettings *s)
{
  texture_settings_init_defaults (&s->texture);
}

static gboolean
texture_load_last (AnySettings *s)
{
  return texture_last_values_load (&s->texture);
}

static void
texture_save_last (const AnySettings *s)
{
  texture_last_values_save (&s->texture);
}

static gboolean
texture_from_values (AnySettings *s, const FilterValue *values, GError **error)
{
  return texture_settings_from_values (&s->texture, values, error);
}

static gboolean
texture_dialog (const Target *target, Stylizer *stylizer, AnySettings *s, gboolean have_last)
{
  (void) have_last;
  return texture_dialog_run (target, stylizer, plugin_dir, &s->texture);
}

static gboolean
texture_request (const AnySettings *s, JobRequest *request, GError **error)
{
  return job_request_from_texture_settings (request, &s->texture, gimp_directory (), plugin_dir,
                                            error);
}

/* a texture replaces what it is rendered into */
static double
texture_strength (const AnySettings *s)
{
  (void) s;
  return 100.0;
}

static gboolean
texture_new_layer (const AnySettings *s)
{
  (void) s;
  return FALSE;
}

static void
reference_init (AnySettings *s)
{
  reference_settings_init_defaults (&s->reference);
}

static gboolean
reference_load_last (AnySettings *s)
{
  return reference_last_values_load (&s->reference);
}

static void
reference_save_last (const AnySettings *s)
{
  reference_last_values_save (&s->reference);
}

static gboolean
reference_from_values (AnySettings *s, const FilterValue *values, GError **error)
{
  return reference_settings_from_values (&s->reference, values, error);
}

static gboolean
reference_dialog (const Target *target, Stylizer *stylizer, AnySettings *s, gboolean have_last)
{
  if (!have_last)
    s->reference.scale = vkstyle_settings_first_run_scale (target->pixels->width,
                                                           target->pixels->height);
  return reference_dialog_run (target, stylizer, plugin_dir, &s->reference);
}

static gboolean
reference_request (const AnySettings *s, JobRequest *request, GError **error)
{
  g_autoptr (ReferenceImage) reference = NULL;

  if (s->reference.reference >= 0)
    {
      reference = target_read_reference (s->reference.reference, error);
      if (reference == NULL)
        return FALSE;
    }
  return job_request_from_reference_settings (request, &s->reference, reference,
                                              gimp_directory (), plugin_dir, error);
}

static double
reference_strength (const AnySettings *s)
{
  return s->reference.strength;
}

static gboolean
reference_new_layer (const AnySettings *s)
{
  return s->reference.new_layer != 0;
}

static void
variation_init (AnySettings *s)
{
  variation_settings_init_defaults (&s->variation);
}

static gboolean
variation_load_last (AnySettings *s)
{
  return variation_last_values_load (&s->variation);
}

static void
variation_save_last (const AnySettings *s)
{
  variation_last_values_save (&s->variation);
}

static gboolean
variation_from_values (AnySettings *s, const FilterValue *values, GError **error)
{
  return variation_settings_from_values (&s->variation, values, error);
}

static gboolean
variation_dialog (const Target *target, Stylizer *stylizer, AnySettings *s, gboolean have_last)
{
  (void) have_last;
  return variation_dialog_run (target, stylizer, plugin_dir, &s->variation);
}

static gboolean
variation_request (const AnySettings *s, JobRequest *request, GError **error)
{
  return job_request_from_variation_settings (request, &s->variation, gimp_directory (),
                                              plugin_dir, error);
}

/* the variation replaces the region, through the selection */
static double
variation_strength (const AnySettings *s)
{
  (void) s;
  return 100.0;
}

static gboolean
variation_new_layer (const AnySettings *s)
{
  return s->variation.new_layer != 0;
}

static const FrontFilter front_filters[] = {
  { &vkstyle_stylize_filter, MODEL_KIND_STYLE, style_init, style_load_last, style_save_last,
    style_from_values, style_dialog, style_request, style_strength, style_new_layer },
  { &vkstyle_texture_filter, MODEL_KIND_TEXTURE, texture_init, texture_load_last,
    texture_save_last, texture_from_values, texture_dialog, texture_request, texture_strength,
    texture_new_layer },
  { &vkstyle_reference_filter, MODEL_KIND_REFERENCE, reference_init, reference_load_last,
    reference_save_last, reference_from_values, reference_dialog, reference_request,
    reference_strength, reference_new_layer },
  { &vkstyle_variation_filter, MODEL_KIND_DIFFUSION, variation_init, variation_load_last,
    variation_save_last, variation_from_values, variation_dialog, variation_request,
    variation_strength, variation_new_layer },
};

static const FrontFilter *
front_filter_find (const char *procedure)
{
  for (gsize i = 0; i < G_N_ELEMENTS (front_filters); i++)
    if (g_strcmp0 (front_filters[i].info->procedure, procedure) == 0)
      return &front_filters[i];
  return NULL;
}

/* ---- running a filter ------------------------------------------------------------------------ */

/* Without a dialog: resolve the model, compute, write. */
static gboolean
run_without_dialog (const FrontFilter *filter, const Target *target,
                    const AnySettings *settings, GError **error)
{
  g_autoptr (Stylizer) stylizer = stylizer_new ();
  JobRequest request = { 0 };
  g_autofree char *model_name = NULL;
  g_autofree float *results = NULL;
  int n_results;
  gboolean ok;

  gimp_progress_init (_(filter->info->progress_title));
  ok = filter->request (settings, &request, error);
  if (ok)
    {
      n_results = job_request_n_results (&request);
      results = job_run_request (stylizer, target->pixels, &request, report_to_gimp_progress,
                                 NULL, &model_name, error);
      ok = results != NULL
           && target_commit (target, results, n_results, filter->strength (settings),
                             filter->new_layer (settings), model_name, error) >= 0;
    }
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
        case FILTER_ARG_DRAWABLE:
          /* GIMP checks a drawable argument; 0 and -1 are its "none" */
          values[i].number = param->data.d_drawable > 0 ? param->data.d_drawable : -1;
          break;
        }
    }
  return TRUE;
}

/* What every filter checks before it reads the drawable, then the read. NULL with *status set
 * when there is nothing to do (SUCCESS) or the drawable cannot be used (with *error). */
static Target *
read_drawable (const FrontFilter *filter, GimpRunMode run_mode, gint32 drawable,
               GimpPDBStatusType *status, GError **error)
{
  Target *target;

  *status = GIMP_PDB_EXECUTION_ERROR;
  if (gimp_drawable_is_indexed (drawable))
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IMAGE, _(filter->info->indexed_message));
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
  if (target != NULL && filter->kind == MODEL_KIND_TEXTURE)
    pixel_region_make_opaque (target->pixels);
  return target;
}

static GimpPDBStatusType
run_filter (const FrontFilter *filter, GimpRunMode run_mode, gint32 drawable, gint n_params,
            const GimpParam *params, GError **error)
{
  AnySettings settings;
  FilterValue values[FILTER_MAX_ARGS];
  gboolean have_last;
  GimpPDBStatusType status;
  g_autoptr (Target) target = NULL;

  filter->init (&settings);
  have_last = filter->load_last (&settings);
  if (run_mode == GIMP_RUN_NONINTERACTIVE
      && !(values_from_params (filter->info, n_params, params, values, error)
           && filter->from_values (&settings, values, error)))
    return GIMP_PDB_CALLING_ERROR;
  if (run_mode == GIMP_RUN_WITH_LAST_VALS && !have_last)
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO, _(filter->info->not_used_message));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  target = read_drawable (filter, run_mode, drawable, &status, error);
  if (target == NULL)
    return status;

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();

      if (!filter->dialog (target, stylizer, &settings, have_last))
        return GIMP_PDB_CANCEL;
      filter->save_last (&settings);
      return GIMP_PDB_SUCCESS;
    }

  if (!run_without_dialog (filter, target, &settings, error))
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
  const FrontFilter *filter = front_filter_find (name);
  g_autoptr (GError) error = NULL;
  GimpPDBStatusType status = GIMP_PDB_CALLING_ERROR;

  gegl_init (NULL, NULL);
  /* Diffusion Sprites makes a new image: no image arguments, an image returned (sprites.c) */
  if (sprites_run (name, n_params, params, n_return_vals, return_vals, plugin_dir))
    return;
  if (filter != NULL)
    status = run_filter (filter, run_mode, params[2].data.d_drawable, n_params, params, &error);

  *n_return_vals = 1;
  *return_vals = values;
  values[0].type = GIMP_PDB_STATUS;
  if (status != GIMP_PDB_SUCCESS && error != NULL)
    {
      g_clear_pointer (&returned_message, g_free);
      returned_message = stylizer_describe_error_for (error, filter->kind);
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
