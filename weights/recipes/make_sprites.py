#!/usr/bin/python3
"""Cut the sprite classes of vkstyle's shipped diffusion model from the tile sheets of Debian's
crawl-tiles-data (Dungeon Crawl Stone Soup, 32 x 32 tiles).

Called by make_sprites.sh, which says where the package was unpacked. Writes OUT/<class>/*.png
(32 x 32 RGB, transparent pixels on black), OUT/MANIFEST.tsv (every file's sheet and position)
and OUT/SHA256SUMS. Deterministic: sheets are read in a fixed order and cut without randomness.

The package ships no single tiles, only sheets packed by the game's rltiles tool, which trims
every tile to its opaque bounding box and packs the trimmed tiles edge to edge. A sprite that
touches no neighbour is one 8-connected component of its mostly opaque pixels (alpha >= 128:
soft shadows would join neighbours); components larger than a tile are several sprites run
together and are skipped (that loses most of the sheet, but never gives a half sprite). Floor and wall tiles are opaque and untrimmed, on a 32-pixel grid.
"""

import argparse
import hashlib
import os
import sys
from collections import deque

import numpy as np
from PIL import Image

import make_datasets as md

PACKAGE = "crawl-tiles-data"
SHEETS_DIR = "usr/share/crawl/dat/tiles"
LICENCE = "CC0-1.0 or public domain (most tiles) / GPL-2+ (crawl-common copyright)"
AUTHOR = "the Dungeon Crawl Stone Soup tile artists (CREDITS.txt of crawl-common)"
TILE = 32
MIN_SIDE = 10          # smaller components are fragments (sparks, doll parts, digits)
TERRAIN_MAX = 200      # floor and wall cells are 2,000+: the trainer draws images, not classes,
                       # uniformly, so a huge class would crowd out the others

# class, sheet, how it is cut, the bands of sheet rows (y0, y1) that hold that class: the rest of
# each sheet is other material (player doll parts, blood splats, clouds, UI), seen by eye.
CLASSES = [
    ("monsters", "player.png", "sprites", [(694, 838), (1150, 1877)]),
    ("items", "main.png", "sprites", [(0, 690)]),
    ("features", "feat.png", "sprites", [(0, 416)]),
    ("terrain", "floor.png", "grid", [(0, 960)]),
    ("terrain", "wall.png", "grid", [(0, 1344)]),
]


def components(alpha):
    """Bounding boxes (x0, y0, x1, y1) of the 8-connected components of alpha >= 128, in scan
    order of their first pixel."""
    on = (alpha >= 128).tolist()
    h, w = len(on), len(on[0])
    seen = [[False] * w for _ in range(h)]
    boxes = []
    for y0 in range(h):
        for x0 in range(w):
            if not on[y0][x0] or seen[y0][x0]:
                continue
            seen[y0][x0] = True
            queue = deque([(y0, x0)])
            bx0, by0, bx1, by1 = x0, y0, x0, y0
            while queue:
                y, x = queue.popleft()
                bx0, by0, bx1, by1 = min(bx0, x), min(by0, y), max(bx1, x), max(by1, y)
                for yy in (y - 1, y, y + 1):
                    if 0 <= yy < h:
                        row, srow = on[yy], seen[yy]
                        for xx in (x - 1, x, x + 1):
                            if 0 <= xx < w and row[xx] and not srow[xx]:
                                srow[xx] = True
                                queue.append((yy, xx))
            boxes.append((bx0, by0, bx1 + 1, by1 + 1))
    return boxes


def in_bands(y, bands):
    return any(y0 <= y < y1 for y0, y1 in bands)


def cut_sprites(sheet, bands):
    """(box, 32 x 32 RGBA) of every sprite component of the sheet whose top lies in a band,
    centred in a tile as the game draws trimmed tiles."""
    rgba = np.array(sheet)
    out = []
    for box in components(rgba[:, :, 3]):
        x0, y0, x1, y1 = box
        w, h = x1 - x0, y1 - y0
        if not (MIN_SIDE <= w <= TILE and MIN_SIDE <= h <= TILE and in_bands(y0, bands)):
            continue
        piece = sheet.crop(box)
        tile = Image.new("RGBA", (TILE, TILE), (0, 0, 0, 0))
        tile.paste(piece, ((TILE - w) // 2, (TILE - h) // 2))
        out.append((box, tile))
    return out


def cut_grid(sheet, bands):
    """Every fully opaque 32 x 32 cell of the sheet in a band."""
    out = []
    for y in range(0, sheet.height - TILE + 1, TILE):
        for x in range(0, sheet.width - TILE + 1, TILE):
            if not in_bands(y, bands):
                continue
            box = (x, y, x + TILE, y + TILE)
            tile = sheet.crop(box)
            if tile.getchannel("A").getextrema()[0] == 255:
                out.append((box, tile))
    return out


def on_black(tile):
    black = Image.new("RGBA", tile.size, (0, 0, 0, 255))
    black.alpha_composite(tile)
    return black.convert("RGB")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--roots", required=True, help="package<TAB>version<TAB>root lines")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    version, root = md.read_roots(args.roots)[PACKAGE]

    per_class = {}
    for name, sheet_name, how, bands in CLASSES:
        path = os.path.join(root, SHEETS_DIR, sheet_name)
        sheet = Image.open(path).convert("RGBA")
        cut = cut_sprites(sheet, bands) if how == "sprites" else cut_grid(sheet, bands)
        per_class.setdefault(name, []).extend((sheet_name, box, on_black(t)) for box, t in cut)

    manifest = []
    for name, tiles in per_class.items():
        # The same tile drawn twice (recoloured variants are kept: they differ in bytes).
        unique, seen = [], set()
        for sheet_name, box, im in tiles:
            key = hashlib.sha256(im.tobytes()).digest()
            if key not in seen:
                seen.add(key)
                unique.append((sheet_name, box, im))
        if len(unique) > TERRAIN_MAX and name == "terrain":
            step = len(unique) / TERRAIN_MAX   # evenly through the sheets: every kind of floor
            unique = [unique[int(i * step)] for i in range(TERRAIN_MAX)]
        os.makedirs(os.path.join(args.out, name), exist_ok=True)
        for sheet_name, box, im in unique:
            file = f"{os.path.splitext(sheet_name)[0]}_{box[0]:04d}_{box[1]:04d}.png"
            md.save_png(im, os.path.join(args.out, name, file))
            origin = f"{PACKAGE}={version}:/{SHEETS_DIR}/{sheet_name}"
            manifest.append((name, file, origin, LICENCE, AUTHOR, *box))
        print(f"{name}: {len(unique)} tiles ({len(tiles) - len(seen)} duplicates dropped)",
              flush=True)

    names = [(folder, file) for folder, file, *_ in manifest]
    if len(set(names)) != len(names):
        sys.exit("two tiles got the same name")
    manifest.sort()
    with open(os.path.join(args.out, "MANIFEST.tsv"), "w", encoding="utf-8") as f:
        f.write("folder\tfile\tsource\tlicence\tauthor\tx0\ty0\tx1\ty1\n")
        for row in manifest:
            f.write("\t".join(str(v) for v in row) + "\n")
    with open(os.path.join(args.out, "SHA256SUMS"), "w", encoding="utf-8") as f:
        for folder, file, *_ in manifest:
            rel = f"{folder}/{file}"
            f.write(f"{md.sha256(os.path.join(args.out, rel))}  {rel}\n")


if __name__ == "__main__":
    main()
