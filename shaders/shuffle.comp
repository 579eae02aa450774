#version 450
#extension GL_EXT_samplerless_texture_functions : require
// Interleaves the output phases of a stride-s transposed convolution into the output plane
// (depth-to-space). Each phase was computed as an ordinary GEMM into its own contiguous plane:
// writing the phases straight to their strided pixels costs scattered single-float stores,
// which on llvmpipe took 3x the GEMM itself; here every output texel is one vec4 store and four
// texel fetches.
layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int STRIDE = 2;

layout(binding = 0) uniform textureBuffer phases;                 // R32F
layout(binding = 1, rgba32f) uniform writeonly imageBuffer dst;  // RGBA32F

layout(push_constant) uniform Params {
  int out_w, out_count, out_plane, dst_base;
  int phase_plane;     // floats per channel plane of one phase
  int phase_stride;    // floats between phases (channels * phase_plane)
  int grid_w[2];       // phase grid width for phase column 0 and 1
  int dst_image, phase_image;   // floats between images (gl_WorkGroupID.z) in dst / phases
} p;

void main()
{
  int t = int(gl_GlobalInvocationID.x);
  int c = int(gl_GlobalInvocationID.y);
  int image = int(gl_WorkGroupID.z);
  if (t * 4 >= p.out_plane)
    return;
  vec4 v = vec4(0.0);
  for (int j = 0; j < 4; j++) {
    int pos = t * 4 + j;
    if (pos >= p.out_count)
      break;
    int y = pos / p.out_w;
    int x = pos - y * p.out_w;
    int ry = y % STRIDE, rx = x % STRIDE;
    int q = (y / STRIDE) * p.grid_w[rx] + x / STRIDE;
    v[j] = texelFetch(phases, image * p.phase_image + (ry * STRIDE + rx) * p.phase_stride +
                          c * p.phase_plane + q).r;
  }
  imageStore(dst, (p.dst_base + image * p.dst_image + c * p.out_plane) / 4 + t, v);
}
