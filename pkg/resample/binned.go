package resample

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/pkg/rng"
)

// HuberKim holds the options of WESTPA's Huber–Kim split/merge
// (westpa/core/we_driver.py, WEDriver.process_config) shared by Binned and
// MAB. The zero value of every field is WESTPA's default.
type HuberKim struct {
	// MinWeight is WESTPA's smallest_allowed_weight (0 means 1e-310):
	// after the count adjustment, all walkers of a bin lighter than it
	// are merged into one (WEDriver._merge_by_threshold).
	MinWeight float64
	// MaxWeight is WESTPA's largest_allowed_weight (0 means 1): a walker
	// heavier than it is split into ⌈w/MaxWeight⌉ equal pieces
	// (WEDriver._split_by_threshold).
	MaxWeight float64
	// SplitThreshold is WESTPA's weight_split_threshold (0 means 2): a
	// walker heavier than SplitThreshold·w* is split into ⌈w/w*⌉ equal
	// pieces, w* being the bin's ideal weight.
	SplitThreshold float64
	// MergeCutoff is WESTPA's weight_merge_cutoff (0 means 1): the
	// lightest walkers whose running sum stays ≤ MergeCutoff·w* merge.
	MergeCutoff float64
	// NoAdjustCounts turns off WESTPA's adjust_counts (on by default):
	// without it a bin keeps whatever count the weight rules leave.
	NoAdjustCounts bool
	// NoThresholds turns off WESTPA's thresholds (on by default), the
	// MinWeight and MaxWeight rules.
	NoThresholds bool
}

// binParams is HuberKim with WESTPA's defaults filled in.
type binParams struct {
	minW, maxW, splitThr, mergeCut float64
	adjust, thresholds             bool
}

// WESTPA's class defaults (WEDriver.weight_split_threshold …).
const (
	binDefaultMinWeight      = 1e-310
	binDefaultMaxWeight      = 1.0
	binDefaultSplitThreshold = 2.0
	binDefaultMergeCutoff    = 1.0
	// binMaxBins bounds the number of bins a configuration may define,
	// so that flat indices fit any int; WESTPA's own limit is 65535
	// (assign.py, index_dtype uint16).
	binMaxBins = math.MaxInt32
	// binMaxWalkers bounds the output ensemble, so that a PerBin or a
	// MaxWeight far out of scale is an error rather than an exhausted
	// memory.
	binMaxWalkers = 1 << 26
)

func (h HuberKim) params() binParams {
	p := binParams{
		minW: h.MinWeight, maxW: h.MaxWeight,
		splitThr: h.SplitThreshold, mergeCut: h.MergeCutoff,
		adjust: !h.NoAdjustCounts, thresholds: !h.NoThresholds,
	}
	if p.minW == 0 {
		p.minW = binDefaultMinWeight
	}
	if p.maxW == 0 {
		p.maxW = binDefaultMaxWeight
	}
	if p.splitThr == 0 {
		p.splitThr = binDefaultSplitThreshold
	}
	if p.mergeCut == 0 {
		p.mergeCut = binDefaultMergeCutoff
	}
	return p
}

// validate checks the options; name prefixes the errors.
func (h HuberKim) validate(name string) error {
	for _, f := range []struct {
		field string
		v     float64
	}{
		{"MinWeight", h.MinWeight}, {"MaxWeight", h.MaxWeight},
		{"SplitThreshold", h.SplitThreshold}, {"MergeCutoff", h.MergeCutoff},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("%s: %s is %g, must be finite and positive (0 for WESTPA's default)", name, f.field, f.v)
		}
	}
	p := h.params()
	if p.minW >= p.maxW {
		return fmt.Errorf("%s: MinWeight %g must be smaller than MaxWeight %g", name, p.minW, p.maxW)
	}
	return nil
}

// Binned is WESTPA's weighted-ensemble driver with a rectilinear bin
// mapper: Huber & Kim, "Weighted-ensemble Brownian dynamics simulations
// for protein association reactions", Biophys. J. 70, 97 (1996), as
// implemented by westpa/core/we_driver.py (WEDriver._run_we and the
// methods it calls) with westpa/core/binning/assign.py
// (RectilinearBinMapper).
//
// # Bins
//
// Edges[d] holds the increasing interior edges e_0 < … < e_{k−1} of image
// dimension d; the outer bins are open, so dimension d has k+1 bins
//
//	(−∞, e_0), [e_0, e_1), …, [e_{k−1}, +∞)
//
// and index i holds the values with #{j : e_j ≤ x} = i. Edges {0.5, 1.0}
// make bins (−∞, 0.5), [0.5, 1.0), [1.0, +∞). This is WESTPA's
// RectilinearBinMapper with boundaries [-inf, e_0, …, e_{k−1}, inf]; write
// WESTPA's boundaries without the infinite ends. Bins of several dimensions
// are numbered in C order like rectilinear_assign (the last dimension
// varies fastest): flat = ((i_0·n_1 + i_1)·n_2 + i_2)…, n_d = len(Edges[d])+1.
// Out.Region is [flat] for one dimension and [flat, i_0, …, i_{D−1}] for D > 1.
//
// # Split and merge
//
// Occupied bins are processed in increasing flat index (empty bins are left
// empty). In a bin with target count N (PerBin, or TargetCounts[flat]) and
// total weight W the ideal weight is w* = W/N (W summed as numpy's
// pairwise sum of the ascending weights, as weights.sum() does). Then, as
// WEDriver._run_we with WESTPA's one-group default subgrouping:
//
//  1. N = 1: all walkers of the bin merge into one.
//  2. N > 1: every walker with w > SplitThreshold·w* is split into
//     m = ⌈w/w*⌉ copies of weight w/m, lightest first (_split_by_weight);
//     then, while at least two of the lightest walkers have running sum
//     Σw ≤ MergeCutoff·w*, those walkers merge (_merge_by_weight); then,
//     unless NoAdjustCounts, while the bin holds fewer than N walkers the
//     heaviest is split in two, and while it holds more the two lightest
//     merge (_adjust_count).
//  3. Unless NoThresholds, every walker with w > MaxWeight is split into
//     ⌈w/MaxWeight⌉ equal pieces (_split_by_threshold) and, while two or
//     more walkers have w < MinWeight, all of those merge
//     (_merge_by_threshold).
//
// A merge gives the group's summed weight to one survivor, drawn with
// probability ∝ weight by one r.Choice over the group in ascending weight
// order: WESTPA's _merge_walkers draws u = rng.uniform(0, Σw) and takes
// np.digitize(u, cumsum(w)), the same inversion of the same cumulative sum.
// The draws are made in WESTPA's order: bin by bin, merge by merge. That is
// the only randomness: the count adjustment picks the heaviest or the two
// lightest walkers deterministically, as WESTPA's _adjust_count does.
//
// Every occupied bin thus ends with exactly N walkers, except where the
// thresholds act (a walker heavier than MaxWeight adds pieces; walkers
// lighter than MinWeight merge below N) or NoAdjustCounts is set. With the
// default thresholds and Σw = 1 they act only on weights below 1e-310, or
// on a bin that holds all the weight and whose sum rounds to 1+ε > 1: its
// walkers are split once more, as in WESTPA. Otherwise the output count is
// Σ over occupied bins of N.
//
// Ties. WESTPA keeps a bin as a Python set and sorts it by weight, so
// walkers of equal weight come in the set's iteration order (memory
// addresses), which is not reproducible. Here ties are broken by creation
// order: input walkers by index, then every piece or merged walker in the
// order it is made. "Lightest" takes the earliest of equal walkers,
// "heaviest" the latest. The N = 1 merge, for which WESTPA uses the set's
// order, also uses the ascending-weight order.
//
// # Records
//
// A walker's history within one call (split, then a piece merged, …) is
// collapsed to one Record per input walker, from its descendants (output
// walkers with Parent i) and from where its weight went (the inputs whose
// weight each output walker carries, WESTPA's wtg_parent_ids):
//
//   - two or more descendants: CLONE, Targets their slots in order;
//   - one descendant that carries weight of another input: KEEP_MERGE;
//   - one descendant carrying only its own weight: NOTHING (its weight may
//     be less than the input's when a split piece of it was merged into
//     another walker's lineage; that survivor then reads KEEP_MERGE);
//   - no descendant: SQUASH, Targets every slot that carries part of its
//     weight (one, unless a piece-split walker was merged in several places).
//
// Output walkers are ordered by parent index, then creation order; the
// first Target of a CLONE is thus its earliest copy.
//
// Binned keeps no state; State is ignored and Result.State is nil.
type Binned struct {
	// Edges holds the interior bin edges of each image dimension.
	Edges [][]float64
	// PerBin is the target count of every occupied bin (WESTPA's
	// bin_target_counts, uniform).
	PerBin int
	// TargetCounts, if not nil, gives each flat bin its own target
	// count (WESTPA's per-bin bin_target_counts) and overrides PerBin; it
	// must have one entry ≥ 1 per bin.
	TargetCounts []int
	// Float32 rounds edges and image values to float32 before comparing
	// them, as WESTPA's bin mappers do (assign.py, coord_dtype float32).
	// By default they are compared in float64, so that assignments differ
	// from WESTPA's only for values within float32 rounding of an edge.
	Float32 bool
	HuberKim
}

var _ Resampler = Binned{}

// binCount returns the number of bins and checks it against binMaxBins.
func (b Binned) binCount() (int, bool) {
	n := 1
	for _, e := range b.Edges {
		k := len(e) + 1
		if n > binMaxBins/k {
			return 0, false
		}
		n *= k
	}
	return n, true
}

// Validate checks the configuration.
func (b Binned) Validate() error {
	if len(b.Edges) == 0 {
		return fmt.Errorf("binned: no dimensions: Edges is empty")
	}
	for d, edges := range b.Edges {
		for j, e := range edges {
			if math.IsNaN(e) {
				return fmt.Errorf("binned: dimension %d: edge %d is NaN", d, j)
			}
			if math.IsInf(e, 0) {
				return fmt.Errorf("binned: dimension %d: edge %d is infinite; the outer bins are open, so leave out WESTPA's -inf/inf ends", d, j)
			}
			if b.Float32 && math.IsInf(float64(float32(e)), 0) {
				return fmt.Errorf("binned: dimension %d: edge %d (%g) overflows float32", d, j, e)
			}
			if j > 0 {
				prev, cur := edges[j-1], e
				if b.Float32 {
					prev, cur = float64(float32(prev)), float64(float32(cur))
				}
				if cur <= prev {
					how := ""
					if b.Float32 {
						how = " after rounding to float32"
					}
					return fmt.Errorf("binned: dimension %d: edges are not strictly increasing%s: edge %d (%g) follows edge %d (%g)",
						d, how, j, e, j-1, edges[j-1])
				}
			}
		}
	}
	nbins, ok := b.binCount()
	if !ok {
		return fmt.Errorf("binned: more than %d bins", binMaxBins)
	}
	if b.PerBin < 1 {
		return fmt.Errorf("binned: PerBin is %d, must be at least 1", b.PerBin)
	}
	if b.TargetCounts != nil {
		if len(b.TargetCounts) != nbins {
			return fmt.Errorf("binned: TargetCounts has %d entries for %d bins", len(b.TargetCounts), nbins)
		}
		for i, c := range b.TargetCounts {
			if c < 1 {
				return fmt.Errorf("binned: TargetCounts[%d] is %d, must be at least 1", i, c)
			}
		}
	}
	return b.HuberKim.validate("binned")
}

// bin returns the flat index of an image and its per-dimension indices.
func (b Binned) bin(x []float64) (int, []int) {
	idx := make([]int, len(b.Edges))
	flat := 0
	for d, edges := range b.Edges {
		v := x[d]
		if b.Float32 {
			v = float64(float32(v))
		}
		// i = #{j : e_j ≤ v}: the first edge above v.
		i := sort.Search(len(edges), func(j int) bool {
			e := edges[j]
			if b.Float32 {
				e = float64(float32(e))
			}
			return e > v
		})
		idx[d] = i
		flat = flat*(len(edges)+1) + i
	}
	return flat, idx
}

// Resample assigns the walkers to their bins and splits and merges each
// occupied bin to its target count.
func (b Binned) Resample(walkers []Walker, _ []byte, r *rng.Stream) (Result, error) {
	if err := b.Validate(); err != nil {
		return Result{}, err
	}
	if len(walkers) == 0 {
		return Result{}, ErrEmpty
	}
	if err := binCheckWalkers("binned", walkers, len(b.Edges)); err != nil {
		return Result{}, err
	}
	as := make([]binAssign, len(walkers))
	for i, w := range walkers {
		flat, idx := b.bin(w.Image)
		as[i] = binAssign{flat: flat, region: binRegion(flat, idx)}
	}
	target := func(flat int) int {
		if b.TargetCounts != nil {
			return b.TargetCounts[flat]
		}
		return b.PerBin
	}
	res, err := binRun("binned", walkers, as, target, b.HuberKim.params(), r)
	if err != nil {
		return Result{}, err
	}
	nbins, _ := b.binCount()
	res.Summary["n_bins"] = float64(nbins)
	return res, nil
}

// binRegion is Out.Region: [flat], or [flat, i_0, …] for several dimensions.
func binRegion(flat int, idx []int) []int {
	if len(idx) <= 1 {
		return []int{flat}
	}
	return append([]int{flat}, idx...)
}

// binCheckWalkers checks weights (positive, finite: WESTPA's _check_post
// rejects zero weights) and images (ndim finite values).
func binCheckWalkers(name string, walkers []Walker, ndim int) error {
	for i, w := range walkers {
		if !(w.Weight > 0) || math.IsInf(w.Weight, 0) {
			return fmt.Errorf("%s: walker %d has weight %g, must be positive and finite", name, i, w.Weight)
		}
		if len(w.Image) != ndim {
			return fmt.Errorf("%s: walker %d has an image of %d values, want %d", name, i, len(w.Image), ndim)
		}
		for d, v := range w.Image {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%s: walker %d: image value %d is %g, must be finite", name, i, d, v)
			}
		}
	}
	return nil
}

// binAssign is one input walker's bin: the flat index that groups it and
// the Region its output walkers carry.
type binAssign struct {
	flat   int
	region []int
}

// binWalker is a walker of the working ensemble. It holds no pointer, so
// that sorting moves no pointers (no write barriers).
type binWalker struct {
	parent int // input walker whose state it continues
	weight float64
	id     int // creation order: the tie-break of equal weights; indexes binState.contrib
}

// binLess orders walkers by weight, then creation.
func binLess(a, b binWalker) bool {
	return a.weight < b.weight || (a.weight == b.weight && a.id < b.id)
}

// binCompare is binLess as a three-way comparison.
func binCompare(a, b binWalker) int {
	switch {
	case a.weight < b.weight:
		return -1
	case a.weight > b.weight:
		return 1
	}
	return a.id - b.id
}

// binInsert inserts w into ws, sorted by binLess. w is newer than every
// walker of ws, so it goes after all walkers of equal weight.
func binInsert(ws []binWalker, w binWalker) []binWalker {
	i := sort.Search(len(ws), func(k int) bool { return binLess(w, ws[k]) })
	ws = append(ws, binWalker{})
	copy(ws[i+1:], ws[i:])
	ws[i] = w
	return ws
}

// binState is the split/merge machinery of one resampling.
type binState struct {
	p               binParams
	r               *rng.Stream
	nSplits, nMerge int
	w               []float64 // scratch for Choice
	n               int       // pieces made by weight splits, against binMaxWalkers
	err             error
	// contrib[id] lists, ascending, the input walkers whose weight walker
	// id carries (WESTPA's Segment.wtg_parent_ids); it holds its parent.
	contrib [][]int
}

// add registers a new walker and returns it.
func (s *binState) add(parent int, weight float64, contrib []int) binWalker {
	w := binWalker{parent: parent, weight: weight, id: len(s.contrib)}
	s.contrib = append(s.contrib, contrib)
	return w
}

// split replaces w by m walkers of weight w/m (WEDriver._split_walker).
func (s *binState) split(w binWalker, m int) []binWalker {
	if m >= 2 {
		s.nSplits++
	}
	out := make([]binWalker, m)
	for k := range out {
		out[k] = s.add(w.parent, w.weight/float64(m), s.contrib[w.id])
	}
	return out
}

// merge merges a group, sorted by binLess, into one walker
// (WEDriver._merge_walkers): the weight is the running sum of the
// ascending weights and the survivor is drawn with probability ∝ weight.
func (s *binState) merge(group []binWalker) binWalker {
	s.w = s.w[:0]
	var total float64
	n := 0
	for _, g := range group {
		s.w = append(s.w, g.weight)
		total += g.weight
		n += len(s.contrib[g.id])
	}
	k := s.r.Choice(s.w)
	contrib := make([]int, 0, n)
	for _, g := range group {
		contrib = append(contrib, s.contrib[g.id]...)
	}
	slices.Sort(contrib)
	contrib = slices.Compact(contrib)
	s.nMerge++
	return s.add(group[k].parent, total, contrib)
}

// bin splits and merges one bin's walkers to its target count, in the
// order of WEDriver._run_we. ws must be sorted by binLess; the result is.
func (s *binState) bin(ws []binWalker, target int) []binWalker {
	weights := make([]float64, len(ws))
	for i, w := range ws {
		weights[i] = w.weight
	}
	ideal := binPairwiseSum(weights) / float64(target)
	if target <= 1 {
		// WESTPA's branch len(subgroups) >= target_count: the one
		// subgroup merges into one walker.
		if len(ws) > 1 {
			ws = []binWalker{s.merge(ws)}
		}
	} else {
		ws = s.splitByWeight(ws, ideal)
		ws = s.mergeByWeight(ws, ideal)
		if s.p.adjust {
			ws = s.adjustCount(ws, target)
		}
	}
	if s.p.thresholds {
		ws = s.splitByThreshold(ws)
		ws = s.mergeByThreshold(ws)
	}
	return ws
}

// splitByWeight is WEDriver._split_by_weight: every walker heavier than
// SplitThreshold·w* becomes ⌈w/w*⌉ equal pieces, lightest first.
func (s *binState) splitByWeight(ws []binWalker, ideal float64) []binWalker {
	return s.splitAbove(ws, s.p.splitThr*ideal, ideal)
}

// splitByThreshold is WEDriver._split_by_threshold: every walker heavier
// than MaxWeight becomes ⌈w/MaxWeight⌉ equal pieces.
func (s *binState) splitByThreshold(ws []binWalker) []binWalker {
	return s.splitAbove(ws, s.p.maxW, s.p.maxW)
}

// splitAbove splits every walker with w > limit into ⌈w/unit⌉ pieces.
func (s *binState) splitAbove(ws []binWalker, limit, unit float64) []binWalker {
	first := sort.Search(len(ws), func(k int) bool { return ws[k].weight > limit })
	if first == len(ws) {
		return ws
	}
	var pieces []binWalker
	for _, h := range ws[first:] {
		m := math.Ceil(h.weight / unit)
		if s.n += int(math.Min(m, binMaxWalkers+1)); s.n > binMaxWalkers {
			s.err = fmt.Errorf("splitting a walker of weight %g into %g pieces exceeds %d walkers", h.weight, m, binMaxWalkers)
			return ws
		}
		pieces = append(pieces, s.split(h, int(m))...)
	}
	// The light walkers are sorted; sort the pieces and merge the two.
	slices.SortFunc(pieces, binCompare)
	light := ws[:first]
	out := make([]binWalker, 0, len(light)+len(pieces))
	i, j := 0, 0
	for i < len(light) && j < len(pieces) {
		if binLess(pieces[j], light[i]) {
			out = append(out, pieces[j])
			j++
		} else {
			out = append(out, light[i])
			i++
		}
	}
	out = append(out, light[i:]...)
	return append(out, pieces[j:]...)
}

// mergeByWeight is WEDriver._merge_by_weight: while the lightest walkers
// whose running sum stays ≤ MergeCutoff·w* are at least two, they merge.
func (s *binState) mergeByWeight(ws []binWalker, ideal float64) []binWalker {
	limit := ideal * s.p.mergeCut
	for {
		var c float64
		k := 0
		for k < len(ws) {
			c += ws[k].weight
			if c > limit {
				break
			}
			k++
		}
		if k < 2 {
			return ws
		}
		g := s.merge(ws[:k])
		ws = binInsert(ws[k:], g)
	}
}

// adjustCount is WEDriver._adjust_count with one subgroup: split the
// heaviest walker in two until the bin holds target walkers, or merge the
// two lightest until it does.
func (s *binState) adjustCount(ws []binWalker, target int) []binWalker {
	for len(ws) < target {
		h := ws[len(ws)-1]
		ws = ws[:len(ws)-1]
		for _, p := range s.split(h, 2) {
			ws = binInsert(ws, p)
		}
	}
	for len(ws) > target {
		g := s.merge(ws[:2])
		ws = binInsert(ws[2:], g)
	}
	return ws
}

// mergeByThreshold is WEDriver._merge_by_threshold: while two or more
// walkers are lighter than MinWeight, all of them merge.
func (s *binState) mergeByThreshold(ws []binWalker) []binWalker {
	for {
		k := sort.Search(len(ws), func(i int) bool { return !(ws[i].weight < s.p.minW) })
		if k < 2 {
			return ws
		}
		g := s.merge(ws[:k])
		ws = binInsert(ws[k:], g)
	}
}

// binPairwiseSum is numpy's pairwise summation of float64
// (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum), which
// ndarray.sum uses for a contiguous array: WESTPA's ideal weight is
// weights.sum()/target_count, and matching the sum bit for bit keeps the
// split and merge thresholds identical.
func binPairwiseSum(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		var s float64
		for _, x := range a {
			s += x
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += a[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return binPairwiseSum(a[:n2]) + binPairwiseSum(a[n2:])
}

// binRun groups the walkers by as[i].flat, runs the Huber–Kim split/merge
// on every occupied bin in increasing flat order and builds the Result.
// Summary holds n_bins_occupied, n_splits, n_merges, min_weight and
// max_weight.
func binRun(name string, walkers []Walker, as []binAssign, target func(flat int) int, p binParams, r *rng.Stream) (Result, error) {
	groups := map[int][]int{}
	for i, a := range as {
		groups[a.flat] = append(groups[a.flat], i)
	}
	flats := make([]int, 0, len(groups))
	for f := range groups {
		flats = append(flats, f)
	}
	slices.Sort(flats)
	var planned int
	for _, f := range flats {
		if planned += min(target(f), binMaxWalkers+1); planned > binMaxWalkers {
			return Result{}, fmt.Errorf("%s: the target counts of the occupied bins exceed %d walkers", name, binMaxWalkers)
		}
	}

	s := &binState{p: p, r: r, contrib: make([][]int, len(walkers), 2*len(walkers))}
	for i := range walkers {
		s.contrib[i] = []int{i}
	}
	var all []binWalker
	for _, f := range flats {
		members := groups[f]
		ws := make([]binWalker, len(members))
		for k, i := range members {
			ws[k] = binWalker{parent: i, weight: walkers[i].Weight, id: i}
		}
		slices.SortFunc(ws, binCompare)
		all = append(all, s.bin(ws, target(f))...)
		if s.err != nil {
			return Result{}, fmt.Errorf("%s: bin %d: %w", name, f, s.err)
		}
	}

	// Order by parent, then creation: a counting sort on the parent, then
	// each parent's few walkers by id.
	start := make([]int, len(walkers)+1)
	for _, w := range all {
		start[w.parent+1]++
	}
	for i := range walkers {
		start[i+1] += start[i]
	}
	sorted := make([]binWalker, len(all))
	next := slices.Clone(start[:len(walkers)])
	for _, w := range all {
		sorted[next[w.parent]] = w
		next[w.parent]++
	}
	for i := range walkers {
		slices.SortFunc(sorted[start[i]:start[i+1]], func(a, b binWalker) int { return a.id - b.id })
	}
	all = sorted

	out := make([]Out, len(all))
	children := make([][]int, len(walkers))
	gave := make([][]int, len(walkers)) // slots carrying an input's weight, its own lineage excluded
	minW, maxW := math.Inf(1), math.Inf(-1)
	for slot, w := range all {
		out[slot] = Out{Parent: w.parent, Weight: w.weight, Region: slices.Clone(as[w.parent].region)}
		children[w.parent] = append(children[w.parent], slot)
		for _, c := range s.contrib[w.id] {
			if c != w.parent {
				gave[c] = append(gave[c], slot)
			}
		}
		minW = math.Min(minW, w.weight)
		maxW = math.Max(maxW, w.weight)
	}
	recs := make([]Record, len(walkers))
	for i := range walkers {
		switch ch := children[i]; {
		case len(ch) >= 2:
			recs[i] = Record{Decision: Clone, Targets: ch}
		case len(ch) == 1 && len(s.contrib[all[ch[0]].id]) > 1:
			recs[i] = Record{Decision: KeepMerge, Targets: ch}
		case len(ch) == 1:
			recs[i] = Record{Decision: Nothing, Targets: ch}
		default:
			recs[i] = Record{Decision: Squash, Targets: gave[i]}
		}
	}
	return Result{
		Walkers: out,
		Records: recs,
		Summary: map[string]float64{
			"n_bins_occupied": float64(len(flats)),
			"n_splits":        float64(s.nSplits),
			"n_merges":        float64(s.nMerge),
			"min_weight":      minW,
			"max_weight":      maxW,
		},
	}, nil
}

// WESTPA's defaults for HuberKim's zero-valued weight bounds, for callers
// that record the effective configuration.
const (
	HuberKimDefaultMinWeight = binDefaultMinWeight
	HuberKimDefaultMaxWeight = binDefaultMaxWeight
)

// huberKimParams are the flags Binned and MAB share.
func huberKimParams() []Param {
	return []Param{
		{Name: "per-bin", Kind: Int, Default: "4", Usage: "walkers per occupied bin (WESTPA's bin_target_counts)"},
		{Name: "min-weight", Kind: Float, Default: strconv.FormatFloat(binDefaultMinWeight, 'g', -1, 64), ZeroIsDefault: true,
			Usage: "smallest allowed weight (WESTPA's smallest_allowed_weight)"},
		{Name: "max-weight", Kind: Float, Default: strconv.FormatFloat(binDefaultMaxWeight, 'g', -1, 64), ZeroIsDefault: true,
			Usage: "largest allowed weight (WESTPA's largest_allowed_weight)"},
	}
}

func (a *Args) huberKim() HuberKim {
	return HuberKim{MinWeight: a.Float("min-weight"), MaxWeight: a.Float("max-weight")}
}

func init() {
	Register(Method{
		Name: "binned",
		Doc: `WESTPA's Huber–Kim split/merge in rectilinear bins:
--bins OBS:E1,E2,… (interior edges, one flag per dimension; the
first and last bins are open), --per-bin N (4), --min-weight,
--max-weight (WESTPA's defaults).`,
		Params: append([]Param{
			{Name: "bins", Kind: List, Usage: "OBS:E1,E2,… interior edges of one dimension; repeatable"},
		}, huberKimParams()...),
		Image: ImageParams,
		New: func(a *Args) (Resampler, error) {
			if len(a.List("bins")) == 0 {
				return nil, ParamErrorf("binned needs at least one --bins OBS:E1,E2,…")
			}
			rest, err := a.ObsDims("bins", "OBS:E1,E2,…")
			if err != nil {
				return nil, err
			}
			var edges [][]float64
			for i, r := range rest {
				var e []float64
				for _, f := range strings.Split(r, ",") {
					x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
					if err != nil || math.IsNaN(x) {
						return nil, ParamErrorf("--bins %q: %q is not a number", a.List("bins")[i], f)
					}
					e = append(e, x)
				}
				edges = append(edges, e)
			}
			return validated(Binned{Edges: edges, PerBin: a.Int("per-bin"), HuberKim: a.huberKim()})
		},
	})
}
