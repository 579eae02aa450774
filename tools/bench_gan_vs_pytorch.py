#!/usr/bin/python3
"""Times PyTorch examples/dcgan's training step and a batch of generated images in PyTorch (CPU)
and in vkstyle, in one run, and prints the ratios.

  bench_gan_vs_pytorch.py --vkstyle build/tools/vkstyle --vkstyle-train build/trainer/vkstyle-train
                          [--batch 64] [--image-size 64] [--ngf 64] [--ndf 64] [--steps 3]
                          [--threads 2]

PyTorch: tools/dcgan_torch.py's Generator / Discriminator with the example's weights_init, one
iteration of main.py's loop (D on real, D on G(z).detach(), Adam step; G step through D with
real labels; BCE on logits), torch.set_num_threads(threads), median of --steps after a warm-up;
generation: netG(z) of --batch latents in eval mode. vkstyle: `vkstyle-train --arch dcgan`
run for 1 and for 1 + steps steps on the same number of random images, the time difference
divided by steps (so start-up, shader compilation and the first step drop out; saving at the
end is in both runs; a first untimed run fills the pipeline cache); generation: `vkstyle generate --count batch` minus `--count 1`, over
batch - 1 images (PNG writing included, small at 64 x 64). Timing only: correctness is
tests/test_gan_step.py's and tests/test_generate.sh's job. Run it on an otherwise idle machine.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def timed(cmd, env):
    t = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError("%s failed:\n%s" % (" ".join(cmd), proc.stderr[-2000:]))
    return time.monotonic() - t


def torch_times(args):
    import torch
    import dcgan_torch as dt
    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    cfg = dt.GanConfig(ngf=args.ngf, ndf=args.ndf, image_size=args.image_size)
    g, d = dt.Generator(cfg), dt.Discriminator(cfg)
    g.apply(dt.weights_init)
    d.apply(dt.weights_init)
    opt_g = torch.optim.Adam(g.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()
    n = args.batch
    real = torch.rand(n, 3, args.image_size, args.image_size) * 2 - 1
    ones, zeros = torch.ones(n), torch.zeros(n)

    def step():
        d.zero_grad()
        err_real = bce(d(real).view(-1), ones)
        err_real.backward()
        fake = g(torch.randn(n, cfg.nz, 1, 1))
        err_fake = bce(d(fake.detach()).view(-1), zeros)
        err_fake.backward()
        opt_d.step()
        g.zero_grad()
        bce(d(fake).view(-1), ones).backward()
        opt_g.step()

    times = []
    for i in range(args.steps + 1):
        t = time.monotonic()
        step()
        times.append(time.monotonic() - t)
    g.eval()
    gen = []
    with torch.no_grad():
        for i in range(args.steps + 1):
            t = time.monotonic()
            g(torch.randn(n, cfg.nz, 1, 1))
            gen.append(time.monotonic() - t)
    return statistics.median(times[1:]), statistics.median(gen[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vkstyle", required=True)
    parser.add_argument("--vkstyle-train", required=True)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--image-size", type=int, default=64, choices=[32, 64, 128])
    parser.add_argument("--ngf", type=int, default=64)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    try:
        import torch  # noqa: F401
        from PIL import Image
    except ImportError as e:
        print("bench_gan_vs_pytorch.py: error: %s; run with /usr/bin/python3" % e, file=sys.stderr)
        return 1
    env = dict(os.environ)
    env.setdefault("LP_NUM_THREADS", str(args.threads))
    torch_step, torch_gen = torch_times(args)
    with tempfile.TemporaryDirectory(prefix="vkstyle-bench-gan-") as tmp:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        for i in range(args.batch):
            Image.effect_noise((args.image_size, args.image_size), 32 + i).convert("RGB").save(
                os.path.join(data, "%03d.png" % i))
        train = [args.vkstyle_train, "--arch", "dcgan", "--data", data, "--image-size",
                 str(args.image_size), "--batch-size", str(args.batch), "--ngf", str(args.ngf),
                 "--ndf", str(args.ndf), "--sample-every", "100000", "--save-every", "100000"]
        # a first run fills the pipeline cache, so neither timed run compiles shaders
        timed(train + ["--out", os.path.join(tmp, "w"), "--max-steps", "1"], env)
        one = timed(train + ["--out", os.path.join(tmp, "a"), "--max-steps", "1"], env)
        more = timed(train + ["--out", os.path.join(tmp, "b"), "--max-steps", str(1 + args.steps)],
                     env)
        vk_step = (more - one) / args.steps
        model = os.path.join(tmp, "b", "latest_G.safetensors")
        gen = [args.vkstyle, "generate", "--model", model, "--seed", "1"]
        timed(gen + ["--count", "1", os.path.join(tmp, "g0.png")], env)
        g1 = timed(gen + ["--count", "1", os.path.join(tmp, "g1.png")], env)
        gn = timed(gen + ["--count", str(args.batch), os.path.join(tmp, "gn.png")], env)
        vk_gen = (gn - g1) * args.batch / max(args.batch - 1, 1)
    print("DCGAN ngf %d / ndf %d, %d² images, batch %d; PyTorch %s with %d threads, "
          "LP_NUM_THREADS=%s" % (args.ngf, args.ndf, args.image_size, args.batch,
                                 torch.__version__, args.threads, env["LP_NUM_THREADS"]))
    print("%-22s %10s %12s %8s" % ("what", "torch ms", "vkstyle ms", "ratio"))
    print("%-22s %10.0f %12.0f %8.2f" % ("training step", torch_step * 1e3, vk_step * 1e3,
                                         vk_step / torch_step))
    print("%-22s %10.0f %12.0f %8.2f" % ("generate %d images" % args.batch, torch_gen * 1e3,
                                         vk_gen * 1e3, vk_gen / torch_gen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
