#!/usr/bin/env bash
# The main job: a complete weighted-ensemble simulation of the LJ pair from
# the shell (wepy's example settings: 48 walkers, WExplore with region sizes
# 1, 0.5, 0.35, 0.25 nm and 10 regions per level, pmax 0.5, warping at
# r >= 1.0 nm), ending in a summary of what it found.
#
#   scripts/demo.sh                 # 20 cycles of 1000 steps
#   CYCLES=100 scripts/demo.sh      # longer
#
# Everything is deterministic: running it again prints the same hashes and
# costs almost nothing (every stage is memoised in the store).
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${CYCLES:-20}
STEPS=${STEPS:-1000}
WALKERS=${WALKERS:-48}
export WE_STORE=${WE_STORE:-$PWD/demo.store}

echo "demo: building the tools into ./bin" >&2
go build -o bin/ ./cmd/...
export PATH="$PWD/bin:$PATH"

start=$(we-init --system lj-pair --walkers "$WALKERS" --seed 7)
echo "demo: initial snapshot $start (store $WE_STORE)" >&2
h=$start
t0=$(date +%s.%N)
for i in $(seq "$CYCLES"); do
  h=$(we-step --steps "$STEPS" "$h" |
      we-resample --resampler wexplore --region-sizes 1,0.5,0.35,0.25 --max-regions 10 \
                  --pmax 0.5 --warp 'r>=1.0')
done
t1=$(date +%s.%N)
echo "demo: $CYCLES cycles of $STEPS steps x $WALKERS walkers in $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s" >&2
echo
echo "== runs in the store"
we-ls runs
echo
echo "== summary of the final snapshot"
we-summary "$h"
echo
echo "== store"
we-fsck 2>&1 | sed 's/^we-fsck: //'
