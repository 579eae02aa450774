#!/bin/sh
# The FID Inception test: its fixture (random weights, ~95 MB) is made here, in a temporary
# folder, then the C test reads it. TEST_BINARY FIXTURE_SCRIPT
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$2" "$dir" >&2
VKSTYLE_INCEPTION_FIXTURE=$dir "$1" --tap
