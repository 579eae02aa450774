#!/usr/bin/python3
"""tools/convert_diffusion.py on course-like ContextUnet state_dicts (TAP): the course's
checkpoints have no init_conv shortcut (zero by default, or one seeded random draw), the
metadata, the result loads in `vkstyle generate`, and the errors.
Usage: test_convert_diffusion.py VKSTYLE"""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

import torch  # noqa: E402

import convert_diffusion as cd  # noqa: E402
import diffusion_torch as dt  # noqa: E402
import safetensors  # noqa: E402
from convert_pytorch import ConversionError  # noqa: E402

results = []


def check(name, fn):
    try:
        fn()
        results.append((True, name, ""))
    except Exception as e:  # noqa: BLE001 - every failure is reported
        results.append((False, name, "%s: %s" % (type(e).__name__, e)))


def course_state_dict(n_feat=16, height=16):
    """What the course saves: no shortcut (made afresh in forward), num_batches_tracked kept."""
    torch.manual_seed(1)
    sd = dt.ContextUnet(3, n_feat, 5, height).state_dict()
    return {k: v for k, v in sd.items() if not k.startswith(cd.SHORTCUT)}


def expect_error(sd, words, **kw):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "m.pth")
        torch.save(sd, src)
        try:
            cd.convert(src, os.path.join(tmp, "m.safetensors"), **kw)
        except ConversionError as e:
            assert words in str(e), "%r does not mention %r" % (str(e), words)
            return
        raise AssertionError("no error")


def main():
    vkstyle = sys.argv[1]
    tmp = tempfile.mkdtemp()
    src = os.path.join(tmp, "context_model_trained.pth")
    torch.save(course_state_dict(), src)
    dst = os.path.join(tmp, "sprites.safetensors")

    def only_init_conv_has_random_shortcut():
        net = dt.ContextUnet(3, 64, 5, 16)
        hits = [n for n, m in net.named_modules()
                if isinstance(m, dt.ResidualConvBlock) and m.is_res and not m.same_channels]
        assert hits == ["init_conv"], hits

    def zero_shortcut():
        text = cd.convert(src, dst, classes="hero,non-hero,food,spell,side-facing")
        assert "zero" in text, text
        tensors, meta = safetensors.load(dst)
        assert meta["vkstyle.arch"] == "context_unet"
        assert meta["vkstyle.classes"] == "hero,non-hero,food,spell,side-facing"
        assert (meta["vkstyle.n_feat"], meta["vkstyle.height"], meta["vkstyle.timesteps"]) == \
            ("16", "16", "500"), meta
        w = tensors["init_conv.shortcut.weight"]
        assert list(w.shape) == [16, 3, 1, 1] and max(abs(v) for v in w.values()) == 0
        assert not any(k.endswith("num_batches_tracked") for k in tensors)

    def random_shortcut():
        out = os.path.join(tmp, "r.safetensors")
        cd.convert(src, out, shortcut="random", shortcut_seed=5)
        a = list(safetensors.load(out)[0]["init_conv.shortcut.weight"].values())
        cd.convert(src, out, shortcut="random", shortcut_seed=5)
        b = list(safetensors.load(out)[0]["init_conv.shortcut.weight"].values())
        assert a == b and 0 < max(abs(v) for v in a) <= 3 ** -0.5

    def loads_in_vkstyle():
        png = os.path.join(tmp, "s.png")
        r = subprocess.run([vkstyle, "generate", "--model", dst, "--seed", "1", "--steps", "1",
                            "--context", "food=1", png], capture_output=True, text=True)
        assert r.returncode == 0 and os.path.getsize(png) > 0, r.stderr

    check("only init_conv takes the course's random-shortcut path", only_init_conv_has_random_shortcut)
    check("a course checkpoint gets a zero shortcut and the metadata", zero_shortcut)
    check("--shortcut random: one seeded draw in PyTorch's init range", random_shortcut)
    check("the converted file generates in vkstyle", loads_in_vkstyle)
    def generic_converter_points_here():
        import convert_pytorch
        try:
            convert_pytorch.convert(src, os.path.join(tmp, "x.safetensors"))
        except ConversionError as e:
            assert "convert_diffusion.py" in str(e), str(e)
            return
        raise AssertionError("no error")

    check("convert_pytorch.py points to convert_diffusion.py", generic_converter_points_here)
    check("--classes of the wrong count", lambda: expect_error(
        course_state_dict(), "names 2 classes", classes="a,b"))
    sd = course_state_dict()
    sd["down1.model.0.conv1.0.weight"] = torch.zeros(16, 8, 3, 3)
    check("a misshapen tensor", lambda: expect_error(sd, "down1.model.0.conv1.0.weight"))
    sd2 = course_state_dict()
    sd2["extra.weight"] = torch.zeros(3)
    check("an unexpected tensor", lambda: expect_error(sd2, "extra.weight"))
    check("not a ContextUnet", lambda: expect_error({"main.0.weight": torch.zeros(4, 4, 4, 4)},
                                                     "init_conv.conv1.0.weight is missing"))
    sd3 = course_state_dict()
    sd3["init_conv.conv1.0.weight"] = torch.zeros(12, 3, 3, 3)
    check("n_feat not a multiple of 8", lambda: expect_error(sd3, "multiple of 8"))
    check("absurd betas", lambda: expect_error(course_state_dict(), "beta1", beta1=0.5, beta2=0.1))

    for i, (ok, name, why) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if why:
            print("#   " + why)
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
