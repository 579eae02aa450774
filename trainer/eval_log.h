/* The evaluations of a training run in its output folder, written atomically as the other
 * report files (trainer/report.h):
 *   metrics.csv   "step,fid,kid,kid_std", one row per evaluation
 *   metrics.png   FID and KID against step, one panel each (their scales differ by ~1000x)
 * Errors are GErrors (VKS_ERROR_IO) naming the file. */
#pragma once
#include <glib.h>

typedef struct VksEvalLog VksEvalLog;

/* out_dir must exist (vks_report_new makes it). Nothing is written yet. */
VksEvalLog *vks_eval_log_new (const char *out_dir);
void vks_eval_log_free (VksEvalLog *log);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VksEvalLog, vks_eval_log_free)

/* For a resumed run, as vks_report_resume does for losses.csv: keeps the rows of an existing
 * metrics.csv whose step is <= up_to_step (later ones were measured after the checkpoint and
 * will be measured again) and rewrites both files with them. No file is not an error; other
 * columns or a bad row are. */
gboolean vks_eval_log_resume (VksEvalLog *log, guint64 up_to_step, GError **error);

/* Appends a row and rewrites metrics.csv and metrics.png. */
gboolean vks_eval_log_append (VksEvalLog *log, guint64 step, double fid, double kid,
                              double kid_std, GError **error);
guint vks_eval_log_n_rows (const VksEvalLog *log);
