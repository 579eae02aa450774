/* Shared by report.c, report_plot.c and report_grid.c; not part of the trainer's API. */
#pragma once
#include "trainer/report.h"

#include <cairo.h>

/* The surface as PNG file bytes; NULL with an error naming `what`. */
GBytes *vks_report_surface_to_png (cairo_surface_t *surface, const char *what, GError **error);

/* Loss curves: n_rows rows of n_losses values (row-major), x = steps[i]. */
GBytes *vks_report_render_plot (const char *const *names, guint n_losses, const double *steps,
                                const double *values, guint n_rows, GError **error);

GBytes *vks_report_render_grid (const VksSampleCell *cells, int n_rows, int n_columns,
                                GError **error);
