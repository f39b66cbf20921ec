package analysis

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Autocorrelation returns the lag-k sample autocorrelation of x as
// WESTPA's mclib.autocorrel_elem defines it:
//
//	ρ_k = N/(N−k) · Σ_{i<N−k} (xᵢ − x̄)(x_{i+k} − x̄) / Σᵢ (xᵢ − x̄)²
//
// (x̄ the mean of all N values). It is NaN for a constant x and for k
// outside [0, N).
func Autocorrelation(x []float64, k int) float64 {
	n := len(x)
	if k < 0 || k >= n {
		return math.NaN()
	}
	m := Mean(x)
	var norm, rho float64
	for i, xi := range x {
		d := xi - m
		norm += d * d
		if i < n-k {
			rho += d * (x[i+k] - m)
		}
	}
	return rho * float64(n) / (float64(n-k) * norm)
}

// BootstrapSets returns the number of synthetic data sets WESTPA's
// mclib.get_bssize uses for a (1−α) interval: 10^(⌈−log₁₀ α⌉ + 1), 1000
// for α = 0.05, so that at least 10 synthetic estimates lie outside each
// end of the interval.
func BootstrapSets(alpha float64) int {
	n := 1
	for i := 0; i < int(math.Ceil(-math.Log10(alpha)))+1; i++ {
		n *= 10
	}
	return n
}

// percentileIndices returns the positions of the lower and upper bounds of
// a (1−α) percentile interval among n sorted synthetic estimates, as
// mclib does: ⌊nα/2⌋ and ⌈n(1−α/2)⌉ (kept below n).
func percentileIndices(n int, alpha float64) (lo, hi int) {
	lo = int(math.Floor(float64(n) * alpha / 2))
	hi = int(math.Ceil(float64(n) * (1 - alpha/2)))
	if hi > n-1 {
		hi = n - 1
	}
	return lo, hi
}

// CorrelationLength returns the correlation length of the series x in
// steps, significant at the (1−α) level, by the test of Huber and Kim
// (Biophys. J. 70, 97 (1996)) as WESTPA's mclib.mcbs_correltime_small
// implements it: for k = 1, 2, … below N/2, the lag-k Autocorrelation of x
// is compared with the (1−α) percentile interval of the lag-k
// autocorrelations of sets synthetic data sets drawn from x with
// replacement (which have no correlation); the first k at which x's value
// lies strictly inside that interval gives k−1. It returns 0 for data
// uncorrelated at that level, and N when no lag below N/2 passes (too
// correlated for a block bootstrap; always so for N < 4, as in mclib). A
// constant series, whose autocorrelation is undefined, gives 0.
func CorrelationLength(x []float64, alpha float64, sets int, r *rand.Rand) int {
	n := len(x)
	constant := n > 0
	for _, v := range x {
		if v != x[0] {
			constant = false
			break
		}
	}
	if constant {
		return 0
	}
	lbi, ubi := percentileIndices(sets, alpha)
	elems := make([]float64, sets)
	// The synthetic sets, each centred on its own mean, with the sum of
	// its squared deviations, are drawn once and kept when they fit in
	// synthMemory; otherwise fresh ones are drawn for every lag (mclib's
	// mcbs_correltime_fullauto), which keeps memory at one set.
	keep := sets*n <= synthMemory/8
	var synth []float64
	norms := make([]float64, sets)
	draw := func(row []float64) float64 {
		var m float64
		for i := range row {
			row[i] = x[r.IntN(n)]
			m += row[i]
		}
		m /= float64(n)
		var norm float64
		for i := range row {
			row[i] -= m
			norm += row[i] * row[i]
		}
		return norm
	}
	if keep {
		synth = make([]float64, sets*n)
		for s := 0; s < sets; s++ {
			norms[s] = draw(synth[s*n : (s+1)*n])
		}
	} else {
		synth = make([]float64, n)
	}
	// The first lags are summed directly (most data decorrelate within
	// them); past them, every lag of the kept sets at once by FFT.
	var sums []float64
	for k := 1; k < n/2; k++ {
		if keep && k == directLags+1 {
			sums = lagSums(synth, sets, n)
		}
		rho := Autocorrelation(x, k)
		scale := float64(n) / float64(n-k)
		for s := 0; s < sets; s++ {
			var row []float64
			norm := norms[s]
			if keep {
				row = synth[s*n : (s+1)*n]
			} else {
				row = synth
				norm = draw(row)
			}
			var acc float64
			if sums != nil {
				acc = sums[s*(n/2)+k]
			} else {
				for i := 0; i < n-k; i++ {
					acc += row[i] * row[i+k]
				}
			}
			// A synthetic set of one repeated value has no defined
			// autocorrelation (NaN), as in mclib; it sorts last.
			elems[s] = acc * scale / norm
		}
		sortNaNLast(elems)
		if rho > elems[lbi] && rho < elems[ubi] {
			return k - 1
		}
	}
	return n
}

// synthMemory bounds the bytes CorrelationLength keeps in synthetic data
// sets (1000 sets of 8000 cycles).
var synthMemory = 64 << 20

// directLags are the lags CorrelationLength sums directly before it
// turns to lagSums.
const directLags = 32

// lagSums returns, for each of the sets rows of length n in synth, the
// lagged products Σ_{i<n−k} row_i·row_{i+k} for k < n/2, at s·(n/2)+k: the
// inverse FFT of the power spectrum of the row padded with zeros to at
// least 2n (Wiener–Khinchin), O(n log n) per row instead of O(n) per lag.
func lagSums(synth []float64, sets, n int) []float64 {
	size := 1
	for size < 2*n {
		size *= 2
	}
	fft := fourier.NewFFT(size)
	seq := make([]float64, size)
	coeff := make([]complex128, size/2+1)
	back := make([]float64, size)
	half := n / 2
	out := make([]float64, sets*half)
	for s := 0; s < sets; s++ {
		copy(seq, synth[s*n:(s+1)*n])
		clear(seq[n:])
		fft.Coefficients(coeff, seq)
		for i, c := range coeff {
			coeff[i] = complex(real(c)*real(c)+imag(c)*imag(c), 0)
		}
		fft.Sequence(back, coeff)
		for k := 0; k < half; k++ {
			out[s*half+k] = back[k] / float64(size)
		}
	}
	return out
}

func sortNaNLast(x []float64) {
	slices.SortFunc(x, func(a, b float64) int {
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		case math.IsNaN(b):
			return -1
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	})
}

// CI is an estimate with its confidence interval.
type CI struct {
	Estimate float64 `json:"estimate"`
	Lo       float64 `json:"ci_lo"`
	Hi       float64 `json:"ci_hi"`
	// StdErr is the standard deviation (population, ddof 0) of the
	// synthetic estimates: mclib's "sterr".
	StdErr float64 `json:"stderr"`
	// CorrLen is the correlation length in cycles (CorrelationLength); it
	// equals the number of cycles when the data were too correlated for
	// a block bootstrap.
	CorrLen int `json:"corr_len"`
	// Blocks is the number of blocks resampled (0 when too correlated).
	Blocks int `json:"blocks"`
}

// MCBSOptions configure MCBS; zero values select WESTPA's defaults.
type MCBSOptions struct {
	Alpha   float64 // (1−Alpha) interval; default 0.05
	ACAlpha float64 // significance of the correlation test; default Alpha
	Sets    int     // synthetic data sets; default BootstrapSets(Alpha)
	ACSets  int     // synthetic sets of the correlation test; default BootstrapSets(ACAlpha)
	// Seed seeds the pseudo-random draws, so that an analysis gives the
	// same interval every time it is run.
	Seed uint64
}

func (o MCBSOptions) withDefaults() MCBSOptions {
	if o.Alpha == 0 {
		o.Alpha = 0.05
	}
	if o.ACAlpha == 0 {
		o.ACAlpha = o.Alpha
	}
	if o.Sets == 0 {
		o.Sets = BootstrapSets(o.Alpha)
	}
	if o.ACSets == 0 {
		o.ACSets = BootstrapSets(o.ACAlpha)
	}
	return o
}

// MeanEstimator is the estimator of a mean flux: the mean of the first
// series.
func MeanEstimator(d [][]float64) float64 { return Mean(d[0]) }

// RatioEstimator is the estimator of a rate from a conditional flux and a
// population, WESTPA's sequence_macro_flux_to_rate: Σ d[0] / Σ d[1] (0
// when either sum is not positive).
func RatioEstimator(d [][]float64) float64 {
	var f, p float64
	for i := range d[0] {
		f += d[0][i]
		p += d[1][i]
	}
	if f > 0 && p > 0 {
		return f / p
	}
	return 0
}

// MCBS estimates est over cycle-aligned series (data[k][c] is series k at
// cycle c) with a (1−α) confidence interval from a Monte Carlo block
// bootstrap that respects the correlation between cycles: WESTPA's
// mclib.mcbs_ci_correl as w_direct and w_ipa use it (subsample = mean):
//
//  1. the leading-window estimates est(data[:, :m]), m = 1 … N, are formed
//     (non-finite ones dropped), and their correlation length L is found
//     by CorrelationLength at the ACAlpha level: the length over which the
//     running estimate keeps drifting;
//  2. if no lag below half their number is uncorrelated, the data are too
//     correlated for a bootstrap and the interval is the range of the
//     leading-window estimates;
//  3. otherwise the cycles are cut into B = ⌊N/(L+1)⌋ consecutive blocks,
//     block k holding cycles [⌊kN/B⌋, ⌊(k+1)N/B⌋) (L+1 cycles, or L+2
//     where N is not a multiple of L+1), each replaced by its mean, and
//     Sets synthetic data sets are drawn from the blocks with
//     replacement; est is evaluated on each, and the interval is the
//     ⌊Sets·α/2⌋-th and ⌈Sets·(1−α/2)⌉-th of the sorted synthetic
//     estimates.
//
// The estimate is est over all N cycles. Deviation from mclib: its blocks
// are all L+1 cycles long and the remainder at the end is left out of
// both the interval and the estimate, so that a flux that arrives in the
// last cycles is not counted; here every cycle is in a block.
func MCBS(data [][]float64, est func([][]float64) float64, o MCBSOptions) CI {
	o = o.withDefaults()
	n := len(data[0])
	if n == 0 {
		nan := math.NaN()
		return CI{Estimate: nan, Lo: nan, Hi: nan, StdErr: nan}
	}
	ci := CI{Estimate: est(data)}
	r := rand.New(rand.NewPCG(o.Seed, 0x6d636273)) // "mcbs"
	lead := make([][]float64, len(data))
	running := make([]float64, 0, n)
	for m := 1; m <= n; m++ {
		for k := range data {
			lead[k] = data[k][:m]
		}
		if v := est(lead); !math.IsNaN(v) && !math.IsInf(v, 0) {
			running = append(running, v)
		}
	}
	if len(running) == 0 {
		nan := math.NaN()
		ci.Lo, ci.Hi, ci.StdErr, ci.CorrLen = nan, nan, nan, n
		return ci
	}
	ci.CorrLen = CorrelationLength(running, o.ACAlpha, o.ACSets, r)
	if ci.CorrLen >= len(running) {
		ci.CorrLen = n
		ci.Lo, ci.Hi = slices.Min(running), slices.Max(running)
		ci.StdErr = popStdDev(running)
		return ci
	}
	nb := n / (ci.CorrLen + 1)
	blocks := make([][]float64, len(data))
	for k, series := range data {
		blocks[k] = make([]float64, nb)
		for b := range nb {
			blocks[k][b] = Mean(series[b*n/nb : (b+1)*n/nb])
		}
	}
	ci.Blocks = nb
	synth := make([][]float64, len(data))
	for k := range synth {
		synth[k] = make([]float64, nb)
	}
	f := make([]float64, o.Sets)
	for s := range f {
		for i := 0; i < nb; i++ {
			j := r.IntN(nb)
			for k := range blocks {
				synth[k][i] = blocks[k][j]
			}
		}
		f[s] = est(synth)
	}
	sortNaNLast(f)
	lbi, ubi := percentileIndices(o.Sets, o.Alpha)
	ci.Lo, ci.Hi = f[lbi], f[ubi]
	ci.StdErr = popStdDev(f)
	return ci
}

func popStdDev(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	m := Mean(x)
	var v float64
	for _, xi := range x {
		v += (xi - m) * (xi - m)
	}
	return math.Sqrt(v / float64(len(x)))
}

// CumulativeMean returns the mean of x[0..i] for every i: the estimate a
// run would have given had it stopped after cycle i.
func CumulativeMean(x []float64) []float64 {
	out := make([]float64, len(x))
	var s float64
	for i, v := range x {
		s += v
		out[i] = s / float64(i+1)
	}
	return out
}

// MovingMean returns the mean of the last w values up to each position
// (x[i−w+1..i], fewer at the start): the windowed average whose drift
// shows a transient.
func MovingMean(x []float64, w int) []float64 {
	if w < 1 {
		w = 1
	}
	out := make([]float64, len(x))
	for i := range x {
		// Summed afresh for every window, so that a series of zeros and
		// rare spikes gives exact zeros between them.
		out[i] = Mean(x[max(0, i-w+1) : i+1])
	}
	return out
}
