#version 450
// Normalisation of one (image, channel) plane per workgroup, fused with the activation and the
// residual add that follow it in the networks we run:
//   dst = act((src - mean) / sqrt(var + eps) * gamma + beta) (+ residual)
// INSTANCE takes mean and biased variance from the plane itself (two passes over the plane, so
// the variance does not suffer the cancellation of E[x^2] - E[x]^2); otherwise (batch norm,
// inference) they come from the params buffer. dst may alias src or residual: every element is
// read before it is written by the same invocation.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const bool INSTANCE = true;
layout(constant_id = 2) const bool AFFINE = false;
layout(constant_id = 3) const int ACT = ACT_NONE;
layout(constant_id = 4) const bool RESIDUAL = false;

layout(binding = 0) uniform samplerBuffer src;      // RGBA32F
layout(binding = 1) uniform samplerBuffer residual; // RGBA32F
layout(binding = 2) uniform samplerBuffer params;   // R32F: gamma[C], beta[C], mean[C], var[C]
layout(binding = 3, rgba32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int channels;
  int count;        // valid floats per plane (h * w)
  int plane;        // floats per plane (multiple of 4)
  int src_base, res_base, dst_base; // first float of the image in each view
  float eps, slope;
} p;

shared float partial[gl_WorkGroupSize.x];

float workgroup_sum(float v)
{
  uint i = gl_LocalInvocationID.x;
  partial[i] = v;
  barrier();
  for (uint s = gl_WorkGroupSize.x / 2; s > 0; s >>= 1) {
    if (i < s)
      partial[i] += partial[i + s];
    barrier();
  }
  float total = partial[0];
  barrier();
  return total;
}

vec4 valid_mask(int t)
{
  int first = t * 4;
  return vec4(lessThan(ivec4(first) + ivec4(0, 1, 2, 3), ivec4(p.count)));
}

void main()
{
  int c = int(gl_WorkGroupID.x);
  int img = int(gl_WorkGroupID.y);
  int texels = (p.count + 3) / 4;
  int off = img * p.channels * p.plane + c * p.plane;
  int src4 = (p.src_base + off) / 4;
  int res4 = (p.res_base + off) / 4;
  int dst4 = (p.dst_base + off) / 4;
  int lid = int(gl_LocalInvocationID.x);
  int wg = int(gl_WorkGroupSize.x);

  float mean, var;
  if (INSTANCE) {
    vec4 s = vec4(0.0);
    for (int t = lid; t < texels; t += wg)
      s += texelFetch(src, src4 + t) * valid_mask(t);
    mean = workgroup_sum(s.x + s.y + s.z + s.w) / float(p.count);
    vec4 q = vec4(0.0);
    for (int t = lid; t < texels; t += wg) {
      vec4 d = (texelFetch(src, src4 + t) - mean) * valid_mask(t);
      q += d * d;
    }
    var = workgroup_sum(q.x + q.y + q.z + q.w) / float(p.count);
  } else {
    mean = texelFetch(params, 2 * p.channels + c).r;
    var = texelFetch(params, 3 * p.channels + c).r;
  }
  float scale = inversesqrt(var + p.eps);
  float shift = -mean * scale;
  if (AFFINE) {
    float gamma = texelFetch(params, c).r;
    float beta = texelFetch(params, p.channels + c).r;
    scale *= gamma;
    shift = shift * gamma + beta;
  }
  for (int t = lid; t < texels; t += wg) {
    vec4 v = activate4(texelFetch(src, src4 + t) * scale + shift, ACT, p.slope);
    if (RESIDUAL)
      v += texelFetch(residual, res4 + t);
    imageStore(dst, dst4 + t, v);
  }
}
