/* What the dialogs offer, computed once for both toolkits: the style list's entries, the device
 * list's entries and the processing-size note. Only the widgets differ between GTK 2 and 3. */
#pragma once
#include <glib.h>
#include "plug-in/models.h"
#include "plug-in/region.h"

/* The label of found[i] in the style list: its name, with the file name added when a neighbour
 * (the list is sorted by name) carries the same name, e.g. an installed and a personal copy. */
char *choices_model_label (GPtrArray *found, guint i);
/* The label of a model chosen from elsewhere with "Choose File…": name and file name. */
char *choices_model_file_label (const ModelInfo *info);
/* What the description line says when no model was found at all. g_free. */
char *choices_no_models_text (ModelKind kind, const char *profile_dir);

typedef struct {
  char **labels;     /* what the list shows; the first is "Automatic: <device>" */
  char **selectors;  /* parallel: what goes into the "device" argument ("" for automatic) */
  int active;        /* the entry for the current selector */
} DeviceChoices;

/* Lists the Vulkan devices. A `current` selector that is not one of theirs (a script's
 * "nvidia") gets an entry of its own, so it stays selected. */
DeviceChoices *device_choices_new (const char *current);
void device_choices_free (DeviceChoices *choices);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeviceChoices, device_choices_free)

/* "Computed at 512 × 384 px, then enlarged to 1024 × 768 px." for `scale`. g_free. */
char *choices_size_note (const PixelRegion *region, double scale);
