/* Times the backward passes of one convolution layer on the device (not a test: a tool for
 * kernel work, like bench-conv). Usage: bench-backward CIN COUT SIZE K STRIDE [RUNS]
 * [transposed]; reports the weight gradient and the input gradient separately, as wall time and
 * as the process's CPU time (lavapipe's threads included), which a shared machine disturbs less.
 * VKSTYLE_BENCH_ALGO=direct forces the forward's algorithm as in bench-conv (for a 3x3 stride-1
 * convolution that also keeps its input gradient a direct transposed convolution). */
#include "rig.h"
#include "engine/backward.h"

#include <sys/resource.h>

static double
cpu_seconds (void)
{
  struct rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

typedef enum { WEIGHT, DATA } Which;

static void
bench (VksContext *ctx, const VksConvDesc *d, int size, int runs, Which which)
{
  GError *error = NULL;
  TestRig rig;
  rig_init (&rig, ctx);
  VksConv conv;
  VksConvBackward bw;
  g_assert_true (vks_conv_init (&conv, d, &rig.arena, &error));
  g_assert_true (vks_conv_backward_init (&bw, &conv, size, size, &rig.arena, &error));
  VksTensor x = rig_tensor (&rig, 1, d->cin, size, size), dx = rig_tensor (&rig, 1, d->cin, size, size);
  VksTensor dy = rig_tensor (&rig, 1, d->cout, bw.ho, bw.wo);
  VkDeviceSize dw = rig_reserve (&rig, (VkDeviceSize) d->cin * d->cout * d->kh * d->kw * 4);
  VkDeviceSize scratch = vks_conv_backward_scratch_bytes (&bw, 1, 64u << 20);
  VkDeviceSize scratch_offset = rig_reserve (&rig, scratch);
  VksTensor *ts[] = { &x, &dx, &dy };
  rig_alloc (&rig, ts, 3);
  bw.data.weights = rig.dev;
  for (int r = 0; r < runs; r++) {
    gboolean ok = which == WEIGHT
      ? vks_conv_backward_weight (rig.rec, &bw, &x, &dy, rig.dev, dw, TRUE, rig.dev,
                                  scratch_offset, scratch, &error)
      : vks_conv_backward_data (rig.rec, &bw, &dy, &dx, rig.dev, scratch_offset, scratch, &error);
    g_assert_true (ok);
  }
  rig_run (&rig);   /* warm-up: compiles the shaders */
  double c0 = cpu_seconds ();
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (vks_recorder_run (rig.rec, &error));
  double ms = (g_get_monotonic_time () - t0) / 1000.0 / runs;
  double cpu_ms = (cpu_seconds () - c0) * 1000.0 / runs;
  double macs = d->transposed ? (double) size * size * d->cin * d->cout * d->kh * d->kw
                              : (double) bw.ho * bw.wo * d->cin * d->cout * d->kh * d->kw;
  static const char *algo_names[] = { "auto", "direct", "winograd", "implicit" };
  g_print ("conv %d->%d %dx%d k%d s%d%s %s: %.1f ms, %.1f CPU-ms, %.1f GFLOP/s (CPU)\n", d->cin,
           d->cout, size, size, d->kh, d->stride, d->transposed ? " transposed" : "",
           which == WEIGHT ? "dW" : bw.data.algo == VKS_CONV_WINOGRAD ? "dx winograd"
                                    : bw.data.d.transposed ? "dx transposed direct"
                                    : algo_names[bw.data.algo],
           ms, cpu_ms, 2 * macs / cpu_ms / 1e6);
  rig_free (&rig);
}

int
main (int argc, char **argv)
{
  int size, runs;
  VksConvDesc d = bench_conv_args (argc, argv, &size, &runs);
  GError *error = NULL;
  VksContext *ctx = vks_context_new (NULL, &error);
  g_assert_no_error (error);
  bench (ctx, &d, size, runs, WEIGHT);
  bench (ctx, &d, size, runs, DATA);
  vks_context_free (ctx);
  return 0;
}
