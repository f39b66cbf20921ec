#!/usr/bin/env bash
# External engines (ENGINES.md): what the worker protocol and the
# per-segment mode cost per walker, the lj-pair through the built-in engine
# and through OpenMM, and a cycle of villin headpiece (48 walkers × 100
# steps, implicit solvent) against OpenMM's own time for the same 4,800
# steps.
#
#   scripts/bench/external.sh            # all of it (about 15 min on 2 cores)
#   PARTS=protocol scripts/bench/external.sh
#   PARTS="pair villin" REPEAT=3 scripts/bench/external.sh
#
# Needs Debian's python3-simtk, libopenmm-plugins, python3-cbor2. Machines
# are noisy: compare figures of one invocation, and read the load average.
set -euo pipefail
cd "$(dirname "$0")/../.."
PARTS=${PARTS:-"protocol pair villin"}
REPEAT=${REPEAT:-2}
echo "# machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'); $(go version)"
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
sub() { awk -v a="$1" -v b="$2" 'BEGIN { print a - b }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }

for part in $PARTS; do
	case $part in
	protocol)
		echo "## protocol overhead per walker-segment, no-op engines (ns/op = one walker)"
		# Rounds of every case, so that a change of load hits them alike.
		go test -c -o "${TMPDIR:-/tmp}/exec.bench" ./pkg/engine/exec/
		for r in $(seq "$REPEAT"); do
			(cd pkg/engine/exec && "${TMPDIR:-/tmp}/exec.bench" -test.run '^$' -test.bench 'WorkerNoop|SegmentNoop|Spawn' -test.benchtime 1000x) | grep '^Benchmark'
		done
		rm -f "${TMPDIR:-/tmp}/exec.bench"
		;;
	pair)
		echo "## lj-pair, one walker-segment of 1000 steps, per step"
		go test -run '^$' -bench 'PairSegment' -benchtime 300x -count "$REPEAT" ./pkg/engine/openmm/ | grep '^Benchmark'
		;;
	villin)
		echo "## villin implicit solvent: 48 walkers x 100 steps against OpenMM's 4,800 steps"
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		go build -o "$tmp/bin/" ./cmd/...
		export PATH="$tmp/bin:$PATH" WE_STORE="$tmp/store" WE_OPENMM_PLATFORM=CPU
		h=$(we-init --pdb /usr/lib/python3/dist-packages/openmm/app/data/test.pdb --keep protein \
			--forcefield amber99sbildn.xml,amber99_obc.xml --walkers 48)
		seed=0
		# Wall and CPU seconds (user + system, the step's processes and the
		# OpenMM workers it starts, all threads) of one we-step, from bash's time.
		TIMEFORMAT="%R %U %S"
		for r in $(seq "$REPEAT"); do
			for cfg in "1 1" "2 1" "1 2"; do
				read -r workers threads <<<"$cfg"
				seed=$((seed + 1))
				t=$( { time WE_OPENMM_THREADS=$threads we-step --steps 100 --workers "$workers" --seed "$seed" "$h" >"$tmp/s"; } 2>&1)
				read -r wall user sys <<<"$t"
				t0=$(date +%s.%N)
				we-resample --resampler revo --image rmsd --merge-dist 0.005 --char-dist 0.01 "$(cat "$tmp/s")" >/dev/null
				t1=$(date +%s.%N)
				rs=$(sub "$t1" "$t0")
				printf "wepipe  workers %d threads %d: we-step %.2f s wall, %.2f s CPU; we-resample %.2f s; cycle %.2f s  (load %s)\n" \
					"$workers" "$threads" "$wall" "$(add "$user" "$sys")" "$rs" "$(add "$wall" "$rs")" "$(cut -d' ' -f1 /proc/loadavg)"
			done
			for threads in 1 2; do
				printf "openmm  threads %d: " "$threads"
				/usr/bin/python3 scripts/bench/villin_openmm.py "$threads" 4800 |
					awk '{printf "%d steps %.2f s wall, %.2f s CPU, %.2f ms/step  (load %s)\n", $2, $3, $4, $5, "'"$(cut -d' ' -f1 /proc/loadavg)"'"}'
			done
		done
		;;
	esac
done
