// Package e2e tests wepipe end to end: it builds the tools, runs them as
// separate processes the way users and workflow engines do, and checks the
// contracts of ARCHITECTURE.md §2, §4 and §8 from the outside:
//
//   - we-run, scripts/workflows/Makefile (make -j2) and
//     scripts/workflows/Snakefile (snakemake -j 2), sharded or not, with a
//     shared store or per-shard stores, reach the same end hash;
//   - a tool killed with SIGKILL at any moment and run again leaves a store
//     that passes we-fsck and prints the hash of an uninterrupted run;
//   - processes writing into one store at once (steps of other inputs or of
//     the same input, a union from another store) never harm each other.
//
// The package holds tests only; `go test ./internal/e2e` runs them.
package e2e
