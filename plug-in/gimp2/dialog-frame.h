/* GIMP 2.10: what both filters' dialogs (GTK 2) share: the window with Cancel and Apply, the
 * model list with Choose File…, the device list, "Preview on canvas", the message and progress
 * area, the preview layer and the session (plug-in/session.c) that drives them. A filter
 * (style-dialog.c, texture-dialog.c, reference-dialog.c) adds its own rows through a DialogFilter and reads and
 * stores its own values; dialog.h is what the rest of the plug-in calls. */
#pragma once
#include <libgimp/gimp.h>
/* GTK 2's headers use GLib types deprecated since; that is not ours to fix */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libgimp/gimpui.h>
#pragma GCC diagnostic pop

#include "plug-in/gimp2/target.h"
#include "plug-in/job.h"
#include "plug-in/models.h"
#include "plug-in/stylizer.h"

typedef struct DialogFrame DialogFrame;

/* One filter's part of the dialog. Texts are untranslated (N_): the frame translates them.
 * Every function gets the `filter` given to dialog_frame_run. */
typedef struct {
  ModelKind kind;            /* also what the model row says (model_kind_texts) */
  const char *title;
  /* Adds the filter's rows to `table` from `row` on and returns the next free row. Called
   * before the model list has its selection; a row's signals may be connected here, since
   * none is emitted before the user acts. */
  int (*build_rows) (gpointer filter, DialogFrame *frame, GtkTable *table, int row);
  /* Optional: after the first selection and each change of the model. */
  void (*model_changed) (gpointer filter, DialogFrame *frame);
  /* The filter's part of the job (the frame sets kind, model and device). */
  void (*fill_request) (gpointer filter, JobRequest *request);
  /* How the result is written: strength (%) and whether on a new layer. */
  double (*strength) (gpointer filter);
  gboolean (*new_layer) (gpointer filter);
  /* After Apply wrote the result: the chosen values into the filter's settings (the frame's
   * own through dialog_frame_store). */
  void (*store) (gpointer filter, DialogFrame *frame);
} DialogFilter;

/* Builds and runs the dialog: model list starting at `model`, device at `device`, preview as
 * `preview` says. TRUE when Apply wrote the result (and `store` ran), FALSE on Cancel. */
gboolean dialog_frame_run (const DialogFilter *ops, gpointer filter, const Target *target,
                           Stylizer *stylizer, const char *plugin_dir, const char *model,
                           const char *device, gboolean preview);

/* ---- for the filters -------------------------------------------------------------------- */

const Target *dialog_frame_target (DialogFrame *frame);
/* The selected model's metadata, NULL without one (model_info_free). */
ModelInfo *dialog_frame_model_info (DialogFrame *frame);
/* A setting of the filter changed: the session recomputes the preview. */
void dialog_frame_changed (DialogFrame *frame);
/* The frame's chosen values into a filter's settings. */
void dialog_frame_store (DialogFrame *frame, char *model, gsize model_size, char *device,
                         gsize device_size, gint32 *preview);

/* A label at the left of its row, for `mnemonic_widget` when not NULL. */
GtkWidget *dialog_left_label (const char *text, GtkWidget *mnemonic_widget);
/* Small italic wrapped text under a control: descriptions, notes. */
GtkWidget *dialog_hint_label (void);
