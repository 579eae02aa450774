/* The one tensor type: NCHW fp32 in a device buffer, each (n, c) plane padded to a multiple of
 * 4 floats so every plane starts on a 16-byte texel (see shaders/common.glsl). */
#pragma once
#include "engine/memory.h"

typedef struct {
  int n, c, h, w;
  int plane;              /* floats per (n, c) plane: h * w rounded up to a multiple of 4 */
  VksBuffer *buf;         /* not owned */
  VkDeviceSize offset;    /* bytes into buf, a multiple of vks_buffer_alignment() */
} VksTensor;

static inline long
vks_ceil_div (long a, long b)
{
  return (a + b - 1) / b;
}

static inline int
vks_plane_floats (int h, int w)
{
  return (h * w + 3) / 4 * 4;
}

/* Fills in the shape; buf/offset are set by whoever places the tensor. */
static inline VksTensor
vks_tensor_shape (int n, int c, int h, int w)
{
  VksTensor t = { n, c, h, w, vks_plane_floats (h, w), NULL, 0 };
  return t;
}

static inline VkDeviceSize
vks_tensor_bytes (const VksTensor *t)
{
  return (VkDeviceSize) t->n * t->c * t->plane * sizeof (float);
}

/* Host-side layout conversion between packed NCHW and the padded plane layout. */
void vks_tensor_pack (const VksTensor *t, const float *nchw, float *padded);
void vks_tensor_unpack (const VksTensor *t, const float *padded, float *nchw);
