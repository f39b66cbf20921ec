// we-resample applies boundary conditions (warping) and then a resampler to
// a snapshot, and prints the hash of the next cycle's snapshot.
//
// Usage:
//
//	we-resample [--resampler binned|mab|none|revo|wexplore] [--warp COND]...
//	            [--image OBS[,OBS…]|rmsd:SELECTION] [--seed N] [method flags] [HASH]
//
// The output snapshot's cycle index is the input's plus one. For every walker
// of the input it records wepy's decision (1 NOTHING, 2 CLONE, 3 SQUASH,
// 4 KEEP_MERGE) and the slots of the new ensemble it fills; each new walker
// records its parent's index. Clones share their parent's state object, so
// resampling writes no state data. Weight is conserved to 1e-12.
//
// Warping (--warp 'r>=1.0'; also >, <= and <; several flags mean any of
// them): before resampling, a walker that meets a condition is replaced by
// an initial state of the system (drawn by the initial states' weights when
// there are several) and keeps its weight. A warp record {cycle, walker,
// weight, target} is kept; `we-ls warps HASH` lists them, and the flux into
// the target gives the rate and, by the Hill relation, 1/MFPT. Conditions
// are parsed, never evaluated by a shell.
//
// Images (what distances are measured between): by default the vector of
// all observables with the Euclidean distance; --image r,x picks
// observables; --image 'rmsd:name CA' uses the coordinates of the atoms an
// atom selection chooses (we-init -h describes the language; 0-9,12 is
// index 0-9,12) and the RMSD after optimal superposition. The atoms
// chosen are what is recorded (rmsd:0,1,…), so spellings of one selection
// give one snapshot.
//
// -v prints a log line for the cycle on stderr: the cycle, its walkers, the
// range of their weights, its warps and the weight they carried (what
// we-run prints for each cycle; the workflows use it).
//
// Random choices (merge survivors, warp targets) come from streams seeded
// by the input hash and --seed: the same input, flags and seed give the same
// hash. A resampling already done prints its hash at once.
//
// Each method takes only its own flags; a flag of another method, or
// --image for a method that does not measure distances, is a usage
// error. Every flag's effective value (defaults filled in) is recorded in
// the snapshot's op, so the same configuration written two ways gives one
// hash.
//
// Exit status: 0 success, 1 failure, 2 usage error.
//
// Methods (this list is printed from the methods registered in
// pkg/resample; a new method adds its own entry):
package main
