#version 450
// Concatenation and slicing along one dimension DIM (engine/nn/ops/concat.c): one invocation per
// stored float of the output, which copies the element at the same index of one of up to three
// sources; along DIM, index k (shifted by `begin`, a slice's start) lies in source 0 below end0,
// in source 1 below end1, else in source 2. Each tensor has its own layout (plane stride), so
// the copy also converts. Padding floats of the output are written 0.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int DIM = 1;       // 0 n, 1 c, 2 h, 3 w

layout(binding = 0) uniform textureBuffer s0;    // R32F
layout(binding = 1) uniform textureBuffer s1;    // R32F
layout(binding = 2) uniform textureBuffer s2;    // R32F
layout(binding = 3, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape o, a, b, c;
  int begin, end0, end1;
  int stored;        // floats of dst to write
} p;

int address(Shape s, ivec4 i)
{
  return (i.x * s.c + i.y) * s.plane + i.z * s.w + i.w;
}

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
  int n = nc / p.o.c, y = r / p.o.w;
  ivec4 i = ivec4(n, nc - n * p.o.c, y, r - y * p.o.w);
  int k = i[DIM] + p.begin;
  float v;
  if (k < p.end0) {
    i[DIM] = k;
    v = texelFetch(s0, address(p.a, i)).x;
  } else if (k < p.end1) {
    i[DIM] = k - p.end0;
    v = texelFetch(s1, address(p.b, i)).x;
  } else {
    i[DIM] = k - p.end1;
    v = texelFetch(s2, address(p.c, i)).x;
  }
  imageStore(dst, t, vec4(v));
}
