#!/bin/sh
# Train (or continue) the shipped sprite model: vkstyle-train --arch ddpm on the folders of
# make_sprites.sh, in chunks of CHUNK steps. vkstyle-train saves its state only when it stops,
# so each chunk is one process that stops (and saves, with a sample grid) after its last step
# and the next one resumes: a kill loses at most one chunk. Run it again to continue a run.
#
#   weights/recipes/train_sprites.sh VKSTYLE_TRAIN DATA OUT
#
# Stops at the first chunk that fails or is interrupted (Ctrl+C saves, exit status 130).
set -eu

[ $# -eq 3 ] || { echo "usage: $0 VKSTYLE_TRAIN DATA_DIR OUT_DIR" >&2; exit 2; }
TRAIN=$1 DATA=$2 OUT=$3
STEPS=2000 CHUNK=250
ARGS="--arch ddpm --height 16 --n-feat 64 --batch 32 --steps $STEPS --seed 0"

mkdir -p "$OUT"
done_steps=0
if [ -f "$OUT/latest_state.safetensors" ] && [ -f "$OUT/losses.csv" ]; then
    done_steps=$(tail -n 1 "$OUT/losses.csv" | cut -d, -f1)
    case $done_steps in ''|*[!0-9]*) done_steps=0 ;; esac
fi
while [ "$done_steps" -lt "$STEPS" ]; do
    next=$(( (done_steps / CHUNK + 1) * CHUNK ))
    [ "$next" -le "$STEPS" ] || next=$STEPS
    resume=
    [ -f "$OUT/latest_state.safetensors" ] && resume=--resume
    echo "$(date -u '+%F %T') steps $done_steps -> $next"
    # shellcheck disable=SC2086 # ARGS is a list of words
    "$TRAIN" $ARGS --data "$DATA" --out "$OUT" --stop-after "$next" $resume
    done_steps=$next
done
echo "$(date -u '+%F %T') done: $OUT/latest.safetensors"
