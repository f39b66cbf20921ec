package resample

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/wepipe/wepipe/pkg/rng"

	"github.com/wepipe/wepipe/pkg/fmath"
)

// MAB is WESTPA's minimal adaptive binning: Torrillo, Bogetti & Chong,
// "A Minimal, Adaptive Binning Scheme for Weighted Ensemble Simulations",
// J. Phys. Chem. A 125, 1642 (2021), as westpa/core/binning/mab.py
// implements it on WESTPA's develop branch of December 2024 (commit
// 32bf2ca, after PR #436: MABBinMapper, map_mab, calculate_bin_boundaries,
// detect_bottlenecks, bin_assignment), with the walkers' final progress
// coordinates as MABDriver passes them, followed by the same Huber–Kim
// split/merge as Binned (we_driver.py; MABDriver only changes how walkers
// are assigned). The bins are recomputed from the current walkers at
// every call.
//
// # Bins
//
// Per image dimension d (D in all), over all walkers: the minimum m_d and
// maximum M_d. Dimensions with Skip[d] get one linear bin and no special
// bins; the others, "active", get NBins[d] linear bins (n'_d = 1 or
// NBins[d]).
//
// Linear bins: the edges of dimension d are numpy.linspace(m_d, M_d,
// n'_d+1) (edge k = k·(M_d−m_d)/n'_d + m_d, the last edge M_d); a value's
// index is numpy.digitize's #{edges ≤ x}−1 clamped to [0, n'_d−1], so M_d
// falls in the last bin (and when m_d = M_d every edge is m_d and the
// index is n'_d−1). The flat index is bin_assignment's
// flat = Σ_d i_d·Π_{e<d} n'_e: dimension 0 varies fastest (the reverse of
// C order, and of Binned's numbering).
//
// Bottlenecks (detect_bottlenecks; unless NoBottleneck, per active
// dimension): the walkers are sorted by x_d (ties by index), and for the
// interior positions i = 1 … n−2 of that order
//
//	Z_i = ln w_i − ln Σ_{j>i} w_j
//
// (Σ as numpy's np.sum, pairwise: fmath.PairwiseSum). The first walker of
// largest Z is the forward bottleneck, whatever the sign of Z (the scan
// starts from maxdiff = −∞); with PositiveZ it must also have Z > 0, the
// rule before PR #436. The reverse bottleneck is the same along the
// reversed order (numpy.flipud of the sorted walkers). The lowest and
// highest walker of the order are never bottlenecks, and with fewer than
// three walkers there is none. A bottleneck is identified by its whole
// image, as WESTPA compares coordinate tuples: every walker with that
// image qualifies for its bin.
//
// Direction[d] selects the special bins: 0 (default) a leading bin (the
// walkers with x_d = M_d), a lagging bin (x_d = m_d) and both bottlenecks;
// 1 the leading bin and the forward bottleneck; −1 the lagging bin and the
// reverse bottleneck; 86 both bottlenecks and no leading or lagging bin.
// Special bins follow the linear ones: leading bins, then lagging bins,
// then forward bottleneck bins, then reverse ones, each group numbered in
// dimension order over the dimensions that have such a bin.
//
// Assignment of a walker (bin_assignment): over the active dimensions in
// order, the first one where the walker is the forward bottleneck (tested
// first) or the reverse bottleneck gives its bin; if none, the first
// active dimension where its value is M_d (leading bin, tested first) or
// m_d (lagging bin); otherwise its linear bin.
//
// Out.Region is [flat] for one dimension and [flat, i_0, …, i_{D−1}] for
// D > 1, with the per-dimension linear indices, or −1 for a walker in a
// special bin. Summary adds mab_min_d<k> and mab_max_d<k> (m_k and M_k)
// and n_bins (WESTPA's MABBinMapper.determine_total_bins).
//
// # Deviations from WESTPA
//
//   - WESTPA casts progress coordinates and weights to float32 before
//     binning (FuncBinMapper.assign); here they stay float64, so extremes,
//     edges, sums and Z are computed at full precision. A walker whose
//     float32 value ties another's, or a Z that ties another's only in
//     float32, can be placed differently.
//   - ln is fmath.Log (the same bits on every machine), which may differ
//     from numpy's log in the last bit, so two Z equal to a few ulps may
//     be ordered differently.
//   - Ties in x_d are ordered by walker index (a stable sort). numpy's
//     default argsort is stable only for small arrays (insertion sort up
//     to 16 elements); for larger ensembles WESTPA's order among walkers
//     with the same x_d, and hence which of them is the bottleneck when
//     their weights differ, is unspecified.
//   - PCA (pca=True) and WESTPA's mab_log and bin_log reports are not
//     implemented.
//
// Every occupied bin then gets PerBin walkers by the split/merge described
// at Binned; Records and the order of output walkers are as there. MAB
// keeps no state between calls; State is ignored and Result.State is nil.
type MAB struct {
	// NBins is the number of linear bins per dimension (WESTPA's nbins).
	NBins []int
	// PerBin is the target count of every occupied bin.
	PerBin int
	// Direction per dimension: 0, 1, −1 or 86 (nil: all 0, WESTPA's default).
	Direction []int
	// Skip per dimension: no splitting along it (nil: none).
	Skip []bool
	// NoBottleneck turns off bottleneck bins (WESTPA's bottleneck=False).
	NoBottleneck bool
	// PositiveZ keeps a bottleneck only when its Z is positive: WESTPA's
	// detect_bottlenecks before PR #436 (September 2024; releases up to
	// v2022.11), which started its scan from maxdiff = 0. Only that rule
	// is taken from the old code; the bins are numbered as today.
	PositiveZ bool
	HuberKim
}

var _ Resampler = MAB{}

// Validate checks the configuration.
func (m MAB) Validate() error {
	ndim := len(m.NBins)
	if ndim == 0 {
		return fmt.Errorf("mab: no dimensions: NBins is empty")
	}
	if m.Skip != nil && len(m.Skip) != ndim {
		return fmt.Errorf("mab: Skip has %d entries for %d dimensions", len(m.Skip), ndim)
	}
	if m.Direction != nil && len(m.Direction) != ndim {
		return fmt.Errorf("mab: Direction has %d entries for %d dimensions", len(m.Direction), ndim)
	}
	linear := 1
	for d, n := range m.NBins {
		if n < 1 {
			return fmt.Errorf("mab: dimension %d: NBins is %d, must be at least 1", d, n)
		}
		if v := m.direction(d); v != 0 && v != 1 && v != -1 && v != 86 {
			return fmt.Errorf("mab: dimension %d: Direction is %d, must be 0, 1, -1 or 86", d, v)
		}
		if !m.skipped(d) {
			if linear > binMaxBins/n {
				return fmt.Errorf("mab: more than %d linear bins", binMaxBins)
			}
			linear *= n
		}
	}
	if m.PerBin < 1 {
		return fmt.Errorf("mab: PerBin is %d, must be at least 1", m.PerBin)
	}
	return m.HuberKim.validate("mab")
}

// mabLayout numbers MAB's bins (bin_assignment's offsets).
type mabLayout struct {
	nb     []int // linear bins per dimension, 1 if skipped
	active []int // dimensions not skipped
	linear int   // Π nb
	// Per dimension: its index within each group of special bins (leading,
	// lagging, forward and reverse bottleneck), −1 if it has none there.
	lead, lag, fwd, rev                  []int
	leadOff, lagOff, fwdOff, revOff, tot int
}

func (m MAB) direction(d int) int {
	if m.Direction == nil {
		return 0
	}
	return m.Direction[d]
}

func (m MAB) skipped(d int) bool { return m.Skip != nil && m.Skip[d] }

// layout computes the bin numbering; m must be valid. bin_assignment
// numbers the special bin of dimension n as offset + n − (the dimensions
// before n without such a bin), that is by its place among the
// dimensions that have one.
func (m MAB) layout() mabLayout {
	ndim := len(m.NBins)
	l := mabLayout{
		nb: make([]int, ndim), linear: 1,
		lead: make([]int, ndim), lag: make([]int, ndim),
		fwd: make([]int, ndim), rev: make([]int, ndim),
	}
	var nLead, nLag, nFwd, nRev int
	next := func(has bool, count *int) int {
		if !has {
			return -1
		}
		*count++
		return *count - 1
	}
	for d := range ndim {
		l.nb[d] = m.NBins[d]
		skip := m.skipped(d)
		if skip {
			l.nb[d] = 1
		} else {
			l.active = append(l.active, d)
		}
		l.linear *= l.nb[d]
		dir := m.direction(d)
		l.lead[d] = next(!skip && (dir == 0 || dir == 1), &nLead)
		l.lag[d] = next(!skip && (dir == 0 || dir == -1), &nLag)
		l.fwd[d] = next(!skip && !m.NoBottleneck && dir != -1, &nFwd)
		l.rev[d] = next(!skip && !m.NoBottleneck && dir != 1, &nRev)
	}
	l.leadOff = l.linear
	l.lagOff = l.leadOff + nLead
	l.fwdOff = l.lagOff + nLag
	l.revOff = l.fwdOff + nFwd
	l.tot = l.revOff + nRev
	return l
}

// mabLinearIndex is the linear bin of x along a dimension with extremes
// lo, hi and nb bins: numpy.digitize(x, numpy.linspace(lo, hi, nb+1)) − 1,
// that is #{edges ≤ x} − 1, clamped to [0, nb−1].
func mabLinearIndex(x, lo, hi float64, nb int) int {
	delta := hi - lo
	div := float64(nb)
	step := delta / div
	// numpy.linspace: y = arange(num)·step + start, y[-1] = stop; for a
	// step that underflows to zero, arange(num)/div·delta + start.
	count := 0
	for k := 0; k <= nb; k++ {
		var e float64
		switch {
		case k == nb:
			e = hi
		case step == 0:
			e = float64(k)/div*delta + lo
		default:
			e = float64(k)*step + lo
		}
		if e > x {
			break
		}
		count++
	}
	return min(max(count-1, 0), nb-1)
}

// mabBottlenecks returns the walkers chosen as forward and reverse
// bottleneck along dimension d (detect_bottlenecks), −1 where there is
// none. order and w are scratch of length len(walkers).
func mabBottlenecks(walkers []Walker, d int, positiveZ bool, order []int, w []float64) (fwd, rev int) {
	for i := range order {
		order[i] = i
	}
	// argsort of x_d; equal values keep their index order (see the
	// deviations in MAB's comment).
	slices.SortStableFunc(order, func(a, b int) int {
		xa, xb := walkers[a].Image[d], walkers[b].Image[d]
		switch {
		case xa < xb:
			return -1
		case xa > xb:
			return 1
		}
		return 0
	})
	fwd = mabMaxZ(walkers, order, positiveZ, w)
	slices.Reverse(order) // numpy.flipud
	rev = mabMaxZ(walkers, order, positiveZ, w)
	return fwd, rev
}

// mabMaxZ returns the walker at the first interior position i (1 ≤ i ≤
// n−2) of largest Z_i = ln w_i − ln Σ_{j>i} w_j along order, −1 if there
// is none (or, with positiveZ, if no Z is positive). w is scratch.
func mabMaxZ(walkers []Walker, order []int, positiveZ bool, w []float64) int {
	for i, k := range order {
		w[i] = walkers[k].Weight
	}
	best, maxZ := -1, math.Inf(-1)
	if positiveZ {
		maxZ = 0
	}
	for i := 1; i < len(order)-1; i++ {
		// np.sum(weights_srt[i+1:]) afresh at every i, as WESTPA does,
		// so that the rounding is the same as its.
		z := fmath.Log(w[i]) - fmath.Log(fmath.PairwiseSum(w[i+1:]))
		if z > maxZ {
			best, maxZ = order[i], z
		}
	}
	return best
}

// Resample places the bins from the walkers' images, assigns the walkers
// and splits and merges each occupied bin to PerBin walkers.
func (m MAB) Resample(walkers []Walker, _ []byte, r *rng.Stream) (Result, error) {
	if err := m.Validate(); err != nil {
		return Result{}, err
	}
	if len(walkers) == 0 {
		return Result{}, ErrEmpty
	}
	ndim := len(m.NBins)
	if err := binCheckWalkers("mab", walkers, ndim); err != nil {
		return Result{}, err
	}
	as, lo, hi := m.assign(walkers)
	res, err := binRun("mab", walkers, as, func(int) int { return m.PerBin }, m.HuberKim.params(), r)
	if err != nil {
		return Result{}, err
	}
	res.Summary["n_bins"] = float64(m.layout().tot)
	for d := range ndim {
		k := strconv.Itoa(d)
		res.Summary["mab_min_d"+k] = lo[d]
		res.Summary["mab_max_d"+k] = hi[d]
	}
	return res, nil
}

// assign places the bins and assigns every walker (map_mab); m and the
// walkers must be valid. It returns the extremes m_d and M_d.
func (m MAB) assign(walkers []Walker) (as []binAssign, lo, hi []float64) {
	ndim := len(m.NBins)
	l := m.layout()
	lo, hi = make([]float64, ndim), make([]float64, ndim)
	for d := range ndim {
		lo[d], hi[d] = math.Inf(1), math.Inf(-1)
		for _, w := range walkers {
			lo[d] = math.Min(lo[d], w.Image[d])
			hi[d] = math.Max(hi[d], w.Image[d])
		}
	}
	// Bottleneck images per dimension, nil where there is none.
	fwdImg, revImg := make([][]float64, ndim), make([][]float64, ndim)
	if !m.NoBottleneck {
		order, w := make([]int, len(walkers)), make([]float64, len(walkers))
		for _, d := range l.active {
			f, rv := mabBottlenecks(walkers, d, m.PositiveZ, order, w)
			if f >= 0 && l.fwd[d] >= 0 {
				fwdImg[d] = walkers[f].Image
			}
			if rv >= 0 && l.rev[d] >= 0 {
				revImg[d] = walkers[rv].Image
			}
		}
	}

	as = make([]binAssign, len(walkers))
	idx := make([]int, ndim)
	for i, w := range walkers {
		flat, special := m.special(l, w.Image, lo, hi, fwdImg, revImg)
		if special {
			for d := range idx {
				idx[d] = -1
			}
		} else {
			stride := 1
			for d := range ndim {
				idx[d] = mabLinearIndex(w.Image[d], lo[d], hi[d], l.nb[d])
				flat += idx[d] * stride
				stride *= l.nb[d]
			}
		}
		as[i] = binAssign{flat: flat, region: binRegion(flat, idx)}
	}
	return as, lo, hi
}

// special returns the special bin of a walker at image x, if it has one:
// bin_assignment's bottleneck loop, then its boundary loop, each taking
// the first active dimension that matches.
func (m MAB) special(l mabLayout, x, lo, hi []float64, fwdImg, revImg [][]float64) (int, bool) {
	for _, d := range l.active {
		if fwdImg[d] != nil && slices.Equal(x, fwdImg[d]) {
			return l.fwdOff + l.fwd[d], true
		}
		if revImg[d] != nil && slices.Equal(x, revImg[d]) {
			return l.revOff + l.rev[d], true
		}
	}
	for _, d := range l.active {
		if x[d] == hi[d] && l.lead[d] >= 0 {
			return l.leadOff + l.lead[d], true
		}
		if x[d] == lo[d] && l.lag[d] >= 0 {
			return l.lagOff + l.lag[d], true
		}
	}
	return 0, false
}

func init() {
	Register(Method{
		Name: "mab",
		Doc: `WESTPA's minimal adaptive binning (MABBinMapper with
MABDriver, WESTPA develop after PR #436): --mab OBS:NBINS (one
flag per dimension; WESTPA's nbins), --direction D,… (0 both
ends, 1 leading only, -1 lagging only, 86 bottlenecks only),
--skip 0,1,… (1: no special bins and one linear bin along that
dimension), --bottleneck=false (no bottleneck bins), --per-bin N
(4), --min-weight, --max-weight. The leading, lagging and
bottleneck walkers get bins of their own. --mab-positive-z keeps
a bottleneck only when its Z is positive, WESTPA's rule before
PR #436 (v2022.11 and earlier).`,
		Version: 2,
		Params: append([]Param{
			{Name: "mab", Kind: List, Usage: "OBS:NBINS for one dimension (WESTPA's nbins); repeatable"},
			{Name: "direction", Kind: String, Usage: "direction per dimension (0, 1, -1 or 86), comma-separated (WESTPA's direction)"},
			{Name: "skip", Kind: String, Usage: "1 per dimension to skip, comma-separated (WESTPA's skip)"},
			{Name: "bottleneck", Kind: Bool, Default: "true", Usage: "bottleneck bins (WESTPA's bottleneck)"},
			{Name: "mab-positive-z", Kind: Bool, Default: "false", Usage: "a bottleneck needs Z > 0 (WESTPA before PR #436)"},
		}, huberKimParams()...),
		Image: ImageParams,
		New: func(a *Args) (Resampler, error) {
			if len(a.List("mab")) == 0 {
				return nil, ParamErrorf("mab needs at least one --mab OBS:NBINS")
			}
			rest, err := a.ObsDims("mab", "OBS:NBINS")
			if err != nil {
				return nil, err
			}
			c := MAB{PerBin: a.Int("per-bin"), NoBottleneck: !a.Bool("bottleneck"), PositiveZ: a.Bool("mab-positive-z"), HuberKim: a.huberKim()}
			for i, r := range rest {
				k, err := strconv.Atoi(r)
				if err != nil {
					return nil, ParamErrorf("--mab %q: want OBS:NBINS with OBS one of %s", a.List("mab")[i], strings.Join(a.Observables, ", "))
				}
				c.NBins = append(c.NBins, k)
			}
			if c.Direction, err = a.Ints("direction"); err != nil {
				return nil, err
			}
			skip, err := a.Ints("skip")
			if err != nil {
				return nil, err
			}
			for _, s := range skip {
				c.Skip = append(c.Skip, s != 0)
			}
			return validated(c)
		},
	})
}
