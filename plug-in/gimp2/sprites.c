#include "config.h"

#include <glib/gi18n-lib.h>

#include "engine/error.h"
#include "plug-in/diffusion-job.h"
#include "plug-in/gimp2/last-values.h"
#include "plug-in/gimp2/sprites.h"
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libgimp/gimpui.h>
#pragma GCC diagnostic pop
#include "plug-in/gtk/sprites-dialog.h"
#include "plug-in/settings.h"
#include "plug-in/sprite-sheet.h"

/* run-mode, then the filter's own (filter.h); the new image comes back */
#define N_LEADING_ARGS 1

static GimpPDBArgType
pdb_type (FilterArgType type)
{
  switch (type)
    {
    case FILTER_ARG_STRING:
      return GIMP_PDB_STRING;
    case FILTER_ARG_DOUBLE:
      return GIMP_PDB_FLOAT;
    default:
      return GIMP_PDB_INT32;
    }
}

void
sprites_install (void)
{
  const FilterInfo *filter = &vkstyle_sprites_filter;
  GimpParamDef args[FILTER_MAX_ARGS] = {
    { GIMP_PDB_INT32, (gchar *) "run-mode",
      (gchar *) "The run mode { RUN-INTERACTIVE (0), RUN-NONINTERACTIVE (1), "
                "RUN-WITH-LAST-VALS (2) }" },
  };
  static const GimpParamDef returned[] = {
    { GIMP_PDB_IMAGE, (gchar *) "image", (gchar *) "The new image of the sprites" },
  };

  g_return_if_fail (N_LEADING_ARGS + filter->n_args <= FILTER_MAX_ARGS);
  for (int i = 0; i < filter->n_args; i++)
    {
      args[N_LEADING_ARGS + i].type = pdb_type (filter->args[i].type);
      args[N_LEADING_ARGS + i].name = (gchar *) filter->args[i].name;
      args[N_LEADING_ARGS + i].description = (gchar *) filter->args[i].blurb;
    }
  gimp_install_procedure (filter->procedure, filter->blurb, filter->help, filter->author,
                          filter->copyright, filter->date, filter->menu_label,
                          filter->image_types, GIMP_PLUGIN, N_LEADING_ARGS + filter->n_args,
                          G_N_ELEMENTS (returned), args, returned);
  gimp_plugin_menu_register (filter->procedure, filter->menu_path);
}

static gboolean
settings_from_params (SpritesSettings *settings, int n_params, const GimpParam *params,
                      GError **error)
{
  const FilterInfo *filter = &vkstyle_sprites_filter;
  FilterValue values[SPRITES_N_ARGS];

  if (n_params != N_LEADING_ARGS + filter->n_args)
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _("%s takes %d arguments, %d were given."),
                   filter->procedure, N_LEADING_ARGS + filter->n_args, n_params);
      return FALSE;
    }
  for (int i = 0; i < filter->n_args; i++)
    {
      const GimpParam *param = &params[N_LEADING_ARGS + i];

      values[i].string = filter->args[i].type == FILTER_ARG_STRING ? param->data.d_string : NULL;
      values[i].number = filter->args[i].type == FILTER_ARG_DOUBLE ? param->data.d_float
                         : filter->args[i].type == FILTER_ARG_STRING ? 0.0
                                                                     : param->data.d_int32;
    }
  return sprites_settings_from_values (settings, values, error);
}

static void
report_to_gimp_progress (double fraction, const char *text, gpointer user_data)
{
  (void) user_data;
  gimp_progress_set_text (text);
  gimp_progress_update (fraction);
}

gint32
sprites_image_new (const float *rgb, int count, int size, int upscale, const char *model_name,
                   GError **error)
{
  int cell = size * upscale, columns, rows;
  gint32 image;

  sprite_sheet_grid (count, &columns, &rows);
  image = gimp_image_new (columns * cell, rows * cell, GIMP_RGB);
  if (image < 0)
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IMAGE, _("Could not create the image."));
      return -1;
    }
  /* a new image starts with nothing to undo */
  gimp_image_undo_disable (image);
  for (int i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf (_("%s, sprite %d"), model_name, i + 1);
      g_autofree float *big = sprite_sheet_upscale (rgb + (gsize) i * size * size * 3, size,
                                                    upscale);
      gint32 layer = gimp_layer_new (image, name, cell, cell, GIMP_RGB_IMAGE, 100.0,
                                     GIMP_LAYER_MODE_NORMAL);
      GeglBuffer *buffer;
      int x, y;

      if (big == NULL || layer < 0 || !gimp_image_insert_layer (image, layer, -1, i))
        {
          gimp_image_delete (image);
          g_set_error (error, VKS_ERROR, VKS_ERROR_OUT_OF_MEMORY,
                       _("Not enough memory for %d sprites of %d × %d pixels."), count, cell,
                       cell);
          return -1;
        }
      sprite_sheet_cell_origin (count, i, cell, &x, &y);
      gimp_layer_set_offsets (layer, x, y);
      buffer = gimp_drawable_get_buffer (layer);
      gegl_buffer_set (buffer, GEGL_RECTANGLE (0, 0, cell, cell), 0, babl_format ("R'G'B' float"),
                       big, GEGL_AUTO_ROWSTRIDE);
      /* the tiles travel to GIMP on flush */
      gegl_buffer_flush (buffer);
      g_object_unref (buffer);
    }
  gimp_image_undo_enable (image);
  gimp_image_clean_all (image);
  return image;
}

/* Without a dialog: resolve the model, draw, make the image. */
static gint32
run_without_dialog (const SpritesSettings *settings, const char *plugin_dir, GError **error)
{
  g_autoptr (Stylizer) stylizer = stylizer_new ();
  JobRequest request = { 0 };
  g_autofree char *model_name = NULL;
  g_autofree float *rgb = NULL;
  int size;

  if (!job_request_from_sprites_settings (&request, settings, gimp_directory (), plugin_dir,
                                          error))
    return -1;
  size = diffusion_request_sprite_size (&request, error);
  if (size <= 0)
    {
      job_request_clear (&request);
      return -1;
    }
  gimp_progress_init (_(vkstyle_sprites_filter.progress_title));
  rgb = job_run_request (stylizer, NULL, &request, report_to_gimp_progress, NULL, &model_name,
                         error);
  gimp_progress_end ();
  if (rgb == NULL)
    return -1;
  return sprites_image_new (rgb, settings->count, size, settings->upscale, model_name, error);
}

static GimpPDBStatusType
run_sprites (GimpRunMode run_mode, int n_params, const GimpParam *params,
             const char *plugin_dir, gint32 *image, GError **error)
{
  SpritesSettings settings;
  gboolean have_last;

  sprites_settings_init_defaults (&settings);
  have_last = sprites_last_values_load (&settings);
  if (run_mode == GIMP_RUN_NONINTERACTIVE
      && !settings_from_params (&settings, n_params, params, error))
    return GIMP_PDB_CALLING_ERROR;
  if (run_mode == GIMP_RUN_WITH_LAST_VALS && !have_last)
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO,
                           _(vkstyle_sprites_filter.not_used_message));
      return GIMP_PDB_EXECUTION_ERROR;
    }
  if (run_mode == GIMP_RUN_INTERACTIVE)
    {
      g_autoptr (Stylizer) stylizer = stylizer_new ();

      if (!sprites_dialog_run (stylizer, plugin_dir, &settings, image))
        return GIMP_PDB_CANCEL;
      sprites_last_values_save (&settings);
      return GIMP_PDB_SUCCESS;
    }
  *image = run_without_dialog (&settings, plugin_dir, error);
  if (*image < 0)
    return GIMP_PDB_EXECUTION_ERROR;
  if (run_mode != GIMP_RUN_NONINTERACTIVE)
    gimp_display_new (*image);
  /* a script's values are what Repeat replays, as for the other filters */
  sprites_last_values_save (&settings);
  return GIMP_PDB_SUCCESS;
}

gboolean
sprites_run (const char *name, int n_params, const GimpParam *params, int *n_return_vals,
             GimpParam **return_vals, const char *plugin_dir)
{
  static GimpParam values[2];
  static char *message;   /* libgimp sends it after run() returns */
  g_autoptr (GError) error = NULL;
  GimpPDBStatusType status;
  gint32 image = -1;

  if (g_strcmp0 (name, VKSTYLE_SPRITES_PROC) != 0)
    return FALSE;
  status = run_sprites (params[0].data.d_int32, n_params, params, plugin_dir, &image, &error);
  *return_vals = values;
  *n_return_vals = 1;
  values[0].type = GIMP_PDB_STATUS;
  if (status == GIMP_PDB_SUCCESS)
    {
      *n_return_vals = 2;
      values[1].type = GIMP_PDB_IMAGE;
      values[1].data.d_image = image;
    }
  else if (error != NULL)
    {
      g_clear_pointer (&message, g_free);
      message = stylizer_describe_error_for (error, MODEL_KIND_DIFFUSION);
      if (message == NULL)
        status = GIMP_PDB_CANCEL;
      else
        {
          if (params[0].data.d_int32 != GIMP_RUN_NONINTERACTIVE)
            gimp_message (message);
          *n_return_vals = 2;
          values[1].type = GIMP_PDB_STRING;
          values[1].data.d_string = message;
        }
    }
  values[0].data.d_status = status;
  return TRUE;
}

/* ---- the dialog (plug-in/gtk/sprites-dialog.c) ---- */

typedef struct {
  gint32 image;
} MadeImage;

static gboolean
make_image (const float *rgb, int count, int size, const SpritesSettings *settings,
            const char *model_name, gpointer user_data, GError **error)
{
  MadeImage *made = user_data;

  made->image = sprites_image_new (rgb, count, size, settings->upscale, model_name, error);
  if (made->image < 0)
    return FALSE;
  gimp_display_new (made->image);
  return TRUE;
}

gboolean
sprites_dialog_run (Stylizer *stylizer, const char *plugin_dir, SpritesSettings *settings,
                    gint32 *image)
{
  MadeImage made = { -1 };
  SpritesDialogHost host = {
    .profile_dir = gimp_directory (), .plugin_dir = plugin_dir,
    .set_transient = gimp_window_set_transient, .make_image = make_image, .user_data = &made,
  };

  gimp_ui_init (VKSTYLE_BINARY, FALSE);
  if (!sprites_dialog_show (&host, stylizer, settings))
    return FALSE;
  *image = made.image;
  return TRUE;
}
