#version 450
// out[m][n] = act(sum_k A[m][k] * B[k][n] + bias[m]) for convolution: A = packed weights,
// B = column matrix from im2col.comp. Each invocation computes ROWS output channels x 4 adjacent
// columns (one vec4 of B per k, ROWS/4 vec4s of A per k); neighbouring invocations take
// neighbouring columns so the A fetches are the same across a SIMD group. Both matrices are read
// through texel buffers, see common.glsl.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int ROWS = 32;        // multiple of 4
layout(constant_id = 2) const int ACT = ACT_NONE;
layout(constant_id = 3) const bool SCATTER = false; // output columns are a strided sub-grid

layout(binding = 0) uniform samplerBuffer wmat;     // RGBA32F: [K][m_pad / 4], transposed weights
layout(binding = 1) uniform samplerBuffer cols;     // RGBA32F: [K][col_row4]
layout(binding = 2) uniform samplerBuffer bias;     // R32F: [m_pad]
layout(binding = 3, rgba32f) uniform writeonly imageBuffer dst4; // RGBA32F view of the output
layout(binding = 4, r32f) uniform writeonly imageBuffer dst1;    // R32F view of the same output

layout(push_constant) uniform Params {
  int m, k;                 // output channels, reduction length
  int n_begin, n_count;     // column chunk (n_begin is a multiple of 4)
  int w_row4, col_row4;     // texels per row of wmat / cols
  int dst_base, dst_plane;  // first float of this image in dst, floats per output channel
  // SCATTER: column n = (qy, qx) on a grid_w-wide grid goes to pixel
  // (qy * step + off_y, qx * step + off_x) of an out_w-wide plane
  int grid_w, out_w, step, off_y, off_x;
  float slope;
} p;

void main()
{
  int col4 = int(gl_GlobalInvocationID.x);
  int m0 = int(gl_WorkGroupID.y) * ROWS;
  if (col4 * 4 >= p.n_count)
    return;

  vec4 acc[ROWS];
  for (int r = 0; r < ROWS; r++)
    acc[r] = vec4(0.0);

  int a = m0 / 4;
  int b = col4;
  for (int kk = 0; kk < p.k; kk++) {
    vec4 bv = texelFetch(cols, b);
    for (int r4 = 0; r4 < ROWS / 4; r4++) {
      vec4 av = texelFetch(wmat, a + r4);
      acc[4 * r4 + 0] += av.x * bv;
      acc[4 * r4 + 1] += av.y * bv;
      acc[4 * r4 + 2] += av.z * bv;
      acc[4 * r4 + 3] += av.w * bv;
    }
    a += p.w_row4;
    b += p.col_row4;
  }

  for (int r = 0; r < ROWS; r++) {
    int m = m0 + r;
    if (m >= p.m)
      break;
    vec4 v = activate4(acc[r] + texelFetch(bias, m).r, ACT, p.slope);
    int plane = p.dst_base + m * p.dst_plane;
    if (!SCATTER) {
      // Columns past n_count land in the plane's padding (or are overwritten by the next chunk).
      imageStore(dst4, (plane + p.n_begin) / 4 + col4, v);
    } else {
      for (int j = 0; j < 4; j++) {
        int n = p.n_begin + col4 * 4 + j;
        if (col4 * 4 + j >= p.n_count)
          break;
        int qy = n / p.grid_w;
        int qx = n - qy * p.grid_w;
        int y = qy * p.step + p.off_y;
        int x = qx * p.step + p.off_x;
        imageStore(dst1, plane + y * p.out_w + x, vec4(v[j]));
      }
    }
  }
}
