// we-run runs a weighted-ensemble simulation from a snapshot for a number
// of cycles or for a wall-clock budget, and prints the hash of the last
// snapshot.
//
// Usage:
//
//	we-run (--cycles N | --budget SECONDS) --steps N [--resampler NAME]
//	       [--shards N] [--workers K] [--frames K] [--seed N] [--retries N] [-q]
//	       [--store DIR] (--init 'WE-INIT ARGS' | HASH) [-- WE-RESAMPLE FLAGS...]
//
// Each cycle is one we-step and one we-resample, run in this process
// through the same code as the tools, so the end hash is the one the
// pipeline gives:
//
//	s=$(we-step --steps N [--workers K] [--frames K] [--seed N] h)
//	h=$(we-resample --resampler NAME [--seed N] WE-RESAMPLE FLAGS... s)
//
// and the one the Makefile and the Snakefile of scripts/workflows give.
// The run starts from snapshot HASH (a full hash or a unique prefix of 8+
// hex digits; read from stdin when neither HASH nor --init is given), or
// from the snapshot `we-init WE-INIT ARGS` creates (the arguments are
// split into words as a shell splits them, with '…' and "…" quoting, but
// never evaluated: --init "--system f.json --obs 'q=q:protein and heavy'").
//
// Before any dynamics, every flag of every stage is checked against the
// system (the resampler, its flags, the observables they and --warp name,
// the atoms of an image): a mistake is a usage error (exit 2) at once, not
// after a cycle of dynamics.
//
// Flags:
//
//	--cycles N        run N cycles (N ≥ 0)
//	--budget SECONDS  wall-clock budget, wepy's `wepy run orch` semantics
//	                  (Manager.run_simulation_by_time): a new cycle starts
//	                  only while the time elapsed since we-run started is
//	                  below the budget; a cycle once started is finished,
//	                  so the run may overrun by up to one cycle. With
//	                  --cycles too, whichever limit comes first stops.
//	--steps N         dynamics steps per walker and cycle (required)
//	--resampler NAME  as we-resample's (default none); the method's flags
//	                  and --warp go after -- (where --resampler and --seed
//	                  may also stand, for the resampling stage alone)
//	--shards N        run each step as N shards, concurrently, assembled as
//	                  we-merge does: the end hash does not depend on N
//	--workers K       walkers propagated at once (per shard; default: the
//	                  number of CPUs)
//	--frames K        we-step --frames
//	--seed N          replica seed of both stages (default 0)
//	--retries N       we-step --retries: a walker whose engine crashed, hung
//	                  or answered garbage is run again on a fresh engine, up
//	                  to N times (the same seed: the same result)
//	-q                no log lines, only errors
//	--store DIR       the store (default $WE_STORE, else ./we.store)
//
// Output: the end hash on stdout, one line, nothing else. On stderr, the
// start hash, then one line per cycle, terminal or not: the cycle, its
// walkers, the range of their weights, the warps of the cycle and the
// weight they carried, the running flux (mean warped weight per cycle of
// this run), and the seconds spent in dynamics and in resampling; last the
// end hash, the cycles run and the time. On a terminal the walkers of the
// running step are counted too.
//
// Runs as records: when it ends, also when interrupted or when a stage
// fails, we-run stores a run record (FORMAT.md §4.5): start and end
// snapshot, cycles run, status, when, how long, and the whole
// configuration (both stages' parameters, the engine, the shards, the
// limits). `we-ls runs` lists them; `we-ls configs` groups them by
// configuration.
//
// Every stage is a pure function of its input and flags, so the same
// arguments (with --cycles) always give the same end hash, and a run that
// was interrupted resumes at once when run again: finished cycles and
// walkers are memoised in the store.
//
// Exit status: 0 success, 1 failure (a stage failed), 2 usage error (of
// we-run or of a stage's flags), 130 interrupted (SIGINT or SIGTERM; what
// was done is kept).
package main
