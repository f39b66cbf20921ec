package resample

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/wepipe/wepipe/pkg/fmath"
	"github.com/wepipe/wepipe/pkg/rng"
)

// Merge algorithms of REVO (wepy's merge_alg).
const (
	// REVOMergePairs merges, among all eligible pairs, the one with the
	// smallest expected variation loss (wepy's default).
	REVOMergePairs = "pairs"
	// REVOMergeGreedy merges the eligible walker of lowest variation with
	// its closest eligible neighbour.
	REVOMergeGreedy = "greedy"
)

// wepy's defaults (REVOResamplerFactory in
// src/wepy/resampling/resamplers/revo.py).
const (
	REVODefaultPMin         = 1e-12
	REVODefaultPMax         = 0.1
	REVODefaultDistExponent = 4
	REVODefaultMergeAlg     = REVOMergePairs
)

// REVO is the Resampling Ensembles by Variation Optimization resampler of
// Donyapour, Roussey & Dickson, J. Chem. Phys. 150, 244112 (2019), as
// implemented by wepy's REVOResampler (ADicksonLab/wepy,
// src/wepy/resampling/resamplers/revo.py, with CloneMergeResampler.assign_clones
// in resamplers/clone_merge.py and MultiCloneMergeDecision.action in
// decisions/clone_merge.py). It keeps the number of walkers.
//
// REVO maximises the trajectory variation
//
//	V = Σ_{i<j} (d_ij/d₀)^α φ_i φ_j c_i c_j,   V_i = φ_i Σ_{j≠i} (d_ij/d₀)^α φ_j c_j,
//
// where d_ij is the distance between the images of walkers i and j, d₀ the
// characteristic distance CharDist, α the DistExponent, c_i the number of
// copies of walker i and φ_i = max(0, ln(w_i/c_i) − ln(PMin/100)) its
// novelty (φ_i = 1 with NoWeightNovelty; φ_i = 0 when w_i or c_i is 0).
//
// The greedy optimisation (wepy's REVOResampler.decide) repeats:
//
//  1. Clone candidate: the walker of largest V_i (ties: largest index)
//     among those with c_i ≥ 1, w_i/(c_i+1) > PMin that have not absorbed
//     a merge.
//  2. Merge pair, among walkers with c = 1 other than the clone candidate,
//     with w_i + w_j < PMax and d_ij < MergeDist. "pairs": the pair i < j
//     of least expected loss (w_j V_i + w_i V_j)/(w_i + w_j) (ties: first
//     in (i, j) order). "greedy": the walker of least V_i (ties: smallest
//     index) with w_i < PMax, merged with its nearest eligible partner
//     (ties: smallest index); none if it is the clone candidate.
//  3. Trial: give the pair fractional copies c_i = w_i/(w_i+w_j),
//     c_j = w_j/(w_i+w_j) and the clone candidate one more copy; accept if
//     the trial variation strictly exceeds the previous accepted trial
//     variation (the initial variation at first), else stop.
//  4. On acceptance draw the survivor with probability proportional to
//     weight, one r.Choice([w_j, w_i]) where j is the second walker of the
//     pair (wepy's closewalk), give it the pair's weight, and recompute
//     the variation with integer copies.
//
// Slots and records follow wepy's assign_clones: merge groups in order of
// their survivor's index free their squashed walkers' slots; clones, in
// order of index, take their own slot then pop free slots from the end.
// A clone has weight w/n; a survivor's weight is the sum of its own and
// its squashed walkers' input weights in index order, with CPython ≥ 3.12
// sum()'s Neumaier compensation (keep_merge in src/wepy/walker.py).
//
// Where wepy has no defined behaviour this implementation stops the
// optimisation: with "pairs" when no walker can be cloned (wepy then
// indexes with None and crashes, or stops), and with "greedy" when the
// lowest-variation walker has no partner under PMax at all. In that case
// current wepy reads the partner list left from the previous iteration
// (its closewalks_dists), which merges a walker already squashed
// (ValueError in MultiCloneMergeDecision.action) or one beyond PMax and
// MergeDist, or raises UnboundLocalError on the first iteration; wepy's
// greedy-only revision before "pairs" existed stopped here, as we do.
//
// Speed: wepy recomputes the O(N²) variation after every step, O(N³) in
// all. Here D_ij = (d_ij/d₀)^α is computed once, in parallel, and the
// sums S_i = Σ_j D_ij φ_j c_j are updated in O(N) after each step, in one
// sweep (split among goroutines for large N) that also finds the next
// clone candidate and the walkers of least V. The "pairs" search visits
// walkers in increasing V_i and stops once V_i exceeds the best loss
// found: the loss is a weighted mean of V_i and V_j, never below the
// smaller one. The quantities are wepy's: (d/d₀)^α and ln are correctly
// rounded (revoPowInt, revoLog), which is what C's pow and log, used by
// CPython, return to within their 0.52 ulp; only the sums are taken in
// another order. Decisions therefore equal wepy's except where two
// candidates tie to within rounding, which random ensembles essentially
// never do but mathematically tied ones can (1-D images with α = 1 and
// unit novelty, where V is piecewise linear); wepy then decides by its
// own rounding and so may differ. Products are rounded before they are
// added (no implicit fused multiply-add) and no architecture-specific
// math routine is used, so results are the same on every machine and
// for any Workers. Memory: 8N² bytes (75 MB for 3,072 walkers, 800 MB
// for 10,000).
type REVO struct {
	// MergeDist is the largest distance (exclusive) between two merged
	// walkers, in the metric's units. Required.
	MergeDist float64
	// CharDist is the characteristic distance d₀ that makes d/d₀
	// dimensionless. Required.
	CharDist float64
	// PMin is the smallest weight a clone may have (exclusive); 0 means
	// REVODefaultPMin. It also sets the novelty floor ln(PMin/100).
	PMin float64
	// PMax is the bound (exclusive) on the weight of a merged walker; 0
	// means REVODefaultPMax.
	PMax float64
	// DistExponent is the integer α (wepy's dist_exponent: int), 1 to
	// 64; 0 means REVODefaultDistExponent.
	DistExponent int
	// MergeAlg is REVOMergePairs or REVOMergeGreedy; "" means
	// REVODefaultMergeAlg.
	MergeAlg string
	// NoWeightNovelty sets φ = 1 for every live walker (wepy's
	// weights=False).
	NoWeightNovelty bool
	// Metric is the distance between images; nil means Euclidean, with
	// every square rounded before it is summed (the same bits as
	// Euclidean wherever the compiler does not fuse multiply-adds, as on
	// amd64). It must be a pure function: it is called from several
	// goroutines at once, and again for a pair whose D ties with
	// (MergeDist/d₀)^α.
	Metric Metric
	// Workers bounds the goroutines that compute the distance matrix and
	// share each step's sweep over the walkers; 0 means
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Workers int

	// splitMin is the least number of walkers per goroutine in a step's
	// sweep; 0 means revoParallelMin. Tests lower it.
	splitMin int
}

// withDefaults fills the zero-valued optional fields with wepy's defaults.
func (c REVO) withDefaults() REVO {
	if c.PMin == 0 {
		c.PMin = REVODefaultPMin
	}
	if c.PMax == 0 {
		c.PMax = REVODefaultPMax
	}
	if c.DistExponent == 0 {
		c.DistExponent = REVODefaultDistExponent
	}
	if c.MergeAlg == "" {
		c.MergeAlg = REVODefaultMergeAlg
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.splitMin <= 0 {
		c.splitMin = revoParallelMin
	}
	return c
}

// Validate reports whether the configuration, with defaults applied, is
// usable.
func (c REVO) Validate() error {
	c = c.withDefaults()
	finitePos := func(x float64) bool { return x > 0 && !math.IsInf(x, 1) }
	switch {
	case !finitePos(c.MergeDist):
		return fmt.Errorf("resample: revo: merge distance must be positive and finite, got %v", c.MergeDist)
	case !finitePos(c.CharDist):
		return fmt.Errorf("resample: revo: characteristic distance must be positive and finite, got %v", c.CharDist)
	case !finitePos(c.PMin):
		return fmt.Errorf("resample: revo: pmin must be positive and finite, got %v", c.PMin)
	case !finitePos(c.PMax):
		return fmt.Errorf("resample: revo: pmax must be positive and finite, got %v", c.PMax)
	case c.PMin >= c.PMax:
		return fmt.Errorf("resample: revo: pmin %v must be below pmax %v", c.PMin, c.PMax)
	case c.DistExponent < 1 || c.DistExponent > 64:
		return fmt.Errorf("resample: revo: distance exponent must be an integer from 1 to 64, got %d", c.DistExponent)
	case c.MergeAlg != REVOMergePairs && c.MergeAlg != REVOMergeGreedy:
		return fmt.Errorf("resample: revo: unknown merge algorithm %q (want %q or %q)", c.MergeAlg, REVOMergePairs, REVOMergeGreedy)
	}
	return nil
}

// Resample implements Resampler. REVO is stateless: state is ignored and
// Result.State is nil. Weights must be positive and finite.
//
// Summary keys: "variation" (after resampling), "variation_initial",
// "n_clones", "n_merges" (walkers cloned into and squashed; equal in
// REVO), "n_walkers", and "dist_min", "dist_max", "dist_mean" over the
// N(N−1)/2 distinct pairs (0 for a single walker).
func (c REVO) Resample(walkers []Walker, state []byte, r *rng.Stream) (Result, error) {
	if err := c.Validate(); err != nil {
		return Result{}, err
	}
	c = c.withDefaults()
	n := len(walkers)
	if n == 0 {
		return Result{}, ErrEmpty
	}
	for i, w := range walkers {
		if !(w.Weight > 0) || math.IsInf(w.Weight, 1) {
			return Result{}, fmt.Errorf("resample: revo: walker %d has weight %v, want positive and finite", i, w.Weight)
		}
	}
	if c.Metric == nil {
		for i, w := range walkers {
			if len(w.Image) != len(walkers[0].Image) {
				return Result{}, fmt.Errorf("resample: revo: walker %d image has length %d, walker 0 has %d", i, len(w.Image), len(walkers[0].Image))
			}
		}
	}

	st := revoNewState(c, walkers)
	stats, err := st.matrix()
	if err != nil {
		return Result{}, err
	}
	if err := st.init(); err != nil {
		return Result{}, err
	}
	steps := st.optimize(r)

	records, err := revoAssignClones(st.groups, st.clones)
	if err != nil {
		return Result{}, err
	}
	out := revoApply(records, walkers)

	summary := map[string]float64{
		"variation":         st.variation,
		"variation_initial": st.variationInit,
		"n_clones":          float64(steps),
		"n_merges":          float64(steps),
		"n_walkers":         float64(n),
		"dist_min":          stats.min,
		"dist_max":          stats.max,
		"dist_mean":         stats.mean,
	}
	return Result{Walkers: out, Records: records, Summary: summary}, nil
}

// revoDistStats summarises the distinct pairwise distances.
type revoDistStats struct{ min, max, mean float64 }

// revoParallel calls body(i) for i in [0, n) from up to workers
// goroutines, handing out chunk indices at a time. Each index is handled
// by one goroutine, so results written per index do not depend on
// scheduling.
func revoParallel(n, workers, chunk int, body func(i int)) {
	if workers <= 1 || n <= chunk {
		for i := range n {
			body(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, (n+chunk-1)/chunk) {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					body(i)
				}
			}
		})
	}
	wg.Wait()
}

// revoLowK is how many eligible walkers of least V each pass keeps for the
// "pairs" search; the search falls back to a full pass when it needs
// more.
const revoLowK = 32

// revoParallelMin is the ensemble size from which the per-step pass is
// split among goroutines; below it the synchronisation costs more than
// it saves.
const revoParallelMin = 4096

// revoState is the optimiser's state: wepy's new_walker_weights,
// new_num_walker_copies, merge_groups and walker_clone_nums, plus the
// running sums that replace its full recomputation of the variation.
type revoState struct {
	cfg     REVO
	walkers []Walker
	n       int
	// dd holds D_ij = (d_ij/d₀)^α, row-major n×n. d itself is not kept:
	// d < MergeDist is read from D against dMerge = (MergeDist/d₀)^α, the
	// power being monotone, and recomputed with the metric when the two
	// are equal.
	dd     []float64
	dMerge float64
	lpmin  float64 // ln(PMin/100)
	alpha  int

	w    []float64 // weights (a survivor accumulates its pair's weight)
	c    []float64 // copies: 0 squashed, 1 single, k cloned into k
	phi  []float64 // novelty φ(w, c)
	g    []float64 // φ·c
	s    []float64 // S_i = Σ_j D_ij g_j
	v    []float64 // V_i = φ_i S_i (0 when c_i = 0, as then φ_i = 0)
	keep []bool    // has absorbed a merge (wepy: merge group non-empty)
	// cloneable: c ≥ 1, w/(c+1) > PMin and not keep.
	cloneable []bool
	// lonely marks walkers with no eligible merge partner left. Pair
	// eligibility only ever shrinks (copies leave 1 for good, weights only
	// grow, and the clone candidate excluded in a step either gets a copy
	// or ends the optimisation), so the mark is permanent.
	lonely []bool

	pass  revoPass   // reductions of the latest pass over the walkers
	parts []revoPass // per-goroutine parts of a split pass
	heap  []int      // "pairs" fallback queue
	scans []revoPairKey

	groups [][]int
	clones []int

	variationInit float64 // variation of the input ensemble
	variation     float64 // variation after the last accepted step
	trial         float64 // wepy's `variation`: the last accepted trial value
}

// revoPass holds what one sweep over the walkers finds for the next step.
type revoPass struct {
	clone  int   // cloneable walker of largest (V, index), or -1
	greedy int   // single-copy walker under PMax of least (V, index), or -1
	elig   []int // single-copy, not lonely walkers (the possible merge partners), ascending
	low    []int // up to revoLowK of elig of least (V, index), ascending
	full   bool  // low holds all of elig
}

func revoNewState(cfg REVO, walkers []Walker) *revoState {
	n := len(walkers)
	st := &revoState{
		cfg:       cfg,
		walkers:   walkers,
		n:         n,
		lpmin:     revoLog(cfg.PMin / 100),
		alpha:     cfg.DistExponent,
		w:         make([]float64, n),
		c:         make([]float64, n),
		phi:       make([]float64, n),
		g:         make([]float64, n),
		s:         make([]float64, n),
		v:         make([]float64, n),
		keep:      make([]bool, n),
		cloneable: make([]bool, n),
		lonely:    make([]bool, n),
		groups:    make([][]int, n),
		clones:    make([]int, n),
	}
	st.dMerge = st.dist(cfg.MergeDist)
	for i, wk := range walkers {
		st.w[i] = wk.Weight
		st.c[i] = 1
	}
	return st
}

// dist returns D = (d/d₀)^α for a distance d.
func (st *revoState) dist(d float64) float64 {
	x := d / st.cfg.CharDist
	if st.alpha == 4 {
		return revoPow4(x)
	}
	return revoPowInt(x, st.alpha)
}

// revoEuclidean is Euclidean with every product rounded before it is
// added, so that no architecture fuses it into a multiply-add; being a
// direct call it also inlines into the matrix loop.
func revoEuclidean(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += float64(d * d)
	}
	return math.Sqrt(s)
}

// distance is d_ij as wepy stores it: metric(image_i, image_j) for i < j.
func (st *revoState) distance(i, j int) float64 {
	a, b := st.walkers[min(i, j)].Image, st.walkers[max(i, j)].Image
	if st.cfg.Metric == nil {
		return revoEuclidean(a, b)
	}
	return st.cfg.Metric(a, b)
}

// mergeable reports d_ij < MergeDist given D_ij.
func (st *revoState) mergeable(i, j int, dij float64) bool {
	if dij != st.dMerge {
		return dij < st.dMerge
	}
	return st.distance(i, j) < st.cfg.MergeDist
}

// matrix fills dd, computing each distance once as metric(image_i,
// image_j) with i < j and storing D_ij in both halves, as wepy's
// REVOResampler._all_to_all_distance does with d, and returns the
// distance statistics. The work goes by square tiles so that the
// transposed writes stay in cache; each row's statistics are summed in
// column order by the one goroutine that owns the row.
func (st *revoState) matrix() (revoDistStats, error) {
	n := st.n
	st.dd = make([]float64, n*n)
	rowMin := make([]float64, n)
	rowMax := make([]float64, n)
	rowSum := make([]float64, n)
	bad := make([]int, n) // first column of an invalid distance in the row, or -1
	badD := make([]float64, n)
	for i := range n {
		rowMin[i], rowMax[i], bad[i] = math.Inf(1), math.Inf(-1), -1
	}
	const tile = 64
	metric, d0, euclid := st.cfg.Metric, st.cfg.CharDist, st.cfg.Metric == nil
	revoParallel((n+tile-1)/tile, st.cfg.Workers, 1, func(t int) {
		i0, i1 := t*tile, min(n, (t+1)*tile)
		for j0 := i0; j0 < n; j0 += tile {
			j1 := min(n, j0+tile)
			for i := i0; i < i1; i++ {
				img, row := st.walkers[i].Image, st.dd[i*n:(i+1)*n]
				lo, hi, sum := rowMin[i], rowMax[i], rowSum[i]
				for j := max(j0, i+1); j < j1; j++ {
					var x float64
					if euclid {
						x = revoEuclidean(img, st.walkers[j].Image)
					} else {
						x = metric(img, st.walkers[j].Image)
					}
					if !(x >= 0 && x <= math.MaxFloat64) && bad[i] < 0 {
						bad[i], badD[i] = j, x
					}
					var dij float64
					if st.alpha == 4 {
						dij = revoPow4(x / d0)
					} else {
						dij = st.dist(x)
					}
					row[j], st.dd[j*n+i] = dij, dij
					lo = min(lo, x)
					hi = max(hi, x)
					sum += x
				}
				rowMin[i], rowMax[i], rowSum[i] = lo, hi, sum
			}
		}
	})
	for i, j := range bad {
		if j >= 0 {
			return revoDistStats{}, fmt.Errorf("resample: revo: distance between walkers %d and %d is %v, want non-negative and finite", i, j, badD[i])
		}
	}
	var stats revoDistStats
	if n > 1 {
		stats.min, stats.max = math.Inf(1), math.Inf(-1)
		var sum float64
		for i := 0; i < n-1; i++ {
			stats.min = min(stats.min, rowMin[i])
			stats.max = max(stats.max, rowMax[i])
			sum += rowSum[i]
		}
		stats.mean = sum / (float64(n) * float64(n-1) / 2)
	}
	return stats, nil
}

// novelty is wepy's REVOResampler._novelty:
// max(0, ln(w/c) − ln(PMin/100)) for w, c > 0, else 0.
func (st *revoState) novelty(w, c float64) float64 {
	var nv float64
	if w > 0 && c > 0 {
		if st.cfg.NoWeightNovelty {
			nv = 1
		} else {
			nv = revoLog(w/c) - st.lpmin
		}
	}
	return max(nv, 0)
}

func (st *revoState) updateCloneable(k int) {
	st.cloneable[k] = st.c[k] >= 1 && st.w[k]/(st.c[k]+1) > st.cfg.PMin && !st.keep[k]
}

// init computes the initial novelties, sums and variation.
func (st *revoState) init() error {
	n := st.n
	for k := range n {
		st.phi[k] = st.novelty(st.w[k], 1)
		st.g[k] = st.phi[k]
		st.updateCloneable(k)
	}
	revoParallel(n, st.cfg.Workers, 16, func(k int) {
		var s float64
		for j, dj := range st.dd[k*n : (k+1)*n] {
			s += float64(dj * st.g[j])
		}
		st.s[k] = s
	})
	var t float64
	for k := range n {
		t += float64(st.g[k] * st.s[k])
	}
	t /= 2
	if math.IsInf(t, 0) || math.IsNaN(t) {
		return fmt.Errorf("resample: revo: variation overflows (%v); increase the characteristic distance", t)
	}
	st.variationInit, st.variation, st.trial = t, t, t
	st.sweep(-1, -1, -1, [3]float64{})
	return nil
}

// delta returns the change of the variation when g of the distinct
// walkers a, b, m becomes ga, gb, gm:
//
//	ΔV = Σ_{k∈X} (g'_k − g_k) R_k + Σ_{k<l∈X} D_kl (g'_k g'_l − g_k g_l),
//
// with X = {a, b, m} and R_k = S_k − Σ_{l∈X∖k} D_kl g_l the sum over
// walkers outside X.
func (st *revoState) delta(a, b, m int, ga, gb, gm float64) float64 {
	n := st.n
	dab, dam, dbm := st.dd[a*n+b], st.dd[a*n+m], st.dd[b*n+m]
	oa, ob, om := st.g[a], st.g[b], st.g[m]
	ra := st.s[a] - float64(dab*ob) - float64(dam*om)
	rb := st.s[b] - float64(dab*oa) - float64(dbm*om)
	rm := st.s[m] - float64(dam*oa) - float64(dbm*ob)
	return float64((ga-oa)*ra) + float64((gb-ob)*rb) + float64((gm-om)*rm) +
		float64(dab*(float64(ga*gb)-float64(oa*ob))) +
		float64(dam*(float64(ga*gm)-float64(oa*om))) +
		float64(dbm*(float64(gb*gm)-float64(ob*om)))
}

// optimize runs wepy's decide loop and returns the number of accepted
// clone–merge steps.
func (st *revoState) optimize(r *rng.Stream) int {
	steps := 0
	for {
		m := st.pass.clone
		if m < 0 {
			return steps
		}
		var a, b int
		var ok bool
		if st.cfg.MergeAlg == REVOMergeGreedy {
			a, b, ok = st.greedyPair(m)
		} else {
			a, b, ok = st.bestPair(m)
		}
		if !ok {
			return steps
		}
		// Trial with expected copies (wepy: new_num_walker_copies).
		sum := st.w[a] + st.w[b]
		ca, cb, cm := st.w[a]/sum, st.w[b]/sum, st.c[m]+1
		phiM := st.novelty(st.w[m], cm)
		ga := float64(st.novelty(st.w[a], ca) * ca)
		gb := float64(st.novelty(st.w[b], cb) * cb)
		gm := float64(phiM * cm)
		trial := st.variation + st.delta(a, b, m, ga, gb, gm)
		if !(trial > st.trial) {
			return steps
		}
		st.trial = trial
		steps++

		// b is wepy's closewalk: kept when r < w_b for r uniform in
		// [0, w_b + w_a).
		keep, squash := a, b
		if r.Choice([]float64{st.w[b], st.w[a]}) == 0 {
			keep, squash = b, a
		}
		wKeep := st.w[keep] + st.w[squash]
		phiKeep := st.novelty(wKeep, 1)
		gNew := [3]float64{0, 0, gm}
		if keep == a {
			gNew[0] = phiKeep
		} else {
			gNew[1] = phiKeep
		}
		st.variation += st.delta(a, b, m, gNew[0], gNew[1], gNew[2])
		dg := [3]float64{gNew[0] - st.g[a], gNew[1] - st.g[b], gNew[2] - st.g[m]}

		st.w[keep], st.w[squash] = wKeep, 0
		st.c[keep], st.c[squash], st.c[m] = 1, 0, cm
		st.phi[keep], st.phi[squash], st.phi[m] = phiKeep, 0, phiM
		st.g[a], st.g[b], st.g[m] = gNew[0], gNew[1], gNew[2]
		st.groups[keep] = append(append(st.groups[keep], squash), st.groups[squash]...)
		st.groups[squash] = nil
		st.keep[keep], st.keep[squash] = true, false
		st.clones[m]++
		for _, k := range [3]int{a, b, m} {
			st.updateCloneable(k)
		}
		st.sweep(a, b, m, dg)
	}
}

// sweep adds dg·D to every S_i for the walkers a, b, m whose g changed by
// dg (none when a < 0), recomputes every V_i, and gathers the next step's
// candidates into st.pass. Large ensembles are split among goroutines;
// each walker is computed alone and the parts are combined in index
// order, so the result does not depend on the split.
func (st *revoState) sweep(a, b, m int, dg [3]float64) {
	n := st.n
	parts := min(st.cfg.Workers, n/st.cfg.splitMin)
	if parts <= 1 {
		st.pass.low, st.pass.elig = st.pass.low[:0], st.pass.elig[:0]
		st.sweepRange(a, b, m, dg, 0, n, &st.pass)
		return
	}
	if len(st.parts) != parts {
		st.parts = make([]revoPass, parts)
	}
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Go(func() {
			st.parts[p].low, st.parts[p].elig = st.parts[p].low[:0], st.parts[p].elig[:0]
			st.sweepRange(a, b, m, dg, p*n/parts, (p+1)*n/parts, &st.parts[p])
		})
	}
	st.parts[0].low, st.parts[0].elig = st.parts[0].low[:0], st.parts[0].elig[:0]
	st.sweepRange(a, b, m, dg, 0, n/parts, &st.parts[0])
	wg.Wait()
	st.pass = revoPass{clone: -1, greedy: -1, low: st.pass.low[:0], elig: st.pass.elig[:0], full: true}
	for _, p := range st.parts {
		if p.clone >= 0 && (st.pass.clone < 0 || st.v[p.clone] >= st.v[st.pass.clone]) {
			st.pass.clone = p.clone
		}
		if p.greedy >= 0 && (st.pass.greedy < 0 || st.v[p.greedy] < st.v[st.pass.greedy]) {
			st.pass.greedy = p.greedy
		}
		st.pass.low = append(st.pass.low, p.low...)
		st.pass.elig = append(st.pass.elig, p.elig...)
		st.pass.full = st.pass.full && p.full
	}
	// Parts are in index order, so a stable sort by V keeps index order
	// among equal V.
	slices.SortStableFunc(st.pass.low, func(x, y int) int {
		switch {
		case st.v[x] < st.v[y]:
			return -1
		case st.v[x] > st.v[y]:
			return 1
		}
		return 0
	})
	if len(st.pass.low) > revoLowK {
		st.pass.low = st.pass.low[:revoLowK]
		st.pass.full = false
	}
}

// sweepRange is sweep over walkers [lo, hi) into out.
func (st *revoState) sweepRange(a, b, m int, dg [3]float64, lo, hi int, out *revoPass) {
	n := st.n
	s, v, phi, c, w := st.s[lo:hi], st.v[lo:hi], st.phi[lo:hi], st.c[lo:hi], st.w[lo:hi]
	cloneable, lonely := st.cloneable[lo:hi], st.lonely[lo:hi]
	// Slices of one length let the compiler drop the bounds checks.
	s, v, phi, c, w, cloneable, lonely = s[:len(s)], v[:len(s)], phi[:len(s)], c[:len(s)], w[:len(s)], cloneable[:len(s)], lonely[:len(s)]
	var ra, rb, rm []float64
	if a >= 0 {
		ra, rb, rm = st.dd[a*n+lo:a*n+hi], st.dd[b*n+lo:b*n+hi], st.dd[m*n+lo:m*n+hi]
		ra, rb, rm = ra[:len(s)], rb[:len(s)], rm[:len(s)]
	}
	clone, greedy := -1, -1
	vClone, vGreedy, vLast := 0.0, 0.0, 0.0 // V of clone, greedy and the last kept low walker
	low, elig := out.low, out.elig
	full := true
	pmax := st.cfg.PMax
	for i := range s {
		if a >= 0 {
			s[i] += float64(ra[i]*dg[0]) + float64(rb[i]*dg[1]) + float64(rm[i]*dg[2])
		}
		// φ = 0 for a squashed walker, so its V is 0 as wepy's (±0).
		vi := float64(phi[i] * s[i])
		v[i] = vi
		// Python's max over (value, index): ties go to the larger index.
		if cloneable[i] && (clone < 0 || vi >= vClone) {
			clone, vClone = i, vi
		}
		if c[i] != 1 {
			continue
		}
		if w[i] < pmax && (greedy < 0 || vi < vGreedy) {
			greedy, vGreedy = i, vi
		}
		if lonely[i] {
			continue
		}
		elig = append(elig, i+lo)
		// Keep the revoLowK least (V, index) in ascending order; indices
		// grow, so a tie sorts after the walkers already kept.
		if len(low) == revoLowK {
			full = false
			if !(vi < vLast) {
				continue
			}
			low = low[:revoLowK-1]
		}
		k := len(low)
		low = append(low, i+lo)
		for k > 0 && v[low[k-1]-lo] > vi {
			low[k] = low[k-1]
			k--
		}
		low[k] = i + lo
		vLast = v[low[len(low)-1]-lo]
	}
	if clone >= 0 {
		clone += lo
	}
	if greedy >= 0 {
		greedy += lo
	}
	*out = revoPass{clone: clone, greedy: greedy, elig: elig, low: low, full: full}
}

// greedyPair is wepy's merge_alg "greedy": the single-copy walker of least
// V with w < PMax (ties: smallest index) and its nearest partner with
// c = 1, combined weight < PMax and distance < MergeDist (ties: smallest
// index), excluding the clone candidate m.
func (st *revoState) greedyPair(m int) (int, int, bool) {
	a := st.pass.greedy
	if a < 0 || a == m {
		return 0, 0, false
	}
	row := st.dd[a*st.n : (a+1)*st.n]
	b, bDist := -1, math.NaN() // bDist: d_ab, computed only to break a tie in D
	// Greedy never marks walkers lonely: elig holds every single-copy walker.
	for _, k := range st.pass.elig {
		dk := row[k]
		if k == a || k == m || !(st.w[k]+st.w[a] < st.cfg.PMax) || !st.mergeable(a, k, dk) {
			continue
		}
		switch {
		case b < 0 || dk < row[b]:
			b, bDist = k, math.NaN()
		case dk == row[b]:
			// D is a monotone but not injective function of d; compare d.
			if math.IsNaN(bDist) {
				bDist = st.distance(a, b)
			}
			if dist := st.distance(a, k); dist < bDist {
				b, bDist = k, dist
			}
		}
	}
	if b < 0 {
		return 0, 0, false
	}
	return a, b, true
}

// revoLossSlack keeps the pruning bound below any rounding of the loss:
// the computed (w_j V_i + w_i V_j)/(w_i + w_j) takes four roundings, so it
// is at least min(V_i, V_j)(1 − 3ε), far above min(V_i, V_j)(1 − 1e-12).
const revoLossSlack = 1 - 1e-12

// bestPair is wepy's merge_alg "pairs" (_find_eligible_merge_pairs and
// _calc_variation_loss): among pairs i < j of single-copy walkers other
// than m with w_i + w_j < PMax and d_ij < MergeDist, the one of least
// (w_j V_i + w_i V_j)/(w_i + w_j), first in (i, j) order on ties.
//
// Since the loss is at least min(V_i, V_j), walkers are visited in
// increasing (V, index), each scanning all its partners, until V exceeds
// the best loss found.
func (st *revoState) bestPair(m int) (int, int, bool) {
	n := st.n
	best := revoPairKey{loss: math.Inf(1), i: -1, j: -1}
	elig := st.pass.elig
	parts := min(st.cfg.Workers, len(elig)/st.cfg.splitMin)
	if len(st.scans) < max(parts, 1) {
		st.scans = make([]revoPairKey, max(parts, 1))
	}
	// scanPart finds the least key among a's partners in elig[lo:hi].
	scanPart := func(a, lo, hi int, out *revoPairKey) {
		row := st.dd[a*n : (a+1)*n]
		wa, va := st.w[a], st.v[a]
		k := revoPairKey{loss: math.Inf(1), i: -1, j: -1}
		for _, j := range elig[lo:hi] {
			dj := row[j]
			if dj > st.dMerge || j == a || j == m || st.lonely[j] ||
				!(wa+st.w[j] < st.cfg.PMax) || !st.mergeable(a, j, dj) {
				continue
			}
			c := revoPairKey{(float64(st.w[j]*va) + float64(wa*st.v[j])) / (wa + st.w[j]), min(a, j), max(a, j)}
			if k.i < 0 || c.less(k) {
				k = c
			}
		}
		*out = k
	}
	// scan evaluates every partner of a and reports whether it has one.
	scan := func(a int) bool {
		if parts <= 1 {
			scanPart(a, 0, len(elig), &st.scans[0])
		} else {
			var wg sync.WaitGroup
			for p := 1; p < parts; p++ {
				wg.Go(func() { scanPart(a, p*len(elig)/parts, (p+1)*len(elig)/parts, &st.scans[p]) })
			}
			scanPart(a, 0, len(elig)/parts, &st.scans[0])
			wg.Wait()
		}
		found := false
		for _, k := range st.scans[:max(parts, 1)] {
			if k.i >= 0 {
				found = true
				if best.i < 0 || k.less(best) {
					best = k
				}
			}
		}
		return found
	}
	// visit scans a unless the bound rules it and every later walker out.
	visit := func(a int) (stop bool) {
		if float64(st.v[a]*revoLossSlack) > best.loss {
			return true
		}
		if !scan(a) {
			st.lonely[a] = true
		}
		return false
	}
	low := st.pass.low
	for _, a := range low {
		if a == m {
			continue
		}
		if visit(a) {
			return best.i, best.j, best.i >= 0
		}
	}
	if st.pass.full {
		return best.i, best.j, best.i >= 0
	}
	// The bound reaches past the kept walkers: queue every later eligible
	// walker it admits and visit them in order.
	last := low[len(low)-1]
	h := st.heap[:0]
	for k := range n {
		if k != m && st.c[k] == 1 && !st.lonely[k] && revoLess(st.v, last, k) &&
			float64(st.v[k]*revoLossSlack) <= best.loss {
			h = append(h, k)
		}
	}
	revoHeapInit(st.v, h)
	for len(h) > 0 {
		var a int
		a, h = revoHeapPop(st.v, h)
		if visit(a) {
			break
		}
	}
	st.heap = h
	return best.i, best.j, best.i >= 0
}

// revoPairKey orders merge pairs as wepy's _calc_variation_loss picks
// them: least loss, then first in (i, j) order.
type revoPairKey struct {
	loss float64
	i, j int
}

func (k revoPairKey) less(o revoPairKey) bool {
	return k.loss < o.loss || (k.loss == o.loss && (k.i < o.i || (k.i == o.i && k.j < o.j)))
}

// revoLess orders walkers by (V, index).
func revoLess(v []float64, x, y int) bool {
	return v[x] < v[y] || (v[x] == v[y] && x < y)
}

// revoHeapInit arranges h as a binary min-heap under revoLess.
func revoHeapInit(v []float64, h []int) {
	for i := len(h)/2 - 1; i >= 0; i-- {
		revoHeapDown(v, h, i)
	}
}

// revoHeapPop removes the least walker of the heap h.
func revoHeapPop(v []float64, h []int) (int, []int) {
	top := h[0]
	h[0] = h[len(h)-1]
	h = h[:len(h)-1]
	revoHeapDown(v, h, 0)
	return top, h
}

func revoHeapDown(v []float64, h []int, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && revoLess(v, h[r], h[l]) {
			l = r
		}
		if !revoLess(v, h[l], h[i]) {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}

// revoAssignClones is wepy's CloneMergeResampler.assign_clones: records
// from the merge groups (indexed by survivor) and the clone counts.
func revoAssignClones(groups [][]int, clones []int) ([]Record, error) {
	n := len(clones)
	rec := make([]Record, n)
	for i := range rec {
		rec[i] = Record{Decision: Nothing, Targets: []int{i}}
	}
	var free []int
	for k, g := range groups {
		if len(g) == 0 {
			continue
		}
		free = append(free, g...)
		for _, s := range g {
			rec[s] = Record{Decision: Squash, Targets: []int{k}}
		}
		rec[k] = Record{Decision: KeepMerge, Targets: []int{k}}
	}
	for k, nc := range clones {
		if nc == 0 {
			continue
		}
		if len(groups[k]) > 0 {
			return nil, fmt.Errorf("resample: revo: walker %d is both cloned and a merge survivor", k)
		}
		if len(free) < nc {
			return nil, errors.New("resample: revo: more clones than squashed walkers")
		}
		t := make([]int, 1, nc+1)
		t[0] = k
		for range nc {
			t = append(t, free[len(free)-1])
			free = free[:len(free)-1]
		}
		rec[k] = Record{Decision: Clone, Targets: t}
	}
	return rec, nil
}

// revoApply is wepy's MultiCloneMergeDecision.action: the output ensemble
// of the records. Clones get w/len(targets) (split in src/wepy/walker.py);
// a survivor gets sum([w_keep] + [w_s for squashed s in index order])
// (keep_merge), summed as CPython ≥ 3.12's sum() does for floats.
func revoApply(rec []Record, walkers []Walker) []Out {
	out := make([]Out, len(rec))
	squashed := make(map[int][]float64)
	for i, r := range rec {
		if r.Decision == Squash {
			squashed[r.Targets[0]] = append(squashed[r.Targets[0]], walkers[i].Weight)
		}
	}
	for i, r := range rec {
		w := walkers[i].Weight
		switch r.Decision {
		case Nothing:
			out[r.Targets[0]] = Out{Parent: i, Weight: w}
		case Clone:
			share := w / float64(len(r.Targets))
			for _, t := range r.Targets {
				out[t] = Out{Parent: i, Weight: share}
			}
		case KeepMerge:
			out[r.Targets[0]] = Out{Parent: i, Weight: fmath.Sum(append([]float64{w}, squashed[i]...))}
		}
	}
	return out
}

// revoPow4 is revoPowInt(x, 4), unrolled for the default exponent: the
// double-double square (h, l) of x squared once more, l² dropped.
func revoPow4(x float64) float64 {
	h := x * x
	p := h * h
	e := math.FMA(h, h, -p) + float64(2*h*math.FMA(x, x, -h))
	if r := p + e; r == r {
		return r
	}
	return p // p overflowed: p + e is Inf − Inf
}

// revoPowInt returns x^n for n ≥ 1 by binary powering in double-double
// arithmetic (Dekker's product via FMA), rounded once at the end. Its
// error stays far below half an ulp, so it is the correctly rounded power
// except in halfway cases of negligible probability, which is what C's
// pow (glibc: < 0.52 ulp) returns to Python's float ** int in wepy. Go's
// math.Pow squares in plain float64 and can be an ulp off.
func revoPowInt(x float64, n int) float64 {
	rh, rl := 0.0, 0.0
	bh, bl := x, 0.0
	set := false
	for {
		if n&1 == 1 {
			if !set {
				rh, rl, set = bh, bl, true
			} else {
				rh, rl = revoDDMul(rh, rl, bh, bl)
			}
		}
		n >>= 1
		if n == 0 {
			break
		}
		bh, bl = revoDDMul(bh, bl, bh, bl)
	}
	if math.IsInf(rh, 0) || math.IsNaN(rl) {
		return rh
	}
	return rh + rl
}

// revoDDMul multiplies two double-double numbers (ah+al)(bh+bl), dropping
// al·bl, and renormalises the result.
func revoDDMul(ah, al, bh, bl float64) (float64, float64) {
	p := ah * bh
	if math.IsInf(p, 0) {
		return p, 0
	}
	e := math.FMA(ah, bh, -p) + (float64(ah*bl) + float64(al*bh))
	h := p + e
	return h, e - (h - p)
}

// revoTwoSum returns a + b as the rounded sum and its exact error
// (Knuth's TwoSum).
func revoTwoSum(a, b float64) (float64, float64) {
	s := a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

// revoDDAdd adds two double-double numbers.
func revoDDAdd(ah, al, bh, bl float64) (float64, float64) {
	s, e := revoTwoSum(ah, bh)
	e += al + bl
	h := s + e
	return h, e - (h - s)
}

// Natural logarithm of 2 as a double-double number.
const (
	revoLn2Hi = 6.93147180559945286227e-01 // 0x3FE62E42FEFA39EF
	revoLn2Lo = 2.31904681384629955842e-17 // 0x3C7ABC9E3B39803F
)

// revoAtanhCoef holds 1/(2i+1), i = 0 … 21, as double-double numbers: the
// coefficients of atanh(s)/s = Σ s^{2i}/(2i+1). For |s| ≤ 3 − 2√2 the
// first omitted term is below 2⁻¹¹⁰.
var revoAtanhCoef = func() (c [22][2]float64) {
	for i := range c {
		n := float64(2*i + 1)
		hi := 1 / n
		c[i] = [2]float64{hi, math.FMA(-n, hi, 1) / n}
	}
	return c
}()

// revoLog returns ln x. With x = m·2^k, m ∈ [√½, √2), it evaluates
// k·ln 2 + 2 atanh((m−1)/(m+1)) in double-double arithmetic (relative
// error about 2⁻¹⁰⁰) and rounds once, so the result is the correctly
// rounded logarithm except in halfway cases of negligible probability:
// the value C's log (glibc: < 0.52 ulp) gives to wepy. Go's math.Log is
// an ulp off at times and differs between architectures (assembly on
// amd64, fused multiply-adds on arm64); this function uses explicit FMA
// only, so it returns the same bits everywhere.
func revoLog(x float64) float64 {
	switch {
	case x == 0:
		return math.Inf(-1)
	case !(x > 0):
		return math.NaN()
	case math.IsInf(x, 1):
		return x
	}
	m, k := math.Frexp(x)
	if m < math.Sqrt2/2 {
		m *= 2
		k--
	}
	// s = (m−1)/(m+1): m−1 is exact (Sterbenz), m+1 is kept as dh+dl.
	num := m - 1
	dh, dl := revoTwoSum(m, 1)
	q := num / dh
	rem := math.FMA(-q, dh, num) - float64(q*dl)
	sh, sl := revoTwoSum(q, rem/dh)
	zh, zl := revoDDMul(sh, sl, sh, sl)
	c := revoAtanhCoef
	th, tl := c[len(c)-1][0], c[len(c)-1][1]
	for i := len(c) - 2; i >= 0; i-- {
		th, tl = revoDDMul(zh, zl, th, tl)
		th, tl = revoDDAdd(c[i][0], c[i][1], th, tl)
	}
	lh, ll := revoDDMul(2*sh, 2*sl, th, tl)
	kf := float64(k)
	kh := kf * revoLn2Hi
	kl := math.FMA(kf, revoLn2Hi, -kh) + float64(kf*revoLn2Lo)
	rh, rl := revoDDAdd(kh, kl, lh, ll)
	return rh + rl
}

func init() {
	Register(Method{
		Name: "revo",
		Doc: `wepy's REVOResampler (Donyapour, Roussey & Dickson 2019):
--merge-dist D and --char-dist D0 (required), --pmin (1e-12),
--pmax (0.1), --dist-exponent (4), --merge-alg pairs|greedy.
The summary records the variation and distance statistics.`,
		Params: []Param{
			{Name: "pmin", Kind: Float, Default: "1e-12", ZeroIsDefault: true, Usage: "smallest walker weight (default: the method's)"},
			{Name: "pmax", Kind: Float, Default: "0.1", ZeroIsDefault: true, Usage: "largest walker weight (default: the method's)"},
			{Name: "dist-exponent", Kind: Int, Default: "4", Usage: "REVO distance exponent α"},
			{Name: "merge-dist", Kind: Float, Default: "0", Usage: "largest distance between merged walkers (required)"},
			{Name: "char-dist", Kind: Float, Default: "0", Usage: "characteristic distance d₀ (required)"},
			{Name: "merge-alg", Kind: String, Default: REVODefaultMergeAlg, Usage: "merge algorithm: pairs or greedy"},
		},
		New: func(a *Args) (Resampler, error) {
			c := REVO{
				MergeDist: a.Float("merge-dist"), CharDist: a.Float("char-dist"),
				PMin: a.Float("pmin"), PMax: a.Float("pmax"),
				DistExponent: a.Int("dist-exponent"), MergeAlg: a.String("merge-alg"), Metric: a.Metric,
			}
			if !(c.MergeDist > 0) || !(c.CharDist > 0) {
				return nil, ParamErrorf("revo needs --merge-dist and --char-dist (positive distances in the image's units)")
			}
			return validated(c)
		},
	})
}
