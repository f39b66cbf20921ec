// we-step propagates every walker of a snapshot with the system's engine
// and prints the hash of the resulting snapshot.
//
// Usage:
//
//	we-step --steps N [--workers K] [--frames K] [--seed N] [--shard I/N] [--retries N] [--store DIR] [HASH]
//
// The new snapshot has the same cycle index, system and weights; walker i
// continues walker i of the input (its parent) from its new state. The
// observables of every walker are computed after the last step and stored
// in its state and in the snapshot. The snapshot carries the resampler's
// state on to the next we-resample.
//
// Determinism: walker i draws its random numbers from a stream seeded by
// SHA-256("we-step", input hash, i, --seed), so the output hash is the same
// for any --workers, any sharding and on every rerun. Each walker's result
// is written as soon as it is done and made durable within a quarter of a
// second (a short step makes everything durable at once, with its
// snapshot): a step that is interrupted (Ctrl-C, SIGTERM: it keeps what is
// done and exits 1) or killed and run again computes only the walkers that
// are missing and prints the hash an uninterrupted step gives; a step that
// already finished prints its hash at once.
//
// Flags:
//
//	--steps N      dynamics steps per walker (required, > 0)
//	--workers K    walkers propagated in parallel (default: number of CPUs)
//	--frames K     keep K evenly spaced frames per walker (positions and
//	               observables) as segment objects, for trajectory export
//	--seed N       replica seed (default 0)
//	--shard I/N    propagate only walkers [I·W/N, (I+1)·W/N) of W and write a
//	               partial snapshot; we-merge assembles the N partial
//	               snapshots into the one an unsharded step writes
//	--retries N    run a walker whose engine failed again, up to N times
//	               (default 0), on a new engine process
//	--store DIR    the store (default $WE_STORE, else ./we.store)
//
// HASH (a full hash or a unique prefix of at least 8 hex digits) is read
// from stdin when not given. Progress (walkers done, steps per second, time
// left) is shown on stderr when it is a terminal.
//
// Errors: coordinates that become NaN or explode (a time step too large)
// stop the step with a message naming the walker and the step; nothing of
// that walker is recorded, the walkers already finished stay stored.
//
// Engines: the system record names its engine; "langevin" is built in: the
// BAOAB Langevin integrator (Leimkuhler & Matthews 2013) with the system's
// potential, temperature, friction and time step. "exec" runs an external
// program and "openmm" OpenMM (ENGINES.md): one engine process per worker
// for the whole step (or, in per-segment mode, one run per walker), each
// walker's seed taken from its stream, so the hash does not depend on
// --workers either. An engine that exits, crashes, hangs beyond the
// system's exec.timeout, answers malformed data or an invalid state fails
// its walker with an error that names it and ends with the engine's last
// lines of stderr; nothing invalid is stored, and a rerun resumes.
// OpenMM's platform and threads: WE_OPENMM_PLATFORM (Reference, CPU, CUDA,
// OpenCL), WE_OPENMM_THREADS (per worker, default 1), WE_OPENMM_DEVICES;
// its Python: WE_PYTHON (default /usr/bin/python3).
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
