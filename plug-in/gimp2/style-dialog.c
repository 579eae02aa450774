/* GIMP 2.10: Style Transfer's rows of the dialog (dialog-frame.h): strength, processing size
 * with its note, output (output-rows.c). */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "plug-in/gimp2/dialog.h"
#include "plug-in/gimp2/output-rows.h"

typedef struct {
  VkstyleSettings *settings;
  OutputRows output;
} StyleRows;

static double
selected_strength (gpointer filter)
{
  return output_rows_strength (&((StyleRows *) filter)->output);
}

static gboolean
selected_new_layer (gpointer filter)
{
  return output_rows_new_layer (&((StyleRows *) filter)->output);
}

static int
build_rows (gpointer filter, DialogFrame *frame, GtkTable *table, int row)
{
  StyleRows *s = filter;

  return output_rows_build (&s->output, frame, table, row, s->settings->strength,
                            s->settings->scale, s->settings->new_layer != 0);
}

static void
fill_request (gpointer filter, JobRequest *request)
{
  request->scale = output_rows_scale (&((StyleRows *) filter)->output);
}

static void
store (gpointer filter, DialogFrame *frame)
{
  StyleRows *s = filter;

  dialog_frame_store (frame, s->settings->model, sizeof s->settings->model,
                      s->settings->device, sizeof s->settings->device, &s->settings->preview);
  s->settings->strength = output_rows_strength (&s->output);
  s->settings->scale = output_rows_scale (&s->output);
  s->settings->new_layer = output_rows_new_layer (&s->output);
}

static const DialogFilter style_filter = {
  .kind = MODEL_KIND_STYLE,
  .title = N_("Style Transfer"),
  .build_rows = build_rows,
  .fill_request = fill_request,
  .strength = selected_strength,
  .new_layer = selected_new_layer,
  .store = store,
};

gboolean
vkstyle_dialog_run (const Target *target, Stylizer *stylizer, const char *plugin_dir,
                    VkstyleSettings *settings)
{
  StyleRows rows = { .settings = settings };

  return dialog_frame_run (&style_filter, &rows, target, stylizer, plugin_dir, settings->model,
                           settings->device, settings->preview);
}
