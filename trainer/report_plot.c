/* losses.png: loss curves drawn with cairo. Each loss is drawn twice in its colour: the raw
 * values faint, a centred moving average bold, so trends show through the per-step noise. The
 * y axis is logarithmic when the curves span more than a decade (GAN losses near 0.3 next to
 * cycle losses near 3 would otherwise flatten the former), else linear. */
#include "trainer/report-private.h"

#include <math.h>

#define WIDTH 960
#define HEIGHT 540
#define PANEL_HEIGHT 360   /* each panel of vks_report_render_panels */
#define LEFT 70.0
#define RIGHT 190.0   /* room for the legend */
#define TOP 30.0
#define BOTTOM 50.0
#define FONT_SIZE 12.0

/* Tableau 10, distinguishable on white. */
static const double palette[][3] = {
  { 0.122, 0.467, 0.706 }, { 1.000, 0.498, 0.055 }, { 0.173, 0.627, 0.173 },
  { 0.839, 0.153, 0.157 }, { 0.580, 0.404, 0.741 }, { 0.549, 0.337, 0.294 },
  { 0.890, 0.467, 0.761 }, { 0.498, 0.498, 0.498 }, { 0.737, 0.741, 0.133 },
  { 0.090, 0.745, 0.812 },
};

typedef struct {
  double x0, x1, y0, y1;   /* data range */
  gboolean log_y;
  double height;           /* of the plot's area in pixels, axes and labels included */
} Axes;

static double
map_x (const Axes *a, double x)
{
  return LEFT + (x - a->x0) / (a->x1 - a->x0) * (WIDTH - LEFT - RIGHT);
}

static double
map_y (const Axes *a, double y)
{
  double t = a->log_y ? (log10 (y) - log10 (a->y0)) / (log10 (a->y1) - log10 (a->y0))
                      : (y - a->y0) / (a->y1 - a->y0);
  return a->height - BOTTOM - t * (a->height - TOP - BOTTOM);
}

/* Centred moving average over the finite values of one column; NaN where a window has none.
 * Prefix sums keep it linear in the number of rows. */
static double *
smooth (const double *values, guint n_losses, guint column, guint n_rows)
{
  double *out = g_new (double, MAX (n_rows, 1));
  double *sum = g_new (double, n_rows + 1);
  guint *count = g_new (guint, n_rows + 1);
  sum[0] = 0.0;
  count[0] = 0;
  for (guint r = 0; r < n_rows; r++) {
    double v = values[(gsize) r * n_losses + column];
    gboolean finite = isfinite (v);
    sum[r + 1] = sum[r] + (finite ? v : 0.0);
    count[r + 1] = count[r] + (finite ? 1 : 0);
  }
  const guint half = n_rows / 60;
  for (guint r = 0; r < n_rows; r++) {
    guint lo = r > half ? r - half : 0;
    guint hi = MIN (n_rows, r + half + 1);
    guint n = count[hi] - count[lo];
    out[r] = n ? (sum[hi] - sum[lo]) / n : NAN;
  }
  g_free (sum);
  g_free (count);
  return out;
}

/* A round step giving about `target` ticks over span. */
static double
tick_step (double span, int target)
{
  double raw = span / target;
  double decade = pow (10.0, floor (log10 (raw)));
  double m = raw / decade;
  return decade * (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0);
}

static void
draw_text (cairo_t *cr, double x, double y, const char *text, double align_x, double align_y)
{
  cairo_text_extents_t e;
  cairo_text_extents (cr, text, &e);
  cairo_move_to (cr, x - e.x_bearing - align_x * e.width, y - e.y_bearing - align_y * e.height);
  cairo_show_text (cr, text);
}

static void
format_value (char *buffer, gsize size, double v)
{
  g_ascii_formatd (buffer, size, "%g", v);
}

static void
draw_axes (cairo_t *cr, const Axes *a, const char *y_label)
{
  const double right = WIDTH - RIGHT, bottom = a->height - BOTTOM;
  char label[64];
  cairo_set_line_width (cr, 1.0);

  /* x ticks and grid */
  double step = tick_step (a->x1 - a->x0, 8);
  double x = ceil (a->x0 / step) * step;
  for (int i = 0; i < 100 && x <= a->x1 + step * 1e-9; i++, x += step) {
    double px = round (map_x (a, x)) + 0.5;
    cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
    cairo_move_to (cr, px, TOP);
    cairo_line_to (cr, px, bottom);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    format_value (label, sizeof label, x);
    draw_text (cr, px, bottom + 6, label, 0.5, 0.0);
  }

  /* y ticks and grid: decades with 2 and 5 between them, or round linear steps */
  GArray *ticks = g_array_new (FALSE, FALSE, sizeof (double));
  if (a->log_y) {
    /* 1, 2, 5 per decade; 1, 2, 3, 5 when that gives too few ticks (a range of about one
     * decade). The decade count is bounded: a range near DBL_MAX would otherwise never end. */
    static const double sparse[] = { 1.0, 2.0, 5.0 }, dense[] = { 1.0, 2.0, 3.0, 5.0 };
    for (int pass = 0; pass < 2 && ticks->len < 4; pass++) {
      const double *mantissas = pass == 0 ? sparse : dense;
      const int n_mantissas = pass == 0 ? G_N_ELEMENTS (sparse) : G_N_ELEMENTS (dense);
      g_array_set_size (ticks, 0);
      double d = pow (10.0, floor (log10 (a->y0)));
      for (int decade = 0; decade < 700 && d <= a->y1; decade++, d *= 10.0)
        for (int m = 0; m < n_mantissas; m++) {
          double t = d * mantissas[m];
          if (t >= a->y0 && t <= a->y1)
            g_array_append_val (ticks, t);
        }
    }
  } else {
    double ystep = tick_step (a->y1 - a->y0, 6);
    double y = ceil (a->y0 / ystep) * ystep;
    for (int i = 0; i < 100 && y <= a->y1 + ystep * 1e-9; i++, y += ystep) {
      double t = fabs (y) < ystep * 1e-9 ? 0.0 : y;
      g_array_append_val (ticks, t);
    }
  }
  for (guint i = 0; i < ticks->len; i++) {
    double y = g_array_index (ticks, double, i);
    double py = round (map_y (a, y)) + 0.5;
    cairo_set_source_rgb (cr, 0.9, 0.9, 0.9);
    cairo_move_to (cr, LEFT, py);
    cairo_line_to (cr, right, py);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    format_value (label, sizeof label, y);
    draw_text (cr, LEFT - 6, py, label, 1.0, 0.5);
  }
  g_array_unref (ticks);

  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_rectangle (cr, LEFT + 0.5, TOP + 0.5, right - LEFT, bottom - TOP);
  cairo_stroke (cr);
  draw_text (cr, (LEFT + right) / 2, a->height - 16, "step", 0.5, 0.5);
  g_autofree char *label_text = g_strdup_printf ("%s%s", y_label, a->log_y ? " (log scale)" : "");
  draw_text (cr, LEFT, TOP / 2, label_text, 0.0, 0.5);
}

/* Data ranges from the smoothed curves (raw outliers are clipped, not allowed to squash the
 * plot). */
static Axes
choose_axes (const double *steps, guint n_rows, double *const *smoothed, guint n_losses,
             double height)
{
  Axes a = { 0.0, 1.0, INFINITY, -INFINITY, FALSE, height };
  if (n_rows > 0) {
    a.x0 = steps[0];
    a.x1 = steps[n_rows - 1];
    if (a.x1 <= a.x0)
      a.x1 = a.x0 + 1.0;
  }
  for (guint l = 0; l < n_losses; l++)
    for (guint r = 0; r < n_rows; r++)
      if (isfinite (smoothed[l][r])) {
        a.y0 = MIN (a.y0, smoothed[l][r]);
        a.y1 = MAX (a.y1, smoothed[l][r]);
      }
  if (!isfinite (a.y0)) {
    a.y0 = 0.0;
    a.y1 = 1.0;
  }
  if (a.y0 > 0.0 && a.y1 / a.y0 > 10.0) {
    a.log_y = TRUE;
    a.y0 /= 1.15;
    a.y1 *= 1.15;
    return a;
  }
  double pad = a.y1 > a.y0 ? 0.05 * (a.y1 - a.y0) : MAX (fabs (a.y0) * 0.1, 0.5);
  a.y0 = a.y0 >= 0.0 && a.y0 - pad < 0.0 ? 0.0 : a.y0 - pad;
  a.y1 += pad;
  return a;
}

static void
draw_curve (cairo_t *cr, const Axes *a, const double *steps, const double *values, gsize stride,
            guint n_rows)
{
  gboolean pen_down = FALSE;
  for (guint r = 0; r < n_rows; r++) {
    double v = values[(gsize) r * stride];
    if (!isfinite (v) || (a->log_y && v <= 0.0)) {
      pen_down = FALSE;
      continue;
    }
    double px = map_x (a, steps[r]), py = map_y (a, v);
    if (pen_down)
      cairo_line_to (cr, px, py);
    else
      cairo_move_to (cr, px, py);
    pen_down = TRUE;
  }
  /* A lone point still shows. */
  if (n_rows == 1 && pen_down)
    cairo_rel_line_to (cr, 0.01, 0.0);
  cairo_stroke (cr);
}

/* n_curves curves (curve l: values[r * stride + l]) in a WIDTH x height area at the origin. */
static void
draw_plot (cairo_t *cr, double height, const char *y_label, const char *const *names,
           guint n_curves, const double *steps, const double *values, guint stride, guint n_rows)
{
  double **smoothed = g_new (double *, MAX (n_curves, 1));
  for (guint l = 0; l < n_curves; l++)
    smoothed[l] = smooth (values, stride, l, n_rows);
  const Axes axes = choose_axes (steps, n_rows, smoothed, n_curves, height);
  draw_axes (cr, &axes, y_label);

  cairo_save (cr);
  cairo_rectangle (cr, LEFT, TOP, WIDTH - LEFT - RIGHT, height - TOP - BOTTOM);
  cairo_clip (cr);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  for (guint l = 0; l < n_curves; l++) {
    const double *c = palette[l % G_N_ELEMENTS (palette)];
    cairo_set_source_rgba (cr, c[0], c[1], c[2], 0.25);
    cairo_set_line_width (cr, 1.0);
    draw_curve (cr, &axes, steps, values + l, stride, n_rows);
    cairo_set_source_rgb (cr, c[0], c[1], c[2]);
    cairo_set_line_width (cr, 2.0);
    draw_curve (cr, &axes, steps, smoothed[l], 1, n_rows);
  }
  cairo_restore (cr);

  /* Legend: colour swatch and name, with the latest smoothed value. */
  for (guint l = 0; l < n_curves; l++) {
    const double *c = palette[l % G_N_ELEMENTS (palette)];
    const double y = TOP + 10 + l * 20.0;
    const double x = WIDTH - RIGHT + 16;
    cairo_set_source_rgb (cr, c[0], c[1], c[2]);
    cairo_set_line_width (cr, 3.0);
    cairo_move_to (cr, x, y);
    cairo_line_to (cr, x + 20, y);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
    char value[32] = "";
    if (n_rows > 0 && isfinite (smoothed[l][n_rows - 1]))
      g_ascii_formatd (value, sizeof value, "%.3g", smoothed[l][n_rows - 1]);
    g_autofree char *text = g_strdup_printf ("%s %s", names[l], value);
    draw_text (cr, x + 26, y, text, 0.0, 0.5);
  }

  for (guint l = 0; l < n_curves; l++)
    g_free (smoothed[l]);
  g_free (smoothed);
}

static cairo_t *
new_canvas (double height, cairo_surface_t **surface)
{
  *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, WIDTH, (int) height);
  cairo_t *cr = cairo_create (*surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, FONT_SIZE);
  return cr;
}

static GBytes *
finish_canvas (cairo_t *cr, cairo_surface_t *surface, const char *what, GError **error)
{
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  GBytes *png = vks_report_surface_to_png (surface, what, error);
  cairo_surface_destroy (surface);
  return png;
}

GBytes *
vks_report_render_plot (const char *const *names, guint n_losses, const double *steps,
                        const double *values, guint n_rows, GError **error)
{
  cairo_surface_t *surface;
  cairo_t *cr = new_canvas (HEIGHT, &surface);
  draw_plot (cr, HEIGHT, "loss", names, n_losses, steps, values, n_losses, n_rows);
  return finish_canvas (cr, surface, "the loss plot", error);
}

GBytes *
vks_report_render_panels (const char *const *names, guint n_panels, const double *steps,
                          const double *values, guint n_rows, GError **error)
{
  cairo_surface_t *surface;
  cairo_t *cr = new_canvas ((double) PANEL_HEIGHT * MAX (n_panels, 1), &surface);
  for (guint p = 0; p < n_panels; p++) {
    cairo_save (cr);
    cairo_translate (cr, 0, (double) PANEL_HEIGHT * p);
    draw_plot (cr, PANEL_HEIGHT, names[p], names + p, 1, steps, values + p, n_panels, n_rows);
    cairo_restore (cr);
  }
  return finish_canvas (cr, surface, "the plot", error);
}
