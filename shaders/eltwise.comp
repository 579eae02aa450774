#version 450
// Element-wise ops over whole tensors (padding included: harmless, keeps the loop branch-free).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
#include "common.glsl"

#define OP_ACTIVATE 0   // dst = act(a)
#define OP_ADD 1        // dst = a + b (dst may alias b: gradient accumulation, dst += a)
#define OP_ACT_BACKWARD 2  // dst = b * act'(x), the derivative read from the forward output a = act(x)

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int OP = OP_ACTIVATE;
layout(constant_id = 2) const int ACT = ACT_NONE;

layout(binding = 0) uniform textureBuffer a;   // RGBA32F
layout(binding = 1) uniform textureBuffer b;   // RGBA32F
layout(binding = 2, rgba32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int texels;
  int a_base4, b_base4, dst_base4;
  float slope;
} p;

// act' as a function of the activation's output, so the backward pass needs only the tensor the
// forward wrote (fused activations keep no pre-activation copy). Exact for ReLU, for tanh
// (1 - y^2) and for LeakyReLU with slope > 0 (sign(y) = sign(x)); at x = 0 it takes PyTorch's
// choice, the slope side.
vec4 activation_grad4(vec4 y, int act, float slope)
{
  if (act == ACT_RELU) return vec4(greaterThan(y, vec4(0.0)));
  if (act == ACT_LEAKY_RELU) return mix(vec4(slope), vec4(1.0), greaterThan(y, vec4(0.0)));
  if (act == ACT_TANH) return 1.0 - y * y;
  return vec4(1.0);
}

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.texels)
    return;
  vec4 v = texelFetch(a, p.a_base4 + t);
  if (OP == OP_ADD)
    v += texelFetch(b, p.b_base4 + t);
  else if (OP == OP_ACT_BACKWARD)
    v = texelFetch(b, p.b_base4 + t) * activation_grad4(v, ACT, p.slope);
  else
    v = activate4(v, ACT, p.slope);
  imageStore(dst, p.dst_base4 + t, v);
}
