package resample

import (
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/wepipe/wepipe/pkg/fmath"
	"github.com/wepipe/wepipe/pkg/rng"
	"pgregory.net/rapid"
)

// revoStream is the stream the tests draw from.
func revoStream(seed uint64) *rng.Stream {
	return rng.NewKey("revo-test", [32]byte{}, 0, seed)
}

// revoFirstUniform is the first uniform a fresh revoStream(seed) draws,
// the u of the first survivor draw.
func revoFirstUniform(seed uint64) float64 { return revoStream(seed).Float64() }

// revoLine puts walkers with the given weights at 1-D positions.
func revoLine(xs, ws []float64) []Walker {
	walkers := make([]Walker, len(xs))
	for i := range xs {
		walkers[i] = Walker{Weight: ws[i], Image: []float64{xs[i]}}
	}
	return walkers
}

// revoAdd adds in float64 (Go constant arithmetic would be exact).
func revoAdd(a, b float64) float64 { return a + b }

// revoSeedWith returns the first seed whose first uniform satisfies ok.
func revoSeedWith(t *testing.T, ok func(u float64) bool) uint64 {
	t.Helper()
	for seed := uint64(0); seed < 1000; seed++ {
		if ok(revoFirstUniform(seed)) {
			return seed
		}
	}
	t.Fatal("no seed found")
	return 0
}

// TestREVOHandPairs works one resampling out by hand, with unit novelty
// (φ = 1) so that every number is exact in binary.
//
// Walkers x = (0, 1, 1.5, 4), w = (0.1, 0.2, 0.3, 0.4); d₀ = 1, α = 2,
// MergeDist 1.5, PMax 0.5.
//
//	d:  d01 = 1, d02 = 1.5, d03 = 4, d12 = 0.5, d13 = 3, d23 = 2.5
//	D = d²: 1, 2.25, 16, 0.25, 9, 6.25
//	V0 = 1 + 2.25 + 16 = 19.25     V1 = 1 + 0.25 + 9 = 10.25
//	V2 = 2.25 + 0.25 + 6.25 = 8.75 V3 = 16 + 9 + 6.25 = 31.25
//	V = ΣD = 34.75
//
// Clone candidate: largest V_i, walker 3. Merge pairs without 3, with
// w_i + w_j < 0.5 and d_ij < 1.5: (0,1) only ((0,2) has d = 1.5, (1,2)
// has w = 0.5). Its loss (0.2·19.25 + 0.1·10.25)/0.3 = 16.25.
//
// Trial: c0 = 0.1/0.3 = 1/3, c1 = 2/3, c3 = 2:
//
//	V' = 1·(2/9) + 2.25·(1/3) + 16·(2/3) + 0.25·(2/3) + 9·(4/3) + 6.25·2
//	   = 0.2222 + 0.75 + 10.6667 + 0.1667 + 12 + 12.5 = 36.3056 > 34.75,
//
// accepted. The survivor is walker 1 (wepy's closewalk) when
// u·(0.2 + 0.1) < 0.2, else walker 0. With survivor 1 (w = 0.3, c = 1),
// c0 = 0, c3 = 2:
//
//	V1 = 0.25 + 9·2 = 18.25, V2 = 0.25 + 6.25·2 = 12.75, V3 = 9 + 6.25 = 15.25
//	V = 0.25·1·1 + 9·1·2 + 6.25·1·2 = 30.75.
//
// Next: walker 1 has absorbed a merge, so the clone candidate is 3
// (15.25 > 12.75); the only single-copy walkers besides 3 are 1 and 2,
// w = 0.6 ≥ 0.5: no pair, stop. With survivor 0 (w = 0.3) by symmetry of
// the argument V = D02·1·1 + D03·2 + D23·2 = 2.25 + 32 + 12.5 = 46.75 and
// again no pair (0 and 2 weigh 0.6).
//
// Records (assign_clones): the squashed walker's slot is the one free
// slot, which the clone of 3 takes.
func TestREVOHandPairs(t *testing.T) {
	xs := []float64{0, 1, 1.5, 4}
	ws := []float64{0.1, 0.2, 0.3, 0.4}
	cfg := REVO{MergeDist: 1.5, CharDist: 1, DistExponent: 2, PMax: 0.5, NoWeightNovelty: true}
	for _, tc := range []struct {
		name      string
		keep      func(u float64) bool
		records   []Record
		weights   []float64
		parents   []int
		variation float64
	}{
		{
			name: "survivor 1",
			keep: func(u float64) bool { return u*0.30000000000000004 < 0.2 },
			records: []Record{
				{Squash, []int{1}}, {KeepMerge, []int{1}}, {Nothing, []int{2}}, {Clone, []int{3, 0}},
			},
			// Slot 1: sum([0.2, 0.1]) = 0.30000000000000004 in float64.
			weights:   []float64{0.2, revoAdd(0.2, 0.1), 0.3, 0.2},
			parents:   []int{3, 1, 2, 3},
			variation: 30.75,
		},
		{
			name: "survivor 0",
			keep: func(u float64) bool { return !(u*0.30000000000000004 < 0.2) },
			records: []Record{
				{KeepMerge, []int{0}}, {Squash, []int{0}}, {Nothing, []int{2}}, {Clone, []int{3, 1}},
			},
			weights:   []float64{revoAdd(0.1, 0.2), 0.2, 0.3, 0.2},
			parents:   []int{0, 3, 2, 3},
			variation: 46.75,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seed := revoSeedWith(t, tc.keep)
			// |x − y| equals the Euclidean distance in 1-D; as a custom
			// metric it takes the metric path where d_02 = 1.5 meets
			// MergeDist and D alone cannot tell.
			c := cfg
			c.Metric = func(a, b []float64) float64 { return math.Abs(a[0] - b[0]) }
			resAbs, err := c.Resample(revoLine(xs, ws), nil, revoStream(seed))
			if err != nil {
				t.Fatal(err)
			}
			res, err := cfg.Resample(revoLine(xs, ws), nil, revoStream(seed))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res, resAbs) {
				t.Errorf("custom metric: %v, default: %v", resAbs, res)
			}
			if !reflect.DeepEqual(res.Records, tc.records) {
				t.Errorf("records %v, want %v", res.Records, tc.records)
			}
			for i, o := range res.Walkers {
				if o.Weight != tc.weights[i] || o.Parent != tc.parents[i] {
					t.Errorf("slot %d: got parent %d weight %v, want %d %v", i, o.Parent, o.Weight, tc.parents[i], tc.weights[i])
				}
			}
			// Every D, c and φ above is a short binary fraction except
			// 1/3 and 2/3, which cancel from the final variation: exact.
			want := map[string]float64{
				"variation": tc.variation, "variation_initial": 34.75,
				"n_clones": 1, "n_merges": 1, "n_walkers": 4,
				"dist_min": 0.5, "dist_max": 4, "dist_mean": (1 + 1.5 + 4 + 0.5 + 3 + 2.5) / 6.0,
			}
			if !reflect.DeepEqual(res.Summary, want) {
				t.Errorf("summary %v, want %v", res.Summary, want)
			}
		})
	}
}

// TestREVOHandGreedy is the ensemble of TestREVOHandPairs with MergeDist 2
// and the greedy merge: the walker of least V, walker 2 (8.75), merges
// with its nearest partner under PMax: walker 0 (w 0.1 + 0.3 = 0.4 < 0.5,
// d 1.5 < 2); walker 1 would make 0.5. Clone candidate 3 as before.
//
// Trial: c2 = 0.3/0.4 = 0.75, c0 = 0.25, c3 = 2:
//
//	V' = 1·0.25 + 2.25·0.25·0.75 + 16·0.25·2 + 0.25·0.75 + 9·2 + 6.25·0.75·2
//	   = 0.25 + 0.421875 + 8 + 0.1875 + 18 + 9.375 = 36.234375 > 34.75.
//
// Survivor 0 (wepy's closewalk) when u·0.4 < 0.1, else 2.
//
// Survivor 2 (w 0.4): V1 = 0.25 + 9·2 = 18.25, V2 = 0.25 + 6.25·2 = 12.75,
// V3 = 9 + 6.25 = 15.25, V = 0.25 + 18 + 12.5 = 30.75. Next clone
// candidate: 1 (18.25; 2 has absorbed a merge). Least V among single
// copies under PMax: 2 (12.75 < 18.25). Its candidates other than 1 and
// 2 are 0 (squashed) and 3 (two copies): none. wepy would now reuse the
// partner list of the previous iteration (its closewalks_dists) and merge
// the squashed walker 0 again; we stop.
//
// Survivor 0 (w 0.4): V0 = 1 + 16·2 = 33, V1 = 1 + 9·2 = 19,
// V3 = 16 + 9 = 25, V = 1 + 32 + 18 = 51. Next clone candidate 3 (25 > 19);
// least V under PMax: 1 (19 < 33), whose only single-copy partner 0 makes
// 0.6 ≥ 0.5: stop.
func TestREVOHandGreedy(t *testing.T) {
	xs := []float64{0, 1, 1.5, 4}
	ws := []float64{0.1, 0.2, 0.3, 0.4}
	cfg := REVO{MergeDist: 2, CharDist: 1, DistExponent: 2, PMax: 0.5, NoWeightNovelty: true, MergeAlg: REVOMergeGreedy}
	for _, tc := range []struct {
		name      string
		keep      func(u float64) bool
		records   []Record
		weights   []float64
		variation float64
	}{
		{
			name:      "survivor 2",
			keep:      func(u float64) bool { return !(u*0.4 < 0.1) },
			records:   []Record{{Squash, []int{2}}, {Nothing, []int{1}}, {KeepMerge, []int{2}}, {Clone, []int{3, 0}}},
			weights:   []float64{0.2, 0.2, 0.4, 0.2},
			variation: 30.75,
		},
		{
			name:      "survivor 0",
			keep:      func(u float64) bool { return u*0.4 < 0.1 },
			records:   []Record{{KeepMerge, []int{0}}, {Nothing, []int{1}}, {Squash, []int{0}}, {Clone, []int{3, 2}}},
			weights:   []float64{0.4, 0.2, 0.2, 0.2},
			variation: 51,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := cfg.Resample(revoLine(xs, ws), nil, revoStream(revoSeedWith(t, tc.keep)))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Records, tc.records) {
				t.Errorf("records %v, want %v", res.Records, tc.records)
			}
			for i, o := range res.Walkers {
				if o.Weight != tc.weights[i] {
					t.Errorf("slot %d: weight %v, want %v", i, o.Weight, tc.weights[i])
				}
			}
			if v := res.Summary["variation"]; v != tc.variation {
				t.Errorf("variation %v, want %v", v, tc.variation)
			}
		})
	}
}

// TestREVOHandNovelty checks the weight novelty φ = ln(w/c) − ln(PMin/100)
// and a rejected trial. Walkers x = (0, 0.0625, 1), w = (0.25, 0.25, 0.5),
// d₀ = 1, α = 4, MergeDist 0.5, PMax 0.6, PMin 1e-12:
//
//	φ0 = φ1 = ln(0.25/1e-14) = 30.8499, φ2 = ln(0.5/1e-14) = 31.5430
//	D01 = 0.0625⁴ = 2⁻¹⁶, D02 = 1, D12 = 0.9375⁴ = 0.7724761962890625
//	V = D01 φ0 φ1 + D02 φ0 φ2 + D12 φ1 φ2
//
// Clone candidate 2 (V2 = φ2(φ0 + D12 φ1) is largest), pair (0, 1). In
// the trial c0 = c1 = 1/2 turn φ0, φ1 into ln(0.5/1e-14) = φ2 and c2 = 2
// turns φ2 into ln(0.25/1e-14) = φ0, so the D02 and D12 terms keep their
// value and V' − V = D01(φ2²/4 − φ0²) = 2⁻¹⁶(248.7 − 951.7) < 0:
// rejected, nothing happens.
func TestREVOHandNovelty(t *testing.T) {
	walkers := revoLine([]float64{0, 0.0625, 1}, []float64{0.25, 0.25, 0.5})
	cfg := REVO{MergeDist: 0.5, CharDist: 1, PMax: 0.6}
	res, err := cfg.Resample(walkers, nil, revoStream(1))
	if err != nil {
		t.Fatal(err)
	}
	for i, rec := range res.Records {
		if rec.Decision != Nothing || res.Walkers[i].Weight != walkers[i].Weight {
			t.Fatalf("walker %d: %v weight %v, want NOTHING", i, rec.Decision, res.Walkers[i].Weight)
		}
	}
	lp := math.Log(1e-14)
	p0, p2 := math.Log(0.25)-lp, math.Log(0.5)-lp
	want := math.Pow(2, -16)*p0*p0 + p0*p2 + 0.7724761962890625*p0*p2
	// Three terms summed in another order than the implementation's: a
	// few ulps.
	if v := res.Summary["variation_initial"]; math.Abs(v-want) > 1e-13*want {
		t.Fatalf("initial variation %v, want %v", v, want)
	}
	if res.Summary["variation"] != res.Summary["variation_initial"] || res.Summary["n_clones"] != 0 {
		t.Fatalf("summary %v, want no step", res.Summary)
	}
}

// TestREVOChainedMerge checks survivors that absorb more than one walker
// (a survivor merged again, or squashed with its group into another):
// every squashed walker of the group must point at the final survivor,
// whose weight is CPython's sum of the group's input weights, survivor
// first, then the squashed walkers in index order. The ensembles are the
// random ones of the equivalence test.
func TestREVOChainedMerge(t *testing.T) {
	found := false
	for seed := uint64(0); seed < 2000 && !found; seed++ {
		walkers, cfg := revoRandomEnsemble(seed, 12)
		res, err := cfg.Resample(walkers, nil, revoStream(seed))
		if err != nil {
			t.Fatal(err)
		}
		squashes := map[int]int{}
		for _, rec := range res.Records {
			if rec.Decision == Squash {
				squashes[rec.Targets[0]]++
			}
		}
		for k, ns := range squashes {
			if ns < 2 {
				continue
			}
			found = true
			want := []float64{walkers[k].Weight}
			for i, rec := range res.Records {
				if rec.Decision == Squash && rec.Targets[0] == k {
					want = append(want, walkers[i].Weight)
				}
			}
			if got := res.Walkers[k].Weight; got != fmath.Sum(want) || res.Records[k].Decision != KeepMerge {
				t.Fatalf("seed %d: survivor %d weight %v (%v), want %v", seed, k, got, res.Records[k], fmath.Sum(want))
			}
		}
	}
	if !found {
		t.Fatal("no chained merge in 2000 random ensembles")
	}
}

// revoRandomEnsemble draws an ensemble of up to maxN walkers (1-D or 2-D
// images, weights summing to 1) and a configuration from a seed, with
// continuous values so that ties are improbable.
func revoRandomEnsemble(seed uint64, maxN int) ([]Walker, REVO) {
	r := rng.NewKey("revo-ensemble", [32]byte{}, 0, seed)
	n := 1 + r.IntN(maxN)
	dim := 1 + r.IntN(2)
	walkers := make([]Walker, n)
	var sum float64
	for i := range walkers {
		img := make([]float64, dim)
		for k := range img {
			img[k] = r.Float64()
		}
		// Log-uniform weights over six decades, as after many cycles.
		w := math.Exp(-14 * r.Float64())
		walkers[i] = Walker{Weight: w, Image: img}
		sum += w
	}
	for i := range walkers {
		walkers[i].Weight /= sum
	}
	cfg := REVO{
		MergeDist:       0.05 + 0.6*r.Float64(),
		CharDist:        0.05 + 0.5*r.Float64(),
		PMax:            []float64{0.1, 0.3, 0.6, 1}[r.IntN(4)],
		PMin:            []float64{1e-12, 1e-6, 1e-3}[r.IntN(3)],
		DistExponent:    []int{4, 1, 2, 3, 6}[r.IntN(5)],
		MergeAlg:        []string{REVOMergePairs, REVOMergeGreedy}[r.IntN(2)],
		NoWeightNovelty: r.IntN(4) == 0,
	}
	if r.IntN(4) == 0 {
		cfg.Metric = func(a, b []float64) float64 { // Manhattan
			var s float64
			for i := range a {
				s += math.Abs(a[i] - b[i])
			}
			return s
		}
	}
	if cfg.PMin >= cfg.PMax {
		cfg.PMin = REVODefaultPMin
	}
	// On a line with α = 1 and unit novelty V_i = Σ_j |x_i − x_j| c_j is
	// piecewise linear, so neighbours tie exactly whenever the copies on
	// their two sides balance; such ties are broken by summation rounding,
	// in which the implementation and wepy differ (see REVO's doc).
	if dim == 1 && cfg.DistExponent == 1 && cfg.NoWeightNovelty {
		cfg.DistExponent = 2
	}
	return walkers, cfg
}

// revoNaive is a literal transliteration of wepy's REVOResampler.decide
// (src/wepy/resampling/resamplers/revo.py): the full O(N²) variation
// after every step, eligible pairs listed and scanned in (i, j) order,
// greedy partners by sorting (distance, index). It shares only dist,
// novelty, revoAssignClones and revoApply with the implementation, and
// stops where the implementation documents that wepy has no defined
// behaviour.
func revoNaive(cfg REVO, walkers []Walker, r *rng.Stream) Result {
	cfg = cfg.withDefaults()
	n := len(walkers)
	st := revoNewState(cfg, walkers)
	metric := cfg.Metric
	if metric == nil {
		metric = revoEuclidean
	}
	dm := make([][]float64, n)
	for i := range dm {
		dm[i] = make([]float64, n)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			dm[i][j] = metric(walkers[i].Image, walkers[j].Image)
			dm[j][i] = dm[i][j]
		}
	}
	w := make([]float64, n)
	cp := make([]float64, n)
	for i := range w {
		w[i], cp[i] = walkers[i].Weight, 1
	}
	calc := func() (float64, []float64) {
		phi := make([]float64, n)
		for i := range phi {
			phi[i] = st.novelty(w[i], cp[i])
		}
		var variation float64
		v := make([]float64, n)
		for i := 0; i < n-1; i++ {
			if cp[i] > 0 {
				for j := i + 1; j < n; j++ {
					if cp[j] > 0 {
						p := float64(float64(st.dist(dm[i][j])*phi[i]) * phi[j])
						variation += float64(float64(p*cp[i]) * cp[j])
						v[i] += float64(p * cp[j])
						v[j] += float64(p * cp[i])
					}
				}
			}
		}
		return variation, v
	}
	groups := make([][]int, n)
	clones := make([]int, n)
	variation, v := calc()
	variations := []float64{variation}
	for {
		maxIdx := -1
		for i := range n {
			if cp[i] >= 1 && w[i]/(cp[i]+1) > cfg.PMin && len(groups[i]) == 0 && (maxIdx < 0 || v[i] >= v[maxIdx]) {
				maxIdx = i
			}
		}
		if maxIdx < 0 {
			break
		}
		a, b := -1, -1
		if cfg.MergeAlg == REVOMergePairs {
			lossMin := math.Inf(1)
			for i := 0; i < n-1; i++ {
				for j := i + 1; j < n; j++ {
					if i != maxIdx && j != maxIdx && cp[i] == 1 && cp[j] == 1 && w[i]+w[j] < cfg.PMax && dm[i][j] < cfg.MergeDist {
						loss := (float64(w[j]*v[i]) + float64(w[i]*v[j])) / (w[i] + w[j])
						if loss < lossMin {
							a, b, lossMin = i, j, loss
						}
					}
				}
			}
		} else {
			minIdx := -1
			for i := range n {
				if cp[i] == 1 && w[i] < cfg.PMax && (minIdx < 0 || v[i] < v[minIdx]) {
					minIdx = i
				}
			}
			if minIdx >= 0 && minIdx != maxIdx {
				bestD := math.Inf(1)
				for k := range n {
					if k != minIdx && k != maxIdx && cp[k] == 1 && w[k]+w[minIdx] < cfg.PMax && dm[minIdx][k] < cfg.MergeDist && dm[minIdx][k] < bestD {
						a, b, bestD = minIdx, k, dm[minIdx][k]
					}
				}
			}
		}
		if a < 0 {
			break
		}
		sum := w[a] + w[b]
		cp[a], cp[b] = w[a]/sum, w[b]/sum
		cp[maxIdx]++
		trial, tv := calc()
		if !(trial > variation) {
			break
		}
		variation = trial
		v = tv
		keep, squash := a, b
		if r.Choice([]float64{w[b], w[a]}) == 0 {
			keep, squash = b, a
		}
		w[keep] += w[squash]
		w[squash] = 0
		cp[squash], cp[keep] = 0, 1
		groups[keep] = append(append(groups[keep], squash), groups[squash]...)
		groups[squash] = nil
		clones[maxIdx]++
		post, pv := calc()
		v = pv
		variations = append(variations, post)
	}
	rec, err := revoAssignClones(groups, clones)
	if err != nil {
		panic(err)
	}
	return Result{
		Walkers: revoApply(rec, walkers),
		Records: rec,
		Summary: map[string]float64{"variation": variations[len(variations)-1], "variation_initial": variations[0]},
	}
}

// TestREVOMatchesNaive checks that the incremental implementation makes
// exactly the decisions of the literal O(N³) transliteration of wepy, on
// random ensembles of up to 60 walkers with both merge algorithms.
func TestREVOMatchesNaive(t *testing.T) {
	steps := 0
	for seed := range uint64(3000) {
		walkers, cfg := revoRandomEnsemble(seed, 60)
		got, err := cfg.Resample(walkers, nil, revoStream(seed))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		want := revoNaive(cfg, walkers, revoStream(seed))
		if !reflect.DeepEqual(got.Records, want.Records) || !reflect.DeepEqual(got.Walkers, want.Walkers) {
			t.Fatalf("seed %d (n=%d, %+v):\n got %v\nwant %v", seed, len(walkers), cfg, got.Records, want.Records)
		}
		// The two sum the variation in different orders; over up to 60
		// walkers and as many steps the relative difference stays within
		// a few hundred ulps.
		for _, k := range []string{"variation", "variation_initial"} {
			if g, w := got.Summary[k], want.Summary[k]; math.Abs(g-w) > 1e-12*math.Abs(w) {
				t.Fatalf("seed %d: %s %v, want %v", seed, k, g, w)
			}
		}
		steps += int(got.Summary["n_clones"])
	}
	// Guard against a generator that never resamples.
	if steps < 3000 {
		t.Fatalf("only %d clone–merge steps in 3000 ensembles", steps)
	}
}

// TestREVOProperties checks the invariants of every resampling.
func TestREVOProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 60).Draw(t, "n")
		dim := rapid.IntRange(1, 3).Draw(t, "dim")
		walkers := make([]Walker, n)
		var sum float64
		for i := range walkers {
			img := make([]float64, dim)
			for k := range img {
				img[k] = rapid.Float64Range(-1, 1).Draw(t, "x")
			}
			w := rapid.Float64Range(1e-6, 1).Draw(t, "w")
			walkers[i] = Walker{Weight: w, Image: img}
			sum += w
		}
		for i := range walkers {
			walkers[i].Weight /= sum
		}
		var inSum float64
		for _, w := range walkers {
			inSum += w.Weight
		}
		cfg := REVO{
			MergeDist:       rapid.Float64Range(1e-3, 3).Draw(t, "mergeDist"),
			CharDist:        rapid.Float64Range(1e-2, 2).Draw(t, "charDist"),
			PMax:            rapid.Float64Range(0.02, 1).Draw(t, "pmax"),
			PMin:            rapid.SampledFrom([]float64{1e-12, 1e-4, 1e-2}).Draw(t, "pmin"),
			DistExponent:    rapid.SampledFrom([]int{1, 2, 4, 5}).Draw(t, "alpha"),
			MergeAlg:        rapid.SampledFrom([]string{REVOMergePairs, REVOMergeGreedy}).Draw(t, "alg"),
			NoWeightNovelty: rapid.Bool().Draw(t, "unit"),
		}
		if cfg.PMin >= cfg.PMax {
			cfg.PMin = REVODefaultPMin
		}
		seed := rapid.Uint64().Draw(t, "seed")
		res, err := cfg.Resample(walkers, nil, revoStream(seed))
		if err != nil {
			t.Fatal(err)
		}
		again, err := cfg.Resample(walkers, nil, revoStream(seed))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res, again) {
			t.Fatal("same input and seed gave different results")
		}
		revoCheckResult(t, cfg.withDefaults(), walkers, inSum, res)
	})
}

// revoCheckResult checks the invariants shared by every REVO result.
func revoCheckResult(t interface {
	Fatalf(string, ...any)
}, cfg REVO, walkers []Walker, inSum float64, res Result) {
	n := len(walkers)
	if len(res.Walkers) != n || len(res.Records) != n {
		t.Fatalf("%d walkers and %d records, want %d", len(res.Walkers), len(res.Records), n)
	}
	var outSum float64
	for _, o := range res.Walkers {
		if o.Parent < 0 || o.Parent >= n {
			t.Fatalf("parent %d out of range", o.Parent)
		}
		outSum += o.Weight
	}
	// ARCHITECTURE.md §7.
	if math.Abs(outSum-inSum) > 1e-12 {
		t.Fatalf("weight %v after, %v before", outSum, inSum)
	}
	filled := make([]int, n)
	squashed := make([]int, n)
	for i, rec := range res.Records {
		switch rec.Decision {
		case Nothing, KeepMerge:
			if len(rec.Targets) != 1 || rec.Targets[0] != i {
				t.Fatalf("walker %d: %v targets %v, want [%d]", i, rec.Decision, rec.Targets, i)
			}
		case Clone:
			if len(rec.Targets) < 2 || rec.Targets[0] != i {
				t.Fatalf("walker %d: CLONE targets %v", i, rec.Targets)
			}
			// wepy clones only while w/(copies+1) > pmin.
			if share := walkers[i].Weight / float64(len(rec.Targets)); !(share > cfg.PMin) {
				t.Fatalf("walker %d cloned into %d below pmin", i, len(rec.Targets))
			}
		case Squash:
			if len(rec.Targets) != 1 || rec.Targets[0] == i || res.Records[rec.Targets[0]].Decision != KeepMerge {
				t.Fatalf("walker %d: SQUASH targets %v", i, rec.Targets)
			}
			squashed[rec.Targets[0]]++
			continue
		default:
			t.Fatalf("walker %d: decision %v", i, rec.Decision)
		}
		for _, s := range rec.Targets {
			if s < 0 || s >= n || res.Walkers[s].Parent != i {
				t.Fatalf("walker %d: %v target %d holds parent %d", i, rec.Decision, s, res.Walkers[s].Parent)
			}
			filled[s]++
		}
	}
	for s, f := range filled {
		if f != 1 {
			t.Fatalf("slot %d filled %d times", s, f)
		}
	}
	var clones, merges int
	for i, rec := range res.Records {
		switch rec.Decision {
		case KeepMerge:
			if squashed[i] == 0 {
				t.Fatalf("survivor %d absorbed nothing", i)
			}
			// Merged weights stay under pmax: wepy checks the running sum
			// < pmax; the output sum is the same numbers reassociated, a
			// few ulps.
			if w := res.Walkers[i].Weight; w > cfg.PMax*(1+1e-14) {
				t.Fatalf("survivor %d weighs %v > pmax %v", i, w, cfg.PMax)
			}
			merges += squashed[i]
		case Clone:
			clones += len(rec.Targets) - 1
		case Nothing:
			if res.Walkers[i].Weight != walkers[i].Weight {
				t.Fatalf("walker %d changed weight", i)
			}
		}
	}
	if clones != merges || float64(clones) != res.Summary["n_clones"] || float64(merges) != res.Summary["n_merges"] {
		t.Fatalf("%d clones, %d merges, summary %v", clones, merges, res.Summary)
	}
	// Every accepted step strictly raises the trial variation, but the
	// post-draw variation may be lower than the initial one; it is never
	// negative.
	if !(res.Summary["variation"] >= 0) || !(res.Summary["variation_initial"] >= 0) {
		t.Fatalf("variation %v", res.Summary)
	}
	if n > 1 && !(res.Summary["dist_min"] <= res.Summary["dist_mean"] && res.Summary["dist_mean"] <= res.Summary["dist_max"]*(1+1e-15)) {
		t.Fatalf("distance statistics %v", res.Summary)
	}
}

// TestREVOWorkersIdentical checks that the number of goroutines does not
// change any output bit.
func TestREVOWorkersIdentical(t *testing.T) {
	for seed := range uint64(50) {
		walkers, cfg := revoRandomEnsemble(seed, 400)
		var first Result
		for i, workers := range []int{1, 2, 3, 8} {
			// Split every step's sweep and scans from 16 walkers a
			// goroutine on, so that the split paths run.
			cfg.Workers, cfg.splitMin = workers, 16
			res, err := cfg.Resample(walkers, nil, revoStream(seed))
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = res
			} else if !reflect.DeepEqual(res, first) {
				t.Fatalf("seed %d: %d workers differ from 1", seed, workers)
			}
		}
	}
}

func TestREVOValidate(t *testing.T) {
	ok := REVO{MergeDist: 0.25, CharDist: 0.1}
	for _, tc := range []struct {
		name string
		edit func(*REVO)
		want string // substring of the error, "" for none
	}{
		{"defaults", func(*REVO) {}, ""},
		{"greedy", func(c *REVO) { c.MergeAlg = REVOMergeGreedy }, ""},
		{"exponent 64", func(c *REVO) { c.DistExponent = 64 }, ""},
		{"no merge distance", func(c *REVO) { c.MergeDist = 0 }, "merge distance"},
		{"negative merge distance", func(c *REVO) { c.MergeDist = -1 }, "merge distance"},
		{"infinite merge distance", func(c *REVO) { c.MergeDist = math.Inf(1) }, "merge distance"},
		{"NaN merge distance", func(c *REVO) { c.MergeDist = math.NaN() }, "merge distance"},
		{"no characteristic distance", func(c *REVO) { c.CharDist = 0 }, "characteristic distance"},
		{"negative characteristic distance", func(c *REVO) { c.CharDist = -0.1 }, "characteristic distance"},
		{"pmin above pmax", func(c *REVO) { c.PMin = 0.2 }, "pmin 0.2 must be below pmax 0.1"},
		{"pmin equals pmax", func(c *REVO) { c.PMin, c.PMax = 0.5, 0.5 }, "must be below"},
		{"negative pmin", func(c *REVO) { c.PMin = -1e-12 }, "pmin must be positive"},
		{"negative pmax", func(c *REVO) { c.PMax = -0.1 }, "pmax must be positive"},
		{"NaN pmax", func(c *REVO) { c.PMax = math.NaN() }, "pmax must be positive"},
		{"negative exponent", func(c *REVO) { c.DistExponent = -4 }, "distance exponent must be an integer from 1 to 64, got -4"},
		{"huge exponent", func(c *REVO) { c.DistExponent = 65 }, "got 65"},
		{"unknown merge algorithm", func(c *REVO) { c.MergeAlg = "pair" }, `unknown merge algorithm "pair"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			// Resample refuses what Validate refuses.
			_, rerr := c.Resample(revoLine([]float64{0, 1}, []float64{0.5, 0.5}), nil, revoStream(0))
			if (err == nil) != (rerr == nil) {
				t.Fatalf("Validate %v but Resample %v", err, rerr)
			}
		})
	}
}

func TestREVOInputErrors(t *testing.T) {
	cfg := REVO{MergeDist: 0.25, CharDist: 0.1}
	if _, err := cfg.Resample(nil, nil, revoStream(0)); !errors.Is(err, ErrEmpty) {
		t.Fatalf("no walkers: %v, want ErrEmpty", err)
	}
	for _, tc := range []struct {
		name    string
		walkers []Walker
		metric  Metric
		want    string
	}{
		{"zero weight", revoLine([]float64{0, 1}, []float64{1, 0}), nil, "walker 1 has weight 0"},
		{"NaN weight", revoLine([]float64{0, 1}, []float64{math.NaN(), 1}), nil, "walker 0 has weight NaN"},
		{"infinite weight", revoLine([]float64{0, 1}, []float64{math.Inf(1), 1}), nil, "walker 0 has weight +Inf"},
		{"ragged images", []Walker{{Weight: 0.5, Image: []float64{0}}, {Weight: 0.5, Image: []float64{0, 1}}}, nil, "walker 1 image has length 2"},
		{"NaN distance", revoLine([]float64{0, 1, 2}, []float64{0.3, 0.3, 0.4}), func(a, b []float64) float64 {
			if a[0]+b[0] == 3 {
				return math.NaN()
			}
			return math.Abs(a[0] - b[0])
		}, "distance between walkers 1 and 2 is NaN"},
		{"negative distance", revoLine([]float64{0, 1}, []float64{0.5, 0.5}), func(a, b []float64) float64 { return a[0] - b[0] }, "is -1"},
		{"overflow", revoLine([]float64{0, 1e150}, []float64{0.5, 0.5}), nil, "variation overflows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.Metric = tc.metric
			_, err := c.Resample(tc.walkers, nil, revoStream(0))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestREVOPowCorrectlyRounded checks revoPowInt against x^n computed
// exactly with math/big and rounded once to float64.
func TestREVOPowCorrectlyRounded(t *testing.T) {
	r := revoStream(7)
	for i := range 20000 {
		x := math.Ldexp(0.5+0.5*r.Float64(), r.IntN(40)-20)
		n := 1 + r.IntN(9)
		exact := new(big.Float).SetPrec(2000).SetFloat64(1)
		bx := new(big.Float).SetPrec(2000).SetFloat64(x)
		for range n {
			exact.Mul(exact, bx)
		}
		want, _ := exact.Float64() // rounds to nearest even
		if got := revoPowInt(x, n); got != want {
			t.Fatalf("case %d: %v^%d = %v, want %v", i, x, n, got, want)
		}
		if n == 4 {
			if got := revoPow4(x); got != want {
				t.Fatalf("case %d: revoPow4(%v) = %v, want %v", i, x, got, want)
			}
		}
	}
	for _, x := range []float64{0, 1, 2, 1e100, 1e300, math.Inf(1)} {
		if got, want := revoPow4(x), math.Pow(x, 4); got != want {
			t.Fatalf("revoPow4(%v) = %v, want %v", x, got, want)
		}
		if got, want := revoPowInt(x, 3), math.Pow(x, 3); got != want {
			t.Fatalf("revoPowInt(%v, 3) = %v, want %v", x, got, want)
		}
	}
}

// revoBigLog returns ln x to about 300 bits: k·ln 2 + 2 atanh(s) with
// s = (m−1)/(m+1), and ln 2 = 2 atanh(1/3), summed in math/big.
func revoBigLog(x float64) *big.Float {
	const prec = 320
	atanh := func(s *big.Float) *big.Float {
		sum := new(big.Float).SetPrec(prec).Set(s)
		s2 := new(big.Float).SetPrec(prec).Mul(s, s)
		pow := new(big.Float).SetPrec(prec).Set(s)
		eps := new(big.Float).SetPrec(prec).SetMantExp(big.NewFloat(1), -prec)
		for i := int64(3); ; i += 2 {
			pow.Mul(pow, s2)
			term := new(big.Float).SetPrec(prec).Quo(pow, new(big.Float).SetInt64(i))
			sum.Add(sum, term)
			if term.Sign() == 0 || new(big.Float).Abs(term).Cmp(eps) < 0 {
				return sum
			}
		}
	}
	third := new(big.Float).SetPrec(prec).Quo(big.NewFloat(1), big.NewFloat(3))
	ln2 := new(big.Float).SetPrec(prec).Mul(big.NewFloat(2), atanh(third))
	m, k := math.Frexp(x)
	bm := new(big.Float).SetPrec(prec).SetFloat64(m)
	one := big.NewFloat(1)
	s := new(big.Float).SetPrec(prec).Quo(
		new(big.Float).SetPrec(prec).Sub(bm, one),
		new(big.Float).SetPrec(prec).Add(bm, one))
	r := new(big.Float).SetPrec(prec).Mul(big.NewFloat(2), atanh(s))
	return r.Add(r, new(big.Float).SetPrec(prec).Mul(ln2, big.NewFloat(float64(k))))
}

// TestREVOLogCorrectlyRounded checks revoLog against the logarithm
// computed to 320 bits and rounded once, near 1 (cancellation), over the
// weights and copy ratios REVO meets, and over the whole exponent range.
func TestREVOLogCorrectlyRounded(t *testing.T) {
	r := revoStream(11)
	xs := []float64{1, 2, 0.5, 1e-14, 1e-12 / 100, math.SmallestNonzeroFloat64, math.MaxFloat64,
		math.Nextafter(1, 2), math.Nextafter(1, 0), math.Sqrt2 / 2, math.Sqrt2}
	for range 3000 {
		xs = append(xs,
			1+(r.Float64()-0.5)*1e-3,  // near 1
			math.Exp(-40*r.Float64()), // weights down to 4e-18
			math.Ldexp(0.5+0.5*r.Float64(), r.IntN(2000)-1000))
	}
	for _, x := range xs {
		want, _ := revoBigLog(x).Float64()
		if got := revoLog(x); got != want {
			t.Fatalf("revoLog(%v) = %v, want %v", x, got, want)
		}
	}
	for x, want := range map[float64]float64{0: math.Inf(-1), -1: math.NaN(), math.Inf(1): math.Inf(1)} {
		if got := revoLog(x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("revoLog(%v) = %v, want %v", x, got, want)
		}
	}
	// The double-double ln 2 is ln 2 to 107 bits.
	hi, _ := revoBigLog(2).Float64()
	lo, _ := new(big.Float).Sub(revoBigLog(2), big.NewFloat(hi)).Float64()
	if hi != revoLn2Hi || lo != revoLn2Lo {
		t.Fatalf("ln 2 = %v + %v, want %v + %v", hi, lo, revoLn2Hi, revoLn2Lo)
	}
}
