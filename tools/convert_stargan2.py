#!/usr/bin/python3
"""Converts an official StarGAN v2 checkpoint (clovaai/stargan-v2) into one vkstyle model.

  /usr/bin/python3 tools/convert_stargan2.py 100000_nets_ema.ckpt model.safetensors \\
      --domains cat,dog,wild [--discriminator 100000_nets.ckpt] [--name N] [--description D]

The *_nets_ema.ckpt file is the reference's CheckpointIO output: a dict of state_dicts under
"generator", "mapping_network" and "style_encoder" (the EMA copies, what the reference samples
with). --discriminator takes the discriminator from the non-EMA *_nets.ckpt (for training or
evaluation; inference does not need it). The output names every tensor `<network>.<key>`
(generator.encode.0.conv1.weight, ...) and records img_size, style_dim, latent_dim, num_domains,
max_conv_dim (and dim_in, mapping_dim, which the reference fixes) inferred from the shapes, and
the domain names in the order the reference indexes them (its training folders, sorted).
Face models (w_hpf > 0, celeba_hq) are refused: their generator needs the face-alignment
network, which vkstyle does not include."""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import convert_pytorch as cp  # noqa: E402  (load_pth, extract_state_dict)
import safetensors  # noqa: E402
import stargan2_torch as st  # noqa: E402

EMA_NETWORKS = ("generator", "mapping_network", "style_encoder")
MAX_DOMAINS = 256         # engine/models/stargan2.h
MAX_IMG_SIZE = 1024


class StarGan2Error(Exception):
    pass


def _indices(sd, pattern):
    return sorted({int(m.group(1)) for m in (re.fullmatch(pattern, k) for k in sd) if m})


def _need(sd, key, what):
    if key not in sd:
        raise StarGan2Error("%s has no tensor %s: not a StarGAN v2 %s" % (what, key, what))
    return sd[key]


def infer_config(nets):
    """The hyper-parameters from the shapes; every state_dict is then checked whole by loading
    it strictly into tools/stargan2_torch.py's modules of that configuration."""
    se, mn, gen = nets["style_encoder"], nets["mapping_network"], nets["generator"]
    dim_in = _need(se, "shared.0.weight", "style encoder").shape[0]
    blocks = _indices(se, r"shared\.(\d+)\.conv1\.weight")
    if not blocks:
        raise StarGan2Error("the style encoder has no residual blocks")
    img_size = 2 ** (len(blocks) + 2)
    if not 32 <= img_size <= MAX_IMG_SIZE:
        raise StarGan2Error("the style encoder's %d blocks mean img_size %d; vkstyle supports 32 "
                            "to %d" % (len(blocks), img_size, MAX_IMG_SIZE))
    widths = [se["shared.%d.conv2.weight" % i].shape[0] for i in blocks]
    heads = _indices(se, r"unshared\.(\d+)\.weight")
    if not 1 <= len(heads) <= MAX_DOMAINS:
        raise StarGan2Error("the style encoder has %d domain heads; vkstyle supports 1 to %d"
                            % (len(heads), MAX_DOMAINS))
    style_dim = se["unshared.0.weight"].shape[0]
    first = _need(mn, "shared.0.weight", "mapping network")
    encode = _indices(gen, r"encode\.(\d+)\.conv1\.weight")
    expected = len(blocks) - 2 + 2    # log2(img_size) - 4 down-sampling blocks, 2 bottleneck
    if len(encode) == expected + 1:
        raise StarGan2Error("this is a face model (w_hpf > 0: one more generator block than the "
                            "style encoder implies): its generator needs the face-alignment "
                            "network (FAN), which vkstyle does not include")
    if len(encode) != expected:
        raise StarGan2Error("the generator has %d encoder blocks, img_size %d needs %d"
                            % (len(encode), img_size, expected))
    return st.Config(img_size=img_size, style_dim=style_dim, latent_dim=first.shape[1],
                     num_domains=len(heads), max_conv_dim=max(widths), dim_in=dim_in,
                     mapping_dim=first.shape[0])


def check_network(name, sd, cfg):
    net = st.NETWORKS[name](cfg)
    missing, unexpected = [], []
    want = net.state_dict()
    for k, v in want.items():
        if k not in sd:
            missing.append(k)
        elif tuple(sd[k].shape) != tuple(v.shape):
            raise StarGan2Error("%s.%s has shape %s; this configuration needs %s"
                                % (name, k, list(sd[k].shape), list(v.shape)))
    unexpected = [k for k in sd if k not in want]
    if missing or unexpected:
        raise StarGan2Error("%s: %s" % (name, "; ".join(
            (["missing " + ", ".join(missing[:5])] if missing else []) +
            (["unexpected " + ", ".join(unexpected[:5])] if unexpected else []))))


def _raw(t):
    t = t.detach().cpu().float().contiguous()
    try:
        return t.numpy().astype("<f4").tobytes()
    except (RuntimeError, ImportError):   # no numpy: slower, same bytes
        return t.flatten().tolist()


def _networks(obj, path, names):
    if not isinstance(obj, dict):
        raise StarGan2Error("%s does not hold the reference's dict of networks" % path)
    if "fan" in obj:
        raise StarGan2Error("%s holds a face-alignment network (a w_hpf > 0 face model), which "
                            "vkstyle does not include" % path)
    out = {}
    for name in names:
        if name not in obj:
            raise StarGan2Error("%s has no %r state_dict (it has %s): not a StarGAN v2 %s file"
                                % (path, name, ", ".join(map(str, obj)) or "nothing",
                                   "*_nets_ema.ckpt" if name != "discriminator" else
                                   "*_nets.ckpt"))
        out[name] = cp.extract_state_dict(obj[name], "%s[%s]" % (path, name))
    return out


def convert(ema_path, out_path, domains=None, discriminator_path=None, name=None,
            description=None, trust_pickle=False):
    nets = _networks(cp.load_pth(ema_path, trust_pickle), ema_path, EMA_NETWORKS)
    if discriminator_path:
        nets.update(_networks(cp.load_pth(discriminator_path, trust_pickle), discriminator_path,
                              ("discriminator",)))
    cfg = infer_config(nets)
    for net, sd in nets.items():
        check_network(net, sd, cfg)
    if domains is None:
        domains = [str(d) for d in range(cfg.num_domains)]
    if len(domains) != cfg.num_domains:
        raise StarGan2Error("--domains names %d domains, the model has %d"
                            % (len(domains), cfg.num_domains))
    if any(not d or "," in d for d in domains) or len(set(domains)) != len(domains):
        raise StarGan2Error("--domains: names must be non-empty and distinct")
    md = cfg.metadata()
    md["vkstyle.domains"] = ",".join(domains)
    if name:
        md["vkstyle.name"] = name
    if description:
        md["vkstyle.description"] = description
    tensors = {}
    for net, sd in nets.items():
        for k, v in sd.items():
            tensors["%s.%s" % (net, k)] = (list(v.shape), _raw(v))
    safetensors.save(out_path, tensors, md)
    return cfg


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("ema", help="the reference's *_nets_ema.ckpt")
    p.add_argument("output", help="the .safetensors to write")
    p.add_argument("--domains", help="comma-separated domain names, in the reference's order "
                   "(its sorted training folders), e.g. cat,dog,wild")
    p.add_argument("--discriminator", metavar="NETS_CKPT",
                   help="also take the discriminator from this *_nets.ckpt")
    p.add_argument("--name", help="vkstyle.name (shown in the model list)")
    p.add_argument("--description", help="vkstyle.description")
    p.add_argument("--trust-pickle", action="store_true",
                   help="load files that hold Python objects besides tensors (runs their code)")
    a = p.parse_args(argv)
    try:
        cfg = convert(a.ema, a.output, a.domains.split(",") if a.domains else None,
                      a.discriminator, a.name, a.description, a.trust_pickle)
    except (StarGan2Error, cp.ConversionError) as e:
        print("convert_stargan2: %s" % e, file=sys.stderr)
        return 1
    print("%s: StarGAN v2, img_size %d, %d domains, style %d, latent %d"
          % (a.output, cfg.img_size, cfg.num_domains, cfg.style_dim, cfg.latent_dim))
    return 0


if __name__ == "__main__":
    sys.exit(main())
