#version 450
#extension GL_EXT_samplerless_texture_functions : require
// dst[i] = idx[i] > 0 ? src[idx[i] - 1] : 0 for i < count: rebuilds an array in another layout
// from a host-built index map (1-based, 0 = a zero element), e.g. the packed convolution weights
// from the PyTorch-layout master weights after each optimiser step. Indices past the source
// read 0 rather than whatever lies beyond the view.
layout(local_size_x_id = 0) in;

layout(binding = 0) uniform textureBuffer src;     // R32F
layout(binding = 1) uniform itextureBuffer idx;    // R32I
layout(binding = 2, r32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int count;
  int src_count;
} p;

void main()
{
  int i = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (i >= p.count)
    return;
  int k = texelFetch(idx, i).x;
  float v = k > 0 && k <= p.src_count ? texelFetch(src, k - 1).x : 0.0;
  imageStore(dst, i, vec4(v));
}
