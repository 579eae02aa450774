/* Entry point of the GIMP 3 plug-in: a GimpPlugIn subclass that registers the filters of
 * plug-in/filter.h and runs them, each through the same steps (run_checked) with its own dialog
 * and request (FrontFilter). GIMP keeps the last values (the procedure config) itself. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <libgimp/gimp.h>

#include "engine/error.h"
#include "plug-in/gimp3/dialog.h"
#include "plug-in/gimp3/procedure.h"
#include "plug-in/gimp3/target.h"
#include "plug-in/i18n.h"
#include "plug-in/job.h"
#include "plug-in/settings.h"
#include "plug-in/stylizer.h"

/* What a request function returns for the model's resolution. */
#define RESOLVED(ok) ((ok) ? GIMP_PDB_SUCCESS : GIMP_PDB_EXECUTION_ERROR)

#define VKSTYLE_TYPE_PLUG_IN (vkstyle_plug_in_get_type ())
G_DECLARE_FINAL_TYPE (VkstylePlugIn, vkstyle_plug_in, VKSTYLE, PLUG_IN, GimpPlugIn)

struct _VkstylePlugIn {
  GimpPlugIn parent_instance;
};

G_DEFINE_TYPE (VkstylePlugIn, vkstyle_plug_in, GIMP_TYPE_PLUG_IN)

static char *plugin_dir;  /* folder of this executable: weights/ and locale/ may be there */

typedef struct FrontFilter FrontFilter;
static const FrontFilter *front_filter_find (const FilterInfo *info);

/* Only the filters this front end has a row for: a filter of the shared table whose GIMP 3 front
 * end is not written yet (Diffusion Variation) stays out of GIMP 3 instead of crashing it. */
static GList *
query_procedures (GimpPlugIn *plug_in)
{
  GList *names = NULL;

  (void) plug_in;
  for (int i = 0; i < vkstyle_n_filters; i++)
    if (front_filter_find (vkstyle_filters[i]) != NULL)
      names = g_list_append (names, g_strdup (vkstyle_filters[i]->procedure));
  return names;
}

/* GIMP 3 only looks for catalogs inside the plug-in's folder (the per-user install and a system
 * install both put locale/ there). Without one, the texts stay English. */
static gboolean
set_i18n (GimpPlugIn *plug_in, const char *procedure_name, char **gettext_domain,
          char **catalog_dir)
{
  g_autofree char *local = g_build_filename (plugin_dir, "locale", NULL);

  (void) plug_in;
  (void) procedure_name;
  if (!g_file_test (local, G_FILE_TEST_IS_DIR))
    return FALSE;
  *gettext_domain = g_strdup (GETTEXT_PACKAGE);
  *catalog_dir = g_strdup ("locale");
  return TRUE;
}

static void
report_to_gimp_progress (double fraction, const char *text, gpointer user_data)
{
  (void) user_data;
  gimp_progress_set_text (text);
  gimp_progress_update (fraction);
}

/* ---- what differs between the filters ------------------------------------------------------ */

struct FrontFilter {
  const FilterInfo *info;
  ModelKind kind;
  gboolean (*dialog) (GimpProcedure *procedure, GimpProcedureConfig *config,
                      const Target *target, Stylizer *stylizer, const char *plugin_dir);
  /* The run a script asks for: the values checked (else CALLING_ERROR), the model resolved
   * (else EXECUTION_ERROR); how to write it. */
  GimpPDBStatusType (*request) (const FilterValue *values, JobRequest *request,
                                double *strength, gboolean *new_layer, GError **error);
};

static GimpPDBStatusType
style_request (const FilterValue *values, JobRequest *request, double *strength,
               gboolean *new_layer, GError **error)
{
  VkstyleSettings settings;

  vkstyle_settings_init_defaults (&settings);
  if (!vkstyle_settings_from_values (&settings, values, error))
    return GIMP_PDB_CALLING_ERROR;
  *strength = settings.strength;
  *new_layer = settings.new_layer != 0;
  return RESOLVED (job_request_from_settings (request, &settings, gimp_directory (), plugin_dir,
                                              error));
}

static GimpPDBStatusType
texture_request (const FilterValue *values, JobRequest *request, double *strength,
                 gboolean *new_layer, GError **error)
{
  TextureSettings settings;

  texture_settings_init_defaults (&settings);
  if (!texture_settings_from_values (&settings, values, error))
    return GIMP_PDB_CALLING_ERROR;
  /* a texture replaces what it is rendered into */
  *strength = 100.0;
  *new_layer = FALSE;
  return RESOLVED (job_request_from_texture_settings (request, &settings, gimp_directory (),
                                                      plugin_dir, error));
}

static GimpPDBStatusType
reference_request (const FilterValue *values, JobRequest *request, double *strength,
                   gboolean *new_layer, GError **error)
{
  ReferenceSettings settings;
  g_autoptr (ReferenceImage) reference = NULL;

  reference_settings_init_defaults (&settings);
  if (!reference_settings_from_values (&settings, values, error))
    return GIMP_PDB_CALLING_ERROR;
  if (settings.reference >= 0)
    {
      reference = target_read_reference (settings.reference, error);
      if (reference == NULL)
        return GIMP_PDB_EXECUTION_ERROR;
    }
  *strength = settings.strength;
  *new_layer = settings.new_layer != 0;
  return RESOLVED (job_request_from_reference_settings (request, &settings, reference,
                                                        gimp_directory (), plugin_dir, error));
}

static const FrontFilter front_filters[] = {
  { &vkstyle_stylize_filter, MODEL_KIND_STYLE, vkstyle_dialog_run, style_request },
  { &vkstyle_texture_filter, MODEL_KIND_TEXTURE, texture_dialog_run, texture_request },
  { &vkstyle_reference_filter, MODEL_KIND_REFERENCE, reference_dialog_run, reference_request },
};

static const FrontFilter *
front_filter_find (const FilterInfo *info)
{
  for (gsize i = 0; i < G_N_ELEMENTS (front_filters); i++)
    if (front_filters[i].info == info)
      return &front_filters[i];
  return NULL;
}

/* Filters with a processing size pick one for the image on first use. */
static gboolean
has_scale (const FrontFilter *filter)
{
  return filter->kind != MODEL_KIND_TEXTURE;
}

/* ---- running a filter ------------------------------------------------------------------------ */

/* Without a dialog: check the arguments, resolve the model, compute, write. */
static GimpPDBStatusType
run_without_dialog (const FrontFilter *filter, const Target *target, GimpProcedureConfig *config,
                    GError **error)
{
  g_autoptr (Stylizer) stylizer = stylizer_new ();
  FilterValue values[FILTER_MAX_ARGS];
  g_auto (GStrv) strings = NULL;
  JobRequest request = { 0 };
  g_autofree char *model_name = NULL;
  g_autofree float *results = NULL;
  double strength = 100.0;
  gboolean new_layer = FALSE, ok;
  GimpPDBStatusType status;
  int n_results;

  g_return_val_if_fail (filter->info->n_args <= (int) G_N_ELEMENTS (values),
                        GIMP_PDB_CALLING_ERROR);
  filter_values_from_config (filter->info, config, values, &strings);
  status = filter->request (values, &request, &strength, &new_layer, error);
  if (status != GIMP_PDB_SUCCESS)
    return status;
  n_results = job_request_n_results (&request);
  gimp_progress_init (_(filter->info->progress_title));
  results = job_run_request (stylizer, target->pixels, &request, report_to_gimp_progress, NULL,
                             &model_name, error);
  ok = results != NULL
       && target_commit (target, results, n_results, strength, new_layer, model_name, error);
  gimp_progress_end ();
  return ok ? GIMP_PDB_SUCCESS : GIMP_PDB_EXECUTION_ERROR;
}

/* What every filter checks before it reads the drawable, then the read. NULL with *status set
 * when there is nothing to do (SUCCESS) or the call cannot go on (with *error). */
static Target *
read_drawable (const FrontFilter *filter, GimpRunMode run_mode, GimpDrawable **drawables,
               GimpProcedureConfig *config, GimpPDBStatusType *status, GError **error)
{
  g_autofree char *model = NULL;
  Target *target;

  *status = GIMP_PDB_EXECUTION_ERROR;
  if (drawables == NULL || drawables[0] == NULL || drawables[1] != NULL)
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IMAGE,
                           _(filter->info->one_layer_message));
      *status = GIMP_PDB_CALLING_ERROR;
      return NULL;
    }
  g_object_get (config, "model", &model, NULL);
  if (run_mode == GIMP_RUN_WITH_LAST_VALS && (model == NULL || model[0] == '\0'))
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO, _(filter->info->not_used_message));
      return NULL;
    }
  if (gimp_drawable_is_indexed (drawables[0]))
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IMAGE, _(filter->info->indexed_message));
      return NULL;
    }
  target = target_read (drawables[0], error);
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
run_checked (const FrontFilter *filter, GimpProcedure *procedure, GimpRunMode run_mode,
             GimpDrawable **drawables, GimpProcedureConfig *config, GError **error)
{
  GimpPDBStatusType status;
  g_autoptr (Target) target = read_drawable (filter, run_mode, drawables, config, &status,
                                             error);

  if (target == NULL)
    return status;
  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();
      gboolean used = FALSE;

      if (has_scale (filter))
        {
          g_object_get (config, "used", &used, NULL);
          if (!used)
            g_object_set (config, "scale",
                          vkstyle_settings_first_run_scale (target->pixels->width,
                                                            target->pixels->height), NULL);
        }
      if (!filter->dialog (procedure, config, target, stylizer, plugin_dir))
        return GIMP_PDB_CANCEL;
      if (has_scale (filter))
        g_object_set (config, "used", TRUE, NULL);
      return GIMP_PDB_SUCCESS;
    }
  status = run_without_dialog (filter, target, config, error);
  if (status == GIMP_PDB_SUCCESS && run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return status;
}

/* run_data: the FilterInfo (filter_procedure_new). */
static GimpValueArray *
run_filter (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
            GimpDrawable **drawables, GimpProcedureConfig *config, gpointer run_data)
{
  const FrontFilter *filter = front_filter_find (run_data);
  GError *error = NULL;
  GimpPDBStatusType status;

  (void) image;
  gegl_init (NULL, NULL);
  status = run_checked (filter, procedure, run_mode, drawables, config, &error);
  if (status != GIMP_PDB_SUCCESS && error != NULL)
    {
      g_autofree char *message = stylizer_describe_error_for (error, filter->kind);

      g_clear_error (&error);
      if (message == NULL)
        status = GIMP_PDB_CANCEL;
      else
        /* GIMP shows it to a person, and a script gets it as the error string */
        error = g_error_new_literal (VKS_ERROR, VKS_ERROR_IO, message);
    }
  return gimp_procedure_new_return_values (procedure, status, error);
}

static GimpProcedure *
create_procedure (GimpPlugIn *plug_in, const char *name)
{
  const FilterInfo *filter = filter_find (name);
  GimpProcedure *procedure;

  if (filter == NULL)
    return NULL;
  procedure = filter_procedure_new (plug_in, filter, run_filter);
  /* dialog state GIMP keeps with the last values, not arguments a script passes */
  gimp_procedure_add_boolean_aux_argument (procedure, "preview", _("_Preview on canvas"),
                                           "Show the result in a temporary layer above the "
                                           "layer while the dialog is open",
                                           FALSE, G_PARAM_READWRITE);
  if (!has_scale (front_filter_find (filter)))
    return procedure;
  gimp_procedure_add_boolean_aux_argument (procedure, "used", "Used",
                                           "The dialog was applied before (the first use picks "
                                           "a processing size for the image)",
                                           FALSE, G_PARAM_READWRITE);
  return procedure;
}

static void
vkstyle_plug_in_class_init (VkstylePlugInClass *klass)
{
  GimpPlugInClass *plug_in_class = GIMP_PLUG_IN_CLASS (klass);

  plug_in_class->query_procedures = query_procedures;
  plug_in_class->create_procedure = create_procedure;
  plug_in_class->set_i18n = set_i18n;
}

static void
vkstyle_plug_in_init (VkstylePlugIn *plug_in)
{
  (void) plug_in;
}

int
main (int argc, char **argv)
{
  int status;

  plugin_dir = vkstyle_plugin_dir (argc > 0 ? argv[0] : NULL);
  /* the dialog's own texts; set_i18n covers what GIMP shows (menu, procedure browser) */
  vkstyle_i18n_init (plugin_dir);
  status = gimp_main (VKSTYLE_TYPE_PLUG_IN, argc, argv);
  g_free (plugin_dir);
  return status;
}
