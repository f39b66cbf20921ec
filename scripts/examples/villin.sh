#!/usr/bin/env bash
# Weighted ensemble of a protein with OpenMM: villin headpiece (HP35 N68H,
# the test.pdb of Debian's OpenMM, 8,867 atoms with water), protein only
# (582 atoms) in implicit solvent (amber99sbildn + amber99_obc, OBC GB), 300 K,
# friction 1/ps, 2 fs steps with bonds to hydrogen constrained. REVO
# (wepy's resampler) measures the distance between two walkers as the RMSD
# of their Cα atoms after superposition (as wepy's protein examples do) and
# spreads the walkers over conformations: walkers far from the others are
# cloned, redundant ones merged, the total weight kept. The system's
# observable rmsd, the Cα RMSD to the native (initial) structure, and the
# observable q added here, the fraction of native contacts among the heavy
# atoms (Best, Hummer & Eaton 2013), track how far the ensemble has gone.
#
#   scripts/examples/villin.sh                     # 10 cycles of 48 walkers × 100 steps
#   CYCLES=100 STEPS=500 scripts/examples/villin.sh
#   WE_OPENMM_PLATFORM=CUDA scripts/examples/villin.sh
#
# Each line reports a cycle: its wall time, the walkers' RMSD (nm),
# lowest, weighted mean and highest, and their weighted mean Q. Running it again resumes where it
# stopped and prints the same hashes (every stage is memoised in the store).
# Needs Debian's python3-simtk, libopenmm-plugins and python3-cbor2.
set -euo pipefail
cd "$(dirname "$0")/../.."
CYCLES=${CYCLES:-10}
STEPS=${STEPS:-100}
WALKERS=${WALKERS:-48}
PDB=${PDB:-/usr/lib/python3/dist-packages/openmm/app/data/test.pdb}
export WE_STORE=${WE_STORE:-$PWD/villin.store}

echo "villin: building the tools into ./bin" >&2
go build -o bin/ ./cmd/...
export PATH="$PWD/bin:$PATH"

h=$(we-init --pdb "$PDB" --keep protein --forcefield amber99sbildn.xml,amber99_obc.xml \
	--obs 'q=q:protein and heavy' --walkers "$WALKERS" --seed 1)
sys=$(we-cat "$h" | grep -o '"system":"[0-9a-f]*"' | cut -d'"' -f4)
we-ls systems | grep "^$sys" | sed 's/^/villin: /' >&2
REVO=(--resampler revo --image 'rmsd:name CA' --merge-dist 0.01 --char-dist 0.05 --pmax 0.5)
echo "cycle  seconds  rmsd_min  rmsd_mean  rmsd_max  (nm)  q_mean"
for c in $(seq "$CYCLES"); do
	t0=$(date +%s.%N)
	h=$(we-step --steps "$STEPS" "$h" | we-resample "${REVO[@]}")
	t1=$(date +%s.%N)
	we-ls walkers "$h" --json | awk -v c="$c" -v t="$(awk -v a="$t1" -v b="$t0" 'BEGIN{print a - b}')" '
		{ match($0, /"weight":[0-9.e-]+/); w = substr($0, RSTART + 9, RLENGTH - 9)
		  match($0, /"rmsd":[0-9.e-]+/); r = substr($0, RSTART + 7, RLENGTH - 7)
		  match($0, /"q":[0-9.e-]+/); q = substr($0, RSTART + 4, RLENGTH - 4)
		  if (NR == 1 || r < lo) lo = r; if (NR == 1 || r > hi) hi = r; m += w * r; mq += w * q }
		END { printf "%5d  %7.2f  %8.4f  %9.4f  %8.4f        %6.4f\n", c, t, lo, m, hi, mq }'
done
echo
we-summary "$h"
