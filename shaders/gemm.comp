#version 450
// out[m][n] = act(sum_k A[m][k] * B[k][n] + bias[m]) for convolution: A = packed weights,
// B = column matrix from im2col.comp (or, batched over gl_WorkGroupID.z, the 36 products of
// Winograd's transform domain, see winograd.comp). Each invocation computes ROWS output channels
// x 4*COLS4 adjacent columns (COLS4 vec4s of B and ROWS/4 vec4s of A per k); neighbouring
// invocations take neighbouring columns so the A fetches are the same across a SIMD group. Both
// matrices are read through texel buffers, see common.glsl. Rows of B hold a multiple of COLS4
// texels (the host pads them), so no fetch leaves the matrix.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int ROWS = 32;        // multiple of 4
layout(constant_id = 2) const int ACT = ACT_NONE;
layout(constant_id = 3) const bool BIAS = true;     // false: plain products (Winograd domain)
layout(constant_id = 4) const int COLS4 = 1;        // column texels per invocation
// Weight gradient of a convolution (engine/backward.c): dW[m][n] = sum_j A[m][j] * B[n][j], the
// reduction running along the rows of both matrices (the pixels), A = the output gradient (or, for
// a transposed convolution, its input), B = the column matrix. The push block is reused:
// m, k = rows and columns of dW; n_count = reduction length of this chunk (B's valid columns);
// w_row4 / col_row4 = texels per row of A / B; a_batch4 = A's first texel; dst_base / dst_plane =
// dW's first float and row stride. BIAS means accumulate: add what binding 2 (the same region as
// dst1) holds, so chunks and images, or several uses of one weight, sum up across dispatches.
layout(constant_id = 5) const bool WEIGHT_GRAD = false;
// IMPLICIT: the columns are gathered from the input tensor (bound as `cols`) the way im2col.comp
// would write them, for plain convolutions with few output channels, where building the column
// matrix costs far more than the product (ops.c).
layout(constant_id = 6) const bool IMPLICIT = false;
layout(constant_id = 7) const bool REFLECT = false;
// IMPLICIT with stride 1: the kernel width. An invocation whose columns lie in one output row
// reads, per input row, the 4 * COLS4 + SEG_KW - 1 consecutive inputs its taps cover once and
// takes every tap's columns from them (about 4x fewer fetches than gathering each column, ops.c);
// 0, or columns spanning two rows, gathers each column separately.
layout(constant_id = 8) const int SEG_KW = 0;

layout(binding = 0) uniform textureBuffer wmat;     // RGBA32F: [K][m_pad / 4], transposed weights
layout(binding = 1) uniform textureBuffer cols;     // RGBA32F: [K][col_row4]
layout(binding = 2) uniform textureBuffer bias;     // R32F: [m_pad]
layout(binding = 3, rgba32f) uniform writeonly imageBuffer dst4; // RGBA32F view of the output
layout(binding = 4, r32f) uniform writeonly imageBuffer dst1;    // R32F view of the same output

layout(push_constant) uniform Params {
  int m, k;                 // output channels, reduction length
  int n_begin, n_count;     // column chunk (n_begin is a multiple of 4)
  int w_row4, col_row4;     // texels per row of wmat / cols
  int dst_base, dst_plane;  // first float of this image in dst, floats per output channel
  float slope;
  // batched GEMM (Winograd): texels / floats between the matrices of gl_WorkGroupID.z
  int a_batch4, b_batch4, dst_batch;
  int in_h, in_w, in_plane, src_base, grid_w, stride, pad, kh, kw;   // IMPLICIT (pad: rows)
  int pad_x;                                                         // IMPLICIT: columns
  // Several images in one dispatch (ops.c, backward.c): the column matrix holds one segment of
  // col_seg4 texels per image side by side (0: one image, or Winograd's batch along z), and an
  // output column's batch entry is its segment; src_image = floats between images of the input
  // (IMPLICIT, one image per gl_WorkGroupID.z). WEIGHT_GRAD sums over `images` segments, A's
  // advancing a_image4 texels per image.
  int col_seg4, src_image, images, a_image4;
} p;

// One column texel of the implicit column matrix: input values at tap (ci, ky, kx) for the four
// output positions whose top-left input corners are base_y/base_x.
vec4 gather_columns(ivec4 base_y, ivec4 base_x, int plane, int ky, int kx)
{
  vec4 v = vec4(0.0);
  for (int j = 0; j < 4; j++) {
    int iy = base_y[j] + ky, ix = base_x[j] + kx;
    if (REFLECT) {
      iy = reflect_index(iy, p.in_h);
      ix = reflect_index(ix, p.in_w);
    }
    if (iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w) {
      int e = plane + iy * p.in_w + ix;
      v[j] = texelFetch(cols, e >> 2)[e & 3];
    }
  }
  return v;
}

// The register tile of main(): ROWS outputs x 4 * COLS4 columns.
vec4 tile[ROWS * COLS4];

// The implicit product over all of K for an invocation whose 4 * COLS4 columns start at output
// (oy, ox0) of one row (stride 1): per (input channel, kernel row) one segment of the input row.
const int SEG = 4 * COLS4 + SEG_KW - 1;

void segment_product(int a, int oy, int ox0, int plane)
{
  int last_texel = textureSize(cols) - 1;
  int cin = p.k / (p.kh * max(SEG_KW, 1));
  for (int ci = 0; ci < cin; ci++) {
    for (int ky = 0; ky < p.kh; ky++) {
      int iy = oy - p.pad + ky;
      if (REFLECT)
        iy = reflect_index(iy, p.in_h);
      bool row_in = iy >= 0 && iy < p.in_h;
      int x0 = ox0 - p.pad_x;
      int e0 = plane + iy * p.in_w + x0;
      float seg[SEG];
      if (row_in && x0 >= 0 && x0 + SEG <= p.in_w) {
        // Inside the row: aligned texels, shifted into place.
        float buf[SEG + 3 + 3];
        int t0 = e0 >> 2, sh = e0 & 3;
        for (int t = 0; t < (SEG + 6) / 4; t++) {
          vec4 v = texelFetch(cols, min(t0 + t, last_texel));
          buf[4 * t] = v.x;
          buf[4 * t + 1] = v.y;
          buf[4 * t + 2] = v.z;
          buf[4 * t + 3] = v.w;
        }
        for (int j = 0; j < SEG; j++)
          seg[j] = sh == 0 ? buf[j] : sh == 1 ? buf[j + 1] : sh == 2 ? buf[j + 2] : buf[j + 3];
      } else {
        for (int j = 0; j < SEG; j++) {
          int ix = x0 + j;
          if (REFLECT)
            ix = reflect_index(ix, p.in_w);
          seg[j] = 0.0;
          if (row_in && ix >= 0 && ix < p.in_w) {
            int e = plane + iy * p.in_w + ix;
            seg[j] = texelFetch(cols, e >> 2)[e & 3];
          }
        }
      }
      for (int kx = 0; kx < SEG_KW; kx++) {
        for (int r4 = 0; r4 < ROWS / 4; r4++) {
          vec4 av = texelFetch(wmat, a + r4);
          for (int c = 0; c < COLS4; c++) {
            vec4 bv = vec4(seg[4 * c + kx], seg[4 * c + kx + 1], seg[4 * c + kx + 2],
                           seg[4 * c + kx + 3]);
            tile[(4 * r4 + 0) * COLS4 + c] += av.x * bv;
            tile[(4 * r4 + 1) * COLS4 + c] += av.y * bv;
            tile[(4 * r4 + 2) * COLS4 + c] += av.z * bv;
            tile[(4 * r4 + 3) * COLS4 + c] += av.w * bv;
          }
        }
        a += p.w_row4;
      }
    }
    plane += p.in_plane;
  }
}

// ROWS rows x 4 * COLS4 columns of dW per invocation; neighbouring invocations take neighbouring
// columns, so the A fetches are the same across a SIMD group.
void weight_grad()
{
  const int NC = 4 * COLS4;
  int n0 = int(gl_GlobalInvocationID.x) * NC;  // NC columns of dW (rows of B)
  int m0 = int(gl_WorkGroupID.y) * ROWS;       // ROWS rows of dW (rows of A)
  if (n0 >= p.k)
    return;
  vec4 acc[ROWS * NC];
  for (int r = 0; r < ROWS * NC; r++)
    acc[r] = vec4(0.0);
  int b_row[NC], a_row[ROWS];
  // Rows past the matrices' ends are clamped (their results are dropped): no fetch leaves a view.
  for (int c = 0; c < NC; c++)
    b_row[c] = min(n0 + c, p.k - 1) * p.col_row4;
  for (int r = 0; r < ROWS; r++)
    a_row[r] = p.a_batch4 + min(m0 + r, p.m - 1) * p.w_row4;
  for (int img = 0; img < max(p.images, 1); img++) {
  // Two reduction texels per iteration (each accumulator loaded and stored once per two
  // multiply-adds when the tile spills, as in main), over the texels whose 4 pixels are all valid.
  int full = p.n_count / 4, t = 0;
  for (; t + 1 < full; t += 2) {
    vec4 b0[NC], b1[NC];
    for (int c = 0; c < NC; c++) {
      b0[c] = texelFetch(cols, b_row[c] + t);
      b1[c] = texelFetch(cols, b_row[c] + t + 1);
    }
    for (int r = 0; r < ROWS; r++) {
      vec4 a0 = texelFetch(wmat, a_row[r] + t), a1 = texelFetch(wmat, a_row[r] + t + 1);
      for (int c = 0; c < NC; c++)
        acc[r * NC + c] += a0 * b0[c] + a1 * b1[c];
    }
  }
  int texels = (p.n_count + 3) / 4;
  for (; t < texels; t++) {
    // B is zero past n_count (im2col writes zeros there) but A's plane padding may hold anything,
    // even NaN: select, do not multiply.
    bvec4 valid = lessThan(ivec4(t * 4) + ivec4(0, 1, 2, 3), ivec4(p.n_count));
    vec4 bv[NC];
    for (int c = 0; c < NC; c++)
      bv[c] = texelFetch(cols, b_row[c] + t);
    for (int r = 0; r < ROWS; r++) {
      vec4 av = mix(vec4(0.0), texelFetch(wmat, a_row[r] + t), valid);
      for (int c = 0; c < NC; c++)
        acc[r * NC + c] += av * bv[c];
    }
  }
  for (int c = 0; c < NC; c++)
    b_row[c] += p.col_seg4;
  for (int r = 0; r < ROWS; r++)
    a_row[r] += p.a_image4;
  }
  for (int r = 0; r < ROWS; r++) {
    int m = m0 + r;
    if (m >= p.m)
      break;
    for (int c = 0; c < NC; c++) {
      int n = n0 + c;
      if (n >= p.k)
        break;
      int at = p.dst_base + m * p.dst_plane + n;
      float v = dot(acc[r * NC + c], vec4(1.0));
      if (BIAS)
        v += texelFetch(bias, at).r;
      imageStore(dst1, at, vec4(v));
    }
  }
}

void main()
{
  if (WEIGHT_GRAD) {
    weight_grad();
    return;
  }
  int col4 = int(gl_GlobalInvocationID.x) * COLS4;   // texel of the column matrix's rows
  int m0 = int(gl_WorkGroupID.y) * ROWS;
  int batch = int(gl_WorkGroupID.z);
  int entry = batch, local4 = col4;                   // output batch entry, texel within it
  if (p.col_seg4 > 0) {
    if (col4 >= p.col_row4)
      return;
    int image = col4 / p.col_seg4;
    entry += image;
    local4 = col4 - image * p.col_seg4;
  }
  if (local4 * 4 >= p.n_count)
    return;

  for (int r = 0; r < ROWS * COLS4; r++)
    tile[r] = vec4(0.0);

  int a = m0 / 4 + batch * p.a_batch4;
  int b = col4 + batch * p.b_batch4;
  ivec4 base_y[COLS4], base_x[COLS4];
  int plane = p.src_base + batch * p.src_image, ky = 0, kx = 0;
  if (IMPLICIT) {
    for (int c = 0; c < COLS4; c++) {
      // Positions past the end repeat the last one: always in range, results not stored.
      ivec4 n = min(ivec4((local4 + c) * 4) + ivec4(0, 1, 2, 3), ivec4(p.n_count - 1));
      ivec4 oy = n / p.grid_w;
      base_y[c] = oy * p.stride - p.pad;
      base_x[c] = (n - oy * p.grid_w) * p.stride - p.pad_x;
    }
  }
  int kk = 0;
  if (IMPLICIT && SEG_KW > 0) {
    int oy = (local4 * 4) / p.grid_w, ox0 = local4 * 4 - oy * p.grid_w;
    if (ox0 + 4 * COLS4 <= p.grid_w) {
      segment_product(a, oy, ox0, plane);
      kk = p.k;
    }
  }
  if (!IMPLICIT) {
    // Two reduction steps per iteration: each accumulator is loaded and stored once per two
    // multiply-adds when the register tile does not fit the CPU's registers (llvmpipe).
    for (; kk + 1 < p.k; kk += 2) {
      vec4 b0[COLS4], b1[COLS4];
      for (int c = 0; c < COLS4; c++) {
        b0[c] = texelFetch(cols, b + c);
        b1[c] = texelFetch(cols, b + p.col_row4 + c);
      }
      for (int r4 = 0; r4 < ROWS / 4; r4++) {
        vec4 a0 = texelFetch(wmat, a + r4), a1 = texelFetch(wmat, a + p.w_row4 + r4);
        for (int c = 0; c < COLS4; c++) {
          tile[(4 * r4 + 0) * COLS4 + c] += a0.x * b0[c] + a1.x * b1[c];
          tile[(4 * r4 + 1) * COLS4 + c] += a0.y * b0[c] + a1.y * b1[c];
          tile[(4 * r4 + 2) * COLS4 + c] += a0.z * b0[c] + a1.z * b1[c];
          tile[(4 * r4 + 3) * COLS4 + c] += a0.w * b0[c] + a1.w * b1[c];
        }
      }
      a += 2 * p.w_row4;
      b += 2 * p.col_row4;
    }
  }
  for (; kk < p.k; kk++) {
    vec4 bv[COLS4];
    if (IMPLICIT) {
      for (int c = 0; c < COLS4; c++)
        bv[c] = gather_columns(base_y[c], base_x[c], plane, ky, kx);
      if (++kx == p.kw) {
        kx = 0;
        if (++ky == p.kh) {
          ky = 0;
          plane += p.in_plane;
        }
      }
    } else {
      for (int c = 0; c < COLS4; c++)
        bv[c] = texelFetch(cols, b + c);
    }
    for (int r4 = 0; r4 < ROWS / 4; r4++) {
      vec4 av = texelFetch(wmat, a + r4);
      for (int c = 0; c < COLS4; c++) {
        tile[(4 * r4 + 0) * COLS4 + c] += av.x * bv[c];
        tile[(4 * r4 + 1) * COLS4 + c] += av.y * bv[c];
        tile[(4 * r4 + 2) * COLS4 + c] += av.z * bv[c];
        tile[(4 * r4 + 3) * COLS4 + c] += av.w * bv[c];
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
    int plane = p.dst_base + entry * p.dst_batch + m * p.dst_plane;
    for (int c = 0; c < COLS4; c++) {
      int n4 = local4 + c;
      if (n4 * 4 >= p.n_count)
        break;
      vec4 v = activate4(tile[r * COLS4 + c] + bm, ACT, p.slope);
      // Columns past n_count land in the plane's padding (or are overwritten by the next
      // chunk).
      imageStore(dst4, (plane + p.n_begin) / 4 + n4, v);
    }
  }
}
