package analysis

import (
	"fmt"
	"math"
	"sort"

	"github.com/wepipe/wepipe/pkg/record"
)

// Grid is a rectilinear histogram grid over one or more observables.
// Edges[d] holds the n_d+1 strictly increasing bin edges of dimension d.
// Bin i of a dimension is [e_i, e_{i+1}), except the last, which is
// closed, [e_{n−1}, e_n], as numpy.histogram (and so wepy's
// free_energy_profile) defines them. Bins are numbered row-major: the last
// dimension varies fastest.
type Grid struct {
	Edges [][]float64
}

// UniformEdges returns n+1 equally spaced edges from lo to hi:
// e_i = lo + i·(hi − lo)/n, with e_n = hi exactly. When lo == hi the range
// is widened to [lo − 0.5, lo + 0.5], as numpy.histogram does.
func UniformEdges(lo, hi float64, n int) []float64 {
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	e := make([]float64, n+1)
	for i := range n {
		e[i] = lo + float64(i)*(hi-lo)/float64(n)
	}
	e[n] = hi
	return e
}

// NewGrid checks edges and returns the grid.
func NewGrid(edges ...[]float64) (Grid, error) {
	if len(edges) == 0 {
		return Grid{}, fmt.Errorf("grid: no dimension")
	}
	for d, e := range edges {
		if len(e) < 2 {
			return Grid{}, fmt.Errorf("grid dimension %d: %d edges, want at least 2", d, len(e))
		}
		for i := 1; i < len(e); i++ {
			if !(e[i] > e[i-1]) || math.IsInf(e[i], 0) || math.IsInf(e[i-1], 0) {
				return Grid{}, fmt.Errorf("grid dimension %d: edges %v, %v are not finite and increasing", d, e[i-1], e[i])
			}
		}
	}
	return Grid{Edges: edges}, nil
}

// Dims is the number of dimensions.
func (g Grid) Dims() int { return len(g.Edges) }

// Shape returns the number of bins of each dimension.
func (g Grid) Shape() []int {
	s := make([]int, len(g.Edges))
	for d, e := range g.Edges {
		s[d] = len(e) - 1
	}
	return s
}

// Bins is the total number of bins.
func (g Grid) Bins() int {
	n := 1
	for _, e := range g.Edges {
		n *= len(e) - 1
	}
	return n
}

// bin1 returns the bin of x among edges e, or −1 outside [e_0, e_n].
func bin1(e []float64, x float64) int {
	n := len(e) - 1
	if !(x >= e[0] && x <= e[n]) {
		return -1
	}
	// The first edge greater than x closes x's bin.
	i := sort.SearchFloat64s(e, x)
	if i < len(e) && e[i] == x {
		i++
	}
	return min(i-1, n-1)
}

// Index returns the bin of the point x (one value per dimension), or −1
// when x lies outside the grid.
func (g Grid) Index(x []float64) int {
	idx := 0
	for d, e := range g.Edges {
		b := bin1(e, x[d])
		if b < 0 {
			return -1
		}
		idx = idx*(len(e)-1) + b
	}
	return idx
}

// Coords returns the per-dimension bin indices of flat bin i.
func (g Grid) Coords(i int) []int {
	c := make([]int, len(g.Edges))
	for d := len(g.Edges) - 1; d >= 0; d-- {
		n := len(g.Edges[d]) - 1
		c[d] = i % n
		i /= n
	}
	return c
}

// Volume returns the product of bin i's widths.
func (g Grid) Volume(i int) float64 {
	v := 1.0
	for d, c := range g.Coords(i) {
		v *= g.Edges[d][c+1] - g.Edges[d][c]
	}
	return v
}

// Frame is one ensemble as a histogram sees it: X[d][i] is observable d of
// walker i, W[i] its weight.
type Frame struct {
	X [][]float64
	W []float64
}

// FrameOf returns the frame of snapshot s over observables names.
func FrameOf(s *record.Snapshot, names []string) Frame {
	f := Frame{X: make([][]float64, len(names)), W: Weights(s)}
	for d, n := range names {
		f.X[d] = ObsValues(s, n)
	}
	return f
}

// Range returns the smallest and largest value of dimension d over frames
// (+Inf, −Inf when there is none).
func Range(frames []Frame, d int) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, f := range frames {
		for _, x := range f.X[d] {
			lo = math.Min(lo, x)
			hi = math.Max(hi, x)
		}
	}
	return lo, hi
}

// Histogram returns the weighted histogram of one frame on g, normalised
// by the frame's total weight W = Σ wᵢ: h_b = Σ_{xᵢ ∈ b} wᵢ / W, and the
// fraction of W outside the grid.
func Histogram(f Frame, g Grid) (h []float64, outside float64) {
	h = make([]float64, g.Bins())
	var tot float64
	x := make([]float64, g.Dims())
	for i, w := range f.W {
		for d := range x {
			x[d] = f.X[d][i]
		}
		tot += w
		if b := g.Index(x); b >= 0 {
			h[b] += w
		} else {
			outside += w
		}
	}
	if tot > 0 {
		for b := range h {
			h[b] /= tot
		}
		outside /= tot
	}
	return h, outside
}

// Profile is a probability distribution on a grid averaged over cycles,
// with error bars from block averages, and its free energy.
type Profile struct {
	Grid   Grid
	Frames int // cycles averaged
	Blocks int // blocks of consecutive cycles the errors come from (0: none)
	// P is the probability of each bin: the per-cycle histograms
	// averaged over cycles, each cycle counting once (plothist average),
	// then normalised over the grid so that Σ_b P_b = 1.
	P []float64
	// PErr is the standard error of P_b: the sample standard deviation
	// (n−1) of the Blocks block estimates of P_b, each normalised like P,
	// divided by √Blocks. NaN without blocks.
	PErr []float64
	// Density is P_b / (volume of b), a probability density.
	Density []float64
	// F is the free energy in units of kT, −ln Density_b, shifted so that
	// its smallest finite value is 0 (plothist's --zero-energy min); +Inf
	// for a bin never visited.
	F []float64
	// FErr is the error of F in kT, PErr_b / P_b by first-order error
	// propagation of −ln P (NaN for an empty bin or without blocks).
	FErr []float64
	// Outside is the mean fraction of weight per cycle that fell outside
	// the grid.
	Outside float64
}

// NewProfile averages the histograms of frames (one per cycle, oldest
// first) on g and estimates errors from blocks consecutive-cycle blocks:
// block k holds cycles [⌊k·C/B⌋, ⌊(k+1)·C/B⌋) of the C cycles. Blocks are
// at most C; fewer than 2 give no error bars.
func NewProfile(frames []Frame, g Grid, blocks int) Profile {
	nb := g.Bins()
	p := Profile{Grid: g, Frames: len(frames), P: make([]float64, nb), PErr: make([]float64, nb),
		Density: make([]float64, nb), F: make([]float64, nb), FErr: make([]float64, nb)}
	hists := make([][]float64, len(frames))
	for c, f := range frames {
		var out float64
		hists[c], out = Histogram(f, g)
		p.Outside += out
		for b, v := range hists[c] {
			p.P[b] += v
		}
	}
	if len(frames) > 0 {
		p.Outside /= float64(len(frames))
	}
	normalise(p.P)
	blocks = min(blocks, len(frames))
	if blocks >= 2 {
		p.Blocks = blocks
		est := make([][]float64, blocks)
		for k := range est {
			lo, hi := k*len(frames)/blocks, (k+1)*len(frames)/blocks
			est[k] = make([]float64, nb)
			for _, h := range hists[lo:hi] {
				for b, v := range h {
					est[k][b] += v
				}
			}
			normalise(est[k])
		}
		col := make([]float64, blocks)
		for b := range nb {
			for k := range est {
				col[k] = est[k][b]
			}
			p.PErr[b] = StdErr(col)
		}
	} else {
		for b := range p.PErr {
			p.PErr[b] = math.NaN()
		}
	}
	fmin := math.Inf(1)
	for b := range nb {
		p.Density[b] = p.P[b] / g.Volume(b)
		p.F[b] = -math.Log(p.Density[b])
		fmin = math.Min(fmin, p.F[b])
		if p.P[b] > 0 {
			p.FErr[b] = p.PErr[b] / p.P[b]
		} else {
			p.FErr[b] = math.NaN()
		}
	}
	if !math.IsInf(fmin, 0) {
		for b := range p.F {
			p.F[b] -= fmin
		}
	}
	return p
}

// normalise scales x so that it sums to 1 (left as it is when its sum is 0).
func normalise(x []float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	if s > 0 {
		for i := range x {
			x[i] /= s
		}
	}
}
