// we-cat prints store objects as JSON, one per line, so that jq users can
// inspect everything: records of every kind, arrays included.
//
// Usage:
//
//	we-cat [--indent] [--cbor] [--store DIR] HASH...
//
// Typed float arrays print as nested lists following the shape beside them;
// hashes and other byte strings print as hex; a resampler's state (itself
// CBOR) is decoded. Each object gets a "hash" member with its name. With
// --cbor the object's canonical CBOR bytes are written instead (the bytes
// whose SHA-256 is the hash). Hashes come from the arguments or stdin; a
// unique prefix of at least 8 hex digits is accepted.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
