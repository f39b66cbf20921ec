package resample

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/fxamacker/cbor/v2"

	"github.com/wepipe/wepipe/pkg/rng"
)

// wepy's defaults for WExplore (wepy/resampling/resamplers/wexplore.py,
// WExploreResampler.__init__; pmin and pmax come from CloneMergeResampler).
const (
	WExploreDefaultPMin       = 1e-12
	WExploreDefaultPMax       = 0.1
	WExploreDefaultMaxRegions = 10
)

// WExploreTreeVersion is the format version of the serialized region tree
// (WExploreTree.Version). A state with another version is refused.
const WExploreTreeVersion = 1

// WExplore is wepy's WExploreResampler (Dickson & Brooks, "WExplore:
// Hierarchical Exploration of High-Dimensional Spaces Using the Weighted
// Ensemble Algorithm", J. Phys. Chem. B 118, 3532 (2014)), reproduced
// decision for decision from ADicksonLab/wepy
// src/wepy/resampling/resamplers/wexplore.py (RegionTree and
// WExploreResampler) and resamplers/clone_merge.py (assign_clones).
//
// # Regions
//
// The regions form a tree of L = len(RegionSizes) levels; a region is named
// by its path (i₀, …, i_{L−1}) of child indices, and every region at level
// k has an image, a point of the walkers' image space. A walker is placed
// by a top-down search (RegionTree.assign): at each level it goes to the
// child of the current region whose image is nearest (Metric), the first
// one on ties. With d_k its distance to the chosen region at level k, the
// first level k (from the top) where
//
//	d_k > RegionSizes[k]  and  the parent region has < MaxRegions[k] children
//
// branches the tree (RegionTree.place_walkers, branch_tree): a new child of
// the level-k parent, then one new region under it at every deeper level,
// all with the walker's image, and the walker goes to the new leaf (its
// path ends in zeros). Walkers are placed in input order and a region is
// usable as soon as it is made, so when several walkers qualify for a new
// region the first one creates it and the later ones may fall into it.
//
// # Balancing
//
// Each leaf first computes what it can give and take (place_walkers):
//
//   - squashable walkers (calc_squashable_walkers_single_method): with the
//     leaf's weights sorted increasingly, m is the largest count whose
//     running sum stays ≤ PMax and n_sq = m − 1; 0 for a leaf of fewer than
//     two walkers. As in wepy, a leaf of two or more walkers whose lightest
//     walker already exceeds PMax gets n_sq = −1, which is summed into its
//     ancestors like any other count.
//   - possible clones (calc_max_num_clones): for each walker the largest
//     s ≤ N (N = number of walkers) with w/s ≥ PMin gives s − 1 clones (0 if
//     w/2 < PMin); the leaf's figure is the sum over its walkers.
//
// Inner regions hold the sums over their leaves. Then, top down from a root
// balance of 0 (balance_tree, _propagate_and_balance_shares), every region
// hands its balance to its children (an only child takes it all; otherwise
// a debt is paid by the children in order, each up to its squashable count,
// and a credit is given in order, each up to its possible clones) and the
// children trade "shares" (walker slots): repeatedly, among all ordered
// pairs (donor with more shares, acceptor), the best donation is
//
//	min(⌊(s_donor − s_acceptor)/2⌋, donatable_donor, receivable_acceptor)
//
// for the pair with the largest (difference, donation, donor index,
// acceptor index), among pairs with a positive donation
// (_gen_best_donation). Donations go on until none is possible or two
// donations of one share in a row have been made (a lone first donation of
// one also stops; _balance_children_shares). A child's balance is its final
// shares minus its walkers.
//
// # Decisions
//
// Leaves with a negative balance −b are settled first, in the order the
// leaves were created (_decide_settle_balance): the b+1 lightest walkers
// (decide_merge_groups_single_method) are merged into one, the survivor
// drawn by rng.Choice over their weights, listed lightest first; the other
// b are squashed. Then leaves with a positive balance c are settled
// (_decide_clone_leaf): if the walkers' possible clones sum to c each makes
// all of them; otherwise clones are handed one at a time to the walker
// whose children would be heaviest, w/(n+1) with n the clones it has so
// far. Slots follow CloneMergeResampler.assign_clones: squashed walkers'
// slots are freed in order of their survivor's index, and each cloned
// walker, in index order, keeps its own slot and takes freed slots from the
// end of that list.
//
// # Ties and deliberate deviations
//
//   - wepy orders the lightest walkers of a merge and the heaviest would-be
//     child of a clone with numpy's argsort (quicksort). For the ≤ 16
//     values numpy sorts by insertion, that is a stable sort, which is what
//     this code uses for every size: equal weights are taken in walker
//     order for merges, and the later walker wins a tie for a clone.
//     numpy's order for longer arrays depends on its version and the CPU
//     (introsort, or x86-simd-sort on AVX-512), so no fixed rule can follow
//     it there.
//   - wepy stops in a debugger (ipdb) when the result has a walker above
//     PMax or below PMin; that only happens when such walkers were in the
//     input and could not be merged or were not cloned, and here they are
//     simply passed on.
//   - wepy's RegionTreeError cases (a debt or a credit no child can take, a
//     merge above PMax) are returned as errors; by construction they do not
//     arise.
//   - A distance that is NaN is an error (numpy's argmin would pick it).
//
// # Output
//
// Out.Region is the leaf path of the walker's parent (wepy's
// region_assignment). Result.Summary holds "n_regions" (leaf regions in the
// tree, len of wepy's RegionTree.regions), "n_regions_l<k>" (regions at
// level k, k = 0 at the top), "n_new_regions" (regions made this cycle, the
// seed excluded), "n_clones" (new copies made, Σ of wepy's
// walkers_num_clones) and "n_merges" (walkers squashed); with the number
// of walkers kept, n_clones = n_merges.
//
// # State
//
// The region tree is the resampler's state, passed back every cycle in
// Result.State as the deterministic CBOR of a WExploreTree. A nil state
// starts an empty tree: wepy's RegionTree.__init__ makes the first branch
// (0, …, 0) from the image of an initial state; here that image is
// InitImage when given (the system's initial state, exactly wepy's
// init_state), else the image of the first walker of the first cycle.
type WExplore struct {
	// RegionSizes is the cut-off distance of each level, top first, in
	// the Metric's units, e.g. {1, 0.5, 0.35, 0.25} nm (wepy's
	// max_region_sizes). Required; its length is the number of levels.
	RegionSizes []float64
	// MaxRegions is the number of children a region may have at each
	// level (wepy's max_n_regions). nil means WExploreDefaultMaxRegions
	// at every level.
	MaxRegions []int
	// PMin and PMax bound a walker's weight; 0 means wepy's default
	// (WExploreDefaultPMin, WExploreDefaultPMax).
	PMin, PMax float64
	// Metric is the distance between images; nil means Euclidean.
	Metric Metric
	// InitImage seeds the region tree when the state is nil (wepy's
	// init_state). nil means the first walker's image.
	InitImage []float64
}

// wexConfig is a WExplore with defaults filled in.
type wexConfig struct {
	sizes      []float64
	maxRegions []int
	pmin, pmax float64
	metric     Metric
	initImage  []float64
}

// Validate reports the first problem with the configuration.
func (c WExplore) Validate() error {
	_, err := c.wexResolve()
	return err
}

func (c WExplore) wexResolve() (wexConfig, error) {
	var cfg wexConfig
	levels := len(c.RegionSizes)
	if levels == 0 {
		return cfg, errors.New("resample: wexplore: no region sizes: give one cut-off distance per level")
	}
	for k, s := range c.RegionSizes {
		if !(s > 0) || math.IsInf(s, 0) {
			return cfg, fmt.Errorf("resample: wexplore: region size of level %d is %v, must be positive and finite", k, s)
		}
	}
	cfg.sizes = c.RegionSizes
	if c.MaxRegions == nil {
		cfg.maxRegions = make([]int, levels)
		for k := range cfg.maxRegions {
			cfg.maxRegions[k] = WExploreDefaultMaxRegions
		}
	} else {
		if len(c.MaxRegions) != levels {
			return cfg, fmt.Errorf("resample: wexplore: %d max region counts for %d region sizes, need one per level", len(c.MaxRegions), levels)
		}
		for k, m := range c.MaxRegions {
			if m < 1 {
				return cfg, fmt.Errorf("resample: wexplore: max regions of level %d is %d, must be at least 1", k, m)
			}
		}
		cfg.maxRegions = c.MaxRegions
	}
	cfg.pmin, cfg.pmax = c.PMin, c.PMax
	if cfg.pmin == 0 {
		cfg.pmin = WExploreDefaultPMin
	}
	if cfg.pmax == 0 {
		cfg.pmax = WExploreDefaultPMax
	}
	if !(cfg.pmin > 0) || cfg.pmin >= 1 {
		return cfg, fmt.Errorf("resample: wexplore: pmin %v must be in (0, 1)", c.PMin)
	}
	if !(cfg.pmax > 0) || cfg.pmax > 1 {
		return cfg, fmt.Errorf("resample: wexplore: pmax %v must be in (0, 1]", c.PMax)
	}
	if cfg.pmin >= cfg.pmax {
		return cfg, fmt.Errorf("resample: wexplore: pmin %v must be below pmax %v", cfg.pmin, cfg.pmax)
	}
	cfg.metric = c.Metric
	if cfg.metric == nil {
		cfg.metric = Euclidean
	}
	if c.InitImage != nil {
		if len(c.InitImage) == 0 {
			return cfg, errors.New("resample: wexplore: init image is empty")
		}
		for j, x := range c.InitImage {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return cfg, fmt.Errorf("resample: wexplore: init image value %d is %v", j, x)
			}
		}
		cfg.initImage = c.InitImage
	}
	return cfg, nil
}

// WExploreTree is the serialized region tree (Result.State), encoded as
// deterministic CBOR (fxamacker/cbor CoreDetEncOptions: a map with text
// keys in canonical order, integers and floats in their shortest exact
// form). It holds wepy's RegionTree.regions and RegionTree.images, which
// determine the whole tree.
type WExploreTree struct {
	// Version is WExploreTreeVersion.
	Version int `cbor:"version"`
	// Levels is the depth of the tree, len(RegionSizes).
	Levels int `cbor:"levels"`
	// Regions lists the leaf regions in the order they were created; the
	// order matters, as leaves are settled in it.
	Regions []WExploreRegion `cbor:"regions"`
}

// WExploreRegion is one leaf region and the branch that made it.
//
// Region i > 0 was made by one branching: with k the first level where
// Path[k] is a new child index (equal to the number of children its parent
// had before), Path[k+1:] are all 0 and every region Path[:j+1], j ≥ k, has
// Image as its image. Region 0 is the seed branch (0, …, 0). So a region at
// any level has the image of the first leaf below it.
type WExploreRegion struct {
	// Path holds the child index at each level, top first (wepy's leaf id).
	Path []int `cbor:"path"`
	// Image is the image of the walker (or init image) that made it.
	Image []float64 `cbor:"image"`
}

var (
	wexEncMode cbor.EncMode
	wexDecMode cbor.DecMode
)

func init() {
	var err error
	if wexEncMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	dec := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}
	if wexDecMode, err = dec.DecMode(); err != nil {
		panic(err)
	}
}

// DecodeWExploreTree decodes and checks a region tree from Result.State.
func DecodeWExploreTree(b []byte) (WExploreTree, error) {
	var t WExploreTree
	if err := wexDecMode.Unmarshal(b, &t); err != nil {
		return WExploreTree{}, fmt.Errorf("resample: wexplore: decoding region tree: %w", err)
	}
	if t.Version != WExploreTreeVersion {
		return WExploreTree{}, fmt.Errorf("resample: wexplore: region tree version %d, this build reads version %d", t.Version, WExploreTreeVersion)
	}
	if _, err := wexBuildTree(t); err != nil {
		return WExploreTree{}, err
	}
	return t, nil
}

// wexNode is one region; node 0 is the root (wepy's ROOT_NODE ()).
type wexNode struct {
	parent   int // -1 for the root
	depth    int // 0 for the root, k+1 for a region of level k
	image    int // index in wexTree.images (the leaf that made it)
	children []int
	leaf     int // index in wexTree.leaves, -1 for inner regions

	// Per-cycle figures (RegionTree node attributes).
	count   int   // walkers below (n_walkers)
	walkers []int // walkers in a leaf (walker_idxs), ascending
	nSquash int   // n_squashable
	nClones int   // n_possible_clones
	balance int
}

type wexTree struct {
	levels int
	nodes  []wexNode
	leaves []int       // node of each leaf, in creation order
	paths  [][]int     // path of each leaf
	images [][]float64 // image of each leaf's branch
}

func wexNewTree(levels int) *wexTree {
	return &wexTree{
		levels: levels,
		nodes:  []wexNode{{parent: -1, leaf: -1}},
	}
}

// branch adds a new child under node parent and one region below it at
// each deeper level, all with image, and returns the new leaf's node
// (RegionTree.branch_tree).
func (t *wexTree) branch(parent int, image []float64) int {
	img := len(t.images)
	t.images = append(t.images, image)
	path := make([]int, t.levels)
	copy(path, t.nodePath(parent))
	node := parent
	for d := t.nodes[parent].depth; d < t.levels; d++ {
		child := len(t.nodes)
		path[d] = len(t.nodes[node].children)
		t.nodes[node].children = append(t.nodes[node].children, child)
		t.nodes = append(t.nodes, wexNode{parent: node, depth: d + 1, image: img, leaf: -1})
		node = child
	}
	t.nodes[node].leaf = len(t.leaves)
	t.leaves = append(t.leaves, node)
	t.paths = append(t.paths, path)
	return node
}

// wexBuildTree rebuilds the tree from its serialized form, checking that
// every region is a valid branch of the ones before it.
func wexBuildTree(s WExploreTree) (*wexTree, error) {
	if s.Levels < 1 {
		return nil, fmt.Errorf("resample: wexplore: region tree has %d levels", s.Levels)
	}
	if len(s.Regions) == 0 {
		return nil, errors.New("resample: wexplore: region tree has no regions")
	}
	t := wexNewTree(s.Levels)
	dim := len(s.Regions[0].Image)
	for i, r := range s.Regions {
		if len(r.Path) != s.Levels {
			return nil, fmt.Errorf("resample: wexplore: region %d path %v has %d levels, tree has %d", i, r.Path, len(r.Path), s.Levels)
		}
		if len(r.Image) == 0 || len(r.Image) != dim {
			return nil, fmt.Errorf("resample: wexplore: region %d image has %d values, region 0 has %d", i, len(r.Image), dim)
		}
		for j, x := range r.Image {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("resample: wexplore: region %d image value %d is %v", i, j, x)
			}
		}
		node, k := 0, 0
		for ; k < s.Levels; k++ {
			ch := t.nodes[node].children
			if r.Path[k] < 0 || r.Path[k] > len(ch) {
				return nil, fmt.Errorf("resample: wexplore: region %d path %v: index %d at level %d, the region has %d children", i, r.Path, r.Path[k], k, len(ch))
			}
			if r.Path[k] == len(ch) {
				break
			}
			node = ch[r.Path[k]]
		}
		if k == s.Levels {
			return nil, fmt.Errorf("resample: wexplore: region %d path %v repeats an earlier region", i, r.Path)
		}
		for j := k + 1; j < s.Levels; j++ {
			if r.Path[j] != 0 {
				return nil, fmt.Errorf("resample: wexplore: region %d path %v: a new branch at level %d must continue with zeros", i, r.Path, k)
			}
		}
		t.branch(node, slices.Clone(r.Image))
	}
	return t, nil
}

func (t *wexTree) serialize() WExploreTree {
	s := WExploreTree{Version: WExploreTreeVersion, Levels: t.levels, Regions: make([]WExploreRegion, len(t.leaves))}
	for i := range t.leaves {
		s.Regions[i] = WExploreRegion{Path: t.paths[i], Image: t.images[i]}
	}
	return s
}

// assign finds a walker's region at every level (RegionTree.assign): path
// and dist get the chosen child and its distance per level, onPath the
// nodes from the root (onPath[0]) to the leaf (onPath[levels]).
func (t *wexTree) assign(img []float64, metric Metric, onPath, path []int, dist []float64) error {
	node := 0
	onPath[0] = 0
	var last float64
	for k := 0; k < t.levels; k++ {
		best, bestD := -1, 0.0
		for j, c := range t.nodes[node].children {
			var d float64
			if k > 0 && j == 0 {
				// A region below the top level was made together with its
				// first child, which shares its image: wepy's dist_cache
				// hit, the distance found one level up.
				d = last
			} else {
				d = metric(img, t.images[t.nodes[c].image])
				if math.IsNaN(d) {
					return fmt.Errorf("resample: wexplore: distance to region image %d is NaN", t.nodes[c].image)
				}
			}
			if best < 0 || d < bestD {
				best, bestD = j, d
			}
		}
		path[k], dist[k] = best, bestD
		node = t.nodes[node].children[best]
		onPath[k+1] = node
		last = bestD
	}
	return nil
}

// wexSquashable is calc_squashable_walkers_single_method: how many walkers
// of a leaf one merge of its lightest ones can remove while the survivor
// stays ≤ pmax. sorted holds the leaf's weights in increasing order. It
// keeps wepy's −1 for two or more walkers whose lightest exceeds pmax.
func wexSquashable(sorted []float64, pmax float64) int {
	if len(sorted) < 2 {
		return 0
	}
	sum, size := sorted[0], 1
	for i := 0; ; {
		if !(sum <= pmax) {
			// Python's while … else: the condition failed, so the last
			// walker added is one too many.
			size--
			break
		}
		if i+1 >= len(sorted) {
			break
		}
		i++
		sum += sorted[i]
		size++
	}
	return size - 1
}

// wexMaxClones is calc_max_num_clones: s − 1 for the largest s ≤ n with
// w/s ≥ pmin, 0 when w/2 < pmin. wepy counts s up one at a time; w/s is
// non-increasing in s (division is correctly rounded, hence monotone), so
// a bisection finds the same s.
func wexMaxClones(w, pmin float64, n int) int {
	if n < 2 || !(w/2 >= pmin) {
		return 0
	}
	if w/float64(n) >= pmin {
		return n - 1
	}
	lo, hi := 2, n // w/lo ≥ pmin > w/hi
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if w/float64(mid) >= pmin {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo - 1
}

// Resample places the walkers in the region tree (growing it), balances
// the tree and returns the clone and merge decisions, one record per
// input walker; the number of walkers is kept. See WExplore.
func (c WExplore) Resample(walkers []Walker, state []byte, r *rng.Stream) (Result, error) {
	cfg, err := c.wexResolve()
	if err != nil {
		return Result{}, err
	}
	n := len(walkers)
	if n == 0 {
		return Result{}, ErrEmpty
	}
	levels := len(cfg.sizes)

	var t *wexTree
	if len(state) == 0 {
		t = wexNewTree(levels)
		seed := cfg.initImage
		if seed == nil {
			seed = walkers[0].Image
		}
		t.branch(0, slices.Clone(seed))
	} else {
		var s WExploreTree
		if err := wexDecMode.Unmarshal(state, &s); err != nil {
			return Result{}, fmt.Errorf("resample: wexplore: decoding region tree: %w", err)
		}
		if s.Version != WExploreTreeVersion {
			return Result{}, fmt.Errorf("resample: wexplore: region tree version %d, this build reads version %d", s.Version, WExploreTreeVersion)
		}
		if s.Levels != levels {
			return Result{}, fmt.Errorf("resample: wexplore: region tree has %d levels, the configuration %d", s.Levels, levels)
		}
		if t, err = wexBuildTree(s); err != nil {
			return Result{}, err
		}
	}
	dim := len(t.images[0])
	for i, w := range walkers {
		if !(w.Weight > 0) || math.IsInf(w.Weight, 0) {
			return Result{}, fmt.Errorf("resample: wexplore: walker %d weight %v, must be positive and finite", i, w.Weight)
		}
		if len(w.Image) != dim {
			return Result{}, fmt.Errorf("resample: wexplore: walker %d image has %d values, region images have %d", i, len(w.Image), dim)
		}
	}

	// Place the walkers (RegionTree.place_walkers).
	leafOf := make([]int, n)
	onPath := make([]int, levels+1)
	path := make([]int, levels)
	dist := make([]float64, levels)
	newRegions := 0
	for i, w := range walkers {
		if err := t.assign(w.Image, cfg.metric, onPath, path, dist); err != nil {
			return Result{}, fmt.Errorf("%w (walker %d)", err, i)
		}
		node := onPath[levels]
		for k := 0; k < levels; k++ {
			if dist[k] > cfg.sizes[k] && len(t.nodes[onPath[k]].children) < cfg.maxRegions[k] {
				node = t.branch(onPath[k], slices.Clone(w.Image))
				newRegions++
				break
			}
		}
		leafOf[i] = t.nodes[node].leaf
		t.nodes[node].walkers = append(t.nodes[node].walkers, i)
		for m := node; m >= 0; m = t.nodes[m].parent {
			t.nodes[m].count++
		}
	}

	// What each leaf can give and take, summed into its ancestors.
	maxClones := make([]int, n)
	var sorted []float64
	for _, leaf := range t.leaves {
		lw := t.nodes[leaf].walkers
		sorted = sorted[:0]
		nc := 0
		for _, i := range lw {
			sorted = append(sorted, walkers[i].Weight)
			maxClones[i] = wexMaxClones(walkers[i].Weight, cfg.pmin, n)
			nc += maxClones[i]
		}
		slices.Sort(sorted)
		ns := wexSquashable(sorted, cfg.pmax)
		for m := leaf; m >= 0; m = t.nodes[m].parent {
			t.nodes[m].nSquash += ns
			t.nodes[m].nClones += nc
		}
	}

	// Balance top down (balance_tree with delta_walkers = 0). A parent
	// always precedes its children in t.nodes.
	for p := range t.nodes {
		if len(t.nodes[p].children) > 0 {
			if err := t.propagate(p); err != nil {
				return Result{}, err
			}
		}
	}

	// Settle the leaves' balances (_decide_settle_balance).
	groups := make([][]int, n)
	clones := make([]int, n)
	for _, leaf := range t.leaves {
		if t.nodes[leaf].balance < 0 {
			if err := t.mergeLeaf(leaf, walkers, cfg.pmax, groups, r); err != nil {
				return Result{}, err
			}
		}
	}
	for _, leaf := range t.leaves {
		if t.nodes[leaf].balance > 0 {
			if err := t.cloneLeaf(leaf, walkers, maxClones, clones); err != nil {
				return Result{}, err
			}
		}
	}
	nClones, nSquashed := 0, 0
	for i := range groups {
		nClones += clones[i]
		nSquashed += len(groups[i])
	}
	if nClones != nSquashed {
		return Result{}, fmt.Errorf("resample: wexplore: %d clones do not balance %d squashed walkers", nClones, nSquashed)
	}

	res := Result{
		Walkers: make([]Out, n),
		Records: make([]Record, n),
	}
	wexAssignSlots(walkers, groups, clones, res.Records, res.Walkers)
	regions := make([]int, n*levels)
	for s := range res.Walkers {
		reg := regions[s*levels : (s+1)*levels : (s+1)*levels]
		copy(reg, t.paths[leafOf[res.Walkers[s].Parent]])
		res.Walkers[s].Region = reg
	}

	res.Summary = map[string]float64{
		"n_regions":     float64(len(t.leaves)),
		"n_clones":      float64(nClones),
		"n_merges":      float64(nSquashed),
		"n_new_regions": float64(newRegions),
	}
	perLevel := make([]int, levels)
	for _, nd := range t.nodes[1:] {
		perLevel[nd.depth-1]++
	}
	for k, m := range perLevel {
		res.Summary["n_regions_l"+strconv.Itoa(k)] = float64(m)
	}
	if res.State, err = wexEncMode.Marshal(t.serialize()); err != nil {
		return Result{}, fmt.Errorf("resample: wexplore: encoding region tree: %w", err)
	}
	return res, nil
}

// propagate hands node p's balance to its children and balances shares
// between them (_propagate_and_balance_shares).
func (t *wexTree) propagate(p int) error {
	ch := t.nodes[p].children
	m := len(ch)
	bal := t.nodes[p].balance
	shares := make([]int, 3*m)
	don, rec := shares[m:2*m], shares[2*m:]
	shares = shares[:m]
	for j, c := range ch {
		shares[j] = t.nodes[c].count
		don[j] = t.nodes[c].nSquash
		rec[j] = t.nodes[c].nClones
	}

	// Dispense the parent's balance validly (_dispense_parental_shares).
	disp := make([]int, m)
	switch {
	case m == 1:
		disp[0] = bal
	case bal < 0:
		rem := bal
		for j := 0; rem < 0; j++ {
			if j == m {
				return fmt.Errorf("resample: wexplore: children of region %v cannot pay their parent's debt of %d", t.nodePath(p), -bal)
			}
			if don[j] > 0 {
				pay := min(don[j], -rem)
				rem += pay
				disp[j] -= pay
			}
		}
	case bal > 0:
		rem := bal
		for j := 0; rem > 0; j++ {
			if j == m {
				return fmt.Errorf("resample: wexplore: children of region %v cannot accept their parent's credit of %d", t.nodePath(p), bal)
			}
			give := min(rec[j], rem)
			rem -= give
			disp[j] += give
		}
	}
	for j := range disp {
		shares[j] += disp[j]
		don[j] += disp[j]
		rec[j] -= disp[j]
	}

	// Even the shares out (_balance_children_shares): stop after a zero
	// donation or two donations of one share in a row.
	donate := func() int {
		d, a, amt := wexBestDonation(shares, don, rec)
		if amt > 0 {
			shares[d] -= amt
			shares[a] += amt
			don[d] -= amt
			don[a] += amt
			rec[d] += amt
			rec[a] -= amt
		}
		return amt
	}
	amt := donate()
	for prev := amt; amt > 0 && !(prev == 1 && amt == 1); {
		prev = amt
		amt = donate()
	}

	sum := 0
	for j, c := range ch {
		b := shares[j] - t.nodes[c].count
		t.nodes[c].balance = b
		sum += b
	}
	if sum != bal {
		return fmt.Errorf("resample: wexplore: balances of the children of region %v sum to %d, not the parent's %d", t.nodePath(p), sum, bal)
	}
	return nil
}

// wexBestDonation is _gen_best_donation: over the pairs of children, the
// donor being the one with more shares (the first of the pair when even),
// the donation min(⌊diff/2⌋, donatable, receivable) of the pair with the
// largest (diff, donation, donor, acceptor) among positive donations.
// Children are compared by index, as wepy compares sibling ids.
func wexBestDonation(shares, don, rec []int) (donor, acceptor, amount int) {
	donor, acceptor = -1, -1
	bestDiff := 0
	for a := range shares {
		for b := a + 1; b < len(shares); b++ {
			d, acc := a, b
			if shares[b]-shares[a] > shares[a]-shares[b] {
				d, acc = b, a
			}
			diff := shares[d] - shares[acc]
			if diff <= 0 {
				continue
			}
			amt := min(diff/2, don[d], rec[acc])
			if amt <= 0 {
				continue
			}
			better := donor < 0 || diff > bestDiff ||
				diff == bestDiff && (amt > amount ||
					amt == amount && (d > donor || d == donor && acc > acceptor))
			if better {
				donor, acceptor, amount, bestDiff = d, acc, amt, diff
			}
		}
	}
	return donor, acceptor, amount
}

// mergeLeaf merges the leaf's b+1 lightest walkers for a balance of −b
// (_decide_merge_leaf with decide_merge_groups_single_method).
func (t *wexTree) mergeLeaf(leaf int, walkers []Walker, pmax float64, groups [][]int, r *rng.Stream) error {
	nd := &t.nodes[leaf]
	chosen := slices.Clone(nd.walkers)
	slices.SortStableFunc(chosen, func(i, j int) int {
		switch wi, wj := walkers[i].Weight, walkers[j].Weight; {
		case wi < wj:
			return -1
		case wi > wj:
			return 1
		}
		return 0
	})
	chosen = chosen[:min(len(chosen), -nd.balance+1)]
	ws := make([]float64, len(chosen))
	var sum float64
	for k, i := range chosen {
		ws[k] = walkers[i].Weight
		sum += ws[k]
	}
	if sum > pmax {
		return fmt.Errorf("resample: wexplore: merging %d walkers in region %v gives weight %v above pmax %v", len(chosen), t.paths[nd.leaf], sum, pmax)
	}
	k := r.Choice(ws)
	keep := chosen[k]
	groups[keep] = append(groups[keep], chosen[:k]...)
	groups[keep] = append(groups[keep], chosen[k+1:]...)
	return nil
}

// cloneLeaf hands a positive balance out as clones (_decide_clone_leaf).
func (t *wexTree) cloneLeaf(leaf int, walkers []Walker, maxClones, clones []int) error {
	nd := &t.nodes[leaf]
	bal := nd.balance
	total := 0
	for _, i := range nd.walkers {
		total += maxClones[i]
	}
	if total < bal {
		return fmt.Errorf("resample: wexplore: region %v can make %d clones, not its balance %d", t.paths[nd.leaf], total, bal)
	}
	if total == bal {
		for _, i := range nd.walkers {
			clones[i] = maxClones[i]
		}
		return nil
	}
	// Greedy: the next clone goes to the walker whose children would be
	// heaviest, w/(n+1); on a tie the later walker, as the last entry of
	// wepy's (stable) argsort. wepy's shortcut of giving all remaining
	// clones to the last walker that can still clone gives the same.
	h := make(wexCloneHeap, 0, len(nd.walkers))
	for pos, i := range nd.walkers {
		if maxClones[i] > 0 {
			h = append(h, wexCloneItem{child: walkers[i].Weight, pos: pos, walker: i})
		}
	}
	heap.Init(&h)
	for left := bal; left > 0; left-- {
		it := &h[0]
		clones[it.walker]++
		if clones[it.walker] < maxClones[it.walker] {
			it.child = walkers[it.walker].Weight / float64(clones[it.walker]+1)
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	return nil
}

type wexCloneItem struct {
	child  float64 // weight of each child after one more clone
	pos    int     // position among the leaf's walkers
	walker int
}

// wexCloneHeap is a max-heap on (child, pos).
type wexCloneHeap []wexCloneItem

func (h wexCloneHeap) Len() int { return len(h) }
func (h wexCloneHeap) Less(i, j int) bool {
	return h[i].child > h[j].child || h[i].child == h[j].child && h[i].pos > h[j].pos
}
func (h wexCloneHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *wexCloneHeap) Push(x any)   { *h = append(*h, x.(wexCloneItem)) }
func (h *wexCloneHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// wexAssignSlots writes the records and the output walkers from the merge
// groups and clone counts (CloneMergeResampler.assign_clones, then
// MultiCloneMergeDecision.action for the weights).
func wexAssignSlots(walkers []Walker, groups [][]int, clones []int, recs []Record, out []Out) {
	one := make([]int, len(walkers))
	for i := range recs {
		one[i] = i
		recs[i] = Record{Decision: Nothing, Targets: one[i : i+1 : i+1]}
	}
	var free []int
	for keep, g := range groups {
		if len(g) == 0 {
			continue
		}
		free = append(free, g...)
		for _, s := range g {
			recs[s].Decision = Squash
			recs[s].Targets[0] = keep
		}
		recs[keep].Decision = KeepMerge
	}
	for i, k := range clones {
		if k == 0 {
			continue
		}
		tg := make([]int, 1, k+1)
		tg[0] = i
		for ; k > 0; k-- {
			tg = append(tg, free[len(free)-1])
			free = free[:len(free)-1]
		}
		recs[i] = Record{Decision: Clone, Targets: tg}
	}
	for i, rec := range recs {
		switch rec.Decision {
		case Nothing:
			out[i] = Out{Parent: i, Weight: walkers[i].Weight}
		case KeepMerge:
			// keep_merge sums the survivor first, then the squashed
			// walkers in index order.
			w := walkers[i].Weight
			g := slices.Clone(groups[i])
			slices.Sort(g)
			for _, s := range g {
				w += walkers[s].Weight
			}
			out[i] = Out{Parent: i, Weight: w}
		case Clone:
			w := walkers[i].Weight / float64(len(rec.Targets))
			for _, s := range rec.Targets {
				out[s] = Out{Parent: i, Weight: w}
			}
		}
	}
}

// nodePath is the path of node n from the root.
func (t *wexTree) nodePath(n int) []int {
	p := make([]int, t.nodes[n].depth)
	for d := len(p); d > 0; d-- {
		q := t.nodes[n].parent
		p[d-1] = slices.Index(t.nodes[q].children, n)
		n = q
	}
	return p
}

func init() {
	Register(Method{
		Name: "wexplore",
		Doc: `wepy's WExploreResampler (Dickson & Brooks 2014):
--region-sizes 1,0.5,0.35,0.25 (required), --max-regions 10
(one value or one per level), --pmin, --pmax (wepy's
defaults). The region tree is kept in the snapshot and continued
by the next cycle; each walker's region path is recorded.`,
		Params: []Param{
			{Name: "pmin", Kind: Float, Default: "1e-12", ZeroIsDefault: true, Usage: "smallest walker weight (default: the method's)"},
			{Name: "pmax", Kind: Float, Default: "0.1", ZeroIsDefault: true, Usage: "largest walker weight (default: the method's)"},
			{Name: "region-sizes", Kind: String, Usage: "region cut-off per level, e.g. 1,0.5,0.35,0.25 (required)"},
			{Name: "max-regions", Kind: String, Default: "10", Usage: "regions per level, one value or one per level"},
		},
		New: func(a *Args) (Resampler, error) {
			if a.String("region-sizes") == "" {
				return nil, ParamErrorf("wexplore needs --region-sizes, e.g. 1,0.5,0.35,0.25")
			}
			sizes, err := a.Floats("region-sizes")
			if err != nil {
				return nil, err
			}
			maxes, err := a.Ints("max-regions")
			if err != nil {
				return nil, err
			}
			if len(maxes) == 1 {
				for len(maxes) < len(sizes) {
					maxes = append(maxes, maxes[0])
				}
			}
			c := WExplore{RegionSizes: sizes, MaxRegions: maxes, PMin: a.Float("pmin"), PMax: a.Float("pmax"), Metric: a.Metric}
			if _, err := validated(c); err != nil {
				return nil, err
			}
			// wepy seeds the region tree with the image of the initial
			// state; once the snapshot carries a tree, the seed is not
			// needed.
			if !a.Carried && a.InitialImage != nil {
				if c.InitImage, err = a.InitialImage(); err != nil {
					return nil, err
				}
			}
			return c, nil
		},
	})
}
