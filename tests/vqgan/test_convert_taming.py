#!/usr/bin/python3
"""Tests tools/convert_taming.py on Lightning checkpoints made from the fixture's VQModel
(tests/fixtures/make_vqgan_fixture.py, with loss.* discriminator / LPIPS tensors added as a
taming run saves them): the output holds exactly the fixture file's tensors and metadata, and
files that are not a VQModel fail with a message that names the problem. Prints TAP."""

import os
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures"))

try:
    import torch
except ImportError:
    print("1..0 # SKIP PyTorch not available to %s" % sys.executable)
    sys.exit(0)

import convert_taming  # noqa: E402
import make_vqgan_fixture as fx  # noqa: E402
import safetensors  # noqa: E402

YAML = """model:
  base_learning_rate: 4.5e-06
  target: taming.models.vqgan.VQModel
  params:
    embed_dim: 8
    n_embed: 32
    ddconfig:
      double_z: False
      z_channels: 8
      resolution: 16
      in_channels: 3
      out_ch: 3
      ch: 32
      ch_mult: [1, 2]
      num_res_blocks: 1
      attn_resolutions: [8]
      dropout: 0.0
    lossconfig:
      target: taming.modules.losses.vqperceptual.VQLPIPSWithDiscriminator
"""


def model():
    torch.manual_seed(1)
    return fx.VQModel(fx.DDCONFIG, fx.N_EMBED, fx.EMBED_DIM)


def lightning(sd, path, prefix=""):
    full = {prefix + k: v for k, v in sd.items()}
    full["loss.discriminator.main.0.weight"] = torch.zeros(64, 3, 4, 4)
    full["loss.perceptual_loss.net.slice1.0.weight"] = torch.zeros(64, 3, 3, 3)
    torch.save({"epoch": 3, "global_step": 100, "state_dict": full}, path)


def convert(tmp, sd, config=True, resolution=256, prefix=""):
    src, dst = os.path.join(tmp, "last.ckpt"), os.path.join(tmp, "out.safetensors")
    lightning(sd, src, prefix)
    cfg = None
    if config:
        cfg = os.path.join(tmp, "project.yaml")
        with open(cfg, "w") as f:
            f.write(YAML)
    convert_taming.convert(src, dst, cfg, resolution)
    return safetensors.load(dst)


def test_round_trip(tmp):
    m = model()
    sd = m.state_dict()
    tensors, meta = convert(tmp, sd)
    assert set(tensors) == set(sd), "tensor names differ: %s" % (set(tensors) ^ set(sd))
    for k, v in sd.items():
        assert list(tensors[k].values()) == v.flatten().tolist(), k
    want = fx.metadata()
    got = {k: v for k, v in meta.items() if k != "vkstyle.source"}
    assert got == want, "metadata %s, expected %s" % (got, want)


def test_infer_without_config(tmp):
    # the shapes give everything but the resolution; attention then sits at resolution / 2
    tensors, meta = convert(tmp, model().state_dict(), config=False, resolution=16)
    assert meta["vkstyle.attn_resolutions"] == "8" and meta["vkstyle.ch_mult"] == "1,2", meta


def test_transformer_first_stage(tmp):
    tensors, meta = convert(tmp, model().state_dict(), prefix="first_stage_model.")
    assert "quantize.embedding.weight" in tensors and meta["vkstyle.arch"] == "vqgan"


def expect_error(tmp, sd, fragment, **kw):
    try:
        convert(tmp, sd, **kw)
    except convert_taming.ConvertError as e:
        assert fragment in str(e), "%r does not contain %r" % (str(e), fragment)
        return
    raise AssertionError("no error (expected %r)" % fragment)


def test_missing_tensor(tmp):
    sd = model().state_dict()
    del sd["decoder.up.1.attn.0.k.bias"]
    expect_error(tmp, sd, "tensor decoder.up.1.attn.0.k.bias is missing")


def test_extra_tensor(tmp):
    sd = model().state_dict()
    sd["colorize"] = torch.zeros(3, 3, 1, 1)
    expect_error(tmp, sd, "unexpected tensor colorize")


def test_gumbel(tmp):
    sd = model().state_dict()
    sd["quantize.embed.weight"] = sd.pop("quantize.embedding.weight")
    expect_error(tmp, sd, "Gumbel-quantised")


def test_config_mismatch(tmp):
    sd = model().state_dict()
    sd = {k: v for k, v in sd.items() if ".attn." not in k}
    # without the blocks' attention the tensors cannot be the yaml's attn_resolutions [8] model
    expect_error(tmp, sd, "is missing")


def test_not_vqgan(tmp):
    expect_error(tmp, {"model.0.weight": torch.zeros(1)}, "not a taming VQModel")


def prior_ckpt(tmp, gpt, mutate=None):
    sd = {"transformer." + k: v.clone() for k, v in gpt.state_dict().items()}
    sd.update({"first_stage_model." + k: v for k, v in model().state_dict().items()})
    if mutate:
        mutate(sd)
    src = os.path.join(tmp, "prior.ckpt")
    torch.save({"state_dict": sd}, src)
    return src


def test_transformer(tmp):
    import make_mingpt_fixture as mg
    torch.manual_seed(2)
    gpt = mg.GPT(**mg.CFG)
    dst = os.path.join(tmp, "prior.safetensors")
    convert_taming.convert_transformer(prior_ckpt(tmp, gpt), dst, n_head=2)
    tensors, meta = safetensors.load(dst)
    sd = {k: v for k, v in gpt.state_dict().items() if not k.endswith(".attn.mask")}
    assert set(tensors) == set(sd), set(tensors) ^ set(sd)
    for k, v in sd.items():
        assert list(tensors[k].values()) == v.flatten().tolist(), k
    want = {"vkstyle.arch": "mingpt", "vkstyle.vocab_size": "33", "vkstyle.block_size": "16",
            "vkstyle.n_layer": "2", "vkstyle.n_head": "2", "vkstyle.n_embd": "32",
            "vkstyle.n_unmasked": "0", "vkstyle.sos_token": "0"}
    assert all(meta[k] == v for k, v in want.items()), meta


def test_transformer_errors(tmp):
    import make_mingpt_fixture as mg
    gpt = mg.GPT(**mg.CFG)
    dst = os.path.join(tmp, "prior.safetensors")

    def unmask(sd):
        sd["transformer.blocks.1.attn.mask"][..., :3, :3] = 1

    cases = [(None, None, "give --config or --n-head"), (unmask, 2, "n_unmasked > 0"),
             (lambda sd: sd.pop("transformer.blocks.0.mlp.2.bias"), 2,
              "transformer.blocks.0.mlp.2.bias is missing"), (None, 3, "not a multiple of n_head 3")]
    for mutate, heads, fragment in cases:
        try:
            convert_taming.convert_transformer(prior_ckpt(tmp, gpt, mutate), dst, n_head=heads)
        except convert_taming.ConvertError as e:
            assert fragment in str(e), "%r does not contain %r" % (str(e), fragment)
            continue
        raise AssertionError("no error (expected %r)" % fragment)


TESTS = [test_transformer, test_transformer_errors, test_round_trip, test_infer_without_config, test_transformer_first_stage,
         test_missing_tensor, test_extra_tensor, test_gumbel, test_config_mismatch, test_not_vqgan]


def main():
    print("1..%d" % len(TESTS))
    failed = 0
    for i, fn in enumerate(TESTS, 1):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                fn(tmp)
                print("ok %d - %s" % (i, fn.__name__))
            except Exception:
                failed += 1
                print("not ok %d - %s" % (i, fn.__name__))
                for line in traceback.format_exc().splitlines():
                    print("# " + line)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
