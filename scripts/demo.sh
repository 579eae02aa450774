#!/usr/bin/env bash
# README command 1: installs the Debian packages, builds the plug-in for the GIMP that is
# installed (GIMP 2.10 on Debian 12, GIMP 3 on Debian 13: meson's -Dgimp=auto), installs it into
# the user's GIMP profile, and stylizes data/sample.png through GIMP in batch mode (the real
# plug-in, called from Script-Fu as any script would). Prints where the result is.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
top=$PWD
bash scripts/install-deps.sh

if [ -d build ]; then
  meson setup --reconfigure build -Dgimp=auto >/dev/null
else
  meson setup build -Dgimp=auto >/dev/null
fi
ninja -C build

# Which GIMP the plug-in was built for: the libgimp it links. (grep without -q: under pipefail
# an early exit would make ldd fail on a closed pipe.)
if ldd build/plug-in/vkstyle | grep 'libgimp-3\.0' >/dev/null; then
  gimp_version=3
  profile="${GIMP3_DIRECTORY:-$HOME/.config/GIMP/3.0}"
else
  gimp_version=2.10
  profile="${GIMP2_DIRECTORY:-$HOME/.config/GIMP/2.10}"
fi

# Per-user install: both GIMPs look for plug-ins in <profile>/plug-ins/<name>/<name> (GIMP 3
# only there); the plug-in looks for weights/ and locale/ beside its binary.
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
echo "Installed the plug-in for GIMP $gimp_version into $dest"

model="$dest/weights/cartoon.safetensors"
in="$top/data/sample.png"
out="$top/sample-stylized.png"
rm -f "$out"
log=$(mktemp)
if [ $gimp_version = 3 ]; then
  # GIMP 3: keyword arguments and a vector of drawables; --quit makes the exit status say
  # whether the batch command worked, and without it a failure would leave GIMP waiting.
  status=0
  timeout 900 gimp-console-3.0 -i -n -d -f --quit \
    --batch-interpreter=plug-in-script-fu-eval -b "
(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE \"$in\")))
       (drawables (car (gimp-image-get-selected-drawables image))))
  (plug-in-vkstyle #:run-mode RUN-NONINTERACTIVE #:image image #:drawables drawables
                   #:model \"$model\" #:strength 100 #:scale 1.0 #:new-layer FALSE #:device \"\")
  (gimp-file-save RUN-NONINTERACTIVE image \"$out\" -1)
  (gimp-image-delete image))" >"$log" 2>&1 || status=$?
  failed=$([ $status -ne 0 ] && echo yes || true)
else
  gimp-console-2.10 -i -d -f -b "
(let* ((image (car (file-png-load RUN-NONINTERACTIVE \"$in\" \"sample.png\")))
       (drawable (car (gimp-image-get-active-drawable image))))
  (plug-in-vkstyle RUN-NONINTERACTIVE image drawable \"$model\" 100 1.0 0 \"\")
  (file-png-save-defaults RUN-NONINTERACTIVE image
    (car (gimp-image-get-active-drawable image)) \"$out\" \"$out\")
  (gimp-image-delete image))" -b "(gimp-quit 0)" >"$log" 2>&1 || true
  # GIMP 2.10 exits 0 even when a batch command failed: judge by the log.
  failed=$(grep -q "execution error" "$log" && echo yes || true)
fi
if [ -n "$failed" ] || [ ! -s "$out" ]; then
  cat "$log" >&2
  echo "Stylizing through GIMP $gimp_version failed (log above)." >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
echo
echo "Stylized data/sample.png through GIMP $gimp_version with the default style (Cartoon):"
echo "  $out"
