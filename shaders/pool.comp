#version 450
// 2x2 pooling and its adjoint (engine/nn/ops/pool.c), PLANES layout, one invocation per stored
// output float (padding written 0):
//   UP = 0: out[y][x] = factor * (x[2y][2x] + x[2y][2x+1] + x[2y+1][2x] + x[2y+1][2x+1])
//   UP = 1: out[y][x] = factor * x[y/2][x/2] where that lies inside x, else 0
// so that average pooling (factor 1/4) and nearest upsampling (factor 1) are each other's
// adjoint up to the factor, which their gradient rules use.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int UP = 0;

layout(binding = 0) uniform textureBuffer src;   // R32F
layout(binding = 1, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape o, s;
  int stored;
  float factor;
} p;

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.stored)
    return;
  int nc = t / p.o.plane;
  int r = t - nc * p.o.plane;
  if (r >= p.o.h * p.o.w || nc >= p.o.n * p.o.c) {
    imageStore(dst, t, vec4(0.0));
    return;
  }
  int y = r / p.o.w, x = r - y * p.o.w;
  int base = nc * p.s.plane;
  float v;
  if (UP != 0) {
    int sy = y / 2, sx = x / 2;
    v = sy < p.s.h && sx < p.s.w ? texelFetch(src, base + sy * p.s.w + sx).x : 0.0;
  } else {
    int i = base + 2 * y * p.s.w + 2 * x;
    v = (texelFetch(src, i).x + texelFetch(src, i + 1).x)
      + (texelFetch(src, i + p.s.w).x + texelFetch(src, i + p.s.w + 1).x);
  }
  imageStore(dst, t, vec4(p.factor * v));
}
