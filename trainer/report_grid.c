/* Sample grids: labelled images in rows and columns, drawn with cairo. */
#include "trainer/report-private.h"
#include "engine/error.h"

#include <math.h>

#define PAD 6
#define LABEL_HEIGHT 20
#define FONT_SIZE 13.0
#define MAX_SIDE 32767   /* cairo's limit for an image surface */

static guint8
to_byte (float v)
{
  /* [-1, 1] -> [0, 255]; NaN -> 0 */
  float t = (v + 1.0f) * 127.5f;
  return t > 0.0f ? (t < 255.0f ? (guint8) lrintf (t) : 255) : 0;
}

static void
paint_image (cairo_surface_t *surface, const VksSampleCell *cell, int x0, int y0)
{
  unsigned char *data = cairo_image_surface_get_data (surface);
  const int stride = cairo_image_surface_get_stride (surface);
  const gsize plane = (gsize) cell->width * cell->height;
  for (int y = 0; y < cell->height; y++) {
    guint32 *row = (guint32 *) (data + (gsize) (y0 + y) * stride) + x0;
    for (int x = 0; x < cell->width; x++) {
      const gsize at = (gsize) y * cell->width + x;
      row[x] = (guint32) to_byte (cell->chw[at]) << 16 |
               (guint32) to_byte (cell->chw[plane + at]) << 8 |
               to_byte (cell->chw[2 * plane + at]);
    }
  }
}

GBytes *
vks_report_render_grid (const VksSampleCell *cells, int n_rows, int n_columns, GError **error)
{
  int cell_width = 1, cell_height = 1;
  for (int i = 0; n_rows > 0 && n_columns > 0 && i < n_rows * n_columns; i++)
    if (cells[i].chw) {
      cell_width = MAX (cell_width, cells[i].width);
      cell_height = MAX (cell_height, cells[i].height);
    }
  const gint64 width = (gint64) n_columns * (cell_width + PAD) + PAD;
  const gint64 height = (gint64) n_rows * (cell_height + LABEL_HEIGHT + PAD) + PAD;
  if (n_rows < 1 || n_columns < 1 || width > MAX_SIDE || height > MAX_SIDE) {
    g_set_error (error, VKS_ERROR, VKS_ERROR_SHAPE,
                 "a sample grid of %d x %d cells of %dx%d pixels cannot be drawn", n_rows,
                 n_columns, cell_width, cell_height);
    return NULL;
  }

  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) width,
                                                         (int) height);
  cairo_t *cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_surface_flush (surface);
  if (cairo_surface_status (surface) == CAIRO_STATUS_SUCCESS) {
    for (int i = 0; i < n_rows * n_columns; i++)
      if (cells[i].chw && cells[i].width > 0 && cells[i].height > 0)
        paint_image (surface, &cells[i], PAD + (i % n_columns) * (cell_width + PAD),
                     PAD + LABEL_HEIGHT + (i / n_columns) * (cell_height + LABEL_HEIGHT + PAD));
    cairo_surface_mark_dirty (surface);
  }

  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, FONT_SIZE);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  for (int i = 0; i < n_rows * n_columns; i++) {
    if (!cells[i].label)
      continue;
    const double x = PAD + (i % n_columns) * (cell_width + PAD);
    const double y = PAD + (i / n_columns) * (cell_height + LABEL_HEIGHT + PAD);
    /* Labels wider than their cell are cut at the cell's edge rather than overlapping. */
    cairo_save (cr);
    cairo_rectangle (cr, x, y, cell_width, LABEL_HEIGHT);
    cairo_clip (cr);
    cairo_font_extents_t fe;
    cairo_font_extents (cr, &fe);
    cairo_move_to (cr, x + 2, y + (LABEL_HEIGHT + fe.ascent - fe.descent) / 2);
    cairo_show_text (cr, cells[i].label);
    cairo_restore (cr);
  }
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  GBytes *png = vks_report_surface_to_png (surface, "the sample grid", error);
  cairo_surface_destroy (surface);
  return png;
}
