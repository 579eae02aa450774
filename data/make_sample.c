/* Renders data/sample.png, the bundled picture for the README's first command: a mountain lake
 * at sunset, made from procedural noise so that it belongs to this project (no third-party
 * photograph, no licence question). It has what shows a style transfer off: a smooth sky, soft
 * clouds, hard ridge lines, a reflection, fine grass texture and dark silhouettes.
 *
 * Not part of the build; run once when the picture should change:
 *   cc -O2 data/make_sample.c $(pkg-config --cflags --libs gegl-0.4) -lm -o /tmp/make_sample
 *   /tmp/make_sample data/sample.png
 * The output is deterministic (no random generator, only a hash of coordinates). */
#include <gegl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#define WIDTH 512
#define HEIGHT 384

typedef struct { float r, g, b; } Rgb;

static Rgb rgb (float r, float g, float b) { return (Rgb) { r, g, b }; }
static Rgb mix (Rgb a, Rgb b, float t) { return rgb (a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t); }
static Rgb scale (Rgb a, float s) { return rgb (a.r * s, a.g * s, a.b * s); }
static Rgb add (Rgb a, Rgb b) { return rgb (a.r + b.r, a.g + b.g, a.b + b.b); }
static float clampf (float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }
static float smoothstep (float e0, float e1, float x)
{
  float t = clampf ((x - e0) / (e1 - e0), 0.0f, 1.0f);
  return t * t * (3.0f - 2.0f * t);
}

/* Lattice value noise: a hash of integer coordinates, smoothly interpolated. */
static float
hash2 (int x, int y, int seed)
{
  uint32_t h = (uint32_t) x * 374761393u + (uint32_t) y * 668265263u + (uint32_t) seed * 2246822519u;
  h = (h ^ (h >> 13)) * 1274126177u;
  return (float) ((h ^ (h >> 16)) & 0xffffff) / (float) 0xffffff;
}

static float
noise2 (float x, float y, int seed)
{
  int xi = (int) floorf (x), yi = (int) floorf (y);
  float fx = x - xi, fy = y - yi;
  float u = fx * fx * (3 - 2 * fx), v = fy * fy * (3 - 2 * fy);
  float a = hash2 (xi, yi, seed), b = hash2 (xi + 1, yi, seed);
  float c = hash2 (xi, yi + 1, seed), d = hash2 (xi + 1, yi + 1, seed);
  return a + (b - a) * u + (c - a) * v + (a - b - c + d) * u * v;
}

/* Fractal sum of octaves, in [0, 1). */
static float
fbm (float x, float y, int octaves, int seed)
{
  float sum = 0, amplitude = 0.5f, norm = 0;
  for (int i = 0; i < octaves; i++) {
    sum += amplitude * noise2 (x, y, seed + i * 17);
    norm += amplitude;
    x *= 2.03f;
    y *= 2.03f;
    amplitude *= 0.5f;
  }
  return sum / norm;
}

static const float horizon = HEIGHT * 0.60f;     /* the lake's far shore */
static const float sun_x = WIDTH * 0.70f, sun_y = HEIGHT * 0.25f;

/* Ridged noise (1 - |2n - 1|) gives sharp crests. */
static float
ridged (float x, int seed)
{
  return 1.0f - fabsf (2.0f * fbm (x, 3.1f, 5, seed) - 1.0f);
}

static float far_ridge (float x) { return horizon - HEIGHT * (0.06f + 0.24f * powf (ridged (x * 0.007f, 11), 1.5f)); }
static float near_ridge (float x) { return horizon - HEIGHT * (0.03f + 0.11f * fbm (x * 0.009f, 7.7f, 5, 23)); }

static Rgb
sky (float x, float y)
{
  float t = clampf (y / horizon, 0.0f, 1.0f);
  Rgb colour = mix (rgb (0.16f, 0.27f, 0.55f), rgb (0.98f, 0.70f, 0.45f), powf (t, 1.6f));
  float d = hypotf (x - sun_x, (y - sun_y) * 1.3f) / WIDTH;
  colour = add (colour, scale (rgb (1.0f, 0.62f, 0.30f), 0.55f * expf (-d / 0.09f)));
  if (d < 0.028f)
    colour = mix (colour, rgb (1.0f, 0.93f, 0.75f), smoothstep (0.028f, 0.022f, d));
  /* Clouds: stretched noise, thinner near the horizon, lit from the sun's side. */
  float n = fbm (x * 0.006f, y * 0.022f, 6, 5);
  float density = smoothstep (0.52f, 0.72f, n) * (1.0f - 0.7f * t);
  Rgb lit = mix (rgb (0.55f, 0.45f, 0.55f), rgb (1.0f, 0.78f, 0.65f), clampf (1.0f - (sun_y - y) / horizon, 0, 1));
  return mix (colour, lit, density * 0.85f);
}

/* Dark conifers along the far shore: stacked triangles, narrowing upwards. */
static float
tree_cover (float x, float y)
{
  for (int i = 0; i < 34; i++) {
    float cx = WIDTH * hash2 (i, 1, 77);
    if (cx > WIDTH * 0.58f && cx < WIDTH * 0.82f)
      continue;   /* a gap where the sun's reflection lies */
    float height = 12.0f + 34.0f * hash2 (i, 2, 77) * hash2 (i, 3, 77);
    float base = horizon + 1.0f, top = base - height;
    if (y < top || y > base)
      continue;
    float along = (y - top) / height;
    float half_width = 0.5f + height * 0.22f * along * (0.85f + 0.15f * sinf (along * 40.0f));
    if (fabsf (x - cx) < half_width)
      return 1.0f;
  }
  return 0.0f;
}

/* Everything above the waterline, also used for the reflection. */
static Rgb
landscape (float x, float y)
{
  Rgb colour = sky (x, y);
  float haze = clampf (y / horizon, 0, 1);
  float far = far_ridge (x);
  if (y > far) {
    float depth = (y - far) / (horizon - far + 1.0f);
    float rock = fbm (x * 0.05f, y * 0.05f, 4, 41);
    Rgb mountain = mix (rgb (0.42f, 0.38f, 0.55f), rgb (0.30f, 0.30f, 0.45f), depth);
    mountain = scale (mountain, 0.85f + 0.3f * rock);
    /* Snow above a ragged snow line, thinning out on the way down. */
    float snow_line = horizon - HEIGHT * 0.23f + 14.0f * (fbm (x * 0.04f, y * 0.02f, 4, 43) - 0.5f);
    mountain = mix (mountain, rgb (0.96f, 0.84f, 0.82f), 0.85f * smoothstep (snow_line + 6.0f, snow_line - 6.0f, y));
    colour = mix (mountain, colour, 0.35f * (1.0f - haze));
  }
  float near = near_ridge (x);
  if (y > near) {
    float texture = fbm (x * 0.08f, y * 0.08f, 4, 53);
    float shade = 0.55f + 0.45f * fbm (x * 0.02f, y * 0.05f, 3, 61);
    colour = scale (mix (rgb (0.12f, 0.20f, 0.20f), rgb (0.26f, 0.32f, 0.26f), texture), shade);
  }
  if (tree_cover (x, y) > 0)
    colour = rgb (0.04f, 0.08f, 0.07f);
  return colour;
}

static float
shoreline (float x)
{
  return HEIGHT * (0.80f + 0.05f * fbm (x * 0.01f, 1.3f, 4, 97));
}

static Rgb
water (float x, float y)
{
  float depth = (y - horizon) / (HEIGHT - horizon);
  /* Ripples grow towards the viewer; the mirrored row is displaced sideways and vertically. */
  float ripple = fbm (x * 0.03f, y * 0.35f, 3, 13) - 0.5f;
  float mirrored = 2.0f * horizon - y + ripple * 6.0f * depth;
  Rgb colour = scale (landscape (x + ripple * 14.0f * depth, mirrored), 0.72f);
  colour = mix (colour, rgb (0.10f, 0.18f, 0.30f), 0.25f + 0.3f * depth);
  /* Sun glint: a broken vertical streak under the sun. */
  float streak = expf (-fabsf (x - sun_x + ripple * 30.0f) / 14.0f);
  float sparkle = smoothstep (0.55f, 0.75f, noise2 (x * 0.25f, y * 1.1f, 3));
  return add (colour, scale (rgb (1.0f, 0.75f, 0.45f), 0.8f * streak * sparkle));
}

static Rgb
meadow (float x, float y)
{
  float depth = (y - shoreline (x)) / HEIGHT;
  /* Grass: noise stretched vertically into blades, darker in clumps. */
  float blades = fbm (x * 0.9f, y * 0.08f, 3, 71);
  float clumps = fbm (x * 0.03f, y * 0.05f, 4, 73);
  Rgb colour = mix (rgb (0.42f, 0.45f, 0.16f), rgb (0.16f, 0.28f, 0.08f), clumps);
  colour = scale (colour, 0.6f + 0.6f * blades + 0.8f * depth);
  /* A few flowers. */
  if (hash2 ((int) (x / 3), (int) (y / 3), 79) > 0.992f)
    colour = hash2 ((int) (x / 3), (int) (y / 3), 83) > 0.5f ? rgb (0.95f, 0.85f, 0.30f) : rgb (0.85f, 0.35f, 0.45f);
  return colour;
}

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s OUTPUT.png\n", argv[0]);
    return 2;
  }
  static float pixels[HEIGHT][WIDTH][3];
  for (int y = 0; y < HEIGHT; y++) {
    for (int x = 0; x < WIDTH; x++) {
      float fx = x + 0.5f, fy = y + 0.5f;
      Rgb colour = fy < horizon ? landscape (fx, fy) : fy < shoreline (fx) ? water (fx, fy) : meadow (fx, fy);
      /* Lens vignette, then a touch of grain so it does not look rendered. */
      float r2 = powf ((fx - WIDTH / 2.0f) / WIDTH, 2) + powf ((fy - HEIGHT / 2.0f) / WIDTH, 2);
      colour = scale (colour, 1.0f - 0.9f * r2);
      float grain = 0.012f * (hash2 (x, y, 101) - 0.5f);
      pixels[y][x][0] = clampf (colour.r + grain, 0, 1);
      pixels[y][x][1] = clampf (colour.g + grain, 0, 1);
      pixels[y][x][2] = clampf (colour.b + grain, 0, 1);
    }
  }

  gegl_init (NULL, NULL);
  const GeglRectangle all = { 0, 0, WIDTH, HEIGHT };
  GeglBuffer *buffer = gegl_buffer_new (&all, babl_format ("R'G'B' u8"));
  gegl_buffer_set (buffer, &all, 0, babl_format ("R'G'B' float"), pixels, GEGL_AUTO_ROWSTRIDE);
  GeglNode *graph = gegl_node_new ();
  GeglNode *source = gegl_node_new_child (graph, "operation", "gegl:buffer-source", "buffer", buffer, NULL);
  GeglNode *save = gegl_node_new_child (graph, "operation", "gegl:png-save", "path", argv[1],
                                        "bitdepth", 8, "compression", 9, NULL);
  gegl_node_link (source, save);
  gegl_node_process (save);
  g_object_unref (graph);
  g_object_unref (buffer);
  gegl_exit ();
  return 0;
}
