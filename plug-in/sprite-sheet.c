#include "config.h"

#include <math.h>
#include <string.h>

#include "plug-in/sprite-sheet.h"

void
sprite_sheet_grid (int n, int *columns, int *rows)
{
  *columns = MAX (1, (int) ceil (sqrt (n)));
  *rows = MAX (1, (n + *columns - 1) / *columns);
}

void
sprite_sheet_cell_origin (int n, int index, int cell_size, int *x, int *y)
{
  int columns, rows;

  sprite_sheet_grid (n, &columns, &rows);
  *x = index % columns * cell_size;
  *y = index / columns * cell_size;
}

float *
sprite_sheet_upscale (const float *rgb, int size, int factor)
{
  int side = size * factor;
  float *out = g_try_new (float, (gsize) side * side * 3);

  if (out == NULL)
    return NULL;
  for (int y = 0; y < side; y++)
    {
      float *row = out + (gsize) y * side * 3;

      /* the first row of each block is made, the block's others are copies of it */
      if (y % factor != 0)
        {
          memcpy (row, row - (gsize) side * 3, (gsize) side * 3 * sizeof (float));
          continue;
        }
      for (int x = 0; x < side; x++)
        memcpy (row + (gsize) x * 3, rgb + ((gsize) (y / factor) * size + x / factor) * 3,
                3 * sizeof (float));
    }
  return out;
}
