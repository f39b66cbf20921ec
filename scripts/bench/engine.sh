#!/usr/bin/env bash
# Runs wepipe's engine benchmarks (pkg/engine) and OpenMM 7.7 on the same
# systems (scripts/bench/openmm_compare.py) and prints the ratios.
#
#   scripts/bench/engine.sh [-quick]
#
# Needs Go and, for the OpenMM side, Debian's packages:
#   apt-get install -y python3-simtk libopenmm-plugins
# Benchmarks are single-threaded on the Go side (one walker per core is how
# we-step scales); OpenMM's CPU platform is run with 1 and 2 threads.
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=""
benchtime=3s
count=3
if [[ "${1:-}" == "-quick" ]]; then quick="--quick"; benchtime=1s; count=1; fi

echo "# machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p')"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
gofile=$(mktemp)
pyfile=$(mktemp)
trap 'rm -f "$gofile" "$pyfile"' EXIT

go test -run '^$' -bench 'LangevinLJPair|LJFluid' -benchtime "$benchtime" -count "$count" ./pkg/engine/ | tee "$gofile"
if /usr/bin/python3 -c 'import simtk.openmm' 2>/dev/null || /usr/bin/python3 -c 'import openmm' 2>/dev/null; then
	/usr/bin/python3 scripts/bench/openmm_compare.py $quick 2>/dev/null | tee "$pyfile"
else
	echo "# OpenMM not installed (apt-get install -y python3-simtk libopenmm-plugins): Go figures only"
fi

# Best (minimum) Go time per step, in µs, by case.
gobest() {
	awk -v pat="$1" '$1 ~ pat { for (i = 2; i <= NF; i++) if ($(i+1) == "ns/op") { t = $i / 1000; if (best == "" || t < best) best = t } }
		END { if (best != "") printf "%.4f", best }' "$gofile"
}
# OpenMM µs/step by case, platform and threads.
ommus() {
	awk -v c="$1" -v p="$2" -v th="$3" '$1 == c && $2 == p && $3 == th { print $6 }' "$pyfile"
}
echo
echo "case              wepipe µs/step   OpenMM µs/step (platform, threads)      OpenMM/wepipe"
row() { # label gopattern ommcase platform threads
	local g o
	g=$(gobest "$2")
	o=$(ommus "$3" "$4" "$5")
	if [[ -n "$g" && -n "$o" ]]; then
		printf "%-17s %14s   %14s (%s, %s)%*s %8.2f\n" "$1" "$g" "$o" "$4" "$5" $((16 - ${#4} - ${#5})) "" "$(awk -v o="$o" -v g="$g" 'BEGIN { print o / g }')"
	elif [[ -n "$g" ]]; then
		printf "%-17s %14s\n" "$1" "$g"
	fi
}
row lj-pair 'LangevinLJPair' lj-pair Reference 1
row lj-pair 'LangevinLJPair' lj-pair CPU 1
for n in 1000 10000; do
	row "lj-fluid/n=$n" "LJFluid/n=$n-" "lj-fluid/n=$n" CPU 1
	row "lj-fluid/n=$n" "LJFluid/n=$n-" "lj-fluid/n=$n" CPU 2
done
echo "(ratio > 1: wepipe faster per step; ns/day = 0.002 ps × 86400 s / (µs/step) × 1e3)"
