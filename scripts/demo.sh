#!/usr/bin/env bash
# README command 1: installs the Debian packages, builds, installs the plug-in into the user's
# GIMP 2.10 profile, and stylizes data/sample.png through GIMP in batch mode (the real plug-in,
# called from Script-Fu as any script would). Prints where the result is.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
top=$PWD
bash scripts/install-deps.sh

if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build

# Per-user install: GIMP looks for plug-ins in <profile>/plug-ins/<name>/<name>; the plug-in
# looks for weights/ and locale/ beside its binary.
profile="${GIMP2_DIRECTORY:-$HOME/.config/GIMP/2.10}"
dest="$profile/plug-ins/vkstyle"
mkdir -p "$dest/weights"
install -m 755 build/plug-in/vkstyle "$dest/vkstyle"
install -m 644 weights/*.safetensors "$dest/weights/"
for po in build/po/*/LC_MESSAGES/vkstyle.mo; do
  [ -e "$po" ] || continue
  lang=$(basename "$(dirname "$(dirname "$po")")")
  mkdir -p "$dest/locale/$lang/LC_MESSAGES"
  install -m 644 "$po" "$dest/locale/$lang/LC_MESSAGES/vkstyle.mo"
done
echo "Installed the plug-in into $dest"

model="$dest/weights/cartoon.safetensors"
out="$top/sample-stylized.png"
rm -f "$out"
log=$(mktemp)
gimp-console-2.10 -i -d -f -b "
(let* ((image (car (file-png-load RUN-NONINTERACTIVE \"$top/data/sample.png\" \"sample.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-vkstyle RUN-NONINTERACTIVE image drawable \"$model\" 100 1.0 0 \"\")
  (file-png-save-defaults RUN-NONINTERACTIVE image
    (car (gimp-image-get-active-drawable image)) \"$out\" \"$out\")
  (gimp-image-delete image))" -b "(gimp-quit 0)" >"$log" 2>&1 || true
# GIMP exits 0 even when a batch command failed: judge by the log and the file.
if grep -q "execution error" "$log" || [ ! -s "$out" ]; then
  cat "$log" >&2
  echo "Stylizing through GIMP failed (log above)." >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo
echo "Stylized data/sample.png through GIMP with the default style (Cartoon):"
echo "  $out"
