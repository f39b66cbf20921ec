#!/usr/bin/env bash
# The analysis tools on a long run: CYCLES cycles (default 2000) of WALKERS
# walkers (default 48) of the weakly bound LJ pair (--set epsilon=2) with
# WExplore and warping at r >= 1.0 nm (the demo's unbinding run, STEPS
# steps per cycle, default 20 to make the store quickly), then the wall
# time and peak resident memory of we-summary, we-profile, we-rate,
# we-assign, we-msm and we-report on it, each run once after a warm-up
# read of the store.
#
#   scripts/bench/analysis.sh
#   CYCLES=500 WALKERS=96 scripts/bench/analysis.sh
#   STORE=/dev/shm/a.store scripts/bench/analysis.sh   # keep the store (a rerun finds every cycle memoised)
#   STORE=/dev/shm/a.store HASH=dab78acd… scripts/bench/analysis.sh   # time the analyses of that snapshot only
#
# Each line gives the wall time, the CPU time (user + system, which a
# busy machine inflates less) and the peak resident memory.
# The store is made on /dev/shm when it exists (the figures are the tools'
# cost, not the disk's). Every stage is memoised, so a rerun with the same
# STORE costs only the analyses.
set -euo pipefail
cd "$(dirname "$0")/../.."
CYCLES=${CYCLES:-2000}
WALKERS=${WALKERS:-48}
STEPS=${STEPS:-20}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/we-analysis-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -z "${STORE:-}" ]; then
  base=$tmp
  [ -d /dev/shm ] && [ -w /dev/shm ] && base=$(mktemp -d /dev/shm/we-analysis-bench.XXXXXX) && trap 'rm -rf "$tmp" "$base"' EXIT
  STORE=$base/a.store
fi
export WE_STORE=$STORE

echo "analysis: building the tools" >&2
go build -o "$tmp/bin/" ./cmd/...
export PATH="$tmp/bin:$PATH"

if [ -n "${HASH:-}" ]; then
  h=$HASH
else
  echo "analysis: $CYCLES cycles of $WALKERS walkers x $STEPS steps into $STORE" >&2
  h=$(we-init --system lj-pair --set epsilon=2 --walkers "$WALKERS" --seed 7)
  t0=$(date +%s.%N)
  for _ in $(seq "$CYCLES"); do
    h=$(we-step --steps "$STEPS" "$h" | we-resample --resampler wexplore --region-sizes 1,0.5,0.35,0.25 --max-regions 10 --pmax 0.5 --warp 'r>=1.0')
  done
  t1=$(date +%s.%N)
  echo "analysis: simulated in $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s; end snapshot $h" >&2
fi
we-summary "$h" >/dev/null # warm the page cache

echo "machine: $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $(go version | cut -d' ' -f3-4)"
echo "run: $(we-summary "$h" | sed -n 's/^history *//p'), $(we-summary --json "$h" | grep -o '"walkers":[0-9]*' | cut -d: -f2) walkers (we-ls sizes: $(we-ls sizes "$h" | tail -1 | awk '{print $NF}') bytes)"
printf '%-55s %8s %8s %12s\n' "command" "wall s" "CPU s" "peak RSS MB"
states=(--state 'bound:r<0.45' --state 'unbound:r>0.9')
bench() { # label, then the command
  local label=$1
  shift
  /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  read -r wall user sys rss <"$tmp/time"
  printf '%-55s %8s %8.2f %12.1f\n' "$label" "$wall" "$(awk "BEGIN{print $user+$sys}")" "$(awk "BEGIN{print $rss/1024}")"
}
bench "we-summary" we-summary "$h"
bench "we-summary --plot run.png" we-summary "$h" --plot "$tmp/run.png"
bench "we-profile (50 bins, CSV)" we-profile "$h"
bench "we-profile --plot profile.png" we-profile "$h" --plot "$tmp/profile.png"
bench "we-rate (evolution 10)" we-rate "$h"
bench "we-rate --evolution 0" we-rate "$h" --evolution 0
bench "we-rate --state bound --state unbound" we-rate "$h" "${states[@]}"
bench "we-rate --csv" we-rate "$h" --csv
bench "we-rate --plot rate.png" we-rate "$h" --plot "$tmp/rate.png"
bench "we-assign --state bound --state unbound" we-assign "$h" "${states[@]}"
bench "we-assign --walkers (a row per walker per cycle)" we-assign "$h" "${states[@]}" --walkers
bench "we-msm (50 bins)" we-msm "$h"
bench "we-msm --state bound --state unbound" we-msm "$h" "${states[@]}"
bench "we-report -o DIR --state bound --state unbound" we-report "$h" -o "$tmp/report" "${states[@]}"
