package analysis

import "math"

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
