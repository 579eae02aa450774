#version 450
// Softmax over the last dimension (engine/nn/ops/softmax.c): one invocation per row of w floats,
// which finds the row's maximum, sums exp(x - max) and writes exp(x - max) / sum, each loop in
// index order (a plan gives the same bits every run). The host keeps w within
// VKS_MAX_LOOP_ITERATIONS. The output is DENSE; one invocation past the last row zeroes the
// padding floats of its last texel.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;

layout(binding = 0) uniform textureBuffer src;   // R32F
layout(binding = 1, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape s;
  int rows;          // n * c * h
  int stored;        // floats of dst to write
} p;

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  int w = p.s.w;
  if (t == p.rows) {
    for (int i = p.rows * w; i < p.stored; i++)
      imageStore(dst, i, vec4(0.0));
    return;
  }
  if (t > p.rows)
    return;
  int nc = t / p.s.h, y = t - nc * p.s.h;
  int base = nc * p.s.plane + y * w;
  float m = texelFetch(src, base).x;
  for (int x = 1; x < w; x++)
    m = max(m, texelFetch(src, base + x).x);
  float sum = 0.0;
  for (int x = 0; x < w; x++)
    sum += exp(texelFetch(src, base + x).x - m);
  float inv = 1.0 / sum;
  for (int x = 0; x < w; x++)
    imageStore(dst, t * w + x, vec4(exp(texelFetch(src, base + x).x - m) * inv));
}
