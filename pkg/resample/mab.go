package resample

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/wepipe/wepipe/pkg/rng"

	"github.com/wepipe/wepipe/pkg/fmath"
)

// MAB is WESTPA's minimal adaptive binning: Torrillo, Bogetti & Chong,
// "A Minimal, Adaptive Binning Scheme for Weighted Ensemble Simulations",
// J. Phys. Chem. A 125, 1642 (2021), as implemented by
// westpa/core/binning/mab.py (MABBinMapper, map_mab and its helpers
// calculate_bin_boundaries, detect_bottlenecks and bin_assignment, in the
// version after WESTPA's 2024 refactor with strict_Z), followed by the same
// Huber–Kim split/merge as Binned (we_driver.py; MABDriver only changes
// how walkers are assigned). The bins are recomputed from the current
// walkers at every call.
//
// # Bins
//
// Per image dimension d (D in all), over all walkers: the minimum m_d and
// maximum M_d. Dimensions with Skip[d] get one linear bin and no special
// bins; the others, "active", get NBins[d] linear bins (n'_d = 1 or
// NBins[d]).
//
// Linear bins: the edges of dimension d are numpy.linspace(m_d, M_d, n'_d+1)
// (edge k = k·(M_d−m_d)/n'_d + m_d, the last edge M_d; when m_d = M_d,
// linspace(m_d, m_d+0.1, n'_d+1) as WESTPA does); a value's index is
// #{edges ≤ x}−1 clamped to [0, n'_d−1], so M_d falls in the last bin. The
// flat index is in C order, flat = ((i_0·n'_1 + i_1)·n'_2 + …), as
// WESTPA's rectilinear assignment. P = Π n'_d linear bins.
//
// Bottlenecks (unless NoBottleneck, per active dimension, with at least two
// walkers): the walkers are sorted by (x_d, weight, index) and, for
// i = 0 … n−2,
//
//	Z_i = ln w_i − ln Σ_{j>i} w_j
//
// (the suffix sums accumulated from the far end, as np.cumsum of the
// reversed weights). The first walker of largest Z is the forward
// bottleneck, kept only if Z > 0 (WESTPA's strict_Z; NonStrictZ keeps it
// whatever Z). The reverse bottleneck is the same along decreasing x_d
// (ties by weight, then index, ascending). A bottleneck is identified by
// its whole image, as WESTPA compares coordinate tuples: every walker with
// that image goes to its bin.
//
// Direction[d] selects the special bins: 0 (default) a leading bin (the
// walkers with x_d = M_d), a lagging bin (x_d = m_d) and both bottlenecks;
// 1 the leading bin and the forward bottleneck; −1 the lagging bin and the
// reverse bottleneck; 86 both bottlenecks and no leading or lagging bin.
// Special bins follow the linear ones: leading bins (in dimension order),
// then lagging bins, then forward bottleneck bins, then reverse ones.
//
// Assignment of a walker: its linear bin; overridden by a bottleneck bin
// if its image is a bottleneck of some active dimension (the last such
// dimension and direction wins, as in WESTPA's loop); otherwise by the
// leading or lagging bin of the first active dimension where its value is
// M_d (leading) or m_d (lagging).
//
// WESTPA numbers the bottleneck bin of active dimension number a as
// offset+a, although it only counts the dimensions whose direction allows
// that bottleneck; so with several dimensions of mixed directions a forward
// bottleneck bin can coincide with a reverse one (or fall past WESTPA's bin
// count). That numbering is kept by default; DistinctBottleneckBins numbers
// them compactly instead.
//
// Out.Region is [flat] for one dimension and [flat, i_0, …, i_{D−1}] for
// D > 1, with the per-dimension linear indices, or −1 for a walker in a
// special bin. Summary adds mab_min_d<k> and mab_max_d<k> (m_k and M_k)
// and n_bins (WESTPA's MABBinMapper.determine_total_bins).
//
// Deviations. WESTPA casts coordinates and weights to float32 before
// binning (FuncBinMapper.assign); here they stay float64, so extremes,
// edges and Z are computed at full precision. PCA (pca=True) and more than
// one bottleneck per direction (bottleneck > 1) are not implemented.
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
	// NoBottleneck turns off bottleneck bins (WESTPA's bottleneck=0;
	// WESTPA's default is one bottleneck per direction).
	NoBottleneck bool
	// NonStrictZ keeps the largest-Z walker as bottleneck even when
	// Z ≤ 0 (WESTPA's strict_Z=False).
	NonStrictZ bool
	// DistinctBottleneckBins gives every bottleneck bin its own index
	// (see the type's comment); WESTPA's numbering by default.
	DistinctBottleneckBins bool
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
	// Per dimension: its index among the leading (lagging) bins, −1 if none.
	lead, lag []int
	// Per dimension: the ordinal added to the offset of its forward
	// (reverse) bottleneck bin, −1 if it has none.
	fwd, rev                             []int
	leadOff, lagOff, fwdOff, revOff, tot int
}

func (m MAB) direction(d int) int {
	if m.Direction == nil {
		return 0
	}
	return m.Direction[d]
}

func (m MAB) skipped(d int) bool { return m.Skip != nil && m.Skip[d] }

// layout computes the bin numbering; m must be valid.
func (m MAB) layout() mabLayout {
	ndim := len(m.NBins)
	l := mabLayout{
		nb: make([]int, ndim), linear: 1,
		lead: make([]int, ndim), lag: make([]int, ndim),
		fwd: make([]int, ndim), rev: make([]int, ndim),
	}
	var nLead, nLag, nFwd, nRev int
	for d := range ndim {
		l.nb[d] = m.NBins[d]
		l.lead[d], l.lag[d], l.fwd[d], l.rev[d] = -1, -1, -1, -1
		if m.skipped(d) {
			l.nb[d] = 1
			continue
		}
		l.linear *= l.nb[d]
		a := len(l.active)
		l.active = append(l.active, d)
		dir := m.direction(d)
		if dir == 0 || dir == 1 {
			l.lead[d] = nLead
			nLead++
		}
		if dir == 0 || dir == -1 {
			l.lag[d] = nLag
			nLag++
		}
		if m.NoBottleneck {
			continue
		}
		if dir != -1 {
			l.fwd[d] = a
			if m.DistinctBottleneckBins {
				l.fwd[d] = nFwd
			}
			nFwd++
		}
		if dir != 1 {
			l.rev[d] = a
			if m.DistinctBottleneckBins {
				l.rev[d] = nRev
			}
			nRev++
		}
	}
	l.leadOff = l.linear
	l.lagOff = l.leadOff + nLead
	l.fwdOff = l.lagOff + nLag
	l.revOff = l.fwdOff + nFwd
	l.tot = l.revOff + nRev
	return l
}

// mabLinearIndex is the linear bin of x along a dimension with extremes
// lo, hi and nb bins: #{edges ≤ x}−1 over numpy.linspace(lo, hi, nb+1),
// clamped to [0, nb−1].
func mabLinearIndex(x, lo, hi float64, nb int) int {
	stop := hi
	if lo == hi {
		stop = hi + 0.1 // bin_assignment's "small-width bins"
	}
	delta := stop - lo
	div := float64(nb)
	step := delta / div
	// numpy.linspace: y = arange(num)·step + start, y[-1] = stop; for a
	// step that underflows to zero, arange(num)/div·delta + start.
	count := 0
	for k := 0; k <= nb; k++ {
		var e float64
		switch {
		case k == nb:
			e = stop
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
// bottleneck along dimension d (detect_bottlenecks with one bottleneck),
// −1 where there is none. order is scratch of length len(walkers).
func mabBottlenecks(walkers []Walker, d int, strict bool, order []int) (fwd, rev int) {
	n := len(walkers)
	if n < 2 {
		return -1, -1
	}
	for i := range order {
		order[i] = i
	}
	// np.lexsort((w, x)) is stable: ties of (x, w) keep index order.
	slices.SortFunc(order, func(a, b int) int {
		xa, xb := walkers[a].Image[d], walkers[b].Image[d]
		switch {
		case xa < xb:
			return -1
		case xa > xb:
			return 1
		}
		wa, wb := walkers[a].Weight, walkers[b].Weight
		switch {
		case wa < wb:
			return -1
		case wa > wb:
			return 1
		}
		return a - b
	})
	fwd = mabMaxZ(walkers, order, strict)
	// The reverse order is decreasing x, equal x kept in the forward
	// order (WESTPA's reverse-stable argsort).
	rorder := make([]int, 0, n)
	for i := n - 1; i >= 0; {
		j := i
		for j > 0 && walkers[order[j-1]].Image[d] == walkers[order[i]].Image[d] {
			j--
		}
		rorder = append(rorder, order[j:i+1]...)
		i = j - 1
	}
	rev = mabMaxZ(walkers, rorder, strict)
	return fwd, rev
}

// mabMaxZ returns the walker at the first position of largest
// Z_i = ln w_i − ln Σ_{j>i} w_j along order (i < n−1), or −1 if strict and
// that Z is not positive.
func mabMaxZ(walkers []Walker, order []int, strict bool) int {
	n := len(order)
	best, bestZ := -1, math.Inf(-1)
	var ahead float64 // Σ_{j>i} w_j, accumulated from the far end as np.cumsum(w[1:][::-1])
	for i := n - 2; i >= 0; i-- {
		ahead += walkers[order[i+1]].Weight
		z := fmath.Log(walkers[order[i]].Weight) - fmath.Log(ahead)
		// ≥ while walking backwards keeps the first maximum, as np.argmax.
		if z >= bestZ {
			best, bestZ = i, z
		}
	}
	if best < 0 || (strict && !(bestZ > 0)) {
		return -1
	}
	return order[best]
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
		order := make([]int, len(walkers))
		for _, d := range l.active {
			f, rv := mabBottlenecks(walkers, d, !m.NonStrictZ, order)
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
		flat, special := 0, false
		for _, d := range l.active {
			if fwdImg[d] != nil && slices.Equal(w.Image, fwdImg[d]) {
				flat, special = l.fwdOff+l.fwd[d], true
			}
			if revImg[d] != nil && slices.Equal(w.Image, revImg[d]) {
				flat, special = l.revOff+l.rev[d], true
			}
		}
		if !special {
			for _, d := range l.active {
				x := w.Image[d]
				if x == hi[d] && l.lead[d] >= 0 {
					flat, special = l.leadOff+l.lead[d], true
					break
				}
				if x == lo[d] && l.lag[d] >= 0 {
					flat, special = l.lagOff+l.lag[d], true
					break
				}
			}
		}
		if special {
			for d := range idx {
				idx[d] = -1
			}
		} else {
			for d := range ndim {
				idx[d] = mabLinearIndex(w.Image[d], lo[d], hi[d], l.nb[d])
				flat = flat*l.nb[d] + idx[d]
			}
		}
		as[i] = binAssign{flat: flat, region: binRegion(flat, idx)}
	}

	return as, lo, hi
}
