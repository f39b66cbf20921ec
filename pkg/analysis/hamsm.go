package analysis

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// RecyclePoint is where warping returns walkers: the observables of an
// initial state of the system and its relative weight (FORMAT.md §4.1,
// initial[]).
type RecyclePoint struct {
	Obs    map[string]float64
	Weight float64
}

// MSMOptions configure NewHaMSM.
type MSMOptions struct {
	// Names are the observables the Grid bins, in its dimension order.
	Names []string
	Grid  Grid
	// States are the macrostates whose last visit augments each bin.
	States []State
	// Recycle are the initial states warped walkers return to; needed
	// when the cycles hold warps.
	Recycle []RecyclePoint
	// MaxStates bounds the microstates of the model (default 2000): the
	// steady state is a dense linear solve, O(n³).
	MaxStates int
	// Timestep (ps) makes the lag time the mean dynamics time of the
	// cycles used (MeanTau); without it the lag is run.Tau.
	Timestep float64
	// Weighted counts each transition with its walker's weight
	// (Copperman and Zuckerman's flux matrix) instead of once (see
	// NewHaMSM).
	Weighted bool
}

// Microstate is a state of the history-augmented model: a bin of the
// grid (−1: outside it) and the label of the last macrostate visited
// (−1: none yet).
type Microstate struct {
	Bin   int
	Label int
}

// HaMSM is a history-augmented Markov state model estimated from the
// transitions of a weighted-ensemble run, and its steady state.
type HaMSM struct {
	Micro []Microstate // the microstates kept, sorted by label then bin
	// T[a][b] is the probability of going from a to b in one cycle
	// (the model's lag time τ); Sink[a] that of reaching a warping target
	// from a. Each row of T plus its Sink sums to 1.
	T    [][]float64
	Sink []float64
	// Recycle is where the flux into the targets re-enters: a
	// distribution over Micro.
	Recycle []float64
	// Pi is the steady state of T with the sink flux recycled.
	Pi []float64
	// Transitions counts the walker transitions the model was built from;
	// Trimmed the microstates left out because the steady-state chain
	// cannot both reach them and leave them.
	Transitions int
	Trimmed     int
	Tau         float64 // lag time: dynamics time per cycle (ps)
	// TargetFlux is the steady-state probability flux into the warping
	// targets per cycle, Σ_a π_a Sink_a.
	TargetFlux float64
	// Pop[l] is the steady-state probability labelled l (index
	// len(States): none), Flux[i][j] the steady-state flux per cycle of
	// transitions from label i to label j.
	Pop  []float64
	Flux [][]float64
}

// NewHaMSM builds a history-augmented Markov state model (haMSM) from the
// cycles [lo, hi) (positions in run.Cycles) of a run and solves for its
// steady state. Each microstate is a fine bin of the observables crossed
// with the macrostate the walker last visited (Trace); each walker of
// each cycle closed by a resampling gives one transition, weighted by the
// walker's weight, from its microstate when its dynamics began to its
// microstate when it ended, or into the sink when it met a warping
// target. The transition matrix is the row-normalised weighted count
// matrix with a lag of one cycle. Recycling sends the sink's flux back to
// the initial states (Recycle); the steady state π solves π T' = π,
// Σπ = 1, with T' the matrix with recycling, restricted to its strongly
// connected part that holds the recycling states (without warps: the one
// with the most transition weight).
//
// The haMSM gives the steady-state flux and the mean first-passage time
// long before the WE run itself reaches steady state: the transition
// probabilities between fine bins relax quickly, while the flux into the
// target needs the whole ensemble to relax. Labelling each bin by the last
// macrostate visited keeps the model exact for the A→B rate even when the
// bins are not Markovian at the macrostate level. References: Suárez et
// al., J. Chem. Theory Comput. 10, 2658 (2014) (history augmentation and
// steady-state rates from WE); Copperman and Zuckerman, J. Chem. Theory
// Comput. 16, 6763 (2020) (haMSMs from WE data with fine "microbins",
// which WESTPA's hamsm_restarting plugin implements).
func NewHaMSM(run Run, lo, hi int, o MSMOptions) (*HaMSM, error) {
	if o.MaxStates == 0 {
		o.MaxStates = 2000
	}
	if len(o.Names) != o.Grid.Dims() {
		return nil, fmt.Errorf("haMSM: %d observables for a %d-dimensional grid", len(o.Names), o.Grid.Dims())
	}
	start, end := Trace(run, o.States)
	ids := map[Microstate]int{}
	var micro []Microstate
	id := func(m Microstate) int {
		if i, ok := ids[m]; ok {
			return i
		}
		ids[m] = len(micro)
		micro = append(micro, m)
		return len(micro) - 1
	}
	x := make([]float64, len(o.Names))
	binOf := func(obs map[string]float64) int {
		for d, n := range o.Names {
			x[d] = obs[n]
		}
		return o.Grid.Index(x)
	}
	counts := map[[2]int]float64{}
	var sink []float64
	addSink := func(a int, w float64) {
		for len(sink) <= a {
			sink = append(sink, 0)
		}
		sink[a] += w
	}
	h := &HaMSM{Tau: run.Tau}
	wt := func(w float64) float64 {
		if o.Weighted {
			return w
		}
		return 1
	}
	var used []Cycle
	for c := lo; c < hi; c++ {
		cy := run.Cycles[c]
		if cy.Resample == nil || cy.End == cy.Start {
			continue
		}
		used = append(used, cy)
		warped := map[int]bool{}
		for _, w := range cy.Resample.Warps {
			warped[w.Walker] = true
		}
		for i, w := range cy.End.Walkers {
			a := id(Microstate{binOf(cy.Start.Walkers[i].Obs), start[c][i]})
			h.Transitions++
			if warped[i] {
				addSink(a, wt(w.Weight))
				continue
			}
			b := id(Microstate{binOf(w.Obs), end[c][i]})
			counts[[2]int{a, b}] += wt(w.Weight)
		}
	}
	if h.Transitions == 0 {
		return nil, fmt.Errorf("haMSM: no transitions in the cycles chosen")
	}
	if o.Timestep > 0 {
		h.Tau = MeanTau(used, o.Timestep)
	}
	for len(sink) < len(micro) {
		sink = append(sink, 0)
	}
	q := make([]float64, len(micro))
	anySink := false
	for _, s := range sink {
		anySink = anySink || s > 0
	}
	if anySink {
		if len(o.Recycle) == 0 {
			return nil, fmt.Errorf("haMSM: the run has warps but no initial states to recycle to")
		}
		for _, r := range o.Recycle {
			m := Microstate{binOf(r.Obs), Assign(o.States, r.Obs)}
			i, ok := ids[m]
			if !ok {
				// An initial state no walker was seen in: it still
				// receives the recycled flux.
				i = id(m)
				q = append(q, 0)
				sink = append(sink, 0)
			}
			q[i] += r.Weight
		}
	}
	n := len(micro)
	// Edges for the strongly connected parts: observed transitions, and
	// sink → recycle states.
	adj := make([][]int, n)
	out := make([]float64, n)
	for k, w := range counts {
		adj[k[0]] = append(adj[k[0]], k[1])
		out[k[0]] += w
	}
	var recycleStates []int
	for i, v := range q {
		if v > 0 {
			recycleStates = append(recycleStates, i)
		}
	}
	for a, s := range sink {
		if s > 0 {
			adj[a] = append(adj[a], recycleStates...)
			out[a] += s
		}
	}
	comp := scc(adj)
	keepComp := -1
	if anySink {
		best := -1.0
		for _, i := range recycleStates {
			if q[i] > best {
				best, keepComp = q[i], comp[i]
			}
		}
	} else {
		mass := map[int]float64{}
		for a, w := range out {
			mass[comp[a]] += w
		}
		best := -1.0
		for cmp, w := range mass {
			if w > best || (w == best && cmp < keepComp) {
				best, keepComp = w, cmp
			}
		}
	}
	var keep []int
	for a := range micro {
		if comp[a] == keepComp && out[a] > 0 {
			keep = append(keep, a)
		}
	}
	sort.Slice(keep, func(i, j int) bool {
		mi, mj := micro[keep[i]], micro[keep[j]]
		if mi.Label != mj.Label {
			return mi.Label < mj.Label
		}
		return mi.Bin < mj.Bin
	})
	h.Trimmed = n - len(keep)
	if len(keep) > o.MaxStates {
		return nil, fmt.Errorf("haMSM: %d microstates, more than %d (use fewer bins)", len(keep), o.MaxStates)
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("haMSM: no microstate is both reached and left")
	}
	pos := make(map[int]int, len(keep))
	for i, a := range keep {
		pos[a] = i
		h.Micro = append(h.Micro, micro[a])
	}
	m := len(keep)
	h.T = make([][]float64, m)
	h.Sink = make([]float64, m)
	h.Recycle = make([]float64, m)
	for i := range h.T {
		h.T[i] = make([]float64, m)
	}
	for k, w := range counts {
		i, ok1 := pos[k[0]]
		j, ok2 := pos[k[1]]
		if ok1 && ok2 {
			h.T[i][j] += w
		}
	}
	var qsum float64
	for i, a := range keep {
		h.Sink[i] = sink[a]
		h.Recycle[i] = q[a]
		qsum += q[a]
	}
	for i := range h.T {
		row := h.Sink[i]
		for _, v := range h.T[i] {
			row += v
		}
		for j := range h.T[i] {
			h.T[i][j] /= row
		}
		h.Sink[i] /= row
	}
	if qsum > 0 {
		for i := range h.Recycle {
			h.Recycle[i] /= qsum
		}
	}
	pi, err := steadyState(h.T, h.Sink, h.Recycle)
	if err != nil {
		return nil, err
	}
	h.Pi = pi
	ns := len(o.States)
	h.Pop = make([]float64, ns+1)
	h.Flux = make([][]float64, ns+1)
	for i := range h.Flux {
		h.Flux[i] = make([]float64, ns+1)
	}
	lab := func(l int) int {
		if l < 0 {
			return ns
		}
		return l
	}
	for a, p := range pi {
		h.TargetFlux += p * h.Sink[a]
		la := lab(h.Micro[a].Label)
		h.Pop[la] += p
		for b, t := range h.T[a] {
			if lb := lab(h.Micro[b].Label); lb != la && t > 0 {
				h.Flux[la][lb] += p * t
			}
		}
	}
	return h, nil
}

// Rate returns the steady-state rate from macrostate i to j in 1/ps,
// normalised pairwise as RateSeries: F_ij / (p_i/(p_i + p_j)) / τ.
func (h *HaMSM) Rate(i, j int) float64 {
	pi, pj := h.Pop[i], h.Pop[j]
	p := pi
	if pi+pj > 0 {
		p = pi / (pi + pj)
	}
	if p <= 0 || h.Tau <= 0 {
		return 0
	}
	return h.Flux[i][j] / p / h.Tau
}

// TargetRate returns the steady-state rate into the warping targets in
// 1/ps, TargetFlux/τ (the Hill relation): 1/MFPT.
func (h *HaMSM) TargetRate() float64 {
	if h.Tau <= 0 {
		return 0
	}
	return h.TargetFlux / h.Tau
}

// steadyState solves π T' = π, Σπ = 1 for T' = T + sink·recycleᵀ by LU
// decomposition: the transposed system (I − T')ᵀ πᵀ = 0 with its last
// equation replaced by the normalisation.
func steadyState(t [][]float64, sink, recycle []float64) ([]float64, error) {
	n := len(t)
	a := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			v := -(t[i][j] + sink[i]*recycle[j])
			if i == j {
				v += 1
			}
			a.Set(j, i, v) // transposed
		}
	}
	for j := range n {
		a.Set(n-1, j, 1)
	}
	b := mat.NewVecDense(n, nil)
	b.SetVec(n-1, 1)
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		return nil, fmt.Errorf("haMSM: steady state: %w", err)
	}
	pi := make([]float64, n)
	for i := range pi {
		// Round-off can leave tiny negative probabilities.
		pi[i] = math.Max(0, x.AtVec(i))
	}
	normalise(pi)
	return pi, nil
}

// scc labels the strongly connected components of a directed graph
// (Tarjan's algorithm, iterative).
func scc(adj [][]int) []int {
	n := len(adj)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	type frame struct{ v, e int }
	for s := range n {
		if index[s] >= 0 {
			continue
		}
		call := []frame{{s, 0}}
		index[s], low[s] = next, next
		next++
		stack = append(stack, s)
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.e < len(adj[f.v]) {
				w := adj[f.v][f.e]
				f.e++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == v {
						break
					}
				}
				ncomp++
			}
		}
	}
	return comp
}
