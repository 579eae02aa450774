#!/usr/bin/env bash
# Runs inside the Debian 13 root (scripts/debian13-root.sh test): configures build-d13/build,
# builds and runs the whole meson suite there, validation layers on as everywhere. Its results
# are build-d13/build/meson-logs/testlog.json, which scripts/test.sh counts.
# Extra meson arguments come from $VKSTYLE_D13_MESON_ARGS (split on spaces); -Dgimp=auto picks
# the root's GIMP 3 by itself.
set -uo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
compgen -G '/.vkstyle-debian13-root-*' >/dev/null ||
  { echo "debian13-suite: not inside the Debian 13 root (use scripts/debian13-root.sh test)" >&2; exit 1; }

extra=()
[ -n "${VKSTYLE_D13_MESON_ARGS:-}" ] && read -r -a extra <<<"$VKSTYLE_D13_MESON_ARGS"

dir=build-d13/build
if [ -e "$dir/meson-private/coredata.dat" ]; then
  meson setup --reconfigure "$dir" "${extra[@]}" >/dev/null || exit 1
else
  # A folder a failed setup left behind cannot be reconfigured.
  rm -rf "$dir"
  meson setup "$dir" "${extra[@]}" >/dev/null || { rm -rf "$dir"; meson setup "$dir" "${extra[@]}"; exit 1; }
fi
ninja -C "$dir" || exit 1
meson test -C "$dir" --num-processes "$(nproc)" --print-errorlogs
