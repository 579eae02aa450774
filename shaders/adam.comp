#version 450
#extension GL_EXT_samplerless_texture_functions : require
// One Adam step (torch.optim.Adam, no amsgrad; RMSprop with RULE 1) over a flat float array:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p = p + (-lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// The step-dependent factors come from a buffer the host rewrites before each submit (the same
// recorded command buffer runs every training step), not from push constants.
// The operations and their order are PyTorch's (mul_ then add_ with alpha, addcmul_ as
// (value * g) * g, addcdiv_ as p + (value * m) / denom), each rounded separately: `precise`
// forbids contracting them into FMAs, so every device that rounds correctly gives the same bits.
// PyTorch's AVX2 CPU kernels fuse add_'s and addcmul_'s last multiply-add, which moves m and v
// by at most 1 ulp per step; GLSL's fma() is no way to follow them, as lavapipe computes it as a
// separately rounded multiply and add.
layout(local_size_x_id = 0) in;

layout(binding = 0) uniform textureBuffer hyper;   // R32F, engine/optim.h VksAdamHyper
layout(binding = 1) uniform textureBuffer grad;    // R32F
layout(binding = 2, r32f) uniform imageBuffer param;
layout(binding = 3, r32f) uniform imageBuffer exp_avg;
layout(binding = 4, r32f) uniform imageBuffer exp_avg_sq;

// Weight decay (engine/optim.h VksAdamDecay), its factor in hyper[7], in torch's places:
//   1, torch.optim.Adam's weight_decay (L2): g = g + wd p, before the moments see g;
//   2, torch.optim.AdamW's decoupled decay: p = p (1 - lr wd), before anything else.
layout(constant_id = 1) const int DECAY = 0;
// The rule (engine/optim.h VksAdamRule): 0 Adam; 1 torch.optim.RMSprop (alpha in beta2's
// places, neg_step = -lr, exp_avg neither read nor written):
//   v = alpha v + (1 - alpha) g^2;  p = p + (-lr g) / (sqrt(v) + eps)
layout(constant_id = 2) const int RULE = 0;
// 1: the new value is clamped to [-hyper[8], hyper[8]] (WGAN's weight clipping, clamp_ after
// the optimiser's step).
layout(constant_id = 3) const int CLIP = 0;

layout(push_constant) uniform Params {
  int count;
} p;

void main()
{
  int i = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (i >= p.count)
    return;
  float beta1 = texelFetch(hyper, 0).x, one_minus_beta1 = texelFetch(hyper, 1).x;
  float beta2 = texelFetch(hyper, 2).x, one_minus_beta2 = texelFetch(hyper, 3).x;
  float neg_step = texelFetch(hyper, 4).x, bias2_sqrt = texelFetch(hyper, 5).x;
  float eps = texelFetch(hyper, 6).x, decay = texelFetch(hyper, 7).x;

  precise float p0 = imageLoad(param, i).x;
  precise float g = texelFetch(grad, i).x;
  if (DECAY == 1)
    g = g + decay * p0;
  else if (DECAY == 2)
    p0 = p0 * decay;
  precise float v = imageLoad(exp_avg_sq, i).x * beta2 + (one_minus_beta2 * g) * g;
  precise float w;
  if (RULE == 1) {
    precise float avg = sqrt(v) + eps;
    w = p0 + (neg_step * g) / avg;
  } else {
    precise float m = imageLoad(exp_avg, i).x * beta1 + one_minus_beta1 * g;
    precise float denom = sqrt(v) / bias2_sqrt + eps;
    w = p0 + (neg_step * m) / denom;
    imageStore(exp_avg, i, vec4(m));
  }
  if (CLIP == 1) {
    float c = texelFetch(hyper, 8).x;
    w = min(max(w, -c), c);
  }
  imageStore(exp_avg_sq, i, vec4(v));
  imageStore(param, i, vec4(w));
}
