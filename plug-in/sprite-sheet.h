/* Where Diffusion Sprites puts its sprites in the new image: a grid of ceil(sqrt(n)) columns
 * without gaps (a sprite sheet as game engines cut it), each sprite enlarged by an integer
 * factor with nearest neighbour so pixel art stays sharp. GIMP-free: both front ends lay the
 * layers out by it. */
#pragma once
#include <glib.h>

/* Columns and rows of a grid of n cells: `vkstyle generate --grid`'s ceil(sqrt(n)) columns. */
void sprite_sheet_grid (int n, int *columns, int *rows);
/* The top-left corner of cell `index` (row by row) for cells of cell_size pixels. */
void sprite_sheet_cell_origin (int n, int index, int cell_size, int *x, int *y);
/* size x size packed R'G'B' enlarged `factor` times in both directions, nearest neighbour:
 * (size * factor)^2 * 3 floats (g_free), NULL when memory runs out. */
float *sprite_sheet_upscale (const float *rgb, int size, int factor);
