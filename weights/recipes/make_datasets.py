#!/usr/bin/python3
"""Cut vkstyle's unpaired training sets from photographs that Debian packages ship.

Called by make_datasets.sh, which installs the tools and says where each package's files are.
Writes OUT/photos (domain A), OUT/<style> for every style in STYLES (domain B: other photos,
rendered through GEGL filters), OUT/test (held-out photos for before/after previews),
OUT/MANIFEST.tsv (where every tile came from) and OUT/SHA256SUMS.

Everything is a function of sources.tsv, the constants below and the package versions: tile
positions come from a random.Random seeded with the tile's name, inputs are read in file order.
"""

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile

from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

TILE = 286            # side of a written tile (the trainer crops 128² out of it)
MARGIN = 16           # keep tiles away from borders, where the filters see abyss pixels
SCALES = (320, 480, 720, 1080)   # short side the photo is resized to before tiles are cut
TILES_PER_AREA = 0.4  # tiles per TILE² of usable area at one scale ...
MAX_TILES = 5         # ... but at most this many per scale, so big photos don't dominate
MAX_OVERLAP = 0.25    # a new tile may share at most this fraction of its area with an earlier one
MIN_DETAIL = 8.0      # mean edge strength (0-255) a tile needs at half resolution: wallpapers have
                      # large blurred or empty areas (bokeh, sky) that would teach the GAN nothing
TEST_SIDE = 512       # held-out photos are fitted into TEST_SIDE²

U8 = "format=R'G'B' u8"

# Each style: the gegl command-line chain applied to a whole resized photo, then an optional
# Python step (`post`, below). Strong colour and texture changes, so a small CycleGAN at 128² can
# learn them.
STYLES = {
    # Edge-preserving smoothing (domain transform, cheaper than two bilateral passes at the same
    # look), then flat posterised colour regions with dark felt-pen edges.
    "cartoon": {
        "gegl": ["gegl:domain-transform", "n-iterations=3", "spatial-factor=20",
                 "edge-preservation=1.2",
                 "gegl:saturation", "scale=1.5",
                 "gegl:posterize", "levels=5",
                 "gegl:median-blur", "radius=2",
                 "gegl:cartoon", "mask-radius=4", "pct-black=0.3"],
        "post": None,
    },
    # Oil-paint dabs (oilify) on an embossed canvas weave, slightly more saturated.
    "oilpaint": {
        "gegl": ["gegl:saturation", "scale=1.3",
                 "gegl:oilify", "mask-radius=4", "exponent=8",
                 "gegl:texturize-canvas", "depth=2"],
        "post": None,
    },
    # Pen and wash: photocopy's dark edges as pen lines over a three-tone wash of the photo's
    # lightness, in brown ink on cream paper. (Lines alone leave soft or blurred photos blank.)
    "ink": {
        "gegl": ["gegl:photocopy", "mask-radius=3", "sharpness=0.8", "black=0.3", "white=0.3"],
        "post": "ink_wash",
    },
}
INK = (40, 28, 20)
PAPER = (246, 238, 220)
WASH_LEVELS = (0.5, 0.78, 1.0)   # paper brightness under the darkest ... lightest third


def ink_wash(photo, lines):
    """Multiply the pen lines by a posterised, contrast-stretched lightness, then print the
    result in ink on paper."""
    light = ImageOps.autocontrast(photo.convert("L").filter(ImageFilter.MedianFilter(5)), cutoff=1)
    n = len(WASH_LEVELS)
    wash = light.point([round(255 * WASH_LEVELS[min(n - 1, v * n // 256)]) for v in range(256)])
    return ImageOps.colorize(ImageChops.multiply(lines.convert("L"), wash), black=INK, white=PAPER)



def read_sources(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            ident, split, package, rel, licence, author = line.rstrip("\n").split("\t")
            rows.append(dict(id=ident, split=split, package=package, path=rel,
                             licence=licence, author=author))
    return rows


def read_roots(path):
    """package → (version, directory its files were unpacked to)."""
    roots = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            package, version, root = line.rstrip("\n").split("\t")
            roots[package] = (version, root)
    return roots


def load_rgb(path):
    im = Image.open(path)
    im.load()
    return im.convert("RGB")


def resized(im, short):
    w, h = im.size
    k = short / min(w, h)
    return im.resize((round(w * k), round(h * k)), Image.LANCZOS)


def scales_for(im):
    short = min(im.size)
    chosen = [s for s in SCALES if s <= short]
    if not chosen:
        return []
    # a photo smaller than the next scale also gets its own size, so none of its detail is lost
    if short >= SCALES[0] and short < SCALES[-1] and short > chosen[-1] * 1.25:
        chosen.append(short)
    return chosen


def overlap(a, b):
    dx = TILE - abs(a[0] - b[0])
    dy = TILE - abs(a[1] - b[1])
    return max(dx, 0) * max(dy, 0) / (TILE * TILE)


def detail_map(im):
    """Edge strength at half resolution; a tile's detail is its mean over the tile."""
    half = im.convert("L").resize((im.size[0] // 2, im.size[1] // 2), Image.BOX)
    return half.filter(ImageFilter.FIND_EDGES)


def detail(edges, p):
    x, y = p[0] // 2, p[1] // 2
    return ImageStat.Stat(edges.crop((x, y, x + TILE // 2, y + TILE // 2))).mean[0]


def tile_positions(name, im, max_tiles=MAX_TILES, accept=None):
    """Up to `want` tile corners at random, each with enough detail and not overlapping the
    earlier ones much; fewer if 200 draws don't find them. accept(corner), if given, must also
    hold (make_artsets.py: tiles inside the painted part of a transparent image)."""
    w, h = im.size
    span_x, span_y = w - TILE - 2 * MARGIN, h - TILE - 2 * MARGIN
    if span_x < 0 or span_y < 0:
        return []
    usable = (w - 2 * MARGIN) * (h - 2 * MARGIN)
    want = max(1, min(max_tiles, round(TILES_PER_AREA * usable / (TILE * TILE))))
    rng = random.Random(name)
    edges = detail_map(im)
    picked = []
    for _ in range(200):
        if len(picked) == want:
            break
        p = (MARGIN + rng.randint(0, span_x), MARGIN + rng.randint(0, span_y))
        if (all(overlap(p, q) <= MAX_OVERLAP for q in picked) and detail(edges, p) >= MIN_DETAIL
                and (accept is None or accept(p))):
            picked.append(p)
    return picked


def gegl_render(src_png, dst_png, chain, size):
    w, h = size
    cmd = ["gegl", src_png, "-o", dst_png, "--", *chain,
           "gegl:crop", "x=0", "y=0", f"width={w}", f"height={h}", "gegl:convert-format", U8]
    # BABL_TOLERANCE=0: babl otherwise picks colour-conversion paths by timing them, each exact
    # to within its tolerance, and a different pick moves a few pixels by one level per run.
    env = dict(os.environ, GEGL_SWAP="RAM", BABL_TOLERANCE="0")
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    if res.returncode != 0 or not os.path.exists(dst_png):
        sys.exit("gegl failed (%d): %s\n%s" % (res.returncode, " ".join(cmd),
                                             res.stderr.decode(errors="replace")))
    out = load_rgb(dst_png)
    if out.size != size:
        sys.exit(f"gegl returned {out.size}, expected {size}: {' '.join(cmd)}")
    return out


def style_image(im, style, tmp):
    src = os.path.join(tmp, "in.png")
    dst = os.path.join(tmp, "out.png")
    im.save(src)
    out = gegl_render(src, dst, STYLES[style]["gegl"], im.size)
    post = STYLES[style]["post"]
    return globals()[post](im, out) if post else out


def save_png(im, path):
    im.save(path, format="PNG", compress_level=6)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", required=True)
    ap.add_argument("--roots", required=True, help="TSV: package, version, unpacked root")
    ap.add_argument("--out", required=True)
    ap.add_argument("--styles", default=",".join(STYLES))
    args = ap.parse_args()

    styles = [s for s in args.styles.split(",") if s]
    for s in styles:
        if s not in STYLES:
            sys.exit(f"unknown style {s!r}; known: {', '.join(STYLES)}")
    sources = read_sources(args.sources)
    roots = read_roots(args.roots)
    ids = [s["id"] for s in sources]
    if len(set(ids)) != len(ids):
        sys.exit("duplicate id in sources.tsv")

    out = args.out
    for d in ["photos", "test", *styles]:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    manifest = []
    with tempfile.TemporaryDirectory(prefix="vks-datasets-") as tmp:
        for src in sources:
            version, root = roots[src["package"]]
            path = os.path.join(root, src["path"])
            im = load_rgb(path)
            origin = f"{src['package']}={version}:/{src['path']}"
            if src["split"] == "test":
                t = im.copy()
                t.thumbnail((TEST_SIDE, TEST_SIDE), Image.LANCZOS)
                name = f"{src['id']}.png"
                save_png(t, os.path.join(out, "test", name))
                manifest.append(("test", name, origin, src["licence"], "-", "-", "-"))
                continue
            folders = ["photos"] if src["split"] == "A" else styles
            count = 0
            for short in scales_for(im):
                scaled = resized(im, short)
                positions = tile_positions(f"{src['id']}:{short}", scaled)
                if not positions:
                    continue
                for folder in folders:
                    img = scaled if folder == "photos" else style_image(scaled, folder, tmp)
                    for k, (x, y) in enumerate(positions):
                        name = f"{src['id']}_s{short}_{k}.png"
                        save_png(img.crop((x, y, x + TILE, y + TILE)),
                                 os.path.join(out, folder, name))
                        manifest.append((folder, name, origin, src["licence"], short, x, y))
                count += len(positions)
            print(f"{src['id']:<22} {src['split']:<2} {im.size[0]}x{im.size[1]} → {count} tiles",
                  flush=True)

    manifest.sort()
    with open(os.path.join(out, "MANIFEST.tsv"), "w", encoding="utf-8") as f:
        f.write("folder\tfile\tsource\tlicence\tshort_side\tx\ty\n")
        for row in manifest:
            f.write("\t".join(str(v) for v in row) + "\n")
    with open(os.path.join(out, "SHA256SUMS"), "w", encoding="utf-8") as f:
        for folder, name, *_ in manifest:
            rel = f"{folder}/{name}"
            f.write(f"{sha256(os.path.join(out, rel))}  {rel}\n")
    for d in ["photos", "test", *styles]:
        print(f"{d}: {len(os.listdir(os.path.join(out, d)))} images")


if __name__ == "__main__":
    main()
