// Shared definitions of the compute shaders.
//
// Tensors are NCHW fp32 with each (n, c) plane padded to a multiple of 4 floats, so a plane can
// be read and written as whole vec4 texels. Every tensor is bound through texel buffer views:
// on llvmpipe (lavapipe) texel fetches take the vectorised texture path while storage-buffer
// loads with per-invocation addresses are scalarised (docs/architecture.md), and on GPUs texel
// fetches are cached reads, so one access path serves both.

#define ACT_NONE 0
#define ACT_RELU 1
#define ACT_LEAKY_RELU 2
#define ACT_TANH 3

float activate(float v, int act, float slope)
{
  if (act == ACT_RELU) return max(v, 0.0);
  if (act == ACT_LEAKY_RELU) return v >= 0.0 ? v : v * slope;
  if (act == ACT_TANH) return tanh(v);
  return v;
}

vec4 activate4(vec4 v, int act, float slope)
{
  if (act == ACT_RELU) return max(v, vec4(0.0));
  if (act == ACT_LEAKY_RELU) return mix(v * slope, v, greaterThanEqual(v, vec4(0.0)));
  if (act == ACT_TANH) return tanh(v);
  return v;
}

// PyTorch ReflectionPad indexing: -1 -> 1, size -> size - 2 (the host checks pad < size).
int reflect_index(int i, int size)
{
  if (i < 0) i = -i;
  if (i >= size) i = 2 * size - 2 - i;
  return i;
}
