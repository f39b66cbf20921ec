// we-resample applies boundary conditions (warping) and then a resampler to
// a snapshot, and prints the hash of the next cycle's snapshot.
//
// Usage:
//
//	we-resample [--resampler none|revo|wexplore|binned|mab] [--warp COND]...
//	            [--image OBS[,OBS…]|rmsd:ATOMS] [--seed N] [method flags] [HASH]
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
// observables; --image rmsd:0-9,12 uses the coordinates of those atoms and
// the RMSD after optimal superposition.
//
// Methods:
//
//	none      weights and states unchanged; records written.
//	revo      wepy's REVOResampler (Donyapour, Roussey & Dickson 2019):
//	          --merge-dist D and --char-dist D0 (required), --pmin (1e-12),
//	          --pmax (0.1), --dist-exponent (4), --merge-alg pairs|greedy.
//	          The summary records the variation and distance statistics.
//	wexplore  wepy's WExploreResampler (Dickson & Brooks 2014):
//	          --region-sizes 1,0.5,0.35,0.25 (required), --max-regions 10
//	          (one value or one per level), --pmin, --pmax (wepy's
//	          defaults). The region tree is kept in the snapshot and continued
//	          by the next cycle; each walker's region path is recorded.
//	binned    WESTPA's Huber–Kim split/merge in rectilinear bins:
//	          --bins OBS:E1,E2,… (interior edges, one flag per dimension; the
//	          first and last bins are open), --per-bin N (4), --min-weight,
//	          --max-weight (WESTPA's defaults).
//	mab       WESTPA's minimal adaptive binning: --mab OBS:NBINS (one flag
//	          per dimension), --per-bin N, --direction, --min-weight,
//	          --max-weight; leading, trailing and bottleneck walkers get bins
//	          of their own.
//
// Random choices (merge survivors, warp targets) come from streams seeded
// by the input hash and --seed: the same input, flags and seed give the same
// hash. A resampling already done prints its hash at once.
//
// Exit status: 0 success, 1 failure, 2 usage error.
package main
