#version 450
// out[m][n] = act(sum_k A[m][k] * B[k][n] + bias[m]) for convolution: A = packed weights,
// B = column matrix from im2col.comp (or, batched over gl_WorkGroupID.z, the 36 products of
// Winograd's transform domain, see winograd.comp). Each invocation computes ROWS output channels
// x 4*COLS4 adjacent columns (COLS4 vec4s of B and ROWS/4 vec4s of A per k); neighbouring
// invocations take neighbouring columns so the A fetches are the same across a SIMD group. Both
// matrices are read through texel buffers, see common.glsl. Rows of B hold a multiple of COLS4
// texels (the host pads them), so no fetch leaves the matrix.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int ROWS = 32;        // multiple of 4
layout(constant_id = 2) const int ACT = ACT_NONE;
layout(constant_id = 3) const bool SCATTER = false; // output columns are a strided sub-grid
layout(constant_id = 4) const bool BIAS = true;     // false: plain products (Winograd domain)
layout(constant_id = 5) const int COLS4 = 1;        // column texels per invocation

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
  // batched GEMM (Winograd): texels / floats between the matrices of gl_WorkGroupID.z
  int a_batch4, b_batch4, dst_batch;
} p;

void main()
{
  int col4 = int(gl_GlobalInvocationID.x) * COLS4;
  int m0 = int(gl_WorkGroupID.y) * ROWS;
  if (col4 * 4 >= p.n_count)
    return;

  vec4 acc[ROWS * COLS4];
  for (int r = 0; r < ROWS * COLS4; r++)
    acc[r] = vec4(0.0);

  int batch = int(gl_WorkGroupID.z);
  int a = m0 / 4 + batch * p.a_batch4;
  int b = col4 + batch * p.b_batch4;
  for (int kk = 0; kk < p.k; kk++) {
    vec4 bv[COLS4];
    for (int c = 0; c < COLS4; c++)
      bv[c] = texelFetch(cols, b + c);
    for (int r4 = 0; r4 < ROWS / 4; r4++) {
      vec4 av = texelFetch(wmat, a + r4);
      for (int c = 0; c < COLS4; c++) {
        acc[(4 * r4 + 0) * COLS4 + c] += av.x * bv[c];
        acc[(4 * r4 + 1) * COLS4 + c] += av.y * bv[c];
        acc[(4 * r4 + 2) * COLS4 + c] += av.z * bv[c];
        acc[(4 * r4 + 3) * COLS4 + c] += av.w * bv[c];
      }
    }
    a += p.w_row4;
    b += p.col_row4;
  }

  for (int r = 0; r < ROWS; r++) {
    int m = m0 + r;
    if (m >= p.m)
      break;
    float bm = BIAS ? texelFetch(bias, m).r : 0.0;
    int plane = p.dst_base + batch * p.dst_batch + m * p.dst_plane;
    for (int c = 0; c < COLS4; c++) {
      int n4 = col4 + c;
      if (n4 * 4 >= p.n_count)
        break;
      vec4 v = activate4(acc[r * COLS4 + c] + bm, ACT, p.slope);
      if (!SCATTER) {
        // Columns past n_count land in the plane's padding (or are overwritten by the next
        // chunk).
        imageStore(dst4, (plane + p.n_begin) / 4 + n4, v);
      } else {
        for (int j = 0; j < 4; j++) {
          if (n4 * 4 + j >= p.n_count)
            break;
          int n = p.n_begin + n4 * 4 + j;
          int qy = n / p.grid_w;
          int qx = n - qy * p.grid_w;
          int y = qy * p.step + p.off_y;
          int x = qx * p.step + p.off_x;
          imageStore(dst1, plane + y * p.out_w + x, vec4(v[j]));
        }
      }
    }
  }
}
