#!/usr/bin/python3
"""Runs vkstyle-train --arch infogan for one (and two) iterations from weights made here and
replays them in PyTorch on the very inputs the trainer used (its hidden --dump-inputs: real
batches, latents with their codes, WGAN-GP's mixing factors), then compares every tensor of
latest_G / latest_D (the Q head included) as test_gan_step.py does, every step's losses in
losses.csv (D, D_real, D_fake, GP, G, Info) within LOSS_RTOL, and the generator's code metadata
(counts and names). Prints TAP.

  test_infogan_step.py VKSTYLE_TRAIN [CASE ...]   CASE: vanilla, vanilla-2steps, mse, wgan-gp

The replay is InfoGAN-PyTorch's loop (Natsu6767/InfoGAN-PyTorch) on examples/dcgan's step:
the discriminator step is DCGAN's (D's body and logit head only); the generator step minimises
the adversarial loss plus lambda_info (1) times the Q head's mutual information loss on the
same fake batch, cross entropy for the category plus torch's Gaussian NLL (full=True; "mse":
squared error) for the continuous codes, both summed over codes and averaged over the batch,
with the Q head's parameters in the generator's optimiser. Skipped (77) without VKSTYLE_TRAIN
or torch.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tools"))

import safetensors  # noqa: E402
from test_gan_step import compare, run_cases, save_net, tensor  # noqa: E402

LOSS_RTOL = 5e-6
LOSS_ATOL = 1e-6
CFG = dict(nz=8, ngf=8, ndf=8, image_size=32, batch=4, n_categories=10, n_continuous=2)


def is_q_head(name):
    return name.startswith("head_q.") or name.startswith("q_")


def info_loss(q_logits, q_mean, q_var, z, mse):
    import torch.nn.functional as F
    nz, k = CFG["nz"], CFG["n_categories"]
    flat = z.flatten(1)
    category = flat[:, nz:nz + k].argmax(1)
    codes = flat[:, nz + k:]
    n = flat.shape[0]
    loss = F.cross_entropy(q_logits.flatten(1), category)
    if mse:
        return loss + F.mse_loss(q_mean.flatten(1), codes, reduction="sum") / n
    return loss + F.gaussian_nll_loss(q_mean.flatten(1), codes, q_var.flatten(1), full=True,
                                      reduction="sum") / n


def replay(mode, steps, G, D, dump):
    import torch
    gp = mode == "wgan-gp"
    mse = mode == "mse"
    lr, betas = (1e-4, (0.5, 0.9)) if gp else (2e-4, (0.5, 0.999))
    body = [p for n, p in D.named_parameters() if not is_q_head(n)]
    q_head = [p for n, p in D.named_parameters() if is_q_head(n)]
    opt_d = torch.optim.Adam(body, lr=lr, betas=betas)
    opt_g = torch.optim.Adam(list(G.parameters()) + q_head, lr=lr, betas=betas)
    bce = torch.nn.BCEWithLogitsLoss()
    logged = []   # per step, the losses losses.csv reports (the last critic step's D ones)

    for step in range(1, steps + 1):
        tensors, _ = safetensors.load(os.path.join(dump, "inputs_%06d.safetensors" % step))
        inp = {k: tensor(v) for k, v in tensors.items()}
        for k in range(5 if gp else 1):
            real, z = inp["d%d.real" % k], inp["d%d.z" % k]
            opt_d.zero_grad()
            if gp:
                fake = G(z).detach()
                eps = inp["d%d.eps" % k]
                mixed = (eps * real + (1 - eps) * fake).requires_grad_(True)
                out = D(mixed)[0]
                grad, = torch.autograd.grad(out.sum(), mixed, create_graph=True)
                penalty = ((grad.view(grad.size(0), -1).norm(2, dim=1) - 1) ** 2).mean() * 10
                d_fake, d_real = D(fake)[0].mean(), -D(real)[0].mean()
                err = d_fake + d_real + penalty
                err.backward()
                row = dict(D=err, D_real=d_real, D_fake=d_fake, GP=penalty)
            else:
                out = D(real)[0]
                d_real = bce(out, torch.ones_like(out))
                d_real.backward()
                fake = G(z)
                out = D(fake.detach())[0]
                d_fake = bce(out, torch.zeros_like(out))
                d_fake.backward()
                row = dict(D=d_real + d_fake, D_real=d_real, D_fake=d_fake)
            opt_d.step()
        opt_g.zero_grad()
        z = inp["g.z"]
        if gp:
            fake = G(z)
        out, q_logits, q_mean, q_var = D(fake)
        adversarial = -out.mean() if gp else bce(out, torch.ones_like(out))
        info = info_loss(q_logits, q_mean, q_var, z, mse)
        (adversarial + 1.0 * info).backward()
        opt_g.step()
        row.update(G=adversarial, Info=info)
        logged.append({k: float(v) for k, v in row.items()})
    return logged


def compare_losses(csv_path, ref):
    """ok, message: every logged loss of every step within LOSS_RTOL (LOSS_ATOL near 0)."""
    import csv
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    if len(rows) != len(ref):
        return False, "losses.csv has %d rows, expected %d" % (len(rows), len(ref))
    worst = 0.0
    for ours, theirs in zip(rows, ref):
        for k, v in theirs.items():
            err = abs(float(ours[k]) - v) / max(abs(v), LOSS_ATOL / LOSS_RTOL)
            worst = max(worst, err)
    return worst <= LOSS_RTOL, "losses: max relative diff %.2e" % worst


def run_case(exe, case, tmp):
    import torch
    import dcgan_torch
    mode, steps = (case[:-7], 2) if case.endswith("-2steps") else (case, 1)
    cfg = dcgan_torch.GanConfig(arch="infogan", nz=CFG["nz"], ngf=CFG["ngf"], ndf=CFG["ndf"],
                                image_size=CFG["image_size"],
                                d_norm="none" if mode == "wgan-gp" else "batch",
                                n_categories=CFG["n_categories"],
                                n_continuous=CFG["n_continuous"])
    torch.manual_seed(5)
    G, D = dcgan_torch.Generator(cfg), dcgan_torch.Discriminator(cfg)
    G.apply(dcgan_torch.weights_init)
    D.apply(dcgan_torch.weights_init)
    base = os.path.join(tmp, case)
    init, out, dump = (os.path.join(base, d) for d in ("init", "out", "dump"))
    os.makedirs(init)
    save_net(os.path.join(init, "G.safetensors"), G)
    save_net(os.path.join(init, "D.safetensors"), D)
    gan_mode = "wgan-gp" if mode == "wgan-gp" else "vanilla"
    cmd = [exe, "--arch", "infogan", "--gan-mode", gan_mode, "--data",
           os.path.join(tmp, "images"), "--out", out, "--init", init, "--dump-inputs", dump,
           "--image-size", str(CFG["image_size"]), "--batch-size", str(CFG["batch"]),
           "--nz", str(CFG["nz"]), "--ngf", str(CFG["ngf"]), "--ndf", str(CFG["ndf"]),
           "--n-categories", str(CFG["n_categories"]),
           "--n-continuous", str(CFG["n_continuous"]), "--max-steps", str(steps),
           "--print-every", "1"]
    if mode == "mse":
        cmd += ["--info-loss", "mse"]
    names = {"vkstyle.arch": "infogan", "vkstyle.n_categories": str(CFG["n_categories"]),
             "vkstyle.n_continuous": str(CFG["n_continuous"]),
             "vkstyle.category_name": "shape", "vkstyle.continuous_names": "size,angle"}
    cmd += ["--category-name", "shape", "--continuous-names", "size,angle"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        return False, "vkstyle-train failed:\n" + p.stdout
    logged = replay(mode, steps, G, D, dump)
    results = [compare_losses(os.path.join(out, "losses.csv"), logged)]
    for net, ref in (("G", G), ("D", D)):
        ours, _ = safetensors.load(os.path.join(out, "latest_%s.safetensors" % net))
        results.append(compare(net, ours, dcgan_torch.exported_state_dict(ref)))
    # what `vkstyle generate --code` and the filter's sliders read
    _, meta = safetensors.load(os.path.join(out, "latest_G.safetensors"))
    wrong = {k: meta.get(k) for k, v in names.items() if meta.get(k) != v}
    results.append((not wrong, "metadata %s" % ("wrong: %s" % wrong if wrong else "ok")))
    return all(r[0] for r in results), "; ".join(r[1] for r in results)


def main(argv):
    return run_cases(argv, ["vanilla", "vanilla-2steps", "mse", "wgan-gp"], run_case)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
