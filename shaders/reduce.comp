#version 450
// Sums of the graph engine (engine/nn/ops/shape.c): each output float is the sum of the input
// over the dimensions where the output has size 1 and the input has not, in a fixed order (so
// a plan gives the same bits every run). The host keeps each invocation's loop within
// VKS_MAX_LOOP_ITERATIONS by splitting long sums into one node per group of dimensions.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;

layout(binding = 0) uniform textureBuffer src;   // R32F
layout(binding = 1, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape o, s;
  int stored;
} p;

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.stored)
    return;
  int hw = p.o.h * p.o.w;
  int nc = t / p.o.plane;
  int r = t - nc * p.o.plane;
  if (r >= hw || nc >= p.o.n * p.o.c) {
    imageStore(dst, t, vec4(0.0));
    return;
  }
  int n0 = nc / p.o.c, c0 = nc - n0 * p.o.c, y0 = r / p.o.w, x0 = r - y0 * p.o.w;
  int rn = p.o.n == 1 ? p.s.n : 1, rc = p.o.c == 1 ? p.s.c : 1;
  int rh = p.o.h == 1 ? p.s.h : 1, rw = p.o.w == 1 ? p.s.w : 1;
  float sum = 0.0;
  for (int n = 0; n < rn; n++)
    for (int c = 0; c < rc; c++)
      for (int y = 0; y < rh; y++)
        for (int x = 0; x < rw; x++) {
          int base = ((n0 + n) * p.s.c + c0 + c) * p.s.plane;
          sum += texelFetch(src, base + (y0 + y) * p.s.w + x0 + x).x;
        }
  imageStore(dst, t, vec4(sum));
}
