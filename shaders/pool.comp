#version 450
// 2x2 pooling and its adjoints (engine/nn/ops/pool.c), PLANES layout, one invocation per stored
// output float (padding written 0):
//   MODE 0 (average): out[y][x] = factor * (s[2y][2x] + s[2y][2x+1] + s[2y+1][2x] + s[2y+1][2x+1])
//   MODE 1 (upsample): out[y][x] = factor * s[y/2][x/2] where that lies inside s, else 0
// so that average pooling (factor 1/4) and nearest upsampling (factor 1) are each other's
// adjoint up to the factor, which their gradient rules use. Max pooling picks in each window of
// `key` the first maximal element in row-major order (or a NaN), as PyTorch's MaxPool2d(2):
//   MODE 2 (take): out[y][x] = s at the window (y, x)'s pick (s shaped like key)
//   MODE 3 (route): out shaped like key; the window's pick gets s[y/2][x/2], the rest 0
// take and route are each other's adjoint, linear in s: the gradient rules use that too.
// General windows (k x k, stride, zero padding; ceil_mode off), forward only:
//   MODE 4 (average): the window's sum over its elements inside s, divided by k^2
//     (count_include_pad) or by their number (TensorFlow's, the FID Inception's)
//   MODE 5 (max): the window's largest element inside s (a NaN wins), as torch.max_pool2d
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int MODE = 0;

layout(binding = 0) uniform textureBuffer src;   // R32F
layout(binding = 1) uniform textureBuffer key;   // R32F (MODE 2, 3)
layout(binding = 2, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape o, s, k;
  int stored;
  float factor;
  int kernel, stride, pad, count_include_pad;   // MODE 4, 5
} p;

// Which of window (y, x)'s four elements is the pick: 0, 1 (top row), 2, 3 (bottom row).
int pick(int base, int y, int x)
{
  int i = base + 2 * y * p.k.w + 2 * x;
  int at[4] = int[4](i, i + 1, i + p.k.w, i + p.k.w + 1);
  float best = texelFetch(key, at[0]).x;
  int which = 0;
  for (int j = 1; j < 4; j++) {
    float v = texelFetch(key, at[j]).x;
    if (v > best || isnan(v)) {
      best = v;
      which = j;
    }
  }
  return which;
}

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.stored)
    return;
  int nc = t / p.o.plane;
  int r = t - nc * p.o.plane;
  if (r >= p.o.h * p.o.w || nc >= p.o.n * p.o.c) {
    imageStore(dst, t, vec4(0.0));
    return;
  }
  int y = r / p.o.w, x = r - y * p.o.w;
  int base = nc * p.s.plane;
  float v;
  if (MODE >= 4) {
    int y0 = y * p.stride - p.pad, x0 = x * p.stride - p.pad;
    int ya = max(y0, 0), yb = min(y0 + p.kernel, p.s.h);
    int xa = max(x0, 0), xb = min(x0 + p.kernel, p.s.w);
    v = MODE == 4 ? 0.0 : texelFetch(src, base + ya * p.s.w + xa).x;
    for (int sy = ya; sy < yb; sy++)
      for (int sx = xa; sx < xb; sx++) {
        float e = texelFetch(src, base + sy * p.s.w + sx).x;
        if (MODE == 4)
          v += e;
        else if (e > v || isnan(e))
          v = e;
      }
    if (MODE == 4)
      v /= float(p.count_include_pad != 0 ? p.kernel * p.kernel : (yb - ya) * (xb - xa));
  } else if (MODE == 1) {
    int sy = y / 2, sx = x / 2;
    v = sy < p.s.h && sx < p.s.w ? texelFetch(src, base + sy * p.s.w + sx).x : 0.0;
  } else if (MODE == 0) {
    int i = base + 2 * y * p.s.w + 2 * x;
    v = (texelFetch(src, i).x + texelFetch(src, i + 1).x)
      + (texelFetch(src, i + p.s.w).x + texelFetch(src, i + p.s.w + 1).x);
  } else if (MODE == 2) {
    int j = pick(nc * p.k.plane, y, x);
    v = texelFetch(src, base + (2 * y + j / 2) * p.s.w + 2 * x + j % 2).x;
  } else {
    int sy = y / 2, sx = x / 2;
    v = 0.0;
    if (sy < p.s.h && sx < p.s.w && pick(nc * p.k.plane, sy, sx) == (y % 2) * 2 + x % 2)
      v = texelFetch(src, base + sy * p.s.w + sx).x;
  }
  imageStore(dst, t, vec4(p.factor * v));
}
