/* Entry point of the GIMP 3 plug-in: a GimpPlugIn subclass that registers the filters of
 * plug-in/filter.h and runs them. GIMP keeps the last values (the procedure config) itself. */
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

#define VKSTYLE_TYPE_PLUG_IN (vkstyle_plug_in_get_type ())
G_DECLARE_FINAL_TYPE (VkstylePlugIn, vkstyle_plug_in, VKSTYLE, PLUG_IN, GimpPlugIn)

struct _VkstylePlugIn {
  GimpPlugIn parent_instance;
};

G_DEFINE_TYPE (VkstylePlugIn, vkstyle_plug_in, GIMP_TYPE_PLUG_IN)

static char *plugin_dir;  /* folder of this executable: weights/ and locale/ may be there */

static GList *
query_procedures (GimpPlugIn *plug_in)
{
  (void) plug_in;
  return g_list_append (g_list_append (NULL, g_strdup (vkstyle_stylize_filter.procedure)),
                        g_strdup (vkstyle_texture_filter.procedure));
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
                                        style_name, error);
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
  ok = texture != NULL && target_commit (target, texture, 100.0, FALSE, model_name, error);
  gimp_progress_end ();
  return ok;
}

/* What both filters check before they read the drawable, then the read. NULL with *status set
 * when there is nothing to do (SUCCESS) or the call cannot go on (with *error). */
static Target *
read_drawable (const FilterInfo *filter, GimpRunMode run_mode, GimpDrawable **drawables,
               GimpProcedureConfig *config, GimpPDBStatusType *status, GError **error)
{
  gboolean texture = filter == &vkstyle_texture_filter;
  g_autofree char *model = NULL;
  Target *target;

  *status = GIMP_PDB_EXECUTION_ERROR;
  if (drawables == NULL || drawables[0] == NULL || drawables[1] != NULL)
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IMAGE,
                           texture ? _("Neural Texture works on one layer at a time: select a "
                                       "single layer.")
                                   : _("Style Transfer works on one layer at a time: select a "
                                       "single layer."));
      *status = GIMP_PDB_CALLING_ERROR;
      return NULL;
    }
  g_object_get (config, "model", &model, NULL);
  if (run_mode == GIMP_RUN_WITH_LAST_VALS && (model == NULL || model[0] == '\0'))
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO,
                           texture ? _("Neural Texture has not been used yet: open it from the "
                                       "Filters menu first.")
                                   : _("Style Transfer has not been used yet: open it from the "
                                       "Filters menu first."));
      return NULL;
    }
  if (gimp_drawable_is_indexed (drawables[0]))
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IMAGE,
                           texture ? _("A texture cannot be rendered into an indexed image. "
                                       "Convert the image to RGB first (Image ▸ Mode ▸ RGB).")
                                   : _("Indexed images cannot be stylized. Convert the image to "
                                       "RGB first (Image ▸ Mode ▸ RGB)."));
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
  return target;
}

static GimpPDBStatusType
run_texture_checked (GimpProcedure *procedure, GimpRunMode run_mode, GimpDrawable **drawables,
                     GimpProcedureConfig *config, GError **error)
{
  const FilterInfo *filter = &vkstyle_texture_filter;
  TextureSettings settings;
  FilterValue values[TEXTURE_N_ARGS];
  g_auto (GStrv) strings = NULL;
  GimpPDBStatusType status;
  g_autoptr (Target) target = read_drawable (filter, run_mode, drawables, config, &status,
                                             error);

  if (target == NULL)
    return status;
  pixel_region_make_opaque (target->pixels);
  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();

      return texture_dialog_run (procedure, config, target, stylizer, plugin_dir)
                 ? GIMP_PDB_SUCCESS : GIMP_PDB_CANCEL;
    }
  texture_settings_init_defaults (&settings);
  filter_values_from_config (filter, config, values, &strings);
  if (!texture_settings_from_values (&settings, values, error))
    return GIMP_PDB_CALLING_ERROR;
  if (!texture_without_dialog (target, &settings, error))
    return GIMP_PDB_EXECUTION_ERROR;
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return GIMP_PDB_SUCCESS;
}

static GimpPDBStatusType
run_checked (GimpProcedure *procedure, GimpRunMode run_mode, GimpDrawable **drawables,
             GimpProcedureConfig *config, GError **error)
{
  const FilterInfo *filter = &vkstyle_stylize_filter;
  VkstyleSettings settings;
  FilterValue values[STYLIZE_N_ARGS];
  g_auto (GStrv) strings = NULL;
  GimpPDBStatusType status;
  g_autoptr (Target) target = read_drawable (filter, run_mode, drawables, config, &status,
                                             error);

  if (target == NULL)
    return status;

  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();
      gboolean used = FALSE;

      g_object_get (config, "used", &used, NULL);
      if (!used)
        g_object_set (config, "scale",
                      vkstyle_settings_first_run_scale (target->pixels->width,
                                                        target->pixels->height), NULL);
      if (!vkstyle_dialog_run (procedure, config, target, stylizer, plugin_dir))
        return GIMP_PDB_CANCEL;
      g_object_set (config, "used", TRUE, NULL);
      return GIMP_PDB_SUCCESS;
    }

  vkstyle_settings_init_defaults (&settings);
  filter_values_from_config (filter, config, values, &strings);
  if (!vkstyle_settings_from_values (&settings, values, error))
    return GIMP_PDB_CALLING_ERROR;
  if (!run_without_dialog (target, &settings, error))
    return GIMP_PDB_EXECUTION_ERROR;
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_displays_flush ();
  return GIMP_PDB_SUCCESS;
}

/* run_data: the FilterInfo (filter_procedure_new). */
static GimpValueArray *
run_filter (GimpProcedure *procedure, GimpRunMode run_mode, GimpImage *image,
            GimpDrawable **drawables, GimpProcedureConfig *config, gpointer run_data)
{
  gboolean texture = run_data == &vkstyle_texture_filter;
  GError *error = NULL;
  GimpPDBStatusType status;

  (void) image;
  gegl_init (NULL, NULL);
  status = (texture ? run_texture_checked : run_checked) (procedure, run_mode, drawables, config,
                                                          &error);
  if (status != GIMP_PDB_SUCCESS && error != NULL)
    {
      g_autofree char *message = stylizer_describe_error_for (error, texture ? MODEL_KIND_TEXTURE
                                                                             : MODEL_KIND_STYLE);

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
  if (filter == &vkstyle_texture_filter)
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
