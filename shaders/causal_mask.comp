#version 450
// The causal mask of attention scores (engine/nn/ops/attention.c): out = x where key j may be
// seen by query i (j <= i + offset, offset = keys - queries, so the last query sees every key),
// else `fill` (-inf before a softmax; 0 in the gradient). DENSE [..][queries][keys] output, one
// invocation per stored float; padding floats are zero.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;

layout(binding = 0) uniform textureBuffer src;   // R32F
layout(binding = 1, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape s;
  int stored;        // floats of dst to write
  float fill;
} p;

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.stored)
    return;
  int hw = p.s.h * p.s.w;
  int nc = t / hw, r = t - nc * hw;
  float v = 0.0;
  if (nc < p.s.n * p.s.c) {
    int i = r / p.s.w, j = r - i * p.s.w;
    v = j <= i + (p.s.w - p.s.h) ? texelFetch(src, nc * p.s.plane + r).x : p.fill;
  }
  imageStore(dst, t, vec4(v));
}
