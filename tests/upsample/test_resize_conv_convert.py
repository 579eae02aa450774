#!/usr/bin/python3
"""tools/convert_pytorch.py on ResnetGenerator state_dicts with either up-sampling: a resize-conv
one (nn.Upsample + Conv2d, tools/cyclegan_torch.py) is recognised from its tensor names and gets
vkstyle.upsample = "resize-conv"; the reference's gets no such key, as before. Prints TAP."""

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import torch  # noqa: E402

import convert_pytorch  # noqa: E402
import cyclegan_torch as ct  # noqa: E402
import safetensors  # noqa: E402


def convert(cfg, tmp):
    torch.manual_seed(1)
    net = ct.init_weights(ct.ResnetGenerator(cfg))
    src, dst = os.path.join(tmp, "G.pth"), os.path.join(tmp, "G.safetensors")
    torch.save(net.state_dict(), src)
    text, _ = convert_pytorch.convert(src, dst)
    tensors, meta = safetensors.load(dst)
    want = ct.exported_state_dict(net)
    assert sorted(tensors) == sorted(want), sorted(set(tensors) ^ set(want))
    for k, v in want.items():
        got = ct.tensor_from_safetensors(tensors[k])
        assert torch.equal(got, v.float()), k
    return text, meta


def main():
    cases = [("resize-conv", "resize-conv"), ("transposed", None)]
    print("1..%d" % len(cases))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i, (upsample, key) in enumerate(cases, 1):
            try:
                text, meta = convert(ct.GeneratorConfig(ngf=4, n_blocks=1, upsample=upsample), tmp)
                print("# %s: %s; vkstyle.upsample = %r" % (upsample, text, meta.get("vkstyle.upsample")))
                assert meta.get("vkstyle.upsample") == key, meta
                print("ok %d - a %s generator converts, vkstyle.upsample %r" % (i, upsample, key))
            except Exception as e:  # noqa: BLE001 (a test report)
                failed += 1
                print("not ok %d - %s: %r" % (i, upsample, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
