package analysis

import (
	"math"
	"sort"
)

// WeightedMean returns the weighted mean μ = Σ wᵢxᵢ / Σ wᵢ, both sums
// taken in slice order. It returns NaN when Σ wᵢ is zero or the slices are
// empty, and panics if their lengths differ.
func WeightedMean(x, w []float64) float64 {
	mustSameLength(x, w)
	var sw, swx float64
	for i, xi := range x {
		sw += w[i]
		swx += w[i] * xi
	}
	return swx / sw
}

// WeightedPopStdDev returns the population (not the sample) weighted
// standard deviation about mean:
//
//	σ = √( Σ wᵢ(xᵢ − mean)² / Σ wᵢ )
//
// as gonum's stat.PopStdDev with weights. The weights of a walker ensemble
// are probabilities, not frequency counts, so no n−1 (Bessel) correction
// applies. Sums are taken in slice order.
func WeightedPopStdDev(x, w []float64, mean float64) float64 {
	mustSameLength(x, w)
	var sw, v float64
	for i, xi := range x {
		d := xi - mean
		sw += w[i]
		v += w[i] * d * d
	}
	return math.Sqrt(v / sw)
}

// WeightedQuantiles returns, for each q in qs, the weighted quantile of x:
// the smallest value x₍ₖ₎ of x sorted ascending such that the cumulative
// normalised weight Σ_{i≤k} w₍ᵢ₎/W reaches q (W = Σ wᵢ). This is the
// inverse of the weighted empirical distribution function, without
// interpolation (gonum's stat.Quantile with stat.Empirical; numpy's
// "inverted_cdf"). q ≤ 0 gives the smallest value, q > 1 the largest, and
// an empty x gives NaN. The cumulative weight is summed in the sorted
// order; values that are equal are adjacent in it, so the result does not
// depend on how sort.Slice orders them, except through the rounding of
// that sum at the last place.
func WeightedQuantiles(x, w []float64, qs ...float64) []float64 {
	mustSameLength(x, w)
	out := make([]float64, len(qs))
	if len(x) == 0 {
		for k := range out {
			out[k] = math.NaN()
		}
		return out
	}
	type wx struct{ w, x float64 }
	v := make([]wx, len(x))
	var tot float64
	for i := range x {
		v[i] = wx{w[i], x[i]}
		tot += w[i]
	}
	sort.Slice(v, func(i, j int) bool { return v[i].x < v[j].x })
	for k, q := range qs {
		c := 0.0
		out[k] = v[len(v)-1].x
		for _, e := range v {
			c += e.w / tot
			if c >= q {
				out[k] = e.x
				break
			}
		}
	}
	return out
}

// Mean returns the arithmetic mean of x (NaN for an empty slice).
func Mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// StdErr returns the standard error of the mean of x treated as
// independent samples: s/√n with s the sample standard deviation
// (n − 1 in the denominator, gonum's stat.StdDev). It is 0 for fewer than
// two values.
func StdErr(x []float64) float64 {
	n := len(x)
	if n < 2 {
		return 0
	}
	m := Mean(x)
	var v float64
	for _, xi := range x {
		d := xi - m
		v += d * d
	}
	return math.Sqrt(v / float64(n-1) / float64(n))
}

func mustSameLength(x, w []float64) {
	if len(x) != len(w) {
		panic("analysis: values and weights differ in length")
	}
}
