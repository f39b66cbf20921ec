// Package analysis computes what a weighted-ensemble run found, from the
// records of its history (FORMAT.md §4.3): weighted statistics of an
// ensemble, the cycles of a run and their dynamics time, the flux into
// warping targets and the rate and mean first-passage time it gives,
// confidence intervals by Monte Carlo block bootstrap, free-energy
// profiles, macrostate kinetics and a history-augmented Markov state model.
//
// Every estimator is a function over slices or over decoded records; none
// does I/O. Each one's doc comment states its definition (which
// quantile, which bin edges, population or sample deviation) and which
// WESTPA or wepy function it follows.
//
// Rate and MFPT follow the Hill relation (T. L. Hill, "Free Energy
// Transduction in Biology", 1977; for WE: Suárez et al., J. Chem. Theory
// Comput. 10, 2658 (2014)): in a steady state maintained by returning
// walkers that reach the target B to the initial state A, the probability
// flux into B equals the inverse mean first-passage time A→B:
//
//	k_AB = 1/MFPT = ⟨Σ_warped w⟩ / τ
//
// where the average is over cycles and τ is the dynamics time per cycle.
package analysis

import (
	"math"

	"github.com/wepipe/wepipe/pkg/record"
)

// ObsStats are weighted statistics of one observable over an ensemble.
type ObsStats struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"` // WeightedMean
	Std  float64 `json:"std"`  // WeightedPopStdDev about Mean
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// Ensemble describes one snapshot's walkers.
type Ensemble struct {
	Walkers   int
	States    int // distinct state objects (clones share one)
	WeightSum float64
	MinWeight float64
	MaxWeight float64
	Obs       []ObsStats
}

// Describe computes Ensemble for a snapshot with observables names. A
// walker without a value for an observable counts as 0 for it.
func Describe(s *record.Snapshot, names []string) Ensemble {
	e := Ensemble{Walkers: len(s.Walkers), MinWeight: math.Inf(1), MaxWeight: math.Inf(-1)}
	distinct := map[record.Hash]bool{}
	w := Weights(s)
	for i, wk := range s.Walkers {
		distinct[wk.State] = true
		e.WeightSum += w[i]
		e.MinWeight = math.Min(e.MinWeight, w[i])
		e.MaxWeight = math.Max(e.MaxWeight, w[i])
	}
	e.States = len(distinct)
	for _, n := range names {
		x := ObsValues(s, n)
		st := ObsStats{Name: n, Min: math.Inf(1), Max: math.Inf(-1)}
		for _, v := range x {
			st.Min = math.Min(st.Min, v)
			st.Max = math.Max(st.Max, v)
		}
		st.Mean = WeightedMean(x, w)
		st.Std = WeightedPopStdDev(x, w, st.Mean)
		e.Obs = append(e.Obs, st)
	}
	return e
}

// Quantiles returns the WeightedQuantiles of observable name over the
// walkers of s.
func Quantiles(s *record.Snapshot, name string, qs ...float64) []float64 {
	return WeightedQuantiles(ObsValues(s, name), Weights(s), qs...)
}

// Weights returns the walkers' weights in slot order.
func Weights(s *record.Snapshot) []float64 {
	w := make([]float64, len(s.Walkers))
	for i, wk := range s.Walkers {
		w[i] = wk.Weight
	}
	return w
}

// ObsValues returns observable name of every walker in slot order (0 where
// a walker has none).
func ObsValues(s *record.Snapshot, name string) []float64 {
	x := make([]float64, len(s.Walkers))
	for i, wk := range s.Walkers {
		x[i] = wk.Obs[name]
	}
	return x
}
