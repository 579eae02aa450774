#!/usr/bin/python3
"""Converts a taming-transformers VQGAN (VQModel) checkpoint to a vkstyle safetensors file,
or with --transformer a Net2NetTransformer's minGPT prior.

  /usr/bin/python3 tools/convert_taming.py last.ckpt OUT.safetensors [--config project.yaml]
                   [--resolution N] [--f16]
  /usr/bin/python3 tools/convert_taming.py last.ckpt PRIOR.safetensors --transformer
                   [--config project.yaml | --n-head N] [--f16]

Reads the Lightning checkpoint's `state_dict` (or a bare state_dict), keeps the VQModel's
encoder, decoder, quant_conv, post_quant_conv and quantize.embedding tensors under their own
names, and drops the training loss's weights (`loss.*`: the patch-GAN discriminator and LPIPS's
VGG16), which inference does not use. A Net2NetTransformer checkpoint's VQGAN
(`first_stage_model.*`) is taken out the same way.

The ddconfig is inferred from the shapes (ch, ch_mult, num_res_blocks, z_channels, in / out
channels, which levels attend, n_embed, embed_dim) and written to the metadata in full
(docs/architecture.md, "VQGAN"). The shapes cannot tell the training resolution, which places
the attention blocks: with --config (the run's configs/*-project.yaml) its model.params are
used and checked against the shapes; else --resolution (default 256) is assumed. The file holds
exactly the tensors engine/models/vqgan.c builds: anything else is an error that names it.

--transformer takes the `transformer.*` tensors (engine/models/mingpt.h, names without the
prefix): vocab_size, n_embd, block_size and n_layer come from the shapes, n_head from the
config's transformer_config (or --n-head); the causal-mask buffers are checked to be plain
lower triangles (n_unmasked 0) and left out; sos_token is recorded from the config (default 0).
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import safetensors  # noqa: E402


class ConvertError(Exception):
    pass


PREFIXES = ("", "first_stage_model.")
DROPPED = ("loss.",)


def _count(sd, pattern):
    """How many consecutive N from 0 have a key matching pattern % N."""
    n = 0
    while any(re.match(pattern % n, k) for k in sd):
        n += 1
    return n


def _levels_with(sd, net, part):
    kind = "down" if net == "encoder" else "up"
    return [i for i in range(_count(sd, r"%s\.%s\.%%d\." % (net, kind)))
            if ("%s.%s.%d.%s.0.norm.weight" % (net, kind, i, part)) in sd]


def infer_config(sd, resolution):
    try:
        ch, in_channels = sd["encoder.conv_in.weight"].shape[:2]
        levels = _count(sd, r"encoder\.down\.%d\.")
        nrb = _count(sd, r"encoder\.down\.0\.block\.%d\.")
        mult = [sd["encoder.down.%d.block.0.conv1.weight" % i].shape[0] // ch for i in range(levels)]
        z_out = sd["encoder.conv_out.weight"].shape[0]
        z_channels = sd["quant_conv.weight"].shape[1]
        n_embed, embed_dim = sd["quantize.embedding.weight"].shape
        out_ch = sd["decoder.conv_out.weight"].shape[0]
    except KeyError as e:
        if "quantize.embed.weight" in sd:
            raise ConvertError("this is a Gumbel-quantised VQGAN (quantize.embed / quantize.proj); "
                               "vkstyle supports VQModel's VectorQuantizer only")
        raise ConvertError("not a taming VQModel: tensor %s is missing" % e)
    if z_out != z_channels:
        raise ConvertError("the encoder gives %d channels and quant_conv takes %d: double_z "
                           "encoders are not a VQModel's" % (z_out, z_channels))
    attn_levels = _levels_with(sd, "encoder", "attn")
    if _levels_with(sd, "decoder", "attn") != attn_levels:
        raise ConvertError("the encoder attends at levels %s, the decoder at %s: not one config"
                           % (attn_levels, _levels_with(sd, "decoder", "attn")))
    return dict(double_z=False, z_channels=int(z_channels), resolution=int(resolution),
                in_channels=int(in_channels), out_ch=int(out_ch), ch=int(ch), ch_mult=mult,
                num_res_blocks=nrb, attn_resolutions=[resolution >> i for i in attn_levels],
                dropout=0.0), int(n_embed), int(embed_dim)


def expected_tensors(cfg, n_embed, embed_dim):
    """{name: shape} of engine/models/vqgan.c's builders (the reference's state_dict)."""
    out = {}

    def conv(p, cout, cin, k):
        out[p + ".weight"] = (cout, cin, k, k)
        out[p + ".bias"] = (cout,)

    def norm(p, c):
        out[p + ".weight"] = (c,)
        out[p + ".bias"] = (c,)

    def resnet(p, cin, cout):
        norm(p + ".norm1", cin)
        conv(p + ".conv1", cout, cin, 3)
        norm(p + ".norm2", cout)
        conv(p + ".conv2", cout, cout, 3)
        if cin != cout:
            conv(p + ".nin_shortcut", cout, cin, 1)

    def attn(p, c):
        norm(p + ".norm", c)
        for part in ("q", "k", "v", "proj_out"):
            conv(p + "." + part, c, c, 1)

    def mid(net, c):
        resnet(net + ".mid.block_1", c, c)
        attn(net + ".mid.attn_1", c)
        resnet(net + ".mid.block_2", c, c)

    ch, mult, nrb = cfg["ch"], cfg["ch_mult"], cfg["num_res_blocks"]
    levels, res = len(mult), cfg["resolution"]
    conv("encoder.conv_in", ch, cfg["in_channels"], 3)
    cin = ch
    for i in range(levels):
        for j in range(nrb):
            resnet("encoder.down.%d.block.%d" % (i, j), cin, ch * mult[i])
            cin = ch * mult[i]
            if res in cfg["attn_resolutions"]:
                attn("encoder.down.%d.attn.%d" % (i, j), cin)
        if i != levels - 1:
            conv("encoder.down.%d.downsample.conv" % i, cin, cin, 3)
            res //= 2
    mid("encoder", cin)
    norm("encoder.norm_out", cin)
    conv("encoder.conv_out", cfg["z_channels"], cin, 3)
    conv("quant_conv", embed_dim, cfg["z_channels"], 1)
    out["quantize.embedding.weight"] = (n_embed, embed_dim)
    conv("post_quant_conv", cfg["z_channels"], embed_dim, 1)
    cin = ch * mult[-1]
    conv("decoder.conv_in", cin, cfg["z_channels"], 3)
    mid("decoder", cin)
    for i in reversed(range(levels)):
        for j in range(nrb + 1):
            resnet("decoder.up.%d.block.%d" % (i, j), cin, ch * mult[i])
            cin = ch * mult[i]
            if res in cfg["attn_resolutions"]:
                attn("decoder.up.%d.attn.%d" % (i, j), cin)
        if i != 0:
            conv("decoder.up.%d.upsample.conv" % i, cin, cin, 3)
            res *= 2
    norm("decoder.norm_out", cin)
    conv("decoder.conv_out", cfg["out_ch"], cin, 3)
    return out


def metadata(cfg, n_embed, embed_dim, source):
    m = {"vkstyle.arch": "vqgan", "vkstyle.n_embed": str(n_embed),
         "vkstyle.embed_dim": str(embed_dim), "vkstyle.source": source}
    for k, v in cfg.items():
        if isinstance(v, bool):
            v = "true" if v else "false"
        elif isinstance(v, (list, tuple)):
            v = ",".join(str(int(i)) for i in v)
        m["vkstyle." + k] = str(v)
    return m


def from_yaml(path):
    import yaml
    with open(path) as f:
        doc = yaml.safe_load(f)
    try:
        params = doc["model"]["params"]
        dd = dict(params["ddconfig"])
        return dd, int(params["n_embed"]), int(params["embed_dim"])
    except (KeyError, TypeError) as e:
        raise ConvertError("%s has no model.params.ddconfig / n_embed / embed_dim (%s)" % (path, e))


def vqmodel_state_dict(obj):
    """The VQModel's tensors (prefix removed), and how many loss.* tensors were dropped."""
    sd = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(sd, dict):
        raise ConvertError("no state_dict in this file")
    for prefix in PREFIXES:
        if prefix + "encoder.conv_in.weight" in sd:
            break
    else:
        raise ConvertError("not a taming VQModel: no encoder.conv_in.weight")
    keep, dropped = {}, 0
    for k, v in sd.items():
        if prefix and not k.startswith(prefix):
            continue
        name = k[len(prefix):]
        if name.startswith(DROPPED):
            dropped += 1
            continue
        keep[name] = v
    return keep, dropped


def convert(src, dst, config=None, resolution=256, dtype="F32"):
    import torch
    obj = torch.load(src, map_location="cpu")
    sd, dropped = vqmodel_state_dict(obj)
    cfg, n_embed, embed_dim = infer_config(sd, resolution)
    if config is not None:
        dd, ne, ed = from_yaml(config)
        if dd.get("double_z", True):
            raise ConvertError("%s: double_z must be false for a VQModel" % config)
        for key in ("z_channels", "in_channels", "out_ch", "ch", "num_res_blocks"):
            if int(dd[key]) != cfg[key]:
                raise ConvertError("%s says %s = %s, the tensors %s" % (config, key, dd[key], cfg[key]))
        if [int(m) for m in dd["ch_mult"]] != cfg["ch_mult"] or (ne, ed) != (n_embed, embed_dim):
            raise ConvertError("%s's ch_mult / n_embed / embed_dim do not match the tensors" % config)
        cfg["resolution"] = int(dd["resolution"])
        cfg["attn_resolutions"] = [int(r) for r in dd["attn_resolutions"]]
        cfg["dropout"] = float(dd.get("dropout", 0.0))
    want = expected_tensors(cfg, n_embed, embed_dim)
    for name in sorted(want):
        if name not in sd:
            raise ConvertError("tensor %s is missing (config %s)" % (name, cfg))
        if tuple(sd[name].shape) != want[name]:
            raise ConvertError("tensor %s has shape %s, the config needs %s"
                               % (name, list(sd[name].shape), list(want[name])))
    extra = sorted(set(sd) - set(want))
    if extra:
        raise ConvertError("unexpected tensor %s (%d in all): not part of this VQModel "
                           "(remapped or segmentation models are not supported)"
                           % (extra[0], len(extra)))
    tensors = {}
    for name in want:
        t = sd[name].detach().float().contiguous()
        tensors[name] = (list(t.shape), t.numpy().astype("<f4").tobytes())
    meta = metadata(cfg, n_embed, embed_dim, os.path.basename(src))
    safetensors.save(dst, tensors, meta, dtype=dtype)
    return cfg, len(want), dropped


def mingpt_expected(vocab, block, n_layer, n_embd):
    out = {"tok_emb.weight": (vocab, n_embd), "pos_emb": (1, block, n_embd),
           "ln_f.weight": (n_embd,), "ln_f.bias": (n_embd,), "head.weight": (vocab, n_embd)}
    for i in range(n_layer):
        p = "blocks.%d." % i
        for ln in ("ln1", "ln2"):
            out[p + ln + ".weight"] = out[p + ln + ".bias"] = (n_embd,)
        for part in ("key", "query", "value", "proj"):
            out[p + "attn." + part + ".weight"] = (n_embd, n_embd)
            out[p + "attn." + part + ".bias"] = (n_embd,)
        out[p + "mlp.0.weight"], out[p + "mlp.0.bias"] = (4 * n_embd, n_embd), (4 * n_embd,)
        out[p + "mlp.2.weight"], out[p + "mlp.2.bias"] = (n_embd, 4 * n_embd), (n_embd,)
    return out


def convert_transformer(src, dst, config=None, n_head=None, dtype="F32"):
    import torch
    obj = torch.load(src, map_location="cpu")
    full = obj.get("state_dict", obj) if isinstance(obj, dict) else None
    if not isinstance(full, dict) or "transformer.tok_emb.weight" not in full:
        raise ConvertError("not a Net2NetTransformer: no transformer.tok_emb.weight")
    sd = {k[len("transformer."):]: v for k, v in full.items() if k.startswith("transformer.")}
    sos = 0
    if config is not None:
        import yaml
        with open(config) as f:
            params = yaml.safe_load(f)["model"]["params"]
        n_head = int(params["transformer_config"]["params"]["n_head"])
        sos = int(params.get("sos_token", 0))
    if n_head is None:
        raise ConvertError("the tensors do not tell the number of heads: give --config or --n-head")
    vocab, n_embd = sd["tok_emb.weight"].shape
    block = sd["pos_emb"].shape[1]
    n_layer = _count(sd, r"blocks\.%d\.")
    if n_head < 1 or n_embd % n_head:
        raise ConvertError("n_embd %d is not a multiple of n_head %d" % (n_embd, n_head))
    for i in range(n_layer):
        mask = sd.pop("blocks.%d.attn.mask" % i, None)
        if mask is not None and not torch.equal(mask.view(block, block),
                                                torch.tril(torch.ones(block, block))):
            raise ConvertError("blocks.%d.attn.mask is not a lower triangle: n_unmasked > 0 is "
                               "not supported" % i)
    want = mingpt_expected(vocab, block, n_layer, n_embd)
    for name in sorted(want):
        if name not in sd:
            raise ConvertError("tensor transformer.%s is missing" % name)
        if tuple(sd[name].shape) != want[name]:
            raise ConvertError("tensor transformer.%s has shape %s, expected %s"
                               % (name, list(sd[name].shape), list(want[name])))
    extra = sorted(set(sd) - set(want))
    if extra:
        raise ConvertError("unexpected tensor transformer.%s: not part of minGPT" % extra[0])
    tensors = {}
    for name in want:
        t = sd[name].detach().float().contiguous()
        tensors[name] = (list(t.shape), t.numpy().astype("<f4").tobytes())
    meta = {"vkstyle.arch": "mingpt", "vkstyle.vocab_size": str(vocab),
            "vkstyle.block_size": str(block), "vkstyle.n_layer": str(n_layer),
            "vkstyle.n_head": str(n_head), "vkstyle.n_embd": str(n_embd),
            "vkstyle.n_unmasked": "0", "vkstyle.sos_token": str(sos),
            "vkstyle.source": os.path.basename(src)}
    safetensors.save(dst, tensors, meta, dtype=dtype)
    return n_layer, len(want)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--config", help="the run's project.yaml (model.params)")
    ap.add_argument("--resolution", type=int, default=256,
                    help="the training resolution when there is no --config (default 256)")
    ap.add_argument("--f16", action="store_true", help="store half-precision floats")
    ap.add_argument("--transformer", action="store_true",
                    help="convert a Net2NetTransformer's minGPT prior instead")
    ap.add_argument("--n-head", type=int, help="the prior's heads when there is no --config")
    a = ap.parse_args(argv)
    if a.transformer:
        try:
            n_layer, n = convert_transformer(a.src, a.dst, a.config, a.n_head,
                                             "F16" if a.f16 else "F32")
        except (ConvertError, OSError, KeyError) as e:
            sys.exit("convert_taming: %s" % e)
        print("%s: minGPT with %d layers, %d tensors" % (a.dst, n_layer, n))
        return
    try:
        cfg, n, dropped = convert(a.src, a.dst, a.config, a.resolution, "F16" if a.f16 else "F32")
    except (ConvertError, OSError) as e:
        sys.exit("convert_taming: %s" % e)
    print("%s: VQGAN with %d tensors (%d loss tensors dropped), ch %d, ch_mult %s, "
          "attn_resolutions %s" % (a.dst, n, dropped, cfg["ch"], cfg["ch_mult"],
                                   cfg["attn_resolutions"]))


if __name__ == "__main__":
    main()
