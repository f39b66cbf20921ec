// we-merge reconciles stores and combines snapshots.
//
// Usage:
//
//	we-merge --from SRC_STORE... [-q] [--store DIR]
//	we-merge --from BUNDLE...    [-q] [--store DIR]    (a file written by we-export)
//	we-merge [--store DIR] HASH...             (shards of one step, or ensembles)
//	we-merge [--weights W1,W2,…] HASH...       (pool ensembles with these shares)
//
// --from: a directory union. Every object of SRC_STORE that --store lacks is
// copied, after it is re-hashed, decompressed, decoded and validated; the
// copy is atomic and referenced objects land before the objects that
// reference them. Merging again copies nothing. A corrupt or misnamed object
// in a source is reported by name and not copied, and we-merge exits 1: the
// destination gains only whole, valid objects. Objects both stores hold are
// checked in the destination: a file there that is not what its name
// promises (damaged, truncated, a link, a FIFO) is replaced by the source's
// sound copy, atomically, the bad file kept in DIR/corrupt — so merging
// from a good copy repairs what readers report as corrupt. The destination
// is created if missing. A summary (objects copied, already present,
// repaired, bytes) goes to stderr, unless -q is given (problems are
// reported either way).
//
// --from BUNDLE: a file written by we-export (FORMAT.md §10) is verified
// whole — every object re-hashed, decoded and validated, every reference
// checked, the end frame's count and checksum — before anything lands; a
// damaged, truncated or hostile bundle is refused and the destination is
// left as it was (not even created). Then its objects land (referenced
// objects first); a snapshot exported without its history lands marked
// shallow (its parents are elsewhere; we-fsck and the tools accept that).
// Continuing from it gives the hashes continuing in the exporting store
// gives.
//
// HASH...: when the snapshots are the partial snapshots of one sharded step
// (we-step --shard I/N), they are assembled into exactly the snapshot an
// unsharded we-step gives (the same hash); an incomplete, overlapping or
// mixed set of shards is refused with a message saying what is missing.
// When they are complete ensembles of one system (replicas with other seeds
// or other initial states), they are pooled into one ensemble whose weights
// are scaled by equal shares, or by --weights; the shares are recorded in
// the snapshot. The new snapshot's hash is printed.
//
// Hashes come from the arguments, else from stdin (when no --from is given).
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
