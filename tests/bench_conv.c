/* Times one convolution layer on the device (not a test: a tool for kernel work and for the
 * per-layer table of docs/performance.md). Usage: bench-conv CIN COUT SIZE K STRIDE [RUNS]
 * [transposed]; VKSTYLE_BENCH_ALGO=direct|winograd|implicit forces the algorithm vks_conv_init picks,
 * VKSTYLE_BENCH_BATCH=N runs N images at once. */
#include "rig.h"


int
main (int argc, char **argv)
{
  int size, runs;
  VksConvDesc d = bench_conv_args (argc, argv, &size, &runs);
  int cin = d.cin, cout = d.cout, k = d.kh, stride = d.stride;
  gboolean transposed = d.transposed;
  GError *error = NULL;
  VksContext *ctx = vks_context_new (NULL, &error);
  g_assert_no_error (error);
  TestRig rig;
  rig_init (&rig, ctx);
  VksConv conv;
  g_assert_true (vks_conv_init (&conv, &d, &rig.arena, &error));
  int ho, wo;
  g_assert_true (vks_conv_output_size (&conv, size, size, &ho, &wo, &error));
  const char *batch = g_getenv ("VKSTYLE_BENCH_BATCH");
  int n = batch != NULL ? MAX (atoi (batch), 1) : 1;
  VksTensor x = rig_tensor (&rig, n, cin, size, size), y = rig_tensor (&rig, n, cout, ho, wo);
  VkDeviceSize scratch = vks_conv_scratch_bytes (&conv, n, size, size, 64u << 20);
  VkDeviceSize scratch_offset = rig_reserve (&rig, scratch);
  VksTensor *ts[] = { &x, &y };
  rig_alloc (&rig, ts, 2);
  conv.weights = rig.dev;
  for (int r = 0; r < runs; r++)
    g_assert_true (vks_conv_forward (rig.rec, &conv, &x, &y, rig.dev, scratch_offset, scratch,
                                     &error));
  rig_run (&rig);   /* warm-up: compiles the shaders */
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (vks_recorder_run (rig.rec, &error));
  double ms = (g_get_monotonic_time () - t0) / 1000.0 / runs;
  double macs = n * (transposed ? (double) size * size * cin * cout * k * k
                           : (double) ho * wo * cin * cout * k * k);
  g_print ("conv %d x %d->%d %dx%d k%d s%d%s %s: %.1f ms, %.1f GFLOP/s (direct-equivalent)\n", n,
           cin, cout, size, size, k, stride, transposed ? " transposed" : "",
           conv.algo == VKS_CONV_WINOGRAD ? "winograd"
           : conv.algo == VKS_CONV_IMPLICIT ? "implicit" : "direct", ms, 2 * macs / ms / 1e6);
  rig_free (&rig);
  vks_context_free (ctx);
  return 0;
}
