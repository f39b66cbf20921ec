package resample

import (
	"bytes"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/wepipe/wepipe/pkg/rng"
)

func wexStream(i, seed uint64) *rng.Stream {
	return rng.NewKey("test-wexplore", [32]byte{}, i, seed)
}

// wexWalkers1D makes walkers with 1-D images at xs and weights ws.
func wexWalkers1D(xs, ws []float64) []Walker {
	out := make([]Walker, len(xs))
	for i := range xs {
		out[i] = Walker{Weight: ws[i], Image: []float64{xs[i]}}
	}
	return out
}

func wexEqual(n int, w float64) []float64 {
	ws := make([]float64, n)
	for i := range ws {
		ws[i] = w
	}
	return ws
}

func wexTreePaths(t *testing.T, state []byte) ([][]int, [][]float64) {
	t.Helper()
	tr, err := DecodeWExploreTree(state)
	if err != nil {
		t.Fatal(err)
	}
	var paths [][]int
	var imgs [][]float64
	for _, r := range tr.Regions {
		paths = append(paths, r.Path)
		imgs = append(imgs, r.Image)
	}
	return paths, imgs
}

// TestWExplorePlacement checks region creation by hand: the first level
// (from the top) beyond its cut-off with room branches, the first walker
// that qualifies makes the region and gives it its image, and full levels
// push the branching down or forbid it.
func TestWExplorePlacement(t *testing.T) {
	tests := []struct {
		name       string
		cfg        WExplore
		xs         []float64
		wantPaths  [][]int   // leaves in creation order
		wantImages []float64 // 1-D image of each leaf
		wantRegion [][]int   // leaf of each walker
		wantNew    float64
	}{
		{
			name: "two levels",
			cfg:  WExplore{RegionSizes: []float64{1, 0.5}, PMax: 0.5},
			xs:   []float64{0, 0.3, 0.7, 2.0, 2.1, 0.6},
			// 0.7 is within 1 of region (0) but beyond 0.5 of (0,0): a new
			// level-1 child (0,1). 2.0 is beyond 1 of (0): new top region.
			// 0.6 goes to (0) (0.6 < 1.4), then to (0,1) (0.1 < 0.6).
			wantPaths:  [][]int{{0, 0}, {0, 1}, {1, 0}},
			wantImages: []float64{0, 0.7, 2.0},
			wantRegion: [][]int{{0, 0}, {0, 0}, {0, 1}, {1, 0}, {1, 0}, {0, 1}},
			wantNew:    2,
		},
		{
			name: "first walker makes the region",
			cfg:  WExplore{RegionSizes: []float64{1, 0.5}, PMax: 0.5},
			xs:   []float64{0, 0.8, 0.7},
			// 0.7 also qualified against (0,0) alone, but 0.8 came first and
			// 0.7 is within 0.1 of its image.
			wantPaths:  [][]int{{0, 0}, {0, 1}},
			wantImages: []float64{0, 0.8},
			wantRegion: [][]int{{0, 0}, {0, 1}, {0, 1}},
			wantNew:    1,
		},
		{
			name:       "full top level branches below",
			cfg:        WExplore{RegionSizes: []float64{1, 0.5}, MaxRegions: []int{1, 10}, PMax: 0.5},
			xs:         []float64{0, 2.0, 2.2},
			wantPaths:  [][]int{{0, 0}, {0, 1}},
			wantImages: []float64{0, 2.0},
			wantRegion: [][]int{{0, 0}, {0, 1}, {0, 1}},
			wantNew:    1,
		},
		{
			name:       "all levels full",
			cfg:        WExplore{RegionSizes: []float64{1, 0.5}, MaxRegions: []int{1, 1}, PMax: 0.5},
			xs:         []float64{0, 2.0},
			wantPaths:  [][]int{{0, 0}},
			wantImages: []float64{0},
			wantRegion: [][]int{{0, 0}, {0, 0}},
			wantNew:    0,
		},
		{
			name: "init image seeds the tree",
			cfg:  WExplore{RegionSizes: []float64{1, 0.5}, PMax: 0.5, InitImage: []float64{5}},
			xs:   []float64{0, 0.2},
			// The seed region is not counted as new, as in wepy, where
			// it is made in RegionTree.__init__.
			wantPaths:  [][]int{{0, 0}, {1, 0}},
			wantImages: []float64{5, 0},
			wantRegion: [][]int{{1, 0}, {1, 0}},
			wantNew:    1,
		},
		{
			name:       "ties go to the first region",
			cfg:        WExplore{RegionSizes: []float64{1}, PMax: 0.5},
			xs:         []float64{0, 2, 1},
			wantPaths:  [][]int{{0}, {1}},
			wantImages: []float64{0, 2},
			wantRegion: [][]int{{0}, {1}, {0}},
			wantNew:    1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws := wexWalkers1D(tc.xs, wexEqual(len(tc.xs), 1/float64(len(tc.xs))))
			res, err := tc.cfg.Resample(ws, nil, wexStream(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			paths, imgs := wexTreePaths(t, res.State)
			if !reflect.DeepEqual(paths, tc.wantPaths) {
				t.Errorf("leaves %v, want %v", paths, tc.wantPaths)
			}
			for i, img := range imgs {
				if img[0] != tc.wantImages[i] {
					t.Errorf("leaf %d image %v, want %v", i, img, tc.wantImages[i])
				}
			}
			for s, o := range res.Walkers {
				if !slices.Equal(o.Region, tc.wantRegion[o.Parent]) {
					t.Errorf("slot %d (parent %d) region %v, want %v", s, o.Parent, o.Region, tc.wantRegion[o.Parent])
				}
			}
			if res.Summary["n_new_regions"] != tc.wantNew {
				t.Errorf("n_new_regions %v, want %v", res.Summary["n_new_regions"], tc.wantNew)
			}
			if res.Summary["n_regions"] != float64(len(tc.wantPaths)) {
				t.Errorf("n_regions %v, want %d", res.Summary["n_regions"], len(tc.wantPaths))
			}
		})
	}
}

// wexWantRecords builds the expected records from a map of decisions; the
// walkers not listed do NOTHING.
func wexWantRecords(n int, m map[int]Record) []Record {
	out := make([]Record, n)
	for i := range out {
		if r, ok := m[i]; ok {
			out[i] = r
		} else {
			out[i] = Record{Decision: Nothing, Targets: []int{i}}
		}
	}
	return out
}

// TestWExploreDecisions checks balancing, merges and clones by hand. The
// survivor of a merge is the only random draw; the expected one is drawn
// from a copy of the stream with the weights in wepy's order (lightest
// first, ties in walker order).
func TestWExploreDecisions(t *testing.T) {
	t.Run("merge and clone across two levels", func(t *testing.T) {
		// Leaves (0,0) {0,1}, (0,1) {2,5}, (1,0) {3,4}, weights 1/6.
		// Root: (0) has 4 shares and 2 squashable, (1) has 2: donation
		// min(⌊2/2⌋, 2, 10) = 1, a lone donation of one. (0) pays its −1
		// with its first child (0,0); (0,1) and (0,0) then differ by one,
		// no donation. (1,0) takes +1: tie between walkers 3 and 4, the
		// later one clones.
		cfg := WExplore{RegionSizes: []float64{1, 0.5}, PMax: 0.5}
		ws := wexWalkers1D([]float64{0, 0.3, 0.7, 2.0, 2.1, 0.6}, wexEqual(6, 1.0/6))
		r := wexStream(1, 0)
		cp := *r
		keep := []int{0, 1}[cp.Choice([]float64{1.0 / 6, 1.0 / 6})]
		sq := 1 - keep
		res, err := cfg.Resample(ws, nil, r)
		if err != nil {
			t.Fatal(err)
		}
		want := wexWantRecords(6, map[int]Record{
			keep: {KeepMerge, []int{keep}},
			sq:   {Squash, []int{keep}},
			4:    {Clone, []int{4, sq}},
		})
		if !reflect.DeepEqual(res.Records, want) {
			t.Fatalf("records %v, want %v", res.Records, want)
		}
		if w := res.Walkers[keep].Weight; w != 1.0/6+1.0/6 {
			t.Errorf("survivor weight %v", w)
		}
		if o := res.Walkers[sq]; o.Parent != 4 || o.Weight != 1.0/12 || !slices.Equal(o.Region, []int{1, 0}) {
			t.Errorf("clone slot %d: %+v", sq, o)
		}
		if res.Summary["n_clones"] != 1 || res.Summary["n_merges"] != 1 {
			t.Errorf("summary %v", res.Summary)
		}
	})

	t.Run("debt paid by the first able child", func(t *testing.T) {
		// Top regions X (images 0, 0.8) and Y (image 10); leaves X0
		// {0,1,2,3}, X1 {4,5}, Y0 {6,7}; weights 1/8, pmax 0.5.
		// Root: X 6 shares (3+1 squashable), Y 2: donation 2, then even.
		// X's −2 goes to X0 (first child with squashable walkers); X0 and
		// X1 then hold 2 each. Y0 takes +2: walker 7 (later, tie), then
		// walker 6 (1/8 > 1/16).
		cfg := WExplore{RegionSizes: []float64{5, 0.5}, PMax: 0.5}
		ws := wexWalkers1D([]float64{0, 0, 0, 0, 0.8, 0.8, 10, 10}, wexEqual(8, 0.125))
		r := wexStream(2, 0)
		cp := *r
		chosen := []int{0, 1, 2}
		k := cp.Choice([]float64{0.125, 0.125, 0.125})
		keep := chosen[k]
		sq := slices.Delete(slices.Clone(chosen), k, k+1)
		res, err := cfg.Resample(ws, nil, r)
		if err != nil {
			t.Fatal(err)
		}
		// Freed slots are taken from the end: walker 6 first.
		want := wexWantRecords(8, map[int]Record{
			keep:  {KeepMerge, []int{keep}},
			sq[0]: {Squash, []int{keep}},
			sq[1]: {Squash, []int{keep}},
			6:     {Clone, []int{6, sq[1]}},
			7:     {Clone, []int{7, sq[0]}},
		})
		if !reflect.DeepEqual(res.Records, want) {
			t.Fatalf("records %v, want %v", res.Records, want)
		}
		if w := res.Walkers[keep].Weight; w != 0.375 {
			t.Errorf("survivor weight %v, want 0.375", w)
		}
	})

	t.Run("clones to the heaviest would-be child", func(t *testing.T) {
		// Region A {0: 0.2, 1: 0.4}, region B nine walkers of 0.4/9.
		// Root: B 9 shares, A 2: donation min(⌊7/2⌋, 8, 20) = 3, then
		// 6 against 5, no donation. B merges its 4 lightest (2,3,4,5);
		// A's 3 clones go to 0.4 (child 0.4), then the tie 0.2 = 0.4/2
		// to the later walker 1, then 0.2 > 0.4/3 to walker 0.
		cfg := WExplore{RegionSizes: []float64{1}, PMax: 0.7}
		xs := []float64{0, 0, 10, 10, 10, 10, 10, 10, 10, 10, 10}
		wts := append([]float64{0.2, 0.4}, wexEqual(9, 0.4/9)...)
		ws := wexWalkers1D(xs, wts)
		r := wexStream(3, 0)
		cp := *r
		chosen := []int{2, 3, 4, 5}
		k := cp.Choice(wexEqual(4, 0.4/9))
		keep := chosen[k]
		sq := slices.Delete(slices.Clone(chosen), k, k+1)
		res, err := cfg.Resample(ws, nil, r)
		if err != nil {
			t.Fatal(err)
		}
		want := wexWantRecords(11, map[int]Record{
			keep:  {KeepMerge, []int{keep}},
			sq[0]: {Squash, []int{keep}},
			sq[1]: {Squash, []int{keep}},
			sq[2]: {Squash, []int{keep}},
			0:     {Clone, []int{0, sq[2]}},
			1:     {Clone, []int{1, sq[1], sq[0]}},
		})
		if !reflect.DeepEqual(res.Records, want) {
			t.Fatalf("records %v, want %v", res.Records, want)
		}
		for _, s := range []int{1, sq[1], sq[0]} {
			if o := res.Walkers[s]; o.Parent != 1 || o.Weight != 0.4/3 {
				t.Errorf("slot %d: %+v, want a third of walker 1", s, o)
			}
		}
	})

	t.Run("nothing to trade above pmax", func(t *testing.T) {
		// A holds three walkers of 0.3 > pmax: not squashable (wepy's
		// count is −1), so B cannot receive anything and nothing happens.
		cfg := WExplore{RegionSizes: []float64{1}, PMax: 0.25}
		ws := wexWalkers1D([]float64{0, 0, 0, 5}, []float64{0.3, 0.3, 0.3, 0.1})
		res, err := cfg.Resample(ws, nil, wexStream(4, 0))
		if err != nil {
			t.Fatal(err)
		}
		if want := wexWantRecords(4, nil); !reflect.DeepEqual(res.Records, want) {
			t.Fatalf("records %v, want all NOTHING", res.Records)
		}
	})
}

// TestWExploreSurvivor checks the survivor of a merge of unequal weights:
// it must be drawn with probability proportional to its weight (wepy's
// decide_merge_groups_single_method: rand.choice over the group, lightest
// first, p = w/Σw), not uniformly.
//
// Region A (x = 0) holds walkers of weight 0.2, 0.05, 0.3, 0.1, 0.25,
// region B (x = 10) one of 0.1; pmax 0.5. A's running sums 0.05, 0.15,
// 0.35, 0.6 make 2 squashable; the root moves min(⌊(5−1)/2⌋, 2, 5) = 2
// shares from A to B, so A merges its three lightest, walkers 1, 3 and 0
// (0.05, 0.1, 0.2), and B's walker 5 makes two clones into the freed
// slots. Every trial also checks that the survivor is the one rng.Choice
// draws from a copy of its stream.
//
// The survivors of 1400 trials (independent fixed streams, so the test is
// deterministic) have expected counts 200, 400, 800 (p = 1/7, 2/7, 4/7);
// Pearson's χ² with 2 degrees of freedom exceeds 13.8 with probability
// 0.001. A uniform draw (467 each) gives χ² ≈ 500.
func TestWExploreSurvivor(t *testing.T) {
	cfg := WExplore{RegionSizes: []float64{1}, PMax: 0.5}
	ws := wexWalkers1D([]float64{0, 0, 0, 0, 0, 10}, []float64{0.2, 0.05, 0.3, 0.1, 0.25, 0.1})
	group := []int{1, 3, 0}         // the three lightest, lightest first
	gw := []float64{0.05, 0.1, 0.2} // their weights
	const trials = 1400
	counts := make([]int, len(group))
	mismatch := 0
	for i := range trials {
		r := wexStream(uint64(i), 7)
		cp := *r
		res, err := cfg.Resample(ws, nil, r)
		if err != nil {
			t.Fatal(err)
		}
		k := slices.IndexFunc(group, func(w int) bool { return res.Records[w].Decision == KeepMerge })
		if k < 0 {
			t.Fatalf("trial %d: no survivor among walkers %v: records %v", i, group, res.Records)
		}
		counts[k]++
		if cp.Choice(gw) != k {
			mismatch++
		}
		keep := group[k]
		sq := slices.Delete(slices.Clone(group), k, k+1)
		// Freed slots in the order of their survivor's index, taken from
		// the end by walker 5's two clones.
		want := wexWantRecords(6, map[int]Record{
			keep:  {KeepMerge, []int{keep}},
			sq[0]: {Squash, []int{keep}},
			sq[1]: {Squash, []int{keep}},
			5:     {Clone, []int{5, sq[1], sq[0]}},
		})
		if !reflect.DeepEqual(res.Records, want) {
			t.Fatalf("trial %d: records %v, want %v", i, res.Records, want)
		}
		if w := res.Walkers[keep].Weight; math.Abs(w-0.35) > 1e-15 {
			t.Fatalf("trial %d: survivor weight %v, want 0.35", i, w)
		}
	}
	if mismatch > 0 {
		t.Errorf("%d of %d survivors differ from rng.Choice over the group's weights, lightest first", mismatch, trials)
	}
	var chi2 float64
	for k, c := range counts {
		e := trials * gw[k] / 0.35
		chi2 += (float64(c) - e) * (float64(c) - e) / e
	}
	t.Logf("survivors (0.05, 0.1, 0.2): %v of %d, χ² = %.2f", counts, trials, chi2)
	if chi2 > 13.8 {
		t.Errorf("survivors %v of %d, expected ∝ weight (200, 400, 800): χ² = %.1f > 13.8 (p < 0.001)", counts, trials, chi2)
	}
}

func TestWExploreSquashable(t *testing.T) {
	tests := []struct {
		w    []float64
		pmax float64
		want int
	}{
		{nil, 0.1, 0},
		{[]float64{0.05}, 0.1, 0},
		{[]float64{0.3, 0.3}, 0.25, -1}, // wepy's quirk: lightest already above pmax
		{[]float64{0.1, 0.2, 0.3}, 0.35, 1},
		{[]float64{0.1, 0.1, 0.1}, 1, 2},
		{[]float64{0.1, 0.2}, 0.3, 0}, // 0.1+0.2 rounds above 0.3
		{[]float64{0.1, 0.2}, 0.31, 1},
		// A sum equal to pmax still fits (wepy: while sum_weights <= max_weight).
		{[]float64{0.25, 0.25}, 0.5, 1},
		{[]float64{0.25, 0.25, 0.5}, 0.5, 1},
		{[]float64{0.5, 0.5}, 0.5, 0},
	}
	for _, tc := range tests {
		if got := wexSquashable(tc.w, tc.pmax); got != tc.want {
			t.Errorf("wexSquashable(%v, %v) = %d, want %d", tc.w, tc.pmax, got, tc.want)
		}
	}
}

// wexMaxClonesLoop is calc_max_num_clones as wepy writes it, one split at
// a time.
func wexMaxClonesLoop(w, pmin float64, n int) int {
	s := 2
	for w/float64(s) >= pmin && s <= n {
		s++
	}
	return s - 2
}

func TestWExploreMaxClones(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.Float64Range(1e-14, 1).Draw(t, "w")
		pmin := rapid.SampledFrom([]float64{1e-12, 1e-6, 1e-3, 0.01, 0.1}).Draw(t, "pmin")
		if rapid.Bool().Draw(t, "exact") {
			// Hit the boundary w/s == pmin exactly.
			pmin = w / float64(rapid.IntRange(1, 200).Draw(t, "s"))
		}
		n := rapid.IntRange(1, 500).Draw(t, "n")
		if got, want := wexMaxClones(w, pmin, n), wexMaxClonesLoop(w, pmin, n); got != want {
			t.Fatalf("wexMaxClones(%v, %v, %d) = %d, wepy's loop %d", w, pmin, n, got, want)
		}
	})
}

func TestWExploreBestDonation(t *testing.T) {
	tests := []struct {
		shares, don, rec []int
		d, a, amt        int
	}{
		// (0,1) and (0,2) tie on difference and donation: the larger
		// acceptor index wins, as in wepy's reversed sort of pairings.
		{[]int{5, 1, 1}, []int{4, 0, 0}, []int{0, 3, 3}, 0, 2, 2},
		// The largest difference wins even with a smaller donation.
		{[]int{9, 1, 6}, []int{1, 0, 5}, []int{0, 9, 0}, 0, 1, 1},
		// No donor can give.
		{[]int{9, 1}, []int{-1, 0}, []int{0, 9}, -1, -1, 0},
		// A difference of one gives nothing.
		{[]int{2, 1}, []int{5, 5}, []int{5, 5}, -1, -1, 0},
		// Even shares: the first of the pair is the donor; no donation.
		{[]int{3, 3}, []int{5, 5}, []int{5, 5}, -1, -1, 0},
	}
	for i, tc := range tests {
		d, a, amt := wexBestDonation(tc.shares, tc.don, tc.rec)
		if d != tc.d || a != tc.a || amt != tc.amt {
			t.Errorf("case %d: got (%d, %d, %d), want (%d, %d, %d)", i, d, a, amt, tc.d, tc.a, tc.amt)
		}
	}
}

func TestWExploreValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  WExplore
		want string // substring of the error, "" for valid
	}{
		{"lj", WExplore{RegionSizes: []float64{1, 0.5, 0.35, 0.25}, MaxRegions: []int{10, 10, 10, 10}, PMax: 0.5}, ""},
		{"defaults", WExplore{RegionSizes: []float64{1}}, ""},
		{"no sizes", WExplore{}, "no region sizes"},
		{"zero size", WExplore{RegionSizes: []float64{1, 0}}, "level 1 is 0"},
		{"nan size", WExplore{RegionSizes: []float64{math.NaN()}}, "positive and finite"},
		{"len mismatch", WExplore{RegionSizes: []float64{1, 0.5}, MaxRegions: []int{10}}, "1 max region counts for 2 region sizes"},
		{"zero regions", WExplore{RegionSizes: []float64{1}, MaxRegions: []int{0}}, "at least 1"},
		{"negative pmin", WExplore{RegionSizes: []float64{1}, PMin: -1}, "pmin"},
		{"pmax above one", WExplore{RegionSizes: []float64{1}, PMax: 1.5}, "pmax 1.5"},
		{"pmin above pmax", WExplore{RegionSizes: []float64{1}, PMin: 0.2, PMax: 0.1}, "pmin 0.2 must be below pmax 0.1"},
		{"pmin above default pmax", WExplore{RegionSizes: []float64{1}, PMin: 0.2}, "below pmax 0.1"},
		{"empty init image", WExplore{RegionSizes: []float64{1}, InitImage: []float64{}}, "init image is empty"},
	}
	for _, tc := range tests {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestWExploreInputErrors(t *testing.T) {
	cfg := WExplore{RegionSizes: []float64{1, 0.5}}
	good, err := cfg.Resample(wexWalkers1D([]float64{0, 1}, []float64{0.5, 0.5}), nil, wexStream(5, 0))
	if err != nil {
		t.Fatal(err)
	}
	enc := func(tr any) []byte {
		b, err := wexEncMode.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	reg := func(img float64, p ...int) WExploreRegion {
		return WExploreRegion{Path: p, Image: []float64{img}}
	}
	tests := []struct {
		name    string
		walkers []Walker
		state   []byte
		want    string
	}{
		{"empty", nil, nil, "no walkers"},
		{"zero weight", wexWalkers1D([]float64{0, 1}, []float64{0, 1}), nil, "walker 0 weight 0"},
		{"nan weight", wexWalkers1D([]float64{0, 1}, []float64{math.NaN(), 1}), nil, "walker 0 weight NaN"},
		{"image length", []Walker{{1, []float64{0}}, {1, []float64{0, 1}}}, nil, "walker 1 image has 2 values"},
		{"nan image", wexWalkers1D([]float64{0, math.NaN()}, []float64{0.5, 0.5}), nil, "NaN"},
		{"garbage state", wexWalkers1D([]float64{0}, []float64{1}), []byte{0xff}, "decoding region tree"},
		{"levels mismatch", wexWalkers1D([]float64{0}, []float64{1}),
			enc(WExploreTree{Version: 1, Levels: 1, Regions: []WExploreRegion{reg(0, 0)}}), "1 levels, the configuration 2"},
		{"version", wexWalkers1D([]float64{0}, []float64{1}),
			enc(WExploreTree{Version: 2, Levels: 2, Regions: []WExploreRegion{reg(0, 0, 0)}}), "version 2"},
		{"no regions", wexWalkers1D([]float64{0}, []float64{1}),
			enc(WExploreTree{Version: 1, Levels: 2}), "no regions"},
		{"repeated region", wexWalkers1D([]float64{0}, []float64{1}),
			enc(WExploreTree{Version: 1, Levels: 2, Regions: []WExploreRegion{reg(0, 0, 0), reg(1, 0, 0)}}), "repeats"},
		{"skipped index", wexWalkers1D([]float64{0}, []float64{1}),
			enc(WExploreTree{Version: 1, Levels: 2, Regions: []WExploreRegion{reg(0, 0, 0), reg(1, 2, 0)}}), "index 2 at level 0"},
		{"branch tail", wexWalkers1D([]float64{0}, []float64{1}),
			enc(WExploreTree{Version: 1, Levels: 2, Regions: []WExploreRegion{reg(0, 0, 0), reg(1, 1, 1)}}), "continue with zeros"},
		{"unknown field", wexWalkers1D([]float64{0}, []float64{1}),
			enc(struct {
				Version int              `cbor:"version"`
				Levels  int              `cbor:"levels"`
				Regions []WExploreRegion `cbor:"regions"`
				Extra   int              `cbor:"extra"`
			}{1, 2, []WExploreRegion{reg(0, 0, 0)}, 1}), "decoding region tree"},
	}
	for _, tc := range tests {
		_, err := cfg.Resample(tc.walkers, tc.state, wexStream(6, 0))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	// The good state is accepted back.
	if _, err := cfg.Resample(wexWalkers1D([]float64{0.1, 0.9}, []float64{0.5, 0.5}), good.State, wexStream(7, 0)); err != nil {
		t.Errorf("state from a previous cycle refused: %v", err)
	}
}

// wexTB is what wexCheck needs of *testing.T and *rapid.T.
type wexTB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// wexCheck asserts the invariants of one resampling: count and weight
// kept, one consistent record per walker, outputs matching the records,
// pmin/pmax where the input allowed them, regions that are leaves of the
// tree, a tree within MaxRegions that round-trips and extends prev.
func wexCheck(t wexTB, cfg WExplore, in []Walker, res Result, prev []byte) {
	t.Helper()
	n := len(in)
	c, err := cfg.wexResolve()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	if len(res.Walkers) != n || len(res.Records) != n {
		t.Fatalf("%d walkers and %d records for %d inputs", len(res.Walkers), len(res.Records), n)
	}
	var sumIn, sumOut float64
	inBounds := true
	for _, w := range in {
		sumIn += w.Weight
		inBounds = inBounds && w.Weight >= c.pmin && w.Weight <= c.pmax
	}
	for _, o := range res.Walkers {
		sumOut += o.Weight
	}
	// ARCHITECTURE.md §7: weight conserved to 1e-12 (here within a few ulp).
	if math.Abs(sumOut-sumIn) > 1e-12 {
		t.Fatalf("total weight %v, input %v", sumOut, sumIn)
	}

	// Records: every slot filled once; squashes go to survivors.
	filled := make([]int, n)
	for i, r := range res.Records {
		switch r.Decision {
		case Nothing, KeepMerge:
			if !slices.Equal(r.Targets, []int{i}) {
				t.Fatalf("walker %d: %v targets %v", i, r.Decision, r.Targets)
			}
		case Clone:
			if len(r.Targets) < 2 || r.Targets[0] != i {
				t.Fatalf("walker %d: CLONE targets %v", i, r.Targets)
			}
		case Squash:
			if len(r.Targets) != 1 || res.Records[r.Targets[0]].Decision != KeepMerge {
				t.Fatalf("walker %d: SQUASH into %v, not a KEEP_MERGE", i, r.Targets)
			}
			continue
		default:
			t.Fatalf("walker %d: decision %v", i, r.Decision)
		}
		for _, s := range r.Targets {
			if s < 0 || s >= n {
				t.Fatalf("walker %d: target %d out of range", i, s)
			}
			filled[s]++
			if res.Walkers[s].Parent != i {
				t.Fatalf("slot %d: parent %d, record of walker %d targets it", s, res.Walkers[s].Parent, i)
			}
		}
	}
	for s, f := range filled {
		if f != 1 {
			t.Fatalf("slot %d filled %d times", s, f)
		}
	}

	// Weights from the records; bounds.
	merged := make([]float64, n)
	for i, r := range res.Records {
		if r.Decision == Squash {
			merged[r.Targets[0]] += in[i].Weight
		}
	}
	// Rounding tolerance for merges: wepy checks the merge in increasing
	// weight order but sums it survivor first, so the two sums may differ
	// by a few ulp.
	const ulps = 1e-15
	for i, r := range res.Records {
		o := res.Walkers[r.Targets[0]]
		switch r.Decision {
		case Nothing:
			if o.Weight != in[i].Weight {
				t.Fatalf("walker %d: NOTHING changed its weight", i)
			}
		case KeepMerge:
			if math.Abs(o.Weight-(in[i].Weight+merged[i])) > 1e-15 {
				t.Fatalf("walker %d: merged weight %v, want %v", i, o.Weight, in[i].Weight+merged[i])
			}
			if o.Weight > c.pmax*(1+ulps) {
				t.Fatalf("walker %d: merged weight %v above pmax %v", i, o.Weight, c.pmax)
			}
		case Clone:
			want := in[i].Weight / float64(len(r.Targets))
			for _, s := range r.Targets {
				if res.Walkers[s].Weight != want {
					t.Fatalf("walker %d: clone weight %v, want %v", i, res.Walkers[s].Weight, want)
				}
			}
			if want < c.pmin {
				t.Fatalf("walker %d: clones of weight %v below pmin %v", i, want, c.pmin)
			}
		}
	}
	if inBounds {
		for s, o := range res.Walkers {
			if o.Weight < c.pmin || o.Weight > c.pmax*(1+ulps) {
				t.Fatalf("slot %d weight %v outside [%v, %v] though every input was inside", s, o.Weight, c.pmin, c.pmax)
			}
		}
	}

	// The tree.
	tr, err := DecodeWExploreTree(res.State)
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	again, err := wexEncMode.Marshal(tr)
	if err != nil || !bytes.Equal(again, res.State) {
		t.Fatalf("state does not round-trip (%v)", err)
	}
	tree, err := wexBuildTree(tr)
	if err != nil {
		t.Fatalf("state tree: %v", err)
	}
	for _, nd := range tree.nodes {
		if nd.depth < tree.levels && len(nd.children) > c.maxRegions[nd.depth] {
			t.Fatalf("a region at depth %d has %d children, max %d", nd.depth, len(nd.children), c.maxRegions[nd.depth])
		}
	}
	leaves := map[string]bool{}
	for _, r := range tr.Regions {
		leaves[wexFmt(r.Path)] = true
	}
	for s, o := range res.Walkers {
		if !leaves[wexFmt(o.Region)] {
			t.Fatalf("slot %d region %v is not a leaf of the tree", s, o.Region)
		}
	}
	if prev != nil {
		old, err := DecodeWExploreTree(prev)
		if err != nil {
			t.Fatalf("previous state: %v", err)
		}
		if len(tr.Regions) < len(old.Regions) || !reflect.DeepEqual(tr.Regions[:len(old.Regions)], old.Regions) {
			t.Fatalf("the tree did not extend the previous one")
		}
		if got := float64(len(tr.Regions) - len(old.Regions)); got != res.Summary["n_new_regions"] {
			t.Fatalf("n_new_regions %v, tree grew by %v", res.Summary["n_new_regions"], got)
		}
	}
	if res.Summary["n_regions"] != float64(len(tr.Regions)) || res.Summary["n_clones"] != res.Summary["n_merges"] {
		t.Fatalf("summary %v", res.Summary)
	}
}

func wexFmt(p []int) string {
	s := make([]string, len(p))
	for i, v := range p {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, " ")
}

// TestWExploreProperties runs random configurations on random ensembles
// for two cycles, the second continuing the first's tree.
func TestWExploreProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		levels := rapid.IntRange(1, 4).Draw(t, "levels")
		sizes := make([]float64, levels)
		maxr := make([]int, levels)
		s := rapid.Float64Range(0.1, 2).Draw(t, "size0")
		for k := range sizes {
			sizes[k] = s
			s *= rapid.Float64Range(0.3, 1).Draw(t, "shrink")
			maxr[k] = rapid.IntRange(1, 6).Draw(t, "maxRegions")
		}
		cfg := WExplore{
			RegionSizes: sizes,
			MaxRegions:  maxr,
			PMin:        rapid.SampledFrom([]float64{1e-12, 1e-4, 1e-2}).Draw(t, "pmin"),
			PMax:        rapid.SampledFrom([]float64{0.05, 0.1, 0.25, 0.5, 1}).Draw(t, "pmax"),
		}
		n := rapid.IntRange(1, 64).Draw(t, "n")
		dim := rapid.IntRange(1, 2).Draw(t, "dim")
		equal := rapid.Bool().Draw(t, "equal")
		ws := make([]Walker, n)
		var tot float64
		for i := range ws {
			ws[i].Image = make([]float64, dim)
			for j := range ws[i].Image {
				ws[i].Image[j] = rapid.Float64Range(0, 3).Draw(t, "x")
			}
			ws[i].Weight = 1
			if !equal {
				ws[i].Weight = rapid.Float64Range(0.01, 1).Draw(t, "w")
			}
			tot += ws[i].Weight
		}
		for i := range ws {
			ws[i].Weight /= tot
		}
		seed := rapid.Uint64().Draw(t, "seed")

		var state []byte
		for cycle := 0; cycle < 2; cycle++ {
			res, err := cfg.Resample(ws, state, wexStream(uint64(cycle), seed))
			if err != nil {
				t.Fatalf("cycle %d: %v", cycle, err)
			}
			wexCheck(t, cfg, ws, res, state)
			twin, err := cfg.Resample(ws, state, wexStream(uint64(cycle), seed))
			if err != nil || !reflect.DeepEqual(twin, res) {
				t.Fatalf("cycle %d: not deterministic (%v)", cycle, err)
			}
			// Move the walkers for the next cycle.
			next := make([]Walker, n)
			for s, o := range res.Walkers {
				img := slices.Clone(ws[o.Parent].Image)
				for j := range img {
					img[j] += rapid.Float64Range(-0.5, 0.5).Draw(t, "dx")
				}
				next[s] = Walker{Weight: o.Weight, Image: img}
			}
			ws, state = next, res.State
		}
	})
}

// TestWExploreLJPair runs the wepy LJ-pair setting (region sizes 1, 0.5,
// 0.35, 0.25 nm, 10 regions per level, pmax 0.5, 48 walkers) for 100
// cycles on a toy dynamics of the distance r: a Gaussian step of 0.05 nm
// per cycle (reflected at 0), and a warp of walkers reaching r ≥ 1.0 back
// to 0.37 nm with their weight.
func TestWExploreLJPair(t *testing.T) {
	cfg := WExplore{
		RegionSizes: []float64{1, 0.5, 0.35, 0.25},
		MaxRegions:  []int{10, 10, 10, 10},
		PMax:        0.5,
		InitImage:   []float64{0.37},
	}
	const n = 48
	ws := wexWalkers1D(wexEqual(n, 0.37), wexEqual(n, 1.0/n))
	dyn := wexStream(1000, 7)
	var state []byte
	var warped float64
	for cycle := 0; cycle < 100; cycle++ {
		for i := range ws {
			r := math.Abs(ws[i].Image[0] + 0.05*dyn.Normal())
			if r >= 1.0 {
				warped += ws[i].Weight
				r = 0.37
			}
			ws[i].Image = []float64{r}
		}
		res, err := cfg.Resample(ws, state, wexStream(uint64(cycle), 7))
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		wexCheck(t, cfg, ws, res, state)
		var sum float64
		for _, o := range res.Walkers {
			sum += o.Weight
		}
		// ARCHITECTURE.md §7: |Σw − 1| ≤ 1e-12 after every operation.
		if math.Abs(sum-1) > 1e-12 {
			t.Fatalf("cycle %d: Σw = %v", cycle, sum)
		}
		next := make([]Walker, n)
		for s, o := range res.Walkers {
			next[s] = Walker{Weight: o.Weight, Image: []float64{ws[o.Parent].Image[0]}}
		}
		ws, state = next, res.State
	}
	tr, err := DecodeWExploreTree(state)
	if err != nil {
		t.Fatal(err)
	}
	// r stays in [0, 1): every image is within the top cut-off of the
	// seed, so one top region; below it the tree must have grown, within
	// 10 children per region.
	if len(tr.Regions) < 3 || len(tr.Regions) > 10*10*10 {
		t.Errorf("%d leaf regions after 100 cycles", len(tr.Regions))
	}
	for _, r := range tr.Regions {
		if r.Path[0] != 0 {
			t.Errorf("region %v: a second top region within r < 1", r.Path)
		}
	}
	if warped == 0 {
		t.Errorf("no walker reached r ≥ 1 in 100 cycles")
	}
	t.Logf("%d regions, warped weight %.3g", len(tr.Regions), warped)
}
