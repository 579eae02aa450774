#version 450
// Gathers convolution input patches into a column matrix col[k][n] (k = (ci, tap_y, tap_x),
// n = output position) that gemm.comp multiplies with the weights. One shader serves plain and
// transposed convolution: the host passes, per tap, the input offset of that tap relative to
// step * (output position), so a strided conv is step = stride, offset = tap - pad, and one
// parity class of a transposed conv (sub-pixel decomposition) is step = 1 with the taps that
// land on that class. Columns are processed in chunks [n_begin, n_begin + n_count) so the
// column matrix fits the device's texel-buffer and memory budget.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int TAPS_Y = 3;
layout(constant_id = 2) const int TAPS_X = 3;
layout(constant_id = 3) const bool REFLECT = false;   // reflect padding, else zero padding

layout(binding = 0) uniform textureBuffer src;             // R32F view of the input tensor
layout(binding = 1, rgba32f) uniform writeonly imageBuffer col;  // RGBA32F view of the column matrix
layout(binding = 2) uniform textureBuffer src4;            // RGBA32F view of the input tensor

layout(push_constant) uniform Params {
  int in_h, in_w, in_plane;   // input geometry (plane = padded floats per channel)
  int src_base;               // first float of this image in src
  int grid_w;                 // output positions per row of this pass
  int n_begin, n_count;       // column chunk
  int col_row4;               // texels per column-matrix row (ceil(n_count / 4) rounded)
  int step_y, step_x;
  int off_y[7];
  int off_x[7];
  int src_texels;             // size of src4
  // Several images per dispatch: each row holds one segment of col_seg4 texels per image
  // (col_row4 texels in all), image i read from src_base + i * src_image.
  int col_seg4, src_image;
} p;

void main()
{
  int texel = int(gl_GlobalInvocationID.x);   // along the row, all segments
  int k = int(gl_GlobalInvocationID.y);
  if (texel >= p.col_row4)
    return;
  int image = texel / p.col_seg4;
  int col4 = texel - image * p.col_seg4;      // within the image's chunk
  if (col4 * 4 >= p.n_count)
    return;
  int tap_x = k % TAPS_X;
  int tap_y = (k / TAPS_X) % TAPS_Y;
  int ci = k / (TAPS_X * TAPS_Y);
  int plane = p.src_base + image * p.src_image + ci * p.in_plane;

  // One division per texel: the 4 columns advance along the output row, wrapping at grid_w.
  int n = p.n_begin + col4 * 4;
  int oy = n / p.grid_w;
  int ox = n - oy * p.grid_w;
  int iy = oy * p.step_y + p.off_y[tap_y];
  int ix = ox * p.step_x + p.off_x[tap_x];
  vec4 v = vec4(0.0);
  if (p.step_x == 1 && ox + 3 < p.grid_w && col4 * 4 + 3 < p.n_count && ix >= 0 &&
      ix + 3 < p.in_w && (REFLECT || (iy >= 0 && iy < p.in_h))) {
    // Stride 1 inside one row, away from the left and right borders: 4 consecutive input
    // floats, read as 2 aligned texels instead of 4 scalar fetches.
    if (REFLECT)
      iy = reflect_index(iy, p.in_h);
    int a = plane + iy * p.in_w + ix;
    int t = a >> 2;
    vec4 t0 = texelFetch(src4, t);
    vec4 t1 = texelFetch(src4, min(t + 1, p.src_texels - 1));
    int sh = a & 3;
    v = sh == 0 ? t0 : sh == 1 ? vec4(t0.yzw, t1.x) : sh == 2 ? vec4(t0.zw, t1.xy)
                                                    : vec4(t0.w, t1.xyz);
  } else if (p.step_x == 2 && ox + 3 < p.grid_w && col4 * 4 + 3 < p.n_count && ix >= 0 &&
             ix + 6 < p.in_w && (REFLECT || (iy >= 0 && iy < p.in_h))) {
    // Stride 2 inside one row: every other float of 7 consecutive ones, from 3 aligned texels
    // (the strided convolutions of a GAN's discriminator and their weight gradients).
    if (REFLECT)
      iy = reflect_index(iy, p.in_h);
    int a = plane + iy * p.in_w + ix;
    int t = a >> 2, last = p.src_texels - 1;
    vec4 t0 = texelFetch(src4, t);
    vec4 t1 = texelFetch(src4, min(t + 1, last));
    vec4 t2 = texelFetch(src4, min(t + 2, last));
    int sh = a & 3;
    v = sh == 0 ? vec4(t0.xz, t1.xz) : sh == 1 ? vec4(t0.yw, t1.yw)
      : sh == 2 ? vec4(t0.z, t1.xz, t2.x) : vec4(t0.w, t1.yw, t2.y);
  } else {
    for (int j = 0; j < 4; j++) {
      if (col4 * 4 + j >= p.n_count)
        break;
      int y = iy, x = ix;
      if (REFLECT) {
        y = reflect_index(y, p.in_h);
        x = reflect_index(x, p.in_w);
      }
      if (y >= 0 && y < p.in_h && x >= 0 && x < p.in_w)
        v[j] = texelFetch(src, plane + y * p.in_w + x).r;
      ix += p.step_x;
      if (++ox == p.grid_w) {
        ox = 0;
        ix = p.off_x[tap_x];
        iy += p.step_y;
      }
    }
  }
  imageStore(col, k * p.col_row4 + texel, v);
}
