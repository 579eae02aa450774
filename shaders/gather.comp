#version 450
#extension GL_EXT_samplerless_texture_functions : require
// dst[i] = idx[i] > 0 ? buffer[idx[i] - 1] : 0 for i < count: rebuilds an array in another
// layout from a host-built index map (1-based, 0 = a zero element), e.g. the packed convolution
// weights from the PyTorch-layout master weights after each optimiser step. The indices count
// floats of the whole buffer; the view is the window [first, first + src_count) of it that they
// fall into, so that a large arena needs no view beyond the device's texel-buffer limit. Indices
// outside the window read 0 rather than whatever lies beyond the view.
layout(local_size_x_id = 0) in;

layout(binding = 0) uniform textureBuffer src;     // R32F
layout(binding = 1) uniform itextureBuffer idx;    // R32I
layout(binding = 2, r32f) uniform writeonly imageBuffer dst;

layout(push_constant) uniform Params {
  int count;
  int src_count;
  int first;      // the view's first float in the buffer
} p;

void main()
{
  int i = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (i >= p.count)
    return;
  int k = texelFetch(idx, i).x;
  int at = k - 1 - p.first;
  float v = k > 0 && at >= 0 && at < p.src_count ? texelFetch(src, at).x : 0.0;
  imageStore(dst, i, vec4(v));
}
