#version 450
// Embedding lookup and its weight gradient (engine/nn/ops/embedding.c), one invocation per
// stored output float. Indices are floats holding integers (exact to 2^24), rounded to the
// nearest; an index outside [0, num) selects nothing (its row is 0, its gradient dropped).
//   MODE 0: out[r][j] = weight[index[r]][j]                       out [L][dim], src the weight
//   MODE 1: out[i][j] = sum over r with index[r] == i of dy[r][j]  out [num][dim], src dy
// MODE 1 loops over the L indices in order in every invocation: a deterministic scatter-add with
// no atomics (the host keeps L within VKS_MAX_LOOP_ITERATIONS). src and dst are single planes,
// addressed flat; the indices have their own layout.
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const int MODE = 0;

layout(binding = 0) uniform textureBuffer src;       // R32F
layout(binding = 1) uniform textureBuffer indices;   // R32F
layout(binding = 2, r32f) uniform writeonly imageBuffer dst;

struct Shape { int n, c, h, w, plane; };

layout(push_constant) uniform Params {
  Shape idx;
  int dim, rows, num;  // row length, L, rows of the weight
  int stored;          // floats of dst to write
} p;

int index_at(int r)
{
  int hw = p.idx.h * p.idx.w;
  float v = texelFetch(indices, (r / hw) * p.idx.plane + r % hw).x;
  return int(floor(v + 0.5));
}

void main()
{
  int t = int(gl_GlobalInvocationID.x) + int(gl_GlobalInvocationID.y) * int(gl_NumWorkGroups.x * gl_WorkGroupSize.x);
  if (t >= p.stored)
    return;
  int row = t / p.dim, j = t - row * p.dim;
  float v = 0.0;
  if (MODE == 0) {
    if (row < p.rows) {
      int i = index_at(row);
      if (i >= 0 && i < p.num)
        v = texelFetch(src, i * p.dim + j).x;
    }
  } else if (row < p.num) {
    for (int r = 0; r < p.rows; r++)
      if (index_at(r) == row)
        v += texelFetch(src, r * p.dim + j).x;
  }
  imageStore(dst, t, vec4(v));
}
