package analyze

import (
	"fmt"
	"math"

	"github.com/wepipe/wepipe/internal/figure"
	"github.com/wepipe/wepipe/pkg/analysis"
)

// weightStats returns, for every cycle with dynamics, statistics of the
// weights of the walkers that entered it (each walker counting once), and
// the numbers of walkers, distinct states and occupied regions.
func weightStats(r analysis.Run) figure.WeightStats {
	var s figure.WeightStats
	for _, c := range dynamicCycles(r) {
		w := analysis.Weights(c.Start)
		ones := make([]float64, len(w))
		for i := range ones {
			ones[i] = 1
		}
		q := analysis.WeightedQuantiles(w, ones, 0, 0.05, 0.5, 0.95, 1)
		s.Cycles = append(s.Cycles, float64(c.Index))
		s.Min, s.Q05, s.Median, s.Q95, s.Max = append(s.Min, q[0]), append(s.Q05, q[1]), append(s.Median, q[2]), append(s.Q95, q[3]), append(s.Max, q[4])
		states := map[[32]byte]bool{}
		regions := map[string]bool{}
		for _, wk := range c.Start.Walkers {
			states[wk.State] = true
			if wk.Region != nil {
				regions[fmt.Sprint(wk.Region)] = true
			}
		}
		s.Walkers = append(s.Walkers, float64(len(w)))
		s.States = append(s.States, float64(len(states)))
		if len(regions) > 0 {
			s.Regions = append(s.Regions, float64(len(regions)))
		} else {
			s.Regions = append(s.Regions, math.NaN())
		}
	}
	return s
}

// regionCounts returns the number of walkers in each resampler region or
// bin (walkers[].region) entering every cycle with dynamics, regions in
// order of first occupation; nil when the resampler records none.
func regionCounts(r analysis.Run) (cycles []float64, count [][]float64) {
	index := map[string]int{}
	cs := dynamicCycles(r)
	for c, cy := range cs {
		cycles = append(cycles, float64(cy.Index))
		for _, wk := range cy.Start.Walkers {
			if wk.Region == nil {
				continue
			}
			key := fmt.Sprint(wk.Region)
			k, ok := index[key]
			if !ok {
				k = len(count)
				index[key] = k
				count = append(count, make([]float64, len(cs)))
			}
			count[k][c]++
		}
	}
	return cycles, count
}

// treeData returns the family tree of the run's cycles with dynamics:
// generation g is the ensemble that entered cycle g, and each of its
// walkers continues a walker of generation g−1 through the resampling
// between them.
func treeData(r analysis.Run) figure.TreeData {
	var t figure.TreeData
	cs := dynamicCycles(r)
	for g, c := range cs {
		t.Cycles = append(t.Cycles, float64(c.Index))
		t.Weights = append(t.Weights, analysis.Weights(c.Start))
		parents := make([]int, len(c.Start.Walkers))
		linked := g > 0 && cs[g-1].Resample == c.Start
		for j, wk := range c.Start.Walkers {
			parents[j] = -1
			if linked {
				parents[j] = wk.Parent
			}
		}
		t.Parents = append(t.Parents, parents)
		warped := make([]bool, len(c.Start.Walkers))
		if c.Resample != nil {
			for _, w := range c.Resample.Warps {
				if w.Walker >= 0 && w.Walker < len(warped) {
					warped[w.Walker] = true
				}
			}
		}
		t.Warped = append(t.Warped, warped)
	}
	return t
}

// runFigure is we-summary's plot: the weight distribution, the counts of
// walkers, states and regions, and the walkers per region, per cycle.
func runFigure(r analysis.Run, title string) []figure.Drawer {
	panels := figure.Weights(title, weightStats(r))
	if cycles, count := regionCounts(r); len(count) > 0 {
		panels = append(panels, figure.Regions(title, cycles, count))
	}
	return panels
}
