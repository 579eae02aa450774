#!/usr/bin/env bash
# Installs the Debian packages vkstyle needs that are missing (as root), from the list of the
# running release: scripts/debian-packages.txt on Debian 12 (GIMP 2.10), debian13-packages.txt
# on Debian 13 (GIMP 3). Another release is refused rather than guessed at.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
# shellcheck disable=SC1091
. /etc/os-release 2>/dev/null || true
case "${ID:-}:${VERSION_ID:-}" in
  debian:12) list=$here/debian-packages.txt ;;
  debian:13) list=$here/debian13-packages.txt ;;
  *)
    # A trixie root or testing image may not have VERSION_ID yet: trust VERSION_CODENAME.
    case "${ID:-}:${VERSION_CODENAME:-}" in
      debian:bookworm) list=$here/debian-packages.txt ;;
      debian:trixie) list=$here/debian13-packages.txt ;;
      *)
        echo "install-deps: ${PRETTY_NAME:-this system} is neither Debian 12 nor Debian 13;" \
             "install the packages of scripts/debian-packages.txt (or debian13-packages.txt) by hand" >&2
        exit 1 ;;
    esac ;;
esac
mapfile -t pkgs < <(grep -v '^#' "$list" | grep -v '^[[:space:]]*$')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ($(basename "$list")): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
