// we-fsck verifies a store: every object's name, hash, compression,
// encoding, format version and record invariants, and every reference
// (a snapshot's system, parents, states and segments; a system's initial
// states) is checked. Stale temp files left by crashed writers are removed.
//
// Usage:
//
//	we-fsck [--tmp-age DURATION] [--quarantine] [--store DIR]
//
// Problems are printed on stdout, one per line, naming the file; a summary
// goes to stderr. --tmp-age (default 1h) removes temp files older than that;
// younger ones may belong to a writer at work (0 keeps them all).
// --quarantine moves corrupt objects to DIR/corrupt. A good copy can be
// merged back with we-merge --from, with or without --quarantine first:
// the union replaces a corrupt file by a sound copy. Objects are never
// modified. A file that is not a regular one where an object belongs (a
// link, a FIFO, a socket) is reported without being followed or opened in
// a way that could wait; a store whose directories (tmp/, memo/, objects/
// and its kinds, corrupt/) are links is refused, and nothing outside the
// store is ever removed or moved.
//
// Pack files (DIR/packs, written by we-pack) are verified too: a pack
// whose header, trailer or index is damaged is reported as a whole, and
// every object in the others is read and verified, a failure reported as
// the pack and the object it hits (PACK(kind/hash)). A loose copy of a
// packed object is a note, not a problem.
//
// Exit status: 0 the store is sound, 1 problems were found, 2 usage error.
package main
