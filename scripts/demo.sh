#!/usr/bin/env bash
# The main job: complete weighted-ensemble simulations of the LJ pair from the
# shell, with wepy's example settings (48 walkers, WExplore with region sizes
# 1, 0.5, 0.35, 0.25 nm and 10 regions per level, pmax 0.5, warping at
# r >= 1.0 nm), each ending in a summary of what it found:
#
#   1. wepy's pair (ε = 41.84 kJ/mol, 16.8 kT deep): it stays bound, and its
#      distance follows r² exp(−U/kT);
#   2. a weakly bound pair (--set epsilon=2, 0.8 kT): walkers unbind, are
#      warped back with their weight, and the flux gives the unbinding rate;
#      its walker family tree (GEXF, for Gephi) and its first unbinding (a
#      reactive pathway, 20 frames a cycle, as a multi-model PDB for VMD,
#      PyMOL or MDTraj, and as CSV) are written to ./demo.out/.
#
#   scripts/demo.sh                 # 100 cycles of 1000 steps each
#   CYCLES=500 scripts/demo.sh      # longer
#
# The runs are made by we-run (a run record each, listed at the end). It
# ends with the rate of the second run and an HTML report of it (we-report)
# in ./demo.out/report (REPORT=DIR elsewhere), and prints where it is.
#
# Everything is deterministic: running it again prints the same hashes and
# costs almost nothing (every stage is memoised in the store).
set -euo pipefail
cd "$(dirname "$0")/.."
CYCLES=${CYCLES:-100}
STEPS=${STEPS:-1000}
WALKERS=${WALKERS:-48}
export WE_STORE=${WE_STORE:-$PWD/demo.store}
RESAMPLE=(--resampler wexplore --region-sizes 1,0.5,0.35,0.25 --max-regions 10 --pmax 0.5 --warp 'r>=1.0')

echo "demo: building the tools into ./bin" >&2
go build -o bin/ ./cmd/...
export PATH="$PWD/bin:$PATH"

run() { # title, then we-init flags
  local title=$1
  shift
  local t0 t1
  t0=$(date +%s.%N)
  # One process runs every cycle (the same hashes as the loop
  # h=$(we-step … $h | we-resample …)); -q: no log line per cycle.
  last=$(we-run -q --init "--system lj-pair --walkers $WALKERS --seed 7 $*" --cycles "$CYCLES" --steps "$STEPS" \
    "${FRAMES[@]}" -- "${RESAMPLE[@]}")
  t1=$(date +%s.%N)
  echo
  echo "== $title"
  echo "$CYCLES cycles of $STEPS steps x $WALKERS walkers in $(awk "BEGIN{printf \"%.2f\", $t1 - $t0}") s"
  we-summary "$last"
}

FRAMES=()
run "wepy's LJ pair (epsilon 41.84 kJ/mol)"
# The weakly bound pair keeps 20 frames of each walker's dynamics (every
# 0.1 ps), so that its pathways are smooth trajectories.
FRAMES=(--frames 20)
run "a weakly bound LJ pair (epsilon 2 kJ/mol): unbinding" --set epsilon=2
echo
echo "== its unbinding rate, with a block-bootstrap confidence interval (we-rate)"
we-rate "$last" --evolution 0
mkdir -p demo.out
we-gexf "$last" -o demo.out/tree.gexf
echo "family tree    demo.out/tree.gexf: open it in Gephi (File > Open; cycles run down the page), or networkx.read_gexf"
if [ -n "$(we-ls warps "$last" --json)" ]; then
  we-trace "$last" --warp 1 -o demo.out/unbinding.pdb >/dev/null
  we-trace "$last" --warp 1 -o demo.out/unbinding.csv >/dev/null
  echo "first unbinding demo.out/unbinding.pdb (one model per frame: vmd, pymol, mdtraj.load) and .csv (r along the path)"
fi
echo
echo "== runs in the store"
we-ls runs
echo
echo "== store"
we-fsck 2>&1 | sed 's/^we-fsck: //'
echo
echo "== report of the unbinding run"
report=$(we-report "$last" -o "${REPORT:-$PWD/demo.out/report}" --state 'bound:r<0.45' --state 'unbound:r>0.9')
echo "open $report in a browser: rates with confidence intervals, free-energy profile, family tree, configuration"
