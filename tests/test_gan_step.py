#!/usr/bin/python3
"""Runs vkstyle-train --arch dcgan for one (and two) iterations from weights made here and
replays them in PyTorch (tools/dcgan_torch.py, examples/dcgan main.py's loop; WGAN-GP's
critic loop; WGAN's with RMSprop and weight clipping) on the very inputs the trainer used (its hidden --dump-inputs: real batches,
noise, WGAN-GP's mixing factors), then compares every tensor of latest_G / latest_D. Prints TAP.

  test_gan_step.py VKSTYLE_TRAIN [CASE ...]   CASE: vanilla, vanilla-2steps, lsgan, hinge, wgan-gp,
                                               wgan, wgan-2steps

Skipped (77) without VKSTYLE_TRAIN or torch. Weights are compared as in test_train_step.py:
Adam moves an element by ~lr whatever its gradient, so an element whose gradient is a rounding
-level cancellation can flip sign; an element matches within MATCH_ATOL, and at most
MAX_OFF_FRACTION of each network may not. Running statistics (no Adam) within STAT_ATOL.
"""

import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import safetensors  # noqa: E402

MATCH_ATOL = 5e-6
MAX_OFF_FRACTION = 0.01
STAT_ATOL = 2e-5
CFG = dict(nz=8, ngf=8, ndf=8, image_size=32, batch=4)


def write_images(folder, n=6, w=40, h=36):
    os.makedirs(folder)
    rnd = random.Random(1)
    for i in range(n):
        data = bytes(rnd.randrange(256) for _ in range(w * h * 3))
        with open(os.path.join(folder, "im%d.ppm" % i), "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (w, h) + data)


def tensor(t):
    import torch
    return torch.tensor(t.values(), dtype=torch.float32).reshape(t.shape)


def save_net(path, net):
    import dcgan_torch
    sd = dcgan_torch.exported_state_dict(net)
    safetensors.save(path, {k: (list(v.shape), v.detach().flatten().tolist())
                            for k, v in sd.items()})


def replay(mode, steps, G, D, dump):
    """examples/dcgan main.py (vanilla / lsgan / hinge), WGAN-GP's or WGAN's loop (RMSprop, the
    critic's parameters clamped after each of its steps) on the dumped inputs."""
    import torch
    gp = mode == "wgan-gp"
    clip = mode == "wgan"
    wgan = gp or clip
    if clip:
        opt_d = torch.optim.RMSprop(D.parameters(), lr=5e-5)
        opt_g = torch.optim.RMSprop(G.parameters(), lr=5e-5)
    else:
        lr, betas = (1e-4, (0.5, 0.9)) if gp else (2e-4, (0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=betas)
        opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=betas)
    bce = torch.nn.BCEWithLogitsLoss()
    mse = torch.nn.MSELoss()

    def d_loss(out, real):
        if mode == "vanilla":
            return bce(out, torch.full_like(out, 1.0 if real else 0.0))
        if mode == "lsgan":
            return mse(out, torch.full_like(out, 1.0 if real else 0.0))
        return torch.relu(1 - out).mean() if real else torch.relu(1 + out).mean()

    for step in range(1, steps + 1):
        tensors, _ = safetensors.load(os.path.join(dump, "inputs_%06d.safetensors" % step))
        inp = {k: tensor(v) for k, v in tensors.items()}
        for k in range(5 if wgan else 1):
            real, z = inp["d%d.real" % k], inp["d%d.z" % k]
            D.zero_grad()
            if clip:
                fake = G(z).detach()
                # D's running statistics: the real pass, then the fake one (as ours)
                err = -D(real).mean()
                err = D(fake).mean() + err
                err.backward()
            elif gp:
                fake = G(z).detach()
                eps = inp["d%d.eps" % k]
                mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
                out = D(mixed)
                grad, = torch.autograd.grad(out.sum(), mixed, create_graph=True)
                gp = ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean() * 10
                err = D(fake).mean() - D(real).mean() + gp
                err.backward()
            else:
                d_loss(D(real), True).backward()
                fake = G(z)
                d_loss(D(fake.detach()), False).backward()
            opt_d.step()
            if clip:
                with torch.no_grad():
                    for p in D.parameters():
                        p.clamp_(-0.01, 0.01)
        G.zero_grad()
        if wgan:
            fake = G(inp["g.z"])
        out = D(fake)
        err_g = -out.mean() if wgan or mode == "hinge" else d_loss(out, True)
        err_g.backward()
        opt_g.step()


def compare(name, ours, ref):
    """ok, message."""
    off = total = 0
    worst_stat = 0.0
    for k, t in ref.items():
        if k not in ours:
            return False, "%s: %s missing" % (name, k)
        a = tensor(ours[k]).flatten()
        b = t.detach().flatten()
        diff = (a - b).abs()
        if "running" in k:
            worst_stat = max(worst_stat, float(diff.max()))
            continue
        off += int((diff > MATCH_ATOL).sum())
        total += diff.numel()
    ok = off <= MAX_OFF_FRACTION * total and worst_stat <= STAT_ATOL
    return ok, "%s: %d of %d weights off by > %g, running stats max |diff| %.2e" % (
        name, off, total, MATCH_ATOL, worst_stat)


def run_case(exe, case, tmp):
    import torch
    import dcgan_torch
    mode, steps = (case[:-7], 2) if case.endswith("-2steps") else (case, 1)
    cfg = dcgan_torch.GanConfig(nz=CFG["nz"], ngf=CFG["ngf"], ndf=CFG["ndf"],
                                image_size=CFG["image_size"],
                                d_norm="none" if mode == "wgan-gp" else "batch")  # wgan: BN
    torch.manual_seed(3)
    G, D = dcgan_torch.Generator(cfg), dcgan_torch.Discriminator(cfg)
    G.apply(dcgan_torch.weights_init)
    D.apply(dcgan_torch.weights_init)
    base = os.path.join(tmp, case)
    init, out, dump = (os.path.join(base, d) for d in ("init", "out", "dump"))
    os.makedirs(init)
    save_net(os.path.join(init, "G.safetensors"), G)
    save_net(os.path.join(init, "D.safetensors"), D)
    cmd = [exe, "--arch", "dcgan", "--gan-mode", mode, "--data", os.path.join(tmp, "images"),
           "--out", out, "--init", init, "--dump-inputs", dump, "--image-size",
           str(CFG["image_size"]), "--batch-size", str(CFG["batch"]), "--nz", str(CFG["nz"]),
           "--ngf", str(CFG["ngf"]), "--ndf", str(CFG["ndf"]), "--max-steps", str(steps)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        return False, "vkstyle-train failed:\n" + p.stdout
    replay(mode, steps, G, D, dump)
    results = []
    for net, ref in (("G", G), ("D", D)):
        ours, _ = safetensors.load(os.path.join(out, "latest_%s.safetensors" % net))
        results.append(compare(net, ours, dcgan_torch.exported_state_dict(ref)))
    return all(r[0] for r in results), "; ".join(r[1] for r in results)


def run_cases(argv, default_cases, run_case):
    """The TAP runner both GAN step tests share: argv = [script, vkstyle-train, case...]."""
    if len(argv) < 2 or not os.path.exists(argv[1]):
        print("1..0 # SKIP no vkstyle-train")
        return 77
    try:
        import torch  # noqa: F401
    except ImportError:
        print("1..0 # SKIP no torch")
        return 77
    cases = argv[2:] or default_cases
    print("1..%d" % len(cases))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        write_images(os.path.join(tmp, "images"))
        for i, case in enumerate(cases, 1):
            ok, msg = run_case(argv[1], case, tmp)
            failed += not ok
            print("%s %d - %s # %s" % ("ok" if ok else "not ok", i, case, msg.replace("\n", "\n# ")))
    return 1 if failed else 0


def main(argv):
    return run_cases(argv, ["vanilla", "vanilla-2steps", "lsgan", "hinge", "wgan-gp", "wgan",
                            "wgan-2steps"], run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
