#!/usr/bin/env bash
# Installs the Debian packages of scripts/debian-packages.txt that are missing (as root).
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
mapfile -t pkgs < <(grep -v '^#' "$here/debian-packages.txt" | grep -v '^$')
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
