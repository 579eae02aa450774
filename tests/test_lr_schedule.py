#!/usr/bin/python3
"""The learning rate vkstyle-train trains each step at (the lr column of losses.csv) against
PyTorch's: a LambdaLR with pytorch-CycleGAN-and-pix2pix's 'linear' rule (models/networks.py
get_scheduler), stepped the way its current train.py steps it (BaseModel.update_learning_rate
after each epoch's optimisation, epoch_count 1). Prints TAP.

  test_lr_schedule.py VKSTYLE_TRAIN

Cases: a whole run (3 steps an epoch, 2 epochs at lr then 3 of decay), the same run stopped
inside an epoch and resumed, and --n-epochs 0. The values must be equal, not close: both sides
evaluate the same double expression. Exit status 77 (skip) without torch or the binary.
"""

import csv
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IMAGE = os.path.join(ROOT, "tests", "fixtures", "train_step", "a", "0.png")
LR = 2e-4
TIMEOUT = 600
TINY = ["--load-size", "32", "--crop-size", "32", "--ngf", "4", "--ndf", "4", "--n-blocks", "1",
        "--pool-size", "2", "--seed", "3", "--print-every", "1", "--sample-every", "1000",
        "--lr", repr(LR)]


class Failure(Exception):
    pass


def torch_schedule(steps_per_epoch, n_epochs, n_epochs_decay, step_at_end=True):
    """(epoch, lr) of every optimisation step, as the reference's training loop produces them.

    step_at_end False is train.py as it was from 2020 until 2025 (update_learning_rate at the
    start of each epoch), kept to show that this test tells the two apart."""
    import torch

    epoch_count = 1

    def linear_rule(epoch):   # the reference's lambda_rule for lr_policy 'linear'
        return 1.0 - max(0, epoch + epoch_count - n_epochs) / float(n_epochs_decay + 1)

    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([param], lr=LR, betas=(0.5, 0.999))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=linear_rule)
    rows = []
    for epoch in range(epoch_count, n_epochs + n_epochs_decay + 1):
        if not step_at_end:
            scheduler.step()
        for _ in range(steps_per_epoch):
            rows.append((epoch, optimizer.param_groups[0]["lr"]))
            param.grad = torch.ones(1)
            optimizer.step()
        if step_at_end:
            scheduler.step()
    return rows


def run(binary, args):
    print("# " + " ".join([binary] + args))
    try:
        proc = subprocess.run([binary] + args, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        raise Failure("vkstyle-train did not finish within %d s" % TIMEOUT)
    if proc.returncode != 0:
        raise Failure("vkstyle-train exited with %d:\n%s"
                      % (proc.returncode, (proc.stderr or proc.stdout)[-3000:]))


def logged(out):
    with open(os.path.join(out, "losses.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or "lr" not in rows[0]:
        raise Failure("losses.csv has no lr column")
    return [(int(r["epoch"]), float(r["lr"])) for r in rows]


def compare(got, want):
    for i, (g, w) in enumerate(zip(got, want), 1):
        print("#   step %2d: epoch %d lr %r (PyTorch: epoch %d lr %r)"
              % (i, g[0], g[1], w[0], w[1]))
    if got != want:
        raise Failure("losses.csv (epoch, lr) per step:\n  %s\nPyTorch:\n  %s" % (got, want))


def make_data(tmp):
    """A with 3 images, B with 2: 3 steps an epoch (max of the sizes)."""
    folders = []
    for side, count in (("a", 3), ("b", 2)):
        folder = os.path.join(tmp, side)
        os.mkdir(folder)
        for i in range(count):
            shutil.copy(IMAGE, os.path.join(folder, "%d.png" % i))
        folders += ["--data-" + side, folder]
    return folders


def case_full(binary, tmp, data):
    want = torch_schedule(3, 2, 3)
    old = torch_schedule(3, 2, 3, step_at_end=False)
    if want == old:
        raise Failure("the two train.py orders give the same schedule: the case shows nothing")
    out = os.path.join(tmp, "full")
    run(binary, data + TINY + ["--out", out, "--n-epochs", "2", "--n-epochs-decay", "3"])
    compare(logged(out), want)


def case_resume(binary, tmp, data):
    out = os.path.join(tmp, "resumed")
    common = data + TINY + ["--out", out, "--n-epochs", "2", "--n-epochs-decay", "3"]
    run(binary, common + ["--max-steps", "7"])   # stops inside the third epoch
    run(binary, common + ["--resume"])
    compare(logged(out), torch_schedule(3, 2, 3))


def case_no_constant_epochs(binary, tmp, data):
    out = os.path.join(tmp, "decay-only")
    run(binary, data + TINY + ["--out", out, "--n-epochs", "0", "--n-epochs-decay", "2"])
    compare(logged(out), torch_schedule(3, 0, 2))


CASES = (("whole run", case_full), ("stopped mid-epoch and resumed", case_resume),
         ("--n-epochs 0", case_no_constant_epochs))


def main(argv):
    binary = argv[1] if len(argv) > 1 else None
    if not binary or not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print("1..0 # SKIP vkstyle-train not given or not built (%s)" % binary)
        return 77
    try:
        import torch  # noqa: F401
    except ImportError:
        print("1..0 # SKIP torch is not installed")
        return 77
    print("1..%d" % len(CASES))
    failed = 0
    tmp = tempfile.mkdtemp(prefix="vkstyle-lr-schedule-")
    try:
        data = make_data(tmp)
        for i, (name, case) in enumerate(CASES, 1):
            try:
                case(binary, tmp, data)
                print("ok %d - %s" % (i, name))
            except Failure as e:
                failed += 1
                print("not ok %d - %s" % (i, name))
                for line in str(e).rstrip().splitlines():
                    print("# " + line)
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
