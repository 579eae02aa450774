#!/usr/bin/env python3
"""Writes the hand-made seeds the checkpoint fuzzer starts from (plain Python, no torch).

  python3 tests/fuzz/make_seeds.py OUTDIR

Seeds: the smallest valid generators (every norm, block count and channel count the spec allows
to vary), the same with each metadata value broken, the fixtures' real headers with their data cut
short, and a few files of the kinds tests/test_checkpoint.c rejects. The committed corpus
(tests/fuzz/corpus/) is these plus what libFuzzer found from them, minimised with -merge=1.
"""

import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures")


def generator_tensors(ngf, nb, norm, inc, outc):
    """(name, shape) of every tensor, as engine/generator_spec.c lists them."""
    out = []

    def conv(prefix, index, d0, d1, k, cout, last=False):
        out.append(("%s%d.weight" % (prefix, index), [d0, d1, k, k]))
        if norm != "batch" or last:
            out.append(("%s%d.bias" % (prefix, index), [cout]))
        if norm == "batch" and not last:
            for t in ("weight", "bias", "running_mean", "running_var"):
                out.append(("%s%d.%s" % (prefix, index + 1, t), [cout]))

    conv("model.", 1, ngf, inc, 7, ngf)
    conv("model.", 4, 2 * ngf, ngf, 3, 2 * ngf)
    conv("model.", 7, 4 * ngf, 2 * ngf, 3, 4 * ngf)
    for b in range(nb):
        p = "model.%d.conv_block." % (10 + b)
        conv(p, 1, 4 * ngf, 4 * ngf, 3, 4 * ngf)
        conv(p, 5, 4 * ngf, 4 * ngf, 3, 4 * ngf)
    conv("model.", 10 + nb, 4 * ngf, 2 * ngf, 3, 2 * ngf)
    conv("model.", 13 + nb, 2 * ngf, ngf, 3, ngf)
    conv("model.", 17 + nb, outc, ngf, 7, outc, last=True)
    return out


def safetensors(tensors, metadata, dtype="F32", rng=None):
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    data = bytearray()
    size = 2 if dtype == "F16" else 4
    for name, shape in sorted(tensors):
        n = 1
        for d in shape:
            n *= d
        begin = len(data)
        for _ in range(n):
            v = rng.uniform(-1, 1) if rng else 0.0
            data += struct.pack("<e" if dtype == "F16" else "<f", v)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [begin, begin + n * size]}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(data)


def metadata(ngf, nb, norm, inc, outc):
    return {"vkstyle.arch": "cyclegan_resnet_generator", "vkstyle.ngf": str(ngf),
            "vkstyle.n_blocks": str(nb), "vkstyle.norm": norm, "vkstyle.input_nc": str(inc),
            "vkstyle.output_nc": str(outc), "vkstyle.name": "seed"}


def raw(json_text, data=b"", claimed=None):
    body = json_text.encode()
    return struct.pack("<Q", len(body) if claimed is None else claimed) + body + data


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(7)
    seeds = {}

    configs = [(1, 0, "instance", 1, 1), (1, 1, "batch", 1, 1), (1, 0, "instance", 3, 3),
               (2, 1, "instance", 4, 2)]
    for ngf, nb, norm, inc, outc in configs:
        tensors = generator_tensors(ngf, nb, norm, inc, outc)
        md = metadata(ngf, nb, norm, inc, outc)
        tag = "gen_ngf%d_nb%d_%s_%d%d" % (ngf, nb, norm, inc, outc)
        seeds[tag + "_f32"] = safetensors(tensors, md, "F32", rng)
        seeds[tag + "_f16"] = safetensors(tensors, md, "F16", rng)

    # One valid generator with each metadata value broken in a way the spec names.
    base = generator_tensors(1, 0, "instance", 1, 1)
    broken = {"ngf_leading_zero": ("vkstyle.ngf", "01"), "ngf_zero": ("vkstyle.ngf", "0"),
              "blocks_65": ("vkstyle.n_blocks", "65"), "norm_group": ("vkstyle.norm", "group"),
              "arch_other": ("vkstyle.arch", "stargan"), "nc_5": ("vkstyle.input_nc", "5"),
              "ngf_huge": ("vkstyle.ngf", "999999999")}
    for tag, (key, value) in broken.items():
        md = metadata(1, 0, "instance", 1, 1)
        md[key] = value
        seeds["meta_" + tag] = safetensors(base, md)
    md = metadata(1, 0, "instance", 1, 1)
    del md["vkstyle.arch"]
    seeds["meta_no_arch"] = safetensors(base, md)
    seeds["extra_tensor"] = safetensors(base + [("model.1.num_batches_tracked", [1])],
                                        metadata(1, 0, "instance", 1, 1))
    seeds["wrong_shape"] = safetensors([(n, s if n != "model.1.weight" else [1, 2, 7, 7])
                                        for n, s in base], metadata(1, 0, "instance", 1, 1))

    # The real fixtures' headers, with a little of their data.
    for name in ("gen_ngf8_nb2.safetensors", "gen_bn_ngf8_nb1.safetensors"):
        with open(os.path.join(FIXTURES, name), "rb") as f:
            blob = f.read()
        n = struct.unpack("<Q", blob[:8])[0]
        seeds["fixture_" + name.split(".")[0] + "_cut"] = blob[:8 + n + 64]

    # Small files of every kind the reader must refuse or accept at the edges.
    seeds["empty"] = b""
    seeds["short"] = b"\x02\0\0\0\0\0\0"
    seeds["empty_object"] = raw("{}      ")
    seeds["claims_2_64"] = raw("{}", claimed=(1 << 64) - 1)
    seeds["claims_past_end"] = raw("{}", claimed=1234)
    seeds["zero_elements"] = raw('{"z":{"dtype":"F32","shape":[3,0],"data_offsets":[0,0]},'
                                 '"big_zero":{"dtype":"F16","shape":[1099511627776,0],"data_offsets":[0,0]}}')
    seeds["elements_2_32"] = raw('{"a":{"dtype":"F32","shape":[65536,65536],'
                                 '"data_offsets":[0,17179869184]}}', b"\0" * 4)
    seeds["nan_f16"] = raw('{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', b"\0\x3c\x01\x7e")
    seeds["nan_f32"] = raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0\0\xc0\x7f")
    seeds["dtype_bf16"] = raw('{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', b"\0\0")
    seeds["metadata_not_json"] = raw('{"__metadata__":{"k":"v"},"a":{"dtype":"F32",'
                                     '"shape":[1],"data_offsets":[0,4]}')
    seeds["metadata_number"] = raw('{"__metadata__":{"k":5}}')
    seeds["overlap"] = raw('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                           '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b"\0" * 12)
    seeds["duplicate"] = raw('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                             '"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b"\0" * 8)
    seeds["escapes"] = raw('{"__metadata__":{"k\\u00e9\\n":"\\"[{\\ud83d\\ude00"},'
                           '"t\\u0000":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', b"\0\0\x80\x3f")
    seeds["nesting"] = raw("[" * 20 + "]" * 20)

    for name, blob in seeds.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(blob)
    print("%d seeds, %d bytes" % (len(seeds), sum(len(b) for b in seeds.values())))


if __name__ == "__main__":
    main()
