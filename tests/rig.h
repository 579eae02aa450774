/* A small harness for op tests: tensors and layer parameters placed in one device buffer, filled
 * from the host, one recorded command buffer with the ops under test, results read back. */
#pragma once
#include "engine/ops.h"

typedef struct {
  VksContext *ctx;
  VksArena arena;
  VksBuffer *dev, *up, *down;
  VksRecorder *rec;
} TestRig;

void rig_init (TestRig *rig, VksContext *ctx);
/* Reserve before rig_alloc. */
VksTensor rig_tensor (TestRig *rig, int n, int c, int h, int w);
VkDeviceSize rig_reserve (TestRig *rig, VkDeviceSize bytes);
/* Creates the buffers and starts recording with the upload copy. Tensors reserved before get
 * their buffer set through this list. */
void rig_alloc (TestRig *rig, VksTensor **tensors, int n);
/* Host image of the device buffer, uploaded when the recording runs. */
guint8 *rig_host (TestRig *rig);
void rig_set (TestRig *rig, const VksTensor *t, const float *nchw);
/* Records the readback, runs everything once. */
void rig_run (TestRig *rig);
void rig_get (TestRig *rig, const VksTensor *t, float *nchw);
void rig_free (TestRig *rig);

/* Process-wide test context (validation on when VKSTYLE_VALIDATE=1). */
VksContext *test_context (void);
void test_context_release (void);

void fill_uniform (float *x, long n, float lo, float hi, GRand *rng);

/* The benchmarks' command line: CIN COUT SIZE K STRIDE [RUNS] [transposed], and
 * $VKSTYLE_BENCH_ALGO=direct|winograd|implicit forcing the algorithm. Exits with a usage line on
 * too few arguments. */
VksConvDesc bench_conv_args (int argc, char **argv, int *size, int *runs);
/* How many floats lie between a and b (0: the same bits, or +0 and -0). */
long ulp_distance (float a, float b);
/* Max |a-b| / (1 + |b|) ... the tolerance form every op test uses. */
double max_rel_error (const float *a, const float *b, long n);

/* The tiling tests' picture: smooth colour fields plus some noise, width x height RGB in [0, 1]
 * interleaved, enough structure that norm statistics differ across tiles. g_free it. */
float *tiling_test_image (int width, int height, guint32 seed);
/* Largest |a - b| over n values in 8-bit steps; the mean into *mean unless NULL. */
double max_diff_255 (const float *a, const float *b, gsize n, double *mean);
