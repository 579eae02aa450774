/* metrics.csv and metrics.png (see eval_log.h), with report.c's number format and writer. */
#include "trainer/eval_log.h"
#include "trainer/report-private.h"
#include "engine/error.h"

#include <string.h>

#define HEADER "step,fid,kid,kid_std"
#define N_VALUES 3   /* fid, kid, kid_std */

typedef struct {
  guint64 step;
  double values[N_VALUES];
} Row;

struct VksEvalLog {
  char *csv_path, *png_path;
  GArray *rows;   /* of Row */
};

VksEvalLog *
vks_eval_log_new (const char *out_dir)
{
  VksEvalLog *log = g_new0 (VksEvalLog, 1);
  log->csv_path = g_build_filename (out_dir, "metrics.csv", NULL);
  log->png_path = g_build_filename (out_dir, "metrics.png", NULL);
  log->rows = g_array_new (FALSE, FALSE, sizeof (Row));
  return log;
}

void
vks_eval_log_free (VksEvalLog *log)
{
  if (!log)
    return;
  g_array_unref (log->rows);
  g_free (log->csv_path);
  g_free (log->png_path);
  g_free (log);
}

guint
vks_eval_log_n_rows (const VksEvalLog *log)
{
  return log->rows->len;
}

static gboolean
write_csv (const VksEvalLog *log, GError **error)
{
  GString *s = g_string_new (HEADER "\n");
  for (guint r = 0; r < log->rows->len; r++) {
    const Row *row = &g_array_index (log->rows, Row, r);
    g_string_append_printf (s, "%" G_GUINT64_FORMAT, row->step);
    for (int v = 0; v < N_VALUES; v++) {
      g_string_append_c (s, ',');
      vks_report_append_number (s, row->values[v]);
    }
    g_string_append_c (s, '\n');
  }
  gboolean ok = vks_report_write_atomically (log->csv_path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

static gboolean
write_plot (const VksEvalLog *log, GError **error)
{
  static const char *const names[] = { "FID", "KID" };
  const guint n = log->rows->len;
  g_autofree double *steps = g_new (double, MAX (n, 1));
  g_autofree double *values = g_new (double, MAX (n, 1) * 2);
  for (guint r = 0; r < n; r++) {
    const Row *row = &g_array_index (log->rows, Row, r);
    steps[r] = (double) row->step;
    values[2 * r] = row->values[0];
    values[2 * r + 1] = row->values[1];
  }
  g_autoptr (GBytes) png = vks_report_render_panels (names, 2, steps, values, n, error);
  if (!png)
    return FALSE;
  gsize length = 0;
  const void *data = g_bytes_get_data (png, &length);
  return vks_report_write_atomically (log->png_path, data, length, error);
}

gboolean
vks_eval_log_append (VksEvalLog *log, guint64 step, double fid, double kid, double kid_std,
                     GError **error)
{
  Row row = { step, { fid, kid, kid_std } };
  g_array_append_val (log->rows, row);
  return write_csv (log, error) && write_plot (log, error);
}

gboolean
vks_eval_log_resume (VksEvalLog *log, guint64 up_to_step, GError **error)
{
  g_autofree char *contents = NULL;
  GError *inner = NULL;
  if (!g_file_get_contents (log->csv_path, &contents, NULL, &inner)) {
    gboolean missing = g_error_matches (inner, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    if (!missing)
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot read %s: %s", log->csv_path,
                   inner->message);
    g_error_free (inner);
    return missing;
  }
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  if (!lines[0] || strcmp (g_strchomp (lines[0]), HEADER) != 0) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: its columns are not \"%s\"", log->csv_path,
                 HEADER);
    return FALSE;
  }
  g_array_set_size (log->rows, 0);
  for (guint l = 1; lines[l]; l++) {
    if (g_strchomp (lines[l])[0] == '\0')
      continue;
    g_auto (GStrv) fields = g_strsplit (lines[l], ",", -1);
    Row row = { 0 };
    gboolean ok = g_strv_length (fields) == 1 + N_VALUES &&
                  g_ascii_string_to_unsigned (fields[0], 10, 0, G_MAXUINT64, &row.step, NULL);
    for (int v = 0; ok && v < N_VALUES; v++)
      ok = vks_report_parse_number (fields[1 + v], &row.values[v]);
    if (!ok) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: line %u is not a row of %d numbers",
                   log->csv_path, l + 1, 1 + N_VALUES);
      g_array_set_size (log->rows, 0);
      return FALSE;
    }
    if (row.step <= up_to_step)
      g_array_append_val (log->rows, row);
  }
  /* consistent with the checkpoint from now on, even if no evaluation follows */
  return write_csv (log, error) && write_plot (log, error);
}
