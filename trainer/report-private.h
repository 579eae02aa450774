/* Shared by report.c, report_plot.c and report_grid.c; not part of the trainer's API. */
#pragma once
#include "trainer/report.h"

#include <cairo.h>

/* The surface as PNG file bytes; NULL with an error naming `what`. */
GBytes *vks_report_surface_to_png (cairo_surface_t *surface, const char *what, GError **error);

/* Loss curves: n_rows rows of n_losses values (row-major), x = steps[i]. */
GBytes *vks_report_render_plot (const char *const *names, guint n_losses, const double *steps,
                                const double *values, guint n_rows, GError **error);

/* One curve per panel, panels stacked vertically, each with its own y axis labelled by its
 * name (quantities of different scales, e.g. FID and KID): n_rows rows of n_panels values
 * (row-major), x = steps[i]. */
GBytes *vks_report_render_panels (const char *const *names, guint n_panels, const double *steps,
                                  const double *values, guint n_rows, GError **error);

/* The atomic write of every report file; the error (VKS_ERROR_IO) names path. */
gboolean vks_report_write_atomically (const char *path, const void *data, gsize length,
                                      GError **error);
/* CSV numbers: the shortest text that reads back as v ("nan", "inf", "-inf" too), and back. */
void vks_report_append_number (GString *s, double v);
gboolean vks_report_parse_number (const char *text, double *value);

GBytes *vks_report_render_grid (const VksSampleCell *cells, int n_rows, int n_columns,
                                GError **error);
