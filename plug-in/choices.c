#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "engine/context.h"
#include "plug-in/choices.h"

static gboolean
same_name (GPtrArray *found, guint i, guint j)
{
  return j < found->len
         && strcmp (((ModelInfo *) found->pdata[i])->name,
                    ((ModelInfo *) found->pdata[j])->name) == 0;
}

char *
choices_model_label (GPtrArray *found, guint i)
{
  const ModelInfo *info = found->pdata[i];

  if ((i > 0 && same_name (found, i, i - 1)) || same_name (found, i, i + 1))
    return choices_model_file_label (info);
  return g_strdup (info->name);
}

char *
choices_model_file_label (const ModelInfo *info)
{
  g_autofree char *base = g_path_get_basename (info->path);

  return g_strdup_printf ("%s (%s)", info->name, base);
}

char *
choices_no_models_text (ModelKind kind, const char *profile_dir)
{
  g_autofree char *user_dir = models_user_dir (profile_dir);

  return g_strdup_printf (_(model_kind_texts (kind)->none_found), user_dir);
}

/* The engine names devices "0: llvmpipe (LLVM 15.0.6, 256 bits)": the part after the colon is
 * for people, the part before is a selector. */
static const char *
device_label (const char *device)
{
  const char *colon = strchr (device, ':');

  return colon ? colon + 1 + strspn (colon + 1, " ") : device;
}

DeviceChoices *
device_choices_new (const char *current)
{
  DeviceChoices *choices = g_new0 (DeviceChoices, 1);
  g_autoptr (GError) error = NULL;
  int chosen = -1;
  g_auto (GStrv) devices = vks_list_devices ("", &chosen, &error);
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) selectors = g_ptr_array_new_with_free_func (g_free);

  if (current == NULL)
    current = "";
  /* "Automatic" names the device it stands for, so nobody has to guess */
  if (devices != NULL && chosen >= 0 && (guint) chosen < g_strv_length (devices))
    g_ptr_array_add (labels, g_strdup_printf (_("Automatic: %s"), device_label (devices[chosen])));
  else
    g_ptr_array_add (labels, g_strdup (_("Automatic")));
  g_ptr_array_add (selectors, g_strdup (""));

  for (int i = 0; devices && devices[i]; i++)
    {
      const char *colon = strchr (devices[i], ':');
      char *selector = colon ? g_strndup (devices[i], colon - devices[i])
                             : g_strdup_printf ("%d", i);

      g_ptr_array_add (labels, g_strdup (device_label (devices[i])));
      g_ptr_array_add (selectors, selector);
      if (strcmp (selector, current) == 0)
        choices->active = selectors->len - 1;
    }
  if (choices->active == 0 && current[0] != '\0')
    {
      g_ptr_array_add (labels, g_strdup_printf (_("Matching “%s”"), current));
      g_ptr_array_add (selectors, g_strdup (current));
      choices->active = selectors->len - 1;
    }
  g_ptr_array_add (labels, NULL);
  g_ptr_array_add (selectors, NULL);
  choices->labels = (char **) g_ptr_array_steal (labels, NULL);
  choices->selectors = (char **) g_ptr_array_steal (selectors, NULL);
  return choices;
}

void
device_choices_free (DeviceChoices *choices)
{
  if (choices == NULL)
    return;
  g_strfreev (choices->labels);
  g_strfreev (choices->selectors);
  g_free (choices);
}

char *
choices_size_note (const PixelRegion *region, double scale)
{
  int width, height;

  pixel_region_network_size (region, scale, &width, &height);
  /* short enough for one line even for huge images: a wrapping label would make the dialog
   * jump while the slider moves */
  if (width == region->width && height == region->height)
    return g_strdup_printf (_("Computed at full size, %d × %d px."), width, height);
  return g_strdup_printf (_("Computed at %d × %d px, then enlarged to %d × %d px."), width,
                          height, region->width, region->height);
}
