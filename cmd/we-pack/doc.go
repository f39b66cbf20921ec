// we-pack moves a store's loose objects into a pack file (FORMAT.md
// §1.6), so that a long run's store holds a few files instead of one per
// object.
//
// Usage:
//
//	we-pack [--all] [--frame-size BYTES] [--no-memo] [--store DIR | DIR]
//
// The loose objects (and the memo entries, but for a running we-step's
// progress entries) are read and verified, written into one new pack in
// DIR/tmp — zstd frames of at most --frame-size bytes of content (default
// 1048576), each holding records of one kind, then an index sorted by
// hash — made durable, read back with every object verified again, and
// renamed into DIR/packs/ under the SHA-256 of its bytes. Only then are the
// loose files it holds removed. Every reader reads both loose and packed
// objects, and verifies a packed one exactly as a loose one (its content
// re-hashed against its name on every read).
//
// --all repacks the objects of the existing packs too, into the one new
// pack, and removes the old packs; after we-merge --from has repaired a
// damaged pack's object with a sound loose copy, it is how the damaged
// pack goes (an old pack with an object that fails and has no other copy
// is kept). --no-memo leaves the memo entries loose.
//
// Packing is crash-safe: killed at any moment, it leaves a valid store
// (an unfinished pack in DIR/tmp, which we-fsck removes once old, or loose
// copies of packed objects, which are harmless and which a rerun removes).
// Stages may run meanwhile: they keep writing loose objects, and we-pack
// removes only the files it packed. One we-pack runs at a time on a store
// (a lock on DIR/packs); a second one exits with an error.
//
// A summary goes to stderr. Objects that fail verification are reported
// on stdout, left loose, and we-pack exits 1.
//
// Exit status: 0 success, 1 error or objects not packed, 2 usage error.
package main
