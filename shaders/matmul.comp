#version 450
// Batched matrix products of the graph engine (engine/nn/ops/matmul.c), DENSE layouts:
// out[n][c] = op(a[n][c]) op(b[n][c]) over the last two dimensions, a size-1 batch dimension
// broadcasting. One invocation per output float, the k loop in order (the host keeps k within
// VKS_MAX_LOOP_ITERATIONS).
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
  if (t >= p.stored)
    return;
  int mn = p.o.h * p.o.w;
  int nc = t / mn;
  if (nc >= p.o.n * p.o.c) {
    imageStore(dst, t, vec4(0.0));
    return;
  }
  int r = t - nc * mn;
  int i = r / p.o.w, j = r - i * p.o.w;
  int n = nc / p.o.c, c = nc - n * p.o.c;
  int a_base = ((p.sa.n == 1 ? 0 : n) * p.sa.c + (p.sa.c == 1 ? 0 : c)) * p.sa.h * p.sa.w;
  int b_base = ((p.sb.n == 1 ? 0 : n) * p.sb.c + (p.sb.c == 1 ? 0 : c)) * p.sb.h * p.sb.w;
  // element (i, k) of op(a) and (k, j) of op(b)
  int a_at = a_base + (TRANS_A != 0 ? i : i * p.sa.w);
  int a_step = TRANS_A != 0 ? p.sa.w : 1;
  int b_at = b_base + (TRANS_B != 0 ? j * p.sb.w : j);
  int b_step = TRANS_B != 0 ? 1 : p.sb.w;
  float sum = 0.0;
  for (int k = 0; k < p.k; k++)
    sum += texelFetch(a, a_at + k * a_step).x * texelFetch(b, b_at + k * b_step).x;
  imageStore(dst, t, vec4(sum));
}
