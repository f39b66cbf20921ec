package fmath

import "math"

// Sum returns Σx as CPython's sum() over floats does since 3.12
// (builtin_sum_impl in Python/bltinmodule.c): left to right with
// Neumaier's compensation (Z. angew. Math. Mech. 54, 39–51, 1974), the
// compensation added at the end when it is non-zero and finite. Its error
// is bounded by 2ε|Σx| independently of the number of terms, for terms of
// one sign, so it also serves to check weight conservation over 10⁴
// walkers; and it reproduces the weights wepy's merges compute.
func Sum(xs []float64) float64 {
	var f, comp float64
	for _, x := range xs {
		t := f + x
		if math.Abs(f) >= math.Abs(x) {
			comp += (f - t) + x
		} else {
			comp += (x - t) + f
		}
		f = t
	}
	if comp != 0 && !math.IsInf(comp, 0) && !math.IsNaN(comp) {
		f += comp
	}
	return f
}

// PairwiseSum returns Σx as numpy's sum of a float64 array does
// (pairwise_sum_DOUBLE in numpy/core/src/umath/loops_utils.h.src): fewer
// than 8 terms are added left to right; up to 128 terms are added into
// eight interleaved partial sums, combined as ((r0+r1)+(r2+r3)) +
// ((r4+r5)+(r6+r7)), and the remainder added left to right; longer
// arrays are split at ⌊n/2⌋ rounded down to a multiple of 8 and the two
// halves summed recursively. Its rounding error grows as O(ε log n).
// Resamplers that follow a numpy reference sum with it, so that their
// decisions turn on the same rounded values.
func PairwiseSum(x []float64) float64 {
	n := len(x)
	switch {
	case n < 8:
		var s float64
		for _, v := range x {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], x[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += x[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += x[i]
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return PairwiseSum(x[:n2]) + PairwiseSum(x[n2:])
}
