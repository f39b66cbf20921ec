package analysis

import (
	"fmt"
	"strings"

	"github.com/wepipe/wepipe/pkg/record"
	"github.com/wepipe/wepipe/pkg/warp"
)

// State is a kinetic macrostate: the region of observable space where all
// of its conditions hold.
type State struct {
	Name  string
	Conds []warp.Cond
}

func (s State) String() string {
	c := make([]string, len(s.Conds))
	for i, x := range s.Conds {
		c[i] = x.String()
	}
	return s.Name + ":" + strings.Join(c, ",")
}

// ParseState parses a macrostate definition NAME:COND[,COND…], each COND
// an observable compared with a number as warping conditions are
// (warp.Parse): "bound:r<0.45", "A:x<-0.3,y>1.2".
func ParseState(s string) (State, error) {
	name, conds, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.TrimSpace(conds) == "" {
		return State{}, fmt.Errorf("state %q: want NAME:COND[,COND…], e.g. bound:r<0.45", s)
	}
	st := State{Name: name}
	for _, c := range strings.Split(conds, ",") {
		cond, err := warp.Parse(c)
		if err != nil {
			return State{}, fmt.Errorf("state %q: %w", s, err)
		}
		st.Conds = append(st.Conds, cond)
	}
	return st, nil
}

// StatesObs lists the observables the states' conditions use.
func StatesObs(states []State) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range states {
		for _, c := range s.Conds {
			if !seen[c.Obs] {
				seen[c.Obs] = true
				out = append(out, c.Obs)
			}
		}
	}
	return out
}

// Assign returns the index of the first state whose conditions all hold
// for obs, or −1 when none does (or an observable is missing: callers
// check the names first with StatesObs).
func Assign(states []State, obs map[string]float64) int {
	for i, s := range states {
		in := true
		for _, c := range s.Conds {
			if met, err := c.Met(obs); err != nil || !met {
				in = false
				break
			}
		}
		if in {
			return i
		}
	}
	return -1
}

// Macro holds the macrostate kinetics of the cycles of a run, as WESTPA's
// w_assign and w_direct define them: every walker is labelled with the
// last macrostate it visited (observed at the end of each cycle's
// dynamics); a change of label during a cycle is a transition whose weight
// is a flux from the old state to the new. States are indexed as given;
// index len(States) stands for "no state visited yet".
type Macro struct {
	States []State
	Cycles []uint64 // the cycles' indices
	// Pop[c][i] is the weight labelled i among the walkers that entered
	// cycle c's dynamics (after warping and resampling).
	Pop [][]float64
	// In[c][i] and Count[c][i] are the weight and number of the walkers
	// inside state i at the end of cycle c's dynamics (i = len(States):
	// in none).
	In    [][]float64
	Count [][]int
	// Flux[c][i][j] is the weight whose label changed from i to j during
	// cycle c; Arrivals counts those walkers.
	Flux     [][][]float64
	Arrivals [][][]int
}

// endLabels returns each walker's label after the dynamics of a cycle: the
// state it is in, else its label before.
func endLabels(states []State, end *record.Snapshot, before []int) []int {
	out := make([]int, len(end.Walkers))
	for i, w := range end.Walkers {
		out[i] = before[i]
		if a := Assign(states, w.Obs); a >= 0 {
			out[i] = a
		}
	}
	return out
}

func assignAll(states []State, s *record.Snapshot) []int {
	out := make([]int, len(s.Walkers))
	for i, w := range s.Walkers {
		out[i] = Assign(states, w.Obs)
	}
	return out
}

// resampleLabels carries labels through a resampling: a walker continues
// its parent's label, except one descended from a warped walker, which
// starts over in an initial state and is labelled by where that is (as
// WESTPA labels a recycled trajectory).
func resampleLabels(states []State, r *record.Snapshot, parent []int) []int {
	warped := map[int]bool{}
	for _, w := range r.Warps {
		warped[w.Walker] = true
	}
	out := make([]int, len(r.Walkers))
	for j, w := range r.Walkers {
		switch {
		case w.Parent < 0 || w.Parent >= len(parent) || warped[w.Parent]:
			out[j] = Assign(states, w.Obs)
		default:
			out[j] = parent[w.Parent]
		}
	}
	return out
}

// Trace labels every walker of every cycle: start labels (entering the
// dynamics) and end labels (after it). A cycle whose Start is not the
// previous cycle's Resample (the first, or one after a pooling merge)
// starts from the states the walkers are in.
func Trace(run Run, states []State) (start, end [][]int) {
	start = make([][]int, len(run.Cycles))
	end = make([][]int, len(run.Cycles))
	for c, cy := range run.Cycles {
		if c > 0 && run.Cycles[c-1].Resample == cy.Start {
			start[c] = resampleLabels(states, cy.Start, end[c-1])
		} else {
			start[c] = assignAll(states, cy.Start)
		}
		end[c] = endLabels(states, cy.End, start[c])
	}
	return start, end
}

// Kinetics labels the walkers of every cycle of run (Trace) and sums the
// labelled populations, occupancies and transitions.
func Kinetics(run Run, states []State) Macro {
	ns := len(states)
	m := Macro{States: states}
	start, end := Trace(run, states)
	idx := func(l int) int {
		if l < 0 {
			return ns
		}
		return l
	}
	for c, cy := range run.Cycles {
		m.Cycles = append(m.Cycles, cy.Index)
		pop := make([]float64, ns+1)
		for i, w := range cy.Start.Walkers {
			pop[idx(start[c][i])] += w.Weight
		}
		in := make([]float64, ns+1)
		count := make([]int, ns+1)
		flux := make([][]float64, ns+1)
		arr := make([][]int, ns+1)
		for i := range flux {
			flux[i] = make([]float64, ns+1)
			arr[i] = make([]int, ns+1)
		}
		for i, w := range cy.End.Walkers {
			a := Assign(states, w.Obs)
			in[idx(a)] += w.Weight
			count[idx(a)]++
			if from, to := start[c][i], end[c][i]; from >= 0 && to != from {
				flux[from][to] += w.Weight
				arr[from][to]++
			}
		}
		m.Pop = append(m.Pop, pop)
		m.In = append(m.In, in)
		m.Count = append(m.Count, count)
		m.Flux = append(m.Flux, flux)
		m.Arrivals = append(m.Arrivals, arr)
	}
	return m
}

// RateSeries returns, for the cycles [lo, hi) of m (positions in
// m.Cycles), the flux i→j of each cycle and the pairwise-normalised
// population of i, p_i/(p_i + p_j) (p_i when both are 0), the two series
// whose RatioEstimator is WESTPA's rate from i to j per cycle
// (sequence_macro_flux_to_rate with pairwise = true, w_direct's default):
//
//	k_ij = Σ_c F_ij(c) / Σ_c p_i(c)/(p_i(c) + p_j(c))
//
// Pairwise normalisation makes the rate depend only on the definitions of
// i and j, not on how much weight is labelled with a third state.
func (m Macro) RateSeries(i, j, lo, hi int) (flux, pop []float64) {
	for c := lo; c < hi; c++ {
		flux = append(flux, m.Flux[c][i][j])
		pi, pj := m.Pop[c][i], m.Pop[c][j]
		if pi+pj != 0 {
			pop = append(pop, pi/(pi+pj))
		} else {
			pop = append(pop, pi)
		}
	}
	return flux, pop
}
