#!/bin/sh
# End-to-end test of `vkstyle metrics`: FID / KID / IS of two small image folders against the
# values PyTorch's features and the numpy references give (tests/fixtures/make_metrics_fixture.py,
# random weights made in the run), and the errors.
# Usage: test_metrics.sh VKSTYLE FIXTURE_SCRIPT OTHER_MODEL
#   OTHER_MODEL   any checkpoint that is not an Inception (a style model)
# Output is TAP; exits 1 if anything failed.
set -u

if [ $# -ne 3 ]; then
  echo "usage: $0 VKSTYLE FIXTURE_SCRIPT OTHER_MODEL" >&2
  exit 2
fi
vkstyle=$1
other=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/vkstyle-metrics-test.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT INT TERM
/usr/bin/python3 "$2" "$work" >&2 || { echo "Bail out! fixture script failed"; exit 1; }
net=$work/inception.safetensors
. "$(dirname "$0")/tap.sh"
# close KEY RTOL LINE: KEY=value in LINE (the CLI's stdout) within RTOL of expected.txt's,
# relative to the largest expected value of that line (KID's mean is tiny next to its spread)
close () {
  key=$1; rtol=$2; line=$3
  want=$(grep -o "[a-z_]*=[^ ]*" "$work/expected.txt" | grep "^$key=" | cut -d= -f2)
  scale=$(grep "$key=" "$work/expected.txt" | tr ' ' '\n' | cut -d= -f2 |
          awk '{ v = $1 < 0 ? -$1 : $1; if (v > m) m = v } END { print m }')
  got=$(echo "$line" | tr ' ' '\n' | grep "^$key=" | cut -d= -f2)
  echo "$key: vkstyle $got, PyTorch + numpy $want"
  [ -n "$got" ] && awk -v a="$got" -v b="$want" -v s="$scale" -v t="$rtol" \
    'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t * s) }'
}
metrics () { "$vkstyle" metrics --inception "$net" "$@"; }
agree () {   # agree RTOL ARGS...: each KEY of the output agrees with expected.txt
  rtol=$1; shift
  line=$(metrics "$@") || return 1
  echo "stdout: $line"
  # one line of KEY=VALUE fields
  [ "$(echo "$line" | wc -l)" -eq 1 ] || return 1
  for field in $line; do close "${field%%=*}" "$rtol" "$line" || return 1; done
}

# float32 features (relative error ~1e-6) of a random network with large activations: FID
# cancels, KID cubes them, and its logits are large enough (softmax near one-hot) that IS moves
# by ~1e-4
check "fid real fake agrees with pytorch-fid's formula on PyTorch's features" agree 1e-5 fid "$work/real" "$work/fake"
check "kid real fake (subsets capped at 2 images, one image a network run) agrees with torch-fidelity's" agree 1e-4 kid "$work/real" "$work/fake" --batch 1
check "is real --splits 2 agrees with torch-fidelity's" agree 1e-3 is "$work/real" --splits 2

mkdir "$work/empty" "$work/bad" "$work/one"
cp "$work/real/d.png" "$work/bad/b.png"
echo "garbage" > "$work/bad/a.png"
cp "$work/real/d.png" "$work/one/"
check "a missing folder is named" expect 1 "nowhere: no such folder" metrics fid "$work/real" "$work/nowhere"
check "a folder without images is named" expect 1 "empty: the folder holds no image files" metrics kid "$work/empty" "$work/fake"
check "an unreadable image is named" expect 1 "bad/a.png" metrics fid "$work/bad" "$work/fake"
check "a checkpoint that is not an Inception" expect 1 "not a FID Inception-v3.*vkstyle.arch" \
  "$vkstyle" metrics fid "$work/real" "$work/fake" --inception "$other"
check "IS with fewer images than splits says how many are needed" expect 1 "needs at least 10 images, the folder has 3" metrics is "$work/real"
check "FID of one image says 2 are needed" expect 1 "at least 2 images in each folder, not 1 and 2" metrics fid "$work/one" "$work/fake"
check "KID of one image says 2 are needed" expect 1 "at least 2 images in each folder" metrics kid "$work/fake" "$work/one"
check "is takes one folder" expect 2 "is takes 1 folder, got 2" metrics is "$work/real" "$work/fake"
check "an unknown metric" expect 2 'unknown metric "lpips"' metrics lpips "$work/real"
check "--inception is required" expect 2 "inception is required" "$vkstyle" metrics fid "$work/real" "$work/fake"

echo "1..$count"
[ "$failed" -eq 0 ]
