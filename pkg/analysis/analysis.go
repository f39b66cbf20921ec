// Package analysis computes what a weighted-ensemble run found: weighted
// observable statistics of an ensemble and the rate into a warping target
// from the warp records.
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
	"sort"

	"github.com/wepipe/wepipe/pkg/record"
)

// ObsStats are weighted statistics of one observable over an ensemble.
type ObsStats struct {
	Name string  `json:"name"`
	Mean float64 `json:"mean"` // Σ w x / Σ w
	Std  float64 `json:"std"`  // weighted standard deviation
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

// Describe computes Ensemble for a snapshot with observables names.
func Describe(s *record.Snapshot, names []string) Ensemble {
	e := Ensemble{Walkers: len(s.Walkers), MinWeight: math.Inf(1), MaxWeight: math.Inf(-1)}
	distinct := map[record.Hash]bool{}
	for _, w := range s.Walkers {
		distinct[w.State] = true
		e.WeightSum += w.Weight
		e.MinWeight = math.Min(e.MinWeight, w.Weight)
		e.MaxWeight = math.Max(e.MaxWeight, w.Weight)
	}
	e.States = len(distinct)
	for _, n := range names {
		st := ObsStats{Name: n, Min: math.Inf(1), Max: math.Inf(-1)}
		var sw, swx float64
		for _, w := range s.Walkers {
			x := w.Obs[n]
			sw += w.Weight
			swx += w.Weight * x
			st.Min = math.Min(st.Min, x)
			st.Max = math.Max(st.Max, x)
		}
		st.Mean = swx / sw
		var v float64
		for _, w := range s.Walkers {
			d := w.Obs[n] - st.Mean
			v += w.Weight * d * d
		}
		st.Std = math.Sqrt(v / sw)
		e.Obs = append(e.Obs, st)
	}
	return e
}

// Flux summarises the warp records of a history.
type Flux struct {
	Cycles      int     // resampling cycles in the history
	Tau         float64 // dynamics time per cycle (ps)
	Warps       int     // warp events
	Weight      float64 // total warped weight
	PerCycle    float64 // mean warped weight per cycle
	StdErr      float64 // standard error of PerCycle over cycles (uncorrelated estimate)
	Rate        float64 // PerCycle/Tau, 1/ps
	MFPT        float64 // 1/Rate, ps (Inf when no flux)
	FirstCycles []float64
}

// FluxFrom computes the flux into warping targets over cycles, given the
// warped weight of each cycle (zero for cycles without warps) and τ.
func FluxFrom(perCycle []float64, tau float64) Flux {
	f := Flux{Cycles: len(perCycle), Tau: tau}
	if len(perCycle) == 0 {
		f.MFPT = math.Inf(1)
		return f
	}
	var sum float64
	for _, w := range perCycle {
		sum += w
	}
	f.Weight = sum
	f.PerCycle = sum / float64(len(perCycle))
	if len(perCycle) > 1 {
		var v float64
		for _, w := range perCycle {
			d := w - f.PerCycle
			v += d * d
		}
		f.StdErr = math.Sqrt(v / float64(len(perCycle)-1) / float64(len(perCycle)))
	}
	if tau > 0 {
		f.Rate = f.PerCycle / tau
	}
	if f.Rate > 0 {
		f.MFPT = 1 / f.Rate
	} else {
		f.MFPT = math.Inf(1)
	}
	return f
}

// Histogram returns a weighted histogram of observable name over the
// walkers of s between lo and hi with n bins (weights normalised to 1).
func Histogram(s *record.Snapshot, name string, lo, hi float64, n int) []float64 {
	h := make([]float64, n)
	var tot float64
	for _, w := range s.Walkers {
		x := w.Obs[name]
		i := int((x - lo) / (hi - lo) * float64(n))
		if i >= 0 && i < n {
			h[i] += w.Weight
		}
		tot += w.Weight
	}
	for i := range h {
		h[i] /= tot
	}
	return h
}

// Quantiles returns weighted quantiles of observable name.
func Quantiles(s *record.Snapshot, name string, qs ...float64) []float64 {
	type wx struct{ w, x float64 }
	v := make([]wx, len(s.Walkers))
	var tot float64
	for i, w := range s.Walkers {
		v[i] = wx{w.Weight, w.Obs[name]}
		tot += w.Weight
	}
	sort.Slice(v, func(i, j int) bool { return v[i].x < v[j].x })
	out := make([]float64, len(qs))
	for k, q := range qs {
		c := 0.0
		out[k] = v[len(v)-1].x
		for _, e := range v {
			c += e.w / tot
			if c >= q {
				out[k] = e.x
				break
			}
		}
	}
	return out
}
