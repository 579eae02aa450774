#!/usr/bin/python3
"""Fixtures for tests/bench_grad_error.c: how far float32 convolution gradients are from float64.

  conv_grad_error.py OUTDIR

For each convolution shape the CycleGAN trainer uses (ResNet generator and PatchGAN layers, at
sizes a 64-128 px crop gives them, batch 1) it draws x ~ N(0, 1), weights ~ N(0, 0.02) (the
reference's init_type 'normal') and an upstream gradient dy ~ N(0, 1), and writes
  OUTDIR/NAME.x.f32, .w.f32 (PyTorch layout), .dy.f32   the float32 inputs both sides use
  OUTDIR/NAME.y.f64, .dx.f64, .dw.f64                   PyTorch's float64 forward and gradients
  OUTDIR/cases.txt                                      one line per shape, with PyTorch float32's
                                                        own errors against float64
so that bench-grad-error can put each engine path's error next to PyTorch float32's on the same
layer and data. Errors are normwise, |g - g64|_2 / |g64|_2 ("l2"), and the largest element's,
max |g - g64| / max |g64| ("max"). Arrays are little-endian, NCHW. Needs torch.
"""

import os
import sys

import torch
import torch.nn.functional as F

# name, cin, cout, size, k, stride, pad, reflect, transposed, output_pad
CASES = [
    ("c7s1_in", 3, 64, 64, 7, 1, 3, 1, 0, 0),         # generator input layer
    ("down_s2", 64, 128, 64, 3, 2, 1, 0, 0, 0),       # generator downsampling
    ("res3x3", 128, 128, 32, 3, 1, 1, 1, 0, 0),       # residual block conv
    ("up_t_s2", 128, 64, 32, 3, 2, 1, 0, 1, 1),       # generator upsampling (ConvTranspose2d)
    ("c7s1_out", 64, 3, 64, 7, 1, 3, 1, 0, 0),        # generator output layer
    ("d_k4s2", 64, 128, 64, 4, 2, 1, 0, 0, 0),        # PatchGAN
    ("d_k4s1_out", 512, 1, 16, 4, 1, 1, 0, 0, 0),     # PatchGAN output layer
]
SEED = 12


def forward(x, w, case):
    _, cin, cout, size, k, stride, pad, reflect, transposed, output_pad = case
    if transposed:
        return F.conv_transpose2d(x, w, stride=stride, padding=pad, output_padding=output_pad)
    if reflect:
        return F.conv2d(F.pad(x, (pad,) * 4, mode="reflect"), w, stride=stride)
    return F.conv2d(x, w, stride=stride, padding=pad)


def gradients(x, w, dy, case):
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)
    y = forward(x, w, case)
    dx, dw = torch.autograd.grad(y, (x, w), dy)
    return y.detach(), dx, dw


def errors(got, want):
    d = (got.double() - want)
    return (d.norm() / want.norm()).item(), (d.abs().max() / want.abs().max()).item()


def write(path, t, dtype):
    kind = "<f4" if dtype == torch.float32 else "<f8"
    with open(path, "wb") as f:
        f.write(t.detach().to(dtype).contiguous().numpy().astype(kind).tobytes())


def main(argv):
    if len(argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)   # the summation order of one thread, as a CPU run would mostly use
    lines = ["# name cin cout size k stride pad reflect transposed output_pad"
             " torch32: y_l2 y_max dx_l2 dx_max dw_l2 dw_max"]
    for case in CASES:
        name, cin, cout, size, k, stride, pad, reflect, transposed, output_pad = case
        x = torch.randn(1, cin, size, size)
        w = torch.randn(*((cin, cout) if transposed else (cout, cin)), k, k) * 0.02
        y64 = forward(x.double(), w.double(), case)
        dy = torch.randn(y64.shape)
        y64, dx64, dw64 = gradients(x.double(), w.double(), dy.double(), case)
        y32, dx32, dw32 = gradients(x, w, dy, case)
        figures = errors(y32, y64) + errors(dx32, dx64) + errors(dw32, dw64)
        for suffix, t in (("x", x), ("w", w), ("dy", dy)):
            write(os.path.join(out, "%s.%s.f32" % (name, suffix)), t, torch.float32)
        for suffix, t in (("y", y64), ("dx", dx64), ("dw", dw64)):
            write(os.path.join(out, "%s.%s.f64" % (name, suffix)), t, torch.float64)
        lines.append(" ".join(str(v) for v in case) + " " + " ".join("%.3e" % e for e in figures))
        print(lines[-1])
    with open(os.path.join(out, "cases.txt"), "w") as f:
        f.write("# torch %s, mkldnn %s\n"
                % (torch.__version__, torch.backends.mkldnn.is_available()))
        f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
