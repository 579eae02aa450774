/* Training report files: CSV, index page, atomic writing (see report.h). */
#include "trainer/report-private.h"
#include "engine/error.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

typedef struct {
  guint64 step;
  guint64 epoch;
  double lr;        /* NaN in rows read back from a file written before the column existed */
  double its_per_second;
  double *losses;   /* n_losses */
} Row;

struct VksReport {
  char *out_dir;
  char *samples_dir;
  char **names;       /* n_losses + 1, NULL-terminated */
  guint n_losses;
  GArray *rows;       /* of Row */
  gboolean have_samples;
  guint64 latest_sample_step;
  GPtrArray *figures;   /* of Figure: more plots for index.html (vks_report_add_figure) */
};

typedef struct {
  char *title, *image, *csv;
} Figure;

static void
figure_free (gpointer data)
{
  Figure *f = data;
  g_free (f->title);
  g_free (f->image);
  g_free (f->csv);
  g_free (f);
}

static void
clear_row (gpointer data)
{
  g_free (((Row *) data)->losses);
}

static gboolean
make_folder (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) == 0 && g_file_test (path, G_FILE_TEST_IS_DIR))
    return TRUE;
  int saved = errno;
  g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot create the output folder %s: %s", path,
               g_strerror (saved ? saved : ENOTDIR));
  return FALSE;
}

VksReport *
vks_report_new (const char *out_dir, const char *const *loss_names, guint n_losses,
                GError **error)
{
  g_autofree char *samples_dir = g_build_filename (out_dir, "samples", NULL);
  if (!make_folder (out_dir, error) || !make_folder (samples_dir, error))
    return NULL;
  VksReport *report = g_new0 (VksReport, 1);
  report->out_dir = g_strdup (out_dir);
  report->samples_dir = g_steal_pointer (&samples_dir);
  report->n_losses = n_losses;
  report->names = g_new0 (char *, n_losses + 1);
  for (guint i = 0; i < n_losses; i++)
    report->names[i] = g_strdup (loss_names[i]);
  report->rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_array_set_clear_func (report->rows, clear_row);
  report->figures = g_ptr_array_new_with_free_func (figure_free);
  return report;
}

void
vks_report_free (VksReport *report)
{
  if (!report)
    return;
  g_array_unref (report->rows);
  g_ptr_array_unref (report->figures);
  g_strfreev (report->names);
  g_free (report->samples_dir);
  g_free (report->out_dir);
  g_free (report);
}

guint
vks_report_n_rows (const VksReport *report)
{
  return report->rows->len;
}

void
vks_report_add_figure (VksReport *report, const char *title, const char *image, const char *csv)
{
  Figure *f = g_new (Figure, 1);
  *f = (Figure) { g_strdup (title), g_strdup (image), g_strdup (csv) };
  g_ptr_array_add (report->figures, f);
}

/* GLib's temp-file-and-rename, with its error turned into ours. */
gboolean
vks_report_write_atomically (const char *path, const void *data, gsize length, GError **error)
{
  GError *inner = NULL;
  if (g_file_set_contents_full (path, data, (gssize) length,
                                G_FILE_SET_CONTENTS_CONSISTENT, 0644, &inner))
    return TRUE;
  /* GLib's message names its temporary file; the reason after the last ": " is what matters. */
  const char *reason = g_strrstr (inner->message, ": ");
  g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot write %s: %s", path,
               reason ? reason + 2 : inner->message);
  g_error_free (inner);
  return FALSE;
}

/* ---- losses.csv ---- */

/* with_lr FALSE: the header of files written before the lr column, still resumable. */
static char *
csv_header (const VksReport *report, gboolean with_lr)
{
  GString *s = g_string_new ("step,epoch");
  for (guint i = 0; i < report->n_losses; i++)
    g_string_append_printf (s, ",%s", report->names[i]);
  g_string_append (s, with_lr ? ",lr,it_per_s" : ",it_per_s");
  return g_string_free (s, FALSE);
}

/* Locale-independent round-trip text ("nan"/"inf" for the non-finite). */
void
vks_report_append_number (GString *s, double v)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  if (isnan (v))
    g_string_append (s, "nan");
  else if (isinf (v))
    g_string_append (s, v > 0 ? "inf" : "-inf");
  else {
    /* The fewest digits that read back as v: 0.0002, not %.17g's 0.00020000000000000001. */
    for (int digits = 15; digits <= 17; digits++) {
      char format[8];
      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buffer, sizeof buffer, format, v);
      if (g_ascii_strtod (buffer, NULL) == v)
        break;
    }
    g_string_append (s, buffer);
  }
}

static gboolean
write_csv (const VksReport *report, GError **error)
{
  g_autofree char *header = csv_header (report, TRUE);
  GString *s = g_string_new (header);
  g_string_append_c (s, '\n');
  for (guint r = 0; r < report->rows->len; r++) {
    const Row *row = &g_array_index (report->rows, Row, r);
    g_string_append_printf (s, "%" G_GUINT64_FORMAT ",%" G_GUINT64_FORMAT, row->step,
                            row->epoch);
    for (guint i = 0; i < report->n_losses; i++) {
      g_string_append_c (s, ',');
      vks_report_append_number (s, row->losses[i]);
    }
    g_string_append_c (s, ',');
    vks_report_append_number (s, row->lr);
    g_string_append_c (s, ',');
    vks_report_append_number (s, row->its_per_second);
    g_string_append_c (s, '\n');
  }
  g_autofree char *path = g_build_filename (report->out_dir, "losses.csv", NULL);
  gboolean ok = vks_report_write_atomically (path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

gboolean
vks_report_log (VksReport *report, guint64 step, guint64 epoch, const double *losses,
                double lr, double its_per_second, GError **error)
{
  Row row = { step, epoch, lr, its_per_second,
              g_memdup2 (losses, report->n_losses * sizeof (double)) };
  g_array_append_val (report->rows, row);
  return write_csv (report, error);
}

gboolean
vks_report_parse_number (const char *text, double *value)
{
  char *end = NULL;
  *value = g_ascii_strtod (text, &end);
  return end != text && *end == '\0';
}

gboolean
vks_report_resume (VksReport *report, guint64 up_to_step, GError **error)
{
  g_autofree char *path = g_build_filename (report->out_dir, "losses.csv", NULL);
  g_autofree char *contents = NULL;
  GError *inner = NULL;
  if (!g_file_get_contents (path, &contents, NULL, &inner)) {
    gboolean missing = g_error_matches (inner, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    if (!missing)
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "cannot read %s: %s", path, inner->message);
    g_error_free (inner);
    return missing;
  }
  g_auto (GStrv) lines = g_strsplit (contents, "\n", -1);
  g_autofree char *header = csv_header (report, TRUE);
  g_autofree char *old_header = csv_header (report, FALSE);
  const gboolean with_lr = lines[0] && strcmp (g_strchomp (lines[0]), header) == 0;
  if (!with_lr && (!lines[0] || strcmp (lines[0], old_header) != 0)) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: its columns are not \"%s\"", path, header);
    return FALSE;
  }
  g_array_set_size (report->rows, 0);
  const guint n_fields = report->n_losses + (with_lr ? 4 : 3);
  for (guint l = 1; lines[l]; l++) {
    if (g_strchomp (lines[l])[0] == '\0')
      continue;
    g_auto (GStrv) fields = g_strsplit (lines[l], ",", -1);
    g_autofree double *values = g_new (double, n_fields);
    gboolean ok = g_strv_length (fields) == n_fields;
    guint64 step = 0, epoch = 0;
    ok = ok && g_ascii_string_to_unsigned (fields[0], 10, 0, G_MAXUINT64, &step, NULL) &&
         g_ascii_string_to_unsigned (fields[1], 10, 0, G_MAXUINT64, &epoch, NULL);
    for (guint f = 2; ok && f < n_fields; f++)
      ok = vks_report_parse_number (fields[f], &values[f]);
    if (!ok) {
      g_set_error (error, VKS_ERROR, VKS_ERROR_IO, "%s: line %u is not a row of %u numbers",
                   path, l + 1, n_fields);
      g_array_set_size (report->rows, 0);
      return FALSE;
    }
    if (step > up_to_step)
      continue;
    Row row = { step, epoch, with_lr ? values[n_fields - 2] : NAN, values[n_fields - 1],
                g_memdup2 (values + 2, report->n_losses * sizeof (double)) };
    g_array_append_val (report->rows, row);
  }
  return TRUE;
}

/* ---- losses.png ---- */

gboolean
vks_report_write_plot (VksReport *report, GError **error)
{
  const guint n = report->rows->len;
  g_autofree double *steps = g_new (double, MAX (n, 1));
  g_autofree double *values = g_new (double, MAX ((gsize) n * report->n_losses, 1));
  for (guint r = 0; r < n; r++) {
    const Row *row = &g_array_index (report->rows, Row, r);
    steps[r] = (double) row->step;
    memcpy (values + (gsize) r * report->n_losses, row->losses,
            report->n_losses * sizeof (double));
  }
  g_autoptr (GBytes) png = vks_report_render_plot ((const char *const *) report->names,
                                                   report->n_losses, steps, values, n, error);
  if (!png)
    return FALSE;
  g_autofree char *path = g_build_filename (report->out_dir, "losses.png", NULL);
  gsize length = 0;
  const void *data = g_bytes_get_data (png, &length);
  return vks_report_write_atomically (path, data, length, error);
}

/* ---- samples ---- */

gboolean
vks_report_write_samples (VksReport *report, guint64 step, const VksSampleCell *cells,
                          int n_rows, int n_columns, GError **error)
{
  g_autoptr (GBytes) png = vks_report_render_grid (cells, n_rows, n_columns, error);
  if (!png)
    return FALSE;
  gsize length = 0;
  const void *data = g_bytes_get_data (png, &length);
  g_autofree char *name = g_strdup_printf ("step_%06" G_GUINT64_FORMAT ".png", step);
  g_autofree char *path = g_build_filename (report->samples_dir, name, NULL);
  g_autofree char *latest = g_build_filename (report->samples_dir, "latest.png", NULL);
  if (!vks_report_write_atomically (path, data, length, error) ||
      !vks_report_write_atomically (latest, data, length, error))
    return FALSE;
  report->have_samples = TRUE;
  report->latest_sample_step = step;
  return TRUE;
}

/* ---- index.html ---- */

static void
append_escaped (GString *s, const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_string_append (s, escaped);
}

gboolean
vks_report_write_index (VksReport *report, GError **error)
{
  GString *s = g_string_new (
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"refresh\" content=\"60\">\n<title>vkstyle training</title>\n"
    "<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}img{max-width:100%}</style>\n"
    "</head><body>\n<h1>vkstyle training</h1>\n");
  const Row *last = report->rows->len > 0
                    ? &g_array_index (report->rows, Row, report->rows->len - 1) : NULL;
  if (last) {
    g_string_append_printf (s, "<p>step %" G_GUINT64_FORMAT ", epoch %" G_GUINT64_FORMAT
                            ", %.3g it/s</p>\n<table><tr>", last->step, last->epoch,
                            last->its_per_second);
    for (guint i = 0; i < report->n_losses; i++) {
      g_string_append (s, "<th>");
      append_escaped (s, report->names[i]);
      g_string_append (s, "</th>");
    }
    g_string_append (s, "</tr>\n<tr>");
    for (guint i = 0; i < report->n_losses; i++)
      g_string_append_printf (s, "<td>%.4g</td>", last->losses[i]);
    g_string_append (s, "</tr></table>\n");
  } else {
    g_string_append (s, "<p>No losses logged yet.</p>\n");
  }
  /* The step in the query string makes browsers fetch the new picture after a refresh. */
  guint64 version = last ? last->step : 0;
  if (report->have_samples)
    g_string_append_printf (s, "<h2>Samples at step %" G_GUINT64_FORMAT "</h2>\n"
                            "<img src=\"samples/latest.png?%" G_GUINT64_FORMAT
                            "\" alt=\"latest samples\">\n",
                            report->latest_sample_step, report->latest_sample_step);
  g_string_append_printf (s, "<h2>Losses</h2>\n<img src=\"losses.png?%" G_GUINT64_FORMAT
                          "\" alt=\"loss curves\">\n<p><a href=\"losses.csv\">losses.csv</a>"
                          "</p>\n", version);
  for (guint i = 0; i < report->figures->len; i++) {
    const Figure *f = g_ptr_array_index (report->figures, i);
    g_string_append (s, "<h2>");
    append_escaped (s, f->title);
    g_string_append (s, "</h2>\n<img src=\"");
    append_escaped (s, f->image);
    g_string_append_printf (s, "?%" G_GUINT64_FORMAT "\" alt=\"", version);
    append_escaped (s, f->title);
    g_string_append (s, "\">\n<p><a href=\"");
    append_escaped (s, f->csv);
    g_string_append (s, "\">");
    append_escaped (s, f->csv);
    g_string_append (s, "</a></p>\n");
  }
  g_string_append (s, "</body></html>\n");
  g_autofree char *path = g_build_filename (report->out_dir, "index.html", NULL);
  gboolean ok = vks_report_write_atomically (path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

/* ---- PNG encoding ---- */

static cairo_status_t
append_to_array (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

GBytes *
vks_report_surface_to_png (cairo_surface_t *surface, const char *what, GError **error)
{
  GByteArray *bytes = g_byte_array_new ();
  cairo_status_t status = cairo_surface_status (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_write_to_png_stream (surface, append_to_array, bytes);
  if (status != CAIRO_STATUS_SUCCESS) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_IMAGE, "cannot draw %s: %s", what,
                 cairo_status_to_string (status));
    g_byte_array_unref (bytes);
    return NULL;
  }
  return g_byte_array_free_to_bytes (bytes);
}
