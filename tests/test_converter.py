#!/usr/bin/python3
"""Tests tools/convert_pytorch.py (and tools/safetensors.py, and the committed fixtures) against
PyTorch. Prints TAP; exit status 0 when every test passed. Run with /usr/bin/python3."""

import contextlib
import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "tools")
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
CONVERTER = os.path.join(TOOLS, "convert_pytorch.py")
sys.path.insert(0, TOOLS)

try:
    import torch
except ImportError:
    print("1..0 # SKIP PyTorch not available to %s" % sys.executable)
    sys.exit(0)

import convert_pytorch  # noqa: E402
import cyclegan_torch as ct  # noqa: E402
import dcgan_torch as dt  # noqa: E402
import safetensors  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def run_converter(*args, subprocess_=False):
    """(exit status, stdout, stderr). In-process by default: a fresh interpreter per call would
    spend a second importing torch each time; a few tests use the real command line."""
    args = [str(a) for a in args]
    if subprocess_:
        proc = subprocess.run([sys.executable, CONVERTER] + args, capture_output=True, text=True,
                              timeout=300)
        return proc.returncode, proc.stdout, proc.stderr
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = convert_pytorch.main(args)
    return rc, out.getvalue(), err.getvalue()


def fixture_tensors(name):
    tensors, meta = safetensors.load(os.path.join(FIXTURES, name))
    return {k: ct.tensor_from_safetensors(v) for k, v in tensors.items()}, meta


def expect_failure(tmp, pth, *needles, subprocess_=False):
    """The converter must exit 1, say why on stderr, and leave no output file behind."""
    out = os.path.join(tmp, "should_not_exist.safetensors")
    rc, _, err = run_converter(pth, out, subprocess_=subprocess_)
    check(rc == 1, "exit status %d, expected 1; stderr: %s" % (rc, err.strip()))
    check("error:" in err, "no error message on stderr: %r" % err)
    for needle in needles:
        check(needle in err, "message does not mention %r: %s" % (needle, err.strip()))
    check(not os.path.exists(out), "an output file was written despite the error")
    check(not [f for f in os.listdir(tmp) if f.endswith(".tmp")], "a temp file was left behind")


@test
def legacy_checkpoint_converts(tmp):
    """legacy_G.pth: 'module.' prefix and InstanceNorm running stats, converted to the original."""
    out = os.path.join(tmp, "legacy.safetensors")
    rc, stdout, err = run_converter(os.path.join(FIXTURES, "legacy_G.pth"), out, subprocess_=True)
    check(rc == 0, "converter failed (%d): %s" % (rc, err.strip()))
    check("ngf 8" in stdout, "summary does not describe the model: %r" % stdout)
    got, meta = safetensors.load(out)
    want, _ = fixture_tensors("gen_ngf8_nb2.safetensors")
    check(sorted(got) == sorted(want), "key sets differ: %s" % sorted(set(got) ^ set(want)))
    for k, v in want.items():
        t = got[k]
        check(t.dtype == "F32", "%s stored as %s" % (k, t.dtype))
        check(list(t.shape) == list(v.shape), "%s shape %s, want %s" % (k, t.shape, list(v.shape)))
        check(torch.equal(ct.tensor_from_safetensors(t), v), "%s values differ" % k)
    expected_meta = {
        "vkstyle.arch": "cyclegan_resnet_generator", "vkstyle.ngf": "8", "vkstyle.n_blocks": "2",
        "vkstyle.norm": "instance", "vkstyle.input_nc": "3", "vkstyle.output_nc": "3",
        "vkstyle.name": "legacy_G", "vkstyle.source": "converted from legacy_G.pth",
    }
    for k, v in expected_meta.items():
        check(meta.get(k) == v, "metadata %s = %r, want %r" % (k, meta.get(k), v))
    check(meta.get("vkstyle.description"), "no description")


@test
def written_file_layout(tmp):
    """Header keys sorted, data area 8-aligned, tensors back to back, file mode not private."""
    out = os.path.join(tmp, "layout.safetensors")
    rc, _, err = run_converter(os.path.join(FIXTURES, "legacy_G.pth"), out)
    check(rc == 0, err)
    with open(out, "rb") as f:
        data = f.read()
    (n,) = struct.unpack_from("<Q", data)
    check((8 + n) % 8 == 0, "data area starts at %d" % (8 + n))
    import json
    from collections import OrderedDict
    header = json.loads(data[8:8 + n], object_pairs_hook=OrderedDict)
    check(list(header) == sorted(header), "header keys not sorted")
    spans = sorted(e["data_offsets"] for k, e in header.items() if k != "__metadata__")
    check(spans[0][0] == 0 and spans[-1][1] == len(data) - 8 - n, "data area not fully used")
    check(all(a[1] == b[0] for a, b in zip(spans, spans[1:])), "gaps between tensors")
    check(os.stat(out).st_mode & 0o044, "file is private (mode %o)" % os.stat(out).st_mode)


@test
def name_and_description_options(tmp):
    out = os.path.join(tmp, "named.safetensors")
    rc, _, err = run_converter(os.path.join(FIXTURES, "legacy_G.pth"), out,
                               "--name", "Monet ✓", "--description", "paintings, 200 epochs")
    check(rc == 0, err)
    _, meta = safetensors.load(out)
    check(meta["vkstyle.name"] == "Monet ✓", "name %r" % meta["vkstyle.name"])
    check(meta["vkstyle.description"] == "paintings, 200 epochs", "description %r" % meta["vkstyle.description"])


@test
def overwrite_is_atomic_replace(tmp):
    out = os.path.join(tmp, "existing.safetensors")
    with open(out, "wb") as f:
        f.write(b"old contents")
    rc, _, err = run_converter(os.path.join(FIXTURES, "legacy_G.pth"), out)
    check(rc == 0, err)
    safetensors.load(out)
    check(sorted(os.listdir(tmp)) == ["existing.safetensors"], "stray files: %s" % os.listdir(tmp))


@test
def wrapped_batchnorm_old_serialisation(tmp):
    """Batch-norm generator under {'state_dict': ...}, old (non-zip) torch.save format."""
    sd, _ = fixture_tensors("gen_bn_ngf8_nb1.safetensors")
    full = dict(sd)
    for k in list(sd):
        if k.endswith(".running_mean"):
            full[k.replace("running_mean", "num_batches_tracked")] = torch.tensor(7)
    pth = os.path.join(tmp, "bn.pth")
    torch.save({"state_dict": full, "epoch": 3}, pth, _use_new_zipfile_serialization=False)
    out = os.path.join(tmp, "bn.safetensors")
    rc, _, err = run_converter(pth, out)
    check(rc == 0, err)
    got, meta = safetensors.load(out)
    check(meta["vkstyle.norm"] == "batch", "norm %r" % meta["vkstyle.norm"])
    check(meta["vkstyle.n_blocks"] == "1", "n_blocks %r" % meta["vkstyle.n_blocks"])
    check(sorted(got) == sorted(sd), "key sets differ: %s" % sorted(set(got) ^ set(sd)))
    for k in sd:
        check(torch.equal(ct.tensor_from_safetensors(got[k]), sd[k]), "%s values differ" % k)


@test
def real_sized_generator_shapes(tmp):
    """resnet_9blocks at ngf 64 with 1 input and 4 output channels: everything inferred."""
    cfg = ct.GeneratorConfig(input_nc=1, output_nc=4, ngf=64, n_blocks=9)
    net = ct.ResnetGenerator(cfg)
    pth = os.path.join(tmp, "big.pth")
    torch.save({"model": net.state_dict()}, pth)
    out = os.path.join(tmp, "big.safetensors")
    rc, _, err = run_converter(pth, out)
    check(rc == 0, err)
    got, meta = safetensors.load(out)
    for k, v in (("ngf", "64"), ("n_blocks", "9"), ("input_nc", "1"), ("output_nc", "4")):
        check(meta["vkstyle." + k] == v, "%s = %r, want %s" % (k, meta["vkstyle." + k], v))
    check(list(got["model.26.weight"].shape) == [4, 64, 7, 7], "head shape %s" % (got["model.26.weight"].shape,))
    check(list(got["model.19.weight"].shape) == [256, 128, 3, 3], "ConvTranspose weight layout changed")


@test
def discriminator_converts(tmp):
    for n_layers, norm in ((3, "instance"), (0, "instance"), (1, "batch")):
        cfg = ct.DiscriminatorConfig(input_nc=3, ndf=8, n_layers=n_layers, norm=norm)
        sd = ct.NLayerDiscriminator(cfg).state_dict()
        pth = os.path.join(tmp, "D.pth")
        torch.save(sd, pth)
        out = os.path.join(tmp, "D.safetensors")
        rc, _, err = run_converter(pth, out)
        check(rc == 0, "n_layers %d %s: %s" % (n_layers, norm, err))
        got, meta = safetensors.load(out)
        check(meta["vkstyle.arch"] == "patchgan_discriminator", "arch %r" % meta["vkstyle.arch"])
        check(meta["vkstyle.n_layers"] == str(n_layers), "n_layers %r, want %d" % (meta["vkstyle.n_layers"], n_layers))
        check(meta["vkstyle.ndf"] == "8" and meta["vkstyle.norm"] == norm, "metadata %r" % meta)
        check(sorted(got) == sorted(ct.exported_state_dict(ct.NLayerDiscriminator(cfg))), "keys differ")


@test
def discriminator_metadata_and_values(tmp):
    """Every metadata key engine/discriminator_spec.c reads, and the tensors unchanged, for
    n_layers 1..4 (the width stops growing at 8 * ndf), 1 to 4 input channels, batch norm saved
    by a DataParallel run (module. prefix, num_batches_tracked dropped)."""
    torch.manual_seed(5)
    for n_layers, input_nc, norm in ((1, 3, "instance"), (2, 1, "batch"), (3, 3, "instance"), (4, 4, "batch")):
        cfg = ct.DiscriminatorConfig(input_nc=input_nc, ndf=4, n_layers=n_layers, norm=norm)
        net = ct.init_weights(ct.NLayerDiscriminator(cfg))
        sd = {"module." + k: v for k, v in net.state_dict().items()}
        pth = os.path.join(tmp, "D_%d.pth" % n_layers)
        torch.save(sd, pth)
        out = os.path.join(tmp, "D_%d.safetensors" % n_layers)
        rc, stdout, err = run_converter(pth, out)
        check(rc == 0, "n_layers %d: %s" % (n_layers, err))
        check("PatchGAN discriminator, ndf 4, %d layers" % n_layers in stdout, "summary %r" % stdout)
        got, meta = safetensors.load(out)
        want_meta = {"vkstyle.arch": "patchgan_discriminator", "vkstyle.ndf": "4",
                     "vkstyle.n_layers": str(n_layers), "vkstyle.norm": norm,
                     "vkstyle.input_nc": str(input_nc), "vkstyle.name": "D_%d" % n_layers,
                     "vkstyle.source": "converted from D_%d.pth" % n_layers}
        for k, v in want_meta.items():
            check(meta.get(k) == v, "n_layers %d: metadata %s = %r, want %r" % (n_layers, k, meta.get(k), v))
        want = ct.exported_state_dict(net)
        check(sorted(got) == sorted(want), "n_layers %d: key sets differ: %s"
              % (n_layers, sorted(set(got) ^ set(want))))
        for k, v in want.items():
            check(torch.equal(ct.tensor_from_safetensors(got[k]), v), "%s values differ" % k)
        head = "model.%d.weight" % (3 * n_layers + 2)
        check(list(got[head].shape) == [1, 4 * min(2 ** n_layers, 8), 4, 4], "head %s" % (got[head].shape,))


@test
def discriminator_rejections(tmp):
    pth = os.path.join(tmp, "D.pth")
    too_deep = ct.NLayerDiscriminator(ct.DiscriminatorConfig(ndf=1, n_layers=9)).state_dict()
    torch.save(too_deep, pth)
    expect_failure(tmp, pth, "n_layers = 9; vkstyle supports 0 to 8")
    cfg = ct.DiscriminatorConfig(ndf=8, n_layers=3)
    sd = ct.NLayerDiscriminator(cfg).state_dict()
    del sd["model.5.bias"]
    torch.save(sd, pth)
    expect_failure(tmp, pth, "PatchGAN discriminator", "missing tensors: model.5.bias")
    sd = ct.NLayerDiscriminator(cfg).state_dict()
    sd["model.8.weight"] = torch.zeros(64, 16, 4, 4)
    torch.save(sd, pth)
    expect_failure(tmp, pth, "model.8.weight has shape [64, 16, 4, 4]")
    sd = ct.NLayerDiscriminator(cfg).state_dict()
    sd["model.12.weight"] = torch.zeros(1)
    torch.save(sd, pth)
    expect_failure(tmp, pth, "unexpected tensors: model.12.weight")
    sd = ct.NLayerDiscriminator(ct.DiscriminatorConfig(input_nc=5, ndf=8, n_layers=1)).state_dict()
    torch.save(sd, pth)
    expect_failure(tmp, pth, "input channels = 5")


@test
def corrupt_pth_rejected(tmp):
    good = open(os.path.join(FIXTURES, "legacy_G.pth"), "rb").read()
    truncated = os.path.join(tmp, "truncated.pth")
    with open(truncated, "wb") as f:
        f.write(good[:len(good) // 2])
    expect_failure(tmp, truncated, "truncated.pth", subprocess_=True)
    garbage = os.path.join(tmp, "garbage.pth")
    with open(garbage, "wb") as f:
        f.write(bytes(range(256)) * 8)
    expect_failure(tmp, garbage, "garbage.pth")
    expect_failure(tmp, os.path.join(tmp, "absent.pth"), "no such file")


@test
def missing_key_rejected(tmp):
    sd, _ = fixture_tensors("gen_ngf8_nb2.safetensors")
    del sd["model.11.conv_block.5.bias"]
    pth = os.path.join(tmp, "missing.pth")
    torch.save(sd, pth)
    expect_failure(tmp, pth, "missing tensors: model.11.conv_block.5.bias")


@test
def extra_key_and_bad_shape_rejected(tmp):
    sd, _ = fixture_tensors("gen_ngf8_nb2.safetensors")
    sd["model.30.weight"] = torch.zeros(3, 8, 7, 7)
    pth = os.path.join(tmp, "extra.pth")
    torch.save(sd, pth)
    expect_failure(tmp, pth, "unexpected tensors: model.30.weight")
    sd, _ = fixture_tensors("gen_ngf8_nb2.safetensors")
    sd["model.4.weight"] = torch.zeros(16, 8, 5, 5)
    torch.save(sd, pth)
    expect_failure(tmp, pth, "model.4.weight has shape [16, 8, 5, 5]")


@test
def non_finite_and_foreign_rejected(tmp):
    sd, _ = fixture_tensors("gen_ngf8_nb2.safetensors")
    sd["model.7.weight"][0, 0, 0, 0] = float("nan")
    pth = os.path.join(tmp, "nan.pth")
    torch.save(sd, pth)
    expect_failure(tmp, pth, "model.7.weight", "NaN")
    torch.save({"fc.weight": torch.zeros(2, 2)}, pth)
    expect_failure(tmp, pth, "neither")
    torch.save([1, 2, 3], pth)
    expect_failure(tmp, pth, "state_dict")
    expect_failure(tmp, os.path.join(FIXTURES, "gen_ngf8_nb2.safetensors"), "already a safetensors")


@test
def pickled_objects_need_trust(tmp):
    import argparse
    sd, _ = fixture_tensors("gen_ngf8_nb2.safetensors")
    pth = os.path.join(tmp, "opt.pth")
    torch.save({"state_dict": sd, "opt": argparse.Namespace(lr=0.0002)}, pth)
    expect_failure(tmp, pth, "--trust-pickle")
    out = os.path.join(tmp, "trusted.safetensors")
    rc, _, err = run_converter(pth, out, "--trust-pickle")
    check(rc == 0, err)


@test
def fixture_outputs_reproduce(tmp):
    """The committed io fixtures are what our PyTorch definition computes from the weights."""
    import torch.nn.functional as F
    torch.set_num_threads(1)
    for stem in ("gen_ngf8_nb2", "gen_bn_ngf8_nb1"):
        sd, meta = fixture_tensors(stem + ".safetensors")
        cfg = ct.GeneratorConfig(ngf=int(meta["vkstyle.ngf"]), n_blocks=int(meta["vkstyle.n_blocks"]),
                                 norm=meta["vkstyle.norm"])
        net = ct.ResnetGenerator(cfg).eval()
        missing, unexpected = net.load_state_dict(sd, strict=False)
        check(not unexpected and all(k.endswith("num_batches_tracked") for k in missing),
              "%s: state_dict mismatch %s %s" % (stem, missing, unexpected))
        pairs, _ = fixture_tensors(stem + "_io.safetensors")
        for i in (0, 1):
            x = pairs["input_%d" % i]
            h, w = x.shape[2:]
            xp = F.pad(x, (0, -w % 4, 0, -h % 4), mode="reflect")
            with torch.no_grad():
                y = net(xp)[:, :, :h, :w]
            err = (y - pairs["output_%d" % i]).abs().max().item()
            check(err < 1e-5, "%s output_%d differs by %g" % (stem, i, err))


# PyTorch examples/dcgan/main.py's networks verbatim (its globals nz, ngf, ndf, nc), to show that
# the example's own checkpoints convert, independently of our tools/dcgan_torch.py.
nz, ngf, ndf, nc = 100, 64, 64, 3


class ExampleGenerator(torch.nn.Module):
    def __init__(self, ngpu=1):
        super(ExampleGenerator, self).__init__()
        nn = torch.nn
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(     nz, ngf * 8, 4, 1, 0, bias=False),  # noqa: E201
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2,     ngf, 4, 2, 1, bias=False),  # noqa: E241
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(    ngf,      nc, 4, 2, 1, bias=False),  # noqa: E201, E241
            nn.Tanh()
        )


class ExampleDiscriminator(torch.nn.Module):
    def __init__(self, ngpu=1):
        super(ExampleDiscriminator, self).__init__()
        nn = torch.nn
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid()
        )


def convert_net(tmp, net, *options):
    """Saves net's state_dict as the example does (torch.save, num_batches_tracked included),
    converts it; returns (tensors, metadata, stdout)."""
    pth, out = os.path.join(tmp, "net.pth"), os.path.join(tmp, "net.safetensors")
    torch.save(net.state_dict(), pth)
    rc, stdout, err = run_converter(pth, out, *options)
    check(rc == 0, "exit %d: %s" % (rc, err.strip()))
    tensors, meta = safetensors.load(out)
    sd = {k: v for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
    check(set(tensors) == set(sd), "keys differ: %s" % sorted(set(tensors) ^ set(sd)))
    for k, v in sd.items():
        check(torch.equal(ct.tensor_from_safetensors(tensors[k]), v.float()), "%s differs" % k)
    return tensors, meta, stdout


def check_meta(meta, **want):
    for key, value in want.items():
        got = meta.get("vkstyle." + key)
        check(got == str(value), "vkstyle.%s is %r, expected %r" % (key, got, str(value)))


@test
def dcgan_example_converts(tmp):
    torch.manual_seed(1)
    _, meta, stdout = convert_net(tmp, ExampleGenerator())
    check_meta(meta, arch="dcgan", nz=100, ngf=64, nc=3, image_size=64)
    check("DCGAN generator, nz 100, ngf 64, 64x64" in stdout, stdout)
    _, meta, stdout = convert_net(tmp, ExampleDiscriminator())
    check_meta(meta, arch="dcgan", ndf=64, nc=3, image_size=64, d_norm="batch")
    check("DCGAN discriminator, ndf 64, batch norm" in stdout, stdout)


@test
def dcgan_variants_convert(tmp):
    torch.manual_seed(2)
    cases = [
        (dt.Generator(dt.GanConfig(nz=20, ngf=4, nc=1, image_size=32)), (),
         dict(arch="dcgan", nz=20, ngf=4, nc=1, image_size=32)),
        (dt.Generator(dt.GanConfig(nz=16, ngf=2, image_size=128)), (),
         dict(nz=16, ngf=2, image_size=128)),
        (dt.Discriminator(dt.GanConfig(ndf=4, image_size=32, d_norm="none")), ("--nz", 20),
         dict(ndf=4, d_norm="none", image_size=32, nz=20)),
        (dt.Discriminator(dt.GanConfig(ndf=2, image_size=128, d_norm="layer")), (),
         dict(ndf=2, d_norm="layer", image_size=128)),
        (dt.Generator(dt.GanConfig(arch="infogan", nz=10, ngf=4, n_categories=10, n_continuous=2)),
         ("--n-categories", 10, "--n-continuous", 2),
         dict(arch="infogan", nz=10, n_categories=10, n_continuous=2)),
        (dt.Discriminator(dt.GanConfig(arch="infogan", ndf=2, n_categories=5, n_continuous=3)),
         (), dict(arch="infogan", ndf=2, n_categories=5, n_continuous=3)),
    ]
    for net, options, want in cases:
        _, meta, _ = convert_net(tmp, net, *options)
        check_meta(meta, **want)


@test
def dcgan_rejections(tmp):
    torch.manual_seed(3)
    sd = dt.Generator(dt.GanConfig(nz=8, ngf=2, image_size=32)).state_dict()
    pth = os.path.join(tmp, "bad.pth")
    bad = dict(sd)
    bad["main.3.weight"] = torch.zeros(8, 5, 4, 4)
    torch.save(bad, pth)
    expect_failure(tmp, pth, "does not match a DCGAN generator", "main.3.weight has shape")
    missing = dict(sd)
    del missing["main.4.running_var"]
    torch.save(missing, pth)
    expect_failure(tmp, pth, "missing tensors: main.4.running_var")
    # a 256x256 generator: one stage more than vkstyle runs
    big = dt.Generator(dt.GanConfig(nz=8, ngf=2, image_size=128)).state_dict()
    deeper = {"main.%d.%s" % (int(k.split(".")[1]) + 3, k.split(".", 2)[2]): v
              for k, v in big.items()}
    deeper.update({k: v for k, v in big.items() if k.startswith(("main.0.", "main.1."))})
    deeper["main.0.weight"] = torch.zeros(8, 64, 4, 4)
    torch.save(deeper, pth)
    expect_failure(tmp, pth, "supports 3, 4 or 5")
    torch.save(sd, pth)
    out = os.path.join(tmp, "x.safetensors")
    rc, _, err = run_converter(pth, out, "--n-categories", 9)
    check(rc == 1 and "fewer than the 9 codes" in err, "rc %d: %s" % (rc, err))


def main():
    print("1..%d" % len(TESTS))
    failed = 0
    for i, fn in enumerate(TESTS, 1):
        tmp = tempfile.mkdtemp(prefix="vkstyle-conv-test-")
        try:
            fn(tmp)
            print("ok %d - %s" % (i, fn.__name__))
        except Exception as e:
            failed += 1
            print("not ok %d - %s" % (i, fn.__name__))
            detail = str(e) if isinstance(e, Failure) else traceback.format_exc()
            for line in detail.rstrip().splitlines():
                print("# " + line)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
