#!/usr/bin/python3
"""tools/convert_stargan2.py on checkpoints written as the reference's CheckpointIO writes them
(dicts of state_dicts, torch.save): tensors and metadata of the output, the DataParallel
"module." prefix, and refusals (face models, wrong domain lists, missing networks, misshapen
tensors). TAP output."""

import io
import os
import sys
import tempfile
from contextlib import redirect_stderr

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

import torch  # noqa: E402

import convert_stargan2 as cs  # noqa: E402
import safetensors  # noqa: E402
import stargan2_torch as st  # noqa: E402

CFG = st.Config(img_size=32, style_dim=8, latent_dim=4, num_domains=2, max_conv_dim=16,
                dim_in=4, mapping_dim=8)
results = []


def case(fn):
    results.append(fn)
    return fn


def nets(cfg=CFG):
    torch.manual_seed(1)
    return {k: cls(cfg) for k, cls in st.NETWORKS.items()}


def save(tmp, name, obj):
    path = os.path.join(tmp, name)
    torch.save(obj, path)
    return path


def ema_dict(n):
    return {k: n[k].state_dict() for k in cs.EMA_NETWORKS}


def refused(tmp, obj, fragment, **kw):
    path = save(tmp, "bad.ckpt", obj)
    try:
        cs.convert(path, os.path.join(tmp, "out.safetensors"), **kw)
    except (cs.StarGan2Error, cs.cp.ConversionError) as e:
        assert fragment in str(e), "%r lacks %r" % (str(e), fragment)
        return
    raise AssertionError("accepted; expected an error with %r" % fragment)


@case
def converts_ema_and_discriminator(tmp):
    n = nets()
    ema = save(tmp, "nets_ema.ckpt", ema_dict(n))
    full = save(tmp, "nets.ckpt", {k: v.state_dict() for k, v in n.items()})
    out = os.path.join(tmp, "m.safetensors")
    cs.convert(ema, out, ["cat", "dog"], full, "Test", "a test model")
    tensors, md = safetensors.load(out)
    want = {"%s.%s" % (k, key): v for k, net in n.items() for key, v in net.state_dict().items()}
    assert set(tensors) == set(want), set(tensors) ^ set(want)
    for key, v in want.items():
        got = torch.tensor(tensors[key].values()).reshape(v.shape)
        assert tensors[key].shape == tuple(v.shape) and torch.equal(got, v.float()), key
    for k, v in {"vkstyle.arch": "stargan_v2", "vkstyle.img_size": "32", "vkstyle.style_dim": "8",
                 "vkstyle.latent_dim": "4", "vkstyle.num_domains": "2",
                 "vkstyle.max_conv_dim": "16", "vkstyle.dim_in": "4",
                 "vkstyle.mapping_dim": "8", "vkstyle.w_hpf": "0", "vkstyle.domains": "cat,dog",
                 "vkstyle.name": "Test", "vkstyle.description": "a test model"}.items():
        assert md.get(k) == v, (k, md.get(k), v)


@case
def dataparallel_prefix_and_default_domains(tmp):
    n = nets()
    obj = {k: {"module." + key: v for key, v in n[k].state_dict().items()}
           for k in cs.EMA_NETWORKS}
    out = os.path.join(tmp, "m.safetensors")
    cs.convert(save(tmp, "e.ckpt", obj), out)
    tensors, md = safetensors.load(out)
    assert "generator.from_rgb.weight" in tensors and md["vkstyle.domains"] == "0,1"
    assert not any(k.startswith("discriminator.") for k in tensors)


@case
def refuses_face_models(tmp):
    n = nets()
    obj = ema_dict(n)
    obj["fan"] = {"conv1.weight": torch.zeros(1)}
    refused(tmp, obj, "face-alignment")
    # w_hpf > 0 adds one generator block for the same img_size
    obj = ema_dict(n)
    obj["generator"] = st.Generator(st.Config(img_size=64, style_dim=8, max_conv_dim=16,
                                              dim_in=4)).state_dict()
    refused(tmp, obj, "face model")


@case
def refuses_bad_files(tmp):
    n = nets()
    refused(tmp, ema_dict(n), "names 3 domains", domains=["a", "b", "c"])
    refused(tmp, ema_dict(n), "distinct", domains=["a", "a"])
    obj = ema_dict(n)
    del obj["style_encoder"]
    refused(tmp, obj, "no 'style_encoder' state_dict")
    obj = ema_dict(n)
    obj["generator"]["decode.0.norm1.fc.bias"] = torch.zeros(3)
    refused(tmp, obj, "generator.decode.0.norm1.fc.bias has shape [3]")
    obj = ema_dict(n)
    del obj["mapping_network"]["unshared.1.6.weight"]
    refused(tmp, obj, "missing unshared.1.6.weight")
    refused(tmp, [1, 2], "dict of networks")


@case
def command_line_errors(tmp):
    err = io.StringIO()
    with redirect_stderr(err):
        rc = cs.main([os.path.join(tmp, "none.ckpt"), os.path.join(tmp, "o.safetensors")])
    assert rc == 1 and "no such file" in err.getvalue(), err.getvalue()


def main():
    print("1..%d" % len(results))
    failed = 0
    for i, fn in enumerate(results, 1):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp)
                print("ok %d %s" % (i, fn.__name__))
            except Exception as e:  # report every case
                failed += 1
                print("not ok %d %s # %s: %s" % (i, fn.__name__, type(e).__name__, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
