#!/usr/bin/python3
"""Cut vkstyle's art training sets: domain B from artwork that Debian packages ship, domain A from
the photographs of sources.tsv.

Called by make_artsets.sh, which says where each package's files are. Writes OUT/photos (domain
A: the sources.tsv photos marked A or B, tiled exactly as make_datasets.py tiles them), OUT/test
(the held-out photos, as make_datasets.py writes them), OUT/<style> for every style of
art_sources.tsv asked for, OUT/MANIFEST.tsv (every file's source, licence and author) and
OUT/SHA256SUMS. Deterministic as make_datasets.py is: seeded tile positions, sorted inputs.
"""

import argparse
import glob
import os
import sys
import warnings

from PIL import Image

import make_datasets as md

CLIPART_COVER = 0.5     # a clip-art tile: at least this fraction covered by the drawing
CLIPART_LONG_SIDE = 720 # clip art is drawn at any size: big files are fitted into this
CLIPART_MAX_TILES = 2   # per file, so that hundreds of drawings all count
MAX_PIXELS = 25_000_000 # a few openclipart PNGs are huge (600 MP) renders: skipped


def read_art_sources(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            ident, style, kind, package, rel, licence, author = line.rstrip("\n").split("\t")
            rows.append(dict(id=ident, style=style, kind=kind, package=package, path=rel,
                             licence=licence, author=author))
    return rows


def coverage(alpha, p, threshold):
    """Fraction of the tile at corner p whose alpha is at least threshold."""
    crop = alpha.crop((p[0], p[1], p[0] + md.TILE, p[1] + md.TILE))
    hist = crop.histogram()
    return sum(hist[threshold:]) / (md.TILE * md.TILE)


def art_versions(row, path):
    """(name suffix, short side, RGB image, tile-corner filter, max tiles) for each scale one
    artwork is tiled at."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as probe:
                if probe.size[0] * probe.size[1] > MAX_PIXELS:
                    return []
        except Image.DecompressionBombError:
            return []
    im = Image.open(path)
    im.load()
    if row["kind"] == "painting":
        rgb = im.convert("RGB")
        return [(s, md.resized(rgb, s), None, md.MAX_TILES) for s in md.scales_for(rgb)]
    if row["kind"] == "clipart":
        rgba = im.convert("RGBA")
        k = min(1.0, CLIPART_LONG_SIDE / max(rgba.size))
        if k < 1:
            rgba = rgba.resize((round(rgba.size[0] * k), round(rgba.size[1] * k)), Image.LANCZOS)
        alpha = rgba.getchannel("A")
        rgb = Image.new("RGB", rgba.size, (255, 255, 255))
        rgb.paste(rgba, mask=alpha)
        return [(min(rgb.size), rgb, lambda p: coverage(alpha, p, 128) >= CLIPART_COVER,
                 CLIPART_MAX_TILES)]
    sys.exit(f"{row['id']}: unknown kind {row['kind']!r}")


def author_of(row, path):
    if row["author"].startswith("per file"):
        with Image.open(path) as im:
            return im.info.get("Author", "").strip() or "unknown (no Author text)"
    return row["author"]


def expand(row, root):
    """(path, name) of every file of a row: the row's id, and for a glob the file's path below
    the glob's fixed part, so files of one name in two subfolders stay apart."""
    pattern = row["path"]
    if not any(c in pattern for c in "*?["):
        return [(os.path.join(root, pattern), row["id"])]
    fixed = pattern[:min(pattern.index(c) for c in "*?[" if c in pattern)]
    base = os.path.join(root, os.path.dirname(fixed))
    out = []
    for path in sorted(glob.glob(os.path.join(root, pattern), recursive=True)):
        below = os.path.splitext(os.path.relpath(path, base))[0].replace(os.sep, "-")
        out.append((path, f"{row['id']}_{below}"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", required=True, help="sources.tsv (the photographs)")
    ap.add_argument("--art", required=True, help="art_sources.tsv")
    ap.add_argument("--roots", required=True, help="TSV: package, version, unpacked root")
    ap.add_argument("--out", required=True)
    ap.add_argument("--styles", required=True, help="comma-separated styles of art_sources.tsv")
    args = ap.parse_args()

    art = read_art_sources(args.art)
    known = sorted({r["style"] for r in art})
    styles = [s for s in args.styles.split(",") if s]
    for s in styles:
        if s not in known:
            sys.exit(f"unknown style {s!r}; known: {', '.join(known)}")
    photos = [r for r in md.read_sources(args.sources)]
    roots = md.read_roots(args.roots)
    out = args.out
    for d in ["photos", "test", *styles]:
        os.makedirs(os.path.join(out, d), exist_ok=True)
    manifest = []   # folder, file, source, licence, author, short side, x, y

    for src in photos:
        version, root = roots[src["package"]]
        im = md.load_rgb(os.path.join(root, src["path"]))
        origin = f"{src['package']}={version}:/{src['path']}"
        if src["split"] == "test":
            t = im.copy()
            t.thumbnail((md.TEST_SIDE, md.TEST_SIDE), Image.LANCZOS)
            name = f"{src['id']}.png"
            md.save_png(t, os.path.join(out, "test", name))
            manifest.append(("test", name, origin, src["licence"], src["author"], "-", "-", "-"))
            continue
        count = 0
        for short in md.scales_for(im):
            scaled = md.resized(im, short)
            for k, (x, y) in enumerate(md.tile_positions(f"{src['id']}:{short}", scaled)):
                name = f"{src['id']}_s{short}_{k}.png"
                md.save_png(scaled.crop((x, y, x + md.TILE, y + md.TILE)),
                            os.path.join(out, "photos", name))
                manifest.append(("photos", name, origin, src["licence"], src["author"], short, x, y))
                count += 1
        print(f"{src['id']:<28} photo {count} tiles", flush=True)

    for row in art:
        if row["style"] not in styles:
            continue
        version, root = roots[row["package"]]
        files = expand(row, root)
        if not files:
            sys.exit(f"{row['id']}: no file matches {row['path']}")
        count = 0
        for path, base in files:
            rel = os.path.relpath(path, root)
            origin = f"{row['package']}={version}:/{rel}"
            author = None
            for short, img, accept, max_tiles in art_versions(row, path):
                for k, (x, y) in enumerate(md.tile_positions(f"{base}:{short}", img, max_tiles,
                                                             accept)):
                    author = author or author_of(row, path)
                    name = f"{base}_s{short}_{k}.png"
                    md.save_png(img.crop((x, y, x + md.TILE, y + md.TILE)),
                                os.path.join(out, row["style"], name))
                    manifest.append((row["style"], name, origin, row["licence"], author, short, x, y))
                    count += 1
        print(f"{row['id']:<28} {row['style']} {len(files)} files → {count} tiles", flush=True)

    names = [(folder, name) for folder, name, *_ in manifest]
    if len(set(names)) != len(names):
        sys.exit("two tiles got the same name")
    manifest.sort()
    with open(os.path.join(out, "MANIFEST.tsv"), "w", encoding="utf-8") as f:
        f.write("folder\tfile\tsource\tlicence\tauthor\tshort_side\tx\ty\n")
        for row in manifest:
            f.write("\t".join(str(v).replace("\t", " ") for v in row) + "\n")
    with open(os.path.join(out, "SHA256SUMS"), "w", encoding="utf-8") as f:
        for folder, name, *_ in manifest:
            rel = f"{folder}/{name}"
            f.write(f"{md.sha256(os.path.join(out, rel))}  {rel}\n")
    for d in ["photos", "test", *styles]:
        print(f"{d}: {len(os.listdir(os.path.join(out, d)))} images")


if __name__ == "__main__":
    main()
