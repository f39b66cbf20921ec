#!/usr/bin/env bash
# Compare two builds of the tools on the pipeline cycle, interleaved cycle
# by cycle, so that the host's drift (a quarter from one hour to the next
# on the reference VM) falls on both alike:
#
#   scripts/bench/ab.sh DIR_A DIR_B [CYCLES]
#
# DIR_A and DIR_B hold we-init, we-step and we-resample (go build -o DIR/
# ./cmd/...; build them outside the store's file system, e.g. in /dev/shm,
# since replacing binaries deletes inodes: see README.md). Each cycle runs
#
#   h=$(we-step --steps 1 $h | we-resample --resampler none)
#
# for 48 lj-pair walkers, once with each build (A then B on even cycles, B
# then A on odd ones), each into its own store under STORE_DIR (default
# /var/tmp). It prints the median µs per cycle of each and the median and
# mean of the paired differences B − A; both builds must end on the same
# hash. Run it twice with the builds swapped before believing a difference
# under 100 µs.
#
#   RESAMPLE="--resampler wexplore --region-sizes 1,0.5,0.35,0.25 --pmax 0.5 --warp r>=1.0"
#   STEP_A="--workers 3"       extra we-step flags for build A (STEP_B for B)
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
A=$1 B=$2 C=${3:-200}
read -r -a RS <<<"${RESAMPLE:---resampler none}"
read -r -a SA <<<"${STEP_A:-}"
read -r -a SB <<<"${STEP_B:-}"
d=$(mktemp -d "${STORE_DIR:-/var/tmp}/we-ab.XXXXXX")
echo "ab: stores in $d (not deleted: deleting them slows file creation nearby for minutes)" >&2
now() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }
ha=$("$A/we-init" --store "$d/a" --system lj-pair --walkers 48 --seed 7)
hb=$("$B/we-init" --store "$d/b" --system lj-pair --walkers 48 --seed 7)
: >"$d/times"
for ((i = 0; i < C; i++)); do
  order="a b"
  ((i % 2)) && order="b a"
  for x in $order; do
    t0=$(now)
    if [ "$x" = a ]; then
      ha=$("$A/we-step" --store "$d/a" --steps 1 "${SA[@]}" "$ha" | "$A/we-resample" --store "$d/a" "${RS[@]}")
    else
      hb=$("$B/we-step" --store "$d/b" --steps 1 "${SB[@]}" "$hb" | "$B/we-resample" --store "$d/b" "${RS[@]}")
    fi
    t1=$(now)
    echo "$x $i $((t1 - t0))" >>"$d/times"
  done
done
[ "$ha" = "$hb" ] || echo "ab: the builds end on different hashes: $ha $hb" >&2
awk '
  { t[$1, $2] = $3; n[$1]++; v[$1, n[$1]] = $3 }
  function median(k,   m, i, j, x, a) {
    m = n[k]
    for (i = 1; i <= m; i++) a[i] = v[k, i]
    for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  END {
    for (i = 0; (("a", i) in t) && (("b", i) in t); i++) { n["d"]++; v["d", n["d"]] = t["b", i] - t["a", i]; s += t["b", i] - t["a", i] }
    printf "A %.0f µs  B %.0f µs per cycle (medians of %d)  B-A: median %.0f µs, mean %.0f µs\n", median("a"), median("b"), n["a"], median("d"), s / n["d"]
  }' "$d/times"
