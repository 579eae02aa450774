#!/bin/sh
# Neural fill: the VQGAN fixture (random weights, 1.4 MB) is made here in a temporary folder, as
# tests/vqgan/test_vqgan.sh does, then the C test reads it. TEST_BINARY FIXTURE_SCRIPT
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$2" "$dir" >&2
VKSTYLE_VQGAN_FIXTURE=$dir "$1" --tap
