#version 450
// Winograd F(4x4, 3x3) convolution, the two transforms around the batched multiply (gemm.comp
// with gl_WorkGroupID.z = the 36 points of the 6x6 transform domain), and the weight transform:
//   STAGE 0, input transform:  V[xi][ci][t] = (B^T d B)[xi], d = the 6x6 input patch of tile t,
//            read with the layer's reflect or zero padding (so no padded copy of the input);
//   STAGE 1, output transform: y[m][4x4 tile t] = act(A^T M[.][m][t] A + bias[m]);
//   STAGE 2, weight transform: U[xi][ci][m] = (G g G^T)[xi], g = the 3x3 kernel of (m, ci), for
//            training, where the weights change every step (the inference path transforms them
//            on the host, engine/winograd.c vks_winograd_pack, in double: the reference).
// Each invocation handles 4 consecutive tiles of one channel, one tile per vec4 component, so
// the transformed domain is read and written as whole texels (see common.glsl for why texels).
// Tiles are numbered row-major over the output and processed in chunks [t_begin, t_begin +
// t_count) sized by the host to the scratch it has. Matrices: Lavin & Gray's, points 0, +-1,
// +-2, infinity.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int STAGE = 0;
layout(constant_id = 2) const bool REFLECT = false;   // input transform: reflect padding
layout(constant_id = 3) const int ACT = ACT_NONE;     // output transform: activation
// Weight transform: read the kernel of the convolution whose input gradient this one computes,
// w'[m][ci][ky][kx] = w[ci][m][2-ky][2-kx] (engine/backward.c).
layout(constant_id = 4) const bool FLIP = false;

// STAGE 0: R32F view of the input tensor; STAGE 1: RGBA32F view of M [36][cout][t_row4];
// STAGE 2: R32F view of PyTorch-layout weights.
layout(binding = 0) uniform textureBuffer src;
layout(binding = 1) uniform textureBuffer bias;                   // R32F [m_pad], STAGE 1
layout(binding = 2, rgba32f) uniform writeonly imageBuffer dst4;  // V, the output or U
layout(binding = 3, r32f) uniform writeonly imageBuffer dst1;     // R32F view of the output

layout(push_constant) uniform Params {
  int in_h, in_w, in_plane, src_base;   // STAGE 0 input geometry; src_base: this image
  int pad;                              // STAGE 0: input row/column of output 0 is -pad
  int tiles_w;                          // tiles per output row
  int t_begin, t_count;                 // tile chunk
  int t_row4;                           // texels per row of V / M (chunk tiles / 4, rounded)
  int xi_stride4;                       // texels per transform point (rows * t_row4)
  int out_h, out_w, out_plane, dst_base;  // STAGE 1 output geometry; dst_base: this image
  float slope;
  int w_cin, w_cout, w_row4;            // STAGE 2: U's shape [36][w_cin][4 * w_row4]
  int w_base;                           // STAGE 2: first weight in src
} p;


float load_input(int plane, int iy, int ix)
{
  if (REFLECT) {
    iy = reflect_index(iy, p.in_h);
    ix = reflect_index(ix, p.in_w);
  } else if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) {
    return 0.0;
  }
  return texelFetch(src, plane + iy * p.in_w + ix).r;
}

// B^T applied to 6 values (a row or a column of the patch).
void bt6(inout vec4 v[6])
{
  vec4 d0 = v[0], d1 = v[1], d2 = v[2], d3 = v[3], d4 = v[4], d5 = v[5];
  v[0] = 4.0 * d0 - 5.0 * d2 + d4;
  v[1] = -4.0 * (d1 + d2) + d3 + d4;
  v[2] = 4.0 * (d1 - d2) - d3 + d4;
  v[3] = 2.0 * (d3 - d1) + d4 - d2;
  v[4] = 2.0 * (d1 - d3) + d4 - d2;
  v[5] = 4.0 * d1 - 5.0 * d3 + d5;
}

// A^T applied to 6 values: 4 results in the first 4 entries.
void at6(inout vec4 v[6])
{
  vec4 s12 = v[1] + v[2], d12 = v[1] - v[2], s34 = v[3] + v[4], d34 = v[3] - v[4];
  vec4 r0 = v[0] + s12 + s34;
  vec4 r1 = d12 + 2.0 * d34;
  vec4 r2 = s12 + 4.0 * s34;
  vec4 r3 = d12 + 8.0 * d34 + v[5];
  v[0] = r0; v[1] = r1; v[2] = r2; v[3] = r3;
}

void input_transform(int t4, int ci)
{
  int plane = p.src_base + ci * p.in_plane;
  vec4 d[6][6];
  for (int j = 0; j < 4; j++) {
    int t = p.t_begin + t4 * 4 + j;
    int ty = t / p.tiles_w;
    int tx = t - ty * p.tiles_w;
    int y0 = ty * 4 - p.pad, x0 = tx * 4 - p.pad;
    for (int r = 0; r < 6; r++)
      for (int c = 0; c < 6; c++)
        d[r][c][j] = load_input(plane, y0 + r, x0 + c);
  }
  for (int r = 0; r < 6; r++)
    bt6(d[r]);
  vec4 col[6];
  int base = ci * p.t_row4 + t4;
  for (int c = 0; c < 6; c++) {
    for (int r = 0; r < 6; r++)
      col[r] = d[r][c];
    bt6(col);
    for (int r = 0; r < 6; r++)
      imageStore(dst4, (r * 6 + c) * p.xi_stride4 + base, col[r]);
  }
}

void output_transform(int t4, int m)
{
  int base = m * p.t_row4 + t4;
  vec4 s[4][6];   // A^T M: 4 rows of 6
  vec4 col[6];
  for (int c = 0; c < 6; c++) {
    for (int r = 0; r < 6; r++)
      col[r] = texelFetch(src, (r * 6 + c) * p.xi_stride4 + base);
    at6(col);
    for (int r = 0; r < 4; r++)
      s[r][c] = col[r];
  }
  float b = texelFetch(bias, m).r;
  int plane = p.dst_base + m * p.out_plane;
  for (int r = 0; r < 4; r++) {
    at6(s[r]);
    for (int c = 0; c < 4; c++)
      s[r][c] = activate4(s[r][c] + b, ACT, p.slope);
  }
  for (int j = 0; j < 4; j++) {
    int t = p.t_begin + t4 * 4 + j;
    if (t4 * 4 + j >= p.t_count)
      break;
    int ty = t / p.tiles_w;
    int tx = t - ty * p.tiles_w;
    for (int r = 0; r < 4; r++) {
      int oy = ty * 4 + r;
      if (oy >= p.out_h)
        break;
      int at = plane + oy * p.out_w + tx * 4;
      if ((p.out_w & 3) == 0) {
        // Whole tile rows, 16-byte aligned: one texel store per row.
        imageStore(dst4, at / 4, vec4(s[r][0][j], s[r][1][j], s[r][2][j], s[r][3][j]));
      } else {
        for (int c = 0; c < 4; c++)
          if (tx * 4 + c < p.out_w)
            imageStore(dst1, at + c, vec4(s[r][c][j]));
      }
    }
  }
}

// G applied to 3 values (a row or a column of the kernel): 6 results.
void g3(vec4 g0, vec4 g1, vec4 g2, out vec4 v[6])
{
  v[0] = 0.25 * g0;
  v[1] = (g0 + g1 + g2) * (-1.0 / 6.0);
  v[2] = (g0 - g1 + g2) * (-1.0 / 6.0);
  v[3] = (g0 + 2.0 * g1 + 4.0 * g2) * (1.0 / 24.0);
  v[4] = (g0 - 2.0 * g1 + 4.0 * g2) * (1.0 / 24.0);
  v[5] = g2;
}

// Output channels 4 * m4 .. + 3 (one per vec4 component; 0 past w_cout) of input channel ci.
void weight_transform(int m4, int ci)
{
  vec4 g[9];
  for (int j = 0; j < 4; j++) {
    int m = m4 * 4 + j;
    for (int k = 0; k < 9; k++) {
      int at = FLIP ? (ci * p.w_cout + m) * 9 + 8 - k : (m * p.w_cin + ci) * 9 + k;
      g[k][j] = m < p.w_cout ? texelFetch(src, p.w_base + at).r : 0.0;
    }
  }
  vec4 t[3][6];   // G g, by kernel column
  for (int c = 0; c < 3; c++)
    g3(g[c], g[3 + c], g[6 + c], t[c]);
  for (int a = 0; a < 6; a++) {
    vec4 u[6];
    g3(t[0][a], t[1][a], t[2][a], u);
    for (int b = 0; b < 6; b++)
      imageStore(dst4, ((a * 6 + b) * p.w_cin + ci) * p.w_row4 + m4, u[b]);
  }
}

void main()
{
  int t4 = int(gl_GlobalInvocationID.x);
  int channel = int(gl_WorkGroupID.y);
  if (STAGE == 2) {
    if (t4 < p.w_row4)
      weight_transform(t4, channel);
    return;
  }
  if (t4 * 4 >= p.t_count)
    return;
  if (STAGE == 0)
    input_transform(t4, channel);
  else
    output_transform(t4, channel);
}
