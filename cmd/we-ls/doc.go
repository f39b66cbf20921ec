// we-ls lists what a store holds.
//
// Usage:
//
//	we-ls snapshots [--json | -q] [--store DIR]
//	we-ls systems   [--json | -q]
//	we-ls runs      [--json | -q]
//	we-ls configs   [--json | -q]
//	we-ls walkers HASH [--json | -q]
//	we-ls warps HASH [--json]
//	we-ls sizes HASH [--json]
//
// snapshots: every snapshot with its cycle, number of walkers, the tool that
// made it and its first parent. systems: every system with its atoms,
// engine, observables and parameters. runs: like wepy's `ls runs`, first
// every run that we-run recorded (FORMAT.md §4.5), oldest first, with its
// start and end snapshots, cycles, snapshots between, status (done,
// interrupted, failed), start time, wall time and configuration — a run
// that a longer one later continued keeps its own row; then every chain of
// snapshots from a start (a snapshot without parent) to an end (a snapshot
// nothing descends from) that no run record ends at (runs made by
// pipelines, Make or Snakemake), with status "chain". configs: like wepy's
// `ls configs`, the distinct configurations of the recorded runs (both
// stages' parameters, the engine, the shards), each with its runs and
// their cycles.
// walkers HASH: one row per walker of a snapshot: index, weight, state
// hash, parent index and observables. warps HASH: every warp record in the
// history that ends at HASH: the cycle whose dynamics ended in the target,
// the walker, its weight and the initial state it was returned to.
// sizes HASH: for every snapshot of the history, the bytes it added to the
// store (the snapshot and the states no earlier snapshot holds; clones
// share their parent's state, which shows here). A packed object counts
// its share of its compressed frame (FORMAT.md §1.6).
//
// HASH is a full hash or a unique prefix of at least 8 hex digits; without
// it, it is read from stdin. --json prints one JSON object per line; for
// walkers: {"index": 0, "weight": 0.0208…, "state": "<64 hex>", "obs":
// {"r": 0.376…}, "parent": -1}. -q prints only the hash that names each
// row, one per line: snapshots' and systems' hashes, runs' end hashes,
// configurations' keys, walkers' state hashes. we-ls never writes to the
// store.
//
// A corrupt snapshot or system does not hide the others: snapshots,
// systems and runs list what can be read, report each object that cannot
// on stderr, and exit 1 at the end (a run through a corrupt snapshot is
// listed as the runs before and after it).
//
// Exit status: 0 success, 1 failure (some objects could not be read), 2
// usage error (a malformed hash among them).
package main
