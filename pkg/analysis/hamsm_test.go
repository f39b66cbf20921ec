package analysis

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// birthDeath is a random walk on bins 0…n−1 (x = i + 0.5): one bin up
// with probability p, down with q, else stay; reflecting at 0 and at n−1.
func birthDeath(n int, p, q float64) [][]float64 {
	t := make([][]float64, n)
	for i := range t {
		t[i] = make([]float64, n)
		if i+1 < n {
			t[i][i+1] = p
		}
		if i > 0 {
			t[i][i-1] = q
		}
		var s float64
		for _, v := range t[i] {
			s += v
		}
		t[i][i] = 1 - s
	}
	return t
}

// exactMFPTChain returns the mean number of steps from bin `from` to the
// first visit of any bin ≥ target: m_i = 1 + Σ_j T_ij m_j with m = 0 in
// the target, solved directly (absorbing formulation, independent of the
// recycled steady state the haMSM uses).
func exactMFPTChain(t [][]float64, from, target int) float64 {
	n := target
	a := mat.NewDense(n, n, nil)
	b := mat.NewVecDense(n, nil)
	for i := range n {
		a.Set(i, i, 1)
		for j := range n {
			a.Set(i, j, a.At(i, j)-t[i][j])
		}
		b.SetVec(i, 1)
	}
	var m mat.VecDense
	if err := m.SolveVec(a, b); err != nil {
		panic(err)
	}
	return m.AtVec(from)
}

// TestHaMSMExactChain builds the model from one cycle whose transitions
// are exactly those of a known birth–death chain with a warping target at
// bin 9 and recycling to bin 0, so that the estimated matrix is the chain
// itself, and by the Hill relation the steady-state flux into the target
// is 1/MFPT(0 → 9) to round-off. Unweighted, each transition i → j is
// made by 10·T_ij walkers; weighted, by one walker of weight T_ij.
func TestHaMSMExactChain(t *testing.T) {
	const n = 10
	tr := birthDeath(n, 0.3, 0.2)
	exact := exactMFPTChain(tr, 0, n-1)
	for _, weighted := range []bool{false, true} {
		var h history
		var start, end, weight []float64
		var warped []int
		for i := 0; i < n-1; i++ {
			for j := range n {
				copies := int(math.Round(10 * tr[i][j]))
				if weighted && copies > 0 {
					copies = 1
				}
				for range copies {
					if j == n-1 {
						warped = append(warped, len(start))
					}
					start = append(start, float64(i)+0.5)
					end = append(end, float64(j)+0.5)
					weight = append(weight, tr[i][j])
				}
			}
		}
		h.init(start...)
		for k := range weight {
			h.last().Walkers[k].Weight = weight[k]
		}
		h.step(100, end...)
		h.resample(0.5, warped...)
		run, err := NewRun(h.entries, 0.01) // τ = 1 ps
		if err != nil {
			t.Fatal(err)
		}
		g, _ := NewGrid(UniformEdges(0, n, n))
		m, err := NewHaMSM(run, 0, len(run.Cycles), MSMOptions{Names: []string{"x"}, Grid: g, Weighted: weighted,
			Recycle: []RecyclePoint{{Obs: map[string]float64{"x": 0.5}, Weight: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Micro) != n-1 || m.Trimmed != 0 {
			t.Errorf("weighted %v: %d microstates (%d trimmed), want the 9 bins below the target", weighted, len(m.Micro), m.Trimmed)
		}
		for a, ms := range m.Micro {
			for b, mb := range m.Micro {
				if math.Abs(m.T[a][b]-tr[ms.Bin][mb.Bin]) > 1e-15 {
					t.Fatalf("weighted %v: T[%d][%d] = %v, want %v", weighted, ms.Bin, mb.Bin, m.T[a][b], tr[ms.Bin][mb.Bin])
				}
			}
		}
		if got := m.Tau / m.TargetFlux; math.Abs(got-exact)/exact > 1e-9 {
			t.Errorf("weighted %v: MFPT %v cycles, exact %v", weighted, got, exact)
		}
		if r := m.TargetRate(); math.Abs(r-1/exact) > 1e-9/exact {
			t.Errorf("weighted %v: rate %v /ps, want %v", weighted, r, 1/exact)
		}
		var s float64
		for _, p := range m.Pi {
			s += p
		}
		if math.Abs(s-1) > 1e-12 {
			t.Errorf("Σπ = %v", s)
		}
	}
}

// TestHaMSMLabels estimates the model from simulated walkers of a
// symmetric chain without warping, with states A (bins 0–1) and B (8–9).
// History augmentation makes k_AB exact in the Markov limit: entries into
// A from B all land in bin 1, so k_AB = 1/MFPT(1 → 8) by the Hill
// relation of the A-labelled walkers; and by symmetry k_BA = k_AB and
// p_A = p_B = ½. The tolerances are four times the spread over replicas
// of this simulation: 3.6 % for the rates (2.7 % measured over 20 seeds
// with 400 walkers × 400 cycles, scaled by √(160/90)) and 0.011 for p_A.
func TestHaMSMLabels(t *testing.T) {
	const n, walkers, cycles = 10, 300, 300
	tr := birthDeath(n, 0.3, 0.3)
	a, _ := ParseState("A:x<2")
	b, _ := ParseState("B:x>8")
	r := rand.New(rand.NewPCG(11, 12))
	var h history
	x := make([]float64, walkers)
	for i := range x {
		x[i] = float64(r.IntN(n)) + 0.5
	}
	h.init(x...)
	for range cycles {
		for i := range x {
			u, bin := r.Float64(), int(x[i])
			for j, p := range tr[bin] {
				if u < p {
					x[i] = float64(j) + 0.5
					break
				}
				u -= p
			}
		}
		h.step(10, x...)
		h.resample(0)
	}
	run, err := NewRun(h.entries, 0.1) // τ = 1 ps
	if err != nil {
		t.Fatal(err)
	}
	g, _ := NewGrid(UniformEdges(0, n, n))
	m, err := NewHaMSM(run, 0, len(run.Cycles), MSMOptions{Names: []string{"x"}, Grid: g, States: []State{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	want := 1 / exactMFPTChain(tr, 1, 8)
	kab, kba := m.Rate(0, 1), m.Rate(1, 0)
	t.Logf("k_AB %.4g, k_BA %.4g, exact %.4g /ps; p_A %.3f p_B %.3f; %d microstates", kab, kba, want, m.Pop[0], m.Pop[1], len(m.Micro))
	for _, k := range []float64{kab, kba} {
		if math.Abs(k-want)/want > 0.15 {
			t.Errorf("rate %.4g, exact %.4g", k, want)
		}
	}
	if math.Abs(m.Pop[0]-0.5) > 0.045 || m.Pop[2] != 0 {
		t.Errorf("p_A %v, unlabelled %v", m.Pop[0], m.Pop[2])
	}
	// Every bin of 2…7 appears with both labels; 0–1 only as A, 8–9 only
	// as B: 16 microstates once the unlabelled start is trimmed.
	if len(m.Micro) != 16 {
		t.Errorf("%d microstates: %v", len(m.Micro), m.Micro)
	}
}

func TestHaMSMErrors(t *testing.T) {
	var h history
	h.init(0.5, 1.5)
	h.step(1, 9.5, 1.5)
	h.resample(0.5, 0)
	run, _ := NewRun(h.entries, 0.01)
	g, _ := NewGrid(UniformEdges(0, 10, 10))
	if _, err := NewHaMSM(run, 0, 1, MSMOptions{Names: []string{"x"}, Grid: g}); err == nil {
		t.Error("warps without initial states to recycle to: accepted")
	}
	if _, err := NewHaMSM(run, 0, 0, MSMOptions{Names: []string{"x"}, Grid: g}); err == nil {
		t.Error("no cycles: accepted")
	}
	if _, err := NewHaMSM(run, 0, 1, MSMOptions{Names: []string{"x", "y"}, Grid: g}); err == nil {
		t.Error("two names for a 1-D grid: accepted")
	}
}

func TestSCC(t *testing.T) {
	// 0 ⇄ 1 → 2 ⇄ 3, 4 alone.
	comp := scc([][]int{{1}, {0, 2}, {3}, {2}, nil})
	if comp[0] != comp[1] || comp[2] != comp[3] || comp[0] == comp[2] || comp[4] == comp[0] || comp[4] == comp[2] {
		t.Errorf("components %v", comp)
	}
}
