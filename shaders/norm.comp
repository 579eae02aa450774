#version 450
// Normalisation of one (image, channel) plane per workgroup, fused with the activation and the
// residual add that follow it in the networks we run:
//   dst = act((src - mean) / sqrt(var + eps) * gamma + beta) (+ residual)
// INSTANCE takes mean and biased variance from the plane itself (two passes over the plane, so
// the variance does not suffer the cancellation of E[x^2] - E[x]^2); otherwise (batch norm,
// inference) they come from the params buffer. dst may alias src or residual: every element is
// read before it is written by the same invocation.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : require
#include "common.glsl"

layout(local_size_x_id = 0) in;

#ifndef NORM_BACKWARD
layout(constant_id = 1) const bool INSTANCE = true;
layout(constant_id = 2) const bool AFFINE = false;
layout(constant_id = 3) const int ACT = ACT_NONE;
layout(constant_id = 4) const bool RESIDUAL = false;

layout(binding = 0) uniform textureBuffer src;      // RGBA32F
layout(binding = 1) uniform textureBuffer residual; // RGBA32F
layout(binding = 2) uniform textureBuffer params;   // R32F: gamma[C], beta[C], mean[C], var[C]
layout(binding = 3, rgba32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int channels;
  int count;        // valid floats per plane (h * w)
  int plane;        // floats per plane (multiple of 4)
  int src_base, res_base, dst_base; // first float of the image in each view
  float eps, slope;
} p;

#else
// The backward compile: engine/meson.build builds this file a second time with NORM_BACKWARD,
// because it needs two outputs and so a different descriptor layout than the forward pipelines
// ops.c binds. Per-channel work, one workgroup per channel looping over the images, so the
// per-channel parameter gradients need no second reduction pass:
//   MODE 0, instance norm backward: g = dy * act'(z), z = gamma * xhat + beta recomputed from x
//           (the forward applied act after normalising); dbeta = sum g, dgamma = sum g * xhat,
//           dx = gamma / std * (g - mean(g) - xhat * mean(g * xhat)). A fused residual's gradient
//           is dy itself: the caller fans it out.
//   MODE 1, channel sum (convolution bias gradient): out[c] = sum over images and pixels of src.
//   MODE 2, reflect-padding fold (input gradient of a reflect-padded convolution), one workgroup
//           per (channel, image): each in_h x in_w pixel gets the sum of the pixels of the padded
//           gradient (in_h + 2 pad rows, in_w + 2 pad columns) that reflect onto it.
//   MODE 3, statistics (forward, for tiled inference, engine/generator.c): mean and biased
//           variance of each channel over a rectangle of image 0's plane (the whole plane, or
//           the part of a tile no other tile accounts for), two passes as the forward takes
//           them, optionally corrected, written to dst1[out_at + c], dst1[out_at + C + c]:
//           out_at = 2C is where the forward's batch-norm mode reads them. Lives in this build
//           because it writes an R32F output the forward layout lacks.
#define MODE_NORM 0
#define MODE_CHANNEL_SUM 1
#define MODE_REFLECT_FOLD 2
#define MODE_STATISTICS 3
layout(constant_id = 1) const int MODE = MODE_NORM;
layout(constant_id = 2) const bool AFFINE = false;
layout(constant_id = 3) const int ACT = ACT_NONE;
layout(constant_id = 4) const bool ACCUMULATE = false;  // dst1 += instead of =

layout(binding = 0) uniform textureBuffer src;      // RGBA32F x (0), dy (1); R32F padded grad (2)
layout(binding = 1) uniform textureBuffer dy;       // RGBA32F (MODE 0)
layout(binding = 2) uniform textureBuffer params;   // R32F: gamma[C], beta[C] (MODE 0, AFFINE)
layout(binding = 3) uniform textureBuffer prev;     // R32F: the region dst1 writes (ACCUMULATE)
layout(binding = 4, rgba32f) uniform writeonly imageBuffer dst4;  // dx (MODE 0, 2)
layout(binding = 5, r32f) uniform writeonly imageBuffer dst1;     // dgamma[C], dbeta[C]; sums

layout(push_constant) uniform Params {
  int channels, count, plane, images;   // MODE 0, 1: geometry of the planes read
  float eps, slope;
  int pad, in_h, in_w, src_plane;       // MODE 2: output size, padding, floats per src plane
  // MODE 3 (also channels, plane, and in_h x in_w: the plane's rows and columns): region 0 is
  // the whole plane; region 1 is rows [r0, r1), columns [r2, r3) of params[0..3], given at the
  // network's input resolution (multiples of 4) and divided by 2^shift for this plane. Read from
  // a buffer, not pushed, so one recorded plan serves every tile. correct != 0: the written mean
  // is mean + params[c] and the variance var * params[C + c] (corrections derived elsewhere).
  int region, shift, out_at, correct;
} p;
#endif

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

#ifndef NORM_BACKWARD
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
    // Summed relative to the plane's first value: a channel far from 0 with a small spread (a
    // bias, a dead filter) would otherwise lose its mean to float rounding over a large plane,
    // and with variance below eps the normalisation magnifies that error ~300x.
    float pilot = texelFetch(src, src4).x;
    vec4 s = vec4(0.0);
    for (int t = lid; t < texels; t += wg)
      s += (texelFetch(src, src4 + t) - pilot) * valid_mask(t);
    mean = pilot + workgroup_sum(s.x + s.y + s.z + s.w) / float(p.count);
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

#else
// Zero outside the plane's h * w valid floats; a select, so padding garbage (even NaN) never
// reaches a sum.
vec4 keep_valid(vec4 v, int t)
{
  return mix(vec4(0.0), v, lessThan(ivec4(t * 4) + ivec4(0, 1, 2, 3), ivec4(p.count)));
}

// act' as a function of the pre-activation z (PyTorch's choice at z = 0: the zero/slope side).
vec4 activation_grad4(vec4 z, int act, float slope)
{
  if (act == ACT_RELU) return vec4(greaterThan(z, vec4(0.0)));
  if (act == ACT_LEAKY_RELU) return mix(vec4(slope), vec4(1.0), greaterThan(z, vec4(0.0)));
  if (act == ACT_TANH) {
    vec4 y = tanh(z);
    return 1.0 - y * y;
  }
  return vec4(1.0);
}

void write_param_grad(int at, float v)
{
  if (ACCUMULATE)
    v += texelFetch(prev, at).r;
  imageStore(dst1, at, vec4(v));
}

void norm_backward(int c, int lid, int wg)
{
  int texels = (p.count + 3) / 4;
  float gamma = AFFINE ? texelFetch(params, c).r : 1.0;
  float beta = AFFINE ? texelFetch(params, p.channels + c).r : 0.0;
  float dgamma = 0.0, dbeta = 0.0;
  for (int img = 0; img < p.images; img++) {
    int base = (img * p.channels + c) * p.plane / 4;
    vec4 s = vec4(0.0);
    for (int t = lid; t < texels; t += wg)
      s += keep_valid(texelFetch(src, base + t), t);
    float mean = workgroup_sum(s.x + s.y + s.z + s.w) / float(p.count);
    vec4 q = vec4(0.0);
    for (int t = lid; t < texels; t += wg) {
      vec4 d = keep_valid(texelFetch(src, base + t) - mean, t);
      q += d * d;
    }
    float rstd = inversesqrt(workgroup_sum(q.x + q.y + q.z + q.w) / float(p.count) + p.eps);
    vec4 sg = vec4(0.0), sgx = vec4(0.0);
    for (int t = lid; t < texels; t += wg) {
      vec4 xhat = (texelFetch(src, base + t) - mean) * rstd;
      vec4 g = keep_valid(texelFetch(dy, base + t) * activation_grad4(xhat * gamma + beta, ACT,
                                                                      p.slope), t);
      sg += g;
      sgx += g * keep_valid(xhat, t);
    }
    float sum_g = workgroup_sum(sg.x + sg.y + sg.z + sg.w);
    float sum_gx = workgroup_sum(sgx.x + sgx.y + sgx.z + sgx.w);
    dbeta += sum_g;
    dgamma += sum_gx;
    float mean_g = sum_g / float(p.count), mean_gx = sum_gx / float(p.count);
    float scale = gamma * rstd;
    for (int t = lid; t < texels; t += wg) {
      vec4 xhat = (texelFetch(src, base + t) - mean) * rstd;
      vec4 g = texelFetch(dy, base + t) * activation_grad4(xhat * gamma + beta, ACT, p.slope);
      imageStore(dst4, base + t, keep_valid(scale * (g - mean_g - xhat * mean_gx), t));
    }
  }
  if (AFFINE && lid == 0) {
    write_param_grad(c, dgamma);
    write_param_grad(p.channels + c, dbeta);
  }
}

void channel_sum(int c, int lid, int wg)
{
  int texels = (p.count + 3) / 4;
  vec4 s = vec4(0.0);
  for (int img = 0; img < p.images; img++) {
    int base = (img * p.channels + c) * p.plane / 4;
    for (int t = lid; t < texels; t += wg)
      s += keep_valid(texelFetch(src, base + t), t);
  }
  float total = workgroup_sum(s.x + s.y + s.z + s.w);
  if (lid == 0)
    write_param_grad(c, total);
}

// The padded rows (or columns) that reflect onto row y of an n-row input with padding `pad`
// (PyTorch ReflectionPad: padded row i + pad holds input row i, rows mirror about 0 and n - 1);
// returns how many, at most 3 (pad < n).
int reflect_sources(int y, int n, int pad, out int r[3])
{
  int k = 0;
  r[k++] = y + pad;
  if (y >= 1 && y <= pad)
    r[k++] = pad - y;
  if (y <= n - 2 && y >= n - 1 - pad)
    r[k++] = 2 * n - 2 - y + pad;
  return k;
}

void reflect_fold(int c, int img, int lid, int wg)
{
  int count = p.in_h * p.in_w;
  int plane = (count + 3) / 4 * 4;
  int dst = (img * p.channels + c) * plane;
  int src_w = p.in_w + 2 * p.pad;
  int srcp = (img * p.channels + c) * p.src_plane;
  for (int t = lid; t < plane / 4; t += wg) {
    vec4 v = vec4(0.0);
    for (int j = 0; j < 4; j++) {
      int i = t * 4 + j;
      if (i >= count)
        break;
      int y = i / p.in_w, x = i - y * p.in_w;
      int ry[3], rx[3];
      int ny = reflect_sources(y, p.in_h, p.pad, ry);
      int nx = reflect_sources(x, p.in_w, p.pad, rx);
      for (int a = 0; a < ny; a++)
        for (int b = 0; b < nx; b++)
          v[j] += texelFetch(src, srcp + ry[a] * src_w + rx[b]).r;
    }
    imageStore(dst4, dst / 4 + t, v);
  }
}

void statistics(int c, int lid, int wg)
{
  int y0 = 0, y1 = p.in_h, x0 = 0, x1 = p.in_w;
  if (p.region != 0) {
    y0 = int(texelFetch(params, 0).r) >> p.shift;
    y1 = int(texelFetch(params, 1).r) >> p.shift;
    x0 = int(texelFetch(params, 2).r) >> p.shift;
    x1 = int(texelFetch(params, 3).r) >> p.shift;
  }
  int cols = max(x1 - x0, 0), count = max(y1 - y0, 0) * cols;
  // Float i of the rectangle, row-major; a plane is in_w floats a row with no row padding.
  int base = c * p.plane + y0 * p.in_w + x0;
  // Relative to the region's first value, as in the forward norm (why there).
  float pilot = count > 0 ? texelFetch(src, base >> 2)[base & 3] : 0.0;
  float s = 0.0;
  for (int i = lid; i < count; i += wg) {
    int y = i / cols, at = base + y * p.in_w + (i - y * cols);
    s += texelFetch(src, at >> 2)[at & 3] - pilot;
  }
  float total = workgroup_sum(s);   // count is uniform: every invocation reaches the barriers
  float mean = count > 0 ? pilot + total / float(count) : 0.0;
  float q = 0.0;
  for (int i = lid; i < count; i += wg) {
    int y = i / cols, at = base + y * p.in_w + (i - y * cols);
    float d = texelFetch(src, at >> 2)[at & 3] - mean;
    q += d * d;
  }
  float squares = workgroup_sum(q);
  float var = count > 0 ? squares / float(count) : 0.0;
  if (p.correct != 0) {
    mean += texelFetch(params, c).r;
    var *= texelFetch(params, p.channels + c).r;
  }
  if (lid == 0) {
    imageStore(dst1, p.out_at + c, vec4(mean));
    imageStore(dst1, p.out_at + p.channels + c, vec4(var));
  }
}

void main()
{
  int c = int(gl_WorkGroupID.x);
  int lid = int(gl_LocalInvocationID.x);
  int wg = int(gl_WorkGroupSize.x);
  if (MODE == MODE_NORM)
    norm_backward(c, lid, wg);
  else if (MODE == MODE_STATISTICS)
    statistics(c, lid, wg);
  else if (MODE == MODE_CHANNEL_SUM)
    channel_sum(c, lid, wg);
  else
    reflect_fold(c, int(gl_WorkGroupID.y), lid, wg);
}
#endif
