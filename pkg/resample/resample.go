// Package resample holds weighted-ensemble resamplers as pure functions:
// walkers' weights and images in, decisions out. A resampler never touches
// the store; cmd/we-resample reads the snapshot, builds the images, calls a
// Resampler and writes the result.
//
// One file per method: none.go, revo.go (wepy's REVO), wexplore.go (wepy's
// WExplore), binned.go (WESTPA's Huber–Kim split/merge in rectilinear bins),
// mab.go (WESTPA's minimal adaptive binning). Each file registers its
// method (Register: its flags, defaults and constructor), which is all
// we-resample needs to offer it; a new method is one more file, or a
// Register call in a program of one's own that runs the tools' code.
//
// Conventions shared by every method:
//
//   - Weight is conserved: |Σw_out − Σw_in| ≤ 1e-12 (ARCHITECTURE.md §7).
//   - A clone splits its parent's weight equally among its copies.
//   - A merge keeps one survivor, drawn with probability proportional to
//     weight, and gives it the group's summed weight.
//   - Every random draw comes from the *rng.Stream passed in, in a fixed
//     order, so the same input and stream give the same result.
package resample

import (
	"errors"
	"math"

	"github.com/wepipe/wepipe/pkg/rng"
)

// Decision is wepy's MultiCloneMergeDecision, with wepy's numeric values.
type Decision uint8

const (
	Nothing   Decision = 1 // the walker continues unchanged
	Clone     Decision = 2 // the walker is copied into several slots
	Squash    Decision = 3 // the walker is merged away; its weight goes to a survivor
	KeepMerge Decision = 4 // the walker survives a merge and takes the squashed weight
)

func (d Decision) String() string {
	switch d {
	case Nothing:
		return "NOTHING"
	case Clone:
		return "CLONE"
	case Squash:
		return "SQUASH"
	case KeepMerge:
		return "KEEP_MERGE"
	}
	return "UNKNOWN"
}

// Walker is what a resampler sees of one walker.
type Walker struct {
	Weight float64
	// Image is the walker's representation for distances: a vector of
	// observables, or the flattened coordinates of an atom selection.
	Image []float64
}

// Metric is a distance between two images.
type Metric func(a, b []float64) float64

// Euclidean is the Euclidean distance between two vectors of equal length.
func Euclidean(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += float64(d * d) // rounded product: no fused multiply-add on any architecture
	}
	return math.Sqrt(s)
}

// Record is what happened to one input walker, as in wepy's resampling
// records: the decision and the slots of the output ensemble it fills.
// For NOTHING and KEEP_MERGE, Targets holds one slot; for CLONE, one slot
// per copy (the first is the walker's own slot); for SQUASH, the slot of
// the survivor that took its weight.
type Record struct {
	Decision Decision
	Targets  []int
}

// Out is one walker of the output ensemble.
type Out struct {
	// Parent is the index of the input walker whose state this walker
	// continues (clones share their parent's state).
	Parent int
	Weight float64
	// Region labels the walker where the method has a notion of place:
	// WExplore's region path from the root, a bin index for binned and mab.
	Region []int
}

// Result is the output of one resampling.
type Result struct {
	Walkers []Out
	// Records has one entry per input walker.
	Records []Record
	// Summary holds per-cycle figures (REVO's variation before and after,
	// distance statistics, number of regions or bins …). Keys are stable
	// names; values are plain numbers.
	Summary map[string]float64
	// State is the resampler's evolving state in deterministic CBOR
	// (WExplore's region tree), nil for stateless methods. The next cycle
	// passes it back in.
	State []byte
}

// Resampler decides clones and merges for one ensemble.
//
// state is what the previous cycle's Result.State held (nil on the first
// cycle). r supplies every random draw.
type Resampler interface {
	Resample(walkers []Walker, state []byte, r *rng.Stream) (Result, error)
}

// ErrEmpty is returned for an ensemble with no walkers.
var ErrEmpty = errors.New("resample: no walkers")
