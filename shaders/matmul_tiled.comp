#version 450
// Batched matrix products (engine/nn/ops/matmul.c) with a 4 x 4 output tile per invocation:
// each k step fetches 4 + 4 operands for 16 multiply-adds, where matmul.comp fetches 2 for 1
// (on lavapipe every fetch with a per-invocation address is a gather, which is what bounds
// the one-output kernel). Same operands, layouts, broadcasting and k order as matmul.comp, so
// each output is the same sum. Rows and columns past the matrix edge are read clamped and not
// written; one invocation past the last tile zeroes the padding floats of the last texel.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int TRANS_A = 0;
layout(constant_id = 2) const int TRANS_B = 0;

layout(binding = 0) uniform textureBuffer a;     // R32F
layout(binding = 1) uniform textureBuffer b;     // R32F
layout(binding = 2, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape o, sa, sb;
  int stored, k;
} p;

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int rows = p.o.h, cols = p.o.w;
  int tm = (rows + 3) / 4, tn = (cols + 3) / 4;
  int tiles = p.o.n * p.o.c * tm * tn;
  if (t == tiles) {
    for (int i = p.o.n * p.o.c * rows * cols; i < p.stored; i++)
      imageStore(dst, i, vec4(0.0));
    return;
  }
  if (t > tiles)
    return;
  int nc = t / (tm * tn), r = t - nc * (tm * tn);
  int ti = r / tn, tj = r - ti * tn;
  int n = nc / p.o.c, c = nc - n * p.o.c;
  int a_base = ((p.sa.n == 1 ? 0 : n) * p.sa.c + (p.sa.c == 1 ? 0 : c)) * p.sa.h * p.sa.w;
  int b_base = ((p.sb.n == 1 ? 0 : n) * p.sb.c + (p.sb.c == 1 ? 0 : c)) * p.sb.h * p.sb.w;
  int i0 = ti * 4, j0 = tj * 4;
  // where row i of op(a) and column j of op(b) start, and the step along k
  ivec4 ia = min(ivec4(i0, i0 + 1, i0 + 2, i0 + 3), ivec4(rows - 1));
  ivec4 jb = min(ivec4(j0, j0 + 1, j0 + 2, j0 + 3), ivec4(cols - 1));
  ivec4 a_at = a_base + (TRANS_A != 0 ? ia : ia * p.sa.w);
  int a_step = TRANS_A != 0 ? p.sa.w : 1;
  ivec4 b_at = b_base + (TRANS_B != 0 ? jb * p.sb.w : jb);
  int b_step = TRANS_B != 0 ? 1 : p.sb.w;
  vec4 acc0 = vec4(0.0), acc1 = vec4(0.0), acc2 = vec4(0.0), acc3 = vec4(0.0);
  for (int k = 0; k < p.k; k++) {
    ivec4 ak = a_at + k * a_step, bk = b_at + k * b_step;
    vec4 av = vec4(texelFetch(a, ak.x).x, texelFetch(a, ak.y).x, texelFetch(a, ak.z).x,
                   texelFetch(a, ak.w).x);
    vec4 bv = vec4(texelFetch(b, bk.x).x, texelFetch(b, bk.y).x, texelFetch(b, bk.z).x,
                   texelFetch(b, bk.w).x);
    acc0 += av.x * bv;
    acc1 += av.y * bv;
    acc2 += av.z * bv;
    acc3 += av.w * bv;
  }
  int base = nc * rows * cols;
  vec4 acc[4] = vec4[4](acc0, acc1, acc2, acc3);
  for (int q = 0; q < 4 && i0 + q < rows; q++)
    for (int s = 0; s < 4 && j0 + s < cols; s++)
      imageStore(dst, base + (i0 + q) * cols + j0 + s, vec4(acc[q][s]));
}
