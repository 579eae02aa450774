#version 450
// Element-wise ops over whole tensors (padding included: harmless, keeps the loop branch-free).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

#define OP_ACTIVATE 0   // dst = act(a)
#define OP_ADD 1        // dst = a + b

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int OP = OP_ACTIVATE;
layout(constant_id = 2) const int ACT = ACT_NONE;

layout(binding = 0) uniform samplerBuffer a;   // RGBA32F
layout(binding = 1) uniform samplerBuffer b;   // RGBA32F
layout(binding = 2, rgba32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int texels;
  int a_base4, b_base4, dst_base4;
  float slope;
} p;

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.texels)
    return;
  vec4 v = texelFetch(a, p.a_base4 + t);
  if (OP == OP_ADD)
    v += texelFetch(b, p.b_base4 + t);
  else
    v = activate4(v, ACT, p.slope);
  imageStore(dst, p.dst_base4 + t, v);
}
