// we-export writes what another machine needs to go on with a run: a
// snapshot in a bundle, or a system as a system file.
//
// Usage:
//
//	we-export [--history] -o FILE [--store DIR] [HASH]
//	we-export --system -o FILE [--store DIR] [HASH]
//
// Bundle (HASH a snapshot). One file holding the snapshot and everything
// needed to continue from it: its system, the system's initial states
// (where warping returns walkers), its walkers' states and segments; the
// resampler's carried state (WExplore's regions) is inside the snapshot.
// With --history, also every ancestor of the snapshot with what each
// references: the whole run up to it, for we-gexf, we-trace and we-summary
// elsewhere. wepy's `get snapshot` and `get config` in one file.
//
// On the other machine, `we-merge --from FILE [--store DIR]` verifies the
// bundle whole — every object re-hashed, decoded and validated, every
// reference, the count and the checksum — and only then lands it; a
// damaged or truncated bundle is refused and lands nothing. Continuing
// there (we-step HASH | we-resample …, or scripts/we-run HASH) gives exactly
// the hashes continuing here gives. A snapshot bundled without its history
// lands as a shallow snapshot: its parents stay on this machine, and the
// tools there treat it as the start of the history they hold.
//
// The format is FORMAT.md §10: a short header, then each object's bytes as
// the store holds them, then a checksum; objects are copied, not re-encoded,
// so a bundle is about the size of the objects in the store. Exporting the
// same snapshot twice gives the same bytes.
//
// System file (--system; HASH a system, or a snapshot for its system). The
// system record as the JSON that `we-init --system FILE` reads (FORMAT.md
// §8), initial coordinates and parameters included, so that we-init builds
// the very same system record (the same hash) from it; edit it to make a
// new system. (we-cat's JSON of a system names the initial states by hash
// and is not a system file.)
//
// Flags:
//
//	--history     the snapshot's whole history
//	--system      the system as a JSON system file
//	-o FILE       output file, written under a temporary name and renamed
//	              when complete; - for stdout (not a terminal, for a bundle)
//	--store DIR   the store (default $WE_STORE, else ./we.store)
//
// HASH is read from stdin when not given. A summary goes to stderr.
//
// Example, continuing a run on a cluster node:
//
//	we-export $h -o run.bundle
//	scp run.bundle node:
//	ssh node "we-merge --from run.bundle --store s &&
//	  scripts/we-run --store s $h --cycles 100 --steps 1000 --resampler wexplore -- --region-sizes 1,0.5,0.35,0.25"
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
