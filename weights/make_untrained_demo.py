#!/usr/bin/python3
"""Writes weights/untrained-demo.safetensors: a small CycleGAN generator (ngf 16, 6 blocks) with
random weights (seed 0, the reference init N(0, 0.02)). It is a stand-in until styles trained
with vkstyle-train land: it exercises the whole path (plug-in, engine, checkpoint) and produces
an abstract, untrained look, not a style. Run with Debian's python3-torch."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import torch  # noqa: E402
import cyclegan_torch as ct  # noqa: E402
import safetensors  # noqa: E402

torch.manual_seed(0)
cfg = ct.GeneratorConfig(ngf=16, n_blocks=6)
net = ct.init_weights(ct.ResnetGenerator(cfg)).eval()
tensors = {k: (list(v.shape), ct.tensor_to_f32_bytes(v))
           for k, v in ct.exported_state_dict(net).items()}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "untrained-demo.safetensors")
safetensors.save(out, tensors, ct.generator_metadata(
    cfg, "Untrained demo (random weights)",
    "Random weights, not a trained style: a placeholder that shows the plug-in works.",
    "weights/make_untrained_demo.py (seed 0)"))
print(out)
