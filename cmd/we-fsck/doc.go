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
// --quarantine moves corrupt objects to DIR/corrupt; a good copy can then be
// merged back with we-merge --from. Objects are never modified.
//
// Exit status: 0 the store is sound, 1 problems were found, 2 usage error.
package main
