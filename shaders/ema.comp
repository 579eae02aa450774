#version 450
#extension GL_EXT_samplerless_texture_functions : require
// One step of an exponential moving average of parameters over a flat float array:
//   ema = beta ema + (1 - beta) param
// (StarGAN v2 evaluates its generator with such a copy, beta 0.999). beta and 1 - beta, rounded
// once from double by the host, come from a buffer, so a new beta needs no re-recording.
// Each operation is rounded separately (`precise` forbids FMA contraction): every device that
// rounds correctly gives the same bits. StarGAN v2 writes it torch.lerp(param, ema, beta), the
// same average, which PyTorch's CPU kernel evaluates as one FMA, ema - (ema - param)(1 - beta)
// rounded once; lavapipe's fma() is a separately rounded multiply and add, so that form could
// not be followed bit for bit anyway. The two agree within an ulp or so per step.
layout(local_size_x_id = 0) in;

layout(binding = 0) uniform textureBuffer hyper;   // R32F: beta, 1 - beta
layout(binding = 1) uniform textureBuffer param;   // R32F
layout(binding = 2, r32f) uniform imageBuffer ema;

layout(push_constant) uniform Params {
  int count;
} p;

void main()
{
  int i = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (i >= p.count)
    return;
  float beta = texelFetch(hyper, 0).x, one_minus_beta = texelFetch(hyper, 1).x;
  precise float e = beta * imageLoad(ema, i).x + one_minus_beta * texelFetch(param, i).x;
  imageStore(ema, i, vec4(e));
}
