package analysis

import (
	"math"
	"strings"

	"github.com/wepipe/wepipe/pkg/warp"
)

// Flux summarises the flux into warping targets over cycles.
type Flux struct {
	Cycles   int     // cycles averaged over
	Tau      float64 // dynamics time per cycle (ps)
	Weight   float64 // total warped weight, Σ of the series
	PerCycle float64 // mean warped weight per cycle (Mean of the series)
	// StdErr is the standard error of PerCycle treating cycles as
	// independent (StdErr of the series). Consecutive cycles are
	// correlated, so it is too small as an error bar: RateCI gives one
	// that respects the correlation.
	StdErr float64
	Rate   float64 // PerCycle/Tau, 1/ps (0 when Tau is 0)
	MFPT   float64 // 1/Rate, ps (+Inf when there is no flux)
}

// FluxFrom computes the flux into warping targets over cycles, given the
// warped weight of each cycle (zero for cycles without warps) and τ in ps.
// The Hill relation (package comment) makes PerCycle/τ the rate and its
// inverse the MFPT, valid once the run is in a steady state.
func FluxFrom(perCycle []float64, tau float64) Flux {
	f := Flux{Cycles: len(perCycle), Tau: tau}
	if len(perCycle) == 0 {
		f.MFPT = math.Inf(1)
		return f
	}
	for _, w := range perCycle {
		f.Weight += w
	}
	f.PerCycle = Mean(perCycle)
	f.StdErr = StdErr(perCycle)
	if tau > 0 {
		f.Rate = f.PerCycle / tau
	}
	f.MFPT = MFPT(f.Rate)
	return f
}

// MFPT returns 1/rate, or +Inf when rate is not positive.
func MFPT(rate float64) float64 {
	if rate > 0 {
		return 1 / rate
	}
	return math.Inf(1)
}

// TargetFluxes returns the warping targets of cycles and the weight that
// reached each target in each cycle: flux[k][c] for target k. A target is
// a warping condition, in its canonical form (warp.Cond.String): those
// the cycles' we-resample snapshots were asked to apply (op.params.warp,
// conditions separated by ";"), in that order, then any other met in a
// warp record. Flux is grouped by the condition met, the boundary the
// weight crossed; wepy's calc_warp_rate groups by warp target index (the
// initial state the walker was returned to) instead, which with several
// initial states splits one boundary's flux by a random draw.
func TargetFluxes(cycles []Cycle) (targets []string, flux [][]float64) {
	index := map[string]int{}
	add := func(s string) int {
		if c, err := warp.Parse(s); err == nil {
			s = c.String()
		}
		k, ok := index[s]
		if !ok {
			k = len(targets)
			index[s] = k
			targets = append(targets, s)
			flux = append(flux, make([]float64, len(cycles)))
		}
		return k
	}
	for _, c := range cycles {
		if c.Resample == nil {
			continue
		}
		if p := c.Resample.Op.Params["warp"]; p != "" {
			for _, s := range strings.Split(p, ";") {
				add(s)
			}
		}
	}
	for i, c := range cycles {
		if c.Resample == nil {
			continue
		}
		for _, w := range c.Resample.Warps {
			flux[add(w.Cond)][i] += w.Weight
		}
	}
	return targets, flux
}
