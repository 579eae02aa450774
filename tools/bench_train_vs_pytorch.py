#!/usr/bin/python3
"""Times one CycleGAN optimisation step (batch 1) in PyTorch (CPU) and in vkstyle-train.

  bench_train_vs_pytorch.py [--vkstyle-train build/tools/vkstyle-train] [--steps 3] [--threads 2]
                            [--configs 64:9:256 64:9:128 32:6:256 32:6:128]

A config is NGF:N_BLOCKS:SIZE (discriminators: ndf 64, n_layers 3, as the reference trains).
PyTorch: the reference's optimize_parameters (tools/cyclegan_torch.py CycleGANStep: 4 generator
forwards, 2 identity forwards, the generator backward and Adam step, then both discriminators),
torch.set_num_threads(threads), one warm-up step, median of --steps steps. vkstyle-train:
`vkstyle-train --data-a D --data-b D --out TMP --ngf .. --n-blocks .. --load-size S --crop-size S
--max-steps N` (N = steps + 1) on a folder of generated images; its last stdout line is
`steps N, median step time X ms`. Each side runs in a child process of its own so that its peak
resident memory (getrusage of the child) is its own; PyTorch's includes the ~0.3 GB of the
library itself. --threads also sets LP_NUM_THREADS (lavapipe's worker count) for vkstyle-train
unless it is already set. Without --vkstyle-train (or if it does not exist) only PyTorch runs.
Timing only: correctness is tests/test_train_step.py's job. Run it on an otherwise idle machine:
with more runnable threads than cores, PyTorch's OpenMP workers spin and a step can take 5-10x
longer (measured: 0.38 s with 1 thread vs 3.4 s with 2 at load average 6 on 2 cores).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SEED = 1234
N_IMAGES = 4
DEFAULT_CONFIGS = ["64:9:256", "64:9:128", "32:6:256", "32:6:128"]
LAST_LINE = re.compile(r"steps\s+(\d+),\s+median step time\s+([0-9.eE+-]+)\s*ms")


def parse_config(text):
    try:
        ngf, n_blocks, size = (int(x) for x in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError("config %r is not NGF:N_BLOCKS:SIZE" % text)
    if ngf < 1 or n_blocks < 0 or size < 32 or size % 4:
        raise argparse.ArgumentTypeError("config %r: need ngf >= 1, n_blocks >= 0, size >= 32 and a "
                                         "multiple of 4" % text)
    return ngf, n_blocks, size


def torch_child(ngf, n_blocks, size, steps, threads):
    """Runs in the child process: prints `median_ms=X`."""
    import torch
    import cyclegan_torch as ct
    torch.manual_seed(SEED)
    torch.set_num_threads(threads)
    g_cfg = ct.GeneratorConfig(ngf=ngf, n_blocks=n_blocks)
    d_cfg = ct.DiscriminatorConfig(ndf=64, n_layers=3)
    nets = [ct.init_weights(ct.ResnetGenerator(g_cfg)), ct.init_weights(ct.ResnetGenerator(g_cfg)),
            ct.init_weights(ct.NLayerDiscriminator(d_cfg)), ct.init_weights(ct.NLayerDiscriminator(d_cfg))]
    trainer = ct.CycleGANStep(*nets)
    real_A = torch.rand(1, 3, size, size) * 2 - 1
    real_B = torch.rand(1, 3, size, size) * 2 - 1
    trainer.step(real_A, real_B)  # warm-up: allocations, oneDNN primitive creation
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        trainer.step(real_A, real_B)
        times.append((time.perf_counter() - t0) * 1000.0)
    print("median_ms=%.3f" % statistics.median(times))
    return 0


def run_measured(cmd, env=None, timeout=None):
    """(returncode, stdout, stderr, peak RSS in MiB) of a child process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, text=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), usage.ru_maxrss / 1024.0


def time_torch(ngf, n_blocks, size, steps, threads):
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-child", "%d:%d:%d" % (ngf, n_blocks, size),
           "--steps", str(steps), "--threads", str(threads)]
    rc, out, err, rss = run_measured(cmd)
    lines = [l for l in out.splitlines() if l.startswith("median_ms=")]
    if rc != 0 or not lines:
        return None, rss, "PyTorch child failed (%d): %s" % (rc, err.strip()[-500:])
    return float(lines[-1].split("=", 1)[1]), rss, None


def write_images(folder, size):
    """N_IMAGES random RGB PNGs of size x size (smooth field plus noise)."""
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(SEED)
    os.makedirs(folder, exist_ok=True)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for i in range(N_IMAGES):
        phase = rng.uniform(0, 6.3, size=3)
        base = 0.5 + 0.4 * np.sin(2 * np.pi * (xx[..., None] * (i + 1) + yy[..., None]) + phase)
        img = np.clip(base + 0.1 * rng.standard_normal((size, size, 3)), 0, 1)
        Image.fromarray((img * 255).round().astype(np.uint8), "RGB").save(os.path.join(folder, "%d.png" % i))


def time_vkstyle(binary, data, ngf, n_blocks, size, steps, env):
    out = tempfile.mkdtemp(prefix="vkstyle-bench-train-out-")
    try:
        cmd = [binary, "--data-a", data, "--data-b", data, "--out", out, "--ngf", str(ngf),
               "--n-blocks", str(n_blocks), "--ndf", "64", "--load-size", str(size), "--crop-size", str(size),
               "--max-steps", str(steps + 1)]
        try:
            rc, stdout, stderr, rss = run_measured(cmd, env=env)
        except OSError as e:
            return None, None, "cannot run %s: %s" % (binary, e.strerror or e)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if rc != 0:
        return None, rss, "exit status %d: %s" % (rc, stderr.strip()[-500:])
    lines = [l.strip() for l in stdout.splitlines() if l.strip()]
    m = LAST_LINE.fullmatch(lines[-1]) if lines else None
    if not m:
        return None, rss, "last output line is %r, expected 'steps N, median step time X ms'" % (
            lines[-1] if lines else "")
    return float(m.group(2)), rss, None


def main():
    parser = argparse.ArgumentParser(description="Compare vkstyle-train and PyTorch CPU CycleGAN step time.")
    parser.add_argument("--vkstyle-train", help="path of the vkstyle-train binary (PyTorch only if absent)")
    parser.add_argument("--configs", type=parse_config, nargs="+",
                        default=[parse_config(c) for c in DEFAULT_CONFIGS], help="NGF:N_BLOCKS:SIZE ...")
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up (median reported)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for PyTorch and lavapipe")
    parser.add_argument("--torch-child", type=parse_config, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 1 or args.threads < 1:
        parser.error("--steps and --threads must be >= 1")
    if args.torch_child:
        return torch_child(*args.torch_child, args.steps, args.threads)
    try:
        import torch
    except ImportError:
        print("bench_train_vs_pytorch.py: error: PyTorch is not installed for %s; run with "
              "/usr/bin/python3" % sys.executable, file=sys.stderr)
        return 1

    binary = args.vkstyle_train
    if binary and os.sep not in binary:
        binary = shutil.which(binary) or binary
    if binary and not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("note: %s not found or not executable; timing PyTorch only" % binary)
        binary = None
    elif not binary:
        print("note: no --vkstyle-train given; timing PyTorch only")
    env = dict(os.environ)
    env.setdefault("LP_NUM_THREADS", str(args.threads))

    print("CycleGAN step, batch 1, D ndf 64 / 3 layers; PyTorch %s with %d threads, LP_NUM_THREADS=%s; "
          "median of %d steps after 1 warm-up" % (torch.__version__, args.threads, env["LP_NUM_THREADS"], args.steps))
    print("%-14s %10s %9s %12s %9s %7s" % ("ngf/blocks/px", "torch ms", "torch MB", "vkstyle ms", "vks MB", "ratio"))
    failed = False
    with tempfile.TemporaryDirectory(prefix="vkstyle-bench-train-") as tmp:
        for ngf, n_blocks, size in args.configs:
            name = "%d/%d/%d" % (ngf, n_blocks, size)
            torch_ms, torch_rss, problem = time_torch(ngf, n_blocks, size, args.steps, args.threads)
            if torch_ms is None:
                failed = True
                print("%-14s %10s   %s" % (name, "error", problem))
                continue
            vk = "%12s %9s %7s" % ("-", "-", "-")
            vk_problem = None
            if binary:
                data = os.path.join(tmp, "images_%d" % size)
                if not os.path.isdir(data):
                    write_images(data, size)
                vk_ms, vk_rss, vk_problem = time_vkstyle(binary, data, ngf, n_blocks, size, args.steps, env)
                if vk_ms is None:
                    failed = True
                    vk = "%12s %9s %7s" % ("error", "%.0f" % vk_rss if vk_rss else "-", "-")
                else:
                    vk = "%12.0f %9.0f %7.2f" % (vk_ms, vk_rss, vk_ms / torch_ms)
            print("%-14s %10.0f %9.0f %s" % (name, torch_ms, torch_rss, vk))
            if vk_problem:
                print("               vkstyle-train: %s" % vk_problem)
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
