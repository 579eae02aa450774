#include <string.h>
#include <gegl.h>

#include "plug-in/resample.h"

float *
resample_rgb (const float *src, int src_width, int src_height, int dst_width, int dst_height)
{
  const Babl *format = babl_format ("R'G'B' float");
  gsize n_dst = (gsize) dst_width * dst_height * 3;
  float *dst = g_new (float, n_dst);
  GeglBuffer *source;
  GeglNode *graph, *input, *scale;

  if (src_width == dst_width && src_height == dst_height)
    {
      memcpy (dst, src, n_dst * sizeof (float));
      return dst;
    }

  /* GEGL only reads the data: the cast drops const for an API that takes gpointer. */
  source = gegl_buffer_linear_new_from_data ((gpointer) src, format,
                                             GEGL_RECTANGLE (0, 0, src_width, src_height),
                                             src_width * 3 * sizeof (float), NULL, NULL);
  graph = gegl_node_new ();
  input = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", source, NULL);
  /* GEGL's samplers filter over the whole footprint when shrinking (no aliasing) and work in
   * linear light; cubic keeps the style's brush strokes crisper than linear when enlarging. */
  scale = gegl_node_new_child (graph, "operation", "gegl:scale-size",
                               "x", (double) dst_width, "y", (double) dst_height,
                               "sampler", dst_width > src_width ? GEGL_SAMPLER_CUBIC
                                                                : GEGL_SAMPLER_LINEAR,
                               "abyss-policy", GEGL_ABYSS_CLAMP, NULL);
  gegl_node_link (input, scale);
  gegl_node_blit (scale, 1.0, GEGL_RECTANGLE (0, 0, dst_width, dst_height), format, dst,
                  dst_width * 3 * sizeof (float), GEGL_BLIT_DEFAULT);
  g_object_unref (graph);
  g_object_unref (source);

  for (gsize i = 0; i < n_dst; i++)
    dst[i] = CLAMP (dst[i], 0.0f, 1.0f);
  return dst;
}
