#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "engine/checkpoint.h"
#include "engine/error.h"
#include "engine/models/stargan2.h"
#include "plug-in/models.h"

#define MODEL_SUFFIX ".safetensors"

static const ModelKindTexts kind_texts[] = {
  [MODEL_KIND_STYLE] = {
    N_("No style model was given."),
    N_("The style model file %s does not exist."),
    N_("No style model named “%s” was found (looked in %s)."),
    N_("No style models were found. Choose a .safetensors file, or put style models into %s."),
    N_("%s is not a style model (a CycleGAN generator)."),
    N_("Could not use this style model:\n%s"),
    N_("Style transfer failed for an unknown reason."),
    N_("%s\n\nThe image is too large for this device. Lower the processing size (scale), "
       "select a smaller area, or choose another device."),
    N_("Choose a Style Model"),
    N_("Style models (*.safetensors)"),
    N_("Use any style model file (.safetensors)"),
    N_("The Vulkan device that computes the style. A CPU device (llvmpipe) works everywhere "
       "but is slow."),
    N_("_Style:"),
  },
  [MODEL_KIND_TEXTURE] = {
    N_("No texture model was given."),
    N_("The texture model file %s does not exist."),
    N_("No texture model named “%s” was found (looked in %s)."),
    N_("No texture models were found. Choose a .safetensors file, or put texture models into "
       "%s."),
    N_("%s is not a texture model (a DCGAN or InfoGAN generator)."),
    N_("Could not use this texture model:\n%s"),
    N_("Rendering the texture failed for an unknown reason."),
    N_("%s\n\nThe area is too large for this device. Select a smaller area, or choose another "
       "device."),
    N_("Choose a Texture Model"),
    N_("Texture models (*.safetensors)"),
    N_("Use any texture model file (.safetensors)"),
    N_("The Vulkan device that computes the texture. A CPU device (llvmpipe) works everywhere "
       "but is slow."),
    N_("_Texture:"),
  },
  [MODEL_KIND_REFERENCE] = {
    N_("No StarGAN v2 model was given."),
    N_("The StarGAN v2 model file %s does not exist."),
    N_("No StarGAN v2 model named “%s” was found (looked in %s)."),
    N_("No StarGAN v2 models were found. Choose a .safetensors file, or put StarGAN v2 models "
       "into %s."),
    N_("%s is not a StarGAN v2 model."),
    N_("Could not use this StarGAN v2 model:\n%s"),
    N_("Style from reference failed for an unknown reason."),
    N_("%s\n\nThe image is too large for this device. Lower the processing size (scale), "
       "select a smaller area, or choose another device."),
    N_("Choose a StarGAN v2 Model"),
    N_("StarGAN v2 models (*.safetensors)"),
    N_("Use any StarGAN v2 model file (.safetensors)"),
    N_("The Vulkan device that computes the result. A CPU device (llvmpipe) works everywhere "
       "but is slow."),
    N_("_Model:"),
  },
  [MODEL_KIND_DIFFUSION] = {
    N_("No diffusion model was given."),
    N_("The diffusion model file %s does not exist."),
    N_("No diffusion model named “%s” was found (looked in %s)."),
    N_("No diffusion models were found. Choose a .safetensors file, or put diffusion models "
       "into %s."),
    N_("%s is not a diffusion model (a context U-Net)."),
    N_("Could not use this diffusion model:\n%s"),
    N_("The diffusion model failed for an unknown reason."),
    N_("%s\n\nThis is too much for this device at once. Select a smaller area, draw fewer "
       "sprites, or choose another device."),
    N_("Choose a Diffusion Model"),
    N_("Diffusion models (*.safetensors)"),
    N_("Use any diffusion model file (.safetensors)"),
    N_("The Vulkan device that runs the diffusion model. A CPU device (llvmpipe) works "
       "everywhere but is slow."),
    N_("_Model:"),
  },
};

const ModelKindTexts *
model_kind_texts (ModelKind kind)
{
  g_return_val_if_fail ((gsize) kind < G_N_ELEMENTS (kind_texts), &kind_texts[0]);
  return &kind_texts[kind];
}

void
model_info_free (ModelInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->path);
  g_free (info->name);
  g_free (info->description);
  g_strfreev (info->domains);
  g_free (info);
}

static char *
file_stem (const char *path)
{
  char *base = g_path_get_basename (path);

  if (g_str_has_suffix (base, MODEL_SUFFIX))
    base[strlen (base) - strlen (MODEL_SUFFIX)] = '\0';
  return base;
}

ModelInfo *
model_info_from_file (const char *path, GError **error)
{
  g_autoptr (VksCheckpoint) header = vks_checkpoint_load_header (path, error);
  const char *name, *description, *arch;
  VksGanConfig gan = { 0 };
  VksUnetConfig unet = { 0 };
  g_auto (GStrv) domains = NULL;
  ModelKind kind = MODEL_KIND_STYLE;
  ModelInfo *info;

  if (header == NULL)
    return NULL;
  arch = vks_checkpoint_get_metadata (header, "vkstyle.arch");
  if (g_strcmp0 (arch, VKS_ARCH_DCGAN) == 0 || g_strcmp0 (arch, VKS_ARCH_INFOGAN) == 0)
    {
      if (!vks_gan_config_from_checkpoint (header, &gan, error))
        return NULL;
      kind = MODEL_KIND_TEXTURE;
    }
  else if (g_strcmp0 (arch, VKS_ARCH_STARGAN2) == 0)
    {
      VksStarGan2Config cfg;

      /* the dialog's domain list comes from the header alone */
      if (!vks_stargan2_config_from_checkpoint (header, &cfg, error))
        return NULL;
      domains = vks_stargan2_domains (header, &cfg, error);
      if (domains == NULL)
        return NULL;
      kind = MODEL_KIND_REFERENCE;
    }
  else if (g_strcmp0 (arch, VKS_ARCH_CONTEXT_UNET) == 0)
    {
      /* the class sliders and the sprites' size come from the header alone */
      if (!vks_unet_config_from_checkpoint (header, &unet, error))
        return NULL;
      kind = MODEL_KIND_DIFFUSION;
    }
  name = vks_checkpoint_get_metadata (header, "vkstyle.name");
  description = vks_checkpoint_get_metadata (header, "vkstyle.description");
  info = g_new0 (ModelInfo, 1);
  info->kind = kind;
  info->gan = gan;
  info->unet = unet;
  info->domains = g_steal_pointer (&domains);
  info->path = g_strdup (path);
  info->name = (name && name[0]) ? g_strdup (name) : file_stem (path);
  info->description = g_strdup (description ? description : "");
  return info;
}

char *
models_user_dir (const char *profile_dir)
{
  return g_build_filename (profile_dir, "vkstyle", "models", NULL);
}

char **
models_search_dirs (const char *profile_dir, const char *plugin_dir)
{
  GPtrArray *dirs = g_ptr_array_new ();

  g_ptr_array_add (dirs, models_user_dir (profile_dir));
  if (plugin_dir != NULL)
    g_ptr_array_add (dirs, g_build_filename (plugin_dir, "weights", NULL));
  g_ptr_array_add (dirs, g_strdup (VKSTYLE_WEIGHTS_DIR));
  g_ptr_array_add (dirs, NULL);
  return (char **) g_ptr_array_free (dirs, FALSE);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Model files of one folder, sorted by file name so the search order is reproducible. */
static GPtrArray *
list_model_files (const char *dir_path)
{
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *entry;

  if (dir == NULL)
    return files;
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, MODEL_SUFFIX))
      g_ptr_array_add (files, g_build_filename (dir_path, entry, NULL));
  g_ptr_array_sort (files, compare_strings);
  return files;
}

static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  const ModelInfo *ma = *(ModelInfo *const *) a;
  const ModelInfo *mb = *(ModelInfo *const *) b;
  g_autofree char *ka = g_utf8_collate_key (ma->name, -1);
  g_autofree char *kb = g_utf8_collate_key (mb->name, -1);
  int order = strcmp (ka, kb);

  return order != 0 ? order : strcmp (ma->path, mb->path);
}

GPtrArray *
models_find_all (ModelKind kind, const char *profile_dir, const char *plugin_dir)
{
  GPtrArray *models = g_ptr_array_new_with_free_func ((GDestroyNotify) model_info_free);
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) dirs = models_search_dirs (profile_dir, plugin_dir);

  for (char **dir = dirs; *dir; dir++)
    {
      g_autoptr (GPtrArray) files = list_model_files (*dir);

      for (guint i = 0; i < files->len; i++)
        {
          const char *path = files->pdata[i];
          g_autoptr (GError) error = NULL;
          /* realpath folds symlinks and "a/../a"; a dangling link keeps its own name */
          char *real = realpath (path, NULL);
          ModelInfo *info;

          if (!g_hash_table_add (seen, real ? real : g_strdup (path)))
            continue;
          info = model_info_from_file (path, &error);
          if (info == NULL)
            {
              g_message (_("Skipping model %s: %s"), path, error->message);
              continue;
            }
          if (info->kind != kind)
            {
              model_info_free (info);
              continue;
            }
          g_ptr_array_add (models, info);
        }
    }
  g_ptr_array_sort (models, compare_by_name);
  return models;
}

static gboolean
names_equal (const char *a, const char *b)
{
  g_autofree char *fa = g_utf8_casefold (a, -1);
  g_autofree char *fb = g_utf8_casefold (b, -1);

  return g_utf8_collate (fa, fb) == 0;
}

char *
models_resolve (ModelKind kind, const char *model, const char *profile_dir,
                const char *plugin_dir, GError **error)
{
  const ModelKindTexts *texts = model_kind_texts (kind);
  g_auto (GStrv) dirs = NULL;
  g_autofree char *searched = NULL;

  if (model == NULL || model[0] == '\0')
    {
      g_set_error_literal (error, VKS_ERROR, VKS_ERROR_IO, _(texts->none_given));
      return NULL;
    }
  if (g_file_test (model, G_FILE_TEST_IS_REGULAR))
    return g_strdup (model);
  if (strchr (model, G_DIR_SEPARATOR) != NULL || g_str_has_suffix (model, MODEL_SUFFIX))
    {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _(texts->file_missing), model);
      return NULL;
    }

  /* Search order, not alphabetical order, decides between equal names: a model in the user's
   * own folder overrides an installed one of the same name. */
  dirs = models_search_dirs (profile_dir, plugin_dir);
  for (char **dir = dirs; *dir; dir++)
    {
      g_autoptr (GPtrArray) files = list_model_files (*dir);

      for (guint i = 0; i < files->len; i++)
        {
          const char *path = files->pdata[i];
          g_autofree char *stem = file_stem (path);
          g_autoptr (ModelInfo) info = model_info_from_file (path, NULL);

          /* a file of the other kind is not meant, even by its file name (a style and a
           * texture may well share one); an unreadable one named so is, and the engine says
           * what is wrong with it */
          if (info == NULL ? names_equal (stem, model)
                           : info->kind == kind && (names_equal (stem, model)
                                                    || names_equal (info->name, model)))
            return g_strdup (path);
        }
    }
  searched = g_strjoinv (", ", dirs);
  g_set_error (error, VKS_ERROR, VKS_ERROR_IO, _(texts->name_missing), model, searched);
  return NULL;
}
