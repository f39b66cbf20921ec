#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine
# (Go modules; python3-cbor2 and python3-zstandard for the format check;
# make and snakemake for the workflow test; zstd for the cross-check of the
# store's frames; python3-mdtraj and python3-simtk for the MDTraj
# cross-checks on villin; libxml2-utils (xmllint) and python3-networkx for
# the GEXF family trees; chromium to render we-report's page; OpenMM's CPU
# platform (libopenmm-plugins) and LAMMPS for the external engines' tests,
# ENGINES.md), then runs the whole suite, and the packages with concurrency
# once more under the race detector.
#
#   scripts/test.sh            # everything CI runs
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
/usr/bin/python3 -c 'import cbor2, zstandard' 2>/dev/null || need+=(python3-cbor2 python3-zstandard)
command -v snakemake >/dev/null 2>&1 || need+=(snakemake)
# MDTraj and OpenMM's villin (test.pdb) for the selection and observable cross-checks.
/usr/bin/python3 -c 'import mdtraj' 2>/dev/null || need+=(python3-mdtraj)
[ -f /usr/lib/python3/dist-packages/openmm/app/data/test.pdb ] || need+=(python3-simtk)
command -v make >/dev/null 2>&1 || need+=(make)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
/usr/bin/python3 -c 'import networkx' 2>/dev/null || need+=(python3-networkx)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
/usr/bin/python3 -c 'import openmm' 2>/dev/null || need+=(python3-simtk)
# OpenMM's CPU platform is a plugin, packaged apart.
dpkg-query -W -f='${Status}' libopenmm-plugins 2>/dev/null | grep -q 'ok installed' || need+=(libopenmm-plugins)
command -v lmp >/dev/null 2>&1 || need+=(lammps)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "test: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  elif [ -n "${CI:-}" ]; then
    echo "test: missing ${need[*]}, and not root to install them: CI is set, so the tests that need them will fail" >&2
  else
    msg="test: missing ${need[*]} (run as root to install them): the Go tests that need them will be skipped, saying so (with CI set they fail)"
    case " ${need[*]} " in *" python3-cbor2 "*) msg+=", and the format check at the end will fail" ;; esac
    echo "$msg" >&2
  fi
fi

go mod download
echo "== go vet" >&2
go vet ./...
echo "== go test" >&2
go test -count=1 -timeout 25m ./...
# The race detector on the packages that run goroutines: the store's
# concurrent writers, we-step's workers and committer (TestStepWorkers),
# concurrent Propagate calls. -short leaves out the single-threaded
# statistical tests, which ran above.
echo "== go test -race -short (store, step, tools, engine)" >&2
go test -count=1 -race -short -timeout 10m ./pkg/store/ ./pkg/step/ ./internal/tools/ ./pkg/engine/
echo "== fuzz: every decoder and the store reader, a few seconds each" >&2
scripts/fuzz.sh
echo "== format check with Python (cbor2, zstandard)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bin/" ./cmd/...
WE_STORE="$tmp/py.store" "$tmp/bin/we-init" --system lj-pair --walkers 8 >/dev/null
h=$(WE_STORE="$tmp/py.store" "$tmp/bin/we-init" --system lj-pair --walkers 8)
h=$(WE_STORE="$tmp/py.store" "$tmp/bin/we-step" --steps 10 --frames 2 "$h" |
  WE_STORE="$tmp/py.store" "$tmp/bin/we-resample" --resampler wexplore --region-sizes 1,0.5 --warp 'r>=1.0')
# The same run packed (FORMAT.md §1.6), in a copy of the store.
cp -a "$tmp/py.store" "$tmp/packed.store"
"$tmp/bin/we-pack" --frame-size 4096 "$tmp/packed.store" 2>/dev/null
# Bundles of that run (FORMAT.md §10), and the store one lands in.
WE_STORE="$tmp/py.store" "$tmp/bin/we-export" --history "$h" -o "$tmp/history.bundle" 2>/dev/null
WE_STORE="$tmp/py.store" "$tmp/bin/we-export" "$h" -o "$tmp/snapshot.bundle" 2>/dev/null
"$tmp/bin/we-merge" --from "$tmp/snapshot.bundle" --store "$tmp/shallow.store" 2>/dev/null
# we-ls writes the snapshot index (FORMAT.md §1.5), which the checker compares with the snapshots,
# loose and packed.
WE_STORE="$tmp/py.store" "$tmp/bin/we-ls" snapshots >/dev/null
WE_STORE="$tmp/packed.store" "$tmp/bin/we-ls" snapshots >/dev/null
# Once the directories have gone unchanged for 2 s, the next listing marks
# the index complete, a claim the checker verifies against the store.
sleep 2.1
WE_STORE="$tmp/py.store" "$tmp/bin/we-ls" snapshots >/dev/null
WE_STORE="$tmp/packed.store" "$tmp/bin/we-ls" snapshots >/dev/null
/usr/bin/python3 scripts/check_format.py --vectors pkg/record/testdata/vectors.json --store "$tmp/py.store" \
  --index pkg/store/testdata/snapindex-v2.bin --store "$tmp/shallow.store" --store "$tmp/packed.store" --pack pkg/store/testdata/vector.pack --bundle pkg/bundle/testdata/vector.bundle --bundle "$tmp/history.bundle" --bundle "$tmp/snapshot.bundle"
