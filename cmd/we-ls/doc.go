// we-ls lists what a store holds.
//
// Usage:
//
//	we-ls snapshots [--json] [--store DIR]
//	we-ls systems   [--json]
//	we-ls runs      [--json]
//	we-ls walkers HASH [--json]
//	we-ls warps HASH [--json]
//	we-ls sizes HASH [--json]
//
// snapshots: every snapshot with its cycle, number of walkers, the tool that
// made it and its first parent. systems: every system with its atoms,
// engine, observables and parameters. runs: each chain of snapshots from a
// start (a snapshot without parent) to an end (a snapshot nothing descends
// from), with the number of cycles between them, like wepy's `ls runs`.
// walkers HASH: one row per walker of a snapshot: index, weight, state
// hash, parent index and observables. warps HASH: every warp record in the
// history that ends at HASH: the cycle whose dynamics ended in the target,
// the walker, its weight and the initial state it was returned to.
// sizes HASH: for every snapshot of the history, the bytes it added to the
// store (the snapshot and the states no earlier snapshot holds; clones
// share their parent's state, which shows here).
//
// HASH is a full hash or a unique prefix of at least 8 hex digits; without
// it, it is read from stdin. --json prints one JSON object per line; for
// walkers: {"index": 0, "weight": 0.0208…, "state": "<64 hex>", "obs":
// {"r": 0.376…}, "parent": -1}. we-ls never writes to the store.
//
// A corrupt snapshot or system does not hide the others: snapshots,
// systems and runs list what can be read, report each object that cannot
// on stderr, and exit 1 at the end (a run through a corrupt snapshot is
// listed as the runs before and after it).
//
// Exit status: 0 success, 1 failure (some objects could not be read), 2
// usage error (a malformed hash among them).
package main
