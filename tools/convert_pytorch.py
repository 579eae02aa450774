#!/usr/bin/python3
"""Converts a PyTorch checkpoint (.pth) into a vkstyle safetensors file.

  convert_pytorch.py INPUT.pth OUTPUT.safetensors [--name N] [--description D]
                     [--n-categories C --n-continuous K] [--nz Z --ngf F]
  convert_pytorch.py --inception pt_inception-2015-12-05-6726825d.pth OUTPUT.safetensors

Accepts pytorch-CycleGAN-and-pix2pix ResnetGenerator checkpoints (resnet_6blocks,
resnet_9blocks, any ngf/n_blocks, instance or batch norm) and NLayerDiscriminator (PatchGAN)
checkpoints, and PyTorch examples/dcgan's Generator / Discriminator (netG_epoch_N.pth,
netD_epoch_N.pth; image size 32, 64 or 128) with our WGAN critic and InfoGAN variants
(tools/convert_dcgan.py; an InfoGAN generator's codes need --n-categories / --n-continuous, a
discriminator file takes the generator's nz / ngf from --nz / --ngf, else the example's 100 / 64). The hyper-parameters are inferred
from the tensor shapes, then the key set and every shape are checked against our own definition
of the network (tools/cyclegan_torch.py) before anything is written: a file we write is one the
engine can run. Exit status 0 on success, 1 with a message on any problem, 2 on bad usage.
Needs PyTorch: run with /usr/bin/python3 (Debian's python3-torch).
"""

import argparse
import dataclasses
import importlib.util
import os
import re
import sys
from collections.abc import Mapping

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import safetensors  # noqa: E402  (ours, tools/safetensors.py)
import convert_dcgan  # noqa: E402

# The ranges the engine accepts (engine/generator_spec.h, engine/discriminator_spec.h); refusing
# here gives a clearer message than a file the plug-in or the trainer later rejects.
MAX_NGF = 1024
MAX_BLOCKS = 64
MAX_NC = 4
MAX_NDF = 1024
MAX_D_LAYERS = 8
MAX_SHOWN = 5


class ConversionError(Exception):
    pass


def load_pth(path, trust_pickle):
    import torch
    if not os.path.isfile(path):
        raise ConversionError("%s: no such file" % path)
    try:
        safetensors.parse_header(open(path, "rb").read())
        raise ConversionError("%s is already a safetensors file; vkstyle can use it as it is if it "
                              "has vkstyle.* metadata" % path)
    except (safetensors.SafetensorsError, OSError):
        pass
    try:
        # weights_only refuses pickled Python objects, which could run code when loaded.
        return torch.load(path, map_location="cpu", weights_only=not trust_pickle)
    except Exception as e:  # torch raises many unrelated types for a damaged file
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        # torch 1.13 (Debian 12) starts its message with the unpickler's reason; torch 2.6
        # (Debian 13) starts with advice and gives the reason on a later line.
        detail = ""
        for line in str(e).splitlines():
            if "WeightsUnpickler error:" in line:
                detail = line.partition("WeightsUnpickler error:")[2].strip()
                break
        if detail and not trust_pickle:
            # The safe unpickler cannot tell a damaged file from one holding other objects.
            raise ConversionError(
                "%s could not be loaded safely (%s): the file is damaged, or it holds Python "
                "objects besides tensors, which could run code when loaded. If the file is "
                "intact and you trust where it came from, rerun with --trust-pickle."
                % (path, detail))
        raise ConversionError("%s is not a readable PyTorch checkpoint: %s" % (path, text))


def extract_state_dict(obj, path):
    import torch
    if isinstance(obj, Mapping):
        for wrapper in ("state_dict", "model"):
            # A network's own state_dict never has a bare "model" key (its keys are model.N.*).
            if isinstance(obj.get(wrapper), Mapping):
                obj = obj[wrapper]
                break
    if not isinstance(obj, Mapping):
        raise ConversionError("%s does not hold a state_dict (found a %s)" % (path, type(obj).__name__))
    sd = {}
    for key, value in obj.items():
        if not isinstance(key, str) or not torch.is_tensor(value):
            raise ConversionError("%s: entry %r is not a named tensor; is this a state_dict?" % (path, key))
        # Saved from an nn.DataParallel wrapper.
        if key.startswith("module."):
            key = key[len("module."):]
        if key in sd:
            raise ConversionError("%s: tensor %s appears twice (with and without 'module.')" % (path, key))
        sd[key] = value
    if not sd:
        raise ConversionError("%s holds an empty state_dict" % path)
    return sd


def drop_unused(sd):
    """Drops num_batches_tracked everywhere and the running statistics that PyTorch < 0.4 saved
    for InstanceNorm layers (recognisable by having no weight). Returns the dropped keys."""
    dropped = []
    for key in list(sd):
        layer, _, leaf = key.rpartition(".")
        if leaf == "num_batches_tracked" or (
                leaf in ("running_mean", "running_var") and layer + ".weight" not in sd):
            dropped.append(key)
            del sd[key]
    return dropped


def conv_indices(sd):
    """Indices N of the 4-d model.N.weight tensors (top-level convolutions), ascending."""
    out = []
    for key, value in sd.items():
        m = re.fullmatch(r"model\.(\d+)\.weight", key)
        if m and value.dim() == 4:
            out.append(int(m.group(1)))
    return sorted(out)


def check_range(what, value, lo, hi):
    if not lo <= value <= hi:
        raise ConversionError("this model has %s = %d; vkstyle supports %d to %d" % (what, value, lo, hi))


def infer_generator(sd, cyclegan_torch):
    stem = sd["model.1.weight"]
    blocks = {int(m.group(1)) for m in (re.match(r"model\.(\d+)\.conv_block\.", k) for k in sd) if m}
    convs = conv_indices(sd)
    cfg = cyclegan_torch.GeneratorConfig(
        input_nc=stem.shape[1], output_nc=sd["model.%d.weight" % convs[-1]].shape[0],
        ngf=stem.shape[0], n_blocks=len(blocks),
        norm="batch" if "model.2.weight" in sd else "instance")
    check_range("ngf", cfg.ngf, 1, MAX_NGF)
    check_range("n_blocks", cfg.n_blocks, 0, MAX_BLOCKS)
    check_range("input channels", cfg.input_nc, 1, MAX_NC)
    check_range("output channels", cfg.output_nc, 1, MAX_NC)
    # The up convs' indices tell the two up-samplings apart; the reference's first, so a
    # mismatch is reported against it.
    return [cfg, dataclasses.replace(cfg, upsample="resize-conv")]


def infer_discriminator(sd, cyclegan_torch):
    stem = sd["model.0.weight"]
    n_convs = len(conv_indices(sd))
    norm = "batch" if "model.3.weight" in sd else "instance"
    # n_layers 0 and 1 both have three convolutions; the shape check below tells them apart.
    candidates = [max(n_convs - 2, 0)] + ([0] if n_convs == 3 else [])
    check_range("ndf", stem.shape[0], 1, MAX_NDF)
    check_range("n_layers", candidates[0], 0, MAX_D_LAYERS)
    check_range("input channels", stem.shape[1], 1, MAX_NC)
    return [cyclegan_torch.DiscriminatorConfig(input_nc=stem.shape[1], ndf=stem.shape[0],
                                               n_layers=n, norm=norm) for n in candidates]


def describe(cfg):
    if hasattr(cfg, "ngf"):
        return ("CycleGAN ResNet generator, ngf %d, %d residual blocks, %s norm, %d to %d channels"
                % (cfg.ngf, cfg.n_blocks, cfg.norm, cfg.input_nc, cfg.output_nc)
                + ("" if cfg.upsample == "transposed" else ", %s up-sampling" % cfg.upsample))
    return ("PatchGAN discriminator, ndf %d, %d layers, %s norm, %d input channels"
            % (cfg.ndf, cfg.n_layers, cfg.norm, cfg.input_nc))


def mismatch(sd, expected):
    """Human-readable differences between a state_dict and the expected one, or None."""
    problems = []
    missing = sorted(set(expected) - set(sd))
    extra = sorted(set(sd) - set(expected))
    if missing:
        problems.append("missing tensors: " + ", ".join(missing[:MAX_SHOWN])
                        + (" and %d more" % (len(missing) - MAX_SHOWN) if len(missing) > MAX_SHOWN else ""))
    if extra:
        problems.append("unexpected tensors: " + ", ".join(extra[:MAX_SHOWN])
                        + (" and %d more" % (len(extra) - MAX_SHOWN) if len(extra) > MAX_SHOWN else ""))
    for key in sorted(set(sd) & set(expected)):
        if tuple(sd[key].shape) != tuple(expected[key].shape):
            problems.append("tensor %s has shape %s, this network needs %s"
                            % (key, list(sd[key].shape), list(expected[key].shape)))
            if len(problems) > MAX_SHOWN:
                break
    return "; ".join(problems) or None


def match_network(sd, path):
    import cyclegan_torch
    if "model.1.weight" in sd and sd["model.1.weight"].dim() == 4 and tuple(sd["model.1.weight"].shape[2:]) == (7, 7):
        configs, build = infer_generator(sd, cyclegan_torch), cyclegan_torch.ResnetGenerator
    elif "model.0.weight" in sd and sd["model.0.weight"].dim() == 4 and tuple(sd["model.0.weight"].shape[2:]) == (4, 4):
        configs, build = infer_discriminator(sd, cyclegan_torch), cyclegan_torch.NLayerDiscriminator
    elif any(k.startswith("model.model.") for k in sd):
        raise ConversionError("%s looks like a U-Net generator (unet_128/unet_256); vkstyle runs "
                              "ResNet generators only" % path)
    else:
        raise ConversionError("%s is neither a CycleGAN ResNet generator (7x7 model.1.weight) nor a "
                              "PatchGAN discriminator (4x4 model.0.weight); first keys: %s"
                              % (path, ", ".join(sorted(sd)[:MAX_SHOWN])))
    problems = []
    for cfg in configs:
        expected = cyclegan_torch.exported_state_dict(build(cfg))
        problems.append(mismatch(sd, expected))
        if problems[-1] is None:
            return cfg
    # the differences from the first (most likely) candidate, the one described
    raise ConversionError("%s does not match a %s: %s" % (path, describe(configs[0]), problems[0]))


def check_values(sd):
    import torch
    for key in sorted(sd):
        t = sd[key]
        if not t.is_floating_point():
            raise ConversionError("tensor %s has type %s, expected floating point" % (key, t.dtype))
        t32 = t.detach().to(torch.float32)
        if not torch.isfinite(t32).all():
            raise ConversionError("tensor %s holds NaN or infinite values (or values too large "
                                  "for float32)" % key)


def match_dcgan(sd, path, gan):
    """(config, one-line description) of an examples/dcgan network; raises ConversionError."""
    import dcgan_torch
    try:
        cfg, net = convert_dcgan.infer(sd, **gan)
    except convert_dcgan.DcganError as e:
        raise ConversionError("%s: %s" % (path, e))
    text = convert_dcgan.describe(cfg, net)
    problem = mismatch(sd, dcgan_torch.exported_state_dict(net(cfg)))
    if problem is not None:
        raise ConversionError("%s does not match a %s: %s" % (path, text, problem))
    return cfg, text


def convert(src, dst, name=None, description=None, trust_pickle=False, gan=None):
    """Returns (description of the network, number of dropped legacy keys). Raises
    ConversionError. gan: convert_dcgan.infer's keyword options for DCGAN checkpoints."""
    import cyclegan_torch
    import dcgan_torch
    sd = extract_state_dict(load_pth(src, trust_pickle), src)
    dropped = drop_unused(sd)
    if "init_conv.conv1.0.weight" in sd and "contextembed1.model.0.weight" in sd:
        raise ConversionError("%s is a diffusion ContextUnet (the sprites course's); convert it "
                              "with tools/convert_diffusion.py IN OUT --classes NAME,..." % src)
    if convert_dcgan.looks_like_dcgan(sd):
        cfg, text = match_dcgan(sd, src, gan or {})
        make_meta = dcgan_torch.metadata
    else:
        cfg = match_network(sd, src)
        text = describe(cfg)
        make_meta = (cyclegan_torch.generator_metadata if hasattr(cfg, "ngf")
                     else cyclegan_torch.discriminator_metadata)
    check_values(sd)
    base = os.path.basename(src)
    name = name if name is not None else os.path.splitext(base)[0]
    description = description if description is not None else text
    metadata = make_meta(cfg, name, description, "converted from %s" % base)
    tensors = {k: (list(v.shape), cyclegan_torch.tensor_to_f32_bytes(v)) for k, v in sd.items()}
    try:
        safetensors.save(dst, tensors, metadata)
    except OSError as e:
        raise ConversionError("cannot write %s: %s" % (dst, e.strerror or e))
    return text, len(dropped)


INCEPTION_DESCRIPTION = "FID Inception-v3 (pytorch-fid, TensorFlow's 2015-12-05 weights)"


def convert_inception(src, dst, trust_pickle=False):
    """pytorch-fid's FID Inception weights (pt_inception-2015-12-05-6726825d.pth, a plain
    state_dict) to safetensors with vkstyle.arch inception_v3_fid, checked key by key and shape by
    shape against tools/inception_torch.py. Returns the number of tensors. Raises
    ConversionError."""
    import inception_torch
    import cyclegan_torch
    sd = extract_state_dict(load_pth(src, trust_pickle), src)
    for key in [k for k in sd if k.endswith(".num_batches_tracked")]:
        del sd[key]
    expected = inception_torch.exported_state_dict(inception_torch.FIDInceptionV3())
    problem = mismatch(sd, expected)
    if problem is not None:
        raise ConversionError("%s is not pytorch-fid's FID Inception-v3: %s" % (src, problem))
    check_values(sd)
    base = os.path.basename(src)
    metadata = inception_torch.metadata(os.path.splitext(base)[0], INCEPTION_DESCRIPTION,
                                        "converted from %s" % base)
    tensors = {k: (list(v.shape), cyclegan_torch.tensor_to_f32_bytes(v)) for k, v in sd.items()}
    try:
        safetensors.save(dst, tensors, metadata)
    except OSError as e:
        raise ConversionError("cannot write %s: %s" % (dst, e.strerror or e))
    return len(tensors)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="convert_pytorch.py", description="Convert a pytorch-CycleGAN-and-pix2pix or "
        "examples/dcgan .pth checkpoint to vkstyle safetensors.")
    parser.add_argument("input", help="the .pth file (e.g. latest_net_G_A.pth)")
    parser.add_argument("output", help="the .safetensors file to write")
    parser.add_argument("--name", help="display name stored in the file (default: input file name)")
    parser.add_argument("--description", help="one-line description stored in the file")
    parser.add_argument("--n-categories", type=int, default=0,
                        help="InfoGAN generator: its categorical code's values (default 0)")
    parser.add_argument("--n-continuous", type=int, default=0,
                        help="InfoGAN generator: its continuous codes (default 0)")
    parser.add_argument("--nz", type=int, help="DCGAN discriminator: the generator's nz (100)")
    parser.add_argument("--ngf", type=int, help="DCGAN discriminator: the generator's ngf (64)")
    parser.add_argument("--trust-pickle", action="store_true",
                        help="also load checkpoints holding pickled Python objects (can run code)")
    parser.add_argument("--inception", action="store_true",
                        help="the input is pytorch-fid's FID Inception weights "
                             "(pt_inception-2015-12-05-*.pth), for vkstyle metrics")
    args = parser.parse_args(argv)
    prog = parser.prog
    if importlib.util.find_spec("torch") is None:
        print("%s: error: PyTorch is not installed for %s; run with /usr/bin/python3 "
              "(Debian package python3-torch)" % (prog, sys.executable), file=sys.stderr)
        return 1
    if args.inception:
        try:
            n = convert_inception(args.input, args.output, args.trust_pickle)
        except ConversionError as e:
            print("%s: error: %s" % (prog, e), file=sys.stderr)
            return 1
        print("wrote %s: %s, %d tensors" % (args.output, INCEPTION_DESCRIPTION, n))
        return 0
    try:
        gan = {"n_categories": args.n_categories, "n_continuous": args.n_continuous,
               "nz": args.nz, "ngf": args.ngf}
        text, n_dropped = convert(args.input, args.output, args.name, args.description,
                                  args.trust_pickle, gan)
    except ConversionError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 1
    note = " (ignored %d unused running-statistics entries)" % n_dropped if n_dropped else ""
    print("wrote %s: %s%s" % (args.output, text, note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
