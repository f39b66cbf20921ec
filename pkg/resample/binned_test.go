package resample

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/rng"
)

// binTestStream is the stream of test case i.
func binTestStream(i int) *rng.Stream {
	return rng.NewKey("resample-binned-test", [32]byte{}, uint64(i), 0)
}

// binWalkers1D builds 1-D walkers from weights and positions.
func binWalkers1D(w, x []float64) []Walker {
	ws := make([]Walker, len(w))
	for i := range w {
		ws[i] = Walker{Weight: w[i], Image: []float64{x[i]}}
	}
	return ws
}

// binTB is what the invariant checks need of *testing.T and *rapid.T.
type binTB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// binCheck checks the invariants every Binned or MAB result must meet:
// weight conserved to 1e-12 (ARCHITECTURE.md §7), parents valid, every output walker
// in its parent's bin (so no empty bin gains walkers), records consistent
// with the output, and the summary. as are the input walkers' bins;
// target, if not nil, is the exact count every occupied bin must end with.
func binCheck(t binTB, walkers []Walker, as []binAssign, res Result, target func(flat int) int) {
	t.Helper()
	n := len(walkers)
	if len(res.Records) != n {
		t.Fatalf("%d records for %d walkers", len(res.Records), n)
	}
	var in, out float64
	for _, w := range walkers {
		in += w.Weight
	}
	occupied := map[int]int{}
	for _, a := range as {
		occupied[a.flat] = 0
	}
	children := make([][]int, n)
	minW, maxW := math.Inf(1), math.Inf(-1)
	for s, o := range res.Walkers {
		if o.Parent < 0 || o.Parent >= n {
			t.Fatalf("walker %d: parent %d out of range", s, o.Parent)
		}
		if !(o.Weight > 0) {
			t.Fatalf("walker %d: weight %g", s, o.Weight)
		}
		if !slices.Equal(o.Region, as[o.Parent].region) {
			t.Fatalf("walker %d: region %v, its parent %d is in %v", s, o.Region, o.Parent, as[o.Parent].region)
		}
		occupied[o.Region[0]]++
		children[o.Parent] = append(children[o.Parent], s)
		out += o.Weight
		minW, maxW = math.Min(minW, o.Weight), math.Max(maxW, o.Weight)
	}
	// ARCHITECTURE.md §7: |Σw_out − Σw_in| ≤ 1e-12 for Σw_in = 1; scaled for others.
	if math.Abs(out-in) > 1e-12*math.Max(1, in) {
		t.Fatalf("weight not conserved: in %.17g, out %.17g", in, out)
	}
	if target != nil {
		for f, c := range occupied {
			if c != target(f) {
				t.Fatalf("bin %d ends with %d walkers, want %d", f, c, target(f))
			}
		}
	}
	for i, rec := range res.Records {
		switch rec.Decision {
		case Clone, Nothing, KeepMerge:
			if !slices.Equal(rec.Targets, children[i]) {
				t.Fatalf("walker %d: %v targets %v, its descendants are %v", i, rec.Decision, rec.Targets, children[i])
			}
			if (rec.Decision == Clone) != (len(rec.Targets) >= 2) {
				t.Fatalf("walker %d: %v with %d targets", i, rec.Decision, len(rec.Targets))
			}
		case Squash:
			if len(children[i]) != 0 || len(rec.Targets) == 0 {
				t.Fatalf("walker %d: SQUASH with descendants %v, targets %v", i, children[i], rec.Targets)
			}
			for _, s := range rec.Targets {
				if d := res.Records[res.Walkers[s].Parent].Decision; d != KeepMerge && d != Clone {
					t.Fatalf("walker %d squashed into slot %d whose parent reads %v", i, s, d)
				}
			}
		default:
			t.Fatalf("walker %d: decision %v", i, rec.Decision)
		}
	}
	sum := res.Summary
	if sum["n_bins_occupied"] != float64(len(occupied)) {
		t.Fatalf("n_bins_occupied %g, want %d", sum["n_bins_occupied"], len(occupied))
	}
	if sum["min_weight"] != minW || sum["max_weight"] != maxW {
		t.Fatalf("summary weights [%g, %g], want [%g, %g]", sum["min_weight"], sum["max_weight"], minW, maxW)
	}
	for _, k := range []string{"n_splits", "n_merges", "n_bins"} {
		if _, ok := sum[k]; !ok {
			t.Fatalf("summary lacks %q", k)
		}
	}
}

func (b Binned) binAssignAll(walkers []Walker) []binAssign {
	as := make([]binAssign, len(walkers))
	for i, w := range walkers {
		f, idx := b.bin(w.Image)
		as[i] = binAssign{flat: f, region: binRegion(f, idx)}
	}
	return as
}

// binWeights lists the output weights.
func binWeights(res Result) []float64 {
	w := make([]float64, len(res.Walkers))
	for i, o := range res.Walkers {
		w[i] = o.Weight
	}
	return w
}

func binParents(res Result) []int {
	p := make([]int, len(res.Walkers))
	for i, o := range res.Walkers {
		p[i] = o.Parent
	}
	return p
}

// TestBinnedSplitByWeight is WESTPA's test_split_by_weight
// (tests/test_we_driver.py): one walker per bin, each split into PerBin
// equal pieces.
func TestBinnedSplitByWeight(t *testing.T) {
	b := Binned{Edges: [][]float64{{1.0}}, PerBin: 4}
	walkers := binWalkers1D([]float64{0.25, 0.75}, []float64{0.5, 1.5})
	res, err := b.Resample(walkers, nil, binTestStream(0))
	if err != nil {
		t.Fatal(err)
	}
	binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 4 })
	// 0.25/4 and 0.75/4 are exact.
	want := []float64{0.0625, 0.0625, 0.0625, 0.0625, 0.1875, 0.1875, 0.1875, 0.1875}
	if got := binWeights(res); !slices.Equal(got, want) {
		t.Fatalf("weights %v, want %v", got, want)
	}
	wantRec := []Record{{Clone, []int{0, 1, 2, 3}}, {Clone, []int{4, 5, 6, 7}}}
	if !reflect.DeepEqual(res.Records, wantRec) {
		t.Fatalf("records %v, want %v", res.Records, wantRec)
	}
	if res.Summary["n_splits"] != 2 || res.Summary["n_merges"] != 0 {
		t.Fatalf("summary %v", res.Summary)
	}
}

// TestBinnedSplitWithAdjust is WESTPA's test_split_with_adjust, worked by
// hand. Bin 0 holds 0.125+0.125, target 5: w* = 0.05, each walker exceeds
// 2w* and splits into ⌈2.5⌉ = 3 pieces of 0.125/3; no two pieces fit under
// w*, so no merge; the count adjustment merges the two lightest, equal
// pieces by creation order: both pieces of walker 0. Bin 1 likewise with
// 0.375 (w* = 0.15, pieces 0.125). The survivor's parent is the same
// whatever the draw.
func TestBinnedSplitWithAdjust(t *testing.T) {
	b := Binned{Edges: [][]float64{{1.0}}, PerBin: 5}
	walkers := binWalkers1D([]float64{0.125, 0.125, 0.375, 0.375}, []float64{0.5, 0.5, 1.5, 1.5})
	res, err := b.Resample(walkers, nil, binTestStream(1))
	if err != nil {
		t.Fatal(err)
	}
	binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 5 })
	p := 0.125 / 3
	want := []float64{p, p + p, p, p, p, 0.125, 0.25, 0.125, 0.125, 0.125}
	if got := binWeights(res); !slices.Equal(got, want) {
		t.Fatalf("weights %v, want %v", got, want)
	}
	wantParents := []int{0, 0, 1, 1, 1, 2, 2, 3, 3, 3}
	if got := binParents(res); !slices.Equal(got, wantParents) {
		t.Fatalf("parents %v, want %v", got, wantParents)
	}
	wantRec := []Record{{Clone, []int{0, 1}}, {Clone, []int{2, 3, 4}}, {Clone, []int{5, 6}}, {Clone, []int{7, 8, 9}}}
	if !reflect.DeepEqual(res.Records, wantRec) {
		t.Fatalf("records %v, want %v", res.Records, wantRec)
	}
	if res.Summary["n_splits"] != 4 || res.Summary["n_merges"] != 2 {
		t.Fatalf("summary %v", res.Summary)
	}
}

// TestBinnedMergeLight works a split, a merge of light walkers and a count
// adjustment by hand. One bin, target 4, weights 0.05, 0.05, 0.1, 0.8:
// w* = 0.25; 0.8 > 2w* splits into ⌈3.2⌉ = 4 pieces of 0.2; the running sum
// 0.05, 0.1, 0.2 stays ≤ w* for three walkers, which merge into 0.2 (the
// survivor is drawn); 5 walkers remain, so the two lightest (the first two
// pieces, by creation order) merge into 0.4. All these sums are exact in
// binary: 0.05+0.05 = 0.1, 0.1+0.1 = 0.2, 0.8/4 = 0.2.
func TestBinnedMergeLight(t *testing.T) {
	b := Binned{Edges: [][]float64{{10}}, PerBin: 4}
	walkers := binWalkers1D([]float64{0.05, 0.05, 0.1, 0.8}, []float64{0, 1, 2, 3})
	for seed := range 20 {
		res, err := b.Resample(walkers, nil, binTestStream(seed))
		if err != nil {
			t.Fatal(err)
		}
		binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 4 })
		if got, want := binWeights(res), []float64{0.2, 0.2, 0.2, 0.4}; !slices.Equal(got, want) {
			t.Fatalf("weights %v, want %v", got, want)
		}
		s := res.Walkers[0].Parent
		if s > 2 {
			t.Fatalf("survivor %d, want one of the light walkers", s)
		}
		for i := range 3 {
			want := Record{Squash, []int{0}}
			if i == s {
				want = Record{KeepMerge, []int{0}}
			}
			if !reflect.DeepEqual(res.Records[i], want) {
				t.Fatalf("seed %d: walker %d: %v, want %v", seed, i, res.Records[i], want)
			}
		}
		if want := (Record{Clone, []int{1, 2, 3}}); !reflect.DeepEqual(res.Records[3], want) {
			t.Fatalf("walker 3: %v, want %v", res.Records[3], want)
		}
		if res.Summary["n_splits"] != 1 || res.Summary["n_merges"] != 2 {
			t.Fatalf("summary %v", res.Summary)
		}
	}
}

// TestBinnedTies: of equal walkers the count adjustment splits the latest
// (two walkers of 0.5, target 3: w* = 1/3, neither above 2w* nor two under
// w*; walker 1 is split).
func TestBinnedTies(t *testing.T) {
	b := Binned{Edges: [][]float64{{1}}, PerBin: 3}
	walkers := binWalkers1D([]float64{0.5, 0.5}, []float64{0, 0.5})
	res, err := b.Resample(walkers, nil, binTestStream(12))
	if err != nil {
		t.Fatal(err)
	}
	binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 3 })
	want := []Record{{Nothing, []int{0}}, {Clone, []int{1, 2}}}
	if !reflect.DeepEqual(res.Records, want) || !slices.Equal(binWeights(res), []float64{0.5, 0.25, 0.25}) {
		t.Fatalf("records %v weights %v, want %v [0.5 0.25 0.25]", res.Records, binWeights(res), want)
	}
}

// TestBinnedSurvivor is WESTPA's test_merge_by_weight: walkers of weight
// 1/3 and 2/3 in one bin of target 1, merged 1000 times with independent
// streams. The lighter must survive between 295 and 372 times: WESTPA's
// bounds binom.ppf(α/2) and binom.ppf(1−α/2) for binomial(1000, 1/3) with
// α = 0.01, the central 99% interval (≈ ±2.6σ, σ = 14.9). The streams are
// fixed, so the test is deterministic.
func TestBinnedSurvivor(t *testing.T) {
	b := Binned{Edges: [][]float64{{1.0}}, PerBin: 1}
	walkers := binWalkers1D([]float64{1.0 / 3, 2.0 / 3}, []float64{0.25, 0.75})
	light := 0
	for i := range 1000 {
		res, err := b.Resample(walkers, nil, binTestStream(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Walkers) != 1 {
			t.Fatalf("%d walkers, want 1", len(res.Walkers))
		}
		s := res.Walkers[0].Parent
		if res.Records[s].Decision != KeepMerge || !reflect.DeepEqual(res.Records[1-s], Record{Squash, []int{0}}) {
			t.Fatalf("records %v", res.Records)
		}
		if s == 0 {
			light++
		}
	}
	t.Logf("lighter walker survived %d times of 1000", light)
	if light < 295 || light > 372 {
		t.Fatalf("lighter walker survived %d times of 1000, want 295..372", light)
	}
}

// TestBinnedMultipleMerge is WESTPA's test_multiple_merge: this weight and
// target are known to split into 51 pieces (w/w* rounds above 50), which
// the count adjustment merges back to 50.
func TestBinnedMultipleMerge(t *testing.T) {
	b := Binned{Edges: [][]float64{{1.0}}, PerBin: 50}
	walkers := binWalkers1D([]float64{0.9999999999970001}, []float64{0.5})
	res, err := b.Resample(walkers, nil, binTestStream(2))
	if err != nil {
		t.Fatal(err)
	}
	binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 50 })
	if res.Records[0].Decision != Clone || len(res.Records[0].Targets) != 50 {
		t.Fatalf("record %v", res.Records[0])
	}
	if res.Summary["n_merges"] != 1 {
		t.Fatalf("n_merges %g, want 1 (51 pieces merged to 50)", res.Summary["n_merges"])
	}
}

// TestBinnedThresholds checks the MaxWeight and MinWeight rules, the cases
// where a bin does not end with its target count.
func TestBinnedThresholds(t *testing.T) {
	t.Run("max", func(t *testing.T) {
		// Each bin: 0.5 → two walkers of 0.25 (the count adjustment; 0.5
		// is not above 2w* = 0.5) → each above 0.1 splits into ⌈2.5⌉ = 3.
		b := Binned{Edges: [][]float64{{1.0}}, PerBin: 2, HuberKim: HuberKim{MaxWeight: 0.1}}
		walkers := binWalkers1D([]float64{0.5, 0.5}, []float64{0.5, 1.5})
		res, err := b.Resample(walkers, nil, binTestStream(3))
		if err != nil {
			t.Fatal(err)
		}
		binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 6 })
		for _, w := range binWeights(res) {
			if w != 0.25/3 {
				t.Fatalf("weights %v, want all 0.25/3", binWeights(res))
			}
		}
	})
	t.Run("min", func(t *testing.T) {
		// Bin 0: four walkers of 2⁻¹² (no split, no merge, count met) are
		// all below MinWeight 2⁻⁹ and merge into one of 2⁻¹⁰.
		q := math.Ldexp(1, -12)
		b := Binned{Edges: [][]float64{{1.0}}, PerBin: 4, HuberKim: HuberKim{MinWeight: math.Ldexp(1, -9)}}
		walkers := binWalkers1D([]float64{q, q, q, q, 1 - 4*q}, []float64{0, 0.1, 0.2, 0.3, 2})
		res, err := b.Resample(walkers, nil, binTestStream(4))
		if err != nil {
			t.Fatal(err)
		}
		as := b.binAssignAll(walkers)
		binCheck(t, walkers, as, res, func(f int) int { return [...]int{1, 4}[f] })
		if res.Walkers[0].Weight != 4*q {
			t.Fatalf("merged weight %g, want %g", res.Walkers[0].Weight, 4*q)
		}
		n := 0
		for _, r := range res.Records[:4] {
			if r.Decision == KeepMerge {
				n++
			}
		}
		if n != 1 || res.Summary["n_merges"] != 1 {
			t.Fatalf("records %v, summary %v", res.Records, res.Summary)
		}
	})
	t.Run("min boundary", func(t *testing.T) {
		// Walkers of exactly MinWeight are not below it and stay
		// (WESTPA: weights < smallest_allowed_weight merge).
		q := math.Ldexp(1, -12)
		b := Binned{Edges: [][]float64{{1.0}}, PerBin: 4, HuberKim: HuberKim{MinWeight: q}}
		walkers := binWalkers1D([]float64{q, q, q, q, 1 - 4*q}, []float64{0, 0.1, 0.2, 0.3, 2})
		res, err := b.Resample(walkers, nil, binTestStream(6))
		if err != nil {
			t.Fatal(err)
		}
		binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 4 })
		if res.Summary["n_merges"] != 0 {
			t.Fatalf("summary %v, want no merge", res.Summary)
		}
	})
	t.Run("off", func(t *testing.T) {
		// The same with NoThresholds keeps the four light walkers.
		q := math.Ldexp(1, -12)
		b := Binned{Edges: [][]float64{{1.0}}, PerBin: 4, HuberKim: HuberKim{MinWeight: math.Ldexp(1, -9), NoThresholds: true}}
		walkers := binWalkers1D([]float64{q, q, q, q}, []float64{0, 0.1, 0.2, 0.3})
		res, err := b.Resample(walkers, nil, binTestStream(5))
		if err != nil {
			t.Fatal(err)
		}
		binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return 4 })
	})
}

// TestBinnedNoAdjustCounts: three walkers of 1/3, target 2: w* = 1/2, no
// walker exceeds 2w* and no two fit under w*, so only the count
// adjustment would act.
func TestBinnedNoAdjustCounts(t *testing.T) {
	walkers := binWalkers1D([]float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, []float64{0, 1, 2})
	for _, c := range []struct {
		off  bool
		want int
	}{{false, 2}, {true, 3}} {
		b := Binned{Edges: [][]float64{{5}}, PerBin: 2, HuberKim: HuberKim{NoAdjustCounts: c.off}}
		res, err := b.Resample(walkers, nil, binTestStream(6))
		if err != nil {
			t.Fatal(err)
		}
		binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return c.want })
	}
}

// TestBinnedTargetCounts gives each bin its own target.
func TestBinnedTargetCounts(t *testing.T) {
	b := Binned{Edges: [][]float64{{0.5}}, PerBin: 7, TargetCounts: []int{1, 3}}
	walkers := binWalkers1D([]float64{0.25, 0.25, 0.5}, []float64{0, 0.1, 0.9})
	res, err := b.Resample(walkers, nil, binTestStream(7))
	if err != nil {
		t.Fatal(err)
	}
	binCheck(t, walkers, b.binAssignAll(walkers), res, func(f int) int { return b.TargetCounts[f] })
}

// TestBinnedBin checks the bin of an image: half-open bins [e_i, e_{i+1}),
// open outer bins, C order over dimensions, and the float32 option.
func TestBinnedBin(t *testing.T) {
	b2 := Binned{Edges: [][]float64{{0.5}, {1.0, 2.0}}, PerBin: 1}
	f32 := Binned{Edges: [][]float64{{0.1}}, PerBin: 1, Float32: true}
	f64 := Binned{Edges: [][]float64{{0.1}}, PerBin: 1}
	for _, c := range []struct {
		b    Binned
		x    []float64
		flat int
		idx  []int
	}{
		{b2, []float64{0.7, 1.5}, 4, []int{1, 1}},
		{b2, []float64{0.5, 1.0}, 4, []int{1, 1}}, // edges belong to the bin above
		{b2, []float64{0.4999, 0.9}, 0, []int{0, 0}},
		{b2, []float64{-1e300, 1e300}, 2, []int{0, 2}},
		{b2, []float64{3, 2.0}, 5, []int{1, 2}},
		{b2, []float64{0, 1.9999}, 1, []int{0, 1}},
		// 0.09999999999 rounds to float32(0.1), the rounded edge.
		{f64, []float64{0.09999999999}, 0, []int{0}},
		{f32, []float64{0.09999999999}, 1, []int{1}},
		{f64, []float64{0.1}, 1, []int{1}},
	} {
		flat, idx := c.b.bin(c.x)
		if flat != c.flat || !slices.Equal(idx, c.idx) {
			t.Errorf("bin(%v) with edges %v float32=%v = %d %v, want %d %v", c.x, c.b.Edges, c.b.Float32, flat, idx, c.flat, c.idx)
		}
	}
	walkers := []Walker{{Weight: 1, Image: []float64{0.7, 1.5}}}
	res, err := b2.Resample(walkers, nil, binTestStream(8))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Walkers[0].Region, []int{4, 1, 1}) {
		t.Fatalf("region %v, want [4 1 1]", res.Walkers[0].Region)
	}
	if res.Summary["n_bins"] != 6 {
		t.Fatalf("n_bins %g, want 6", res.Summary["n_bins"])
	}
}

// TestBinnedPairwiseSum compares numpy's pairwise summation with exact
// sums on inputs whose partial sums are exact, and with the block
// structure of numpy's code on one where rounding differs from a
// left-to-right sum.
func TestBinnedPairwiseSum(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 128, 129, 1000} {
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(i % 5)
		}
		var want float64
		for _, x := range a {
			want += x
		}
		if got := binPairwiseSum(a); got != want {
			t.Errorf("n=%d: %g, want %g", n, got, want)
		}
	}
	// 1 followed by eight u/2 (u = 2⁻⁵²): left to right every u/2 is
	// lost against 1 (ties to even). numpy's blocks: r = [1, u/2 ×7],
	// ((1+u/2) + (u/2+u/2)) + ((u/2+u/2) + (u/2+u/2)) = (1+u) + 2u = 1+3u,
	// then + u/2 = 1+4u (ties to even).
	a := []float64{1}
	for range 8 {
		a = append(a, 0x1p-53)
	}
	if got, want := binPairwiseSum(a), 1+4*0x1p-52; got != want {
		t.Fatalf("pairwise sum %.17g, want %.17g", got, want)
	}
}

func TestBinnedValidate(t *testing.T) {
	ok := Binned{Edges: [][]float64{{0, 1}, {}}, PerBin: 2}
	for _, c := range []struct {
		name string
		b    Binned
		want string // substring of the error; "" for none
	}{
		{"ok", ok, ""},
		{"ok float32", Binned{Edges: [][]float64{{0.1, 0.2}}, PerBin: 1, Float32: true}, ""},
		{"no dims", Binned{PerBin: 1}, "no dimensions"},
		{"nan", Binned{Edges: [][]float64{{0}, {1, math.NaN()}}, PerBin: 1}, "dimension 1: edge 1 is NaN"},
		{"inf", Binned{Edges: [][]float64{{math.Inf(-1), 0}}, PerBin: 1}, "dimension 0: edge 0 is infinite"},
		{"equal", Binned{Edges: [][]float64{{0, 1}, {2, 2}}, PerBin: 1}, "dimension 1: edges are not strictly increasing"},
		{"decreasing", Binned{Edges: [][]float64{{1, 0}}, PerBin: 1}, "dimension 0: edges are not strictly increasing"},
		{"float32 collapse", Binned{Edges: [][]float64{{0.1, 0.1000000001}}, PerBin: 1, Float32: true}, "after rounding to float32"},
		{"float32 overflow", Binned{Edges: [][]float64{{1e39}}, PerBin: 1, Float32: true}, "overflows float32"},
		{"perbin", Binned{Edges: [][]float64{{0}}, PerBin: 0}, "PerBin is 0"},
		{"too many bins", Binned{Edges: [][]float64{make([]float64, 1<<16), make([]float64, 1<<16)}, PerBin: 1}, "more than"},
		{"targets length", Binned{Edges: [][]float64{{0}}, PerBin: 1, TargetCounts: []int{1}}, "TargetCounts has 1 entries for 2 bins"},
		{"targets zero", Binned{Edges: [][]float64{{0}}, PerBin: 1, TargetCounts: []int{1, 0}}, "TargetCounts[1] is 0"},
		{"min = max", Binned{Edges: [][]float64{{0}}, PerBin: 1, HuberKim: HuberKim{MinWeight: 0.5, MaxWeight: 0.5}}, "MinWeight 0.5 must be smaller"},
		{"max below default min", Binned{Edges: [][]float64{{0}}, PerBin: 1, HuberKim: HuberKim{MaxWeight: 1e-320}}, "must be smaller"},
		{"negative split", Binned{Edges: [][]float64{{0}}, PerBin: 1, HuberKim: HuberKim{SplitThreshold: -1}}, "SplitThreshold is -1"},
		{"nan cutoff", Binned{Edges: [][]float64{{0}}, PerBin: 1, HuberKim: HuberKim{MergeCutoff: math.NaN()}}, "MergeCutoff is NaN"},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Strictly increasing edges for the "too many bins" case.
			for _, e := range c.b.Edges {
				if len(e) == 1<<16 {
					for i := range e {
						e[i] = float64(i)
					}
				}
			}
			err := c.b.Validate()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestBinnedInputErrors(t *testing.T) {
	b := Binned{Edges: [][]float64{{0}}, PerBin: 1}
	if _, err := b.Resample(nil, nil, binTestStream(0)); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
	for _, c := range []struct {
		w    Walker
		want string
	}{
		{Walker{Weight: 0, Image: []float64{0}}, "walker 1 has weight 0"},
		{Walker{Weight: -1, Image: []float64{0}}, "walker 1 has weight -1"},
		{Walker{Weight: math.Inf(1), Image: []float64{0}}, "walker 1 has weight +Inf"},
		{Walker{Weight: 0.5, Image: []float64{0, 1}}, "image of 2 values, want 1"},
		{Walker{Weight: 0.5, Image: []float64{math.NaN()}}, "image value 0 is NaN"},
	} {
		walkers := []Walker{{Weight: 0.5, Image: []float64{1}}, c.w}
		if _, err := b.Resample(walkers, nil, binTestStream(0)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
	if _, err := (Binned{Edges: [][]float64{{0}}}).Resample([]Walker{{Weight: 1, Image: []float64{0}}}, nil, binTestStream(0)); err == nil {
		t.Errorf("invalid config accepted")
	}
}

// binGenWeights draws n positive weights spanning many orders of
// magnitude, normalised to Σw = 1 − 1e-9: a bin holding all the weight
// must not sum to 1+ε, which the default MaxWeight 1 would split in two,
// as WESTPA does.
func binGenWeights(t *rapid.T, n int) []float64 {
	w := make([]float64, n)
	var s float64
	for i := range w {
		w[i] = math.Pow(10, -rapid.Float64Range(0, 8).Draw(t, "logw"))
		s += w[i]
	}
	for i := range w {
		w[i] *= (1 - 1e-9) / s
	}
	return w
}

// binGenBinned draws a configuration and an ensemble.
func binGenBinned(t *rapid.T) (Binned, []Walker) {
	ndim := rapid.IntRange(1, 3).Draw(t, "ndim")
	b := Binned{Edges: make([][]float64, ndim), PerBin: rapid.IntRange(1, 6).Draw(t, "perbin")}
	for d := range b.Edges {
		k := rapid.IntRange(0, 4).Draw(t, "nedges")
		e := make([]float64, 0, k)
		for range k {
			e = append(e, rapid.Float64Range(-1, 2).Draw(t, "edge"))
		}
		slices.Sort(e)
		b.Edges[d] = slices.Compact(e)
	}
	n := rapid.IntRange(1, 60).Draw(t, "n")
	w := binGenWeights(t, n)
	walkers := make([]Walker, n)
	for i := range walkers {
		x := make([]float64, ndim)
		for d := range x {
			x[d] = rapid.Float64Range(-1.5, 2.5).Draw(t, "x")
		}
		walkers[i] = Walker{Weight: w[i], Image: x}
	}
	return b, walkers
}

// TestBinnedProperties: with the default thresholds (MaxWeight 1 ≥ any
// weight, MinWeight 1e-310 below any weight drawn) every occupied bin ends
// with exactly PerBin walkers; and the general invariants and determinism.
func TestBinnedProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b, walkers := binGenBinned(t)
		seed := rapid.IntRange(0, 1<<20).Draw(t, "seed")
		res, err := b.Resample(walkers, nil, binTestStream(seed))
		if err != nil {
			t.Fatal(err)
		}
		binCheck(t, walkers, b.binAssignAll(walkers), res, func(int) int { return b.PerBin })
		again, err := b.Resample(walkers, nil, binTestStream(seed))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res, again) {
			t.Fatalf("same input and stream gave different results")
		}
	})
}

// TestBinnedThresholdProperties: with a MaxWeight and MinWeight that bind,
// counts may differ from PerBin, but each bin keeps at most one walker
// below MinWeight (WESTPA merges all of them; the merged walker may still
// be below it) and, where feasible, none above MaxWeight. Feasible: the
// merge of the light walkers runs after the split of the heavy ones and
// may exceed MaxWeight; at most PerBin walkers are light after the count
// adjustment (pieces of a split exceed MaxWeight/2 > MinWeight), so
// PerBin·MinWeight ≤ MaxWeight suffices.
func TestBinnedThresholdProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b, walkers := binGenBinned(t)
		b.MaxWeight = rapid.Float64Range(0.02, 1).Draw(t, "max")
		b.MinWeight = b.MaxWeight * rapid.Float64Range(1e-6, 0.45).Draw(t, "min") / float64(b.PerBin)
		res, err := b.Resample(walkers, nil, binTestStream(rapid.IntRange(0, 1<<20).Draw(t, "seed")))
		if err != nil {
			t.Fatal(err)
		}
		binCheck(t, walkers, b.binAssignAll(walkers), res, nil)
		light := map[int]int{}
		for _, o := range res.Walkers {
			if o.Weight > b.MaxWeight {
				t.Fatalf("weight %g above MaxWeight %g", o.Weight, b.MaxWeight)
			}
			if o.Weight < b.MinWeight {
				if light[o.Region[0]]++; light[o.Region[0]] > 1 {
					t.Fatalf("bin %d keeps two walkers below MinWeight %g", o.Region[0], b.MinWeight)
				}
			}
		}
	})
}

// binBenchWalkers is a 1-D ensemble of n walkers on [0, 1) with weights
// spread over four orders of magnitude.
func binBenchWalkers(n int) []Walker {
	r := binTestStream(99)
	walkers := make([]Walker, n)
	var s float64
	for i := range walkers {
		w := math.Pow(10, -4*r.Float64())
		walkers[i] = Walker{Weight: w, Image: []float64{r.Float64()}}
		s += w
	}
	for i := range walkers {
		walkers[i].Weight /= s
	}
	return walkers
}

var binBenchSizes = []int{48, 192, 768, 3072, 10000}
