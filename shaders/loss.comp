#version 450
// Training losses: the gradient of scale * mean(loss(x)) over the real elements of x (the plane
// padding excluded), and the value scale * mean(...) itself, as PyTorch defines each loss.
// Two dispatches of this shader, both recorded by engine/loss.c:
//   STAGE 0: each invocation walks texels with a grid stride, writes dx (or adds to it) and sums
//            its elements' losses; each workgroup writes its sum to partials[workgroup].
//   STAGE 1: one workgroup adds the partials and writes scale * sum / count to value[index].
// A fixed-order tree sum, so the value does not change from run to run.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
#include "common.glsl"

#define KIND_MSE 0          // (x - t)^2, t constant (LSGAN)
#define KIND_BCE_LOGITS 1   // BCEWithLogits against the constant t (vanilla GAN)
#define KIND_HINGE_REAL 2   // relu(1 - x)
#define KIND_HINGE_FAKE 3   // relu(1 + x)
#define KIND_HINGE_GEN 4    // -x
#define KIND_L1 5           // |x - t|, t a tensor (cycle, identity)

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int KIND = KIND_MSE;
layout(constant_id = 2) const bool ACCUMULATE = false;  // dx += instead of dx =
layout(constant_id = 3) const int STAGE = 0;

layout(binding = 0) uniform textureBuffer x;        // RGBA32F
layout(binding = 1) uniform textureBuffer target;   // RGBA32F (KIND_L1)
layout(binding = 2) uniform textureBuffer prev;     // RGBA32F: the dx region (ACCUMULATE)
layout(binding = 3, rgba32f) uniform writeonly imageBuffer dx;
layout(binding = 4, r32f) uniform imageBuffer partials;
layout(binding = 5, r32f) uniform writeonly imageBuffer value;

layout(push_constant) uniform Params {
  int texels;          // of x, dx and target
  int plane;           // floats per (n, c) plane, a multiple of 4
  int valid;           // real floats per plane: h * w
  int n_partials;      // workgroups of stage 0
  int value_index;     // float of `value` stage 1 writes
  float t;             // constant target (MSE, BCE)
  float grad_scale;    // scale / count, the factor of each element's derivative
  float scale;
  float count;         // real elements, n * c * h * w
} p;

shared float sums[gl_WorkGroupSize.x];

float workgroup_sum(float v)
{
  uint i = gl_LocalInvocationID.x;
  sums[i] = v;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1) {
    if (i < s)
      sums[i] += sums[i + s];
    barrier();
  }
  return sums[0];
}

// Loss of one element (.x) and its derivative (.y), without the 1/count and scale.
vec2 element(float v, float t)
{
  if (KIND == KIND_MSE) {
    float d = v - t;
    return vec2(d * d, 2.0 * d);
  }
  if (KIND == KIND_BCE_LOGITS) {
    // PyTorch's stable form: (1 - t) x + m + log(exp(-m) + exp(-x - m)), m = max(-x, 0);
    // derivative sigmoid(x) - t.
    float m = max(-v, 0.0);
    float l = (1.0 - t) * v + m + log(exp(-m) + exp(-v - m));
    return vec2(l, 1.0 / (1.0 + exp(-v)) - t);
  }
  if (KIND == KIND_HINGE_REAL) {
    float a = 1.0 - v;
    return vec2(max(a, 0.0), a > 0.0 ? -1.0 : 0.0);   // relu'(0) = 0, as PyTorch
  }
  if (KIND == KIND_HINGE_FAKE) {
    float a = 1.0 + v;
    return vec2(max(a, 0.0), a > 0.0 ? 1.0 : 0.0);
  }
  if (KIND == KIND_HINGE_GEN)
    return vec2(-v, -1.0);
  float d = v - t;                                    // KIND_L1
  return vec2(abs(d), sign(d));                       // sign(0) = 0, as PyTorch
}

void main()
{
  if (STAGE == 1) {
    float s = 0.0;
    for (int i = int(gl_LocalInvocationID.x); i < p.n_partials; i += int(gl_WorkGroupSize.x))
      s += imageLoad(partials, i).x;
    s = workgroup_sum(s);
    if (gl_LocalInvocationID.x == 0)
      imageStore(value, p.value_index, vec4(p.scale * (s / p.count)));
    return;
  }

  float s = 0.0;
  int stride = int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  for (int i = int(gl_GlobalInvocationID.x); i < p.texels; i += stride) {
    vec4 v = texelFetch(x, i);
    vec4 t = KIND == KIND_L1 ? texelFetch(target, i) : vec4(p.t);
    int first = (i * 4) % p.plane;                    // planes start on texels
    vec4 g = vec4(0.0);
    for (int k = 0; k < 4; k++)
      if (first + k < p.valid) {
        vec2 e = element(v[k], t[k]);
        s += e.x;
        g[k] = p.grad_scale * e.y;
      }
    if (ACCUMULATE)
      g += texelFetch(prev, i);
    imageStore(dx, i, g);
  }
  s = workgroup_sum(s);
  if (gl_LocalInvocationID.x == 0)
    imageStore(partials, int(gl_WorkGroupID.x), vec4(s));
}
