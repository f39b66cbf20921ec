package figure

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// RateSeries is the flux into one target (or between two macrostates)
// over the cycles of a window, and the evolution of its rate.
type RateSeries struct {
	Label  string
	Cycles []float64 // the cycles
	Flux   []float64 // flux per cycle (weight)
	Moving []float64 // its moving average
	// Cumulative is the running mean of Flux from the window's start.
	Cumulative []float64
	// EvoCycles are the last cycles of the evolution windows, Rate their
	// rate (1/ps) and Lo, Hi its confidence interval.
	EvoCycles, Rate, Lo, Hi []float64
}

// Rates returns two panels: the flux per cycle with its moving and
// cumulative averages, and the rate with its confidence band as the
// window grows, which shows whether it has converged.
func Rates(title string, alpha float64, window int, series []RateSeries) []Drawer {
	flux := NewPlot(title+": flux per cycle", "cycle", "flux (weight per cycle)")
	rate := NewPlot(title+fmt.Sprintf(": rate as the window grows, %g%% CI", 100*(1-alpha)), "last cycle of the window", "rate (1/ps)")
	for k, s := range series {
		c := Color(k)
		AddPoints(flux, s.Cycles, s.Flux, transparent(c, 110), "")
		AddLine(flux, s.Cycles, s.Moving, c, vg.Points(1), false, fmt.Sprintf("%s, %d-cycle average", s.Label, window))
		AddLine(flux, s.Cycles, s.Cumulative, c, vg.Points(1.5), true, s.Label+", cumulative")
		AddBand(rate, s.EvoCycles, s.Lo, s.Hi, c, "")
		AddLine(rate, s.EvoCycles, s.Rate, c, vg.Points(1.5), false, s.Label)
	}
	flux.Legend.Top = true
	rate.Legend.Top = true
	roomForLegend(flux)
	roomForLegend(rate)
	return []Drawer{flux, rate}
}

// Profile1D returns the free-energy profile F ± err (kT) against the bin
// centres x, with an error band; kJ is kT in kJ/mol, for the axis label.
func Profile1D(title, xlabel string, x, f, err []float64, kJ float64) *plot.Plot {
	p := NewPlot(title, xlabel, fmt.Sprintf("F (kT; 1 kT = %.4g kJ/mol)", kJ))
	lo, hi := make([]float64, len(f)), make([]float64, len(f))
	for i := range f {
		lo[i], hi[i] = f[i]-err[i], f[i]+err[i]
	}
	AddBand(p, x, lo, hi, Color(0), "block-average error")
	AddLine(p, x, f, Color(0), vg.Points(1.5), false, "−ln p")
	p.Legend.Top = true
	roomForLegend(p)
	return p
}

// Profile2D returns the free energy F[i][j] (kT) over the edges xe × ye as
// a heat map; bins never visited are white.
func Profile2D(title, xlabel, ylabel string, xe, ye []float64, f [][]float64) WithBar {
	return Heat(title, xlabel, ylabel, "F (kT)", xe, ye, func(i, j int) float64 { return f[i][j] }, 0, 0)
}

// WeightStats are per-cycle statistics of walker weights.
type WeightStats struct {
	Cycles                     []float64
	Min, Q05, Median, Q95, Max []float64 // weights
	Walkers, States, Regions   []float64 // per cycle; Regions NaN when unknown
}

// Weights returns two panels: the weight distribution per cycle (log
// scale: minimum, median and maximum, the 5–95 % band), and the numbers of
// walkers, distinct states and occupied resampler regions or bins.
func Weights(title string, s WeightStats) []Drawer {
	w := NewPlot(title+": walker weights per cycle", "cycle", "log10 weight")
	lg := func(x []float64) []float64 {
		out := make([]float64, len(x))
		for i, v := range x {
			out[i] = math.Log10(v)
		}
		return out
	}
	AddBand(w, s.Cycles, lg(s.Q05), lg(s.Q95), Color(0), "5–95 % of the walkers")
	AddLine(w, s.Cycles, lg(s.Median), Color(0), vg.Points(1.5), false, "median")
	AddLine(w, s.Cycles, lg(s.Max), Color(1), vg.Points(1), false, "largest")
	AddLine(w, s.Cycles, lg(s.Min), Color(2), vg.Points(1), false, "smallest")
	w.Legend.Top = true
	roomForLegend(w)
	n := NewPlot(title+": walkers, states and regions per cycle", "cycle", "count")
	AddLine(n, s.Cycles, s.Walkers, Color(0), vg.Points(1.5), false, "walkers")
	AddLine(n, s.Cycles, s.States, Color(1), vg.Points(1), false, "distinct states")
	AddLine(n, s.Cycles, s.Regions, Color(2), vg.Points(1), false, "occupied regions or bins")
	n.Legend.Top = true
	n.Y.Min = 0
	roomForLegend(n)
	return []Drawer{w, n}
}

// Occupancy returns two panels for named groups (macrostates or regions)
// over cycles: the number of walkers in each, and the weight in each.
func Occupancy(title, what string, cycles []float64, names []string, count, weight [][]float64) []Drawer {
	c := NewPlot(title+": walkers per "+what, "cycle", "walkers")
	w := NewPlot(title+": weight per "+what, "cycle", "probability")
	for k, name := range names {
		AddLine(c, cycles, count[k], Color(k), vg.Points(1.2), false, name)
		AddLine(w, cycles, weight[k], Color(k), vg.Points(1.2), false, name)
	}
	c.Legend.Top, w.Legend.Top = true, true
	c.Y.Min, w.Y.Min = 0, 0
	roomForLegend(c)
	roomForLegend(w)
	return []Drawer{c, w}
}

// Regions returns the number of walkers in each resampler region or bin
// (rows, labelled in the caption by their order of first occupation) per
// cycle as a heat map; empty cells are white.
func Regions(title string, cycles []float64, count [][]float64) WithBar {
	xe := make([]float64, len(cycles)+1)
	for i, c := range cycles {
		xe[i] = c - 0.5
	}
	if len(cycles) > 0 {
		xe[len(cycles)] = cycles[len(cycles)-1] + 0.5
	}
	ye := make([]float64, len(count)+1)
	for i := range ye {
		ye[i] = float64(i) - 0.5
	}
	z := func(i, j int) float64 {
		if v := count[j][i]; v > 0 {
			return v
		}
		return math.NaN()
	}
	top := 1.0
	for _, row := range count {
		for _, v := range row {
			top = math.Max(top, v)
		}
	}
	h := Heat(title+": walkers per region or bin", "cycle", "region or bin (in order of first occupation)", "walkers", xe, ye, z, 0, top)
	h.Plot.X.Tick.Marker = intTicks{}
	h.Plot.Y.Tick.Marker = intTicks{}
	return h
}
