#!/usr/bin/python3
"""Converts the "How Diffusion Models Work" course's ContextUnet state_dicts (model_trained.pth,
context_model_trained.pth, or any checkpoint of that class) to a vkstyle safetensors file with
vkstyle.arch "context_unet" (engine/models/context_unet.h, docs/checkpoints.md).

The sizes come from the shapes (in_channels, n_feat, n_cfeat, height = 4 x up0's kernel); the
noise schedule (--timesteps, --beta1, --beta2: the course's 500, 1e-4, 0.02) and the context's
class names (--classes hero,non-hero,food,spell,side-facing) go to the metadata. Every key and
shape is checked against tools/diffusion_torch.py; BatchNorm's num_batches_tracked is dropped.

init_conv's shortcut. The course's ResidualConvBlock, when is_res and the channel counts differ,
adds a 1x1 convolution that forward() creates afresh (PyTorch's default init, weights and bias
uniform in +-1/sqrt(in_channels)) on every call. Of the ContextUnet's blocks only init_conv
(in_channels -> n_feat, is_res=True) takes that path; every other block has is_res=False. So the
course's checkpoints have no shortcut tensors, and its network adds a different random linear
map of x_t on each forward. We make the shortcut a parameter (init_conv.shortcut.weight /
.bias); for a checkpoint without it, --shortcut picks:
  zero    (default) weights and bias 0: the expectation of the course's random term (its
          distribution is symmetric about 0), so the deterministic network is the course's
          averaged over its shortcut draws;
  random  one draw as the course makes it (seeded by --shortcut-seed): the course's network for
          one particular forward.
A checkpoint that has the shortcut (one we trained) keeps it and --shortcut is ignored."""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import safetensors  # noqa: E402
from convert_pytorch import (ConversionError, check_values, extract_state_dict,  # noqa: E402
                             load_pth, mismatch)

ARCH = "context_unet"
MAX_CLASSES = 64            # engine/models/context_unet.h
MAX_CLASS_NAME = 31
SHORTCUT = "init_conv.shortcut."


def metadata(in_channels, n_feat, n_cfeat, height, timesteps=500, beta1=1e-4, beta2=0.02,
             classes=(), name="", description="", source=""):
    """vkstyle.* metadata of a context U-Net checkpoint; all values strings."""
    return {
        "vkstyle.arch": ARCH,
        "vkstyle.in_channels": str(in_channels),
        "vkstyle.n_feat": str(n_feat),
        "vkstyle.n_cfeat": str(n_cfeat),
        "vkstyle.height": str(height),
        "vkstyle.timesteps": str(timesteps),
        "vkstyle.beta1": repr(float(beta1)),
        "vkstyle.beta2": repr(float(beta2)),
        "vkstyle.classes": ",".join(classes),
        "vkstyle.name": name,
        "vkstyle.description": description,
        "vkstyle.source": source,
    }


def _shape(sd, key):
    if key not in sd:
        raise ConversionError("not a course ContextUnet state_dict: %s is missing" % key)
    return tuple(sd[key].shape)


def infer(sd):
    """(in_channels, n_feat, n_cfeat, height) from the shapes."""
    w = _shape(sd, "init_conv.conv1.0.weight")
    c = _shape(sd, "contextembed1.model.0.weight")
    up0 = _shape(sd, "up0.0.weight")
    if len(w) != 4 or len(c) != 2 or len(up0) != 4:
        raise ConversionError("not a course ContextUnet state_dict: unexpected tensor ranks")
    in_channels, n_feat, n_cfeat, height = w[1], w[0], c[1], 4 * up0[2]
    if not 1 <= in_channels <= 4:
        raise ConversionError("the network takes %d channels; vkstyle supports 1 to 4" % in_channels)
    if n_feat % 8 or not 8 <= n_feat <= 1024:
        raise ConversionError("n_feat is %d; vkstyle needs a multiple of 8 up to 1024" % n_feat)
    if not 1 <= n_cfeat <= MAX_CLASSES:
        raise ConversionError("n_cfeat is %d; vkstyle supports 1 to %d" % (n_cfeat, MAX_CLASSES))
    if not 4 <= height <= 256:
        raise ConversionError("height %d is outside 4 to 256" % height)
    return in_channels, n_feat, n_cfeat, height


def add_shortcut(sd, in_channels, n_feat, mode, seed):
    """Adds init_conv.shortcut.* if absent (see the module's text); returns what was done."""
    import torch
    have = [k for k in sd if k.startswith(SHORTCUT)]
    if have:
        return "kept the checkpoint's init_conv shortcut"
    if mode == "zero":
        sd[SHORTCUT + "weight"] = torch.zeros(n_feat, in_channels, 1, 1)
        sd[SHORTCUT + "bias"] = torch.zeros(n_feat)
        return "init_conv shortcut set to zero (the mean of the course's random 1x1 conv)"
    gen = torch.Generator().manual_seed(seed)
    bound = 1.0 / math.sqrt(in_channels)   # PyTorch's Conv2d init for a 1x1 kernel
    sd[SHORTCUT + "weight"] = (torch.rand(n_feat, in_channels, 1, 1, generator=gen) * 2 - 1) * bound
    sd[SHORTCUT + "bias"] = (torch.rand(n_feat, generator=gen) * 2 - 1) * bound
    return "init_conv shortcut drawn at random (seed %d) as the course's forward does" % seed


def parse_classes(text, n_cfeat):
    if not text:
        return []
    names = [s.strip() for s in text.split(",")]
    if len(names) != n_cfeat:
        raise ConversionError("--classes names %d classes; the network's context has %d"
                              % (len(names), n_cfeat))
    for n in names:
        if not n or "=" in n or len(n.encode("utf-8")) > MAX_CLASS_NAME:
            raise ConversionError("class name %r: 1 to %d bytes without '='" % (n, MAX_CLASS_NAME))
    if len(set(names)) != len(names):
        raise ConversionError("--classes names a class twice")
    return names


def convert(src, dst, classes="", timesteps=500, beta1=1e-4, beta2=0.02, shortcut="zero",
            shortcut_seed=0, name=None, description=None, trust_pickle=False):
    """Returns a one-line summary. Raises ConversionError."""
    import diffusion_torch
    import cyclegan_torch
    if not 1 <= timesteps <= 10000:
        raise ConversionError("--timesteps must be 1 to 10000")
    if not (0 < beta1 <= beta2 < 1):
        raise ConversionError("need 0 < beta1 <= beta2 < 1")
    sd = extract_state_dict(load_pth(src, trust_pickle), src)
    for key in [k for k in sd if k.endswith(".num_batches_tracked")]:
        del sd[key]
    in_channels, n_feat, n_cfeat, height = infer(sd)
    names = parse_classes(classes, n_cfeat)
    done = add_shortcut(sd, in_channels, n_feat, shortcut, shortcut_seed)
    net = diffusion_torch.ContextUnet(in_channels, n_feat, n_cfeat, height)
    expected = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    problem = mismatch(sd, expected)
    if problem is not None:
        raise ConversionError("%s does not match a ContextUnet(%d, n_feat=%d, n_cfeat=%d, "
                              "height=%d): %s" % (src, in_channels, n_feat, n_cfeat, height, problem))
    check_values(sd)
    base = os.path.basename(src)
    text = "context U-Net %dx%d, %d channels, n_feat %d, %d context classes" % (
        height, height, in_channels, n_feat, n_cfeat)
    meta = metadata(in_channels, n_feat, n_cfeat, height, timesteps, beta1, beta2, names,
                    name if name is not None else os.path.splitext(base)[0],
                    description if description is not None else text,
                    "converted from %s; %s" % (base, done))
    tensors = {k: (list(v.shape), cyclegan_torch.tensor_to_f32_bytes(v)) for k, v in sd.items()}
    try:
        safetensors.save(dst, tensors, meta)
    except OSError as e:
        raise ConversionError("cannot write %s: %s" % (dst, e.strerror or e))
    return "%s; %s" % (text, done)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="the course's .pth state_dict (e.g. context_model_trained.pth)")
    p.add_argument("output", help="the .safetensors file to write")
    p.add_argument("--classes", default="",
                   help="comma-separated context class names, e.g. hero,non-hero,food,spell,side-facing")
    p.add_argument("--timesteps", type=int, default=500)
    p.add_argument("--beta1", type=float, default=1e-4)
    p.add_argument("--beta2", type=float, default=0.02)
    p.add_argument("--shortcut", choices=("zero", "random"), default="zero",
                   help="init_conv's 1x1 shortcut where the checkpoint has none (see --help text)")
    p.add_argument("--shortcut-seed", type=int, default=0)
    p.add_argument("--name")
    p.add_argument("--description")
    p.add_argument("--trust-pickle", action="store_true",
                   help="allow pickled Python objects (runs code from the file; trusted files only)")
    a = p.parse_args(argv)
    try:
        text = convert(a.input, a.output, a.classes, a.timesteps, a.beta1, a.beta2, a.shortcut,
                       a.shortcut_seed, a.name, a.description, a.trust_pickle)
    except ConversionError as e:
        print("convert_diffusion: %s" % e, file=sys.stderr)
        return 1
    print("%s -> %s: %s" % (a.input, a.output, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
