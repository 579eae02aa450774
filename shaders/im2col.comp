#version 450
// Gathers convolution input patches into a column matrix col[k][n] (k = (ci, tap_y, tap_x),
// n = output position) that gemm.comp multiplies with the weights. One shader serves plain and
// transposed convolution: the host passes, per tap, the input offset of that tap relative to
// step * (output position), so a strided conv is step = stride, offset = tap - pad, and one
// parity class of a transposed conv (sub-pixel decomposition) is step = 1 with the taps that
// land on that class. Columns are processed in chunks [n_begin, n_begin + n_count) so the
// column matrix fits the device's texel-buffer and memory budget.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int TAPS_Y = 3;
layout(constant_id = 2) const int TAPS_X = 3;
layout(constant_id = 3) const bool REFLECT = false;   // reflect padding, else zero padding

layout(binding = 0) uniform samplerBuffer src;             // R32F view of the input tensor
layout(binding = 1, rgba32f) uniform writeonly imageBuffer col;  // RGBA32F view of the column matrix

layout(push_constant) uniform Params {
  int in_h, in_w, in_plane;   // input geometry (plane = padded floats per channel)
  int src_base;               // first float of this image in src
  int grid_w;                 // output positions per row of this pass
  int n_begin, n_count;       // column chunk
  int col_row4;               // texels per column-matrix row (ceil(n_count / 4) rounded)
  int step_y, step_x;
  int off_y[7];
  int off_x[7];
} p;

int reflect_index(int i, int size)
{
  // PyTorch ReflectionPad: -1 -> 1, size -> size - 2 (pad < size, checked on the host)
  if (i < 0) i = -i;
  if (i >= size) i = 2 * size - 2 - i;
  return i;
}

void main()
{
  int col4 = int(gl_GlobalInvocationID.x);
  int k = int(gl_GlobalInvocationID.y);
  if (col4 * 4 >= p.n_count)
    return;
  int tap_x = k % TAPS_X;
  int tap_y = (k / TAPS_X) % TAPS_Y;
  int ci = k / (TAPS_X * TAPS_Y);
  int plane = p.src_base + ci * p.in_plane;

  vec4 v = vec4(0.0);
  for (int j = 0; j < 4; j++) {
    int n = p.n_begin + col4 * 4 + j;
    if (col4 * 4 + j >= p.n_count)
      break;
    int oy = n / p.grid_w;
    int ox = n - oy * p.grid_w;
    int iy = oy * p.step_y + p.off_y[tap_y];
    int ix = ox * p.step_x + p.off_x[tap_x];
    if (REFLECT) {
      iy = reflect_index(iy, p.in_h);
      ix = reflect_index(ix, p.in_w);
    }
    if (iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w)
      v[j] = texelFetch(src, plane + iy * p.in_w + ix).r;
  }
  imageStore(col, k * p.col_row4 + col4, v);
}
