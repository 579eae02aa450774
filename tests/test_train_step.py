#!/usr/bin/python3
"""Runs vkstyle-train for one (and two) CycleGAN optimisation steps from the weights in
tests/fixtures/train_step/init and compares the weights and losses it writes with PyTorch's
(tests/fixtures/make_train_step_fixture.py, which explains the step). Prints TAP.

  test_train_step.py VKSTYLE_TRAIN [CASE ...]     CASE: lsgan, vanilla, lsgan-2steps (default all)

Without VKSTYLE_TRAIN, or if it does not exist, the whole test is skipped (exit status 77).
Needs only the Python standard library (tools/safetensors.py reads the files).

How the weights are compared, and why not with one tolerance:
* Adam's first step moves every weight by lr * g / (|g| + eps), i.e. by almost exactly +-lr
  whatever the size of its gradient g. An element whose true gradient is tiny next to the
  float32 rounding of the backward pass can get the opposite sign from one implementation to
  the next and lands 2 lr (4e-4) away from the reference. PyTorch's own float32 step does this
  to 0.05 % - 0.3 % of a generator's weights (tensors whose gradient is a cancelling sum,
  behind instance norm) compared with its float64 step, which the expected files hold
  (losses.json, "float32_torch"). So an element matches when it is within MATCH_ATOL (2.5 % of
  lr) of the reference, and a small fraction of non-matching elements is allowed: at most
  MAX_OFF_FRACTION of each network, and in each tensor at most 2 % of its elements (none in a
  tensor of fewer than 50, e.g. the output convs' biases, whose gradients are large). A wrong
  gradient, loss term or update shows up as whole tensors off by ~lr.
* The biases of convolutions followed by instance norm ("free_tensors") have a zero gradient up
  to rounding (the norm subtracts them again) and change no output: only checked to have moved
  by at most lr per step.
* Every element is checked against Adam's bound: it cannot move by more than ~lr per step.
* After two steps the step-1 flips have changed the network slightly, so the second step's
  gradients and Adam's moment ratios differ everywhere by a little (PyTorch float32 vs float64:
  median |difference| 0.02 lr, 90th percentile 0.09 lr, losses 1.4e-3). The two-step case is
  therefore checked statistically (median and 90th percentile of |difference| / lr), which still
  catches a wrong moment update or bias correction (those change most updates by 30 % or more).
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "train_step")
sys.path.insert(0, os.path.join(ROOT, "tools"))

import safetensors  # noqa: E402

NETS = ("G_A", "G_B", "D_A", "D_B")
LOSS_NAMES = ("D_A", "G_A", "cycle_A", "idt_A", "D_B", "G_B", "cycle_B", "idt_B")
ARCH = {"G": "cyclegan_resnet_generator", "D": "patchgan_discriminator"}
MATCH_ATOL = 5e-6           # 2.5 % of lr = 2e-4
MAX_OFF_FRACTION = 0.01     # per network; PyTorch float32 itself: up to 0.003
MAX_OFF_PER_TENSOR = 0.02
# |step| <= lr * this per step: the first step is < lr; the second is lr * |m^| / sqrt(v^), which
# for betas (0.5, 0.999) peaks at 1.055 lr (second gradient ~2x the first, same sign).
ADAM_BOUND = 1.06
LOSS_RTOL = 1e-4
# Two steps (see above): PyTorch float32 vs float64 gives 0.02 / 0.09 and 1.4e-3.
TWO_STEP_MEDIAN = 0.1
TWO_STEP_Q90 = 0.35
TWO_STEP_LOSS_RTOL = 1e-2
TIMEOUT = 600

CASES = {
    "lsgan": ("expected", ["--gan-mode", "lsgan", "--max-steps", "1"]),
    "vanilla": ("expected_vanilla", ["--gan-mode", "vanilla", "--max-steps", "1"]),
    "lsgan-2steps": ("expected_2steps", ["--gan-mode", "lsgan", "--max-steps", "2"]),
}


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def load(path):
    check(os.path.isfile(path), "%s was not written" % path)
    try:
        tensors, meta = safetensors.load(path)
    except (OSError, safetensors.SafetensorsError) as e:
        raise Failure("%s: %s" % (path, e))
    return {k: t.values() for k, t in tensors.items()}, {k: t.shape for k, t in tensors.items()}, meta


def quantile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def run_trainer(binary, tmp, extra):
    out = os.path.join(tmp, "out")
    cmd = [binary, "--init", os.path.join(FIXTURE, "init"),
           "--data-a", os.path.join(FIXTURE, "a"), "--data-b", os.path.join(FIXTURE, "b"),
           "--out", out, "--serial-batches", "--no-flip", "--load-size", "32", "--crop-size", "32",
           "--ngf", "8", "--ndf", "8", "--n-blocks", "2", "--seed", "1", "--print-every", "1"] + extra
    print("# " + " ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("vkstyle-train did not finish within %d s" % TIMEOUT)
    if proc.returncode != 0:
        raise Failure("vkstyle-train exited with %d:\n%s" % (proc.returncode, (proc.stderr or proc.stdout)[-3000:]))
    return out


def read_losses(out, steps):
    path = os.path.join(out, "losses.csv")
    check(os.path.isfile(path), "%s was not written" % path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    check(rows, "losses.csv has no rows")
    header = list(rows[0].keys())
    check(header[:2] == ["step", "epoch"], "losses.csv header starts %s, expected step,epoch" % header[:2])
    missing = [k for k in LOSS_NAMES if k not in header]
    check(not missing, "losses.csv lacks columns %s" % missing)
    steps_logged = [int(row["step"]) for row in rows]
    check(steps_logged == list(range(1, steps + 1)),
          "losses.csv has rows for steps %s, expected 1 to %d (--print-every 1)" % (steps_logged, steps))
    return [{k: float(row[k]) for k in LOSS_NAMES} for row in rows]


def compare_losses(got, want, rtols):
    worst = 0.0
    for step, (g, w, rtol) in enumerate(zip(got, want, rtols), 1):
        for k in LOSS_NAMES:
            rel = abs(g[k] - w[k]) / abs(w[k])
            worst = max(worst, rel)
            print("#   step %d %-8s %.7g (PyTorch %.7g, rel. diff %.2e)" % (step, k, g[k], w[k], rel))
            check(rel <= rtol, "step %d loss %s = %.7g, PyTorch %.7g (rel. diff %.2e > %.0e)"
                  % (step, k, g[k], w[k], rel, rtol))
    return worst


def compare_net(name, got_path, want_path, init_path, free, lr, steps):
    got, got_shapes, meta = load(got_path)
    want, want_shapes, _ = load(want_path)
    init, _, _ = load(init_path)
    check(meta.get("vkstyle.arch") == ARCH[name[0]],
          "%s: vkstyle.arch is %r, expected %r" % (got_path, meta.get("vkstyle.arch"), ARCH[name[0]]))
    check(sorted(got) == sorted(want), "%s: tensors differ from the expected ones: %s"
          % (name, sorted(set(got) ^ set(want))))
    bound = lr * ADAM_BOUND * steps
    diffs, off, worst_matched, worst = [], 0, 0.0, 0.0
    for key in sorted(want):
        check(tuple(got_shapes[key]) == tuple(want_shapes[key]), "%s %s has shape %s, expected %s"
              % (name, key, list(got_shapes[key]), list(want_shapes[key])))
        g, w, i0 = got[key], want[key], init[key]
        moved = max(abs(a - b) for a, b in zip(g, i0))
        check(moved <= bound, "%s %s moved by %.3g from its initial value, more than Adam's bound %.3g"
              % (name, key, moved, bound))
        if key in free:
            continue
        d = [abs(a - b) for a, b in zip(g, w)]
        n_off = sum(1 for x in d if x > MATCH_ATOL)
        if steps == 1:
            check(n_off <= int(MAX_OFF_PER_TENSOR * len(d)),
                  "%s %s: %d of %d elements differ by more than %.0e (largest %.3g)"
                  % (name, key, n_off, len(d), MATCH_ATOL, max(d)))
        off += n_off
        diffs += d
        worst = max(worst, max(d))
        worst_matched = max([worst_matched] + [x for x in d if x <= MATCH_ATOL])
    diffs.sort()
    stats = {"off": off / len(diffs), "max_matched": worst_matched, "max": worst,
             "median_over_lr": quantile(diffs, 0.5) / lr, "q90_over_lr": quantile(diffs, 0.9) / lr}
    print("#   %s: %d elements, %.3f %% off by > %.0e, max |diff| of the rest %.2e, max %.2e, "
          "median |diff| %.2e lr, 90th percentile %.2e lr"
          % (name, len(diffs), 100 * stats["off"], MATCH_ATOL, worst_matched, worst,
             stats["median_over_lr"], stats["q90_over_lr"]))
    if steps == 1:
        check(stats["off"] <= MAX_OFF_FRACTION, "%s: %.2f %% of the elements differ by more than %.0e"
              % (name, 100 * stats["off"], MATCH_ATOL))
    else:
        check(stats["median_over_lr"] <= TWO_STEP_MEDIAN and stats["q90_over_lr"] <= TWO_STEP_Q90,
              "%s: median |diff| %.3f lr, 90th percentile %.3f lr (limits %.2f, %.2f)"
              % (name, stats["median_over_lr"], stats["q90_over_lr"], TWO_STEP_MEDIAN, TWO_STEP_Q90))


def run_case(binary, case, tmp):
    folder, extra = CASES[case]
    expected = os.path.join(FIXTURE, folder)
    with open(os.path.join(expected, "losses.json")) as f:
        ref = json.load(f)
    steps, lr = ref["steps"], ref["options"]["lr"]
    out = run_trainer(binary, tmp, extra)
    losses = read_losses(out, steps)
    rtols = [LOSS_RTOL] + [TWO_STEP_LOSS_RTOL] * (steps - 1)
    compare_losses(losses, ref["losses"], rtols)
    for name in NETS:
        compare_net(name, os.path.join(out, "latest_%s.safetensors" % name),
                    os.path.join(expected, name + ".safetensors"),
                    os.path.join(FIXTURE, "init", name + ".safetensors"),
                    set(ref["free_tensors"][name]), lr, steps)


def main(argv):
    cases = argv[2:] or list(CASES)
    unknown = [c for c in cases if c not in CASES]
    if unknown:
        print("usage: test_train_step.py VKSTYLE_TRAIN [%s ...]" % " | ".join(CASES), file=sys.stderr)
        return 2
    binary = argv[1] if len(argv) > 1 else None
    if not binary or not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("1..0 # SKIP vkstyle-train not given or not built (%s)" % binary)
        return 77
    print("1..%d" % len(cases))
    failed = 0
    for i, case in enumerate(cases, 1):
        tmp = tempfile.mkdtemp(prefix="vkstyle-train-step-")
        try:
            run_case(binary, case, tmp)
            print("ok %d - %s" % (i, case))
        except Failure as e:
            failed += 1
            print("not ok %d - %s" % (i, case))
            for line in str(e).rstrip().splitlines():
                print("# " + line)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
