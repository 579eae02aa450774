#version 450
// Vector quantisation (engine/nn/ops/vq.c): the nearest code of each position of z and the
// adjoint pair that moves codes between the codebook and z's layout.
//   MODE 0: idx[n][y][x] = argmin_k sum_c (z[n][c][y][x] - code[k][c])^2   src0 z, src1 codebook
//   MODE 1: out[n][c][y][x] = code[idx[n][y][x]][c]                        src0 codebook, src1 idx
//   MODE 2: out[k][c] = sum over positions p with idx[p] == k of dy[n][c][p] src0 dy, src1 idx
// MODE 0 sums the squared differences directly (no |z|^2 + |e|^2 - 2 z.e cancellation) and keeps
// the first code on ties, as torch.argmin. MODE 2 loops over every position in order in each
// invocation: a deterministic scatter-add without atomics (the host keeps the loops within
// VKS_MAX_LOOP_ITERATIONS). An index outside [0, codes) selects nothing (a zero vector).
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int MODE = 0;

layout(binding = 0) uniform textureBuffer src0;   // R32F
layout(binding = 1) uniform textureBuffer src1;   // R32F
layout(binding = 2, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape z;             // z, the gathered output or dy: [n][dim][h][w]
  Shape idx;           // the indices, [n][1][h][w] in any layout
  int codes, dim;      // the codebook is [codes][dim], flat
  int stored;          // floats of dst to write
} p;

int index_at(int r)
{
  int hw = p.idx.h * p.idx.w;
  float v = texelFetch(src1, (r / hw) * p.idx.plane + r % hw).x;
  return int(floor(v + 0.5));
}

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.stored)
    return;
  int hw = p.z.h * p.z.w;
  if (MODE == 0) {
    float best_index = 0.0;
    if (t < p.z.n * hw) {
      int n = t / hw, r = t - n * hw;
      int base = n * p.z.c * p.z.plane + r;
      float best = 0.0;
      for (int k = 0; k < p.codes; k++) {
        float d = 0.0;
        for (int c = 0; c < p.dim; c++) {
          float diff = texelFetch(src0, base + c * p.z.plane).x - texelFetch(src1, k * p.dim + c).x;
          d += diff * diff;
        }
        if (k == 0 || d < best) {
          best = d;
          best_index = float(k);
        }
      }
    }
    imageStore(dst, t, vec4(best_index));
  } else if (MODE == 1) {
    int nc = t / p.z.plane, r = t - nc * p.z.plane;
    float v = 0.0;
    if (r < hw && nc < p.z.n * p.z.c) {
      int n = nc / p.z.c, c = nc - n * p.z.c;
      int k = index_at(n * hw + r);
      if (k >= 0 && k < p.codes)
        v = texelFetch(src0, k * p.dim + c).x;
    }
    imageStore(dst, t, vec4(v));
  } else {
    int k = t / p.dim, c = t - k * p.dim;
    float v = 0.0;
    if (k < p.codes)
      for (int q = 0; q < p.z.n * hw; q++)
        if (index_at(q) == k) {
          int n = q / hw, r = q - n * hw;
          v += texelFetch(src0, (n * p.z.c + c) * p.z.plane + r).x;
        }
    imageStore(dst, t, vec4(v));
  }
}
