/* What a training run leaves in its output folder for people to look at, all written atomically
 * (temporary file in the same folder, then rename), so a reader never sees half a file:
 *   losses.csv                 "step,epoch,<loss names...>,lr,it_per_s", one row per logged step
 *                              (lr: the learning rate that step trained at)
 *   losses.png                 the loss curves (raw faint, smoothed bold), legend, axes
 *   samples/step_NNNNNN.png    a grid of labelled images (e.g. real A, fake B, rec A, idt B /
 *   samples/latest.png           real B, fake A, rec B, idt A) and a copy of the newest
 *   index.html                 the latest grid, the plot and the last losses
 * Errors are GErrors (VKS_ERROR_IO) naming the file. */
#pragma once
#include <glib.h>

typedef struct VksReport VksReport;

/* One cell of a sample grid: a 3 x height x width CHW float image in [-1, 1] (values outside are
 * clamped) under a label; chw NULL leaves the cell empty (e.g. no identity images when its loss
 * weight is 0). */
typedef struct {
  const char *label;
  const float *chw;
  int width;
  int height;
} VksSampleCell;

/* Creates out_dir and out_dir/samples if needed (an error when that is impossible). loss_names:
 * n_losses column names, copied. Nothing is written yet. */
VksReport *vks_report_new (const char *out_dir, const char *const *loss_names, guint n_losses,
                           GError **error);
void vks_report_free (VksReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksReport, vks_report_free)

/* For a resumed run: reads the rows of an existing losses.csv whose step is ≤ up_to_step (later
 * rows were logged after the checkpoint and will be logged again). No file is not an error; a
 * file with other columns is (VKS_ERROR_IO), and then nothing is kept. A file from before the lr
 * column (no "lr") is read too; its rows are written back with lr "nan". */
gboolean vks_report_resume (VksReport *report, guint64 up_to_step, GError **error);

/* Appends a row (losses: n_losses values; NaN/inf are written as nan/inf and left out of the
 * plot; lr in shortest round-trip form, so a test can compare it exactly) and rewrites
 * losses.csv. */
gboolean vks_report_log (VksReport *report, guint64 step, guint64 epoch, const double *losses,
                         double lr, double its_per_second, GError **error);
guint vks_report_n_rows (const VksReport *report);

/* losses.png from the rows so far (a blank plot with axes when there are none). */
gboolean vks_report_write_plot (VksReport *report, GError **error);

/* samples/step_NNNNNN.png and samples/latest.png: n_rows x n_columns cells, row-major. */
gboolean vks_report_write_samples (VksReport *report, guint64 step, const VksSampleCell *cells,
                                   int n_rows, int n_columns, GError **error);

/* One more plot for index.html, below the losses: a title, an image and its data file, both
 * relative to out_dir (e.g. the trainer's metrics.png and metrics.csv, trainer/eval_log.h). */
void vks_report_add_figure (VksReport *report, const char *title, const char *image,
                            const char *csv);

/* index.html (refreshes itself every minute in a browser). */
gboolean vks_report_write_index (VksReport *report, GError **error);
