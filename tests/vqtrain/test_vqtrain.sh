#!/bin/sh
# The VQGAN and minGPT training steps against PyTorch: the fixture (two iterations of each,
# 19 MB with the moments) is made here in a temporary folder, then the C test reads it.
# TEST_BINARY FIXTURE_SCRIPT
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 "$2" "$dir" >&2
VKSTYLE_VQTRAIN_FIXTURE=$dir "$1" --tap
