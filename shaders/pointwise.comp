#version 450
// The graph engine's element-wise ops (engine/nn/ops/pointwise.c): one invocation per stored
// float of the output, which it computes from its inputs' elements at the same PyTorch index,
// broadcast along their size-1 dimensions. Each tensor has its own layout (a plane stride: the
// padded plane, or h * w for DENSE), so this shader also converts between layouts. Padding
// floats of the output are written 0: kernels that read whole texels see no garbage.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int FN = 0;        // VksPointwiseFn (engine/nn/op.h)
layout(constant_id = 2) const int FLAT_A = 0;    // a read by flat index (a reshape), no broadcast

// VEC4: one invocation per texel of the output (the host checks that every operand either has
// the output's planes, its n and c possibly broadcast, or one value per plane): a quarter of the
// invocations and of the index arithmetic, vec4 fetches and stores. On lavapipe the scalar form
// spent most of a DCGAN training step's element-wise time on addressing.
layout(constant_id = 3) const bool VEC4 = false;

layout(binding = 0) uniform textureBuffer a;     // R32F (VEC4: RGBA32F)
layout(binding = 1) uniform textureBuffer b;     // R32F (VEC4: RGBA32F)
layout(binding = 2, r32f) uniform writeonly imageBuffer dst;
layout(binding = 3, rgba32f) uniform writeonly imageBuffer dst4;   // dst's RGBA32F view

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape o, sa, sb;
  int stored;        // floats of dst to write
  float scalar;
} p;

#define FN_COPY 0
#define FN_ADD 1
#define FN_SUB 2
#define FN_MUL 3
#define FN_SCALE 4
#define FN_LEAKY_RELU 5
#define FN_LEAKY_RELU_GRAD 6
#define FN_TANH 7
#define FN_ADD_SCALAR 8
#define FN_SIGMOID 9
#define FN_SILU 10
#define FN_GELU 11
#define FN_ERF 12
#define FN_EXP 13
#define FN_LOG 14
#define FN_SQRT 15
#define FN_RSQRT 16
#define FN_RECIPROCAL 17
#define FN_DIV 18
#define FN_ABS 19
#define FN_SIGN 20

// GLSL has no erf: Abramowitz & Stegun 7.1.26, absolute error <= 1.5e-7 (float32's own rounding
// is 6e-8 near 1), odd-extended.
float erf_approx(float v)
{
  float z = abs(v);
  float t = 1.0 / (1.0 + 0.3275911 * z);
  float poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
             + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-z * z));
}

// 1 / (1 + e^-v) without overflow: e^-|v| never exceeds 1.
float sigmoid(float v)
{
  float e = exp(-abs(v));
  return v >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

int broadcast_address(Shape s, int n, int c, int y, int x)
{
  n = s.n == 1 ? 0 : n;
  c = s.c == 1 ? 0 : c;
  y = s.h == 1 ? 0 : y;
  x = s.w == 1 ? 0 : x;
  return (n * s.c + c) * s.plane + y * s.w + x;
}

int flat_address(Shape s, int i)
{
  int hw = s.h * s.w;
  return (i / hw) * s.plane + i % hw;
}

float apply(float va, float vb)
{
  float v = va;
  if (FN == FN_ADD) v = va + vb;
  else if (FN == FN_SUB) v = va - vb;
  else if (FN == FN_MUL) v = va * vb;
  else if (FN == FN_SCALE) v = va * p.scalar;
  else if (FN == FN_LEAKY_RELU) v = va >= 0.0 ? va : va * p.scalar;
  else if (FN == FN_LEAKY_RELU_GRAD) v = va > 0.0 ? vb : vb * p.scalar;
  else if (FN == FN_TANH) v = tanh(va);
  else if (FN == FN_ADD_SCALAR) v = va + p.scalar;
  else if (FN == FN_SIGMOID) v = sigmoid(va);
  else if (FN == FN_SILU) v = va * sigmoid(va);
  else if (FN == FN_GELU) v = 0.5 * va * (1.0 + erf_approx(va * 0.70710678118654752));
  else if (FN == FN_ERF) v = erf_approx(va);
  else if (FN == FN_EXP) v = exp(va);
  else if (FN == FN_LOG) v = log(va);
  else if (FN == FN_SQRT) v = sqrt(va);
  else if (FN == FN_RSQRT) v = inversesqrt(va);
  else if (FN == FN_RECIPROCAL) v = 1.0 / va;
  else if (FN == FN_DIV) v = va / vb;
  else if (FN == FN_ABS) v = abs(va);
  else if (FN == FN_SIGN) v = sign(va);
  return v;
}

const bool BINARY = FN == FN_ADD || FN == FN_SUB || FN == FN_MUL || FN == FN_LEAKY_RELU_GRAD ||
                    FN == FN_DIV;

// VEC4: the operand's four values for output texel (n, c, y, x .. x + 3).
vec4 fetch4(Shape s, bool is_a, int n, int c, int y, int x)
{
  if (s.h == 1 && s.w == 1) {
    int e = broadcast_address(s, n, c, 0, 0);
    return vec4(is_a ? texelFetch(a, e >> 2)[e & 3] : texelFetch(b, e >> 2)[e & 3]);
  }
  int t = broadcast_address(s, n, c, y, x) >> 2;
  return is_a ? texelFetch(a, t) : texelFetch(b, t);
}

void main_vec4(int t)
{
  int e = t * 4;
  if (e >= p.stored)
    return;
  int hw = p.o.h * p.o.w;
  int nc = e / p.o.plane;
  int r = e - nc * p.o.plane;
  if (nc >= p.o.n * p.o.c || r >= hw) {
    imageStore(dst4, t, vec4(0.0));
    return;
  }
  int n = nc / p.o.c, c = nc - n * p.o.c, y = r / p.o.w, x = r - y * p.o.w;
  vec4 va = fetch4(p.sa, true, n, c, y, x);
  vec4 vb = BINARY ? fetch4(p.sb, false, n, c, y, x) : vec4(0.0);
  vec4 v;
  for (int j = 0; j < 4; j++)
    v[j] = r + j < hw ? apply(va[j], vb[j]) : 0.0;   // the plane's padding is written 0
  imageStore(dst4, t, v);
}

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (VEC4) {
    main_vec4(t);
    return;
  }
  if (t >= p.stored)
    return;
  int hw = p.o.h * p.o.w;
  int nc = t / p.o.plane;
  int r = t - nc * p.o.plane;
  if (r >= hw || nc >= p.o.n * p.o.c) {
    imageStore(dst, t, vec4(0.0));
    return;
  }
  int n = nc / p.o.c, c = nc - n * p.o.c, y = r / p.o.w, x = r - y * p.o.w;
  float va = texelFetch(a, FLAT_A != 0 ? flat_address(p.sa, nc * hw + r)
                                       : broadcast_address(p.sa, n, c, y, x)).x;
  float vb = BINARY ? texelFetch(b, broadcast_address(p.sb, n, c, y, x)).x : 0.0;
  imageStore(dst, t, vec4(apply(va, vb)));
}
