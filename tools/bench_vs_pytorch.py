#!/usr/bin/python3
"""Times the ResNet generator forward pass in PyTorch (CPU) and in vkstyle on the same weights.

  bench_vs_pytorch.py --vkstyle build/tools/vkstyle [--sizes 256 512] [--runs 3] [--threads 2]
                      [--ngf 64 --n-blocks 9]

Both sides get the same random-weight network (fixed seed), written to a temporary safetensors
file that vkstyle reads through `vkstyle bench --model FILE --size N --runs R`, whose last stdout
line is `median_ms=<number>`. PyTorch: torch.set_num_threads(threads), no_grad, one warm-up run,
median of `runs`. --threads also sets LP_NUM_THREADS (lavapipe's worker count) for vkstyle unless
it is already set, so both sides use the same number of cores. Correctness is the tests' job;
this only measures time. Exit status 1 if vkstyle is missing or any vkstyle run failed.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

SEED = 1234


def conv_flops(net, x):
    """Multiply-adds x 2 of every (transposed) convolution for input x, counted with hooks."""
    import torch
    from torch import nn
    total = [0]

    def hook(module, inputs, output):
        k = module.weight.shape[2] * module.weight.shape[3]
        if isinstance(module, nn.ConvTranspose2d):
            total[0] += 2 * inputs[0].numel() * module.out_channels * k
        else:
            total[0] += 2 * output.numel() * module.in_channels * k

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        net(x)
    for h in handles:
        h.remove()
    return total[0]


def time_torch(net, x, runs):
    import torch
    with torch.no_grad():
        net(x)  # warm-up: first-call allocations and oneDNN primitive creation
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            net(x)
            times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def time_vkstyle(binary, model, size, runs, env):
    """median_ms reported by vkstyle, or (None, reason)."""
    cmd = [binary, "bench", "--model", model, "--size", str(size), "--runs", str(runs)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    except OSError as e:
        return None, "cannot run %s: %s" % (binary, e.strerror or e)
    lines = [l.strip() for l in proc.stdout.splitlines() if l.strip()]
    if proc.returncode != 0:
        return None, "exit status %d: %s" % (proc.returncode, proc.stderr.strip()[-500:])
    if not lines or not lines[-1].startswith("median_ms="):
        return None, "last output line is %r, expected median_ms=<number>" % (lines[-1] if lines else "")
    try:
        return float(lines[-1][len("median_ms="):]), None
    except ValueError:
        return None, "cannot parse %r" % lines[-1]


def main():
    parser = argparse.ArgumentParser(description="Compare vkstyle and PyTorch CPU generator speed.")
    parser.add_argument("--vkstyle", required=True, help="path of the vkstyle command-line binary")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="square image sizes")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size (median is reported)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch and lavapipe")
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--n-blocks", type=int, default=9)
    args = parser.parse_args()

    binary = args.vkstyle
    if os.sep not in binary:
        import shutil
        binary = shutil.which(binary) or binary
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("bench_vs_pytorch.py: error: vkstyle binary %s not found or not executable "
              "(build it first: meson setup build && ninja -C build)" % args.vkstyle, file=sys.stderr)
        return 1
    if any(s < 8 for s in args.sizes) or args.runs < 1 or args.threads < 1:
        print("bench_vs_pytorch.py: error: sizes must be >= 8, runs and threads >= 1", file=sys.stderr)
        return 2
    try:
        import torch
    except ImportError:
        print("bench_vs_pytorch.py: error: PyTorch is not installed for %s; run with /usr/bin/python3"
              % sys.executable, file=sys.stderr)
        return 1
    import cyclegan_torch as ct
    import safetensors

    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    cfg = ct.GeneratorConfig(ngf=args.ngf, n_blocks=args.n_blocks)
    net = ct.init_weights(ct.ResnetGenerator(cfg)).eval()
    env = dict(os.environ)
    env.setdefault("LP_NUM_THREADS", str(args.threads))

    failed = False
    with tempfile.TemporaryDirectory(prefix="vkstyle-bench-") as tmp:
        model = os.path.join(tmp, "bench_generator.safetensors")
        tensors = {k: (list(v.shape), ct.tensor_to_f32_bytes(v))
                   for k, v in ct.exported_state_dict(net).items()}
        safetensors.save(model, tensors, ct.generator_metadata(
            cfg, "bench", "random weights for bench_vs_pytorch.py", "tools/bench_vs_pytorch.py"))

        print("ResNet generator ngf %d, %d blocks; PyTorch %s with %d threads, LP_NUM_THREADS=%s; "
              "median of %d runs" % (cfg.ngf, cfg.n_blocks, torch.__version__, args.threads,
                                     env["LP_NUM_THREADS"], args.runs))
        print("%6s %12s %10s %12s %10s %8s" % ("size", "torch ms", "GFLOP/s", "vkstyle ms", "GFLOP/s",
                                              "ratio"))
        for size in args.sizes:
            x = torch.rand(1, cfg.input_nc, size, size) * 2 - 1
            gflop = conv_flops(net, x) / 1e9
            torch_ms = time_torch(net, x, args.runs)
            vk_ms, problem = time_vkstyle(binary, model, size, args.runs, env)
            if vk_ms is None:
                failed = True
                print("%6d %12.1f %10.1f %12s %10s %8s" % (size, torch_ms, gflop / torch_ms * 1e3,
                                                          "error", "-", "-"))
                print("       vkstyle: %s" % problem)
            else:
                print("%6d %12.1f %10.1f %12.1f %10.1f %8.2f" % (
                    size, torch_ms, gflop / torch_ms * 1e3, vk_ms, gflop / vk_ms * 1e3,
                    vk_ms / torch_ms))
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
