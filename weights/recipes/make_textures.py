#!/usr/bin/python3
"""Training images for vkstyle's texture GAN, from the patterns GIMP itself ships.

  make_textures.py OUT_DIR [--category Stone] [--crops 64] [--size 64]

Reads every GIMP pattern (.pat) of one category of the Debian package gimp-data
(/usr/share/gimp/2.0/patterns/<category>/, GPL-3+), and writes OUT_DIR/<category lower>/ with
--crops random --size x --size crops of each pattern, cut from the pattern repeated in both
directions: GIMP patterns tile seamlessly, so a crop across the repeat is as real as one inside
it, and patterns smaller than the crop still give whole crops. Crops are also flipped and
turned by multiples of 90 degrees at random (stone has no up). Seeded per pattern, so a rebuild
writes the same bytes; MANIFEST.tsv lists each file's pattern, package version, position and
transform.
"""

import argparse
import hashlib
import os
import random
import struct
import subprocess
import sys

from PIL import Image

PATTERNS = "/usr/share/gimp/2.0/patterns"


def read_pat(path):
    """A GIMP pattern: big-endian header (header size, version 1, width, height, bytes per
    pixel, 'GPAT', UTF-8 name), then the pixels row by row."""
    data = open(path, "rb").read()
    header_size, version, width, height, bpp = struct.unpack(">5I", data[:20])
    if data[20:24] != b"GPAT" or version != 1 or bpp not in (1, 2, 3, 4):
        raise ValueError("%s is not a GIMP pattern (version 1)" % path)
    pixels = data[header_size:header_size + width * height * bpp]
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[bpp]
    return Image.frombytes(mode, (width, height), pixels).convert("RGB")


def crop_wrapped(img, x, y, size):
    w, h = img.size
    tiled = Image.new("RGB", (w * (size // w + 2), h * (size // h + 2)))
    for ty in range(0, tiled.size[1], h):
        for tx in range(0, tiled.size[0], w):
            tiled.paste(img, (tx, ty))
    return tiled.crop((x, y, x + size, y + size))


def package_version(package):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True,
                          text=True).stdout or "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--category", default="Stone")
    parser.add_argument("--crops", type=int, default=64)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    src = os.path.join(PATTERNS, args.category)
    if not os.path.isdir(src):
        sys.exit("make_textures.py: %s is missing: install gimp-data" % src)
    out = os.path.join(args.out, args.category.lower())
    os.makedirs(out, exist_ok=True)
    version = package_version("gimp-data")
    rows = ["file\tpattern\tpackage\tversion\tlicence\tx\ty\tturns\tflip"]
    for name in sorted(os.listdir(src)):
        if not name.endswith(".pat"):
            continue
        img = read_pat(os.path.join(src, name))
        rng = random.Random(hashlib.sha256(name.encode()).hexdigest())
        stem = os.path.splitext(name)[0]
        for i in range(args.crops):
            x, y = rng.randrange(img.size[0]), rng.randrange(img.size[1])
            turns, flip = rng.randrange(4), rng.randrange(2)
            crop = crop_wrapped(img, x, y, args.size)
            for _ in range(turns):
                crop = crop.transpose(Image.Transpose.ROTATE_90)
            if flip:
                crop = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            file = "%s-%03d.png" % (stem, i)
            crop.save(os.path.join(out, file))
            rows.append("\t".join([file, os.path.join(args.category, name), "gimp-data", version,
                                   "GPL-3+", str(x), str(y), str(turns), str(flip)]))
    with open(os.path.join(out, "MANIFEST.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print("%s: %d images" % (out, len(rows) - 1))


if __name__ == "__main__":
    main()
